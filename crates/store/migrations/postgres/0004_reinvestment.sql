-- PostgreSQL layout of the tables the reinvestment step writes in bulk (SQLite:
-- migrations/sqlite/0004_reinvestment.sql; keep the two in step, only the layout differs).
-- Ids are ASCII (UUIDs): compare them bytewise, like distribution_lines in 0001. Beyond speed
-- this matters for plans: a join with distribution_lines (COLLATE "C") on investor_id can only
-- probe an index of the same collation; with the default collation, settling 10,000 lines
-- from their reinvestments took 12 s (a nested loop re-scanning reinvestments), not 76 ms.

-- One reinvestment transaction per distribution line that bought (or, for a reversal, gave
-- back) shares. The key (distribution, investor) makes the processing step idempotent: a line
-- can never be reinvested twice. It records the election applied and the NAV rule used.
-- No foreign keys, like distribution_lines: written only by the processing step, in bulk.
CREATE TABLE reinvestments (
    distribution_id     TEXT COLLATE "C" NOT NULL,
    investor_id         TEXT COLLATE "C" NOT NULL,
    org_id              TEXT COLLATE "C" NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('REINVEST','REVERSAL')),
    -- The fund bought: the distribution's own, or the ALTERNATIVE election's target. The
    -- distribution (currency, trade date = payable date) and the line (total, withholding)
    -- are not repeated here: rows stay narrow, and the step writes up to 100,000 at once.
    fund_id             TEXT COLLATE "C" NOT NULL,
    election            TEXT NOT NULL,
    percentage          TEXT NOT NULL,
    reinvestable_minor  BIGINT NOT NULL,
    -- Shares × NAV rounded up: the reinvested amount and the lot's cost basis (negative on reversals).
    cost_minor          BIGINT NOT NULL,
    shares              TEXT NOT NULL,
    nav                 TEXT NOT NULL,
    nav_date            TEXT NOT NULL,
    nav_rule            TEXT NOT NULL CHECK (nav_rule IN ('EXACT','PRIOR')),
    -- The lot created (REINVEST) or closed (REVERSAL).
    lot_id              TEXT COLLATE "C" NOT NULL,
    -- On reversals: the distribution whose reinvestment is taken back.
    reverses_distribution_id TEXT COLLATE "C",
    PRIMARY KEY (distribution_id, investor_id),
    CHECK (cost_minor <= reinvestable_minor OR kind = 'REVERSAL')
);
CREATE INDEX reinvestments_investor ON reinvestments (org_id, investor_id, fund_id);

-- Tax lots: shares of one fund bought by one investor on one date, with their cost basis
-- (in the fund's currency). basis_minor is the adjusted basis (return of capital lowers it;
-- lot_adjustments keep why); a CLOSED lot (taken back by a reversal) keeps its shares for the
-- record and has no basis left.
CREATE TABLE position_lots (
    id                      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    org_id                  TEXT COLLATE "C" NOT NULL,
    fund_id                 TEXT COLLATE "C" NOT NULL,
    investor_id             TEXT COLLATE "C" NOT NULL,
    acquired_on             TEXT NOT NULL,
    source                  TEXT NOT NULL CHECK (source IN ('OPENING','PURCHASE','REINVESTMENT')),
    source_distribution_id  TEXT COLLATE "C",
    original_cost_minor     BIGINT NOT NULL CHECK (original_cost_minor >= 0),
    shares                  TEXT NOT NULL,
    basis_minor             BIGINT NOT NULL CHECK (basis_minor >= 0),
    status                  TEXT NOT NULL CHECK (status IN ('OPEN','CLOSED')),
    closed_at               TEXT
) WITH (fillfactor = 70); -- room on each page: a return of capital updates every open lot's
                              -- basis, and PostgreSQL then keeps the new version on the same page
                              -- without touching the indexes (a HOT update)
CREATE INDEX position_lots_holder ON position_lots (org_id, fund_id, investor_id, acquired_on);

-- Basis changes of lots by return of capital (negative) and by reversals of it (positive).
-- Keyed by distribution first: the step applies one distribution's changes in one join; a
-- lot's history goes through the lot index.
CREATE TABLE lot_adjustments (
    distribution_id     TEXT COLLATE "C" NOT NULL,
    lot_id              TEXT COLLATE "C" NOT NULL,
    org_id              TEXT COLLATE "C" NOT NULL,
    fund_id             TEXT COLLATE "C" NOT NULL,
    investor_id         TEXT COLLATE "C" NOT NULL,
    basis_change_minor  BIGINT NOT NULL,
    created_at          TEXT NOT NULL,
    PRIMARY KEY (distribution_id, lot_id)
);
CREATE INDEX lot_adjustments_lot ON lot_adjustments (lot_id);

-- Reinvestment (DRIP): NAV per share class, elections with history, reinvestment
-- transactions, tax lots and their return-of-capital adjustments. One SQL text for both
-- backends: shares, NAVs and percentages are TEXT canonical decimals, money BIGINT minor units.

-- NAV gains a share class, part of the key. SQLite cannot change a primary key in place, so
-- the table is rebuilt (create, copy, drop, rename), which works the same on PostgreSQL.
-- Existing rows become the DEFAULT class, the one reinvestment prices against.
CREATE TABLE nav_snapshots_v2 (
    org_id       TEXT NOT NULL,
    fund_id      TEXT NOT NULL REFERENCES funds(id),
    share_class  TEXT NOT NULL DEFAULT 'DEFAULT',
    as_of        TEXT NOT NULL,
    nav          TEXT NOT NULL,
    source       TEXT NOT NULL,
    PRIMARY KEY (fund_id, share_class, as_of)
);
INSERT INTO nav_snapshots_v2 (org_id, fund_id, share_class, as_of, nav, source)
    SELECT org_id, fund_id, 'DEFAULT', as_of, nav, source FROM nav_snapshots;
DROP TABLE nav_snapshots;
ALTER TABLE nav_snapshots_v2 RENAME TO nav_snapshots;

-- Per organization: the election applied when an investor has none for a fund (CASH when
-- no row exists), and how many business days old a prior NAV may be (5 when no row exists).
CREATE TABLE reinvestment_settings (
    org_id              TEXT PRIMARY KEY REFERENCES organizations(id),
    default_election    TEXT NOT NULL CHECK (default_election IN ('CASH','AUTOMATIC','PARTIAL')),
    default_percentage  TEXT NOT NULL,
    nav_staleness_days  BIGINT NOT NULL CHECK (nav_staleness_days BETWEEN 0 AND 30),
    updated_by          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);

-- Elections, effective-dated. Rows are only ever inserted, so the table is also the history.
-- In force on a date: the row with the latest effective_date on or before it (the latest id,
-- i.e. the latest change, on a tie).
CREATE TABLE reinvestment_elections (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    investor_id     TEXT NOT NULL REFERENCES investors(id),
    fund_id         TEXT NOT NULL REFERENCES funds(id),
    election        TEXT NOT NULL CHECK (election IN ('CASH','AUTOMATIC','PARTIAL','ALTERNATIVE')),
    percentage      TEXT NOT NULL,
    target_fund_id  TEXT REFERENCES funds(id),
    effective_date  TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    CHECK ((election = 'ALTERNATIVE') = (target_fund_id IS NOT NULL))
);
CREATE INDEX reinvestment_elections_fund ON reinvestment_elections (org_id, fund_id, investor_id, effective_date);
CREATE INDEX reinvestment_elections_investor ON reinvestment_elections (org_id, investor_id, fund_id, effective_date);

-- One reinvestment transaction per distribution line that bought (or, for a reversal, gave
-- back) shares. The key (distribution, investor) makes the processing step idempotent: a line
-- can never be reinvested twice. It records the election applied and the NAV rule used.
-- No foreign keys, like distribution_lines: written only by the processing step, in bulk.
CREATE TABLE reinvestments (
    distribution_id     TEXT NOT NULL,
    investor_id         TEXT NOT NULL,
    org_id              TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('REINVEST','REVERSAL')),
    -- The distribution's fund, and the fund bought (differs for ALTERNATIVE elections).
    source_fund_id      TEXT NOT NULL,
    fund_id             TEXT NOT NULL,
    election            TEXT NOT NULL,
    percentage          TEXT NOT NULL,
    currency            TEXT NOT NULL,
    line_total_minor    BIGINT NOT NULL,
    withholding_minor   BIGINT NOT NULL,
    reinvestable_minor  BIGINT NOT NULL,
    -- Shares × NAV rounded up: the reinvested amount and the lot's cost basis (negative on reversals).
    cost_minor          BIGINT NOT NULL,
    shares              TEXT NOT NULL,
    nav                 TEXT NOT NULL,
    nav_date            TEXT NOT NULL,
    nav_rule            TEXT NOT NULL CHECK (nav_rule IN ('EXACT','PRIOR')),
    trade_date          TEXT NOT NULL,
    -- The lot created (REINVEST) or closed (REVERSAL).
    lot_id              TEXT NOT NULL,
    -- On reversals: the distribution whose reinvestment is taken back.
    reverses_distribution_id TEXT,
    created_at          TEXT NOT NULL,
    PRIMARY KEY (distribution_id, investor_id),
    CHECK (cost_minor <= reinvestable_minor OR kind = 'REVERSAL')
);
CREATE INDEX reinvestments_investor ON reinvestments (org_id, investor_id, fund_id);

-- Tax lots: shares of one fund bought by one investor on one date, with their cost basis.
-- basis_minor is the adjusted basis (return of capital lowers it; lot_adjustments keep why).
CREATE TABLE position_lots (
    id                      TEXT PRIMARY KEY,
    org_id                  TEXT NOT NULL,
    fund_id                 TEXT NOT NULL,
    investor_id             TEXT NOT NULL,
    acquired_on             TEXT NOT NULL,
    source                  TEXT NOT NULL CHECK (source IN ('OPENING','PURCHASE','REINVESTMENT')),
    source_distribution_id  TEXT,
    currency                TEXT NOT NULL,
    original_shares         TEXT NOT NULL,
    original_cost_minor     BIGINT NOT NULL CHECK (original_cost_minor >= 0),
    shares                  TEXT NOT NULL,
    basis_minor             BIGINT NOT NULL CHECK (basis_minor >= 0),
    status                  TEXT NOT NULL CHECK (status IN ('OPEN','CLOSED')),
    created_at              TEXT NOT NULL,
    closed_at               TEXT
);
CREATE INDEX position_lots_holder ON position_lots (org_id, fund_id, investor_id, acquired_on);

-- Basis changes of lots by return of capital (negative) and by reversals of it (positive).
CREATE TABLE lot_adjustments (
    distribution_id     TEXT NOT NULL,
    lot_id              TEXT NOT NULL,
    org_id              TEXT NOT NULL,
    fund_id             TEXT NOT NULL,
    investor_id         TEXT NOT NULL,
    basis_change_minor  BIGINT NOT NULL,
    created_at          TEXT NOT NULL,
    PRIMARY KEY (distribution_id, lot_id)
);
CREATE INDEX lot_adjustments_investor ON lot_adjustments (org_id, investor_id, fund_id);

-- Return of capital per line: how much reduced basis and how much was beyond basis (gain).
CREATE TABLE roc_applications (
    distribution_id        TEXT NOT NULL,
    investor_id            TEXT NOT NULL,
    org_id                 TEXT NOT NULL,
    fund_id                TEXT NOT NULL,
    roc_minor              BIGINT NOT NULL,
    basis_reduction_minor  BIGINT NOT NULL,
    gain_minor             BIGINT NOT NULL,
    created_at             TEXT NOT NULL,
    PRIMARY KEY (distribution_id, investor_id),
    CHECK (basis_reduction_minor + gain_minor = roc_minor)
);

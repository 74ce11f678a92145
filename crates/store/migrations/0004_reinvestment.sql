-- Reinvestment (DRIP): NAV per share class, elections with history, reinvestment
-- transactions, tax lots and their return-of-capital adjustments. One SQL text for both
-- backends (plus the per-backend storage layout of the three bulk-written tables, in
-- migrations/{sqlite,postgres}/0004_reinvestment.sql): shares, NAVs and percentages are TEXT
-- canonical decimals, money BIGINT minor units.

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

-- reinvestments, position_lots and lot_adjustments (written in bulk by the processing step)
-- are declared per backend for their storage layout: migrations/{sqlite,postgres}/0004_*.

-- Return of capital beyond basis (capital gain), per line where it happened. The basis
-- reductions themselves are in lot_adjustments; lines whose ROC fitted in basis have no row.
CREATE TABLE roc_gains (
    distribution_id        TEXT NOT NULL,
    investor_id            TEXT NOT NULL,
    org_id                 TEXT NOT NULL,
    fund_id                TEXT NOT NULL,
    roc_minor              BIGINT NOT NULL,
    basis_reduction_minor  BIGINT NOT NULL,
    gain_minor             BIGINT NOT NULL,
    created_at             TEXT NOT NULL,
    PRIMARY KEY (distribution_id, investor_id),
    CHECK (basis_reduction_minor + gain_minor = roc_minor),
    CHECK (gain_minor <> 0)
);

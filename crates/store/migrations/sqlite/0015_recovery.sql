-- Final line statuses after a reversal and an offset (PostgreSQL: postgres/0015_recovery.sql):
-- RECEIVABLE (a reversal line whose cash had left: see receivable_id), NOTHING_OWED (a
-- reversal line whose cash never left), OFFSET (a line whose whole cash settled a receivable).
-- SQLite cannot change a CHECK in place: the table is rebuilt (create, copy, drop, rename),
-- as 0008 did for holdings. Every column of distribution_lines is listed: a later migration
-- adding one must add it here only if it runs before this one.
CREATE TABLE distribution_lines_v2 (
    distribution_id    TEXT NOT NULL,
    org_id             TEXT NOT NULL,
    investor_id        TEXT NOT NULL,
    units              TEXT,
    total_minor        BIGINT NOT NULL,
    ordinary_minor     BIGINT NOT NULL,
    qualified_minor    BIGINT NOT NULL,
    st_gain_minor      BIGINT NOT NULL,
    lt_gain_minor      BIGINT NOT NULL,
    roc_minor          BIGINT NOT NULL,
    interest_minor     BIGINT NOT NULL,
    foreign_tax_minor  BIGINT NOT NULL,
    withholding_minor  BIGINT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('PENDING','PAYMENT_INITIATED','PAID','REINVESTED','FAILED','RECEIVABLE','NOTHING_OWED','OFFSET')),
    reverses_distribution_id TEXT,
    reinvested_minor   BIGINT,
    cash_minor         BIGINT,
    offset_minor       BIGINT,
    receivable_id      TEXT,
    PRIMARY KEY (distribution_id, investor_id),
    CHECK (ordinary_minor + qualified_minor + st_gain_minor + lt_gain_minor + roc_minor + interest_minor = total_minor)
) WITHOUT ROWID;
INSERT INTO distribution_lines_v2 (distribution_id, org_id, investor_id, units, total_minor, ordinary_minor, qualified_minor, st_gain_minor, lt_gain_minor, roc_minor, interest_minor, foreign_tax_minor, withholding_minor, status, reverses_distribution_id, reinvested_minor, cash_minor, offset_minor, receivable_id)
    SELECT distribution_id, org_id, investor_id, units, total_minor, ordinary_minor, qualified_minor, st_gain_minor, lt_gain_minor, roc_minor, interest_minor, foreign_tax_minor, withholding_minor, status, reverses_distribution_id, reinvested_minor, cash_minor, offset_minor, receivable_id
    FROM distribution_lines;
DROP TABLE distribution_lines;
ALTER TABLE distribution_lines_v2 RENAME TO distribution_lines;
CREATE UNIQUE INDEX distribution_lines_reversed_once ON distribution_lines (reverses_distribution_id, investor_id)
    WHERE reverses_distribution_id IS NOT NULL;

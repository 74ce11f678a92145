-- Distribution lines (the largest table) are declared per backend for their storage layout.
-- No foreign keys here on purpose: PostgreSQL checks them with a trigger per row, which
-- tripled the cost of loading a 10,000-line distribution. Lines are only written by
-- store::distributions in the same transaction as their header, and their investors come
-- from holdings (which do carry the foreign key) or are checked against them.
CREATE TABLE distribution_lines (
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
    status             TEXT NOT NULL CHECK (status IN ('PENDING','PAYMENT_INITIATED','PAID','REINVESTED','FAILED')),
    -- Set on reversal lines: the original distribution whose line this one negates.
    reverses_distribution_id TEXT,
    PRIMARY KEY (distribution_id, investor_id),
    -- Components always tie out to the line total.
    CHECK (ordinary_minor + qualified_minor + st_gain_minor + lt_gain_minor + roc_minor + interest_minor = total_minor)
);
-- A line of a distribution can be reversed once. Partial, so that ordinary lines (the vast
-- majority) cost no entry in it.
CREATE UNIQUE INDEX distribution_lines_reversed_once ON distribution_lines (reverses_distribution_id, investor_id)
    WHERE reverses_distribution_id IS NOT NULL;


-- Append-only logs ordered by a database sequence (gap-free order of commit is not
-- promised; consumers page by seq and tolerate gaps).
CREATE TABLE audit_log (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    org_id       TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    request_id   TEXT,
    at           TEXT NOT NULL
);
CREATE INDEX audit_log_org_entity ON audit_log (org_id, entity_id, seq);

CREATE TABLE outbox (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    org_id          TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    aggregate_type  TEXT NOT NULL,
    aggregate_id    TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    dispatched_at   TEXT
);
CREATE INDEX outbox_undispatched ON outbox (dispatched_at, seq);

-- Ids are ASCII (UUIDs): compare them bytewise. The database's default collation may be a
-- locale whose comparisons cost far more, and these columns carry the busiest indexes.
ALTER TABLE distribution_lines
    ALTER COLUMN distribution_id TYPE TEXT COLLATE "C",
    ALTER COLUMN org_id TYPE TEXT COLLATE "C",
    ALTER COLUMN investor_id TYPE TEXT COLLATE "C",
    ALTER COLUMN reverses_distribution_id TYPE TEXT COLLATE "C";

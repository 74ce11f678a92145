-- In-kind distributions (issue 17): securities, a fund's position in each, the in-kind part
-- of a distribution and its lines, and the lots the recipients receive. Units of a security
-- are whole units (BIGINT); value per unit is a TEXT canonical decimal; money is minor units.

CREATE TABLE securities (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations(id),
    name             TEXT NOT NULL,
    identifier_type  TEXT NOT NULL CHECK (identifier_type IN ('CUSIP','ISIN','TICKER')),
    identifier       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    UNIQUE (org_id, identifier_type, identifier)
);

-- reserved: units promised to open in-kind distributions (taken at declaration, released on
-- cancel, removed with the quantity on processing). The CHECK is the last line of defence
-- against over-distribution; the reservation itself is a conditional UPDATE.
CREATE TABLE fund_positions (
    org_id       TEXT NOT NULL,
    fund_id      TEXT NOT NULL REFERENCES funds(id),
    security_id  TEXT NOT NULL REFERENCES securities(id),
    quantity     BIGINT NOT NULL CHECK (quantity >= 0),
    reserved     BIGINT NOT NULL CHECK (reserved >= 0),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (fund_id, security_id),
    CHECK (reserved <= quantity)
);

-- One row per in-kind distribution (the REGULAR distribution it is, or its REVERSAL).
-- reserved_units is what the declaration still holds on the position (0 once released or
-- processed).
CREATE TABLE in_kind_distributions (
    distribution_id  TEXT PRIMARY KEY REFERENCES distributions(id),
    org_id           TEXT NOT NULL,
    fund_id          TEXT NOT NULL,
    security_id      TEXT NOT NULL REFERENCES securities(id),
    quantity         BIGINT NOT NULL,
    value_per_unit   TEXT NOT NULL,
    distributed_units BIGINT NOT NULL,
    retained_units   BIGINT NOT NULL,
    reserved_units   BIGINT NOT NULL CHECK (reserved_units >= 0)
);

-- The property part of each line (negated on a reversal's lines); the cash in lieu is the
-- line's total_minor in distribution_lines.
CREATE TABLE in_kind_lines (
    distribution_id     TEXT NOT NULL REFERENCES distributions(id),
    org_id              TEXT NOT NULL,
    investor_id         TEXT NOT NULL REFERENCES investors(id),
    security_id         TEXT NOT NULL REFERENCES securities(id),
    units               BIGINT NOT NULL,
    value_per_unit      TEXT NOT NULL,
    property_minor      BIGINT NOT NULL,
    cash_in_lieu_minor  BIGINT NOT NULL,
    PRIMARY KEY (distribution_id, investor_id)
);

-- What each recipient received; closed (with the reversal that returned it) by a reversal.
CREATE TABLE security_lots (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL,
    investor_id      TEXT NOT NULL REFERENCES investors(id),
    security_id      TEXT NOT NULL REFERENCES securities(id),
    distribution_id  TEXT NOT NULL REFERENCES distributions(id),
    units            BIGINT NOT NULL CHECK (units > 0),
    acquired_on      TEXT NOT NULL,
    basis_minor      BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    closed_on        TEXT,
    closed_by        TEXT REFERENCES distributions(id),
    created_at       TEXT NOT NULL,
    UNIQUE (distribution_id, investor_id)
);
CREATE INDEX security_lots_investor ON security_lots (org_id, investor_id, id);

-- Clearway schema, shared by PostgreSQL and SQLite (the per-backend files add only what
-- differs: auto-increment sequences). Conventions, so that both backends behave alike:
--   * ids are TEXT (UUIDv7, time-ordered); timestamps TEXT 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (UTC,
--     fixed width, so text order is time order); dates TEXT 'YYYY-MM-DD';
--   * money is BIGINT minor units of the row's currency; shares, ownership and NAV are TEXT
--     canonical decimals (exact, parsed with rust_decimal), never floating point;
--   * every tenant table carries org_id, and every query filters on it.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE investors (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    name           TEXT NOT NULL,
    entity_type    TEXT NOT NULL CHECK (entity_type IN ('INDIVIDUAL','JOINT','TRUST','CORPORATION','PARTNERSHIP','IRA','FOUNDATION','OTHER')),
    tax_residence  TEXT NOT NULL,
    email          TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX investors_org ON investors (org_id, id);

CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    name         TEXT NOT NULL,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin','operator','approver','investor','auditor')),
    -- An investor user sees exactly this investor's data.
    investor_id  TEXT REFERENCES investors(id),
    created_at   TEXT NOT NULL,
    CHECK ((role = 'investor') = (investor_id IS NOT NULL))
);

-- Only the SHA-256 of a token is stored: a leaked table does not leak credentials.
CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE funds (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations(id),
    code             TEXT NOT NULL,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('OPEN_END','PARTNERSHIP')),
    currency         TEXT NOT NULL,
    share_precision  BIGINT NOT NULL CHECK (share_precision BETWEEN 0 AND 12),
    created_at       TEXT NOT NULL,
    UNIQUE (org_id, code)
);

-- Holdings history: a row per change; "as of D" is the latest row on or before D.
CREATE TABLE holdings (
    org_id       TEXT NOT NULL,
    fund_id      TEXT NOT NULL REFERENCES funds(id),
    investor_id  TEXT NOT NULL REFERENCES investors(id),
    as_of        TEXT NOT NULL,
    units        TEXT NOT NULL,
    PRIMARY KEY (fund_id, investor_id, as_of)
);
CREATE INDEX holdings_fund_date ON holdings (fund_id, as_of);

-- Partnership commitments (capital the LP agreed to contribute).
CREATE TABLE commitments (
    org_id           TEXT NOT NULL,
    fund_id          TEXT NOT NULL REFERENCES funds(id),
    investor_id      TEXT NOT NULL REFERENCES investors(id),
    committed_minor  BIGINT NOT NULL CHECK (committed_minor >= 0),
    contributed_minor BIGINT NOT NULL CHECK (contributed_minor >= 0),
    PRIMARY KEY (fund_id, investor_id)
);

CREATE TABLE nav_snapshots (
    org_id   TEXT NOT NULL,
    fund_id  TEXT NOT NULL REFERENCES funds(id),
    as_of    TEXT NOT NULL,
    nav      TEXT NOT NULL,
    source   TEXT NOT NULL,
    PRIMARY KEY (fund_id, as_of)
);

CREATE TABLE distributions (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations(id),
    fund_id            TEXT NOT NULL REFERENCES funds(id),
    kind               TEXT NOT NULL CHECK (kind IN ('REGULAR','REVERSAL','CORRECTION')),
    status             TEXT NOT NULL CHECK (status IN ('DRAFT','READY','APPROVED','PROCESSING','COMPLETED','CANCELLED')),
    currency           TEXT NOT NULL,
    declaration_date   TEXT NOT NULL,
    ex_date            TEXT,
    record_date        TEXT NOT NULL,
    payable_date       TEXT NOT NULL,
    description        TEXT NOT NULL,
    -- The allocation as requested (method, total or rate, component ratios), kept verbatim.
    allocation         TEXT NOT NULL,
    total_minor        BIGINT NOT NULL,
    line_count         BIGINT NOT NULL,
    -- Reversals and corrections point at the distribution they undo or replace.
    reverses_id        TEXT REFERENCES distributions(id),
    corrects_id        TEXT REFERENCES distributions(id),
    reason             TEXT,
    created_by         TEXT NOT NULL REFERENCES users(id),
    approved_by        TEXT REFERENCES users(id),
    approved_at        TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    -- Incremented by every change; conditional updates on it make races explicit.
    version            BIGINT NOT NULL,
    CHECK (declaration_date < record_date AND record_date < payable_date),
    -- Maker-checker, also guarded here: the maker is never the approver.
    CHECK (approved_by IS NULL OR approved_by <> created_by)
);
CREATE INDEX distributions_org_id ON distributions (org_id, id);
CREATE INDEX distributions_org_fund ON distributions (org_id, fund_id, id);
CREATE INDEX distributions_org_status ON distributions (org_id, status);

CREATE TABLE idempotency_keys (
    org_id         TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status_code    BIGINT,
    response_body  TEXT,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (org_id, idem_key)
);

CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    -- One live job per purpose (e.g. 'process:<distribution id>').
    dedupe_key    TEXT UNIQUE,
    status        TEXT NOT NULL CHECK (status IN ('QUEUED','RUNNING','DONE','DEAD')),
    attempts      BIGINT NOT NULL,
    max_attempts  BIGINT NOT NULL,
    run_at        TEXT NOT NULL,
    locked_until  TEXT,
    locked_by     TEXT,
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);

CREATE TABLE webhook_subscriptions (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    url          TEXT NOT NULL,
    secret       TEXT NOT NULL,
    event_types  TEXT NOT NULL,
    active       BIGINT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    subscription_id  TEXT NOT NULL REFERENCES webhook_subscriptions(id),
    status           TEXT NOT NULL CHECK (status IN ('PENDING','DELIVERED','DEAD')),
    attempts         BIGINT NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    response_status  BIGINT,
    delivered_at     TEXT,
    UNIQUE (event_id, subscription_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

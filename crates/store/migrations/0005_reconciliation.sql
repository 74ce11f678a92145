-- Bank reconciliation: imported statement files, their statements and lines, the matches
-- between statement lines and payments, and the matching runs.

-- One row per uploaded file. The SHA-256 of its bytes is unique per organization, so the
-- same file imported twice adds nothing (decided by the database, not by a prior SELECT).
CREATE TABLE bank_statement_files (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations(id),
    content_sha256   TEXT NOT NULL,
    format           TEXT NOT NULL,
    preset           TEXT,
    size_bytes       BIGINT NOT NULL,
    statement_count  BIGINT NOT NULL,
    line_count       BIGINT NOT NULL,
    imported_by      TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    UNIQUE (org_id, content_sha256)
);

-- One row per account statement in a file (a BAI2 file holds one per account, a CSV one per
-- currency). Balances in minor units of the statement currency.
CREATE TABLE bank_statements (
    id                       TEXT PRIMARY KEY,
    org_id                   TEXT NOT NULL REFERENCES organizations(id),
    file_id                  TEXT NOT NULL REFERENCES bank_statement_files(id),
    seq                      BIGINT NOT NULL,
    format                   TEXT NOT NULL,
    account_id               TEXT NOT NULL,
    currency                 TEXT NOT NULL,
    reference                TEXT,
    statement_number         TEXT,
    statement_date           TEXT,
    from_date                TEXT,
    to_date                  TEXT,
    opening_balance_minor    BIGINT,
    closing_balance_minor    BIGINT,
    available_balance_minor  BIGINT,
    line_count               BIGINT NOT NULL,
    debit_total_minor        BIGINT NOT NULL,
    credit_total_minor       BIGINT NOT NULL,
    -- JSON array of the reader's non-fatal findings.
    warnings                 TEXT NOT NULL,
    source_line              BIGINT NOT NULL,
    created_at               TEXT NOT NULL,
    UNIQUE (file_id, seq)
);
CREATE INDEX bank_statements_org ON bank_statements (org_id, id);

-- Statement lines, bulk-loaded with their statement (no foreign key for the same reason as
-- distribution_lines: a per-row trigger would dominate the load). Signed amounts: negative is
-- money leaving the account. The raw record is kept verbatim for the audit trail. The key
-- starts with org_id: every lookup carries the organization, and a key on both columns serves
-- `org_id = ? AND id IN (…)` even before the planner has statistics on freshly imported lines
-- (with a key on id alone, PostgreSQL scanned the organization's status index instead).
CREATE TABLE bank_statement_lines (
    id                    TEXT NOT NULL,
    org_id                TEXT NOT NULL,
    statement_id          TEXT NOT NULL,
    seq                   BIGINT NOT NULL,
    account_id            TEXT NOT NULL,
    currency              TEXT NOT NULL,
    amount_minor          BIGINT NOT NULL,
    value_date            TEXT NOT NULL,
    booking_date          TEXT NOT NULL,
    bank_reference        TEXT,
    customer_reference    TEXT,
    end_to_end_id         TEXT,
    counterparty_name     TEXT,
    counterparty_account  TEXT,
    description           TEXT NOT NULL,
    type_code             TEXT NOT NULL,
    reversal              BIGINT NOT NULL,
    source_line           BIGINT NOT NULL,
    raw                   TEXT NOT NULL,
    -- OPEN: not yet seen by matching; MATCHED: in a live match; EXCEPTION: left for a human.
    status                TEXT NOT NULL CHECK (status IN ('OPEN','MATCHED','EXCEPTION')),
    exception_cause       TEXT,
    -- JSON array of suggested candidates (payment ids, score, reasons).
    candidates            TEXT,
    exception_since       TEXT,
    -- 1 once a person unmatched the line: automatic runs leave it to people from then on.
    manual_only           BIGINT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX bank_statement_lines_seq ON bank_statement_lines (statement_id, seq);
CREATE INDEX bank_statement_lines_org_status ON bank_statement_lines (org_id, status, value_date);
CREATE INDEX bank_statement_lines_org_account ON bank_statement_lines (org_id, account_id, value_date);

-- One row per matching run (automatic after an import, or on demand).
CREATE TABLE reconciliation_runs (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organizations(id),
    trigger_kind         TEXT NOT NULL,
    actor_id             TEXT NOT NULL,
    lines_considered     BIGINT NOT NULL,
    payments_considered  BIGINT NOT NULL,
    matched              BIGINT NOT NULL,
    returned             BIGINT NOT NULL,
    exceptions           BIGINT NOT NULL,
    started_at           TEXT NOT NULL,
    finished_at          TEXT NOT NULL
);
CREATE INDEX reconciliation_runs_org ON reconciliation_runs (org_id, id);

-- A decision: statement line(s) <-> payment(s). Undone matches stay (live = 0) for history.
CREATE TABLE reconciliation_matches (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    run_id        TEXT,
    kind          TEXT NOT NULL CHECK (kind IN ('AUTO','MANUAL')),
    outcome       TEXT NOT NULL CHECK (outcome IN ('CLEARED','RETURNED')),
    score         BIGINT,
    -- JSON array of reasons (auto) or the operator's note (manual).
    reasons       TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    currency      TEXT NOT NULL,
    amount_minor  BIGINT NOT NULL,
    value_date    TEXT NOT NULL,
    live          BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    undone_by     TEXT,
    undone_at     TEXT,
    undo_reason   TEXT
);
CREATE INDEX reconciliation_matches_org ON reconciliation_matches (org_id, account_id, value_date);

CREATE TABLE reconciliation_match_lines (
    match_id  TEXT NOT NULL REFERENCES reconciliation_matches(id),
    line_id   TEXT NOT NULL,
    org_id    TEXT NOT NULL,
    live      BIGINT NOT NULL,
    PRIMARY KEY (match_id, line_id)
);
-- A statement line is in at most one live match.
CREATE UNIQUE INDEX reconciliation_one_live_match_per_line ON reconciliation_match_lines (line_id) WHERE live = 1;

CREATE TABLE reconciliation_match_payments (
    match_id      TEXT NOT NULL REFERENCES reconciliation_matches(id),
    payment_id    TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    live          BIGINT NOT NULL,
    -- The payment's status when matched: an unmatch only reopens what this match changed.
    prior_status  TEXT NOT NULL,
    PRIMARY KEY (match_id, payment_id)
);
-- A payment is cleared by at most one live match (and returned by at most one).
CREATE UNIQUE INDEX reconciliation_one_live_outcome_per_payment ON reconciliation_match_payments (payment_id, outcome) WHERE live = 1;
CREATE INDEX reconciliation_match_payments_payment ON reconciliation_match_payments (payment_id);

-- One row per organization, updated first by every run: runs of one organization queue on
-- this row instead of racing (SQLite serializes writers anyway; PostgreSQL locks the row).
CREATE TABLE reconciliation_locks (
    org_id  TEXT PRIMARY KEY,
    runs    BIGINT NOT NULL
);

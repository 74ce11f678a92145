-- Payments: one per line's cash portion (money OUT to an investor; never a debit).
-- Reconciliation matches statement lines against these rows (trace number, end-to-end id,
-- check number, batch id, amount, expected date, payee name).
CREATE TABLE payments (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations(id),
    distribution_id    TEXT NOT NULL REFERENCES distributions(id),
    investor_id        TEXT NOT NULL REFERENCES investors(id),
    method             TEXT NOT NULL CHECK (method IN ('ACH','WIRE','CHECK')),
    status             TEXT NOT NULL CHECK (status IN ('PENDING','PROCESSING','SENT','COMPLETED','FAILED','RETURNED','CANCELLED')),
    -- Amount in the payment currency (minor units of that currency), always positive.
    currency           TEXT NOT NULL,
    amount_minor       BIGINT NOT NULL CHECK (amount_minor > 0),
    -- The same money in the distribution's currency (equal when no FX is involved).
    fund_amount_minor  BIGINT NOT NULL CHECK (fund_amount_minor > 0),
    payee_name         TEXT NOT NULL,
    -- References the bank echoes back on statements.
    trace_number       TEXT,
    end_to_end_id      TEXT,
    check_number       TEXT,
    -- ACH batch (or payment file) the payment went out in; banks often post a batch as one debit.
    batch_id           TEXT,
    -- Day the debit is expected on the bank statement (ACH effective date, wire value date, check issue date).
    expected_date      TEXT NOT NULL,
    -- Bank value date once reconciled (COMPLETED), and the return reason once RETURNED/FAILED.
    cleared_date       TEXT,
    failure_code       TEXT,
    failure_reason     TEXT,
    -- Retries of the same line: attempt 1, 2, … (each a row; only one live at a time).
    attempt            BIGINT NOT NULL DEFAULT 1,
    retry_of           TEXT REFERENCES payments(id),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1
);
-- At most one live payment per line, enforced by the database: a crash-and-retry can never
-- pay a line twice.
CREATE UNIQUE INDEX payments_one_live_per_line ON payments (distribution_id, investor_id)
    WHERE status NOT IN ('FAILED','RETURNED','CANCELLED');
CREATE INDEX payments_org_distribution ON payments (org_id, distribution_id, id);
CREATE INDEX payments_org_status ON payments (org_id, status, expected_date);
CREATE INDEX payments_trace ON payments (trace_number);

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
    -- Payee the payment was instructed to (NULL when the investor had no usable payee).
    bank_account_id    TEXT,
    -- FX: units of the payment currency per one unit of the fund currency, its source and
    -- timestamp, as used for this payment (NULL when both currencies are the same).
    fx_rate            TEXT,
    fx_source          TEXT,
    fx_as_of           TEXT,
    -- Provider connector used (MODERN_TREASURY, STRIPE) and its id for the payment; the
    -- idempotency key sent to it is the payment id, so a re-run never pays twice.
    provider           TEXT,
    provider_ref       TEXT,
    -- Set while the payment must not be sent (e.g. bank details changed after it was instructed).
    hold_reason        TEXT,
    -- Set while the payment waits for a person (no payee, retries exhausted, bad account…).
    review_reason      TEXT,
    -- Stale-dated checks: the money is owed but unclaimed (escheatment queue).
    unclaimed          BIGINT NOT NULL DEFAULT 0,
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
-- Per-line lookups (latest attempt, live payment, line status) by the processing step and
-- retries; the partial unique index above cannot serve queries that do not repeat its WHERE.
CREATE INDEX payments_line ON payments (distribution_id, investor_id, attempt);
CREATE INDEX payments_investor ON payments (org_id, investor_id, status);
CREATE INDEX payments_retry_of ON payments (retry_of) WHERE retry_of IS NOT NULL;
-- Sparse columns get partial indexes: rows without a value cost nothing when a batch of
-- 100,000 payments is marked SENT (measured: a fifth of that UPDATE on PostgreSQL).
CREATE INDEX payments_end_to_end ON payments (end_to_end_id) WHERE end_to_end_id IS NOT NULL;
CREATE INDEX payments_batch ON payments (batch_id);
CREATE UNIQUE INDEX payments_provider_ref ON payments (provider, provider_ref) WHERE provider_ref IS NOT NULL;
CREATE UNIQUE INDEX payments_check_number ON payments (org_id, check_number) WHERE check_number IS NOT NULL;
CREATE INDEX payments_review ON payments (org_id, review_reason) WHERE review_reason IS NOT NULL;

-- Number series handed out in blocks (check numbers per organization, ACH trace sequences per
-- ODFI for the whole installation): one row update instead of a MAX over all payments.
CREATE TABLE payment_sequences (
    scope       TEXT NOT NULL,
    name        TEXT NOT NULL,
    next_value  BIGINT NOT NULL,
    PRIMARY KEY (scope, name)
);

-- Scratch rows of one hand-over to a rail (each payment's reference), loaded and deleted in the
-- same transaction: one bulk load and one indexed UPDATE instead of a statement per payment.
CREATE TABLE payment_handover (
    batch_id    TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    reference   TEXT NOT NULL,
    PRIMARY KEY (batch_id, payment_id)
);

-- Every status change and failure of a payment, with the attempt number and the reason.
CREATE TABLE payment_events (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    payment_id   TEXT NOT NULL REFERENCES payments(id),
    attempt      BIGINT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    code         TEXT,
    reason       TEXT,
    at           TEXT NOT NULL
);
CREATE INDEX payment_events_payment ON payment_events (payment_id, at);

-- Payees: where an investor is paid. Account numbers and IBANs are AES-256-GCM ciphertext
-- ('<key id>:<hex nonce+ciphertext>'); only their last four characters are kept in clear.
CREATE TABLE bank_accounts (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations(id),
    investor_id        TEXT NOT NULL REFERENCES investors(id),
    method             TEXT NOT NULL CHECK (method IN ('ACH','WIRE','CHECK')),
    status             TEXT NOT NULL CHECK (status IN ('PENDING_VERIFICATION','VERIFIED','DISABLED')),
    is_default         BIGINT NOT NULL DEFAULT 0,
    holder_name        TEXT NOT NULL,
    currency           TEXT NOT NULL,
    routing_number     TEXT,
    account_type       TEXT CHECK (account_type IN ('CHECKING','SAVINGS')),
    account_enc        TEXT,
    account_key_id     TEXT,
    account_last4      TEXT,
    bic                TEXT,
    bank_name          TEXT,
    bank_address       TEXT,
    -- Payee's postal address (wire beneficiary, check mailing address), JSON.
    address            TEXT,
    verification_method TEXT,
    micro_deposit_1    BIGINT,
    micro_deposit_2    BIGINT,
    verify_attempts    BIGINT NOT NULL DEFAULT 0,
    verified_at        TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX bank_accounts_investor ON bank_accounts (org_id, investor_id, id);
-- One default payee per investor.
CREATE UNIQUE INDEX bank_accounts_one_default ON bank_accounts (investor_id) WHERE is_default = 1;

-- Files handed to the bank (NACHA, pain.001, check register) and provider submissions. The
-- file itself carries account numbers, so it is stored encrypted like them.
CREATE TABLE payment_batches (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    kind           TEXT NOT NULL CHECK (kind IN ('NACHA','PAIN001','CHECK_REGISTER','PROVIDER','MICRO_DEPOSIT')),
    distribution_id TEXT,
    status         TEXT NOT NULL,
    payment_count  BIGINT NOT NULL,
    total_minor    BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    effective_date TEXT NOT NULL,
    file_name      TEXT,
    file_enc       TEXT,
    file_key_id    TEXT,
    file_sha256    TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX payment_batches_org ON payment_batches (org_id, id);

-- Rates for paying investors in another currency: rate = units of quote per unit of base.
CREATE TABLE fx_rates (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    base        TEXT NOT NULL,
    quote       TEXT NOT NULL,
    rate        TEXT NOT NULL,
    source      TEXT NOT NULL,
    as_of       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (org_id, base, quote, as_of, source)
);
CREATE INDEX fx_rates_pair ON fx_rates (org_id, base, quote, as_of);

-- Provider webhook deliveries already applied: a replayed delivery changes nothing.
CREATE TABLE provider_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (provider, event_id)
);

-- Notifications of change (NACHA COR): a correction the RDFI suggests for a payee; an operator
-- accepts or rejects it. Corrected account numbers are encrypted like the accounts.
CREATE TABLE payee_change_suggestions (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations(id),
    bank_account_id  TEXT NOT NULL REFERENCES bank_accounts(id),
    payment_id       TEXT REFERENCES payments(id),
    change_code      TEXT NOT NULL,
    routing_number   TEXT,
    account_enc      TEXT,
    account_key_id   TEXT,
    account_last4    TEXT,
    account_type     TEXT,
    status           TEXT NOT NULL CHECK (status IN ('OPEN','ACCEPTED','REJECTED')),
    created_at       TEXT NOT NULL,
    decided_at       TEXT,
    decided_by       TEXT
);
CREATE INDEX payee_change_suggestions_org ON payee_change_suggestions (org_id, status, id);

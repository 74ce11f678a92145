-- Recovering money after a reversal (issue 14 item 5). A reversed line whose cash already
-- left becomes a receivable of its investor; recoveries (offsets against later
-- distributions, hand-recorded wires and checks, ACH reversing entries) reduce it.
CREATE TABLE receivables (
    id                        TEXT PRIMARY KEY,
    org_id                    TEXT NOT NULL REFERENCES organizations(id),
    investor_id               TEXT NOT NULL REFERENCES investors(id),
    original_distribution_id  TEXT NOT NULL REFERENCES distributions(id),
    reversal_distribution_id  TEXT NOT NULL REFERENCES distributions(id),
    -- The original line's payment that left (NULL when the line was settled by an offset).
    original_payment_id       TEXT REFERENCES payments(id),
    -- Fund (distribution) currency, minor units.
    currency                  TEXT NOT NULL,
    amount_minor              BIGINT NOT NULL CHECK (amount_minor > 0),
    outstanding_minor         BIGINT NOT NULL CHECK (outstanding_minor >= 0 AND outstanding_minor <= amount_minor),
    -- Money on its way back (an ACH reversing entry sent, not yet settled).
    expected_minor            BIGINT NOT NULL DEFAULT 0 CHECK (expected_minor >= 0),
    written_off_minor         BIGINT NOT NULL DEFAULT 0 CHECK (written_off_minor >= 0),
    status                    TEXT NOT NULL CHECK (status IN ('OPEN','PARTIALLY_RECOVERED','RECOVERING','RECOVERED','WRITTEN_OFF')),
    method                    TEXT NOT NULL CHECK (method IN ('OFFSET','ACH_REVERSAL','WIRE','CHECK')),
    write_off_reason          TEXT,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL,
    version                   BIGINT NOT NULL DEFAULT 1,
    -- One receivable per reversed line: re-running a reversal's processing never doubles it.
    UNIQUE (reversal_distribution_id, investor_id)
);
CREATE INDEX receivables_org_investor ON receivables (org_id, investor_id, status);
CREATE INDEX receivables_org_status ON receivables (org_id, status, id);

CREATE TABLE receivable_recoveries (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations(id),
    receivable_id    TEXT NOT NULL REFERENCES receivables(id),
    investor_id      TEXT NOT NULL,
    -- RETURNED: the original payment itself came back (bank return), nothing more is owed.
    method           TEXT NOT NULL CHECK (method IN ('OFFSET','ACH_REVERSAL','WIRE','CHECK','RETURNED')),
    -- EXPECTED: sent for (ACH reversal), not yet seen on the bank statement.
    status           TEXT NOT NULL CHECK (status IN ('EXPECTED','RECEIVED')),
    amount_minor     BIGINT NOT NULL CHECK (amount_minor > 0),
    -- OFFSET: the later distribution whose line was reduced.
    distribution_id  TEXT,
    received_date    TEXT,
    reference        TEXT,
    -- ACH_REVERSAL: the reversing entry's trace number and file.
    trace_number     TEXT,
    file_id          TEXT,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX receivable_recoveries_receivable ON receivable_recoveries (receivable_id, id);
-- Every matching run looks for recoveries still EXPECTED.
CREATE INDEX receivable_recoveries_status ON receivable_recoveries (org_id, status);
-- An offset is taken from a line once.
CREATE UNIQUE INDEX receivable_recoveries_offset_once ON receivable_recoveries (receivable_id, distribution_id)
    WHERE distribution_id IS NOT NULL;

-- ACH reversing-entry files, with their File ID Modifier allocated per organization and
-- creation day (A–Z then 0–9, never reused that day).
CREATE TABLE recovery_files (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations(id),
    receivable_id   TEXT NOT NULL REFERENCES receivables(id),
    creation_date   TEXT NOT NULL,
    file_id_modifier TEXT NOT NULL,
    effective_date  TEXT NOT NULL,
    reason          TEXT NOT NULL,
    total_minor     BIGINT NOT NULL,
    file_name       TEXT NOT NULL,
    file_enc        TEXT NOT NULL,
    file_key_id     TEXT NOT NULL,
    file_sha256     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (org_id, creation_date, file_id_modifier)
);

-- Lines: the part of a line's cash settled by offsetting a receivable (the payment carries
-- cash − offset), and on a reversal line the receivable it became.
ALTER TABLE distribution_lines ADD COLUMN offset_minor BIGINT;
ALTER TABLE distribution_lines ADD COLUMN receivable_id TEXT;

-- pain.002 payment status reports (issue 15): the bank's answer to our pain.001, stored once
-- per organization (the file's SHA-256 is unique, so a replay adds nothing), with what each
-- reported transaction did to our payment: APPLIED (failed or settled through the settlement
-- path), RECORDED (accepted / pending: noted in the payment's history, status unchanged),
-- UNCHANGED (the payment already had that outcome) or UNMATCHED (unknown end-to-end id, an
-- amount or currency that disagrees, or a status the payment can no longer take).
CREATE TABLE payment_status_reports (
    id                     TEXT PRIMARY KEY,
    org_id                 TEXT NOT NULL REFERENCES organizations(id),
    content_sha256         TEXT NOT NULL,
    message_id             TEXT NOT NULL,
    original_message_id    TEXT NOT NULL,
    original_message_name  TEXT,
    group_status           TEXT,
    transaction_count      BIGINT NOT NULL,
    applied_count          BIGINT NOT NULL,
    recorded_count         BIGINT NOT NULL,
    unchanged_count        BIGINT NOT NULL,
    unmatched_count        BIGINT NOT NULL,
    imported_by            TEXT NOT NULL,
    created_at             TEXT NOT NULL,
    UNIQUE (org_id, content_sha256)
);

CREATE TABLE payment_status_report_items (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL,
    report_id        TEXT NOT NULL REFERENCES payment_status_reports(id),
    seq              BIGINT NOT NULL,
    end_to_end_id    TEXT,
    instruction_id   TEXT,
    status           TEXT,
    reason_code      TEXT,
    reason_text      TEXT,
    payment_id       TEXT REFERENCES payments(id),
    outcome          TEXT NOT NULL CHECK (outcome IN ('APPLIED','RECORDED','UNCHANGED','UNMATCHED')),
    detail           TEXT,
    source_line      BIGINT NOT NULL
);
CREATE INDEX payment_status_report_items_report ON payment_status_report_items (report_id, seq);
CREATE INDEX payment_status_report_items_payment ON payment_status_report_items (payment_id);

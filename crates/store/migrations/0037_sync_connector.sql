-- Administrator sync, the REST connector and outbound files (issue 21).

-- Per organization and connector: where the change feed was read up to (a pull resumes from
-- it; a crash mid-pull re-reads from the last page applied) and how the last run went.
CREATE TABLE sync_connector_state (
    org_id          TEXT NOT NULL REFERENCES organizations(id),
    connector       TEXT NOT NULL,
    cursor          TEXT,
    last_run_at     TEXT,
    last_success_at TEXT,
    last_error      TEXT,
    records_pulled  BIGINT NOT NULL DEFAULT 0,
    pushed          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, connector)
);

-- The last push of each distribution: the fingerprint of what was sent and the key it was
-- sent with. `seen_at` is when its content was read, so a change committed during the push
-- is newer than it and is pushed again.
CREATE TABLE sync_pushes (
    org_id          TEXT NOT NULL REFERENCES organizations(id),
    connector       TEXT NOT NULL,
    distribution_id TEXT NOT NULL REFERENCES distributions(id),
    fingerprint     TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    receipt_id      TEXT NOT NULL,
    seen_at         TEXT NOT NULL,
    pushed_at       TEXT NOT NULL,
    PRIMARY KEY (org_id, connector, distribution_id)
);

-- Outbound files in the administrator's layout, one kind per file. `watermark` is when the
-- export read its records; the next export of the kind reads changes from a little before it
-- and drops the records whose exported content is unchanged (sync_export_marks).
CREATE TABLE sync_exports (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    kind        TEXT NOT NULL CHECK (kind IN ('DISTRIBUTIONS','LINES','PAYMENTS')),
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    content     TEXT NOT NULL,
    row_count   BIGINT NOT NULL,
    since       TEXT,
    watermark   TEXT NOT NULL,
    trigger_kind TEXT NOT NULL CHECK (trigger_kind IN ('API','SCHEDULE')),
    written_to  TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX sync_exports_org ON sync_exports (org_id, id);
CREATE INDEX sync_exports_kind ON sync_exports (org_id, kind, created_at);

-- The fingerprint of each record's row as last exported: never the same row twice.
CREATE TABLE sync_export_marks (
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    kind        TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    export_id   TEXT NOT NULL REFERENCES sync_exports(id),
    PRIMARY KEY (org_id, kind, record_id)
);

-- Investor documents (distribution notices, statements, tax summaries), each rendering stored
-- once per version: generating again with the same content hash returns the stored version;
-- different content (a correction) becomes the next version. `subject_key` is the
-- distribution id, the period 'YYYY-MM-DD..YYYY-MM-DD' or the year. BYTEA holds the file on
-- PostgreSQL; SQLite keeps the bound BLOB as it is (a BLOB is never converted by affinity).
CREATE TABLE documents (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    investor_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject_key  TEXT NOT NULL,
    format       TEXT NOT NULL,
    version      BIGINT NOT NULL CHECK (version >= 1),
    content_hash TEXT NOT NULL,
    bytes        BYTEA NOT NULL,
    size         BIGINT NOT NULL,
    locale       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    UNIQUE (org_id, investor_id, kind, subject_key, format, version)
);
CREATE INDEX documents_by_investor ON documents (org_id, investor_id, id);

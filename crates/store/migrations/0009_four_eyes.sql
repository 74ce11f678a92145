-- Issue 13: idempotency keys belong to the caller, and four eyes see every change.

-- A key is scoped by organization AND user: another user sending the same key runs as their
-- own fresh request and can never be answered with someone else's saved response. (Rows
-- saved before this hashed no caller, so a retry across the upgrade is refused, never run
-- twice.) Recreated because SQLite cannot change a primary key in place.
CREATE TABLE idempotency_keys_0009 (
    org_id         TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status_code    BIGINT,
    response_body  TEXT,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id, idem_key)
);
INSERT INTO idempotency_keys_0009 (org_id, user_id, idem_key, request_hash, status_code, response_body, created_at)
    SELECT org_id, user_id, idem_key, request_hash, status_code, response_body, created_at FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_0009 RENAME TO idempotency_keys;

-- Everyone who wrote a distribution's content (its creator, and whoever edited its header or
-- lines since): none of them may approve it. Maker-checker on created_by alone let a second
-- user rewrite a draft and approve their own content.
CREATE TABLE distribution_editors (
    org_id           TEXT NOT NULL,
    distribution_id  TEXT NOT NULL REFERENCES distributions (id),
    user_id          TEXT NOT NULL,
    first_edit_at    TEXT NOT NULL,
    PRIMARY KEY (distribution_id, user_id)
);
INSERT INTO distribution_editors (org_id, distribution_id, user_id, first_edit_at)
    SELECT org_id, id, created_by, created_at FROM distributions;

-- A manual reconciliation match above the four-eyes amount waits here for a second user with
-- the Approve permission; approving it makes the match (checked again then).
CREATE TABLE match_requests (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL,
    line_ids      TEXT NOT NULL,
    payment_ids   TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    note          TEXT,
    currency      TEXT NOT NULL,
    amount_minor  BIGINT NOT NULL,
    status        TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    approved_by   TEXT,
    match_id      TEXT,
    created_at    TEXT NOT NULL,
    decided_at    TEXT,
    CHECK (status IN ('PENDING', 'APPROVED')),
    CHECK (approved_by IS NULL OR approved_by <> requested_by)
);
CREATE INDEX match_requests_org ON match_requests (org_id, id);

-- Fund-administrator sync (issue 21): who owns each domain per organization, every file
-- received with its report, and the conflicts opened by changes from the side that does not
-- own a domain (both values kept until someone resolves them).

-- A missing row means the default owner (NAV and HOLDINGS: ADMINISTRATOR, else CLEARWAY).
CREATE TABLE sync_ownership (
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    domain      TEXT NOT NULL CHECK (domain IN ('NAV','HOLDINGS','SCHEDULES','ELECTIONS','BANK_DETAILS')),
    owner       TEXT NOT NULL CHECK (owner IN ('CLEARWAY','ADMINISTRATOR')),
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, domain)
);

-- Every file received (dry runs and duplicates too), with its report: errors and changes
-- are JSON arrays (changes capped, changes_truncated says so).
CREATE TABLE sync_files (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations(id),
    kind               TEXT NOT NULL CHECK (kind IN ('NAVS','HOLDINGS','SCHEDULES','PREFERENCES')),
    file_name          TEXT NOT NULL,
    sha256             TEXT NOT NULL,
    source             TEXT NOT NULL CHECK (source IN ('UPLOAD','DROP','API')),
    status             TEXT NOT NULL CHECK (status IN ('APPLIED','REFUSED','DUPLICATE','DRY_RUN')),
    rows_total         BIGINT NOT NULL,
    rows_applied       BIGINT NOT NULL,
    rows_unchanged     BIGINT NOT NULL,
    conflicts_opened   BIGINT NOT NULL,
    errors             TEXT NOT NULL,
    changes            TEXT NOT NULL,
    changes_truncated  BIGINT NOT NULL,
    received_by        TEXT NOT NULL,
    received_at        TEXT NOT NULL
);
CREATE INDEX sync_files_org ON sync_files (org_id, received_at, id);
-- Each content imported once per organization: a second import of the same bytes, even by a
-- racing process, fails this index and is reported DUPLICATE.
CREATE UNIQUE INDEX sync_files_once ON sync_files (org_id, sha256) WHERE status IN ('APPLIED','REFUSED');

CREATE TABLE sync_conflicts (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations(id),
    domain          TEXT NOT NULL CHECK (domain IN ('NAV','HOLDINGS','SCHEDULES','ELECTIONS','BANK_DETAILS')),
    entity_id       TEXT NOT NULL,
    label           TEXT NOT NULL,
    field           TEXT NOT NULL,
    ours            TEXT,
    theirs          TEXT NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('UPLOAD','DROP','API')),
    file_id         TEXT REFERENCES sync_files(id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('OPEN','RESOLVED')),
    resolution      TEXT CHECK (resolution IN ('TAKE_OURS','TAKE_THEIRS','EDIT')),
    resolved_value  TEXT,
    resolved_by     TEXT,
    resolved_at     TEXT
);
-- One open conflict per entity and field: a newer "theirs" updates it.
CREATE UNIQUE INDEX sync_conflicts_open ON sync_conflicts (org_id, domain, entity_id, field) WHERE status = 'OPEN';
CREATE INDEX sync_conflicts_list ON sync_conflicts (org_id, status, created_at, id);

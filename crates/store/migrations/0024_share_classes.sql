-- Share classes of open-end funds (issue 17): A, I, R… each with its own NAV series
-- (nav_snapshots.share_class, since 0004), holdings and distributions. Every fund has the
-- class DEFAULT implicitly (no row): what existed before classes, and what a fund without
-- classes keeps using. Rows here are the classes added beside it; DEFAULT is never a row.
CREATE TABLE share_classes (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    fund_id     TEXT NOT NULL REFERENCES funds(id),
    code        TEXT NOT NULL CHECK (code <> 'DEFAULT'),
    name        TEXT NOT NULL,
    -- The fund's currency, copied so that a class row says what its NAV and amounts are in.
    currency    TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL,
    UNIQUE (fund_id, code)
);
CREATE INDEX share_classes_org_fund ON share_classes (org_id, fund_id, code);

-- A distribution is of one class (DEFAULT for every existing one). "All classes" in one
-- request creates one distribution per class, sharing class_group_id (NULL otherwise).
ALTER TABLE distributions ADD COLUMN share_class TEXT NOT NULL DEFAULT 'DEFAULT';
ALTER TABLE distributions ADD COLUMN class_group_id TEXT;
CREATE INDEX distributions_class_group ON distributions (org_id, class_group_id);

-- Holdings without per-row foreign keys (PostgreSQL: migrations/postgres/0008_reinvestment_writes.sql).
-- The reinvestment step writes a holdings row for every line that buys shares (60,000 rows
-- for a 100,000-line distribution); checking two parents per row was the largest part of
-- that insert on PostgreSQL. Every writer checks its fund and investors against the
-- organization instead (store::funds::record_holdings; the step only writes investors of the
-- distribution's own lines, into funds it read in the organization), which foreign keys never
-- did: they accepted another organization's investor.
-- WITHOUT ROWID: the primary key is the table, so a row costs one B-tree insert, not two.
-- SQLite cannot drop a constraint in place: the table is rebuilt (create, copy, drop, rename).
CREATE TABLE holdings_v2 (
    org_id       TEXT NOT NULL,
    fund_id      TEXT NOT NULL,
    investor_id  TEXT NOT NULL,
    as_of        TEXT NOT NULL,
    units        TEXT NOT NULL,
    PRIMARY KEY (fund_id, investor_id, as_of)
) WITHOUT ROWID;
INSERT INTO holdings_v2 (org_id, fund_id, investor_id, as_of, units)
    SELECT org_id, fund_id, investor_id, as_of, units FROM holdings;
DROP TABLE holdings;
ALTER TABLE holdings_v2 RENAME TO holdings;
CREATE INDEX holdings_fund_date ON holdings (fund_id, as_of);

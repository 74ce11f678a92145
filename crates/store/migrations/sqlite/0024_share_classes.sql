-- Holdings gain a share class, part of the key (after the fund, so that one class's history
-- is one range of the key, as the reads walk it). Existing rows are the DEFAULT class.
-- SQLite cannot change a primary key in place: the table is rebuilt (create, copy, drop,
-- rename), WITHOUT ROWID as 0008 made it.
CREATE TABLE holdings_v3 (
    org_id       TEXT NOT NULL,
    fund_id      TEXT NOT NULL,
    share_class  TEXT NOT NULL DEFAULT 'DEFAULT',
    investor_id  TEXT NOT NULL,
    as_of        TEXT NOT NULL,
    units        TEXT NOT NULL,
    PRIMARY KEY (fund_id, share_class, investor_id, as_of)
) WITHOUT ROWID;
INSERT INTO holdings_v3 (org_id, fund_id, share_class, investor_id, as_of, units)
    SELECT org_id, fund_id, 'DEFAULT', investor_id, as_of, units FROM holdings;
DROP TABLE holdings;
ALTER TABLE holdings_v3 RENAME TO holdings;
CREATE INDEX holdings_fund_date ON holdings (fund_id, share_class, as_of);

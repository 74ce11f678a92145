-- Holdings gain a share class, part of the key (after the fund, so that one class's history
-- is one range of the key, as the reads walk it). Existing rows are the DEFAULT class.
ALTER TABLE holdings ADD COLUMN share_class TEXT COLLATE "C" NOT NULL DEFAULT 'DEFAULT';
ALTER TABLE holdings DROP CONSTRAINT holdings_pkey;
ALTER TABLE holdings ADD PRIMARY KEY (fund_id, share_class, investor_id, as_of);
DROP INDEX holdings_fund_date;
CREATE INDEX holdings_fund_date ON holdings (fund_id, share_class, as_of);

-- Stale allocations (issue 14): a distribution planned from record-date holdings keeps the
-- fingerprint of those holdings (core::distribution::fingerprint; NULL for explicit lines,
-- reversals and distributions planned before this migration), so approve and process can
-- refuse it once they changed. stale_reason is set by whatever changed them (a processing,
-- a holdings import) and cleared when the lines are planned again: a cheap flag for lists;
-- the fingerprint is still checked at approve and process.
ALTER TABLE distributions ADD COLUMN holdings_fingerprint TEXT;
ALTER TABLE distributions ADD COLUMN stale_reason TEXT;

-- Holders with units on the record date that got no line (too small for one minor unit):
-- the lines keep the units of everyone else, so together they say what the holdings were.
CREATE TABLE distribution_unlined_holdings (
    distribution_id  TEXT NOT NULL REFERENCES distributions(id),
    org_id           TEXT NOT NULL,
    investor_id      TEXT NOT NULL,
    units            TEXT NOT NULL,
    PRIMARY KEY (distribution_id, investor_id)
);

-- The flag's reader: open distributions of a fund by record date.
CREATE INDEX distributions_open_record ON distributions (org_id, fund_id, record_date);

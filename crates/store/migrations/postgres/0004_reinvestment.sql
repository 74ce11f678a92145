-- PostgreSQL only, like 0001's collation change on distribution_lines: ids are ASCII (UUIDs),
-- so compare them bytewise here too. Beyond speed this matters for plans: a join between
-- distribution_lines (COLLATE "C") and these tables on investor_id can only probe an index
-- whose collation matches; with the database default collation, settling 10,000 lines from
-- their reinvestments took 12 s (a nested loop re-scanning reinvestments) instead of 76 ms.
ALTER TABLE reinvestments
    ALTER COLUMN distribution_id TYPE TEXT COLLATE "C",
    ALTER COLUMN investor_id TYPE TEXT COLLATE "C",
    ALTER COLUMN org_id TYPE TEXT COLLATE "C",
    ALTER COLUMN source_fund_id TYPE TEXT COLLATE "C",
    ALTER COLUMN fund_id TYPE TEXT COLLATE "C",
    ALTER COLUMN lot_id TYPE TEXT COLLATE "C",
    ALTER COLUMN reverses_distribution_id TYPE TEXT COLLATE "C";
ALTER TABLE position_lots
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN org_id TYPE TEXT COLLATE "C",
    ALTER COLUMN fund_id TYPE TEXT COLLATE "C",
    ALTER COLUMN investor_id TYPE TEXT COLLATE "C",
    ALTER COLUMN source_distribution_id TYPE TEXT COLLATE "C";
ALTER TABLE lot_adjustments
    ALTER COLUMN distribution_id TYPE TEXT COLLATE "C",
    ALTER COLUMN lot_id TYPE TEXT COLLATE "C",
    ALTER COLUMN org_id TYPE TEXT COLLATE "C",
    ALTER COLUMN fund_id TYPE TEXT COLLATE "C",
    ALTER COLUMN investor_id TYPE TEXT COLLATE "C";
ALTER TABLE roc_applications
    ALTER COLUMN distribution_id TYPE TEXT COLLATE "C",
    ALTER COLUMN investor_id TYPE TEXT COLLATE "C",
    ALTER COLUMN org_id TYPE TEXT COLLATE "C",
    ALTER COLUMN fund_id TYPE TEXT COLLATE "C";

-- Final line statuses after a reversal and an offset (SQLite: sqlite/0015_recovery.sql):
-- RECEIVABLE (a reversal line whose cash had left: see receivable_id), NOTHING_OWED (a
-- reversal line whose cash never left), OFFSET (a line whose whole cash settled a receivable).
ALTER TABLE distribution_lines DROP CONSTRAINT distribution_lines_status_check;
ALTER TABLE distribution_lines ADD CONSTRAINT distribution_lines_status_check
    CHECK (status IN ('PENDING','PAYMENT_INITIATED','PAID','REINVESTED','FAILED','RECEIVABLE','NOTHING_OWED','OFFSET'));

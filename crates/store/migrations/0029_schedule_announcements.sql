-- When the engine's tick announced an occurrence (the `schedule.upcoming` event): set once, by
-- a conditional update in the event's transaction, so two processes or a restart announce it
-- once.
ALTER TABLE schedule_occurrences ADD COLUMN announced_at TEXT;

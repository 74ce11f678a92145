-- Scale-out (issue 21): named leases for the tasks that must run in one process at a time
-- (outbox relay, schedule tick, notification engine) when several `clearway serve` processes
-- share one database. A holder renews its lease well within its time to live; a killed holder's
-- lease runs out and another process takes it over. `fence` grows by one at every change of
-- holder, so work stamped with an older fence can be told apart.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    fence       BIGINT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

-- Event streams (issue 21): outbox events still to publish to each configured stream sink
-- (`nats`, `kafka`). A row is written in the transaction that fans the event out to webhooks
-- and marks it dispatched, so every event is enrolled exactly once whatever order the
-- writing transactions commit in (a high-water mark over `seq` would skip an event whose
-- sequence value was taken before a later one's but committed after it). A row is deleted
-- in the transaction that records the broker's acknowledgement; a crash in between
-- publishes it again (at least once).
CREATE TABLE stream_pending (
    sink        TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    enqueued_at TEXT NOT NULL,
    PRIMARY KEY (sink, seq)
);

-- Per sink: when it last had events acknowledged, and how many in all (status page).
CREATE TABLE stream_sinks (
    sink              TEXT PRIMARY KEY,
    published         BIGINT NOT NULL,
    last_published_at TEXT NOT NULL
);

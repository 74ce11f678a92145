-- The notification engine's pending set (issue 21): one row per notice event, written in the
-- event's own transaction and deleted in the transaction that finishes its fan-out. It
-- replaces the cursor over `seq` (0027), which could pass an event whose sequence value was
-- taken before a later one's but that committed after it.
CREATE TABLE notification_pending (
    event_id    TEXT PRIMARY KEY,
    enqueued_at TEXT NOT NULL
);

-- Every notice event the cursor had not passed and whose fan-out is not done.
INSERT INTO notification_pending (event_id, enqueued_at)
SELECT o.id, o.created_at FROM outbox o
WHERE o.seq > (SELECT seq FROM notification_outbox_cursor WHERE id = 1)
  AND o.event_type IN ('distribution.approved', 'distribution.completed',
      'distribution.reinvested', 'payment.sent', 'payment.completed', 'payment.failed',
      'payment.returned', 'payment.stale_dated', 'bank_account.created',
      'bank_account.changed', 'document.created', 'schedule.upcoming')
  AND NOT EXISTS (SELECT 1 FROM notification_fanouts f WHERE f.event_id = o.id AND f.status = 'done');

DROP TABLE notification_outbox_cursor;

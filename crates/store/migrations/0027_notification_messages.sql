-- The notification engine: its own cursor over the outbox, one fan-out row per event being
-- expanded into messages, and one message per (event, investor, channel, recipient role).

-- How far the engine has read the outbox (every relevant event up to `seq` is expanded). Not
-- the webhook relay's `dispatched_at`: the two progress independently.
CREATE TABLE notification_outbox_cursor (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    seq         BIGINT NOT NULL,
    updated_at  TEXT NOT NULL
);
INSERT INTO notification_outbox_cursor (id, seq, updated_at) VALUES (1, 0, '');

-- One row per outbox event being expanded, investors in id order, `cursor_investor` the last
-- one done (saved in the transaction that queued that batch).
CREATE TABLE notification_fanouts (
    event_id         TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL,
    event_seq        BIGINT NOT NULL,
    event_kind       TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('expanding','done')),
    cursor_investor  TEXT NOT NULL,
    queued           BIGINT NOT NULL,
    skipped          BIGINT NOT NULL,
    suppressed       BIGINT NOT NULL,
    in_app           BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX notification_fanouts_open ON notification_fanouts (status, event_seq);

-- status: queued, sending, sent, delivered, opened, bounced, complained, failed, dead,
-- suppressed, skipped (the core's MessageStatus spelling).
CREATE TABLE notification_messages (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    investor_id      TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('email','sms','inApp')),
    event_kind       TEXT NOT NULL,
    fund_id          TEXT,
    recipient_role   TEXT NOT NULL CHECK (recipient_role IN ('investor','previousContact')),
    address          TEXT,
    locale           TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued','sending','sent','delivered','opened','bounced','complained','failed','dead','suppressed','skipped')),
    attempts         BIGINT NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    locked_until     TEXT,
    locked_by        TEXT,
    provider_id      TEXT,
    last_error       TEXT,
    reason           TEXT,
    context          TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    sent_at          TEXT,
    -- A retry, a crash or a replayed event never queues the same notice twice.
    UNIQUE (event_id, investor_id, channel, recipient_role)
);
-- The sender's claim (due queued messages) and its in-doubt sweep (expired sending leases).
CREATE INDEX notification_messages_due ON notification_messages (status, next_attempt_at);
CREATE INDEX notification_messages_org ON notification_messages (org_id, status, id);
CREATE INDEX notification_messages_provider ON notification_messages (provider_id);

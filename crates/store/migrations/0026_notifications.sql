-- Notification contacts, preferences, suppressions and the in-app inbox.

-- A mobile number (E.164, checked on write) and the language of notices, per investor.
ALTER TABLE investors ADD COLUMN phone TEXT;
ALTER TABLE investors ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';

-- Preferences: investor_id '' is the organization's default, fund_id '' every fund. The most
-- specific row wins (investor+fund, investor, organization+fund, organization); with no row at
-- all a channel is on (email and in-app) or off (SMS, which needs consent).
CREATE TABLE notification_preferences (
    org_id      TEXT NOT NULL,
    investor_id TEXT NOT NULL,
    fund_id     TEXT NOT NULL,
    event_kind  TEXT NOT NULL,
    channel     TEXT NOT NULL,
    enabled     BIGINT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (org_id, investor_id, fund_id, event_kind, channel)
);

-- Addresses not to send to: a hard bounce or a spam complaint (email), STOP (SMS). An email
-- suppression ends when the investor's address changes; an SMS one when the number texts START.
CREATE TABLE notification_suppressions (
    org_id     TEXT NOT NULL,
    channel    TEXT NOT NULL,
    address    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, channel, address)
);

-- The in-app inbox: one notice per (event, investor), written by the engine.
CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    investor_id TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    event_kind  TEXT NOT NULL,
    fund_id     TEXT,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    link        TEXT,
    created_at  TEXT NOT NULL,
    read_at     TEXT,
    UNIQUE (event_id, investor_id)
);
CREATE INDEX notifications_inbox ON notifications (org_id, investor_id, id);

-- Webhook subscriptions that keep failing are disabled (until an admin enables them again)
-- instead of being retried forever; the count resets on every delivered event.
ALTER TABLE webhook_subscriptions ADD COLUMN consecutive_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhook_subscriptions ADD COLUMN disabled_at TEXT;

-- The audit log becomes a hash chain per organization: each entry carries its predecessor's
-- hash and its own; the organization keeps the newest (see store/src/db/audit_chain.rs).
-- Entries written before this migration are chained once, in seq order, right after it.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN entry_hash TEXT;
ALTER TABLE organizations ADD COLUMN audit_head TEXT;

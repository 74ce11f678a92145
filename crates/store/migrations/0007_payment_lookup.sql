-- The payments of one distribution in one status (the rail jobs' PENDING payments, the
-- accounts they pay): an index matching all three equalities. Without it, PostgreSQL without
-- statistics (autovacuum off, or a table that just grew) may pick (org_id, status, …) and walk
-- every PENDING payment of the organization for each distribution.
CREATE INDEX payments_distribution_status ON payments (org_id, distribution_id, status);

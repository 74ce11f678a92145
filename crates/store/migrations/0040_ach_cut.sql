-- Consolidated ACH files (issue 21): one NACHA file carries the batches of every distribution
-- cut together. Each distribution keeps its own payment batch (its entries, its total); the
-- file is stored once, on the first batch it carries, and the others point at that batch.
ALTER TABLE payment_batches ADD COLUMN file_batch_id TEXT;
CREATE INDEX payment_batches_file_batch ON payment_batches (file_batch_id);

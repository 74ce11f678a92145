-- File ID Modifiers of the ACH files we originate: A-Z then 0-9 per immediate origin and file
-- creation date, never reused that day (an ODFI rejects a second file with the same origin,
-- date and modifier as a duplicate). Installation-wide, like the trace sequences; the
-- allocation itself is the `payment_sequences` row ('*', 'ach_file_id:<origin>:<date>').
-- batch_id is the payment batch that carried the file; NULL for a file refused before storing.
CREATE TABLE ach_file_ids (
    immediate_origin TEXT NOT NULL,
    creation_date    TEXT NOT NULL,
    modifier         TEXT NOT NULL,
    org_id           TEXT NOT NULL,
    batch_id         TEXT REFERENCES payment_batches(id),
    created_at       TEXT NOT NULL,
    PRIMARY KEY (immediate_origin, creation_date, modifier)
);
CREATE INDEX ach_file_ids_batch ON ach_file_ids (batch_id);

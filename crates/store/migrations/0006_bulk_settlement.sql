-- Scratch rows of one bulk settlement (payments::settle_many), loaded and deleted in the same
-- transaction: the ids to read, then each touched payment's new values (and, on one row per
-- line, the line's new status), applied by one UPDATE … FROM each instead of a statement per
-- payment. `version` is the version read: a payment changed meanwhile is not overwritten.
CREATE TABLE payment_settlement_stage (
    stage_id         TEXT NOT NULL,
    payment_id       TEXT NOT NULL,
    version          BIGINT,
    new_version      BIGINT,
    status           TEXT,
    cleared_date     TEXT,
    failure_code     TEXT,
    failure_reason   TEXT,
    distribution_id  TEXT,
    investor_id      TEXT,
    line_status      TEXT,
    PRIMARY KEY (stage_id, payment_id)
);

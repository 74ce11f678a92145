-- Recurring distribution schedules and the drafts they created (one per schedule and period).
CREATE TABLE schedules (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    fund_id TEXT NOT NULL,
    status TEXT NOT NULL,
    frequency TEXT NOT NULL,
    calendar TEXT NOT NULL,
    roll TEXT NOT NULL,
    record_rule TEXT NOT NULL,
    record_day BIGINT,
    declaration_days BIGINT NOT NULL,
    ex_rule TEXT NOT NULL,
    payable_days BIGINT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    lead_days BIGINT NOT NULL,
    allocation TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX schedules_org ON schedules (org_id, id);
CREATE INDEX schedules_active ON schedules (status, org_id);

-- The unique (schedule_id, period) key makes materialization idempotent: a second or
-- concurrent run's insert conflicts and creates nothing.
CREATE TABLE schedule_occurrences (
    schedule_id TEXT NOT NULL,
    period TEXT NOT NULL,
    org_id TEXT NOT NULL,
    distribution_id TEXT,
    declaration_date TEXT NOT NULL,
    record_date TEXT NOT NULL,
    payable_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (schedule_id, period)
);

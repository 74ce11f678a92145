-- Completions whose forecasting (errors of stored forecasts, a fresh snapshot) is still to do
-- (issue 21): a snapshot job takes every row of its fund at once, so a burst of completions
-- shares one snapshot instead of one each. A row is taken (deleted) by exactly one job.
CREATE TABLE forecast_pending (
    org_id TEXT NOT NULL,
    fund_id TEXT NOT NULL,
    distribution_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, distribution_id)
);
CREATE INDEX forecast_pending_fund ON forecast_pending (org_id, fund_id);

-- Forecasting (issue 20): stored forecasts with their model, inputs and points; the error of
-- each stored point against the actual distribution of its period; cash on hand per fund.

-- A forecast as stored: the input series (JSON), its fingerprint, the points with their
-- bounds (JSON) and the backtest accuracy (JSON). REQUEST: stored on demand; SNAPSHOT:
-- stored after a distribution of the fund completed.
CREATE TABLE forecasts (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations(id),
    fund_id          TEXT NOT NULL REFERENCES funds(id),
    trigger_kind     TEXT NOT NULL CHECK (trigger_kind IN ('REQUEST','SNAPSHOT')),
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    currency         TEXT NOT NULL,
    frequency        TEXT NOT NULL,
    horizon          BIGINT NOT NULL CHECK (horizon BETWEEN 1 AND 120),
    requested_model  TEXT,
    model            TEXT,
    label            TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    input            TEXT NOT NULL,
    points           TEXT NOT NULL,
    accuracy         TEXT NOT NULL,
    notes            TEXT NOT NULL
);
CREATE INDEX forecasts_fund ON forecasts (org_id, fund_id, created_at, id);

-- The points again, one row each, to find the forecasts with a point in an actual's month.
CREATE TABLE forecast_points (
    forecast_id   TEXT NOT NULL REFERENCES forecasts(id),
    step          BIGINT NOT NULL,
    org_id        TEXT NOT NULL,
    fund_id       TEXT NOT NULL,
    period_month  TEXT NOT NULL,
    point_date    TEXT NOT NULL,
    per_unit      TEXT NOT NULL,
    PRIMARY KEY (forecast_id, step)
);
CREATE INDEX forecast_points_period ON forecast_points (org_id, fund_id, period_month);

-- Recorded when the actual distribution of the point's month completes (a correction
-- replaces what the corrected distribution recorded). APE is NULL when the actual is zero.
CREATE TABLE forecast_errors (
    forecast_id         TEXT NOT NULL REFERENCES forecasts(id),
    step                BIGINT NOT NULL,
    org_id              TEXT NOT NULL,
    fund_id             TEXT NOT NULL,
    model               TEXT NOT NULL,
    distribution_id     TEXT NOT NULL REFERENCES distributions(id),
    period_date         TEXT NOT NULL,
    actual_date         TEXT NOT NULL,
    predicted_per_unit  TEXT NOT NULL,
    actual_per_unit     TEXT NOT NULL,
    error               TEXT NOT NULL,
    ape                 TEXT,
    sape                TEXT,
    recorded_at         TEXT NOT NULL,
    PRIMARY KEY (forecast_id, step)
);
CREATE INDEX forecast_errors_fund ON forecast_errors (org_id, fund_id, model, actual_date);

-- Cash on hand per fund, as last entered (the history is in the audit log).
CREATE TABLE fund_cash_on_hand (
    fund_id       TEXT PRIMARY KEY REFERENCES funds(id),
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    currency      TEXT NOT NULL,
    amount_minor  BIGINT NOT NULL CHECK (amount_minor >= 0),
    as_of         TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

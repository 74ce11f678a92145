-- Private-fund capital (issue 17): commitments with partner kind and date, the fund's
-- ownership basis, capital calls and their items, contributions, recallable amounts, and
-- fund-level income/gain/loss per period with its allocation to investors.

-- Existing commitment rows (entered before this migration) are LP commitments with no date:
-- no date means "in force from the start" for ownership and contribution checks.
ALTER TABLE commitments ADD COLUMN partner_kind TEXT NOT NULL DEFAULT 'LP' CHECK (partner_kind IN ('LP','GP'));
ALTER TABLE commitments ADD COLUMN commitment_date TEXT;
ALTER TABLE funds ADD COLUMN ownership_basis TEXT NOT NULL DEFAULT 'COMMITMENT' CHECK (ownership_basis IN ('COMMITMENT','CAPITAL'));

CREATE TABLE capital_calls (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    fund_id       TEXT NOT NULL REFERENCES funds(id),
    call_date     TEXT NOT NULL,
    due_date      TEXT NOT NULL,
    description   TEXT NOT NULL,
    deal          TEXT,
    total_minor   BIGINT NOT NULL CHECK (total_minor > 0),
    created_by    TEXT NOT NULL REFERENCES users(id),
    created_at    TEXT NOT NULL,
    CHECK (due_date >= call_date)
);
CREATE INDEX capital_calls_fund ON capital_calls (org_id, fund_id, call_date, id);

CREATE TABLE capital_call_items (
    call_id       TEXT NOT NULL REFERENCES capital_calls(id),
    org_id        TEXT NOT NULL,
    fund_id       TEXT NOT NULL,
    investor_id   TEXT NOT NULL REFERENCES investors(id),
    amount_minor  BIGINT NOT NULL CHECK (amount_minor >= 0),
    PRIMARY KEY (call_id, investor_id)
);
CREATE INDEX capital_call_items_fund ON capital_call_items (fund_id, investor_id);

-- Capital received. `call_id` set when it pays a call item (at most once per item); direct
-- contributions have none and count as called capital themselves.
CREATE TABLE capital_contributions (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL,
    fund_id       TEXT NOT NULL REFERENCES funds(id),
    investor_id   TEXT NOT NULL REFERENCES investors(id),
    contributed_on TEXT NOT NULL,
    amount_minor  BIGINT NOT NULL CHECK (amount_minor > 0),
    deal          TEXT,
    call_id       TEXT REFERENCES capital_calls(id),
    created_at    TEXT NOT NULL
);
CREATE INDEX capital_contributions_fund ON capital_contributions (fund_id, investor_id, contributed_on);
CREATE UNIQUE INDEX capital_contributions_call_once ON capital_contributions (call_id, investor_id)
    WHERE call_id IS NOT NULL;

-- Recallable amounts: returned capital the fund may call again (raises uncalled capital).
CREATE TABLE capital_recallables (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    fund_id         TEXT NOT NULL REFERENCES funds(id),
    investor_id     TEXT NOT NULL REFERENCES investors(id),
    recallable_on   TEXT NOT NULL,
    amount_minor    BIGINT NOT NULL CHECK (amount_minor > 0),
    distribution_id TEXT REFERENCES distributions(id),
    created_at      TEXT NOT NULL
);
CREATE INDEX capital_recallables_fund ON capital_recallables (fund_id, investor_id);

-- Fund-level income/gain/loss for a period; `amount_minor` is the signed effect on capital.
CREATE TABLE capital_income (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL,
    fund_id       TEXT NOT NULL REFERENCES funds(id),
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('INCOME','REALIZED_GAIN','UNREALIZED_GAIN','EXPENSE','LOSS')),
    amount_minor  BIGINT NOT NULL,
    description   TEXT NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users(id),
    created_at    TEXT NOT NULL,
    CHECK (period_end >= period_start)
);
CREATE INDEX capital_income_fund ON capital_income (fund_id, period_end);

-- Its allocation (by ownership at the period start); dated by the period end in reports.
CREATE TABLE capital_income_allocations (
    income_id     TEXT NOT NULL REFERENCES capital_income(id),
    org_id        TEXT NOT NULL,
    fund_id       TEXT NOT NULL,
    investor_id   TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    amount_minor  BIGINT NOT NULL,
    PRIMARY KEY (income_id, investor_id)
);
CREATE INDEX capital_income_allocations_fund ON capital_income_allocations (fund_id, period_end, investor_id);

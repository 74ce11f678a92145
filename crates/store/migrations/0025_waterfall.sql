-- Distribution waterfalls of partnerships (one SQL text for both backends).

-- Terms per fund, versioned: a row per change, the highest version is in force, and a
-- distribution made by the waterfall names the version it ran under. `terms` is the JSON of
-- clearway_core::waterfall::Terms, validated before it is written.
CREATE TABLE waterfall_terms (
    org_id      TEXT NOT NULL,
    fund_id     TEXT NOT NULL REFERENCES funds(id),
    version     BIGINT NOT NULL CHECK (version >= 1),
    terms       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (fund_id, version)
);

-- A distribution made by the waterfall: what it was run for, and the per-tier explanation as
-- computed then (JSON of the TierOutcome list), so the page shows what the accountant saw.
CREATE TABLE waterfall_runs (
    distribution_id  TEXT PRIMARY KEY REFERENCES distributions(id),
    org_id           TEXT NOT NULL,
    fund_id          TEXT NOT NULL REFERENCES funds(id),
    terms_version    BIGINT NOT NULL,
    proceeds_minor   BIGINT NOT NULL CHECK (proceeds_minor > 0),
    proceeds_date    TEXT NOT NULL,
    deal             TEXT,
    tiers            TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX waterfall_runs_fund ON waterfall_runs (org_id, fund_id);

-- Per investor, the tier split of a waterfall line; the four sum to the line's total. Later
-- waterfalls read them as prior distributions by tier, clawback reads the GP's carry, and tax
-- reads return of capital against profit.
CREATE TABLE waterfall_line_tiers (
    distribution_id  TEXT NOT NULL,
    investor_id      TEXT NOT NULL,
    org_id           TEXT NOT NULL,
    roc_minor        BIGINT NOT NULL,
    pref_minor       BIGINT NOT NULL,
    catch_up_minor   BIGINT NOT NULL,
    carry_minor      BIGINT NOT NULL,
    PRIMARY KEY (distribution_id, investor_id)
);

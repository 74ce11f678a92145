-- Year-end tax (issue 19): investors' tax profiles, the withholding tables, the withholding
-- decided per line at processing, closed years, re-characterizations, issued forms (with
-- corrections), bulk form runs, IRS FIRE files and partnership K-1 items.

-- One profile per investor. The TIN is AES-256-GCM ciphertext ('tin_enc' with the id of the
-- key that sealed it), as account numbers are; only its last four are kept in clear.
CREATE TABLE tax_profiles (
    investor_id        TEXT PRIMARY KEY REFERENCES investors(id),
    org_id             TEXT NOT NULL REFERENCES organizations(id),
    tin_type           TEXT CHECK (tin_type IN ('SSN','EIN','ITIN','ATIN')),
    tin_enc            TEXT,
    tin_key_id         TEXT,
    tin_last4          TEXT,
    tin_status         TEXT NOT NULL CHECK (tin_status IN ('CERTIFIED','MISSING','B_NOTICE','C_NOTICE')),
    residency          TEXT NOT NULL CHECK (residency IN ('US','FOREIGN')),
    certificate        TEXT CHECK (certificate IN ('W-9','W-8BEN','W-8BEN-E')),
    country            TEXT,
    treaty_claim       BIGINT NOT NULL,
    treaty_article     TEXT,
    chapter3_status    TEXT,
    chapter4_status    TEXT,
    residence_state    TEXT,
    exempt_payee_code  TEXT,
    fatca_filing       BIGINT NOT NULL,
    foreign_tin        TEXT,
    updated_by         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    version            BIGINT NOT NULL,
    CHECK (treaty_claim = 0 OR country IS NOT NULL),
    CHECK ((tin_enc IS NULL) = (tin_last4 IS NULL))
);
CREATE INDEX tax_profiles_org ON tax_profiles (org_id, investor_id);

-- Treaty rates (percent) per country and income type; absent: 30 %.
CREATE TABLE tax_treaty_rates (
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    country      TEXT NOT NULL,
    income_type  TEXT NOT NULL CHECK (income_type IN ('DIVIDENDS','INTEREST','CAPITAL_GAINS')),
    rate         TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (org_id, country, income_type)
);

-- State withholding (percent of the subject amount) and the payer's state id (1099-DIV box 15).
CREATE TABLE tax_state_rates (
    org_id          TEXT NOT NULL REFERENCES organizations(id),
    state           TEXT NOT NULL,
    rate            TEXT NOT NULL,
    payer_state_id  TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (org_id, state)
);

-- What a fund designates and who it is as a payer (the A record of the FIRE file).
CREATE TABLE fund_tax_settings (
    fund_id                      TEXT PRIMARY KEY REFERENCES funds(id),
    org_id                       TEXT NOT NULL REFERENCES organizations(id),
    capital_gain_exempt          BIGINT NOT NULL,
    short_term_gain_exempt       BIGINT NOT NULL,
    interest_related_exempt      BIGINT NOT NULL,
    interest_is_exempt_interest  BIGINT NOT NULL,
    section199a_percent          TEXT NOT NULL,
    foreign_tax_country          TEXT,
    payer_tin                    TEXT,
    payer_name                   TEXT,
    payer_address                TEXT,
    payer_city                   TEXT,
    payer_state                  TEXT,
    payer_zip                    TEXT,
    payer_phone                  TEXT,
    updated_at                   TEXT NOT NULL
);

-- The organization as IRS FIRE transmitter (the T record).
CREATE TABLE tax_transmitters (
    org_id          TEXT PRIMARY KEY REFERENCES organizations(id),
    tcc             TEXT NOT NULL,
    tin             TEXT NOT NULL,
    name            TEXT NOT NULL,
    address         TEXT NOT NULL,
    city            TEXT NOT NULL,
    state           TEXT NOT NULL,
    zip             TEXT NOT NULL,
    contact_name    TEXT NOT NULL,
    contact_phone   TEXT NOT NULL,
    contact_email   TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- The withholding decided for each line when its distribution was processed (a reversal's
-- rows are the original's negated). distribution_lines.withholding_minor = federal + state.
CREATE TABLE line_withholdings (
    distribution_id      TEXT NOT NULL REFERENCES distributions(id),
    investor_id          TEXT NOT NULL REFERENCES investors(id),
    org_id               TEXT NOT NULL,
    fund_id              TEXT NOT NULL,
    currency             TEXT NOT NULL,
    payable_date         TEXT NOT NULL,
    regime               TEXT NOT NULL CHECK (regime IN ('NONE','BACKUP','CHAPTER3')),
    fed_ordinary_minor   BIGINT NOT NULL,
    fed_qualified_minor  BIGINT NOT NULL,
    fed_st_gain_minor    BIGINT NOT NULL,
    fed_lt_gain_minor    BIGINT NOT NULL,
    fed_roc_minor        BIGINT NOT NULL,
    fed_interest_minor   BIGINT NOT NULL,
    federal_minor        BIGINT NOT NULL,
    -- Percent per component, in the fixed component order, JSON array of decimal strings.
    rates                TEXT NOT NULL,
    state                TEXT,
    state_minor          BIGINT NOT NULL,
    flag                 TEXT,
    created_at           TEXT NOT NULL,
    PRIMARY KEY (distribution_id, investor_id),
    CHECK (fed_ordinary_minor + fed_qualified_minor + fed_st_gain_minor + fed_lt_gain_minor + fed_roc_minor + fed_interest_minor = federal_minor)
);
CREATE INDEX line_withholdings_period ON line_withholdings (org_id, payable_date);
CREATE INDEX line_withholdings_investor ON line_withholdings (org_id, investor_id, payable_date);

-- A closed tax year: forms may be issued and filed only for a closed year.
CREATE TABLE tax_years (
    org_id     TEXT NOT NULL REFERENCES organizations(id),
    tax_year   BIGINT NOT NULL,
    closed_by  TEXT NOT NULL REFERENCES users(id),
    closed_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, tax_year)
);

-- The final character of a distribution, entered once; its lines re-split by it. The lines'
-- components before the re-split are kept in recharacterized_lines.
CREATE TABLE recharacterizations (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations(id),
    distribution_id  TEXT NOT NULL UNIQUE REFERENCES distributions(id),
    -- Component totals in the fixed component order, JSON array of integers (minor units).
    totals           TEXT NOT NULL,
    reason           TEXT NOT NULL,
    created_by       TEXT NOT NULL REFERENCES users(id),
    created_at       TEXT NOT NULL
);

CREATE TABLE recharacterized_lines (
    distribution_id  TEXT NOT NULL REFERENCES distributions(id),
    investor_id      TEXT NOT NULL,
    org_id           TEXT NOT NULL,
    ordinary_minor   BIGINT NOT NULL,
    qualified_minor  BIGINT NOT NULL,
    st_gain_minor    BIGINT NOT NULL,
    lt_gain_minor    BIGINT NOT NULL,
    roc_minor        BIGINT NOT NULL,
    interest_minor   BIGINT NOT NULL,
    PRIMARY KEY (distribution_id, investor_id)
);

-- Issued forms. Each issue of a (fund, investor, year, form) is a new seq; seq > 1 is a
-- CORRECTED form when an earlier one was filed or furnished.
CREATE TABLE tax_forms (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    fund_id       TEXT NOT NULL REFERENCES funds(id),
    investor_id   TEXT NOT NULL REFERENCES investors(id),
    tax_year      BIGINT NOT NULL,
    form          TEXT NOT NULL CHECK (form IN ('1099-DIV','1042-S','K-1')),
    seq           BIGINT NOT NULL CHECK (seq >= 1),
    corrected     BIGINT NOT NULL,
    -- The figures as JSON (core::tax types), and their SHA-256: same figures, no new issue.
    figures       TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    -- The FIRE file that carried this issue to the IRS (1099-DIV only).
    fire_file_id  TEXT,
    issued_by     TEXT NOT NULL,
    issued_at     TEXT NOT NULL,
    UNIQUE (org_id, fund_id, investor_id, tax_year, form, seq)
);
CREATE INDEX tax_forms_year ON tax_forms (org_id, tax_year, form, fund_id, investor_id);

-- A bulk generation of a fund-year's forms, run as a job with progress.
CREATE TABLE tax_form_runs (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    fund_id      TEXT NOT NULL REFERENCES funds(id),
    tax_year     BIGINT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('QUEUED','RUNNING','DONE','FAILED')),
    total        BIGINT NOT NULL,
    done         BIGINT NOT NULL,
    issued       BIGINT NOT NULL,
    unchanged    BIGINT NOT NULL,
    error        TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX tax_form_runs_fund ON tax_form_runs (org_id, fund_id, tax_year);

-- IRS FIRE files written (Publication 1220), kept as written.
CREATE TABLE fire_files (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    tax_year      BIGINT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('ORIGINAL','CORRECTED')),
    test_file     BIGINT NOT NULL,
    content       TEXT NOT NULL,
    payers        BIGINT NOT NULL,
    payees        BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX fire_files_year ON fire_files (org_id, tax_year, created_at);

-- Partnership tax items of a fund-year (K-1 Part III), allocated to partners by profit share.
CREATE TABLE k1_fund_items (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    fund_id       TEXT NOT NULL REFERENCES funds(id),
    tax_year      BIGINT NOT NULL,
    line          TEXT NOT NULL CHECK (line IN ('5','6a','6b','8','9a','9b','9c','10','11','13','20','21')),
    code          TEXT NOT NULL,
    amount_minor  BIGINT NOT NULL,
    description   TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX k1_fund_items_year ON k1_fund_items (org_id, fund_id, tax_year);

-- Whether the organization withholds (it is a withholding agent for its funds). Absent: it
-- does not, and processing leaves lines' withholding as entered. Turned on by an admin; the
-- demo organization has it on.
CREATE TABLE tax_org_settings (
    org_id               TEXT PRIMARY KEY REFERENCES organizations(id),
    withholding_enabled  BIGINT NOT NULL,
    updated_by           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);

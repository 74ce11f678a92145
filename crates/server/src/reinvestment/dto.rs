//! Wire shapes of the reinvestment API. Money, shares, NAVs and percentages are decimal
//! strings; dates are `YYYY-MM-DD`.

use clearway_core::Currency;
use clearway_store::reinvestment::nav::{ImportOutcome, NavRow};
use clearway_store::reinvestment::{ElectionRecord, Reinvestment, Settings};
use clearway_store::taxlots::LotRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `PUT /api/investors/:investorId/reinvestment-preferences/:fundId`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ElectionRequest {
    /// CASH, AUTOMATIC, PARTIAL or ALTERNATIVE.
    pub election: String,
    /// PARTIAL: the percentage reinvested, exact decimal strictly between 0 and 100 (e.g.
    /// "37.5"); ALTERNATIVE: optional, default "100".
    #[serde(default)]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub percentage: Option<String>,
    /// ALTERNATIVE: the open-end fund (id or code) to reinvest in, same organization and currency.
    #[serde(default)]
    pub target_fund_id: Option<String>,
    /// In force from this date (compared with record dates); today when absent. Investors
    /// cannot backdate.
    #[serde(default)]
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub effective_date: Option<String>,
}

/// An election (one row of the history).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ElectionView {
    /// Row id.
    pub id: String,
    /// Investor.
    pub investor_id: String,
    /// Fund whose distributions it applies to.
    pub fund_id: String,
    /// CASH, AUTOMATIC, PARTIAL or ALTERNATIVE.
    pub election: String,
    /// Percentage reinvested.
    pub percentage: String,
    /// ALTERNATIVE: fund bought.
    pub target_fund_id: Option<String>,
    /// In force from.
    pub effective_date: String,
    /// Who made the change.
    pub created_by: String,
    /// When.
    pub created_at: String,
}

impl From<&ElectionRecord> for ElectionView {
    fn from(e: &ElectionRecord) -> Self {
        ElectionView {
            id: e.id.clone(),
            investor_id: e.investor_id.clone(),
            fund_id: e.fund_id.clone(),
            election: e.election.as_str().into(),
            percentage: e.percentage.clone(),
            target_fund_id: e.target_fund_id.clone(),
            effective_date: e.effective_date.to_string(),
            created_by: e.created_by.clone(),
            created_at: e.created_at.clone(),
        }
    }
}

/// Response of a PUT: the election in force from its date, and whether anything changed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ElectionChanged {
    /// False when the same election was already recorded for that date (a retry).
    pub changed: bool,
    /// The election.
    pub election: ElectionView,
}

/// The election that applies to one fund.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FundPreference {
    /// Fund.
    pub fund_id: String,
    /// Its code.
    pub fund_code: String,
    /// CASH, AUTOMATIC, PARTIAL or ALTERNATIVE.
    pub election: String,
    /// Percentage reinvested.
    pub percentage: String,
    /// ALTERNATIVE: fund bought.
    pub target_fund_id: Option<String>,
    /// INVESTOR (an election of theirs) or ORGANIZATION_DEFAULT.
    pub source: String,
    /// The investor's election row, when source is INVESTOR.
    pub effective_date: Option<String>,
}

/// `GET /api/investors/:investorId/reinvestment-preferences`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreferencesView {
    /// Investor.
    pub investor_id: String,
    /// Date the preferences are in force on.
    pub as_of: String,
    /// The organization default (applies to funds without an election).
    pub organization_default: DefaultView,
    /// Per open-end fund of the organization: the election that applies.
    pub funds: Vec<FundPreference>,
    /// Elections dated after `asOf` (scheduled changes).
    pub scheduled: Vec<ElectionView>,
}

/// The organization default election.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DefaultView {
    /// CASH, AUTOMATIC or PARTIAL.
    pub election: String,
    /// Percentage reinvested.
    pub percentage: String,
}

/// Reinvestment settings of the organization.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    /// CASH, AUTOMATIC or PARTIAL: applies when an investor has no election for a fund.
    pub default_election: String,
    /// Its percentage.
    pub default_percentage: String,
    /// How many business days (Mon–Fri) old a prior NAV may be.
    pub nav_staleness_business_days: u32,
    /// Who changed them last (absent: never set, defaults apply).
    pub updated_by: Option<String>,
    /// When.
    pub updated_at: Option<String>,
}

impl From<&Settings> for SettingsView {
    fn from(s: &Settings) -> Self {
        SettingsView {
            default_election: s.default_election.kind().as_str().into(),
            default_percentage: s.default_election.percentage().to_string(),
            nav_staleness_business_days: s.nav_staleness_days,
            updated_by: s.updated_by.clone(),
            updated_at: s.updated_at.clone(),
        }
    }
}

/// Body of `PUT /api/reinvestment/settings`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsRequest {
    /// CASH, AUTOMATIC or PARTIAL.
    #[schema(pattern = "^(CASH|AUTOMATIC|PARTIAL|ALTERNATIVE)$")]
    pub default_election: String,
    /// PARTIAL: percentage strictly between 0 and 100.
    #[serde(default)]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub default_percentage: Option<String>,
    /// 0–30 business days; 5 when absent.
    #[serde(default)]
    #[schema(maximum = 30)]
    pub nav_staleness_business_days: Option<u32>,
}

/// One election of a bulk import.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ElectionImportItem {
    /// Investor.
    pub investor_id: String,
    /// Fund id or code.
    pub fund_id: String,
    /// CASH, AUTOMATIC, PARTIAL or ALTERNATIVE.
    pub election: String,
    /// Percentage (see the PUT body).
    #[serde(default)]
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub percentage: Option<String>,
    /// ALTERNATIVE: fund bought (id or code).
    #[serde(default)]
    pub target_fund_id: Option<String>,
    /// In force from (YYYY-MM-DD).
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub effective_date: String,
}

/// Body of `POST /api/reinvestment-preferences/import`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ElectionImportRequest {
    /// Elections, all recorded or none.
    #[schema(min_items = 1, max_items = 200000)]
    pub elections: Vec<ElectionImportItem>,
}

/// Result of an import.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ElectionImportResult {
    /// Elections recorded.
    pub imported: usize,
}

/// One NAV in a JSON upload.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NavItem {
    /// Date struck (YYYY-MM-DD).
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub date: String,
    /// NAV per share, decimal string (> 0, up to 10 decimals).
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub nav: String,
    /// Share class; DEFAULT when absent.
    #[serde(default)]
    pub share_class: Option<String>,
}

/// Body of `POST /api/funds/:fundId/navs` as JSON (CSV uploads use `text/csv`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NavUpload {
    /// NAVs, recorded all or none.
    pub navs: Vec<NavItem>,
    /// Where they come from (kept on each row); `api` when absent.
    #[serde(default)]
    pub source: Option<String>,
    /// Replace stored NAVs that differ (corrections); otherwise a differing NAV is refused.
    #[serde(default)]
    pub replace: bool,
}

/// Result of a NAV upload.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NavImportView {
    /// New NAVs stored.
    pub inserted: usize,
    /// Already stored with the same value.
    pub unchanged: usize,
    /// Replaced (only with replace).
    pub replaced: usize,
}

impl From<ImportOutcome> for NavImportView {
    fn from(o: ImportOutcome) -> Self {
        NavImportView {
            inserted: o.inserted,
            unchanged: o.unchanged,
            replaced: o.replaced,
        }
    }
}

/// A stored NAV.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NavView {
    /// Share class.
    pub share_class: String,
    /// Date.
    pub date: String,
    /// NAV per share.
    pub nav: String,
    /// Source.
    pub source: String,
}

impl From<&NavRow> for NavView {
    fn from(n: &NavRow) -> Self {
        NavView {
            share_class: n.share_class.clone(),
            date: n.date.to_string(),
            nav: n.nav.clone(),
            source: n.source.clone(),
        }
    }
}

/// `GET /api/funds/:fundId/navs/at`: the NAV reinvestment would use for a date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NavAtView {
    /// Fund.
    pub fund_id: String,
    /// Share class.
    pub share_class: String,
    /// Date asked for.
    pub date: String,
    /// NAV per share found.
    pub nav: String,
    /// Date it was struck.
    pub nav_date: String,
    /// EXACT or PRIOR.
    pub rule: String,
    /// The staleness limit applied (business days).
    pub staleness_business_days: u32,
}

/// One reinvestment transaction.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReinvestmentView {
    /// Distribution.
    pub distribution_id: String,
    /// Investor.
    pub investor_id: String,
    /// REINVEST or REVERSAL.
    pub kind: String,
    /// The distribution's fund.
    pub source_fund_id: String,
    /// Fund bought.
    pub fund_id: String,
    /// Election applied (in force on the record date).
    pub election: String,
    /// Its percentage.
    pub percentage: String,
    /// Currency.
    pub currency: String,
    /// The line's total.
    pub line_total: String,
    /// Withholding (off before reinvestment).
    pub withholding: String,
    /// ⌊(total − withholding) × percentage / 100⌋.
    pub reinvestable_amount: String,
    /// ⌈shares × NAV⌉: the reinvested amount and the lot's cost basis.
    pub reinvested_amount: String,
    /// reinvestable − reinvested: the unspent residual, paid in cash.
    pub residual_cash: String,
    /// total − withholding − reinvested: the line's whole cash part.
    pub cash_amount: String,
    /// Shares bought (negative on reversals), at the fund's share precision.
    pub shares: String,
    /// NAV per share used.
    pub nav: String,
    /// Date of that NAV.
    pub nav_date: String,
    /// EXACT (struck on the trade date) or PRIOR (latest before it, within the staleness limit).
    pub nav_rule: String,
    /// Trade date (the payable date).
    pub trade_date: String,
    /// Lot created (or closed, on reversals).
    pub lot_id: String,
    /// On reversals: the distribution reversed.
    pub reverses_distribution_id: Option<String>,
}

impl From<&Reinvestment> for ReinvestmentView {
    fn from(r: &Reinvestment) -> Self {
        let f = |m: i64| r.currency.format_minor(m);
        // On reversals both are negated, so this is the residual negated too.
        let residual = r.reinvestable_minor - r.cost_minor;
        ReinvestmentView {
            distribution_id: r.distribution_id.clone(),
            investor_id: r.investor_id.clone(),
            kind: r.kind.as_str().into(),
            source_fund_id: r.source_fund_id.clone(),
            fund_id: r.fund_id.clone(),
            election: r.election.as_str().into(),
            percentage: r.percentage.to_string(),
            currency: r.currency.code().into(),
            line_total: f(r.line_total_minor),
            withholding: f(r.withholding_minor),
            reinvestable_amount: f(r.reinvestable_minor),
            reinvested_amount: f(r.cost_minor),
            residual_cash: f(residual),
            cash_amount: f(r.line_total_minor - r.withholding_minor - r.cost_minor),
            shares: r.shares.to_string(),
            nav: r.nav.to_string(),
            nav_date: r.nav_date.to_string(),
            nav_rule: r.nav_rule.as_str().into(),
            trade_date: r.trade_date.to_string(),
            lot_id: r.lot_id.clone(),
            reverses_distribution_id: r.reverses_distribution_id.clone(),
        }
    }
}

/// Reinvestment performance of one investor in one fund.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FundSummary {
    /// Fund bought.
    pub fund_id: String,
    /// Its code.
    pub fund_code: String,
    /// Currency.
    pub currency: String,
    /// Reinvestment transactions (reversals included).
    pub transactions: usize,
    /// First trade date.
    pub first_trade_date: Option<String>,
    /// Last trade date.
    pub last_trade_date: Option<String>,
    /// Σ reinvested amounts (net of reversals).
    pub total_reinvested: String,
    /// Σ shares acquired by reinvestment (net of reversals).
    pub shares_acquired: String,
    /// Current basis of those shares (their cost less return of capital since).
    pub cost_basis: String,
    /// Latest NAV of the fund (DEFAULT class), if any.
    pub latest_nav: Option<String>,
    /// Its date.
    pub latest_nav_date: Option<String>,
    /// shares acquired × latest NAV, rounded half-up.
    pub current_value: Option<String>,
    /// current value − total reinvested ("performance since").
    pub gain: Option<String>,
    /// gain / total reinvested × 100, 2 decimals.
    pub gain_percent: Option<String>,
}

/// `GET /api/investors/:investorId/reinvestments/summary`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SummaryView {
    /// Investor.
    pub investor_id: String,
    /// Per fund bought.
    pub funds: Vec<FundSummary>,
}

/// A tax lot.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LotView {
    /// Lot id.
    pub id: String,
    /// Fund.
    pub fund_id: String,
    /// Acquisition date.
    pub acquired_on: String,
    /// OPENING, PURCHASE or REINVESTMENT.
    pub source: String,
    /// Reinvestment lots: the distribution.
    pub source_distribution_id: Option<String>,
    /// Currency.
    pub currency: String,
    /// Shares acquired.
    pub original_shares: String,
    /// Cost paid.
    pub original_cost: String,
    /// Shares held.
    pub shares: String,
    /// Adjusted basis.
    pub basis: String,
    /// Σ basis changes by return of capital (negative) and its reversals.
    pub basis_adjustments: String,
    /// OPEN or CLOSED.
    pub status: String,
}

impl LotView {
    /// Formats a lot with its summed basis adjustments.
    pub fn new(l: &LotRecord, adjustments_minor: i64) -> LotView {
        let currency = Currency::parse(&l.currency).unwrap_or(Currency::USD);
        LotView {
            id: l.id.clone(),
            fund_id: l.fund_id.clone(),
            acquired_on: l.acquired_on.to_string(),
            source: l.source.clone(),
            source_distribution_id: l.source_distribution_id.clone(),
            currency: l.currency.clone(),
            original_shares: l.original_shares.to_string(),
            original_cost: currency.format_minor(l.original_cost_minor),
            shares: l.shares.to_string(),
            basis: currency.format_minor(l.basis_minor),
            basis_adjustments: currency.format_minor(adjustments_minor),
            status: l.status.clone(),
        }
    }
}

/// One lot named for specific identification.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LotPick {
    /// Lot id.
    pub lot_id: String,
    /// Shares taken from it, in the fund's share decimals (`sharePrecision`) at most.
    pub shares: String,
}

/// Body of `POST /api/investors/:investorId/cost-basis` (a preview; nothing is sold).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CostBasisRequest {
    /// Fund (id or code).
    pub fund_id: String,
    /// Shares to redeem, in the fund's share decimals (`sharePrecision`) at most.
    pub shares: String,
    /// FIFO, SPECIFIC_ID or AVERAGE_COST.
    pub method: String,
    /// Sale date; today when absent.
    #[serde(default)]
    pub date: Option<String>,
    /// SPECIFIC_ID: the lots and shares.
    #[serde(default)]
    pub lots: Option<Vec<LotPick>>,
}

/// Shares of one lot in a redemption.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartView {
    /// Lot.
    pub lot_id: String,
    /// Its acquisition date.
    pub acquired_on: String,
    /// Shares taken.
    pub shares: String,
    /// Basis relieved.
    pub basis: String,
    /// Proceeds at the NAV (when known), split by shares with largest remainder.
    pub proceeds: Option<String>,
    /// proceeds − basis.
    pub gain: Option<String>,
    /// Held more than one year.
    pub long_term: bool,
}

/// Result of a cost-basis preview.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CostBasisView {
    /// Fund.
    pub fund_id: String,
    /// Method.
    pub method: String,
    /// Sale date.
    pub date: String,
    /// Shares redeemed.
    pub shares: String,
    /// Total basis relieved.
    pub basis: String,
    /// NAV used for proceeds (latest on or before the date within the staleness limit).
    pub nav: Option<String>,
    /// Its date.
    pub nav_date: Option<String>,
    /// shares × NAV, rounded half-up.
    pub proceeds: Option<String>,
    /// Short-term gain (or loss).
    pub short_term_gain: Option<String>,
    /// Long-term gain (or loss).
    pub long_term_gain: Option<String>,
    /// Per lot.
    pub parts: Vec<PartView>,
}

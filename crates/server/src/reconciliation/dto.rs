//! Wire shapes of the reconciliation API. Responses are views of the store's typed records
//! (one view struct per record, `From<&Record>`) with every `…Minor` integer accompanied by
//! its decimal string (`amountMinor: -12345` → `amount: "-123.45"`), so clients get exact
//! money in both forms.

use clearway_app::reconciliation::ImportOutcome;
use clearway_core::Currency;
use clearway_store::reconciliation::{
    AccountSummary, AgeBuckets, LedgerSummary, MatchRecord, MatchRequest, RunSummary, Summary,
    Tally,
};
use clearway_store::statements::{FileRecord, LineRecord, StatementRecord};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Adds a decimal-string twin to every `…Minor` integer field, in the currency of the object
/// (its own `currency` field, else the parent's).
pub fn with_amounts(mut value: Value) -> Value {
    add_amounts(&mut value, None);
    value
}

fn add_amounts(value: &mut Value, inherited: Option<Currency>) {
    match value {
        Value::Object(map) => {
            let currency = map
                .get("currency")
                .and_then(Value::as_str)
                // why: every view's currency comes from a typed `Currency`; an object without
                // one (or with another field named so) takes its parent's
                .and_then(|c| Currency::parse(c).ok())
                .or(inherited);
            let mut extra = Map::new();
            for (k, v) in map.iter_mut() {
                if let (Some(base), Some(minor), Some(c)) =
                    (k.strip_suffix("Minor"), v.as_i64(), currency)
                {
                    extra.insert(base.to_string(), Value::String(c.format_minor(minor)));
                } else {
                    add_amounts(v, currency);
                }
            }
            map.extend(extra);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| add_amounts(v, inherited)),
        _ => {}
    }
}

/// Serializes a view with its decimal amounts.
pub fn view<T: Serialize>(v: &T) -> Value {
    with_amounts(serde_json::to_value(v).unwrap_or(Value::Null))
}

/// A page of views.
pub fn page(items: Vec<Value>, next_cursor: Option<String>) -> Value {
    serde_json::json!({ "items": items, "nextCursor": next_cursor })
}

/// Query of `POST /api/bank-statements`: the format (detected when absent), the CSV/XLSX
/// preset or column mapping, and the account/currency when the file names none.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportQuery {
    /// `bai2`, `camt053` (also camt052/camt054), `mt940` (also mt942), `ofx`, `csv` or `xlsx`.
    #[param(
        pattern = "^\\s*([Bb][Aa][Ii]2?|[Cc][Aa][Mm][Tt](\\.?05[234])?|[Mm][Tt]94[02]|[Ss][Ww][Ii][Ff][Tt]|[Cc][Ss][Vv]|[Xx][Ll][Ss][Xx]|[OoQq][Ff][Xx])\\s*$"
    )]
    pub format: Option<String>,
    /// CSV/XLSX preset: paypal-en, paypal-es, debit-credit-eu, debit-credit-en, ing-nl, simple-en, simple-en-inverse, simple-en-no-header.
    pub preset: Option<String>,
    /// Account id when the file names none.
    pub account: Option<String>,
    /// Currency when the file names none; one that contradicts the file (a statement's or
    /// an entry's currency) is refused (422, field `currency`).
    pub currency: Option<String>,
    /// A statement whose opening balance + lines is not its closing balance: `refuse` (422
    /// naming the line and the figures) or `warn` (imported with a warning). Default: the
    /// server's `CLEARWAY_STATEMENT_BALANCE_POLICY` (refuse).
    #[param(pattern = "^(refuse|warn)$")]
    pub balance_policy: Option<String>,
    /// CSV delimiter (one character).
    #[param(pattern = "^([\\s\\S]|\\\\t|tab)$")]
    pub delimiter: Option<String>,
    /// Metadata rows before the header (at most 1,000,000).
    #[param(minimum = 0, maximum = 1000000)]
    pub skip_rows: Option<usize>,
    /// Whether the file has a header row.
    pub header: Option<bool>,
    /// Trailer rows to ignore (at most 1,000,000).
    #[param(minimum = 0, maximum = 1000000)]
    pub footer_rows: Option<usize>,
    /// chrono date format, e.g. `%d/%m/%Y`.
    pub date_format: Option<String>,
    /// `.` or `,`.
    #[param(pattern = "^([\\s\\S]|\\\\t|tab)$")]
    pub decimal_separator: Option<String>,
    /// Flip every sign.
    pub inverse_sign: Option<bool>,
    /// Date column (header name or 0-based index).
    pub date_column: Option<String>,
    /// Value-date column.
    pub value_date_column: Option<String>,
    /// Signed amount column.
    pub amount_column: Option<String>,
    /// Debit column (with creditColumn).
    pub debit_column: Option<String>,
    /// Credit column (with debitColumn).
    pub credit_column: Option<String>,
    /// Debit/credit indicator column beside an unsigned amount column (the preset's or amountColumn).
    pub indicator_column: Option<String>,
    /// Comma-separated words of the indicator column meaning a debit (default `D,DR,Debit,DBIT,Af`).
    pub indicator_debit: Option<String>,
    /// Comma-separated words of the indicator column meaning a credit (default `C,CR,Credit,CRDT,Bij`).
    pub indicator_credit: Option<String>,
    /// Currency column.
    pub currency_column: Option<String>,
    /// Running-balance column.
    pub balance_column: Option<String>,
    /// Bank reference column.
    pub reference_column: Option<String>,
    /// Customer / end-to-end reference column.
    pub customer_reference_column: Option<String>,
    /// Counterparty name column.
    pub counterparty_column: Option<String>,
    /// Description column.
    pub description_column: Option<String>,
}

/// Body of `POST /api/reconciliation/matches`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManualMatchRequest {
    /// Statement lines (1–100).
    #[schema(min_items = 1, max_items = 100)]
    pub line_ids: Vec<String>,
    /// Payments (1–1000); the amounts must add up exactly to the lines'.
    #[schema(min_items = 1, max_items = 1000)]
    pub payment_ids: Vec<String>,
    /// `CLEARED` (default: the lines paid the payments) or `RETURNED` (money came back).
    #[serde(default)]
    pub outcome: Option<String>,
    /// Why (kept with the match).
    #[serde(default)]
    pub note: Option<String>,
    /// Above the four-eyes amount: the id of the match request a second user approved (the
    /// first send without it answers 202 with that request).
    #[serde(default)]
    pub request_id: Option<String>,
}

fn day(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(|d| d.to_string())
}

/// A stored statement file.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileView {
    id: String,
    sha256: String,
    format: String,
    preset: Option<String>,
    size_bytes: i64,
    statement_count: i64,
    line_count: i64,
    imported_by: String,
    created_at: String,
}

impl From<&FileRecord> for FileView {
    fn from(f: &FileRecord) -> Self {
        FileView {
            id: f.id.clone(),
            sha256: f.sha256.clone(),
            format: f.format.clone(),
            preset: f.preset.clone(),
            size_bytes: f.size_bytes,
            statement_count: f.statement_count,
            line_count: f.line_count,
            imported_by: f.imported_by.clone(),
            created_at: f.created_at.clone(),
        }
    }
}

/// A stored statement.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementView {
    id: String,
    file_id: String,
    format: String,
    account_id: String,
    currency: String,
    /// Encoding the file was decoded from (`UTF-8`, `windows-1252`, …); null for XLSX.
    encoding: Option<String>,
    reference: Option<String>,
    statement_number: Option<String>,
    statement_date: Option<String>,
    from_date: Option<String>,
    to_date: Option<String>,
    opening_balance_minor: Option<i64>,
    closing_balance_minor: Option<i64>,
    available_balance_minor: Option<i64>,
    line_count: i64,
    debit_total_minor: i64,
    credit_total_minor: i64,
    warnings: Vec<String>,
    created_at: String,
}

impl From<&StatementRecord> for StatementView {
    fn from(s: &StatementRecord) -> Self {
        StatementView {
            id: s.id.clone(),
            file_id: s.file_id.clone(),
            format: s.format.clone(),
            account_id: s.account_id.clone(),
            currency: s.currency.code().to_string(),
            encoding: s.encoding.clone(),
            reference: s.reference.clone(),
            statement_number: s.statement_number.clone(),
            statement_date: day(s.statement_date),
            from_date: day(s.from_date),
            to_date: day(s.to_date),
            opening_balance_minor: s.opening_balance_minor,
            closing_balance_minor: s.closing_balance_minor,
            available_balance_minor: s.available_balance_minor,
            line_count: s.line_count,
            debit_total_minor: s.debit_total_minor,
            credit_total_minor: s.credit_total_minor,
            warnings: s.warnings.clone(),
            created_at: s.created_at.clone(),
        }
    }
}

/// The result of an import.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportOutcomeView {
    duplicate: bool,
    file: FileView,
    statements: Vec<StatementView>,
    job_id: Option<String>,
}

impl From<&ImportOutcome> for ImportOutcomeView {
    fn from(o: &ImportOutcome) -> Self {
        ImportOutcomeView {
            duplicate: o.duplicate,
            file: FileView::from(&o.file),
            statements: o.statements.iter().map(StatementView::from).collect(),
            job_id: o.job_id.clone(),
        }
    }
}

/// A stored statement line.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineView {
    id: String,
    statement_id: String,
    seq: i64,
    account_id: String,
    currency: String,
    amount_minor: i64,
    value_date: String,
    booking_date: String,
    bank_reference: Option<String>,
    customer_reference: Option<String>,
    end_to_end_id: Option<String>,
    counterparty_name: Option<String>,
    counterparty_account: Option<String>,
    description: String,
    type_code: String,
    reversal: bool,
    source_line: i64,
    raw: String,
    status: String,
    exception_cause: Option<String>,
    candidates: Option<Value>,
    exception_since: Option<String>,
    match_id: Option<String>,
}

impl From<&LineRecord> for LineView {
    fn from(l: &LineRecord) -> Self {
        LineView {
            id: l.id.clone(),
            statement_id: l.statement_id.clone(),
            seq: l.seq,
            account_id: l.account_id.clone(),
            currency: l.currency.code().to_string(),
            amount_minor: l.amount_minor,
            value_date: l.value_date.to_string(),
            booking_date: l.booking_date.to_string(),
            bank_reference: l.bank_reference.clone(),
            customer_reference: l.customer_reference.clone(),
            end_to_end_id: l.end_to_end_id.clone(),
            counterparty_name: l.counterparty_name.clone(),
            counterparty_account: l.counterparty_account.clone(),
            description: l.description.clone(),
            type_code: l.type_code.clone(),
            reversal: l.reversal,
            source_line: l.source_line,
            raw: l.raw.clone(),
            status: l.status.clone(),
            exception_cause: l.exception_cause.clone(),
            candidates: l.candidates.clone(),
            exception_since: day(l.exception_since),
            match_id: l.match_id.clone(),
        }
    }
}

/// What a run did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummaryView {
    id: String,
    trigger: String,
    lines_considered: i64,
    payments_considered: i64,
    matched_lines: i64,
    returned_lines: i64,
    exceptions: i64,
    started_at: String,
    finished_at: String,
}

impl From<&RunSummary> for RunSummaryView {
    fn from(r: &RunSummary) -> Self {
        RunSummaryView {
            id: r.id.clone(),
            trigger: r.trigger.clone(),
            lines_considered: r.lines_considered,
            payments_considered: r.payments_considered,
            matched_lines: r.matched_lines,
            returned_lines: r.returned_lines,
            exceptions: r.exceptions,
            started_at: r.started_at.clone(),
            finished_at: r.finished_at.clone(),
        }
    }
}

/// A match as shown to people.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchView {
    id: String,
    kind: String,
    outcome: String,
    score: Option<i64>,
    reasons: Value,
    account_id: String,
    currency: String,
    amount_minor: i64,
    value_date: String,
    live: bool,
    line_ids: Vec<String>,
    payment_ids: Vec<String>,
    run_id: Option<String>,
    created_by: String,
    created_at: String,
    undone_by: Option<String>,
    undone_at: Option<String>,
    undo_reason: Option<String>,
}

impl From<&MatchRecord> for MatchView {
    fn from(m: &MatchRecord) -> Self {
        MatchView {
            id: m.id.clone(),
            kind: m.kind.clone(),
            outcome: m.outcome.clone(),
            score: m.score,
            reasons: m.reasons.clone(),
            account_id: m.account_id.clone(),
            currency: m.currency.code().to_string(),
            amount_minor: m.amount_minor,
            value_date: m.value_date.to_string(),
            live: m.live,
            line_ids: m.line_ids.clone(),
            payment_ids: m.payment_ids.clone(),
            run_id: m.run_id.clone(),
            created_by: m.created_by.clone(),
            created_at: m.created_at.clone(),
            undone_by: m.undone_by.clone(),
            undone_at: m.undone_at.clone(),
            undo_reason: m.undo_reason.clone(),
        }
    }
}

/// A manual match above the four-eyes amount, waiting for (or given) a second user's approval.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchRequestView {
    id: String,
    status: String,
    line_ids: Vec<String>,
    payment_ids: Vec<String>,
    outcome: String,
    note: Option<String>,
    currency: String,
    amount_minor: i64,
    requested_by: String,
    approved_by: Option<String>,
    match_id: Option<String>,
    created_at: String,
    decided_at: Option<String>,
}

impl From<&MatchRequest> for MatchRequestView {
    fn from(r: &MatchRequest) -> Self {
        MatchRequestView {
            id: r.id.clone(),
            status: r.status.clone(),
            line_ids: r.line_ids.clone(),
            payment_ids: r.payment_ids.clone(),
            outcome: r.outcome.clone(),
            note: r.note.clone(),
            currency: r.currency.code().to_string(),
            amount_minor: r.amount_minor,
            requested_by: r.requested_by.clone(),
            approved_by: r.approved_by.clone(),
            match_id: r.match_id.clone(),
            created_at: r.created_at.clone(),
            decided_at: r.decided_at.clone(),
        }
    }
}

/// Matched lines of one kind and outcome.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TallyView {
    lines: i64,
    amount_minor: i64,
}

impl From<&Tally> for TallyView {
    fn from(t: &Tally) -> Self {
        TallyView {
            lines: t.lines,
            amount_minor: t.amount_minor,
        }
    }
}

/// Open exceptions by age.
#[derive(Debug, Serialize)]
pub struct AgeBucketsView {
    #[serde(rename = "days0to2")]
    days_0_2: i64,
    #[serde(rename = "days3to7")]
    days_3_7: i64,
    #[serde(rename = "days8to30")]
    days_8_30: i64,
    #[serde(rename = "over30Days")]
    days_over_30: i64,
}

impl From<&AgeBuckets> for AgeBucketsView {
    fn from(a: &AgeBuckets) -> Self {
        AgeBucketsView {
            days_0_2: a.days_0_2,
            days_3_7: a.days_3_7,
            days_8_30: a.days_8_30,
            days_over_30: a.days_over_30,
        }
    }
}

/// The summary of one account and currency.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSummaryView {
    account_id: String,
    currency: String,
    lines: i64,
    debits_minor: i64,
    credits_minor: i64,
    auto_cleared: TallyView,
    manual_cleared: TallyView,
    returned: TallyView,
    open_exceptions: TallyView,
    unprocessed: TallyView,
    exception_age: AgeBucketsView,
    exception_causes: BTreeMap<String, i64>,
    auto_rate_bp: i64,
}

impl From<&AccountSummary> for AccountSummaryView {
    fn from(a: &AccountSummary) -> Self {
        AccountSummaryView {
            account_id: a.account_id.clone(),
            currency: a.currency.code().to_string(),
            lines: a.lines,
            debits_minor: a.debits_minor,
            credits_minor: a.credits_minor,
            auto_cleared: (&a.auto_cleared).into(),
            manual_cleared: (&a.manual_cleared).into(),
            returned: (&a.returned).into(),
            open_exceptions: (&a.open_exceptions).into(),
            unprocessed: (&a.unprocessed).into(),
            exception_age: (&a.exception_age).into(),
            exception_causes: a.exception_causes.clone(),
            auto_rate_bp: a.auto_rate_bp,
        }
    }
}

/// Ledger side of one currency.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerSummaryView {
    currency: String,
    expected_payments: TallyView,
    outstanding_payments: TallyView,
    bank_debits_minor: i64,
    difference_minor: i64,
}

impl From<&LedgerSummary> for LedgerSummaryView {
    fn from(l: &LedgerSummary) -> Self {
        LedgerSummaryView {
            currency: l.currency.code().to_string(),
            expected_payments: (&l.expected_payments).into(),
            outstanding_payments: (&l.outstanding_payments).into(),
            bank_debits_minor: l.bank_debits_minor,
            difference_minor: l.difference_minor,
        }
    }
}

/// The reconciliation summary of a period.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryView {
    from: String,
    to: String,
    as_of: String,
    accounts: Vec<AccountSummaryView>,
    ledger: Vec<LedgerSummaryView>,
}

impl From<&Summary> for SummaryView {
    fn from(s: &Summary) -> Self {
        SummaryView {
            from: s.from.to_string(),
            to: s.to.to_string(),
            as_of: s.as_of.to_string(),
            accounts: s.accounts.iter().map(AccountSummaryView::from).collect(),
            ledger: s.ledger.iter().map(LedgerSummaryView::from).collect(),
        }
    }
}

//! Wire shapes of receivables and their recoveries (amounts as decimal strings).

use clearway_store::recovery::{Receivable, Recovery, Totals};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A receivable: cash of a reversed line that had left, owed back by its investor.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceivableView {
    /// Id.
    pub id: String,
    /// Investor who owes it.
    pub investor_id: String,
    /// The distribution whose line was paid.
    pub original_distribution_id: String,
    /// The reversal that made it owed.
    pub reversal_distribution_id: String,
    /// The payment that left.
    pub original_payment_id: Option<String>,
    /// Fund currency.
    pub currency: String,
    /// What left (paid).
    pub amount: String,
    /// Recovered so far (amount − outstanding − written off).
    pub recovered: String,
    /// Still owed (includes `expected`).
    pub outstanding: String,
    /// On its way back (ACH reversing entry sent, not yet settled).
    pub expected: String,
    /// Written off.
    pub written_off: String,
    /// OPEN, PARTIALLY_RECOVERED, RECOVERING, RECOVERED or WRITTEN_OFF.
    pub status: String,
    /// OFFSET (default), ACH_REVERSAL, WIRE or CHECK.
    pub method: String,
    /// Why it was written off.
    pub write_off_reason: Option<String>,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
}

impl From<&Receivable> for ReceivableView {
    fn from(r: &Receivable) -> Self {
        let f = |m: i64| r.currency.format_minor(m);
        ReceivableView {
            id: r.id.clone(),
            investor_id: r.investor_id.clone(),
            original_distribution_id: r.original_distribution_id.clone(),
            reversal_distribution_id: r.reversal_distribution_id.clone(),
            original_payment_id: r.original_payment_id.clone(),
            currency: r.currency.code().into(),
            amount: f(r.amount_minor),
            recovered: f(r.amount_minor - r.outstanding_minor - r.written_off_minor),
            outstanding: f(r.outstanding_minor),
            expected: f(r.expected_minor),
            written_off: f(r.written_off_minor),
            status: r.status.as_str().into(),
            method: r.method.as_str().into(),
            write_off_reason: r.write_off_reason.clone(),
            created_at: r.created_at.clone(),
            updated_at: r.updated_at.clone(),
        }
    }
}

/// One recovery of a receivable.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryView {
    /// Id.
    pub id: String,
    /// OFFSET, ACH_REVERSAL, WIRE or CHECK.
    pub method: String,
    /// EXPECTED (sent for, not yet on the bank statement) or RECEIVED.
    pub status: String,
    /// Amount.
    pub amount: String,
    /// OFFSET: the distribution whose line was reduced.
    pub distribution_id: Option<String>,
    /// Day the money arrived.
    pub received_date: Option<String>,
    /// The payer's reference.
    pub reference: Option<String>,
    /// ACH reversal: the reversing entry's trace number.
    pub trace_number: Option<String>,
    /// ACH reversal: its file.
    pub file_id: Option<String>,
    /// Recorded by.
    pub created_by: String,
    /// Recorded.
    pub created_at: String,
}

impl RecoveryView {
    /// A recovery in the receivable's currency.
    pub fn new(r: &Recovery, currency: clearway_core::Currency) -> Self {
        RecoveryView {
            id: r.id.clone(),
            method: r.method.as_str().into(),
            status: r.status.clone(),
            amount: currency.format_minor(r.amount_minor),
            distribution_id: r.distribution_id.clone(),
            received_date: r.received_date.clone(),
            reference: r.reference.clone(),
            trace_number: r.trace_number.clone(),
            file_id: r.file_id.clone(),
            created_by: r.created_by.clone(),
            created_at: r.created_at.clone(),
        }
    }
}

/// A receivable with its recoveries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceivableDetail {
    /// The receivable.
    pub receivable: ReceivableView,
    /// Its recoveries, oldest first.
    pub recoveries: Vec<RecoveryView>,
}

/// Totals of every receivable matching a list's filters (all pages), per currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceivableTotals {
    /// Currency.
    pub currency: String,
    /// Receivables.
    pub count: i64,
    /// Paid (what left).
    pub amount: String,
    /// Recovered.
    pub recovered: String,
    /// Outstanding.
    pub outstanding: String,
    /// On its way back.
    pub expected: String,
    /// Written off.
    pub written_off: String,
}

impl From<&Totals> for ReceivableTotals {
    fn from(t: &Totals) -> Self {
        let f = |m: i64| t.currency.format_minor(m);
        ReceivableTotals {
            currency: t.currency.code().into(),
            count: t.count,
            amount: f(t.amount_minor),
            recovered: f(t.amount_minor - t.outstanding_minor - t.written_off_minor),
            outstanding: f(t.outstanding_minor),
            expected: f(t.expected_minor),
            written_off: f(t.written_off_minor),
        }
    }
}

/// A page of receivables with the totals of all of them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceivablesPage {
    /// Items of this page.
    pub items: Vec<ReceivableView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Totals per currency over every page.
    pub totals: Vec<ReceivableTotals>,
}

/// Body of `POST /api/receivables/{id}/recoveries`: money collected by hand.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecoveryRequest {
    /// WIRE or CHECK.
    #[schema(pattern = "^(WIRE|CHECK)$")]
    pub method: String,
    /// Amount received, decimal string in the receivable's currency (> 0, ≤ outstanding).
    #[schema(max_length = 40, pattern = "^(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub amount: String,
    /// Day the money arrived (YYYY-MM-DD).
    #[schema(format = Date)]
    pub received_date: String,
    /// The wire reference or check number.
    #[schema(
        max_length = 140,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub reference: String,
}

/// Body of `POST /api/receivables/{id}/write-off`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WriteOffRequest {
    /// Why the rest is given up (kept in history).
    #[schema(
        max_length = 500,
        pattern = "^[^\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]*$"
    )]
    pub reason: String,
}

/// Body of `POST /api/receivables/{id}/ach-reversal`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AchReversalRequest {
    /// Why the original entry was erroneous (NACHA allows only these): DUPLICATE,
    /// WRONG_RECEIVER, WRONG_AMOUNT or WRONG_DATE.
    #[schema(pattern = "^(DUPLICATE|WRONG_RECEIVER|WRONG_AMOUNT|WRONG_DATE)$")]
    pub reason: String,
    /// Effective entry date of the reversing entry (default: the next banking day).
    #[serde(default)]
    #[schema(format = Date)]
    pub effective_date: Option<String>,
}

/// A recovery recorded and the receivable after it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryResult {
    /// The receivable, reduced.
    pub receivable: ReceivableView,
    /// The recovery.
    pub recovery: RecoveryView,
}

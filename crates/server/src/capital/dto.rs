//! Wire shapes of the capital API. Money is a decimal string in the fund currency; dates are
//! `YYYY-MM-DD`; percentages are exact decimal strings that sum to 100.

use clearway_app::capital::{self as app, Report};
use clearway_core::capital::Account;
use clearway_core::Currency;
use clearway_store::capital::{CallRow, ContributionRow, Position};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A commitment to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommitmentItem {
    /// Investor id.
    pub investor_id: String,
    /// `LP` or `GP`.
    pub kind: String,
    /// Amount committed.
    pub amount: String,
    /// Commitment date.
    pub date: String,
}

/// Body of `POST /api/funds/{fundId}/commitments`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommitmentsRequest {
    /// Commitments (one per investor; an investor already committed is refused).
    pub commitments: Vec<CommitmentItem>,
}

/// An investor's part of a call.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CallItem {
    /// Investor id.
    pub investor_id: String,
    /// Amount called.
    pub amount: String,
}

/// Body of `POST /api/funds/{fundId}/capital-calls`: `amount` (split pro rata to uncalled
/// capital by largest remainder) or `items`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CallRequest {
    /// Call date.
    pub call_date: String,
    /// Due date (not before the call date).
    pub due_date: String,
    /// Description.
    pub description: String,
    /// Deal (American waterfalls).
    #[serde(default)]
    pub deal: Option<String>,
    /// Total to split pro rata to uncalled capital.
    #[serde(default)]
    pub amount: Option<String>,
    /// Given amounts per investor.
    #[serde(default)]
    pub items: Vec<CallItem>,
}

/// A contribution to record.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContributionItem {
    /// Investor id.
    pub investor_id: String,
    /// Date received (not in the future, not before the commitment).
    pub date: String,
    /// Amount received.
    pub amount: String,
    /// Deal.
    #[serde(default)]
    pub deal: Option<String>,
    /// The call it pays (the investor's whole part of it).
    #[serde(default)]
    pub call_id: Option<String>,
}

/// Body of `POST /api/funds/{fundId}/contributions`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContributionsRequest {
    /// Contributions.
    pub contributions: Vec<ContributionItem>,
}

/// Body of `POST /api/funds/{fundId}/recallables`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecallableRequest {
    /// Investor id.
    pub investor_id: String,
    /// Date.
    pub date: String,
    /// Amount that becomes callable again.
    pub amount: String,
    /// The distribution it comes from, if any.
    #[serde(default)]
    pub distribution_id: Option<String>,
}

/// Body of `PUT /api/funds/{fundId}/ownership-basis`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasisRequest {
    /// `COMMITMENT` or `CAPITAL`.
    pub ownership_basis: String,
}

/// Body of `POST /api/funds/{fundId}/income`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncomeRequest {
    /// Period start (ownership is taken at this date).
    pub period_start: String,
    /// Period end (the allocation is dated by it).
    pub period_end: String,
    /// INCOME, REALIZED_GAIN, UNREALIZED_GAIN, EXPENSE or LOSS.
    pub kind: String,
    /// Amount; may be negative; EXPENSE and LOSS always reduce capital.
    pub amount: String,
    /// Description.
    #[serde(default)]
    pub description: String,
}

/// An investor's commitment and capital position.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PositionView {
    /// Investor.
    pub investor_id: String,
    /// Name.
    pub investor_name: String,
    /// LP or GP.
    pub kind: String,
    /// Commitment date.
    pub commitment_date: Option<String>,
    /// Committed.
    pub committed: String,
    /// Called (call items and direct contributions).
    pub called: String,
    /// Received.
    pub contributed: String,
    /// Recallable recorded.
    pub recallable: String,
    /// committed + recallable − called.
    pub uncalled: String,
}

impl PositionView {
    /// From a stored position.
    pub fn new(p: &Position, c: Currency) -> PositionView {
        PositionView {
            investor_id: p.investor_id.clone(),
            investor_name: p.investor_name.clone(),
            kind: p.kind.as_str().into(),
            commitment_date: p.commitment_date.map(|d| d.to_string()),
            committed: c.format_minor(p.committed_minor),
            called: c.format_minor(p.called_minor),
            contributed: c.format_minor(p.contributed_minor),
            recallable: c.format_minor(p.recallable_minor),
            uncalled: c.format_minor(p.uncalled_minor),
        }
    }
}

/// What a batch (request or import) recorded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchView {
    /// Commitments recorded.
    pub commitments: usize,
    /// Calls created.
    pub calls: Vec<CallView>,
    /// Contributions recorded.
    pub contributions: usize,
}

impl BatchView {
    /// From the service's outcome.
    pub fn new(o: &app::BatchOutcome, c: Currency) -> BatchView {
        BatchView {
            commitments: o.commitments,
            contributions: o.contributions,
            calls: o
                .calls
                .iter()
                .map(|(id, call)| CallView {
                    id: id.clone(),
                    call_date: call.call_date.to_string(),
                    due_date: call.due_date.to_string(),
                    description: call.description.clone(),
                    deal: call.deal.clone(),
                    total: c.format_minor(call.items.iter().map(|i| i.1).sum()),
                    received: c.format_minor(0),
                    items: call
                        .items
                        .iter()
                        .map(|(inv, a)| CallItem {
                            investor_id: inv.clone(),
                            amount: c.format_minor(*a),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A capital call.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallView {
    /// Id.
    pub id: String,
    /// Call date.
    pub call_date: String,
    /// Due date.
    pub due_date: String,
    /// Description.
    pub description: String,
    /// Deal.
    pub deal: Option<String>,
    /// Total called.
    pub total: String,
    /// Total received.
    pub received: String,
    /// Per-investor amounts (on creation; empty in lists).
    pub items: Vec<CallItem>,
}

impl CallView {
    /// From a listed call.
    pub fn new(r: &CallRow, c: Currency) -> CallView {
        CallView {
            id: r.id.clone(),
            call_date: r.call_date.to_string(),
            due_date: r.due_date.to_string(),
            description: r.description.clone(),
            deal: r.deal.clone(),
            total: c.format_minor(r.total_minor),
            received: c.format_minor(r.received_minor),
            items: Vec::new(),
        }
    }
}

/// A contribution received.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContributionView {
    /// Investor.
    pub investor_id: String,
    /// Date.
    pub date: String,
    /// Amount.
    pub amount: String,
    /// Deal.
    pub deal: Option<String>,
}

impl ContributionView {
    /// From a stored row.
    pub fn new(r: &ContributionRow, c: Currency) -> ContributionView {
        ContributionView {
            investor_id: r.investor_id.clone(),
            date: r.date.to_string(),
            amount: c.format_minor(r.amount_minor),
            deal: r.deal.clone(),
        }
    }
}

/// A recorded period amount and its allocation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncomeView {
    /// Id.
    pub id: String,
    /// Signed effect on capital.
    pub amount: String,
    /// Allocation per investor.
    pub allocations: Vec<AllocationView>,
}

/// One investor's allocation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllocationView {
    /// Investor.
    pub investor_id: String,
    /// Amount.
    pub amount: String,
}

/// Ownership as of a date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OwnershipView {
    /// Fund id.
    pub fund_id: String,
    /// The date.
    pub as_of: String,
    /// COMMITMENT or CAPITAL.
    pub basis: String,
    /// Per investor.
    pub investors: Vec<OwnershipItem>,
}

/// One investor's ownership.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OwnershipItem {
    /// Investor.
    pub investor_id: String,
    /// Commitment or net contributions.
    pub weight: String,
    /// Percentage (scale 10; the fund's sum is exactly 100).
    pub percent: String,
}

/// A capital account for the period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// Investor (absent on totals).
    pub investor_id: Option<String>,
    /// Name.
    pub investor_name: Option<String>,
    /// Beginning balance.
    pub beginning: String,
    /// Contributions.
    pub contributions: String,
    /// Allocated income/gain/loss.
    pub allocated: String,
    /// Distributions (cash; reversals negative).
    pub distributions: String,
    /// Ending balance.
    pub ending: String,
}

impl AccountView {
    /// From an account.
    pub fn new(id: Option<&str>, name: Option<&str>, a: &Account, c: Currency) -> AccountView {
        AccountView {
            investor_id: id.map(str::to_string),
            investor_name: name.map(str::to_string),
            beginning: c.format_minor(a.beginning_minor),
            contributions: c.format_minor(a.contributions_minor),
            allocated: c.format_minor(a.allocated_minor),
            distributions: c.format_minor(a.distributions_minor),
            ending: c.format_minor(a.ending_minor),
        }
    }
}

/// The capital-account report of a fund and period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportView {
    /// Fund id.
    pub fund_id: String,
    /// Currency.
    pub currency: String,
    /// Period start.
    pub from: String,
    /// Period end.
    pub to: String,
    /// Per investor.
    pub accounts: Vec<AccountView>,
    /// Sum of the accounts.
    pub total: AccountView,
    /// The fund's own account from fund-level rows (staff, whole fund only).
    pub fund_total: Option<AccountView>,
    /// Whether the accounts tie out to the fund total and each rolls forward.
    pub ties_out: bool,
}

impl ReportView {
    /// From the report.
    pub fn new(r: &Report) -> ReportView {
        let c = r.fund.fund.currency;
        ReportView {
            fund_id: r.fund.fund.id.clone(),
            currency: c.code().into(),
            from: r.from.to_string(),
            to: r.to.to_string(),
            accounts: r
                .rows
                .iter()
                .map(|(id, name, a)| AccountView::new(Some(id), Some(name), a, c))
                .collect(),
            total: AccountView::new(None, None, &r.total, c),
            fund_total: r
                .fund_total
                .as_ref()
                .map(|a| AccountView::new(None, None, a, c)),
            ties_out: r.ties_out,
        }
    }
}

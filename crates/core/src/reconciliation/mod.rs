//! Bank reconciliation: matches statement lines to the payments we sent, pure and deterministic.
//!
//! [`reconcile`] runs these passes; each line ends up in exactly one [`Decision`] or
//! [`Exception`], and a payment is paid-matched at most once (and returned at most once):
//! 1. **Reference**: NACHA trace number, ISO 20022 end-to-end id, check number or our
//!    reference token ([`crate::payments::reference`]) found in the line's reference fields or
//!    free text, exact (score 1000; a whole token with a valid check character counts even
//!    glued to other text) or cut to a prefix/suffix of at least
//!    [`MatchConfig::min_truncated_reference_len`] characters (score 950). A cut reference is
//!    evidence only when **one** matchable payment has it, whatever its amount: one shared by
//!    a run of time-ordered ids names nobody. Both need the exact amount. Two lines claiming
//!    one payment are both exceptions (a duplicate posting is never silently absorbed).
//!    A reference naming a wire of a larger amount, with a **charge line** of exactly the
//!    difference within the date window (a debit described as fee / charge / commission or
//!    coded so), clears that wire with both lines ([`Reason::FeeDeducted`], score 950; 900
//!    when the cut reference is shared and the payee's name singles the wire out); without
//!    the charge line it is an [`ExceptionCause::AmountMismatch`] naming that wire.
//! 2. **Batch** (one line → N payments): a debit equal to the exact total of an ACH batch
//!    (same `batch_id`, every member still open) within the date window.
//! 3. **Amount + date + counterparty**: exact amount, value date within ±`date_window`
//!    business days, and counterparty-name similarity; accepted only when the score reaches
//!    the threshold, beats the line's next candidate by `min_margin` *and* the line is the
//!    payment's best line by the same margin (mutual, so equal candidates are never guessed).
//! 4. **Returns**: a credit equal to a paid (or just matched) payment, by reference or by
//!    amount + counterparty after the payment date → [`Outcome::Returned`].
//! 5. **Splits** (N lines → one payment): lines carrying the same exact reference whose
//!    amounts add up to that payment.
//!
//! **Veto**: in every pass, a line whose counterparty name is clearly different from the
//! payee's (similarity below 250: no word in common) or whose account's last four digits
//! differ from the payee's is never matched to that payment automatically: it becomes an
//! [`ExceptionCause::Contradicted`] exception listing the contradicted payment, the line's
//! amount candidates and the payments its partial reference and name suggest.
//!
//! Scores are integers 0–1000 ([`Score`]); no floating point anywhere.
//! [`simulate`] generates seeded noisy statements with their ground truth and evaluates results.

pub mod calendar;
mod engine;
mod index;
pub mod simulate;
mod text;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

pub use calendar::{business_day_index, business_days_between};
pub use engine::reconcile;
pub use text::counterparty_similarity;

/// A confidence score from 0 (nothing in common) to 1000 (certain).
pub type Score = u16;

/// The highest score: exact reference and exact amount.
pub const SCORE_MAX: Score = 1000;

/// How a payment leaves the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentMethod {
    /// NACHA ACH credit (PPD/CCD); identified by its 15-digit trace number.
    Ach,
    /// Wire (ISO 20022 pain.001); identified by its end-to-end id.
    Wire,
    /// Paper check; identified by its check number.
    Check,
}

/// Where a payment stands before this reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentStatus {
    /// Sent to the bank or provider; the debit is expected on a statement.
    Initiated,
    /// Confirmed paid (e.g. by an earlier statement); may still be returned.
    Paid,
    /// Failed before leaving; never expected on a statement.
    Failed,
    /// Cancelled before leaving; never expected on a statement.
    Cancelled,
}

/// A payment we sent to an investor (money out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Our payment id.
    pub id: String,
    /// Amount in minor units; positive (money leaves the fund's account).
    pub amount_minor: i64,
    /// Currency of the amount.
    pub currency: Currency,
    /// ACH, wire or check.
    pub method: PaymentMethod,
    /// Day the debit is expected on the statement.
    pub expected_date: NaiveDate,
    /// NACHA trace number (15 digits), for ACH.
    pub trace_number: Option<String>,
    /// ISO 20022 end-to-end id, for wires.
    pub end_to_end_id: Option<String>,
    /// Check number, for checks.
    pub check_number: Option<String>,
    /// ACH batch the payment was sent in; banks often post a batch as one total.
    pub batch_id: Option<String>,
    /// Payee name as we sent it.
    pub counterparty_name: String,
    /// The payment's reference token ([`crate::payments::reference::token`] of its id), which
    /// references we generate start with; found whole anywhere in a line it is an exact
    /// reference, cut it is a partial one.
    pub reference_token: Option<String>,
    /// The payee's account as we know it (often masked: only its last digits count).
    pub counterparty_account: Option<String>,
    /// Status before this reconciliation.
    pub status: PaymentStatus,
}

/// One line of an imported bank statement (BAI2, camt.053, MT940 or CSV).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// Id of the line (statement id + sequence).
    pub id: String,
    /// Signed amount in minor units: negative is a debit leaving the account.
    pub amount_minor: i64,
    /// Currency of the account.
    pub currency: Currency,
    /// Value date.
    pub value_date: NaiveDate,
    /// Booking (posting) date.
    pub booking_date: NaiveDate,
    /// The bank's own reference (may hold a trace number).
    pub bank_reference: Option<String>,
    /// Customer reference / end-to-end id as the bank reports it.
    pub customer_reference: Option<String>,
    /// Free text (BAI2 88 records, MT940 :86:); references may hide here.
    pub description: String,
    /// Counterparty name, when the bank gives one.
    pub counterparty: Option<String>,
    /// Counterparty account, when the bank gives one (compared by its last digits).
    pub counterparty_account: Option<String>,
    /// The bank's transaction code (BAI2 type code, camt `BkTxCd`, MT940 code); tells a
    /// charge from a payment.
    pub type_code: Option<String>,
}

/// Tunable thresholds of the matcher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchConfig {
    /// Business days (Mon–Fri) a value date may differ from the expected date.
    pub date_window: u32,
    /// Minimum score for an automatic match; below it the line is an exception.
    pub auto_match_threshold: Score,
    /// Points by which the best candidate must beat the next one (both ways).
    pub min_margin: Score,
    /// Minimum counterparty similarity for an amount-based match.
    pub min_counterparty_similarity: Score,
    /// Shortest truncated reference accepted (shorter ones are too ambiguous).
    pub min_truncated_reference_len: usize,
    /// Business days after the payment date within which a return may arrive.
    pub return_window: u32,
    /// Rounds of the amount pass; later rounds see fewer open payments.
    pub amount_rounds: u32,
    /// Suggested candidates kept on an exception.
    pub max_exception_candidates: usize,
}

impl Default for MatchConfig {
    fn default() -> Self {
        MatchConfig {
            date_window: 2,
            auto_match_threshold: 800,
            min_margin: 100,
            min_counterparty_similarity: 600,
            min_truncated_reference_len: 8,
            return_window: 45,
            amount_rounds: 2,
            max_exception_candidates: 5,
        }
    }
}

/// Why the matcher refuses its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    /// Two payments share an id.
    #[error("payment id '{0}' appears more than once")]
    DuplicatePaymentId(String),
    /// Two statement lines share an id.
    #[error("statement line id '{0}' appears more than once")]
    DuplicateLineId(String),
    /// A payment amount is zero or negative.
    #[error("payment '{0}' must have a positive amount")]
    NonPositivePayment(String),
    /// Too many records for the 32-bit internal indexes.
    #[error("too many payments or statement lines (at most 4,000,000,000)")]
    TooLarge,
    /// A configuration value is out of range.
    #[error("invalid matcher configuration: {0}")]
    InvalidConfig(&'static str),
}

/// Why a candidate scored what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reason {
    /// A reference equal to the payment's trace number, end-to-end id or check number.
    ReferenceExact,
    /// A reference that is a prefix or suffix of the payment's reference.
    ReferenceTruncated,
    /// The line names the ACH batch id.
    BatchReference,
    /// The amount is exactly the payment's.
    AmountExact,
    /// The amount differs from the payment's by this many minor units (line − payment).
    AmountDiffers(i64),
    /// The value date is this many business days from the expected date.
    DateWithin(u32),
    /// The counterparty names are this similar (0–1000).
    CounterpartySimilar(Score),
    /// The amount is the exact total of an ACH batch of this many payments.
    BatchTotal(u32),
    /// This many lines add up exactly to the payment.
    SplitTotal(u32),
    /// A credit back of money we paid out.
    ReturnOf,
    /// The bank took this charge (minor units) off the wire: the line is the amount sent
    /// minus the charge, and a charge line of exactly that amount sits beside it.
    FeeDeducted(i64),
    /// The line's counterparty name contradicts the payment's (similarity 0–1000).
    CounterpartyContradicts(Score),
    /// The line's counterparty account contradicts the payment's.
    AccountContradicts,
}

/// A payment suggested for a line, with its score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Payment ids (several for an ACH batch).
    pub payment_ids: Vec<String>,
    /// Score 0–1000.
    pub score: Score,
    /// What the score is made of.
    pub reasons: Vec<Reason>,
}

/// What an automatic decision says about its payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// The lines are the payments' debits: the payments are paid.
    Matched,
    /// The line is money coming back: the payment was returned or reversed.
    Returned,
}

/// An automatic match: one line ↔ one payment, one line ↔ a batch, or N lines ↔ one payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Paid or returned.
    pub outcome: Outcome,
    /// Statement line ids.
    pub line_ids: Vec<String>,
    /// Payment ids.
    pub payment_ids: Vec<String>,
    /// Score 0–1000 (at least the configured threshold).
    pub score: Score,
    /// What the score is made of.
    pub reasons: Vec<Reason>,
}

/// Why a line was not matched automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExceptionCause {
    /// Nothing we sent looks like this line (fees, interest, unknown items).
    NoCandidate,
    /// The best candidate scores below the threshold.
    BelowThreshold,
    /// Two or more candidates score (nearly) the same: we never guess.
    Ambiguous,
    /// Another line claims the same payment as strongly.
    Contested,
    /// The reference points at a payment but the amount differs.
    AmountMismatch,
    /// The best candidate's counterparty name or account contradicts the line's.
    Contradicted,
}

/// A line left for a human, with suggestions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    /// Statement line id.
    pub line_id: String,
    /// Why it was not matched.
    pub cause: ExceptionCause,
    /// Suggested candidates, best first.
    pub candidates: Vec<Candidate>,
}

/// The result of a reconciliation run: every line is in exactly one decision or exception.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    /// Automatic matches and returns.
    pub decisions: Vec<Decision>,
    /// Lines for manual review.
    pub exceptions: Vec<Exception>,
    /// Initiated payments no line paid (outstanding).
    pub unmatched_payment_ids: Vec<String>,
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod false_match_tests;

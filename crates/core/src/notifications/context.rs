//! What a notice says, as data: the facts the engine gathers for one (event, investor) and the
//! templates render. Amounts are minor units of `currency`; nothing here is formatted yet.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{EventKind, Locale};
use crate::components::Components;
use crate::money::Currency;
use crate::payments::Method;

/// Everything one notice may say. Sections that do not apply to the event are `None`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeContext {
    /// What happened.
    pub kind: EventKind,
    /// The language of the notice.
    pub locale: Locale,
    /// The investor's name (plain text; templates escape it).
    pub investor_name: String,
    /// The fund's name, when the event is about a fund.
    pub fund_name: Option<String>,
    /// Currency of every amount below.
    pub currency: Currency,
    /// The distribution's figures for this investor.
    pub distribution: Option<DistributionFacts>,
    /// The reinvestment of this investor's line.
    pub reinvestment: Option<ReinvestmentFacts>,
    /// The payment of this investor's line.
    pub payment: Option<PaymentFacts>,
    /// The bank account that was added or changed.
    pub bank_account: Option<BankAccountFacts>,
    /// The tax document that is ready.
    pub tax_document: Option<TaxDocumentFacts>,
    /// The upcoming scheduled distribution.
    pub schedule: Option<ScheduleFacts>,
    /// A greeting written by a model (already checked: no digits, no currency signs), or none
    /// for the template's own greeting.
    pub greeting: Option<String>,
    /// Link to the notice in the investor portal.
    pub portal_url: String,
    /// One-click unsubscribe link (signed, expiring), when the channel has one.
    pub unsubscribe_url: Option<String>,
}

/// One investor's line of a distribution.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DistributionFacts {
    /// Distribution id.
    pub id: String,
    /// Record date.
    pub record_date: NaiveDate,
    /// Payable date.
    pub payable_date: NaiveDate,
    /// Units the investor held on the record date.
    pub units: Decimal,
    /// Gross amount of the line (the six components' sum).
    pub gross_minor: i64,
    /// The line's character (components, foreign tax, withholding).
    pub components: Components,
    /// Cash after withholding and reinvestment (what is paid).
    pub net_cash_minor: i64,
}

/// The reinvested part of a line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReinvestmentFacts {
    /// Amount reinvested.
    pub reinvested_minor: i64,
    /// Shares bought.
    pub shares: Decimal,
    /// NAV per share used.
    pub nav: Decimal,
    /// NAV date.
    pub nav_date: NaiveDate,
    /// Residual cash paid out (fractional shares not issued).
    pub residual_minor: i64,
}

/// A payment of a line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentFacts {
    /// Payment id.
    pub id: String,
    /// ACH, wire or check.
    pub method: Method,
    /// Amount paid.
    pub amount_minor: i64,
    /// Masked destination (e.g. `••••6789`), or the mailing name for a check.
    pub destination: String,
    /// When the money is expected to arrive (by rail and business-day calendar).
    pub expected_arrival: Option<NaiveDate>,
    /// Why it failed or was returned (e.g. `R01 Insufficient funds`), for those events.
    pub reason: Option<String>,
}

/// A bank account that was added or changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankAccountFacts {
    /// Masked account number of the new account.
    pub masked_account: String,
    /// Bank name or routing number, masked as shown elsewhere.
    pub bank: String,
    /// When the change was made (UTC timestamp as stored).
    pub changed_at: String,
    /// True on the copy sent to the previous contact address.
    pub to_previous_contact: bool,
}

/// A tax document that is ready.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxDocumentFacts {
    /// Tax year.
    pub year: i32,
    /// Form name, e.g. `1099-DIV`, `Schedule K-1`, `Tax summary`.
    pub form: String,
}

/// A scheduled distribution coming up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleFacts {
    /// Record date.
    pub record_date: NaiveDate,
    /// Payable date.
    pub payable_date: NaiveDate,
}

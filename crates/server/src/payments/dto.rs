//! Wire shapes of the payments API. Account numbers and IBANs only ever appear masked
//! (`••••6789`); amounts are decimal strings in their currency's minor units.

use clearway_core::payments::Method;
use clearway_core::{Currency, FieldError, Invalid};
use clearway_formats::ach::aba_checksum_ok;
use clearway_formats::iso20022::pain001::{validate_bic, validate_iban, Version};
use clearway_store::bank_accounts::{BankAccount, PayeeDetails};
use clearway_store::payment_batches::{Batch, Suggestion};
use clearway_store::payments::{Payment, PaymentEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::Vault;

/// A postal address (wire beneficiary, check mailing address).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressDto {
    /// Street lines (1–4).
    pub lines: Vec<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// State / region.
    #[serde(default)]
    pub region: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// ISO 3166 two-letter country.
    pub country: String,
}

/// Body of `POST /api/investors/:investorId/bank-accounts` and of `PUT …/:accountId`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BankAccountRequest {
    /// ACH, WIRE or CHECK.
    #[schema(pattern = "^(ACH|WIRE|CHECK)$")]
    pub method: String,
    /// Account holder / payee name (1 to 140 characters, not blank).
    #[schema(
        min_length = 1,
        max_length = 140,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub holder_name: String,
    /// ISO 4217 currency paid into the account (default USD; ACH and checks pay USD only).
    #[serde(default)]
    pub currency: Option<String>,
    /// ACH: 9-digit ABA routing number (check digit verified).
    #[serde(default)]
    pub routing_number: Option<String>,
    /// ACH: account number (4–17 of 0-9, A-Z, '-'); wire: a non-IBAN account number.
    #[serde(default)]
    pub account_number: Option<String>,
    /// ACH: CHECKING (default) or SAVINGS.
    #[serde(default)]
    pub account_type: Option<String>,
    /// Wire: IBAN (mod-97 verified).
    #[serde(default)]
    pub iban: Option<String>,
    /// Wire: beneficiary bank BIC.
    #[serde(default)]
    pub bic: Option<String>,
    /// Wire: beneficiary bank name.
    #[serde(default)]
    pub bank_name: Option<String>,
    /// Wire: beneficiary bank address.
    #[serde(default)]
    pub bank_address: Option<String>,
    /// Wire: beneficiary address; check: mailing address (required for both).
    #[serde(default)]
    pub address: Option<AddressDto>,
    /// Make it the investor's default payee (the first payee always is).
    #[serde(default)]
    pub is_default: Option<bool>,
    /// Staff only: the details come from a verified source (signed form); no verification run.
    #[serde(default)]
    pub verified: Option<bool>,
}

fn text(
    errors: &mut Vec<FieldError>,
    field: &str,
    v: &Option<String>,
    max: usize,
) -> Option<String> {
    let t = v.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
    if t.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
        return None;
    }
    Some(t.to_string())
}

/// Refuses a field given for a method that does not use it.
fn not_for(errors: &mut Vec<FieldError>, field: &str, present: bool, m: Method) {
    if present {
        errors.push(FieldError::new(
            field,
            format!("is not used for {m} payees"),
        ));
    }
}

impl BankAccountRequest {
    /// Validates and seals: the routing check digit, IBAN mod-97, BIC shape, currency, address.
    pub fn parse(&self, vault: &Vault) -> Result<PayeeDetails, Invalid> {
        let mut errors = Vec::new();
        let method = self.parse_method(&mut errors);
        let holder_name = self.parse_holder_name(&mut errors);
        let currency = self.parse_currency(&mut errors);
        let mut details = PayeeDetails {
            method: method.unwrap_or(Method::Ach),
            holder_name,
            // why: a missing currency was already reported as a field error above; this value is never stored
            currency: currency.map(|c| c.code().to_string()).unwrap_or_default(),
            routing_number: None,
            account_type: None,
            account: None,
            bic: None,
            bank_name: None,
            bank_address: None,
            address: None,
        };
        let clear_account = match method {
            Some(Method::Ach) => self.parse_ach(&mut errors, currency, &mut details),
            Some(Method::Wire) => self.parse_wire(&mut errors, &mut details),
            Some(Method::Check) => {
                self.parse_check(&mut errors, currency);
                None
            }
            None => None,
        };
        if let Some(a) = &self.address {
            details.address = parse_address(&mut errors, a);
        }
        if !errors.is_empty() {
            return Err(Invalid(errors));
        }
        if let Some(clear) = clear_account {
            details.account = Some(
                vault
                    .seal(&clear)
                    .map_err(|e| Invalid(vec![FieldError::new("accountNumber", e.to_string())]))?,
            );
        }
        Ok(details)
    }

    fn parse_method(&self, errors: &mut Vec<FieldError>) -> Option<Method> {
        match self.method.parse::<Method>() {
            Ok(m) => Some(m),
            Err(e) => {
                errors.push(FieldError::new("method", e));
                None
            }
        }
    }

    fn parse_holder_name(&self, errors: &mut Vec<FieldError>) -> String {
        // As sent, not trimmed, is what the 140 limits (and the document says).
        let holder_name = self.holder_name.trim().to_string();
        if holder_name.is_empty() || self.holder_name.chars().count() > 140 {
            errors.push(FieldError::new(
                "holderName",
                "is required (1 to 140 characters)",
            ));
        }
        holder_name
    }

    fn parse_currency(&self, errors: &mut Vec<FieldError>) -> Option<Currency> {
        match Currency::parse(self.currency.as_deref().unwrap_or("USD")) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(FieldError::new(
                    "currency",
                    format!("unsupported currency: {e}"),
                ));
                None
            }
        }
    }

    /// ACH: USD, routing number, account number and type; returns the clear account number.
    fn parse_ach(
        &self,
        errors: &mut Vec<FieldError>,
        currency: Option<Currency>,
        details: &mut PayeeDetails,
    ) -> Option<String> {
        if currency.is_some_and(|c| c.code() != "USD") {
            errors.push(FieldError::new(
                "currency",
                "ACH pays USD only; use a WIRE payee for other currencies",
            ));
        }
        details.routing_number = self.parse_routing_number(errors);
        let clear_account = self.parse_ach_account(errors);
        match self.account_type.as_deref().unwrap_or("CHECKING") {
            t @ ("CHECKING" | "SAVINGS") => details.account_type = Some(t.to_string()),
            other => errors.push(FieldError::new(
                "accountType",
                format!("'{other}' is not CHECKING or SAVINGS"),
            )),
        }
        not_for(errors, "iban", self.iban.is_some(), Method::Ach);
        not_for(errors, "bic", self.bic.is_some(), Method::Ach);
        clear_account
    }

    fn parse_routing_number(&self, errors: &mut Vec<FieldError>) -> Option<String> {
        match self.routing_number.as_deref().map(str::trim) {
            None | Some("") => errors.push(FieldError::new("routingNumber", "is required for ACH")),
            Some(r) if r.len() != 9 || !r.bytes().all(|b| b.is_ascii_digit()) => {
                errors.push(FieldError::new("routingNumber", "must be exactly 9 digits"))
            }
            Some(r) if !aba_checksum_ok(r) => errors.push(FieldError::new(
                "routingNumber",
                "fails the ABA check digit (3-7-1 weights)",
            )),
            Some(r) => return Some(r.to_string()),
        }
        None
    }

    fn parse_ach_account(&self, errors: &mut Vec<FieldError>) -> Option<String> {
        match self
            .account_number
            .as_deref()
            .map(|a| a.trim().to_ascii_uppercase())
        {
            None => errors.push(FieldError::new("accountNumber", "is required for ACH")),
            Some(a)
                if !(4..=17).contains(&a.len())
                    || !a
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'-') =>
            {
                errors.push(FieldError::new(
                    "accountNumber",
                    "must be 4 to 17 characters of 0-9, A-Z and '-'",
                ))
            }
            Some(a) => return Some(a),
        }
        None
    }

    /// Wire: IBAN or account number, BIC, bank, beneficiary address; returns the clear account.
    fn parse_wire(
        &self,
        errors: &mut Vec<FieldError>,
        details: &mut PayeeDetails,
    ) -> Option<String> {
        let clear_account = self.parse_wire_account(errors);
        match self.bic.as_deref().map(|b| b.trim().to_ascii_uppercase()) {
            None => errors.push(FieldError::new("bic", "is required for wires")),
            Some(b) => match validate_bic(&b, Version::V03) {
                Ok(()) => details.bic = Some(b),
                Err(problem) => errors.push(FieldError::new("bic", format!("'{b}' {problem}"))),
            },
        }
        details.bank_name = text(errors, "bankName", &self.bank_name, 140);
        details.bank_address = text(errors, "bankAddress", &self.bank_address, 140);
        if self.address.is_none() {
            errors.push(FieldError::new(
                "address",
                "the beneficiary's address is required for wires",
            ));
        }
        not_for(
            errors,
            "routingNumber",
            self.routing_number.is_some(),
            Method::Wire,
        );
        clear_account
    }

    fn parse_wire_account(&self, errors: &mut Vec<FieldError>) -> Option<String> {
        match (self.iban.as_deref(), self.account_number.as_deref()) {
            (Some(iban), None) => match validate_iban(iban) {
                Ok(normalized) => return Some(normalized),
                Err(problem) => errors.push(FieldError::new(
                    "iban",
                    format!("'{}' {problem}", clearway_core::payments::mask(iban)),
                )),
            },
            (None, Some(a)) => {
                let a = a.trim().to_string();
                if a.is_empty() || a.len() > 34 || !a.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    errors.push(FieldError::new(
                        "accountNumber",
                        "must be 1 to 34 letters or digits",
                    ));
                } else {
                    return Some(a);
                }
            }
            (Some(_), Some(_)) => errors.push(FieldError::new(
                "iban",
                "give either iban or accountNumber, not both",
            )),
            (None, None) => errors.push(FieldError::new(
                "iban",
                "an IBAN (or an accountNumber) is required for wires",
            )),
        }
        None
    }

    /// Check: USD, a mailing address, and no bank details.
    fn parse_check(&self, errors: &mut Vec<FieldError>, currency: Option<Currency>) {
        if currency.is_some_and(|c| c.code() != "USD") {
            errors.push(FieldError::new("currency", "checks are drawn in USD only"));
        }
        if self.address.is_none() {
            errors.push(FieldError::new(
                "address",
                "a mailing address is required for checks",
            ));
        }
        for (field, present) in [
            ("routingNumber", self.routing_number.is_some()),
            ("accountNumber", self.account_number.is_some()),
            ("iban", self.iban.is_some()),
            ("bic", self.bic.is_some()),
        ] {
            not_for(errors, field, present, Method::Check);
        }
    }
}

/// A postal address as stored (JSON), if every part of it is valid.
fn parse_address(errors: &mut Vec<FieldError>, a: &AddressDto) -> Option<Value> {
    let mut ok = true;
    if a.lines.is_empty()
        || a.lines.len() > 4
        || a.lines
            .iter()
            .any(|l| l.trim().is_empty() || l.chars().count() > 70)
    {
        errors.push(FieldError::new(
            "address.lines",
            "1 to 4 non-empty lines of at most 70 characters",
        ));
        ok = false;
    }
    if a.country.len() != 2 || !a.country.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.push(FieldError::new(
            "address.country",
            "must be an ISO 3166 two-letter code, e.g. US",
        ));
        ok = false;
    }
    for (field, v) in [
        ("address.city", &a.city),
        ("address.region", &a.region),
        ("address.postalCode", &a.postal_code),
    ] {
        if v.as_deref().is_some_and(|t| t.chars().count() > 35) {
            errors.push(FieldError::new(field, "must be at most 35 characters"));
            ok = false;
        }
    }
    // why: serializing a plain struct of strings cannot fail
    ok.then(|| serde_json::to_value(a).ok()).flatten()
}

/// A payee as returned: the account number or IBAN masked to its last four.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BankAccountView {
    /// Id.
    pub id: String,
    /// Investor.
    pub investor_id: String,
    /// ACH, WIRE or CHECK.
    pub method: String,
    /// PENDING_VERIFICATION, VERIFIED or DISABLED.
    pub status: String,
    /// Default payee.
    pub is_default: bool,
    /// Holder / payee name.
    pub holder_name: String,
    /// Currency.
    pub currency: String,
    /// ACH routing number.
    pub routing_number: Option<String>,
    /// CHECKING / SAVINGS.
    pub account_type: Option<String>,
    /// Account number or IBAN, masked (`••••6789`).
    pub account_number_masked: Option<String>,
    /// BIC.
    pub bic: Option<String>,
    /// Bank name.
    pub bank_name: Option<String>,
    /// Bank address.
    pub bank_address: Option<String>,
    /// Postal address.
    #[schema(value_type = Option<Object>)]
    pub address: Option<Value>,
    /// How it was verified.
    pub verification_method: Option<String>,
    /// When.
    pub verified_at: Option<String>,
    /// Micro-deposits sent and awaiting the investor's confirmation.
    pub micro_deposits_pending: bool,
    /// Why payments to it are held for review (a bank return needing changed details), until
    /// the details are replaced; null when not blocked.
    pub blocked_reason: Option<String>,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
    /// Version.
    pub version: i64,
}

impl From<&BankAccount> for BankAccountView {
    fn from(b: &BankAccount) -> Self {
        BankAccountView {
            id: b.id.clone(),
            investor_id: b.investor_id.clone(),
            method: b.method.as_str().into(),
            status: b.status.clone(),
            is_default: b.is_default,
            holder_name: b.holder_name.clone(),
            currency: b.currency.clone(),
            routing_number: b.routing_number.clone(),
            account_type: b.account_type.clone(),
            account_number_masked: b.account_last4.as_ref().map(|l| format!("••••{l}")),
            bic: b.bic.clone(),
            bank_name: b.bank_name.clone(),
            bank_address: b.bank_address.clone(),
            address: b.address.clone(),
            verification_method: b.verification_method.clone(),
            verified_at: b.verified_at.clone(),
            micro_deposits_pending: b.micro_deposits.is_some(),
            blocked_reason: b.blocked_reason.clone(),
            created_at: b.created_at.clone(),
            updated_at: b.updated_at.clone(),
            version: b.version,
        }
    }
}

/// Body of `POST …/micro-deposits/confirm`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The two amounts seen on the statement, decimal strings (e.g. ["0.12", "0.34"]).
    #[schema(min_items = 2, max_items = 2)]
    pub amounts: Vec<String>,
}

/// Body of `POST …/plaid-verification`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlaidRequest {
    /// Public token from the investor's bank link.
    #[schema(
        max_length = 500,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub public_token: String,
}

/// Result of a verification attempt.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResult {
    /// Whether the payee is verified now.
    pub verified: bool,
    /// Confirmations left (micro-deposits) when not.
    pub attempts_left: Option<i64>,
    /// Payments re-queued because the payee became usable.
    pub requeued_payments: Vec<String>,
    /// The payee.
    pub bank_account: BankAccountView,
}

/// A payment as returned.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    /// Id.
    pub id: String,
    /// Distribution.
    pub distribution_id: String,
    /// Investor.
    pub investor_id: String,
    /// ACH, WIRE or CHECK.
    pub method: String,
    /// PENDING, PROCESSING, SENT, COMPLETED, FAILED, RETURNED or CANCELLED.
    pub status: String,
    /// Payment currency.
    pub currency: String,
    /// Amount paid, in the payment currency.
    pub amount: String,
    /// The same money in the distribution's currency (ties out to the line's cash part).
    pub fund_amount: String,
    /// Distribution currency.
    pub fund_currency: String,
    /// FX rate used (payment currency per unit of fund currency), its source and timestamp.
    pub fx_rate: Option<String>,
    /// FX source.
    pub fx_source: Option<String>,
    /// FX timestamp.
    pub fx_as_of: Option<String>,
    /// Payee name.
    pub payee_name: String,
    /// Payee (bank account) instructed.
    pub bank_account_id: Option<String>,
    /// ACH trace number.
    pub trace_number: Option<String>,
    /// Wire end-to-end id.
    pub end_to_end_id: Option<String>,
    /// Check number.
    pub check_number: Option<String>,
    /// Batch (file) it went out in.
    pub batch_id: Option<String>,
    /// Expected debit date.
    pub expected_date: String,
    /// Bank value date once completed.
    pub cleared_date: Option<String>,
    /// Failure / return code.
    pub failure_code: Option<String>,
    /// Failure / return reason.
    pub failure_reason: Option<String>,
    /// Attempt number for the line.
    pub attempt: i64,
    /// Attempt it retries.
    pub retry_of: Option<String>,
    /// Provider used.
    pub provider: Option<String>,
    /// Provider id.
    pub provider_ref: Option<String>,
    /// Why it is held.
    pub hold_reason: Option<String>,
    /// Why it waits for a person.
    pub review_reason: Option<String>,
    /// Stale-dated check, money unclaimed.
    pub unclaimed: bool,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
}

impl PaymentView {
    /// Formats a payment; `fund` is the distribution's currency.
    pub fn new(p: &Payment, fund: Currency) -> PaymentView {
        let ccy = p.currency;
        PaymentView {
            id: p.id.clone(),
            distribution_id: p.distribution_id.clone(),
            investor_id: p.investor_id.clone(),
            method: p.method.as_str().into(),
            status: p.status.as_str().into(),
            currency: p.currency.code().into(),
            amount: ccy.format_minor(p.amount_minor),
            fund_amount: fund.format_minor(p.fund_amount_minor),
            fund_currency: fund.code().into(),
            fx_rate: p.fx_rate.map(|r| r.to_string()),
            fx_source: p.fx_source.clone(),
            fx_as_of: p.fx_as_of.clone(),
            payee_name: p.payee_name.clone(),
            bank_account_id: p.bank_account_id.clone(),
            trace_number: p.trace_number.clone(),
            end_to_end_id: p.end_to_end_id.clone(),
            check_number: p.check_number.clone(),
            batch_id: p.batch_id.clone(),
            expected_date: p.expected_date.to_string(),
            cleared_date: p.cleared_date.map(|d| d.to_string()),
            failure_code: p.failure_code.clone(),
            failure_reason: p.failure_reason.clone(),
            attempt: p.attempt,
            retry_of: p.retry_of.clone(),
            provider: p.provider.clone(),
            provider_ref: p.provider_ref.clone(),
            hold_reason: p.hold_reason.clone(),
            review_reason: p.review_reason.clone(),
            unclaimed: p.unclaimed,
            created_at: p.created_at.clone(),
            updated_at: p.updated_at.clone(),
        }
    }
}

/// One logged status change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentEventView {
    /// Attempt number.
    pub attempt: i64,
    /// From.
    pub from_status: Option<String>,
    /// To.
    pub to_status: String,
    /// Code.
    pub code: Option<String>,
    /// Reason.
    pub reason: Option<String>,
    /// When.
    pub at: String,
}

impl From<&PaymentEvent> for PaymentEventView {
    fn from(e: &PaymentEvent) -> Self {
        PaymentEventView {
            attempt: e.attempt,
            from_status: e.from_status.clone(),
            to_status: e.to_status.clone(),
            code: e.code.clone(),
            reason: e.reason.clone(),
            at: e.at.clone(),
        }
    }
}

/// `GET /api/distributions/payments/:id/status`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentStatusView {
    /// The payment.
    pub payment: PaymentView,
    /// Status of its distribution line.
    pub line_status: String,
    /// Every attempt's status changes for the line, oldest first.
    pub history: Vec<PaymentEventView>,
    /// The bank's latest word on it from a pain.002 status report (`null`: none yet).
    pub bank_status: Option<BankStatusView>,
}

/// The bank's latest status for a payment, from a pain.002 status report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BankStatusView {
    /// Status code (`ACSP`, `RJCT`, `ACSC`, …).
    pub status: Option<String>,
    /// First reason code.
    pub reason_code: Option<String>,
    /// Reasons as text.
    pub reason_text: Option<String>,
    /// What it did to the payment: `APPLIED`, `RECORDED` or `UNCHANGED`.
    pub outcome: String,
    /// The report's message id.
    pub message_id: String,
    /// When the report was imported.
    pub reported_at: String,
}

impl From<clearway_store::payments::status_reports::BankStatus> for BankStatusView {
    fn from(b: clearway_store::payments::status_reports::BankStatus) -> Self {
        BankStatusView {
            status: b.status,
            reason_code: b.reason_code,
            reason_text: b.reason_text,
            outcome: b.outcome,
            message_id: b.message_id,
            reported_at: b.reported_at,
        }
    }
}

/// A batch (file) as listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchView {
    /// Id.
    pub id: String,
    /// NACHA, PAIN001, CHECK_REGISTER, PROVIDER or MICRO_DEPOSIT.
    pub kind: String,
    /// Distribution.
    pub distribution_id: Option<String>,
    /// GENERATED or SUBMITTED.
    pub status: String,
    /// Entries.
    pub payment_count: i64,
    /// Total (single-currency batches).
    pub total: String,
    /// Currency.
    pub currency: String,
    /// Effective / execution / issue date.
    pub effective_date: String,
    /// File name.
    pub file_name: Option<String>,
    /// SHA-256 of the file.
    pub file_sha256: Option<String>,
    /// The batch storing the file that carries this one too: a NACHA file cut for several
    /// distributions, each in batches of its own (absent when the file is this batch's).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub file_batch_id: Option<String>,
    /// Where to download the file (admins and operators; audited).
    pub download_url: Option<String>,
    /// Created.
    pub created_at: String,
}

impl From<&Batch> for BatchView {
    fn from(b: &Batch) -> Self {
        let ccy = Currency::parse(&b.currency).unwrap_or(Currency::USD);
        BatchView {
            id: b.id.clone(),
            kind: b.kind.clone(),
            distribution_id: b.distribution_id.clone(),
            status: b.status.clone(),
            payment_count: b.payment_count,
            total: ccy.format_minor(b.total_minor),
            currency: b.currency.clone(),
            effective_date: b.effective_date.clone(),
            file_name: b.file_name.clone(),
            file_sha256: b.file_sha256.clone(),
            file_batch_id: b.file_batch_id.clone(),
            download_url: b
                .file_name
                .as_ref()
                .map(|_| format!("/api/payment-batches/{}/file", b.id)),
            created_at: b.created_at.clone(),
        }
    }
}

/// A payee correction from a notification of change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionView {
    /// Id.
    pub id: String,
    /// Payee.
    pub bank_account_id: String,
    /// Payment whose entry drew the notice.
    pub payment_id: Option<String>,
    /// NACHA change code.
    pub change_code: String,
    /// Corrected routing number.
    pub routing_number: Option<String>,
    /// Corrected account number, masked.
    pub account_number_masked: Option<String>,
    /// Corrected account type.
    pub account_type: Option<String>,
    /// OPEN, ACCEPTED or REJECTED.
    pub status: String,
    /// Created.
    pub created_at: String,
}

impl From<&Suggestion> for SuggestionView {
    fn from(s: &Suggestion) -> Self {
        SuggestionView {
            id: s.id.clone(),
            bank_account_id: s.bank_account_id.clone(),
            payment_id: s.payment_id.clone(),
            change_code: s.change_code.clone(),
            routing_number: s.routing_number.clone(),
            account_number_masked: s.account_last4.as_ref().map(|l| format!("••••{l}")),
            account_type: s.account_type.clone(),
            status: s.status.clone(),
            created_at: s.created_at.clone(),
        }
    }
}

/// One FX rate to import.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FxRateRequest {
    /// Currency converted from (the fund's).
    pub base: String,
    /// Currency converted into (the investor's).
    pub quote: String,
    /// Units of quote per unit of base, decimal string (e.g. "0.9213").
    #[schema(max_length = 40, pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub rate: String,
    /// Where the rate comes from (e.g. "ECB", "bank").
    #[schema(
        max_length = 64,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub source: String,
    /// When it was observed: RFC 3339 timestamp, or a date (midnight UTC).
    pub as_of: String,
}

/// Body of `POST /api/fx-rates`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FxRatesRequest {
    /// Rates (1 to 10,000).
    #[schema(min_items = 1, max_items = 10000)]
    pub rates: Vec<FxRateRequest>,
}

/// A stored rate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FxRateView {
    /// Id.
    pub id: String,
    /// Base.
    pub base: String,
    /// Quote.
    pub quote: String,
    /// Rate.
    pub rate: String,
    /// Source.
    pub source: String,
    /// Observed at.
    pub as_of: String,
}

/// Result of an FX import.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FxImportResult {
    /// Rates read.
    pub received: usize,
    /// Rates new to the table (the rest were already there).
    pub imported: usize,
}

/// Result of `POST /api/distributions/:id/payments`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitiateResult {
    /// Payments created that will be sent.
    pub pending: Vec<String>,
    /// Payments created FAILED (no payee / FX rate): in the review queue.
    pub failed: Vec<String>,
    /// Payments created PENDING but held for review (oversized for ACH without a wire
    /// instruction, payee blocked after a bank return): in the review queue, not sent.
    #[serde(default)]
    pub held: Vec<String>,
}

/// Result of stale-dating.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaleResult {
    /// Checks stale-dated now (moved to the unclaimed-funds queue).
    pub stale_dated: Vec<String>,
    /// Issued on or before this date.
    pub cutoff: String,
}

// The view of `clearway_app::payments::rails::ReturnsOutcome`; the doc line below is the
// API's description, as it was before the outcome moved to the application layer.
/// What a return / NOC file did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReturnsOutcome {
    /// Return entries read.
    pub returns: usize,
    /// Returns applied to one of our payments.
    pub applied: usize,
    /// Returns for payments already in that state (a file imported twice).
    pub already_applied: usize,
    /// Notifications of change read (each a suggested payee update).
    pub notices: usize,
    /// Trace numbers we do not know.
    pub unmatched: Vec<String>,
    /// What the reader normalised to read the file (records padded or cut to 94 characters).
    pub warnings: Vec<String>,
}

impl From<clearway_app::payments::rails::ReturnsOutcome> for ReturnsOutcome {
    fn from(o: clearway_app::payments::rails::ReturnsOutcome) -> Self {
        ReturnsOutcome {
            returns: o.returns,
            applied: o.applied,
            already_applied: o.already_applied,
            notices: o.notices,
            unmatched: o.unmatched,
            warnings: o.warnings,
        }
    }
}

/// A line whose cash is above the ACH limit of its payee's rail.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OversizedLineView {
    /// Investor.
    pub investor_id: String,
    /// Investor's name.
    pub investor_name: String,
    /// The line's cash: total less withholding less what its reinvestment election would
    /// reinvest now (see the summary's `reinvestmentApplied`), in the distribution's currency
    /// (decimal string).
    pub amount: String,
    /// The ACH amount in USD (decimal string; after FX for other currencies).
    pub ach_amount: String,
    /// The payee's rail: ACH.
    pub method: String,
    /// Its per-entry limit (USD, decimal string).
    pub limit: String,
    /// What processing will do: WIRE (usable wire instruction) or REVIEW (held, `OVERSIZED`).
    #[schema(pattern = "^(WIRE|REVIEW)$")]
    pub route: String,
}

/// The preflight of a distribution: counts and totals over every oversized line, one page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreflightView {
    /// Distribution.
    pub distribution_id: String,
    /// Its currency.
    pub currency: String,
    /// Counts and total over all oversized lines.
    pub summary: OversizedSummary,
    /// This page, by investor id.
    pub items: Vec<OversizedLineView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Counts and total of a distribution's lines above the ACH limit (see the preflight).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OversizedSummary {
    /// The ACH per-entry limit in force (USD, decimal string).
    pub limit: String,
    /// Lines above it.
    pub count: usize,
    /// Of which paid by wire (the investor has a usable wire instruction).
    pub to_wire: usize,
    /// Of which held for review (`OVERSIZED`).
    pub to_review: usize,
    /// Their cash, in the distribution's currency (decimal string).
    pub total_amount: String,
    /// Whether the cash is net of reinvestment as the elections and NAVs stand now; `false`
    /// when a NAV is missing, the cash then being the line less withholding (an upper bound).
    pub reinvestment_applied: bool,
}

/// One transaction of a pain.002 status report and what it did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusReportItemView {
    /// 1-based order in the report.
    pub seq: i64,
    /// `OrgnlEndToEndId`.
    pub end_to_end_id: Option<String>,
    /// `OrgnlInstrId`.
    pub instruction_id: Option<String>,
    /// Status code (`RJCT`, `ACSC`, `ACCP`, …), as given or inherited from the group or
    /// payment level.
    pub status: Option<String>,
    /// First reason code (`AC04`, …).
    pub reason_code: Option<String>,
    /// Reasons as text (`AC04: Account closed`).
    pub reason_text: Option<String>,
    /// Our payment, when matched.
    pub payment_id: Option<String>,
    /// `APPLIED` (failed or settled), `RECORDED` (accepted / pending, status unchanged),
    /// `UNCHANGED` (already so) or `UNMATCHED` (nothing changed; see `detail`).
    pub outcome: String,
    /// What changed, or why nothing did.
    pub detail: Option<String>,
    /// 1-based line in the file.
    pub line: usize,
}

/// What a pain.002 status report did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusReportView {
    /// True when this file was imported before: nothing changed, the earlier result is shown.
    pub duplicate: bool,
    /// Report id.
    pub id: String,
    /// The report's `GrpHdr/MsgId`.
    pub message_id: String,
    /// Our pain.001 message id it answers.
    pub original_message_id: String,
    /// `OrgnlMsgNmId`.
    pub original_message_name: Option<String>,
    /// `GrpSts`.
    pub group_status: Option<String>,
    /// Transactions reported.
    pub transactions: i64,
    /// Applied (failed or settled).
    pub applied: i64,
    /// Recorded (accepted / pending).
    pub recorded: i64,
    /// Already in that state.
    pub unchanged: i64,
    /// Not matched to a payment of ours (see each item's `detail`).
    pub unmatched: i64,
    /// Per transaction.
    pub items: Vec<StatusReportItemView>,
}

impl From<&clearway_app::payments::status_reports::StatusReportOutcome> for StatusReportView {
    fn from(o: &clearway_app::payments::status_reports::StatusReportOutcome) -> Self {
        let r = &o.report;
        StatusReportView {
            duplicate: o.duplicate,
            id: r.id.clone(),
            message_id: r.message_id.clone(),
            original_message_id: r.original_message_id.clone(),
            original_message_name: r.original_message_name.clone(),
            group_status: r.group_status.clone(),
            transactions: r.transaction_count,
            applied: r.applied_count,
            recorded: r.recorded_count,
            unchanged: r.unchanged_count,
            unmatched: r.unmatched_count,
            items: o
                .items
                .iter()
                .map(|i| StatusReportItemView {
                    seq: i.seq,
                    end_to_end_id: i.item.end_to_end_id.clone(),
                    instruction_id: i.item.instruction_id.clone(),
                    status: i.item.status.clone(),
                    reason_code: i.item.reason_code.clone(),
                    reason_text: i.item.reason_text.clone(),
                    payment_id: i.item.payment_id.clone(),
                    outcome: i.item.outcome.to_string(),
                    detail: i.item.detail.clone(),
                    line: i.item.line,
                })
                .collect(),
        }
    }
}

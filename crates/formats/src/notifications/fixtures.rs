//! Fixture contexts: every section an event kind shows, with figures that exercise the
//! templates (components, withholding, reinvestment residual, expected arrival). The load
//! check renders each kind and locale with them; tests and benchmarks use them too.

use chrono::NaiveDate;
use clearway_core::components::Components;
use clearway_core::notifications::context::{
    BankAccountFacts, DistributionFacts, PaymentFacts, ReinvestmentFacts, ScheduleFacts,
    TaxDocumentFacts,
};
use clearway_core::notifications::{EventKind, Locale, NoticeContext};
use clearway_core::payments::Method;
use clearway_core::Currency;
use rust_decimal::Decimal;

/// An investor name that is markup; the HTML must never contain [`MARKUP_PROBE_TAG`].
pub(crate) const MARKUP_PROBE: &str = "Ana <i data-probe>O'Brien</i> & Co";
/// The tag of [`MARKUP_PROBE`] as it would appear unescaped.
pub(crate) const MARKUP_PROBE_TAG: &str = "<i data-probe>";

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).expect("valid fixture date")
}

/// A context for `kind` in `locale` with the sections that kind shows; with
/// `with_return_of_capital` every kind also shows a distribution that has return of capital
/// (so every template is tried with all three disclosures).
pub fn sample_context(
    kind: EventKind,
    locale: Locale,
    with_return_of_capital: bool,
) -> NoticeContext {
    use EventKind as K;
    let shows_distribution = with_return_of_capital
        || matches!(
            kind,
            K::DistributionDeclared
                | K::DistributionApproved
                | K::DistributionProcessed
                | K::ReinvestmentDone
        );
    let shows_payment = matches!(
        kind,
        K::DistributionProcessed
            | K::PaymentSent
            | K::PaymentSettled
            | K::PaymentFailed
            | K::PaymentReturned
            | K::CheckStale
    );
    NoticeContext {
        kind,
        locale,
        investor_name: "Ana O'Brien".into(),
        fund_name: Some("Clearway Income Fund".into()),
        currency: Currency::USD,
        distribution: shows_distribution.then(|| distribution(with_return_of_capital)),
        reinvestment: matches!(kind, K::DistributionProcessed | K::ReinvestmentDone)
            .then(reinvestment),
        payment: shows_payment.then(|| payment(kind)),
        bank_account: (kind == K::BankAccountChanged).then(|| BankAccountFacts {
            masked_account: "••••6789".into(),
            bank: "First Example Bank (•••••0021)".into(),
            changed_at: "2026-03-02 14:05 UTC".into(),
            to_previous_contact: with_return_of_capital,
        }),
        tax_document: (kind == K::TaxDocumentReady).then(|| TaxDocumentFacts {
            year: 2025,
            form: "1099-DIV".into(),
        }),
        schedule: (kind == K::ScheduledDistributionUpcoming).then(|| ScheduleFacts {
            record_date: date(6, 15),
            payable_date: date(6, 30),
        }),
        greeting: None,
        portal_url: "https://portal.example.com/notices/n-1".into(),
        unsubscribe_url: Some("https://portal.example.com/unsubscribe?t=abc".into()),
    }
}

/// $1,234.56 gross: 700.00 ordinary, 334.56 qualified, 200.00 return of capital (or all
/// ordinary without it); 24.00 withheld; 500.00 reinvested.
fn distribution(with_return_of_capital: bool) -> DistributionFacts {
    let roc = if with_return_of_capital { 20_000 } else { 0 };
    let components = Components {
        ordinary_dividend: 90_000 - roc,
        qualified_dividend: 33_456,
        return_of_capital: roc,
        withholding: 2_400,
        ..Components::default()
    };
    DistributionFacts {
        id: "dist-1".into(),
        record_date: date(3, 16),
        payable_date: date(3, 31),
        units: Decimal::new(1_000_500, 2),
        gross_minor: 123_456,
        components,
        net_cash_minor: 123_456 - 2_400 - 50_000,
    }
}

fn reinvestment() -> ReinvestmentFacts {
    ReinvestmentFacts {
        reinvested_minor: 49_990,
        shares: Decimal::new(19_9000, 4),
        nav: Decimal::new(251_2060, 5),
        nav_date: date(3, 31),
        residual_minor: 10,
    }
}

fn payment(kind: EventKind) -> PaymentFacts {
    let check = kind == EventKind::CheckStale;
    PaymentFacts {
        id: "pay-1".into(),
        method: if check { Method::Check } else { Method::Ach },
        amount_minor: 71_056,
        destination: if check {
            "Ana O'Brien".into()
        } else {
            "••••6789".into()
        },
        expected_arrival: Some(date(3, 31)),
        reason: matches!(kind, EventKind::PaymentFailed | EventKind::PaymentReturned)
            .then(|| "R01 Insufficient funds".into()),
    }
}

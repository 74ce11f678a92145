//! The required disclosures, word for word per locale. Templates must carry them; rendering
//! checks the output contains each one that applies and refuses the notice otherwise.

use super::{EventKind, Locale, NoticeContext};

/// One required disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disclosure {
    /// The past-performance legend (every notice about money).
    PastPerformance,
    /// Tax character is an estimate until year end (every notice with components).
    TaxEstimate,
    /// Section 19(a)-style source-of-distribution notice (whenever return of capital is part
    /// of a distribution).
    SourceOfDistribution,
}

impl Disclosure {
    /// The exact text in `locale`.
    pub fn text(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (Disclosure::PastPerformance, Locale::En) => "Past performance does not guarantee future results. Distributions are not guaranteed and may vary.",
            (Disclosure::PastPerformance, Locale::Es) => "El rendimiento pasado no garantiza resultados futuros. Las distribuciones no están garantizadas y pueden variar.",
            (Disclosure::TaxEstimate, Locale::En) => "The tax character of this distribution is an estimate until year end; your final tax character will be reported on your year-end tax form.",
            (Disclosure::TaxEstimate, Locale::Es) => "El carácter fiscal de esta distribución es una estimación hasta el cierre del año; el carácter fiscal definitivo se informará en su formulario fiscal de fin de año.",
            (Disclosure::SourceOfDistribution, Locale::En) => "Notice of the source of this distribution (Section 19(a)): part of this distribution is a return of capital, that is, a return of some of the money you invested, and not income or profit of the fund. The amounts and sources reported here are estimates, not for tax reporting; the actual amounts and sources for tax purposes will depend on the fund's results for the full fiscal year.",
            (Disclosure::SourceOfDistribution, Locale::Es) => "Aviso sobre el origen de esta distribución (Sección 19(a)): parte de esta distribución es una devolución de capital, es decir, la devolución de una parte del dinero que usted invirtió, y no ingresos ni ganancias del fondo. Los importes y orígenes aquí indicados son estimaciones y no sirven para fines fiscales; los importes y orígenes definitivos dependerán de los resultados del fondo durante todo el ejercicio fiscal.",
        }
    }
}

impl Disclosure {
    /// Every disclosure, in the order notices print them.
    pub const ALL: [Disclosure; 3] = [
        Disclosure::PastPerformance,
        Disclosure::TaxEstimate,
        Disclosure::SourceOfDistribution,
    ];

    /// A short stable name (errors and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Disclosure::PastPerformance => "pastPerformance",
            Disclosure::TaxEstimate => "taxEstimate",
            Disclosure::SourceOfDistribution => "sourceOfDistribution",
        }
    }
}

/// The disclosures a notice must carry, in print order:
/// - past performance on every notice about a distribution, a reinvestment or a scheduled
///   distribution (by its kind or because it shows one of those sections);
/// - the tax estimate whenever the notice shows components (a distribution section);
/// - the source-of-distribution notice whenever the distribution has return of capital.
pub fn required_disclosures(ctx: &NoticeContext) -> Vec<Disclosure> {
    let about_distribution = matches!(
        ctx.kind,
        EventKind::DistributionDeclared
            | EventKind::DistributionApproved
            | EventKind::DistributionProcessed
            | EventKind::ReinvestmentDone
            | EventKind::ScheduledDistributionUpcoming
    ) || ctx.distribution.is_some()
        || ctx.reinvestment.is_some()
        || ctx.schedule.is_some();
    let mut out = Vec::new();
    if about_distribution {
        out.push(Disclosure::PastPerformance);
    }
    if let Some(d) = &ctx.distribution {
        out.push(Disclosure::TaxEstimate);
        if d.components.return_of_capital > 0 {
            out.push(Disclosure::SourceOfDistribution);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::Components;
    use crate::money::Currency;
    use crate::notifications::context::{DistributionFacts, PaymentFacts, ScheduleFacts};
    use crate::payments::Method;
    use chrono::NaiveDate;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
    }

    fn ctx(kind: EventKind) -> NoticeContext {
        NoticeContext {
            kind,
            locale: Locale::En,
            investor_name: "Ana".into(),
            fund_name: Some("Fund".into()),
            currency: Currency::USD,
            distribution: None,
            reinvestment: None,
            payment: None,
            bank_account: None,
            tax_document: None,
            schedule: None,
            greeting: None,
            portal_url: "https://portal.example/n/1".into(),
            unsubscribe_url: None,
        }
    }

    fn distribution(roc: i64) -> DistributionFacts {
        let components = Components {
            ordinary_dividend: 600,
            return_of_capital: roc,
            ..Components::default()
        };
        DistributionFacts {
            id: "d1".into(),
            record_date: date(),
            payable_date: date(),
            units: 10.into(),
            gross_minor: 600 + roc,
            components,
            net_cash_minor: 600 + roc,
        }
    }

    use Disclosure::*;

    #[test]
    fn a_distribution_notice_carries_past_performance_and_the_tax_estimate() {
        let mut c = ctx(EventKind::DistributionDeclared);
        c.distribution = Some(distribution(0));
        assert_eq!(required_disclosures(&c), vec![PastPerformance, TaxEstimate]);
    }

    #[test]
    fn return_of_capital_adds_the_source_notice() {
        let mut c = ctx(EventKind::DistributionProcessed);
        c.distribution = Some(distribution(400));
        assert_eq!(
            required_disclosures(&c),
            vec![PastPerformance, TaxEstimate, SourceOfDistribution]
        );
        c.distribution = Some(distribution(-1));
        assert_eq!(required_disclosures(&c), vec![PastPerformance, TaxEstimate]);
    }

    #[test]
    fn reinvestment_and_schedule_notices_carry_past_performance() {
        assert_eq!(
            required_disclosures(&ctx(EventKind::ReinvestmentDone)),
            vec![PastPerformance]
        );
        let mut c = ctx(EventKind::ScheduledDistributionUpcoming);
        c.schedule = Some(ScheduleFacts {
            record_date: date(),
            payable_date: date(),
        });
        assert_eq!(required_disclosures(&c), vec![PastPerformance]);
    }

    #[test]
    fn payment_bank_and_tax_document_notices_carry_none_unless_they_show_a_distribution() {
        for kind in [
            EventKind::PaymentSent,
            EventKind::BankAccountChanged,
            EventKind::TaxDocumentReady,
            EventKind::CheckStale,
        ] {
            assert_eq!(required_disclosures(&ctx(kind)), vec![], "{kind}");
        }
        let mut c = ctx(EventKind::PaymentSettled);
        c.payment = Some(PaymentFacts {
            id: "p1".into(),
            method: Method::Ach,
            amount_minor: 1000,
            destination: "••••6789".into(),
            expected_arrival: None,
            reason: None,
        });
        c.distribution = Some(distribution(400));
        assert_eq!(
            required_disclosures(&c),
            vec![PastPerformance, TaxEstimate, SourceOfDistribution]
        );
    }
}

//! The required disclosures, word for word per locale. Templates must carry them; rendering
//! checks the output contains each one that applies and refuses the notice otherwise.

use super::Locale;

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

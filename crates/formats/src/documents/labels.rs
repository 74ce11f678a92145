//! Printed labels per language. Disclosures are not here: the caller passes them word for word.

/// The language of a document's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Spanish.
    Es,
}

impl Lang {
    /// BCP 47 tag (the PDF's declared language).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en-US",
            Lang::Es => "es",
        }
    }

    /// The label `key` in this language; an unknown key prints as itself.
    pub fn t(self, key: &'static str) -> &'static str {
        let pair = LABELS.iter().find(|(k, _, _)| *k == key);
        match (pair, self) {
            (Some((_, en, _)), Lang::En) => en,
            (Some((_, _, es)), Lang::Es) => es,
            (None, _) => key,
        }
    }
}

/// (key, English, Spanish). Component keys are the core's wire names.
const LABELS: &[(&str, &str, &str)] = &[
    ("notice", "Distribution notice", "Aviso de distribución"),
    ("for", "For", "Para"),
    ("distribution", "Distribution", "Distribución"),
    ("fund", "Fund", "Fondo"),
    ("description", "Description", "Descripción"),
    ("distributionId", "Distribution id", "Identificador"),
    ("recordDate", "Record date", "Fecha de registro"),
    ("payableDate", "Payable date", "Fecha de pago"),
    (
        "units",
        "Units held on the record date",
        "Participaciones a la fecha de registro",
    ),
    ("gross", "Gross amount", "Importe bruto"),
    (
        "components",
        "Components (tax character)",
        "Componentes (carácter fiscal)",
    ),
    ("component", "Component", "Componente"),
    ("amount", "Amount", "Importe"),
    (
        "foreignTax",
        "Foreign tax paid",
        "Impuesto extranjero pagado",
    ),
    ("withholding", "Tax withheld", "Retención fiscal"),
    ("reinvestment", "Reinvestment", "Reinversión"),
    ("reinvested", "Reinvested", "Reinvertido"),
    ("shares", "Shares bought", "Participaciones compradas"),
    (
        "nav",
        "NAV per share",
        "Valor liquidativo por participación",
    ),
    ("navDate", "NAV date", "Fecha del valor liquidativo"),
    ("residual", "Residual cash", "Efectivo residual"),
    ("netCash", "Net cash", "Efectivo neto"),
    ("notProcessed", "Not yet processed", "Aún no procesada"),
    ("payments", "Payments", "Pagos"),
    ("method", "Method", "Método"),
    ("destination", "Destination", "Destino"),
    ("status", "Status", "Estado"),
    ("expected", "Expected arrival", "Llegada prevista"),
    ("noPayments", "No payment yet.", "Todavía no hay pagos."),
    (
        "disclosures",
        "Important information",
        "Información importante",
    ),
    ("statement", "Investor statement", "Estado de cuenta"),
    ("period", "Period", "Periodo"),
    ("positions", "Positions", "Posiciones"),
    ("opening", "Opening units", "Participaciones iniciales"),
    ("closing", "Closing units", "Participaciones finales"),
    ("costBasis", "Cost basis", "Base de coste"),
    ("distributions", "Distributions", "Distribuciones"),
    (
        "noDistributions",
        "No distribution in this period.",
        "Ninguna distribución en este periodo.",
    ),
    ("reinvestments", "Reinvestments", "Reinversiones"),
    (
        "noReinvestments",
        "No reinvestment in this period.",
        "Ninguna reinversión en este periodo.",
    ),
    ("tradeDate", "Trade date", "Fecha de operación"),
    ("cost", "Cost", "Coste"),
    ("date", "Date", "Fecha"),
    (
        "lots",
        "Tax lots (cost basis)",
        "Lotes fiscales (base de coste)",
    ),
    ("acquired", "Acquired", "Adquirido"),
    ("source", "Source", "Origen"),
    ("basis", "Basis", "Base"),
    ("noLots", "No open tax lot.", "Ningún lote fiscal abierto."),
    ("noPositions", "No position.", "Ninguna posición."),
    ("taxSummary", "Tax summary", "Resumen fiscal"),
    ("year", "Tax year", "Año fiscal"),
    ("byFund", "Components by fund", "Componentes por fondo"),
    ("total", "Total", "Total"),
    (
        "noTax",
        "No distribution in this year.",
        "Ninguna distribución en este año.",
    ),
    (
        "ordinaryDividend",
        "Ordinary dividend",
        "Dividendo ordinario",
    ),
    (
        "qualifiedDividend",
        "Qualified dividend",
        "Dividendo calificado",
    ),
    (
        "shortTermGain",
        "Short-term capital gain",
        "Ganancia de capital a corto plazo",
    ),
    (
        "longTermGain",
        "Long-term capital gain",
        "Ganancia de capital a largo plazo",
    ),
    (
        "returnOfCapital",
        "Return of capital",
        "Devolución de capital",
    ),
    ("interest", "Interest", "Intereses"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_both_languages_and_keys_are_unique() {
        for (i, (key, en, es)) in LABELS.iter().enumerate() {
            assert!(!en.is_empty() && !es.is_empty(), "{key}");
            assert!(
                LABELS[i + 1..].iter().all(|(k, _, _)| k != key),
                "{key} twice"
            );
        }
        assert_eq!(Lang::Es.t("notice"), "Aviso de distribución");
        assert_eq!(Lang::En.t("unknownKey"), "unknownKey");
    }
}

//! The fixed words of the fact tables and links, per locale.

use clearway_core::components::ComponentKind;
use clearway_core::notifications::Locale;
use serde::Serialize;

/// Labels of one locale.
#[derive(Debug, Serialize)]
pub(crate) struct Labels {
    pub your_fund: &'static str,
    pub view_in_portal: &'static str,
    pub unsubscribe: &'static str,
    pub disclosures_title: &'static str,
    pub distribution_title: &'static str,
    pub reinvestment_title: &'static str,
    pub payment_title: &'static str,
    pub bank_title: &'static str,
    pub schedule_title: &'static str,
    pub record_date: &'static str,
    pub payable_date: &'static str,
    pub units: &'static str,
    pub gross: &'static str,
    pub foreign_tax: &'static str,
    pub withholding: &'static str,
    pub net_cash: &'static str,
    pub reinvested: &'static str,
    pub shares: &'static str,
    pub nav: &'static str,
    pub residual: &'static str,
    pub amount: &'static str,
    pub method: &'static str,
    pub destination: &'static str,
    pub expected_arrival: &'static str,
    pub reason: &'static str,
    pub account: &'static str,
    pub bank: &'static str,
    pub changed_at: &'static str,
    pub ach: &'static str,
    pub wire: &'static str,
    pub check: &'static str,
    /// The six components, in [`ComponentKind::ALL`] order.
    pub components: [&'static str; 6],
}

impl Labels {
    /// The label of one income component.
    pub fn component(&self, kind: ComponentKind) -> &'static str {
        let i = ComponentKind::ALL
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(0);
        self.components[i]
    }
}

static EN: Labels = Labels {
    your_fund: "your fund",
    view_in_portal: "View this notice in the investor portal",
    unsubscribe: "Unsubscribe from these emails",
    disclosures_title: "Important information",
    distribution_title: "Your distribution",
    reinvestment_title: "Your reinvestment",
    payment_title: "Your payment",
    bank_title: "Bank account",
    schedule_title: "Upcoming distribution",
    record_date: "Record date",
    payable_date: "Payable date",
    units: "Units held on the record date",
    gross: "Total distribution",
    foreign_tax: "Foreign tax paid",
    withholding: "Tax withheld",
    net_cash: "Net cash",
    reinvested: "Amount reinvested",
    shares: "Shares purchased",
    nav: "Net asset value per share",
    residual: "Residual cash paid",
    amount: "Amount",
    method: "Payment method",
    destination: "Paid to",
    expected_arrival: "Expected arrival",
    reason: "Reason",
    account: "Account",
    bank: "Bank",
    changed_at: "Changed at",
    ach: "ACH transfer",
    wire: "Wire transfer",
    check: "Check by mail",
    components: [
        "Ordinary dividends",
        "Qualified dividends",
        "Short-term capital gains",
        "Long-term capital gains",
        "Return of capital",
        "Interest",
    ],
};

static ES: Labels = Labels {
    your_fund: "su fondo",
    view_in_portal: "Ver este aviso en el portal del inversor",
    unsubscribe: "Darse de baja de estos correos",
    disclosures_title: "Información importante",
    distribution_title: "Su distribución",
    reinvestment_title: "Su reinversión",
    payment_title: "Su pago",
    bank_title: "Cuenta bancaria",
    schedule_title: "Próxima distribución",
    record_date: "Fecha de registro",
    payable_date: "Fecha de pago",
    units: "Participaciones en la fecha de registro",
    gross: "Distribución total",
    foreign_tax: "Impuesto extranjero pagado",
    withholding: "Retención fiscal",
    net_cash: "Efectivo neto",
    reinvested: "Importe reinvertido",
    shares: "Participaciones compradas",
    nav: "Valor liquidativo por participación",
    residual: "Efectivo residual pagado",
    amount: "Importe",
    method: "Forma de pago",
    destination: "Pagado a",
    expected_arrival: "Llegada prevista",
    reason: "Motivo",
    account: "Cuenta",
    bank: "Banco",
    changed_at: "Fecha del cambio",
    ach: "Transferencia ACH",
    wire: "Transferencia bancaria",
    check: "Cheque por correo",
    components: [
        "Dividendos ordinarios",
        "Dividendos calificados",
        "Ganancias de capital a corto plazo",
        "Ganancias de capital a largo plazo",
        "Devolución de capital",
        "Intereses",
    ],
};

/// The labels of `locale`.
pub(crate) fn labels(locale: Locale) -> &'static Labels {
    match locale {
        Locale::En => &EN,
        Locale::Es => &ES,
    }
}

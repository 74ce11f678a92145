//! What the templates see: the notice context with every figure already formatted for the
//! locale, the fact tables with localized labels, and the required disclosure texts (the
//! `labels` of the locale are added from a value built once, see `Templates`).

use clearway_core::components::ComponentKind;
use clearway_core::notifications::context::{
    BankAccountFacts, DistributionFacts, PaymentFacts, ReinvestmentFacts,
};
use clearway_core::notifications::{required_disclosures, Disclosure, Locale, NoticeContext};
use clearway_core::payments::Method;
use clearway_core::Currency;
use serde::Serialize;

use super::format::{format_date, format_decimal, format_money, format_price};
use super::labels::{labels, Labels};

/// Longest fund name an SMS carries before it is shortened.
const SMS_FUND_CHARS: usize = 40;

#[derive(Debug, Serialize)]
pub(crate) struct View<'a> {
    pub lang: &'static str,
    pub kind: &'static str,
    pub investor_name: &'a str,
    pub fund_name: String,
    pub fund_short: String,
    pub portal_url: &'a str,
    pub unsubscribe_url: Option<&'a str>,
    pub distribution: Option<DistributionView>,
    pub reinvestment: Option<ReinvestmentView>,
    pub payment: Option<PaymentView>,
    pub bank_account: Option<BankView<'a>>,
    pub tax_document: Option<TaxView<'a>>,
    pub schedule: Option<ScheduleView>,
    pub sections: Vec<Section>,
    pub disclosures: Disclosures,
}

#[derive(Debug, Serialize)]
pub(crate) struct DistributionView {
    pub id: String,
    pub record_date: String,
    pub payable_date: String,
    pub units: String,
    pub gross: String,
    pub withholding: Option<String>,
    pub net_cash: String,
    pub has_return_of_capital: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct ReinvestmentView {
    pub reinvested: String,
    pub shares: String,
    pub nav: String,
    pub nav_date: String,
    pub residual: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PaymentView {
    pub id: String,
    pub method: &'static str,
    pub amount: String,
    pub destination: String,
    pub expected_arrival: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct BankView<'a> {
    pub masked_account: &'a str,
    pub bank: &'a str,
    pub changed_at: &'a str,
    pub to_previous_contact: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct TaxView<'a> {
    pub year: i32,
    pub form: &'a str,
}

#[derive(Debug, Serialize)]
pub(crate) struct ScheduleView {
    pub record_date: String,
    pub payable_date: String,
}

/// One fact table (an HTML table with a caption; label: value lines in text).
#[derive(Debug, Serialize)]
pub(crate) struct Section {
    pub title: &'static str,
    pub rows: Vec<Row>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub label: &'static str,
    pub value: String,
}

/// The texts of the disclosures this notice must carry; `None` for those it need not.
#[derive(Debug, Serialize)]
pub(crate) struct Disclosures {
    pub past_performance: Option<&'static str>,
    pub tax_estimate: Option<&'static str>,
    pub source_of_distribution: Option<&'static str>,
}

/// Builds the view of `ctx` and the list of disclosures it requires.
pub(crate) fn build(ctx: &NoticeContext) -> (View<'_>, Vec<Disclosure>) {
    let loc = ctx.locale;
    let l = labels(loc);
    let money = |m: i64| format_money(m, ctx.currency, loc);
    let date = |d| format_date(d, loc);
    let required = required_disclosures(ctx);
    let text_if = |d: Disclosure| required.contains(&d).then(|| d.text(loc));
    let fund_name = ctx
        .fund_name
        .clone()
        .unwrap_or_else(|| l.your_fund.to_string());
    let mut sections = Vec::new();
    let distribution = ctx.distribution.as_ref().map(|d| {
        sections.push(distribution_section(d, ctx.currency, loc, l));
        DistributionView {
            id: d.id.clone(),
            record_date: date(d.record_date),
            payable_date: date(d.payable_date),
            units: format_decimal(d.units, loc),
            gross: money(d.gross_minor),
            withholding: (d.components.withholding != 0).then(|| money(d.components.withholding)),
            net_cash: money(d.net_cash_minor),
            has_return_of_capital: d.components.return_of_capital > 0,
        }
    });
    let reinvestment = ctx.reinvestment.as_ref().map(|r| {
        let v = reinvestment_view(r, ctx.currency, loc);
        sections.push(reinvestment_section(&v, l));
        v
    });
    let payment = ctx.payment.as_ref().map(|p| {
        let v = payment_view(p, ctx.currency, loc, l);
        sections.push(payment_section(&v, l));
        v
    });
    let bank_account = ctx.bank_account.as_ref().map(|b| {
        sections.push(bank_section(b, l));
        BankView {
            masked_account: &b.masked_account,
            bank: &b.bank,
            changed_at: &b.changed_at,
            to_previous_contact: b.to_previous_contact,
        }
    });
    let tax_document = ctx.tax_document.as_ref().map(|t| TaxView {
        year: t.year,
        form: &t.form,
    });
    let schedule = ctx.schedule.as_ref().map(|s| {
        let v = ScheduleView {
            record_date: date(s.record_date),
            payable_date: date(s.payable_date),
        };
        sections.push(Section {
            title: l.schedule_title,
            rows: vec![
                row(l.record_date, v.record_date.clone()),
                row(l.payable_date, v.payable_date.clone()),
            ],
        });
        v
    });
    let view = View {
        lang: loc.as_str(),
        kind: ctx.kind.as_str(),
        investor_name: &ctx.investor_name,
        fund_short: shorten(&fund_name, SMS_FUND_CHARS),
        fund_name,
        portal_url: &ctx.portal_url,
        unsubscribe_url: ctx.unsubscribe_url.as_deref(),
        distribution,
        reinvestment,
        payment,
        bank_account,
        tax_document,
        schedule,
        sections,
        disclosures: Disclosures {
            past_performance: text_if(Disclosure::PastPerformance),
            tax_estimate: text_if(Disclosure::TaxEstimate),
            source_of_distribution: text_if(Disclosure::SourceOfDistribution),
        },
    };
    (view, required)
}

fn row(label: &'static str, value: String) -> Row {
    Row { label, value }
}

/// Amounts by component (only the non-zero ones), withholding, foreign tax, net cash.
fn distribution_section(
    d: &DistributionFacts,
    currency: Currency,
    loc: Locale,
    l: &'static Labels,
) -> Section {
    let money = |m: i64| format_money(m, currency, loc);
    let mut rows = vec![
        row(l.record_date, format_date(d.record_date, loc)),
        row(l.payable_date, format_date(d.payable_date, loc)),
        row(l.units, format_decimal(d.units, loc)),
    ];
    for kind in ComponentKind::ALL {
        let minor = d.components.get(kind);
        if minor != 0 {
            rows.push(row(l.component(kind), money(minor)));
        }
    }
    rows.push(row(l.gross, money(d.gross_minor)));
    if d.components.foreign_tax != 0 {
        rows.push(row(l.foreign_tax, money(d.components.foreign_tax)));
    }
    if d.components.withholding != 0 {
        rows.push(row(l.withholding, money(d.components.withholding)));
    }
    rows.push(row(l.net_cash, money(d.net_cash_minor)));
    Section {
        title: l.distribution_title,
        rows,
    }
}

fn reinvestment_view(r: &ReinvestmentFacts, currency: Currency, loc: Locale) -> ReinvestmentView {
    ReinvestmentView {
        reinvested: format_money(r.reinvested_minor, currency, loc),
        shares: format_decimal(r.shares, loc),
        nav: format_price(r.nav, currency, loc),
        nav_date: format_date(r.nav_date, loc),
        residual: (r.residual_minor != 0).then(|| format_money(r.residual_minor, currency, loc)),
    }
}

fn reinvestment_section(v: &ReinvestmentView, l: &'static Labels) -> Section {
    let mut rows = vec![
        row(l.reinvested, v.reinvested.clone()),
        row(l.shares, v.shares.clone()),
        row(l.nav, format!("{} ({})", v.nav, v.nav_date)),
    ];
    if let Some(r) = &v.residual {
        rows.push(row(l.residual, r.clone()));
    }
    Section {
        title: l.reinvestment_title,
        rows,
    }
}

fn payment_view(p: &PaymentFacts, currency: Currency, loc: Locale, l: &Labels) -> PaymentView {
    PaymentView {
        id: p.id.clone(),
        method: match p.method {
            Method::Ach => l.ach,
            Method::Wire => l.wire,
            Method::Check => l.check,
        },
        amount: format_money(p.amount_minor, currency, loc),
        destination: p.destination.clone(),
        expected_arrival: p.expected_arrival.map(|d| format_date(d, loc)),
        reason: p.reason.clone(),
    }
}

fn payment_section(v: &PaymentView, l: &'static Labels) -> Section {
    let mut rows = vec![
        row(l.amount, v.amount.clone()),
        row(l.method, v.method.to_string()),
        row(l.destination, v.destination.clone()),
    ];
    if let Some(d) = &v.expected_arrival {
        rows.push(row(l.expected_arrival, d.clone()));
    }
    if let Some(r) = &v.reason {
        rows.push(row(l.reason, r.clone()));
    }
    Section {
        title: l.payment_title,
        rows,
    }
}

fn bank_section(b: &BankAccountFacts, l: &'static Labels) -> Section {
    Section {
        title: l.bank_title,
        rows: vec![
            row(l.account, b.masked_account.clone()),
            row(l.bank, b.bank.clone()),
            row(l.changed_at, b.changed_at.clone()),
        ],
    }
}

/// At most `max` characters, with an ellipsis when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

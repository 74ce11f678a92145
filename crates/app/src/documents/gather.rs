//! The facts of each document, read through the store as the actor, into the formats' typed
//! documents. Disclosures come word for word from the core, in the investor's locale.

use std::str::FromStr;

use chrono::NaiveDate;
use clearway_core::components::{ComponentKind, Components};
use clearway_core::notifications::disclosures::Disclosure;
use clearway_core::notifications::Locale;
use clearway_core::Currency;
use clearway_formats::documents::{
    Lang, Money, NoticeDoc, NoticePayment, NoticeReinvestment, StatementDistribution, StatementDoc,
    StatementLot, StatementPayment, StatementPosition, StatementReinvestment, TaxFundRow,
    TaxSummaryDoc,
};
use clearway_store::documents::facts::{self, InvestorFacts, LineFacts, PaymentFacts};
use clearway_store::funds::{self, Fund};
use clearway_store::reinvestment::{self as rstore, Reinvestment};
use clearway_store::{distributions, taxlots, Actor, Db};

use crate::AppResult;

/// The investor's locale (English when the stored one is unknown).
pub fn locale_of(investor: &InvestorFacts) -> Locale {
    Locale::from_str(&investor.locale).unwrap_or(Locale::En)
}

fn lang_of(locale: Locale) -> Lang {
    match locale {
        Locale::En => Lang::En,
        Locale::Es => Lang::Es,
    }
}

/// The disclosures that apply, in order: past performance, tax estimate, and the source of
/// the distribution when any return of capital is part of it.
fn disclosures(locale: Locale, past_performance: bool, return_of_capital: bool) -> Vec<String> {
    let mut out = Vec::new();
    if past_performance {
        out.push(Disclosure::PastPerformance);
    }
    out.push(Disclosure::TaxEstimate);
    if return_of_capital {
        out.push(Disclosure::SourceOfDistribution);
    }
    out.into_iter()
        .map(|d| d.text(locale).to_string())
        .collect()
}

fn money(minor: i64, currency: Currency) -> Money {
    Money::new(minor, currency.minor_units(), currency.code())
}

/// The six income components by wire name.
fn components_of(c: &Components) -> Vec<(String, i64)> {
    ComponentKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), c.get(*k)))
        .collect()
}

fn fund_label(all: &[Fund], id: &str) -> String {
    all.iter()
        .find(|f| f.id == id)
        .map_or_else(|| id.to_string(), |f| format!("{} — {}", f.code, f.name))
}

fn fund_code(all: &[Fund], id: &str) -> String {
    all.iter()
        .find(|f| f.id == id)
        .map_or_else(|| id.to_string(), |f| f.code.clone())
}

fn masked(p: &PaymentFacts) -> String {
    p.account_last4
        .as_ref()
        .map_or_else(|| "—".to_string(), |l| format!("••••{l}"))
}

fn notice_reinvestment(all: &[Fund], r: &Reinvestment) -> NoticeReinvestment {
    NoticeReinvestment {
        fund_code: fund_code(all, &r.fund_id),
        reinvested: money(r.cost_minor, r.currency),
        shares: r.shares,
        nav: r.nav,
        nav_date: r.nav_date,
        residual: money(r.reinvestable_minor - r.cost_minor, r.currency),
    }
}

/// The notice of the investor's line of `distribution_id`.
pub async fn notice_doc(
    db: &Db,
    actor: &Actor,
    investor: &InvestorFacts,
    distribution_id: &str,
) -> AppResult<NoticeDoc> {
    let d = distributions::get(db, actor, distribution_id).await?;
    let line = distributions::line(db, actor, distribution_id, &investor.id).await?;
    let all = funds::list_funds(db, actor).await?;
    let reinvestment = rstore::for_investor(db, actor, &investor.id, None)
        .await?
        .into_iter()
        .find(|r| r.distribution_id == d.id && r.reverses_distribution_id.is_none());
    let payments = facts::payments_of_line(db, actor, &investor.id, &d.id).await?;
    let locale = locale_of(investor);
    let c = &line.components;
    Ok(NoticeDoc {
        lang: lang_of(locale),
        investor_name: investor.name.clone(),
        fund: fund_label(&all, &d.fund_id),
        distribution_id: d.id.clone(),
        description: d.description.clone(),
        record_date: d.schedule.record,
        payable_date: d.schedule.payable,
        units: line.units,
        gross: money(line.total_minor, d.currency),
        components: components_of(c),
        foreign_tax_minor: c.foreign_tax,
        withholding_minor: c.withholding,
        reinvestment: reinvestment.map(|r| notice_reinvestment(&all, &r)),
        net_cash_minor: line.cash_minor,
        payments: payments
            .iter()
            .map(|p| NoticePayment {
                method: p.method.clone(),
                destination: masked(p),
                amount: money(p.amount_minor, p.currency),
                status: p.status.clone(),
                expected: Some(p.expected_date),
            })
            .collect(),
        disclosures: disclosures(locale, true, c.return_of_capital > 0),
    })
}

fn statement_distribution(all: &[Fund], l: &LineFacts) -> StatementDistribution {
    StatementDistribution {
        payable_date: l.payable_date,
        fund_code: fund_code(all, &l.fund_id),
        description: if l.description.is_empty() {
            l.distribution_id.clone()
        } else {
            l.description.clone()
        },
        gross: money(l.line.total_minor, l.currency),
        components: components_of(&l.line.components),
        withholding_minor: l.line.components.withholding,
        reinvested_minor: l.line.reinvested_minor,
        cash_minor: l.line.cash_minor,
    }
}

/// The statement of `from..=to`: positions around it, its distributions, reinvestments and
/// payments, and the open lots acquired by its end with their basis.
pub async fn statement_doc(
    db: &Db,
    actor: &Actor,
    investor: &InvestorFacts,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<StatementDoc> {
    let all = funds::list_funds(db, actor).await?;
    let lines = facts::lines_between(db, actor, &investor.id, from, to).await?;
    let payments = facts::payments_between(db, actor, &investor.id, from, to).await?;
    let positions = facts::positions(db, actor, &investor.id, from, to).await?;
    let reinvestments: Vec<Reinvestment> = rstore::for_investor(db, actor, &investor.id, None)
        .await?
        .into_iter()
        .filter(|r| r.trade_date >= from && r.trade_date <= to)
        .collect();
    let lots: Vec<taxlots::LotRecord> =
        taxlots::list(db, actor, &investor.id, None, false, None, 10_000)
            .await?
            .into_iter()
            .filter(|l| l.acquired_on <= to)
            .collect();
    let lot_money = |l: &taxlots::LotRecord| {
        let currency = Currency::parse(&l.currency).unwrap_or(Currency::USD);
        money(l.basis_minor, currency)
    };
    let locale = locale_of(investor);
    let roc = lines
        .iter()
        .any(|l| l.line.components.return_of_capital > 0);
    Ok(StatementDoc {
        lang: lang_of(locale),
        investor_name: investor.name.clone(),
        from,
        to,
        positions: positions
            .iter()
            .map(|p| {
                let fund_lots: Vec<&taxlots::LotRecord> =
                    lots.iter().filter(|l| l.fund_id == p.fund_id).collect();
                let basis = fund_lots.first().map(|first| {
                    let m = lot_money(first);
                    m.with(fund_lots.iter().map(|l| l.basis_minor).sum())
                });
                StatementPosition {
                    fund: fund_label(&all, &p.fund_id),
                    opening_units: p.opening,
                    closing_units: p.closing,
                    cost_basis: basis,
                }
            })
            .collect(),
        distributions: lines
            .iter()
            .map(|l| statement_distribution(&all, l))
            .collect(),
        reinvestments: reinvestments
            .iter()
            .map(|r| StatementReinvestment {
                trade_date: r.trade_date,
                fund_code: fund_code(&all, &r.fund_id),
                shares: r.shares,
                nav: r.nav,
                cost: money(r.cost_minor, r.currency),
                residual: money(r.reinvestable_minor - r.cost_minor, r.currency),
            })
            .collect(),
        payments: payments
            .iter()
            .map(|p| StatementPayment {
                date: p.cleared_date.unwrap_or(p.expected_date),
                method: p.method.clone(),
                status: p.status.clone(),
                amount: money(p.amount_minor, p.currency),
            })
            .collect(),
        lots: lots
            .iter()
            .map(|l| StatementLot {
                fund_code: fund_code(&all, &l.fund_id),
                acquired_on: l.acquired_on,
                source: l.source.clone(),
                shares: l.shares,
                basis: lot_money(l),
            })
            .collect(),
        disclosures: disclosures(locale, true, roc),
    })
}

/// Sums of one (fund, currency) over a year's lines.
fn tax_row(all: &[Fund], fund_id: &str, currency: Currency, lines: &[&LineFacts]) -> TaxFundRow {
    let mut sum = Components::default();
    let mut total = 0i64;
    for l in lines {
        let c = &l.line.components;
        for k in ComponentKind::ALL {
            sum.set(k, sum.get(k) + c.get(k));
        }
        sum.foreign_tax += c.foreign_tax;
        sum.withholding += c.withholding;
        total += l.line.total_minor;
    }
    TaxFundRow {
        fund: fund_label(all, fund_id),
        total: money(total, currency),
        components: components_of(&sum),
        foreign_tax_minor: sum.foreign_tax,
        withholding_minor: sum.withholding,
    }
}

/// The tax summary of `year`: each fund's components summed over the lines payable in it.
pub async fn tax_summary_doc(
    db: &Db,
    actor: &Actor,
    investor: &InvestorFacts,
    year: i32,
) -> AppResult<TaxSummaryDoc> {
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Err(crate::AppError::field(
            "year",
            "must be a year such as 2026",
        ));
    };
    let all = funds::list_funds(db, actor).await?;
    let lines = facts::lines_between(db, actor, &investor.id, first, last).await?;
    let mut groups: Vec<(String, Currency)> = lines
        .iter()
        .map(|l| (l.fund_id.clone(), l.currency))
        .collect();
    groups.sort_by(|a, b| (&a.0, a.1.code()).cmp(&(&b.0, b.1.code())));
    groups.dedup();
    let rows = groups
        .iter()
        .map(|(fund, cur)| {
            let of: Vec<&LineFacts> = lines
                .iter()
                .filter(|l| &l.fund_id == fund && l.currency == *cur)
                .collect();
            tax_row(&all, fund, *cur, &of)
        })
        .collect();
    let locale = locale_of(investor);
    let roc = lines
        .iter()
        .any(|l| l.line.components.return_of_capital > 0);
    Ok(TaxSummaryDoc {
        lang: lang_of(locale),
        investor_name: investor.name.clone(),
        year,
        funds: rows,
        disclosures: disclosures(locale, false, roc),
    })
}

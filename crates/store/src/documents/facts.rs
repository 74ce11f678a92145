//! The reads behind a document: the investor, their lines by payable date, their payments and
//! their holdings at two dates. Each checks the investor first (404 for anyone who may not see
//! them); investors see distributions only from approval on, like everywhere else.

use chrono::NaiveDate;
use clearway_core::Currency;
use rust_decimal::Decimal;

use crate::distributions::{line_from_row, line_select, Line};
use crate::reinvestment::check_investor;
use crate::{q, Actor, Db, Row, StoreError};

/// Who a document is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvestorFacts {
    /// Id.
    pub id: String,
    /// Legal name.
    pub name: String,
    /// Language of notices (`en`, `es`; migration 0026).
    pub locale: String,
}

/// The investor, checked as the actor may see them.
pub async fn investor(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
) -> Result<InvestorFacts, StoreError> {
    check_investor(db, actor, investor_id).await?;
    let row = db
        .fetch_optional(
            q("SELECT id, name, locale FROM investors WHERE org_id = $1 AND id = $2")
                .bind(&actor.org_id)
                .bind(investor_id),
        )
        .await?
        .ok_or(StoreError::NotFound("investor"))?;
    Ok(InvestorFacts {
        id: row.text("id")?,
        name: row.text("name")?,
        locale: row.text("locale")?,
    })
}

/// One of the investor's lines with what a document says of its distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct LineFacts {
    /// Distribution id.
    pub distribution_id: String,
    /// Fund.
    pub fund_id: String,
    /// Description.
    pub description: String,
    /// Record date.
    pub record_date: NaiveDate,
    /// Payable date.
    pub payable_date: NaiveDate,
    /// Currency of the line.
    pub currency: Currency,
    /// The line.
    pub line: Line,
}

/// The investor's lines of approved, not cancelled distributions payable in `from..=to`, by
/// payable date.
pub async fn lines_between(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<LineFacts>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    // The distribution's columns are renamed in a subquery: both tables have a `status`.
    let rows = db
        .fetch_all(
            q(format!(
                "SELECT {}, x.fund, x.note, x.rec, x.pay, x.cur FROM distribution_lines
                 JOIN (SELECT id AS did, fund_id AS fund, description AS note, record_date AS rec, payable_date AS pay, currency AS cur
                       FROM distributions WHERE org_id = $1 AND approved_by IS NOT NULL AND status <> 'CANCELLED'
                         AND payable_date >= $3 AND payable_date <= $4) x ON x.did = distribution_id
                 WHERE org_id = $1 AND investor_id = $2 ORDER BY x.pay, distribution_id",
                line_select()
            ))
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(from.to_string())
            .bind(to.to_string()),
        )
        .await?;
    rows.iter().map(line_facts).collect()
}

fn line_facts(r: &Row) -> Result<LineFacts, StoreError> {
    Ok(LineFacts {
        distribution_id: r.text("distribution_id")?,
        fund_id: r.text("fund")?,
        description: r.text("note")?,
        record_date: r.parse("rec")?,
        payable_date: r.parse("pay")?,
        currency: Currency::parse(&r.text("cur")?).map_err(StoreError::Corrupt)?,
        line: line_from_row(r)?,
    })
}

/// A payment as a document shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentFacts {
    /// Id.
    pub id: String,
    /// Distribution.
    pub distribution_id: String,
    /// ACH, WIRE or CHECK.
    pub method: String,
    /// Status.
    pub status: String,
    /// Currency paid in.
    pub currency: Currency,
    /// Amount.
    pub amount_minor: i64,
    /// Expected arrival.
    pub expected_date: NaiveDate,
    /// Cleared on.
    pub cleared_date: Option<NaiveDate>,
    /// Last four digits of the account paid (none for checks).
    pub account_last4: Option<String>,
}

const PAYMENT_READ: &str = "SELECT p.id, p.distribution_id, p.method, p.status, p.currency, p.amount_minor, p.expected_date, p.cleared_date, b.account_last4
     FROM payments p LEFT JOIN bank_accounts b ON b.id = p.bank_account_id AND b.org_id = p.org_id";

fn payment_facts(r: &Row) -> Result<PaymentFacts, StoreError> {
    Ok(PaymentFacts {
        id: r.text("id")?,
        distribution_id: r.text("distribution_id")?,
        method: r.text("method")?,
        status: r.text("status")?,
        currency: Currency::parse(&r.text("currency")?).map_err(StoreError::Corrupt)?,
        amount_minor: r.i64("amount_minor")?,
        expected_date: r.parse("expected_date")?,
        cleared_date: r
            .opt_text("cleared_date")?
            .map(|d| d.parse())
            .transpose()
            .map_err(|e: chrono::ParseError| StoreError::Corrupt(e.to_string()))?,
        account_last4: r.opt_text("account_last4")?,
    })
}

/// The investor's payments of one distribution, oldest first (retries included).
pub async fn payments_of_line(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    distribution_id: &str,
) -> Result<Vec<PaymentFacts>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    let rows = db
        .fetch_all(
            q(format!("{PAYMENT_READ} WHERE p.org_id = $1 AND p.investor_id = $2 AND p.distribution_id = $3 ORDER BY p.id"))
                .bind(&actor.org_id)
                .bind(investor_id)
                .bind(distribution_id),
        )
        .await?;
    rows.iter().map(payment_facts).collect()
}

/// The investor's payments expected in `from..=to`, by date.
pub async fn payments_between(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PaymentFacts>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    let rows = db
        .fetch_all(
            q(format!("{PAYMENT_READ} WHERE p.org_id = $1 AND p.investor_id = $2 AND p.expected_date >= $3 AND p.expected_date <= $4 ORDER BY p.expected_date, p.id"))
                .bind(&actor.org_id)
                .bind(investor_id)
                .bind(from.to_string())
                .bind(to.to_string()),
        )
        .await?;
    rows.iter().map(payment_facts).collect()
}

/// Units the investor held in a fund (all share classes) the day before `from` and on `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionFacts {
    /// Fund.
    pub fund_id: String,
    /// Units before the period.
    pub opening: Decimal,
    /// Units at its end.
    pub closing: Decimal,
}

/// The investor's positions around a period, by fund (funds held at either end).
pub async fn positions(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PositionFacts>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    // Rows come by fund, class and date, so the last row on or before a date is its holding.
    let rows = db
        .fetch_all(
            q("SELECT fund_id, share_class, as_of, units FROM holdings WHERE org_id = $1 AND investor_id = $2 AND as_of <= $3 ORDER BY fund_id, share_class, as_of")
                .bind(&actor.org_id)
                .bind(investor_id)
                .bind(to.to_string()),
        )
        .await?;
    let mut out: Vec<PositionFacts> = Vec::new();
    let mut class: Option<(String, String)> = None;
    let (mut opening, mut closing) = (Decimal::ZERO, Decimal::ZERO);
    for r in rows {
        let key = (r.text("fund_id")?, r.text("share_class")?);
        if class.as_ref() != Some(&key) {
            if let Some((fund, _)) = class.take() {
                add_position(&mut out, fund, opening, closing);
            }
            opening = Decimal::ZERO;
            class = Some(key);
        }
        let units: Decimal = r.parse("units")?;
        if r.parse::<NaiveDate>("as_of")? < from {
            opening = units;
        }
        closing = units;
    }
    if let Some((fund, _)) = class {
        add_position(&mut out, fund, opening, closing);
    }
    out.retain(|p| !p.opening.is_zero() || !p.closing.is_zero());
    Ok(out)
}

/// Adds one class's units to its fund's position (rows come grouped by fund).
fn add_position(out: &mut Vec<PositionFacts>, fund_id: String, opening: Decimal, closing: Decimal) {
    match out.last_mut() {
        Some(p) if p.fund_id == fund_id => {
            p.opening += opening;
            p.closing += closing;
        }
        _ => out.push(PositionFacts {
            fund_id,
            opening,
            closing,
        }),
    }
}

//! Aggregates of the staff reports: distributions per fund and month, distribution components
//! by tax character per fund and year, and cash per payable day and rail. Sums are exact
//! integers computed by the database (GROUP BY); callers roll months up to quarters or years
//! and days up to weeks. Staff only: an investor's actor is refused.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::Currency;

use crate::{q, Actor, Db, Row, StoreError};

/// What a report covers: one fund or all, payable dates within a range (inclusive).
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// Only this fund.
    pub fund_id: Option<String>,
    /// First payable date.
    pub from: Option<NaiveDate>,
    /// Last payable date.
    pub to: Option<NaiveDate>,
}

/// Reports read the whole organization: staff with `Read` only.
fn require_staff(actor: &Actor) -> Result<(), StoreError> {
    actor.require(Permission::Read)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::Forbidden(
            "reports are for the organization's staff".into(),
        ));
    }
    Ok(())
}

fn currency(r: &Row) -> Result<Currency, StoreError> {
    Currency::parse(&r.text("currency")?).map_err(StoreError::Corrupt)
}

fn day_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.to_string())
}

/// Distributions of one fund paid in one month (cancelled ones excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthTotals {
    /// Fund.
    pub fund_id: String,
    /// Currency of the distributions.
    pub currency: Currency,
    /// `YYYY-MM` of the payable date.
    pub month: String,
    /// How many distributions.
    pub count: i64,
    /// Sum of their totals (minor units).
    pub gross_minor: i64,
    /// Reinvested (cost of the shares bought, reversals subtracted).
    pub reinvested_minor: i64,
    /// Paid in cash: payments sent or completed, in the distribution's currency.
    pub cash_minor: i64,
}

/// [`MonthTotals`] of the distributions `f` selects, by month then fund.
pub async fn by_month(
    db: &Db,
    actor: &Actor,
    f: &ReportFilter,
) -> Result<Vec<MonthTotals>, StoreError> {
    require_staff(actor)?;
    let rows = db
        .fetch_all(
            q("SELECT d.fund_id, d.currency, substr(d.payable_date, 1, 7) AS month, COUNT(*) AS n,
                      CAST(COALESCE(SUM(d.total_minor), 0) AS BIGINT) AS gross,
                      CAST(COALESCE(SUM((SELECT COALESCE(SUM(r.cost_minor), 0) FROM reinvestments r
                           WHERE r.distribution_id = d.id AND r.org_id = d.org_id)), 0) AS BIGINT) AS reinvested,
                      CAST(COALESCE(SUM((SELECT COALESCE(SUM(p.fund_amount_minor), 0) FROM payments p
                           WHERE p.distribution_id = d.id AND p.org_id = d.org_id
                             AND p.status IN ('SENT', 'COMPLETED'))), 0) AS BIGINT) AS cash
               FROM distributions d
               WHERE d.org_id = $1 AND d.status <> 'CANCELLED' AND ($2 IS NULL OR d.fund_id = $2)
                 AND ($3 IS NULL OR d.payable_date >= $3) AND ($4 IS NULL OR d.payable_date <= $4)
               GROUP BY d.fund_id, d.currency, substr(d.payable_date, 1, 7)
               ORDER BY month, d.fund_id, d.currency")
            .bind(&actor.org_id)
            .bind(f.fund_id.clone())
            .bind(day_text(f.from))
            .bind(day_text(f.to)),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(MonthTotals {
                fund_id: r.text("fund_id")?,
                currency: currency(r)?,
                month: r.text("month")?,
                count: r.i64("n")?,
                gross_minor: r.i64("gross")?,
                reinvested_minor: r.i64("reinvested")?,
                cash_minor: r.i64("cash")?,
            })
        })
        .collect()
}

/// One fund's distribution lines of one calendar year, summed by tax character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearCharacter {
    /// Fund.
    pub fund_id: String,
    /// Currency.
    pub currency: Currency,
    /// Calendar year of the payable date.
    pub year: String,
    /// Sum of the line totals.
    pub gross_minor: i64,
    /// The six income components in [`clearway_core::components::ComponentKind::ALL`] order
    /// (they sum to `gross_minor`).
    pub components: [i64; 6],
    /// Foreign tax paid on the investors' behalf (not part of the gross).
    pub foreign_tax_minor: i64,
    /// Tax withheld from cash paid (not part of the gross).
    pub withholding_minor: i64,
}

/// [`YearCharacter`] of the distributions `f` selects (cancelled ones excluded), by year then
/// fund.
pub async fn tax_by_year(
    db: &Db,
    actor: &Actor,
    f: &ReportFilter,
) -> Result<Vec<YearCharacter>, StoreError> {
    require_staff(actor)?;
    let sum = |c: &str| format!("CAST(COALESCE(SUM(l.{c}), 0) AS BIGINT) AS {c}");
    let cols = [
        "total_minor",
        "ordinary_minor",
        "qualified_minor",
        "st_gain_minor",
        "lt_gain_minor",
        "roc_minor",
        "interest_minor",
        "foreign_tax_minor",
        "withholding_minor",
    ];
    let sums: Vec<String> = cols.iter().map(|c| sum(c)).collect();
    let rows = db
        .fetch_all(
            q(format!(
                "SELECT d.fund_id, d.currency, substr(d.payable_date, 1, 4) AS year, {}
                 FROM distributions d JOIN distribution_lines l
                   ON l.distribution_id = d.id AND l.org_id = d.org_id
                 WHERE d.org_id = $1 AND d.status <> 'CANCELLED' AND ($2 IS NULL OR d.fund_id = $2)
                   AND ($3 IS NULL OR d.payable_date >= $3) AND ($4 IS NULL OR d.payable_date <= $4)
                 GROUP BY d.fund_id, d.currency, substr(d.payable_date, 1, 4)
                 ORDER BY year, d.fund_id, d.currency",
                sums.join(", ")
            ))
            .bind(&actor.org_id)
            .bind(f.fund_id.clone())
            .bind(day_text(f.from))
            .bind(day_text(f.to)),
        )
        .await?;
    rows.iter()
        .map(|r| {
            let mut components = [0i64; 6];
            for (slot, col) in components.iter_mut().zip(&cols[1..7]) {
                *slot = r.i64(col)?;
            }
            Ok(YearCharacter {
                fund_id: r.text("fund_id")?,
                currency: currency(r)?,
                year: r.text("year")?,
                gross_minor: r.i64("total_minor")?,
                components,
                foreign_tax_minor: r.i64("foreign_tax_minor")?,
                withholding_minor: r.i64("withholding_minor")?,
            })
        })
        .collect()
}

/// Cash of one payable day on one rail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCash {
    /// Payable date of the distributions.
    pub day: NaiveDate,
    /// Currency (the distribution's).
    pub currency: Currency,
    /// `ACH`, `WIRE` or `CHECK`; `None` for what is scheduled (the rail of each investor is
    /// chosen when the distribution is processed).
    pub rail: Option<String>,
    /// Approved distributions not yet processed: their gross, before reinvestment.
    pub scheduled_minor: i64,
    /// Payments sent or completed, in the distribution's currency.
    pub paid_minor: i64,
}

/// [`DayCash`] of the distributions `f` selects, by day, currency and rail.
pub async fn cash_by_day(
    db: &Db,
    actor: &Actor,
    f: &ReportFilter,
) -> Result<Vec<DayCash>, StoreError> {
    require_staff(actor)?;
    let rows = db
        .fetch_all(
            q("SELECT day, currency, rail, CAST(SUM(scheduled) AS BIGINT) AS scheduled, CAST(SUM(paid) AS BIGINT) AS paid FROM (
                 SELECT d.payable_date AS day, d.currency, NULL AS rail, d.total_minor AS scheduled, 0 AS paid
                   FROM distributions d
                  WHERE d.org_id = $1 AND d.status = 'APPROVED' AND ($2 IS NULL OR d.fund_id = $2)
                    AND ($3 IS NULL OR d.payable_date >= $3) AND ($4 IS NULL OR d.payable_date <= $4)
                 UNION ALL
                 SELECT d.payable_date AS day, d.currency, p.method AS rail, 0 AS scheduled, p.fund_amount_minor AS paid
                   FROM payments p JOIN distributions d ON d.id = p.distribution_id AND d.org_id = p.org_id
                  WHERE p.org_id = $1 AND p.status IN ('SENT', 'COMPLETED') AND ($2 IS NULL OR d.fund_id = $2)
                    AND ($3 IS NULL OR d.payable_date >= $3) AND ($4 IS NULL OR d.payable_date <= $4)
               ) x GROUP BY day, currency, rail ORDER BY day, currency, rail")
            .bind(&actor.org_id)
            .bind(f.fund_id.clone())
            .bind(day_text(f.from))
            .bind(day_text(f.to)),
        )
        .await?;
    rows.iter()
        .map(|r| {
            let day = r.text("day")?;
            Ok(DayCash {
                day: day
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("payable date '{day}'")))?,
                currency: currency(r)?,
                rail: r.opt_text("rail")?,
                scheduled_minor: r.i64("scheduled")?,
                paid_minor: r.i64("paid")?,
            })
        })
        .collect()
}

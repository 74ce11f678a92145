//! The withholding of each processed line (`line_withholdings`), written set-based by the
//! processing step, and its reads: a distribution's rows, flagged lines, the liability report.

use clearway_core::access::Permission;
use clearway_core::components::Components;
use clearway_core::tax::profile::TaxProfile;
use clearway_core::tax::withholding::Withheld;

use crate::db::planner::{Hint, Method};
use crate::db::Arg;
use crate::{now_text, q, Actor, Row, StoreError, Tx};

/// A pending line still without a withholding row, with its investor's profile (if any).
#[derive(Debug, Clone)]
pub struct PendingLine {
    /// Investor.
    pub investor_id: String,
    /// The line's components.
    pub components: Components,
    /// The investor's profile; `None` when none was entered.
    pub profile: Option<TaxProfile>,
}

/// The PENDING lines of a distribution without a `line_withholdings` row, each with its
/// investor's profile: one query whatever the number of lines.
pub async fn pending_lines_tx(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<Vec<PendingLine>, StoreError> {
    actor.require(Permission::Operate)?;
    // The step writes all of a distribution's rows in the transaction that processes it:
    // rows already there mean it ran (a correlated NOT EXISTS per line cost seconds on
    // PostgreSQL).
    let done = tx
        .count(
            q("SELECT COUNT(*) AS n FROM line_withholdings WHERE distribution_id = $1 AND org_id = $2")
                .bind(distribution_id)
                .bind(&actor.org_id),
        )
        .await?;
    if done > 0 {
        return Ok(Vec::new());
    }
    // Without statistics on freshly loaded profiles PostgreSQL nests a scan of them inside
    // the lines (4.5 s for 10,000 lines); a hash join reads each side once.
    let hint = Hint::off(tx, Method::NestLoop).await?;
    let rows = tx
        .fetch_all(
            q(format!(
                "SELECT l.investor_id, l.ordinary_minor, l.qualified_minor, l.st_gain_minor, l.lt_gain_minor, l.roc_minor,
                        l.interest_minor, {}
                 FROM distribution_lines l LEFT JOIN tax_profiles p ON p.investor_id = l.investor_id AND p.org_id = l.org_id
                 WHERE l.distribution_id = $1 AND l.org_id = $2 AND l.status = 'PENDING' AND l.cash_minor IS NULL",
                super::profiles::COLUMNS
            ))
            .bind(distribution_id)
            .bind(&actor.org_id),
        )
        .await?;
    hint.restore(tx).await?;
    rows.iter()
        .map(|r| {
            Ok(PendingLine {
                investor_id: r.text("investor_id")?,
                components: Components {
                    ordinary_dividend: r.i64("ordinary_minor")?,
                    qualified_dividend: r.i64("qualified_minor")?,
                    short_term_gain: r.i64("st_gain_minor")?,
                    long_term_gain: r.i64("lt_gain_minor")?,
                    return_of_capital: r.i64("roc_minor")?,
                    interest: r.i64("interest_minor")?,
                    ..Components::default()
                },
                profile: super::profiles::from_row(r)?,
            })
        })
        .collect()
}

/// Where a distribution's rows belong (copied onto each row for the period reports).
#[derive(Debug, Clone)]
pub struct RowContext<'a> {
    /// Distribution.
    pub distribution_id: &'a str,
    /// Its fund.
    pub fund_id: &'a str,
    /// Its currency.
    pub currency: &'a str,
    /// Its payable date (`YYYY-MM-DD`).
    pub payable_date: &'a str,
}

const COLUMNS: [&str; 19] = [
    "distribution_id",
    "investor_id",
    "org_id",
    "fund_id",
    "currency",
    "payable_date",
    "regime",
    "fed_ordinary_minor",
    "fed_qualified_minor",
    "fed_st_gain_minor",
    "fed_lt_gain_minor",
    "fed_roc_minor",
    "fed_interest_minor",
    "federal_minor",
    "rates",
    "state",
    "state_minor",
    "flag",
    "created_at",
];

fn rates_json(w: &Withheld) -> String {
    let parts: Vec<String> = w
        .rate_by_component
        .iter()
        .map(|r| format!("\"{}\"", r.normalize()))
        .collect();
    format!("[{}]", parts.join(","))
}

/// Inserts the rows (bulk) and sets each line's `withholding_minor` to federal + state (one
/// statement): the decided amount replaces whatever was entered on the line.
pub async fn insert_tx(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &RowContext<'_>,
    rows: &[(String, Withheld)],
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    if rows.is_empty() {
        return Ok(());
    }
    let now = now_text();
    let args: Vec<Vec<Arg>> = rows
        .iter()
        .map(|(investor, w)| {
            let mut v: Vec<Arg> = vec![
                ctx.distribution_id.into(),
                investor.as_str().into(),
                (&actor.org_id).into(),
                ctx.fund_id.into(),
                ctx.currency.into(),
                ctx.payable_date.into(),
                w.regime.as_str().into(),
            ];
            v.extend(w.federal_by_component.iter().map(|m| Arg::from(*m)));
            v.push(w.federal_minor.into());
            v.push(rates_json(w).into());
            v.push(w.state.clone().into());
            v.push(w.state_minor.into());
            v.push(w.flag.clone().into());
            v.push(now.as_str().into());
            v
        })
        .collect();
    let started = std::time::Instant::now();
    tx.bulk_insert("line_withholdings", &COLUMNS, &args).await?;
    let loaded = started.elapsed();
    set_line_amounts(tx, actor, ctx.distribution_id).await?;
    tracing::debug!(
        rows = rows.len(),
        load_ms = loaded.as_millis() as u64,
        update_ms = (started.elapsed() - loaded).as_millis() as u64,
        "line withholdings written"
    );
    Ok(())
}

/// `withholding_minor = federal + state` of every unsettled line with a row.
async fn set_line_amounts(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<(), StoreError> {
    // PostgreSQL, without statistics on the rows just loaded, may pick a nested loop here
    // (as the reinvestment settle did); a hash join is one pass over each side.
    let hint = Hint::off(tx, Method::NestLoop).await?;
    tx.execute(
        q(
            "UPDATE distribution_lines SET withholding_minor = w.federal_minor + w.state_minor
           FROM line_withholdings w
           WHERE w.distribution_id = $1 AND distribution_lines.distribution_id = $1
             AND distribution_lines.investor_id = w.investor_id AND distribution_lines.org_id = $2
             AND distribution_lines.cash_minor IS NULL",
        )
        .bind(distribution_id)
        .bind(&actor.org_id),
    )
    .await?;
    hint.restore(tx).await
}

/// A reversal's rows: the reversed lines' rows negated (no flag), dated the reversal's
/// payable date; returns how many were written. The reversal's lines carry the negated
/// amounts already, so `withholding_minor` is left as it is.
pub async fn insert_reversed_tx(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &RowContext<'_>,
) -> Result<u64, StoreError> {
    actor.require(Permission::Operate)?;
    tx.execute(
        q("INSERT INTO line_withholdings (distribution_id, investor_id, org_id, fund_id, currency, payable_date, regime,
             fed_ordinary_minor, fed_qualified_minor, fed_st_gain_minor, fed_lt_gain_minor, fed_roc_minor, fed_interest_minor,
             federal_minor, rates, state, state_minor, flag, created_at)
           SELECT l.distribution_id, o.investor_id, o.org_id, o.fund_id, o.currency, $3, o.regime,
             -o.fed_ordinary_minor, -o.fed_qualified_minor, -o.fed_st_gain_minor, -o.fed_lt_gain_minor, -o.fed_roc_minor,
             -o.fed_interest_minor, -o.federal_minor, o.rates, o.state, -o.state_minor, NULL, $4
           FROM distribution_lines l JOIN line_withholdings o
             ON o.distribution_id = l.reverses_distribution_id AND o.investor_id = l.investor_id AND o.org_id = l.org_id
           WHERE l.distribution_id = $1 AND l.org_id = $2
             AND NOT EXISTS (SELECT 1 FROM line_withholdings w WHERE w.distribution_id = l.distribution_id AND w.investor_id = l.investor_id)")
            .bind(ctx.distribution_id)
            .bind(&actor.org_id)
            .bind(ctx.payable_date)
            .bind(now_text()),
    )
    .await
}

/// One stored row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineWithholding {
    /// Distribution.
    pub distribution_id: String,
    /// Investor.
    pub investor_id: String,
    /// Fund.
    pub fund_id: String,
    /// Currency.
    pub currency: String,
    /// Payable date.
    pub payable_date: String,
    /// `NONE`, `BACKUP`, `CHAPTER3`.
    pub regime: String,
    /// Federal per component, fixed component order.
    pub federal_by_component: [i64; 6],
    /// Federal total.
    pub federal_minor: i64,
    /// Percent per component (JSON array of decimal strings).
    pub rates: Vec<String>,
    /// State withheld for.
    pub state: Option<String>,
    /// State amount.
    pub state_minor: i64,
    /// Why it needs attention.
    pub flag: Option<String>,
}

const SELECT: &str = "distribution_id, investor_id, fund_id, currency, payable_date, regime, fed_ordinary_minor, fed_qualified_minor,
    fed_st_gain_minor, fed_lt_gain_minor, fed_roc_minor, fed_interest_minor, federal_minor, rates, state, state_minor, flag";

fn from_row(r: &Row) -> Result<LineWithholding, StoreError> {
    let rates: Vec<String> = serde_json::from_str(&r.text("rates")?)
        .map_err(|e| StoreError::Corrupt(format!("line_withholdings.rates: {e}")))?;
    Ok(LineWithholding {
        distribution_id: r.text("distribution_id")?,
        investor_id: r.text("investor_id")?,
        fund_id: r.text("fund_id")?,
        currency: r.text("currency")?,
        payable_date: r.text("payable_date")?,
        regime: r.text("regime")?,
        federal_by_component: [
            r.i64("fed_ordinary_minor")?,
            r.i64("fed_qualified_minor")?,
            r.i64("fed_st_gain_minor")?,
            r.i64("fed_lt_gain_minor")?,
            r.i64("fed_roc_minor")?,
            r.i64("fed_interest_minor")?,
        ],
        federal_minor: r.i64("federal_minor")?,
        rates,
        state: r.opt_text("state")?,
        state_minor: r.i64("state_minor")?,
        flag: r.opt_text("flag")?,
    })
}

/// One page of a distribution's rows by investor, and the total; an investor sees only their
/// own row. The caller has checked the distribution is visible.
pub async fn of_distribution_tx(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<LineWithholding>, i64), StoreError> {
    actor.require(Permission::Read)?;
    let investor = actor.investor_id.clone();
    let cond = if investor.is_some() {
        "org_id = $1 AND distribution_id = $2 AND investor_id = $3"
    } else {
        "org_id = $1 AND distribution_id = $2 AND $3 IS NULL"
    };
    let total = tx
        .count(
            q(format!(
                "SELECT COUNT(*) AS n FROM line_withholdings WHERE {cond}"
            ))
            .bind(&actor.org_id)
            .bind(distribution_id)
            .bind(investor.clone()),
        )
        .await?;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {SELECT} FROM line_withholdings WHERE {cond} ORDER BY investor_id LIMIT $4 OFFSET $5"))
                .bind(&actor.org_id)
                .bind(distribution_id)
                .bind(investor)
                .bind(limit)
                .bind(offset),
        )
        .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}

/// One page of flagged rows (staff), newest payable date first, and the total.
pub async fn flagged_tx(
    tx: &mut Tx,
    actor: &Actor,
    limit: i64,
    offset: i64,
) -> Result<(Vec<LineWithholding>, i64), StoreError> {
    actor.require(Permission::Read)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("withholding flags"));
    }
    let total = tx
        .count(
            q("SELECT COUNT(*) AS n FROM line_withholdings WHERE org_id = $1 AND flag IS NOT NULL")
                .bind(&actor.org_id),
        )
        .await?;
    let rows = tx
        .fetch_all(
            q(format!(
                "SELECT {SELECT} FROM line_withholdings WHERE org_id = $1 AND flag IS NOT NULL
                       ORDER BY payable_date DESC, distribution_id, investor_id LIMIT $2 OFFSET $3"
            ))
            .bind(&actor.org_id)
            .bind(limit)
            .bind(offset),
        )
        .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}

/// Sums per payable date, currency, regime and state over `[from, to]` (staff): the rows the
/// liability report groups into periods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySum {
    /// Payable date.
    pub payable_date: String,
    /// Currency.
    pub currency: String,
    /// Federal regime.
    pub regime: String,
    /// State (None: no state withheld).
    pub state: Option<String>,
    /// Federal sum.
    pub federal_minor: i64,
    /// State sum.
    pub state_minor: i64,
}

/// See [`DaySum`].
pub async fn day_sums_tx(
    tx: &mut Tx,
    actor: &Actor,
    from: &str,
    to: &str,
) -> Result<Vec<DaySum>, StoreError> {
    actor.require(Permission::Read)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("withholding liability"));
    }
    tx.fetch_all(
        q("SELECT payable_date, currency, regime, state, CAST(SUM(federal_minor) AS BIGINT) AS federal_minor,
                  CAST(SUM(state_minor) AS BIGINT) AS state_minor
           FROM line_withholdings WHERE org_id = $1 AND payable_date >= $2 AND payable_date <= $3
           GROUP BY payable_date, currency, regime, state ORDER BY payable_date, currency, regime, state")
            .bind(&actor.org_id)
            .bind(from)
            .bind(to),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(DaySum {
            payable_date: r.text("payable_date")?,
            currency: r.text("currency")?,
            regime: r.text("regime")?,
            state: r.opt_text("state")?,
            federal_minor: r.i64("federal_minor")?,
            state_minor: r.i64("state_minor")?,
        })
    })
    .collect()
}

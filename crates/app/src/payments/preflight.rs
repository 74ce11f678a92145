//! The preflight of a distribution not yet processed: which lines' cash would be above the
//! ACH limit, and what processing will do with each (pay it by wire, or hold it for review),
//! so that oversized payments are decided before money moves.

use clearway_core::distribution::Status;
use clearway_core::payments::limits::AchLimits;
use clearway_core::Currency;
use clearway_store::distributions as dstore;
use clearway_store::payments::{self as pstore, AchLine};
use clearway_store::{fx, now_text, Actor, Db, StoreError};

use crate::AppResult;

/// What processing will do with an oversized ACH line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Paid by wire: the investor has a usable wire instruction.
    Wire,
    /// Held for review (`OVERSIZED`): no wire instruction.
    Review,
}

impl Route {
    /// `WIRE` / `REVIEW`.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Wire => "WIRE",
            Route::Review => "REVIEW",
        }
    }
}

/// One line whose cash is above the ACH limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oversized {
    /// The line (cash: its total less withholding, in the distribution's currency).
    pub line: AchLine,
    /// The ACH amount in USD minor units (after FX when the distribution is not in USD).
    pub ach_minor: i64,
    /// What processing will do.
    pub route: Route,
}

/// The preflight: the limit, counts and totals over every oversized line, and one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    /// The ACH per-entry limit in force (USD minor units).
    pub limit_minor: i64,
    /// Whether each line's cash is net of its reinvestment as the elections and NAVs stand
    /// now (`false`: a NAV is missing, so the cash shown is the line less withholding, an
    /// upper bound).
    pub reinvestment_applied: bool,
    /// Oversized lines in all.
    pub count: usize,
    /// Of which paid by wire.
    pub to_wire: usize,
    /// Of which held for review.
    pub to_review: usize,
    /// Their cash in the distribution's currency.
    pub total_minor: i64,
    /// The page asked for, by investor id.
    pub items: Vec<Oversized>,
}

/// The preflight of distribution `id` (DRAFT, READY or APPROVED; anything else is a conflict):
/// the page of oversized lines after investor `cursor`, at most `limit`.
pub async fn preflight(
    db: &Db,
    actor: &Actor,
    id: &str,
    limits: &AchLimits,
    cursor: Option<&str>,
    limit: usize,
) -> AppResult<Preflight> {
    let mut tx = db.begin().await?;
    let d = dstore::get_tx(&mut tx, actor, id).await?;
    if !matches!(d.status, Status::Draft | Status::Ready | Status::Approved) {
        return Err(StoreError::Conflict(format!(
            "the preflight is for distributions not yet processed (DRAFT, READY, APPROVED); this one is {}",
            d.status
        ))
        .into());
    }
    let max = limits.entry_max_minor();
    // In USD the limit filters in SQL; in another currency every ACH line is converted below.
    let above = if d.currency == Currency::USD { max } else { 0 };
    let mut lines = pstore::ach_lines_above(&mut tx, actor, id, above).await?;
    let reinvestment_applied = net_of_reinvestment(&mut tx, actor, &d, &mut lines).await?;
    let rate = if d.currency == Currency::USD {
        None
    } else {
        fx::latest(&mut tx, actor, d.currency.code(), "USD", &now_text()).await?
    };
    tx.commit().await?;
    let mut all = Vec::new();
    for line in lines {
        let ach_minor = match &rate {
            None if d.currency == Currency::USD => line.cash_minor,
            // No rate: the payment would fail NO_FX_RATE (review), never reach a file.
            None => continue,
            Some(r) => usd_of(r, d.currency, line.cash_minor)?,
        };
        if ach_minor <= max {
            continue;
        }
        let route = if line.has_wire {
            Route::Wire
        } else {
            Route::Review
        };
        all.push(Oversized {
            line,
            ach_minor,
            route,
        });
    }
    let mut out = summarize(all, max, cursor, limit);
    out.reinvestment_applied = reinvestment_applied;
    Ok(out)
}

/// Takes from each line's cash what the reinvestment step would reinvest now (its plan,
/// nothing written). `false` when it cannot be planned yet (a NAV missing or stale): the
/// lines then keep their upper bound.
async fn net_of_reinvestment(
    tx: &mut clearway_store::Tx,
    actor: &Actor,
    d: &dstore::Distribution,
    lines: &mut [AchLine],
) -> Result<bool, StoreError> {
    if lines.is_empty() {
        return Ok(true);
    }
    // The plan reads as the system does at processing (an approver may not operate); the
    // caller was already checked as staff of this organization.
    let system = Actor::system(&actor.org_id);
    let plan = match crate::reinvestment::step::plan(tx, &system, d).await {
        Ok(plan) => plan,
        Err(e) => {
            tracing::debug!(distribution_id = %d.id, error = %e, "preflight without the reinvestment plan");
            return Ok(false);
        }
    };
    let cost: std::collections::HashMap<&str, i64> = plan
        .reinvestments
        .iter()
        .map(|r| (r.investor_id.as_str(), r.cost_minor))
        .collect();
    for line in lines.iter_mut() {
        line.cash_minor -= cost.get(line.investor_id.as_str()).copied().unwrap_or(0);
    }
    Ok(true)
}

/// A fund-currency amount in USD at the stored rate (rounded as payments are).
fn usd_of(r: &fx::FxRate, fund: Currency, minor: i64) -> Result<i64, StoreError> {
    let rate = r
        .rate
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("fx rate {}: {e}", r.rate)))?;
    clearway_core::payments::fx::Rate {
        base: fund,
        quote: Currency::USD,
        rate,
    }
    .convert(minor)
    .map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn summarize(all: Vec<Oversized>, max: i64, cursor: Option<&str>, limit: usize) -> Preflight {
    let to_wire = all.iter().filter(|o| o.route == Route::Wire).count();
    Preflight {
        limit_minor: max,
        reinvestment_applied: false,
        count: all.len(),
        to_wire,
        to_review: all.len() - to_wire,
        total_minor: all.iter().map(|o| o.line.cash_minor).sum(),
        items: all
            .into_iter()
            .filter(|o| cursor.is_none_or(|c| o.line.investor_id.as_str() > c))
            .take(limit)
            .collect(),
    }
}

//! Reading payments: by id, lists and filters, per rail, per line, by reference, and event history.

use std::collections::HashMap;

use clearway_core::payments::{Method, PaymentStatus};

use crate::{q, Actor, Db, StoreError, Tx};

use super::*;

/// One payment the actor may see.
pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<Payment, StoreError> {
    visible(actor)?;
    let row = db
        .fetch_optional(
            q(format!("SELECT {COLUMNS} FROM payments WHERE id = $1 AND org_id = $2 AND ($3 IS NULL OR investor_id = $3)"))
                .bind(id)
                .bind(&actor.org_id)
                .bind(actor.investor_id.clone()),
        )
        .await?
        .ok_or(StoreError::NotFound("payment"))?;
    from_row(&row)
}

/// One payment inside a transaction (staff and system).
pub async fn get_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<Payment, StoreError> {
    visible(actor)?;
    let row = tx
        .fetch_optional(
            q(format!("SELECT {COLUMNS} FROM payments WHERE id = $1 AND org_id = $2 AND ($3 IS NULL OR investor_id = $3)"))
                .bind(id)
                .bind(&actor.org_id)
                .bind(actor.investor_id.clone()),
        )
        .await?
        .ok_or(StoreError::NotFound("payment"))?;
    from_row(&row)
}

/// Filters for [`list`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this distribution.
    pub distribution_id: Option<String>,
    /// Only this status.
    pub status: Option<PaymentStatus>,
    /// Only payments waiting for a person (review reason or hold set).
    pub needs_review: bool,
    /// Only stale-dated checks whose money is unclaimed.
    pub unclaimed: bool,
    /// Only this batch.
    pub batch_id: Option<String>,
    /// Ids after this one.
    pub after_id: Option<String>,
    /// Page size.
    pub limit: i64,
}

/// Payments the actor may see (investors: their own), by id.
pub async fn list(db: &Db, actor: &Actor, f: &ListFilter) -> Result<Vec<Payment>, StoreError> {
    visible(actor)?;
    db.fetch_all(
        q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND ($2 IS NULL OR investor_id = $2)
                   AND ($3 IS NULL OR distribution_id = $3) AND ($4 IS NULL OR status = $4)
                   AND ($5 = 0 OR review_reason IS NOT NULL OR hold_reason IS NOT NULL) AND ($6 = 0 OR unclaimed = 1)
                   AND ($7 IS NULL OR batch_id = $7) AND id > $8
                   ORDER BY id LIMIT $9"))
            .bind(&actor.org_id)
            .bind(actor.investor_id.clone())
            .bind(f.distribution_id.clone())
            .bind(f.status.map(|s| s.as_str()))
            .bind(i64::from(f.needs_review))
            .bind(i64::from(f.unclaimed))
            .bind(f.batch_id.clone())
            // why: no cursor: ids after "" are all ids
            .bind(f.after_id.clone().unwrap_or_default())
            .bind(f.limit),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Pending, unheld payments of a distribution by method (optionally only `ids`), for a rail.
pub async fn pending_for_rail(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    method: Method,
    ids: Option<&[String]>,
) -> Result<Vec<Payment>, StoreError> {
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND distribution_id = $2 AND method = $3 AND status = 'PENDING' AND hold_reason IS NULL AND provider IS NULL ORDER BY investor_id"))
                .bind(&actor.org_id)
                .bind(distribution_id)
                .bind(method.as_str()),
        )
        .await?;
    let mut out: Vec<Payment> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    if let Some(ids) = ids {
        let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        out.retain(|p| wanted.contains(p.id.as_str()));
    }
    Ok(out)
}

/// The PENDING, unheld ACH payments of `actor`'s organization waiting for a file, other than
/// those of distribution `except`: whole distributions, in order of distribution id, at most
/// `max_payments` in all (a distribution that would pass it is left to its own rail job).
/// What an ACH cut takes along with its own distribution's payments.
pub async fn pending_ach_of_org(
    tx: &mut Tx,
    actor: &Actor,
    except: &str,
    max_payments: usize,
) -> Result<Vec<Payment>, StoreError> {
    // why: a cap on rows held in memory fits an i64
    let limit = max_payments as i64 + 1;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND distribution_id <> $2 AND method = 'ACH' AND status = 'PENDING' AND hold_reason IS NULL AND provider IS NULL ORDER BY distribution_id, investor_id LIMIT $3"))
                .bind(&actor.org_id)
                .bind(except)
                .bind(limit),
        )
        .await?;
    let mut out: Vec<Payment> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    if out.len() > max_payments {
        // The last distribution may be cut short: it is left whole to its own job.
        let last = out[out.len() - 1].distribution_id.clone();
        out.retain(|p| p.distribution_id != last);
    }
    Ok(out)
}

/// Failed or returned payments of an investor whose failure was bad account details and that
/// nothing has replaced yet, and pending ones held because their payee was blocked (a payee
/// update re-queues them).
pub async fn awaiting_payee_update(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
) -> Result<Vec<Payment>, StoreError> {
    tx.fetch_all(
        q(format!("SELECT {COLUMNS} FROM payments p WHERE org_id = $1 AND investor_id = $2 AND ((status IN ('FAILED','RETURNED') AND (review_reason LIKE 'BAD_ACCOUNT%' OR review_reason LIKE 'NO_PAYEE%')) OR (status = 'PENDING' AND hold_reason LIKE 'PAYEE_BLOCKED%'))
                   AND NOT EXISTS (SELECT 1 FROM payments n WHERE n.retry_of = p.id)"))
            .bind(&actor.org_id)
            .bind(investor_id),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Whether the line already has a live payment.
pub async fn live_for_line(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    investor_id: &str,
) -> Result<Option<Payment>, StoreError> {
    tx.fetch_optional(
        q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND distribution_id = $2 AND investor_id = $3 AND status NOT IN ('FAILED','RETURNED','CANCELLED')"))
            .bind(&actor.org_id)
            .bind(distribution_id)
            .bind(investor_id),
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// The newest payment of a line (any status).
pub async fn latest_for_line(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    investor_id: &str,
) -> Result<Option<Payment>, StoreError> {
    tx.fetch_optional(
        q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND distribution_id = $2 AND investor_id = $3 ORDER BY attempt DESC, id DESC LIMIT 1"))
            .bind(&actor.org_id)
            .bind(distribution_id)
            .bind(investor_id),
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// A payment found by a rail reference (ACH trace number, wire end-to-end id, check number),
/// across organizations (return files name no organization).
pub async fn find_by_reference(
    tx: &mut Tx,
    column: &'static str,
    value: &str,
) -> Result<Option<(String, Payment)>, StoreError> {
    debug_assert!(matches!(
        column,
        "trace_number" | "end_to_end_id" | "check_number"
    ));
    tx.fetch_optional(
        q(format!(
            "SELECT org_id, {COLUMNS} FROM payments WHERE {column} = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(value),
    )
    .await?
    .map(|r| Ok((r.text("org_id")?, from_row(&r)?)))
    .transpose()
}

/// A payment found by its provider's id (provider webhooks name no organization).
pub async fn find_by_provider_ref(
    tx: &mut Tx,
    provider: &str,
    reference: &str,
) -> Result<Option<(String, Payment)>, StoreError> {
    tx.fetch_optional(
        q(format!(
            "SELECT org_id, {COLUMNS} FROM payments WHERE provider = $1 AND provider_ref = $2"
        ))
        .bind(provider)
        .bind(reference),
    )
    .await?
    .map(|r| Ok((r.text("org_id")?, from_row(&r)?)))
    .transpose()
}

/// One logged status change.
#[derive(Debug, Clone)]
pub struct PaymentEvent {
    /// Attempt number.
    pub attempt: i64,
    /// From.
    pub from_status: Option<String>,
    /// To.
    pub to_status: String,
    /// Code.
    pub code: Option<String>,
    /// Reason.
    pub reason: Option<String>,
    /// When.
    pub at: String,
}

/// The history of a payment's line: every attempt's status changes, oldest first.
pub async fn history(
    db: &Db,
    actor: &Actor,
    payment: &Payment,
) -> Result<Vec<PaymentEvent>, StoreError> {
    visible(actor)?;
    db.fetch_all(
        q("SELECT e.attempt, e.from_status, e.to_status, e.code, e.reason, e.at FROM payment_events e JOIN payments p ON p.id = e.payment_id
           WHERE e.org_id = $1 AND p.distribution_id = $2 AND p.investor_id = $3 ORDER BY e.at, e.id LIMIT 500")
            .bind(&actor.org_id)
            .bind(&payment.distribution_id)
            .bind(&payment.investor_id),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(PaymentEvent {
            attempt: r.i64("attempt")?,
            from_status: r.opt_text("from_status")?,
            to_status: r.text("to_status")?,
            code: r.opt_text("code")?,
            reason: r.opt_text("reason")?,
            at: r.text("at")?,
        })
    })
    .collect()
}

/// Which lines of a distribution [`lines_to_pay`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineScope {
    /// Lines that have no payment yet (the processing step).
    NewLines,
    /// Also lines whose last payment failed, came back or was cancelled (re-initiation).
    Unpaid,
}

/// One line's cash part with what paying it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineToPay {
    /// Investor paid.
    pub investor_id: String,
    /// Cash part, distribution-currency minor units.
    pub cash_minor: i64,
    /// Investor's name (payee name when there is no payee).
    pub investor_name: String,
    /// The line's newest payment and its attempt number, if any.
    pub last: Option<(String, i64)>,
}

/// A line (`l`) whose reversal was processed: its money is recovered, never paid again.
const REVERSED: &str = "EXISTS (SELECT 1 FROM distribution_lines r WHERE r.reverses_distribution_id = l.distribution_id AND r.investor_id = l.investor_id AND r.status IN ('RECEIVABLE','NOTHING_OWED'))";

/// Lines of a distribution with a cash part to pay (cash less what offset a receivable, > 0)
/// that `scope` says to pay (optionally only one investor's), by investor; never a line whose
/// reversal was processed.
pub async fn lines_to_pay(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    scope: LineScope,
    only_investor: Option<&str>,
) -> Result<Vec<LineToPay>, StoreError> {
    actor.require(Permission::Operate)?;
    // Only a processed distribution is ever reversed, so only re-payment looks for it.
    let reversed = match scope {
        LineScope::NewLines => String::new(),
        LineScope::Unpaid => format!(" AND NOT {REVERSED}"),
    };
    let rows = tx
        .fetch_all(
            q(format!("SELECT l.investor_id, l.cash_minor - COALESCE(l.offset_minor, 0) AS cash_minor, i.name
                       FROM distribution_lines l JOIN investors i ON i.id = l.investor_id
                       WHERE l.distribution_id = $1 AND l.org_id = $2 AND l.cash_minor - COALESCE(l.offset_minor, 0) > 0 AND ($3 IS NULL OR l.investor_id = $3){reversed}
                       ORDER BY l.investor_id"))
                .bind(distribution_id)
                .bind(&actor.org_id)
                .bind(only_investor),
        )
        .await?;
    // The lines' payments in one indexed read by distribution, not a correlated lookup per
    // line: on PostgreSQL the lines' ids are COLLATE "C" and the payments' are not, so a
    // correlated subquery cannot use the payments' index and scans them once per line.
    let mut payments: HashMap<String, LinePayments> = HashMap::new();
    for r in tx
        .fetch_all(
            q("SELECT investor_id, id, attempt, status, unclaimed FROM payments WHERE distribution_id = $1 AND org_id = $2 AND ($3 IS NULL OR investor_id = $3)")
                .bind(distribution_id)
                .bind(&actor.org_id)
                .bind(only_investor),
        )
        .await?
    {
        let e = payments.entry(r.text("investor_id")?).or_default();
        let (id, attempt) = (r.text("id")?, r.i64("attempt")?);
        if e.last.as_ref().is_none_or(|(lid, la)| (attempt, &id) > (*la, lid)) {
            e.last = Some((id, attempt));
        }
        let status = r.text("status")?;
        e.live |= !matches!(status.as_str(), "FAILED" | "RETURNED" | "CANCELLED")
            || r.i64("unclaimed")? == 1;
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let investor_id = r.text("investor_id")?;
        let paid = payments.get(&investor_id);
        let skip = match scope {
            LineScope::NewLines => paid.is_some(),
            LineScope::Unpaid => paid.is_some_and(|p| p.live),
        };
        if skip {
            continue;
        }
        out.push(LineToPay {
            cash_minor: r.i64("cash_minor")?,
            investor_name: r.text("name")?,
            last: paid.and_then(|p| p.last.clone()),
            investor_id,
        });
    }
    Ok(out)
}

/// What [`lines_to_pay`] needs of one line's payments.
#[derive(Default)]
struct LinePayments {
    /// The newest (highest attempt, then id) and its attempt.
    last: Option<(String, i64)>,
    /// One of them still counts (not failed, returned or cancelled), or is an unclaimed check.
    live: bool,
}

/// One investor's line of a distribution (whatever its cash part), for a retry; `last` is
/// not read (`None`).
pub async fn line_of(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    investor_id: &str,
) -> Result<LineToPay, StoreError> {
    actor.require(Permission::Operate)?;
    let row = tx
        .fetch_optional(
            q(format!("SELECT l.cash_minor - COALESCE(l.offset_minor, 0) AS cash_minor, i.name, CAST(CASE WHEN {REVERSED} THEN 1 ELSE 0 END AS BIGINT) AS reversed FROM distribution_lines l JOIN investors i ON i.id = l.investor_id WHERE l.distribution_id = $1 AND l.investor_id = $2 AND l.org_id = $3"))
                .bind(distribution_id)
                .bind(investor_id)
                .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("line"))?;
    if row.i64("reversed")? != 0 {
        return Err(StoreError::Conflict(
            "the line was reversed: its money is recovered, not paid again".into(),
        ));
    }
    Ok(LineToPay {
        investor_id: investor_id.to_string(),
        // A line without a cash part (NULL) pays nothing: 0, refused by the retry's checks.
        cash_minor: row.opt_i64("cash_minor")?.unwrap_or(0),
        investor_name: row.text("name")?,
        last: None,
    })
}

/// Whether a newer attempt already retries `payment_id`.
pub async fn was_retried(tx: &mut Tx, actor: &Actor, payment_id: &str) -> Result<bool, StoreError> {
    visible(actor)?;
    Ok(tx
        .fetch_optional(
            q("SELECT id FROM payments WHERE retry_of = $1 AND org_id = $2")
                .bind(payment_id)
                .bind(&actor.org_id),
        )
        .await?
        .is_some())
}

/// The condition of a payment (alias `p`) that nothing points at: PENDING or PROCESSING, with
/// neither a hold nor a review reason, and no live (queued or running) job that will move it:
/// the rail job of its distribution and method, or a job naming the payment (provider send,
/// retry).
const ORPHANED: &str = "p.status IN ('PENDING','PROCESSING') AND p.hold_reason IS NULL AND p.review_reason IS NULL
    AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.org_id = p.org_id AND j.status IN ('QUEUED','RUNNING') AND j.kind LIKE 'payment.%'
        AND ((j.payload LIKE ('%\"paymentId\":\"' || p.id || '\"%'))
          OR (j.kind = (CASE p.method WHEN 'ACH' THEN 'payment.ach' WHEN 'WIRE' THEN 'payment.wire' ELSE 'payment.check' END)
              AND j.payload LIKE ('%\"distributionId\":\"' || p.distribution_id || '\"%'))))";

/// Payments waiting with nothing pointing at them (see `ORPHANED`) in the actor's
/// organization, or one distribution of it; by id, at most `limit`. Empty is the invariant:
/// every payment not yet sent is either moved by a job or in the review queue with a reason.
pub async fn orphans(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Payment>, StoreError> {
    visible(actor)?;
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("p.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    tx.fetch_all(
        q(format!("SELECT {cols} FROM payments p WHERE p.org_id = $1 AND ($2 IS NULL OR p.distribution_id = $2) AND {ORPHANED} ORDER BY p.id LIMIT $3"))
            .bind(&actor.org_id)
            .bind(distribution_id)
            .bind(limit),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// How many payments wait with nothing pointing at them, over every organization (the
/// `/metrics` gauge; no payment data leaves).
pub async fn orphan_count_all(db: &Db) -> Result<i64, StoreError> {
    db.fetch_optional(q(format!(
        "SELECT COUNT(*) AS n FROM payments p WHERE {ORPHANED}"
    )))
    .await?
    .map(|r| r.i64("n"))
    .transpose()
    .map(|n| n.unwrap_or(0))
}

/// A line whose cash would be paid by ACH (its investor's default payee), for the preflight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchLine {
    /// Investor.
    pub investor_id: String,
    /// Investor's name.
    pub investor_name: String,
    /// The most the line can pay in cash: its total less withholding (reinvestment, decided
    /// at processing, can only lower it; the application takes its plan off), in
    /// distribution-currency minor units.
    pub cash_minor: i64,
    /// Whether the investor has a usable wire instruction (WIRE, verified, not blocked).
    pub has_wire: bool,
}

/// The lines of a distribution paid by ACH whose cash may exceed `above_minor` (in the
/// distribution's currency), by investor.
pub async fn ach_lines_above(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    above_minor: i64,
) -> Result<Vec<AchLine>, StoreError> {
    actor.require(Permission::Read)?;
    tx.fetch_all(
        q("SELECT l.investor_id, i.name, l.total_minor - l.withholding_minor AS cash_minor,
                  CAST(CASE WHEN EXISTS (SELECT 1 FROM bank_accounts w WHERE w.org_id = l.org_id AND w.investor_id = l.investor_id
                                    AND w.method = 'WIRE' AND w.status = 'VERIFIED' AND w.blocked_reason IS NULL) THEN 1 ELSE 0 END AS BIGINT) AS has_wire
           FROM distribution_lines l
           JOIN investors i ON i.id = l.investor_id AND i.org_id = l.org_id
           JOIN bank_accounts b ON b.org_id = l.org_id AND b.investor_id = l.investor_id AND b.is_default = 1 AND b.method = 'ACH'
           WHERE l.distribution_id = $1 AND l.org_id = $2 AND l.total_minor - l.withholding_minor > $3
           ORDER BY l.investor_id")
        .bind(distribution_id)
        .bind(&actor.org_id)
        .bind(above_minor),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(AchLine {
            investor_id: r.text("investor_id")?,
            investor_name: r.text("name")?,
            cash_minor: r.i64("cash_minor")?,
            has_wire: r.i64("has_wire")? == 1,
        })
    })
    .collect()
}

/// Payments of a distribution by method, status and review cause (the review reason up to
/// its first `:`, e.g. `OVERSIZED`), with their count and total in payment-currency minor
/// units (mixed currencies add up as stored: a report, not money).
pub async fn outcome_counts(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<std::collections::BTreeMap<(String, String, Option<String>), (i64, i64)>, StoreError> {
    visible(actor)?;
    let rows = tx
        .fetch_all(
            q("SELECT method, status, review_reason, amount_minor FROM payments WHERE org_id = $1 AND distribution_id = $2")
                .bind(&actor.org_id)
                .bind(distribution_id),
        )
        .await?;
    let mut out = std::collections::BTreeMap::new();
    for r in rows {
        let cause = r
            .opt_text("review_reason")?
            .map(|t| t.split(':').next().unwrap_or_default().trim().to_string());
        let entry = out
            .entry((r.text("method")?, r.text("status")?, cause))
            .or_insert((0, 0));
        entry.0 += 1;
        entry.1 += r.i64("amount_minor")?;
    }
    Ok(out)
}

/// Payments of one rail in one status and currency: how many and how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RailTotal {
    /// ACH, WIRE, CHECK, or PROVIDER (sent through a provider connector, whatever the method).
    pub rail: String,
    /// Status.
    pub status: PaymentStatus,
    /// Payment currency.
    pub currency: Currency,
    /// How many.
    pub count: i64,
    /// Their amounts, payment-currency minor units.
    pub amount_minor: i64,
}

/// [`RailTotal`]s of a distribution's payments (every attempt, retries included).
pub async fn rail_totals(
    db: &Db,
    actor: &Actor,
    distribution_id: &str,
) -> Result<Vec<RailTotal>, StoreError> {
    visible(actor)?;
    db.fetch_all(
        q("SELECT CASE WHEN provider IS NULL THEN method ELSE 'PROVIDER' END AS rail, status, currency, COUNT(*) AS n, CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS amount
           FROM payments WHERE org_id = $1 AND distribution_id = $2 AND ($3 IS NULL OR investor_id = $3)
           GROUP BY CASE WHEN provider IS NULL THEN method ELSE 'PROVIDER' END, status, currency ORDER BY rail, status, currency")
            .bind(&actor.org_id)
            .bind(distribution_id)
            .bind(actor.investor_id.clone()),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(RailTotal {
            rail: r.text("rail")?,
            status: r.parse("status")?,
            currency: Currency::parse(&r.text("currency")?).map_err(StoreError::Corrupt)?,
            count: r.i64("n")?,
            amount_minor: r.i64("amount")?,
        })
    })
    .collect()
}

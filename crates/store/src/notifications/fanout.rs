//! The engine's side of the outbox: which events still need expanding (`notification_pending`,
//! one row per notice event written with the event; not the webhook relay's dispatch flag),
//! one fan-out row per event with the last investor expanded, and the reads that give each
//! batch of investors their contacts, preferences and figures.
//!
//! The rows are written by `events::outbox` with each notice event. Why a pending row per event
//! rather than a cursor over `seq`: a PostgreSQL sequence value is taken at insert, not at
//! commit, so an event can commit after one with a higher `seq`; a cursor already past it would
//! skip it for good. A row written in the event's own transaction exists exactly when the event
//! does, whatever order transactions commit in.

use std::str::FromStr;

use clearway_core::components::Components;
use clearway_core::notifications::preferences::PreferenceRow;
use clearway_core::notifications::{Channel, EventKind, NOTICE_EVENT_TYPES};

use crate::events::outbox::Event;
use crate::{now_text, q, Db, Row, StoreError, Tx};

/// An event's expansion so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fanout {
    /// The outbox event.
    pub event_id: String,
    /// `expanding` or `done`.
    pub status: String,
    /// Last investor id expanded ('' before the first batch).
    pub cursor_investor: String,
    /// Messages queued (email, SMS).
    pub queued: i64,
    /// Messages recorded as skipped (preference off, no address).
    pub skipped: i64,
    /// Messages recorded as suppressed.
    pub suppressed: i64,
    /// In-app notices written.
    pub in_app: i64,
}

/// What one batch added to a fan-out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    /// Queued.
    pub queued: i64,
    /// Skipped.
    pub skipped: i64,
    /// Suppressed.
    pub suppressed: i64,
    /// In-app.
    pub in_app: i64,
}

/// The oldest `limit` events enrolled for the engine and not expanded to the end, in outbox
/// order.
pub async fn pending_events(db: &Db, limit: i64) -> Result<Vec<Event>, StoreError> {
    db.fetch_all(
        q("SELECT o.seq, o.id, o.org_id, o.event_type, o.aggregate_type, o.aggregate_id, o.payload, o.created_at
           FROM notification_pending p JOIN outbox o ON o.id = p.event_id
           ORDER BY o.seq LIMIT $1")
        .bind(limit),
    )
    .await?
    .iter()
    .map(event_from_row)
    .collect()
}

/// Takes `event_id` out of the engine's pending set (its expansion is done, or it tells no one).
pub async fn forget_pending(tx: &mut Tx, event_id: &str) -> Result<(), StoreError> {
    tx.execute(q("DELETE FROM notification_pending WHERE event_id = $1").bind(event_id))
        .await?;
    Ok(())
}

fn event_from_row(r: &Row) -> Result<Event, StoreError> {
    Ok(Event {
        seq: r.i64("seq")?,
        id: r.text("id")?,
        org_id: r.text("org_id")?,
        event_type: r.text("event_type")?,
        aggregate_type: r.text("aggregate_type")?,
        aggregate_id: r.text("aggregate_id")?,
        data: serde_json::from_str(&r.text("payload")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        created_at: r.text("created_at")?,
    })
}

/// The fan-out row of `event`, created (`expanding`, no investor yet) when there is none.
pub async fn open(tx: &mut Tx, event: &Event, kind: EventKind) -> Result<Fanout, StoreError> {
    let now = now_text();
    tx.execute(
        q("INSERT INTO notification_fanouts (event_id, org_id, event_seq, event_kind, status, cursor_investor, queued, skipped, suppressed, in_app, created_at, updated_at)
           VALUES ($1, $2, $3, $4, 'expanding', '', 0, 0, 0, 0, $5, $5) ON CONFLICT (event_id) DO NOTHING")
        .bind(&event.id)
        .bind(&event.org_id)
        .bind(event.seq)
        .bind(kind.as_str())
        .bind(now),
    )
    .await?;
    let row = tx
        .fetch_optional(
            q("SELECT event_id, status, cursor_investor, queued, skipped, suppressed, in_app FROM notification_fanouts WHERE event_id = $1")
                .bind(&event.id),
        )
        .await?
        .ok_or(StoreError::NotFound("fan-out"))?;
    Ok(Fanout {
        event_id: row.text("event_id")?,
        status: row.text("status")?,
        cursor_investor: row.text("cursor_investor")?,
        queued: row.i64("queued")?,
        skipped: row.i64("skipped")?,
        suppressed: row.i64("suppressed")?,
        in_app: row.i64("in_app")?,
    })
}

/// Saves a batch's progress in the batch's transaction: the last investor done, the counts,
/// and `done` when it was the last batch. Conditional on the cursor it started from, so two
/// engines expanding the same event cannot both advance it.
pub async fn advance(
    tx: &mut Tx,
    event_id: &str,
    from_investor: &str,
    to_investor: &str,
    counts: BatchCounts,
    done: bool,
) -> Result<(), StoreError> {
    let n = tx
        .execute(
            q("UPDATE notification_fanouts SET cursor_investor = $1, queued = queued + $2, skipped = skipped + $3,
                 suppressed = suppressed + $4, in_app = in_app + $5, status = $6, updated_at = $7
               WHERE event_id = $8 AND cursor_investor = $9 AND status = 'expanding'")
            .bind(to_investor)
            .bind(counts.queued)
            .bind(counts.skipped)
            .bind(counts.suppressed)
            .bind(counts.in_app)
            .bind(if done { "done" } else { "expanding" })
            .bind(now_text())
            .bind(event_id)
            .bind(from_investor),
        )
        .await?;
    if n != 1 {
        return Err(StoreError::Conflict(format!(
            "fan-out of event {event_id} moved under us"
        )));
    }
    if done {
        forget_pending(tx, event_id).await?;
    }
    Ok(())
}

/// Enrolls again every notice event after `seq` and forgets their fan-outs (an operator's
/// replay; the messages' unique key makes it queue nothing already queued).
pub async fn replay_from(db: &Db, seq: i64) -> Result<(), StoreError> {
    let marks: Vec<String> = (0..NOTICE_EVENT_TYPES.len())
        .map(|i| format!("${}", i + 3))
        .collect();
    let mut enrol = q(format!(
        "INSERT INTO notification_pending (event_id, enqueued_at)
         SELECT id, $2 FROM outbox WHERE seq > $1 AND event_type IN ({})
         ON CONFLICT (event_id) DO NOTHING",
        marks.join(", ")
    ))
    .bind(seq)
    .bind(now_text());
    for t in NOTICE_EVENT_TYPES {
        enrol.push(t);
    }
    let mut tx = db.begin().await?;
    tx.execute(q("DELETE FROM notification_fanouts WHERE event_seq > $1").bind(seq))
        .await?;
    tx.execute(enrol).await?;
    tx.commit().await
}

/// An investor to tell, with contacts and (for distribution events) their line.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    /// Investor id.
    pub investor_id: String,
    /// Name.
    pub name: String,
    /// Email on file.
    pub email: Option<String>,
    /// Mobile number on file.
    pub phone: Option<String>,
    /// Locale spelling (`en`, `es`).
    pub locale: String,
    /// The line, for distribution events.
    pub line: Option<LineFacts>,
}

/// An investor's line of a distribution, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct LineFacts {
    /// Units on the record date (text as stored; none for explicit lines).
    pub units: Option<String>,
    /// Gross amount.
    pub total_minor: i64,
    /// Components.
    pub components: Components,
    /// Reinvested part, once processed.
    pub reinvested_minor: Option<i64>,
    /// Cash part, once processed.
    pub cash_minor: Option<i64>,
    /// The shares the line bought, once reinvested.
    pub reinvestment: Option<ReinvestmentRow>,
}

/// The reinvestment of one line, as the processing step stored it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReinvestmentRow {
    /// The part of the line that could be reinvested.
    pub reinvestable_minor: i64,
    /// Shares × NAV (the amount reinvested).
    pub cost_minor: i64,
    /// Shares bought (text as stored).
    pub shares: String,
    /// NAV per share used (text as stored).
    pub nav: String,
    /// NAV date.
    pub nav_date: String,
}

/// A distribution's header as notices show it.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionHeader {
    /// Id.
    pub id: String,
    /// Fund id.
    pub fund_id: String,
    /// Fund name.
    pub fund_name: String,
    /// Currency code.
    pub currency: String,
    /// Record date (as stored).
    pub record_date: String,
    /// Payable date (as stored).
    pub payable_date: String,
}

/// The header of distribution `id` of the organization.
pub async fn distribution_header(
    tx: &mut Tx,
    org_id: &str,
    id: &str,
) -> Result<DistributionHeader, StoreError> {
    let r = tx
        .fetch_optional(
            q("SELECT d.id, d.fund_id, f.name AS fund_name, d.currency, d.record_date, d.payable_date
               FROM distributions d JOIN funds f ON f.id = d.fund_id WHERE d.org_id = $1 AND d.id = $2")
            .bind(org_id)
            .bind(id),
        )
        .await?
        .ok_or(StoreError::NotFound("distribution"))?;
    Ok(DistributionHeader {
        id: r.text("id")?,
        fund_id: r.text("fund_id")?,
        fund_name: r.text("fund_name")?,
        currency: r.text("currency")?,
        record_date: r.text("record_date")?,
        payable_date: r.text("payable_date")?,
    })
}

const RECIPIENT: &str = "i.id AS investor_id, i.name, i.email, i.phone, i.locale";

/// The next `limit` investors with a line in distribution `id` after `after` (keyset by
/// investor id), with their lines.
pub async fn line_recipients(
    tx: &mut Tx,
    org_id: &str,
    id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<Recipient>, StoreError> {
    tx.fetch_all(
        q(format!(
            "SELECT {RECIPIENT}, l.units, l.total_minor, l.ordinary_minor, l.qualified_minor, l.st_gain_minor,
                    l.lt_gain_minor, l.roc_minor, l.interest_minor, l.foreign_tax_minor, l.withholding_minor,
                    l.reinvested_minor, l.cash_minor, r.reinvestable_minor, r.cost_minor, r.shares, r.nav, r.nav_date
             FROM distribution_lines l JOIN investors i ON i.id = l.investor_id
             LEFT JOIN reinvestments r ON r.distribution_id = l.distribution_id AND r.investor_id = l.investor_id
                  AND r.kind = 'REINVEST'
             WHERE l.distribution_id = $1 AND l.org_id = $2 AND l.investor_id > $3
             ORDER BY l.investor_id LIMIT $4"
        ))
        .bind(id)
        .bind(org_id)
        .bind(after)
        .bind(limit),
    )
    .await?
    .iter()
    .map(|r| {
        let mut c = recipient_from_row(r)?;
        c.line = Some(LineFacts {
            units: r.opt_text("units")?,
            total_minor: r.i64("total_minor")?,
            components: Components {
                ordinary_dividend: r.i64("ordinary_minor")?,
                qualified_dividend: r.i64("qualified_minor")?,
                short_term_gain: r.i64("st_gain_minor")?,
                long_term_gain: r.i64("lt_gain_minor")?,
                return_of_capital: r.i64("roc_minor")?,
                interest: r.i64("interest_minor")?,
                foreign_tax: r.i64("foreign_tax_minor")?,
                withholding: r.i64("withholding_minor")?,
            },
            reinvested_minor: r.opt_i64("reinvested_minor")?,
            cash_minor: r.opt_i64("cash_minor")?,
            reinvestment: reinvestment_from_row(r)?,
        });
        Ok(c)
    })
    .collect()
}

fn reinvestment_from_row(r: &Row) -> Result<Option<ReinvestmentRow>, StoreError> {
    let Some(shares) = r.opt_text("shares")? else {
        return Ok(None);
    };
    Ok(Some(ReinvestmentRow {
        reinvestable_minor: r.i64("reinvestable_minor")?,
        cost_minor: r.i64("cost_minor")?,
        shares,
        nav: r.text("nav")?,
        nav_date: r.text("nav_date")?,
    }))
}

fn recipient_from_row(r: &Row) -> Result<Recipient, StoreError> {
    Ok(Recipient {
        investor_id: r.text("investor_id")?,
        name: r.text("name")?,
        email: r.opt_text("email")?,
        phone: r.opt_text("phone")?,
        locale: r.text("locale")?,
        line: None,
    })
}

/// One investor of the organization as a recipient (events about one investor).
pub async fn investor_recipient(
    tx: &mut Tx,
    org_id: &str,
    investor_id: &str,
) -> Result<Option<Recipient>, StoreError> {
    tx.fetch_optional(
        q(format!(
            "SELECT {RECIPIENT} FROM investors i WHERE i.org_id = $1 AND i.id = $2"
        ))
        .bind(org_id)
        .bind(investor_id),
    )
    .await?
    .map(|r| recipient_from_row(&r))
    .transpose()
}

/// A payment as its notices show it.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRow {
    /// Id.
    pub id: String,
    /// Investor paid.
    pub investor_id: String,
    /// Distribution paid.
    pub distribution_id: String,
    /// ACH, WIRE or CHECK.
    pub method: String,
    /// Currency of the amount.
    pub currency: String,
    /// Amount.
    pub amount_minor: i64,
    /// Payee's name.
    pub payee_name: String,
    /// Expected date on the statement.
    pub expected_date: String,
    /// Failure or return code and reason.
    pub failure: Option<String>,
}

/// Payment `id` of the organization.
pub async fn payment(
    tx: &mut Tx,
    org_id: &str,
    id: &str,
) -> Result<Option<PaymentRow>, StoreError> {
    let Some(r) = tx
        .fetch_optional(
            q("SELECT id, investor_id, distribution_id, method, currency, amount_minor, payee_name, expected_date,
                      failure_code, failure_reason FROM payments WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id),
        )
        .await?
    else {
        return Ok(None);
    };
    let failure = match (r.opt_text("failure_code")?, r.opt_text("failure_reason")?) {
        (Some(c), Some(m)) => Some(format!("{c} {m}")),
        (c, m) => c.or(m),
    };
    Ok(Some(PaymentRow {
        id: r.text("id")?,
        investor_id: r.text("investor_id")?,
        distribution_id: r.text("distribution_id")?,
        method: r.text("method")?,
        currency: r.text("currency")?,
        amount_minor: r.i64("amount_minor")?,
        payee_name: r.text("payee_name")?,
        expected_date: r.text("expected_date")?,
        failure,
    }))
}

/// The stored preferences that can apply to investors `first..=last` (theirs and the
/// organization's defaults), for one kind.
pub async fn preferences(
    tx: &mut Tx,
    org_id: &str,
    kind: EventKind,
    first: &str,
    last: &str,
) -> Result<Vec<PreferenceRow>, StoreError> {
    tx.fetch_all(
        q("SELECT investor_id, fund_id, channel, enabled FROM notification_preferences
           WHERE org_id = $1 AND event_kind = $2 AND (investor_id = '' OR (investor_id >= $3 AND investor_id <= $4))")
        .bind(org_id)
        .bind(kind.as_str())
        .bind(first)
        .bind(last),
    )
    .await?
    .iter()
    .filter_map(|r| preference_from_row(r, kind).transpose())
    .collect()
}

/// A stored preference, or `None` for a channel this build does not know (ignored).
fn preference_from_row(r: &Row, kind: EventKind) -> Result<Option<PreferenceRow>, StoreError> {
    let Ok(channel) = Channel::from_str(&r.text("channel")?) else {
        return Ok(None);
    };
    let blank_none = |s: String| (!s.is_empty()).then_some(s);
    Ok(Some(PreferenceRow {
        investor_id: blank_none(r.text("investor_id")?),
        fund_id: blank_none(r.text("fund_id")?),
        kind,
        channel,
        enabled: r.i64("enabled")? != 0,
    }))
}

/// The email the investor had before their latest contact change at or before outbox event
/// `until_seq` and after `since` (the `before` of that `investor.contact_changed` event), if
/// that change replaced it. Walks the outbox back from the event by its key.
pub async fn previous_email(
    tx: &mut Tx,
    org_id: &str,
    investor_id: &str,
    since: &str,
    until_seq: i64,
) -> Result<Option<String>, StoreError> {
    let Some(row) = tx
        .fetch_optional(
            q(
                "SELECT payload FROM outbox WHERE seq < $1 AND created_at >= $2 AND org_id = $3
                 AND event_type = 'investor.contact_changed' AND aggregate_id = $4
               ORDER BY seq DESC LIMIT 1",
            )
            .bind(until_seq)
            .bind(since)
            .bind(org_id)
            .bind(investor_id),
        )
        .await?
    else {
        return Ok(None);
    };
    let payload: serde_json::Value = serde_json::from_str(&row.text("payload")?)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let email = |side: &str| payload[side]["email"].as_str().map(str::to_string);
    Ok(email("before").filter(|b| Some(b) != email("after").as_ref()))
}

/// The next `limit` holders of fund `fund_id` (investors with a holdings row in it) after
/// `after`, keyset by investor id.
pub async fn holder_recipients(
    tx: &mut Tx,
    org_id: &str,
    fund_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<Recipient>, StoreError> {
    tx.fetch_all(
        q(format!(
            "SELECT {RECIPIENT} FROM investors i
             WHERE i.org_id = $1 AND i.id > $2
               AND EXISTS (SELECT 1 FROM holdings h WHERE h.fund_id = $3 AND h.investor_id = i.id)
             ORDER BY i.id LIMIT $4"
        ))
        .bind(org_id)
        .bind(after)
        .bind(fund_id)
        .bind(limit),
    )
    .await?
    .iter()
    .map(recipient_from_row)
    .collect()
}

/// The `seq` of the organization's latest outbox event of `event_type`, if any.
pub async fn latest_seq(
    db: &Db,
    org_id: &str,
    event_type: &str,
) -> Result<Option<i64>, StoreError> {
    db.fetch_optional(
        q("SELECT MAX(seq) AS seq FROM outbox WHERE org_id = $1 AND event_type = $2")
            .bind(org_id)
            .bind(event_type),
    )
    .await?
    .map(|r| r.opt_i64("seq"))
    .transpose()
    .map(Option::flatten)
}

/// The organization's latest completed distribution of fund `fund_id` (by payable date).
pub async fn latest_completed(
    db: &Db,
    org_id: &str,
    fund_id: &str,
) -> Result<Option<String>, StoreError> {
    db.fetch_optional(
        q("SELECT id FROM distributions WHERE org_id = $1 AND fund_id = $2 AND status = 'COMPLETED'
           ORDER BY payable_date DESC, id DESC LIMIT 1")
        .bind(org_id)
        .bind(fund_id),
    )
    .await?
    .map(|r| r.text("id"))
    .transpose()
}

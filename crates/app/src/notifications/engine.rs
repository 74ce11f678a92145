//! The engine: reads the outbox events enrolled for it (`notification_pending`, written in each
//! event's own transaction) and expands each into one message per
//! (investor, channel) — queued, or recorded as skipped or suppressed with the reason — in
//! batches of investors, each batch one transaction that also saves the fan-out's cursor. The
//! in-app channel is delivered here: its delivery is the inbox row.

use std::collections::HashSet;
use std::str::FromStr;

use chrono::NaiveDate;
use clearway_core::calendar::Calendar;
use clearway_core::money::Currency;
use clearway_core::notifications::arrival::expected_arrival;
use clearway_core::notifications::context::{
    BankAccountFacts, DistributionFacts, PaymentFacts, ReinvestmentFacts, ScheduleFacts,
    TaxDocumentFacts,
};
use clearway_core::notifications::preferences::enabled;
use clearway_core::notifications::unsubscribe::{Claim, DEFAULT_LIFETIME_SECS};
use clearway_core::notifications::validate;
use clearway_core::notifications::{Channel, EventKind, Locale, NoticeContext};
use clearway_core::payments::Method;
use clearway_store::events::outbox::Event;
use clearway_store::notifications::fanout::{
    self, BatchCounts, DistributionHeader, PaymentRow, Recipient, ReinvestmentRow,
};
use clearway_store::notifications::messages::{self, NewInApp, NewMessage};
use clearway_store::notifications::{suppressions, upcoming};
use clearway_store::{Db, StoreError, Tx};
use rust_decimal::Decimal;

use super::render::render;
use super::unsubscribe::unsubscribe_url;
use crate::error::{AppError, AppResult};

/// How far back a replaced email still gets the copy of a bank-account notice.
pub const PREVIOUS_CONTACT_DAYS: i64 = 30;

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Investors expanded per transaction.
    pub batch_size: i64,
    /// Events read per pass.
    pub events_per_pass: i64,
    /// Base URL of the investor portal (links in notices, unsubscribe links).
    pub portal_url: String,
    /// Whether an SMS provider is configured; without one an SMS the investor wants is
    /// recorded `skipped` ("no SMS provider configured"), not left queued with no sender.
    pub sms_provider: bool,
    /// Key signing the unsubscribe links of emails (the server's `unsubscribe_key`); empty:
    /// emails carry no link.
    pub unsubscribe_key: Vec<u8>,
    /// A scheduled distribution is announced this many days before its payable date.
    pub upcoming_days: i64,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            batch_size: 2_000,
            events_per_pass: 50,
            portal_url: "http://127.0.0.1:8080".into(),
            sms_provider: true,
            unsubscribe_key: Vec::new(),
            upcoming_days: 7,
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Events expanded to the end.
    pub events: usize,
    /// Totals of the batches.
    pub counts: BatchCounts,
}

/// Expands the pending events (up to `events_per_pass`), oldest first; each leaves the
/// pending set in the transaction of its last batch.
pub async fn run_once(db: &Db, settings: &EngineSettings) -> AppResult<Pass> {
    announce_upcoming(db, chrono::Utc::now().date_naive(), settings.upcoming_days).await?;
    let mut pass = Pass::default();
    for event in fanout::pending_events(db, settings.events_per_pass).await? {
        let counts = expand(db, settings, &event).await?;
        pass.events += 1;
        add(&mut pass.counts, counts);
    }
    Ok(pass)
}

/// Writes one `schedule.upcoming` event per occurrence of an active schedule payable within
/// `days` of `today` and not announced yet (each marked in the event's transaction, so two
/// engines or a restart announce it once); returns how many this call announced.
pub async fn announce_upcoming(db: &Db, today: NaiveDate, days: i64) -> AppResult<usize> {
    let to = today + chrono::Duration::days(days);
    let mut n = 0;
    for u in upcoming::due(db, &today.to_string(), &to.to_string(), 500).await? {
        if upcoming::announce(db, &u).await? {
            n += 1;
        }
    }
    Ok(n)
}

fn add(total: &mut BatchCounts, c: BatchCounts) {
    total.queued += c.queued;
    total.skipped += c.skipped;
    total.suppressed += c.suppressed;
    total.in_app += c.in_app;
}

/// Whom an event concerns.
enum Scope {
    /// Every investor with a line in the distribution.
    Lines(DistributionHeader),
    /// One investor, with the facts of the event.
    One {
        investor_id: String,
        header: Option<DistributionHeader>,
        payment: Option<Box<PaymentRow>>,
        bank_account: Option<Box<BankAccountFacts>>,
        tax_document: Option<TaxDocumentFacts>,
        /// Where the copy of a security notice goes: the email replaced within
        /// [`PREVIOUS_CONTACT_DAYS`] before the event.
        previous_email: Option<String>,
    },
    /// The holders of a fund with a scheduled distribution coming up.
    Holders {
        fund_id: String,
        fund_name: String,
        schedule: ScheduleFacts,
    },
    /// Nothing to tell (the thing is gone).
    Nobody,
}

/// Expands one event to the end, a batch per transaction.
async fn expand(db: &Db, settings: &EngineSettings, event: &Event) -> AppResult<BatchCounts> {
    let mut total = BatchCounts::default();
    let Some(kind) = EventKind::of_outbox_event(&event.event_type) else {
        // Enrolled by a replay of a type no longer read: nothing to tell.
        let mut tx = db.begin().await?;
        fanout::forget_pending(&mut tx, &event.id).await?;
        tx.commit().await?;
        return Ok(total);
    };
    loop {
        let mut tx = db.begin().await?;
        let fan = fanout::open(&mut tx, event, kind).await?;
        if fan.status == "done" {
            fanout::forget_pending(&mut tx, &event.id).await?;
            tx.commit().await?;
            return Ok(total);
        }
        let scope = scope(&mut tx, event).await?;
        let (recipients, header) = match &scope {
            Scope::Lines(h) => (
                fanout::line_recipients(
                    &mut tx,
                    &event.org_id,
                    &h.id,
                    &fan.cursor_investor,
                    settings.batch_size,
                )
                .await?,
                Some(h),
            ),
            Scope::Holders { fund_id, .. } => (
                fanout::holder_recipients(
                    &mut tx,
                    &event.org_id,
                    fund_id,
                    &fan.cursor_investor,
                    settings.batch_size,
                )
                .await?,
                None,
            ),
            Scope::One {
                investor_id,
                header,
                ..
            } if fan.cursor_investor.is_empty() => (
                fanout::investor_recipient(&mut tx, &event.org_id, investor_id)
                    .await?
                    .into_iter()
                    .collect(),
                header.as_ref(),
            ),
            _ => (vec![], None),
        };
        let batched = matches!(scope, Scope::Lines(_) | Scope::Holders { .. });
        let done = !batched || (recipients.len() as i64) < settings.batch_size;
        let last = recipients
            .last()
            .map_or(fan.cursor_investor.clone(), |r| r.investor_id.clone());
        let recipients = concerned(kind, recipients);
        let counts =
            queue_batch(&mut tx, settings, event, kind, &scope, header, &recipients).await?;
        fanout::advance(
            &mut tx,
            &event.id,
            &fan.cursor_investor,
            &last,
            counts,
            done,
        )
        .await?;
        tx.commit().await?;
        add(&mut total, counts);
        if done {
            return Ok(total);
        }
    }
}

/// The recipients of a batch the notice is for: a reinvestment notice only goes to the
/// investors whose line bought shares (the batch's cursor still moves past the others).
fn concerned(kind: EventKind, recipients: Vec<Recipient>) -> Vec<Recipient> {
    if kind != EventKind::ReinvestmentDone {
        return recipients;
    }
    recipients
        .into_iter()
        .filter(|r| {
            r.line
                .as_ref()
                .is_some_and(|l| l.reinvestment.as_ref().is_some_and(|x| x.cost_minor > 0))
        })
        .collect()
}

async fn scope(tx: &mut Tx, event: &Event) -> AppResult<Scope> {
    let org = &event.org_id;
    if event.aggregate_type == "distribution" {
        return match fanout::distribution_header(tx, org, &event.aggregate_id).await {
            Ok(h) => Ok(Scope::Lines(h)),
            Err(StoreError::NotFound(_)) => Ok(Scope::Nobody),
            Err(e) => Err(e.into()),
        };
    }
    if event.aggregate_type == "payment" {
        let Some(p) = fanout::payment(tx, org, &event.aggregate_id).await? else {
            return Ok(Scope::Nobody);
        };
        let header = fanout::distribution_header(tx, org, &p.distribution_id)
            .await
            .ok();
        return Ok(Scope::One {
            investor_id: p.investor_id.clone(),
            header,
            payment: Some(Box::new(p)),
            bank_account: None,
            tax_document: None,
            previous_email: None,
        });
    }
    if event.aggregate_type == "document" {
        return Ok(tax_document_scope(event));
    }
    if event.aggregate_type == "schedule" {
        return holders_scope(tx, event).await;
    }
    let account = &event.data["bankAccount"];
    let Some(investor_id) = event.data["investorId"]
        .as_str()
        .or(account["investorId"].as_str())
    else {
        return Ok(Scope::Nobody);
    };
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let since = clearway_store::time_text(
        event_time(event)? - chrono::Duration::days(PREVIOUS_CONTACT_DAYS),
    );
    let previous_email = fanout::previous_email(tx, org, investor_id, &since, event.seq).await?;
    Ok(Scope::One {
        investor_id: investor_id.to_string(),
        header: None,
        payment: None,
        bank_account: Some(Box::new(BankAccountFacts {
            masked_account: text(&account["accountNumberMasked"])
                .unwrap_or_else(|| "(no account number)".into()),
            bank: text(&account["bankName"])
                .or(text(&account["routingNumber"]))
                .unwrap_or_default(),
            changed_at: event.created_at.clone(),
            to_previous_contact: false,
        })),
        tax_document: None,
        previous_email,
    })
}

async fn holders_scope(tx: &mut Tx, event: &Event) -> AppResult<Scope> {
    let d = &event.data;
    let (Some(fund_id), Some(record), Some(payable)) = (
        d["fundId"].as_str(),
        d["recordDate"].as_str(),
        d["payableDate"].as_str(),
    ) else {
        return Ok(Scope::Nobody);
    };
    let Some(fund_name) = upcoming::fund_name(tx, &event.org_id, fund_id).await? else {
        return Ok(Scope::Nobody);
    };
    Ok(Scope::Holders {
        fund_id: fund_id.to_string(),
        fund_name,
        schedule: ScheduleFacts {
            record_date: date(record)?,
            payable_date: date(payable)?,
        },
    })
}

fn event_time(event: &Event) -> AppResult<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(&event.created_at)
        .map(|t| t.to_utc())
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("event time: {e}"))))
}

/// A stored document is news only when it is a tax summary's PDF (each version: a
/// correction is told too); its XLSX and CSV renderings of the same figures are not.
fn tax_document_scope(event: &Event) -> Scope {
    let d = &event.data;
    let year = d["subjectKey"].as_str().and_then(|y| y.parse::<i32>().ok());
    match (
        d["kind"].as_str(),
        d["format"].as_str(),
        year,
        d["investorId"].as_str(),
    ) {
        (Some("taxSummary"), Some("pdf"), Some(year), Some(investor)) => Scope::One {
            investor_id: investor.to_string(),
            header: None,
            payment: None,
            bank_account: None,
            tax_document: Some(TaxDocumentFacts {
                year,
                form: "Tax summary".into(),
            }),
            previous_email: None,
        },
        _ => Scope::Nobody,
    }
}

/// Decides every channel for each recipient, writes the messages and in-app notices.
async fn queue_batch(
    tx: &mut Tx,
    settings: &EngineSettings,
    event: &Event,
    kind: EventKind,
    scope: &Scope,
    header: Option<&DistributionHeader>,
    recipients: &[Recipient],
) -> AppResult<BatchCounts> {
    let (Some(first), Some(last)) = (recipients.first(), recipients.last()) else {
        return Ok(BatchCounts::default());
    };
    let prefs = fanout::preferences(
        tx,
        &event.org_id,
        kind,
        &first.investor_id,
        &last.investor_id,
    )
    .await?;
    let emails: Vec<&str> = recipients
        .iter()
        .filter_map(|r| r.email.as_deref())
        .collect();
    let phones: Vec<&str> = recipients
        .iter()
        .filter_map(|r| r.phone.as_deref())
        .collect();
    let blocked_email = suppressions::suppressed_among(tx, &event.org_id, "email", &emails).await?;
    let blocked_sms = suppressions::suppressed_among(tx, &event.org_id, "sms", &phones).await?;
    let fund_id = match scope {
        Scope::Holders { fund_id, .. } => Some(fund_id.clone()),
        _ => header.map(|h| h.fund_id.clone()),
    };
    let mut rows = Vec::with_capacity(recipients.len() * 3);
    let mut inbox = Vec::with_capacity(recipients.len());
    let mut counts = BatchCounts::default();
    for r in recipients {
        let ctx = context(settings, &event.org_id, kind, scope, header, r)?;
        let context_json =
            serde_json::to_string(&ctx).map_err(|e| AppError::Remote(e.to_string()))?;
        let base = Base {
            event,
            kind,
            fund_id: fund_id.as_deref(),
            recipient: r,
            locale: ctx.locale,
            context: &context_json,
        };
        for channel in Channel::ALL {
            let on = enabled(&prefs, &r.investor_id, fund_id.as_deref(), kind, channel);
            let sms_off = channel == Channel::Sms && !settings.sms_provider;
            let mut decision = decide(channel, on, r, &blocked_email, &blocked_sms);
            if sms_off && decision.status == "queued" {
                decision.status = "skipped";
                decision.reason = Some(NO_SMS_PROVIDER.into());
            }
            if decision.status == "sent" {
                // The in-app notice is delivered here; a notice the templates refuse (a
                // missing disclosure) is recorded as failed, never written half.
                match render(&ctx) {
                    Ok(notice) => inbox.push(NewInApp {
                        org_id: event.org_id.clone(),
                        investor_id: r.investor_id.clone(),
                        event_id: event.id.clone(),
                        event_kind: kind.as_str(),
                        fund_id: fund_id.clone(),
                        title: notice.in_app_title,
                        body: notice.in_app_body,
                        link: Some(ctx.portal_url.clone()),
                    }),
                    Err(why) => {
                        decision = Decision {
                            status: "failed",
                            address: None,
                            reason: Some(why),
                        };
                    }
                }
            }
            match decision.status {
                "queued" => counts.queued += 1,
                "suppressed" => counts.suppressed += 1,
                "skipped" => counts.skipped += 1,
                "sent" => counts.in_app += 1,
                _ => {}
            }
            rows.push(base.message(channel, decision));
        }
    }
    if let Some(copy) = previous_contact_copy(tx, settings, event, kind, scope, recipients).await? {
        match copy.status {
            "queued" => counts.queued += 1,
            "suppressed" => counts.suppressed += 1,
            _ => counts.skipped += 1,
        }
        rows.push(copy);
    }
    messages::insert_many(tx, &rows).await?;
    messages::insert_in_app(tx, &inbox).await?;
    Ok(counts)
}

/// Why a wanted SMS is not sent when no SMS provider is configured.
pub const NO_SMS_PROVIDER: &str = "no SMS provider configured";
/// The copy of a bank-account notice to the email the investor replaced recently: a security
/// notice, so it goes whatever the preferences say (unless that address is suppressed), and
/// it carries no unsubscribe link (the old address no longer speaks for the investor).
async fn previous_contact_copy(
    tx: &mut Tx,
    settings: &EngineSettings,
    event: &Event,
    kind: EventKind,
    scope: &Scope,
    recipients: &[Recipient],
) -> AppResult<Option<NewMessage>> {
    let (
        Scope::One {
            previous_email: Some(previous),
            ..
        },
        [r],
    ) = (scope, recipients)
    else {
        return Ok(None);
    };
    if r.email.as_deref() == Some(previous.as_str()) {
        return Ok(None);
    }
    let mut ctx = context(settings, &event.org_id, kind, scope, None, r)?;
    if let Some(b) = ctx.bank_account.as_mut() {
        b.to_previous_contact = true;
    }
    ctx.unsubscribe_url = None;
    let context_json = serde_json::to_string(&ctx).map_err(|e| AppError::Remote(e.to_string()))?;
    let blocked =
        suppressions::suppressed_among(tx, &event.org_id, "email", &[previous.as_str()]).await?;
    let mut message = Base {
        event,
        kind,
        fund_id: None,
        recipient: r,
        locale: ctx.locale,
        context: &context_json,
    }
    .message(
        Channel::Email,
        decide(
            Channel::Email,
            true,
            &Recipient {
                email: Some(previous.clone()),
                ..r.clone()
            },
            &blocked,
            &HashSet::new(),
        ),
    );
    message.recipient_role = "previousContact";
    Ok(Some(message))
}

/// What becomes of one channel for one investor.
struct Decision {
    status: &'static str,
    address: Option<String>,
    reason: Option<String>,
}

fn decide(
    channel: Channel,
    on: bool,
    r: &Recipient,
    blocked_email: &HashSet<String>,
    blocked_sms: &HashSet<String>,
) -> Decision {
    let skip = |why: &str, address: Option<String>| Decision {
        status: "skipped",
        address,
        reason: Some(why.into()),
    };
    if !on {
        return skip(
            match channel {
                Channel::Sms => {
                    "SMS is off: the investor has not consented to texts for this notice"
                }
                _ => "the investor's preference turns this channel off for this notice",
            },
            None,
        );
    }
    let (address, valid, blocked) = match channel {
        Channel::InApp => {
            return Decision {
                status: "sent",
                address: None,
                reason: None,
            }
        }
        Channel::Email => (
            r.email.clone(),
            r.email
                .as_deref()
                .is_some_and(|a| validate::email(a).is_ok()),
            blocked_email,
        ),
        Channel::Sms => (
            r.phone.clone(),
            r.phone
                .as_deref()
                .is_some_and(|a| validate::e164(a).is_ok()),
            blocked_sms,
        ),
    };
    match address {
        None => skip(
            &format!(
                "no {} on file",
                if channel == Channel::Sms {
                    "mobile number"
                } else {
                    "email address"
                }
            ),
            None,
        ),
        Some(a) if !valid => skip("the address on file is not valid", Some(a)),
        Some(a) if blocked.contains(&a) => Decision {
            status: "suppressed",
            address: Some(a),
            reason: Some(
                "the address is suppressed after a hard bounce, a complaint or STOP".into(),
            ),
        },
        Some(a) => Decision {
            status: "queued",
            address: Some(a),
            reason: None,
        },
    }
}

/// What every channel's row of one (event, investor) shares.
struct Base<'a> {
    event: &'a Event,
    kind: EventKind,
    fund_id: Option<&'a str>,
    recipient: &'a Recipient,
    locale: Locale,
    context: &'a str,
}

impl Base<'_> {
    fn message(&self, channel: Channel, d: Decision) -> NewMessage {
        NewMessage {
            org_id: self.event.org_id.clone(),
            event_id: self.event.id.clone(),
            investor_id: self.recipient.investor_id.clone(),
            channel: channel.as_str(),
            event_kind: self.kind.as_str(),
            fund_id: self.fund_id.map(str::to_string),
            recipient_role: "investor",
            address: d.address,
            locale: self.locale.as_str(),
            status: d.status,
            reason: d.reason,
            context: self.context.to_string(),
        }
    }
}

/// The facts of the notice for one recipient.
fn context(
    settings: &EngineSettings,
    org_id: &str,
    kind: EventKind,
    scope: &Scope,
    header: Option<&DistributionHeader>,
    r: &Recipient,
) -> AppResult<NoticeContext> {
    let currency_code = match scope {
        Scope::One {
            payment: Some(p), ..
        } => p.currency.as_str(),
        _ => header.map_or("USD", |h| h.currency.as_str()),
    };
    let currency = Currency::parse(currency_code).map_err(|e| AppError::Remote(e.to_string()))?;
    let distribution = match (header, &r.line) {
        (Some(h), Some(line)) => Some(DistributionFacts {
            id: h.id.clone(),
            record_date: date(&h.record_date)?,
            payable_date: date(&h.payable_date)?,
            units: line
                .units
                .as_deref()
                .and_then(|u| Decimal::from_str(u).ok())
                .unwrap_or_default(),
            gross_minor: line.total_minor,
            components: line.components,
            net_cash_minor: line
                .cash_minor
                .unwrap_or(line.total_minor - line.components.withholding),
        }),
        _ => None,
    };
    let (payment, bank_account, tax_document) = match scope {
        Scope::One {
            payment,
            bank_account,
            tax_document,
            ..
        } => (
            payment
                .as_deref()
                .map(|p| payment_facts(p, header))
                .transpose()?,
            bank_account.as_deref().cloned(),
            tax_document.clone(),
        ),
        _ => (None, None, None),
    };
    let reinvestment = r
        .line
        .as_ref()
        .and_then(|l| l.reinvestment.as_ref())
        .map(reinvestment_facts)
        .transpose()?;
    let (fund_id, fund_name, schedule) = match scope {
        Scope::Holders {
            fund_id,
            fund_name,
            schedule,
        } => (
            Some(fund_id.clone()),
            Some(fund_name.clone()),
            Some(schedule.clone()),
        ),
        _ => (
            header.map(|h| h.fund_id.clone()),
            header.map(|h| h.fund_name.clone()),
            None,
        ),
    };
    Ok(NoticeContext {
        kind,
        locale: Locale::from_str(&r.locale).unwrap_or(Locale::En),
        investor_name: r.name.clone(),
        fund_name,
        currency,
        distribution,
        reinvestment,
        payment,
        bank_account,
        tax_document,
        schedule,
        greeting: None,
        portal_url: portal_link(settings, header),
        unsubscribe_url: email_unsubscribe(settings, org_id, kind, fund_id, r),
    })
}

/// The one-click link of the email: turns this kind of notice off by email, for this fund.
fn email_unsubscribe(
    settings: &EngineSettings,
    org_id: &str,
    kind: EventKind,
    fund_id: Option<String>,
    r: &Recipient,
) -> Option<String> {
    if settings.unsubscribe_key.is_empty() {
        return None;
    }
    let claim = Claim {
        org_id: org_id.to_string(),
        investor_id: r.investor_id.clone(),
        fund_id,
        kind: Some(kind),
        channel: Channel::Email,
        expires_at: chrono::Utc::now().timestamp() + DEFAULT_LIFETIME_SECS,
    };
    Some(unsubscribe_url(
        &settings.portal_url,
        &settings.unsubscribe_key,
        &claim,
    ))
}

fn reinvestment_facts(x: &ReinvestmentRow) -> AppResult<ReinvestmentFacts> {
    let decimal = |s: &str| {
        Decimal::from_str(s)
            .map_err(|e| AppError::Store(StoreError::Corrupt(format!("decimal {s}: {e}"))))
    };
    Ok(ReinvestmentFacts {
        reinvested_minor: x.cost_minor,
        shares: decimal(&x.shares)?,
        nav: decimal(&x.nav)?,
        nav_date: date(&x.nav_date)?,
        residual_minor: x.reinvestable_minor - x.cost_minor,
    })
}

fn portal_link(settings: &EngineSettings, header: Option<&DistributionHeader>) -> String {
    let base = settings.portal_url.trim_end_matches('/');
    match header {
        Some(h) => format!("{base}/account/distributions/{}", h.id),
        None => format!("{base}/account/notifications"),
    }
}

/// The payment's facts; the expected arrival is the rail's settlement on the US Federal
/// Reserve calendar from the distribution's payable date (the payment's own date without one).
fn payment_facts(p: &PaymentRow, header: Option<&DistributionHeader>) -> AppResult<PaymentFacts> {
    let method = Method::from_str(&p.method).map_err(|e| AppError::Remote(e.to_string()))?;
    let payable = date(header.map_or(&p.expected_date, |h| &h.payable_date))?;
    Ok(PaymentFacts {
        id: p.id.clone(),
        method,
        amount_minor: p.amount_minor,
        destination: p.payee_name.clone(),
        expected_arrival: Some(expected_arrival(method, payable, &Calendar::UsFed)),
        reason: p.failure.clone(),
    })
}

fn date(s: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d")
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("date {s}: {e}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_arrival_is_the_rails_settlement_from_the_payable_date() {
        let header = DistributionHeader {
            id: "d".into(),
            fund_id: "f".into(),
            fund_name: "F".into(),
            currency: "USD".into(),
            record_date: "2026-06-15".into(),
            // A Saturday, Independence Day: ACH and wire settle on Monday the 6th.
            payable_date: "2026-07-04".into(),
        };
        let payment = |method: &str| PaymentRow {
            id: "p".into(),
            investor_id: "i".into(),
            distribution_id: "d".into(),
            method: method.into(),
            currency: "USD".into(),
            amount_minor: 1,
            payee_name: "••••6789".into(),
            expected_date: "2026-07-01".into(),
            failure: None,
        };
        let arrival = |method: &str, header: Option<&DistributionHeader>| {
            payment_facts(&payment(method), header)
                .unwrap()
                .expected_arrival
                .unwrap()
                .to_string()
        };
        assert_eq!(arrival("ACH", Some(&header)), "2026-07-06");
        assert_eq!(arrival("WIRE", Some(&header)), "2026-07-06");
        // Five business days of mail after the payable date.
        assert_eq!(arrival("CHECK", Some(&header)), "2026-07-10");
        // Without the distribution: from the payment's own date (a Wednesday).
        assert_eq!(arrival("ACH", None), "2026-07-01");
    }
}

//! The senders: each claims one due email or SMS at a time under a lease (committed as
//! `sending` before the server sees it), renders it from its stored facts, hands it to SMTP,
//! SendGrid or Twilio and commits the outcome right after the answer. A message whose sender stopped mid-send is never
//! sent again by itself: [`sweep`] declares it in doubt for an operator.

use std::time::Duration;

use chrono::Utc;
use clearway_core::notifications::delivery::MESSAGE_RETRY_DELAYS;
use clearway_core::notifications::{EventKind, NoticeContext};
use clearway_store::notifications::messages::{self, Message, Outcome};
use clearway_store::{Actor, Db};

use super::channels::sendgrid::SendGrid;
use super::channels::smtp::SmtpSender;
use super::channels::twilio::Twilio;
use super::channels::{Attachment, OutgoingEmail, OutgoingSms, SendOutcome};
use super::render::render;
use super::writer::{GreetingRequest, GreetingWriter};
use crate::documents::notice_pdf;
use crate::error::AppResult;

/// How the sender behaves.
#[derive(Debug, Clone)]
pub struct SenderSettings {
    /// `From` of every notice, e.g. `Clearway <notices@clearway.example>`.
    pub from: String,
    /// How long a claimed message may stay `sending` before it is declared in doubt; longer
    /// than the SMTP timeout of one message.
    pub lease: Duration,
    /// Wait before each retry of a temporary failure (after attempt 1, 2, …); when they run
    /// out the message is `dead`.
    pub retry_delays: Vec<Duration>,
    /// The optional model-written greeting of emails (off by default).
    pub writer: GreetingWriter,
}

impl Default for SenderSettings {
    fn default() -> Self {
        SenderSettings {
            from: "Clearway <notices@clearway.invalid>".into(),
            lease: Duration::from_secs(120),
            retry_delays: MESSAGE_RETRY_DELAYS.to_vec(),
            writer: GreetingWriter::disabled(),
        }
    }
}

/// Where emails go: an SMTP server, or SendGrid's Mail Send API.
#[derive(Clone)]
pub enum EmailSender {
    /// SMTP (pooled).
    Smtp(SmtpSender),
    /// SendGrid v3 Mail Send.
    SendGrid(SendGrid),
}

impl EmailSender {
    /// Sends one email.
    pub async fn send(&self, email: &OutgoingEmail) -> SendOutcome {
        match self {
            EmailSender::Smtp(s) => s.send(email).await,
            EmailSender::SendGrid(s) => s.send(email).await,
        }
    }

    /// What a permanent refusal means: SMTP 5xx refuses the address (bounced, suppressed);
    /// a SendGrid 4xx refuses the request, which says nothing about the address.
    fn permanent(&self, error: String) -> Outcome {
        match self {
            EmailSender::Smtp(_) => Outcome::Bounced { error },
            EmailSender::SendGrid(_) => Outcome::Failed { error },
        }
    }
}

/// Sends the next due email, if any; returns it with the status it was left in.
pub async fn send_next_email(
    db: &Db,
    sender: &EmailSender,
    settings: &SenderSettings,
    worker_id: &str,
) -> AppResult<Option<(Message, &'static str)>> {
    let Some(message) = messages::claim(db, "email", worker_id, settings.lease, 1)
        .await?
        .pop()
    else {
        return Ok(None);
    };
    let outcome = match email_for(db, &message, settings).await {
        Ok(email) => outcome_of(&message, sender.send(&email).await, settings, |e| {
            sender.permanent(e)
        }),
        Err(error) => Outcome::Failed { error },
    };
    let status = status_of(&outcome);
    messages::record_outcome(db, &message, worker_id, &outcome).await?;
    Ok(Some((message, status)))
}

/// Twilio errors that refuse the number itself (21610: the recipient replied STOP; 21211:
/// not a valid number): the message is bounced and the number suppressed.
const TWILIO_NUMBER_ERRORS: [&str; 2] = ["Twilio error 21610", "Twilio error 21211"];

/// Sends the next due SMS through Twilio, if any, with the same claim, lease, retries and
/// in-doubt rules as email; `status_callback` is where Twilio reports delivery.
pub async fn send_next_sms(
    db: &Db,
    twilio: &Twilio,
    settings: &SenderSettings,
    status_callback: Option<&str>,
    worker_id: &str,
) -> AppResult<Option<(Message, &'static str)>> {
    let Some(message) = messages::claim(db, "sms", worker_id, settings.lease, 1)
        .await?
        .pop()
    else {
        return Ok(None);
    };
    let outcome = match sms_for(&message, status_callback) {
        Ok(sms) => outcome_of(&message, twilio.send(&sms).await, settings, |error| {
            if TWILIO_NUMBER_ERRORS.iter().any(|c| error.starts_with(c)) {
                Outcome::Bounced { error }
            } else {
                Outcome::Failed { error }
            }
        }),
        Err(error) => Outcome::Failed { error },
    };
    let status = status_of(&outcome);
    messages::record_outcome(db, &message, worker_id, &outcome).await?;
    Ok(Some((message, status)))
}

fn status_of(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Sent { .. } => "sent",
        Outcome::Retry { .. } => "queued",
        Outcome::Dead { .. } => "dead",
        Outcome::Bounced { .. } => "bounced",
        Outcome::Failed { .. } => "failed",
    }
}

/// The email of `message`, rendered from its stored facts.
async fn email_for(
    db: &Db,
    message: &Message,
    settings: &SenderSettings,
) -> Result<OutgoingEmail, String> {
    let mut ctx = facts(message)?;
    let attachments = attachments_for(db, message, &ctx).await;
    // Checked by the writer and again by the templates: a refused one falls back.
    if let Some(greeting) = greeting_for(&settings.writer, &ctx).await {
        ctx.greeting = Some(greeting);
    }
    let notice = render(&ctx)?;
    Ok(OutgoingEmail {
        message_id: message.id.clone(),
        from: settings.from.clone(),
        to: message.address.clone().ok_or("no address")?,
        to_name: ctx.investor_name.clone(),
        subject: notice.subject,
        html: notice.html,
        text: notice.text,
        attachments,
        unsubscribe_url: ctx.unsubscribe_url.clone(),
    })
}

/// The notice's facts as the engine stored them with the message (read once per send).
fn facts(message: &Message) -> Result<NoticeContext, String> {
    serde_json::from_str(&message.context).map_err(|e| format!("stored notice facts: {e}"))
}

/// The model's greeting for an email, when the writer is on: it is told the event kind, the
/// locale and the names only (no figures, dates or ids), and gives up after its timeout.
async fn greeting_for(writer: &GreetingWriter, ctx: &NoticeContext) -> Option<String> {
    if !writer.is_enabled() {
        return None;
    }
    let req = GreetingRequest {
        investor_name: ctx.investor_name.clone(),
        kind: ctx.kind,
        locale: ctx.locale,
        fund_name: ctx.fund_name.clone(),
    };
    writer.greeting(&req).await
}

/// The SMS of `message`, rendered from its stored facts.
fn sms_for(message: &Message, status_callback: Option<&str>) -> Result<OutgoingSms, String> {
    let ctx = facts(message)?;
    Ok(OutgoingSms {
        message_id: message.id.clone(),
        to: message.address.clone().ok_or("no number")?,
        body: render(&ctx)?.sms,
        status_callback: status_callback.map(str::to_string),
    })
}

/// Files attached to a notice: the investor's distribution notice PDF on the processed
/// notice (stored once per version by the documents capability). A notice whose PDF cannot be
/// built goes without it, the reason logged: the email itself states every figure and
/// disclosure, and the PDF stays downloadable from the portal.
async fn attachments_for(db: &Db, message: &Message, ctx: &NoticeContext) -> Vec<Attachment> {
    if message.event_kind != EventKind::DistributionProcessed.as_str() {
        return Vec::new();
    }
    let Some(distribution) = ctx.distribution.as_ref().map(|d| d.id.as_str()) else {
        return Vec::new();
    };
    let actor = Actor::system(&message.org_id);
    match notice_pdf(db, &actor, distribution, &message.investor_id).await {
        Ok(doc) => vec![Attachment {
            filename: doc.filename,
            content_type: doc.content_type,
            bytes: doc.bytes,
        }],
        Err(e) => {
            tracing::warn!(message = %message.id, error = %e, "notice sent without its PDF");
            Vec::new()
        }
    }
}

fn outcome_of(
    message: &Message,
    sent: SendOutcome,
    settings: &SenderSettings,
    permanent: impl FnOnce(String) -> Outcome,
) -> Outcome {
    match sent {
        SendOutcome::Accepted { provider_id } => Outcome::Sent { provider_id },
        SendOutcome::Permanent(error) => permanent(error),
        SendOutcome::Temporary(error) => {
            let attempt = usize::try_from(message.attempts).unwrap_or(usize::MAX);
            match settings.retry_delays.get(attempt.saturating_sub(1)) {
                Some(wait) => Outcome::Retry {
                    error,
                    at: Utc::now() + chrono::Duration::from_std(*wait).unwrap_or_default(),
                },
                None => Outcome::Dead { error },
            }
        }
    }
}

/// Declares messages whose sender stopped mid-send in doubt; returns how many.
pub async fn sweep(db: &Db) -> AppResult<u64> {
    sweep_after(db, Duration::ZERO).await
}

/// [`sweep`], for messages whose lease ended more than `grace` ago: with several processes,
/// the sweeping one must not declare another's live, slightly late sender in doubt.
pub async fn sweep_after(db: &Db, grace: Duration) -> AppResult<u64> {
    Ok(messages::sweep_in_doubt(db, grace).await?)
}

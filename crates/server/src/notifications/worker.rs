//! The notification workers: the engine (outbox → messages) with the in-doubt sweep, email
//! sender tasks (SendGrid when configured, else one pooled SMTP transport) and SMS sender
//! tasks (Twilio). Without an email provider emails stay queued (visible on the operators'
//! page); without Twilio the engine records wanted SMS as skipped ("no SMS provider
//! configured"), so none wait for a sender that does not exist.

use std::sync::Arc;

use clearway_app::notifications::channels::sendgrid::SendGrid;
use clearway_app::notifications::channels::smtp::{SmtpSender, SmtpSettings};
use clearway_app::notifications::channels::twilio::Twilio;
use clearway_app::notifications::engine;
use clearway_app::notifications::send::{self, EmailSender};
use clearway_store::notifications::messages;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::leader::Leader;
use crate::state::AppState;
pub use crate::state::NotificationsConfig;

/// Where Twilio posts status callbacks, under the public URL.
pub const TWILIO_STATUS_PATH: &str = "/api/webhooks/twilio/status";

/// Starts the engine task and the email and SMS sender tasks their providers allow.
pub fn spawn(
    state: &AppState,
    instance: &str,
    leader: Arc<Leader>,
    rx: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let config = &state.config.notifications;
    let mut tasks = vec![tokio::spawn(run_engine(state.clone(), leader, rx.clone()))];
    if let Some(email) = email_sender(state) {
        for i in 0..config.sender_workers.max(1) {
            let worker = format!("{instance}-mail-{i}");
            let (state, email, rx) = (state.clone(), email.clone(), rx.clone());
            tasks.push(tokio::spawn(async move {
                let sender = &state.config.notifications.sender;
                run_sender(&state, &worker, rx, || {
                    send::send_next_email(&state.db, &email, sender, &worker)
                })
                .await
            }));
        }
    }
    if let Some(twilio) = &config.twilio {
        let twilio = Twilio::new(twilio.clone(), state.http.clone());
        let callback = state
            .config
            .public_url
            .as_deref()
            .map(|u| format!("{}{TWILIO_STATUS_PATH}", u.trim_end_matches('/')));
        for i in 0..config.sender_workers.max(1) {
            let worker = format!("{instance}-sms-{i}");
            let (state, twilio, rx) = (state.clone(), twilio.clone(), rx.clone());
            let callback = callback.clone();
            tasks.push(tokio::spawn(async move {
                let sender = &state.config.notifications.sender;
                run_sender(&state, &worker, rx, || {
                    send::send_next_sms(&state.db, &twilio, sender, callback.as_deref(), &worker)
                })
                .await
            }));
        }
    }
    tasks
}

/// The email provider: SendGrid when configured, else SMTP when a URL is set, else none.
fn email_sender(state: &AppState) -> Option<EmailSender> {
    let config = &state.config.notifications;
    if let Some(sendgrid) = &config.sendgrid {
        return Some(EmailSender::SendGrid(SendGrid::new(
            sendgrid.clone(),
            state.http.clone(),
        )));
    }
    let Some(url) = config.smtp_url.clone() else {
        tracing::info!(
            "no CLEARWAY_SMTP_URL nor SendGrid key: notification emails are queued, not sent"
        );
        return None;
    };
    let domain = config
        .sender
        .from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').to_string())
        .unwrap_or_else(|| "clearway.invalid".into());
    match SmtpSender::new(&SmtpSettings {
        url,
        message_id_domain: domain,
        pool_size: config.smtp_pool,
        timeout: config.smtp_timeout,
    }) {
        Ok(s) => Some(EmailSender::Smtp(s)),
        Err(e) => {
            tracing::error!(error = %e, "notification emails are not sent");
            None
        }
    }
}

/// Expands events and sweeps in-doubt messages until shutdown.
async fn run_engine(state: AppState, leader: Arc<Leader>, mut rx: watch::Receiver<bool>) {
    let config = &state.config.notifications;
    let settings = engine::EngineSettings {
        sms_provider: config.twilio.is_some(),
        ..config.engine.clone()
    };
    loop {
        if !leader.holds().await {
            tokio::select! {
                _ = tokio::time::sleep(leader.retry_after()) => continue,
                _ = rx.wait_for(|stop| *stop) => return,
            }
        }
        match engine::run_once(&state.db, &settings).await {
            Ok(pass) if pass.events > 0 => tracing::info!(
                events = pass.events,
                queued = pass.counts.queued,
                "notifications queued"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "notification engine pass failed"),
        }
        // Senders run in every process; half a lease of grace keeps this leader from
        // declaring another process's live (slightly late) send in doubt.
        match send::sweep_after(&state.db, config.sender.lease / 2).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                messages = n,
                "notification messages in doubt after a sender stopped"
            ),
            Err(e) => tracing::error!(error = %e, "in-doubt sweep failed"),
        }
        // The watch guard must not live across the release's await (the task is Send).
        let stop = tokio::select! {
            _ = tokio::time::sleep(config.poll) => false,
            _ = rx.wait_for(|stop| *stop) => true,
        };
        if stop {
            leader.release().await;
            return;
        }
    }
}

/// Sends due messages one at a time with `send_next` until shutdown (the message in hand is
/// finished first).
async fn run_sender<F, Fut>(
    state: &AppState,
    worker: &str,
    mut rx: watch::Receiver<bool>,
    send_next: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<
        Output = clearway_app::AppResult<Option<(messages::Message, &'static str)>>,
    >,
{
    let poll = state.config.notifications.poll;
    loop {
        if *rx.borrow() {
            return;
        }
        let idle = match send_next().await {
            Ok(Some(_)) => false,
            Ok(None) => true,
            Err(e) => {
                tracing::error!(error = %e, worker, "notification sender failed");
                true
            }
        };
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = rx.wait_for(|stop| *stop) => return,
            }
        }
    }
}

/// Refreshes the notification gauges: messages by channel and status, queue depth, and the
/// age of the oldest due message.
pub async fn refresh_metrics(state: &AppState) {
    if let Ok(counts) = messages::counts(&state.db).await {
        let mut depth = 0;
        for (channel, status, n) in counts {
            if status == "queued" {
                depth += n;
            }
            metrics::gauge!("clearway_notification_messages", "channel" => channel, "status" => status).set(n as f64);
        }
        metrics::gauge!("clearway_notification_queue_depth").set(depth as f64);
    }
    if let Ok(oldest) = messages::oldest_queued(&state.db).await {
        let age = oldest
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map_or(0.0, |t| {
                (chrono::Utc::now() - t.to_utc()).num_milliseconds().max(0) as f64 / 1000.0
            });
        metrics::gauge!("clearway_notification_oldest_queued_seconds").set(age);
    }
}

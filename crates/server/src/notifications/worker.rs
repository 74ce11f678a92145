//! The notification workers: the engine (outbox → messages) with the in-doubt sweep, and
//! sender tasks sharing one pooled SMTP transport. Without an SMTP URL emails stay queued
//! (visible on the operators' page) and nothing is sent.

use clearway_app::notifications::channels::smtp::{SmtpSender, SmtpSettings};
use clearway_app::notifications::engine;
use clearway_app::notifications::send;
use clearway_store::notifications::messages;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::AppState;
pub use crate::state::NotificationsConfig;

/// Starts the engine task and, with an SMTP URL, the sender tasks.
pub fn spawn(state: &AppState, instance: &str, rx: &watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let config = state.config.notifications.clone();
    let mut tasks = vec![tokio::spawn(run_engine(state.clone(), rx.clone()))];
    let Some(url) = config.smtp_url.clone() else {
        tracing::info!("no CLEARWAY_SMTP_URL: notification emails are queued, not sent");
        return tasks;
    };
    let domain = config
        .sender
        .from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').to_string())
        .unwrap_or_else(|| "clearway.invalid".into());
    let smtp = match SmtpSender::new(&SmtpSettings {
        url,
        message_id_domain: domain,
        pool_size: config.smtp_pool,
        timeout: config.smtp_timeout,
    }) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "notification emails are not sent");
            return tasks;
        }
    };
    for i in 0..config.sender_workers.max(1) {
        let worker = format!("{instance}-mail-{i}");
        tasks.push(tokio::spawn(run_sender(
            state.clone(),
            smtp.clone(),
            worker,
            rx.clone(),
        )));
    }
    tasks
}

/// Expands events and sweeps in-doubt messages until shutdown.
async fn run_engine(state: AppState, mut rx: watch::Receiver<bool>) {
    let config = &state.config.notifications;
    loop {
        match engine::run_once(&state.db, &config.engine).await {
            Ok(pass) if pass.events > 0 => tracing::info!(
                events = pass.events,
                queued = pass.counts.queued,
                "notifications queued"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "notification engine pass failed"),
        }
        match send::sweep(&state.db).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                messages = n,
                "notification messages in doubt after a sender stopped"
            ),
            Err(e) => tracing::error!(error = %e, "in-doubt sweep failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(config.poll) => {}
            _ = rx.wait_for(|stop| *stop) => return,
        }
    }
}

/// Sends due emails one at a time until shutdown (the message in hand is finished first).
async fn run_sender(
    state: AppState,
    smtp: SmtpSender,
    worker: String,
    mut rx: watch::Receiver<bool>,
) {
    let config = &state.config.notifications;
    loop {
        if *rx.borrow() {
            return;
        }
        let idle = match send::send_next_email(&state.db, &smtp, &config.sender, &worker).await {
            Ok(Some(_)) => false,
            Ok(None) => true,
            Err(e) => {
                tracing::error!(error = %e, "notification sender failed");
                true
            }
        };
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(config.poll) => {}
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

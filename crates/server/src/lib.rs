//! Clearway's server: the thin shell around the application layer (`clearway_app`): the HTTP
//! API, the job workers and the outbox relay. Routes parse and validate requests into typed
//! commands, call the application service, and render views; nothing here writes SQL.
//!
//! # Layout
//! - [`access`]: users and API tokens (admin endpoints).
//! - [`distributions`]: the distribution lifecycle's wire DTOs and routes.
//! - [`documents`]: investor documents (notices, statements, tax summaries; API and pages).
//! - [`funds`]: share classes of open-end funds (API) and the funds pages.
//! - [`forecast`]: distribution forecasts, scenarios, trends, the liquidity plan, cash on
//!   hand, the Yale projection, stored forecasts and their accuracy (API and pages).
//! - [`events`]: outbox relay to signed webhooks, webhook and event-feed endpoints.
//! - [`leader`]: one process at a time for the singular tasks, by lease.
//! - [`jobs`]: job workers over the durable queue, with retries; a leaf that knows job kinds
//!   and errors only, with handlers registered here ([`job_handlers`]).
//! - [`reinvestment`]: DRIP elections, NAV uploads, reports and exports (routes and DTOs).
//! - [`notifications`]: preferences, contacts, the in-app inbox and its live feed, unsubscribe
//!   links, and their pages.
//! - [`schedules`]: recurring distribution schedules and business-day calendars (API and pages).
//! - [`payments`]: bank accounts, payments, batches, returns, checks, FX and provider webhooks
//!   (routes and DTOs), and the payment jobs' adapter.
//! - [`recovery`]: receivables after a reversal, recoveries, write-offs, ACH reversing entries.
//! - [`reconciliation`]: bank statement upload, matches, exceptions, summaries and exports.
//! - [`platform`]: health, metrics, audit, reference data, OpenAPI.
//! - [`observability`]: OpenTelemetry traces, W3C trace context, JSON logs, business metrics,
//!   the error reporter (a leaf: jobs and the relay use it).
//! - [`demo`]: demo and test data.
//! - [`http`]: HTTP plumbing shared by every capability: the API error type mapped once to
//!   RFC 9457 problem JSON, request extractors and authentication, pagination, the
//!   idempotent write path, webhook signatures.
//! - [`web`]: the web pages' plumbing (sessions, CSRF, layout, assets, charts) and sign-in;
//!   each capability's pages sit beside its routes.
//! - [`state`]: shared state (database, settings, notifiers, the one HTTP
//!   client) and settings.

pub mod access;
pub mod capital;
pub mod demo;
pub mod distributions;
pub mod documents;
pub mod events;
pub mod forecast;
pub mod funds;
pub mod http;
pub mod inkind;
pub mod jobs;
pub mod leader;
pub mod notifications;
pub mod observability;
pub mod payments;
pub mod platform;
pub mod reconciliation;
pub mod recovery;
pub mod reinvestment;
pub mod schedules;
pub mod state;
pub mod sync;
pub mod tax;
pub mod waterfall;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::Router;
use clearway_store::jobs::Job;
use clearway_store::{Db, StoreError};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::trace::TraceLayer;

pub use state::{AppState, Config};

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.body_limit_bytes;
    Router::new()
        .merge(distributions::routes::router())
        .merge(events::routes::router())
        .merge(events::streams::routes::router())
        .merge(platform::routes::router())
        .merge(reinvestment::router())
        .merge(inkind::router())
        .merge(payments::router())
        .merge(reconciliation::router())
        .merge(recovery::router())
        .merge(access::router())
        .merge(waterfall::router())
        .merge(capital::router())
        .merge(funds::router())
        .merge(schedules::router())
        .merge(notifications::router())
        .merge(documents::router())
        .merge(tax::k1::router())
        .merge(tax::recharacterize::router())
        .merge(tax::years::router())
        .merge(tax::forms::router())
        .merge(tax::fire::router())
        .merge(tax::profiles::router())
        .merge(tax::rates::router())
        .merge(tax::liability::router())
        .merge(forecast::router())
        .merge(sync::connector::router())
        .merge(sync::router())
        .route(
            "/api/openapi.json",
            axum::routing::get(|| async { axum::Json(platform::openapi::document()) }),
        )
        .merge(platform::docs::router())
        .merge(web::router())
        .merge(distributions::pages::router())
        .merge(distributions::portal::router())
        .merge(reinvestment::pages::router())
        .merge(capital::pages::router())
        .merge(tax::pages_k1::router())
        .merge(tax::pages_withholding::router())
        .merge(payments::pages::router())
        .merge(notifications::portal::router())
        .merge(notifications::unsubscribe::router())
        .merge(distributions::reports::router())
        .merge(platform::pages::router())
        .merge(events::streams::pages::router())
        .merge(forecast::pages_org::router())
        .merge(forecast::pages::router())
        .merge(reconciliation::pages::router())
        .merge(waterfall::pages::router())
        .merge(funds::pages::router())
        .merge(schedules::pages::router())
        .merge(documents::pages::router())
        .merge(tax::pages::router())
        .merge(sync::pages::router())
        .fallback(|| async {
            http::ApiError::BadRequest {
                status: StatusCode::NOT_FOUND,
                field: "path".into(),
                detail: "no such endpoint".into(),
            }
        })
        .layer(axum::middleware::from_fn(
            http::extract::refuse_control_in_path,
        ))
        .layer(axum::middleware::from_fn(web::secure_headers))
        .layer(axum::middleware::from_fn(platform::metrics::track))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(
            observability::propagation::trace_request,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The job handlers of every capability, by job kind.
pub fn job_handlers() -> jobs::Handlers {
    fn process<'a>(state: &'a AppState, job: &'a Job, worker_id: &'a str) -> jobs::JobFuture<'a> {
        Box::pin(async move {
            clearway_app::processing::run(
                &state.db,
                &state.config.payments.ach_limits,
                job,
                worker_id,
            )
            .await?;
            state.events_ready.notify_one();
            Ok(())
        })
    }
    fn payment<'a>(state: &'a AppState, job: &'a Job, worker_id: &'a str) -> jobs::JobFuture<'a> {
        Box::pin(payments::run_job(state, job, worker_id))
    }
    fn reconciliation<'a>(
        state: &'a AppState,
        job: &'a Job,
        worker_id: &'a str,
    ) -> jobs::JobFuture<'a> {
        Box::pin(reconciliation::run_job(state, job, worker_id))
    }
    fn tax_forms<'a>(state: &'a AppState, job: &'a Job, worker_id: &'a str) -> jobs::JobFuture<'a> {
        Box::pin(async move {
            clearway_app::tax::runs::run_job(&state.db, job, worker_id).await?;
            state.events_ready.notify_one();
            Ok(())
        })
    }
    fn payment_died<'a>(
        tx: &'a mut clearway_store::Tx,
        job: &'a Job,
        error: &'a str,
    ) -> jobs::DeadFuture<'a> {
        Box::pin(async move {
            clearway_app::payments::orphans::hold_after_dead_job(tx, job, error).await?;
            Ok(())
        })
    }
    fn forecast_snapshot<'a>(
        state: &'a AppState,
        job: &'a Job,
        worker_id: &'a str,
    ) -> jobs::JobFuture<'a> {
        Box::pin(async move {
            clearway_app::forecast::stored::run_snapshot_job(&state.db, job, worker_id).await?;
            state.events_ready.notify_one();
            Ok(())
        })
    }
    jobs::Handlers::new()
        .kind(distributions::PROCESS_JOB, process)
        .kind(
            clearway_app::forecast::stored::SNAPSHOT_JOB,
            forecast_snapshot,
        )
        .prefix("payment.", payment)
        .on_dead("payment.", payment_died)
        .prefix("reconciliation.", reconciliation)
        .kind(clearway_app::tax::runs::JOB, tax_forms)
        .kind(
            clearway_app::sync::connector::pull::PULL_JOB,
            sync::connector::pull_job,
        )
        .kind(
            clearway_app::sync::connector::push::PUSH_JOB,
            sync::connector::push_job,
        )
}

/// A running server with its workers.
pub struct Running {
    /// Address it listens on.
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting requests, lets in-flight requests and the workers' current jobs
    /// finish and the leaders release their leases, and waits: [`jobs::SHUTDOWN_GRACE`] in all,
    /// not per task, so a stop is bounded whatever the number of tasks.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let deadline = tokio::time::Instant::now() + jobs::SHUTDOWN_GRACE;
        for task in self.tasks {
            if tokio::time::timeout_at(deadline, task).await.is_err() {
                tracing::warn!("a task did not stop within the shutdown grace");
            }
        }
    }

    /// Waits until a shutdown signal (Ctrl-C / SIGTERM), then shuts down.
    pub async fn run_until_signal(self) {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Serves `/metrics` alone on `addr` until shutdown.
async fn serve_metrics(
    state: AppState,
    addr: SocketAddr,
    mut rx: watch::Receiver<bool>,
) -> Result<JoinHandle<()>, StoreError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| StoreError::Conflict(format!("metrics listener {addr}: {e}")))?;
    tracing::info!(%addr, "metrics listening");
    let app = platform::metrics::router(state);
    Ok(tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.wait_for(|stop| *stop).await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "metrics server failed");
        }
    }))
}

/// Migrates, then serves the API on `listener` and starts the workers.
pub async fn start(db: Db, config: Config, listener: TcpListener) -> Result<Running, StoreError> {
    clearway_store::migrate::run(&db).await?;
    platform::metrics::handle();
    let mut config = config;
    // Emails carry unsubscribe links signed with the key the unsubscribe route checks.
    config.notifications.engine.unsubscribe_key = config.unsubscribe_key.bytes().to_vec();
    let state = AppState::new(db, config);
    let (shutdown, rx) = watch::channel(false);
    let addr = listener
        .local_addr()
        .map_err(|e| StoreError::Conflict(format!("listener: {e}")))?;
    let mut tasks = Vec::new();
    let app = router(state.clone());
    let mut http_rx = rx.clone();
    tasks.push(tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = http_rx.wait_for(|stop| *stop).await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "HTTP server failed");
        }
    }));
    if let Some(metrics_addr) = state.config.metrics_addr {
        tasks.push(serve_metrics(state.clone(), metrics_addr, rx.clone()).await?);
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let instance = match &state.config.instance_name {
        Some(name) => format!("{name}-{}", &id[..12]),
        None => id,
    };
    let handlers = Arc::new(job_handlers());
    for i in 0..state.config.job_workers.max(1) {
        tasks.push(tokio::spawn(jobs::worker(
            handlers.clone(),
            state.clone(),
            format!("{instance}-{i}"),
            rx.clone(),
        )));
    }
    // Singular tasks: one process at a time runs each, by lease.
    let leader = |name| {
        Arc::new(leader::Leader::new(
            state.db.clone(),
            name,
            &instance,
            state.config.lease_ttl,
        ))
    };
    tasks.push(tokio::spawn(schedules::tick::run(
        state.db.clone(),
        leader("schedule-tick"),
        rx.clone(),
    )));
    tasks.extend(notifications::worker::spawn(
        &state,
        &instance,
        leader("notification-engine"),
        &rx,
    ));
    tasks.extend(events::streams::spawn(&state, leader, &rx));
    tasks.push(tokio::spawn(sync::connector::run_schedule(
        state.clone(),
        leader("sync-connector"),
        rx.clone(),
    )));
    if let Some(drop) = state.config.sync_drop.clone() {
        tasks.push(tokio::spawn(sync::dropdir::run(
            state.db.clone(),
            drop,
            leader("sync-drop"),
            rx.clone(),
        )));
    }
    tasks.push(tokio::spawn(events::relay::run(
        state.clone(),
        leader("outbox-relay"),
        rx,
    )));
    tracing::info!(%addr, %instance, backend = ?state.db.backend(), "clearway listening");
    Ok(Running {
        addr,
        shutdown,
        tasks,
    })
}

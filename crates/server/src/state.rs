//! Shared state of the server (handlers and workers) and its settings.

use std::sync::Arc;
use std::time::Duration;

use clearway_store::Db;
use tokio::sync::Notify;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a claimed job is leased before another worker may take it over.
    pub job_lease: Duration,
    /// How often idle workers poll for due jobs and events.
    pub poll_interval: Duration,
    /// Worker tasks running jobs.
    pub job_workers: usize,
    /// Timeout of one webhook delivery.
    pub webhook_timeout: Duration,
    /// Largest request body accepted.
    pub body_limit_bytes: usize,
    /// Payments: encryption keys, originator details, providers, check rules.
    pub payments: clearway_app::payments::PaymentsConfig,
    /// OIDC sign-in for the web pages; off when `None`.
    pub oidc: Option<OidcConfig>,
}

/// An OIDC provider (authorization-code flow with PKCE) and this client's registration.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// Issuer URL; discovery is at `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// Client id (the ID token's audience).
    pub client_id: String,
    /// Client secret (sent as `client_secret_post`), for confidential clients.
    pub client_secret: Option<String>,
    /// This server's callback URL, `…/auth/oidc/callback`, as registered with the provider.
    pub redirect_url: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            job_lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(250),
            job_workers: 2,
            webhook_timeout: Duration::from_secs(10),
            body_limit_bytes: 16 * 1024 * 1024,
            payments: clearway_app::payments::PaymentsConfig::default(),
            oidc: None,
        }
    }
}

/// The HTTP client shared by webhook delivery and the provider connectors. Callers set their
/// own per-request timeout from [`Config`]; the client's is a backstop for any that do not.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .expect("HTTP client")
}

/// State shared by handlers and workers.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Settings.
    pub config: Arc<Config>,
    /// Wakes job workers when a job is enqueued in this process.
    pub jobs_ready: Arc<Notify>,
    /// Wakes the outbox relay when an event is written in this process.
    pub events_ready: Arc<Notify>,
    /// One HTTP client (connection pool) for every outgoing call.
    pub http: reqwest::Client,
}

impl AppState {
    /// State over `db` with `config`, fresh notifiers and a new client.
    pub fn new(db: Db, config: Config) -> AppState {
        AppState {
            db,
            config: Arc::new(config),
            jobs_ready: Arc::new(Notify::new()),
            events_ready: Arc::new(Notify::new()),
            http: http_client(),
        }
    }
}

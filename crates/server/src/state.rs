//! Shared state of the server (handlers and workers) and its settings.

use std::sync::Arc;
use std::time::Duration;

use clearway_app::events::FailureLog;
pub use clearway_app::outbound::OutboundPolicy;
use clearway_store::Db;
use tokio::sync::Notify;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a claimed job is leased before another worker may take it over.
    pub job_lease: Duration,
    /// How long a singular task's lease (outbox relay, schedule tick, notification engine)
    /// lasts unless renewed: when several processes share the database, a killed leader's
    /// task moves to another process within this (`CLEARWAY_LEASE_TTL_SECS`).
    pub lease_ttl: Duration,
    /// A readable prefix of this process's instance id (lease holders, job workers), e.g. the
    /// host name; a random suffix keeps two processes given the same name apart.
    pub instance_name: Option<String>,
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
    /// Four eyes: a manual reconciliation match of more than this (in its currency) waits for
    /// a second user's approval (`CLEARWAY_FOUR_EYES_ABOVE`).
    pub four_eyes_above: rust_decimal::Decimal,
    /// What a bank statement whose opening + lines ≠ closing does to its import, unless the
    /// import says (`CLEARWAY_STATEMENT_BALANCE_POLICY`; default refuse).
    pub statement_balance_policy: clearway_formats::statements::BalancePolicy,
    /// Which outgoing URLs (webhooks, providers) may be called (`CLEARWAY_OUTBOUND_ALLOW`).
    pub outbound: OutboundPolicy,
    /// Consecutive failed deliveries after which a webhook subscription is disabled.
    pub webhook_max_failures: u32,
    /// Bearer token that opens `/metrics` on the main port; without one it is not served
    /// there (`CLEARWAY_METRICS_TOKEN`).
    pub metrics_token: Option<String>,
    /// A separate address serving only `/metrics`, unauthenticated (`CLEARWAY_METRICS_ADDR`;
    /// bind it to an internal interface).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// OIDC sign-in for the web pages; off when `None`.
    pub oidc: Option<OidcConfig>,
    /// The URL people reach this server at (`CLEARWAY_PUBLIC_URL`): password-reset links are
    /// made from it, and when it is `https://` the session cookie is `Secure`.
    pub public_url: Option<String>,
    /// The key signing unsubscribe links (`CLEARWAY_UNSUBSCRIBE_KEY`).
    pub unsubscribe_key: SecretKey,
    /// Notification engine and senders (`CLEARWAY_SMTP_URL`, `CLEARWAY_MAIL_FROM`).
    pub notifications: NotificationsConfig,
    /// Event streams to NATS JetStream and Kafka (`CLEARWAY_NATS_URL`,
    /// `CLEARWAY_KAFKA_BROKERS`); none by default.
    pub streams: StreamsConfig,
    /// The administrator connector and outbound files (`CLEARWAY_SYNC_*`).
    pub sync: clearway_app::sync::connector::SyncSettings,
    /// The fund-administrator drop directory (`CLEARWAY_SYNC_DROP_DIR`, `CLEARWAY_SYNC_ORG`);
    /// off when `None`.
    pub sync_drop: Option<SyncDropConfig>,
}

/// Key material that never prints (Debug shows only its length); cheap to clone.
#[derive(Clone)]
pub struct SecretKey(Arc<[u8]>);

impl SecretKey {
    /// A key from its bytes.
    pub fn new(bytes: &[u8]) -> SecretKey {
        SecretKey(Arc::from(bytes))
    }

    /// A fixed key for tests and development (like the payments vault's dev key): links
    /// signed with it are only as secret as this source file.
    pub fn dev() -> SecretKey {
        SecretKey::new(b"clearway-dev-unsubscribe-key-not-for-production")
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({} bytes)", self.0.len())
    }
}

/// Settings of the notification workers.
#[derive(Debug, Clone)]
pub struct NotificationsConfig {
    /// SMTP server (`CLEARWAY_SMTP_URL`, e.g. `smtp://127.0.0.1:2525`); emails are not sent
    /// without one.
    pub smtp_url: Option<String>,
    /// Connections kept open to it.
    pub smtp_pool: u32,
    /// Timeout of one SMTP command.
    pub smtp_timeout: Duration,
    /// Sender tasks (each sends one message at a time).
    pub sender_workers: usize,
    /// The engine's batches and portal links.
    pub engine: clearway_app::notifications::engine::EngineSettings,
    /// `From`, lease and retries of the sender (`CLEARWAY_MAIL_FROM`).
    pub sender: clearway_app::notifications::send::SenderSettings,
    /// How often idle workers look for work.
    pub poll: Duration,
    /// SendGrid Mail Send (`CLEARWAY_SENDGRID_API_KEY`, `CLEARWAY_SENDGRID_URL`): when set,
    /// emails go there instead of SMTP.
    pub sendgrid: Option<clearway_app::notifications::channels::sendgrid::SendGridConfig>,
    /// Public key (base64 DER) of SendGrid's signed event webhook
    /// (`CLEARWAY_SENDGRID_WEBHOOK_KEY`); the webhook answers 404 without it.
    pub sendgrid_webhook_key: Option<String>,
    /// Twilio Messages (`CLEARWAY_TWILIO_*`): SMS are sent only with it; its auth token also
    /// verifies the status and inbound webhooks.
    pub twilio: Option<clearway_app::notifications::channels::twilio::TwilioConfig>,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        NotificationsConfig {
            smtp_url: None,
            smtp_pool: 4,
            smtp_timeout: Duration::from_secs(30),
            sender_workers: 4,
            engine: Default::default(),
            sender: Default::default(),
            poll: Duration::from_millis(500),
            sendgrid: None,
            sendgrid_webhook_key: None,
            twilio: None,
        }
    }
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
            lease_ttl: Duration::from_secs(15),
            instance_name: None,
            poll_interval: Duration::from_millis(250),
            job_workers: 2,
            webhook_timeout: Duration::from_secs(10),
            body_limit_bytes: 16 * 1024 * 1024,
            payments: clearway_app::payments::PaymentsConfig::default(),
            // 10000.00
            four_eyes_above: rust_decimal::Decimal::new(1_000_000, 2),
            statement_balance_policy: Default::default(),
            outbound: OutboundPolicy::strict(),
            webhook_max_failures: 10,
            metrics_token: None,
            metrics_addr: None,
            oidc: None,
            public_url: None,
            unsubscribe_key: SecretKey::dev(),
            notifications: Default::default(),
            streams: Default::default(),
            sync: Default::default(),
            sync_drop: None,
        }
    }
}

/// The HTTP client shared by webhook delivery and the provider connectors. Callers set their
/// own per-request timeout from [`Config`]; the client's is a backstop for any that do not.
/// Names resolve through the outbound policy (public addresses only, checked on every
/// connection), and redirects are not followed: a redirect could point anywhere.
pub fn http_client(policy: &OutboundPolicy) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_idle_timeout(Duration::from_secs(90))
        .dns_resolver(policy.resolver())
        .redirect(reqwest::redirect::Policy::none())
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
    /// Wakes the event stream loops when the relay enrolled events for them.
    pub streams_ready: Arc<Notify>,
    /// One HTTP client (connection pool) for every outgoing call.
    pub http: reqwest::Client,
    /// Rate limit of webhook failure warnings (one per subscription per interval).
    pub webhook_failures: Arc<FailureLog>,
}

impl AppState {
    /// State over `db` with `config`, fresh notifiers and a new client.
    pub fn new(db: Db, config: Config) -> AppState {
        AppState {
            db,
            http: http_client(&config.outbound),
            config: Arc::new(config),
            jobs_ready: Arc::new(Notify::new()),
            events_ready: Arc::new(Notify::new()),
            streams_ready: Arc::new(Notify::new()),
            webhook_failures: Arc::default(),
        }
    }
}

// The settings of the event streams and of the sync drop directory live here, not beside
// their code, so that the settings depend on no capability (`events` and `sync` use `state`).

/// The NATS sink's name (pending rows, metrics label; lease `stream-nats`).
pub const NATS_SINK: &str = "nats";
/// The Kafka sink's name (pending rows, metrics label; lease `stream-kafka`).
pub const KAFKA_SINK: &str = "kafka";

/// The configured stream sinks (none by default).
#[derive(Debug, Clone)]
pub struct StreamsConfig {
    /// NATS JetStream (`CLEARWAY_NATS_URL`).
    pub nats: Option<NatsConfig>,
    /// Kafka-protocol broker (`CLEARWAY_KAFKA_BROKERS`).
    pub kafka: Option<KafkaConfig>,
    /// Events per publication batch.
    pub batch: i64,
    /// Longest wait between attempts while a broker is down (the waits double up to it).
    pub retry_cap: Duration,
}

impl Default for StreamsConfig {
    fn default() -> Self {
        StreamsConfig {
            nats: None,
            kafka: None,
            batch: 1_000,
            retry_cap: Duration::from_secs(30),
        }
    }
}

impl StreamsConfig {
    /// Names of the configured sinks: events are enrolled for each at fan-out.
    pub fn sink_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.nats.is_some() {
            names.push(NATS_SINK);
        }
        if self.kafka.is_some() {
            names.push(KAFKA_SINK);
        }
        names
    }
}

/// Where and how events go to NATS.
#[derive(Debug, Clone)]
pub struct NatsConfig {
    /// Server URL, e.g. `nats://127.0.0.1:4222` (`CLEARWAY_NATS_URL`).
    pub url: String,
    /// The JetStream stream, created over `<subject_prefix>.>` if missing
    /// (`CLEARWAY_NATS_STREAM`, default `CLEARWAY`).
    pub stream: String,
    /// First subject token (`CLEARWAY_NATS_SUBJECT_PREFIX`, default `clearway`).
    pub subject_prefix: String,
    /// How long to wait for a connection and for each acknowledgement.
    pub timeout: Duration,
}

impl NatsConfig {
    /// The defaults for `url`.
    pub fn new(url: &str) -> NatsConfig {
        NatsConfig {
            url: url.to_string(),
            stream: "CLEARWAY".into(),
            subject_prefix: "clearway".into(),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Where and how events go to Kafka.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// Bootstrap brokers, `host:port` (`CLEARWAY_KAFKA_BROKERS`, comma-separated).
    pub brokers: Vec<String>,
    /// Topic (`CLEARWAY_KAFKA_TOPIC`, default `clearway.events`).
    pub topic: String,
    /// Partitions of the topic when Clearway creates it (replication factor 1; create it
    /// yourself for anything else).
    pub partitions: i32,
    /// How long the client retries a request before the batch counts as failed.
    pub timeout: Duration,
}

impl KafkaConfig {
    /// The defaults for `brokers`.
    pub fn new(brokers: Vec<String>) -> KafkaConfig {
        KafkaConfig {
            brokers,
            topic: "clearway.events".into(),
            partitions: 3,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Where dropped files are picked up.
#[derive(Debug, Clone)]
pub struct SyncDropConfig {
    /// The watched local directory.
    pub dir: Option<std::path::PathBuf>,
    /// The watched directory on an SFTP server.
    pub sftp: Option<SftpConfig>,
    /// The organization the files belong to.
    pub org_id: String,
    /// Time between polls.
    pub poll: Duration,
}

/// Where and how to reach the SFTP drop server (parsed and used in `crate::sync::sftp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SftpConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// The drop directory on the server (absolute, or relative to the login directory).
    pub root: String,
    /// The private key (OpenSSH or PEM format, unencrypted).
    pub key_file: std::path::PathBuf,
    /// The host key's SHA-256 fingerprint, base64 without padding (after `SHA256:`).
    pub host_key_sha256: String,
    /// Connect, read and write timeout.
    pub timeout: Duration,
}

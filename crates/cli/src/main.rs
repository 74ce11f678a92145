//! `clearway`: serve the API and workers, migrate, seed demo data, run benchmarks.
//!
//! # Layout
//! - this file: the command line (clap), logging, the database to use, `serve`, `migrate`,
//!   `demo`.
//! - `access`: organizations, users and API tokens (`org`, `user`, `token`).
//! - `audit`, `nav`, `payments`, `statements`: operator commands over the application layer
//!   (audit chain check; NAV import; bank files, returns, checks, key rotation; statement
//!   import and bank files).
//! - `forecast`: `forecast eval`, the holdout evaluator of the forecasting models (also used
//!   by `bench forecast`).
//! - `bench/`: one file per benchmark (`create`, `api`, `reinvest`, `payments`, `reconcile`),
//!   each printing medians and the ratio to a baseline measured in the same run.

mod access;
mod audit;
mod backup;
mod bench;
mod forecast;
mod nav;
mod payments;
mod single;
mod statements;
mod sync_connector;
mod tax;
mod templates;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use clearway_app::notifications::channels::sendgrid::SendGridConfig;
use clearway_app::notifications::channels::twilio::TwilioConfig;
use clearway_app::notifications::writer::{GreetingWriter, WriterConfig};
use clearway_app::outbound::OutboundPolicy;
use clearway_server::events::streams::{kafka::KafkaConfig, nats::NatsConfig, StreamsConfig};
use clearway_server::{demo, Config};
use clearway_store::{Db, DbOptions};

/// Clearway Distributions: declare, allocate, approve, pay, reinvest and reconcile fund distributions.
#[derive(Parser)]
#[command(name = "clearway", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct DbArgs {
    /// `postgres://…` for PostgreSQL, `sqlite:PATH` for SQLite; default SQLite in ./clearway-data/.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "CLEARWAY_LISTEN")]
    listen: String,
    /// Job worker tasks.
    #[arg(long, default_value_t = 2, env = "CLEARWAY_JOB_WORKERS")]
    job_workers: usize,
    /// Seconds a claimed job is leased before another worker may take it over.
    #[arg(long, default_value_t = 30, env = "CLEARWAY_JOB_LEASE_SECS")]
    job_lease_secs: u64,
    /// Seconds a singular task's lease (outbox relay, schedule tick, notification engine)
    /// lasts unless renewed; with several processes on one database, a killed leader's task
    /// moves to another process within this.
    #[arg(long, default_value_t = 15, env = "CLEARWAY_LEASE_TTL_SECS")]
    lease_ttl_secs: u64,
    /// Readable prefix of this process's id in the `leases` table and job locks (e.g. the
    /// host or container name); a random suffix is added.
    #[arg(long, env = "CLEARWAY_INSTANCE_NAME")]
    instance_name: Option<String>,
    /// Fund-administrator drop directory: files in `<dir>/<navs|holdings|schedules|preferences>/`
    /// are imported (leader only, lease `sync-drop`) and moved to `processed/` or `refused/`.
    #[arg(long, env = "CLEARWAY_SYNC_DROP_DIR")]
    sync_drop_dir: Option<std::path::PathBuf>,
    /// The organization the dropped files belong to (required with the drop directory).
    #[arg(long, env = "CLEARWAY_SYNC_ORG")]
    sync_org: Option<String>,
    /// A drop directory on an SFTP server, `sftp://user@host[:port]/path` (same layout as the
    /// local one; with CLEARWAY_SYNC_SFTP_KEY_FILE and CLEARWAY_SYNC_SFTP_HOST_KEY).
    #[arg(long, env = "CLEARWAY_SYNC_SFTP_URL")]
    sync_sftp_url: Option<String>,
    /// The private key the SFTP server accepts (unencrypted, OpenSSH or PEM format).
    #[arg(long, env = "CLEARWAY_SYNC_SFTP_KEY_FILE")]
    sync_sftp_key_file: Option<std::path::PathBuf>,
    /// The SFTP server's host key fingerprint, `SHA256:…` as `ssh-keygen -lf` prints it; a
    /// server with another key is refused.
    #[arg(long, env = "CLEARWAY_SYNC_SFTP_HOST_KEY")]
    sync_sftp_host_key: Option<String>,
    /// Seconds between polls of the drop directory.
    #[arg(long, default_value_t = 5, env = "CLEARWAY_SYNC_DROP_POLL_SECS")]
    sync_drop_poll_secs: u64,
    /// Four eyes: a manual reconciliation match of more than this amount (a decimal, in the
    /// match's currency) waits for a second user's approval.
    #[arg(long, default_value = "10000.00", env = "CLEARWAY_FOUR_EYES_ABOVE")]
    four_eyes_above: rust_decimal::Decimal,
    /// A bank statement whose opening balance + lines is not its closing balance: `refuse`
    /// the file or import it with a `warn`ing (an import's `balancePolicy` overrides it).
    #[arg(
        long,
        default_value = "refuse",
        env = "CLEARWAY_STATEMENT_BALANCE_POLICY"
    )]
    statement_balance_policy: clearway_formats::statements::BalancePolicy,
    /// Development allowlist of outbound hosts (`host` or `host:port`, comma-separated) that
    /// webhooks and providers may reach over http and at internal addresses.
    #[arg(long, default_value = "", env = "CLEARWAY_OUTBOUND_ALLOW")]
    outbound_allow: String,
    /// Consecutive failed deliveries after which a webhook subscription is disabled.
    #[arg(long, default_value_t = 10, env = "CLEARWAY_WEBHOOK_MAX_FAILURES")]
    webhook_max_failures: u32,
    /// Bearer token opening `/metrics` on the main port (not served there without one).
    #[arg(long, env = "CLEARWAY_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Separate address serving `/metrics` without a token (bind it internally).
    #[arg(long, env = "CLEARWAY_METRICS_ADDR")]
    metrics_addr: Option<std::net::SocketAddr>,
    /// The URL people reach the web pages at (reset links; `https://` makes cookies Secure).
    #[arg(long, env = "CLEARWAY_PUBLIC_URL")]
    public_url: Option<String>,
    /// NATS server to publish the event stream to (JetStream), e.g. `nats://127.0.0.1:4222`;
    /// no NATS stream when unset.
    #[arg(long, env = "CLEARWAY_NATS_URL")]
    nats_url: Option<String>,
    /// JetStream stream name (created over `<prefix>.>` if missing).
    #[arg(long, default_value = "CLEARWAY", env = "CLEARWAY_NATS_STREAM", value_parser = stream_name)]
    nats_stream: String,
    /// First token of every event subject: `<prefix>.<org>.<event type>`.
    #[arg(long, default_value = "clearway", env = "CLEARWAY_NATS_SUBJECT_PREFIX", value_parser = subject_prefix)]
    nats_subject_prefix: String,
    /// Kafka-protocol brokers (`host:port`, comma-separated) to publish the event stream to;
    /// no Kafka stream when unset.
    #[arg(long, env = "CLEARWAY_KAFKA_BROKERS", value_delimiter = ',')]
    kafka_brokers: Vec<String>,
    /// Kafka topic (created with 3 partitions, replication factor 1, if missing).
    #[arg(long, default_value = "clearway.events", env = "CLEARWAY_KAFKA_TOPIC")]
    kafka_topic: String,
    /// Largest request body accepted, in MiB (bank statement uploads are the large ones).
    #[arg(long, default_value_t = 16, env = "CLEARWAY_BODY_LIMIT_MB")]
    body_limit_mb: usize,
    /// SMTP server notices are sent through (`smtp://host:port`: STARTTLS when offered;
    /// `?tls=required`, `smtps://`); without one emails are queued, not sent.
    #[arg(long, env = "CLEARWAY_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// SendGrid API key (Mail Send); when set, notice emails go to SendGrid instead of SMTP.
    #[arg(long, env = "CLEARWAY_SENDGRID_API_KEY", hide_env_values = true)]
    sendgrid_api_key: Option<String>,
    /// SendGrid API root.
    #[arg(
        long,
        default_value = "https://api.sendgrid.com",
        env = "CLEARWAY_SENDGRID_URL"
    )]
    sendgrid_url: String,
    /// Public key (base64 DER) of SendGrid's signed event webhook; the webhook answers 404
    /// without it.
    #[arg(long, env = "CLEARWAY_SENDGRID_WEBHOOK_KEY")]
    sendgrid_webhook_key: Option<String>,
    /// Twilio account SID; with the token and sender, notice SMS are sent through Twilio
    /// (without them, wanted SMS are recorded skipped).
    #[arg(long, env = "CLEARWAY_TWILIO_ACCOUNT_SID")]
    twilio_account_sid: Option<String>,
    /// Twilio auth token (also verifies Twilio's webhooks).
    #[arg(long, env = "CLEARWAY_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    twilio_auth_token: Option<String>,
    /// Twilio sender: an E.164 number or a messaging service SID (`MG…`).
    #[arg(long, env = "CLEARWAY_TWILIO_FROM")]
    twilio_from: Option<String>,
    /// Twilio API root.
    #[arg(
        long,
        default_value = "https://api.twilio.com",
        env = "CLEARWAY_TWILIO_URL"
    )]
    twilio_url: String,
    /// Anthropic Messages API root for the optional model-written greeting (off unless the
    /// URL, model and key are all set).
    #[arg(long, env = "CLEARWAY_WRITER_URL")]
    writer_url: Option<String>,
    /// Model name for the greeting.
    #[arg(long, env = "CLEARWAY_WRITER_MODEL")]
    writer_model: Option<String>,
    /// API key for the greeting (`x-api-key`).
    #[arg(long, env = "CLEARWAY_WRITER_API_KEY", hide_env_values = true)]
    writer_api_key: Option<String>,
    /// Seconds the greeting may take; past it the template's greeting is used.
    #[arg(long, default_value_t = 10, env = "CLEARWAY_WRITER_TIMEOUT_SECS")]
    writer_timeout_secs: u64,
    /// `From` of notice emails.
    #[arg(
        long,
        default_value = "Clearway <notices@clearway.invalid>",
        env = "CLEARWAY_MAIL_FROM"
    )]
    mail_from: String,
    /// Tasks sending notice emails (one message at a time each).
    #[arg(long, default_value_t = 4, env = "CLEARWAY_MAIL_WORKERS")]
    mail_workers: usize,
    /// Seconds a message being sent is leased; a sender gone longer leaves it in doubt.
    #[arg(long, default_value_t = 120, env = "CLEARWAY_MAIL_LEASE_SECS")]
    mail_lease_secs: u64,
    /// Directory of notice-template overrides (checked at start: a bad one stops `serve`).
    #[arg(long, env = "CLEARWAY_NOTICE_TEMPLATES")]
    notice_templates: Option<std::path::PathBuf>,
    /// Days before its payable date a scheduled distribution is announced to the fund's holders.
    #[arg(long, default_value_t = 7, env = "CLEARWAY_NOTIFY_UPCOMING_DAYS")]
    notify_upcoming_days: u16,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and web pages, and run the workers (migrates first).
    Serve {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Seed a demo organization (funds, investors, history, one user per role) and print tokens.
    Demo {
        #[command(flatten)]
        db: DbArgs,
        /// Number of investors.
        #[arg(long, default_value_t = 500)]
        investors: usize,
        /// Write the API tokens as JSON to this file.
        #[arg(long)]
        tokens_out: Option<PathBuf>,
        /// Serve afterwards.
        #[arg(long)]
        serve: bool,
        /// Skip the three years of historical distributions (faster; used by tests).
        #[arg(long)]
        no_history: bool,
        #[command(flatten)]
        serve_args: ServeArgs,
    },
    /// Organizations.
    Org {
        #[command(subcommand)]
        cmd: access::OrgCmd,
    },
    /// Users of an organization: add, list, disable.
    User {
        #[command(subcommand)]
        cmd: access::UserCmd,
    },
    /// API tokens: issue (shown once), list, revoke.
    Token {
        #[command(subcommand)]
        cmd: access::TokenCmd,
    },
    /// Year-end tax: the IRS FIRE file of a closed year.
    Tax {
        #[command(subcommand)]
        which: tax::Which,
    },
    /// Bank statements: import files for reconciliation.
    Statements {
        #[command(subcommand)]
        which: statements::Which,
    },
    /// Bank files (NACHA, pain.001, check register, positive pay), return files, stale checks,
    /// key rotation.
    Payments {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        cmd: payments::Cmd,
    },
    /// Recurring distribution schedules.
    Schedules {
        #[command(subcommand)]
        which: SchedulesCommand,
    },
    /// NAV per share data.
    Nav {
        #[command(subcommand)]
        which: NavCommand,
    },
    /// The audit log: `verify` checks each organization's hash chain.
    Audit {
        #[command(subcommand)]
        which: AuditCommand,
    },
    /// Notice templates: `check DIR` loads overrides as `serve` would; `names` lists them.
    Templates {
        #[command(subcommand)]
        which: TemplatesCommand,
    },
    /// Forecasting: `eval` scores the models on any long-format data set (unique_id,ds,y).
    Forecast {
        #[command(subcommand)]
        which: forecast::Which,
    },
    /// Online backup of the SQLite database to DEST (consistent while `serve` runs);
    /// PostgreSQL: prints the pg_dump command.
    Backup {
        /// The backup file to write (must not exist).
        dest: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Restores an SQLite backup in place of the database (stop the server first).
    Restore {
        /// The backup file.
        from: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Benchmarks (figures and ratios to a baseline measured in the same run).
    Bench {
        #[command(subcommand)]
        which: bench::Which,
    },
}

#[derive(Subcommand)]
enum TemplatesCommand {
    /// Check a directory of overrides (exit 1 naming the first refused template).
    Check {
        /// Directory holding e.g. `layout.html`, `en/payment.sent.j2`.
        dir: std::path::PathBuf,
    },
    /// The names of the templates that can be overridden.
    Names,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk each organization's audit chain and name the first broken link (exit 1 if any).
    Verify {
        /// Only this organization (id or name).
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum SchedulesCommand {
    /// Create the DRAFT distributions every ACTIVE schedule has due (idempotent: a period that
    /// has its draft is skipped); prints what was created as JSON.
    Materialize {
        /// The day to materialize for (YYYY-MM-DD); today when absent.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum NavCommand {
    /// Import NAVs from a CSV file (header: date,nav[,shareClass][,fund]) into one fund; all
    /// or nothing: a bad row stops it with the line and field, and nothing is written.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Fund code (or id).
        #[arg(long)]
        fund: String,
        /// Organization name, when several have a fund with this code.
        #[arg(long)]
        org: Option<String>,
        /// Replace stored NAVs that differ (corrections); otherwise they are refused.
        #[arg(long)]
        replace: bool,
        /// Source recorded on each NAV (default `csv:<file name>`).
        #[arg(long)]
        source: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// The default embedded database: SQLite in ./clearway-data/.
fn database_url(args: &DbArgs) -> Result<String> {
    match &args.database_url {
        Some(url) => Ok(url.clone()),
        None => {
            std::fs::create_dir_all("clearway-data").context("creating ./clearway-data")?;
            Ok("sqlite:clearway-data/clearway.db".into())
        }
    }
}

async fn open(args: &DbArgs) -> Result<Db> {
    let url = database_url(args)?;
    let db = Db::connect(&url, &DbOptions::default())
        .await
        .with_context(|| format!("opening database {}", redact(&url)))?;
    clearway_store::migrate::run(&db)
        .await
        .context("migrating")?;
    Ok(db)
}

/// Hides a password in a database URL for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// The event stream sinks configured by `CLEARWAY_NATS_*` and `CLEARWAY_KAFKA_*`.
fn streams_config(args: &ServeArgs) -> StreamsConfig {
    let nats = args
        .nats_url
        .as_deref()
        .filter(|u| !u.is_empty())
        .map(|url| {
            let mut c = NatsConfig::new(url);
            c.stream = args.nats_stream.clone();
            c.subject_prefix = args.nats_subject_prefix.clone();
            c
        });
    let brokers: Vec<String> = args
        .kafka_brokers
        .iter()
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .collect();
    let kafka = (!brokers.is_empty()).then(|| {
        let mut c = KafkaConfig::new(brokers);
        c.topic = args.kafka_topic.clone();
        c
    });
    StreamsConfig {
        nats,
        kafka,
        ..StreamsConfig::default()
    }
}

/// A JetStream stream name: letters, digits, `_` and `-` only.
fn stream_name(s: &str) -> Result<String, String> {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Ok(s.to_string())
    } else {
        Err("letters, digits, '_' and '-' only".into())
    }
}

/// A subject prefix: one or more NATS tokens (letters, digits, `_`, `-`) joined by dots.
fn subject_prefix(s: &str) -> Result<String, String> {
    if s.split('.').all(|t| stream_name(t).is_ok()) {
        Ok(s.to_string())
    } else {
        Err("dot-separated tokens of letters, digits, '_' and '-'".into())
    }
}

async fn serve(db: Db, args: &ServeArgs) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let outbound = OutboundPolicy::with_allowlist(&args.outbound_allow)
        .map_err(|e| anyhow::anyhow!("CLEARWAY_OUTBOUND_ALLOW: {e}"))?;
    let payments = payments::config_from_env()?;
    payments::check_provider_urls(&payments, &outbound)?;
    if args.webhook_max_failures == 0 {
        bail!("CLEARWAY_WEBHOOK_MAX_FAILURES must be at least 1");
    }
    if let Some(dir) = &args.notice_templates {
        let (t, n) = templates::load(dir)?;
        clearway_app::notifications::install_templates(t);
        tracing::info!(overrides = n, dir = %dir.display(), "notice templates loaded");
    }
    let notifications = notifications_config(args, &outbound);
    let sync = sync_connector::settings_from_env(&outbound)?;
    let config = Config {
        job_workers: args.job_workers,
        job_lease: Duration::from_secs(args.job_lease_secs),
        lease_ttl: Duration::from_secs(args.lease_ttl_secs.max(1)),
        instance_name: args.instance_name.clone().filter(|n| !n.is_empty()),
        payments,
        outbound,
        webhook_max_failures: args.webhook_max_failures,
        metrics_token: args.metrics_token.clone().filter(|t| !t.is_empty()),
        metrics_addr: args.metrics_addr,
        four_eyes_above: args.four_eyes_above,
        statement_balance_policy: args.statement_balance_policy,
        body_limit_bytes: args.body_limit_mb.saturating_mul(1024 * 1024),
        oidc: access::oidc_from_env()?,
        public_url: args.public_url.clone().filter(|u| !u.is_empty()),
        unsubscribe_key: clearway_server::state::SecretKey::new(&payments::unsubscribe_key(
            &payments::data_dir(),
        )?),
        notifications,
        streams: streams_config(args),
        sync,
        sync_drop: sync_drop_config(args)?,
        ..Config::default()
    };
    let guard = single::take(&db, config.lease_ttl).await?;
    let running = clearway_server::start(db, config, listener).await?;
    println!(
        "clearway serving on http://{}  (API docs: http://{}/api/docs)",
        running.addr, running.addr
    );
    running.run_until_signal().await;
    if let Some(guard) = guard {
        guard.release().await;
    }
    Ok(())
}

fn notifications_config(
    args: &ServeArgs,
    outbound: &OutboundPolicy,
) -> clearway_server::state::NotificationsConfig {
    let mut n = clearway_server::state::NotificationsConfig {
        smtp_url: args.smtp_url.clone().filter(|u| !u.is_empty()),
        sender_workers: args.mail_workers,
        ..Default::default()
    };
    n.sender.from = args.mail_from.clone();
    n.sender.lease = Duration::from_secs(args.mail_lease_secs.max(1));
    n.engine.upcoming_days = i64::from(args.notify_upcoming_days);
    // A message must be answered within its lease, or it would be declared in doubt while
    // its sender still waits.
    n.smtp_timeout = n.smtp_timeout.min(n.sender.lease / 2);
    if let Some(url) = args.public_url.as_deref().filter(|u| !u.is_empty()) {
        n.engine.portal_url = url.to_string();
    }
    let set = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    n.sendgrid = set(&args.sendgrid_api_key).map(|api_key| SendGridConfig {
        base_url: args.sendgrid_url.clone(),
        api_key,
    });
    n.sendgrid_webhook_key = set(&args.sendgrid_webhook_key);
    if let (Some(account_sid), Some(auth_token), Some(from)) = (
        set(&args.twilio_account_sid),
        set(&args.twilio_auth_token),
        set(&args.twilio_from),
    ) {
        n.twilio = Some(TwilioConfig {
            base_url: args.twilio_url.clone(),
            account_sid,
            auth_token,
            from,
        });
    }
    if let (Some(base_url), Some(model), Some(api_key)) = (
        set(&args.writer_url),
        set(&args.writer_model),
        set(&args.writer_api_key),
    ) {
        let config = WriterConfig {
            base_url,
            model,
            api_key,
            timeout: Duration::from_secs(args.writer_timeout_secs.max(1)),
        };
        // The outbound policy's client: the model API is called like any other provider.
        n.sender.writer =
            GreetingWriter::new(config, clearway_server::state::http_client(outbound));
    }
    n
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { db, serve: args } => serve(open(&db).await?, &args).await,
        Command::Migrate { db } => {
            open(&db).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo {
            db,
            investors,
            tokens_out,
            serve: and_serve,
            no_history,
            serve_args,
        } => {
            if investors == 0 {
                bail!("--investors must be at least 1");
            }
            let db = open(&db).await?;
            let started = std::time::Instant::now();
            let (org_id, mut tokens) = match demo::existing_org(&db, demo::DEMO_ORG).await? {
                Some(org) => {
                    println!("demo organization already present; issuing fresh tokens");
                    let tokens = demo::reissue_tokens(&db, &org).await?;
                    (org, tokens)
                }
                None => {
                    let mut options = demo::Options::demo(investors);
                    options.history = !no_history;
                    options.vault = payments::vault(&payments::data_dir())?;
                    let seeded = demo::seed(&db, &options).await?;
                    let history = if no_history {
                        "no history"
                    } else {
                        "3 years of history"
                    };
                    println!(
                        "seeded {investors} investors, DEMO-OPEN, DEMO-LP and DEMO-MMF with {history} in {:.1?}",
                        started.elapsed()
                    );
                    (seeded.org_id, seeded.tokens)
                }
            };
            tokens.sign_in = demo::set_passwords(&db, &org_id).await?;
            println!(
                "web sign-in (http://{}/login), passwords new on every run:",
                serve_args.listen
            );
            for (role, s) in &tokens.sign_in {
                println!("  {role:<9} {:<28} {}", s.email, s.password);
            }
            let json = serde_json::to_string_pretty(&tokens)?;
            match &tokens_out {
                Some(path) => {
                    std::fs::write(path, &json)
                        .with_context(|| format!("writing {}", path.display()))?;
                    println!("tokens written to {}", path.display());
                }
                None => println!("{json}"),
            }
            if and_serve {
                if tokens_out.is_some() {
                    println!("{json}");
                }
                serve(db, &serve_args).await
            } else {
                Ok(())
            }
        }
        Command::Statements { which } => {
            let db = DbArgs {
                database_url: which.database_url(),
            };
            statements::run(open(&db).await?, which).await
        }
        Command::Tax { which } => {
            if let Some(path) = which.check_only() {
                return tax::check(path);
            }
            let db = DbArgs {
                database_url: which.database_url(),
            };
            tax::run(open(&db).await?, which).await
        }
        Command::Payments { db, cmd } => payments::run(&open(&db).await?, cmd).await,
        Command::Schedules {
            which: SchedulesCommand::Materialize { as_of, db },
        } => {
            let db = open(&db).await?;
            let today = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let done = clearway_server::schedules::tick::materialize_all(&db, today).await?;
            let view = clearway_server::schedules::dto::MaterializeView::from(done);
            println!("{}", serde_json::to_string_pretty(&view)?);
            Ok(())
        }
        Command::Nav {
            which:
                NavCommand::Import {
                    file,
                    fund,
                    org,
                    replace,
                    source,
                    db,
                },
        } => {
            let db = open(&db).await?;
            println!(
                "{}",
                nav::import(&db, &file, &fund, org.as_deref(), replace, source).await?
            );
            Ok(())
        }
        Command::Audit {
            which: AuditCommand::Verify { org, db },
        } => audit::verify(&open(&db).await?, org.as_deref()).await,
        Command::Org { cmd } => access::org(&open(cmd.db()).await?, cmd).await,
        Command::User { cmd } => access::user(&open(cmd.db()).await?, cmd).await,
        Command::Token { cmd } => access::token(&open(cmd.db()).await?, cmd).await,
        Command::Templates {
            which: TemplatesCommand::Check { dir },
        } => templates::check(&dir),
        Command::Templates {
            which: TemplatesCommand::Names,
        } => {
            templates::names();
            Ok(())
        }
        Command::Forecast { which } => forecast::run(which),
        Command::Bench { which } => bench::run(which).await,
        Command::Backup { dest, db } => {
            backup::refuse_postgres(&database_url(&db)?)?;
            backup::backup(&open(&db).await?, &dest).await
        }
        Command::Restore { from, replace, db } => {
            backup::restore(&from, &database_url(&db)?, replace).await
        }
    }
}

#[tokio::main]
async fn main() {
    // Logs (CLEARWAY_LOG, CLEARWAY_LOG_FORMAT), traces (CLEARWAY_OTLP_ENDPOINT) and the error
    // reporter (CLEARWAY_SENTRY_DSN); phase spans are debug level, so their close lines show
    // only when debug logging is on for their target.
    let settings = clearway_server::observability::Settings::from_env();
    let telemetry = match clearway_server::observability::init(&settings, std::io::stderr) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("clearway: {e}");
            std::process::exit(2);
        }
    };
    let outcome = run(Cli::parse()).await;
    // Batched spans and queued error reports go out before the process ends.
    telemetry.shutdown().await;
    if let Err(e) = outcome {
        eprintln!("clearway: {e:#}");
        std::process::exit(1);
    }
}

/// The drop sources' settings: a directory and/or an SFTP server, with the organization.
fn sync_drop_config(
    args: &ServeArgs,
) -> anyhow::Result<Option<clearway_server::sync::dropdir::SyncDropConfig>> {
    let sftp = match (
        &args.sync_sftp_url,
        &args.sync_sftp_key_file,
        &args.sync_sftp_host_key,
    ) {
        (None, _, _) => None,
        (Some(url), Some(key), Some(host_key)) => Some(
            clearway_server::sync::sftp::SftpConfig::parse(url, key, host_key)
                .map_err(|e| anyhow::anyhow!("CLEARWAY_SYNC_SFTP_URL: {e}"))?,
        ),
        (Some(_), _, _) => bail!(
            "CLEARWAY_SYNC_SFTP_URL needs CLEARWAY_SYNC_SFTP_KEY_FILE and CLEARWAY_SYNC_SFTP_HOST_KEY (SHA256:… of the server's host key)"
        ),
    };
    if args.sync_drop_dir.is_none() && sftp.is_none() {
        return Ok(None);
    }
    let Some(org) = args.sync_org.as_deref().filter(|o| !o.is_empty()) else {
        bail!("CLEARWAY_SYNC_DROP_DIR and CLEARWAY_SYNC_SFTP_URL need CLEARWAY_SYNC_ORG (the organization the files belong to)")
    };
    Ok(Some(clearway_server::sync::dropdir::SyncDropConfig {
        dir: args.sync_drop_dir.clone(),
        sftp,
        org_id: org.to_string(),
        poll: Duration::from_secs(args.sync_drop_poll_secs.max(1)),
    }))
}

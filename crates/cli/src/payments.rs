//! `clearway payments …`: bank files out of the database (NACHA, pain.001, check register,
//! positive pay), NACHA return files in, stale-dating of checks, re-sealing account numbers
//! under a new key; and the payments settings read from the environment.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use clearway_app::outbound::OutboundPolicy;
use clearway_core::access::Role;
use clearway_core::payments::limits::{AchLimits, NACHA_TOTAL_MAX_MINOR};
use clearway_server::payments::{
    rails, routes, Originator, PaymentsConfig, PlaidConfig, ProviderConfig, SendVia, Vault,
};
use clearway_store::audit::{self, Change};
use clearway_store::{bank_accounts, payment_batches, Actor, Db};
use serde_json::json;

/// Environment variable with the encryption keys (`id:hex64[,id:hex64…]`, first active).
pub const KEYS_ENV: &str = "CLEARWAY_ENCRYPTION_KEYS";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The data directory (`CLEARWAY_DATA_DIR`, default `./clearway-data`).
pub fn data_dir() -> PathBuf {
    env("CLEARWAY_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("clearway-data"))
}

/// The vault: configured keys, else a key generated once into the data directory (with a
/// warning: fine for a demo, not for production, where keys come from a secret store).
pub fn vault(dir: &Path) -> Result<Vault> {
    if let Some(keys) = env(KEYS_ENV) {
        return Vault::from_config(&keys).with_context(|| format!("reading {KEYS_ENV}"));
    }
    let path = dir.join("encryption.key");
    if !path.exists() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let key = Vault::generate("local1")?;
        write_private(&path, &key)?;
        tracing::warn!(path = %path.display(), "{KEYS_ENV} is not set: generated an encryption key for account numbers into the data directory; set {KEYS_ENV} (from a secret store) in production");
    } else {
        tracing::warn!(path = %path.display(), "{KEYS_ENV} is not set: using the encryption key in the data directory");
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Vault::from_config(text.trim()).with_context(|| format!("reading {}", path.display()))
}

/// Environment variable with the key signing unsubscribe links (any text of 32 or more bytes).
pub const UNSUBSCRIBE_KEY_ENV: &str = "CLEARWAY_UNSUBSCRIBE_KEY";

/// The unsubscribe-link key: configured, else generated once into the data directory beside
/// the encryption key (links keep working across restarts; a new key voids old links).
pub fn unsubscribe_key(dir: &Path) -> Result<Vec<u8>> {
    if let Some(key) = env(UNSUBSCRIBE_KEY_ENV) {
        if key.len() < 32 {
            bail!("{UNSUBSCRIBE_KEY_ENV} must be at least 32 bytes");
        }
        return Ok(key.into_bytes());
    }
    let path = dir.join("unsubscribe.key");
    if !path.exists() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        write_private(&path, &Vault::generate("unsubscribe")?)?;
        tracing::warn!(path = %path.display(), "{UNSUBSCRIBE_KEY_ENV} is not set: generated the unsubscribe-link key into the data directory");
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text.trim().as_bytes().to_vec())
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?;
        f.write_all(text.as_bytes())?;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, text).with_context(|| format!("creating {}", path.display()))
    }
}

fn provider(prefix: &str) -> Option<ProviderConfig> {
    Some(ProviderConfig {
        base_url: env(&format!("{prefix}_URL"))?,
        // why: optional settings; a provider missing one refuses the call, which is recorded
        organization_id: env(&format!("{prefix}_ORG_ID")).unwrap_or_default(),
        api_key: env(&format!("{prefix}_API_KEY")).unwrap_or_default(),
        originating_account_id: env(&format!("{prefix}_ACCOUNT_ID")).unwrap_or_default(),
        webhook_secret: env(&format!("{prefix}_WEBHOOK_SECRET")).unwrap_or_default(),
    })
}

/// Refuses provider base URLs the outbound policy refuses (http, userinfo, an internal IP);
/// host names are checked again on every connection by the client's resolver.
pub fn check_provider_urls(c: &PaymentsConfig, policy: &OutboundPolicy) -> Result<()> {
    let urls = [
        (
            "CLEARWAY_MT_URL",
            c.modern_treasury.as_ref().map(|p| &p.base_url),
        ),
        (
            "CLEARWAY_STRIPE_URL",
            c.stripe.as_ref().map(|p| &p.base_url),
        ),
        ("CLEARWAY_PLAID_URL", c.plaid.as_ref().map(|p| &p.base_url)),
    ];
    for (name, url) in urls {
        if let Some(url) = url {
            policy
                .check_static(url)
                .map_err(|e| anyhow::anyhow!("{name} '{url}': {e}"))?;
        }
    }
    Ok(())
}

/// Payments settings from the environment (see the README's configuration table).
pub fn config_from_env() -> Result<PaymentsConfig> {
    let mut c = PaymentsConfig {
        vault: vault(&data_dir())?,
        ..PaymentsConfig::default()
    };
    let d = Originator::default();
    c.originator = Originator {
        company_name: env("CLEARWAY_ACH_COMPANY_NAME").unwrap_or(d.company_name),
        company_id: env("CLEARWAY_ACH_COMPANY_ID").unwrap_or(d.company_id),
        odfi_routing: env("CLEARWAY_ODFI_ROUTING").unwrap_or(d.odfi_routing),
        bank_name: env("CLEARWAY_BANK_NAME").unwrap_or(d.bank_name),
        account_number: env("CLEARWAY_DISBURSEMENT_ACCOUNT").unwrap_or(d.account_number),
        bank_bic: env("CLEARWAY_BANK_BIC").unwrap_or(d.bank_bic),
    };
    if !clearway_formats::ach::aba_checksum_ok(&c.originator.odfi_routing) {
        bail!(
            "CLEARWAY_ODFI_ROUTING '{}' is not a 9-digit routing number with a valid check digit",
            c.originator.odfi_routing
        );
    }
    c.modern_treasury = provider("CLEARWAY_MT");
    c.stripe = provider("CLEARWAY_STRIPE");
    c.plaid = env("CLEARWAY_PLAID_URL").map(|base_url| PlaidConfig {
        base_url,
        // why: optional settings; the service refuses a missing one, which is reported
        client_id: env("CLEARWAY_PLAID_CLIENT_ID").unwrap_or_default(),
        secret: env("CLEARWAY_PLAID_SECRET").unwrap_or_default(),
    });
    c.send_via = match env("CLEARWAY_SEND_VIA").as_deref() {
        None | Some("files") => SendVia::Files,
        Some("providers") => {
            if c.modern_treasury.is_none() && c.stripe.is_none() {
                bail!("CLEARWAY_SEND_VIA=providers needs CLEARWAY_MT_URL or CLEARWAY_STRIPE_URL");
            }
            SendVia::Providers
        }
        Some(other) => bail!("CLEARWAY_SEND_VIA must be 'files' or 'providers', not '{other}'"),
    };
    if let Some(days) = env("CLEARWAY_STALE_CHECK_DAYS") {
        c.stale_check_days = days
            .parse()
            .context("CLEARWAY_STALE_CHECK_DAYS must be a number of days")?;
    }
    if let Some(n) = env("CLEARWAY_FIRST_CHECK_NUMBER") {
        c.first_check_number = n
            .parse()
            .context("CLEARWAY_FIRST_CHECK_NUMBER must be a number")?;
    }
    c.ach_limits = ach_limits(env)?;
    if let Some(s) = env("CLEARWAY_ACH_CUT_SECS") {
        c.ach_cut_every = Duration::from_secs(
            s.parse()
                .context("CLEARWAY_ACH_CUT_SECS must be a whole number of seconds")?,
        );
    }
    if let Some(s) = env("CLEARWAY_WEBHOOK_TOLERANCE_SECS") {
        c.webhook_tolerance = Duration::from_secs(
            s.parse()
                .context("CLEARWAY_WEBHOOK_TOLERANCE_SECS must be seconds")?,
        );
    }
    Ok(c)
}

/// Most entries an ACH file or batch may be configured to hold (6-digit batch count field).
const ACH_ENTRIES_CONFIG_MAX: usize = 999_999;

/// The ODFI's ACH limits from `get` (the environment): `CLEARWAY_ACH_MAX_FILE_ENTRIES`,
/// `CLEARWAY_ACH_MAX_BATCH_ENTRIES` (default: the file's), `CLEARWAY_ACH_MAX_FILE_CREDIT`
/// (decimal dollars) and `CLEARWAY_ACH_SAME_DAY` (`true`/`false`). A bad value is an error
/// naming the variable.
pub fn ach_limits(get: impl Fn(&str) -> Option<String>) -> Result<AchLimits> {
    let mut l = AchLimits::default();
    let count = |name: &str| -> Result<Option<usize>> {
        let Some(v) = get(name) else { return Ok(None) };
        match v.trim().parse::<usize>() {
            Ok(n) if (1..=ACH_ENTRIES_CONFIG_MAX).contains(&n) && v.trim().bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => bail!("{name} must be a whole number of entries from 1 to {ACH_ENTRIES_CONFIG_MAX}, not '{v}'"),
        }
    };
    if let Some(n) = count("CLEARWAY_ACH_MAX_FILE_ENTRIES")? {
        l.max_file_entries = n;
        l.max_batch_entries = n;
    }
    if let Some(n) = count("CLEARWAY_ACH_MAX_BATCH_ENTRIES")? {
        l.max_batch_entries = n;
    }
    if let Some(v) = get("CLEARWAY_ACH_MAX_FILE_CREDIT") {
        l.max_file_credit_minor = dollars_to_cents(v.trim())
            .filter(|c| (1..=NACHA_TOTAL_MAX_MINOR).contains(c))
            .with_context(|| format!("CLEARWAY_ACH_MAX_FILE_CREDIT must be dollars like 2500000.00, from 0.01 to 9999999999.99, not '{v}'"))?;
    }
    l.same_day = match get("CLEARWAY_ACH_SAME_DAY").as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => bail!("CLEARWAY_ACH_SAME_DAY must be 'true' or 'false', not '{other}'"),
    };
    Ok(l)
}

/// `123`, `123.4` or `123.45` dollars as cents; anything else (signs, exponents, separators,
/// a third decimal) is `None`.
fn dollars_to_cents(v: &str) -> Option<i64> {
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (v.contains('.') && !digits(frac)) || frac.len() > 2 {
        return None;
    }
    let cents: i64 = format!("{frac:0<2}").parse().ok()?;
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

/// `clearway payments …` commands.
#[derive(Subcommand)]
pub enum Cmd {
    /// Write the NACHA file of a distribution's ACH payments.
    Nacha {
        /// Distribution id.
        #[arg(long)]
        distribution: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the pain.001 (ISO 20022) file of a distribution's wires.
    Pain001 {
        /// Distribution id.
        #[arg(long)]
        distribution: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the check register of a distribution's checks.
    Checks {
        /// Distribution id.
        #[arg(long)]
        distribution: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write any payment batch's file by batch id.
    File {
        /// Batch id.
        #[arg(long)]
        batch: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the positive-pay CSV of checks issued in a date range.
    PositivePay {
        /// Organization id or name (default: the only one).
        #[arg(long)]
        org: Option<String>,
        /// First issue date (YYYY-MM-DD).
        #[arg(long, value_parser = date_arg)]
        from: chrono::NaiveDate,
        /// Last issue date (YYYY-MM-DD).
        #[arg(long, value_parser = date_arg)]
        to: chrono::NaiveDate,
        /// Columns (see the API's positive-pay endpoint).
        #[arg(
            long,
            default_value = "account,check_number,amount,issue_date,payee,void"
        )]
        columns: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Import a NACHA return / notification-of-change file.
    Returns {
        /// Organization id or name (default: the only one).
        #[arg(long)]
        org: Option<String>,
        /// The file.
        file: PathBuf,
    },
    /// Apply a pain.002 payment status report (the bank's answer to our pain.001 wires):
    /// rejected wires fail with the reason, settled ones complete, accepted / pending ones are
    /// recorded; the same file twice changes nothing.
    StatusReport {
        /// Organization id or name (default: the only one).
        #[arg(long)]
        org: Option<String>,
        /// The pain.002 file.
        file: PathBuf,
    },
    /// Stale-date uncashed checks older than the configured age into unclaimed funds.
    StaleChecks {
        /// Organization id or name (default: the only one).
        #[arg(long)]
        org: Option<String>,
        /// Judge as of this day (YYYY-MM-DD; default today).
        #[arg(long, value_parser = date_arg)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Re-seal every account number under the active encryption key (after adding a new key).
    RotateKeys,
}

fn cli_actor(org_id: &str) -> Actor {
    Actor {
        user_id: "cli".into(),
        org_id: org_id.into(),
        role: Role::Admin,
        investor_id: None,
    }
}

async fn org(db: &Db, wanted: Option<&str>) -> Result<String> {
    let orgs = clearway_store::platform::auth::organizations(db).await?;
    match wanted {
        Some(w) => orgs
            .into_iter()
            .find(|o| o.id == w || o.name == w)
            .map(|o| o.id)
            .with_context(|| format!("no organization '{w}'")),
        None if orgs.len() == 1 => Ok(orgs[0].id.clone()),
        None => bail!("{} organizations exist; name one with --org", orgs.len()),
    }
}

/// The operator's actor in the organization owning something `found` finds (the CLI acts
/// across organizations; each lookup stays confined to one by the store).
async fn owner<T>(
    db: &Db,
    mut found: impl AsyncFnMut(Actor) -> Result<T, clearway_store::StoreError>,
) -> Result<Option<Actor>> {
    for o in clearway_store::platform::auth::organizations(db).await? {
        let actor = cli_actor(&o.id);
        match found(actor.clone()).await {
            Ok(_) => return Ok(Some(actor)),
            Err(clearway_store::StoreError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}

async fn write_batch(
    db: &Db,
    vault: &Vault,
    actor: &Actor,
    batch_id: &str,
    out: &Path,
) -> Result<()> {
    let (batch, sealed) = payment_batches::file(db, actor, batch_id).await?;
    let bytes = vault.open_bytes(&sealed.key_id, &sealed.ciphertext)?;
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    let mut tx = db.begin().await?;
    audit::record(&mut tx, actor, Change { action: "payment_batch.download", entity_type: "payment_batch", entity_id: batch_id, before: None, after: Some(json!({ "fileName": batch.file_name, "sha256": batch.file_sha256, "bytes": bytes.len(), "via": "cli" })) }).await?;
    tx.commit().await?;
    println!(
        "{} ({} payments, {} {}) written to {}",
        // why: display only
        batch.file_name.unwrap_or_default(),
        batch.payment_count,
        clearway_core::Currency::parse(&batch.currency)
            .map(|c| c.format_minor(batch.total_minor))
            .unwrap_or_default(),
        batch.currency,
        out.display()
    );
    Ok(())
}

async fn distribution_file(
    db: &Db,
    vault: &Vault,
    distribution: &str,
    kind: &str,
    out: &Path,
) -> Result<()> {
    let actor = owner(db, async |a| {
        clearway_store::distributions::get(db, &a, distribution).await
    })
    .await?
    .with_context(|| format!("no distribution '{distribution}'"))?;
    let batches =
        payment_batches::list(db, &actor, Some(kind), Some(distribution), None, 1000).await?;
    let Some(latest) = batches.first() else {
        bail!("distribution {distribution} has no {kind} file (has it been processed, and does it pay by this method?)");
    };
    if batches.len() > 1 {
        // Wires go out one file per currency, and retries make further files: name them all.
        println!(
            "{} {kind} files exist for this distribution (one per currency or per ACH file limit, plus retries); writing the newest, {} (use `clearway payments file --batch ID` for another):",
            batches.len(),
            latest.id
        );
        for b in &batches {
            println!(
                "  {}  {} payment(s) in {}  {}",
                b.id,
                b.payment_count,
                b.currency,
                b.file_name.as_deref().unwrap_or("")
            );
        }
    }
    write_batch(db, vault, &actor, &latest.id, out).await
}

/// Runs a `clearway payments` command.
pub async fn run(db: &Db, cmd: Cmd) -> Result<()> {
    let config = config_from_env()?;
    let vault = &config.vault;
    match cmd {
        Cmd::Nacha { distribution, out } => {
            distribution_file(db, vault, &distribution, "NACHA", &out).await
        }
        Cmd::Pain001 { distribution, out } => {
            distribution_file(db, vault, &distribution, "PAIN001", &out).await
        }
        Cmd::Checks { distribution, out } => {
            distribution_file(db, vault, &distribution, "CHECK_REGISTER", &out).await
        }
        Cmd::File { batch, out } => {
            let actor = owner(db, async |a| payment_batches::get(db, &a, &batch).await)
                .await?
                .with_context(|| format!("no batch '{batch}'"))?;
            write_batch(db, vault, &actor, &batch, &out).await
        }
        Cmd::PositivePay {
            org: o,
            from,
            to,
            columns,
            out,
        } => {
            let actor = cli_actor(&org(db, o.as_deref()).await?);
            let checks = clearway_store::payments::checks_issued(db, &actor, from, to).await?;
            let cols: Vec<&str> = columns.split(',').map(str::trim).collect();
            let csv = routes::positive_pay_csv(
                &config.originator.account_number,
                &checks,
                &cols,
                "%Y-%m-%d",
                true,
            );
            std::fs::write(&out, csv).with_context(|| format!("writing {}", out.display()))?;
            println!("{} checks written to {}", checks.len(), out.display());
            Ok(())
        }
        Cmd::Returns { org: o, file } => {
            let actor = cli_actor(&org(db, o.as_deref()).await?);
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let mut tx = db.begin().await?;
            let outcome = rails::import_returns(&mut tx, &actor, vault, &bytes)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            tx.commit().await?;
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &clearway_server::payments::dto::ReturnsOutcome::from(outcome),
                )?
            );
            Ok(())
        }
        Cmd::StatusReport { org: o, file } => {
            let actor = cli_actor(&org(db, o.as_deref()).await?);
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let outcome = clearway_app::payments::status_reports::import(db, &actor, &bytes)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &clearway_server::payments::dto::StatusReportView::from(&outcome),
                )?
            );
            Ok(())
        }
        Cmd::StaleChecks { org: o, as_of } => {
            let actor = cli_actor(&org(db, o.as_deref()).await?);
            let today = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let out = clearway_app::payments::checks::stale_date_all(
                db,
                &actor,
                today,
                config.stale_check_days,
            )
            .await?;
            println!(
                "{} checks stale-dated (uncashed more than {} days) into unclaimed funds",
                out.payment_ids.len(),
                config.stale_check_days
            );
            Ok(())
        }
        Cmd::RotateKeys => {
            let mut total = 0;
            loop {
                let mut tx = db.begin().await?;
                let rows =
                    bank_accounts::rows_to_reseal(&mut tx, vault.active_key_id(), 500).await?;
                if rows.is_empty() {
                    break;
                }
                for (id, sealed) in &rows {
                    let fresh = vault.reseal(sealed).with_context(|| {
                        format!(
                            "payee {id}: the key '{}' that sealed it is not configured",
                            sealed.key_id
                        )
                    })?;
                    bank_accounts::store_resealed(&mut tx, id, &fresh).await?;
                }
                tx.commit().await?;
                total += rows.len();
            }
            // Investors' TINs are sealed by the same vault: rotate them too.
            let tins = clearway_app::tax::profiles::reseal_tins(db, vault).await?;
            println!(
                "{total} account numbers and {tins} TINs re-sealed under key '{}'",
                vault.active_key_id()
            );
            Ok(())
        }
    }
}

/// A date argument in the API's one strict grammar (chrono's own parser takes `2026-3-2`).
fn date_arg(text: &str) -> Result<chrono::NaiveDate, String> {
    clearway_core::input::parse_date("date", text).map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Args {
        #[command(subcommand)]
        cmd: Cmd,
    }

    #[test]
    fn ach_limits_come_from_the_environment_strictly() {
        let with = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            ach_limits(move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            })
        };
        assert_eq!(with(&[]).unwrap(), AchLimits::default());
        let l = with(&[
            ("CLEARWAY_ACH_MAX_FILE_ENTRIES", "7"),
            ("CLEARWAY_ACH_MAX_FILE_CREDIT", "2500000.5"),
            ("CLEARWAY_ACH_SAME_DAY", "true"),
        ])
        .unwrap();
        assert_eq!(
            (
                l.max_file_entries,
                l.max_batch_entries,
                l.max_file_credit_minor,
                l.same_day
            ),
            (7, 7, 250_000_050, true)
        );
        let l = with(&[
            ("CLEARWAY_ACH_MAX_FILE_ENTRIES", "20000"),
            ("CLEARWAY_ACH_MAX_BATCH_ENTRIES", "500"),
        ])
        .unwrap();
        assert_eq!((l.max_file_entries, l.max_batch_entries), (20_000, 500));
        for (name, bad) in [
            ("CLEARWAY_ACH_MAX_FILE_ENTRIES", "0"),
            ("CLEARWAY_ACH_MAX_FILE_ENTRIES", "+5"),
            ("CLEARWAY_ACH_MAX_FILE_ENTRIES", "1000000"),
            ("CLEARWAY_ACH_MAX_BATCH_ENTRIES", "ten"),
            ("CLEARWAY_ACH_MAX_FILE_CREDIT", "1e6"),
            ("CLEARWAY_ACH_MAX_FILE_CREDIT", "-5"),
            ("CLEARWAY_ACH_MAX_FILE_CREDIT", "1,000"),
            ("CLEARWAY_ACH_MAX_FILE_CREDIT", "10.001"),
            ("CLEARWAY_ACH_MAX_FILE_CREDIT", "0.00"),
            ("CLEARWAY_ACH_MAX_FILE_CREDIT", "10000000000.00"),
            ("CLEARWAY_ACH_MAX_FILE_CREDIT", "5."),
            ("CLEARWAY_ACH_SAME_DAY", "yes"),
        ] {
            let e = with(&[(name, bad)]).unwrap_err().to_string();
            assert!(
                e.starts_with(name) && !e.contains('\n'),
                "{name}={bad}: {e}"
            );
        }
    }

    #[test]
    fn date_arguments_are_strict() {
        let parse = |d: &str| Args::try_parse_from(["x", "stale-checks", "--as-of", d]);
        assert!(parse("2026-03-02").is_ok());
        for bad in [
            "2026-3-2",
            "26-03-01",
            "+2026-03-02",
            "9999-12-31",
            "0000-01-01",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}

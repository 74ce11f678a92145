//! `clearway statements import FILE…`: reads and stores every file in one transaction, each
//! in chunks with its `reconciliation.match` job (nothing is written if any is unreadable,
//! truncated or mis-totalled); `--match` also runs matching at once.
//!
//! `clearway statements bank-file --distribution ID`: the BAI2 statement a bank would send for
//! a distribution's sent payments, to rehearse reconciliation end to end (no bank here).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use clearway_app::reconciliation::{self as app, ImportOptions};
use clearway_core::reconciliation::MatchConfig;
use clearway_formats::statements::{BalancePolicy, FileFormat, SheetOptions};
use clearway_store::{auth, statements, Actor, Db};
use indicatif::{ProgressBar, ProgressStyle};

/// Statement commands.
#[derive(Subcommand)]
pub enum Which {
    /// Import bank statement files (BAI2, camt.052/053/054, MT940/MT942, CSV, XLSX).
    Import {
        /// Files to import.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Format of every file (bai2, camt053, mt940, ofx, csv, xlsx); detected when absent.
        #[arg(long)]
        format: Option<String>,
        /// CSV/XLSX preset (detected when absent).
        #[arg(long)]
        preset: Option<String>,
        /// CSV: a debit/credit indicator column (header name or 0-based index) that signs the
        /// unsigned amount column.
        #[arg(long)]
        indicator_column: Option<String>,
        /// CSV: words of the indicator column meaning a debit (default D,DR,Debit,DBIT,Af).
        #[arg(long, value_delimiter = ',')]
        indicator_debit: Option<Vec<String>>,
        /// CSV: words of the indicator column meaning a credit (default C,CR,Credit,CRDT,Bij).
        #[arg(long, value_delimiter = ',')]
        indicator_credit: Option<Vec<String>>,
        /// Account when a file names none.
        #[arg(long)]
        account: Option<String>,
        /// Currency when a file names none (one that contradicts the file is refused).
        #[arg(long)]
        currency: Option<String>,
        /// A statement whose opening balance + lines is not its closing balance: `refuse` the
        /// file or import it with a `warn`ing.
        #[arg(
            long,
            default_value = "refuse",
            env = "CLEARWAY_STATEMENT_BALANCE_POLICY"
        )]
        balance_policy: BalancePolicy,
        /// Organization (id or name); optional when the database holds one organization.
        #[arg(long)]
        org: Option<String>,
        /// Run matching right after the import (otherwise the server's workers run it).
        #[arg(long = "match")]
        run_match: bool,
        /// `postgres://…` for PostgreSQL, `sqlite:PATH` for SQLite; default SQLite in ./clearway-data/.
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
    },
    /// Write the BAI2 statement a bank would report for a distribution's SENT payments in one
    /// currency: each ACH batch posted as one debit, wires by end-to-end id, checks by number.
    BankFile {
        /// Distribution id.
        #[arg(long)]
        distribution: String,
        /// Currency of the account (payments in other currencies are left out).
        #[arg(long, default_value = "USD")]
        currency: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Organization (id or name); optional when the database holds one organization.
        #[arg(long)]
        org: Option<String>,
        /// `postgres://…` for PostgreSQL, `sqlite:PATH` for SQLite; default SQLite in ./clearway-data/.
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
    },
}

impl Which {
    /// The database the command runs on.
    pub fn database_url(&self) -> Option<String> {
        match self {
            Which::Import { database_url, .. } | Which::BankFile { database_url, .. } => {
                database_url.clone()
            }
        }
    }
}

/// The organization to act in: `--org` (id or name), or the only one.
pub(crate) async fn organization(db: &Db, org: Option<&str>) -> Result<String> {
    let mut found: Vec<String> = auth::organizations(db)
        .await?
        .into_iter()
        .filter(|o| org.is_none_or(|x| x == o.id || x == o.name))
        .map(|o| o.id)
        .collect();
    match (found.len(), org) {
        (1, _) => Ok(found.remove(0)),
        (0, Some(o)) => bail!("no organization '{o}'"),
        (0, None) => bail!("the database has no organization (run `clearway demo` first)"),
        (_, _) => bail!("several organizations: pass --org ID"),
    }
}

/// Runs a statements command.
pub async fn run(db: Db, which: Which) -> Result<()> {
    if let Which::BankFile {
        distribution,
        currency,
        out,
        org,
        database_url: _,
    } = which
    {
        return bank_file(&db, &distribution, &currency, &out, org.as_deref()).await;
    }
    let Which::Import {
        files,
        format,
        preset,
        indicator_column,
        indicator_debit,
        indicator_credit,
        account,
        currency,
        balance_policy,
        org,
        run_match,
        database_url: _,
    } = which
    else {
        unreachable!("bank-file returned above");
    };
    let format = format
        .as_deref()
        .map(str::parse::<FileFormat>)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let options = ImportOptions {
        format,
        sheet: SheetOptions {
            preset,
            overrides: clearway_formats::statements::csv::Overrides {
                indicator_column: indicator_column
                    .as_deref()
                    .map(clearway_formats::statements::csv::Column::parse),
                indicator_debit,
                indicator_credit,
                currency: currency.clone(),
                account_id: account.clone(),
                ..Default::default()
            },
        },
        account,
        currency,
        balance_policy,
    };
    let org_id = organization(&db, org.as_deref()).await?;
    let actor = Actor::system(&org_id);
    import_files(&db, &actor, &files, &options).await?;
    if run_match {
        let s = app::run_now(&db, &actor, "MANUAL", &MatchConfig::default()).await?;
        println!(
            "matching: {} line(s) considered, {} matched, {} returned, {} exception(s)",
            s.lines_considered, s.matched_lines, s.returned_lines, s.exceptions
        );
    }
    Ok(())
}

/// Reads and stores every file in one transaction (refusing all if one is unreadable), each
/// in chunks so memory stays bounded by one file's bytes, and prints what each added.
async fn import_files(
    db: &Db,
    actor: &Actor,
    files: &[PathBuf],
    options: &ImportOptions,
) -> Result<()> {
    let mut total: u64 = 0;
    for f in files {
        total += std::fs::metadata(f)
            .with_context(|| format!("{}", f.display()))?
            .len();
    }
    let bar = ProgressBar::new(total).with_style(ProgressStyle::with_template(
        "{msg:30} {bar:40} {bytes}/{total_bytes}",
    )?);
    let mut tx = db.begin().await?;
    let mut outcomes = Vec::with_capacity(files.len());
    for f in files {
        bar.set_message(format!("importing {}", f.display()));
        let bytes = std::fs::read(f).with_context(|| format!("{}", f.display()))?;
        let o = app::import::store_file(&mut tx, actor, &bytes, options)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        // why: a usize length always fits a u64 (progress display only)
        bar.inc(bytes.len() as u64);
        outcomes.push((f, o));
    }
    tx.commit().await?;
    bar.finish_and_clear();
    for (f, o) in &outcomes {
        let lines: i64 = o.statements.iter().map(|s| s.line_count).sum();
        if o.duplicate {
            println!(
                "{}: already imported as {} (nothing added)",
                f.display(),
                o.file.id
            );
        } else {
            println!(
                "{}: {} ({}{}), {} statement(s), {lines} line(s), file {}",
                f.display(),
                o.file.format,
                o.file.sha256.get(..12).unwrap_or(""),
                o.file
                    .preset
                    .as_deref()
                    .map(|p| format!(", preset {p}"))
                    .unwrap_or_default(), // why: no preset, nothing to show
                o.statements.len(),
                o.file.id
            );
        }
        print_statements(&o.statements);
    }
    Ok(())
}

/// One line per statement (account, currency, lines, encoding), then its warnings: an empty
/// statement or a guessed encoding must not pass unseen.
fn print_statements(statements: &[statements::StatementRecord]) {
    for s in statements {
        println!(
            "  statement {}: account {}, {}, {} line(s), encoding {}",
            s.id,
            s.account_id,
            s.currency.code(),
            s.line_count,
            s.encoding.as_deref().unwrap_or("-") // why: XLSX has no text encoding
        );
        for w in &s.warnings {
            println!("    warning: {w}");
        }
    }
}

/// Writes the bank's view of a distribution's sent payments as a BAI2 file.
async fn bank_file(
    db: &Db,
    distribution: &str,
    currency: &str,
    out: &std::path::Path,
    org: Option<&str>,
) -> Result<()> {
    let org_id = organization(db, org).await?;
    let currency = clearway_core::Currency::parse(currency).map_err(anyhow::Error::msg)?;
    let actor = Actor::system(&org_id);
    let lines = statements::bank_view(db, &actor, distribution, currency).await?;
    if lines.is_empty() {
        bail!("distribution {distribution} has no SENT payments in {currency}");
    }
    let file_id = format!("D{}", distribution.replace('-', "").get(..12).unwrap_or(""));
    let text = app::simulation_bai2(&lines, "000123456789", &file_id);
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    println!("{}: {} statement line(s)", out.display(), lines.len());
    Ok(())
}

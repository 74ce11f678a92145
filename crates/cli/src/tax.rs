//! `clearway tax fire --year Y --out FILE [--corrected] [--test]`: writes the IRS FIRE file
//! (Publication 1220) of a closed year's issued 1099-DIVs not yet filed, checked before it is
//! stored and written; `clearway tax fire --check FILE` checks a file of any origin.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use clearway_app::tax::fire::{create_file, FireRequest};
use clearway_store::tax::fire::file_content_tx;
use clearway_store::{Actor, Db};

/// Tax commands.
#[derive(Subcommand)]
pub enum Which {
    /// Write (or, with --check, check) an IRS FIRE file of Forms 1099-DIV.
    Fire {
        /// The closed tax year.
        #[arg(long, required_unless_present = "check")]
        year: Option<i32>,
        /// Output file.
        #[arg(long, required_unless_present = "check")]
        out: Option<PathBuf>,
        /// The corrected returns (indicator G) not yet filed, instead of the originals.
        #[arg(long)]
        corrected: bool,
        /// A test file (T record test indicator; the forms stay unfiled).
        #[arg(long)]
        test: bool,
        /// Only check this file against the Publication 1220 record layout.
        #[arg(long, conflicts_with_all = ["year", "out"])]
        check: Option<PathBuf>,
        /// Organization (id or name); optional when the database holds one organization.
        #[arg(long)]
        org: Option<String>,
        /// `postgres://…` for PostgreSQL, `sqlite:PATH` for SQLite; default SQLite in ./clearway-data/.
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
    },
}

impl Which {
    /// The database URL given, if any.
    pub fn database_url(&self) -> Option<String> {
        match self {
            Which::Fire { database_url, .. } => database_url.clone(),
        }
    }

    /// Whether the command needs no database.
    pub fn check_only(&self) -> Option<&PathBuf> {
        match self {
            Which::Fire { check, .. } => check.as_ref(),
        }
    }
}

/// Checks a FIRE file and prints what it holds.
pub fn check(path: &PathBuf) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    match clearway_formats::tax::fire_check::check(&bytes) {
        Ok(s) => {
            println!(
                "{}: clean; {} payer(s), {} payee(s)",
                path.display(),
                s.payers,
                s.payees
            );
            for (code, total) in &s.totals {
                println!("  amount code {code}: {total} cents");
            }
            Ok(())
        }
        Err(issues) => {
            for i in &issues {
                eprintln!(
                    "record {} positions {}-{}: {}",
                    i.record, i.position.0, i.position.1, i.message
                );
            }
            bail!("{}: {} issue(s)", path.display(), issues.len())
        }
    }
}

/// Runs a tax command against the database.
pub async fn run(db: Db, which: Which) -> Result<()> {
    let Which::Fire {
        year,
        out,
        corrected,
        test,
        org,
        ..
    } = which;
    let (Some(year), Some(out)) = (year, out) else {
        bail!("--year and --out are required");
    };
    let org_id = crate::statements::organization(&db, org.as_deref()).await?;
    let actor = Actor::system(&org_id);
    let mut tx = db.begin().await?;
    let vault = crate::payments::vault(&crate::payments::data_dir())?;
    let file = create_file(
        &mut tx,
        &actor,
        &vault,
        FireRequest {
            year,
            corrected,
            test,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (_, content) = file_content_tx(&mut tx, &actor, &file.id).await?;
    std::fs::write(&out, content.as_bytes())
        .with_context(|| format!("writing {}", out.display()))?;
    // Stored and marked only once the file is on disk.
    tx.commit().await?;
    println!(
        "{}: FIRE file {} ({}), {} payer(s), {} payee(s), sha256 {}",
        out.display(),
        file.id,
        file.kind,
        file.payers,
        file.payees,
        file.sha256
    );
    Ok(())
}

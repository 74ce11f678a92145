//! `clearway nav import FILE --fund CODE`: loads NAVs per share from a CSV file into one fund,
//! all or nothing, with a progress bar while the file is read. Any bad row stops the import
//! with a one-line error naming the line and field, and nothing is written.

use std::io::BufReader;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clearway_app::reinvestment::nav::{self as nav_import, parse_csv, NavImport};
use clearway_core::access::Role;
use clearway_store::{funds, Actor, Db};
use indicatif::{ProgressBar, ProgressStyle};

/// Finds the fund by code (or id), in the organization named `org` when given.
async fn find_fund(db: &Db, code: &str, org: Option<&str>) -> Result<(String, String)> {
    let found = funds::locate(db, code, org).await?;
    match found.as_slice() {
        [] => match org {
            Some(o) => bail!("fund {code} not found in organization '{o}'"),
            None => bail!("fund {code} not found"),
        },
        [one] => Ok((one.fund_id.clone(), one.org_id.clone())),
        many => bail!(
            "fund code {code} exists in {} organizations; name one with --org",
            many.len()
        ),
    }
}

/// Runs the import; returns the line printed on success.
pub async fn import(
    db: &Db,
    file: &Path,
    fund_code: &str,
    org: Option<&str>,
    replace: bool,
    source: Option<String>,
) -> Result<String> {
    let (fund_id, org_id) = find_fund(db, fund_code, org).await?;
    let actor = Actor {
        user_id: "cli:nav-import".into(),
        org_id,
        role: Role::Admin,
        investor_id: None,
    };
    let fund = funds::find_fund(db, &actor, &fund_id).await?;
    let handle =
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    // Only sizes the progress bar: an unknown size shows no total, the import is unaffected.
    let size = handle.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = ProgressBar::new(size).with_style(ProgressStyle::with_template(
        "reading {msg} {bar:40} {bytes}/{total_bytes} ({eta})",
    )?);
    bar.set_message(file.display().to_string());
    let points = parse_csv(BufReader::with_capacity(1 << 20, handle), &fund, |b| {
        bar.set_position(b)
    });
    bar.finish_and_clear();
    let points = points.map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!("writing {} NAVs of {}", points.len(), fund.code));
    spinner.enable_steady_tick(Duration::from_millis(120));
    // A path without a file name (e.g. `..`) cannot have been read as a file; the label
    // would then just be `csv:`.
    let source = source.unwrap_or_else(|| {
        format!(
            "csv:{}",
            file.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        )
    });
    let cmd = NavImport::new(&points, &source, replace)?;
    let mut tx = db.begin().await?;
    let outcome = nav_import::import(&mut tx, &actor, &fund, &cmd).await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            spinner.finish_and_clear();
            bail!("{}: {e}", file.display());
        }
    };
    tx.commit().await?;
    spinner.finish_and_clear();
    // parse_csv refuses a file without rows, so both are always there.
    let first = points.iter().map(|p| p.date).min();
    let last = points.iter().map(|p| p.date).max();
    Ok(format!(
        "{}: {} NAVs read ({} to {}); {} new, {} unchanged, {} replaced",
        fund.code,
        points.len(),
        first.map(|d| d.to_string()).unwrap_or_default(),
        last.map(|d| d.to_string()).unwrap_or_default(),
        outcome.inserted,
        outcome.unchanged,
        outcome.replaced
    ))
}

//! `clearway backup` and `clearway restore`: SQLite's online backup (a consistent copy while
//! `serve` runs, see [`clearway_store::backup`]) and its restore with the server stopped.
//! PostgreSQL is backed up with `pg_dump` and restored with `pg_restore`; both commands say so.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clearway_store::{Backend, Db, DbOptions};

/// What to tell a PostgreSQL user.
const PG_HINT: &str = "PostgreSQL is backed up with pg_dump: `pg_dump --format=custom --file=clearway.dump \"$DATABASE_URL\"`, and restored into an empty database with `pg_restore --no-owner --dbname=\"$DATABASE_URL\" clearway.dump` (see docs/operations.md)";

/// Refuses a PostgreSQL URL with the pg_dump instruction (before connecting to it).
pub fn refuse_postgres(url: &str) -> Result<()> {
    if url.starts_with("postgres") {
        bail!("{PG_HINT}");
    }
    Ok(())
}

/// Copies the running database `db` to `dest` (refused if it exists), then checks the copy.
pub async fn backup(db: &Db, dest: &Path) -> Result<()> {
    if db.backend() == Backend::Postgres {
        bail!("{PG_HINT}");
    }
    if dest.exists() {
        bail!(
            "{} exists; a backup never overwrites a file",
            dest.display()
        );
    }
    // Written under a temporary name and renamed when whole: an interrupted backup never
    // leaves a file that looks like one.
    let partial = with_suffix(dest, ".partial");
    let _ = std::fs::remove_file(&partial);
    clearway_store::backup::sqlite_into(db, &partial)
        .await
        .context("VACUUM INTO")?;
    check(&partial).await?;
    std::fs::rename(&partial, dest)
        .with_context(|| format!("renaming the backup to {}", dest.display()))?;
    let bytes = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    println!("backup written to {} ({bytes} bytes)", dest.display());
    Ok(())
}

/// Puts the backup `from` in place of the SQLite database of `url` (the server stopped);
/// an existing database is replaced only with `replace`.
pub async fn restore(from: &Path, url: &str, replace: bool) -> Result<()> {
    refuse_postgres(url)?;
    let target = PathBuf::from(
        url.strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url),
    );
    if target.exists() && !replace {
        bail!(
            "{} exists; stop the server and pass --replace to restore over it",
            target.display()
        );
    }
    check(from).await?;
    let partial = with_suffix(&target, ".restoring");
    std::fs::copy(from, &partial).with_context(|| format!("copying {}", from.display()))?;
    // The old database's write-ahead log belongs to the old file: replayed onto the restored
    // one it would corrupt it.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&target, suffix));
    }
    std::fs::rename(&partial, &target)
        .with_context(|| format!("moving the backup to {}", target.display()))?;
    println!("restored {} to {}", from.display(), target.display());
    Ok(())
}

/// Opens a backup file and runs SQLite's quick check over it.
async fn check(path: &Path) -> Result<()> {
    let url = format!("sqlite:{}", path.display());
    let db = Db::connect(&url, &DbOptions { max_connections: 1 })
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let verdict = clearway_store::backup::sqlite_check(&db).await;
    db.close().await;
    // Opening in WAL mode may leave side files next to a file that is only read.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
    match verdict?.as_str() {
        "ok" => Ok(()),
        other => bail!("{} fails SQLite's quick check: {other}", path.display()),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

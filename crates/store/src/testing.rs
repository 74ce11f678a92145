//! Fresh, isolated databases for tests and benchmarks (a new PostgreSQL database, or a new
//! SQLite file), so runs never see each other's data.

use crate::{Db, DbOptions, StoreError};

/// A database created for one test or benchmark run; [`Fresh::drop_database`] removes it.
pub struct Fresh {
    /// Connected and migrated database.
    pub db: Db,
    /// Its URL.
    pub url: String,
    admin_url: Option<String>,
    name: String,
}

/// Creates a fresh database next to `base_url` (PostgreSQL: `CREATE DATABASE` on that
/// server; anything else: a new SQLite file in the temp dir), migrated.
pub async fn fresh_database(
    base_url: Option<&str>,
    options: &DbOptions,
) -> Result<Fresh, StoreError> {
    let name = format!("clearway_t_{}", uuid::Uuid::new_v4().simple());
    let (url, admin_url) = match base_url {
        Some(base) if base.starts_with("postgres") => {
            let admin = Db::connect(base, &DbOptions { max_connections: 1 }).await?;
            admin
                .execute_script(&format!("CREATE DATABASE {name}"))
                .await?;
            admin.close().await;
            (replace_db_name(base, &name), Some(base.to_string()))
        }
        _ => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            (format!("sqlite:{}", path.display()), None)
        }
    };
    let db = Db::connect(&url, options).await?;
    crate::migrate::run(&db).await?;
    Ok(Fresh {
        db,
        url,
        admin_url,
        name,
    })
}

impl Fresh {
    /// Closes the pools and removes the database.
    pub async fn drop_database(self) {
        self.db.close().await;
        match self.admin_url {
            Some(admin_url) => {
                if let Ok(admin) = Db::connect(&admin_url, &DbOptions { max_connections: 1 }).await
                {
                    let _ = admin
                        .execute_script(&format!(
                            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                            self.name
                        ))
                        .await;
                    admin.close().await;
                }
            }
            None => {
                let path = self.url.trim_start_matches("sqlite:").to_string();
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
        }
    }
}

/// Swaps the database name (the path) of a PostgreSQL URL, keeping any query string.
fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, qs)) => (b, Some(qs)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..host_end], name);
    if let Some(qs) = query {
        out.push('?');
        out.push_str(qs);
    }
    out
}

/// Whole-database counts a benchmark checks its run with (a fresh benchmark database, every
/// organization: these are operator checks, not application reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Lines unsettled or whose reinvested + cash + withholding differ from the total.
    UntiedLines,
    /// Distributions.
    Distributions,
    /// COMPLETED distributions.
    CompletedDistributions,
    /// `distribution.completed` events.
    CompletedEvents,
    /// (aggregate, event type) pairs emitted more than once.
    DuplicateEvents,
    /// Jobs queued or running (payment retries aside).
    BusyJobs,
    /// Jobs not done (payment retries aside).
    UnfinishedJobs,
}

impl Check {
    fn sql(self) -> &'static str {
        match self {
            Check::UntiedLines => "SELECT COUNT(*) AS n FROM distribution_lines WHERE cash_minor IS NULL OR reinvested_minor + cash_minor + withholding_minor <> total_minor",
            Check::Distributions => "SELECT COUNT(*) AS n FROM distributions",
            Check::CompletedDistributions => "SELECT COUNT(*) AS n FROM distributions WHERE status = 'COMPLETED'",
            Check::CompletedEvents => "SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'distribution.completed'",
            Check::DuplicateEvents => "SELECT COUNT(*) AS n FROM (SELECT aggregate_id, event_type FROM outbox GROUP BY aggregate_id, event_type HAVING COUNT(*) > 1) d",
            Check::BusyJobs => "SELECT COUNT(*) AS n FROM jobs WHERE status IN ('QUEUED','RUNNING') AND kind <> 'payment.retry'",
            Check::UnfinishedJobs => "SELECT COUNT(*) AS n FROM jobs WHERE status <> 'DONE' AND kind <> 'payment.retry'",
        }
    }
}

/// Runs one benchmark [`Check`].
pub async fn count(db: &Db, check: Check) -> Result<i64, StoreError> {
    db.fetch_optional(crate::q(check.sql()))
        .await?
        // A COUNT without GROUP BY always answers one row.
        .ok_or_else(|| StoreError::Corrupt(format!("{check:?} returned no row")))?
        .i64("n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            super::replace_db_name("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            super::replace_db_name("postgres://h/test?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(
            super::replace_db_name("postgres://h", "x"),
            "postgres://h/x"
        );
    }
}

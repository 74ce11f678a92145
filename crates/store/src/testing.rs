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

//! One SQL text, two databases: a thin layer over sqlx's PostgreSQL and SQLite drivers.
//!
//! Every query is written once with `$1…$n` placeholders and portable SQL; values cross as
//! `i64` or `TEXT` (money as integer minor units, decimals such as shares and NAV as
//! canonical decimal strings, dates as ISO text), so both backends store and compare the
//! same things the same way. Only bulk loading differs (COPY on PostgreSQL, one prepared
//! INSERT stepped per row through SQLite's C API, see `sqlite_bulk`), and both load identical rows.
//!
//! SQLite runs with one writer connection and a pool of read-only connections (WAL mode):
//! write transactions queue in the pool instead of failing with `SQLITE_BUSY`.
//!
//! Every other place the backends differ, or a fast path depends on one, lives beside this
//! file: `bulk` (COPY text and row sinks) with `sqlite_bulk` (the C-API loader), `packed`
//! (many rows read as one value), `scan` (many rows read without a row each), `dialect` (per-backend SQL text, row locks) and `planner`
//! (PostgreSQL planner hints). Capability modules call these rather than branch on
//! [`Backend`].

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection as _, Postgres, Row as _, Sqlite};

use crate::StoreError;

pub(crate) mod audit_chain;
mod bulk;
pub(crate) mod dialect;
mod packed;
pub(crate) mod planner;
mod scan;
mod sqlite_bulk;

pub(crate) use audit_chain::AuditRow;
pub use bulk::{placeholders, ArgRows, CopyText, RowSink, RowSource};
pub use packed::{fetch_packed, unpack};

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL, the production backend.
    Postgres,
    /// SQLite, the embedded default.
    Sqlite,
}

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    /// An integer (money in minor units, counts, flags).
    I64(Option<i64>),
    /// Text (ids, decimals, dates, JSON).
    Text(Option<String>),
    /// Bytes (stored documents): BYTEA on PostgreSQL, a BLOB on SQLite.
    Bytes(Vec<u8>),
}

impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::I64(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_string))
    }
}

/// A query: SQL text with `$n` placeholders and its arguments.
#[derive(Debug, Clone)]
pub struct Q {
    sql: Cow<'static, str>,
    args: Vec<Arg>,
}

/// Starts a query.
pub fn q(sql: impl Into<Cow<'static, str>>) -> Q {
    Q {
        sql: sql.into(),
        args: Vec::new(),
    }
}

impl Q {
    /// Binds the next placeholder.
    pub fn bind(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Binds the next placeholder in place (for loops).
    pub fn push(&mut self, value: impl Into<Arg>) {
        self.args.push(value.into());
    }

    fn pg(&self) -> sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments> {
        let mut query = sqlx::query(&self.sql);
        for arg in &self.args {
            query = match arg {
                Arg::I64(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.as_deref()),
                Arg::Bytes(v) => query.bind(v.as_slice()),
            };
        }
        query
    }

    pub(crate) fn sqlite(
        &self,
    ) -> sqlx::query::Query<'_, Sqlite, sqlx::sqlite::SqliteArguments<'_>> {
        let mut query = sqlx::query(&self.sql);
        for arg in &self.args {
            query = match arg {
                Arg::I64(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.as_deref()),
                Arg::Bytes(v) => query.bind(v.as_slice()),
            };
        }
        query
    }
}

/// A result row from either backend, read by column name.
pub enum Row {
    /// PostgreSQL row.
    Pg(PgRow),
    /// SQLite row.
    Sqlite(SqliteRow),
}

impl Row {
    /// An integer column.
    pub fn i64(&self, col: &str) -> Result<i64, StoreError> {
        Ok(match self {
            Row::Pg(r) => r.try_get(col)?,
            Row::Sqlite(r) => r.try_get(col)?,
        })
    }

    /// A nullable integer column.
    pub fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError> {
        Ok(match self {
            Row::Pg(r) => r.try_get(col)?,
            Row::Sqlite(r) => r.try_get(col)?,
        })
    }

    /// A text column.
    pub fn text(&self, col: &str) -> Result<String, StoreError> {
        Ok(match self {
            Row::Pg(r) => r.try_get(col)?,
            Row::Sqlite(r) => r.try_get(col)?,
        })
    }

    /// A nullable text column.
    pub fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        Ok(match self {
            Row::Pg(r) => r.try_get(col)?,
            Row::Sqlite(r) => r.try_get(col)?,
        })
    }

    /// A bytes column (BYTEA / BLOB).
    pub fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError> {
        Ok(match self {
            Row::Pg(r) => r.try_get(col)?,
            Row::Sqlite(r) => r.try_get(col)?,
        })
    }

    /// A text column parsed with `FromStr` (statuses, decimals, dates).
    pub fn parse<T: FromStr>(&self, col: &str) -> Result<T, StoreError>
    where
        T::Err: std::fmt::Display,
    {
        let text = self.text(col)?;
        text.parse()
            .map_err(|e: T::Err| StoreError::Corrupt(format!("column {col} = '{text}': {e}")))
    }
}

/// Connection pools for one database.
#[derive(Clone, Debug)]
pub struct Db {
    pools: Pools,
}

#[derive(Clone, Debug)]
enum Pools {
    Pg(PgPool),
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        /// The database file (its WAL is this path with `-wal`).
        path: std::path::PathBuf,
        /// Whether this process wrote since the WAL was last truncated (see `checkpointer`).
        wrote: std::sync::Arc<std::sync::atomic::AtomicBool>,
        /// Alive while any clone of the [`Db`] is: the checkpointer stops when it goes.
        _checkpoints: std::sync::Arc<()>,
    },
}

/// The size SQLite cuts the WAL file back to whenever the log restarts (`journal_size_limit`);
/// without it the file keeps its largest size forever.
pub const WAL_SIZE_LIMIT_BYTES: u64 = 16 * 1024 * 1024;
/// How long a connection waits for a lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// WAL pages (4 KiB) past which the checkpointer truncates the log instead of only copying it.
const TRUNCATE_ABOVE_PAGES: i64 = 4096;
/// Commits checkpoint by themselves only past this many pages (256 MiB): a backstop should the
/// checkpointer fall behind, far above what one processing step writes (see `connect`).
const AUTOCHECKPOINT_PAGES: &str = "65536";

/// Checkpoints the SQLite WAL into the database file every half second on a connection of
/// its own, while `alive` has an owner. PASSIVE: it never waits for, nor blocks, readers or
/// the writer; committed transactions are durable in the WAL already (synchronous = FULL).
/// When the log has grown past [`TRUNCATE_ABOVE_PAGES`] (a bulk write, or readers that kept
/// it from restarting), [`truncate_wal`] empties it between two write transactions — only in
/// a process that wrote: a TRUNCATE takes the write lock, and another process's write
/// transaction that has already read then fails with "database is locked" (a read-only
/// process, e.g. a test or a report next to the server, must never cause that).
fn checkpointer(
    mut conn: sqlx::SqliteConnection,
    write: SqlitePool,
    wrote: std::sync::Arc<std::sync::atomic::AtomicBool>,
    alive: std::sync::Weak<()>,
) {
    use std::sync::atomic::Ordering;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if alive.strong_count() == 0 {
                break;
            }
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&mut conn)
                .await
            {
                Ok((_, log_pages, _))
                    if log_pages > TRUNCATE_ABOVE_PAGES && wrote.load(Ordering::Relaxed) =>
                {
                    match truncate_wal(&write).await {
                        Ok(true) => wrote.store(false, Ordering::Relaxed),
                        Ok(false) => {}
                        Err(e) => {
                            tracing::debug!(error = %e, log_pages, "SQLite WAL truncation deferred")
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "SQLite checkpoint failed; retrying"),
            }
        }
        let _ = conn.close().await;
    });
}

/// A TRUNCATE checkpoint on the writer connection, queued like a write transaction: being the
/// writer it conflicts with no write (on a connection of its own it made concurrent writers
/// fail with "database is locked"); it waits for readers on old snapshots for at most 200 ms,
/// else it is retried on a later tick. True when the WAL was emptied.
async fn truncate_wal(write: &SqlitePool) -> Result<bool, sqlx::Error> {
    let mut conn = write.acquire().await?;
    sqlx::query("PRAGMA busy_timeout = 200")
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(&mut *conn)
        .await;
    let restored =
        sqlx::query(format!("PRAGMA busy_timeout = {}", BUSY_TIMEOUT.as_millis()).as_str())
            .execute(&mut *conn)
            .await;
    if restored.is_err() {
        // Never hand writers a connection with the short timeout.
        drop(conn.detach());
    }
    done.map(|(busy, _, _)| busy == 0)
}

/// Options for opening a database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Connections in the PostgreSQL pool, or read connections for SQLite.
    pub max_connections: u32,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            max_connections: 16,
        }
    }
}

impl Db {
    /// Opens `url`: `postgres://…` selects PostgreSQL, `sqlite:PATH` (or a plain path) SQLite.
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Db, StoreError> {
        let pools = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(url)?.disable_statement_logging();
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(connect)
                .await?;
            Pools::Pg(pool)
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"));
            let path = path.unwrap_or(url);
            let base = SqliteConnectOptions::new()
                .filename(path)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a committed payment instruction survives power loss, not only a crash.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(BUSY_TIMEOUT)
                // 64 MiB of page cache per connection: line indexes of large distributions
                // otherwise fall out of SQLite's 2 MiB default and every insert pages.
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory")
                // Checkpoints run beside the writer (see `checkpointer`), not inside the commit
                // that crosses 1,000 WAL pages: a 100,000-line step's commit otherwise also
                // copied its whole WAL into the database file (+0.4–0.8 s). The commit's own
                // checkpoint stays as a far-off backstop.
                .pragma("wal_autocheckpoint", AUTOCHECKPOINT_PAGES)
                .pragma("journal_size_limit", WAL_SIZE_LIMIT_BYTES.to_string())
                .disable_statement_logging();
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(120))
                .connect_with(base.clone().create_if_missing(true))
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(options.max_connections)
                .connect_with(base.clone().read_only(true))
                .await?;
            let checkpoints = std::sync::Arc::new(());
            let wrote = std::sync::Arc::default();
            checkpointer(
                base.connect().await?,
                write.clone(),
                std::sync::Arc::clone(&wrote),
                std::sync::Arc::downgrade(&checkpoints),
            );
            Pools::Sqlite {
                write,
                read,
                path: path.into(),
                wrote,
                _checkpoints: checkpoints,
            }
        };
        Ok(Db { pools })
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Pg(_) => Backend::Postgres,
            Pools::Sqlite { .. } => Backend::Sqlite,
        }
    }

    /// Size in bytes of the SQLite write-ahead log (none on PostgreSQL, or when it does not
    /// exist): reported by benchmarks, bounded by the checkpointer.
    pub fn wal_bytes(&self) -> Option<u64> {
        match &self.pools {
            Pools::Pg(_) => None,
            Pools::Sqlite { path, .. } => {
                let mut wal = path.clone().into_os_string();
                wal.push("-wal");
                std::fs::metadata(wal).ok().map(|m| m.len())
            }
        }
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match &self.pools {
            Pools::Pg(p) => Conn::Pg(p.begin().await?),
            Pools::Sqlite { write, wrote, .. } => {
                wrote.store(true, std::sync::atomic::Ordering::Relaxed);
                // IMMEDIATE: the write lock is taken at BEGIN, where the busy timeout waits
                // for another process's writer (or WAL truncation). A deferred transaction
                // that has read first fails at once with "database is locked" instead.
                Conn::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?)
            }
        }
        .into())
    }

    /// Runs a read query outside a transaction.
    pub async fn fetch_all(&self, query: Q) -> Result<Vec<Row>, StoreError> {
        Ok(match &self.pools {
            Pools::Pg(p) => query
                .pg()
                .fetch_all(p)
                .await?
                .into_iter()
                .map(Row::Pg)
                .collect(),
            Pools::Sqlite { read, .. } => query
                .sqlite()
                .fetch_all(read)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
        })
    }

    /// Runs a read query expected to return at most one row.
    pub async fn fetch_optional(&self, query: Q) -> Result<Option<Row>, StoreError> {
        Ok(match &self.pools {
            Pools::Pg(p) => query.pg().fetch_optional(p).await?.map(Row::Pg),
            Pools::Sqlite { read, .. } => {
                query.sqlite().fetch_optional(read).await?.map(Row::Sqlite)
            }
        })
    }

    /// Runs raw multi-statement SQL (migrations) on the write connection.
    pub async fn execute_script(&self, sql: &str) -> Result<(), StoreError> {
        match &self.pools {
            Pools::Pg(p) => {
                sqlx::raw_sql(sql).execute(p).await?;
            }
            Pools::Sqlite { write, .. } => {
                sqlx::raw_sql(sql).execute(write).await?;
            }
        }
        Ok(())
    }

    /// Closes all connections.
    pub async fn close(&self) {
        match &self.pools {
            Pools::Pg(p) => p.close().await,
            Pools::Sqlite { write, read, .. } => {
                read.close().await;
                write.close().await;
            }
        }
    }
}

/// An open write transaction; dropped without [`Tx::commit`] it rolls back. Audit entries
/// written in it wait in `audit` and join their organization's hash chain at commit.
pub struct Tx {
    conn: Conn,
    audit: Vec<AuditRow>,
}

/// The backend transaction under a [`Tx`].
enum Conn {
    /// PostgreSQL transaction.
    Pg(sqlx::Transaction<'static, Postgres>),
    /// SQLite transaction (on the single writer connection).
    Sqlite(sqlx::Transaction<'static, Sqlite>),
}

impl Tx {
    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Pg(_) => Backend::Postgres,
            Conn::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Executes a statement, returning the number of rows affected.
    pub async fn execute(&mut self, query: Q) -> Result<u64, StoreError> {
        Ok(match &mut self.conn {
            Conn::Pg(tx) => query.pg().execute(&mut **tx).await?.rows_affected(),
            Conn::Sqlite(tx) => query.sqlite().execute(&mut **tx).await?.rows_affected(),
        })
    }

    /// Fetches all rows.
    pub async fn fetch_all(&mut self, query: Q) -> Result<Vec<Row>, StoreError> {
        Ok(match &mut self.conn {
            Conn::Pg(tx) => query
                .pg()
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(Row::Pg)
                .collect(),
            Conn::Sqlite(tx) => query
                .sqlite()
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
        })
    }

    /// Fetches at most one row.
    pub async fn fetch_optional(&mut self, query: Q) -> Result<Option<Row>, StoreError> {
        Ok(match &mut self.conn {
            Conn::Pg(tx) => query.pg().fetch_optional(&mut **tx).await?.map(Row::Pg),
            Conn::Sqlite(tx) => query
                .sqlite()
                .fetch_optional(&mut **tx)
                .await?
                .map(Row::Sqlite),
        })
    }

    /// Runs a `SELECT COUNT(*) AS n …` query and returns `n` (0 when no row comes back).
    pub async fn count(&mut self, query: Q) -> Result<i64, StoreError> {
        self.fetch_optional(query)
            .await?
            .map(|r| r.i64("n"))
            .transpose()
            .map(|n| n.unwrap_or(0))
    }

    /// The PostgreSQL transaction itself, for the benchmarks' raw baselines (which measure
    /// the store against sqlx alone); `None` on SQLite.
    pub fn raw_postgres(&mut self) -> Option<&mut sqlx::Transaction<'static, Postgres>> {
        match &mut self.conn {
            Conn::Pg(tx) => Some(tx),
            Conn::Sqlite(_) => None,
        }
    }

    /// Queues an audit row; it is chained and written at [`Tx::commit`].
    pub(crate) fn push_audit(&mut self, row: AuditRow) {
        self.audit.push(row);
    }

    /// Writes the queued audit rows into their organizations' chains, then commits. The
    /// chain head is locked last, just before COMMIT, so holding it never waits on another
    /// lock and concurrent writers of one organization cannot deadlock over it.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let audit = std::mem::take(&mut self.audit);
        use tracing::Instrument as _;
        audit_chain::append(&mut self, audit)
            .instrument(tracing::debug_span!("audit_chain"))
            .await?;
        let span = tracing::debug_span!("commit");
        match self.conn {
            Conn::Pg(tx) => tx.commit().instrument(span).await?,
            Conn::Sqlite(tx) => tx.commit().instrument(span).await?,
        }
        Ok(())
    }
}

impl From<Conn> for Tx {
    fn from(conn: Conn) -> Tx {
        Tx {
            conn,
            audit: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::testing::fresh_database;
    use crate::{q, Db, DbOptions};

    /// Two processes writing one SQLite file (here: two pools, as the server and a CLI import
    /// would have): a write transaction that reads before it writes, while the other holds
    /// the write lock, waits for it and then commits. With a deferred BEGIN it failed at once
    /// with "database is locked" (the read snapshot cannot be upgraded), which surfaced as a
    /// 500 in the crash test.
    #[tokio::test]
    async fn a_second_process_writer_waits_for_the_lock_instead_of_failing() {
        let fresh = fresh_database(None, &DbOptions::default()).await.unwrap();
        fresh
            .db
            .execute_script("CREATE TABLE t (k TEXT PRIMARY KEY)")
            .await
            .unwrap();
        let other = Db::connect(&fresh.url, &DbOptions::default())
            .await
            .unwrap();
        let mut holder = fresh.db.begin().await.unwrap();
        holder
            .execute(q("INSERT INTO t (k) VALUES ('a')"))
            .await
            .unwrap();
        let waiter = tokio::spawn(async move {
            let mut tx = other.begin().await?;
            let n = tx.count(q("SELECT COUNT(*) AS n FROM t")).await?;
            tx.execute(q("INSERT INTO t (k) VALUES ('b')")).await?;
            tx.commit().await?;
            Ok::<i64, crate::StoreError>(n)
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        holder.commit().await.unwrap();
        let seen = waiter
            .await
            .unwrap()
            .expect("the second writer waits, then commits");
        assert_eq!(seen, 1, "it read after the first commit");
        let rows = fresh
            .db
            .fetch_all(q("SELECT k FROM t ORDER BY k"))
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        fresh.drop_database().await;
    }
}

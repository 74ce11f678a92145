//! Bulk loading and bulk updates on SQLite through one prepared statement stepped once per row.
//!
//! sqlx runs every SQLite statement on the connection's worker thread and boxes each bound
//! value; for the processing step's 60,000-row tables that handoff, not SQLite, was most of
//! the time (a 2,000-row multi-row INSERT also has to be parsed and compiled per chunk). Here
//! the transaction's own connection is locked (sqlx's worker waits meanwhile) and the rows go
//! straight through the C API: prepare once, bind, step, reset. No crate does this for sqlx;
//! it is the documented fast path of SQLite itself (<https://sqlite.org/c3ref/stmt.html>).
//!
//! A row SQLite refuses (a constraint, say) is replayed through sqlx, so the caller gets the
//! same typed error as from any other query (e.g. [`crate::StoreError::is_unique_violation`]).

use std::ffi::{c_int, CStr, CString};
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::SqliteConnection;

use super::{ArgRows, RowSink, RowSource};
use crate::{q, StoreError};

/// A prepared statement, finalized on drop (also on the error paths).
pub(super) struct Statement(pub(super) *mut ffi::sqlite3_stmt);

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the pointer came from a successful sqlite3_prepare_v2 and is finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.0);
        }
    }
}

/// The connection's last error message.
pub(super) fn message(db: NonNull<ffi::sqlite3>) -> String {
    // SAFETY: the handle is open; sqlite3_errmsg returns a NUL-terminated UTF-8 string owned
    // by the connection, copied here before any other call.
    unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) }
        .to_string_lossy()
        .into_owned()
}

/// Prepares `sql` on the open, locked connection `db`; a refusal is `Corrupt` with SQLite's
/// message after `what`.
pub(super) fn prepare(
    db: NonNull<ffi::sqlite3>,
    sql: &str,
    what: &str,
) -> Result<Statement, StoreError> {
    let sql = CString::new(sql).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut raw = ptr::null_mut();
    // SAFETY: `db` is the open connection locked by the caller; `sql` is NUL-terminated.
    let rc = unsafe {
        ffi::sqlite3_prepare_v2(db.as_ptr(), sql.as_ptr(), -1, &mut raw, ptr::null_mut())
    };
    if rc != ffi::SQLITE_OK {
        return Err(StoreError::Corrupt(format!("{what}: {}", message(db))));
    }
    Ok(Statement(raw))
}

/// Inserts `rows` into `table` within the transaction open on `conn`.
pub(crate) async fn insert<R: RowSource + ?Sized>(
    conn: &mut SqliteConnection,
    table: &str,
    columns: &[&str],
    rows: &R,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        vec!["?"; columns.len()].join(",")
    );
    each(conn, &sql, rows).await.map(drop)
}

/// Runs `sql` (with `?` parameters) once per row of `rows`, bound from the row, within the
/// transaction open on `conn`; returns the indices of the rows whose statement changed no row
/// (an UPDATE whose WHERE found nothing).
pub(crate) async fn each<R: RowSource + ?Sized>(
    conn: &mut SqliteConnection,
    sql: &str,
    rows: &R,
) -> Result<Vec<usize>, StoreError> {
    let mut unchanged = Vec::new();
    let mut from = 0;
    while from < rows.len() {
        let failed = {
            let mut handle = conn.lock_handle().await?;
            let db = handle.as_raw_handle();
            step_all(db, sql, rows, from, &mut unchanged)?
        };
        let Some((at, why)) = failed else {
            return Ok(unchanged);
        };
        // Replay the refused row through sqlx for its typed error; should it pass now (a
        // transient condition), carry on with the rest.
        let mut row = ArgRows::with_capacity(1);
        rows.write(at, &mut row);
        let mut replay = q(sql.to_string());
        for value in row.rows.into_iter().flatten() {
            replay.push(value);
        }
        if replay.sqlite().execute(&mut *conn).await?.rows_affected() == 0 {
            unchanged.push(at);
        }
        tracing::debug!(why, "bulk row passed on replay");
        from = at + 1;
    }
    Ok(unchanged)
}

/// Binds each field of a row into the prepared statement as it is written, and steps the
/// statement at the row's end.
struct Binder {
    statement: Statement,
    db: NonNull<ffi::sqlite3>,
    /// Fields written to the current row so far (the last one's parameter index).
    index: c_int,
    /// Parameters of the statement: the fields every row must have.
    columns: c_int,
    /// Reused for fields written by `Display`.
    scratch: String,
    /// A binding SQLite refused (the row is then not stepped).
    bind_error: Option<String>,
    /// The step SQLite refused, with its message.
    refused: Option<String>,
    /// Whether the last row stepped changed no row.
    unchanged: bool,
}

impl Binder {
    fn next_index(&mut self) -> c_int {
        self.index += 1;
        self.index
    }

    fn check(&mut self, rc: c_int) {
        if rc != ffi::SQLITE_OK && self.bind_error.is_none() {
            self.bind_error = Some(format!(
                "binding column {} of a bulk insert: {}",
                self.index,
                message(self.db)
            ));
        }
    }
}

/// Binds `value` as text at `index`, copied by SQLite (SQLITE_TRANSIENT) with its exact byte
/// length, so no lifetime or NUL-termination is assumed.
fn bind_text(statement: &Statement, index: c_int, value: &str) -> c_int {
    // SAFETY: the statement is live (owned by the caller's Binder).
    unsafe {
        ffi::sqlite3_bind_text(
            statement.0,
            index,
            value.as_ptr().cast(),
            c_int::try_from(value.len()).unwrap_or(c_int::MAX),
            ffi::SQLITE_TRANSIENT(),
        )
    }
}

impl RowSink for Binder {
    fn text(&mut self, value: &str) -> &mut Self {
        let index = self.next_index();
        let rc = bind_text(&self.statement, index, value);
        self.check(rc);
        self
    }

    fn null(&mut self) -> &mut Self {
        let index = self.next_index();
        // SAFETY: the statement is live.
        let rc = unsafe { ffi::sqlite3_bind_null(self.statement.0, index) };
        self.check(rc);
        self
    }

    fn int(&mut self, value: i64) -> &mut Self {
        let index = self.next_index();
        // SAFETY: the statement is live.
        let rc = unsafe { ffi::sqlite3_bind_int64(self.statement.0, index, value) };
        self.check(rc);
        self
    }

    fn plain(&mut self, value: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write as _;
        let index = self.next_index();
        self.scratch.clear();
        // Writing into a String cannot fail.
        let _ = write!(self.scratch, "{value}");
        let rc = bind_text(&self.statement, index, &self.scratch);
        self.check(rc);
        self
    }

    fn end_row(&mut self) {
        let written = std::mem::replace(&mut self.index, 0);
        // A short row would step with the previous row's values still bound in its last
        // parameters (reset keeps bindings), so it is refused.
        if written != self.columns && self.bind_error.is_none() {
            self.bind_error = Some(format!(
                "a bulk insert row has {written} fields for {} columns",
                self.columns
            ));
        }
        if self.bind_error.is_some() {
            return;
        }
        // SAFETY: the statement is live and fully bound.
        let rc = unsafe { ffi::sqlite3_step(self.statement.0) };
        // SAFETY: as above; reset makes it reusable (bindings are replaced on the next row).
        unsafe { ffi::sqlite3_reset(self.statement.0) };
        if rc == ffi::SQLITE_DONE {
            // SAFETY: the connection is open; this reads the count of the statement just done.
            self.unchanged = unsafe { ffi::sqlite3_changes(self.db.as_ptr()) } == 0;
        } else {
            self.refused = Some(message(self.db));
        }
    }
}

/// Steps rows `from..` through one prepared statement, noting in `unchanged` the rows that
/// changed nothing; on a refused row, returns its index and SQLite's message (the rows before
/// it stay written, as with any statement in a transaction).
fn step_all<R: RowSource + ?Sized>(
    db: NonNull<ffi::sqlite3>,
    sql: &str,
    rows: &R,
    from: usize,
    unchanged: &mut Vec<usize>,
) -> Result<Option<(usize, String)>, StoreError> {
    let statement = prepare(db, sql, "preparing a bulk statement")?;
    // SAFETY: the statement is live.
    let columns = unsafe { ffi::sqlite3_bind_parameter_count(statement.0) };
    let mut binder = Binder {
        statement,
        db,
        index: 0,
        columns,
        scratch: String::new(),
        bind_error: None,
        refused: None,
        unchanged: false,
    };
    for at in from..rows.len() {
        rows.write(at, &mut binder);
        if let Some(why) = binder.bind_error.take() {
            return Err(StoreError::Corrupt(why));
        }
        if let Some(why) = binder.refused.take() {
            return Ok(Some((at, why)));
        }
        if std::mem::take(&mut binder.unchanged) {
            unchanged.push(at);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use crate::testing::fresh_database;
    use crate::{q, DbOptions};

    use crate::db::{Arg, RowSink, RowSource};

    /// Integers, text (with a quote, a tab and non-ASCII) and NULLs arrive as bound, and a row
    /// SQLite refuses comes back as sqlx's typed unique violation, the rows before it kept.
    #[tokio::test]
    async fn rows_arrive_as_bound_and_a_refused_row_is_a_typed_error() {
        let fresh = fresh_database(None, &DbOptions::default()).await.unwrap();
        let db = fresh.db.clone();
        db.execute_script("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT, s TEXT)")
            .await
            .unwrap();
        let rows: Vec<Vec<Arg>> = (0..5_000i64)
            .map(|i| {
                vec![
                    format!("k{i:05}").into(),
                    if i % 7 == 0 {
                        Arg::I64(None)
                    } else {
                        (i * 1_000_003).into()
                    },
                    if i % 11 == 0 {
                        Arg::Text(None)
                    } else {
                        format!("O'Brien\t{i} é").into()
                    },
                ]
            })
            .collect();
        let mut tx = db.begin().await.unwrap();
        tx.bulk_insert("t", &["k", "n", "s"], &rows).await.unwrap();
        // k00002 again, after a new key: the new key stays, the duplicate is refused.
        let again: Vec<Vec<Arg>> = vec![
            vec!["new".into(), 1i64.into(), "x".into()],
            vec!["k00002".into(), 2i64.into(), "y".into()],
        ];
        let refused = tx.bulk_insert("t", &["k", "n", "s"], &again).await;
        assert!(
            refused.as_ref().is_err_and(|e| e.is_unique_violation()),
            "{refused:?}"
        );
        tx.commit().await.unwrap();
        let row = db
            .fetch_optional(q("SELECT COUNT(*) AS c, SUM(n) AS total, SUM(CASE WHEN n IS NULL THEN 1 ELSE 0 END) AS null_n, SUM(CASE WHEN s IS NULL THEN 1 ELSE 0 END) AS null_s FROM t"))
            .await
            .unwrap()
            .unwrap();
        let expected: i64 = (0..5_000i64)
            .filter(|i| i % 7 != 0)
            .map(|i| i * 1_000_003)
            .sum();
        assert_eq!(row.i64("c").unwrap(), 5_001);
        assert_eq!(row.i64("total").unwrap(), expected + 1);
        assert_eq!(row.i64("null_n").unwrap(), 715);
        assert_eq!(row.i64("null_s").unwrap(), 455);
        let one = db
            .fetch_optional(q("SELECT n, s FROM t WHERE k = 'k00013'"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(one.i64("n").unwrap(), 13 * 1_000_003);
        assert_eq!(one.text("s").unwrap(), "O'Brien\t13 é");
        fresh.drop_database().await;
    }

    /// A bulk UPDATE by key: every row is bound and stepped, and the rows whose WHERE found
    /// nothing (an unknown key, a version that moved) come back by index.
    #[tokio::test]
    async fn updates_step_per_row_and_report_the_rows_that_changed_nothing() {
        let fresh = fresh_database(None, &DbOptions::default()).await.unwrap();
        let db = fresh.db.clone();
        db.execute_script(
            "CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT NOT NULL, s TEXT);
             INSERT INTO t VALUES ('a', 1, NULL), ('b', 1, NULL), ('c', 2, NULL);",
        )
        .await
        .unwrap();
        let rows: Vec<Vec<Arg>> = [("a", 1), ("x", 1), ("b", 1), ("c", 1)]
            .iter()
            .map(|(k, v)| vec![format!("new {k}").into(), (*k).into(), (*v as i64).into()])
            .collect();
        let mut tx = db.begin().await.unwrap();
        let unchanged = tx
            .sqlite_each(
                "UPDATE t SET s = ?, v = v + 1 WHERE k = ? AND v = ?",
                &rows[..],
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // 'x' is unknown and 'c' has another version.
        assert_eq!(unchanged, Some(vec![1, 3]));
        let got = db
            .fetch_all(q("SELECT k, v, s FROM t ORDER BY k"))
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.text("k").unwrap(),
                    r.i64("v").unwrap(),
                    r.opt_text("s").unwrap(),
                )
            })
            .collect::<Vec<_>>();
        assert_eq!(
            got,
            vec![
                ("a".into(), 2, Some("new a".into())),
                ("b".into(), 2, Some("new b".into())),
                ("c".into(), 2, None),
            ]
        );
        fresh.drop_database().await;
    }

    /// Rows of (key, amount) whose third field is written by `Display`, and one short row.
    struct Shares {
        short_at: Option<usize>,
    }

    impl RowSource for Shares {
        fn len(&self) -> usize {
            3
        }

        fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
            sink.text(&format!("r{at}")).int(at as i64 * 10);
            if self.short_at != Some(at) {
                sink.plain(rust_decimal::Decimal::new(12_345 + at as i64, 4));
            }
            sink.end_row();
        }
    }

    /// Fields written by `Display` arrive as their text; a row short of fields is refused
    /// whole instead of stepping with the previous row's value still bound.
    #[tokio::test]
    async fn display_fields_bind_as_text_and_a_short_row_is_refused() {
        let fresh = fresh_database(None, &DbOptions::default()).await.unwrap();
        let db = fresh.db.clone();
        db.execute_script("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT, shares TEXT)")
            .await
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        let short = tx
            .bulk_load("t", &["k", "n", "shares"], &Shares { short_at: Some(1) })
            .await;
        assert!(
            short
                .as_ref()
                .is_err_and(|e| e.to_string().contains("2 fields for 3 columns")),
            "{short:?}"
        );
        drop(tx);
        let mut tx = db.begin().await.unwrap();
        tx.bulk_load("t", &["k", "n", "shares"], &Shares { short_at: None })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let count = db
            .fetch_optional(q("SELECT COUNT(*) AS n FROM t"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(count.i64("n").unwrap(), 3);
        let row = db
            .fetch_optional(q(
                "SELECT n, shares, typeof(shares) AS ty FROM t WHERE k = 'r2'",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.i64("n").unwrap(), 20);
        assert_eq!(row.text("shares").unwrap(), "1.2347");
        assert_eq!(row.text("ty").unwrap(), "text");
        fresh.drop_database().await;
    }
}

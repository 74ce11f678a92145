//! Large reads without a [`super::Row`] per row: every field handed to the caller as borrowed
//! text while the backend's own buffer holds it.
//!
//! Reading 1,000,000 statement lines through sqlx rows cost seconds on either backend: on
//! SQLite each row crosses from the connection's worker thread boxed, and every field is
//! looked up by name and copied into a `String`. Here SQLite is stepped through its C API on
//! the transaction's own (locked) connection, as `sqlite_bulk` does for inserts, and
//! PostgreSQL sends the result as `COPY … TO STDOUT` text, split and unescaped in place.

use std::ffi::{c_int, CString};
use std::ptr::NonNull;

use futures_util::StreamExt as _;
use libsqlite3_sys as ffi;
use sqlx::SqliteConnection;

use super::sqlite_bulk::{message, prepare, Statement};
use super::{Arg, Conn, Tx};
use crate::StoreError;

impl Tx {
    /// Runs `sql` (a `SELECT` with `$n` placeholders bound to `params`) and calls `each` with
    /// every row's fields as text, `None` for NULL (integers arrive as their decimal text).
    /// For reads of many rows; `each` may refuse a row, which ends the read with its error.
    pub async fn scan(
        &mut self,
        sql: &str,
        params: &[Arg],
        mut each: impl FnMut(&[Option<&str>]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        match &mut self.conn {
            Conn::Sqlite(tx) => scan_sqlite(tx, sql, params, &mut each).await,
            Conn::Pg(tx) => {
                let statement = format!("COPY ({}) TO STDOUT", inline(sql, params)?);
                let mut stream = tx.copy_out_raw(&statement).await?;
                let mut rows = CopyRows::default();
                while let Some(chunk) = stream.next().await {
                    rows.feed(&chunk?, &mut each)?;
                }
                rows.finish(&mut each)
            }
        }
    }
}

/// `sql` with its `$n` placeholders replaced by SQL literals (COPY takes no parameters).
/// Text is an `E'…'` literal with quotes and backslashes escaped, so no value can end it.
fn inline(sql: &str, params: &[Arg]) -> Result<String, StoreError> {
    let mut out = String::with_capacity(sql.len() + 64);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '$' || !chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) {
            out.push(c);
            continue;
        }
        let mut n = 0usize;
        while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
            n = n * 10 + (*d as usize - '0' as usize);
            chars.next();
        }
        let arg = n
            .checked_sub(1)
            .and_then(|i| params.get(i))
            .ok_or_else(|| StoreError::Corrupt(format!("scan: no parameter ${n}")))?;
        match arg {
            Arg::I64(Some(v)) => out.push_str(&v.to_string()),
            Arg::I64(None) | Arg::Text(None) => out.push_str("NULL"),
            Arg::Bytes(b) => {
                out.push_str("'\\x");
                out.push_str(&hex::encode(b));
                out.push_str("'::bytea");
            }
            Arg::Text(Some(s)) => {
                if s.contains('\0') {
                    return Err(StoreError::Corrupt("scan: NUL in a parameter".into()));
                }
                out.push_str("E'");
                for ch in s.chars() {
                    match ch {
                        '\'' => out.push_str("''"),
                        '\\' => out.push_str("\\\\"),
                        c => out.push(c),
                    }
                }
                out.push('\'');
            }
        }
    }
    Ok(out)
}

/// Rows of COPY text arriving in chunks that may cut a row anywhere.
#[derive(Default)]
struct CopyRows {
    /// The unfinished row of the previous chunk.
    carry: Vec<u8>,
    /// Unescaped fields of the current row (reused).
    fields: Vec<Option<String>>,
}

impl CopyRows {
    fn feed(
        &mut self,
        chunk: &[u8],
        each: &mut impl FnMut(&[Option<&str>]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|b| *b == b'\n') {
            if self.carry.is_empty() {
                self.row(&rest[..end], each)?;
            } else {
                let mut line = std::mem::take(&mut self.carry);
                line.extend_from_slice(&rest[..end]);
                self.row(&line, each)?;
            }
            rest = &rest[end + 1..];
        }
        self.carry.extend_from_slice(rest);
        Ok(())
    }

    fn finish(
        &mut self,
        each: &mut impl FnMut(&[Option<&str>]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        if self.carry.is_empty() {
            return Ok(());
        }
        let line = std::mem::take(&mut self.carry);
        self.row(&line, each)
    }

    /// One row: tab-separated fields, `\N` for NULL, backslash escapes.
    fn row(
        &mut self,
        line: &[u8],
        each: &mut impl FnMut(&[Option<&str>]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let line = std::str::from_utf8(line)
            .map_err(|e| StoreError::Corrupt(format!("COPY text is not UTF-8: {e}")))?;
        // Plain fields are borrowed; only a field with an escape is rebuilt into `fields`.
        let mut views: Vec<Option<&str>> = Vec::with_capacity(16);
        let mut owned_at: Vec<usize> = Vec::new();
        self.fields.clear();
        for field in line.split('\t') {
            if field == "\\N" {
                views.push(None);
            } else if field.contains('\\') {
                owned_at.push(views.len());
                self.fields.push(Some(unescape(field)));
                views.push(Some(""));
            } else {
                views.push(Some(field));
            }
        }
        for (k, at) in owned_at.iter().enumerate() {
            views[*at] = self.fields[k].as_deref();
        }
        each(&views)
    }
}

/// Undoes COPY text escaping (`\\`, `\t`, `\n`, `\r`, and the rarer `\b`, `\f`, `\v`).
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

async fn scan_sqlite(
    conn: &mut SqliteConnection,
    sql: &str,
    params: &[Arg],
    each: &mut impl FnMut(&[Option<&str>]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle();
    let statement = prepare(db, sql, "scan")?;
    bind(db, &statement, params)?;
    // SAFETY: the statement is live.
    let columns = unsafe { ffi::sqlite3_column_count(statement.0) };
    let mut fields: Vec<Option<&str>> = Vec::with_capacity(columns as usize);
    loop {
        // SAFETY: the statement is live and bound; the connection is locked by us.
        match unsafe { ffi::sqlite3_step(statement.0) } {
            ffi::SQLITE_ROW => {}
            ffi::SQLITE_DONE => return Ok(()),
            _ => return Err(StoreError::Corrupt(format!("scan: {}", message(db)))),
        }
        fields.clear();
        for i in 0..columns {
            fields.push(column_text(&statement, i)?);
        }
        each(&fields)?;
    }
}

/// Binds `$n` to `params[n - 1]` (by name: SQLite numbers named parameters by first use).
fn bind(db: NonNull<ffi::sqlite3>, st: &Statement, params: &[Arg]) -> Result<(), StoreError> {
    for (i, arg) in params.iter().enumerate() {
        let name = CString::new(format!("${}", i + 1)).expect("no NUL in a parameter name");
        // SAFETY: the statement is live; `name` is NUL-terminated.
        let index = unsafe { ffi::sqlite3_bind_parameter_index(st.0, name.as_ptr()) };
        if index == 0 {
            continue; // not used by this statement
        }
        // SAFETY: as above; text is copied by SQLite (SQLITE_TRANSIENT) with its length.
        let rc = unsafe {
            match arg {
                Arg::I64(Some(v)) => ffi::sqlite3_bind_int64(st.0, index, *v),
                Arg::I64(None) | Arg::Text(None) => ffi::sqlite3_bind_null(st.0, index),
                Arg::Bytes(b) => ffi::sqlite3_bind_blob(
                    st.0,
                    index,
                    b.as_ptr().cast(),
                    c_int::try_from(b.len()).unwrap_or(c_int::MAX),
                    ffi::SQLITE_TRANSIENT(),
                ),
                Arg::Text(Some(s)) => ffi::sqlite3_bind_text(
                    st.0,
                    index,
                    s.as_ptr().cast(),
                    c_int::try_from(s.len()).unwrap_or(c_int::MAX),
                    ffi::SQLITE_TRANSIENT(),
                ),
            }
        };
        if rc != ffi::SQLITE_OK {
            return Err(StoreError::Corrupt(format!("scan: {}", message(db))));
        }
    }
    Ok(())
}

/// Column `i` of the current row as text, valid until the next step.
fn column_text(st: &Statement, i: c_int) -> Result<Option<&str>, StoreError> {
    // SAFETY: the statement is live and on a row. The text stays valid until the next step;
    // the caller clears the borrowed fields before stepping again.
    unsafe {
        if ffi::sqlite3_column_type(st.0, i) == ffi::SQLITE_NULL {
            return Ok(None);
        }
        let text = ffi::sqlite3_column_text(st.0, i);
        let len = ffi::sqlite3_column_bytes(st.0, i);
        let bytes = std::slice::from_raw_parts(text, len as usize);
        std::str::from_utf8(bytes)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("scan: column {i} is not UTF-8: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_literals_no_value_can_end() {
        let sql = inline(
            "SELECT a FROM t WHERE o = $1 AND d >= $2 AND n = $3 AND x IS $4 AND y = $10",
            &[
                "it's \\ odd".into(),
                "2024-01-01".into(),
                5i64.into(),
                Arg::Text(None),
                "p".into(),
                "p".into(),
                "p".into(),
                "p".into(),
                "p".into(),
                "ten".into(),
            ],
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT a FROM t WHERE o = E'it''s \\\\ odd' AND d >= E'2024-01-01' AND n = 5 AND x IS NULL AND y = E'ten'"
        );
        assert!(inline("SELECT $2", &["a".into()]).is_err());
    }

    #[test]
    fn copy_rows_split_across_chunks_unescape_and_read_nulls() {
        let text = b"a\t\\N\t1\nb\\tc\tx\\\\y\t2\nlast\t\t3";
        let mut got: Vec<Vec<Option<String>>> = Vec::new();
        let mut rows = CopyRows::default();
        let mut each = |f: &[Option<&str>]| {
            got.push(f.iter().map(|v| v.map(str::to_string)).collect());
            Ok(())
        };
        for chunk in text.chunks(3) {
            rows.feed(chunk, &mut each).unwrap();
        }
        rows.finish(&mut each).unwrap();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            got,
            vec![
                vec![s("a"), None, s("1")],
                vec![s("b\tc"), s("x\\y"), s("2")],
                vec![s("last"), s(""), s("3")],
            ]
        );
    }

    /// Text with every character COPY escapes, NULLs, integers and a bound date arrive as
    /// stored, in order, on the backend the tests run against.
    #[tokio::test]
    async fn rows_arrive_as_stored() {
        let base = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty());
        let fresh = crate::testing::fresh_database(base.as_deref(), &crate::DbOptions::default())
            .await
            .unwrap();
        let db = fresh.db.clone();
        db.execute_script("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT, s TEXT, d TEXT)")
            .await
            .unwrap();
        let rows: Vec<Vec<Arg>> = (0..3_000i64)
            .map(|i| {
                vec![
                    format!("k{i:05}").into(),
                    (i * 1_000_003 - 7).into(),
                    if i % 5 == 0 {
                        Arg::Text(None)
                    } else {
                        format!("O'Brien\t\t{i}\n\r é\\ ,;").into()
                    },
                    format!("2024-01-{:02}", i % 28 + 1).into(),
                ]
            })
            .collect();
        let mut tx = db.begin().await.unwrap();
        tx.bulk_insert("t", &["k", "n", "s", "d"], &rows)
            .await
            .unwrap();
        let mut got: Vec<(String, i64, Option<String>)> = Vec::new();
        tx.scan(
            "SELECT k, n, s FROM t WHERE d >= $2 AND k <> $1 ORDER BY k",
            &["it's".into(), "2024-01-15".into()],
            |f| {
                got.push((
                    f[0].unwrap().to_string(),
                    f[1].unwrap().parse().unwrap(),
                    f[2].map(str::to_string),
                ));
                Ok(())
            },
        )
        .await
        .unwrap();
        drop(tx);
        let want: Vec<(String, i64, Option<String>)> = (0..3_000i64)
            .filter(|i| i % 28 + 1 >= 15)
            .map(|i| {
                (
                    format!("k{i:05}"),
                    i * 1_000_003 - 7,
                    (i % 5 != 0).then(|| format!("O'Brien\t\t{i}\n\r é\\ ,;")),
                )
            })
            .collect();
        assert_eq!(got, want);
        fresh.drop_database().await;
    }
}

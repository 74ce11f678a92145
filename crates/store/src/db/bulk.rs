//! Bulk loading: rows written field by field into what each backend loads (COPY text on
//! PostgreSQL, bindings of one prepared INSERT on SQLite), and `IN (…)` placeholder lists.

use crate::StoreError;

use super::{Arg, Conn, Tx};

impl Tx {
    /// Bulk-loads rows of [`Arg`]s into `table` (see [`Tx::bulk_load`]). `None` is NULL.
    pub async fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Arg>],
    ) -> Result<(), StoreError> {
        self.bulk_load(table, columns, rows).await
    }

    /// Bulk-loads `rows` into `table`, each written straight into what the backend loads:
    /// COPY text on PostgreSQL, bindings of one prepared INSERT on SQLite.
    pub async fn bulk_load<R: RowSource + ?Sized>(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &R,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        match &mut self.conn {
            Conn::Pg(tx) => {
                let mut text = CopyText::with_capacity(rows.len() * columns.len() * 16);
                rows.write_all(&mut text);
                let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
                let mut copy = tx.copy_in_raw(&statement).await?;
                copy.send(text.buffer.into_bytes()).await?;
                copy.finish().await?;
            }
            Conn::Sqlite(tx) => super::sqlite_bulk::insert(tx, table, columns, rows).await?,
        }
        Ok(())
    }
}

impl Tx {
    /// SQLite only: runs `sql` (`?` parameters) once per row of `rows` through one prepared
    /// statement, and returns the indices of the rows that changed nothing. A bulk UPDATE by key
    /// this way costs one index probe per row, with no scratch table to load, join and empty.
    /// `None` on PostgreSQL, whose callers join arrays through `UNNEST` instead.
    pub async fn sqlite_each<R: RowSource + ?Sized>(
        &mut self,
        sql: &str,
        rows: &R,
    ) -> Result<Option<Vec<usize>>, StoreError> {
        match &mut self.conn {
            Conn::Pg(_) => Ok(None),
            Conn::Sqlite(tx) => Ok(Some(super::sqlite_bulk::each(tx, sql, rows).await?)),
        }
    }
}

/// `$first,$first+1,…` for `count` placeholders (the list of an `IN (…)` after `first - 1`
/// fixed parameters).
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Where bulk rows are written, field by field: straight into PostgreSQL COPY text
/// ([`CopyText`]), or into [`Arg`]s ([`ArgRows`]). A table's row is described once, as a
/// function over a sink, and every load path writes the same fields.
pub trait RowSink {
    /// A text field.
    fn text(&mut self, value: &str) -> &mut Self;
    /// NULL.
    fn null(&mut self) -> &mut Self;
    /// An integer field.
    fn int(&mut self, value: i64) -> &mut Self;
    /// A field written by its `Display`: for numbers and dates only, whose text holds no
    /// character COPY would need escaped.
    fn plain(&mut self, value: impl std::fmt::Display) -> &mut Self;
    /// Ends the current row.
    fn end_row(&mut self);

    /// A text field or NULL.
    fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    /// One [`Arg`].
    fn arg(&mut self, value: &Arg) -> &mut Self {
        match value {
            Arg::I64(Some(v)) => self.int(*v),
            Arg::Text(Some(s)) => self.text(s),
            Arg::I64(None) | Arg::Text(None) => self.null(),
            // No bulk-loaded table has a bytes column; the COPY text format has no byte form here.
            Arg::Bytes(_) => panic!("bulk loads carry no bytes columns"),
        }
    }
}

/// Rows to bulk-load, written on demand into the sink of whichever backend loads them.
pub trait RowSource {
    /// Number of rows.
    fn len(&self) -> usize;
    /// Whether there is no row.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Writes row `at` into `sink`, ending it.
    fn write<S: RowSink>(&self, at: usize, sink: &mut S);
    /// Writes every row into `sink`, in order.
    fn write_all<S: RowSink>(&self, sink: &mut S) {
        for at in 0..self.len() {
            self.write(at, sink);
        }
    }
}

impl RowSource for [Vec<Arg>] {
    fn len(&self) -> usize {
        <[Vec<Arg>]>::len(self)
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        for value in &self[at] {
            sink.arg(value);
        }
        sink.end_row();
    }
}

/// Rows in PostgreSQL COPY text format: a caller with many rows writes them straight from its
/// own values, without an [`Arg`] (and its allocation) per field.
#[derive(Debug, Default)]
pub struct CopyText {
    buffer: String,
    at_row_start: bool,
}

impl CopyText {
    /// An empty text with room for `bytes`.
    pub fn with_capacity(bytes: usize) -> Self {
        CopyText {
            buffer: String::with_capacity(bytes),
            at_row_start: true,
        }
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        &self.buffer
    }

    fn separate(&mut self) {
        if !std::mem::replace(&mut self.at_row_start, false) {
            self.buffer.push('\t');
        }
    }
}

impl RowSink for CopyText {
    /// Escapes backslash, tab, newline and carriage return.
    fn text(&mut self, value: &str) -> &mut Self {
        self.separate();
        for ch in value.chars() {
            match ch {
                '\\' => self.buffer.push_str("\\\\"),
                '\t' => self.buffer.push_str("\\t"),
                '\n' => self.buffer.push_str("\\n"),
                '\r' => self.buffer.push_str("\\r"),
                c => self.buffer.push(c),
            }
        }
        self
    }

    fn null(&mut self) -> &mut Self {
        self.separate();
        self.buffer.push_str("\\N");
        self
    }

    fn int(&mut self, value: i64) -> &mut Self {
        self.plain(value)
    }

    fn plain(&mut self, value: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write as _;
        self.separate();
        // Writing into a String cannot fail.
        let _ = write!(self.buffer, "{value}");
        self
    }

    fn end_row(&mut self) {
        self.buffer.push('\n');
        self.at_row_start = true;
    }
}

/// Rows as [`Arg`]s, for [`Tx::bulk_insert`].
#[derive(Debug, Default)]
pub struct ArgRows {
    /// The rows ended so far.
    pub rows: Vec<Vec<Arg>>,
    current: Vec<Arg>,
}

impl ArgRows {
    /// Room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        ArgRows {
            rows: Vec::with_capacity(rows),
            current: Vec::new(),
        }
    }

    /// Every row of `source`, as [`Arg`]s.
    pub fn collect<R: RowSource + ?Sized>(source: &R) -> Vec<Vec<Arg>> {
        let mut out = ArgRows::with_capacity(source.len());
        source.write_all(&mut out);
        out.rows
    }
}

impl RowSink for ArgRows {
    fn text(&mut self, value: &str) -> &mut Self {
        self.current.push(value.into());
        self
    }

    fn null(&mut self) -> &mut Self {
        self.current.push(Arg::Text(None));
        self
    }

    fn int(&mut self, value: i64) -> &mut Self {
        self.current.push(value.into());
        self
    }

    fn plain(&mut self, value: impl std::fmt::Display) -> &mut Self {
        self.current.push(value.to_string().into());
        self
    }

    fn end_row(&mut self) {
        let width = self.current.len();
        self.rows.push(std::mem::replace(
            &mut self.current,
            Vec::with_capacity(width),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_escapes_control_characters() {
        let mut out = CopyText::with_capacity(0);
        out.arg(&Arg::Text(Some("a\tb\\c\nd\re".into())))
            .arg(&Arg::Text(None))
            .int(-42)
            .plain(rust_decimal::Decimal::new(-12_345, 3))
            .opt_text(None)
            .end_row();
        out.text("x").end_row();
        assert_eq!(
            out.as_str(),
            "a\\tb\\\\c\\nd\\re\t\\N\t-42\t-12.345\t\\N\nx\n"
        );
    }

    #[test]
    fn placeholders_count_from_the_first() {
        assert_eq!(placeholders(3, 3), "$3,$4,$5");
        assert_eq!(placeholders(2, 0), "");
    }
}

//! Bank statements in the store: files, statements and lines, stored from typed input that the
//! application layer has already read and converted (this crate knows no file format), and
//! read back as typed records.
//!
//! The same bytes imported twice add nothing: the file's SHA-256 is unique per organization
//! and the insert is `ON CONFLICT DO NOTHING`, so even two concurrent uploads cannot both land.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::Currency;

use crate::db::{RowSink, RowSource};
use crate::{new_id, now_text, q, Actor, Db, Row, StoreError, Tx};

use super::{currency, opt_date, parse_date};

/// A statement line ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    /// Signed amount in minor units (negative = debit).
    pub amount_minor: i64,
    /// Value date.
    pub value_date: NaiveDate,
    /// Booking date.
    pub booking_date: NaiveDate,
    /// Bank reference.
    pub bank_reference: Option<String>,
    /// Customer reference.
    pub customer_reference: Option<String>,
    /// ISO 20022 end-to-end id.
    pub end_to_end_id: Option<String>,
    /// Counterparty name.
    pub counterparty_name: Option<String>,
    /// Counterparty account.
    pub counterparty_account: Option<String>,
    /// Free text.
    pub description: String,
    /// Transaction type code as in the file.
    pub type_code: String,
    /// Reversal flag (MT940 RC/RD, camt RvslInd).
    pub reversal: bool,
    /// 1-based line in the file.
    pub source_line: usize,
    /// The record as found.
    pub raw: String,
}

/// A statement ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStatement {
    /// Source format (`bai2`, `camt053`, …, from the reader).
    pub format: String,
    /// Account id.
    pub account_id: String,
    /// Currency.
    pub currency: Currency,
    /// Character encoding the file was decoded from (`UTF-8`, `windows-1252`, …), if known.
    pub encoding: Option<String>,
    /// Statement reference.
    pub reference: Option<String>,
    /// Statement number.
    pub statement_number: Option<String>,
    /// Statement date.
    pub statement_date: Option<NaiveDate>,
    /// Opening balance.
    pub opening_balance_minor: Option<i64>,
    /// Closing balance.
    pub closing_balance_minor: Option<i64>,
    /// Closing available balance.
    pub available_balance_minor: Option<i64>,
    /// Non-fatal reader findings.
    pub warnings: Vec<String>,
    /// 1-based line where the statement starts.
    pub source_line: usize,
    /// Lines in file order.
    pub lines: Vec<NewLine>,
}

/// A read and converted file, ready to store.
#[derive(Debug, Clone)]
pub struct NewFile {
    /// SHA-256 of the bytes (hex).
    pub sha256: String,
    /// Format read (`bai2`, `camt053`, …).
    pub format: String,
    /// CSV/XLSX preset used.
    pub preset: Option<String>,
    /// Size in bytes.
    pub size_bytes: usize,
    /// Statements.
    pub statements: Vec<NewStatement>,
}

/// A stored statement file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// Id.
    pub id: String,
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// Format.
    pub format: String,
    /// CSV/XLSX preset.
    pub preset: Option<String>,
    /// Size.
    pub size_bytes: i64,
    /// Statements in it.
    pub statement_count: i64,
    /// Lines in it.
    pub line_count: i64,
    /// Who imported it.
    pub imported_by: String,
    /// When (UTC timestamp as stored).
    pub created_at: String,
}

/// A stored statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRecord {
    /// Id.
    pub id: String,
    /// File it came from.
    pub file_id: String,
    /// Source format.
    pub format: String,
    /// Account.
    pub account_id: String,
    /// Currency.
    pub currency: Currency,
    /// Character encoding the file was decoded from; `None` for XLSX and older imports.
    pub encoding: Option<String>,
    /// Statement reference.
    pub reference: Option<String>,
    /// Statement number.
    pub statement_number: Option<String>,
    /// Statement date.
    pub statement_date: Option<NaiveDate>,
    /// First value date.
    pub from_date: Option<NaiveDate>,
    /// Last value date.
    pub to_date: Option<NaiveDate>,
    /// Opening balance (minor units).
    pub opening_balance_minor: Option<i64>,
    /// Closing balance (minor units).
    pub closing_balance_minor: Option<i64>,
    /// Available balance (minor units).
    pub available_balance_minor: Option<i64>,
    /// Lines.
    pub line_count: i64,
    /// Sum of debits (positive, minor units).
    pub debit_total_minor: i64,
    /// Sum of credits (minor units).
    pub credit_total_minor: i64,
    /// Reader warnings.
    pub warnings: Vec<String>,
    /// When imported (UTC timestamp as stored).
    pub created_at: String,
}

/// What storing a file did.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// True when the same file was stored before: nothing was added.
    pub duplicate: bool,
    /// The file (the earlier one for a duplicate).
    pub file: FileRecord,
    /// Its statements.
    pub statements: Vec<StatementRecord>,
}

/// Refuses investors: bank statements are the organization's, not an investor's.
pub fn require_reader(actor: &Actor) -> Result<(), StoreError> {
    actor.require(Permission::Read)?;
    if actor.role == clearway_core::access::Role::Investor {
        return Err(StoreError::Forbidden(
            "role 'investor' may not read bank statements or reconciliation".into(),
        ));
    }
    Ok(())
}

const FILE_COLS: &str =
    "id, content_sha256, format, preset, size_bytes, statement_count, line_count, imported_by, created_at";
const STATEMENT_COLS: &str = "id, file_id, format, account_id, currency, encoding, reference, statement_number, statement_date, from_date, to_date, opening_balance_minor, closing_balance_minor, available_balance_minor, line_count, debit_total_minor, credit_total_minor, warnings, created_at";

fn file_record(r: &Row) -> Result<FileRecord, StoreError> {
    Ok(FileRecord {
        id: r.text("id")?,
        sha256: r.text("content_sha256")?,
        format: r.text("format")?,
        preset: r.opt_text("preset")?,
        size_bytes: r.i64("size_bytes")?,
        statement_count: r.i64("statement_count")?,
        line_count: r.i64("line_count")?,
        imported_by: r.text("imported_by")?,
        created_at: r.text("created_at")?,
    })
}

fn statement_record(r: &Row) -> Result<StatementRecord, StoreError> {
    let warnings = r.text("warnings")?;
    Ok(StatementRecord {
        id: r.text("id")?,
        file_id: r.text("file_id")?,
        format: r.text("format")?,
        account_id: r.text("account_id")?,
        currency: currency(&r.text("currency")?)?,
        encoding: r.opt_text("encoding")?,
        reference: r.opt_text("reference")?,
        statement_number: r.opt_text("statement_number")?,
        statement_date: opt_date(r, "statement_date")?,
        from_date: opt_date(r, "from_date")?,
        to_date: opt_date(r, "to_date")?,
        opening_balance_minor: r.opt_i64("opening_balance_minor")?,
        closing_balance_minor: r.opt_i64("closing_balance_minor")?,
        available_balance_minor: r.opt_i64("available_balance_minor")?,
        line_count: r.i64("line_count")?,
        debit_total_minor: r.i64("debit_total_minor")?,
        credit_total_minor: r.i64("credit_total_minor")?,
        warnings: serde_json::from_str(&warnings)
            .map_err(|e| StoreError::Corrupt(format!("column warnings = '{warnings}': {e}")))?,
        created_at: r.text("created_at")?,
    })
}

async fn file_statements(
    tx: &mut Tx,
    actor: &Actor,
    file_id: &str,
) -> Result<Vec<StatementRecord>, StoreError> {
    tx.fetch_all(
        q(format!("SELECT {STATEMENT_COLS} FROM bank_statements WHERE org_id = $1 AND file_id = $2 ORDER BY seq"))
            .bind(&actor.org_id)
            .bind(file_id),
    )
    .await?
    .iter()
    .map(statement_record)
    .collect()
}

async fn file_by(
    tx: &mut Tx,
    actor: &Actor,
    column: &str,
    value: &str,
) -> Result<FileRecord, StoreError> {
    let row = tx
        .fetch_optional(
            q(format!(
                "SELECT {FILE_COLS} FROM bank_statement_files WHERE org_id = $1 AND {column} = $2"
            ))
            .bind(&actor.org_id)
            .bind(value),
        )
        .await?
        .ok_or(StoreError::NotFound("statement file"))?;
    file_record(&row)
}

/// Stores a read file inside `tx` (operators and admins): the file row, its statements and
/// their lines (OPEN). A file this organization already stored (same SHA-256) is reported as
/// a duplicate and nothing is written.
pub async fn insert_file(
    tx: &mut Tx,
    actor: &Actor,
    p: &NewFile,
) -> Result<StoredFile, StoreError> {
    let head = NewFileHead {
        sha256: p.sha256.clone(),
        format: p.format.clone(),
        size_bytes: p.size_bytes,
    };
    let mut writer = match begin_file(tx, actor, &head).await? {
        Begun::Duplicate(stored) => return Ok(stored),
        Begun::New(writer) => writer,
    };
    for st in &p.statements {
        let index = writer.add_statement(tx, actor, &st.head()).await?;
        writer.add_lines(tx, index, &st.lines).await?;
        writer.finish_statement(tx, index, &st.tail()).await?;
    }
    writer.finish(tx, actor, p.preset.as_deref()).await
}

impl NewStatement {
    fn head(&self) -> NewStatementHead {
        NewStatementHead {
            format: self.format.clone(),
            account_id: self.account_id.clone(),
            currency: self.currency,
            encoding: self.encoding.clone(),
            reference: self.reference.clone(),
            statement_number: self.statement_number.clone(),
            source_line: self.source_line,
        }
    }

    fn tail(&self) -> StatementTail {
        StatementTail {
            statement_date: self.statement_date,
            opening_balance_minor: self.opening_balance_minor,
            closing_balance_minor: self.closing_balance_minor,
            available_balance_minor: self.available_balance_minor,
            warnings: self.warnings.clone(),
        }
    }
}

/// What identifies a file before any of it is read.
#[derive(Debug, Clone)]
pub struct NewFileHead {
    /// SHA-256 of the bytes (hex).
    pub sha256: String,
    /// Format read (`bai2`, `camt053`, …).
    pub format: String,
    /// Size in bytes.
    pub size_bytes: usize,
}

/// What is known of a statement before its lines.
#[derive(Debug, Clone)]
pub struct NewStatementHead {
    /// Source format (`bai2`, `camt053`, …, from the reader).
    pub format: String,
    /// Account id.
    pub account_id: String,
    /// Currency.
    pub currency: Currency,
    /// Character encoding the file was decoded from, if known.
    pub encoding: Option<String>,
    /// Statement reference.
    pub reference: Option<String>,
    /// Statement number.
    pub statement_number: Option<String>,
    /// 1-based line where the statement starts.
    pub source_line: usize,
}

/// What is known of a statement after its lines (a CSV file's balances come from its rows).
#[derive(Debug, Clone, Default)]
pub struct StatementTail {
    /// Statement date.
    pub statement_date: Option<NaiveDate>,
    /// Opening balance.
    pub opening_balance_minor: Option<i64>,
    /// Closing balance.
    pub closing_balance_minor: Option<i64>,
    /// Closing available balance.
    pub available_balance_minor: Option<i64>,
    /// Non-fatal reader findings.
    pub warnings: Vec<String>,
}

/// What [`begin_file`] found: a file stored before, or a writer for a new one.
pub enum Begun {
    /// The same bytes were stored before: nothing is written.
    Duplicate(StoredFile),
    /// The file row is written; statements and lines follow.
    New(FileWriter),
}

/// Running totals of a statement being written.
struct Written {
    id: String,
    account_id: String,
    currency: Currency,
    lines: usize,
    debits: i64,
    credits: i64,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// A file stored piece by piece inside one transaction: statements, lines in chunks (so a
/// large file never needs all its lines in memory), then the totals. Nothing is visible to
/// others before the transaction commits, and a refused file rolls it all back.
pub struct FileWriter {
    file_id: String,
    org_id: String,
    now: String,
    statements: Vec<Written>,
}

/// Writes the file row inside `tx` (operators and admins), or finds the file this
/// organization already stored with the same SHA-256 (then nothing is written). Counts and
/// preset are set by [`FileWriter::finish`].
pub async fn begin_file(
    tx: &mut Tx,
    actor: &Actor,
    head: &NewFileHead,
) -> Result<Begun, StoreError> {
    actor.require(Permission::Operate)?;
    let now = now_text();
    let file_id = new_id();
    let inserted = tx
        .execute(
            q("INSERT INTO bank_statement_files (id, org_id, content_sha256, format, preset, size_bytes, statement_count, line_count, imported_by, created_at)
               VALUES ($1, $2, $3, $4, NULL, $5, 0, 0, $6, $7) ON CONFLICT (org_id, content_sha256) DO NOTHING")
                .bind(&file_id)
                .bind(&actor.org_id)
                .bind(&head.sha256)
                .bind(&head.format)
                .bind(count(head.size_bytes)?)
                .bind(&actor.user_id)
                .bind(&now),
        )
        .await?;
    if inserted == 0 {
        let file = file_by(tx, actor, "content_sha256", &head.sha256).await?;
        let statements = file_statements(tx, actor, &file.id).await?;
        return Ok(Begun::Duplicate(StoredFile {
            duplicate: true,
            file,
            statements,
        }));
    }
    Ok(Begun::New(FileWriter {
        file_id,
        org_id: actor.org_id.clone(),
        now,
        statements: Vec::new(),
    }))
}

impl FileWriter {
    /// Lines written so far, over all statements.
    pub fn line_count(&self) -> usize {
        self.statements.iter().map(|s| s.lines).sum()
    }

    /// Writes a statement row (its totals follow in [`FileWriter::finish_statement`]) and
    /// returns its index in the file.
    pub async fn add_statement(
        &mut self,
        tx: &mut Tx,
        actor: &Actor,
        head: &NewStatementHead,
    ) -> Result<usize, StoreError> {
        let index = self.statements.len();
        let statement_id = new_id();
        tx.execute(
            q("INSERT INTO bank_statements (id, org_id, file_id, seq, format, account_id, currency, reference, statement_number, statement_date, from_date, to_date,
                 opening_balance_minor, closing_balance_minor, available_balance_minor, line_count, debit_total_minor, credit_total_minor, warnings, source_line, created_at, encoding)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, '[]', $10, $11, $12)")
                .bind(&statement_id)
                .bind(&actor.org_id)
                .bind(&self.file_id)
                .bind(count(index)?)
                .bind(&head.format)
                .bind(&head.account_id)
                .bind(head.currency.code())
                .bind(head.reference.clone())
                .bind(head.statement_number.clone())
                .bind(count(head.source_line)?)
                .bind(&self.now)
                .bind(head.encoding.clone()),
        )
        .await?;
        self.statements.push(Written {
            id: statement_id,
            account_id: head.account_id.clone(),
            currency: head.currency,
            lines: 0,
            debits: 0,
            credits: 0,
            from: None,
            to: None,
        });
        Ok(index)
    }

    /// Bulk-writes the next `lines` of statement `index` (OPEN), in file order.
    pub async fn add_lines(
        &mut self,
        tx: &mut Tx,
        index: usize,
        lines: &[NewLine],
    ) -> Result<(), StoreError> {
        let st = self
            .statements
            .get_mut(index)
            .ok_or_else(|| StoreError::Corrupt(format!("no statement {index} in this file")))?;
        // Every seq written below fits a column (checked once here).
        count(st.lines + lines.len())?;
        for l in lines {
            if l.amount_minor < 0 {
                st.debits = st.debits.saturating_sub(l.amount_minor);
            } else {
                st.credits = st.credits.saturating_add(l.amount_minor);
            }
            st.from = st.from.min(Some(l.value_date)).or(Some(l.value_date));
            st.to = st.to.max(Some(l.value_date));
        }
        let rows = LineRows {
            lines,
            org_id: &self.org_id,
            statement: st,
            now: &self.now,
        };
        tx.bulk_load("bank_statement_lines", &LINE_INSERT_COLS, &rows)
            .await?;
        st.lines += lines.len();
        Ok(())
    }

    /// Writes what is known of statement `index` after its lines: totals, dates, balances,
    /// warnings.
    pub async fn finish_statement(
        &mut self,
        tx: &mut Tx,
        index: usize,
        tail: &StatementTail,
    ) -> Result<(), StoreError> {
        let st = self
            .statements
            .get(index)
            .ok_or_else(|| StoreError::Corrupt(format!("no statement {index} in this file")))?;
        let warnings = serde_json::to_string(&tail.warnings)
            .map_err(|e| StoreError::Corrupt(format!("warnings: {e}")))?;
        tx.execute(
            q("UPDATE bank_statements SET statement_date = $1, from_date = $2, to_date = $3, opening_balance_minor = $4, closing_balance_minor = $5,
                 available_balance_minor = $6, line_count = $7, debit_total_minor = $8, credit_total_minor = $9, warnings = $10
               WHERE org_id = $11 AND id = $12")
                .bind(tail.statement_date.map(|d| d.to_string()))
                .bind(st.from.map(|d| d.to_string()))
                .bind(st.to.map(|d| d.to_string()))
                .bind(tail.opening_balance_minor)
                .bind(tail.closing_balance_minor)
                .bind(tail.available_balance_minor)
                .bind(count(st.lines)?)
                .bind(st.debits)
                .bind(st.credits)
                .bind(warnings)
                .bind(&self.org_id)
                .bind(&st.id),
        )
        .await?;
        Ok(())
    }

    /// Writes the file's counts and preset and reads the stored file back.
    pub async fn finish(
        self,
        tx: &mut Tx,
        actor: &Actor,
        preset: Option<&str>,
    ) -> Result<StoredFile, StoreError> {
        tx.execute(
            q("UPDATE bank_statement_files SET preset = $1, statement_count = $2, line_count = $3 WHERE org_id = $4 AND id = $5")
                .bind(preset)
                .bind(count(self.statements.len())?)
                .bind(count(self.line_count())?)
                .bind(&self.org_id)
                .bind(&self.file_id),
        )
        .await?;
        let file = file_by(tx, actor, "id", &self.file_id).await?;
        let statements = file_statements(tx, actor, &self.file_id).await?;
        Ok(StoredFile {
            duplicate: false,
            file,
            statements,
        })
    }
}

/// A size or position as a column value (they all fit: files are capped far below `i64::MAX`).
fn count(n: usize) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Corrupt(format!("count {n} does not fit a column")))
}

const LINE_INSERT_COLS: [&str; 23] = [
    "id",
    "org_id",
    "statement_id",
    "seq",
    "account_id",
    "currency",
    "amount_minor",
    "value_date",
    "booking_date",
    "bank_reference",
    "customer_reference",
    "end_to_end_id",
    "counterparty_name",
    "counterparty_account",
    "description",
    "type_code",
    "reversal",
    "source_line",
    "raw",
    "status",
    "manual_only",
    "created_at",
    "updated_at",
];

/// A chunk of a statement's lines as `bank_statement_lines` rows (columns
/// [`LINE_INSERT_COLS`]), written straight into the backend's bulk load.
struct LineRows<'a> {
    lines: &'a [NewLine],
    org_id: &'a str,
    /// The statement; its `lines` (the chunk's first seq) is advanced after the load.
    statement: &'a Written,
    now: &'a str,
}

impl RowSource for LineRows<'_> {
    fn len(&self) -> usize {
        self.lines.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        let l = &self.lines[at];
        let st = self.statement;
        // Checked by add_lines: every seq and source line of a file fits an i64.
        let seq = i64::try_from(st.lines + at).unwrap_or(i64::MAX);
        let source_line = i64::try_from(l.source_line).unwrap_or(i64::MAX);
        sink.text(&new_id())
            .text(self.org_id)
            .text(&st.id)
            .int(seq)
            .text(&st.account_id)
            .text(st.currency.code())
            .int(l.amount_minor)
            .plain(l.value_date)
            .plain(l.booking_date)
            .opt_text(l.bank_reference.as_deref())
            .opt_text(l.customer_reference.as_deref())
            .opt_text(l.end_to_end_id.as_deref())
            .opt_text(l.counterparty_name.as_deref())
            .opt_text(l.counterparty_account.as_deref())
            .text(&l.description)
            .text(&l.type_code)
            .int(i64::from(l.reversal))
            .int(source_line)
            .text(&l.raw)
            .text("OPEN")
            .int(0)
            .text(self.now)
            .text(self.now)
            .end_row();
    }
}

/// Lists statements, newest first (cursor: a statement id).
pub async fn list(
    db: &Db,
    actor: &Actor,
    account: Option<&str>,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Vec<StatementRecord>, StoreError> {
    require_reader(actor)?;
    db.fetch_all(
        q(format!("SELECT {STATEMENT_COLS} FROM bank_statements WHERE org_id = $1 AND ($2 IS NULL OR account_id = $2) AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"))
            .bind(&actor.org_id)
            .bind(account)
            .bind(before_id)
            .bind(limit),
    )
    .await?
    .iter()
    .map(statement_record)
    .collect()
}

/// How many lines of an imported file have each status (OPEN until matching ran, then
/// MATCHED or EXCEPTION), by status.
pub async fn file_line_counts(
    db: &Db,
    actor: &Actor,
    file_id: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    require_reader(actor)?;
    db.fetch_all(
        q("SELECT l.status, COUNT(*) AS n FROM bank_statement_lines l
             JOIN bank_statements s ON s.id = l.statement_id AND s.org_id = l.org_id
            WHERE l.org_id = $1 AND s.file_id = $2 GROUP BY l.status ORDER BY l.status")
        .bind(&actor.org_id)
        .bind(file_id),
    )
    .await?
    .iter()
    .map(|r| Ok((r.text("status")?, r.i64("n")?)))
    .collect()
}

/// One statement.
pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<StatementRecord, StoreError> {
    require_reader(actor)?;
    let row = db
        .fetch_optional(
            q(format!(
                "SELECT {STATEMENT_COLS} FROM bank_statements WHERE org_id = $1 AND id = $2"
            ))
            .bind(&actor.org_id)
            .bind(id),
        )
        .await?
        .ok_or(StoreError::NotFound("bank statement"))?;
    statement_record(&row)
}

/// A stored statement line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineRecord {
    /// Id.
    pub id: String,
    /// Statement.
    pub statement_id: String,
    /// Position in the statement (0-based).
    pub seq: i64,
    /// Account.
    pub account_id: String,
    /// Currency.
    pub currency: Currency,
    /// Signed amount in minor units (negative = debit).
    pub amount_minor: i64,
    /// Value date.
    pub value_date: NaiveDate,
    /// Booking date.
    pub booking_date: NaiveDate,
    /// Bank reference.
    pub bank_reference: Option<String>,
    /// Customer reference.
    pub customer_reference: Option<String>,
    /// End-to-end id.
    pub end_to_end_id: Option<String>,
    /// Counterparty name.
    pub counterparty_name: Option<String>,
    /// Counterparty account.
    pub counterparty_account: Option<String>,
    /// Free text.
    pub description: String,
    /// Type code.
    pub type_code: String,
    /// Reversal flag.
    pub reversal: bool,
    /// Line in the file.
    pub source_line: i64,
    /// The record as found in the file.
    pub raw: String,
    /// OPEN, MATCHED or EXCEPTION.
    pub status: String,
    /// Why the line is an exception.
    pub exception_cause: Option<String>,
    /// Suggested candidates (JSON).
    pub candidates: Option<serde_json::Value>,
    /// Since when it is an exception.
    pub exception_since: Option<NaiveDate>,
    /// Live match, if any.
    pub match_id: Option<String>,
}

/// Columns of [`LineRecord`], for queries on `bank_statement_lines l`.
pub const LINE_COLS: &str = "l.id, l.statement_id, l.seq, l.account_id, l.currency, l.amount_minor, l.value_date, l.booking_date, l.bank_reference, l.customer_reference, l.end_to_end_id, l.counterparty_name, l.counterparty_account, l.description, l.type_code, l.reversal, l.source_line, l.raw, l.status, l.exception_cause, l.candidates, l.exception_since, (SELECT ml.match_id FROM reconciliation_match_lines ml WHERE ml.line_id = l.id AND ml.live = 1) AS match_id";

/// Reads a [`LineRecord`] row.
pub fn line_record(r: &Row) -> Result<LineRecord, StoreError> {
    Ok(LineRecord {
        id: r.text("id")?,
        statement_id: r.text("statement_id")?,
        seq: r.i64("seq")?,
        account_id: r.text("account_id")?,
        currency: currency(&r.text("currency")?)?,
        amount_minor: r.i64("amount_minor")?,
        value_date: parse_date(r, "value_date")?,
        booking_date: parse_date(r, "booking_date")?,
        bank_reference: r.opt_text("bank_reference")?,
        customer_reference: r.opt_text("customer_reference")?,
        end_to_end_id: r.opt_text("end_to_end_id")?,
        counterparty_name: r.opt_text("counterparty_name")?,
        counterparty_account: r.opt_text("counterparty_account")?,
        description: r.text("description")?,
        type_code: r.text("type_code")?,
        reversal: r.i64("reversal")? != 0,
        source_line: r.i64("source_line")?,
        raw: r.text("raw")?,
        status: r.text("status")?,
        exception_cause: r.opt_text("exception_cause")?,
        candidates: r
            .opt_text("candidates")?
            .map(|t| {
                serde_json::from_str(&t)
                    .map_err(|e| StoreError::Corrupt(format!("column candidates = '{t}': {e}")))
            })
            .transpose()?,
        exception_since: opt_date(r, "exception_since")?,
        match_id: r.opt_text("match_id")?,
    })
}

/// Lines of a statement in file order (cursor: the last `seq` seen).
pub async fn lines(
    db: &Db,
    actor: &Actor,
    statement_id: &str,
    status: Option<&str>,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<LineRecord>, StoreError> {
    get(db, actor, statement_id).await?;
    db.fetch_all(
        q(format!("SELECT {LINE_COLS} FROM bank_statement_lines l WHERE l.org_id = $1 AND l.statement_id = $2 AND l.seq > $3 AND ($4 IS NULL OR l.status = $4) ORDER BY l.seq LIMIT $5"))
            .bind(&actor.org_id)
            .bind(statement_id)
            .bind(after_seq)
            .bind(status)
            .bind(limit),
    )
    .await?
    .iter()
    .map(line_record)
    .collect()
}

/// One line.
pub async fn line(db: &Db, actor: &Actor, id: &str) -> Result<LineRecord, StoreError> {
    require_reader(actor)?;
    let row = db
        .fetch_optional(
            q(format!(
                "SELECT {LINE_COLS} FROM bank_statement_lines l WHERE l.org_id = $1 AND l.id = $2"
            ))
            .bind(&actor.org_id)
            .bind(id),
        )
        .await?
        .ok_or(StoreError::NotFound("statement line"))?;
    line_record(&row)
}

/// The statement lines a bank would report for a distribution's SENT payments in `currency`
/// (to rehearse reconciliation where no bank is reachable): each ACH batch posted as one debit
/// carrying the batch id, wires by end-to-end id, checks by check number, on the expected date.
pub async fn bank_view(
    db: &Db,
    actor: &Actor,
    distribution_id: &str,
    currency: Currency,
) -> Result<Vec<clearway_core::reconciliation::StatementLine>, StoreError> {
    use clearway_core::reconciliation::StatementLine;
    use std::collections::BTreeMap;

    actor.require(Permission::Operate)?;
    let rows = db
        .fetch_all(
            q("SELECT method, amount_minor, payee_name, trace_number, end_to_end_id, check_number, batch_id, expected_date
               FROM payments WHERE org_id = $1 AND distribution_id = $2 AND status = 'SENT' AND currency = $3 ORDER BY id")
                .bind(&actor.org_id)
                .bind(distribution_id)
                .bind(currency.code()),
        )
        .await?;
    let debit = |amount: i64, date: chrono::NaiveDate, description: &str| StatementLine {
        id: String::new(),
        amount_minor: -amount,
        currency,
        value_date: date,
        booking_date: date,
        bank_reference: None,
        customer_reference: None,
        description: description.into(),
        counterparty: None,
        counterparty_account: None,
        type_code: None,
    };
    let mut lines = Vec::new();
    let mut batches: BTreeMap<(String, chrono::NaiveDate), i64> = BTreeMap::new();
    for r in &rows {
        let (method, amount) = (r.text("method")?, r.i64("amount_minor")?);
        let date: chrono::NaiveDate = r.parse("expected_date")?;
        let payee = Some(r.text("payee_name")?);
        match (method.as_str(), r.opt_text("batch_id")?) {
            ("ACH", Some(batch)) => *batches.entry((batch, date)).or_default() += amount,
            ("ACH", None) => lines.push(StatementLine {
                bank_reference: r.opt_text("trace_number")?,
                counterparty: payee,
                ..debit(amount, date, "ACH DEBIT")
            }),
            ("WIRE", _) => lines.push(StatementLine {
                customer_reference: r.opt_text("end_to_end_id")?,
                counterparty: payee,
                ..debit(amount, date, "WIRE OUT")
            }),
            _ => lines.push(StatementLine {
                bank_reference: r.opt_text("check_number")?,
                counterparty: payee,
                ..debit(amount, date, "CHECK PAID")
            }),
        }
    }
    for ((batch, date), total) in batches {
        lines.push(StatementLine {
            customer_reference: Some(batch),
            ..debit(total, date, "ACH DEBIT BATCH SETTLEMENT")
        });
    }
    Ok(lines)
}

//! Bank statements in the store: files, statements and lines, stored from typed input that the
//! application layer has already read and converted (this crate knows no file format), and
//! read back as typed records.
//!
//! The same bytes imported twice add nothing: the file's SHA-256 is unique per organization
//! and the insert is `ON CONFLICT DO NOTHING`, so even two concurrent uploads cannot both land.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::Currency;

use crate::db::Arg;
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
    actor.require(Permission::Operate)?;
    let now = now_text();
    let file_id = new_id();
    let line_total: usize = p.statements.iter().map(|s| s.lines.len()).sum();
    let inserted = tx
        .execute(
            q("INSERT INTO bank_statement_files (id, org_id, content_sha256, format, preset, size_bytes, statement_count, line_count, imported_by, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (org_id, content_sha256) DO NOTHING")
                .bind(&file_id)
                .bind(&actor.org_id)
                .bind(&p.sha256)
                .bind(&p.format)
                .bind(p.preset.clone())
                .bind(count(p.size_bytes)?)
                .bind(count(p.statements.len())?)
                .bind(count(line_total)?)
                .bind(&actor.user_id)
                .bind(&now),
        )
        .await?;
    if inserted == 0 {
        let file = file_by(tx, actor, "content_sha256", &p.sha256).await?;
        let statements = file_statements(tx, actor, &file.id).await?;
        return Ok(StoredFile {
            duplicate: true,
            file,
            statements,
        });
    }
    for (seq, st) in p.statements.iter().enumerate() {
        insert_statement(tx, actor, &file_id, seq, st, &now).await?;
    }
    let file = file_by(tx, actor, "id", &file_id).await?;
    let statements = file_statements(tx, actor, &file_id).await?;
    Ok(StoredFile {
        duplicate: false,
        file,
        statements,
    })
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

/// Stores one statement of a file with its lines.
async fn insert_statement(
    tx: &mut Tx,
    actor: &Actor,
    file_id: &str,
    seq: usize,
    st: &NewStatement,
    now: &str,
) -> Result<(), StoreError> {
    let org = &actor.org_id;
    let statement_id = new_id();
    let debits: i64 = st
        .lines
        .iter()
        .filter(|l| l.amount_minor < 0)
        .map(|l| -l.amount_minor)
        .sum();
    let credits: i64 = st
        .lines
        .iter()
        .filter(|l| l.amount_minor > 0)
        .map(|l| l.amount_minor)
        .sum();
    let from = st.lines.iter().map(|l| l.value_date).min();
    let to = st.lines.iter().map(|l| l.value_date).max();
    let warnings = serde_json::to_string(&st.warnings)
        .map_err(|e| StoreError::Corrupt(format!("warnings: {e}")))?;
    tx.execute(
        q("INSERT INTO bank_statements (id, org_id, file_id, seq, format, account_id, currency, reference, statement_number, statement_date, from_date, to_date,
             opening_balance_minor, closing_balance_minor, available_balance_minor, line_count, debit_total_minor, credit_total_minor, warnings, source_line, created_at, encoding)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)")
            .bind(&statement_id)
            .bind(org)
            .bind(file_id)
            .bind(count(seq)?)
            .bind(&st.format)
            .bind(&st.account_id)
            .bind(st.currency.code())
            .bind(st.reference.clone())
            .bind(st.statement_number.clone())
            .bind(st.statement_date.map(|d| d.to_string()))
            .bind(from.map(|d| d.to_string()))
            .bind(to.map(|d| d.to_string()))
            .bind(st.opening_balance_minor)
            .bind(st.closing_balance_minor)
            .bind(st.available_balance_minor)
            .bind(count(st.lines.len())?)
            .bind(debits)
            .bind(credits)
            .bind(warnings)
            .bind(count(st.source_line)?)
            .bind(now)
            .bind(st.encoding.clone()),
    )
    .await?;
    let rows = line_rows(actor, &statement_id, st, now)?;
    tx.bulk_insert("bank_statement_lines", &LINE_INSERT_COLS, &rows)
        .await
}

/// The `bank_statement_lines` rows of a statement (columns [`LINE_INSERT_COLS`]), OPEN.
fn line_rows(
    actor: &Actor,
    statement_id: &str,
    st: &NewStatement,
    now: &str,
) -> Result<Vec<Vec<Arg>>, StoreError> {
    let org = &actor.org_id;
    let mut rows: Vec<Vec<Arg>> = Vec::with_capacity(st.lines.len());
    for (i, l) in st.lines.iter().enumerate() {
        rows.push(vec![
            new_id().into(),
            org.clone().into(),
            statement_id.to_string().into(),
            count(i)?.into(),
            st.account_id.clone().into(),
            st.currency.code().into(),
            l.amount_minor.into(),
            l.value_date.to_string().into(),
            l.booking_date.to_string().into(),
            l.bank_reference.clone().into(),
            l.customer_reference.clone().into(),
            l.end_to_end_id.clone().into(),
            l.counterparty_name.clone().into(),
            l.counterparty_account.clone().into(),
            l.description.clone().into(),
            l.type_code.clone().into(),
            i64::from(l.reversal).into(),
            count(l.source_line)?.into(),
            l.raw.clone().into(),
            "OPEN".into(),
            0i64.into(),
            now.to_string().into(),
            now.to_string().into(),
        ]);
    }
    Ok(rows)
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

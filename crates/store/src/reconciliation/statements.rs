//! Bank statement import: a file is read (any format the formats crate knows), converted to
//! minor units, and stored with its statements and lines in one transaction together with its
//! audit entry, its outbox event and the `reconciliation.match` job, or not at all.
//!
//! The same bytes imported twice add nothing: the file's SHA-256 is unique per organization
//! and the insert is `ON CONFLICT DO NOTHING`, so even two concurrent uploads cannot both land.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::{Currency, FieldError, Invalid};
use clearway_formats::statements::{self, FileFormat, SheetOptions, Statement};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::{self, Change};
use crate::db::Arg;
use crate::{jobs, new_id, now_text, outbox, q, Actor, Db, Row, StoreError, Tx};

/// Job kind that runs matching after an import.
pub const MATCH_JOB: &str = "reconciliation.match";
/// Account recorded when neither the file nor the caller names one.
pub const UNSPECIFIED_ACCOUNT: &str = "UNSPECIFIED";
/// Most statement lines accepted in one file.
pub const LINES_MAX: usize = 5_000_000;

/// How to read an uploaded file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Format; detected from the content when `None`.
    pub format: Option<FileFormat>,
    /// CSV/XLSX preset and column mapping.
    pub sheet: SheetOptions,
    /// Account when the file names none.
    pub account: Option<String>,
    /// Currency when the file names none.
    pub currency: Option<String>,
}

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

/// A parsed file, ready to store.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// SHA-256 of the bytes (hex).
    pub sha256: String,
    /// Format read.
    pub format: FileFormat,
    /// CSV/XLSX preset used.
    pub preset: Option<String>,
    /// Size in bytes.
    pub size_bytes: usize,
    /// Statements.
    pub statements: Vec<NewStatement>,
}

fn invalid(field: &str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(Invalid::from(FieldError::new(field, message)))
}

fn format_name(f: statements::StatementFormat) -> &'static str {
    use statements::StatementFormat as F;
    match f {
        F::Bai2 => "bai2",
        F::Mt940 => "mt940",
        F::Mt942 => "mt942",
        F::Camt052 => "camt052",
        F::Camt053 => "camt053",
        F::Camt054 => "camt054",
        F::Csv => "csv",
        F::Xlsx => "xlsx",
    }
}

fn clean(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("NOTPROVIDED"))
        .map(str::to_string)
}

fn to_minor(
    currency: Currency,
    amount: rust_decimal::Decimal,
    what: &str,
) -> Result<i64, StoreError> {
    let minor = currency
        .to_minor(amount)
        .map_err(|why| invalid("file", format!("{what}: amount {amount} {why}")))?;
    if minor.abs() > clearway_core::money::AMOUNT_MAX_MINOR {
        return Err(invalid(
            "file",
            format!("{what}: amount {amount} is too large"),
        ));
    }
    Ok(minor)
}

/// Converts one read statement; errors name the file line.
fn convert(st: &Statement, options: &ImportOptions) -> Result<NewStatement, StoreError> {
    let code = st
        .currency
        .clone()
        .or_else(|| options.currency.clone())
        .ok_or_else(|| {
            invalid(
                "currency",
                format!(
                    "the statement starting at line {} names no currency; give one (API: currency=, CLI: --currency)",
                    st.line
                ),
            )
        })?;
    let currency = Currency::parse(&code.to_ascii_uppercase())
        .map_err(|why| invalid("currency", format!("line {}: {why}", st.line)))?;
    let account_id = clean(Some(&st.account_id))
        .or_else(|| clean(options.account.as_deref()))
        .unwrap_or_else(|| UNSPECIFIED_ACCOUNT.to_string());
    if st.format == statements::StatementFormat::Mt940 && st.closing_balance.is_none() {
        // SWIFT makes :62F:/:62M: mandatory in an MT940; without it nothing proves the
        // statement is complete (a cut-off file reads like a short one).
        return Err(invalid(
            "file",
            format!(
                "line {}: :20: statement {}: no closing balance (:62F:/:62M:); the file looks truncated",
                st.line,
                st.reference.as_deref().unwrap_or("")
            ),
        ));
    }
    let bal = |b: &Option<statements::Balance>, what: &str| {
        b.as_ref()
            .map(|b| to_minor(currency, b.amount, &format!("line {}: {what}", st.line)))
            .transpose()
    };
    let mut warnings = st.warnings.clone();
    let mut lines = Vec::with_capacity(st.lines.len());
    for l in &st.lines {
        let what = format!("line {}: transaction", l.line);
        if l.status.as_deref().is_some_and(|s| s != "BOOK") {
            // Pending and information-only camt entries have not moved money yet.
            warnings.push(format!(
                "line {}: entry with status {} not imported",
                l.line,
                l.status.as_deref().unwrap_or("")
            ));
            continue;
        }
        let value_date = l
            .value_date
            .or(l.booking_date)
            .or(st.statement_date)
            .ok_or_else(|| invalid("file", format!("{what}: no value or booking date")))?;
        let tx = l.transactions.first();
        let end_to_end_id = clean(tx.and_then(|t| t.end_to_end_id.as_deref()));
        let party = tx.and_then(|t| {
            if l.amount.is_sign_negative() {
                t.creditor.as_ref()
            } else {
                t.debtor.as_ref()
            }
        });
        let counterparty = l.counterparty.as_ref().or(party);
        let mut description = l.description.trim().to_string();
        // A batch booking (one camt entry, many transactions) names its payment batch and
        // every end-to-end id only in the details: keep them in the text the matcher reads.
        let batch_refs: Vec<&String> = if l.transactions.len() > 1 {
            let mut refs: Vec<&String> = Vec::new();
            for t in &l.transactions {
                for r in [&t.payment_information_id, &t.end_to_end_id]
                    .into_iter()
                    .flatten()
                {
                    if !refs.contains(&r) && !r.eq_ignore_ascii_case("NOTPROVIDED") {
                        refs.push(r);
                    }
                }
            }
            refs
        } else {
            tx.and_then(|t| t.payment_information_id.as_ref())
                .into_iter()
                .collect()
        };
        for extra in l
            .supplementary_details
            .iter()
            .chain(tx.iter().flat_map(|t| t.remittance.iter()))
            .chain(tx.and_then(|t| t.return_reason.as_ref()))
            .chain(batch_refs)
        {
            if !extra.trim().is_empty() {
                if !description.is_empty() {
                    description.push(' ');
                }
                description.push_str(extra.trim());
            }
        }
        lines.push(NewLine {
            amount_minor: to_minor(currency, l.amount, &what)?,
            value_date,
            booking_date: l.booking_date.unwrap_or(value_date),
            bank_reference: clean(l.bank_reference.as_deref())
                .or_else(|| clean(tx.and_then(|t| t.account_servicer_reference.as_deref()))),
            customer_reference: clean(l.customer_reference.as_deref())
                .or_else(|| end_to_end_id.clone()),
            end_to_end_id,
            counterparty_name: clean(counterparty.and_then(|c| c.name.as_deref())),
            counterparty_account: clean(counterparty.and_then(|c| c.account.as_deref())),
            description,
            type_code: l.type_code.clone(),
            reversal: l.reversal,
            source_line: l.line,
            raw: l.raw.clone(),
        });
    }
    Ok(NewStatement {
        format: format_name(st.format).to_string(),
        account_id,
        currency,
        reference: clean(st.reference.as_deref()),
        statement_number: clean(st.statement_number.as_deref()),
        statement_date: st.statement_date,
        opening_balance_minor: bal(&st.opening_balance, "opening balance")?,
        closing_balance_minor: bal(&st.closing_balance, "closing balance")?,
        available_balance_minor: bal(&st.available_balance, "available balance")?,
        warnings,
        source_line: st.line,
        lines,
    })
}

/// Reads and converts a file (pure: no database). Garbage, truncated and mis-totalled files
/// are refused here with an error naming the line and record.
pub fn prepare(bytes: &[u8], options: &ImportOptions) -> Result<Prepared, StoreError> {
    let read = statements::read_file(bytes, options.format, &options.sheet)
        .map_err(|e| invalid("file", e.to_string()))?;
    let statements = read
        .statements
        .iter()
        .map(|s| convert(s, options))
        .collect::<Result<Vec<_>, _>>()?;
    let lines: usize = statements.iter().map(|s| s.lines.len()).sum();
    if lines > LINES_MAX {
        return Err(invalid(
            "file",
            format!("{lines} lines; at most {LINES_MAX} per file"),
        ));
    }
    Ok(Prepared {
        sha256: hex::encode(Sha256::digest(bytes)),
        format: read.format,
        preset: read.preset,
        size_bytes: bytes.len(),
        statements,
    })
}

/// A stored statement file.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileView {
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
    /// When.
    pub created_at: String,
}

/// A stored statement.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementView {
    /// Id.
    pub id: String,
    /// File it came from.
    pub file_id: String,
    /// Source format.
    pub format: String,
    /// Account.
    pub account_id: String,
    /// Currency.
    pub currency: String,
    /// Statement reference.
    pub reference: Option<String>,
    /// Statement number.
    pub statement_number: Option<String>,
    /// Statement date.
    pub statement_date: Option<String>,
    /// First value date.
    pub from_date: Option<String>,
    /// Last value date.
    pub to_date: Option<String>,
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
    /// When imported.
    pub created_at: String,
}

/// The result of an import.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportOutcome {
    /// True when the same file was imported before: nothing was added.
    pub duplicate: bool,
    /// The file (the earlier one for a duplicate).
    pub file: FileView,
    /// Its statements.
    pub statements: Vec<StatementView>,
    /// The matching job enqueued (none for a duplicate).
    pub job_id: Option<String>,
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
const STATEMENT_COLS: &str = "id, file_id, format, account_id, currency, reference, statement_number, statement_date, from_date, to_date, opening_balance_minor, closing_balance_minor, available_balance_minor, line_count, debit_total_minor, credit_total_minor, warnings, created_at";

fn file_view(r: &Row) -> Result<FileView, StoreError> {
    Ok(FileView {
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

fn statement_view(r: &Row) -> Result<StatementView, StoreError> {
    Ok(StatementView {
        id: r.text("id")?,
        file_id: r.text("file_id")?,
        format: r.text("format")?,
        account_id: r.text("account_id")?,
        currency: r.text("currency")?,
        reference: r.opt_text("reference")?,
        statement_number: r.opt_text("statement_number")?,
        statement_date: r.opt_text("statement_date")?,
        from_date: r.opt_text("from_date")?,
        to_date: r.opt_text("to_date")?,
        opening_balance_minor: r.opt_i64("opening_balance_minor")?,
        closing_balance_minor: r.opt_i64("closing_balance_minor")?,
        available_balance_minor: r.opt_i64("available_balance_minor")?,
        line_count: r.i64("line_count")?,
        debit_total_minor: r.i64("debit_total_minor")?,
        credit_total_minor: r.i64("credit_total_minor")?,
        warnings: serde_json::from_str(&r.text("warnings")?).unwrap_or_default(),
        created_at: r.text("created_at")?,
    })
}

async fn file_statements(
    tx: &mut Tx,
    org: &str,
    file_id: &str,
) -> Result<Vec<StatementView>, StoreError> {
    tx.fetch_all(
        q(format!("SELECT {STATEMENT_COLS} FROM bank_statements WHERE org_id = $1 AND file_id = $2 ORDER BY seq"))
            .bind(org)
            .bind(file_id),
    )
    .await?
    .iter()
    .map(statement_view)
    .collect()
}

/// Stores a prepared file inside `tx` (operators and admins): statements, lines, audit entry,
/// `bank_statement.imported` event and the matching job. A file already imported by this
/// organization is reported as a duplicate and nothing is written.
pub async fn store(tx: &mut Tx, actor: &Actor, p: &Prepared) -> Result<ImportOutcome, StoreError> {
    actor.require(Permission::Operate)?;
    let org = actor.org_id.clone();
    let now = now_text();
    let file_id = new_id();
    let line_total: usize = p.statements.iter().map(|s| s.lines.len()).sum();
    let inserted = tx
        .execute(
            q("INSERT INTO bank_statement_files (id, org_id, content_sha256, format, preset, size_bytes, statement_count, line_count, imported_by, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (org_id, content_sha256) DO NOTHING")
                .bind(&file_id)
                .bind(&org)
                .bind(&p.sha256)
                .bind(p.format.as_str())
                .bind(p.preset.clone())
                .bind(p.size_bytes as i64)
                .bind(p.statements.len() as i64)
                .bind(line_total as i64)
                .bind(&actor.user_id)
                .bind(&now),
        )
        .await?;
    if inserted == 0 {
        let row = tx
            .fetch_optional(
                q(format!("SELECT {FILE_COLS} FROM bank_statement_files WHERE org_id = $1 AND content_sha256 = $2"))
                    .bind(&org)
                    .bind(&p.sha256),
            )
            .await?
            .ok_or(StoreError::NotFound("statement file"))?;
        let file = file_view(&row)?;
        let statements = file_statements(tx, &org, &file.id).await?;
        return Ok(ImportOutcome {
            duplicate: true,
            file,
            statements,
            job_id: None,
        });
    }
    let columns = [
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
    for (seq, st) in p.statements.iter().enumerate() {
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
        tx.execute(
            q("INSERT INTO bank_statements (id, org_id, file_id, seq, format, account_id, currency, reference, statement_number, statement_date, from_date, to_date,
                 opening_balance_minor, closing_balance_minor, available_balance_minor, line_count, debit_total_minor, credit_total_minor, warnings, source_line, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)")
                .bind(&statement_id)
                .bind(&org)
                .bind(&file_id)
                .bind(seq as i64)
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
                .bind(st.lines.len() as i64)
                .bind(debits)
                .bind(credits)
                .bind(serde_json::to_string(&st.warnings).unwrap_or_else(|_| "[]".into()))
                .bind(st.source_line as i64)
                .bind(&now),
        )
        .await?;
        let mut rows: Vec<Vec<Arg>> = Vec::with_capacity(st.lines.len());
        for (i, l) in st.lines.iter().enumerate() {
            rows.push(vec![
                new_id().into(),
                org.clone().into(),
                statement_id.clone().into(),
                (i as i64).into(),
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
                (l.source_line as i64).into(),
                l.raw.clone().into(),
                "OPEN".into(),
                0i64.into(),
                now.clone().into(),
                now.clone().into(),
            ]);
        }
        tx.bulk_insert("bank_statement_lines", &columns, &rows)
            .await?;
    }
    let row = tx
        .fetch_optional(
            q(format!(
                "SELECT {FILE_COLS} FROM bank_statement_files WHERE id = $1"
            ))
            .bind(&file_id),
        )
        .await?
        .ok_or(StoreError::NotFound("statement file"))?;
    let file = file_view(&row)?;
    let statements = file_statements(tx, &org, &file_id).await?;
    let summary = json!({
        "format": p.format.as_str(), "preset": p.preset, "sha256": p.sha256,
        "statements": statements.iter().map(|s| json!({"id": s.id, "accountId": s.account_id, "currency": s.currency, "lines": s.line_count})).collect::<Vec<_>>(),
        "lines": line_total,
    });
    audit::record(
        tx,
        actor,
        Change {
            action: "bank_statement.import",
            entity_type: "bank_statement_file",
            entity_id: &file_id,
            before: None,
            after: Some(summary.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "bank_statement.imported",
        "bank_statement_file",
        &file_id,
        summary,
    )
    .await?;
    let job_id = jobs::enqueue(
        tx,
        actor,
        MATCH_JOB,
        json!({ "fileId": file_id }),
        Some(&format!("{MATCH_JOB}:{file_id}")),
        4,
    )
    .await?;
    Ok(ImportOutcome {
        duplicate: false,
        file,
        statements,
        job_id,
    })
}

/// Reads, converts and stores a file in one transaction.
pub async fn import(
    db: &Db,
    actor: &Actor,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ImportOutcome, StoreError> {
    actor.require(Permission::Operate)?;
    let prepared = prepare(bytes, options)?;
    let mut tx = db.begin().await?;
    let outcome = store(&mut tx, actor, &prepared).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Lists statements, newest first (cursor: a statement id).
pub async fn list(
    db: &Db,
    actor: &Actor,
    account: Option<&str>,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Vec<StatementView>, StoreError> {
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
    .map(statement_view)
    .collect()
}

/// One statement.
pub async fn get(db: &Db, actor: &Actor, id: &str) -> Result<StatementView, StoreError> {
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
    statement_view(&row)
}

/// A stored statement line.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineView {
    /// Id.
    pub id: String,
    /// Statement.
    pub statement_id: String,
    /// Position in the statement (0-based).
    pub seq: i64,
    /// Account.
    pub account_id: String,
    /// Currency.
    pub currency: String,
    /// Signed amount in minor units (negative = debit).
    pub amount_minor: i64,
    /// Value date.
    pub value_date: String,
    /// Booking date.
    pub booking_date: String,
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
    pub exception_since: Option<String>,
    /// Live match, if any.
    pub match_id: Option<String>,
}

/// Columns of [`LineView`], for queries on `bank_statement_lines l`.
pub const LINE_COLS: &str = "l.id, l.statement_id, l.seq, l.account_id, l.currency, l.amount_minor, l.value_date, l.booking_date, l.bank_reference, l.customer_reference, l.end_to_end_id, l.counterparty_name, l.counterparty_account, l.description, l.type_code, l.reversal, l.source_line, l.raw, l.status, l.exception_cause, l.candidates, l.exception_since, (SELECT ml.match_id FROM reconciliation_match_lines ml WHERE ml.line_id = l.id AND ml.live = 1) AS match_id";

/// Reads a [`LineView`] row.
pub fn line_view(r: &Row) -> Result<LineView, StoreError> {
    Ok(LineView {
        id: r.text("id")?,
        statement_id: r.text("statement_id")?,
        seq: r.i64("seq")?,
        account_id: r.text("account_id")?,
        currency: r.text("currency")?,
        amount_minor: r.i64("amount_minor")?,
        value_date: r.text("value_date")?,
        booking_date: r.text("booking_date")?,
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
            .and_then(|t| serde_json::from_str(&t).ok()),
        exception_since: r.opt_text("exception_since")?,
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
) -> Result<Vec<LineView>, StoreError> {
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
    .map(line_view)
    .collect()
}

/// One line.
pub async fn line(db: &Db, actor: &Actor, id: &str) -> Result<LineView, StoreError> {
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
    line_view(&row)
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

//! Reading bank statement files: any format the formats crate knows is detected, decoded,
//! converted to minor units and handed to the store as typed statements and lines; stored
//! with its audit entry, its outbox event and the `reconciliation.match` job in one
//! transaction, or not at all.
//!
//! Bounded memory: lines are converted and written in chunks of [`CHUNK_LINES`] inside that
//! one transaction (CSV, BAI2, MT940/MT942 and camt files are read as a stream, one line at
//! a time; XLSX and OFX are read whole and their lines dropped as they are written), so a
//! file refused on its last line still leaves nothing behind.
//!
//! The same bytes imported twice add nothing: the file's SHA-256 is unique per organization
//! (the store reports the earlier file as a duplicate).

use clearway_core::access::Permission;
use clearway_core::Currency;
use clearway_formats::statements::{
    self, BalancePolicy, FileFormat, SheetOptions, Statement, StatementLine, TransactionDetails,
};
use clearway_store::reconciliation::statements::{
    self as store, FileRecord, NewFile, NewLine, NewStatement, NewStatementHead, StatementRecord,
    StatementTail, StoredFile,
};
use clearway_store::{audit, jobs, outbox, Actor, Db, Tx};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{AppError, AppResult};

mod chunks;

/// Job kind that runs matching after an import.
pub const MATCH_JOB: &str = "reconciliation.match";
/// Account recorded when neither the file nor the caller names one.
pub const UNSPECIFIED_ACCOUNT: &str = "UNSPECIFIED";
/// Most statement lines accepted in one file.
pub const LINES_MAX: usize = 5_000_000;
/// Lines converted and written per bulk load: large enough that a load's fixed cost is
/// spread thin, small enough that a chunk's rows take a few MB.
pub const CHUNK_LINES: usize = 10_000;

/// How to read an uploaded file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Format; detected from the content when `None`.
    pub format: Option<FileFormat>,
    /// CSV/XLSX preset and column mapping.
    pub sheet: SheetOptions,
    /// Account when the file names none.
    pub account: Option<String>,
    /// Currency when the file names none; one that contradicts the file is refused.
    pub currency: Option<String>,
    /// What to do with a statement whose opening + lines ≠ closing (default: refuse).
    pub balance_policy: BalancePolicy,
}

/// The warning on a statement without entries: real bank output (balances only), but never
/// stored without a word.
pub const NO_ACTIVITY: &str = "no activity: the statement has no booked entries";

/// The result of an import.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    /// True when the same file was imported before: nothing was added.
    pub duplicate: bool,
    /// The file (the earlier one for a duplicate).
    pub file: FileRecord,
    /// Its statements.
    pub statements: Vec<StatementRecord>,
    /// The matching job enqueued (none for a duplicate).
    pub job_id: Option<String>,
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::field(field, message)
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
        F::Ofx => "ofx",
    }
}

fn clean(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("NOTPROVIDED"))
        .map(str::to_string)
}

fn to_minor(currency: Currency, amount: rust_decimal::Decimal, what: &str) -> AppResult<i64> {
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

/// An explicit currency only fills a gap: one the statement or an entry contradicts is
/// refused (a CHF file imported "as USD" would book francs as dollars).
fn check_explicit_currency(st: &Statement, explicit: Option<&str>) -> AppResult<()> {
    let stated = std::iter::once((st.line, st.currency.as_deref()))
        .chain(st.lines.iter().map(|l| (l.line, l.currency.as_deref())));
    for (line, c) in stated {
        contradicts(c, explicit, line)?;
    }
    Ok(())
}

/// Refuses an explicit currency that differs from the one the file states at `line`.
fn contradicts(file: Option<&str>, explicit: Option<&str>, line: usize) -> AppResult<()> {
    match (file, explicit.map(str::trim)) {
        (Some(c), Some(explicit)) if !c.eq_ignore_ascii_case(explicit) => Err(invalid(
            "currency",
            format!(
                "currency {explicit} contradicts the file: line {line} is in {c} (leave currency out, or import the right file)"
            ),
        )),
        _ => Ok(()),
    }
}

/// The currency of the statement starting at `line`: the file's, else the caller's (which may
/// not contradict the file's).
fn statement_currency(
    file: Option<&str>,
    options: &ImportOptions,
    line: usize,
) -> AppResult<Currency> {
    contradicts(file, options.currency.as_deref(), line)?;
    let code = file
        .or(options.currency.as_deref())
        .ok_or_else(|| {
            invalid(
                "currency",
                format!(
                    "the statement starting at line {line} names no currency; give one (API: currency=, CLI: --currency)"
                ),
            )
        })?;
    Currency::parse(&code.to_ascii_uppercase())
        .map_err(|why| invalid("currency", format!("line {line}: {why}")))
}

/// The account of a statement: the file's, else the caller's, else [`UNSPECIFIED_ACCOUNT`].
fn statement_account(file: &str, options: &ImportOptions) -> String {
    clean(Some(file))
        .or_else(|| clean(options.account.as_deref()))
        .unwrap_or_else(|| UNSPECIFIED_ACCOUNT.to_string())
}

/// Converts one read statement; errors name the file line.
fn convert(st: &Statement, options: &ImportOptions) -> AppResult<NewStatement> {
    let (head, mut warnings) = statement_head(st, options)?;
    let mut lines = Vec::with_capacity(st.lines.len());
    for l in &st.lines {
        if let Some(line) = booked_line(st, l, head.currency, &mut warnings)? {
            lines.push(line);
        }
    }
    if lines.is_empty() {
        warnings.push(NO_ACTIVITY.to_string());
    }
    let tail = statement_tail(st, head.currency, warnings)?;
    Ok(NewStatement {
        format: head.format,
        account_id: head.account_id,
        currency: head.currency,
        encoding: head.encoding,
        reference: head.reference,
        statement_number: head.statement_number,
        statement_date: tail.statement_date,
        opening_balance_minor: tail.opening_balance_minor,
        closing_balance_minor: tail.closing_balance_minor,
        available_balance_minor: tail.available_balance_minor,
        warnings: tail.warnings,
        source_line: head.source_line,
        lines,
    })
}

/// A booked line converted; `None` (with a warning) for pending and information-only camt
/// entries, which have not moved money yet.
fn booked_line(
    st: &Statement,
    l: &StatementLine,
    currency: Currency,
    warnings: &mut Vec<String>,
) -> AppResult<Option<NewLine>> {
    if l.status.as_deref().is_some_and(|s| s != "BOOK") {
        warnings.push(format!(
            "line {}: entry with status {} not imported",
            l.line,
            l.status.as_deref().unwrap_or("")
        ));
        return Ok(None);
    }
    convert_line(st.statement_date, l, currency).map(Some)
}

/// What is known of a statement before its lines, and its reader warnings; refuses an MT940
/// without a closing balance and a header holding a NUL.
fn statement_head(
    st: &Statement,
    options: &ImportOptions,
) -> AppResult<(NewStatementHead, Vec<String>)> {
    complete(st)?;
    open_head(st, options)
}

/// Refuses an MT940 without a closing balance (known of a streamed statement at its end).
fn complete(st: &Statement) -> AppResult<()> {
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
    Ok(())
}

/// [`statement_head`] but the check that needs the statement's end.
fn open_head(
    st: &Statement,
    options: &ImportOptions,
) -> AppResult<(NewStatementHead, Vec<String>)> {
    let currency = statement_currency(st.currency.as_deref(), options, st.line)?;
    let account_id = statement_account(&st.account_id, options);
    // The caller's currency may not contradict the file's, down to each entry's own.
    check_explicit_currency(st, options.currency.as_deref())?;
    let reference = clean(st.reference.as_deref());
    let statement_number = clean(st.statement_number.as_deref());
    let header = [&reference, &statement_number].into_iter().flatten();
    let texts = std::iter::once(&account_id).chain(header);
    nul_free(&format!("line {}: statement header", st.line), texts)?;
    let head = NewStatementHead {
        format: format_name(st.format).to_string(),
        account_id,
        currency,
        encoding: st.encoding.clone(),
        reference,
        statement_number,
        source_line: st.line,
    };
    Ok((head, st.warnings.clone()))
}

/// What is known of a statement after its lines: balances in minor units, its date, and
/// `warnings` (the reader's and the import's; refused if one holds a NUL).
fn statement_tail(
    st: &Statement,
    currency: Currency,
    warnings: Vec<String>,
) -> AppResult<StatementTail> {
    nul_free(&format!("line {}: statement header", st.line), &warnings)?;
    let bal = |b: &Option<statements::Balance>, what: &str| {
        b.as_ref()
            .map(|b| to_minor(currency, b.amount, &format!("line {}: {what}", st.line)))
            .transpose()
    };
    Ok(StatementTail {
        statement_date: st.statement_date,
        opening_balance_minor: bal(&st.opening_balance, "opening balance")?,
        closing_balance_minor: bal(&st.closing_balance, "closing balance")?,
        available_balance_minor: bal(&st.available_balance, "available balance")?,
        warnings,
    })
}

/// Converts one booked line; errors name the file line. `statement_date` stands in for a
/// line without value and booking dates.
fn convert_line(
    statement_date: Option<chrono::NaiveDate>,
    l: &StatementLine,
    currency: Currency,
) -> AppResult<NewLine> {
    let what = format!("line {}: transaction", l.line);
    let value_date = l
        .value_date
        .or(l.booking_date)
        .or(statement_date)
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
    let description = description(l, tx);
    let line = NewLine {
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
    };
    refuse_nul(&what, &line)?;
    Ok(line)
}

/// A NUL in a line's text cannot be stored (PostgreSQL refuses it in text) and is in no bank
/// format's character set: the file is refused naming the line. Other control characters are
/// kept as the bank sent them (tabs and carriage returns occur in raw lines).
fn refuse_nul(what: &str, l: &NewLine) -> AppResult<()> {
    let optional = [
        &l.bank_reference,
        &l.customer_reference,
        &l.end_to_end_id,
        &l.counterparty_name,
        &l.counterparty_account,
    ];
    let texts = [&l.description, &l.type_code, &l.raw]
        .into_iter()
        .chain(optional.into_iter().flatten());
    nul_free(what, texts)
}

/// Refuses the first text holding a NUL, naming `what` (the file line).
fn nul_free<'a>(what: &str, texts: impl IntoIterator<Item = &'a String>) -> AppResult<()> {
    if texts.into_iter().any(|t| t.contains('\0')) {
        return Err(invalid(
            "file",
            format!("{what}: contains a NUL character (U+0000); the file is not text"),
        ));
    }
    Ok(())
}

/// The line's text as the matcher reads it: the bank's text, then supplementary details,
/// remittance, return reason, and a batch booking's payment batch and end-to-end ids (one camt
/// entry, many transactions names them only in the details).
fn description(l: &StatementLine, tx: Option<&TransactionDetails>) -> String {
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
    description
}

/// Reads and converts a file (pure: no database). Garbage, truncated and mis-totalled files
/// are refused here with an error naming the line and record; balances that do not tie as
/// `options.balance_policy` says.
pub fn prepare(bytes: &[u8], options: &ImportOptions) -> AppResult<NewFile> {
    let mut read =
        statements::read_file(bytes, options.format, &options.sheet).map_err(read_error)?;
    statements::balance::apply(options.balance_policy, &mut read.statements).map_err(read_error)?;
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
    Ok(NewFile {
        sha256: hex::encode(Sha256::digest(bytes)),
        format: read.format.as_str().to_string(),
        preset: read.preset,
        size_bytes: bytes.len(),
        statements,
    })
}

/// A reader's refusal as the `file` field's error. The message names line, record and field;
/// printable() keeps any quoted file content from reaching a client or terminal as raw bytes.
fn read_error(e: statements::StatementError) -> AppError {
    invalid("file", clearway_core::input::printable(&e.to_string(), 500))
}

/// Stores a prepared file inside `tx` (operators and admins): statements, lines, audit entry,
/// `bank_statement.imported` event and the matching job. A file already imported by this
/// organization is reported as a duplicate and nothing is written.
pub async fn store(tx: &mut Tx, actor: &Actor, file: &NewFile) -> AppResult<ImportOutcome> {
    let stored = store::insert_file(tx, actor, file).await?;
    recorded(tx, actor, stored).await
}

/// Reads, converts and stores a file inside `tx` (operators and admins) in chunks of
/// [`CHUNK_LINES`] lines, with its audit entry, event and matching job: memory stays bounded
/// by the file's bytes and one chunk, whatever the number of lines. A file already imported
/// by this organization is reported as a duplicate and nothing is written; a refused file
/// leaves what was written to the caller's transaction to roll back.
pub async fn store_file(
    tx: &mut Tx,
    actor: &Actor,
    bytes: &[u8],
    options: &ImportOptions,
) -> AppResult<ImportOutcome> {
    actor.require(Permission::Operate)?;
    let stored = chunks::store(tx, actor, bytes, options).await?;
    recorded(tx, actor, stored).await
}

/// The audit entry, event and matching job of a stored file (none for a duplicate).
async fn recorded(tx: &mut Tx, actor: &Actor, stored: StoredFile) -> AppResult<ImportOutcome> {
    if stored.duplicate {
        return Ok(ImportOutcome {
            duplicate: true,
            file: stored.file,
            statements: stored.statements,
            job_id: None,
        });
    }
    let file = &stored.file;
    let file_id = file.id.clone();
    let summary = json!({
        "format": file.format, "preset": file.preset, "sha256": file.sha256,
        "statements": stored.statements.iter().map(|s| json!({"id": s.id, "accountId": s.account_id, "currency": s.currency.code(), "lines": s.line_count})).collect::<Vec<_>>(),
        "lines": file.line_count,
    });
    audit::record(
        tx,
        actor,
        audit::Change {
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
        file: stored.file,
        statements: stored.statements,
        job_id,
    })
}

/// Reads, converts and stores a file in one transaction, in chunks ([`store_file`]).
pub async fn import(
    db: &Db,
    actor: &Actor,
    bytes: &[u8],
    options: &ImportOptions,
) -> AppResult<ImportOutcome> {
    actor.require(Permission::Operate)?;
    let mut tx = db.begin().await?;
    let outcome = store_file(&mut tx, actor, bytes, options).await?;
    tx.commit().await?;
    Ok(outcome)
}

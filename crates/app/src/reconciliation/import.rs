//! Reading bank statement files: any format the formats crate knows is detected, decoded,
//! converted to minor units and handed to the store as typed statements and lines; stored
//! with its audit entry, its outbox event and the `reconciliation.match` job in one
//! transaction, or not at all.
//!
//! The same bytes imported twice add nothing: the file's SHA-256 is unique per organization
//! (the store reports the earlier file as a duplicate).

use clearway_core::access::Permission;
use clearway_core::Currency;
use clearway_formats::statements::{
    self, BalancePolicy, FileFormat, SheetOptions, Statement, StatementLine, TransactionDetails,
};
use clearway_store::reconciliation::statements::{
    self as store, FileRecord, NewFile, NewLine, NewStatement, StatementRecord,
};
use clearway_store::{audit, jobs, outbox, Actor, Db, Tx};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{AppError, AppResult};

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
    let Some(explicit) = explicit.map(str::trim) else {
        return Ok(());
    };
    let stated = std::iter::once((st.line, st.currency.as_ref()))
        .chain(st.lines.iter().map(|l| (l.line, l.currency.as_ref())));
    for (line, c) in stated {
        if let Some(c) = c.filter(|c| !c.eq_ignore_ascii_case(explicit)) {
            return Err(invalid(
                "currency",
                format!(
                    "currency {explicit} contradicts the file: line {line} is in {c} (leave currency out, or import the right file)"
                ),
            ));
        }
    }
    Ok(())
}

/// Converts one read statement; errors name the file line.
fn convert(st: &Statement, options: &ImportOptions) -> AppResult<NewStatement> {
    check_explicit_currency(st, options.currency.as_deref())?;
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
        if l.status.as_deref().is_some_and(|s| s != "BOOK") {
            // Pending and information-only camt entries have not moved money yet.
            warnings.push(format!(
                "line {}: entry with status {} not imported",
                l.line,
                l.status.as_deref().unwrap_or("")
            ));
            continue;
        }
        lines.push(convert_line(st, l, currency)?);
    }
    if lines.is_empty() {
        warnings.push(NO_ACTIVITY.to_string());
    }
    let reference = clean(st.reference.as_deref());
    let statement_number = clean(st.statement_number.as_deref());
    let header = [&reference, &statement_number].into_iter().flatten();
    let texts = std::iter::once(&account_id).chain(header).chain(&warnings);
    nul_free(&format!("line {}: statement header", st.line), texts)?;
    Ok(NewStatement {
        format: format_name(st.format).to_string(),
        account_id,
        currency,
        encoding: st.encoding.clone(),
        reference,
        statement_number,
        statement_date: st.statement_date,
        opening_balance_minor: bal(&st.opening_balance, "opening balance")?,
        closing_balance_minor: bal(&st.closing_balance, "closing balance")?,
        available_balance_minor: bal(&st.available_balance, "available balance")?,
        warnings,
        source_line: st.line,
        lines,
    })
}

/// Converts one booked line; errors name the file line.
fn convert_line(st: &Statement, l: &StatementLine, currency: Currency) -> AppResult<NewLine> {
    let what = format!("line {}: transaction", l.line);
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
    // The reader's message names line, record and field; printable() keeps any quoted file
    // content from reaching a client or terminal as raw bytes.
    let refused = |e: statements::StatementError| {
        invalid("file", clearway_core::input::printable(&e.to_string(), 500))
    };
    let mut read = statements::read_file(bytes, options.format, &options.sheet).map_err(refused)?;
    statements::balance::apply(options.balance_policy, &mut read.statements).map_err(refused)?;
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

/// Stores a prepared file inside `tx` (operators and admins): statements, lines, audit entry,
/// `bank_statement.imported` event and the matching job. A file already imported by this
/// organization is reported as a duplicate and nothing is written.
pub async fn store(tx: &mut Tx, actor: &Actor, file: &NewFile) -> AppResult<ImportOutcome> {
    let stored = store::insert_file(tx, actor, file).await?;
    if stored.duplicate {
        return Ok(ImportOutcome {
            duplicate: true,
            file: stored.file,
            statements: stored.statements,
            job_id: None,
        });
    }
    let file_id = stored.file.id.clone();
    let line_total: usize = file.statements.iter().map(|s| s.lines.len()).sum();
    let summary = json!({
        "format": file.format, "preset": file.preset, "sha256": file.sha256,
        "statements": stored.statements.iter().map(|s| json!({"id": s.id, "accountId": s.account_id, "currency": s.currency.code(), "lines": s.line_count})).collect::<Vec<_>>(),
        "lines": line_total,
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

/// Reads, converts and stores a file in one transaction.
pub async fn import(
    db: &Db,
    actor: &Actor,
    bytes: &[u8],
    options: &ImportOptions,
) -> AppResult<ImportOutcome> {
    actor.require(Permission::Operate)?;
    let prepared = prepare(bytes, options)?;
    let mut tx = db.begin().await?;
    let outcome = store(&mut tx, actor, &prepared).await?;
    tx.commit().await?;
    Ok(outcome)
}

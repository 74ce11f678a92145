//! Investor documents: gather the facts through the store (as the actor, so an investor gets
//! only their own), lay the document out, render it (`clearway_formats::documents`) and store
//! it once per version. The same content gives back the stored version; different content (a
//! corrected, reallocated or reversed distribution) becomes the next version, audited with an
//! outbox event (`document.created`) in one transaction.
//!
//! The notification engine calls [`notice_pdf`]; the routes call [`generate`].

use chrono::NaiveDate;
use clearway_formats::documents::{render, Format, Layout};
use clearway_store::audit::{self, Change};
use clearway_store::documents::{self as store, DocumentRecord, NewDocument};
use clearway_store::{outbox, Actor, Db, StoreError};
use serde_json::json;

use crate::{AppError, AppResult};

mod gather;

pub use gather::{notice_doc, statement_doc, tax_summary_doc};

/// What a document is about; its kind follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The notice of one distribution.
    Notice {
        /// Distribution id.
        distribution_id: String,
    },
    /// The statement of a period (both days included).
    Statement {
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
    },
    /// The tax summary of a calendar year.
    TaxSummary {
        /// Year.
        year: i32,
    },
}

impl Subject {
    /// `notice`, `statement` or `taxSummary`.
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Notice { .. } => "notice",
            Subject::Statement { .. } => "statement",
            Subject::TaxSummary { .. } => "taxSummary",
        }
    }

    /// The stored subject key: the distribution id, `from..to` or the year.
    pub fn key(&self) -> String {
        match self {
            Subject::Notice { distribution_id } => distribution_id.clone(),
            Subject::Statement { from, to } => format!("{from}..{to}"),
            Subject::TaxSummary { year } => year.to_string(),
        }
    }
}

/// A request for one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRequest {
    /// The investor it is for.
    pub investor_id: String,
    /// What it is about.
    pub subject: Subject,
    /// PDF, XLSX or CSV.
    pub format: Format,
}

/// A stored document with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// Id.
    pub id: String,
    /// Investor.
    pub investor_id: String,
    /// `notice`, `statement` or `taxSummary`.
    pub kind: String,
    /// Distribution id, `from..to` or year.
    pub subject_key: String,
    /// `pdf`, `xlsx` or `csv`.
    pub format: String,
    /// Version (1, 2, …).
    pub version: i64,
    /// Download file name, e.g. `notice-<id>-v1.pdf`.
    pub filename: String,
    /// MIME type.
    pub content_type: String,
    /// SHA-256 hex of the bytes.
    pub content_hash: String,
    /// Language of the labels.
    pub locale: String,
    /// Size in bytes.
    pub size: i64,
    /// The file (empty in metadata-only reads).
    pub bytes: Vec<u8>,
    /// Created (UTC).
    pub created_at: String,
    /// Whether this call stored a new version (false: the same content was there).
    pub new_version: bool,
}

impl StoredDocument {
    /// The record's metadata with `bytes`.
    pub fn of(record: DocumentRecord, bytes: Vec<u8>, new_version: bool) -> StoredDocument {
        let format = Format::parse(&record.format);
        let subject: String = record
            .subject_key
            .replace("..", "_")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        StoredDocument {
            filename: format!(
                "{}-{subject}-v{}.{}",
                record.kind, record.version, record.format
            ),
            content_type: format
                .map_or("application/octet-stream", Format::content_type)
                .into(),
            id: record.id,
            investor_id: record.investor_id,
            kind: record.kind,
            subject_key: record.subject_key,
            format: record.format,
            version: record.version,
            content_hash: record.content_hash,
            locale: record.locale,
            size: record.size,
            bytes,
            created_at: record.created_at,
            new_version,
        }
    }
}

fn rendering_failed(e: clearway_formats::documents::DocumentError) -> AppError {
    AppError::Store(StoreError::Corrupt(format!(
        "document rendering failed: {e}"
    )))
}

/// The laid-out document of a request and the locale its labels are in.
pub async fn layout(db: &Db, actor: &Actor, req: &DocumentRequest) -> AppResult<(Layout, String)> {
    let investor = store::facts::investor(db, actor, &req.investor_id).await?;
    let layout = match &req.subject {
        Subject::Notice { distribution_id } => notice_doc(db, actor, &investor, distribution_id)
            .await?
            .layout(),
        Subject::Statement { from, to } => {
            if from > to {
                return Err(AppError::field("to", "must be on or after from"));
            }
            statement_doc(db, actor, &investor, *from, *to)
                .await?
                .layout()
        }
        Subject::TaxSummary { year } => {
            tax_summary_doc(db, actor, &investor, *year).await?.layout()
        }
    };
    Ok((layout, gather::locale_of(&investor).as_str().to_string()))
}

/// Generates, renders and stores the document of `req` (or returns the stored version with
/// the same content), as `actor`: an investor their own; operators and admins any investor's
/// of their organization.
pub async fn generate(db: &Db, actor: &Actor, req: &DocumentRequest) -> AppResult<StoredDocument> {
    let (layout, locale) = layout(db, actor, req).await?;
    let bytes = render(&layout, req.format).map_err(rendering_failed)?;
    let key = req.subject.key();
    let doc = NewDocument {
        investor_id: &req.investor_id,
        kind: req.subject.kind(),
        subject_key: &key,
        format: req.format.as_str(),
        locale: &locale,
        bytes: &bytes,
    };
    let mut tx = db.begin().await?;
    let (record, created) = store::save(&mut tx, actor, &doc).await?;
    if created {
        let after = json!({
            "investorId": record.investor_id, "kind": record.kind, "subjectKey": record.subject_key,
            "format": record.format, "version": record.version, "contentHash": record.content_hash,
            "size": record.size,
        });
        let change = Change {
            action: "document.generate",
            entity_type: "document",
            entity_id: &record.id,
            before: None,
            after: Some(after.clone()),
        };
        audit::record(&mut tx, actor, change).await?;
        outbox::emit(
            &mut tx,
            actor,
            "document.created",
            "document",
            &record.id,
            after,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(StoredDocument::of(record, bytes, created))
}

/// The PDF notice of `investor_id`'s line of `distribution_id` (the notification engine
/// attaches it), stored once per version.
pub async fn notice_pdf(
    db: &Db,
    actor: &Actor,
    distribution_id: &str,
    investor_id: &str,
) -> AppResult<StoredDocument> {
    let req = DocumentRequest {
        investor_id: investor_id.to_string(),
        subject: Subject::Notice {
            distribution_id: distribution_id.to_string(),
        },
        format: Format::Pdf,
    };
    generate(db, actor, &req).await
}

/// A page of an investor's documents (metadata only), newest first.
pub async fn list(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Vec<StoredDocument>> {
    let records = store::list(db, actor, investor_id, before, limit).await?;
    Ok(records
        .into_iter()
        .map(|r| StoredDocument::of(r, Vec::new(), false))
        .collect())
}

/// One document's metadata.
pub async fn get(db: &Db, actor: &Actor, id: &str) -> AppResult<StoredDocument> {
    Ok(StoredDocument::of(
        store::get(db, actor, id).await?,
        Vec::new(),
        false,
    ))
}

/// One document with its bytes.
pub async fn content(db: &Db, actor: &Actor, id: &str) -> AppResult<StoredDocument> {
    let (record, bytes) = store::content(db, actor, id).await?;
    Ok(StoredDocument::of(record, bytes, false))
}

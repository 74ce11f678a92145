//! Wire shapes of the sync (camelCase; values as strings, decimals canonical).

use clearway_app::sync::SyncFileReport;
use clearway_core::sync::{Ownership, Side};
use clearway_store::sync::Conflict;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::ApiError;

/// Who owns each domain: `ADMINISTRATOR` or `CLEARWAY`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncOwnershipView {
    #[schema(pattern = "^(ADMINISTRATOR|CLEARWAY)$")]
    pub nav: String,
    #[schema(pattern = "^(ADMINISTRATOR|CLEARWAY)$")]
    pub holdings: String,
    #[schema(pattern = "^(ADMINISTRATOR|CLEARWAY)$")]
    pub schedules: String,
    #[schema(pattern = "^(ADMINISTRATOR|CLEARWAY)$")]
    pub elections: String,
    #[schema(pattern = "^(ADMINISTRATOR|CLEARWAY)$")]
    pub bank_details: String,
}

impl From<&Ownership> for SyncOwnershipView {
    fn from(o: &Ownership) -> Self {
        SyncOwnershipView {
            nav: o.nav.as_str().into(),
            holdings: o.holdings.as_str().into(),
            schedules: o.schedules.as_str().into(),
            elections: o.elections.as_str().into(),
            bank_details: o.bank_details.as_str().into(),
        }
    }
}

impl SyncOwnershipView {
    /// The ownership, every bad side named at once.
    pub fn parse(&self) -> Result<Ownership, ApiError> {
        let mut errors = Vec::new();
        let mut side = |field: &str, v: &str| {
            Side::parse(v).unwrap_or_else(|| {
                errors.push(clearway_core::FieldError::new(
                    field,
                    "must be ADMINISTRATOR or CLEARWAY",
                ));
                Side::Clearway
            })
        };
        let o = Ownership {
            nav: side("nav", &self.nav),
            holdings: side("holdings", &self.holdings),
            schedules: side("schedules", &self.schedules),
            elections: side("elections", &self.elections),
            bank_details: side("bankDetails", &self.bank_details),
        };
        if errors.is_empty() {
            Ok(o)
        } else {
            Err(ApiError::Invalid(clearway_core::Invalid(errors)))
        }
    }
}

/// A refused row: `row` counts the header as row 1; `field` is the column.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncRowErrorView {
    pub row: usize,
    pub field: String,
    pub reason: String,
}

/// One difference found.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncChangeView {
    #[schema(pattern = "^(NAV|HOLDINGS|SCHEDULES|ELECTIONS|BANK_DETAILS)$")]
    pub domain: String,
    pub entity_id: String,
    pub label: String,
    pub field: String,
    /// Our value (absent: none held).
    pub before: Option<String>,
    pub after: String,
    #[schema(pattern = "^(APPLY|CONFLICT|UNCHANGED)$")]
    pub outcome: String,
}

/// A file's result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncFileView {
    pub id: String,
    #[schema(pattern = "^(NAVS|HOLDINGS|SCHEDULES|PREFERENCES)$")]
    pub kind: String,
    pub file_name: String,
    pub sha256: String,
    #[schema(pattern = "^(UPLOAD|DROP|API)$")]
    pub source: String,
    #[schema(pattern = "^(APPLIED|REFUSED|DUPLICATE|DRY_RUN)$")]
    pub status: String,
    pub rows_total: i64,
    pub rows_applied: i64,
    pub rows_unchanged: i64,
    pub conflicts_opened: i64,
    pub errors: Vec<SyncRowErrorView>,
    /// Differences first, at most 1000 (`changesTruncated` says when more were found).
    pub changes: Vec<SyncChangeView>,
    pub changes_truncated: bool,
    pub received_at: String,
}

impl From<&SyncFileReport> for SyncFileView {
    fn from(r: &SyncFileReport) -> Self {
        SyncFileView {
            id: r.id.clone(),
            kind: r.kind.as_str().into(),
            file_name: r.file_name.clone(),
            sha256: r.sha256.clone(),
            source: r.source.as_str().into(),
            status: r.status.as_str().into(),
            rows_total: r.rows_total,
            rows_applied: r.rows_applied,
            rows_unchanged: r.rows_unchanged,
            conflicts_opened: r.conflicts_opened,
            errors: r
                .errors
                .iter()
                .map(|e| SyncRowErrorView {
                    row: e.row,
                    field: e.field.clone(),
                    reason: e.reason.clone(),
                })
                .collect(),
            changes: r
                .changes
                .iter()
                .map(|c| SyncChangeView {
                    domain: c.domain.as_str().into(),
                    entity_id: c.entity_id.clone(),
                    label: c.label.clone(),
                    field: c.field.clone(),
                    before: c.before.clone(),
                    after: c.after.clone(),
                    outcome: c.outcome.as_str().into(),
                })
                .collect(),
            changes_truncated: r.changes_truncated,
            received_at: r.received_at.clone(),
        }
    }
}

/// A conflict: both values kept until resolved.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConflictView {
    pub id: String,
    #[schema(pattern = "^(NAV|HOLDINGS|SCHEDULES|ELECTIONS|BANK_DETAILS)$")]
    pub domain: String,
    pub entity_id: String,
    pub label: String,
    pub field: String,
    /// Our value (absent: none held).
    pub ours: Option<String>,
    pub theirs: String,
    #[schema(pattern = "^(UPLOAD|DROP|API)$")]
    pub source: String,
    pub file_id: Option<String>,
    pub created_at: String,
    #[schema(pattern = "^(OPEN|RESOLVED)$")]
    pub status: String,
    #[schema(pattern = "^(TAKE_OURS|TAKE_THEIRS|EDIT)$")]
    pub resolution: Option<String>,
    pub resolved_value: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
}

impl From<&Conflict> for ConflictView {
    fn from(c: &Conflict) -> Self {
        ConflictView {
            id: c.id.clone(),
            domain: c.domain.as_str().into(),
            entity_id: c.entity_id.clone(),
            label: c.label.clone(),
            field: c.field.clone(),
            ours: c.ours.clone(),
            theirs: c.theirs.clone(),
            source: c.source.clone(),
            file_id: c.file_id.clone(),
            created_at: c.created_at.clone(),
            status: c.status.as_str().into(),
            resolution: c.resolution.map(|r| r.as_str().into()),
            resolved_value: c.resolved_value.clone(),
            resolved_by: c.resolved_by.clone(),
            resolved_at: c.resolved_at.clone(),
        }
    }
}

/// How to resolve a conflict.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResolveRequest {
    #[schema(pattern = "^(TAKE_OURS|TAKE_THEIRS|EDIT)$")]
    pub resolution: String,
    /// The value to write, with EDIT (parsed for the conflict's field).
    #[schema(max_length = 64)]
    pub value: Option<String>,
}

/// The multipart body of an upload (documentation only). Only `file` is read; the schema says
/// so (`additionalProperties: false`) so that clients and fuzzers send nothing else.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncUpload {
    /// The CSV or XLSX file.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

//! Wire types of investor documents and their validation.

use chrono::NaiveDate;
use clearway_app::documents::{DocumentRequest, StoredDocument, Subject};
use clearway_core::distribution::parse_date;
use clearway_core::{FieldError, Invalid};
use clearway_formats::documents::Format;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest statement period, in days (five years and a leap day).
pub const MAX_PERIOD_DAYS: i64 = 5 * 365 + 1;

/// Body of `POST /api/investors/{investorId}/documents`: the kind, the format, and the one
/// subject field(s) of that kind (`distributionId` for a notice, `from` and `to` for a
/// statement, `year` for a tax summary); any other subject field is refused.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentRequestBody {
    /// notice, statement or taxSummary.
    #[schema(pattern = "^(notice|statement|taxSummary)$")]
    pub kind: String,
    /// pdf, xlsx or csv.
    #[schema(pattern = "^(pdf|xlsx|csv)$")]
    pub format: String,
    /// The distribution (notice only).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9-]{1,64}$")]
    pub distribution_id: Option<String>,
    /// First day of the period (statement only).
    #[serde(default)]
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub from: Option<String>,
    /// Last day of the period (statement only; at most five years after `from`).
    #[serde(default)]
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub to: Option<String>,
    /// Calendar year (tax summary only).
    #[serde(default)]
    #[schema(minimum = 1900, maximum = 2200)]
    pub year: Option<i64>,
}

fn date_of(errors: &mut Vec<FieldError>, field: &str, v: Option<&str>) -> Option<NaiveDate> {
    match v {
        None => {
            errors.push(FieldError::new(field, "is required for a statement"));
            None
        }
        Some(t) => parse_date(field, t).map_err(|e| errors.push(e)).ok(),
    }
}

/// Refuses the subject fields that do not belong to `kind`.
fn only(errors: &mut Vec<FieldError>, kind: &str, present: [(&str, bool); 4], allowed: &[&str]) {
    for (field, given) in present {
        if given && !allowed.contains(&field) {
            errors.push(FieldError::new(
                field,
                format!("is not a field of a {kind}"),
            ));
        }
    }
}

impl DocumentRequestBody {
    /// Validates every field (naming each bad one) into the application's request.
    pub fn parse(&self, investor_id: &str) -> Result<DocumentRequest, Invalid> {
        let mut errors = Vec::new();
        let format = Format::parse(&self.format);
        if format.is_none() {
            errors.push(FieldError::new("format", "must be pdf, xlsx or csv"));
        }
        let present = [
            ("distributionId", self.distribution_id.is_some()),
            ("from", self.from.is_some()),
            ("to", self.to.is_some()),
            ("year", self.year.is_some()),
        ];
        let subject = match self.kind.as_str() {
            "notice" => {
                only(&mut errors, "notice", present, &["distributionId"]);
                self.notice(&mut errors)
            }
            "statement" => {
                only(&mut errors, "statement", present, &["from", "to"]);
                self.statement(&mut errors)
            }
            "taxSummary" => {
                only(&mut errors, "taxSummary", present, &["year"]);
                self.tax_summary(&mut errors)
            }
            _ => {
                errors.push(FieldError::new(
                    "kind",
                    "must be notice, statement or taxSummary",
                ));
                None
            }
        };
        match (subject, format) {
            (Some(subject), Some(format)) if errors.is_empty() => Ok(DocumentRequest {
                investor_id: investor_id.to_string(),
                subject,
                format,
            }),
            _ => Err(Invalid(errors)),
        }
    }

    fn notice(&self, errors: &mut Vec<FieldError>) -> Option<Subject> {
        let id = self.distribution_id.as_deref().unwrap_or("");
        let ok = (1..=64).contains(&id.len())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            let why = if id.is_empty() {
                "is required for a notice"
            } else {
                "is not a distribution id"
            };
            errors.push(FieldError::new("distributionId", why));
            return None;
        }
        Some(Subject::Notice {
            distribution_id: id.to_string(),
        })
    }

    fn statement(&self, errors: &mut Vec<FieldError>) -> Option<Subject> {
        let from = date_of(errors, "from", self.from.as_deref());
        let to = date_of(errors, "to", self.to.as_deref());
        let (from, to) = (from?, to?);
        if to < from {
            errors.push(FieldError::new("to", "must be on or after from"));
            return None;
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            errors.push(FieldError::new(
                "to",
                "the period may span at most five years",
            ));
            return None;
        }
        Some(Subject::Statement { from, to })
    }

    fn tax_summary(&self, errors: &mut Vec<FieldError>) -> Option<Subject> {
        match self.year {
            Some(y) if (1900..=2200).contains(&y) => Some(Subject::TaxSummary { year: y as i32 }),
            Some(_) => {
                errors.push(FieldError::new("year", "must be a year from 1900 to 2200"));
                None
            }
            None => {
                errors.push(FieldError::new("year", "is required for a taxSummary"));
                None
            }
        }
    }
}

/// A stored document (metadata; the file is at `GET /api/documents/{id}/content`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    /// Id.
    pub id: String,
    /// Investor.
    pub investor_id: String,
    /// notice, statement or taxSummary.
    pub kind: String,
    /// Distribution id, `YYYY-MM-DD..YYYY-MM-DD` or the year.
    pub subject_key: String,
    /// pdf, xlsx or csv.
    pub format: String,
    /// 1 for the first rendering; each correction adds one.
    pub version: i64,
    /// Download file name.
    pub filename: String,
    /// MIME type of the content.
    pub content_type: String,
    /// SHA-256 of the content, lowercase hex.
    pub content_hash: String,
    /// Language of the labels.
    pub locale: String,
    /// Size in bytes.
    pub size: i64,
    /// Created (UTC).
    pub created_at: String,
}

impl From<&StoredDocument> for DocumentView {
    fn from(d: &StoredDocument) -> Self {
        DocumentView {
            id: d.id.clone(),
            investor_id: d.investor_id.clone(),
            kind: d.kind.clone(),
            subject_key: d.subject_key.clone(),
            format: d.format.clone(),
            version: d.version,
            filename: d.filename.clone(),
            content_type: d.content_type.clone(),
            content_hash: d.content_hash.clone(),
            locale: d.locale.clone(),
            size: d.size,
            created_at: d.created_at.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(kind: &str, format: &str) -> DocumentRequestBody {
        DocumentRequestBody {
            kind: kind.into(),
            format: format.into(),
            ..DocumentRequestBody::default()
        }
    }

    fn fields(e: Invalid) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn each_kind_takes_its_own_subject_only() {
        let mut b = body("statement", "pdf");
        b.from = Some("2026-01-01".into());
        b.to = Some("2026-06-30".into());
        let req = b.parse("inv").unwrap();
        assert_eq!(req.subject.key(), "2026-01-01..2026-06-30");
        b.year = Some(2026);
        assert_eq!(fields(b.parse("inv").unwrap_err()), ["year"]);
        let mut t = body("taxSummary", "csv");
        t.year = Some(2026);
        assert_eq!(
            t.parse("inv").unwrap().subject,
            Subject::TaxSummary { year: 2026 }
        );
        t.distribution_id = Some("d-1".into());
        assert_eq!(fields(t.parse("inv").unwrap_err()), ["distributionId"]);
    }

    #[test]
    fn bad_values_name_their_fields() {
        assert_eq!(
            fields(body("letter", "doc").parse("i").unwrap_err()),
            ["format", "kind"]
        );
        assert_eq!(
            fields(body("notice", "pdf").parse("i").unwrap_err()),
            ["distributionId"]
        );
        let mut b = body("statement", "xlsx");
        b.from = Some("2026-02-30".into());
        assert_eq!(fields(b.parse("i").unwrap_err()), ["from", "to"]);
        b.from = Some("2026-06-01".into());
        b.to = Some("2026-05-31".into());
        assert_eq!(fields(b.parse("i").unwrap_err()), ["to"]);
        b.from = Some("2020-01-01".into());
        b.to = Some("2026-01-01".into());
        assert_eq!(fields(b.parse("i").unwrap_err()), ["to"]);
        let mut t = body("taxSummary", "pdf");
        t.year = Some(1899);
        assert_eq!(fields(t.parse("i").unwrap_err()), ["year"]);
    }
}

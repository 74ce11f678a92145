//! Platform pages of the operations console: the audit trail (newest first, filters, the
//! before/after of each entry as the keys that changed). Investors are sent to their own
//! distributions. The distributions forecast is `forecast::pages_org`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use clearway_core::input::parse_date;
use clearway_store::audit::{self, NamedEntry, RecentFilter};
use serde::Deserialize;
use serde_json::Value;

use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::form::FieldErrors;
use crate::web::{Chrome, PageResult, Viewer};

/// Routes of the platform pages.
pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit_page))
}

/// Entries per page of the audit trail.
const PAGE: i64 = 50;
/// Longest value shown in a diff cell (the whole entry is in `GET /api/audit`).
const VALUE_MAX: usize = 200;

/// The audit trail's query string (every field optional).
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    entity_type: Option<String>,
    entity_id: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

/// One changed key of an entry.
pub struct Change {
    key: String,
    before: String,
    after: String,
}

/// One entry, formatted.
pub struct AuditRow {
    at: String,
    who: String,
    action: String,
    entity_type: String,
    entity_id: String,
    /// Where the entity's page is, when it has one.
    link: Option<String>,
    changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "platform/audit.html")]
struct AuditPage {
    chrome: Chrome,
    entity_type: String,
    entity_id: String,
    action: String,
    from: String,
    to: String,
    errors: FieldErrors,
    rows: Vec<AuditRow>,
    next: Option<String>,
    first_page: bool,
}

fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(200).collect())
}

fn filter_of(q: &AuditQuery, errors: &mut FieldErrors) -> RecentFilter {
    let mut date = |field: &str, v: &Option<String>| {
        blank(v).and_then(|t| match parse_date(field, &t) {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(field, "must be a date (YYYY-MM-DD)");
                None
            }
        })
    };
    let (from, to) = (date("from", &q.from), date("to", &q.to));
    let before_seq = blank(&q.cursor).and_then(|c| match c.parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            errors.push("cursor", "is not a page of this list");
            None
        }
    });
    RecentFilter {
        entity_id: blank(&q.entity_id),
        entity_type: blank(&q.entity_type),
        action: blank(&q.action),
        from,
        to,
        before_seq,
        limit: PAGE,
    }
}

fn shown(v: Option<&Value>) -> String {
    let text = match v {
        None | Some(Value::Null) => return "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    if text.chars().count() > VALUE_MAX {
        format!("{}…", text.chars().take(VALUE_MAX).collect::<String>())
    } else {
        text
    }
}

/// The keys whose values differ between before and after (every key of a creation or a
/// deletion); a state that is not an object is shown whole under `(value)`.
fn changes(before: Option<&Value>, after: Option<&Value>) -> Vec<Change> {
    let object = |v: Option<&Value>| match v {
        Some(Value::Object(m)) => Some(m.clone()),
        None | Some(Value::Null) => Some(Default::default()),
        Some(_) => None,
    };
    let (Some(b), Some(a)) = (object(before), object(after)) else {
        return vec![Change {
            key: "(value)".into(),
            before: shown(before),
            after: shown(after),
        }];
    };
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| Change {
            key: k.clone(),
            before: shown(b.get(k)),
            after: shown(a.get(k)),
        })
        .collect()
}

fn row_of(n: NamedEntry) -> AuditRow {
    let e = n.entry;
    let link = (e.entity_type == "distribution").then(|| format!("/distributions/{}", e.entity_id));
    AuditRow {
        at: e.at.replace('T', " "),
        who: n.actor_name.unwrap_or_else(|| e.actor_id.clone()),
        changes: changes(e.before.as_ref(), e.after.as_ref()),
        action: e.action,
        entity_type: e.entity_type,
        entity_id: e.entity_id,
        link,
    }
}

async fn audit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AuditQuery>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let mut errors = FieldErrors::default();
    let filter = filter_of(&q, &mut errors);
    let entries = if errors.is_empty() {
        audit::recent(&state.db, &viewer.actor, &filter).await?
    } else {
        // Still refuse a role without the permission, whatever the query.
        viewer
            .actor
            .require(clearway_core::access::Permission::ReadAudit)?;
        Vec::new()
    };
    let next = (entries.len() as i64 == PAGE)
        .then(|| entries.last().map(|e| e.entry.seq.to_string()))
        .flatten();
    let page = AuditPage {
        chrome: Chrome::new(&viewer, "Audit trail", "/audit"),
        entity_type: q.entity_type.clone().unwrap_or_default(),
        entity_id: q.entity_id.clone().unwrap_or_default(),
        action: q.action.clone().unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        first_page: filter.before_seq.is_none(),
        rows: entries.into_iter().map(row_of).collect(),
        errors,
        next,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(status, &page)
}

impl AuditPage {
    /// The query string of this list with `cursor` replaced (pages keep the filters).
    fn with_cursor(&self, cursor: &str) -> String {
        crate::web::query_string(&[
            ("entity_type", self.entity_type.as_str()),
            ("entity_id", &self.entity_id),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
            ("cursor", cursor),
        ])
    }
}

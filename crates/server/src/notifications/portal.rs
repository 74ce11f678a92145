//! The notification pages: the investor's inbox (`/account/notifications`, live through
//! `/assets/notifications.js` reading the API's event stream), their preferences and contact
//! (`/account/notifications/preferences`), and the organization's defaults for admins
//! (`/notifications/defaults`). Every change goes through the same services as the API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use clearway_app::notifications::preferences as app;
use clearway_app::notifications::{contacts as contacts_app, inbox as inbox_app};
use clearway_core::access::Permission;
use clearway_core::notifications::preferences::{enabled, PreferenceRow};
use clearway_core::notifications::{Channel, EventKind};
use clearway_store::notifications::contacts;
use clearway_store::notifications::inbox as inbox_store;
use clearway_store::notifications::preferences as store;
use clearway_store::{funds, Actor};
use serde::Deserialize;

use super::preferences::{parse_contact, ContactRequest};
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::form::{self, FieldErrors};
use crate::web::{Chrome, PageError, PageResult, Viewer};

const INBOX: &str = "/account/notifications";
const PREFS: &str = "/account/notifications/preferences";
const DEFAULTS: &str = "/notifications/defaults";

/// The live-update script (progressive enhancement: the page works without it).
pub const JS: &str = include_str!("../../assets/notifications.js");

/// Routes of the pages and their forms.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(INBOX, get(inbox_page))
        .route("/account/notifications/{id}/read", post(read))
        .route(PREFS, get(prefs_page).post(save_prefs))
        .route("/account/notifications/contact", post(save_contact))
        .route(DEFAULTS, get(defaults_page).post(save_defaults))
        .route(
            "/assets/notifications.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=86400"),
                    ],
                    JS,
                )
            }),
        )
}

/// An event kind in words.
pub fn kind_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::DistributionDeclared => "Distribution declared",
        EventKind::DistributionApproved => "Distribution approved",
        EventKind::DistributionProcessed => "Distribution processed",
        EventKind::ReinvestmentDone => "Reinvestment done",
        EventKind::PaymentSent => "Payment sent",
        EventKind::PaymentSettled => "Payment settled",
        EventKind::PaymentFailed => "Payment failed",
        EventKind::PaymentReturned => "Payment returned",
        EventKind::CheckStale => "Check not cashed (stale)",
        EventKind::BankAccountChanged => "Bank account added or changed",
        EventKind::TaxDocumentReady => "Tax document ready",
        EventKind::ScheduledDistributionUpcoming => "Upcoming scheduled distribution",
    }
}

/// A channel in words.
pub fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "Email",
        Channel::Sms => "Text message (SMS)",
        Channel::InApp => "In the portal",
    }
}

// ---------------------------------------------------------------------------------------
// The inbox

/// One notice as shown.
pub struct InboxRow {
    id: String,
    title: String,
    body: String,
    link: Option<String>,
    at: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notifications/inbox.html")]
struct InboxPage {
    chrome: Chrome,
    rows: Vec<InboxRow>,
    unread: i64,
    next: Option<String>,
    first_page: bool,
}

/// The inbox page's query.
#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    cursor: Option<String>,
    notice: Option<String>,
}

const PAGE: i64 = 50;

async fn inbox_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<InboxQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.portal_page() {
        return Ok(away);
    }
    let investor = own(&viewer)?;
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
    let items = inbox_store::list(&state.db, &viewer.actor, &investor, cursor, PAGE).await?;
    let unread = inbox_store::unread_count(&state.db, &viewer.actor, &investor).await?;
    let next = (items.len() as i64 == PAGE)
        .then(|| items.last().map(|n| n.id.clone()))
        .flatten();
    let notice = (q.notice.as_deref() == Some("read")).then(|| "Marked as read.".to_string());
    let page = InboxPage {
        chrome: Chrome::new(&viewer, "Notifications", INBOX).with_notice(notice),
        rows: items
            .into_iter()
            .map(|n| InboxRow {
                unread: n.read_at.is_none(),
                at: n
                    .created_at
                    .chars()
                    .take(16)
                    .collect::<String>()
                    .replace('T', " "),
                id: n.id,
                title: n.title,
                body: n.body,
                link: n.link.filter(|l| l.starts_with('/')),
            })
            .collect(),
        unread,
        next,
        first_page: cursor.is_none(),
    };
    render_status(StatusCode::OK, &page)
}

fn own(viewer: &Viewer) -> PageResult<String> {
    viewer
        .actor
        .investor_id
        .clone()
        .ok_or_else(PageError::not_found)
}

async fn read(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    form::check(&viewer, &headers, &body)?;
    inbox_app::mark_read(&state.db, &viewer.actor, &id).await?;
    Ok(Redirect::to(&format!("{INBOX}?notice=read")).into_response())
}

// ---------------------------------------------------------------------------------------
// The preference matrix (shared by the investor's page and the defaults page)

/// One event kind's row of the matrix: its channels and whether each is on.
pub struct MatrixRow {
    kind: &'static str,
    label: &'static str,
    cells: Vec<(String, &'static str, &'static str, bool)>,
}

/// The matrix for one fund scope: what applies now (`investor` '' for the defaults).
fn matrix(rows: &[PreferenceRow], investor: &str, fund: Option<&str>) -> Vec<MatrixRow> {
    EventKind::ALL
        .iter()
        .map(|&kind| MatrixRow {
            kind: kind.as_str(),
            label: kind_label(kind),
            cells: Channel::ALL
                .iter()
                .map(|&c| {
                    let name = format!("{}/{}", kind.as_str(), c.as_str());
                    (
                        name,
                        c.as_str(),
                        channel_label(c),
                        enabled(rows, investor, fund, kind, c),
                    )
                })
                .collect(),
        })
        .collect()
}

/// The fund scope chosen (`fund` query or form field; '' = every fund).
#[derive(Debug, Default, Deserialize)]
pub struct ScopeQuery {
    #[serde(default)]
    fund: String,
    notice: Option<String>,
}

/// The posted matrix: the `_csrf`, the scope, and one `kind/channel=on` per checked box.
fn posted_rows(body: &[u8], fund: Option<&str>) -> PageResult<Vec<PreferenceRow>> {
    let on: Vec<String> = form_urlencoded::parse(body)
        .filter(|(k, _)| k.contains('/'))
        .map(|(k, _)| k.into_owned())
        .collect();
    let mut out = Vec::new();
    for kind in EventKind::ALL {
        for channel in Channel::ALL {
            let name = format!("{}/{}", kind.as_str(), channel.as_str());
            out.push(PreferenceRow {
                investor_id: None,
                fund_id: fund.map(str::to_string),
                kind,
                channel,
                enabled: on.contains(&name),
            });
        }
    }
    if on.iter().any(|n| {
        !out.iter()
            .any(|r| format!("{}/{}", r.kind.as_str(), r.channel.as_str()) == *n)
    }) {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "Malformed form",
            "The form named an unknown event kind or channel.",
        ));
    }
    Ok(out)
}

fn scope_of(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "fund")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// Saves one fund scope's matrix, keeping the owner's rows of every other scope (the API's
/// PUT replaces the whole set).
async fn save_scope(
    state: &AppState,
    actor: &Actor,
    investor: Option<&str>,
    body: &[u8],
) -> PageResult<Option<String>> {
    let fund = scope_of(body);
    let mut rows: Vec<PreferenceRow> = store::list(&state.db, actor, investor)
        .await?
        .into_iter()
        .filter(|r| r.fund_id != fund)
        .collect();
    rows.extend(posted_rows(body, fund.as_deref())?);
    app::replace(&state.db, actor, investor, &rows).await?;
    Ok(fund)
}

fn back(path: &str, fund: Option<&str>, notice: &str) -> Response {
    let q = crate::web::query_string(&[("fund", fund.unwrap_or("")), ("notice", notice)]);
    Redirect::to(&format!("{path}?{q}")).into_response()
}

// ---------------------------------------------------------------------------------------
// The investor's preferences and contact

#[derive(Template)]
#[template(path = "notifications/preferences.html")]
struct PrefsPage {
    chrome: Chrome,
    action: &'static str,
    intro: &'static str,
    funds: Vec<(String, String)>,
    fund: String,
    fund_label: String,
    matrix: Vec<MatrixRow>,
    contact: Option<ContactForm>,
    errors: FieldErrors,
}

/// The contact form's fields, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    locale: String,
}

fn fund_label(funds: &[(String, String)], fund: &str) -> String {
    funds
        .iter()
        .find(|(id, _)| id == fund)
        .map_or_else(|| "every fund".into(), |(_, l)| l.clone())
}

async fn draw_prefs(
    state: &AppState,
    viewer: &Viewer,
    fund: &str,
    notice: Option<&str>,
    contact: Option<ContactForm>,
    errors: FieldErrors,
) -> PageResult<Response> {
    let investor = own(viewer)?;
    let funds: Vec<(String, String)> = store::investor_funds(&state.db, &viewer.actor, &investor)
        .await?
        .into_iter()
        .map(|(id, code, name)| (id, format!("{code} — {name}")))
        .collect();
    let fund = if funds.iter().any(|(id, _)| id == fund) {
        fund
    } else {
        ""
    };
    let rows = store::applicable(&state.db, &viewer.actor, &investor).await?;
    let contact = match contact {
        Some(c) => c,
        None => {
            let c = contacts::get(&state.db, &viewer.actor, &investor).await?;
            ContactForm {
                email: c.email.unwrap_or_default(),
                phone: c.phone.unwrap_or_default(),
                locale: c.locale.as_str().into(),
            }
        }
    };
    let notice = match notice {
        Some("saved") => Some("Your preferences were saved.".to_string()),
        Some("contact") => Some("Your contact details were saved.".to_string()),
        _ => None,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &PrefsPage {
            chrome: Chrome::new(viewer, "Notification preferences", PREFS).with_notice(notice),
            action: PREFS,
            intro: "Choose which notices you get and how. A fund's own settings override the ones for every fund.",
            fund_label: fund_label(&funds, fund),
            matrix: matrix(&rows, &investor, (!fund.is_empty()).then_some(fund)),
            fund: fund.to_string(),
            funds,
            contact: Some(contact),
            errors,
        },
    )
}

async fn prefs_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ScopeQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.portal_page() {
        return Ok(away);
    }
    draw_prefs(
        &state,
        &viewer,
        &q.fund,
        q.notice.as_deref(),
        None,
        FieldErrors::default(),
    )
    .await
}

async fn save_prefs(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    form::check(&viewer, &headers, &body)?;
    let investor = own(&viewer)?;
    let fund = save_scope(&state, &viewer.actor, Some(&investor), &body).await?;
    Ok(back(PREFS, fund.as_deref(), "saved"))
}

async fn save_contact(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<ContactForm>(&viewer, &headers, &body)?;
    let investor = own(&viewer)?;
    let blank = |s: &str| Some(Some(s.trim().to_string()).filter(|t| !t.is_empty()));
    let req = ContactRequest {
        email: blank(&f.email),
        phone: blank(&f.phone),
        locale: Some(f.locale.trim().to_string()),
    };
    let result = match parse_contact(&req) {
        Ok(patch) => contacts_app::update(&state.db, &viewer.actor, &investor, &patch).await,
        Err(invalid) => Err(invalid.into()),
    };
    match result {
        Ok(_) => {
            state.events_ready.notify_one();
            Ok(back(PREFS, None, "contact"))
        }
        Err(e) => {
            let errors = FieldErrors::from_error(e, str::to_string)?;
            draw_prefs(&state, &viewer, "", None, Some(f), errors).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// The organization's defaults (admins)

async fn defaults_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ScopeQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    if !viewer.can(Permission::Administer) {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Only administrators set the organization's notification defaults.",
        ));
    }
    let funds: Vec<(String, String)> = funds::list_funds(&state.db, &viewer.actor)
        .await?
        .into_iter()
        .map(|f| (f.id, format!("{} — {}", f.code, f.name)))
        .collect();
    let fund = if funds.iter().any(|(id, _)| *id == q.fund) {
        q.fund.as_str()
    } else {
        ""
    };
    let rows = store::list(&state.db, &viewer.actor, None).await?;
    let notice =
        (q.notice.as_deref() == Some("saved")).then(|| "The defaults were saved.".to_string());
    render_status(
        StatusCode::OK,
        &PrefsPage {
            chrome: Chrome::new(&viewer, "Notification defaults", DEFAULTS).with_notice(notice),
            action: DEFAULTS,
            intro: "What investors get when they have not chosen for themselves. SMS stays off unless turned on here or by the investor.",
            fund_label: fund_label(&funds, fund),
            matrix: matrix(&rows, "", (!fund.is_empty()).then_some(fund)),
            fund: fund.to_string(),
            funds,
            contact: None,
            errors: FieldErrors::default(),
        },
    )
}

async fn save_defaults(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    form::check(&viewer, &headers, &body)?;
    let fund = save_scope(&state, &viewer.actor, None, &body).await?;
    Ok(back(DEFAULTS, fund.as_deref(), "saved"))
}

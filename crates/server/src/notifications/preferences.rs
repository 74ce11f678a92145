//! Preferences (`GET|PUT /api/notifications/preferences`, `…/defaults`) and contacts
//! (`PATCH /api/investors/{investorId}/contact`).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, patch};
use axum::{Json, Router};
use clearway_app::notifications::contacts::{self as contacts_app, ContactPatch};
use clearway_app::notifications::preferences::{self as app, Effective};
use clearway_core::notifications::preferences::PreferenceRow;
use clearway_core::notifications::validate;
use clearway_core::notifications::{Channel, EventKind, Locale};
use clearway_core::{FieldError, Invalid};
use clearway_store::notifications::contacts::Contact;
use clearway_store::notifications::preferences as store;
use clearway_store::Actor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::http::{parse_json, ApiError, ApiResult, Problem, Qs, RawBody};
use crate::state::AppState;

/// Routes of preferences and contacts.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/notifications/preferences", get(get_own).put(put_own))
        .route(
            "/api/notifications/preferences/defaults",
            get(get_defaults).put(put_defaults),
        )
        .route("/api/investors/{investor_id}/contact", patch(patch_contact))
}

/// The OpenAPI paths of this module.
#[derive(OpenApi)]
#[openapi(
    paths(get_own, put_own, get_defaults, put_defaults, patch_contact),
    components(schemas(PreferenceView, PreferencesRequest, NotificationPreferencesView, ContactRequest, ContactView)),
    tags((name = "notifications", description = "Notification preferences, contacts, the in-app inbox and unsubscribe links")),
)]
pub struct ApiDoc;

/// One preference: a channel on or off for an event kind, for one fund or every fund.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreferenceView {
    /// Fund id or code; null for every fund.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64)]
    pub fund_id: Option<String>,
    /// Event kind.
    #[schema(
        pattern = "^(distribution\\.declared|distribution\\.approved|distribution\\.processed|reinvestment\\.done|payment\\.sent|payment\\.settled|payment\\.failed|payment\\.returned|check\\.stale|bankAccount\\.changed|taxDocument\\.ready|schedule\\.upcoming)$"
    )]
    pub event_kind: String,
    /// Channel.
    #[schema(pattern = "^(email|sms|inApp)$")]
    pub channel: String,
    /// On or off.
    pub enabled: bool,
}

/// Body of the `PUT`s: the whole set of rows (those not listed are removed).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreferencesRequest {
    /// Every row; at least one, each (fund, kind, channel) once.
    #[schema(min_items = 1, max_items = 5000)]
    pub preferences: Vec<PreferenceView>,
}

/// Stored rows and what they add up to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPreferencesView {
    /// The investor (absent for the organization's defaults).
    pub investor_id: Option<String>,
    /// Stored rows of this owner.
    pub preferences: Vec<PreferenceView>,
    /// Every event kind × channel for no particular fund and for each fund a row names:
    /// what is sent (the most specific row wins; otherwise email and in-app on, SMS off).
    pub effective: Vec<PreferenceView>,
}

/// Query of the investor preference routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnerQuery {
    /// The investor (staff; investors get their own without it).
    #[param(min_length = 1, max_length = 64)]
    investor_id: Option<String>,
}

fn view(r: &PreferenceRow) -> PreferenceView {
    PreferenceView {
        fund_id: r.fund_id.clone(),
        event_kind: r.kind.as_str().into(),
        channel: r.channel.as_str().into(),
        enabled: r.enabled,
    }
}

fn effective_view(e: &Effective) -> PreferenceView {
    PreferenceView {
        fund_id: e.fund_id.clone(),
        event_kind: e.kind.as_str().into(),
        channel: e.channel.as_str().into(),
        enabled: e.enabled,
    }
}

fn one_of(all: &[&str]) -> String {
    format!("must be one of: {}", all.join(", "))
}

/// The request's rows, every bad field named (`preferences[2].channel`).
pub fn parse_rows(rows: &[PreferenceView]) -> Result<Vec<PreferenceRow>, Invalid> {
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let kind = r.event_kind.parse::<EventKind>().map_err(|_| {
            let all: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            FieldError::new(format!("preferences[{i}].eventKind"), one_of(&all))
        });
        let channel = r.channel.parse::<Channel>().map_err(|_| {
            let all: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
            FieldError::new(format!("preferences[{i}].channel"), one_of(&all))
        });
        let fund_ok = r
            .fund_id
            .as_deref()
            .is_none_or(|f| (1..=64).contains(&f.len()));
        if !fund_ok {
            errors.push(FieldError::new(
                format!("preferences[{i}].fundId"),
                "must be a fund id or code, or null",
            ));
        }
        match (kind, channel) {
            (Ok(kind), Ok(channel)) => out.push(PreferenceRow {
                investor_id: None,
                fund_id: r.fund_id.clone(),
                kind,
                channel,
                enabled: r.enabled,
            }),
            (k, c) => errors.extend(k.err().into_iter().chain(c.err())),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Invalid(errors))
    }
}

/// The investor a request is about: investors their own, staff the one they name.
fn owner(actor: &Actor, q: &OwnerQuery) -> ApiResult<String> {
    match (&actor.investor_id, &q.investor_id) {
        (Some(own), None) => Ok(own.clone()),
        (_, Some(id)) => Ok(id.clone()),
        (None, None) => Err(ApiError::field(
            "investorId",
            "staff must name the investor",
        )),
    }
}

/// The stored rows and effective matrix of one owner (`None`: the organization's defaults).
pub async fn read_view(
    state: &AppState,
    actor: &Actor,
    investor_id: Option<&str>,
) -> ApiResult<NotificationPreferencesView> {
    let rows = store::list(&state.db, actor, investor_id).await?;
    let applicable = match investor_id {
        Some(id) => store::applicable(&state.db, actor, id).await?,
        None => rows.clone(),
    };
    Ok(NotificationPreferencesView {
        investor_id: investor_id.map(str::to_string),
        preferences: rows.iter().map(view).collect(),
        effective: app::effective(&applicable, investor_id.unwrap_or(""))
            .iter()
            .map(effective_view)
            .collect(),
    })
}

#[utoipa::path(get, path = "/api/notifications/preferences", tag = "notifications", params(OwnerQuery),
    responses((status = 200, body = NotificationPreferencesView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_own(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<OwnerQuery>,
) -> ApiResult<Json<NotificationPreferencesView>> {
    let investor = owner(&actor, &q)?;
    Ok(Json(read_view(&state, &actor, Some(&investor)).await?))
}

#[utoipa::path(put, path = "/api/notifications/preferences", tag = "notifications", params(OwnerQuery),
    request_body = PreferencesRequest,
    responses((status = 200, body = NotificationPreferencesView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn put_own(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<OwnerQuery>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<NotificationPreferencesView>> {
    let investor = owner(&actor, &q)?;
    let req: PreferencesRequest = parse_json(&headers, &body)?;
    let rows = parse_rows(&req.preferences)?;
    app::replace(&state.db, &actor, Some(&investor), &rows).await?;
    Ok(Json(read_view(&state, &actor, Some(&investor)).await?))
}

#[utoipa::path(get, path = "/api/notifications/preferences/defaults", tag = "notifications",
    responses((status = 200, body = NotificationPreferencesView), (status = 403, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_defaults(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<NotificationPreferencesView>> {
    Ok(Json(read_view(&state, &actor, None).await?))
}

#[utoipa::path(put, path = "/api/notifications/preferences/defaults", tag = "notifications",
    request_body = PreferencesRequest,
    responses((status = 200, body = NotificationPreferencesView), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn put_defaults(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<NotificationPreferencesView>> {
    actor.require(clearway_core::access::Permission::Administer)?;
    let req: PreferencesRequest = parse_json(&headers, &body)?;
    let rows = parse_rows(&req.preferences)?;
    app::replace(&state.db, &actor, None, &rows).await?;
    Ok(Json(read_view(&state, &actor, None).await?))
}

/// Body of `PATCH /api/investors/{investorId}/contact`: the fields to change (null clears
/// email or phone).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactRequest {
    /// Email address (dot-atom addr-spec with a DNS domain), or null to clear it.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 254, pattern = "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$")]
    pub email: Option<Option<String>>,
    /// Mobile number in E.164, or null to clear it.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>, pattern = "^\\+[1-9][0-9]{7,14}$")]
    pub phone: Option<Option<String>>,
    /// Language of notices.
    #[serde(default)]
    #[schema(pattern = "^(en|es)$")]
    pub locale: Option<String>,
}

/// `Option<Option<T>>` that tells an absent field (None) from null (Some(None)).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }

    pub fn serialize<S: Serializer>(v: &Option<Option<String>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().and_then(|o| o.as_ref()).serialize(s)
    }
}

/// An investor's contact.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    /// Investor.
    pub investor_id: String,
    /// Email.
    pub email: Option<String>,
    /// Mobile number (E.164).
    pub phone: Option<String>,
    /// Language of notices (en or es).
    pub locale: String,
}

impl From<&Contact> for ContactView {
    fn from(c: &Contact) -> Self {
        ContactView {
            investor_id: c.investor_id.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            locale: c.locale.as_str().into(),
        }
    }
}

/// The request parsed strictly, every bad field named.
pub fn parse_contact(req: &ContactRequest) -> Result<ContactPatch, Invalid> {
    let mut errors = Vec::new();
    let mut field = |name: &str,
                     v: &Option<Option<String>>,
                     p: fn(&str) -> Result<String, FieldError>| match v {
        Some(Some(s)) => match p(s) {
            Ok(s) => Some(Some(s)),
            Err(e) => {
                errors.push(FieldError::new(name, e.message));
                None
            }
        },
        other => other.clone(),
    };
    let email = field("email", &req.email, validate::email);
    let phone = field("phone", &req.phone, validate::e164);
    let locale = match req.locale.as_deref().map(str::parse::<Locale>) {
        None => None,
        Some(Ok(l)) => Some(l),
        Some(Err(_)) => {
            errors.push(FieldError::new("locale", "must be one of: en, es"));
            None
        }
    };
    if errors.is_empty() {
        Ok(ContactPatch {
            email,
            phone,
            locale,
        })
    } else {
        Err(Invalid(errors))
    }
}

#[utoipa::path(patch, path = "/api/investors/{investor_id}/contact", tag = "notifications",
    params(("investor_id" = String, Path, description = "Investor id")),
    request_body = ContactRequest,
    responses((status = 200, body = ContactView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn patch_contact(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<ContactView>> {
    // Tenancy first: someone else's investor is 404 before their input is judged.
    clearway_store::notifications::contacts::get(&state.db, &actor, &investor_id).await?;
    let req: ContactRequest = parse_json(&headers, &body)?;
    let patch = parse_contact(&req)?;
    let c = contacts_app::update(&state.db, &actor, &investor_id, &patch).await?;
    state.events_ready.notify_one();
    Ok(Json(ContactView::from(&c)))
}

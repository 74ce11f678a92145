//! Tax profiles over HTTP: `GET`/`PUT /api/investors/{investorId}/tax-profile`,
//! `GET /api/tax/profiles` (staff), `POST /api/tax/profiles/import` (CSV or XLSX).
//!
//! The TIN never leaves in clear: `tinMasked` is `•••••6789`. In a PUT body, `tin` absent or
//! null keeps the stored TIN, `""` removes it, a value replaces it (sealed).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clearway_app::tax::profiles::{self as app, masked};
use clearway_core::access::Permission;
use clearway_core::tax::profile::ProfileInput;
use clearway_store::tax::profiles::{self as store, ListFilter, StoredProfile};
use clearway_store::{Actor, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::http::{
    idempotent, page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved,
};
use crate::state::AppState;

/// Routes of profiles.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/investors/{investor_id}/tax-profile",
            get(get_profile).put(put_profile),
        )
        .route("/api/tax/profiles", get(list_profiles))
        .route("/api/tax/profiles/import", post(import_profiles))
}

/// A tax profile as entered (every field of the import's columns).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxProfileRequest {
    /// `SSN`, `EIN`, `ITIN`, `ATIN`; required with a TIN.
    #[schema(pattern = "^(SSN|EIN|ITIN|ATIN)$")]
    pub tin_type: Option<String>,
    /// Nine digits, dashes allowed. Absent or null: keep the stored TIN; `""`: remove it.
    pub tin: Option<String>,
    /// `CERTIFIED`, `MISSING`, `B_NOTICE`, `C_NOTICE`.
    #[schema(pattern = "^(CERTIFIED|MISSING|B_NOTICE|C_NOTICE)$")]
    pub tin_status: String,
    /// `US` or `FOREIGN`.
    #[schema(pattern = "^(US|FOREIGN)$")]
    pub residency: String,
    /// `W-9`, `W-8BEN`, `W-8BEN-E`.
    #[schema(pattern = "^(W-9|W-8BEN|W-8BEN-E)$")]
    pub certificate: Option<String>,
    /// ISO 3166-1 alpha-2 country (required with a treaty claim and for a foreign person).
    pub country: Option<String>,
    /// Treaty benefits claimed.
    #[serde(default)]
    pub treaty_claim: bool,
    /// Treaty article.
    pub treaty_article: Option<String>,
    /// Chapter 3 status code.
    pub chapter3_status: Option<String>,
    /// Chapter 4 status code.
    pub chapter4_status: Option<String>,
    /// USPS state of residence.
    pub residence_state: Option<String>,
    /// W-9 exempt payee code 1–13.
    pub exempt_payee_code: Option<String>,
    /// FATCA filing requirement.
    #[serde(default)]
    pub fatca_filing: bool,
    /// Foreign TIN.
    pub foreign_tin: Option<String>,
}

impl From<TaxProfileRequest> for ProfileInput {
    fn from(r: TaxProfileRequest) -> ProfileInput {
        ProfileInput {
            tin_type: r.tin_type,
            tin: r.tin,
            tin_status: r.tin_status,
            residency: r.residency,
            certificate: r.certificate,
            country: r.country,
            treaty_claim: r.treaty_claim,
            treaty_article: r.treaty_article,
            chapter3_status: r.chapter3_status,
            chapter4_status: r.chapter4_status,
            residence_state: r.residence_state,
            exempt_payee_code: r.exempt_payee_code,
            fatca_filing: r.fatca_filing,
            foreign_tin: r.foreign_tin,
        }
    }
}

/// A stored tax profile (TIN masked).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxProfileView {
    /// Investor.
    pub investor_id: String,
    /// Kind of TIN.
    pub tin_type: Option<String>,
    /// `•••••6789`, when a TIN is on file.
    pub tin_masked: Option<String>,
    /// TIN status.
    pub tin_status: String,
    /// `US` or `FOREIGN`.
    pub residency: String,
    /// Certificate.
    pub certificate: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Treaty claimed.
    pub treaty_claim: bool,
    /// Treaty article.
    pub treaty_article: Option<String>,
    /// Chapter 3 status.
    pub chapter3_status: Option<String>,
    /// Chapter 4 status.
    pub chapter4_status: Option<String>,
    /// State of residence.
    pub residence_state: Option<String>,
    /// Exempt payee code.
    pub exempt_payee_code: Option<String>,
    /// FATCA filing.
    pub fatca_filing: bool,
    /// Foreign TIN.
    pub foreign_tin: Option<String>,
    /// Why it needs attention (no TIN, B/C notice, foreign without W-8), if it does.
    pub attention: Option<String>,
    /// Last changed by.
    pub updated_by: String,
    /// Last changed (UTC).
    pub updated_at: String,
    /// Version.
    pub version: i64,
}

/// Why a profile needs a person's attention, if it does.
pub fn attention(s: &StoredProfile) -> Option<String> {
    use clearway_core::tax::profile::{Certificate, Residency, TinStatus};
    let p = &s.profile;
    match (p.residency, p.tin_status) {
        (Residency::Foreign, _)
            if !matches!(
                p.certificate,
                Some(Certificate::W8Ben | Certificate::W8BenE)
            ) =>
        {
            Some("foreign person without a W-8".into())
        }
        (_, TinStatus::BNotice) => Some("B notice".into()),
        (_, TinStatus::CNotice) => Some("C notice".into()),
        (Residency::Us, _) if p.tin_last4.is_none() && p.exempt_payee_code.is_none() => {
            Some("no TIN".into())
        }
        (_, TinStatus::Missing) => Some("TIN missing".into()),
        _ => None,
    }
}

impl From<&StoredProfile> for TaxProfileView {
    fn from(s: &StoredProfile) -> Self {
        let p = &s.profile;
        TaxProfileView {
            investor_id: p.investor_id.clone(),
            tin_type: p.tin_type.map(|t| t.as_str().to_string()),
            tin_masked: masked(p.tin_last4.as_deref()),
            tin_status: p.tin_status.as_str().into(),
            residency: p.residency.as_str().into(),
            certificate: p.certificate.map(|c| c.as_str().to_string()),
            country: p.country.clone(),
            treaty_claim: p.treaty_claim,
            treaty_article: p.treaty_article.clone(),
            chapter3_status: p.chapter3_status.clone(),
            chapter4_status: p.chapter4_status.clone(),
            residence_state: p.residence_state.clone(),
            exempt_payee_code: p.exempt_payee_code.clone(),
            fatca_filing: p.fatca_filing,
            foreign_tin: p.foreign_tin.clone(),
            attention: attention(s),
            updated_by: s.updated_by.clone(),
            updated_at: s.updated_at.clone(),
            version: s.version,
        }
    }
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/tax-profile", tag = "tax",
    params(("investor_id" = String, Path, description = "Investor id")),
    responses((status = 200, body = TaxProfileView), (status = 401, body = Problem), (status = 404, body = Problem, description = "No such investor, not yours, or no profile entered")),
    security(("bearer" = [])))]
pub(crate) async fn get_profile(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
) -> ApiResult<Json<TaxProfileView>> {
    let mut tx = state.db.begin().await?;
    let p = app::get(&mut tx, &actor, &investor_id)
        .await?
        .ok_or(StoreError::NotFound("tax profile"))?;
    Ok(Json(TaxProfileView::from(&p)))
}

#[utoipa::path(put, path = "/api/investors/{investor_id}/tax-profile", tag = "tax",
    params(("investor_id" = String, Path, description = "Investor id")),
    request_body = TaxProfileRequest,
    responses((status = 200, body = TaxProfileView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn put_profile(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<TaxProfileView>> {
    actor.require(Permission::Operate)?;
    let mut tx = state.db.begin().await?;
    store::investor_visible_tx(&mut tx, &actor, &investor_id).await?;
    let r: TaxProfileRequest = parse_json(&headers, &body)?;
    let (p, _) = app::put(
        &mut tx,
        &actor,
        &state.config.payments.vault,
        &investor_id,
        &r.into(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(TaxProfileView::from(&p)))
}

/// Query of the profile list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxProfilesQuery {
    /// Only this TIN status.
    #[param(pattern = "^(CERTIFIED|MISSING|B_NOTICE|C_NOTICE)$")]
    tin_status: Option<String>,
    /// Only US or only foreign persons.
    #[param(pattern = "^(US|FOREIGN)$")]
    residency: Option<String>,
    /// Only profiles needing attention (no TIN, B or C notice, foreign without a W-8).
    needs_attention: Option<bool>,
    /// `nextCursor` of the previous page.
    #[param(pattern = "^[0-9]{1,9}$")]
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Parses an offset cursor (the lists of this module page by position).
pub fn offset_of(cursor: Option<&str>) -> ApiResult<i64> {
    match cursor {
        None => Ok(0),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|n| (0..1_000_000_000).contains(n))
            .ok_or_else(|| ApiError::field("cursor", "is not a cursor this list gave")),
    }
}

/// A page of an offset-paged list.
pub fn offset_page<T>(items: Vec<T>, offset: i64, total: i64) -> Page<T> {
    let next = offset + items.len() as i64;
    Page {
        next_cursor: (!items.is_empty() && next < total).then(|| next.to_string()),
        items,
    }
}

#[utoipa::path(get, path = "/api/tax/profiles", tag = "tax", params(TaxProfilesQuery),
    responses((status = 200, body = Page<TaxProfileView>), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn list_profiles(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<TaxProfilesQuery>,
) -> ApiResult<Json<Page<TaxProfileView>>> {
    actor.require(Permission::Read)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("tax profiles").into());
    }
    let limit = page_limit(q.limit, 100)?;
    let offset = offset_of(q.cursor.as_deref())?;
    let check = |field: &str, v: &Option<String>, ok: &[&str]| match v {
        Some(s) if !ok.contains(&s.as_str()) => Err(ApiError::field(
            field,
            format!("must be one of {}", ok.join(", ")),
        )),
        _ => Ok(()),
    };
    check(
        "tinStatus",
        &q.tin_status,
        &["CERTIFIED", "MISSING", "B_NOTICE", "C_NOTICE"],
    )?;
    check("residency", &q.residency, &["US", "FOREIGN"])?;
    let filter = ListFilter {
        tin_status: q.tin_status,
        residency: q.residency,
        needs_attention: q.needs_attention.unwrap_or(false),
    };
    let mut tx = state.db.begin().await?;
    let (items, total) = store::list_tx(&mut tx, &actor, &filter, limit, offset).await?;
    let views = items.iter().map(TaxProfileView::from).collect();
    Ok(Json(offset_page(views, offset, total)))
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxProfileImportView {
    /// Profiles created.
    pub created: i64,
    /// Profiles changed.
    pub updated: i64,
    /// Rows equal to what was stored.
    pub unchanged: i64,
}

#[utoipa::path(post, path = "/api/tax/profiles/import", tag = "tax",
    params(("Idempotency-Key" = Option<String>, Header)),
    request_body(content = String, description = "CSV (text/csv) or XLSX: columns investorId, tinType, tin, tinStatus, residency, certificate, country, treatyClaim, treatyArticle, chapter3Status, chapter4Status, residenceState, exemptPayeeCode, fatcaFiling, foreignTin. All or nothing: any bad row is a 422 naming rows[i].field.", content_type = "text/csv"),
    responses((status = 201, body = TaxProfileImportView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn import_profiles(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("tax profiles").into());
    }
    let vault = state.config.payments.vault.clone();
    let s = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        "/api/tax/profiles/import",
        &body,
        async |tx| {
            let rows = clearway_app::tax::import::parse(&body)?;
            let out = clearway_app::tax::import::apply(tx, &actor, &vault, &rows).await?;
            Saved::json(
                StatusCode::CREATED,
                &TaxProfileImportView {
                    created: out.created,
                    updated: out.updated,
                    unchanged: out.unchanged,
                },
            )
        },
    )
    .await?;
    Ok(s.into_response())
}

/// OpenAPI paths of profiles.
#[derive(OpenApi)]
#[openapi(
    paths(get_profile, put_profile, list_profiles, import_profiles),
    components(schemas(TaxProfileRequest, TaxProfileView, TaxProfileImportView)),
    tags((name = "tax", description = "Year-end tax: profiles, withholding tables, withholding, forms")),
)]
pub struct ApiDoc;

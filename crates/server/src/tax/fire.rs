//! The IRS FIRE side over HTTP: the transmitter settings (admins), writing a year's FIRE file
//! (ORIGINAL or CORRECTED, optionally a test file), the files written and their content.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use clearway_app::tax::fire::{self as app, FireRequest};
use clearway_core::access::Permission;
use clearway_store::tax::fire::{self as store, FireFile, Transmitter};
use clearway_store::{Actor, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::http::{
    idempotent, page_limit, parse_json, ApiError, ApiResult, Problem, Qs, RawBody, Saved,
};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/tax/transmitter",
            get(get_transmitter).put(put_transmitter),
        )
        .route("/api/tax/fire-files", get(list_files).post(post_file))
        .route("/api/tax/fire-files/{file_id}/content", get(file_content))
}

/// The OpenAPI paths of this module.
#[derive(OpenApi)]
#[openapi(
    paths(get_transmitter, put_transmitter, post_file, list_files, file_content),
    components(schemas(TaxTransmitterView, TaxTransmitterRequest, FireFileRequest, FireFileView, FireFileList)),
    tags((name = "tax", description = "Year-end tax: profiles, withholding, forms, K-1, re-characterization")),
)]
pub struct ApiDoc;

/// The transmitter as entered (Publication 1220 T record).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxTransmitterRequest {
    /// Transmitter Control Code (5 letters or digits).
    #[schema(pattern = "^[A-Za-z0-9]{5}$")]
    pub tcc: String,
    /// Transmitter's TIN (9 digits).
    #[schema(pattern = "^[0-9]{9}$")]
    pub tin: String,
    /// Name (1–80).
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    /// Mailing address (1–40).
    #[schema(min_length = 1, max_length = 40)]
    pub address: String,
    /// City (1–40).
    #[schema(min_length = 1, max_length = 40)]
    pub city: String,
    /// State (USPS).
    #[schema(pattern = "^[A-Z]{2}$")]
    pub state: String,
    /// ZIP (5 or 9 digits).
    #[schema(pattern = "^([0-9]{5}|[0-9]{9})$")]
    pub zip: String,
    /// Contact name (1–40).
    #[schema(min_length = 1, max_length = 40)]
    pub contact_name: String,
    /// Contact phone (10–15 digits).
    #[schema(pattern = "^[0-9]{10,15}$")]
    pub contact_phone: String,
    /// Contact e-mail (at most 50).
    #[schema(max_length = 50)]
    pub contact_email: String,
}

/// The transmitter as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaxTransmitterView {
    /// TCC.
    pub tcc: String,
    /// TIN (the organization's own EIN).
    pub tin: String,
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// ZIP.
    pub zip: String,
    /// Contact name.
    pub contact_name: String,
    /// Contact phone.
    pub contact_phone: String,
    /// Contact e-mail.
    pub contact_email: String,
    /// Last changed (UTC).
    pub updated_at: String,
}

impl From<Transmitter> for TaxTransmitterView {
    fn from(t: Transmitter) -> Self {
        TaxTransmitterView {
            tcc: t.tcc,
            tin: t.tin,
            name: t.name,
            address: t.address,
            city: t.city,
            state: t.state,
            zip: t.zip,
            contact_name: t.contact_name,
            contact_phone: t.contact_phone,
            contact_email: t.contact_email,
            updated_at: t.updated_at,
        }
    }
}

#[utoipa::path(get, path = "/api/tax/transmitter", tag = "tax",
    responses((status = 200, body = TaxTransmitterView), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_transmitter(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<TaxTransmitterView>> {
    let mut tx = state.db.begin().await?;
    let t = store::transmitter_tx(&mut tx, &actor)
        .await?
        .ok_or(StoreError::NotFound("transmitter"))?;
    tx.commit().await?;
    Ok(Json(t.into()))
}

#[utoipa::path(put, path = "/api/tax/transmitter", tag = "tax",
    request_body = TaxTransmitterRequest,
    responses((status = 200, body = TaxTransmitterView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn put_transmitter(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<TaxTransmitterView>> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("transmitter").into());
    }
    actor.require(Permission::Administer)?;
    let r: TaxTransmitterRequest = parse_json(&headers, &body)?;
    let t = Transmitter {
        tcc: r.tcc,
        tin: r.tin,
        name: r.name,
        address: r.address,
        city: r.city,
        state: r.state,
        zip: r.zip,
        contact_name: r.contact_name,
        contact_phone: r.contact_phone,
        contact_email: r.contact_email,
        updated_at: String::new(),
    };
    let mut tx = state.db.begin().await?;
    let saved = app::put_transmitter(&mut tx, &actor, &t).await?;
    tx.commit().await?;
    Ok(Json(saved.into()))
}

/// Body of `POST /api/tax/fire-files`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FireFileRequest {
    /// The (closed) tax year.
    #[schema(minimum = 2000, maximum = 9999)]
    pub tax_year: i32,
    /// `ORIGINAL` (first issues not yet filed) or `CORRECTED` (corrected issues not yet filed).
    #[schema(pattern = "^(ORIGINAL|CORRECTED)$")]
    pub kind: String,
    /// A test file (the forms stay unfiled).
    pub test: bool,
}

/// A FIRE file written.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FireFileView {
    /// Id.
    pub id: String,
    /// Tax year.
    pub tax_year: i32,
    /// `ORIGINAL` or `CORRECTED`.
    #[schema(pattern = "^(ORIGINAL|CORRECTED)$")]
    pub kind: String,
    /// A test file.
    pub test: bool,
    /// Payers (A records).
    pub payers: i64,
    /// Payees (B records).
    pub payees: i64,
    /// SHA-256 of the content.
    pub sha256: String,
    /// Written at (UTC).
    pub created_at: String,
}

impl From<FireFile> for FireFileView {
    fn from(f: FireFile) -> Self {
        FireFileView {
            id: f.id,
            tax_year: f.tax_year,
            kind: f.kind,
            test: f.test,
            payers: f.payers,
            payees: f.payees,
            sha256: f.sha256,
            created_at: f.created_at,
        }
    }
}

/// A page of files.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FireFileList {
    /// Files, newest first.
    pub items: Vec<FireFileView>,
    /// The next page's number, absent on the last page.
    pub next_page: Option<i64>,
}

/// Page query of the files.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FireFilesQuery {
    /// Page number (from 1).
    #[param(minimum = 1, maximum = 100000)]
    page: Option<i64>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(post, path = "/api/tax/fire-files", tag = "tax",
    params(("Idempotency-Key" = Option<String>, Header)),
    request_body = FireFileRequest,
    responses((status = 201, body = FireFileView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 502, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn post_file(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("FIRE file").into());
    }
    actor.require(Permission::Administer)?;
    let r: FireFileRequest = parse_json(&headers, &body)?;
    let corrected = match r.kind.as_str() {
        "ORIGINAL" => false,
        "CORRECTED" => true,
        _ => return Err(ApiError::field("kind", "must be ORIGINAL or CORRECTED")),
    };
    let req = FireRequest {
        year: r.tax_year,
        corrected,
        test: r.test,
    };
    let saved = idempotent(
        &state,
        &actor,
        Permission::Administer,
        &headers,
        "/api/tax/fire-files",
        &body,
        async |tx| {
            let file = app::create_file(tx, &actor, &state.config.payments.vault, req).await?;
            Saved::json(StatusCode::CREATED, &FireFileView::from(file))
        },
    )
    .await?;
    Ok(saved.into_response())
}

#[utoipa::path(get, path = "/api/tax/fire-files", tag = "tax",
    params(FireFilesQuery),
    responses((status = 200, body = FireFileList), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_files(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<FireFilesQuery>,
) -> ApiResult<Json<FireFileList>> {
    let limit = page_limit(q.limit, 50)?;
    let page = q.page.unwrap_or(1);
    if !(1..=100_000).contains(&page) {
        return Err(ApiError::field("page", "must be between 1 and 100000"));
    }
    let mut tx = state.db.begin().await?;
    let files = store::list_files_tx(&mut tx, &actor, (page - 1) * limit, limit).await?;
    tx.commit().await?;
    let full = files.len() as i64 == limit;
    Ok(Json(FireFileList {
        items: files.into_iter().map(FireFileView::from).collect(),
        next_page: full.then_some(page + 1),
    }))
}

#[utoipa::path(get, path = "/api/tax/fire-files/{file_id}/content", tag = "tax",
    params(("file_id" = String, Path, description = "FIRE file id")),
    responses((status = 200, content_type = "text/plain", body = String), (status = 401, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn file_content(
    State(state): State<AppState>,
    actor: Actor,
    Path(file_id): Path<String>,
) -> ApiResult<Response> {
    let mut tx = state.db.begin().await?;
    let (file, content) = store::file_content_tx(&mut tx, &actor, &file_id).await?;
    tx.commit().await?;
    let name = format!(
        "attachment; filename=\"fire-{}-{}.txt\"",
        file.tax_year, file.id
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=us-ascii".to_string(),
            ),
            (header::CONTENT_DISPOSITION, name),
        ],
        content,
    )
        .into_response())
}

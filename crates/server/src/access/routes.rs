//! `/api/users` and `/api/tokens`: admins manage the users and tokens of their own
//! organization. The role is checked before the body is looked at, so a non-admin learns
//! nothing about what a valid request would be.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use clearway_app::access::{self as app, TokenCommand, UserCommand};
use clearway_core::access::{Permission, Role};
use clearway_store::{auth, Actor};
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{TokenIssued, TokenRequest, TokenView, UserRequest, UserView};
use crate::http::{
    idempotent, page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved,
};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/users", get(list_users).post(create_user))
        .route("/api/users/{id}/disable", post(disable_user))
        .route("/api/tokens", get(list_tokens).post(issue_token))
        .route("/api/tokens/{id}/revoke", post(revoke_token))
}

fn role(field: &str, value: &str) -> Result<Role, ApiError> {
    value.parse().map_err(|_| {
        ApiError::field(
            field,
            "must be admin, operator, approver, investor or auditor",
        )
    })
}

#[utoipa::path(post, path = "/api/users", tag = "access", request_body = UserRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    responses((status = 201, body = UserView), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Administer)?;
    let req: UserRequest = parse_json(&headers, &body)?;
    let cmd = UserCommand {
        role: role("role", &req.role)?,
        name: req.name,
        email: req.email,
        investor_id: req.investor_id,
    };
    let saved = idempotent(
        &state,
        &actor,
        Permission::Administer,
        &headers,
        "/api/users",
        &body,
        async |tx| {
            let user = app::create_user(tx, &actor, &cmd).await?;
            Saved::json(StatusCode::CREATED, &UserView::from(&user))
        },
    )
    .await?;
    Ok(saved.into_response())
}

/// Query of `GET /api/users`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsersQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Query of `GET /api/tokens`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokensQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Only the tokens of this user.
    user_id: Option<String>,
}

#[utoipa::path(get, path = "/api/users", tag = "access", params(UsersQuery),
    responses((status = 200, body = Page<UserView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn list_users(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<UsersQuery>,
) -> ApiResult<Json<Page<UserView>>> {
    actor.require(Permission::Administer)?;
    let limit = page_limit(q.limit, 100)?;
    let users = auth::list_users(&state.db, &actor, q.cursor.as_deref(), limit).await?;
    Ok(Json(
        Page::new(users, limit, |u| u.id.clone()).map(|u| UserView::from(&u)),
    ))
}

#[utoipa::path(post, path = "/api/users/{id}/disable", tag = "access", params(("id" = String, Path)),
    responses((status = 200, body = UserView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn disable_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<UserView>> {
    let user = app::disable_user(&state.db, &actor, &id).await?;
    Ok(Json(UserView::from(&user)))
}

fn expiry(value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::field("expiresAt", "must be an RFC 3339 timestamp"))
        })
        .transpose()
}

#[utoipa::path(post, path = "/api/tokens", tag = "access", request_body = TokenRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response (without the token, which is shown only once)")),
    responses((status = 201, body = TokenIssued, description = "Issued; an idempotent replay answers the record without `token`"), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn issue_token(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Administer)?;
    let req: TokenRequest = parse_json(&headers, &body)?;
    let cmd = TokenCommand {
        scope: req.scope.as_deref().map(|s| role("scope", s)).transpose()?,
        expires_at: expiry(req.expires_at.as_deref())?,
        user_id: req.user_id,
        name: req.name,
    };
    // The saved (replayable) response leaves the token out: it would be the one place a
    // usable token is stored. A replay answers the record without it; revoke and reissue.
    let mut fresh = None;
    let saved = idempotent(
        &state,
        &actor,
        Permission::Administer,
        &headers,
        "/api/tokens",
        &body,
        async |tx| {
            let issued = app::issue_token(tx, &actor, &cmd).await?;
            let view = TokenIssued::from(&issued);
            let saved = Saved::json(StatusCode::CREATED, &view.record);
            fresh = Some(view);
            saved
        },
    )
    .await?;
    Ok(match fresh {
        Some(view) => (StatusCode::CREATED, Json(view)).into_response(),
        None => saved.into_response(),
    })
}

#[utoipa::path(get, path = "/api/tokens", tag = "access", params(TokensQuery),
    responses((status = 200, body = Page<TokenView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<TokensQuery>,
) -> ApiResult<Json<Page<TokenView>>> {
    actor.require(Permission::Administer)?;
    let limit = page_limit(q.limit, 100)?;
    let tokens = auth::list_tokens(
        &state.db,
        &actor,
        q.user_id.as_deref(),
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(
        Page::new(tokens, limit, |t| t.id.clone()).map(|t| TokenView::from(&t)),
    ))
}

#[utoipa::path(post, path = "/api/tokens/{id}/revoke", tag = "access", params(("id" = String, Path)),
    responses((status = 200, body = TokenView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<TokenView>> {
    let token = app::revoke_token(&state.db, &actor, &id).await?;
    Ok(Json(TokenView::from(&token)))
}

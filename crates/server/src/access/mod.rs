//! Users, API tokens and OIDC sign-in: the admin endpoints (`/api/users`, `/api/tokens`,
//! inside the caller's organization, admins only) over [`clearway_app::access`], and the
//! OIDC authorization-code flow that issues browser session tokens.

pub mod dto;
pub mod oidc;
pub mod routes;

use utoipa::OpenApi;

use axum::Router;

use crate::state::AppState;

/// Routes of this module: the admin endpoints and OIDC sign-in.
pub fn router() -> Router<AppState> {
    routes::router().merge(oidc::router())
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(
        routes::create_user, routes::list_users, routes::disable_user, routes::issue_token,
        routes::list_tokens, routes::revoke_token, oidc::login, oidc::callback,
    ),
    components(schemas(dto::UserRequest, dto::UserView, dto::TokenRequest, dto::TokenView, dto::TokenIssued)),
    tags((name = "access", description = "Users and API tokens of the caller's organization (admins): create, list, disable, issue, list, revoke."))
)]
pub struct ApiDoc;

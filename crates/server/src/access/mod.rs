//! Users, API tokens and OIDC sign-in: the admin endpoints (`/api/users`, `/api/tokens`,
//! inside the caller's organization, admins only) over [`clearway_app::access`], and the
//! OIDC authorization-code flow that issues browser session tokens.

pub mod dto;
pub mod routes;

use utoipa::OpenApi;

pub use routes::router;

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(
        routes::create_user, routes::list_users, routes::disable_user, routes::issue_token,
        routes::list_tokens, routes::revoke_token,
    ),
    components(schemas(dto::UserRequest, dto::UserView, dto::TokenRequest, dto::TokenView, dto::TokenIssued)),
    tags((name = "access", description = "Users and API tokens of the caller's organization (admins): create, list, disable, issue, list, revoke."))
)]
pub struct ApiDoc;

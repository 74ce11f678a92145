//! Bearer-token authentication: the [`Actor`] extractor, over the state's short-lived token
//! cache ([`crate::state::TokenCache`]).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use clearway_store::{auth, Actor};

use super::problem::ApiError;
use crate::state::AppState;

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let token = token.trim();
        let hash = auth::hash_token(token);
        if let Some(actor) = state.tokens.get(&hash) {
            return Ok(actor);
        }
        let actor = auth::authenticate(&state.db, token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        state.tokens.put(hash, actor.clone());
        Ok(actor)
    }
}

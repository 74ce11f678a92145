//! Bearer-token authentication: the [`Actor`] extractor and its short-lived token cache.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use clearway_store::{auth, Actor};

use super::problem::ApiError;
use crate::state::AppState;

/// How long a resolved token is trusted without asking the database again.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(30);
/// Most tokens cached at once; the cache is emptied when full (simple and bounded).
const TOKEN_CACHE_MAX: usize = 10_000;

/// Token hash → actor, with the time it was resolved.
#[derive(Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<String, (Actor, Instant)>>,
}

impl TokenCache {
    fn get(&self, hash: &str) -> Option<Actor> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_CACHE_TTL)
            .map(|(a, _)| a.clone())
    }

    fn put(&self, hash: String, actor: Actor) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= TOKEN_CACHE_MAX {
            entries.clear();
        }
        entries.insert(hash, (actor, Instant::now()));
    }
}

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

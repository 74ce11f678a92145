//! Bearer-token authentication: the [`Actor`] extractor. Every request looks its token up by
//! hash (one indexed query), so a revoked token or a disabled user fails on the very next
//! request, in every process; nothing caches tokens.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use clearway_store::{auth, sessions, Actor};

use super::problem::ApiError;
use crate::state::AppState;

/// The cookie carrying a web session's id (password or OIDC sign-in).
pub const SESSION_COOKIE: &str = "clearway_session";

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = match parts.headers.get(header::AUTHORIZATION) {
            Some(value) => bearer_token(value.to_str().map_err(|_| ApiError::Unauthorized)?)
                .ok_or(ApiError::Unauthorized)?,
            // A signed-in browser reads the API with its session cookie. Cookies are sent on
            // cross-site navigations too, so the cookie authenticates only reads (GET/HEAD),
            // never a change: the pages' own forms carry CSRF tokens.
            None if matches!(parts.method, Method::GET | Method::HEAD) => {
                let id = cookie(&parts.headers, SESSION_COOKIE).ok_or(ApiError::Unauthorized)?;
                return match sessions::session(&state.db, id).await? {
                    Some(s) if s.stage == sessions::Stage::Full => Ok(s.actor),
                    _ => Err(ApiError::Unauthorized),
                };
            }
            None => return Err(ApiError::Unauthorized),
        };
        auth::authenticate(&state.db, token)
            .await?
            .ok_or(ApiError::Unauthorized)
    }
}

/// The token of an `Authorization: Bearer <token>` value. The scheme name is case-insensitive
/// (RFC 7235 §2.1), followed by one or more spaces (`1*SP`); the token is one token68 word.
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_start_matches(' ').trim_end_matches(' ');
    (!token.is_empty() && !token.contains(|c: char| c.is_ascii_whitespace())).then_some(token)
}

/// A cookie's value by name (the first, non-empty, at most 128 characters: our cookies are
/// 64-character hex ids).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_the_token_one_word() {
        for ok in [
            "Bearer abc",
            "bearer abc",
            "BEARER abc",
            "bEaReR  abc",
            "Bearer abc ",
        ] {
            assert_eq!(bearer_token(ok), Some("abc"), "{ok:?}");
        }
        for bad in [
            "Bearerabc",
            "Basic abc",
            "Bearer ",
            "Bearer a b",
            "Bearer\tabc",
            "abc",
        ] {
            assert_eq!(bearer_token(bad), None, "{bad:?}");
        }
    }
}

//! OIDC sign-in for the web pages: the authorization-code flow with PKCE (S256) against the
//! configured provider ([`crate::state::OidcConfig`]). `GET /auth/oidc/login` keeps a fresh
//! state, nonce and code verifier server-side (single use, 10 minutes) and redirects to the
//! provider; `GET /auth/oidc/callback` takes them back by state, exchanges the code with the
//! verifier, checks the ID token (RS256 or ES256 signature against the provider's JWKS; iss,
//! aud, exp, nonce), maps the identity to a user and starts an 8-hour web session (the same
//! session cookie as a password sign-in).

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use clearway_store::auth;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::http::{ApiError, ApiResult};
use crate::state::{AppState, OidcConfig};

/// How long a sign-in may take between login and callback.
const LOGIN_TTL: chrono::Duration = chrono::Duration::minutes(10);
/// Clock skew tolerated on the ID token's expiry.
const LEEWAY_SECS: i64 = 30;
/// Timeout of each call to the provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/oidc/login", get(login))
        .route("/auth/oidc/callback", get(callback))
}

/// The parts of the provider's discovery document used here.
#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

fn config(state: &AppState) -> ApiResult<&OidcConfig> {
    state.config.oidc.as_ref().ok_or(ApiError::BadRequest {
        status: StatusCode::NOT_FOUND,
        field: "path".into(),
        detail: "OIDC sign-in is not configured".into(),
    })
}

async fn fetch<T: serde::de::DeserializeOwned>(state: &AppState, url: &str) -> ApiResult<T> {
    let remote = |e: reqwest::Error| ApiError::Remote(format!("OIDC provider {url}: {e}"));
    state
        .http
        .get(url)
        .timeout(PROVIDER_TIMEOUT)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(remote)?
        .json()
        .await
        .map_err(remote)
}

async fn discover(state: &AppState, cfg: &OidcConfig) -> ApiResult<Discovery> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        cfg.issuer.trim_end_matches('/')
    );
    let found: Discovery = fetch(state, &url).await?;
    // OIDC Discovery §4.3: the document must name the issuer it was fetched for.
    if found.issuer != cfg.issuer {
        return Err(ApiError::Remote(format!(
            "discovery names issuer {}, not {}",
            found.issuer, cfg.issuer
        )));
    }
    Ok(found)
}

/// 256 random bits, base64url.
fn random() -> ApiResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::Internal(format!("randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

#[utoipa::path(get, path = "/auth/oidc/login", tag = "access",
    responses((status = 302, description = "To the provider's authorization endpoint"), (status = 404, body = crate::http::Problem, description = "OIDC is not configured"), (status = 502, body = crate::http::Problem)))]
pub(crate) async fn login(State(state): State<AppState>) -> ApiResult<Response> {
    let cfg = config(&state)?;
    let found = discover(&state, cfg).await?;
    let (login_state, nonce, verifier) = (random()?, random()?, random()?);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let expires = clearway_store::time_text(chrono::Utc::now() + LOGIN_TTL);
    auth::save_oidc_login(&state.db, &login_state, &nonce, &verifier, &expires).await?;
    let mut url = reqwest::Url::parse(&found.authorization_endpoint)
        .map_err(|e| ApiError::Remote(format!("authorization endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &cfg.client_id)
        .append_pair("redirect_uri", &cfg.redirect_url)
        .append_pair("scope", "openid email profile")
        .append_pair("state", &login_state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(redirect(url.as_str()))
}

/// A refused sign-in: 400 naming what was wrong; no session is issued.
fn refused(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        status: StatusCode::BAD_REQUEST,
        field: field.into(),
        detail: detail.into(),
    }
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    id_token: String,
}

#[utoipa::path(get, path = "/auth/oidc/callback", tag = "access",
    params(("code" = String, Query), ("state" = String, Query)),
    responses((status = 302, description = "Signed in: the session cookie is set, to `/`"), (status = 400, body = crate::http::Problem, description = "Bad or reused state, or an ID token that does not verify"), (status = 403, body = crate::http::Problem, description = "No enabled user for this identity"), (status = 404, body = crate::http::Problem), (status = 502, body = crate::http::Problem)))]
pub(crate) async fn callback(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let cfg = config(&state)?;
    let login_state = params
        .get("state")
        .ok_or_else(|| refused("state", "missing"))?;
    // Taken (deleted) first: a state is good for one callback, whatever happens next.
    let (nonce, verifier) = auth::take_oidc_login(&state.db, login_state)
        .await?
        .ok_or_else(|| refused("state", "unknown, expired or already used"))?;
    if let Some(error) = params.get("error") {
        return Err(refused("error", format!("the provider refused: {error}")));
    }
    let code = params
        .get("code")
        .ok_or_else(|| refused("code", "missing"))?;
    let found = discover(&state, cfg).await?;
    let id_token = exchange(&state, cfg, &found, code, &verifier).await?;
    let jwks: Jwks = fetch(&state, &found.jwks_uri).await?;
    let claims = verify(
        &id_token,
        &jwks,
        cfg,
        &nonce,
        chrono::Utc::now().timestamp(),
    )
    .map_err(|why| refused("id_token", why))?;
    let email = claims
        .email
        .as_deref()
        .filter(|_| claims.email_verified == Some(true));
    let started = clearway_app::access::web::sign_in_identity(
        &state.db,
        &claims.iss,
        &claims.sub,
        email,
        crate::web::session::session_id(&headers),
    )
    .await?
    .ok_or_else(|| {
        ApiError::Store(clearway_store::StoreError::Forbidden(
            "no enabled user is bound to this identity or has its verified email".into(),
        ))
    })?;
    let cookie = crate::web::session::session_cookie_for(
        cfg.redirect_url.starts_with("https://"),
        &started.id,
        clearway_app::access::web::SESSION_TTL.num_seconds(),
    );
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, "/".to_string()),
            (header::SET_COOKIE, cookie),
        ],
    )
        .into_response())
}

/// Exchanges the code (with the PKCE verifier) for the ID token.
async fn exchange(
    state: &AppState,
    cfg: &OidcConfig,
    found: &Discovery,
    code: &str,
    verifier: &str,
) -> ApiResult<String> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", cfg.redirect_url.as_str()),
        ("client_id", cfg.client_id.as_str()),
        ("code_verifier", verifier),
    ];
    if let Some(secret) = &cfg.client_secret {
        form.push(("client_secret", secret));
    }
    let resp = state
        .http
        .post(&found.token_endpoint)
        .timeout(PROVIDER_TIMEOUT)
        .form(&form)
        .send()
        .await
        .map_err(|e| ApiError::Remote(format!("OIDC token endpoint: {e}")))?;
    if resp.status().is_client_error() {
        return Err(refused(
            "code",
            format!("the provider refused the code ({})", resp.status()),
        ));
    }
    let body: TokenResponse = resp
        .error_for_status()
        .map_err(|e| ApiError::Remote(format!("OIDC token endpoint: {e}")))?
        .json()
        .await
        .map_err(|e| ApiError::Remote(format!("OIDC token response: {e}")))?;
    Ok(body.id_token)
}

/// A JSON Web Key Set (the fields of RSA and EC keys used here).
#[derive(Debug, Deserialize)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Debug, Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

#[derive(Debug, Deserialize)]
struct JoseHeader {
    alg: String,
    kid: Option<String>,
}

/// The ID token claims checked or used.
#[derive(Debug, Deserialize)]
pub struct Claims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: i64,
    nonce: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

fn b64(part: &str) -> Result<Vec<u8>, &'static str> {
    URL_SAFE_NO_PAD.decode(part).map_err(|_| "not base64url")
}

/// Checks an ID token: signature by a key of `jwks` (RS256 or ES256; anything else, `none`
/// included, is refused), then issuer, audience, expiry (at `now`, Unix seconds) and nonce.
pub fn verify(
    token: &str,
    jwks: &Jwks,
    cfg: &OidcConfig,
    nonce: &str,
    now: i64,
) -> Result<Claims, &'static str> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a signed JWT");
    };
    let header: JoseHeader = serde_json::from_slice(&b64(h)?).map_err(|_| "bad header")?;
    let signed = &token.as_bytes()[..h.len() + 1 + p.len()];
    let sig = b64(s)?;
    let candidates = jwks
        .keys
        .iter()
        .filter(|k| header.kid.is_none() || k.kid == header.kid);
    let mut verified = false;
    for key in candidates {
        verified |= check_signature(&header.alg, key, signed, &sig)?;
    }
    if !verified {
        return Err("signature does not verify with the provider's keys");
    }
    let claims: Claims = serde_json::from_slice(&b64(p)?).map_err(|_| "bad claims")?;
    if claims.iss != cfg.issuer {
        return Err("wrong issuer");
    }
    let audience_ok = match &claims.aud {
        Audience::One(a) => *a == cfg.client_id,
        Audience::Many(all) => all.contains(&cfg.client_id),
    };
    if !audience_ok {
        return Err("wrong audience");
    }
    if claims.exp + LEEWAY_SECS <= now {
        return Err("expired");
    }
    if claims.nonce.as_deref() != Some(nonce) {
        return Err("wrong nonce");
    }
    Ok(claims)
}

/// Whether `sig` over `signed` verifies with `key` under `alg`.
fn check_signature(alg: &str, key: &Jwk, signed: &[u8], sig: &[u8]) -> Result<bool, &'static str> {
    let field = |v: &Option<String>| v.as_deref().ok_or("incomplete key").and_then(b64);
    match (alg, key.kty.as_str()) {
        ("RS256", "RSA") => {
            let (n, e) = (field(&key.n)?, field(&key.e)?);
            let public = RsaPublicKeyComponents { n: &n, e: &e };
            Ok(public
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, signed, sig)
                .is_ok())
        }
        ("ES256", "EC") if key.crv.as_deref() == Some("P-256") => {
            let (x, y) = (field(&key.x)?, field(&key.y)?);
            let point = [&[4u8][..], &x, &y].concat();
            let public = UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point);
            Ok(public.verify(signed, sig).is_ok())
        }
        ("RS256" | "ES256", _) => Ok(false),
        _ => Err("unsupported signature algorithm"),
    }
}

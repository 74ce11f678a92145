//! OIDC sign-in against a stand-in provider started here (discovery, JWKS, /authorize and
//! /token, signing ES256 ID tokens with a P-256 key generated at test time): the happy path
//! sets a session cookie that reads but never writes; a wrong or replayed state, a bad nonce,
//! audience, issuer or signature and an expired token are refused with no session issued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{header, StatusCode as AxStatus};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use clearway_server::state::OidcConfig;
use reqwest::{redirect::Policy, StatusCode};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{spawn_app, spawn_app_with, test_config, TestApp};

const CLIENT_ID: &str = "clearway-web";

/// What the stand-in provider puts in (or how it signs) the next ID token.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Good,
    WrongAudience,
    WrongIssuer,
    Expired,
    BadNonce,
    BadSignature,
    UnverifiedEmail,
}

struct Provider {
    issuer: String,
    key: EcdsaKeyPair,
    other_key: EcdsaKeyPair,
    mode: Mutex<Mode>,
    /// code → (nonce, code_challenge) from /authorize.
    codes: Mutex<HashMap<String, (String, String)>>,
}

fn key() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

async fn discovery(State(p): State<Arc<Provider>>) -> Json<Value> {
    Json(json!({
        "issuer": p.issuer,
        "authorization_endpoint": format!("{}/authorize", p.issuer),
        "token_endpoint": format!("{}/token", p.issuer),
        "jwks_uri": format!("{}/jwks", p.issuer),
    }))
}

async fn jwks(State(p): State<Arc<Provider>>) -> Json<Value> {
    let point = p.key.public_key().as_ref();
    Json(json!({ "keys": [{
        "kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
        "x": b64(&point[1..33]), "y": b64(&point[33..65]),
    }]}))
}

async fn authorize(
    State(p): State<Arc<Provider>>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["client_id"], CLIENT_ID);
    let code = format!("code-{}", uuid::Uuid::new_v4().simple());
    p.codes.lock().unwrap().insert(
        code.clone(),
        (q["nonce"].clone(), q["code_challenge"].clone()),
    );
    let to = format!("{}?code={code}&state={}", q["redirect_uri"], q["state"]);
    (AxStatus::FOUND, [(header::LOCATION, to)])
}

async fn token(State(p): State<Arc<Provider>>, body: String) -> axum::response::Response {
    let form: HashMap<String, String> = reqwest::Url::parse(&format!("http://x/?{body}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let Some((nonce, challenge)) = p.codes.lock().unwrap().remove(&form["code"]) else {
        return (
            AxStatus::BAD_REQUEST,
            Json(json!({ "error": "invalid_grant" })),
        )
            .into_response();
    };
    // PKCE: the verifier must hash to the challenge sent to /authorize.
    if b64(&Sha256::digest(form["code_verifier"].as_bytes())) != challenge
        || form.get("client_secret").map(String::as_str) != Some("s3cret")
    {
        return (
            AxStatus::BAD_REQUEST,
            Json(json!({ "error": "invalid_grant" })),
        )
            .into_response();
    }
    let mode = *p.mode.lock().unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": if mode == Mode::WrongIssuer { "https://evil.example" } else { p.issuer.as_str() },
        "sub": "subject-1",
        "aud": if mode == Mode::WrongAudience { json!("someone-else") } else { json!([CLIENT_ID, "other"]) },
        "iat": now,
        "exp": if mode == Mode::Expired { now - 3600 } else { now + 300 },
        "nonce": if mode == Mode::BadNonce { "not-the-nonce".to_string() } else { nonce },
        "email": "Admin@demo.clearway.dev",
        "email_verified": mode != Mode::UnverifiedEmail,
    });
    let signing = format!(
        "{}.{}",
        b64(br#"{"alg":"ES256","kid":"k1","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    );
    let signer = if mode == Mode::BadSignature {
        &p.other_key
    } else {
        &p.key
    };
    let sig = signer
        .sign(&SystemRandom::new(), signing.as_bytes())
        .unwrap();
    let id_token = format!("{signing}.{}", b64(sig.as_ref()));
    Json(json!({ "id_token": id_token, "access_token": "at", "token_type": "Bearer" }))
        .into_response()
}

/// Starts the provider; returns it (its issuer is its base URL).
async fn start_provider() -> Arc<Provider> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let provider = Arc::new(Provider {
        issuer: format!("http://{}", listener.local_addr().unwrap()),
        key: key(),
        other_key: key(),
        mode: Mutex::new(Mode::Good),
        codes: Mutex::default(),
    });
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(provider.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    provider
}

async fn app_with_provider() -> (TestApp, Arc<Provider>) {
    let provider = start_provider().await;
    let mut config = test_config();
    config.oidc = Some(OidcConfig {
        issuer: provider.issuer.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: Some("s3cret".into()),
        // The provider sends the browser here; the test follows by hand to the app.
        redirect_url: "http://127.0.0.1:9/auth/oidc/callback".into(),
    });
    (spawn_app_with(3, config).await, provider)
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

fn location(resp: &reqwest::Response) -> reqwest::Url {
    assert_eq!(resp.status(), StatusCode::FOUND);
    reqwest::Url::parse(resp.headers()[header::LOCATION.as_str()].to_str().unwrap()).unwrap()
}

/// Login → provider's /authorize; returns the callback query (code and state).
async fn authorize_at_provider(app: &TestApp) -> String {
    let client = no_redirects();
    let login = client
        .get(app.url("/auth/oidc/login"))
        .send()
        .await
        .unwrap();
    let to_provider = location(&login);
    let q: HashMap<_, _> = to_provider.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["response_type"], "code");
    assert!(q["state"].len() >= 43 && q["nonce"].len() >= 43);
    let back = client.get(to_provider).send().await.unwrap();
    location(&back).query().unwrap().to_string()
}

async fn callback(app: &TestApp, query: &str) -> reqwest::Response {
    no_redirects()
        .get(app.url(&format!("/auth/oidc/callback?{query}")))
        .send()
        .await
        .unwrap()
}

async fn sessions(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) AS n FROM web_sessions").await
}

#[tokio::test]
async fn a_sign_in_sets_a_session_cookie_that_reads_but_cannot_write() {
    let (app, _provider) = app_with_provider().await;
    let query = authorize_at_provider(&app).await;
    let resp = callback(&app, &query).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(resp.headers()[header::LOCATION.as_str()], "/");
    let cookie = resp.headers()[header::SET_COOKIE.as_str()]
        .to_str()
        .unwrap()
        .to_string();
    let id = cookie["clearway_session=".len()..]
        .split(';')
        .next()
        .unwrap();
    assert!(
        id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{cookie}"
    );
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "the redirect URL is http");
    let session = cookie.split(';').next().unwrap().to_string();
    assert_eq!(sessions(&app).await, 1);
    // Bound by verified email (case-insensitive) to the demo admin, and acting as admin.
    let bound = app
        .count(
            "SELECT COUNT(*) AS n FROM users WHERE oidc_subject = 'subject-1' AND role = 'admin'",
        )
        .await;
    assert_eq!(bound, 1);
    let read = app
        .client
        .get(app.url("/api/users"))
        .header("Cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    let write = app
        .client
        .post(app.url("/api/users"))
        .header("Cookie", &session)
        .json(&json!({ "name": "X", "email": "x@y.co", "role": "auditor" }))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::UNAUTHORIZED);
    // The same session opens the web pages.
    let page = app
        .client
        .get(app.url("/distributions"))
        .header("Cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("<h1>Distributions</h1>"));
    // The state was single use: the same callback again is refused, and issues nothing.
    let again = callback(&app, &query).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["field"], "state");
    assert_eq!(sessions(&app).await, 1);
    // A second sign-in finds the identity already bound.
    let resp = callback(&app, &authorize_at_provider(&app).await).await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(sessions(&app).await, 2);
    app.stop().await;
}

#[tokio::test]
async fn bad_id_tokens_and_states_are_refused_and_issue_no_session() {
    let (app, provider) = app_with_provider().await;
    let resp = callback(&app, "code=whatever&state=never-issued").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.json::<Value>().await.unwrap()["field"], "state");
    for mode in [
        Mode::WrongAudience,
        Mode::WrongIssuer,
        Mode::Expired,
        Mode::BadNonce,
        Mode::BadSignature,
    ] {
        *provider.mode.lock().unwrap() = mode;
        let resp = callback(&app, &authorize_at_provider(&app).await).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{mode:?}");
        assert!(resp.headers().get(header::SET_COOKIE.as_str()).is_none());
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["field"], "id_token", "{mode:?}: {body}");
    }
    // A code the provider never issued: it refuses the exchange.
    *provider.mode.lock().unwrap() = Mode::Good;
    let query = authorize_at_provider(&app).await;
    let forged = query.replace("code=code-", "code=code-0");
    assert_eq!(
        callback(&app, &forged).await.status(),
        StatusCode::BAD_REQUEST
    );
    // An unverified email binds no user.
    *provider.mode.lock().unwrap() = Mode::UnverifiedEmail;
    let resp = callback(&app, &authorize_at_provider(&app).await).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(sessions(&app).await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users WHERE oidc_subject IS NOT NULL")
            .await,
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn oidc_is_off_unless_configured() {
    let app = spawn_app(3).await;
    let resp = no_redirects()
        .get(app.url("/auth/oidc/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

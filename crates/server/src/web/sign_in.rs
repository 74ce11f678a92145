//! Sign-in, the second factor, sign-out, password reset, and the security page (TOTP
//! enrolment for approvers and admins). A new session id is issued at every sign-in and again
//! when the second factor is given; the session presented before is ended.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use clearway_app::access::web::{self as app, SignIn};
use clearway_store::sessions::Stage;
use serde::Deserialize;

use super::error::{render, render_status};
use super::form::{self, FieldErrors, PRE_SESSION_COOKIE};
use super::session::{cleared_cookie, cookie, secure_suffix, session_cookie, session_id};
use super::{Chrome, PageError, PageResult, Viewer};
use crate::state::AppState;

/// Routes of the sign-in pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/login/totp", get(totp_page).post(totp))
        .route("/logout", post(logout))
        .route("/login/reset", get(reset_request_page).post(reset_request))
        .route("/login/reset/{token}", get(reset_page).post(reset))
        .route("/account/security", get(security_page))
        .route("/account/security/totp", post(totp_begin))
        .route("/account/security/totp/confirm", post(totp_confirm))
}

async fn home(viewer: Result<Viewer, Response>) -> Response {
    match viewer {
        Ok(v) => v.to_home(),
        Err(_) => Redirect::to("/login").into_response(),
    }
}

/// A local path to return to after sign-in; anything else (another host, `//x`) is `/`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => "/".into(),
    }
}

/// The pre-session CSRF secret: the cookie's, or a new one to set.
fn pre_session_secret(headers: &HeaderMap) -> PageResult<(String, Option<String>)> {
    if let Some(v) = cookie(headers, PRE_SESSION_COOKIE) {
        return Ok((v.to_string(), None));
    }
    let secret = app::random_secret()?;
    Ok((secret.clone(), Some(secret)))
}

fn with_pre_session_cookie(state: &AppState, mut res: Response, new: Option<String>) -> Response {
    if let Some(secret) = new {
        let c = format!(
            "{PRE_SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/login{}",
            secure_suffix(state)
        );
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
    notice: Option<String>,
    oidc: bool,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    notice: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> PageResult<Response> {
    let (csrf, new) = pre_session_secret(&headers)?;
    let notice = match q.notice.as_deref() {
        Some("reset") => Some("Your password has been changed. Sign in with the new one.".into()),
        Some("signed-out") => Some("You have signed out.".into()),
        _ => None,
    };
    let page = LoginPage {
        csrf,
        next: safe_next(q.next.as_deref()),
        email: String::new(),
        error: None,
        notice,
        oidc: state.config.oidc.is_some(),
    };
    Ok(with_pre_session_cookie(&state, render(&page)?, new))
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let secret = cookie(&headers, PRE_SESSION_COOKIE).unwrap_or_default();
    let form::Form(f) = form::parse_with_secret::<LoginForm>(secret, &headers, &body)?;
    let next = safe_next(f.next.as_deref());
    let again = |error: &str, status: StatusCode| {
        let page = LoginPage {
            csrf: secret.to_string(),
            next: next.clone(),
            email: f.email.clone(),
            error: Some(error.into()),
            notice: None,
            oidc: state.config.oidc.is_some(),
        };
        render_status(status, &page)
    };
    if f.email.chars().count() > 254 || f.password.chars().count() > 1024 {
        return again("Email or password is wrong.", StatusCode::UNAUTHORIZED);
    }
    match app::sign_in(&state.db, &f.email, &f.password, session_id(&headers)).await? {
        SignIn::Refused => again("Email or password is wrong.", StatusCode::UNAUTHORIZED),
        SignIn::Throttled => again(
            "Too many failed sign-ins for this email. Wait 15 minutes, or reset the password.",
            StatusCode::TOO_MANY_REQUESTS,
        ),
        SignIn::Started(s) => {
            let (to, ttl) = match s.stage {
                Stage::Full => (next, app::SESSION_TTL.num_seconds()),
                Stage::Totp => ("/login/totp".to_string(), 300),
            };
            Ok((
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, to),
                    (header::SET_COOKIE, session_cookie(&state, &s.id, ttl)),
                ],
            )
                .into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage {
    csrf: String,
    error: Option<String>,
}

/// The session that still owes its second factor, with its CSRF secret.
async fn pending(state: &AppState, headers: &HeaderMap) -> PageResult<(String, String)> {
    let id = session_id(headers).ok_or_else(PageError::not_found)?;
    match app::session(&state.db, id).await? {
        Some(s) if s.stage == Stage::Totp => Ok((id.to_string(), s.csrf)),
        _ => Err(PageError::new(
            StatusCode::UNAUTHORIZED,
            "Sign in again",
            "This sign-in has expired. Sign in again.",
        )),
    }
}

async fn totp_page(State(state): State<AppState>, headers: HeaderMap) -> PageResult<Response> {
    let (_, csrf) = pending(&state, &headers).await?;
    render(&TotpPage { csrf, error: None })
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
}

async fn totp(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let (id, csrf) = pending(&state, &headers).await?;
    let form::Form(f) = form::parse_with_secret::<CodeForm>(&csrf, &headers, &body)?;
    match app::second_factor(&state.db, &state.config.payments.vault, &id, &f.code).await? {
        Some(s) => Ok((
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, "/".to_string()),
                (
                    header::SET_COOKIE,
                    session_cookie(&state, &s.id, app::SESSION_TTL.num_seconds()),
                ),
            ],
        )
            .into_response()),
        None => render_status(
            StatusCode::UNAUTHORIZED,
            &TotpPage {
                csrf,
                error: Some("That code is wrong or was used already.".into()),
            },
        ),
    }
}

async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    form::check(&viewer, &headers, &body)?;
    if let Some(id) = session_id(&headers) {
        app::sign_out(&state.db, id).await?;
    }
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/login?notice=signed-out".to_string()),
            (header::SET_COOKIE, cleared_cookie()),
        ],
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "reset_request.html")]
struct ResetRequestPage {
    csrf: String,
    sent: bool,
}

async fn reset_request_page(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> PageResult<Response> {
    let (csrf, new) = pre_session_secret(&headers)?;
    Ok(with_pre_session_cookie(
        &state,
        render(&ResetRequestPage { csrf, sent: false })?,
        new,
    ))
}

#[derive(Deserialize)]
struct EmailForm {
    email: String,
}

async fn reset_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let secret = cookie(&headers, PRE_SESSION_COOKIE).unwrap_or_default();
    let form::Form(f) = form::parse_with_secret::<EmailForm>(secret, &headers, &body)?;
    if f.email.chars().count() <= 254 {
        if let Some(token) = app::request_reset(&state.db, &f.email).await? {
            // Until the notification engine sends mail, the link goes to the server's log, for
            // the operator to pass on (never into a response: that would hand it to anyone).
            let base = state.config.public_url.clone().unwrap_or_else(|| {
                let host = headers
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("127.0.0.1:8080");
                format!("http://{host}")
            });
            tracing::info!(target: "clearway::mail", link = %format!("{}/login/reset/{token}", base.trim_end_matches('/')), "password reset link");
        }
    }
    render(&ResetRequestPage {
        csrf: secret.to_string(),
        sent: true,
    })
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    csrf: String,
    token: String,
    errors: FieldErrors,
}

fn valid_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn reset_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> PageResult<Response> {
    if !valid_token(&token) || !app::reset_usable(&state.db, &token).await? {
        return Err(PageError::new(
            StatusCode::NOT_FOUND,
            "Link expired",
            "This reset link is unknown, used or expired. Ask for a new one.",
        ));
    }
    let (csrf, new) = pre_session_secret(&headers)?;
    let page = ResetPage {
        csrf,
        token,
        errors: FieldErrors::default(),
    };
    Ok(with_pre_session_cookie(&state, render(&page)?, new))
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
    confirm: String,
}

async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let secret = cookie(&headers, PRE_SESSION_COOKIE).unwrap_or_default();
    let form::Form(f) = form::parse_with_secret::<PasswordForm>(secret, &headers, &body)?;
    let again = |errors: FieldErrors| {
        let page = ResetPage {
            csrf: secret.to_string(),
            token: token.clone(),
            errors,
        };
        render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    if f.password != f.confirm {
        let mut errors = FieldErrors::default();
        errors.push("confirm", "does not match the password");
        return again(errors);
    }
    if !valid_token(&token) {
        return Err(PageError::not_found());
    }
    match app::reset_password(&state.db, &token, &f.password).await {
        Ok(true) => Ok(Redirect::to("/login?notice=reset").into_response()),
        Ok(false) => Err(PageError::new(
            StatusCode::NOT_FOUND,
            "Link expired",
            "This reset link is unknown, used or expired. Ask for a new one.",
        )),
        Err(e) => again(FieldErrors::from_error(e, |f| f.to_string())?),
    }
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    chrome: Chrome,
    offered: bool,
    enabled: bool,
    enrolment: Option<app::Enrolment>,
    error: Option<String>,
}

async fn security(
    state: &AppState,
    viewer: &Viewer,
    enrolment: Option<app::Enrolment>,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult<Response> {
    let page = SecurityPage {
        chrome: Chrome::new(viewer, "Security", "/account/security").with_notice(notice),
        offered: app::second_factor_offered(viewer.actor.role),
        enabled: app::totp_enabled(&state.db, &viewer.actor).await?,
        enrolment,
        error,
    };
    render(&page)
}

async fn security_page(State(state): State<AppState>, viewer: Viewer) -> PageResult<Response> {
    security(&state, &viewer, None, None, None).await
}

async fn totp_begin(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    form::check(&viewer, &headers, &body)?;
    let e = app::begin_totp(
        &state.db,
        &state.config.payments.vault,
        &viewer.actor,
        &viewer.email,
    )
    .await?;
    security(&state, &viewer, Some(e), None, None).await
}

async fn totp_confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<CodeForm>(&viewer, &headers, &body)?;
    if app::confirm_totp(
        &state.db,
        &state.config.payments.vault,
        &viewer.actor,
        &f.code,
    )
    .await?
    {
        security(
            &state,
            &viewer,
            None,
            None,
            Some("Two-step sign-in is on: you will be asked for a code at every sign-in.".into()),
        )
        .await
    } else {
        security(
            &state,
            &viewer,
            None,
            Some("That code is wrong or was used already: start again.".into()),
            None,
        )
        .await
    }
}

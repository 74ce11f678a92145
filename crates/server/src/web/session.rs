//! The signed-in person of a page request: [`Viewer`], from the session cookie. Pages that
//! need one redirect to `/login` without it; the API's bearer tokens never sign in a page.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use clearway_core::access::{Permission, Role};
use clearway_store::sessions::Stage;
use clearway_store::Actor;

use crate::state::AppState;

/// The cookie carrying the session id.
pub use crate::http::auth::{cookie, SESSION_COOKIE};

/// A signed-in person: their actor (role and tenancy, as in the API), name, and the CSRF
/// secret their forms carry.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The user, acting inside their organization with their role.
    pub actor: Actor,
    /// Display name.
    pub name: String,
    /// Email.
    pub email: String,
    /// The CSRF secret of this session's forms.
    pub csrf: String,
}

impl Viewer {
    /// Whether the role grants `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.actor.role.allows(permission)
    }

    /// Whether this is an investor (the portal) rather than staff (the console).
    pub fn is_investor(&self) -> bool {
        self.actor.role == Role::Investor
    }

    /// Where this person starts: the console for staff, the portal for investors.
    pub fn home(&self) -> &'static str {
        if self.is_investor() {
            "/account/distributions"
        } else {
            "/distributions"
        }
    }

    /// The redirect to [`Viewer::home`].
    pub fn to_home(&self) -> Response {
        Redirect::to(self.home()).into_response()
    }

    /// For a console page: an investor is sent to their portal, showing nothing (`None`:
    /// staff, the page is theirs).
    pub fn staff_page(&self) -> Option<Response> {
        self.is_investor().then(|| self.to_home())
    }

    /// For a portal page: staff are sent to their console (`None`: an investor).
    pub fn portal_page(&self) -> Option<Response> {
        (!self.is_investor()).then(|| self.to_home())
    }
}

/// The session id in the request's cookies, if any.
pub fn session_id(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, SESSION_COOKIE)
}

/// Where to send someone who is not signed in: the sign-in page, back here afterwards.
fn to_sign_in(parts: &Parts) -> Response {
    let here = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    Redirect::to(&format!("/login?next={next}")).into_response()
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(id) = session_id(&parts.headers) else {
            return Err(to_sign_in(parts));
        };
        let session = clearway_app::access::web::session(&state.db, id)
            .await
            .map_err(|e| super::PageError::from(e).into_response())?;
        match session {
            Some(s) if s.stage == Stage::Full => Ok(Viewer {
                actor: s.actor,
                name: s.name,
                email: s.email,
                csrf: s.csrf,
            }),
            Some(_) => Err(Redirect::to("/login/totp").into_response()),
            None => Err(to_sign_in(parts)),
        }
    }
}

/// The `Set-Cookie` value of a new session (HttpOnly, SameSite=Lax; Secure behind https).
pub fn session_cookie(state: &AppState, id: &str, max_age_seconds: i64) -> String {
    session_cookie_for(!secure_suffix(state).is_empty(), id, max_age_seconds)
}

/// The `Set-Cookie` value of a new session, `Secure` when `secure`.
pub fn session_cookie_for(secure: bool, id: &str, max_age_seconds: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={id}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_seconds}{secure}"
    )
}

/// `; Secure` when the server is reached over https.
pub fn secure_suffix(state: &AppState) -> &'static str {
    if state
        .config
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
    {
        "; Secure"
    } else {
        ""
    }
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_cookie() -> String {
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0")
}

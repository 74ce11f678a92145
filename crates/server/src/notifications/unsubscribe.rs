//! `GET /unsubscribe?token=…` shows what a link turns off and a button (no login; a GET
//! changes nothing, so mail scanners that follow links unsubscribe nobody);
//! `POST /unsubscribe?token=…` does it: the page's button, or a mail client's RFC 8058
//! one-click request (body `List-Unsubscribe=One-Click`). A forged or malformed token is a
//! 400 page, an expired one 410.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use clearway_app::notifications::unsubscribe as app;
use clearway_core::notifications::unsubscribe::{verify, Claim, TokenError};
use clearway_store::{funds, Actor};

use super::portal::{channel_label, kind_label};
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::PageResult;

/// Route of the link.
pub fn router() -> Router<AppState> {
    Router::new().route("/unsubscribe", get(show).post(confirm))
}

#[derive(Template)]
#[template(path = "notifications/unsubscribe.html")]
struct UnsubscribePage {
    title: String,
    message: String,
    token: Option<String>,
    done: bool,
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The `token` query parameter (the only one).
fn token_of(query: Option<&str>) -> String {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn refused(e: &TokenError) -> PageResult<Response> {
    let (status, message) = match e {
        TokenError::Expired => (
            StatusCode::GONE,
            "This unsubscribe link has expired. Sign in to change your notification preferences.",
        ),
        _ => (
            StatusCode::BAD_REQUEST,
            "This unsubscribe link is not valid. Sign in to change your notification preferences.",
        ),
    };
    render_status(
        status,
        &UnsubscribePage {
            title: "Link not valid".into(),
            message: message.into(),
            token: None,
            done: false,
        },
    )
}

/// What the link turns off, in words.
async fn describe(state: &AppState, claim: &Claim) -> String {
    let what = claim.kind.map_or("all notices", kind_label).to_lowercase();
    let fund = match claim.fund_id.as_deref() {
        Some(id) => funds::find_fund(&state.db, &Actor::system(&claim.org_id), id)
            .await
            .map_or_else(
                |_| "one fund".to_string(),
                |f| format!("{} ({})", f.name, f.code),
            ),
        None => "every fund".into(),
    };
    format!(
        "{what} by {} for {fund}",
        channel_label(claim.channel).to_lowercase()
    )
}

async fn show(State(state): State<AppState>, RawQuery(query): RawQuery) -> PageResult<Response> {
    let token = token_of(query.as_deref());
    let claim = match verify(state.config.unsubscribe_key.bytes(), &token, now_unix()) {
        Ok(c) => c,
        Err(e) => return refused(&e),
    };
    let what = describe(&state, &claim).await;
    render_status(
        StatusCode::OK,
        &UnsubscribePage {
            title: "Unsubscribe".into(),
            message: format!("Stop receiving {what}?"),
            token: Some(token),
            done: false,
        },
    )
}

async fn confirm(State(state): State<AppState>, RawQuery(query): RawQuery) -> PageResult<Response> {
    let token = token_of(query.as_deref());
    if let Err(e) = verify(state.config.unsubscribe_key.bytes(), &token, now_unix()) {
        return refused(&e);
    }
    let (claim, _changed) = app::unsubscribe(
        &state.db,
        state.config.unsubscribe_key.bytes(),
        &token,
        now_unix(),
    )
    .await?;
    let what = describe(&state, &claim).await;
    render_status(
        StatusCode::OK,
        &UnsubscribePage {
            title: "Unsubscribed".into(),
            message: format!("You will no longer receive {what}. You can change this any time in your notification preferences."),
            token: None,
            done: true,
        },
    )
}

//! The idempotent write path: a creating request under an optional `Idempotency-Key` runs
//! once; its retries replay the saved response.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use clearway_core::access::Permission;
use clearway_store::idempotency::{self, Claim};
use clearway_store::{Actor, Tx};

use super::problem::{ApiError, ApiResult};
use crate::state::AppState;

/// The `Idempotency-Key` header, validated (1–255 visible ASCII characters).
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let key = v
                .to_str()
                .map_err(|_| ApiError::field("Idempotency-Key", "must be visible ASCII"))?;
            if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters",
                ));
            }
            Ok(Some(key.to_string()))
        }
    }
}

/// A JSON response produced inside a transaction (and replayable for idempotent retries).
#[derive(Debug)]
pub struct Saved {
    /// HTTP status.
    pub status: StatusCode,
    /// JSON body.
    pub body: String,
}

impl Saved {
    /// `view` serialised as the response body. A view that cannot be serialised is an
    /// internal error (a 500 problem, and the transaction rolls back): never an empty body
    /// saved and replayed to every retry.
    pub fn json<T: serde::Serialize + ?Sized>(status: StatusCode, view: &T) -> ApiResult<Saved> {
        let body = serde_json::to_string(view)
            .map_err(|e| ApiError::Internal(format!("serialising a {status} response: {e}")))?;
        Ok(Saved { status, body })
    }
}

/// A saved response goes out as JSON with its status, the same on first run and on replay.
impl IntoResponse for Saved {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            self.body,
        )
            .into_response()
    }
}

/// Runs a creating request under an optional idempotency key: a retry with the same key and
/// body returns the saved response, a different body is refused, and the work, its audit,
/// its events and the saved response commit together.
///
/// The caller's role must grant `permission` before any key is looked at: a saved response
/// is only ever replayed to a caller who may make the request now (and, keys being scoped per
/// user, only to the user who made it).
pub(crate) async fn idempotent<F>(
    state: &AppState,
    actor: &Actor,
    permission: Permission,
    headers: &HeaderMap,
    path: &str,
    raw: &[u8],
    work: F,
) -> ApiResult<Saved>
where
    F: for<'t> AsyncFnOnce(&'t mut Tx) -> ApiResult<Saved>,
{
    actor.require(permission)?;
    let key = idempotency_key(headers)?;
    let mut tx = state.db.begin().await?;
    if let Some(key) = &key {
        match idempotency::claim(
            &mut tx,
            actor,
            key,
            &idempotency::request_hash(&actor.user_id, "POST", path, raw),
        )
        .await?
        {
            Claim::Fresh => {}
            Claim::Replay { status, body } => {
                // Saved from a StatusCode, so always valid; anything else is a corrupt row.
                let status = StatusCode::from_u16(status).map_err(|_| {
                    ApiError::Internal(format!("saved response has status {status}"))
                })?;
                return Ok(Saved { status, body });
            }
            Claim::Mismatch => {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "this key was already used with a different request",
                ));
            }
        }
    }
    let saved = work(&mut tx).await?;
    if let Some(key) = &key {
        idempotency::save(&mut tx, actor, key, saved.status.as_u16(), &saved.body).await?;
    }
    tx.commit().await?;
    state.events_ready.notify_one();
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    /// A view whose serialisation fails (no view of the API can today: they hold strings,
    /// numbers and parsed JSON only; this stands for a future one that could).
    struct Unserialisable;

    impl serde::Serialize for Unserialisable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("cannot"))
        }
    }

    #[test]
    fn a_response_that_cannot_be_serialised_is_a_500_not_an_empty_saved_body() {
        let err = Saved::json(StatusCode::CREATED, &Unserialisable).unwrap_err();
        assert!(matches!(err, ApiError::Internal(_)));
        assert_eq!(
            err.into_response().status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let ok = Saved::json(StatusCode::CREATED, &serde_json::json!({ "a": 1 })).unwrap();
        assert_eq!(
            (ok.status, ok.body.as_str()),
            (StatusCode::CREATED, r#"{"a":1}"#)
        );
    }
}

//! Wire shapes of the user and token endpoints.

use clearway_store::auth::{IssuedToken, TokenRecord, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `POST /api/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserRequest {
    /// Display name (1–200 characters, not blank).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    /// Email address.
    #[schema(
        max_length = 254,
        pattern = "^[^\\s@\\u0000-\\u001F\\u007F-\\u009F]+@[^\\s@\\u0000-\\u001F\\u007F-\\u009F]*\\.[^\\s@\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub email: String,
    /// `admin`, `operator`, `approver`, `investor` or `auditor`.
    #[schema(pattern = "^(admin|operator|approver|investor|auditor)$")]
    pub role: String,
    /// The investor an investor user represents (required for, and only for, investors).
    #[serde(default)]
    pub investor_id: Option<String>,
}

/// A user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Role.
    pub role: String,
    /// For investor users: their investor.
    pub investor_id: Option<String>,
    /// When created.
    pub created_at: String,
    /// When disabled (their tokens no longer work), if ever.
    pub disabled_at: Option<String>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            role: u.role.as_str().into(),
            investor_id: u.investor_id.clone(),
            created_at: u.created_at.clone(),
            disabled_at: u.disabled_at.clone(),
        }
    }
}

/// Body of `POST /api/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenRequest {
    /// The user the token acts for (in the caller's organization).
    pub user_id: String,
    /// What the token is for (1–200 characters, not blank).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    /// The role the token acts with; never more than the user's (default: the user's role).
    #[serde(default)]
    #[schema(pattern = "^(admin|operator|approver|investor|auditor)$")]
    pub scope: Option<String>,
    /// When it stops working (RFC 3339, in the future); never when absent.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

/// An API token's record (never the token itself).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    /// Public id (use it to revoke).
    pub id: String,
    /// The user it acts for.
    pub user_id: String,
    /// What it is for.
    pub name: String,
    /// The role it acts with.
    pub scope: String,
    /// When issued.
    pub created_at: String,
    /// When it stops working, if ever.
    pub expires_at: Option<String>,
    /// When last used (to the minute).
    pub last_used_at: Option<String>,
    /// When revoked, if ever.
    pub revoked_at: Option<String>,
}

impl From<&TokenRecord> for TokenView {
    fn from(t: &TokenRecord) -> Self {
        TokenView {
            id: t.id.clone(),
            user_id: t.user_id.clone(),
            name: t.name.clone(),
            scope: t.scope.as_str().into(),
            created_at: t.created_at.clone(),
            expires_at: t.expires_at.clone(),
            last_used_at: t.last_used_at.clone(),
            revoked_at: t.revoked_at.clone(),
        }
    }
}

/// An issued token: its record and the bearer token, shown only in this response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenIssued {
    /// The record.
    #[serde(flatten)]
    pub record: TokenView,
    /// The bearer token; only its hash is stored, so it cannot be shown again.
    pub token: String,
}

impl From<&IssuedToken> for TokenIssued {
    fn from(i: &IssuedToken) -> Self {
        TokenIssued {
            record: TokenView::from(&i.record),
            token: i.token.clone(),
        }
    }
}

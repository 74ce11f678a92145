//! Users and API tokens of an organization: created, disabled, issued and revoked by admins
//! (the API) or the machine operator (the CLI), each audited in the same transaction.

use chrono::{DateTime, Utc};
use clearway_core::access::Role;
use clearway_core::{FieldError, Invalid};
use clearway_store::audit::{self, Change};
use clearway_store::auth::{self, IssuedToken, NewToken, NewUser, TokenRecord, User};
use clearway_store::{time_text, Actor, Db, Tx};
use serde_json::json;

use crate::AppResult;

pub mod totp;
pub mod web;

/// A user to create, as the caller received it.
#[derive(Debug, Clone)]
pub struct UserCommand {
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Role.
    pub role: Role,
    /// The investor an investor user represents.
    pub investor_id: Option<String>,
}

/// A token to issue, as the caller received it.
#[derive(Debug, Clone)]
pub struct TokenCommand {
    /// The user it acts for.
    pub user_id: String,
    /// What it is for.
    pub name: String,
    /// The role it acts with (the user's when absent).
    pub scope: Option<Role>,
    /// When it stops working (never when absent); must be in the future.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A name or label: 1–200 characters, no control characters, not blank.
fn check_name(errors: &mut Vec<FieldError>, field: &str, value: &str) {
    if value.trim().is_empty() || value.chars().count() > 200 || value.chars().any(char::is_control)
    {
        errors.push(FieldError::new(
            field,
            "must be 1 to 200 characters without control characters",
        ));
    }
}

/// The shape `local@domain.tld`, no spaces, at most 254 characters (deliverability is the
/// operator's business).
fn check_email(errors: &mut Vec<FieldError>, value: &str) {
    let ok = value.chars().count() <= 254
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
    if !ok {
        errors.push(FieldError::new("email", "must be an email address"));
    }
}

fn refuse(errors: Vec<FieldError>) -> AppResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Invalid(errors).into())
    }
}

/// Creates a user in the actor's organization (admins), audited; returns it.
pub async fn create_user(tx: &mut Tx, actor: &Actor, cmd: &UserCommand) -> AppResult<User> {
    actor.require(clearway_core::access::Permission::Administer)?;
    let mut errors = Vec::new();
    check_name(&mut errors, "name", &cmd.name);
    check_email(&mut errors, &cmd.email);
    refuse(errors)?;
    let new = NewUser {
        name: cmd.name.trim(),
        email: cmd.email.trim(),
        role: cmd.role,
        investor_id: cmd.investor_id.as_deref(),
    };
    let id = auth::create_user(tx, actor, &new).await?;
    let user = auth::user_tx(tx, actor, &id).await?;
    let after = json!({ "name": user.name, "email": user.email, "role": user.role.as_str(), "investorId": user.investor_id });
    audit::record(tx, actor, change("user.create", "user", &id, None, after)).await?;
    Ok(user)
}

/// Disables a user (admins), audited; their tokens fail from the next request on.
pub async fn disable_user(db: &Db, actor: &Actor, id: &str) -> AppResult<User> {
    let mut tx = db.begin().await?;
    let before = auth::disable_user(&mut tx, actor, id).await?;
    let after = auth::user_tx(&mut tx, actor, id).await?;
    if before.disabled_at.is_none() {
        let trail = change(
            "user.disable",
            "user",
            id,
            None,
            json!({ "disabledAt": after.disabled_at }),
        );
        audit::record(&mut tx, actor, trail).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Issues a token (admins), audited (never the secret); the token is in the result only.
pub async fn issue_token(tx: &mut Tx, actor: &Actor, cmd: &TokenCommand) -> AppResult<IssuedToken> {
    actor.require(clearway_core::access::Permission::Administer)?;
    let mut errors = Vec::new();
    check_name(&mut errors, "name", &cmd.name);
    if cmd.expires_at.is_some_and(|at| at <= Utc::now()) {
        errors.push(FieldError::new("expiresAt", "must be in the future"));
    }
    refuse(errors)?;
    let new = NewToken {
        user_id: &cmd.user_id,
        name: cmd.name.trim(),
        scope: cmd.scope,
        expires_at: cmd.expires_at.map(time_text),
    };
    let issued = auth::issue_token(tx, actor, &new).await?;
    let r = &issued.record;
    let after = json!({ "userId": r.user_id, "name": r.name, "scope": r.scope.as_str(), "expiresAt": r.expires_at });
    audit::record(
        tx,
        actor,
        change("token.issue", "api_token", &r.id, None, after),
    )
    .await?;
    Ok(issued)
}

/// Revokes a token (admins), audited; it fails from the next request on, in every process.
pub async fn revoke_token(db: &Db, actor: &Actor, id: &str) -> AppResult<TokenRecord> {
    let mut tx = db.begin().await?;
    let after = auth::revoke_token(&mut tx, actor, id).await?;
    let trail = change(
        "token.revoke",
        "api_token",
        id,
        None,
        json!({ "revokedAt": after.revoked_at }),
    );
    audit::record(&mut tx, actor, trail).await?;
    tx.commit().await?;
    Ok(after)
}

fn change<'a>(
    action: &'a str,
    entity_type: &'a str,
    entity_id: &'a str,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Change<'a> {
    Change {
        action,
        entity_type,
        entity_id,
        before,
        after: Some(after),
    }
}

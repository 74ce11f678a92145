//! Web sign-in records: users' password hashes and TOTP secrets, browser sessions (stored as
//! the SHA-256 of their id, with their CSRF secret), failed sign-ins for throttling, and
//! one-time password-reset links. Hashing and checking live in the application layer; this
//! module only stores.

use clearway_core::access::Role;

use super::auth::{hash_token, Actor};
use crate::{now_text, q, time_text, Db, StoreError, Tx};

/// A user who may sign in with a password (enabled, with a password set).
#[derive(Debug, Clone)]
pub struct Login {
    /// User id.
    pub user_id: String,
    /// Organization.
    pub org_id: String,
    /// Role.
    pub role: Role,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// The sealed TOTP secret (vault key id, ciphertext) once enabled.
    pub totp: Option<(String, String)>,
}

/// The enabled user whose email (case-insensitive) signs in with a password, if any.
pub async fn login(db: &Db, email: &str) -> Result<Option<Login>, StoreError> {
    let row = db
        .fetch_optional(
            q("SELECT id, org_id, role, password_hash, totp_key_id, totp_sealed, totp_enabled_at FROM users WHERE LOWER(email) = LOWER($1) AND password_hash IS NOT NULL AND disabled_at IS NULL")
                .bind(email),
        )
        .await?;
    row.map(|r| {
        let totp = match (
            r.opt_text("totp_enabled_at")?,
            r.opt_text("totp_key_id")?,
            r.opt_text("totp_sealed")?,
        ) {
            (Some(_), Some(k), Some(s)) => Some((k, s)),
            _ => None,
        };
        Ok(Login {
            user_id: r.text("id")?,
            org_id: r.text("org_id")?,
            role: r.parse("role")?,
            password_hash: r.text("password_hash")?,
            totp,
        })
    })
    .transpose()
}

/// The password hash and sealed TOTP secret (even when not yet enabled) of a user.
pub async fn credentials(db: &Db, user_id: &str) -> Result<Option<Login>, StoreError> {
    let row = db
        .fetch_optional(
            q("SELECT id, org_id, role, password_hash, totp_key_id, totp_sealed FROM users WHERE id = $1 AND disabled_at IS NULL")
                .bind(user_id),
        )
        .await?;
    row.map(|r| {
        let totp = match (r.opt_text("totp_key_id")?, r.opt_text("totp_sealed")?) {
            (Some(k), Some(s)) => Some((k, s)),
            _ => None,
        };
        Ok(Login {
            user_id: r.text("id")?,
            org_id: r.text("org_id")?,
            role: r.parse("role")?,
            password_hash: r.opt_text("password_hash")?.unwrap_or_default(),
            totp,
        })
    })
    .transpose()
}

/// Whether a user has confirmed a TOTP second factor.
pub async fn totp_enabled(db: &Db, user_id: &str) -> Result<bool, StoreError> {
    Ok(db
        .fetch_optional(
            q("SELECT id FROM users WHERE id = $1 AND totp_enabled_at IS NOT NULL").bind(user_id),
        )
        .await?
        .is_some())
}

/// Sets a user's password hash (an enabled user of the actor's organization). Another user's
/// use of the same email is a conflict (an email signs in one user).
pub async fn set_password(
    tx: &mut Tx,
    actor: &Actor,
    user_id: &str,
    hash: &str,
) -> Result<(), StoreError> {
    let email = tx
        .fetch_optional(
            q("SELECT email FROM users WHERE id = $1 AND org_id = $2 AND disabled_at IS NULL")
                .bind(user_id)
                .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("user"))?
        .text("email")?;
    let clash = tx
        .fetch_optional(
            q("SELECT id FROM users WHERE LOWER(email) = LOWER($1) AND password_hash IS NOT NULL AND id <> $2")
                .bind(&email)
                .bind(user_id),
        )
        .await?;
    if clash.is_some() {
        return Err(StoreError::Conflict(format!(
            "another user signs in with {email}"
        )));
    }
    tx.execute(
        q("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id),
    )
    .await?;
    Ok(())
}

/// Stores a user's TOTP secret, sealed, not yet enabled (enrolment starts again from here).
pub async fn set_totp_secret(
    tx: &mut Tx,
    user_id: &str,
    key_id: &str,
    sealed: &str,
) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE users SET totp_key_id = $1, totp_sealed = $2, totp_enabled_at = NULL, totp_last_step = NULL WHERE id = $3")
            .bind(key_id)
            .bind(sealed)
            .bind(user_id),
    )
    .await?;
    Ok(())
}

/// Enables (Some) or removes (None) the second factor.
pub async fn set_totp_enabled(tx: &mut Tx, user_id: &str, on: bool) -> Result<(), StoreError> {
    let sql = if on {
        "UPDATE users SET totp_enabled_at = $1 WHERE id = $2 AND totp_sealed IS NOT NULL"
    } else {
        "UPDATE users SET totp_enabled_at = NULL, totp_key_id = NULL, totp_sealed = NULL, totp_last_step = NULL WHERE id = $2 AND $1 IS NOT NULL"
    };
    tx.execute(q(sql).bind(now_text()).bind(user_id)).await?;
    Ok(())
}

/// Accepts TOTP time step `step` for the user unless it (or a later one) was used already: a
/// code works once. True when accepted.
pub async fn accept_totp_step(tx: &mut Tx, user_id: &str, step: i64) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            q("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
                .bind(step)
                .bind(user_id),
        )
        .await?;
    Ok(n == 1)
}

/// Failed sign-ins for `login` (a lowercased email) since `since`.
pub async fn failures_since(db: &Db, login: &str, since: &str) -> Result<i64, StoreError> {
    let row = db
        .fetch_optional(
            q("SELECT COUNT(*) AS n FROM login_failures WHERE login = $1 AND at >= $2")
                .bind(login)
                .bind(since),
        )
        .await?;
    row.map_or(Ok(0), |r| r.i64("n"))
}

/// Records a failed sign-in (and forgets those older than `forget_before`).
pub async fn record_failure(db: &Db, login: &str, forget_before: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    tx.execute(q("DELETE FROM login_failures WHERE at < $1").bind(forget_before))
        .await?;
    tx.execute(
        q("INSERT INTO login_failures (login, at) VALUES ($1, $2)")
            .bind(login)
            .bind(now_text()),
    )
    .await?;
    tx.commit().await
}

/// Forgets the failed sign-ins of `login` (after a successful one).
pub async fn clear_failures(tx: &mut Tx, login: &str) -> Result<(), StoreError> {
    tx.execute(q("DELETE FROM login_failures WHERE login = $1").bind(login))
        .await?;
    Ok(())
}

/// Whether a session is fully signed in or still owes its second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Signed in.
    Full,
    /// Password accepted; the TOTP code is still owed.
    Totp,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Full => "FULL",
            Stage::Totp => "TOTP",
        }
    }
}

/// A session to create (its id is given in clear and stored hashed).
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// The session id (the cookie's value).
    pub id: &'a str,
    /// The user.
    pub user_id: &'a str,
    /// Their organization.
    pub org_id: &'a str,
    /// The CSRF secret of its forms.
    pub csrf: &'a str,
    /// Signed in, or owing the second factor.
    pub stage: Stage,
    /// When it ends.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Creates a session.
pub async fn create_session(tx: &mut Tx, s: &NewSession<'_>) -> Result<(), StoreError> {
    let now = now_text();
    tx.execute(
        q("INSERT INTO web_sessions (id_hash, user_id, org_id, csrf, stage, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $6)")
            .bind(hash_token(s.id))
            .bind(s.user_id)
            .bind(s.org_id)
            .bind(s.csrf)
            .bind(s.stage.as_str())
            .bind(&now)
            .bind(time_text(s.expires_at)),
    )
    .await?;
    Ok(())
}

/// A live session: who it is for, as an [`Actor`], with its CSRF secret and stage.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user, acting with their role inside their organization.
    pub actor: Actor,
    /// The user's display name.
    pub name: String,
    /// The user's email.
    pub email: String,
    /// The CSRF secret.
    pub csrf: String,
    /// Signed in, or owing the second factor.
    pub stage: Stage,
}

/// The unexpired session with this id, of an enabled user; `None` otherwise.
pub async fn session(db: &Db, id: &str) -> Result<Option<Session>, StoreError> {
    let row = db
        .fetch_optional(
            q("SELECT s.csrf, s.stage, u.id, u.org_id, u.role, u.investor_id, u.name, u.email FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL")
                .bind(hash_token(id))
                .bind(now_text()),
        )
        .await?;
    row.map(|r| {
        Ok(Session {
            actor: Actor {
                user_id: r.text("id")?,
                org_id: r.text("org_id")?,
                role: r.parse("role")?,
                investor_id: r.opt_text("investor_id")?,
            },
            name: r.text("name")?,
            email: r.text("email")?,
            csrf: r.text("csrf")?,
            stage: if r.text("stage")? == "TOTP" {
                Stage::Totp
            } else {
                Stage::Full
            },
        })
    })
    .transpose()
}

/// Ends a session (sign-out, or its replacement at sign-in).
pub async fn delete_session(tx: &mut Tx, id: &str) -> Result<(), StoreError> {
    tx.execute(q("DELETE FROM web_sessions WHERE id_hash = $1").bind(hash_token(id)))
        .await?;
    Ok(())
}

/// Ends every session of a user (after a password change or reset).
pub async fn delete_user_sessions(tx: &mut Tx, user_id: &str) -> Result<(), StoreError> {
    tx.execute(q("DELETE FROM web_sessions WHERE user_id = $1").bind(user_id))
        .await?;
    Ok(())
}

/// The enabled user with a password set whose email this is (reset requests).
pub async fn user_for_reset(db: &Db, email: &str) -> Result<Option<String>, StoreError> {
    Ok(login(db, email).await?.map(|l| l.user_id))
}

/// Stores a password-reset link (its token hashed) until `expires_at`.
pub async fn save_reset(
    tx: &mut Tx,
    token: &str,
    user_id: &str,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    tx.execute(
        q("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(hash_token(token))
            .bind(user_id)
            .bind(now_text())
            .bind(time_text(expires_at)),
    )
    .await?;
    Ok(())
}

/// Uses a reset link: the user (as an actor of their organization) and their email when the
/// token is known, unexpired and unused; it is spent in the same statement, so it works once.
pub async fn take_reset(tx: &mut Tx, token: &str) -> Result<Option<(Actor, String)>, StoreError> {
    let now = now_text();
    let spent = tx
        .execute(
            q("UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1")
                .bind(&now)
                .bind(hash_token(token)),
        )
        .await?;
    if spent != 1 {
        return Ok(None);
    }
    let row = tx
        .fetch_optional(
            q("SELECT u.id, u.org_id, u.role, u.investor_id, u.email FROM password_resets p JOIN users u ON u.id = p.user_id WHERE p.token_hash = $1 AND u.disabled_at IS NULL")
                .bind(hash_token(token)),
        )
        .await?;
    row.map(|r| {
        let actor = Actor {
            user_id: r.text("id")?,
            org_id: r.text("org_id")?,
            role: r.parse("role")?,
            investor_id: r.opt_text("investor_id")?,
        };
        Ok((actor, r.text("email")?))
    })
    .transpose()
}

/// Whether a reset link is usable now (the form is shown only for one that is).
pub async fn reset_usable(db: &Db, token: &str) -> Result<bool, StoreError> {
    Ok(db
        .fetch_optional(
            q("SELECT token_hash FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")
                .bind(hash_token(token))
                .bind(now_text()),
        )
        .await?
        .is_some())
}

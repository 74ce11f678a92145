//! Signing in to the web pages: passwords (argon2id), sessions with their CSRF secret,
//! throttling of failed sign-ins, one-time password-reset links, and the optional TOTP second
//! factor for approvers and admins (its secret sealed with the vault).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{Duration, Utc};
use clearway_core::access::Role;
use clearway_store::sessions::{self, NewSession, Session, Stage};
use clearway_store::{audit, Actor, Db, Tx};
use serde_json::json;

use super::{change, totp};
use crate::payments::vault::Vault;
use crate::{AppError, AppResult};

/// How long a signed-in session lives.
pub const SESSION_TTL: Duration = Duration::hours(8);
/// How long a session may wait for its second factor.
const SECOND_FACTOR_TTL: Duration = Duration::minutes(5);
/// Failed sign-ins per email within [`THROTTLE_WINDOW`] before sign-in is refused unchecked.
pub const THROTTLE_MAX: i64 = 5;
/// The throttling window.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// How long a reset link works.
pub const RESET_TTL: Duration = Duration::hours(1);
/// Password length bounds (NIST SP 800-63B: at least 8; we ask 12; at most 128 characters).
const PASSWORD_MIN: usize = 12;
const PASSWORD_MAX: usize = 128;

/// 32 random bytes as hex: session ids, CSRF secrets, reset tokens.
pub fn random_secret() -> AppResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)
        .map_err(|_| AppError::Remote("random source failed".into()))?;
    Ok(hex::encode(bytes))
}

/// The argon2id PHC string of a password (the crate's defaults: 19 MiB, 2 passes, 1 lane,
/// OWASP's recommendation), after checking the length rules on field `field`.
pub fn hash_password(field: &str, password: &str) -> AppResult<String> {
    let n = password.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&n) || password.trim().is_empty() {
        return Err(AppError::field(
            field,
            format!("must be {PASSWORD_MIN} to {PASSWORD_MAX} characters"),
        ));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Remote(format!("password hashing failed: {e}")))
}

fn password_matches(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A session just created: the cookie's value and the CSRF secret of its forms.
#[derive(Debug, Clone)]
pub struct Started {
    /// The session id (the cookie's value).
    pub id: String,
    /// Signed in, or owing the second factor.
    pub stage: Stage,
}

/// What a sign-in came to.
#[derive(Debug)]
pub enum SignIn {
    /// A new session (fully signed in, or owing the TOTP code).
    Started(Started),
    /// Wrong email or password (one answer for both).
    Refused,
    /// Too many failures for this email lately: not checked at all.
    Throttled,
}

fn login_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Signs in with email and password. The session presented before (if any) ends: a new id is
/// issued at every sign-in, so a planted session id is worth nothing (session fixation).
pub async fn sign_in(
    db: &Db,
    email: &str,
    password: &str,
    previous: Option<&str>,
) -> AppResult<SignIn> {
    let key = login_key(email);
    let since = clearway_store::time_text(Utc::now() - THROTTLE_WINDOW);
    if sessions::failures_since(db, &key, &since).await? >= THROTTLE_MAX {
        return Ok(SignIn::Throttled);
    }
    let login = sessions::login(db, email.trim()).await?;
    let ok = match &login {
        Some(l) => password_matches(&l.password_hash, password),
        None => {
            // The same work for an unknown email: timing tells nothing about who exists.
            let _ = hash_password("password", "not-a-real-password-0");
            false
        }
    };
    let Some(login) = login.filter(|_| ok) else {
        sessions::record_failure(db, &key, &since).await?;
        return Ok(SignIn::Refused);
    };
    let stage = if login.totp.is_some() {
        Stage::Totp
    } else {
        Stage::Full
    };
    let mut tx = db.begin().await?;
    sessions::clear_failures(&mut tx, &key).await?;
    let started = start_session(&mut tx, &login.user_id, &login.org_id, stage, previous).await?;
    if stage == Stage::Full {
        let signer = Actor {
            user_id: login.user_id.clone(),
            org_id: login.org_id.clone(),
            role: login.role,
            investor_id: None,
        };
        let trail = change(
            "user.sign_in",
            "user",
            &login.user_id,
            None,
            json!({ "method": "password" }),
        );
        audit::record(&mut tx, &signer, trail).await?;
    }
    tx.commit().await?;
    Ok(SignIn::Started(started))
}

/// Signs in a verified OIDC identity: its bound user (or, on first sign-in, the one enabled
/// user with its verified email, then bound to it) gets a new session (the one presented
/// before ends), audited. `None` when no enabled user matches. The identity provider is the
/// second factor's place: no TOTP is asked after it.
pub async fn sign_in_identity(
    db: &Db,
    issuer: &str,
    subject: &str,
    verified_email: Option<&str>,
    previous: Option<&str>,
) -> AppResult<Option<Started>> {
    let mut tx = db.begin().await?;
    let Some((user_id, org_id)) =
        clearway_store::auth::user_for_identity(&mut tx, issuer, subject, verified_email).await?
    else {
        return Ok(None);
    };
    let started = start_session(&mut tx, &user_id, &org_id, Stage::Full, previous).await?;
    let signer = Actor {
        user_id: user_id.clone(),
        ..Actor::system(&org_id)
    };
    let after = json!({ "method": "oidc", "issuer": issuer, "subject": subject });
    audit::record(
        &mut tx,
        &signer,
        change("user.sign_in", "user", &user_id, None, after),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(started))
}

/// Starts a session of `stage` for a user inside `tx`, with a fresh random id and CSRF
/// secret, ending the one presented before (`replaced`): a new id at every step of a sign-in.
async fn start_session(
    tx: &mut Tx,
    user_id: &str,
    org_id: &str,
    stage: Stage,
    replaced: Option<&str>,
) -> AppResult<Started> {
    if let Some(old) = replaced {
        sessions::delete_session(tx, old).await?;
    }
    let ttl = match stage {
        Stage::Full => SESSION_TTL,
        Stage::Totp => SECOND_FACTOR_TTL,
    };
    let id = random_secret()?;
    let csrf = random_secret()?;
    let new = NewSession {
        id: &id,
        user_id,
        org_id,
        csrf: &csrf,
        stage,
        expires_at: Utc::now() + ttl,
    };
    sessions::create_session(tx, &new).await?;
    Ok(Started { id, stage })
}

fn open_secret(vault: &Vault, sealed: &(String, String)) -> AppResult<Vec<u8>> {
    vault
        .open_bytes(&sealed.0, &sealed.1)
        .map_err(|e| AppError::Remote(format!("TOTP secret: {e}")))
}

/// Completes a sign-in that owes its TOTP code: on a good code (each used once) the pending
/// session is replaced by a new, fully signed-in one (a new id again). `None`: wrong code.
pub async fn second_factor(
    db: &Db,
    vault: &Vault,
    pending: &str,
    code: &str,
) -> AppResult<Option<Started>> {
    let Some(session) = sessions::session(db, pending).await? else {
        return Ok(None);
    };
    if session.stage != Stage::Totp {
        return Ok(None);
    }
    let user = &session.actor.user_id;
    let creds = sessions::credentials(db, user).await?;
    let Some(sealed) = creds.and_then(|c| c.totp) else {
        return Ok(None);
    };
    let secret = open_secret(vault, &sealed)?;
    let Some(step) = totp::matching_step(&secret, code, Utc::now().timestamp()) else {
        return Ok(None);
    };
    let mut tx = db.begin().await?;
    if !sessions::accept_totp_step(&mut tx, user, step).await? {
        return Ok(None);
    }
    let started = start_session(
        &mut tx,
        user,
        &session.actor.org_id,
        Stage::Full,
        Some(pending),
    )
    .await?;
    let trail = change(
        "user.sign_in",
        "user",
        user,
        None,
        json!({ "method": "password+totp" }),
    );
    audit::record(&mut tx, &session.actor, trail).await?;
    tx.commit().await?;
    Ok(Some(started))
}

/// The live session with this id.
pub async fn session(db: &Db, id: &str) -> AppResult<Option<Session>> {
    Ok(sessions::session(db, id).await?)
}

/// Ends a session.
pub async fn sign_out(db: &Db, id: &str) -> AppResult<()> {
    let mut tx = db.begin().await?;
    sessions::delete_session(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a user's password (an admin of their organization, the machine operator through the
/// CLI, or the user themself), audited (never the password); their sessions end.
pub async fn set_password(db: &Db, actor: &Actor, user_id: &str, password: &str) -> AppResult<()> {
    if actor.user_id != user_id {
        actor.require(clearway_core::access::Permission::Administer)?;
    }
    let hash = hash_password("password", password)?;
    let mut tx = db.begin().await?;
    sessions::set_password(&mut tx, actor, user_id, &hash).await?;
    sessions::delete_user_sessions(&mut tx, user_id).await?;
    let trail = change("user.password_set", "user", user_id, None, json!({}));
    audit::record(&mut tx, actor, trail).await?;
    tx.commit().await?;
    Ok(())
}

/// Starts a password reset for an email: the one-time token of the link when the email signs
/// in a user, `None` otherwise (the page answers the same either way).
pub async fn request_reset(db: &Db, email: &str) -> AppResult<Option<String>> {
    let Some(user_id) = sessions::user_for_reset(db, email.trim()).await? else {
        return Ok(None);
    };
    let token = random_secret()?;
    let mut tx = db.begin().await?;
    sessions::save_reset(&mut tx, &token, &user_id, Utc::now() + RESET_TTL).await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// Whether a reset link can still be used.
pub async fn reset_usable(db: &Db, token: &str) -> AppResult<bool> {
    Ok(sessions::reset_usable(db, token).await?)
}

/// Uses a reset link to set a new password (once; all the user's sessions end). `false` when
/// the link is unknown, used or expired; a bad password refuses before the link is spent.
pub async fn reset_password(db: &Db, token: &str, password: &str) -> AppResult<bool> {
    let hash = hash_password("password", password)?;
    let mut tx = db.begin().await?;
    let Some((actor, email)) = sessions::take_reset(&mut tx, token).await? else {
        return Ok(false);
    };
    sessions::set_password(&mut tx, &actor, &actor.user_id, &hash).await?;
    sessions::delete_user_sessions(&mut tx, &actor.user_id).await?;
    sessions::clear_failures(&mut tx, &login_key(&email)).await?;
    let trail = change(
        "user.password_reset",
        "user",
        &actor.user_id,
        None,
        json!({}),
    );
    audit::record(&mut tx, &actor, trail).await?;
    tx.commit().await?;
    Ok(true)
}

/// Whether a role may (and so is offered to) use a second factor.
pub fn second_factor_offered(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Approver)
}

/// A TOTP enrolment begun: the secret to type or scan.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret in base32.
    pub secret_base32: String,
    /// The `otpauth://` URI.
    pub uri: String,
}

/// Begins (or restarts) TOTP enrolment for the actor (approvers and admins): a new secret,
/// sealed, not active until a code from it is confirmed.
pub async fn begin_totp(
    db: &Db,
    vault: &Vault,
    actor: &Actor,
    email: &str,
) -> AppResult<Enrolment> {
    if !second_factor_offered(actor.role) {
        return Err(AppError::Store(clearway_store::StoreError::Forbidden(
            "a second factor is for approvers and admins".into(),
        )));
    }
    let mut secret = [0u8; 20];
    getrandom::getrandom(&mut secret)
        .map_err(|_| AppError::Remote("random source failed".into()))?;
    let (key_id, sealed) = vault
        .seal_bytes(&secret)
        .map_err(|e| AppError::Remote(format!("TOTP secret: {e}")))?;
    let mut tx = db.begin().await?;
    sessions::set_totp_secret(&mut tx, &actor.user_id, &key_id, &sealed).await?;
    tx.commit().await?;
    Ok(Enrolment {
        secret_base32: totp::base32(&secret),
        uri: totp::otpauth_uri("Clearway", email, &secret),
    })
}

/// Confirms enrolment with a code from the new secret; audited. `false`: wrong code.
pub async fn confirm_totp(db: &Db, vault: &Vault, actor: &Actor, code: &str) -> AppResult<bool> {
    let creds = sessions::credentials(db, &actor.user_id).await?;
    let Some(sealed) = creds.and_then(|c| c.totp) else {
        return Err(AppError::field("code", "start the enrolment first"));
    };
    let secret = open_secret(vault, &sealed)?;
    let Some(step) = totp::matching_step(&secret, code, Utc::now().timestamp()) else {
        return Ok(false);
    };
    let mut tx = db.begin().await?;
    if !sessions::accept_totp_step(&mut tx, &actor.user_id, step).await? {
        return Ok(false);
    }
    sessions::set_totp_enabled(&mut tx, &actor.user_id, true).await?;
    let trail = change("user.totp_enabled", "user", &actor.user_id, None, json!({}));
    audit::record(&mut tx, actor, trail).await?;
    tx.commit().await?;
    Ok(true)
}

/// Whether the actor has a confirmed second factor.
pub async fn totp_enabled(db: &Db, actor: &Actor) -> AppResult<bool> {
    Ok(sessions::totp_enabled(db, &actor.user_id).await?)
}

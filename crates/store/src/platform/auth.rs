//! Organizations, users, API tokens, and the [`Actor`] every store call is made as.

use clearway_core::access::{Permission, Role};
use clearway_core::FieldError;
use sha2::{Digest, Sha256};

use crate::{new_id, now_text, q, time_text, Db, StoreError, Tx};

/// Who is calling: resolved from a bearer token, passed to every store function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user.
    pub user_id: String,
    /// The organization the user belongs to; all data access is confined to it.
    pub org_id: String,
    /// The user's role.
    pub role: Role,
    /// For investor users: the investor whose data they may see.
    pub investor_id: Option<String>,
}

impl Actor {
    /// Refuses unless the role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), StoreError> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(StoreError::Forbidden(format!(
                "role '{}' may not {}",
                self.role.as_str(),
                match permission {
                    Permission::Read => "read",
                    Permission::Operate => "change distributions or fund data",
                    Permission::Approve => "approve",
                    Permission::ReadAudit => "read the audit log",
                    Permission::Administer => "administer the organization",
                }
            )))
        }
    }

    /// A system actor for background workers acting inside one organization.
    pub fn system(org_id: &str) -> Actor {
        Actor {
            user_id: "system".into(),
            org_id: org_id.into(),
            role: Role::Admin,
            investor_id: None,
        }
    }
}

/// SHA-256 hex of a token: what is stored and looked up.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates an organization; its name must be new (operators name organizations by it).
pub async fn create_org(tx: &mut Tx, name: &str) -> Result<String, StoreError> {
    let taken = tx
        .fetch_optional(q("SELECT id FROM organizations WHERE name = $1").bind(name))
        .await?;
    if taken.is_some() {
        return Err(StoreError::Conflict(format!(
            "an organization named '{name}' exists"
        )));
    }
    let id = new_id();
    tx.execute(
        q("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(name)
            .bind(now_text()),
    )
    .await?;
    Ok(id)
}

/// A user of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Role.
    pub role: Role,
    /// For investor users: their investor.
    pub investor_id: Option<String>,
    /// When created.
    pub created_at: String,
    /// When disabled (their tokens stop working at once), if ever.
    pub disabled_at: Option<String>,
}

/// A user to create (validated by the caller; the store checks the investor's tenancy).
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Display name.
    pub name: &'a str,
    /// Email address.
    pub email: &'a str,
    /// Role.
    pub role: Role,
    /// The investor an investor user represents (required for, and only for, investors).
    pub investor_id: Option<&'a str>,
}

const USER_COLUMNS: &str = "id, org_id, name, email, role, investor_id, created_at, disabled_at";

fn user_from_row(r: &crate::Row) -> Result<User, StoreError> {
    Ok(User {
        id: r.text("id")?,
        org_id: r.text("org_id")?,
        name: r.text("name")?,
        email: r.text("email")?,
        role: r.parse("role")?,
        investor_id: r.opt_text("investor_id")?,
        created_at: r.text("created_at")?,
        disabled_at: r.opt_text("disabled_at")?,
    })
}

/// Creates a user in the actor's organization (admins).
pub async fn create_user(
    tx: &mut Tx,
    actor: &Actor,
    new: &NewUser<'_>,
) -> Result<String, StoreError> {
    actor.require(Permission::Administer)?;
    match (new.role, new.investor_id) {
        (Role::Investor, None) => {
            return Err(invalid("investorId", "an investor user needs an investor"))
        }
        (Role::Investor, Some(investor)) => {
            let found = tx
                .fetch_optional(
                    q("SELECT id FROM investors WHERE id = $1 AND org_id = $2")
                        .bind(investor)
                        .bind(&actor.org_id),
                )
                .await?;
            if found.is_none() {
                return Err(invalid("investorId", "no such investor"));
            }
        }
        (_, Some(_)) => {
            return Err(invalid(
                "investorId",
                "only investor users represent an investor",
            ))
        }
        (_, None) => {}
    }
    let id = new_id();
    tx.execute(
        q("INSERT INTO users (id, org_id, name, email, role, investor_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(&actor.org_id)
            .bind(new.name)
            .bind(new.email)
            .bind(new.role.as_str())
            .bind(new.investor_id)
            .bind(now_text()),
    )
    .await?;
    Ok(id)
}

fn invalid(field: &str, message: &str) -> StoreError {
    StoreError::Invalid(FieldError::new(field, message).into())
}

/// One user of the actor's organization (admins).
pub async fn user_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<User, StoreError> {
    actor.require(Permission::Administer)?;
    let row = tx
        .fetch_optional(
            q(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND org_id = $2"
            ))
            .bind(id)
            .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    user_from_row(&row)
}

/// Users of the actor's organization (admins), by id, keyset-paginated after `after`.
pub async fn list_users(
    db: &Db,
    actor: &Actor,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<User>, StoreError> {
    actor.require(Permission::Administer)?;
    db.fetch_all(
        q(format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"))
            .bind(&actor.org_id)
            .bind(after)
            .bind(limit),
    )
    .await?
    .iter()
    .map(user_from_row)
    .collect()
}

/// Disables a user (admins): every token of theirs fails from the next request on. Disabling
/// a disabled user changes nothing. Returns the user before.
pub async fn disable_user(tx: &mut Tx, actor: &Actor, id: &str) -> Result<User, StoreError> {
    let before = user_tx(tx, actor, id).await?;
    if before.id == actor.user_id {
        return Err(StoreError::Conflict("you may not disable yourself".into()));
    }
    tx.execute(
        q("UPDATE users SET disabled_at = $1 WHERE id = $2 AND org_id = $3 AND disabled_at IS NULL")
            .bind(now_text())
            .bind(id)
            .bind(&actor.org_id),
    )
    .await?;
    Ok(before)
}

/// An API token's public record (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Public id.
    pub id: String,
    /// The user it acts for.
    pub user_id: String,
    /// What it is for.
    pub name: String,
    /// The role it acts with (never more than the user's).
    pub scope: Role,
    /// When created.
    pub created_at: String,
    /// When it stops working, if ever.
    pub expires_at: Option<String>,
    /// When last used (updated at most about once a minute).
    pub last_used_at: Option<String>,
    /// When revoked, if ever.
    pub revoked_at: Option<String>,
}

/// A token to issue.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    /// The user it acts for.
    pub user_id: &'a str,
    /// What it is for.
    pub name: &'a str,
    /// The role it acts with; the user's role when `None`.
    pub scope: Option<Role>,
    /// Expiry, stored text (see [`crate::time_text`]); never when `None`.
    pub expires_at: Option<String>,
}

/// An issued token: its record and the secret, shown once.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The record.
    pub record: TokenRecord,
    /// The bearer token (`cw_` and 256 random bits in hex); only its hash is stored.
    pub token: String,
}

const TOKEN_COLUMNS: &str =
    "t.id, t.user_id, t.label, t.scope, t.created_at, t.expires_at, t.last_used_at, t.revoked_at";

fn token_from_row(r: &crate::Row) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        id: r.text("id")?,
        user_id: r.text("user_id")?,
        name: r.text("label")?,
        scope: r.parse("scope")?,
        created_at: r.text("created_at")?,
        expires_at: r.opt_text("expires_at")?,
        last_used_at: r.opt_text("last_used_at")?,
        revoked_at: r.opt_text("revoked_at")?,
    })
}

/// Issues a token for a user of the actor's organization (admins); the scope may not grant
/// more than the user's role, and a disabled user gets none.
pub async fn issue_token(
    tx: &mut Tx,
    actor: &Actor,
    new: &NewToken<'_>,
) -> Result<IssuedToken, StoreError> {
    let user = user_tx(tx, actor, new.user_id).await?;
    if user.disabled_at.is_some() {
        return Err(invalid("userId", "the user is disabled"));
    }
    let scope = new.scope.unwrap_or(user.role);
    if !user.role.may_scope(scope) {
        return Err(invalid(
            "scope",
            &format!(
                "a {} may not hold a token with scope {}",
                user.role.as_str(),
                scope.as_str()
            ),
        ));
    }
    let mut secret = [0u8; 32];
    getrandom::getrandom(&mut secret)
        .map_err(|e| StoreError::Corrupt(format!("no randomness for a token: {e}")))?;
    let token = format!("cw_{}", hex::encode(secret));
    let record = TokenRecord {
        id: new_id(),
        user_id: user.id,
        name: new.name.to_string(),
        scope,
        created_at: now_text(),
        expires_at: new.expires_at.clone(),
        last_used_at: None,
        revoked_at: None,
    };
    tx.execute(
        q("INSERT INTO api_tokens (token_hash, id, user_id, label, scope, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(hash_token(&token))
            .bind(&record.id)
            .bind(&record.user_id)
            .bind(&record.name)
            .bind(scope.as_str())
            .bind(&record.created_at)
            .bind(record.expires_at.clone()),
    )
    .await?;
    Ok(IssuedToken { record, token })
}

/// Tokens of the actor's organization (admins), of one user when `user_id` is given, by id,
/// keyset-paginated after `after`.
pub async fn list_tokens(
    db: &Db,
    actor: &Actor,
    user_id: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<TokenRecord>, StoreError> {
    actor.require(Permission::Administer)?;
    db.fetch_all(
        q(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.org_id = $1 AND ($2 IS NULL OR t.user_id = $2) AND ($3 IS NULL OR t.id > $3) ORDER BY t.id LIMIT $4"))
            .bind(&actor.org_id)
            .bind(user_id)
            .bind(after)
            .bind(limit),
    )
    .await?
    .iter()
    .map(token_from_row)
    .collect()
}

/// Revokes a token of the actor's organization (admins): it fails from the next request on,
/// in every process (nothing caches tokens). Revoking twice keeps the first time. Returns the
/// record after.
pub async fn revoke_token(tx: &mut Tx, actor: &Actor, id: &str) -> Result<TokenRecord, StoreError> {
    actor.require(Permission::Administer)?;
    tx.execute(
        q("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE org_id = $3)")
            .bind(now_text())
            .bind(id)
            .bind(&actor.org_id),
    )
    .await?;
    let row = tx
        .fetch_optional(
            q(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1 AND u.org_id = $2"))
                .bind(id)
                .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("token"))?;
    token_from_row(&row)
}

/// Revokes every live token named `name` of a user of the actor's organization (admins);
/// returns how many (the demo revokes its earlier tokens this way).
pub async fn revoke_named_tokens(
    tx: &mut Tx,
    actor: &Actor,
    user_id: &str,
    name: &str,
) -> Result<u64, StoreError> {
    actor.require(Permission::Administer)?;
    tx.execute(
        q("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND label = $3 AND revoked_at IS NULL AND user_id IN (SELECT id FROM users WHERE org_id = $4)")
            .bind(now_text())
            .bind(user_id)
            .bind(name)
            .bind(&actor.org_id),
    )
    .await
}

/// How stale `last_used_at` may get before a request writes it again: a write per token per
/// minute at most, not one per request.
const LAST_USED_GRANULARITY: chrono::Duration = chrono::Duration::seconds(60);

/// Resolves a bearer token to its actor (acting with the token's scope), or `None` for an
/// unknown, revoked or expired token or a disabled user. Looked up by its hash on every call.
pub async fn authenticate(db: &Db, token: &str) -> Result<Option<Actor>, StoreError> {
    let now = chrono::Utc::now();
    let now_s = time_text(now);
    let row = db
        .fetch_optional(
            q("SELECT t.id AS token_id, t.scope, t.last_used_at, u.id, u.org_id, u.investor_id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.disabled_at IS NULL")
                .bind(hash_token(token))
                .bind(&now_s),
        )
        .await?;
    let Some(r) = row else { return Ok(None) };
    let stale = time_text(now - LAST_USED_GRANULARITY);
    if r.opt_text("last_used_at")?.is_none_or(|at| at < stale) {
        let mut tx = db.begin().await?;
        tx.execute(
            q("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)")
                .bind(&now_s)
                .bind(r.text("token_id")?)
                .bind(&stale),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(Some(Actor {
        user_id: r.text("id")?,
        org_id: r.text("org_id")?,
        role: r.parse("scope")?,
        investor_id: r.opt_text("investor_id")?,
    }))
}

/// An organization by name or id (operator commands).
pub async fn find_org(db: &Db, name_or_id: &str) -> Result<Option<Organization>, StoreError> {
    db.fetch_optional(
        q("SELECT id, name FROM organizations WHERE id = $1 OR name = $1 ORDER BY id LIMIT 1")
            .bind(name_or_id),
    )
    .await?
    .map(|r| {
        Ok(Organization {
            id: r.text("id")?,
            name: r.text("name")?,
        })
    })
    .transpose()
}

/// The organization of a user, or of a token's user (operator commands, which act inside it).
pub async fn org_of(
    db: &Db,
    user_id: Option<&str>,
    token_id: Option<&str>,
) -> Result<Option<String>, StoreError> {
    db.fetch_optional(
        q("SELECT u.org_id FROM users u LEFT JOIN api_tokens t ON t.user_id = u.id WHERE u.id = $1 OR t.id = $2 LIMIT 1")
            .bind(user_id)
            .bind(token_id),
    )
    .await?
    .map(|r| r.text("org_id"))
    .transpose()
}

/// An organization, as operators name it on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// Every organization, by id: for operator commands that act across organizations (the CLI
/// runs as the machine's operator, not as a user of one organization).
pub async fn organizations(db: &Db) -> Result<Vec<Organization>, StoreError> {
    let rows = db
        .fetch_all(q("SELECT id, name FROM organizations ORDER BY id"))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Organization {
                id: r.text("id")?,
                name: r.text("name")?,
            })
        })
        .collect()
}

/// The id of the actor's organization's first user (by id) with `role`, if any.
pub async fn first_user_with_role_tx(
    tx: &mut Tx,
    actor: &Actor,
    role: Role,
) -> Result<Option<String>, StoreError> {
    tx.fetch_optional(
        q("SELECT id FROM users WHERE org_id = $1 AND role = $2 ORDER BY id LIMIT 1")
            .bind(&actor.org_id)
            .bind(role.as_str()),
    )
    .await?
    .map(|r| r.text("id"))
    .transpose()
}

/// Saves an OIDC sign-in in flight (state, nonce, PKCE verifier) until `expires_at`.
pub async fn save_oidc_login(
    db: &Db,
    state: &str,
    nonce: &str,
    verifier: &str,
    expires_at: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    // Expired ones are of no use to anyone: cleared as new ones come.
    tx.execute(q("DELETE FROM oidc_logins WHERE expires_at < $1").bind(now_text()))
        .await?;
    tx.execute(
        q("INSERT INTO oidc_logins (state, nonce, verifier, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(state)
            .bind(nonce)
            .bind(verifier)
            .bind(now_text())
            .bind(expires_at),
    )
    .await?;
    tx.commit().await
}

/// Takes (deletes) an unexpired OIDC sign-in by its state: its (nonce, verifier), once only.
pub async fn take_oidc_login(db: &Db, state: &str) -> Result<Option<(String, String)>, StoreError> {
    let mut tx = db.begin().await?;
    let row = tx
        .fetch_optional(
            q("SELECT nonce, verifier, expires_at FROM oidc_logins WHERE state = $1").bind(state),
        )
        .await?;
    // The delete decides who wins a race between two callbacks with the same state.
    let taken = tx
        .execute(q("DELETE FROM oidc_logins WHERE state = $1").bind(state))
        .await?;
    tx.commit().await?;
    match row {
        Some(r) if taken == 1 && r.text("expires_at")? > now_text() => {
            Ok(Some((r.text("nonce")?, r.text("verifier")?)))
        }
        _ => Ok(None),
    }
}

/// The enabled user bound to an OIDC identity; on first sign-in, binds the one enabled,
/// unbound user whose email is the identity's verified email (none when several match, in
/// any organizations: ambiguous). Returns (user id, organization id).
pub async fn user_for_identity(
    tx: &mut Tx,
    issuer: &str,
    subject: &str,
    verified_email: Option<&str>,
) -> Result<Option<(String, String)>, StoreError> {
    let bound = tx
        .fetch_optional(
            q("SELECT id, org_id, disabled_at FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2")
                .bind(issuer)
                .bind(subject),
        )
        .await?;
    if let Some(r) = bound {
        return Ok(match r.opt_text("disabled_at")? {
            None => Some((r.text("id")?, r.text("org_id")?)),
            Some(_) => None,
        });
    }
    let Some(email) = verified_email else {
        return Ok(None);
    };
    let rows = tx
        .fetch_all(
            q("SELECT id, org_id FROM users WHERE LOWER(email) = LOWER($1) AND disabled_at IS NULL AND oidc_subject IS NULL")
                .bind(email),
        )
        .await?;
    let [row] = rows.as_slice() else {
        return Ok(None);
    };
    let id = row.text("id")?;
    tx.execute(
        q("UPDATE users SET oidc_issuer = $1, oidc_subject = $2 WHERE id = $3 AND oidc_subject IS NULL")
            .bind(issuer)
            .bind(subject)
            .bind(&id),
    )
    .await?;
    Ok(Some((id, row.text("org_id")?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DbOptions;

    /// A token issued before 0010_access keeps working after it, with an id derived from its
    /// hash, the user's role as scope and no expiry.
    #[tokio::test]
    async fn migration_0010_keeps_existing_tokens_with_an_id_and_the_users_role() {
        let path = std::env::temp_dir().join(format!("clearway-0010-{}.db", uuid::Uuid::new_v4()));
        let db = Db::connect(
            &format!("sqlite:{}", path.display()),
            &DbOptions { max_connections: 1 },
        )
        .await
        .unwrap();
        db.execute_script(include_str!("../../migrations/common.sql"))
            .await
            .unwrap();
        db.execute_script(
            "INSERT INTO organizations VALUES ('o1', 'Org', '2026-01-01T00:00:00.000000Z');
             INSERT INTO users (id, org_id, name, email, role, created_at) VALUES ('u1', 'o1', 'A', 'a@b.co', 'approver', '2026-01-01T00:00:00.000000Z');",
        )
        .await
        .unwrap();
        let token = "cw_old";
        let old = format!(
            "INSERT INTO api_tokens VALUES ('{}', 'u1', 'demo', '2026-01-01T00:00:00.000000Z')",
            hash_token(token)
        );
        db.execute_script(&old).await.unwrap();
        db.execute_script(include_str!("../../migrations/0010_access.sql"))
            .await
            .unwrap();
        let actor = authenticate(&db, token).await.unwrap().unwrap();
        assert_eq!((actor.user_id.as_str(), actor.role), ("u1", Role::Approver));
        let tokens = list_tokens(&db, &Actor::system("o1"), None, None, 10)
            .await
            .unwrap();
        assert_eq!(tokens.len(), 1);
        assert_eq!(tokens[0].id, format!("tok_{}", &hash_token(token)[..32]));
        assert_eq!(
            (tokens[0].scope, tokens[0].expires_at.as_deref()),
            (Role::Approver, None)
        );
        assert!(tokens[0].last_used_at.is_some());
        db.close().await;
        let _ = std::fs::remove_file(&path);
    }
}

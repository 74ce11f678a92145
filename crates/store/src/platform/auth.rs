//! Organizations, users, API tokens, and the [`Actor`] every store call is made as.

use clearway_core::access::{Permission, Role};
use sha2::{Digest, Sha256};

use crate::{new_id, now_text, q, Db, StoreError, Tx};

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

/// Creates an organization.
pub async fn create_org(tx: &mut Tx, name: &str) -> Result<String, StoreError> {
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

/// Creates a user in an organization.
pub async fn create_user(
    tx: &mut Tx,
    org_id: &str,
    name: &str,
    email: &str,
    role: Role,
    investor_id: Option<&str>,
) -> Result<String, StoreError> {
    let id = new_id();
    tx.execute(
        q("INSERT INTO users (id, org_id, name, email, role, investor_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(org_id)
            .bind(name)
            .bind(email)
            .bind(role.as_str())
            .bind(investor_id)
            .bind(now_text()),
    )
    .await?;
    Ok(id)
}

/// Issues a new random API token for a user; returns the token (shown once, stored hashed).
pub async fn issue_token(tx: &mut Tx, user_id: &str, label: &str) -> Result<String, StoreError> {
    let token = format!(
        "cw_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    tx.execute(
        q("INSERT INTO api_tokens (token_hash, user_id, label, created_at) VALUES ($1, $2, $3, $4)")
            .bind(hash_token(&token))
            .bind(user_id)
            .bind(label)
            .bind(now_text()),
    )
    .await?;
    Ok(token)
}

/// Resolves a bearer token to its actor, or `None` for an unknown token.
pub async fn authenticate(db: &Db, token: &str) -> Result<Option<Actor>, StoreError> {
    let row = db
        .fetch_optional(
            q("SELECT u.id, u.org_id, u.role, u.investor_id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1")
                .bind(hash_token(token)),
        )
        .await?;
    row.map(|r| {
        Ok(Actor {
            user_id: r.text("id")?,
            org_id: r.text("org_id")?,
            role: r.parse("role")?,
            investor_id: r.opt_text("investor_id")?,
        })
    })
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

//! `clearway org|user|token …`: the machine operator manages organizations, users and API
//! tokens directly in the configured database (as the API's admins do inside their own
//! organization), each change audited as `cli:operator`.

use anyhow::{anyhow, bail, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Subcommand;
use clearway_app::access::{self as app, TokenCommand, UserCommand};
use clearway_core::access::Role;
use clearway_store::{auth, Actor, Db};

use crate::DbArgs;

/// `clearway org …`.
#[derive(Subcommand)]
pub enum OrgCmd {
    /// Create an organization (its name must be new); prints its id.
    Create {
        /// Its name.
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// `clearway user …`.
#[derive(Subcommand)]
pub enum UserCmd {
    /// Add a user to an organization; prints the user's id.
    Add {
        /// Organization name or id.
        #[arg(long)]
        org: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Email address.
        #[arg(long)]
        email: String,
        /// admin, operator, approver, investor or auditor.
        #[arg(long)]
        role: String,
        /// For an investor user: the investor id they represent.
        #[arg(long)]
        investor: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List the users of an organization (id, role, email, name, disabled at).
    List {
        /// Organization name or id.
        #[arg(long)]
        org: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Disable a user: their tokens stop working on the next request.
    Disable {
        /// User id.
        user: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set a user's web sign-in password, read from the first line of standard input (12–128
    /// characters); their sessions end.
    Password {
        /// User id.
        user: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print a one-time password-reset link (one hour) for the user who signs in with EMAIL,
    /// to pass on to them.
    ResetLink {
        /// The user's email.
        email: String,
        /// The URL people reach the pages at.
        #[arg(
            long,
            env = "CLEARWAY_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// `clearway token …`.
#[derive(Subcommand)]
pub enum TokenCmd {
    /// Issue a token for a user; prints it once (only its hash is stored).
    Issue {
        /// User id.
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// The role it acts with (default and most: the user's role).
        #[arg(long)]
        scope: Option<String>,
        /// Expires this many days from now.
        #[arg(long, conflicts_with = "expires")]
        expires_in: Option<u32>,
        /// Expires at the start of this day (UTC), YYYY-MM-DD.
        #[arg(long)]
        expires: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List tokens of a user or an organization (id, user, scope, name, created, expires,
    /// last used, revoked).
    List {
        /// User id.
        #[arg(long, conflicts_with = "org", required_unless_present = "org")]
        user: Option<String>,
        /// Organization name or id.
        #[arg(long)]
        org: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a token by its id: it fails from the next request on, in every server.
    Revoke {
        /// Token id.
        token_id: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// The operator acting inside one organization.
fn operator(org_id: String) -> Actor {
    Actor {
        user_id: "cli:operator".into(),
        org_id,
        role: Role::Admin,
        investor_id: None,
    }
}

async fn org_actor(db: &Db, org: &str) -> Result<Actor> {
    let found = auth::find_org(db, org)
        .await?
        .ok_or_else(|| anyhow!("organization '{org}' not found"))?;
    Ok(operator(found.id))
}

async fn user_actor(db: &Db, user: &str) -> Result<Actor> {
    let org = auth::org_of(db, Some(user), None)
        .await?
        .ok_or_else(|| anyhow!("user {user} not found"))?;
    Ok(operator(org))
}

fn role(flag: &str, value: &str) -> Result<Role> {
    value.parse().map_err(|_| {
        anyhow!("{flag} must be admin, operator, approver, investor or auditor, not '{value}'")
    })
}

/// Runs `clearway org …`.
pub async fn org(db: &Db, cmd: OrgCmd) -> Result<()> {
    let OrgCmd::Create { name, .. } = cmd;
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        bail!("the organization name must not be blank");
    }
    let mut tx = db.begin().await?;
    let id = auth::create_org(&mut tx, name.trim()).await?;
    tx.commit().await?;
    println!("{id}");
    Ok(())
}

/// Runs `clearway user …`.
pub async fn user(db: &Db, cmd: UserCmd) -> Result<()> {
    match cmd {
        UserCmd::Add {
            org,
            name,
            email,
            role: r,
            investor,
            ..
        } => {
            let actor = org_actor(db, &org).await?;
            let cmd = UserCommand {
                name,
                email,
                role: role("--role", &r)?,
                investor_id: investor,
            };
            let mut tx = db.begin().await?;
            let user = app::create_user(&mut tx, &actor, &cmd).await?;
            tx.commit().await?;
            println!("{}", user.id);
        }
        UserCmd::List { org, .. } => {
            let actor = org_actor(db, &org).await?;
            let mut after: Option<String> = None;
            loop {
                let page = auth::list_users(db, &actor, after.as_deref(), 1000).await?;
                for u in &page {
                    let disabled = u.disabled_at.as_deref().unwrap_or("-");
                    println!(
                        "{}\t{}\t{}\t{}\t{disabled}",
                        u.id,
                        u.role.as_str(),
                        u.email,
                        u.name
                    );
                }
                match page.last() {
                    Some(last) if page.len() == 1000 => after = Some(last.id.clone()),
                    _ => break,
                }
            }
        }
        UserCmd::Password { user, .. } => {
            let actor = user_actor(db, &user).await?;
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            let password = line.trim_end_matches(['\r', '\n']);
            app::web::set_password(db, &actor, &user, password).await?;
            println!("password set for user {user}; their sessions ended");
        }
        UserCmd::ResetLink {
            email, public_url, ..
        } => {
            let token = app::web::request_reset(db, &email)
                .await?
                .ok_or_else(|| anyhow!("no enabled user with a password signs in as {email}"))?;
            println!("{}/login/reset/{token}", public_url.trim_end_matches('/'));
        }
        UserCmd::Disable { user, .. } => {
            let actor = user_actor(db, &user).await?;
            let u = app::disable_user(db, &actor, &user).await?;
            println!(
                "user {} disabled at {}",
                u.id,
                u.disabled_at.unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// The expiry of `--expires-in DAYS` or `--expires YYYY-MM-DD`.
fn expiry(expires_in: Option<u32>, expires: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    match (expires_in, expires) {
        (Some(0), _) => bail!("--expires-in must be at least 1 day"),
        (Some(days), _) => Ok(Some(
            Utc::now() + chrono::Duration::days(i64::from(days.min(36_500))),
        )),
        (None, Some(date)) => {
            let day = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| anyhow!("--expires must be a date YYYY-MM-DD, not '{date}'"))?;
            Ok(Some(day.and_time(chrono::NaiveTime::MIN).and_utc()))
        }
        (None, None) => Ok(None),
    }
}

/// Runs `clearway token …`.
pub async fn token(db: &Db, cmd: TokenCmd) -> Result<()> {
    match cmd {
        TokenCmd::Issue {
            user,
            name,
            scope,
            expires_in,
            expires,
            ..
        } => {
            let cmd = TokenCommand {
                scope: scope.as_deref().map(|s| role("--scope", s)).transpose()?,
                expires_at: expiry(expires_in, expires.as_deref())?,
                user_id: user.clone(),
                name,
            };
            let actor = user_actor(db, &user).await?;
            let mut tx = db.begin().await?;
            let issued = app::issue_token(&mut tx, &actor, &cmd).await?;
            tx.commit().await?;
            let r = &issued.record;
            eprintln!(
                "token {} for user {} (scope {}, expires {}); shown once:",
                r.id,
                r.user_id,
                r.scope.as_str(),
                r.expires_at.as_deref().unwrap_or("never")
            );
            println!("{}", issued.token);
        }
        TokenCmd::List { user, org, .. } => {
            let actor = match (&user, &org) {
                (Some(u), _) => user_actor(db, u).await?,
                (None, Some(o)) => org_actor(db, o).await?,
                (None, None) => bail!("name --user or --org"),
            };
            let mut after: Option<String> = None;
            loop {
                let page =
                    auth::list_tokens(db, &actor, user.as_deref(), after.as_deref(), 1000).await?;
                for t in &page {
                    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        t.id,
                        t.user_id,
                        t.scope.as_str(),
                        t.name,
                        t.created_at,
                        or_dash(&t.expires_at),
                        or_dash(&t.last_used_at),
                        or_dash(&t.revoked_at)
                    );
                }
                match page.last() {
                    Some(last) if page.len() == 1000 => after = Some(last.id.clone()),
                    _ => break,
                }
            }
        }
        TokenCmd::Revoke { token_id, .. } => {
            let org = auth::org_of(db, None, Some(&token_id))
                .await?
                .ok_or_else(|| anyhow!("token {token_id} not found"))?;
            let t = app::revoke_token(db, &operator(org), &token_id).await?;
            println!(
                "token {} revoked at {}",
                t.id,
                t.revoked_at.unwrap_or_default()
            );
        }
    }
    Ok(())
}

impl OrgCmd {
    /// The database these commands act on.
    pub fn db(&self) -> &DbArgs {
        let OrgCmd::Create { db, .. } = self;
        db
    }
}

impl UserCmd {
    /// The database these commands act on.
    pub fn db(&self) -> &DbArgs {
        match self {
            UserCmd::Add { db, .. }
            | UserCmd::List { db, .. }
            | UserCmd::Disable { db, .. }
            | UserCmd::Password { db, .. }
            | UserCmd::ResetLink { db, .. } => db,
        }
    }
}

impl TokenCmd {
    /// The database these commands act on.
    pub fn db(&self) -> &DbArgs {
        match self {
            TokenCmd::Issue { db, .. }
            | TokenCmd::List { db, .. }
            | TokenCmd::Revoke { db, .. } => db,
        }
    }
}

/// OIDC sign-in from `CLEARWAY_OIDC_ISSUER`, `_CLIENT_ID`, `_CLIENT_SECRET` (optional) and
/// `_REDIRECT_URL`: off when the issuer is unset; the issuer without the others is an error.
pub fn oidc_from_env() -> Result<Option<clearway_server::state::OidcConfig>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let Some(issuer) = var("CLEARWAY_OIDC_ISSUER") else {
        return Ok(None);
    };
    let need = |name: &str| {
        var(name).ok_or_else(|| anyhow!("CLEARWAY_OIDC_ISSUER is set, so {name} must be too"))
    };
    let config = clearway_server::state::OidcConfig {
        issuer,
        client_id: need("CLEARWAY_OIDC_CLIENT_ID")?,
        client_secret: var("CLEARWAY_OIDC_CLIENT_SECRET"),
        redirect_url: need("CLEARWAY_OIDC_REDIRECT_URL")?,
    };
    for (name, url) in [
        ("CLEARWAY_OIDC_ISSUER", &config.issuer),
        ("CLEARWAY_OIDC_REDIRECT_URL", &config.redirect_url),
    ] {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            bail!("{name} must be an http(s) URL");
        }
    }
    Ok(Some(config))
}

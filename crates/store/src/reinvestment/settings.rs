//! Organization DRIP settings: read, update with audit, and defaults.

use clearway_core::access::Permission;
use clearway_core::reinvestment::nav::STALENESS_DEFAULT_DAYS;
use clearway_core::reinvestment::{Election, ElectionKind, Percentage};
use clearway_core::FieldError;
use serde_json::{json, Value};

use crate::audit::{self, Change};
use crate::{now_text, outbox, q, Actor, Db, Row, StoreError, Tx};

use super::*;

/// Reinvestment settings of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Election applied when an investor has none for a fund (CASH, AUTOMATIC or PARTIAL).
    pub default_election: Election,
    /// How many business days old a prior NAV may be.
    pub nav_staleness_days: u32,
    /// Who set them last (None: never set, defaults apply).
    pub updated_by: Option<String>,
    /// When.
    pub updated_at: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_election: Election::Cash,
            nav_staleness_days: STALENESS_DEFAULT_DAYS,
            updated_by: None,
            updated_at: None,
        }
    }
}

fn settings_from_row(row: Option<Row>) -> Result<Settings, StoreError> {
    let Some(r) = row else {
        return Ok(Settings::default());
    };
    let kind: ElectionKind = r.parse("default_election")?;
    let pct = Percentage::new(r.parse("default_percentage")?).map_err(StoreError::Corrupt)?;
    let election = Election::from_parts(kind, Some(pct), None)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Settings {
        default_election: election,
        nav_staleness_days: u32::try_from(r.i64("nav_staleness_days")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        updated_by: Some(r.text("updated_by")?),
        updated_at: Some(r.text("updated_at")?),
    })
}

const SETTINGS_SQL: &str = "SELECT default_election, default_percentage, nav_staleness_days, updated_by, updated_at FROM reinvestment_settings WHERE org_id = $1";

/// The organization's settings (defaults when never set), inside a transaction.
pub async fn settings_tx(tx: &mut Tx, actor: &Actor) -> Result<Settings, StoreError> {
    actor.require(Permission::Read)?;
    settings_from_row(
        tx.fetch_optional(q(SETTINGS_SQL).bind(&actor.org_id))
            .await?,
    )
}

/// The organization's settings (defaults when never set).
pub async fn settings(db: &Db, actor: &Actor) -> Result<Settings, StoreError> {
    actor.require(Permission::Read)?;
    settings_from_row(
        db.fetch_optional(q(SETTINGS_SQL).bind(&actor.org_id))
            .await?,
    )
}

fn settings_json(s: &Settings) -> Value {
    json!({
        "defaultElection": s.default_election.kind().as_str(),
        "defaultPercentage": s.default_election.percentage().to_string(),
        "navStalenessBusinessDays": s.nav_staleness_days,
    })
}

/// Sets the organization's default election and NAV staleness (admins only); audited.
pub async fn put_settings(
    tx: &mut Tx,
    actor: &Actor,
    default_election: &Election,
    nav_staleness_days: u32,
) -> Result<Settings, StoreError> {
    actor.require(Permission::Administer)?;
    if default_election.kind() == ElectionKind::Alternative {
        return Err(FieldError::new(
            "defaultElection",
            "the organization default must be CASH, AUTOMATIC or PARTIAL (an alternative fund is chosen per investor)",
        )
        .into_store());
    }
    let before = settings_tx(tx, actor).await?;
    let now = now_text();
    tx.execute(
        q("INSERT INTO reinvestment_settings (org_id, default_election, default_percentage, nav_staleness_days, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (org_id) DO UPDATE SET default_election = excluded.default_election, default_percentage = excluded.default_percentage,
             nav_staleness_days = excluded.nav_staleness_days, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
            .bind(&actor.org_id)
            .bind(default_election.kind().as_str())
            .bind(default_election.percentage().to_string())
            .bind(i64::from(nav_staleness_days))
            .bind(&actor.user_id)
            .bind(&now),
    )
    .await?;
    let after = settings_tx(tx, actor).await?;
    audit::record(
        tx,
        actor,
        Change {
            action: "reinvestment.settings.update",
            entity_type: "organization",
            entity_id: &actor.org_id,
            before: Some(settings_json(&before)),
            after: Some(settings_json(&after)),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "reinvestment.settings_changed",
        "organization",
        &actor.org_id,
        settings_json(&after),
    )
    .await?;
    Ok(after)
}

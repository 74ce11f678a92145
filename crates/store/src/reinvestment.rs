//! Reinvestment (DRIP) storage: organization settings, effective-dated elections with their
//! history, and the reinvestment transactions written by the processing step together with
//! the lots, basis adjustments and holdings they create (set-based, in the caller's
//! transaction).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use clearway_core::access::{Permission, Role};
use clearway_core::distribution::FundKind;
use clearway_core::reinvestment::nav::{NavRule, STALENESS_DEFAULT_DAYS};
use clearway_core::reinvestment::{Election, ElectionKind, Percentage};
use clearway_core::{FieldError, Invalid};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Value};

use crate::audit::{self, Change};
use crate::db::planner::{Hint, Method};
use crate::db::{fetch_packed, unpack, Arg, ArgRows, RowSink, RowSource};
use crate::funds::{self, Fund};
use crate::{new_id, now_text, outbox, q, Actor, Db, Row, StoreError, Tx};

// ---------------------------------------------------------------------------------------
// Access

/// Refuses (404) unless the investor exists in the actor's organization and, for investor
/// users, is their own.
pub async fn check_investor_tx(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
) -> Result<(), StoreError> {
    actor.require(Permission::Read)?;
    if actor
        .investor_id
        .as_deref()
        .is_some_and(|own| own != investor_id)
    {
        return Err(StoreError::NotFound("investor"));
    }
    tx.fetch_optional(
        q("SELECT id FROM investors WHERE id = $1 AND org_id = $2")
            .bind(investor_id)
            .bind(&actor.org_id),
    )
    .await?
    .map(|_| ())
    .ok_or(StoreError::NotFound("investor"))
}

/// [`check_investor_tx`] outside a transaction.
pub async fn check_investor(db: &Db, actor: &Actor, investor_id: &str) -> Result<(), StoreError> {
    actor.require(Permission::Read)?;
    if actor
        .investor_id
        .as_deref()
        .is_some_and(|own| own != investor_id)
    {
        return Err(StoreError::NotFound("investor"));
    }
    db.fetch_optional(
        q("SELECT id FROM investors WHERE id = $1 AND org_id = $2")
            .bind(investor_id)
            .bind(&actor.org_id),
    )
    .await?
    .map(|_| ())
    .ok_or(StoreError::NotFound("investor"))
}

/// Investors change their own elections; operators and admins anyone's in their organization.
fn require_may_elect(actor: &Actor) -> Result<(), StoreError> {
    if actor.role == Role::Investor {
        Ok(())
    } else {
        actor.require(Permission::Operate)
    }
}

// ---------------------------------------------------------------------------------------
// Settings

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
        &actor.org_id,
        "reinvestment.settings_changed",
        "organization",
        &actor.org_id,
        settings_json(&after),
    )
    .await?;
    Ok(after)
}

trait IntoStore {
    fn into_store(self) -> StoreError;
}

impl IntoStore for FieldError {
    fn into_store(self) -> StoreError {
        StoreError::Invalid(Invalid(vec![self]))
    }
}

// ---------------------------------------------------------------------------------------
// Elections

/// An election as stored (one row of the history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ElectionRecord {
    /// Row id (time-ordered).
    pub id: String,
    /// Investor.
    pub investor_id: String,
    /// Fund whose distributions it applies to.
    pub fund_id: String,
    /// CASH, AUTOMATIC, PARTIAL or ALTERNATIVE.
    pub election: ElectionKind,
    /// Percentage reinvested (0–100).
    pub percentage: String,
    /// ALTERNATIVE: the fund bought.
    pub target_fund_id: Option<String>,
    /// In force from this date (compared with distributions' record dates).
    pub effective_date: NaiveDate,
    /// Who made the change.
    pub created_by: String,
    /// When.
    pub created_at: String,
}

impl ElectionRecord {
    /// The election itself.
    pub fn election(&self) -> Result<Election, StoreError> {
        let pct = Percentage::new(
            self.percentage
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("percentage: {e}")))?,
        )
        .map_err(StoreError::Corrupt)?;
        Election::from_parts(self.election, Some(pct), self.target_fund_id.clone())
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

const ELECTION_COLUMNS: &str = "id, investor_id, fund_id, election, percentage, target_fund_id, effective_date, created_by, created_at";

fn election_from_row(r: &Row) -> Result<ElectionRecord, StoreError> {
    Ok(ElectionRecord {
        id: r.text("id")?,
        investor_id: r.text("investor_id")?,
        fund_id: r.text("fund_id")?,
        election: r.parse("election")?,
        percentage: r.text("percentage")?,
        target_fund_id: r.opt_text("target_fund_id")?,
        effective_date: r.parse("effective_date")?,
        created_by: r.text("created_by")?,
        created_at: r.text("created_at")?,
    })
}

fn election_json(e: &ElectionRecord) -> Value {
    serde_json::to_value(e).unwrap_or(Value::Null)
}

/// Checks that `fund` can carry elections and resolves an ALTERNATIVE target (id or code)
/// to a fund id; errors name the request fields.
async fn validate_election(
    tx: &mut Tx,
    actor: &Actor,
    fund: &Fund,
    election: &Election,
    path: &str,
) -> Result<Election, StoreError> {
    if fund.kind != FundKind::OpenEnd {
        return Err(FieldError::new(
            format!("{path}fundId"),
            format!(
                "fund {} is a partnership; reinvestment applies to open-end funds only",
                fund.code
            ),
        )
        .into_store());
    }
    let Election::Alternative {
        target_fund_id,
        percentage,
    } = election
    else {
        return Ok(election.clone());
    };
    let field = format!("{path}targetFundId");
    let target = funds::get_fund_tx(tx, actor, target_fund_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => FieldError::new(
                &field,
                format!("fund '{target_fund_id}' not found in this organization"),
            )
            .into_store(),
            other => other,
        })?;
    check_target(fund, &target, &field)?;
    Ok(Election::Alternative {
        target_fund_id: target.id,
        percentage: *percentage,
    })
}

fn check_target(fund: &Fund, target: &Fund, field: &str) -> Result<(), StoreError> {
    let why = if target.id == fund.id {
        Some("must be another fund (use AUTOMATIC or PARTIAL for the same fund)".to_string())
    } else if target.kind != FundKind::OpenEnd {
        Some(format!("fund {} is not an open-end fund", target.code))
    } else if target.currency != fund.currency {
        Some(format!(
            "fund {} is in {}, not {} like {}",
            target.code, target.currency, fund.currency, fund.code
        ))
    } else {
        None
    };
    match why {
        Some(why) => Err(FieldError::new(field, why).into_store()),
        None => Ok(()),
    }
}

/// Records an election change for an investor and fund, effective from `effective_date`;
/// returns the row in force from that date and whether anything changed (a repeat of the
/// same election on the same date is a no-op). Audited, with a
/// `reinvestment.election_changed` event. Investors may not backdate (`today` is the floor).
pub async fn put_election(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    fund: &Fund,
    election: &Election,
    effective_date: NaiveDate,
    today: NaiveDate,
) -> Result<(ElectionRecord, bool), StoreError> {
    require_may_elect(actor)?;
    check_investor_tx(tx, actor, investor_id).await?;
    if actor.role == Role::Investor && effective_date < today {
        return Err(FieldError::new(
            "effectiveDate",
            format!("must not be before today ({today}); ask the fund administrator to backdate"),
        )
        .into_store());
    }
    let election = validate_election(tx, actor, fund, election, "").await?;
    let before = in_force_tx(tx, actor, investor_id, &fund.id, effective_date).await?;
    if let Some(b) = &before {
        if b.effective_date == effective_date && b.election()? == election {
            return Ok((b.clone(), false));
        }
    }
    let record = ElectionRecord {
        id: new_id(),
        investor_id: investor_id.to_string(),
        fund_id: fund.id.clone(),
        election: election.kind(),
        percentage: election.percentage().to_string(),
        target_fund_id: election.target_fund_id().map(str::to_string),
        effective_date,
        created_by: actor.user_id.clone(),
        created_at: now_text(),
    };
    tx.execute(
        q(format!("INSERT INTO reinvestment_elections ({ELECTION_COLUMNS}, org_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
            .bind(&record.id)
            .bind(&record.investor_id)
            .bind(&record.fund_id)
            .bind(record.election.as_str())
            .bind(&record.percentage)
            .bind(record.target_fund_id.clone())
            .bind(record.effective_date.to_string())
            .bind(&record.created_by)
            .bind(&record.created_at)
            .bind(&actor.org_id),
    )
    .await?;
    let after = election_json(&record);
    audit::record(
        tx,
        actor,
        Change {
            action: "reinvestment.election.change",
            entity_type: "investor",
            entity_id: investor_id,
            before: before.as_ref().map(election_json),
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        &actor.org_id,
        "reinvestment.election_changed",
        "investor",
        investor_id,
        json!({ "election": after, "actorId": actor.user_id }),
    )
    .await?;
    Ok((record, true))
}

async fn in_force_tx(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    fund_id: &str,
    date: NaiveDate,
) -> Result<Option<ElectionRecord>, StoreError> {
    tx.fetch_optional(
        q(format!("SELECT {ELECTION_COLUMNS} FROM reinvestment_elections WHERE org_id = $1 AND investor_id = $2 AND fund_id = $3 AND effective_date <= $4 ORDER BY effective_date DESC, id DESC LIMIT 1"))
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(fund_id)
            .bind(date.to_string()),
    )
    .await?
    .as_ref()
    .map(election_from_row)
    .transpose()
}

/// The election in force on `date` for each fund the investor has one for.
pub async fn elections_in_force(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    date: NaiveDate,
) -> Result<Vec<ElectionRecord>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    let rows = db
        .fetch_all(
            q(format!("SELECT {ELECTION_COLUMNS} FROM reinvestment_elections WHERE org_id = $1 AND investor_id = $2 AND effective_date <= $3 ORDER BY fund_id, effective_date, id"))
                .bind(&actor.org_id)
                .bind(investor_id)
                .bind(date.to_string()),
        )
        .await?;
    let mut out: Vec<ElectionRecord> = Vec::new();
    for r in &rows {
        let e = election_from_row(r)?;
        match out.last_mut() {
            Some(last) if last.fund_id == e.fund_id => *last = e,
            _ => out.push(e),
        }
    }
    Ok(out)
}

/// Elections dated after `date` (scheduled changes), per fund, oldest first.
pub async fn scheduled_elections(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    date: NaiveDate,
) -> Result<Vec<ElectionRecord>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    db.fetch_all(
        q(format!("SELECT {ELECTION_COLUMNS} FROM reinvestment_elections WHERE org_id = $1 AND investor_id = $2 AND effective_date > $3 ORDER BY effective_date, id LIMIT 100"))
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(date.to_string()),
    )
    .await?
    .iter()
    .map(election_from_row)
    .collect()
}

/// The full history of an investor's elections (optionally one fund), newest change first,
/// keyset-paginated by row id.
pub async fn election_history(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    fund_id: Option<&str>,
    before_id: Option<&str>,
    limit: i64,
) -> Result<Vec<ElectionRecord>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    db.fetch_all(
        q(format!("SELECT {ELECTION_COLUMNS} FROM reinvestment_elections WHERE org_id = $1 AND investor_id = $2 AND ($3 IS NULL OR fund_id = $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"))
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(fund_id)
            .bind(before_id)
            .bind(limit),
    )
    .await?
    .iter()
    .map(election_from_row)
    .collect()
}

/// One election of a bulk import.
#[derive(Debug, Clone)]
pub struct ElectionImport {
    /// Investor.
    pub investor_id: String,
    /// Fund id or code.
    pub fund_id: String,
    /// The election (an ALTERNATIVE target may be an id or a code).
    pub election: Election,
    /// In force from.
    pub effective_date: NaiveDate,
}

/// Records many elections at once (operators and admins; e.g. a fund administrator's file),
/// all or nothing: every row is checked first and the errors name `elections[i].field`.
/// Each change gets its audit entry and event, written in bulk.
pub async fn import_elections(
    tx: &mut Tx,
    actor: &Actor,
    items: &[ElectionImport],
) -> Result<usize, StoreError> {
    actor.require(Permission::Operate)?;
    let investors: HashSet<String> = tx
        .fetch_all(q("SELECT id FROM investors WHERE org_id = $1").bind(&actor.org_id))
        .await?
        .iter()
        .map(|r| r.text("id"))
        .collect::<Result<_, _>>()?;
    let fund_ids: Vec<String> = tx
        .fetch_all(q("SELECT id FROM funds WHERE org_id = $1 ORDER BY code").bind(&actor.org_id))
        .await?
        .iter()
        .map(|r| r.text("id"))
        .collect::<Result<_, _>>()?;
    let mut all_funds = Vec::with_capacity(fund_ids.len());
    for id in &fund_ids {
        all_funds.push(funds::get_fund_tx(tx, actor, id).await?);
    }
    let find = |key: &str| all_funds.iter().find(|f| f.id == key || f.code == key);
    let mut errors = Vec::new();
    let mut resolved = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("elections[{i}].");
        if !investors.contains(&item.investor_id) {
            errors.push(FieldError::new(
                format!("{path}investorId"),
                format!(
                    "investor '{}' not found in this organization",
                    item.investor_id
                ),
            ));
        }
        let Some(fund) = find(&item.fund_id) else {
            errors.push(FieldError::new(
                format!("{path}fundId"),
                format!("fund '{}' not found in this organization", item.fund_id),
            ));
            continue;
        };
        if fund.kind != FundKind::OpenEnd {
            errors.push(FieldError::new(
                format!("{path}fundId"),
                format!(
                    "fund {} is a partnership; reinvestment applies to open-end funds only",
                    fund.code
                ),
            ));
            continue;
        }
        let election = match &item.election {
            Election::Alternative {
                target_fund_id,
                percentage,
            } => match find(target_fund_id) {
                None => {
                    errors.push(FieldError::new(
                        format!("{path}targetFundId"),
                        format!("fund '{target_fund_id}' not found in this organization"),
                    ));
                    continue;
                }
                Some(target) => {
                    if let Err(StoreError::Invalid(Invalid(mut e))) =
                        check_target(fund, target, &format!("{path}targetFundId"))
                    {
                        errors.append(&mut e);
                        continue;
                    }
                    Election::Alternative {
                        target_fund_id: target.id.clone(),
                        percentage: *percentage,
                    }
                }
            },
            other => other.clone(),
        };
        resolved.push((item, fund.id.clone(), election));
    }
    if !errors.is_empty() {
        errors.truncate(100);
        return Err(StoreError::Invalid(Invalid(errors)));
    }
    let now = now_text();
    let mut rows = Vec::with_capacity(resolved.len());
    let mut audit_rows = Vec::with_capacity(resolved.len());
    let mut event_rows = Vec::with_capacity(resolved.len());
    for (item, fund_id, election) in &resolved {
        let record = ElectionRecord {
            id: new_id(),
            investor_id: item.investor_id.clone(),
            fund_id: fund_id.clone(),
            election: election.kind(),
            percentage: election.percentage().to_string(),
            target_fund_id: election.target_fund_id().map(str::to_string),
            effective_date: item.effective_date,
            created_by: actor.user_id.clone(),
            created_at: now.clone(),
        };
        rows.push(vec![
            (&record.id).into(),
            (&actor.org_id).into(),
            (&record.investor_id).into(),
            (&record.fund_id).into(),
            record.election.as_str().into(),
            (&record.percentage).into(),
            record.target_fund_id.clone().into(),
            record.effective_date.to_string().into(),
            (&record.created_by).into(),
            (&now).into(),
        ]);
        let after = election_json(&record);
        audit_rows.push(vec![
            new_id().into(),
            (&actor.org_id).into(),
            (&actor.user_id).into(),
            "reinvestment.election.import".into(),
            "investor".into(),
            (&record.investor_id).into(),
            Arg::Text(None),
            after.to_string().into(),
            (&now).into(),
        ]);
        event_rows.push(vec![
            new_id().into(),
            (&actor.org_id).into(),
            "reinvestment.election_changed".into(),
            "investor".into(),
            (&record.investor_id).into(),
            json!({ "election": after, "actorId": actor.user_id })
                .to_string()
                .into(),
            (&now).into(),
        ]);
    }
    tx.bulk_insert(
        "reinvestment_elections",
        &[
            "id",
            "org_id",
            "investor_id",
            "fund_id",
            "election",
            "percentage",
            "target_fund_id",
            "effective_date",
            "created_by",
            "created_at",
        ],
        &rows,
    )
    .await?;
    tx.bulk_insert(
        "audit_log",
        &[
            "id",
            "org_id",
            "actor_id",
            "action",
            "entity_type",
            "entity_id",
            "before_json",
            "after_json",
            "at",
        ],
        &audit_rows,
    )
    .await?;
    tx.bulk_insert(
        "outbox",
        &[
            "id",
            "org_id",
            "event_type",
            "aggregate_type",
            "aggregate_id",
            "payload",
            "created_at",
        ],
        &event_rows,
    )
    .await?;
    Ok(rows.len())
}

/// The election in force on `date` for every investor who has one for `fund_id` (processing).
pub async fn elections_at_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    date: NaiveDate,
) -> Result<HashMap<String, Election>, StoreError> {
    actor.require(Permission::Read)?;
    let packed = fetch_packed(
        tx,
        q("SELECT string_agg(investor_id || ',' || effective_date || ',' || id || ',' || election || ',' || percentage || ',' || COALESCE(target_fund_id, ''), ';') AS packed
           FROM reinvestment_elections WHERE org_id = $1 AND fund_id = $2 AND effective_date <= $3")
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(date.to_string()),
    )
    .await?;
    let mut rows: Vec<[&str; 6]> = unpack(&packed)?;
    // By investor, then date, then id: the last row per investor is the one in force.
    rows.sort_unstable_by(|a, b| (a[0], a[1], a[2]).cmp(&(b[0], b[1], b[2])));
    let mut out = HashMap::with_capacity(rows.len());
    for [investor, _, _, kind, pct, target] in rows {
        let kind: ElectionKind = kind.parse().map_err(StoreError::Corrupt)?;
        let pct = Percentage::new(
            pct.parse()
                .map_err(|e| StoreError::Corrupt(format!("percentage '{pct}': {e}")))?,
        )
        .map_err(StoreError::Corrupt)?;
        let target = (!target.is_empty()).then(|| target.to_string());
        let election = Election::from_parts(kind, Some(pct), target)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        out.insert(investor.to_string(), election);
    }
    Ok(out)
}

fn int(field: &str) -> Result<i64, StoreError> {
    field
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("'{field}': {e}")))
}

fn decimal(field: &str) -> Result<Decimal, StoreError> {
    field
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("'{field}': {e}")))
}

fn date(field: &str) -> Result<NaiveDate, StoreError> {
    field
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("'{field}': {e}")))
}

// ---------------------------------------------------------------------------------------
// Processing: inputs

/// A line not yet settled by the processing step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLine {
    /// Investor.
    pub investor_id: String,
    /// Line total (negative on reversals).
    pub total_minor: i64,
    /// Withholding.
    pub withholding_minor: i64,
    /// Return-of-capital component.
    pub roc_minor: i64,
}

/// Lines of a distribution whose settlement (reinvested/cash) is not yet set, by investor.
pub async fn pending_lines(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<Vec<PendingLine>, StoreError> {
    actor.require(Permission::Operate)?;
    let packed = fetch_packed(
        tx,
        q("SELECT string_agg(investor_id || ',' || total_minor || ',' || withholding_minor || ',' || roc_minor, ';') AS packed
           FROM distribution_lines WHERE distribution_id = $1 AND org_id = $2 AND cash_minor IS NULL")
            .bind(distribution_id)
            .bind(&actor.org_id),
    )
    .await?;
    let mut lines = unpack::<4>(&packed)?
        .into_iter()
        .map(|[investor, total, withholding, roc]| {
            Ok(PendingLine {
                investor_id: investor.to_string(),
                total_minor: int(total)?,
                withholding_minor: int(withholding)?,
                roc_minor: int(roc)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    lines.sort_unstable_by(|a, b| a.investor_id.cmp(&b.investor_id));
    Ok(lines)
}

/// Whether any line of the distribution still awaits its settlement.
pub async fn any_pending_line(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<bool, StoreError> {
    actor.require(Permission::Operate)?;
    Ok(tx
        .fetch_optional(
            q("SELECT investor_id FROM distribution_lines WHERE distribution_id = $1 AND org_id = $2 AND cash_minor IS NULL LIMIT 1")
                .bind(distribution_id)
                .bind(&actor.org_id),
        )
        .await?
        .is_some())
}

/// The holdings rows of a fund that matter for a change on `date`: each investor's latest row
/// on or before it, and every row after it, as (investor, date, units), unsorted. Only one
/// row per investor comes back from the history; each backend finds it walking the primary
/// key (fund, investor, date) in order, without sorting the fund's whole history.
pub async fn holdings_around_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    date: NaiveDate,
) -> Result<Vec<(String, NaiveDate, Decimal)>, StoreError> {
    actor.require(Permission::Read)?;
    // PostgreSQL: descending on both columns, the primary key read backwards, already in this
    // order. Sorting is switched off for this one statement: otherwise PostgreSQL gathers the
    // fund's whole history through the date index and sorts it (on disk at the default
    // work_mem: 300,000 rows, 20 MB), even with fresh statistics; walking the key is 136 ms,
    // not 190 ms.
    let hint = Hint::off(tx, Method::Sort).await?;
    let latest = tx.backend().pick(
        // A bare column beside MAX() comes from the row holding the maximum (documented SQLite
        // behaviour: https://sqlite.org/lang_select.html#bareagg).
        "SELECT investor_id, MAX(as_of) AS as_of, units FROM holdings
         WHERE fund_id = $2 AND as_of <= $3 AND org_id = $1 GROUP BY investor_id",
        "SELECT DISTINCT ON (investor_id) investor_id, as_of, units FROM holdings
         WHERE fund_id = $2 AND as_of <= $3 AND org_id = $1 ORDER BY investor_id DESC, as_of DESC",
    );
    // The latest rows sit in a subquery of their own: PostgreSQL's DISTINCT ON needs its ORDER
    // BY, which may not stand in one arm of a UNION.
    let packed = fetch_packed(
        tx,
        q(format!(
            "SELECT string_agg(investor_id || ',' || as_of || ',' || units, ';') AS packed FROM (
                 SELECT investor_id, as_of, units FROM ({latest}) l
                 UNION ALL
                 SELECT investor_id, as_of, units FROM holdings WHERE org_id = $1 AND fund_id = $2 AND as_of > $3
             ) h"
        ))
        .bind(&actor.org_id)
        .bind(fund_id)
        .bind(date.to_string()),
    )
    .await?;
    hint.restore(tx).await?;
    unpack::<3>(&packed)?
        .into_iter()
        .map(|[investor, as_of, units]| {
            Ok((investor.to_string(), self::date(as_of)?, decimal(units)?))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Processing: outputs

/// Reinvestment transaction kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKind {
    /// Shares bought with a distribution.
    Reinvest,
    /// Shares of an earlier reinvestment taken back by a reversal.
    Reversal,
}

impl TxKind {
    /// Stored spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            TxKind::Reinvest => "REINVEST",
            TxKind::Reversal => "REVERSAL",
        }
    }
}

/// A reinvestment transaction to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReinvestment {
    /// Investor.
    pub investor_id: String,
    /// REINVEST or REVERSAL.
    pub kind: TxKind,
    /// Fund bought.
    pub fund_id: String,
    /// Election applied.
    pub election: ElectionKind,
    /// Its percentage.
    pub percentage: Percentage,
    /// Money elected for reinvestment.
    pub reinvestable_minor: i64,
    /// Cost of the shares (negative on reversals).
    pub cost_minor: i64,
    /// Shares (negative on reversals).
    pub shares: Decimal,
    /// NAV per share used.
    pub nav: Decimal,
    /// Date of that NAV.
    pub nav_date: NaiveDate,
    /// EXACT or PRIOR.
    pub nav_rule: NavRule,
    /// Lot created (or closed, on reversals).
    pub lot_id: String,
    /// On reversals: the distribution whose reinvestment is undone.
    pub reverses_distribution_id: Option<String>,
}

/// A new tax lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLot {
    /// Lot id.
    pub id: String,
    /// Fund.
    pub fund_id: String,
    /// Investor.
    pub investor_id: String,
    /// Acquisition date.
    pub acquired_on: NaiveDate,
    /// OPENING, PURCHASE or REINVESTMENT.
    pub source: &'static str,
    /// For reinvestments: the distribution.
    pub source_distribution_id: Option<String>,
    /// Shares.
    pub shares: Decimal,
    /// Cost basis, minor units.
    pub cost_minor: i64,
}

/// A change of one lot's basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotAdjustment {
    /// Lot.
    pub lot_id: String,
    /// Its fund.
    pub fund_id: String,
    /// Its investor.
    pub investor_id: String,
    /// Basis change (negative: reduced by ROC).
    pub basis_change_minor: i64,
}

/// Return of capital applied for one line (stored only when part of it was beyond basis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RocApplication {
    /// Investor.
    pub investor_id: String,
    /// Fund.
    pub fund_id: String,
    /// ROC of the line.
    pub roc_minor: i64,
    /// Part that reduced basis.
    pub basis_reduction_minor: i64,
    /// Part beyond basis (capital gain).
    pub gain_minor: i64,
}

/// A holdings row to set: (fund, investor, date) → units, inserted or updated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldingSet {
    /// Fund.
    pub fund_id: String,
    /// Investor.
    pub investor_id: String,
    /// Date of the row.
    pub as_of: NaiveDate,
    /// Units held from that date.
    pub units: Decimal,
    /// A row with this key exists already (update it) or not (insert it).
    pub exists: bool,
}

/// Everything one processing step writes.
#[derive(Debug, Clone, Default)]
pub struct Writes {
    /// Reinvestment transactions, one per line at most.
    pub reinvestments: Vec<NewReinvestment>,
    /// New lots.
    pub lots: Vec<NewLot>,
    /// Lots closed by reversals.
    pub closed_lots: Vec<String>,
    /// Basis changes.
    pub adjustments: Vec<LotAdjustment>,
    /// Return of capital per line (stored only where part of it was beyond basis: the
    /// reductions themselves are the adjustments).
    pub roc: Vec<RocApplication>,
    /// Holdings rows.
    pub holdings: Vec<HoldingSet>,
}

const REINVESTMENT_COLUMNS: [&str; 15] = [
    "distribution_id",
    "investor_id",
    "org_id",
    "kind",
    "fund_id",
    "election",
    "percentage",
    "reinvestable_minor",
    "cost_minor",
    "shares",
    "nav",
    "nav_date",
    "nav_rule",
    "lot_id",
    "reverses_distribution_id",
];

/// Lots are inserted with these columns.
const LOT_COLUMNS: [&str; 11] = [
    "id",
    "org_id",
    "fund_id",
    "investor_id",
    "acquired_on",
    "source",
    "source_distribution_id",
    "original_cost_minor",
    "shares",
    "basis_minor",
    "status",
];

/// Basis changes are inserted with these columns.
const ADJUSTMENT_COLUMNS: [&str; 7] = [
    "distribution_id",
    "lot_id",
    "org_id",
    "fund_id",
    "investor_id",
    "basis_change_minor",
    "created_at",
];

/// Return of capital beyond basis is inserted with these columns.
const ROC_COLUMNS: [&str; 8] = [
    "distribution_id",
    "investor_id",
    "org_id",
    "fund_id",
    "roc_minor",
    "basis_reduction_minor",
    "gain_minor",
    "created_at",
];

/// Holdings rows are inserted with these columns.
const HOLDING_COLUMNS: [&str; 5] = ["org_id", "fund_id", "investor_id", "as_of", "units"];

/// One `reinvestments` row (columns [`REINVESTMENT_COLUMNS`]).
fn reinvestment_row<S: RowSink>(s: &mut S, actor: &Actor, ctx: &Context<'_>, r: &NewReinvestment) {
    s.text(ctx.distribution_id)
        .text(&r.investor_id)
        .text(&actor.org_id)
        .text(r.kind.as_str())
        .text(&r.fund_id)
        .text(r.election.as_str())
        .plain(r.percentage)
        .int(r.reinvestable_minor)
        .int(r.cost_minor)
        .plain(r.shares)
        .plain(r.nav)
        .plain(r.nav_date)
        .text(r.nav_rule.as_str())
        .text(&r.lot_id)
        .opt_text(r.reverses_distribution_id.as_deref())
        .end_row();
}

/// One `position_lots` row (columns [`LOT_COLUMNS`]): a new lot is open, basis = cost.
fn lot_row<S: RowSink>(s: &mut S, actor: &Actor, l: &NewLot) {
    s.text(&l.id)
        .text(&actor.org_id)
        .text(&l.fund_id)
        .text(&l.investor_id)
        .plain(l.acquired_on)
        .text(l.source)
        .opt_text(l.source_distribution_id.as_deref())
        .int(l.cost_minor)
        .plain(l.shares.normalize())
        .int(l.cost_minor)
        .text("OPEN")
        .end_row();
}

/// One `holdings` row (columns [`HOLDING_COLUMNS`]).
fn holding_row<S: RowSink>(s: &mut S, actor: &Actor, h: &HoldingSet) {
    s.text(&actor.org_id)
        .text(&h.fund_id)
        .text(&h.investor_id)
        .plain(h.as_of)
        .plain(h.units.normalize())
        .end_row();
}

/// The `reinvestments` rows of a step.
struct ReinvestmentRows<'a> {
    actor: &'a Actor,
    ctx: &'a Context<'a>,
    rows: &'a [NewReinvestment],
}

impl RowSource for ReinvestmentRows<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        reinvestment_row(sink, self.actor, self.ctx, &self.rows[at]);
    }
}

/// New `position_lots` rows.
struct LotRows<'a> {
    actor: &'a Actor,
    rows: &'a [NewLot],
}

impl RowSource for LotRows<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        lot_row(sink, self.actor, &self.rows[at]);
    }
}

/// `holdings` rows to insert: those of `sets` that exist already (`exists`), or those that
/// do not.
struct HoldingRows<'a> {
    actor: &'a Actor,
    rows: Vec<&'a HoldingSet>,
}

impl<'a> HoldingRows<'a> {
    fn new(actor: &'a Actor, sets: &'a [HoldingSet], exists: bool) -> Self {
        HoldingRows {
            actor,
            rows: sets.iter().filter(|h| h.exists == exists).collect(),
        }
    }
}

impl RowSource for HoldingRows<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        holding_row(sink, self.actor, self.rows[at]);
    }
}

/// Inserts new lots (bulk) in the caller's transaction.
pub async fn insert_lots(tx: &mut Tx, actor: &Actor, lots: &[NewLot]) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    tx.bulk_load(
        "position_lots",
        &LOT_COLUMNS,
        &LotRows { actor, rows: lots },
    )
    .await
}

/// Context of a [`persist`] call: the distribution being processed.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// Distribution id.
    pub distribution_id: &'a str,
}

/// Rows per `UPDATE … FROM (VALUES …)` statement.
const UPDATE_CHUNK: usize = 4_000;

/// The rows a step inserts, per table, exactly as loaded.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// `reinvestments`.
    pub reinvestments: Vec<Vec<Arg>>,
    /// `position_lots`.
    pub lots: Vec<Vec<Arg>>,
    /// `lot_adjustments`.
    pub adjustments: Vec<Vec<Arg>>,
    /// `roc_gains` (only lines whose return of capital went beyond basis).
    pub roc: Vec<Vec<Arg>>,
    /// `holdings` rows that do not exist yet.
    pub new_holdings: Vec<Vec<Arg>>,
}

impl Rows {
    /// Number of rows in all tables.
    pub fn len(&self) -> usize {
        self.reinvestments.len()
            + self.lots.len()
            + self.adjustments.len()
            + self.roc.len()
            + self.new_holdings.len()
    }

    /// Whether there is nothing to insert.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The basis-change and return-of-capital rows of `w`, stamped `now`.
fn small_rows(
    actor: &Actor,
    ctx: &Context<'_>,
    w: &Writes,
    now: &str,
) -> (Vec<Vec<Arg>>, Vec<Vec<Arg>>) {
    let adjustments = w
        .adjustments
        .iter()
        .map(|a| {
            vec![
                ctx.distribution_id.into(),
                (&a.lot_id).into(),
                (&actor.org_id).into(),
                (&a.fund_id).into(),
                (&a.investor_id).into(),
                a.basis_change_minor.into(),
                now.into(),
            ]
        })
        .collect();
    let roc = w
        .roc
        .iter()
        .filter(|r| r.gain_minor != 0)
        .map(|r| {
            vec![
                ctx.distribution_id.into(),
                (&r.investor_id).into(),
                (&actor.org_id).into(),
                (&r.fund_id).into(),
                r.roc_minor.into(),
                r.basis_reduction_minor.into(),
                r.gain_minor.into(),
                now.into(),
            ]
        })
        .collect();
    (adjustments, roc)
}

/// Renders the rows of `w` for the distribution of `ctx`.
pub fn rows(actor: &Actor, ctx: &Context<'_>, w: &Writes) -> Rows {
    let (adjustments, roc) = small_rows(actor, ctx, w, &now_text());
    Rows {
        reinvestments: ArgRows::collect(&ReinvestmentRows {
            actor,
            ctx,
            rows: &w.reinvestments,
        }),
        lots: ArgRows::collect(&LotRows {
            actor,
            rows: &w.lots,
        }),
        adjustments,
        roc,
        new_holdings: ArgRows::collect(&HoldingRows::new(actor, &w.holdings, false)),
    }
}

/// Bulk-loads `rows` already rendered (COPY on PostgreSQL, one prepared INSERT on SQLite),
/// nothing else: the benchmark's baseline for the step's inserts.
pub async fn insert_rows(tx: &mut Tx, actor: &Actor, rows: &Rows) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    load(
        tx,
        &rows.reinvestments[..],
        &rows.lots[..],
        &rows.adjustments,
        &rows.roc,
        &rows.new_holdings[..],
    )
    .await
}

/// Loads a step's rows table by table, each load timed at debug level: the step's own rows
/// (written straight from its values) or the benchmark baseline's rendered ones.
async fn load<R: RowSource + ?Sized, L: RowSource + ?Sized, H: RowSource + ?Sized>(
    tx: &mut Tx,
    reinvestments: &R,
    lots: &L,
    adjustments: &[Vec<Arg>],
    roc: &[Vec<Arg>],
    holdings: &H,
) -> Result<(), StoreError> {
    let mut clock = Clock::new();
    tx.bulk_load("reinvestments", &REINVESTMENT_COLUMNS, reinvestments)
        .await?;
    clock.lap("insert reinvestments");
    tx.bulk_load("position_lots", &LOT_COLUMNS, lots).await?;
    clock.lap("insert lots");
    tx.bulk_insert("lot_adjustments", &ADJUSTMENT_COLUMNS, adjustments)
        .await?;
    clock.lap("insert lot adjustments");
    tx.bulk_insert("roc_gains", &ROC_COLUMNS, roc).await?;
    clock.lap("insert roc");
    tx.bulk_load("holdings", &HOLDING_COLUMNS, holdings).await?;
    clock.lap("insert holdings");
    Ok(())
}

/// Writes a processing step's results and settles every pending line of the distribution:
/// lines with a reinvestment get `reinvested = cost`, `cash = total − withholding − cost`
/// (REINVESTED when no cash is left); every other pending line is all cash. Set-based: bulk
/// loads and a handful of statements, whatever the number of lines.
pub async fn persist(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Context<'_>,
    w: &Writes,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let now = now_text();
    // Each row is written straight from `w` into the backend's load (COPY text, or bindings):
    // rendering and freeing a value per field first cost ~120 ms of a 100,000-line step.
    let (adjustments, roc) = small_rows(actor, ctx, w, &now);
    load(
        tx,
        &ReinvestmentRows {
            actor,
            ctx,
            rows: &w.reinvestments,
        },
        &LotRows {
            actor,
            rows: &w.lots,
        },
        &adjustments,
        &roc,
        &HoldingRows::new(actor, &w.holdings, false),
    )
    .await?;
    let mut clock = Clock::new();
    for chunk in w.closed_lots.chunks(UPDATE_CHUNK) {
        let placeholders = crate::db::placeholders(3, chunk.len());
        let mut query = q(format!(
            "UPDATE position_lots SET basis_minor = 0, status = 'CLOSED', closed_at = $1 WHERE org_id = $2 AND id IN ({})",
            placeholders
        ))
        .bind(&now)
        .bind(&actor.org_id);
        for id in chunk {
            query.push(id);
        }
        tx.execute(query).await?;
    }
    clock.lap("close lots");
    if !w.adjustments.is_empty() {
        // One join over the rows just loaded (their key starts with the distribution).
        tx.execute(
            q("UPDATE position_lots SET basis_minor = position_lots.basis_minor + a.basis_change_minor
               FROM lot_adjustments a
               WHERE a.distribution_id = $1 AND a.lot_id = position_lots.id AND position_lots.org_id = $2 AND position_lots.status = 'OPEN'")
                .bind(ctx.distribution_id)
                .bind(&actor.org_id),
        )
        .await?;
    }
    clock.lap("update lot basis");
    update_holdings(tx, actor, &w.holdings).await?;
    clock.lap("update holdings");
    // Settle the lines: those with a reinvestment from it, then every other one as cash.
    // On PostgreSQL the join must be a hash join (one pass over each side): without statistics
    // on the just-written rows the planner takes a nested loop that probes the reinvestments
    // once per line (1.4 s for 100,000 lines, not 0.27 s). Scoped to this one statement.
    let hint = Hint::off(tx, Method::NestLoop).await?;
    tx.execute(
        q("UPDATE distribution_lines SET reinvested_minor = r.cost_minor,
             cash_minor = distribution_lines.total_minor - distribution_lines.withholding_minor - r.cost_minor,
             status = CASE WHEN r.cost_minor > 0 AND distribution_lines.total_minor - distribution_lines.withholding_minor - r.cost_minor = 0
                           THEN 'REINVESTED' ELSE distribution_lines.status END
           FROM reinvestments r
           WHERE r.distribution_id = $1 AND distribution_lines.distribution_id = $1 AND distribution_lines.investor_id = r.investor_id
             AND distribution_lines.org_id = $2 AND distribution_lines.cash_minor IS NULL")
            .bind(ctx.distribution_id)
            .bind(&actor.org_id),
    )
    .await?;
    hint.restore(tx).await?;
    clock.lap("settle reinvested lines");
    tx.execute(
        q("UPDATE distribution_lines SET reinvested_minor = 0, cash_minor = total_minor - withholding_minor
           WHERE distribution_id = $1 AND org_id = $2 AND cash_minor IS NULL")
            .bind(ctx.distribution_id)
            .bind(&actor.org_id),
    )
    .await?;
    clock.lap("settle cash lines");
    Ok(())
}

/// Timings of the statements of [`persist`], logged at debug level (bench and diagnosis).
struct Clock {
    last: std::time::Instant,
}

impl Clock {
    fn new() -> Self {
        Clock {
            last: std::time::Instant::now(),
        }
    }

    fn lap(&mut self, what: &str) {
        let now = std::time::Instant::now();
        tracing::debug!(
            what,
            ms = (now - self.last).as_secs_f64() * 1000.0,
            "reinvestment persist"
        );
        self.last = now;
    }
}

/// Replaces existing holdings rows: deletes them by key (per fund and date, investors in
/// chunks, through the primary key) and loads the new versions in bulk. Rare: only when a
/// holdings row already exists on the trade date or after it.
async fn update_holdings(
    tx: &mut Tx,
    actor: &Actor,
    sets: &[HoldingSet],
) -> Result<(), StoreError> {
    let mut groups: std::collections::BTreeMap<(&str, NaiveDate), Vec<&str>> =
        std::collections::BTreeMap::new();
    for h in sets.iter().filter(|h| h.exists) {
        groups
            .entry((h.fund_id.as_str(), h.as_of))
            .or_default()
            .push(h.investor_id.as_str());
    }
    for ((fund_id, as_of), investors) in &groups {
        for chunk in investors.chunks(UPDATE_CHUNK) {
            let placeholders = crate::db::placeholders(4, chunk.len());
            let mut query = q(format!(
                "DELETE FROM holdings WHERE org_id = $1 AND fund_id = $2 AND as_of = $3 AND investor_id IN ({})",
                placeholders
            ))
            .bind(&actor.org_id)
            .bind(*fund_id)
            .bind(as_of.to_string());
            for investor in chunk {
                query.push(*investor);
            }
            tx.execute(query).await?;
        }
    }
    tx.bulk_load(
        "holdings",
        &HOLDING_COLUMNS,
        &HoldingRows::new(actor, sets, true),
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Reading reinvestments

/// A reinvestment transaction as reported: the stored row with its distribution's fund,
/// currency and payable date, and its line's total and withholding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reinvestment {
    /// Distribution.
    pub distribution_id: String,
    /// Investor.
    pub investor_id: String,
    /// REINVEST or REVERSAL.
    pub kind: String,
    /// The distribution's fund.
    pub source_fund_id: String,
    /// Fund bought.
    pub fund_id: String,
    /// Election applied.
    pub election: String,
    /// Its percentage.
    pub percentage: String,
    /// Currency.
    pub currency: String,
    /// Line total.
    pub line_total_minor: i64,
    /// Withholding.
    pub withholding_minor: i64,
    /// Money elected.
    pub reinvestable_minor: i64,
    /// Cost of the shares (reinvested amount).
    pub cost_minor: i64,
    /// Shares.
    pub shares: Decimal,
    /// NAV used.
    pub nav: Decimal,
    /// Date of that NAV.
    pub nav_date: NaiveDate,
    /// EXACT or PRIOR.
    pub nav_rule: String,
    /// Trade date (the distribution's payable date).
    pub trade_date: NaiveDate,
    /// Lot created or closed.
    pub lot_id: String,
    /// On reversals: the distribution reversed.
    pub reverses_distribution_id: Option<String>,
}

/// The reinvestment with its distribution and line (`r`, `d`, `l`).
const READ_FROM: &str = "SELECT r.distribution_id, r.investor_id, r.kind, d.fund_id AS source_fund_id, r.fund_id, r.election, r.percentage, d.currency,
        l.total_minor AS line_total_minor, l.withholding_minor, r.reinvestable_minor, r.cost_minor, r.shares, r.nav, r.nav_date, r.nav_rule,
        d.payable_date AS trade_date, r.lot_id, r.reverses_distribution_id
    FROM reinvestments r
    JOIN distributions d ON d.id = r.distribution_id
    JOIN distribution_lines l ON l.distribution_id = r.distribution_id AND l.investor_id = r.investor_id";

fn reinvestment_from_row(r: &Row) -> Result<Reinvestment, StoreError> {
    Ok(Reinvestment {
        distribution_id: r.text("distribution_id")?,
        investor_id: r.text("investor_id")?,
        kind: r.text("kind")?,
        source_fund_id: r.text("source_fund_id")?,
        fund_id: r.text("fund_id")?,
        election: r.text("election")?,
        percentage: r.text("percentage")?,
        currency: r.text("currency")?,
        line_total_minor: r.i64("line_total_minor")?,
        withholding_minor: r.i64("withholding_minor")?,
        reinvestable_minor: r.i64("reinvestable_minor")?,
        cost_minor: r.i64("cost_minor")?,
        shares: r.parse("shares")?,
        nav: r.parse("nav")?,
        nav_date: r.parse("nav_date")?,
        nav_rule: r.text("nav_rule")?,
        trade_date: r.parse("trade_date")?,
        lot_id: r.text("lot_id")?,
        reverses_distribution_id: r.opt_text("reverses_distribution_id")?,
    })
}

/// Reinvestments of a distribution the actor may see (investors: only their own), by
/// investor id after `after_investor`; `limit` None reads them all (exports).
pub async fn for_distribution(
    db: &Db,
    actor: &Actor,
    distribution_id: &str,
    after_investor: Option<&str>,
    limit: Option<i64>,
) -> Result<Vec<Reinvestment>, StoreError> {
    crate::distributions::get(db, actor, distribution_id).await?;
    db.fetch_all(
        q(format!("{READ_FROM} WHERE r.distribution_id = $1 AND r.org_id = $2 AND r.investor_id > $3 AND ($4 IS NULL OR r.investor_id = $4) ORDER BY r.investor_id LIMIT $5"))
            .bind(distribution_id)
            .bind(&actor.org_id)
            .bind(after_investor.unwrap_or(""))
            .bind(actor.investor_id.clone())
            .bind(limit.unwrap_or(i64::MAX)),
    )
    .await?
    .iter()
    .map(reinvestment_from_row)
    .collect()
}

/// Reinvestments of a distribution for the given investors, inside a transaction (reversals).
pub async fn for_distribution_tx(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<Vec<Reinvestment>, StoreError> {
    actor.require(Permission::Operate)?;
    tx.fetch_all(
        q(format!(
            "{READ_FROM} WHERE r.distribution_id = $1 AND r.org_id = $2 ORDER BY r.investor_id"
        ))
        .bind(distribution_id)
        .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(reinvestment_from_row)
    .collect()
}

/// Every reinvestment transaction of an investor (optionally into one fund), oldest first.
pub async fn for_investor(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    fund_id: Option<&str>,
) -> Result<Vec<Reinvestment>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    db.fetch_all(
        q(format!("{READ_FROM} WHERE r.org_id = $1 AND r.investor_id = $2 AND ($3 IS NULL OR r.fund_id = $3) ORDER BY d.payable_date, r.distribution_id"))
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(fund_id),
    )
    .await?
    .iter()
    .map(reinvestment_from_row)
    .collect()
}

/// Basis changes a distribution made to the given lots (to reverse them), inside a transaction.
pub async fn adjustments_of_tx(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    lot_ids: &[String],
) -> Result<Vec<LotAdjustment>, StoreError> {
    actor.require(Permission::Operate)?;
    let mut out = Vec::new();
    for chunk in lot_ids.chunks(UPDATE_CHUNK) {
        let placeholders = crate::db::placeholders(3, chunk.len());
        let mut query = q(format!(
            "SELECT lot_id, fund_id, investor_id, basis_change_minor FROM lot_adjustments WHERE distribution_id = $1 AND org_id = $2 AND lot_id IN ({})",
            placeholders
        ))
        .bind(distribution_id)
        .bind(&actor.org_id);
        for id in chunk {
            query.push(id);
        }
        for r in tx.fetch_all(query).await? {
            out.push(LotAdjustment {
                lot_id: r.text("lot_id")?,
                fund_id: r.text("fund_id")?,
                investor_id: r.text("investor_id")?,
                basis_change_minor: r.i64("basis_change_minor")?,
            });
        }
    }
    Ok(out)
}

/// Return of capital beyond basis recorded by a distribution, per investor (to reverse it).
pub async fn roc_of_tx(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<Vec<RocApplication>, StoreError> {
    actor.require(Permission::Operate)?;
    tx.fetch_all(
        q("SELECT investor_id, fund_id, roc_minor, basis_reduction_minor, gain_minor FROM roc_gains WHERE distribution_id = $1 AND org_id = $2 ORDER BY investor_id")
            .bind(distribution_id)
            .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(RocApplication {
            investor_id: r.text("investor_id")?,
            fund_id: r.text("fund_id")?,
            roc_minor: r.i64("roc_minor")?,
            basis_reduction_minor: r.i64("basis_reduction_minor")?,
            gain_minor: r.i64("gain_minor")?,
        })
    })
    .collect()
}

/// Return of capital beyond basis of an investor's lines (optionally one fund): for reports.
pub async fn roc_for_investor(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    fund_id: Option<&str>,
) -> Result<Vec<(String, RocApplication)>, StoreError> {
    check_investor(db, actor, investor_id).await?;
    db.fetch_all(
        q("SELECT distribution_id, investor_id, fund_id, roc_minor, basis_reduction_minor, gain_minor FROM roc_gains WHERE org_id = $1 AND investor_id = $2 AND ($3 IS NULL OR fund_id = $3) ORDER BY distribution_id")
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(fund_id),
    )
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.text("distribution_id")?,
            RocApplication {
                investor_id: r.text("investor_id")?,
                fund_id: r.text("fund_id")?,
                roc_minor: r.i64("roc_minor")?,
                basis_reduction_minor: r.i64("basis_reduction_minor")?,
                gain_minor: r.i64("gain_minor")?,
            },
        ))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::CopyText;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    /// The COPY text PostgreSQL would load for `source`.
    fn copy_of<R: RowSource + ?Sized>(source: &R) -> String {
        let mut text = CopyText::with_capacity(0);
        source.write_all(&mut text);
        text.as_str().to_string()
    }

    /// The step writes its rows straight from its values into the backend's load; SQLite's
    /// replay of a refused row and the benchmark's baseline go through [`Arg`]s. Both must be
    /// the very same rows.
    #[test]
    fn copy_text_holds_exactly_the_rendered_rows() {
        let actor = Actor::system("org-1");
        let ctx = Context {
            distribution_id: "dist-1",
        };
        let date = |s: &str| s.parse::<NaiveDate>().expect("date");
        let reinvestment =
            |investor: &str, kind, shares: &str, reverses: Option<&str>| NewReinvestment {
                investor_id: investor.into(),
                kind,
                fund_id: "fund-1".into(),
                election: ElectionKind::Partial,
                percentage: Percentage::new(d("12.345678")).expect("percentage"),
                reinvestable_minor: 12_345,
                cost_minor: -12_344,
                shares: d(shares),
                nav: d("10.12345678"),
                nav_date: date("2026-03-31"),
                nav_rule: NavRule::Prior,
                lot_id: format!("lot-{investor}"),
                reverses_distribution_id: reverses.map(str::to_string),
            };
        let w = Writes {
            reinvestments: vec![
                reinvestment("inv-a", TxKind::Reinvest, "1219.4000", None),
                // Odd text in ids is escaped the same way on both paths.
                reinvestment("inv\tb\\c", TxKind::Reversal, "-0.0010", Some("dist-0")),
            ],
            lots: vec![
                NewLot {
                    id: "lot-1".into(),
                    fund_id: "fund-1".into(),
                    investor_id: "inv-a".into(),
                    acquired_on: date("2026-04-01"),
                    source: "REINVESTMENT",
                    source_distribution_id: Some("dist-1".into()),
                    shares: d("1219.4000"),
                    cost_minor: 12_344,
                },
                NewLot {
                    id: "lot-2".into(),
                    fund_id: "fund-1".into(),
                    investor_id: "inv\nd".into(),
                    acquired_on: date("2025-12-31"),
                    source: "OPENING",
                    source_distribution_id: None,
                    shares: d("0.5"),
                    cost_minor: 0,
                },
            ],
            holdings: vec![
                HoldingSet {
                    fund_id: "fund-1".into(),
                    investor_id: "inv-a".into(),
                    as_of: date("2026-04-01"),
                    units: d("2219.40000000"),
                    exists: false,
                },
                HoldingSet {
                    fund_id: "fund-1".into(),
                    investor_id: "inv-e".into(),
                    as_of: date("2026-04-01"),
                    units: d("7"),
                    exists: true,
                },
                HoldingSet {
                    fund_id: "fund-2".into(),
                    investor_id: "inv-f".into(),
                    as_of: date("2026-05-01"),
                    units: d("0.000"),
                    exists: false,
                },
            ],
            ..Writes::default()
        };
        // The Args path (SQLite's replay of a refused row, the benchmark's baseline) and the
        // direct path write the same fields.
        let rendered = rows(&actor, &ctx, &w);
        let reinvestments = copy_of(&ReinvestmentRows {
            actor: &actor,
            ctx: &ctx,
            rows: &w.reinvestments,
        });
        let lots = copy_of(&LotRows {
            actor: &actor,
            rows: &w.lots,
        });
        let holdings = copy_of(&HoldingRows::new(&actor, &w.holdings, false));
        let from_args = |rows: &[Vec<Arg>]| copy_of(rows);
        assert_eq!(reinvestments, from_args(&rendered.reinvestments));
        assert_eq!(lots, from_args(&rendered.lots));
        assert_eq!(holdings, from_args(&rendered.new_holdings));
        // And the text is what PostgreSQL is meant to read (spot checks, not just equality).
        assert_eq!(
            reinvestments.lines().nth(1),
            Some("dist-1\tinv\\tb\\\\c\torg-1\tREVERSAL\tfund-1\tPARTIAL\t12.345678\t12345\t-12344\t-0.0010\t10.12345678\t2026-03-31\tPRIOR\tlot-inv\\tb\\\\c\tdist-0")
        );
        assert_eq!(
            lots,
            "lot-1\torg-1\tfund-1\tinv-a\t2026-04-01\tREINVESTMENT\tdist-1\t12344\t1219.4\t12344\tOPEN\n\
             lot-2\torg-1\tfund-1\tinv\\nd\t2025-12-31\tOPENING\t\\N\t0\t0.5\t0\tOPEN\n"
        );
        assert_eq!(
            holdings,
            "org-1\tfund-1\tinv-a\t2026-04-01\t2219.4\norg-1\tfund-2\tinv-f\t2026-05-01\t0\n"
        );
    }
}

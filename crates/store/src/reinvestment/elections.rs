//! Effective-dated elections: validation, changes with history, import, elections in force.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use clearway_core::access::{Permission, Role};
use clearway_core::distribution::FundKind;
use clearway_core::reinvestment::{Election, ElectionKind, Percentage};
use clearway_core::{FieldError, Invalid};
use serde_json::{json, Value};

use crate::audit::{self, Change};
use crate::db::{fetch_packed, unpack, Arg};
use crate::funds::{self, Fund};
use crate::{new_id, now_text, outbox, q, Actor, Db, Row, StoreError, Tx};

use super::*;

/// An election as stored (one row of the history).
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// The JSON of an election row in audit entries and events (an audit/event payload, not an
/// API view: it keeps the row's own shape).
fn election_json(e: &ElectionRecord) -> Value {
    serde_json::json!({
        "id": e.id,
        "investorId": e.investor_id,
        "fundId": e.fund_id,
        "election": e.election,
        "percentage": e.percentage,
        "targetFundId": e.target_fund_id,
        "effectiveDate": e.effective_date,
        "createdBy": e.created_by,
        "createdAt": e.created_at,
    })
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
        actor,
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
    let (investors, all_funds) = import_context(tx, actor).await?;
    let resolved = resolve_imports(items, &investors, &all_funds)?;
    write_imports(tx, actor, &resolved).await
}

/// An imported election checked and resolved: its fund id, and an ALTERNATIVE target as id.
struct Resolved<'a> {
    item: &'a ElectionImport,
    fund_id: String,
    election: Election,
}

/// What an import is checked against: the organization's investors and funds (by code).
async fn import_context(
    tx: &mut Tx,
    actor: &Actor,
) -> Result<(HashSet<String>, Vec<Fund>), StoreError> {
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
    Ok((investors, all_funds))
}

/// Checks every imported election, naming each bad field (at most 100).
fn resolve_imports<'a>(
    items: &'a [ElectionImport],
    investors: &HashSet<String>,
    all_funds: &[Fund],
) -> Result<Vec<Resolved<'a>>, StoreError> {
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
        match resolve_import(&path, item, all_funds) {
            Ok(r) => resolved.push(r),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        errors.truncate(100);
        return Err(StoreError::Invalid(Invalid(errors)));
    }
    Ok(resolved)
}

/// Resolves one imported election's fund (open-end only) and ALTERNATIVE target.
fn resolve_import<'a>(
    path: &str,
    item: &'a ElectionImport,
    all_funds: &[Fund],
) -> Result<Resolved<'a>, Vec<FieldError>> {
    let find = |key: &str| all_funds.iter().find(|f| f.id == key || f.code == key);
    let not_found = |field: &str, key: &str| {
        vec![FieldError::new(
            format!("{path}{field}"),
            format!("fund '{key}' not found in this organization"),
        )]
    };
    let fund = find(&item.fund_id).ok_or_else(|| not_found("fundId", &item.fund_id))?;
    if fund.kind != FundKind::OpenEnd {
        return Err(vec![FieldError::new(
            format!("{path}fundId"),
            format!(
                "fund {} is a partnership; reinvestment applies to open-end funds only",
                fund.code
            ),
        )]);
    }
    let election = match &item.election {
        Election::Alternative {
            target_fund_id,
            percentage,
        } => {
            let target =
                find(target_fund_id).ok_or_else(|| not_found("targetFundId", target_fund_id))?;
            if let Err(StoreError::Invalid(Invalid(e))) =
                check_target(fund, target, &format!("{path}targetFundId"))
            {
                return Err(e);
            }
            Election::Alternative {
                target_fund_id: target.id.clone(),
                percentage: *percentage,
            }
        }
        other => other.clone(),
    };
    Ok(Resolved {
        item,
        fund_id: fund.id.clone(),
        election,
    })
}

/// Writes the resolved elections with their audit entries and events, each in one bulk load.
async fn write_imports(
    tx: &mut Tx,
    actor: &Actor,
    resolved: &[Resolved<'_>],
) -> Result<usize, StoreError> {
    let now = now_text();
    let records: Vec<ElectionRecord> = resolved
        .iter()
        .map(|r| ElectionRecord {
            id: new_id(),
            investor_id: r.item.investor_id.clone(),
            fund_id: r.fund_id.clone(),
            election: r.election.kind(),
            percentage: r.election.percentage().to_string(),
            target_fund_id: r.election.target_fund_id().map(str::to_string),
            effective_date: r.item.effective_date,
            created_by: actor.user_id.clone(),
            created_at: now.clone(),
        })
        .collect();
    load_elections(tx, actor, &records).await?;
    let after: Vec<Value> = records.iter().map(election_json).collect();
    let changes: Vec<Change<'_>> = records
        .iter()
        .zip(&after)
        .map(|(r, after)| Change {
            action: "reinvestment.election.import",
            entity_type: "investor",
            entity_id: &r.investor_id,
            before: None,
            after: Some(after.clone()),
        })
        .collect();
    audit::record_many(tx, actor, &changes).await?;
    let events: Vec<outbox::NewEvent<'_>> = records
        .iter()
        .zip(after)
        .map(|(r, after)| outbox::NewEvent {
            event_type: "reinvestment.election_changed",
            aggregate_type: "investor",
            aggregate_id: &r.investor_id,
            payload: json!({ "election": after, "actorId": actor.user_id }),
        })
        .collect();
    outbox::emit_many(tx, actor, &events).await?;
    Ok(records.len())
}

/// Loads election rows of the actor's organization in bulk, without audit entries or events:
/// for seeding data (the demo); changes go through [`import_elections`] or the single change.
pub async fn load_elections(
    tx: &mut Tx,
    actor: &Actor,
    records: &[ElectionRecord],
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let rows: Vec<Vec<Arg>> = records.iter().map(|r| election_row(actor, r)).collect();
    tx.bulk_insert("reinvestment_elections", &ELECTION_INSERT_COLUMNS, &rows)
        .await
}

/// Columns of an election row, in [`election_row`] order.
const ELECTION_INSERT_COLUMNS: [&str; 10] = [
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
];

/// The stored row of an election of the actor's organization.
fn election_row(actor: &Actor, r: &ElectionRecord) -> Vec<Arg> {
    vec![
        (&r.id).into(),
        (&actor.org_id).into(),
        (&r.investor_id).into(),
        (&r.fund_id).into(),
        r.election.as_str().into(),
        (&r.percentage).into(),
        r.target_fund_id.clone().into(),
        r.effective_date.to_string().into(),
        (&r.created_by).into(),
        (&r.created_at).into(),
    ]
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

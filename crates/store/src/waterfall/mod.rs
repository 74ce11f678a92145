//! Waterfall terms per fund (versioned), the runs that made distributions, and the tier split
//! of their lines; plus the fund's prior distributions as later waterfalls read them.

use std::collections::HashMap;

use chrono::NaiveDate;
use clearway_core::access::Permission;
use serde_json::{json, Value};

use crate::audit::{self, Change};
use crate::db::{fetch_packed, Arg};
use crate::{now_text, q, Actor, Db, Row, StoreError, Tx};

/// Waterfalls read every investor's figures: staff only.
fn require_staff(actor: &Actor, permission: Permission) -> Result<(), StoreError> {
    actor.require(permission)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::Forbidden(
            "waterfalls are for the organization's staff".into(),
        ));
    }
    Ok(())
}

/// One version of a fund's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct TermsRow {
    /// 1, 2, … per fund; the highest is in force.
    pub version: i64,
    /// JSON of `clearway_core::waterfall::Terms`.
    pub terms: Value,
    /// Who set it.
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
}

fn terms_row(r: &Row) -> Result<TermsRow, StoreError> {
    let text = r.text("terms")?;
    Ok(TermsRow {
        version: r.i64("version")?,
        terms: serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("waterfall terms: {e}")))?,
        created_by: r.text("created_by")?,
        created_at: r.text("created_at")?,
    })
}

const TERMS_SQL: &str = "SELECT version, terms, created_by, created_at FROM waterfall_terms WHERE org_id = $1 AND fund_id = $2";

/// The terms in force for `fund_id` (None when never set).
pub async fn current_terms(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
) -> Result<Option<TermsRow>, StoreError> {
    require_staff(actor, Permission::Read)?;
    tx.fetch_optional(
        q(format!("{TERMS_SQL} ORDER BY version DESC LIMIT 1"))
            .bind(&actor.org_id)
            .bind(fund_id),
    )
    .await?
    .as_ref()
    .map(terms_row)
    .transpose()
}

/// Every version of the fund's terms, newest first.
pub async fn terms_history(
    db: &Db,
    actor: &Actor,
    fund_id: &str,
) -> Result<Vec<TermsRow>, StoreError> {
    require_staff(actor, Permission::Read)?;
    db.fetch_all(
        q(format!("{TERMS_SQL} ORDER BY version DESC LIMIT 200"))
            .bind(&actor.org_id)
            .bind(fund_id),
    )
    .await?
    .iter()
    .map(terms_row)
    .collect()
}

/// Writes a new version of the fund's terms (already validated), audited; returns it.
/// Two writers racing get distinct versions or one fails on the key, never a lost update.
pub async fn put_terms(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    terms: &Value,
) -> Result<TermsRow, StoreError> {
    require_staff(actor, Permission::Operate)?;
    let before = current_terms(tx, actor, fund_id).await?;
    let version = before.as_ref().map_or(1, |t| t.version + 1);
    let now = now_text();
    tx.execute(
        q("INSERT INTO waterfall_terms (org_id, fund_id, version, terms, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(version)
            .bind(terms.to_string())
            .bind(&actor.user_id)
            .bind(&now),
    )
    .await?;
    audit::record(
        tx,
        actor,
        Change {
            action: "waterfall.terms.update",
            entity_type: "fund",
            entity_id: fund_id,
            before: before.map(|b| json!({ "version": b.version, "terms": b.terms })),
            after: Some(json!({ "version": version, "terms": terms })),
        },
    )
    .await?;
    Ok(TermsRow {
        version,
        terms: terms.clone(),
        created_by: actor.user_id.clone(),
        created_at: now,
    })
}

/// The tier split of one investor's waterfall line, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tiers {
    /// Return of contributed capital.
    pub roc: i64,
    /// Preferred return.
    pub pref: i64,
    /// GP catch-up.
    pub catch_up: i64,
    /// Carried interest split (the LP share for LPs, the carry for the GP).
    pub carry: i64,
}

impl Tiers {
    /// Sum of the four.
    pub fn total(&self) -> i64 {
        self.roc + self.pref + self.catch_up + self.carry
    }

    fn add(&mut self, other: &Tiers, sign: i64) {
        self.roc += sign * other.roc;
        self.pref += sign * other.pref;
        self.catch_up += sign * other.catch_up;
        self.carry += sign * other.carry;
    }
}

/// A waterfall run as recorded with the distribution it made.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The distribution.
    pub distribution_id: String,
    /// Its fund.
    pub fund_id: String,
    /// Terms version applied.
    pub terms_version: i64,
    /// Proceeds distributed, minor units.
    pub proceeds_minor: i64,
    /// Date the waterfall was computed at (pref accrues to it).
    pub proceeds_date: NaiveDate,
    /// Deal (American waterfalls).
    pub deal: Option<String>,
    /// JSON of the tier outcomes with their explanations.
    pub tiers: Value,
}

/// Records the run behind distribution `run.distribution_id` and its lines' tier split, in
/// the distribution's transaction.
pub async fn record_run(
    tx: &mut Tx,
    actor: &Actor,
    run: &Run,
    lines: &[(String, Tiers)],
) -> Result<(), StoreError> {
    require_staff(actor, Permission::Operate)?;
    let now = now_text();
    tx.execute(
        q("INSERT INTO waterfall_runs (distribution_id, org_id, fund_id, terms_version, proceeds_minor, proceeds_date, deal, tiers, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&run.distribution_id)
            .bind(&actor.org_id)
            .bind(&run.fund_id)
            .bind(run.terms_version)
            .bind(run.proceeds_minor)
            .bind(run.proceeds_date.to_string())
            .bind(run.deal.clone())
            .bind(run.tiers.to_string())
            .bind(&actor.user_id)
            .bind(&now),
    )
    .await?;
    let rows: Vec<Vec<Arg>> = lines
        .iter()
        .map(|(investor_id, t)| {
            vec![
                (&run.distribution_id).into(),
                investor_id.into(),
                (&actor.org_id).into(),
                t.roc.into(),
                t.pref.into(),
                t.catch_up.into(),
                t.carry.into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "waterfall_line_tiers",
        &[
            "distribution_id",
            "investor_id",
            "org_id",
            "roc_minor",
            "pref_minor",
            "catch_up_minor",
            "carry_minor",
        ],
        &rows,
    )
    .await?;
    Ok(())
}

fn run_row(r: &Row) -> Result<Run, StoreError> {
    let tiers = r.text("tiers")?;
    Ok(Run {
        distribution_id: r.text("distribution_id")?,
        fund_id: r.text("fund_id")?,
        terms_version: r.i64("terms_version")?,
        proceeds_minor: r.i64("proceeds_minor")?,
        proceeds_date: r.parse("proceeds_date")?,
        deal: r.opt_text("deal")?,
        tiers: serde_json::from_str(&tiers)
            .map_err(|e| StoreError::Corrupt(format!("waterfall run tiers: {e}")))?,
    })
}

fn tiers_row(r: &Row) -> Result<Tiers, StoreError> {
    Ok(Tiers {
        roc: r.i64("roc_minor")?,
        pref: r.i64("pref_minor")?,
        catch_up: r.i64("catch_up_minor")?,
        carry: r.i64("carry_minor")?,
    })
}

/// The run behind a distribution and its lines' tier split by investor (None: not made by a
/// waterfall).
pub async fn run_of(
    db: &Db,
    actor: &Actor,
    distribution_id: &str,
) -> Result<Option<(Run, Vec<(String, Tiers)>)>, StoreError> {
    require_staff(actor, Permission::Read)?;
    let Some(run) = db
        .fetch_optional(
            q("SELECT distribution_id, fund_id, terms_version, proceeds_minor, proceeds_date, deal, tiers FROM waterfall_runs WHERE org_id = $1 AND distribution_id = $2")
                .bind(&actor.org_id)
                .bind(distribution_id),
        )
        .await?
    else {
        return Ok(None);
    };
    let lines = db
        .fetch_all(
            q("SELECT investor_id, roc_minor, pref_minor, catch_up_minor, carry_minor FROM waterfall_line_tiers WHERE org_id = $1 AND distribution_id = $2 ORDER BY investor_id")
                .bind(&actor.org_id)
                .bind(distribution_id),
        )
        .await?
        .iter()
        .map(|r| Ok((r.text("investor_id")?, tiers_row(r)?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Some((run_row(&run)?, lines)))
}

/// Whether distribution `id` was made by a waterfall (its lines are then derived, not edited).
pub async fn is_waterfall_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<bool, StoreError> {
    actor.require(Permission::Read)?;
    Ok(tx
        .fetch_optional(
            q("SELECT 1 AS one FROM waterfall_runs WHERE org_id = $1 AND distribution_id = $2")
                .bind(&actor.org_id)
                .bind(id),
        )
        .await?
        .is_some())
}

/// One investor's share of an earlier distribution, net of any reversal of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorLine {
    /// The distribution (the original, for reversed lines).
    pub distribution_id: String,
    /// Investor.
    pub investor_id: String,
    /// Its payable date.
    pub date: NaiveDate,
    /// Deal of the waterfall run that made it, if any.
    pub deal: Option<String>,
    /// Net amount (cash plus the stated value of property distributed in kind), minor units.
    pub amount: i64,
    /// Net tier split, when a waterfall made it.
    pub tiers: Option<Tiers>,
}

/// Every line of the fund's distributions payable on or before `up_to`, whatever their
/// status except CANCELLED (a reversal counts from its own payable date): a draft or approved distribution will be paid, so a second
/// waterfall must not return the same capital again. A reversal nets against the line it
/// reverses (amount and tiers); lines that net to zero are left out.
pub async fn prior_lines(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    up_to: NaiveDate,
) -> Result<Vec<PriorLine>, StoreError> {
    require_staff(actor, Permission::Read)?;
    // Up to 150,000 rows in the benchmark: they cross as one packed value (ids, dates and
    // integers only; the deal is read apart, per run, as deal names may hold any character).
    let packed = fetch_packed(
        tx,
        q("SELECT string_agg(COALESCE(d.reverses_id, d.id) || ',' || l.investor_id || ',' || o.payable_date || ','
                  || (l.total_minor + COALESCE(k.property_minor, 0)) || ','
                  || CASE WHEN t.roc_minor IS NULL THEN '' ELSE t.roc_minor || ',' || t.pref_minor || ',' || t.catch_up_minor || ',' || t.carry_minor END
                  || ',' || CASE WHEN d.kind = 'REVERSAL' THEN '-1' ELSE '1' END, ';') AS packed
           FROM distributions d
           JOIN distribution_lines l ON l.distribution_id = d.id
           JOIN distributions o ON o.id = COALESCE(d.reverses_id, d.id)
           LEFT JOIN in_kind_lines k ON k.distribution_id = d.id AND k.investor_id = l.investor_id
           LEFT JOIN waterfall_line_tiers t ON t.distribution_id = o.id AND t.investor_id = l.investor_id
           WHERE d.org_id = $1 AND d.fund_id = $2 AND d.status <> 'CANCELLED' AND d.payable_date <= $3")
        .bind(&actor.org_id)
        .bind(fund_id)
        .bind(up_to.to_string()),
    )
    .await?;
    let deals: HashMap<String, String> = tx
        .fetch_all(
            q("SELECT distribution_id, deal FROM waterfall_runs WHERE org_id = $1 AND fund_id = $2 AND deal IS NOT NULL")
                .bind(&actor.org_id)
                .bind(fund_id),
        )
        .await?
        .iter()
        .map(|r| Ok((r.text("distribution_id")?, r.text("deal")?)))
        .collect::<Result<_, StoreError>>()?;
    let int = |t: &str| -> Result<i64, StoreError> {
        t.parse()
            .map_err(|e| StoreError::Corrupt(format!("prior line value '{t}': {e}")))
    };
    let mut net: HashMap<(&str, &str), PriorLine> = HashMap::new();
    for row in packed.split(';').filter(|r| !r.is_empty()) {
        let f: Vec<&str> = row.split(',').collect();
        let (original, investor, date, total) = match f[..] {
            [o, i, d, t, ..] => (o, i, d, t),
            _ => return Err(StoreError::Corrupt(format!("prior line '{row}'"))),
        };
        let (tiers, sign) = match f[4..] {
            ["", s] => (None, int(s)?),
            [roc, pref, cu, carry, s] => (
                Some(Tiers {
                    roc: int(roc)?,
                    pref: int(pref)?,
                    catch_up: int(cu)?,
                    carry: int(carry)?,
                }),
                int(s)?,
            ),
            _ => return Err(StoreError::Corrupt(format!("prior line '{row}'"))),
        };
        let entry = net
            .entry((original, investor))
            .or_insert_with(|| PriorLine {
                distribution_id: original.to_string(),
                investor_id: investor.to_string(),
                date: NaiveDate::MIN,
                deal: deals.get(original).cloned(),
                amount: 0,
                tiers: tiers.map(|_| Tiers::default()),
            });
        entry.date = date
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("payable date '{date}': {e}")))?;
        // Reversal lines carry negative totals already; the tiers are the original's.
        entry.amount += int(total)?;
        if let (Some(acc), Some(t)) = (entry.tiers.as_mut(), tiers) {
            acc.add(&t, sign);
        }
    }
    let mut out: Vec<PriorLine> = net.into_values().filter(|l| l.amount != 0).collect();
    out.sort_unstable_by(|a, b| {
        (&a.distribution_id, &a.investor_id).cmp(&(&b.distribution_id, &b.investor_id))
    });
    Ok(out)
}

//! NAV per share snapshots, per fund and share class: import (all or nothing), listing, and
//! the lookups behind "NAV at date".

use std::collections::HashMap;

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::reinvestment::nav::DEFAULT_SHARE_CLASS;
use rust_decimal::Decimal;
use serde_json::json;

use crate::audit::{self, Change};
use crate::db::Arg;
use crate::funds::Fund;
use crate::{outbox, q, Actor, Db, StoreError, Tx};

/// One NAV per share to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavPoint {
    /// Share class ([`DEFAULT_SHARE_CLASS`] unless the fund has several).
    pub share_class: String,
    /// Date it was struck.
    pub date: NaiveDate,
    /// NAV per share (> 0).
    pub nav: Decimal,
}

/// A stored NAV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavRow {
    /// Share class.
    pub share_class: String,
    /// Date.
    pub date: NaiveDate,
    /// NAV per share, exact decimal string.
    pub nav: String,
    /// Where it came from (e.g. `api`, `csv:navs.csv`).
    pub source: String,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// New NAVs stored.
    pub inserted: usize,
    /// NAVs already stored with the same value (retries are harmless).
    pub unchanged: usize,
    /// NAVs whose stored value was replaced (only with `replace`).
    pub replaced: usize,
}

/// Rows per chunk when reading existing NAVs and writing replacements.
const CHUNK: usize = 5_000;

/// Records NAVs for `fund` in the caller's transaction, all or nothing. A NAV already stored
/// with the same value is left alone; with a different value the import is refused (naming the
/// first dates) unless `replace` is set. Writes one audit entry and one `nav.imported` event.
pub async fn import(
    tx: &mut Tx,
    actor: &Actor,
    fund: &Fund,
    points: &[NavPoint],
    source: &str,
    replace: bool,
) -> Result<ImportOutcome, StoreError> {
    actor.require(Permission::Operate)?;
    let (Some(first), Some(last)) = (
        points.iter().map(|p| p.date).min(),
        points.iter().map(|p| p.date).max(),
    ) else {
        return Ok(ImportOutcome::default());
    };
    let existing: HashMap<(String, NaiveDate), Decimal> = tx
        .fetch_all(
            q("SELECT share_class, as_of, nav FROM nav_snapshots WHERE org_id = $1 AND fund_id = $2 AND as_of >= $3 AND as_of <= $4")
                .bind(&actor.org_id)
                .bind(&fund.id)
                .bind(first.to_string())
                .bind(last.to_string()),
        )
        .await?
        .iter()
        .map(|r| Ok(((r.text("share_class")?, r.parse("as_of")?), r.parse("nav")?)))
        .collect::<Result<_, StoreError>>()?;
    let mut outcome = ImportOutcome::default();
    let mut inserts = Vec::new();
    let mut replacements = Vec::new();
    let mut conflicts = Vec::new();
    for p in points {
        match existing.get(&(p.share_class.clone(), p.date)) {
            None => inserts.push(p),
            Some(stored) if *stored == p.nav => outcome.unchanged += 1,
            Some(stored) if replace => replacements.push((p, *stored)),
            Some(stored) => conflicts.push(format!(
                "{} class {}: stored {} vs new {}",
                p.date, p.share_class, stored, p.nav
            )),
        }
    }
    if !conflicts.is_empty() {
        let shown: Vec<_> = conflicts.iter().take(5).cloned().collect();
        return Err(StoreError::Conflict(format!(
            "{} NAV(s) of fund {} already stored with a different value ({}{}); send replace=true to correct them",
            conflicts.len(),
            fund.code,
            shown.join("; "),
            if conflicts.len() > 5 { "; …" } else { "" }
        )));
    }
    let rows: Vec<Vec<Arg>> = inserts
        .iter()
        .map(|p| {
            vec![
                (&actor.org_id).into(),
                (&fund.id).into(),
                (&p.share_class).into(),
                p.date.to_string().into(),
                p.nav.normalize().to_string().into(),
                source.into(),
            ]
        })
        .collect();
    for chunk in rows.chunks(100_000) {
        tx.bulk_insert(
            "nav_snapshots",
            &["org_id", "fund_id", "share_class", "as_of", "nav", "source"],
            chunk,
        )
        .await?;
    }
    outcome.inserted = inserts.len();
    for chunk in replacements.chunks(CHUNK) {
        for (p, _) in chunk {
            tx.execute(
                q("UPDATE nav_snapshots SET nav = $1, source = $2 WHERE org_id = $3 AND fund_id = $4 AND share_class = $5 AND as_of = $6")
                    .bind(p.nav.normalize().to_string())
                    .bind(source)
                    .bind(&actor.org_id)
                    .bind(&fund.id)
                    .bind(&p.share_class)
                    .bind(p.date.to_string()),
            )
            .await?;
        }
    }
    outcome.replaced = replacements.len();
    let replaced: Vec<_> = replacements
        .iter()
        .take(100)
        .map(|(p, old)| json!({ "date": p.date, "shareClass": p.share_class, "before": old.to_string(), "after": p.nav.to_string() }))
        .collect();
    let summary = json!({
        "fundId": fund.id, "fundCode": fund.code, "source": source,
        "from": first, "to": last, "inserted": outcome.inserted,
        "unchanged": outcome.unchanged, "replaced": outcome.replaced, "replacements": replaced,
    });
    audit::record(
        tx,
        actor,
        Change {
            action: "nav.import",
            entity_type: "fund",
            entity_id: &fund.id,
            before: None,
            after: Some(summary.clone()),
        },
    )
    .await?;
    outbox::emit(tx, actor, "nav.imported", "fund", &fund.id, summary).await?;
    Ok(outcome)
}

/// Filters and page of [`list`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this class.
    pub share_class: Option<String>,
    /// On or after.
    pub from: Option<NaiveDate>,
    /// On or before.
    pub to: Option<NaiveDate>,
    /// Page cursor: rows before this (date, class), newest first.
    pub before: Option<(NaiveDate, String)>,
    /// Page size.
    pub limit: i64,
}

/// NAVs of a fund of the actor's organization, newest first (then by class).
pub async fn list(
    db: &Db,
    actor: &Actor,
    fund_id: &str,
    f: &ListFilter,
) -> Result<Vec<NavRow>, StoreError> {
    actor.require(Permission::Read)?;
    let (before_date, before_class) = match &f.before {
        Some((d, c)) => (Some(d.to_string()), Some(c.clone())),
        None => (None, None),
    };
    db.fetch_all(
        q("SELECT share_class, as_of, nav, source FROM nav_snapshots
           WHERE org_id = $1 AND fund_id = $2 AND ($3 IS NULL OR share_class = $3)
             AND ($4 IS NULL OR as_of >= $4) AND ($5 IS NULL OR as_of <= $5)
             AND ($6 IS NULL OR as_of < $6 OR (as_of = $6 AND share_class > $7))
           ORDER BY as_of DESC, share_class LIMIT $8")
        .bind(&actor.org_id)
        .bind(fund_id)
        .bind(f.share_class.clone())
        .bind(f.from.map(|d| d.to_string()))
        .bind(f.to.map(|d| d.to_string()))
        .bind(before_date)
        .bind(before_class)
        .bind(f.limit),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(NavRow {
            share_class: r.text("share_class")?,
            date: r.parse("as_of")?,
            nav: r.text("nav")?,
            source: r.text("source")?,
        })
    })
    .collect()
}

fn latest_query(
    actor: &Actor,
    fund_id: &str,
    share_class: &str,
    date: Option<NaiveDate>,
) -> crate::db::Q {
    q("SELECT as_of, nav FROM nav_snapshots WHERE org_id = $1 AND fund_id = $2 AND share_class = $3 AND ($4 IS NULL OR as_of <= $4) ORDER BY as_of DESC LIMIT 1")
        .bind(&actor.org_id)
        .bind(fund_id)
        .bind(share_class)
        .bind(date.map(|d| d.to_string()))
}

fn point(row: Option<crate::Row>) -> Result<Option<(NaiveDate, Decimal)>, StoreError> {
    row.map(|r| Ok((r.parse("as_of")?, r.parse("nav")?)))
        .transpose()
}

/// The latest NAV of the class on or before `date` (any date when `None`), in a transaction.
pub async fn latest_on_or_before_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    share_class: &str,
    date: Option<NaiveDate>,
) -> Result<Option<(NaiveDate, Decimal)>, StoreError> {
    actor.require(Permission::Read)?;
    point(
        tx.fetch_optional(latest_query(actor, fund_id, share_class, date))
            .await?,
    )
}

/// The latest NAV of the class on or before `date` (any date when `None`).
pub async fn latest_on_or_before(
    db: &Db,
    actor: &Actor,
    fund_id: &str,
    share_class: &str,
    date: Option<NaiveDate>,
) -> Result<Option<(NaiveDate, Decimal)>, StoreError> {
    actor.require(Permission::Read)?;
    point(
        db.fetch_optional(latest_query(actor, fund_id, share_class, date))
            .await?,
    )
}

/// The default share class name.
pub fn default_class() -> &'static str {
    DEFAULT_SHARE_CLASS
}

//! Funds, investors, holdings history, NAV snapshots and commitments.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::distribution::{FundKind, Holding};
use clearway_core::reinvestment::nav::DEFAULT_SHARE_CLASS;
use clearway_core::Currency;
use rust_decimal::Decimal;

use crate::db::Arg;
use crate::distributions::staleness::{self, Flagged};
use crate::{new_id, now_text, q, Actor, Db, Row, StoreError, Tx};

/// A fund as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fund {
    /// Id.
    pub id: String,
    /// Short code, unique in the organization (e.g. `DEMO-OPEN`).
    pub code: String,
    /// Display name.
    pub name: String,
    /// Open-end or partnership.
    pub kind: FundKind,
    /// Fund currency.
    pub currency: Currency,
    /// Decimal places of shares.
    pub share_precision: u32,
}

/// A new fund.
#[derive(Debug, Clone)]
pub struct NewFund<'a> {
    /// Short code.
    pub code: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Family.
    pub kind: FundKind,
    /// Currency.
    pub currency: Currency,
    /// Decimal places of shares.
    pub share_precision: u32,
}

fn fund_from_row(r: &Row) -> Result<Fund, StoreError> {
    Ok(Fund {
        id: r.text("id")?,
        code: r.text("code")?,
        name: r.text("name")?,
        kind: r.parse("kind")?,
        currency: Currency::parse(&r.text("currency")?).map_err(StoreError::Corrupt)?,
        share_precision: {
            let p = r.i64("share_precision")?;
            u32::try_from(p)
                .map_err(|_| StoreError::Corrupt(format!("column share_precision = {p}")))?
        },
    })
}

/// Creates a fund (operators and admins).
pub async fn create_fund(
    tx: &mut Tx,
    actor: &Actor,
    fund: &NewFund<'_>,
) -> Result<String, StoreError> {
    actor.require(Permission::Operate)?;
    let id = new_id();
    tx.execute(
        q("INSERT INTO funds (id, org_id, code, name, kind, currency, share_precision, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&id)
            .bind(&actor.org_id)
            .bind(fund.code)
            .bind(fund.name)
            .bind(fund.kind.as_str())
            .bind(fund.currency.code())
            .bind(i64::from(fund.share_precision))
            .bind(now_text()),
    )
    .await?;
    Ok(id)
}

const FUND_COLUMNS: &str = "id, code, name, kind, currency, share_precision";

/// A fund of the actor's organization by id or code, read inside a transaction.
pub async fn get_fund_tx(tx: &mut Tx, actor: &Actor, id_or_code: &str) -> Result<Fund, StoreError> {
    actor.require(Permission::Read)?;
    let row = tx
        .fetch_optional(
            q(format!(
                "SELECT {FUND_COLUMNS} FROM funds WHERE org_id = $1 AND (id = $2 OR code = $2)"
            ))
            .bind(&actor.org_id)
            .bind(id_or_code),
        )
        .await?
        .ok_or(StoreError::NotFound("fund"))?;
    fund_from_row(&row)
}

/// Locks the positions (holdings, lots) of `fund_ids` until the transaction ends, so two
/// transactions that read holdings and then write them for the same fund (two distributions
/// of one fund processed at once, with the same payable date) run one after the other instead
/// of colliding on the holdings key or reducing the same basis twice. PostgreSQL locks the
/// fund rows, in id order so that two lockers cannot deadlock; SQLite already runs one write
/// transaction at a time (a single writer connection), so there is nothing more to do.
pub async fn lock_positions_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_ids: &[&str],
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    if tx.backend().serializes_writers() {
        return Ok(());
    }
    let mut ids: Vec<&str> = fund_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        tx.fetch_optional(
            q("SELECT id FROM funds WHERE org_id = $1 AND id = $2 FOR UPDATE")
                .bind(&actor.org_id)
                .bind(id),
        )
        .await?;
    }
    Ok(())
}

/// The funds of the actor's organization, by code.
pub async fn list_funds(db: &Db, actor: &Actor) -> Result<Vec<Fund>, StoreError> {
    actor.require(Permission::Read)?;
    db.fetch_all(
        q(format!(
            "SELECT {FUND_COLUMNS} FROM funds WHERE org_id = $1 ORDER BY code"
        ))
        .bind(&actor.org_id),
    )
    .await?
    .iter()
    .map(fund_from_row)
    .collect()
}

/// One page of the organization's funds by code, after `after_code`.
pub async fn list_funds_page(
    db: &Db,
    actor: &Actor,
    after_code: Option<&str>,
    limit: i64,
) -> Result<Vec<Fund>, StoreError> {
    actor.require(Permission::Read)?;
    db.fetch_all(
        q(format!(
            "SELECT {FUND_COLUMNS} FROM funds WHERE org_id = $1 AND code > $2 ORDER BY code LIMIT $3"
        ))
        .bind(&actor.org_id)
        .bind(after_code.unwrap_or(""))
        .bind(limit),
    )
    .await?
    .iter()
    .map(fund_from_row)
    .collect()
}

/// Where a fund code lives, for operator commands that act across organizations (the CLI
/// runs as the machine's operator, not as a user of one organization).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundLocation {
    /// The fund's id.
    pub fund_id: String,
    /// Its organization.
    pub org_id: String,
}

/// Every fund with this code (or id), by id, in the organization named `org_name` when given,
/// else in any organization (the caller refuses an ambiguous code).
pub async fn locate(
    db: &Db,
    code: &str,
    org_name: Option<&str>,
) -> Result<Vec<FundLocation>, StoreError> {
    let rows = db
        .fetch_all(
            q(
                "SELECT f.id, f.org_id FROM funds f JOIN organizations o ON o.id = f.org_id
               WHERE (f.code = $1 OR f.id = $1) AND ($2 IS NULL OR o.name = $2) ORDER BY f.id",
            )
            .bind(code)
            .bind(org_name),
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(FundLocation {
                fund_id: r.text("id")?,
                org_id: r.text("org_id")?,
            })
        })
        .collect()
}

/// A fund by id or code, in the actor's organization.
pub async fn find_fund(db: &Db, actor: &Actor, id_or_code: &str) -> Result<Fund, StoreError> {
    actor.require(Permission::Read)?;
    let row = db
        .fetch_optional(
            q(format!(
                "SELECT {FUND_COLUMNS} FROM funds WHERE org_id = $1 AND (id = $2 OR code = $2)"
            ))
            .bind(&actor.org_id)
            .bind(id_or_code),
        )
        .await?
        .ok_or(StoreError::NotFound("fund"))?;
    fund_from_row(&row)
}

/// A new investor.
#[derive(Debug, Clone)]
pub struct NewInvestor {
    /// Legal name.
    pub name: String,
    /// INDIVIDUAL, CORPORATION, TRUST…
    pub entity_type: String,
    /// ISO 3166 country of tax residence.
    pub tax_residence: String,
    /// Contact email.
    pub email: Option<String>,
}

/// Creates many investors at once (bulk load); returns their ids in input order.
pub async fn create_investors(
    tx: &mut Tx,
    actor: &Actor,
    investors: &[NewInvestor],
) -> Result<Vec<String>, StoreError> {
    actor.require(Permission::Operate)?;
    let now = now_text();
    let ids: Vec<String> = investors.iter().map(|_| new_id()).collect();
    let rows: Vec<Vec<Arg>> = investors
        .iter()
        .zip(&ids)
        .map(|(inv, id)| {
            vec![
                id.into(),
                (&actor.org_id).into(),
                (&inv.name).into(),
                (&inv.entity_type).into(),
                (&inv.tax_residence).into(),
                inv.email.clone().into(),
                (&now).into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "investors",
        &[
            "id",
            "org_id",
            "name",
            "entity_type",
            "tax_residence",
            "email",
            "created_at",
        ],
        &rows,
    )
    .await?;
    Ok(ids)
}

/// Records holdings (investor, units) for a fund as of a date (bulk load), and flags the open
/// distributions of the fund whose record-date holdings this changed (see
/// [`crate::distributions::staleness::flag`]).
pub async fn record_holdings(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    as_of: NaiveDate,
    holdings: &[(String, Decimal)],
) -> Result<(), StoreError> {
    record_class_holdings(tx, actor, fund_id, DEFAULT_SHARE_CLASS, as_of, holdings).await
}

/// [`record_holdings`] in one share class (the caller checks that the class exists).
pub async fn record_class_holdings(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    class: &str,
    as_of: NaiveDate,
    holdings: &[(String, Decimal)],
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    get_fund_tx(tx, actor, fund_id).await?;
    check_investors_tx(tx, actor, holdings.iter().map(|(id, _)| id.as_str())).await?;
    let date = as_of.to_string();
    let rows: Vec<Vec<Arg>> = holdings
        .iter()
        .map(|(investor, units)| {
            vec![
                (&actor.org_id).into(),
                fund_id.into(),
                class.into(),
                investor.into(),
                (&date).into(),
                units.normalize().to_string().into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "holdings",
        &[
            "org_id",
            "fund_id",
            "share_class",
            "investor_id",
            "as_of",
            "units",
        ],
        &rows,
    )
    .await?;
    let cause = format!("holdings of fund {fund_id} were recorded as of {as_of}");
    flag_stale(tx, actor, &[fund_id.to_string()], as_of, &cause).await?;
    Ok(())
}

/// Flags the open (DRAFT, READY, APPROVED) distributions of `fund_ids` with a record date on
/// or after `from` whose record-date holdings no longer match their fingerprint, with `cause`
/// and what changed as the reason (audited, and a `distribution.stale` event each); returns
/// every such distribution, by id, flagged before or now. Holdings are read once per fund and
/// record date.
pub async fn flag_stale(
    tx: &mut Tx,
    actor: &Actor,
    fund_ids: &[String],
    from: NaiveDate,
    cause: &str,
) -> Result<Vec<Flagged>, StoreError> {
    let candidates = staleness::open_allocated_from(tx, actor, fund_ids, from).await?;
    let mut read: HashMap<(String, String, NaiveDate), Vec<Holding>> = HashMap::new();
    let mut out = Vec::new();
    for d in candidates {
        let key = (d.fund_id.clone(), d.share_class.clone(), d.schedule.record);
        if !read.contains_key(&key) {
            let now =
                class_holdings_as_of(tx, actor, &d.fund_id, &d.share_class, d.schedule.record)
                    .await?;
            read.insert(key.clone(), now);
        }
        let Some(diff) = staleness::compare(tx, actor, &d, &read[&key]).await? else {
            continue;
        };
        let reason = format!("{cause}: {}", diff.describe());
        if d.stale_reason.as_deref() != Some(reason.as_str()) {
            staleness::mark(tx, actor, &d, &reason, cause, diff.investors()).await?;
        }
        out.push(Flagged {
            id: d.id,
            reason,
            investors: diff.investors(),
        });
    }
    Ok(out)
}

/// Refuses unless every investor id is one of the actor's organization (holdings carry no
/// foreign keys: this is their check, and it also keeps organizations apart).
async fn check_investors_tx<'a>(
    tx: &mut Tx,
    actor: &Actor,
    ids: impl Iterator<Item = &'a str>,
) -> Result<(), StoreError> {
    let mut ids: Vec<&str> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(4_000) {
        let placeholders = crate::db::placeholders(2, chunk.len());
        let mut query = q(format!(
            "SELECT COUNT(*) AS n FROM investors WHERE org_id = $1 AND id IN ({})",
            placeholders
        ))
        .bind(&actor.org_id);
        for id in chunk {
            query.push(*id);
        }
        let found = tx.count(query).await?;
        if usize::try_from(found).ok() != Some(chunk.len()) {
            return Err(StoreError::NotFound("investor"));
        }
    }
    Ok(())
}

/// Holdings of every investor of the fund as of `date` (latest row on or before it),
/// sorted by investor id.
pub async fn holdings_as_of(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    date: NaiveDate,
) -> Result<Vec<Holding>, StoreError> {
    class_holdings_as_of(tx, actor, fund_id, DEFAULT_SHARE_CLASS, date).await
}

/// [`holdings_as_of`] in one share class.
pub async fn class_holdings_as_of(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    class: &str,
    date: NaiveDate,
) -> Result<Vec<Holding>, StoreError> {
    actor.require(Permission::Read)?;
    // Rows come sorted by investor then date, so the last row per investor wins.
    let rows = tx
        .fetch_all(
            q("SELECT investor_id, units FROM holdings WHERE org_id = $1 AND fund_id = $2 AND share_class = $4 AND as_of <= $3 ORDER BY investor_id, as_of")
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(date.to_string())
                .bind(class),
        )
        .await?;
    let mut out: Vec<Holding> = Vec::new();
    for r in rows {
        let investor_id = r.text("investor_id")?;
        let units: Decimal = r.parse("units")?;
        match out.last_mut() {
            Some(last) if last.investor_id == investor_id => last.units = units,
            _ => out.push(Holding { investor_id, units }),
        }
    }
    Ok(out)
}

/// Ids of every investor that has ever held the fund or committed to it (membership of the fund).
pub async fn fund_investor_ids(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
) -> Result<HashSet<String>, StoreError> {
    actor.require(Permission::Read)?;
    tx.fetch_all(
        // A partner with a commitment belongs to a partnership before it holds anything
        // (a GP paid carry, a waterfall line of an investor whose holdings are not kept).
        q(
            "SELECT investor_id FROM holdings WHERE org_id = $1 AND fund_id = $2
           UNION SELECT investor_id FROM commitments WHERE org_id = $1 AND fund_id = $2",
        )
        .bind(&actor.org_id)
        .bind(fund_id),
    )
    .await?
    .iter()
    .map(|r| r.text("investor_id"))
    .collect()
}

/// Records NAV per share snapshots (date, nav) for a fund.
pub async fn record_navs(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    navs: &[(NaiveDate, Decimal)],
    source: &str,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let rows: Vec<Vec<Arg>> = navs
        .iter()
        .map(|(date, nav)| {
            vec![
                (&actor.org_id).into(),
                fund_id.into(),
                date.to_string().into(),
                nav.normalize().to_string().into(),
                source.into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "nav_snapshots",
        &["org_id", "fund_id", "as_of", "nav", "source"],
        &rows,
    )
    .await
}

/// An investor as listed.
#[derive(Debug, Clone)]
pub struct Investor {
    /// Id.
    pub id: String,
    /// Legal name.
    pub name: String,
    /// Entity type.
    pub entity_type: String,
    /// Country of tax residence.
    pub tax_residence: String,
}

/// Investors of the organization (an investor user sees only themself), keyset-paginated by id.
pub async fn list_investors(
    db: &Db,
    actor: &Actor,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Investor>, StoreError> {
    actor.require(Permission::Read)?;
    let mut query = q("SELECT id, name, entity_type, tax_residence FROM investors WHERE org_id = $1 AND id > $2 AND ($3 IS NULL OR id = $3) ORDER BY id LIMIT $4")
        .bind(&actor.org_id)
        .bind(after.unwrap_or(""));
    query.push(actor.investor_id.clone());
    query.push(limit);
    db.fetch_all(query)
        .await?
        .iter()
        .map(|r| {
            Ok(Investor {
                id: r.text("id")?,
                name: r.text("name")?,
                entity_type: r.text("entity_type")?,
                tax_residence: r.text("tax_residence")?,
            })
        })
        .collect()
}

/// Every investor of the actor's organization (an investor user sees only themself), inside a
/// transaction, by id.
pub async fn all_investors_tx(tx: &mut Tx, actor: &Actor) -> Result<Vec<Investor>, StoreError> {
    actor.require(Permission::Read)?;
    tx.fetch_all(
        q("SELECT id, name, entity_type, tax_residence FROM investors WHERE org_id = $1 AND ($2 IS NULL OR id = $2) ORDER BY id")
            .bind(&actor.org_id)
            .bind(actor.investor_id.as_deref()),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Investor {
            id: r.text("id")?,
            name: r.text("name")?,
            entity_type: r.text("entity_type")?,
            tax_residence: r.text("tax_residence")?,
        })
    })
    .collect()
}

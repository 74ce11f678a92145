//! Partnership K-1 storage: the fund-level tax items of a year (Part III amounts by line and
//! code) and the year's distributions per partner (cash for 19A, property for 19C). Staff
//! only for the items; an investor reads only their own distributions.

use clearway_core::access::{Permission, Role};

use crate::{new_id, now_text, q, Actor, Row, StoreError, Tx};

/// A stored fund item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct K1ItemRecord {
    /// Id.
    pub id: String,
    /// Fund.
    pub fund_id: String,
    /// Tax year.
    pub tax_year: i32,
    /// K-1 line (`5`, `6a`, …).
    pub line: String,
    /// Code ('' where the line has none).
    pub code: String,
    /// Amount, signed, minor units.
    pub amount_minor: i64,
    /// Description.
    pub description: String,
    /// Entered by.
    pub created_by: String,
    /// Entered at (UTC).
    pub created_at: String,
}

/// A fund item to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewK1Item {
    /// Tax year.
    pub tax_year: i32,
    /// K-1 line.
    pub line: String,
    /// Code.
    pub code: String,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// Description.
    pub description: String,
}

const COLUMNS: &str =
    "id, fund_id, tax_year, line, code, amount_minor, description, created_by, created_at";

fn staff(actor: &Actor, permission: Permission) -> Result<(), StoreError> {
    if actor.role == Role::Investor {
        return Err(StoreError::NotFound("fund"));
    }
    actor.require(permission)
}

fn from_row(r: &Row) -> Result<K1ItemRecord, StoreError> {
    Ok(K1ItemRecord {
        id: r.text("id")?,
        fund_id: r.text("fund_id")?,
        tax_year: i32::try_from(r.i64("tax_year")?)
            .map_err(|_| StoreError::Corrupt("tax_year".into()))?,
        line: r.text("line")?,
        code: r.text("code")?,
        amount_minor: r.i64("amount_minor")?,
        description: r.text("description")?,
        created_by: r.text("created_by")?,
        created_at: r.text("created_at")?,
    })
}

/// Inserts an item of `fund_id` (already checked to be the organization's partnership fund).
pub async fn insert_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    item: &NewK1Item,
) -> Result<K1ItemRecord, StoreError> {
    staff(actor, Permission::Operate)?;
    let rec = K1ItemRecord {
        id: new_id(),
        fund_id: fund_id.to_string(),
        tax_year: item.tax_year,
        line: item.line.clone(),
        code: item.code.clone(),
        amount_minor: item.amount_minor,
        description: item.description.clone(),
        created_by: actor.user_id.clone(),
        created_at: now_text(),
    };
    tx.execute(
        q("INSERT INTO k1_fund_items (id, org_id, fund_id, tax_year, line, code, amount_minor, description, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&rec.id)
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(i64::from(rec.tax_year))
            .bind(&rec.line)
            .bind(&rec.code)
            .bind(rec.amount_minor)
            .bind(&rec.description)
            .bind(&rec.created_by)
            .bind(&rec.created_at),
    )
    .await?;
    Ok(rec)
}

/// One item of the fund (404 when absent).
pub async fn get_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    id: &str,
) -> Result<K1ItemRecord, StoreError> {
    staff(actor, Permission::Read)?;
    tx.fetch_optional(
        q(format!(
            "SELECT {COLUMNS} FROM k1_fund_items WHERE org_id = $1 AND fund_id = $2 AND id = $3"
        ))
        .bind(&actor.org_id)
        .bind(fund_id)
        .bind(id),
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()?
    .ok_or(StoreError::NotFound("k1 item"))
}

/// Deletes one item.
pub async fn delete_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    id: &str,
) -> Result<(), StoreError> {
    staff(actor, Permission::Operate)?;
    let n = tx
        .execute(
            q("DELETE FROM k1_fund_items WHERE org_id = $1 AND fund_id = $2 AND id = $3")
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(id),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound("k1 item"));
    }
    Ok(())
}

/// Items of a fund (optionally one year), by (year, line, code, id), keyset-paginated through
/// `after` (an item id of the previous page's last item; order by id within a year is
/// creation order, UUIDv7). Used unpaginated (`limit` None) to compute K-1s.
pub async fn list_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    year: Option<i32>,
    after: Option<&str>,
    limit: Option<i64>,
) -> Result<Vec<K1ItemRecord>, StoreError> {
    staff(actor, Permission::Read)?;
    tx.fetch_all(
        q(format!(
            "SELECT {COLUMNS} FROM k1_fund_items WHERE org_id = $1 AND fund_id = $2 AND ($3 IS NULL OR tax_year = $3) AND ($4 IS NULL OR id > $4)
             ORDER BY id LIMIT $5"
        ))
        .bind(&actor.org_id)
        .bind(fund_id)
        .bind(year.map(i64::from))
        .bind(after)
        .bind(limit.unwrap_or(i64::MAX)),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// A partner's distributions of a year: cash (the lines' totals, reversals netting) and
/// property distributed in kind at its stated value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearDistributions {
    /// Cash and marketable securities (19A), minor units.
    pub cash_minor: i64,
    /// Other property (19C), minor units.
    pub property_minor: i64,
}

/// Per investor: the lines of the fund's COMPLETED distributions payable in `[from, to]`
/// (reversal lines are negative, so they net). Investor users: their own only.
pub async fn distributions_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    from: &str,
    to: &str,
) -> Result<Vec<(String, YearDistributions)>, StoreError> {
    actor.require(Permission::Read)?;
    let own = actor.investor_id.as_deref().unwrap_or("");
    tx.fetch_all(
        q("SELECT l.investor_id, CAST(SUM(l.total_minor) AS BIGINT) AS cash, CAST(COALESCE(SUM(k.property_minor), 0) AS BIGINT) AS property
           FROM distribution_lines l JOIN distributions d ON d.id = l.distribution_id
           LEFT JOIN in_kind_lines k ON k.distribution_id = l.distribution_id AND k.investor_id = l.investor_id
           WHERE d.org_id = $1 AND d.fund_id = $2 AND d.status = 'COMPLETED' AND d.payable_date >= $3 AND d.payable_date <= $4
             AND ($5 = '' OR l.investor_id = $5)
           GROUP BY l.investor_id ORDER BY l.investor_id")
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(from)
            .bind(to)
            .bind(own),
    )
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.text("investor_id")?,
            YearDistributions {
                cash_minor: r.i64("cash")?,
                property_minor: r.i64("property")?,
            },
        ))
    })
    .collect()
}

/// Whether the partner's commitment in the fund is a general partner's (K-1 item G).
pub async fn is_general_partner_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    investor_id: &str,
) -> Result<bool, StoreError> {
    crate::reinvestment::check_investor_tx(tx, actor, investor_id).await?;
    let row = tx
        .fetch_optional(
            q("SELECT partner_kind FROM commitments WHERE org_id = $1 AND fund_id = $2 AND investor_id = $3")
                .bind(&actor.org_id)
                .bind(fund_id)
                .bind(investor_id),
        )
        .await?;
    Ok(match row {
        Some(r) => r.text("partner_kind")? == "GP",
        None => false,
    })
}

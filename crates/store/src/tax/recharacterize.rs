//! Re-characterizations: the final character of a distribution entered once (component
//! totals), the lines' components before the re-split, and the re-split itself (an UPDATE of
//! each line's six components; total, foreign tax and withholding are left as they are).
//! Staff only: an investor is answered 404.

use clearway_core::access::{Permission, Role};
use clearway_core::components::Components;

use crate::db::Arg;
use crate::{new_id, now_text, q, Actor, Row, StoreError, Tx};

/// A stored re-characterization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recharacterization {
    /// Id.
    pub id: String,
    /// The distribution.
    pub distribution_id: String,
    /// Entered totals in `ComponentKind::ALL` order, minor units.
    pub totals: [i64; 6],
    /// Why.
    pub reason: String,
    /// Entered by.
    pub created_by: String,
    /// Entered at (UTC).
    pub created_at: String,
}

/// One line's components before and after the re-split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineChange {
    /// Investor.
    pub investor_id: String,
    /// Line total, minor units.
    pub total_minor: i64,
    /// Before.
    pub before: Components,
    /// After (the line as it is now).
    pub after: Components,
}

fn staff(actor: &Actor, permission: Permission) -> Result<(), StoreError> {
    if actor.role == Role::Investor {
        return Err(StoreError::NotFound("distribution"));
    }
    actor.require(permission)
}

fn from_row(r: &Row) -> Result<Recharacterization, StoreError> {
    let text = r.text("totals")?;
    let totals: [i64; 6] = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("recharacterizations.totals '{text}': {e}")))?;
    Ok(Recharacterization {
        id: r.text("id")?,
        distribution_id: r.text("distribution_id")?,
        totals,
        reason: r.text("reason")?,
        created_by: r.text("created_by")?,
        created_at: r.text("created_at")?,
    })
}

/// The re-characterization of a distribution, if any.
pub async fn get_tx(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<Option<Recharacterization>, StoreError> {
    staff(actor, Permission::Read)?;
    tx.fetch_optional(
        q("SELECT id, distribution_id, totals, reason, created_by, created_at FROM recharacterizations WHERE org_id = $1 AND distribution_id = $2")
            .bind(&actor.org_id)
            .bind(distribution_id),
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// Whether a distribution has a reversal that is not cancelled (its lines were taken back:
/// re-characterizing them would be meaningless).
pub async fn is_reversed_tx(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<bool, StoreError> {
    staff(actor, Permission::Read)?;
    Ok(tx
        .fetch_optional(
            q("SELECT id FROM distributions WHERE org_id = $1 AND reverses_id = $2 AND status <> 'CANCELLED' LIMIT 1")
                .bind(&actor.org_id)
                .bind(distribution_id),
        )
        .await?
        .is_some())
}

/// Records the re-characterization and the lines' components before it; a second one for
/// the same distribution is a conflict. Answers its id.
pub async fn insert_tx(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    totals: &[i64; 6],
    reason: &str,
    before: &[(String, Components)],
) -> Result<Recharacterization, StoreError> {
    staff(actor, Permission::Operate)?;
    if get_tx(tx, actor, distribution_id).await?.is_some() {
        return Err(StoreError::Conflict(format!(
            "distribution {distribution_id} has been re-characterized already"
        )));
    }
    let rec = Recharacterization {
        id: new_id(),
        distribution_id: distribution_id.to_string(),
        totals: *totals,
        reason: reason.to_string(),
        created_by: actor.user_id.clone(),
        created_at: now_text(),
    };
    let totals_json =
        serde_json::to_string(totals).map_err(|e| StoreError::Corrupt(format!("totals: {e}")))?;
    tx.execute(
        q("INSERT INTO recharacterizations (id, org_id, distribution_id, totals, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&rec.id)
            .bind(&actor.org_id)
            .bind(distribution_id)
            .bind(totals_json)
            .bind(reason)
            .bind(&rec.created_by)
            .bind(&rec.created_at),
    )
    .await?;
    let rows: Vec<Vec<Arg>> = before
        .iter()
        .map(|(investor, c)| {
            vec![
                distribution_id.into(),
                investor.into(),
                (&actor.org_id).into(),
                c.ordinary_dividend.into(),
                c.qualified_dividend.into(),
                c.short_term_gain.into(),
                c.long_term_gain.into(),
                c.return_of_capital.into(),
                c.interest.into(),
            ]
        })
        .collect();
    tx.bulk_insert("recharacterized_lines", &LINE_COLUMNS, &rows)
        .await?;
    Ok(rec)
}

const LINE_COLUMNS: [&str; 9] = [
    "distribution_id",
    "investor_id",
    "org_id",
    "ordinary_minor",
    "qualified_minor",
    "st_gain_minor",
    "lt_gain_minor",
    "roc_minor",
    "interest_minor",
];

/// Writes the lines' new components (their totals unchanged, so the lines' sum CHECK holds).
pub async fn update_lines_tx(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    lines: &[(String, Components)],
) -> Result<(), StoreError> {
    staff(actor, Permission::Operate)?;
    for (investor, c) in lines {
        let n = tx
            .execute(
                q("UPDATE distribution_lines SET ordinary_minor = $1, qualified_minor = $2, st_gain_minor = $3, lt_gain_minor = $4, roc_minor = $5, interest_minor = $6
                   WHERE distribution_id = $7 AND org_id = $8 AND investor_id = $9")
                    .bind(c.ordinary_dividend)
                    .bind(c.qualified_dividend)
                    .bind(c.short_term_gain)
                    .bind(c.long_term_gain)
                    .bind(c.return_of_capital)
                    .bind(c.interest)
                    .bind(distribution_id)
                    .bind(&actor.org_id)
                    .bind(investor),
            )
            .await?;
        if n != 1 {
            return Err(StoreError::Conflict(format!(
                "the line of investor {investor} changed meanwhile; retry"
            )));
        }
    }
    Ok(())
}

/// Lines before and after, by investor id, keyset-paginated through `after` (investor id).
pub async fn changes_page(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<LineChange>, StoreError> {
    staff(actor, Permission::Read)?;
    let rows = tx
        .fetch_all(
            q("SELECT r.investor_id, l.total_minor,
                      r.ordinary_minor AS b_ord, r.qualified_minor AS b_qual, r.st_gain_minor AS b_st, r.lt_gain_minor AS b_lt, r.roc_minor AS b_roc, r.interest_minor AS b_int,
                      l.ordinary_minor, l.qualified_minor, l.st_gain_minor, l.lt_gain_minor, l.roc_minor, l.interest_minor, l.foreign_tax_minor, l.withholding_minor
               FROM recharacterized_lines r JOIN distribution_lines l ON l.distribution_id = r.distribution_id AND l.investor_id = r.investor_id
               WHERE r.org_id = $1 AND r.distribution_id = $2 AND ($3 IS NULL OR r.investor_id > $3)
               ORDER BY r.investor_id LIMIT $4")
                .bind(&actor.org_id)
                .bind(distribution_id)
                .bind(after)
                .bind(limit),
        )
        .await?;
    rows.iter()
        .map(|r| {
            let after = Components {
                ordinary_dividend: r.i64("ordinary_minor")?,
                qualified_dividend: r.i64("qualified_minor")?,
                short_term_gain: r.i64("st_gain_minor")?,
                long_term_gain: r.i64("lt_gain_minor")?,
                return_of_capital: r.i64("roc_minor")?,
                interest: r.i64("interest_minor")?,
                foreign_tax: r.i64("foreign_tax_minor")?,
                withholding: r.i64("withholding_minor")?,
            };
            Ok(LineChange {
                investor_id: r.text("investor_id")?,
                total_minor: r.i64("total_minor")?,
                before: Components {
                    ordinary_dividend: r.i64("b_ord")?,
                    qualified_dividend: r.i64("b_qual")?,
                    short_term_gain: r.i64("b_st")?,
                    long_term_gain: r.i64("b_lt")?,
                    return_of_capital: r.i64("b_roc")?,
                    interest: r.i64("b_int")?,
                    ..after
                },
                after,
            })
        })
        .collect()
}

//! Investors' tax profiles. The TIN is stored sealed (`tin_enc`, `tin_key_id`) with its last
//! four in clear, like account numbers; reads return the profile with the last four only.

use clearway_core::access::Permission;
use clearway_core::tax::profile::TaxProfile;

use crate::bank_accounts::Sealed;
use crate::{now_text, q, Actor, Row, StoreError, Tx};

/// The profile columns, in the order [`from_row`] reads them (no TIN ciphertext).
pub const COLUMNS: &str = "p.investor_id AS p_investor_id, p.tin_type, p.tin_last4, p.tin_status, p.residency, p.certificate, p.country, p.treaty_claim, p.treaty_article, p.chapter3_status, p.chapter4_status, p.residence_state, p.exempt_payee_code, p.fatca_filing, p.foreign_tin";

fn parse_opt<T: std::str::FromStr>(r: &Row, col: &str) -> Result<Option<T>, StoreError> {
    match r.opt_text(col)? {
        None => Ok(None),
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| StoreError::Corrupt(format!("tax_profiles.{col}"))),
    }
}

/// A profile from a row selected with [`COLUMNS`]; `None` when the LEFT JOIN found none.
pub fn from_row(r: &Row) -> Result<Option<TaxProfile>, StoreError> {
    let Some(investor_id) = r.opt_text("p_investor_id")? else {
        return Ok(None);
    };
    Ok(Some(TaxProfile {
        investor_id,
        tin_type: parse_opt(r, "tin_type")?,
        tin_last4: r.opt_text("tin_last4")?,
        tin_status: r.parse("tin_status")?,
        residency: r.parse("residency")?,
        certificate: parse_opt(r, "certificate")?,
        country: r.opt_text("country")?,
        treaty_claim: r.i64("treaty_claim")? != 0,
        treaty_article: r.opt_text("treaty_article")?,
        chapter3_status: r.opt_text("chapter3_status")?,
        chapter4_status: r.opt_text("chapter4_status")?,
        residence_state: r.opt_text("residence_state")?,
        exempt_payee_code: r.opt_text("exempt_payee_code")?,
        fatca_filing: r.i64("fatca_filing")? != 0,
        foreign_tin: r.opt_text("foreign_tin")?,
    }))
}

/// A stored profile with its bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProfile {
    /// The profile (TIN by its last four).
    pub profile: TaxProfile,
    /// Who changed it last.
    pub updated_by: String,
    /// When (UTC).
    pub updated_at: String,
    /// Incremented on every change.
    pub version: i64,
}

fn stored_from_row(r: &Row) -> Result<StoredProfile, StoreError> {
    Ok(StoredProfile {
        profile: from_row(r)?.ok_or(StoreError::NotFound("tax profile"))?,
        updated_by: r.text("updated_by")?,
        updated_at: r.text("updated_at")?,
        version: r.i64("version")?,
    })
}

/// Staff, or the investor themself; anyone else gets the same 404 as a missing investor.
fn may_see(actor: &Actor, investor_id: &str) -> Result<(), StoreError> {
    actor.require(Permission::Read)?;
    match actor.investor_id.as_deref() {
        Some(own) if own != investor_id => Err(StoreError::NotFound("tax profile")),
        _ => Ok(()),
    }
}

/// The investor exists in the actor's organization (and the actor may see them).
pub async fn investor_visible_tx(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
) -> Result<(), StoreError> {
    may_see(actor, investor_id).map_err(|_| StoreError::NotFound("investor"))?;
    tx.fetch_optional(
        q("SELECT id FROM investors WHERE id = $1 AND org_id = $2")
            .bind(investor_id)
            .bind(&actor.org_id),
    )
    .await?
    .ok_or(StoreError::NotFound("investor"))?;
    Ok(())
}

/// An investor's profile, `None` when none was entered (investor checked first: 404).
pub async fn get_tx(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
) -> Result<Option<StoredProfile>, StoreError> {
    investor_visible_tx(tx, actor, investor_id).await?;
    tx.fetch_optional(
        q(format!("SELECT {COLUMNS}, p.updated_by, p.updated_at, p.version FROM tax_profiles p WHERE p.investor_id = $1 AND p.org_id = $2"))
            .bind(investor_id)
            .bind(&actor.org_id),
    )
    .await?
    .as_ref()
    .map(stored_from_row)
    .transpose()
}

/// What to do with the stored TIN on an upsert.
#[derive(Debug, Clone)]
pub enum TinChange {
    /// Keep what is stored.
    Keep,
    /// Remove it.
    Clear,
    /// Store this sealed value.
    Set(Sealed),
}

/// Inserts or replaces the profile (operators); returns the version written.
pub async fn upsert_tx(
    tx: &mut Tx,
    actor: &Actor,
    p: &TaxProfile,
    tin: &TinChange,
    prior_version: Option<i64>,
) -> Result<i64, StoreError> {
    actor.require(Permission::Operate)?;
    let now = now_text();
    let version = prior_version.map_or(1, |v| v + 1);
    if prior_version.is_none() {
        tx.execute(
            q("INSERT INTO tax_profiles (investor_id, org_id, tin_status, residency, treaty_claim, fatca_filing, updated_by, updated_at, version)
               VALUES ($1, $2, 'MISSING', 'US', 0, 0, $3, $4, 0)")
                .bind(&p.investor_id)
                .bind(&actor.org_id)
                .bind(&actor.user_id)
                .bind(&now),
        )
        .await?;
    }
    let query = q("UPDATE tax_profiles SET tin_type = $3, tin_status = $4, residency = $5, certificate = $6, country = $7,
                   treaty_claim = $8, treaty_article = $9, chapter3_status = $10, chapter4_status = $11, residence_state = $12,
                   exempt_payee_code = $13, fatca_filing = $14, foreign_tin = $15, updated_by = $16, updated_at = $17, version = $18
                   WHERE investor_id = $1 AND org_id = $2")
        .bind(&p.investor_id)
        .bind(&actor.org_id)
        .bind(p.tin_type.map(|t| t.as_str()))
        .bind(p.tin_status.as_str())
        .bind(p.residency.as_str())
        .bind(p.certificate.map(|c| c.as_str()))
        .bind(p.country.clone())
        .bind(i64::from(p.treaty_claim))
        .bind(p.treaty_article.clone())
        .bind(p.chapter3_status.clone())
        .bind(p.chapter4_status.clone())
        .bind(p.residence_state.clone())
        .bind(p.exempt_payee_code.clone())
        .bind(i64::from(p.fatca_filing))
        .bind(p.foreign_tin.clone())
        .bind(&actor.user_id)
        .bind(&now)
        .bind(version);
    tx.execute(query).await?;
    match tin {
        TinChange::Keep => {}
        TinChange::Clear => {
            tx.execute(
                q("UPDATE tax_profiles SET tin_enc = NULL, tin_key_id = NULL, tin_last4 = NULL, tin_type = NULL WHERE investor_id = $1 AND org_id = $2")
                    .bind(&p.investor_id)
                    .bind(&actor.org_id),
            )
            .await?;
        }
        TinChange::Set(s) => {
            tx.execute(
                q("UPDATE tax_profiles SET tin_enc = $3, tin_key_id = $4, tin_last4 = $5 WHERE investor_id = $1 AND org_id = $2")
                    .bind(&p.investor_id)
                    .bind(&actor.org_id)
                    .bind(&s.ciphertext)
                    .bind(&s.key_id)
                    .bind(&s.last4),
            )
            .await?;
        }
    }
    Ok(version)
}

/// Filter of [`list_tx`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// `CERTIFIED`, `MISSING`, `B_NOTICE`, `C_NOTICE`.
    pub tin_status: Option<String>,
    /// `US` or `FOREIGN`.
    pub residency: Option<String>,
    /// Only profiles needing attention: no TIN, a B or C notice, a foreign person without a W-8.
    pub needs_attention: bool,
}

/// One page of the organization's profiles (staff), by investor id; and the total count.
pub async fn list_tx(
    tx: &mut Tx,
    actor: &Actor,
    filter: &ListFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<StoredProfile>, i64), StoreError> {
    actor.require(Permission::Read)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("tax profiles"));
    }
    let mut conds = String::from("p.org_id = $1");
    let mut args: Vec<String> = vec![actor.org_id.clone()];
    if let Some(s) = &filter.tin_status {
        args.push(s.clone());
        conds.push_str(&format!(" AND p.tin_status = ${}", args.len()));
    }
    if let Some(r) = &filter.residency {
        args.push(r.clone());
        conds.push_str(&format!(" AND p.residency = ${}", args.len()));
    }
    if filter.needs_attention {
        conds.push_str(
            " AND (p.tin_status <> 'CERTIFIED' OR (p.residency = 'US' AND p.tin_enc IS NULL AND p.exempt_payee_code IS NULL)
                   OR (p.residency = 'FOREIGN' AND (p.certificate IS NULL OR p.certificate = 'W-9')))",
        );
    }
    let mut count = q(format!(
        "SELECT COUNT(*) AS n FROM tax_profiles p WHERE {conds}"
    ));
    let mut page = q(format!(
        "SELECT {COLUMNS}, p.updated_by, p.updated_at, p.version FROM tax_profiles p WHERE {conds} ORDER BY p.investor_id LIMIT ${} OFFSET ${}",
        args.len() + 1,
        args.len() + 2
    ));
    for a in &args {
        count.push(a.as_str());
        page.push(a.as_str());
    }
    page.push(limit);
    page.push(offset);
    let total = tx.count(count).await?;
    let rows = tx.fetch_all(page).await?;
    let items = rows.iter().map(stored_from_row).collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// The sealed TINs of the given investors (staff with Operate; the app opens them).
pub async fn sealed_tins_tx(
    tx: &mut Tx,
    actor: &Actor,
    investor_ids: &[String],
) -> Result<Vec<(String, Sealed)>, StoreError> {
    actor.require(Permission::Operate)?;
    let mut out = Vec::new();
    for chunk in investor_ids.chunks(4_000) {
        let mut query = q(format!(
            "SELECT investor_id, tin_enc, tin_key_id, tin_last4 FROM tax_profiles WHERE org_id = $1 AND tin_enc IS NOT NULL AND investor_id IN ({})",
            crate::db::placeholders(2, chunk.len())
        ))
        .bind(&actor.org_id);
        for id in chunk {
            query.push(id.as_str());
        }
        for r in tx.fetch_all(query).await? {
            out.push((r.text("investor_id")?, sealed_of(&r)?));
        }
    }
    Ok(out)
}

fn sealed_of(r: &Row) -> Result<Sealed, StoreError> {
    Ok(Sealed {
        key_id: r.text("tin_key_id")?,
        ciphertext: r.text("tin_enc")?,
        last4: r.opt_text("tin_last4")?.unwrap_or_default(),
    })
}

/// TINs still sealed under another key than `active_key_id` (key rotation), by investor id.
pub async fn rows_to_reseal(
    tx: &mut Tx,
    active_key_id: &str,
    limit: i64,
) -> Result<Vec<(String, Sealed)>, StoreError> {
    tx.fetch_all(
        q("SELECT investor_id, tin_enc, tin_key_id, tin_last4 FROM tax_profiles WHERE tin_enc IS NOT NULL AND tin_key_id <> $1 ORDER BY investor_id LIMIT $2")
            .bind(active_key_id)
            .bind(limit),
    )
    .await?
    .iter()
    .map(|r| Ok((r.text("investor_id")?, sealed_of(r)?)))
    .collect()
}

/// Stores a re-sealed TIN (key rotation; the clear value is unchanged).
pub async fn store_resealed(
    tx: &mut Tx,
    investor_id: &str,
    sealed: &Sealed,
) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE tax_profiles SET tin_enc = $1, tin_key_id = $2 WHERE investor_id = $3")
            .bind(&sealed.ciphertext)
            .bind(&sealed.key_id)
            .bind(investor_id),
    )
    .await?;
    Ok(())
}

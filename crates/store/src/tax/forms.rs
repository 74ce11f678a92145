//! Issued tax forms: each issue of a (fund, investor, year, form) is a new `seq`; an issue
//! after one already issued is CORRECTED. The figures are kept as JSON with their SHA-256, so
//! issuing the same figures again is recognised and issues nothing.
//!
//! Access: staff of the organization read all; an investor reads only their own (another's is
//! the 404 of the investor). Issuing is for operators and admins.

use clearway_core::access::{Permission, Role};
use sha2::{Digest, Sha256};

use crate::reinvestment::check_investor_tx;
use crate::{new_id, now_text, q, Actor, Row, StoreError, Tx};

/// The three forms.
pub const FORMS: [&str; 3] = ["1099-DIV", "1042-S", "K-1"];

/// An issued form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRecord {
    /// Id.
    pub id: String,
    /// Fund (the payer / partnership).
    pub fund_id: String,
    /// Investor (recipient / partner).
    pub investor_id: String,
    /// Tax year.
    pub tax_year: i32,
    /// `1099-DIV`, `1042-S` or `K-1`.
    pub form: String,
    /// 1, 2, …
    pub seq: i64,
    /// A correction of an earlier issue.
    pub corrected: bool,
    /// Figures, JSON text (the core type of the form).
    pub figures: String,
    /// SHA-256 of `figures`, lowercase hex.
    pub fingerprint: String,
    /// The FIRE file that carried it, if any.
    pub fire_file_id: Option<String>,
    /// Issued by (user id).
    pub issued_by: String,
    /// Issued at (UTC).
    pub issued_at: String,
}

const COLUMNS: &str = "id, fund_id, investor_id, tax_year, form, seq, corrected, figures, fingerprint, fire_file_id, issued_by, issued_at";

/// Reads a row of [`COLUMNS`].
pub fn from_row(r: &Row) -> Result<FormRecord, StoreError> {
    Ok(FormRecord {
        id: r.text("id")?,
        fund_id: r.text("fund_id")?,
        investor_id: r.text("investor_id")?,
        tax_year: i32::try_from(r.i64("tax_year")?)
            .map_err(|_| StoreError::Corrupt("tax_year".into()))?,
        form: r.text("form")?,
        seq: r.i64("seq")?,
        corrected: r.i64("corrected")? != 0,
        figures: r.text("figures")?,
        fingerprint: r.text("fingerprint")?,
        fire_file_id: r.opt_text("fire_file_id")?,
        issued_by: r.text("issued_by")?,
        issued_at: r.text("issued_at")?,
    })
}

/// SHA-256 of the figures' JSON text, lowercase hex.
pub fn fingerprint(figures: &str) -> String {
    hex::encode(Sha256::digest(figures.as_bytes()))
}

/// The newest issue of one form, if any.
pub async fn latest_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    investor_id: &str,
    year: i32,
    form: &str,
) -> Result<Option<FormRecord>, StoreError> {
    check_investor_tx(tx, actor, investor_id).await?;
    tx.fetch_optional(
        q(format!("SELECT {COLUMNS} FROM tax_forms WHERE org_id = $1 AND fund_id = $2 AND investor_id = $3 AND tax_year = $4 AND form = $5 ORDER BY seq DESC LIMIT 1"))
            .bind(&actor.org_id)
            .bind(fund_id)
            .bind(investor_id)
            .bind(i64::from(year))
            .bind(form),
    )
    .await?
    .map(|r| from_row(&r))
    .transpose()
}

/// Issues `figures` unless the newest issue has the same fingerprint: answers the record and
/// whether it is a new issue. Operators and admins only.
pub async fn issue_tx(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    investor_id: &str,
    year: i32,
    form: &str,
    figures: &str,
) -> Result<(FormRecord, bool), StoreError> {
    if actor.role == Role::Investor {
        return Err(StoreError::NotFound("investor"));
    }
    actor.require(Permission::Operate)?;
    let newest = latest_tx(tx, actor, fund_id, investor_id, year, form).await?;
    let print = fingerprint(figures);
    if let Some(same) = newest.as_ref().filter(|f| f.fingerprint == print) {
        return Ok((same.clone(), false));
    }
    let record = FormRecord {
        id: new_id(),
        fund_id: fund_id.to_string(),
        investor_id: investor_id.to_string(),
        tax_year: year,
        form: form.to_string(),
        seq: newest.as_ref().map_or(1, |f| f.seq + 1),
        corrected: newest.is_some(),
        figures: figures.to_string(),
        fingerprint: print,
        fire_file_id: None,
        issued_by: actor.user_id.clone(),
        issued_at: now_text(),
    };
    tx.execute(
        q("INSERT INTO tax_forms (id, org_id, fund_id, investor_id, tax_year, form, seq, corrected, figures, fingerprint, fire_file_id, issued_by, issued_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $12)")
            .bind(&record.id)
            .bind(&actor.org_id)
            .bind(&record.fund_id)
            .bind(&record.investor_id)
            .bind(i64::from(year))
            .bind(&record.form)
            .bind(record.seq)
            .bind(i64::from(record.corrected))
            .bind(&record.figures)
            .bind(&record.fingerprint)
            .bind(&record.issued_by)
            .bind(&record.issued_at),
    )
    .await?;
    Ok((record, true))
}

/// Every issue of an investor's forms of a year (all funds, all forms), oldest first.
pub async fn for_investor_tx(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    year: i32,
) -> Result<Vec<FormRecord>, StoreError> {
    check_investor_tx(tx, actor, investor_id).await?;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM tax_forms WHERE org_id = $1 AND investor_id = $2 AND tax_year = $3 ORDER BY fund_id, form, seq"))
                .bind(&actor.org_id)
                .bind(investor_id)
                .bind(i64::from(year)),
        )
        .await?;
    rows.iter().map(from_row).collect()
}

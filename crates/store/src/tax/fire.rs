//! The IRS FIRE side: the organization as transmitter (T record), the files written (kept as
//! written), and which issued 1099-DIVs a file carries. Admins write; staff read.

use clearway_core::access::{Permission, Role};

use super::forms::{from_row as form_from_row, FormRecord};
use crate::{now_text, q, Actor, Row, StoreError, Tx};

/// The transmitter's identity (Publication 1220 T record).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transmitter {
    /// Transmitter Control Code (5 alphanumerics).
    pub tcc: String,
    /// Transmitter's TIN (9 digits).
    pub tin: String,
    /// Transmitter (company) name.
    pub name: String,
    /// Mailing address.
    pub address: String,
    /// City.
    pub city: String,
    /// State (USPS).
    pub state: String,
    /// ZIP (5 or 9 digits).
    pub zip: String,
    /// Contact name.
    pub contact_name: String,
    /// Contact phone (digits).
    pub contact_phone: String,
    /// Contact email.
    pub contact_email: String,
    /// Last changed (UTC).
    pub updated_at: String,
}

fn staff(actor: &Actor) -> Result<(), StoreError> {
    if actor.role == Role::Investor {
        return Err(StoreError::NotFound("transmitter"));
    }
    actor.require(Permission::Read)
}

/// The organization's transmitter, if entered (staff).
pub async fn transmitter_tx(tx: &mut Tx, actor: &Actor) -> Result<Option<Transmitter>, StoreError> {
    staff(actor)?;
    let row = tx
        .fetch_optional(
            q("SELECT tcc, tin, name, address, city, state, zip, contact_name, contact_phone, contact_email, updated_at FROM tax_transmitters WHERE org_id = $1")
                .bind(&actor.org_id),
        )
        .await?;
    row.map(|r| {
        Ok(Transmitter {
            tcc: r.text("tcc")?,
            tin: r.text("tin")?,
            name: r.text("name")?,
            address: r.text("address")?,
            city: r.text("city")?,
            state: r.text("state")?,
            zip: r.text("zip")?,
            contact_name: r.text("contact_name")?,
            contact_phone: r.text("contact_phone")?,
            contact_email: r.text("contact_email")?,
            updated_at: r.text("updated_at")?,
        })
    })
    .transpose()
}

/// Writes the transmitter (admins; validated by the caller); answers it as stored.
pub async fn put_transmitter_tx(
    tx: &mut Tx,
    actor: &Actor,
    t: &Transmitter,
) -> Result<Transmitter, StoreError> {
    staff(actor)?;
    actor.require(Permission::Administer)?;
    let now = now_text();
    tx.execute(q("DELETE FROM tax_transmitters WHERE org_id = $1").bind(&actor.org_id))
        .await?;
    tx.execute(
        q("INSERT INTO tax_transmitters (org_id, tcc, tin, name, address, city, state, zip, contact_name, contact_phone, contact_email, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
            .bind(&actor.org_id)
            .bind(&t.tcc)
            .bind(&t.tin)
            .bind(&t.name)
            .bind(&t.address)
            .bind(&t.city)
            .bind(&t.state)
            .bind(&t.zip)
            .bind(&t.contact_name)
            .bind(&t.contact_phone)
            .bind(&t.contact_email)
            .bind(&now),
    )
    .await?;
    Ok(Transmitter {
        updated_at: now,
        ..t.clone()
    })
}

/// A FIRE file as stored (its content read separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FireFile {
    /// Id.
    pub id: String,
    /// Tax year.
    pub tax_year: i32,
    /// `ORIGINAL` or `CORRECTED`.
    pub kind: String,
    /// A test file (T record test indicator).
    pub test: bool,
    /// Payers (A records).
    pub payers: i64,
    /// Payees (B records).
    pub payees: i64,
    /// SHA-256 of the content.
    pub sha256: String,
    /// Written by.
    pub created_by: String,
    /// Written at.
    pub created_at: String,
}

const FILE_COLUMNS: &str =
    "id, tax_year, kind, test_file, payers, payees, sha256, created_by, created_at";

fn file_from_row(r: &Row) -> Result<FireFile, StoreError> {
    Ok(FireFile {
        id: r.text("id")?,
        tax_year: i32::try_from(r.i64("tax_year")?)
            .map_err(|_| StoreError::Corrupt("tax_year".into()))?,
        kind: r.text("kind")?,
        test: r.i64("test_file")? != 0,
        payers: r.i64("payers")?,
        payees: r.i64("payees")?,
        sha256: r.text("sha256")?,
        created_by: r.text("created_by")?,
        created_at: r.text("created_at")?,
    })
}

/// Stores a file and marks `form_ids` as carried by it (admins), in the caller's transaction.
pub async fn insert_file_tx(
    tx: &mut Tx,
    actor: &Actor,
    file: &FireFile,
    content: &str,
    form_ids: &[String],
) -> Result<(), StoreError> {
    staff(actor)?;
    actor.require(Permission::Administer)?;
    tx.execute(
        q("INSERT INTO fire_files (id, org_id, tax_year, kind, test_file, content, payers, payees, sha256, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(&file.id)
            .bind(&actor.org_id)
            .bind(i64::from(file.tax_year))
            .bind(&file.kind)
            .bind(i64::from(file.test))
            .bind(content)
            .bind(file.payers)
            .bind(file.payees)
            .bind(&file.sha256)
            .bind(&file.created_by)
            .bind(&file.created_at),
    )
    .await?;
    // A test file goes to the IRS test system: the forms stay unfiled.
    if file.test {
        return Ok(());
    }
    for chunk in form_ids.chunks(500) {
        let mut query = q(format!(
            "UPDATE tax_forms SET fire_file_id = $1 WHERE org_id = $2 AND fire_file_id IS NULL AND id IN ({})",
            crate::db::placeholders(3, chunk.len())
        ))
        .bind(&file.id)
        .bind(&actor.org_id);
        for id in chunk {
            query.push(id);
        }
        tx.execute(query).await?;
    }
    Ok(())
}

/// The organization's files, newest first: `limit` after skipping `offset`.
pub async fn list_files_tx(
    tx: &mut Tx,
    actor: &Actor,
    offset: i64,
    limit: i64,
) -> Result<Vec<FireFile>, StoreError> {
    staff(actor)?;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {FILE_COLUMNS} FROM fire_files WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"))
                .bind(&actor.org_id)
                .bind(limit)
                .bind(offset),
        )
        .await?;
    rows.iter().map(file_from_row).collect()
}

/// A file's record and content (staff; others 404).
pub async fn file_content_tx(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
) -> Result<(FireFile, String), StoreError> {
    staff(actor)?;
    let row = tx
        .fetch_optional(
            q(format!(
                "SELECT {FILE_COLUMNS}, content FROM fire_files WHERE org_id = $1 AND id = $2"
            ))
            .bind(&actor.org_id)
            .bind(id),
        )
        .await?
        .ok_or(StoreError::NotFound("FIRE file"))?;
    Ok((file_from_row(&row)?, row.text("content")?))
}

/// The 1099-DIVs a file of `year` carries: ORIGINAL: first issues (seq 1) not yet in a file;
/// CORRECTED: corrected newest issues not yet in a file. In fund, investor order.
pub async fn forms_to_file_tx(
    tx: &mut Tx,
    actor: &Actor,
    year: i32,
    corrected: bool,
) -> Result<Vec<FormRecord>, StoreError> {
    staff(actor)?;
    let which = if corrected {
        "f.corrected = 1 AND f.seq = (SELECT MAX(g.seq) FROM tax_forms g WHERE g.org_id = f.org_id AND g.fund_id = f.fund_id AND g.investor_id = f.investor_id AND g.tax_year = f.tax_year AND g.form = f.form)"
    } else {
        "f.seq = 1"
    };
    let rows = tx
        .fetch_all(
            q(format!("SELECT f.id, f.fund_id, f.investor_id, f.tax_year, f.form, f.seq, f.corrected, f.figures, f.fingerprint, f.fire_file_id, f.issued_by, f.issued_at
                 FROM tax_forms f WHERE f.org_id = $1 AND f.tax_year = $2 AND f.form = '1099-DIV' AND f.fire_file_id IS NULL AND {which}
                 ORDER BY f.fund_id, f.investor_id"))
                .bind(&actor.org_id)
                .bind(i64::from(year)),
        )
        .await?;
    rows.iter().map(form_from_row).collect()
}

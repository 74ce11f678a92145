//! Row packing: a many-row read crossing as one text value, for reads too large to take row
//! by row from SQLite's worker thread.

use super::{Tx, Q};
use crate::StoreError;

/// Reads a query whose one row has a `packed` column: many rows joined into one text by
/// `string_agg` (fields separated by ',', rows by ';'; the values are ids, dates, decimals and
/// enum names, which contain neither). sqlx hands SQLite rows over one at a time from the
/// connection's worker thread; for the step's 100,000-row reads that per-row handoff cost
/// more than the queries themselves, so they cross as one value instead.
pub async fn fetch_packed(tx: &mut Tx, query: Q) -> Result<String, StoreError> {
    Ok(tx
        .fetch_optional(query)
        .await?
        .map(|r| r.opt_text("packed"))
        .transpose()?
        .flatten()
        .unwrap_or_default())
}

/// Splits a [`fetch_packed`] text into rows of exactly `N` fields.
pub fn unpack<const N: usize>(packed: &str) -> Result<Vec<[&str; N]>, StoreError> {
    if packed.is_empty() {
        return Ok(Vec::new());
    }
    packed
        .split(';')
        .map(|row| {
            let mut fields = row.split(',');
            let mut out = [""; N];
            for slot in out.iter_mut() {
                *slot = fields
                    .next()
                    .ok_or_else(|| StoreError::Corrupt(format!("packed row '{row}' is short")))?;
            }
            match fields.next() {
                None => Ok(out),
                Some(_) => Err(StoreError::Corrupt(format!("packed row '{row}' is long"))),
            }
        })
        .collect()
}

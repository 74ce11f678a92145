//! Online backup of an SQLite database. `VACUUM INTO` copies the database as one read
//! transaction sees it: in WAL mode a read transaction is a consistent snapshot and does not
//! block the running server's writers, so the copy holds every transaction committed before
//! it began and none after. PostgreSQL is backed up with `pg_dump` (not here).

use std::path::Path;

use crate::{Backend, Db, StoreError};

/// Writes a consistent copy of the SQLite database `db` to `dest` (which must not exist).
pub async fn sqlite_into(db: &Db, dest: &Path) -> Result<(), StoreError> {
    if db.backend() != Backend::Sqlite {
        return Err(StoreError::Conflict(
            "online backup here is for SQLite; back PostgreSQL up with pg_dump".into(),
        ));
    }
    let dest = dest
        .to_str()
        .ok_or_else(|| StoreError::Conflict("backup path is not UTF-8".into()))?;
    // A literal, not a bind: VACUUM INTO takes an expression, and a quoted one is safe.
    let literal = dest.replace('\'', "''");
    db.execute_script(&format!("VACUUM INTO '{literal}'")).await
}

/// SQLite's `PRAGMA quick_check` over `db`: `ok`, or the first problems found.
pub async fn sqlite_check(db: &Db) -> Result<String, StoreError> {
    match db.fetch_optional(crate::q("PRAGMA quick_check")).await? {
        Some(row) => row.text("quick_check"),
        None => Err(StoreError::Corrupt("quick_check answered nothing".into())),
    }
}

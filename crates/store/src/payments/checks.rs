//! Number series (check and file numbers) and issued checks: stale, unclaimed, the register.

use chrono::NaiveDate;
use clearway_core::access::Permission;

use crate::{now_text, q, Actor, Db, StoreError, Tx};

use super::*;

/// Allocates `count` consecutive numbers of the series `(scope, name)`, starting the series at
/// `first`; returns the first number of the block. The row update serializes concurrent
/// allocations, so two files never share a number.
pub async fn allocate_sequence(
    tx: &mut Tx,
    scope: &str,
    name: &str,
    first: i64,
    count: i64,
) -> Result<i64, StoreError> {
    tx.execute(
        q("INSERT INTO payment_sequences (scope, name, next_value) VALUES ($1, $2, $3) ON CONFLICT (scope, name) DO NOTHING")
            .bind(scope)
            .bind(name)
            .bind(first),
    )
    .await?;
    let row = tx
        .fetch_optional(
            q("UPDATE payment_sequences SET next_value = next_value + $1 WHERE scope = $2 AND name = $3 RETURNING next_value")
                .bind(count)
                .bind(scope)
                .bind(name),
        )
        .await?
        .ok_or(StoreError::NotFound("sequence"))?;
    Ok(row.i64("next_value")? - count)
}

/// Takes the row lock of sequence `(scope, name)` for the rest of `tx` if no other transaction
/// holds it; `false` at once when one does (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite's
/// write transactions are serialized already, so it always gets it). For work that would
/// rather come back later than wait behind a long holder. (Two transactions creating the row
/// at once: the second waits for the first's commit, once.)
pub async fn try_lock_sequence(tx: &mut Tx, scope: &str, name: &str) -> Result<bool, StoreError> {
    tx.execute(
        q("INSERT INTO payment_sequences (scope, name, next_value) VALUES ($1, $2, 0) ON CONFLICT (scope, name) DO NOTHING")
            .bind(scope)
            .bind(name),
    )
    .await?;
    let lock = crate::db::dialect::skip_locked(tx.backend());
    let row = tx
        .fetch_optional(
            q(format!(
                "SELECT next_value FROM payment_sequences WHERE scope = $1 AND name = $2{lock}"
            ))
            .bind(scope)
            .bind(name),
        )
        .await?;
    Ok(row.is_some())
}

/// The first of `count` new check numbers of an organization (sequential from `first`).
pub async fn next_check_numbers(
    tx: &mut Tx,
    actor: &Actor,
    first: i64,
    count: i64,
) -> Result<i64, StoreError> {
    allocate_sequence(tx, &actor.org_id, "check_number", first, count).await
}

/// Issued checks (SENT) older than `cutoff` (issue date on or before it), for stale-dating.
pub async fn stale_checks(
    tx: &mut Tx,
    actor: &Actor,
    cutoff: NaiveDate,
) -> Result<Vec<Payment>, StoreError> {
    tx.fetch_all(
        q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND method = 'CHECK' AND status = 'SENT' AND expected_date <= $2 ORDER BY id"))
            .bind(&actor.org_id)
            .bind(cutoff.to_string()),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Marks a payment's money unclaimed (stale-dated check).
pub async fn mark_unclaimed(tx: &mut Tx, actor: &Actor, id: &str) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE payments SET unclaimed = 1, review_reason = 'UNCLAIMED: stale-dated check', updated_at = $1, version = version + 1 WHERE id = $2 AND org_id = $3")
            .bind(now_text())
            .bind(id)
            .bind(&actor.org_id),
    )
    .await?;
    Ok(())
}

/// Checks issued (SENT, COMPLETED, or voided) in a date range, for positive pay.
pub async fn checks_issued(
    db: &Db,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Payment>, StoreError> {
    actor.require(Permission::Operate)?;
    db.fetch_all(
        q(format!("SELECT {COLUMNS} FROM payments WHERE org_id = $1 AND method = 'CHECK' AND check_number IS NOT NULL AND expected_date >= $2 AND expected_date <= $3 ORDER BY CAST(check_number AS BIGINT)"))
            .bind(&actor.org_id)
            .bind(from.to_string())
            .bind(to.to_string()),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Backend;
    use crate::testing::fresh_database;
    use crate::DbOptions;

    /// An ACH cut's lock (issue 21): a second transaction is told at once that it is held —
    /// it does not wait behind a long cut — and gets it once the holder commits. SQLite
    /// serializes write transactions, so there the lock is simply had.
    #[tokio::test]
    async fn a_held_sequence_lock_is_reported_not_waited_for() {
        let pg = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty());
        let mut bases = vec![None];
        if pg.is_some() {
            bases.push(pg.as_deref());
        }
        for base in bases {
            let fresh = fresh_database(base, &DbOptions::default()).await.unwrap();
            // The row exists once the first cut committed (a second first cut waits on its
            // insert, once per organization).
            let mut first = fresh.db.begin().await.unwrap();
            assert!(try_lock_sequence(&mut first, "org", "ach_cut")
                .await
                .unwrap());
            first.commit().await.unwrap();
            let mut a = fresh.db.begin().await.unwrap();
            assert!(try_lock_sequence(&mut a, "org", "ach_cut").await.unwrap());
            assert!(
                try_lock_sequence(&mut a, "org", "ach_cut").await.unwrap(),
                "its own holder has it"
            );
            if a.backend() == Backend::Postgres {
                let mut b = fresh.db.begin().await.unwrap();
                assert!(!try_lock_sequence(&mut b, "org", "ach_cut").await.unwrap());
                drop(b);
            }
            a.commit().await.unwrap();
            let mut c = fresh.db.begin().await.unwrap();
            assert!(try_lock_sequence(&mut c, "org", "ach_cut").await.unwrap());
            c.commit().await.unwrap();
            fresh.drop_database().await;
        }
    }
}

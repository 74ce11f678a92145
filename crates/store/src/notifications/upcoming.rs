//! Upcoming scheduled distributions: the occurrences of active schedules payable soon that
//! are not announced yet, each marked announced with its `schedule.upcoming` outbox event in
//! one transaction; and the fund's holders, who are told.

use crate::events::outbox;
use crate::{now_text, q, Actor, Db, StoreError, Tx};

/// An occurrence to announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upcoming {
    /// Organization.
    pub org_id: String,
    /// Schedule.
    pub schedule_id: String,
    /// Period of the occurrence (e.g. `2026-Q2`).
    pub period: String,
    /// The schedule's fund.
    pub fund_id: String,
    /// Record date.
    pub record_date: String,
    /// Payable date.
    pub payable_date: String,
}

/// Occurrences of active schedules payable in `from..=to` (ISO dates) not announced yet.
pub async fn due(db: &Db, from: &str, to: &str, limit: i64) -> Result<Vec<Upcoming>, StoreError> {
    db.fetch_all(
        q("SELECT o.org_id, o.schedule_id, o.period, s.fund_id, o.record_date, o.payable_date
           FROM schedule_occurrences o JOIN schedules s ON s.id = o.schedule_id AND s.org_id = o.org_id
           WHERE s.status = 'ACTIVE' AND o.announced_at IS NULL AND o.payable_date >= $1 AND o.payable_date <= $2
           ORDER BY o.payable_date, o.schedule_id, o.period LIMIT $3")
        .bind(from)
        .bind(to)
        .bind(limit),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Upcoming {
            org_id: r.text("org_id")?,
            schedule_id: r.text("schedule_id")?,
            period: r.text("period")?,
            fund_id: r.text("fund_id")?,
            record_date: r.text("record_date")?,
            payable_date: r.text("payable_date")?,
        })
    })
    .collect()
}

/// Marks `u` announced and writes its event, once: false (nothing written) when another
/// process announced it first.
pub async fn announce(db: &Db, u: &Upcoming) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE schedule_occurrences SET announced_at = $1
               WHERE org_id = $2 AND schedule_id = $3 AND period = $4 AND announced_at IS NULL")
            .bind(now_text())
            .bind(&u.org_id)
            .bind(&u.schedule_id)
            .bind(&u.period),
        )
        .await?;
    if n == 1 {
        let data = serde_json::json!({
            "scheduleId": u.schedule_id, "period": u.period, "fundId": u.fund_id,
            "recordDate": u.record_date, "payableDate": u.payable_date,
        });
        let id = format!("{}:{}", u.schedule_id, u.period);
        outbox::emit(
            &mut tx,
            &Actor::system(&u.org_id),
            "schedule.upcoming",
            "schedule",
            &id,
            data,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(n == 1)
}

/// Name of fund `id` of the organization.
pub async fn fund_name(tx: &mut Tx, org_id: &str, id: &str) -> Result<Option<String>, StoreError> {
    tx.fetch_optional(
        q("SELECT name FROM funds WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id),
    )
    .await?
    .map(|r| r.text("name"))
    .transpose()
}

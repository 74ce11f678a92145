//! Schema migrations, embedded in the binary and applied in order, each in one transaction.

use crate::{now_text, Backend, Db, StoreError};

const COMMON: &str = include_str!("../migrations/common.sql");

/// (version, SQL) per backend, in order.
fn migrations(backend: Backend) -> Vec<(&'static str, String)> {
    let sequences = match backend {
        Backend::Postgres => include_str!("../migrations/postgres/0001_sequences.sql"),
        Backend::Sqlite => include_str!("../migrations/sqlite/0001_sequences.sql"),
    };
    // Later migrations are one SQL text for both backends; add new ones at the end, never edit
    // one that has shipped.
    vec![
        ("0001_schema", format!("{COMMON}\n{sequences}")),
        (
            "0002_settlement",
            include_str!("../migrations/0002_settlement.sql").to_string(),
        ),
        (
            "0003_payments",
            include_str!("../migrations/0003_payments.sql").to_string(),
        ),
        (
            "0004_reinvestment",
            format!(
                "{}\n{}",
                include_str!("../migrations/0004_reinvestment.sql"),
                // The bulk-written tables, per backend for their storage layout (as in 0001).
                match backend {
                    Backend::Postgres =>
                        include_str!("../migrations/postgres/0004_reinvestment.sql"),
                    Backend::Sqlite => include_str!("../migrations/sqlite/0004_reinvestment.sql"),
                }
            ),
        ),
        (
            "0005_reconciliation",
            include_str!("../migrations/0005_reconciliation.sql").to_string(),
        ),
        (
            "0006_bulk_settlement",
            include_str!("../migrations/0006_bulk_settlement.sql").to_string(),
        ),
        (
            "0007_payment_lookup",
            include_str!("../migrations/0007_payment_lookup.sql").to_string(),
        ),
        (
            "0008_reinvestment_writes",
            match backend {
                Backend::Postgres => {
                    include_str!("../migrations/postgres/0008_reinvestment_writes.sql")
                }
                Backend::Sqlite => {
                    include_str!("../migrations/sqlite/0008_reinvestment_writes.sql")
                }
            }
            .to_string(),
        ),
        (
            "0009_four_eyes",
            include_str!("../migrations/0009_four_eyes.sql").to_string(),
        ),
        (
            "0010_access",
            include_str!("../migrations/0010_access.sql").to_string(),
        ),
        (
            "0011_webhook_delivery",
            include_str!("../migrations/0011_webhook_delivery.sql").to_string(),
        ),
        (
            "0012_audit_chain",
            include_str!("../migrations/0012_audit_chain.sql").to_string(),
        ),
        (
            "0013_ach_files",
            include_str!("../migrations/0013_ach_files.sql").to_string(),
        ),
        (
            "0014_payment_review",
            include_str!("../migrations/0014_payment_review.sql").to_string(),
        ),
        (
            "0015_recovery",
            format!(
                "{}\n{}",
                include_str!("../migrations/0015_recovery.sql"),
                // Widening the line status CHECK is per backend (SQLite rebuilds the table).
                match backend {
                    Backend::Postgres => include_str!("../migrations/postgres/0015_recovery.sql"),
                    Backend::Sqlite => include_str!("../migrations/sqlite/0015_recovery.sql"),
                }
            ),
        ),
        (
            "0016_lot_reapply",
            match backend {
                Backend::Postgres => include_str!("../migrations/postgres/0016_lot_reapply.sql"),
                Backend::Sqlite => include_str!("../migrations/sqlite/0016_lot_reapply.sql"),
            }
            .to_string(),
        ),
        (
            "0017_allocation_fingerprint",
            include_str!("../migrations/0017_allocation_fingerprint.sql").to_string(),
        ),
        (
            "0018_statement_encoding",
            include_str!("../migrations/0018_statement_encoding.sql").to_string(),
        ),
        (
            "0019_payment_status_reports",
            include_str!("../migrations/0019_payment_status_reports.sql").to_string(),
        ),
        (
            "0020_web_sessions",
            include_str!("../migrations/0020_web_sessions.sql").to_string(),
        ),
        (
            "0021_capital",
            include_str!("../migrations/0021_capital.sql").to_string(),
        ),
        (
            "0022_schedules",
            include_str!("../migrations/0022_schedules.sql").to_string(),
        ),
        (
            "0023_in_kind",
            include_str!("../migrations/0023_in_kind.sql").to_string(),
        ),
        (
            "0024_share_classes",
            format!(
                "{}\n{}",
                include_str!("../migrations/0024_share_classes.sql"),
                // Holdings' new key: PostgreSQL alters it in place, SQLite rebuilds the table.
                match backend {
                    Backend::Postgres => {
                        include_str!("../migrations/postgres/0024_share_classes.sql")
                    }
                    Backend::Sqlite => include_str!("../migrations/sqlite/0024_share_classes.sql"),
                }
            ),
        ),
        (
            "0025_waterfall",
            include_str!("../migrations/0025_waterfall.sql").to_string(),
        ),
        (
            "0026_notifications",
            include_str!("../migrations/0026_notifications.sql").to_string(),
        ),
        (
            "0027_notification_messages",
            include_str!("../migrations/0027_notification_messages.sql").to_string(),
        ),
        (
            "0028_documents",
            include_str!("../migrations/0028_documents.sql").to_string(),
        ),
        (
            "0029_schedule_announcements",
            include_str!("../migrations/0029_schedule_announcements.sql").to_string(),
        ),
        (
            "0030_tax",
            include_str!("../migrations/0030_tax.sql").to_string(),
        ),
        (
            "0031_forecast",
            include_str!("../migrations/0031_forecast.sql").to_string(),
        ),
        (
            "0032_leases",
            include_str!("../migrations/0032_leases.sql").to_string(),
        ),
        (
            "0033_streams",
            include_str!("../migrations/0033_streams.sql").to_string(),
        ),
        (
            "0034_sync",
            include_str!("../migrations/0034_sync.sql").to_string(),
        ),
        (
            "0036_obs",
            include_str!("../migrations/0036_obs.sql").to_string(),
        ),
        (
            "0037_sync_connector",
            include_str!("../migrations/0037_sync_connector.sql").to_string(),
        ),
        (
            "0038_notification_pending",
            include_str!("../migrations/0038_notification_pending.sql").to_string(),
        ),
        (
            "0039_schedule_admin_ref",
            include_str!("../migrations/0039_schedule_admin_ref.sql").to_string(),
        ),
        (
            "0040_ach_cut",
            include_str!("../migrations/0040_ach_cut.sql").to_string(),
        ),
        (
            "0041_forecast_pending",
            include_str!("../migrations/0041_forecast_pending.sql").to_string(),
        ),
    ]
}

/// Applies every migration not yet applied; returns how many ran.
pub async fn run(db: &Db) -> Result<usize, StoreError> {
    db.execute_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .await?;
    let applied: Vec<String> = db
        .fetch_all(crate::q("SELECT version FROM schema_migrations"))
        .await?
        .iter()
        .map(|r| r.text("version"))
        .collect::<Result<_, _>>()?;
    let mut ran = 0;
    for (version, sql) in migrations(db.backend()) {
        if applied.iter().any(|v| v == version) {
            continue;
        }
        // The version row is written inside the same transaction as the DDL.
        let script = format!(
            "BEGIN;\n{sql}\nINSERT INTO schema_migrations (version, applied_at) VALUES ('{version}', '{}');\nCOMMIT;",
            now_text()
        );
        db.execute_script(&script).await?;
        tracing::info!(version, "applied migration");
        ran += 1;
    }
    // Entries written before 0012 join the chain once (again after a crash in between).
    let chained = crate::audit::chain_existing(db).await?;
    if chained > 0 {
        tracing::info!(
            chained,
            "chained the audit entries written before the chain"
        );
    }
    Ok(ran)
}

/// The latest applied schema version, or `None` when the schema was never migrated (readiness).
pub async fn current_version(db: &Db) -> Result<Option<String>, StoreError> {
    db.fetch_optional(crate::q(
        "SELECT version FROM schema_migrations ORDER BY version DESC LIMIT 1",
    ))
    .await?
    .map(|r| r.text("version"))
    .transpose()
}

//! Fresh, isolated databases for tests and benchmarks (a new PostgreSQL database, or a new
//! SQLite file), so runs never see each other's data.

use crate::{outbox, q, Actor, Db, DbOptions, StoreError};

/// A database created for one test or benchmark run; [`Fresh::drop_database`] removes it.
pub struct Fresh {
    /// Connected and migrated database.
    pub db: Db,
    /// Its URL.
    pub url: String,
    admin_url: Option<String>,
    name: String,
}

/// Creates a fresh database next to `base_url` (PostgreSQL: `CREATE DATABASE` on that
/// server; anything else: a new SQLite file in the temp dir), migrated.
pub async fn fresh_database(
    base_url: Option<&str>,
    options: &DbOptions,
) -> Result<Fresh, StoreError> {
    let name = format!("clearway_t_{}", uuid::Uuid::new_v4().simple());
    let (url, admin_url) = match base_url {
        Some(base) if base.starts_with("postgres") => {
            let admin = Db::connect(base, &DbOptions { max_connections: 1 }).await?;
            admin
                .execute_script(&format!("CREATE DATABASE {name}"))
                .await?;
            admin.close().await;
            (replace_db_name(base, &name), Some(base.to_string()))
        }
        _ => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            (format!("sqlite:{}", path.display()), None)
        }
    };
    let db = Db::connect(&url, options).await?;
    crate::migrate::run(&db).await?;
    Ok(Fresh {
        db,
        url,
        admin_url,
        name,
    })
}

impl Fresh {
    /// Closes the pools and removes the database.
    pub async fn drop_database(self) {
        self.db.close().await;
        match self.admin_url {
            Some(admin_url) => {
                if let Ok(admin) = Db::connect(&admin_url, &DbOptions { max_connections: 1 }).await
                {
                    let _ = admin
                        .execute_script(&format!(
                            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                            self.name
                        ))
                        .await;
                    admin.close().await;
                }
            }
            None => {
                let path = self.url.trim_start_matches("sqlite:").to_string();
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
        }
    }
}

/// Swaps the database name (the path) of a PostgreSQL URL, keeping any query string.
fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, qs)) => (b, Some(qs)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..host_end], name);
    if let Some(qs) = query {
        out.push('?');
        out.push_str(qs);
    }
    out
}

/// Whole-database counts a benchmark checks its run with (a fresh benchmark database, every
/// organization: these are operator checks, not application reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Lines unsettled or whose reinvested + cash + withholding differ from the total.
    UntiedLines,
    /// Distributions.
    Distributions,
    /// COMPLETED distributions.
    CompletedDistributions,
    /// `distribution.completed` events.
    CompletedEvents,
    /// (aggregate, event type) pairs emitted more than once.
    DuplicateEvents,
    /// Jobs running, or queued and due (payment retries, and jobs scheduled for later such as
    /// ACH files deferred to the next day's File ID Modifiers, aside).
    BusyJobs,
    /// Jobs not done (payment retries aside).
    UnfinishedJobs,
    /// PENDING payments.
    PendingPayments,
    /// SENT payments that carry a trace number.
    SentPaymentsTraced,
    /// COMPLETED payments.
    CompletedPayments,
    /// (distribution, investor) pairs with more than one payment.
    DuplicatePayments,
    /// Notification messages more than one for an (event, investor, channel, role).
    DuplicateMessages,
    /// Jobs that ran more than once (a second attempt).
    RerunJobs,
    /// Payment batches stored (one per distribution and file; an ACH cut's file carries
    /// several).
    PaymentFiles,
    /// ACH files stored (File ID Modifiers used by a stored file).
    AchFiles,
    /// ACH rail jobs waiting for their organization's next cut.
    AchCutsWaiting,
    /// PENDING ACH payments, unheld: not yet in a file.
    UnsentAchPayments,
}

impl Check {
    fn sql(self) -> &'static str {
        match self {
            Check::UntiedLines => "SELECT COUNT(*) AS n FROM distribution_lines WHERE cash_minor IS NULL OR reinvested_minor + cash_minor + withholding_minor <> total_minor",
            Check::Distributions => "SELECT COUNT(*) AS n FROM distributions",
            Check::CompletedDistributions => "SELECT COUNT(*) AS n FROM distributions WHERE status = 'COMPLETED'",
            Check::CompletedEvents => "SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'distribution.completed'",
            Check::DuplicateEvents => "SELECT COUNT(*) AS n FROM (SELECT aggregate_id, event_type FROM outbox GROUP BY aggregate_id, event_type HAVING COUNT(*) > 1) d",
            Check::BusyJobs => "SELECT COUNT(*) AS n FROM jobs WHERE (status = 'RUNNING' OR (status = 'QUEUED' AND run_at <= $1)) AND kind <> 'payment.retry'",
            Check::UnfinishedJobs => "SELECT COUNT(*) AS n FROM jobs WHERE status <> 'DONE' AND kind <> 'payment.retry'",
            Check::PendingPayments => "SELECT COUNT(*) AS n FROM payments WHERE status = 'PENDING'",
            Check::SentPaymentsTraced => "SELECT COUNT(*) AS n FROM payments WHERE status = 'SENT' AND trace_number IS NOT NULL",
            Check::CompletedPayments => "SELECT COUNT(*) AS n FROM payments WHERE status = 'COMPLETED'",
            Check::DuplicatePayments => "SELECT COUNT(*) AS n FROM (SELECT distribution_id, investor_id FROM payments GROUP BY distribution_id, investor_id HAVING COUNT(*) > 1) d",
            Check::DuplicateMessages => "SELECT COUNT(*) AS n FROM (SELECT event_id, investor_id, channel, recipient_role FROM notification_messages GROUP BY event_id, investor_id, channel, recipient_role HAVING COUNT(*) > 1) d",
            Check::RerunJobs => "SELECT COUNT(*) AS n FROM jobs WHERE attempts > 1",
            Check::PaymentFiles => "SELECT COUNT(*) AS n FROM payment_batches",
            Check::AchFiles => "SELECT COUNT(*) AS n FROM ach_file_ids WHERE batch_id IS NOT NULL",
            Check::AchCutsWaiting => "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'payment.ach' AND status = 'QUEUED' AND payload LIKE '%\"cutAt\"%'",
            Check::UnsentAchPayments => "SELECT COUNT(*) AS n FROM payments WHERE method = 'ACH' AND status = 'PENDING' AND hold_reason IS NULL",
        }
    }
}

/// Runs one benchmark [`Check`].
pub async fn count(db: &Db, check: Check) -> Result<i64, StoreError> {
    let sql = check.sql();
    let mut query = crate::q(sql);
    if sql.contains("$1") {
        // The one parameter a check takes: now, as the store writes times.
        query = query.bind(crate::now_text());
    }
    db.fetch_optional(query)
        .await?
        // A COUNT without GROUP BY always answers one row.
        .ok_or_else(|| StoreError::Corrupt(format!("{check:?} returned no row")))?
        .i64("n")
}

// Benchmark set-up: shortcuts a benchmark takes on its own fresh database to reach the state
// it measures from. Never for application data: they bypass the audit trail on purpose.

/// Every investor of `org_id` paid by ACH to one sealed account number: existing payees are
/// turned into ACH payees, investors without one get a verified default ACH payee.
pub async fn bench_ach_payees(
    db: &Db,
    org_id: &str,
    ciphertext: &str,
    key_id: &str,
    last4: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    tx.execute(
        crate::q("UPDATE bank_accounts SET method = 'ACH', routing_number = '121042882', account_type = 'CHECKING', currency = 'USD', account_enc = $1, account_key_id = $2, account_last4 = $3, address = NULL WHERE org_id = $4 AND method <> 'ACH'")
            .bind(ciphertext)
            .bind(key_id)
            .bind(last4)
            .bind(org_id),
    )
    .await?;
    tx.execute(
        crate::q("INSERT INTO bank_accounts (id, org_id, investor_id, method, status, is_default, holder_name, currency, routing_number, account_type, account_enc, account_key_id, account_last4, created_at, updated_at)
           SELECT 'b' || i.id, i.org_id, i.id, 'ACH', 'VERIFIED', 1, i.name, 'USD', '121042882', 'CHECKING', $1, $2, $3, i.created_at, i.created_at FROM investors i
           WHERE i.org_id = $4 AND NOT EXISTS (SELECT 1 FROM bank_accounts b WHERE b.org_id = i.org_id AND b.investor_id = i.id)")
            .bind(ciphertext)
            .bind(key_id)
            .bind(last4)
            .bind(org_id),
    )
    .await?;
    tx.commit().await
}

/// Puts a distribution's payments back to PENDING, without their batch, for the next run.
pub async fn bench_reset_payments(db: &Db, distribution_id: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    tx.execute(
        crate::q("UPDATE payments SET status = 'PENDING', trace_number = NULL, batch_id = NULL WHERE distribution_id = $1")
            .bind(distribution_id),
    )
    .await?;
    // The bench's files give their File ID Modifiers back, so every run has the day's 36.
    tx.execute(crate::q("DELETE FROM ach_file_ids")).await?;
    tx.execute(crate::q(
        "DELETE FROM payment_sequences WHERE scope = '*' AND name LIKE 'ach_file_id:%'",
    ))
    .await?;
    tx.execute(
        crate::q("DELETE FROM payment_batches WHERE distribution_id = $1").bind(distribution_id),
    )
    .await?;
    tx.commit().await
}

/// Hands every SENT payment to the Modern Treasury-style provider (reference `po_<id>`) and
/// returns the references in payment order, for provider webhooks to settle.
pub async fn bench_provider_refs(db: &Db) -> Result<Vec<String>, StoreError> {
    let mut tx = db.begin().await?;
    tx.execute(crate::q("UPDATE payments SET provider = 'MODERN_TREASURY', provider_ref = 'po_' || id WHERE status = 'SENT'"))
        .await?;
    tx.commit().await?;
    db.fetch_all(crate::q(
        "SELECT provider_ref FROM payments WHERE status = 'SENT' ORDER BY id",
    ))
    .await?
    .iter()
    .map(|r| r.text("provider_ref"))
    .collect()
}

/// Marks every distribution of `fund_id` COMPLETED (the capital bench's distributions count
/// once paid, and the bench does not run the payment path).
pub async fn bench_complete_fund(tx: &mut crate::Tx, fund_id: &str) -> Result<(), StoreError> {
    tx.execute(
        crate::q("UPDATE distributions SET status = 'COMPLETED' WHERE fund_id = $1").bind(fund_id),
    )
    .await?;
    Ok(())
}

/// The capital bench's baseline: the three plain sums (contributions, income allocations,
/// distribution lines) of a fund that the capital-account report groups by investor and date.
pub async fn bench_capital_sums(
    tx: &mut crate::Tx,
    org_id: &str,
    fund_id: &str,
) -> Result<(), StoreError> {
    for sql in [
        "SELECT CAST(SUM(amount_minor) AS BIGINT) AS t FROM capital_contributions WHERE org_id = $1 AND fund_id = $2",
        "SELECT CAST(SUM(amount_minor) AS BIGINT) AS t FROM capital_income_allocations WHERE org_id = $1 AND fund_id = $2",
        "SELECT CAST(SUM(l.total_minor) AS BIGINT) AS t FROM distribution_lines l JOIN distributions d ON d.id = l.distribution_id WHERE d.org_id = $1 AND d.fund_id = $2",
    ] {
        tx.fetch_all(crate::q(sql).bind(org_id).bind(fund_id)).await?;
    }
    Ok(())
}

/// `clearway bench notifications`: an organization, a fund, `n` investors with an email each, a completed distribution with
/// a line per investor, and its `distribution.completed` event.
pub async fn bench_notifications_seed(db: &Db, n: usize) -> Result<(String, String), StoreError> {
    const T0: &str = "2026-01-01T00:00:00.000000Z";
    let (org, fund, dist) = ("org-bench".to_string(), "fund-bench", "dist-bench");
    let mut tx = db.begin().await?;
    tx.execute(
        q("INSERT INTO organizations (id, name, created_at) VALUES ($1, $1, $2)")
            .bind(&org)
            .bind(T0),
    )
    .await?;
    tx.execute(q("INSERT INTO users (id, org_id, name, email, role, created_at) VALUES ('user-bench', $1, 'Op', 'op@example.com', 'operator', $2)").bind(&org).bind(T0)).await?;
    tx.execute(q("INSERT INTO funds (id, org_id, code, name, kind, currency, share_precision, created_at) VALUES ($1, $2, 'B', 'Bench Income Fund', 'OPEN_END', 'USD', 4, $3)").bind(fund).bind(&org).bind(T0)).await?;
    tx.execute(q("INSERT INTO distributions (id, org_id, fund_id, kind, status, currency, declaration_date, record_date, payable_date, description, allocation, total_minor, line_count, created_by, created_at, updated_at, version)
                  VALUES ($1, $2, $3, 'REGULAR', 'COMPLETED', 'USD', '2026-03-02', '2026-03-16', '2026-03-31', 'bench', '{}', 0, 0, 'user-bench', $4, $4, 1)")
        .bind(dist).bind(&org).bind(fund).bind(T0)).await?;
    // Generated ids and numbers only: literal rows, 1,000 per statement.
    let ids: Vec<usize> = (0..n).collect();
    for chunk in ids.chunks(1_000) {
        let inv: Vec<String> = chunk.iter().map(|i| format!("('inv-{i:07}', '{org}', 'Investor {i}', 'INDIVIDUAL', 'US', 'investor{i}@bench.example', '{T0}')")).collect();
        tx.execute(q(format!("INSERT INTO investors (id, org_id, name, entity_type, tax_residence, email, created_at) VALUES {}", inv.join(", ")))).await?;
        let lines: Vec<String> = chunk.iter().map(|i| {
            let total = 10_000 + (*i as i64 % 5_000);
            format!("('{dist}', '{org}', 'inv-{i:07}', '100', {total}, {total}, 0, 0, 0, 0, 0, 0, 0, 'PAID', {total})")
        }).collect();
        tx.execute(q(format!("INSERT INTO distribution_lines (distribution_id, org_id, investor_id, units, total_minor, ordinary_minor, qualified_minor, st_gain_minor, lt_gain_minor, roc_minor, interest_minor, foreign_tax_minor, withholding_minor, status, cash_minor) VALUES {}", lines.join(", ")))).await?;
    }
    outbox::emit(
        &mut tx,
        &Actor::system(&org),
        "distribution.completed",
        "distribution",
        dist,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok((org, dist.to_string()))
}

/// Lines with anything withheld (the withholding bench checks the engine ran).
pub async fn bench_withheld_lines(db: &Db) -> Result<i64, StoreError> {
    Ok(db
        .fetch_optional(crate::q(
            "SELECT COUNT(*) AS n FROM line_withholdings WHERE federal_minor + state_minor <> 0",
        ))
        .await?
        .map(|r| r.i64("n"))
        .transpose()?
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            super::replace_db_name("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            super::replace_db_name("postgres://h/test?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(
            super::replace_db_name("postgres://h", "x"),
            "postgres://h/x"
        );
    }
}

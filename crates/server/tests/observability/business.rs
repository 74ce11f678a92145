//! The business gauges of `/metrics` after a known scenario: one distribution completed (its
//! lines and payments by rail), a stale due job, an undispatched outbox event, and statement
//! lines three of four matched.

use clearway_server::observability;
use clearway_server::platform::metrics;
use clearway_store::platform::metrics::snapshot;
use clearway_store::q;

use crate::helpers::{pro_rata, spawn_app};

/// The value of one exposition line `name{labels} value` (`labels` as written, or "").
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[tokio::test]
async fn business_gauges_count_the_database() {
    let mut app = spawn_app(3).await;
    let created = app.create(&pro_rata(&app, "30.00")).await;
    let id = created["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    let lines = app
        .count("SELECT COUNT(*) AS n FROM distribution_lines")
        .await;
    assert!(lines > 0);
    let s = snapshot(&app.db).await.unwrap();
    assert_eq!(s.distributions, vec![("COMPLETED".to_string(), 1, lines)]);
    let by_rail = app
        .db
        .fetch_all(q("SELECT status, method, COUNT(*) AS n FROM payments WHERE provider IS NULL GROUP BY status, method ORDER BY status, method"))
        .await
        .unwrap()
        .iter()
        .map(|r| (r.text("status").unwrap(), r.text("method").unwrap(), r.i64("n").unwrap()))
        .collect::<Vec<_>>();
    assert!(!by_rail.is_empty());
    assert_eq!(s.payments, by_rail);

    // With the workers stopped: a job due two minutes ago, an event written a minute ago and
    // never fanned out, and four statement lines of which three matched.
    app.stop_server().await;
    let now = chrono::Utc::now();
    let ago = |secs| clearway_store::time_text(now - chrono::Duration::seconds(secs));
    let org = app.seeded.org_id.clone();
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(q("UPDATE outbox SET dispatched_at = $1").bind(ago(1)))
        .await
        .unwrap();
    tx.execute(
        q("INSERT INTO jobs (id, org_id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at)
           VALUES ('job-stale', $1, 'noop', '{}', 'QUEUED', 0, 1, $2, $2, $2)")
        .bind(&org)
        .bind(ago(120)),
    )
    .await
    .unwrap();
    tx.execute(
        q("INSERT INTO outbox (id, org_id, event_type, aggregate_type, aggregate_id, payload, created_at)
           VALUES ('evt-late', $1, 'test.late', 'test', 'x', '{}', $2)")
        .bind(&org)
        .bind(ago(60)),
    )
    .await
    .unwrap();
    for (i, status) in ["MATCHED", "MATCHED", "MATCHED", "OPEN"].iter().enumerate() {
        tx.execute(
            q("INSERT INTO bank_statement_lines (id, org_id, statement_id, seq, account_id, currency, amount_minor, value_date, booking_date, description, type_code, reversal, source_line, raw, status, manual_only, created_at, updated_at)
               VALUES ($1, $2, 'st-1', $3, 'acct', 'USD', -100, '2026-03-31', '2026-03-31', 'x', 'DEBIT', 0, $3, 'x', $4, 0, $5, $5)")
            .bind(format!("line-{i}"))
            .bind(&org)
            .bind(i as i64)
            .bind(*status)
            .bind(ago(0)),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let s = snapshot(&app.db).await.unwrap();
    assert_eq!(s.outbox_undispatched, 1);
    assert_eq!(s.oldest_due_job, Some(ago(120)));
    assert_eq!(s.oldest_undispatched_event, Some(ago(60)));

    // The recorder is shared by every test in this binary: set and render until no other
    // test's scrape landed in between.
    let mut text = String::new();
    for _ in 0..50 {
        observability::business::set(&s, now);
        text = metrics::handle().render();
        if value(&text, "clearway_outbox_lag_seconds") == Some(60.0) {
            break;
        }
    }
    assert_eq!(
        value(&text, "clearway_distributions{status=\"COMPLETED\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, "clearway_distributions{status=\"DRAFT\"}"),
        Some(0.0)
    );
    assert_eq!(
        value(&text, "clearway_distribution_lines_processed"),
        Some(lines as f64)
    );
    for (status, method, n) in &by_rail {
        let series = format!("clearway_payments{{status=\"{status}\",rail=\"{method}\"}}");
        assert_eq!(value(&text, &series), Some(*n as f64), "{series}\n{text}");
    }
    assert_eq!(
        value(
            &text,
            "clearway_payments{status=\"RETURNED\",rail=\"WIRE\"}"
        ),
        Some(0.0)
    );
    assert_eq!(value(&text, "clearway_payment_returns"), Some(0.0));
    assert_eq!(
        value(&text, "clearway_reconciliation_match_rate"),
        Some(0.75)
    );
    assert_eq!(
        value(&text, "clearway_statement_lines{status=\"MATCHED\"}"),
        Some(3.0)
    );
    assert_eq!(
        value(&text, "clearway_job_oldest_due_age_seconds"),
        Some(120.0)
    );
    assert_eq!(value(&text, "clearway_outbox_undispatched"), Some(1.0));
    assert_eq!(value(&text, "clearway_outbox_lag_seconds"), Some(60.0));
    app.stop().await;
}

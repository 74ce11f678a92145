//! `clearway_app::payments::settle_many` (moved here from the store's tests with the
//! function) against the per-payment settlement it replaces (kept here as the
//! reference: one status transition, audit entry, outbox event and failure follow-up per
//! outcome) and against `clearway_app::payments::settle` per item, on identical fresh databases (SQLite, or
//! PostgreSQL with `TEST_DATABASE_URL=postgres://…`): the same payments, lines, payment
//! events, audit entries, outbox events and retry jobs, and the same refusals.

use chrono::NaiveDate;
use clearway_core::access::{Permission, Role};
use clearway_core::payments::{PaymentStatus, PAYMENT_ATTEMPTS_MAX};
use clearway_store::audit::{self, Change};
use clearway_store::db::Arg;
use clearway_store::payments::{self, SettledCounts, Settlement, Update};
use clearway_store::testing::{fresh_database, Fresh};
use clearway_store::{outbox, q, Actor, Db, DbOptions, StoreError, Tx};
use serde_json::json;

const ORG: &str = "org-a";
const OTHER_ORG: &str = "org-b";
const DIST: &str = "dist-a";
const INVESTORS: usize = 240;
const T0: &str = "2024-01-01T00:00:00.000000Z";

async fn fresh() -> Fresh {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    fresh_database(base.as_deref(), &DbOptions { max_connections: 2 })
        .await
        .expect("fresh database")
}

fn pay_id(i: usize, attempt: i64) -> String {
    format!("pay-{i:04}-{attempt}")
}

/// The situation of investor `i`'s line: its payments' (attempt, status) and its line status.
fn scenario(i: usize) -> (Vec<(i64, &'static str)>, &'static str) {
    match i % 10 {
        2 | 3 | 5 => (vec![(1, "COMPLETED")], "PAID"),
        7 => (vec![(PAYMENT_ATTEMPTS_MAX, "SENT")], "PAYMENT_INITIATED"),
        8 => (vec![(1, "RETURNED"), (2, "SENT")], "PAYMENT_INITIATED"),
        _ => (vec![(1, "SENT")], "PAYMENT_INITIATED"),
    }
}

/// The outcomes reported, in an order that is not the payments' order.
fn outcomes() -> Vec<(String, Settlement)> {
    let day = |d: u32| NaiveDate::from_ymd_opt(2024, 1, d).expect("date");
    let returned = |code: &str| Settlement::Returned {
        code: code.into(),
        reason: format!("credit back: {code}"),
    };
    let failed = |code: &str| Settlement::Failed {
        code: code.into(),
        reason: format!("rejected: {code}"),
    };
    let mut out = Vec::new();
    for i in (0..INVESTORS).rev() {
        let cleared = Settlement::Cleared {
            value_date: day(2 + (i % 5) as u32),
        };
        match i % 10 {
            0 => out.push((pay_id(i, 1), cleared)),
            1 => out.push((
                pay_id(i, 1),
                failed(if i % 20 == 1 {
                    "TIMEOUT"
                } else {
                    "BAD_ACCOUNT"
                }),
            )),
            2 => out.push((pay_id(i, 1), returned("R03"))),
            3 => out.push((pay_id(i, 1), returned("R01"))),
            4 => {
                // Cleared and returned in one call: two changes, ends RETURNED.
                out.push((pay_id(i, 1), cleared));
                out.push((pay_id(i, 1), returned("R10")));
            }
            5 => out.push((pay_id(i, 1), cleared)), // already COMPLETED: unchanged
            6 => {
                out.push((pay_id(i, 1), cleared.clone()));
                out.push((pay_id(i, 1), cleared)); // the second is unchanged
            }
            7 => out.push((pay_id(i, PAYMENT_ATTEMPTS_MAX), failed("TIMEOUT"))),
            8 => out.push((pay_id(i, 2), cleared)),
            _ => out.push((pay_id(i, 1), returned("BANK_RETURN"))),
        }
    }
    out
}

/// The per-payment `settle` as it was before `settle_many` (5+ statements per payment).
async fn reference_settle(
    tx: &mut Tx,
    actor: &Actor,
    payment_id: &str,
    settlement: &Settlement,
) -> Result<bool, StoreError> {
    actor.require(Permission::Operate)?;
    let current = payments::get_tx(
        tx,
        &Actor {
            investor_id: None,
            ..actor.clone()
        },
        payment_id,
    )
    .await?;
    let (status, update, event) = match settlement {
        Settlement::Cleared { value_date } => (
            PaymentStatus::Completed,
            Update {
                cleared_date: Some(value_date.to_string()),
                reason: Some("cleared".into()),
                ..Update::default()
            },
            "payment.completed",
        ),
        Settlement::Returned { code, reason } => (
            PaymentStatus::Returned,
            Update {
                code: Some(code.clone()),
                reason: Some(reason.clone()),
                ..Update::default()
            },
            "payment.returned",
        ),
        Settlement::Failed { code, reason } => (
            PaymentStatus::Failed,
            Update {
                code: Some(code.clone()),
                reason: Some(reason.clone()),
                ..Update::default()
            },
            "payment.failed",
        ),
    };
    if current.status == status {
        return Ok(false);
    }
    if !current.status.can_become(status) {
        return Err(StoreError::Conflict(format!(
            "payment {payment_id} is {}; it cannot become {status}",
            current.status
        )));
    }
    let updated = payments::transition(tx, actor, &current, status, &update).await?;
    let after = json!({ "status": status.as_str(), "clearedDate": update.cleared_date, "failureCode": update.code, "failureReason": update.reason });
    audit::record(
        tx,
        actor,
        Change {
            action: event,
            entity_type: "payment",
            entity_id: payment_id,
            before: Some(json!({ "status": current.status.as_str() })),
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        event,
        "payment",
        payment_id,
        json!({ "paymentId": payment_id, "distributionId": updated.distribution_id, "investorId": updated.investor_id, "attempt": updated.attempt, "result": after }),
    )
    .await?;
    if matches!(status, PaymentStatus::Failed | PaymentStatus::Returned) {
        payments::after_failure(tx, actor, &updated).await?;
    }
    Ok(true)
}

async fn seed(db: &Db) {
    let mut tx = db.begin().await.expect("begin");
    for org in [ORG, OTHER_ORG] {
        tx.execute(
            q("INSERT INTO organizations (id, name, created_at) VALUES ($1, $1, $2)")
                .bind(org)
                .bind(T0),
        )
        .await
        .expect("organization");
        tx.execute(
            q("INSERT INTO users (id, org_id, name, email, role, created_at) VALUES ($1, $2, 'Op', 'op@example.com', 'operator', $3)")
                .bind(format!("user-{org}"))
                .bind(org)
                .bind(T0),
        )
        .await
        .expect("user");
        tx.execute(
            q("INSERT INTO funds (id, org_id, code, name, kind, currency, share_precision, created_at) VALUES ($1, $2, 'F', 'Fund', 'OPEN_END', 'USD', 4, $3)")
                .bind(format!("fund-{org}"))
                .bind(org)
                .bind(T0),
        )
        .await
        .expect("fund");
    }
    let investor_rows: Vec<Vec<Arg>> = (0..=INVESTORS)
        .map(|i| {
            let org = if i == INVESTORS { OTHER_ORG } else { ORG };
            vec![
                format!("inv-{i:04}").into(),
                org.into(),
                format!("Investor {i}").into(),
                "INDIVIDUAL".into(),
                "US".into(),
                T0.into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "investors",
        &[
            "id",
            "org_id",
            "name",
            "entity_type",
            "tax_residence",
            "created_at",
        ],
        &investor_rows,
    )
    .await
    .expect("investors");
    for (dist, org) in [(DIST, ORG), ("dist-b", OTHER_ORG)] {
        tx.execute(
            q("INSERT INTO distributions (id, org_id, fund_id, kind, status, currency, declaration_date, record_date, payable_date, description, allocation, total_minor, line_count, created_by, created_at, updated_at, version)
               VALUES ($1, $2, $3, 'REGULAR', 'COMPLETED', 'USD', '2023-12-01', '2023-12-15', '2024-01-02', 'test', '{}', 0, 0, $4, $5, $5, 1)")
                .bind(dist)
                .bind(org)
                .bind(format!("fund-{org}"))
                .bind(format!("user-{org}"))
                .bind(T0),
        )
        .await
        .expect("distribution");
    }
    let mut lines = Vec::new();
    let mut pays = Vec::new();
    for i in 0..=INVESTORS {
        let (dist, org, (payments, line_status)) = if i == INVESTORS {
            (
                "dist-b",
                OTHER_ORG,
                (vec![(1, "SENT")], "PAYMENT_INITIATED"),
            )
        } else {
            (DIST, ORG, scenario(i))
        };
        let amount = 10_000 + i as i64;
        lines.push(vec![
            dist.into(),
            org.into(),
            format!("inv-{i:04}").into(),
            amount.into(),
            amount.into(),
            0i64.into(),
            0i64.into(),
            0i64.into(),
            0i64.into(),
            0i64.into(),
            0i64.into(),
            0i64.into(),
            line_status.into(),
        ]);
        for (attempt, status) in payments {
            let done = status == "COMPLETED";
            let returned = status == "RETURNED";
            pays.push(vec![
                pay_id(i, attempt).into(),
                org.into(),
                dist.into(),
                format!("inv-{i:04}").into(),
                "ACH".into(),
                status.into(),
                "USD".into(),
                amount.into(),
                amount.into(),
                format!("Investor {i}").into(),
                format!("0210000{i:08}{attempt}").into(),
                "2024-01-02".into(),
                done.then(|| "2024-01-03".to_string()).into(),
                returned.then(|| "R01".to_string()).into(),
                attempt.into(),
                T0.into(),
                T0.into(),
                3i64.into(),
            ]);
        }
    }
    tx.bulk_insert(
        "distribution_lines",
        &[
            "distribution_id",
            "org_id",
            "investor_id",
            "total_minor",
            "ordinary_minor",
            "qualified_minor",
            "st_gain_minor",
            "lt_gain_minor",
            "roc_minor",
            "interest_minor",
            "foreign_tax_minor",
            "withholding_minor",
            "status",
        ],
        &lines,
    )
    .await
    .expect("lines");
    tx.bulk_insert(
        "payments",
        &[
            "id",
            "org_id",
            "distribution_id",
            "investor_id",
            "method",
            "status",
            "currency",
            "amount_minor",
            "fund_amount_minor",
            "payee_name",
            "trace_number",
            "expected_date",
            "cleared_date",
            "failure_code",
            "attempt",
            "created_at",
            "updated_at",
            "version",
        ],
        &pays,
    )
    .await
    .expect("payments");
    tx.commit().await.expect("commit");
}

fn operator() -> Actor {
    Actor {
        user_id: format!("user-{ORG}"),
        org_id: ORG.into(),
        role: Role::Operator,
        investor_id: None,
    }
}

/// Rows of `sql` as text (every selected column must be TEXT or cast to it).
async fn dump(db: &Db, sql: &str, columns: &[&str]) -> Vec<Vec<Option<String>>> {
    db.fetch_all(q(sql.to_string()))
        .await
        .expect(sql)
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| r.opt_text(c).expect(c))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Everything settling writes, without generated ids and clock readings.
async fn snapshot(db: &Db) -> Vec<(&'static str, Vec<Vec<Option<String>>>)> {
    let payment_cols = [
        "id",
        "org_id",
        "status",
        "cleared_date",
        "failure_code",
        "failure_reason",
        "review_reason",
        "hold_reason",
        "attempt",
        "version",
        "touched",
    ];
    let payments = dump(
        db,
        "SELECT id, org_id, status, cleared_date, failure_code, failure_reason, review_reason, hold_reason,
                CAST(attempt AS TEXT) AS attempt, CAST(version AS TEXT) AS version,
                CASE WHEN updated_at = created_at THEN 'no' ELSE 'yes' END AS touched
         FROM payments ORDER BY id",
        &payment_cols,
    )
    .await;
    let lines = dump(
        db,
        "SELECT distribution_id, investor_id, status FROM distribution_lines ORDER BY distribution_id, investor_id",
        &["distribution_id", "investor_id", "status"],
    )
    .await;
    // Events of one call share a time; compare them as a multiset.
    let mut events = dump(
        db,
        "SELECT org_id, payment_id, CAST(attempt AS TEXT) AS attempt, from_status, to_status, code, reason FROM payment_events",
        &["org_id", "payment_id", "attempt", "from_status", "to_status", "code", "reason"],
    )
    .await;
    events.sort();
    // Audit entries and outbox events: in the same order.
    let audit = dump(
        db,
        "SELECT org_id, actor_id, action, entity_type, entity_id, before_json, after_json, request_id FROM audit_log ORDER BY seq",
        &["org_id", "actor_id", "action", "entity_type", "entity_id", "before_json", "after_json", "request_id"],
    )
    .await;
    let outbox = dump(
        db,
        "SELECT org_id, event_type, aggregate_type, aggregate_id, payload, dispatched_at FROM outbox ORDER BY seq",
        &["org_id", "event_type", "aggregate_type", "aggregate_id", "payload", "dispatched_at"],
    )
    .await;
    let jobs = dump(
        db,
        "SELECT org_id, kind, payload, dedupe_key, status, CAST(attempts AS TEXT) AS attempts, CAST(max_attempts AS TEXT) AS max_attempts FROM jobs ORDER BY dedupe_key",
        &["org_id", "kind", "payload", "dedupe_key", "status", "attempts", "max_attempts"],
    )
    .await;
    let stage = dump(
        db,
        "SELECT stage_id, payment_id FROM payment_settlement_stage",
        &["stage_id", "payment_id"],
    )
    .await;
    vec![
        ("payments", payments),
        ("distribution_lines", lines),
        ("payment_events", events),
        ("audit_log", audit),
        ("outbox", outbox),
        ("jobs", jobs),
        ("payment_settlement_stage", stage),
    ]
}

fn find<'a>(
    snap: &'a [(&'static str, Vec<Vec<Option<String>>>)],
    table: &str,
) -> &'a [Vec<Option<String>>] {
    &snap.iter().find(|(t, _)| *t == table).expect(table).1
}

fn text(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// How a set of outcomes is recorded.
#[derive(Debug, Clone, Copy)]
enum Way {
    /// The per-payment code `settle_many` replaces.
    Reference,
    /// Today's `settle`, once per outcome.
    Settle,
    /// One `settle_many` call.
    Bulk,
}

/// Seeds a fresh database, records `items` the given way, and returns what it did and wrote.
async fn record(
    way: Way,
    items: &[(String, Settlement)],
) -> (SettledCounts, Vec<(&'static str, Vec<Vec<Option<String>>>)>) {
    let actor = operator();
    let fresh = fresh().await;
    seed(&fresh.db).await;
    let mut tx = fresh.db.begin().await.expect("begin");
    let mut counts = SettledCounts::default();
    match way {
        Way::Reference | Way::Settle => {
            for (id, settlement) in items {
                let applied = match way {
                    Way::Reference => reference_settle(&mut tx, &actor, id, settlement).await,
                    _ => clearway_app::payments::settle(&mut tx, &actor, id, settlement).await,
                }
                .expect("settle");
                if applied {
                    counts.applied += 1;
                } else {
                    counts.unchanged += 1;
                }
            }
        }
        Way::Bulk => {
            counts = clearway_app::payments::settle_many(&mut tx, &actor, items)
                .await
                .expect("settle_many");
        }
    }
    tx.commit().await.expect("commit");
    let snap = snapshot(&fresh.db).await;
    fresh.drop_database().await;
    (counts, snap)
}

#[tokio::test]
async fn settle_many_writes_exactly_what_settle_per_payment_writes() {
    let items = outcomes();
    let (expected, want) = record(Way::Reference, &items).await;

    // Not vacuous: what the outcomes must have done.
    let n = INVESTORS / 10;
    assert_eq!(
        expected.unchanged,
        2 * n,
        "already COMPLETED, and cleared twice"
    );
    assert_eq!(expected.applied, items.len() - 2 * n);
    assert_eq!(find(&want, "payment_events").len(), expected.applied);
    assert_eq!(find(&want, "audit_log").len(), expected.applied);
    assert_eq!(find(&want, "outbox").len(), expected.applied);
    let jobs = find(&want, "jobs");
    // Transient failures with attempts left: TIMEOUT (half of group 1), R01. A BANK_RETURN
    // (no R-code) needs new details: review, never an automatic retry (issue 14).
    assert_eq!(jobs.len(), n / 2 + n, "{jobs:?}");
    let pay = |snap: &[(&'static str, Vec<Vec<Option<String>>>)], id: &str| {
        find(snap, "payments")
            .iter()
            .find(|r| r[0].as_deref() == Some(id))
            .expect(id)
            .clone()
    };
    // Cleared then returned in one go: RETURNED, cleared date kept, version +2 for the two
    // changes and +1 for the review (R10 is a refusal).
    let p = pay(&want, &pay_id(4, 1));
    assert_eq!(
        (&p[2], &p[3], &p[4], &p[9]),
        (
            &text("RETURNED"),
            &text("2024-01-06"),
            &text("R10"),
            &text("6")
        )
    );
    assert!(p[6]
        .as_deref()
        .is_some_and(|r| r.starts_with("REFUSED: R10")));
    let p = pay(&want, &pay_id(2, 1));
    assert_eq!(p[2], text("RETURNED"));
    assert!(
        p[6].as_deref()
            .is_some_and(|r| r.starts_with("BAD_ACCOUNT: R03")),
        "{p:?}"
    );
    let p = pay(&want, &pay_id(7, PAYMENT_ATTEMPTS_MAX));
    assert!(
        p[6].as_deref()
            .is_some_and(|r| r.starts_with("RETRIES_EXHAUSTED")),
        "{p:?}"
    );
    let line = |snap: &[(&'static str, Vec<Vec<Option<String>>>)], i: usize| {
        find(snap, "distribution_lines")
            .iter()
            .find(|r| r[1] == text(&format!("inv-{i:04}")))
            .expect("line")[2]
            .clone()
    };
    assert_eq!(line(&want, 0), text("PAID"));
    assert_eq!(line(&want, 4), text("FAILED"));
    assert_eq!(line(&want, 8), text("PAID"), "the retry cleared");
    assert!(find(&want, "payment_settlement_stage").is_empty());

    // The comparison itself, table by table: one bulk call, and today's settle per outcome.
    for way in [Way::Bulk, Way::Settle] {
        let (counts, got) = record(way, &items).await;
        assert_eq!(counts, expected, "{way:?}");
        for ((table, w), (_, g)) in want.iter().zip(&got) {
            assert_eq!(w.len(), g.len(), "{way:?} {table}: row counts differ");
            for (k, (wr, gr)) in w.iter().zip(g).enumerate() {
                assert_eq!(wr, gr, "{way:?} {table}: row {k} differs");
            }
        }
    }
}

#[tokio::test]
async fn settle_many_refuses_as_settle_does_and_writes_nothing() {
    let fresh = fresh().await;
    seed(&fresh.db).await;
    let db = &fresh.db;
    let actor = operator();
    let before = snapshot(db).await;
    let cleared = Settlement::Cleared {
        value_date: NaiveDate::from_ymd_opt(2024, 1, 3).expect("date"),
    };
    let fail = Settlement::Failed {
        code: "TIMEOUT".into(),
        reason: "late".into(),
    };
    // A COMPLETED payment cannot fail: the whole call is refused with settle's message.
    let illegal = (pay_id(2, 1), fail.clone());
    let mut tx = db.begin().await.expect("begin");
    let single = clearway_app::payments::settle(&mut tx, &actor, &illegal.0, &illegal.1)
        .await
        .expect_err("COMPLETED → FAILED");
    drop(tx);
    assert!(matches!(single, StoreError::Conflict(_)), "{single:?}");
    assert_eq!(
        single.to_string(),
        format!(
            "payment {} is COMPLETED; it cannot become FAILED",
            pay_id(2, 1)
        )
    );
    let batch = vec![
        (pay_id(0, 1), cleared.clone()),
        illegal.clone(),
        (pay_id(10, 1), cleared.clone()),
    ];
    let mut tx = db.begin().await.expect("begin");
    let err = clearway_app::payments::settle_many(&mut tx, &actor, &batch)
        .await
        .expect_err("refused");
    assert_eq!(err.to_string(), single.to_string());
    // Nothing was written, not even scratch rows, even if the caller carried on.
    tx.commit().await.expect("commit");
    assert_eq!(snapshot(db).await, before);

    // Cleared, then failed: refused at the second, as one settle after another would be.
    let mut tx = db.begin().await.expect("begin");
    let err = clearway_app::payments::settle_many(
        &mut tx,
        &actor,
        &[
            (pay_id(0, 1), cleared.clone()),
            (pay_id(0, 1), fail.clone()),
        ],
    )
    .await
    .expect_err("refused");
    drop(tx);
    assert_eq!(
        err.to_string(),
        format!(
            "payment {} is COMPLETED; it cannot become FAILED",
            pay_id(0, 1)
        )
    );

    // Unknown ids and another organization's payments are not found.
    for missing in ["pay-nope".to_string(), pay_id(INVESTORS, 1)] {
        let mut tx = db.begin().await.expect("begin");
        let err = clearway_app::payments::settle_many(
            &mut tx,
            &actor,
            &[
                (pay_id(0, 1), cleared.clone()),
                (missing.clone(), cleared.clone()),
            ],
        )
        .await
        .expect_err("not found");
        drop(tx);
        assert!(
            matches!(err, StoreError::NotFound("payment")),
            "{missing}: {err:?}"
        );
    }

    // Roles that may not operate are refused before anything is read.
    for role in [Role::Auditor, Role::Approver, Role::Investor] {
        let actor = Actor {
            role,
            investor_id: (role == Role::Investor).then(|| "inv-0000".to_string()),
            ..operator()
        };
        let mut tx = db.begin().await.expect("begin");
        let err = clearway_app::payments::settle_many(
            &mut tx,
            &actor,
            &[(pay_id(0, 1), cleared.clone())],
        )
        .await
        .expect_err("forbidden");
        drop(tx);
        assert!(matches!(err, StoreError::Forbidden(_)), "{role:?}: {err:?}");
    }
    assert_eq!(snapshot(db).await, before);

    // Nothing to change: no rows, no scratch rows; an empty call is fine too.
    let mut tx = db.begin().await.expect("begin");
    let counts =
        clearway_app::payments::settle_many(&mut tx, &actor, &[(pay_id(2, 1), cleared.clone())])
            .await
            .expect("no-op");
    assert_eq!(
        counts,
        SettledCounts {
            applied: 0,
            unchanged: 1
        }
    );
    let counts = clearway_app::payments::settle_many(&mut tx, &actor, &[])
        .await
        .expect("empty");
    assert_eq!(counts, SettledCounts::default());
    tx.commit().await.expect("commit");
    assert_eq!(snapshot(db).await, before);
    fresh.drop_database().await;
}

/// `settle_read` with rows read before another writer changed one of them (as a matching
/// run's candidates could be): the whole call is refused naming that payment, and nothing is
/// written; with fresh rows it writes what `settle_many` writes.
#[tokio::test]
async fn settle_read_refuses_a_payment_changed_since_it_was_read() {
    let fresh = fresh().await;
    let db = &fresh.db;
    seed(db).await;
    let actor = operator();
    let day = NaiveDate::from_ymd_opt(2024, 1, 3).expect("date");
    let items: Vec<(String, Settlement)> = [0, 1, 4]
        .iter()
        .map(|i| (pay_id(*i, 1), Settlement::Cleared { value_date: day }))
        .collect();
    let ids: Vec<&str> = items.iter().map(|(id, _)| id.as_str()).collect();
    let mut tx = db.begin().await.expect("begin");
    let read = payments::settling(&mut tx, &actor, &ids)
        .await
        .expect("read");
    drop(tx);
    db.execute_script(&format!(
        "UPDATE payments SET version = version + 1 WHERE id = '{}'",
        pay_id(1, 1)
    ))
    .await
    .expect("concurrent change");
    let before = snapshot(db).await;
    let mut tx = db.begin().await.expect("begin");
    let err = clearway_app::payments::settle_read(&mut tx, &actor, read, &items)
        .await
        .expect_err("stale");
    drop(tx);
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains(&pay_id(1, 1))),
        "{err:?}"
    );
    assert_eq!(snapshot(db).await, before);

    let mut tx = db.begin().await.expect("begin");
    let read = payments::settling(&mut tx, &actor, &ids)
        .await
        .expect("read");
    let counts = clearway_app::payments::settle_read(&mut tx, &actor, read, &items)
        .await
        .expect("fresh rows");
    tx.commit().await.expect("commit");
    assert_eq!(counts.applied, 3);
    let statuses = dump(
        db,
        "SELECT status FROM payments WHERE id IN ('pay-0000-1','pay-0001-1','pay-0004-1') ORDER BY id",
        &["status"],
    )
    .await;
    assert_eq!(statuses, vec![vec![Some("COMPLETED".to_string())]; 3]);
    fresh.drop_database().await;
}

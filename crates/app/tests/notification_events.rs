//! The engine's reinvestment notice, the reinvestment section of the processed notice, the
//! unsubscribe link of each email, and the PDF notice attached to the processed email.
//! SQLite, or PostgreSQL with `TEST_DATABASE_URL=postgres://…`.

mod support;

use std::time::Duration;

use clearway_app::notifications::channels::smtp::{SmtpSender, SmtpSettings};
use clearway_app::notifications::engine::{self, EngineSettings};
use clearway_app::notifications::send::{self, EmailSender, SenderSettings};
use clearway_app::notifications::unsubscribe;
use clearway_store::{new_id, outbox, q, Actor, Backend, Db};
use serde_json::{json, Value};
use support::{emit, free_port, fresh, Sink};

const T0: &str = "2026-01-01T00:00:00.000000Z";
const KEY: &[u8] = b"test-unsubscribe-key";

/// A line's reinvestment: (reinvestable, cost, shares, NAV).
type Drip<'a> = (i64, i64, &'a str, &'a str);

fn settings() -> EngineSettings {
    EngineSettings {
        portal_url: "https://portal.example/".into(),
        unsubscribe_key: KEY.to_vec(),
        ..EngineSettings::default()
    }
}

/// An organization, a fund and a completed distribution with one line per investor
/// (name, email, reinvested: (reinvestable, cost, shares, nav) or cash); returns (org, dist).
async fn distribution(db: &Db, investors: &[(&str, &str, Option<Drip<'_>>)]) -> (String, String) {
    let org = format!("org-{}", new_id());
    let fund = format!("fund-{}", new_id());
    let dist = format!("dist-{}", new_id());
    let mut tx = db.begin().await.unwrap();
    tx.execute(
        q("INSERT INTO organizations (id, name, created_at) VALUES ($1, $1, $2)")
            .bind(&org)
            .bind(T0),
    )
    .await
    .unwrap();
    tx.execute(q("INSERT INTO users (id, org_id, name, email, role, created_at) VALUES ($1, $2, 'Op', 'op@example.com', 'operator', $3)").bind(format!("user-{org}")).bind(&org).bind(T0)).await.unwrap();
    tx.execute(q("INSERT INTO funds (id, org_id, code, name, kind, currency, share_precision, created_at) VALUES ($1, $2, 'F', 'Harbor Income Fund', 'OPEN_END', 'USD', 4, $3)").bind(&fund).bind(&org).bind(T0)).await.unwrap();
    tx.execute(q("INSERT INTO distributions (id, org_id, fund_id, kind, status, currency, declaration_date, record_date, payable_date, description, allocation, total_minor, line_count, created_by, created_at, updated_at, version)
                  VALUES ($1, $2, $3, 'REGULAR', 'COMPLETED', 'USD', '2026-03-02', '2026-03-16', '2026-03-31', 'Q1', '{}', 0, 0, $4, $5, $5, 1)")
        .bind(&dist).bind(&org).bind(&fund).bind(format!("user-{org}")).bind(T0)).await.unwrap();
    for (i, (name, email, drip)) in investors.iter().enumerate() {
        let inv = format!("{org}-inv-{i:03}");
        tx.execute(q("INSERT INTO investors (id, org_id, name, entity_type, tax_residence, email, created_at) VALUES ($1, $2, $3, 'INDIVIDUAL', 'US', $4, $5)")
            .bind(&inv).bind(&org).bind(*name).bind(*email).bind(T0)).await.unwrap();
        let total = 100_000;
        let reinvested = drip.map_or(0, |d| d.1);
        tx.execute(q("INSERT INTO distribution_lines (distribution_id, org_id, investor_id, units, total_minor, ordinary_minor, qualified_minor, st_gain_minor, lt_gain_minor, roc_minor, interest_minor, foreign_tax_minor, withholding_minor, status, reinvested_minor, cash_minor)
                      VALUES ($1, $2, $3, '100', $4, $4, 0, 0, 0, 0, 0, 0, 0, 'PAID', $5, $6)")
            .bind(&dist).bind(&org).bind(&inv).bind(total).bind(reinvested).bind(total - reinvested)).await.unwrap();
        if let Some((reinvestable, cost, shares, nav)) = drip {
            tx.execute(q("INSERT INTO reinvestments (distribution_id, investor_id, org_id, kind, fund_id, election, percentage, reinvestable_minor, cost_minor, shares, nav, nav_date, nav_rule, lot_id)
                          VALUES ($1, $2, $3, 'REINVEST', $4, 'AUTOMATIC', '100', $5, $6, $7, $8, '2026-03-31', 'EXACT', $9)")
                .bind(&dist).bind(&inv).bind(&org).bind(&fund).bind(*reinvestable).bind(*cost).bind(*shares).bind(*nav).bind(new_id())).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    (org, dist)
}

/// (investor, status, context) of the messages of one kind and channel, by investor.
async fn messages(db: &Db, org: &str, kind: &str, channel: &str) -> Vec<(String, String, Value)> {
    db.fetch_all(
        q("SELECT investor_id, status, context FROM notification_messages WHERE org_id = $1 AND event_kind = $2 AND channel = $3 ORDER BY investor_id, created_at")
            .bind(org)
            .bind(kind)
            .bind(channel),
    )
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.text("investor_id").unwrap(),
            r.text("status").unwrap(),
            serde_json::from_str(&r.text("context").unwrap()).unwrap(),
        )
    })
    .collect()
}

#[tokio::test]
async fn a_reinvestment_notifies_only_the_reinvested_lines_with_shares_nav_and_residual() {
    let fresh = fresh().await;
    let db = &fresh.db;
    let (org, dist) = distribution(
        db,
        &[
            (
                "Ann Lee",
                "ann@example.com",
                Some((100_000, 99_987, "8.3333", "11.9980")),
            ),
            ("Bob Cash", "bob@example.com", None),
        ],
    )
    .await;
    emit(db, &org, "distribution.reinvested", &dist).await;
    emit(db, &org, "distribution.completed", &dist).await;
    let pass = engine::run_once(db, &settings()).await.unwrap();
    assert_eq!(
        (pass.events, pass.counts.queued, pass.counts.in_app),
        (2, 3, 3)
    );

    let done = messages(db, &org, "reinvestment.done", "email").await;
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].0, format!("{org}-inv-000"));
    let r = &done[0].2["reinvestment"];
    assert_eq!(r["reinvestedMinor"], 99_987);
    assert_eq!(r["residualMinor"], 13);
    assert_eq!(r["shares"], "8.3333");
    assert_eq!(r["nav"], "11.9980");
    assert_eq!(r["navDate"], "2026-03-31");

    let processed = messages(db, &org, "distribution.processed", "email").await;
    assert_eq!(processed.len(), 2);
    assert_eq!(processed[0].2["reinvestment"]["reinvestedMinor"], 99_987);
    assert!(
        processed[1].2["reinvestment"].is_null(),
        "{:?}",
        processed[1].2
    );
    let inbox = db
        .fetch_all(q("SELECT title FROM notifications WHERE org_id = $1 AND event_kind = 'reinvestment.done'").bind(&org))
        .await
        .unwrap();
    assert_eq!(inbox.len(), 1);
    fresh.drop_database().await;
}

#[tokio::test]
async fn the_emails_unsubscribe_link_turns_that_notice_off_by_email() {
    let fresh = fresh().await;
    let db = &fresh.db;
    let (org, dist) = distribution(db, &[("Ann Lee", "ann@example.com", None)]).await;
    emit(db, &org, "distribution.completed", &dist).await;
    engine::run_once(db, &settings()).await.unwrap();
    let first = messages(db, &org, "distribution.processed", "email").await;
    assert_eq!(first[0].1, "queued");
    let url = first[0].2["unsubscribeUrl"].as_str().unwrap().to_string();
    let token = url
        .strip_prefix("https://portal.example/unsubscribe?token=")
        .unwrap_or_else(|| panic!("{url}"));
    let now = chrono::Utc::now().timestamp();
    let (claim, changed) = unsubscribe::unsubscribe(db, KEY, token, now).await.unwrap();
    assert!(changed);
    assert_eq!(claim.investor_id, format!("{org}-inv-000"));
    assert!(claim.expires_at > now + 59 * 24 * 3600, "{claim:?}");

    // The same notice of a later event: email off, in-app still on.
    emit(db, &org, "distribution.completed", &dist).await;
    let pass = engine::run_once(db, &settings()).await.unwrap();
    assert_eq!((pass.counts.queued, pass.counts.in_app), (0, 1));
    let after = messages(db, &org, "distribution.processed", "email").await;
    assert_eq!(after.len(), 2);
    assert_eq!(after[1].1, "skipped");
    // Without a key the engine writes no link.
    let (org2, dist2) = distribution(db, &[("Cy", "cy@example.com", None)]).await;
    emit(db, &org2, "distribution.completed", &dist2).await;
    engine::run_once(db, &EngineSettings::default())
        .await
        .unwrap();
    assert!(
        messages(db, &org2, "distribution.processed", "email").await[0].2["unsubscribeUrl"]
            .is_null()
    );
    fresh.drop_database().await;
}

/// The SMTP sink as a child process, killed on drop.
#[tokio::test]
async fn the_processed_email_carries_the_pdf_notice_and_its_unsubscribe_headers() {
    let fresh = fresh().await;
    let db = &fresh.db;
    let port = free_port();
    let sink = Sink::start(port);
    let smtp = EmailSender::Smtp(
        SmtpSender::new(&SmtpSettings {
            url: format!("smtp://127.0.0.1:{port}"),
            message_id_domain: "clearway.test".into(),
            pool_size: 1,
            timeout: Duration::from_secs(5),
        })
        .unwrap(),
    );
    let (org, dist) = distribution(
        db,
        &[
            ("Ann Lee", "ann@example.com", None),
            ("Bob Roe", "bob@example.com", None),
        ],
    )
    .await;
    emit(db, &org, "distribution.completed", &dist).await;
    engine::run_once(db, &settings()).await.unwrap();
    // Bob's stored facts name a distribution that is not there: his PDF cannot be built,
    // and the email goes without it rather than not at all.
    let mut tx = db.begin().await.unwrap();
    tx.execute(
        q("UPDATE notification_messages SET context = REPLACE(context, $1, 'dist-gone') WHERE investor_id = $2")
            .bind(&dist)
            .bind(format!("{org}-inv-001")),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let sender = SenderSettings::default();
    let mut sent = Vec::new();
    while let Some((m, status)) = send::send_next_email(db, &smtp, &sender, "w1")
        .await
        .unwrap()
    {
        sent.push((m.address.unwrap_or_default(), status));
    }
    sent.sort();
    assert_eq!(
        sent,
        vec![
            ("ann@example.com".to_string(), "sent"),
            ("bob@example.com".to_string(), "sent")
        ]
    );
    let mails = sink.mails();
    let to = |a: &str| {
        mails
            .iter()
            .find(|m| m.starts_with(&format!("X-Sink-Rcpt: {a}\r\n")))
            .unwrap()
    };
    let ann = to("ann@example.com");
    assert!(ann.contains("application/pdf"), "{ann}");
    assert!(
        ann.contains("List-Unsubscribe: <https://portal.example/unsubscribe?token="),
        "{ann}"
    );
    assert!(
        ann.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{ann}"
    );
    let bob = to("bob@example.com");
    assert!(!bob.contains("application/pdf"), "{bob}");
    assert!(bob.contains("was paid"), "{bob}");
    let docs = db
        .fetch_all(
            q("SELECT version FROM documents WHERE org_id = $1 AND format = 'pdf'").bind(&org),
        )
        .await
        .unwrap();
    assert_eq!(docs.len(), 1, "stored once");
    drop(sink);
    fresh.drop_database().await;
}

#[tokio::test]
async fn a_tax_summary_pdf_tells_its_investor_and_other_documents_tell_nobody() {
    let fresh = fresh().await;
    let db = &fresh.db;
    let (org, _) = distribution(db, &[("Ann Lee", "ann@example.com", None)]).await;
    let investor = format!("{org}-inv-000");
    for (kind, key, format) in [
        ("taxSummary", "2026", "pdf"),
        ("taxSummary", "2026", "xlsx"),
        ("statement", "2026-01-01..2026-03-31", "pdf"),
    ] {
        let mut tx = db.begin().await.unwrap();
        let data = json!({ "investorId": investor, "kind": kind, "subjectKey": key, "format": format, "version": 1 });
        outbox::emit(
            &mut tx,
            &Actor::system(&org),
            "document.created",
            "document",
            &new_id(),
            data,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let pass = engine::run_once(db, &settings()).await.unwrap();
    assert_eq!(
        (pass.events, pass.counts.queued, pass.counts.in_app),
        (3, 1, 1)
    );
    let ready = messages(db, &org, "taxDocument.ready", "email").await;
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].0, investor);
    assert_eq!(ready[0].2["taxDocument"]["year"], 2026);
    assert_eq!(ready[0].2["taxDocument"]["form"], "Tax summary");
    fresh.drop_database().await;
}

/// (role, address, status, toPreviousContact) of the emails of bank-account events.
async fn bank_emails(db: &Db, org: &str) -> Vec<(String, String, String, Value)> {
    db.fetch_all(
        q("SELECT investor_id, recipient_role, address, status, context FROM notification_messages WHERE org_id = $1 AND event_kind = 'bankAccount.changed' AND channel = 'email' ORDER BY investor_id, recipient_role")
            .bind(org),
    )
    .await
    .unwrap()
    .iter()
    .map(|r| {
        let ctx: Value = serde_json::from_str(&r.text("context").unwrap()).unwrap();
        (
            r.text("recipient_role").unwrap(),
            r.opt_text("address").unwrap().unwrap_or_default(),
            r.text("status").unwrap(),
            ctx["bankAccount"]["toPreviousContact"].clone(),
        )
    })
    .collect()
}

#[tokio::test]
async fn a_bank_account_change_also_warns_the_email_replaced_within_thirty_days() {
    let fresh = fresh().await;
    let db = &fresh.db;
    let (org, _) = distribution(
        db,
        &[
            ("Ann Lee", "ann.new@example.com", None),
            ("Bob Roe", "bob.new@example.com", None),
            ("Cy", "cy@example.com", None),
        ],
    )
    .await;
    let inv = |i: usize| format!("{org}-inv-{i:03}");
    let actor = Actor::system(&org);
    let mut tx = db.begin().await.unwrap();
    for (i, old) in [(0, "ann.old@example.com"), (1, "bob.old@example.com")] {
        let data = json!({"investorId": inv(i), "before": {"email": old}, "after": {"email": format!("{}", if i == 0 { "ann.new@example.com" } else { "bob.new@example.com" })}});
        outbox::emit(
            &mut tx,
            &actor,
            "investor.contact_changed",
            "investor",
            &inv(i),
            data,
        )
        .await
        .unwrap();
    }
    // Bob's change was 40 days ago: too old for a copy.
    tx.execute(
        q("UPDATE outbox SET created_at = '2020-01-01T00:00:00.000000Z' WHERE aggregate_id = $1")
            .bind(inv(1)),
    )
    .await
    .unwrap();
    for i in 0..3 {
        let data = json!({"investorId": inv(i), "bankAccount": {"accountNumberMasked": "••••6789", "bankName": "First Bank", "investorId": inv(i)}});
        outbox::emit(
            &mut tx,
            &actor,
            "bank_account.changed",
            "bank_account",
            &new_id(),
            data,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let pass = engine::run_once(db, &settings()).await.unwrap();
    assert_eq!(pass.counts.queued, 4);
    let got = bank_emails(db, &org).await;
    let f = Value::Bool(false);
    let t = Value::Bool(true);
    assert_eq!(
        got,
        vec![
            (
                "investor".into(),
                "ann.new@example.com".into(),
                "queued".into(),
                f.clone()
            ),
            (
                "previousContact".into(),
                "ann.old@example.com".into(),
                "queued".into(),
                t
            ),
            (
                "investor".into(),
                "bob.new@example.com".into(),
                "queued".into(),
                f.clone()
            ),
            (
                "investor".into(),
                "cy@example.com".into(),
                "queued".into(),
                f
            ),
        ]
    );
    // A replay queues no second copy (the key includes the role).
    clearway_store::notifications::fanout::replay_from(db, 0)
        .await
        .unwrap();
    engine::run_once(db, &settings()).await.unwrap();
    assert_eq!(bank_emails(db, &org).await.len(), 4);
    fresh.drop_database().await;
}

#[tokio::test]
async fn an_occurrence_payable_within_seven_days_is_announced_once_to_the_funds_holders() {
    let fresh = fresh().await;
    let db = &fresh.db;
    let (org, _) = distribution(
        db,
        &[
            ("Ann", "ann@example.com", None),
            ("Bob", "bob@example.com", None),
            ("Cy", "cy@example.com", None),
        ],
    )
    .await;
    let fund = db
        .fetch_optional(q("SELECT id FROM funds WHERE org_id = $1").bind(&org))
        .await
        .unwrap()
        .unwrap()
        .text("id")
        .unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let mut tx = db.begin().await.unwrap();
    for i in 0..2 {
        tx.execute(q("INSERT INTO holdings (org_id, fund_id, share_class, investor_id, as_of, units) VALUES ($1, $2, 'DEFAULT', $3, '2026-01-01', '100')")
            .bind(&org).bind(&fund).bind(format!("{org}-inv-{i:03}"))).await.unwrap();
    }
    for (schedule, status) in [
        (format!("s-{org}"), "ACTIVE"),
        (format!("p-{org}"), "PAUSED"),
    ] {
        tx.execute(q("INSERT INTO schedules (id, org_id, fund_id, status, frequency, calendar, roll, record_rule, record_day, declaration_days, ex_rule, payable_days, start_date, end_date, lead_days, allocation, description, created_at, updated_at, version)
                      VALUES ($1, $2, $3, $4, 'MONTHLY', 'US_FED', 'FOLLOWING', 'LAST_BUSINESS_DAY', NULL, 5, 'T_PLUS_0', 3, '2026-01-01', NULL, 10, '{}', 'Monthly', $5, $5, 1)")
            .bind(&schedule).bind(&org).bind(&fund).bind(status).bind(T0)).await.unwrap();
        for (period, payable) in [("2026-05", "2026-06-04"), ("2026-06", "2026-07-03")] {
            tx.execute(q("INSERT INTO schedule_occurrences (schedule_id, period, org_id, declaration_date, record_date, payable_date, created_at) VALUES ($1, $2, $3, '2026-05-25', '2026-05-29', $4, $5)")
                .bind(&schedule).bind(period).bind(&org).bind(payable).bind(T0)).await.unwrap();
        }
    }
    tx.commit().await.unwrap();

    // Two engines at once, then a restart: one event.
    let (a, b) = tokio::join!(
        engine::announce_upcoming(db, today, 7),
        engine::announce_upcoming(db, today, 7)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(engine::announce_upcoming(db, today, 7).await.unwrap(), 0);
    let events = db
        .fetch_all(
            q("SELECT payload FROM outbox WHERE org_id = $1 AND event_type = 'schedule.upcoming'")
                .bind(&org),
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let payload: Value = serde_json::from_str(&events[0].text("payload").unwrap()).unwrap();
    assert_eq!(payload["payableDate"], "2026-06-04");
    assert_eq!(payload["period"], "2026-05");

    let pass = engine::run_once(
        db,
        &EngineSettings {
            upcoming_days: 0,
            ..settings()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (pass.events, pass.counts.queued, pass.counts.in_app),
        (1, 2, 2)
    );
    let told = messages(db, &org, "schedule.upcoming", "email").await;
    let who: Vec<&str> = told.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(
        who,
        vec![format!("{org}-inv-000"), format!("{org}-inv-001")]
    );
    assert_eq!(told[0].2["schedule"]["payableDate"], "2026-06-04");
    assert_eq!(told[0].2["schedule"]["recordDate"], "2026-05-29");
    assert_eq!(told[0].2["fundName"], "Harbor Income Fund");
    fresh.drop_database().await;
}

/// Regression (issue 21): an event whose transaction takes its `seq` first but commits after a
/// later event was expanded is still expanded. The engine's old cursor over `seq` passed the
/// later event once both were older than its ten-minute margin (a transaction open that long,
/// say a large import) and so skipped the first one for good. PostgreSQL only: SQLite has one
/// writer at a time, so there commits follow `seq`.
#[tokio::test]
async fn an_event_committed_after_a_later_one_is_still_expanded() {
    let fresh = fresh().await;
    let db = &fresh.db;
    if db.backend() != Backend::Postgres {
        eprintln!("skipped: concurrent writers need PostgreSQL (TEST_DATABASE_URL)");
        fresh.drop_database().await;
        return;
    }
    let (org, dist) = distribution(db, &[("Ann Lee", "ann@example.com", None)]).await;
    let actor = Actor::system(&org);
    let long_ago = |id: String| {
        q("UPDATE outbox SET created_at = '2026-01-01T00:00:00.000000Z' WHERE id = $1").bind(id)
    };
    let mut slow = db.begin().await.unwrap();
    let first = outbox::emit(
        &mut slow,
        &actor,
        "distribution.approved",
        "distribution",
        &dist,
        json!({}),
    )
    .await
    .unwrap();
    slow.execute(long_ago(first)).await.unwrap();
    let mut fast = db.begin().await.unwrap();
    let second = outbox::emit(
        &mut fast,
        &actor,
        "distribution.completed",
        "distribution",
        &dist,
        json!({}),
    )
    .await
    .unwrap();
    fast.execute(long_ago(second)).await.unwrap();
    fast.commit().await.unwrap();

    let pass = engine::run_once(db, &settings()).await.unwrap();
    assert_eq!(pass.events, 1, "only the committed event is visible");
    slow.commit().await.unwrap();
    let pass = engine::run_once(db, &settings()).await.unwrap();
    assert_eq!(pass.events, 1, "the event that committed late is expanded");
    assert_eq!(
        messages(db, &org, "distribution.approved", "email")
            .await
            .len(),
        1
    );
    assert_eq!(
        messages(db, &org, "distribution.processed", "email")
            .await
            .len(),
        1
    );
    let left = db
        .fetch_optional(q("SELECT COUNT(*) AS n FROM notification_pending"))
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap();
    assert_eq!(left, 0, "nothing is left pending");
    assert_eq!(engine::run_once(db, &settings()).await.unwrap().events, 0);
    fresh.drop_database().await;
}

//! The notification engine end to end against a real SMTP server process
//! (`scripts/smtp-sink.py`): outbox event → messages → mail files. SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL=postgres://…`.

mod support;

use std::time::Duration;

use clearway_app::notifications::channels::smtp::{SmtpSender, SmtpSettings};
use clearway_app::notifications::engine::{self, EngineSettings};
use clearway_app::notifications::send::{self, EmailSender, SenderSettings};
use clearway_store::notifications::{fanout, messages};
use clearway_store::{outbox, q, Actor, Db};
use serde_json::json;
use support::{emit, free_port, fresh, Sink};

const T0: &str = "2026-01-01T00:00:00.000000Z";

fn uuid() -> String {
    clearway_store::new_id()
}

fn smtp(port: u16) -> EmailSender {
    EmailSender::Smtp(
        SmtpSender::new(&SmtpSettings {
            url: format!("smtp://127.0.0.1:{port}"),
            message_id_domain: "clearway.test".into(),
            pool_size: 2,
            timeout: Duration::from_secs(5),
        })
        .expect("smtp"),
    )
}

fn sender(retries: usize) -> SenderSettings {
    SenderSettings {
        retry_delays: vec![Duration::ZERO; retries],
        ..SenderSettings::default()
    }
}

/// An organization with a fund and a processed distribution to `investors` (name, email);
/// returns (org, distribution) after writing its `distribution.completed` event.
async fn processed(db: &Db, investors: &[(&str, Option<&str>)]) -> (String, String) {
    let org = format!("org-{}", uuid());
    let fund = format!("fund-{}", uuid());
    let dist = format!("dist-{}", uuid());
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
    for (i, (name, email)) in investors.iter().enumerate() {
        let inv = format!("{org}-inv-{i:03}");
        tx.execute(q("INSERT INTO investors (id, org_id, name, entity_type, tax_residence, email, created_at) VALUES ($1, $2, $3, 'INDIVIDUAL', 'US', $4, $5)")
            .bind(&inv).bind(&org).bind(*name).bind(*email).bind(T0)).await.unwrap();
        let total = 100_000 + i as i64; // 1,000.0i USD
        tx.execute(q("INSERT INTO distribution_lines (distribution_id, org_id, investor_id, units, total_minor, ordinary_minor, qualified_minor, st_gain_minor, lt_gain_minor, roc_minor, interest_minor, foreign_tax_minor, withholding_minor, status, cash_minor)
                      VALUES ($1, $2, $3, '100', $4, $5, 0, 0, 0, $6, 0, 0, 0, 'PAID', $4)")
            .bind(&dist).bind(&org).bind(&inv).bind(total).bind(total - 40_000).bind(40_000)).await.unwrap();
    }
    let actor = Actor::system(&org);
    outbox::emit(
        &mut tx,
        &actor,
        "distribution.completed",
        "distribution",
        &dist,
        json!({}),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (org, dist)
}

/// One decoded part of a stored mail (the sink appends each text part after `X-Sink-Part:`).
fn part<'m>(mail: &'m str, content_type: &str) -> &'m str {
    let marker = format!("X-Sink-Part: {content_type}\n");
    let start = mail.find(&marker).map(|i| i + marker.len()).expect("part");
    let rest = &mail[start..];
    &rest[..rest.find("X-Sink-Part:").unwrap_or(rest.len())]
}

async fn send_all(db: &Db, smtp: &EmailSender, settings: &SenderSettings) -> usize {
    let mut n = 0;
    while send::send_next_email(db, smtp, settings, "w1")
        .await
        .unwrap()
        .is_some()
    {
        n += 1;
        assert!(n < 1_000, "sender does not settle");
    }
    n
}

async fn statuses(db: &Db, org: &str, channel: &str) -> Vec<(String, String, i64, Option<String>)> {
    db.fetch_all(
        q("SELECT address, status, attempts, reason FROM notification_messages WHERE org_id = $1 AND channel = $2 ORDER BY investor_id, event_id")
            .bind(org)
            .bind(channel),
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.opt_text("address").unwrap().unwrap_or_default(), r.text("status").unwrap(), r.i64("attempts").unwrap(), r.opt_text("reason").unwrap()))
    .collect()
}

async fn count(db: &Db, sql: &str, org: &str) -> i64 {
    db.fetch_optional(q(sql.to_string()).bind(org))
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

#[tokio::test]
async fn a_processed_distribution_mails_each_investor_once_and_a_replay_adds_nothing() {
    let fresh = fresh().await;
    let db = &fresh.db;
    let sink = Sink::start(free_port());
    let (org, _) = processed(
        db,
        &[
            ("Ann Lee", Some("ann@example.com")),
            ("<script>alert(1)</script> Bob", Some("bob@example.com")),
            ("Cy Nomail", None),
        ],
    )
    .await;
    let pass = engine::run_once(db, &EngineSettings::default())
        .await
        .unwrap();
    assert_eq!(
        (pass.events, pass.counts.queued, pass.counts.in_app),
        (1, 2, 3)
    );
    // SMS is off without consent, and no email is on file for Cy: each recorded, with why.
    let sms = statuses(db, &org, "sms").await;
    assert_eq!(sms.len(), 3);
    assert!(
        sms.iter()
            .all(|(_, s, _, r)| s == "skipped" && r.as_deref().unwrap().contains("consented")),
        "{sms:?}"
    );
    let email = statuses(db, &org, "email").await;
    assert_eq!(email[2].1, "skipped");
    assert_eq!(email[2].3.as_deref(), Some("no email address on file"));
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM notifications WHERE org_id = $1",
            &org
        )
        .await,
        3
    );

    assert_eq!(send_all(db, &smtp(sink.port), &sender(3)).await, 2);
    let ann = sink.mails_to("ann@example.com");
    assert_eq!(ann.len(), 1);
    assert!(
        ann[0].contains("Subject: Harbor Income Fund: your distribution was paid"),
        "{}",
        ann[0]
    );
    assert!(ann[0].contains("1,000.00"), "{}", ann[0]);
    assert!(
        ann[0].contains("To: \"Ann Lee\" <ann@example.com>")
            || ann[0].contains("To: Ann Lee <ann@example.com>"),
        "{}",
        ann[0]
    );
    let bob = sink.mails_to("bob@example.com");
    assert_eq!(bob.len(), 1);
    let html = part(&bob[0], "text/html");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    assert!(statuses(db, &org, "email").await[..2]
        .iter()
        .all(|(_, s, a, _)| s == "sent" && *a == 1));

    // The cursor put back and the fan-outs forgotten: the event is expanded again (with the
    // two PDF notices' `document.created`, which tell nobody), and the unique key queues
    // nothing new.
    let before = count(
        db,
        "SELECT COUNT(*) AS n FROM notification_messages WHERE org_id = $1",
        &org,
    )
    .await;
    fanout::replay_from(db, 0).await.unwrap();
    assert_eq!(
        engine::run_once(db, &EngineSettings::default())
            .await
            .unwrap()
            .events,
        3
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM notification_messages WHERE org_id = $1",
            &org
        )
        .await,
        before
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) AS n FROM notifications WHERE org_id = $1",
            &org
        )
        .await,
        3
    );
    assert_eq!(send_all(db, &smtp(sink.port), &sender(3)).await, 0);
    assert_eq!(sink.mails().len(), 2);
    drop(sink);
    fresh.drop_database().await;
}

#[tokio::test]
async fn a_451_is_retried_and_a_550_bounces_and_suppresses_the_address() {
    let fresh = fresh().await;
    let db = &fresh.db;
    let sink = Sink::start(free_port());
    let tempfail = format!("tempfail-{}@example.com", uuid());
    let (org, dist) = processed(
        db,
        &[
            ("Tem", Some(&tempfail)),
            ("Bou", Some("bounce-x@example.com")),
        ],
    )
    .await;
    engine::run_once(db, &EngineSettings::default())
        .await
        .unwrap();
    send_all(db, &smtp(sink.port), &sender(3)).await;
    let email = statuses(db, &org, "email").await;
    assert_eq!((email[0].1.as_str(), email[0].2), ("sent", 2), "{email:?}");
    assert_eq!(
        (email[1].1.as_str(), email[1].2),
        ("bounced", 1),
        "{email:?}"
    );
    assert_eq!(sink.mails_to(&tempfail).len(), 1);
    assert_eq!(sink.mails().len(), 1);
    assert_eq!(count(db, "SELECT COUNT(*) AS n FROM notification_suppressions WHERE org_id = $1 AND address = 'bounce-x@example.com'", &org).await, 1);

    // The next notice to the bounced address is recorded as suppressed, never sent.
    emit(db, &org, "distribution.approved", &dist).await;
    let pass = engine::run_once(db, &EngineSettings::default())
        .await
        .unwrap();
    assert_eq!((pass.counts.queued, pass.counts.suppressed), (1, 1));
    let email = statuses(db, &org, "email").await;
    assert_eq!(
        email.iter().filter(|e| e.1 == "suppressed").count(),
        1,
        "{email:?}"
    );
    send_all(db, &smtp(sink.port), &sender(3)).await;
    assert_eq!(sink.mails().len(), 2);
    assert!(sink.mails_to("bounce-x@example.com").is_empty());
    drop(sink);
    fresh.drop_database().await;
}

#[tokio::test]
async fn a_server_that_is_down_is_retried_until_it_is_up_then_retries_run_out() {
    let fresh = fresh().await;
    let db = &fresh.db;
    let port = free_port();
    let (org, _) = processed(
        db,
        &[
            ("Ann", Some("ann@example.com")),
            ("Dee", Some("drop-d@example.com")),
        ],
    )
    .await;
    engine::run_once(db, &EngineSettings::default())
        .await
        .unwrap();
    let settings = SenderSettings {
        retry_delays: vec![Duration::ZERO, Duration::from_secs(3_600)],
        ..SenderSettings::default()
    };
    // Nobody listens: both go back to the queue, for an hour after the second try.
    send_all(db, &smtp(port), &settings).await;
    let email = statuses(db, &org, "email").await;
    assert!(
        email.iter().all(|(_, s, a, _)| s == "queued" && *a == 2),
        "{email:?}"
    );
    let mut tx = db.begin().await.unwrap();
    tx.execute(
        q("UPDATE notification_messages SET next_attempt_at = $1 WHERE org_id = $2")
            .bind(T0)
            .bind(&org),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let sink = Sink::start(port);
    send_all(db, &smtp(port), &settings).await;
    let email = statuses(db, &org, "email").await;
    assert_eq!((email[0].1.as_str(), email[0].2), ("sent", 3), "{email:?}");
    // A server that closes mid-message on every try: dead once the retries ran out.
    assert_eq!(
        (email[1].1.as_str(), email[1].2, email[1].3.as_deref()),
        ("dead", 3, Some("retries ran out")),
        "{email:?}"
    );
    assert_eq!(sink.mails_to("ann@example.com").len(), 1);
    assert!(sink.mails_to("drop-d@example.com").is_empty());
    drop(sink);
    fresh.drop_database().await;
}

#[tokio::test]
async fn a_message_left_sending_after_its_lease_is_in_doubt_and_not_sent_again() {
    let fresh = fresh().await;
    let db = &fresh.db;
    let sink = Sink::start(free_port());
    let (org, _) = processed(db, &[("Ann", Some("ann@example.com"))]).await;
    engine::run_once(db, &EngineSettings::default())
        .await
        .unwrap();
    // A sender claims it and stops (killed) before recording anything.
    let claimed = messages::claim(db, "email", "killed", Duration::ZERO, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(send::sweep(db).await.unwrap(), 1);
    let email = statuses(db, &org, "email").await;
    assert_eq!(email[0].1, "dead");
    assert_eq!(email[0].3.as_deref(), Some(messages::IN_DOUBT));
    assert_eq!(send_all(db, &smtp(sink.port), &sender(3)).await, 0);
    assert!(sink.mails().is_empty());

    // An operator resends it (audited): sent once.
    let op = Actor {
        user_id: format!("user-{org}"),
        org_id: org.clone(),
        role: clearway_core::access::Role::Operator,
        investor_id: None,
    };
    let mut tx = db.begin().await.unwrap();
    let after = messages::decide(&mut tx, &op, &claimed[0].id, messages::Decision::Resend)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(after.status, "queued");
    assert_eq!(send_all(db, &smtp(sink.port), &sender(3)).await, 1);
    assert_eq!(sink.mails_to("ann@example.com").len(), 1);
    let mut tx = db.begin().await.unwrap();
    let again = messages::decide(&mut tx, &op, &claimed[0].id, messages::Decision::MarkSent).await;
    assert!(again.is_err(), "a sent message cannot be marked sent again");
    drop(tx);
    drop(sink);
    fresh.drop_database().await;
}

/// A stand-in for the Anthropic Messages API: a greeting per investor named in the prompt —
/// Ann's is fit to send, Bo's holds a figure and must be refused.
async fn model_stand_in() -> String {
    use axum::routing::post;
    use axum::{Json, Router};
    async fn messages(Json(body): Json<serde_json::Value>) -> Json<serde_json::Value> {
        let prompt = body["messages"][0]["content"].as_str().unwrap_or_default();
        let text = if prompt.contains("Ann Lee") {
            "Dear Ann, we are glad to share good news about your fund."
        } else {
            "Dear Bo, you received 5 shares today."
        };
        Json(json!({ "content": [{ "type": "text", "text": text }], "stop_reason": "end_turn" }))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            Router::new().route("/v1/messages", post(messages)),
        )
        .await
        .unwrap()
    });
    url
}

/// With the writer on, an acceptable model greeting opens the email; one holding a figure is
/// refused and the template's own greeting is used; the figures and disclosures are the
/// template's either way.
#[tokio::test]
async fn the_model_greeting_is_used_when_acceptable_and_refused_when_it_holds_a_figure() {
    use clearway_app::notifications::writer::{GreetingWriter, WriterConfig};
    let fresh = fresh().await;
    let db = &fresh.db;
    let sink = Sink::start(free_port());
    processed(
        db,
        &[
            ("Ann Lee", Some("ann@example.com")),
            ("Bo Ray", Some("bo@example.com")),
        ],
    )
    .await;
    engine::run_once(db, &EngineSettings::default())
        .await
        .unwrap();
    let writer = GreetingWriter::new(
        WriterConfig {
            base_url: model_stand_in().await,
            model: "claude-test".into(),
            api_key: "test-key".into(),
            timeout: Duration::from_secs(5),
        },
        reqwest::Client::new(),
    );
    assert!(writer.is_enabled());
    let settings = SenderSettings {
        writer,
        ..sender(3)
    };
    assert_eq!(send_all(db, &smtp(sink.port), &settings).await, 2);
    let ann = sink.mails_to("ann@example.com");
    assert_eq!(ann.len(), 1);
    assert!(
        ann[0].contains("we are glad to share good news about your fund"),
        "{}",
        ann[0]
    );
    let bo = sink.mails_to("bo@example.com");
    assert_eq!(bo.len(), 1);
    assert!(!bo[0].contains("5 shares"), "{}", bo[0]);
    assert!(bo[0].contains("Dear Bo Ray"), "{}", bo[0]);
    // The disclosures are the template's on both.
    for mail in [&ann[0], &bo[0]] {
        assert!(mail.contains("Past performance does not guarantee future results"));
    }
    fresh.drop_database().await;
}

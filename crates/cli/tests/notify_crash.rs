//! The real binary, killed with SIGKILL while it sends notice emails to a slow SMTP server,
//! then restarted: every (investor, event) ends with exactly one email in the sink or one
//! message in doubt for an operator, never two emails. SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use clearway_store::testing::fresh_database;
use clearway_store::{outbox, q, Actor, Db, DbOptions};
use serde_json::json;
use tokio::process::Child;

mod support;

use support::clearway;

const T0: &str = "2026-01-01T00:00:00.000000Z";
const INVESTORS: usize = 12;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn serve(url: &str, port: u16, smtp_port: u16) -> Child {
    let child = clearway()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            url,
        ])
        .env("CLEARWAY_LOG", "warn")
        .env("CLEARWAY_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .env("CLEARWAY_MAIL_WORKERS", "3")
        .env("CLEARWAY_MAIL_LEASE_SECS", "4")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn clearway serve");
    support::ready(child, port, Duration::from_secs(30)).await
}

/// An organization with a processed distribution to `INVESTORS` investors whose mail the sink
/// answers slowly.
async fn seed(db: &Db) {
    let org = "org-crash";
    let mut tx = db.begin().await.unwrap();
    tx.execute(
        q("INSERT INTO organizations (id, name, created_at) VALUES ($1, $1, $2)")
            .bind(org)
            .bind(T0),
    )
    .await
    .unwrap();
    tx.execute(q("INSERT INTO users (id, org_id, name, email, role, created_at) VALUES ('user-crash', $1, 'Op', 'op@example.com', 'operator', $2)").bind(org).bind(T0)).await.unwrap();
    tx.execute(q("INSERT INTO funds (id, org_id, code, name, kind, currency, share_precision, created_at) VALUES ('fund-crash', $1, 'C', 'Crash Fund', 'OPEN_END', 'USD', 4, $2)").bind(org).bind(T0)).await.unwrap();
    tx.execute(q("INSERT INTO distributions (id, org_id, fund_id, kind, status, currency, declaration_date, record_date, payable_date, description, allocation, total_minor, line_count, created_by, created_at, updated_at, version)
                  VALUES ('dist-crash', $1, 'fund-crash', 'REGULAR', 'COMPLETED', 'USD', '2026-03-02', '2026-03-16', '2026-03-31', 'crash', '{}', 0, 0, 'user-crash', $2, $2, 1)").bind(org).bind(T0)).await.unwrap();
    for i in 0..INVESTORS {
        let inv = format!("inv-{i:03}");
        tx.execute(q("INSERT INTO investors (id, org_id, name, entity_type, tax_residence, email, created_at) VALUES ($1, $2, $3, 'INDIVIDUAL', 'US', $4, $5)")
            .bind(&inv).bind(org).bind(format!("Investor {i}")).bind(format!("slow-{i}@example.com")).bind(T0)).await.unwrap();
        tx.execute(q("INSERT INTO distribution_lines (distribution_id, org_id, investor_id, units, total_minor, ordinary_minor, qualified_minor, st_gain_minor, lt_gain_minor, roc_minor, interest_minor, foreign_tax_minor, withholding_minor, status, cash_minor)
                      VALUES ('dist-crash', $1, $2, '10', 5000, 5000, 0, 0, 0, 0, 0, 0, 0, 'PAID', 5000)").bind(org).bind(&inv)).await.unwrap();
    }
    outbox::emit(
        &mut tx,
        &Actor::system(org),
        "distribution.completed",
        "distribution",
        "dist-crash",
        json!({}),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

fn mails_to(dir: &Path, address: &str) -> usize {
    let head = format!("X-Sink-Rcpt: {address}\r\n");
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .filter(|p| std::fs::read_to_string(p).is_ok_and(|m| m.starts_with(&head)))
                .count()
        })
        .unwrap_or(0)
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    db.fetch_optional(q(sql))
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

#[tokio::test]
async fn sigkill_while_sending_leaves_one_email_or_one_message_in_doubt() {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let fresh = fresh_database(base.as_deref(), &DbOptions { max_connections: 2 })
        .await
        .unwrap();
    seed(&fresh.db).await;
    let smtp_port = free_port();
    let dir = std::env::temp_dir().join(format!("clearway-crash-mail-{}", std::process::id()));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink.py");
    let mut sink = StdCommand::new("python3")
        .arg(script)
        .args([
            "--port",
            &smtp_port.to_string(),
            "--slow-seconds",
            "0.7",
            "--dir",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 scripts/smtp-sink.py (pip install aiosmtpd)");
    let mut line = String::new();
    BufReader::new(sink.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("ready"), "{line:?}");

    let mut child = serve(&fresh.url, free_port(), smtp_port).await;
    // SIGKILL once some mail arrived and some is still with the slow server.
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(
        &fresh.db,
        "SELECT COUNT(*) AS n FROM notification_messages WHERE channel = 'email' AND status = 'sent'",
    )
    .await
        < 3
    {
        assert!(Instant::now() < deadline, "nothing was sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let at_kill = fresh.db.fetch_all(q("SELECT status, COUNT(*) AS n FROM notification_messages WHERE channel = 'email' GROUP BY status")).await.unwrap();
    eprintln!(
        "at SIGKILL: {:?}",
        at_kill
            .iter()
            .map(|r| (r.text("status").unwrap(), r.i64("n").unwrap()))
            .collect::<Vec<_>>()
    );
    let sending_at_kill = count(
        &fresh.db,
        "SELECT COUNT(*) AS n FROM notification_messages WHERE channel = 'email' AND status = 'sending'",
    )
    .await;

    let mut child = serve(&fresh.url, free_port(), smtp_port).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    while count(&fresh.db, "SELECT COUNT(*) AS n FROM notification_messages WHERE channel = 'email' AND status IN ('queued', 'sending')").await > 0 {
        assert!(Instant::now() < deadline, "messages still queued or sending");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.start_kill().unwrap();
    let _ = child.wait().await;
    let rows = fresh.db.fetch_all(q("SELECT address, status, reason FROM notification_messages WHERE channel = 'email' ORDER BY address")).await.unwrap();
    assert_eq!(rows.len(), INVESTORS);
    let mut in_doubt = 0;
    for r in rows {
        let address = r.text("address").unwrap();
        let status = r.text("status").unwrap();
        let mails = mails_to(&dir, &address);
        assert!(mails <= 1, "{address}: {mails} emails");
        let doubted = status == "dead"
            && r.opt_text("reason")
                .unwrap()
                .is_some_and(|x| x.starts_with("in doubt"));
        in_doubt += usize::from(doubted);
        assert!(
            (status == "sent" && mails == 1) || doubted,
            "{address}: {status} with {mails} emails"
        );
    }
    eprintln!("sending at SIGKILL: {sending_at_kill}; in doubt after restart: {in_doubt}");
    assert_eq!(in_doubt as i64, sending_at_kill);
    let _ = sink.kill();
    let _ = sink.wait();
    let _ = std::fs::remove_dir_all(&dir);
    fresh.drop_database().await;
}

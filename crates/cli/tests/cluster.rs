//! Two `clearway serve` processes on one PostgreSQL database share the work with no duplicate
//! effect: distributions created and processed through either process, each payment, outbox
//! event, webhook delivery and email exactly once; the process holding the `outbox-relay`
//! lease killed with SIGKILL, the other takes the relay over within one lease and events still
//! flow. PostgreSQL only (`TEST_DATABASE_URL`); SQLite serves one process per database file.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clearway_store::testing::fresh_database;
use clearway_store::{q, Db, DbOptions};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Child;

mod support;

use support::cluster::{approved, demo, free_port, process, serve};

/// Lease time to live of the singular tasks in this test (seconds).
const TTL: u64 = 2;

async fn count(db: &Db, sql: &str) -> i64 {
    db.fetch_optional(q(sql.to_string()))
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

/// A webhook receiver answering 200 and recording each delivery's `Clearway-Event-Id`.
async fn receiver() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let record = record.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Headers, then as much body as Content-Length says.
                let (head_end, length) = loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                        let length = header(&head, "content-length")
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(0);
                        break (end + 4, length);
                    }
                };
                while buf.len() < head_end + length {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
                if let Some(id) = header(&head, "clearway-event-id") {
                    record.lock().unwrap().push(id);
                }
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (port, seen)
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
}

/// The SMTP sink (`scripts/smtp-sink.py`) storing each mail as a file in `dir`.
fn smtp_sink(port: u16, dir: &Path) -> std::process::Child {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink.py");
    let mut sink = StdCommand::new("python3")
        .arg(script)
        .args(["--port", &port.to_string(), "--dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 scripts/smtp-sink.py (pip install aiosmtpd)");
    let mut line = String::new();
    BufReader::new(sink.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("ready"), "{line:?}");
    sink
}

fn mails(dir: &Path) -> i64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .count() as i64
        })
        .unwrap_or(0)
}

/// Waits until every distribution is COMPLETED, every job DONE, every delivery DELIVERED and
/// no email is queued or being sent.
async fn settle(db: &Db, distributions: i64) {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let completed = count(
            db,
            "SELECT COUNT(*) AS n FROM distributions WHERE status = 'COMPLETED'",
        )
        .await;
        let busy = count(db, "SELECT COUNT(*) AS n FROM jobs WHERE status <> 'DONE'").await
            + count(db, "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status <> 'DELIVERED'").await
            + count(db, "SELECT COUNT(*) AS n FROM outbox WHERE dispatched_at IS NULL").await
            + count(db, "SELECT COUNT(*) AS n FROM notification_messages WHERE status IN ('queued', 'sending')").await;
        if completed >= distributions && busy == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not settled: {completed} of {distributions} completed, {busy} busy"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Exactly once, whichever process did it.
async fn assert_once(db: &Db, hooks: &Mutex<Vec<String>>, mail_dir: &Path) {
    let dup = |sql: &str| format!("SELECT COUNT(*) AS n FROM ({sql}) d");
    assert_eq!(count(db, &dup("SELECT distribution_id, investor_id FROM payments GROUP BY distribution_id, investor_id HAVING COUNT(*) > 1")).await, 0, "a second payment for a line");
    assert_eq!(count(db, &dup("SELECT aggregate_id, event_type FROM outbox WHERE aggregate_type = 'distribution' GROUP BY aggregate_id, event_type HAVING COUNT(*) > 1")).await, 0, "a distribution event twice");
    assert_eq!(count(db, &dup("SELECT distribution_id FROM payment_batches WHERE kind = 'NACHA' GROUP BY distribution_id HAVING COUNT(*) > 1")).await, 0, "a second bank file");
    assert_eq!(
        count(db, "SELECT COUNT(*) AS n FROM jobs WHERE attempts > 1").await,
        0,
        "a job run twice"
    );
    let seen = hooks.lock().unwrap().clone();
    let distinct: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(distinct.len(), seen.len(), "a webhook delivered twice");
    let delivered = count(
        db,
        "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'DELIVERED' AND attempts = 1",
    )
    .await;
    assert_eq!(seen.len() as i64, delivered, "one POST per delivery");
    let sent = count(db, "SELECT COUNT(*) AS n FROM notification_messages WHERE channel = 'email' AND status = 'sent'").await;
    assert!(sent > 0, "the demo investors are emailed");
    assert_eq!(mails(mail_dir), sent, "one email per sent message");
}

/// The process (`a` or `b`) holding the relay's lease.
async fn relay_holder(db: &Db) -> String {
    let row = db
        .fetch_optional(
            q("SELECT holder FROM leases WHERE name = 'outbox-relay' AND expires_at > $1")
                .bind(clearway_store::time_text(chrono::Utc::now())),
        )
        .await
        .unwrap();
    row.map(|r| r.text("holder").unwrap()[..1].to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn two_processes_share_the_work_once_and_survive_the_relay_leader_killed() {
    let Some(base) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    else {
        eprintln!("cluster test skipped: TEST_DATABASE_URL is not PostgreSQL");
        return;
    };
    let fresh = fresh_database(Some(&base), &DbOptions { max_connections: 2 })
        .await
        .unwrap();
    let db = &fresh.db;
    let tokens = demo(&fresh.url, 40).await;
    let before = count(
        db,
        "SELECT COUNT(*) AS n FROM distributions WHERE status = 'COMPLETED'",
    )
    .await;
    let (hook_port, hooks) = receiver().await;
    let smtp_port = free_port();
    let mail_dir =
        std::env::temp_dir().join(format!("clearway-cluster-mail-{}", std::process::id()));
    let mut sink = smtp_sink(smtp_port, &mail_dir);
    let (allow, smtp, ttl) = (
        format!("127.0.0.1:{hook_port}"),
        format!("smtp://127.0.0.1:{smtp_port}"),
        TTL.to_string(),
    );
    let env = |name: &'static str| {
        vec![
            ("CLEARWAY_INSTANCE_NAME", name.to_string()),
            ("CLEARWAY_LEASE_TTL_SECS", ttl.clone()),
            ("CLEARWAY_OUTBOUND_ALLOW", allow.clone()),
            ("CLEARWAY_SMTP_URL", smtp.clone()),
        ]
    };
    let ports = [free_port(), free_port()];
    let mut children: Vec<Child> = Vec::new();
    for (name, port) in [("a", ports[0]), ("b", ports[1])] {
        let env = env(name);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        children.push(serve(&fresh.url, port, &env).await);
    }
    let r = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/api/webhooks", ports[0]))
        .bearer_auth(tokens["admin"].as_str().unwrap())
        .json(&json!({ "url": format!("http://127.0.0.1:{hook_port}/hook") }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "webhook: {}", r.status());

    // Created through one process, processed through the other, all at once.
    let n = 8;
    let drive = |i: usize, tokens: Value| async move {
        let (made, run) = (ports[i % 2], ports[(i + 1) % 2]);
        let id = approved(made, &tokens, &format!("cluster-{i}"), "5000.00").await;
        process(run, &tokens, &id).await;
    };
    let all: Vec<_> = (0..n)
        .map(|i| tokio::spawn(drive(i, tokens.clone())))
        .collect();
    for t in all {
        t.await.unwrap();
    }
    settle(db, before + n as i64).await;
    assert_once(db, &hooks, &mail_dir).await;
    eprintln!(
        "{n} distributions over 2 processes; {} webhook POSTs, {} emails",
        hooks.lock().unwrap().len(),
        mails(&mail_dir)
    );

    // SIGKILL the relay's leader: the other process takes the lease over within one lease.
    let leader = relay_holder(db).await;
    assert!(
        leader == "a" || leader == "b",
        "a live relay leader: {leader:?}"
    );
    let (dead, alive) = if leader == "a" { (0, 1) } else { (1, 0) };
    children[dead].start_kill().unwrap();
    children[dead].wait().await.unwrap();
    let killed = Instant::now();
    let survivor = if alive == 0 { "a" } else { "b" };
    while relay_holder(db).await != survivor {
        assert!(
            killed.elapsed() < Duration::from_secs(2 * TTL + 2),
            "no takeover after {:?}",
            killed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let takeover = killed.elapsed();
    eprintln!("relay leader {leader} killed; {survivor} took the lease over in {takeover:?} (TTL {TTL} s)");
    assert!(takeover <= Duration::from_secs(TTL) + Duration::from_millis(1500));

    // Events still flow, through the survivor.
    for i in n..n + 2 {
        let id = approved(ports[alive], &tokens, &format!("cluster-{i}"), "700.00").await;
        process(ports[alive], &tokens, &id).await;
    }
    settle(db, before + n as i64 + 2).await;
    assert_once(db, &hooks, &mail_dir).await;
    let after = count(db, "SELECT COUNT(*) AS n FROM webhook_deliveries d JOIN outbox o ON o.id = d.event_id WHERE o.event_type = 'distribution.completed' AND d.status = 'DELIVERED'").await;
    assert_eq!(after, n as i64 + 2, "every completion delivered");

    children[alive].start_kill().unwrap();
    let _ = children[alive].wait().await;
    let _ = sink.kill();
    let _ = sink.wait();
    let _ = std::fs::remove_dir_all(&mail_dir);
    fresh.drop_database().await;
}

#[tokio::test]
async fn a_second_process_on_one_sqlite_file_is_refused_loudly() {
    let fresh = fresh_database(None, &DbOptions { max_connections: 1 })
        .await
        .unwrap();
    let ttl = [("CLEARWAY_LEASE_TTL_SECS", "1")];
    let mut first = serve(&fresh.url, free_port(), &ttl).await;
    let out = support::clearway()
        .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
        .args(["--database-url", &fresh.url])
        .env("CLEARWAY_LEASE_TTL_SECS", "1")
        .env("CLEARWAY_LOG", "warn")
        .env(support::cluster::KEYS_ENV, support::cluster::TEST_KEYS)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("SQLite serves one process"), "{err}");
    // Stopped gracefully, the first lets the next start at once.
    support::cluster::sigterm(&first);
    assert!(first.wait().await.unwrap().success());
    assert_eq!(
        count(
            &fresh.db,
            "SELECT COUNT(*) AS n FROM leases WHERE name = 'serve-sqlite' AND expires_at < '2000'"
        )
        .await,
        1,
        "released on shutdown"
    );
    let mut next = serve(&fresh.url, free_port(), &ttl).await;
    next.start_kill().unwrap();
    let _ = next.wait().await;
    fresh.drop_database().await;
}

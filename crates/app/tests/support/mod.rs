//! What the notification tests of this crate share: a fresh database (SQLite, or PostgreSQL
//! with `TEST_DATABASE_URL`), an outbox event, a free port, and the SMTP sink
//! (`scripts/smtp-sink.py`) as a child process.

// Each test binary that includes this module uses only some of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use clearway_store::testing::{fresh_database, Fresh};
use clearway_store::{new_id, outbox, Actor, Db, DbOptions};
use serde_json::json;

pub async fn fresh() -> Fresh {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    fresh_database(base.as_deref(), &DbOptions { max_connections: 4 })
        .await
        .expect("fresh database")
}

/// Writes the outbox event `event` about distribution `dist` of `org`.
pub async fn emit(db: &Db, org: &str, event: &str, dist: &str) {
    let mut tx = db.begin().await.unwrap();
    outbox::emit(
        &mut tx,
        &Actor::system(org),
        event,
        "distribution",
        dist,
        json!({}),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

/// The SMTP sink as a child process, killed on drop (`slow-*` recipients wait one second).
pub struct Sink {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl Sink {
    pub fn start(port: u16) -> Sink {
        let dir = std::env::temp_dir().join(format!("clearway-mail-{}", new_id()));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--slow-seconds", "1", "--dir"])
            .arg(&dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 scripts/smtp-sink.py (pip install aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("sink output");
        assert!(line.starts_with("ready"), "sink did not start: {line:?}");
        Sink { child, port, dir }
    }

    /// The stored messages, oldest first.
    pub fn mails(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("mail"))
            .collect()
    }

    /// The stored messages to `address`, oldest first.
    pub fn mails_to(&self, address: &str) -> Vec<String> {
        let head = format!("X-Sink-Rcpt: {address}\r\n");
        self.mails()
            .into_iter()
            .filter(|m| m.starts_with(&head))
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

//! `clearway backup` copies a running SQLite database consistently and `clearway restore` puts
//! the copy back: counts and a distribution's lines match. PostgreSQL is refused with the
//! pg_dump instruction, and a pg_dump / pg_restore round trip keeps the data (when
//! `TEST_DATABASE_URL` is PostgreSQL and pg_dump is installed).

use std::time::{Duration, Instant};

use clearway_store::testing::fresh_database;
use clearway_store::{q, Db, DbOptions};

mod support;

use support::cluster::{approved, demo, free_port, process, serve, sigterm};
use support::run;

const TABLES: [&str; 7] = [
    "investors",
    "distributions",
    "distribution_lines",
    "payments",
    "outbox",
    "audit_log",
    "jobs",
];

/// Row counts of the tables that matter, and one distribution's lines.
async fn snapshot(db: &Db, distribution: &str) -> (Vec<i64>, Vec<(String, i64, String)>) {
    let mut counts = Vec::new();
    for t in TABLES {
        let n = db
            .fetch_optional(q(format!("SELECT COUNT(*) AS n FROM {t}")))
            .await
            .unwrap()
            .unwrap()
            .i64("n")
            .unwrap();
        counts.push(n);
    }
    let lines = db
        .fetch_all(
            // cash_minor is NULL until the line is processed: -1 then.
            q("SELECT investor_id, COALESCE(cash_minor, -1) AS cash_minor, status FROM distribution_lines WHERE distribution_id = $1 ORDER BY investor_id")
                .bind(distribution),
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.text("investor_id").unwrap(),
                r.i64("cash_minor").unwrap(),
                r.text("status").unwrap(),
            )
        })
        .collect();
    (counts, lines)
}

#[tokio::test]
async fn a_running_sqlite_database_is_backed_up_and_restored_whole() {
    let fresh = fresh_database(None, &DbOptions { max_connections: 2 })
        .await
        .unwrap();
    let tokens = demo(&fresh.url, 60).await;
    let port = free_port();
    let mut child = serve(&fresh.url, port, &[]).await;
    let id = approved(port, &tokens, "backup-1", "12345.67").await;
    process(port, &tokens, &id).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while fresh
        .db
        .fetch_optional(q("SELECT COUNT(*) AS n FROM jobs WHERE status <> 'DONE'"))
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
        > 0
    {
        assert!(Instant::now() < deadline, "processing did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let dir = tempdir();
    let backup = dir.join("clearway-backup.db");
    let backup_s = backup.to_str().unwrap();
    let live = snapshot(&fresh.db, &id).await;
    assert!(
        !live.1.is_empty() && live.1.iter().any(|l| l.1 > 0),
        "{:?}",
        live.1
    );
    // While the server runs.
    let (code, out, err) = run(&["backup", backup_s, "--database-url", &fresh.url]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("backup written"), "{out}");
    let (code, _, err) = run(&["backup", backup_s, "--database-url", &fresh.url]).await;
    assert_eq!(code, 1, "never overwrites");
    assert!(err.contains("exists"), "{err}");
    sigterm(&child);
    assert!(child.wait().await.unwrap().success());

    let target = format!("sqlite:{}", dir.join("restored.db").display());
    let (code, out, err) = run(&["restore", backup_s, "--database-url", &target]).await;
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = run(&["restore", backup_s, "--database-url", &target]).await;
    assert_eq!(code, 1, "an existing database needs --replace");
    assert!(err.contains("--replace"), "{err}");
    let restored = Db::connect(&target, &DbOptions { max_connections: 1 })
        .await
        .unwrap();
    assert_eq!(snapshot(&restored, &id).await, live);
    restored.close().await;
    let (code, out, err) = run(&["audit", "verify", "--database-url", &target]).await;
    assert_eq!(code, 0, "the restored audit chain is intact: {out}{err}");

    let _ = std::fs::remove_dir_all(&dir);
    fresh.drop_database().await;
}

#[tokio::test]
async fn postgres_is_backed_up_with_pg_dump_and_restored_with_pg_restore() {
    let Some(base) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    else {
        eprintln!("skipped: TEST_DATABASE_URL is not PostgreSQL");
        return;
    };
    if std::process::Command::new("pg_dump")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no pg_dump");
        return;
    }
    let source = fresh_database(Some(&base), &DbOptions { max_connections: 2 })
        .await
        .unwrap();
    let tokens = demo(&source.url, 30).await;
    let port = free_port();
    let mut child = serve(&source.url, port, &[]).await;
    let id = approved(port, &tokens, "pg-backup-1", "999.99").await;
    sigterm(&child);
    assert!(child.wait().await.unwrap().success());

    // `clearway backup` says how, without touching the database.
    let (code, _, err) = run(&["backup", "/nonexistent/x", "--database-url", &source.url]).await;
    assert_eq!(code, 1);
    assert!(err.contains("pg_dump"), "{err}");

    let dir = tempdir();
    let dump = dir.join("clearway.dump");
    let ok = std::process::Command::new("pg_dump")
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(&source.url)
        .status()
        .unwrap();
    assert!(ok.success());
    let target = fresh_database(Some(&base), &DbOptions { max_connections: 1 })
        .await
        .unwrap();
    // pg_restore fills an empty database.
    target
        .db
        .execute_script("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        .await
        .unwrap();
    let ok = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname", &target.url])
        .arg(&dump)
        .status()
        .unwrap();
    assert!(ok.success());
    let live = snapshot(&source.db, &id).await;
    assert!(!live.1.is_empty());
    assert_eq!(snapshot(&target.db, &id).await, live);
    let (code, out, err) = run(&["audit", "verify", "--database-url", &target.url]).await;
    assert_eq!(code, 0, "{out}{err}");

    let _ = std::fs::remove_dir_all(&dir);
    target.drop_database().await;
    source.drop_database().await;
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "clearway-backup-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

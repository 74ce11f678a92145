//! `clearway audit verify`: an intact chain passes; an entry edited, deleted or inserted
//! directly in the database, or a removed tail, is named (exit 1, the entry's seq).
//! SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set.

use clearway_store::testing::fresh_database;
use clearway_store::{q, Db, DbOptions};

mod support;

use support::run;

async fn exec(db: &Db, query: clearway_store::db::Q) {
    let mut tx = db.begin().await.unwrap();
    assert_eq!(tx.execute(query).await.unwrap(), 1);
    tx.commit().await.unwrap();
}

async fn seqs(db: &Db) -> Vec<i64> {
    db.fetch_all(q("SELECT seq FROM audit_log ORDER BY seq"))
        .await
        .unwrap()
        .iter()
        .map(|r| r.i64("seq").unwrap())
        .collect()
}

#[tokio::test]
async fn audit_verify_names_the_first_tampered_entry() {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let fresh = fresh_database(base.as_deref(), &DbOptions { max_connections: 2 })
        .await
        .unwrap();
    let url = fresh.url.clone();
    let db = &fresh.db;
    let (code, _, err) = run(&["demo", "--investors", "3", "--database-url", &url]).await;
    assert_eq!(code, 0, "{err}");
    let verify_args = ["audit", "verify", "--database-url", &url];
    let verify = || run(&verify_args);

    let (code, out, err) = verify().await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("chain intact"), "{out}");
    let all = seqs(db).await;
    assert!(all.len() >= 6, "the demo writes audit entries: {all:?}");
    let entries: usize = out
        .split(": ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("entry count");
    assert_eq!(entries, all.len(), "{out}");

    // An edited entry: its own hash no longer matches.
    let edited = all[all.len() / 2];
    let original = db
        .fetch_optional(q("SELECT after_json FROM audit_log WHERE seq = $1").bind(edited))
        .await
        .unwrap()
        .unwrap()
        .opt_text("after_json")
        .unwrap();
    exec(
        db,
        q("UPDATE audit_log SET after_json = $1 WHERE seq = $2")
            .bind(r#"{"total":"1.00"}"#)
            .bind(edited),
    )
    .await;
    let (code, out, err) = verify().await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!("BROKEN at entry seq {edited} ")),
        "{out}"
    );
    assert!(out.contains("edited"), "{out}");
    assert_eq!(err.trim().lines().count(), 1, "one-line reason: {err}");
    exec(
        db,
        q("UPDATE audit_log SET after_json = $1 WHERE seq = $2")
            .bind(original)
            .bind(edited),
    )
    .await;
    assert_eq!(verify().await.0, 0, "restored");

    // A deleted entry: the next one's link to its predecessor breaks.
    let (deleted, next) = (all[1], all[2]);
    exec(db, q("DELETE FROM audit_log WHERE seq = $1").bind(deleted)).await;
    let (code, out, _) = verify().await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("BROKEN at entry seq {next} ")),
        "{out}"
    );
    assert!(out.contains("removed, inserted or moved"), "{out}");

    // A removed tail: every remaining link holds, but the head does not.
    let fresh2 = fresh_database(base.as_deref(), &DbOptions { max_connections: 2 })
        .await
        .unwrap();
    let url2 = fresh2.url.clone();
    assert_eq!(
        run(&["demo", "--investors", "3", "--database-url", &url2])
            .await
            .0,
        0
    );
    let last = *seqs(&fresh2.db).await.last().unwrap();
    exec(
        &fresh2.db,
        q("DELETE FROM audit_log WHERE seq = $1").bind(last),
    )
    .await;
    let (code, out, _) = run(&["audit", "verify", "--database-url", &url2]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("BROKEN at the end of the log"), "{out}");
    fresh2.drop_database().await;
    fresh.drop_database().await;
}

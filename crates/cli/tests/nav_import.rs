//! `clearway nav import`: a bad row stops the import with a one-line error naming line and
//! field, a non-zero exit and nothing written; a good file is loaded, and loading it again
//! changes nothing. SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set.

use clearway_store::testing::fresh_database;
use clearway_store::{q, DbOptions};

mod support;

use support::run;

#[tokio::test]
async fn nav_import_is_all_or_nothing_and_names_the_bad_line() {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let fresh = fresh_database(base.as_deref(), &DbOptions { max_connections: 2 })
        .await
        .unwrap();
    let url = fresh.url.clone();
    let (code, _, err) = run(&[
        "demo",
        "--investors",
        "3",
        "--no-history",
        "--database-url",
        &url,
    ])
    .await;
    assert_eq!(code, 0, "{err}");
    let count = || async {
        fresh
            .db
            .fetch_optional(q("SELECT COUNT(*) AS n FROM nav_snapshots"))
            .await
            .unwrap()
            .unwrap()
            .i64("n")
            .unwrap()
    };
    let before = count().await;
    let dir = std::env::temp_dir();
    let bad = dir.join(format!("clearway-navs-bad-{}.csv", std::process::id()));
    std::fs::write(
        &bad,
        "date,nav,shareClass\n2031-01-02,10.5,\n2031-01-03,10.x5,\n",
    )
    .unwrap();
    let bad_path = bad.to_string_lossy().to_string();
    let (code, _, err) = run(&[
        "nav",
        "import",
        &bad_path,
        "--fund",
        "DEMO-OPEN",
        "--database-url",
        &url,
    ])
    .await;
    assert_ne!(code, 0);
    let line = err.trim();
    assert_eq!(line.lines().count(), 1, "one line: {err}");
    assert!(
        line.ends_with("line 3, field nav: '10.x5' is not a decimal number"),
        "{line}"
    );
    assert_eq!(count().await, before, "nothing written");

    let (code, _, err) = run(&[
        "nav",
        "import",
        &bad_path,
        "--fund",
        "NOPE",
        "--database-url",
        &url,
    ])
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("fund NOPE not found"), "{err}");

    let good = dir.join(format!("clearway-navs-good-{}.csv", std::process::id()));
    let rows: String = (0..5000)
        .map(|i| {
            let d =
                chrono::NaiveDate::from_ymd_opt(2031, 1, 1).unwrap() + chrono::Duration::days(i);
            format!("{d},{}.{:08},I\n", 10 + i % 7, i * 7919 % 100_000_000)
        })
        .collect();
    std::fs::write(&good, format!("date,nav,shareClass\n{rows}")).unwrap();
    let good_path = good.to_string_lossy().to_string();
    let (code, out, err) = run(&[
        "nav",
        "import",
        &good_path,
        "--fund",
        "DEMO-OPEN",
        "--database-url",
        &url,
    ])
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("5000 NAVs read") && out.contains("5000 new"),
        "{out}"
    );
    assert_eq!(count().await, before + 5000);
    let (code, out, _) = run(&[
        "nav",
        "import",
        &good_path,
        "--fund",
        "DEMO-OPEN",
        "--database-url",
        &url,
    ])
    .await;
    assert_eq!(code, 0);
    assert!(out.contains("0 new, 5000 unchanged"), "{out}");
    let _ = std::fs::remove_file(&bad);
    let _ = std::fs::remove_file(&good);
    fresh.drop_database().await;
}

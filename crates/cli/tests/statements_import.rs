//! `clearway statements import`: a statement whose balances do not tie stops the import with
//! a one-line reason (default `--balance-policy refuse`) and writes nothing; with `warn` it is
//! imported and the CLI prints each statement's encoding and warnings (a Latin-1 file, an
//! empty statement's "no activity"). SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set.

use clearway_store::testing::fresh_database;
use clearway_store::{q, DbOptions};

mod support;

use support::run;

#[tokio::test]
async fn statements_import_applies_the_balance_policy_and_prints_encoding_and_warnings() {
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
            .fetch_optional(q("SELECT COUNT(*) AS n FROM bank_statements"))
            .await
            .unwrap()
            .unwrap()
            .i64("n")
            .unwrap()
    };
    let before = count().await;
    // 10,00 - 1,00 != 10,00, and "Gebühr" in Latin-1 (0xFC).
    let untied: Vec<u8> = [
        &b":20:CLI1\r\n:25:NL00BANK0123456789\r\n:28C:1/1\r\n:60F:C260301EUR10,00\r\n"[..],
        b":61:2603020302D1,00NTRFNONREF\r\n:86:Geb\xfchr\r\n:62F:C260302EUR10,00\r\n-\r\n",
        // A second statement with balances only.
        b":20:CLI2\r\n:25:NL00BANK0123456789\r\n:28C:2/1\r\n:60F:C260302EUR10,00\r\n:62F:C260303EUR10,00\r\n-\r\n",
    ]
    .concat();
    let file = std::env::temp_dir().join(format!("clearway-untied-{}.sta", std::process::id()));
    std::fs::write(&file, untied).unwrap();
    let path = file.to_string_lossy().to_string();
    let (code, out, err) = run(&["statements", "import", &path, "--database-url", &url]).await;
    assert_ne!(code, 0, "{out}");
    let reason = err.trim().lines().last().unwrap_or_default();
    assert!(
        reason.contains("line 7: :62F:: opening 10.00 + lines -1.00 = 9.00 != closing 10.00"),
        "{err}"
    );
    assert_eq!(count().await, before, "nothing written");

    let (code, out, err) = run(&[
        "statements",
        "import",
        &path,
        "--balance-policy",
        "warn",
        "--database-url",
        &url,
    ])
    .await;
    assert_eq!(code, 0, "{err}");
    std::fs::remove_file(&file).ok();
    assert!(out.contains("EUR, 1 line(s), encoding ISO-8859-1"), "{out}");
    assert!(
        out.contains("    warning: balances do not tie: line 7: :62F:"),
        "{out}"
    );
    assert!(
        out.contains("    warning: file is not UTF-8: read as ISO-8859-1"),
        "{out}"
    );
    assert!(
        out.contains("EUR, 0 line(s), encoding ISO-8859-1")
            && out.contains("    warning: no activity: the statement has no booked entries"),
        "{out}"
    );
    assert_eq!(count().await, before + 2);
    fresh.drop_database().await;
}

//! `clearway org|user|token`: the operator creates an organization and users, issues, lists
//! and revokes tokens and disables users, each taking effect on the next authentication;
//! `clearway demo` run again revokes the tokens its first run issued. Bad input exits non-zero
//! with one line and writes nothing. SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set.

use clearway_store::testing::fresh_database;
use clearway_store::{auth, q, Db, DbOptions};

mod support;

/// [`support::run`], its output trimmed.
async fn run(args: &[&str]) -> (i32, String, String) {
    let (code, out, err) = support::run(args).await;
    (code, out.trim().to_string(), err.trim().to_string())
}

/// Runs a command that must succeed; returns its stdout.
async fn ok(args: &[&str]) -> String {
    let (code, out, err) = run(args).await;
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// Runs a command that must fail with one line on stderr; returns that line.
async fn fails(args: &[&str]) -> String {
    let (code, _, err) = run(args).await;
    assert_ne!(code, 0, "{args:?} succeeded");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    err
}

async fn count(db: &Db, table: &'static str) -> i64 {
    let sql = match table {
        "users" => "SELECT COUNT(*) AS n FROM users",
        _ => "SELECT COUNT(*) AS n FROM api_tokens",
    };
    db.fetch_optional(q(sql))
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

async fn valid(db: &Db, token: &str) -> bool {
    auth::authenticate(db, token).await.unwrap().is_some()
}

#[tokio::test]
async fn the_operator_manages_organizations_users_and_tokens() {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let fresh = fresh_database(base.as_deref(), &DbOptions { max_connections: 2 })
        .await
        .unwrap();
    let url = fresh.url.clone();
    let db = &fresh.db;
    macro_rules! ok {
        ($($a:expr),*) => {{ let v: Vec<String> = vec![$($a.to_string()),*, "--database-url".into(), url.clone()]; ok(&v.iter().map(String::as_str).collect::<Vec<_>>()).await }};
    }
    macro_rules! fails {
        ($($a:expr),*) => {{ let v: Vec<String> = vec![$($a.to_string()),*, "--database-url".into(), url.clone()]; fails(&v.iter().map(String::as_str).collect::<Vec<_>>()).await }};
    }
    let org = ok!("org", "create", "Acme Capital");
    assert!(fails!("org", "create", "Acme Capital").contains("exists"));
    let admin = ok!(
        "user",
        "add",
        "--org",
        "Acme Capital",
        "--name",
        "Ada",
        "--email",
        "ada@acme.test",
        "--role",
        "admin"
    );
    let ops = ok!(
        "user",
        "add",
        "--org",
        &org,
        "--name",
        "Bob",
        "--email",
        "bob@acme.test",
        "--role",
        "operator"
    );
    let (users, tokens) = (count(db, "users").await, count(db, "api_tokens").await);
    assert!(fails!(
        "user",
        "add",
        "--org",
        "Acme Capital",
        "--name",
        "C",
        "--email",
        "c@acme.test",
        "--role",
        "owner"
    )
    .contains("--role"));
    assert!(fails!(
        "user",
        "add",
        "--org",
        "Nope",
        "--name",
        "C",
        "--email",
        "c@acme.test",
        "--role",
        "admin"
    )
    .contains("not found"));
    assert!(fails!(
        "user", "add", "--org", &org, "--name", "C", "--email", "nope", "--role", "admin"
    )
    .contains("email"));
    assert!(fails!(
        "user",
        "add",
        "--org",
        &org,
        "--name",
        "C",
        "--email",
        "c@acme.test",
        "--role",
        "investor"
    )
    .contains("investorId"));
    assert!(
        fails!("token", "issue", "--user", &ops, "--name", "x", "--scope", "admin")
            .contains("scope")
    );
    assert!(fails!(
        "token",
        "issue",
        "--user",
        &ops,
        "--name",
        "x",
        "--expires",
        "2020-01-01"
    )
    .contains("expiresAt"));
    assert!(fails!(
        "token",
        "issue",
        "--user",
        &ops,
        "--name",
        "x",
        "--expires",
        "soon"
    )
    .contains("--expires"));
    assert!(fails!("token", "revoke", "no-such-token").contains("not found"));
    assert_eq!(
        (count(db, "users").await, count(db, "api_tokens").await),
        (users, tokens)
    );

    let listed = ok!("user", "list", "--org", "Acme Capital");
    assert_eq!(listed.lines().count(), 2);
    assert!(listed.contains(&admin) && listed.contains("bob@acme.test\tBob\t-"));
    let token = ok!(
        "token",
        "issue",
        "--user",
        &ops,
        "--name",
        "ci",
        "--expires-in",
        "30"
    );
    let other = ok!("token", "issue", "--user", &ops, "--name", "laptop");
    assert!(token.starts_with("cw_") && token.lines().count() == 1);
    let actor = auth::authenticate(db, &token).await.unwrap().unwrap();
    assert_eq!(
        (actor.org_id.as_str(), actor.role.as_str()),
        (org.as_str(), "operator")
    );
    let list = ok!("token", "list", "--user", &ops);
    assert_eq!(list.lines().count(), 2);
    let id = list
        .lines()
        .find(|l| l.contains("\tci\t"))
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        ok!("token", "list", "--org", "Acme Capital")
            .lines()
            .count(),
        2
    );

    ok!("token", "revoke", &id);
    assert!(!valid(db, &token).await);
    assert!(valid(db, &other).await);
    ok!("user", "disable", &ops);
    assert!(!valid(db, &other).await);
    assert!(ok!("user", "list", "--org", &org)
        .lines()
        .all(|l| !l.ends_with("\t-") || l.contains("ada@")));
    fresh.drop_database().await;
}

#[tokio::test]
async fn running_the_demo_again_revokes_the_first_runs_tokens() {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let fresh = fresh_database(base.as_deref(), &DbOptions { max_connections: 2 })
        .await
        .unwrap();
    let url = fresh.url.clone();
    let demo = [
        "demo",
        "--investors",
        "3",
        "--no-history",
        "--database-url",
        &url,
    ];
    let first: serde_json::Value = serde_json::from_str(
        &ok(&demo)
            .await
            .lines()
            .skip_while(|l| !l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let operator = first["operator"].as_str().unwrap().to_string();
    assert!(valid(&fresh.db, &operator).await);
    let second: serde_json::Value = serde_json::from_str(
        &ok(&demo)
            .await
            .lines()
            .skip_while(|l| !l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    for role in ["admin", "operator", "approver", "investor", "auditor"] {
        assert!(
            !valid(&fresh.db, first[role].as_str().unwrap()).await,
            "{role}"
        );
        assert!(
            valid(&fresh.db, second[role].as_str().unwrap()).await,
            "{role}"
        );
    }
    fresh.drop_database().await;
}

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
        // A new password per run, printed with the tokens.
        let (old, new) = (&first["signIn"][role], &second["signIn"][role]);
        assert_eq!(new["email"], format!("{role}@demo.clearway.dev"));
        assert_eq!(new["password"].as_str().unwrap().len(), 20);
        assert_ne!(old["password"], new["password"], "{role}");
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

/// Runs `clearway args…` with `input` on standard input.
async fn run_with_input(args: &[&str], input: &str) -> (i32, String, String) {
    use tokio::io::AsyncWriteExt;
    let mut child = support::clearway()
        .args(args)
        .env("CLEARWAY_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    )
}

#[tokio::test]
async fn the_operator_sets_a_web_password_and_prints_a_reset_link() {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let fresh = fresh_database(base.as_deref(), &DbOptions { max_connections: 2 })
        .await
        .unwrap();
    let url = fresh.url.as_str();
    ok(&["org", "create", "Pw Capital", "--database-url", url]).await;
    let user = ok(&[
        "user",
        "add",
        "--org",
        "Pw Capital",
        "--name",
        "Ann",
        "--email",
        "ann@pw.test",
        "--role",
        "approver",
        "--database-url",
        url,
    ])
    .await;
    // Too short: refused, one line, nothing set.
    let (code, _, err) = run_with_input(
        &["user", "password", &user, "--database-url", url],
        "short\n",
    )
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("12 to 128"), "{err}");
    assert!(clearway_store::sessions::login(&fresh.db, "ann@pw.test")
        .await
        .unwrap()
        .is_none());
    assert!(
        fails(&["user", "reset-link", "ann@pw.test", "--database-url", url])
            .await
            .contains("no enabled user")
    );
    let (code, out, err) = run_with_input(
        &["user", "password", &user, "--database-url", url],
        "a long enough password\n",
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("a long enough password"));
    let login = clearway_store::sessions::login(&fresh.db, "ANN@pw.test")
        .await
        .unwrap()
        .unwrap();
    assert!(
        login.password_hash.starts_with("$argon2id$"),
        "{}",
        login.password_hash
    );
    let link = ok(&[
        "user",
        "reset-link",
        "ann@pw.test",
        "--public-url",
        "https://pay.example/",
        "--database-url",
        url,
    ])
    .await;
    let token = link
        .strip_prefix("https://pay.example/login/reset/")
        .expect(&link);
    assert!(clearway_store::sessions::reset_usable(&fresh.db, token)
        .await
        .unwrap());
    fresh.drop_database().await;
}

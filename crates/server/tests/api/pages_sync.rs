//! Sync pages: the index (ownership form, upload form, files received, open conflicts link),
//! a dry run from the page writing nothing, a real import's counts, a file refused with its
//! rows named, the conflicts queue resolved with "take theirs"; CSRF on every form; investors
//! turned away and never shown the link.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

use crate::helpers::{spawn_app, TestApp};
use crate::web_client::Web;

/// The upload form's parts: `kind`, the file, and the dry-run box when `dry`.
fn upload(kind: &str, name: &str, csv: &str, dry: bool) -> Form {
    let form = Form::new().text("kind", kind.to_string()).part(
        "file",
        Part::bytes(csv.as_bytes().to_vec()).file_name(name.to_string()),
    );
    if dry {
        form.text("dry_run", "true")
    } else {
        form
    }
}

/// Every row of the tables a sync import may write, to prove a page wrote nothing.
async fn written(app: &TestApp) -> Vec<i64> {
    vec![
        app.count("SELECT COUNT(*) AS n FROM holdings").await,
        app.count("SELECT COUNT(*) AS n FROM nav_snapshots").await,
        app.count("SELECT COUNT(*) AS n FROM sync_conflicts").await,
        app.count("SELECT COUNT(*) AS n FROM audit_log").await,
        app.count("SELECT COUNT(*) AS n FROM outbox").await,
    ]
}

/// A holdings file of one row: `units` for the first investor of the open fund today.
fn holdings_csv(app: &TestApp, units: &str) -> String {
    let today = chrono::Utc::now().date_naive();
    format!(
        "fund_id,share_class,investor_id,as_of,units\n{},,{},{today},{units}\n",
        app.seeded.open_fund_id, app.seeded.investor_ids[0]
    )
}

#[tokio::test]
async fn sync_pages_dry_run_import_refusal_and_counts() {
    let app = spawn_app(3).await;
    let mut web = app.sign_in("operator").await;
    let index = web.get("/sync").await;
    assert_eq!(index.status, StatusCode::OK, "{}", index.body);
    assert!(index.body.contains(r#"href="/sync""#), "nav entry");
    assert!(index.body.contains("0 open conflicts"), "{}", index.body);
    assert!(index.body.contains("No file received yet."));
    // The defaults: NAV owned by the administrator, elections by Clearway.
    assert!(
        index.body.contains(
            r#"name="nav">
    <option value="ADMINISTRATOR" selected>"#
        ),
        "{}",
        index.body
    );
    assert!(index
        .body
        .contains(r#"<option value="CLEARWAY" selected>Clearway</option>"#));

    // A dry run shows the change and writes nothing.
    let before = written(&app).await;
    let dry = web
        .post_multipart(
            "/sync/files",
            upload("HOLDINGS", "h.csv", &holdings_csv(&app, "1234.5"), true),
        )
        .await;
    assert_eq!(dry.status, StatusCode::SEE_OTHER, "{}", dry.body);
    let dry = web.get(&dry.location.unwrap()).await;
    assert!(dry.body.contains("status-DRY_RUN"), "{}", dry.body);
    assert!(dry.body.contains("What the file would change"));
    assert!(dry.body.contains("<td>1234.5</td>"), "{}", dry.body);
    assert!(dry
        .body
        .contains(r#"<span class="status status-APPLY">APPLY</span>"#));
    assert_eq!(written(&app).await, before, "a dry run writes nothing");

    // For real: redirected to the file's page with its counts.
    web.get("/sync").await;
    let real = web
        .post_multipart(
            "/sync/files",
            upload("HOLDINGS", "h.csv", &holdings_csv(&app, "1234.5"), false),
        )
        .await;
    assert_eq!(real.status, StatusCode::SEE_OTHER, "{}", real.body);
    let at = real.location.unwrap();
    let page = web.get(&at).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("status-APPLIED"), "{}", page.body);
    assert!(
        page.body
            .contains("1 rows: 1 applied, 0 unchanged, 0 conflicts opened, 0 errors"),
        "{}",
        page.body
    );
    let index = web.get("/sync").await;
    assert!(
        index.body.contains(&format!(r#"<a href="{at}">h.csv</a>"#)),
        "{}",
        index.body
    );

    // A broken file: refused, its rows and fields named, nothing written.
    let before = written(&app).await;
    let bad = format!(
        "fund_id,share_class,investor_id,as_of,units\n{},,{},2026-13-01,abc\n",
        app.seeded.open_fund_id, app.seeded.investor_ids[0]
    );
    let refused = web
        .post_multipart("/sync/files", upload("HOLDINGS", "bad.csv", &bad, false))
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
    let page = web.get(&refused.location.unwrap()).await;
    assert!(page.body.contains("status-REFUSED"), "{}", page.body);
    assert!(
        page.body
            .contains(r#"<th scope="row" class="num">2</th><td>as_of</td>"#),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<th scope="row" class="num">2</th><td>units</td>"#),
        "{}",
        page.body
    );
    assert_eq!(
        written(&app).await[..3],
        before[..3],
        "a refused file changes nothing"
    );

    // Without the kind or a file, the form comes back with the fields named.
    web.get("/sync").await;
    let empty = web
        .post_multipart("/sync/files", Form::new().text("kind", "NOPE"))
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("err-kind") && empty.body.contains("err-file"));
    app.stop().await;
}

#[tokio::test]
async fn an_unowned_change_is_a_conflict_resolved_from_the_queue() {
    let app = spawn_app(3).await;
    let mut web = app.sign_in("operator").await;
    web.get("/sync").await;
    // Holdings now owned by Clearway: the administrator's change becomes a conflict.
    let saved = web
        .post(
            "/sync/ownership",
            &[
                ("nav", "ADMINISTRATOR"),
                ("holdings", "CLEARWAY"),
                ("schedules", "CLEARWAY"),
                ("elections", "CLEARWAY"),
                ("bank_details", "CLEARWAY"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location.as_deref(), Some("/sync?notice=ownership"));
    let index = web.get("/sync?notice=ownership").await;
    assert!(index.body.contains("Ownership saved."));
    assert!(
        index.body.contains(
            r#"name="holdings">
    <option value="ADMINISTRATOR">Fund administrator</option>
    <option value="CLEARWAY" selected>"#
        ),
        "{}",
        index.body
    );

    let up = web
        .post_multipart(
            "/sync/files",
            upload("HOLDINGS", "h.csv", &holdings_csv(&app, "77"), false),
        )
        .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let page = web.get(&up.location.unwrap()).await;
    assert!(page.body.contains("1 conflicts opened"), "{}", page.body);
    assert!(web.get("/sync").await.body.contains("1 open conflict<"));
    let queue = web.get("/sync/conflicts").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("<td>77</td>"), "{}", queue.body);
    let id = queue
        .body
        .split("/sync/conflicts/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();

    // An edited value that does not parse is named, nothing resolved.
    let bad = web
        .post(
            &format!("/sync/conflicts/{id}/resolve"),
            &[("resolution", "EDIT"), ("value", "lots")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("value"), "{}", bad.body);
    let taken = web
        .post(
            &format!("/sync/conflicts/{id}/resolve"),
            &[("resolution", "TAKE_THEIRS")],
        )
        .await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.body);
    assert!(web
        .get("/sync/conflicts")
        .await
        .body
        .contains("No open conflict."));
    let resolved = web.get("/sync/conflicts?status=RESOLVED").await;
    assert!(
        resolved.body.contains("<td>TAKE_THEIRS</td><td>77</td>"),
        "{}",
        resolved.body
    );
    // Resolving twice is refused.
    let again = web
        .post(
            &format!("/sync/conflicts/{id}/resolve"),
            &[("resolution", "TAKE_OURS")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    app.stop().await;
}

#[tokio::test]
async fn sync_forms_need_their_token_and_investors_never_see_the_pages() {
    let app = spawn_app(3).await;
    let mut web = app.sign_in("operator").await;
    web.get("/sync").await;
    let owners = [
        ("nav", "CLEARWAY"),
        ("holdings", "CLEARWAY"),
        ("schedules", "CLEARWAY"),
        ("elections", "CLEARWAY"),
        ("bank_details", "CLEARWAY"),
    ];
    let forged = web.post_raw("/sync/ownership", &owners).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut no_token = Web::anonymous(&app);
    no_token.cookies = web.cookies.clone();
    let upload_forged = no_token
        .post_multipart(
            "/sync/files",
            upload("HOLDINGS", "h.csv", &holdings_csv(&app, "5"), false),
        )
        .await;
    assert_eq!(upload_forged.status, StatusCode::FORBIDDEN);
    let forged_resolve = web
        .post_raw("/sync/conflicts/x/resolve", &[("resolution", "TAKE_OURS")])
        .await;
    assert_eq!(forged_resolve.status, StatusCode::FORBIDDEN);
    assert!(web
        .get("/sync")
        .await
        .body
        .contains("No file received yet."));
    assert!(
        web.get("/sync").await.body.contains(
            r#"name="nav">
    <option value="ADMINISTRATOR" selected>"#
        ),
        "ownership unchanged"
    );

    let mut investor = app.sign_in("investor").await;
    let home = investor.get("/account/distributions").await;
    assert!(
        !home.body.contains(r#"href="/sync""#),
        "no nav link for investors"
    );
    for path in ["/sync", "/sync/conflicts", "/sync/files/x"] {
        assert_eq!(
            investor.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let posted = investor.post("/sync/ownership", &owners).await;
    assert_eq!(posted.status, StatusCode::NOT_FOUND);
    let mut auditor = app.sign_in("auditor").await;
    assert_eq!(auditor.get("/sync").await.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

//! Fund-administrator sync (issue 21): files applied per kind, field ownership and conflicts,
//! resolution with audit, dry runs that write nothing, malformed files refused whole,
//! duplicates, tenancy, and the watched directory.

use clearway_store::{q, Actor};
use reqwest::StatusCode;
use serde_json::{json, Value};

use std::sync::Arc;

use clearway_server::sync::dropdir::{poll_once, DropSource, LocalDir, Seen};
use clearway_server::sync::sftp::SftpDir;

use crate::helpers::{spawn_app, TestApp};

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    kind: &str,
    dry_run: bool,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    let resp = app
        .client
        .post(app.url(&format!("/api/sync/files?kind={kind}&dryRun={dry_run}")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn ok_json(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Units the investor holds in DEMO-OPEN at exactly `date` (None: no row of that date).
async fn units_at(app: &TestApp, investor: &str, date: &str) -> Option<String> {
    app.db
        .fetch_optional(
            q("SELECT units FROM holdings WHERE fund_id = $1 AND investor_id = $2 AND as_of = $3 AND share_class = 'DEFAULT'")
                .bind(&app.seeded.open_fund_id)
                .bind(investor)
                .bind(date),
        )
        .await
        .unwrap()
        .map(|r| r.text("units").unwrap())
}

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) AS n FROM holdings",
        "SELECT COUNT(*) AS n FROM nav_snapshots",
        "SELECT COUNT(*) AS n FROM reinvestment_elections",
        "SELECT COUNT(*) AS n FROM sync_conflicts",
        "SELECT COUNT(*) AS n FROM audit_log",
        "SELECT COUNT(*) AS n FROM outbox",
    ] {
        out.push(app.count(sql).await);
    }
    out
}

fn holdings_csv(rows: &[(&str, &str)], date: &str) -> Vec<u8> {
    let mut s = String::from("fund_id,share_class,investor_id,as_of,units\n");
    for (investor, units) in rows {
        s.push_str(&format!("DEMO-OPEN,,{investor},{date},{units}\n"));
    }
    s.into_bytes()
}

fn errors(v: &Value) -> Vec<(u64, String)> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn owned_files_apply_dry_runs_write_nothing_and_duplicates_are_ignored() {
    let app = spawn_app(5).await;
    let op = app.token("operator").to_string();
    let inv = app.seeded.investor_ids.clone();
    let file = holdings_csv(&[(&inv[0], "123.4500"), (&inv[1], "7")], "2030-01-31");

    let before = counts(&app).await;
    let (status, dry) = upload(&app, &op, "HOLDINGS", true, "h.csv", file.clone()).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["status"], "DRY_RUN");
    assert_eq!(
        (dry["rowsTotal"].as_i64(), dry["rowsApplied"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(counts(&app).await, before, "a dry run writes nothing");
    assert_eq!(units_at(&app, &inv[0], "2030-01-31").await, None);

    let (status, real) = upload(&app, &op, "HOLDINGS", false, "h.csv", file.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{real}");
    assert_eq!(real["status"], "APPLIED");
    assert_eq!(real["source"], "UPLOAD");
    assert_eq!(
        real["changes"], dry["changes"],
        "the dry run reported the same diff"
    );
    assert_eq!(real["changes"][0]["after"], "123.45");
    assert_eq!(real["changes"][0]["outcome"], "APPLY");
    assert_eq!(
        units_at(&app, &inv[0], "2030-01-31").await.as_deref(),
        Some("123.45")
    );
    assert_eq!(
        units_at(&app, &inv[1], "2030-01-31").await.as_deref(),
        Some("7")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'sync.file_applied'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'sync.file.import'")
            .await,
        1
    );

    let mid = counts(&app).await;
    let (status, dup) = upload(&app, &op, "HOLDINGS", false, "again.csv", file).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dup["status"], "DUPLICATE");
    assert_eq!(counts(&app).await, mid, "a duplicate applies nothing");

    // The same values in another file: counted unchanged, not written.
    let same = holdings_csv(&[(&inv[0], "123.45")], "2030-01-31");
    let (_, v) = upload(&app, &op, "HOLDINGS", false, "same.csv", same).await;
    assert_eq!(
        (v["rowsUnchanged"].as_i64(), v["rowsApplied"].as_i64()),
        (Some(1), Some(0))
    );

    let navs =
        b"fund_id,share_class,nav_date,nav_per_share,currency\nDEMO-OPEN,,2030-01-31,12.3450,USD\n"
            .to_vec();
    let (status, v) = upload(&app, &op, "NAVS", false, "navs.csv", navs).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "APPLIED");
    let nav = app
        .db
        .fetch_optional(
            q("SELECT nav FROM nav_snapshots WHERE fund_id = $1 AND as_of = '2030-01-31'")
                .bind(&app.seeded.open_fund_id),
        )
        .await
        .unwrap()
        .unwrap()
        .text("nav")
        .unwrap();
    assert_eq!(nav, "12.345");

    let list = ok_json(app.get("auditor", "/api/sync/files?limit=2").await, 200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_eq!(list["items"][0]["kind"], "NAVS", "newest first");
    let next = list["nextCursor"].as_str().unwrap();
    let page2 = ok_json(
        app.get(
            "auditor",
            &format!("/api/sync/files?limit=10&cursor={}", urlencode(next)),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(page2["items"].as_array().unwrap().len(), 3);
    let one = ok_json(
        app.get(
            "operator",
            &format!("/api/sync/files/{}", real["id"].as_str().unwrap()),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(one["changes"], real["changes"]);
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A").replace('|', "%7C")
}

#[tokio::test]
async fn unowned_changes_open_conflicts_that_resolve_each_way_with_audit() {
    let app = spawn_app(5).await;
    let op = app.token("operator").to_string();
    let inv = app.seeded.investor_ids.clone();
    let own = json!({"nav": "ADMINISTRATOR", "holdings": "CLEARWAY", "schedules": "CLEARWAY", "elections": "CLEARWAY", "bankDetails": "CLEARWAY"});
    let got = ok_json(app.put("operator", "/api/sync/ownership", &own).await, 200).await;
    assert_eq!(got, own);
    assert_eq!(
        ok_json(app.get("auditor", "/api/sync/ownership").await, 200).await,
        own
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'sync.ownership.change'")
            .await,
        1
    );
    let bad = ok_json(app.put("operator", "/api/sync/ownership", &json!({"nav": "X", "holdings": "CLEARWAY", "schedules": "CLEARWAY", "elections": "CLEARWAY", "bankDetails": "CLEARWAY"})).await, 422).await;
    assert!(bad.to_string().contains("\"nav\""), "{bad}");

    // Holdings now belong to Clearway: the administrator's differing units are a conflict.
    let (status, v) = upload(
        &app,
        &op,
        "HOLDINGS",
        false,
        "h1.csv",
        holdings_csv(&[(&inv[0], "50")], "2030-01-31"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["conflictsOpened"].as_i64(), v["rowsApplied"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        units_at(&app, &inv[0], "2030-01-31").await,
        None,
        "not applied"
    );
    let (_, _) = upload(
        &app,
        &op,
        "HOLDINGS",
        false,
        "h2.csv",
        holdings_csv(&[(&inv[0], "60")], "2030-01-31"),
    )
    .await;
    let open = ok_json(app.get("operator", "/api/sync/conflicts").await, 200).await;
    let items = open["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "the open conflict is refreshed, not doubled: {open}"
    );
    let c = &items[0];
    assert_eq!(
        (
            c["domain"].as_str(),
            c["field"].as_str(),
            c["theirs"].as_str()
        ),
        (Some("HOLDINGS"), Some("units"), Some("60"))
    );
    assert!(
        c["ours"].as_str().is_some(),
        "our value kept beside theirs: {c}"
    );
    let id = c["id"].as_str().unwrap().to_string();

    // Another organization and investors see nothing.
    let other = app.seed_another_org(2, "Other Org").await;
    let resp = app
        .client
        .get(app.url("/api/sync/conflicts"))
        .bearer_auth(&other.tokens.operator)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok_json(resp, 200).await["items"].as_array().unwrap().len(),
        0
    );
    let resp = app
        .client
        .post(app.url(&format!("/api/sync/conflicts/{id}/resolve")))
        .bearer_auth(&other.tokens.operator)
        .json(&json!({"resolution": "TAKE_THEIRS"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert_eq!(
        app.get("investor", "/api/sync/conflicts")
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        app.get("investor", "/api/sync/ownership")
            .await
            .status()
            .as_u16(),
        404
    );

    let done = ok_json(
        app.post(
            "operator",
            &format!("/api/sync/conflicts/{id}/resolve"),
            &json!({"resolution": "TAKE_THEIRS"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (done["status"].as_str(), done["resolvedValue"].as_str()),
        (Some("RESOLVED"), Some("60"))
    );
    assert_eq!(
        units_at(&app, &inv[0], "2030-01-31").await.as_deref(),
        Some("60"),
        "theirs written"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'sync.conflict.resolve'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'sync.conflict_resolved'")
            .await,
        1
    );
    ok_json(
        app.post(
            "operator",
            &format!("/api/sync/conflicts/{id}/resolve"),
            &json!({"resolution": "TAKE_OURS"}),
        )
        .await,
        409,
    )
    .await;

    // Elections belong to Clearway: a reinvestment percentage is a conflict; EDIT writes it.
    let prefs = format!("investor_id,fund_id,reinvest_percent,payment_rail,bank_account_id\n{},DEMO-OPEN,50,,\n{},DEMO-OPEN,100,,\n", inv[1], inv[2]);
    let (_, v) = upload(&app, &op, "PREFERENCES", false, "p.csv", prefs.into_bytes()).await;
    assert_eq!(v["conflictsOpened"].as_i64(), Some(2), "{v}");
    let open = ok_json(
        app.get("operator", "/api/sync/conflicts?status=OPEN").await,
        200,
    )
    .await;
    // The conflict of inv[1] first, then inv[2]'s (opened together, their order is by id).
    let mut items = open["items"].as_array().unwrap().clone();
    items.sort_by_key(|c| !c["entityId"].as_str().unwrap().starts_with(inv[1].as_str()));
    let ids: Vec<String> = items
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(open["items"][0]["ours"], "0", "everyone is CASH");
    let e1 = ok_json(
        app.post(
            "operator",
            &format!("/api/sync/conflicts/{}/resolve", ids[0]),
            &json!({"resolution": "EDIT"}),
        )
        .await,
        422,
    )
    .await;
    assert!(e1.to_string().contains("\"value\""), "{e1}");
    ok_json(
        app.post(
            "operator",
            &format!("/api/sync/conflicts/{}/resolve", ids[0]),
            &json!({"resolution": "EDIT", "value": "abc"}),
        )
        .await,
        422,
    )
    .await;
    let elections = app
        .count("SELECT COUNT(*) AS n FROM reinvestment_elections")
        .await;
    let r = ok_json(
        app.post(
            "operator",
            &format!("/api/sync/conflicts/{}/resolve", ids[0]),
            &json!({"resolution": "EDIT", "value": "25.0"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["resolvedValue"], "25");
    let pct = app
        .db
        .fetch_optional(
            q("SELECT election, percentage FROM reinvestment_elections WHERE investor_id = $1")
                .bind(&inv[1]),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            pct.text("election").unwrap().as_str(),
            pct.text("percentage").unwrap().parse::<f64>().unwrap()
        ),
        ("PARTIAL", 25.0)
    );
    let r = ok_json(
        app.post(
            "operator",
            &format!("/api/sync/conflicts/{}/resolve", ids[1]),
            &json!({"resolution": "TAKE_OURS"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["resolution"], "TAKE_OURS");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM reinvestment_elections")
            .await,
        elections + 1,
        "TAKE_OURS writes nothing"
    );
    let resolved = ok_json(
        app.get("auditor", "/api/sync/conflicts?status=RESOLVED")
            .await,
        200,
    )
    .await;
    assert_eq!(resolved["items"].as_array().unwrap().len(), 3);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'sync.conflict.resolve'")
            .await,
        3
    );
    app.stop().await;
}

#[tokio::test]
async fn malformed_and_partial_files_are_refused_whole() {
    let app = spawn_app(5).await;
    let op = app.token("operator").to_string();
    let inv = app.seeded.investor_ids.clone();
    let other = app.seed_another_org(2, "Other Org").await;
    let before = counts(&app).await;

    let bad_decimal = holdings_csv(&[(&inv[0], "10"), (&inv[1], "1.5.1")], "2030-01-31");
    let (status, v) = upload(&app, &op, "HOLDINGS", false, "bad.csv", bad_decimal).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(v["status"], "REFUSED");
    assert_eq!(errors(&v), vec![(3, "units".to_string())]);

    let missing = format!(
        "fund_id,investor_id,as_of,units\nDEMO-OPEN,{},2030-01-31,1\n",
        inv[0]
    )
    .into_bytes();
    let (_, v) = upload(&app, &op, "HOLDINGS", false, "missing.csv", missing).await;
    assert_eq!(errors(&v), vec![(1, "share_class".to_string())]);

    let cut = holdings_csv(&[(&inv[0], "10"), (&inv[1], "11")], "2030-01-31");
    let cut = cut[..cut.len() - 9].to_vec();
    let (_, v) = upload(&app, &op, "HOLDINGS", false, "cut.csv", cut).await;
    assert_eq!(errors(&v), vec![(3, "row".to_string())], "{v}");

    let mut xlsx = b"PK\x03\x04".to_vec();
    xlsx.extend_from_slice(&[0u8; 40]);
    let (_, v) = upload(&app, &op, "HOLDINGS", false, "cut.xlsx", xlsx).await;
    assert_eq!(
        (v["status"].as_str(), errors(&v)),
        (Some("REFUSED"), vec![(1, "file".to_string())])
    );

    // Another organization's fund and investor are unknown here, and refuse the good rows too.
    let foreign = format!(
        "fund_id,share_class,investor_id,as_of,units\nDEMO-OPEN,,{},2030-01-31,10\n{},,{},2030-01-31,5\nDEMO-OPEN,,{},2030-01-31,5\n",
        inv[0], other.open_fund_id, inv[1], other.investor_ids[0]
    );
    let (_, v) = upload(
        &app,
        &op,
        "HOLDINGS",
        false,
        "foreign.csv",
        foreign.into_bytes(),
    )
    .await;
    assert_eq!(v["status"], "REFUSED");
    assert_eq!(
        errors(&v),
        vec![(3, "fund_id".to_string()), (4, "investor_id".to_string())]
    );
    assert!(v["errors"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("unknown fund"));

    let prefs = format!("investor_id,fund_id,reinvest_percent,payment_rail,bank_account_id\n{},DEMO-OPEN,,ACH,nope\n", inv[0]);
    let (_, v) = upload(&app, &op, "PREFERENCES", false, "p.csv", prefs.into_bytes()).await;
    assert_eq!(errors(&v), vec![(2, "bank_account_id".to_string())]);

    // The form is strict too: a part besides `file`, or `file` twice, is 422 naming it, and
    // no file is recorded.
    let files_before = app.count("SELECT COUNT(*) AS n FROM sync_files").await;
    let good = holdings_csv(&[(&inv[0], "10")], "2030-01-31");
    for extra in ["note", "file"] {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(good.clone()).file_name("h.csv"),
            )
            .text(extra, "x");
        let resp = app
            .client
            .post(app.url("/api/sync/files?kind=HOLDINGS&dryRun=false"))
            .bearer_auth(&op)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{extra}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["field"], "file");
        let detail = v["detail"].as_str().unwrap();
        if extra == "note" {
            assert!(detail.contains("'note'"), "{detail}");
        } else {
            assert!(detail.contains("more than once"), "{detail}");
        }
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM sync_files").await,
        files_before
    );

    // Refused files leave the data alone (their report and audit entry aside).
    let after = counts(&app).await;
    assert_eq!(after[..4], before[..4], "no value or conflict written");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'sync.file_applied'")
            .await,
        0
    );
    assert_eq!(units_at(&app, &inv[0], "2030-01-31").await, None);

    // Roles: an auditor may not upload; an investor is told nothing.
    let (status, _) = upload(
        &app,
        app.token("auditor"),
        "HOLDINGS",
        false,
        "x.csv",
        b"x".to_vec(),
    )
    .await;
    assert_eq!(status.as_u16(), 403);
    let (status, _) = upload(
        &app,
        app.token("investor"),
        "HOLDINGS",
        false,
        "x.csv",
        b"x".to_vec(),
    )
    .await;
    assert_eq!(status.as_u16(), 404);
    let (status, v) = upload(&app, &op, "NOPE", false, "x.csv", b"x".to_vec()).await;
    assert_eq!(status.as_u16(), 422, "{v}");
    app.stop().await;
}

#[tokio::test]
async fn the_drop_directory_imports_moves_and_reports() {
    let app = spawn_app(5).await;
    let dir = std::env::temp_dir().join(format!("clearway-sync-drop-{}", clearway_store::new_id()));
    let source: Arc<dyn DropSource> = Arc::new(LocalDir(dir.clone()));
    drop_scenario(&app, &dir, source).await;
    std::fs::remove_dir_all(&dir).unwrap();
    app.stop().await;
}

/// An SFTP server (OpenSSH's sshd on a free port, its own host key, a key-only login) serving
/// a drop directory: the same scenario as the local directory; a server whose host key is not
/// the configured one is refused before anything is sent.
#[tokio::test]
async fn an_sftp_drop_directory_imports_moves_and_reports() {
    let dir = std::env::temp_dir().join(format!("clearway-sftp-{}", clearway_store::new_id()));
    let Some(mut sshd) = crate::sshd::Sshd::start(&dir) else {
        return;
    };
    let app = spawn_app(5).await;
    let drop_dir = dir.join("drop");
    let config = sshd.config(&drop_dir);

    let mut wrong = config.clone();
    wrong.host_key_sha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU".into();
    let impostor: Arc<dyn DropSource> = Arc::new(SftpDir::new(wrong));
    std::fs::create_dir_all(drop_dir.join("holdings")).unwrap();
    let err = impostor.list().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied, "{err}");
    assert!(err.to_string().contains("host key"), "{err}");

    let source: Arc<dyn DropSource> = Arc::new(SftpDir::new(config));
    drop_scenario(&app, &drop_dir, source).await;
    sshd.stop();
    std::fs::remove_dir_all(&dir).unwrap();
    app.stop().await;
}

/// Files dropped in `dir` (which `source` serves): taken once unchanged across two polls,
/// applied or refused whole, moved with their report; `.part` files left; a second drop of the
/// same bytes a duplicate.
async fn drop_scenario(app: &TestApp, dir: &std::path::Path, source: Arc<dyn DropSource>) {
    let inv = app.seeded.investor_ids.clone();
    std::fs::create_dir_all(dir.join("holdings")).unwrap();
    let good = holdings_csv(&[(&inv[0], "42")], "2030-02-28");
    std::fs::write(dir.join("holdings/good.csv"), &good).unwrap();
    std::fs::write(dir.join("holdings/bad.csv"), b"fund_id\n").unwrap();
    std::fs::write(dir.join("holdings/later.csv.part"), &good).unwrap();
    let actor = Actor::system(&app.seeded.org_id);
    let mut seen = Seen::new();

    // First sight: nothing is taken until a poll finds the file unchanged.
    assert!(poll_once(&app.db, &actor, &source, &mut seen)
        .await
        .unwrap()
        .is_empty());
    let reports = poll_once(&app.db, &actor, &source, &mut seen)
        .await
        .unwrap();
    let mut statuses: Vec<(String, String)> = reports
        .iter()
        .map(|r| (r.file_name.clone(), r.status.to_string()))
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        vec![
            ("bad.csv".into(), "REFUSED".into()),
            ("good.csv".into(), "APPLIED".into())
        ]
    );
    assert!(dir.join("processed/good.csv").exists());
    let result: Value =
        serde_json::from_slice(&std::fs::read(dir.join("processed/good.csv.result.json")).unwrap())
            .unwrap();
    assert_eq!(
        (result["status"].as_str(), result["source"].as_str()),
        (Some("APPLIED"), Some("DROP"))
    );
    assert!(
        dir.join("refused/bad.csv").exists() && dir.join("refused/bad.csv.result.json").exists()
    );
    assert!(
        dir.join("holdings/later.csv.part").exists(),
        ".part files are left for the writer"
    );
    assert_eq!(
        units_at(app, &inv[0], "2030-02-28").await.as_deref(),
        Some("42")
    );

    // The same content dropped again is a duplicate, moved aside with a new name.
    std::fs::write(dir.join("holdings/good.csv"), &good).unwrap();
    poll_once(&app.db, &actor, &source, &mut seen)
        .await
        .unwrap();
    let r = poll_once(&app.db, &actor, &source, &mut seen)
        .await
        .unwrap();
    assert_eq!(r[0].status.to_string(), "DUPLICATE");
    let processed = std::fs::read_dir(dir.join("processed")).unwrap().count();
    assert_eq!(processed, 4, "both copies and both results kept");
}

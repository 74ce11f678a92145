//! The administrator REST connector against a local stand-in of a Carta-style API: pulls
//! across pages resume from the stored cursor, faults are retried with backoff, pushes carry
//! an `Idempotency-Key` the stand-in deduplicates on, and the outbound files carry each change
//! once.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clearway_app::sync::connector::{RetryPolicy, SyncSettings};
use clearway_store::q;
use serde_json::{json, Value};

use crate::helpers::{pro_rata, spawn_app, test_config, TestApp};

const TOKEN: &str = "stand-in-token";

/// What the stand-in holds and saw.
#[derive(Default)]
struct Admin {
    /// The change feed (each change's `id` is its position's cursor).
    changes: Vec<Value>,
    /// Answers to give before answering normally: (status, Retry-After).
    faults: VecDeque<(u16, Option<u64>)>,
    /// Answer every request with 500.
    always_fail: bool,
    /// `since` of each changes request that was answered (None: from the start).
    since_seen: Vec<Option<String>>,
    /// Requests received, faults included.
    requests: usize,
    /// Pushes by idempotency key: (body, receipt id).
    pushes: HashMap<String, (Value, String)>,
    /// Push requests received.
    push_requests: Vec<String>,
    /// Hold the first push answer this long (after storing it), to make the client time out.
    first_push_delay: Option<Duration>,
}

type Shared = Arc<Mutex<Admin>>;

/// The feed answers at most two changes per page, whatever `limit` asks.
const PAGE: usize = 2;

fn fault(admin: &mut Admin) -> Option<Response> {
    admin.requests += 1;
    if admin.always_fail {
        return Some((StatusCode::INTERNAL_SERVER_ERROR, "down").into_response());
    }
    let (status, retry_after) = admin.faults.pop_front()?;
    let mut resp = (StatusCode::from_u16(status).unwrap(), "try later").into_response();
    if let Some(s) = retry_after {
        resp.headers_mut()
            .insert("retry-after", s.to_string().parse().unwrap());
    }
    Some(resp)
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

async fn changes(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(qs): Query<HashMap<String, String>>,
) -> Response {
    let mut a = s.lock().unwrap();
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if let Some(r) = fault(&mut a) {
        return r;
    }
    assert_eq!(qs.get("limit").map(String::as_str), Some("500"));
    let since = qs.get("since").cloned();
    a.since_seen.push(since.clone());
    let start = since
        .map(|c| {
            a.changes
                .iter()
                .position(|x| x["id"] == c.as_str())
                .unwrap()
                + 1
        })
        .unwrap_or(0);
    let page: Vec<Value> = a.changes.iter().skip(start).take(PAGE).cloned().collect();
    let next = page.last().map(|c| c["id"].clone()).unwrap_or(Value::Null);
    let has_more = start + page.len() < a.changes.len();
    let next = if next.is_null() { json!(null) } else { next };
    Json(json!({ "changes": page, "next_cursor": next, "has_more": has_more })).into_response()
}

async fn distributions(
    State(s): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (receipt, created, delay) = {
        let mut a = s.lock().unwrap();
        if let Some(r) = fault(&mut a) {
            return r;
        }
        a.push_requests.push(key.clone());
        let delay = a.first_push_delay.take();
        let n = a.pushes.len();
        let created = !a.pushes.contains_key(&key);
        let entry = a
            .pushes
            .entry(key)
            .or_insert_with(|| (body, format!("adm_{}", n + 1)));
        (entry.1.clone(), created, delay)
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(json!({ "id": receipt }))).into_response()
}

async fn stand_in(admin: Shared) -> String {
    let app = Router::new()
        .route("/v1/changes", get(changes))
        .route("/v1/distributions", post(distributions))
        .with_state(admin);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// An app whose connector points at a fresh stand-in.
async fn app_with_admin() -> (TestApp, Shared) {
    let mut app = spawn_app(3).await;
    let admin: Shared = Arc::default();
    let url = stand_in(admin.clone()).await;
    let mut config = test_config();
    config.sync = SyncSettings {
        api_url: Some(url),
        api_token: TOKEN.into(),
        org_id: Some(app.seeded.org_id.clone()),
        every: None,
        outbox_dir: None,
        retry: RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
            timeout: Duration::from_millis(700),
        },
    };
    app.stop_server().await;
    app.restart(config).await;
    (app, admin)
}

fn nav_change(id: &str, fund_id: &str, date: &str, nav: &str) -> Value {
    json!({ "id": id, "type": "NAV", "data": { "fund_id": fund_id, "share_class": null, "nav_date": date, "nav_per_share": nav, "currency": "USD" } })
}

async fn status(app: &TestApp) -> Value {
    let resp = app.get("operator", "/api/sync/connector").await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn run(app: &TestApp, what: &str) {
    let resp = app
        .post(
            "operator",
            &format!("/api/sync/connector/{what}"),
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), 202, "{}", resp.text().await.unwrap());
    app.wait_jobs().await;
}

#[tokio::test]
async fn a_pull_follows_the_pages_stores_the_cursor_and_resumes_from_it() {
    let (app, admin) = app_with_admin().await;
    let fund = app.seeded.open_fund_id.clone();
    admin.lock().unwrap().changes = vec![
        nav_change("c1", &fund, "2026-01-30", "10.50"),
        nav_change("c2", &fund, "2026-02-27", "10.75"),
        nav_change("c3", &fund, "2026-03-31", "11.00"),
    ];
    run(&app, "pull").await;
    let s = status(&app).await;
    assert_eq!(s["configured"], true);
    assert_eq!(s["cursor"], "c3");
    assert_eq!(s["recordsPulled"], 3);
    assert_eq!(s["lastError"], Value::Null);
    assert_eq!(
        admin.lock().unwrap().since_seen,
        vec![None, Some("c2".to_string())]
    );
    // The administrator owns NAVs by default: the pulled NAVs are ours now.
    let at = app
        .get(
            "operator",
            &format!("/api/funds/{fund}/navs/at?date=2026-03-31"),
        )
        .await;
    assert_eq!(at.status(), 200);
    let at: Value = at.json().await.unwrap();
    assert_eq!(
        (at["navDate"].as_str(), at["nav"].as_str()),
        (Some("2026-03-31"), Some("11"))
    );

    admin
        .lock()
        .unwrap()
        .changes
        .push(nav_change("c4", &fund, "2026-04-30", "11.25"));
    run(&app, "pull").await;
    let s = status(&app).await;
    assert_eq!(s["cursor"], "c4");
    assert_eq!(s["recordsPulled"], 4, "only the new change is pulled again");
    assert_eq!(admin.lock().unwrap().since_seen[2], Some("c3".to_string()));
    app.stop().await;
}

#[tokio::test]
async fn a_pulled_change_to_a_field_we_own_opens_a_conflict_and_a_bad_one_fails_the_run() {
    let (app, admin) = app_with_admin().await;
    let fund = app.seeded.open_fund_id.clone();
    let put = app
        .put(
            "operator",
            "/api/sync/ownership",
            &json!({ "nav": "CLEARWAY", "holdings": "ADMINISTRATOR", "schedules": "CLEARWAY",
                     "elections": "CLEARWAY", "bankDetails": "CLEARWAY" }),
        )
        .await;
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    admin.lock().unwrap().changes = vec![nav_change("c1", &fund, "2026-01-30", "10.50")];
    run(&app, "pull").await;
    let conflicts: Value = app
        .get("operator", "/api/sync/conflicts?status=OPEN")
        .await
        .json()
        .await
        .unwrap();
    let items = conflicts["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{conflicts}");
    assert_eq!(
        (
            items[0]["domain"].as_str(),
            items[0]["theirs"].as_str(),
            items[0]["source"].as_str()
        ),
        (Some("NAV"), Some("10.5"), Some("API"))
    );
    let at = app
        .get(
            "operator",
            &format!("/api/funds/{fund}/navs/at?date=2026-01-30"),
        )
        .await;
    let at: Value = at.json().await.unwrap();
    assert_ne!(at["nav"].as_str(), Some("10.50"), "not applied: {at}");
    assert_eq!(status(&app).await["cursor"], "c1");

    // A record the reader refuses fails the run and keeps the cursor.
    admin
        .lock()
        .unwrap()
        .changes
        .push(nav_change("c2", &fund, "2026-02-30", "10.75"));
    let resp = app
        .post("operator", "/api/sync/connector/pull", &json!({}))
        .await;
    assert_eq!(resp.status(), 202);
    app.wait_jobs().await;
    let s = status(&app).await;
    assert_eq!(s["cursor"], "c1");
    let error = s["lastError"].as_str().unwrap_or_default().to_string();
    assert!(error.contains("nav_date"), "{error}");
    app.stop().await;
}

#[tokio::test]
async fn a_429_with_retry_after_then_a_500_are_retried_until_it_succeeds() {
    let (app, admin) = app_with_admin().await;
    let fund = app.seeded.open_fund_id.clone();
    {
        let mut a = admin.lock().unwrap();
        a.changes = vec![nav_change("c1", &fund, "2026-01-30", "10.50")];
        a.faults = VecDeque::from([(429, Some(1)), (500, None)]);
    }
    let started = Instant::now();
    run(&app, "pull").await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert_eq!(admin.lock().unwrap().requests, 3, "429, 500, then 200");
    let s = status(&app).await;
    assert_eq!(s["cursor"], "c1");
    assert_eq!(s["lastError"], Value::Null);
    assert!(s["lastSuccessAt"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn an_administrator_always_failing_fails_the_job_for_the_queue_to_retry() {
    let (app, admin) = app_with_admin().await;
    admin.lock().unwrap().always_fail = true;
    let resp = app
        .post("operator", "/api/sync/connector/pull", &json!({}))
        .await;
    assert_eq!(resp.status(), 202);
    let job: Value = resp.json().await.unwrap();
    let job_id = job["jobId"].as_str().unwrap().to_string();
    let mut last = Value::Null;
    for _ in 0..200 {
        last = status(&app).await;
        if last["lastError"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let err = last["lastError"].as_str().expect("the error is shown");
    assert!(err.contains("500"), "{err}");
    assert!(err.contains("gave up after 4 attempts"), "{err}");
    assert_eq!(admin.lock().unwrap().requests, 4);
    // The queue holds it for a later attempt (5 minutes), not dead.
    for _ in 0..200 {
        let row = app
            .db
            .fetch_optional(
                q("SELECT status, attempts, run_at FROM jobs WHERE id = $1").bind(job_id.clone()),
            )
            .await
            .unwrap()
            .unwrap();
        if row.text("status").unwrap() == "QUEUED" {
            assert_eq!(row.i64("attempts").unwrap(), 1);
            assert!(row.text("run_at").unwrap() > clearway_store::now_text());
            app.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the job was not put back for a retry");
}

async fn completed_distribution(app: &TestApp) -> String {
    let d = app.create(&pro_rata(app, "900.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    id
}

#[tokio::test]
async fn a_push_retried_after_a_timeout_is_not_duplicated_at_the_administrator() {
    let (app, admin) = app_with_admin().await;
    let id = completed_distribution(&app).await;
    admin.lock().unwrap().first_push_delay = Some(Duration::from_millis(1500));
    assert_eq!(status(&app).await["pendingPushes"], 1);
    run(&app, "push").await;
    {
        let a = admin.lock().unwrap();
        assert_eq!(a.push_requests.len(), 2, "timed out once, then retried");
        assert_eq!(a.push_requests[0], a.push_requests[1], "with the same key");
        assert!(a.push_requests[0].starts_with(&format!("{id}:")));
        assert_eq!(a.pushes.len(), 1, "stored once");
        let (body, _) = &a.pushes[&a.push_requests[0]];
        assert_eq!(body["distribution"]["id"], id.as_str());
        assert_eq!(body["distribution"]["total"], "900.00");
        assert_eq!(body["lines"].as_array().unwrap().len(), 3);
        let lines: i64 = body["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| crate::helpers::cents(&l["total"]))
            .sum();
        assert_eq!(lines, 90_000);
    }
    let s = status(&app).await;
    assert_eq!(s["pushed"], 1);
    assert_eq!(s["pendingPushes"], 0);
    // Nothing changed: a second run sends nothing.
    run(&app, "push").await;
    assert_eq!(admin.lock().unwrap().push_requests.len(), 2);
    app.stop().await;
}

async fn export(app: &TestApp, kind: &str) -> (Value, String) {
    let resp = app
        .post("operator", "/api/sync/exports", &json!({ "kind": kind }))
        .await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let view: Value = resp.json().await.unwrap();
    let file = app
        .get(
            "operator",
            &format!("/api/sync/exports/{}/file", view["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(file.status(), 200);
    (view, file.text().await.unwrap())
}

#[tokio::test]
async fn outbound_files_carry_each_change_once() {
    let (app, _admin) = app_with_admin().await;
    let id = completed_distribution(&app).await;
    let (view, csv) = export(&app, "DISTRIBUTIONS").await;
    assert_eq!(view["rows"], 1);
    let mut rows = csv.split("\r\n");
    assert_eq!(rows.next().unwrap(), "distribution_id,fund_id,kind,status,currency,declaration_date,record_date,payable_date,total,line_count,description,reverses_id");
    assert_eq!(
        rows.next().unwrap(),
        format!(
            "{id},{},REGULAR,COMPLETED,USD,2026-03-02,2026-03-16,2026-03-31,900.00,3,Q1 2026,",
            app.seeded.open_fund_id
        )
    );

    let (view, csv) = export(&app, "PAYMENTS").await;
    let stored = app
        .db
        .fetch_all(q(
            "SELECT id, amount_minor, status FROM payments ORDER BY id",
        ))
        .await
        .unwrap();
    assert!(!stored.is_empty());
    assert_eq!(view["rows"], stored.len() as i64);
    let body: Vec<&str> = csv
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .skip(1)
        .collect();
    for (line, p) in body.iter().zip(&stored) {
        let cols: Vec<&str> = line.split(',').collect();
        assert_eq!(cols[0], p.text("id").unwrap());
        assert_eq!(cols[1], id);
        assert_eq!(cols[4], p.text("status").unwrap());
        let minor = p.i64("amount_minor").unwrap();
        assert_eq!(cols[6], format!("{}.{:02}", minor / 100, minor % 100));
    }

    // Nothing changed since: the next files are empty (the header only).
    let (view, csv) = export(&app, "PAYMENTS").await;
    assert_eq!(view["rows"], 0);
    assert_eq!(csv.trim_end().lines().count(), 1);
    assert!(view["since"].is_string());
    // A payment that changes is exported again, alone.
    let one = stored[0].text("id").unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let changed = tx
        .execute(
            q("UPDATE payments SET failure_code = 'R01', updated_at = $2 WHERE id = $1")
                .bind(one.clone())
                .bind(clearway_store::now_text()),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(changed, 1);
    let (view, csv) = export(&app, "PAYMENTS").await;
    assert_eq!(view["rows"], 1);
    assert!(
        csv.contains(&format!("{one},")) && csv.contains(",R01"),
        "{csv}"
    );
    let list: Value = app
        .get("operator", "/api/sync/exports?limit=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["id"], view["id"]);
    assert!(list["nextCursor"].is_string());
    assert_eq!(app.get("investor", "/api/sync/exports").await.status(), 404);
    app.stop().await;
}

//! Recurring schedules and calendars over HTTP: create, preview, idempotent and concurrent
//! materialization, pause/resume without back-fill, and the 422s naming each field.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

fn monthly(app: &TestApp) -> Value {
    json!({
        "frequency": "MONTHLY", "calendar": "NYSE", "startDate": "2026-01-01", "leadDays": 60,
        "declarationBusinessDays": 5, "payableBusinessDays": 3, "description": "Monthly income",
        "allocation": { "method": "per_share", "rate": "0.05", "components": { "ordinaryDividend": "0.6", "returnOfCapital": "0.4" } },
        "_fund": app.seeded.open_fund_id,
    })
}

async fn create(app: &TestApp, mut body: Value) -> Value {
    let fund = body["_fund"].as_str().unwrap().to_string();
    body.as_object_mut().unwrap().remove("_fund");
    let resp = app
        .post("operator", &format!("/api/funds/{fund}/schedules"), &body)
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

async fn materialize(app: &TestApp, as_of: &str) -> Value {
    let resp = app
        .post(
            "operator",
            "/api/schedules/materialize",
            &json!({ "asOf": as_of }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn create_read_preview_and_calendar() {
    let app = spawn_app(5).await;
    let s = create(&app, monthly(&app)).await;
    assert_eq!(s["status"], "ACTIVE");
    assert_eq!(s["recordRule"], "LAST_BUSINESS_DAY");
    let id = s["id"].as_str().unwrap();
    let preview: Value = app
        .get("operator", &format!("/api/schedules/{id}/preview?count=3"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(preview["items"].as_array().unwrap().len(), 3);
    let list: Value = app
        .get("auditor", "/api/schedules?limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["id"], id);
    let hol: Value = app
        .get("operator", "/api/calendars/ACH/holidays?year=2026")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hol["calendar"], "US_FED");
    assert!(hol["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["date"] == "2026-11-26"));
    let bad = app
        .get("operator", "/api/calendars/TARGET2/holidays?year=2026")
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(bad["errors"][0]["field"], "calendar");
    let year = app
        .get("operator", "/api/calendars/NYSE/holidays?year=2041")
        .await;
    assert_eq!(year.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Investors see no schedules.
    assert_eq!(
        app.post("investor", "/api/schedules/materialize", &json!({}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}

#[tokio::test]
async fn materializing_twice_or_concurrently_creates_one_draft_per_period() {
    let app = spawn_app(5).await;
    let s = create(&app, monthly(&app)).await;
    let id = s["id"].as_str().unwrap().to_string();
    // 2026-03-25 with 60 days of lead: April (declared 04-23) and May (05-22); March's
    // declaration (03-24) has passed and is not back-filled.
    let (a, b) = tokio::join!(
        materialize(&app, "2026-03-25"),
        materialize(&app, "2026-03-25")
    );
    let created = a["created"].as_array().unwrap().len() + b["created"].as_array().unwrap().len();
    assert_eq!(created, 2, "{a} {b}");
    let again = materialize(&app, "2026-03-25").await;
    assert_eq!(again["created"].as_array().unwrap().len(), 0);
    assert_eq!(again["existing"], 2);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM schedule_occurrences")
            .await,
        2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM distributions WHERE status = 'DRAFT' AND id IN (SELECT distribution_id FROM schedule_occurrences)").await,
        2
    );
    let detail: Value = app
        .get("operator", &format!("/api/schedules/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let occ = detail["occurrences"].as_array().unwrap();
    assert_eq!(occ[0]["period"], "2026-05");
    assert_eq!(occ[0]["recordDate"], "2026-05-29");
    assert_eq!(occ[0]["distributionStatus"], "DRAFT");
    // The draft is a normal distribution: visible and editable before READY.
    let did = occ[0]["distributionId"].as_str().unwrap();
    let d: Value = app
        .get("operator", &format!("/api/distributions/{did}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["exDate"], "2026-05-29");
    assert_eq!(d["payableDate"], "2026-06-03");
    app.stop().await;
}

#[tokio::test]
async fn paused_schedules_create_nothing_and_resuming_does_not_back_fill() {
    let app = spawn_app(5).await;
    let s = create(&app, monthly(&app)).await;
    let id = s["id"].as_str().unwrap().to_string();
    let paused: Value = app
        .post(
            "operator",
            &format!("/api/schedules/{id}/pause"),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paused["status"], "PAUSED");
    assert_eq!(
        materialize(&app, "2026-03-25").await["created"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    app.post(
        "operator",
        &format!("/api/schedules/{id}/resume"),
        &json!({}),
    )
    .await;
    // Resumed on 2026-04-24: April's declaration (04-23) passed while paused: only May and June.
    let r = materialize(&app, "2026-04-24").await;
    let periods: Vec<&str> = r["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, ["2026-05", "2026-06"]);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('schedule.create', 'schedule.pause', 'schedule.resume')").await,
        3
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_schedules_are_refused_naming_each_field_and_nothing_is_written() {
    let app = spawn_app(3).await;
    let fund = app.seeded.open_fund_id.clone();
    let body = json!({
        "frequency": "WEEKLY", "calendar": "TARGET2", "startDate": "2026-06-01", "endDate": "2026-01-01",
        "leadDays": 401, "declarationBusinessDays": -1,
        "allocation": { "method": "per_share", "rate": "-0.05", "components": { "ordinaryDividend": "0.6", "returnOfCapital": "0.3" } },
    });
    let resp = app
        .post("operator", &format!("/api/funds/{fund}/schedules"), &body)
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = resp.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "frequency",
        "calendar",
        "leadDays",
        "declarationBusinessDays",
        "allocation.rate",
        "allocation.components",
    ] {
        assert!(fields.contains(&f), "{f} missing in {problem}");
    }
    // End before start, alone (the other errors stop before the date rules are built).
    let mut ok = monthly(&app);
    ok.as_object_mut().unwrap().remove("_fund");
    ok["endDate"] = json!("2025-12-31");
    let resp = app
        .post("operator", &format!("/api/funds/{fund}/schedules"), &ok)
        .await;
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "endDate");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM schedules").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn patch_changes_only_the_given_fields() {
    let app = spawn_app(3).await;
    let s = create(&app, monthly(&app)).await;
    let id = s["id"].as_str().unwrap();
    let resp = app
        .client
        .patch(app.url(&format!("/api/schedules/{id}")))
        .bearer_auth(app.token("operator"))
        .json(&json!({ "frequency": "QUARTERLY", "leadDays": 30 }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["frequency"], "QUARTERLY");
    assert_eq!(v["leadDays"], 30);
    assert_eq!(v["description"], "Monthly income");
    assert_eq!(v["version"], 2);
    app.stop().await;
}

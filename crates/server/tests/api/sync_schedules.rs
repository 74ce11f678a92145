//! SCHEDULES sync files (issue 21): an administrator's schedule creates or changes the Clearway
//! schedule linked to its id when the administrator owns schedules, opens conflicts when
//! Clearway does, and rows Clearway cannot keep refuse the file with row and field.

use chrono::{Datelike, NaiveDate};
use clearway_core::calendar::Calendar;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::sync::ok_json;

async fn upload(app: &TestApp, name: &str, csv: String) -> (StatusCode, Value) {
    let token = app.token("operator").to_string();
    let bytes = csv.into_bytes();
    crate::sync::upload(app, &token, "SCHEDULES", false, name, bytes).await
}

fn csv(rows: &[(&str, &str, NaiveDate, &str)]) -> String {
    let mut s =
        String::from("fund_id,schedule_id,frequency,next_record_date,amount_per_unit,currency\n");
    for (id, freq, date, amount) in rows {
        s.push_str(&format!("DEMO-OPEN,{id},{freq},{date},{amount},USD\n"));
    }
    s
}

/// The last NYSE business day of the `n`-th quarter-end month from now (n = 1: the next one
/// at least two weeks away, so it is not in the past while the test runs).
fn quarter_end(n: u32) -> NaiveDate {
    let today = chrono::Utc::now().date_naive() + chrono::Duration::days(14);
    let (mut y, mut m) = (today.year(), today.month().div_ceil(3) * 3);
    for _ in 1..n {
        m += 3;
        if m > 12 {
            (y, m) = (y + 1, m - 12);
        }
    }
    let d = Calendar::Nyse.last_business_day_of_month(y, m).unwrap();
    if d < today {
        return quarter_end(n + 1);
    }
    d
}

/// The schedules linked to an administrator id, as (id, frequency, rate, start date).
async fn linked(app: &TestApp) -> Vec<(String, String, String, String, String)> {
    let page = ok_json(app.get("operator", "/api/schedules?limit=100").await, 200).await;
    let mut out: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["administratorScheduleId"].is_null())
        .map(|s| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                text(&s["administratorScheduleId"]),
                text(&s["frequency"]),
                text(&s["allocation"]["rate"]),
                text(&s["startDate"]),
                text(&s["id"]),
            )
        })
        .collect();
    out.sort();
    out
}

async fn first_record_date(app: &TestApp, id: &str) -> String {
    let p = ok_json(
        app.get("operator", &format!("/api/schedules/{id}/preview?count=1"))
            .await,
        200,
    )
    .await;
    p["items"][0]["recordDate"].as_str().unwrap().to_string()
}

async fn own_schedules(app: &TestApp, side: &str) {
    let own = json!({"nav": "ADMINISTRATOR", "holdings": "ADMINISTRATOR", "schedules": side, "elections": "CLEARWAY", "bankDetails": "CLEARWAY"});
    ok_json(app.put("operator", "/api/sync/ownership", &own).await, 200).await;
}

#[tokio::test]
async fn the_administrators_schedules_are_created_changed_or_held_as_conflicts() {
    let app = spawn_app(3).await;
    own_schedules(&app, "ADMINISTRATOR").await;
    let (q1, q2) = (quarter_end(1), quarter_end(2));

    // A new administrator id creates a schedule linked to it, recording on the given date.
    let (status, v) = upload(&app, "s1.csv", csv(&[("ADM-Q", "QUARTERLY", q1, "0.2500")])).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["rowsApplied"].as_i64()),
        (Some("APPLIED"), Some(1)),
        "{v}"
    );
    let got = linked(&app).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let (admin, freq, rate, start, id) = got[0].clone();
    assert_eq!(
        (admin.as_str(), freq.as_str(), rate.as_str(), start.clone()),
        ("ADM-Q", "QUARTERLY", "0.25", q1.to_string())
    );
    assert_eq!(first_record_date(&app, &id).await, q1.to_string());
    let created = app
        .count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'schedule.create'")
        .await;
    assert_eq!(created, 1);

    // The same terms again (another file): unchanged, nothing written.
    let (_, v) = upload(&app, "s2.csv", csv(&[("ADM-Q", "QUARTERLY", q1, "0.25")])).await;
    assert_eq!(
        (v["rowsApplied"].as_i64(), v["rowsUnchanged"].as_i64()),
        (Some(0), Some(1)),
        "{v}"
    );

    // New amount and next record date: the one schedule changes (one audited update).
    let (_, v) = upload(&app, "s3.csv", csv(&[("ADM-Q", "QUARTERLY", q2, "0.3")])).await;
    assert_eq!(v["rowsApplied"].as_i64(), Some(1), "{v}");
    let got = linked(&app).await;
    assert_eq!(
        (
            got.len(),
            got[0].2.as_str(),
            got[0].3.clone(),
            got[0].4.clone()
        ),
        (1, "0.3", q2.to_string(), id.clone())
    );
    assert_eq!(first_record_date(&app, &id).await, q2.to_string());
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'schedule.update'")
            .await,
        1
    );

    // Clearway owns schedules now: a differing amount is a conflict, the schedule unchanged.
    own_schedules(&app, "CLEARWAY").await;
    let (_, v) = upload(&app, "s4.csv", csv(&[("ADM-Q", "QUARTERLY", q2, "0.4")])).await;
    assert_eq!(
        (v["rowsApplied"].as_i64(), v["conflictsOpened"].as_i64()),
        (Some(0), Some(1)),
        "{v}"
    );
    assert_eq!(linked(&app).await[0].2, "0.3");
    let open = ok_json(app.get("operator", "/api/sync/conflicts").await, 200).await;
    let c = &open["items"][0];
    assert_eq!(
        (
            c["domain"].as_str(),
            c["field"].as_str(),
            c["ours"].as_str(),
            c["theirs"].as_str()
        ),
        (
            Some("SCHEDULES"),
            Some("amount_per_unit"),
            Some("0.3"),
            Some("0.4")
        )
    );
    let cid = c["id"].as_str().unwrap().to_string();
    let path = format!("/api/sync/conflicts/{cid}/resolve");
    let done = ok_json(
        app.post("operator", &path, &json!({"resolution": "TAKE_THEIRS"}))
            .await,
        200,
    )
    .await;
    assert_eq!(done["status"].as_str(), Some("RESOLVED"));
    assert_eq!(linked(&app).await[0].2, "0.4");

    // An id no schedule mirrors, with Clearway owning: one conflict holding the whole terms;
    // an edited value creates the schedule from it.
    let (_, v) = upload(&app, "s5.csv", csv(&[("ADM-M", "MONTHLY", q1, "0.1")])).await;
    assert_eq!(v["conflictsOpened"].as_i64(), Some(1), "{v}");
    assert_eq!(linked(&app).await.len(), 1, "nothing created");
    let open = ok_json(app.get("operator", "/api/sync/conflicts").await, 200).await;
    let c = open["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "OPEN")
        .unwrap()
        .clone();
    assert_eq!(
        (
            c["field"].as_str(),
            c["ours"].as_str(),
            c["theirs"].as_str()
        ),
        (
            Some("schedule"),
            None,
            Some(format!("MONTHLY {q1} 0.1").as_str())
        )
    );
    let path = format!("/api/sync/conflicts/{}/resolve", c["id"].as_str().unwrap());
    let bad = ok_json(
        app.post(
            "operator",
            &path,
            &json!({"resolution": "EDIT", "value": "MONTHLY 0.15"}),
        )
        .await,
        422,
    )
    .await;
    assert!(bad.to_string().contains("\"value\""), "{bad}");
    let edit = json!({"resolution": "EDIT", "value": format!("MONTHLY {q1} 0.15")});
    ok_json(app.post("operator", &path, &edit).await, 200).await;
    let got = linked(&app).await;
    assert_eq!(
        got.iter()
            .map(|g| (g.0.as_str(), g.1.as_str(), g.2.as_str()))
            .collect::<Vec<_>>(),
        [("ADM-M", "MONTHLY", "0.15"), ("ADM-Q", "QUARTERLY", "0.4")]
    );
    app.stop().await;
}

#[tokio::test]
async fn schedule_rows_clearway_cannot_keep_refuse_the_file_with_row_and_field() {
    let app = spawn_app(3).await;
    own_schedules(&app, "ADMINISTRATOR").await;
    let q1 = quarter_end(1);
    let mid_quarter = q1 - chrono::Duration::days(40);
    let past = NaiveDate::from_ymd_opt(2020, 3, 31).unwrap();
    let saturday = (1..=31)
        .filter_map(|d| NaiveDate::from_ymd_opt(q1.year(), q1.month(), d))
        .find(|d| d.weekday() == chrono::Weekday::Sat)
        .unwrap();
    let body = format!(
        "{}DEMO-OPEN,ADM-E,QUARTERLY,{q1},0.2,EUR\n",
        csv(&[
            ("ADM-A", "QUARTERLY", q1, "0.2"),
            ("ADM-B", "QUARTERLY", mid_quarter, "0.2"),
            ("ADM-C", "MONTHLY", past, "0.2"),
            ("ADM-D", "QUARTERLY", saturday, "0.2"),
        ])
    );
    let (status, v) = upload(&app, "bad.csv", body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(v["status"].as_str(), Some("REFUSED"), "{v}");
    let errors: Vec<(u64, &str)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            (3, "next_record_date"),
            (4, "next_record_date"),
            (5, "next_record_date"),
            (6, "currency")
        ],
        "{v}"
    );
    assert!(
        linked(&app).await.is_empty(),
        "the good row is not applied either"
    );

    // An id linked on a schedule of the API refuses a second schedule with the same id.
    let body = json!({
        "frequency": "QUARTERLY", "allocation": {"method": "per_share", "rate": "0.2"},
        "startDate": "2027-01-01", "administratorScheduleId": "ADM-A",
    });
    let fund = app.seeded.open_fund_id.clone();
    let path = format!("/api/funds/{fund}/schedules");
    ok_json(app.post("operator", &path, &body).await, 201).await;
    let again = ok_json(app.post("operator", &path, &body).await, 422).await;
    assert!(
        again.to_string().contains("administratorScheduleId"),
        "{again}"
    );
    let bad_id = json!({
        "frequency": "QUARTERLY", "allocation": {"method": "per_share", "rate": "0.2"},
        "startDate": "2027-01-01", "administratorScheduleId": "no spaces",
    });
    let e = ok_json(app.post("operator", &path, &bad_id).await, 422).await;
    assert!(e.to_string().contains("administratorScheduleId"), "{e}");
    // Its rows now change that schedule rather than creating one.
    let (_, v) = upload(&app, "ok.csv", csv(&[("ADM-A", "QUARTERLY", q1, "0.2")])).await;
    assert_eq!(v["status"].as_str(), Some("APPLIED"), "{v}");
    assert_eq!(linked(&app).await.len(), 1);
    app.stop().await;
}

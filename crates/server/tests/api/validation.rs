//! Bad input gets a clear 4xx naming the field, and changes nothing.

use serde_json::{json, Value};

use crate::helpers::{pro_rata, spawn_app};

#[tokio::test]
async fn bad_inputs_get_named_4xx_and_write_nothing() {
    let app = spawn_app(5).await;
    let inv = app.seeded.investor_ids.clone();
    let base = pro_rata(&app, "1000.00");
    let with = |patch: Value| {
        let mut b = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v.clone();
            }
        }
        b
    };
    let line = |id: &str, total: &str, ord: &str| json!({ "investorId": id, "totalAmount": total, "ordinaryDividend": ord });
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            with(json!({ "recordDate": "2026-03-01" })),
            422,
            "recordDate",
        ),
        (
            with(json!({ "payableDate": "2026-03-10" })),
            422,
            "payableDate",
        ),
        (with(json!({ "exDate": "2026-03-17" })), 422, "exDate"),
        (
            with(json!({ "declarationDate": "2026-02-30" })),
            422,
            "declarationDate",
        ),
        (with(json!({ "recordDate": 20260316 })), 422, "recordDate"),
        (with(json!({ "currency": "XYZ" })), 422, "currency"),
        (with(json!({ "currency": "EUR" })), 422, "currency"),
        (with(json!({ "fundId": "NO-SUCH-FUND" })), 422, "fundId"),
        (
            with(json!({ "allocation": { "method": "pro_rata", "total": "-5.00" } })),
            422,
            "allocation.total",
        ),
        (
            with(json!({ "allocation": { "method": "pro_rata", "total": "abc" } })),
            422,
            "allocation.total",
        ),
        (
            with(json!({ "allocation": { "method": "pro_rata", "total": "1.001" } })),
            422,
            "allocation.total",
        ),
        (
            with(json!({ "allocation": { "method": "pro_rata", "total": 10.5 } })),
            422,
            "allocation.total",
        ),
        (
            with(json!({ "allocation": { "method": "pro_rata", "total": "1e5" } })),
            422,
            "allocation.total",
        ),
        (
            with(json!({ "allocation": { "method": "per_share", "rate": "0" } })),
            422,
            "allocation.rate",
        ),
        (
            with(json!({ "allocation": { "method": "magic", "total": "1" } })),
            422,
            "allocation.method",
        ),
        (
            with(
                json!({ "allocation": { "method": "pro_rata", "total": "1.00", "components": { "ordinaryDividend": "0.5" } } }),
            ),
            422,
            "allocation.components",
        ),
        (
            with(
                json!({ "allocation": { "method": "pro_rata", "total": "1.00", "components": { "bonus": "1" } } }),
            ),
            422,
            "allocation.components.bonus",
        ),
        (with(json!({ "allocation": null })), 422, "allocation"),
        (with(json!({ "surprise": true })), 422, "surprise"),
        (
            with(json!({ "allocation": null, "lines": [line(&inv[0], "10.00", "9.99")] })),
            422,
            "lines[0].totalAmount",
        ),
        (
            with(json!({ "allocation": null, "lines": [line(&inv[0], "-10.00", "-10.00")] })),
            422,
            "lines[0].totalAmount",
        ),
        (
            with(
                json!({ "allocation": null, "lines": [line("not-an-investor", "10.00", "10.00")] }),
            ),
            422,
            "lines[0].investorId",
        ),
        (
            with(
                json!({ "allocation": null, "lines": [line(&inv[0], "10.00", "10.00"), line(&inv[0], "5.00", "5.00")] }),
            ),
            422,
            "lines[1].investorId",
        ),
        (
            with(json!({ "allocation": null, "lines": [] })),
            422,
            "lines",
        ),
        (
            with(
                json!({ "allocation": null, "lines": [{ "investorId": inv[0], "totalAmount": "10.00", "ordinaryDividend": "10.00", "withholding": "11.00" }] }),
            ),
            422,
            "lines[0].withholding",
        ),
    ];
    let before = app.snapshot().await;
    for (body, status, field) in &cases {
        let resp = app.post("operator", "/api/distributions", body).await;
        assert_eq!(resp.status().as_u16(), *status, "{body}");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        let problem: Value = resp.json().await.unwrap();
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(field),
            "expected field {field} in {problem}"
        );
        assert_eq!(problem["status"], *status);
    }
    // Malformed, wrong type, oversized.
    let raw = |body: Vec<u8>, ct: &'static str| {
        app.client
            .post(app.url("/api/distributions"))
            .bearer_auth(app.token("operator"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let resp = raw(b"{\"fundId\": ".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Value>().await.unwrap()["field"], "body");
    let resp = raw(b"fundId=1".to_vec(), "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    let mut huge = b"{\"description\": \"".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 17 * 1024 * 1024));
    huge.extend(b"\"}");
    let resp = raw(huge, "application/json").await.unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(resp.json::<Value>().await.unwrap()["field"], "body");
    // Unauthenticated.
    let resp = app
        .client
        .post(app.url("/api/distributions"))
        .json(&base)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = app
        .client
        .get(app.url("/api/distributions"))
        .bearer_auth("cw_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // Bad query parameters.
    assert_eq!(
        app.get("operator", "/api/distributions?limit=0")
            .await
            .status(),
        422
    );
    assert_eq!(
        app.get("operator", "/api/distributions?status=PAID")
            .await
            .status(),
        422
    );
    assert_eq!(
        app.get("operator", "/api/distributions?bogus=1")
            .await
            .status(),
        400
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "nothing written by any bad request"
    );
    app.stop().await;
}

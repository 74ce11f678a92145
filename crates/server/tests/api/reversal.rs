//! Reversals and corrections: linked new distributions; the original is never edited.

use serde_json::{json, Value};

use crate::helpers::{cents, pro_rata, spawn_app};

#[tokio::test]
async fn reversal_negates_lines_links_back_and_happens_once() {
    let app = spawn_app(8).await;
    let d = app.create(&pro_rata(&app, "800.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    // Only COMPLETED distributions can be reversed.
    let resp = app
        .post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "too early" }),
        )
        .await;
    assert_eq!(resp.status(), 409);
    let original = app.complete(&id).await;
    let lines = app.all_lines("operator", &id).await;
    let two: Vec<String> = lines
        .iter()
        .take(2)
        .map(|l| l["investorId"].as_str().unwrap().to_string())
        .collect();

    // Bad input: missing reason, unknown investor.
    let resp = app
        .post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": " " }),
        )
        .await;
    assert_eq!(resp.json::<Value>().await.unwrap()["field"], "reason");
    let resp = app
        .post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "x", "investorIds": ["nobody"] }),
        )
        .await;
    assert_eq!(
        resp.json::<Value>().await.unwrap()["field"],
        "investorIds[0]"
    );

    let resp = app
        .post_with_key(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            "rev-1",
            &json!({ "reason": "wrong bank details", "investorIds": two }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let rev: Value = resp.json().await.unwrap();
    let reversal = &rev["reversal"];
    assert_eq!(reversal["kind"], "REVERSAL");
    assert_eq!(reversal["status"], "READY");
    assert_eq!(reversal["reversesId"], id.as_str());
    assert_eq!(reversal["lineCount"], 2);
    let expected: i64 = lines
        .iter()
        .take(2)
        .map(|l| -cents(&l["totalAmount"]))
        .sum();
    assert_eq!(cents(&reversal["totalAmount"]), expected);
    let rev_id = reversal["id"].as_str().unwrap();
    let rev_lines = app.all_lines("operator", rev_id).await;
    for (r, o) in rev_lines.iter().zip(lines.iter().take(2)) {
        assert_eq!(cents(&r["totalAmount"]), -cents(&o["totalAmount"]));
        assert_eq!(cents(&r["returnOfCapital"]), -cents(&o["returnOfCapital"]));
        assert_eq!(r["reversesDistributionId"], id.as_str());
    }
    // The same lines cannot be reversed twice; the untouched ones still can.
    let again = app
        .post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "again", "investorIds": [lines[0]["investorId"]] }),
        )
        .await;
    assert_eq!(again.status(), 409);
    let rest: Vec<Value> = lines
        .iter()
        .skip(2)
        .map(|l| l["investorId"].clone())
        .collect();
    assert_eq!(
        app.post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "rest", "investorIds": rest })
        )
        .await
        .status(),
        201
    );
    // A reversal cannot be edited; it goes through approval like any distribution.
    assert_eq!(
        app.put(
            "operator",
            &format!("/api/distributions/{rev_id}"),
            &pro_rata(&app, "1.00")
        )
        .await
        .status(),
        409
    );
    assert_eq!(
        app.patch("approver", &format!("/api/distributions/{rev_id}/approve"))
            .await
            .status(),
        200
    );
    // The original is untouched.
    let now: Value = app
        .get("operator", &format!("/api/distributions/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now, original);
    app.stop().await;
}

#[tokio::test]
async fn correction_is_reversal_plus_new_distribution_in_one_transaction() {
    let app = spawn_app(6).await;
    let d = app.create(&pro_rata(&app, "600.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    let before = app.snapshot().await;
    // A correction with an invalid body rolls the reversal back too.
    let mut bad = pro_rata(&app, "-1.00");
    bad["description"] = json!("corrected");
    let resp = app
        .post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "amount was wrong", "correction": bad }),
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["field"],
        "correction.allocation.total"
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "nothing of the failed correction remains"
    );

    let resp = app
        .post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "amount was wrong", "correction": pro_rata(&app, "650.00") }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["reversal"]["totalAmount"], "-600.00");
    assert_eq!(body["correction"]["kind"], "CORRECTION");
    assert_eq!(body["correction"]["correctsId"], id.as_str());
    assert_eq!(body["correction"]["totalAmount"], "650.00");
    assert_eq!(body["correction"]["status"], "DRAFT");
    app.stop().await;
}

//! Tenancy and roles: another organization's token and another investor's token get 404 on
//! what is not theirs; read-only roles change nothing.

use clearway_server::demo;
use serde_json::{json, Value};

use crate::helpers::{pro_rata, spawn_app};

#[tokio::test]
async fn other_organizations_and_other_investors_see_nothing() {
    let app = spawn_app(12).await;
    let mut options = demo::Options::demo(3);
    options.history = false;
    options.org_name = "Another Fund Admin".into();
    let other = demo::seed(&app.db, &options).await.unwrap();
    let stranger = other.tokens.operator.clone();
    let stranger_investor = other.tokens.investor.clone();

    let d = app.create(&pro_rata(&app, "1200.00")).await;
    let id = d["id"].as_str().unwrap();
    let me = app.seeded.investor_user_investor_id.clone();
    let someone_else = app.seeded.investor_ids[5].clone();
    let get = |token: &str, path: String| {
        app.client
            .get(app.url(&path))
            .bearer_auth(token.to_string())
            .send()
    };

    for path in [
        format!("/api/distributions/{id}"),
        format!("/api/distributions/{id}/lines"),
        format!("/api/distributions/{id}/lines/{me}"),
        format!("/api/distributions/fund/{}", app.seeded.open_fund_id),
    ] {
        assert_eq!(
            get(&stranger, path.clone()).await.unwrap().status(),
            404,
            "{path}"
        );
        assert_eq!(
            get(&stranger_investor, path.clone())
                .await
                .unwrap()
                .status(),
            404,
            "{path}"
        );
    }
    let theirs: Value = get(&stranger, "/api/distributions".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    // Funds list: each organization sees its own funds only, paged by code.
    let page: Value = get(&stranger, "/api/funds?limit=1".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let theirs_ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(theirs_ids.len(), 1);
    assert!(![
        app.seeded.open_fund_id.as_str(),
        app.seeded.lp_fund_id.as_str()
    ]
    .contains(&theirs_ids[0]));
    let cursor = page["nextCursor"].as_str().unwrap().to_string();
    let next: Value = get(&stranger, format!("/api/funds?limit=1&cursor={cursor}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(next["items"][0]["code"].as_str().unwrap() > cursor.as_str());
    let patch = app
        .client
        .patch(app.url(&format!("/api/distributions/{id}/ready")))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 404);
    // Creating in another organization's fund: the fund does not exist for them.
    let resp = app
        .client
        .post(app.url("/api/distributions"))
        .bearer_auth(&stranger)
        .json(&pro_rata(&app, "1.00"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.json::<Value>().await.unwrap()["field"], "fundId");

    // Once approved (never before), the investor user sees the distribution and only their
    // own line.
    for (role, action) in [("operator", "ready"), ("approver", "approve")] {
        let resp = app
            .patch(role, &format!("/api/distributions/{id}/{action}"))
            .await;
        assert_eq!(resp.status(), 200, "{action}");
    }
    let mine: Value = app
        .get("investor", &format!("/api/distributions/{id}/lines"))
        .await
        .json()
        .await
        .unwrap();
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["investorId"], me.as_str());
    assert_eq!(
        app.get("investor", &format!("/api/distributions/{id}/lines/{me}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get(
            "investor",
            &format!("/api/distributions/{id}/lines/{someone_else}")
        )
        .await
        .status(),
        404
    );
    let investors: Value = app
        .get("investor", "/api/investors")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(investors["items"].as_array().unwrap().len(), 1);

    // A distribution the investor is not part of is invisible to them.
    let explicit = json!({
        "fundId": "DEMO-OPEN", "declarationDate": "2026-03-02", "recordDate": "2026-03-16", "payableDate": "2026-03-31",
        "lines": [{ "investorId": someone_else, "totalAmount": "5.00", "ordinaryDividend": "5.00" }]
    });
    let not_mine = app.create(&explicit).await;
    let not_mine_id = not_mine["id"].as_str().unwrap();
    assert_eq!(
        app.get("investor", &format!("/api/distributions/{not_mine_id}"))
            .await
            .status(),
        404
    );
    let listed: Value = app
        .get("investor", "/api/distributions?limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["id"] != not_mine_id));
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn read_only_roles_change_nothing() {
    let app = spawn_app(5).await;
    let d = app.create(&pro_rata(&app, "10.00")).await;
    let id = d["id"].as_str().unwrap();
    let before = app.snapshot().await;
    for role in ["auditor", "investor"] {
        assert_eq!(
            app.post(role, "/api/distributions", &pro_rata(&app, "1.00"))
                .await
                .status(),
            403,
            "{role}"
        );
        assert_eq!(
            app.patch(role, &format!("/api/distributions/{id}/ready"))
                .await
                .status(),
            403,
            "{role}"
        );
        assert_eq!(
            app.put(
                role,
                &format!("/api/distributions/{id}"),
                &pro_rata(&app, "2.00")
            )
            .await
            .status(),
            403,
            "{role}"
        );
        assert_eq!(
            app.post(
                role,
                "/api/webhooks",
                &json!({ "url": "http://127.0.0.1:9/x" })
            )
            .await
            .status(),
            403
        );
    }
    assert_eq!(app.snapshot().await, before);
    assert_eq!(app.get("operator", "/api/audit").await.status(), 403);
    assert_eq!(app.get("investor", "/api/events").await.status(), 403);
    assert_eq!(app.get("auditor", "/api/audit").await.status(), 200);
    assert_eq!(app.get("admin", "/api/audit").await.status(), 200);
    app.stop().await;
}

/// Holdings carry no foreign keys (0008_reinvestment_writes): recording them checks that every investor
/// is one of the organization's, refuses otherwise and writes nothing.
#[tokio::test]
async fn holdings_are_recorded_only_for_the_organizations_own_investors() {
    let app = spawn_app(4).await;
    let mut options = demo::Options::demo(2);
    options.history = false;
    options.org_name = "Another Fund Admin".into();
    let other = demo::seed(&app.db, &options).await.unwrap();
    let operator = app.operator();
    let date: chrono::NaiveDate = "2026-07-01".parse().unwrap();
    let rows_on_the_date = "SELECT COUNT(*) AS n FROM holdings WHERE as_of = '2026-07-01'";
    let units: rust_decimal::Decimal = "10".parse().unwrap();
    for stranger in [
        other.investor_ids[0].clone(),
        "no-such-investor".to_string(),
    ] {
        let mut tx = app.db.begin().await.unwrap();
        let refused = clearway_store::funds::record_holdings(
            &mut tx,
            &operator,
            &app.seeded.open_fund_id,
            date,
            &[
                (app.seeded.investor_ids[0].clone(), units),
                (stranger.clone(), units),
            ],
        )
        .await;
        assert!(
            matches!(
                refused,
                Err(clearway_store::StoreError::NotFound("investor"))
            ),
            "{stranger}: {refused:?}"
        );
        drop(tx);
    }
    assert_eq!(app.count(rows_on_the_date).await, 0);
    let mut tx = app.db.begin().await.unwrap();
    clearway_store::funds::record_holdings(
        &mut tx,
        &operator,
        &app.seeded.open_fund_id,
        date,
        &[
            (app.seeded.investor_ids[0].clone(), units),
            (app.seeded.investor_ids[1].clone(), units),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app.count(rows_on_the_date).await, 2);
    app.stop().await;
}

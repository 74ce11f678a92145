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

/// Schedules and in-kind distributions of one organization are not found by another's
/// operator and investor, whatever the verb; lists show none of them.
#[tokio::test]
async fn schedules_and_in_kind_are_not_found_across_organizations() {
    let app = spawn_app(4).await;
    let mut options = demo::Options::demo(2);
    options.history = false;
    options.org_name = "Elsewhere Administration".into();
    let other = demo::seed(&app.db, &options).await.unwrap();
    let stranger = other.tokens.operator.clone();
    let stranger_investor = other.tokens.investor.clone();

    let schedule: Value = app
        .post(
            "operator",
            &format!("/api/funds/{}/schedules", app.seeded.open_fund_id),
            &json!({
                "frequency": "MONTHLY", "calendar": "NYSE", "startDate": "2026-01-01", "leadDays": 60,
                "declarationBusinessDays": 5, "payableBusinessDays": 3, "description": "Monthly income",
                "allocation": { "method": "per_share", "rate": "0.05", "components": { "ordinaryDividend": "1" } },
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let sid = schedule["id"].as_str().expect("schedule created");
    let security: Value = app
        .post(
            "operator",
            "/api/securities",
            &json!({ "name": "Acme common", "identifierType": "CUSIP", "identifier": "037833100" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let security_id = security["id"].as_str().expect("security created");
    let fund = &app.seeded.lp_fund_id;
    let resp = app
        .put(
            "operator",
            &format!("/api/funds/{fund}/positions/{security_id}"),
            &json!({ "quantity": 1000 }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let in_kind_body = json!({
        "securityId": security_id, "quantity": 100, "valuePerUnit": "10.00",
        "declarationDate": "2026-03-02", "recordDate": "2026-03-16", "payableDate": "2026-03-31",
        "description": "Distribution of Acme shares"
    });
    let resp = app
        .post(
            "operator",
            &format!("/api/funds/{fund}/in-kind-distributions"),
            &in_kind_body,
        )
        .await;
    assert_eq!(resp.status(), 201);
    let declared: Value = resp.json().await.unwrap();
    let did = declared["distribution"]["id"]
        .as_str()
        .or_else(|| declared["id"].as_str())
        .expect("in-kind distribution id")
        .to_string();
    let investor = &app.seeded.investor_ids[0];

    let send = |method: reqwest::Method, path: String, token: String, body: Option<Value>| {
        let mut req = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send()
    };
    use reqwest::Method;
    let probes = [
        (Method::GET, format!("/api/schedules/{sid}"), None),
        (
            Method::PATCH,
            format!("/api/schedules/{sid}"),
            Some(json!({ "description": "mine now" })),
        ),
        (Method::POST, format!("/api/schedules/{sid}/pause"), None),
        (Method::POST, format!("/api/schedules/{sid}/resume"), None),
        (Method::GET, format!("/api/schedules/{sid}/preview"), None),
        (Method::GET, format!("/api/funds/{fund}/positions"), None),
        (
            Method::PUT,
            format!("/api/funds/{fund}/positions/{security_id}"),
            Some(json!({ "quantity": 1 })),
        ),
        (
            Method::POST,
            format!("/api/funds/{fund}/in-kind-distributions/preview"),
            Some(in_kind_body.clone()),
        ),
        (
            Method::POST,
            format!("/api/funds/{fund}/in-kind-distributions"),
            Some(in_kind_body.clone()),
        ),
        (
            Method::GET,
            format!("/api/distributions/{did}/in-kind"),
            None,
        ),
        (
            Method::GET,
            format!("/api/investors/{investor}/security-lots"),
            None,
        ),
    ];
    for (method, path, body) in probes {
        let resp = send(method.clone(), path.clone(), stranger.clone(), body.clone())
            .await
            .unwrap();
        // A stranger's write may be refused on its body first only if the body was wrong;
        // these bodies are valid, so the answer is the resource's absence.
        assert_eq!(
            resp.status(),
            404,
            "{method} {path} (operator of another org)"
        );
        let resp = send(
            method.clone(),
            path.clone(),
            stranger_investor.clone(),
            body,
        )
        .await
        .unwrap();
        assert!(
            [403, 404].contains(&resp.status().as_u16()),
            "{method} {path} (investor of another org): {}",
            resp.status()
        );
    }
    // Their lists hold none of ours.
    let schedules: Value = send(Method::GET, "/api/schedules".into(), stranger.clone(), None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !schedules.to_string().contains(sid),
        "another org lists our schedule: {schedules}"
    );
    let securities: Value = send(
        Method::GET,
        "/api/securities".into(),
        stranger.clone(),
        None,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(
        !securities.to_string().contains(security_id),
        "another org lists our security: {securities}"
    );
    // And nothing of ours changed: the schedule is still active with its description.
    let ours: Value = app
        .get("operator", &format!("/api/schedules/{sid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ours["schedule"]["description"], "Monthly income", "{ours}");
    assert_eq!(ours["schedule"]["status"], "ACTIVE");
    app.stop().await;
}

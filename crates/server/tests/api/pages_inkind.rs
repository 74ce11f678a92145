//! The in-kind pages: add a security and record a position, declare an in-kind distribution
//! (preview, then create), the in-kind detail; field errors next to the fields; roles.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn positions_and_an_in_kind_declaration_through_the_pages() {
    let app = spawn_app(4).await;
    let fund = app.seeded.lp_fund_id.clone();
    let mut web = app.sign_in("operator").await;
    let page = web.get(&format!("/positions?fund={fund}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("This fund holds no securities yet."));

    // A wrong check digit is shown next to the field, nothing written.
    let bad = web
        .post(
            "/positions/security",
            &[
                ("fund", &fund),
                ("name", "Acme"),
                ("identifier_type", "CUSIP"),
                ("identifier", "037833101"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains("id=\"err-identifier\">Identifier: CUSIP check digit should be 0"),
        "{}",
        bad.body
    );
    let ok = web
        .post(
            "/positions/security",
            &[
                ("fund", &fund),
                ("name", "Acme"),
                ("identifier_type", "CUSIP"),
                ("identifier", "037833100"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let sid = app
        .db
        .fetch_optional(clearway_store::q("SELECT id FROM securities"))
        .await
        .unwrap()
        .unwrap()
        .text("id")
        .unwrap();
    let recorded = web
        .post(
            "/positions/record",
            &[("fund", &fund), ("security", &sid), ("quantity", "250")],
        )
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER);
    let page = web.get(recorded.location.as_deref().unwrap()).await;
    assert!(page.body.contains("The position was recorded."));
    assert!(page.body.contains("<td class=\"num\">250</td>"));

    let form = web.get(&format!("/positions/distribute?fund={fund}")).await;
    assert_eq!(form.status, StatusCode::OK);
    let fields = |quantity: &'static str, step: &'static str| {
        vec![
            ("fund", fund.clone()),
            ("security", sid.clone()),
            ("quantity", quantity.to_string()),
            ("value", "20.005".to_string()),
            ("declaration", "2026-03-02".to_string()),
            ("record", "2026-03-16".to_string()),
            ("payable", "2026-03-31".to_string()),
            ("description", "Acme in kind".to_string()),
            ("step", step.to_string()),
        ]
    };
    let as_refs = |v: &Vec<(&'static str, String)>| {
        v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
    };
    let over = as_refs(&fields("251", "preview"));
    let over: Vec<(&str, &str)> = over.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = web.post("/positions/distribute", &over).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"err-quantity\""), "{}", page.body);
    let preview = as_refs(&fields("250", "preview"));
    let preview: Vec<(&str, &str)> = preview.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = web.post("/positions/distribute", &preview).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Create distribution"));
    assert!(page
        .body
        .contains("<caption>Lines: units and property value apart from cash in lieu</caption>"));
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM in_kind_distributions")
            .await,
        0
    );
    let create = as_refs(&fields("250", "create"));
    let create: Vec<(&str, &str)> = create.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = web.post("/positions/distribute", &create).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let detail = web.get(created.location.as_deref().unwrap()).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("Acme (CUSIP 037833100)"));
    assert!(detail.body.contains("K-1 line 19C"));
    // The distribution's own page links to its in-kind part.
    let id = created
        .location
        .as_deref()
        .unwrap()
        .trim_end_matches("/in-kind")
        .to_string();
    let main = web.get(&id).await;
    assert!(
        main.body.contains(&format!("href=\"{id}/in-kind\"")),
        "{}",
        main.body
    );

    // Investors are sent home.
    let mut investor = app.sign_in("investor").await;
    let away = investor.get("/positions").await;
    assert_eq!(away.status, StatusCode::SEE_OTHER);
    app.stop().await;
}

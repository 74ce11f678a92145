//! The funds pages: the list, a fund's overview (classes with NAV and holders, recent
//! distributions, sections), and the add-a-class form with its field errors, CSRF and roles.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{pro_rata, spawn_app};

#[tokio::test]
async fn the_funds_list_leads_to_a_fund_page_where_a_class_is_added() {
    let app = spawn_app(3).await;
    app.create(&pro_rata(&app, "1000.00")).await;
    let mut web = app.sign_in("operator").await;

    let list = web.get("/funds").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let open = &app.seeded.open_fund_id;
    assert!(
        list.body
            .contains(&format!("<a href=\"/funds/{open}\">DEMO-OPEN</a>")),
        "{}",
        list.body
    );
    assert!(
        list.body
            .contains("<a href=\"/funds\" aria-current=\"page\">Funds</a>"),
        "the nav entry"
    );

    let page = web.get(&format!("/funds/{open}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("<th scope=\"row\">DEFAULT</th>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("1,000.00 USD"),
        "the recent distribution"
    );
    assert!(
        page.body.contains(&format!("/distributions?fund={open}")),
        "the Distributions section"
    );
    assert!(
        page.body.contains("id=\"holders\">3<"),
        "three holders: {}",
        page.body
    );

    // A bad code and an empty name: both shown next to their fields, with a 422.
    let bad = web
        .post(
            &format!("/funds/{open}/classes"),
            &[("code", "DEFAULT"), ("name", "")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("id=\"err-code\""), "{}", bad.body);
    assert!(bad.body.contains("id=\"err-name\""), "{}", bad.body);
    assert!(
        bad.body.contains("value=\"DEFAULT\""),
        "the form keeps what was typed"
    );

    let ok = web
        .post(
            &format!("/funds/{open}/classes"),
            &[("code", "I"), ("name", "Institutional")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let to = ok.location.unwrap();
    assert_eq!(to, format!("/funds/{open}?notice=class-added"));
    let page = web.get(&to).await;
    assert!(page.body.contains("The class was added."), "{}", page.body);
    assert!(
        page.body
            .contains("<th scope=\"row\">I</th><td>Institutional</td>"),
        "{}",
        page.body
    );
    let api = app.get("operator", "/api/funds/DEMO-OPEN/classes").await;
    let classes: serde_json::Value = api.json().await.unwrap();
    assert_eq!(classes["items"][1]["code"], json!("I"));

    // Without the CSRF token nothing is added.
    let forged = web
        .post_raw(
            &format!("/funds/{open}/classes"),
            &[("code", "R"), ("name", "Retail")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn partnerships_and_readers_get_no_class_form_and_investors_no_funds_pages() {
    let app = spawn_app(2).await;
    let mut operator = app.sign_in("operator").await;
    let lp = operator
        .get(&format!("/funds/{}", app.seeded.lp_fund_id))
        .await;
    assert_eq!(lp.status, StatusCode::OK);
    assert!(lp.body.contains("Partnership"));
    assert!(
        !lp.body.contains("Add a class"),
        "no classes on a partnership"
    );
    let refused = operator
        .post(
            &format!("/funds/{}/classes", app.seeded.lp_fund_id),
            &[("code", "A"), ("name", "A")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("share classes are for open-end funds"),
        "{}",
        refused.body
    );

    let mut auditor = app.sign_in("auditor").await;
    let page = auditor
        .get(&format!("/funds/{}", app.seeded.open_fund_id))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("Add a class"),
        "read-only roles see no form"
    );
    let post = auditor
        .post(
            &format!("/funds/{}/classes", app.seeded.open_fund_id),
            &[("code", "A"), ("name", "A")],
        )
        .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);

    let missing = operator.get("/funds/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let mut investor = app.sign_in("investor").await;
    let away = investor.get("/funds").await;
    assert_eq!(away.status, StatusCode::SEE_OTHER);
    app.stop().await;
}

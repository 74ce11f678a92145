//! The forecast pages over demo history (three years monthly for the open-end fund, quarterly
//! for the partnership): a fund's page (chart, points, scenarios, accuracy, trend, the model
//! form's field errors, saving a forecast, cash on hand with its field errors, the liquidity
//! plan, the Yale projection of the partnership), the organization's page (aggregate, funds,
//! shortfalls), and who may see and post them.

use clearway_app::forecast::{fund, liquidity, stored, FundForecast, Request};
use clearway_core::Currency;
use clearway_server::demo;
use reqwest::StatusCode;

use crate::helpers::{spawn_app, TestApp};

/// An app whose seeded organization (the one `sign_in` and `get` act in) has the demo's
/// three years of completed distributions.
async fn app_with_history() -> TestApp {
    let mut app = spawn_app(2).await;
    let mut options = demo::Options::demo(6);
    options.org_name = "Forecast Demo".into();
    options.elections = false;
    app.seeded = demo::seed(&app.db, &options).await.unwrap();
    app
}

/// USD minor units as the pages show them.
fn money(minor: i64) -> String {
    clearway_server::web::fmt::money(minor, Currency::USD)
}

/// The forecast the application layer gives (what the API serves too).
async fn forecast_of(app: &TestApp, fund_id: &str, req: &Request) -> FundForecast {
    let mut tx = app.db.begin().await.unwrap();
    let f = fund::forecast(&mut tx, &app.operator(), fund_id, req)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    f
}

fn has(body: &str, needle: &str) {
    assert!(body.contains(needle), "{needle} not in:\n{body}");
}

/// The table of a page with this id.
fn table<'a>(body: &'a str, id: &str) -> &'a str {
    let from = body
        .find(&format!("<table id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no table {id} in:\n{body}"));
    let rest = &body[from..];
    &rest[..rest.find("</table>").unwrap()]
}

#[tokio::test]
async fn a_fund_page_shows_the_forecast_the_api_gives_and_its_forms_refuse_bad_fields() {
    let app = app_with_history().await;
    let open = app.seeded.open_fund_id.clone();
    let mut web = app.sign_in("operator").await;

    let overview = web.get(&format!("/funds/{open}")).await;
    has(
        &overview.body,
        &format!("<a href=\"/funds/{open}/forecast\">Forecast</a>"),
    );

    let page = web.get(&format!("/funds/{open}/forecast")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let f = forecast_of(&app, &open, &Request::default()).await;
    assert_eq!(f.points.len(), 12, "{f:?}");
    for p in [&f.points[0], &f.points[11]] {
        let (date, per_unit) = (p.date, p.per_unit);
        has(
            &page.body,
            &format!("<tr><th scope=\"row\">{date}</th><td class=\"num\">{per_unit}</td>"),
        );
    }
    has(
        &page.body,
        &format!(
            "Based on</dt><dd>{} distributions paid",
            f.based_on.distributions
        ),
    );
    has(&page.body, "aria-labelledby=\"forecast-chart-title\"");
    has(&page.body, "<table id=\"scenarios\">");
    has(&page.body, "<dl class=\"facts\" id=\"accuracy\">");
    has(&page.body, "id=\"paying\">");
    has(&page.body, "<button type=\"submit\">Save forecast</button>");
    assert!(
        !page.body.contains("id=\"yale\""),
        "no projection for an open-end fund"
    );
    assert!(!page.body.contains("NaN"), "{}", page.body);

    // A bad horizon or model: shown next to its field, as typed, with a 422.
    for (query, field, typed) in [
        ("horizon=0", "horizon", "value=\"0\""),
        ("horizon=121", "horizon", "value=\"121\""),
        ("model=arima", "model", "Model: must be auto or one of"),
    ] {
        let bad = web.get(&format!("/funds/{open}/forecast?{query}")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        has(&bad.body, &format!("id=\"err-{field}\""));
        has(&bad.body, "aria-invalid=\"true\"");
        has(&bad.body, typed);
    }
    let six = web
        .get(&format!("/funds/{open}/forecast?model=naive&horizon=6"))
        .await;
    assert_eq!(six.status, StatusCode::OK);
    let points = table(&six.body, "points");
    assert_eq!(
        points.matches("<tr><th scope=\"row\">").count(),
        6,
        "{points}"
    );
    has(&six.body, "<option value=\"naive\" selected>");

    // Save: the list shows it; without the token nothing is saved.
    let forged = web
        .post_raw(
            &format!("/funds/{open}/forecast/save"),
            &[("model", "auto"), ("horizon", "6")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let saved = web
        .post(
            &format!("/funds/{open}/forecast/save"),
            &[("model", "auto"), ("horizon", "6")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let to = saved.location.unwrap();
    assert_eq!(
        to,
        format!("/funds/{open}/forecast?model=auto&horizon=6&notice=saved")
    );
    let page = web.get(&to).await;
    has(&page.body, "The forecast was saved.");
    has(&page.body, "Saved forecasts, newest first (1)");
    let mut tx = app.db.begin().await.unwrap();
    let (items, total) = stored::list(&mut tx, &app.operator(), &open, 10, 0)
        .await
        .unwrap();
    assert_eq!((items.len(), total), (1, 1));
    assert_eq!(items[0].horizon, 6);
    tx.commit().await.unwrap();

    // Cash on hand: errors next to their fields, then set; the plan shows the shortfall.
    let path = format!("/funds/{open}/forecast/cash-on-hand");
    let bad = web
        .post(&path, &[("amount", "-5"), ("as_of", "2025-13-01")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    has(&bad.body, "id=\"err-amount\"");
    has(&bad.body, "id=\"err-as_of\"");
    has(&bad.body, "value=\"-5\"");
    let ok = web
        .post(&path, &[("amount", "100.00"), ("as_of", "2026-01-02")])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = web.get(&ok.location.unwrap()).await;
    has(&page.body, "Cash on hand was set.");
    has(&page.body, "(100.00 USD as of 2026-01-02)");
    let mut tx = app.db.begin().await.unwrap();
    let plan = liquidity::plan(&mut tx, &app.operator(), &open, 12)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(plan.cash_on_hand.map(|c| c.amount_minor), Some(10_000));
    // Each row of the plan, with its shortfall flagged.
    let shown = table(&page.body, "plan");
    for r in &plan.rows {
        let short = if r.shortfall_minor > 0 {
            "num shortfall"
        } else {
            "num"
        };
        let cell = format!("<td class=\"{short}\">{}</td>", money(r.shortfall_minor));
        has(shown, &format!("<tr><th scope=\"row\">{}</th>", r.date));
        has(shown, &cell);
    }
    app.stop().await;
}

#[tokio::test]
async fn the_organization_page_sums_the_funds_and_lists_the_shortfalls() {
    let app = app_with_history().await;
    let (open, lp) = (
        app.seeded.open_fund_id.clone(),
        app.seeded.lp_fund_id.clone(),
    );
    let mut web = app.sign_in("operator").await;
    let page = web.get("/distributions/forecast").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    has(
        &page.body,
        "<a href=\"/distributions/forecast\" aria-current=\"page\">",
    );
    has(&page.body, "<table id=\"aggregate-USD\">");
    has(&page.body, "aria-labelledby=\"aggregate-chart-USD-title\"");
    has(
        &page.body,
        &format!("<a href=\"/funds/{open}/forecast\">DEMO-OPEN</a>"),
    );
    has(
        &page.body,
        &format!("<a href=\"/funds/{lp}/forecast\">DEMO-LP</a>"),
    );
    // No cash on hand anywhere: the plan's shortfalls are listed, each with its fund.
    let mut tx = app.db.begin().await.unwrap();
    let plan = liquidity::org_plan(&mut tx, &app.operator(), 12)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let shortfalls = table(&page.body, "shortfalls");
    let short: Vec<_> = plan
        .funds
        .iter()
        .flat_map(|p| p.rows.iter().map(move |r| (p, r)))
        .filter(|(_, r)| r.shortfall_minor > 0 || r.shortfall_high_minor > 0)
        .collect();
    has(&page.body, &format!("({})</caption>", short.len()));
    for (p, r) in short.iter().take(25) {
        let row = format!(
            "<tr><th scope=\"row\"><a href=\"/funds/{}/forecast\">{}</a></th><td>{}</td>",
            p.fund_id, p.fund_code, r.date
        );
        has(shortfalls, &row);
    }
    if short.is_empty() {
        has(shortfalls, "No shortfall");
    }
    assert!(!page.body.contains("NaN"));

    let bad = web.get("/distributions/forecast?horizon=200").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    has(&bad.body, "id=\"err-horizon\"");

    // The partnership's page carries the Yale projection.
    let lp_page = web.get(&format!("/funds/{lp}/forecast")).await;
    assert_eq!(lp_page.status, StatusCode::OK, "{}", lp_page.body);
    has(&lp_page.body, "Takahashi–Alexander");
    has(&lp_page.body, "<table id=\"yale\">");
    app.stop().await;
}

#[tokio::test]
async fn investors_are_sent_away_readers_cannot_post_and_no_history_is_said() {
    let app = spawn_app(2).await;
    let open = app.seeded.open_fund_id.clone();
    let mut investor = app.sign_in("investor").await;
    for path in [
        format!("/funds/{open}/forecast"),
        "/distributions/forecast".to_string(),
    ] {
        let away = investor.get(&path).await;
        assert_eq!(away.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(away.location.as_deref(), Some("/account/distributions"));
    }
    investor.get("/account/distributions").await;
    let post = investor
        .post(
            &format!("/funds/{open}/forecast/save"),
            &[("model", "auto"), ("horizon", "6")],
        )
        .await;
    assert_eq!(post.status, StatusCode::SEE_OTHER);

    let mut auditor = app.sign_in("auditor").await;
    let page = auditor.get(&format!("/funds/{open}/forecast")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    has(&page.body, "No forecast for DEMO-OPEN");
    assert!(
        !page.body.contains("Save forecast"),
        "read-only roles see no form"
    );
    let refused = auditor
        .post(
            &format!("/funds/{open}/forecast/cash-on-hand"),
            &[("amount", "1.00"), ("as_of", "2026-01-02")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let missing = auditor.get("/funds/nope/forecast").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

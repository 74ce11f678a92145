//! The distributions pages of the console: the wizard (create, errors, preview), the detail
//! page's actions (four eyes, roles, CSRF), the payments page and its file download, and
//! what investors and other organizations get.

use reqwest::StatusCode;

use crate::helpers::{pro_rata, spawn_app, TestApp};
use crate::web_client::Page;

/// The wizard's fields for a pro-rata distribution of the demo open-end fund.
fn wizard<'a>(app: &'a TestApp, total: &'a str, description: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("idem", "page-test-key-1"),
        ("fund", app.seeded.open_fund_id.as_str()),
        ("declaration_date", "2026-03-02"),
        ("record_date", "2026-03-16"),
        ("payable_date", "2026-03-31"),
        ("method", "pro_rata"),
        ("total", total),
        ("c_ordinaryDividend", "0.6"),
        ("c_returnOfCapital", "0.4"),
        ("description", description),
    ]
}

/// Replaces (or adds) one field of a form.
fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    name: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    fields.retain(|(k, _)| *k != name);
    fields.push((name, value));
    fields
}

/// The id in a `/distributions/{id}?notice=…` redirect.
fn id_of(page: &Page) -> String {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let to = page.location.as_deref().unwrap();
    let rest = to.strip_prefix("/distributions/").unwrap();
    rest.split('?').next().unwrap().to_string()
}

/// The text of the disabled reason following the button labelled `label`.
fn reason_after(body: &str, label: &str) -> String {
    let at = body
        .find(&format!(">{label}</button>"))
        .unwrap_or_else(|| panic!("no {label} button in {body}"));
    let before = &body[..at];
    let button = &before[before.rfind("<button").unwrap()..];
    assert!(button.contains("disabled"), "{label} is enabled: {button}");
    let rest = &body[at..];
    let start = rest.find(r#"class="reason""#).unwrap();
    let text = &rest[start..];
    let text = &text[text.find('>').unwrap() + 1..];
    text[..text.find('<').unwrap()].to_string()
}

fn enabled(body: &str, label: &str) -> bool {
    let at = body.find(&format!(">{label}</button>")).unwrap();
    let before = &body[..at];
    !before[before.rfind("<button").unwrap()..].contains("disabled")
}

async fn count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) AS n FROM distributions").await
}

#[tokio::test]
async fn the_wizard_creates_one_draft_even_when_submitted_twice() {
    let app = spawn_app(5).await;
    let mut web = app.sign_in("operator").await;
    let form = web.get("/distributions/create").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains(r#"name="idem" value=""#));
    let fields = wizard(&app, "1000.00", "Q1 2026");
    let first = web.post("/distributions/create", &fields).await;
    let id = id_of(&first);
    assert_eq!(
        first.location.as_deref(),
        Some(format!("/distributions/{id}?notice=created").as_str())
    );
    // The same form again (a double click): the same distribution, not a second one.
    let again = web.post("/distributions/create", &fields).await;
    assert_eq!(id_of(&again), id);
    assert_eq!(count(&app).await, 1);

    let page = web
        .get(&format!("/distributions/{id}?notice=created"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("status-DRAFT\">DRAFT"), "{}", page.body);
    assert!(page.body.contains("1,000.00 USD"), "{}", page.body);
    assert!(page.body.contains("The distribution was created."));
    assert!(
        page.body.contains("Created</strong> by"),
        "timeline: {}",
        page.body
    );
    app.stop().await;
}

#[tokio::test]
async fn a_bad_form_is_422_with_each_error_at_its_field_and_the_values_kept() {
    let app = spawn_app(3).await;
    let mut web = app.sign_in("operator").await;
    web.get("/distributions/create").await;
    let fields = with(
        wizard(&app, "1000.00", "Kept <b>text</b>"),
        "payable_date",
        "2026-03-10",
    );
    let page = web.post("/distributions/create", &fields).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let err = &page.body[page
        .body
        .find(r#"id="e-payable_date""#)
        .expect("error at the payable date")..];
    assert!(
        err[..300].contains("must be after the record date"),
        "{err}"
    );
    assert!(page.body.contains(r#"aria-invalid="true""#));
    assert!(page.body.contains(r#"value="2026-03-10""#));
    assert!(
        page.body
            .contains(r#"value="Kept &#60;b&#62;text&#60;/b&#62;""#)
            || page.body.contains("Kept &lt;b&gt;text&lt;/b&gt;"),
        "{}",
        page.body
    );

    let fields = with(wizard(&app, "", "No amount"), "payable_date", "2026-03-31");
    let page = web.post("/distributions/create", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let err = &page.body[page
        .body
        .find(r#"id="e-total""#)
        .expect("error at the total")..];
    assert!(err[..200].contains("is required"), "{err}");
    assert!(page.body.contains(r#"value="No amount""#));
    assert_eq!(count(&app).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn the_preview_writes_nothing_and_ties_out_to_the_cent() {
    let app = spawn_app(7).await;
    let mut web = app.sign_in("operator").await;
    web.get("/distributions/create").await;
    let before = app.snapshot().await;
    // A Saturday record date and no payable date: a warning, and the next business day.
    let fields = with(
        with(
            wizard(&app, "1000.01", "Preview"),
            "record_date",
            "2026-03-14",
        ),
        "payable_date",
        "",
    );
    let page = web.post("/distributions/preview", &fields).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(app.snapshot().await, before, "the preview wrote something");
    assert!(
        page.body.contains("7 lines from the record-date holdings"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<dd id="preview-sum">1,000.01 USD</dd>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("Ties out"), "{}", page.body);
    assert!(page
        .body
        .contains("2026-03-14 is a Saturday: not a business day."));
    assert!(
        page.body.contains(r#"value="2026-03-16""#),
        "payable defaulted: {}",
        page.body
    );
    app.stop().await;
}

#[tokio::test]
async fn the_maker_cannot_approve_and_the_approver_approves() {
    let app = spawn_app(3).await;
    let mut admin = app.sign_in("admin").await;
    admin.get("/distributions/create").await;
    let id = id_of(
        &admin
            .post(
                "/distributions/create",
                &wizard(&app, "500.00", "Four eyes"),
            )
            .await,
    );
    admin.get(&format!("/distributions/{id}")).await;
    let ready = admin.post(&format!("/distributions/{id}/ready"), &[]).await;
    assert_eq!(
        ready.location.as_deref(),
        Some(format!("/distributions/{id}?notice=ready").as_str())
    );

    let page = admin.get(&format!("/distributions/{id}")).await;
    assert_eq!(
        reason_after(&page.body, "Approve"),
        "You created or last edited this distribution; another approver must approve it."
    );
    let refused = admin
        .post(&format!("/distributions/{id}/approve"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("maker-checker"), "{}", refused.body);
    assert!(refused.body.contains("status-READY\">READY"));

    let mut operator = app.sign_in("operator").await;
    let page = operator.get(&format!("/distributions/{id}")).await;
    assert_eq!(
        reason_after(&page.body, "Approve"),
        "Your role (operator) may not approve."
    );
    assert_eq!(
        reason_after(&page.body, "Process"),
        "Only APPROVED distributions can be processed."
    );

    let mut approver = app.sign_in("approver").await;
    let page = approver.get(&format!("/distributions/{id}")).await;
    assert!(enabled(&page.body, "Approve"), "{}", page.body);
    let done = approver
        .post(&format!("/distributions/{id}/approve"), &[])
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some(format!("/distributions/{id}?notice=approved").as_str())
    );
    let page = approver
        .get(&format!("/distributions/{id}?notice=approved"))
        .await;
    assert!(page.body.contains("status-APPROVED\">APPROVED"));
    assert!(page.body.contains("The distribution was approved."));
    app.stop().await;
}

#[tokio::test]
async fn processing_pays_and_the_payments_page_shows_rails_amounts_and_files() {
    let app = spawn_app(3).await;
    let d = app.create(&pro_rata(&app, "300.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    assert!(app
        .patch("operator", &format!("/api/distributions/{id}/ready"))
        .await
        .status()
        .is_success());
    assert!(app
        .patch("approver", &format!("/api/distributions/{id}/approve"))
        .await
        .status()
        .is_success());

    let mut web = app.sign_in("operator").await;
    web.get(&format!("/distributions/{id}")).await;
    let done = web.post(&format!("/distributions/{id}/process"), &[]).await;
    assert_eq!(
        done.location.as_deref(),
        Some(format!("/distributions/{id}?notice=processing").as_str())
    );
    app.wait_status(&id, "COMPLETED").await;
    app.wait_jobs().await;
    let page = web.get(&format!("/distributions/{id}")).await;
    assert!(page.body.contains("status-COMPLETED\">COMPLETED"));

    let page = web.get(&format!("/distributions/{id}/payments")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let payments = crate::payments::payments_of(&app, "operator", &id).await;
    assert_eq!(payments.len(), 3);
    for p in &payments {
        let method = p["method"].as_str().unwrap();
        assert!(
            page.body.contains(&format!("<td>{method}</td>")),
            "{method}: {}",
            page.body
        );
        let amount: rust_decimal::Decimal = p["amount"].as_str().unwrap().parse().unwrap();
        assert!(
            page.body.contains(&format!("{amount:.2} USD")),
            "{amount}: {}",
            page.body
        );
    }
    let link = "/payments/files/";
    let at = page.body.find(link).expect("a file link");
    let href_start = page.body[..at].rfind('"').unwrap() + 1;
    let href_end = at + page.body[at..].find('"').unwrap();
    let href = page.body[href_start..href_end].to_string();
    let file = web.get(&href).await;
    assert_eq!(file.status, StatusCode::OK);
    let disposition = file.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename="),
        "{disposition}"
    );
    assert!(
        file.body.starts_with("101") || file.body.starts_with("<?xml"),
        "{}",
        file.body
    );

    // Approvers see the files but may not download them (they carry account numbers).
    let mut approver = app.sign_in("approver").await;
    let page = approver.get(&format!("/distributions/{id}/payments")).await;
    assert!(page
        .body
        .contains("Your role (approver) may not download bank files"));
    assert!(!page.body.contains(&href));
    assert_eq!(approver.get(&href).await.status, StatusCode::FORBIDDEN);
    // A SENT payment is not retried: the page says why (409); approvers may not retry (403).
    let sent = payments[0]["id"].as_str().unwrap();
    let retry = format!("/distributions/{id}/payments/{sent}/retry");
    let page = web.post(&retry, &[]).await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    assert!(page
        .body
        .contains("only failed, returned, cancelled or held payments can be retried"));
    assert_eq!(
        approver.post(&retry, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    // A file of this distribution under another distribution's URL is not found.
    let other = app.create(&pro_rata(&app, "10.00")).await;
    let wrong = href.replace(&id, other["id"].as_str().unwrap());
    assert_eq!(web.get(&wrong).await.status, StatusCode::NOT_FOUND);
    let wrong = retry.replace(&id, other["id"].as_str().unwrap());
    assert_eq!(web.post(&wrong, &[]).await.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app(3).await;
    let d = app.create(&pro_rata(&app, "100.00")).await;
    let id = d["id"].as_str().unwrap();
    let mut web = app.sign_in("operator").await;
    let page = web
        .post_raw(&format!("/distributions/{id}/ready"), &[])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = web
        .post_raw(
            &format!("/distributions/{id}/ready"),
            &[("_csrf", "forged")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = web.post_raw("/distributions/preview", &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let d: serde_json::Value = app
        .get("operator", &format!("/api/distributions/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["status"], "DRAFT");
    // Only the four lifecycle actions are posted by name; anything else is the 404 page,
    // and the pages beside them keep their own methods.
    web.get(&format!("/distributions/{id}")).await;
    let page = web
        .post(&format!("/distributions/{id}/complete"), &[])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = web
        .post(&format!("/distributions/{id}/payments"), &[])
        .await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    let page = web.post(&format!("/distributions/{id}/ready"), &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location,
        Some(format!("/distributions/{id}?notice=ready"))
    );
    app.stop().await;
}

#[tokio::test]
async fn investors_are_sent_to_their_portal_and_other_orgs_get_404() {
    let app = spawn_app(3).await;
    let d = app.create(&pro_rata(&app, "100.00")).await;
    let id = d["id"].as_str().unwrap();
    let mut investor = app.sign_in("investor").await;
    for path in [
        format!("/distributions/{id}"),
        format!("/distributions/{id}/payments"),
        "/distributions/create".to_string(),
    ] {
        let page = investor.get(&path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            page.location.as_deref(),
            Some("/account/distributions"),
            "{path}"
        );
        assert!(!page.body.contains("100.00"));
    }
    let mut web = app.sign_in("operator").await;
    let page = web.get("/distributions/not-a-distribution").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn descriptions_are_escaped_on_the_list_and_the_detail_page() {
    let app = spawn_app(3).await;
    let mut web = app.sign_in("operator").await;
    web.get("/distributions/create").await;
    let fields = wizard(&app, "100.00", "<script>alert(1)</script>");
    let id = id_of(&web.post("/distributions/create", &fields).await);
    for path in ["/distributions".to_string(), format!("/distributions/{id}")] {
        let page = web.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(
            !page.body.contains("<script>alert(1)"),
            "{path}: {}",
            page.body
        );
        assert!(
            page.body.contains("&#60;script&#62;alert(1)")
                || page.body.contains("&lt;script&gt;alert(1)"),
            "{path}: {}",
            page.body
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn lines_page_by_fifty_and_search_by_investor_id() {
    let app = spawn_app(60).await;
    let d = app.create(&pro_rata(&app, "6000.00")).await;
    let id = d["id"].as_str().unwrap();
    let mut web = app.sign_in("auditor").await;
    let page = web.get(&format!("/distributions/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches(r#"<th scope="row">"#).count(), 50);
    assert!(page.body.contains("Next lines"));
    let lines = app.all_lines("operator", id).await;
    let last = lines[59]["investorId"].as_str().unwrap();
    let page = web.get(&format!("/distributions/{id}?q={last}")).await;
    assert_eq!(
        page.body.matches(r#"<th scope="row">"#).count(),
        1,
        "{}",
        page.body
    );
    assert!(page.body.contains(last));
    // Auditors read everything and change nothing.
    assert_eq!(
        reason_after(&page.body, "Mark ready"),
        "Your role (auditor) may not mark distributions ready."
    );
    app.stop().await;
}

#[tokio::test]
async fn a_completed_distribution_is_reversed_with_a_reason() {
    let app = spawn_app(3).await;
    let d = app.create(&pro_rata(&app, "90.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    let mut web = app.sign_in("operator").await;
    web.get(&format!("/distributions/{id}")).await;
    let page = web
        .post(
            &format!("/distributions/{id}/reversal"),
            &[("reason", " "), ("idem", "rev-1")],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"id="e-reason""#));
    let page = web
        .post(
            &format!("/distributions/{id}/reversal"),
            &[("reason", "Wrong total"), ("idem", "rev-2")],
        )
        .await;
    let reversal = id_of(&page);
    assert_ne!(reversal, id);
    assert!(page.location.unwrap().ends_with("?notice=reversed"));
    let page = web.get(&format!("/distributions/{reversal}")).await;
    assert!(page.body.contains("REVERSAL"));
    assert!(page.body.contains("-90.00 USD"), "{}", page.body);
    app.stop().await;
}

#[tokio::test]
async fn the_script_gets_the_preview_as_a_fragment() {
    let app = spawn_app(4).await;
    let mut web = app.sign_in("operator").await;
    web.get("/distributions/create").await;
    let mut fields = vec![("_csrf", web.csrf.clone())];
    fields.extend(
        wizard(&app, "10.00", "Fragment")
            .into_iter()
            .map(|(k, v)| (k, v.to_string())),
    );
    let cookie: Vec<String> = web
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let resp = reqwest::Client::new()
        .post(app.url("/distributions/preview"))
        .header("Cookie", cookie.join("; "))
        .header("x-preview", "fragment")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.text().await.unwrap();
    assert!(!body.contains("<html"), "{body}");
    assert!(
        body.contains(r#"<dd id="preview-sum">10.00 USD</dd>"#),
        "{body}"
    );
    assert!(body.contains("4 lines"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn the_edit_form_is_prefilled_and_only_offered_while_editable() {
    let app = spawn_app(3).await;
    let d = app.create(&pro_rata(&app, "100.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    let mut web = app.sign_in("operator").await;
    let page = web.get(&format!("/distributions/{id}/edit")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(r#"value="100.00""#), "{}", page.body);
    assert!(page.body.contains(r#"value="0.4""#));
    assert!(page.body.contains(r#"value="Q1 2026""#));
    let mut fields = wizard(&app, "250.00", "Q1 2026 revised");
    fields.retain(|(k, _)| *k != "idem");
    let done = web
        .post(&format!("/distributions/{id}/edit"), &fields)
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some(format!("/distributions/{id}?notice=edited").as_str())
    );
    let page = web.get(&format!("/distributions/{id}")).await;
    assert!(page.body.contains("250.00 USD"), "{}", page.body);
    assert!(page.body.contains("Edited (back to DRAFT)"));

    let bad = with(fields.clone(), "total", "-5");
    let page = web.post(&format!("/distributions/{id}/edit"), &bad).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains(r#"id="e-total""#));
    assert!(page.body.contains(r#"value="-5""#));

    app.complete(&id).await;
    let page = web.get(&format!("/distributions/{id}/edit")).await;
    assert!(page
        .body
        .contains("Only DRAFT or READY distributions can be edited; this one is COMPLETED."));
    assert!(!page.body.contains(r#"id="wizard""#));
    let page = web
        .post(&format!("/distributions/{id}/edit"), &fields)
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
    app.stop().await;
}

#[tokio::test]
async fn explicit_lines_are_read_from_the_text_box_and_their_errors_name_the_row() {
    let app = spawn_app(3).await;
    let mut web = app.sign_in("operator").await;
    web.get("/distributions/create").await;
    let [a, b, ..] = app.seeded.investor_ids.as_slice() else {
        panic!("two investors")
    };
    let rows = format!("{a},10.00,10.00\n{b},5.00,4.00");
    let fields = with(
        with(wizard(&app, "", "Explicit"), "method", "explicit"),
        "lines",
        &rows,
    );
    let page = web.post("/distributions/create", &fields).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let err = &page.body[page
        .body
        .find(r#"id="e-lines""#)
        .expect("error at the lines")..];
    assert!(
        err[..300].contains("line 2, totalAmount: components sum to 400"),
        "{err}"
    );
    assert!(page.body.contains("10.00,10.00"), "rows kept");

    let rows = format!("{a},10.00,10.00\n{b},5.00,4.00,1.00");
    let fields = with(fields, "lines", &rows);
    let id = id_of(&web.post("/distributions/create", &fields).await);
    let page = web.get(&format!("/distributions/{id}")).await;
    assert!(page.body.contains("15.00 USD"), "{}", page.body);
    assert!(page
        .body
        .contains("Explicit lines (amounts and components given per investor)"));
    let edit = web.get(&format!("/distributions/{id}/edit")).await;
    assert!(
        edit.body.contains(&format!("{b},5.00,4.00,1.00,0.00")),
        "{}",
        edit.body
    );
    app.stop().await;
}

#[tokio::test]
async fn the_list_searches_literally_filters_and_totals_what_it_selects() {
    let app = spawn_app(3).await;
    let mut ids = Vec::new();
    for (description, total) in [
        ("Alpha 100%", "100.00"),
        ("Beta_2", "20.00"),
        ("Gamma", "3.00"),
    ] {
        let mut body = pro_rata(&app, total);
        body["description"] = description.into();
        let resp = app.post("operator", "/api/distributions", &body).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let v: serde_json::Value = resp.json().await.unwrap();
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let mut web = app.sign_in("auditor").await;
    let rows = |body: &str| {
        ["Alpha 100%", "Beta_2", "Gamma"]
            .into_iter()
            .filter(|d| body.contains(&format!(">{d}</a>")))
            .collect::<Vec<_>>()
    };
    // LIKE's wildcards are searched as themselves.
    let page = web.get("/distributions?q=%25").await;
    assert_eq!(rows(&page.body), ["Alpha 100%"]);
    assert!(
        page.body.contains("Selected: 1 distributions, 100.00 USD"),
        "{}",
        page.body
    );
    let page = web.get("/distributions?q=_").await;
    assert_eq!(rows(&page.body), ["Beta_2"]);
    let page = web.get("/distributions?q=GAMMA").await;
    assert_eq!(rows(&page.body), ["Gamma"]);
    // An id prefix of 8 or more characters finds its distribution.
    let page = web
        .get(&format!("/distributions?q={}", &ids[1][..13]))
        .await;
    assert_eq!(rows(&page.body), ["Beta_2"]);
    // Filters combine, and the totals are of the whole selection.
    let page = web
        .get("/distributions?status=DRAFT&from=2026-03-31&to=2026-03-31")
        .await;
    assert_eq!(rows(&page.body), ["Alpha 100%", "Beta_2", "Gamma"]);
    assert!(
        page.body.contains("Selected: 3 distributions, 123.00 USD"),
        "{}",
        page.body
    );
    let page = web.get("/distributions?status=APPROVED").await;
    assert!(rows(&page.body).is_empty());
    // A bad filter is named next to its field, and lists nothing.
    let page = web.get("/distributions?from=2026-02-30").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains(r#"id="e-from""#), "{}", page.body);
    app.stop().await;
}

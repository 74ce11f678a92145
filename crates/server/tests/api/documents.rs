//! Investor documents over HTTP: an investor generates and downloads only their own, staff any
//! of their organization's investors, another organization nothing; the same figures give the
//! stored version (200), changed figures the next version (201); bad input is a 422 naming the
//! field and stores nothing.

use std::process::Command;

use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{pro_rata, spawn_app, TestApp};

async fn problem(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn my_investor(app: &TestApp) -> (String, String) {
    let v: Value = app
        .get("investor", "/api/investors")
        .await
        .json()
        .await
        .unwrap();
    let me = &v["items"][0];
    (
        me["id"].as_str().unwrap().to_string(),
        me["name"].as_str().unwrap().to_string(),
    )
}

fn notice(distribution_id: &str, format: &str) -> Value {
    json!({ "kind": "notice", "format": format, "distributionId": distribution_id })
}

/// `pdftotext` of a PDF, whitespace collapsed.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("clearway-api-doc-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("n.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `1234.56` as printed: `1,234.56 USD`.
fn printed(amount: &str) -> String {
    let (int, frac) = amount.split_once('.').unwrap();
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out}.{frac} USD")
}

#[tokio::test]
async fn an_investor_gets_their_own_notice_once_per_version_and_nobody_elses() {
    let app = spawn_app(6).await;
    let d = app.create(&pro_rata(&app, "600.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    let (me, my_name) = my_investor(&app).await;
    let path = format!("/api/investors/{me}/documents");

    let resp = app.post("investor", &path, &notice(&id, "pdf")).await;
    assert_eq!(resp.status(), 201);
    let first: Value = resp.json().await.unwrap();
    assert_eq!(
        (first["kind"].as_str(), first["version"].as_i64()),
        (Some("notice"), Some(1))
    );
    assert_eq!(first["contentType"], "application/pdf");
    assert_eq!(first["filename"], format!("notice-{id}-v1.pdf"));
    let doc_id = first["id"].as_str().unwrap().to_string();
    // The same figures: the stored version, no new row.
    let again = app.post("investor", &path, &notice(&id, "pdf")).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        (again["id"].as_str(), again["version"].as_i64()),
        (Some(doc_id.as_str()), Some(1))
    );
    assert_eq!(again["contentHash"], first["contentHash"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM documents").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'document.generate'")
            .await,
        1
    );

    // The content: a PDF with the investor's name, their amount and the disclosures.
    let resp = app
        .get("investor", &format!("/api/documents/{doc_id}/content"))
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"notice-{id}-v1.pdf\"")
    );
    let pdf = resp.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let line: Value = app
        .get("investor", &format!("/api/distributions/{id}/lines/{me}"))
        .await
        .json()
        .await
        .unwrap();
    let text = pdf_text(&pdf);
    assert!(text.contains(&my_name), "{my_name} missing from {text}");
    assert!(
        text.contains(&printed(line["totalAmount"].as_str().unwrap())),
        "{text}"
    );
    assert!(
        text.contains("Notice of the source of this distribution (Section 19(a))"),
        "40 % return of capital"
    );

    // Another investor's documents: 404 for the investor, readable by staff.
    let other = app
        .seeded
        .investor_ids
        .iter()
        .find(|i| **i != me)
        .unwrap()
        .clone();
    let theirs = format!("/api/investors/{other}/documents");
    assert_eq!(
        app.post("investor", &theirs, &notice(&id, "pdf"))
            .await
            .status(),
        404
    );
    assert_eq!(app.get("investor", &theirs).await.status(), 404);
    let resp = app.post("operator", &theirs, &notice(&id, "csv")).await;
    assert_eq!(resp.status(), 201);
    let their_doc: Value = resp.json().await.unwrap();
    let their_id = their_doc["id"].as_str().unwrap();
    assert_eq!(
        app.get("investor", &format!("/api/documents/{their_id}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get("investor", &format!("/api/documents/{their_id}/content"))
            .await
            .status(),
        404
    );
    let mine: Value = app.get("operator", &path).await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["id"], doc_id.as_str());
    // Read-only staff read, but do not generate.
    assert_eq!(
        app.get("auditor", &format!("/api/documents/{doc_id}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post("auditor", &path, &notice(&id, "xlsx"))
            .await
            .status(),
        403
    );

    // Another organization: 404 on everything.
    let stranger = app
        .seed_another_org(2, &format!("Docs other {}", uuid::Uuid::now_v7()))
        .await;
    let client = reqwest::Client::new();
    for url in [
        format!("/api/documents/{doc_id}"),
        format!("/api/documents/{doc_id}/content"),
        path.clone(),
    ] {
        let resp = client
            .get(app.url(&url))
            .bearer_auth(&stranger.tokens.operator)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{url}");
    }
    let resp = client
        .post(app.url(&path))
        .bearer_auth(&stranger.tokens.operator)
        .json(&notice(&id, "pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM documents").await, 2);
    app.stop().await;
}

#[tokio::test]
async fn a_changed_distribution_makes_version_two() {
    let app = spawn_app(4).await;
    let d = app.create(&pro_rata(&app, "400.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    let investor = app.seeded.investor_ids[0].clone();
    let path = format!("/api/investors/{investor}/documents");
    let v1: Value = app
        .post("operator", &path, &notice(&id, "xlsx"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v1["version"], 1);
    // The draft's total changes: the investor's line, hence the notice, changes.
    let resp = app
        .put(
            "operator",
            &format!("/api/distributions/{id}"),
            &pro_rata(&app, "500.00"),
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    let resp = app.post("operator", &path, &notice(&id, "xlsx")).await;
    assert_eq!(resp.status(), 201);
    let v2: Value = resp.json().await.unwrap();
    assert_eq!(v2["version"], 2);
    assert_ne!(v2["contentHash"], v1["contentHash"]);
    assert_ne!(v2["id"], v1["id"]);
    assert_eq!(v2["filename"], format!("notice-{id}-v2.xlsx"));
    // Both versions stay downloadable; the list has both, newest first.
    let list: Value = app.get("operator", &path).await.json().await.unwrap();
    let versions: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    let old = app
        .get(
            "operator",
            &format!("/api/documents/{}/content", v1["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        old.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    app.stop().await;
}

#[tokio::test]
async fn statements_and_tax_summaries_carry_the_year_and_bad_input_names_the_field() {
    let app = spawn_app(4).await;
    let d = app.create(&pro_rata(&app, "400.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    let investor = app.seeded.investor_ids[0].clone();
    let path = format!("/api/investors/{investor}/documents");
    let line: Value = app
        .get(
            "operator",
            &format!("/api/distributions/{id}/lines/{investor}"),
        )
        .await
        .json()
        .await
        .unwrap();
    let total = line["totalAmount"].as_str().unwrap();

    let body =
        json!({ "kind": "statement", "format": "csv", "from": "2026-01-01", "to": "2026-12-31" });
    let resp = app.post("operator", &path, &body).await;
    assert_eq!(resp.status(), 201);
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(doc["subjectKey"], "2026-01-01..2026-12-31");
    let csv = app
        .get(
            "operator",
            &format!("/api/documents/{}/content", doc["id"].as_str().unwrap()),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains(&format!("distributions,1,Gross amount,{total},USD")),
        "{csv}"
    );

    let body = json!({ "kind": "taxSummary", "format": "csv", "year": 2026 });
    let doc: Value = app
        .post("operator", &path, &body)
        .await
        .json()
        .await
        .unwrap();
    let csv = app
        .get(
            "operator",
            &format!("/api/documents/{}/content", doc["id"].as_str().unwrap()),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains(&format!("fund,1,Total,{total},USD")), "{csv}");
    assert!(csv.contains("an estimate until year end"), "{csv}");

    let before = app.count("SELECT COUNT(*) AS n FROM documents").await;
    for (body, field) in [
        (
            json!({ "kind": "notice", "format": "docx", "distributionId": id }),
            "format",
        ),
        (json!({ "kind": "letter", "format": "pdf" }), "kind"),
        (
            json!({ "kind": "statement", "format": "pdf", "from": "2026-01-01" }),
            "to",
        ),
        (
            json!({ "kind": "statement", "format": "pdf", "from": "2026-13-01", "to": "2026-12-31" }),
            "from",
        ),
        (
            json!({ "kind": "statement", "format": "pdf", "from": "2026-06-01", "to": "2026-05-31" }),
            "to",
        ),
        (
            json!({ "kind": "taxSummary", "format": "csv", "year": 2026, "from": "2026-01-01" }),
            "from",
        ),
        (
            json!({ "kind": "taxSummary", "format": "csv", "year": 99999 }),
            "year",
        ),
        (
            json!({ "kind": "notice", "format": "pdf" }),
            "distributionId",
        ),
    ] {
        let (status, p) = problem(app.post("operator", &path, &body).await).await;
        assert_eq!(
            (status, p["field"].as_str()),
            (422, Some(field)),
            "{body}: {p}"
        );
    }
    let (status, _) = problem(
        app.post(
            "operator",
            &path,
            &json!({ "kind": "notice", "format": "pdf", "extra": 1 }),
        )
        .await,
    )
    .await;
    assert!(
        status == 400 || status == 422,
        "unknown field refused: {status}"
    );
    let (status, _) = problem(
        app.post("operator", &path, &notice("0190aaaa-no-such", "pdf"))
            .await,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM documents").await,
        before
    );
    app.stop().await;
}

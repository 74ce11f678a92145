//! The OpenAPI document tells the truth about the API (parameters where they are sent, every
//! error as problem JSON), and the docs page works offline.

use serde_json::Value;

use crate::helpers::spawn_app;

const PROBLEM_REF: &str = "#/components/schemas/Problem";

/// Every operation of the document, as (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), op.clone()));
        }
    }
    out
}

/// The names in a path template: `/a/{id}/b/{x}` → `["id", "x"]`.
fn template_names(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split('}').next())
        .collect()
}

#[tokio::test]
async fn parameters_are_declared_where_they_are_sent() {
    let app = spawn_app(1).await;
    let doc: Value = app
        .get("admin", "/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    for (method, path, op) in operations(&doc) {
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for p in &params {
            let name = p["name"].as_str().unwrap();
            if p["in"] == "path" {
                // The old document declared every query field as a required path parameter.
                assert!(
                    template_names(&path).contains(&name),
                    "{method} {path}: `{name}` is declared in: path but is not in the path"
                );
            }
        }
        for name in template_names(&path) {
            let declared = params
                .iter()
                .find(|p| p["in"] == "path" && p["name"] == name)
                .unwrap_or_else(|| panic!("{method} {path}: path parameter {name} undeclared"));
            assert_eq!(declared["required"], true, "{method} {path} {name}");
        }
    }
    // Spot checks of query parameters: optional, typed, bounded.
    let list = &doc["paths"]["/api/distributions"]["get"]["parameters"];
    let param = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .clone()
    };
    let payable_from = param("payableFrom");
    assert_eq!(payable_from["in"], "query");
    assert_eq!(payable_from["required"], false);
    assert_eq!(payable_from["schema"]["format"], "date");
    let limit = param("limit");
    assert_eq!(limit["in"], "query");
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], 1000);
    let nav_at = &doc["paths"]["/api/funds/{fund_id}/navs/at"]["get"]["parameters"];
    let date = nav_at
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "date")
        .unwrap();
    assert_eq!(date["in"], "query");
    assert_eq!(date["required"], true, "the NAV date is required");
    assert_eq!(date["schema"]["format"], "date");
    // Bodies: money as decimal strings with their grammar, dates as dates.
    let schemas = &doc["components"]["schemas"];
    let amount = &schemas["LineRequest"]["properties"]["totalAmount"];
    assert_eq!(amount["type"], "string");
    assert_eq!(amount["pattern"], "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$");
    let record = &schemas["DistributionRequest"]["properties"]["recordDate"];
    assert_eq!(record["format"], "date");
    // Strict input's shared rules: no control characters in strings, no empty lists.
    let no_control = "^[^\\x00-\\x1F\\x7F-\\x9F]*$";
    assert_eq!(param("fundId")["schema"]["pattern"], no_control);
    let fund = &schemas["DistributionRequest"]["properties"]["fundId"];
    assert_eq!(fund["pattern"], no_control);
    let investors = &schemas["ReversalRequest"]["properties"]["investorIds"];
    assert_eq!(investors["minItems"], 1, "{investors}");
    app.stop().await;
}

/// The problem+json content of a response, if that is what it is.
fn problem_schema(response: &Value) -> Option<&str> {
    response["content"]["application/problem+json"]["schema"]["$ref"].as_str()
}

#[tokio::test]
async fn every_error_is_documented_as_problem_json() {
    let app = spawn_app(1).await;
    let doc: Value = app
        .get("admin", "/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                // readyz answers 503 with its health document, not a problem.
                if path == "/readyz" {
                    continue;
                }
                assert_eq!(
                    problem_schema(response),
                    Some(PROBLEM_REF),
                    "{method} {path} {status} is not application/problem+json"
                );
                assert!(
                    response["content"].get("application/json").is_none(),
                    "{method} {path} {status} still claims application/json"
                );
            }
        }
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        if secured {
            for status in ["401", "403", "500"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path}: {status} undocumented"
                );
            }
        }
        let body = &op["requestBody"];
        if body.is_object() {
            for status in ["400", "413", "422"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path}: {status} undocumented"
                );
            }
            if body["content"].get("application/json").is_some() {
                assert!(
                    responses.contains_key("415"),
                    "{method} {path}: 415 undocumented"
                );
            }
        }
        if ["put", "post", "patch", "delete"].contains(&method.as_str()) && secured {
            assert!(
                responses.contains_key("409"),
                "{method} {path}: 409 undocumented"
            );
        }
    }
    let plaid = "/api/investors/{investor_id}/bank-accounts/{account_id}/plaid-verification";
    assert_eq!(
        problem_schema(&doc["paths"][plaid]["post"]["responses"]["502"]),
        Some(PROBLEM_REF)
    );
    app.stop().await;
}

#[tokio::test]
async fn served_errors_are_problem_json_and_the_document_is_stable() {
    let app = spawn_app(1).await;
    let no_token = app
        .client
        .get(app.url("/api/distributions"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    assert_eq!(
        no_token.headers()["content-type"],
        "application/problem+json"
    );
    let bad_limit = app.get("operator", "/api/distributions?limit=0").await;
    assert_eq!(bad_limit.status(), 422);
    assert_eq!(
        bad_limit.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = bad_limit.json().await.unwrap();
    assert_eq!(problem["field"], "limit");
    let bad_query = app.get("operator", "/api/distributions?nope=1").await;
    assert_eq!(bad_query.status(), 400);
    assert_eq!(
        bad_query.headers()["content-type"],
        "application/problem+json"
    );
    // Deterministic: the same bytes on every request.
    let first = app
        .get("admin", "/api/openapi.json")
        .await
        .text()
        .await
        .unwrap();
    let second = app
        .get("admin", "/api/openapi.json")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(first, second);
    app.stop().await;
}

#[tokio::test]
async fn the_docs_page_loads_nothing_from_the_internet() {
    let app = spawn_app(1).await;
    let page = app.client.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    // The Scalar page it replaces pulled its script from cdn.jsdelivr.net.
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"),
        "{html}"
    );
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("/api/docs/"))
        .collect();
    assert_eq!(assets.len(), 3, "css, bundle, init: {assets:?}");
    for asset in assets {
        let resp = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{asset}");
        let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(
            kind.starts_with("text/css") || kind.starts_with("text/javascript"),
            "{asset}: {kind}"
        );
        let body = resp.text().await.unwrap();
        assert!(body.len() > 100, "{asset} is empty");
        if asset.ends_with("init.js") {
            assert!(body.contains("\"/api/openapi.json\""), "{body}");
            assert!(body.contains("validatorUrl: null"), "{body}");
        }
    }
    let license = app
        .client
        .get(app.url("/api/docs/LICENSE"))
        .send()
        .await
        .unwrap();
    assert_eq!(license.status(), 200);
    assert!(license.text().await.unwrap().contains("Apache License"));
    app.stop().await;
}

#[tokio::test]
async fn an_optional_body_is_documented_as_optional_not_nullable() {
    let app = spawn_app(1).await;
    let doc: Value = app
        .get("admin", "/api/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let body = &doc["paths"]["/api/checks/stale-date"]["post"]["requestBody"];
    // Before: required, so a client following the document could not leave it out (the
    // server can), and after utoipa's `Option<T>`, a `null` the server refuses.
    assert_ne!(body["required"], true, "the body is optional");
    assert_eq!(
        body["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/StaleRequest"
    );
    let empty = app
        .client
        .post(app.url("/api/checks/stale-date"))
        .bearer_auth(app.token("operator"))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 200);
    let bad = app
        .post(
            "operator",
            "/api/checks/stale-date",
            &serde_json::json!({"asOf": "x"}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.unwrap();
    assert_eq!(problem["field"], "asOf");
    app.stop().await;
}

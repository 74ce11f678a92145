//! Year-end forms: closing a year, 1099-DIV figures of a constructed year (amounts written
//! out here, not computed by the code under test), the $10 rule, issuing through bulk runs
//! (unchanged on a re-run, CORRECTED seq 2 after a change), 1042-S recipients, the FIRE
//! transmitter's validation, and who may read what.
//!
//! The year's lines are written straight into the tables (completed distributions with their
//! withholding rows, as processing leaves them), so each amount is known to the cent.

use clearway_store::{q, Db};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const YEAR: i32 = 2025;

async fn exec(db: &Db, sql: &'static str, args: Vec<clearway_store::db::Arg>) {
    let mut query = q(sql);
    for a in args {
        query.push(a);
    }
    let mut tx = db.begin().await.unwrap();
    tx.execute(query).await.unwrap();
    tx.commit().await.unwrap();
}

/// A distribution of the demo open-end fund with `status`, paid on `payable`.
async fn distribution(app: &TestApp, id: &str, payable: &str, status: &str) {
    let declared = format!("{}-01", &payable[..7]);
    let record = format!("{}-10", &payable[..7]);
    exec(
        &app.db,
        "INSERT INTO distributions (id, org_id, fund_id, kind, status, currency, declaration_date, ex_date, record_date, payable_date, description, allocation, total_minor, line_count, created_by, created_at, updated_at, version)
         VALUES ($1, $2, $3, 'REGULAR', $4, 'USD', $5, NULL, $6, $7, 'tax test', '{}', 0, 0, $8, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', 1)",
        vec![
            id.into(),
            app.seeded.org_id.clone().into(),
            app.seeded.open_fund_id.clone().into(),
            status.into(),
            declared.into(),
            record.into(),
            payable.into(),
            app.seeded.user_ids["operator"].clone().into(),
        ],
    )
    .await;
}

/// A line: components in cents (ordinary, qualified, st gain, lt gain, roc, interest).
async fn line(app: &TestApp, dist: &str, investor: &str, c: [i64; 6], withheld: i64) {
    let total: i64 = c.iter().sum();
    exec(
        &app.db,
        "INSERT INTO distribution_lines (distribution_id, org_id, investor_id, units, total_minor, ordinary_minor, qualified_minor, st_gain_minor, lt_gain_minor, roc_minor, interest_minor, foreign_tax_minor, withholding_minor, status)
         VALUES ($1, $2, $3, '1', $4, $5, $6, $7, $8, $9, $10, 0, $11, 'PAID')",
        vec![
            dist.into(),
            app.seeded.org_id.clone().into(),
            investor.into(),
            total.into(),
            c[0].into(),
            c[1].into(),
            c[2].into(),
            c[3].into(),
            c[4].into(),
            c[5].into(),
            withheld.into(),
        ],
    )
    .await;
}

/// The line's withholding row: federal per component (cents), regime, rate in percent.
async fn withheld(
    app: &TestApp,
    dist: &str,
    investor: &str,
    payable: &str,
    regime: &str,
    fed: [i64; 6],
    rate: &str,
) {
    let rates = json!([rate, rate, rate, rate, "0", rate]).to_string();
    exec(
        &app.db,
        "INSERT INTO line_withholdings (distribution_id, investor_id, org_id, fund_id, currency, payable_date, regime, fed_ordinary_minor, fed_qualified_minor, fed_st_gain_minor, fed_lt_gain_minor, fed_roc_minor, fed_interest_minor, federal_minor, rates, state, state_minor, flag, created_at)
         VALUES ($1, $2, $3, $4, 'USD', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, 0, NULL, '2025-01-01T00:00:00Z')",
        vec![
            dist.into(),
            investor.into(),
            app.seeded.org_id.clone().into(),
            app.seeded.open_fund_id.clone().into(),
            payable.into(),
            regime.into(),
            fed[0].into(),
            fed[1].into(),
            fed[2].into(),
            fed[3].into(),
            fed[4].into(),
            fed[5].into(),
            fed.iter().sum::<i64>().into(),
            rates.into(),
        ],
    )
    .await;
}

async fn profile(app: &TestApp, investor: &str, residency: &str, country: Option<&str>) {
    let foreign = residency == "FOREIGN";
    exec(
        &app.db,
        "INSERT INTO tax_profiles (investor_id, org_id, tin_type, tin_enc, tin_key_id, tin_last4, tin_status, residency, certificate, country, treaty_claim, treaty_article, chapter3_status, chapter4_status, residence_state, exempt_payee_code, fatca_filing, foreign_tin, updated_by, updated_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, 'CERTIFIED', $7, $8, $9, $10, NULL, $11, $11, $12, NULL, 0, NULL, 'test', '2025-01-01T00:00:00Z', 1)",
        vec![
            investor.into(),
            app.seeded.org_id.clone().into(),
            (!foreign).then_some("SSN").into(),
            (!foreign).then_some("sealed").into(),
            (!foreign).then_some("k1").into(),
            (!foreign).then_some("6789").into(),
            residency.into(),
            (if foreign { "W-8BEN" } else { "W-9" }).into(),
            country.into(),
            i64::from(foreign).into(),
            foreign.then_some("16").into(),
            (!foreign).then_some("CA").into(),
        ],
    )
    .await;
}

/// The constructed year. A (the investor user, no profile: missing TIN, backup withheld at
/// 24 %), B 9.99 (not due), C 10.00 (due), D 0.50 with 0.12 withheld (due), E foreign (1042-S).
/// Lines of 2026 and of a cancelled distribution are not part of 2025.
struct Year {
    a: String,
    b: String,
    c: String,
    d: String,
    e: String,
}

async fn construct(app: &TestApp) -> Year {
    let a = app.seeded.investor_user_investor_id.clone();
    let others: Vec<String> = app
        .seeded
        .investor_ids
        .iter()
        .filter(|i| **i != a)
        .cloned()
        .collect();
    let y = Year {
        a,
        b: others[0].clone(),
        c: others[1].clone(),
        d: others[2].clone(),
        e: others[3].clone(),
    };
    distribution(app, "tax-d1", "2025-03-31", "COMPLETED").await;
    distribution(app, "tax-d2", "2025-09-30", "COMPLETED").await;
    distribution(app, "tax-d3", "2026-01-15", "COMPLETED").await;
    distribution(app, "tax-d4", "2025-06-30", "CANCELLED").await;
    // A: 600.00 ordinary, 300.00 qualified, 100.00 return of capital; backup 24 % of 900.00.
    line(
        app,
        "tax-d1",
        &y.a,
        [60_000, 30_000, 0, 0, 10_000, 0],
        21_600,
    )
    .await;
    withheld(
        app,
        "tax-d1",
        &y.a,
        "2025-03-31",
        "BACKUP",
        [14_400, 7_200, 0, 0, 0, 0],
        "24",
    )
    .await;
    // A: 250.00 long-term gain, 50.00 interest; backup 60.00 + 12.00.
    line(app, "tax-d2", &y.a, [0, 0, 0, 25_000, 0, 5_000], 7_200).await;
    withheld(
        app,
        "tax-d2",
        &y.a,
        "2025-09-30",
        "BACKUP",
        [0, 0, 0, 6_000, 0, 1_200],
        "24",
    )
    .await;
    // Not 2025: another year's and a cancelled distribution's lines.
    line(app, "tax-d3", &y.a, [100_000, 0, 0, 0, 0, 0], 0).await;
    line(app, "tax-d4", &y.a, [100_000, 0, 0, 0, 0, 0], 0).await;
    profile(app, &y.b, "US", None).await;
    line(app, "tax-d1", &y.b, [999, 0, 0, 0, 0, 0], 0).await;
    line(app, "tax-d1", &y.c, [1_000, 0, 0, 0, 0, 0], 0).await;
    line(app, "tax-d1", &y.d, [50, 0, 0, 0, 0, 0], 12).await;
    withheld(
        app,
        "tax-d1",
        &y.d,
        "2025-03-31",
        "BACKUP",
        [12, 0, 0, 0, 0, 0],
        "24",
    )
    .await;
    profile(app, &y.e, "FOREIGN", Some("DE")).await;
    line(app, "tax-d1", &y.e, [10_000, 0, 0, 0, 0, 0], 1_500).await;
    withheld(
        app,
        "tax-d1",
        &y.e,
        "2025-03-31",
        "CHAPTER3",
        [1_500, 0, 0, 0, 0, 0],
        "15",
    )
    .await;
    y
}

async fn close(app: &TestApp, year: i32) -> reqwest::Response {
    app.post("admin", &format!("/api/tax-years/{year}/close"), &json!({}))
        .await
}

async fn run(app: &TestApp) -> Value {
    let fund = &app.seeded.open_fund_id;
    let resp = app
        .post(
            "operator",
            &format!("/api/funds/{fund}/tax-forms/{YEAR}/runs"),
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let started: Value = resp.json().await.unwrap();
    app.wait_jobs().await;
    let id = started["id"].as_str().unwrap();
    app.get("operator", &format!("/api/tax-form-runs/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

async fn problem_field(resp: reqwest::Response) -> (StatusCode, String) {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    (
        status,
        body["errors"][0]["field"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

#[tokio::test]
async fn a_year_closes_once_after_it_ended_and_by_an_admin() {
    let app = spawn_app(3).await;
    let (status, field) = problem_field(close(&app, 2026).await).await;
    assert_eq!(
        (status, field.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "taxYear")
    );
    let (status, field) = problem_field(close(&app, 1999).await).await;
    assert_eq!(
        (status, field.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "taxYear")
    );
    for role in ["operator", "approver"] {
        let resp = app
            .post(role, "/api/tax-years/2025/close", &json!({}))
            .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{role}");
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM tax_years").await, 0);
    let resp = close(&app, YEAR).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let closed: Value = resp.json().await.unwrap();
    assert_eq!(closed["taxYear"], YEAR);
    assert_eq!(close(&app, YEAR).await.status(), StatusCode::CONFLICT);
    let list: Value = app
        .get("auditor", "/api/tax-years")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["taxYear"], YEAR);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'tax_year.closed'")
            .await,
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn an_open_year_issues_nothing() {
    let app = spawn_app(6).await;
    construct(&app).await;
    let fund = &app.seeded.open_fund_id;
    for path in [
        format!("/api/funds/{fund}/1099-div/{YEAR}"),
        format!("/api/funds/{fund}/1042-s/{YEAR}"),
        format!("/api/funds/{fund}/tax-summary/{YEAR}"),
    ] {
        let (status, field) = problem_field(app.get("operator", &path).await).await;
        assert_eq!(
            (status, field.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "taxYear"),
            "{path}"
        );
    }
    let resp = app
        .post(
            "operator",
            &format!("/api/funds/{fund}/tax-forms/{YEAR}/runs"),
            &json!({}),
        )
        .await;
    let (status, field) = problem_field(resp).await;
    assert_eq!(
        (status, field.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "taxYear")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM tax_form_runs").await,
        0
    );
    // A partnership issues K-1s, not 1099-DIVs.
    assert_eq!(close(&app, YEAR).await.status(), StatusCode::CREATED);
    let lp = &app.seeded.lp_fund_id;
    let (status, field) = problem_field(
        app.get("operator", &format!("/api/funds/{lp}/1099-div/{YEAR}"))
            .await,
    )
    .await;
    assert_eq!(
        (status, field.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "fundId")
    );
    app.stop().await;
}

fn item<'a>(page: &'a Value, investor: &str) -> &'a Value {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["investorId"] == investor)
        .unwrap_or_else(|| panic!("no item for {investor}: {page}"))
}

#[tokio::test]
async fn the_constructed_year_gives_the_1099_div_boxes_and_the_10_dollar_rule() {
    let app = spawn_app(6).await;
    let y = construct(&app).await;
    assert_eq!(close(&app, YEAR).await.status(), StatusCode::CREATED);
    let fund = &app.seeded.open_fund_id;
    let page: Value = app
        .get(
            "operator",
            &format!("/api/funds/{fund}/1099-div/{YEAR}?limit=1000"),
        )
        .await
        .json()
        .await
        .unwrap();
    // Four US recipients; the foreign investor is not one.
    assert_eq!(page["items"].as_array().unwrap().len(), 4, "{page}");
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["investorId"] != y.e.as_str()));
    let a = &item(&page, &y.a)["figures"];
    // 1a = 600.00 + 300.00 + 50.00 interest; 1b = 300.00; 2a = 250.00; 3 = 100.00; 4 = 216.00 + 72.00.
    assert_eq!(a["box1a"], "950.00");
    assert_eq!(a["box1b"], "300.00");
    assert_eq!(a["box2a"], "250.00");
    assert_eq!(a["box3"], "100.00");
    assert_eq!(a["box4"], "288.00");
    assert_eq!(a["box7"], "0.00");
    assert_eq!(item(&page, &y.a)["tinStatus"], "MISSING");
    assert_eq!(item(&page, &y.a)["due"], true);
    assert_eq!(item(&page, &y.b)["figures"]["box1a"], "9.99");
    assert_eq!(item(&page, &y.b)["due"], false);
    assert_eq!(item(&page, &y.b)["tinMasked"], "*****6789");
    assert_eq!(item(&page, &y.c)["figures"]["box1a"], "10.00");
    assert_eq!(item(&page, &y.c)["due"], true);
    assert_eq!(item(&page, &y.d)["figures"]["box4"], "0.12");
    assert_eq!(item(&page, &y.d)["due"], true);
    // A page of two carries a cursor, and the next page holds the rest.
    let first: Value = app
        .get(
            "operator",
            &format!("/api/funds/{fund}/1099-div/{YEAR}?limit=2"),
        )
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["nextCursor"].as_str().expect("a cursor");
    let rest: Value = app
        .get(
            "operator",
            &format!("/api/funds/{fund}/1099-div/{YEAR}?limit=1000&cursor={cursor}"),
        )
        .await
        .json()
        .await
        .unwrap();
    let seen = first["items"].as_array().unwrap().len() + rest["items"].as_array().unwrap().len();
    assert_eq!(seen, 4);
    // The summary adds every line of 2025 and nothing else.
    let s: Value = app
        .get("operator", &format!("/api/funds/{fund}/tax-summary/{YEAR}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["lines"], 6);
    assert_eq!(s["ordinaryDividends"], "720.49"); // 600.00 + 9.99 + 10.00 + 0.50 + 100.00
    assert_eq!(s["backupWithheld"], "288.12");
    assert_eq!(s["chapter3Withheld"], "15.00");
    assert_eq!(s["divRecipients"], 4);
    assert_eq!(s["divDue"], 3);
    assert_eq!(s["form1042sRecipients"], 1);
    assert_eq!(s["divTotals"]["box1a"], "970.49"); // 950.00 + 9.99 + 10.00 + 0.50
    app.stop().await;
}

#[tokio::test]
async fn runs_issue_once_and_correct_what_changed() {
    let app = spawn_app(6).await;
    let y = construct(&app).await;
    assert_eq!(close(&app, YEAR).await.status(), StatusCode::CREATED);
    let first = run(&app).await;
    assert_eq!(first["status"], "DONE", "{first}");
    assert_eq!(first["total"], 5);
    assert_eq!(first["done"], 5);
    // 1099-DIV for A, C and D (B is under $10 and was never issued), 1042-S for E.
    assert_eq!(first["issued"], 4);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM tax_forms WHERE form = '1099-DIV'")
            .await,
        3
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM tax_forms WHERE form = '1042-S'")
            .await,
        1
    );
    let again = run(&app).await;
    assert_eq!(
        (again["issued"].as_i64(), again["unchanged"].as_i64()),
        (Some(0), Some(4))
    );
    // C's line changes: 10.00 becomes 20.00; the next run corrects C's form only.
    exec(
        &app.db,
        "UPDATE distribution_lines SET ordinary_minor = 2000, total_minor = 2000 WHERE distribution_id = 'tax-d1' AND investor_id = $1",
        vec![y.c.clone().into()],
    )
    .await;
    let third = run(&app).await;
    assert_eq!(
        (third["issued"].as_i64(), third["unchanged"].as_i64()),
        (Some(1), Some(3))
    );
    let fund = &app.seeded.open_fund_id;
    let c: Value = app
        .get(
            "operator",
            &format!("/api/investors/{}/1099-div/{YEAR}/{fund}", y.c),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["figures"]["box1a"], "20.00");
    assert_eq!(c["issued"]["seq"], 2);
    assert_eq!(c["issued"]["corrected"], true);
    // The investor reads their own issued form; another investor's is a 404.
    let own = app
        .get(
            "investor",
            &format!("/api/investors/{}/1099-div/{YEAR}/{fund}", y.a),
        )
        .await;
    assert_eq!(own.status(), StatusCode::OK);
    let own: Value = own.json().await.unwrap();
    assert_eq!(own["figures"]["box4"], "288.00");
    assert_eq!(own["issued"]["corrected"], false);
    for path in [
        format!("/api/investors/{}/1099-div/{YEAR}/{fund}", y.c),
        format!("/api/investors/{}/1042-s/{YEAR}/{fund}", y.e),
        format!("/api/funds/{fund}/1099-div/{YEAR}"),
        format!("/api/funds/{fund}/tax-summary/{YEAR}"),
    ] {
        assert_eq!(
            app.get("investor", &path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Another organization sees none of it.
    let other = app.seed_another_org(2, "Other Org").await;
    for path in [
        format!("/api/investors/{}/1099-div/{YEAR}/{fund}", y.a),
        format!("/api/funds/{fund}/1099-div/{YEAR}"),
    ] {
        let resp = app
            .client
            .get(app.url(&path))
            .bearer_auth(&other.tokens.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_1042_s_lists_the_foreign_recipient_only() {
    let app = spawn_app(6).await;
    let y = construct(&app).await;
    assert_eq!(close(&app, YEAR).await.status(), StatusCode::CREATED);
    let fund = &app.seeded.open_fund_id;
    let page: Value = app
        .get("operator", &format!("/api/funds/{fund}/1042-s/{YEAR}"))
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["investorId"], y.e.as_str());
    assert_eq!(items[0]["country"], "DE");
    let rows = items[0]["rows"].as_array().unwrap();
    let gross: i64 = rows
        .iter()
        .map(|r| crate::helpers::cents(&r["grossIncome"]))
        .sum();
    let tax: i64 = rows
        .iter()
        .map(|r| crate::helpers::cents(&r["withheld"]))
        .sum();
    assert_eq!((gross, tax), (10_000, 1_500));
    assert!(rows.iter().any(|r| r["incomeCode"] == "06"));
    app.stop().await;
}

#[tokio::test]
async fn the_transmitter_is_validated_field_by_field_and_admins_only() {
    let app = spawn_app(2).await;
    let good = json!({
        "tcc": "TC123", "tin": "123456789", "name": "Clearway Fund Services", "address": "1 Main St",
        "city": "Boston", "state": "MA", "zip": "02110", "contactName": "Ann Filer",
        "contactPhone": "6175550100", "contactEmail": "filer@example.com"
    });
    assert_eq!(
        app.get("admin", "/api/tax/transmitter").await.status(),
        StatusCode::NOT_FOUND
    );
    let resp = app.put("operator", "/api/tax/transmitter", &good).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let mut bad = good.clone();
    bad["tcc"] = json!("TC1");
    bad["tin"] = json!("12-3456789");
    let resp = app.put("admin", "/api/tax/transmitter", &bad).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.unwrap();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["tcc", "tin"]);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM tax_transmitters")
            .await,
        0
    );
    let resp = app.put("admin", "/api/tax/transmitter", &good).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let got: Value = app
        .get("admin", "/api/tax/transmitter")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["tcc"], "TC123");
    assert_eq!(
        app.get("investor", "/api/tax/transmitter").await.status(),
        StatusCode::NOT_FOUND
    );
    // FIRE files need a closed year first.
    let resp = app
        .post(
            "admin",
            "/api/tax/fire-files",
            &json!({ "taxYear": YEAR, "kind": "ORIGINAL", "test": false }),
        )
        .await;
    let (status, field) = problem_field(resp).await;
    assert_eq!(
        (status, field.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "taxYear")
    );
    app.stop().await;
}

async fn fund_payer(app: &TestApp) {
    exec(
        &app.db,
        "INSERT INTO fund_tax_settings (fund_id, org_id, capital_gain_exempt, short_term_gain_exempt, interest_related_exempt, interest_is_exempt_interest, section199a_percent, foreign_tax_country, payer_tin, payer_name, payer_address, payer_city, payer_state, payer_zip, payer_phone, updated_at)
         VALUES ($1, $2, 0, 0, 0, 0, '0', NULL, '041234567', 'Demo Income Fund', '1 Main St', 'Boston', 'MA', '02110', '6175550100', '2025-01-01T00:00:00Z')",
        vec![app.seeded.open_fund_id.clone().into(), app.seeded.org_id.clone().into()],
    )
    .await;
}

async fn mailing_address(app: &TestApp, id: &str, investor: &str) {
    let address = json!({ "lines": ["12 Elm St"], "city": "Springfield", "region": "IL", "postalCode": "62701", "country": "US" });
    exec(
        &app.db,
        "INSERT INTO bank_accounts (id, org_id, investor_id, method, status, is_default, holder_name, currency, address, created_at, updated_at)
         VALUES ($1, $2, $3, 'CHECK', 'VERIFIED', 0, 'Holder', 'USD', $4, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
        vec![id.into(), app.seeded.org_id.clone().into(), investor.into(), address.to_string().into()],
    )
    .await;
}

async fn fire_file(app: &TestApp, kind: &str) -> (Value, String) {
    let resp = app
        .post(
            "admin",
            "/api/tax/fire-files",
            &json!({ "taxYear": YEAR, "kind": kind, "test": false }),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    let file: Value = resp.json().await.unwrap();
    let content = app
        .get(
            "admin",
            &format!(
                "/api/tax/fire-files/{}/content",
                file["id"].as_str().unwrap()
            ),
        )
        .await
        .text()
        .await
        .unwrap();
    (file, content)
}

#[tokio::test]
async fn the_fire_file_carries_the_issued_forms_once_and_then_the_corrections() {
    let app = spawn_app(6).await;
    let y = construct(&app).await;
    assert_eq!(close(&app, YEAR).await.status(), StatusCode::CREATED);
    fund_payer(&app).await;
    let t = json!({
        "tcc": "TC123", "tin": "123456789", "name": "Clearway Fund Services", "address": "1 Main St",
        "city": "Boston", "state": "MA", "zip": "02110", "contactName": "Ann Filer",
        "contactPhone": "6175550100", "contactEmail": "filer@example.com"
    });
    assert_eq!(
        app.put("admin", "/api/tax/transmitter", &t).await.status(),
        StatusCode::OK
    );
    assert_eq!(run(&app).await["issued"], 4);
    // Without a mailing address the file is refused, naming the investor; nothing stored.
    let resp = app
        .post(
            "admin",
            "/api/tax/fire-files",
            &json!({ "taxYear": YEAR, "kind": "ORIGINAL", "test": false }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM fire_files").await, 0);
    for (i, investor) in [&y.a, &y.c, &y.d].into_iter().enumerate() {
        mailing_address(&app, &format!("tax-ba-{i}"), investor).await;
    }
    let (file, content) = fire_file(&app, "ORIGINAL").await;
    assert_eq!(
        (file["payers"].as_i64(), file["payees"].as_i64()),
        (Some(1), Some(3))
    );
    let summary =
        clearway_formats::tax::fire_check::check(content.as_bytes()).expect("a clean file");
    // T, A, three B, C, F: 750 bytes each.
    assert_eq!(content.len(), 7 * 750);
    assert_eq!(summary.payees, 3);
    // Box 1a in the B records adds A 950.00 + C 10.00 + D 0.50; box 4 (code A) 288.00 + 0.12.
    assert_eq!(summary.totals.get(&'1').copied(), Some(96_050));
    assert_eq!(summary.totals.get(&'A').copied(), Some(28_812));
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM tax_forms WHERE fire_file_id IS NOT NULL")
            .await,
        3
    );
    // Nothing is left to file as originals.
    let resp = app
        .post(
            "admin",
            "/api/tax/fire-files",
            &json!({ "taxYear": YEAR, "kind": "ORIGINAL", "test": false }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // C is corrected: the corrected file carries C alone, indicator G in position 6.
    exec(
        &app.db,
        "UPDATE distribution_lines SET ordinary_minor = 2000, total_minor = 2000 WHERE distribution_id = 'tax-d1' AND investor_id = $1",
        vec![y.c.clone().into()],
    )
    .await;
    assert_eq!(run(&app).await["issued"], 1);
    let (file, content) = fire_file(&app, "CORRECTED").await;
    assert_eq!(file["payees"], 1);
    let summary =
        clearway_formats::tax::fire_check::check(content.as_bytes()).expect("a clean file");
    assert_eq!(summary.totals.get(&'1').copied(), Some(2_000));
    let b = content
        .as_bytes()
        .chunks(750)
        .find(|r| r[0] == b'B')
        .unwrap();
    assert_eq!(b[5], b'G');
    let list: Value = app
        .get("auditor", "/api/tax/fire-files")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn the_investor_downloads_their_copy_b() {
    let app = spawn_app(6).await;
    let y = construct(&app).await;
    assert_eq!(close(&app, YEAR).await.status(), StatusCode::CREATED);
    assert_eq!(run(&app).await["status"], "DONE");
    let fund = &app.seeded.open_fund_id;
    let resp = app
        .get(
            "investor",
            &format!(
                "/api/investors/{}/1099-div/{YEAR}/{fund}/export?format=pdf",
                y.a
            ),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert!(resp.bytes().await.unwrap().starts_with(b"%PDF"));
    let csv = app
        .get(
            "operator",
            &format!(
                "/api/investors/{}/1099-div/{YEAR}/{fund}/export?format=csv",
                y.a
            ),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.lines().nth(1).unwrap().contains("950.00"), "{csv}");
    let other = app
        .get(
            "investor",
            &format!(
                "/api/investors/{}/1099-div/{YEAR}/{fund}/export?format=pdf",
                y.c
            ),
        )
        .await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

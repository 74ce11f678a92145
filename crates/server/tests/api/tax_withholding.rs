//! Tax profiles, withholding tables and the withholding step of processing (issue 19).
//! Expected amounts are worked out by hand here, never by calling the withholding rules.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::helpers::{cents, spawn_app, TestApp};

async fn put(app: &TestApp, role: &str, path: &str, body: Value) -> (u16, Value) {
    let resp = app.put(role, path, &body).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Approves and processes a distribution created READY (a reversal), waits for COMPLETED.
async fn finish(app: &TestApp, id: &str) {
    for (role, action) in [("approver", "approve"), ("operator", "process")] {
        let resp = app
            .patch(role, &format!("/api/distributions/{id}/{action}"))
            .await;
        assert!(
            resp.status().is_success(),
            "{action}: {}",
            resp.text().await.unwrap()
        );
    }
    app.wait_status(id, "COMPLETED").await;
    app.wait_jobs().await;
}

fn profile_path(investor: &str) -> String {
    format!("/api/investors/{investor}/tax-profile")
}

fn us_certified(tin: &str) -> Value {
    json!({ "tinType": "SSN", "tin": tin, "tinStatus": "CERTIFIED", "residency": "US", "certificate": "W-9" })
}

#[tokio::test]
async fn profiles_are_masked_audited_and_checked_field_by_field() {
    let app = spawn_app(6).await;
    let inv = app.seeded.investor_ids.clone();
    let (s, v) = put(
        &app,
        "operator",
        &profile_path(&inv[0]),
        us_certified("123-45-6789"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["tinMasked"], "•••••6789");
    assert!(!v.to_string().contains("123456789") && !v.to_string().contains("123-45"));
    // The investor reads their own profile; another investor's is 404, as is the list.
    let own: Value = app
        .get("investor", &profile_path(&inv[0]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["tinMasked"], "•••••6789");
    assert_eq!(
        app.get("investor", &profile_path(&inv[1])).await.status(),
        404
    );
    assert_eq!(app.get("investor", "/api/tax/profiles").await.status(), 404);
    // Permission before validation: an investor's invalid PUT is 403, not 422.
    let (s, _) = put(
        &app,
        "investor",
        &profile_path(&inv[0]),
        json!({ "tinStatus": "??" }),
    )
    .await;
    assert_eq!(s, 403);
    // A body without a TIN keeps the stored one.
    let mut keep = us_certified("");
    keep.as_object_mut().unwrap().remove("tin");
    keep["residenceState"] = json!("NY");
    let (s, v) = put(&app, "operator", &profile_path(&inv[0]), keep).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["tinMasked"], "•••••6789");
    assert_eq!(v["residenceState"], "NY");
    assert_eq!(v["version"], 2);
    // "tin": "" removes it, which a certified US person may not do.
    let (s, v) = put(&app, "operator", &profile_path(&inv[0]), us_certified("")).await;
    assert_eq!((s, v["field"].as_str()), (422, Some("tin")), "{v}");
    // Bad input names the field and writes nothing.
    let (s, v) = put(
        &app,
        "operator",
        &profile_path(&inv[1]),
        json!({ "tinStatus": "CERTIFIED", "residency": "FOREIGN", "certificate": "W-8BEN", "treatyClaim": true }),
    )
    .await;
    assert_eq!(s, 422);
    assert!(v.to_string().contains("\"country\""), "{v}");
    let (s, v) = put(
        &app,
        "operator",
        &profile_path(&inv[1]),
        us_certified("12345"),
    )
    .await;
    assert_eq!(s, 422);
    assert!(v.to_string().contains("\"tin\""), "{v}");
    assert_eq!(
        app.get("operator", &profile_path(&inv[1])).await.status(),
        404
    );
    // Unknown investor: 404 before the body is looked at.
    let (s, _) = put(&app, "operator", &profile_path("nobody"), json!({})).await;
    assert_eq!(s, 404);
    // Another organization's investor is 404.
    let other = app.seed_another_org(1, "Other Org").await;
    assert_eq!(
        app.get("operator", &profile_path(&other.investor_ids[0]))
            .await
            .status(),
        404
    );
    // The audit log holds the masked TIN only.
    let clear = app
        .count("SELECT COUNT(*) AS n FROM audit_log WHERE after_json LIKE '%123456789%' OR after_json LIKE '%123-45-6789%' OR before_json LIKE '%123456789%'")
        .await;
    assert_eq!(clear, 0);
    let audited = app
        .count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'tax_profile.put' AND after_json LIKE '%6789%'")
        .await;
    assert_eq!(audited, 2);
    let events = app
        .count("SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'tax_profile.changed'")
        .await;
    assert_eq!(events, 2);
    // The list: a B notice needs attention, the certified profile does not.
    let mut b = us_certified("987-65-4321");
    b["tinStatus"] = json!("B_NOTICE");
    assert_eq!(
        put(&app, "operator", &profile_path(&inv[2]), b).await.0,
        200
    );
    let page: Value = app
        .get("operator", "/api/tax/profiles?needsAttention=true")
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["investorId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![inv[2].as_str()]);
    let page: Value = app
        .get("operator", "/api/tax/profiles?limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["nextCursor"], "1");
    app.stop().await;
}

#[tokio::test]
async fn tables_refuse_bad_rates_by_field() {
    let app = spawn_app(2).await;
    let (s, v) = put(
        &app,
        "operator",
        "/api/tax/treaty-rates",
        json!({ "rates": [
            { "country": "GB", "incomeType": "DIVIDENDS", "rate": "15" },
            { "country": "FR", "incomeType": "DIVIDENDS", "rate": "101" }
        ] }),
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (422, Some("rates[1].rate")),
        "{v}"
    );
    let (s, v) = put(
        &app,
        "operator",
        "/api/tax/state-rates",
        json!({ "rates": [{ "state": "CA", "rate": "-1" }] }),
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (422, Some("rates[0].rate")),
        "{v}"
    );
    let (s, v) = put(
        &app,
        "operator",
        "/api/tax/state-rates",
        json!({ "rates": [{ "state": "CA", "rate": "1.23456" }] }),
    )
    .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (422, Some("rates[0].rate")),
        "{v}"
    );
    // Nothing was written by the refusals.
    let t: Value = app
        .get("operator", "/api/tax/treaty-rates")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["rates"], json!([]));
    // Operators may not switch withholding on; admins may.
    assert_eq!(
        put(
            &app,
            "operator",
            "/api/tax/settings",
            json!({ "withholdingEnabled": true })
        )
        .await
        .0,
        403
    );
    assert_eq!(
        put(
            &app,
            "admin",
            "/api/tax/settings",
            json!({ "withholdingEnabled": true })
        )
        .await
        .0,
        200
    );
    let (s, v) = put(
        &app,
        "operator",
        &format!("/api/funds/{}/tax-settings", app.seeded.open_fund_id),
        json!({ "payerTin": "12-345" }),
    )
    .await;
    assert_eq!((s, v["field"].as_str()), (422, Some("payerTin")), "{v}");
    app.stop().await;
}

/// Every line: ordinary 100.00, qualified 50.00, short-term gain 20.00, long-term gain
/// 30.00, return of capital 40.00, interest 10.01 (total 250.01).
fn line(investor: &str) -> Value {
    json!({ "investorId": investor, "totalAmount": "250.01", "ordinaryDividend": "100.00",
            "qualifiedDividend": "50.00", "shortTermGain": "20.00", "longTermGain": "30.00",
            "returnOfCapital": "40.00", "interest": "10.01" })
}

async fn set_up_tables(app: &TestApp) {
    let inv = &app.seeded.investor_ids;
    assert_eq!(
        put(
            app,
            "admin",
            "/api/tax/settings",
            json!({ "withholdingEnabled": true })
        )
        .await
        .0,
        200
    );
    let (s, v) = put(
        app,
        "operator",
        "/api/tax/treaty-rates",
        json!({ "rates": [
        { "country": "GB", "incomeType": "DIVIDENDS", "rate": "15" },
        { "country": "GB", "incomeType": "INTEREST", "rate": "10" }
    ] }),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = put(
        app,
        "operator",
        "/api/tax/state-rates",
        json!({ "rates": [{ "state": "CA", "rate": "4.25", "payerStateId": "123-4567" }] }),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = put(
        app,
        "operator",
        &format!("/api/funds/{}/tax-settings", app.seeded.open_fund_id),
        json!({ "designations": { "capitalGainExempt": true } }),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let profiles = [
        (0, us_certified("123-45-6789")),
        // inv[1]: no profile at all.
        (
            2,
            json!({ "tinType": "SSN", "tin": "222-33-4444", "tinStatus": "B_NOTICE", "residency": "US", "certificate": "W-9" }),
        ),
        (
            3,
            json!({ "tinStatus": "CERTIFIED", "residency": "FOREIGN", "certificate": "W-8BEN", "country": "GB", "treatyClaim": true, "treatyArticle": "10(2)(b)" }),
        ),
        (
            4,
            json!({ "tinStatus": "CERTIFIED", "residency": "FOREIGN", "certificate": "W-8BEN", "country": "BR" }),
        ),
        (
            5,
            json!({ "tinType": "SSN", "tin": "555-66-7777", "tinStatus": "CERTIFIED", "residency": "US", "certificate": "W-9", "residenceState": "CA" }),
        ),
    ];
    for (i, body) in profiles {
        let (s, v) = put(app, "operator", &profile_path(&inv[i]), body).await;
        assert_eq!(s, 200, "profile {i}: {v}");
    }
}

#[tokio::test]
async fn processing_withholds_per_investor_and_pays_the_rest() {
    let app = spawn_app(6).await;
    set_up_tables(&app).await;
    let inv = app.seeded.investor_ids.clone();
    let d = app
        .create(&json!({
            "fundId": app.seeded.open_fund_id, "declarationDate": "2026-03-02", "recordDate": "2026-03-16",
            "payableDate": "2026-03-31", "currency": "USD", "description": "Q1 2026",
            "lines": inv.iter().map(|i| line(i)).collect::<Vec<_>>()
        }))
        .await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;

    // By hand, in cents (ordinary 10000, qualified 5000, st 2000, lt 3000, roc 4000, int 1001):
    // 0 certified US: nothing.
    // 1 no profile, 2 B notice: 24 % of all but ROC: 2400 + 1200 + 480 + 720 + 240 (240.24) = 5040.
    // 3 GB treaty: dividends 15 % (1500 + 750 + 300), lt exempt, interest 10 % (100.1 → 100) = 2650.
    // 4 BR, no treaty: 30 % (3000 + 1500 + 600), lt exempt, interest 300.3 → 300 = 5400.
    // 5 CA resident: state 4.25 % of 21001 = 892.5425 → 893; no federal.
    let expected: [(i64, i64, &str, bool); 6] = [
        (0, 0, "NONE", false),
        (5040, 0, "BACKUP", true),
        (5040, 0, "BACKUP", true),
        (2650, 0, "CHAPTER3", false),
        (5400, 0, "CHAPTER3", false),
        (0, 893, "NONE", false),
    ];
    let page: Value = app
        .get(
            "operator",
            &format!("/api/distributions/{id}/withholding?limit=1000"),
        )
        .await
        .json()
        .await
        .unwrap();
    let rows: BTreeMap<String, Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["investorId"].as_str().unwrap().to_string(), r.clone()))
        .collect();
    assert_eq!(rows.len(), 6);
    for (i, (fed, state, regime, flagged)) in expected.iter().enumerate() {
        let r = &rows[&inv[i]];
        assert_eq!(r["federalMinor"], *fed, "investor {i}: {r}");
        assert_eq!(r["stateMinor"], *state, "investor {i}: {r}");
        assert_eq!(r["regime"], *regime, "investor {i}: {r}");
        assert_eq!(r["flag"].is_string(), *flagged, "investor {i}: {r}");
    }
    assert_eq!(
        rows[&inv[3]]["federalByComponent"],
        json!([1500, 750, 300, 0, 0, 100])
    );
    assert_eq!(
        rows[&inv[3]]["rates"],
        json!(["15", "15", "15", "0", "0", "10"])
    );
    assert_eq!(rows[&inv[5]]["state"], "CA");

    // The lines carry the withholding; cash is total − withholding.
    let lines = app.all_lines("operator", &id).await;
    for l in &lines {
        let i = inv
            .iter()
            .position(|x| x == l["investorId"].as_str().unwrap())
            .unwrap();
        let withheld = expected[i].0 + expected[i].1;
        assert_eq!(cents(&l["withholding"]), withheld, "line {i}: {l}");
    }
    // Payments pay total − withholding (all investors are CASH).
    let payments: Value = app
        .get(
            "operator",
            &format!("/api/distributions/{id}/payments?limit=1000"),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut paid: BTreeMap<String, i64> = BTreeMap::new();
    for p in payments["items"].as_array().unwrap() {
        if p["currency"] == "USD" {
            *paid
                .entry(p["investorId"].as_str().unwrap().to_string())
                .or_default() += cents(&p["amount"]);
        }
    }
    assert!(!paid.is_empty(), "{payments}");
    for (investor, amount) in &paid {
        let i = inv.iter().position(|x| x == investor).unwrap();
        assert_eq!(
            *amount,
            25001 - expected[i].0 - expected[i].1,
            "payment of investor {i}"
        );
    }

    // Flags: the two backup-withheld lines, one event for the distribution.
    let flags: Value = app
        .get("operator", "/api/tax/withholding/flags")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(flags["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("investor", "/api/tax/withholding/flags")
            .await
            .status(),
        404
    );
    let events = app
        .count("SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'tax.withholding_flagged' AND payload LIKE '%\"flaggedLines\":2%'")
        .await;
    assert_eq!(events, 1);
    // The investor sees their own line's withholding only.
    let own: Value = app
        .get("investor", &format!("/api/distributions/{id}/withholding"))
        .await
        .json()
        .await
        .unwrap();
    let own = own["items"].as_array().unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["investorId"], inv[0].as_str());

    // Liability for March: backup 5040 × 2, chapter 3 2650 + 5400, CA 893.
    let report: Value = app
        .get(
            "operator",
            "/api/tax/withholding-liability?from=2026-01-01&to=2026-03-31&period=month",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        report["lines"],
        json!([
            { "period": "2026-03", "currency": "USD", "liability": "BACKUP", "state": null, "amountMinor": 10080 },
            { "period": "2026-03", "currency": "USD", "liability": "CHAPTER3", "state": null, "amountMinor": 8050 },
            { "period": "2026-03", "currency": "USD", "liability": "STATE", "state": "CA", "amountMinor": 893 }
        ]),
        "{report}"
    );
    let csv = app
        .get("operator", "/api/tax/withholding-liability?from=2026-01-01&to=2026-03-31&period=quarter&format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("2026-Q1,USD,BACKUP,,10080\n"), "{csv}");
    assert!(csv.contains("TOTAL,USD,STATE,CA,893\n"), "{csv}");
    let resp = app
        .get(
            "operator",
            "/api/tax/withholding-liability?from=2026-04-01&to=2026-03-31",
        )
        .await;
    assert_eq!(resp.status(), 422);

    // A reversal of two lines negates their withholding rows.
    let resp = app
        .post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "wrong holders", "investorIds": [inv[1], inv[3]] }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let rev: Value = resp.json().await.unwrap();
    let rev_id = rev["reversal"]["id"].as_str().unwrap().to_string();
    finish(&app, &rev_id).await;
    let page: Value = app
        .get(
            "operator",
            &format!("/api/distributions/{rev_id}/withholding"),
        )
        .await
        .json()
        .await
        .unwrap();
    let fed: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["federalMinor"].as_i64().unwrap())
        .collect();
    let mut fed_sorted = fed.clone();
    fed_sorted.sort();
    assert_eq!(fed_sorted, vec![-5040, -2650]);
    let report: Value = app
        .get(
            "operator",
            "/api/tax/withholding-liability?from=2026-01-01&to=2030-12-31&period=quarter",
        )
        .await
        .json()
        .await
        .unwrap();
    let totals: BTreeMap<String, i64> = report["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["liability"].as_str().unwrap().to_string(),
                t["amountMinor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(totals["BACKUP"], 5040);
    assert_eq!(totals["CHAPTER3"], 5400);
    assert_eq!(totals["STATE"], 893);
    app.stop().await;
}

#[tokio::test]
async fn withholding_off_leaves_entered_amounts_and_partnerships_withhold_nothing() {
    let app = spawn_app(6).await;
    set_up_tables(&app).await;
    let inv = app.seeded.investor_ids.clone();
    let body = |fund: &str| {
        json!({
            "fundId": fund, "declarationDate": "2026-03-02", "recordDate": "2026-03-16",
            "payableDate": "2026-03-31", "currency": "USD", "description": "x",
            "lines": [line(&inv[1])]
        })
    };
    let lp = app.create(&body(&app.seeded.lp_fund_id)).await;
    let lp_id = lp["id"].as_str().unwrap().to_string();
    app.complete(&lp_id).await;
    let page: Value = app
        .get(
            "operator",
            &format!("/api/distributions/{lp_id}/withholding"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"], json!([]));
    assert_eq!(
        put(
            &app,
            "admin",
            "/api/tax/settings",
            json!({ "withholdingEnabled": false })
        )
        .await
        .0,
        200
    );
    let d = app.create(&body(&app.seeded.open_fund_id)).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    let lines = app.all_lines("operator", &id).await;
    assert_eq!(cents(&lines[0]["withholding"]), 0);
    app.stop().await;
}

#[tokio::test]
async fn import_is_all_or_nothing_and_counts() {
    let app = spawn_app(3).await;
    let inv = app.seeded.investor_ids.clone();
    let csv = |rows: &str| {
        format!(
            "investorId,tinType,tin,tinStatus,residency,certificate,country,treatyClaim\n{rows}"
        )
    };
    let bad = csv(&format!(
        "{},SSN,123-45-6789,CERTIFIED,US,W-9,,\n{},,,CERTIFIED,FOREIGN,W-8BEN,,true\n",
        inv[0], inv[1]
    ));
    let resp = app
        .client
        .post(app.url("/api/tax/profiles/import"))
        .bearer_auth(app.token("operator"))
        .header("content-type", "text/csv")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let v: Value = resp.json().await.unwrap();
    assert!(v.to_string().contains("rows[3].country"), "{v}");
    assert_eq!(
        app.get("operator", &profile_path(&inv[0])).await.status(),
        404
    );
    let good = csv(&format!(
        "{},SSN,123-45-6789,CERTIFIED,US,W-9,,\n{},,,CERTIFIED,FOREIGN,W-8BEN,GB,true\n",
        inv[0], inv[1]
    ));
    let post = |body: String| {
        app.client
            .post(app.url("/api/tax/profiles/import"))
            .bearer_auth(app.token("operator"))
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    let resp = post(good.clone()).await.unwrap();
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v, json!({ "created": 2, "updated": 0, "unchanged": 0 }));
    let v: Value = post(good).await.unwrap().json().await.unwrap();
    assert_eq!(v, json!({ "created": 0, "updated": 0, "unchanged": 2 }));
    let p: Value = app
        .get("operator", &profile_path(&inv[0]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["tinMasked"], "•••••6789");
    app.stop().await;
}

#[tokio::test]
async fn rotated_keys_reseal_tins_and_reveal_reads_them() {
    use clearway_app::payments::vault::Vault;
    use sha2::Digest;
    let app = spawn_app(2).await;
    let inv = app.seeded.investor_ids.clone();
    assert_eq!(
        put(
            &app,
            "operator",
            &profile_path(&inv[0]),
            us_certified("123-45-6789")
        )
        .await
        .0,
        200
    );
    let dev: [u8; 32] =
        sha2::Sha256::digest(b"clearway development key; never use in production").into();
    let rotated = Vault::new(vec![("k2".into(), [7u8; 32]), ("dev".into(), dev)]).unwrap();
    let n = clearway_app::tax::profiles::reseal_tins(&app.db, &rotated)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let key = app
        .count("SELECT COUNT(*) AS n FROM tax_profiles WHERE tin_key_id = 'k2'")
        .await;
    assert_eq!(key, 1);
    // The new key alone opens it now.
    let only_new = Vault::new(vec![("k2".into(), [7u8; 32])]).unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let tins = clearway_app::tax::profiles::reveal_tins(
        &mut tx,
        &app.operator(),
        &only_new,
        &[inv[0].clone(), inv[1].clone()],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(tins.len(), 1);
    assert_eq!(tins[&inv[0]], "123456789");
    let audited = app
        .count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'tax_profile.reveal' AND after_json NOT LIKE '%123456789%'")
        .await;
    assert_eq!(audited, 1);
    app.stop().await;
}

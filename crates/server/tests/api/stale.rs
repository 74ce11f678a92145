//! Stale allocations (issue 14 item 7): a distribution allocated from record-date holdings
//! that a back-dated processing (DRIP) or import changed is refused at approve and process,
//! shown stale, listed by the processing, and reallocated to the cent.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::helpers::{cents, spawn_app, TestApp};

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

async fn body(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "unexpected status, body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A pro-rata distribution of DEMO-OPEN, all ordinary dividend.
fn pro_rata(total: &str, record: &str, payable: &str) -> Value {
    json!({
        "fundId": "DEMO-OPEN", "declarationDate": "2026-03-02", "recordDate": record,
        "payableDate": payable, "description": "stale test",
        "allocation": { "method": "pro_rata", "total": total }
    })
}

/// Creates `body` and moves it to `status` (DRAFT, READY or APPROVED); returns its id.
async fn created(app: &TestApp, body: &Value, status: &str) -> String {
    let id = text(&app.create(body).await["id"]).to_string();
    let steps: &[(&str, &str)] = match status {
        "DRAFT" => &[],
        "READY" => &[("operator", "ready")],
        "APPROVED" => &[("operator", "ready"), ("approver", "approve")],
        other => panic!("no status {other}"),
    };
    for (role, action) in steps {
        let resp = app
            .patch(role, &format!("/api/distributions/{id}/{action}"))
            .await;
        body_ok(resp).await;
    }
    id
}

async fn body_ok(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Processes `id` (202) and waits until it is COMPLETED and its jobs have run.
async fn processed(app: &TestApp, id: &str) {
    body(
        app.patch("operator", &format!("/api/distributions/{id}/process"))
            .await,
        202,
    )
    .await;
    app.wait_status(id, "COMPLETED").await;
    app.wait_jobs().await;
}

async fn get(app: &TestApp, id: &str) -> Value {
    body(
        app.get("operator", &format!("/api/distributions/{id}"))
            .await,
        200,
    )
    .await
}

/// The first `n` investors elect full reinvestment (DRIP) on DEMO-OPEN, and DEMO-OPEN has a
/// NAV on 2026-03-31.
async fn drip(app: &TestApp, n: usize) -> Vec<String> {
    let electing: Vec<String> = app.seeded.investor_ids.iter().take(n).cloned().collect();
    for investor in &electing {
        body_ok(
            app.put(
                "operator",
                &format!("/api/investors/{investor}/reinvestment-preferences/DEMO-OPEN"),
                &json!({ "election": "AUTOMATIC", "effectiveDate": "2026-01-01" }),
            )
            .await,
        )
        .await;
    }
    body_ok(
        app.post(
            "operator",
            "/api/funds/DEMO-OPEN/navs",
            &json!({ "navs": [{ "date": "2026-03-31", "nav": "12.3456" }], "replace": true, "source": "test" }),
        )
        .await,
    )
    .await;
    electing
}

/// Investor → units of a distribution's lines.
async fn units(app: &TestApp, id: &str) -> BTreeMap<String, Decimal> {
    app.all_lines("operator", id)
        .await
        .iter()
        .map(|l| {
            (
                text(&l["investorId"]).to_string(),
                text(&l["units"]).parse().unwrap(),
            )
        })
        .collect()
}

/// Independent pro rata of `total` cents over `units`: exact quotas, floors, leftover cents
/// to the largest remainders, ties to the smaller investor id.
fn pro_rata_cents(total: i64, units: &BTreeMap<String, Decimal>) -> BTreeMap<String, i64> {
    let sum: Decimal = units.values().sum();
    let mut quotas: Vec<(&String, i64, Decimal)> = units
        .iter()
        .map(|(id, u)| {
            let quota = Decimal::from(total) * u / sum;
            (
                id,
                i64::try_from(quota.floor()).unwrap(),
                quota - quota.floor(),
            )
        })
        .collect();
    let leftover = total - quotas.iter().map(|q| q.1).sum::<i64>();
    let mut order: Vec<usize> = (0..quotas.len()).collect();
    order.sort_by(|a, b| quotas[*b].2.cmp(&quotas[*a].2).then(a.cmp(b)));
    for i in order.into_iter().take(usize::try_from(leftover).unwrap()) {
        quotas[i].1 += 1;
    }
    quotas
        .into_iter()
        .filter(|q| q.1 > 0)
        .map(|(id, c, _)| (id.clone(), c))
        .collect()
}

#[tokio::test]
async fn a_back_dated_drip_makes_later_distributions_stale_until_reallocated() {
    let app = spawn_app(30).await;
    let electing = drip(&app, 10).await;
    // D_early pays (and reinvests) on 2026-03-31; the late ones were allocated from their
    // record date 2026-04-15, before D_early's shares existed.
    let early = created(
        &app,
        &pro_rata("250000.00", "2026-03-16", "2026-03-31"),
        "APPROVED",
    )
    .await;
    let late_ready = created(
        &app,
        &pro_rata("98765.43", "2026-04-15", "2026-04-30"),
        "READY",
    )
    .await;
    let late = created(
        &app,
        &pro_rata("123456.79", "2026-04-15", "2026-04-30"),
        "APPROVED",
    )
    .await;
    // Record date before the trade date: the DRIP does not touch it.
    let before = created(
        &app,
        &pro_rata("1000.00", "2026-03-20", "2026-04-30"),
        "READY",
    )
    .await;
    let units_then = units(&app, &late).await;
    let fingerprint_then = get(&app, &late).await["holdingsFingerprint"].clone();
    assert_eq!(text(&fingerprint_then).len(), 64);
    assert_eq!(get(&app, &late).await["stale"], false);

    processed(&app, &early).await;

    // Shown stale, with what changed; the unaffected one is not.
    let shown = get(&app, &late).await;
    assert_eq!(shown["stale"], true, "{shown}");
    let reason = text(&shown["staleReason"]);
    assert!(reason.contains(&early), "{reason}");
    assert!(
        reason.contains("10 investors' record-date units differ (10 changed"),
        "{reason}"
    );
    assert_eq!(shown["holdingsFingerprint"], fingerprint_then);
    assert_eq!(get(&app, &before).await["stale"], false);
    // An investor with a line reads that it is stale, not the others' units.
    let mine = body(
        app.get("investor", &format!("/api/distributions/{late}"))
            .await,
        200,
    )
    .await;
    assert_eq!(mine["stale"], true);
    assert_eq!(
        mine["staleReason"],
        "the holdings behind this distribution changed; it is being reviewed"
    );
    assert_eq!(mine["holdingsFingerprint"], Value::Null);
    let listed = body(
        app.get("operator", "/api/distributions?limit=10").await,
        200,
    )
    .await;
    let stale_in_list: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["stale"] == true)
        .map(|d| text(&d["id"]))
        .collect();
    let mut expected = vec![late.as_str(), late_ready.as_str()];
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(stale_in_list, expected);

    // The processing's audit entry and event list what it made stale.
    let audit = body(
        app.get("auditor", "/api/audit?action=distribution.holdings_changed")
            .await,
        200,
    )
    .await;
    let entry = &audit["items"][0];
    assert_eq!(entry["entityId"], early.as_str());
    let mut listed: Vec<&str> = entry["after"]["staleDistributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| text(&d["id"]))
        .collect();
    listed.sort_unstable();
    let mut both = vec![late.as_str(), late_ready.as_str()];
    both.sort_unstable();
    assert_eq!(listed, both);
    let events = body(
        app.get("auditor", "/api/events?type=distribution.holdings_changed")
            .await,
        200,
    )
    .await;
    assert_eq!(
        events["items"][0]["data"]["staleDistributions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Approve and process refuse, naming the change: investor, units then → now.
    let refused = body(
        app.patch("operator", &format!("/api/distributions/{late}/process"))
            .await,
        409,
    )
    .await;
    let detail = text(&refused["detail"]);
    let first = &electing.iter().min().unwrap();
    assert!(
        detail.contains("10 investors' record-date units differ"),
        "{detail}"
    );
    assert!(
        detail.contains(&format!("{first} {} → ", units_then[*first])),
        "{detail}"
    );
    assert!(detail.contains("reallocate"), "{detail}");
    assert_eq!(get(&app, &late).await["status"], "APPROVED");
    let refused = body(
        app.patch(
            "approver",
            &format!("/api/distributions/{late_ready}/approve"),
        )
        .await,
        409,
    )
    .await;
    assert!(
        text(&refused["detail"]).contains("cannot approve"),
        "{refused}"
    );
    assert_eq!(get(&app, &late_ready).await["status"], "READY");

    // Independent new holdings: units then plus the shares D_early bought.
    let mut units_now = units_then.clone();
    let bought = body(
        app.get(
            "operator",
            &format!("/api/distributions/{early}/reinvestments?limit=1000"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(bought["items"].as_array().unwrap().len(), 10);
    for r in bought["items"].as_array().unwrap() {
        let shares: Decimal = text(&r["shares"]).parse().unwrap();
        *units_now.get_mut(text(&r["investorId"])).unwrap() += shares;
    }

    // Reallocate (operator; idempotent): APPROVED goes back to READY with the new lines.
    let path = format!("/api/distributions/{late}/reallocate");
    let done = body(
        app.post_with_key("operator", &path, "realloc-1", &json!({}))
            .await,
        200,
    )
    .await;
    let again = body(
        app.post_with_key("operator", &path, "realloc-1", &json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(done, again);
    let d = &done["distribution"];
    assert_eq!(d["status"], "READY");
    assert_eq!(d["approvedBy"], Value::Null);
    assert_eq!(d["stale"], false);
    assert_eq!(d["totalAmount"], "123456.79");
    assert_eq!(done["previousTotalAmount"], "123456.79");
    assert_eq!(done["changedLines"], 30);
    assert_eq!(
        (done["addedLines"].clone(), done["removedLines"].clone()),
        (json!(0), json!(0))
    );
    assert_ne!(d["holdingsFingerprint"], fingerprint_then);
    let lines = app.all_lines("operator", &late).await;
    let got: BTreeMap<String, i64> = lines
        .iter()
        .map(|l| (text(&l["investorId"]).to_string(), cents(&l["totalAmount"])))
        .collect();
    assert_eq!(got, pro_rata_cents(12_345_679, &units_now));
    assert_eq!(got.values().sum::<i64>(), 12_345_679);
    for l in &lines {
        let investor = text(&l["investorId"]);
        assert_eq!(
            text(&l["units"]).parse::<Decimal>().unwrap(),
            units_now[investor]
        );
    }
    // The new fingerprint is the one a fresh allocation of the same record date gets.
    let fresh = app
        .create(&pro_rata("1.00", "2026-04-15", "2026-04-30"))
        .await;
    assert_eq!(fresh["holdingsFingerprint"], d["holdingsFingerprint"]);
    let audit = body(
        app.get("auditor", "/api/audit?action=distribution.reallocate")
            .await,
        200,
    )
    .await;
    let entry = &audit["items"][0];
    assert_eq!(entry["before"]["status"], "APPROVED");
    assert_eq!(entry["after"]["reallocation"]["changedLines"], 30);
    assert_eq!(
        entry["after"]["reallocation"]["previousTotalAmount"],
        "123456.79"
    );

    // Approved again (by the approver: four eyes still hold), then processed to COMPLETED.
    body(
        app.patch("operator", &format!("/api/distributions/{late}/approve"))
            .await,
        403,
    )
    .await;
    body_ok(
        app.patch("approver", &format!("/api/distributions/{late}/approve"))
            .await,
    )
    .await;
    processed(&app, &late).await;

    // The READY one stays READY once reallocated, and approves.
    let done = body(
        app.post(
            "operator",
            &format!("/api/distributions/{late_ready}/reallocate"),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(done["distribution"]["status"], "READY");
    body_ok(
        app.patch(
            "approver",
            &format!("/api/distributions/{late_ready}/approve"),
        )
        .await,
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn unchanged_holdings_are_not_stale() {
    let app = spawn_app(12).await;
    // Everyone takes cash: processing D_early changes no holdings.
    let early = created(
        &app,
        &pro_rata("5000.00", "2026-03-16", "2026-03-31"),
        "APPROVED",
    )
    .await;
    let late = created(
        &app,
        &pro_rata("777.77", "2026-04-15", "2026-04-30"),
        "APPROVED",
    )
    .await;
    let fingerprint = get(&app, &late).await["holdingsFingerprint"].clone();
    processed(&app, &early).await;
    let shown = get(&app, &late).await;
    assert_eq!(
        (shown["stale"].clone(), shown["staleReason"].clone()),
        (json!(false), Value::Null)
    );
    assert_eq!(shown["holdingsFingerprint"], fingerprint);
    processed(&app, &late).await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'distribution.stale'")
            .await,
        0
    );
    app.stop().await;
}

#[tokio::test]
async fn a_holdings_import_flags_and_hand_set_lines_are_not_reallocated() {
    let app = spawn_app(8).await;
    let d = created(
        &app,
        &pro_rata("1000.00", "2026-04-15", "2026-04-30"),
        "READY",
    )
    .await;
    let investor = app.seeded.investor_ids[3].clone();
    let held = units(&app, &d).await[&investor];
    let mut tx = app.db.begin().await.unwrap();
    clearway_store::funds::record_holdings(
        &mut tx,
        &app.operator(),
        &app.seeded.open_fund_id,
        "2026-04-01".parse().unwrap(),
        &[(investor.clone(), held + Decimal::ONE)],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let shown = get(&app, &d).await;
    assert_eq!(shown["stale"], true);
    let reason = text(&shown["staleReason"]);
    assert!(reason.contains("recorded as of 2026-04-01"), "{reason}");
    assert!(
        reason.contains(&format!("{investor} {held} → {}", held + Decimal::ONE)),
        "{reason}"
    );
    // A line set by hand makes the lines a person's: reallocation refuses, approve still does.
    let line = &app.all_lines("operator", &d).await[0];
    let resp = app
        .put(
            "operator",
            &format!("/api/distributions/{d}/lines/{}", text(&line["investorId"])),
            &json!({ "totalAmount": "1.00", "ordinaryDividend": "1.00" }),
        )
        .await;
    body_ok(resp).await;
    let refused = body(
        app.post(
            "operator",
            &format!("/api/distributions/{d}/reallocate"),
            &json!({}),
        )
        .await,
        409,
    )
    .await;
    assert!(
        text(&refused["detail"]).contains("set by hand"),
        "{refused}"
    );
    body_ok(
        app.patch("operator", &format!("/api/distributions/{d}/ready"))
            .await,
    )
    .await;
    body(
        app.patch("approver", &format!("/api/distributions/{d}/approve"))
            .await,
        409,
    )
    .await;
    // Declaring the allocation again plans every line and clears the flag.
    let again = body_ok(
        app.put(
            "operator",
            &format!("/api/distributions/{d}"),
            &pro_rata("1000.00", "2026-04-15", "2026-04-30"),
        )
        .await,
    )
    .await;
    assert_eq!(again["stale"], false);
    let units_now = units(&app, &d).await;
    assert_eq!(units_now[&investor], held + Decimal::ONE);

    // Roles: readers may not reallocate (before anything else is looked at).
    body(
        app.post(
            "approver",
            &format!("/api/distributions/{d}/reallocate"),
            &json!({}),
        )
        .await,
        403,
    )
    .await;
    body(
        app.post("auditor", "/api/distributions/nope/reallocate", &json!({}))
            .await,
        403,
    )
    .await;
    body(
        app.post("operator", "/api/distributions/nope/reallocate", &json!({}))
            .await,
        404,
    )
    .await;
    // Another organization cannot see it, so cannot reallocate it either.
    let elsewhere = app.seed_another_org(2, "Other Org").await;
    let resp = app
        .client
        .post(app.url(&format!("/api/distributions/{d}/reallocate")))
        .bearer_auth(&elsewhere.tokens.admin)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn a_reversal_taking_shares_back_and_a_processing_still_running_are_caught() {
    let app = spawn_app(10).await;
    let electing = drip(&app, 3).await;
    let early = created(
        &app,
        &pro_rata("5000.00", "2026-03-16", "2026-03-31"),
        "APPROVED",
    )
    .await;
    processed(&app, &early).await;
    let units_before_drip = units(&app, &early).await;
    // Allocated after the DRIP, from a record date after any reversal's payable date (today
    // at the latest).
    let late = created(
        &app,
        &pro_rata("2000.00", "2099-06-15", "2099-06-30"),
        "APPROVED",
    )
    .await;
    let reversal = body(
        app.post(
            "operator",
            &format!("/api/distributions/{early}/reversal"),
            &json!({ "reason": "wrong rate", "investorIds": electing }),
        )
        .await,
        201,
    )
    .await;
    let rid = text(&reversal["reversal"]["id"]).to_string();
    body_ok(
        app.patch("approver", &format!("/api/distributions/{rid}/approve"))
            .await,
    )
    .await;
    processed(&app, &rid).await;

    let shown = get(&app, &late).await;
    assert_eq!(shown["stale"], true, "{shown}");
    let reason = text(&shown["staleReason"]);
    assert!(reason.contains(&rid), "{reason}");
    assert!(
        reason.contains("3 investors' record-date units differ (3 changed"),
        "{reason}"
    );
    let done = body(
        app.post(
            "operator",
            &format!("/api/distributions/{late}/reallocate"),
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(done["distribution"]["status"], "READY");
    // The shares taken back are gone again: the units before the DRIP.
    let now = units(&app, &late).await;
    for investor in &electing {
        assert_eq!(now[investor], units_before_drip[investor]);
    }
    assert_eq!(
        app.all_lines("operator", &late)
            .await
            .iter()
            .map(|l| cents(&l["totalAmount"]))
            .sum::<i64>(),
        200_000
    );
    body_ok(
        app.patch("approver", &format!("/api/distributions/{late}/approve"))
            .await,
    )
    .await;

    // A distribution still processing, payable before this record date, may yet change its
    // holdings: processing waits for it.
    let running = created(
        &app,
        &pro_rata("100.00", "2099-05-01", "2099-05-15"),
        "APPROVED",
    )
    .await;
    let operator = app.operator();
    let mut tx = app.db.begin().await.unwrap();
    let current = clearway_store::distributions::get_tx(&mut tx, &operator, &running)
        .await
        .unwrap();
    clearway_store::distributions::transition(
        &mut tx,
        &operator,
        &current,
        clearway_core::distribution::Action::Process,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let refused = body(
        app.patch("operator", &format!("/api/distributions/{late}/process"))
            .await,
        409,
    )
    .await;
    let detail = text(&refused["detail"]);
    assert!(
        detail.contains(&running) && detail.contains("still processing"),
        "{detail}"
    );
    assert_eq!(get(&app, &late).await["status"], "APPROVED");
    app.stop().await;
}

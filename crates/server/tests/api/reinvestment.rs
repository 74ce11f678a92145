//! Reinvestment (DRIP): mixed elections recomputed independently to the cent and the last
//! share decimal, holdings and lots, NAV refusal, reversals, elections and their
//! authorization, NAV uploads, reports and cost basis.

use std::collections::HashMap;

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};

use crate::helpers::{cents, spawn_app, TestApp};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// splitmix64, for reproducible test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What a test elected for one investor (None: the organization default applies).
#[derive(Debug, Clone)]
struct Elected {
    /// Percentage reinvested.
    pct: Decimal,
    /// Fund bought (None: DEMO-OPEN itself).
    alternative: bool,
}

async fn body(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "unexpected status, body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The operator sets `election` on DEMO-OPEN, effective 2026-01-01, for each investor.
async fn elect<'a>(
    app: &TestApp,
    investors: impl IntoIterator<Item = &'a String>,
    election: Value,
) {
    elect_as(app, "operator", investors, election).await;
}

/// `role` sets `election` on DEMO-OPEN, effective 2026-01-01, for each investor (200 each).
async fn elect_as<'a>(
    app: &TestApp,
    role: &str,
    investors: impl IntoIterator<Item = &'a String>,
    election: Value,
) {
    let mut election = election;
    election["effectiveDate"] = json!("2026-01-01");
    for investor in investors {
        body(
            app.put(
                role,
                &format!("/api/investors/{investor}/reinvestment-preferences/DEMO-OPEN"),
                &election,
            )
            .await,
            200,
        )
        .await;
    }
}

async fn upload_navs(app: &TestApp, fund: &str, navs: Value) -> Value {
    let resp = app
        .post(
            "operator",
            &format!("/api/funds/{fund}/navs"),
            &json!({ "navs": navs, "replace": true, "source": "test" }),
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// Every reinvestment of a distribution, following the cursor.
async fn all_reinvestments(app: &TestApp, role: &str, id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/distributions/{id}/reinvestments?limit=1000&cursor={c}"),
            None => format!("/api/distributions/{id}/reinvestments?limit=1000"),
        };
        let page = body(app.get(role, &path).await, 200).await;
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

fn schedule(record: &str, payable: &str) -> Value {
    json!({ "declarationDate": "2026-03-02", "recordDate": record, "payableDate": payable })
}

fn pro_rata_on(fund: &str, total: &str, record: &str, payable: &str, roc: &str) -> Value {
    let mut b = schedule(record, payable);
    let ordinary = Decimal::ONE - dec(roc);
    b["fundId"] = json!(fund);
    b["description"] = json!("reinvestment test");
    b["allocation"] = json!({ "method": "pro_rata", "total": total,
        "components": { "ordinaryDividend": ordinary.to_string(), "returnOfCapital": roc } });
    b
}

/// Independent computation of one line: the largest share count with shares × NAV ≤ the
/// elected money (found by division, then checked and corrected by exact multiplication),
/// cost rounded up to the cent.
fn expected(
    total: i64,
    withholding: i64,
    pct: Decimal,
    nav: Decimal,
    precision: u32,
) -> (i64, Decimal, i64) {
    let net = total - withholding;
    let reinvestable = (Decimal::from(net) * pct / Decimal::ONE_HUNDRED).floor();
    let money = reinvestable / Decimal::ONE_HUNDRED;
    let step = Decimal::new(1, precision);
    let mut shares = (money / nav).round_dp_with_strategy(precision, RoundingStrategy::ToZero);
    while shares * nav > money {
        shares -= step;
    }
    while (shares + step) * nav <= money {
        shares += step;
    }
    let cost = (shares * nav * Decimal::ONE_HUNDRED).ceil();
    let cost = i64::try_from(cost).unwrap();
    (cost, shares, net - cost)
}

// ---------------------------------------------------------------------------------------
// Scenario builders

/// A pro-rata distribution of DEMO-OPEN for the first quarter (record 2026-03-16, payable and
/// trade date 2026-03-31), `roc` of it return of capital.
fn q1(total: &str, roc: &str) -> Value {
    pro_rata_on("DEMO-OPEN", total, "2026-03-16", "2026-03-31", roc)
}

/// Scenario step: the operator uploads one NAV of `fund` (replacing any of that date).
async fn upload_nav(app: &TestApp, fund: &str, date: &str, nav: &str) -> Value {
    upload_navs(app, fund, json!([{ "date": date, "nav": nav }])).await
}

/// Scenario step: creates the distribution `body` and moves it ready → approve → process →
/// COMPLETED (jobs settled); returns its id.
async fn processed(app: &TestApp, body: &Value) -> String {
    let d = app.create(body).await;
    let id = text(&d["id"]).to_string();
    app.complete(&id).await;
    id
}

/// Scenario: a fresh app of `investors` demo investors where the first `electing` of them
/// have elected `election` on DEMO-OPEN; returns the app and every investor id.
async fn with_elections(
    investors: usize,
    electing: usize,
    election: Value,
) -> (TestApp, Vec<String>) {
    let app = spawn_app(investors).await;
    let ids = app.seeded.investor_ids.clone();
    elect(&app, ids.iter().take(electing), election).await;
    (app, ids)
}

/// Scenario: a fresh app of six investors where the investor user (and `also`, if any) is on
/// AUTOMATIC, DEMO-OPEN has the NAVs `navs`, and a Q1 distribution of 2,345.67 (all ordinary
/// dividend) has been processed; returns the app, the investor user's id and the
/// distribution's id.
async fn investor_user_reinvested(also: Option<usize>, navs: Value) -> (TestApp, String, String) {
    let app = spawn_app(6).await;
    let me = app.seeded.investor_user_investor_id.clone();
    let mut electing = vec![me.clone()];
    electing.extend(also.map(|i| app.seeded.investor_ids[i].clone()));
    elect(&app, &electing, json!({ "election": "AUTOMATIC" })).await;
    upload_navs(&app, "DEMO-OPEN", navs).await;
    let id = processed(&app, &q1("2345.67", "0")).await;
    (app, me, id)
}

/// An investor's lots as `role` sees them (`query`: e.g. `?fundId=DEMO-OPEN`).
async fn lots(app: &TestApp, role: &str, investor: &str, query: &str) -> Vec<Value> {
    let page = body(
        app.get(role, &format!("/api/investors/{investor}/lots{query}"))
            .await,
        200,
    )
    .await;
    page["items"].as_array().unwrap().clone()
}

/// Each investor's units on a distribution's lines (its record date's holdings).
async fn units_by_investor(app: &TestApp, id: &str) -> HashMap<String, Decimal> {
    app.all_lines("operator", id)
        .await
        .iter()
        .map(|l| (text(&l["investorId"]).to_string(), dec(text(&l["units"]))))
        .collect()
}

/// Each holder's units of `fund` on `record`, read from the lines of a new pro-rata
/// distribution of `total` (large enough that every holder gets a line).
async fn units_at_record(
    app: &TestApp,
    fund: &str,
    total: &str,
    record: &str,
    payable: &str,
) -> HashMap<String, Decimal> {
    let d = app
        .create(&pro_rata_on(fund, total, record, payable, "0"))
        .await;
    units_by_investor(app, text(&d["id"])).await
}

/// The shares `investor` bought in a list of reinvestments.
fn shares_bought(reinvestments: &[Value], investor: &str) -> Decimal {
    reinvestments
        .iter()
        .filter(|r| r["investorId"] == investor)
        .map(|r| dec(text(&r["shares"])))
        .sum()
}

/// Scenario step: the operator withholds 24 % (plus a cent) on each of `lines` of the draft
/// distribution `id`, keeping its total and components; returns the cents withheld by investor.
async fn withhold<'a>(
    app: &TestApp,
    id: &str,
    lines: impl Iterator<Item = &'a Value>,
) -> HashMap<String, i64> {
    let mut withheld = HashMap::new();
    for line in lines {
        let investor = text(&line["investorId"]).to_string();
        let total = cents(&line["totalAmount"]);
        let roc = cents(&line["returnOfCapital"]);
        let w = total * 24 / 100 + 1;
        let f = |m: i64| format!("{}.{:02}", m / 100, m % 100);
        let resp = app
            .put("operator", &format!("/api/distributions/{id}/lines/{investor}"), &json!({
                "totalAmount": f(total), "ordinaryDividend": f(total - roc), "returnOfCapital": f(roc), "withholding": f(w)
            }))
            .await;
        body(resp, 200).await;
        withheld.insert(investor, w);
    }
    withheld
}

/// The total basis, in cents, of an investor's DEMO-OPEN lots (as the operator sees them).
async fn open_basis(app: &TestApp, investor: &str) -> i64 {
    lots(app, "operator", investor, "?fundId=DEMO-OPEN")
        .await
        .iter()
        .map(|l| cents(&l["basis"]))
        .sum()
}

/// The entry for fund `code` in a reinvestment-preferences response.
fn fund_in(preferences: &Value, code: &str) -> Value {
    preferences["funds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fundCode"] == code)
        .unwrap()
        .clone()
}

/// Scenario step: the operator processes the approved distribution `id`, expecting `status`.
async fn process(app: &TestApp, id: &str, status: u16) -> Value {
    body(
        app.patch("operator", &format!("/api/distributions/{id}/process"))
            .await,
        status,
    )
    .await
}

/// The elections mix of the big test, imported in one request; returns what each investor
/// has in force on the record date 2026-03-16.
async fn elect_mix(app: &TestApp, rng: &mut Rng) -> HashMap<String, Elected> {
    const ODD: [&str; 7] = [
        "33.3333",
        "0.5",
        "99.99",
        "12.345678",
        "50",
        "66.666667",
        "1",
    ];
    let mut items = Vec::new();
    let mut in_force = HashMap::new();
    for investor in &app.seeded.investor_ids {
        let pick = rng.below(6);
        // An older election that is superseded before the record date.
        if rng.below(4) == 0 {
            items.push(json!({ "investorId": investor, "fundId": "DEMO-OPEN", "election": "AUTOMATIC", "effectiveDate": "2025-06-01" }));
        }
        let (item, elected) = match pick {
            0 => (
                Some(json!({ "election": "CASH" })),
                Some(Elected {
                    pct: Decimal::ZERO,
                    alternative: false,
                }),
            ),
            1 => (
                Some(json!({ "election": "AUTOMATIC" })),
                Some(Elected {
                    pct: Decimal::ONE_HUNDRED,
                    alternative: false,
                }),
            ),
            2 => {
                let p = ODD[rng.below(ODD.len() as u64) as usize];
                (
                    Some(json!({ "election": "PARTIAL", "percentage": p })),
                    Some(Elected {
                        pct: dec(p),
                        alternative: false,
                    }),
                )
            }
            3 => (
                Some(json!({ "election": "ALTERNATIVE", "targetFundId": "DEMO-MMF" })),
                Some(Elected {
                    pct: Decimal::ONE_HUNDRED,
                    alternative: true,
                }),
            ),
            4 => (
                Some(
                    json!({ "election": "ALTERNATIVE", "targetFundId": app.seeded.mmf_fund_id, "percentage": "62.5" }),
                ),
                Some(Elected {
                    pct: dec("62.5"),
                    alternative: true,
                }),
            ),
            // No election of their own (or only a superseded one... then it is in force).
            _ => (None, None),
        };
        match (item, elected) {
            (Some(mut item), Some(elected)) => {
                item["investorId"] = json!(investor);
                item["fundId"] = json!("DEMO-OPEN");
                item["effectiveDate"] = json!("2026-01-01");
                items.push(item);
                in_force.insert(investor.clone(), elected);
            }
            _ => {
                if items
                    .last()
                    .is_some_and(|i| i["investorId"] == investor.as_str())
                {
                    in_force.insert(
                        investor.clone(),
                        Elected {
                            pct: Decimal::ONE_HUNDRED,
                            alternative: false,
                        },
                    );
                }
            }
        }
        // A change dated after the record date must not apply to it.
        if rng.below(5) == 0 {
            items.push(json!({ "investorId": investor, "fundId": "DEMO-OPEN", "election": "CASH", "effectiveDate": "2026-03-17" }));
        }
    }
    let resp = app
        .post(
            "operator",
            "/api/reinvestment-preferences/import",
            &json!({ "elections": items }),
        )
        .await;
    let result = body(resp, 201).await;
    assert_eq!(result["imported"], items.len());
    in_force
}

/// The whole check of the issue: mixed elections, NAVs with 7–8 decimals, awkward amounts
/// and withholding; every line recomputed independently; holdings, lots and the next
/// pro-rata allocation see the new shares.
async fn mixed_elections(investors: usize) {
    let app = spawn_app(investors).await;
    let mut rng = Rng(7);
    let elected = elect_mix(&app, &mut rng).await;
    // Organization default for investors without an election: PARTIAL 25 %.
    let settings = json!({ "defaultElection": "PARTIAL", "defaultPercentage": "25" });
    body(
        app.put("admin", "/api/reinvestment/settings", &settings)
            .await,
        200,
    )
    .await;
    let default = Elected {
        pct: dec("25"),
        alternative: false,
    };
    let open_nav = dec("12.3456789");
    let mmf_nav = dec("1.00012345");
    upload_nav(&app, "DEMO-OPEN", "2026-03-31", &open_nav.to_string()).await;
    upload_nav(&app, "DEMO-MMF", "2026-03-31", &mmf_nav.to_string()).await;

    let d = app.create(&q1("987654.31", "0.2")).await;
    let id = text(&d["id"]).to_string();
    // Withholding on some lines (24 %, awkward), set explicitly.
    let before_lines = app.all_lines("operator", &id).await;
    let withheld = withhold(&app, &id, before_lines.iter().step_by(47)).await;
    assert!(withheld.len() >= 2);
    // Lots and units before, to check what processing adds.
    let sample: Vec<String> = app
        .seeded
        .investor_ids
        .iter()
        .step_by(investors / 25)
        .cloned()
        .collect();
    let mut basis_before = HashMap::new();
    for investor in &sample {
        basis_before.insert(investor.clone(), open_basis(&app, investor).await);
    }
    app.complete(&id).await;

    let lines = app.all_lines("operator", &id).await;
    assert_eq!(lines.len(), before_lines.len());
    let reinvestments: HashMap<String, Value> = all_reinvestments(&app, "operator", &id)
        .await
        .into_iter()
        .map(|r| (text(&r["investorId"]).to_string(), r))
        .collect();
    let (mut automatic, mut partial, mut alternative, mut cash) = (0, 0, 0, 0);
    let mut shares_open: HashMap<String, Decimal> = HashMap::new();
    let mut shares_mmf: HashMap<String, Decimal> = HashMap::new();
    for line in &lines {
        let investor = text(&line["investorId"]).to_string();
        let total = cents(&line["totalAmount"]);
        let w = cents(&line["withholding"]);
        assert_eq!(w, withheld.get(&investor).copied().unwrap_or(0));
        let e = elected.get(&investor).unwrap_or(&default);
        let (nav, precision) = if e.alternative {
            (mmf_nav, 3)
        } else {
            (open_nav, 4)
        };
        let (cost, shares, cash_part) = expected(total, w, e.pct, nav, precision);
        let reinvested = cents(&line["reinvestedAmount"]);
        let line_cash = cents(&line["cashAmount"]);
        assert_eq!(
            reinvested + line_cash + w,
            total,
            "line of {investor} ties out"
        );
        assert_eq!(
            (reinvested, line_cash),
            (cost, cash_part),
            "line of {investor}, election {e:?}"
        );
        if shares.is_zero() {
            assert!(
                !reinvestments.contains_key(&investor),
                "{investor} bought nothing"
            );
            cash += 1;
            continue;
        }
        let r = &reinvestments[&investor];
        assert_eq!(dec(text(&r["shares"])), shares, "shares of {investor}");
        assert_eq!(
            text(&r["shares"]).split('.').nth(1).map(str::len),
            Some(precision as usize)
        );
        assert_eq!(cents(&r["reinvestedAmount"]), cost);
        assert_eq!(cents(&r["cashAmount"]), cash_part);
        assert_eq!(dec(text(&r["nav"])), nav);
        assert_eq!(r["navRule"], "EXACT");
        assert_eq!(r["navDate"], "2026-03-31");
        assert_eq!(r["tradeDate"], "2026-03-31");
        // A cash part goes to the payments step: instructed, or failed into review when the
        // investor has no usable payee.
        if cash_part == 0 {
            assert_eq!(line["status"], "REINVESTED", "{investor}");
        } else {
            let status = line["status"].as_str().unwrap();
            assert!(
                ["PAYMENT_INITIATED", "PAID", "FAILED"].contains(&status),
                "{investor}: {status}"
            );
        }
        if e.alternative {
            assert_eq!(r["fundId"], app.seeded.mmf_fund_id.as_str());
            assert_eq!(r["election"], "ALTERNATIVE");
            shares_mmf.insert(investor.clone(), shares);
            alternative += 1;
        } else {
            assert_eq!(r["fundId"], app.seeded.open_fund_id.as_str());
            shares_open.insert(investor.clone(), shares);
            if e.pct == Decimal::ONE_HUNDRED {
                automatic += 1
            } else {
                partial += 1
            }
        }
    }
    assert_eq!(reinvestments.len(), automatic + partial + alternative);
    // The payments step pays exactly the cash parts, one payment per line with cash.
    let cash_total: i64 = lines.iter().map(|l| cents(&l["cashAmount"])).sum();
    let cash_lines = lines.iter().filter(|l| cents(&l["cashAmount"]) > 0).count() as i64;
    let paid = app
        .db
        .fetch_optional(
            clearway_store::q("SELECT COUNT(*) AS n, CAST(COALESCE(SUM(fund_amount_minor), 0) AS BIGINT) AS total FROM payments WHERE distribution_id = $1")
                .bind(&id),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(paid.i64("n").unwrap(), cash_lines);
    assert_eq!(paid.i64("total").unwrap(), cash_total);
    assert!(
        automatic > 0 && partial > 0 && alternative > 0 && cash > 0,
        "{automatic} {partial} {alternative} {cash}"
    );

    // Return of capital came off the opening lots (they have basis to spare), and each
    // reinvestment made a lot at its cost.
    for investor in &sample {
        let items = lots(&app, "operator", investor, "?fundId=DEMO-OPEN").await;
        let opening: i64 = items
            .iter()
            .filter(|l| l["source"] == "OPENING")
            .map(|l| cents(&l["basis"]))
            .sum();
        let adjustments: i64 = items.iter().map(|l| cents(&l["basisAdjustments"])).sum();
        let roc = lines
            .iter()
            .find(|l| l["investorId"] == investor.as_str())
            .map(|l| cents(&l["returnOfCapital"]))
            .unwrap_or(0);
        assert_eq!(adjustments, -roc, "{investor}");
        assert_eq!(opening, basis_before[investor] - roc, "{investor}");
        let bought: Vec<&Value> = items
            .iter()
            .filter(|l| l["source"] == "REINVESTMENT")
            .collect();
        match shares_open.get(investor) {
            Some(s) => {
                assert_eq!(bought.len(), 1);
                assert_eq!(dec(text(&bought[0]["shares"])), *s);
                assert_eq!(bought[0]["acquiredOn"], "2026-03-31");
                assert_eq!(
                    cents(&bought[0]["basis"]),
                    cents(&reinvestments[investor]["reinvestedAmount"])
                );
            }
            None => assert!(bought.is_empty()),
        }
    }

    // The next record date sees the new shares: units after = units before + shares bought
    // (a total large enough that every holder gets a line).
    let after = units_at_record(
        &app,
        "DEMO-OPEN",
        "100000000.00",
        "2026-04-15",
        "2026-04-30",
    )
    .await;
    for line in &before_lines {
        let investor = text(&line["investorId"]);
        let before = dec(text(&line["units"]));
        let bought = shares_open.get(investor).copied().unwrap_or_default();
        assert_eq!(after[investor], before + bought, "units of {investor}");
    }
    let mmf_units =
        units_at_record(&app, "DEMO-MMF", "100000000.00", "2026-04-15", "2026-04-30").await;
    assert_eq!(mmf_units.len(), shares_mmf.len());
    for (investor, shares) in &shares_mmf {
        assert_eq!(mmf_units[investor], *shares);
    }
    // One audit entry and one event for the step, with the NAVs it used.
    let audit = body(
        app.get(
            "auditor",
            &format!("/api/audit?entityId={id}&action=distribution.reinvest"),
        )
        .await,
        200,
    )
    .await;
    let entry = &audit["items"][0]["after"];
    assert_eq!(entry["reinvestedLines"], reinvestments.len());
    assert_eq!(entry["navs"].as_array().unwrap().len(), 2);
    app.stop().await;
}

/// The check, at its size: 10,000 investors (about 10 s on either database here).
#[tokio::test]
async fn mixed_elections_over_ten_thousand_investors_reinvest_to_the_cent_and_the_next_pro_rata_sees_the_shares(
) {
    mixed_elections(10_000).await;
}

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = app.snapshot().await;
    for sql in [
        "SELECT COUNT(*) AS n FROM reinvestments",
        "SELECT COUNT(*) AS n FROM position_lots",
        "SELECT COUNT(*) AS n FROM holdings",
        "SELECT COUNT(*) AS n FROM lot_adjustments",
        "SELECT COUNT(*) AS n FROM roc_gains",
        "SELECT COUNT(*) AS n FROM distribution_lines WHERE cash_minor IS NOT NULL",
    ] {
        out.push(app.count(sql).await);
    }
    out
}

#[tokio::test]
async fn a_missing_or_stale_nav_refuses_the_whole_distribution() {
    let (app, _) = with_elections(30, 10, json!({ "election": "AUTOMATIC" })).await;
    // Payable long after the last demo NAV (today): no NAV within 5 business days before it.
    let d = app
        .create(&pro_rata_on(
            "DEMO-OPEN",
            "1000.00",
            "2030-12-16",
            "2030-12-31",
            "0.1",
        ))
        .await;
    let id = text(&d["id"]).to_string();
    for (role, action) in [("operator", "ready"), ("approver", "approve")] {
        body(
            app.patch(role, &format!("/api/distributions/{id}/{action}"))
                .await,
            200,
        )
        .await;
    }
    let before = counts(&app).await;
    let problem = process(&app, &id, 409).await;
    let detail = text(&problem["detail"]);
    assert!(
        detail.contains("DEMO-OPEN") && detail.contains("2030-12-31"),
        "{detail}"
    );
    assert!(
        detail.contains("business days old, more than the 5 allowed"),
        "{detail}"
    );
    assert_eq!(counts(&app).await, before, "nothing written");
    assert_eq!(app.wait_status(&id, "APPROVED").await["status"], "APPROVED");

    // A NAV 6 NYSE business days old (Christmas 2030 is a Wednesday, not counted) is still
    // stale; one 3 days old is used (rule PRIOR).
    upload_nav(&app, "DEMO-OPEN", "2030-12-20", "11.11").await;
    let problem = process(&app, &id, 409).await;
    assert!(
        text(&problem["detail"]).contains("(2030-12-20) is 6 business days old"),
        "{}",
        problem["detail"]
    );
    upload_nav(&app, "DEMO-OPEN", "2030-12-26", "11.2345").await;
    process(&app, &id, 202).await;
    app.wait_status(&id, "COMPLETED").await;
    let r = all_reinvestments(&app, "operator", &id).await;
    assert_eq!(r.len(), 10);
    assert!(r
        .iter()
        .all(|x| x["navRule"] == "PRIOR" && x["navDate"] == "2030-12-26" && x["nav"] == "11.2345"));
    let at = body(
        app.get("operator", "/api/funds/DEMO-OPEN/navs/at?date=2030-12-31")
            .await,
        200,
    )
    .await;
    assert_eq!(
        (at["rule"].as_str(), at["navDate"].as_str()),
        (Some("PRIOR"), Some("2030-12-26"))
    );

    // An all-cash distribution needs no NAV at all.
    let mut lp = pro_rata_on("DEMO-LP", "500.00", "2030-12-16", "2030-12-31", "0.5");
    lp["description"] = json!("partnership: always cash");
    let lp = processed(&app, &lp).await;
    let lines = app.all_lines("operator", &lp).await;
    assert!(lines
        .iter()
        .all(|l| l["reinvestedAmount"] == "0.00" && l["cashAmount"] == l["totalAmount"]));
    app.stop().await;
}

#[tokio::test]
async fn a_reversal_takes_the_reinvested_shares_back_and_restores_basis() {
    let app = spawn_app(12).await;
    let ids = app.seeded.investor_ids.clone();
    elect_as(&app, "admin", [&ids[0]], json!({ "election": "AUTOMATIC" })).await;
    let partial = json!({ "election": "PARTIAL", "percentage": "40" });
    elect_as(&app, "admin", [&ids[1]], partial).await;
    let alternative = json!({ "election": "ALTERNATIVE", "targetFundId": "DEMO-MMF" });
    elect_as(&app, "admin", [&ids[2]], alternative).await;
    let id = processed(&app, &q1("7777.77", "0.3")).await;
    let original: HashMap<String, Value> = app
        .all_lines("operator", &id)
        .await
        .into_iter()
        .map(|l| (text(&l["investorId"]).to_string(), l))
        .collect();
    let bought = all_reinvestments(&app, "operator", &id).await;
    assert_eq!(bought.len(), 3);
    let basis = |lots: &[Value]| -> i64 {
        lots.iter()
            .filter(|l| l["source"] == "OPENING")
            .map(|l| cents(&l["basis"]))
            .sum()
    };
    let before_basis = basis(&lots(&app, "operator", &ids[0], "?includeClosed=true").await);

    let reversal = body(
        app.post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "wrong rate", "investorIds": [ids[0], ids[2], ids[3]] }),
        )
        .await,
        201,
    )
    .await;
    let rid = text(&reversal["reversal"]["id"]).to_string();
    for (role, action) in [("approver", "approve"), ("operator", "process")] {
        assert!(app
            .patch(role, &format!("/api/distributions/{rid}/{action}"))
            .await
            .status()
            .is_success());
    }
    let done = app.wait_status(&rid, "COMPLETED").await;
    let back = all_reinvestments(&app, "operator", &rid).await;
    assert_eq!(back.len(), 2, "investors 0 and 2 had reinvested; 3 had not");
    for r in &back {
        let investor = text(&r["investorId"]);
        let o = bought.iter().find(|b| b["investorId"] == investor).unwrap();
        assert_eq!(r["kind"], "REVERSAL");
        assert_eq!(dec(text(&r["shares"])), -dec(text(&o["shares"])));
        assert_eq!(
            cents(&r["reinvestedAmount"]),
            -cents(&o["reinvestedAmount"])
        );
        assert_eq!(r["lotId"], o["lotId"]);
        assert_eq!(r["reversesDistributionId"], id.as_str());
    }
    for line in app.all_lines("operator", &rid).await {
        let o = &original[text(&line["investorId"])];
        assert_eq!(
            cents(&line["reinvestedAmount"]),
            -cents(&o["reinvestedAmount"])
        );
        assert_eq!(cents(&line["cashAmount"]), -cents(&o["cashAmount"]));
    }
    // The lot is closed, the return of capital is back in the basis, the units are gone.
    let closed = lots(&app, "operator", &ids[0], "?includeClosed=true").await;
    let reinvested: Vec<&Value> = closed
        .iter()
        .filter(|l| l["source"] == "REINVESTMENT")
        .collect();
    assert_eq!(
        (reinvested.len(), reinvested[0]["status"].as_str()),
        (1, Some("CLOSED"))
    );
    let roc = cents(&original[&ids[0]]["returnOfCapital"]);
    assert!(roc > 0);
    assert_eq!(basis(&closed), before_basis + roc);
    let payable = text(&done["payableDate"]).to_string();
    let later = app
        .create(&pro_rata_on(
            "DEMO-OPEN",
            "10.00",
            &payable,
            "2027-01-29",
            "0",
        ))
        .await;
    let units: HashMap<String, String> = app
        .all_lines("operator", text(&later["id"]))
        .await
        .iter()
        .map(|l| {
            (
                text(&l["investorId"]).to_string(),
                text(&l["units"]).to_string(),
            )
        })
        .collect();
    assert_eq!(
        units[&ids[0]],
        text(&original[&ids[0]]["units"]),
        "units back to before"
    );
    let kept = bought
        .iter()
        .find(|b| b["investorId"] == ids[1].as_str())
        .unwrap();
    assert_eq!(
        dec(&units[&ids[1]]),
        dec(text(&original[&ids[1]]["units"])) + dec(text(&kept["shares"]))
    );
    app.stop().await;
}

#[tokio::test]
async fn elections_are_effective_dated_audited_and_authorized() {
    let app = spawn_app(8).await;
    let me = app.seeded.investor_user_investor_id.clone();
    let other = app.seeded.investor_ids[3].clone();
    let today = chrono::Utc::now().date_naive().to_string();
    let own = format!("/api/investors/{me}/reinvestment-preferences/DEMO-OPEN");

    // Investors change their own (not backdated); the same change again is a no-op.
    let first = body(
        app.put(
            "investor",
            &own,
            &json!({ "election": "PARTIAL", "percentage": "37.5" }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            first["changed"].as_bool(),
            first["election"]["effectiveDate"].as_str()
        ),
        (Some(true), Some(today.as_str()))
    );
    let again = body(
        app.put(
            "investor",
            &own,
            &json!({ "election": "PARTIAL", "percentage": "37.5" }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(again["changed"], false);
    let backdated = body(
        app.put(
            "investor",
            &own,
            &json!({ "election": "CASH", "effectiveDate": "2026-01-01" }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(backdated["field"], "effectiveDate");
    // Not anyone else's, nor can they see them.
    let theirs = format!("/api/investors/{other}/reinvestment-preferences");
    assert_eq!(
        app.put(
            "investor",
            &format!("{theirs}/DEMO-OPEN"),
            &json!({ "election": "CASH" })
        )
        .await
        .status(),
        404
    );
    assert_eq!(app.get("investor", &theirs).await.status(), 404);
    assert_eq!(
        app.get("investor", &format!("{theirs}/history"))
            .await
            .status(),
        404
    );
    // Read-only roles may not change elections.
    for role in ["auditor", "approver"] {
        assert_eq!(
            app.put(role, &own, &json!({ "election": "CASH" }))
                .await
                .status(),
            403,
            "{role}"
        );
    }
    assert_eq!(app.get("auditor", &theirs).await.status(), 200);
    // Operators change anyone's, backdated too; history keeps every change.
    body(
        app.put(
            "operator",
            &format!("{theirs}/DEMO-OPEN"),
            &json!({ "election": "AUTOMATIC", "effectiveDate": "2025-01-01" }),
        )
        .await,
        200,
    )
    .await;
    body(app.put("operator", &format!("{theirs}/{}", app.seeded.open_fund_id), &json!({ "election": "ALTERNATIVE", "targetFundId": "DEMO-MMF", "percentage": "62.5", "effectiveDate": "2026-02-01" })).await, 200).await;
    let at = |date: &str| format!("{theirs}?asOf={date}");
    let jan = body(app.get("operator", &at("2026-01-15")).await, 200).await;
    let open = fund_in(&jan, "DEMO-OPEN");
    assert_eq!(
        (open["election"].as_str(), open["source"].as_str()),
        (Some("AUTOMATIC"), Some("INVESTOR"))
    );
    let mmf = fund_in(&jan, "DEMO-MMF");
    assert_eq!(
        (mmf["election"].as_str(), mmf["source"].as_str()),
        (Some("CASH"), Some("ORGANIZATION_DEFAULT"))
    );
    assert!(
        jan["funds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["fundCode"] != "DEMO-LP"),
        "partnerships are never reinvested"
    );
    let mar = body(app.get("operator", &at("2026-03-01")).await, 200).await;
    let open = fund_in(&mar, "DEMO-OPEN");
    assert_eq!(
        (
            open["election"].as_str(),
            open["percentage"].as_str(),
            open["targetFundId"].as_str()
        ),
        (
            Some("ALTERNATIVE"),
            Some("62.5"),
            Some(app.seeded.mmf_fund_id.as_str())
        )
    );
    let history = body(
        app.get("operator", &format!("{theirs}/history?limit=1"))
            .await,
        200,
    )
    .await;
    assert_eq!(history["items"][0]["election"], "ALTERNATIVE");
    let page2 = body(
        app.get(
            "operator",
            &format!(
                "{theirs}/history?limit=1&cursor={}",
                text(&history["nextCursor"])
            ),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(page2["items"][0]["election"], "AUTOMATIC");
    // Every change is audited with before and after, and published.
    let audit = body(
        app.get(
            "auditor",
            &format!("/api/audit?entityId={other}&action=reinvestment.election.change"),
        )
        .await,
        200,
    )
    .await;
    let entries = audit["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["before"]["election"], "AUTOMATIC");
    assert_eq!(entries[1]["after"]["election"], "ALTERNATIVE");
    let events = body(
        app.get(
            "auditor",
            "/api/events?type=reinvestment.election_changed&limit=100",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(events["items"].as_array().unwrap().len(), 3);

    // Invalid elections name the field.
    for (body_json, field, status) in [
        (json!({ "election": "PARTIAL" }), "percentage", 422),
        (
            json!({ "election": "PARTIAL", "percentage": "100" }),
            "percentage",
            422,
        ),
        (json!({ "election": "SOMETIMES" }), "election", 422),
        (
            json!({ "election": "ALTERNATIVE", "targetFundId": "DEMO-LP" }),
            "targetFundId",
            422,
        ),
        (
            json!({ "election": "ALTERNATIVE", "targetFundId": "DEMO-OPEN" }),
            "targetFundId",
            422,
        ),
        (json!({ "election": "CASH", "extra": 1 }), "extra", 422),
    ] {
        let p = body(
            app.put("operator", &format!("{theirs}/DEMO-OPEN"), &body_json)
                .await,
            status,
        )
        .await;
        assert_eq!(p["field"], field, "{body_json}");
    }
    let p = body(
        app.put(
            "operator",
            &format!("{theirs}/DEMO-LP"),
            &json!({ "election": "AUTOMATIC" }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "fundId");
    assert_eq!(
        app.put(
            "operator",
            &format!("{theirs}/NOPE"),
            &json!({ "election": "CASH" })
        )
        .await
        .status(),
        404
    );

    // Organization default: admins only.
    assert_eq!(
        app.put(
            "operator",
            "/api/reinvestment/settings",
            &json!({ "defaultElection": "AUTOMATIC" })
        )
        .await
        .status(),
        403
    );
    let p = body(
        app.put(
            "admin",
            "/api/reinvestment/settings",
            &json!({ "defaultElection": "ALTERNATIVE" }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "defaultElection");
    let s = body(app.put("admin", "/api/reinvestment/settings", &json!({ "defaultElection": "PARTIAL", "defaultPercentage": "25", "navStalenessBusinessDays": 3 })).await, 200).await;
    assert_eq!(
        (
            s["defaultPercentage"].as_str(),
            s["navStalenessBusinessDays"].as_i64()
        ),
        (Some("25"), Some(3))
    );
    let now = body(
        app.get(
            "investor",
            &format!("/api/investors/{me}/reinvestment-preferences"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(now["organizationDefault"]["election"], "PARTIAL");
    let mmf = fund_in(&now, "DEMO-MMF");
    assert_eq!(
        (mmf["election"].as_str(), mmf["percentage"].as_str()),
        (Some("PARTIAL"), Some("25"))
    );

    // Bulk import: staff only, all or nothing, errors name the row.
    let import = json!({ "elections": [{ "investorId": other, "fundId": "DEMO-OPEN", "election": "CASH", "effectiveDate": "2026-05-01" }] });
    assert_eq!(
        app.post("investor", "/api/reinvestment-preferences/import", &import)
            .await
            .status(),
        403
    );
    let bad = json!({ "elections": [
        { "investorId": other, "fundId": "DEMO-OPEN", "election": "CASH", "effectiveDate": "2026-05-01" },
        { "investorId": "nobody", "fundId": "DEMO-OPEN", "election": "CASH", "effectiveDate": "2026-05-01" }] });
    let before = app
        .count("SELECT COUNT(*) AS n FROM reinvestment_elections")
        .await;
    let p = body(
        app.post("operator", "/api/reinvestment-preferences/import", &bad)
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "elections[1].investorId");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM reinvestment_elections")
            .await,
        before
    );

    // Another organization sees none of it.
    let stranger = app.seed_another_org(2, "Elsewhere").await;
    for (method, path) in [
        ("GET", theirs.clone()),
        ("PUT", format!("{theirs}/DEMO-OPEN")),
        ("GET", format!("/api/investors/{other}/lots")),
        (
            "GET",
            format!("/api/investors/{other}/reinvestments/summary"),
        ),
    ] {
        let req = if method == "GET" {
            app.client.get(app.url(&path))
        } else {
            app.client
                .put(app.url(&path))
                .json(&json!({ "election": "CASH" }))
        };
        let resp = req
            .bearer_auth(&stranger.tokens.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{method} {path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn navs_upload_as_csv_or_json_all_or_nothing() {
    let app = spawn_app(3).await;
    let url = app.url(&format!("/api/funds/{}/navs", app.seeded.mmf_fund_id));
    let csv = |token: &str, text: &str, query: &str| {
        app.client
            .post(format!("{url}{query}"))
            .bearer_auth(token.to_string())
            .header(CONTENT_TYPE, "text/csv")
            .body(text.to_string())
            .send()
    };
    let navs = || app.count("SELECT COUNT(*) AS n FROM nav_snapshots");
    let start = navs().await;
    let good = "date,nav,shareClass\n2027-01-04,1.00000001,\n2027-01-05,1.0001,I\n";
    let r = body(csv(app.token("operator"), good, "").await.unwrap(), 201).await;
    assert_eq!(r["inserted"], 2);
    let r = body(csv(app.token("operator"), good, "").await.unwrap(), 200).await;
    assert_eq!(r["unchanged"], 2);
    let changed = "date,nav\n2027-01-04,1.5\n";
    let p = body(csv(app.token("operator"), changed, "").await.unwrap(), 409).await;
    assert!(text(&p["detail"]).contains("2027-01-04"), "{}", p["detail"]);
    let r = body(
        csv(app.token("operator"), changed, "?replace=true&source=fix")
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(r["replaced"], 1);
    assert_eq!(navs().await, start + 2);
    // A bad row anywhere: nothing is written and the error names line and field.
    let bad = "date,nav\n2027-01-06,1.01\n2027-01-07,1,02\n";
    let p = body(csv(app.token("operator"), bad, "").await.unwrap(), 422).await;
    assert_eq!(p["field"], "row");
    assert!(text(&p["detail"]).contains("line 3"), "{}", p["detail"]);
    let bad = "date,nav\n2027-01-06,1.01\n2027-01-07,abc\n";
    let p = body(csv(app.token("operator"), bad, "").await.unwrap(), 422).await;
    assert_eq!(
        (p["field"].as_str(), p["detail"].as_str()),
        (
            Some("nav"),
            Some("nav: line 3: 'abc' is not a decimal number")
        )
    );
    assert_eq!(navs().await, start + 2);
    // JSON uploads name the JSON path.
    let p = body(
        app.post(
            "operator",
            "/api/funds/DEMO-MMF/navs",
            &json!({ "navs": [
        { "date": "2027-01-06", "nav": "1" }, { "date": "2027-01-07", "nav": "0" }] }),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "navs[1].nav");
    assert_eq!(navs().await, start + 2);
    // Roles and tenancy.
    assert_eq!(
        csv(app.token("investor"), good, "").await.unwrap().status(),
        403
    );
    assert_eq!(
        csv(app.token("auditor"), good, "").await.unwrap().status(),
        403
    );
    // Listing, newest first, paginated; lookups by rule.
    let page = body(
        app.get("auditor", "/api/funds/DEMO-MMF/navs?limit=2").await,
        200,
    )
    .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(
        (
            items[0]["date"].as_str(),
            items[0]["shareClass"].as_str(),
            items[0]["nav"].as_str()
        ),
        (Some("2027-01-05"), Some("I"), Some("1.0001"))
    );
    assert_eq!(
        (
            items[1]["date"].as_str(),
            items[1]["nav"].as_str(),
            items[1]["source"].as_str()
        ),
        (Some("2027-01-04"), Some("1.5"), Some("fix"))
    );
    let next = body(
        app.get(
            "auditor",
            &format!(
                "/api/funds/DEMO-MMF/navs?limit=2&cursor={}",
                text(&page["nextCursor"])
            ),
        )
        .await,
        200,
    )
    .await;
    assert!(next["items"][0]["date"].as_str().unwrap() < "2027-01-04");
    let exact = body(
        app.get("investor", "/api/funds/DEMO-MMF/navs/at?date=2027-01-04")
            .await,
        200,
    )
    .await;
    assert_eq!(
        (exact["rule"].as_str(), exact["nav"].as_str()),
        (Some("EXACT"), Some("1.5"))
    );
    let class = body(
        app.get(
            "investor",
            "/api/funds/DEMO-MMF/navs/at?date=2027-01-08&shareClass=I",
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (class["rule"].as_str(), class["navDate"].as_str()),
        (Some("PRIOR"), Some("2027-01-05"))
    );
    let stale = body(
        app.get("investor", "/api/funds/DEMO-MMF/navs/at?date=2027-02-01")
            .await,
        404,
    )
    .await;
    assert!(text(&stale["detail"]).contains("business days old"));
    let stranger = app.seed_another_org(1, "Elsewhere").await;
    let resp = app
        .client
        .get(app.url(&format!("/api/funds/{}/navs", app.seeded.mmf_fund_id)))
        .bearer_auth(&stranger.tokens.operator)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = csv(&stranger.tokens.operator, good, "").await.unwrap();
    assert_eq!(resp.status(), 404, "our fund is not theirs");
    app.stop().await;
}

#[tokio::test]
async fn reports_exports_lots_and_cost_basis() {
    let navs = json!([{ "date": "2026-03-31", "nav": "10.12345678" }, { "date": "2026-11-02", "nav": "11.5" }]);
    let (app, me, id) = investor_user_reinvested(Some(1), navs).await;
    let other = app.seeded.investor_ids[1].clone();

    // Investors see only their own reinvestment.
    let all = all_reinvestments(&app, "auditor", &id).await;
    assert_eq!(all.len(), 2);
    let mine = all_reinvestments(&app, "investor", &id).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["investorId"], me.as_str());
    // CSV and XLSX exports.
    let resp = app
        .get(
            "operator",
            &format!("/api/distributions/{id}/reinvestments/export?format=csv"),
        )
        .await;
    assert_eq!(resp.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        resp.headers()[CONTENT_DISPOSITION],
        format!("attachment; filename=\"reinvestments-{id}.csv\"").as_str()
    );
    let csv_text = resp.text().await.unwrap();
    let rows: Vec<&str> = csv_text.lines().collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[0].starts_with("distributionId,investorId,kind,fundId,election,percentage"));
    assert!(rows
        .iter()
        .skip(1)
        .any(|r| r.contains(&format!(",{},", text(&all[0]["shares"])))));
    let resp = app
        .get(
            "investor",
            &format!("/api/distributions/{id}/reinvestments/export?format=xlsx"),
        )
        .await;
    assert_eq!(
        resp.headers()[CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(resp.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .ends_with(".xlsx\""));
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    assert_eq!(
        body(
            app.get(
                "operator",
                &format!("/api/distributions/{id}/reinvestments/export?format=pdf")
            )
            .await,
            422
        )
        .await["field"],
        "format"
    );

    // Summary: reinvested, shares, value at the latest NAV and the gain since.
    let r = &mine[0];
    let s = body(
        app.get(
            "investor",
            &format!("/api/investors/{me}/reinvestments/summary"),
        )
        .await,
        200,
    )
    .await;
    let f = &s["funds"][0];
    assert_eq!(f["fundCode"], "DEMO-OPEN");
    assert_eq!(f["totalReinvested"], r["reinvestedAmount"]);
    assert_eq!(f["sharesAcquired"], r["shares"]);
    assert_eq!(f["costBasis"], r["reinvestedAmount"]);
    let latest = dec(text(&f["latestNav"]));
    let value = (dec(text(&r["shares"])) * latest)
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(dec(text(&f["currentValue"])), value);
    assert_eq!(
        dec(text(&f["gain"])),
        value - dec(text(&r["reinvestedAmount"]))
    );
    let resp = app
        .get(
            "investor",
            &format!("/api/investors/{me}/reinvestments/summary/export?format=xlsx"),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(&resp.bytes().await.unwrap()[..2], b"PK");

    // Lots and a redemption preview by each method.
    let items = lots(&app, "investor", &me, "?fundId=DEMO-OPEN").await;
    assert_eq!(items.last().unwrap()["source"], "REINVESTMENT");
    let total_shares: Decimal = items.iter().map(|l| dec(text(&l["shares"]))).sum();
    let total_basis: i64 = items.iter().map(|l| cents(&l["basis"])).sum();
    let preview = |method: &str, shares: String, lots: Option<Value>| {
        let mut b = json!({ "fundId": "DEMO-OPEN", "shares": shares, "method": method, "date": "2026-11-02" });
        if let Some(l) = lots {
            b["lots"] = l;
        }
        let path = format!("/api/investors/{me}/cost-basis");
        let app = &app;
        async move { app.post("investor", &path, &b).await }
    };
    for method in ["FIFO", "AVERAGE_COST"] {
        let all_of_it = body(preview(method, total_shares.to_string(), None).await, 200).await;
        assert_eq!(
            cents(&all_of_it["basis"]),
            total_basis,
            "{method}: selling everything relieves all basis"
        );
        assert_eq!(all_of_it["nav"], "11.5");
        let proceeds: i64 = all_of_it["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| cents(&p["proceeds"]))
            .sum();
        assert_eq!(proceeds, cents(&all_of_it["proceeds"]));
        let gains = cents(&all_of_it["shortTermGain"]) + cents(&all_of_it["longTermGain"]);
        assert_eq!(gains, cents(&all_of_it["proceeds"]) - total_basis);
    }
    let newest = items.last().unwrap();
    let specific = body(
        preview(
            "SPECIFIC_ID",
            text(&newest["shares"]).to_string(),
            Some(json!([{ "lotId": newest["id"], "shares": newest["shares"] }])),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(specific["basis"], newest["basis"]);
    assert_eq!(specific["parts"][0]["longTerm"], false);
    let too_many = body(
        preview("FIFO", (total_shares + Decimal::ONE).to_string(), None).await,
        422,
    )
    .await;
    assert_eq!(too_many["field"], "shares");
    let p = body(preview("SPECIFIC_ID", "1".into(), None).await, 422).await;
    assert_eq!(p["field"], "lots");
    // Another investor's reports are not found.
    for path in [
        format!("/api/investors/{other}/reinvestments/summary"),
        format!("/api/investors/{other}/lots"),
    ] {
        assert_eq!(app.get("investor", &path).await.status(), 404, "{path}");
    }
    assert_eq!(
        app.post(
            "investor",
            &format!("/api/investors/{other}/cost-basis"),
            &json!({ "fundId": "DEMO-OPEN", "shares": "1", "method": "FIFO" })
        )
        .await
        .status(),
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn running_the_step_again_writes_nothing() {
    let election = json!({ "election": "PARTIAL", "percentage": "33.3" });
    let (app, _) = with_elections(20, 8, election).await;
    let id = processed(&app, &q1("4321.09", "0.25")).await;
    let before = counts(&app).await;
    assert_eq!(before[6], 8, "eight reinvestments");
    // The job's step again, as a re-run after a crash would call it (same transaction shape).
    let actor = clearway_store::Actor::system(&app.seeded.org_id);
    let mut tx = app.db.begin().await.unwrap();
    let stored = clearway_store::distributions::get_tx(&mut tx, &actor, &id)
        .await
        .unwrap();
    clearway_app::reinvestment::step(&mut tx, &actor, &stored)
        .await
        .unwrap();
    clearway_app::reinvestment::step(&mut tx, &actor, &stored)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(counts(&app).await, before, "no row written twice");
    app.stop().await;
}

#[tokio::test]
async fn holdings_on_and_after_the_trade_date_get_the_new_shares() {
    let (app, ids) = with_elections(6, 2, json!({ "election": "AUTOMATIC" })).await;
    // A holdings change already recorded after the trade date (e.g. from an administrator's
    // feed): it must include the reinvested shares too.
    let operator = app.operator();
    let later: chrono::NaiveDate = "2026-05-01".parse().unwrap();
    let mut tx = app.db.begin().await.unwrap();
    clearway_store::funds::record_holdings(
        &mut tx,
        &operator,
        &app.seeded.open_fund_id,
        later,
        &[(ids[1].clone(), dec("1000"))],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Two distributions paid the same day: the second adds to the first one's holdings row.
    let first = processed(&app, &q1("1000.00", "0")).await;
    let second = processed(
        &app,
        &pro_rata_on("DEMO-OPEN", "500.00", "2026-03-17", "2026-03-31", "0"),
    )
    .await;
    let a = all_reinvestments(&app, "operator", &first).await;
    let b = all_reinvestments(&app, "operator", &second).await;
    let units_on = |record: &'static str| {
        units_at_record(&app, "DEMO-OPEN", "100000.00", record, "2026-06-30")
    };
    let before = units_by_investor(&app, &first).await;
    let april = units_on("2026-04-15").await;
    assert_eq!(
        april[&ids[0]],
        before[&ids[0]] + shares_bought(&a, &ids[0]) + shares_bought(&b, &ids[0])
    );
    assert_eq!(
        april[&ids[2]], before[&ids[2]],
        "a cash investor keeps their units"
    );
    let may = units_on("2026-05-15").await;
    assert_eq!(
        may[&ids[1]],
        dec("1000") + shares_bought(&a, &ids[1]) + shares_bought(&b, &ids[1])
    );
    app.stop().await;
}

#[tokio::test]
async fn two_distributions_of_one_fund_paid_the_same_day_reinvest_at_the_same_time() {
    let (app, ids) = with_elections(4, 4, json!({ "election": "AUTOMATIC" })).await;
    let first = app.create(&q1("1000.00", "0")).await;
    let second = app
        .create(&pro_rata_on(
            "DEMO-OPEN",
            "500.00",
            "2026-03-17",
            "2026-03-31",
            "0",
        ))
        .await;
    let units = |investor: String| {
        let db = app.db.clone();
        let fund = app.seeded.open_fund_id.clone();
        async move {
            let row = db
                .fetch_optional(
                    clearway_store::q("SELECT units FROM holdings WHERE fund_id = $1 AND investor_id = $2 AND as_of <= '2026-03-31' ORDER BY as_of DESC LIMIT 1")
                        .bind(&fund)
                        .bind(&investor),
                )
                .await
                .unwrap()
                .expect("a holdings row");
            dec(&row.text("units").unwrap())
        }
    };
    let before = units(ids[0].clone()).await;
    // The first step holds its transaction open while the second one starts: the second must
    // wait for it and build on its holdings row (on PostgreSQL, without the fund lock, it would
    // read no row on the trade date and collide on the holdings key when inserting one).
    let actor = clearway_store::Actor::system(&app.seeded.org_id);
    let load = |id: String| {
        let db = app.db.clone();
        let actor = actor.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            let d = clearway_store::distributions::get_tx(&mut tx, &actor, &id)
                .await
                .unwrap();
            (tx, d)
        }
    };
    let (mut tx1, d1) = load(text(&first["id"]).to_string()).await;
    clearway_app::reinvestment::step(&mut tx1, &actor, &d1)
        .await
        .unwrap();
    // The second transaction begins inside the task (on SQLite it waits for the writer).
    let second_load = load(text(&second["id"]).to_string());
    let actor2 = actor.clone();
    let racing = tokio::spawn(async move {
        let (mut tx2, d2) = second_load.await;
        clearway_app::reinvestment::step(&mut tx2, &actor2, &d2)
            .await
            .map_err(|e| e.to_string())?;
        tx2.commit().await.map_err(|e| e.to_string())
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    tx1.commit().await.unwrap();
    racing
        .await
        .unwrap()
        .expect("the second step waits, then succeeds");
    let mut bought = Decimal::ZERO;
    for d in [&first, &second] {
        let list = all_reinvestments(&app, "operator", text(&d["id"])).await;
        bought += shares_bought(&list, &ids[0]);
    }
    assert!(bought > Decimal::ZERO, "both distributions bought shares");
    assert_eq!(units(ids[0].clone()).await, before + bought);
    app.stop().await;
}

/// A stored reinvestment whose percentage is not a number is corrupt: the report refuses
/// (500 problem) instead of exporting it as 0.
#[tokio::test]
async fn a_corrupt_stored_percentage_is_an_error_not_zero() {
    let navs = json!([{ "date": "2026-03-31", "nav": "10.12345678" }]);
    let (app, _me, id) = investor_user_reinvested(None, navs).await;
    let export = format!("/api/distributions/{id}/reinvestments/export?format=csv");
    assert_eq!(app.get("operator", &export).await.status(), 200);
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(
        clearway_store::q(
            "UPDATE reinvestments SET percentage = 'lots' WHERE distribution_id = $1",
        )
        .bind(id.as_str()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app.get("operator", &export).await.status(), 500);
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// Issue 14 item 6: a reversal that takes back reinvestment lots applies later returns of
// capital on them again to the remaining lots.

/// One lot as the operator sees it: acquired, shares (open) or original shares, basis, status.
#[derive(Debug, Clone)]
struct BookLot {
    acquired: String,
    shares: Decimal,
    basis: i64,
    open: bool,
    source_distribution: Option<String>,
}

/// Every DEMO-OPEN lot of `investor`, closed ones included, by id.
async fn book(app: &TestApp, investor: &str) -> HashMap<String, BookLot> {
    lots(
        app,
        "operator",
        investor,
        "?fundId=DEMO-OPEN&includeClosed=true&limit=1000",
    )
    .await
    .iter()
    .map(|l| {
        let open = l["status"] == "OPEN";
        let shares = if open {
            &l["shares"]
        } else {
            &l["originalShares"]
        };
        (
            text(&l["id"]).to_string(),
            BookLot {
                acquired: text(&l["acquiredOn"]).to_string(),
                shares: dec(text(shares)),
                basis: cents(&l["basis"]),
                open,
                source_distribution: l["sourceDistributionId"].as_str().map(str::to_string),
            },
        )
    })
    .collect()
}

/// Every investor's DEMO-OPEN lots, by investor.
async fn books(app: &TestApp) -> HashMap<String, HashMap<String, BookLot>> {
    let mut out = HashMap::new();
    for investor in &app.seeded.investor_ids {
        out.insert(investor.clone(), book(app, investor).await);
    }
    out
}

/// Independent re-application: `amount` cents over `lots` (id, shares, basis) in acquisition
/// order, pro rata by shares with the largest remainder (ties to the earlier lot), each part
/// capped by the lot's basis; returns the reduction per lot and the gain.
fn reapplied(amount: i64, lots: &[(String, Decimal, i64)]) -> (Vec<i64>, i64) {
    if lots.is_empty() {
        return (Vec::new(), amount);
    }
    let scale = |s: Decimal| i128::try_from(s * Decimal::from(1_000_000)).unwrap();
    let weights: Vec<i128> = lots.iter().map(|(_, s, _)| scale(*s)).collect();
    let total: i128 = weights.iter().sum();
    let amount = i128::from(amount);
    let mut parts: Vec<i128> = weights.iter().map(|w| amount * w / total).collect();
    let mut order: Vec<usize> = (0..lots.len()).collect();
    // Largest remainder first; a stable sort keeps ties in acquisition order.
    order.sort_by_key(|&i| std::cmp::Reverse(amount * weights[i] % total));
    let left = amount - parts.iter().sum::<i128>();
    for &i in order.iter().take(usize::try_from(left).unwrap()) {
        parts[i] += 1;
    }
    let mut gain = 0i64;
    let reductions = parts
        .iter()
        .zip(lots)
        .map(|(p, (_, _, basis))| {
            let p = i64::try_from(*p).unwrap();
            gain += p - p.min(*basis);
            p.min(*basis)
        })
        .collect();
    (reductions, gain)
}

/// Gains beyond basis recorded for an investor, in cents (every distribution).
async fn recorded_gain(app: &TestApp, investor: &str) -> i64 {
    app.db
        .fetch_optional(
            clearway_store::q("SELECT CAST(COALESCE(SUM(gain_minor), 0) AS BIGINT) AS n FROM roc_gains WHERE investor_id = $1")
                .bind(investor),
        )
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

/// Reverses every line of `id` and processes the reversal to COMPLETED; returns its id.
async fn reversed(app: &TestApp, id: &str) -> String {
    let reversal = body(
        app.post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "wrong distribution" }),
        )
        .await,
        201,
    )
    .await;
    let rid = text(&reversal["reversal"]["id"]).to_string();
    for (role, action) in [("approver", "approve"), ("operator", "process")] {
        let resp = app
            .patch(role, &format!("/api/distributions/{rid}/{action}"))
            .await;
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    }
    app.wait_status(&rid, "COMPLETED").await;
    app.wait_jobs().await;
    rid
}

/// D2's record date: after D1's trade date, so D1's lots are held on it.
const D2_RECORD: &str = "2026-06-15";

/// Scenario: D1 (Q1, all ordinary dividend) reinvested by 18 of 24 investors, then D2 with
/// 50 % return of capital, some lines edited to all ROC or to just over the basis of the
/// lots other than D1's; returns the app, the investors, D1, D2 and each investor's lots
/// after D1 and after D2.
async fn drip_then_roc() -> (
    TestApp,
    Vec<String>,
    String,
    String,
    HashMap<String, HashMap<String, BookLot>>,
    HashMap<String, HashMap<String, BookLot>>,
) {
    let (app, ids) = with_elections(24, 18, json!({ "election": "AUTOMATIC" })).await;
    let d1 = processed(&app, &q1("30000.00", "0")).await;
    let after_d1 = books(&app).await;
    let units: Decimal = after_d1
        .values()
        .flat_map(|b| b.values())
        .filter(|l| l.open)
        .map(|l| l.shares)
        .sum();
    // About 12 a share: half of it ROC fits in basis (about 10 a share), all of it does not.
    let total = (units * Decimal::from(12)).round_dp(0);
    let d2 = app
        .create(&pro_rata_on(
            "DEMO-OPEN",
            &format!("{total}.00"),
            D2_RECORD,
            "2026-06-30",
            "0.5",
        ))
        .await;
    let d2 = text(&d2["id"]).to_string();
    for (i, line) in app.all_lines("operator", &d2).await.iter().enumerate() {
        let investor = text(&line["investorId"]);
        let line_total = cents(&line["totalAmount"]);
        let held: Vec<&BookLot> = after_d1[investor]
            .values()
            .filter(|l| l.open && l.acquired.as_str() <= D2_RECORD)
            .collect();
        let shares: Decimal = held.iter().map(|l| l.shares).sum();
        let others: Vec<&&BookLot> = held
            .iter()
            .filter(|l| l.source_distribution.as_deref() != Some(d1.as_str()))
            .collect();
        let other_shares: Decimal = others.iter().map(|l| l.shares).sum();
        let other_basis: i64 = others.iter().map(|l| l.basis).sum();
        let roc = match i % 3 {
            // All ROC: beyond the basis of every lot.
            1 => line_total,
            // Just under the basis of the lots other than D1's: the re-application partly
            // fits and the rest is gain.
            2 if other_shares < shares => {
                let r = Decimal::from(other_basis) * shares / other_shares;
                i64::try_from(r.floor()).unwrap() - 3
            }
            _ => continue,
        };
        assert!(roc <= line_total, "line of {investor} too small for {roc}");
        let f = |m: i64| format!("{}.{:02}", m / 100, m % 100);
        let resp = app
            .put(
                "operator",
                &format!("/api/distributions/{d2}/lines/{investor}"),
                &json!({ "totalAmount": f(line_total), "ordinaryDividend": f(line_total - roc), "returnOfCapital": f(roc) }),
            )
            .await;
        body(resp, 200).await;
    }
    app.complete(&d2).await;
    let after_d2 = books(&app).await;
    (app, ids, d1, d2, after_d1, after_d2)
}

/// The return of capital each investor received on `id`, in cents.
async fn roc_received(app: &TestApp, id: &str) -> HashMap<String, i64> {
    app.all_lines("operator", id)
        .await
        .iter()
        .map(|l| {
            (
                text(&l["investorId"]).to_string(),
                cents(&l["returnOfCapital"]),
            )
        })
        .collect()
}

#[tokio::test]
async fn reversing_a_drip_distribution_applies_a_later_return_of_capital_again() {
    let (app, ids, d1, d2, after_d1, after_d2) = drip_then_roc().await;
    let received = roc_received(&app, &d2).await;
    let gain_before: HashMap<String, i64> = {
        let mut m = HashMap::new();
        for investor in &ids {
            m.insert(investor.clone(), recorded_gain(&app, investor).await);
        }
        m
    };
    reversed(&app, &d1).await;

    let (mut reapplied_total, mut all_fit, mut part_fit, mut none_fit) = (0i64, 0, 0, 0);
    for investor in &ids {
        let before = &after_d2[investor];
        let now = book(&app, investor).await;
        let closed: Vec<&String> = before
            .iter()
            .filter(|(_, l)| l.source_distribution.as_deref() == Some(d1.as_str()))
            .map(|(id, _)| id)
            .collect();
        // Independent recomputation: what D2 took off D1's lot, over the lots left.
        let lost: i64 = closed
            .iter()
            .map(|id| after_d1[investor][*id].basis - before[*id].basis)
            .sum();
        let mut left: Vec<(&String, &BookLot)> = before
            .iter()
            .filter(|(id, l)| l.open && !closed.contains(id) && l.acquired.as_str() <= D2_RECORD)
            .collect();
        left.sort_by(|a, b| (&a.1.acquired, a.0).cmp(&(&b.1.acquired, b.0)));
        let spread: Vec<(String, Decimal, i64)> = left
            .iter()
            .map(|(id, l)| ((*id).clone(), l.shares, l.basis))
            .collect();
        let (reductions, gain) = reapplied(lost, &spread);
        for id in &closed {
            assert!(!now[*id].open, "D1's lot {id} of {investor} is closed");
        }
        for ((id, _, basis), reduction) in spread.iter().zip(&reductions) {
            assert_eq!(now[id].basis, basis - reduction, "lot {id} of {investor}");
        }
        for (id, l) in before
            .iter()
            .filter(|(id, _)| !closed.contains(id) && !spread.iter().any(|s| &s.0 == *id))
        {
            assert_eq!(now[id].basis, l.basis, "lot {id} of {investor} untouched");
        }
        let recorded = recorded_gain(&app, investor).await;
        assert_eq!(recorded - gain_before[investor], gain, "gain of {investor}");
        // The identity: D2's reductions in effect (lots held on its record date, not taken
        // back; D1 had no ROC) + gain = the ROC D2 paid.
        let in_effect: i64 = now
            .iter()
            .filter(|(_, l)| l.open && l.acquired.as_str() <= D2_RECORD)
            .map(|(id, l)| after_d1[investor][id].basis - l.basis)
            .sum();
        let roc = received.get(investor).copied().unwrap_or(0);
        assert_eq!(in_effect + recorded, roc, "ROC of {investor}");
        if lost > 0 {
            reapplied_total += lost;
            match gain {
                0 => all_fit += 1,
                g if g == lost => none_fit += 1,
                _ => part_fit += 1,
            }
        }
    }
    assert!(
        all_fit > 0 && part_fit > 0 && none_fit > 0,
        "every case is covered: {all_fit} fit, {part_fit} partly, {none_fit} not at all"
    );
    // The reversal's reinvestment audit entry names what it applied again.
    let audit = body(
        app.get(
            "auditor",
            "/api/audit?action=distribution.reinvest&limit=100",
        )
        .await,
        200,
    )
    .await;
    let entry = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["after"]["rocReapplied"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
        .expect("an audit entry with the re-application");
    let again = &entry["after"]["rocReapplied"][0];
    assert_eq!(again["distributionId"], d2.as_str());
    assert_eq!(cents(&again["amount"]), reapplied_total);
    app.stop().await;
}

#[tokio::test]
async fn reversing_the_later_roc_too_in_either_order_restores_every_basis() {
    for later_first in [false, true] {
        let (app, ids, d1, d2, after_d1, _) = drip_then_roc().await;
        if later_first {
            reversed(&app, &d2).await;
            reversed(&app, &d1).await;
        } else {
            reversed(&app, &d1).await;
            reversed(&app, &d2).await;
        }
        for investor in &ids {
            let now = book(&app, investor).await;
            for (id, l) in &after_d1[investor] {
                if l.source_distribution.as_deref() == Some(d1.as_str()) {
                    assert!(!now[id].open, "D1's lot {id} is closed");
                } else {
                    assert_eq!(
                        now[id].basis, l.basis,
                        "lot {id} of {investor} ({later_first})"
                    );
                }
            }
            assert!(
                now.values()
                    .filter(|l| l.source_distribution.as_deref() == Some(d2.as_str()))
                    .all(|l| !l.open),
                "D2's lots are closed"
            );
            assert_eq!(
                recorded_gain(&app, investor).await,
                0,
                "{investor} ({later_first})"
            );
        }
        app.stop().await;
    }
}

// ---------------------------------------------------------------------------------------
// Issue 14 item 8: share counts in a fund's own share decimals.

#[tokio::test]
async fn the_cost_basis_preview_refuses_more_share_decimals_than_the_fund_has() {
    let navs = json!([{ "date": "2026-03-31", "nav": "10.12345678" }]);
    let (app, me, _) = investor_user_reinvested(None, navs).await;
    let path = format!("/api/investors/{me}/cost-basis");
    let newest = lots(&app, "investor", &me, "?fundId=DEMO-OPEN")
        .await
        .last()
        .unwrap()
        .clone();
    let before = app.snapshot().await;
    // DEMO-OPEN's shares have 4 decimals: a fifth is refused, naming the field.
    for (fund, shares, lots, field) in [
        ("DEMO-OPEN", "1.00001", None, "shares"),
        ("DEMO-OPEN", "0.00005", None, "shares"),
        (
            "DEMO-OPEN",
            "1.0001",
            Some(json!([{ "lotId": newest["id"], "shares": "1.00001" }])),
            "lots[0].shares",
        ),
        // DEMO-MMF's have 3.
        ("DEMO-MMF", "1.0001", None, "shares"),
    ] {
        let mut b =
            json!({ "fundId": fund, "shares": shares, "method": "FIFO", "date": "2026-11-02" });
        if let Some(l) = lots {
            b["method"] = json!("SPECIFIC_ID");
            b["lots"] = l;
        }
        let refused = body(app.post("investor", &path, &b).await, 422).await;
        assert_eq!(refused["field"], field, "{b}");
        let detail = refused.to_string();
        assert!(detail.contains("decimal"), "{detail}");
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
    // Four decimals (trailing zeros beyond them are the same number) are accepted.
    for shares in ["1.0001", "1.00010", "2"] {
        let b = json!({ "fundId": "DEMO-OPEN", "shares": shares, "method": "FIFO", "date": "2026-11-02" });
        let ok = body(app.post("investor", &path, &b).await, 200).await;
        assert_eq!(dec(text(&ok["shares"])), dec(shares));
    }
    app.stop().await;
}

/// An investor's net basis reductions in effect (open lots) and gain for `roc_id`'s return of
/// capital, whoever recorded them, in cents.
async fn accounted_to(app: &TestApp, investor: &str, roc_id: &str) -> (i64, i64) {
    let one = |sql: &'static str| {
        clearway_store::q(sql)
            .bind(investor.to_string())
            .bind(roc_id.to_string())
    };
    let n = |row: Option<clearway_store::Row>| row.unwrap().i64("n").unwrap();
    let reduced = n(app
        .db
        .fetch_optional(one(
            "SELECT CAST(COALESCE(-SUM(a.basis_change_minor), 0) AS BIGINT) AS n FROM lot_adjustments a
             JOIN position_lots p ON p.id = a.lot_id
             WHERE a.investor_id = $1 AND a.roc_distribution_id = $2 AND p.status = 'OPEN'",
        ))
        .await
        .unwrap());
    let gain = n(app
        .db
        .fetch_optional(one(
            "SELECT CAST(COALESCE(SUM(gain_minor), 0) AS BIGINT) AS n FROM roc_gains WHERE investor_id = $1 AND roc_distribution_id = $2",
        ))
        .await
        .unwrap());
    (reduced, gain)
}

#[tokio::test]
async fn several_later_returns_of_capital_are_applied_again_in_record_date_order() {
    let (owned, ids) = with_elections(24, 18, json!({ "election": "AUTOMATIC" })).await;
    let app = &owned;
    let d1 = processed(app, &q1("30000.00", "0")).await;
    let after_d1 = books(app).await;
    let units: Decimal = after_d1
        .values()
        .flat_map(|b| b.values())
        .filter(|l| l.open)
        .map(|l| l.shares)
        .sum();
    // About 6 a share of ROC each: the two together go beyond most lots' basis.
    let total = format!("{}.00", (units * Decimal::from(12)).round_dp(0));
    let later = [("2026-06-15", "2026-06-30"), ("2026-09-15", "2026-09-30")];
    let mut ds = Vec::new();
    let mut snapshots = vec![after_d1];
    for (record, payable) in later {
        ds.push(
            processed(
                app,
                &pro_rata_on("DEMO-OPEN", &total, record, payable, "0.5"),
            )
            .await,
        );
        snapshots.push(books(app).await);
    }
    let mut received = Vec::new();
    for d in &ds {
        received.push(roc_received(app, d).await);
    }
    reversed(app, &d1).await;

    let mut gains = 0;
    for investor in &ids {
        let now = book(app, investor).await;
        let last = &snapshots[2][investor];
        let closed: Vec<&String> = last
            .iter()
            .filter(|(_, l)| l.source_distribution.as_deref() == Some(d1.as_str()))
            .map(|(id, _)| id)
            .collect();
        // Independent recomputation: each later distribution's reduction of D1's lot, in
        // record-date order, over the lots held on its record date, on the basis left.
        let mut basis: HashMap<String, i64> =
            last.iter().map(|(id, l)| (id.clone(), l.basis)).collect();
        for (k, (record, _)) in later.iter().enumerate() {
            let lost: i64 = closed
                .iter()
                .map(|id| snapshots[k][investor][*id].basis - snapshots[k + 1][investor][*id].basis)
                .sum();
            let mut held: Vec<(&String, &BookLot)> = last
                .iter()
                .filter(|(id, l)| l.open && !closed.contains(id) && l.acquired.as_str() <= *record)
                .collect();
            held.sort_by(|a, b| (&a.1.acquired, a.0).cmp(&(&b.1.acquired, b.0)));
            let spread: Vec<(String, Decimal, i64)> = held
                .iter()
                .map(|(id, l)| ((*id).clone(), l.shares, basis[*id]))
                .collect();
            let (reductions, gain) = reapplied(lost, &spread);
            for ((id, _, _), r) in spread.iter().zip(&reductions) {
                *basis.get_mut(id).unwrap() -= r;
            }
            gains += gain;
        }
        for (id, l) in &now {
            if l.open {
                assert_eq!(l.basis, basis[id], "lot {id} of {investor}");
            }
        }
        // Per later distribution: reductions in effect + gain = the ROC it paid.
        for (d, paid) in ds.iter().zip(&received) {
            let (reduced, gain) = accounted_to(app, investor, d).await;
            assert_eq!(
                reduced + gain,
                paid.get(investor).copied().unwrap_or(0),
                "{investor} {d}"
            );
        }
    }
    assert!(gains > 0, "some of it went beyond basis");
    owned.stop().await;
}

//! A constructed tax year, end to end through the API, checked against figures computed here
//! independently of the code under test: withholding per line and component (backup 24 %,
//! treaty 15 %, statutory 30 %, designated exemptions, two states), the year's 1099-DIVs and
//! 1042-S, the FIRE file read at Publication 1220 positions, and a re-characterization after
//! the forms were issued (CORRECTED forms, re-split lines).

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{cents, spawn_app, TestApp};

/// Who each investor is, by index into the seeded investors.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Certified W-9, optionally a state with withholding.
    Certified(Option<&'static str>),
    /// US person, no TIN on file.
    MissingTin,
    /// No profile at all (treated as missing TIN).
    NoProfile,
    /// B notice.
    BNotice,
    /// W-8BEN claiming the GB treaty (15 % dividends, 0 % interest in our table).
    TreatyGb,
    /// W-8BEN, Brazil, no treaty claim: 30 %.
    NonTreaty,
}

const ORDINARY: usize = 0;
const QUALIFIED: usize = 1;
const ST_GAIN: usize = 2;
const LT_GAIN: usize = 3;
const ROC: usize = 4;
const INTEREST: usize = 5;
const FIELDS: [&str; 6] = [
    "ordinaryDividend",
    "qualifiedDividend",
    "shortTermGain",
    "longTermGain",
    "returnOfCapital",
    "interest",
];

fn kinds(n: usize) -> Vec<Kind> {
    (0..n)
        .map(|i| match i {
            // The demo's UK residents (every 17th) are paid to UK addresses: treaty claimants.
            _ if i % 17 == 0 => Kind::TreatyGb,
            1 => Kind::MissingTin,
            2 => Kind::NoProfile,
            3 => Kind::BNotice,
            4 | 5 => Kind::TreatyGb,
            6 => Kind::NonTreaty,
            7 | 8 => Kind::Certified(Some("OR")),
            9 => Kind::Certified(Some("CA")),
            _ => Kind::Certified(None),
        })
        .collect()
}

/// `amount × pct / 100` rounded half away from zero, for non-negative cents.
fn pct(amount: i64, pct_times_100: i64) -> i64 {
    if amount <= 0 {
        return 0;
    }
    (amount * pct_times_100 + 5_000) / 10_000
}

/// Federal withholding per component, written out from the rules (not the code): backup 24 %
/// on all but ROC; chapter 3 at 15 % (GB dividends) / 0 % (GB interest) / 30 %, with long-term
/// gain and interest designated exempt by the fund.
fn federal(kind: Kind, c: &[i64; 6]) -> [i64; 6] {
    let mut out = [0; 6];
    for i in 0..6 {
        let rate = match (kind, i) {
            (_, ROC) => 0,
            (Kind::Certified(_), _) => 0,
            (Kind::MissingTin | Kind::NoProfile | Kind::BNotice, _) => 2_400,
            (Kind::TreatyGb | Kind::NonTreaty, LT_GAIN | INTEREST) => 0,
            (Kind::TreatyGb, _) => 1_500,
            (Kind::NonTreaty, _) => 3_000,
        };
        out[i] = pct(c[i], rate);
    }
    out
}

fn state(kind: Kind, c: &[i64; 6]) -> i64 {
    let subject: i64 = (0..6).filter(|i| *i != ROC).map(|i| c[i].max(0)).sum();
    match kind {
        Kind::Certified(Some("OR")) => pct(subject, 800),
        Kind::Certified(Some("CA")) => pct(subject, 700),
        _ => 0,
    }
}

fn components(line: &Value) -> [i64; 6] {
    let mut c = [0; 6];
    for (i, f) in FIELDS.iter().enumerate() {
        c[i] = cents(&line[*f]);
    }
    c
}

async fn ok(resp: reqwest::Response, what: &str) -> Value {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "{what}: {status} {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

async fn configure(app: &TestApp, kinds: &[Kind]) {
    let fund = &app.seeded.open_fund_id;
    ok(
        app.put(
            "admin",
            "/api/tax/settings",
            &json!({ "withholdingEnabled": true }),
        )
        .await,
        "org tax settings",
    )
    .await;
    ok(
        app.put(
            "admin",
            "/api/tax/treaty-rates",
            &json!({ "rates": [
                { "country": "GB", "incomeType": "DIVIDENDS", "rate": "15" },
                { "country": "GB", "incomeType": "INTEREST", "rate": "0" }
            ] }),
        )
        .await,
        "treaty rates",
    )
    .await;
    ok(
        app.put(
            "admin",
            "/api/tax/state-rates",
            &json!({ "rates": [
                { "state": "OR", "rate": "8", "payerStateId": "OR-0012345" },
                { "state": "CA", "rate": "7", "payerStateId": "CA-123-4567-8" }
            ] }),
        )
        .await,
        "state rates",
    )
    .await;
    ok(
        app.put(
            "admin",
            &format!("/api/funds/{fund}/tax-settings"),
            &json!({
                "designations": { "capitalGainExempt": true, "shortTermGainExempt": false,
                    "interestRelatedExempt": true },
                "interestIsExemptInterest": false,
                "section199aPercent": "0", "payerTin": "521234567",
                "payerName": "Clearway Demo Income Fund", "payerAddress": "1 Harbor Way",
                "payerCity": "Boston", "payerState": "MA", "payerZip": "02110",
                "payerPhone": "6175550100"
            }),
        )
        .await,
        "fund tax settings",
    )
    .await;
    for (i, kind) in kinds.iter().enumerate() {
        let id = &app.seeded.investor_ids[i];
        let body = match kind {
            Kind::NoProfile => continue,
            Kind::Certified(st) => json!({
                "tinType": "SSN", "tin": format!("{:03}-55-{:04}", 100 + i, 1000 + i),
                "tinStatus": "CERTIFIED", "residency": "US", "certificate": "W-9",
                "residenceState": st
            }),
            Kind::MissingTin => json!({ "tinStatus": "MISSING", "residency": "US" }),
            Kind::BNotice => json!({
                "tinType": "SSN", "tin": "123-45-6789", "tinStatus": "B_NOTICE",
                "residency": "US", "certificate": "W-9"
            }),
            Kind::TreatyGb => json!({
                "tinStatus": "MISSING", "residency": "FOREIGN", "certificate": "W-8BEN",
                "country": "GB", "treatyClaim": true, "treatyArticle": "10(2)(b)",
                "chapter3Status": "16", "chapter4Status": "16", "foreignTin": "AB123456C"
            }),
            Kind::NonTreaty => json!({
                "tinStatus": "MISSING", "residency": "FOREIGN", "certificate": "W-8BEN",
                "country": "BR", "chapter3Status": "16", "chapter4Status": "16"
            }),
        };
        ok(
            app.put(
                "operator",
                &format!("/api/investors/{id}/tax-profile"),
                &body,
            )
            .await,
            "profile",
        )
        .await;
    }
}

fn distribution(app: &TestApp, month: u32, total: &str, components: Value) -> Value {
    json!({
        "fundId": app.seeded.open_fund_id,
        "declarationDate": format!("2025-{month:02}-01"),
        "recordDate": format!("2025-{month:02}-15"),
        "payableDate": format!("2025-{month:02}-27"),
        "currency": "USD", "description": format!("Tax year test {month}"),
        "allocation": { "method": "pro_rata", "total": total, "components": components }
    })
}

/// Expected 1099-DIV boxes of one investor from their lines' components and withholding.
#[derive(Debug, Default, Clone, PartialEq)]
struct Boxes {
    b1a: i64,
    b1b: i64,
    b2a: i64,
    b3: i64,
    b4: i64,
    states: BTreeMap<String, i64>,
}

fn add_line(b: &mut Boxes, kind: Kind, c: &[i64; 6], fed: i64, st: i64) {
    b.b1a += c[ORDINARY] + c[QUALIFIED] + c[ST_GAIN] + c[INTEREST];
    b.b1b += c[QUALIFIED];
    b.b2a += c[LT_GAIN];
    b.b3 += c[ROC];
    if matches!(kind, Kind::MissingTin | Kind::NoProfile | Kind::BNotice) {
        b.b4 += fed;
    }
    if let Kind::Certified(Some(s)) = kind {
        *b.states.entry(s.to_string()).or_default() += st;
    }
}

/// Largest remainder within a line (ties to the earlier component), written out here.
fn resplit(total: i64, weights: &[i64; 6]) -> [i64; 6] {
    let sum: i64 = weights.iter().sum();
    let mut out = [0; 6];
    let mut rems: Vec<(i64, usize)> = Vec::new();
    for i in 0..6 {
        out[i] = total * weights[i] / sum;
        rems.push((total * weights[i] % sum, i));
    }
    let mut left = total - out.iter().sum::<i64>();
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in rems {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// B records of a FIRE file: (corrected indicator, account, amounts by code, state tax, combined
/// federal/state code). Publication 1220's 1099-DIV amount codes: 1 = 1a, 2 = 1b, 3 = 2a,
/// 5 = 5, 6 = 2b, 7 = 2c, 8 = 2d, 9 = 3, A = 4, B = 6, C = 7, D = 9, E = 10, F = 12, G = 13,
/// H = 2e, J = 2f; payment amount fields 1…J sit at 55–270, twelve positions each.
type BRecord = (char, String, BTreeMap<char, i64>, i64, String);

fn b_records(file: &str) -> Vec<BRecord> {
    let bytes = file.as_bytes();
    assert_eq!(bytes.len() % 750, 0, "records are 750 bytes");
    let codes: Vec<char> = "123456789ABCDEFGHJ".chars().collect();
    bytes
        .chunks(750)
        .filter(|r| r[0] == b'B')
        .map(|r| {
            let text = std::str::from_utf8(r).unwrap();
            let mut amounts = BTreeMap::new();
            for (k, code) in codes.iter().enumerate() {
                let start = 54 + k * 12;
                let v: i64 = text[start..start + 12].parse().unwrap();
                if v != 0 {
                    amounts.insert(*code, v);
                }
            }
            let state_tax: i64 = text[722..734].parse().unwrap();
            (
                text.as_bytes()[5] as char,
                text[20..40].trim().to_string(),
                amounts,
                state_tax,
                text[746..748].to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_constructed_tax_year_agrees_with_figures_computed_independently() {
    let n = 24;
    let app = spawn_app(n).await;
    let kinds = kinds(n);
    configure(&app, &kinds).await;

    // Three 2025 distributions; the third is later re-characterized.
    let specs = [
        (
            3,
            "12345.67",
            json!({ "ordinaryDividend": "0.6", "qualifiedDividend": "0.4" }),
        ),
        (
            6,
            "9876.54",
            json!({ "ordinaryDividend": "0.3", "shortTermGain": "0.1", "longTermGain": "0.4", "interest": "0.2" }),
        ),
        (9, "5000.03", json!({ "ordinaryDividend": "1" })),
    ];
    let mut ids = Vec::new();
    for (month, total, comps) in specs {
        let d = app.create(&distribution(&app, month, total, comps)).await;
        let id = d["id"].as_str().unwrap().to_string();
        app.complete(&id).await;
        ids.push(id);
    }

    // Every line's withholding equals the rules applied here; cash is what is left.
    let index: BTreeMap<String, usize> = app
        .seeded
        .investor_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), i))
        .collect();
    let mut boxes: BTreeMap<String, Boxes> = BTreeMap::new();
    let mut ch3: BTreeMap<String, i64> = BTreeMap::new();
    let mut lines_of_d3: Vec<(String, i64, [i64; 6], i64, i64)> = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        for line in app.all_lines("operator", id).await {
            let inv = line["investorId"].as_str().unwrap().to_string();
            let kind = kinds[index[&inv]];
            let c = components(&line);
            let fed: i64 = federal(kind, &c).iter().sum();
            let st = state(kind, &c);
            assert_eq!(
                cents(&line["withholding"]),
                fed + st,
                "withholding of {inv} ({kind:?}) in distribution {k}"
            );
            assert_eq!(
                cents(&line["cashAmount"]),
                cents(&line["totalAmount"]) - fed - st,
                "cash of {inv}"
            );
            if matches!(kind, Kind::TreatyGb | Kind::NonTreaty) {
                *ch3.entry(inv.clone()).or_default() += fed;
            } else {
                add_line(boxes.entry(inv.clone()).or_default(), kind, &c, fed, st);
            }
            if k == 2 {
                lines_of_d3.push((inv, cents(&line["totalAmount"]), c, fed, st));
            }
        }
    }
    assert!(ch3.values().all(|v| *v > 0), "foreign persons withheld on");

    // The liability report: backup (945), chapter 3 (1042) and each state, for the year.
    let liability = ok(
        app.get(
            "operator",
            "/api/tax/withholding-liability?from=2025-01-01&to=2025-12-31&period=quarter",
        )
        .await,
        "liability",
    )
    .await;
    let want_backup: i64 = boxes.values().map(|b| b.b4).sum();
    let want_ch3: i64 = ch3.values().sum();
    let want_or: i64 = boxes.values().filter_map(|b| b.states.get("OR")).sum();
    let total = |kind: &str, state: Option<&str>| -> i64 {
        liability["totals"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["liability"] == kind && t["state"].as_str() == state)
            .map(|t| t["amountMinor"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(total("BACKUP", None), want_backup, "Form 945 liability");
    assert_eq!(total("CHAPTER3", None), want_ch3, "Form 1042 liability");
    assert_eq!(total("STATE", Some("OR")), want_or, "Oregon liability");

    // Forms need a closed year.
    let fund = app.seeded.open_fund_id.clone();
    let open = app
        .post(
            "operator",
            &format!("/api/funds/{fund}/tax-forms/2025/runs"),
            &json!({}),
        )
        .await;
    assert_eq!(open.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let open: Value = open.json().await.unwrap();
    assert_eq!(open["errors"][0]["field"], "taxYear");
    ok(
        app.post("admin", "/api/tax-years/2025/close", &json!({}))
            .await,
        "close 2025",
    )
    .await;
    run_forms(&app, &fund).await;

    // Each US investor's 1099-DIV equals the sums written out above.
    for (inv, want) in &boxes {
        let got = ok(
            app.get(
                "operator",
                &format!("/api/investors/{inv}/1099-div/2025/{fund}"),
            )
            .await,
            "1099-DIV",
        )
        .await;
        check_1099(&got, want, inv);
        assert_eq!(got["issued"]["seq"], 1, "{inv}");
    }

    // The FIRE file: one B record per US payee with the same amounts, C totals their sums.
    ok(
        app.put(
            "admin",
            "/api/tax/transmitter",
            &json!({
                "tcc": "5A123", "tin": "521234567", "name": "CLEARWAY DEMO ADMINISTRATORS",
                "address": "1 HARBOR WAY", "city": "BOSTON", "state": "MA", "zip": "02110",
                "contactName": "JANE ROE", "contactPhone": "6175550100",
                "contactEmail": "tax@example.com"
            }),
        )
        .await,
        "transmitter",
    )
    .await;
    // Payees' mailing addresses (the B record's) come from their payment methods.
    for (i, kind) in kinds.iter().enumerate() {
        if matches!(kind, Kind::TreatyGb | Kind::NonTreaty) {
            continue;
        }
        let id = &app.seeded.investor_ids[i];
        let region = match kind {
            Kind::Certified(Some(st)) => *st,
            _ => "IL",
        };
        ok(
            app.post(
                "operator",
                &format!("/api/investors/{id}/bank-accounts"),
                &json!({ "method": "CHECK", "holderName": format!("Payee {i}"),
                    "address": { "lines": [format!("{} Elm St", 10 + i)], "city": "Springfield",
                        "region": region, "postalCode": "62701", "country": "US" } }),
            )
            .await,
            "mailing address",
        )
        .await;
    }
    let file = fire(&app, "ORIGINAL").await;
    let records = b_records(&file);
    assert_eq!(records.len(), boxes.len(), "one B record per US payee");
    let mut total_1a = 0;
    for (indicator, _account, amounts, state_tax, _code) in &records {
        assert_eq!(*indicator, ' ');
        total_1a += amounts.get(&'1').copied().unwrap_or(0);
        assert!(*state_tax >= 0);
    }
    assert_eq!(total_1a, boxes.values().map(|b| b.b1a).sum::<i64>());
    let want_4: i64 = boxes.values().map(|b| b.b4).sum();
    assert_eq!(
        records
            .iter()
            .map(|r| r.2.get(&'A').copied().unwrap_or(0))
            .sum::<i64>(),
        want_4
    );

    // Re-characterization of the third distribution: 70 % ordinary, 30 % return of capital.
    let d3_total: i64 = 500_003;
    let roc = d3_total * 3 / 10;
    let ordinary = d3_total - roc;
    let wrong = app
        .post(
            "operator",
            &format!("/api/distributions/{}/recharacterization", ids[2]),
            &json!({ "components": { "ordinaryDividend": "3500.02", "qualifiedDividend": "0",
                "shortTermGain": "0", "longTermGain": "0", "returnOfCapital": "1500.00", "interest": "0" },
                "reason": "Form 8937" }),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(wrong["errors"][0]["field"], "components");
    let body = json!({ "components": {
        "ordinaryDividend": format!("{}.{:02}", ordinary / 100, ordinary % 100),
        "returnOfCapital": format!("{}.{:02}", roc / 100, roc % 100),
        "qualifiedDividend": "0", "shortTermGain": "0", "longTermGain": "0", "interest": "0"
    }, "reason": "Form 8937: 30% return of capital" });
    ok(
        app.post(
            "operator",
            &format!("/api/distributions/{}/recharacterization", ids[2]),
            &body,
        )
        .await,
        "re-characterization",
    )
    .await;
    let again = app
        .post(
            "operator",
            &format!("/api/distributions/{}/recharacterization", ids[2]),
            &body,
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);

    // Lines re-split exactly; the forms issued again come out CORRECTED with the new split.
    let mut weights = [0; 6];
    weights[ORDINARY] = ordinary;
    weights[ROC] = roc;
    let after: BTreeMap<String, [i64; 6]> = app
        .all_lines("operator", &ids[2])
        .await
        .iter()
        .map(|l| (l["investorId"].as_str().unwrap().to_string(), components(l)))
        .collect();
    for (inv, total, old, fed, st) in &lines_of_d3 {
        let want = resplit(*total, &weights);
        assert_eq!(after[inv], want, "re-split line of {inv}");
        let kind = kinds[index[inv]];
        if let Some(b) = boxes.get_mut(inv) {
            // Out with the old character, in with the new; withheld amounts are what was withheld.
            b.b1a -= old[ORDINARY];
            b.b1a += want[ORDINARY];
            b.b3 += want[ROC];
            let _ = (kind, fed, st);
        }
    }
    app.wait_jobs().await;
    run_forms(&app, &fund).await;
    let mut corrected = 0;
    for (inv, want) in &boxes {
        let got = ok(
            app.get(
                "operator",
                &format!("/api/investors/{inv}/1099-div/2025/{fund}"),
            )
            .await,
            "1099-DIV corrected",
        )
        .await;
        check_1099(&got, want, inv);
        if got["issued"]["seq"] == 2 {
            assert_eq!(got["issued"]["corrected"], true);
            corrected += 1;
        }
    }
    assert_eq!(corrected, boxes.len(), "every US payee had a line in it");
    let file = fire(&app, "CORRECTED").await;
    let records = b_records(&file);
    assert_eq!(records.len(), boxes.len());
    assert!(
        records.iter().all(|r| r.0 == 'G'),
        "one-transaction corrections"
    );
    app.stop().await;
}

fn check_1099(got: &Value, want: &Boxes, inv: &str) {
    let f = &got["figures"];
    let box_of = |name: &str| -> i64 {
        match &f[name] {
            Value::Number(n) => n.as_i64().unwrap(),
            v @ Value::String(_) => cents(v),
            other => panic!("box {name} of {inv}: {other}"),
        }
    };
    assert_eq!(box_of("box1a"), want.b1a, "1a of {inv}");
    assert_eq!(box_of("box1b"), want.b1b, "1b of {inv}");
    assert_eq!(box_of("box2a"), want.b2a, "2a of {inv}");
    assert_eq!(box_of("box3"), want.b3, "3 of {inv}");
    assert_eq!(box_of("box4"), want.b4, "4 of {inv}");
    let states: BTreeMap<String, i64> = f["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let w = cents(&s["withheld"]);
            (s["state"].as_str().unwrap().to_string(), w)
        })
        .collect();
    assert_eq!(states, want.states, "state boxes of {inv}");
}

async fn run_forms(app: &TestApp, fund: &str) {
    let run = ok(
        app.post(
            "operator",
            &format!("/api/funds/{fund}/tax-forms/2025/runs"),
            &json!({}),
        )
        .await,
        "run",
    )
    .await;
    let run_id = run["id"].as_str().unwrap().to_string();
    for _ in 0..600 {
        let r = ok(
            app.get("operator", &format!("/api/tax-form-runs/{run_id}"))
                .await,
            "run status",
        )
        .await;
        match r["status"].as_str().unwrap() {
            "DONE" => return,
            "FAILED" => panic!("run failed: {r}"),
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    panic!("run did not finish");
}

async fn fire(app: &TestApp, kind: &str) -> String {
    let created = ok(
        app.post(
            "admin",
            "/api/tax/fire-files",
            &json!({ "taxYear": 2025, "kind": kind, "test": true }),
        )
        .await,
        "FIRE file",
    )
    .await;
    let id = created["id"].as_str().unwrap();
    app.get("admin", &format!("/api/tax/fire-files/{id}/content"))
        .await
        .text()
        .await
        .unwrap()
}

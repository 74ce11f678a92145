//! `bench pages`: server time of the web pages over large data — the distributions list with N
//! distributions and a distribution's page with M lines — read from each response's
//! `Server-Timing` header, one request at a time; baseline: the JSON API's list of the same
//! page (`GET /api/distributions?limit=50`) in the same run.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use clearway_core::components::{ComponentKind, Components};
use clearway_core::distribution::{Kind, PlannedLine, Schedule, Status};
use clearway_server::Config;
use clearway_store::distributions::{self as store, NewDistribution};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use super::{ms, percentile, pro_rata_body, setup, Setup};

/// The password the benchmark's operator signs in with.
const PASSWORD: &str = "bench password 0123";

pub(super) async fn pages(
    database_url: Option<&str>,
    distributions: usize,
    lines: usize,
    requests: usize,
) -> Result<()> {
    let s = setup(database_url, lines, Config::default()).await?;
    let big = create_big(&s).await?;
    fill(&s, distributions.saturating_sub(1)).await?;
    let cookie = sign_in(&s).await?;
    let second_page = second_page_cursor(&s).await?;
    let middle = &s.seeded.investor_ids[s.seeded.investor_ids.len() / 2];
    let runs = [
        ("GET /distributions", "/distributions".to_string(), true),
        (
            "GET /distributions?status=DRAFT&q=bench",
            "/distributions?status=DRAFT&q=bench".into(),
            true,
        ),
        (
            "GET /distributions (2nd page)",
            format!("/distributions?cursor={second_page}"),
            true,
        ),
        (
            "GET /distributions/:id (large)",
            format!("/distributions/{big}"),
            true,
        ),
        (
            "GET /distributions/:id (large, a middle page)",
            format!("/distributions/{big}?after={middle}"),
            true,
        ),
        (
            "GET /distributions/:id?q=investor",
            format!("/distributions/{big}?q=investor"),
            true,
        ),
        (
            "baseline GET /api/distributions?limit=50",
            "/api/distributions?limit=50".into(),
            false,
        ),
    ];
    println!("{distributions} distributions, one of {lines} lines; {requests} requests each, one at a time; server time from Server-Timing");
    let mut baseline = None;
    let mut rows = Vec::new();
    for (label, path, page) in runs {
        let mut t = timings(&s, &path, page, &cookie, requests).await?;
        let p50 = percentile(&mut t, 0.5);
        let p95 = percentile(&mut t, 0.95);
        if !page {
            baseline = Some(p95);
        }
        rows.push((label, p50, p95));
    }
    let baseline = baseline.context("baseline measured")?;
    for (label, p50, p95) in rows {
        println!(
            "{label:<46} p50 {:>9}  p95 {:>9}  p95/baseline {:.2}x",
            ms(p50),
            ms(p95),
            p95.as_secs_f64() / baseline.as_secs_f64()
        );
    }
    s.finish().await;
    Ok(())
}

/// One pro-rata distribution over every investor, through the API.
async fn create_big(s: &Setup) -> Result<String> {
    let resp = s
        .client
        .post(format!("{}/api/distributions", s.base))
        .bearer_auth(&s.seeded.tokens.operator)
        .json(&pro_rata_body(&s.seeded.open_fund_id, "2026-03-16"))
        .send()
        .await?;
    if resp.status() != 201 {
        bail!("create: {} {}", resp.status(), resp.text().await?);
    }
    let v: Value = resp.json().await?;
    println!("the large distribution has {} lines", v["lineCount"]);
    Ok(v["id"].as_str().context("id")?.to_string())
}

/// `n` one-line distributions written straight through the store in one transaction (setup
/// only: the list page reads them like any other).
async fn fill(s: &Setup, n: usize) -> Result<()> {
    let bar = ProgressBar::new(n as u64).with_style(ProgressStyle::with_template(
        "seeding distributions {bar:30} {pos}/{len}",
    )?);
    let operator = s.operator();
    let day = |d: u32| {
        chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(u64::from(d))
    };
    let mut tx = s.fresh.db.begin().await?;
    for i in 0..n {
        let mut components = Components::default();
        components.set(ComponentKind::OrdinaryDividend, 10_000 + i as i64);
        let line = PlannedLine {
            investor_id: s.seeded.investor_ids[i % s.seeded.investor_ids.len()].clone(),
            units: None,
            total: 10_000 + i as i64,
            components,
        };
        let d = (i % 600) as u32;
        let new = NewDistribution {
            fund_id: s.seeded.open_fund_id.clone(),
            kind: Kind::Regular,
            status: Status::Draft,
            currency: clearway_core::money::Currency::parse("USD").map_err(anyhow::Error::msg)?,
            schedule: Schedule::new(day(d), None, day(d + 1), day(d + 5))
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            description: format!("bench {i}"),
            allocation: json!({ "method": "explicit" }),
            reverses_id: None,
            corrects_id: None,
            reason: None,
        };
        store::insert(&mut tx, &operator, &new, &[line]).await?;
        bar.inc(1);
    }
    tx.commit().await?;
    bar.finish_and_clear();
    Ok(())
}

/// Signs the operator in through the form; returns the `Cookie` header.
async fn sign_in(s: &Setup) -> Result<String> {
    let org = clearway_store::Actor::system(&s.seeded.org_id);
    clearway_app::access::web::set_password(
        &s.fresh.db,
        &org,
        &s.seeded.user_ids["operator"],
        PASSWORD,
    )
    .await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let login = client.get(format!("{}/login", s.base)).send().await?;
    let pre = cookie_of(&login, "clearway_csrf").context("csrf cookie")?;
    let resp = client
        .post(format!("{}/login", s.base))
        .header("Cookie", format!("clearway_csrf={pre}"))
        .form(&[
            ("_csrf", pre.as_str()),
            ("email", "operator@demo.clearway.dev"),
            ("password", PASSWORD),
        ])
        .send()
        .await?;
    let session = cookie_of(&resp, "clearway_session").context("signed in")?;
    Ok(format!("clearway_session={session}"))
}

fn cookie_of(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))?
                .split(';')
                .next()
                .map(str::to_string)
        })
}

/// The cursor of the list's second page (the 50th newest id).
async fn second_page_cursor(s: &Setup) -> Result<String> {
    let v: Value = s
        .client
        .get(format!("{}/api/distributions?limit=50", s.base))
        .bearer_auth(&s.seeded.tokens.operator)
        .send()
        .await?
        .json()
        .await?;
    Ok(v["nextCursor"].as_str().context("nextCursor")?.to_string())
}

/// Server times of `requests` GETs of `path` (after 5 warm-ups), from `Server-Timing`.
async fn timings(
    s: &Setup,
    path: &str,
    page: bool,
    cookie: &str,
    requests: usize,
) -> Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(requests);
    for i in 0..requests + 5 {
        let req = s.client.get(format!("{}{path}", s.base));
        let req = if page {
            req.header("Cookie", cookie)
        } else {
            req.bearer_auth(&s.seeded.tokens.operator)
        };
        let resp = req.send().await?;
        if !resp.status().is_success() {
            bail!("{path}: {}", resp.status());
        }
        let timing = resp
            .headers()
            .get("server-timing")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("app;dur="))
            .and_then(|v| v.parse::<f64>().ok())
            .context("Server-Timing")?;
        resp.bytes().await?;
        if i >= 5 {
            out.push(Duration::from_secs_f64(timing / 1000.0));
        }
    }
    Ok(out)
}

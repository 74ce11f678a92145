//! `bench tax`: year-end tax on a closed year of 12 monthly COMPLETED distributions of one
//! open-end USD fund, one line per investor each (ordinary, qualified, long-term gain and,
//! every third month, return of capital), with their withholding rows. Investors: certified
//! US with a sealed TIN, every 50th without TIN (backup withholding), every 100th foreign
//! (treaty GB, 1042-S). Seeding is bulk and untimed. Timed (median of `--runs`, each in its
//! own transaction, rolled back unless said): the 1099-DIV figures of all investors, issuing
//! every form (first issue; then, committed, a second pass where all are unchanged), and the
//! FIRE file (built, checked, stored, written to disk); the baseline is a plain scan of the
//! same lines in the same run.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clearway_app::payments::vault::Vault;
use clearway_app::tax::fire::{create_file, FireRequest};
use clearway_app::tax::forms::{self as forms, FundYear};
use clearway_core::access::Role;
use clearway_server::demo;
use clearway_store::db::Arg;
use clearway_store::tax::fire::file_content_tx;
use clearway_store::tax::forms::Span;
use clearway_store::testing::fresh_database;
use clearway_store::{new_id, now_text, q, Actor, Db, DbOptions};

use super::{median, ms};

/// The benchmark's tax year (closed before anything is timed).
const YEAR: i32 = 2025;

/// Payable dates of the year's monthly distributions (business days).
const PAYABLE: [&str; 12] = [
    "2025-01-31",
    "2025-02-28",
    "2025-03-31",
    "2025-04-30",
    "2025-05-30",
    "2025-06-30",
    "2025-07-31",
    "2025-08-29",
    "2025-09-30",
    "2025-10-31",
    "2025-11-28",
    "2025-12-31",
];

/// What a run measured and produced (the test checks the counts).
#[derive(Debug, Clone, Default)]
pub(super) struct TaxFigures {
    /// 1099-DIVs computed (US investors).
    pub forms: usize,
    /// Forms issued by the first pass (1099-DIV and 1042-S).
    pub issued: u64,
    /// Forms found unchanged by the second pass.
    pub unchanged: u64,
    /// B records of the FIRE file.
    pub payees: i64,
}

/// The benchmark.
pub(super) async fn tax(
    database_url: Option<&str>,
    investors: usize,
    runs: usize,
) -> Result<TaxFigures> {
    if investors == 0 || runs == 0 {
        bail!("--investors and --runs must be at least 1");
    }
    let fresh = fresh_database(database_url, &DbOptions { max_connections: 8 })
        .await
        .context("creating a fresh database")?;
    let db = fresh.db.clone();
    let seeding = Instant::now();
    let (admin, fund_id) = seed(&db, investors).await?;
    println!(
        "backend: {:?}, investors: {investors}, lines: {} (12 monthly distributions of {YEAR}), runs: {runs}; seeded in {}",
        db.backend(),
        12 * investors,
        ms(seeding.elapsed())
    );
    let out = measure(&db, &admin, &fund_id, runs).await;
    fresh.drop_database().await;
    out
}

/// The timed steps and the table.
async fn measure(db: &Db, admin: &Actor, fund_id: &str, runs: usize) -> Result<TaxFigures> {
    let mut got = TaxFigures::default();
    let (mut base, mut figs, mut first, mut again, mut fire) =
        (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        base.push(baseline(db).await?);
        let (took, n) = figures_once(db, admin, fund_id).await?;
        figs.push(took);
        got.forms = n;
        let (took, issued) = issue_once(db, admin, fund_id, false).await?;
        first.push(took);
        got.issued = issued.issued;
    }
    // Issued for good, so the second pass finds them all and the FIRE file has its payees.
    issue_once(db, admin, fund_id, true).await?;
    // The file is written as the CLI writes it, then removed.
    let path = std::env::temp_dir().join(format!("clearway-bench-IRSTAX-{}", new_id()));
    for _ in 0..runs {
        let (took, issued) = issue_once(db, admin, fund_id, false).await?;
        again.push(took);
        got.unchanged = issued.unchanged;
        let (took, payees) = fire_once(db, admin, &path).await?;
        fire.push(took);
        got.payees = payees;
    }
    let _ = std::fs::remove_file(&path);
    let base = median(&mut base);
    let row = |step: &str, d: Duration, target: Option<f64>| {
        let ratio = d.as_secs_f64() / base.as_secs_f64().max(1e-9);
        let (t, met) = match target {
            Some(t) => (
                format!("<= {t:.0} s"),
                if d.as_secs_f64() <= t { "yes" } else { "NO" },
            ),
            None => ("-".into(), "-"),
        };
        println!("{step:<44} {:>12} {ratio:>9.1}x {t:>9} {met:>5}", ms(d));
    };
    println!(
        "{:<44} {:>12} {:>10} {:>9} {:>5}",
        "step", "median", "ratio", "target", "met"
    );
    row("baseline: COUNT/SUM scan of the lines", base, None);
    row(
        &format!("1099-DIV figures ({} forms)", got.forms),
        median(&mut figs),
        Some(10.0),
    );
    row(
        &format!("issue all forms, first ({} issued)", got.issued),
        median(&mut first),
        None,
    );
    row(
        &format!("issue all forms, again ({} unchanged)", got.unchanged),
        median(&mut again),
        None,
    );
    row(
        &format!("FIRE file ({} payees)", got.payees),
        median(&mut fire),
        Some(2.0),
    );
    Ok(got)
}

/// The baseline: one plain scan of the same lines.
async fn baseline(db: &Db) -> Result<Duration> {
    let started = Instant::now();
    // benchmark baseline: the plainest read of the lines the figures sum.
    let row = db
        .fetch_optional(q(
            "SELECT COUNT(*) AS n, SUM(total_minor) AS s FROM distribution_lines",
        ))
        .await?
        .context("no row")?;
    let n = row.i64("n")?;
    let took = started.elapsed();
    if n == 0 {
        bail!("no lines");
    }
    Ok(took)
}

/// All investors' 1099-DIV figures, as the API and the bulk run compute them.
async fn figures_once(db: &Db, admin: &Actor, fund_id: &str) -> Result<(Duration, usize)> {
    let started = Instant::now();
    let mut tx = db.begin().await?;
    let fy = fund_year(&mut tx, admin, fund_id).await?;
    let forms = forms::div_forms(&mut tx, admin, &fy, Span::All)
        .await
        .map_err(app)?;
    drop(tx);
    Ok((started.elapsed(), forms.len()))
}

/// One issue pass over every investor (1099-DIV and 1042-S), committed or rolled back.
async fn issue_once(
    db: &Db,
    admin: &Actor,
    fund_id: &str,
    commit: bool,
) -> Result<(Duration, forms::Issued)> {
    let started = Instant::now();
    let mut tx = db.begin().await?;
    let fy = fund_year(&mut tx, admin, fund_id).await?;
    let issued = forms::issue_span(&mut tx, admin, &fy, Span::All)
        .await
        .map_err(app)?;
    if commit {
        tx.commit().await?;
    }
    Ok((started.elapsed(), issued))
}

/// The FIRE file as `clearway tax fire` makes it (TINs revealed through the vault, built,
/// checked, stored, read back, written to disk), rolled back so every run files the same forms.
async fn fire_once(db: &Db, admin: &Actor, path: &std::path::Path) -> Result<(Duration, i64)> {
    let req = FireRequest {
        year: YEAR,
        corrected: false,
        test: false,
    };
    let vault = clearway_app::payments::vault::Vault::dev();
    let mut tx = db.begin().await?;
    let started = Instant::now();
    let file = create_file(&mut tx, admin, &vault, req)
        .await
        .map_err(app)?;
    let (_, content) = file_content_tx(&mut tx, admin, &file.id).await?;
    std::fs::write(path, content.as_bytes())?;
    let took = started.elapsed();
    drop(tx);
    Ok((took, file.payees))
}

async fn fund_year(tx: &mut clearway_store::Tx, admin: &Actor, fund_id: &str) -> Result<FundYear> {
    forms::fund_year(tx, admin, fund_id, YEAR)
        .await
        .map_err(app)
}

fn app(e: clearway_app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// The seeded database: the demo organization and fund, then in bulk the fund's tax
/// settings, the transmitter, profiles, mailing addresses, the year's distributions with
/// their lines and withholding; the year closed. Returns the admin and the fund.
async fn seed(db: &Db, investors: usize) -> Result<(Actor, String)> {
    let mut options = demo::Options::demo(investors);
    options.history = false;
    options.elections = false;
    let seeded = demo::seed(db, &options).await?;
    let admin = Actor {
        user_id: seeded.user_ids[Role::Admin.as_str()].clone(),
        org_id: seeded.org_id.clone(),
        role: Role::Admin,
        investor_id: None,
    };
    let fund = seeded.open_fund_id.clone();
    let ids = &seeded.investor_ids;
    let mut tx = db.begin().await?;
    seed_settings(&mut tx, &admin, &fund).await?;
    seed_profile_rows(&mut tx, &admin, ids).await?;
    seed_addresses(&mut tx, &admin, ids).await?;
    tx.commit().await?;
    for (month, payable) in PAYABLE.iter().enumerate() {
        let mut tx = db.begin().await?;
        seed_distribution(&mut tx, &admin, &fund, ids, month, payable).await?;
        tx.commit().await?;
    }
    for table in [
        "distribution_lines",
        "distributions",
        "line_withholdings",
        "tax_profiles",
        "bank_accounts",
    ] {
        db.execute_script(&format!("ANALYZE {table}")).await?;
    }
    let mut tx = db.begin().await?;
    let today = chrono::NaiveDate::from_ymd_opt(YEAR + 1, 1, 15).context("date")?;
    clearway_app::tax::years::close(&mut tx, &admin, YEAR, today)
        .await
        .map_err(app)?;
    tx.commit().await?;
    Ok((admin, fund))
}

/// The fund as payer and the organization as transmitter.
async fn seed_settings(tx: &mut clearway_store::Tx, admin: &Actor, fund: &str) -> Result<()> {
    let now = now_text();
    let org = admin.org_id.as_str();
    tx.bulk_insert(
        "fund_tax_settings",
        &[
            "fund_id",
            "org_id",
            "capital_gain_exempt",
            "short_term_gain_exempt",
            "interest_related_exempt",
            "interest_is_exempt_interest",
            "section199a_percent",
            "payer_tin",
            "payer_name",
            "payer_address",
            "payer_city",
            "payer_state",
            "payer_zip",
            "payer_phone",
            "updated_at",
        ],
        &[vec![
            fund.into(),
            org.into(),
            1i64.into(),
            0i64.into(),
            0i64.into(),
            0i64.into(),
            "0".into(),
            "123456789".into(),
            "Demo Open Fund".into(),
            "1 Market Street".into(),
            "San Francisco".into(),
            "CA".into(),
            "94105".into(),
            "4155550100".into(),
            now.as_str().into(),
        ]],
    )
    .await?;
    tx.bulk_insert(
        "tax_transmitters",
        &[
            "org_id",
            "tcc",
            "tin",
            "name",
            "address",
            "city",
            "state",
            "zip",
            "contact_name",
            "contact_phone",
            "contact_email",
            "updated_at",
        ],
        &[vec![
            org.into(),
            "12ABC".into(),
            "987654321".into(),
            "Clearway Demo Transmitter".into(),
            "1 Market Street".into(),
            "San Francisco".into(),
            "CA".into(),
            "94105".into(),
            "Tax Desk".into(),
            "4155550100".into(),
            "tax@example.com".into(),
            now.as_str().into(),
        ]],
    )
    .await?;
    Ok(())
}

/// Whom investor `i` is: 0 certified US with TIN, 1 missing TIN, 2 treaty foreign (GB).
fn kind(i: usize) -> u8 {
    if i % 100 == 3 {
        2
    } else if i % 50 == 7 {
        1
    } else {
        0
    }
}

/// The investors' tax profiles, TINs sealed with the development vault.
async fn seed_profile_rows(
    tx: &mut clearway_store::Tx,
    admin: &Actor,
    ids: &[String],
) -> Result<()> {
    let vault = Vault::dev();
    let now = now_text();
    let mut rows = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let k = kind(i);
        let sealed = if k == 0 {
            Some(vault.seal(&format!("{:09}", 100_000_000 + i))?)
        } else {
            None
        };
        let (status, residency, cert, country, claim) = match k {
            0 => ("CERTIFIED", "US", "W-9", None, 0i64),
            1 => ("MISSING", "US", "W-9", None, 0),
            _ => ("CERTIFIED", "FOREIGN", "W-8BEN", Some("GB"), 1),
        };
        rows.push(vec![
            id.as_str().into(),
            admin.org_id.as_str().into(),
            sealed.as_ref().map(|_| "SSN").into(),
            sealed.as_ref().map(|s| s.ciphertext.clone()).into(),
            sealed.as_ref().map(|s| s.key_id.clone()).into(),
            sealed.as_ref().map(|s| s.last4.clone()).into(),
            status.into(),
            residency.into(),
            cert.into(),
            country.into(),
            claim.into(),
            (if k == 2 {
                None
            } else {
                Some(["CA", "NY", "TX"][i % 3])
            })
            .into(),
            0i64.into(),
            "bench".into(),
            now.as_str().into(),
            1i64.into(),
        ]);
    }
    tx.bulk_insert(
        "tax_profiles",
        &[
            "investor_id",
            "org_id",
            "tin_type",
            "tin_enc",
            "tin_key_id",
            "tin_last4",
            "tin_status",
            "residency",
            "certificate",
            "country",
            "treaty_claim",
            "residence_state",
            "fatca_filing",
            "updated_by",
            "updated_at",
            "version",
        ],
        &rows,
    )
    .await?;
    Ok(())
}

/// A mailing address per investor (a verified, non-default check payee), which the FIRE
/// file's B record takes.
async fn seed_addresses(tx: &mut clearway_store::Tx, admin: &Actor, ids: &[String]) -> Result<()> {
    // The FIRE file takes a US address first, so the demo's payees abroad do not interfere.
    let now = now_text();
    let rows: Vec<Vec<Arg>> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let address = serde_json::json!({ "lines": [format!("{} Main Street", 10 + i)], "city": "Springfield", "region": "IL", "postalCode": "62701", "country": "US" });
            vec![
                new_id().into(),
                admin.org_id.as_str().into(),
                id.as_str().into(),
                "CHECK".into(),
                "VERIFIED".into(),
                0i64.into(),
                format!("Investor {i}").into(),
                "USD".into(),
                address.to_string().into(),
                "ADDRESS".into(),
                now.as_str().into(),
                now.as_str().into(),
                now.as_str().into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "bank_accounts",
        &[
            "id",
            "org_id",
            "investor_id",
            "method",
            "status",
            "is_default",
            "holder_name",
            "currency",
            "address",
            "verification_method",
            "verified_at",
            "created_at",
            "updated_at",
        ],
        &rows,
    )
    .await?;
    Ok(())
}

/// Investor `i`'s components in month `m`: [ordinary, qualified, st gain, lt gain, roc,
/// interest] in cents; return of capital every third month.
fn components(i: usize, m: usize) -> [i64; 6] {
    let total = 1_000 + (i % 97) as i64 * 37 + m as i64 * 11;
    let qualified = total * 4 / 10;
    let ordinary = total * 3 / 10;
    let roc = if m % 3 == 2 { total / 10 } else { 0 };
    let lt = total - qualified - ordinary - roc;
    [ordinary, qualified, 0, lt, roc, 0]
}

/// Withholding per component and the rates (percent): backup 24 % on all but return of
/// capital; treaty 15 % on dividends, long-term gain exempt (the fund designates it).
fn withheld(k: u8, c: &[i64; 6]) -> ([i64; 6], [&'static str; 6], &'static str) {
    let pct = |x: i64, p: i64| (x * p + 50) / 100;
    match k {
        1 => (
            [
                pct(c[0], 24),
                pct(c[1], 24),
                pct(c[2], 24),
                pct(c[3], 24),
                0,
                pct(c[5], 24),
            ],
            ["24", "24", "24", "24", "0", "24"],
            "BACKUP",
        ),
        2 => (
            [pct(c[0], 15), pct(c[1], 15), 0, 0, 0, 0],
            ["15", "15", "0", "0", "0", "0"],
            "CHAPTER3",
        ),
        _ => ([0; 6], ["0"; 6], "NONE"),
    }
}

/// Month `month`'s COMPLETED distribution with one line per investor and its withholding.
async fn seed_distribution(
    tx: &mut clearway_store::Tx,
    admin: &Actor,
    fund: &str,
    ids: &[String],
    month: usize,
    payable: &str,
) -> Result<()> {
    let id = new_id();
    let now = now_text();
    let org = admin.org_id.as_str();
    let mut lines = Vec::with_capacity(ids.len());
    let mut holds = Vec::with_capacity(ids.len());
    let mut total = 0i64;
    for (i, investor) in ids.iter().enumerate() {
        let c = components(i, month);
        let (w, rates, regime) = withheld(kind(i), &c);
        let federal: i64 = w.iter().sum();
        let line_total: i64 = c.iter().sum();
        total += line_total;
        let mut line: Vec<Arg> = vec![id.as_str().into(), org.into(), investor.as_str().into()];
        line.push(line_total.into());
        line.extend(c.iter().map(|x| Arg::from(*x)));
        line.extend([0i64.into(), federal.into(), "PAID".into()]);
        lines.push(line);
        let mut hold: Vec<Arg> = vec![
            id.as_str().into(),
            investor.as_str().into(),
            org.into(),
            fund.into(),
            "USD".into(),
            payable.into(),
            regime.into(),
        ];
        hold.extend(w.iter().map(|x| Arg::from(*x)));
        hold.push(federal.into());
        hold.push(serde_json::to_string(&rates)?.into());
        hold.extend([Arg::from(None::<String>), 0i64.into()]);
        hold.push(
            (if kind(i) == 1 {
                Some("TIN_MISSING")
            } else {
                None
            })
            .into(),
        );
        hold.push(now.as_str().into());
        holds.push(hold);
    }
    let record = format!("{}-15", &payable[..7]);
    let declared = format!("{}-01", &payable[..7]);
    tx.bulk_insert(
        "distributions",
        &[
            "id",
            "org_id",
            "fund_id",
            "kind",
            "status",
            "currency",
            "declaration_date",
            "record_date",
            "payable_date",
            "description",
            "allocation",
            "total_minor",
            "line_count",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ],
        &[vec![
            id.as_str().into(),
            org.into(),
            fund.into(),
            "REGULAR".into(),
            "COMPLETED".into(),
            "USD".into(),
            declared.into(),
            record.into(),
            payable.into(),
            format!("bench tax {payable}").into(),
            "{}".into(),
            total.into(),
            (ids.len() as i64).into(),
            admin.user_id.as_str().into(),
            now.as_str().into(),
            now.as_str().into(),
            1i64.into(),
        ]],
    )
    .await?;
    tx.bulk_insert(
        "distribution_lines",
        &[
            "distribution_id",
            "org_id",
            "investor_id",
            "total_minor",
            "ordinary_minor",
            "qualified_minor",
            "st_gain_minor",
            "lt_gain_minor",
            "roc_minor",
            "interest_minor",
            "foreign_tax_minor",
            "withholding_minor",
            "status",
        ],
        &lines,
    )
    .await?;
    tx.bulk_insert(
        "line_withholdings",
        &[
            "distribution_id",
            "investor_id",
            "org_id",
            "fund_id",
            "currency",
            "payable_date",
            "regime",
            "fed_ordinary_minor",
            "fed_qualified_minor",
            "fed_st_gain_minor",
            "fed_lt_gain_minor",
            "fed_roc_minor",
            "fed_interest_minor",
            "federal_minor",
            "rates",
            "state",
            "state_minor",
            "flag",
            "created_at",
        ],
        &holds,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 50 investors on SQLite: every step runs and the counts are those of the seed.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_tax_bench_runs_on_fifty_investors() {
        let got = tax(None, 50, 1).await.expect("bench");
        // 50 investors: one foreign (i = 3), no 1099-DIV.
        assert_eq!(got.forms, 49);
        // Every 1099-DIV is over $10 (12 x at least $10), plus the 1042-S of the foreign one.
        assert_eq!(got.issued, 50);
        assert_eq!(got.unchanged, 50);
        assert_eq!(got.payees, 49);
    }
}

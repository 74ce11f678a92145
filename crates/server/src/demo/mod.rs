//! Demo and test data: one organization with an open-end fund (`DEMO-OPEN`, NAV history and
//! three years of monthly dividends), a partnership (`DEMO-LP`, commitments and quarterly
//! distributions) and a money-market fund (`DEMO-MMF`, stable NAV, the alternative vehicle of
//! reinvestment), N investors with awkward holdings and their opening tax lots, a mix of
//! reinvestment elections, and one user per role with API tokens.
//!
//! Deterministic for a given seed, and bulk-loaded so that 10,000 investors take seconds.

mod inkind;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use clearway_core::access::Role;
use clearway_core::allocation::{per_share_amount, ComponentRatios};
use clearway_core::capital::PartnerKind;
use clearway_core::distribution::{
    plan_lines, Action, Allocation, ComponentKind, FundKind, Kind, Schedule, Status,
};
use clearway_core::reinvestment::ElectionKind;
use clearway_core::Currency;
use clearway_store::audit::{self, Change};
use clearway_store::capital::{self as store_capital, NewCommitment};
use clearway_store::db::Arg;
use clearway_store::distributions::{self as store, NewDistribution};
use clearway_store::funds::{self, Investor, NewFund, NewInvestor};
use clearway_store::reinvestment::{self, ElectionRecord, NewLot};
use clearway_store::{auth, Actor, Db, StoreError, Tx};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

/// Name of the demo organization (seeding is skipped when it exists).
pub const DEMO_ORG: &str = "Demo Capital Partners";

/// API tokens of the demo users, one per role.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Tokens {
    /// Admin.
    pub admin: String,
    /// Operator (maker).
    pub operator: String,
    /// Approver (checker).
    pub approver: String,
    /// Investor user (sees only the first investor's data).
    pub investor: String,
    /// Auditor (read-only).
    pub auditor: String,
    /// Web sign-in per role (email and password), set by the `demo` command.
    #[serde(default, rename = "signIn", skip_serializing_if = "BTreeMap::is_empty")]
    pub sign_in: BTreeMap<String, SignInDetails>,
}

/// A demo user's web sign-in.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SignInDetails {
    /// Email (the sign-in name).
    pub email: String,
    /// Password (random per `demo` run).
    pub password: String,
}

/// Gives each demo user (one per role) a new random password for the web pages, replacing
/// the one set before; returns them per role.
pub async fn set_passwords(
    db: &Db,
    org_id: &str,
) -> Result<BTreeMap<String, SignInDetails>, clearway_app::AppError> {
    let org = Actor::system(org_id);
    let mut out = BTreeMap::new();
    for role in Role::ALL {
        let mut tx = db.begin().await?;
        let user = auth::first_user_with_role_tx(&mut tx, &org, role)
            .await?
            .ok_or(StoreError::NotFound("demo user"))?;
        let email = auth::user_tx(&mut tx, &org, &user).await?.email;
        tx.commit().await?;
        // 20 hex characters: 80 bits, typed from the printed list.
        let password = clearway_app::access::web::random_secret()?[..20].to_string();
        clearway_app::access::web::set_password(db, &org, &user, &password).await?;
        out.insert(role.as_str().to_string(), SignInDetails { email, password });
    }
    Ok(out)
}

/// What was seeded.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Seeded {
    /// Organization id.
    pub org_id: String,
    /// Tokens per role.
    pub tokens: Tokens,
    /// Open-end fund id.
    pub open_fund_id: String,
    /// Partnership fund id.
    pub lp_fund_id: String,
    /// Money-market fund id (alternative reinvestment vehicle).
    pub mmf_fund_id: String,
    /// Investor ids, sorted.
    pub investor_ids: Vec<String>,
    /// The investor the investor user represents.
    pub investor_user_investor_id: String,
    /// User ids per role.
    pub user_ids: BTreeMap<String, String>,
}

/// Options of [`seed`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Number of investors.
    pub investors: usize,
    /// Organization name.
    pub org_name: String,
    /// Seed of the pseudo-random holdings and NAVs.
    pub seed: u64,
    /// Seed the historical distributions (3 years monthly, quarterly for the LP).
    pub history: bool,
    /// Today (history ends before it).
    pub today: NaiveDate,
    /// Keys sealing the demo payees' account numbers (must match the server's).
    pub vault: crate::payments::Vault,
    /// Seed a mix of reinvestment elections (see [`seed_elections`]).
    pub elections: bool,
}

impl Options {
    /// Demo defaults for `investors` investors.
    pub fn demo(investors: usize) -> Options {
        Options {
            investors,
            org_name: DEMO_ORG.into(),
            seed: 42,
            history: true,
            today: chrono::Utc::now().date_naive(),
            vault: crate::payments::Vault::dev(),
            elections: true,
        }
    }
}

/// splitmix64: a tiny deterministic generator, enough for demo data.
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

const FIRST_NAMES: [&str; 12] = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "John",
    "Katherine",
    "Linus",
    "Margaret",
    "Niklaus",
];
const LAST_NAMES: [&str; 12] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Johnson",
    "Torvalds", "Hamilton", "Wirth",
];
const ENTITY_TYPES: [&str; 5] = ["INDIVIDUAL", "INDIVIDUAL", "TRUST", "CORPORATION", "IRA"];

/// The organization's id if a demo organization with this name exists (the first by id).
pub async fn existing_org(db: &Db, name: &str) -> Result<Option<String>, StoreError> {
    Ok(auth::organizations(db)
        .await?
        .into_iter()
        .find(|o| o.name == name)
        .map(|o| o.id))
}

/// The name of the tokens the demo issues (and revokes when it issues new ones).
pub const DEMO_TOKEN_NAME: &str = "demo";

/// A demo token for `user`: the user's role, no expiry.
async fn demo_token(tx: &mut Tx, org: &Actor, user: &str) -> Result<String, StoreError> {
    let new = auth::NewToken {
        user_id: user,
        name: DEMO_TOKEN_NAME,
        scope: None,
        expires_at: None,
    };
    Ok(auth::issue_token(tx, org, &new).await?.token)
}

/// Issues fresh tokens for the demo users of an existing organization, revoking the demo
/// tokens issued before (so a token file from an earlier run stops working).
pub async fn reissue_tokens(db: &Db, org_id: &str) -> Result<Tokens, StoreError> {
    let org = Actor::system(org_id);
    let mut tx = db.begin().await?;
    let mut tokens = BTreeMap::new();
    for role in Role::ALL {
        let user = auth::first_user_with_role_tx(&mut tx, &org, role)
            .await?
            .ok_or(StoreError::NotFound("demo user"))?;
        auth::revoke_named_tokens(&mut tx, &org, &user, DEMO_TOKEN_NAME).await?;
        tokens.insert(role, demo_token(&mut tx, &org, &user).await?);
    }
    tx.commit().await?;
    Ok(Tokens::from_map(&tokens))
}

impl Tokens {
    fn from_map(tokens: &BTreeMap<Role, String>) -> Tokens {
        Tokens {
            admin: tokens[&Role::Admin].clone(),
            operator: tokens[&Role::Operator].clone(),
            approver: tokens[&Role::Approver].clone(),
            investor: tokens[&Role::Investor].clone(),
            auditor: tokens[&Role::Auditor].clone(),
            sign_in: BTreeMap::new(),
        }
    }
}

fn business_days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days()
        .take_while(move |d| *d <= to)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
}

fn month_start(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("first of month exists")
}

fn add_months(d: NaiveDate, months: i32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + months;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
        .expect("valid month")
}

mod capital;
mod notices;
mod private;

/// Seeds the demo organization; see the module docs.
pub async fn seed(db: &Db, options: &Options) -> Result<Seeded, StoreError> {
    let mut rng = Rng(options.seed);
    let mut tx = db.begin().await?;
    let org_id = auth::create_org(&mut tx, &options.org_name).await?;
    let (investor_ids, new_investors) = seed_investors(&mut tx, &org_id, options).await?;
    let users = seed_users(&mut tx, &org_id, &investor_ids[0]).await?;
    let operator = &users.operator;
    let open_fund_id = create_fund(&mut tx, operator, "DEMO-OPEN", FundKind::OpenEnd, 4).await?;
    let lp_fund_id = create_fund(&mut tx, operator, "DEMO-LP", FundKind::Partnership, 6).await?;
    let start = add_months(month_start(options.today), -36);
    let positions = seed_positions(
        &mut tx,
        operator,
        &open_fund_id,
        &investor_ids,
        start,
        &mut rng,
    )
    .await?;
    seed_partnership(
        &mut tx,
        operator,
        &lp_fund_id,
        &investor_ids,
        start,
        &mut rng,
    )
    .await?;
    let navs = seed_navs(
        &mut tx,
        operator,
        &open_fund_id,
        start,
        options.today,
        &mut rng,
    )
    .await?;
    seed_payees(
        &mut tx,
        operator,
        &investor_ids,
        &new_investors,
        options,
        &mut rng,
    )
    .await?;
    let mmf_fund_id = seed_money_market(&mut tx, operator, &navs).await?;
    seed_opening_lots(&mut tx, operator, &open_fund_id, &positions, &navs).await?;
    if options.elections {
        let org = Actor::system(&org_id);
        seed_elections(
            &mut tx,
            &org,
            &investor_ids,
            &open_fund_id,
            &mmf_fund_id,
            start,
        )
        .await?;
    }
    tx.commit().await?;
    if options.history {
        let funds = (open_fund_id.as_str(), lp_fund_id.as_str());
        seed_history(db, options, &mut rng, &users, funds, start).await?;
        capital::seed(db, operator, &lp_fund_id, start).await?;
        private::seed(db, operator, &lp_fund_id).await?;
        // The tour's in-kind position (tests seed without history, and build their own).
        inkind::seed(db, &users.operator, &lp_fund_id).await?;
        notices::seed(db, operator, &open_fund_id, &investor_ids).await?;
    }
    Ok(Seeded {
        org_id,
        tokens: Tokens::from_map(&users.tokens),
        open_fund_id,
        lp_fund_id,
        mmf_fund_id,
        investor_user_investor_id: investor_ids[0].clone(),
        investor_ids,
        user_ids: users.ids,
    })
}

/// The demo investors (awkward names, a few UK residents); returns their ids, sorted (UUIDv7
/// are increasing, so creation order is id order), and what was created.
async fn seed_investors(
    tx: &mut Tx,
    org_id: &str,
    options: &Options,
) -> Result<(Vec<String>, Vec<NewInvestor>), StoreError> {
    let new_investors: Vec<NewInvestor> = (0..options.investors)
        .map(|i| NewInvestor {
            name: format!(
                "{} {} #{}",
                FIRST_NAMES[i % 12],
                LAST_NAMES[(i / 12) % 12],
                i + 1
            ),
            entity_type: ENTITY_TYPES[i % ENTITY_TYPES.len()].into(),
            tax_residence: if i % 17 == 0 {
                "GB".into()
            } else {
                "US".into()
            },
            email: Some(format!("investor{}@example.com", i + 1)),
        })
        .collect();
    let bootstrap = Actor::system(org_id);
    let mut investor_ids = funds::create_investors(tx, &bootstrap, &new_investors).await?;
    investor_ids.sort();
    Ok((investor_ids, new_investors))
}

/// The demo users, one per role, with their tokens, and the maker and checker of the history.
struct Users {
    ids: BTreeMap<String, String>,
    tokens: BTreeMap<Role, String>,
    operator: Actor,
    approver: Actor,
}

/// One user per role (the investor user represents `investor_id`), each with a token.
async fn seed_users(tx: &mut Tx, org_id: &str, investor_id: &str) -> Result<Users, StoreError> {
    let mut ids = BTreeMap::new();
    let mut tokens = BTreeMap::new();
    for role in Role::ALL {
        let investor = (role == Role::Investor).then_some(investor_id);
        let name = format!("Demo {}", role.as_str());
        let email = format!("{}@demo.clearway.dev", role.as_str());
        let org = Actor::system(org_id);
        let new = auth::NewUser {
            name: &name,
            email: &email,
            role,
            investor_id: investor,
        };
        let user = auth::create_user(tx, &org, &new).await?;
        tokens.insert(role, demo_token(tx, &org, &user).await?);
        ids.insert(role.as_str().to_string(), user);
    }
    let staff = |role: Role| Actor {
        user_id: ids[role.as_str()].clone(),
        org_id: org_id.to_string(),
        role,
        investor_id: None,
    };
    let (operator, approver) = (staff(Role::Operator), staff(Role::Approver));
    Ok(Users {
        ids,
        tokens,
        operator,
        approver,
    })
}

/// Creates one of the demo funds (USD); its name follows from its code.
async fn create_fund(
    tx: &mut Tx,
    operator: &Actor,
    code: &str,
    kind: FundKind,
    share_precision: u32,
) -> Result<String, StoreError> {
    let name = match code {
        "DEMO-OPEN" => "Demo Income Fund (open-end)",
        "DEMO-LP" => "Demo Growth Partners LP",
        _ => "Demo Money Market Fund",
    };
    let fund = NewFund {
        code,
        name,
        kind,
        currency: Currency::USD,
        share_precision,
    };
    funds::create_fund(tx, operator, &fund).await
}

/// Open-end holdings at `start` and at the change half-way through the history.
struct Positions {
    start: NaiveDate,
    holdings: Vec<(String, Decimal)>,
    mid: NaiveDate,
    changed: Vec<(String, Decimal)>,
}

/// Open-end holdings: awkward share counts with 4 decimals; every seventh investor changes
/// half-way through.
async fn seed_positions(
    tx: &mut Tx,
    operator: &Actor,
    fund_id: &str,
    investor_ids: &[String],
    start: NaiveDate,
    rng: &mut Rng,
) -> Result<Positions, StoreError> {
    let holdings: Vec<(String, Decimal)> = investor_ids
        .iter()
        .map(|id| {
            (
                id.clone(),
                Decimal::new(demo_i64(rng.below(5_000_000) + 1), 4),
            )
        })
        .collect();
    funds::record_holdings(tx, operator, fund_id, start, &holdings).await?;
    let mid = add_months(start, 18);
    let changed: Vec<(String, Decimal)> = holdings
        .iter()
        .step_by(7)
        .map(|(id, u)| {
            (
                id.clone(),
                *u + Decimal::new(demo_i64(rng.below(100_000)), 3),
            )
        })
        .collect();
    funds::record_holdings(tx, operator, fund_id, mid, &changed).await?;
    Ok(Positions {
        start,
        holdings,
        mid,
        changed,
    })
}

/// Partnership: commitments of $250 to $1,000,000 (the last investor is the general partner,
/// its commitment an LP interest too), dated a month before the fund's start, and ownership
/// percentages (6 decimals) that sum to about 100.
async fn seed_partnership(
    tx: &mut Tx,
    operator: &Actor,
    fund_id: &str,
    investor_ids: &[String],
    start: NaiveDate,
    rng: &mut Rng,
) -> Result<(), StoreError> {
    let last = investor_ids.len().saturating_sub(1);
    let commitments: Vec<NewCommitment> = investor_ids
        .iter()
        .enumerate()
        .map(|(i, id)| NewCommitment {
            investor_id: id.clone(),
            kind: if i == last && i > 0 {
                PartnerKind::Gp
            } else {
                PartnerKind::Lp
            },
            committed_minor: (demo_i64(rng.below(4_000)) + 1) * 25_000,
            date: start - Duration::days(30),
        })
        .collect();
    store_capital::insert_commitments(tx, operator, fund_id, &commitments).await?;
    let committed_total: i64 = commitments.iter().map(|c| c.committed_minor).sum();
    let ownership: Vec<(String, Decimal)> = commitments
        .iter()
        .map(|c| {
            let pct = Decimal::from(c.committed_minor) * Decimal::from(100)
                / Decimal::from(committed_total);
            (c.investor_id.clone(), pct.round_dp(6))
        })
        .collect();
    funds::record_holdings(tx, operator, fund_id, start, &ownership).await
}

/// NAV of the open-end fund: a random walk from 10.0000 on every business day.
async fn seed_navs(
    tx: &mut Tx,
    operator: &Actor,
    fund_id: &str,
    start: NaiveDate,
    today: NaiveDate,
    rng: &mut Rng,
) -> Result<Vec<(NaiveDate, Decimal)>, StoreError> {
    let mut nav = Decimal::new(10_0000, 4);
    let navs: Vec<(NaiveDate, Decimal)> = business_days(start, today)
        .map(|d| {
            let step = Decimal::new(demo_i64(rng.below(41)) - 20, 4);
            nav = (nav + step).max(Decimal::new(5_0000, 4));
            (d, nav)
        })
        .collect();
    funds::record_navs(tx, operator, fund_id, &navs, "demo").await?;
    Ok(navs)
}

/// Money-market fund: stable NAV of 1.0000 on the open-end fund's NAV days, three-decimal
/// shares; returns its id.
async fn seed_money_market(
    tx: &mut Tx,
    operator: &Actor,
    navs: &[(NaiveDate, Decimal)],
) -> Result<String, StoreError> {
    let fund_id = create_fund(tx, operator, "DEMO-MMF", FundKind::OpenEnd, 3).await?;
    let stable: Vec<(NaiveDate, Decimal)> = navs
        .iter()
        .map(|(d, _)| (*d, Decimal::new(1_0000, 4)))
        .collect();
    funds::record_navs(tx, operator, &fund_id, &stable, "demo").await?;
    Ok(fund_id)
}

/// Opening tax lots of the open-end holdings, at the NAV of the day they were recorded.
async fn seed_opening_lots(
    tx: &mut Tx,
    operator: &Actor,
    fund_id: &str,
    p: &Positions,
    navs: &[(NaiveDate, Decimal)],
) -> Result<(), StoreError> {
    // The latest NAV on or before `d`; before the first NAV, the first (the walk starts on
    // the first business day of the history); with no NAV at all (a history of weekend days
    // only), 1.
    let nav_on = |d: NaiveDate| {
        navs.iter()
            .take_while(|(x, _)| *x <= d)
            .last()
            .or(navs.first())
            .map(|(_, n)| *n)
            .unwrap_or(Decimal::ONE)
    };
    let mut lots = opening_lots(fund_id, p.start, nav_on(p.start), &p.holdings, None)?;
    lots.extend(opening_lots(
        fund_id,
        p.mid,
        nav_on(p.mid),
        &p.changed,
        Some(&p.holdings),
    )?);
    reinvestment::insert_lots(tx, operator, &lots).await
}

/// A small pseudo-random draw as i64 (every draw of the demo is far below i64::MAX).
fn demo_i64(n: u64) -> i64 {
    i64::try_from(n).expect("demo draws are small")
}

/// One opening lot per holding: the units bought on `date` (the increase over `before` when
/// given), at `nav`, cost rounded half-up to the cent.
fn opening_lots(
    fund_id: &str,
    date: NaiveDate,
    nav: Decimal,
    holdings: &[(String, Decimal)],
    before: Option<&[(String, Decimal)]>,
) -> Result<Vec<NewLot>, StoreError> {
    // No earlier holdings: every unit is new.
    let before: std::collections::HashMap<&str, Decimal> = before
        .unwrap_or(&[])
        .iter()
        .map(|(i, u)| (i.as_str(), *u))
        .collect();
    holdings
        .iter()
        .filter_map(|(investor, units)| {
            // An investor absent before held nothing.
            let earlier = before
                .get(investor.as_str())
                .copied()
                .unwrap_or(Decimal::ZERO);
            let shares = *units - earlier;
            if shares <= Decimal::ZERO {
                return None;
            }
            let Some(cost_minor) = per_share_amount(shares, nav, 2) else {
                return Some(Err(StoreError::Corrupt(format!(
                    "the cost of {shares} shares at {nav} overflows"
                ))));
            };
            Some(Ok(NewLot {
                id: clearway_store::new_id(),
                fund_id: fund_id.to_string(),
                investor_id: investor.clone(),
                acquired_on: date,
                source: "OPENING",
                source_distribution_id: None,
                shares,
                cost_minor,
            }))
        })
        .collect()
}

/// Demo elections on DEMO-OPEN, effective from the start of the history, by investor
/// position: AUTOMATIC, PARTIAL (37.5 %, 12.345 %, 66.6667 % in turn), none (the organization
/// default, CASH), explicit CASH, ALTERNATIVE into DEMO-MMF. The investor user (the first
/// investor) reinvests automatically.
async fn seed_elections(
    tx: &mut Tx,
    org: &Actor,
    investor_ids: &[String],
    open_fund_id: &str,
    mmf_fund_id: &str,
    effective: NaiveDate,
) -> Result<(), StoreError> {
    const PARTIAL: [&str; 3] = ["37.5", "12.345", "66.6667"];
    let now = clearway_store::now_text();
    let records: Vec<ElectionRecord> = investor_ids
        .iter()
        .enumerate()
        .filter_map(|(i, investor)| {
            let (election, pct, target) = match i % 5 {
                0 => (ElectionKind::Automatic, "100", None),
                1 => (ElectionKind::Partial, PARTIAL[(i / 5) % 3], None),
                2 => return None,
                3 => (ElectionKind::Cash, "0", None),
                _ => (
                    ElectionKind::Alternative,
                    "100",
                    Some(mmf_fund_id.to_string()),
                ),
            };
            Some(ElectionRecord {
                id: clearway_store::new_id(),
                investor_id: investor.clone(),
                fund_id: open_fund_id.to_string(),
                election,
                percentage: pct.to_string(),
                target_fund_id: target,
                effective_date: effective,
                created_by: "system".into(),
                created_at: now.clone(),
            })
        })
        .collect();
    reinvestment::load_elections(tx, org, &records).await
}

/// Completed monthly dividends (open-end) and quarterly distributions (LP) before today;
/// `funds` is (open-end, partnership).
async fn seed_history(
    db: &Db,
    options: &Options,
    rng: &mut Rng,
    users: &Users,
    funds: (&str, &str),
    start: NaiveDate,
) -> Result<(), StoreError> {
    let (operator, approver) = (&users.operator, &users.approver);
    let (open_fund_id, lp_fund_id) = funds;
    let no_members = HashSet::new();
    let mut month = start;
    let mut n = 0u32;
    while add_months(month, 1) <= month_start(options.today) {
        let declaration = month;
        let record = month + Duration::days(14);
        let payable = add_months(month, 1) - Duration::days(1);
        // Monthly dividend rate drifts upward with noise: 0.0400–0.0600 per share.
        let rate = Decimal::new(400 + i64::from(n) * 4 + demo_i64(rng.below(40)), 4);
        let ratios = ComponentRatios::new(vec![
            (ComponentKind::OrdinaryDividend, Decimal::new(7, 1)),
            (ComponentKind::QualifiedDividend, Decimal::new(3, 1)),
        ])
        .map_err(StoreError::Corrupt)?;
        let allocation = Allocation::PerShare { rate, ratios };
        let record_json = json!({ "method": "per_share", "rate": rate.to_string(), "components": { "ordinaryDividend": "0.7", "qualifiedDividend": "0.3" } });
        historical(
            db,
            operator,
            approver,
            open_fund_id,
            Schedule {
                declaration,
                ex: Some(record),
                record,
                payable,
            },
            &allocation,
            record_json,
            &format!("Monthly dividend {}", month.format("%B %Y")),
            &no_members,
        )
        .await?;
        if month.month().is_multiple_of(3) {
            let total = 100_000_000 + demo_i64(rng.below(50_000_000)) + i64::from(n) * 1_000_000;
            let ratios = ComponentRatios::new(vec![
                (ComponentKind::LongTermGain, Decimal::new(8, 1)),
                (ComponentKind::ReturnOfCapital, Decimal::new(2, 1)),
            ])
            .map_err(StoreError::Corrupt)?;
            let record_json = json!({ "method": "pro_rata", "total": Currency::USD.format_minor(total), "components": { "longTermGain": "0.8", "returnOfCapital": "0.2" } });
            historical(
                db,
                operator,
                approver,
                lp_fund_id,
                Schedule {
                    declaration,
                    ex: None,
                    record,
                    payable,
                },
                &Allocation::ProRata { total, ratios },
                record_json,
                &format!(
                    "Q{} {} distribution",
                    (month.month() - 1) / 3 + 1,
                    month.year()
                ),
                &no_members,
            )
            .await?;
        }
        month = add_months(month, 1);
        n += 1;
    }
    Ok(())
}

/// One completed historical distribution, through the same store path as live ones.
#[allow(clippy::too_many_arguments)]
async fn historical(
    db: &Db,
    operator: &Actor,
    approver: &Actor,
    fund_id: &str,
    schedule: Schedule,
    allocation: &Allocation,
    allocation_json: serde_json::Value,
    description: &str,
    members: &HashSet<&str>,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let holdings = funds::holdings_as_of(&mut tx, operator, fund_id, schedule.record).await?;
    let lines = plan_lines(Currency::USD, allocation, &holdings, members)?;
    let new = NewDistribution {
        fund_id: fund_id.into(),
        kind: Kind::Regular,
        status: Status::Draft,
        currency: Currency::USD,
        schedule,
        description: description.into(),
        allocation: allocation_json,
        reverses_id: None,
        corrects_id: None,
        reason: None,
    };
    let mut d = store::insert(&mut tx, operator, &new, &lines).await?;
    for (actor, action) in [
        (operator, Action::MarkReady),
        (approver, Action::Approve),
        (operator, Action::Process),
        (operator, Action::Complete),
    ] {
        d = store::transition(&mut tx, actor, &d, action).await?;
    }
    // The same snapshot as the audit entries of live distributions.
    let after = Some(clearway_app::distributions::snapshot(&d));
    audit::record(
        &mut tx,
        operator,
        Change {
            action: "distribution.import",
            entity_type: "distribution",
            entity_id: &d.id,
            before: None,
            after,
        },
    )
    .await?;
    tx.commit().await
}

/// An IBAN for `country` and `bban` with its mod-97 check digits computed.
fn iban(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let rem = rearranged.bytes().fold(0u32, |acc, c| {
        if c.is_ascii_digit() {
            (acc * 10 + u32::from(c - b'0')) % 97
        } else {
            (acc * 100 + u32::from(c - b'A' + 10)) % 97
        }
    });
    format!("{country}{:02}{bban}", 98 - rem)
}

/// Demo payees: most investors paid by ACH (verified), every tenth by wire (GBP for UK
/// residents, EUR otherwise, with today's FX rates), every tenth by check, and every 50th with no
/// payee at all (to show the manual-review queue). Bulk-loaded like the investors.
async fn seed_payees(
    tx: &mut Tx,
    operator: &Actor,
    investor_ids: &[String],
    investors: &[NewInvestor],
    options: &Options,
    rng: &mut Rng,
) -> Result<(), StoreError> {
    let stored: HashMap<String, Investor> = funds::all_investors_tx(tx, operator)
        .await?
        .into_iter()
        .map(|i| (i.id.clone(), i))
        .collect();
    debug_assert_eq!(stored.len(), investors.len());
    let now = clearway_store::now_text();
    let mut rows: Vec<Vec<Arg>> = Vec::new();
    for (i, id) in investor_ids.iter().enumerate() {
        let investor = stored.get(id).ok_or(StoreError::NotFound("investor"))?;
        let Some(payee) = payee_of(i, &investor.tax_residence, rng)? else {
            continue;
        };
        rows.push(payee_row(operator, investor, payee, &options.vault, &now)?);
    }
    tx.bulk_insert("bank_accounts", &PAYEE_COLUMNS, &rows)
        .await?;
    seed_fx_rates(tx, operator, options.today).await
}

/// How one demo payee is paid.
struct Payee {
    method: &'static str,
    currency: &'static str,
    routing: Option<String>,
    account_type: Option<&'static str>,
    account: Option<String>,
    bic: Option<String>,
    bank: Option<String>,
    address: Option<serde_json::Value>,
}

/// The payee of the investor at position `i` (see [`seed_payees`]); `None` for every 50th.
fn payee_of(i: usize, residence: &str, rng: &mut Rng) -> Result<Option<Payee>, StoreError> {
    // ABA prefixes of real banks; the check digit is computed, never typed.
    const PREFIXES: [&str; 5] = ["02100002", "12104288", "02600959", "07100001", "11100061"];
    let kind = if i == 0 { 0 } else { i % 50 };
    let none = Payee {
        method: "",
        currency: "USD",
        routing: None,
        account_type: None,
        account: None,
        bic: None,
        bank: None,
        address: None,
    };
    Ok(Some(match kind {
        49 => return Ok(None),
        k if k % 10 == 7 => wire_payee(i, residence, rng, none),
        // Position 8 of ten elects CASH in the demo elections (9 reinvests it all), so the
        // checks are actually written.
        k if k % 10 == 8 => Payee {
            method: "CHECK",
            address: Some(
                json!({ "lines": [format!("{} Main Street", 10 + i)], "city": "Springfield", "region": "IL", "postalCode": "62701", "country": "US" }),
            ),
            ..none
        },
        _ => {
            let prefix = PREFIXES[i % PREFIXES.len()];
            let digit = clearway_formats::ach::aba_check_digit(prefix)
                .ok_or_else(|| StoreError::Corrupt("routing prefix".into()))?;
            Payee {
                method: "ACH",
                routing: Some(format!("{prefix}{digit}")),
                account_type: Some(if i % 4 == 3 { "SAVINGS" } else { "CHECKING" }),
                account: Some(format!("{}", 100_000_000 + rng.below(899_999_999_999))),
                ..none
            }
        }
    }))
}

/// A wire payee: GBP to a UK bank for UK residents, EUR to a German bank otherwise.
fn wire_payee(i: usize, residence: &str, rng: &mut Rng, none: Payee) -> Payee {
    let (country, currency, bban, bic) = if residence == "GB" {
        let bban = format!("NWBK601613{:08}", rng.below(100_000_000));
        ("GB", "GBP", bban, "NWBKGB2L")
    } else {
        let bban = format!("37040044{:010}", rng.below(10_000_000_000));
        ("DE", "EUR", bban, "COBADEFFXXX")
    };
    Payee {
        method: "WIRE",
        currency,
        account: Some(iban(country, &bban)),
        bic: Some(bic.to_string()),
        bank: Some("Beneficiary Bank".to_string()),
        address: Some(
            json!({ "lines": [format!("{} High Street", 1 + i)], "city": "London", "postalCode": "EC1A 1BB", "country": country }),
        ),
        ..none
    }
}

/// Columns of a demo payee row, in [`payee_row`] order.
const PAYEE_COLUMNS: [&str; 20] = [
    "id",
    "org_id",
    "investor_id",
    "method",
    "status",
    "is_default",
    "holder_name",
    "currency",
    "routing_number",
    "account_type",
    "account_enc",
    "account_key_id",
    "account_last4",
    "bic",
    "bank_name",
    "address",
    "verification_method",
    "verified_at",
    "created_at",
    "updated_at",
];

/// The verified default bank account row of `investor` (account number sealed).
fn payee_row(
    operator: &Actor,
    investor: &Investor,
    p: Payee,
    vault: &crate::payments::Vault,
    now: &str,
) -> Result<Vec<Arg>, StoreError> {
    let sealed = p
        .account
        .as_deref()
        .map(|clear| vault.seal(clear))
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let verification = if p.method == "CHECK" {
        "ADDRESS"
    } else {
        "OPERATOR"
    };
    Ok(vec![
        clearway_store::new_id().into(),
        (&operator.org_id).into(),
        (&investor.id).into(),
        p.method.into(),
        "VERIFIED".into(),
        1i64.into(),
        (&investor.name).into(),
        p.currency.into(),
        p.routing.into(),
        p.account_type.map(str::to_string).into(),
        sealed.as_ref().map(|x| x.ciphertext.clone()).into(),
        sealed.as_ref().map(|x| x.key_id.clone()).into(),
        sealed.as_ref().map(|x| x.last4.clone()).into(),
        p.bic.into(),
        p.bank.into(),
        p.address.map(|a| a.to_string()).into(),
        verification.into(),
        now.into(),
        now.into(),
        now.into(),
    ])
}

/// Today's demo FX rates from USD (EUR and GBP), for the wire payees.
async fn seed_fx_rates(tx: &mut Tx, operator: &Actor, today: NaiveDate) -> Result<(), StoreError> {
    let midnight = today
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    let as_of = clearway_store::time_text(midnight);
    let mut rates = Vec::new();
    for (quote, rate) in [
        ("EUR", Decimal::new(9213, 4)),
        ("GBP", Decimal::new(7891, 4)),
    ] {
        rates.push(clearway_store::fx::NewRate {
            base: Currency::USD,
            quote: Currency::parse(quote).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            rate,
            source: "demo (ECB reference)".into(),
            as_of: as_of.clone(),
        });
    }
    clearway_store::fx::import(tx, operator, &rates).await?;
    Ok(())
}

#[cfg(test)]
mod payee_tests {
    #[test]
    fn demo_ibans_pass_mod_97() {
        let de = super::iban("DE", "370400440532013000");
        assert_eq!(de, "DE89370400440532013000");
        assert!(
            clearway_formats::iso20022::pain001::validate_iban(&super::iban(
                "GB",
                "NWBK60161331926819"
            ))
            .is_ok()
        );
    }
}

//! The reconciliation summary: tallies, ages, per-account and ledger totals.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use clearway_core::Currency;

use crate::statements::require_reader;
use crate::{q, Actor, Db, StoreError};

use super::*;

/// Matched lines of one kind and outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Number of lines.
    pub lines: i64,
    /// Sum of their absolute amounts (minor units).
    pub amount_minor: i64,
}

/// Open exceptions by age (days since value date).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgeBuckets {
    /// 0–2 days.
    pub days_0_2: i64,
    /// 3–7 days.
    pub days_3_7: i64,
    /// 8–30 days.
    pub days_8_30: i64,
    /// More than 30 days.
    pub days_over_30: i64,
}

/// The summary of one account and currency over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    /// Account.
    pub account_id: String,
    /// Currency.
    pub currency: Currency,
    /// Statement lines in the period.
    pub lines: i64,
    /// Sum of debits (positive).
    pub debits_minor: i64,
    /// Sum of credits.
    pub credits_minor: i64,
    /// Auto-matched payments (cleared).
    pub auto_cleared: Tally,
    /// Manually matched payments (cleared).
    pub manual_cleared: Tally,
    /// Returns matched (auto and manual).
    pub returned: Tally,
    /// Open exceptions.
    pub open_exceptions: Tally,
    /// Lines not yet seen by matching.
    pub unprocessed: Tally,
    /// Open exceptions by age.
    pub exception_age: AgeBuckets,
    /// Open exceptions by cause.
    pub exception_causes: BTreeMap<String, i64>,
    /// Auto-matched share of cleared lines, in basis points (10,000 = 100 %).
    pub auto_rate_bp: i64,
}

/// Ledger side per currency: what we sent vs what the bank shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerSummary {
    /// Currency.
    pub currency: Currency,
    /// Payments expected on a statement in the period (SENT, COMPLETED or RETURNED).
    pub expected_payments: Tally,
    /// Of them still outstanding (SENT).
    pub outstanding_payments: Tally,
    /// Statement debits in the period, all accounts (positive).
    pub bank_debits_minor: i64,
    /// Expected payments minus bank debits: fees, stray items and outstanding payments.
    pub difference_minor: i64,
}

/// The reconciliation summary of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// First value date.
    pub from: NaiveDate,
    /// Last value date.
    pub to: NaiveDate,
    /// Ages counted to this day.
    pub as_of: NaiveDate,
    /// Per account and currency.
    pub accounts: Vec<AccountSummary>,
    /// Per currency.
    pub ledger: Vec<LedgerSummary>,
}

impl AccountSummary {
    fn new(account_id: String, currency: Currency) -> AccountSummary {
        AccountSummary {
            account_id,
            currency,
            lines: 0,
            debits_minor: 0,
            credits_minor: 0,
            auto_cleared: Tally::default(),
            manual_cleared: Tally::default(),
            returned: Tally::default(),
            open_exceptions: Tally::default(),
            unprocessed: Tally::default(),
            exception_age: AgeBuckets::default(),
            exception_causes: BTreeMap::new(),
            auto_rate_bp: 0,
        }
    }
}

impl LedgerSummary {
    fn new(currency: Currency) -> LedgerSummary {
        LedgerSummary {
            currency,
            expected_payments: Tally::default(),
            outstanding_payments: Tally::default(),
            bank_debits_minor: 0,
            difference_minor: 0,
        }
    }
}

/// The period and filter of a summary.
struct Period<'a> {
    org: &'a str,
    f: String,
    t: String,
    account: Option<&'a str>,
}

type Accounts = BTreeMap<(String, String), AccountSummary>;

/// Reconciliation summary per account for value dates `from..=to`.
pub async fn summary(
    db: &Db,
    actor: &Actor,
    account: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
) -> Result<Summary, StoreError> {
    require_reader(actor)?;
    if from > to {
        return Err(invalid("from", "must not be after 'to'"));
    }
    let period = Period {
        org: &actor.org_id,
        f: from.to_string(),
        t: to.to_string(),
        account,
    };
    let mut accounts = line_totals(db, &period).await?;
    match_tallies(db, &period, &mut accounts).await?;
    exception_tallies(db, &period, as_of, &mut accounts).await?;
    auto_rates(&mut accounts);
    let ledger = ledger(db, &period, &accounts).await?;
    Ok(Summary {
        from,
        to,
        as_of,
        accounts: accounts.into_values().collect(),
        ledger,
    })
}

async fn line_totals(db: &Db, p: &Period<'_>) -> Result<Accounts, StoreError> {
    let (org, f, t, account) = (p.org, &p.f, &p.t, p.account);
    // Keyed by the stored currency code: the same order as before the codes were parsed.
    let mut accounts: Accounts = BTreeMap::new();
    let rows = db
        .fetch_all(
            q("SELECT account_id, currency, status, COUNT(*) AS n,
                      CAST(COALESCE(SUM(CASE WHEN amount_minor < 0 THEN -amount_minor ELSE 0 END), 0) AS BIGINT) AS debits,
                      CAST(COALESCE(SUM(CASE WHEN amount_minor > 0 THEN amount_minor ELSE 0 END), 0) AS BIGINT) AS credits
               FROM bank_statement_lines WHERE org_id = $1 AND value_date >= $2 AND value_date <= $3 AND ($4 IS NULL OR account_id = $4)
               GROUP BY account_id, currency, status")
                .bind(org)
                .bind(f)
                .bind(t)
                .bind(account),
        )
        .await?;
    for r in &rows {
        let key = (r.text("account_id")?, r.text("currency")?);
        if !accounts.contains_key(&key) {
            let a = AccountSummary::new(key.0.clone(), currency(&key.1)?);
            accounts.insert(key.clone(), a);
        }
        let Some(a) = accounts.get_mut(&key) else {
            continue; // inserted just above
        };
        let (n, debits, credits) = (r.i64("n")?, r.i64("debits")?, r.i64("credits")?);
        a.lines += n;
        a.debits_minor += debits;
        a.credits_minor += credits;
        if r.text("status")? == "OPEN" {
            a.unprocessed.lines += n;
            a.unprocessed.amount_minor += debits + credits;
        }
    }
    Ok(accounts)
}

async fn match_tallies(db: &Db, p: &Period<'_>, accounts: &mut Accounts) -> Result<(), StoreError> {
    let (org, f, t, account) = (p.org, &p.f, &p.t, p.account);
    let rows = db
        .fetch_all(
            q("SELECT l.account_id, l.currency, m.kind, m.outcome, COUNT(*) AS n, CAST(COALESCE(SUM(ABS(l.amount_minor)), 0) AS BIGINT) AS amount
               FROM reconciliation_match_lines ml JOIN reconciliation_matches m ON m.id = ml.match_id JOIN bank_statement_lines l ON l.org_id = ml.org_id AND l.id = ml.line_id
               WHERE ml.org_id = $1 AND ml.live = 1 AND l.value_date >= $2 AND l.value_date <= $3 AND ($4 IS NULL OR l.account_id = $4)
               GROUP BY l.account_id, l.currency, m.kind, m.outcome")
                .bind(org)
                .bind(f)
                .bind(t)
                .bind(account),
        )
        .await?;
    for r in &rows {
        let key = (r.text("account_id")?, r.text("currency")?);
        let Some(a) = accounts.get_mut(&key) else {
            continue;
        };
        let tally = match (r.text("kind")?.as_str(), r.text("outcome")?.as_str()) {
            (_, "RETURNED") => &mut a.returned,
            ("AUTO", _) => &mut a.auto_cleared,
            _ => &mut a.manual_cleared,
        };
        tally.lines += r.i64("n")?;
        tally.amount_minor += r.i64("amount")?;
    }
    Ok(())
}

async fn exception_tallies(
    db: &Db,
    p: &Period<'_>,
    as_of: NaiveDate,
    accounts: &mut Accounts,
) -> Result<(), StoreError> {
    let (org, f, t, account) = (p.org, &p.f, &p.t, p.account);
    let rows = db
        .fetch_all(
            q("SELECT account_id, currency, value_date, amount_minor, exception_cause FROM bank_statement_lines
               WHERE org_id = $1 AND status = 'EXCEPTION' AND value_date >= $2 AND value_date <= $3 AND ($4 IS NULL OR account_id = $4)")
                .bind(org)
                .bind(f)
                .bind(t)
                .bind(account),
        )
        .await?;
    for r in &rows {
        let key = (r.text("account_id")?, r.text("currency")?);
        let Some(a) = accounts.get_mut(&key) else {
            continue;
        };
        a.open_exceptions.lines += 1;
        a.open_exceptions.amount_minor += r.i64("amount_minor")?.abs();
        let age = (as_of - parse_date(r, "value_date")?).num_days();
        match age {
            i64::MIN..=2 => a.exception_age.days_0_2 += 1,
            3..=7 => a.exception_age.days_3_7 += 1,
            8..=30 => a.exception_age.days_8_30 += 1,
            _ => a.exception_age.days_over_30 += 1,
        }
        let cause = r.opt_text("exception_cause")?.ok_or_else(|| {
            StoreError::Corrupt("an EXCEPTION statement line has no exception_cause".into())
        })?;
        *a.exception_causes.entry(cause).or_default() += 1;
    }
    Ok(())
}

fn auto_rates(accounts: &mut Accounts) {
    for a in accounts.values_mut() {
        // Share of the cleared lines that matching decided without a person.
        let cleared = a.auto_cleared.lines + a.manual_cleared.lines;
        a.auto_rate_bp = (a.auto_cleared.lines * 10_000)
            .checked_div(cleared)
            .unwrap_or(0); // why: no cleared line yet is a rate of 0, not an error
    }
}

async fn ledger(
    db: &Db,
    p: &Period<'_>,
    accounts: &Accounts,
) -> Result<Vec<LedgerSummary>, StoreError> {
    let (org, f, t) = (p.org, &p.f, &p.t);
    let mut ledger: BTreeMap<String, LedgerSummary> = BTreeMap::new();
    for a in accounts.values() {
        let l = ledger
            .entry(a.currency.code().to_string())
            .or_insert_with(|| LedgerSummary::new(a.currency));
        l.bank_debits_minor += a.debits_minor;
    }
    let rows = db
        .fetch_all(
            q("SELECT currency, status, COUNT(*) AS n, CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS amount FROM payments
               WHERE org_id = $1 AND expected_date >= $2 AND expected_date <= $3 AND status IN ('SENT','COMPLETED','RETURNED')
               GROUP BY currency, status")
                .bind(org)
                .bind(f)
                .bind(t),
        )
        .await?;
    for r in &rows {
        let code = r.text("currency")?;
        let cur = currency(&code)?;
        let l = ledger
            .entry(code)
            .or_insert_with(|| LedgerSummary::new(cur));
        let (n, amount) = (r.i64("n")?, r.i64("amount")?);
        l.expected_payments.lines += n;
        l.expected_payments.amount_minor += amount;
        if r.text("status")? == "SENT" {
            l.outstanding_payments.lines += n;
            l.outstanding_payments.amount_minor += amount;
        }
    }
    for l in ledger.values_mut() {
        l.difference_minor = l.expected_payments.amount_minor - l.bank_debits_minor;
    }
    Ok(ledger.into_values().collect())
}

//! Per-investor capital and preferred-return accounts, walked through time.
//!
//! Each investor's events are taken in date order; on one date, contributions come before
//! distributions. Between events the pref accrues (actual/365): simple on unreturned capital,
//! or compounded annually on capital plus unpaid pref with the factor `(1 + r)^(days/365)`
//! (the same factor whether a period is cut by events or not, so events never change the
//! compounding). A distribution then reduces capital and unpaid pref by its tier split (each
//! floored at zero); a plain one reduces capital first, then pref, and the rest is LP profit.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::{Decimal, MathematicalOps};

use super::{
    Compounding, Contribution, Partner, PartnerKind, PriorDistribution, Terms, Tier, TierAmounts,
};

/// One investor's position at the waterfall date.
#[derive(Debug, Clone)]
pub(super) struct Account {
    pub id: String,
    pub gp: bool,
    /// Capital contributed in scope (weight of the LP share of catch-up and carry).
    pub contributed: i64,
    /// Contributed capital not yet returned (weight of the return-of-capital tier).
    pub unreturned: i64,
    /// Accrued unpaid pref, exact, in minor units (weight of the pref tier).
    pub pref_unpaid: Decimal,
    /// Pref paid so far (tier split, or the pref part of a plain distribution).
    pub pref_paid: Decimal,
    /// The part of plain distributions beyond capital and pref.
    pub plain_profit: Decimal,
}

/// All accounts, sorted by investor id, plus the fund's profit tiers paid so far.
pub(super) struct Book {
    pub accounts: Vec<Account>,
    pub date: NaiveDate,
    /// Catch-up tier totals of prior distributions.
    pub catch_up_paid: i64,
    /// Carry tier totals of prior distributions.
    pub carry_paid: i64,
    /// Sum of prior distribution amounts.
    pub distributed: i64,
}

#[derive(Clone, Copy)]
enum Event {
    Contribution(i64),
    Distribution(i64, Option<TierAmounts>),
}

impl Book {
    /// Walks every investor to `date`. `all_plain` applies every distribution capital first
    /// (the clawback's single European re-computation ignores the recorded split).
    pub fn new(
        terms: &Terms,
        partners: &[Partner],
        contributions: &[&Contribution],
        prior: &[&PriorDistribution],
        date: NaiveDate,
        all_plain: bool,
    ) -> Book {
        let mut sorted: Vec<&Partner> = partners.iter().collect();
        sorted.sort_by(|a, b| a.investor_id.cmp(&b.investor_id));
        let index: HashMap<&str, usize> = sorted
            .iter()
            .enumerate()
            .map(|(i, p)| (p.investor_id.as_str(), i))
            .collect();
        let mut events: Vec<Vec<(NaiveDate, u8, Event)>> = vec![Vec::new(); sorted.len()];
        for c in contributions {
            events[index[c.investor_id.as_str()]].push((c.date, 0, Event::Contribution(c.amount)));
        }
        let mut book = Book {
            accounts: Vec::with_capacity(sorted.len()),
            date,
            catch_up_paid: 0,
            carry_paid: 0,
            distributed: 0,
        };
        for p in prior {
            book.distributed += p.amount;
            let split = if all_plain { None } else { p.by_tier };
            if let Some(t) = split {
                book.catch_up_paid += t.catch_up;
                book.carry_paid += t.carried_interest;
            }
            events[index[p.investor_id.as_str()]].push((p.date, 1, Event::Distribution(p.amount, split)));
        }
        let mut accruer = Accruer::new(terms);
        for (partner, mut list) in sorted.iter().zip(events) {
            list.sort_by_key(|(d, order, _)| (*d, *order));
            book.accounts.push(walk(partner, &list, date, &mut accruer));
        }
        book
    }
}

fn walk(
    partner: &Partner,
    events: &[(NaiveDate, u8, Event)],
    date: NaiveDate,
    accruer: &mut Accruer,
) -> Account {
    let mut a = Account {
        id: partner.investor_id.clone(),
        gp: partner.kind == PartnerKind::Gp,
        contributed: 0,
        unreturned: 0,
        pref_unpaid: Decimal::ZERO,
        pref_paid: Decimal::ZERO,
        plain_profit: Decimal::ZERO,
    };
    let mut last: Option<NaiveDate> = None;
    for (when, _, event) in events {
        if let Some(from) = last {
            a.pref_unpaid = accruer.accrue(a.unreturned, a.pref_unpaid, (*when - from).num_days());
        }
        last = Some(*when);
        match event {
            Event::Contribution(amount) => {
                a.contributed += amount;
                a.unreturned += amount;
            }
            Event::Distribution(_, Some(t)) => {
                a.unreturned -= t.return_of_capital.min(a.unreturned);
                let pref = Decimal::from(t.preferred_return);
                a.pref_unpaid -= pref.min(a.pref_unpaid);
                a.pref_paid += pref;
            }
            Event::Distribution(amount, None) => {
                let capital = (*amount).min(a.unreturned);
                a.unreturned -= capital;
                let rest = Decimal::from(amount - capital);
                let pref = rest.min(a.pref_unpaid);
                a.pref_unpaid -= pref;
                a.pref_paid += pref;
                a.plain_profit += rest - pref;
            }
        }
    }
    if let Some(from) = last {
        a.pref_unpaid = accruer.accrue(a.unreturned, a.pref_unpaid, (date - from).num_days());
    }
    a
}

/// Accrues pref; compounding factors are memoised per day count (a fund has few distinct gaps).
struct Accruer {
    rate: Option<(Decimal, Compounding)>,
    factors: HashMap<i64, Decimal>,
}

const YEAR: i64 = 365;

impl Accruer {
    fn new(terms: &Terms) -> Accruer {
        let rate = terms.tiers.iter().find_map(|t| match t {
            Tier::PreferredReturn {
                rate, compounding, ..
            } => Some((*rate, *compounding)),
            _ => None,
        });
        Accruer {
            rate,
            factors: HashMap::new(),
        }
    }

    fn accrue(&mut self, capital: i64, pref: Decimal, days: i64) -> Decimal {
        let Some((rate, compounding)) = self.rate else {
            return pref;
        };
        if days <= 0 || rate.is_zero() {
            return pref;
        }
        match compounding {
            Compounding::Simple => {
                pref + Decimal::from(capital) * rate * Decimal::from(days) / Decimal::from(YEAR)
            }
            Compounding::Annual => {
                let factor = self.factor(rate, days);
                pref + (Decimal::from(capital) + pref) * (factor - Decimal::ONE)
            }
        }
    }

    /// `(1 + r)^(days/365)`: whole years exactly, the part-year through `powd`.
    fn factor(&mut self, rate: Decimal, days: i64) -> Decimal {
        *self.factors.entry(days).or_insert_with(|| {
            let base = Decimal::ONE + rate;
            let mut f = Decimal::ONE;
            for _ in 0..days / YEAR {
                f *= base;
            }
            let part = days % YEAR;
            if part > 0 {
                f *= base.powd(Decimal::from(part) / Decimal::from(YEAR));
            }
            f
        })
    }
}

//! Per-investor capital and preferred-return accounts, walked through time.
//!
//! Each investor's events are taken in date order; on one date, contributions come before
//! distributions. Between events the pref accrues (actual/365): simple on unreturned capital,
//! or compounded annually on capital plus unpaid pref with the factor `(1 + r)^(days/365)`
//! (the same factor whether a period is cut by events or not, so events never change the
//! compounding). A distribution then reduces capital and unpaid pref by its tier split (each
//! floored at zero); a plain one reduces capital first, then pref, and the rest is LP profit.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
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

/// Who each contribution and prior distribution belongs to, as positions in the partners
/// sorted by investor id (`None`: not a partner). Built once per run: validation and the
/// book share it, so every id is looked up once.
pub(super) struct Owners<'a> {
    pub sorted: Vec<&'a Partner>,
    pub contributions: Vec<Option<usize>>,
    pub prior: Vec<Option<usize>>,
}

impl<'a> Owners<'a> {
    pub fn new(
        partners: &'a [Partner],
        contributions: &'a [Contribution],
        prior: &'a [PriorDistribution],
    ) -> Owners<'a> {
        let mut sorted: Vec<&Partner> = partners.iter().collect();
        sorted.sort_by(|a, b| a.investor_id.cmp(&b.investor_id));
        let index: HashMap<&str, usize> = sorted
            .iter()
            .enumerate()
            .map(|(i, p)| (p.investor_id.as_str(), i))
            .collect();
        let mut lookup = Lookup::new(&index);
        let contributions = contributions
            .iter()
            .map(|c| lookup.get(&c.investor_id))
            .collect();
        let prior = prior.iter().map(|p| lookup.get(&p.investor_id)).collect();
        Owners {
            sorted,
            contributions,
            prior,
        }
    }
}

impl Book {
    /// Walks every investor to `date` over the events `keep_c` / `keep_p` select (a deal, or
    /// up to a date). `all_plain` applies every distribution capital first (the clawback's
    /// single European re-computation ignores the recorded split).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        terms: &Terms,
        owners: &Owners,
        contributions: &[Contribution],
        prior: &[PriorDistribution],
        keep_c: impl Fn(&Contribution) -> bool,
        keep_p: impl Fn(&PriorDistribution) -> bool,
        date: NaiveDate,
        all_plain: bool,
    ) -> Book {
        let mut book = Book {
            accounts: Vec::with_capacity(owners.sorted.len()),
            date,
            catch_up_paid: 0,
            carry_paid: 0,
            distributed: 0,
        };
        let owner_of_c = kept(contributions, &owners.contributions, keep_c);
        let owner_of_p = kept(prior, &owners.prior, keep_p);
        for (p, _) in prior.iter().zip(&owner_of_p).filter(|(_, o)| o.is_some()) {
            book.distributed += p.amount;
            if let (false, Some(t)) = (all_plain, p.by_tier) {
                book.catch_up_paid += t.catch_up;
                book.carry_paid += t.carried_interest;
            }
        }
        let (starts, mut slots) = bucket(
            owners.sorted.len(),
            contributions,
            &owner_of_c,
            prior,
            &owner_of_p,
        );
        let mut accruer = Accruer::new(terms);
        for (i, partner) in owners.sorted.iter().enumerate() {
            let list = &mut slots[starts[i]..starts[i + 1]];
            list.sort_unstable_by_key(|s| (s.day, s.order));
            let events = list.iter().map(|s| {
                let event = if s.order == 0 {
                    Event::Contribution(contributions[s.at].amount)
                } else {
                    let p = &prior[s.at];
                    Event::Distribution(p.amount, if all_plain { None } else { p.by_tier })
                };
                (s.day, event)
            });
            let account = walk(partner, events, date.num_days_from_ce(), &mut accruer);
            book.accounts.push(account);
        }
        book
    }
}

/// The owner of each record the filter keeps (`None`: dropped or not a partner).
fn kept<T>(
    records: &[T],
    owners: &[Option<usize>],
    keep: impl Fn(&T) -> bool,
) -> Vec<Option<usize>> {
    records
        .iter()
        .zip(owners)
        .map(|(r, o)| o.filter(|_| keep(r)))
        .collect()
}

/// Buckets the events by investor in one flat array (a counting sort: no per-investor
/// allocations); investor `i`'s events are `slots[starts[i]..starts[i + 1]]`, unsorted.
fn bucket(
    investors: usize,
    contributions: &[Contribution],
    owner_of_c: &[Option<usize>],
    prior: &[PriorDistribution],
    owner_of_p: &[Option<usize>],
) -> (Vec<usize>, Vec<Slot>) {
    let mut starts = vec![0usize; investors + 1];
    for i in owner_of_c.iter().chain(owner_of_p).flatten() {
        starts[i + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut fill = starts.clone();
    let mut slots = vec![
        Slot {
            day: 0,
            order: 0,
            at: 0
        };
        starts[investors]
    ];
    let dates_c = contributions.iter().map(|c| c.date);
    let dates_p = prior.iter().map(|p| p.date);
    for (order, dates, owners) in [
        (0u8, dates_c.collect::<Vec<_>>(), owner_of_c),
        (1, dates_p.collect(), owner_of_p),
    ] {
        for (at, (date, owner)) in dates.into_iter().zip(owners).enumerate() {
            if let Some(i) = owner {
                slots[fill[*i]] = Slot {
                    day: date.num_days_from_ce(),
                    order,
                    at,
                };
                fill[*i] += 1;
            }
        }
    }
    (starts, slots)
}

/// One event of one investor: a contribution (order 0) or a distribution (order 1, so it comes
/// after the contributions of the same date), by position in its input slice.
#[derive(Clone, Copy)]
struct Slot {
    /// Days from the common era: the gaps between events are plain subtractions.
    day: i32,
    order: u8,
    at: usize,
}

/// Id → position, remembering the last hit: inputs usually come grouped by investor, so most
/// lookups skip hashing.
struct Lookup<'a> {
    index: &'a HashMap<&'a str, usize>,
    last: Option<(&'a str, usize)>,
}

impl<'a> Lookup<'a> {
    fn new(index: &'a HashMap<&'a str, usize>) -> Self {
        Lookup { index, last: None }
    }

    /// The position of `id`, if it is a partner.
    fn get(&mut self, id: &'a str) -> Option<usize> {
        match self.last {
            Some((last, at)) if last == id => Some(at),
            _ => {
                let at = *self.index.get(id)?;
                self.last = Some((id, at));
                Some(at)
            }
        }
    }
}

fn walk(
    partner: &Partner,
    events: impl Iterator<Item = (i32, Event)>,
    date: i32,
    accruer: &mut Accruer,
) -> Account {
    let mut r = Running::default();
    let mut last: Option<i32> = None;
    for (when, event) in events {
        if let Some(from) = last {
            accruer.accrue(&mut r, i64::from(when - from));
        }
        last = Some(when);
        // Pending simple pref is kept at the capital it accrued on, so it only has to be
        // settled before the unpaid pref is read: when a distribution pays pref.
        let pays_pref = match event {
            Event::Contribution(_) => false,
            Event::Distribution(_, Some(t)) => t.preferred_return > 0,
            Event::Distribution(amount, None) => amount > r.unreturned,
        };
        if pays_pref {
            accruer.settle(&mut r);
        }
        r.apply(event);
    }
    if let Some(from) = last {
        accruer.accrue(&mut r, i64::from(date - from));
    }
    accruer.settle(&mut r);
    let nano = |v: i128| Decimal::from_i128_with_scale(v, NANO_DIGITS);
    Account {
        id: partner.investor_id.clone(),
        gp: partner.kind == PartnerKind::Gp,
        contributed: r.contributed,
        unreturned: r.unreturned,
        pref_unpaid: nano(r.pref),
        pref_paid: nano(r.pref_paid),
        plain_profit: nano(r.plain_profit),
    }
}

/// Accruals are carried in fixed point, 10⁻⁹ of a minor unit (truncated at each event), in
/// integers: a billionth of a cent per event cannot move a hurdle rounded to a whole cent.
const NANO_DIGITS: u32 = 9;
const NANO: i128 = 1_000_000_000;
/// Compound growth factors are carried to 10⁻¹⁸.
const GROWTH_ONE: i128 = 1_000_000_000_000_000_000;
/// Ceiling of one investor's accrued pref (10¹⁸ minor units, far beyond any fund): absurd
/// inputs (a 100 % rate over centuries) saturate here instead of overflowing.
const PREF_CEILING: i128 = 1_000_000_000_000_000_000 * NANO;
/// Day counts memoised in a table; longer gaps are computed each time.
const MEMO_DAYS: i64 = 40_000;

/// One investor's running figures while walking its events (pref in nano minor units).
#[derive(Default)]
struct Running {
    contributed: i64,
    unreturned: i64,
    pref: i128,
    pref_paid: i128,
    plain_profit: i128,
    /// Simple pref not yet added, as Σ capital × days: divided by 365 only when read.
    capital_days: i128,
}

impl Running {
    fn apply(&mut self, event: Event) {
        match event {
            Event::Contribution(amount) => {
                self.contributed += amount;
                self.unreturned += amount;
            }
            Event::Distribution(_, Some(t)) => {
                self.unreturned -= t.return_of_capital.min(self.unreturned);
                let pref = i128::from(t.preferred_return) * NANO;
                self.pref -= pref.min(self.pref);
                self.pref_paid += pref;
            }
            Event::Distribution(amount, None) => {
                let capital = amount.min(self.unreturned);
                self.unreturned -= capital;
                let rest = i128::from(amount - capital) * NANO;
                let pref = rest.min(self.pref);
                self.pref -= pref;
                self.pref_paid += pref;
                self.plain_profit += rest - pref;
            }
        }
    }
}

/// Accrues pref; compound growth is memoised per day count (a fund has few distinct gaps).
struct Accruer {
    rate: Option<(Decimal, Compounding)>,
    /// `growth[days] = ((1 + r)^(days/365) − 1) × 10¹⁸`, split at 10⁹, filled on first use.
    growth: Vec<Option<(i128, i128)>>,
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
            rate: rate.filter(|(r, _)| !r.is_zero()),
            growth: Vec::new(),
        }
    }

    fn accrue(&mut self, r: &mut Running, days: i64) {
        let Some((rate, compounding)) = self.rate else {
            return;
        };
        if days <= 0 {
            return;
        }
        match compounding {
            Compounding::Simple => r.capital_days += i128::from(r.unreturned) * i128::from(days),
            Compounding::Annual => {
                if r.unreturned == 0 && r.pref == 0 {
                    return;
                }
                let balance = i128::from(r.unreturned) * NANO + r.pref;
                let growth = self.growth(rate, days);
                r.pref = r
                    .pref
                    .saturating_add(scale_growth(balance, growth))
                    .min(PREF_CEILING);
            }
        }
    }

    /// Adds the pending simple pref: `rate × Σ(capital × days) / 365`, truncated to nano units.
    fn settle(&self, r: &mut Running) {
        if r.capital_days == 0 {
            return;
        }
        if let Some((rate, _)) = self.rate {
            let exact = Decimal::from_i128_with_scale(r.capital_days, 0) * rate
                / Decimal::from(YEAR)
                * Decimal::from(NANO as i64);
            let add = i128::try_from(exact.trunc()).unwrap_or(PREF_CEILING);
            r.pref = r.pref.saturating_add(add).min(PREF_CEILING);
        }
        r.capital_days = 0;
    }

    /// `((1 + r)^(days/365) − 1) × 10¹⁸`: whole years exactly, the part-year through `powd`.
    fn growth(&mut self, rate: Decimal, days: i64) -> (i128, i128) {
        let split = |g: i128| (g / NANO, g % NANO);
        if days >= MEMO_DAYS {
            return split(compound_growth(rate, days));
        }
        let at = days as usize;
        if at >= self.growth.len() {
            self.growth.resize(at + 1, None);
        }
        *self.growth[at].get_or_insert_with(|| split(compound_growth(rate, days)))
    }
}

/// `((1 + r)^(days/365) − 1) × 10¹⁸`, saturating at the pref ceiling.
fn compound_growth(rate: Decimal, days: i64) -> i128 {
    {
        {
            let base = Decimal::ONE + rate;
            let mut f = Some(Decimal::ONE);
            for _ in 0..days / YEAR {
                f = f.and_then(|f| f.checked_mul(base));
            }
            let part = days % YEAR;
            if part > 0 {
                f = f.and_then(|f| {
                    f.checked_mul(base.powd(Decimal::from(part) / Decimal::from(YEAR)))
                });
            }
            f.and_then(|f| (f - Decimal::ONE).checked_mul(Decimal::from(GROWTH_ONE as i64)))
                .and_then(|g| i128::try_from(g.trunc()).ok())
                .unwrap_or(PREF_CEILING)
        }
    }
}

/// `⌊balance × growth / 10¹⁸⌋` without overflowing i128, growth given split at 10⁹ as
/// `(hi, lo)` (two 128-bit divisions per event, the costly operation here).
fn scale_growth(balance: i128, (hi, lo): (i128, i128)) -> i128 {
    let Some(high) = balance.checked_mul(hi) else {
        return PREF_CEILING;
    };
    let q = high / NANO;
    let rem = high - q * NANO;
    // balance × growth / 10¹⁸ = high / 10⁹ + balance × lo / 10¹⁸
    q + (rem * NANO + balance * lo) / (NANO * NANO)
}

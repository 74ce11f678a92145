//! The capital-account roll-forward and its tie-out.

use std::collections::BTreeMap;

/// One dated movement of an investor's capital, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    /// Contribution (positive; a returned contribution is negative).
    Contribution(i64),
    /// Allocated income/gain/loss (signed).
    Allocation(i64),
    /// Distribution (positive reduces capital; a reversal is negative).
    Distribution(i64),
}

/// An investor's capital account for a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    /// Balance before the period.
    pub beginning_minor: i64,
    /// Contributions in the period.
    pub contributions_minor: i64,
    /// Allocated income/gain/loss in the period.
    pub allocated_minor: i64,
    /// Distributions in the period.
    pub distributions_minor: i64,
    /// beginning + contributions + allocated − distributions.
    pub ending_minor: i64,
}

impl Account {
    /// Adds a movement that happened before the period (into the beginning balance) or in it.
    pub fn add(&mut self, before_period: bool, m: Movement) {
        let delta = match m {
            Movement::Contribution(a) | Movement::Allocation(a) => a,
            Movement::Distribution(a) => -a,
        };
        if before_period {
            self.beginning_minor += delta;
        } else {
            match m {
                Movement::Contribution(a) => self.contributions_minor += a,
                Movement::Allocation(a) => self.allocated_minor += a,
                Movement::Distribution(a) => self.distributions_minor += a,
            }
        }
        self.ending_minor += delta;
    }

    /// Whether the roll-forward holds.
    pub fn rolls_forward(&self) -> bool {
        self.beginning_minor + self.contributions_minor + self.allocated_minor
            - self.distributions_minor
            == self.ending_minor
    }

    /// Field-wise sum (the fund total of many accounts).
    pub fn plus(&self, o: &Account) -> Account {
        Account {
            beginning_minor: self.beginning_minor + o.beginning_minor,
            contributions_minor: self.contributions_minor + o.contributions_minor,
            allocated_minor: self.allocated_minor + o.allocated_minor,
            distributions_minor: self.distributions_minor + o.distributions_minor,
            ending_minor: self.ending_minor + o.ending_minor,
        }
    }
}

/// Per-investor accounts from per-investor sums before and within the period (the store's
/// grouped reads): investor → (before, within) per movement kind.
pub fn accounts(rows: &[(String, bool, Movement)]) -> BTreeMap<String, Account> {
    let mut out: BTreeMap<String, Account> = BTreeMap::new();
    for (investor, before, m) in rows {
        out.entry(investor.clone()).or_default().add(*before, *m);
    }
    out
}

/// The tie-out: the investors' accounts summed must equal the fund's own account (built from
/// fund-level totals: contributions, the entered period amounts, distribution totals), and
/// every account must roll forward. Returns the differences (investor sum − fund) when not.
pub fn tie_out<'a>(
    accounts: impl IntoIterator<Item = &'a Account>,
    fund: &Account,
) -> Result<Account, Account> {
    let mut sum = Account::default();
    let mut rolls = true;
    for a in accounts {
        rolls &= a.rolls_forward();
        sum = sum.plus(a);
    }
    if rolls && sum == *fund && fund.rolls_forward() {
        Ok(sum)
    } else {
        Err(Account {
            beginning_minor: sum.beginning_minor - fund.beginning_minor,
            contributions_minor: sum.contributions_minor - fund.contributions_minor,
            allocated_minor: sum.allocated_minor - fund.allocated_minor,
            distributions_minor: sum.distributions_minor - fund.distributions_minor,
            ending_minor: sum.ending_minor - fund.ending_minor,
        })
    }
}

//! The Takahashi–Alexander (Yale) model of a private partnership's cash flows (2002):
//! contributions as a rate of the unfunded commitment per year of life, distributions as a
//! rate of NAV that rises with age through the bow factor, NAV growing at a constant rate,
//! to the end of the fund's life. Calibrated from the fund's own history and commitments.
//!
//! The rate of distribution is the paper's RD_t = max(Y, (t/L)^B): the yield Y is a floor
//! (income funds pay it from the start), the bow B shapes how realisations rise towards
//! RD_L = 1. (A product Y·(t/L)^B would make the paper's venture example, Y = 0, pay nothing.)

use std::collections::BTreeMap;

use serde::Serialize;

/// The paper's venture-capital example: 25 %, 33.3 %, then 50 % of the unfunded commitment.
pub const DEFAULT_CONTRIBUTION_RATES: [f64; 3] = [0.25, 1.0 / 3.0, 0.5];
/// The paper's venture example: NAV grows 13 % a year.
pub const DEFAULT_GROWTH: f64 = 0.13;
/// The paper's venture example: bow 2.5, no yield (venture funds pay only on exits).
pub const DEFAULT_BOW: f64 = 2.5;
pub const DEFAULT_YIELD: f64 = 0.0;
/// The paper's example fund life.
pub const DEFAULT_LIFE_YEARS: u32 = 12;
/// The highest growth a projection uses (1000 % a year), so that amounts stay finite.
pub const MAX_GROWTH: f64 = 10.0;

/// The model's parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Params {
    /// Rate of contribution of the unfunded commitment, per year of life (the last one
    /// repeats).
    pub contribution_rates: Vec<f64>,
    /// The bow factor B: distribution rate RD_t = max(Y, (t / L)^B).
    pub bow: f64,
    /// The yield Y (the floor of the distribution rate).
    pub yield_rate: f64,
    /// NAV growth per year G.
    pub growth: f64,
    /// Fund life L, in years.
    pub life_years: u32,
}

impl Default for Params {
    /// The paper's venture example over [`DEFAULT_LIFE_YEARS`].
    fn default() -> Self {
        Params {
            contribution_rates: DEFAULT_CONTRIBUTION_RATES.to_vec(),
            bow: DEFAULT_BOW,
            yield_rate: DEFAULT_YIELD,
            growth: DEFAULT_GROWTH,
            life_years: DEFAULT_LIFE_YEARS,
        }
    }
}

impl Params {
    /// RC_t for year `t` (1-based): the listed rate, the last one repeating, in 0..=1.
    pub fn contribution_rate(&self, t: u32) -> f64 {
        let rates = &self.contribution_rates;
        let r = match rates.get(t.saturating_sub(1) as usize) {
            Some(r) => *r,
            None => rates
                .last()
                .copied()
                .unwrap_or(DEFAULT_CONTRIBUTION_RATES[2]),
        };
        unit(r)
    }

    /// RD_t = max(Y, (t/L)^B) in 0..=1; 1 from the last year of life on.
    pub fn distribution_rate(&self, t: u32) -> f64 {
        if t >= self.life_years {
            return 1.0;
        }
        let bow = if self.bow.is_finite() {
            self.bow.max(0.0)
        } else {
            DEFAULT_BOW
        };
        let age = (t as f64 / self.life_years as f64).powf(bow);
        unit(unit(self.yield_rate).max(age))
    }

    /// G in −100 %..=1000 %: NAV never turns negative, and never overflows.
    fn growth(&self) -> f64 {
        if self.growth.is_finite() {
            self.growth.clamp(-1.0, MAX_GROWTH)
        } else {
            0.0
        }
    }
}

/// `x` in 0..=1, 0 when not a number.
fn unit(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

/// A finite, non-negative amount (0 otherwise).
fn amount(x: f64) -> f64 {
    if x.is_finite() {
        x.max(0.0)
    } else {
        0.0
    }
}

/// Where the fund stands at the end of a year of its life.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct State {
    pub age_years: u32,
    pub commitment: f64,
    pub paid_in: f64,
    pub nav: f64,
}

/// One projected (or actual) year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Year {
    /// Year of life, 1-based.
    pub year: u32,
    /// Called and distributed during the year.
    pub contributions: f64,
    pub distributions: f64,
    /// NAV and unfunded commitment at the year's end.
    pub nav: f64,
    pub unfunded: f64,
}

/// Projects from `state` to the end of the fund's life: C_t = RC_t·unfunded_{t−1},
/// D_t = RD_t·NAV_{t−1}(1+G), NAV_t = NAV_{t−1}(1+G) + C_t − D_t. The last year calls
/// nothing and distributes everything, so NAV ends at 0 (what is still unfunded lapses). A fund already at or
/// past its life with NAV left gets one year that distributes it; with none, nothing.
/// Negative or non-finite amounts in `state` are read as 0.
pub fn project(params: &Params, state: &State) -> Vec<Year> {
    let commitment = amount(state.commitment);
    let mut paid_in = amount(state.paid_in);
    let mut nav = amount(state.nav);
    let g = params.growth();
    let last = params.life_years.max(state.age_years + 1);
    if state.age_years >= params.life_years && nav == 0.0 {
        return Vec::new();
    }
    let mut years = Vec::with_capacity((last - state.age_years) as usize);
    for t in state.age_years + 1..=last {
        let unfunded = (commitment - paid_in).max(0.0);
        // In its last year (or past it) a fund calls nothing: it would hand it straight back.
        let c = if t >= last {
            0.0
        } else {
            params.contribution_rate(t) * unfunded
        };
        let grown = nav * (1.0 + g);
        let d = if t == last {
            grown
        } else {
            params.distribution_rate(t) * grown
        };
        nav = (grown + c - d).max(0.0);
        paid_in += c;
        years.push(Year {
            year: t,
            contributions: c,
            distributions: d,
            nav,
            unfunded: (commitment - paid_in).max(0.0),
        });
    }
    years
}

/// Calibrated parameters, with what was observed and what was taken from the paper.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub params: Params,
    /// One sentence per parameter that fell back to a default, and why.
    pub notes: Vec<String>,
}

/// Fits the model to a fund's own history (years of life, any subset, in any order) and
/// commitment, over `life_years` ([`DEFAULT_LIFE_YEARS`] when 0).
pub fn calibrate(history: &[Year], commitment: f64, life_years: u32) -> Params {
    calibrate_explained(history, commitment, life_years).params
}

/// [`calibrate`], saying which parameters were observed and which are the paper's defaults:
/// - RC_t = C_t / unfunded_{t−1} for each year observed; unobserved years take 25 %,
///   33.3 %, then 50 % (the paper's venture example), so later years revert to 50 %.
/// - G = Σ (NAV_t − C_t + D_t − NAV_{t−1}) / Σ NAV_{t−1} over consecutive years: the mean
///   growth net of flows, weighted by NAV so a tiny first-year NAV cannot dominate; 13 %
///   when no two consecutive years have NAV.
/// - Y and B by least squares of max(Y, (t/L)^B) on the observed rates of distribution
///   D_t / (NAV_t − C_t + D_t), over a grid (B in 0.5..=5 by 0.01, Y in 0..=1 by 0.005)
///   refined tenfold around the best; B = 2.5, Y = 0 (the paper's venture example) when
///   no year before the last shows NAV before distributions.
pub fn calibrate_explained(history: &[Year], commitment: f64, life_years: u32) -> Calibration {
    let mut notes = Vec::new();
    let life = if life_years == 0 {
        notes.push(format!(
            "no fund life given: {DEFAULT_LIFE_YEARS} years (the paper's example)"
        ));
        DEFAULT_LIFE_YEARS
    } else {
        life_years
    };
    let by_year: BTreeMap<u32, Year> = history
        .iter()
        .filter(|y| y.year >= 1 && finite_year(y))
        .map(|y| (y.year, *y))
        .collect();
    let contribution_rates = contribution_rates(&by_year, amount(commitment), &mut notes);
    let growth = growth(&by_year).unwrap_or_else(|| {
        notes.push("growth: no two consecutive years with NAV, 13 % (the paper's example)".into());
        DEFAULT_GROWTH
    });
    let rates = distribution_rates(&by_year, life);
    let (yield_rate, bow) = if rates.is_empty() {
        notes.push(
            "distributions: no year with NAV to distribute from, bow 2.5 and yield 0 \
             (the paper's venture example)"
                .into(),
        );
        (DEFAULT_YIELD, DEFAULT_BOW)
    } else {
        fit_yield_and_bow(&rates, life)
    };
    Calibration {
        params: Params {
            contribution_rates,
            bow,
            yield_rate,
            growth,
            life_years: life,
        },
        notes,
    }
}

fn finite_year(y: &Year) -> bool {
    [y.contributions, y.distributions, y.nav, y.unfunded]
        .iter()
        .all(|v| v.is_finite())
}

/// Observed RC_t by year, the paper's defaults elsewhere; one entry past the last year
/// observed so that the repeating last rate is a default, not an observation.
fn contribution_rates(
    by_year: &BTreeMap<u32, Year>,
    commitment: f64,
    notes: &mut Vec<String>,
) -> Vec<f64> {
    let last = by_year.keys().next_back().copied().unwrap_or(0) as usize;
    let mut rates: Vec<f64> = (0..(last + 1).max(DEFAULT_CONTRIBUTION_RATES.len()))
        .map(|i| DEFAULT_CONTRIBUTION_RATES[i.min(DEFAULT_CONTRIBUTION_RATES.len() - 1)])
        .collect();
    let mut observed = 0;
    for (t, y) in by_year {
        let before = match by_year.get(&(t - 1)) {
            Some(prev) => amount(prev.unfunded),
            None if *t == 1 => commitment,
            None => amount(y.unfunded) + amount(y.contributions),
        };
        if before > 0.0 {
            rates[*t as usize - 1] = unit(amount(y.contributions) / before);
            observed += 1;
        }
    }
    if observed == 0 {
        notes.push(
            "contributions: nothing left to call in any year observed, 25 %, 33 %, then 50 % \
             (the paper's example)"
                .into(),
        );
    }
    rates
}

/// NAV-weighted growth net of flows over consecutive observed years, if any.
fn growth(by_year: &BTreeMap<u32, Year>) -> Option<f64> {
    let (mut gain, mut base) = (0.0, 0.0);
    for (t, y) in by_year {
        let Some(prev) = by_year.get(&(t - 1)) else {
            continue;
        };
        if prev.nav > 0.0 {
            gain += y.nav - y.contributions + y.distributions - prev.nav;
            base += prev.nav;
        }
    }
    let g = gain / base;
    (base > 0.0 && g.is_finite()).then(|| g.clamp(-1.0, MAX_GROWTH))
}

/// (t, D_t / NAV before distributions) for the years before the last of life that had NAV.
fn distribution_rates(by_year: &BTreeMap<u32, Year>, life: u32) -> Vec<(u32, f64)> {
    by_year
        .values()
        .filter(|y| y.year < life)
        .filter_map(|y| {
            let before = y.nav - y.contributions + y.distributions;
            (before > 0.0).then(|| (y.year, unit(amount(y.distributions) / before)))
        })
        .collect()
}

/// Least squares of max(Y, (t/L)^B) on `rates`, ties going to the paper's B = 2.5, Y = 0.
fn fit_yield_and_bow(rates: &[(u32, f64)], life: u32) -> (f64, f64) {
    let (y, b) = grid(rates, life, (0.0, 1.0, 0.005), (0.5, 5.0, 0.01));
    grid(
        rates,
        life,
        (y - 0.005, y + 0.005, 0.0005),
        (b - 0.01, b + 0.01, 0.001),
    )
}

/// The best (Y, B) over (from, to, step) grids clamped to Y in 0..=1, B in 0.5..=5.
fn grid(rates: &[(u32, f64)], life: u32, ys: (f64, f64, f64), bs: (f64, f64, f64)) -> (f64, f64) {
    let steps = |(from, to, step): (f64, f64, f64)| ((to - from) / step).round() as usize;
    let mut best = (f64::INFINITY, DEFAULT_YIELD, DEFAULT_BOW);
    let mut aged = vec![0.0; rates.len()];
    for j in 0..=steps(bs) {
        let b = (bs.0 + j as f64 * bs.2).clamp(0.5, 5.0);
        for (a, (t, _)) in aged.iter_mut().zip(rates) {
            *a = (*t as f64 / life as f64).powf(b); // once per B, not per (Y, B)
        }
        for i in 0..=steps(ys) {
            let y = (ys.0 + i as f64 * ys.2).clamp(0.0, 1.0);
            let fit: f64 = aged
                .iter()
                .zip(rates)
                .map(|(a, (_, r))| (y.max(*a) - r).powi(2))
                .sum();
            let loss = fit + 1e-12 * ((b - DEFAULT_BOW).powi(2) + y * y);
            if loss < best.0 {
                best = (loss, y, b);
            }
        }
    }
    (best.1, best.2)
}

#[cfg(test)]
mod tests;

//! The Takahashi–Alexander (Yale) model of a private partnership's cash flows (2002):
//! contributions as a rate of the unfunded commitment per year of life, distributions as a
//! rate of NAV that rises with age through the bow factor, NAV growing at a constant rate,
//! to the end of the fund's life. Calibrated from the fund's own history and commitments.

use serde::Serialize;

/// The model's parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Params {
    /// Rate of contribution of the unfunded commitment, per year of life (the last one
    /// repeats).
    pub contribution_rates: Vec<f64>,
    /// The bow factor B: distribution rate RD_t = Y · (t / L)^B.
    pub bow: f64,
    /// The yield Y (the floor of distributions in the last year).
    pub yield_rate: f64,
    /// NAV growth per year G.
    pub growth: f64,
    /// Fund life L, in years.
    pub life_years: u32,
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
    pub contributions: f64,
    pub distributions: f64,
    pub nav: f64,
    pub unfunded: f64,
}

/// Projects from `state` to the end of the fund's life (placeholder until the model lands:
/// nothing).
pub fn project(_params: &Params, _state: &State) -> Vec<Year> {
    Vec::new()
}

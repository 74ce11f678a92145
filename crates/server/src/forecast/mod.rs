//! Forecasting over HTTP (issue 20): a fund's distribution forecast, its scenarios and trends,
//! the organization's aggregate, the liquidity plan and cash on hand, the Yale projection of
//! partnerships, stored forecasts and their accuracy over time.

pub mod routes;
pub mod views;

pub use routes::{router, ApiDoc};

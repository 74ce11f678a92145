//! Forecasting over HTTP (issue 20): a fund's distribution forecast, its scenarios and trends,
//! the organization's aggregate, the liquidity plan and cash on hand, the Yale projection of
//! partnerships, stored forecasts and their accuracy over time; and their pages:
//! [`pages`] (a fund's forecast page and its forms), [`pages_org`] (the organization's
//! forecast), [`pages_view`] (their rows and charts, formatted).

pub mod pages;
pub mod pages_org;
pub mod pages_view;
pub mod routes;
pub mod views;

pub use routes::{router, ApiDoc};

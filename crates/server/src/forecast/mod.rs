//! Forecasting distributions (issue 20) over HTTP: the pages. [`pages`]: a fund's forecast
//! page and its forms; [`pages_org`]: the organization's forecast; [`pages_view`]: their rows
//! and charts, formatted.

pub mod pages;
pub mod pages_org;
pub mod pages_view;

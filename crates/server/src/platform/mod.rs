//! Platform endpoints: health, readiness, Prometheus metrics, the audit log, funds and
//! investors (reference data), and the OpenAPI document.

pub mod docs;
pub mod dto;
pub mod input_rules;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod routes;

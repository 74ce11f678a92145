//! Cross-cutting platform storage: who is acting ([`auth`]), what they did ([`audit`]), and
//! requests that must not run twice ([`idempotency`]).

pub mod audit;
pub mod auth;
pub mod backup;
pub mod idempotency;
pub mod leases;
pub mod metrics;
pub mod sessions;
pub mod trace;

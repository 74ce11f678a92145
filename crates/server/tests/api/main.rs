//! Integration tests: the real HTTP API against a real database (SQLite by default,
//! PostgreSQL with `TEST_DATABASE_URL`). One test binary, like zero-to-production.

#[path = "../../../formats/tests/support/mod.rs"]
mod conformance_samples;

mod allocation;
mod helpers;
mod idempotency;
mod lifecycle;
mod openapi;
mod payments;
mod payments_bank_accounts;
mod payments_providers;
mod payments_rails;
mod platform;
mod reconciliation;
mod reinvestment;
mod reversal;
mod tenancy;
mod validation;
mod workers;

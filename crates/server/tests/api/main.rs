//! Integration tests: the real HTTP API against a real database (SQLite by default,
//! PostgreSQL with `TEST_DATABASE_URL`). One test binary, like zero-to-production.

#[path = "../../../formats/tests/support/mod.rs"]
mod conformance_samples;

mod access;
mod allocation;
mod capital;
mod classes;
mod demo_notices;
mod documents;
mod four_eyes;
mod helpers;
mod idempotency;
mod inkind;
mod lifecycle;
mod mail_sink;
mod notification_delivery;
mod notification_providers;
mod notification_unsubscribe_mail;
mod notifications;
mod oidc;
mod openapi;
mod outbound;
mod pages_capital;
mod pages_distributions;
mod pages_funds;
mod pages_inkind;
mod pages_notifications;
mod pages_operations;
mod pages_portal;
mod pages_schedules;
mod payments;
mod payments_bank_accounts;
mod payments_oversized;
mod payments_providers;
mod payments_rails;
mod payments_status_reports;
mod platform;
mod reconciliation;
mod reconciliation_ofx;
mod recovery;
mod reinvestment;
mod reversal;
mod schedules;
mod stale;
mod statement_import;
mod statement_rules;
mod strict;
mod tax_withholding;
mod tenancy;
mod validation;
mod waterfall;
mod web_client;
mod web_sign_in;
mod workers;

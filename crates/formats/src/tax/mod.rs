//! Tax files and forms: the IRS FIRE file (Publication 1220, 750-byte records) and a
//! record-layout checker for it; Form 1099-DIV copy B, Schedule K-1 and Form 1042-S as PDF
//! (through [`crate::documents`]), XLSX and CSV.
//!
//! - [`fire::write`]: a [`fire::FireInput`] (transmitter, payers, payees with their
//!   [`clearway_core::tax::form1099::Div1099`]) to the file's bytes, or a
//!   [`fire::FireError`] naming the record and field.
//! - [`fire_check::check`]: any file back to a [`fire_check::FireSummary`] (payers, payees,
//!   totals per amount code) or every [`fire_check::FireIssue`] found.
//! - [`forms`]: `Div1099Doc`, `K1Doc`, `Form1042SDoc` → [`crate::documents::Layout`] →
//!   [`crate::documents::render`]; `div1099_csv`, `form1042s_csv`, `k1_csv`, `k1_xlsx`.

pub mod fire;
pub mod fire_check;
pub mod forms;

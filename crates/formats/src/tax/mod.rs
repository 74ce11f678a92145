//! Tax files and forms: the IRS FIRE file (Publication 1220, 750-byte records) and a
//! record-layout checker for it; Form 1099-DIV copy B, Schedule K-1 and Form 1042-S as PDF
//! (through [`crate::documents`]), XLSX and CSV.

pub mod fire;
pub mod fire_check;
pub mod forms;

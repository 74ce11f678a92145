//! Bank file formats, in and out. Pure: bytes in, typed records out (and back), no I/O.
//!
//! # Layout
//! - [`documents`]: investor documents (distribution notice, statement, tax summary) as PDF/A-2b,
//!   XLSX and CSV.
//! - [`ach`]: NACHA ACH files — writer (PPD/CCD credits) and reader (incl. returns and NOCs).
//! - [`iso20022`]: ISO 20022 pain.001 credit-transfer initiation writer (.001.03 / .001.09) and
//!   reader; pain.002 payment status report reader.
//! - [`payments_csv`]: payments CSV files: positive pay and check register out, FX rates in.
//! - [`statements`]: bank statement readers (BAI2, SWIFT MT940/MT942, ISO 20022 camt.052/053/054,
//!   OFX).
//! - [`notifications`]: investor notices from templates (email HTML and text, SMS, in-app),
//!   with the locked disclosures; money and dates per locale.

pub mod ach;
pub mod documents;
pub mod iso20022;
pub mod notifications;
pub mod payments_csv;
pub mod statements;
pub mod sync;
pub mod tax;

//! Bank file formats, in and out. Pure: bytes in, typed records out (and back), no I/O.
//!
//! # Layout
//! - [`ach`]: NACHA ACH files — writer (PPD/CCD credits) and reader (incl. returns and NOCs).
//! - [`statements`]: bank statement readers (BAI2, SWIFT MT940/MT942).

pub mod ach;
pub mod statements;

//! Year-end tax: profiles and withholding tables, the withholding step of processing, the
//! liability report, closing a year, issuing 1099-DIV / 1042-S / K-1 forms (bulk as a job),
//! the IRS FIRE file, and re-characterization.

pub mod fire;
pub mod form1042;
pub mod forms;
pub mod hooks;
pub mod import;
pub mod k1;
pub mod liability;
pub mod profiles;
pub mod rates;
pub mod recharacterize;
pub mod runs;
pub mod withholding;
pub mod years;

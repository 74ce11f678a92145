//! Year-end tax over HTTP: profiles and tables, the withholding liability report, years,
//! 1099-DIV / 1042-S / K-1 (JSON, PDF, XLSX, CSV), bulk runs, FIRE files, re-characterization,
//! and their pages.

pub mod fire;
pub mod forms;
pub mod k1;
pub mod liability;
pub mod pages;
pub mod pages_k1;
pub mod pages_withholding;
pub mod profiles;
pub mod rates;
pub mod recharacterize;
pub mod years;

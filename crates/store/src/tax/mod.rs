//! Year-end tax storage (migration 0030): profiles (TIN sealed), withholding tables, the
//! withholding of each processed line, closed years, issued forms, FIRE files, bulk runs,
//! re-characterizations and partnership K-1 items. Every read and write is scoped to the
//! actor's organization; an investor reads only their own profile and forms.

pub mod fire;
pub mod forms;
pub mod k1;
pub mod profiles;
pub mod rates;
pub mod recharacterize;
pub mod runs;
pub mod withholding;
pub mod years;

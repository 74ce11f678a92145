//! Fund-administrator sync over HTTP (issue 21): ownership, file imports (upload), the files'
//! reports and the conflict queue, and their staff [`pages`]; [`dropdir`] watches a directory
//! for files (leader only); [`connector`] is the administrator REST connector and outbound
//! exports.

pub mod connector;

pub mod dropdir;
pub mod dto;
pub mod pages;
pub mod routes;
pub mod sftp;

pub use routes::{router, ApiDoc};

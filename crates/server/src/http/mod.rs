//! HTTP plumbing shared by every capability's routes: the problem-JSON error mapping, request
//! extractors, bearer authentication, pagination, the idempotent write path and webhook signatures.

pub mod auth;
pub mod extract;
pub mod idempotency;
pub mod page;
pub mod problem;
pub mod signature;

pub use extract::{parse_json, Qs, RawBody};
pub(crate) use idempotency::idempotent;
pub use idempotency::{idempotency_key, Saved};
pub use page::{page_limit, Page, PAGE_MAX};
pub use problem::{ApiError, ApiResult, FieldErrorView, Problem};

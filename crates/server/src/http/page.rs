//! Cursor pagination of list endpoints.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::problem::ApiError;

/// A page of results with the cursor for the next page.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page fetched with `limit`: a full page carries the cursor of its last item.
    pub fn new(items: Vec<T>, limit: i64, cursor: impl Fn(&T) -> String) -> Page<T> {
        let next_cursor = (items.len() as i64 == limit)
            .then(|| items.last().map(&cursor))
            .flatten();
        Page { items, next_cursor }
    }

    /// The same page with every item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Largest page any list endpoint returns.
pub const PAGE_MAX: i64 = 1000;

/// Validates a `limit` query parameter (1–1000), defaulting to `default`.
pub fn page_limit(limit: Option<i64>, default: i64) -> Result<i64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=PAGE_MAX).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::field(
            "limit",
            format!("must be between 1 and {PAGE_MAX}"),
        )),
    }
}

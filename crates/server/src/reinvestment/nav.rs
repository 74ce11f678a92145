//! NAV uploads in JSON, parsed and checked completely before anything is written, with errors
//! that name the JSON path and field. CSV uploads (API and CLI) and the import itself are in
//! [`clearway_app::reinvestment::nav`].

use std::collections::HashSet;

use clearway_app::reinvestment::nav::NAV_ROWS_MAX;
use clearway_core::distribution::parse_date;
use clearway_core::reinvestment::nav::{parse_nav, parse_share_class, DEFAULT_SHARE_CLASS};
use clearway_core::{FieldError, Invalid};
use clearway_store::reinvestment::nav::NavPoint;

use super::dto::NavItem;

/// Parses a JSON upload; errors name `navs[i].field`.
pub fn parse_items(items: &[NavItem]) -> Result<Vec<NavPoint>, Invalid> {
    if items.is_empty() {
        return Err(FieldError::new("navs", "must not be empty").into());
    }
    if items.len() > NAV_ROWS_MAX {
        return Err(
            FieldError::new("navs", format!("at most {NAV_ROWS_MAX} NAVs per upload")).into(),
        );
    }
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("navs[{i}]");
        let date = parse_date(&format!("{path}.date"), &item.date);
        let nav = parse_nav(&format!("{path}.nav"), &item.nav);
        let class = match item.share_class.as_deref() {
            None => Ok(DEFAULT_SHARE_CLASS.to_string()),
            Some(c) => parse_share_class(&format!("{path}.shareClass"), c),
        };
        match (date, nav, class) {
            (Ok(date), Ok(nav), Ok(share_class)) => {
                if !seen.insert((share_class.clone(), date)) {
                    errors.push(FieldError::new(
                        format!("{path}.date"),
                        format!("{date} appears more than once for share class {share_class}"),
                    ));
                } else {
                    out.push(NavPoint {
                        share_class,
                        date,
                        nav,
                    });
                }
            }
            (d, n, c) => errors.extend(d.err().into_iter().chain(n.err()).chain(c.err())),
        }
        if errors.len() >= 100 {
            break;
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Invalid(errors))
    }
}

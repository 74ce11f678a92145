//! The exception queue: lines the run could not decide, with causes and candidates.

use chrono::{Duration, NaiveDate};

use crate::statements::{line_record, require_reader, LineRecord, LINE_COLS};
use crate::{q, Actor, Db, StoreError};

use super::*;

/// Filters of the exceptions queue.
#[derive(Debug, Clone, Default)]
pub struct ExceptionFilter {
    /// Only this account.
    pub account: Option<String>,
    /// Only this cause.
    pub cause: Option<String>,
    /// At least this many days old (by value date, as of `as_of`).
    pub min_age_days: Option<i64>,
    /// At most this many days old.
    pub max_age_days: Option<i64>,
    /// Day ages are counted to.
    pub as_of: Option<NaiveDate>,
    /// Cursor: the last line id seen.
    pub after_id: Option<String>,
    /// Page size.
    pub limit: i64,
}

/// The open exceptions (lines left for people), oldest id first.
pub async fn exceptions(
    db: &Db,
    actor: &Actor,
    f: &ExceptionFilter,
) -> Result<Vec<LineRecord>, StoreError> {
    require_reader(actor)?;
    if let Some(c) = &f.cause {
        if !CAUSES.contains(&c.as_str()) {
            return Err(invalid(
                "cause",
                format!("'{c}' is not a cause ({})", CAUSES.join(", ")),
            ));
        }
    }
    let as_of = f.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let day = |n: Option<i64>| n.map(|n| (as_of - Duration::days(n)).to_string());
    db.fetch_all(
        q(format!("SELECT {LINE_COLS} FROM bank_statement_lines l WHERE l.org_id = $1 AND l.status = 'EXCEPTION'
             AND ($2 IS NULL OR l.account_id = $2) AND ($3 IS NULL OR l.exception_cause = $3)
             AND ($4 IS NULL OR l.value_date <= $4) AND ($5 IS NULL OR l.value_date >= $5)
             AND l.id > $6 ORDER BY l.id LIMIT $7"))
            .bind(&actor.org_id)
            .bind(f.account.clone())
            .bind(f.cause.clone())
            .bind(day(f.min_age_days))
            .bind(day(f.max_age_days))
            // why: no cursor is the empty id, which sorts before every id (the first page)
            .bind(f.after_id.clone().unwrap_or_default())
            .bind(f.limit),
    )
    .await?
    .iter()
    .map(line_record)
    .collect()
}

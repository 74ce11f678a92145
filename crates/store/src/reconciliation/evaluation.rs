//! Live decisions and file line order, read for evaluation against a simulator's truth.

use std::collections::BTreeMap;

use crate::statements::require_reader;
use crate::{q, Actor, Db, StoreError};

/// All live matches of the organization as (outcome, line ids, payment ids), for evaluation
/// against a simulator's ground truth (benchmarks and tests).
pub async fn live_decisions(
    db: &Db,
    actor: &Actor,
) -> Result<Vec<(String, Vec<String>, Vec<String>)>, StoreError> {
    require_reader(actor)?;
    let mut by: BTreeMap<String, (String, Vec<String>, Vec<String>)> = BTreeMap::new();
    for r in db
        .fetch_all(
            q("SELECT m.id, m.outcome, ml.line_id FROM reconciliation_matches m JOIN reconciliation_match_lines ml ON ml.match_id = m.id WHERE m.org_id = $1 AND m.live = 1")
                .bind(&actor.org_id),
        )
        .await?
    {
        let e = by.entry(r.text("id")?).or_insert_with(|| (String::new(), Vec::new(), Vec::new()));
        e.0 = r.text("outcome")?;
        e.1.push(r.text("line_id")?);
    }
    for r in db
        .fetch_all(
            q("SELECT mp.match_id, mp.payment_id FROM reconciliation_match_payments mp WHERE mp.org_id = $1 AND mp.live = 1")
                .bind(&actor.org_id),
        )
        .await?
    {
        if let Some(e) = by.get_mut(&r.text("match_id")?) {
            e.2.push(r.text("payment_id")?);
        }
    }
    Ok(by.into_values().collect())
}

/// Lines of a statement file in file order (for evaluation against a simulator's truth).
pub async fn file_line_ids(
    db: &Db,
    actor: &Actor,
    file_id: &str,
) -> Result<Vec<String>, StoreError> {
    require_reader(actor)?;
    db.fetch_all(
        q("SELECT l.id FROM bank_statement_lines l JOIN bank_statements s ON s.id = l.statement_id WHERE s.org_id = $1 AND s.file_id = $2 ORDER BY s.seq, l.seq")
            .bind(&actor.org_id)
            .bind(file_id),
    )
    .await?
    .iter()
    .map(|r| r.text("id"))
    .collect()
}

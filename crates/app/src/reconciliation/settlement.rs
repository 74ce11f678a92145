//! Writing matches and settling their payments: the one place reconciliation settles.

use std::collections::HashSet;

use clearway_core::payments::returns;
use clearway_store::payments::{Settlement, Settling};
use clearway_store::reconciliation::{self as store, NewMatch};
use clearway_store::{Actor, Tx};

use crate::AppResult;

/// Writes matches and settles their payments; returns the new match ids in order. `read`:
/// the payments as settling reads them, already read in `tx` (a run's candidates), or `None`
/// to read them here (a manual match).
pub(crate) async fn write_and_settle(
    tx: &mut Tx,
    actor: &Actor,
    run_id: Option<&str>,
    matches: &[NewMatch<'_>],
    read: Option<&[Settling]>,
) -> AppResult<Vec<String>> {
    let ids = store::write_matches(tx, actor, run_id, matches).await?;
    settle(tx, actor, &settlements(matches), read).await?;
    Ok(ids)
}

/// The one settlement call site of reconciliation: every payment a match clears or returns
/// is settled here, in one bulk settlement per run or manual match.
async fn settle(
    tx: &mut Tx,
    actor: &Actor,
    outcomes: &[(String, Settlement)],
    read: Option<&[Settling]>,
) -> AppResult<()> {
    let Some(read) = read else {
        crate::payments::settle_many(tx, actor, outcomes).await?;
        return Ok(());
    };
    // Only the payments settled go to the plan (a run reads every candidate).
    let wanted: HashSet<&str> = outcomes.iter().map(|(id, _)| id.as_str()).collect();
    let payments: Vec<Settling> = read
        .iter()
        .filter(|p| wanted.contains(p.id.as_str()))
        .cloned()
        .collect();
    crate::payments::settle_read(tx, actor, payments, outcomes).await?;
    Ok(())
}

/// What the matches do to their payments: cleared ones first, so a payment matched and
/// returned in one run ends RETURNED. A payment already COMPLETED (e.g. by the provider) is
/// left as it is when cleared.
fn settlements(matches: &[NewMatch<'_>]) -> Vec<(String, Settlement)> {
    let mut outcomes = Vec::new();
    for pass in ["CLEARED", "RETURNED"] {
        for m in matches.iter().filter(|m| m.outcome == pass) {
            let (Some(first), Some(value_date)) = (m.lines.first(), m.value_date()) else {
                continue; // the store refuses a match without lines before this runs
            };
            for p in &m.payments {
                let settlement = if pass == "CLEARED" {
                    if p.status != "SENT" {
                        continue; // already COMPLETED: nothing to change
                    }
                    Settlement::Cleared { value_date }
                } else {
                    let text = &first.description;
                    Settlement::Returned {
                        code: return_code(text),
                        reason: format!(
                            "credit back on statement line {}: {}",
                            first.id,
                            text.chars().take(200).collect::<String>()
                        ),
                    }
                };
                outcomes.push((p.id.clone(), settlement));
            }
        }
    }
    outcomes
}

/// An ACH return code (`R01`…`R99`) in the line text, else a generic one.
fn return_code(description: &str) -> String {
    description
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| returns::is_return_code(w))
        .map_or_else(|| "BANK_RETURN".to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_codes_come_from_the_bank_text() {
        assert_eq!(return_code("ACH RETURN R03 NO ACCOUNT TRACE 0210"), "R03");
        assert_eq!(return_code("RETURN/R10/UNAUTHORIZED"), "R10");
        assert_eq!(return_code("RETURNED ITEM"), "BANK_RETURN");
        assert_eq!(return_code("REF R1234"), "BANK_RETURN");
    }
}

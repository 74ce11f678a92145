//! The fund's capital positions in memory: a batch of commitments, calls and contributions is
//! checked against it in order, each accepted row updating it, so later rows see earlier ones.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use clearway_core::capital::{uncalled, PartnerKind};
use clearway_core::FieldError;
use clearway_store::capital::{self as store, CapitalFund};
use clearway_store::{Actor, StoreError, Tx};

/// One investor's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    /// Committed.
    pub committed: i64,
    /// Called (call items and direct contributions).
    pub called: i64,
    /// Recallable recorded.
    pub recallable: i64,
    /// Commitment date.
    pub date: Option<NaiveDate>,
    /// LP or GP.
    pub kind: PartnerKind,
}

impl Pos {
    /// Uncalled capital.
    pub fn uncalled(&self) -> i64 {
        uncalled(self.committed, self.called, self.recallable)
    }
}

/// Positions by investor, plus the organization's known investors.
#[derive(Debug, Clone)]
pub struct Book {
    /// The fund.
    pub fund: CapitalFund,
    /// Positions by investor id.
    pub positions: HashMap<String, Pos>,
    /// Investors of the organization (for "unknown investor").
    pub known: HashSet<String>,
    /// Today (no contribution dated later).
    pub today: NaiveDate,
}

impl Book {
    /// Loads the fund's positions and which of `investors` exist.
    pub async fn load(
        tx: &mut Tx,
        actor: &Actor,
        fund: CapitalFund,
        investors: &[&str],
        today: NaiveDate,
    ) -> Result<Book, StoreError> {
        let positions = store::positions(tx, actor, &fund.fund.id, None, None)
            .await?
            .into_iter()
            .map(|p| {
                let pos = Pos {
                    committed: p.committed_minor,
                    called: p.called_minor,
                    recallable: p.recallable_minor,
                    date: p.commitment_date,
                    kind: p.kind,
                };
                (p.investor_id, pos)
            })
            .collect();
        let known = store::known_investors(tx, actor, investors).await?;
        Ok(Book {
            fund,
            positions,
            known,
            today,
        })
    }

    /// The position of a committed investor, or the error for `field`.
    pub fn committed(&self, field: String, investor: &str) -> Result<&Pos, FieldError> {
        if !self.known.contains(investor) {
            return Err(FieldError::new(
                field,
                format!("unknown investor '{investor}'"),
            ));
        }
        self.positions
            .get(investor)
            .ok_or_else(|| FieldError::new(field, "the investor has no commitment to this fund"))
    }

    /// Checks a contribution dated `date` against the commitment (not in the future, not
    /// before the commitment date); errors name `date_field`.
    pub fn check_date(&self, date_field: String, pos: &Pos, date: NaiveDate) -> Option<FieldError> {
        if date > self.today {
            return Some(FieldError::new(date_field, "must not be in the future"));
        }
        match pos.date {
            Some(d) if date < d => Some(FieldError::new(
                date_field,
                format!("is before the investor's commitment date ({d})"),
            )),
            _ => None,
        }
    }
}

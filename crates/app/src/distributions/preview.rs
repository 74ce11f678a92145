//! What a declaration would produce, without writing it: the lines planned from the
//! record-date holdings by the same code as [`super::create`].

use clearway_core::access::Permission;
use clearway_core::distribution::{Allocation, PlannedLine};
use clearway_core::reinvestment::nav::DEFAULT_SHARE_CLASS;
use clearway_core::Currency;
use clearway_store::{Actor, Db};

use super::command::DistributionInput;
use super::lifecycle::{fund_named, plan};
use crate::AppResult;

/// The lines a request would get.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The fund's currency (every amount's).
    pub currency: Currency,
    /// The declared total of a pro-rata allocation (None for per-share rates and explicit lines).
    pub declared_minor: Option<i64>,
    /// The lines, by investor id.
    pub lines: Vec<PlannedLine>,
}

impl Preview {
    /// Sum of the lines, minor units.
    pub fn lines_minor(&self) -> i64 {
        self.lines.iter().map(|l| l.total).sum()
    }
}

/// Plans `req`'s lines as [`super::create`] would, inside a transaction that is never
/// committed (dropped: rolled back), so nothing is written.
pub async fn preview<R: DistributionInput>(db: &Db, actor: &Actor, req: &R) -> AppResult<Preview> {
    actor.require(Permission::Operate)?;
    let mut tx = db.begin().await?;
    let fund = fund_named(&mut tx, actor, req.fund_ref()).await?;
    let cmd = req.command(fund.currency)?;
    let class = req.share_class().unwrap_or(DEFAULT_SHARE_CLASS);
    let planned = plan(&mut tx, actor, &fund, class, &cmd.schedule, &cmd.allocation).await?;
    Ok(Preview {
        currency: fund.currency,
        declared_minor: match cmd.allocation {
            Allocation::ProRata { total, .. } => Some(total),
            _ => None,
        },
        lines: planned.lines,
    })
}

//! The withholding step of the `distribution.process` job: see [`step`].
//!
//! When the organization withholds (`tax_org_settings.withholding_enabled`), the fund is
//! OPEN_END and the distribution REGULAR or CORRECTION, every PENDING line without a
//! `line_withholdings` row gets one, decided by [`clearway_core::tax::withholding::withhold`]
//! from the investor's profile (none: a US person without a TIN, withheld on and flagged), the
//! fund's designations and the organization's tables; the line's `withholding_minor` becomes
//! federal + state: **the engine replaces an amount entered on the line** (it is the
//! withholding agent's decision, not the upload's). A REVERSAL gets the reversed lines' rows
//! negated, whether or not the organization withholds now (its lines already carry the negated
//! `withholding_minor`). Partnerships withhold
//! nothing here: partnership withholding on foreign partners (IRC 1446) is out of scope.
//! Flagged lines are counted in one `tax.withholding_flagged` event per distribution and
//! listed by `GET /api/tax/withholding/flags`.
//!
//! Cost: one read of lines with profiles, the tables, the fund's settings, one bulk insert and
//! one UPDATE … FROM, whatever the number of lines.

use clearway_core::distribution::{FundKind, Kind};
use clearway_core::tax::withholding::{withhold, Withheld};
use clearway_store::distributions::Distribution;
use clearway_store::tax::{rates, withholding as store};
use clearway_store::{funds, outbox, Actor, Tx};
use serde_json::json;

use crate::jobs::JobError;

/// Decides and stores every line's withholding (federal and state) before reinvestment and
/// payment read the lines' `withholding_minor`.
pub async fn step(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), JobError> {
    let payable = d.schedule.payable.to_string();
    let ctx = store::RowContext {
        distribution_id: &d.id,
        fund_id: &d.fund_id,
        currency: d.currency.code(),
        payable_date: &payable,
    };
    if d.kind == Kind::Reversal {
        // Whatever the switch says now: what was withheld on the original is undone.
        store::insert_reversed_tx(tx, actor, &ctx).await?;
        return Ok(());
    }
    if !rates::withholding_enabled_tx(tx, actor).await? {
        return Ok(());
    }
    let fund = funds::get_fund_tx(tx, actor, &d.fund_id).await?;
    if fund.kind != FundKind::OpenEnd {
        return Ok(());
    }
    let lines = store::pending_lines_tx(tx, actor, &d.id).await?;
    if lines.is_empty() {
        return Ok(());
    }
    let tables = rates::tables_tx(tx, actor).await?;
    let settings = rates::fund_settings_tx(tx, actor, &d.fund_id).await?;
    let decided: Vec<(String, Withheld)> = lines
        .into_iter()
        .map(|l| {
            let w = withhold(
                &l.components,
                l.profile.as_ref(),
                &settings.designations,
                &tables,
            );
            (l.investor_id, w)
        })
        .collect();
    store::insert_tx(tx, actor, &ctx, &decided).await?;
    let flagged = decided.iter().filter(|(_, w)| w.flag.is_some()).count();
    if flagged > 0 {
        outbox::emit(
            tx,
            actor,
            "tax.withholding_flagged",
            "distribution",
            &d.id,
            json!({ "distributionId": d.id, "flaggedLines": flagged }),
        )
        .await?;
    }
    Ok(())
}

//! What the processing step writes, set-based: reinvestments, lots, adjustments, holdings, lines.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::reinvestment::nav::NavRule;
use clearway_core::reinvestment::{ElectionKind, Percentage};
use rust_decimal::Decimal;

use crate::db::planner::{Hint, Method};
use crate::db::{Arg, ArgRows, RowSink, RowSource};
use crate::{now_text, q, Actor, StoreError, Tx};
use tracing::Instrument;

/// Reinvestment transaction kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKind {
    /// Shares bought with a distribution.
    Reinvest,
    /// Shares of an earlier reinvestment taken back by a reversal.
    Reversal,
}

impl TxKind {
    /// Stored spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            TxKind::Reinvest => "REINVEST",
            TxKind::Reversal => "REVERSAL",
        }
    }
}

impl std::str::FromStr for TxKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "REINVEST" => Ok(TxKind::Reinvest),
            "REVERSAL" => Ok(TxKind::Reversal),
            other => Err(format!("'{other}' is not a reinvestment kind")),
        }
    }
}

/// A reinvestment transaction to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReinvestment {
    /// Investor.
    pub investor_id: String,
    /// REINVEST or REVERSAL.
    pub kind: TxKind,
    /// Fund bought.
    pub fund_id: String,
    /// Election applied.
    pub election: ElectionKind,
    /// Its percentage.
    pub percentage: Percentage,
    /// Money elected for reinvestment.
    pub reinvestable_minor: i64,
    /// Cost of the shares (negative on reversals).
    pub cost_minor: i64,
    /// Shares (negative on reversals).
    pub shares: Decimal,
    /// NAV per share used.
    pub nav: Decimal,
    /// Date of that NAV.
    pub nav_date: NaiveDate,
    /// EXACT or PRIOR.
    pub nav_rule: NavRule,
    /// Lot created (or closed, on reversals).
    pub lot_id: String,
    /// On reversals: the distribution whose reinvestment is undone.
    pub reverses_distribution_id: Option<String>,
}

/// A new tax lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLot {
    /// Lot id.
    pub id: String,
    /// Fund.
    pub fund_id: String,
    /// Investor.
    pub investor_id: String,
    /// Acquisition date.
    pub acquired_on: NaiveDate,
    /// OPENING, PURCHASE or REINVESTMENT.
    pub source: &'static str,
    /// For reinvestments: the distribution.
    pub source_distribution_id: Option<String>,
    /// Shares.
    pub shares: Decimal,
    /// Cost basis, minor units.
    pub cost_minor: i64,
}

/// A change of one lot's basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotAdjustment {
    /// Lot.
    pub lot_id: String,
    /// Its fund.
    pub fund_id: String,
    /// Its investor.
    pub investor_id: String,
    /// Basis change (negative: reduced by ROC).
    pub basis_change_minor: i64,
    /// The distribution whose return of capital this change accounts for: the one processed,
    /// the original a reversal undoes, or a later distribution whose reduction of a lot the
    /// reversal took back is applied again to the investor's remaining lots.
    pub roc_distribution_id: String,
}

/// Return of capital applied for one line (stored only when part of it was beyond basis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RocApplication {
    /// Investor.
    pub investor_id: String,
    /// Fund.
    pub fund_id: String,
    /// ROC of the line.
    pub roc_minor: i64,
    /// Part that reduced basis.
    pub basis_reduction_minor: i64,
    /// Part beyond basis (capital gain).
    pub gain_minor: i64,
    /// The distribution whose return of capital this accounts for (see [`LotAdjustment`]).
    /// A reversal applying a later distribution's ROC again records only what changed: no
    /// ROC (`roc_minor` 0), `gain_minor` more gain and as much less basis reduction.
    pub roc_distribution_id: String,
}

/// A holdings row to set: (fund, class, investor, date) → units, inserted or updated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldingSet {
    /// Fund.
    pub fund_id: String,
    /// Share class (`DEFAULT` unless the fund has classes).
    pub share_class: String,
    /// Investor.
    pub investor_id: String,
    /// Date of the row.
    pub as_of: NaiveDate,
    /// Units held from that date.
    pub units: Decimal,
    /// A row with this key exists already (update it) or not (insert it).
    pub exists: bool,
}

/// Everything one processing step writes.
#[derive(Debug, Clone, Default)]
pub struct Writes {
    /// Reinvestment transactions, one per line at most.
    pub reinvestments: Vec<NewReinvestment>,
    /// New lots.
    pub lots: Vec<NewLot>,
    /// Lots closed by reversals.
    pub closed_lots: Vec<String>,
    /// Basis changes.
    pub adjustments: Vec<LotAdjustment>,
    /// Return of capital per line (stored only where part of it was beyond basis: the
    /// reductions themselves are the adjustments).
    pub roc: Vec<RocApplication>,
    /// Holdings rows.
    pub holdings: Vec<HoldingSet>,
}

const REINVESTMENT_COLUMNS: [&str; 15] = [
    "distribution_id",
    "investor_id",
    "org_id",
    "kind",
    "fund_id",
    "election",
    "percentage",
    "reinvestable_minor",
    "cost_minor",
    "shares",
    "nav",
    "nav_date",
    "nav_rule",
    "lot_id",
    "reverses_distribution_id",
];

/// Lots are inserted with these columns.
const LOT_COLUMNS: [&str; 11] = [
    "id",
    "org_id",
    "fund_id",
    "investor_id",
    "acquired_on",
    "source",
    "source_distribution_id",
    "original_cost_minor",
    "shares",
    "basis_minor",
    "status",
];

/// Basis changes are inserted with these columns.
const ADJUSTMENT_COLUMNS: [&str; 8] = [
    "distribution_id",
    "lot_id",
    "org_id",
    "fund_id",
    "investor_id",
    "basis_change_minor",
    "created_at",
    "roc_distribution_id",
];

/// Return of capital beyond basis is inserted with these columns.
const ROC_COLUMNS: [&str; 9] = [
    "distribution_id",
    "investor_id",
    "org_id",
    "fund_id",
    "roc_minor",
    "basis_reduction_minor",
    "gain_minor",
    "created_at",
    "roc_distribution_id",
];

/// Holdings rows are inserted with these columns.
const HOLDING_COLUMNS: [&str; 6] = [
    "org_id",
    "fund_id",
    "share_class",
    "investor_id",
    "as_of",
    "units",
];

/// One `reinvestments` row (columns [`REINVESTMENT_COLUMNS`]).
fn reinvestment_row<S: RowSink>(s: &mut S, actor: &Actor, ctx: &Context<'_>, r: &NewReinvestment) {
    s.text(ctx.distribution_id)
        .text(&r.investor_id)
        .text(&actor.org_id)
        .text(r.kind.as_str())
        .text(&r.fund_id)
        .text(r.election.as_str())
        .plain(r.percentage)
        .int(r.reinvestable_minor)
        .int(r.cost_minor)
        .plain(r.shares)
        .plain(r.nav)
        .plain(r.nav_date)
        .text(r.nav_rule.as_str())
        .text(&r.lot_id)
        .opt_text(r.reverses_distribution_id.as_deref())
        .end_row();
}

/// One `position_lots` row (columns [`LOT_COLUMNS`]): a new lot is open, basis = cost.
fn lot_row<S: RowSink>(s: &mut S, actor: &Actor, l: &NewLot) {
    s.text(&l.id)
        .text(&actor.org_id)
        .text(&l.fund_id)
        .text(&l.investor_id)
        .plain(l.acquired_on)
        .text(l.source)
        .opt_text(l.source_distribution_id.as_deref())
        .int(l.cost_minor)
        .plain(l.shares.normalize())
        .int(l.cost_minor)
        .text("OPEN")
        .end_row();
}

/// One `holdings` row (columns [`HOLDING_COLUMNS`]).
fn holding_row<S: RowSink>(s: &mut S, actor: &Actor, h: &HoldingSet) {
    s.text(&actor.org_id)
        .text(&h.fund_id)
        .text(&h.share_class)
        .text(&h.investor_id)
        .plain(h.as_of)
        .plain(h.units.normalize())
        .end_row();
}

/// The `reinvestments` rows of a step.
struct ReinvestmentRows<'a> {
    actor: &'a Actor,
    ctx: &'a Context<'a>,
    rows: &'a [NewReinvestment],
}

impl RowSource for ReinvestmentRows<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        reinvestment_row(sink, self.actor, self.ctx, &self.rows[at]);
    }
}

/// New `position_lots` rows.
struct LotRows<'a> {
    actor: &'a Actor,
    rows: &'a [NewLot],
}

impl RowSource for LotRows<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        lot_row(sink, self.actor, &self.rows[at]);
    }
}

/// `holdings` rows to insert: those of `sets` that exist already (`exists`), or those that
/// do not.
struct HoldingRows<'a> {
    actor: &'a Actor,
    rows: Vec<&'a HoldingSet>,
}

impl<'a> HoldingRows<'a> {
    fn new(actor: &'a Actor, sets: &'a [HoldingSet], exists: bool) -> Self {
        HoldingRows {
            actor,
            rows: sets.iter().filter(|h| h.exists == exists).collect(),
        }
    }
}

impl RowSource for HoldingRows<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn write<S: RowSink>(&self, at: usize, sink: &mut S) {
        holding_row(sink, self.actor, self.rows[at]);
    }
}

/// Inserts new lots (bulk) in the caller's transaction.
pub async fn insert_lots(tx: &mut Tx, actor: &Actor, lots: &[NewLot]) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    tx.bulk_load(
        "position_lots",
        &LOT_COLUMNS,
        &LotRows { actor, rows: lots },
    )
    .await
}

/// Context of a [`persist`] call: the distribution being processed.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// Distribution id.
    pub distribution_id: &'a str,
}

/// Rows per `UPDATE … FROM (VALUES …)` statement.
pub(super) const UPDATE_CHUNK: usize = 4_000;

/// The rows a step inserts, per table, exactly as loaded.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// `reinvestments`.
    pub reinvestments: Vec<Vec<Arg>>,
    /// `position_lots`.
    pub lots: Vec<Vec<Arg>>,
    /// `lot_adjustments`.
    pub adjustments: Vec<Vec<Arg>>,
    /// `roc_gains` (only lines whose return of capital went beyond basis).
    pub roc: Vec<Vec<Arg>>,
    /// `holdings` rows that do not exist yet.
    pub new_holdings: Vec<Vec<Arg>>,
}

impl Rows {
    /// Number of rows in all tables.
    pub fn len(&self) -> usize {
        self.reinvestments.len()
            + self.lots.len()
            + self.adjustments.len()
            + self.roc.len()
            + self.new_holdings.len()
    }

    /// Whether there is nothing to insert.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The basis-change and return-of-capital rows of `w`, stamped `now`.
fn small_rows(
    actor: &Actor,
    ctx: &Context<'_>,
    w: &Writes,
    now: &str,
) -> (Vec<Vec<Arg>>, Vec<Vec<Arg>>) {
    let adjustments = w
        .adjustments
        .iter()
        .map(|a| {
            vec![
                ctx.distribution_id.into(),
                (&a.lot_id).into(),
                (&actor.org_id).into(),
                (&a.fund_id).into(),
                (&a.investor_id).into(),
                a.basis_change_minor.into(),
                now.into(),
                (&a.roc_distribution_id).into(),
            ]
        })
        .collect();
    let roc = w
        .roc
        .iter()
        .filter(|r| r.gain_minor != 0)
        .map(|r| {
            vec![
                ctx.distribution_id.into(),
                (&r.investor_id).into(),
                (&actor.org_id).into(),
                (&r.fund_id).into(),
                r.roc_minor.into(),
                r.basis_reduction_minor.into(),
                r.gain_minor.into(),
                now.into(),
                (&r.roc_distribution_id).into(),
            ]
        })
        .collect();
    (adjustments, roc)
}

/// Renders the rows of `w` for the distribution of `ctx`.
pub fn rows(actor: &Actor, ctx: &Context<'_>, w: &Writes) -> Rows {
    let (adjustments, roc) = small_rows(actor, ctx, w, &now_text());
    Rows {
        reinvestments: ArgRows::collect(&ReinvestmentRows {
            actor,
            ctx,
            rows: &w.reinvestments,
        }),
        lots: ArgRows::collect(&LotRows {
            actor,
            rows: &w.lots,
        }),
        adjustments,
        roc,
        new_holdings: ArgRows::collect(&HoldingRows::new(actor, &w.holdings, false)),
    }
}

/// Bulk-loads `rows` already rendered (COPY on PostgreSQL, one prepared INSERT on SQLite),
/// nothing else: the benchmark's baseline for the step's inserts.
pub async fn insert_rows(tx: &mut Tx, actor: &Actor, rows: &Rows) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    load(
        tx,
        &rows.reinvestments[..],
        &rows.lots[..],
        &rows.adjustments,
        &rows.roc,
        &rows.new_holdings[..],
    )
    .await
}

/// Loads a step's rows table by table, each load in its own debug span (timed when span
/// closes are logged): the step's own rows (written straight from its values) or the
/// benchmark baseline's rendered ones.
#[tracing::instrument(level = "debug", skip_all)]
async fn load<R: RowSource + ?Sized, L: RowSource + ?Sized, H: RowSource + ?Sized>(
    tx: &mut Tx,
    reinvestments: &R,
    lots: &L,
    adjustments: &[Vec<Arg>],
    roc: &[Vec<Arg>],
    holdings: &H,
) -> Result<(), StoreError> {
    tx.bulk_load("reinvestments", &REINVESTMENT_COLUMNS, reinvestments)
        .instrument(tracing::debug_span!("insert reinvestments"))
        .await?;
    tx.bulk_load("position_lots", &LOT_COLUMNS, lots)
        .instrument(tracing::debug_span!("insert lots"))
        .await?;
    tx.bulk_insert("lot_adjustments", &ADJUSTMENT_COLUMNS, adjustments)
        .instrument(tracing::debug_span!("insert lot adjustments"))
        .await?;
    tx.bulk_insert("roc_gains", &ROC_COLUMNS, roc)
        .instrument(tracing::debug_span!("insert roc"))
        .await?;
    tx.bulk_load("holdings", &HOLDING_COLUMNS, holdings)
        .instrument(tracing::debug_span!("insert holdings"))
        .await?;
    Ok(())
}

/// Writes a processing step's results and settles every pending line of the distribution:
/// lines with a reinvestment get `reinvested = cost`, `cash = total − withholding − cost`
/// (REINVESTED when no cash is left); every other pending line is all cash. Set-based: bulk
/// loads and a handful of statements, whatever the number of lines.
#[tracing::instrument(level = "debug", skip_all, fields(distribution_id = ctx.distribution_id))]
pub async fn persist(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Context<'_>,
    w: &Writes,
) -> Result<(), StoreError> {
    actor.require(Permission::Operate)?;
    let now = now_text();
    // Each row is written straight from `w` into the backend's load (COPY text, or bindings):
    // rendering and freeing a value per field first cost ~120 ms of a 100,000-line step.
    let (adjustments, roc) = small_rows(actor, ctx, w, &now);
    load(
        tx,
        &ReinvestmentRows {
            actor,
            ctx,
            rows: &w.reinvestments,
        },
        &LotRows {
            actor,
            rows: &w.lots,
        },
        &adjustments,
        &roc,
        &HoldingRows::new(actor, &w.holdings, false),
    )
    .await?;
    close_lots(tx, actor, &w.closed_lots, &now).await?;
    let mut seen = std::collections::HashSet::with_capacity(w.adjustments.len());
    if !w.adjustments.iter().all(|a| seen.insert(a.lot_id.as_str())) {
        // A reversal can change one lot for several distributions' ROC: their sum, per lot
        // (a join over several rows per lot would apply only one of them).
        tx.execute(
            q("UPDATE position_lots SET basis_minor = position_lots.basis_minor + a.change
               FROM (SELECT lot_id, CAST(SUM(basis_change_minor) AS BIGINT) AS change FROM lot_adjustments
                     WHERE distribution_id = $1 AND org_id = $2 GROUP BY lot_id) a
               WHERE a.lot_id = position_lots.id AND position_lots.org_id = $2 AND position_lots.status = 'OPEN'")
                .bind(ctx.distribution_id)
                .bind(&actor.org_id),
        )
        .instrument(tracing::debug_span!("update lot basis"))
        .await?;
    } else if !w.adjustments.is_empty() {
        // One join over the rows just loaded (their key starts with the distribution).
        tx.execute(
            q("UPDATE position_lots SET basis_minor = position_lots.basis_minor + a.basis_change_minor
               FROM lot_adjustments a
               WHERE a.distribution_id = $1 AND a.lot_id = position_lots.id AND position_lots.org_id = $2 AND position_lots.status = 'OPEN'")
                .bind(ctx.distribution_id)
                .bind(&actor.org_id),
        )
        .instrument(tracing::debug_span!("update lot basis"))
        .await?;
    }
    update_holdings(tx, actor, &w.holdings).await?;
    // Settle the lines: those with a reinvestment from it, then every other one as cash.
    // On PostgreSQL the join must be a hash join (one pass over each side): without statistics
    // on the just-written rows the planner takes a nested loop that probes the reinvestments
    // once per line (1.4 s for 100,000 lines, not 0.27 s). Scoped to this one statement.
    let hint = Hint::off(tx, Method::NestLoop).await?;
    tx.execute(
        q("UPDATE distribution_lines SET reinvested_minor = r.cost_minor,
             cash_minor = distribution_lines.total_minor - distribution_lines.withholding_minor - r.cost_minor,
             status = CASE WHEN r.cost_minor > 0 AND distribution_lines.total_minor - distribution_lines.withholding_minor - r.cost_minor = 0
                           THEN 'REINVESTED' ELSE distribution_lines.status END
           FROM reinvestments r
           WHERE r.distribution_id = $1 AND distribution_lines.distribution_id = $1 AND distribution_lines.investor_id = r.investor_id
             AND distribution_lines.org_id = $2 AND distribution_lines.cash_minor IS NULL")
            .bind(ctx.distribution_id)
            .bind(&actor.org_id),
    )
    .instrument(tracing::debug_span!("settle reinvested lines"))
    .await?;
    hint.restore(tx).await?;
    tx.execute(
        q("UPDATE distribution_lines SET reinvested_minor = 0, cash_minor = total_minor - withholding_minor
           WHERE distribution_id = $1 AND org_id = $2 AND cash_minor IS NULL")
            .bind(ctx.distribution_id)
            .bind(&actor.org_id),
    )
    .instrument(tracing::debug_span!("settle cash lines"))
    .await?;
    Ok(())
}

/// Closes the lots a reversal took back (basis 0), in chunks.
#[tracing::instrument(level = "debug", skip_all, fields(lots = ids.len()))]
async fn close_lots(
    tx: &mut Tx,
    actor: &Actor,
    ids: &[String],
    now: &str,
) -> Result<(), StoreError> {
    for chunk in ids.chunks(UPDATE_CHUNK) {
        let placeholders = crate::db::placeholders(3, chunk.len());
        let mut query = q(format!(
            "UPDATE position_lots SET basis_minor = 0, status = 'CLOSED', closed_at = $1 WHERE org_id = $2 AND id IN ({})",
            placeholders
        ))
        .bind(now)
        .bind(&actor.org_id);
        for id in chunk {
            query.push(id);
        }
        tx.execute(query).await?;
    }
    Ok(())
}

/// Replaces existing holdings rows: deletes them by key (per fund and date, investors in
/// chunks, through the primary key) and loads the new versions in bulk. Rare: only when a
/// holdings row already exists on the trade date or after it.
#[tracing::instrument(level = "debug", skip_all, fields(rows = sets.len()))]
async fn update_holdings(
    tx: &mut Tx,
    actor: &Actor,
    sets: &[HoldingSet],
) -> Result<(), StoreError> {
    let mut groups: std::collections::BTreeMap<(&str, &str, NaiveDate), Vec<&str>> =
        std::collections::BTreeMap::new();
    for h in sets.iter().filter(|h| h.exists) {
        groups
            .entry((h.fund_id.as_str(), h.share_class.as_str(), h.as_of))
            .or_default()
            .push(h.investor_id.as_str());
    }
    for ((fund_id, class, as_of), investors) in &groups {
        for chunk in investors.chunks(UPDATE_CHUNK) {
            let placeholders = crate::db::placeholders(5, chunk.len());
            let mut query = q(format!(
                "DELETE FROM holdings WHERE org_id = $1 AND fund_id = $2 AND as_of = $3 AND share_class = $4 AND investor_id IN ({})",
                placeholders
            ))
            .bind(&actor.org_id)
            .bind(*fund_id)
            .bind(as_of.to_string())
            .bind(*class);
            for investor in chunk {
                query.push(*investor);
            }
            tx.execute(query).await?;
        }
    }
    tx.bulk_load(
        "holdings",
        &HOLDING_COLUMNS,
        &HoldingRows::new(actor, sets, true),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::CopyText;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    /// The COPY text PostgreSQL would load for `source`.
    fn copy_of<R: RowSource + ?Sized>(source: &R) -> String {
        let mut text = CopyText::with_capacity(0);
        source.write_all(&mut text);
        text.as_str().to_string()
    }

    /// The step writes its rows straight from its values into the backend's load; SQLite's
    /// replay of a refused row and the benchmark's baseline go through [`Arg`]s. Both must be
    /// the very same rows.
    #[test]
    fn copy_text_holds_exactly_the_rendered_rows() {
        let actor = Actor::system("org-1");
        let ctx = Context {
            distribution_id: "dist-1",
        };
        let date = |s: &str| s.parse::<NaiveDate>().expect("date");
        let reinvestment =
            |investor: &str, kind, shares: &str, reverses: Option<&str>| NewReinvestment {
                investor_id: investor.into(),
                kind,
                fund_id: "fund-1".into(),
                election: ElectionKind::Partial,
                percentage: Percentage::new(d("12.345678")).expect("percentage"),
                reinvestable_minor: 12_345,
                cost_minor: -12_344,
                shares: d(shares),
                nav: d("10.12345678"),
                nav_date: date("2026-03-31"),
                nav_rule: NavRule::Prior,
                lot_id: format!("lot-{investor}"),
                reverses_distribution_id: reverses.map(str::to_string),
            };
        let w = Writes {
            reinvestments: vec![
                reinvestment("inv-a", TxKind::Reinvest, "1219.4000", None),
                // Odd text in ids is escaped the same way on both paths.
                reinvestment("inv\tb\\c", TxKind::Reversal, "-0.0010", Some("dist-0")),
            ],
            lots: vec![
                NewLot {
                    id: "lot-1".into(),
                    fund_id: "fund-1".into(),
                    investor_id: "inv-a".into(),
                    acquired_on: date("2026-04-01"),
                    source: "REINVESTMENT",
                    source_distribution_id: Some("dist-1".into()),
                    shares: d("1219.4000"),
                    cost_minor: 12_344,
                },
                NewLot {
                    id: "lot-2".into(),
                    fund_id: "fund-1".into(),
                    investor_id: "inv\nd".into(),
                    acquired_on: date("2025-12-31"),
                    source: "OPENING",
                    source_distribution_id: None,
                    shares: d("0.5"),
                    cost_minor: 0,
                },
            ],
            holdings: vec![
                HoldingSet {
                    fund_id: "fund-1".into(),
                    share_class: "DEFAULT".into(),
                    investor_id: "inv-a".into(),
                    as_of: date("2026-04-01"),
                    units: d("2219.40000000"),
                    exists: false,
                },
                HoldingSet {
                    fund_id: "fund-1".into(),
                    share_class: "DEFAULT".into(),
                    investor_id: "inv-e".into(),
                    as_of: date("2026-04-01"),
                    units: d("7"),
                    exists: true,
                },
                HoldingSet {
                    fund_id: "fund-2".into(),
                    share_class: "I".into(),
                    investor_id: "inv-f".into(),
                    as_of: date("2026-05-01"),
                    units: d("0.000"),
                    exists: false,
                },
            ],
            ..Writes::default()
        };
        // The Args path (SQLite's replay of a refused row, the benchmark's baseline) and the
        // direct path write the same fields.
        let rendered = rows(&actor, &ctx, &w);
        let reinvestments = copy_of(&ReinvestmentRows {
            actor: &actor,
            ctx: &ctx,
            rows: &w.reinvestments,
        });
        let lots = copy_of(&LotRows {
            actor: &actor,
            rows: &w.lots,
        });
        let holdings = copy_of(&HoldingRows::new(&actor, &w.holdings, false));
        let from_args = |rows: &[Vec<Arg>]| copy_of(rows);
        assert_eq!(reinvestments, from_args(&rendered.reinvestments));
        assert_eq!(lots, from_args(&rendered.lots));
        assert_eq!(holdings, from_args(&rendered.new_holdings));
        // And the text is what PostgreSQL is meant to read (spot checks, not just equality).
        assert_eq!(
            reinvestments.lines().nth(1),
            Some("dist-1\tinv\\tb\\\\c\torg-1\tREVERSAL\tfund-1\tPARTIAL\t12.345678\t12345\t-12344\t-0.0010\t10.12345678\t2026-03-31\tPRIOR\tlot-inv\\tb\\\\c\tdist-0")
        );
        assert_eq!(
            lots,
            "lot-1\torg-1\tfund-1\tinv-a\t2026-04-01\tREINVESTMENT\tdist-1\t12344\t1219.4\t12344\tOPEN\n\
             lot-2\torg-1\tfund-1\tinv\\nd\t2025-12-31\tOPENING\t\\N\t0\t0.5\t0\tOPEN\n"
        );
        assert_eq!(
            holdings,
            "org-1\tfund-1\tDEFAULT\tinv-a\t2026-04-01\t2219.4\norg-1\tfund-2\tI\tinv-f\t2026-05-01\t0\n"
        );
    }
}

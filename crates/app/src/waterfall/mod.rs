//! Distribution waterfalls of partnerships: terms per fund, hypothetical runs that write
//! nothing, a run that becomes a DRAFT distribution (then the normal approve → process → pay
//! path), and the GP clawback at a date. The arithmetic is the core's
//! ([`clearway_core::waterfall`]); this module gathers its inputs from the store in one
//! transaction and writes the result with its audit entry and event.

use chrono::NaiveDate;
use clearway_core::distribution::{
    Allocation, ComponentKind, Components, ExplicitLine, FundKind, Schedule,
};
use clearway_core::waterfall::{
    self, Clawback, Contribution, Outcome, Partner, PartnerKind, PriorDistribution, Proceeds,
    Terms, TierAmounts,
};
use clearway_core::{Currency, Invalid};
use clearway_store::distributions::Distribution;
use clearway_store::funds::{self, Fund};
use clearway_store::waterfall::{self as store, Run, TermsRow, Tiers};
use clearway_store::{capital, outbox, Actor, Db, StoreError, Tx};
use serde_json::json;

use crate::distributions::{self, DistributionCommand, DistributionInput};
use crate::{AppError, AppResult};

/// The fund a waterfall request names; only partnerships have waterfalls.
async fn partnership(tx: &mut Tx, actor: &Actor, fund_ref: &str) -> AppResult<Fund> {
    let fund = funds::get_fund_tx(tx, actor, fund_ref).await?;
    if fund.kind != FundKind::Partnership {
        return Err(AppError::field(
            "fundId",
            format!(
                "fund {} is open-end; waterfalls are for partnerships",
                fund.code
            ),
        ));
    }
    Ok(fund)
}

/// Terms as stored, parsed (stored terms were validated when written).
fn parse_terms(row: &TermsRow) -> AppResult<Terms> {
    serde_json::from_value(row.terms.clone())
        .map_err(|e| StoreError::Corrupt(format!("waterfall terms v{}: {e}", row.version)).into())
}

/// The terms in force for the fund, if any.
pub async fn terms(db: &Db, actor: &Actor, fund_ref: &str) -> AppResult<Option<(TermsRow, Terms)>> {
    let mut tx = db.begin().await?;
    let fund = partnership(&mut tx, actor, fund_ref).await?;
    match store::current_terms(&mut tx, actor, &fund.id).await? {
        Some(row) => {
            let terms = parse_terms(&row)?;
            Ok(Some((row, terms)))
        }
        None => Ok(None),
    }
}

/// Sets new terms for the fund (validated first: nothing is written when they are refused).
pub async fn set_terms(
    tx: &mut Tx,
    actor: &Actor,
    fund_ref: &str,
    terms: &Terms,
) -> AppResult<TermsRow> {
    actor.require(clearway_core::access::Permission::Operate)?;
    let fund = partnership(tx, actor, fund_ref).await?;
    terms.validate()?;
    let value = serde_json::to_value(terms)
        .map_err(|e| StoreError::Corrupt(format!("waterfall terms: {e}")))?;
    let row = store::put_terms(tx, actor, &fund.id, &value).await?;
    outbox::emit(
        tx,
        actor,
        "waterfall.terms_changed",
        "fund",
        &fund.id,
        json!({ "fundId": fund.id, "version": row.version, "terms": value }),
    )
    .await?;
    Ok(row)
}

/// What the core needs of the fund as of `date`.
struct Inputs {
    terms_version: i64,
    terms: Terms,
    partners: Vec<Partner>,
    contributions: Vec<Contribution>,
    prior: Vec<PriorDistribution>,
}

async fn inputs(tx: &mut Tx, actor: &Actor, fund: &Fund, date: NaiveDate) -> AppResult<Inputs> {
    let Some(row) = store::current_terms(tx, actor, &fund.id).await? else {
        return Err(AppError::conflict(format!(
            "fund {} has no waterfall terms; set them first (PUT /api/funds/{}/waterfall)",
            fund.code, fund.id
        )));
    };
    let terms = parse_terms(&row)?;
    let partners = capital::partners(tx, actor, &fund.id)
        .await?
        .into_iter()
        .map(|p| Partner {
            investor_id: p.investor_id,
            kind: if p.kind == "GP" {
                PartnerKind::Gp
            } else {
                PartnerKind::Lp
            },
        })
        .collect();
    // The fund as of `date`: contributions and distributions up to it, nothing later.
    let contributions = capital::contributions(tx, actor, &fund.id, date)
        .await?
        .into_iter()
        .map(|c| Contribution {
            investor_id: c.investor_id,
            date: c.date,
            amount: c.amount_minor,
            deal: c.deal,
        })
        .collect();
    let prior = store::prior_lines(tx, actor, &fund.id, date)
        .await?
        .into_iter()
        .map(|l| PriorDistribution {
            investor_id: l.investor_id,
            date: l.date,
            deal: l.deal,
            amount: l.amount,
            by_tier: l.tiers.map(|t| TierAmounts {
                return_of_capital: t.roc,
                preferred_return: t.pref,
                catch_up: t.catch_up,
                carried_interest: t.carry,
            }),
        })
        .collect();
    Ok(Inputs {
        terms_version: row.version,
        terms,
        partners,
        contributions,
        prior,
    })
}

/// A waterfall computed, with the terms version it ran under.
#[derive(Debug, Clone)]
pub struct Computed {
    /// The fund.
    pub fund: Fund,
    /// Terms version applied.
    pub terms_version: i64,
    /// The result.
    pub outcome: Outcome,
}

async fn compute(
    tx: &mut Tx,
    actor: &Actor,
    fund: Fund,
    proceeds: &Proceeds,
) -> AppResult<Computed> {
    let i = inputs(tx, actor, &fund, proceeds.date).await?;
    let outcome = waterfall::run(&i.terms, &i.partners, &i.contributions, &i.prior, proceeds)
        .map_err(prefix_proceeds)?;
    Ok(Computed {
        fund,
        terms_version: i.terms_version,
        outcome,
    })
}

/// The core names proceeds fields `proceeds.amount` etc.; requests name them at the top level.
fn prefix_proceeds(e: Invalid) -> AppError {
    AppError::Invalid(Invalid(
        e.0.into_iter()
            .map(|mut f| {
                if let Some(rest) = f.field.strip_prefix("proceeds.") {
                    f.field = rest.to_string();
                }
                f
            })
            .collect(),
    ))
}

/// "What if we distribute `proceeds.amount` on `proceeds.date`": the full waterfall, written
/// nowhere (the read transaction is rolled back).
/// `proceeds` is built from the request once the fund (and so its currency) is known: the
/// fund is looked up once.
pub async fn hypothetical(
    db: &Db,
    actor: &Actor,
    fund_ref: &str,
    proceeds: impl FnOnce(Currency) -> Result<Proceeds, Invalid>,
) -> AppResult<(Proceeds, Computed)> {
    let mut tx = db.begin().await?;
    let fund = partnership(&mut tx, actor, fund_ref).await?;
    let proceeds = proceeds(fund.currency)?;
    let computed = compute(&mut tx, actor, fund, &proceeds).await?;
    Ok((proceeds, computed))
}

/// The GP clawback of the fund at `as_of`.
pub async fn clawback(
    db: &Db,
    actor: &Actor,
    fund_ref: &str,
    as_of: NaiveDate,
) -> AppResult<(Fund, Clawback)> {
    let mut tx = db.begin().await?;
    let fund = partnership(&mut tx, actor, fund_ref).await?;
    let i = inputs(&mut tx, actor, &fund, as_of).await?;
    let c = waterfall::clawback(
        &i.terms,
        &i.partners,
        &i.contributions,
        &i.prior,
        as_of,
        fund.currency,
    )?;
    Ok((fund, c))
}

/// A waterfall run that becomes a distribution.
#[derive(Debug, Clone)]
pub struct WaterfallDistribution {
    /// Proceeds in minor units of the fund's currency.
    pub amount: i64,
    /// Deal (American style).
    pub deal: Option<String>,
    /// Dates; the waterfall is computed at the payable date (pref accrues until paid).
    pub schedule: Schedule,
    /// Free text.
    pub description: String,
    /// The income character of the profit tiers (pref, catch-up, carry); the return of
    /// capital tier is always return of capital.
    pub profit_character: ComponentKind,
}

/// The lines of an outcome as explicit lines: return of capital as such, the rest as profit.
fn lines_of(outcome: &Outcome, profit: ComponentKind) -> Vec<ExplicitLine> {
    outcome
        .investors
        .iter()
        .filter(|i| i.total > 0)
        .map(|i| {
            let mut components = Components::default();
            components.set(ComponentKind::ReturnOfCapital, i.amounts.return_of_capital);
            components.set(profit, i.total - i.amounts.return_of_capital);
            ExplicitLine {
                investor_id: i.investor_id.clone(),
                total: i.total,
                components,
            }
        })
        .collect()
}

/// The distribution a waterfall makes, as the distributions service reads requests.
struct Derived<'a> {
    fund: &'a Fund,
    req: &'a WaterfallDistribution,
    computed: &'a Computed,
}

impl DistributionInput for Derived<'_> {
    fn fund_ref(&self) -> &str {
        &self.fund.id
    }

    fn command(&self, currency: Currency) -> Result<DistributionCommand, Invalid> {
        Ok(DistributionCommand {
            schedule: self.req.schedule,
            description: self.req.description.clone(),
            allocation: Allocation::Explicit(lines_of(
                &self.computed.outcome,
                self.req.profit_character,
            )),
            allocation_record: json!({
                "method": "waterfall",
                "proceeds": currency.format_minor(self.req.amount),
                "deal": self.req.deal,
                "termsVersion": self.computed.terms_version,
                "profitCharacter": self.req.profit_character.as_str(),
            }),
        })
    }
}

/// Runs the waterfall for `req` and declares its result as a DRAFT distribution inside `tx`,
/// with the run and each line's tier split recorded beside it.
pub async fn create_distribution(
    tx: &mut Tx,
    actor: &Actor,
    fund_ref: &str,
    req: &WaterfallDistribution,
) -> AppResult<(Distribution, Computed)> {
    actor.require(clearway_core::access::Permission::Operate)?;
    let fund = partnership(tx, actor, fund_ref).await?;
    let proceeds = Proceeds {
        amount: req.amount,
        date: req.schedule.payable,
        deal: req.deal.clone(),
        currency: fund.currency,
    };
    let computed = compute(tx, actor, fund, &proceeds).await?;
    if computed.outcome.investors.iter().all(|i| i.total == 0) {
        return Err(AppError::field("amount", "the waterfall allocates nothing"));
    }
    let fund = &computed.fund;
    let derived = Derived {
        fund,
        req,
        computed: &computed,
    };
    let d = distributions::create(tx, actor, &derived).await?;
    let run = Run {
        distribution_id: d.id.clone(),
        fund_id: fund.id.clone(),
        terms_version: computed.terms_version,
        proceeds_minor: req.amount,
        proceeds_date: proceeds.date,
        deal: req.deal.clone(),
        tiers: serde_json::to_value(&computed.outcome.tiers)
            .map_err(|e| StoreError::Corrupt(format!("waterfall tiers: {e}")))?,
    };
    let lines: Vec<(String, Tiers)> = computed
        .outcome
        .investors
        .iter()
        .filter(|i| i.total > 0)
        .map(|i| {
            (
                i.investor_id.clone(),
                Tiers {
                    roc: i.amounts.return_of_capital,
                    pref: i.amounts.preferred_return,
                    catch_up: i.amounts.catch_up,
                    carry: i.amounts.carried_interest,
                },
            )
        })
        .collect();
    store::record_run(tx, actor, &run, &lines).await?;
    Ok((d, computed))
}

/// The run behind a distribution, if a waterfall made it.
pub async fn run_of(
    db: &Db,
    actor: &Actor,
    distribution_id: &str,
) -> AppResult<Option<(Run, Vec<(String, Tiers)>)>> {
    Ok(store::run_of(db, actor, distribution_id).await?)
}

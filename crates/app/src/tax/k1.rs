//! Schedule K-1 (Form 1065) per partner of a partnership fund and year.
//!
//! - Fund items (Part III amounts entered at fund level) are added and deleted here, with
//!   their audit entry and event; a closed year refuses changes.
//! - Partners are the investors with a commitment in the fund. Part III is the items
//!   allocated by profit share at the year end ([`clearway_core::tax::k1::allocate`]); 19A is
//!   the cash of the year's COMPLETED distributions (reversals netting, cash in lieu
//!   included), 19C the property distributed in kind at its stated value. Item L is the
//!   capital account of the year (the capital module's), item J the shares of ownership at the
//!   beginning (the day before the year) and end, and of capital.
//! - [`issue_all`] issues every partner's K-1 of a closed year (form `K-1`; the same figures
//!   again issue nothing).
//!
//! Shares need every partner's ownership and capital, so an investor user's own K-1 is
//! computed through a read-only staff view of their organization, after their access to
//! their own investor was checked; only their own K-1 ever leaves.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use clearway_core::access::{Permission, Role};
use clearway_core::distribution::FundKind;
use clearway_core::input::check_text;
use clearway_core::tax::k1::{allocate, item_j, FundItem, ItemL, K1Amount, K1Line, K1};
use clearway_core::{FieldError, Invalid};
use clearway_store::funds::{self, Fund};
use clearway_store::reinvestment::check_investor_tx;
use clearway_store::tax::forms::{self, FormRecord};
use clearway_store::tax::k1::{self as store, K1ItemRecord, NewK1Item};
use clearway_store::tax::years;
use clearway_store::{audit, outbox, Actor, StoreError, Tx};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::capital::ownership;
use crate::{AppError, AppResult};

/// The form name of a K-1 in `tax_forms`.
pub const FORM: &str = "K-1";

/// A fund item as entered.
#[derive(Debug, Clone, Default)]
pub struct ItemInput {
    /// Tax year.
    pub tax_year: i64,
    /// K-1 line (`5`, `6a`, `6b`, `8`, `9a`, `9b`, `9c`, `10`, `11`, `13`, `20`, `21`).
    pub line: String,
    /// Code: 1–2 capital letters for lines 11, 13 and 20; empty otherwise.
    pub code: String,
    /// Amount, decimal string, signed, not zero.
    pub amount: String,
    /// Description.
    pub description: String,
}

/// Lines that carry a code (2025 Partner's Instructions for Schedule K-1).
const CODED: [K1Line; 3] = [
    K1Line::OtherIncome,
    K1Line::Deductions,
    K1Line::OtherInformation,
];

/// Checks the year of a request (a plausible tax year).
pub fn check_year(field: &str, year: i64) -> Result<i32, FieldError> {
    if (1900..=2200).contains(&year) {
        Ok(year as i32)
    } else {
        Err(FieldError::new(
            field,
            "must be a year between 1900 and 2200",
        ))
    }
}

fn parse_item(input: &ItemInput, fund: &Fund) -> Result<NewK1Item, Invalid> {
    let mut errs = Vec::new();
    let year = check_year("taxYear", input.tax_year)
        .map_err(|e| errs.push(e))
        .ok();
    let line = match input.line.trim().parse::<K1Line>() {
        Ok(K1Line::DistributionsCash | K1Line::DistributionsProperty) => {
            errs.push(FieldError::new(
                "line",
                "19A and 19C come from the distributions",
            ));
            None
        }
        Ok(l) => Some(l),
        Err(_) => {
            errs.push(FieldError::new(
                "line",
                "must be one of 5, 6a, 6b, 8, 9a, 9b, 9c, 10, 11, 13, 20, 21",
            ));
            None
        }
    };
    let code = input.code.trim();
    if let Some(l) = line {
        let letters = (1..=2).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase());
        if CODED.contains(&l) && !letters {
            errs.push(FieldError::new(
                "code",
                "must be 1 or 2 capital letters for this line",
            ));
        } else if !CODED.contains(&l) && !code.is_empty() {
            errs.push(FieldError::new("code", "must be empty for this line"));
        }
    }
    let amount = match fund.currency.parse_amount("amount", input.amount.trim()) {
        Ok(0) => {
            errs.push(FieldError::new("amount", "must not be zero"));
            None
        }
        Ok(a) => Some(a),
        Err(e) => {
            errs.push(e);
            None
        }
    };
    let description = input.description.trim();
    if description.chars().count() > 200 {
        errs.push(FieldError::new(
            "description",
            "must be at most 200 characters",
        ));
    } else if let Err(e) = check_text("description", description, false) {
        errs.push(e);
    }
    match (year, line, amount, errs.is_empty()) {
        (Some(tax_year), Some(line), Some(amount_minor), true) => Ok(NewK1Item {
            tax_year,
            line: line.as_str().to_string(),
            code: code.to_string(),
            amount_minor,
            description: description.to_string(),
        }),
        _ => Err(Invalid(errs)),
    }
}

/// The partnership fund `fund_id` (404 when absent; 422 `fundId` when open-end).
async fn partnership(tx: &mut Tx, actor: &Actor, fund_id: &str) -> AppResult<Fund> {
    let fund = funds::get_fund_tx(tx, actor, fund_id).await?;
    if fund.kind != FundKind::Partnership {
        return Err(AppError::field("fundId", "K-1s are for partnership funds"));
    }
    Ok(fund)
}

async fn refuse_closed(tx: &mut Tx, actor: &Actor, year: i32) -> AppResult<()> {
    if years::is_closed_tx(tx, actor, year).await? {
        return Err(AppError::field(
            "taxYear",
            format!("tax year {year} is closed"),
        ));
    }
    Ok(())
}

/// 6b (qualified) must not exceed 6a (ordinary dividends) for the year.
async fn check_dividends(tx: &mut Tx, actor: &Actor, fund: &Fund, year: i32) -> AppResult<()> {
    let items = store::list_tx(tx, actor, &fund.id, Some(year), None, None).await?;
    let sum = |l: &str| -> i64 {
        items
            .iter()
            .filter(|i| i.line == l)
            .map(|i| i.amount_minor)
            .sum()
    };
    if sum("6b") > sum("6a") {
        return Err(AppError::field(
            "amount",
            "qualified dividends (6b) must not exceed ordinary dividends (6a) for the year",
        ));
    }
    Ok(())
}

async fn trail(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    item: &K1ItemRecord,
) -> Result<(), StoreError> {
    let after = json!({
        "fundId": item.fund_id, "taxYear": item.tax_year, "line": item.line, "code": item.code,
        "amountMinor": item.amount_minor, "description": item.description,
    });
    audit::record(
        tx,
        actor,
        audit::Change {
            action,
            entity_type: "k1_item",
            entity_id: &item.id,
            before: None,
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(tx, actor, action, "k1_item", &item.id, after).await?;
    Ok(())
}

/// Adds a fund item (operators, admins).
pub async fn add_item(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    input: &ItemInput,
) -> AppResult<K1ItemRecord> {
    actor.require(Permission::Operate)?;
    let fund = partnership(tx, actor, fund_id).await?;
    let new = parse_item(input, &fund)?;
    refuse_closed(tx, actor, new.tax_year).await?;
    let item = store::insert_tx(tx, actor, &fund.id, &new).await?;
    check_dividends(tx, actor, &fund, new.tax_year).await?;
    trail(tx, actor, "k1_item.added", &item).await?;
    Ok(item)
}

/// Deletes a fund item (operators, admins); refused in a closed year, or when 6b would then
/// exceed 6a.
pub async fn delete_item(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    id: &str,
) -> AppResult<K1ItemRecord> {
    actor.require(Permission::Operate)?;
    let fund = partnership(tx, actor, fund_id).await?;
    let item = store::get_tx(tx, actor, &fund.id, id).await?;
    refuse_closed(tx, actor, item.tax_year).await?;
    store::delete_tx(tx, actor, &fund.id, id).await?;
    check_dividends(tx, actor, &fund, item.tax_year).await?;
    trail(tx, actor, "k1_item.deleted", &item).await?;
    Ok(item)
}

/// Items of a fund (optionally one year), a page.
pub async fn list_items(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    year: Option<i32>,
    after: Option<&str>,
    limit: i64,
) -> AppResult<(Fund, Vec<K1ItemRecord>)> {
    actor.require(Permission::Read)?;
    if actor.role == Role::Investor {
        return Err(StoreError::NotFound("fund").into());
    }
    let fund = partnership(tx, actor, fund_id).await?;
    let items = store::list_tx(tx, actor, &fund.id, year, after, Some(limit)).await?;
    Ok((fund, items))
}

/// One partner's K-1 as computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerK1 {
    /// Investor.
    pub investor_id: String,
    /// Name.
    pub name: String,
    /// The figures.
    pub k1: K1,
}

/// The read-only staff view an investor's own K-1 is computed through (see the module docs).
fn reader(actor: &Actor) -> Actor {
    Actor {
        role: Role::Auditor,
        investor_id: None,
        ..actor.clone()
    }
}

fn year_bounds(year: i32) -> AppResult<(NaiveDate, NaiveDate, NaiveDate)> {
    let d = |y: i32, m: u32, day: u32| {
        NaiveDate::from_ymd_opt(y, m, day)
            .ok_or_else(|| AppError::field("taxYear", "is not a valid year"))
    };
    Ok((d(year - 1, 12, 31)?, d(year, 1, 1)?, d(year, 12, 31)?))
}

/// Every partner's K-1 of the fund-year (staff view; `actor` must not be an investor).
async fn compute(tx: &mut Tx, actor: &Actor, fund: &Fund, year: i32) -> AppResult<Vec<PartnerK1>> {
    let (before, first, last) = year_bounds(year)?;
    let names = clearway_store::capital::investor_names(tx, actor, &fund.id).await?;
    let shares = |rows: Vec<crate::capital::OwnershipRow>| -> BTreeMap<String, Decimal> {
        rows.into_iter()
            .map(|r| (r.investor_id, r.percent))
            .collect()
    };
    let own_begin = shares(ownership(tx, actor, &fund.id, before).await?.1);
    let own_end = shares(ownership(tx, actor, &fund.id, last).await?.1);
    // The capital module's roll-forward (no fund total: that is the staff report's tie-out).
    let moves = clearway_store::capital::movements(tx, actor, &fund.id, first, last, None).await?;
    let accounts = clearway_core::capital::accounts(&moves);
    let cap_begin: BTreeMap<String, i64> = accounts
        .iter()
        .map(|(i, a)| (i.clone(), a.beginning_minor))
        .collect();
    let cap_end: BTreeMap<String, i64> = accounts
        .iter()
        .map(|(i, a)| (i.clone(), a.ending_minor))
        .collect();
    let items: Vec<FundItem> = store::list_tx(tx, actor, &fund.id, Some(year), None, None)
        .await?
        .into_iter()
        .map(|i| {
            Ok(FundItem {
                line: i.line.parse().map_err(StoreError::Corrupt)?,
                code: i.code,
                amount_minor: i.amount_minor,
                description: i.description,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    let mut part3 = allocate(&items, &own_end);
    let dists: BTreeMap<String, store::YearDistributions> =
        store::distributions_tx(tx, actor, &fund.id, &first.to_string(), &last.to_string())
            .await?
            .into_iter()
            .collect();
    let mut out = Vec::with_capacity(names.len());
    let mut partners: Vec<(String, String)> = names.into_iter().collect();
    partners.sort();
    for (investor, name) in partners {
        let mut lines = part3.remove(&investor).unwrap_or_default();
        let dist = dists.get(&investor).cloned().unwrap_or_default();
        for (line, amount) in [
            (K1Line::DistributionsCash, dist.cash_minor),
            (K1Line::DistributionsProperty, dist.property_minor),
        ] {
            if amount != 0 {
                lines.push(K1Amount {
                    line,
                    code: String::new(),
                    amount_minor: amount,
                });
            }
        }
        lines.retain(|l| l.amount_minor != 0);
        lines.sort_by(|a, b| (a.line, &a.code).cmp(&(b.line, &b.code)));
        let acc = accounts.get(&investor).cloned().unwrap_or_default();
        if !acc.rolls_forward() {
            return Err(StoreError::Corrupt(format!(
                "the capital account of {investor} does not roll forward"
            ))
            .into());
        }
        let item_l = ItemL {
            beginning: acc.beginning_minor,
            contributed: acc.contributions_minor,
            net_income: acc.allocated_minor,
            other: 0,
            withdrawals_distributions: acc.distributions_minor,
            ending: acc.ending_minor,
        };
        let item_j = item_j(&investor, &own_begin, &own_end, &cap_begin, &cap_end);
        out.push(PartnerK1 {
            investor_id: investor,
            name,
            k1: K1 {
                lines,
                item_j,
                item_l,
            },
        });
    }
    Ok(out)
}

/// Every partner's K-1 of a fund-year (staff), each with its newest issue where the year is
/// closed (then its figures are the issued ones), else computed now.
pub async fn fund_k1s(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    year: i64,
) -> AppResult<(Fund, Vec<(PartnerK1, Option<FormRecord>)>)> {
    actor.require(Permission::Read)?;
    if actor.role == Role::Investor {
        return Err(StoreError::NotFound("fund").into());
    }
    let fund = partnership(tx, actor, fund_id).await?;
    let year = check_year("taxYear", year).map_err(|e| AppError::Invalid(e.into()))?;
    let all = compute(tx, actor, &fund, year).await?;
    // A closed year shows what was issued (the figures as filed), like one partner's K-1.
    let mut issued: BTreeMap<String, FormRecord> = BTreeMap::new();
    if years::is_closed_tx(tx, actor, year).await? {
        for f in forms::newest_of_year_tx(tx, actor, &fund.id, year, FORM, None, i64::MAX).await? {
            issued.insert(f.investor_id.clone(), f);
        }
    }
    let mut out = Vec::with_capacity(all.len());
    for mut p in all {
        let issue = issued.remove(&p.investor_id);
        if let Some(f) = &issue {
            p.k1 = serde_json::from_str(&f.figures)
                .map_err(|e| StoreError::Corrupt(format!("K-1 figures: {e}")))?;
        }
        out.push((p, issue));
    }
    Ok((fund, out))
}

/// A partner's K-1 as shown: issued (closed year, `final`) or computed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct K1Statement {
    /// The fund.
    pub fund: Fund,
    /// Year.
    pub tax_year: i32,
    /// The partner.
    pub partner: PartnerK1,
    /// Whether the year is closed and this is the issued form.
    pub final_: bool,
    /// The issue (closed year, once issued).
    pub issue: Option<FormRecord>,
}

/// One partner's K-1 (staff, or the investor themself; another investor's is 404).
pub async fn partner_k1(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    year: i64,
    fund_id: &str,
) -> AppResult<K1Statement> {
    check_investor_tx(tx, actor, investor_id).await?;
    let fund = partnership(tx, actor, fund_id).await?;
    let year = check_year("taxYear", year).map_err(|e| AppError::Invalid(e.into()))?;
    let closed = years::is_closed_tx(tx, actor, year).await?;
    let issue = if closed {
        forms::latest_tx(tx, actor, &fund.id, investor_id, year, FORM).await?
    } else {
        None
    };
    let view = reader(actor);
    let all = compute(tx, &view, &fund, year).await?;
    let mut partner = all
        .into_iter()
        .find(|p| p.investor_id == investor_id)
        .ok_or(StoreError::NotFound("partner"))?;
    if let Some(f) = &issue {
        partner.k1 = serde_json::from_str(&f.figures)
            .map_err(|e| StoreError::Corrupt(format!("K-1 figures: {e}")))?;
    }
    Ok(K1Statement {
        fund,
        tax_year: year,
        final_: issue.is_some(),
        partner,
        issue,
    })
}

/// Issues every partner's K-1 of a closed year (an open one: 422 `taxYear`): answers
/// (issued, unchanged). The forms part's bulk run calls it.
pub async fn issue_all(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    year: i32,
) -> AppResult<(u64, u64)> {
    actor.require(Permission::Operate)?;
    let fund = partnership(tx, actor, fund_id).await?;
    if !years::is_closed_tx(tx, actor, year).await? {
        return Err(AppError::field(
            "taxYear",
            format!("tax year {year} is still open"),
        ));
    }
    let (mut issued, mut unchanged) = (0, 0);
    for p in compute(tx, actor, &fund, year).await? {
        let figures =
            serde_json::to_string(&p.k1).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let (rec, new) =
            forms::issue_tx(tx, actor, &fund.id, &p.investor_id, year, FORM, &figures).await?;
        if new {
            issued += 1;
            let after: Value = json!({"fundId": fund.id, "investorId": p.investor_id, "taxYear": year, "seq": rec.seq, "corrected": rec.corrected});
            audit::record(
                tx,
                actor,
                audit::Change {
                    action: "tax_form.issued",
                    entity_type: "tax_form",
                    entity_id: &rec.id,
                    before: None,
                    after: Some(after.clone()),
                },
            )
            .await?;
            outbox::emit(tx, actor, "tax_form.issued", "tax_form", &rec.id, after).await?;
        } else {
            unchanged += 1;
        }
    }
    Ok((issued, unchanged))
}

/// The K-1 as a document (PDF, XLSX): the partnership's EIN from its tax settings, the
/// partner's masked TIN and kind, and the descriptions of the year's items (the statement
/// attached to the form).
pub async fn document(
    tx: &mut Tx,
    actor: &Actor,
    st: &K1Statement,
) -> AppResult<clearway_formats::tax::forms::K1Doc> {
    let fund_tax = forms::fund_tax_tx(tx, actor, &st.fund.id).await?;
    let investor = st.partner.investor_id.clone();
    let recipients = forms::recipients_tx(tx, actor, std::slice::from_ref(&investor)).await?;
    let last4 = recipients.get(&investor).and_then(|r| r.tin_last4.clone());
    let general_partner = store::is_general_partner_tx(tx, actor, &st.fund.id, &investor).await?;
    let items = store::list_tx(
        tx,
        &reader(actor),
        &st.fund.id,
        Some(st.tax_year),
        None,
        None,
    )
    .await?;
    Ok(clearway_formats::tax::forms::K1Doc {
        year: st.tax_year,
        partnership_name: fund_tax.payer_name.unwrap_or_else(|| st.fund.name.clone()),
        partnership_ein: fund_tax.payer_tin.unwrap_or_default(),
        partner_name: st.partner.name.clone(),
        partner_tin_masked: clearway_formats::tax::forms::mask_tin(last4.as_deref()),
        general_partner,
        k1: st.partner.k1.clone(),
        descriptions: items
            .into_iter()
            .filter(|i| !i.description.is_empty())
            .map(|i| (i.line, i.code, i.description))
            .collect(),
    })
}

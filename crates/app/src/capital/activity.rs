//! Commitments, capital calls, contributions and recallable amounts: one batch checked row by
//! row against the fund's positions ([`Book`]) and written all or nothing.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::capital::{split_call, PartnerKind, Uncalled};
use clearway_core::distribution::parse_date;
use clearway_core::input::check_text;
use clearway_core::{Currency, FieldError, Invalid};
use clearway_store::capital::{self as store, NewCall, NewCommitment, NewContribution};
use clearway_store::{Actor, Tx};
use serde_json::json;

use super::book::{Book, Pos};
use super::trail;
use crate::AppResult;

/// `at.field`, or `field` when the input is the request itself.
pub fn field(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_string()
    } else {
        format!("{at}.{name}")
    }
}

/// A commitment as entered.
#[derive(Debug, Clone, Default)]
pub struct CommitmentInput {
    /// Where it came from, for field names (`commitments[0]`, `rows[3]`).
    pub at: String,
    /// Investor id.
    pub investor_id: String,
    /// `LP` or `GP`.
    pub kind: String,
    /// Amount (decimal, major units).
    pub amount: String,
    /// Commitment date.
    pub date: String,
}

/// One investor's part of a call.
#[derive(Debug, Clone, Default)]
pub struct CallItemInput {
    /// Where it came from.
    pub at: String,
    /// Investor id.
    pub investor_id: String,
    /// Amount (decimal).
    pub amount: String,
}

/// A capital call as entered: either `amount` (split pro rata to uncalled capital) or `items`.
#[derive(Debug, Clone, Default)]
pub struct CallInput {
    /// Where it came from (empty for the request itself).
    pub at: String,
    /// Call date.
    pub call_date: String,
    /// Due date.
    pub due_date: String,
    /// Description.
    pub description: String,
    /// Deal.
    pub deal: Option<String>,
    /// Total to split pro rata to uncalled capital.
    pub amount: Option<String>,
    /// Given amounts.
    pub items: Vec<CallItemInput>,
}

/// A contribution as entered.
#[derive(Debug, Clone, Default)]
pub struct ContributionInput {
    /// Where it came from.
    pub at: String,
    /// Investor id.
    pub investor_id: String,
    /// Date received.
    pub date: String,
    /// Amount (decimal, positive).
    pub amount: String,
    /// Deal.
    pub deal: Option<String>,
    /// The call it pays (its whole item for the investor), if any.
    pub call_id: Option<String>,
}

/// Everything a request or an import brings, applied in this order: commitments, calls,
/// contributions.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Commitments.
    pub commitments: Vec<CommitmentInput>,
    /// Calls.
    pub calls: Vec<CallInput>,
    /// Contributions.
    pub contributions: Vec<ContributionInput>,
}

/// What a batch wrote.
#[derive(Debug, Clone, Default)]
pub struct BatchOutcome {
    /// Commitments recorded.
    pub commitments: usize,
    /// Calls created, with their ids and per-investor amounts.
    pub calls: Vec<(String, NewCall)>,
    /// Contributions recorded.
    pub contributions: usize,
}

fn amount(errs: &mut Vec<FieldError>, cur: Currency, f: String, text: &str) -> Option<i64> {
    match cur.parse_amount(&f, text.trim()) {
        Ok(a) if a > 0 => Some(a),
        Ok(_) => {
            errs.push(FieldError::new(f, "must be more than zero"));
            None
        }
        Err(e) => {
            errs.push(e);
            None
        }
    }
}

fn date(errs: &mut Vec<FieldError>, f: String, text: &str) -> Option<NaiveDate> {
    parse_date(&f, text.trim()).map_err(|e| errs.push(e)).ok()
}

fn text(errs: &mut Vec<FieldError>, f: String, t: &str, max: usize, required: bool) -> String {
    let t = t.trim();
    if required && t.is_empty() {
        errs.push(FieldError::new(f, "is required"));
    } else if t.chars().count() > max {
        errs.push(FieldError::new(
            f,
            format!("must be at most {max} characters"),
        ));
    } else if let Err(e) = check_text(&f, t, false) {
        errs.push(e);
    }
    t.to_string()
}

fn commitment(
    book: &mut Book,
    errs: &mut Vec<FieldError>,
    c: &CommitmentInput,
) -> Option<NewCommitment> {
    let cur = book.fund.fund.currency;
    let n = errs.len();
    let kind = PartnerKind::parse(&field(&c.at, "kind"), &c.kind)
        .map_err(|e| errs.push(e))
        .ok();
    let amt = amount(errs, cur, field(&c.at, "amount"), &c.amount);
    let d = date(errs, field(&c.at, "date"), &c.date);
    let inv = field(&c.at, "investorId");
    if !book.known.contains(c.investor_id.trim()) {
        errs.push(FieldError::new(
            inv,
            format!("unknown investor '{}'", c.investor_id.trim()),
        ));
    } else if book.positions.contains_key(c.investor_id.trim()) {
        errs.push(FieldError::new(
            inv,
            "the investor already has a commitment to this fund",
        ));
    }
    if errs.len() > n {
        return None;
    }
    let (kind, committed_minor, date) = (kind?, amt?, d?);
    let pos = Pos {
        committed: committed_minor,
        called: 0,
        recallable: 0,
        date: Some(date),
        kind,
    };
    book.positions.insert(c.investor_id.trim().to_string(), pos);
    Some(NewCommitment {
        investor_id: c.investor_id.trim().to_string(),
        kind,
        committed_minor,
        date,
    })
}

fn call(book: &mut Book, errs: &mut Vec<FieldError>, c: &CallInput) -> Option<NewCall> {
    let n = errs.len();
    let call_date = date(errs, field(&c.at, "callDate"), &c.call_date);
    let due_date = date(errs, field(&c.at, "dueDate"), &c.due_date);
    if let (Some(cd), Some(dd)) = (call_date, due_date) {
        if dd < cd {
            errs.push(FieldError::new(
                field(&c.at, "dueDate"),
                "must not be before the call date",
            ));
        }
    }
    let description = text(errs, field(&c.at, "description"), &c.description, 200, true);
    let deal = c
        .deal
        .as_deref()
        .map(|d| text(errs, field(&c.at, "deal"), d, 100, false))
        .filter(|d| !d.is_empty());
    let items = match (&c.amount, c.items.is_empty()) {
        (Some(total), true) => call_date.and_then(|on| pro_rata(book, errs, c, total, on)),
        (None, false) => given_items(book, errs, c, call_date),
        _ => {
            errs.push(FieldError::new(
                field(&c.at, "amount"),
                "give either amount (split pro rata to uncalled capital) or items",
            ));
            None
        }
    };
    if errs.len() > n {
        return None;
    }
    let items = items?;
    for (inv, a) in &items {
        if let Some(p) = book.positions.get_mut(inv) {
            p.called += a;
        }
    }
    Some(NewCall {
        call_date: call_date?,
        due_date: due_date?,
        description,
        deal,
        items,
    })
}

fn pro_rata(
    book: &Book,
    errs: &mut Vec<FieldError>,
    c: &CallInput,
    total: &str,
    on: NaiveDate,
) -> Option<Vec<(String, i64)>> {
    let f = field(&c.at, "amount");
    let total = amount(errs, book.fund.fund.currency, f.clone(), total)?;
    // Commitments made after the call date are not called by it.
    let mut open: Vec<Uncalled> = book
        .positions
        .iter()
        .filter(|(_, p)| p.date.is_none_or(|d| d <= on) && p.uncalled() > 0)
        .map(|(id, p)| Uncalled {
            investor_id: id.clone(),
            uncalled_minor: p.uncalled(),
        })
        .collect();
    open.sort_by(|a, b| a.investor_id.cmp(&b.investor_id));
    let parts = split_call(&f, total, &open)
        .map_err(|e| errs.push(e))
        .ok()?;
    Some(
        open.into_iter()
            .zip(parts)
            .filter(|(_, p)| *p > 0)
            .map(|(u, p)| (u.investor_id, p))
            .collect(),
    )
}

fn given_items(
    book: &Book,
    errs: &mut Vec<FieldError>,
    c: &CallInput,
    on: Option<NaiveDate>,
) -> Option<Vec<(String, i64)>> {
    let n = errs.len();
    let mut out: Vec<(String, i64)> = Vec::new();
    for it in &c.items {
        let inv = it.investor_id.trim();
        let a = amount(
            errs,
            book.fund.fund.currency,
            field(&it.at, "amount"),
            &it.amount,
        );
        match book.committed(field(&it.at, "investorId"), inv) {
            Err(e) => errs.push(e),
            Ok(_) if out.iter().any(|(i, _)| i == inv) => errs.push(FieldError::new(
                field(&it.at, "investorId"),
                "appears twice in the call",
            )),
            Ok(p) => {
                if let (Some(d), Some(on)) = (p.date, on) {
                    if on < d {
                        errs.push(FieldError::new(
                            field(&it.at, "investorId"),
                            format!("the commitment is dated after the call ({d})"),
                        ));
                    }
                }
                if let Some(a) = a {
                    if a > p.uncalled() {
                        errs.push(FieldError::new(
                            field(&it.at, "amount"),
                            format!(
                                "exceeds the investor's uncalled capital ({})",
                                book.fund.fund.currency.format_minor(p.uncalled())
                            ),
                        ));
                    }
                    out.push((inv.to_string(), a));
                }
            }
        }
    }
    (errs.len() == n).then_some(out)
}

async fn contribution(
    tx: &mut Tx,
    actor: &Actor,
    book: &mut Book,
    errs: &mut Vec<FieldError>,
    c: &ContributionInput,
) -> AppResult<Option<NewContribution>> {
    let n = errs.len();
    let inv = c.investor_id.trim().to_string();
    let amt = amount(
        errs,
        book.fund.fund.currency,
        field(&c.at, "amount"),
        &c.amount,
    );
    let d = date(errs, field(&c.at, "date"), &c.date);
    let mut deal = c
        .deal
        .as_deref()
        .map(|d| text(errs, field(&c.at, "deal"), d, 100, false))
        .filter(|d| !d.is_empty());
    let pos = match book.committed(field(&c.at, "investorId"), &inv) {
        Ok(p) => Some(*p),
        Err(e) => {
            errs.push(e);
            None
        }
    };
    if let (Some(p), Some(d)) = (pos, d) {
        errs.extend(book.check_date(field(&c.at, "date"), &p, d));
    }
    let call_id = c
        .call_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    match (&call_id, pos, amt) {
        (Some(id), Some(_), Some(a)) => {
            match store::call_item(tx, actor, &book.fund.fund.id, id, &inv).await? {
                None => errs.push(FieldError::new(
                    field(&c.at, "callId"),
                    "no such call for this investor in this fund",
                )),
                Some((_, true, _)) => errs.push(FieldError::new(
                    field(&c.at, "callId"),
                    "this investor's part of the call is already received",
                )),
                Some((due, false, _)) if due != a => errs.push(FieldError::new(
                    field(&c.at, "amount"),
                    format!(
                        "must equal the amount called ({})",
                        book.fund.fund.currency.format_minor(due)
                    ),
                )),
                Some((_, false, call_deal)) => deal = deal.or(call_deal),
            }
        }
        // A direct contribution draws on uncalled capital itself.
        (None, Some(p), Some(a)) if a > p.uncalled() => errs.push(FieldError::new(
            field(&c.at, "amount"),
            format!(
                "exceeds the investor's uncalled capital ({})",
                book.fund.fund.currency.format_minor(p.uncalled())
            ),
        )),
        _ => {}
    }
    if errs.len() > n {
        return Ok(None);
    }
    let (Some(a), Some(d)) = (amt, d) else {
        return Ok(None);
    };
    if call_id.is_none() {
        if let Some(p) = book.positions.get_mut(&inv) {
            p.called += a;
        }
    }
    Ok(Some(NewContribution {
        investor_id: inv,
        date: d,
        amount_minor: a,
        deal,
        call_id,
    }))
}

/// Checks a whole batch (every error, named by row and field) and writes it, or nothing.
pub async fn record_batch(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    batch: &Batch,
    today: NaiveDate,
    action: &str,
) -> AppResult<BatchOutcome> {
    actor.require(Permission::Operate)?;
    let fund = store::capital_fund(tx, actor, fund_id).await?;
    let mut ids: Vec<&str> = batch
        .commitments
        .iter()
        .map(|c| c.investor_id.trim())
        .collect();
    ids.extend(
        batch
            .calls
            .iter()
            .flat_map(|c| c.items.iter().map(|i| i.investor_id.trim())),
    );
    ids.extend(batch.contributions.iter().map(|c| c.investor_id.trim()));
    ids.sort_unstable();
    ids.dedup();
    let mut book = Book::load(tx, actor, fund, &ids, today).await?;
    let mut errs = Vec::new();
    let commitments: Vec<_> = batch
        .commitments
        .iter()
        .filter_map(|c| commitment(&mut book, &mut errs, c))
        .collect();
    let calls: Vec<_> = batch
        .calls
        .iter()
        .filter_map(|c| call(&mut book, &mut errs, c))
        .collect();
    let mut contributions = Vec::new();
    for c in &batch.contributions {
        contributions.extend(contribution(tx, actor, &mut book, &mut errs, c).await?);
    }
    if batch.commitments.is_empty() && batch.calls.is_empty() && batch.contributions.is_empty() {
        errs.push(FieldError::new("body", "nothing to record"));
    }
    if !errs.is_empty() {
        return Err(Invalid(errs).into());
    }
    write(tx, actor, &book, commitments, calls, contributions, action).await
}

async fn write(
    tx: &mut Tx,
    actor: &Actor,
    book: &Book,
    commitments: Vec<NewCommitment>,
    calls: Vec<NewCall>,
    contributions: Vec<NewContribution>,
    action: &str,
) -> AppResult<BatchOutcome> {
    let fund_id = &book.fund.fund.id;
    store::insert_commitments(tx, actor, fund_id, &commitments).await?;
    let mut out = BatchOutcome {
        commitments: commitments.len(),
        contributions: contributions.len(),
        calls: Vec::new(),
    };
    for c in calls {
        let id = store::insert_call(tx, actor, fund_id, &c).await?;
        let total: i64 = c.items.iter().map(|i| i.1).sum();
        let after = json!({"fundId": fund_id, "callDate": c.call_date, "dueDate": c.due_date, "deal": c.deal, "totalMinor": total, "investors": c.items.len()});
        trail(
            tx,
            actor,
            "capital_call.created",
            "capital_call",
            &id,
            after,
        )
        .await?;
        out.calls.push((id, c));
    }
    store::insert_contributions(tx, actor, fund_id, &contributions).await?;
    let summary = json!({
        "fundId": fund_id,
        "commitments": out.commitments,
        "committedMinor": commitments.iter().map(|c| c.committed_minor).sum::<i64>(),
        "calls": out.calls.len(),
        "contributions": out.contributions,
        "contributedMinor": contributions.iter().map(|c| c.amount_minor).sum::<i64>(),
    });
    trail(tx, actor, action, "fund", fund_id, summary).await?;
    Ok(out)
}

/// Records a recallable amount for an investor (e.g. the returned-capital part of a
/// distribution the fund declares recallable); it raises the investor's uncalled capital.
pub async fn record_recallable(
    tx: &mut Tx,
    actor: &Actor,
    fund_id: &str,
    investor_id: &str,
    date_text: &str,
    amount_text: &str,
    distribution_id: Option<&str>,
) -> AppResult<String> {
    actor.require(Permission::Operate)?;
    let fund = store::capital_fund(tx, actor, fund_id).await?;
    let mut errs = Vec::new();
    let known = store::known_investors(tx, actor, &[investor_id]).await?;
    if !known.contains(investor_id) {
        errs.push(FieldError::new(
            "investorId",
            format!("unknown investor '{investor_id}'"),
        ));
    }
    let a = amount(&mut errs, fund.fund.currency, "amount".into(), amount_text);
    let d = date(&mut errs, "date".into(), date_text);
    let (Some(a), Some(d), true) = (a, d, errs.is_empty()) else {
        return Err(Invalid(errs).into());
    };
    let id = store::insert_recallable(tx, actor, &fund.fund.id, investor_id, d, a, distribution_id)
        .await?;
    let after = json!({"fundId": fund.fund.id, "investorId": investor_id, "date": d, "amountMinor": a, "distributionId": distribution_id});
    trail(
        tx,
        actor,
        "capital.recallable_recorded",
        "capital_recallable",
        &id,
        after,
    )
    .await?;
    Ok(id)
}

//! The ACH rail: a distribution's pending ACH payments as NACHA files within the ODFI's limits,
//! each with its own File ID Modifier and read back with our own reader before it is stored.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use clearway_core::payments::limits::AchLimits;
use clearway_core::payments::{reference, Method};
use clearway_core::Currency;
use clearway_formats::ach::{
    self, plan_grouped_credit_files, verify_credit_file, write_credit_file, AccountType, AchError,
    CreditFile, FileHead, FileLimits, PlannedFile,
};
use clearway_store::audit::{self, Change};
use clearway_store::payments::{self as pstore, ach_files, Payment, Sent};
use clearway_store::{jobs, new_id, Actor, StoreError, Tx};
use serde_json::json;

use crate::jobs::JobError;
use crate::payments::{Originator, PaymentsConfig};

use super::Produced;

/// One ACH credit to write (see [`clearway_formats::ach::CreditItem`]).
pub use clearway_formats::ach::CreditItem as AchItem;

/// Builds one NACHA file of `items` for `orig` (see [`clearway_formats::ach::credit_file`]):
/// PPD batch(es) for individuals, CCD for entities, all credits, one effective date, trace
/// numbers from `first_sequence`. Returns the file text and each item's trace number.
pub fn nacha_file(
    orig: &Originator,
    created: NaiveDateTime,
    effective: NaiveDate,
    first_sequence: u32,
    file_id_modifier: char,
    items: &[AchItem],
) -> Result<(String, Vec<String>), AchError> {
    ach::credit_file(
        &ach_originator(orig),
        created,
        effective,
        first_sequence,
        file_id_modifier,
        items,
    )
}

/// Trace sequences for `count` entries: one series per ODFI prefix for the whole installation,
/// so a trace number names one entry whatever organization sent it (returns are matched on it).
/// Sequences wrap within the 7 digits NACHA gives them, skipping the micro-deposit range.
pub async fn trace_sequences(
    tx: &mut Tx,
    odfi_prefix: &str,
    count: usize,
) -> Result<u32, StoreError> {
    let first =
        // why: a count of entries in memory fits an i64
        pstore::allocate_sequence(tx, "*", &format!("trace:{odfi_prefix}"), 1, count as i64)
            .await?;
    let start = (first - 1).rem_euclid((TRACE_SEQUENCE_MAX - count as i64).max(1)) + 1;
    Ok(start as u32)
}

/// A payment's amount as the unsigned cents of a NACHA credit entry; a negative amount is an
/// error (never wrapped into a huge credit).
pub fn credit_cents(payment_id: &str, amount_minor: i64) -> Result<u64, JobError> {
    u64::try_from(amount_minor).map_err(|_| {
        JobError::Permanent(format!(
            "payment {payment_id}: amount {amount_minor} is negative; a NACHA credit cannot carry it"
        ))
    })
}

/// Trace sequences of payment files stay below this; micro-deposits use 9,000,000 and up.
const TRACE_SEQUENCE_MAX: i64 = 9_000_000;

/// A distribution's ACH payments resolved to file items: `items[i]` pays `payments[i]`.
struct Resolved<'a> {
    items: Vec<AchItem>,
    payments: Vec<&'a Payment>,
    rejected: Vec<(String, String)>,
}

/// Decrypts each payee's account (one cipher per key, reused) and builds the items; payments
/// without a payee or account, or not in USD, are rejected with the reason.
async fn resolve<'a>(
    tx: &mut Tx,
    cfg: &PaymentsConfig,
    actor: &Actor,
    distribution_id: &str,
    payments: &'a [Payment],
) -> Result<Resolved<'a>, JobError> {
    struct Receiver {
        routing: Option<String>,
        savings: bool,
        sealed: Option<clearway_store::bank_accounts::Sealed>,
        entity: bool,
    }
    let receivers: HashMap<String, Receiver> =
        clearway_store::bank_accounts::ach_receivers(tx, actor, distribution_id)
            .await?
            .into_iter()
            .map(|r| {
                let receiver = Receiver {
                    routing: r.routing_number,
                    savings: r.account_type.as_deref() == Some("SAVINGS"),
                    sealed: r.account,
                    entity: !matches!(r.entity_type.as_str(), "INDIVIDUAL" | "JOINT" | "IRA"),
                };
                (r.payment_id, receiver)
            })
            .collect();
    let mut out = Resolved {
        items: Vec::with_capacity(payments.len()),
        payments: Vec::with_capacity(payments.len()),
        rejected: Vec::new(),
    };
    let sealed: Vec<Option<&clearway_store::bank_accounts::Sealed>> = payments
        .iter()
        .map(|p| receivers.get(&p.id).and_then(|b| b.sealed.as_ref()))
        .collect();
    let mut opened = par_map(&sealed, |s| s.map(|s| cfg.vault.open(s))).into_iter();
    for p in payments {
        let account = opened.next().flatten();
        let Some(b) = receivers.get(&p.id) else {
            out.rejected
                .push((p.id.clone(), "payee no longer exists".to_string()));
            continue;
        };
        let account = match account {
            Some(Ok(a)) => a,
            Some(Err(e)) => {
                return Err(JobError::Permanent(format!(
                    "payee of payment {}: {e}",
                    p.id
                )))
            }
            None => {
                out.rejected
                    .push((p.id.clone(), "payee has no account number".into()));
                continue;
            }
        };
        if p.currency != Currency::USD {
            out.rejected.push((
                p.id.clone(),
                format!("ACH pays USD only, not {}", p.currency),
            ));
            continue;
        }
        out.items.push(AchItem {
            payment_id: p.id.clone(),
            // why: ACH payees are stored with a checked routing number; a missing one is
            // refused by the NACHA writer (no silent file).
            routing_number: b.routing.clone().unwrap_or_default(),
            account_number: account,
            account_type: if b.savings {
                AccountType::Savings
            } else {
                AccountType::Checking
            },
            amount_cents: credit_cents(&p.id, p.amount_minor)?,
            entity: b.entity,
            name: p.payee_name.clone(),
            // Banks echo the individual id on statements: our reference token.
            individual_id: Some(reference::token(&p.id)),
        });
        out.payments.push(p);
    }
    Ok(out)
}

/// The largest ACH entry of a file created on `created` and effective on `effective`: the
/// Same Day ACH limit when same-day is requested and the file settles the day it is created
/// (an effective date already past settles at once too), else the NACHA field; never above
/// the file cap.
pub fn entry_limit(limits: &AchLimits, created: NaiveDate, effective: NaiveDate) -> i64 {
    AchLimits {
        same_day: limits.same_day && effective <= created,
        ..*limits
    }
    .entry_max_minor()
}

/// The file limits of the ODFI configuration, with entries of at most `entry_max` cents.
pub fn file_limits(limits: &AchLimits, entry_max: i64) -> FileLimits {
    FileLimits {
        max_file_entries: limits.max_file_entries,
        max_batch_entries: limits.max_batch_entries,
        // why: both are positive configuration values (checked at startup); 0 is refused by the planner
        max_file_credit_cents: u64::try_from(limits.max_file_credit_minor).unwrap_or(0),
        max_entry_cents: u64::try_from(entry_max).unwrap_or(0),
    }
}

/// Holds payments for review with `reason` (they stay PENDING, no rail picks them up) and
/// audits it on the distribution.
async fn hold(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    ids: &[String],
    reason: &str,
) -> Result<(), JobError> {
    if ids.is_empty() {
        return Ok(());
    }
    let held = pstore::hold_for_review(tx, actor, ids, reason).await?;
    audit::record(
        tx,
        actor,
        Change {
            action: "payment.hold_for_review",
            entity_type: "distribution",
            entity_id: distribution_id,
            before: None,
            after: Some(
                json!({ "method": "ACH", "reason": reason, "held": held, "paymentIds": ids }),
            ),
        },
    )
    .await?;
    Ok(())
}

/// The day's 36 File ID Modifiers of `origin` are used: the payments left over wait for the
/// next day's, which is temporary, not a person's problem. They stay PENDING with a rail job
/// queued just after midnight UTC pointing at them (one per distribution and day), audited.
async fn defer_to_next_day(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    origin: &str,
    day: NaiveDate,
    waiting: usize,
) -> Result<(), JobError> {
    let next = day.succ_opt().unwrap_or(day);
    let run_at = next.and_hms_opt(0, 0, 30).unwrap_or_default().and_utc();
    let system = Actor::system(&actor.org_id);
    jobs::enqueue_at(
        tx,
        &system,
        super::ACH_JOB,
        json!({ "distributionId": distribution_id }),
        Some(&format!("{}:{distribution_id}:{next}", super::ACH_JOB)),
        4,
        run_at,
    )
    .await?;
    let reason = format!(
        "the 36 ACH File ID Modifiers of origin {origin} on {day} are used; {waiting} payments wait for {next}"
    );
    tracing::warn!(distribution_id, %reason, "ACH files deferred");
    audit::record(
        tx,
        actor,
        Change {
            action: "payment_batch.defer",
            entity_type: "distribution",
            entity_id: distribution_id,
            before: None,
            after: Some(json!({ "method": "ACH", "reason": reason, "payments": waiting, "runAt": run_at.to_rfc3339() })),
        },
    )
    .await?;
    Ok(())
}

/// Serializes the ACH cuts of `actor`'s organization: taken before a cut reads what is pending
/// and held to its commit, so two cuts never take the same payment. `false` when another cut
/// holds it (the caller comes back later rather than wait behind a long cut).
pub async fn try_lock_cut(tx: &mut Tx, actor: &Actor) -> Result<bool, StoreError> {
    pstore::try_lock_sequence(tx, &actor.org_id, "ach_cut").await
}

/// The rail job's ACH step, a cut: `pending` (distribution `distribution_id`'s) and every other
/// PENDING, unheld ACH payment of the organization (whole distributions, up to one file's
/// entries, so a cut stays one short transaction) → as few NACHA
/// files as the limits allow, each distribution in batches of its own with its own effective
/// date, each file with its own File ID Modifier, read back with our own reader, then stored
/// sealed once with one payment batch per distribution, payments SENT. So the day's 36
/// modifiers go to cuts, not to distributions. Payments above the entry limit or of a file
/// that fails the read-back are held for review with the reason; payments beyond the day's
/// modifiers wait for a rail job queued for the next day. None is left PENDING with nothing
/// pointing at it. Returns the last batch id of `distribution_id`.
pub(super) async fn send_ach_files(
    tx: &mut Tx,
    cfg: &PaymentsConfig,
    actor: &Actor,
    distribution_id: &str,
    pending: &[Payment],
    effective: NaiveDate,
) -> Result<Option<String>, JobError> {
    send_ach_files_tampered(tx, cfg, actor, distribution_id, pending, effective, &|_| {}).await
}

/// One distribution of a cut: its items and payments (`items[i]` pays `payments[i]`).
struct Group {
    distribution_id: String,
    effective: NaiveDate,
    items: Vec<AchItem>,
    payments: Vec<Payment>,
}

/// Resolves one distribution's payments into a cut group: rejected ones failed, oversized
/// ones held; `None` when nothing is left to send.
async fn prepare(
    tx: &mut Tx,
    cfg: &PaymentsConfig,
    actor: &Actor,
    (distribution_id, effective, created): (&str, NaiveDate, NaiveDate),
    pending: &[Payment],
) -> Result<Option<Group>, JobError> {
    let resolved = resolve(tx, cfg, actor, distribution_id, pending).await?;
    super::fail_rejected(tx, actor, pending, &resolved.rejected).await?;
    let entry_max = entry_limit(&cfg.ach_limits, created, effective);
    let (items, payments) = hold_oversized(tx, actor, distribution_id, resolved, entry_max).await?;
    Ok((!items.is_empty()).then(|| Group {
        distribution_id: distribution_id.to_string(),
        effective,
        items,
        payments: payments.into_iter().cloned().collect(),
    }))
}

/// The other distributions a cut takes along: their pending ACH payments as groups. One whose
/// payments cannot be resolved (a permanent error) is left to its own rail job, which meets
/// the same error and holds them for review with it; it never stops the others' files.
async fn others(
    tx: &mut Tx,
    cfg: &PaymentsConfig,
    actor: &Actor,
    except: &str,
    room: usize,
    created: NaiveDate,
) -> Result<Vec<Group>, JobError> {
    let rows = pstore::pending_ach_of_org(tx, actor, except, room).await?;
    let mut out = Vec::new();
    for chunk in rows.chunk_by(|a, b| a.distribution_id == b.distribution_id) {
        let id = chunk[0].distribution_id.as_str();
        let d = clearway_store::distributions::get_tx(tx, actor, id).await?;
        let effective = crate::payments::service::expected_date(&d);
        match prepare(tx, cfg, actor, (id, effective, created), chunk).await {
            Ok(Some(g)) => out.push(g),
            Ok(None) => {}
            Err(JobError::Permanent(why)) => {
                tracing::warn!(distribution_id = id, %why, "left out of the ACH cut");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// [`send_ach_files`] with `tamper` applied to each file's text between writing and reading it
/// back: the test seam showing that a file failing the read-back is never stored or sent.
/// Production passes the identity.
#[doc(hidden)]
pub async fn send_ach_files_tampered(
    tx: &mut Tx,
    cfg: &PaymentsConfig,
    actor: &Actor,
    distribution_id: &str,
    pending: &[Payment],
    effective: NaiveDate,
    tamper: &(dyn Fn(&mut String) + Send + Sync),
) -> Result<Option<String>, JobError> {
    if !try_lock_cut(tx, actor).await? {
        return Err(JobError::Retryable("another ACH cut is running".into()));
    }
    // One instant for the whole cut: the modifiers are allocated for its date.
    let created = chrono::Utc::now().naive_utc();
    let day = created.date();
    let own = prepare(tx, cfg, actor, (distribution_id, effective, day), pending).await?;
    let room = cfg
        .ach_limits
        .max_file_entries
        .saturating_sub(pending.len());
    // The own distribution, when it has anything to send, is group 0.
    let own_group = own.is_some();
    let mut groups: Vec<Group> = own.into_iter().collect();
    groups.extend(others(tx, cfg, actor, distribution_id, room, day).await?);
    if groups.is_empty() {
        return Ok(None);
    }
    let cut = Cut::of(&groups);
    let entry_max = groups
        .iter()
        .map(|g| entry_limit(&cfg.ach_limits, day, g.effective))
        .max()
        .unwrap_or(0);
    let plans = plan_grouped_credit_files(
        &cut.items,
        &cut.group_of,
        &cut.effective_of,
        &file_limits(&cfg.ach_limits, entry_max),
    )
    .map_err(|e| JobError::Permanent(format!("ACH limits: {e}")))?;
    let origin = cfg.originator.company_id.as_str();
    let modifiers = ach_files::allocate_file_ids(tx, origin, day, plans.len()).await?;
    let orig = ach_originator(&cfg.originator);
    let prefix = &cfg.originator.odfi_routing[..8.min(cfg.originator.odfi_routing.len())];
    let mut heads = Vec::with_capacity(modifiers.len());
    for (plan, &modifier) in plans.iter().zip(&modifiers) {
        heads.push(FileHead {
            originator: &orig,
            created,
            effective: plan
                .batches
                .first()
                .and_then(|b| b.effective)
                .unwrap_or(effective),
            modifier,
            first_sequence: trace_sequences(tx, prefix, plan.entry_count()).await?,
        });
    }
    defer_left_over(tx, actor, &groups, &plans[heads.len()..], (origin, day)).await?;
    // Files are independent: written and read back on every core.
    let jobs: Vec<(&FileHead, &PlannedFile)> = heads.iter().zip(&plans).collect();
    let checked = par_map(&jobs, |(head, plan)| {
        write_checked(head, &cut.items, plan, &cut.amounts, tamper)
    });
    let mut last = None;
    for ((head, plan), checked) in jobs.into_iter().zip(checked) {
        let modifier = head.modifier;
        match checked {
            Ok(file) => {
                let stored =
                    store_cut_file(tx, cfg, actor, (head, plan), file, &groups, &cut).await?;
                let own = stored.into_iter().rev().find(|(g, _)| *g == 0 && own_group);
                if let Some((_, id)) = own {
                    last = Some(id);
                }
            }
            Err(e) => {
                // The modifier stays used: a file that was never sent must not be mistaken
                // for one that was.
                ach_files::record_file_id(tx, actor, origin, day, modifier, None).await?;
                let reason = format!("FILE_INVALID: ACH file {modifier} of {day}: {e}");
                tracing::error!(distribution_id, %reason, "ACH file refused by the read-back");
                for (g, items) in Cut::items_by_group(plan) {
                    let ids: Vec<String> =
                        items.iter().map(|&i| cut.payments[i].id.clone()).collect();
                    hold(tx, actor, &groups[g].distribution_id, &ids, &reason).await?;
                }
            }
        }
    }
    Ok(last)
}

/// The groups of a cut flattened for the planner: `items[i]` pays `payments[i]` of group
/// `group_of[i]`, whose effective date is `effective_of[group]`.
struct Cut<'a> {
    items: Vec<AchItem>,
    payments: Vec<&'a Payment>,
    group_of: Vec<usize>,
    effective_of: Vec<NaiveDate>,
    amounts: Vec<u64>,
}

impl<'a> Cut<'a> {
    fn of(groups: &'a [Group]) -> Cut<'a> {
        let mut cut = Cut {
            items: Vec::new(),
            payments: Vec::new(),
            group_of: Vec::new(),
            effective_of: groups.iter().map(|g| g.effective).collect(),
            amounts: Vec::new(),
        };
        for (g, group) in groups.iter().enumerate() {
            cut.items.extend(group.items.iter().cloned());
            cut.payments.extend(group.payments.iter());
            cut.group_of
                .extend(std::iter::repeat_n(g, group.items.len()));
            cut.amounts
                .extend(group.payments.iter().map(|p| p.amount_minor.unsigned_abs()));
        }
        cut
    }

    /// The item indexes of planned file `plan`, per group, in file order (a group's batches
    /// are consecutive: the planner orders by group).
    fn items_by_group(plan: &PlannedFile) -> Vec<(usize, Vec<usize>)> {
        let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
        for b in &plan.batches {
            match out.last_mut() {
                Some((g, v)) if *g == b.group => v.extend(&b.items),
                _ => out.push((b.group, b.items.clone())),
            }
        }
        out
    }
}

/// The day's 36 File ID Modifiers are used: the payments of `left` (planned files without a
/// modifier) wait for the next day's, per distribution (see [`defer_to_next_day`]).
async fn defer_left_over(
    tx: &mut Tx,
    actor: &Actor,
    groups: &[Group],
    left: &[PlannedFile],
    (origin, day): (&str, NaiveDate),
) -> Result<(), JobError> {
    let mut waiting = vec![0usize; groups.len()];
    for b in left.iter().flat_map(|p| &p.batches) {
        waiting[b.group] += b.items.len();
    }
    for (g, n) in waiting.into_iter().enumerate().filter(|(_, n)| *n > 0) {
        let id = &groups[g].distribution_id;
        defer_to_next_day(tx, actor, id, origin, day, n).await?;
    }
    Ok(())
}

/// Holds for review the payments above `entry_max` (`OVERSIZED: …`, naming the amount and the
/// limit); returns the others with their items.
async fn hold_oversized<'a>(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    resolved: Resolved<'a>,
    entry_max: i64,
) -> Result<(Vec<AchItem>, Vec<&'a Payment>), JobError> {
    let (mut items, mut payments) = (Vec::new(), Vec::new());
    for (it, p) in resolved.items.into_iter().zip(resolved.payments) {
        if (1..=entry_max).contains(&p.amount_minor) {
            items.push(it);
            payments.push(p);
            continue;
        }
        let reason = format!(
            "OVERSIZED: {} USD is above the ACH entry limit of {} USD",
            Money(p.amount_minor),
            Money(entry_max)
        );
        hold(
            tx,
            actor,
            distribution_id,
            std::slice::from_ref(&p.id),
            &reason,
        )
        .await?;
    }
    Ok((items, payments))
}

/// Stores a file that passed the read-back: one payment batch per distribution it carries
/// (its entries, its total, its effective date) with their payments SENT; the file is sealed
/// once, on the first, and the others point at it. Records the File ID Modifier on the first.
/// Returns (group, batch id) per distribution, in file order.
async fn store_cut_file(
    tx: &mut Tx,
    cfg: &PaymentsConfig,
    actor: &Actor,
    (head, plan): (&FileHead<'_>, &PlannedFile),
    file: CreditFile,
    groups: &[Group],
    cut: &Cut<'_>,
) -> Result<Vec<(usize, String)>, JobError> {
    let trace_of: HashMap<usize, String> = file.traces.into_iter().collect();
    let modifier = head.modifier;
    let by_group = Cut::items_by_group(plan);
    let batch_ids: Vec<String> = by_group.iter().map(|_| new_id()).collect();
    // Named for its first batch, which stores it.
    let file_name = format!(
        "ach-{}-{modifier}-{}.ach",
        head.created.format("%Y%m%d"),
        batch_ids[0]
    );
    // The first batch takes the text (it seals it); the others point at that batch.
    let mut text = file.text;
    let mut shared: Option<super::Shared> = None;
    let mut out = Vec::new();
    for ((g, items), batch_id) in by_group.into_iter().zip(batch_ids) {
        let produced = Produced {
            kind: "NACHA",
            file_name: file_name.clone(),
            sent: items
                .iter()
                .map(|i| Sent {
                    id: cut.payments[*i].id.clone(),
                    reference: trace_of[i].clone(),
                    attempt: cut.payments[*i].attempt,
                })
                .collect(),
            content: std::mem::take(&mut text),
            rejected: Vec::new(),
            total_minor: items.iter().map(|&i| cut.payments[i].amount_minor).sum(),
            currency: "USD".into(),
        };
        let group = &groups[g];
        let sha = super::store_file(
            tx,
            cfg,
            actor,
            &group.distribution_id,
            Method::Ach,
            &batch_id,
            &produced,
            group.effective,
            (Some(modifier), shared.as_ref()),
        )
        .await?;
        shared.get_or_insert(super::Shared {
            batch_id: batch_id.clone(),
            sha256: sha,
        });
        out.push((g, batch_id));
    }
    let first = shared.map(|s| s.batch_id);
    let (origin, day) = (&cfg.originator.company_id, head.created.date());
    ach_files::record_file_id(tx, actor, origin, day, modifier, first.as_deref()).await?;
    Ok(out)
}

/// Writes planned file `plan` and reads it back with our own reader against what it must
/// carry (`amounts[i]` for item `i`, with the trace numbers written); `tamper` sits between
/// (the test seam; production passes the identity). The file, or why it is refused.
pub fn write_checked(
    head: &FileHead<'_>,
    items: &[AchItem],
    plan: &PlannedFile,
    amounts: &[u64],
    tamper: &(dyn Fn(&mut String) + Send + Sync),
) -> Result<CreditFile, AchError> {
    let mut file = write_credit_file(head, items, plan)?;
    tamper(&mut file.text);
    let expected: Vec<(&str, u64)> = file
        .traces
        .iter()
        .map(|(i, t)| (t.as_str(), amounts[*i]))
        .collect();
    verify_credit_file(&file.text, head.modifier, head.created.date(), &expected)?;
    Ok(file)
}

/// Maps `items` with `f` on up to `available_parallelism` threads, in order (CPU-bound work
/// of one job: decrypting account numbers, writing and reading back files).
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|s| {
        let workers: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|chunk| s.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        workers
            .into_iter()
            // A panic in `f` is a panic of the job either way.
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

fn ach_originator(o: &Originator) -> ach::Originator {
    ach::Originator {
        company_name: o.company_name.clone(),
        company_id: o.company_id.clone(),
        odfi_routing: o.odfi_routing.clone(),
        bank_name: o.bank_name.clone(),
    }
}

/// Minor units as a decimal amount (`1234567` → `12345.67`), for reasons people read.
struct Money(i64);

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", v / 100, v % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14 (Same Day ACH): $1,000,000 per entry only in a same-day file, i.e. when
    /// same-day is requested and the file is effective the day it is created.
    #[test]
    fn the_same_day_entry_limit_applies_to_files_effective_the_day_they_are_created() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let mut l = AchLimits::default();
        assert_eq!(entry_limit(&l, day(30), day(30)), 9_999_999_999);
        l.same_day = true;
        assert_eq!(entry_limit(&l, day(30), day(30)), 100_000_000);
        assert_eq!(
            entry_limit(&l, day(30), day(27)),
            100_000_000,
            "past: settles at once"
        );
        assert_eq!(entry_limit(&l, day(30), day(31)), 9_999_999_999);
        l.max_file_credit_minor = 5_000_000;
        assert_eq!(
            entry_limit(&l, day(30), day(31)),
            5_000_000,
            "never above the file cap"
        );
        let f = file_limits(&l, entry_limit(&l, day(30), day(30)));
        assert_eq!(
            (f.max_file_credit_cents, f.max_entry_cents),
            (5_000_000, 5_000_000)
        );
        assert_eq!(Money(123_456_789).to_string(), "1234567.89");
        assert_eq!(Money(5).to_string(), "0.05");
    }

    #[test]
    fn a_negative_amount_is_an_error_not_a_huge_credit() {
        assert_eq!(credit_cents("p1", 12_345).unwrap(), 12_345);
        assert_eq!(credit_cents("p1", 0).unwrap(), 0);
        match credit_cents("p2", -5) {
            Err(JobError::Permanent(why)) => assert_eq!(
                why,
                "payment p2: amount -5 is negative; a NACHA credit cannot carry it"
            ),
            other => panic!("expected a permanent error, got {other:?}"),
        }
    }
}

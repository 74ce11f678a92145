//! The matching passes behind [`reconcile`]; the rules are described in the parent module.
//!
//! Everything is indexed once (references, truncated references, amount × business day,
//! batch totals) so each line costs a handful of hash probes: no pass is quadratic.

use std::collections::HashSet;

use super::calendar::business_day_index;
use super::index::MultiIndex;
use super::text::{
    account_contradicts, amount_day_key, batch_key, canonical, counterparty_similarity, exact_key,
    has_name, is_charge, line_tokens, normalize,
};
use super::{
    Candidate, Decision, Exception, ExceptionCause, MatchConfig, Outcome, Payment, PaymentStatus,
    Reason, ReconcileError, Reconciliation, Score, StatementLine, SCORE_MAX,
};
use crate::money::Currency;
use crate::payments::reference::{is_token, TOKEN_LEN};

/// Marks an amount-index target as a batch rather than a payment.
const BATCH_BIT: u32 = 1 << 31;
const NONE: u32 = u32::MAX;

const SCORE_TRUNCATED: Score = 950;
const SCORE_TRUNCATED_LATE: Score = 850;
const SCORE_SPLIT: Score = 950;
/// A reference hit whose amount differs is only ever a suggestion.
const SCORE_AMOUNT_MISMATCH: Score = 500;
const AMOUNT_POINTS: u32 = 400;
const BATCH_TOTAL_POINTS: u32 = 300;
const DATE_POINTS_MAX: u32 = 200;
/// Below `min_margin` across the default window, so the date alone never separates two
/// candidates: a name or reference must.
const DATE_POINTS_PER_DAY: u32 = 40;
const NAME_POINTS_MAX: u32 = 400;
const RETURN_DATE_POINTS: u32 = 100;
/// A wire posted net of a charge, with the charge line beside it and a reference naming it.
const SCORE_FEE_DEDUCTED: Score = 950;
/// The same, found through a shared partial reference plus the payee's name.
const SCORE_FEE_SHARED: Score = 900;
/// Names below this similarity contradict each other: no word of one matches the other
/// (a shared surname alone scores 500, an initial and a surname ≥ 600), so only clearly
/// different payees veto a match.
const NAME_VETO_BELOW: Score = 250;
/// Payments sharing a partial reference scanned for a contradicted line's suggestions.
const SHARED_SCAN: usize = 64;
/// Key day of the charge-line index (charges are looked up by amount, then by date).
const CHARGE_DAY: i64 = i64::MIN;

/// What produced a candidate; decides its reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    RefExact,
    RefTruncated,
    BatchRef,
    BatchMemberRef,
    Amount,
    AmountBatch,
    ReturnRef,
    ReturnTruncated,
    ReturnAmount,
    AmountMismatch,
    /// A unique partial reference whose amount differs.
    TruncatedMismatch,
    /// Net of a charge, by exact (`FeeExact`) or unique partial reference.
    FeeExact,
    FeeTruncated,
    /// A payment sharing the line's partial reference whose payee matches the line's.
    SharedName,
}

/// An internal candidate: a payment (or `BATCH_BIT | batch`) for one line.
#[derive(Debug, Clone, Copy)]
struct Cand {
    target: u32,
    /// Raw points; the amount pass may exceed 1000 (reported clamped) so ranks stay distinct.
    score: Score,
    days: u32,
    sim: Score,
    kind: Kind,
    diff: i64,
    /// Why the line contradicts this payment (name or account), if it does.
    veto: Option<Reason>,
}

struct Batch {
    members: Vec<u32>,
    total: i64,
    currency: Currency,
    business_day: i64,
    /// Every member is matchable and they share currency and date.
    usable: bool,
}

/// What the reference pass does with a line whose references name no payment of its amount.
enum Step {
    /// Nothing named: the amount pass decides.
    Pending,
    /// One exact reference, smaller amount: maybe one piece of a split.
    Split(u32),
    /// Net of a charge: this charge line and this candidate.
    Fee(u32, Cand),
    /// Already an exception.
    Done,
}

/// What a partial reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partial {
    None,
    One(u32),
    Shared,
}

/// Scratch buffers reused across lines so the hot loop does not allocate.
#[derive(Default)]
struct Scratch {
    buf: String,
    spans: Vec<(usize, usize)>,
    exact: Vec<u32>,
    truncated: Vec<u32>,
    /// A partial reference of the line is shared by several payments (no evidence).
    shared: bool,
    batches: Vec<u32>,
    cands: Vec<Cand>,
}

struct Engine<'a> {
    payments: &'a [Payment],
    lines: &'a [StatementLine],
    cfg: &'a MatchConfig,
    refs: Vec<String>,
    ref_owner: Vec<u32>,
    exact: MultiIndex,
    /// Reference tokens, looked up only for text that passes the token check, so the exact
    /// index every piece of text probes stays as small as before the tokens.
    tokens: MultiIndex,
    /// References of matchable payments long enough to be cut, sorted; and sorted by their
    /// reversed text. A partial reference is looked up by binary search, so its uniqueness is
    /// judged among all of them whatever their amount.
    by_prefix: Vec<(u64, u32)>,
    by_suffix: Vec<(u64, u32)>,
    /// Debit lines that are bank charges, by amount.
    charges: MultiIndex,
    charge_used: Vec<bool>,
    batches: Vec<Batch>,
    batch_of: Vec<u32>,
    batch_ids: MultiIndex,
    batch_names: Vec<String>,
    amount_day: MultiIndex,
    pay_day: Vec<i64>,
    eligible: Vec<bool>,
    paid_now: Vec<bool>,
    returned: Vec<bool>,
    line_done: Vec<bool>,
    decisions: Vec<(u32, Decision)>,
    exceptions: Vec<(u32, Exception)>,
}

/// Matches `lines` to `payments`; see the module docs for the passes and thresholds.
pub fn reconcile(
    payments: &[Payment],
    lines: &[StatementLine],
    config: &MatchConfig,
) -> Result<Reconciliation, ReconcileError> {
    validate(payments, lines, config)?;
    let mut engine = Engine::build(payments, lines, config);
    let mut scratch = Scratch::default();
    let pending = engine.reference_pass(&mut scratch);
    engine.amount_pass(pending, &mut scratch);
    engine.return_pass(&mut scratch);
    Ok(engine.finish())
}

fn validate(
    payments: &[Payment],
    lines: &[StatementLine],
    config: &MatchConfig,
) -> Result<(), ReconcileError> {
    if payments.len() >= BATCH_BIT as usize || lines.len() >= BATCH_BIT as usize {
        return Err(ReconcileError::TooLarge);
    }
    if config.auto_match_threshold > SCORE_MAX || config.auto_match_threshold == 0 {
        return Err(ReconcileError::InvalidConfig(
            "auto_match_threshold must be 1..=1000",
        ));
    }
    if config.min_truncated_reference_len < 4 {
        return Err(ReconcileError::InvalidConfig(
            "min_truncated_reference_len must be at least 4",
        ));
    }
    if config.date_window > 20 || config.return_window > 260 {
        return Err(ReconcileError::InvalidConfig(
            "date_window must be at most 20 and return_window at most 260 business days",
        ));
    }
    if config.amount_rounds == 0 {
        return Err(ReconcileError::InvalidConfig(
            "amount_rounds must be at least 1",
        ));
    }
    let mut seen = HashSet::with_capacity(payments.len());
    for p in payments {
        if p.amount_minor <= 0 {
            return Err(ReconcileError::NonPositivePayment(p.id.clone()));
        }
        if !seen.insert(p.id.as_str()) {
            return Err(ReconcileError::DuplicatePaymentId(p.id.clone()));
        }
    }
    let mut seen = HashSet::with_capacity(lines.len());
    for l in lines {
        if !seen.insert(l.id.as_str()) {
            return Err(ReconcileError::DuplicateLineId(l.id.clone()));
        }
    }
    Ok(())
}

fn date_points(days: u32) -> u32 {
    DATE_POINTS_MAX.saturating_sub(DATE_POINTS_PER_DAY * days)
}

fn name_points(sim: Score) -> u32 {
    u32::from(sim) * NAME_POINTS_MAX / u32::from(SCORE_MAX)
}

fn sort_cands(cands: &mut [Cand]) {
    // Best first; equal scores in input order of the target so results are deterministic.
    cands.sort_unstable_by(|a, b| b.score.cmp(&a.score).then(a.target.cmp(&b.target)));
}

/// The first 8 bytes, big-endian, zero-padded: orders like the strings themselves (our
/// references are alphanumeric, never NUL), so sorting by it first is sorting by text.
fn head_key(s: &str) -> u64 {
    let mut key = [0u8; 8];
    for (k, b) in key.iter_mut().zip(s.bytes()) {
        *k = b;
    }
    u64::from_be_bytes(key)
}

/// The last 8 bytes read backwards, as [`head_key`] for reversed strings.
fn tail_key(s: &str) -> u64 {
    let mut key = [0u8; 8];
    for (k, b) in key.iter_mut().zip(s.bytes().rev()) {
        *k = b;
    }
    u64::from_be_bytes(key)
}

fn push_unique(list: &mut Vec<u32>, value: u32) {
    if !list.contains(&value) {
        list.push(value);
    }
}

impl<'a> Engine<'a> {
    fn build(payments: &'a [Payment], lines: &'a [StatementLine], cfg: &'a MatchConfig) -> Self {
        let n = payments.len();
        let k = cfg.min_truncated_reference_len;
        let mut refs = Vec::with_capacity(n);
        let mut ref_owner = Vec::with_capacity(n);
        let mut exact = MultiIndex::with_capacity(n);
        let mut tokens = MultiIndex::with_capacity(n);
        let mut by_prefix = Vec::with_capacity(2 * n);
        let mut by_suffix = Vec::with_capacity(n);
        let mut amount_day = MultiIndex::with_capacity(n + n / 8);
        let mut pay_day = Vec::with_capacity(n);
        let mut eligible = Vec::with_capacity(n);
        let mut batch_of = vec![NONE; n];
        let mut batches: Vec<Batch> = Vec::new();
        let mut batch_names: Vec<String> = Vec::new();
        let mut batch_lookup: std::collections::HashMap<&str, u32> = Default::default();
        for (i, p) in payments.iter().enumerate() {
            let i32_ = i as u32;
            let day = business_day_index(p.expected_date);
            let ok = matches!(p.status, PaymentStatus::Initiated | PaymentStatus::Paid);
            pay_day.push(day);
            eligible.push(ok);
            let first_ref = refs.len();
            let fields = [
                (&p.trace_number, true),
                (&p.end_to_end_id, true),
                (&p.check_number, true),
                // Banks cut the tail of our token (it leads), never its head.
                (&p.reference_token, false),
            ];
            for (r, cut_at_head) in fields
                .into_iter()
                .filter_map(|(r, h)| Some((r.as_ref()?, h)))
            {
                let norm = normalize(r);
                // A payment whose end-to-end id is its token holds that reference once.
                if norm.is_empty() || refs[first_ref..].contains(&norm) {
                    continue;
                }
                let ri = refs.len() as u32;
                if cut_at_head {
                    exact.insert(exact_key(&norm), ri);
                } else {
                    tokens.insert(exact_key(&norm), ri);
                }
                if ok && norm.len() > k {
                    by_prefix.push((head_key(&norm), ri));
                    if cut_at_head {
                        by_suffix.push((tail_key(&norm), ri));
                    }
                }
                refs.push(norm);
                ref_owner.push(i32_);
            }
            if ok {
                amount_day.insert(amount_day_key(p.currency.code(), p.amount_minor, day), i32_);
            }
            if let Some(batch_id) = p.batch_id.as_deref().filter(|b| !b.is_empty()) {
                let b = *batch_lookup.entry(batch_id).or_insert_with(|| {
                    batches.push(Batch {
                        members: Vec::new(),
                        total: 0,
                        currency: p.currency,
                        business_day: day,
                        usable: true,
                    });
                    batch_names.push(normalize(batch_id));
                    (batches.len() - 1) as u32
                });
                let batch = &mut batches[b as usize];
                batch.members.push(i32_);
                batch.usable &= ok && batch.currency == p.currency && batch.business_day == day;
                batch.total = batch.total.saturating_add(p.amount_minor);
                batch_of[i] = b;
            }
        }
        let mut batch_ids = MultiIndex::with_capacity(batches.len());
        for (b, batch) in batches.iter_mut().enumerate() {
            batch.usable &= batch.members.len() >= 2 && batch.total < i64::MAX;
            if batch.usable {
                let key = amount_day_key(batch.currency.code(), batch.total, batch.business_day);
                amount_day.insert(key, BATCH_BIT | b as u32);
                if !batch_names[b].is_empty() {
                    batch_ids.insert(batch_key(&batch_names[b]), b as u32);
                }
            }
        }
        // The keys decide almost every comparison without touching the strings.
        by_prefix.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| refs[a.1 as usize].cmp(&refs[b.1 as usize]))
        });
        by_suffix.sort_unstable_by(|a, b| {
            let (x, y) = (&refs[a.1 as usize], &refs[b.1 as usize]);
            a.0.cmp(&b.0)
                .then_with(|| x.bytes().rev().cmp(y.bytes().rev()))
        });
        let mut charges = MultiIndex::with_capacity(lines.len() / 64);
        for (li, l) in lines.iter().enumerate() {
            if l.amount_minor < 0 && is_charge(l.type_code.as_deref(), &l.description) {
                let key = amount_day_key(l.currency.code(), -l.amount_minor, CHARGE_DAY);
                charges.insert(key, li as u32);
            }
        }
        Engine {
            payments,
            lines,
            cfg,
            refs,
            ref_owner,
            exact,
            tokens,
            by_prefix,
            by_suffix,
            charges,
            charge_used: vec![false; lines.len()],
            batches,
            batch_of,
            batch_ids,
            batch_names,
            amount_day,
            pay_day,
            eligible,
            paid_now: vec![false; n],
            returned: vec![false; n],
            line_done: vec![false; lines.len()],
            decisions: Vec::new(),
            exceptions: Vec::new(),
        }
    }

    fn days(&self, line: &StatementLine, payment_day: i64) -> u32 {
        (business_day_index(line.value_date) - payment_day).unsigned_abs() as u32
    }

    fn open(&self, p: u32) -> bool {
        self.eligible[p as usize] && !self.paid_now[p as usize]
    }

    fn batch_open(&self, b: u32) -> bool {
        let batch = &self.batches[b as usize];
        batch.usable && batch.members.iter().all(|m| self.open(*m))
    }

    /// Finds payments whose reference appears in the line: exactly (a whole token, or our
    /// reference token leading or ending a longer one), as a partial reference unique among
    /// all matchable payments whatever their amount, and batches named by the line.
    fn reference_hits(&self, line: &StatementLine, amount: i64, s: &mut Scratch) {
        s.exact.clear();
        s.truncated.clear();
        s.batches.clear();
        s.shared = false;
        line_tokens(
            &[
                line.bank_reference.as_deref(),
                line.customer_reference.as_deref(),
            ],
            &line.description,
            &mut s.buf,
            &mut s.spans,
        );
        for &(start, end) in &s.spans {
            let token = &s.buf[start..end];
            self.exact_hits(&self.exact, token, &mut s.exact);
            if token.len() == TOKEN_LEN && is_token(token) {
                self.exact_hits(&self.tokens, token, &mut s.exact);
            } else if token.len() > TOKEN_LEN {
                // Banks glue our token to their own text ("EREFWMYY49Y6NKQAR…").
                for part in [&token[..TOKEN_LEN], &token[token.len() - TOKEN_LEN..]] {
                    if is_token(part) {
                        self.exact_hits(&self.tokens, part, &mut s.exact);
                    }
                }
            }
        }
        let exact_amount = s.exact.iter().any(|p| {
            let pay = &self.payments[*p as usize];
            pay.amount_minor == amount && pay.currency == line.currency
        });
        if exact_amount {
            // An exact reference with the exact amount outranks batches and truncations:
            // skip their lookups (most lines stop here, which keeps the pass fast).
            return;
        }
        let k = self.cfg.min_truncated_reference_len;
        for &(start, end) in &s.spans {
            let token = &s.buf[start..end];
            let canon = canonical(token);
            for b in self.batch_ids.get(batch_key(token)) {
                if canonical(&self.batch_names[b as usize]) == canon {
                    push_unique(&mut s.batches, b);
                }
            }
            if token.len() >= k {
                for owner in [self.prefix_owner(token), self.suffix_owner(token)] {
                    match owner {
                        Partial::None => {}
                        Partial::One(p) => {
                            if !s.exact.contains(&p) {
                                push_unique(&mut s.truncated, p);
                            }
                        }
                        Partial::Shared => s.shared = true,
                    }
                }
            }
        }
    }

    fn exact_hits(&self, index: &MultiIndex, token: &str, out: &mut Vec<u32>) {
        let canon = canonical(token);
        for r in index.get(exact_key(token)) {
            if canonical(&self.refs[r as usize]) == canon {
                push_unique(out, self.ref_owner[r as usize]);
            }
        }
    }

    /// The payment whose reference starts with `token` (longer than it), if only one has
    /// such a reference; every reference starting with it counts, equal ones included.
    fn prefix_owner(&self, token: &str) -> Partial {
        let range = self.by_prefix[self.prefix_start(token)..]
            .iter()
            .map(|e| e.1)
            .take_while(|r| self.refs[*r as usize].starts_with(token));
        self.sole_owner(range, token.len())
    }

    /// As [`Self::prefix_owner`], for references ending with `token`.
    fn suffix_owner(&self, token: &str) -> Partial {
        let refs = &self.refs;
        let key = tail_key(token);
        let at = self.by_suffix.partition_point(|(k, r)| {
            *k < key || (*k == key && refs[*r as usize].bytes().rev().lt(token.bytes().rev()))
        });
        let range = self.by_suffix[at..]
            .iter()
            .map(|e| e.1)
            .take_while(|r| refs[*r as usize].ends_with(token));
        self.sole_owner(range, token.len())
    }

    /// Where the references starting with `token` begin in [`Engine::by_prefix`].
    fn prefix_start(&self, token: &str) -> usize {
        let key = head_key(token);
        self.by_prefix.partition_point(|(k, r)| {
            *k < key || (*k == key && self.refs[*r as usize].as_str() < token)
        })
    }

    /// Stops at the second owner, so a prefix shared by a whole run costs two steps.
    fn sole_owner(&self, refs: impl Iterator<Item = u32>, len: usize) -> Partial {
        let mut found = Partial::None;
        let mut longer = false;
        for r in refs {
            let owner = self.ref_owner[r as usize];
            match found {
                Partial::One(p) if p != owner => return Partial::Shared,
                _ => found = Partial::One(owner),
            }
            longer |= self.refs[r as usize].len() > len;
        }
        if longer {
            found
        } else {
            // Only equal references: an exact hit, not a partial one.
            Partial::None
        }
    }

    /// Open payments sharing one of the line's partial references whose payee the line
    /// names (at most [`SHARED_SCAN`] looked at): suggestions, never evidence.
    fn shared_named(&self, line: &StatementLine, s: &mut Scratch) -> Vec<u32> {
        let mut out = Vec::new();
        let Some(name) = line.counterparty.as_deref() else {
            return out;
        };
        let k = self.cfg.min_truncated_reference_len;
        for &(start, end) in &s.spans {
            let token = &s.buf[start..end];
            if token.len() < k {
                continue;
            }
            let at = self.prefix_start(token);
            for &(_, r) in self.by_prefix[at..].iter().take(SHARED_SCAN) {
                if !self.refs[r as usize].starts_with(token) {
                    break;
                }
                let p = self.ref_owner[r as usize];
                let pay = &self.payments[p as usize];
                if self.open(p)
                    && pay.currency == line.currency
                    && counterparty_similarity(name, &pay.counterparty_name)
                        >= self.cfg.min_counterparty_similarity
                {
                    push_unique(&mut out, p);
                }
            }
        }
        out
    }

    /// Why the line contradicts payment `p`: a clearly different payee name, or account.
    fn contradiction(&self, line: &StatementLine, p: u32) -> Option<Reason> {
        let pay = &self.payments[p as usize];
        if let Some(name) = line.counterparty.as_deref() {
            let sim = counterparty_similarity(name, &pay.counterparty_name);
            // Similarity is 0 when a side has no name word: that is no contradiction.
            if sim < NAME_VETO_BELOW && has_name(name) && has_name(&pay.counterparty_name) {
                return Some(Reason::CounterpartyContradicts(sim));
            }
        }
        let (a, b) = (
            line.counterparty_account.as_deref(),
            pay.counterparty_account.as_deref(),
        );
        if let (Some(a), Some(b)) = (a, b) {
            if account_contradicts(a, b) {
                return Some(Reason::AccountContradicts);
            }
        }
        None
    }

    /// An unused charge line of `charge` within the date window of `line`, for a wire.
    fn charge_line(&self, line: &StatementLine, p: u32, charge: i64) -> Option<u32> {
        let pay = &self.payments[p as usize];
        // A charge is a small part of the wire; a smaller line is otherwise a split.
        if pay.method != super::PaymentMethod::Wire || charge <= 0 || charge * 2 >= pay.amount_minor
        {
            return None;
        }
        let day = business_day_index(line.value_date);
        let key = amount_day_key(line.currency.code(), charge, CHARGE_DAY);
        self.charges.get(key).find(|c| {
            let cl = &self.lines[*c as usize];
            !self.charge_used[*c as usize]
                && !self.line_done[*c as usize]
                && cl.amount_minor == -charge
                && cl.currency == line.currency
                && (business_day_index(cl.value_date) - day).unsigned_abs()
                    <= u64::from(self.cfg.date_window)
        })
    }

    fn cand(&self, line: &StatementLine, target: u32, score: Score, kind: Kind) -> Cand {
        let day = if target & BATCH_BIT != 0 {
            self.batches[(target & !BATCH_BIT) as usize].business_day
        } else {
            self.pay_day[target as usize]
        };
        Cand {
            target,
            score,
            days: self.days(line, day),
            sim: 0,
            kind,
            diff: 0,
            veto: None,
        }
    }

    /// Pass 1 (references), pass 5 (splits) and batch references. Returns the debit lines
    /// left for the amount pass.
    fn reference_pass(&mut self, s: &mut Scratch) -> Vec<u32> {
        let mut proposals: Vec<([u32; 2], Cand)> = Vec::new();
        let mut split_cands: Vec<(u32, u32)> = Vec::new();
        let mut pending = Vec::new();
        for li in 0..self.lines.len() {
            let line = &self.lines[li];
            let Some(amount) = line.amount_minor.checked_neg().filter(|a| *a > 0) else {
                continue;
            };
            self.reference_hits(line, amount, s);
            let same = |p: u32| {
                let pay = &self.payments[p as usize];
                pay.currency == line.currency && self.open(p)
            };
            s.cands.clear();
            for &p in &s.exact {
                if same(p) && self.payments[p as usize].amount_minor == amount {
                    s.cands.push(self.cand(line, p, SCORE_MAX, Kind::RefExact));
                }
            }
            if s.cands.is_empty() {
                for &b in &s.batches {
                    let batch = &self.batches[b as usize];
                    if batch.total == amount
                        && batch.currency == line.currency
                        && self.batch_open(b)
                    {
                        s.cands
                            .push(self.cand(line, BATCH_BIT | b, SCORE_MAX, Kind::BatchRef));
                    }
                }
                for &p in &s.exact {
                    let b = self.batch_of[p as usize];
                    if b != NONE
                        && !s.cands.iter().any(|c| c.target == BATCH_BIT | b)
                        && self.batches[b as usize].total == amount
                        && self.batches[b as usize].currency == line.currency
                        && self.batch_open(b)
                    {
                        s.cands.push(self.cand(
                            line,
                            BATCH_BIT | b,
                            SCORE_MAX,
                            Kind::BatchMemberRef,
                        ));
                    }
                }
            }
            if s.cands.is_empty() {
                for &p in &s.truncated {
                    if same(p) && self.payments[p as usize].amount_minor == amount {
                        let mut c = self.cand(line, p, SCORE_TRUNCATED, Kind::RefTruncated);
                        if c.days > self.cfg.date_window {
                            c.score = SCORE_TRUNCATED_LATE;
                        }
                        s.cands.push(c);
                    }
                }
            }
            if s.cands.is_empty() {
                match self.unmatched_reference(li as u32, amount, s) {
                    Step::Pending => pending.push(li as u32),
                    Step::Split(p) => split_cands.push((p, li as u32)),
                    Step::Fee(charge, c) => proposals.push(([li as u32, charge], c)),
                    Step::Done => {}
                }
                continue;
            }
            if s.cands.len() == 1 {
                let mut c = s.cands[0];
                if c.target & BATCH_BIT == 0 {
                    c.veto = self.contradiction(line, c.target);
                }
                if c.veto.is_some() {
                    self.contradicted(li as u32, c, s);
                } else {
                    proposals.push(([li as u32, NONE], c));
                }
            } else {
                // References naming different payments: we never guess.
                self.except(li as u32, ExceptionCause::Ambiguous, &mut s.cands);
            }
        }
        self.settle_proposals(proposals);
        self.split_pass(split_cands);
        pending
    }

    /// Two lines claiming one payment are a duplicate posting or a wrong reference: neither
    /// wins. A fee-deducted proposal holds its charge line as its second line.
    fn settle_proposals(&mut self, proposals: Vec<([u32; 2], Cand)>) {
        let mut claims = vec![0u8; self.payments.len()];
        for (_, c) in &proposals {
            for p in self.targets(c.target) {
                claims[p as usize] = claims[p as usize].saturating_add(1);
            }
        }
        for ([li, charge], c) in proposals {
            let lines: &[u32] = if charge == NONE { &[li] } else { &[li, charge] };
            if self.targets(c.target).all(|p| claims[p as usize] == 1) {
                self.accept(lines, c, Outcome::Matched);
            } else {
                self.except(li, ExceptionCause::Contested, &mut [c]);
            }
        }
    }

    /// A debit whose references name only payments of another amount (or none): net of a
    /// charge with the charge line beside it, part of a split, an amount mismatch, or left
    /// to the amount pass when it names nothing.
    fn unmatched_reference(&mut self, li: u32, amount: i64, s: &mut Scratch) -> Step {
        let line = &self.lines[li as usize];
        let Scratch {
            exact,
            truncated,
            cands,
            ..
        } = s;
        cands.clear();
        for (list, kind) in [
            (exact, Kind::AmountMismatch),
            (truncated, Kind::TruncatedMismatch),
        ] {
            for &p in list.iter() {
                let pay = &self.payments[p as usize];
                if pay.currency == line.currency && self.open(p) {
                    let mut c = self.cand(line, p, SCORE_AMOUNT_MISMATCH, kind);
                    c.diff = amount - pay.amount_minor;
                    cands.push(c);
                }
            }
        }
        match s.cands.len() {
            0 if s.shared => return self.shared_fee(li, amount, s),
            0 => return Step::Pending,
            1 => {
                let mut c = s.cands[0];
                if let Some(charge_li) = self.charge_line(line, c.target, -c.diff) {
                    c.kind = if c.kind == Kind::AmountMismatch {
                        Kind::FeeExact
                    } else {
                        Kind::FeeTruncated
                    };
                    return self.fee_step(li, charge_li, c, SCORE_FEE_DEDUCTED, s);
                }
                if c.kind == Kind::AmountMismatch {
                    return Step::Split(c.target);
                }
            }
            _ => {}
        }
        self.except(li, ExceptionCause::AmountMismatch, &mut s.cands);
        Step::Done
    }

    /// A line cut net of the charge on `c`'s wire: proposed with its charge line unless the
    /// line contradicts the payee.
    fn fee_step(
        &mut self,
        li: u32,
        charge_li: u32,
        mut c: Cand,
        score: Score,
        s: &mut Scratch,
    ) -> Step {
        c.score = score;
        c.diff = -c.diff;
        c.veto = self.contradiction(&self.lines[li as usize], c.target);
        if c.veto.is_some() {
            self.contradicted(li, c, s);
            return Step::Done;
        }
        self.charge_used[charge_li as usize] = true;
        Step::Fee(charge_li, c)
    }

    /// A partial reference several payments share is no evidence, but with the payee's name
    /// and a charge line making up the difference exactly it still singles out one wire.
    fn shared_fee(&mut self, li: u32, amount: i64, s: &mut Scratch) -> Step {
        let line = &self.lines[li as usize];
        let mut found = None;
        for p in self.shared_named(line, s) {
            let pay = &self.payments[p as usize];
            let charge = pay.amount_minor - amount;
            if let Some(charge_li) = self.charge_line(line, p, charge) {
                if found.is_some() {
                    return Step::Pending;
                }
                let mut c = self.cand(line, p, SCORE_FEE_SHARED, Kind::FeeTruncated);
                c.diff = -charge;
                found = Some((charge_li, c));
            }
        }
        match found {
            Some((charge_li, c)) => self.fee_step(li, charge_li, c, SCORE_FEE_SHARED, s),
            None => Step::Pending,
        }
    }

    /// An exception for a line that contradicts its best candidate `c`: with `c`, the
    /// line's amount candidates and the payments its partial reference and name suggest.
    fn contradicted(&mut self, li: u32, c: Cand, s: &mut Scratch) {
        let line = &self.lines[li as usize];
        let amount = -line.amount_minor;
        self.reference_hits(line, amount, s);
        let named = self.shared_named(line, s);
        self.amount_cands(line, amount, s);
        let mut all = vec![c];
        all.extend(s.cands.iter().filter(|x| x.target != c.target));
        for p in named {
            if all.iter().all(|x| x.target != p) {
                let mut x = self.cand(line, p, SCORE_AMOUNT_MISMATCH, Kind::SharedName);
                x.diff = amount - self.payments[p as usize].amount_minor;
                all.push(x);
            }
        }
        self.except(li, ExceptionCause::Contradicted, &mut all);
    }

    /// Payments behind a candidate target (one payment, or every member of a batch).
    fn targets(&self, target: u32) -> impl Iterator<Item = u32> + '_ {
        let (one, many): (Option<u32>, &[u32]) = if target & BATCH_BIT != 0 {
            (None, &self.batches[(target & !BATCH_BIT) as usize].members)
        } else {
            (Some(target), &[])
        };
        one.into_iter().chain(many.iter().copied())
    }

    /// Pass 5: lines that carry one payment's exact reference with a smaller amount are
    /// matched together when they add up to it exactly.
    fn split_pass(&mut self, mut split_cands: Vec<(u32, u32)>) {
        split_cands.sort_unstable();
        let mut start = 0;
        while start < split_cands.len() {
            let p = split_cands[start].0;
            let mut end = start;
            while end < split_cands.len() && split_cands[end].0 == p {
                end += 1;
            }
            let group: Vec<u32> = split_cands[start..end].iter().map(|x| x.1).collect();
            let payment = &self.payments[p as usize];
            let day = self.pay_day[p as usize];
            let sum = group.iter().try_fold(0i64, |acc, l| {
                acc.checked_sub(self.lines[*l as usize].amount_minor)
            });
            let max_days = group
                .iter()
                .map(|l| self.days(&self.lines[*l as usize], day))
                .max()
                .unwrap_or(0);
            if group.len() >= 2
                && self.open(p)
                && sum == Some(payment.amount_minor)
                && max_days <= self.cfg.date_window
            {
                let c = Cand {
                    target: p,
                    score: SCORE_SPLIT,
                    days: max_days,
                    sim: 0,
                    kind: Kind::RefExact,
                    diff: 0,
                    veto: None,
                };
                let reasons = vec![
                    Reason::ReferenceExact,
                    Reason::SplitTotal(group.len() as u32),
                    Reason::DateWithin(max_days),
                ];
                self.accept_with(&group, c, Outcome::Matched, reasons);
            } else {
                for li in group {
                    let line = &self.lines[li as usize];
                    let mut c = self.cand(line, p, SCORE_AMOUNT_MISMATCH, Kind::AmountMismatch);
                    c.diff = -line.amount_minor - payment.amount_minor;
                    self.except(li, ExceptionCause::AmountMismatch, &mut [c]);
                }
            }
            start = end;
        }
    }

    /// Candidates of a debit line by amount, date window and counterparty (passes 2 and 3).
    fn amount_cands(&self, line: &StatementLine, amount: i64, s: &mut Scratch) {
        let out = &mut s.cands;
        out.clear();
        let code = line.currency.code();
        let day = business_day_index(line.value_date);
        let w = i64::from(self.cfg.date_window);
        let name = line.counterparty.as_deref().unwrap_or("");
        for d in day - w..=day + w {
            for target in self.amount_day.get(amount_day_key(code, amount, d)) {
                let days = (d - day).unsigned_abs() as u32;
                if target & BATCH_BIT != 0 {
                    let b = target & !BATCH_BIT;
                    let batch = &self.batches[b as usize];
                    if batch.total != amount
                        || batch.currency != line.currency
                        || batch.business_day != d
                        || !self.batch_open(b)
                    {
                        continue;
                    }
                    let score = AMOUNT_POINTS + BATCH_TOTAL_POINTS + date_points(days);
                    out.push(Cand {
                        target,
                        score: score as Score,
                        days,
                        sim: 0,
                        kind: Kind::AmountBatch,
                        diff: 0,
                        veto: None,
                    });
                } else {
                    let p = &self.payments[target as usize];
                    if p.amount_minor != amount
                        || p.currency != line.currency
                        || self.pay_day[target as usize] != d
                        || !self.open(target)
                    {
                        continue;
                    }
                    let sim = counterparty_similarity(name, &p.counterparty_name);
                    let score = AMOUNT_POINTS + date_points(days) + name_points(sim);
                    out.push(Cand {
                        target,
                        score: score as Score,
                        days,
                        sim,
                        kind: Kind::Amount,
                        diff: 0,
                        // Names this far apart are rare: only then look closer.
                        veto: if sim < NAME_VETO_BELOW || line.counterparty_account.is_some() {
                            self.contradiction(line, target)
                        } else {
                            None
                        },
                    });
                }
            }
        }
        sort_cands(out);
    }

    /// Candidates of a credit line among paid payments, by amount and counterparty (pass 4).
    fn return_cands(&self, line: &StatementLine, out: &mut Vec<Cand>) {
        out.clear();
        let code = line.currency.code();
        let day = business_day_index(line.value_date);
        let name = line.counterparty.as_deref().unwrap_or("");
        let amount = line.amount_minor;
        // A return comes after the payment; allow the date window for early value dates.
        let earliest = day - i64::from(self.cfg.return_window);
        let latest = day + i64::from(self.cfg.date_window);
        for d in earliest..=latest {
            for target in self.amount_day.get(amount_day_key(code, amount, d)) {
                if target & BATCH_BIT != 0 {
                    continue;
                }
                let p = &self.payments[target as usize];
                if p.amount_minor != amount
                    || p.currency != line.currency
                    || self.pay_day[target as usize] != d
                    || !self.returnable(target)
                {
                    continue;
                }
                let sim = counterparty_similarity(name, &p.counterparty_name);
                let score = AMOUNT_POINTS + RETURN_DATE_POINTS + name_points(sim);
                out.push(Cand {
                    target,
                    score: score as Score,
                    days: (d - day).unsigned_abs() as u32,
                    sim,
                    kind: Kind::ReturnAmount,
                    diff: 0,
                    veto: self.contradiction(line, target),
                });
            }
        }
        sort_cands(out);
    }

    fn returnable(&self, p: u32) -> bool {
        let i = p as usize;
        (self.payments[i].status == PaymentStatus::Paid || self.paid_now[i]) && !self.returned[i]
    }

    /// Passes 2 and 3, in rounds: a line is accepted only as the unique best of its
    /// candidates *and* the unique best line of each of its payments, by `min_margin`.
    fn amount_pass(&mut self, mut pending: Vec<u32>, s: &mut Scratch) {
        let n = self.payments.len();
        let mut best_line: Vec<(Score, u32)> = vec![(0, NONE); n];
        let mut second: Vec<Score> = vec![0; n];
        // Charge lines taken by a fee-deducted wire are decided already.
        pending.retain(|li| !self.line_done[*li as usize]);
        for round in 0..self.cfg.amount_rounds {
            let last = round + 1 == self.cfg.amount_rounds;
            let mut arena: Vec<Cand> = Vec::new();
            let mut ranges: Vec<(u32, usize, usize)> = Vec::with_capacity(pending.len());
            for &li in &pending {
                let line = &self.lines[li as usize];
                self.amount_cands(line, -line.amount_minor, s);
                let start = arena.len();
                arena.extend_from_slice(&s.cands);
                ranges.push((li, start, arena.len()));
            }
            self.rank_lines(&arena, &ranges, &mut best_line, &mut second);
            let mut retry = Vec::new();
            let mut accepted = Vec::new();
            for &(li, start, end) in &ranges {
                let cands = &arena[start..end];
                match self.judge(li, cands, &best_line, &second, true) {
                    Ok(c) => accepted.push((li, c)),
                    Err(cause @ (ExceptionCause::Ambiguous | ExceptionCause::Contested))
                        if !last =>
                    {
                        let _ = cause;
                        retry.push(li);
                    }
                    Err(ExceptionCause::Contradicted) => self.contradicted(li, cands[0], s),
                    Err(cause) => {
                        let mut owned = cands.to_vec();
                        self.except(li, cause, &mut owned);
                    }
                }
            }
            for c in &arena {
                for p in self.targets(c.target) {
                    best_line[p as usize] = (0, NONE);
                    second[p as usize] = 0;
                }
            }
            let progressed = !accepted.is_empty();
            for (li, c) in accepted {
                self.accept(&[li], c, Outcome::Matched);
            }
            pending = retry;
            if pending.is_empty() {
                break;
            }
            if !progressed {
                // Nothing changed, so another round would decide the same: finish now.
                for &li in &pending {
                    let line = &self.lines[li as usize];
                    self.amount_cands(line, -line.amount_minor, s);
                    let mut owned = s.cands.clone();
                    let cause = if owned.len() >= 2
                        && owned[0].score - owned[1].score < self.cfg.min_margin
                    {
                        ExceptionCause::Ambiguous
                    } else {
                        ExceptionCause::Contested
                    };
                    self.except(li, cause, &mut owned);
                }
                break;
            }
        }
    }

    /// Records, per payment, its best line's score and the runner-up score.
    fn rank_lines(
        &self,
        arena: &[Cand],
        ranges: &[(u32, usize, usize)],
        best_line: &mut [(Score, u32)],
        second: &mut [Score],
    ) {
        for &(li, start, end) in ranges {
            for c in &arena[start..end] {
                for p in self.targets(c.target) {
                    let i = p as usize;
                    let (best_score, line) = best_line[i];
                    if line == li {
                        best_line[i].0 = best_score.max(c.score);
                    } else if line == NONE || c.score > best_score {
                        if line != NONE {
                            second[i] = second[i].max(best_score);
                        }
                        best_line[i] = (c.score, li);
                    } else {
                        second[i] = second[i].max(c.score);
                    }
                }
            }
        }
    }

    /// Accepts the best candidate of a line or says why not.
    fn judge(
        &self,
        li: u32,
        cands: &[Cand],
        best_line: &[(Score, u32)],
        second: &[Score],
        needs_name_for_payment: bool,
    ) -> Result<Cand, ExceptionCause> {
        let Some(best) = cands.first().copied() else {
            return Err(ExceptionCause::NoCandidate);
        };
        if best.veto.is_some() {
            return Err(ExceptionCause::Contradicted);
        }
        let named = best.target & BATCH_BIT == 0 && needs_name_for_payment;
        if best.score < self.cfg.auto_match_threshold
            || (named && best.sim < self.cfg.min_counterparty_similarity)
        {
            return Err(ExceptionCause::BelowThreshold);
        }
        if let Some(next) = cands.get(1) {
            if best.score - next.score < self.cfg.min_margin {
                return Err(ExceptionCause::Ambiguous);
            }
        }
        for p in self.targets(best.target) {
            let (_, line) = best_line[p as usize];
            if line != li
                || u32::from(second[p as usize]) + u32::from(self.cfg.min_margin)
                    > u32::from(best.score)
            {
                return Err(ExceptionCause::Contested);
            }
        }
        Ok(best)
    }

    /// Pass 4: credits that send one of our payments back.
    fn return_pass(&mut self, s: &mut Scratch) {
        let mut proposals: Vec<(u32, Cand)> = Vec::new();
        let mut amount_lines: Vec<u32> = Vec::new();
        for li in 0..self.lines.len() {
            let line = &self.lines[li];
            if self.line_done[li] || line.amount_minor <= 0 {
                continue;
            }
            let amount = line.amount_minor;
            self.reference_hits(line, amount, s);
            s.cands.clear();
            for (list, score, kind) in [
                (&s.exact, SCORE_MAX, Kind::ReturnRef),
                (&s.truncated, SCORE_TRUNCATED, Kind::ReturnTruncated),
            ] {
                if !s.cands.is_empty() {
                    break;
                }
                for &p in list {
                    let pay = &self.payments[p as usize];
                    if pay.amount_minor == amount
                        && pay.currency == line.currency
                        && self.returnable(p)
                    {
                        s.cands.push(self.cand(line, p, score, kind));
                    }
                }
            }
            match s.cands.len() {
                0 => amount_lines.push(li as u32),
                1 => proposals.push((li as u32, s.cands[0])),
                _ => self.except(li as u32, ExceptionCause::Ambiguous, &mut s.cands),
            }
        }
        let mut claims = vec![0u8; self.payments.len()];
        for (_, c) in &proposals {
            claims[c.target as usize] = claims[c.target as usize].saturating_add(1);
        }
        for (li, c) in proposals {
            if claims[c.target as usize] == 1 {
                self.accept(&[li], c, Outcome::Returned);
            } else {
                self.except(li, ExceptionCause::Contested, &mut [c]);
            }
        }
        let mut arena = Vec::new();
        let mut ranges = Vec::with_capacity(amount_lines.len());
        for &li in &amount_lines {
            self.return_cands(&self.lines[li as usize], &mut s.cands);
            let start = arena.len();
            arena.extend_from_slice(&s.cands);
            ranges.push((li, start, arena.len()));
        }
        let n = self.payments.len();
        let mut best_line: Vec<(Score, u32)> =
            vec![(0, NONE); if ranges.is_empty() { 0 } else { n }];
        let mut second: Vec<Score> = vec![0; best_line.len()];
        self.rank_lines(&arena, &ranges, &mut best_line, &mut second);
        let mut accepted = Vec::new();
        for &(li, start, end) in &ranges {
            let cands = &arena[start..end];
            match self.judge(li, cands, &best_line, &second, true) {
                Ok(c) => accepted.push((li, c)),
                Err(cause) => {
                    let mut owned = cands.to_vec();
                    self.except(li, cause, &mut owned);
                }
            }
        }
        for (li, c) in accepted {
            self.accept(&[li], c, Outcome::Returned);
        }
    }

    fn reasons(&self, c: &Cand) -> Vec<Reason> {
        let mut reasons = self.kind_reasons(c);
        reasons.extend(c.veto);
        reasons
    }

    fn kind_reasons(&self, c: &Cand) -> Vec<Reason> {
        let batch_size = || {
            Reason::BatchTotal(self.batches[(c.target & !BATCH_BIT) as usize].members.len() as u32)
        };
        match c.kind {
            Kind::RefExact => vec![
                Reason::ReferenceExact,
                Reason::AmountExact,
                Reason::DateWithin(c.days),
            ],
            Kind::RefTruncated => vec![
                Reason::ReferenceTruncated,
                Reason::AmountExact,
                Reason::DateWithin(c.days),
            ],
            Kind::BatchRef => vec![
                Reason::BatchReference,
                batch_size(),
                Reason::DateWithin(c.days),
            ],
            Kind::BatchMemberRef => vec![
                Reason::ReferenceExact,
                batch_size(),
                Reason::DateWithin(c.days),
            ],
            Kind::Amount => vec![
                Reason::AmountExact,
                Reason::DateWithin(c.days),
                Reason::CounterpartySimilar(c.sim),
            ],
            Kind::TruncatedMismatch | Kind::SharedName => vec![
                Reason::ReferenceTruncated,
                Reason::AmountDiffers(c.diff),
                Reason::DateWithin(c.days),
            ],
            Kind::FeeExact => vec![
                Reason::ReferenceExact,
                Reason::FeeDeducted(c.diff),
                Reason::DateWithin(c.days),
            ],
            Kind::FeeTruncated => vec![
                Reason::ReferenceTruncated,
                Reason::FeeDeducted(c.diff),
                Reason::DateWithin(c.days),
            ],
            Kind::AmountBatch => vec![batch_size(), Reason::DateWithin(c.days)],
            Kind::ReturnRef => vec![
                Reason::ReturnOf,
                Reason::ReferenceExact,
                Reason::AmountExact,
            ],
            Kind::ReturnTruncated => vec![
                Reason::ReturnOf,
                Reason::ReferenceTruncated,
                Reason::AmountExact,
            ],
            Kind::ReturnAmount => vec![
                Reason::ReturnOf,
                Reason::AmountExact,
                Reason::DateWithin(c.days),
                Reason::CounterpartySimilar(c.sim),
            ],
            Kind::AmountMismatch => vec![
                Reason::ReferenceExact,
                Reason::AmountDiffers(c.diff),
                Reason::DateWithin(c.days),
            ],
        }
    }

    fn payment_ids(&self, target: u32) -> Vec<String> {
        self.targets(target)
            .map(|p| self.payments[p as usize].id.clone())
            .collect()
    }

    fn accept(&mut self, lines: &[u32], c: Cand, outcome: Outcome) {
        let reasons = self.reasons(&c);
        self.accept_with(lines, c, outcome, reasons);
    }

    fn accept_with(&mut self, lines: &[u32], c: Cand, outcome: Outcome, reasons: Vec<Reason>) {
        let payments: Vec<u32> = self.targets(c.target).collect();
        for p in payments {
            match outcome {
                Outcome::Matched => self.paid_now[p as usize] = true,
                Outcome::Returned => self.returned[p as usize] = true,
            }
        }
        for &li in lines {
            self.line_done[li as usize] = true;
        }
        let decision = Decision {
            outcome,
            line_ids: lines
                .iter()
                .map(|l| self.lines[*l as usize].id.clone())
                .collect(),
            payment_ids: self.payment_ids(c.target),
            score: c.score.min(SCORE_MAX),
            reasons,
        };
        self.decisions.push((lines[0], decision));
    }

    fn except(&mut self, li: u32, cause: ExceptionCause, cands: &mut [Cand]) {
        sort_cands(cands);
        let candidates = cands
            .iter()
            .take(self.cfg.max_exception_candidates)
            .map(|c| Candidate {
                payment_ids: self.payment_ids(c.target),
                score: c.score.min(SCORE_MAX),
                reasons: self.reasons(c),
            })
            .collect();
        self.line_done[li as usize] = true;
        self.exceptions.push((
            li,
            Exception {
                line_id: self.lines[li as usize].id.clone(),
                cause,
                candidates,
            },
        ));
    }

    fn finish(mut self) -> Reconciliation {
        for li in 0..self.lines.len() {
            if !self.line_done[li] {
                self.except(li as u32, ExceptionCause::NoCandidate, &mut []);
            }
        }
        self.decisions.sort_by_key(|(li, _)| *li);
        self.exceptions.sort_by_key(|(li, _)| *li);
        let unmatched_payment_ids = self
            .payments
            .iter()
            .enumerate()
            .filter(|(i, p)| p.status == PaymentStatus::Initiated && !self.paid_now[*i])
            .map(|(_, p)| p.id.clone())
            .collect();
        Reconciliation {
            decisions: self.decisions.into_iter().map(|(_, d)| d).collect(),
            exceptions: self.exceptions.into_iter().map(|(_, e)| e).collect(),
            unmatched_payment_ids,
        }
    }
}

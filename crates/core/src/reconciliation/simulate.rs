//! Seeded simulator: payments plus a noisy bank statement with its ground truth, and the
//! metrics that compare a [`Reconciliation`] with that truth.
//!
//! The noise follows what banks do to us: value dates moved ±2 business days, references
//! moved into free text, truncated (last digits of a trace, first characters of an
//! end-to-end id) or dropped, payee names re-cased, reordered or cut, ACH batches posted as
//! one total, wires split in two, returns credited back, and 0.1 % of lines (fees, interest,
//! stray items) with no counterpart. Amounts repeat on purpose (round amounts, family
//! members paid the same amount the same day).
//!
//! Wires carry our reference token as their end-to-end id; 5 % are legacy wires whose id is
//! a time-ordered UUIDv7 (all the wires of one run share its first ~10 characters). About
//! one wire in 2,000 is the false-match trap of issue 15: wire X posted net of a charge so
//! that its amount equals the same-day wire Y's, with X's end-to-end id cut to 16 or 10
//! characters and X's payee named; 70 % of them with the charge line beside it. The PRNG is a hand-written splitmix64, so
//! the same seed gives the same data on every platform and no dependency is needed.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::calendar::add_business_days;
use super::{Outcome, Payment, PaymentMethod, PaymentStatus, Reconciliation, StatementLine};
use crate::money::Currency;
use crate::payments::reference::token;

/// splitmix64: tiny, fast and good enough to make test data.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        super::text::mix(self.0)
    }

    /// A uniform integer in `0..n` (`n > 0`), without modulo bias worth mentioning.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `per_million` / 1,000,000.
    pub fn chance(&mut self, per_million: u64) -> bool {
        self.below(1_000_000) < per_million
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// What a generated line really is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// The debit (or part of the debit) of these payments.
    Paid(Vec<String>),
    /// Money coming back for this payment.
    Returned(String),
    /// Nothing we sent (fees, interest, stray items).
    Unrelated,
    /// The bank's charge of this many minor units on a wire it posted net of it: right
    /// when matched together with that wire as its deducted charge.
    Charge(i64),
}

/// The truth for one statement line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruthLine {
    /// Statement line id.
    pub line_id: String,
    /// What the line really is.
    pub expected: Expected,
}

/// The truth for a whole generated statement, in line order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroundTruth {
    /// One entry per statement line.
    pub lines: Vec<TruthLine>,
}

/// A generated data set.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Payments we sent.
    pub payments: Vec<Payment>,
    /// The bank statement, shuffled.
    pub lines: Vec<StatementLine>,
    /// What each line really is.
    pub truth: GroundTruth,
}

/// How a reconciliation result compares with the truth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Lines that have a counterpart (a payment, a batch or a return).
    pub matchable: u64,
    /// Matchable lines decided automatically and correctly.
    pub auto_matched: u64,
    /// Lines decided automatically and wrongly (the number that must stay 0).
    pub false_matches: u64,
    /// Lines left as exceptions.
    pub exceptions: u64,
}

impl Metrics {
    /// Automatic match rate on matchable lines, in parts per million (1,000,000 = 100 %).
    pub fn match_rate_ppm(&self) -> u64 {
        (self.auto_matched * 1_000_000)
            .checked_div(self.matchable)
            .unwrap_or(1_000_000)
    }
}

/// Compares a result with the truth, line by line.
pub fn evaluate(result: &Reconciliation, truth: &GroundTruth) -> Metrics {
    let expected: HashMap<&str, &Expected> = truth
        .lines
        .iter()
        .map(|t| (t.line_id.as_str(), &t.expected))
        .collect();
    let mut metrics = Metrics {
        matchable: truth
            .lines
            .iter()
            .filter(|t| t.expected != Expected::Unrelated)
            .count() as u64,
        exceptions: result.exceptions.len() as u64,
        ..Metrics::default()
    };
    for decision in &result.decisions {
        let mut got: Vec<&str> = decision.payment_ids.iter().map(String::as_str).collect();
        got.sort_unstable();
        for line in &decision.line_ids {
            let right = match (decision.outcome, expected.get(line.as_str())) {
                (Outcome::Matched, Some(Expected::Paid(ids))) => {
                    let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
                    want.sort_unstable();
                    want == got
                }
                (Outcome::Returned, Some(Expected::Returned(id))) => got == [id.as_str()],
                // Charges of one amount are interchangeable; the wire line's own truth
                // says whether the wire is the right one.
                (Outcome::Matched, Some(Expected::Charge(c))) => {
                    decision.reasons.contains(&super::Reason::FeeDeducted(*c))
                }
                _ => false,
            };
            if right {
                metrics.auto_matched += 1;
            } else {
                metrics.false_matches += 1;
            }
        }
    }
    metrics
}

const FIRST: [&str; 48] = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Nancy",
    "Daniel",
    "Lisa",
    "Matthew",
    "Betty",
    "Anthony",
    "Margaret",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Deborah",
];

const LAST: [&str; 64] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
];

const FIRM: [&str; 24] = [
    "Harbor",
    "Summit",
    "Granite",
    "Cedar",
    "Pioneer",
    "Beacon",
    "Meridian",
    "Atlas",
    "Sterling",
    "Evergreen",
    "Keystone",
    "Lakeside",
    "Northwind",
    "Oakmont",
    "Riverside",
    "Silverline",
    "Bluewater",
    "Redwood",
    "Highland",
    "Ironbridge",
    "Westfield",
    "Crescent",
    "Falcon",
    "Juniper",
];

const FIRM_KIND: [&str; 6] = [
    "Capital LLC",
    "Partners LP",
    "Holdings Inc",
    "Family Office",
    "Investments LLC",
    "Foundation",
];

const NOISE_NAMES: [&str; 6] = [
    "ACME OFFICE SUPPLY",
    "CITY WATER DEPT",
    "ZENITH PAYROLL SVC",
    "NORTHSTAR LEGAL",
    "QUANTUM IT SERVICES",
    "METRO PARKING",
];

fn person_name(rng: &mut SplitMix64, last: &str) -> String {
    let first = rng.pick(&FIRST);
    if rng.chance(300_000) {
        let initial = (b'A' + rng.below(26) as u8) as char;
        format!("{first} {initial} {last}")
    } else {
        format!("{first} {last}")
    }
}

fn investor_name(rng: &mut SplitMix64) -> String {
    if rng.chance(150_000) {
        let a = rng.pick(&FIRM);
        let b = rng.pick(&LAST);
        let kind = rng.pick(&FIRM_KIND);
        format!("{a} {b} {kind}")
    } else if rng.chance(50_000) {
        format!("{} Family Trust", rng.pick(&LAST))
    } else {
        let last = rng.pick(&LAST);
        person_name(rng, last)
    }
}

/// The name as the bank prints it: re-cased, reordered, truncated or reduced to an initial.
fn bank_name(rng: &mut SplitMix64, name: &str) -> String {
    let roll = rng.below(100);
    let words: Vec<&str> = name.split(' ').collect();
    match roll {
        0..=49 => name.to_string(),
        50..=69 => name.to_uppercase(),
        70..=84 if words.len() >= 2 => {
            let (last, rest) = words.split_last().expect("two words");
            format!("{}, {}", last.to_uppercase(), rest.join(" ").to_uppercase())
        }
        85..=94 => name.to_uppercase().chars().take(16).collect(),
        _ if words.len() >= 2 => {
            let initial = &words[0][..1];
            format!("{initial} {}", words[1..].join(" ")).to_uppercase()
        }
        _ => name.to_uppercase(),
    }
}

fn value_offset(rng: &mut SplitMix64) -> i64 {
    match rng.below(100) {
        0..=69 => 0,
        70..=79 => 1,
        80..=89 => -1,
        90..=94 => 2,
        _ => -2,
    }
}

const ROUTING: &str = "02100002";

struct Builder {
    rng: SplitMix64,
    lines: Vec<StatementLine>,
    truth: Vec<Expected>,
    currency: Currency,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        amount_minor: i64,
        value_date: NaiveDate,
        bank_reference: Option<String>,
        customer_reference: Option<String>,
        description: String,
        counterparty: Option<String>,
        expected: Expected,
    ) {
        let booking_date = if self.rng.chance(200_000) {
            add_business_days(value_date, 1)
        } else {
            value_date
        };
        self.lines.push(StatementLine {
            id: String::new(),
            amount_minor,
            currency: self.currency,
            value_date,
            booking_date,
            bank_reference,
            customer_reference,
            description,
            counterparty,
            counterparty_account: None,
            type_code: None,
        });
        self.truth.push(expected);
    }

    /// The debit line(s) of one payment as the bank reports it.
    fn payment_lines(&mut self, p: &Payment) {
        let rng = &mut self.rng;
        let value_date = add_business_days(p.expected_date, value_offset(rng));
        let reference = p
            .trace_number
            .clone()
            .or_else(|| p.end_to_end_id.clone())
            .or_else(|| p.check_number.clone())
            .unwrap_or_default();
        let roll = rng.below(1000);
        let (mut bank_ref, mut cust_ref, mut description) = (None, None, String::new());
        let mut has_ref = true;
        match (p.method, roll) {
            (_, 0..=779) => match p.method {
                PaymentMethod::Ach => cust_ref = Some(reference.clone()),
                PaymentMethod::Wire => cust_ref = Some(reference.clone()),
                PaymentMethod::Check => {
                    bank_ref = Some(if rng.chance(500_000) {
                        format!("{:0>10}", reference)
                    } else {
                        reference.clone()
                    })
                }
            },
            (_, 780..=859) => {
                description = match p.method {
                    PaymentMethod::Ach => match p.reference_token.as_deref() {
                        // The NACHA individual id (our token) instead of the trace.
                        Some(t) if rng.chance(500_000) => format!("ACH CREDIT PPD ID:{t} CLEARWAY"),
                        _ => format!("ACH CREDIT PPD TRN*1*{reference} CLEARWAY DIST"),
                    },
                    PaymentMethod::Wire => format!("WIRE OUT /EREF/{reference}/BNF/"),
                    PaymentMethod::Check => format!("CHECK PAID NO. {reference}"),
                }
            }
            (PaymentMethod::Ach, 860..=919) => {
                let keep = 8 + rng.below(5) as usize;
                cust_ref = Some(reference[reference.len() - keep..].to_string());
            }
            (PaymentMethod::Wire, 860..=919) => {
                let keep = 12 + rng.below(4) as usize;
                cust_ref = Some(reference[..keep.min(reference.len())].to_string());
            }
            (PaymentMethod::Check, 860..=919) => bank_ref = Some(reference.clone()),
            _ => has_ref = false,
        }
        if description.is_empty() {
            description = match p.method {
                PaymentMethod::Ach => "ACH CREDIT PPD CLEARWAY DISTRIBUTION".to_string(),
                PaymentMethod::Wire => "OUTGOING WIRE TRANSFER".to_string(),
                PaymentMethod::Check => "CHECK PAID".to_string(),
            };
        }
        let counterparty = if has_ref && rng.chance(100_000) {
            None
        } else {
            Some(bank_name(rng, &p.counterparty_name))
        };
        let expected = Expected::Paid(vec![p.id.clone()]);
        if p.method == PaymentMethod::Wire && has_ref && p.amount_minor > 1 && rng.chance(500) {
            // A wire the bank posts in two pieces, both carrying the end-to-end id.
            let first = 1 + rng.below((p.amount_minor - 1) as u64) as i64;
            for part in [first, p.amount_minor - first] {
                self.line(
                    -part,
                    value_date,
                    None,
                    Some(reference.clone()),
                    "WIRE OUT PARTIAL".to_string(),
                    counterparty.clone(),
                    expected.clone(),
                );
            }
            return;
        }
        self.line(
            -p.amount_minor,
            value_date,
            bank_ref,
            cust_ref,
            description,
            counterparty,
            expected,
        );
    }

    /// A credit sending `p` back, some days after it left.
    fn return_line(&mut self, p: &Payment) {
        let rng = &mut self.rng;
        let value_date = add_business_days(p.expected_date, 2 + rng.below(5) as i64);
        let with_ref = rng.chance(700_000);
        let description = match (&p.trace_number, &p.end_to_end_id, with_ref) {
            (Some(trace), _, true) => format!("ACH RETURN R03 NO ACCOUNT TRACE {trace}"),
            (_, Some(e2e), true) => format!("WIRE RETURNED BENEFICIARY BANK {e2e}"),
            _ => "RETURNED ITEM".to_string(),
        };
        let name = Some(bank_name(rng, &p.counterparty_name));
        self.line(
            p.amount_minor,
            value_date,
            None,
            None,
            description,
            name,
            Expected::Returned(p.id.clone()),
        );
    }
}

/// Amounts that repeat across investors ($25 steps up to $12,500).
fn round_amount(rng: &mut SplitMix64) -> i64 {
    (1 + rng.below(500) as i64) * 2_500
}

fn random_amount(rng: &mut SplitMix64) -> i64 {
    let magnitude = 10i64.pow(3 + rng.below(5) as u32);
    magnitude + rng.below(9 * magnitude as u64) as i64
}

/// Counters that number references across all generated payments.
struct Sequences {
    trace: u64,
    check: u64,
    batch: u64,
    /// Milliseconds of the legacy UUIDv7 clock: the wires of one day's run are created
    /// a few milliseconds apart, so their ids share their first characters.
    clock_ms: u64,
}

/// Wire payments (by index) posted net of a charge of this many minor units.
type Traps = HashMap<usize, i64>;

/// A time-ordered UUIDv7 without dashes, as legacy end-to-end ids were.
fn uuid7_hex(rng: &mut SplitMix64, clock_ms: u64) -> String {
    let rand_a = rng.below(1 << 12);
    let rand_b = rng.next_u64() & ((1 << 62) - 1);
    format!(
        "{:012X}7{rand_a:03X}{:016X}",
        clock_ms & ((1 << 48) - 1),
        rand_b | (1 << 63)
    )
}

/// Generates `n` payments and their noisy statement for `seed`.
pub fn generate(seed: u64, n: usize) -> Simulation {
    let currency = Currency::USD;
    let start = NaiveDate::from_ymd_opt(2024, 1, 2).expect("valid date");
    let days = (n / 4_000).max(5);
    let (payments, traps) = generate_payments(seed, n, currency, start, days);

    let mut builder = Builder {
        rng: SplitMix64::new(seed ^ 0x005e_ed0f_5747_e3e7),
        lines: Vec::with_capacity(n + n / 100),
        truth: Vec::with_capacity(n + n / 100),
        currency,
    };
    let shown_individually = builder.batch_lines(&payments);
    builder.payment_and_return_lines(&payments, &shown_individually, &traps);
    builder.noise_lines(start, days);
    let (lines, truth) = builder.shuffled();
    Simulation {
        payments,
        lines,
        truth,
    }
}

/// The payments we sent: `n` of them spread over `days` business days from `start`, and
/// the wires among them the bank will post net of a charge.
fn generate_payments(
    seed: u64,
    n: usize,
    currency: Currency,
    start: NaiveDate,
    days: usize,
) -> (Vec<Payment>, Traps) {
    let mut rng = SplitMix64::new(seed);
    let investors: Vec<String> = (0..(n / 3).max(8))
        .map(|_| investor_name(&mut rng))
        .collect();
    let mut payments: Vec<Payment> = Vec::with_capacity(n);
    let mut traps = Traps::new();
    let mut seq = Sequences {
        trace: 0,
        check: 100_001,
        batch: 0,
        clock_ms: 0,
    };
    for day in 0..days {
        let date = add_business_days(start, day as i64);
        let count = n / days + usize::from(day < n % days);
        let mut open_batch: Option<(String, usize)> = None;
        // 2024-01-02T00:00Z plus the day: the run starts at the same time each day.
        seq.clock_ms = 1_704_153_600_000 + day as u64 * 86_400_000;
        for _ in 0..count {
            if payments
                .last()
                .is_some_and(|y| is_trap_neighbour(y, &mut rng))
            {
                let x = fee_trap(&mut rng, &payments, &investors, &mut seq);
                traps.insert(payments.len(), x.1);
                payments.push(x.0);
                continue;
            }
            let id = format!("PAY{:08}", payments.len());
            let (amount, name) = amount_and_name(&mut rng, &payments, &investors);
            let method = match rng.below(100) {
                0..=69 => PaymentMethod::Ach,
                70..=89 => PaymentMethod::Wire,
                _ => PaymentMethod::Check,
            };
            let mut payment = Payment {
                id,
                amount_minor: amount,
                currency,
                method,
                expected_date: date,
                trace_number: None,
                end_to_end_id: None,
                check_number: None,
                batch_id: None,
                counterparty_name: name,
                reference_token: None,
                counterparty_account: None,
                status: PaymentStatus::Initiated,
            };
            payment.reference_token = Some(token(&payment.id));
            assign_reference(&mut rng, &mut payment, &mut seq, &mut open_batch);
            if payment.batch_id.is_none() && rng.chance(5_000) {
                // Confirmed on an earlier statement; may still come back as a return.
                payment.status = PaymentStatus::Paid;
            }
            payments.push(payment);
        }
    }
    (payments, traps)
}

/// True (one wire in 2,000) when the wire `y` just sent gets a trap wire beside it.
fn is_trap_neighbour(y: &Payment, rng: &mut SplitMix64) -> bool {
    y.method == PaymentMethod::Wire && y.status == PaymentStatus::Initiated && rng.chance(500)
}

/// Wire X of issue 15: sent the same day as the last payment Y, to a clearly different
/// payee, for Y's amount plus the charge the bank will take off it; half with a legacy id.
fn fee_trap(
    rng: &mut SplitMix64,
    payments: &[Payment],
    investors: &[String],
    seq: &mut Sequences,
) -> (Payment, i64) {
    let y = &payments[payments.len() - 1];
    let charge = 500 * (2 + rng.below(8) as i64);
    let mut name = investors[rng.below(investors.len() as u64) as usize].clone();
    for _ in 0..16 {
        if super::counterparty_similarity(&name, &y.counterparty_name) < 250 {
            break;
        }
        name = investors[rng.below(investors.len() as u64) as usize].clone();
    }
    let id = format!("PAY{:08}", payments.len());
    let reference_token = Some(token(&id));
    let end_to_end_id = if rng.chance(500_000) {
        seq.clock_ms += 1;
        Some(uuid7_hex(rng, seq.clock_ms))
    } else {
        reference_token.clone()
    };
    let x = Payment {
        id,
        amount_minor: y.amount_minor + charge,
        end_to_end_id,
        counterparty_name: name,
        reference_token,
        ..y.clone()
    };
    (x, charge)
}

/// The amount and payee of the next payment: usually a random investor, sometimes a
/// family member of the previous payee paid the same amount.
fn amount_and_name(
    rng: &mut SplitMix64,
    payments: &[Payment],
    investors: &[String],
) -> (i64, String) {
    let twin = !payments.is_empty() && rng.chance(10_000);
    if twin {
        // A family member paid the same amount the same day: only the name differs.
        let other = &payments[payments.len() - 1];
        let last = other
            .counterparty_name
            .rsplit(' ')
            .next()
            .unwrap_or("Smith");
        (other.amount_minor, person_name(rng, last))
    } else {
        let amount = if rng.chance(150_000) {
            round_amount(rng)
        } else {
            random_amount(rng)
        };
        let name = investors[rng.below(investors.len() as u64) as usize].clone();
        (amount, name)
    }
}

/// Gives `payment` its method's reference (trace, end-to-end id or check number) and,
/// for some ACH payments, a place in the open batch.
fn assign_reference(
    rng: &mut SplitMix64,
    payment: &mut Payment,
    seq: &mut Sequences,
    open_batch: &mut Option<(String, usize)>,
) {
    match payment.method {
        PaymentMethod::Ach => {
            payment.trace_number = Some(format!("{ROUTING}{:07}", seq.trace));
            seq.trace += 1;
            if rng.chance(50_000) {
                let (batch, left) = open_batch.get_or_insert_with(|| {
                    seq.batch += 1;
                    (format!("CWB{:07}", seq.batch), 2 + rng.below(9) as usize)
                });
                payment.batch_id = Some(batch.clone());
                *left -= 1;
                if *left == 0 {
                    *open_batch = None;
                }
            }
        }
        PaymentMethod::Wire => {
            // New wires send the token as end-to-end id; 5 % are legacy UUIDv7 ids.
            payment.end_to_end_id = if rng.chance(50_000) {
                seq.clock_ms += rng.below(3);
                Some(uuid7_hex(rng, seq.clock_ms))
            } else {
                payment.reference_token.clone()
            };
        }
        PaymentMethod::Check => {
            payment.check_number = Some(seq.check.to_string());
            seq.check += 1;
        }
    }
}

impl Builder {
    /// One settlement line per ACH batch the bank posts as a total. Returns, per payment,
    /// whether its batch is shown line by line instead.
    fn batch_lines(&mut self, payments: &[Payment]) -> Vec<bool> {
        let mut batches: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in payments.iter().enumerate() {
            if let Some(b) = &p.batch_id {
                batches.entry(b.as_str()).or_default().push(i);
            }
        }
        let mut batch_list: Vec<(&str, Vec<usize>)> = batches.into_iter().collect();
        batch_list.sort_unstable();
        let mut shown_individually = vec![false; payments.len()];
        for (batch_id, members) in &batch_list {
            if members.len() < 2 || self.rng.chance(100_000) {
                for m in members {
                    shown_individually[*m] = true;
                }
                continue;
            }
            let total: i64 = members.iter().map(|m| payments[*m].amount_minor).sum();
            let rng = &mut self.rng;
            let value_date =
                add_business_days(payments[members[0]].expected_date, value_offset(rng));
            let description = if rng.chance(500_000) {
                format!("ACH SETTLEMENT BATCH {batch_id} CLEARWAY")
            } else {
                "ACH SETTLEMENT CCD CLEARWAY FUND".to_string()
            };
            let ids = members.iter().map(|m| payments[*m].id.clone()).collect();
            self.line(
                -total,
                value_date,
                None,
                None,
                description,
                Some("CLEARWAY DISTRIBUTIONS".to_string()),
                Expected::Paid(ids),
            );
        }
        shown_individually
    }

    /// The debit line(s) of each payment not already in a batch total (a few stay
    /// outstanding), and a return credit for some of those on the statement.
    fn payment_and_return_lines(
        &mut self,
        payments: &[Payment],
        shown_individually: &[bool],
        traps: &Traps,
    ) {
        for (i, p) in payments.iter().enumerate() {
            let mut on_statement = p.status == PaymentStatus::Paid;
            if let Some(charge) = traps.get(&i) {
                self.net_of_charge(p, *charge);
                continue;
            }
            if p.status == PaymentStatus::Initiated {
                if p.batch_id.is_some() && !shown_individually[i] {
                    on_statement = true;
                } else if !self.rng.chance(1_000) {
                    // The rest are outstanding: sent but not yet on the statement.
                    self.payment_lines(p);
                    on_statement = true;
                }
            }
            if on_statement && p.method != PaymentMethod::Check {
                let returned = if p.status == PaymentStatus::Paid {
                    self.rng.chance(200_000)
                } else {
                    self.rng.chance(3_000)
                };
                if returned {
                    self.return_line(p);
                }
            }
        }
    }

    /// Wire `p` posted net of `charge`: its end-to-end id cut to 16 or 10 characters, its
    /// payee named, and (70 %) the charge line beside it.
    fn net_of_charge(&mut self, p: &Payment, charge: i64) {
        let rng = &mut self.rng;
        let value_date = add_business_days(p.expected_date, value_offset(rng));
        let e2e = p.end_to_end_id.clone().unwrap_or_default();
        let keep = if rng.chance(500_000) { 16 } else { 10 };
        let cut: String = e2e.chars().take(keep).collect();
        let name = Some(bank_name(rng, &p.counterparty_name));
        let with_charge = rng.chance(700_000);
        let charge_date = add_business_days(value_date, rng.below(2) as i64);
        self.line(
            charge - p.amount_minor,
            value_date,
            None,
            Some(cut),
            "OUTGOING WIRE TRANSFER".to_string(),
            name,
            Expected::Paid(vec![p.id.clone()]),
        );
        if with_charge {
            let description = if self.rng.chance(500_000) {
                "WIRE TRANSFER CHARGE"
            } else {
                "OUR CHARGES"
            };
            self.line(
                -charge,
                charge_date,
                None,
                None,
                description.to_string(),
                None,
                Expected::Charge(charge),
            );
        }
    }

    /// Fees, interest and stray debits with no counterpart: 0.1 % of the lines so far.
    fn noise_lines(&mut self, start: NaiveDate, days: usize) {
        let noise = (self.lines.len() / 1_000).max(1);
        for k in 0..noise {
            let rng = &mut self.rng;
            let date = add_business_days(start, rng.below(days as u64) as i64);
            let (amount, description, name) = match k % 3 {
                // Never a multiple of 5.00: the charges of wires posted net are.
                0 => (
                    -(2_501 + 500 * rng.below(5) as i64 + rng.below(499) as i64),
                    "ANALYSIS SERVICE CHARGE".to_string(),
                    None,
                ),
                1 => (
                    1 + rng.below(500_000) as i64,
                    "INTEREST CREDIT".to_string(),
                    None,
                ),
                _ => (
                    -random_amount(rng),
                    "ACH DEBIT VENDOR PAYMENT".to_string(),
                    Some(rng.pick(&NOISE_NAMES).to_string()),
                ),
            };
            self.line(
                amount,
                date,
                None,
                None,
                description,
                name,
                Expected::Unrelated,
            );
        }
    }

    /// The lines (with their truth) shuffled so statement order tells nothing, then
    /// numbered in their new order.
    fn shuffled(self) -> (Vec<StatementLine>, GroundTruth) {
        let Builder {
            mut rng,
            mut lines,
            truth,
            ..
        } = self;
        let mut order: Vec<usize> = (0..lines.len()).collect();
        for i in (1..order.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        let mut truth_slots: Vec<Option<Expected>> = truth.into_iter().map(Some).collect();
        let mut lines_slots: Vec<Option<StatementLine>> = lines.drain(..).map(Some).collect();
        let mut out_lines = Vec::with_capacity(order.len());
        let mut out_truth = Vec::with_capacity(order.len());
        for (seq, &i) in order.iter().enumerate() {
            let mut line = lines_slots[i].take().expect("each line once");
            line.id = format!("STMT{seq:08}");
            out_truth.push(TruthLine {
                line_id: line.id.clone(),
                expected: truth_slots[i].take().expect("each truth once"),
            });
            out_lines.push(line);
        }
        (out_lines, GroundTruth { lines: out_truth })
    }
}

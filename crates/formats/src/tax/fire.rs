//! The IRS FIRE file of Forms 1099-DIV, per Publication 1220 (tax year 2025), Part C: fixed
//! 750-byte records T (transmitter), then per payer A (payer), B (one per payee), C (end of
//! payer) and K (one per Combined Federal/State state), and F (end of transmission).
//!
//! Rules applied here (each from the publication unless said otherwise):
//! - ASCII only, letters in upper case (the e-mail address keeps its case). Accented Latin
//!   letters are transliterated (`é` → `E`, `ß` → `SS`); any other non-ASCII character is an
//!   error naming the record and field, never dropped silently.
//! - Every field is checked before a byte is written: a name longer than 40 characters runs
//!   onto the second name line (the publication's continuation line) and is refused beyond
//!   80; an address, city or account number that does not fit is refused (truncating would
//!   misdirect mail or break the account's uniqueness).
//! - Amounts are cents, 12 digits right-justified zero-filled in B, 18 in C and K; negative
//!   amounts are refused (1099-DIV has no negative box; a decrease is a corrected return).
//! - A missing payee TIN is blank-filled with a blank type of TIN, as the publication asks
//!   when no TIN was furnished (the payee was backup-withheld on, box 4).
//! - Original, "G" and "C" corrected returns of one payer go under separate A records, so
//!   each payer group is homogeneous; callers put corrections in their own file.
//! - A record position 6 is "1" (Combined Federal/State Filing) when a payee of the group
//!   has a box 14 state that takes part in the program; those payees carry its code in B
//!   747-748 and are totalled in that state's K record.

use std::collections::BTreeMap;

use clearway_core::tax::form1099::Div1099;
use clearway_core::tax::profile::TinType;

/// Every record's length, CR LF included.
pub const RECORD_LEN: usize = 750;

/// The 18 payment amount slots in file order (B 55-270, C and K 16-339).
pub const AMOUNT_SLOTS: [char; 18] = [
    '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J',
];

/// Form 1099-DIV amount codes (Pub 1220, A record, "Form 1099-DIV" table): code → box.
/// Code 4 is not used by this form.
pub const DIV_AMOUNT_CODES: [(char, &str); 17] = [
    ('1', "1a"),
    ('2', "1b"),
    ('3', "2a"),
    ('5', "5"),
    ('6', "2b"),
    ('7', "2c"),
    ('8', "2d"),
    ('9', "3"),
    ('A', "4"),
    ('B', "6"),
    ('C', "7"),
    ('D', "9"),
    ('E', "10"),
    ('F', "12"),
    ('G', "13"),
    ('H', "2e"),
    ('J', "2f"),
];

/// The amount of the box an amount code stands for.
pub fn div_amount(d: &Div1099, code: char) -> i64 {
    match code {
        '1' => d.box1a,
        '2' => d.box1b,
        '3' => d.box2a,
        '5' => d.box5,
        '6' => d.box2b,
        '7' => d.box2c,
        '8' => d.box2d,
        '9' => d.box3,
        'A' => d.box4,
        'B' => d.box6,
        'C' => d.box7,
        'D' => d.box9,
        'E' => d.box10,
        'F' => d.box12,
        'G' => d.box13,
        'H' => d.box2e,
        'J' => d.box2f,
        _ => 0,
    }
}

/// States in the Combined Federal/State Filing Program and their codes (Pub 1220 Part A,
/// section 10; the IRS's own numbering, not FIPS: Colorado is 07, Connecticut 08). The list
/// changes between revisions (DC and Pennsylvania joined lately): it lives here only.
pub const CFSF_STATES: [(&str, &str); 32] = [
    ("AL", "01"),
    ("AZ", "04"),
    ("AR", "05"),
    ("CA", "06"),
    ("CO", "07"),
    ("CT", "08"),
    ("DE", "10"),
    ("DC", "11"),
    ("GA", "13"),
    ("HI", "15"),
    ("ID", "16"),
    ("IN", "18"),
    ("KS", "20"),
    ("LA", "22"),
    ("ME", "23"),
    ("MD", "24"),
    ("MA", "25"),
    ("MI", "26"),
    ("MN", "27"),
    ("MS", "28"),
    ("MO", "29"),
    ("MT", "30"),
    ("NE", "31"),
    ("NJ", "34"),
    ("NM", "35"),
    ("NC", "37"),
    ("ND", "38"),
    ("OH", "39"),
    ("OK", "40"),
    ("PA", "42"),
    ("SC", "45"),
    ("WI", "55"),
];

/// The CF/SF code of a USPS state, when the state takes part.
pub fn cfsf_code(state: &str) -> Option<&'static str> {
    CFSF_STATES
        .iter()
        .find(|(s, _)| *s == state)
        .map(|(_, c)| *c)
}

/// Whether a return is an original or a correction (B record position 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum CorrectionKind {
    /// An original return (blank).
    #[default]
    None,
    /// "G": a one-transaction correction, or the first of two.
    G,
    /// "C": the second transaction of a two-transaction correction.
    C,
}

impl CorrectionKind {
    fn code(self) -> &'static str {
        match self {
            CorrectionKind::None => " ",
            CorrectionKind::G => "G",
            CorrectionKind::C => "C",
        }
    }
}

/// Who sends the file (T record).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transmitter {
    /// Transmitter Control Code, five characters.
    pub tcc: String,
    /// Nine-digit TIN.
    pub tin: String,
    /// Transmitter name (up to 80: the second 40 go on the continuation line).
    pub name: String,
    /// Company name for correspondence (up to 80).
    pub company_name: String,
    /// Company mailing address.
    pub address: String,
    /// City.
    pub city: String,
    /// USPS state.
    pub state: String,
    /// ZIP (5 or 9 digits, a dash allowed).
    pub zip: String,
    /// Contact name.
    pub contact_name: String,
    /// Contact telephone (digits kept, up to 15).
    pub contact_phone: String,
    /// Contact e-mail (required by the publication when the contact has one; blank otherwise).
    pub contact_email: String,
    /// A test file ("T" in position 28).
    pub test: bool,
    /// Data of a prior year ("P" in position 6).
    pub prior_year: bool,
}

/// The fund as payer (A record).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Payer {
    /// Nine-digit EIN.
    pub tin: String,
    /// Name (up to 80: the second 40 go on the second payer name line).
    pub name: String,
    /// Payer name control (four characters, from the IRS), when known.
    pub name_control: Option<String>,
    /// Shipping address.
    pub address: String,
    /// City.
    pub city: String,
    /// USPS state.
    pub state: String,
    /// ZIP.
    pub zip: String,
    /// Telephone (digits kept, up to 15).
    pub phone: String,
    /// The payer will not file this form again ("1" in position 25).
    pub last_filing: bool,
}

/// One investor's Form 1099-DIV (B record).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Payee {
    /// Nine digits; `None` when no TIN was furnished.
    pub tin: Option<String>,
    /// Kind of TIN; `None` when not determinable.
    pub tin_type: Option<TinType>,
    /// Name (up to 80).
    pub name: String,
    /// Name control; derived from the name when absent (see [`name_control`]).
    pub name_control: Option<String>,
    /// Payer's account number for the payee (unique within the payer, up to 20).
    pub account: String,
    /// Mailing address.
    pub address: String,
    /// City.
    pub city: String,
    /// USPS state.
    pub state: String,
    /// ZIP.
    pub zip: String,
    /// Original or corrected return.
    pub corrected: CorrectionKind,
    /// The boxes.
    pub figures: Div1099,
    /// The IRS notified the payer twice in three years of an incorrect TIN.
    pub second_tin_notice: bool,
}

/// A whole transmission.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FireInput {
    /// Payment (tax) year.
    pub year: i32,
    /// Transmitter.
    pub transmitter: Transmitter,
    /// Payers with their payees.
    pub payers: Vec<(Payer, Vec<Payee>)>,
}

/// Why a file could not be written: which record, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FireError {
    /// A field breaks a Publication 1220 rule.
    #[error("{record}: {field} {reason}")]
    Field {
        /// The record (`transmitter`, `payer <tin>`, `payee <account>`).
        record: String,
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Nothing to report: a file needs a payer with a payee.
    #[error("the file has no payee")]
    Empty,
}

fn bad(record: &str, field: &'static str, reason: impl Into<String>) -> FireError {
    FireError::Field {
        record: record.to_string(),
        field,
        reason: reason.into(),
    }
}

mod text;
pub use text::name_control;
use text::{digits, email, name_lines, plain, state_code, tin9, zip};

/// One 750-byte record: blanks, its type in position 1, CR LF in 749-750.
struct Rec([u8; RECORD_LEN]);

impl Rec {
    fn new(kind: u8) -> Rec {
        let mut b = [b' '; RECORD_LEN];
        b[0] = kind;
        b[748] = b'\r';
        b[749] = b'\n';
        Rec(b)
    }

    /// Left-justified text at 1-based `start` (fields are checked to fit before).
    fn put(&mut self, start: usize, text: &str) {
        self.0[start - 1..start - 1 + text.len()].copy_from_slice(text.as_bytes());
    }

    /// A number right-justified and zero-filled in `start..=end`.
    fn num(&mut self, start: usize, end: usize, value: u128) {
        let width = end - start + 1;
        let text = format!("{value:0width$}");
        debug_assert_eq!(text.len(), width, "checked before writing");
        self.put(start, &text);
    }
}

/// The FIRE file of `input`: ASCII, records of exactly 750 bytes ending in CR LF.
pub fn write(input: &FireInput) -> Result<Vec<u8>, FireError> {
    let year = year4(input.year)?;
    let mut payer_groups = Vec::new();
    for (payer, payees) in &input.payers {
        payer_groups.extend(payer_blocks(payer, payees)?);
    }
    let payee_count: usize = payer_groups.iter().map(|g| g.payees.len()).sum();
    if payee_count == 0 {
        return Err(FireError::Empty);
    }
    if payee_count > 99_999_999 {
        return Err(bad(
            "file",
            "payees",
            "exceed the eight digits of a payee count",
        ));
    }
    let a_count = payer_groups.len();
    let mut out = Vec::new();
    let mut seq = 0u128;
    let mut emit = |mut r: Rec, out: &mut Vec<Rec>| {
        if matches!(r.0[0], b'T' | b'A' | b'B') {
            r.put(2, &year);
        }
        seq += 1;
        r.num(500, 507, seq);
        out.push(r);
    };
    emit(t_record(&input.transmitter, payee_count)?, &mut out);
    for g in payer_groups {
        emit(g.a, &mut out);
        for b in g.payees {
            emit(b, &mut out);
        }
        emit(c_record(&g.totals, g.totals.payees)?, &mut out);
        for (code, k) in &g.states {
            emit(k_record(code, k)?, &mut out);
        }
    }
    emit(f_record(a_count, payee_count), &mut out);
    Ok(out.into_iter().flat_map(|r| r.0).collect())
}

fn year4(year: i32) -> Result<String, FireError> {
    if !(1000..=9999).contains(&year) {
        return Err(bad("file", "year", "must have four digits"));
    }
    Ok(year.to_string())
}

/// Totals of one payer group or one state: payees and per amount slot.
#[derive(Default)]
struct Totals {
    payees: usize,
    amounts: [u128; 18],
    state_withheld: u128,
}

/// One A record with its B records, control totals and states.
struct PayerBlock {
    a: Rec,
    payees: Vec<Rec>,
    totals: Totals,
    states: BTreeMap<&'static str, Totals>,
}

/// A payer's payees, one block per kind of return (originals, G, C).
fn payer_blocks(payer: &Payer, payees: &[Payee]) -> Result<Vec<PayerBlock>, FireError> {
    let record = format!("payer {}", payer.name);
    let mut seen = std::collections::HashSet::new();
    for p in payees {
        if !seen.insert((p.account.to_ascii_uppercase(), p.corrected)) {
            return Err(bad(
                &format!("payee {}", p.account),
                "account",
                "must be unique per payee within the payer",
            ));
        }
    }
    let mut blocks = Vec::new();
    for kind in [CorrectionKind::None, CorrectionKind::G, CorrectionKind::C] {
        let group: Vec<&Payee> = payees.iter().filter(|p| p.corrected == kind).collect();
        if group.is_empty() {
            continue;
        }
        blocks.push(payer_block(payer, &record, &group)?);
    }
    Ok(blocks)
}

fn payer_block(payer: &Payer, record: &str, group: &[&Payee]) -> Result<PayerBlock, FireError> {
    let codes: Vec<char> = DIV_AMOUNT_CODES
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| group.iter().any(|p| div_amount(&p.figures, *c) != 0))
        .collect();
    // A group of all-zero returns (a "G" that zeroes a wrong form) still names one code.
    let codes = if codes.is_empty() { vec!['1'] } else { codes };
    let cfsf = group.iter().any(|p| payee_cfsf(&p.figures).is_some());
    let mut block = PayerBlock {
        a: a_record(payer, record, &codes, cfsf)?,
        payees: Vec::new(),
        totals: Totals::default(),
        states: BTreeMap::new(),
    };
    for p in group {
        let (rec, amounts, state) = b_record(p, &codes)?;
        add(&mut block.totals, &amounts, 0);
        if let Some((code, withheld)) = state {
            add(block.states.entry(code).or_default(), &amounts, withheld);
        }
        block.payees.push(rec);
    }
    Ok(block)
}

fn add(t: &mut Totals, amounts: &[u128; 18], state_withheld: u128) {
    t.payees += 1;
    for (sum, a) in t.amounts.iter_mut().zip(amounts) {
        *sum += a;
    }
    t.state_withheld += state_withheld;
}

/// The payee's Combined Federal/State state: the first box 14 state that takes part.
fn payee_cfsf(d: &Div1099) -> Option<(&'static str, i64)> {
    d.states
        .iter()
        .find_map(|s| cfsf_code(&s.state).map(|c| (c, s.withheld_minor)))
}

fn t_record(t: &Transmitter, payees: usize) -> Result<Rec, FireError> {
    let r = "transmitter";
    let mut rec = Rec::new(b'T');
    if t.prior_year {
        rec.put(6, "P");
    }
    rec.put(7, &tin9(r, "tin", &t.tin)?);
    let tcc = plain(r, "tcc", &t.tcc, 5)?;
    if tcc.len() != 5 || !tcc.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad(r, "tcc", "must be five letters or digits"));
    }
    rec.put(16, &tcc);
    if t.test {
        rec.put(28, "T");
    }
    let (n1, n2) = name_lines(r, "name", &t.name)?;
    rec.put(30, &n1);
    rec.put(70, &n2);
    let (c1, c2) = name_lines(r, "companyName", &t.company_name)?;
    rec.put(110, &c1);
    rec.put(150, &c2);
    rec.put(190, &plain(r, "address", &t.address, 40)?);
    rec.put(230, &plain(r, "city", &t.city, 40)?);
    rec.put(270, &state_code(r, "state", &t.state)?);
    rec.put(272, &zip(r, "zip", &t.zip)?);
    rec.num(296, 303, payees as u128);
    rec.put(304, &plain(r, "contactName", &t.contact_name, 40)?);
    rec.put(344, &digits(r, "contactPhone", &t.contact_phone, 15)?);
    if !t.contact_email.trim().is_empty() {
        rec.put(359, &email(r, "contactEmail", &t.contact_email)?);
    }
    // Software produced in-house: the vendor fields stay blank.
    rec.put(518, "I");
    Ok(rec)
}

fn a_record(p: &Payer, r: &str, codes: &[char], cfsf: bool) -> Result<Rec, FireError> {
    let mut rec = Rec::new(b'A');
    if cfsf {
        rec.put(6, "1");
    }
    rec.put(12, &tin9(r, "tin", &p.tin)?);
    if let Some(nc) = &p.name_control {
        rec.put(21, &text::check_name_control(r, "nameControl", nc)?);
    }
    if p.last_filing {
        rec.put(25, "1");
    }
    rec.put(26, "1"); // type of return: 1099-DIV
    rec.put(28, &codes.iter().collect::<String>());
    let (n1, n2) = name_lines(r, "name", &p.name)?;
    rec.put(53, &n1);
    rec.put(93, &n2);
    rec.put(133, "0"); // the second name line continues the payer's name, no transfer agent
    rec.put(134, &plain(r, "address", &p.address, 40)?);
    rec.put(174, &plain(r, "city", &p.city, 40)?);
    rec.put(214, &state_code(r, "state", &p.state)?);
    rec.put(216, &zip(r, "zip", &p.zip)?);
    rec.put(225, &digits(r, "phone", &p.phone, 15)?);
    Ok(rec)
}

/// A B record, its 18 amounts, and its CF/SF state code with the state tax withheld.
type PayeeRecord = (Rec, [u128; 18], Option<(&'static str, u128)>);

/// A payee's B record (its payment year and sequence number are set by [`write`]), its
/// amounts and its CF/SF state with the state tax withheld.
fn b_record(p: &Payee, codes: &[char]) -> Result<PayeeRecord, FireError> {
    let r = format!("payee {}", p.account);
    let r = r.as_str();
    let mut rec = Rec::new(b'B');
    rec.put(6, p.corrected.code());
    let control = match &p.name_control {
        Some(nc) => text::check_name_control(r, "nameControl", nc)?,
        None => name_control(&p.name, p.tin_type),
    };
    rec.put(7, &control);
    if let Some(tin) = &p.tin {
        rec.put(12, &tin9(r, "tin", tin)?);
        rec.put(
            11,
            match p.tin_type {
                Some(TinType::Ein) => "1",
                Some(_) => "2",
                None => " ",
            },
        );
    }
    let account = plain(r, "account", &p.account, 20)?;
    if account.is_empty()
        || !account
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(bad(r, "account", "must be 1-20 letters, digits or hyphens"));
    }
    rec.put(21, &account);
    let amounts = b_amounts(r, &p.figures, codes)?;
    for (slot, a) in amounts.iter().enumerate() {
        rec.num(55 + 12 * slot, 66 + 12 * slot, *a);
    }
    let (n1, n2) = name_lines(r, "name", &p.name)?;
    rec.put(288, &n1);
    rec.put(328, &n2);
    rec.put(368, &plain(r, "address", &p.address, 40)?);
    rec.put(448, &plain(r, "city", &p.city, 40)?);
    rec.put(488, &state_code(r, "state", &p.state)?);
    rec.put(490, &zip(r, "zip", &p.zip)?);
    if p.second_tin_notice {
        rec.put(544, "2");
    }
    if let Some(country) = &p.figures.box8 {
        rec.put(547, &plain(r, "box8", country, 40)?);
    }
    if p.figures.box11 {
        rec.put(587, "1");
    }
    let state = payee_cfsf(&p.figures);
    // Box 16 of the CF/SF state, or of the first state when none takes part.
    let withheld = match state {
        Some((_, w)) => w,
        None => p.figures.states.first().map_or(0, |s| s.withheld_minor),
    };
    let withheld = amount(r, "states.withheld", withheld)?;
    rec.num(723, 734, withheld);
    rec.num(735, 746, 0);
    if let Some((code, _)) = state {
        rec.put(747, code);
    }
    Ok((rec, amounts, state.map(|(c, _)| (c, withheld))))
}

fn amount(r: &str, field: &'static str, minor: i64) -> Result<u128, FireError> {
    if minor < 0 {
        return Err(bad(r, field, "cannot be negative on a 1099-DIV"));
    }
    if minor > 999_999_999_999 {
        return Err(bad(r, field, "exceeds the 12 digits of a payment amount"));
    }
    Ok(minor as u128)
}

/// The 18 amount fields of a payee; a box whose code the A record lacks is zero.
fn b_amounts(r: &str, d: &Div1099, codes: &[char]) -> Result<[u128; 18], FireError> {
    let mut out = [0u128; 18];
    for (slot, code) in AMOUNT_SLOTS.iter().enumerate() {
        if codes.contains(code) {
            let field = DIV_AMOUNT_CODES
                .iter()
                .find(|(c, _)| c == code)
                .map_or("amount", |(_, b)| *b);
            out[slot] = amount(r, field, div_amount(d, *code))?;
        }
    }
    Ok(out)
}

const MAX18: u128 = 999_999_999_999_999_999;

fn c_record(t: &Totals, payees: usize) -> Result<Rec, FireError> {
    let mut rec = Rec::new(b'C');
    rec.num(2, 9, payees as u128);
    totals(&mut rec, "end of payer", t)?;
    Ok(rec)
}

fn totals(rec: &mut Rec, r: &str, t: &Totals) -> Result<(), FireError> {
    for (slot, sum) in t.amounts.iter().enumerate() {
        if *sum > MAX18 {
            return Err(bad(r, "controlTotal", "exceeds 18 digits"));
        }
        rec.num(16 + 18 * slot, 33 + 18 * slot, *sum);
    }
    Ok(())
}

fn k_record(code: &str, t: &Totals) -> Result<Rec, FireError> {
    let mut rec = Rec::new(b'K');
    rec.num(2, 9, t.payees as u128);
    totals(&mut rec, "state totals", t)?;
    if t.state_withheld > MAX18 {
        return Err(bad("state totals", "stateWithheld", "exceeds 18 digits"));
    }
    rec.num(707, 724, t.state_withheld);
    rec.num(725, 742, 0);
    rec.put(747, code);
    Ok(rec)
}

fn f_record(a_records: usize, payees: usize) -> Rec {
    let mut rec = Rec::new(b'F');
    rec.num(2, 9, a_records as u128);
    rec.num(10, 30, 0);
    rec.num(50, 57, payees as u128);
    rec
}

#[cfg(test)]
mod tests;

//! Fund-administrator sync (issue 21): which side owns each domain of data, the records an
//! administrator sends (parsed by `clearway_formats::sync`, or pulled by a connector), and the
//! one rule that decides what a difference does: a change from the owning side is applied, a
//! differing change from the other side opens a conflict (both values kept, never a silent
//! overwrite), an equal value is only counted.

use chrono::NaiveDate;
use rust_decimal::Decimal;

#[cfg(test)]
mod tests;

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $(#[doc = $text] $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire (and stored) text.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the wire text (exact, upper case).
            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// What an administrator and Clearway may both hold.
    Domain {
        Nav = "NAV",
        Holdings = "HOLDINGS",
        Schedules = "SCHEDULES",
        Elections = "ELECTIONS",
        BankDetails = "BANK_DETAILS",
    }
);

wire_enum!(
    /// A side of the sync.
    Side {
        Clearway = "CLEARWAY",
        Administrator = "ADMINISTRATOR",
    }
);

wire_enum!(
    /// The layout of a sync file.
    FileKind {
        Navs = "NAVS",
        Holdings = "HOLDINGS",
        Schedules = "SCHEDULES",
        Preferences = "PREFERENCES",
    }
);

wire_enum!(
    /// How a file arrived.
    Source {
        Upload = "UPLOAD",
        Drop = "DROP",
        Api = "API",
    }
);

wire_enum!(
    /// What became of a file.
    FileStatus {
        Applied = "APPLIED",
        Refused = "REFUSED",
        Duplicate = "DUPLICATE",
        DryRun = "DRY_RUN",
    }
);

wire_enum!(
    /// What a change does.
    Outcome {
        Apply = "APPLY",
        Conflict = "CONFLICT",
        Unchanged = "UNCHANGED",
    }
);

wire_enum!(
    /// A conflict's state.
    ConflictStatus {
        Open = "OPEN",
        Resolved = "RESOLVED",
    }
);

wire_enum!(
    /// How a conflict was resolved.
    Resolution {
        TakeOurs = "TAKE_OURS",
        TakeTheirs = "TAKE_THEIRS",
        Edit = "EDIT",
    }
);

impl FileKind {
    /// The drop-directory subfolder of this kind (`navs`, `holdings`, …).
    pub fn folder(self) -> &'static str {
        match self {
            FileKind::Navs => "navs",
            FileKind::Holdings => "holdings",
            FileKind::Schedules => "schedules",
            FileKind::Preferences => "preferences",
        }
    }
}

/// Who owns each domain, per organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ownership {
    pub nav: Side,
    pub holdings: Side,
    pub schedules: Side,
    pub elections: Side,
    pub bank_details: Side,
}

impl Default for Ownership {
    /// The administrator keeps the books (NAV, holdings); Clearway keeps what investors tell it.
    fn default() -> Self {
        Ownership {
            nav: Side::Administrator,
            holdings: Side::Administrator,
            schedules: Side::Clearway,
            elections: Side::Clearway,
            bank_details: Side::Clearway,
        }
    }
}

impl Ownership {
    /// The owner of `domain`.
    pub fn owner(&self, domain: Domain) -> Side {
        match domain {
            Domain::Nav => self.nav,
            Domain::Holdings => self.holdings,
            Domain::Schedules => self.schedules,
            Domain::Elections => self.elections,
            Domain::BankDetails => self.bank_details,
        }
    }

    /// Sets the owner of `domain`.
    pub fn set(&mut self, domain: Domain, side: Side) {
        let slot = match domain {
            Domain::Nav => &mut self.nav,
            Domain::Holdings => &mut self.holdings,
            Domain::Schedules => &mut self.schedules,
            Domain::Elections => &mut self.elections,
            Domain::BankDetails => &mut self.bank_details,
        };
        *slot = side;
    }
}

/// The rule: equal values are unchanged; otherwise the owner's change applies and the other
/// side's opens a conflict. `ours` is None when Clearway holds no value yet — a value from the
/// side that does not own the domain is then still a conflict (nothing is written silently).
pub fn classify(owner: Side, from: Side, ours: Option<&str>, theirs: &str) -> Outcome {
    if ours == Some(theirs) {
        Outcome::Unchanged
    } else if owner == from {
        Outcome::Apply
    } else {
        Outcome::Conflict
    }
}

/// A decimal as values are compared and shown: normalized (`1.50` → `1.5`, `-0` → `0`).
pub fn canonical(d: Decimal) -> String {
    let n = d.normalize();
    if n.is_zero() {
        "0".into()
    } else {
        n.to_string()
    }
}

/// One difference between a record and what Clearway holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub domain: Domain,
    /// The entity's key (e.g. `fund/class/date` of a NAV).
    pub entity_id: String,
    /// The entity as people read it (codes rather than ids where known).
    pub label: String,
    /// The column name of the field.
    pub field: String,
    /// Our value (None: none held).
    pub before: Option<String>,
    /// Their value.
    pub after: String,
    pub outcome: Outcome,
}

/// A refused row: 1-based row (the header is row 1), the column, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub reason: String,
}

impl RowError {
    pub fn new(row: usize, field: impl Into<String>, reason: impl Into<String>) -> Self {
        RowError {
            row,
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// At most this many errors are reported per file.
pub const MAX_ERRORS: usize = 1_000;

/// A NAV per share (NAVS file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NavRecord {
    pub row: usize,
    pub fund_id: String,
    /// `DEFAULT` when the file left it empty.
    pub share_class: String,
    pub nav_date: NaiveDate,
    pub nav_per_share: Decimal,
    pub currency: String,
}

/// Units held at a date (HOLDINGS file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldingRecord {
    pub row: usize,
    pub fund_id: String,
    pub share_class: String,
    pub investor_id: String,
    pub as_of: NaiveDate,
    pub units: Decimal,
}

/// A distribution schedule's terms (SCHEDULES file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRecord {
    pub row: usize,
    pub fund_id: String,
    pub schedule_id: String,
    pub frequency: String,
    pub next_record_date: NaiveDate,
    pub amount_per_unit: Decimal,
    pub currency: String,
}

/// An investor's preferences for a fund (PREFERENCES file): the reinvested percentage
/// (ELECTIONS) and the payment rail and account (BANK_DETAILS); an empty cell leaves that
/// part alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferenceRecord {
    pub row: usize,
    pub investor_id: String,
    pub fund_id: String,
    pub reinvest_percent: Option<Decimal>,
    pub payment_rail: Option<String>,
    pub bank_account_id: Option<String>,
}

/// The records of one file (or one connector pull), of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Records {
    Navs(Vec<NavRecord>),
    Holdings(Vec<HoldingRecord>),
    Schedules(Vec<ScheduleRecord>),
    Preferences(Vec<PreferenceRecord>),
}

impl Records {
    pub fn kind(&self) -> FileKind {
        match self {
            Records::Navs(_) => FileKind::Navs,
            Records::Holdings(_) => FileKind::Holdings,
            Records::Schedules(_) => FileKind::Schedules,
            Records::Preferences(_) => FileKind::Preferences,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Records::Navs(r) => r.len(),
            Records::Holdings(r) => r.len(),
            Records::Schedules(r) => r.len(),
            Records::Preferences(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Payment rails a PREFERENCES row may name (the methods of a bank account).
pub const RAILS: [&str; 3] = ["ACH", "WIRE", "CHECK"];

/// Parses a percentage to reinvest, 0–100.
pub fn parse_percent(text: &str) -> Result<Decimal, String> {
    let d = parse_decimal(text)?;
    if d < Decimal::ZERO || d > Decimal::ONE_HUNDRED {
        return Err(format!("'{text}' must be between 0 and 100"));
    }
    if d.normalize().scale() > 6 {
        return Err(format!("'{text}' has more than 6 decimal places"));
    }
    Ok(d)
}

/// Parses a plain decimal (`123.45`, `-1`, no exponent, no thousands separators).
pub fn parse_decimal(text: &str) -> Result<Decimal, String> {
    let ok = !text.is_empty()
        && text
            .strip_prefix('-')
            .unwrap_or(text)
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && text.chars().filter(|c| *c == '.').count() <= 1
        && text.chars().any(|c| c.is_ascii_digit());
    if !ok {
        return Err(format!("'{text}' is not a decimal number"));
    }
    text.parse::<Decimal>()
        .map_err(|_| format!("'{text}' is not a decimal number (too many digits?)"))
}

/// Parses a plain decimal above zero (a NAV, an amount per unit).
pub fn parse_positive(text: &str) -> Result<Decimal, String> {
    let d = parse_decimal(text)?;
    if d > Decimal::ZERO {
        Ok(d)
    } else {
        Err(format!("'{text}' must be above zero"))
    }
}

/// Parses an ISO date `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    if text.len() != 10 {
        return Err(format!("'{text}' is not a date (YYYY-MM-DD)"));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("'{text}' is not a date (YYYY-MM-DD)"))
}

/// Validates an id cell: 1–64 of letters, digits, `-`, `_`, `.`.
pub fn parse_id(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("is required".into());
    }
    if text.len() > 64
        || !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!(
            "'{text}' is not an id (1–64 letters, digits, '-', '_' or '.')"
        ));
    }
    Ok(text.to_string())
}

/// The terms of an administrator's schedule that Clearway does not have yet, as one value
/// (created whole, so one change or conflict): `FREQUENCY NEXT_RECORD_DATE AMOUNT_PER_UNIT`,
/// e.g. `QUARTERLY 2027-03-31 0.25`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleTerms {
    pub frequency: crate::schedules::Frequency,
    pub next_record_date: NaiveDate,
    pub amount_per_unit: Decimal,
}

impl ScheduleTerms {
    /// The value's text.
    pub fn text(&self) -> String {
        format!(
            "{} {} {}",
            self.frequency.as_str(),
            self.next_record_date,
            canonical(self.amount_per_unit)
        )
    }

    /// Parses [`ScheduleTerms::text`]; the amount must be above zero.
    pub fn parse(text: &str) -> Result<ScheduleTerms, String> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        let [frequency, date, amount] = parts.as_slice() else {
            return Err(format!(
                "'{text}' is not 'FREQUENCY NEXT_RECORD_DATE AMOUNT_PER_UNIT'"
            ));
        };
        Ok(ScheduleTerms {
            frequency: frequency.parse()?,
            next_record_date: parse_date(date)?,
            amount_per_unit: parse_positive(amount)?,
        })
    }
}

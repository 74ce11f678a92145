//! ISO 20022 pain.001 customer credit-transfer initiation: writer for wire payments to
//! investors (`pain.001.001.03`, or `.001.09` via [`Version`]), and a reader for the same
//! subset so files can be round-tripped.
//!
//! Layout written: `GrpHdr` (MsgId, CreDtTm, NbOfTxs, CtrlSum, InitgPty), one `PmtInf` per
//! [`PaymentBatch`] (callers make one batch per debtor account and execution date), and one
//! `CdtTrfTxInf` per [`CreditTransfer`]. Element order follows the XSD sequence.
//!
//! Every input is validated before a byte is written, and each error names the element path
//! (e.g. `PmtInf[1]/CdtTrfTxInf[2]/CdtrAcct/Id/IBAN`): BIC shape, IBAN country length and
//! mod-97, schema text lengths (Max35Text, Max140Text…), the character set, currency codes and
//! that each amount uses exactly its currency's minor units. Amounts are `i64` minor units,
//! never floats, so `NbOfTxs`/`CtrlSum` are exact.

use std::io;

use chrono::{NaiveDate, NaiveDateTime};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use rust_decimal::Decimal;

use super::xml::{self, Node};

/// Which pain.001 schema to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `pain.001.001.03` (2009; still the most widely accepted by banks).
    V03,
    /// `pain.001.001.09` (2019; `BICFI`, `ReqdExctnDt/Dt`).
    V09,
}

impl Version {
    /// The XML namespace of this version.
    pub fn namespace(self) -> &'static str {
        match self {
            Version::V03 => "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03",
            Version::V09 => "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09",
        }
    }

    /// Message name, e.g. `pain.001.001.03` (also the XSD file stem).
    pub fn name(self) -> &'static str {
        match self {
            Version::V03 => "pain.001.001.03",
            Version::V09 => "pain.001.001.09",
        }
    }
}

/// Which characters text fields may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Charset {
    /// The EPC/SWIFT Latin subset `a-z A-Z 0-9 / - ? : ( ) . , ' + space`, which every bank
    /// accepts; identifiers also must not start/end with `/` or contain `//`.
    #[default]
    Latin,
    /// Any Unicode except control characters (the XSD's own rule); only for banks that
    /// accept UTF-8 names.
    Unicode,
}

/// Writer options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Schema version to write.
    pub version: Version,
    /// Allowed characters in text fields.
    pub charset: Charset,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            version: Version::V03,
            charset: Charset::Latin,
        }
    }
}

/// An exact amount: `minor_units` × 10^-`exponent` of `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    /// Amount in minor units (cents, yen, fils…). Must be positive.
    pub minor_units: i64,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// Decimal places of the currency's minor unit (EUR 2, JPY 0, BHD 3).
    pub exponent: u32,
}

impl Amount {
    /// The amount as an exact decimal with exactly `exponent` decimals.
    pub fn to_decimal(&self) -> Decimal {
        Decimal::new(self.minor_units, self.exponent)
    }
}

/// Account identification: IBAN, or another scheme's id (`Othr/Id`, e.g. a US account number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountId {
    /// IBAN; spaces are removed and letters upper-cased before validation.
    Iban(String),
    /// Other account id (Max34Text).
    Other(String),
}

/// Structured postal address (the subset common to `PostalAddress6` and `PostalAddress24`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PostalAddress {
    /// `StrtNm` (Max70Text).
    pub street: Option<String>,
    /// `BldgNb` (Max16Text).
    pub building_number: Option<String>,
    /// `PstCd` (Max16Text).
    pub post_code: Option<String>,
    /// `TwnNm` (Max35Text).
    pub town: Option<String>,
    /// `CtrySubDvsn` (Max35Text).
    pub country_subdivision: Option<String>,
    /// `Ctry`: ISO 3166 two-letter code.
    pub country: Option<String>,
    /// `AdrLine` (up to 7 × Max70Text).
    pub address_lines: Vec<String>,
}

/// A party: name and optional postal address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Party {
    /// `Nm` (Max140Text).
    pub name: String,
    /// `PstlAdr`.
    pub address: Option<PostalAddress>,
}

/// Who pays the charges (`ChrgBr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeBearer {
    /// `DEBT`: all charges on the debtor (the fund), so investors receive the full amount.
    Debt,
    /// `CRED`: all charges on the creditor.
    Cred,
    /// `SHAR`: shared.
    Shar,
    /// `SLEV`: following the service level (SEPA).
    Slev,
}

impl ChargeBearer {
    fn code(self) -> &'static str {
        match self {
            ChargeBearer::Debt => "DEBT",
            ChargeBearer::Cred => "CRED",
            ChargeBearer::Shar => "SHAR",
            ChargeBearer::Slev => "SLEV",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "DEBT" => ChargeBearer::Debt,
            "CRED" => ChargeBearer::Cred,
            "SHAR" => ChargeBearer::Shar,
            "SLEV" => ChargeBearer::Slev,
            _ => return None,
        })
    }
}

/// One payment to one investor (`CdtTrfTxInf`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditTransfer {
    /// `PmtId/InstrId` (Max35Text): our reference towards our bank.
    pub instruction_id: Option<String>,
    /// `PmtId/EndToEndId` (Max35Text): travels to the investor and back in camt statements.
    pub end_to_end_id: String,
    /// `Amt/InstdAmt`.
    pub amount: Amount,
    /// `ChrgBr` for this payment, when not set on the batch.
    pub charge_bearer: Option<ChargeBearer>,
    /// `CdtrAgt/FinInstnId/BIC` (or `BICFI`).
    pub creditor_agent_bic: Option<String>,
    /// `Cdtr`: the investor.
    pub creditor: Party,
    /// `CdtrAcct/Id`.
    pub creditor_account: AccountId,
    /// `RmtInf/Ustrd` (Max140Text).
    pub remittance: Option<String>,
}

/// One `PmtInf`: payments from one debtor account on one execution date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentBatch {
    /// `PmtInfId` (Max35Text).
    pub payment_information_id: String,
    /// `BtchBookg`: true = one debit for the batch, false = one per payment, `None` = bank default.
    pub batch_booking: Option<bool>,
    /// `PmtTpInf/SvcLvl/Cd`, e.g. `URGP` (wire), `SEPA`, `NURG`.
    pub service_level: Option<String>,
    /// `ReqdExctnDt`.
    pub execution_date: NaiveDate,
    /// `Dbtr`: the fund.
    pub debtor: Party,
    /// `DbtrAcct/Id`.
    pub debtor_account: AccountId,
    /// `DbtrAcct/Ccy`.
    pub debtor_account_currency: Option<String>,
    /// `DbtrAgt/FinInstnId/BIC`; `None` writes `Othr/Id` `NOTPROVIDED` (IBAN-only SEPA).
    pub debtor_agent_bic: Option<String>,
    /// `ChrgBr` at batch level.
    pub charge_bearer: Option<ChargeBearer>,
    /// `CdtTrfTxInf`, at least one.
    pub payments: Vec<CreditTransfer>,
}

/// A whole `CstmrCdtTrfInitn` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initiation {
    /// `GrpHdr/MsgId` (Max35Text), unique per file sent to the bank.
    pub message_id: String,
    /// `GrpHdr/CreDtTm` (written without offset, i.e. local time, as banks expect).
    pub created_at: NaiveDateTime,
    /// `GrpHdr/InitgPty/Nm`.
    pub initiating_party: String,
    /// `PmtInf`, at least one.
    pub batches: Vec<PaymentBatch>,
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Required text is empty.
    #[error("is empty")]
    Empty,
    /// Longer than the schema type allows.
    #[error("is longer than {max} characters (schema Max{max}Text)")]
    TooLong {
        /// Maximum length.
        max: usize,
    },
    /// Character outside the allowed set.
    #[error("contains {ch:?}, outside the {charset} character set")]
    Charset {
        /// Offending character.
        ch: char,
        /// `Latin` or `Unicode`.
        charset: &'static str,
    },
    /// Identifier starts/ends with `/` or contains `//` (rejected by banks).
    #[error("must not start or end with '/' or contain '//'")]
    Slashes,
    /// Not a BIC.
    #[error("is not a BIC (8 or 11 characters: bank 4, country 2 letters, location 2, optional branch 3)")]
    Bic,
    /// Not IBAN-shaped.
    #[error("is not an IBAN (2-letter country, 2 check digits, up to 30 letters/digits)")]
    IbanFormat,
    /// Unknown IBAN country.
    #[error("country {0} does not issue IBANs")]
    IbanCountry(String),
    /// Wrong length for the country.
    #[error("has {actual} characters; {country} IBANs have {expected}")]
    IbanLength {
        /// Country code.
        country: String,
        /// Registry length.
        expected: usize,
        /// Given length.
        actual: usize,
    },
    /// Check digits wrong.
    #[error("fails the IBAN mod-97 check")]
    IbanChecksum,
    /// Not an ISO 4217 code shape.
    #[error("is not a 3-letter ISO 4217 currency code")]
    Currency,
    /// Not an ISO 3166 code shape.
    #[error("is not a 2-letter ISO 3166 country code")]
    Country,
    /// Amount zero or negative.
    #[error("must be positive")]
    NotPositive,
    /// More than 18 digits (schema totalDigits).
    #[error("has more than 18 digits")]
    TooManyDigits,
    /// Exponent disagrees with the currency's minor units.
    #[error("uses {actual} decimals but {currency} has {expected}")]
    Exponent {
        /// Currency.
        currency: String,
        /// ISO 4217 minor units.
        expected: u32,
        /// Given exponent.
        actual: u32,
    },
    /// Too many repetitions (e.g. more than 7 `AdrLine`).
    #[error("has more than {max} entries")]
    TooMany {
        /// Maximum count.
        max: usize,
    },
    /// Value not in the code list.
    #[error("is not a known code")]
    Code,
}

/// Why a pain.001 could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Pain001Error {
    /// A field value is invalid; `path` is the element path, e.g. `PmtInf[1]/DbtrAgt/FinInstnId/BIC`.
    #[error("{path}: '{value}' {problem}")]
    Field {
        /// Element path (1-based indices).
        path: String,
        /// Offending value.
        value: String,
        /// What is wrong.
        problem: Problem,
    },
    /// Missing or empty structure (no batches, no payments, missing element when reading).
    #[error("{path}: {message}")]
    Structure {
        /// Element path.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The input is not well-formed XML (reader only).
    #[error("line {line}: XML: {message}")]
    Xml {
        /// 1-based line.
        line: usize,
        /// Parser message.
        message: String,
    },
}

fn field(path: &str, value: &str, problem: Problem) -> Pain001Error {
    Pain001Error::Field {
        path: path.to_string(),
        value: value.to_string(),
        problem,
    }
}

// ------------------------------------------------------------------ validation

/// Checks a BIC: 4 bank letters (letters or digits from .09), 2 country letters, 2 location,
/// optional 3 branch, per the XSD `BICIdentifier`/`BICFIIdentifier` patterns.
pub fn validate_bic(bic: &str, version: Version) -> Result<(), Problem> {
    let b = bic.as_bytes();
    let bank_ok = match version {
        Version::V03 => b.iter().take(4).all(u8::is_ascii_uppercase),
        Version::V09 => b
            .iter()
            .take(4)
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
    };
    let up_or_digit = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let ok = (b.len() == 8 || b.len() == 11)
        && bank_ok
        && b[4..6].iter().all(u8::is_ascii_uppercase)
        && match version {
            // v03: location [A-Z2-9][A-NP-Z0-9] (no 0/1 first, no O second).
            Version::V03 => {
                (b[6].is_ascii_uppercase() || (b'2'..=b'9').contains(&b[6]))
                    && (up_or_digit(&b[7]) && b[7] != b'O')
            }
            Version::V09 => up_or_digit(&b[6]) && up_or_digit(&b[7]),
        }
        && b[8..].iter().all(up_or_digit);
    if ok {
        Ok(())
    } else {
        Err(Problem::Bic)
    }
}

/// IBAN length per country (SWIFT IBAN registry).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HN", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// Normalizes (drops spaces, upper-cases) and checks an IBAN: shape, country length, mod-97.
pub fn validate_iban(iban: &str) -> Result<String, Problem> {
    let s: String = iban
        .chars()
        .filter(|c| *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let b = s.as_bytes();
    if b.len() < 5
        || b.len() > 34
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b[4..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Err(Problem::IbanFormat);
    }
    let country = &s[..2];
    let expected = IBAN_LENGTHS
        .iter()
        .find(|(c, _)| *c == country)
        .map(|(_, n)| *n)
        .ok_or_else(|| Problem::IbanCountry(country.to_string()))?;
    if b.len() != expected {
        return Err(Problem::IbanLength {
            country: country.to_string(),
            expected,
            actual: b.len(),
        });
    }
    // Move the first four characters to the end, letters → 10..35, remainder mod 97 must be 1.
    let rem = b[4..].iter().chain(&b[..4]).fold(0u32, |acc, &c| {
        if c.is_ascii_digit() {
            (acc * 10 + u32::from(c - b'0')) % 97
        } else {
            (acc * 100 + u32::from(c - b'A' + 10)) % 97
        }
    });
    if rem == 1 {
        Ok(s)
    } else {
        Err(Problem::IbanChecksum)
    }
}

/// ISO 4217 minor units for currencies that do not use 2 (everything else uses 2).
fn currency_exponent(ccy: &str) -> u32 {
    match ccy {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

struct Check {
    charset: Charset,
    version: Version,
}

impl Check {
    /// Required text of at most `max` characters in the allowed set.
    fn text(&self, path: &str, v: &str, max: usize) -> Result<(), Pain001Error> {
        if v.trim().is_empty() {
            return Err(field(path, v, Problem::Empty));
        }
        if v.chars().count() > max {
            return Err(field(path, v, Problem::TooLong { max }));
        }
        let bad = v.chars().find(|&c| match self.charset {
            Charset::Latin => !(c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c)),
            Charset::Unicode => c.is_control(),
        });
        match bad {
            Some(ch) => Err(field(
                path,
                v,
                Problem::Charset {
                    ch,
                    charset: match self.charset {
                        Charset::Latin => "Latin",
                        Charset::Unicode => "Unicode",
                    },
                },
            )),
            None => Ok(()),
        }
    }

    /// Identifier: text plus the slash rule banks apply to references.
    fn id(&self, path: &str, v: &str, max: usize) -> Result<(), Pain001Error> {
        self.text(path, v, max)?;
        if self.charset == Charset::Latin
            && (v.starts_with('/') || v.ends_with('/') || v.contains("//"))
        {
            return Err(field(path, v, Problem::Slashes));
        }
        Ok(())
    }

    fn opt(&self, path: &str, v: &Option<String>, max: usize) -> Result<(), Pain001Error> {
        v.as_deref().map_or(Ok(()), |v| self.text(path, v, max))
    }

    fn bic(&self, path: &str, v: &str) -> Result<(), Pain001Error> {
        validate_bic(v, self.version).map_err(|p| field(path, v, p))
    }

    fn currency(&self, path: &str, v: &str) -> Result<(), Pain001Error> {
        if v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(())
        } else {
            Err(field(path, v, Problem::Currency))
        }
    }

    fn account(&self, path: &str, a: &AccountId) -> Result<(), Pain001Error> {
        match a {
            AccountId::Iban(i) => validate_iban(i)
                .map(|_| ())
                .map_err(|p| field(&format!("{path}/Id/IBAN"), i, p)),
            AccountId::Other(o) => self.text(&format!("{path}/Id/Othr/Id"), o, 34),
        }
    }

    fn party(&self, path: &str, p: &Party) -> Result<(), Pain001Error> {
        self.text(&format!("{path}/Nm"), &p.name, 140)?;
        let Some(a) = &p.address else { return Ok(()) };
        let pa = format!("{path}/PstlAdr");
        self.opt(&format!("{pa}/StrtNm"), &a.street, 70)?;
        self.opt(&format!("{pa}/BldgNb"), &a.building_number, 16)?;
        self.opt(&format!("{pa}/PstCd"), &a.post_code, 16)?;
        self.opt(&format!("{pa}/TwnNm"), &a.town, 35)?;
        self.opt(&format!("{pa}/CtrySubDvsn"), &a.country_subdivision, 35)?;
        if let Some(c) = &a.country {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(field(&format!("{pa}/Ctry"), c, Problem::Country));
            }
        }
        if a.address_lines.len() > 7 {
            return Err(field(
                &format!("{pa}/AdrLine"),
                &a.address_lines.len().to_string(),
                Problem::TooMany { max: 7 },
            ));
        }
        for (i, l) in a.address_lines.iter().enumerate() {
            self.text(&format!("{pa}/AdrLine[{}]", i + 1), l, 70)?;
        }
        Ok(())
    }

    fn amount(&self, path: &str, a: &Amount) -> Result<(), Pain001Error> {
        self.currency(&format!("{path}/@Ccy"), &a.currency)?;
        let shown = a.to_decimal().to_string();
        if a.minor_units <= 0 {
            return Err(field(path, &shown, Problem::NotPositive));
        }
        if a.minor_units.to_string().len() > 18 {
            return Err(field(path, &shown, Problem::TooManyDigits));
        }
        let expected = currency_exponent(&a.currency);
        if a.exponent != expected {
            return Err(field(
                path,
                &shown,
                Problem::Exponent {
                    currency: a.currency.clone(),
                    expected,
                    actual: a.exponent,
                },
            ));
        }
        Ok(())
    }
}

/// Validates a message against the schema rules and our bank-safety rules without writing it.
pub fn validate(doc: &Initiation, opts: &WriteOptions) -> Result<(), Pain001Error> {
    let c = Check {
        charset: opts.charset,
        version: opts.version,
    };
    c.id("GrpHdr/MsgId", &doc.message_id, 35)?;
    c.text("GrpHdr/InitgPty/Nm", &doc.initiating_party, 140)?;
    if doc.batches.is_empty() {
        return Err(Pain001Error::Structure {
            path: "PmtInf".into(),
            message: "no payment batch: a pain.001 needs at least one PmtInf".into(),
        });
    }
    for (bi, b) in doc.batches.iter().enumerate() {
        let bp = format!("PmtInf[{}]", bi + 1);
        c.id(&format!("{bp}/PmtInfId"), &b.payment_information_id, 35)?;
        if let Some(s) = &b.service_level {
            c.text(&format!("{bp}/PmtTpInf/SvcLvl/Cd"), s, 4)?;
        }
        c.party(&format!("{bp}/Dbtr"), &b.debtor)?;
        c.account(&format!("{bp}/DbtrAcct"), &b.debtor_account)?;
        if let Some(ccy) = &b.debtor_account_currency {
            c.currency(&format!("{bp}/DbtrAcct/Ccy"), ccy)?;
        }
        if let Some(bic) = &b.debtor_agent_bic {
            c.bic(
                &format!("{bp}/DbtrAgt/FinInstnId/{}", bic_tag(opts.version)),
                bic,
            )?;
        }
        if b.payments.is_empty() {
            return Err(Pain001Error::Structure {
                path: bp,
                message: "no payments: a PmtInf needs at least one CdtTrfTxInf".into(),
            });
        }
        for (ti, t) in b.payments.iter().enumerate() {
            let tp = format!("{bp}/CdtTrfTxInf[{}]", ti + 1);
            if let Some(i) = &t.instruction_id {
                c.id(&format!("{tp}/PmtId/InstrId"), i, 35)?;
            }
            c.id(&format!("{tp}/PmtId/EndToEndId"), &t.end_to_end_id, 35)?;
            c.amount(&format!("{tp}/Amt/InstdAmt"), &t.amount)?;
            if let Some(bic) = &t.creditor_agent_bic {
                c.bic(
                    &format!("{tp}/CdtrAgt/FinInstnId/{}", bic_tag(opts.version)),
                    bic,
                )?;
            }
            c.party(&format!("{tp}/Cdtr"), &t.creditor)?;
            c.account(&format!("{tp}/CdtrAcct"), &t.creditor_account)?;
            c.opt(&format!("{tp}/RmtInf/Ustrd"), &t.remittance, 140)?;
        }
    }
    Ok(())
}

fn bic_tag(v: Version) -> &'static str {
    match v {
        Version::V03 => "BIC",
        Version::V09 => "BICFI",
    }
}

// ------------------------------------------------------------------ writing

type W = Writer<Vec<u8>>;

fn start(w: &mut W, name: &str) -> io::Result<()> {
    w.write_event(Event::Start(BytesStart::new(name)))
}

fn end(w: &mut W, name: &str) -> io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn leaf(w: &mut W, name: &str, text: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(text))
        .map(|_| ())
}

fn opt_leaf(w: &mut W, name: &str, text: &Option<String>) -> io::Result<()> {
    text.as_deref().map_or(Ok(()), |t| leaf(w, name, t))
}

fn write_party(w: &mut W, tag: &str, p: &Party) -> io::Result<()> {
    start(w, tag)?;
    leaf(w, "Nm", &p.name)?;
    if let Some(a) = &p.address {
        // Same relative order in PostalAddress6 (.03) and PostalAddress24 (.09).
        start(w, "PstlAdr")?;
        opt_leaf(w, "StrtNm", &a.street)?;
        opt_leaf(w, "BldgNb", &a.building_number)?;
        opt_leaf(w, "PstCd", &a.post_code)?;
        opt_leaf(w, "TwnNm", &a.town)?;
        opt_leaf(w, "CtrySubDvsn", &a.country_subdivision)?;
        opt_leaf(w, "Ctry", &a.country)?;
        for l in &a.address_lines {
            leaf(w, "AdrLine", l)?;
        }
        end(w, "PstlAdr")?;
    }
    end(w, tag)
}

fn write_account(w: &mut W, tag: &str, a: &AccountId, ccy: &Option<String>) -> io::Result<()> {
    start(w, tag)?;
    start(w, "Id")?;
    match a {
        // Validated before writing, so normalization cannot fail here.
        AccountId::Iban(i) => leaf(w, "IBAN", &validate_iban(i).unwrap_or_default())?,
        AccountId::Other(o) => {
            start(w, "Othr")?;
            leaf(w, "Id", o)?;
            end(w, "Othr")?;
        }
    }
    end(w, "Id")?;
    opt_leaf(w, "Ccy", ccy)?;
    end(w, tag)
}

fn write_agent(w: &mut W, tag: &str, bic: Option<&str>, v: Version) -> io::Result<()> {
    start(w, tag)?;
    start(w, "FinInstnId")?;
    match bic {
        Some(b) => leaf(w, bic_tag(v), b)?,
        None => {
            start(w, "Othr")?;
            leaf(w, "Id", "NOTPROVIDED")?;
            end(w, "Othr")?;
        }
    }
    end(w, "FinInstnId")?;
    end(w, tag)
}

fn totals<'a>(payments: impl Iterator<Item = &'a CreditTransfer>) -> (usize, Decimal) {
    payments.fold((0, Decimal::ZERO), |(n, s), t| {
        (n + 1, s + t.amount.to_decimal())
    })
}

fn write_doc(w: &mut W, doc: &Initiation, v: Version) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::Start(BytesStart::new("Document").with_attributes([
        ("xmlns", v.namespace()),
        ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
    ])))?;
    start(w, "CstmrCdtTrfInitn")?;
    start(w, "GrpHdr")?;
    leaf(w, "MsgId", &doc.message_id)?;
    leaf(
        w,
        "CreDtTm",
        &doc.created_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
    )?;
    let (n, sum) = totals(doc.batches.iter().flat_map(|b| &b.payments));
    leaf(w, "NbOfTxs", &n.to_string())?;
    leaf(w, "CtrlSum", &sum.to_string())?;
    start(w, "InitgPty")?;
    leaf(w, "Nm", &doc.initiating_party)?;
    end(w, "InitgPty")?;
    end(w, "GrpHdr")?;
    for b in &doc.batches {
        start(w, "PmtInf")?;
        leaf(w, "PmtInfId", &b.payment_information_id)?;
        leaf(w, "PmtMtd", "TRF")?;
        if let Some(bb) = b.batch_booking {
            leaf(w, "BtchBookg", if bb { "true" } else { "false" })?;
        }
        let (n, sum) = totals(b.payments.iter());
        leaf(w, "NbOfTxs", &n.to_string())?;
        leaf(w, "CtrlSum", &sum.to_string())?;
        if let Some(s) = &b.service_level {
            start(w, "PmtTpInf")?;
            start(w, "SvcLvl")?;
            leaf(w, "Cd", s)?;
            end(w, "SvcLvl")?;
            end(w, "PmtTpInf")?;
        }
        let date = b.execution_date.format("%Y-%m-%d").to_string();
        match v {
            Version::V03 => leaf(w, "ReqdExctnDt", &date)?,
            Version::V09 => {
                start(w, "ReqdExctnDt")?;
                leaf(w, "Dt", &date)?;
                end(w, "ReqdExctnDt")?;
            }
        }
        write_party(w, "Dbtr", &b.debtor)?;
        write_account(w, "DbtrAcct", &b.debtor_account, &b.debtor_account_currency)?;
        write_agent(w, "DbtrAgt", b.debtor_agent_bic.as_deref(), v)?;
        if let Some(c) = b.charge_bearer {
            leaf(w, "ChrgBr", c.code())?;
        }
        for t in &b.payments {
            start(w, "CdtTrfTxInf")?;
            start(w, "PmtId")?;
            opt_leaf(w, "InstrId", &t.instruction_id)?;
            leaf(w, "EndToEndId", &t.end_to_end_id)?;
            end(w, "PmtId")?;
            start(w, "Amt")?;
            w.create_element("InstdAmt")
                .with_attribute(("Ccy", t.amount.currency.as_str()))
                .write_text_content(BytesText::new(&t.amount.to_decimal().to_string()))?;
            end(w, "Amt")?;
            if let Some(c) = t.charge_bearer {
                leaf(w, "ChrgBr", c.code())?;
            }
            if let Some(bic) = &t.creditor_agent_bic {
                write_agent(w, "CdtrAgt", Some(bic), v)?;
            }
            write_party(w, "Cdtr", &t.creditor)?;
            write_account(w, "CdtrAcct", &t.creditor_account, &None)?;
            if let Some(r) = &t.remittance {
                start(w, "RmtInf")?;
                leaf(w, "Ustrd", r)?;
                end(w, "RmtInf")?;
            }
            end(w, "CdtTrfTxInf")?;
        }
        end(w, "PmtInf")?;
    }
    end(w, "CstmrCdtTrfInitn")?;
    end(w, "Document")
}

/// Validates and writes a pain.001 document (UTF-8, 2-space indented, trailing newline).
pub fn write(doc: &Initiation, opts: &WriteOptions) -> Result<String, Pain001Error> {
    validate(doc, opts)?;
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_doc(&mut w, doc, opts.version).map_err(|e| Pain001Error::Structure {
        path: "Document".into(),
        message: format!("write failed: {e}"),
    })?;
    let mut s = String::from_utf8(w.into_inner()).map_err(|e| Pain001Error::Structure {
        path: "Document".into(),
        message: format!("output is not UTF-8: {e}"),
    })?;
    s.push('\n');
    Ok(s)
}

// ------------------------------------------------------------------ reading

fn missing(path: &str) -> Pain001Error {
    Pain001Error::Structure {
        path: path.to_string(),
        message: "missing required element".into(),
    }
}

fn need<'a>(n: &'a Node, p: &[&str], ctx: &str) -> Result<&'a str, Pain001Error> {
    n.text_at(p)
        .ok_or_else(|| missing(&format!("{ctx}/{}", p.join("/"))))
}

fn opt_text(n: &Node, p: &[&str]) -> Option<String> {
    n.text_at(p).map(str::to_string)
}

fn read_party(n: Option<&Node>, ctx: &str) -> Result<Party, Pain001Error> {
    let n = n.ok_or_else(|| missing(ctx))?;
    Ok(Party {
        name: need(n, &["Nm"], ctx)?.to_string(),
        address: n.child("PstlAdr").map(|a| PostalAddress {
            street: opt_text(a, &["StrtNm"]),
            building_number: opt_text(a, &["BldgNb"]),
            post_code: opt_text(a, &["PstCd"]),
            town: opt_text(a, &["TwnNm"]),
            country_subdivision: opt_text(a, &["CtrySubDvsn"]),
            country: opt_text(a, &["Ctry"]),
            address_lines: a.all("AdrLine").map(|l| l.text.clone()).collect(),
        }),
    })
}

fn read_account(n: Option<&Node>, ctx: &str) -> Result<AccountId, Pain001Error> {
    let n = n.ok_or_else(|| missing(ctx))?;
    if let Some(i) = n.text_at(&["Id", "IBAN"]) {
        Ok(AccountId::Iban(i.to_string()))
    } else {
        Ok(AccountId::Other(
            need(n, &["Id", "Othr", "Id"], ctx)?.to_string(),
        ))
    }
}

fn read_bic(n: Option<&Node>) -> Option<String> {
    let f = n?.child("FinInstnId")?;
    opt_text(f, &["BIC"]).or_else(|| opt_text(f, &["BICFI"]))
}

fn read_amount(n: &Node, ctx: &str) -> Result<Amount, Pain001Error> {
    let currency = n
        .attr("Ccy")
        .ok_or_else(|| missing(&format!("{ctx}/@Ccy")))?;
    let exponent = currency_exponent(currency);
    let t = n.text.as_str();
    let bad = || {
        field(
            ctx,
            t,
            Problem::Exponent {
                currency: currency.to_string(),
                expected: exponent,
                // Only shown in the message; a fraction of 4 billion digits is not a text we hold.
                actual: t.split_once('.').map_or(0, |(_, f)| f.len() as u32),
            },
        )
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(field(ctx, t, Problem::NotPositive));
    }
    // Extra decimals are fine only when they are zeros (e.g. `12.340` EUR).
    let (keep, rest) = frac.split_at(frac.len().min(exponent as usize));
    if rest.bytes().any(|b| b != b'0') {
        return Err(bad());
    }
    let digits = format!("{int}{keep:0<width$}", width = exponent as usize);
    let minor_units: i64 = digits
        .parse()
        .map_err(|_| field(ctx, t, Problem::TooManyDigits))?;
    Ok(Amount {
        minor_units,
        currency: currency.to_string(),
        exponent,
    })
}

/// Reads a pain.001 (any version; elements matched by local name) into our model.
/// Returns the version when the namespace is one we write. Elements outside our subset are
/// ignored; nothing is validated beyond what is needed to build the model.
pub fn read(input: &str) -> Result<(Option<Version>, Initiation), Pain001Error> {
    let root = xml::parse(input.trim_start_matches('\u{feff}')).map_err(|e| Pain001Error::Xml {
        line: e.line,
        message: e.message,
    })?;
    let version = match root.attr("xmlns") {
        Some(ns) if ns == Version::V03.namespace() => Some(Version::V03),
        Some(ns) if ns == Version::V09.namespace() => Some(Version::V09),
        _ => None,
    };
    let m = root
        .child("CstmrCdtTrfInitn")
        .ok_or_else(|| missing("Document/CstmrCdtTrfInitn"))?;
    let g = m.child("GrpHdr").ok_or_else(|| missing("GrpHdr"))?;
    let cre = need(g, &["CreDtTm"], "GrpHdr")?;
    let created_at =
        NaiveDateTime::parse_from_str(cre.get(..19).unwrap_or(cre), "%Y-%m-%dT%H:%M:%S")
            .map_err(|_| field("GrpHdr/CreDtTm", cre, Problem::Code))?;
    let mut batches = Vec::new();
    for (bi, p) in m.all("PmtInf").enumerate() {
        let bp = format!("PmtInf[{}]", bi + 1);
        let date = p
            .text_at(&["ReqdExctnDt", "Dt"])
            .or_else(|| p.text_at(&["ReqdExctnDt"]))
            .ok_or_else(|| missing(&format!("{bp}/ReqdExctnDt")))?;
        let execution_date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| field(&format!("{bp}/ReqdExctnDt"), date, Problem::Code))?;
        let mut payments = Vec::new();
        for (ti, t) in p.all("CdtTrfTxInf").enumerate() {
            let tp = format!("{bp}/CdtTrfTxInf[{}]", ti + 1);
            let amt = t
                .at(&["Amt", "InstdAmt"])
                .ok_or_else(|| missing(&format!("{tp}/Amt/InstdAmt")))?;
            payments.push(CreditTransfer {
                instruction_id: opt_text(t, &["PmtId", "InstrId"]),
                end_to_end_id: need(t, &["PmtId", "EndToEndId"], &tp)?.to_string(),
                amount: read_amount(amt, &format!("{tp}/Amt/InstdAmt"))?,
                charge_bearer: t.text_at(&["ChrgBr"]).and_then(ChargeBearer::parse),
                creditor_agent_bic: read_bic(t.child("CdtrAgt")),
                creditor: read_party(t.child("Cdtr"), &format!("{tp}/Cdtr"))?,
                creditor_account: read_account(t.child("CdtrAcct"), &format!("{tp}/CdtrAcct"))?,
                remittance: opt_text(t, &["RmtInf", "Ustrd"]),
            });
        }
        batches.push(PaymentBatch {
            payment_information_id: need(p, &["PmtInfId"], &bp)?.to_string(),
            batch_booking: p.text_at(&["BtchBookg"]).map(|b| b == "true" || b == "1"),
            service_level: opt_text(p, &["PmtTpInf", "SvcLvl", "Cd"]),
            execution_date,
            debtor: read_party(p.child("Dbtr"), &format!("{bp}/Dbtr"))?,
            debtor_account: read_account(p.child("DbtrAcct"), &format!("{bp}/DbtrAcct"))?,
            debtor_account_currency: opt_text(p, &["DbtrAcct", "Ccy"]),
            debtor_agent_bic: read_bic(p.child("DbtrAgt")),
            charge_bearer: p.text_at(&["ChrgBr"]).and_then(ChargeBearer::parse),
            payments,
        });
    }
    Ok((
        version,
        Initiation {
            message_id: need(g, &["MsgId"], "GrpHdr")?.to_string(),
            created_at,
            // InitgPty/Nm is optional in the schema; the model keeps "" for "not given".
            initiating_party: g
                .text_at(&["InitgPty", "Nm"])
                .unwrap_or_default()
                .to_string(),
            batches,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Initiation {
        Initiation {
            message_id: "CLW-2024-0001".into(),
            created_at: NaiveDate::from_ymd_opt(2024, 3, 28)
                .unwrap()
                .and_hms_opt(9, 30, 0)
                .unwrap(),
            initiating_party: "Clearway Fund I LP".into(),
            batches: vec![PaymentBatch {
                payment_information_id: "DIST-Q1-EUR".into(),
                batch_booking: Some(false),
                service_level: Some("URGP".into()),
                execution_date: NaiveDate::from_ymd_opt(2024, 4, 2).unwrap(),
                debtor: Party {
                    name: "Clearway Fund I LP".into(),
                    address: None,
                },
                debtor_account: AccountId::Iban("DE89 3704 0044 0532 0130 00".into()),
                debtor_account_currency: Some("EUR".into()),
                debtor_agent_bic: Some("COBADEFFXXX".into()),
                charge_bearer: None,
                payments: vec![CreditTransfer {
                    instruction_id: Some("I-1".into()),
                    end_to_end_id: "DIST-Q1-INV-0001".into(),
                    amount: Amount {
                        minor_units: 1_234_567,
                        currency: "EUR".into(),
                        exponent: 2,
                    },
                    charge_bearer: Some(ChargeBearer::Debt),
                    creditor_agent_bic: Some("BNPAFRPP".into()),
                    creditor: Party {
                        name: "Jane Investor".into(),
                        address: Some(PostalAddress {
                            street: Some("Rue de Rivoli".into()),
                            building_number: Some("10".into()),
                            post_code: Some("75001".into()),
                            town: Some("Paris".into()),
                            country: Some("FR".into()),
                            ..PostalAddress::default()
                        }),
                    },
                    creditor_account: AccountId::Iban("FR1420041010050500013M02606".into()),
                    remittance: Some("Q1 2024 distribution".into()),
                }],
            }],
        }
    }

    #[test]
    fn iban_checks() {
        assert_eq!(
            validate_iban("gb82 west 1234 5698 7654 32").unwrap(),
            "GB82WEST12345698765432"
        );
        assert_eq!(
            validate_iban("GB82WEST12345698765431"),
            Err(Problem::IbanChecksum)
        );
        assert!(matches!(
            validate_iban("GB82WEST1234569876543"),
            Err(Problem::IbanLength {
                expected: 22,
                actual: 21,
                ..
            })
        ));
        assert_eq!(
            validate_iban("US12345678"),
            Err(Problem::IbanCountry("US".into()))
        );
        assert_eq!(validate_iban("12AB"), Err(Problem::IbanFormat));
    }

    #[test]
    fn bic_checks() {
        for ok in ["COBADEFF", "COBADEFFXXX", "BNPAFRPP"] {
            assert_eq!(validate_bic(ok, Version::V03), Ok(()), "{ok}");
        }
        for bad in [
            "COBADEF",
            "COBADEFFXX",
            "cobadeff",
            "COBA1EFF",
            "COBADE1F",
            "COBADEFO",
        ] {
            assert_eq!(validate_bic(bad, Version::V03), Err(Problem::Bic), "{bad}");
        }
        assert_eq!(validate_bic("1234DEFF", Version::V09), Ok(()));
    }

    #[test]
    fn writes_exact_amounts_and_totals() {
        let mut d = sample();
        let mut jpy = d.batches[0].payments[0].clone();
        jpy.amount = Amount {
            minor_units: 150_000,
            currency: "JPY".into(),
            exponent: 0,
        };
        d.batches[0].payments.push(jpy);
        let x = write(&d, &WriteOptions::default()).unwrap();
        assert!(
            x.contains("<InstdAmt Ccy=\"EUR\">12345.67</InstdAmt>"),
            "{x}"
        );
        assert!(x.contains("<InstdAmt Ccy=\"JPY\">150000</InstdAmt>"), "{x}");
        assert!(x.contains("<CtrlSum>162345.67</CtrlSum>"), "{x}");
        assert!(x.contains("<NbOfTxs>2</NbOfTxs>"));
        assert!(x.contains("<IBAN>DE89370400440532013000</IBAN>"));
        let (v, back) = read(&x).unwrap();
        assert_eq!(v, Some(Version::V03));
        let mut norm = d.clone();
        norm.batches[0].debtor_account = AccountId::Iban("DE89370400440532013000".into());
        assert_eq!(back, norm);
    }

    #[test]
    fn errors_name_the_field() {
        let err = |f: &dyn Fn(&mut Initiation)| {
            let mut d = sample();
            f(&mut d);
            write(&d, &WriteOptions::default()).unwrap_err()
        };
        let e = err(&|d| {
            d.batches[0].payments[0].creditor_account =
                AccountId::Iban("FR1420041010050500013M02607".into())
        });
        assert_eq!(
            e,
            Pain001Error::Field {
                path: "PmtInf[1]/CdtTrfTxInf[1]/CdtrAcct/Id/IBAN".into(),
                value: "FR1420041010050500013M02607".into(),
                problem: Problem::IbanChecksum
            }
        );
        let e = err(&|d| d.batches[0].debtor_agent_bic = Some("COBADEF".into()));
        assert!(
            e.to_string()
                .starts_with("PmtInf[1]/DbtrAgt/FinInstnId/BIC: 'COBADEF' is not a BIC"),
            "{e}"
        );
        let e = err(&|d| d.message_id = "X".repeat(36));
        assert!(
            matches!(
                e,
                Pain001Error::Field {
                    problem: Problem::TooLong { max: 35 },
                    ..
                }
            ),
            "{e}"
        );
        let e = err(&|d| d.batches[0].payments[0].creditor.name = "Jürgen".into());
        assert!(
            matches!(
                e,
                Pain001Error::Field {
                    problem: Problem::Charset { ch: 'ü', .. },
                    ..
                }
            ),
            "{e}"
        );
        let e = err(&|d| d.batches[0].payments[0].end_to_end_id = "A//B".into());
        assert!(
            matches!(
                e,
                Pain001Error::Field {
                    problem: Problem::Slashes,
                    ..
                }
            ),
            "{e}"
        );
        let e = err(&|d| d.batches[0].payments[0].amount.exponent = 3);
        assert!(
            e.to_string().contains("uses 3 decimals but EUR has 2"),
            "{e}"
        );
        let e = err(&|d| d.batches[0].payments[0].amount.minor_units = 0);
        assert!(
            matches!(
                e,
                Pain001Error::Field {
                    problem: Problem::NotPositive,
                    ..
                }
            ),
            "{e}"
        );
        let e = err(&|d| d.batches[0].payments[0].remittance = Some("x".repeat(141)));
        assert!(e.to_string().contains("RmtInf/Ustrd"), "{e}");
        let e = err(&|d| d.batches[0].payments.clear());
        assert!(matches!(e, Pain001Error::Structure { .. }), "{e}");
        // Unicode names are fine when the bank takes UTF-8.
        let mut d = sample();
        d.batches[0].payments[0].creditor.name = "Jürgen & Søn <Ltd>".into();
        let x = write(
            &d,
            &WriteOptions {
                charset: Charset::Unicode,
                ..WriteOptions::default()
            },
        )
        .unwrap();
        assert!(x.contains("<Nm>Jürgen &amp; Søn &lt;Ltd&gt;</Nm>"), "{x}");
        assert_eq!(
            read(&x).unwrap().1.batches[0].payments[0].creditor.name,
            "Jürgen & Søn <Ltd>"
        );
    }
}

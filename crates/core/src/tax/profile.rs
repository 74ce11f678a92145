//! An investor's tax profile: who they are to the IRS. The TIN itself is sealed by the
//! application (like account numbers) and only its last four characters travel with the
//! profile; [`validate`] sees it in clear once, on the way in.

use serde::{Deserialize, Serialize};

use crate::{FieldError, Invalid};

string_enum! {
    /// Kind of taxpayer identification number.
    TinType {
        /// Social security number (individuals).
        Ssn => "SSN",
        /// Employer identification number (entities).
        Ein => "EIN",
        /// Individual taxpayer identification number.
        Itin => "ITIN",
        /// Adoption taxpayer identification number.
        Atin => "ATIN",
    }
}

string_enum! {
    /// Whether the TIN can be relied on (IRS backup withholding rules, IRC 3406).
    TinStatus {
        /// A W-9 certified under penalties of perjury: no backup withholding.
        Certified => "CERTIFIED",
        /// No TIN on file: backup withholding.
        Missing => "MISSING",
        /// A CP2100 "B" notice (name/TIN mismatch) not yet cured: backup withholding.
        BNotice => "B_NOTICE",
        /// A "C" notice (IRS notified underreporting): backup withholding.
        CNotice => "C_NOTICE",
    }
}

string_enum! {
    /// US person or foreign person for withholding and reporting.
    Residency {
        /// US person: Form 1099-DIV, backup withholding.
        Us => "US",
        /// Foreign person: Form 1042-S, chapter 3 withholding.
        Foreign => "FOREIGN",
    }
}

string_enum! {
    /// The certificate on file.
    Certificate {
        /// Form W-9 (US person).
        W9 => "W-9",
        /// Form W-8BEN (foreign individual).
        W8Ben => "W-8BEN",
        /// Form W-8BEN-E (foreign entity).
        W8BenE => "W-8BEN-E",
    }
}

/// A profile as stored and read (the TIN only by its last four).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxProfile {
    /// Investor.
    pub investor_id: String,
    /// Kind of TIN, when one is on file.
    pub tin_type: Option<TinType>,
    /// Last four characters of the TIN, when one is on file.
    pub tin_last4: Option<String>,
    /// Reliability of the TIN.
    pub tin_status: TinStatus,
    /// US or foreign.
    pub residency: Residency,
    /// Certificate on file (W-9, W-8BEN, W-8BEN-E).
    pub certificate: Option<Certificate>,
    /// Country of residence of a foreign person (ISO 3166-1 alpha-2), the treaty country.
    pub country: Option<String>,
    /// Whether the certificate claims treaty benefits (needs `country`).
    pub treaty_claim: bool,
    /// Treaty article and paragraph cited (W-8BEN line 10), free text.
    pub treaty_article: Option<String>,
    /// Chapter 3 status code of the recipient (Form 1042-S box 13f), e.g. `16` individual.
    pub chapter3_status: Option<String>,
    /// Chapter 4 status code of the recipient (Form 1042-S box 13g), e.g. `16`.
    pub chapter4_status: Option<String>,
    /// State of residence (USPS two letters) of a US person, for state withholding and boxes 14–16.
    pub residence_state: Option<String>,
    /// W-9 exempt payee code (1–13): an exempt recipient gets no 1099-DIV and no backup withholding.
    pub exempt_payee_code: Option<String>,
    /// FATCA filing requirement (1099-DIV box 11).
    pub fatca_filing: bool,
    /// Recipient's foreign tax identifying number (Form 1042-S box 13i), in clear: not a US TIN.
    pub foreign_tin: Option<String>,
}

impl TaxProfile {
    /// The profile an investor has when none was entered: a US person with no TIN, which
    /// backup withholding applies to and which is flagged, never skipped.
    pub fn missing(investor_id: &str) -> TaxProfile {
        TaxProfile {
            investor_id: investor_id.to_string(),
            tin_type: None,
            tin_last4: None,
            tin_status: TinStatus::Missing,
            residency: Residency::Us,
            certificate: None,
            country: None,
            treaty_claim: false,
            treaty_article: None,
            chapter3_status: None,
            chapter4_status: None,
            residence_state: None,
            exempt_payee_code: None,
            fatca_filing: false,
            foreign_tin: None,
        }
    }
}

/// A profile as entered (API body, import row): text, parsed strictly by [`validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProfileInput {
    /// `SSN`, `EIN`, `ITIN`, `ATIN`; required with a TIN.
    pub tin_type: Option<String>,
    /// Nine digits, dashes allowed (`123-45-6789`, `12-3456789`). Absent: keep the stored one.
    pub tin: Option<String>,
    /// `CERTIFIED`, `MISSING`, `B_NOTICE`, `C_NOTICE`.
    pub tin_status: String,
    /// `US` or `FOREIGN`.
    pub residency: String,
    /// `W-9`, `W-8BEN`, `W-8BEN-E`.
    pub certificate: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Treaty benefits claimed.
    pub treaty_claim: bool,
    /// Treaty article.
    pub treaty_article: Option<String>,
    /// Chapter 3 status code (two digits).
    pub chapter3_status: Option<String>,
    /// Chapter 4 status code (two digits).
    pub chapter4_status: Option<String>,
    /// USPS state code.
    pub residence_state: Option<String>,
    /// W-9 exempt payee code 1–13.
    pub exempt_payee_code: Option<String>,
    /// FATCA filing requirement.
    pub fatca_filing: bool,
    /// Foreign TIN.
    pub foreign_tin: Option<String>,
}

/// A validated profile and, when one was given, the TIN in clear (nine digits) for sealing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidProfile {
    /// The profile (its `tin_last4` set from `tin` when given).
    pub profile: TaxProfile,
    /// Nine digits, no dashes; `None` when the input carried no TIN.
    pub tin: Option<String>,
}

/// USPS codes of the states, DC and the territories that issue state tax ids.
pub const STATES: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI",
];

/// Parses a profile strictly; every problem is reported with its field. A treaty claim needs a
/// country; a foreign person needs a W-8 and a country; a US person a W-9 when certified.
pub fn validate(investor_id: &str, input: &ProfileInput) -> Result<ValidProfile, Invalid> {
    let mut errs = Vec::new();
    let tin_status = match input.tin_status.trim() {
        "" => {
            errs.push(FieldError::new("tinStatus", "is required"));
            None
        }
        t => t.parse::<TinStatus>().ok().or_else(|| {
            errs.push(FieldError::new(
                "tinStatus",
                "must be CERTIFIED, MISSING, B_NOTICE or C_NOTICE",
            ));
            None
        }),
    };
    let residency = match input.residency.trim() {
        "" => {
            errs.push(FieldError::new("residency", "is required"));
            None
        }
        t => t.parse::<Residency>().ok().or_else(|| {
            errs.push(FieldError::new("residency", "must be US or FOREIGN"));
            None
        }),
    };
    let opt = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let tin_type = match opt(&input.tin_type) {
        Some(t) => match t.parse::<TinType>() {
            Ok(t) => Some(t),
            Err(_) => {
                errs.push(FieldError::new("tinType", "must be SSN, EIN, ITIN or ATIN"));
                None
            }
        },
        None => None,
    };
    let tin = match opt(&input.tin) {
        Some(t) => match normalize_tin(&t) {
            Some(n) => Some(n),
            None => {
                errs.push(FieldError::new(
                    "tin",
                    "must be nine digits (dashes allowed), not all the same digit",
                ));
                None
            }
        },
        None => None,
    };
    if tin.is_some() && tin_type.is_none() && opt(&input.tin_type).is_none() {
        errs.push(FieldError::new("tinType", "is required with a TIN"));
    }
    let certificate = match opt(&input.certificate) {
        Some(c) => match c.parse::<Certificate>() {
            Ok(c) => Some(c),
            Err(_) => {
                errs.push(FieldError::new(
                    "certificate",
                    "must be W-9, W-8BEN or W-8BEN-E",
                ));
                None
            }
        },
        None => None,
    };
    let country = match opt(&input.country) {
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) => Some(c),
        Some(_) => {
            errs.push(FieldError::new(
                "country",
                "must be an ISO 3166-1 alpha-2 code (two capital letters)",
            ));
            None
        }
        None => None,
    };
    if input.treaty_claim && opt(&input.country).is_none() {
        errs.push(FieldError::new(
            "country",
            "is required with a treaty claim",
        ));
    }
    let state = match opt(&input.residence_state) {
        Some(s) if STATES.contains(&s.as_str()) => Some(s),
        Some(_) => {
            errs.push(FieldError::new(
                "residenceState",
                "must be a USPS state code (e.g. NY)",
            ));
            None
        }
        None => None,
    };
    let code2 = |field: &str, v: &Option<String>, errs: &mut Vec<FieldError>| match opt(v) {
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_digit()) => Some(c),
        Some(_) => {
            errs.push(FieldError::new(field, "must be a two-digit status code"));
            None
        }
        None => None,
    };
    let ch3 = code2("chapter3Status", &input.chapter3_status, &mut errs);
    let ch4 = code2("chapter4Status", &input.chapter4_status, &mut errs);
    let exempt = match opt(&input.exempt_payee_code) {
        Some(c) if matches!(c.parse::<u8>(), Ok(1..=13)) => Some(c),
        Some(_) => {
            errs.push(FieldError::new(
                "exemptPayeeCode",
                "must be 1 to 13 (W-9 line 4)",
            ));
            None
        }
        None => None,
    };
    let foreign_tin = opt(&input.foreign_tin);
    if foreign_tin
        .as_ref()
        .is_some_and(|t| t.len() > 22 || t.chars().any(char::is_control))
    {
        errs.push(FieldError::new(
            "foreignTin",
            "must be at most 22 printable characters",
        ));
    }
    let article = opt(&input.treaty_article);
    if article
        .as_ref()
        .is_some_and(|t| t.len() > 60 || t.chars().any(char::is_control))
    {
        errs.push(FieldError::new(
            "treatyArticle",
            "must be at most 60 printable characters",
        ));
    }
    match residency {
        Some(Residency::Foreign) => {
            if matches!(certificate, Some(Certificate::W9)) {
                errs.push(FieldError::new(
                    "certificate",
                    "a foreign person certifies on W-8BEN or W-8BEN-E",
                ));
            }
            if opt(&input.country).is_none() {
                errs.push(FieldError::new(
                    "country",
                    "is required for a foreign person",
                ));
            }
            if state.is_some() {
                errs.push(FieldError::new(
                    "residenceState",
                    "applies to US persons only",
                ));
            }
        }
        Some(Residency::Us) => {
            if matches!(certificate, Some(Certificate::W8Ben | Certificate::W8BenE)) {
                errs.push(FieldError::new(
                    "certificate",
                    "a US person certifies on W-9",
                ));
            }
            if input.treaty_claim {
                errs.push(FieldError::new(
                    "treatyClaim",
                    "applies to foreign persons only",
                ));
            }
            if tin_status == Some(TinStatus::Certified) && tin.is_none() && certificate.is_none() {
                errs.push(FieldError::new(
                    "certificate",
                    "a certified TIN needs the W-9 that certifies it",
                ));
            }
        }
        None => {}
    }
    if tin_status == Some(TinStatus::Missing) && tin.is_some() {
        errs.push(FieldError::new(
            "tinStatus",
            "cannot be MISSING when a TIN is given",
        ));
    }
    if !errs.is_empty() {
        return Err(Invalid(errs));
    }
    let (Some(tin_status), Some(residency)) = (tin_status, residency) else {
        return Err(Invalid(vec![FieldError::new("tinStatus", "is required")]));
    };
    Ok(ValidProfile {
        profile: TaxProfile {
            investor_id: investor_id.to_string(),
            tin_type,
            tin_last4: tin.as_ref().map(|t| t[5..].to_string()),
            tin_status,
            residency,
            certificate,
            country,
            treaty_claim: input.treaty_claim,
            treaty_article: article,
            chapter3_status: ch3,
            chapter4_status: ch4,
            residence_state: state,
            exempt_payee_code: exempt,
            fatca_filing: input.fatca_filing,
            foreign_tin,
        },
        tin,
    })
}

/// Nine digits with optional dashes in the SSN (3-2-4) or EIN (2-7) places; not all one digit.
pub fn normalize_tin(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| *c != '-').collect();
    let dashes: Vec<usize> = text
        .char_indices()
        .filter(|(_, c)| *c == '-')
        .map(|(i, _)| i)
        .collect();
    let dash_ok = dashes.is_empty() || dashes == [3, 6] || dashes == [2];
    if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) || !dash_ok {
        return None;
    }
    if digits.bytes().all(|b| b == digits.as_bytes()[0]) {
        return None;
    }
    Some(digits)
}

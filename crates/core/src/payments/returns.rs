//! NACHA return reason codes (R01…R85) and notification-of-change codes (C01…C14): what they
//! mean and what to do about them.

/// What a return means for the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnClass {
    /// The payee's account details are wrong or unusable: wait for a payee update, which
    /// re-queues the payment (a retry to the same details would fail the same way).
    BadAccount,
    /// May succeed later unchanged: retried automatically on the schedule.
    Transient,
    /// Refused by the receiver or their bank: a person decides.
    Refused,
}

/// The description and class of a return code; unknown codes are refused (manual review).
pub fn classify(code: &str) -> (&'static str, ReturnClass) {
    use ReturnClass::*;
    match code {
        "R01" => ("Insufficient funds", Transient),
        "R02" => ("Account closed", BadAccount),
        "R03" => ("No account / unable to locate account", BadAccount),
        "R04" => ("Invalid account number structure", BadAccount),
        "R05" => ("Unauthorized debit to consumer account", Refused),
        "R06" => ("Returned per ODFI's request", Refused),
        "R07" => ("Authorization revoked by customer", Refused),
        "R08" => ("Payment stopped", Refused),
        "R09" => ("Uncollected funds", Transient),
        "R10" => ("Customer advises unauthorized", Refused),
        "R11" => (
            "Customer advises entry not in accordance with terms",
            Refused,
        ),
        "R12" => ("Account sold to another DFI", BadAccount),
        "R13" => ("Invalid ACH routing number", BadAccount),
        "R14" => ("Representative payee deceased", BadAccount),
        "R15" => ("Beneficiary or account holder deceased", BadAccount),
        "R16" => (
            "Account frozen / entry returned per OFAC instruction",
            BadAccount,
        ),
        "R17" => ("File record edit criteria", Refused),
        "R18" => ("Improper effective entry date", Transient),
        "R19" => ("Amount field error", Refused),
        "R20" => ("Non-transaction account", BadAccount),
        "R21" => ("Invalid company identification", Refused),
        "R22" => ("Invalid individual ID number", Refused),
        "R23" => ("Credit entry refused by receiver", Refused),
        "R24" => ("Duplicate entry", Refused),
        "R25" => ("Addenda error", Refused),
        "R26" => ("Mandatory field error", Refused),
        "R27" => ("Trace number error", Refused),
        "R28" => ("Routing number check digit error", BadAccount),
        "R29" => ("Corporate customer advises not authorized", Refused),
        "R30" => ("RDFI not participant in check truncation program", Refused),
        "R31" => ("Permissible return entry (CCD and CTX only)", Refused),
        "R32" => ("RDFI non-settlement", Transient),
        "R33" => ("Return of XCK entry", Refused),
        "R34" => ("Limited participation DFI", BadAccount),
        "R35" => ("Return of improper debit entry", Refused),
        "R36" => ("Return of improper credit entry", Refused),
        "R37" => ("Source document presented for payment", Refused),
        "R38" => ("Stop payment on source document", Refused),
        "R39" => ("Improper source document", Refused),
        "R40" => ("Return of ENR entry by federal government agency", Refused),
        "R41" => ("Invalid transaction code (ENR)", Refused),
        "R42" => ("Routing number / check digit error (ENR)", BadAccount),
        "R43" => ("Invalid DFI account number (ENR)", BadAccount),
        "R44" => ("Invalid individual ID number (ENR)", Refused),
        "R45" => ("Invalid individual name / company name (ENR)", Refused),
        "R46" => ("Invalid representative payee indicator (ENR)", Refused),
        "R47" => ("Duplicate enrollment", Refused),
        "R50" => ("State law affecting RCK acceptance", Refused),
        "R51" => ("Item related to RCK entry is ineligible", Refused),
        "R52" => ("Stop payment on item related to RCK entry", Refused),
        "R53" => ("Item and RCK entry presented for payment", Refused),
        "R61" => ("Misrouted return", Refused),
        "R62" => ("Return of erroneous or reversing debit", Refused),
        "R67" => ("Duplicate return", Refused),
        "R68" => ("Untimely return", Refused),
        "R69" => ("Field error(s)", Refused),
        "R70" => ("Permissible return entry not accepted", Refused),
        "R71" => ("Misrouted dishonored return", Refused),
        "R72" => ("Untimely dishonored return", Refused),
        "R73" => ("Timely original return", Refused),
        "R74" => ("Corrected return", Refused),
        "R75" => ("Return not a duplicate", Refused),
        "R76" => ("No errors found", Refused),
        "R77" => ("Non-acceptance of R62 dishonored return", Refused),
        "R80" => ("IAT entry coding error", Refused),
        "R81" => ("Non-participant in IAT program", Refused),
        "R82" => ("Invalid foreign receiving DFI identification", BadAccount),
        "R83" => ("Foreign receiving DFI unable to settle", Transient),
        "R84" => ("Entry not processed by gateway", Transient),
        "R85" => ("Incorrectly coded outbound international payment", Refused),
        _ => ("Unknown return reason", Refused),
    }
}

/// The description and class of an ISO 20022 status reason code (`ExternalStatusReason1Code`,
/// as a pain.002 rejection or a camt return gives it), for the codes whose meaning for the next
/// attempt is clear; `None` for the others (a person decides, as for any unknown code).
pub fn iso_reason(code: &str) -> Option<(&'static str, ReturnClass)> {
    use ReturnClass::*;
    Some(match code {
        "AC01" => ("Incorrect account number", BadAccount),
        "AC03" => ("Invalid creditor account number", BadAccount),
        "AC04" => ("Closed account number", BadAccount),
        "AC06" => ("Blocked account", BadAccount),
        "AC07" => ("Closed creditor account number", BadAccount),
        "AC09" => ("Invalid account currency", BadAccount),
        "AC14" => ("Invalid creditor account type", BadAccount),
        "BE01" => ("Inconsistent with end customer", BadAccount),
        "BE04" => ("Missing creditor address", BadAccount),
        "MD07" => ("End customer deceased", BadAccount),
        "RC01" => ("Bank identifier incorrect", BadAccount),
        "AM04" => ("Insufficient funds", Transient),
        "TM01" => ("Received after the cut-off time", Transient),
        "AC02" => ("Invalid debtor account number", Refused),
        "AG01" => ("Transaction forbidden", Refused),
        "AG02" => ("Invalid bank operation code", Refused),
        "AM02" => ("Amount not allowed", Refused),
        "AM05" => ("Duplication", Refused),
        "FF01" => ("Invalid file format", Refused),
        "MS02" => ("Reason not specified, customer generated", Refused),
        "MS03" => ("Reason not specified, agent generated", Refused),
        "RR01" | "RR02" | "RR03" | "RR04" => ("Regulatory reason", Refused),
        _ => return None,
    })
}

/// Our own failure codes that are known to be temporary: the provider timed out, could not be
/// reached or answered 5xx, or a file our side must rebuild. Only these (and the NACHA return
/// codes [`classify`] calls transient) are retried automatically.
pub const TEMPORARY_CODES: [&str; 7] = [
    "TIMEOUT",
    "PROVIDER_TIMEOUT",
    "PROVIDER_ERROR",
    "PROVIDER_UNAVAILABLE",
    "CONNECTION_ERROR",
    "HTTP_5XX",
    "FILE_REBUILD",
];

/// Codes of a credit returned by the bank without a NACHA reason code (a returned wire, a
/// credit back on the statement): the instruction needs changing, like R02/R03.
pub const BANK_RETURN_CODES: [&str; 3] = ["BANK_RETURN", "WIRE_RETURN", "RETURNED"];

/// The class of a payment's failure or return code, for what happens next: a NACHA return
/// code as [`classify`] says, an ISO 20022 reason code as [`iso_reason`] says; our own codes: `NO_PAYEE` and `BAD_ACCOUNT` are bad account
/// details, as is a bank return without an R-code ([`BANK_RETURN_CODES`]); the
/// [`TEMPORARY_CODES`] may succeed later; anything else — `REFUSED`, `NO_FX_RATE`, a
/// provider's own code, an unknown or empty code — needs a person and is never retried
/// automatically (money sent again to an account that returned it is money at risk).
pub fn failure_class(code: &str) -> ReturnClass {
    match code.trim() {
        c if is_return_code(c) => classify(c).1,
        c if iso_reason(c).is_some() => iso_reason(c).map_or(ReturnClass::Refused, |r| r.1),
        c if TEMPORARY_CODES.contains(&c) => ReturnClass::Transient,
        c if BANK_RETURN_CODES.contains(&c) => ReturnClass::BadAccount,
        "NO_PAYEE" | "BAD_ACCOUNT" => ReturnClass::BadAccount,
        _ => ReturnClass::Refused,
    }
}

/// The reason recorded for a return code read from a return file: its description, or
/// "unknown return code …" when it is not shaped like one.
pub fn return_reason(code: &str) -> String {
    if is_return_code(code) {
        classify(code).0.to_string()
    } else {
        format!("unknown return code {code}")
    }
}

/// Whether `code` is shaped like a return reason code (`R` and two digits).
pub fn is_return_code(code: &str) -> bool {
    code.len() == 3 && code.starts_with('R') && code[1..].bytes().all(|b| b.is_ascii_digit())
}

/// Receiver account type, as a transaction code tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// Demand deposit (transaction codes 2x).
    Checking,
    /// Savings (transaction codes 3x).
    Savings,
}

/// What a notification of change says should be corrected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Correction {
    /// Corrected 9-digit routing number.
    pub routing_number: Option<String>,
    /// Corrected account number.
    pub account_number: Option<String>,
    /// Corrected account type.
    pub account_kind: Option<AccountKind>,
}

fn kind_of(code: &str) -> Option<AccountKind> {
    match code.trim() {
        "22" | "23" | "24" => Some(AccountKind::Checking),
        "32" | "33" | "34" => Some(AccountKind::Savings),
        _ => None,
    }
}

fn field(data: &str, from: usize, to: usize) -> Option<String> {
    let v: String = data.chars().skip(from).take(to - from).collect();
    let v = v.trim().to_string();
    (!v.is_empty()).then_some(v)
}

/// Reads the corrected data (29 characters) of a notification of change, per its change code
/// (NACHA layouts: C01 account; C02 routing; C03 routing, 3 blanks, account; C05 transaction
/// code; C06 account, 3 blanks, transaction code; C07 routing, account, transaction code).
/// Codes that change nothing about the payee (C08, C09, C13, C14, refused C6x) give `None`.
pub fn parse_correction(change_code: &str, corrected_data: &str) -> Option<Correction> {
    let c = match change_code {
        "C01" => Correction {
            account_number: field(corrected_data, 0, 17),
            ..Correction::default()
        },
        "C02" => Correction {
            routing_number: field(corrected_data, 0, 9),
            ..Correction::default()
        },
        "C03" => Correction {
            routing_number: field(corrected_data, 0, 9),
            account_number: field(corrected_data, 12, 29),
            ..Correction::default()
        },
        "C05" => Correction {
            account_kind: field(corrected_data, 0, 2).and_then(|c| kind_of(&c)),
            ..Correction::default()
        },
        "C06" => Correction {
            account_number: field(corrected_data, 0, 17),
            account_kind: field(corrected_data, 20, 22).and_then(|c| kind_of(&c)),
            ..Correction::default()
        },
        "C07" => Correction {
            routing_number: field(corrected_data, 0, 9),
            account_number: field(corrected_data, 9, 26),
            account_kind: field(corrected_data, 26, 28).and_then(|c| kind_of(&c)),
        },
        _ => return None,
    };
    (c != Correction::default()).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_account_codes_wait_for_a_payee_update() {
        for code in ["R02", "R03", "R04", "R13", "R20", "R28"] {
            assert_eq!(classify(code).1, ReturnClass::BadAccount, "{code}");
        }
        assert_eq!(classify("R01").1, ReturnClass::Transient);
        assert_eq!(classify("R23").1, ReturnClass::Refused);
        assert_eq!(
            classify("R99"),
            ("Unknown return reason", ReturnClass::Refused)
        );
        assert_eq!(classify("R03").0, "No account / unable to locate account");
        assert!(is_return_code("R85"));
        assert!(!is_return_code("C01"));
        assert!(!is_return_code("R1"));
    }

    #[test]
    fn corrections_follow_the_nacha_layouts() {
        assert_eq!(
            parse_correction("C01", "1918171614                   "),
            Some(Correction {
                account_number: Some("1918171614".into()),
                ..Default::default()
            })
        );
        assert_eq!(
            parse_correction("C02", "121042882                    ")
                .unwrap()
                .routing_number
                .as_deref(),
            Some("121042882")
        );
        let c03 = parse_correction("C03", "121042882   1918171614       ").unwrap();
        assert_eq!(c03.routing_number.as_deref(), Some("121042882"));
        assert_eq!(c03.account_number.as_deref(), Some("1918171614"));
        assert_eq!(
            parse_correction("C05", "32                           ")
                .unwrap()
                .account_kind,
            Some(AccountKind::Savings)
        );
        let c06 = parse_correction("C06", "1918171614          22       ").unwrap();
        assert_eq!(c06.account_number.as_deref(), Some("1918171614"));
        assert_eq!(c06.account_kind, Some(AccountKind::Checking));
        let c07 = parse_correction("C07", "1210428821918171614       32 ").unwrap();
        assert_eq!(c07.routing_number.as_deref(), Some("121042882"));
        assert_eq!(c07.account_number.as_deref(), Some("1918171614"));
        assert_eq!(c07.account_kind, Some(AccountKind::Savings));
        assert_eq!(parse_correction("C09", "123"), None);
        assert_eq!(parse_correction("C01", "                 "), None);
    }

    #[test]
    fn only_known_temporary_failures_are_transient() {
        use super::{failure_class, ReturnClass};
        // A provider timeout, connection error or 5xx, and a file we must rebuild: retried.
        for code in [
            "TIMEOUT",
            "PROVIDER_TIMEOUT",
            "CONNECTION_ERROR",
            "HTTP_5XX",
            "FILE_REBUILD",
        ] {
            assert_eq!(failure_class(code), ReturnClass::Transient, "{code}");
        }
        // No code, an unknown code, a provider's own failure: permanent (a person decides).
        for code in [
            "",
            "  ",
            "SOMETHING_NEW",
            "PROVIDER_FAILED",
            "PAYOUT_FAILED",
            "R1234",
        ] {
            assert_ne!(failure_class(code), ReturnClass::Transient, "{code:?}");
            assert_eq!(failure_class(code), ReturnClass::Refused, "{code:?}");
        }
        // A bank return without an R-code needs a changed instruction.
        for code in ["BANK_RETURN", "WIRE_RETURN", "RETURNED"] {
            assert_eq!(failure_class(code), ReturnClass::BadAccount, "{code}");
        }
        for code in [
            "R02", "R03", "R04", "R12", "R13", "R14", "R15", "R16", "R20", "R28",
        ] {
            assert_eq!(failure_class(code), ReturnClass::BadAccount, "{code}");
        }
    }

    #[test]
    fn failure_classes_of_return_codes_and_our_own_codes() {
        use super::{failure_class, return_reason, ReturnClass};
        assert_eq!(failure_class("R01"), ReturnClass::Transient);
        assert_eq!(failure_class("R03"), ReturnClass::BadAccount);
        assert_eq!(failure_class("R10"), ReturnClass::Refused);
        assert_eq!(failure_class("R99"), ReturnClass::Refused);
        assert_eq!(failure_class("NO_PAYEE"), ReturnClass::BadAccount);
        assert_eq!(failure_class("BAD_ACCOUNT"), ReturnClass::BadAccount);
        assert_eq!(failure_class("REFUSED"), ReturnClass::Refused);
        assert_eq!(failure_class("NO_FX_RATE"), ReturnClass::Refused);
        assert_eq!(failure_class("PROVIDER_ERROR"), ReturnClass::Transient);
        assert_eq!(return_reason("R02"), "Account closed");
        assert_eq!(return_reason("X1"), "unknown return code X1");
    }

    /// A wire the bank rejects in a pain.002 for a closed or wrong account waits for a payee
    /// update like an ACH R02/R03 (it was "refused", as any unknown code); insufficient funds
    /// is retried like R01; other ISO codes still need a person.
    #[test]
    fn iso_reason_codes_are_classed_like_their_nacha_counterparts() {
        use super::{failure_class, iso_reason, ReturnClass};
        for code in ["AC01", "AC04", "AC06", "BE01", "MD07", "RC01"] {
            assert_eq!(failure_class(code), ReturnClass::BadAccount, "{code}");
        }
        assert_eq!(failure_class("AM04"), ReturnClass::Transient);
        assert_eq!(failure_class("AG01"), ReturnClass::Refused);
        assert_eq!(failure_class("NARR"), ReturnClass::Refused);
        assert_eq!(
            iso_reason("AC04").map(|r| r.0),
            Some("Closed account number")
        );
        assert_eq!(iso_reason("AC4"), None);
    }
}

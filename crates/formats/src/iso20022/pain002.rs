//! ISO 20022 pain.002 customer payment status report reader (versions .001.03 to .001.11):
//! the bank's answer to our pain.001.
//!
//! Namespace-agnostic like the camt readers (local names only; bank variants such as SIX
//! `.ch.` schemas read the same). A status given at group (`GrpSts`) or payment-information
//! (`PmtInfSts`) level applies to every transaction under it that states none, with that
//! level's reasons; `PART` (partly accepted) says nothing about one transaction, so it is
//! never inherited. Status codes outside the ISO external code list are refused: the status
//! decides whether money is considered paid.

use rust_decimal::Decimal;

use super::xml::{self, Node};

/// `ExternalPaymentTransactionStatus1Code` / `ExternalPaymentGroupStatus1Code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    /// Accepted customer profile.
    Accp,
    /// Accepted settlement completed (debtor's account debited).
    Acsc,
    /// Accepted settlement in process.
    Acsp,
    /// Accepted technical validation.
    Actc,
    /// Accepted with change.
    Acwc,
    /// Accepted without posting.
    Acwp,
    /// Accepted settlement completed (creditor's account credited).
    Accc,
    /// Pending.
    Pdng,
    /// Rejected.
    Rjct,
    /// Partially accepted (group or payment level only).
    Part,
    /// Received.
    Rcvd,
}

/// What a status means for our payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The bank refused it: the payment failed.
    Rejected,
    /// The money moved (`ACSC`, `ACCC`).
    Settled,
    /// Accepted or pending: on its way, nothing final.
    Pending,
}

impl PaymentStatus {
    /// All codes, for parsing and documentation.
    pub const ALL: [PaymentStatus; 11] = [
        PaymentStatus::Accp,
        PaymentStatus::Acsc,
        PaymentStatus::Acsp,
        PaymentStatus::Actc,
        PaymentStatus::Acwc,
        PaymentStatus::Acwp,
        PaymentStatus::Accc,
        PaymentStatus::Pdng,
        PaymentStatus::Rjct,
        PaymentStatus::Part,
        PaymentStatus::Rcvd,
    ];

    /// The four-letter code.
    pub fn code(self) -> &'static str {
        match self {
            PaymentStatus::Accp => "ACCP",
            PaymentStatus::Acsc => "ACSC",
            PaymentStatus::Acsp => "ACSP",
            PaymentStatus::Actc => "ACTC",
            PaymentStatus::Acwc => "ACWC",
            PaymentStatus::Acwp => "ACWP",
            PaymentStatus::Accc => "ACCC",
            PaymentStatus::Pdng => "PDNG",
            PaymentStatus::Rjct => "RJCT",
            PaymentStatus::Part => "PART",
            PaymentStatus::Rcvd => "RCVD",
        }
    }

    /// Parses a code (exact, upper case as the code list spells it).
    pub fn parse(code: &str) -> Option<PaymentStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// What the status means for one transaction.
    pub fn outcome(self) -> Outcome {
        match self {
            PaymentStatus::Rjct => Outcome::Rejected,
            PaymentStatus::Acsc | PaymentStatus::Accc => Outcome::Settled,
            _ => Outcome::Pending,
        }
    }
}

/// One `StsRsnInf`: the reason code (`Rsn/Cd`, or `Rsn/Prtry`) and its `AddtlInf` lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusReason {
    /// `Rsn/Cd` (ISO external code, e.g. `AC01`) or `Rsn/Prtry`.
    pub code: Option<String>,
    /// True when the code is proprietary (`Rsn/Prtry`).
    pub proprietary: bool,
    /// `AddtlInf` lines, in order.
    pub additional_info: Vec<String>,
}

impl StatusReason {
    /// `CODE: text` for people.
    pub fn describe(&self) -> String {
        let text = self.additional_info.join(" ");
        match (&self.code, text.is_empty()) {
            (Some(c), true) => c.clone(),
            (Some(c), false) => format!("{c}: {text}"),
            (None, _) => text,
        }
    }
}

/// One transaction's status (`TxInfAndSts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionStatus {
    /// `StsId`.
    pub status_id: Option<String>,
    /// `OrgnlInstrId`.
    pub original_instruction_id: Option<String>,
    /// `OrgnlEndToEndId`.
    pub original_end_to_end_id: Option<String>,
    /// `TxSts` as given, else inherited from the payment or group level; `None` when no level
    /// says anything about this transaction.
    pub status: Option<PaymentStatus>,
    /// True when `status` came from the payment or group level.
    pub inherited: bool,
    /// Reasons of the level the status came from.
    pub reasons: Vec<StatusReason>,
    /// `OrgnlTxRef/Amt/InstdAmt` (or `EqvtAmt/Amt`): the amount we instructed.
    pub amount: Option<Decimal>,
    /// Its `@Ccy`.
    pub currency: Option<String>,
    /// 1-based line of `<TxInfAndSts>`.
    pub line: usize,
}

/// One `OrgnlPmtInfAndSts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentInfoStatus {
    /// `OrgnlPmtInfId`.
    pub original_payment_info_id: String,
    /// `PmtInfSts`.
    pub status: Option<PaymentStatus>,
    /// Its reasons.
    pub reasons: Vec<StatusReason>,
    /// Its transactions.
    pub transactions: Vec<TransactionStatus>,
    /// 1-based line.
    pub line: usize,
}

/// A pain.002 customer payment status report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// `pain.002.001.NN` from the namespace, when it names one.
    pub version: Option<String>,
    /// `GrpHdr/MsgId`.
    pub message_id: String,
    /// `GrpHdr/CreDtTm` as written.
    pub created_at: Option<String>,
    /// `OrgnlGrpInfAndSts/OrgnlMsgId`: our pain.001 message id.
    pub original_message_id: String,
    /// `OrgnlMsgNmId`, e.g. `pain.001.001.03`.
    pub original_message_name: Option<String>,
    /// `GrpSts`.
    pub group_status: Option<PaymentStatus>,
    /// Group-level reasons.
    pub group_reasons: Vec<StatusReason>,
    /// `OrgnlPmtInfAndSts`, in order.
    pub payments: Vec<PaymentInfoStatus>,
}

impl StatusReport {
    /// Every transaction of every payment-information block, in file order.
    pub fn transactions(&self) -> impl Iterator<Item = &TransactionStatus> {
        self.payments.iter().flat_map(|p| p.transactions.iter())
    }
}

/// Why a pain.002 could not be read; every variant names the input line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Pain002Error {
    /// Nothing to read.
    #[error("input is empty")]
    Empty,
    /// Not well-formed XML.
    #[error("line {line}: XML: {message}")]
    Xml {
        /// 1-based line.
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// Well-formed, but not a pain.002 or missing a required element.
    #[error("line {line}: {element}: {message}")]
    Structure {
        /// 1-based line.
        line: usize,
        /// Element path.
        element: String,
        /// What is wrong.
        message: String,
    },
    /// An element has a bad value.
    #[error("line {line}: {element} '{value}' {problem}")]
    Field {
        /// 1-based line.
        line: usize,
        /// Element path.
        element: String,
        /// The value (at most 40 characters).
        value: String,
        /// What is wrong.
        problem: String,
    },
}

impl Pain002Error {
    /// The 1-based line the error refers to, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            Pain002Error::Empty => None,
            Pain002Error::Xml { line, .. }
            | Pain002Error::Structure { line, .. }
            | Pain002Error::Field { line, .. } => Some(*line),
        }
    }
}

fn structure(n: &Node, element: &str, message: impl Into<String>) -> Pain002Error {
    Pain002Error::Structure {
        line: n.line,
        element: element.to_string(),
        message: message.into(),
    }
}

fn field(n: &Node, element: &str, problem: &str) -> Pain002Error {
    Pain002Error::Field {
        line: n.line,
        element: element.to_string(),
        value: n.text.chars().take(40).collect(),
        problem: problem.to_string(),
    }
}

fn text(n: &Node, path: &[&str]) -> Option<String> {
    n.text_at(path).map(str::to_string)
}

fn required(n: &Node, name: &str, ctx: &str) -> Result<String, Pain002Error> {
    text(n, &[name]).ok_or_else(|| structure(n, ctx, format!("missing required <{name}>")))
}

fn status(n: &Node, name: &str, ctx: &str) -> Result<Option<PaymentStatus>, Pain002Error> {
    match n.child(name) {
        None => Ok(None),
        Some(s) => PaymentStatus::parse(&s.text).map(Some).ok_or_else(|| {
            field(
                s,
                &format!("{ctx}/{name}"),
                "is not an ISO payment status code (ACCP ACSC ACSP ACTC ACWC ACWP ACCC PDNG RJCT PART RCVD)",
            )
        }),
    }
}

fn reasons(n: &Node) -> Vec<StatusReason> {
    n.all("StsRsnInf")
        .map(|r| {
            let cd = text(r, &["Rsn", "Cd"]);
            let prtry = text(r, &["Rsn", "Prtry"]);
            StatusReason {
                proprietary: cd.is_none() && prtry.is_some(),
                code: cd.or(prtry),
                additional_info: r
                    .all("AddtlInf")
                    .map(|a| a.text.clone())
                    .filter(|t| !t.is_empty())
                    .collect(),
            }
        })
        .collect()
}

/// `OrgnlTxRef/Amt`: `InstdAmt`, else `EqvtAmt/Amt`; unsigned decimal with a 3-letter `@Ccy`.
fn amount(t: &Node) -> Result<(Option<Decimal>, Option<String>), Pain002Error> {
    let Some(amt) = t.at(&["OrgnlTxRef", "Amt"]) else {
        return Ok((None, None));
    };
    let Some(a) = amt
        .child("InstdAmt")
        .or_else(|| amt.at(&["EqvtAmt", "Amt"]))
    else {
        return Ok((None, None));
    };
    const CTX: &str = "OrgnlTxRef/Amt/InstdAmt";
    let v = a.text.as_str();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || int.len() + frac.len() > 18 {
        return Err(field(a, CTX, "is not an unsigned decimal amount"));
    }
    let value = v.parse().map_err(|_| field(a, CTX, "is not an amount"))?;
    let ccy = a.attr("Ccy").map(str::to_string);
    if let Some(c) = &ccy {
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Pain002Error::Field {
                line: a.line,
                element: format!("{CTX}/@Ccy"),
                value: c.chars().take(40).collect(),
                problem: "is not a 3-letter currency code".into(),
            });
        }
    }
    Ok((Some(value), ccy))
}

/// The status a level passes down: any status but `PART`, with that level's reasons.
type Inherited<'a> = Option<(PaymentStatus, &'a [StatusReason])>;

fn transaction(t: &Node, from: Inherited<'_>) -> Result<TransactionStatus, Pain002Error> {
    const CTX: &str = "TxInfAndSts";
    let own = status(t, "TxSts", CTX)?;
    let (amount, currency) = amount(t)?;
    let (status, inherited, reasons) = match (own, from) {
        (Some(s), _) => (Some(s), false, reasons(t)),
        (None, Some((s, r))) => (Some(s), true, r.to_vec()),
        (None, None) => (None, false, reasons(t)),
    };
    Ok(TransactionStatus {
        status_id: text(t, &["StsId"]),
        original_instruction_id: text(t, &["OrgnlInstrId"]),
        original_end_to_end_id: text(t, &["OrgnlEndToEndId"]),
        status,
        inherited,
        reasons,
        amount,
        currency,
        line: t.line,
    })
}

fn passes_down(s: Option<PaymentStatus>, r: &[StatusReason]) -> Inherited<'_> {
    s.filter(|s| *s != PaymentStatus::Part).map(|s| (s, r))
}

fn payment(p: &Node, group: Inherited<'_>) -> Result<PaymentInfoStatus, Pain002Error> {
    const CTX: &str = "OrgnlPmtInfAndSts";
    let st = status(p, "PmtInfSts", CTX)?;
    let rs = reasons(p);
    // The nearer level wins; a payment-level PART still lets a group-level status through.
    let from = passes_down(st, &rs).or(group);
    let transactions = p
        .all("TxInfAndSts")
        .map(|t| transaction(t, from))
        .collect::<Result<_, _>>()?;
    Ok(PaymentInfoStatus {
        original_payment_info_id: required(p, "OrgnlPmtInfId", CTX)?,
        status: st,
        reasons: rs,
        transactions,
        line: p.line,
    })
}

/// Reads a pain.002.001.03 … .11 status report.
pub fn read(input: &str) -> Result<StatusReport, Pain002Error> {
    let input = input.trim_start_matches('\u{feff}');
    if input.trim().is_empty() {
        return Err(Pain002Error::Empty);
    }
    let root = xml::parse(input).map_err(|e| Pain002Error::Xml {
        line: e.line,
        message: e.message,
    })?;
    let version = root
        .attr("xmlns")
        .and_then(|ns| ns.find("pain.002.").map(|i| &ns[i..]))
        .map(|v| v.chars().take(15).collect::<String>());
    let msg = if root.name == "Document" {
        root.children
            .first()
            .ok_or_else(|| structure(&root, "Document", "no message element inside"))?
    } else {
        &root
    };
    // Early drafts suffix the element with the version (`CstmrPmtStsRptV03`).
    if !msg.name.starts_with("CstmrPmtStsRpt") {
        return Err(structure(
            msg,
            &msg.name,
            "not a pain.002 message (expected CstmrPmtStsRpt)",
        ));
    }
    let hdr = msg
        .child("GrpHdr")
        .ok_or_else(|| structure(msg, "CstmrPmtStsRpt", "missing required <GrpHdr>"))?;
    let grp = msg.child("OrgnlGrpInfAndSts").ok_or_else(|| {
        structure(
            msg,
            "CstmrPmtStsRpt",
            "missing required <OrgnlGrpInfAndSts>",
        )
    })?;
    let group_status = status(grp, "GrpSts", "OrgnlGrpInfAndSts")?;
    let group_reasons = reasons(grp);
    let inherit = passes_down(group_status, &group_reasons);
    let payments = msg
        .all("OrgnlPmtInfAndSts")
        .map(|p| payment(p, inherit))
        .collect::<Result<_, _>>()?;
    let report = StatusReport {
        version,
        message_id: required(hdr, "MsgId", "GrpHdr")?,
        created_at: text(hdr, &["CreDtTm"]),
        original_message_id: required(grp, "OrgnlMsgId", "OrgnlGrpInfAndSts")?,
        original_message_name: text(grp, &["OrgnlMsgNmId"]),
        group_status,
        group_reasons,
        payments,
    };
    // A report that states no status anywhere answers nothing; it is a broken file.
    let silent = report.group_status.is_none()
        && report.payments.iter().all(|p| p.status.is_none())
        && report.transactions().all(|t| t.status.is_none());
    if silent {
        return Err(structure(
            grp,
            "OrgnlGrpInfAndSts",
            "no status at group (GrpSts), payment (PmtInfSts) or transaction (TxSts) level",
        ));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.11">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2026-03-31T10:00:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts><OrgnlMsgId>CLW-1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>P1</OrgnlPmtInfId>
      <TxInfAndSts>
        <OrgnlInstrId>I1</OrgnlInstrId><OrgnlEndToEndId>E2E-1</OrgnlEndToEndId><TxSts>RJCT</TxSts>
        <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Closed account</AddtlInf></StsRsnInf>
        <OrgnlTxRef><Amt><InstdAmt Ccy="EUR">1250.50</InstdAmt></Amt></OrgnlTxRef>
      </TxInfAndSts>
      <TxInfAndSts><OrgnlEndToEndId>E2E-2</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>
    </OrgnlPmtInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>P2</OrgnlPmtInfId><PmtInfSts>PDNG</PmtInfSts>
      <StsRsnInf><Rsn><Prtry>WAIT</Prtry></Rsn></StsRsnInf>
      <TxInfAndSts><OrgnlEndToEndId>E2E-3</OrgnlEndToEndId></TxInfAndSts>
    </OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>
"#;

    #[test]
    fn reads_transaction_payment_and_group_levels() {
        let r = read(REPORT).unwrap();
        assert_eq!(r.version.as_deref(), Some("pain.002.001.11"));
        assert_eq!(r.message_id, "STS-1");
        assert_eq!(r.original_message_id, "CLW-1");
        assert_eq!(r.group_status, Some(PaymentStatus::Part));
        let t: Vec<_> = r.transactions().collect();
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].original_end_to_end_id.as_deref(), Some("E2E-1"));
        assert_eq!(t[0].status, Some(PaymentStatus::Rjct));
        assert_eq!(t[0].reasons[0].describe(), "AC04: Closed account");
        assert_eq!(t[0].amount, Some("1250.50".parse().unwrap()));
        assert_eq!(t[0].currency.as_deref(), Some("EUR"));
        assert_eq!(t[0].line, 8);
        assert_eq!(
            t[1].status.map(PaymentStatus::outcome),
            Some(Outcome::Settled)
        );
        assert_eq!(t[2].status, Some(PaymentStatus::Pdng));
        assert!(t[2].inherited);
        assert_eq!(t[2].reasons[0].code.as_deref(), Some("WAIT"));
        assert!(t[2].reasons[0].proprietary);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_mangled_reports(at in 0usize..2000, junk in "[<>/&#;A-Za-z0-9 .=\"]{0,12}") {
            let mut s = REPORT.to_string();
            let at = at.min(s.len());
            s.insert_str(at, &junk);
            let _ = read(&s);
            let _ = read(&s[..at]);
        }
    }

    #[test]
    fn refuses_unknown_status_and_bad_amounts_naming_the_line() {
        let e = read(&REPORT.replace("<TxSts>ACSC", "<TxSts>DONE")).unwrap_err();
        assert_eq!(e.line(), Some(13), "{e}");
        assert!(e.to_string().contains("TxInfAndSts/TxSts 'DONE'"), "{e}");
        let e = read(&REPORT.replace("1250.50", "1,250.50")).unwrap_err();
        assert_eq!(e.line(), Some(11), "{e}");
        let e = read(&REPORT.replace("<MsgId>STS-1</MsgId>", "")).unwrap_err();
        assert!(e.to_string().contains("missing required <MsgId>"), "{e}");
        let e = read("<Document><BkToCstmrStmt/></Document>").unwrap_err();
        assert!(e.to_string().contains("not a pain.002"), "{e}");
        assert_eq!(read(" "), Err(Pain002Error::Empty));
        assert!(matches!(read("<a>"), Err(Pain002Error::Xml { .. })));
    }
}

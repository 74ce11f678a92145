//! ISO 20022 camt.053 (bank-to-customer statement) reader, versions .001.02 through .001.08;
//! also camt.052 (account report) and camt.054 (debit/credit notification), whose `Ntry`
//! structure is the same.
//!
//! Namespace-agnostic: elements are matched by local name, so any version, prefix or bank
//! namespace variant (e.g. SIX `.ch.` schemas) reads the same way. Mapping to [`Statement`]:
//! `Stmt`/`Rpt`/`Ntfctn` → one statement; `Acct/Id/IBAN` (or `Othr/Id`) → account;
//! `Bal` `OPBD` (else `PRCD`) → opening, `CLBD` → closing, `CLAV` → available; each `Ntry` →
//! one [`StatementLine`] whose amount is the **entry total** (signed by `CdtDbtInd`, `DBIT`
//! negative), with every `NtryDtls/TxDtls` in [`StatementLine::transactions`].
//!
//! Reversals: `RvslInd` sets [`StatementLine::reversal`] but does not flip the sign, because
//! the bank already books a reversal with the opposite `CdtDbtInd` of the original.
//!
//! Check: for camt.053, `opening + Σ booked entries = closing` (both balances present, same
//! currency; `PDNG`/`INFO` entries left out) is only a **warning** by default, unlike MT940:
//! a real PostFinance statement in our conformance set lists a forward-value entry that its
//! `CLBD` excludes (it is in `FWAV`), so the identity does not hold for valid bank files.
//! [`ReadOptions::strict_balances`] turns the mismatch into [`StatementError::BalanceMismatch`].

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::iso20022::xml::{self, Node};

use super::{
    Balance, Counterparty, Statement, StatementError, StatementFormat, StatementLine,
    TransactionDetails,
};

/// Reader switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadOptions {
    /// Reject (instead of warn about) a camt.053 statement whose opening + booked entries != closing.
    pub strict_balances: bool,
}

/// Reads every statement/report/notification of a camt.052/053/054 document.
pub fn read(input: &str) -> Result<Vec<Statement>, StatementError> {
    read_with(input, &ReadOptions::default())
}

/// [`read`] with explicit options.
pub fn read_with(input: &str, opts: &ReadOptions) -> Result<Vec<Statement>, StatementError> {
    let input = input.trim_start_matches('\u{feff}');
    if input.trim().is_empty() {
        return Err(StatementError::Empty);
    }
    let root =
        xml::parse(input).map_err(|e| StatementError::structure(e.line, "XML", e.message))?;
    // Some banks omit the `Document` wrapper; accept the message element as root.
    let msg = if root.name == "Document" {
        root.children.first().ok_or_else(|| {
            StatementError::structure(root.line, "Document", "no message element inside")
        })?
    } else {
        &root
    };
    // Version .01 names the message element with a suffix (`BkToCstmrAcctRptV01`).
    let base = msg.name.strip_suffix("V01").unwrap_or(msg.name.as_str());
    let (format, record) = match base {
        "BkToCstmrStmt" => (StatementFormat::Camt053, "Stmt"),
        "BkToCstmrAcctRpt" => (StatementFormat::Camt052, "Rpt"),
        "BkToCstmrDbtCdtNtfctn" => (StatementFormat::Camt054, "Ntfctn"),
        other => {
            return Err(StatementError::structure(
                msg.line,
                other,
                "not a camt.052/053/054 message (expected BkToCstmrStmt, BkToCstmrAcctRpt or BkToCstmrDbtCdtNtfctn)",
            ))
        }
    };
    let mut out = Vec::new();
    for r in msg.all(record) {
        let mut st = statement(input, r, format, base)?;
        if format == StatementFormat::Camt053 {
            match verify(&st, r) {
                Err(e) if opts.strict_balances => return Err(e),
                Err(e) => st.warnings.push(e.to_string()),
                Ok(()) => {}
            }
        }
        out.push(st);
    }
    if out.is_empty() {
        return Err(StatementError::Empty);
    }
    Ok(out)
}

/// Element path for error messages, e.g. `Stmt/Ntry/Amt`.
fn path(parent: &str, name: &str) -> String {
    format!("{parent}/{name}")
}

fn req<'a>(n: &'a Node, name: &str, ctx: &str) -> Result<&'a Node, StatementError> {
    n.child(name).ok_or_else(|| {
        StatementError::structure(n.line, ctx, format!("missing required element <{name}>"))
    })
}

fn text(n: &Node, p: &[&str]) -> Option<String> {
    n.text_at(p).map(str::to_string)
}

/// `ActiveOrHistoricCurrencyAndAmount`: unsigned decimal, `.` separator, ≤ 18 digits.
fn amount(n: &Node, ctx: &str) -> Result<(Decimal, Option<String>), StatementError> {
    let t = n.text.as_str();
    let bad = |problem: &str| StatementError::field(n.line, ctx, "amount", t, problem);
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (t.contains('.') && frac.is_empty())
    {
        return Err(bad("is not an unsigned decimal amount"));
    }
    if int.len() + frac.len() > 18 {
        return Err(bad("has more than 18 digits"));
    }
    let value: Decimal = t.parse().map_err(|_| bad("is not a valid amount"))?;
    let ccy = match n.attr("Ccy") {
        Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => Some(c.to_string()),
        Some(c) => {
            return Err(StatementError::field(
                n.line,
                ctx,
                "Ccy",
                c,
                "is not a 3-letter currency code",
            ))
        }
        None => None,
    };
    Ok((value, ccy))
}

/// Applies `CdtDbtInd` (sibling of the amount): `DBIT` negative, `CRDT` positive.
fn signed(parent: &Node, value: Decimal, ctx: &str) -> Result<Decimal, StatementError> {
    match parent.child("CdtDbtInd").map(|n| (n, n.text.as_str())) {
        Some((_, "CRDT")) => Ok(value),
        Some((_, "DBIT")) => Ok(-value),
        Some((n, other)) => Err(StatementError::field(
            n.line,
            &path(ctx, "CdtDbtInd"),
            "CdtDbtInd",
            other,
            "is not CRDT or DBIT",
        )),
        // Required by every schema version; a zero amount has no direction, so tolerate it.
        None if value.is_zero() => Ok(value),
        None => Err(StatementError::structure(
            parent.line,
            ctx,
            "missing required element <CdtDbtInd>",
        )),
    }
}

/// `DateAndDateTimeChoice`: `<Dt>` or `<DtTm>`. A date-time keeps the date as written (the
/// bank's local calendar day), not converted to UTC, because booking days are local.
fn date_choice(n: &Node, ctx: &str) -> Result<Option<NaiveDate>, StatementError> {
    let (el, t) = match (n.child("Dt"), n.child("DtTm")) {
        (Some(d), _) => (d, d.text.as_str()),
        (None, Some(d)) => (d, d.text.as_str()),
        (None, None) => return Ok(None),
    };
    let day = t.get(..10).unwrap_or(t);
    let tail_ok = t.len() == 10 || matches!(t.as_bytes().get(10), Some(b'T' | b'+' | b'-' | b'Z'));
    match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) if tail_ok => Ok(Some(d)),
        _ => Err(StatementError::field(
            el.line,
            &path(ctx, &el.name),
            &el.name,
            t,
            "is not an ISO date (YYYY-MM-DD) or date-time",
        )),
    }
}

/// The day of an `ISODateTime` element (its first 10 characters), `None` when absent.
fn date_time_day(n: Option<&Node>, record: &str) -> Result<Option<NaiveDate>, StatementError> {
    let Some(n) = n else { return Ok(None) };
    let t = n.text.as_str();
    match t
        .get(..10)
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
    {
        Some(Ok(d)) => Ok(Some(d)),
        _ => Err(StatementError::field(
            n.line,
            record,
            &n.name,
            t,
            "is not an ISO date-time (YYYY-MM-DDThh:mm:ss)",
        )),
    }
}

/// Account id: `Id/IBAN`, else `Id/Othr/Id`, else (camt.052.001.01 style) any `Id` text.
fn account_id(acct: &Node) -> Option<String> {
    text(acct, &["Id", "IBAN"])
        .or_else(|| text(acct, &["Id", "Othr", "Id"]))
        .or_else(|| text(acct, &["Id", "PrtryAcct", "Id"]))
        .or_else(|| text(acct, &["Id", "BBAN"]))
}

/// Party name: `Nm` (≤ .07), or in .08's `Party40Choice` `Pty/Nm` or a bank `Agt/FinInstnId/Nm`.
fn party_name(p: &Node) -> Option<String> {
    text(p, &["Nm"])
        .or_else(|| text(p, &["Pty", "Nm"]))
        .or_else(|| text(p, &["Agt", "FinInstnId", "Nm"]))
}

fn party(parties: &Node, who: &str, acct: &str) -> Option<Counterparty> {
    let name = parties.child(who).and_then(party_name);
    let account = parties.child(acct).and_then(account_id);
    (name.is_some() || account.is_some()).then_some(Counterparty { name, account })
}

/// `BkTxCd`: `Domn/Cd/Fmly/Cd/SubFmlyCd` as `D/F/S`, else `Prtry/Cd`.
fn bank_tx_code(n: &Node) -> Option<String> {
    let b = n.child("BkTxCd")?;
    if let Some(d) = b.child("Domn") {
        let parts = [
            d.text_at(&["Cd"]),
            d.text_at(&["Fmly", "Cd"]),
            d.text_at(&["Fmly", "SubFmlyCd"]),
        ];
        if parts.iter().all(Option::is_some) {
            return Some(
                parts
                    .iter()
                    .flatten()
                    .copied()
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
    }
    text(b, &["Prtry", "Cd"])
}

fn balance(b: &Node, ctx: &str) -> Result<(Option<String>, Balance), StatementError> {
    let ctx = path(ctx, "Bal");
    // `Tp/CdOrPrtry/Cd` since .02; `Tp/Cd` in camt.052.001.01. Either way the first `Cd`.
    let code = b
        .child("Tp")
        .and_then(|t| t.find("Cd").or_else(|| t.find("Prtry")))
        .map(|n| n.text.clone());
    let amt = req(b, "Amt", &ctx)?;
    let (value, currency) = amount(amt, &path(&ctx, "Amt"))?;
    let value = signed(b, value, &ctx)?;
    let date = match b.child("Dt") {
        Some(d) => date_choice(d, &path(&ctx, "Dt"))?,
        None => None,
    };
    Ok((
        code,
        Balance {
            amount: value,
            date,
            currency,
            intermediate: false,
        },
    ))
}

fn tx_details(t: &Node, ctx: &str) -> Result<TransactionDetails, StatementError> {
    let ctx = path(ctx, "TxDtls");
    // `AmtDtls/TxAmt/Amt` (all versions) or `Amt` + `CdtDbtInd` (.03+).
    let (amount, currency) = match (t.child("Amt"), t.at(&["AmtDtls", "TxAmt", "Amt"])) {
        (Some(a), _) => {
            let (v, c) = amount(a, &path(&ctx, "Amt"))?;
            let v = if t.child("CdtDbtInd").is_some() {
                signed(t, v, &ctx)?
            } else {
                v
            };
            (Some(v), c)
        }
        (None, Some(a)) => {
            let (v, c) = amount(a, &path(&ctx, "AmtDtls/TxAmt/Amt"))?;
            (Some(v), c)
        }
        (None, None) => (None, None),
    };
    let refs = |name: &str| text(t, &["Refs", name]);
    let (debtor, creditor) = match t.child("RltdPties") {
        Some(p) => (party(p, "Dbtr", "DbtrAcct"), party(p, "Cdtr", "CdtrAcct")),
        None => (None, None),
    };
    let rmt = t.child("RmtInf");
    Ok(TransactionDetails {
        amount,
        currency,
        message_id: refs("MsgId"),
        account_servicer_reference: refs("AcctSvcrRef"),
        payment_information_id: refs("PmtInfId"),
        instruction_id: refs("InstrId"),
        end_to_end_id: refs("EndToEndId"),
        transaction_id: refs("TxId"),
        uetr: refs("UETR"),
        debtor,
        creditor,
        remittance: rmt
            .map(|r| {
                r.all("Ustrd")
                    .map(|u| u.text.clone())
                    .filter(|u| !u.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        creditor_reference: rmt.and_then(|r| {
            r.all("Strd")
                .find_map(|s| s.text_at(&["CdtrRefInf", "Ref"]).map(str::to_string))
        }),
        bank_transaction_code: bank_tx_code(t),
        return_reason: text(t, &["RtrInf", "Rsn", "Cd"])
            .or_else(|| text(t, &["RtrInf", "Rsn", "Prtry"])),
        additional_info: text(t, &["AddtlTxInf"]),
        line: t.line,
    })
}

fn entry(input: &str, n: &Node, ctx: &str) -> Result<StatementLine, StatementError> {
    let ctx = path(ctx, "Ntry");
    let amt = req(n, "Amt", &ctx)?;
    let (value, _ccy) = amount(amt, &path(&ctx, "Amt"))?;
    let value = signed(n, value, &ctx)?;
    let reversal = match n.child("RvslInd").map(|r| (r, r.text.as_str())) {
        None | Some((_, "false" | "0")) => false,
        Some((_, "true" | "1")) => true,
        Some((r, other)) => {
            return Err(StatementError::field(
                r.line,
                &path(&ctx, "RvslInd"),
                "RvslInd",
                other,
                "is not a boolean",
            ))
        }
    };
    // `Sts` is a code up to .07 and `Sts/Cd` (or `Sts/Prtry`) in .08.
    let status = n.child("Sts").and_then(|s| {
        Some(s.text.clone())
            .filter(|t| !t.is_empty())
            .or_else(|| text(s, &["Cd"]))
            .or_else(|| text(s, &["Prtry"]))
    });
    let booking_date = match n.child("BookgDt") {
        Some(d) => date_choice(d, &path(&ctx, "BookgDt"))?,
        None => None,
    };
    let value_date = match n.child("ValDt") {
        Some(d) => date_choice(d, &path(&ctx, "ValDt"))?,
        None => None,
    };
    let mut transactions = Vec::new();
    for d in n.all("NtryDtls") {
        for t in d.all("TxDtls") {
            transactions.push(tx_details(t, &path(&ctx, "NtryDtls"))?);
        }
    }
    let single = (transactions.len() == 1).then(|| &transactions[0]);
    // The counterparty is the other side: who paid us on a credit, whom we paid on a debit.
    let counterparty = single.and_then(|t| {
        if value.is_sign_negative() {
            t.creditor.clone()
        } else {
            t.debtor.clone()
        }
    });
    let remittance: Vec<&str> = transactions
        .iter()
        .flat_map(|t| t.remittance.iter().map(String::as_str))
        .collect();
    let extra = text(n, &["AddtlNtryInf"]);
    let description = if remittance.is_empty() {
        extra.clone().unwrap_or_default()
    } else {
        remittance.join(" ")
    };
    Ok(StatementLine {
        amount: value,
        currency: None,
        value_date,
        booking_date,
        bank_reference: text(n, &["AcctSvcrRef"])
            .or_else(|| single.and_then(|t| t.account_servicer_reference.clone())),
        customer_reference: single
            .and_then(|t| t.end_to_end_id.clone().or_else(|| t.instruction_id.clone()))
            .or_else(|| text(n, &["NtryRef"])),
        type_code: bank_tx_code(n)
            .or_else(|| single.and_then(|t| t.bank_transaction_code.clone()))
            .unwrap_or_default(),
        reversal,
        funds_code: None,
        funds: None,
        counterparty,
        supplementary_details: extra,
        description,
        line: n.line,
        // The span comes from the parser over `input`, so it is always in range.
        raw: input
            .get(n.span.0..n.span.1)
            .unwrap_or_default()
            .to_string(),
        status,
        transactions,
    })
}

fn statement(
    input: &str,
    r: &Node,
    format: StatementFormat,
    msg: &str,
) -> Result<Statement, StatementError> {
    let ctx = r.name.clone();
    let acct = req(r, "Acct", &ctx)?;
    let account = account_id(acct).ok_or_else(|| {
        StatementError::structure(
            acct.line,
            &path(&ctx, "Acct"),
            "no IBAN or Othr/Id account id",
        )
    })?;
    let (mut opening, mut prcd, mut closing, mut available) = (None, None, None, None);
    for b in r.all("Bal") {
        let (code, bal) = balance(b, &ctx)?;
        let slot = match code.as_deref() {
            Some("OPBD") => &mut opening,
            Some("PRCD") => &mut prcd,
            Some("CLBD") => &mut closing,
            Some("CLAV") => &mut available,
            _ => continue,
        };
        // First of each type wins: some banks repeat a type with per-date breakdowns.
        if slot.is_none() {
            *slot = Some(bal);
        }
    }
    let mut lines = Vec::new();
    for n in r.all("Ntry") {
        lines.push(entry(input, n, &ctx)?);
    }
    let currency = text(acct, &["Ccy"])
        .or_else(|| closing.as_ref().and_then(|b: &Balance| b.currency.clone()))
        .or_else(|| opening.as_ref().and_then(|b: &Balance| b.currency.clone()));
    let created = date_time_day(r.child("CreDtTm"), &path(&ctx, "CreDtTm"))?;
    let period_end = date_time_day(r.at(&["FrToDt", "ToDtTm"]), &path(&ctx, "FrToDt/ToDtTm"))?;
    let mut warnings = Vec::new();
    if msg == "BkToCstmrStmt" && r.child("Ntry").is_none() && r.child("TxsSummry").is_some() {
        warnings.push("statement has a transaction summary but no entries".to_string());
    }
    Ok(Statement {
        format,
        account_id: account,
        currency,
        encoding: None,
        reference: text(r, &["Id"]),
        statement_number: text(r, &["ElctrncSeqNb"]).or_else(|| text(r, &["LglSeqNb"])),
        statement_date: closing
            .as_ref()
            .and_then(|b: &Balance| b.date)
            .or(period_end)
            .or(created),
        opening_balance: opening.or(prcd),
        closing_balance: closing,
        available_balance: available,
        information: text(r, &["AddtlStmtInf"])
            .or_else(|| text(r, &["AddtlRptInf"]))
            .or_else(|| text(r, &["AddtlNtfctnInf"])),
        lines,
        warnings,
        line: r.line,
    })
}

/// opening + Σ booked entries = closing, when both are present in one currency.
fn verify(st: &Statement, r: &Node) -> Result<(), StatementError> {
    let (Some(o), Some(c)) = (&st.opening_balance, &st.closing_balance) else {
        return Ok(());
    };
    if o.currency != c.currency {
        return Ok(());
    }
    let total: Decimal = st
        .lines
        .iter()
        .filter(|l| matches!(l.status.as_deref(), None | Some("BOOK")))
        .map(|l| l.amount)
        .sum();
    if o.amount + total != c.amount {
        let line = r
            .all("Bal")
            .find(|b| b.find("Cd").is_some_and(|n| n.text == "CLBD"))
            .map_or(r.line, |b| b.line);
        return Err(StatementError::BalanceMismatch {
            line,
            record: format!("{}/Bal CLBD", r.name),
            opening: o.amount,
            lines_total: total,
            expected: o.amount + total,
            closing: c.amount,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn doc(body: &str) -> String {
        format!(
            r#"<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>M</MsgId><CreDtTm>2024-01-02T10:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2024-01-02T10:00:00</CreDtTm>
<Acct><Id><Othr><Id>12345</Id></Othr></Id><Ccy>USD</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">70.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-02</Dt></Dt></Bal>
{body}
</Stmt></BkToCstmrStmt></Document>"#
        )
    }

    const BATCH: &str = r#"<Ntry><Amt Ccy="USD">29.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>false</RvslInd>
<Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>2024-01-02T23:30:00-05:00</DtTm></BookgDt><ValDt><Dt>2024-01-02</Dt></ValDt>
<AcctSvcrRef>BANKREF</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>
<TxDtls><Refs><EndToEndId>E1</EndToEndId></Refs><Amt Ccy="USD">20.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>
<RltdPties><Cdtr><Pty><Nm>Ann &amp; Co</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></CdtrAcct></RltdPties>
<RmtInf><Ustrd>Distribution Q4</Ustrd></RmtInf></TxDtls>
<TxDtls><Refs><EndToEndId>E2</EndToEndId></Refs><Amt Ccy="USD">9.50</Amt><CdtDbtInd>DBIT</CdtDbtInd></TxDtls>
</NtryDtls></Ntry>"#;

    #[test]
    fn reads_batch_entry_with_details() {
        let s = read(&doc(BATCH)).unwrap();
        assert_eq!(s.len(), 1);
        let st = &s[0];
        assert_eq!(st.format, StatementFormat::Camt053);
        assert_eq!(st.account_id, "12345");
        assert_eq!(st.currency.as_deref(), Some("USD"));
        assert_eq!(
            st.opening_balance.as_ref().unwrap().amount,
            Decimal::from(100)
        );
        let l = &st.lines[0];
        assert_eq!(l.amount, Decimal::from_str("-29.50").unwrap());
        // DtTm keeps the bank's local day rather than the UTC one (which would be Jan 3).
        assert_eq!(l.booking_date, NaiveDate::from_ymd_opt(2024, 1, 2));
        assert_eq!(l.bank_reference.as_deref(), Some("BANKREF"));
        assert_eq!(l.type_code, "PMNT/ICDT/ESCT");
        assert_eq!(l.status.as_deref(), Some("BOOK"));
        assert_eq!(l.transactions.len(), 2);
        assert_eq!(l.customer_reference, None, "batch: no single end-to-end id");
        let t = &l.transactions[0];
        assert_eq!(t.amount, Some(Decimal::from_str("-20.00").unwrap()));
        assert_eq!(t.end_to_end_id.as_deref(), Some("E1"));
        let c = t.creditor.as_ref().unwrap();
        assert_eq!(c.name.as_deref(), Some("Ann & Co"));
        assert_eq!(c.account.as_deref(), Some("DE89370400440532013000"));
        assert_eq!(l.description, "Distribution Q4");
        assert!(l.raw.starts_with("<Ntry>") && l.raw.ends_with("</Ntry>"));
    }

    #[test]
    fn balance_mismatch_is_a_warning_unless_strict() {
        let bad = BATCH.replace(
            "29.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>",
            "29.40</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>",
        );
        let strict = ReadOptions {
            strict_balances: true,
        };
        let e = read_with(&doc(&bad), &strict).unwrap_err();
        assert!(
            matches!(e, StatementError::BalanceMismatch { line: 7, .. }),
            "{e}"
        );
        let s = read(&doc(&bad)).unwrap();
        assert!(
            s[0].warnings[0].contains("!= closing 70.50"),
            "{:?}",
            s[0].warnings
        );
        assert!(read_with(&doc(BATCH), &strict).unwrap()[0]
            .warnings
            .is_empty());
    }

    #[test]
    fn a_statement_date_time_that_is_not_a_date_is_an_error() {
        // Used to be dropped silently (the statement date then fell back or was missing).
        let bad = doc(BATCH).replace(
            "<Stmt><Id>S1</Id><CreDtTm>2024-01-02T10:00:00</CreDtTm>",
            "<Stmt><Id>S1</Id><CreDtTm>02/01/2024 10:00</CreDtTm>",
        );
        assert_eq!(
            read(&bad).unwrap_err().to_string(),
            "line 4: Stmt/CreDtTm: CreDtTm '02/01/2024 10:00' is not an ISO date-time \
             (YYYY-MM-DDThh:mm:ss)"
        );
        let bad = doc(BATCH).replace(
            "<Acct>",
            "<FrToDt><FrDtTm>2024-01-01T00:00:00</FrDtTm><ToDtTm>2024-13-01T00:00:00</ToDtTm>\
             </FrToDt><Acct>",
        );
        assert_eq!(
            read(&bad).unwrap_err().to_string(),
            "line 5: Stmt/FrToDt/ToDtTm: ToDtTm '2024-13-01T00:00:00' is not an ISO date-time \
             (YYYY-MM-DDThh:mm:ss)"
        );
        let ok = doc("").replace(
            "<Acct>",
            "<FrToDt><ToDtTm>2024-01-03T00:00:00</ToDtTm></FrToDt><Acct>",
        );
        let ok = ok.replace("<Dt><Dt>2024-01-02</Dt></Dt></Bal>", "</Bal>");
        let st = &read(&ok).unwrap()[0];
        assert_eq!(st.statement_date, NaiveDate::from_ymd_opt(2024, 1, 3));
    }

    #[test]
    fn errors_name_element_and_line() {
        let bad = BATCH.replace("29.50", "29,50");
        let e = read(&doc(&bad)).unwrap_err();
        assert_eq!(e.line(), Some(8), "{e}");
        assert!(e.to_string().contains("Stmt/Ntry/Amt"), "{e}");
        let bad = BATCH.replace(
            "<CdtDbtInd>DBIT</CdtDbtInd><RvslInd>",
            "<CdtDbtInd>DEBIT</CdtDbtInd><RvslInd>",
        );
        assert!(read(&doc(&bad))
            .unwrap_err()
            .to_string()
            .contains("CdtDbtInd"));
        let e = read("<Document><Foo/></Document>").unwrap_err();
        assert!(e.to_string().contains("not a camt"), "{e}");
        let e = read("<Document><BkToCstmrStmt>").unwrap_err();
        assert!(e.to_string().contains("XML"), "{e}");
    }
}

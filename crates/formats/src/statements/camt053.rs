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
//! Currency: each entry's `Amt/@Ccy` is kept in [`StatementLine::currency`]. The statement's
//! currency is `Acct/Ccy`, else its entries', else (no entries) its balances'. With `Acct/Ccy`, an entry in
//! another currency is read at its `AmtDtls` counter value in the account currency, else
//! refused. Without `Acct/Ccy`, entries in several currencies make one statement per
//! currency (each with its own balances and a warning saying so): nothing is booked in a
//! currency it is not in, and a multi-currency account is reported that way. A balance in a
//! currency the statement is not in is left out with a warning.
//!
//! Check: for camt.053, `opening + Σ booked entries = closing` ([`super::balance::tie`]) is
//! left in [`Statement::balance_mismatch`] for the caller's [`super::BalancePolicy`];
//! [`ReadOptions::strict_balances`] refuses it here instead. camt.052/054 are not checked
//! (intraday reports and notifications do not carry a statement's balances).

use std::collections::VecDeque;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::iso20022::xml::{self, Node, Pulled};

use super::balance::LineSums;
use super::events;
use super::{
    Balance, Counterparty, Statement, StatementError, StatementEvent, StatementFormat,
    StatementLine, TransactionDetails,
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
    events::collect_some(stream(input, opts))
}

/// The statements of a camt.052/053/054 document as a stream ([`super::events`]): the XML is
/// pulled element by element, and only one `Ntry` (plus its statement's other elements) is
/// built as a tree at a time. A statement starts at its first entry, with the elements
/// before it (the schema puts `Acct` and `Bal` there); a statement split per currency has one
/// start per currency, at its first entry in it.
pub fn stream<'a>(
    input: &'a str,
    opts: &ReadOptions,
) -> impl Iterator<Item = Result<StatementEvent, StatementError>> + 'a {
    let input = input.trim_start_matches('\u{feff}');
    events::Stream::new(Statements {
        input,
        pull: xml::Pull::new(input, detach),
        opts: *opts,
        current: None,
        count: 0,
        out: VecDeque::new(),
        empty: input.trim().is_empty(),
        refusal: None,
    })
}

/// The format and the statement element of a message element.
fn kind(message: &str) -> Option<(StatementFormat, &'static str)> {
    // Version .01 names the message element with a suffix (`BkToCstmrAcctRptV01`).
    match message.strip_suffix("V01").unwrap_or(message) {
        "BkToCstmrStmt" => Some((StatementFormat::Camt053, "Stmt")),
        "BkToCstmrAcctRpt" => Some((StatementFormat::Camt052, "Rpt")),
        "BkToCstmrDbtCdtNtfctn" => Some((StatementFormat::Camt054, "Ntfctn")),
        _ => None,
    }
}

/// Where the camt message element is among the open elements, if it is open.
fn message(open: &[Node]) -> Option<usize> {
    let root = open.first()?;
    // Some banks omit the `Document` wrapper; then the message element is the root.
    let depth = match root.name == "Document" {
        true if !root.children.is_empty() => return None,
        true => 1,
        false => 0,
    };
    kind(&open.get(depth)?.name).map(|_| depth)
}

/// Each statement of the message, and each `Ntry` of a statement, is handed out alone.
fn detach(open: &[Node], n: &Node) -> bool {
    let Some(depth) = message(open) else {
        return false;
    };
    let record = kind(&open[depth].name).map_or("", |k| k.1);
    match open.len() - depth {
        1 => n.name == record,
        2 => n.name == "Ntry" && open[depth + 1].name == record,
        _ => false,
    }
}

type Detach = fn(&[Node], &Node) -> bool;

struct Statements<'a> {
    input: &'a str,
    pull: xml::Pull<'a, Detach>,
    opts: ReadOptions,
    /// The statement element being read, once it has an entry.
    current: Option<Current>,
    /// Statements started so far.
    count: usize,
    out: VecDeque<StatementEvent>,
    empty: bool,
    /// The first balance mismatch, when [`ReadOptions::strict_balances`] refuses it.
    refusal: Option<StatementError>,
}

impl events::Step for Statements<'_> {
    fn step(&mut self) -> Result<bool, StatementError> {
        if self.empty {
            return Err(StatementError::Empty);
        }
        let pulled = self
            .pull
            .next()
            .map_err(|e| StatementError::structure(e.line, "XML", e.message))?;
        match pulled {
            Pulled::Detached(n) if n.name == "Ntry" => self.entry(&n)?,
            Pulled::Detached(r) => self.end(&r)?,
            Pulled::Root(root) => {
                check_message(&root)?;
                return self.refusal.take().map_or(Ok(false), Err);
            }
        }
        Ok(true)
    }

    fn queue(&mut self) -> &mut VecDeque<StatementEvent> {
        &mut self.out
    }
}

impl Statements<'_> {
    /// The statement element being read (with its elements so far but its entries) and its format.
    fn open_record(&self) -> Option<(&Node, StatementFormat)> {
        let open = self.pull.open();
        let depth = message(open)?;
        let format = kind(&open[depth].name)?.0;
        Some((open.get(depth + 1)?, format))
    }

    fn entry(&mut self, n: &Node) -> Result<(), StatementError> {
        if self.current.is_none() {
            let Some((r, format)) = self.open_record() else {
                return Ok(());
            };
            self.current = Some(Current::new(r, format)?);
        }
        let Some(cur) = self.current.as_mut() else {
            return Ok(());
        };
        let line = entry(self.input, n, &cur.ctx, cur.acct_ccy.as_deref())?;
        cur.entries += 1;
        let part = match cur.part_of(&line) {
            Some(i) => i,
            None => {
                let currency = cur.currency_of(&line);
                let head = part(cur.base.clone(), &cur.bals, currency.clone());
                self.out.push_back(StatementEvent::Start(head));
                cur.parts.push((currency, self.count, LineSums::default()));
                self.count += 1;
                cur.parts.len() - 1
            }
        };
        let (_, index, sums) = &mut cur.parts[part];
        sums.add(&line);
        self.out.push_back(StatementEvent::Line(*index, line));
        Ok(())
    }

    /// A statement element read (without its entries): its statements end.
    fn end(&mut self, r: &Node) -> Result<(), StatementError> {
        // The statement element is closed: the message element is the innermost open one.
        let open = self.pull.open();
        let Some((format, _)) = open.last().and_then(|m| kind(&m.name)) else {
            return Ok(());
        };
        let cur = match self.current.take() {
            Some(c) => c,
            None => Current::new(r, format)?,
        };
        for (index, st) in cur.finish(r, &mut self.count, &mut self.out)? {
            if let (Some(m), true) = (&st.balance_mismatch, self.opts.strict_balances) {
                // Refused once the document is read, so a broken document is still named as such.
                self.refusal.get_or_insert_with(|| m.to_error());
            }
            self.out.push_back(StatementEvent::End(index, st));
        }
        Ok(())
    }
}

/// The message element once the document is read: a camt message (its statements were
/// handed out as they were read).
fn check_message(root: &Node) -> Result<(), StatementError> {
    let msg = if root.name == "Document" {
        root.children.first().ok_or_else(|| {
            StatementError::structure(root.line, "Document", "no message element inside")
        })?
    } else {
        root
    };
    match kind(&msg.name) {
        Some(_) => Ok(()),
        None => Err(StatementError::structure(
            msg.line,
            msg.name.strip_suffix("V01").unwrap_or(msg.name.as_str()),
            "not a camt.052/053/054 message (expected BkToCstmrStmt, BkToCstmrAcctRpt or BkToCstmrDbtCdtNtfctn)",
        )),
    }
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

/// The entry's amount in the account's currency `acct` when `Amt` is in another one: the
/// `AmtDtls` counter value (entry level, else its single transaction's) in `acct`.
fn counter_value(n: &Node, acct: &str, ctx: &str) -> Result<Option<Decimal>, StatementError> {
    let mut places = vec![n];
    places.extend(n.all("NtryDtls").flat_map(|d| d.all("TxDtls")).take(2));
    if places.len() > 2 {
        places.truncate(1); // a batch: only the entry's own details speak for its total
    }
    for p in places {
        for kind in ["CntrValAmt", "TxAmt"] {
            if let Some(a) = p.at(&["AmtDtls", kind, "Amt"]) {
                let (v, c) = amount(a, &path(ctx, &format!("AmtDtls/{kind}/Amt")))?;
                if c.as_deref() == Some(acct) {
                    return Ok(Some(v));
                }
            }
        }
    }
    Ok(None)
}

/// Reads one `Ntry`; `acct` is the account currency (`Acct/Ccy`) when the file states it:
/// an entry in another currency is read at its counter value, else refused.
fn entry(
    input: &str,
    n: &Node,
    ctx: &str,
    acct: Option<&str>,
) -> Result<StatementLine, StatementError> {
    let ctx = path(ctx, "Ntry");
    let amt = req(n, "Amt", &ctx)?;
    let (mut value, mut currency) = amount(amt, &path(&ctx, "Amt"))?;
    if let (Some(a), Some(c)) = (acct, currency.as_deref()) {
        if a != c {
            value = counter_value(n, a, &ctx)?.ok_or_else(|| {
                StatementError::field(
                    amt.line,
                    &path(&ctx, "Amt"),
                    "Ccy",
                    c,
                    &format!(
                        "contradicts the account currency {a} (Acct/Ccy), and no AmtDtls gives the amount in {a}"
                    ),
                )
            })?;
            currency = Some(a.to_string());
        }
    }
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
        currency,
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

/// Balances of one `Stmt`, each with the line of its `Bal` element.
#[derive(Default)]
struct Balances {
    opening: Option<(Balance, usize)>,
    prcd: Option<(Balance, usize)>,
    closing: Option<(Balance, usize)>,
    available: Option<(Balance, usize)>,
}

impl Balances {
    fn read(r: &Node, ctx: &str) -> Result<Self, StatementError> {
        let mut out = Balances::default();
        for b in r.all("Bal") {
            let (code, bal) = balance(b, ctx)?;
            let slot = match code.as_deref() {
                Some("OPBD") => &mut out.opening,
                Some("PRCD") => &mut out.prcd,
                Some("CLBD") => &mut out.closing,
                Some("CLAV") => &mut out.available,
                _ => continue,
            };
            // First of each type wins: some banks repeat a type with per-date breakdowns.
            if slot.is_none() {
                *slot = Some((bal, b.line));
            }
        }
        Ok(out)
    }

    fn all(&self) -> impl Iterator<Item = &(Balance, usize)> {
        [&self.opening, &self.prcd, &self.closing, &self.available]
            .into_iter()
            .flatten()
    }

    /// Line of the closing balance in `currency` (any when `None`).
    fn closing_in(&self, currency: Option<&str>) -> Option<usize> {
        self.only(currency).closing.map(|(_, l)| l)
    }

    /// The balances in `currency` only (all of them when `None`).
    fn only(&self, currency: Option<&str>) -> Balances {
        let keep = |b: &Option<(Balance, usize)>| {
            b.clone()
                .filter(|(b, _)| currency.is_none() || b.currency.as_deref() == currency)
        };
        Balances {
            opening: keep(&self.opening),
            prcd: keep(&self.prcd),
            closing: keep(&self.closing),
            available: keep(&self.available),
        }
    }
}

/// The currencies the statement is in: `Acct/Ccy`; else its entries' (`entries`, in order of
/// first appearance); else, without entries, its closing (else opening, else any) balance's.
fn currencies(acct: Option<&String>, bals: &Balances, entries: &[String]) -> Vec<String> {
    if let Some(a) = acct {
        return vec![a.clone()];
    }
    let mut out = entries.to_vec();
    if out.is_empty() {
        out.extend(balance_currency(bals));
    }
    out
}

/// The closing (else opening, else any) balance's currency.
fn balance_currency(bals: &Balances) -> Option<String> {
    [&bals.closing, &bals.opening]
        .into_iter()
        .flatten()
        .chain(bals.all())
        .find_map(|(b, _)| b.currency.clone())
}

/// One `Stmt`/`Rpt`/`Ntfctn` being read: what its elements before its first entry say,
/// and its statements so far (one per currency when it has no `Acct/Ccy`).
struct Current {
    ctx: String,
    acct_ccy: Option<String>,
    /// The statement as its head says it (no balances yet).
    base: Statement,
    /// Its balances as read before its entries (for the heads).
    bals: Balances,
    /// Per statement: its currency, its number, its lines' sums.
    parts: Vec<(Option<String>, usize, LineSums)>,
    /// The entries' own currencies, in order of first appearance.
    entry_currencies: Vec<String>,
    /// Line of the first entry without a currency.
    no_currency: Option<usize>,
    entries: usize,
}

impl Current {
    /// From the statement element `r` as read so far.
    fn new(r: &Node, format: StatementFormat) -> Result<Self, StatementError> {
        let ctx = r.name.clone();
        let acct = req(r, "Acct", &ctx)?;
        let account = account_id(acct).ok_or_else(|| {
            StatementError::structure(
                acct.line,
                &path(&ctx, "Acct"),
                "no IBAN or Othr/Id account id",
            )
        })?;
        let acct_ccy = text(acct, &["Ccy"]);
        let bals = Balances::read(r, &ctx)?;
        let created = date_time_day(r.child("CreDtTm"), &path(&ctx, "CreDtTm"))?;
        let period_end = date_time_day(r.at(&["FrToDt", "ToDtTm"]), &path(&ctx, "FrToDt/ToDtTm"))?;
        let base = Statement {
            format,
            account_id: account,
            currency: None,
            encoding: None,
            reference: text(r, &["Id"]),
            statement_number: text(r, &["ElctrncSeqNb"]).or_else(|| text(r, &["LglSeqNb"])),
            statement_date: period_end.or(created),
            opening_balance: None,
            closing_balance: None,
            available_balance: None,
            information: text(r, &["AddtlStmtInf"])
                .or_else(|| text(r, &["AddtlRptInf"]))
                .or_else(|| text(r, &["AddtlNtfctnInf"])),
            lines: Vec::new(),
            warnings: Vec::new(),
            balance_mismatch: None,
            line: r.line,
        };
        Ok(Current {
            ctx,
            acct_ccy,
            base,
            bals,
            parts: Vec::new(),
            entry_currencies: Vec::new(),
            no_currency: None,
            entries: 0,
        })
    }

    /// The statement `line` belongs to, if it has started; notes the line's currency.
    fn part_of(&mut self, line: &StatementLine) -> Option<usize> {
        if self.acct_ccy.is_some() {
            return (!self.parts.is_empty()).then_some(0);
        }
        match &line.currency {
            Some(c) => {
                if !self.entry_currencies.contains(c) {
                    self.entry_currencies.push(c.clone());
                }
                self.parts.iter().position(|p| p.0.as_ref() == Some(c))
            }
            None => {
                self.no_currency.get_or_insert(line.line);
                (!self.parts.is_empty()).then_some(0)
            }
        }
    }

    /// The currency of the statement `line` starts.
    fn currency_of(&self, line: &StatementLine) -> Option<String> {
        self.acct_ccy
            .clone()
            .or_else(|| line.currency.clone())
            .or_else(|| balance_currency(&self.bals))
    }

    /// The warnings of statement element `r` (read without its entries) in `found`
    /// currencies; refuses an entry without a currency among entries in several.
    fn warnings(
        &self,
        r: &Node,
        bals: &Balances,
        found: &[String],
    ) -> Result<Vec<String>, StatementError> {
        let ctx = &self.ctx;
        let mut warnings = Vec::new();
        // A balance in a currency the statement is not in cannot be its balance: left out with
        // a warning (nothing is booked from a balance, so the file is still read).
        for (b, line) in bals.all() {
            if let Some(c) = b.currency.as_ref().filter(|c| !found.contains(c)) {
                warnings.push(format!(
                    "line {line}: {ctx}/Bal in {c} left out: the statement is in {}",
                    found.join(", ")
                ));
            }
        }
        if self.base.format == StatementFormat::Camt053
            && self.entries == 0
            && r.child("TxsSummry").is_some()
        {
            warnings.push("statement has a transaction summary but no entries".to_string());
        }
        if found.len() > 1 {
            warnings.push(format!(
                "{ctx} at line {} has no Acct/Ccy and entries in {}: read as one statement per currency",
                r.line,
                found.join(", ")
            ));
            if let Some(line) = self.no_currency {
                return Err(StatementError::structure(
                    line,
                    &path(ctx, "Ntry/Amt"),
                    format!("no Ccy in a statement with entries in {}", found.join(", ")),
                ));
            }
        }
        Ok(warnings)
    }

    /// The complete statements of `r` (read without its entries), with their numbers;
    /// starts the one statement of an element without entries.
    fn finish(
        self,
        r: &Node,
        count: &mut usize,
        out: &mut VecDeque<StatementEvent>,
    ) -> Result<Vec<(usize, Statement)>, StatementError> {
        let ctx = &self.ctx;
        let fresh = Current::new(r, self.base.format)?;
        let bals = fresh.bals;
        let found = currencies(self.acct_ccy.as_ref(), &bals, &self.entry_currencies);
        let warnings = self.warnings(r, &bals, &found)?;
        let base = Statement {
            warnings,
            ..fresh.base
        };
        let mut parts = self.parts;
        if parts.is_empty() {
            let currency = found.into_iter().next();
            out.push_back(StatementEvent::Start(part(
                base.clone(),
                &bals,
                currency.clone(),
            )));
            parts.push((currency, *count, LineSums::default()));
            *count += 1;
        }
        let done = parts
            .into_iter()
            .map(|(currency, index, sums)| {
                let mut st = part(base.clone(), &bals, currency);
                if st.format == StatementFormat::Camt053 {
                    let line = bals.closing_in(st.currency.as_deref()).unwrap_or(st.line);
                    st.balance_mismatch =
                        super::balance::tie(&st, &sums, line, &format!("{ctx}/Bal CLBD"));
                }
                (index, st)
            })
            .collect();
        Ok(done)
    }
}

/// Fills `st` with its balances (those in its currency) and its currency.
fn part(mut st: Statement, bals: &Balances, currency: Option<String>) -> Statement {
    let b = bals.only(currency.as_deref());
    st.statement_date = b
        .closing
        .as_ref()
        .and_then(|(c, _)| c.date)
        .or(st.statement_date);
    st.opening_balance = b.opening.or(b.prcd).map(|(b, _)| b);
    st.closing_balance = b.closing.map(|(b, _)| b);
    st.available_balance = b.available.map(|(b, _)| b);
    st.currency = currency;
    st
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
    fn balance_mismatch_is_left_to_the_caller_unless_strict() {
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
        let m = s[0].balance_mismatch.as_ref().unwrap();
        assert_eq!(
            m.to_string(),
            "line 7: Stmt/Bal CLBD: opening 100.00 + lines -29.40 = 70.60 != closing 70.50"
        );
        assert!(read_with(&doc(BATCH), &strict).unwrap()[0]
            .balance_mismatch
            .is_none());
    }

    /// A camt.053 without `Acct/Ccy`, with its entries in `ccys` and optional balances.
    fn bare(bals: &str, ccys: &[&str]) -> String {
        let entries: String = ccys
            .iter()
            .map(|c| {
                format!(
                    r#"<Ntry><Amt Ccy="{c}">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2024-01-02</Dt></BookgDt></Ntry>"#
                )
            })
            .collect();
        doc(&entries).replace("<Ccy>USD</Ccy>", "").replace(
            &doc("")[doc("").find("<Bal>").unwrap()..doc("").rfind("</Bal>").unwrap() + 6],
            bals,
        )
    }

    #[test]
    fn regression_entries_name_the_currency_when_account_and_balances_do_not() {
        // Was refused downstream as "names no currency": only Acct/Ccy and balances were read.
        let s = read(&bare("", &["EUR", "EUR"])).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].currency.as_deref(), Some("EUR"));
        assert_eq!(s[0].lines[0].currency.as_deref(), Some("EUR"));
        assert!(s[0].warnings.is_empty(), "{:?}", s[0].warnings);
    }

    #[test]
    fn regression_an_eur_entry_is_not_stored_in_the_closing_balances_sek() {
        // Was one SEK statement holding the EUR entry (the currency came from CLBD).
        let clbd = r#"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="SEK">500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-02</Dt></Dt></Bal>"#;
        let s = read(&bare(clbd, &["EUR"])).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].currency.as_deref(), Some("EUR"));
        assert_eq!(s[0].lines[0].currency.as_deref(), Some("EUR"));
        assert_eq!(s[0].closing_balance, None);
        assert_eq!(
            s[0].warnings,
            ["line 6: Stmt/Bal in SEK left out: the statement is in EUR"]
        );
        // Without entries the balance gives the currency, as before.
        let s = read(&bare(clbd, &[])).unwrap();
        assert_eq!(s[0].currency.as_deref(), Some("SEK"));
        assert_eq!(
            s[0].closing_balance.as_ref().unwrap().amount.to_string(),
            "500.00"
        );
    }

    #[test]
    fn entries_in_several_currencies_without_acct_ccy_split_the_statement() {
        let bals = r#"<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">21.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-02</Dt></Dt></Bal>"#;
        let s = read(&bare(bals, &["EUR", "USD", "EUR", "USD"])).unwrap();
        let view: Vec<_> = s
            .iter()
            .map(|s| {
                let lines: Vec<_> = s
                    .lines
                    .iter()
                    .map(|l| l.currency.clone().unwrap())
                    .collect();
                (
                    s.currency.clone().unwrap(),
                    lines,
                    s.closing_balance.is_some(),
                )
            })
            .collect();
        let eur = vec!["EUR".to_string(); 2];
        let usd = vec!["USD".to_string(); 2];
        assert_eq!(
            view,
            [("EUR".into(), eur, false), ("USD".into(), usd, true)]
        );
        assert!(
            s[0].warnings[0].contains("entries in EUR, USD: read as one statement per currency")
        );
        // Each part ties on its own balances: 1.00 + 2 × 10.00 = 21.00.
        assert!(s.iter().all(|s| s.balance_mismatch.is_none()));
    }

    #[test]
    fn a_statement_split_per_currency_starts_once_per_currency_at_its_first_entry() {
        let input = bare("", &["EUR", "USD", "EUR", "USD"]);
        let events: Vec<_> = stream(&input, &ReadOptions::default())
            .map(Result::unwrap)
            .map(|e| match e {
                StatementEvent::Start(st) => format!("start {}", st.currency.unwrap()),
                StatementEvent::Line(i, l) => format!("line {i} {}", l.currency.unwrap()),
                StatementEvent::End(i, st) => format!("end {i} {}", st.currency.unwrap()),
            })
            .collect();
        assert_eq!(
            events,
            [
                "start EUR",
                "line 0 EUR",
                "start USD",
                "line 1 USD",
                "line 0 EUR",
                "line 1 USD",
                "end 0 EUR",
                "end 1 USD",
            ]
        );
    }

    #[test]
    fn an_entry_against_the_account_currency_is_refused_unless_a_counter_value_explains_it() {
        let eur = BATCH.replacen(
            r#"<Amt Ccy="USD">29.50</Amt>"#,
            r#"<Amt Ccy="EUR">27.00</Amt>"#,
            1,
        );
        assert_eq!(
            read(&doc(&eur)).unwrap_err().to_string(),
            "line 8: Stmt/Ntry/Amt: Ccy 'EUR' contradicts the account currency USD (Acct/Ccy), \
             and no AmtDtls gives the amount in USD"
        );
        let explained = eur.replacen(
            "<CdtDbtInd>DBIT</CdtDbtInd><RvslInd>",
            r#"<CdtDbtInd>DBIT</CdtDbtInd><AmtDtls><CntrValAmt><Amt Ccy="USD">29.50</Amt></CntrValAmt></AmtDtls><RvslInd>"#,
            1,
        );
        let s = read(&doc(&explained)).unwrap();
        let l = &s[0].lines[0];
        assert_eq!(
            (l.amount.to_string(), l.currency.as_deref()),
            ("-29.50".into(), Some("USD"))
        );
        assert!(s[0].balance_mismatch.is_none());
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

//! OFX (Open Financial Exchange) statement reader: OFX 1.x SGML (an `OFXHEADER:100` header
//! block, leaf elements usually left unclosed) and OFX 2.x XML (`<?OFX …?>`).
//!
//! Hand-written: a tokenizer over tags and text plus a tree builder that closes a leaf at the
//! next tag (SGML leaves have no end tag) and an aggregate at its end tag, which also closes
//! anything left open inside it. Tag names are case-insensitive; comments, processing
//! instructions and the header are skipped. A file that never closes `<OFX>` is refused: it
//! was cut short and may have lost transactions.
//!
//! Mapping: every bank (`STMTRS`) and credit-card (`CCSTMTRS`) statement → one [`Statement`]
//! (account `ACCTID`, currency `CURDEF`, closing `LEDGERBAL`, available `AVAILBAL`, date
//! `DTEND`); every `STMTTRN` of every `BANKTRANLIST` → one [`StatementLine`]: `TRNAMT` (signed
//! as in the file), `DTPOSTED` → booking date, `DTAVAIL` (else `DTPOSTED`) → value date,
//! `FITID` → bank reference, `REFNUM` (else `CHECKNUM`) → customer reference, `NAME` (or
//! `PAYEE/NAME`) → counterparty, `MEMO` (else the name) → description, `TRNTYPE` → type code,
//! `CURRENCY/CURSYM` → the line's currency (the amount is in it, per the OFX spec).
//! `ORIGCURRENCY`, `DTUSER` and corrections (`CORRECTFITID`/`CORRECTACTION`) go into the
//! supplementary details; `CORRECTACTION` `DELETE` marks the line a reversal.
//! OFX has no opening balance; it is left `None` rather than derived.
//!
//! Dates are `YYYYMMDD[HHMMSS[.XXX]][[±h[.mm]]:TZ]]`; the day is kept as written (the bank's
//! calendar day). Amounts are exact; OFX allows `,` as the decimal separator, never as a
//! thousands separator.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Balance, Counterparty, Statement, StatementError, StatementFormat, StatementLine};

/// Nesting bound: OFX statements nest < 10 levels; a bound keeps hostile input harmless.
const MAX_DEPTH: usize = 64;

/// True when the text looks like OFX: an `OFXHEADER` header, a `<?OFX` instruction or an
/// `<OFX>` element near the start.
pub fn looks_like_ofx(text: &str) -> bool {
    let head: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_uppercase();
    head.starts_with("OFXHEADER") || head.contains("<?OFX") || head.contains("<OFX>")
}

/// Reads every bank and credit-card statement of an OFX 1.x or 2.x file.
pub fn read(input: &str) -> Result<Vec<Statement>, StatementError> {
    let input = input.trim_start_matches('\u{feff}');
    if input.trim().is_empty() {
        return Err(StatementError::Empty);
    }
    let lines = Lines::new(input);
    let tokens = tokenize(input, &lines)?;
    let root = build(&tokens, &lines, input.len())?;
    let mut found = Vec::new();
    collect(&root, &mut found);
    let mut out = Vec::new();
    for (node, format) in found {
        out.push(statement(input, node, format)?);
    }
    if out.is_empty() {
        return Err(StatementError::Empty);
    }
    Ok(out)
}

/// Maps byte offsets to 1-based line numbers.
struct Lines(Vec<usize>);

impl Lines {
    fn new(s: &str) -> Self {
        Lines(
            s.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        )
    }
    fn line(&self, pos: usize) -> usize {
        self.0.partition_point(|&nl| nl < pos) + 1
    }
}

#[derive(Debug)]
enum Tok {
    /// Start tag: upper-cased name, byte range of the tag.
    Open(String, usize, usize),
    /// End tag: upper-cased name, byte range of the tag.
    Close(String, usize, usize),
    /// Trimmed, entity-decoded text and the byte offset where it ends.
    Text(String, usize),
}

fn tokenize(input: &str, lines: &Lines) -> Result<Vec<Tok>, StatementError> {
    let mut toks = Vec::new();
    // The SGML header (`KEY:VALUE` lines) and XML declarations come before `<OFX>`.
    let upper = input.to_ascii_uppercase();
    let Some(start) = upper.find("<OFX>").or_else(|| upper.find("<OFX ")) else {
        return Err(StatementError::structure(
            1,
            "OFX",
            "no <OFX> element (not an OFX file)",
        ));
    };
    let mut i = start;
    while i < input.len() {
        let rest = &input[i..];
        if !rest.starts_with('<') {
            let end = rest.find('<').map_or(input.len(), |p| i + p);
            let text = decode(input[i..end].trim());
            if !text.is_empty() {
                toks.push(Tok::Text(text, end));
            }
            i = end;
            continue;
        }
        if rest.starts_with("<!--") {
            i = rest.find("-->").map_or(input.len(), |p| i + p + 3);
            continue;
        }
        let Some(close) = rest.find('>') else {
            return Err(StatementError::structure(
                lines.line(i),
                "OFX",
                "tag '<' never closed by '>'",
            ));
        };
        let end = i + close + 1;
        let inner = &rest[1..close];
        if inner.starts_with('?') || inner.starts_with('!') {
            i = end;
            continue;
        }
        let (closing, inner) = match inner.strip_prefix('/') {
            Some(n) => (true, n),
            None => (false, inner),
        };
        // XML self-closing `<X/>` is an empty element: open and close at once.
        let empty = inner.trim_end().ends_with('/');
        let name = inner
            .trim_end_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if name.is_empty() {
            return Err(StatementError::structure(lines.line(i), "OFX", "empty tag"));
        }
        if closing {
            toks.push(Tok::Close(name, i, end));
        } else {
            toks.push(Tok::Open(name.clone(), i, end));
            if empty {
                toks.push(Tok::Close(name, i, end));
            }
        }
        i = end;
    }
    Ok(toks)
}

/// Decodes the XML/SGML character entities OFX files use.
fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        let tail = &rest[p..];
        let semi = tail.find(';').filter(|&e| e <= 10);
        let decoded = semi.and_then(|e| {
            let name = &tail[1..e];
            let c = match name.to_ascii_lowercase().as_str() {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                n if n.starts_with("#x") => u32::from_str_radix(&n[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            // A bare `&` (common in SGML names like "AT&T") stays as written.
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One element: upper-cased name, text (leaves), children, line and byte span.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: Option<String>,
    children: Vec<Node>,
    line: usize,
    span: (usize, usize),
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// Text of a child leaf, `None` when absent or empty.
    fn text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .and_then(|c| c.text.as_deref())
            .filter(|t| !t.is_empty())
    }
}

/// Pops the top element into its parent, ending its span at `end`.
fn close_top(stack: &mut Vec<Node>, end: usize) {
    if stack.len() > 1 {
        let mut n = stack.pop().expect("len > 1");
        n.span.1 = end.max(n.span.1);
        stack.last_mut().expect("root stays").children.push(n);
    }
}

/// Closes the top element for lack of an end tag. In SGML OFX only leaves omit their end
/// tag, so an empty one (`<MEMO>` with no text) never contains what followed it: those
/// elements move up to its parent.
fn close_implicit(stack: &mut Vec<Node>, end: usize) {
    if stack.len() > 1 {
        let mut n = stack.pop().expect("len > 1");
        let kids = std::mem::take(&mut n.children);
        n.span.1 = n.span.1.max(n.span.0);
        let parent = stack.last_mut().expect("root stays");
        parent.children.push(n);
        parent.children.extend(kids);
        parent.span.1 = parent.span.1.max(end);
    }
}

fn build(tokens: &[Tok], lines: &Lines, len: usize) -> Result<Node, StatementError> {
    let mut stack = vec![Node::default()];
    // True while the top element has text: an SGML leaf that its next tag closes.
    let mut leaf = false;
    let mut ofx_closed = false;
    for tok in tokens {
        match tok {
            Tok::Open(name, start, end) => {
                if leaf {
                    close_top(&mut stack, *start);
                    leaf = false;
                }
                if stack.len() > MAX_DEPTH {
                    return Err(StatementError::structure(
                        lines.line(*start),
                        name,
                        format!("elements nested deeper than {MAX_DEPTH}"),
                    ));
                }
                stack.push(Node {
                    name: name.clone(),
                    line: lines.line(*start),
                    span: (*start, *end),
                    ..Node::default()
                });
            }
            Tok::Text(text, end) => {
                let depth = stack.len();
                let top = stack.last_mut().expect("root stays");
                // Text outside any element, or after an aggregate's children, is noise.
                if depth > 1 && top.children.is_empty() && top.text.is_none() {
                    top.text = Some(text.clone());
                    top.span.1 = *end;
                    leaf = true;
                }
            }
            Tok::Close(name, start, end) => {
                if leaf && stack.last().is_some_and(|n| &n.name == name) {
                    close_top(&mut stack, *end);
                    leaf = false;
                    continue;
                }
                if leaf {
                    close_top(&mut stack, *start);
                    leaf = false;
                }
                // An end tag closes its element and anything left open inside; a stray end
                // tag (no such element open) is ignored.
                if let Some(at) = stack.iter().skip(1).rposition(|n| &n.name == name) {
                    while stack.len() > at + 2 {
                        close_implicit(&mut stack, *start);
                    }
                    close_top(&mut stack, *end);
                    if name == "OFX" {
                        ofx_closed = true;
                    }
                }
            }
        }
    }
    if !ofx_closed {
        return Err(StatementError::structure(
            lines.line(len),
            "OFX",
            "the file ends before </OFX> (cut short?)",
        ));
    }
    while stack.len() > 1 {
        close_top(&mut stack, len);
    }
    Ok(stack.pop().expect("root stays"))
}

/// Every statement aggregate, in file order.
fn collect<'a>(n: &'a Node, out: &mut Vec<(&'a Node, &'static str)>) {
    for c in &n.children {
        match c.name.as_str() {
            "STMTRS" => out.push((c, "STMTRS")),
            "CCSTMTRS" => out.push((c, "CCSTMTRS")),
            _ => collect(c, out),
        }
    }
}

/// An OFX date-time: the day of `YYYYMMDD[HHMMSS[.XXX]][[±h[.mm]][:TZ]]`.
fn date(n: &Node, record: &str) -> Result<NaiveDate, StatementError> {
    let t = n.text.as_deref().unwrap_or("");
    let bad = || {
        StatementError::field(
            n.line,
            record,
            &n.name,
            t,
            "is not an OFX date (YYYYMMDD[HHMMSS[.XXX]][[±h:TZ]])",
        )
    };
    let (main, tz) = match t.find('[') {
        Some(p) if t.ends_with(']') => (&t[..p], Some(&t[p + 1..t.len() - 1])),
        Some(_) => return Err(bad()),
        None => (t, None),
    };
    let (clock, frac) = main.split_once('.').unwrap_or((main, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits_ok(clock) || !matches!(clock.len(), 8 | 12 | 14) || !digits_ok(frac) {
        return Err(bad());
    }
    if let Some(tz) = tz {
        let offset = tz.split(':').next().unwrap_or("");
        let offset = offset.strip_prefix(['+', '-']).unwrap_or(offset);
        if offset.is_empty() || !offset.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(bad());
        }
    }
    NaiveDate::parse_from_str(&clock[..8], "%Y%m%d").map_err(|_| bad())
}

fn opt_date(parent: &Node, name: &str, record: &str) -> Result<Option<NaiveDate>, StatementError> {
    match parent.child(name) {
        Some(n) if n.text.as_deref().is_some_and(|t| !t.is_empty()) => date(n, record).map(Some),
        _ => Ok(None),
    }
}

/// An OFX amount: optional sign, digits, at most one `.` or `,` decimal separator.
fn amount(n: &Node, record: &str) -> Result<Decimal, StatementError> {
    let t = n.text.as_deref().unwrap_or("");
    let bad = |problem: &str| StatementError::field(n.line, record, &n.name, t, problem);
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let seps = body.bytes().filter(|&b| b == b'.' || b == b',').count();
    let (int, frac) = body.split_once(['.', ',']).unwrap_or((body, ""));
    if body.is_empty()
        || seps > 1
        || (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad("is not a number"));
    }
    if int.len() + frac.len() > 24 {
        return Err(bad("has too many digits"));
    }
    let normal = t.replace(',', ".");
    normal
        .parse::<Decimal>()
        .map_err(|_| bad("is not a number"))
}

fn required<'a>(parent: &'a Node, name: &str, record: &str) -> Result<&'a Node, StatementError> {
    parent
        .child(name)
        .filter(|n| n.text.as_deref().is_some_and(|t| !t.is_empty()) || !n.children.is_empty())
        .ok_or_else(|| {
            StatementError::structure(parent.line, record, format!("missing required <{name}>"))
        })
}

fn balance(
    parent: &Node,
    name: &str,
    currency: &Option<String>,
) -> Result<Option<Balance>, StatementError> {
    let Some(b) = parent.child(name) else {
        return Ok(None);
    };
    let amt = required(b, "BALAMT", name)?;
    Ok(Some(Balance {
        amount: amount(amt, name)?,
        date: opt_date(b, "DTASOF", name)?,
        currency: currency.clone(),
        intermediate: false,
    }))
}

/// `CURRENCY`/`ORIGCURRENCY`: an aggregate with `CURSYM`, or (sloppy banks) the code itself.
fn currency_code(n: &Node) -> Option<String> {
    n.text
        .clone()
        .filter(|t| !t.is_empty())
        .or_else(|| n.text("CURSYM").map(str::to_string))
        .map(|c| c.to_ascii_uppercase())
}

fn transaction(input: &str, t: &Node) -> Result<StatementLine, StatementError> {
    const R: &str = "STMTTRN";
    let amt = required(t, "TRNAMT", R)?;
    let value = amount(amt, R)?;
    let posted = date(required(t, "DTPOSTED", R)?, R)?;
    let available = opt_date(t, "DTAVAIL", R)?;
    let user = opt_date(t, "DTUSER", R)?;
    let name = t
        .text("NAME")
        .or_else(|| t.child("PAYEE").and_then(|p| p.text("NAME")))
        .map(str::to_string);
    let account = t
        .child("BANKACCTTO")
        .or_else(|| t.child("CCACCTTO"))
        .and_then(|a| a.text("ACCTID"))
        .map(str::to_string);
    let counterparty = (name.is_some() || account.is_some()).then(|| Counterparty {
        name: name.clone(),
        account,
    });
    let mut details = Vec::new();
    if let Some(d) = user {
        details.push(format!("DTUSER {d}"));
    }
    let orig = t.child("ORIGCURRENCY").and_then(currency_code);
    if let Some(c) = &orig {
        details.push(format!("ORIGCURRENCY {c}"));
    }
    let action = t.text("CORRECTACTION").map(str::to_ascii_uppercase);
    if let Some(id) = t.text("CORRECTFITID") {
        let a = action.as_deref().unwrap_or("REPLACE");
        details.push(format!("CORRECTACTION {a} of FITID {id}"));
    }
    Ok(StatementLine {
        amount: value,
        currency: t.child("CURRENCY").and_then(currency_code),
        value_date: Some(available.unwrap_or(posted)),
        booking_date: Some(posted),
        bank_reference: t.text("FITID").map(str::to_string),
        customer_reference: t
            .text("REFNUM")
            .or_else(|| t.text("CHECKNUM"))
            .map(str::to_string),
        type_code: t.text("TRNTYPE").unwrap_or_default().to_ascii_uppercase(),
        reversal: action.as_deref() == Some("DELETE"),
        funds_code: None,
        funds: None,
        counterparty,
        supplementary_details: (!details.is_empty()).then(|| details.join("; ")),
        description: t
            .text("MEMO")
            .map(str::to_string)
            .or(name)
            .unwrap_or_default(),
        line: t.line,
        raw: input
            .get(t.span.0..t.span.1)
            .unwrap_or_default()
            .to_string(),
        status: None,
        transactions: Vec::new(),
    })
}

fn statement(input: &str, s: &Node, record: &str) -> Result<Statement, StatementError> {
    let from = if record == "CCSTMTRS" {
        "CCACCTFROM"
    } else {
        "BANKACCTFROM"
    };
    let acct = required(s, from, record)?;
    let account_id = acct
        .text("ACCTID")
        .ok_or_else(|| StatementError::structure(acct.line, from, "missing required <ACCTID>"))?
        .to_string();
    let currency = s.text("CURDEF").map(str::to_ascii_uppercase);
    let mut lines = Vec::new();
    let (mut start, mut end) = (None, None);
    // One BANKTRANLIST per statement in the spec; some exports repeat it, so read them all.
    for list in s.all("BANKTRANLIST") {
        start = start.or(opt_date(list, "DTSTART", "BANKTRANLIST")?);
        end = end.or(opt_date(list, "DTEND", "BANKTRANLIST")?);
        for t in list.all("STMTTRN") {
            lines.push(transaction(input, t)?);
        }
    }
    let closing = balance(s, "LEDGERBAL", &currency)?;
    let available = balance(s, "AVAILBAL", &currency)?;
    let mut warnings = Vec::new();
    if currency.is_none() {
        warnings.push(format!("{record} has no <CURDEF> (statement currency)"));
    }
    Ok(Statement {
        format: StatementFormat::Ofx,
        account_id,
        currency,
        encoding: None,
        reference: None,
        statement_number: None,
        statement_date: end.or_else(|| closing.as_ref().and_then(|b| b.date)),
        opening_balance: None,
        closing_balance: closing,
        available_balance: available,
        information: start.map(|d| format!("period from {d}")),
        lines,
        warnings,
        // OFX gives no opening balance, so there is nothing to tie.
        balance_mismatch: None,
        line: s.line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    const SGML: &str = "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\nCHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n<OFX>\r\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240105120000[-5:EST]<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\r\n<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\r\n<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>987654321<ACCTTYPE>CHECKING</BANKACCTFROM>\r\n<BANKTRANLIST><DTSTART>20240101<DTEND>20240105\r\n<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<DTUSER>20240101<TRNAMT>-1250,50<FITID>F-1<REFNUM>CW-E2E-1<NAME>Jane &amp; John Doe<MEMO>Q4 distribution</STMTTRN>\r\n<stmttrn><trntype>CHECK<dtposted>20240103093000.000[-5:EST]<dtavail>20240104<trnamt>-300.00<fitid>F-2<checknum>1001<payee><name>Acme LP</payee></stmttrn>\r\n<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240104<TRNAMT>+75<FITID>F-3<CORRECTFITID>F-0<CORRECTACTION>DELETE<CURRENCY><CURRATE>1.1<CURSYM>EUR</CURRENCY><MEMO>AT&T refund</STMTTRN>\r\n</BANKTRANLIST><LEDGERBAL><BALAMT>10000.00<DTASOF>20240105</LEDGERBAL><AVAILBAL><BALAMT>9500,25<DTASOF>20240105</AVAILBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1>\r\n</OFX>\r\n";

    #[test]
    fn reads_sgml_with_unclosed_leaves_any_case_and_comma_decimals() {
        let st = read(SGML).unwrap();
        assert_eq!(st.len(), 1);
        let s = &st[0];
        assert_eq!(s.format, StatementFormat::Ofx);
        assert_eq!(s.account_id, "987654321");
        assert_eq!(s.currency.as_deref(), Some("USD"));
        assert_eq!(s.statement_date, NaiveDate::from_ymd_opt(2024, 1, 5));
        assert_eq!(s.closing_balance.as_ref().unwrap().amount, dec("10000.00"));
        assert_eq!(s.available_balance.as_ref().unwrap().amount, dec("9500.25"));
        assert_eq!(s.lines.len(), 3);
        let l = &s.lines[0];
        assert_eq!(l.amount, dec("-1250.50"));
        assert_eq!(l.booking_date, NaiveDate::from_ymd_opt(2024, 1, 2));
        assert_eq!(l.bank_reference.as_deref(), Some("F-1"));
        assert_eq!(l.customer_reference.as_deref(), Some("CW-E2E-1"));
        assert_eq!(l.type_code, "DEBIT");
        assert_eq!(
            l.counterparty.as_ref().unwrap().name.as_deref(),
            Some("Jane & John Doe")
        );
        assert_eq!(l.description, "Q4 distribution");
        assert_eq!(
            l.supplementary_details.as_deref(),
            Some("DTUSER 2024-01-01")
        );
        assert_eq!(l.line, 16);
        assert!(l.raw.starts_with("<STMTTRN><TRNTYPE>DEBIT"));
        let c = &s.lines[1];
        assert_eq!(c.amount, dec("-300.00"));
        assert_eq!(c.customer_reference.as_deref(), Some("1001"));
        assert_eq!(c.value_date, NaiveDate::from_ymd_opt(2024, 1, 4));
        assert_eq!(c.booking_date, NaiveDate::from_ymd_opt(2024, 1, 3));
        assert_eq!(
            c.counterparty.as_ref().unwrap().name.as_deref(),
            Some("Acme LP")
        );
        let r = &s.lines[2];
        assert_eq!(r.amount, dec("75"));
        assert_eq!(r.currency.as_deref(), Some("EUR"));
        assert!(r.reversal);
        assert_eq!(r.description, "AT&T refund");
        assert_eq!(
            r.supplementary_details.as_deref(),
            Some("CORRECTACTION DELETE of FITID F-0")
        );
    }

    #[test]
    fn reads_xml_v2_credit_card_and_several_statements() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX>
 <BANKMSGSRSV1>
  <STMTTRNRS><TRNUID>1</TRNUID>
   <STMTRS><CURDEF>EUR</CURDEF>
    <BANKACCTFROM><BANKID>1</BANKID><ACCTID>FR7630001007941234567890185</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>
    <BANKTRANLIST><DTSTART>20240301</DTSTART><DTEND>20240331</DTEND>
     <STMTTRN><TRNTYPE>XFER</TRNTYPE><DTPOSTED>20240315</DTPOSTED><TRNAMT>-42.10</TRNAMT><FITID>A1</FITID><NAME>Fund &lt;A&gt;</NAME></STMTTRN>
    </BANKTRANLIST>
    <LEDGERBAL><BALAMT>100.00</BALAMT><DTASOF>20240331</DTASOF></LEDGERBAL>
   </STMTRS>
  </STMTTRNRS>
  <STMTTRNRS><TRNUID>2</TRNUID>
   <STMTRS><CURDEF>USD</CURDEF>
    <BANKACCTFROM><BANKID>2</BANKID><ACCTID>555</ACCTID><ACCTTYPE>SAVINGS</ACCTTYPE></BANKACCTFROM>
    <BANKTRANLIST><DTSTART>20240301</DTSTART><DTEND>20240331</DTEND>
     <STMTTRN><TRNTYPE>INT</TRNTYPE><DTPOSTED>20240331</DTPOSTED><TRNAMT>1.23</TRNAMT><FITID>B1</FITID></STMTTRN>
    </BANKTRANLIST>
   </STMTRS>
  </STMTTRNRS>
 </BANKMSGSRSV1>
 <CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>3</TRNUID>
  <CCSTMTRS><CURDEF>USD</CURDEF><CCACCTFROM><ACCTID>4111</ACCTID></CCACCTFROM>
   <BANKTRANLIST><DTSTART>20240301</DTSTART><DTEND>20240331</DTEND>
    <STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20240310120000</DTPOSTED><TRNAMT>-9.99</TRNAMT><FITID>C1</FITID><NAME>Shop</NAME><MEMO/></STMTTRN>
   </BANKTRANLIST>
   <LEDGERBAL><BALAMT>-9.99</BALAMT><DTASOF>20240331</DTASOF></LEDGERBAL>
  </CCSTMTRS></CCSTMTTRNRS></CREDITCARDMSGSRSV1>
</OFX>
"#;
        let st = read(xml).unwrap();
        let ids: Vec<_> = st.iter().map(|s| s.account_id.as_str()).collect();
        assert_eq!(ids, ["FR7630001007941234567890185", "555", "4111"]);
        assert_eq!(st[0].currency.as_deref(), Some("EUR"));
        assert_eq!(st[0].lines[0].amount, dec("-42.10"));
        assert_eq!(
            st[0].lines[0]
                .counterparty
                .as_ref()
                .unwrap()
                .name
                .as_deref(),
            Some("Fund <A>")
        );
        assert_eq!(st[0].lines[0].line, 9);
        assert_eq!(st[1].lines[0].amount, dec("1.23"));
        assert_eq!(st[1].closing_balance, None);
        assert_eq!(st[2].lines[0].amount, dec("-9.99"));
        assert_eq!(st[2].lines[0].description, "Shop");
        assert_eq!(st[2].closing_balance.as_ref().unwrap().amount, dec("-9.99"));
    }

    fn one_trn(trn: &str) -> String {
        format!("OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD<BANKACCTFROM><ACCTID>1</BANKACCTFROM><BANKTRANLIST>\n<STMTTRN>{trn}</STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>")
    }

    #[test]
    fn refuses_bad_amounts_dates_and_truncation_naming_the_line() {
        for bad in ["12a", "1,234.56", "--5", "", "1.2.3", "+", "."] {
            let f = one_trn(&format!(
                "<TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>{bad}<FITID>1"
            ));
            let e = read(&f).unwrap_err();
            assert_eq!(e.line(), Some(5), "{bad}: {e}");
            assert!(e.to_string().contains("STMTTRN"), "{e}");
        }
        let e = read(&one_trn(
            "<TRNTYPE>DEBIT<DTPOSTED>2024-01-02<TRNAMT>1<FITID>1",
        ))
        .unwrap_err();
        assert!(e.to_string().contains("DTPOSTED"), "{e}");
        let e = read(&one_trn("<TRNTYPE>DEBIT<TRNAMT>1<FITID>1")).unwrap_err();
        assert!(e.to_string().contains("missing required <DTPOSTED>"), "{e}");
        let f = one_trn("<TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>1<FITID>1");
        let cut = &f[..f.find("</BANKTRANLIST>").unwrap()];
        assert!(read(cut).unwrap_err().to_string().contains("cut short"));
        assert_eq!(read("   "), Err(StatementError::Empty));
        assert!(read("<OFX></OFX>").is_err());
        let ok = read(&one_trn(
            "<TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>.5<FITID>1",
        ))
        .unwrap();
        assert_eq!(ok[0].lines[0].amount, dec("0.5"));
    }

    #[test]
    fn an_empty_sgml_leaf_does_not_swallow_the_elements_after_it() {
        let f = one_trn("<TRNTYPE>DEBIT<MEMO><DTPOSTED>20240102<TRNAMT>-7<FITID>X9<NAME>Ann");
        let l = &read(&f).unwrap()[0].lines[0];
        assert_eq!(l.amount, dec("-7"));
        assert_eq!(l.bank_reference.as_deref(), Some("X9"));
        assert_eq!(l.description, "Ann");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in "\\PC{0,300}") {
            let _ = read(&s);
        }

        #[test]
        fn never_panics_on_mangled_statements(at in 0usize..1500, junk in "[<>/&#;!?A-Za-z0-9\\[\\]:.,+ -]{0,12}") {
            let mut s = SGML.to_string();
            let at = at.min(s.len());
            s.insert_str(at, &junk);
            let _ = read(&s);
            let _ = read(&s[..at]);
        }
    }

    #[test]
    fn detects_ofx() {
        assert!(looks_like_ofx(SGML));
        assert!(looks_like_ofx(
            "<?xml version=\"1.0\"?>\n<?OFX OFXHEADER=\"200\"?><OFX>"
        ));
        assert!(!looks_like_ofx("<?xml version=\"1.0\"?><Document>"));
    }
}

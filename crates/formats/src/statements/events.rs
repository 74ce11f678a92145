//! Statements read as a stream of events, one line at a time, so a large BAI2, MT940/MT942 or
//! camt file is converted and stored without every line in memory at once. Each of those
//! readers has one implementation, the stream; its whole-file `read` [`collect`]s the events.
//!
//! A statement is announced by [`StatementEvent::Start`] with what is known of it before its
//! lines (account, currency, reference: the head), then its lines, then
//! [`StatementEvent::End`] with the complete statement (balances, warnings, balance tie)
//! without its lines. Statements are numbered 0, 1, … in the order they start. Several may
//! be open at once (a camt statement split per currency; BAI2 statements stay open until the
//! file trailer, whose blank fields warn every statement of the file), so lines and ends
//! name theirs. An error can come after lines were handed out: the file is refused whole.

use std::collections::VecDeque;

use super::{Statement, StatementError, StatementLine};

/// One step of a statement stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementEvent {
    /// A statement begins: its head, without lines. Its number is the count of starts before it.
    Start(Statement),
    /// A line of statement `.0`, in file order.
    Line(usize, StatementLine),
    /// Statement `.0` is complete: every field but its lines, which were handed out before.
    End(usize, Statement),
}

/// A reader that reads on a step at a time, queueing the events each step makes.
pub(crate) trait Step {
    /// Reads on; `Ok(false)` once the input is read.
    fn step(&mut self) -> Result<bool, StatementError>;
    /// The events made and not handed out yet.
    fn queue(&mut self) -> &mut VecDeque<StatementEvent>;
}

/// The events of a [`Step`] reader, one at a time; nothing after an error.
pub(crate) struct Stream<S> {
    reader: S,
    done: bool,
}

impl<S: Step> Stream<S> {
    pub(crate) fn new(reader: S) -> Self {
        Stream {
            reader,
            done: false,
        }
    }
}

impl<S: Step> Iterator for Stream<S> {
    type Item = Result<StatementEvent, StatementError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.reader.queue().pop_front() {
                return Some(Ok(e));
            }
            if self.done {
                return None;
            }
            match self.reader.step() {
                Ok(more) => self.done = !more,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// [`collect`], refusing a stream without statements as [`StatementError::Empty`].
pub(crate) fn collect_some(
    events: impl IntoIterator<Item = Result<StatementEvent, StatementError>>,
) -> Result<Vec<Statement>, StatementError> {
    let out = collect(events)?;
    if out.is_empty() {
        return Err(StatementError::Empty);
    }
    Ok(out)
}

/// The statements of a stream, whole, in the order they started (empty when it has none).
pub fn collect(
    events: impl IntoIterator<Item = Result<StatementEvent, StatementError>>,
) -> Result<Vec<Statement>, StatementError> {
    let mut out: Vec<Statement> = Vec::new();
    for event in events {
        match event? {
            StatementEvent::Start(st) => out.push(st),
            StatementEvent::Line(i, line) => {
                if let Some(st) = out.get_mut(i) {
                    st.lines.push(line);
                }
            }
            StatementEvent::End(i, mut whole) => {
                if let Some(st) = out.get_mut(i) {
                    whole.lines = std::mem::take(&mut st.lines);
                    *st = whole;
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statements::{bai2, camt053, mt940};

    const LINES: usize = 5_000;

    /// The events of `events` up to its first error: (lines handed out before it, the error).
    fn until_error(
        events: impl Iterator<Item = Result<StatementEvent, StatementError>>,
    ) -> (usize, Vec<usize>, Option<StatementError>) {
        let (mut lines, mut starts) = (0, Vec::new());
        for e in events {
            match e {
                Ok(StatementEvent::Start(st)) => starts.push(st.line),
                Ok(StatementEvent::Line(..)) => lines += 1,
                Ok(StatementEvent::End(..)) => {}
                Err(e) => return (lines, starts, Some(e)),
            }
        }
        (lines, starts, None)
    }

    /// A BAI2, an MT940 and a camt input of [`LINES`] lines whose end is bad, and the line of
    /// the bad end.
    fn bad_ends() -> [(String, usize); 3] {
        let mut bai2 =
            String::from("01,B,C,240102,0800,1,,,2/\n02,C,B,1,240101,,USD,2/\n03,1,USD/\n");
        let mut mt940 = String::from(":20:R\n:25:ACC\n:60F:C240101EUR0,\n");
        let mut camt = String::from(
            "<Document><BkToCstmrStmt><Stmt><Id>S</Id>\n<Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>\n",
        );
        for i in 0..LINES {
            bai2.push_str(&format!("16,142,{i},0,R{i},C{i},TEXT/\n"));
            mt940.push_str(&format!(":61:240101C{i},NTRFX//B\n:86:TEXT {i}\n"));
            camt.push_str(&format!(
                "<Ntry><Amt Ccy=\"EUR\">{i}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2024-01-01</Dt></BookgDt></Ntry>\n"
            ));
        }
        bai2.push_str("16,142,12x,0/\n49,0,0/\n");
        mt940.push_str(":61:garbage\n");
        // An entry without CdtDbtInd, in a document cut short.
        camt.push_str("<Ntry><Amt Ccy=\"EUR\">1.00</Amt></Ntry>\n</Stmt><garbage");
        [(bai2, LINES + 4), (mt940, 2 * LINES + 4), (camt, LINES + 3)]
    }

    #[test]
    fn each_reader_hands_out_its_lines_before_a_bad_end_is_read() {
        let [bai2, mt940, camt] = bad_ends();
        let mt940_options = mt940::ReadOptions::default();
        let camt_options = camt053::ReadOptions::default();
        let runs = [
            ("bai2", until_error(bai2::stream(&bai2.0)), bai2.1, 3),
            (
                "mt940",
                until_error(mt940::stream(&mt940.0, &mt940_options)),
                mt940.1,
                1,
            ),
            (
                "camt",
                until_error(camt053::stream(&camt.0, &camt_options)),
                camt.1,
                1,
            ),
        ];
        for (name, (lines, starts, e), bad_line, start) in runs {
            assert_eq!((lines, starts), (LINES, vec![start]), "{name}");
            let e = e.unwrap_or_else(|| panic!("{name}: the bad end is refused"));
            assert_eq!(e.line(), Some(bad_line), "{name}: {e}");
        }
    }

    #[test]
    fn collect_puts_each_line_in_its_statement_and_takes_the_end() {
        let head = |account: &str| Statement {
            account_id: account.to_string(),
            ..bai2::read(BAI2).unwrap().remove(0)
        };
        let line = bai2::read(BAI2).unwrap()[0].lines[0].clone();
        let mut end = head("A");
        end.warnings = vec!["w".to_string()];
        let events = vec![
            Ok(StatementEvent::Start(Statement {
                lines: Vec::new(),
                ..head("A")
            })),
            Ok(StatementEvent::Start(Statement {
                lines: Vec::new(),
                ..head("B")
            })),
            Ok(StatementEvent::Line(1, line.clone())),
            Ok(StatementEvent::Line(0, line.clone())),
            Ok(StatementEvent::Line(1, line.clone())),
            Ok(StatementEvent::End(
                0,
                Statement {
                    lines: Vec::new(),
                    ..end
                },
            )),
        ];
        let out = collect(events).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].lines.len(), out[1].lines.len()), (1, 2));
        assert_eq!(out[0].warnings, ["w"]);
        assert!(out[1].warnings.is_empty());
    }

    const BAI2: &str = "01,B,C,240102,0800,1,,,2/\n02,C,B,1,240101,,USD,2/\n03,1,USD/\n16,142,100,0,R,C,T/\n49,100,3/\n98,100,1,5/\n99,100,1,7/\n";
}

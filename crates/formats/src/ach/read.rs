//! Strict NACHA reader: layout, record order, field formats and control totals.

use super::{
    aba_checksum_ok, is_credit_code, is_valid_transaction_code, AchError, Addenda, AdvEntry, Batch,
    BatchControl, BatchHeader, EntryDetail, File, FileControl, FileHeader, IatBatchHeader,
    IatEntry, NocAddenda, PaymentRelatedAddenda, ReturnAddenda, SecCode, ServiceClassCode,
    BLOCKING_FACTOR, RECORD_LENGTH,
};
use std::borrow::Cow;

use chrono::{NaiveDate, NaiveTime};

type Result<T> = std::result::Result<T, AchError>;

/// Shortest File Control record accepted: some producers drop the 39 blank reserved
/// characters at its end (moov-io/ach accepts such files too).
const MIN_FILE_CONTROL_LENGTH: usize = 55;

/// Parses a NACHA file from text. See [`parse_bytes`].
pub fn parse_file(input: &str) -> Result<File> {
    parse_bytes(input.as_bytes())
}

/// Parses a NACHA file from raw bytes (LF or CRLF line ends, or unbroken 94-character
/// records; trailing `9`-padding and final newline optional). Non-ASCII bytes are reported
/// as errors naming the line and field rather than as a decoding failure.
///
/// Strict about record length (only a File Control record that lost its reserved tail is
/// padded), so our own files are read back exactly as written. Files from a bank go
/// through [`parse_bytes_lenient`].
pub fn parse_bytes(input: &[u8]) -> Result<File> {
    parse_records(input, false).map(|(file, _)| file)
}

/// [`parse_bytes`] for files a bank sends (returns, NOCs), as lenient as moov-io/ach about
/// record length: a record shorter than 94 characters (trailing blanks stripped) is padded
/// with blanks, and one longer than 94 whose extra characters are all blanks is cut to 94.
/// Each normalisation is reported in the returned warnings; a record with anything but
/// blanks past column 94 is still an error, and so is a normalised record that does not
/// then read (field `RecordLength`, the field error in the message).
pub fn parse_bytes_lenient(input: &[u8]) -> Result<(File, Vec<String>)> {
    parse_records(input, true)
}

fn parse_records(input: &[u8], lenient: bool) -> Result<(File, Vec<String>)> {
    let (lines, warnings) = split_records(input, lenient)?;
    let mut p = Parser::default();
    for (line, text, found) in &lines {
        p.record(*line, text)
            .map_err(|e| normalised_record_error(e, *line, *found))?;
    }
    let last_line = lines.last().map_or(1, |(l, _, _)| *l);
    Ok((p.finish(last_line)?, warnings))
}

/// An error in a record we padded is first a length error (moov-io/ach reports it the same
/// way): the record probably lost a character inside, not only trailing blanks.
fn normalised_record_error(e: AchError, line: usize, found: Option<usize>) -> AchError {
    match (e, found) {
        (
            AchError::Line {
                line: at,
                record,
                field,
                message,
            },
            Some(found),
        ) if at == line => AchError::Line {
            line,
            record,
            field: "RecordLength",
            message: format!(
                "must be {RECORD_LENGTH} characters, found {found}; \
                 read as {RECORD_LENGTH} it fails at {record}.{field}: {message}"
            ),
        },
        (e, _) => e,
    }
}

/// Record name for a record-type character, used in errors before the record is parsed.
fn record_name(first: u8) -> &'static str {
    match first {
        b'1' => "FileHeader",
        b'5' => "BatchHeader",
        b'6' => "EntryDetail",
        b'7' => "Addenda",
        b'8' => "BatchControl",
        b'9' => "FileControl",
        _ => "Record",
    }
}

/// One record: line number, 94 ASCII characters, and the length found when it was padded
/// (a record that may have lost a character inside, not only trailing blanks).
type SplitRecord<'a> = (usize, Cow<'a, str>, Option<usize>);

/// Splits input into records. Each non-ASCII character becomes one DEL (0x7F) so lengths
/// count characters and field checks can flag the exact field. `lenient` pads short
/// records and cuts blank tails past column 94, with warnings (see [`parse_bytes_lenient`]).
fn split_records(input: &[u8], lenient: bool) -> Result<(Vec<SplitRecord<'_>>, Vec<String>)> {
    let mut raw: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    for l in raw.iter_mut() {
        if let Some(stripped) = l.strip_suffix(b"\r") {
            *l = stripped;
        }
    }
    // Trailing empty lines (and, read leniently, lines of blanks) end the file.
    while raw
        .last()
        .is_some_and(|l| l.is_empty() || (lenient && l.iter().all(|&b| b == b' ')))
    {
        raw.pop();
    }
    // ASCII lines (every line of a valid file) are borrowed as they are, without a copy.
    let lines: Vec<Cow<'_, str>> = raw
        .iter()
        .map(|l| match std::str::from_utf8(l) {
            Ok(text) if l.is_ascii() => Cow::Borrowed(text),
            _ => Cow::Owned(
                String::from_utf8_lossy(l)
                    .chars()
                    .map(|c| if c.is_ascii() { c } else { '\u{7f}' })
                    .collect(),
            ),
        })
        .collect();
    if lines.is_empty() {
        return Err(AchError::Line {
            line: 1,
            record: "FileHeader",
            field: "RecordType",
            message: "empty file".into(),
        });
    }
    // A file without line breaks: consecutive 94-character records on one line.
    if lines.len() == 1
        && lines[0].len() > RECORD_LENGTH
        && matches!(lines[0].len() % RECORD_LENGTH, 0)
    {
        let one = &lines[0];
        let records = (0..one.len() / RECORD_LENGTH)
            .map(|i| {
                let text = one[i * RECORD_LENGTH..(i + 1) * RECORD_LENGTH].to_string();
                (i + 1, Cow::Owned(text), None)
            })
            .collect();
        return Ok((records, Vec::new()));
    }
    fix_lengths(lines, lenient)
}

/// Brings each line to 94 characters where [`record_length_fix`] allows, else refuses it.
fn fix_lengths(
    lines: Vec<Cow<'_, str>>,
    lenient: bool,
) -> Result<(Vec<SplitRecord<'_>>, Vec<String>)> {
    let mut out = Vec::with_capacity(lines.len());
    let mut fixes = LengthFixes::default();
    for (i, mut l) in lines.into_iter().enumerate() {
        let line = i + 1;
        let found = l.len();
        let mut padded_at = None;
        if found != RECORD_LENGTH {
            match record_length_fix(&l, lenient) {
                Some(Fix::Pad { reserved_tail }) => {
                    l.to_mut()
                        .extend(std::iter::repeat_n(' ', RECORD_LENGTH - found));
                    if !reserved_tail {
                        padded_at = Some(found);
                    }
                    if lenient {
                        fixes.padded.push(line);
                    }
                }
                Some(Fix::Cut) => {
                    l.to_mut().truncate(RECORD_LENGTH);
                    fixes.cut.push(line);
                }
                None => {
                    let first = l.as_bytes().first().copied().unwrap_or(b' ');
                    return Err(AchError::Line {
                        line,
                        record: record_name(first),
                        field: "RecordLength",
                        message: format!("must be {RECORD_LENGTH} characters, found {found}"),
                    });
                }
            }
        }
        out.push((line, l, padded_at));
    }
    Ok((out, fixes.warnings()))
}

/// How a record of the wrong length is brought to 94 characters.
enum Fix {
    /// Blanks added at the end; `reserved_tail` for a File Control record that lost its
    /// 39 blank reserved characters (accepted even by the strict reader).
    Pad { reserved_tail: bool },
    /// Blanks past column 94 removed.
    Cut,
}

/// The fix for a record that is not 94 characters long, or `None` to refuse it.
fn record_length_fix(l: &str, lenient: bool) -> Option<Fix> {
    let short_control = l.starts_with('9')
        && !is_padding(l)
        && (MIN_FILE_CONTROL_LENGTH..RECORD_LENGTH).contains(&l.len());
    if short_control {
        Some(Fix::Pad {
            reserved_tail: true,
        })
    } else if !lenient {
        None
    } else if l.len() < RECORD_LENGTH {
        Some(Fix::Pad {
            reserved_tail: false,
        })
    } else if l.bytes().skip(RECORD_LENGTH).all(|b| b == b' ') {
        Some(Fix::Cut)
    } else {
        None
    }
}

/// Lines whose length the lenient reader fixed, reported as one warning per kind.
#[derive(Default)]
struct LengthFixes {
    padded: Vec<usize>,
    cut: Vec<usize>,
}

impl LengthFixes {
    fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.padded.is_empty() {
            out.push(format!(
                "{}: shorter than {RECORD_LENGTH} characters (trailing blanks stripped?), \
                 padded with blanks",
                some_lines(&self.padded)
            ));
        }
        if !self.cut.is_empty() {
            out.push(format!(
                "{}: blanks past column {RECORD_LENGTH}, cut to {RECORD_LENGTH} characters",
                some_lines(&self.cut)
            ));
        }
        out
    }
}

/// `line 3`, `lines 1, 5, 9`, or the first five and how many more.
fn some_lines(lines: &[usize]) -> String {
    const SHOWN: usize = 5;
    let list: Vec<String> = lines.iter().take(SHOWN).map(usize::to_string).collect();
    match lines.len() {
        1 => format!("line {}", list[0]),
        n if n <= SHOWN => format!("lines {}", list.join(", ")),
        n => format!("lines {} and {} more", list.join(", "), n - SHOWN),
    }
}

/// A block-padding record: all `9`.
fn is_padding(l: &str) -> bool {
    !l.is_empty() && l.bytes().all(|b| b == b'9')
}

/// One record being decoded; positions are 1-based inclusive, as in the NACHA layouts.
struct Rec<'a> {
    line: usize,
    s: &'a str,
    record: &'static str,
}

impl<'a> Rec<'a> {
    fn raw(&self, from: usize, to: usize) -> &'a str {
        &self.s[from - 1..to]
    }

    fn err(&self, field: &'static str, message: impl Into<String>) -> AchError {
        AchError::Line {
            line: self.line,
            record: self.record,
            field,
            message: message.into(),
        }
    }

    fn invalid(&self, field: &'static str, value: &str) -> AchError {
        self.err(field, format!("invalid value '{}'", show(value)))
    }

    /// Alphanumeric field, trailing blanks removed.
    fn text(&self, field: &'static str, from: usize, to: usize) -> Result<String> {
        self.text_str(field, from, to).map(str::to_string)
    }

    /// [`Rec::text`] borrowed from the record.
    fn text_str(&self, field: &'static str, from: usize, to: usize) -> Result<&'a str> {
        let v = self.raw(from, to);
        if let Some(pos) = v.bytes().position(|b| !(0x20..=0x7e).contains(&b)) {
            return Err(self.err(
                field,
                format!(
                    "invalid value '{}': non-ASCII or control character at column {}",
                    show(v),
                    from + pos
                ),
            ));
        }
        Ok(v.trim_end())
    }

    /// Alphanumeric field that NACHA makes mandatory.
    fn required(&self, field: &'static str, from: usize, to: usize) -> Result<String> {
        self.required_str(field, from, to).map(str::to_string)
    }

    /// [`Rec::required`] borrowed from the record.
    fn required_str(&self, field: &'static str, from: usize, to: usize) -> Result<&'a str> {
        let v = self.text_str(field, from, to)?;
        if v.trim().is_empty() {
            return Err(self.err(field, "mandatory field is blank"));
        }
        Ok(v)
    }

    fn digits(&self, field: &'static str, from: usize, to: usize) -> Result<String> {
        self.digit_str(field, from, to).map(str::to_string)
    }

    /// [`Rec::digits`] borrowed from the record (no copy, for values used in place).
    fn digit_str(&self, field: &'static str, from: usize, to: usize) -> Result<&'a str> {
        let v = self.raw(from, to);
        if !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.err(
                field,
                format!(
                    "invalid value '{}': expected {} digits",
                    show(v),
                    to - from + 1
                ),
            ));
        }
        Ok(v)
    }

    /// The digits of positions `from..=to`. Callers narrow with `as` where the field is short
    /// enough for the target type (2 digits -> u8, at most 4 -> u16, at most 8 -> u32). The
    /// 20-digit ADV totals can exceed u64: an error, not a panic (found by fuzzing).
    fn number(&self, field: &'static str, from: usize, to: usize) -> Result<u64> {
        let v = self.digit_str(field, from, to)?;
        v.parse()
            .map_err(|_| self.err(field, format!("invalid value '{v}': too large")))
    }

    fn expect(&self, field: &'static str, from: usize, to: usize, want: &str) -> Result<()> {
        let v = self.raw(from, to);
        if v != want {
            return Err(self.err(
                field,
                format!("invalid value '{}': expected '{want}'", show(v)),
            ));
        }
        Ok(())
    }

    /// YYMMDD date; blank gives `None` when `optional`.
    fn date(
        &self,
        field: &'static str,
        from: usize,
        to: usize,
        optional: bool,
    ) -> Result<Option<NaiveDate>> {
        let v = self.raw(from, to);
        if optional && v.trim().is_empty() {
            return Ok(None);
        }
        parse_yymmdd(v)
            .map(Some)
            .ok_or_else(|| self.err(field, format!("invalid date '{}' (YYMMDD)", show(v))))
    }

    /// Whole-record check for characters in fields not otherwise validated (reserved/free).
    fn check_printable(&self) -> Result<()> {
        if let Some(pos) = self.s.bytes().position(|b| !(0x20..=0x7e).contains(&b)) {
            return Err(self.err(
                "Record",
                format!("non-ASCII or control character at column {}", pos + 1),
            ));
        }
        Ok(())
    }
}

/// Renders a field value for an error message (DEL stands for a non-ASCII character).
fn show(v: &str) -> String {
    v.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect()
}

pub(crate) fn parse_yymmdd(v: &str) -> Option<NaiveDate> {
    if v.len() != 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = v[0..2].parse().ok()?;
    let m: u32 = v[2..4].parse().ok()?;
    let d: u32 = v[4..6].parse().ok()?;
    NaiveDate::from_ymd_opt(2000 + y, m, d)
}

#[derive(Default, PartialEq, Eq, Clone, Copy)]
enum State {
    #[default]
    Start,
    Files,
    InBatch,
    Done,
}

#[derive(Default)]
struct Parser {
    state: State,
    header: Option<FileHeader>,
    batches: Vec<Batch>,
    current: Option<(BatchHeader, Vec<EntryDetail>)>,
    control: Option<(usize, FileControl)>,
    records: usize,
    padding: usize,
}

impl Parser {
    fn record(&mut self, line: usize, s: &str) -> Result<()> {
        let first = s.as_bytes()[0];
        let rec = Rec {
            line,
            s,
            record: record_name(first),
        };
        if is_padding(s) {
            if self.state != State::Done {
                return Err(rec.err(
                    "RecordType",
                    "block padding ('9' record) before the file control record",
                ));
            }
            self.padding += 1;
            return Ok(());
        }
        self.records += 1;
        match (self.state, first) {
            (State::Done, _) => {
                return Err(rec.err("RecordType", "record after the file control record"))
            }
            (State::Start, b'1') => {
                self.header = Some(parse_file_header(&rec)?);
                self.state = State::Files;
            }
            (State::Start, _) => {
                return Err(rec.err(
                    "RecordType",
                    format!(
                        "file must start with a file header (type 1), found type '{}'",
                        show(&s[..1])
                    ),
                ))
            }
            (_, b'1') => return Err(rec.err("RecordType", "second file header")),
            (State::Files, b'5') => {
                let h = parse_batch_header(&rec)?;
                self.current = Some((h, Vec::new()));
                self.state = State::InBatch;
            }
            (State::InBatch, b'5') => {
                return Err(rec.err(
                    "RecordType",
                    "batch header inside an open batch (missing batch control)",
                ))
            }
            (State::InBatch, b'6') => {
                let (h, entries) = self.current.as_mut().expect("in batch");
                entries.push(parse_entry(&rec, h)?);
            }
            (State::InBatch, b'7') => {
                let (h, entries) = self.current.as_mut().expect("in batch");
                let Some(entry) = entries.last_mut() else {
                    return Err(rec.err("RecordType", "addenda before any entry detail"));
                };
                let a = parse_addenda(&rec, h, entry)?;
                entry.addenda.push(a);
            }
            (State::InBatch, b'8') => {
                let (h, entries) = self.current.take().expect("in batch");
                let batch = parse_batch_control(&rec, h, entries)?;
                self.batches.push(batch);
                self.state = State::Files;
            }
            (State::InBatch, b'9') => {
                return Err(rec.err(
                    "RecordType",
                    "file control inside an open batch (missing batch control)",
                ))
            }
            (State::Files, b'9') => {
                self.control = Some((line, parse_file_control(&rec, &self.batches)?));
                self.state = State::Done;
            }
            (State::Files, b'6' | b'7' | b'8') => {
                return Err(rec.err("RecordType", "record outside of a batch"))
            }
            _ => {
                return Err(rec.err(
                    "RecordType",
                    format!("unknown record type '{}'", show(&s[..1])),
                ))
            }
        }
        rec.check_printable()
    }

    fn finish(self, last_line: usize) -> Result<File> {
        let missing = |record, message: &str| AchError::Line {
            line: last_line,
            record,
            field: "RecordType",
            message: message.into(),
        };
        match self.state {
            State::Start => return Err(missing("FileHeader", "missing file header")),
            State::InBatch => return Err(missing("BatchControl", "missing batch control")),
            State::Files => return Err(missing("FileControl", "missing file control record")),
            State::Done => {}
        }
        let (line, control) = self.control.expect("done");
        let total = self.records + self.padding;
        // Blocks are counted over all records; unpadded files are accepted too. A block is
        // 940 bytes of input, so the counts fit u32 for any file that fits in memory.
        let blocks_padded = total.div_ceil(BLOCKING_FACTOR) as u32;
        let blocks_unpadded = self.records.div_ceil(BLOCKING_FACTOR) as u32;
        if control.block_count != blocks_padded && control.block_count != blocks_unpadded {
            return Err(AchError::Line {
                line,
                record: "FileControl",
                field: "BlockCount",
                message: format!(
                    "{} does not match the {} blocks in the file",
                    control.block_count, blocks_padded
                ),
            });
        }
        Ok(File {
            header: self.header.expect("done"),
            batches: self.batches,
            control,
        })
    }
}

fn parse_file_header(r: &Rec) -> Result<FileHeader> {
    r.expect("PriorityCode", 2, 3, "01")?;
    let dest = r.text("ImmediateDestination", 4, 13)?.trim().to_string();
    if dest.is_empty() {
        return Err(r.err("ImmediateDestination", "mandatory field is blank"));
    }
    if !aba_checksum_ok(&dest) {
        return Err(r.err(
            "ImmediateDestination",
            format!("invalid routing number '{dest}' (9 digits with ABA check digit)"),
        ));
    }
    let origin = r.required("ImmediateOrigin", 14, 23)?.trim().to_string();
    let file_creation_date = r
        .date("FileCreationDate", 24, 29, false)?
        .expect("required");
    let t = r.raw(30, 33);
    let file_creation_time = if t.trim().is_empty() {
        None
    } else {
        let ok = t.bytes().all(|b| b.is_ascii_digit());
        let parsed = ok
            .then(|| NaiveTime::from_hms_opt(t[..2].parse().ok()?, t[2..].parse().ok()?, 0))
            .flatten();
        Some(parsed.ok_or_else(|| r.invalid("FileCreationTime", t))?)
    };
    let m = r.raw(34, 34).as_bytes()[0];
    if !(m.is_ascii_uppercase() || m.is_ascii_digit()) {
        return Err(r.err(
            "FileIDModifier",
            format!(
                "invalid value '{}': expected A-Z or 0-9",
                show(r.raw(34, 34))
            ),
        ));
    }
    r.expect("RecordSize", 35, 37, "094")?;
    r.expect("BlockingFactor", 38, 39, "10")?;
    r.expect("FormatCode", 40, 40, "1")?;
    Ok(FileHeader {
        priority_code: "01".into(),
        immediate_destination: dest,
        immediate_origin: origin,
        file_creation_date,
        file_creation_time,
        file_id_modifier: m as char,
        immediate_destination_name: r.text("ImmediateDestinationName", 41, 63)?,
        immediate_origin_name: r.text("ImmediateOriginName", 64, 86)?,
        reference_code: r.text("ReferenceCode", 87, 94)?,
    })
}

fn parse_service_class(r: &Rec) -> Result<ServiceClassCode> {
    let v = r.raw(2, 4);
    v.parse::<u16>()
        .ok()
        .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(ServiceClassCode::from_code)
        .ok_or_else(|| r.invalid("ServiceClassCode", v))
}

fn parse_batch_header(r: &Rec) -> Result<BatchHeader> {
    let service_class_code = parse_service_class(r)?;
    let sec_raw = r.raw(51, 53);
    let sec_code =
        SecCode::parse(sec_raw).ok_or_else(|| r.invalid("StandardEntryClassCode", sec_raw))?;
    if (sec_code == SecCode::Adv) != (service_class_code == ServiceClassCode::Advices) {
        return Err(r.err(
            "ServiceClassCode",
            format!(
                "invalid value '{}' for SEC code {}: 280 is for ADV batches only",
                service_class_code.code(),
                sec_code.as_str()
            ),
        ));
    }
    let status = r.raw(79, 79);
    // 0 is for batches prepared by an ACH operator (ADV, and IAT per moov-io/ach samples).
    let status_ok = match status {
        "1" | "2" => true,
        "0" => matches!(sec_code, SecCode::Adv | SecCode::Iat),
        _ => false,
    };
    if !status_ok {
        return Err(r.invalid("OriginatorStatusCode", status));
    }
    let mut h = BatchHeader {
        service_class_code,
        company_name: String::new(),
        company_discretionary_data: String::new(),
        company_identification: String::new(),
        sec_code,
        company_entry_description: r.required("CompanyEntryDescription", 54, 63)?,
        company_descriptive_date: String::new(),
        // Return and NOC batches may carry 000000 here.
        effective_entry_date: if r.raw(70, 75) == "000000" {
            None
        } else {
            r.date("EffectiveEntryDate", 70, 75, true)?
        },
        settlement_date: r.text("SettlementDate", 76, 78)?,
        originator_status_code: status.parse().expect("digit"),
        odfi_identification: r.digits("ODFIIdentification", 80, 87)?,
        batch_number: r.number("BatchNumber", 88, 94)? as u32,
        iat: None,
    };
    // IAT NOCs/returns keep the IAT layout under SEC COR, flagged by "IATCOR".
    let iat_layout =
        sec_code == SecCode::Iat || (sec_code == SecCode::Cor && r.raw(5, 10) == "IATCOR");
    if iat_layout {
        h.iat = Some(IatBatchHeader {
            iat_indicator: r.text("IATIndicator", 5, 20)?,
            foreign_exchange_indicator: r.required("ForeignExchangeIndicator", 21, 22)?,
            foreign_exchange_reference_indicator: r.required(
                "ForeignExchangeReferenceIndicator",
                23,
                23,
            )?,
            foreign_exchange_reference: r.text("ForeignExchangeReference", 24, 38)?,
            iso_destination_country_code: r.required("ISODestinationCountryCode", 39, 40)?,
            originator_identification: r.required("OriginatorIdentification", 41, 50)?,
            iso_originating_currency_code: r.required("ISOOriginatingCurrencyCode", 64, 66)?,
            iso_destination_currency_code: r.required("ISODestinationCurrencyCode", 67, 69)?,
        });
    } else {
        h.company_name = r.required("CompanyName", 5, 20)?;
        h.company_discretionary_data = r.text("CompanyDiscretionaryData", 21, 40)?;
        h.company_identification = r.required("CompanyIdentification", 41, 50)?;
        h.company_descriptive_date = r.text("CompanyDescriptiveDate", 64, 69)?;
    }
    Ok(h)
}

fn parse_entry(r: &Rec, h: &BatchHeader) -> Result<EntryDetail> {
    let tc = parse_transaction_code(r, h)?;
    let rdfi_identification = r.digits("RDFIIdentification", 4, 11)?;
    let check_digit = r.digit_str("CheckDigit", 12, 12)?;
    if !aba_checksum_ok(r.raw(4, 12)) {
        return Err(r.err(
            "CheckDigit",
            format!("invalid check digit '{check_digit}' for routing prefix {rdfi_identification}"),
        ));
    }
    let mut e = EntryDetail {
        transaction_code: tc,
        rdfi_identification,
        check_digit: check_digit.as_bytes()[0] - b'0',
        dfi_account_number: String::new(),
        amount: 0,
        identification_number: String::new(),
        individual_name: String::new(),
        discretionary_data: String::new(),
        addenda_record_indicator: false,
        trace_number: String::new(),
        iat: None,
        adv: None,
        addenda: Vec::new(),
    };
    match h.sec_code {
        _ if h.iat.is_some() => read_iat_entry(r, &mut e)?,
        SecCode::Adv => read_adv_entry(r, &mut e)?,
        _ => read_standard_entry(r, h, &mut e)?,
    }
    check_entry(r, h, &e)?;
    Ok(e)
}

/// The transaction code, checked against the batch: valid, ADV codes only in ADV batches, and
/// the direction the service class and SEC code allow.
fn parse_transaction_code(r: &Rec, h: &BatchHeader) -> Result<u8> {
    let tc = r.number("TransactionCode", 2, 3)? as u8;
    if !is_valid_transaction_code(tc) {
        return Err(r.invalid("TransactionCode", r.raw(2, 3)));
    }
    let adv_code = (81..=88).contains(&tc);
    if adv_code != (h.sec_code == SecCode::Adv) {
        return Err(r.err(
            "TransactionCode",
            format!(
                "transaction code {tc} not allowed in a {} batch",
                h.sec_code.as_str()
            ),
        ));
    }
    let credit = is_credit_code(tc);
    // IAT samples in the wild (moov-io/ach's among them) mix directions under 220/225.
    let enforce_direction = h.iat.is_none();
    match h.service_class_code {
        _ if !enforce_direction => {}
        ServiceClassCode::CreditsOnly if !credit => {
            return Err(r.err(
                "TransactionCode",
                format!("debit transaction code {tc} in a credits-only (220) batch"),
            ))
        }
        ServiceClassCode::DebitsOnly if credit => {
            return Err(r.err(
                "TransactionCode",
                format!("credit transaction code {tc} in a debits-only (225) batch"),
            ))
        }
        _ => {}
    }
    if credit && h.sec_code.debits_only() {
        return Err(r.err(
            "TransactionCode",
            format!(
                "credit transaction code {tc} not allowed: {} batches are debits only",
                h.sec_code.as_str()
            ),
        ));
    }
    Ok(tc)
}

fn addenda_indicator(r: &Rec) -> Result<bool> {
    match r.raw(79, 79) {
        "0" => Ok(false),
        "1" => Ok(true),
        v => Err(r.invalid("AddendaRecordIndicator", v)),
    }
}

/// Positions 13-94 of an IAT entry.
fn read_iat_entry(r: &Rec, e: &mut EntryDetail) -> Result<()> {
    e.amount = r.number("Amount", 30, 39)?;
    e.dfi_account_number = r.required("DFIAccountNumber", 40, 74)?.trim().to_string();
    e.addenda_record_indicator = addenda_indicator(r)?;
    e.trace_number = r.digits("TraceNumber", 80, 94)?;
    e.iat = Some(IatEntry {
        number_of_addenda_records: r.number("AddendaRecords", 13, 16)? as u16,
        gateway_ofac_screening_indicator: r.text("OFACScreeningIndicator", 77, 77)?,
        secondary_ofac_screening_indicator: r.text("SecondaryOFACScreeningIndicator", 78, 78)?,
    });
    Ok(())
}

/// Positions 13-94 of an ADV entry.
fn read_adv_entry(r: &Rec, e: &mut EntryDetail) -> Result<()> {
    e.dfi_account_number = r.required("DFIAccountNumber", 13, 27)?.trim().to_string();
    e.amount = r.number("Amount", 28, 39)?;
    e.individual_name = r.text("IndividualName", 55, 76)?;
    e.discretionary_data = r.text("DiscretionaryData", 77, 78)?;
    e.addenda_record_indicator = addenda_indicator(r)?;
    e.adv = Some(AdvEntry {
        advice_routing_number: r.digits("AdviceRoutingNumber", 40, 48)?,
        file_identification: r.text("FileIdentification", 49, 53)?,
        ach_operator_data: r.text("ACHOperatorData", 54, 54)?,
        ach_operator_routing_number: r.digits("ACHOperatorRoutingNumber", 80, 87)?,
        julian_day: r.number("JulianDay", 88, 90)? as u16,
        sequence_number: r.number("SequenceNumber", 91, 94)? as u16,
    });
    Ok(())
}

/// Positions 13-94 of every other entry (PPD, CCD, ... with SHR's card expiry check).
fn read_standard_entry(r: &Rec, h: &BatchHeader, e: &mut EntryDetail) -> Result<()> {
    e.dfi_account_number = r
        .required_str("DFIAccountNumber", 13, 29)?
        .trim()
        .to_string();
    e.amount = r.number("Amount", 30, 39)?;
    e.identification_number = r.text("IdentificationNumber", 40, 54)?;
    e.individual_name = r.text("IndividualName", 55, 76)?;
    e.discretionary_data = r.text("DiscretionaryData", 77, 78)?;
    e.addenda_record_indicator = addenda_indicator(r)?;
    e.trace_number = r.digits("TraceNumber", 80, 94)?;
    if h.sec_code == SecCode::Shr {
        let month = r.digits("CardExpirationDate", 40, 41)?;
        if !(1..=12).contains(&month.parse::<u8>().expect("digits")) {
            return Err(r.err(
                "CardExpirationDate",
                format!("invalid month '{month}' (MMYY)"),
            ));
        }
    }
    Ok(())
}

/// Cross-field checks: the trace number starts with the batch ODFI, live-dollar codes move
/// money and prenotes do not.
fn check_entry(r: &Rec, h: &BatchHeader, e: &EntryDetail) -> Result<()> {
    let tc = e.transaction_code;
    if h.sec_code != SecCode::Adv && e.trace_number[..8] != h.odfi_identification {
        return Err(r.err(
            "TraceNumber",
            format!(
                "trace number {} does not start with the batch ODFI {}",
                e.trace_number, h.odfi_identification
            ),
        ));
    }
    // Live-dollar codes must move money; prenotes must not.
    let kind = tc % 10;
    let live = matches!(kind, 2 | 7) || tc == 55;
    let prenote = matches!(kind, 3 | 8) && tc < 80;
    if live && e.amount == 0 {
        return Err(r.err(
            "Amount",
            format!("must be non-zero for transaction code {tc}"),
        ));
    }
    if prenote && e.amount != 0 {
        return Err(r.err(
            "Amount",
            format!("must be zero for prenote transaction code {tc}"),
        ));
    }
    Ok(())
}

/// Change codes: C01-C14 corrections, C61-C69 refused/corrected NOCs.
fn valid_change_code(c: &str) -> bool {
    c.len() == 3
        && c.starts_with('C')
        && c[1..]
            .parse::<u8>()
            .is_ok_and(|n| (1..=14).contains(&n) || (61..=69).contains(&n))
}

/// Return reason codes R01-R85.
fn valid_return_code(c: &str) -> bool {
    c.len() == 3
        && c.starts_with('R')
        && c[1..].bytes().all(|b| b.is_ascii_digit())
        && c[1..].parse::<u8>().is_ok_and(|n| (1..=85).contains(&n))
}

fn parse_addenda(r: &Rec, h: &BatchHeader, entry: &EntryDetail) -> Result<Addenda> {
    if !entry.addenda_record_indicator {
        return Err(r.err(
            "AddendaRecordIndicator",
            "addenda follows an entry whose addenda record indicator is 0",
        ));
    }
    let tc = r.raw(2, 3);
    let iat_type = h.iat.is_some() && ("10"..="18").contains(&tc);
    if iat_type {
        // Check each IAT text field so errors name it; the record is kept verbatim.
        let fields: &[(&'static str, usize, usize)] = match tc {
            "10" => &[
                ("TransactionTypeCode", 4, 6),
                ("ForeignTraceNumber", 25, 46),
                ("Name", 47, 81),
            ],
            "11" => &[
                ("OriginatorName", 4, 38),
                ("OriginatorStreetAddress", 39, 73),
            ],
            "12" => &[
                ("OriginatorCityStateProvince", 4, 38),
                ("OriginatorCountryPostalCode", 39, 73),
            ],
            "13" => &[
                ("ODFIName", 4, 38),
                ("ODFIIdentification", 41, 74),
                ("ODFIBranchCountryCode", 75, 77),
            ],
            "14" => &[
                ("RDFIName", 4, 38),
                ("RDFIIdentification", 41, 74),
                ("RDFIBranchCountryCode", 75, 77),
            ],
            "15" => &[
                ("ReceiverIDNumber", 4, 18),
                ("ReceiverStreetAddress", 19, 53),
            ],
            "16" => &[
                ("ReceiverCityStateProvince", 4, 38),
                ("ReceiverCountryPostalCode", 39, 73),
            ],
            "17" => &[("PaymentRelatedInformation", 4, 83)],
            _ => &[
                ("ForeignCorrespondentBankName", 4, 38),
                ("ForeignCorrespondentBankIDNumber", 41, 74),
            ],
        };
        for (name, from, to) in fields {
            r.text(name, *from, *to)?;
        }
        r.digits("EntryDetailSequenceNumber", 88, 94)?;
    }
    Ok(match tc {
        "05" => Addenda::PaymentRelated(PaymentRelatedAddenda {
            payment_related_information: r.text("PaymentRelatedInformation", 4, 83)?,
            sequence_number: r.number("SequenceNumber", 84, 87)? as u16,
            entry_detail_sequence_number: r.number("EntryDetailSequenceNumber", 88, 94)? as u32,
        }),
        "98" => {
            let code = r.raw(4, 6);
            if !valid_change_code(code) {
                return Err(r.invalid("ChangeCode", code));
            }
            Addenda::Noc(NocAddenda {
                change_code: code.into(),
                original_trace_number: r.digits("OriginalTrace", 7, 21)?,
                original_rdfi_identification: r.digits("OriginalDFI", 28, 35)?,
                corrected_data: r.text("CorrectedData", 36, 64)?,
                trace_number: r.digits("TraceNumber", 80, 94)?,
            })
        }
        "99" => {
            let code = r.raw(4, 6);
            if !valid_return_code(code) {
                return Err(r.invalid("ReturnCode", code));
            }
            // R61-R77 use the dishonored/contested layouts, where 22-27 is not a death date.
            let dishonored_or_contested = ("R61"..="R77").contains(&code);
            Addenda::Return(ReturnAddenda {
                return_code: code.into(),
                original_trace_number: r.digits("OriginalTrace", 7, 21)?,
                date_of_death: if dishonored_or_contested {
                    None
                } else {
                    r.date("DateOfDeath", 22, 27, true)?
                },
                positions_22_27: if dishonored_or_contested {
                    r.text("DateOriginalEntryReturned", 22, 27)?
                } else {
                    String::new()
                },
                original_rdfi_identification: r.digits("OriginalDFI", 28, 35)?,
                addenda_information: r.text("AddendaInformation", 36, 79)?,
                trace_number: r.digits("TraceNumber", 80, 94)?,
            })
        }
        "02" => Addenda::Other {
            type_code: tc.into(),
            data: r.text("AddendaData", 4, 94)?,
        },
        _ if iat_type => Addenda::Other {
            type_code: tc.into(),
            data: r.text("AddendaData", 4, 94)?,
        },
        _ => return Err(r.invalid("TypeCode", tc)),
    })
}

fn mismatch(r: &Rec, field: &'static str, found: u64, computed: u64) -> AchError {
    r.err(
        field,
        format!("{found} does not match the computed value {computed}"),
    )
}

fn parse_batch_control(r: &Rec, header: BatchHeader, entries: Vec<EntryDetail>) -> Result<Batch> {
    let scc = parse_service_class(r)?;
    if scc != header.service_class_code {
        return Err(r.err(
            "ServiceClassCode",
            format!(
                "{} does not match the batch header's {}",
                scc.code(),
                header.service_class_code.code()
            ),
        ));
    }
    let adv = header.sec_code == SecCode::Adv;
    let (debit_end, credit_end) = if adv { (40, 60) } else { (32, 44) };
    let control = BatchControl {
        service_class_code: scc,
        entry_addenda_count: r.number("EntryAddendaCount", 5, 10)? as u32,
        entry_hash: r.number("EntryHash", 11, 20)?,
        total_debit: r.number("TotalDebitEntryDollarAmount", 21, debit_end)?,
        total_credit: r.number("TotalCreditEntryDollarAmount", debit_end + 1, credit_end)?,
        company_identification: if adv {
            String::new()
        } else {
            r.text("CompanyIdentification", 45, 54)?.trim().to_string()
        },
        message_authentication_code: if adv {
            String::new()
        } else {
            r.text("MessageAuthenticationCode", 55, 73)?
        },
        ach_operator_data: if adv {
            r.text("ACHOperatorData", 61, 79)?
        } else {
            String::new()
        },
        odfi_identification: r.digits("ODFIIdentification", 80, 87)?,
        batch_number: r.number("BatchNumber", 88, 94)? as u32,
    };
    let batch = Batch {
        header,
        entries,
        control,
    };
    let (count, hash, debit, credit) = batch.computed_totals();
    let c = &batch.control;
    if u64::from(c.entry_addenda_count) != u64::from(count) {
        return Err(mismatch(
            r,
            "EntryAddendaCount",
            c.entry_addenda_count.into(),
            count.into(),
        ));
    }
    if c.entry_hash != hash {
        return Err(mismatch(r, "EntryHash", c.entry_hash, hash));
    }
    if c.total_debit != debit {
        return Err(mismatch(
            r,
            "TotalDebitEntryDollarAmount",
            c.total_debit,
            debit,
        ));
    }
    if c.total_credit != credit {
        return Err(mismatch(
            r,
            "TotalCreditEntryDollarAmount",
            c.total_credit,
            credit,
        ));
    }
    if c.odfi_identification != batch.header.odfi_identification {
        return Err(r.err(
            "ODFIIdentification",
            format!(
                "{} does not match the batch header's {}",
                c.odfi_identification, batch.header.odfi_identification
            ),
        ));
    }
    if c.batch_number != batch.header.batch_number {
        return Err(mismatch(
            r,
            "BatchNumber",
            c.batch_number.into(),
            batch.header.batch_number.into(),
        ));
    }
    Ok(batch)
}

fn parse_file_control(r: &Rec, batches: &[Batch]) -> Result<FileControl> {
    let adv = !batches.is_empty() && batches.iter().all(Batch::is_adv);
    let (debit_end, credit_end) = if adv { (51, 71) } else { (43, 55) };
    let c = FileControl {
        batch_count: r.number("BatchCount", 2, 7)? as u32,
        block_count: r.number("BlockCount", 8, 13)? as u32,
        entry_addenda_count: r.number("EntryAddendaCount", 14, 21)? as u32,
        entry_hash: r.number("EntryHash", 22, 31)?,
        total_debit: r.number("TotalDebitEntryDollarAmountInFile", 32, debit_end)?,
        total_credit: r.number(
            "TotalCreditEntryDollarAmountInFile",
            debit_end + 1,
            credit_end,
        )?,
    };
    let mut want = FileControl {
        batch_count: batches.len() as u32,
        block_count: c.block_count,
        entry_addenda_count: 0,
        entry_hash: 0,
        total_debit: 0,
        total_credit: 0,
    };
    for b in batches {
        want.entry_addenda_count += b.control.entry_addenda_count;
        want.entry_hash += b.control.entry_hash;
        want.total_debit += b.control.total_debit;
        want.total_credit += b.control.total_credit;
    }
    want.entry_hash %= 10_000_000_000;
    if c.batch_count != want.batch_count {
        return Err(mismatch(
            r,
            "BatchCount",
            c.batch_count.into(),
            want.batch_count.into(),
        ));
    }
    if c.entry_addenda_count != want.entry_addenda_count {
        return Err(mismatch(
            r,
            "EntryAddendaCount",
            c.entry_addenda_count.into(),
            want.entry_addenda_count.into(),
        ));
    }
    if c.entry_hash != want.entry_hash {
        return Err(mismatch(r, "EntryHash", c.entry_hash, want.entry_hash));
    }
    if c.total_debit != want.total_debit {
        return Err(mismatch(
            r,
            "TotalDebitEntryDollarAmountInFile",
            c.total_debit,
            want.total_debit,
        ));
    }
    if c.total_credit != want.total_credit {
        return Err(mismatch(
            r,
            "TotalCreditEntryDollarAmountInFile",
            c.total_credit,
            want.total_credit,
        ));
    }
    Ok(c)
}

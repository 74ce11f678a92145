use super::*;
use chrono::NaiveDate;
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn entry(amount: u64, savings: bool, addenda: Option<&str>) -> CreditEntry {
    CreditEntry {
        routing_number: "231380104".into(),
        account_number: "12345678".into(),
        account_type: if savings {
            AccountType::Savings
        } else {
            AccountType::Checking
        },
        amount_cents: amount,
        individual_id: "INV-0001".into(),
        individual_name: "Jane Investor".into(),
        addenda: addenda.map(str::to_string),
    }
}

fn sample_file() -> File {
    let b1 = CreditBatchBuilder::new(
        "Clearway Fund I",
        "1234567890",
        SecCode::Ppd,
        "DISTRIBUTN",
        date(2024, 3, 15),
        "121042882",
    )
    .entry(entry(100_000, false, Some("Q1 2024 distribution")))
    .entry(entry(2_550, true, None));
    let b2 = CreditBatchBuilder::new(
        "Clearway Fund I",
        "1234567890",
        SecCode::Ccd,
        "DISTRIBUTN",
        date(2024, 3, 15),
        "121042882",
    )
    .entry(entry(9_999_999_999, false, None));
    FileBuilder::new(
        "031300012",
        "1234567890",
        "Federal Reserve Bank",
        "Clearway",
        date(2024, 3, 14).and_hms_opt(10, 55, 0).unwrap(),
    )
    .batch(b1)
    .batch(b2)
    .build()
    .unwrap()
}

#[test]
fn aba_check_digits() {
    assert!(aba_checksum_ok("231380104"));
    assert!(aba_checksum_ok("121042882"));
    assert!(!aba_checksum_ok("987654321"));
    assert!(!aba_checksum_ok("12104288"));
    assert_eq!(aba_check_digit("23138010"), Some(4));
}

#[test]
fn writes_blocked_94_char_records_with_controls() {
    let f = sample_file();
    let text = write_file(&f);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.iter().all(|l| l.len() == RECORD_LENGTH));
    assert_eq!(lines.len() % BLOCKING_FACTOR, 0);
    assert!(text.ends_with('\n') && !text.contains('\r'));
    // 1 header + (5 + 1 + 1 addenda... ) see counts below
    assert_eq!(f.control.batch_count, 2);
    assert_eq!(f.control.entry_addenda_count, 4);
    assert_eq!(f.control.entry_hash, 3 * 23_138_010);
    assert_eq!(f.control.total_credit, 100_000 + 2_550 + 9_999_999_999);
    assert_eq!(f.control.total_debit, 0);
    assert_eq!(f.control.block_count, 1);
    assert_eq!(f.batches[0].entries[0].transaction_code, 22);
    assert_eq!(f.batches[0].entries[1].transaction_code, 32);
    assert_eq!(f.batches[0].entries[0].trace_number, "121042880000001");
    assert_eq!(f.batches[1].entries[0].trace_number, "121042880000003");
    assert_eq!(
        lines[0],
        "101 031300012123456789024031410".to_string()
            + "55A094101Federal Reserve Bank   Clearway                       "
    );
    assert!(lines[1].starts_with("5220Clearway Fund I"));
    assert_eq!(&lines[1][50..53], "PPD");
    let back = parse_file(&text).unwrap();
    assert_eq!(back, f);
}

#[test]
fn crlf_output_parses() {
    let f = sample_file();
    let text = write_file_with(&f, LineEnding::Crlf);
    assert!(text.ends_with("\r\n"));
    assert!(text
        .strip_suffix("\r\n")
        .unwrap()
        .split("\r\n")
        .all(|l| l.len() == RECORD_LENGTH));
    assert_eq!(parse_file(&text).unwrap(), f);
    // No final newline, no padding.
    let trimmed: Vec<&str> = text
        .split("\r\n")
        .filter(|l| !l.starts_with("9999"))
        .collect();
    let joined = trimmed.join("\r\n");
    assert_eq!(parse_file(&joined).unwrap(), f);
}

#[test]
fn builder_rejects_bad_fields_by_name() {
    let base = || {
        CreditBatchBuilder::new(
            "Clearway",
            "1234567890",
            SecCode::Ppd,
            "DISTRIBUTN",
            date(2024, 1, 2),
            "121042882",
        )
    };
    let mut bad_routing = entry(1, false, None);
    bad_routing.routing_number = "231380105".into();
    let e = base().entry(bad_routing).build(1, 1).unwrap_err();
    assert_eq!(e.field(), "entries[0].routing_number");

    let e = base().entry(entry(0, false, None)).build(1, 1).unwrap_err();
    assert_eq!(e.field(), "entries[0].amount_cents");

    let mut long_name = entry(1, false, None);
    long_name.individual_name = "A".repeat(23);
    let e = base().entry(long_name).build(1, 1).unwrap_err();
    assert_eq!(e.field(), "entries[0].individual_name");

    let mut bad_acct = entry(1, false, None);
    bad_acct.account_number = "12 34".into();
    let e = base().entry(bad_acct).build(1, 1).unwrap_err();
    assert_eq!(e.field(), "entries[0].account_number");

    let mut bad_text = entry(1, false, Some("caf\u{e9}"));
    bad_text.addenda = Some("caf\u{e9}".into());
    let e = base().entry(bad_text).build(1, 1).unwrap_err();
    assert_eq!(e.field(), "entries[0].addenda");

    let e = CreditBatchBuilder::new("C", "1", SecCode::Web, "X", date(2024, 1, 2), "121042882")
        .entry(entry(1, false, None))
        .build(1, 1)
        .unwrap_err();
    assert_eq!(e.field(), "sec_code");

    let e = CreditBatchBuilder::new(
        "C",
        "1",
        SecCode::Ppd,
        "payout",
        date(2024, 1, 2),
        "121042882",
    )
    .entry(entry(1, false, None))
    .build(1, 1)
    .unwrap_err();
    assert_eq!(e.field(), "company_entry_description");

    let e = FileBuilder::new("031300013", "1", "", "", date(2024, 1, 2).into())
        .build()
        .unwrap_err();
    assert_eq!(e.field(), "immediate_destination");

    let e = FileBuilder::new("031300012", "1", "", "", date(2024, 1, 2).into())
        .batch(base())
        .build()
        .unwrap_err();
    assert_eq!(e.field(), "batches[0].entries");
}

fn sample_lines() -> Vec<String> {
    write_file(&sample_file())
        .lines()
        .map(str::to_string)
        .collect()
}

fn parse_lines(lines: &[String]) -> Result<File, AchError> {
    parse_file(&lines.join("\n"))
}

fn set(lines: &mut [String], line: usize, col: usize, text: &str) {
    lines[line - 1].replace_range(col - 1..col - 1 + text.len(), text);
}

#[track_caller]
fn assert_err(lines: &[String], line: usize, field: &str) {
    let e = parse_lines(lines).unwrap_err();
    assert_eq!((e.line(), e.field()), (Some(line), field), "{e}");
}

#[test]
fn reader_names_line_and_field() {
    let mut l = sample_lines();
    set(&mut l, 2, 79, "0");
    let e = parse_lines(&l).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2: BatchHeader.OriginatorStatusCode: invalid value '0'"
    );

    let mut l = sample_lines();
    l[2].pop();
    assert_err(&l, 3, "RecordLength");

    let mut l = sample_lines();
    set(&mut l, 3, 30, "0000100001");
    assert_err(&l, 6, "TotalCreditEntryDollarAmount");

    let mut l = sample_lines();
    set(&mut l, 3, 12, "5");
    assert_err(&l, 3, "CheckDigit");

    let mut l = sample_lines();
    set(&mut l, 3, 2, "27");
    assert_err(&l, 3, "TransactionCode");

    let mut l = sample_lines();
    set(&mut l, 4, 2, "06");
    assert_err(&l, 4, "TypeCode");

    let mut l = sample_lines();
    set(&mut l, 3, 80, "99999999");
    assert_err(&l, 3, "TraceNumber");

    let mut l = sample_lines();
    set(&mut l, 3, 55, "J\u{7f}");
    assert_err(&l, 3, "IndividualName");

    let mut l = sample_lines();
    l.swap(1, 2);
    assert_err(&l, 2, "RecordType");

    let mut l = sample_lines();
    set(&mut l, 10, 2, "000003");
    assert_err(&l, 10, "BatchCount");

    let mut l = sample_lines();
    l.truncate(9);
    assert_err(&l, 9, "RecordType");

    // Non-ASCII text is reported in its field even though it is longer in bytes.
    let mut l = sample_lines();
    l[2].replace_range(55..56, "\u{17c}");
    assert_err(&l, 3, "IndividualName");
}

fn lenient(lines: &[String]) -> Result<(File, Vec<String>), AchError> {
    parse_bytes_lenient(lines.join("\r\n").as_bytes())
}

#[test]
fn lenient_reader_pads_records_whose_trailing_blanks_were_stripped() {
    let lines: Vec<String> = sample_lines()
        .iter()
        .map(|l| l.trim_end().to_string())
        .collect();
    // The file header (blank reference code) and file control (blank reserved tail) lose
    // their ends; the strict reader still refuses the header.
    assert_eq!(lines[0].len(), 71);
    assert_err(&lines, 1, "RecordLength");
    let (file, warnings) = lenient(&lines).unwrap();
    assert_eq!(file, sample_file());
    assert_eq!(
        warnings,
        ["lines 1, 10: shorter than 94 characters (trailing blanks stripped?), padded with blanks"]
    );
}

#[test]
fn lenient_reader_cuts_blanks_past_column_94() {
    let lines: Vec<String> = sample_lines().iter().map(|l| format!("{l}   ")).collect();
    assert_err(&lines, 1, "RecordLength");
    let (file, warnings) = lenient(&lines).unwrap();
    assert_eq!(file, sample_file());
    assert_eq!(
        warnings,
        ["lines 1, 2, 3, 4, 5 and 5 more: blanks past column 94, cut to 94 characters"]
    );
    // A well-formed file reads without a warning.
    assert_eq!(lenient(&sample_lines()).unwrap().1, Vec::<String>::new());
}

#[test]
fn lenient_reader_refuses_text_past_column_94() {
    let mut lines = sample_lines();
    lines[2].push_str("  X");
    let e = lenient(&lines).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 3: EntryDetail.RecordLength: must be 94 characters, found 97"
    );
}

#[test]
fn lenient_reader_names_the_length_when_a_padded_record_does_not_read() {
    // A character lost inside the header (moov-io/ach's 20110729A-invalid sample): padding
    // it shifts the creation date, and the error says the length was the problem.
    let mut lines = sample_lines();
    lines[0].remove(13);
    let e = lenient(&lines).unwrap_err();
    assert_eq!((e.line(), e.field()), (Some(1), "RecordLength"));
    assert!(
        e.to_string().starts_with(
            "line 1: FileHeader.RecordLength: must be 94 characters, found 93; \
             read as 94 it fails at FileHeader."
        ),
        "{e}"
    );
}

#[test]
fn decodes_returns_and_nocs() {
    let text = [
        "101 031300012 2313801041908161055A094101Federal Reserve Bank   My Bank Name           12345678",
        "5220Name on Account                     231380104 PPDREG.SALARY      190816   1121042880000001",
        "621231380104987654321        0000010000               Credit Account 1        1121042880000001",
        "799R1412104288000000118010223138010Deceased                                    121042880000001",
        "621231380104987654321        0000000000               Credit Account 1        1121042880000002",
        "798C01121042880000001      23138010123456789                                   121042880000002",
        "82200000040046276020000000000000000000010000231380104                          121042880000001",
        "9000001000001000000040046276020000000000000000000010000                                       ",
    ]
    .join("\n");
    let f = parse_file(&text).unwrap_or_else(|e| panic!("{e}"));
    let e = &f.batches[0].entries;
    match &e[0].addenda[0] {
        Addenda::Return(r) => {
            assert_eq!(r.return_code, "R14");
            assert_eq!(r.original_trace_number, "121042880000001");
            assert_eq!(r.date_of_death, Some(date(2018, 1, 2)));
            assert_eq!(r.original_rdfi_identification, "23138010");
        }
        other => panic!("{other:?}"),
    }
    match &e[1].addenda[0] {
        Addenda::Noc(n) => {
            assert_eq!(n.change_code, "C01");
            assert_eq!(n.corrected_data, "123456789");
        }
        other => panic!("{other:?}"),
    }
    let again = parse_file(&write_file(&f)).unwrap();
    assert_eq!(again, f);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn builder_write_parse_round_trip(
        batches in prop::collection::vec(
            (any::<bool>(), prop::collection::vec(
                (1u64..=9_999_999_999, any::<bool>(), "[A-Z0-9-]{1,17}", "[ -~]{0,15}",
                 "[A-Za-z][ -~]{0,21}", prop::option::of("[!-~][ -~]{0,79}"),
                 prop::sample::select(vec!["231380104", "121042882", "031300012", "011000015"])),
                1..12)),
            1..4),
    ) {
        let mut fb = FileBuilder::new("031300012", "1234567890", "Dest", "Orig",
            date(2025, 6, 30).and_hms_opt(23, 59, 0).unwrap());
        for (ccd, entries) in &batches {
            let sec = if *ccd { SecCode::Ccd } else { SecCode::Ppd };
            let mut b = CreditBatchBuilder::new("Clearway", "1234567890", sec, "DISTRIB",
                date(2025, 7, 1), "121042882");
            for (amt, sav, acct, id, name, add, rt) in entries {
                b = b.entry(CreditEntry {
                    routing_number: rt.to_string(),
                    account_number: acct.clone(),
                    account_type: if *sav { AccountType::Savings } else { AccountType::Checking },
                    amount_cents: *amt,
                    individual_id: id.trim_end().to_string(),
                    individual_name: name.trim_end().to_string(),
                    addenda: add.as_ref().map(|s| s.trim_end().to_string()),
                });
            }
            fb = fb.batch(b);
        }
        let file = fb.build().unwrap();
        let text = write_file(&file);
        prop_assert!(text.lines().all(|l| l.len() == RECORD_LENGTH));
        prop_assert_eq!(text.lines().count() % BLOCKING_FACTOR, 0);
        let back = parse_file(&text).unwrap();
        prop_assert_eq!(&back, &file);
        let want: u64 = batches.iter().flat_map(|(_, es)| es.iter().map(|e| e.0)).sum();
        prop_assert_eq!(back.control.total_credit, want);
        prop_assert_eq!(back.control.total_debit, 0);
        prop_assert_eq!(
            back.control.block_count as usize,
            text.lines().count() / BLOCKING_FACTOR
        );
    }
}

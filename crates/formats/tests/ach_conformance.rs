//! NACHA reader/writer against third-party samples (moov-io/ach test data) in
//! the `ach/` folder of the conformance samples (see `tests/support`). Never copied here.

use clearway_formats::ach::{parse_bytes, parse_bytes_lenient, write_file, Addenda, Batch, File};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

mod support;

fn ach_dir() -> PathBuf {
    let dir = support::dir().join("ach");
    assert!(
        dir.join("MANIFEST.tsv").is_file(),
        "{}: no MANIFEST.tsv",
        dir.display()
    );
    dir
}

/// MANIFEST.tsv: relative path -> moov-io/ach verdict.
fn manifest() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(ach_dir().join("MANIFEST.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[0].to_string(), cols[2].to_string())
        })
        .collect()
}

fn verdict_num(verdict: &str, key: &str) -> u64 {
    verdict
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in verdict {verdict}"))
        .parse()
        .unwrap()
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// Compares one of our batches with moov's JSON for it (standard, ADV or IAT shape).
fn compare_batch(name: &str, ours: &Batch, theirs: &Value) {
    let iat = ours.header.iat.is_some();
    let header = if iat {
        &theirs["IATBatchHeader"]
    } else {
        &theirs["batchHeader"]
    };
    let ctx = format!("{name} batch {}", ours.header.batch_number);
    assert_eq!(
        ours.header.sec_code.as_str(),
        s(&header["standardEntryClassCode"]),
        "{ctx}: SEC"
    );
    assert_eq!(
        u64::from(ours.header.service_class_code.code()),
        header["serviceClassCode"].as_u64().unwrap(),
        "{ctx}: service class"
    );
    let entries_key = if iat {
        "IATEntryDetails"
    } else if ours.is_adv() {
        "advEntryDetails"
    } else {
        "entryDetails"
    };
    let theirs_entries = arr(&theirs[entries_key]);
    assert_eq!(
        ours.entries.len(),
        theirs_entries.len(),
        "{ctx}: entry count"
    );
    for (i, (e, t)) in ours.entries.iter().zip(theirs_entries).enumerate() {
        let ctx = format!("{ctx} entry {i}");
        assert_eq!(
            u64::from(e.transaction_code),
            t["transactionCode"].as_u64().unwrap(),
            "{ctx}: transaction code"
        );
        assert_eq!(
            e.rdfi_identification,
            s(&t["RDFIIdentification"]),
            "{ctx}: RDFI"
        );
        assert_eq!(
            e.check_digit.to_string(),
            s(&t["checkDigit"]),
            "{ctx}: check digit"
        );
        assert_eq!(
            e.dfi_account_number,
            s(&t["DFIAccountNumber"]),
            "{ctx}: account"
        );
        assert_eq!(e.amount, t["amount"].as_u64().unwrap(), "{ctx}: amount");
        if !ours.is_adv() {
            assert_eq!(e.trace_number, s(&t["traceNumber"]), "{ctx}: trace");
        }
        for a in &e.addenda {
            match a {
                Addenda::Return(r) => {
                    // moov files the three 99 layouts under separate keys.
                    let n: u8 = r.return_code[1..].parse().unwrap();
                    let (code, trace) = if !(61..=77).contains(&n) {
                        let x = &t["addenda99"];
                        (s(&x["returnCode"]), s(&x["originalTrace"]))
                    } else if n <= 69 {
                        let x = &t["addenda99Dishonored"];
                        (
                            s(&x["dishonoredReturnReasonCode"]),
                            s(&x["originalEntryTraceNumber"]),
                        )
                    } else {
                        let x = &t["addenda99Contested"];
                        (
                            s(&x["contestedReturnCode"]),
                            s(&x["originalEntryTraceNumber"]),
                        )
                    };
                    assert_eq!(r.return_code, code, "{ctx}: return code");
                    assert_eq!(r.original_trace_number, trace, "{ctx}: original trace");
                }
                Addenda::Noc(n) => {
                    let x = &t["addenda98"];
                    assert_eq!(n.change_code, s(&x["changeCode"]), "{ctx}: change code");
                    assert_eq!(n.original_trace_number, s(&x["originalTrace"]), "{ctx}");
                    assert_eq!(n.corrected_data.trim(), s(&x["correctedData"]), "{ctx}");
                }
                Addenda::PaymentRelated(_) | Addenda::Other { .. } => {}
            }
        }
        let ours05: Vec<String> = e
            .addenda
            .iter()
            .filter_map(|a| match a {
                Addenda::PaymentRelated(p) => Some(p.payment_related_information.trim().into()),
                _ => None,
            })
            .collect();
        let theirs05: Vec<String> = arr(&t["addenda05"])
            .iter()
            .map(|x| s(&x["paymentRelatedInformation"]))
            .collect();
        assert_eq!(ours05, theirs05, "{ctx}: addenda 05");
    }
}

fn compare_with_moov_json(name: &str, file: &File) {
    let path = ach_dir()
        .join("expected-moov-json")
        .join(format!("{name}.json"));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let (iat, std): (Vec<&Batch>, Vec<&Batch>) =
        file.batches.iter().partition(|b| b.header.iat.is_some());
    let theirs_std = arr(&json["batches"]);
    let theirs_iat = arr(&json["IATBatches"]);
    assert_eq!(std.len(), theirs_std.len(), "{name}: batches");
    assert_eq!(iat.len(), theirs_iat.len(), "{name}: IAT batches");
    for (b, t) in std.iter().zip(theirs_std).chain(iat.iter().zip(theirs_iat)) {
        compare_batch(name, b, t);
    }
    // moov keeps the ADV file control apart from the standard one.
    let control = if file.is_adv() {
        &json["fileADVControl"]
    } else {
        &json["fileControl"]
    };
    assert_eq!(
        file.control.total_debit,
        control["totalDebit"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(
        file.control.total_credit,
        control["totalCredit"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(
        file.control.entry_hash,
        control["entryHash"].as_u64().unwrap()
    );
}

#[test]
fn third_party_valid_samples_parse_and_agree_with_moov() {
    if support::skip() {
        return;
    }
    let dir = ach_dir();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (path, verdict) in manifest() {
        let Some(file_name) = path.strip_prefix("valid/") else {
            continue;
        };
        assert!(verdict.starts_with("OK"), "{path}: {verdict}");
        let bytes = std::fs::read(dir.join(&path)).unwrap();
        let file = match parse_bytes(&bytes) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{path}: {e}"));
                continue;
            }
        };
        // moov counts IAT batches separately and reports ADV totals in its ADV control.
        let std_batches = file
            .batches
            .iter()
            .filter(|b| b.header.iat.is_none())
            .count() as u64;
        assert_eq!(std_batches, verdict_num(&verdict, "batches"), "{path}");
        let (debit, credit) = if file.is_adv() {
            (0, 0)
        } else {
            (file.control.total_debit, file.control.total_credit)
        };
        assert_eq!(debit, verdict_num(&verdict, "debit"), "{path}");
        assert_eq!(credit, verdict_num(&verdict, "credit"), "{path}");
        compare_with_moov_json(file_name, &file);

        // Round trip: our writer's output reads back to the same file, in blocked records.
        let text = write_file(&file);
        assert!(text.lines().all(|l| l.len() == 94), "{path}");
        assert_eq!(text.lines().count() % 10, 0, "{path}");
        let again = parse_bytes(text.as_bytes()).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(again, file, "{path}: round trip");
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "valid files rejected:\n{}",
        failures.join("\n")
    );
    assert_eq!(checked, 64, "every valid sample is checked; none skipped");
}

/// Where we reject each invalid sample: (file, our line, our field). Where moov-io/ach
/// reports a different line the reason is given.
const INVALID: &[(&str, usize, &str)] = &[
    // Same line/field as moov: originator status 0 outside ADV/IAT.
    ("cmd-writeACH__201805101354.ach", 2, "OriginatorStatusCode"),
    ("cmd-writeACH__201805101355.ach", 2, "OriginatorStatusCode"),
    // moov: line 2503 (the batch control, where it validates batches); we flag the first
    // zero-amount live credit entry itself.
    ("cmd-writeACH__202001172118.ach", 3, "Amount"),
    // moov gives no line; we report the file control holding the wrong batch count.
    ("issues__testdata__issue1620.ach", 5, "BatchCount"),
    ("issues__testdata__issue702-1.ach", 1, "RecordLength"),
    // moov: "no file header" without a line; the file starts with a batch header.
    ("issues__testdata__issue751.ach", 1, "RecordType"),
    ("testdata__20110729A-invalid.ach", 1, "RecordLength"),
    // moov: batch count mismatch, no line; we name the file control line.
    ("testdata__20110805A.ach", 93, "BatchCount"),
    (
        "testdata__FISERV-ZEROFILE-PIMRET825324_032720_110221.ach",
        1,
        "RecordLength",
    ),
    // Same line and field as moov: a control character (0x1A) inside the IAT addenda text.
    ("testdata__Iat-invalidAddenda13.ach", 7, "ODFIName"),
    // moov: line 5 (batch control). TEL is debit-only; we flag the credit entry.
    (
        "testdata__NACHA_SAMPLE_TEL_REVERSAL.ach",
        3,
        "TransactionCode",
    ),
    // moov gives no line; we report the last line read when no file control came.
    ("testdata__adv-noFileControl.ach", 5, "RecordType"),
    ("testdata__bh-ed-ad-bh-ed-ad-ed-ad.ach", 1, "RecordType"),
    // Crashers: single-line 94n-character files split into records; the first is a
    // batch header, so we stop at the missing file header (moov: its status code).
    ("testdata__crashers__0.ach", 1, "RecordType"),
    ("testdata__crashers__1.ach", 1, "RecordType"),
    ("testdata__crashers__2.ach", 1, "RecordType"),
    ("testdata__crashers__3.ach", 1, "RecordType"),
    // Not a multiple of 94 characters: rejected on length (moov: status code).
    ("testdata__crashers__5.ach", 1, "RecordLength"),
    ("testdata__extended-ascii.ach", 15, "IndividualName"),
    // Same check as moov (file credit total 600000 vs 600078); moov gives no line, we
    // name the file control line.
    (
        "testdata__flattenADVBatchesMultipleBatchHeaders.ach",
        22,
        "TotalCreditEntryDollarAmountInFile",
    ),
    (
        "testdata__iat-batchHeaderErr.ach",
        1,
        "ImmediateDestination",
    ),
    (
        "testdata__iat-invalidAddenda12.ach",
        6,
        "OriginatorCityStateProvince",
    ),
    ("testdata__iat-invalidAddenda14.ach", 8, "RDFIName"),
    (
        "testdata__iat-invalidAddenda16.ach",
        10,
        "ReceiverCityStateProvince",
    ),
    (
        "testdata__iat-invalidAddenda18.ach",
        12,
        "ForeignCorrespondentBankName",
    ),
    ("testdata__iat-invalidAddenda98.ach", 11, "ChangeCode"),
    (
        "testdata__iat-invalidEntryDetail.ach",
        1,
        "ImmediateDestination",
    ),
    // moov: line 5 (batch control); we flag the first entry whose trace prefix is not
    // the batch ODFI.
    ("testdata__moov-ids.ach", 3, "TraceNumber"),
    // moov pads the 75-character file header and later fails on the entry/addenda count;
    // we reject short records other than the file control (whose tail is reserved).
    ("testdata__nonascii-utf8.ach", 1, "RecordLength"),
    ("testdata__nonascii.ach", 1, "RecordLength"),
    ("testdata__pos-invalidEntryDetail.ach", 3, "IndividualName"),
    ("testdata__pos-invalidReturnFile.ach", 4, "ReturnCode"),
    // moov: entry outside batch at line 1; we say the file must start with a header.
    ("testdata__return-no-batch-header.ach", 1, "RecordType"),
    (
        "testdata__return-no-file-header-control.ach",
        1,
        "RecordType",
    ),
    // moov: line 31, expiration month 00; we stop earlier, at the 86-character header.
    ("testdata__shr-credit.ach", 1, "RecordLength"),
    ("testdata__skip-validation.ach", 1, "ImmediateDestination"),
    ("testdata__web-invalidNOCFile.ach", 4, "ChangeCode"),
];

#[test]
fn third_party_invalid_samples_are_rejected_with_line_and_field() {
    if support::skip() {
        return;
    }
    let dir = ach_dir();
    let listed: Vec<String> = manifest()
        .keys()
        .filter_map(|p| p.strip_prefix("invalid/").map(str::to_string))
        .collect();
    assert_eq!(
        listed.len(),
        INVALID.len(),
        "every invalid sample has an expectation"
    );
    let mut problems = Vec::new();
    for (name, line, field) in INVALID {
        assert!(listed.iter().any(|l| l == name), "{name} not in MANIFEST");
        let bytes = std::fs::read(dir.join("invalid").join(name)).unwrap();
        match parse_bytes(&bytes) {
            Ok(_) => problems.push(format!("{name}: accepted")),
            Err(e) => {
                let got = (e.line().unwrap_or(0), e.field().to_string());
                if got != (*line, field.to_string()) {
                    problems.push(format!("{name}: expected line {line} {field}, got: {e}"));
                }
                assert!(e.to_string().starts_with("line "), "{name}: {e}");
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The sample with every line changed by `f` (files without line breaks are left alone).
fn each_line(bytes: &[u8], f: impl Fn(&str) -> String) -> Option<Vec<u8>> {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    (lines.len() > 1).then(|| {
        let out: Vec<String> = lines.iter().map(|l| f(l)).collect();
        out.join("\n").into_bytes()
    })
}

/// moov-io/ach pads records shorter than 94 characters and cuts longer ones (its
/// `rightPadShortLine` / `trimSpacesFromLongLine`). Our lenient reader (bank files: returns,
/// NOCs) does the same where only blanks are involved, with a warning, so every valid
/// sample reads to the same file whether its trailing blanks are stripped or blanks are
/// added past column 94. Text past column 94 stays an error (moov cuts it silently).
#[test]
fn third_party_lenient_reader_normalises_record_length_like_moov() {
    if support::skip() {
        return;
    }
    let dir = ach_dir();
    let mut checked = 0;
    for path in manifest().keys().filter(|p| p.starts_with("valid/")) {
        let bytes = std::fs::read(dir.join(path)).unwrap();
        let strict = parse_bytes(&bytes).unwrap();
        let (as_is, warnings) = parse_bytes_lenient(&bytes).unwrap();
        assert_eq!(as_is, strict, "{path}");
        // Only the samples with a short file control need (and report) padding.
        let short = String::from_utf8_lossy(&bytes)
            .lines()
            .any(|l| (1..94).contains(&l.trim_end_matches('\r').len()));
        assert_eq!(warnings.is_empty(), !short, "{path}: {warnings:?}");
        let Some(stripped) = each_line(&bytes, |l| l.trim_end().to_string()) else {
            continue;
        };
        let (file, warnings) =
            parse_bytes_lenient(&stripped).unwrap_or_else(|e| panic!("{path} stripped: {e}"));
        assert_eq!(file, strict, "{path} stripped");
        assert!(stripped == bytes || !warnings.is_empty(), "{path}");
        let padded = each_line(&bytes, |l| format!("{}  ", l.trim_end_matches('\r'))).unwrap();
        let (file, warnings) =
            parse_bytes_lenient(&padded).unwrap_or_else(|e| panic!("{path} padded: {e}"));
        assert_eq!(file, strict, "{path} padded");
        assert!(
            warnings.iter().any(|w| w.contains("blanks past column 94")),
            "{path}: {warnings:?}"
        );
        checked += 1;
    }
    assert_eq!(checked, 63, "every valid sample with line breaks");
}

/// Leniency accepts no invalid sample, and each is refused at the same line and field as
/// by the strict reader, except where padding a short header lets the reader get further,
/// to where moov-io/ach fails too.
#[test]
fn third_party_lenient_reader_refuses_the_invalid_samples() {
    if support::skip() {
        return;
    }
    let further: &[(&str, usize, &str)] = &[
        // moov: "EntryAddendaCount calculated 13 is out-of-balance"; the name field of the
        // first entry holds a non-ASCII character, which we refuse where it is.
        ("testdata__nonascii-utf8.ach", 3, "IndividualName"),
        ("testdata__nonascii.ach", 3, "IndividualName"),
        // moov: line 31, "CardExpirationDate 00 is an invalid month"; we flag the first such
        // entry.
        ("testdata__shr-credit.ach", 3, "CardExpirationDate"),
    ];
    let dir = ach_dir();
    let mut problems = Vec::new();
    for (name, line, field) in INVALID {
        let (line, field) = further
            .iter()
            .find(|(n, _, _)| n == name)
            .map_or((line, field), |(_, l, f)| (l, f));
        let bytes = std::fs::read(dir.join("invalid").join(name)).unwrap();
        match parse_bytes_lenient(&bytes) {
            Ok(_) => problems.push(format!("{name}: accepted")),
            Err(e) => {
                let got = (e.line().unwrap_or(0), e.field().to_string());
                if got != (*line, field.to_string()) {
                    problems.push(format!("{name}: expected line {line} {field}, got: {e}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

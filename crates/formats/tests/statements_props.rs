//! Property tests: the statement readers (BAI2, MT940, camt) never panic, whatever the input.

use clearway_formats::statements::{bai2, camt053, mt940, read_statements};
use proptest::prelude::*;

/// Inputs built from format-shaped pieces reach deep parser paths faster than random bytes.
fn fragments() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("01,A,B,240101,0000,1,,,2/\n".to_string()),
        Just("02,B,A,1,240101,,USD,2/\n".to_string()),
        Just("03,1,USD,010,100,,/\n".to_string()),
        Just("16,142,100,V,240101,,R,C,TEXT/\n".to_string()),
        Just("16,451,5,D,2,0,1,1/\n".to_string()),
        Just("88,MORE, TEXT/\n".to_string()),
        Just("49,100,3/\n".to_string()),
        Just("98,100,1,5/\n".to_string()),
        Just("99,100,1,7/\n".to_string()),
        Just(":20:X\n:25:Y\n".to_string()),
        Just(":60F:C240101EUR1,\n".to_string()),
        Just(":61:2412310101RD1,5NTRFA//B\nSUPP\n".to_string()),
        Just(":86:?32NAME\n-\n".to_string()),
        Just(":62M:D240101EUR0,5\n".to_string()),
        Just("{1:F01}{4:\n".to_string()),
        Just("-}\n".to_string()),
        "[ -~\n]{0,20}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

/// camt-shaped XML pieces, so the camt reader gets past the XML parser into its mapping code.
fn camt_fragments() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<Document><BkToCstmrStmt>".to_string()),
        Just("<BkToCstmrAcctRptV01><Rpt>".to_string()),
        Just("<Stmt><Id>S</Id><Acct><Id><IBAN>X</IBAN></Id><Ccy>EUR</Ccy></Acct>".to_string()),
        Just("<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">1.5</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2024-01-01</Dt></Dt></Bal>".to_string()),
        Just("<Ntry><Amt Ccy=\"EUR\">2</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><DtTm>2024-01-01T25:00</DtTm></BookgDt>".to_string()),
        Just("<NtryDtls><TxDtls><Refs><EndToEndId>E</EndToEndId></Refs><Amt Ccy=\"EUR\">1</Amt></TxDtls></NtryDtls>".to_string()),
        Just("<RltdPties><Dbtr><Pty><Nm>N &amp; M</Nm></Pty></Dbtr></RltdPties>".to_string()),
        Just("</Ntry>".to_string()),
        Just("</Stmt></BkToCstmrStmt></Document>".to_string()),
        Just("<![CDATA[x]]>&#0;&#x10FFFF;&lt;".to_string()),
        "[ -~\n]{0,20}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn camt_reader_never_panics(s in "\\PC*") {
        let _ = camt053::read(&s);
        let _ = read_statements(&format!("<{s}"));
    }

    #[test]
    fn camt_reader_never_panics_on_camt_fragments(s in camt_fragments()) {
        let _ = camt053::read(&s);
        let _ = camt053::read_with(&s, &camt053::ReadOptions { strict_balances: true });
    }

    #[test]
    fn readers_never_panic_on_arbitrary_text(s in "\\PC*") {
        let _ = bai2::read(&s);
        let _ = mt940::read(&s);
        let _ = read_statements(&s);
    }

    #[test]
    fn readers_never_panic_on_format_fragments(s in fragments()) {
        let _ = bai2::read(&s);
        let _ = mt940::read_with(&s, &mt940::ReadOptions { verify_balances: false });
        let _ = read_statements(&s);
    }
}

// ------------------------------------------------- CSV/XLSX and mutated real files

use clearway_formats::statements::{csv, read_file, xlsx, SheetOptions, StatementError};

/// Real third-party files (see `tests/support`), one or more per reader.
const REAL_FILES: [&str; 8] = [
    "bai2/moov-bai2__sample1.bai2",
    "bai2/moj__nwb_example.bai2",
    "mt940/wolph__jejik__abnamro.sta",
    "mt940/oca-bsi10__account_bank_statement_import_mt940_base__test-ing.940",
    "iso20022/camt.053/genkgo__camt053.v2.multi.statement.xml",
    "csv/oca-bsi16__meta_data_separated_credit_debit.csv",
    "csv/oca-bsi14-paypal__statement_es.csv",
    "csv/oca-bsi16__sample_statement_en.xlsx",
];

mod support;

fn real(rel: &str) -> Vec<u8> {
    let p = support::dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A reader's error must point inside the input: line 1..=lines+1 (or say it is empty).
fn error_points_inside(e: &StatementError, input: &[u8]) -> Result<(), String> {
    let lines = input.iter().filter(|b| **b == b'\n').count() + 1;
    match e.line() {
        None if matches!(e, StatementError::Empty) => Ok(()),
        None => Err(format!("error without a line: {e}")),
        Some(l) if l >= 1 && l <= lines + 1 => {
            if e.to_string().starts_with(&format!("line {l}: ")) {
                Ok(())
            } else {
                Err(format!("message does not start with the line: {e}"))
            }
        }
        Some(l) => Err(format!("line {l} outside a {lines}-line input: {e}")),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Insert(usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), 0usize..64).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 0..8))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
    ]
}

fn mutate(mut bytes: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = bytes.len().max(1);
        match m {
            Mutation::Flip(i, b) => {
                if !bytes.is_empty() {
                    bytes[i % len] = *b;
                }
            }
            Mutation::Truncate(i) => bytes.truncate(i % len),
            Mutation::Delete(i, n) => {
                let start = i % len;
                let end = (start + n).min(bytes.len());
                if start < end {
                    bytes.drain(start..end);
                }
            }
            Mutation::Duplicate(i, n) => {
                let start = (i % len).min(bytes.len());
                let end = (start + n).min(bytes.len());
                let piece = bytes[start..end].to_vec();
                bytes.splice(end..end, piece);
            }
            Mutation::Insert(i, v) => {
                let at = (i % len).min(bytes.len());
                bytes.splice(at..at, v.iter().copied());
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn csv_reader_never_panics_and_errors_point_inside(s in "\\PC*") {
        for m in csv::presets() {
            if let Err(e) = csv::read_csv(&s, &m) {
                prop_assert!(error_points_inside(&e, s.as_bytes()).is_ok(), "{}", e);
            }
        }
        let _ = read_file(s.as_bytes(), None, &SheetOptions::default());
    }

    #[test]
    fn csv_reader_on_csv_shaped_rows(rows in prop::collection::vec(
        prop::collection::vec(prop_oneof![
            Just("12/15/2018".to_string()), Just("-1,234.50".to_string()), Just("1.234,5".to_string()),
            Just("\"a,b\"".to_string()), Just("\"".to_string()), Just("EUR".to_string()), Just(String::new()),
            Just("Date".to_string()), Just("Amount".to_string()), "[ -~]{0,8}",
        ], 0..8).prop_map(|cells| cells.join(",")), 0..10)) {
        let input = rows.join("\n");
        for m in csv::presets() {
            if let Err(e) = csv::read_csv(&input, &m) {
                prop_assert!(error_points_inside(&e, input.as_bytes()).is_ok(), "{}", e);
            }
        }
    }

    #[test]
    fn third_party_mutated_real_files_parse_or_name_the_line(
        file in 0usize..REAL_FILES.len(),
        muts in prop::collection::vec(mutation(), 1..4),
    ) {
        if support::skip() {
            return Ok(());
        }
        let bytes = mutate(real(REAL_FILES[file]), &muts);
        match read_file(&bytes, None, &SheetOptions::default()) {
            Ok(r) => prop_assert!(!r.statements.is_empty()),
            Err(e) => {
                if xlsx::looks_like_xlsx(&bytes) {
                    // Archive errors have no text line; they name the part instead.
                    prop_assert!(e.to_string().contains("XLSX") || e.line().is_some(), "{}", e);
                } else {
                    prop_assert!(error_points_inside(&e, &bytes).is_ok(), "{}: {}", REAL_FILES[file], e);
                }
            }
        }
    }
}

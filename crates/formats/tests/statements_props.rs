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

//! The forms rendered and read back: PDF through poppler's `pdftotext`, XLSX with the
//! project's reader, CSV exactly.

use std::process::Command;

use clearway_core::tax::form1099::StateBoxes;
use clearway_core::tax::k1::{ItemJ, ItemL};
use rust_decimal_macros_free::dec;

use super::*;
use crate::statements::csv::Cell;
use crate::statements::xlsx;

mod rust_decimal_macros_free {
    /// `dec("1.5")`: a decimal from text (no macro crate needed).
    pub fn dec(s: &str) -> rust_decimal::Decimal {
        s.parse().unwrap()
    }
}

fn pdf_text(pdf: &[u8], name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("clearway-taxform-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("form.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output();
    let out = out.expect("pdftotext runs (apt-get install poppler-utils)");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('…'), "a label was cut to fit: {text}");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn div() -> Div1099Doc {
    Div1099Doc {
        year: 2025,
        corrected: true,
        payer_name: "Harbor Income Fund".into(),
        payer_tin: "12-3456789".into(),
        payer_address: vec!["200 State Street".into(), "Boston, MA 02109".into()],
        recipient_name: "Jane Q. Public".into(),
        recipient_tin_masked: mask_tin(Some("6789")),
        recipient_address: vec!["5 Elm Road".into(), "Springfield, IL 62701".into()],
        account: "INV-1".into(),
        fund: "HIF Harbor Income Fund".into(),
        figures: Div1099 {
            box1a: 123_456,
            box1b: 100_000,
            box2a: 50_000,
            box3: 7_500,
            box4: 2_400,
            box5: 3_333,
            box7: 1_234,
            box8: Some("Various".into()),
            box11: true,
            box12: 4_444,
            states: vec![StateBoxes {
                state: "CA".into(),
                payer_state_id: Some("123-4567-8".into()),
                withheld_minor: 4_321,
            }],
            ..Div1099::default()
        },
    }
}

#[test]
fn the_1099_div_copy_b_pdf_prints_every_box_value() {
    let pdf = render(&div().layout(), Format::Pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let text = pdf_text(&pdf, "div");
    for needle in [
        "Form 1099-DIV 2025",
        "CORRECTED",
        "Copy B (For Recipient)",
        "***-**-6789",
        "12-3456789",
        "INV-1",
        "1a Total ordinary dividends 1,234.56 USD",
        "1b Qualified dividends 1,000.00 USD",
        "2a Total capital gain distr. 500.00 USD",
        "3 Nondividend distributions 75.00 USD",
        "4 Federal income tax withheld 24.00 USD",
        "5 Section 199A dividends 33.33 USD",
        "7 Foreign tax paid 12.34 USD",
        "8 Foreign country or U.S. possession Various",
        "11 FATCA filing requirement X",
        "12 Exempt-interest dividends 44.44 USD",
        "CA 123-4567-8 43.21 USD",
        "This is important tax information and is being furnished to the IRS.",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    assert!(!text.contains("6789 ") || !text.contains("123-45-6789"));
}

#[test]
fn an_original_1099_div_does_not_say_corrected() {
    let mut d = div();
    d.corrected = false;
    let text = pdf_text(&render(&d.layout(), Format::Pdf).unwrap(), "orig");
    assert!(!text.contains("CORRECTED"), "{text}");
}

fn k1() -> K1Doc {
    K1Doc {
        year: 2025,
        partnership_name: "Clearway Partners LP".into(),
        partnership_ein: "98-7654321".into(),
        partner_name: "Ada Partner".into(),
        partner_tin_masked: mask_tin(Some("4321")),
        general_partner: false,
        k1: K1 {
            lines: vec![
                K1Amount {
                    line: K1Line::Interest,
                    code: String::new(),
                    amount_minor: 10_001,
                },
                K1Amount {
                    line: K1Line::NetLongTermGain,
                    code: String::new(),
                    amount_minor: -2_550,
                },
                K1Amount {
                    line: K1Line::OtherIncome,
                    code: "ZZ".into(),
                    amount_minor: 777,
                },
                K1Amount {
                    line: K1Line::DistributionsCash,
                    code: String::new(),
                    amount_minor: 50_000,
                },
                K1Amount {
                    line: K1Line::DistributionsProperty,
                    code: String::new(),
                    amount_minor: 25_075,
                },
            ],
            item_j: ItemJ {
                profit_beginning: dec("12.5"),
                profit_ending: dec("12.345678"),
                loss_beginning: dec("12.5"),
                loss_ending: dec("12.345678"),
                capital_beginning: dec("10"),
                capital_ending: dec("11.111111"),
            },
            item_l: ItemL {
                beginning: 1_000_000,
                contributed: 200_000,
                net_income: 7_451,
                other: 0,
                withdrawals_distributions: 75_075,
                ending: 1_132_376,
            },
        },
        descriptions: vec![(
            "11".into(),
            "ZZ".into(),
            "Section 988 foreign currency gain".into(),
        )],
    }
}

#[test]
fn the_k1_pdf_prints_parts_lines_and_items() {
    let text = pdf_text(&render(&k1().layout(), Format::Pdf).unwrap(), "k1");
    for needle in [
        "Schedule K-1 (Form 1065) 2025",
        "98-7654321",
        "***-**-4321",
        "Limited partner or other LLC member",
        "5 Interest income 100.01 USD",
        "9a Net long-term capital gain (loss) -25.50 USD",
        "11 ZZ Other income (loss) 7.77 USD",
        "19 A Distributions: cash and marketable securities 500.00 USD",
        "19 C Distributions: other property 250.75 USD",
        "Profit 12.5 12.345678",
        "Beginning capital account 10,000.00 USD",
        "Withdrawals and distributions -750.75 USD",
        "Ending capital account 11,323.76 USD",
        "Section 988 foreign currency gain",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
}

#[test]
fn the_k1_xlsx_reads_back_exact_cents() {
    let bytes = k1_xlsx(&k1()).unwrap();
    let rows = xlsx::rows(&bytes).unwrap();
    let find = |label: &str| {
        rows.iter()
            .find(|r| r.cells.first() == Some(&Cell::Text(label.into())))
            .map(|r| r.cells.clone())
    };
    assert_eq!(
        find("Ending capital account").unwrap()[1],
        Cell::Number("11323.76".into())
    );
    let interest = find("5").unwrap();
    assert_eq!(interest[3], Cell::Number("100.01".into()));
}

#[test]
fn the_1042s_pdf_prints_each_form() {
    let doc = Form1042SDoc {
        year: 2025,
        agent_name: "Harbor Income Fund".into(),
        agent_ein: "12-3456789".into(),
        recipient_name: "Hans Gruber".into(),
        recipient_country: "DE".into(),
        recipient_foreign_tin: Some("DE123456".into()),
        forms: vec![
            f1042("06", 100_000, "04", dec("15"), 15_000),
            f1042("37", 20_000, "00", dec("0"), 0),
        ],
    };
    let text = pdf_text(&render(&doc.layout(), Format::Pdf).unwrap(), "1042");
    for needle in [
        "Form 1042-S 2025",
        "Form 1 of 2 — income code 06",
        "2 Gross income 1,000.00 USD",
        "3a Chapter 3 exemption code 04",
        "3b Chapter 3 tax rate (%) 15",
        "7a Federal tax withheld 150.00 USD",
        "13b Recipient's country code DE",
        "Form 2 of 2 — income code 37",
        "2 Gross income 200.00 USD",
        "DE123456",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
}

fn f1042(code: &str, gross: i64, ex: &str, rate: Decimal, withheld: i64) -> Form1042S {
    Form1042S {
        income_code: code.into(),
        gross_income_minor: gross,
        chapter: 3,
        ch3_exemption_code: ex.into(),
        ch3_rate: rate,
        ch4_exemption_code: "15".into(),
        ch4_rate: dec("0"),
        withheld_minor: withheld,
        recipient_country: Some("DE".into()),
        ch3_status: Some("16".into()),
        ch4_status: Some("16".into()),
    }
}

#[test]
fn the_csv_files_are_exact() {
    let d = div().figures;
    let csv = div1099_csv(&[("inv-1".into(), "Jane, Q".into(), d)]);
    let mut lines = csv.split("\r\n");
    let header = lines.next().unwrap();
    assert!(header.starts_with("investorId,name,box1a,box1b,box2a"));
    assert_eq!(
        lines.next().unwrap(),
        "inv-1,\"Jane, Q\",1234.56,1000.00,500.00,0.00,0.00,0.00,0.00,0.00,75.00,24.00,33.33,0.00,12.34,0.00,0.00,44.44,0.00,Various,true,CA,123-4567-8,43.21,,,"
    );
    let csv = form1042s_csv(&[(
        "inv-9".into(),
        "Hans".into(),
        f1042("06", 100_000, "04", dec("15.0"), 15_000),
    )]);
    assert_eq!(
        csv.split("\r\n").nth(1).unwrap(),
        "inv-9,Hans,06,1000.00,3,04,15,15,0,150.00,DE,16,16"
    );
    let csv = k1_csv(&[("inv-2".into(), "Ada".into(), k1().k1)]);
    let rows: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(rows[0], "investorId,name,line,code,item,amount");
    assert_eq!(
        rows[2],
        "inv-2,Ada,9a,,Net long-term capital gain (loss),-25.50"
    );
    assert_eq!(
        rows[5],
        "inv-2,Ada,19,C,Distributions: other property,250.75"
    );
}

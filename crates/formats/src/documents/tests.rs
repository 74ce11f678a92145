//! The three documents in the three formats, read back: CSV exactly, XLSX with the project's
//! own reader, PDF with poppler's `pdftotext` and `pdffonts` (poppler-utils).

use std::path::PathBuf;
use std::process::Command;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;
use crate::statements::csv::Cell;
use crate::statements::xlsx;

const PAST: &str = "Past performance does not guarantee future results. Distributions are not guaranteed and may vary.";
const ESTIMATE: &str = "The tax character of this distribution is an estimate until year end; your final tax character will be reported on your year-end tax form.";
const SOURCE: &str = "Notice of the source of this distribution (Section 19(a)): part of this distribution is a return of capital, that is, a return of some of the money you invested, and not income or profit of the fund. The amounts and sources reported here are estimates, not for tax reporting; the actual amounts and sources for tax purposes will depend on the fund's results for the full fiscal year.";
const ES_PAST: &str = "El rendimiento pasado no garantiza resultados futuros. Las distribuciones no están garantizadas y pueden variar.";

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn usd(minor: i64) -> Money {
    Money::new(minor, 2, "USD")
}

fn notice() -> NoticeDoc {
    NoticeDoc {
        lang: Lang::En,
        investor_name: "José Muñoz Peña".into(),
        fund: "DEMO-OPEN — Demo Open Fund".into(),
        distribution_id: "0190a-dist".into(),
        description: "Q1 2026".into(),
        record_date: date("2026-03-16"),
        payable_date: date("2026-03-31"),
        units: Some(Decimal::new(125000, 4)),
        gross: usd(12345678),
        components: vec![
            ("ordinaryDividend".into(), 7407407),
            ("qualifiedDividend".into(), 0),
            ("returnOfCapital".into(), 4938271),
        ],
        foreign_tax_minor: 0,
        withholding_minor: 100000,
        reinvestment: Some(NoticeReinvestment {
            fund_code: "DEMO-OPEN".into(),
            reinvested: usd(6000000),
            shares: Decimal::new(4000000, 3),
            nav: Decimal::new(150000, 4),
            nav_date: date("2026-03-31"),
            residual: usd(7),
        }),
        net_cash_minor: Some(6245678),
        payments: vec![NoticePayment {
            method: "ACH".into(),
            destination: "••••6789".into(),
            amount: usd(6245678),
            status: "SENT".into(),
            expected: Some(date("2026-04-01")),
        }],
        disclosures: vec![PAST.into(), ESTIMATE.into(), SOURCE.into()],
    }
}

fn statement(rows: usize) -> StatementDoc {
    let d = StatementDistribution {
        payable_date: date("2026-03-31"),
        fund_code: "DEMO-OPEN".into(),
        description: "Q1 2026".into(),
        gross: usd(100000),
        components: vec![
            ("ordinaryDividend".into(), 60000),
            ("returnOfCapital".into(), 40000),
        ],
        withholding_minor: 0,
        reinvested_minor: Some(0),
        cash_minor: Some(100000),
    };
    StatementDoc {
        lang: Lang::En,
        investor_name: "Zoë Ibáñez".into(),
        from: date("2026-01-01"),
        to: date("2026-12-31"),
        positions: vec![StatementPosition {
            fund: "DEMO-OPEN — Demo Open Fund".into(),
            opening_units: Decimal::new(100, 0),
            closing_units: Decimal::new(104, 0),
            cost_basis: Some(usd(123456)),
        }],
        distributions: vec![d; rows],
        reinvestments: vec![StatementReinvestment {
            trade_date: date("2026-03-31"),
            fund_code: "DEMO-OPEN".into(),
            shares: Decimal::new(4, 0),
            nav: Decimal::new(2500, 2),
            cost: usd(10000),
            residual: usd(0),
        }],
        payments: vec![StatementPayment {
            date: date("2026-04-01"),
            method: "WIRE".into(),
            status: "SETTLED".into(),
            amount: usd(90000),
        }],
        lots: vec![StatementLot {
            fund_code: "DEMO-OPEN".into(),
            acquired_on: date("2025-06-30"),
            source: "PURCHASE".into(),
            shares: Decimal::new(100, 0),
            basis: usd(113456),
        }],
        disclosures: vec![PAST.into(), ESTIMATE.into()],
    }
}

fn tax_summary() -> TaxSummaryDoc {
    TaxSummaryDoc {
        lang: Lang::En,
        investor_name: "Zoë Ibáñez".into(),
        year: 2026,
        funds: vec![TaxFundRow {
            fund: "DEMO-OPEN — Demo Open Fund".into(),
            total: usd(250000),
            components: vec![
                ("ordinaryDividend".into(), 150000),
                ("returnOfCapital".into(), 100000),
            ],
            foreign_tax_minor: 1234,
            withholding_minor: 25000,
        }],
        disclosures: vec![ESTIMATE.into()],
    }
}

/// A unique scratch directory under the system temp dir, removed by the caller.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "clearway-doc-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `pdftotext`'s text of a PDF, whitespace collapsed (wrapped lines join), and `pdffonts`'
/// and `pdfinfo`'s reports.
fn pdf_text(pdf: &[u8], name: &str) -> (String, String, String) {
    let dir = scratch(name);
    let file = dir.join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext").arg(&file).arg("-").output();
    let out = out.expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let fonts = Command::new("pdffonts").arg(&file).output().unwrap();
    let info = Command::new("pdfinfo").arg(&file).output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let report = |o: std::process::Output| String::from_utf8(o.stdout).unwrap();
    (flat, report(fonts), report(info))
}

#[test]
fn money_prints_grouped_with_the_currency_exponent() {
    assert_eq!(usd(12345678).to_string(), "123,456.78 USD");
    assert_eq!(usd(-5).to_string(), "-0.05 USD");
    assert_eq!(Money::new(1234567, 0, "JPY").to_string(), "1,234,567 JPY");
    assert_eq!(Money::new(1000, 3, "BHD").grouped(), "1.000");
}

#[test]
fn the_notice_csv_is_exact() {
    let mut doc = notice();
    doc.payments.clear();
    doc.reinvestment = None;
    doc.net_cash_minor = None;
    doc.disclosures = vec![PAST.into()];
    let csv = String::from_utf8(render(&doc.layout(), Format::Csv).unwrap()).unwrap();
    let expected = [
        "section,row,field,value,currency",
        "document,0,title,Distribution notice,",
        "document,0,subtitle,For José Muñoz Peña,",
        "distribution,1,Fund,DEMO-OPEN — Demo Open Fund,",
        "distribution,1,Distribution id,0190a-dist,",
        "distribution,1,Description,Q1 2026,",
        "distribution,1,Record date,2026-03-16,",
        "distribution,1,Payable date,2026-03-31,",
        "distribution,1,Units held on the record date,12.5,",
        "components,1,Gross amount,123456.78,USD",
        "components,1,Ordinary dividend,74074.07,USD",
        "components,1,Return of capital,49382.71,USD",
        "components,1,Tax withheld,1000.00,USD",
        "components,1,Reinvested,0.00,USD",
        "components,1,Net cash,Not yet processed,",
        "payments,0,note,No payment yet.,",
        &format!("disclosure,1,Important information,{PAST},"),
    ];
    assert_eq!(csv, expected.join("\r\n") + "\r\n");
}

#[test]
fn the_statement_csv_numbers_table_rows() {
    let csv = String::from_utf8(render(&statement(2).layout(), Format::Csv).unwrap()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines.contains(&"distributions,2,Gross amount,1000.00,USD"),
        "{csv}"
    );
    assert!(lines.contains(&"distributions,2,Components (tax character),Ordinary dividend 600.00; Return of capital 400.00,"), "{csv}");
    assert!(lines.contains(&"lots,1,Basis,1134.56,USD"), "{csv}");
    assert!(lines.contains(&"positions,1,Closing units,104,"), "{csv}");
}

#[test]
fn the_tax_summary_xlsx_reads_back() {
    let bytes = render(&tax_summary().layout(), Format::Xlsx).unwrap();
    assert_eq!(
        bytes,
        render(&tax_summary().layout(), Format::Xlsx).unwrap(),
        "deterministic"
    );
    let rows = xlsx::rows(&bytes).unwrap();
    let find = |label: &str| {
        rows.iter()
            .find(|r| r.cells.first() == Some(&Cell::Text(label.into())))
            .map(|r| r.cells[1].clone())
    };
    assert_eq!(rows[0].cells[0], Cell::Text("Tax summary 2026".into()));
    assert_eq!(find("Ordinary dividend"), Some(Cell::Number("1500".into())));
    assert_eq!(find("Foreign tax paid"), Some(Cell::Number("12.34".into())));
    assert_eq!(find("Tax withheld"), Some(Cell::Number("250".into())));
    assert_eq!(find("Total"), Some(Cell::Number("2500".into())));
    assert!(rows
        .iter()
        .any(|r| r.cells.first() == Some(&Cell::Text(ESTIMATE.into()))));
}

#[test]
fn the_notice_xlsx_keeps_dates_and_names() {
    let bytes = render(&notice().layout(), Format::Xlsx).unwrap();
    let rows = xlsx::rows(&bytes).unwrap();
    assert_eq!(rows[1].cells[0], Cell::Text("For José Muñoz Peña".into()));
    let payable = rows
        .iter()
        .find(|r| r.cells.first() == Some(&Cell::Text("Payable date".into())))
        .unwrap();
    assert_eq!(payable.cells[1], Cell::Date(date("2026-03-31")));
}

#[test]
fn the_notice_pdf_has_amounts_accents_disclosures_and_an_embedded_font() {
    let pdf = render(&notice().layout(), Format::Pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF-1.7"), "PDF/A-2 is PDF 1.7");
    assert_eq!(
        pdf,
        render(&notice().layout(), Format::Pdf).unwrap(),
        "deterministic"
    );
    let (text, fonts, info) = pdf_text(&pdf, "notice");
    let version = info.lines().find(|l| l.starts_with("PDF version:"));
    assert!(version.is_some_and(|l| l.ends_with(" 1.7")), "{info}");
    let xmp = String::from_utf8_lossy(&pdf);
    assert!(
        xmp.contains("<pdfaid:part>2</pdfaid:part>"),
        "PDF/A-2 declared in the XMP metadata"
    );
    assert!(
        xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "level B"
    );
    for needle in [
        "José Muñoz Peña",
        "123,456.78 USD",
        "74,074.07 USD",
        "49,382.71 USD",
        "1,000.00 USD",
        "62,456.78 USD",
        "4000 15 2026-03-31", // shares bought, NAV, NAV date
        "0.07 USD",
        "••••6789",
        "2026-04-01",
        PAST,
        ESTIMATE,
        SOURCE,
    ] {
        assert!(text.contains(needle), "{needle:?} missing from {text}");
    }
    assert!(
        !text.contains("Qualified dividend"),
        "zero components are left out"
    );
    let embedded: Vec<&str> = fonts.lines().filter(|l| l.contains("DejaVu")).collect();
    assert!(!embedded.is_empty(), "{fonts}");
    for line in embedded {
        // pdffonts columns: name type encoding emb sub uni object ID
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[cols.len() - 5], "yes", "embedded: {line}");
    }
}

#[test]
fn a_spanish_notice_prints_spanish_labels_and_texts() {
    let mut doc = notice();
    doc.lang = Lang::Es;
    doc.disclosures = vec![ES_PAST.into()];
    let (text, _, _) = pdf_text(&render(&doc.layout(), Format::Pdf).unwrap(), "notice-es");
    assert!(text.contains("Aviso de distribución"), "{text}");
    assert!(text.contains("Devolución de capital"), "{text}");
    assert!(text.contains(ES_PAST), "{text}");
}

#[test]
fn a_long_statement_pdf_runs_onto_more_pages_and_keeps_every_section() {
    let pdf = render(&statement(120).layout(), Format::Pdf).unwrap();
    let (text, _, info) = pdf_text(&pdf, "statement");
    assert_eq!(
        text.matches("Zoë Ibáñez").count(),
        1,
        "the name is in the subtitle once"
    );
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    assert!(pages >= 3, "120 distributions take several pages: {info}");
    assert_eq!(
        text.matches("Q1 2026").count(),
        120,
        "every row is printed once"
    );
    for needle in [
        "Positions",
        "Tax lots (cost basis)",
        "1,134.56 USD",
        "900.00 USD",
        PAST,
        ESTIMATE,
    ] {
        assert!(text.contains(needle), "{needle:?} missing");
    }
}

#[test]
fn the_tax_summary_pdf_sums_by_fund() {
    let (text, _, _) = pdf_text(
        &render(&tax_summary().layout(), Format::Pdf).unwrap(),
        "tax",
    );
    for needle in [
        "Tax summary 2026",
        "1,500.00 USD",
        "12.34 USD",
        "250.00 USD",
        "2,500.00 USD",
        ESTIMATE,
    ] {
        assert!(text.contains(needle), "{needle:?} missing from {text}");
    }
}

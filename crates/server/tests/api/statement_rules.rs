//! Issue 15 rules for every statement format, through the HTTP API: the currency comes from
//! the file's entries and an explicit one may not contradict it; one balance policy (refuse by
//! default, `warn` per server or per import); empty statements stored with "no activity";
//! the encoding a file was decoded from stated on its statements, with a warning when not
//! UTF-8. The camt files are this repository's own fixtures (valid against the ISO XSDs).

use clearway_formats::statements::write::{bai2, Bai2Detail, Bai2Spec};
use clearway_formats::statements::BalancePolicy;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with, test_config, TestApp};

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../formats/tests/fixtures/statements")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

async fn rows(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) AS n FROM bank_statement_files",
        "SELECT COUNT(*) AS n FROM bank_statements",
        "SELECT COUNT(*) AS n FROM bank_statement_lines",
    ] {
        out.push(app.count(sql).await);
    }
    out
}

/// A 422 naming `field` whose detail contains `needle`, and nothing written.
async fn refused(app: &TestApp, query: &str, bytes: Vec<u8>, field: &str, needle: &str) {
    let before = rows(app).await;
    let (status, body) = app.upload_statement("operator", query, bytes).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], field, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains(needle), "{detail}");
    assert_eq!(rows(app).await, before, "nothing written");
}

/// A 201 and its statements.
async fn imported(app: &TestApp, query: &str, bytes: Vec<u8>) -> Vec<Value> {
    let (status, body) = app.upload_statement("operator", query, bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["statements"].as_array().unwrap().clone()
}

fn warnings(st: &Value) -> Vec<String> {
    st["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

/// A BAI2 file of our own writer: one USD account, `details` as (type code, minor, text).
fn own_bai2(file_id: &str, opening: i64, closing: i64, details: &[(u16, u64, &str)]) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    bai2(&Bai2Spec {
        sender: "021000021".into(),
        receiver: "CLEARWAY".into(),
        file_id: file_id.into(),
        as_of: day,
        account: format!("ACCT-{file_id}"),
        currency: "USD".into(),
        opening_minor: opening,
        closing_minor: closing,
        details: details
            .iter()
            .map(|(type_code, amount_minor, text)| Bai2Detail {
                type_code: *type_code,
                amount_minor: *amount_minor,
                value_date: day,
                bank_reference: None,
                customer_reference: None,
                text: (*text).into(),
                continuations: vec![],
            })
            .collect(),
    })
}

/// Text as single-byte code-page bytes (every char below U+0100, or a windows-1252 extra).
fn code_page(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            '“' => 0x93,
            '”' => 0x94,
            c => u8::try_from(u32::from(c)).expect("a Latin-1 character"),
        })
        .collect()
}

#[tokio::test]
async fn regression_camt_currency_is_read_from_the_entries_and_an_explicit_one_may_not_contradict_it(
) {
    let app = spawn_app(1).await;
    // Was refused as "names no currency": neither Acct/Ccy nor balances, entries in EUR.
    let st = imported(
        &app,
        "",
        fixture("camt052_entries_eur_no_account_currency.xml"),
    )
    .await;
    assert_eq!((st.len(), &st[0]["currency"]), (1, &Value::from("EUR")));
    assert_eq!(st[0]["lineCount"], 2);
    // Was one SEK statement holding the EUR entry (from the closing balance).
    let st = imported(&app, "", fixture("camt053_eur_entry_sek_closing.xml")).await;
    assert_eq!(st.len(), 1);
    assert_eq!(st[0]["currency"], "EUR");
    assert_eq!(st[0]["lineCount"], 1);
    assert_eq!(st[0]["closingBalanceMinor"], Value::Null);
    assert!(
        warnings(&st[0])
            .contains(&"line 11: Stmt/Bal in SEK left out: the statement is in EUR".into()),
        "{st:?}"
    );
    // Was stored as USD 1,500.00: an explicit currency the file contradicts is refused.
    let chf = fixture("camt054_chf_notification.xml");
    refused(
        &app,
        "?currency=USD",
        chf.clone(),
        "currency",
        "currency USD contradicts the file: line 7 is in CHF",
    )
    .await;
    // One that agrees is fine.
    let st = imported(&app, "?currency=chf", chf).await;
    assert_eq!(st[0]["currency"], "CHF");
    app.stop().await;
}

#[tokio::test]
async fn an_explicit_currency_fills_a_gap_but_may_not_contradict_a_bai2_or_mt940_file() {
    let app = spawn_app(1).await;
    let file = own_bai2("CCY1", 0, -2_500, &[(699, 2_500, "FEE")]);
    refused(
        &app,
        "?currency=EUR",
        file.into_bytes(),
        "currency",
        "currency EUR contradicts the file",
    )
    .await;
    let mt940 = ":20:CCY2\r\n:25:NL00BANK0123456789\r\n:28C:1/1\r\n:60F:C260301GBP10,00\r\n\
                 :61:2603020302D1,00NTRFNONREF\r\n:62F:C260302GBP9,00\r\n-\r\n";
    refused(
        &app,
        "?currency=USD",
        mt940.as_bytes().to_vec(),
        "currency",
        "is in GBP",
    )
    .await;
    let st = imported(&app, "?currency=GBP", mt940.as_bytes().to_vec()).await;
    assert_eq!(st[0]["currency"], "GBP");
    app.stop().await;
}

#[tokio::test]
async fn regression_balances_that_do_not_tie_are_refused_by_default_in_every_format_and_kept_under_warn(
) {
    let app = spawn_app(1).await;
    let camt = fixture("camt053_balances_do_not_tie.xml");
    // Was imported with only a warning (BAI2 and MT940 were refused): now one rule.
    let figures =
        "line 17: Stmt/Bal CLBD: opening 1000.00 + lines -250.00 = 750.00 != closing 700.00";
    refused(&app, "", camt.clone(), "file", figures).await;
    // BAI2 010 + details ≠ 015 (was not checked at all) and MT940 :60F: + :61: ≠ :62F:.
    let untied_bai2 = own_bai2("UNTIED", 100_000, 100_000, &[(699, 2_500, "FEE")]);
    refused(
        &app,
        "",
        untied_bai2.clone().into_bytes(),
        "file",
        "03 account identifier (010/015): opening 1000.00 + lines -25.00 = 975.00 != closing 1000.00",
    )
    .await;
    let untied_mt940 =
        ":20:UNTIED\r\n:25:NL00BANK0123456789\r\n:28C:1/1\r\n:60F:C260301EUR10,00\r\n\
                        :61:2603020302D1,00NTRFNONREF\r\n:62F:C260302EUR10,00\r\n-\r\n";
    refused(
        &app,
        "",
        untied_mt940.as_bytes().to_vec(),
        "file",
        "line 6: :62F:: opening 10.00 + lines -1.00 = 9.00 != closing 10.00",
    )
    .await;
    // The row counts the schema bounds are bounded here too (found by schemathesis).
    let csv = b"Date,Label,Amount\n".to_vec();
    refused(
        &app,
        "?format=csv&footerRows=1000001",
        csv,
        "footerRows",
        "at most 1000000",
    )
    .await;
    refused(
        &app,
        "?balancePolicy=sometimes",
        camt.clone(),
        "balancePolicy",
        "refuse, warn",
    )
    .await;
    // Per import: warn keeps the statement, with the figures as a warning.
    let st = imported(&app, "?balancePolicy=warn", camt.clone()).await;
    assert_eq!(
        warnings(&st[0]),
        [format!("balances do not tie: {figures}")]
    );
    let st = imported(&app, "?balancePolicy=warn", untied_bai2.into_bytes()).await;
    assert_eq!(st[0]["lineCount"], 1);
    app.stop().await;

    // Per server: warn by default, and an import may still ask to refuse.
    let mut config = test_config();
    config.statement_balance_policy = BalancePolicy::Warn;
    let app = spawn_app_with(1, config).await;
    refused(&app, "?balancePolicy=refuse", camt.clone(), "file", figures).await;
    let st = imported(&app, "", untied_mt940.as_bytes().to_vec()).await;
    assert!(
        warnings(&st[0])[0].starts_with("balances do not tie: line 6: :62F:"),
        "{st:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn empty_statements_are_stored_with_a_no_activity_warning_in_every_format() {
    let app = spawn_app(1).await;
    let no_activity = "no activity: the statement has no booked entries";
    let files: Vec<(&str, &str, Vec<u8>)> = vec![
        ("BAI2", "", own_bai2("EMPTY", 50_000, 50_000, &[]).into_bytes()),
        (
            "MT940",
            "",
            b":20:EMPTY\r\n:25:NL00BANK0123456789\r\n:28C:1/1\r\n:60F:C260301EUR10,00\r\n:62F:C260302EUR10,00\r\n-\r\n"
                .to_vec(),
        ),
        ("camt.053", "", fixture("camt053_no_activity.xml")),
        // A CSV export of a quiet period: the header and no rows.
        (
            "CSV",
            "?format=csv&preset=simple-en&currency=USD",
            b"Date,Label,Amount\n".to_vec(),
        ),
    ];
    for (what, query, bytes) in files {
        let st = imported(&app, query, bytes).await;
        assert_eq!(st.len(), 1, "{what}");
        assert_eq!(st[0]["lineCount"], 0, "{what}");
        assert!(
            warnings(&st[0]).contains(&no_activity.to_string()),
            "{what}: {st:?}"
        );
        // The statement record says so too.
        let id = st[0]["id"].as_str().unwrap();
        let stored: Value = app
            .get("auditor", &format!("/api/bank-statements/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(stored["warnings"], st[0]["warnings"], "{what}");
    }
    // A file with no statement at all stays a 422: a BAI2 group without accounts, a camt
    // message without Stmt.
    let no_account =
        "01,BANK,CUST,260302,0800,1,,,2/\n02,CUST,BANK,1,260302,,USD,2/\n98,0,0,2/\n99,0,1,4/\n";
    refused(
        &app,
        "",
        no_account.as_bytes().to_vec(),
        "file",
        "no statement",
    )
    .await;
    let no_stmt = fixture("camt053_no_activity.xml");
    let text = String::from_utf8(no_stmt).unwrap();
    let (head, tail) = (text.find("<Stmt>").unwrap(), text.find("</Stmt>").unwrap());
    let no_stmt = format!("{}{}", &text[..head], &text[tail + "</Stmt>".len()..]);
    refused(&app, "", no_stmt.into_bytes(), "file", "no statement").await;
    app.stop().await;
}

#[tokio::test]
async fn regression_latin1_and_cp1252_files_are_stored_with_their_encoding_and_a_warning() {
    let app = spawn_app(1).await;
    let bai2 = own_bai2("LATIN1", 10_000, 7_500, &[(699, 2_500, "CAFÉ MÜLLER FEE")]);
    let mt940 = ":20:CP1252\r\n:25:NL00BANK0123456789\r\n:28C:1/1\r\n:60F:C260301EUR10,00\r\n\
                 :61:2603020302D1,00NTRFNONREF\r\n:86:Gebühr 1 € “Zoë”\r\n:62F:C260302EUR9,00\r\n-\r\n";
    let csv = "Date,Label,Amount\n03/02/2026,Café “Zoë”,-12.50\n";
    let cases: [(&str, &str, String, &str, &str); 3] = [
        ("BAI2", "", bai2, "ISO-8859-1", "CAFÉ MÜLLER FEE"),
        (
            "MT940",
            "",
            mt940.into(),
            "windows-1252",
            "Gebühr 1 € “Zoë”",
        ),
        (
            "CSV",
            "?format=csv&preset=simple-en&currency=USD",
            csv.into(),
            "windows-1252",
            "Café “Zoë”",
        ),
    ];
    for (what, query, text, encoding, description) in cases {
        // Was read as Latin-1 without a word (and cp1252's € and quotes became C1 controls).
        let st = imported(&app, query, code_page(&text)).await;
        assert_eq!(st[0]["encoding"], encoding, "{what}");
        let w = warnings(&st[0]);
        assert!(
            w.iter()
                .any(|w| w.starts_with(&format!("file is not UTF-8: read as {encoding}"))),
            "{what}: {w:?}"
        );
        let id = st[0]["id"].as_str().unwrap();
        let lines: Value = app
            .get("auditor", &format!("/api/bank-statements/{id}/lines"))
            .await
            .json()
            .await
            .unwrap();
        let got = lines["items"][0]["description"].as_str().unwrap();
        assert!(got.contains(description), "{what}: {got}");
        // The same text in UTF-8 says UTF-8, with no warning.
        let st = imported(&app, query, text.into_bytes()).await;
        assert_eq!(st[0]["encoding"], "UTF-8", "{what}");
        assert!(
            !warnings(&st[0]).iter().any(|w| w.contains("not UTF-8")),
            "{what}"
        );
    }
    app.stop().await;
}

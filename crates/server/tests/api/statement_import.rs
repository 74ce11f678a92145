//! Statement import in chunks (issue 15 item 5): a file is written CHUNK_LINES lines at a time
//! inside one transaction, so a file refused after several chunks were written leaves nothing
//! behind, and the same bytes imported twice still add nothing. CSV debit/credit indicator
//! columns through the API's query (issue 15 item 3).

use reqwest::StatusCode;

use crate::helpers::{spawn_app, TestApp};

/// Everything an import writes: files, statements, lines, its audit entry, event and job
/// (not what the matching job it queues writes later).
async fn written(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) AS n FROM bank_statement_files",
        "SELECT COUNT(*) AS n FROM bank_statements",
        "SELECT COUNT(*) AS n FROM bank_statement_lines",
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'bank_statement.import'",
        "SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'bank_statement.imported'",
        "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'reconciliation.match'",
    ] {
        out.push(app.count(sql).await);
    }
    out
}

/// A CSV of `rows` data rows in two currencies (every third row EUR); the data row at file
/// line `bad_line` (the header is line 1), if any, has an amount that is not one.
fn csv(rows: usize, bad_line: Option<usize>) -> Vec<u8> {
    let mut out = String::from("Date,Label,Currency,Amount,Reference\n");
    for i in 0..rows {
        let line = i + 2;
        let currency = if i % 3 == 2 { "EUR" } else { "USD" };
        let amount = if Some(line) == bad_line {
            "12.3.4".to_string()
        } else if i % 2 == 0 {
            format!("-{}.{:02}", 1 + i % 500, i % 100)
        } else {
            format!("{}.{:02}", 1 + i % 700, i % 100)
        };
        let day = 1 + i % 28;
        out.push_str(&format!(
            "01/{day:02}/2025,row {i},{currency},{amount},REF{i:06}\n"
        ));
    }
    out.into_bytes()
}

/// The sums of the generated file's amounts per currency, in cents: (debits, credits).
fn totals(rows: usize, currency: &str) -> (i64, i64) {
    let (mut debits, mut credits) = (0, 0);
    for i in 0..rows {
        if (if i % 3 == 2 { "EUR" } else { "USD" }) != currency {
            continue;
        }
        let cents = i64::try_from(i % 100).unwrap();
        if i % 2 == 0 {
            debits += i64::try_from(1 + i % 500).unwrap() * 100 + cents;
        } else {
            credits += i64::try_from(1 + i % 700).unwrap() * 100 + cents;
        }
    }
    (debits, credits)
}

#[tokio::test]
async fn a_file_refused_after_several_chunks_stores_nothing_and_duplicates_add_nothing() {
    let app = spawn_app(3).await;
    let before = written(&app).await;
    // The 25,001st line is bad: two chunks of 10,000 lines were already written.
    let (status, body) = app
        .upload_statement(
            "operator",
            "?format=csv&preset=simple-en",
            csv(30_000, Some(25_001)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let detail = body.to_string();
    assert!(
        detail.contains("line 25001: CSV row: Amount '12.3.4'"),
        "{detail}"
    );
    assert_eq!(
        written(&app).await,
        before,
        "a refused file left something behind"
    );

    // The good file: 30,000 lines over two statements, totals summed across every chunk.
    let (status, body) = app
        .upload_statement(
            "operator",
            "?format=csv&preset=simple-en",
            csv(30_000, None),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let statements = body["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 2);
    for (st, currency, lines) in [
        (&statements[0], "USD", 20_000),
        (&statements[1], "EUR", 10_000),
    ] {
        assert_eq!(st["currency"], currency);
        assert_eq!(st["lineCount"], lines);
        let (debits, credits) = totals(30_000, currency);
        assert_eq!(st["debitTotalMinor"], debits, "{currency}");
        assert_eq!(st["creditTotalMinor"], credits, "{currency}");
        assert_eq!(st["fromDate"], "2025-01-01");
        assert_eq!(st["toDate"], "2025-01-28");
    }
    assert_eq!(body["file"]["lineCount"], 30_000);
    assert_eq!(body["file"]["statementCount"], 2);
    assert_eq!(body["file"]["preset"], "simple-en");
    let seqs = app
        .count("SELECT COUNT(DISTINCT seq) AS n FROM bank_statement_lines")
        .await;
    assert_eq!(seqs, 20_000, "seq runs 0.. per statement across chunks");
    let after_first = written(&app).await;
    assert_eq!(after_first[2] - before[2], 30_000);

    // The same bytes again, even with another (valid) preset: nothing added.
    let (status, body) = app
        .upload_statement(
            "operator",
            "?format=csv&preset=simple-en-inverse",
            csv(30_000, None),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["duplicate"], true);
    assert_eq!(body["file"]["lineCount"], 30_000);
    assert_eq!(written(&app).await, after_first);
    app.stop().await;
}

#[tokio::test]
async fn a_csv_with_an_amount_and_a_dc_column_imports_signed_through_the_api() {
    let app = spawn_app(3).await;
    let file =
        "Date,Description,Amount,DC\n2024-01-02,WIRE OUT,1500.00,D\n2024-01-02,DEPOSIT,250.10,C\n";
    let query = "?format=csv&dateColumn=Date&amountColumn=Amount&indicatorColumn=DC&currency=USD";
    let (status, body) = app
        .upload_statement("operator", query, file.as_bytes().to_vec())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let st = &body["statements"][0];
    assert_eq!(st["debitTotalMinor"], 150_000);
    assert_eq!(st["creditTotalMinor"], 25_010);

    // Custom words; a word that is neither is a 422 naming row and column, nothing stored.
    let before = written(&app).await;
    let dutch = "Date,Amount,AfBij\n2024-01-02,10.00,Af\n2024-01-03,5.00,Erbij\n";
    let query = "?format=csv&dateColumn=Date&amountColumn=Amount&indicatorColumn=AfBij&indicatorDebit=Af&indicatorCredit=Bij&currency=EUR";
    let (status, body) = app
        .upload_statement("operator", query, dutch.as_bytes().to_vec())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.to_string().contains(
            "line 3: CSV row: AfBij 'Erbij' is neither a debit (Af) nor a credit (Bij) indicator"
        ),
        "{body}"
    );
    assert_eq!(written(&app).await, before);
    app.stop().await;
}

/// Amount in cents of generated line `i`, and whether it is a debit.
fn line_amount(i: usize) -> (i64, bool) {
    (
        100 + i64::try_from(i % 50_000).unwrap(),
        i.is_multiple_of(2),
    )
}

/// Σ signed cents of `n` generated lines.
fn net(n: usize) -> i64 {
    (0..n)
        .map(line_amount)
        .map(|(a, debit)| if debit { -a } else { a })
        .sum()
}

/// `cents` as MT940 writes it: its side (`C`/`D`) and units with a decimal comma.
fn mt940_amount(cents: i64) -> (char, String) {
    let side = if cents < 0 { 'D' } else { 'C' };
    let c = cents.abs();
    (side, format!("{},{:02}", c / 100, c % 100))
}

/// A one-account BAI2 file of `n` details; `bad` puts a wrong control total in its `49`.
fn bai2(n: usize, bad: bool) -> Vec<u8> {
    let closing = net(n);
    let mut total = closing;
    let mut out = format!(
        "01,BANK,CUST,250101,0800,F1,,,2/\n02,CUST,BANK,1,250101,,USD,2/\n03,ACC1,USD,010,0,,,015,{closing},,/\n"
    );
    for i in 0..n {
        let (a, debit) = line_amount(i);
        total += a;
        let code = if debit { 451 } else { 142 };
        out.push_str(&format!("16,{code},{a},0,B{i},C{i},ROW {i}/\n"));
    }
    let declared = total + i64::from(bad);
    out.push_str(&format!(
        "49,{declared},{}/\n98,{total},1,{}/\n99,{total},1,{}/\n",
        n + 2,
        n + 4,
        n + 6
    ));
    out.into_bytes()
}

/// An MT940 statement of `n` lines; `bad` makes its closing balance one cent off.
fn mt940(n: usize, bad: bool) -> Vec<u8> {
    let mut out = String::from(":20:S1\n:25:ACC2\n:28C:1/1\n:60F:C250101EUR0,00\n");
    for i in 0..n {
        let (a, debit) = line_amount(i);
        let signed = if debit { -a } else { a };
        let (side, amount) = mt940_amount(signed);
        out.push_str(&format!(
            ":61:250101{side}{amount}NTRFREF{i}//B{i}\n:86:ROW {i}\n"
        ));
    }
    let (side, closing) = mt940_amount(net(n) + i64::from(bad));
    out.push_str(&format!(":62F:{side}250101EUR{closing}\n-\n"));
    out.into_bytes()
}

/// A camt.053 statement without `Acct/Ccy` of `n` entries, every third in EUR and the rest
/// in USD (so read as two statements); `bad` spoils the last entry's `CdtDbtInd`.
fn camt(n: usize, bad: bool) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\"?>\n<Document><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr>\n<Stmt><Id>S1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>\n",
    );
    for i in 0..n {
        let (a, debit) = line_amount(i);
        let currency = if i % 3 == 2 { "EUR" } else { "USD" };
        let side = match (bad && i + 1 == n, debit) {
            (true, _) => "XXXX",
            (false, true) => "DBIT",
            (false, false) => "CRDT",
        };
        out.push_str(&format!(
            "<Ntry><Amt Ccy=\"{currency}\">{}.{:02}</Amt><CdtDbtInd>{side}</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2025-01-01</Dt></BookgDt><AcctSvcrRef>B{i}</AcctSvcrRef></Ntry>\n",
            a / 100,
            a % 100
        ));
    }
    out.push_str("</Stmt></BkToCstmrStmt></Document>\n");
    out.into_bytes()
}

#[tokio::test]
async fn streamed_bai2_mt940_and_camt_files_refused_at_their_end_store_nothing() {
    let app = spawn_app(3).await;
    const N: usize = 25_000;
    let before = written(&app).await;
    let refused = [
        ("bai2", bai2(N, true), "49 account trailer: control total"),
        ("mt940", mt940(N, true), ":62F:: opening 0"),
        ("camt053", camt(N, true), "CdtDbtInd"),
    ];
    for (format, bytes, why) in refused {
        let (status, body) = app
            .upload_statement("operator", &format!("?format={format}"), bytes)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{format}: {body}");
        assert!(body.to_string().contains(why), "{format}: {body}");
        assert_eq!(
            written(&app).await,
            before,
            "{format}: something left behind"
        );
    }
    // The same files whole: every line, in chunks, in its statement.
    let usd = (0..N).filter(|i| i % 3 != 2).count();
    let good = [
        ("bai2", bai2(N, false), vec![("USD", N)]),
        ("mt940", mt940(N, false), vec![("EUR", N)]),
        (
            "camt053",
            camt(N, false),
            vec![("USD", usd), ("EUR", N - usd)],
        ),
    ];
    for (format, bytes, statements) in good {
        let (status, body) = app
            .upload_statement("operator", &format!("?format={format}"), bytes)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{format}: {body}");
        let got: Vec<(String, u64)> = body["statements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let currency = s["currency"].as_str().unwrap().to_string();
                (currency, s["lineCount"].as_u64().unwrap())
            })
            .collect();
        let want: Vec<(String, u64)> = statements
            .iter()
            .map(|(c, n)| (c.to_string(), *n as u64))
            .collect();
        assert_eq!(got, want, "{format}");
        assert_eq!(body["file"]["lineCount"], N, "{format}");
    }
    app.stop().await;
}

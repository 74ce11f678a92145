//! Statement import in chunks (issue 15 item 5): a file is written CHUNK_LINES lines at a time
//! inside one transaction, so a file refused after several chunks were written leaves nothing
//! behind, and the same bytes imported twice still add nothing. CSV debit/credit indicator
//! columns through the API's query (issue 15 item 3).

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

async fn upload(app: &TestApp, query: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(app.url(&format!("/api/bank-statements{query}")))
        .bearer_auth(app.token("operator"))
        .header("Content-Type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

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
    let (status, body) = upload(
        &app,
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
    let (status, body) = upload(&app, "?format=csv&preset=simple-en", csv(30_000, None)).await;
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
    let (status, body) = upload(
        &app,
        "?format=csv&preset=simple-en-inverse",
        csv(30_000, None),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["duplicate"], true);
    assert_eq!(body["file"]["lineCount"], 30_000);
    assert_eq!(written(&app).await, after_first);
}

#[tokio::test]
async fn a_csv_with_an_amount_and_a_dc_column_imports_signed_through_the_api() {
    let app = spawn_app(3).await;
    let file =
        "Date,Description,Amount,DC\n2024-01-02,WIRE OUT,1500.00,D\n2024-01-02,DEPOSIT,250.10,C\n";
    let query = "?format=csv&dateColumn=Date&amountColumn=Amount&indicatorColumn=DC&currency=USD";
    let (status, body) = upload(&app, query, file.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let st = &body["statements"][0];
    assert_eq!(st["debitTotalMinor"], 150_000);
    assert_eq!(st["creditTotalMinor"], 25_010);

    // Custom words; a word that is neither is a 422 naming row and column, nothing stored.
    let before = written(&app).await;
    let dutch = "Date,Amount,AfBij\n2024-01-02,10.00,Af\n2024-01-03,5.00,Erbij\n";
    let query = "?format=csv&dateColumn=Date&amountColumn=Amount&indicatorColumn=AfBij&indicatorDebit=Af&indicatorCredit=Bij&currency=EUR";
    let (status, body) = upload(&app, query, dutch.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.to_string().contains(
            "line 3: CSV row: AfBij 'Erbij' is neither a debit (Af) nor a credit (Bij) indicator"
        ),
        "{body}"
    );
    assert_eq!(written(&app).await, before);
}

//! An OFX statement through the API: uploaded without naming the format, its lines stored,
//! and the wire it shows matched and cleared by the matching job.

use std::time::Duration;

use clearway_store::q;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;
use crate::payments::{paid_distribution, payments_of};

#[tokio::test]
async fn an_ofx_statement_is_imported_and_clears_the_wire_it_shows() {
    let app = spawn_app(60).await;
    let id = paid_distribution(&app, "60000.00").await;
    let wire = payments_of(&app, "operator", &id)
        .await
        .into_iter()
        .find(|p| p["method"] == "WIRE" && p["status"] == "SENT")
        .expect("the demo pays some lines by wire");
    let s = |k: &str| wire[k].as_str().unwrap().to_string();
    let posted = s("expectedDate").replace('-', "");
    // OFX 1.x SGML: header block, unclosed leaves, lower-case tags, `,` decimal separator.
    let ofx = format!(
        "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\nCHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n\
         <OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\r\n\
         <STMTRS><CURDEF>{ccy}<BANKACCTFROM><BANKID>026009593<ACCTID>OFX-ACCT-1<ACCTTYPE>CHECKING</BANKACCTFROM>\r\n\
         <BANKTRANLIST><DTSTART>{posted}<DTEND>{posted}\r\n\
         <stmttrn><trntype>DEBIT<dtposted>{posted}120000.000[-5:EST]<trnamt>-{amount}<fitid>OFX-F-1<refnum>{e2e}<name>{payee}<memo>distribution wire</stmttrn>\r\n\
         <STMTTRN><TRNTYPE>FEE<DTPOSTED>{posted}<TRNAMT>-25,00<FITID>OFX-F-2<NAME>BANK<MEMO>wire fee</STMTTRN>\r\n\
         </BANKTRANLIST><LEDGERBAL><BALAMT>1000.00<DTASOF>{posted}</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\r\n",
        ccy = s("currency"),
        amount = s("amount").replace('.', ","),
        e2e = s("endToEndId"),
        payee = s("payeeName"),
    );
    let resp = app
        .client
        .post(app.url("/api/bank-statements"))
        .bearer_auth(app.token("operator"))
        .header("Content-Type", "application/octet-stream")
        .body(ofx)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["file"]["format"], "ofx", "{body}");
    let st = &body["statements"][0];
    assert_eq!(st["format"], "ofx");
    assert_eq!(st["accountId"], "OFX-ACCT-1");
    assert_eq!(st["currency"], s("currency").as_str());
    assert_eq!(st["lineCount"], 2);
    let line = app
        .db
        .fetch_optional(
            q("SELECT customer_reference, bank_reference, amount_minor, counterparty_name FROM bank_statement_lines WHERE bank_reference = 'OFX-F-1'"),
        )
        .await
        .unwrap()
        .expect("the OFX line is stored");
    assert_eq!(
        line.opt_text("customer_reference").unwrap(),
        Some(s("endToEndId"))
    );
    assert_eq!(
        line.opt_text("counterparty_name").unwrap(),
        Some(s("payeeName"))
    );
    let cents = |v: &str| -> i64 { v.replace('.', "").parse().unwrap() };
    assert_eq!(line.i64("amount_minor").unwrap(), -cents(&s("amount")));

    for _ in 0..600 {
        let done = app
            .count("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'reconciliation.match' AND status = 'DONE'")
            .await;
        if done >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after: Value = app
        .get(
            "operator",
            &format!("/api/distributions/payments/{}/status", s("id")),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["payment"]["status"], "COMPLETED", "{after}");
    assert_eq!(after["payment"]["clearedDate"], s("expectedDate").as_str());
    app.stop().await;
}

//! pain.002 status reports through the API: the bank's answer to the pain.001 of a processed
//! distribution rejects one wire (it fails with the reason, into review), settles one,
//! leaves one pending (recorded, status unchanged); an unknown end-to-end id and a
//! disagreeing amount are unmatched; a replay adds nothing; another organization's
//! end-to-end ids are unmatched for it.

use clearway_formats::iso20022::pain001;
use clearway_store::q;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};
use crate::payments::{download, paid_distribution, payments_of};

async fn post_report(app: &TestApp, token: &str, xml: &str) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(app.url("/api/payments/status-reports"))
        .bearer_auth(token)
        .header("Content-Type", "application/xml")
        .body(xml.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// One `TxInfAndSts`: end-to-end id, status, optional reason and instructed amount.
fn tx(e2e: &str, status: &str, reason: Option<(&str, &str)>, amt: Option<(&str, &str)>) -> String {
    let reason = reason
        .map(|(c, t)| {
            format!("<StsRsnInf><Rsn><Cd>{c}</Cd></Rsn><AddtlInf>{t}</AddtlInf></StsRsnInf>")
        })
        .unwrap_or_default();
    let amt = amt
        .map(|(a, c)| {
            format!("<OrgnlTxRef><Amt><InstdAmt Ccy=\"{c}\">{a}</InstdAmt></Amt></OrgnlTxRef>")
        })
        .unwrap_or_default();
    format!("<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>{reason}{amt}</TxInfAndSts>")
}

fn report(msg_id: &str, original: &str, txs: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.03\"><CstmrPmtStsRpt>\
         <GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>2026-04-01T09:00:00</CreDtTm></GrpHdr>\
         <OrgnlGrpInfAndSts><OrgnlMsgId>{original}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>\
         <OrgnlPmtInfAndSts><OrgnlPmtInfId>{original}-1</OrgnlPmtInfId>\n{}\n</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>\n",
        txs.join("\n")
    )
}

async fn payment(app: &TestApp, id: &str) -> Value {
    let all: Value = app
        .get(
            "operator",
            &format!("/api/distributions/payments/{id}/status"),
        )
        .await
        .json()
        .await
        .unwrap();
    all["payment"].clone()
}

async fn count_for(app: &TestApp, sql: &'static str, id: &str) -> i64 {
    app.db
        .fetch_optional(q(sql).bind(id))
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

async fn tables(app: &TestApp) -> Vec<i64> {
    let mut out = app.snapshot().await;
    for sql in [
        "SELECT COUNT(*) AS n FROM payment_status_reports",
        "SELECT COUNT(*) AS n FROM payment_status_report_items",
        "SELECT COUNT(*) AS n FROM payment_events",
    ] {
        out.push(app.count(sql).await);
    }
    out
}

#[tokio::test]
async fn a_pain002_rejects_settles_and_records_wires_once_and_only_in_its_organization() {
    let app = spawn_app(60).await;
    let id = paid_distribution(&app, "60000.00").await;
    let wires: Vec<Value> = payments_of(&app, "operator", &id)
        .await
        .into_iter()
        .filter(|p| p["method"] == "WIRE" && p["status"] == "SENT")
        .collect();
    // The pain.001 (one per currency) that took most wires: its message id and end-to-end ids.
    let of = |b: &Value| wires.iter().filter(|w| w["batchId"] == *b).count();
    let batch = wires
        .iter()
        .map(|w| &w["batchId"])
        .max_by_key(|b| of(b))
        .unwrap()
        .clone();
    let wires: Vec<Value> = wires
        .iter()
        .filter(|w| w["batchId"] == batch)
        .cloned()
        .collect();
    assert!(wires.len() >= 4, "the demo pays some lines by wire in EUR");
    let batch = batch.as_str().unwrap();
    let xml = download(&app, "operator", batch)
        .await
        .text()
        .await
        .unwrap();
    let (_, pain001) = pain001::read(&xml).unwrap();
    let e2e = |p: &Value| p["endToEndId"].as_str().unwrap().to_string();
    let in_file: Vec<String> = pain001
        .batches
        .iter()
        .flat_map(|b| b.payments.iter().map(|t| t.end_to_end_id.clone()))
        .collect();
    for w in &wires[..4] {
        assert!(in_file.contains(&e2e(w)), "{w} {in_file:?}");
    }
    let (a, b, c, d) = (&wires[0], &wires[1], &wires[2], &wires[3]);
    let amount = |p: &Value| p["amount"].as_str().unwrap().to_string();
    let ccy = |p: &Value| p["currency"].as_str().unwrap().to_string();
    let xml = report(
        "BANK-STS-1",
        &pain001.message_id,
        &[
            tx(
                &e2e(a),
                "RJCT",
                Some(("AC04", "Account closed")),
                Some((&amount(a), &ccy(a))),
            ),
            tx(&e2e(b), "ACSC", None, None),
            tx(&e2e(c), "ACSP", None, None),
            tx(
                "NOTOURS0000000000000000000000001",
                "RJCT",
                Some(("AC01", "x")),
                None,
            ),
            tx(
                &e2e(d),
                "RJCT",
                Some(("AM05", "dup")),
                Some(("1.00", &ccy(d))),
            ),
        ],
    );

    // Bad input and the wrong role change nothing.
    let before = tables(&app).await;
    let (status, body) =
        post_report(&app, app.token("operator"), "<Document><x/></Document>").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = post_report(&app, app.token("investor"), &xml).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(tables(&app).await, before);

    let (status, body) = post_report(&app, app.token("operator"), &xml).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["duplicate"], false);
    assert_eq!(body["originalMessageId"], pain001.message_id.as_str());
    assert_eq!(
        (
            &body["transactions"],
            &body["applied"],
            &body["recorded"],
            &body["unmatched"]
        ),
        (&5.into(), &2.into(), &1.into(), &2.into()),
        "{body}"
    );
    let outcomes: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["APPLIED", "APPLIED", "RECORDED", "UNMATCHED", "UNMATCHED"]
    );
    let items = body["items"].as_array().unwrap();
    assert_eq!(items[0]["paymentId"], a["id"]);
    assert_eq!(items[0]["reasonText"], "AC04: Account closed");
    assert!(
        items[3]["detail"]
            .as_str()
            .unwrap()
            .contains("no wire payment"),
        "{body}"
    );
    assert!(items[3]["paymentId"].is_null());
    let d_detail = items[4]["detail"].as_str().unwrap();
    assert!(d_detail.contains("amount 1.00 disagrees"), "{d_detail}");

    // The rejected wire failed with the bank's reason and waits for a person.
    let pa = payment(&app, a["id"].as_str().unwrap()).await;
    assert_eq!(pa["status"], "FAILED", "{pa}");
    assert_eq!(pa["failureCode"], "AC04");
    assert_eq!(pa["failureReason"], "AC04: Account closed");
    // A closed account waits for a payee update, as an ACH R02 does (it was "REFUSED").
    assert!(
        pa["reviewReason"]
            .as_str()
            .unwrap()
            .starts_with("BAD_ACCOUNT: AC04"),
        "{pa}"
    );
    let pb = payment(&app, b["id"].as_str().unwrap()).await;
    assert_eq!(pb["status"], "COMPLETED", "{pb}");
    assert_eq!(pb["clearedDate"], "2026-04-01");
    for p in [c, d] {
        assert_eq!(
            payment(&app, p["id"].as_str().unwrap()).await["status"],
            "SENT"
        );
    }
    let cid = c["id"].as_str().unwrap();
    let detail: Value = app
        .get(
            "operator",
            &format!("/api/distributions/payments/{cid}/status"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["bankStatus"]["status"], "ACSP", "{detail}");
    assert_eq!(detail["bankStatus"]["outcome"], "RECORDED");
    assert_eq!(detail["bankStatus"]["messageId"], "BANK-STS-1");
    let events = count_for(&app, "SELECT COUNT(*) AS n FROM payment_events WHERE payment_id = $1 AND code = 'ACSP' AND from_status = 'SENT' AND to_status = 'SENT'", cid).await;
    assert_eq!(events, 1, "the pending status is in the payment's history");
    let audited = count_for(&app, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'payment.bank_status' AND entity_id = $1", cid).await;
    assert_eq!(audited, 1);
    let did = d["id"].as_str().unwrap();
    let d_events = count_for(
        &app,
        "SELECT COUNT(*) AS n FROM payment_events WHERE payment_id = $1 AND (code = 'AM05' OR to_status = 'FAILED')",
        did,
    )
    .await;
    assert_eq!(d_events, 0, "a disagreeing amount changes nothing");
    let report_id = body["id"].as_str().unwrap();
    for sql in [
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'payments.status_report_import' AND entity_id = $1",
        "SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'payment.status_report.imported' AND aggregate_id = $1",
    ] {
        assert_eq!(count_for(&app, sql, report_id).await, 1, "{sql}");
    }

    // The same file again: nothing added, the earlier result answered.
    let before = tables(&app).await;
    let (status, again) = post_report(&app, app.token("operator"), &xml).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["id"], body["id"]);
    assert_eq!(again["items"], body["items"]);
    assert_eq!(tables(&app).await, before);

    // Another organization naming our end-to-end ids: unmatched there, nothing changed here.
    let other = app.seed_another_org(2, "Other Org").await;
    let foreign = report(
        "OTHER-STS-1",
        &pain001.message_id,
        &[tx(&e2e(c), "RJCT", None, None)],
    );
    let (status, body) = post_report(&app, &other.tokens.operator, &foreign).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["unmatched"], 1);
    assert_eq!(body["items"][0]["outcome"], "UNMATCHED");
    assert_eq!(payment(&app, cid).await["status"], "SENT");

    // A group status with no transaction listed speaks about every wire of that pain.001.
    let group = report("BANK-STS-2", &pain001.message_id, &[])
        .replace("<GrpSts>PART</GrpSts>", "<GrpSts>ACSC</GrpSts>")
        .replace(
            &format!(
                "<OrgnlPmtInfAndSts><OrgnlPmtInfId>{}-1</OrgnlPmtInfId>\n\n</OrgnlPmtInfAndSts>",
                pain001.message_id
            ),
            "",
        );
    let (status, body) = post_report(&app, app.token("operator"), &group).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let by_payment = |id: &Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["paymentId"] == *id)
            .map(|i| i["outcome"].as_str().unwrap().to_string())
    };
    assert_eq!(body["transactions"], wires.len(), "{body}");
    assert_eq!(
        by_payment(&a["id"]).as_deref(),
        Some("UNMATCHED"),
        "a FAILED wire cannot settle"
    );
    assert_eq!(by_payment(&b["id"]).as_deref(), Some("UNCHANGED"));
    assert_eq!(by_payment(&c["id"]).as_deref(), Some("APPLIED"));
    assert_eq!(payment(&app, cid).await["status"], "COMPLETED");
    assert_eq!(
        payment(&app, a["id"].as_str().unwrap()).await["status"],
        "FAILED"
    );
    app.stop().await;
}

/// A report stating a block's status without its transactions (`PmtInfSts` only): before,
/// it changed nothing and said nothing; now the block's status speaks about every wire of
/// the block, and a block that cannot be told is reported unmatched with the reason.
#[tokio::test]
async fn regression_a_payment_information_status_without_transactions_applies_to_its_wires() {
    let app = spawn_app(60).await;
    let id = paid_distribution(&app, "60000.00").await;
    let sent: Vec<Value> = payments_of(&app, "operator", &id)
        .await
        .into_iter()
        .filter(|p| p["method"] == "WIRE" && p["status"] == "SENT")
        .collect();
    let batch = sent[0]["batchId"].as_str().unwrap().to_string();
    let wires: Vec<&Value> = sent.iter().filter(|w| w["batchId"] == batch).collect();
    let xml = download(&app, "operator", &batch)
        .await
        .text()
        .await
        .unwrap();
    let (_, pain001) = pain001::read(&xml).unwrap();
    assert_eq!(pain001.batches.len(), 1, "one currency, one block");
    let block = &pain001.batches[0].payment_information_id;
    let only_block = |report_id: &str, block: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.03\"><CstmrPmtStsRpt>\
             <GrpHdr><MsgId>{report_id}</MsgId><CreDtTm>2026-04-01T09:00:00</CreDtTm></GrpHdr>\
             <OrgnlGrpInfAndSts><OrgnlMsgId>{}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId></OrgnlGrpInfAndSts>\
             <OrgnlPmtInfAndSts><OrgnlPmtInfId>{block}</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>\
             <StsRsnInf><Rsn><Cd>AM04</Cd></Rsn><AddtlInf>Insufficient funds</AddtlInf></StsRsnInf></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>\n",
            pain001.message_id
        )
    };
    // A block we never wrote: one unmatched item that says why, and no wire changes.
    let (status, body) = post_report(
        &app,
        app.token("operator"),
        &only_block("BANK-STS-9", "NOT-OURS-2"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["transactions"], 1, "{body}");
    assert_eq!(body["items"][0]["outcome"], "UNMATCHED");
    let detail = body["items"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("NOT-OURS-2"), "{detail}");
    for w in &wires {
        assert_eq!(
            payment(&app, w["id"].as_str().unwrap()).await["status"],
            "SENT"
        );
    }
    // Our block rejected as a whole: every wire of it fails with the block's reason.
    let (status, body) = post_report(
        &app,
        app.token("operator"),
        &only_block("BANK-STS-10", block),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["transactions"], wires.len(), "{body}");
    for w in &wires {
        let p = payment(&app, w["id"].as_str().unwrap()).await;
        assert_eq!(p["status"], "FAILED", "{p}");
        assert_eq!(p["failureCode"], "AM04", "{p}");
    }
    app.stop().await;
}

//! Conformance: our pain.002 reader against moov-io/iso20022's pain.002 samples (SIX
//! `.ch.02` variants of pain.002.001.03), read from the conformance samples folder, and our
//! own pain.002.001.11 fixture, first validated against the ISO XSD with `xmllint`.

use std::path::Path;
use std::process::Command;

use clearway_formats::iso20022::pain002::{self, Outcome, PaymentStatus};

mod support;

fn other(name: &str) -> Option<String> {
    let dir = support::find()?;
    let p = dir
        .join("iso20022/other")
        .join(format!("moov-iso20022__{name}"));
    Some(std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

/// Our own report: a rejection with reason and amount, a settlement, and one transaction
/// that takes the payment-level status.
const OWN_V11: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.11">
  <CstmrPmtStsRpt>
    <GrpHdr>
      <MsgId>BANK-STS-0001</MsgId>
      <CreDtTm>2026-03-31T10:15:00</CreDtTm>
    </GrpHdr>
    <OrgnlGrpInfAndSts>
      <OrgnlMsgId>CLW-WIRES-0001</OrgnlMsgId>
      <OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
      <GrpSts>PART</GrpSts>
    </OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>PMT-1</OrgnlPmtInfId>
      <PmtInfSts>ACTC</PmtInfSts>
      <TxInfAndSts>
        <OrgnlInstrId>INSTR-1</OrgnlInstrId>
        <OrgnlEndToEndId>E2E-0001</OrgnlEndToEndId>
        <TxSts>RJCT</TxSts>
        <StsRsnInf>
          <Rsn>
            <Cd>AC04</Cd>
          </Rsn>
          <AddtlInf>Account closed</AddtlInf>
        </StsRsnInf>
        <OrgnlTxRef>
          <Amt>
            <InstdAmt Ccy="EUR">1250.50</InstdAmt>
          </Amt>
        </OrgnlTxRef>
      </TxInfAndSts>
      <TxInfAndSts>
        <OrgnlEndToEndId>E2E-0002</OrgnlEndToEndId>
        <TxSts>ACSC</TxSts>
      </TxInfAndSts>
      <TxInfAndSts>
        <OrgnlEndToEndId>E2E-0003</OrgnlEndToEndId>
      </TxInfAndSts>
    </OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>
"#;

fn xmllint_validates(xml: &str, xsd: &Path) {
    let dir = std::env::temp_dir().join(format!("clearway-pain002-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("own.xml");
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(xsd)
        .arg(&file)
        .output()
        .expect("xmllint is needed (apt-get install -y libxml2-utils)");
    assert!(
        out.status.success(),
        "xmllint rejects our pain.002 fixture: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn third_party_own_v11_fixture_is_schema_valid_and_reads() {
    let Some(dir) = support::find() else {
        return;
    };
    xmllint_validates(OWN_V11, &dir.join("iso20022/xsd/pain.002.001.11.xsd"));
    let r = pain002::read(OWN_V11).unwrap();
    assert_eq!(r.version.as_deref(), Some("pain.002.001.11"));
    assert_eq!(r.message_id, "BANK-STS-0001");
    assert_eq!(r.original_message_id, "CLW-WIRES-0001");
    assert_eq!(r.original_message_name.as_deref(), Some("pain.001.001.09"));
    assert_eq!(r.group_status, Some(PaymentStatus::Part));
    let t: Vec<_> = r.transactions().collect();
    let got: Vec<_> = t
        .iter()
        .map(|t| {
            (
                t.original_end_to_end_id.as_deref().unwrap(),
                t.status.unwrap().code(),
                t.inherited,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("E2E-0001", "RJCT", false),
            ("E2E-0002", "ACSC", false),
            ("E2E-0003", "ACTC", true)
        ]
    );
    assert_eq!(t[0].original_instruction_id.as_deref(), Some("INSTR-1"));
    assert_eq!(t[0].reasons[0].code.as_deref(), Some("AC04"));
    assert_eq!(t[0].reasons[0].additional_info, ["Account closed"]);
    assert_eq!(t[0].amount, Some("1250.50".parse().unwrap()));
    assert_eq!(t[0].currency.as_deref(), Some("EUR"));
    assert_eq!(t[0].status.unwrap().outcome(), Outcome::Rejected);
    assert_eq!(t[1].status.unwrap().outcome(), Outcome::Settled);
    assert_eq!(t[2].status.unwrap().outcome(), Outcome::Pending);
}

#[test]
fn third_party_moov_transaction_rejection_with_reason() {
    let Some(x) = other("pain002-epo_p_ch5109000000250092291_1110097605_0_2018031511252307.xml")
    else {
        return;
    };
    let r = pain002::read(&x).unwrap();
    assert_eq!(r.version.as_deref(), Some("pain.002.001.03"));
    assert_eq!(r.message_id, "20180315375204222822452");
    assert_eq!(r.original_message_id, "MsgId-001");
    assert_eq!(
        r.original_message_name.as_deref(),
        Some("pain.001.001.03.ch.02")
    );
    assert_eq!(r.group_status, None);
    assert_eq!(r.payments.len(), 1);
    assert_eq!(r.payments[0].original_payment_info_id, "PmtInfId-001-03");
    assert_eq!(r.payments[0].status, Some(PaymentStatus::Part));
    let t: Vec<_> = r.transactions().collect();
    assert_eq!(t.len(), 1);
    assert_eq!(
        t[0].original_instruction_id.as_deref(),
        Some("InstrId-001-03-04")
    );
    assert_eq!(
        t[0].original_end_to_end_id.as_deref(),
        Some("EndToEndId-001-03-04")
    );
    assert_eq!(t[0].status, Some(PaymentStatus::Rjct));
    assert!(!t[0].inherited);
    assert_eq!(t[0].reasons[0].describe(), "AC01: 1301813;Konto ungültig");
    assert_eq!(t[0].amount, None);
}

#[test]
fn third_party_moov_group_and_payment_level_statuses() {
    let Some(rjct) = other("pain002-epo_p_0_0_0_2018032614401842.xml") else {
        return;
    };
    let r = pain002::read(&rjct).unwrap();
    assert_eq!(r.original_message_id, "MsgId-005");
    assert_eq!(r.group_status, Some(PaymentStatus::Rjct));
    assert_eq!(r.group_reasons[0].code.as_deref(), Some("AM10"));
    assert_eq!(
        r.group_reasons[0].additional_info,
        ["904114;ControlSum fehlerhaft"]
    );
    assert!(r.payments.is_empty());

    let r = pain002::read(&other("pain002-epo_p_0_0_0_2018031510491259.xml").unwrap()).unwrap();
    assert_eq!(r.message_id, "20180315375204222821684");
    assert_eq!(r.group_status, Some(PaymentStatus::Actc));

    let r = pain002::read(
        &other("pain002-chdd-cor1_p_ch2909000000250094239_1110097483_0_2018031317221082.xml")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        r.original_message_name.as_deref(),
        Some("pain.008.001.02.ch.03")
    );
    assert_eq!(r.payments[0].original_payment_info_id, "PmtInfId-CHDD-1");
    assert_eq!(r.payments[0].status, Some(PaymentStatus::Accp));
}

#[test]
fn third_party_moov_invalid_v11_is_refused() {
    let Some(x) = other("invalid_pain_v11.xml") else {
        return;
    };
    let e = pain002::read(&x).unwrap_err();
    assert_eq!(e.line(), Some(7), "{e}");
    assert!(e.to_string().contains("no status"), "{e}");
}

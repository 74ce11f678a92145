//! Issue 15, item 1: wire X posted net of a €25 charge (so its amount equals wire Y's), X's
//! end-to-end id cut to 16 or 10 characters, X's payee named — was cleared as Y (score 950).
//! Y must never be matched by X's line, whatever the truncation, charge line or name.

use chrono::NaiveDate;

use super::*;
use crate::payments::reference::token;

fn eur() -> Currency {
    Currency::parse("EUR").unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, d).unwrap()
}

/// Legacy end-to-end ids: UUIDv7s of one run, the same first 20 characters.
const E2E_X: &str = "0190F3A27B1C7D0080A1000000000001";
const E2E_Y: &str = "0190F3A27B1C7D0080A1000000000002";
const E2E_Z: &str = "0190F3A27B1C7D0080A1000000000003";

fn wire(id: &str, amount: i64, e2e: &str, name: &str) -> Payment {
    Payment {
        id: id.to_string(),
        amount_minor: amount,
        currency: eur(),
        method: PaymentMethod::Wire,
        expected_date: day(12),
        trace_number: None,
        end_to_end_id: Some(e2e.to_string()),
        check_number: None,
        batch_id: None,
        counterparty_name: name.to_string(),
        reference_token: Some(token(id)),
        counterparty_account: None,
        status: PaymentStatus::Initiated,
    }
}

/// X €1,025 to John Smith, Y €1,000 to Maria Garcia, Z €3,000 to Ana Lopez: one run.
fn legacy_run() -> Vec<Payment> {
    vec![
        wire("X", 102_500, E2E_X, "John Smith"),
        wire("Y", 100_000, E2E_Y, "Maria Garcia"),
        wire("Z", 300_000, E2E_Z, "Ana Lopez"),
    ]
}

fn debit(id: &str, amount: i64, reference: Option<&str>, name: Option<&str>) -> StatementLine {
    StatementLine {
        id: id.to_string(),
        amount_minor: amount,
        currency: eur(),
        value_date: day(12),
        booking_date: day(12),
        bank_reference: None,
        customer_reference: reference.map(str::to_string),
        description: "OUTGOING WIRE TRANSFER".to_string(),
        counterparty: name.map(str::to_string),
        counterparty_account: None,
        type_code: None,
    }
}

fn charge(id: &str, amount: i64) -> StatementLine {
    StatementLine {
        description: "WIRE TRANSFER CHARGE".to_string(),
        ..debit(id, amount, None, None)
    }
}

fn run(payments: &[Payment], lines: &[StatementLine]) -> Reconciliation {
    reconcile(payments, lines, &MatchConfig::default()).unwrap()
}

fn matched(r: &Reconciliation, payment: &str) -> bool {
    r.decisions
        .iter()
        .any(|d| d.payment_ids.iter().any(|p| p == payment))
}

fn suggested(e: &Exception, payment: &str) -> bool {
    e.candidates.iter().any(|c| c.payment_ids == [payment])
}

#[test]
fn net_of_charge_wire_with_cut_legacy_id_is_never_cleared_as_its_neighbour() {
    for keep in [16, 10] {
        let cut = &E2E_X[..keep];
        // Without the charge line: an exception suggesting X (by name) and Y (by amount).
        let r = run(
            &legacy_run(),
            &[debit("L1", -100_000, Some(cut), Some("JOHN SMITH"))],
        );
        assert!(!matched(&r, "Y"), "keep {keep}: {r:#?}");
        assert!(r.decisions.is_empty());
        let e = &r.exceptions[0];
        assert_eq!(e.cause, ExceptionCause::Contradicted, "keep {keep}");
        assert!(
            suggested(e, "X") && suggested(e, "Y"),
            "keep {keep}: {e:#?}"
        );
        let y = e
            .candidates
            .iter()
            .find(|c| c.payment_ids == ["Y"])
            .unwrap();
        assert!(y.reasons.contains(&Reason::CounterpartyContradicts(0)));

        // With the charge line beside it: X is matched with both lines, Y stays open.
        let r = run(
            &legacy_run(),
            &[
                debit("L1", -100_000, Some(cut), Some("JOHN SMITH")),
                charge("L2", -2_500),
            ],
        );
        assert_eq!(r.decisions.len(), 1, "keep {keep}: {r:#?}");
        let d = &r.decisions[0];
        assert_eq!(d.payment_ids, ["X"]);
        assert_eq!(d.line_ids, ["L1", "L2"]);
        assert!(d.reasons.contains(&Reason::FeeDeducted(2_500)));
        assert!(r.unmatched_payment_ids.contains(&"Y".to_string()));
    }
}

#[test]
fn net_of_charge_wire_without_a_name_is_not_cleared_as_its_neighbour() {
    for keep in [16, 10] {
        let r = run(
            &legacy_run(),
            &[debit("L1", -100_000, Some(&E2E_X[..keep]), None)],
        );
        assert!(r.decisions.is_empty(), "keep {keep}: {r:#?}");
    }
}

#[test]
fn a_partial_reference_shared_by_the_run_is_no_evidence_even_at_the_exact_amount() {
    // Y's own line, cut to 16, no name: the prefix is Y's and X's and Z's; the amount alone
    // (date, no name) never decides. Before, the prefix was unique among €1,000 payments.
    let r = run(
        &legacy_run(),
        &[debit("L1", -100_000, Some(&E2E_Y[..16]), None)],
    );
    assert!(r.decisions.is_empty(), "{r:#?}");
    // Named, the amount pass clears it on the name.
    let r = run(
        &legacy_run(),
        &[debit(
            "L1",
            -100_000,
            Some(&E2E_Y[..16]),
            Some("MARIA GARCIA"),
        )],
    );
    assert_eq!(r.decisions[0].payment_ids, ["Y"]);
}

/// New wires: the end-to-end id is the token, unique from its first characters.
fn token_run() -> Vec<Payment> {
    legacy_run()
        .into_iter()
        .map(|mut p| {
            p.end_to_end_id = p.reference_token.clone();
            p
        })
        .collect()
}

#[test]
fn net_of_charge_wire_with_cut_token_points_at_x_only() {
    let tx = token("X");
    for keep in [16, 10] {
        let cut: String = tx.chars().take(keep).collect();
        let r = run(&token_run(), &[debit("L1", -100_000, Some(&cut), None)]);
        assert!(r.decisions.is_empty(), "keep {keep}: {r:#?}");
        let e = &r.exceptions[0];
        assert_eq!(e.cause, ExceptionCause::AmountMismatch);
        assert_eq!(e.candidates.len(), 1);
        assert!(suggested(e, "X"));
        assert!(e.candidates[0]
            .reasons
            .contains(&Reason::AmountDiffers(-2_500)));

        let r = run(
            &token_run(),
            &[
                debit("L1", -100_000, Some(&cut), None),
                charge("L2", -2_500),
            ],
        );
        let d = &r.decisions[0];
        assert_eq!(
            (d.payment_ids.as_slice(), d.score),
            (&["X".to_string()][..], 950)
        );
        assert!(d.reasons.contains(&Reason::FeeDeducted(2_500)));
        // Named as someone else, even the token does not clear it.
        let r = run(
            &token_run(),
            &[
                debit("L1", -100_000, Some(&cut), Some("MARIA GARCIA")),
                charge("L2", -2_500),
            ],
        );
        assert!(r.decisions.is_empty(), "keep {keep}: {r:#?}");
        assert_eq!(r.exceptions[0].cause, ExceptionCause::Contradicted);
    }
}

#[test]
fn a_whole_token_anywhere_in_the_line_is_an_exact_reference() {
    let ty = token("Y");
    for (reference, text) in [
        (None, format!("WIRE OUT /EREF/{ty}/BNF/MARIA")),
        (Some(format!("EREF{ty}")), String::new()),
    ] {
        let mut l = debit("L1", -100_000, None, None);
        l.bank_reference = reference;
        l.description = text;
        let r = run(&legacy_run(), &[l]);
        let d = &r.decisions[0];
        assert_eq!(d.payment_ids, ["Y"]);
        assert_eq!(d.reasons[0], Reason::ReferenceExact);
    }
}

#[test]
fn a_contradicting_account_vetoes_an_exact_reference() {
    let mut payments = legacy_run();
    payments[1].counterparty_account = Some("****4321".to_string());
    let mut l = debit("L1", -100_000, Some(E2E_Y), None);
    l.counterparty_account = Some("DE89370400440532019999".to_string());
    let r = run(&payments, &[l.clone()]);
    assert_eq!(r.exceptions[0].cause, ExceptionCause::Contradicted);
    assert!(r.exceptions[0].candidates[0]
        .reasons
        .contains(&Reason::AccountContradicts));
    l.counterparty_account = Some("DE89370400440532014321".to_string());
    assert_eq!(run(&payments, &[l]).decisions[0].payment_ids, ["Y"]);
}

#[test]
fn a_charge_line_is_used_once() {
    // Two wires net of €25, one charge line: the first takes it, the other is an exception.
    let tx = token("X");
    let mut payments = token_run();
    payments[2].amount_minor = 102_500;
    let tz = token("Z");
    let r = run(
        &payments,
        &[
            debit("L1", -100_000, Some(&tx[..10]), None),
            debit("L2", -100_000, Some(&tz[..10]), None),
            charge("L3", -2_500),
        ],
    );
    assert_eq!(r.decisions.len(), 1, "{r:#?}");
    assert_eq!(r.decisions[0].line_ids, ["L1", "L3"]);
    assert_eq!(r.exceptions[0].cause, ExceptionCause::AmountMismatch);
}

//! Tests of the matcher: one group per pass, ties, validation, and properties against the
//! simulator's ground truth.

use std::collections::HashSet;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::simulate::{evaluate, generate};
use super::*;

fn day(d: u32) -> NaiveDate {
    // March 2024: the 11th is a Monday.
    NaiveDate::from_ymd_opt(2024, 3, d).unwrap()
}

fn pay(id: &str, amount: i64, date: u32, name: &str) -> Payment {
    Payment {
        id: id.to_string(),
        amount_minor: amount,
        currency: Currency::USD,
        method: PaymentMethod::Ach,
        expected_date: day(date),
        trace_number: None,
        end_to_end_id: None,
        check_number: None,
        batch_id: None,
        counterparty_name: name.to_string(),
        reference_token: None,
        counterparty_account: None,
        status: PaymentStatus::Initiated,
    }
}

fn traced(id: &str, amount: i64, date: u32, name: &str, trace: &str) -> Payment {
    Payment {
        trace_number: Some(trace.to_string()),
        ..pay(id, amount, date, name)
    }
}

fn line(id: &str, amount: i64, date: u32) -> StatementLine {
    StatementLine {
        id: id.to_string(),
        amount_minor: amount,
        currency: Currency::USD,
        value_date: day(date),
        booking_date: day(date),
        bank_reference: None,
        customer_reference: None,
        description: String::new(),
        counterparty: None,
        counterparty_account: None,
        type_code: None,
    }
}

fn named(id: &str, amount: i64, date: u32, name: &str) -> StatementLine {
    StatementLine {
        counterparty: Some(name.to_string()),
        ..line(id, amount, date)
    }
}

fn run(payments: &[Payment], lines: &[StatementLine]) -> Reconciliation {
    reconcile(payments, lines, &MatchConfig::default()).unwrap()
}

fn only_decision(r: &Reconciliation) -> &Decision {
    assert_eq!(r.decisions.len(), 1, "{r:#?}");
    &r.decisions[0]
}

const TRACE: &str = "021000021234567";

#[test]
fn exact_trace_in_reference_field_matches() {
    let payments = [
        traced("P1", 50_000, 12, "John Smith", TRACE),
        pay("P2", 50_000, 12, "John Smith"),
    ];
    let mut l = line("L1", -50_000, 13);
    l.customer_reference = Some(TRACE.to_string());
    let r = run(&payments, &[l]);
    let d = only_decision(&r);
    assert_eq!(d.payment_ids, ["P1"]);
    assert_eq!(d.score, 1000);
    assert_eq!(
        d.reasons,
        [
            Reason::ReferenceExact,
            Reason::AmountExact,
            Reason::DateWithin(1)
        ]
    );
    assert_eq!(r.unmatched_payment_ids, ["P2"]);
}

#[test]
fn reference_hidden_in_free_text_matches() {
    let payments = [traced("P1", 50_000, 12, "John Smith", TRACE)];
    let mut l = line("L1", -50_000, 12);
    l.description = format!("ACH CREDIT PPD TRN*1*{TRACE}*1234567890\\ CLEARWAY");
    let r = run(&payments, &[l]);
    assert_eq!(only_decision(&r).reasons[0], Reason::ReferenceExact);
}

#[test]
fn truncated_trace_matches_when_unambiguous() {
    let payments = [
        traced("P1", 50_000, 12, "A", TRACE),
        traced("P2", 50_000, 12, "B", "021000029999999"),
    ];
    let mut l = line("L1", -50_000, 12);
    l.bank_reference = Some(TRACE[5..].to_string()); // the bank kept the last 10 digits
    let r = run(&payments, &[l]);
    let d = only_decision(&r);
    assert_eq!(d.payment_ids, ["P1"]);
    assert_eq!(d.score, 950);
    assert_eq!(d.reasons[0], Reason::ReferenceTruncated);
}

#[test]
fn truncated_reference_shared_by_equal_payments_is_an_exception() {
    let e2e = |id: &str, tail: &str| Payment {
        end_to_end_id: Some(format!("CWABCD00000012{tail}")),
        method: PaymentMethod::Wire,
        ..pay(id, 70_000, 12, "Same Name")
    };
    let payments = [e2e("P1", "34"), e2e("P2", "35")];
    let mut l = named("L1", -70_000, 12, "Same Name");
    l.customer_reference = Some("CWABCD00000012".to_string()); // prefix of both
    let r = run(&payments, &[l]);
    assert!(r.decisions.is_empty());
    assert_eq!(r.exceptions[0].cause, ExceptionCause::Ambiguous);
    assert_eq!(r.exceptions[0].candidates.len(), 2);
}

#[test]
fn zero_padded_check_number_matches() {
    let payments = [Payment {
        check_number: Some("104233".to_string()),
        method: PaymentMethod::Check,
        ..pay("P1", 12_345, 12, "Mary Jones")
    }];
    let mut l = line("L1", -12_345, 14);
    l.bank_reference = Some("0000104233".to_string());
    let r = run(&payments, &[l]);
    assert_eq!(only_decision(&r).payment_ids, ["P1"]);
}

#[test]
fn two_lines_claiming_one_reference_are_both_exceptions() {
    let payments = [traced("P1", 50_000, 12, "John Smith", TRACE)];
    let mut a = line("L1", -50_000, 12);
    a.customer_reference = Some(TRACE.to_string());
    let mut b = a.clone();
    b.id = "L2".to_string();
    let r = run(&payments, &[a, b]);
    assert!(r.decisions.is_empty());
    assert!(r
        .exceptions
        .iter()
        .all(|e| e.cause == ExceptionCause::Contested));
    assert_eq!(r.exceptions.len(), 2);
}

#[test]
fn reference_with_wrong_amount_is_an_exception_with_the_difference() {
    let payments = [traced("P1", 50_000, 12, "John Smith", TRACE)];
    let mut l = named("L1", -49_000, 12, "John Smith");
    l.customer_reference = Some(TRACE.to_string());
    let r = run(&payments, &[l]);
    assert!(r.decisions.is_empty());
    let e = &r.exceptions[0];
    assert_eq!(e.cause, ExceptionCause::AmountMismatch);
    assert!(e.candidates[0]
        .reasons
        .contains(&Reason::AmountDiffers(-1_000)));
}

fn batch(ids: &[(&str, i64)], batch_id: &str) -> Vec<Payment> {
    ids.iter()
        .map(|(id, amount)| Payment {
            batch_id: Some(batch_id.to_string()),
            ..pay(id, *amount, 12, id)
        })
        .collect()
}

#[test]
fn batch_total_matches_all_members() {
    let payments = batch(&[("A", 1_000), ("B", 2_000), ("C", 3_500)], "CWB1");
    let r = run(
        &payments,
        &[named("L1", -6_500, 13, "CLEARWAY DISTRIBUTIONS")],
    );
    let d = only_decision(&r);
    assert_eq!(d.payment_ids, ["A", "B", "C"]);
    assert_eq!(d.line_ids, ["L1"]);
    assert!(d.reasons.contains(&Reason::BatchTotal(3)));
    assert!(r.unmatched_payment_ids.is_empty());
}

#[test]
fn batch_named_in_description_scores_full() {
    let payments = batch(&[("A", 1_000), ("B", 2_000)], "CWB0000042");
    let mut l = line("L1", -3_000, 12);
    l.description = "ACH SETTLEMENT BATCH CWB0000042".to_string();
    let r = run(&payments, &[l]);
    let d = only_decision(&r);
    assert_eq!(d.score, 1000);
    assert_eq!(d.reasons[0], Reason::BatchReference);
}

#[test]
fn batch_with_a_member_already_paid_is_not_matched_as_total() {
    let mut payments = batch(&[("A", 1_000), ("B", 2_000)], "CWB1");
    payments[0].trace_number = Some(TRACE.to_string());
    let mut first = line("L1", -1_000, 12);
    first.customer_reference = Some(TRACE.to_string());
    let r = run(&payments, &[first, line("L2", -3_000, 12)]);
    assert_eq!(r.decisions.len(), 1);
    assert_eq!(r.exceptions[0].line_id, "L2");
}

#[test]
fn amount_date_and_name_match_a_unique_candidate() {
    let payments = [
        pay("P1", 125_000, 12, "Jennifer Thompson"),
        pay("P2", 125_000, 12, "Maria Garcia"),
    ];
    let r = run(
        &payments,
        &[named("L1", -125_000, 14, "THOMPSON, JENNIFER")],
    );
    let d = only_decision(&r);
    assert_eq!(d.payment_ids, ["P1"]);
    assert_eq!(
        d.reasons,
        [
            Reason::AmountExact,
            Reason::DateWithin(2),
            Reason::CounterpartySimilar(1000)
        ]
    );
}

#[test]
fn equal_candidates_are_never_guessed() {
    let payments = [
        pay("P1", 125_000, 12, "John Smith"),
        pay("P2", 125_000, 13, "John Smith"),
    ];
    let r = run(&payments, &[named("L1", -125_000, 12, "JOHN SMITH")]);
    assert!(r.decisions.is_empty());
    let e = &r.exceptions[0];
    assert_eq!(e.cause, ExceptionCause::Ambiguous);
    let ids: Vec<&str> = e
        .candidates
        .iter()
        .map(|c| c.payment_ids[0].as_str())
        .collect();
    assert_eq!(ids, ["P1", "P2"]);
}

#[test]
fn near_ties_are_exceptions_too() {
    // "J SMITH" fits John (prefix) and Jane (initial) almost equally.
    let payments = [
        pay("P1", 125_000, 12, "John Smith"),
        pay("P2", 125_000, 12, "Jo Smith"),
    ];
    let r = run(&payments, &[named("L1", -125_000, 12, "J SMITH")]);
    assert!(r.decisions.is_empty());
    assert_eq!(r.exceptions[0].cause, ExceptionCause::Ambiguous);
}

#[test]
fn two_lines_for_one_payment_by_amount_are_contested() {
    let payments = [pay("P1", 125_000, 12, "John Smith")];
    let r = run(
        &payments,
        &[
            named("L1", -125_000, 12, "John Smith"),
            named("L2", -125_000, 13, "John Smith"),
        ],
    );
    assert!(r.decisions.is_empty());
    assert!(r
        .exceptions
        .iter()
        .all(|e| e.cause == ExceptionCause::Contested));
}

#[test]
fn outside_the_date_window_or_other_name_is_not_matched() {
    let payments = [pay("P1", 125_000, 12, "John Smith")];
    // The 12th is a Tuesday; the 15th is 3 business days later.
    let r = run(&payments, &[named("L1", -125_000, 15, "John Smith")]);
    assert_eq!(r.exceptions[0].cause, ExceptionCause::NoCandidate);
    // A clearly different payee contradicts the payment (it was below the threshold before
    // the veto; either way it is never matched).
    let r = run(&payments, &[named("L1", -125_000, 12, "Maria Garcia")]);
    assert_eq!(r.exceptions[0].cause, ExceptionCause::Contradicted);
    let r = run(&payments, &[line("L1", -125_000, 12)]);
    assert_eq!(r.exceptions[0].cause, ExceptionCause::BelowThreshold);
}

#[test]
fn weekend_value_dates_count_in_business_days() {
    // Friday the 15th to Monday the 18th is one business day.
    let payments = [pay("P1", 9_999, 15, "John Smith")];
    let r = run(&payments, &[named("L1", -9_999, 18, "John Smith")]);
    assert!(only_decision(&r).reasons.contains(&Reason::DateWithin(1)));
}

#[test]
fn return_by_reference_marks_the_payment_returned() {
    let payments = [traced("P1", 50_000, 12, "John Smith", TRACE)];
    let mut debit = line("L1", -50_000, 12);
    debit.customer_reference = Some(TRACE.to_string());
    let mut credit = line("L2", 50_000, 15);
    credit.description = format!("ACH RETURN R01 TRACE {TRACE}");
    let r = run(&payments, &[debit, credit]);
    assert_eq!(r.decisions.len(), 2);
    let ret = &r.decisions[1];
    assert_eq!(ret.outcome, Outcome::Returned);
    assert_eq!(ret.payment_ids, ["P1"]);
    assert_eq!(ret.reasons[0], Reason::ReturnOf);
}

#[test]
fn return_by_amount_and_name_of_a_paid_payment() {
    let payments = [PaymentStatus::Paid, PaymentStatus::Initiated].map(|status| Payment {
        status,
        ..pay(
            if status == PaymentStatus::Paid {
                "P1"
            } else {
                "P2"
            },
            50_000,
            12,
            "John Smith",
        )
    });
    // P2 was never debited, so only P1 can come back.
    let r = run(&payments, &[named("L1", 50_000, 18, "SMITH JOHN")]);
    let d = only_decision(&r);
    assert_eq!(
        (d.outcome, d.payment_ids.as_slice()),
        (Outcome::Returned, &["P1".to_string()][..])
    );
}

#[test]
fn credit_with_no_payment_is_an_exception() {
    let payments = [pay("P1", 50_000, 12, "John Smith")];
    let r = run(&payments, &[named("L1", 50_000, 18, "John Smith")]);
    assert_eq!(r.exceptions[0].cause, ExceptionCause::NoCandidate);
}

#[test]
fn split_lines_adding_up_to_one_payment_match_together() {
    let payments = [Payment {
        end_to_end_id: Some("CW-E2E-0001".to_string()),
        method: PaymentMethod::Wire,
        ..pay("P1", 100_000, 12, "Acme Capital LLC")
    }];
    let parts = [("L1", -60_000), ("L2", -40_000)].map(|(id, amount)| StatementLine {
        customer_reference: Some("CWE2E0001".to_string()),
        ..line(id, amount, 12)
    });
    let r = run(&payments, &parts);
    let d = only_decision(&r);
    assert_eq!(d.line_ids, ["L1", "L2"]);
    assert!(d.reasons.contains(&Reason::SplitTotal(2)));
}

#[test]
fn invalid_input_is_refused() {
    let p = pay("P1", 1, 12, "A");
    assert_eq!(
        reconcile(&[p.clone(), p.clone()], &[], &MatchConfig::default()),
        Err(ReconcileError::DuplicatePaymentId("P1".to_string()))
    );
    let zero = pay("P0", 0, 12, "A");
    assert!(matches!(
        reconcile(&[zero], &[], &MatchConfig::default()),
        Err(ReconcileError::NonPositivePayment(_))
    ));
    let l = line("L1", -1, 12);
    assert!(matches!(
        reconcile(&[], &[l.clone(), l], &MatchConfig::default()),
        Err(ReconcileError::DuplicateLineId(_))
    ));
    let bad = MatchConfig {
        amount_rounds: 0,
        ..MatchConfig::default()
    };
    assert!(matches!(
        reconcile(&[], &[], &bad),
        Err(ReconcileError::InvalidConfig(_))
    ));
}

/// Structural invariants every result must hold, whatever the input.
fn check_invariants(sim: &simulate::Simulation, r: &Reconciliation) {
    let lines: std::collections::HashMap<&str, &StatementLine> =
        sim.lines.iter().map(|l| (l.id.as_str(), l)).collect();
    let payments: std::collections::HashMap<&str, &Payment> =
        sim.payments.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut seen_lines = HashSet::new();
    let mut paid = HashSet::new();
    let mut returned = HashSet::new();
    for d in &r.decisions {
        for l in &d.line_ids {
            assert!(seen_lines.insert(l.as_str()), "line {l} decided twice");
        }
        for p in &d.payment_ids {
            let set = if d.outcome == Outcome::Matched {
                &mut paid
            } else {
                &mut returned
            };
            assert!(set.insert(p.as_str()), "payment {p} used twice");
        }
        let line_total: i64 = d
            .line_ids
            .iter()
            .map(|l| lines[l.as_str()].amount_minor)
            .sum();
        let pay_total: i64 = d
            .payment_ids
            .iter()
            .map(|p| payments[p.as_str()].amount_minor)
            .sum();
        match d.outcome {
            Outcome::Matched => assert_eq!(-line_total, pay_total, "{d:?}"),
            Outcome::Returned => assert_eq!(line_total, pay_total, "{d:?}"),
        }
        assert!(d.score >= MatchConfig::default().auto_match_threshold);
    }
    for e in &r.exceptions {
        assert!(
            seen_lines.insert(e.line_id.as_str()),
            "line {} twice",
            e.line_id
        );
    }
    assert_eq!(
        seen_lines.len(),
        sim.lines.len(),
        "every line has one outcome"
    );
}

#[test]
fn simulated_statement_matches_without_false_matches() {
    let sim = generate(7, 20_000);
    let r = run(&sim.payments, &sim.lines);
    check_invariants(&sim, &r);
    let m = evaluate(&r, &sim.truth);
    assert_eq!(m.false_matches, 0);
    assert!(m.match_rate_ppm() >= 999_000, "{m:?}");
}

#[test]
fn simulation_is_deterministic() {
    let a = generate(42, 500);
    let b = generate(42, 500);
    assert_eq!(a.payments, b.payments);
    assert_eq!(a.lines, b.lines);
    assert_eq!(a.truth, b.truth);
    assert_eq!(run(&a.payments, &a.lines), run(&b.payments, &b.lines));
}

#[test]
#[ignore = "1,000,000 × 1,000,000; run in release: cargo test --release -- --ignored"]
fn million_line_statement_meets_targets() {
    let sim = generate(20_240_101, 1_000_000);
    let started = std::time::Instant::now();
    let r = run(&sim.payments, &sim.lines);
    let elapsed = started.elapsed();
    let m = evaluate(&r, &sim.truth);
    assert_eq!(m.false_matches, 0);
    assert!(m.match_rate_ppm() >= 999_900, "{m:?}");
    assert!(elapsed.as_secs() <= 10, "{elapsed:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn no_false_match_and_no_double_use(seed in any::<u64>(), n in 20usize..600) {
        let sim = generate(seed, n);
        let r = run(&sim.payments, &sim.lines);
        check_invariants(&sim, &r);
        let m = evaluate(&r, &sim.truth);
        prop_assert_eq!(m.false_matches, 0, "{:?}", m);
        prop_assert!(m.auto_matched <= m.matchable);
    }

    #[test]
    fn crowded_statements_never_guess(seed in any::<u64>(), n in 10usize..200) {
        // Few amounts and names: most lines are ambiguous; none may be matched wrongly.
        let mut sim = generate(seed, n);
        let mut rng = simulate::SplitMix64::new(seed);
        for p in &mut sim.payments {
            p.amount_minor = 1_000 * (1 + rng.below(3) as i64);
            p.trace_number = None;
            p.end_to_end_id = None;
            p.check_number = None;
            p.batch_id = None;
            p.reference_token = None;
        }
        let lines: Vec<StatementLine> = sim.payments.iter().enumerate().map(|(i, p)| StatementLine {
            id: format!("L{i}"),
            amount_minor: -p.amount_minor,
            currency: p.currency,
            value_date: p.expected_date,
            booking_date: p.expected_date,
            bank_reference: None,
            customer_reference: None,
            description: String::new(),
            counterparty: Some(p.counterparty_name.to_uppercase()),
            counterparty_account: None,
            type_code: None,
        }).collect();
        let r = run(&sim.payments, &lines);
        for d in &r.decisions {
            // Line i was made from payment i; anything else is a false match.
            let i: usize = d.line_ids[0][1..].parse().unwrap();
            prop_assert_eq!(&d.payment_ids, &vec![sim.payments[i].id.clone()]);
        }
    }
}

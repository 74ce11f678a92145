//! The FIRE writer against positions read off Publication 1220 by hand, and against the
//! independent checker of [`crate::tax::fire_check`].

use clearway_core::tax::form1099::{Div1099, StateBoxes};
use clearway_core::tax::profile::TinType;

use super::*;
use crate::tax::fire_check::check;

fn transmitter() -> Transmitter {
    Transmitter {
        tcc: "12a45".into(),
        tin: "98-7654321".into(),
        name: "Clearway Distributions".into(),
        company_name: "Clearway Distributions LLC".into(),
        address: "1 Main Street".into(),
        city: "Boston".into(),
        state: "MA".into(),
        zip: "02110".into(),
        contact_name: "Tax Desk".into(),
        contact_phone: "(617) 555-0100".into(),
        contact_email: "tax@clearway.example".into(),
        test: true,
        prior_year: false,
    }
}

fn payer() -> Payer {
    Payer {
        tin: "12-3456789".into(),
        name: "Harbor Income Fund".into(),
        name_control: None,
        address: "200 State Street".into(),
        city: "Boston".into(),
        state: "MA".into(),
        zip: "02109-1234".into(),
        phone: "617-555-0199".into(),
        last_filing: false,
    }
}

fn payee(account: &str, name: &str, d: Div1099) -> Payee {
    Payee {
        tin: Some("123-45-6789".into()),
        tin_type: Some(TinType::Ssn),
        name: name.into(),
        name_control: None,
        account: account.into(),
        address: "5 Elm Road".into(),
        city: "Springfield".into(),
        state: "IL".into(),
        zip: "62701".into(),
        corrected: CorrectionKind::None,
        figures: d,
        second_tin_notice: false,
    }
}

fn state(s: &str, w: i64) -> StateBoxes {
    StateBoxes {
        state: s.into(),
        payer_state_id: Some("ST-1".into()),
        withheld_minor: w,
    }
}

/// Three payees: one in California (CF/SF code 06) with state tax, one in New York (not in
/// the program), one without a TIN (backup withheld).
fn input() -> FireInput {
    let a = Div1099 {
        box1a: 123_456,
        box1b: 100_000,
        box2a: 50_000,
        box3: 7_500,
        box7: 1_234,
        box8: Some("Various".into()),
        states: vec![state("CA", 4_321)],
        ..Div1099::default()
    };
    let b = Div1099 {
        box1a: 20_000,
        box5: 3_000,
        box11: true,
        states: vec![state("NY", 999)],
        ..Div1099::default()
    };
    let c = Div1099 {
        box1a: 10_000,
        box4: 2_400,
        ..Div1099::default()
    };
    let mut missing = payee("INV-3", "Pat O'Brien", c);
    missing.tin = None;
    missing.tin_type = None;
    missing.second_tin_notice = true;
    FireInput {
        year: 2025,
        transmitter: transmitter(),
        payers: vec![(
            payer(),
            vec![
                payee("INV-1", "José Müller", a),
                payee("INV-2", "Ann Smith Jr.", b),
                missing,
            ],
        )],
    }
}

fn records(file: &[u8]) -> Vec<&str> {
    file.chunks(RECORD_LEN)
        .map(|r| std::str::from_utf8(r).unwrap())
        .collect()
}

/// Positions `s..=e` (1-based) of a record.
fn at(rec: &str, s: usize, e: usize) -> &str {
    &rec[s - 1..e]
}

#[test]
fn every_record_is_750_bytes_ending_in_crlf_in_order() {
    let file = write(&input()).unwrap();
    assert_eq!(file.len() % RECORD_LEN, 0);
    let recs = records(&file);
    let kinds: String = recs.iter().map(|r| &r[..1]).collect();
    assert_eq!(kinds, "TABBBCKF");
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r.len(), 750);
        assert_eq!(&r[748..], "\r\n");
        assert_eq!(at(r, 500, 507), format!("{:08}", i + 1));
        assert!(r.is_ascii());
    }
}

#[test]
fn the_t_record_holds_the_transmitter() {
    let file = write(&input()).unwrap();
    let t = records(&file)[0];
    assert_eq!(at(t, 2, 5), "2025");
    assert_eq!(at(t, 6, 6), " ");
    assert_eq!(at(t, 7, 15), "987654321");
    assert_eq!(at(t, 16, 20), "12A45");
    assert_eq!(at(t, 28, 28), "T");
    assert_eq!(at(t, 30, 69).trim_end(), "CLEARWAY DISTRIBUTIONS");
    assert_eq!(at(t, 110, 149).trim_end(), "CLEARWAY DISTRIBUTIONS LLC");
    assert_eq!(at(t, 270, 271), "MA");
    assert_eq!(at(t, 272, 280), "02110    ");
    assert_eq!(at(t, 296, 303), "00000003");
    assert_eq!(at(t, 344, 358), "6175550100     ");
    assert_eq!(at(t, 359, 408).trim_end(), "tax@clearway.example");
    assert_eq!(at(t, 518, 518), "I");
    assert_eq!(at(t, 519, 748).trim(), "");
}

#[test]
fn the_a_record_names_the_amount_codes_present_and_cfsf() {
    let file = write(&input()).unwrap();
    let a = records(&file)[1];
    assert_eq!(at(a, 2, 5), "2025");
    assert_eq!(
        at(a, 6, 6),
        "1",
        "a California payee: combined federal/state"
    );
    assert_eq!(at(a, 12, 20), "123456789");
    assert_eq!(at(a, 26, 27), "1 ");
    // 1a=1, 1b=2, 2a=3, 5=5, 3=9, 4=A, 7=C (code 4 unused by 1099-DIV).
    assert_eq!(at(a, 28, 45), "12359AC           ");
    assert_eq!(at(a, 53, 92).trim_end(), "HARBOR INCOME FUND");
    assert_eq!(at(a, 133, 133), "0");
    assert_eq!(at(a, 216, 224), "021091234");
    assert_eq!(at(a, 225, 239), "6175550199     ");
}

#[test]
fn the_b_record_places_each_box_under_its_amount_code() {
    let file = write(&input()).unwrap();
    let b = records(&file)[2];
    assert_eq!(at(b, 6, 6), " ");
    assert_eq!(at(b, 7, 10), "MULL");
    assert_eq!(at(b, 11, 11), "2");
    assert_eq!(at(b, 12, 20), "123456789");
    assert_eq!(at(b, 21, 40), "INV-1               ");
    let amount = |code: usize| at(b, 55 + 12 * code, 66 + 12 * code).to_string();
    assert_eq!(amount(0), "000000123456"); // code 1, box 1a
    assert_eq!(amount(1), "000000100000"); // code 2, box 1b
    assert_eq!(amount(2), "000000050000"); // code 3, box 2a
    assert_eq!(amount(8), "000000007500"); // code 9, box 3
    assert_eq!(amount(11), "000000001234"); // code C, box 7
    assert_eq!(amount(4), "000000000000"); // code 5, box 5
    assert_eq!(amount(3), "000000000000"); // code 4, unused
    assert_eq!(at(b, 271, 286).trim(), "");
    assert_eq!(at(b, 288, 327).trim_end(), "JOSE MULLER");
    assert_eq!(at(b, 368, 407).trim_end(), "5 ELM ROAD");
    assert_eq!(at(b, 448, 487).trim_end(), "SPRINGFIELD");
    assert_eq!(at(b, 488, 489), "IL");
    assert_eq!(at(b, 490, 498), "62701    ");
    assert_eq!(at(b, 547, 586).trim_end(), "VARIOUS");
    assert_eq!(at(b, 587, 587), " ");
    assert_eq!(at(b, 723, 734), "000000004321");
    assert_eq!(at(b, 747, 748), "06");
    let b2 = records(&file)[3];
    assert_eq!(at(b2, 7, 10), "SMIT", "the suffix is not the surname");
    assert_eq!(at(b2, 587, 587), "1", "FATCA");
    assert_eq!(at(b2, 55 + 12 * 4, 66 + 12 * 4), "000000003000"); // 5 = box 5
    assert_eq!(at(b2, 723, 734), "000000000999", "NY's tax, no CF/SF code");
    assert_eq!(at(b2, 747, 748), "  ");
}

#[test]
fn a_payee_without_a_tin_is_blank_filled_and_flags_the_second_notice() {
    let file = write(&input()).unwrap();
    let b = records(&file)[4];
    assert_eq!(at(b, 11, 20), "          ");
    assert_eq!(at(b, 7, 10), "OBRI");
    assert_eq!(at(b, 544, 544), "2");
    assert_eq!(at(b, 55 + 12 * 9, 66 + 12 * 9), "000000002400"); // A = box 4
}

#[test]
fn c_k_and_f_records_total_the_payees() {
    let file = write(&input()).unwrap();
    let recs = records(&file);
    let c = recs[5];
    assert_eq!(at(c, 2, 9), "00000003");
    let total = |r: &str, slot: usize| at(r, 16 + 18 * slot, 33 + 18 * slot).to_string();
    assert_eq!(total(c, 0), format!("{:018}", 123_456 + 20_000 + 10_000));
    assert_eq!(total(c, 9), format!("{:018}", 2_400));
    assert_eq!(total(c, 4), format!("{:018}", 3_000));
    let k = recs[6];
    assert_eq!(at(k, 2, 9), "00000001");
    assert_eq!(total(k, 0), format!("{:018}", 123_456));
    assert_eq!(at(k, 707, 724), format!("{:018}", 4_321));
    assert_eq!(at(k, 747, 748), "06");
    let f = recs[7];
    assert_eq!(at(f, 2, 9), "00000001");
    assert_eq!(at(f, 10, 30), "0".repeat(21));
    assert_eq!(at(f, 50, 57), "00000003");
}

#[test]
fn the_written_file_checks_clean_with_its_totals() {
    let file = write(&input()).unwrap();
    let sum = check(&file).unwrap();
    assert_eq!((sum.payers, sum.payees), (1, 3));
    assert_eq!(sum.totals[&'1'], 153_456);
    assert_eq!(sum.totals[&'A'], 2_400);
    assert_eq!(sum.totals.len(), 7);
}

#[test]
fn corrections_go_under_their_own_payer_record() {
    let mut input = input();
    input.payers[0].1[1].corrected = CorrectionKind::G;
    let file = write(&input).unwrap();
    let kinds: String = records(&file).iter().map(|r| &r[..1]).collect();
    assert_eq!(kinds, "TABBCKABCF");
    assert_eq!(at(records(&file)[7], 6, 6), "G");
    let sum = check(&file).unwrap();
    assert_eq!((sum.payers, sum.payees), (2, 3));
}

#[test]
fn bad_fields_are_refused_naming_the_payee_and_field() {
    type Change = fn(&mut Payee);
    let cases: Vec<(Change, &str)> = vec![
        (|p| p.figures.box1a = -1, "1a"),
        (|p| p.figures.box2a = 1_000_000_000_000, "2a"),
        (|p| p.name = "王小明".into(), "name"),
        (|p| p.name = "A".repeat(81), "name"),
        (|p| p.address = "x".repeat(41), "address"),
        (|p| p.account = "A".repeat(21), "account"),
        (|p| p.account = "A B".into(), "account"),
        (|p| p.tin = Some("12345".into()), "tin"),
        (|p| p.state = "XX".into(), "state"),
        (|p| p.zip = "1234".into(), "zip"),
    ];
    for (change, field) in cases {
        let mut input = input();
        change(&mut input.payers[0].1[0]);
        let account = input.payers[0].1[0].account.clone();
        match write(&input) {
            Err(FireError::Field {
                record, field: f, ..
            }) => {
                assert_eq!(record, format!("payee {account}"));
                assert_eq!(f, field);
            }
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn a_long_name_runs_onto_the_second_line() {
    let mut input = input();
    input.payers[0].1[0].name =
        "The Very Long Family Revocable Living Trust Of Alexandra Q Public".into();
    input.payers[0].1[0].tin_type = Some(TinType::Ein);
    let file = write(&input).unwrap();
    let b = records(&file)[2];
    assert_eq!(
        at(b, 288, 327).trim_end(),
        "THE VERY LONG FAMILY REVOCABLE LIVING"
    );
    assert_eq!(at(b, 328, 367).trim_end(), "TRUST OF ALEXANDRA Q PUBLIC");
    assert_eq!(at(b, 7, 10), "VERY");
    assert_eq!(at(b, 11, 11), "1");
}

#[test]
fn name_controls_follow_the_publication() {
    assert_eq!(name_control("Jane Q. Public", Some(TinType::Ssn)), "PUBL");
    assert_eq!(name_control("Public, Jane", None), "PUBL");
    assert_eq!(name_control("John Smith-Jones III", None), "SMIT");
    assert_eq!(name_control("Lee", None), "LEE");
    assert_eq!(
        name_control("The Acme Holding Co", Some(TinType::Ein)),
        "ACME"
    );
    assert_eq!(name_control("The Hotel", Some(TinType::Ein)), "THEH");
    assert_eq!(name_control("A&B Partners", Some(TinType::Ein)), "A&BP");
    assert_eq!(name_control("Ñúñez", None), "NUNE");
}

#[test]
fn an_empty_file_is_refused() {
    let mut input = input();
    input.payers[0].1.clear();
    assert_eq!(write(&input), Err(FireError::Empty));
}

#[test]
fn the_checker_finds_a_corrupted_byte_in_each_checked_field() {
    let file = write(&input()).unwrap();
    // (record, position, byte): one per checked field.
    let cases: &[(usize, usize, u8)] = &[
        (1, 3, b'X'),   // T payment year
        (1, 6, b'Q'),   // prior year indicator
        (1, 9, b'A'),   // transmitter TIN
        (1, 17, b'#'),  // TCC
        (1, 28, b'X'),  // test file indicator
        (1, 300, b'9'), // T total payees
        (1, 275, b'A'), // T ZIP
        (1, 518, b'X'), // vendor indicator
        (1, 505, b'9'), // sequence number
        (1, 749, b'X'), // line end
        (2, 5, b'4'),   // A payment year differs
        (2, 6, b'2'),   // CF/SF indicator
        (2, 15, b'Z'),  // payer TIN
        (2, 26, b'2'),  // type of return
        (2, 31, b'Z'),  // amount codes
        (2, 133, b'5'), // transfer agent indicator
        (3, 6, b'X'),   // corrected return indicator
        (3, 11, b'7'),  // type of TIN
        (3, 14, b'A'),  // payee TIN
        (3, 60, b'9'),  // amount 1 vs C total
        (3, 62, b'A'),  // amount 1 numeric
        (3, 250, b'1'), // amount H under a code A does not name
        (3, 290, b'a'), // lower case
        (3, 291, 0xC3), // not ASCII
        (3, 544, b'7'), // second TIN notice
        (3, 587, b'7'), // FATCA
        (3, 730, b'8'), // state tax vs K
        (3, 748, b'7'), // CF/SF code without its K
        (6, 9, b'9'),   // C payee count
        (6, 30, b'1'),  // C control total 1
        (7, 720, b'5'), // K state tax total
        (7, 9, b'5'),   // K payee count
        (8, 9, b'5'),   // F count of A records
        (8, 20, b'1'),  // F zeros
        (8, 55, b'9'),  // F payees
    ];
    for &(rec, pos, byte) in cases {
        let mut bad = file.clone();
        bad[(rec - 1) * RECORD_LEN + pos - 1] = byte;
        let issues = check(&bad).expect_err(&format!("record {rec} position {pos}"));
        assert!(
            issues.iter().any(|i| {
                let hit = i.position.0 <= pos && pos <= i.position.1;
                // A wrong amount or count is also reported where it is totalled.
                hit && i.record == rec || matches!((rec, i.record), (3, 6) | (3, 7) | (1, 1))
            }),
            "record {rec} position {pos}: {issues:?}"
        );
    }
}

#[test]
fn the_checker_finds_missing_and_misordered_records() {
    let file = write(&input()).unwrap();
    let mut no_c = file.clone();
    no_c.drain(5 * RECORD_LEN..6 * RECORD_LEN);
    assert!(check(&no_c).is_err());
    let short = &file[..file.len() - 1];
    assert_eq!(check(short).unwrap_err()[0].position, (1, 750));
    let no_f = &file[..7 * RECORD_LEN];
    let issues = check(no_f).unwrap_err();
    assert!(issues.iter().any(|i| i.message.contains("end with an F")));
}

#[test]
fn a_hundred_thousand_payees_write_and_check_quickly() {
    let mut input = input();
    let template = input.payers[0].1[0].clone();
    input.payers[0].1 = (0..100_000)
        .map(|i| Payee {
            account: format!("INV-{i}"),
            ..template.clone()
        })
        .collect();
    let started = std::time::Instant::now();
    let file = write(&input).unwrap();
    let written = started.elapsed();
    let sum = check(&file).unwrap();
    eprintln!(
        "100,000 payees: written in {written:?}, checked in {:?}",
        started.elapsed() - written
    );
    assert_eq!(sum.payees, 100_000);
    assert_eq!(sum.totals[&'1'], 123_456 * 100_000);
    // Pub 1220 file for 100,000 payees within the issue's 2 s (debug build: generous).
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn figures() -> impl Strategy<Value = Div1099> {
        (
            prop::array::uniform8(0i64..5_000_000),
            any::<bool>(),
            prop::option::of((
                prop::sample::select(vec!["CA", "NY", "OH", "TX"]),
                0i64..100_000,
            )),
        )
            .prop_map(|(a, fatca, st)| Div1099 {
                box1a: a[0],
                box1b: a[1].min(a[0]),
                box2a: a[2],
                box3: a[3],
                box4: a[4] % 3 * a[4],
                box5: a[5] % 2 * a[5],
                box7: a[6] % 5,
                box12: a[7] % 4 * a[7],
                box11: fatca,
                states: st.map(|(s, w)| vec![state(s, w)]).unwrap_or_default(),
                ..Div1099::default()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever the figures, the file checks clean and its totals are the figures' sums
        /// (computed here from the inputs, not read back from the writer).
        #[test]
        fn any_year_writes_a_file_that_checks_clean(
            payees in prop::collection::vec((figures(), 0u8..3), 1..40)
        ) {
            let mut input = input();
            input.payers[0].1 = payees
                .iter()
                .enumerate()
                .map(|(i, (d, kind))| Payee {
                    corrected: [CorrectionKind::None, CorrectionKind::G, CorrectionKind::C][*kind as usize],
                    ..payee(&format!("A{i}"), "Sam Doe", d.clone())
                })
                .collect();
            let file = write(&input).unwrap();
            let sum = check(&file).unwrap_or_else(|e| panic!("{e:?}"));
            prop_assert_eq!(sum.payees, payees.len());
            let total = |f: fn(&Div1099) -> i64| payees.iter().map(|(d, _)| f(d) as u128).sum::<u128>();
            prop_assert_eq!(sum.totals.get(&'1').copied().unwrap_or(0), total(|d| d.box1a));
            prop_assert_eq!(sum.totals.get(&'9').copied().unwrap_or(0), total(|d| d.box3));
            prop_assert_eq!(sum.totals.get(&'A').copied().unwrap_or(0), total(|d| d.box4));
            prop_assert_eq!(sum.totals.get(&'F').copied().unwrap_or(0), total(|d| d.box12));
            prop_assert_eq!(sum.totals.get(&'5').copied().unwrap_or(0), total(|d| d.box5));
            let kinds: std::collections::BTreeSet<u8> = payees.iter().map(|(_, k)| *k).collect();
            prop_assert_eq!(sum.payers, kinds.len());
        }
    }
}

#[test]
fn the_first_participating_state_of_a_form_is_its_cfsf_state() {
    let mut input = input();
    input.payers[0].1[1].figures.states = vec![state("NY", 999), state("OH", 555)];
    let file = write(&input).unwrap();
    let recs = records(&file);
    let kinds: String = recs.iter().map(|r| &r[..1]).collect();
    assert_eq!(kinds, "TABBBCKKF", "CA (06) then OH (39)");
    assert_eq!(at(recs[3], 723, 734), "000000000555");
    assert_eq!(at(recs[3], 747, 748), "39");
    assert_eq!(at(recs[7], 747, 748), "39");
    assert_eq!(at(recs[7], 707, 724), format!("{:018}", 555));
    check(&file).unwrap();
}

#[test]
fn without_a_participating_state_the_payer_is_not_cfsf() {
    let mut input = input();
    input.payers[0].1[0].figures.states = vec![state("NY", 100)];
    let file = write(&input).unwrap();
    let recs = records(&file);
    let kinds: String = recs.iter().map(|r| &r[..1]).collect();
    assert_eq!(kinds, "TABBBCF");
    assert_eq!(at(recs[1], 6, 6), " ");
    check(&file).unwrap();
}

//! Inputs the fuzz targets (`fuzz/`, run by `scripts/fuzz.sh`) found crashing a reader,
//! minimised. Each reader must answer them with a value or an error, never a panic.

use clearway_formats::ach::{parse_bytes, AchError};

/// An ADV batch control whose 20-digit debit total (positions 21-40) is above u64::MAX: the NACHA
/// reader's number parsing `expect`ed every digit string to fit.
#[test]
fn ach_adv_total_above_u64_is_an_error_not_a_panic() {
    let input = b"101 231380104 1210428821908161055A094101Federal Reserve Bank   My Bank Name                   \n\
5280Company Name, In C05                121042882 ADVAccounting               0011000010500002\n\
8280000002004627000062000000000000250000000000000000004627602000000999999999999999999999999999";
    match parse_bytes(input) {
        Err(AchError::Line {
            line,
            field,
            message,
            ..
        }) => {
            assert_eq!(line, 3);
            assert_eq!(field, "TotalDebitEntryDollarAmount");
            assert!(message.contains("too large"), "{message}");
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}

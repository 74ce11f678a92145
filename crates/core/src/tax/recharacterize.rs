//! Year-end re-characterization: the final tax character of a distribution (what Form 8937
//! reports: part of a "dividend" turns out to be return of capital) re-split onto its lines.
//!
//! The final character is entered once per distribution as component totals that sum to the
//! distribution's total. Each line is re-split in proportion to them, exactly: largest
//! remainder within the line, so each line's components still sum to its own total (ties go
//! to the component earlier in [`ComponentKind::ALL`] order). Column sums can then differ
//! from the entered totals by rounding, at most one minor unit per line.

use crate::allocation::largest_remainder;
use crate::components::{ComponentKind, Components};
use crate::FieldError;

/// The final character of a distribution: component totals, minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FinalCharacter {
    /// Totals per component in [`ComponentKind::ALL`] order.
    pub totals: [i64; 6],
}

impl FinalCharacter {
    /// Checks that the totals sum to the distribution's total and none has the wrong sign;
    /// the error names `components`.
    ///
    /// A sum that differs is reported on `components` with both sums; a component whose sign
    /// is opposite to the total's is reported on `components.<wireName>` (e.g.
    /// `components.returnOfCapital`). A zero total admits only zero components.
    pub fn check(&self, distribution_total_minor: i64) -> Result<(), FieldError> {
        let sum: i128 = self.totals.iter().map(|t| i128::from(*t)).sum();
        if sum != i128::from(distribution_total_minor) {
            return Err(FieldError::new(
                "components",
                format!(
                    "must sum to the distribution total of {distribution_total_minor} minor \
                     units; they sum to {sum}"
                ),
            ));
        }
        let sign = distribution_total_minor.signum();
        for (kind, total) in ComponentKind::ALL.iter().zip(self.totals) {
            if total != 0 && total.signum() != sign {
                let expected = match sign {
                    1 => "must not be negative: the distribution total is positive",
                    -1 => "must not be positive: the distribution total is negative",
                    _ => "must be zero: the distribution total is zero",
                };
                return Err(FieldError::new(
                    format!("components.{}", kind.as_str()),
                    expected,
                ));
            }
        }
        Ok(())
    }

    /// The distribution total these components make.
    pub fn total(&self) -> i64 {
        self.totals.iter().sum()
    }
}

/// A line re-split: its new components (foreign tax and withholding kept from `old`).
///
/// `line_total_minor` is split on its absolute value in proportion to the absolute totals
/// (largest remainder; ties to the earlier component), and the line's sign put back, so a
/// reversal line is split exactly like its original, negated. Totals that sum to zero (a
/// zero distribution, which [`FinalCharacter::check`] admits only with zero components)
/// leave nothing to split in proportion to: every income component is then zero.
pub fn resplit(old: &Components, line_total_minor: i64, final_: &FinalCharacter) -> Components {
    let mut out = Components {
        foreign_tax: old.foreign_tax,
        withholding: old.withholding,
        ..Components::default()
    };
    let weights: Vec<u128> = final_
        .totals
        .iter()
        .map(|t| u128::from(t.unsigned_abs()))
        .collect();
    let Ok(parts) = largest_remainder(line_total_minor.unsigned_abs(), &weights) else {
        return out;
    };
    let sign = if line_total_minor < 0 { -1 } else { 1 };
    for (kind, part) in ComponentKind::ALL.iter().zip(parts) {
        out.set(*kind, sign * part as i64);
    }
    out
}

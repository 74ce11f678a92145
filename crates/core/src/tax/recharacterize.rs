//! Year-end re-characterization: the final tax character of a distribution (what Form 8937
//! reports: part of a "dividend" turns out to be return of capital) re-split onto its lines.
//!
//! The final character is entered once per distribution as component totals that sum to the
//! distribution's total. Each line is re-split in proportion to them, exactly: largest
//! remainder within the line, so each line's components still sum to its own total (ties go
//! to the component earlier in [`ComponentKind::ALL`] order). Column sums can then differ
//! from the entered totals by rounding, at most one minor unit per line.

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
    pub fn check(&self, distribution_total_minor: i64) -> Result<(), FieldError> {
        let _ = distribution_total_minor;
        todo!("issue 19: FinalCharacter::check")
    }
}

/// A line re-split: its new components (foreign tax and withholding kept from `old`).
pub fn resplit(old: &Components, line_total_minor: i64, final_: &FinalCharacter) -> Components {
    let _ = (old, line_total_minor, final_, ComponentKind::ALL);
    todo!("issue 19: recharacterize::resplit")
}

//! What one rail can carry: the NACHA field limits and the originating bank's (ODFI's) own caps
//! on ACH files, and the Same Day ACH per-entry limit. Decided before money moves: a payment
//! above its rail's limit is routed elsewhere or held for review, never written truncated.

/// Largest amount one NACHA entry can carry: the 10-digit amount field, $99,999,999.99.
pub const NACHA_ENTRY_MAX_MINOR: i64 = 9_999_999_999;
/// Largest batch or file total: the 12-digit control fields, $9,999,999,999.99.
pub const NACHA_TOTAL_MAX_MINOR: i64 = 999_999_999_999;
/// Same Day ACH per-payment limit (NACHA, since March 2022): $1,000,000.00.
pub const SAME_DAY_ENTRY_MAX_MINOR: i64 = 100_000_000;
/// Default cap on entries in one ACH file.
pub const DEFAULT_FILE_ENTRIES_MAX: usize = 10_000;

/// The ODFI's limits on the ACH files we originate (configuration, per originating bank).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AchLimits {
    /// Most entries in one file (default 10,000).
    pub max_file_entries: usize,
    /// Most entries in one batch (default: as many as a file).
    pub max_batch_entries: usize,
    /// Largest credit total of one file, in cents (the bank's exposure cap; never above
    /// [`NACHA_TOTAL_MAX_MINOR`]).
    pub max_file_credit_minor: i64,
    /// Same Day ACH requested: files effective on their creation day carry entries of at most
    /// [`SAME_DAY_ENTRY_MAX_MINOR`].
    pub same_day: bool,
}

impl Default for AchLimits {
    fn default() -> Self {
        AchLimits {
            max_file_entries: DEFAULT_FILE_ENTRIES_MAX,
            max_batch_entries: DEFAULT_FILE_ENTRIES_MAX,
            max_file_credit_minor: NACHA_TOTAL_MAX_MINOR,
            same_day: false,
        }
    }
}

impl AchLimits {
    /// The largest single ACH credit allowed: the NACHA field, or the Same Day limit when
    /// same-day is requested, and never above the file cap.
    pub fn entry_max_minor(&self) -> i64 {
        let field = if self.same_day {
            SAME_DAY_ENTRY_MAX_MINOR
        } else {
            NACHA_ENTRY_MAX_MINOR
        };
        field.min(self.max_file_credit_minor)
    }

    /// Whether a credit of `amount_minor` fits one ACH entry under these limits.
    pub fn entry_fits(&self, amount_minor: i64) -> bool {
        (1..=self.entry_max_minor()).contains(&amount_minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_limit_is_the_field_the_same_day_limit_or_the_file_cap() {
        let mut l = AchLimits::default();
        assert_eq!(l.entry_max_minor(), 9_999_999_999);
        assert!(l.entry_fits(9_999_999_999));
        assert!(!l.entry_fits(10_000_000_000));
        assert!(!l.entry_fits(0));
        l.same_day = true;
        assert_eq!(l.entry_max_minor(), 100_000_000);
        assert!(!l.entry_fits(100_000_001));
        l.same_day = false;
        l.max_file_credit_minor = 500_000;
        assert_eq!(l.entry_max_minor(), 500_000);
    }
}

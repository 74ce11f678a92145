//! The income character of a line: the six components that sum to its total, plus foreign
//! tax and withholding. Allocation splits a line into them; distributions carry them.

use serde::{Deserialize, Serialize};

string_enum! {
    /// The income character of part of a line; these six sum to the line total.
    ComponentKind {
        /// Ordinary (non-qualified) dividend; 1099-DIV 1a minus 1b.
        OrdinaryDividend => "ordinaryDividend",
        /// Qualified dividend; 1099-DIV 1b (also part of 1a).
        QualifiedDividend => "qualifiedDividend",
        /// Short-term capital gain.
        ShortTermGain => "shortTermGain",
        /// Long-term capital gain; 1099-DIV 2a.
        LongTermGain => "longTermGain",
        /// Return of capital; reduces basis (1099-DIV 3).
        ReturnOfCapital => "returnOfCapital",
        /// Interest income (K-1 line 5).
        Interest => "interest",
    }
}

impl ComponentKind {
    /// All kinds in their fixed order.
    pub const ALL: [ComponentKind; 6] = [
        ComponentKind::OrdinaryDividend,
        ComponentKind::QualifiedDividend,
        ComponentKind::ShortTermGain,
        ComponentKind::LongTermGain,
        ComponentKind::ReturnOfCapital,
        ComponentKind::Interest,
    ];
}

/// The character of one line in minor units. The six income components sum to the line
/// total; foreign tax and withholding are attributes of the line, not additional money.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Components {
    /// See [`ComponentKind::OrdinaryDividend`].
    pub ordinary_dividend: i64,
    /// See [`ComponentKind::QualifiedDividend`].
    pub qualified_dividend: i64,
    /// See [`ComponentKind::ShortTermGain`].
    pub short_term_gain: i64,
    /// See [`ComponentKind::LongTermGain`].
    pub long_term_gain: i64,
    /// See [`ComponentKind::ReturnOfCapital`].
    pub return_of_capital: i64,
    /// See [`ComponentKind::Interest`].
    pub interest: i64,
    /// Foreign tax paid on the investor's behalf (K-1 line 21, 1099-DIV 7).
    pub foreign_tax: i64,
    /// Tax withheld from the cash paid (backup or non-resident withholding).
    pub withholding: i64,
}

impl Components {
    /// Sets one income component.
    pub fn set(&mut self, kind: ComponentKind, minor: i64) {
        *self.slot(kind) = minor;
    }

    /// Reads one income component.
    pub fn get(&self, kind: ComponentKind) -> i64 {
        match kind {
            ComponentKind::OrdinaryDividend => self.ordinary_dividend,
            ComponentKind::QualifiedDividend => self.qualified_dividend,
            ComponentKind::ShortTermGain => self.short_term_gain,
            ComponentKind::LongTermGain => self.long_term_gain,
            ComponentKind::ReturnOfCapital => self.return_of_capital,
            ComponentKind::Interest => self.interest,
        }
    }

    fn slot(&mut self, kind: ComponentKind) -> &mut i64 {
        match kind {
            ComponentKind::OrdinaryDividend => &mut self.ordinary_dividend,
            ComponentKind::QualifiedDividend => &mut self.qualified_dividend,
            ComponentKind::ShortTermGain => &mut self.short_term_gain,
            ComponentKind::LongTermGain => &mut self.long_term_gain,
            ComponentKind::ReturnOfCapital => &mut self.return_of_capital,
            ComponentKind::Interest => &mut self.interest,
        }
    }

    /// Sum of the six income components (must equal the line total).
    pub fn income_sum(&self) -> i64 {
        ComponentKind::ALL.iter().map(|k| self.get(*k)).sum()
    }

    /// The same components with every sign flipped (for reversals).
    pub fn negated(&self) -> Components {
        let mut out = Components {
            foreign_tax: -self.foreign_tax,
            withholding: -self.withholding,
            ..Components::default()
        };
        for kind in ComponentKind::ALL {
            out.set(kind, -self.get(kind));
        }
        out
    }
}

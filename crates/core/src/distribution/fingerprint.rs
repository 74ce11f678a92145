//! The fingerprint of the holdings a distribution's lines were allocated from, and what
//! changed in them since: a distribution planned from record-date holdings is stale once
//! those holdings change (a back-dated reinvestment, a reversal, an import), and approving or
//! processing it would pay amounts computed from holdings that no longer exist.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::{Holding, PlannedLine};

/// Names the encoding below; a new encoding gets a new name, so fingerprints of two
/// encodings never compare equal by accident.
const SCHEME: &[u8] = b"clearway-holdings-v1";

/// What a distribution keeps of the holdings it was allocated from: the fingerprint, and the
/// holders that got no line (too small for one minor unit), whose units the lines cannot tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationBasis {
    /// [`fingerprint`] of the holdings.
    pub fingerprint: String,
    /// Holders with units but no line, by investor id.
    pub unlined: Vec<Holding>,
}

impl AllocationBasis {
    /// The basis of `lines` planned from `holdings` of `fund_id` on `record`.
    pub fn of(
        fund_id: &str,
        record: NaiveDate,
        holdings: &[Holding],
        lines: &[PlannedLine],
    ) -> AllocationBasis {
        let lined: std::collections::HashSet<&str> =
            lines.iter().map(|l| l.investor_id.as_str()).collect();
        let mut unlined: Vec<Holding> = holdings
            .iter()
            .filter(|h| !h.units.is_zero() && !lined.contains(h.investor_id.as_str()))
            .cloned()
            .collect();
        unlined.sort_by(|a, b| a.investor_id.cmp(&b.investor_id));
        AllocationBasis {
            fingerprint: fingerprint(fund_id, record, holdings),
            unlined,
        }
    }
}

/// SHA-256 (lower-case hex) over the fund, the record date and the (investor, units) pairs
/// held, sorted by investor. These are every input of a pro-rata or per-share allocation that
/// can change behind it: the total, rate and component ratios are stored on the distribution
/// and any edit of them plans the lines (and this fingerprint) again. Zero holdings are left
/// out (they get no line and weigh nothing), units are normalised (10.50 = 10.5), and every
/// text is length-prefixed so that no two inputs encode alike.
pub fn fingerprint(fund_id: &str, record: NaiveDate, holdings: &[Holding]) -> String {
    let mut held: Vec<(&str, Decimal)> = holdings
        .iter()
        .filter(|h| !h.units.is_zero())
        .map(|h| (h.investor_id.as_str(), h.units.normalize()))
        .collect();
    held.sort_unstable();
    let mut hash = Sha256::new();
    let mut field = |text: &[u8]| {
        // A text is far shorter than u64::MAX bytes: the cast is lossless.
        hash.update((text.len() as u64).to_be_bytes());
        hash.update(text);
    };
    field(SCHEME);
    field(fund_id.as_bytes());
    field(record.to_string().as_bytes());
    for (investor, units) in held {
        field(investor.as_bytes());
        field(units.to_string().as_bytes());
    }
    hash.finalize()
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// One investor whose record-date units differ: `None` is no units (no holding, or zero).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitChange {
    /// Investor.
    pub investor_id: String,
    /// Units when the lines were allocated.
    pub then: Option<Decimal>,
    /// Units now.
    pub now: Option<Decimal>,
}

/// How the record-date holdings differ between allocation and now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoldingsDiff {
    /// Investors whose units changed.
    pub changed: usize,
    /// Investors holding units now who held none then.
    pub appeared: usize,
    /// Investors who held units then and hold none now.
    pub disappeared: usize,
    /// The first few differences, by investor id.
    pub first: Vec<UnitChange>,
}

/// Differences shown by name in a [`HoldingsDiff`].
pub const SHOWN: usize = 5;

impl HoldingsDiff {
    /// Compares holdings then and now (each investor at most once on each side).
    pub fn between(then: &[Holding], now: &[Holding]) -> HoldingsDiff {
        let mut both: BTreeMap<&str, (Option<Decimal>, Option<Decimal>)> = BTreeMap::new();
        let held = |h: &Holding| (!h.units.is_zero()).then(|| h.units.normalize());
        for h in then {
            both.entry(&h.investor_id).or_default().0 = held(h);
        }
        for h in now {
            both.entry(&h.investor_id).or_default().1 = held(h);
        }
        let mut diff = HoldingsDiff::default();
        for (investor, (then, now)) in both {
            match (then, now) {
                (a, b) if a == b => continue,
                (None, Some(_)) => diff.appeared += 1,
                (Some(_), None) => diff.disappeared += 1,
                _ => diff.changed += 1,
            }
            if diff.first.len() < SHOWN {
                diff.first.push(UnitChange {
                    investor_id: investor.to_string(),
                    then,
                    now,
                });
            }
        }
        diff
    }

    /// Number of investors whose units differ.
    pub fn investors(&self) -> usize {
        self.changed + self.appeared + self.disappeared
    }

    /// For a person: how many differ, of which kind, and the first few (then → now).
    pub fn describe(&self) -> String {
        if self.investors() == 0 {
            // The fingerprint differs but no unit does: the stored basis is incomplete.
            return "the record-date holdings differ from those the lines were allocated from"
                .into();
        }
        let units = |u: Option<Decimal>| u.map_or_else(|| "none".to_string(), |u| u.to_string());
        let first: Vec<String> = self
            .first
            .iter()
            .map(|c| format!("{} {} → {}", c.investor_id, units(c.then), units(c.now)))
            .collect();
        let more = if self.investors() > self.first.len() {
            format!("; and {} more", self.investors() - self.first.len())
        } else {
            String::new()
        };
        format!(
            "{} investors' record-date units differ ({} changed, {} appeared, {} disappeared): {}{more}",
            self.investors(),
            self.changed,
            self.appeared,
            self.disappeared,
            first.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(investor: &str, units: &str) -> Holding {
        Holding {
            investor_id: investor.into(),
            units: units.parse().unwrap(),
        }
    }

    fn record() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 16).unwrap()
    }

    #[test]
    fn the_order_of_the_holdings_does_not_matter() {
        let a = [h("a", "10"), h("b", "2.5"), h("c", "0.0001")];
        let b = [h("c", "0.0001"), h("a", "10"), h("b", "2.5")];
        assert_eq!(
            fingerprint("f", record(), &a),
            fingerprint("f", record(), &b)
        );
        assert_eq!(fingerprint("f", record(), &a).len(), 64);
    }

    #[test]
    fn one_unit_of_one_investor_changes_it() {
        let base = [h("a", "10"), h("b", "2.5")];
        let fp = fingerprint("f", record(), &base);
        assert_ne!(
            fp,
            fingerprint("f", record(), &[h("a", "10"), h("b", "2.5001")])
        );
        assert_ne!(
            fp,
            fingerprint("f", record(), &[h("a", "11"), h("b", "2.5")])
        );
        assert_ne!(fp, fingerprint("f", record(), &[h("a", "10")]));
        assert_ne!(
            fp,
            fingerprint("f", record(), &[h("a", "10"), h("b", "2.5"), h("c", "1")])
        );
        // The same units held by another investor are another allocation.
        assert_ne!(
            fp,
            fingerprint("f", record(), &[h("a", "10"), h("c", "2.5")])
        );
        // Another fund or record date is another allocation too.
        assert_ne!(fp, fingerprint("g", record(), &base));
        assert_ne!(fp, fingerprint("f", record().succ_opt().unwrap(), &base));
    }

    #[test]
    fn trailing_zeros_and_zero_holdings_do_not_change_it() {
        let fp = fingerprint("f", record(), &[h("a", "10"), h("b", "2.5")]);
        assert_eq!(
            fp,
            fingerprint("f", record(), &[h("a", "10.0000"), h("b", "2.50")])
        );
        assert_eq!(
            fp,
            fingerprint("f", record(), &[h("a", "10"), h("b", "2.5"), h("z", "0")])
        );
    }

    #[test]
    fn texts_are_delimited() {
        // Without length prefixes "ab"+"1" and "a"+"b1" would hash alike.
        assert_ne!(
            fingerprint("f", record(), &[h("ab", "1")]),
            fingerprint("f", record(), &[h("a", "11")])
        );
    }

    #[test]
    fn the_basis_keeps_holders_without_a_line() {
        let holdings = [h("a", "10"), h("b", "0.0001"), h("c", "0")];
        let lines = [PlannedLine {
            investor_id: "a".into(),
            units: Some("10".parse().unwrap()),
            total: 100,
            components: Default::default(),
        }];
        let basis = AllocationBasis::of("f", record(), &holdings, &lines);
        assert_eq!(basis.unlined, vec![h("b", "0.0001")]);
        assert_eq!(basis.fingerprint, fingerprint("f", record(), &holdings));
    }

    #[test]
    fn the_diff_names_what_changed() {
        let then = [h("a", "10"), h("b", "2.5"), h("c", "1")];
        let now = [h("a", "10.0"), h("b", "3"), h("d", "4"), h("c", "0")];
        let diff = HoldingsDiff::between(&then, &now);
        assert_eq!((diff.changed, diff.appeared, diff.disappeared), (1, 1, 1));
        assert_eq!(
            diff.describe(),
            "3 investors' record-date units differ (1 changed, 1 appeared, 1 disappeared): b 2.5 → 3; c 1 → none; d none → 4"
        );
        assert_eq!(HoldingsDiff::between(&then, &then).investors(), 0);
        let many: Vec<Holding> = (0..8).map(|i| h(&format!("i{i}"), "1")).collect();
        let diff = HoldingsDiff::between(&[], &many);
        assert_eq!(diff.first.len(), SHOWN);
        assert!(
            diff.describe().ends_with("; and 3 more"),
            "{}",
            diff.describe()
        );
    }
}

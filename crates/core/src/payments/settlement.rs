//! Planning a set of payment outcomes (cleared by the bank, returned, failed): which status
//! each payment goes to, what it writes, which line status follows, and the counts. Pure: the
//! store reads the payments, this plans, the store writes the plan.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::PaymentStatus;

/// A final outcome reported for a payment (by the bank statement, a return file or a provider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// The money left the account on `value_date`: COMPLETED, line PAID.
    Cleared {
        /// Bank value date.
        value_date: NaiveDate,
    },
    /// The money came back (NACHA return, bounced wire, credit back): RETURNED, line FAILED.
    Returned {
        /// Return code (e.g. `R03`).
        code: String,
        /// Human-readable reason.
        reason: String,
    },
    /// The payment never left (rejected by the provider or bank): FAILED, line FAILED.
    Failed {
        /// Failure code.
        code: String,
        /// Human-readable reason.
        reason: String,
    },
}

/// What an outcome changes on a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    /// The status it leads to.
    pub to: PaymentStatus,
    /// Failure / return code.
    pub code: Option<String>,
    /// Reason logged (and stored, for failures).
    pub reason: Option<String>,
    /// Bank value date (cleared).
    pub cleared_date: Option<NaiveDate>,
    /// Name of its audit action and outbox event.
    pub event: &'static str,
}

impl Settlement {
    /// The status this outcome leads to, what it writes, and its event name.
    pub fn effect(&self) -> Effect {
        match self {
            Settlement::Cleared { value_date } => Effect {
                to: PaymentStatus::Completed,
                code: None,
                reason: Some("cleared".into()),
                cleared_date: Some(*value_date),
                event: "payment.completed",
            },
            Settlement::Returned { code, reason } => Effect {
                to: PaymentStatus::Returned,
                code: Some(code.clone()),
                reason: Some(reason.clone()),
                cleared_date: None,
                event: "payment.returned",
            },
            Settlement::Failed { code, reason } => Effect {
                to: PaymentStatus::Failed,
                code: Some(code.clone()),
                reason: Some(reason.clone()),
                cleared_date: None,
                event: "payment.failed",
            },
        }
    }
}

/// What settling needs of a payment: what its outcomes check and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settling {
    /// Payment id.
    pub id: String,
    /// Its distribution.
    pub distribution_id: String,
    /// Its investor (with the distribution, its line).
    pub investor_id: String,
    /// Status.
    pub status: PaymentStatus,
    /// Attempt number.
    pub attempt: i64,
    /// Bank value date once completed.
    pub cleared_date: Option<NaiveDate>,
    /// Failure or return code.
    pub failure_code: Option<String>,
    /// Failure or return reason.
    pub failure_reason: Option<String>,
    /// Row version.
    pub version: i64,
}

/// How many outcomes were recorded and how many the payments already had.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettledCounts {
    /// Outcomes recorded (the payment's status changed).
    pub applied: usize,
    /// Outcomes the payment already had: nothing written for them.
    pub unchanged: usize,
}

/// One planned status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Index of the payment in the rows planned over.
    pub payment: usize,
    /// Status before.
    pub from: PaymentStatus,
    /// What the outcome changes (its `to` is the status after).
    pub effect: Effect,
}

/// A payment the plan changes, with the version it was read at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touched {
    /// Index of the payment in the rows planned over.
    pub payment: usize,
    /// The version the row had before the plan (the write is conditional on it).
    pub read_version: i64,
    /// Whether its line takes its status: the line's payment whose change comes last.
    pub owns_line: bool,
}

/// The plan of a set of outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettlementPlan {
    /// The status changes, in the order of the outcomes.
    pub steps: Vec<Step>,
    /// The payments changed, in order of their first change.
    pub touched: Vec<Touched>,
    /// Applied and unchanged outcomes.
    pub counts: SettledCounts,
}

/// Why a set of outcomes cannot be recorded (nothing of it is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// An outcome names a payment that was not read (unknown, or another organization's).
    #[error("payment {0} not found")]
    NotFound(String),
    /// The status machine refuses an outcome.
    #[error("payment {id} is {from}; it cannot become {to}")]
    Refused {
        /// Payment id.
        id: String,
        /// Its status at that point.
        from: PaymentStatus,
        /// The status the outcome leads to.
        to: PaymentStatus,
    },
}

/// Plans `items` against `payments` (read beforehand), each outcome against the state the
/// previous ones left, as one settlement after another: an outcome the payment already has
/// is unchanged; an unknown payment or a refused change fails the whole plan. `payments` is
/// left as the plan leaves the rows (status, dates, failure, version + 1 per change).
pub fn plan(
    payments: &mut [Settling],
    items: &[(String, Settlement)],
) -> Result<SettlementPlan, PlanError> {
    let read_versions: Vec<i64> = payments.iter().map(|p| p.version).collect();
    let index: HashMap<String, usize> = payments
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.clone(), i))
        .collect();
    let mut out = SettlementPlan::default();
    for (id, settlement) in items {
        let &i = index
            .get(id.as_str())
            .ok_or_else(|| PlanError::NotFound(id.clone()))?;
        let effect = settlement.effect();
        let p = &mut payments[i];
        if p.status == effect.to {
            out.counts.unchanged += 1;
            continue;
        }
        if !p.status.can_become(effect.to) {
            return Err(PlanError::Refused {
                id: p.id.clone(),
                from: p.status,
                to: effect.to,
            });
        }
        let from = p.status;
        apply(p, &effect);
        out.steps.push(Step {
            payment: i,
            from,
            effect,
        });
        out.counts.applied += 1;
    }
    out.touched = touched(payments, &out.steps, &read_versions);
    Ok(out)
}

/// What the status change does to the row (as a single transition's UPDATE).
fn apply(p: &mut Settling, effect: &Effect) {
    if !effect.to.is_live() {
        p.failure_code = effect.code.clone();
        p.failure_reason = effect.reason.clone();
    }
    if effect.cleared_date.is_some() {
        p.cleared_date = effect.cleared_date;
    }
    p.status = effect.to;
    p.version += 1;
}

/// Payments changed, in order of their first change; each line takes the status of the
/// payment whose change came last.
fn touched(payments: &[Settling], steps: &[Step], read_versions: &[i64]) -> Vec<Touched> {
    let mut order: Vec<usize> = Vec::new();
    let mut seen = vec![false; payments.len()];
    let mut line_owner: HashMap<(&str, &str), usize> = HashMap::new();
    for step in steps {
        if !seen[step.payment] {
            seen[step.payment] = true;
            order.push(step.payment);
        }
        let p = &payments[step.payment];
        line_owner.insert(
            (p.distribution_id.as_str(), p.investor_id.as_str()),
            step.payment,
        );
    }
    order
        .into_iter()
        .map(|i| {
            let p = &payments[i];
            Touched {
                payment: i,
                read_version: read_versions[i],
                owns_line: line_owner[&(p.distribution_id.as_str(), p.investor_id.as_str())] == i,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn payment(id: &str, investor: &str, status: PaymentStatus) -> Settling {
        Settling {
            id: id.into(),
            distribution_id: "d".into(),
            investor_id: investor.into(),
            status,
            attempt: 1,
            cleared_date: None,
            failure_code: None,
            failure_reason: None,
            version: 3,
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()
    }

    fn returned(code: &str) -> Settlement {
        Settlement::Returned {
            code: code.into(),
            reason: format!("reason {code}"),
        }
    }

    #[test]
    fn cleared_then_returned_ends_returned_with_both_steps() {
        let mut rows = vec![payment("a", "i1", PaymentStatus::Sent)];
        let items = vec![
            ("a".to_string(), Settlement::Cleared { value_date: day() }),
            ("a".to_string(), returned("R01")),
        ];
        let plan = plan(&mut rows, &items).unwrap();
        assert_eq!(
            plan.counts,
            SettledCounts {
                applied: 2,
                unchanged: 0
            }
        );
        assert_eq!(plan.steps.len(), 2);
        assert_eq!(plan.steps[0].from, PaymentStatus::Sent);
        assert_eq!(plan.steps[0].effect.to, PaymentStatus::Completed);
        assert_eq!(plan.steps[1].from, PaymentStatus::Completed);
        assert_eq!(rows[0].status, PaymentStatus::Returned);
        assert_eq!(rows[0].cleared_date, Some(day()));
        assert_eq!(rows[0].failure_code.as_deref(), Some("R01"));
        assert_eq!(rows[0].version, 5);
        assert_eq!(
            plan.touched,
            vec![Touched {
                payment: 0,
                read_version: 3,
                owns_line: true
            }]
        );
    }

    #[test]
    fn an_outcome_the_payment_has_is_unchanged() {
        let mut rows = vec![payment("a", "i1", PaymentStatus::Completed)];
        let items = vec![("a".to_string(), Settlement::Cleared { value_date: day() })];
        let plan = plan(&mut rows, &items).unwrap();
        assert_eq!(
            plan.counts,
            SettledCounts {
                applied: 0,
                unchanged: 1
            }
        );
        assert!(plan.steps.is_empty() && plan.touched.is_empty());
        assert_eq!(rows[0].version, 3);
    }

    #[test]
    fn unknown_payment_and_refused_change_fail_the_plan() {
        let mut rows = vec![payment("a", "i1", PaymentStatus::Pending)];
        let unknown = vec![("zz".to_string(), returned("R01"))];
        assert_eq!(
            plan(&mut rows, &unknown),
            Err(PlanError::NotFound("zz".into()))
        );
        let refused = vec![("a".to_string(), returned("R01"))];
        assert_eq!(
            plan(&mut rows, &refused),
            Err(PlanError::Refused {
                id: "a".into(),
                from: PaymentStatus::Pending,
                to: PaymentStatus::Returned
            })
        );
    }

    #[test]
    fn the_line_follows_the_payment_changed_last() {
        let mut rows = vec![
            payment("a1", "i1", PaymentStatus::Returned),
            payment("a2", "i1", PaymentStatus::Sent),
        ];
        let items = vec![
            ("a2".to_string(), Settlement::Cleared { value_date: day() }),
            (
                "a1".to_string(),
                Settlement::Returned {
                    code: "R01".into(),
                    reason: "x".into(),
                },
            ),
        ];
        let plan = plan(&mut rows, &items).unwrap();
        assert_eq!(
            plan.counts,
            SettledCounts {
                applied: 1,
                unchanged: 1
            }
        );
        assert_eq!(
            plan.touched,
            vec![Touched {
                payment: 1,
                read_version: 3,
                owns_line: true
            }]
        );
    }

    fn status() -> impl Strategy<Value = PaymentStatus> {
        prop::sample::select(vec![
            PaymentStatus::Pending,
            PaymentStatus::Processing,
            PaymentStatus::Sent,
            PaymentStatus::Completed,
            PaymentStatus::Failed,
            PaymentStatus::Returned,
            PaymentStatus::Cancelled,
        ])
    }

    fn outcome() -> impl Strategy<Value = Settlement> {
        prop_oneof![
            Just(Settlement::Cleared {
                value_date: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()
            }),
            Just(Settlement::Returned {
                code: "R01".into(),
                reason: "r".into()
            }),
            Just(Settlement::Failed {
                code: "F".into(),
                reason: "f".into()
            }),
        ]
    }

    proptest! {
        /// The plan of many outcomes is the plan of each applied in turn: same counts, same
        /// final rows, and exactly one line owner per line touched.
        #[test]
        fn planning_at_once_is_planning_one_after_another(
            statuses in prop::collection::vec(status(), 1..6),
            picks in prop::collection::vec((0usize..6, outcome()), 0..12),
        ) {
            let rows: Vec<Settling> = statuses
                .iter()
                .enumerate()
                .map(|(i, s)| payment(&format!("p{i}"), &format!("i{}", i % 2), *s))
                .collect();
            let items: Vec<(String, Settlement)> = picks
                .into_iter()
                .map(|(i, o)| (format!("p{}", i % rows.len()), o))
                .collect();
            let mut all = rows.clone();
            let at_once = plan(&mut all, &items);
            let mut one_by_one = rows.clone();
            let mut counts = SettledCounts::default();
            let mut failed = None;
            for item in &items {
                match plan(&mut one_by_one, std::slice::from_ref(item)) {
                    Ok(p) => {
                        counts.applied += p.counts.applied;
                        counts.unchanged += p.counts.unchanged;
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            match at_once {
                Ok(p) => {
                    prop_assert!(failed.is_none());
                    prop_assert_eq!(p.counts, counts);
                    prop_assert_eq!(&all, &one_by_one);
                    let owners = p.touched.iter().filter(|t| t.owns_line).count();
                    let mut lines: Vec<&str> = p.touched.iter().map(|t| rows[t.payment].investor_id.as_str()).collect();
                    lines.sort_unstable();
                    lines.dedup();
                    prop_assert_eq!(owners, lines.len());
                }
                Err(e) => prop_assert_eq!(Some(e), failed),
            }
        }
    }
}

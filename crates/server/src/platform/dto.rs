//! Wire shapes of the audit log and the reference data (funds, investors).

use clearway_store::audit::Entry;
use clearway_store::funds::{Fund, Investor};
use serde::Serialize;
use serde_json::Value;

/// An audit entry as returned to admins and auditors.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryView {
    /// Position in the log (cursor).
    pub seq: i64,
    /// Who.
    pub actor_id: String,
    /// What.
    pub action: String,
    /// On what kind of thing.
    pub entity_type: String,
    /// On which.
    pub entity_id: String,
    /// Before.
    pub before: Option<Value>,
    /// After.
    pub after: Option<Value>,
    /// When (UTC).
    pub at: String,
}

impl From<&Entry> for AuditEntryView {
    fn from(e: &Entry) -> Self {
        AuditEntryView {
            seq: e.seq,
            actor_id: e.actor_id.clone(),
            action: e.action.clone(),
            entity_type: e.entity_type.clone(),
            entity_id: e.entity_id.clone(),
            before: e.before.clone(),
            after: e.after.clone(),
            at: e.at.clone(),
        }
    }
}

/// A fund.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FundView {
    /// Id.
    pub id: String,
    /// Short code, unique in the organization (e.g. `DEMO-OPEN`).
    pub code: String,
    /// Display name.
    pub name: String,
    /// OPEN_END or PARTNERSHIP.
    pub kind: &'static str,
    /// ISO 4217.
    pub currency: String,
    /// Decimal places of shares.
    pub share_precision: u32,
}

impl From<&Fund> for FundView {
    fn from(f: &Fund) -> Self {
        FundView {
            id: f.id.clone(),
            code: f.code.clone(),
            name: f.name.clone(),
            kind: f.kind.as_str(),
            currency: f.currency.code().to_string(),
            share_precision: f.share_precision,
        }
    }
}

/// An investor as listed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvestorView {
    /// Id.
    pub id: String,
    /// Legal name.
    pub name: String,
    /// Entity type.
    pub entity_type: String,
    /// Country of tax residence.
    pub tax_residence: String,
}

impl From<&Investor> for InvestorView {
    fn from(i: &Investor) -> Self {
        InvestorView {
            id: i.id.clone(),
            name: i.name.clone(),
            entity_type: i.entity_type.clone(),
            tax_residence: i.tax_residence.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clearway_core::distribution::FundKind;
    use clearway_core::Currency;

    /// The view is the JSON the store's record used to serialise to.
    #[test]
    fn fund_view_keeps_the_wire_shape() {
        let f = Fund {
            id: "f1".into(),
            code: "DEMO-LP".into(),
            name: "LP".into(),
            kind: FundKind::Partnership,
            currency: Currency::USD,
            share_precision: 6,
        };
        assert_eq!(
            serde_json::to_value(FundView::from(&f)).unwrap(),
            serde_json::json!({ "id": "f1", "code": "DEMO-LP", "name": "LP",
                "kind": serde_json::to_value(FundKind::Partnership).unwrap(),
                "currency": serde_json::to_value(Currency::USD).unwrap(),
                "sharePrecision": 6 })
        );
    }
}

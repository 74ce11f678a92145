//! Investors' contacts: a change is audited and announced (`investor.contact_changed`) in
//! the same transaction; a new email address lifts the old one's suppression (in the store).

use clearway_core::notifications::Locale;
use clearway_store::audit::{self, Change};
use clearway_store::notifications::contacts::{self as store, Contact};
use clearway_store::{outbox, Actor, Db};
use serde_json::{json, Value};

use crate::AppResult;

/// A partial change: `None` keeps a value; `Some(None)` clears email or phone.
#[derive(Debug, Clone, Default)]
pub struct ContactPatch {
    /// Email (already parsed).
    pub email: Option<Option<String>>,
    /// Mobile number, E.164 (already parsed).
    pub phone: Option<Option<String>>,
    /// Language.
    pub locale: Option<Locale>,
}

/// The audited view of a contact.
pub fn snapshot(c: &Contact) -> Value {
    json!({"email": c.email, "phone": c.phone, "locale": c.locale.as_str()})
}

/// Applies `patch` to the investor's contact; an unchanged contact writes nothing.
pub async fn update(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    patch: &ContactPatch,
) -> AppResult<Contact> {
    let mut tx = db.begin().await?;
    let current = store::get_tx(&mut tx, actor, investor_id).await?;
    let next = Contact {
        investor_id: current.investor_id.clone(),
        email: patch.email.clone().unwrap_or(current.email.clone()),
        phone: patch.phone.clone().unwrap_or(current.phone.clone()),
        locale: patch.locale.unwrap_or(current.locale),
    };
    if next == current {
        return Ok(current);
    }
    let before = store::set(&mut tx, actor, &next).await?;
    let (b, a) = (snapshot(&before), snapshot(&next));
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "investor.contact_change",
            entity_type: "investor",
            entity_id: investor_id,
            before: Some(b.clone()),
            after: Some(a.clone()),
        },
    )
    .await?;
    // The old contact is in the event so a security notice can reach it too.
    let payload = json!({"investorId": investor_id, "before": b, "after": a});
    outbox::emit(
        &mut tx,
        actor,
        "investor.contact_changed",
        "investor",
        investor_id,
        payload,
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

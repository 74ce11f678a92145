//! The in-app inbox: marking a notice read (the only change an investor makes to it).
//! Read marks are not audited: they change nothing anyone else relies on.

use clearway_store::notifications::inbox::{self as store, InboxItem};
use clearway_store::{Actor, Db};

use crate::AppResult;

/// Marks one of the actor's own notices read; idempotent (a read notice keeps its time).
pub async fn mark_read(db: &Db, actor: &Actor, id: &str) -> AppResult<InboxItem> {
    let mut tx = db.begin().await?;
    let (item, _changed) = store::mark_read(&mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(item)
}

//! `clearway audit verify`: walks each organization's audit hash chain and names the first
//! broken link (an edited, removed, inserted or reordered entry, or a removed tail).

use anyhow::{bail, Result};
use clearway_store::{audit, auth, Actor, Db};

/// Verifies the chain of `org` (id or name), or of every organization; fails (exit 1) on the
/// first organization whose chain is broken, after printing every organization's result.
pub async fn verify(db: &Db, org: Option<&str>) -> Result<()> {
    let orgs: Vec<auth::Organization> = auth::organizations(db)
        .await?
        .into_iter()
        .filter(|o| org.is_none_or(|want| o.id == want || o.name == want))
        .collect();
    if orgs.is_empty() {
        bail!("no organization {}", org.unwrap_or("in this database"));
    }
    let mut broken = Vec::new();
    for o in &orgs {
        let v = audit::verify(db, &Actor::system(&o.id)).await?;
        match &v.broken {
            None => println!(
                "{} ({}): {} entries, chain intact, head {}",
                o.name, o.id, v.entries, v.head
            ),
            Some(link) => {
                let at = match (link.seq, &link.id) {
                    (Some(seq), Some(id)) => format!("entry seq {seq} (id {id})"),
                    _ => "the end of the log".to_string(),
                };
                println!(
                    "{} ({}): BROKEN at {at} after {} intact entries: {}",
                    o.name, o.id, v.entries, link.reason
                );
                broken.push(format!("{} at {at}", o.name));
            }
        }
    }
    if !broken.is_empty() {
        bail!("audit chain broken: {}", broken.join("; "));
    }
    Ok(())
}

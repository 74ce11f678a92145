//! The administrator connector's settings from the environment (`CLEARWAY_SYNC_*`; the token
//! from the environment only, never a flag).

use std::time::Duration;

use anyhow::{bail, Result};
use clearway_app::outbound::OutboundPolicy;
use clearway_app::sync::connector::SyncSettings;

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `CLEARWAY_SYNC_API_URL` (checked against the outbound policy), `CLEARWAY_SYNC_API_TOKEN`,
/// `CLEARWAY_SYNC_ORG`, `CLEARWAY_SYNC_PULL_EVERY_SECS`, `CLEARWAY_SYNC_OUTBOX_DIR`.
pub fn settings_from_env(policy: &OutboundPolicy) -> Result<SyncSettings> {
    let api_url = var("CLEARWAY_SYNC_API_URL");
    if let Some(url) = &api_url {
        policy
            .check_static(url)
            .map_err(|e| anyhow::anyhow!("CLEARWAY_SYNC_API_URL '{url}': {e}"))?;
    }
    let api_token = var("CLEARWAY_SYNC_API_TOKEN").unwrap_or_default();
    let org_id = var("CLEARWAY_SYNC_ORG");
    if api_url.is_some() && (api_token.is_empty() || org_id.is_none()) {
        bail!("CLEARWAY_SYNC_API_URL needs CLEARWAY_SYNC_API_TOKEN and CLEARWAY_SYNC_ORG");
    }
    let every = match var("CLEARWAY_SYNC_PULL_EVERY_SECS") {
        None => None,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Some(Duration::from_secs(n)),
            _ => {
                bail!("CLEARWAY_SYNC_PULL_EVERY_SECS must be a whole number of seconds, at least 1")
            }
        },
    };
    Ok(SyncSettings {
        api_url,
        api_token,
        org_id,
        every,
        outbox_dir: var("CLEARWAY_SYNC_OUTBOX_DIR").map(Into::into),
        retry: Default::default(),
    })
}

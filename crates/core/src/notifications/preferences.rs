//! Which channels an investor gets an event on: the most specific stored preference wins
//! (investor and fund, investor, organization and fund, organization); with none, email and
//! in-app are on and SMS is off (texting needs the investor's consent).

use super::{Channel, EventKind};

/// One stored preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferenceRow {
    /// The investor, or `None` for the organization's default.
    pub investor_id: Option<String>,
    /// The fund, or `None` for every fund.
    pub fund_id: Option<String>,
    /// Event kind.
    pub kind: EventKind,
    /// Channel.
    pub channel: Channel,
    /// On or off.
    pub enabled: bool,
}

/// On or off when nothing is stored.
pub fn default_enabled(channel: Channel) -> bool {
    !matches!(channel, Channel::Sms)
}

/// Whether `investor_id` gets `kind` on `channel` for `fund_id` (`None`: not about a fund).
/// `rows` may hold other investors' and kinds' rows; they are ignored.
pub fn enabled(
    rows: &[PreferenceRow],
    investor_id: &str,
    fund_id: Option<&str>,
    kind: EventKind,
    channel: Channel,
) -> bool {
    rows.iter()
        .filter(|r| r.kind == kind && r.channel == channel)
        .filter_map(|r| specificity(r, investor_id, fund_id).map(|s| (s, r.enabled)))
        .max_by_key(|(s, _)| *s)
        .map_or_else(|| default_enabled(channel), |(_, on)| on)
}

/// How specific a row is for this investor and fund, or `None` when it does not apply.
fn specificity(r: &PreferenceRow, investor_id: &str, fund_id: Option<&str>) -> Option<u8> {
    let investor = match r.investor_id.as_deref() {
        None => 0,
        Some(id) if id == investor_id => 2,
        Some(_) => return None,
    };
    let fund = match (r.fund_id.as_deref(), fund_id) {
        (None, _) => 0,
        (Some(a), Some(b)) if a == b => 1,
        (Some(_), _) => return None,
    };
    Some(investor + fund)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        investor: Option<&str>,
        fund: Option<&str>,
        channel: Channel,
        on: bool,
    ) -> PreferenceRow {
        PreferenceRow {
            investor_id: investor.map(str::to_string),
            fund_id: fund.map(str::to_string),
            kind: EventKind::PaymentSent,
            channel,
            enabled: on,
        }
    }

    #[test]
    fn defaults_are_email_and_in_app_on_sms_off() {
        let k = EventKind::PaymentSent;
        assert!(enabled(&[], "inv1", Some("f1"), k, Channel::Email));
        assert!(enabled(&[], "inv1", Some("f1"), k, Channel::InApp));
        assert!(!enabled(&[], "inv1", Some("f1"), k, Channel::Sms));
    }

    #[test]
    fn the_most_specific_row_wins() {
        let k = EventKind::PaymentSent;
        let rows = vec![
            row(None, None, Channel::Email, false),
            row(None, Some("f1"), Channel::Email, true),
            row(Some("inv1"), None, Channel::Email, false),
            row(Some("inv1"), Some("f2"), Channel::Email, true),
            row(Some("inv2"), Some("f1"), Channel::Email, true),
        ];
        // inv1: own fund-specific row for f2, own general row otherwise.
        assert!(enabled(&rows, "inv1", Some("f2"), k, Channel::Email));
        assert!(!enabled(&rows, "inv1", Some("f1"), k, Channel::Email));
        // inv3: organization's fund row beats organization default.
        assert!(enabled(&rows, "inv3", Some("f1"), k, Channel::Email));
        assert!(!enabled(&rows, "inv3", Some("f9"), k, Channel::Email));
        assert!(!enabled(&rows, "inv3", None, k, Channel::Email));
        // Another kind or channel is untouched by these rows.
        assert!(enabled(
            &rows,
            "inv3",
            None,
            EventKind::PaymentFailed,
            Channel::Email
        ));
        assert!(!enabled(&rows, "inv1", Some("f2"), k, Channel::Sms));
    }

    #[test]
    fn sms_needs_an_explicit_yes() {
        let rows = vec![row(Some("inv1"), None, Channel::Sms, true)];
        assert!(enabled(
            &rows,
            "inv1",
            Some("f1"),
            EventKind::PaymentSent,
            Channel::Sms
        ));
        assert!(!enabled(
            &rows,
            "inv2",
            Some("f1"),
            EventKind::PaymentSent,
            Channel::Sms
        ));
    }
}

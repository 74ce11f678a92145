//! Investor notifications: what happened (event kinds), how it reaches the investor
//! (channels), in which language (locales), and the disclosures no notice may drop.

pub mod arrival;
pub mod context;
pub mod delivery;
pub mod disclosures;
pub mod greeting;
pub mod preferences;
pub mod sms;
pub mod unsubscribe;
pub mod validate;

pub use context::NoticeContext;
pub use disclosures::{required_disclosures, Disclosure};

string_enum! {
    /// An event an investor is told about.
    EventKind {
        /// A distribution was declared (created).
        DistributionDeclared => "distribution.declared",
        /// A distribution was approved.
        DistributionApproved => "distribution.approved",
        /// A distribution was processed (payments and reinvestment made).
        DistributionProcessed => "distribution.processed",
        /// A reinvestment was done: shares at NAV and residual cash.
        ReinvestmentDone => "reinvestment.done",
        /// A payment left (file sent or provider accepted).
        PaymentSent => "payment.sent",
        /// A payment settled.
        PaymentSettled => "payment.settled",
        /// A payment failed.
        PaymentFailed => "payment.failed",
        /// A payment was returned by the receiving bank.
        PaymentReturned => "payment.returned",
        /// A check went stale (uncashed past its window).
        CheckStale => "check.stale",
        /// A bank account was added or changed (a security notice).
        BankAccountChanged => "bankAccount.changed",
        /// A tax document is ready.
        TaxDocumentReady => "taxDocument.ready",
        /// A scheduled distribution is coming.
        ScheduledDistributionUpcoming => "schedule.upcoming",
    }
}

string_enum! {
    /// How a notice reaches an investor.
    Channel {
        /// Email (SMTP or SendGrid).
        Email => "email",
        /// SMS (Twilio).
        Sms => "sms",
        /// In the app (stored, listed, live feed).
        InApp => "inApp",
    }
}

string_enum! {
    /// The language of a notice.
    Locale {
        /// English (United States).
        En => "en",
        /// Spanish.
        Es => "es",
    }
}

impl EventKind {
    /// Every kind, in a fixed order (preference pages list them so).
    pub const ALL: [EventKind; 12] = [
        EventKind::DistributionDeclared,
        EventKind::DistributionApproved,
        EventKind::DistributionProcessed,
        EventKind::ReinvestmentDone,
        EventKind::PaymentSent,
        EventKind::PaymentSettled,
        EventKind::PaymentFailed,
        EventKind::PaymentReturned,
        EventKind::CheckStale,
        EventKind::BankAccountChanged,
        EventKind::TaxDocumentReady,
        EventKind::ScheduledDistributionUpcoming,
    ];
}

/// The outbox event types that give investors a notice. `distribution.completed` (not
/// `.processing`) is the "processed" notice: it is written when reinvestment and payments are
/// done, so the notice can state the reinvested and cash parts. `distribution.declared` is not
/// one: it is written when a DRAFT is created, and a draft is staff-only (investors see a
/// distribution from its approval on), so the approval is the investors' first notice.
pub const NOTICE_EVENT_TYPES: [&str; 12] = [
    "distribution.approved",
    "distribution.completed",
    "distribution.reinvested",
    "payment.sent",
    "payment.completed",
    "payment.failed",
    "payment.returned",
    "payment.stale_dated",
    "bank_account.created",
    "bank_account.changed",
    "document.created",
    "schedule.upcoming",
];

impl EventKind {
    /// The notice an outbox event type gives, if any (see [`NOTICE_EVENT_TYPES`]).
    pub fn of_outbox_event(event_type: &str) -> Option<EventKind> {
        Some(match event_type {
            "distribution.approved" => EventKind::DistributionApproved,
            "distribution.completed" => EventKind::DistributionProcessed,
            "distribution.reinvested" => EventKind::ReinvestmentDone,
            "payment.sent" => EventKind::PaymentSent,
            "payment.completed" => EventKind::PaymentSettled,
            "payment.failed" => EventKind::PaymentFailed,
            "payment.returned" => EventKind::PaymentReturned,
            "payment.stale_dated" => EventKind::CheckStale,
            "bank_account.created" | "bank_account.changed" => EventKind::BankAccountChanged,
            "document.created" => EventKind::TaxDocumentReady,
            "schedule.upcoming" => EventKind::ScheduledDistributionUpcoming,
            _ => return None,
        })
    }
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::InApp];
}

impl Locale {
    /// Every locale.
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Es];
}

#[cfg(test)]
mod event_type_tests {
    use super::*;

    #[test]
    fn every_notice_event_type_maps_to_a_kind() {
        for t in NOTICE_EVENT_TYPES {
            assert!(EventKind::of_outbox_event(t).is_some(), "{t}");
        }
        let kind = EventKind::of_outbox_event;
        assert_eq!(
            kind("distribution.completed"),
            Some(EventKind::DistributionProcessed)
        );
        assert_eq!(kind("payment.stale_dated"), Some(EventKind::CheckStale));
        assert_eq!(kind("distribution.processing"), None);
        // A draft is staff-only: its creation tells investors nothing.
        assert_eq!(kind("distribution.declared"), None);
        assert_eq!(
            kind("distribution.reinvested"),
            Some(EventKind::ReinvestmentDone)
        );
    }
}

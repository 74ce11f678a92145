//! The channels' shared shapes: a message to send, what sending it came to, and what a
//! provider later reports about it. Each provider is one module speaking its documented API.

pub mod smtp;

/// A file attached to an email (the PDF notice).
#[derive(Debug, Clone)]
pub struct Attachment {
    /// File name shown to the reader, e.g. `notice-2026-12.pdf`.
    pub filename: String,
    /// MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// An email ready to send: rendered, addressed, with its one-click unsubscribe link.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    /// Our message id (the notification message's id): set as the provider's reference
    /// (SendGrid `custom_args.message_id`) and in the `Message-ID` header, so events and
    /// replays find it.
    pub message_id: String,
    /// From address, e.g. `Clearway <notices@clearway.example>`.
    pub from: String,
    /// Recipient address (checked before it gets here).
    pub to: String,
    /// Recipient display name (plain text; encoded by the sender).
    pub to_name: String,
    /// Subject line.
    pub subject: String,
    /// HTML body.
    pub html: String,
    /// Plain-text body.
    pub text: String,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// One-click unsubscribe URL (RFC 8058): `List-Unsubscribe: <url>` and
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
    pub unsubscribe_url: Option<String>,
}

/// An SMS ready to send.
#[derive(Debug, Clone)]
pub struct OutgoingSms {
    /// Our message id (for the status callback's URL and our logs).
    pub message_id: String,
    /// Recipient in E.164, e.g. `+14155550100`.
    pub to: String,
    /// Text (GSM-7 or UCS-2; the provider segments it).
    pub body: String,
    /// Where the provider posts status callbacks, when configured.
    pub status_callback: Option<String>,
}

/// What one send attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The server or provider accepted it (provider id when it gives one).
    Accepted {
        /// The provider's id (SendGrid `X-Message-Id`, Twilio `sid`), if any.
        provider_id: Option<String>,
    },
    /// Worth retrying later (SMTP 4xx, connection failures, HTTP 429/5xx, timeouts).
    Temporary(String),
    /// Not worth retrying (SMTP 5xx: the address is suppressed; HTTP 4xx other than 429).
    Permanent(String),
}

/// What a provider later reports about a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEventKind {
    /// Delivered to the recipient's server or handset.
    Delivered,
    /// Bounced (permanent): the address is suppressed until changed.
    Bounced,
    /// Dropped or failed by the provider (permanent).
    Failed,
    /// Opened.
    Opened,
    /// Reported as spam (complained): the address is suppressed.
    Complained,
    /// Deferred, queued, sending, or anything that changes nothing here.
    Other,
}

/// One provider event, tied to our message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEvent {
    /// Our message id when the provider echoes it (SendGrid custom args), else none.
    pub message_id: Option<String>,
    /// The provider's id of the message (Twilio `MessageSid`, SendGrid `sg_message_id`).
    pub provider_id: Option<String>,
    /// What happened.
    pub kind: ProviderEventKind,
    /// The provider's reason, when it gives one.
    pub reason: Option<String>,
}

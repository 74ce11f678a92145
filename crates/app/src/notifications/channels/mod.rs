//! The channels' shared shapes: a message to send, what sending it came to, and what a
//! provider later reports about it. Each provider is one module speaking its documented API.

pub mod sendgrid;
pub mod smtp;
pub mod twilio;

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

/// Longest excerpt of a provider's answer kept in a failure reason.
pub const REASON_EXCERPT_CHARS: usize = 300;

/// `text` as it may go into a reason: control characters and whitespace runs collapsed to
/// one space, cut to `max_chars` characters (a provider's answer is untrusted and unbounded).
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let flat = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    match flat.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// A request that got no HTTP answer: connection refused or reset, timeout, or a request
/// we could not build. Always worth retrying: nothing the recipient did caused it.
pub fn transport_outcome(provider: &str, e: &reqwest::Error) -> SendOutcome {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // why: reqwest's message names the URL (no secrets in it) and the cause.
    SendOutcome::Temporary(excerpt(
        &format!("{provider}: {what}: {e}"),
        REASON_EXCERPT_CHARS,
    ))
}

/// The outcome of an HTTP answer that was not a success: 429 and 5xx are the provider's
/// trouble (retry), any other status is a refusal of this message (do not retry).
pub fn status_outcome(status: reqwest::StatusCode, reason: String) -> SendOutcome {
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        SendOutcome::Temporary(reason)
    } else {
        SendOutcome::Permanent(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_is_flat_and_bounded() {
        assert_eq!(excerpt("a\n\t b\u{7}c  ", 10), "a b c");
        assert_eq!(excerpt("abcdef", 3), "abc…");
        assert_eq!(excerpt("", 3), "");
    }

    #[test]
    fn only_429_and_5xx_are_temporary() {
        use reqwest::StatusCode as S;
        for (s, temporary) in [
            (S::TOO_MANY_REQUESTS, true),
            (S::INTERNAL_SERVER_ERROR, true),
            (S::BAD_GATEWAY, true),
            (S::BAD_REQUEST, false),
            (S::UNAUTHORIZED, false),
            (S::FORBIDDEN, false),
            (S::PAYLOAD_TOO_LARGE, false),
        ] {
            let got = status_outcome(s, "r".into());
            assert_eq!(matches!(got, SendOutcome::Temporary(_)), temporary, "{s}");
        }
    }
}

//! Email over SMTP with `lettre`: one pooled async transport per process, STARTTLS where the
//! server offers it, multipart text + HTML with attachments, our message id in `Message-ID`,
//! and RFC 8058 one-click unsubscribe headers.

use std::time::Duration;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment as MailAttachment, Mailbox, MultiPart};
use lettre::transport::smtp::{Error as SmtpError, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{OutgoingEmail, SendOutcome};

/// How the SMTP channel connects.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// `smtp://host:port` (STARTTLS when offered), `smtp://…?tls=required`, or
    /// `smtps://host:port`; credentials as `user:pass@`.
    pub url: String,
    /// Domain of our `Message-ID`s (`<message id@domain>`).
    pub message_id_domain: String,
    /// Connections kept open and reused.
    pub pool_size: u32,
    /// Timeout of each SMTP command.
    pub timeout: Duration,
}

/// A pooled SMTP sender.
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    domain: String,
}

/// A refused SMTP configuration.
#[derive(Debug, thiserror::Error)]
#[error("SMTP URL: {0}")]
pub struct SmtpConfigError(String);

impl SmtpSender {
    /// A sender for `settings` (connects lazily, on the first message).
    pub fn new(settings: &SmtpSettings) -> Result<SmtpSender, SmtpConfigError> {
        let url = opportunistic_by_default(&settings.url);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| SmtpConfigError(e.to_string()))?
            .timeout(Some(settings.timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(settings.pool_size.max(1))
                    .idle_timeout(Duration::from_secs(60)),
            )
            .build();
        Ok(SmtpSender {
            transport,
            domain: settings.message_id_domain.clone(),
        })
    }

    /// Sends one email: `Accepted` once the server answered 250 to the data, `Temporary` on a
    /// 4xx, a connection failure or a timeout, `Permanent` on a 5xx or a message that cannot be
    /// built (a bad address).
    pub async fn send(&self, email: &OutgoingEmail) -> SendOutcome {
        let message = match build(email, &self.domain) {
            Ok(m) => m,
            Err(why) => return SendOutcome::Permanent(why),
        };
        match self.transport.send(message).await {
            Ok(_) => SendOutcome::Accepted { provider_id: None },
            Err(e) => classify(&e),
        }
    }
}

/// A plain `smtp://` URL without `tls=` gets STARTTLS when the server offers it.
fn opportunistic_by_default(url: &str) -> String {
    if url.starts_with("smtp://") && !url.contains("tls=") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}tls=opportunistic")
    } else {
        url.to_string()
    }
}

fn classify(e: &SmtpError) -> SendOutcome {
    if e.is_permanent() {
        SendOutcome::Permanent(e.to_string())
    } else {
        // 4xx, timeouts, refused or reset connections, a server closing mid-message: the
        // message may be tried again.
        SendOutcome::Temporary(e.to_string())
    }
}

/// The RFC 5322 message for `email`.
pub fn build(email: &OutgoingEmail, domain: &str) -> Result<Message, String> {
    let from: Mailbox = email
        .from
        .parse()
        .map_err(|e| format!("from address: {e}"))?;
    let to = Mailbox::new(
        Some(email.to_name.clone()),
        email
            .to
            .parse()
            .map_err(|e| format!("recipient address: {e}"))?,
    );
    let mut builder = Message::builder()
        .message_id(Some(format!("<{}@{}>", email.message_id, domain)))
        .from(from)
        .to(to)
        .subject(email.subject.clone());
    if let Some(url) = &email.unsubscribe_url {
        builder = builder
            .header(ListUnsubscribe(format!("<{url}>")))
            .header(ListUnsubscribePost);
    }
    let alternative = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
    let body = if email.attachments.is_empty() {
        alternative
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for a in &email.attachments {
            let kind = ContentType::parse(&a.content_type)
                .map_err(|e| format!("attachment type {}: {e}", a.content_type))?;
            mixed = mixed
                .singlepart(MailAttachment::new(a.filename.clone()).body(a.bytes.clone(), kind));
        }
        mixed
    };
    builder.multipart(body).map_err(|e| e.to_string())
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifications::channels::Attachment;

    fn email() -> OutgoingEmail {
        OutgoingEmail {
            message_id: "0190-abc".into(),
            from: "Clearway <notices@clearway.example>".into(),
            to: "ann@example.com".into(),
            to_name: "Ann <b>O'Neil</b>".into(),
            subject: "Your distribution".into(),
            html: "<p>Hello</p>".into(),
            text: "Hello".into(),
            attachments: vec![],
            unsubscribe_url: Some("https://clearway.example/u/tok".into()),
        }
    }

    #[test]
    fn headers_carry_our_id_and_one_click_unsubscribe() {
        let raw =
            String::from_utf8(build(&email(), "clearway.example").unwrap().formatted()).unwrap();
        assert!(
            raw.contains("Message-ID: <0190-abc@clearway.example>"),
            "{raw}"
        );
        assert!(
            raw.contains("List-Unsubscribe: <https://clearway.example/u/tok>"),
            "{raw}"
        );
        assert!(
            raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(!raw.contains("multipart/mixed"), "{raw}");
    }

    #[test]
    fn attachments_make_it_mixed_and_no_unsubscribe_without_a_link() {
        let mut e = email();
        e.unsubscribe_url = None;
        e.attachments.push(Attachment {
            filename: "notice.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.7".to_vec(),
        });
        let raw = String::from_utf8(build(&e, "x.example").unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("filename=\"notice.pdf\""), "{raw}");
        assert!(!raw.contains("List-Unsubscribe"), "{raw}");
    }

    #[test]
    fn a_bad_address_is_permanent_and_plain_smtp_urls_get_starttls_when_offered() {
        let mut e = email();
        e.to = "not an address".into();
        assert!(build(&e, "x").is_err());
        assert_eq!(
            opportunistic_by_default("smtp://h:25"),
            "smtp://h:25?tls=opportunistic"
        );
        assert_eq!(
            opportunistic_by_default("smtp://h:25?tls=required"),
            "smtp://h:25?tls=required"
        );
        assert_eq!(opportunistic_by_default("smtps://h:465"), "smtps://h:465");
    }
}

//! Notifications through the running server: a processed distribution's notices are queued by
//! the engine worker and mailed by the sender tasks to a real SMTP server process; the staff
//! API lists them, refuses investors and bad filters, and only acts on dead messages.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{pro_rata, spawn_app_with, test_config};
use crate::mail_sink::Sink;

#[tokio::test]
async fn a_processed_distribution_is_mailed_once_per_investor_and_listed_for_staff() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sink = Sink::start(port);
    let mut config = test_config();
    config.notifications.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    config.notifications.poll = Duration::from_millis(50);
    let app = spawn_app_with(4, config).await;
    let d = app.create(&pro_rata(&app, "1000.00")).await;
    let id = d["id"].as_str().unwrap();
    app.complete(id).await;

    // Approved, processed (and payment notices): each investor gets each notice once; the
    // draft's creation tells investors nothing (a draft is staff-only). Wait until the sink holds every sent email and nothing is left queued.
    // A message being sent is neither queued nor sent yet, and a later event may still be
    // fanned out: the counts must also hold still over two polls.
    let mut sent_count = 0;
    let mut settled_at = None;
    for _ in 0..300 {
        let open = |status: &'static str| {
            let app = &app;
            async move {
                let page: Value = app
                    .get(
                        "operator",
                        &format!("/api/notification-messages?channel=email&status={status}"),
                    )
                    .await
                    .json()
                    .await
                    .unwrap();
                page["items"].as_array().unwrap().len()
            }
        };
        let (queued, sending) = (open("queued").await, open("sending").await);
        let sent: Value = app
            .get(
                "operator",
                "/api/notification-messages?channel=email&status=sent&limit=1000",
            )
            .await
            .json()
            .await
            .unwrap();
        sent_count = sent["items"].as_array().unwrap().len();
        let still =
            sent_count >= 8 && queued == 0 && sending == 0 && sink.mails().len() == sent_count;
        if !still {
            settled_at = None;
        } else if settled_at == Some(sent_count) {
            break;
        } else {
            settled_at = Some(sent_count);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(sent_count >= 8, "{sent_count}");
    assert_eq!(sink.mails().len(), sent_count);
    for i in 1..=4 {
        let to = format!("X-Sink-Rcpt: investor{i}@example.com\r\n");
        let theirs: Vec<String> = sink
            .mails()
            .into_iter()
            .filter(|m| m.starts_with(&to))
            .collect();
        assert!(
            !theirs
                .iter()
                .any(|m| m.contains(": a distribution was declared")),
            "investor{i} was told of a draft"
        );
        for subject in [
            ": your distribution is approved",
            ": your distribution was paid",
        ] {
            assert_eq!(
                theirs.iter().filter(|m| m.contains(subject)).count(),
                1,
                "investor{i}: {subject}"
            );
        }
    }

    let page: Value = app
        .get(
            "operator",
            "/api/notification-messages?channel=email&status=sent&limit=100",
        )
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), sent_count);
    assert!(items
        .iter()
        .all(|m| m["attempts"] == 1 && m["sentAt"].is_string()));
    let sms: Value = app
        .get("auditor", "/api/notification-messages?channel=sms")
        .await
        .json()
        .await
        .unwrap();
    assert!(sms["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["status"] == "skipped"));
    assert_eq!(
        app.get("investor", "/api/notification-messages")
            .await
            .status(),
        403
    );
    let bad = app
        .get("operator", "/api/notification-messages?status=lost")
        .await;
    assert_eq!(bad.status(), 422);
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(bad["errors"][0]["field"], "status");

    // Only a dead (or failed) message is resent or marked sent; the investor may do neither.
    let sent = items[0]["id"].as_str().unwrap();
    let path = format!("/api/notification-messages/{sent}/resend");
    assert_eq!(
        app.post("operator", &path, &Value::Null).await.status(),
        409
    );
    assert_eq!(
        app.post("investor", &path, &Value::Null).await.status(),
        403
    );
    let missing = app
        .post(
            "operator",
            "/api/notification-messages/nope/mark-sent",
            &Value::Null,
        )
        .await;
    assert_eq!(missing.status(), 404);

    // Another organization's operator neither lists these messages nor acts on one (404, the
    // same answer as a message that does not exist).
    let other = app
        .seed_another_org(1, &format!("Mail other {}", uuid::Uuid::now_v7()))
        .await;
    let theirs: Value = app
        .client
        .get(app.url("/api/notification-messages?limit=1000"))
        .bearer_auth(&other.tokens.operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(theirs["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["id"] != sent));
    for action in ["resend", "mark-sent"] {
        let status = app
            .client
            .post(app.url(&format!("/api/notification-messages/{sent}/{action}")))
            .bearer_auth(&other.tokens.operator)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{action} by another organization");
    }
    drop(sink);
    app.stop().await;
}

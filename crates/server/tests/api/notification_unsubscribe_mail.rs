//! The one-click unsubscribe link of a mailed notice, end to end: the received mail's
//! `List-Unsubscribe` URL, POSTed with `List-Unsubscribe=One-Click`, turns that notice off by
//! email, and the next distribution's processed notice is not mailed to that investor.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{pro_rata, spawn_app_with, test_config, TestApp};
use crate::mail_sink::Sink;

const PAID: &str = ": your distribution was paid";

/// Waits until the emails of `distribution`'s processed notice are settled (none queued).
async fn settled(app: &TestApp, sink: &Sink, address: &str, paid_mails: usize) {
    for _ in 0..300 {
        let queued: Value = app
            .get(
                "operator",
                "/api/notification-messages?channel=email&status=queued",
            )
            .await
            .json()
            .await
            .unwrap();
        if queued["items"].as_array().unwrap().is_empty()
            && sink.mails_to(address, PAID).len() >= paid_mails
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("emails to {address} did not settle");
}

#[tokio::test]
async fn the_mailed_one_click_link_turns_that_notice_off_by_email() {
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
    app.complete(d["id"].as_str().unwrap()).await;
    let address = "investor1@example.com";
    settled(&app, &sink, address, 1).await;
    let mails = sink.mails_to(address, PAID);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("application/pdf"),
        "the PDF notice is attached"
    );
    assert!(mails[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let link = mails[0]
        .split("List-Unsubscribe: <")
        .nth(1)
        .and_then(|s| s.split('>').next())
        .expect("List-Unsubscribe header")
        .replace("\r\n ", "");
    // The link names the portal's base; the path and token are this server's.
    let path = &link[link.find("/unsubscribe?token=").expect("unsubscribe path")..];
    let one_click = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status(), 200);

    let second = app.create(&pro_rata(&app, "2000.00")).await;
    app.complete(second["id"].as_str().unwrap()).await;
    settled(&app, &sink, "investor2@example.com", 2).await;
    // Investor 2 got both processed notices; investor 1 only the first.
    assert_eq!(sink.mails_to("investor2@example.com", PAID).len(), 2);
    assert_eq!(sink.mails_to(address, PAID).len(), 1);
    drop(sink);
    app.stop().await;
}

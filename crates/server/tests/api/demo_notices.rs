//! The demo with its history leaves the demo investor user processed-distribution notices in
//! the in-app inbox (the latest one only: older history is not notified), and a few
//! investors with a phone and SMS consent whose texts are queued.

use clearway_server::demo;
use clearway_store::testing::fresh_database;
use clearway_store::{q, DbOptions};

#[tokio::test]
async fn the_demo_leaves_the_latest_processed_notices_in_the_inbox_and_texts_queued() {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let fresh = fresh_database(base.as_deref(), &DbOptions { max_connections: 4 })
        .await
        .unwrap();
    let db = &fresh.db;
    let mut options = demo::Options::demo(6);
    options.elections = false;
    let seeded = demo::seed(db, &options).await.unwrap();
    let n = |sql: &str, bind: &str| {
        let query = q(sql.to_string()).bind(bind.to_string());
        async move {
            db.fetch_optional(query)
                .await
                .unwrap()
                .unwrap()
                .i64("n")
                .unwrap()
        }
    };
    let me = &seeded.investor_user_investor_id;
    let processed = n(
        "SELECT COUNT(*) AS n FROM notifications WHERE investor_id = $1 AND event_kind = 'distribution.processed'",
        me,
    )
    .await;
    assert_eq!(processed, 1, "the latest processed distribution only");
    let completed = n(
        "SELECT COUNT(*) AS n FROM distributions WHERE org_id = $1 AND status = 'COMPLETED'",
        &seeded.org_id,
    )
    .await;
    assert!(
        completed > 1,
        "history has older distributions: {completed}"
    );
    let phones = n(
        "SELECT COUNT(*) AS n FROM investors WHERE org_id = $1 AND phone LIKE '+1202555%'",
        &seeded.org_id,
    )
    .await;
    assert_eq!(phones, 3);
    let texts = n(
        "SELECT COUNT(*) AS n FROM notification_messages WHERE org_id = $1 AND channel = 'sms' AND status = 'queued'",
        &seeded.org_id,
    )
    .await;
    assert!(
        texts >= 1,
        "the consenting investors' texts are queued: {texts}"
    );
    let sms_to_me = n(
        "SELECT COUNT(*) AS n FROM notification_messages WHERE investor_id = $1 AND channel = 'sms' AND status = 'queued' AND event_kind = 'distribution.processed'",
        me,
    )
    .await;
    assert_eq!(sms_to_me, 1);
    fresh.drop_database().await;
}

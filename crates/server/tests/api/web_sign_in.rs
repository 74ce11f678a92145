//! Sign-in, sessions and CSRF of the web pages.

use reqwest::StatusCode;

use crate::helpers::spawn_app;
use crate::web_client::Web;

#[tokio::test]
async fn the_list_page_needs_a_session_and_shows_the_organizations_distributions() {
    let app = spawn_app(3).await;
    let mut anon = Web::anonymous(&app);
    let page = anon.get("/distributions").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/login?next=%2Fdistributions")
    );
    let mut web = app.sign_in("operator").await;
    let page = web.get("/distributions").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("<h1>Distributions</h1>"),
        "{}",
        page.body
    );
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
}

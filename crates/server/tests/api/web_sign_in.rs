//! Sign-in, sessions, CSRF, throttling, reset links and the TOTP second factor of the web
//! pages.

use reqwest::StatusCode;

use crate::helpers::spawn_app;
use crate::web_client::{csrf_of, Web, PASSWORD};

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
    assert_eq!(page.headers["x-frame-options"], "DENY");
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_the_email_kept_and_no_session() {
    let app = spawn_app(1).await;
    app.set_password("operator").await;
    let mut web = Web::anonymous(&app);
    web.get("/login").await;
    let page = web
        .post(
            "/login",
            &[
                ("email", "operator@demo.clearway.dev"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("Email or password is wrong."));
    assert!(page.body.contains(r#"value="operator@demo.clearway.dev""#));
    assert!(!web.cookies.iter().any(|(k, _)| k == "clearway_session"));
    // Unknown emails get the same answer.
    let page = web
        .post(
            "/login",
            &[("email", "nobody@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("Email or password is wrong."));
    app.stop().await;
}

#[tokio::test]
async fn five_failures_throttle_the_email_even_for_the_right_password() {
    let app = spawn_app(1).await;
    app.set_password("approver").await;
    let mut web = Web::anonymous(&app);
    web.get("/login").await;
    for _ in 0..5 {
        let page = web
            .post(
                "/login",
                &[
                    ("email", "approver@demo.clearway.dev"),
                    ("password", "not the password"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let page = web
        .post(
            "/login",
            &[
                ("email", "APPROVER@demo.clearway.dev"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(page.body.contains("Too many failed sign-ins"));
    // Another email is not affected.
    app.set_password("auditor").await;
    let page = web
        .post(
            "/login",
            &[
                ("email", "auditor@demo.clearway.dev"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test]
async fn sign_in_issues_a_new_session_id_and_ends_the_one_presented() {
    let app = spawn_app(1).await;
    let mut first = app.sign_in("operator").await;
    let old = first
        .cookies
        .iter()
        .find(|(k, _)| k == "clearway_session")
        .unwrap()
        .1
        .clone();
    // A planted id and the old one are both replaced at the next sign-in.
    first.get("/login").await;
    let page = first
        .post(
            "/login",
            &[
                ("email", "operator@demo.clearway.dev"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let new = first
        .cookies
        .iter()
        .find(|(k, _)| k == "clearway_session")
        .unwrap()
        .1
        .clone();
    assert_ne!(old, new);
    let mut stale = Web::anonymous(&app);
    stale.cookies.push(("clearway_session".into(), old));
    assert_eq!(
        stale.get("/distributions").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(first.get("/distributions").await.status, StatusCode::OK);

    let mut planted = Web::anonymous(&app);
    planted
        .cookies
        .push(("clearway_session".into(), "a".repeat(64)));
    planted.get("/login").await;
    planted
        .post(
            "/login",
            &[
                ("email", "operator@demo.clearway.dev"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let got = planted
        .cookies
        .iter()
        .find(|(k, _)| k == "clearway_session")
        .unwrap();
    assert_ne!(got.1, "a".repeat(64));
    app.stop().await;
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_from_another_origin_are_refused() {
    let app = spawn_app(1).await;
    let mut web = app.sign_in("operator").await;
    web.get("/distributions").await;
    let page = web.post_raw("/logout", &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = web.post_raw("/logout", &[("_csrf", "0000")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // Still signed in: nothing happened.
    assert_eq!(web.get("/distributions").await.status, StatusCode::OK);
    // The sign-in form needs its cookie's token too.
    let mut anon = Web::anonymous(&app);
    let page = anon
        .post_raw(
            "/login",
            &[
                ("_csrf", "x"),
                ("email", "operator@demo.clearway.dev"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // A cross-site post carrying a valid token is still refused on its Origin.
    let body = format!("_csrf={}", web.csrf);
    let cookie = web
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/logout"))
        .header("Cookie", cookie)
        .header("Origin", "https://evil.example")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Signing out with the token ends the session.
    let page = web.post("/logout", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        web.get("/distributions").await.status,
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

#[tokio::test]
async fn the_next_parameter_only_returns_to_local_paths() {
    let app = spawn_app(1).await;
    app.set_password("operator").await;
    for (next, to) in [
        ("/distributions?status=DRAFT", "/distributions?status=DRAFT"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
    ] {
        let mut web = Web::anonymous(&app);
        web.get("/login").await;
        let page = web
            .post(
                "/login",
                &[
                    ("email", "operator@demo.clearway.dev"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(page.location.as_deref(), Some(to), "{next}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_old_sessions() {
    let app = spawn_app(1).await;
    let mut old = app.sign_in("auditor").await;
    let token = clearway_app::access::web::request_reset(&app.db, "auditor@demo.clearway.dev")
        .await
        .unwrap()
        .expect("a link for a user with a password");
    let mut web = Web::anonymous(&app);
    let path = format!("/login/reset/{token}");
    assert_eq!(web.get(&path).await.status, StatusCode::OK);
    let page = web
        .post(
            &path,
            &[
                ("password", "a new long password"),
                ("confirm", "something else"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("does not match"));
    let page = web
        .post(&path, &[("password", "short"), ("confirm", "short")])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("12 to 128 characters"), "{}", page.body);
    let page = web
        .post(
            &path,
            &[
                ("password", "a new long password"),
                ("confirm", "a new long password"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/login?notice=reset"));
    // Used once: the link is gone, and the session from before the reset ended.
    assert_eq!(web.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        old.get("/distributions").await.status,
        StatusCode::SEE_OTHER
    );
    web.get("/login").await;
    let page = web
        .post(
            "/login",
            &[
                ("email", "auditor@demo.clearway.dev"),
                ("password", "a new long password"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    // Unknown emails get no link, and the page answers the same.
    assert!(
        clearway_app::access::web::request_reset(&app.db, "nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let mut anon = Web::anonymous(&app);
    anon.get("/login/reset").await;
    let page = anon
        .post("/login/reset", &[("email", "nobody@example.com")])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("If that address belongs to an account"));
    app.stop().await;
}

fn base32_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in s.chars() {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).unwrap() as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

fn now_step() -> i64 {
    clearway_app::access::totp::step_of(chrono::Utc::now().timestamp())
}

fn code_at(secret: &[u8], step: i64) -> String {
    format!(
        "{:06}",
        clearway_app::access::totp::hotp(secret, step as u64, 6)
    )
}

#[tokio::test]
async fn an_approver_turns_on_totp_and_then_needs_a_code_each_used_once() {
    let app = spawn_app(1).await;
    let mut web = app.sign_in("approver").await;
    web.get("/account/security").await;
    let page = web.post("/account/security/totp", &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let at = page.body.find(r#"<code class="secret">"#).unwrap() + r#"<code class="secret">"#.len();
    let secret = base32_decode(&page.body[at..at + page.body[at..].find('<').unwrap()]);
    assert_eq!(secret.len(), 20);
    let page = web
        .post("/account/security/totp/confirm", &[("code", "000000")])
        .await;
    assert!(
        page.body.contains("That code is wrong"),
        "a wrong code does not enable it"
    );
    web.post("/account/security/totp", &[]).await;
    let page = web.get("/account/security").await;
    assert!(page.body.contains("Set up two-step sign-in") || page.body.contains("Key:"));
    // Restarted enrolment: read the new secret.
    let page = web.post("/account/security/totp", &[]).await;
    let at = page.body.find(r#"<code class="secret">"#).unwrap() + r#"<code class="secret">"#.len();
    let secret = base32_decode(&page.body[at..at + page.body[at..].find('<').unwrap()]);
    // Steps are fixed here, so a 30-second boundary passing mid-test changes nothing.
    let enrolled = now_step();
    let page = web
        .post(
            "/account/security/totp/confirm",
            &[("code", &code_at(&secret, enrolled))],
        )
        .await;
    assert!(
        page.body.contains("Two-step sign-in is on"),
        "{}",
        page.body
    );

    // Next sign-in: the password alone gives a session that reaches nothing but the code form.
    let mut next = Web::anonymous(&app);
    next.get("/login").await;
    let page = next
        .post(
            "/login",
            &[
                ("email", "approver@demo.clearway.dev"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/login/totp"));
    let pending = next
        .cookies
        .iter()
        .find(|(k, _)| k == "clearway_session")
        .unwrap()
        .1
        .clone();
    assert_eq!(
        next.get("/distributions").await.location.as_deref(),
        Some("/login/totp")
    );
    let page = next.get("/login/totp").await;
    assert!(csrf_of(&page.body).is_some());
    // The code used to enrol is spent; the next step's code works once.
    let page = next
        .post("/login/totp", &[("code", &code_at(&secret, enrolled))])
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    let page = next
        .post("/login/totp", &[("code", &code_at(&secret, enrolled + 1))])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let full = next
        .cookies
        .iter()
        .find(|(k, _)| k == "clearway_session")
        .unwrap()
        .1
        .clone();
    assert_ne!(
        full, pending,
        "a new session id once the second factor is given"
    );
    assert_eq!(next.get("/distributions").await.status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn operators_and_investors_are_not_offered_totp() {
    let app = spawn_app(1).await;
    let mut web = app.sign_in("operator").await;
    let page = web.get("/account/security").await;
    assert!(page.body.contains("offered to approvers and admins"));
    let page = web.post("/account/security/totp", &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_at_the_next_request() {
    let app = spawn_app(1).await;
    let mut web = app.sign_in("auditor").await;
    assert_eq!(web.get("/distributions").await.status, StatusCode::OK);
    let admin = clearway_store::Actor::system(&app.seeded.org_id);
    clearway_app::access::disable_user(&app.db, &admin, &app.seeded.user_ids["auditor"])
        .await
        .unwrap();
    assert_eq!(
        web.get("/distributions").await.status,
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

//! A browser-like client for page tests: signs a demo user in through the real sign-in form,
//! keeps the session cookie, follows nothing (redirects are asserted), and posts forms with
//! the CSRF token of the page it read last.

use reqwest::StatusCode;

use crate::helpers::TestApp;

/// The password tests give demo users.
pub const PASSWORD: &str = "correct horse battery staple";

/// A signed-in page client.
pub struct Web {
    base: String,
    client: reqwest::Client,
    /// The `Cookie` header sent (session, and the pre-session CSRF cookie).
    pub cookies: Vec<(String, String)>,
    /// The CSRF token of the last page read that had a form.
    pub csrf: String,
}

/// A page answer: status, `Location` (redirects), body.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

/// The value of the first `name="_csrf" value="…"` in a page.
pub fn csrf_of(body: &str) -> Option<String> {
    let at = body.find(r#"name="_csrf" value=""#)?;
    let rest = &body[at + r#"name="_csrf" value=""#.len()..];
    Some(rest[..rest.find('"')?].to_string())
}

impl Web {
    /// A client with no session.
    pub fn anonymous(app: &TestApp) -> Web {
        Web {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &reqwest::header::HeaderMap) {
        for v in headers.get_all(reqwest::header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() && !v.contains("Max-Age=0") {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    async fn answer(&mut self, resp: reqwest::Response) -> Page {
        let status = resp.status();
        let headers = resp.headers().clone();
        self.keep_cookies(&headers);
        let location = headers
            .get(reqwest::header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        let body = resp.text().await.unwrap();
        if let Some(token) = csrf_of(&body) {
            self.csrf = token;
        }
        Page {
            status,
            location,
            body,
            headers,
        }
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.answer(resp).await
    }

    /// `POST path` of `fields`, with the current CSRF token added as `_csrf`.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// `POST path` of exactly `fields` (no token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.answer(resp).await
    }

    /// `POST path` of a multipart body (file uploads), with the CSRF token as a text part.
    #[allow(dead_code)]
    pub async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let form = form.text("_csrf", self.csrf.clone());
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.answer(resp).await
    }
}

impl TestApp {
    /// Gives the demo user of `role` the test password.
    pub async fn set_password(&self, role: &str) {
        let org = clearway_store::Actor::system(&self.seeded.org_id);
        clearway_app::access::web::set_password(
            &self.db,
            &org,
            &self.seeded.user_ids[role],
            PASSWORD,
        )
        .await
        .unwrap();
    }

    /// The demo user of `role`, signed in through the sign-in form.
    pub async fn sign_in(&self, role: &str) -> Web {
        self.set_password(role).await;
        let mut web = Web::anonymous(self);
        let login = web.get("/login").await;
        assert_eq!(login.status, StatusCode::OK);
        let email = format!("{role}@demo.clearway.dev");
        let done = web
            .post(
                "/login",
                &[("email", &email), ("password", PASSWORD), ("next", "/")],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        assert!(web.cookies.iter().any(|(k, _)| k == "clearway_session"));
        web
    }
}

//! Test harness: a real server on a random port over a fresh database — SQLite by default,
//! PostgreSQL when `TEST_DATABASE_URL=postgres://…` is set (CI runs the suite on both).

use std::time::Duration;

use clearway_server::{demo, Config};
use clearway_store::testing::{fresh_database, Fresh};
use clearway_store::{q, Db, DbOptions};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

/// A running app with its seeded demo organization.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub seeded: demo::Seeded,
    pub db: Db,
    running: Option<clearway_server::Running>,
    fresh: Option<Fresh>,
}

/// The bearer token opening `/metrics` in tests.
pub const METRICS_TOKEN: &str = "test-metrics-token";

pub fn test_config() -> Config {
    Config {
        poll_interval: Duration::from_millis(50),
        job_lease: Duration::from_secs(2),
        lease_ttl: Duration::from_secs(2),
        // The tests' receivers and fake providers listen on 127.0.0.1 over http.
        outbound: clearway_server::state::OutboundPolicy::with_allowlist("127.0.0.1").unwrap(),
        metrics_token: Some(METRICS_TOKEN.into()),
        ..Config::default()
    }
}

/// Starts an app with `investors` demo investors (no history).
pub async fn spawn_app(investors: usize) -> TestApp {
    spawn_app_with(investors, test_config()).await
}

pub async fn spawn_app_with(investors: usize, config: Config) -> TestApp {
    let base_url = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let fresh = fresh_database(base_url.as_deref(), &DbOptions { max_connections: 8 })
        .await
        .expect("fresh database");
    let mut options = demo::Options::demo(investors);
    options.history = false;
    // Tests set the elections they need (the demo mix is for the tour); everyone is CASH.
    options.elections = false;
    let seeded = demo::seed(&fresh.db, &options).await.expect("seed");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = clearway_server::start(fresh.db.clone(), config, listener)
        .await
        .expect("start");
    TestApp {
        base: format!("http://{}", running.addr),
        client: reqwest::Client::new(),
        seeded,
        db: fresh.db.clone(),
        running: Some(running),
        fresh: Some(fresh),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The seeded operator as a store actor (for calls that have no HTTP endpoint).
    pub fn operator(&self) -> clearway_store::Actor {
        clearway_store::Actor {
            user_id: self.seeded.user_ids["operator"].clone(),
            org_id: self.seeded.org_id.clone(),
            role: clearway_core::access::Role::Operator,
            investor_id: None,
        }
    }

    pub fn token(&self, role: &str) -> &str {
        let t = &self.seeded.tokens;
        match role {
            "admin" => &t.admin,
            "operator" => &t.operator,
            "approver" => &t.approver,
            "investor" => &t.investor,
            "auditor" => &t.auditor,
            other => panic!("no role {other}"),
        }
    }

    pub async fn get(&self, role: &str, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(self.token(role))
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/bank-statements{query}` of `bytes` as `role`: status and JSON body (null
    /// when there is none).
    pub async fn upload_statement(
        &self,
        role: &str,
        query: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let resp = self
            .client
            .post(self.url(&format!("/api/bank-statements{query}")))
            .bearer_auth(self.token(role))
            .header("Content-Type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, role: &str, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(self.token(role))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_with_key(&self, role: &str, path: &str, key: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(self.token(role))
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, role: &str, path: &str, body: &Value) -> Response {
        self.client
            .put(self.url(path))
            .bearer_auth(self.token(role))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, role: &str, path: &str) -> Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(self.token(role))
            .send()
            .await
            .unwrap()
    }

    /// Creates a distribution as the operator, asserting 201; returns its JSON.
    pub async fn create(&self, body: &Value) -> Value {
        let resp = self.post("operator", "/api/distributions", body).await;
        assert_eq!(
            resp.status(),
            StatusCode::CREATED,
            "create failed: {}",
            resp.text().await.unwrap()
        );
        resp.json().await.unwrap()
    }

    /// Moves a distribution through ready → approve → process and waits for COMPLETED.
    pub async fn complete(&self, id: &str) -> Value {
        for (role, action) in [
            ("operator", "ready"),
            ("approver", "approve"),
            ("operator", "process"),
        ] {
            let resp = self
                .patch(role, &format!("/api/distributions/{id}/{action}"))
                .await;
            assert!(
                resp.status().is_success(),
                "{action}: {}",
                resp.text().await.unwrap()
            );
        }
        let done = self.wait_status(id, "COMPLETED").await;
        self.wait_jobs().await;
        done
    }

    /// Waits until no job is due or running (the payment jobs processing enqueues included;
    /// retries, and rail jobs deferred to the next day, scheduled for later excepted).
    pub async fn wait_jobs(&self) {
        // A deadline, not a count: a loaded machine runs the 10,000-investor tests' jobs (their
        // rail files, the fund's forecast snapshot) in well over ten seconds.
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        while std::time::Instant::now() < deadline {
            let due = self
                .db
                .fetch_optional(q("SELECT COUNT(*) AS n FROM jobs WHERE (status = 'RUNNING' OR (status = 'QUEUED' AND run_at <= $1)) AND kind <> 'payment.retry'")
                    .bind(clearway_store::now_text()))
                .await
                .unwrap()
                .unwrap()
                .i64("n")
                .unwrap();
            if due == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("jobs did not settle");
    }

    pub async fn wait_status(&self, id: &str, status: &str) -> Value {
        for _ in 0..400 {
            let d: Value = self
                .get("operator", &format!("/api/distributions/{id}"))
                .await
                .json()
                .await
                .unwrap();
            if d["status"] == status {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("distribution {id} never reached {status}");
    }

    /// All lines of a distribution as the given role, following the cursor.
    pub async fn all_lines(&self, role: &str, id: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/distributions/{id}/lines?limit=1000&cursor={c}"),
                None => format!("/api/distributions/{id}/lines?limit=1000"),
            };
            let page: Value = self.get(role, &path).await.json().await.unwrap();
            out.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        self.db
            .fetch_optional(q(sql))
            .await
            .unwrap()
            .unwrap()
            .i64("n")
            .unwrap()
    }

    /// Row counts of every table a request could write to.
    pub async fn snapshot(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for sql in [
            "SELECT COUNT(*) AS n FROM distributions",
            "SELECT COUNT(*) AS n FROM distribution_lines",
            "SELECT COUNT(*) AS n FROM audit_log",
            "SELECT COUNT(*) AS n FROM outbox",
            "SELECT COUNT(*) AS n FROM idempotency_keys",
            "SELECT COUNT(*) AS n FROM jobs",
        ] {
            out.push(self.count(sql).await);
        }
        out
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
        if let Some(f) = self.fresh.take() {
            f.drop_database().await;
        }
    }

    /// Seeds a second demo organization named `name` (`investors` investors, no history) in
    /// the same database, for checks that one organization cannot see another's data.
    pub async fn seed_another_org(&self, investors: usize, name: &str) -> demo::Seeded {
        let mut options = demo::Options::demo(investors);
        options.history = false;
        options.org_name = name.into();
        demo::seed(&self.db, &options).await.unwrap()
    }

    /// Stops the server (its workers included) but keeps the database.
    pub async fn stop_server(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }

    /// Starts a new server process-equivalent on the same database.
    pub async fn restart(&mut self, config: Config) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = clearway_server::start(self.db.clone(), config, listener)
            .await
            .expect("restart");
        self.base = format!("http://{}", running.addr);
        self.running = Some(running);
    }
}

/// The invariant after every payment scenario: no payment of the organization is PENDING or
/// PROCESSING with neither a live job that will move it nor a hold/review reason.
pub async fn assert_no_orphan_payments(app: &TestApp) {
    let orphans = clearway_app::payments::orphans::orphans(&app.db, &app.operator(), None, 20)
        .await
        .unwrap();
    let shown: Vec<String> = orphans
        .iter()
        .map(|p| format!("{} {} {} {}", p.id, p.method, p.status, p.amount_minor))
        .collect();
    assert!(
        shown.is_empty(),
        "payments waiting with nothing pointing at them: {shown:?}"
    );
}

/// A pro-rata request body for the demo open-end fund.
pub fn pro_rata(app: &TestApp, total: &str) -> Value {
    json!({
        "fundId": app.seeded.open_fund_id, "declarationDate": "2026-03-02", "recordDate": "2026-03-16",
        "payableDate": "2026-03-31", "currency": "USD", "description": "Q1 2026",
        "allocation": { "method": "pro_rata", "total": total, "components": { "ordinaryDividend": "0.6", "returnOfCapital": "0.4" } }
    })
}

/// Parses a decimal string amount to cents.
pub fn cents(v: &Value) -> i64 {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("not a string amount: {v}"));
    let d: rust_decimal::Decimal = s.parse().unwrap();
    i64::try_from(d * rust_decimal::Decimal::from(100)).unwrap()
}

//! What every CLI test shares: the binary, started outside the source tree.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::process::Command;

/// The `clearway` binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_clearway");

/// `clearway` run from a scratch directory of this test process, with its data directory
/// (generated encryption key, default SQLite file) there too: a test never writes into the
/// source tree, whatever the command's defaults.
pub fn clearway() -> Command {
    let dir = scratch_dir();
    let mut command = Command::new(BIN);
    command
        .current_dir(&dir)
        .env("CLEARWAY_DATA_DIR", dir.join("clearway-data"));
    command
}

/// A directory under the system temp dir, one per test process.
pub fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clearway-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

/// Runs `clearway args…` to its end (logs at warn, no stdin): exit code, stdout, stderr.
#[allow(dead_code)] // each test binary includes this file; not all run one-shot commands
pub async fn run(args: &[&str]) -> (i32, String, String) {
    let out = clearway()
        .args(args)
        .env("CLEARWAY_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run clearway");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// `child` (a `clearway serve` on `port`) once its `/readyz` answers 2xx; panics after `within`.
#[allow(dead_code)]
pub async fn ready(
    child: tokio::process::Child,
    port: u16,
    within: std::time::Duration,
) -> tokio::process::Child {
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            if r.status().is_success() {
                return child;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("server did not become ready");
}

/// Processes of one cluster: serving, seeding and driving distributions over HTTP (the
/// shutdown, cluster and backup tests).
#[allow(dead_code)]
pub mod cluster {
    use std::process::Stdio;
    use std::time::Duration;

    use serde_json::{json, Value};
    use tokio::process::Child;

    use super::clearway;

    /// Encryption keys for the payees' account numbers, shared by `demo` and `serve`.
    pub const KEYS_ENV: &str = "CLEARWAY_ENCRYPTION_KEYS";
    pub const TEST_KEYS: &str =
        "cluster1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    pub fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// Seeds the demo organization (no history) and returns its tokens.
    pub async fn demo(url: &str, investors: usize) -> Value {
        let file = super::scratch_dir().join(format!("tokens-{}.json", uuid_like()));
        let status = clearway()
            .args([
                "demo",
                "--investors",
                &investors.to_string(),
                "--no-history",
            ])
            .args(["--database-url", url, "--tokens-out"])
            .arg(&file)
            .env("CLEARWAY_LOG", "warn")
            .env(KEYS_ENV, TEST_KEYS)
            .stdout(Stdio::null())
            .status()
            .await
            .unwrap();
        assert!(status.success());
        let tokens = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let _ = std::fs::remove_file(&file);
        tokens
    }

    fn uuid_like() -> u128 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    }

    /// `clearway serve` on `port`, with `env`, once ready.
    pub async fn serve(url: &str, port: u16, env: &[(&str, &str)]) -> Child {
        let mut command = clearway();
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--database-url", url])
            .env("CLEARWAY_LOG", "warn")
            .env(KEYS_ENV, TEST_KEYS)
            // Short leases: a restart after kill -9 (or a takeover) waits one TTL at most.
            .env("CLEARWAY_LEASE_TTL_SECS", "3")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().expect("spawn clearway serve");
        super::ready(child, port, Duration::from_secs(60)).await
    }

    /// Creates a distribution through `port` (pro rata on DEMO-OPEN), marks it ready and
    /// approves it; returns its id.
    pub async fn approved(port: u16, tokens: &Value, key: &str, total: &str) -> String {
        let client = reqwest::Client::new();
        let api = |p: &str| format!("http://127.0.0.1:{port}{p}");
        let body = json!({
            "fundId": "DEMO-OPEN", "declarationDate": "2026-03-02", "recordDate": "2026-03-16",
            "payableDate": "2026-03-31", "allocation": { "method": "pro_rata", "total": total }
        });
        let r = client
            .post(api("/api/distributions"))
            .bearer_auth(tokens["operator"].as_str().unwrap())
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "create: {}", r.status());
        let id = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        for (step, role) in [("ready", "operator"), ("approve", "approver")] {
            let r = client
                .patch(api(&format!("/api/distributions/{id}/{step}")))
                .bearer_auth(tokens[role].as_str().unwrap())
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{step}: {}", r.status());
        }
        id
    }

    /// Asks `port` to process distribution `id` (202).
    pub async fn process(port: u16, tokens: &Value, id: &str) {
        let r = reqwest::Client::new()
            .patch(format!(
                "http://127.0.0.1:{port}/api/distributions/{id}/process"
            ))
            .bearer_auth(tokens["operator"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
    }

    /// Sends SIGTERM to a child.
    pub fn sigterm(child: &Child) {
        let pid = child.id().expect("child still running").to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

//! `clearway serve` refuses payment-provider URLs the outbound policy refuses (http, userinfo,
//! internal addresses) before it listens, naming the setting.

use std::process::Stdio;
use std::time::Duration;

mod support;

use support::{clearway, scratch_dir};

/// Runs `clearway serve` with `env`; it must exit (not serve) within a minute.
async fn serve_with(env: &[(&str, &str)]) -> (i32, String) {
    let db = scratch_dir().join(format!("outbound-{}.db", uuid_like()));
    let mut command = clearway();
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url"])
        .arg(format!("sqlite:{}", db.display()))
        .env("CLEARWAY_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("serve must refuse to start, not serve")
        .expect("run clearway");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test]
async fn provider_urls_reaching_inside_stop_the_server_from_starting() {
    for (name, url) in [
        ("CLEARWAY_MT_URL", "https://169.254.169.254/latest"),
        ("CLEARWAY_MT_URL", "http://api.example.com"),
        ("CLEARWAY_STRIPE_URL", "https://10.0.0.1"),
        ("CLEARWAY_PLAID_URL", "https://[::1]:8443"),
        ("CLEARWAY_MT_URL", "https://user:pw@api.example.com"),
    ] {
        let (code, err) = serve_with(&[(name, url)]).await;
        assert_ne!(code, 0, "{name}={url} must be refused");
        assert!(err.contains(name), "{name}={url}: {err}");
    }
    let (code, err) = serve_with(&[("CLEARWAY_OUTBOUND_ALLOW", "user@host")]).await;
    assert_ne!(code, 0);
    assert!(err.contains("CLEARWAY_OUTBOUND_ALLOW"), "{err}");
}

#[tokio::test]
async fn sftp_drop_settings_that_do_not_fit_stop_the_server_from_starting() {
    let fp = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
    for (env, named) in [
        (
            vec![("CLEARWAY_SYNC_SFTP_URL", "sftp://a@files.example/in")],
            "CLEARWAY_SYNC_SFTP_KEY_FILE",
        ),
        (
            vec![
                ("CLEARWAY_SYNC_SFTP_URL", "ftp://a@files.example/in"),
                ("CLEARWAY_SYNC_SFTP_KEY_FILE", "/k"),
                ("CLEARWAY_SYNC_SFTP_HOST_KEY", fp),
                ("CLEARWAY_SYNC_ORG", "org"),
            ],
            "CLEARWAY_SYNC_SFTP_URL",
        ),
        (
            vec![
                ("CLEARWAY_SYNC_SFTP_URL", "sftp://a@files.example/in"),
                ("CLEARWAY_SYNC_SFTP_KEY_FILE", "/k"),
                ("CLEARWAY_SYNC_SFTP_HOST_KEY", "MD5:aa:bb"),
                ("CLEARWAY_SYNC_ORG", "org"),
            ],
            "SHA-256 fingerprint",
        ),
        (
            vec![
                ("CLEARWAY_SYNC_SFTP_URL", "sftp://a@files.example/in"),
                ("CLEARWAY_SYNC_SFTP_KEY_FILE", "/k"),
                ("CLEARWAY_SYNC_SFTP_HOST_KEY", fp),
            ],
            "CLEARWAY_SYNC_ORG",
        ),
    ] {
        let (code, err) = serve_with(&env).await;
        assert_ne!(code, 0, "{env:?} must be refused");
        // One line of reason (the warnings logged before it are not the reason).
        let reasons: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("clearway: "))
            .collect();
        assert_eq!(reasons.len(), 1, "{err}");
        assert!(reasons[0].contains(named), "{env:?}: {err}");
    }
}

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

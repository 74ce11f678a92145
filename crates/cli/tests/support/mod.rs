//! What every CLI test shares: the binary, started outside the source tree.

use std::path::PathBuf;

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

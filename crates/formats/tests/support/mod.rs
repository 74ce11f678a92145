//! Where the third-party conformance samples are, for the tests named `third_party_*`.
//!
//! The samples (other people's bank files and their parses) are never copied into this
//! repository. They are found at `CLEARWAY_CONFORMANCE_DIR`, else at `shared/conformance`
//! beside the checkout. Without them each such test returns at once and says so, and
//! `scripts/test.sh` skips them by name and prints why and how to run them; with
//! `CLEARWAY_REQUIRE_CONFORMANCE=1` (CI) a missing folder is a failure instead.

#![allow(dead_code)] // each test binary uses a part

use std::path::PathBuf;

/// The samples folder, or `None` (with a line on stderr) when it is not there.
pub fn find() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CLEARWAY_CONFORMANCE_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("README.md").is_file(),
            "CLEARWAY_CONFORMANCE_DIR={} holds no conformance samples (no README.md)",
            dir.display()
        );
        return Some(dir);
    }
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    if beside.join("README.md").is_file() {
        return Some(beside);
    }
    assert!(
        std::env::var("CLEARWAY_REQUIRE_CONFORMANCE").as_deref() != Ok("1"),
        "CLEARWAY_REQUIRE_CONFORMANCE=1 but no conformance samples at {} \
         (set CLEARWAY_CONFORMANCE_DIR)",
        beside.display()
    );
    eprintln!(
        "skipped: third-party conformance samples not found (set CLEARWAY_CONFORMANCE_DIR \
         to the samples folder to run this test)"
    );
    None
}

/// The samples folder; only for tests that passed [`skip`] first.
pub fn dir() -> PathBuf {
    find().expect("the test checks skip() before reading samples")
}

/// Whether this test must return without running: no samples here.
pub fn skip() -> bool {
    find().is_none()
}

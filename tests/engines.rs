//! The store read by DuckDB, pandas (pyarrow) and polars: runs tests/engines/test_store.py with
//! the venv scripts/install-engines.sh makes (run first; it does nothing when the pinned versions
//! are there). When it cannot install (no network), the test is skipped with a note, except in
//! CI (`CI` set), where it fails instead.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::path::PathBuf;

/// Where scripts/install-engines.sh installs: target/engines, under CARGO_TARGET_DIR when set.
fn venv_python() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    target.join("engines/venv/bin/python")
}

#[test]
fn issue_15_engines_read_the_store_as_testsift_does() {
    let installed = std::process::Command::new("bash")
        .arg(root().join("scripts/install-engines.sh"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let python = venv_python();
    if !installed || !python.is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{}: missing; CI must run scripts/install-engines.sh before the tests",
            python.display()
        );
        eprintln!(
            "SKIPPED: the engine tests need scripts/install-engines.sh ({} is missing)",
            python.display()
        );
        return;
    }
    let out = std::process::Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(root().join("tests/engines/test_store.py"))
        .env("TESTSIFT", assert_cmd::cargo::cargo_bin("testsift"))
        .env("TESTSIFT_ROOT", root())
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pytest failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
}

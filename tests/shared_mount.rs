//! Many writers on one store through a folder shared over the network: runs
//! tests/shared-mount.sh (two sshfs mounts of one folder, which behave as two machines) with this
//! build's binary, after scripts/install-sshfs.sh (it does nothing when sshfs and sshd are
//! there). When they cannot be installed or FUSE is missing, the test is skipped with a note,
//! except in CI (`CI` set), where it fails instead.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

#[test]
fn issue_15_concurrent_writers_through_two_network_mounts_lose_and_duplicate_nothing() {
    let installed = std::process::Command::new("bash")
        .arg(root().join("scripts/install-sshfs.sh"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let out = std::process::Command::new("bash")
        .arg(root().join("tests/shared-mount.sh"))
        .arg(assert_cmd::cargo::cargo_bin("testsift"))
        .current_dir(root())
        .output()
        .unwrap();
    // Exit 2: the mounts could not be set up (no FUSE, sshfs or sshd).
    if out.status.code() == Some(2) || !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "the shared-mount test could not run (CI must be able to):\n{}\n{}",
            stdout(&out),
            stderr(&out)
        );
        eprintln!(
            "SKIPPED: the shared-mount test needs FUSE, sshfs and sshd:\n{}",
            stderr(&out)
        );
        return;
    }
    assert!(
        out.status.success(),
        "tests/shared-mount.sh failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
}

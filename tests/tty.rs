//! The binary in a real terminal: a pseudo-terminal made by `script` (util-linux), so stderr is a
//! terminal and the progress bar draws, as it does for a person. Redirected output (every other
//! test) cannot see a hang between the bar and other writers of stderr (issue 13).

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::root;
use std::path::Path;
use std::process::Command;

/// Runs `testsift ARGS` under a pseudo-terminal with a time limit; returns what the terminal
/// showed and the exit code (124 when the time limit killed it).
fn in_terminal(args: &str) -> (String, i32) {
    let bin = env!("CARGO_BIN_EXE_testsift");
    let line = format!("{bin} {args}");
    let out = Command::new("timeout")
        .args(["-k", "5", "60", "script", "-qec", &line, "/dev/null"])
        .current_dir(root())
        .env_remove("TESTSIFT_STORE")
        .env("COLUMNS", "100")
        .env("LINES", "30")
        .output()
        .expect("`script` (util-linux) and `timeout` (coreutils) are on every CI machine");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn quoted(path: &Path) -> String {
    format!("'{}'", path.display())
}

/// Ingest in a terminal ends, draws its progress bar, and prints its summary.
#[test]
fn issue_13_ingest_in_a_terminal_ends_and_draws_progress() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (screen, code) = in_terminal(&format!(
        "ingest fixtures/history --store {}",
        quoted(&store)
    ));
    assert_ne!(
        code, 124,
        "ingest hung in a terminal; the screen:\n{screen}"
    );
    assert_eq!(code, 0, "the screen:\n{screen}");
    assert!(
        screen.contains("[00:00:"),
        "no progress bar was drawn; the screen:\n{screen}"
    );
    assert!(screen.contains("runs found"), "{screen}");

    // Again, with every run already stored: the bar and the summary, no hang.
    let (screen, code) = in_terminal(&format!(
        "ingest fixtures/history --store {}",
        quoted(&store)
    ));
    assert_eq!(code, 0, "the screen:\n{screen}");
    assert!(screen.contains("already in"), "{screen}");
}

/// Problem lines printed while the bar is drawn (a bad file among good ones) do not hang either.
#[test]
fn issue_13_ingest_with_bad_files_in_a_terminal_ends() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (screen, code) = in_terminal(&format!(
        "ingest fixtures/bad --run-depth 0 --run-id bad --store {}",
        quoted(&store)
    ));
    assert_ne!(
        code, 124,
        "ingest hung in a terminal; the screen:\n{screen}"
    );
    assert!(screen.contains("error:"), "{screen}");
}

/// The README's main job, `report PATH --out DIR`, in a terminal.
#[test]
fn issue_13_report_in_a_terminal_ends() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = dir.path().join("out");
    let (screen, code) = in_terminal(&format!(
        "report fixtures/history --out {} --store {}",
        quoted(&out),
        quoted(&store)
    ));
    assert_ne!(
        code, 124,
        "report hung in a terminal; the screen:\n{screen}"
    );
    assert_eq!(code, 0, "the screen:\n{screen}");
    assert!(out.join("report.html").is_file());
}

/// Tables use the terminal's width: a wide terminal shows names whole that a 100-column one
/// cuts in the middle. Output to a pipe keeps 100 columns (every other test).
#[test]
fn tables_take_the_terminals_width() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = Command::new(env!("CARGO_BIN_EXE_testsift"))
        .args(["ingest", "fixtures/history", "--quiet", "--store"])
        .arg(&store)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success());
    let name = "com.acme.shop.cart.CartServiceTest::applyCouponRejectsExpired";
    let at = |cols: u32| {
        let line = format!(
            "stty cols {cols} rows 40; {} flaky --top 3 --store {}",
            env!("CARGO_BIN_EXE_testsift"),
            quoted(&store)
        );
        let out = Command::new("timeout")
            .args(["-k", "5", "60", "script", "-qec", &line, "/dev/null"])
            .current_dir(root())
            .env_remove("TESTSIFT_STORE")
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let wide = at(160);
    assert!(wide.contains(name), "{wide}");
    assert!(
        wide.lines().any(|l| l.trim_end().chars().count() > 100),
        "{wide}"
    );
    let narrow = at(100);
    assert!(!narrow.contains(name), "{narrow}");
    assert!(
        narrow.lines().all(|l| l.trim_end().chars().count() <= 100),
        "{narrow}"
    );
    // Below 80 columns a table keeps 80 (the terminal wraps), so names keep enough to tell
    // them apart; the terminal's own line breaks are not in what `script` recorded.
    let tiny = at(50);
    assert!(
        tiny.lines().any(|l| l.trim_end().chars().count() > 50),
        "{tiny}"
    );
    assert!(tiny.contains("Test::apply"), "{tiny}");
}

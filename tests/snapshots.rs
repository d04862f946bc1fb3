//! Every output of every command, byte for byte, on fixtures/history and on a generated 200-run
//! history, against the snapshots in tests/snapshots/. A change to an output shows here as a
//! diff; when it is on purpose, rewrite the snapshots with
//!
//! ```sh
//! TESTSIFT_UPDATE_SNAPSHOTS=1 cargo test --test snapshots
//! ```
//!
//! and commit them with the change, saying why. What varies from run to run is replaced first:
//! the store's temporary path, the report's generation time, the run timestamps taken from the
//! clock for runs that give none (fixtures/history gives them all).

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};

fn snapshots() -> PathBuf {
    root().join("tests/snapshots")
}

/// What differs between two runs of the same command: paths and the clock.
fn normalise(text: &str, dir: &Path) -> String {
    let mut text = text.replace(&dir.display().to_string(), "<tmp>");
    let generated =
        regex::Regex::new(r"(?i)generated(_at)?(\W+)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
            .unwrap();
    text = generated
        .replace_all(&text, "generated$1$2<time>")
        .into_owned();
    // The report page's script nonce is new on every write.
    let nonce = regex::Regex::new(r"nonce(-|=.)[0-9a-f]{32}").unwrap();
    nonce.replace_all(&text, "nonce$1<n>").into_owned()
}

/// Compares `text` with the snapshot `name`, or writes it when asked to.
fn check(name: &str, text: &str, failures: &mut Vec<String>) {
    let path = snapshots().join(name);
    if std::env::var_os("TESTSIFT_UPDATE_SNAPSHOTS").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        return;
    }
    match fs::read_to_string(&path) {
        Ok(expected) if expected == text => {}
        Ok(expected) => {
            let line = expected
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .map_or(expected.lines().count().min(text.lines().count()), |l| l);
            let shown = |s: &str| s.chars().take(300).collect::<String>();
            failures.push(format!(
                "{name}: differs from line {}:\n  snapshot: {:?}\n  now:      {:?}",
                line + 1,
                shown(expected.lines().nth(line).unwrap_or("")),
                shown(text.lines().nth(line).unwrap_or(""))
            ));
        }
        Err(_) => failures.push(format!(
            "{name}: no snapshot (set TESTSIFT_UPDATE_SNAPSHOTS=1)"
        )),
    }
}

/// Runs `testsift ARGS --store STORE` and returns stdout and the exit code.
fn run(store: &Path, args: &[&str]) -> (String, i32) {
    let out = testsift()
        .args(args)
        .arg("--store")
        .arg(store)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITLAB_CI")
        .env_remove("BUILDKITE")
        .env_remove("CIRCLECI")
        .env_remove("JENKINS_URL")
        .output()
        .unwrap();
    (stdout(&out), code(&out))
}

/// Every command's every format on the history in `store`, named `prefix/...`.
fn outputs(prefix: &str, store: &Path, dir: &Path, failures: &mut Vec<String>) {
    let formats = ["table", "json", "csv", "md"];
    for command in ["flaky", "slow", "trim"] {
        for format in formats {
            let (text, code) = run(store, &[command, "--format", format]);
            assert_eq!(code, 0, "{command} --format {format}");
            check(
                &format!("{prefix}/{command}.{format}"),
                &normalise(&text, dir),
                failures,
            );
        }
    }
    for format in ["table", "json"] {
        let (text, _) = run(store, &["stats", "--format", format]);
        check(
            &format!("{prefix}/stats.{format}"),
            &normalise(&text, dir),
            failures,
        );
    }
    for format in ["text", "json", "github", "junit"] {
        let (text, code) = run(store, &["check", "--format", format]);
        check(
            &format!("{prefix}/check.{format}"),
            &normalise(&format!("{text}exit {code}\n"), dir),
            failures,
        );
    }
    for kind in ["priority", "skip", "shards"] {
        for format in ["table", "json"] {
            let (text, _) = run(
                store,
                &["backtest", kind, "--format", format, "--train-runs", "5"],
            );
            check(
                &format!("{prefix}/backtest-{kind}.{format}"),
                &normalise(&text, dir),
                failures,
            );
        }
    }
    for (kind, extra) in [
        ("quarantine", &[][..]),
        ("skip", &["--min-runs", "5"][..]),
        ("priority", &[][..]),
        ("shards", &["--count", "3"][..]),
    ] {
        for runner in [
            "plain", "json", "pytest", "nextest", "maven", "gradle", "jest", "go",
        ] {
            let mut args = vec!["select", kind, "--runner", runner];
            args.extend_from_slice(extra);
            if kind == "shards" && runner != "plain" && runner != "json" {
                args.extend_from_slice(&["--shard", "1"]);
            }
            let (text, _) = run(store, &args);
            check(
                &format!("{prefix}/select-{kind}.{runner}"),
                &normalise(&text, dir),
                failures,
            );
        }
    }
    let out_dir = dir.join("report");
    let (_, code) = run(store, &["report", "--out", out_dir.to_str().unwrap(), "-q"]);
    assert_eq!(code, 0, "report");
    for file in ["report.json", "report.md", "report.html"] {
        let text = fs::read_to_string(out_dir.join(file)).unwrap();
        check(
            &format!("{prefix}/{file}"),
            &normalise(&text, dir),
            failures,
        );
    }
}

#[test]
fn every_output_matches_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();

    let store = dir.path().join("store");
    assert_code(
        &ingest(&store, &[fixtures().join("history")], &["--quiet"]),
        0,
    );
    outputs("history", &store, dir.path(), &mut failures);

    // A generated history of 200 runs: breakages, bursts, flaky noise, new tests, co-failing
    // groups (bench/replay/generate.py, seeded, so the same bytes every time).
    let generated = dir.path().join("generated");
    let status = std::process::Command::new("python3")
        .arg(root().join("bench/replay/generate.py"))
        .args(["mixed", "7"])
        .arg(&generated)
        .args(["--runs", "200", "--tests", "120"])
        .status()
        .expect("python3 runs bench/replay/generate.py");
    assert!(status.success());
    let store = dir.path().join("generated-store");
    assert_code(&ingest(&store, &[&generated], &["--quiet"]), 0);
    outputs("generated", &store, dir.path(), &mut failures);

    assert!(
        failures.is_empty(),
        "{} outputs differ from tests/snapshots/ (if on purpose: TESTSIFT_UPDATE_SNAPSHOTS=1 cargo test --test snapshots):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

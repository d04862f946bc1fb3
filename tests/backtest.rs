//! `testsift backtest priority` on the example history and on a hand-made one whose scores
//! were computed by hand.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

/// Three runs of three tests. Run 1 trains: `b` fails. Run 2: `b` fails again, the only
/// failure, so ordering by the last outcome puts it first (APFD = 1 − 1/3 + 1/6 = 5/6), while
/// the runner's order (a, b, c) has it second (1 − 2/3 + 1/6 = 1/2). Run 3: all pass, not
/// scored.
#[test]
fn priority_backtest_scores_a_persisting_failure_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let outcomes = [
        [false, true, false],
        [false, true, false],
        [false, false, false],
    ];
    for (i, fails) in outcomes.iter().enumerate() {
        let cases: String = ["a", "b", "c"]
            .iter()
            .zip(fails)
            .map(|(name, failed)| {
                if *failed {
                    format!(
                        r#"<testcase classname="T" name="{name}" time="1"><failure message="x"/></testcase>"#
                    )
                } else {
                    format!(r#"<testcase classname="T" name="{name}" time="1"/>"#)
                }
            })
            .collect();
        let run = runs.join(format!("run-{}", i + 1));
        write(
            &run.join("junit.xml"),
            format!(r#"<testsuite name="T" tests="3">{cases}</testsuite>"#),
        );
        write(
            &run.join("run.json"),
            run_json(
                &format!("{}", i + 1),
                &format!("2026-10-0{}T02:00:00Z", i + 1),
            ),
        );
    }
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    let out = testsift()
        .args([
            "backtest",
            "priority",
            "--train-runs",
            "1",
            "--format",
            "json",
            "--store",
        ])
        .arg(&store)
        .output()
        .unwrap();
    assert_code(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["runs"], 3);
    assert_eq!(v["runs_replayed"], 2);
    assert_eq!(v["runs_scored"], 1);
    assert_eq!(v["faults"], 1);
    let apfd = |order: &str| {
        v["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["order"] == order)
            .unwrap_or_else(|| panic!("no {order} in {v}"))["mean_apfd"]
            .as_f64()
            .unwrap()
    };
    assert!((apfd("last-failed-first") - 5.0 / 6.0).abs() < 1e-9, "{v}");
    assert!((apfd("testsift") - 5.0 / 6.0).abs() < 1e-9, "{v}");
    assert!((apfd("optimal") - 5.0 / 6.0).abs() < 1e-9, "{v}");
    assert!((apfd("runner-order") - 0.5).abs() < 1e-9, "{v}");
}

#[test]
fn priority_backtest_table_and_markdown_on_the_example_history() {
    let table = ingest_and_run(
        "backtest",
        &[fixtures().join("history")],
        &[],
        &["priority", "--train-runs", "5"],
    );
    assert!(
        table.contains("25 runs in the window, the first 5 for training"),
        "{table}"
    );
    for order in [
        "optimal",
        "testsift",
        "last-failed-first",
        "most-failures",
        "runner-order",
        "random",
    ] {
        assert!(table.contains(order), "{order} missing:\n{table}");
    }
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
    let md = ingest_and_run(
        "backtest",
        &[fixtures().join("history")],
        &[],
        &["priority", "--train-runs", "5", "--format", "md"],
    );
    assert!(
        md.contains("| order | mean APFD | mean APFDc | to 1st failure |"),
        "{md}"
    );
}

#[test]
fn priority_backtest_with_nothing_to_score_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    assert_code(
        &ingest(&store, &[fixtures().join("history")], &["--quiet"]),
        0,
    );
    let out = testsift()
        .args(["backtest", "priority", "--train-runs", "1000", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("nothing was scored"),
        "{}",
        stderr(&out)
    );
}

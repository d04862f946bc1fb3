//! `testsift backtest priority` on the example history and on a hand-made one whose scores
//! were computed by hand.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Three runs of three tests. Run 1 trains: `b` fails. Run 2: `b` fails again, the only
/// failure, so ordering by the last outcome puts it first (APFD = 1 − 1/3 + 1/6 = 5/6), while
/// the runner's order (a, b, c) has it second (1 − 2/3 + 1/6 = 1/2). Run 3: all pass, not
/// scored.
/// `backtest priority --train-runs 1 --format json` with `extra` arguments, parsed.
fn priority_json(store: &Path, extra: &[&str]) -> Value {
    let out = testsift()
        .args([
            "backtest",
            "priority",
            "--train-runs",
            "1",
            "--format",
            "json",
        ])
        .args(extra)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap();
    assert_code(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap()
}

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
    let v = priority_json(&store, &[]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["runs"], 3);
    assert_eq!(v["runs_replayed"], 2);
    assert_eq!(v["runs_scored"], 1);
    assert_eq!(v["faults"], 1);
    // The four estimates' weights sum to 1, and the chain's two are `model_chain_weight`.
    let w = |k: &str| v["model_weights"][k].as_f64().unwrap();
    let chain = w("chain_recent") + w("chain_whole");
    assert!(
        (chain + w("rate_recent") + w("rate_whole") - 1.0).abs() < 1e-9,
        "{v}"
    );
    assert!(
        (chain - v["model_chain_weight"].as_f64().unwrap()).abs() < 1e-9,
        "{v}"
    );
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
    assert!(v.get("stage").is_none(), "no stage without --budget: {v}");

    // A first stage of one second: each test took 1 s, so it runs one test, b, which failed
    // last and fails again in run 2: caught. The random order's stage is not replayed.
    let v = priority_json(&store, &["--budget", "1s"]);
    let stage = &v["stage"];
    assert_eq!(stage["budget"]["seconds"], 1.0);
    assert_eq!(stage["runs_scored"], 1);
    for (i, order) in ["testsift", "last-failed-first"].iter().enumerate() {
        let o = &stage["orders"][i];
        assert_eq!(o["order"], *order, "{v}");
        assert_eq!(o["runs_caught"], 1, "{v}");
        assert_eq!(o["caught_share"], 1.0, "{v}");
        assert_eq!(o["mean_tests"], 1.0, "{v}");
        assert_eq!(o["mean_seconds"], 1.0, "{v}");
    }
    let out = testsift()
        .args([
            "backtest",
            "priority",
            "--train-runs",
            "1",
            "--budget",
            "1s",
            "--store",
        ])
        .arg(&store)
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert!(
        stdout(&out).contains(
            "A first stage of 1.00 s (--budget), in testsift's order, would have caught a \
             failure\nin 1 of 1 failing runs (100.0%), running 1.0 tests (1.00 s) on average;\n\
             in last-failed-first's order, in 1 (100.0%), running 1.0 tests."
        ),
        "{}",
        stdout(&out)
    );
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
    assert!(
        table.contains("Model weights at the end: chain 1.00 (")
            && table.contains("failure rate 0.00 (recent runs 0.00, all runs 0.00)."),
        "the example history's failures persist as the chain says:\n{table}"
    );
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
    // Each sentence of the summary is one line, ended by a Markdown line break.
    assert!(
        md.lines()
            .any(|l| l.starts_with("Model weights at the end: chain 1.00 (")
                && l.ends_with("all runs 0.00).")),
        "{md}"
    );
    assert!(md.contains("19 replayed.  \n"), "{md}");
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
    // No table of every order at 0.000: there is nothing to score them on.
    let shown = stdout(&out);
    assert!(shown.contains("No order is scored"), "{shown}");
    assert!(!shown.contains("mean APFD"), "{shown}");

    // The skip list and the shard split, with nothing replayed, say so instead of 0% figures.
    for (kind, absent) in [("skip", "Missed:"), ("shards", "testsift's split")] {
        let out = testsift()
            .args(["backtest", kind, "--train-runs", "1000", "--store"])
            .arg(&store)
            .output()
            .unwrap();
        assert_code(&out, 0);
        let shown = stdout(&out);
        assert!(shown.contains("Nothing replayed"), "{kind}: {shown}");
        assert!(!shown.contains(absent), "{kind}: {shown}");
    }
    // JSON gives what was not measured as null (or no order at all), not as 0.
    let json = |kind: &str| -> Value {
        let out = testsift()
            .args([
                "backtest",
                kind,
                "--train-runs",
                "1000",
                "--format",
                "json",
                "--store",
            ])
            .arg(&store)
            .output()
            .unwrap();
        assert_code(&out, 0);
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    let priority = json("priority");
    assert_eq!(priority["orders"], serde_json::json!([]), "{priority}");
    let skip = json("skip");
    assert!(
        skip["miss_rate"].is_null() && skip["saved_share"].is_null(),
        "{skip}"
    );
    let shards = json("shards");
    assert!(shards["mean_imbalance"].is_null(), "{shards}");
}

/// A test case of a generated report: name, seconds, failed.
type TestCase<'a> = (&'a str, f64, bool);
/// A run of a generated history: run key, variant (empty for none), its test cases.
type RunSpec<'a> = (&'a str, &'a str, Vec<TestCase<'a>>);

/// Writes run folders `run-N` (N from 1) with a run.json (run key `key`, `variant` when given)
/// and one report of the given (name, seconds, failed) test cases.
fn write_runs(root: &std::path::Path, runs: &[RunSpec<'_>]) {
    for (i, (key, variant, cases)) in runs.iter().enumerate() {
        let body: String = cases
            .iter()
            .map(|(name, seconds, failed)| {
                if *failed {
                    format!(
                        r#"<testcase classname="T" name="{name}" time="{seconds}"><failure message="x"/></testcase>"#
                    )
                } else {
                    format!(r#"<testcase classname="T" name="{name}" time="{seconds}"/>"#)
                }
            })
            .collect();
        let run = root.join(format!("run-{:02}", i + 1));
        write(
            &run.join("junit.xml"),
            format!(r#"<testsuite name="T">{body}</testsuite>"#),
        );
        let variant = if variant.is_empty() {
            String::new()
        } else {
            format!(r#", "variant": "{variant}""#)
        };
        write(
            &run.join("run.json"),
            format!(
                r#"{{"run_id": "{key}", "commit": "c{key}", "branch": "main", "timestamp": "2026-10-{:02}T02:00:00Z"{variant}}}"#,
                i + 1
            ),
        );
    }
}

fn backtest_json(store: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = testsift()
        .arg("backtest")
        .args(args)
        .args(["--format", "json", "--store"])
        .arg(store)
        .output()
        .unwrap();
    assert_code(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A store under `dir` of one run per entry of `fails` (run keys 1, 2, ...), each running
/// `tests` (name, seconds) with the names in that entry failing.
fn skip_history(dir: &Path, tests: &[(&str, f64)], fails: &[&[&str]]) -> PathBuf {
    let runs = dir.join("runs");
    let history: Vec<(String, &str, Vec<TestCase<'_>>)> = fails
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let cases = tests
                .iter()
                .map(|&(name, s)| (name, s, f.contains(&name)))
                .collect();
            (format!("{}", i + 1), "", cases)
        })
        .collect();
    let borrowed: Vec<RunSpec<'_>> = history
        .iter()
        .map(|(k, v, c)| (k.as_str(), *v, c.clone()))
        .collect();
    write_runs(&runs, &borrowed);
    let store = dir.join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    store
}

/// `backtest skip` after 3 training runs, every candidate with 3 runs skipped (no cut).
fn skip_every_candidate(store: &Path) -> Value {
    backtest_json(
        store,
        &[
            "skip",
            "--train-runs",
            "3",
            "--min-runs",
            "3",
            "--min-saving",
            "0",
            "--saving-share",
            "100",
        ],
    )
}

/// Issue 19: the skip list replayed, worked by hand. Tests a (2 s), b (1 s), c and d (10 ms);
/// runs 1-3 train (c fails alone in run 3: the cover needs it). Before run 4 the list is a, b,
/// d (3 runs each, never needed by the cover). Run 5: b fails alone, on the list: a missed run,
/// and the cover takes b, off the list, so its failure in run 6 is seen: caught 1 run later.
/// Run 7: a (listed) and c fail: seen through c. Lists a b d, a b d, a d, a d, a d: 2.4 tests
/// and 3.01 + 3.01 + 2.01 × 3 = 12.05 s saved over 5 runs of 3.02 s.
#[test]
fn skip_backtest_is_worked_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let fails: [&[&str]; 8] = [&[], &[], &["c"], &[], &["b"], &["b"], &["a", "c"], &[]];
    let tests = [("a", 2.0), ("b", 1.0), ("c", 0.01), ("d", 0.01)];
    let store = skip_history(dir.path(), &tests, &fails);
    let r = skip_every_candidate(&store);
    assert_eq!(r["runs_replayed"], 5, "{r:#}");
    assert_eq!(r["failure_runs"], 3);
    assert_eq!(r["missed_runs"], 1);
    assert!((r["miss_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(r["failed_tests"], 4);
    assert_eq!(r["failed_tests_skipped"], 2);
    assert!((r["mean_skipped_tests"].as_f64().unwrap() - 2.4).abs() < 1e-9);
    assert!((r["mean_seconds_saved"].as_f64().unwrap() - 12.05 / 5.0).abs() < 1e-9);
    assert!((r["saved_share"].as_f64().unwrap() - 12.05 / 15.1).abs() < 1e-9);
    assert_eq!(r["missed"][0]["run"], "5");
    assert_eq!(r["missed"][0]["tests"][0], "T::b");
    assert_eq!(r["missed"][0]["caught_after_runs"], 1);
    // The simple rules, given testsift's saving in each run: never-failed lists a b d, a b d,
    // a d, a d and then d alone (a failed in run 7); fewest-failures ends with d then a. Both
    // skip b in run 5, as testsift did.
    let rules = r["heuristics"].as_array().unwrap();
    assert_eq!(rules[0]["rule"], "never-failed");
    assert_eq!(rules[0]["missed_runs"], 1);
    assert!((rules[0]["saved_share"].as_f64().unwrap() - 10.05 / 15.1).abs() < 1e-9);
    assert_eq!(rules[1]["rule"], "fewest-failures");
    assert_eq!(rules[1]["missed_runs"], 1);
    assert!((rules[1]["saved_share"].as_f64().unwrap() - 12.05 / 15.1).abs() < 1e-9);
    // The default cut (each at least 0.5% of a run, the top 80% of the saving) leaves d out:
    // lists a b, a b, a, a, a.
    let r = backtest_json(&store, &["skip", "--train-runs", "3", "--min-runs", "3"]);
    assert!(
        (r["mean_skipped_tests"].as_f64().unwrap() - 1.4).abs() < 1e-9,
        "{r:#}"
    );
    assert_eq!(r["missed_runs"], 1);
}

/// Issue 19: tests that fail together are not all skipped. a (2 s), b (1 s) and c (10 ms);
/// a and b fail together in run 2 (training) and again in run 5. The cover keeps one test of
/// the event: b, which has as many failures for half the time. So the list of runs 4-6 is a
/// and c, and run 5's failure is seen through b. (Skipping every test with no unique catch
/// would have skipped a and b both and missed it.)
#[test]
fn skip_backtest_keeps_a_test_of_each_failure_event() {
    let dir = tempfile::tempdir().unwrap();
    let fails: [&[&str]; 6] = [&[], &["a", "b"], &[], &[], &["a", "b"], &[]];
    let store = skip_history(dir.path(), &[("a", 2.0), ("b", 1.0), ("c", 0.01)], &fails);
    let r = skip_every_candidate(&store);
    assert_eq!(r["runs_replayed"], 3, "{r:#}");
    assert_eq!(r["failure_runs"], 1);
    assert_eq!(r["missed_runs"], 0, "{r:#}");
    assert_eq!(r["failed_tests"], 2);
    assert_eq!(r["failed_tests_skipped"], 1, "a was on the list, b was not");
    assert!((r["mean_skipped_tests"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    assert!((r["mean_seconds_saved"].as_f64().unwrap() - 2.01).abs() < 1e-9);
}

/// Issue 19: the shard split replayed. Two pipelines, each run as two variants (the history's
/// split: x holds a and b, y holds c and d). Pipeline 1 trains; in pipeline 2 the times are
/// a 3 s, b 2 s, c 2 s, d 1 s: the history's split is 5 s and 3 s (longest 5 s, 1.25× the
/// mean), testsift's (longest first to the emptier shard) a+d and b+c, 4 s each.
#[test]
fn shards_backtest_compares_with_the_split_the_history_used() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let x = vec![("a", 3.0, false), ("b", 2.0, false)];
    let y = vec![("c", 2.0, false), ("d", 1.0, false)];
    write_runs(
        &runs,
        &[
            ("1", "x", x.clone()),
            ("1", "y", y.clone()),
            ("2", "x", x),
            ("2", "y", y),
        ],
    );
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    let r = backtest_json(&store, &["shards", "--train-runs", "1"]);
    assert_eq!(r["pipelines"], 2, "{r:#}");
    assert_eq!(r["pipelines_replayed"], 1);
    assert_eq!(r["sharded_pipelines"], 1);
    assert!((r["history_mean_critical_path_seconds"].as_f64().unwrap() - 5.0).abs() < 1e-9);
    assert!((r["history_mean_imbalance"].as_f64().unwrap() - 1.25).abs() < 1e-9);
    assert!((r["mean_critical_path_seconds"].as_f64().unwrap() - 4.0).abs() < 1e-9);
    assert!((r["mean_imbalance"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert!(r["mean_prediction_error"].as_f64().unwrap().abs() < 1e-9);
}

/// Issue 19: the same split, written as two report files of one job (shard-1 holds a and b,
/// shard-2 c and d) rather than as two variants. By variant the pipelines have no split of their
/// own; with `--current-split report` their report files are it, and the figures are those of
/// the test above.
#[test]
fn shards_backtest_takes_report_files_as_the_split_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    for run in 1..=2 {
        let folder = runs.join(format!("run-{run}"));
        for (shard, cases) in [(1, [("a", 3), ("b", 2)]), (2, [("c", 2), ("d", 1)])] {
            let body: String = cases
                .iter()
                .map(|(name, s)| format!(r#"<testcase classname="T" name="{name}" time="{s}"/>"#))
                .collect();
            write(
                &folder.join(format!("shard-{shard}/junit.xml")),
                format!(r#"<testsuite name="T">{body}</testsuite>"#),
            );
        }
        write(
            &folder.join("run.json"),
            format!(
                r#"{{"run_id": "{run}", "commit": "c{run}", "branch": "main", "timestamp": "2026-10-0{run}T02:00:00Z"}}"#
            ),
        );
    }
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    let by_variant = backtest_json(&store, &["shards", "--train-runs", "1", "--shards", "2"]);
    assert_eq!(by_variant["sharded_pipelines"], 0, "{by_variant:#}");
    let r = backtest_json(
        &store,
        &["shards", "--train-runs", "1", "--current-split", "report"],
    );
    assert_eq!(r["pipelines_replayed"], 1, "{r:#}");
    assert_eq!(r["sharded_pipelines"], 1);
    assert!((r["history_mean_critical_path_seconds"].as_f64().unwrap() - 5.0).abs() < 1e-9);
    assert!((r["history_mean_imbalance"].as_f64().unwrap() - 1.25).abs() < 1e-9);
    assert!((r["mean_critical_path_seconds"].as_f64().unwrap() - 4.0).abs() < 1e-9);
    assert!((r["mean_imbalance"].as_f64().unwrap() - 1.0).abs() < 1e-9);
}

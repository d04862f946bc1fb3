//! `testsift check` end to end: the gates over fixtures/history (whose ground truth is in its
//! README: two broken tests, one flaky test, nothing getting slower) and over that history plus
//! one new run in which a stable test needs a rerun to pass.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::process::Output;

fn check(store: &Path, args: &[&str]) -> Output {
    testsift()
        .arg("check")
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap()
}

fn history_store(dir: &Path) -> std::path::PathBuf {
    let store = dir.join("store");
    let out = ingest(&store, &[fixtures().join("history")], &["--quiet"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    store
}

#[test]
fn broken_gate_names_both_broken_tests_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let store = history_store(dir.path());
    let out = check(&store, &["--fail-on", "broken"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("check failed: broken: 2 tests are broken: "),
        "{err}"
    );
    // Runs 18–25 fail outright: the streak starts at run 18 (run_id 1018).
    assert!(
        err.contains("com.acme.shop.cart.CartServiceTest::applyCouponRejectsExpired [test] (since 1018, commit 2f87abe53e68)"),
        "{err}"
    );
    assert!(
        err.contains(
            "com.acme.shop.parser.OrderParserTest::rejectsMalformedCurrency [test] (since 1001"
        ),
        "{err}"
    );
}

#[test]
fn held_gates_exit_0_and_say_so_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let store = history_store(dir.path());
    let out = check(
        &store,
        &["--fail-on", "new-flaky,slower", "--max-flaky-rate", "0.05"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let text = stdout(&out);
    assert!(
        text.contains("ok: new-flaky: no test became flaky in the newest run"),
        "{text}"
    );
    assert!(text.contains("ok: slower: "), "{text}");
    assert!(text.contains("ok: flaky-rate: "), "{text}");
}

#[test]
fn a_stable_test_that_needs_a_rerun_in_the_newest_run_is_new_flaky() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    copy_dir(&fixtures().join("history"), &runs);
    // Run 26: run 24's reports on a new commit, a day after run 25, with addItemIncreasesTotal
    // (passing in all 25 runs) failing once and passing on Surefire's rerun.
    let run26 = runs.join("run-26");
    copy_dir(&runs.join("run-24"), &run26);
    let meta = fs::read_to_string(run26.join("run.json")).unwrap();
    let meta = meta
        .replace("\"1024\"", "\"1026\"")
        .replace("2026-10-22T02:00:00Z", "2026-10-24T02:00:00Z")
        .replace(
            "8ea62393bb3197549e57b29ca9502a6c15919714",
            "feedfacefeedfacefeedfacefeedfacefeedface",
        );
    fs::write(run26.join("run.json"), meta).unwrap();
    let cart = run26.join("reports/TEST-com.acme.shop.cart.CartServiceTest.xml");
    let xml = fs::read_to_string(&cart).unwrap();
    let flaky_case = concat!(
        r#"<testcase name="addItemIncreasesTotal" classname="com.acme.shop.cart.CartServiceTest" time="0.011">"#,
        r#"<flakyFailure message="expected:&lt;3&gt; but was:&lt;2&gt;" type="java.lang.AssertionError"/>"#,
        "</testcase>"
    );
    let changed = xml.replace(
        r#"<testcase name="addItemIncreasesTotal" classname="com.acme.shop.cart.CartServiceTest" time="0.011"/>"#,
        flaky_case,
    );
    assert_ne!(changed, xml, "run 24's report changed shape");
    fs::write(&cart, changed).unwrap();

    let store = dir.path().join("store");
    let out = ingest(&store, &[&runs], &["--quiet"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = check(&store, &["--fail-on", "new-flaky"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim_end(),
        "check failed: new-flaky: 1 test became flaky in the newest run: \
         com.acme.shop.cart.CartServiceTest::addItemIncreasesTotal [test]"
    );
    // Leaving out the two newest runs changes nothing: before them it was stable too.
    let out = check(&store, &["--fail-on", "new-flaky", "--new-runs", "2"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("in the newest 2 runs: "));
}

#[test]
fn bad_limits_and_missing_stores_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = check(&dir.path().join("none"), &[]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no history here yet"),
        "{}",
        stderr(&out)
    );
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a store").unwrap();
    let out = check(&file, &[]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("--store names a file"),
        "{}",
        stderr(&out)
    );
    let store = history_store(dir.path());
    let out = check(&store, &["--max-flaky-rate", "5"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("\"5\" is not a share between 0 and 1"),
        "{}",
        stderr(&out)
    );
    let out = check(&store, &["--fail-on", "flaky-rate"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("needs --max-flaky-rate"));
    let out = check(&store, &["--fail-on", "sluggish"]);
    assert_eq!(code(&out), 2);
}

/// Issue 18, point 7: a window with no runs is no evidence, and no gate may pass on it.
#[test]
fn the_gate_never_passes_on_an_empty_window() {
    let dir = tempfile::tempdir().unwrap();
    let store = history_store(dir.path());
    for (window, why) in [
        (
            ["--branch", "mian"],
            "no run is of branch mian (the store has runs of main)",
        ),
        (["--last-runs", "0"], "--last-runs 0 keeps no run"),
        (
            ["--since", "2030-01-01"],
            "no run is from 2030-01-01T00:00:00Z or later (the newest is from 2026-10-23T02:00:00Z)",
        ),
    ] {
        for gates in ["broken", "new-flaky", "slower", "broken,new-flaky,slower"] {
            let mut args = vec!["--fail-on", gates];
            args.extend(window);
            let out = check(&store, &args);
            assert_eq!(code(&out), 2, "{args:?}: {}", stdout(&out));
            assert_eq!(stdout(&out), "", "{args:?}");
            assert_eq!(
                stderr(&out),
                format!("testsift: nothing to check: the window is empty: {why}\n"),
                "{args:?}"
            );
        }
    }
    // For GitHub, also a workflow command on stdout, so the job's annotations say why.
    let out = check(&store, &["--format", "github", "--branch", "mian"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        stdout(&out),
        "::error title=testsift check::nothing to check: the window is empty: \
         no run is of branch mian (the store has runs of main)\n"
    );
    // A branch that is there still checks.
    let out = check(&store, &["--branch", "main", "--fail-on", "new-flaky"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// Issue 18, point 7: thresholds outside their range are refused before anything is read, by
/// every command that takes them.
#[test]
fn shares_outside_their_range_are_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let none = dir.path().join("none");
    let none = none.to_str().unwrap();
    let commands: [&[&str]; 6] = [
        &["flaky"],
        &["slow"],
        &["trim"],
        &["check"],
        &["select", "quarantine", "--runner", "plain"],
        &["report", "--out", none],
    ];
    for command in commands {
        for bad in ["0", "2", "NaN", "-0.5", "inf", "1.0001", "eighty"] {
            let out = testsift()
                .args(command)
                .args(["--store", none, &format!("--infra-threshold={bad}")])
                .output()
                .unwrap();
            assert_eq!(code(&out), 2, "{command:?} {bad}");
            let err = stderr(&out);
            assert!(
                err.contains(&format!("\"{bad}\" is not a share above 0 and at most 1")),
                "{command:?} {bad}: {err}"
            );
        }
    }
    for bad in ["-0.01", "1.5", "NaN", "-inf"] {
        let out = check(Path::new(none), &[&format!("--max-flaky-rate={bad}")]);
        assert_eq!(code(&out), 2, "{bad}");
        assert!(
            stderr(&out).contains(&format!("\"{bad}\" is not a share between 0 and 1")),
            "{bad}: {}",
            stderr(&out)
        );
    }
    // The edges that are shares are taken: the store is what is missing then.
    for good in [["--infra-threshold", "1"], ["--max-flaky-rate", "0"]] {
        let out = check(Path::new(none), &good);
        assert_eq!(code(&out), 2);
        assert!(
            stderr(&out).contains("no history here yet"),
            "{}",
            stderr(&out)
        );
    }
}

/// Four runs on four commits: `test_broken` (file and line given, as pytest's xunit1 writes)
/// passes in the first and fails in the three after, a streak of 3 up to the newest run, so it
/// is broken; `bad,name:50%` (no file) likewise, with characters GitHub's commands escape; six
/// tests always pass, so no run is an infrastructure failure.
fn located_history(dir: &Path) -> std::path::PathBuf {
    let h = dir.join("history");
    for i in 1..=4 {
        let fail = if i > 1 {
            r#"<failure message="boom"/>"#
        } else {
            ""
        };
        let mut xml = String::from("<?xml version=\"1.0\"?>\n<testsuite name=\"pytest\">\n");
        xml.push_str(&format!(
            "<testcase classname=\"tests.test_a\" name=\"test_broken\" file=\"tests/test_a.py\" \
             line=\"41\" time=\"0.1\">{fail}</testcase>\n\
             <testcase classname=\"tests.test_b\" name=\"bad,name:50%\" time=\"0.1\">{fail}</testcase>\n"
        ));
        for k in 0..6 {
            xml.push_str(&format!(
                "<testcase classname=\"tests.test_a\" name=\"test_ok_{k}\" file=\"tests/test_a.py\" \
                 line=\"{k}\" time=\"0.1\"/>\n"
            ));
        }
        xml.push_str("</testsuite>\n");
        let run = h.join(format!("run-{i}"));
        write(
            &run.join("run.json"),
            format!(
                "{{\"run_id\": \"{i}\", \"commit\": \"c{i}\", \"branch\": \"main\", \
                 \"timestamp\": \"2026-03-0{i}T02:00:00Z\"}}\n"
            ),
        );
        write(&run.join("junit.xml"), xml);
    }
    h
}

/// Issue 16, "Output for CI": the gate's result as versioned JSON and as GitHub workflow
/// commands, with the exit code of the text form.
#[test]
fn check_writes_json_and_github_commands() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = ingest(&store, &[located_history(dir.path())], &["--quiet"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let out = check(
        &store,
        &["--format", "json", "--fail-on", "broken,new-flaky"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["tripped"], true);
    assert_eq!(json["runs"], 4);
    let broken = &json["gates"][0];
    assert_eq!(broken["gate"], "broken");
    assert_eq!(broken["tripped"], true);
    assert!(
        broken["reason"]
            .as_str()
            .unwrap()
            .starts_with("2 tests are broken: "),
        "{broken}"
    );
    let tests = broken["tests"].as_array().unwrap();
    let by_id = |id: &str| {
        tests
            .iter()
            .find(|t| t["test_id"] == id)
            .unwrap_or_else(|| panic!("{id} missing: {tests:?}"))
    };
    let located = by_id("tests.test_a::test_broken");
    assert_eq!(located["file"], "tests/test_a.py");
    assert_eq!(located["line"], 41);
    assert_eq!(located["detail"], "broken since 2, commit c2");
    let unlocated = by_id("tests.test_b::bad,name:50%");
    assert_eq!(unlocated["file"], serde_json::Value::Null);
    assert_eq!(unlocated["line"], serde_json::Value::Null);
    let held = &json["gates"][1];
    assert_eq!(held["gate"], "new-flaky");
    assert_eq!(held["tripped"], false);
    assert_eq!(held["tests"], serde_json::json!([]));

    let out = check(
        &store,
        &["--format", "github", "--fail-on", "broken,new-flaky"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert!(
        lines.contains(
            &"::error file=tests/test_a.py,line=41,title=testsift check%3A broken::\
              tests.test_a::test_broken: broken since 2, commit c2 (broken)"
                .to_string()
        ),
        "{lines:#?}"
    );
    assert!(
        lines.contains(
            &"::error title=testsift check%3A broken::\
              tests.test_b::bad,name:50%25: broken since 2, commit c2 (broken)"
                .to_string()
        ),
        "{lines:#?}"
    );
    assert!(
        lines.contains(
            &"::notice title=testsift check%3A new-flaky::no test became flaky in the newest run"
                .to_string()
        ),
        "{lines:#?}"
    );
    assert_eq!(lines.len(), 3, "{lines:#?}");

    // Four days of history: `slower` has no prior week to compare with, so it cannot pass.
    let out = check(&store, &["--fail-on", "slower"]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert_eq!(
        stderr(&out),
        "testsift: nothing to check: the slower gate compares the last 7 days with the 7 \
         before, and no group has timed runs in both\n"
    );

    // All held: exit 0 in every format.
    for format in ["text", "json", "github"] {
        let out = check(&store, &["--format", format, "--fail-on", "new-flaky"]);
        assert_eq!(code(&out), 0, "{format}: {}", stderr(&out));
    }
}

/// Every run an infrastructure failure (all five tests fail in each): no test was judged, so
/// the flaky-based gates have no evidence and exit 2; `slower` alone still runs.
#[test]
fn a_window_of_infrastructure_failures_is_no_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("history");
    for i in 1..=3 {
        let mut xml = String::from("<?xml version=\"1.0\"?>\n<testsuite name=\"s\">\n");
        for k in 0..5 {
            xml.push_str(&format!(
                "<testcase classname=\"c\" name=\"t{k}\" time=\"0.1\"><error message=\"no db\"/></testcase>\n"
            ));
        }
        xml.push_str("</testsuite>\n");
        let run = h.join(format!("run-{i}"));
        write(
            &run.join("run.json"),
            format!(
                "{{\"run_id\": \"{i}\", \"commit\": \"c{i}\", \"branch\": \"main\", \
                 \"timestamp\": \"2026-03-0{i}T02:00:00Z\"}}\n"
            ),
        );
        write(&run.join("junit.xml"), xml);
    }
    let store = dir.path().join("store");
    let out = ingest(&store, &[&h], &["--quiet"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for gates in ["broken", "new-flaky", "broken,slower"] {
        let out = check(&store, &["--fail-on", gates]);
        assert_eq!(code(&out), 2, "{gates}: {}", stdout(&out));
        assert!(
            stderr(&out).starts_with(
                "testsift: nothing to check: all 3 runs in the window are infrastructure failures"
            ),
            "{gates}: {}",
            stderr(&out)
        );
    }
    let out = check(&store, &["--max-flaky-rate", "0.5", "--fail-on", "slower"]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
}

/// With `--format github`, a gate that cannot run (no history yet, as on a first CI run whose
/// tests did not write a report) says why as an `::error` command too, and exits 2.
#[test]
fn a_missing_history_is_an_error_annotation_with_format_github() {
    let dir = tempfile::tempdir().unwrap();
    let out = testsift()
        .args(["check", "--run", "--format", "github", "--store"])
        .arg(dir.path().join("nothing-here"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("::error title=testsift check::") && text.contains("nothing-here"),
        "{text}"
    );
}

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
    let store = history_store(dir.path());
    let out = check(&store, &["--max-flaky-rate", "5"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--max-flaky-rate 5 is not a share"));
    let out = check(&store, &["--fail-on", "flaky-rate"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("needs --max-flaky-rate"));
    let out = check(&store, &["--fail-on", "sluggish"]);
    assert_eq!(code(&out), 2);
}

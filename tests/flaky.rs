//! `testsift flaky` end to end: ingest the hand-built histories into a temporary store, run
//! `flaky --format json`, and compare with the verdicts and figures worked out by hand in
//! fixtures/flaky/README.md and fixtures/history/README.md.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

fn flaky_json(history: &Path, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = ingest(&store, &[history], &["--quiet"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = testsift()
        .arg("flaky")
        .arg("--store")
        .arg(&store)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn test<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no test {name}"))
}

fn close(v: &Value, expected: f64) {
    let x = v.as_f64().unwrap();
    assert!((x - expected).abs() < 1e-4, "{x} != {expected}");
}

fn decayed(ages: &[i32]) -> f64 {
    let total: f64 = (0..11).map(|k| 0.9f64.powi(k)).sum();
    ages.iter().map(|&a| 0.9f64.powi(a)).sum::<f64>() / total
}

#[test]
fn basic_history_verdicts() {
    let r = flaky_json(&fixtures().join("flaky/basic"), &[]);
    assert_eq!(r["schema_version"], 1);
    let expected = [
        ("stable", "stable"),
        ("lowRate", "flaky"),
        ("rerunOnly", "flaky"),
        ("retryOnly", "flaky"),
        ("brokenNow", "broken"),
        ("brokenFixed", "fixed"),
        ("alwaysFails", "broken"),
        ("testParse[1]", "stable"),
        ("testParse[2]", "flaky"),
        ("testParse[3]", "stable"),
        ("newTest", "new"),
        // Skipped in every run: its own verdict since the model of issue 14 (was
        // insufficient-data), with the first of those runs.
        ("ignored", "skipped"),
    ];
    assert_eq!(r["tests"].as_array().unwrap().len(), expected.len());
    for (name, verdict) in expected {
        let t = test(&r, name);
        assert_eq!(t["verdict"], verdict, "{name}");
        assert_eq!(t["classname"], "com.example.FixtureTest");
        assert_eq!(t["variant"], "test");
    }

    assert_eq!(test(&r, "ignored")["skipped_since"]["run"], "run-1");
    assert_eq!(r["summary"]["skipped"], 1);

    let t = test(&r, "lowRate");
    assert_eq!(
        (t["runs"].as_u64(), t["flips"].as_u64()),
        (Some(12), Some(2))
    );
    assert_eq!(t["transitions"], 11);
    close(&t["flip_rate"], 2.0 / 11.0);
    close(&t["flip_rate_decayed"], decayed(&[8, 7]));
    close(&t["flake_rate"], 1.0 / 12.0);
    close(&t["flake_rate_low"], 0.014_865);
    close(&t["flake_rate_high"], 0.353_880);
    assert_eq!(
        (t["retry_runs"].as_u64(), t["same_commit_commits"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(t["first_flaky"]["run"], "run-4");
    assert_eq!(t["fingerprints"][0]["count"], 1);
    assert_eq!(
        t["fingerprints"][0]["fingerprint"].as_str().unwrap().len(),
        16
    );
    close(&t["ci_seconds"], 1.0);

    let t = test(&r, "rerunOnly");
    assert_eq!(t["same_commit_commits"], 1);
    assert_eq!(t["retry_runs"], 0);
    close(&t["flip_rate_decayed"], decayed(&[6, 5]));
    close(&t["ci_seconds"], 6.0);

    let t = test(&r, "retryOnly");
    assert_eq!(
        (t["retry_runs"].as_u64(), t["flips"].as_u64()),
        (Some(2), Some(0))
    );
    close(&t["flake_rate"], 2.0 / 12.0);
    assert_eq!(t["first_flaky"]["run"], "run-3");
    assert_eq!(t["last_flaky"]["run"], "run-11");
    close(&t["ci_seconds"], 1.5);

    let t = test(&r, "testParse[2]");
    assert_eq!(t["family"], "com.example.FixtureTest::testParse");
    close(&t["flip_rate_decayed"], decayed(&[2, 1]));

    let t = test(&r, "brokenNow");
    assert_eq!(t["flips"], 0);
    assert_eq!(t["streak"]["first"]["run"], "run-9");
    assert_eq!(t["streak"]["first"]["commit"], "c09");
    assert_eq!(t["streak"]["length"], 4);
    assert!(t["streak"]["ended"].is_null());

    let t = test(&r, "brokenFixed");
    assert_eq!(t["flips"], 0);
    assert_eq!(t["streak"]["first"]["run"], "run-3");
    assert_eq!(t["streak"]["length"], 3);
    assert_eq!(t["streak"]["ended"]["run"], "run-6");

    let t = test(&r, "alwaysFails");
    assert_eq!(t["streak"]["length"], 12);
    assert_eq!(t["flaky_executions"], 0);

    assert_eq!(test(&r, "newTest")["runs"], 4);
    assert_eq!(test(&r, "ignored")["skipped"], 13);

    let infra = r["infrastructure_runs"].as_array().unwrap();
    assert_eq!(infra.len(), 1);
    assert_eq!(infra[0]["run"], "run-8");
    assert_eq!(
        (infra[0]["executed"].as_u64(), infra[0]["failed"].as_u64()),
        (Some(10), Some(9))
    );

    let s = &r["summary"];
    assert_eq!(s["runs"], 13);
    assert_eq!(s["first_run"], "run-1");
    assert_eq!(s["last_run"], "run-12");
    for (k, v) in [
        ("flaky", 4),
        ("broken", 2),
        ("fixed", 1),
        ("new", 1),
        ("insufficient_data", 0),
        ("skipped", 1),
        ("stable", 3),
        ("executions", 124),
        ("flaky_executions", 5),
        ("red_runs", 12),
        ("red_only_flaky_runs", 0),
    ] {
        assert_eq!(s[k], v, "{k}");
    }
    close(&s["flaky_executions_per_1000"], 5000.0 / 124.0);
}

#[test]
fn window_flags_cut_the_history() {
    // The newest 4 run keys: run-9 .. run-12. brokenNow fails in all of them; with
    // --min-runs 2 nothing else has enough evidence to be flaky except testParse[2].
    let r = flaky_json(
        &fixtures().join("flaky/basic"),
        &["--last-runs", "4", "--min-runs", "2"],
    );
    assert_eq!(r["summary"]["runs"], 4);
    assert_eq!(r["summary"]["first_run"], "run-9");
    assert_eq!(test(&r, "brokenNow")["verdict"], "broken");
    assert_eq!(test(&r, "testParse[2]")["verdict"], "flaky");
    assert_eq!(test(&r, "newTest")["verdict"], "stable");
    let r = flaky_json(&fixtures().join("flaky/basic"), &["--since", "2d"]);
    assert_eq!(r["summary"]["runs"], 3);
    let r = flaky_json(&fixtures().join("flaky/basic"), &["--branch", "dev"]);
    assert_eq!(r["summary"]["runs"], 0);
    assert_eq!(r["tests"].as_array().unwrap().len(), 0);
}

#[test]
fn shipped_history_verdicts() {
    let r = flaky_json(&fixtures().join("history"), &[]);
    let expected = [
        ("concurrentCheckoutKeepsStockConsistent", "flaky"),
        ("mergeGuestCartOnLogin", "flaky"),
        ("applyCouponRejectsExpired", "broken"),
        ("checkoutRejectsEmptyCart", "fixed"),
        ("rejectsMalformedCurrency", "broken"),
        ("parsesLegacyCsvFormat", "skipped"),
        ("addItemIncreasesTotal", "stable"),
        ("removeItemDecreasesTotal", "stable"),
        ("parsesIsoTimestamps", "stable"),
        ("testParse[1]", "stable"),
        ("testParse[2]", "stable"),
        ("testParse[3]", "stable"),
        ("rebuildsIndexFromScratch", "stable"),
    ];
    for (name, verdict) in expected {
        assert_eq!(test(&r, name)["verdict"], verdict, "{name}");
    }
    let infra = r["infrastructure_runs"].as_array().unwrap();
    assert_eq!(infra.len(), 1);
    assert_eq!(infra[0]["run"], "1011");

    // Fails in runs 3, 7, 12, 17, 24 and retries in 15; run 11 excluded: 24 executed runs.
    let t = test(&r, "concurrentCheckoutKeepsStockConsistent");
    assert_eq!(t["runs"], 24);
    assert_eq!(
        (t["retry_runs"].as_u64(), t["same_commit_commits"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(t["flips"], 10);
    close(&t["flip_rate"], 10.0 / 23.0);
    close(&t["flake_rate"], 6.0 / 24.0);
    assert_eq!(t["first_flaky"]["run"], "1003");
    assert_eq!(t["last_flaky"]["run"], "1024");

    let t = test(&r, "mergeGuestCartOnLogin");
    assert_eq!(
        (t["retry_runs"].as_u64(), t["same_commit_commits"].as_u64()),
        (Some(0), Some(2))
    );
    close(&t["flip_rate"], 4.0 / 23.0);

    let t = test(&r, "applyCouponRejectsExpired");
    assert_eq!(t["streak"]["first"]["run"], "1018");
    assert_eq!(t["streak"]["length"], 8);
    let t = test(&r, "checkoutRejectsEmptyCart");
    assert_eq!(t["streak"]["first"]["run"], "1005");
    assert_eq!(t["streak"]["length"], 4);
    assert_eq!(t["streak"]["ended"]["run"], "1009");
}

#[test]
fn every_format_renders() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = ingest(&store, &[fixtures().join("flaky/basic")], &["--quiet"]);
    assert!(out.status.success());
    for (format, needle) in [
        ("table", "failing for 4 runs since run-9 (c09)"),
        (
            "csv",
            "com.example.FixtureTest::lowRate,com.example.FixtureTest,lowRate,",
        ),
        (
            "md",
            "| flaky | com\\.example\\.FixtureTest\\:\\:testParse\\[2\\] |",
        ),
    ] {
        let out = testsift()
            .arg("flaky")
            .arg("--store")
            .arg(&store)
            .args(["--format", format])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(needle), "{format}:\n{text}");
    }
}

#[test]
fn renamed_test_and_flaky_pr_rate() {
    // fixtures/flaky/README.md, "renamed/": oldName is renamed to newName from run 7 on.
    let r = flaky_json(&fixtures().join("flaky/renamed"), &[]);
    let expected = [
        ("steady", "stable", 10),
        ("flakyOne", "flaky", 10),
        ("flakyTwo", "flaky", 10),
        ("brokenLate", "broken", 10),
        ("oldName", "stable", 6),
        ("newName", "new", 4),
    ];
    assert_eq!(r["tests"].as_array().unwrap().len(), expected.len());
    for (name, verdict, runs) in expected {
        let t = test(&r, name);
        assert_eq!(t["verdict"], verdict, "{name}");
        assert_eq!(t["runs"], runs, "{name}");
    }
    // Disappearing is neither a failure nor a flip.
    let old = test(&r, "oldName");
    assert_eq!(
        (old["flips"].as_u64(), old["failed"].as_u64()),
        (Some(0), Some(0))
    );
    assert!(old["streak"].is_null());

    let t = test(&r, "flakyOne");
    assert_eq!(
        (t["flips"].as_u64(), t["transitions"].as_u64()),
        (Some(4), Some(9))
    );
    close(&t["flake_rate"], 0.2);
    let t = test(&r, "flakyTwo");
    assert_eq!(
        (t["flips"].as_u64(), t["retry_runs"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(test(&r, "brokenLate")["streak"]["first"]["run"], "run-7");

    // Red runs: 2 (flakyTwo), 3 (flakyOne), 7-10 (brokenLate; flakyOne too in 8). Only runs 2
    // and 3 are red because of flaky tests alone: 2 of 10.
    let s = &r["summary"];
    for (k, v) in [
        ("runs", 10),
        ("infrastructure_runs", 0),
        ("red_runs", 6),
        ("red_only_flaky_runs", 2),
        ("executions", 50),
        ("flaky_executions", 4),
        ("stable", 2),
        ("flaky", 2),
        ("broken", 1),
        ("new", 1),
    ] {
        assert_eq!(s[k], v, "{k}");
    }
    close(&s["flaky_run_rate"], 0.2);
    close(&s["flaky_executions_per_1000"], 80.0);
}

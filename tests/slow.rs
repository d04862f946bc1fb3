//! `testsift slow` end to end: ingest the hand-built histories into a temporary store, run
//! `slow --format json`, and compare with the figures worked out by hand in
//! fixtures/slow/README.md and fixtures/history/README.md.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Ingests `paths` (with `ingest_args`) into a new store and runs `slow` on it with `args`.
fn slow_out(paths: &[PathBuf], ingest_args: &[&str], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut ia = vec!["--quiet"];
    ia.extend_from_slice(ingest_args);
    let out = ingest(&store, paths, &ia);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = testsift()
        .arg("slow")
        .arg("--store")
        .arg(&store)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    stdout(&out)
}

fn slow_json(history: &Path, args: &[&str]) -> Value {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    serde_json::from_str(&slow_out(&[history.to_path_buf()], &[], &a)).unwrap()
}

fn basic() -> PathBuf {
    fixtures().join("slow/basic")
}

fn group<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == name)
        .unwrap_or_else(|| panic!("no group {name}"))
}

fn close(v: &Value, expected: f64) {
    let x = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!((x - expected).abs() < 1e-4, "{x} != {expected}");
}

#[test]
fn basic_history_groups() {
    let r = slow_json(&basic(), &[]);
    assert_eq!(r["schema_version"], 1);
    close(&r["summary"]["total_seconds"], 50.0);
    let names: Vec<&str> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["com.example.Alpha", "com.example.Beta"]);

    let a = group(&r, "com.example.Alpha");
    assert_eq!(a["runs"], 6);
    close(&a["total_seconds"], 31.0);
    close(&a["share"], 0.62);
    close(&a["median_seconds"], 4.5);
    close(&a["p95_seconds"], 11.0);
    close(&a["slope_seconds_per_run"], 1.0);
    close(&a["recent_median_seconds"], 6.0);
    close(&a["prior_median_seconds"], 3.5);
    close(&a["change"], 6.0 / 3.5 - 1.0);
    assert_eq!(a["getting_slower"], true);

    let b = group(&r, "com.example.Beta");
    close(&b["total_seconds"], 19.0);
    close(&b["share"], 0.38);
    close(&b["median_seconds"], 3.0);
    close(&b["p95_seconds"], 4.0);
    close(&b["slope_seconds_per_run"], 0.0);
    close(&b["change"], 0.0);
    assert_eq!(b["getting_slower"], false);

    let r = slow_json(&basic(), &["--slower-threshold", "80"]);
    assert_eq!(group(&r, "com.example.Alpha")["getting_slower"], false);
}

#[test]
fn basic_history_tests_and_load() {
    let r = slow_json(&basic(), &[]);
    let tests = r["tests"].as_array().unwrap();
    let names: Vec<&str> = tests.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["a1", "b1", "a2"],
        "by median, the skipped b2 absent"
    );
    let expected = [
        (3.5, 10.0, 10.0, 0.765_245),
        (3.0, 4.0, 4.0, 0.128_921),
        (1.0, 1.0, 1.0, 0.0),
    ];
    for (t, (median, p95, max, cv)) in tests.iter().zip(expected) {
        assert_eq!(t["runs"], 6);
        assert_eq!(t["variant"], "test");
        close(&t["median_seconds"], median);
        close(&t["p95_seconds"], p95);
        close(&t["max_seconds"], max);
        close(&t["cv"], cv);
    }
    assert_eq!(tests[0]["classname"], "com.example.Alpha");

    let days = r["days"].as_array().unwrap();
    assert_eq!(days.len(), 6);
    let seconds = [5.0, 6.0, 7.0, 8.0, 10.0, 14.0];
    for (d, s) in days.iter().zip(seconds) {
        assert_eq!(d["runs"], 1);
        assert_eq!(d["executions"], 3);
        close(&d["test_hours"], s / 3600.0);
    }
    assert_eq!(days[4]["day"], "2026-03-13");
    let retries: Vec<u64> = days
        .iter()
        .map(|d| d["retries"].as_u64().unwrap())
        .collect();
    assert_eq!(retries, [0, 0, 0, 0, 1, 0]);
}

#[test]
fn window_and_grouping_flags() {
    let r = slow_json(&basic(), &["--last-runs", "3"]);
    assert_eq!(r["summary"]["runs"], 3);
    let a = group(&r, "com.example.Alpha");
    close(&a["slope_seconds_per_run"], 3.0);
    assert!(a["change"].is_null());
    assert_eq!(a["getting_slower"], false);

    // No report has a `file` attribute: everything lands in one group.
    let r = slow_json(&basic(), &["--by", "file"]);
    assert_eq!(r["groups"].as_array().unwrap().len(), 1);
    assert_eq!(r["groups"][0]["group"], "(none)");
    close(&r["groups"][0]["share"], 1.0);

    // The skipped b2 is a group of its own with no time, listed last.
    let r = slow_json(&basic(), &["--by", "family"]);
    let groups = r["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 4);
    assert_eq!(groups[0]["group"], "com.example.Alpha::a1");
    close(&groups[0]["total_seconds"], 25.0);
    assert_eq!(groups[3]["group"], "com.example.Beta::b2");
    close(&groups[3]["total_seconds"], 0.0);
}

#[test]
fn table_csv_and_markdown() {
    let paths = [basic()];
    let table = slow_out(&paths, &[], &["--top", "1"]);
    assert!(table.starts_with("6 runs (run-1 .. run-6)"), "{table}");
    assert!(table.contains("+71.4% getting slower"), "{table}");
    assert!(
        !table.contains("com.example.Beta "),
        "--top 1 hides Beta: {table}"
    );
    assert!(table.contains("2026-03-13"), "{table}");

    let csv = slow_out(&paths, &[], &["--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("group,runs,total_seconds,share"));
    assert!(
        lines[1].starts_with("com.example.Alpha,6,31.000000,0.620000,4.500000,11.000000,1.000000"),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with(",true"));

    let md = slow_out(&paths, &[], &["--format", "md"]);
    assert!(md.starts_with("# Where the CI time goes"));
    assert!(md.contains("| com.example.Alpha | 31.00 | 62.0% | 6 | 4.50 | 11.00 | +1.000 |"));
    assert!(md.contains("## CI load per day"));
}

/// fixtures/history: SearchIndexTest takes 1.3× its base time from run 13 (2026-10-12) on.
#[test]
fn history_search_suite_gets_slower() {
    let r = slow_json(&fixtures().join("history"), &[]);
    assert_eq!(r["summary"]["runs"], 25);
    assert_eq!(r["summary"]["infrastructure_runs"], 1, "run 11, the outage");
    let s = &r["groups"][0];
    assert_eq!(s["group"], "com.acme.shop.search.SearchIndexTest");
    assert_eq!(s["runs"], 24, "run 11 left out");
    assert!(s["share"].as_f64().unwrap() > 0.9);
    // ≈ 10 s → ≈ 12.8 s: a clearly positive trend, the steepest of the three suites.
    let slope = s["slope_seconds_per_run"].as_f64().unwrap();
    assert!(slope > 0.05, "{slope}");
    for g in &r["groups"].as_array().unwrap()[1..] {
        assert!(g["slope_seconds_per_run"].as_f64().unwrap().abs() < 0.01);
    }
    // The step is 11 days before the newest run: both 7-day periods are after it.
    assert_eq!(s["getting_slower"], false);
    let median = s["median_seconds"].as_f64().unwrap();
    assert!((12.0..13.2).contains(&median), "{median}");

    // Runs 1–16 only: the last 7 days (runs 9–16, some after the step) against the 7 before.
    let paths: Vec<PathBuf> = (1..=16)
        .map(|i| fixtures().join(format!("history/run-{i:02}")))
        .collect();
    let out = slow_out(&paths, &["--run-depth", "0"], &["--format", "json"]);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["summary"]["runs"], 16);
    let s = group(&r, "com.acme.shop.search.SearchIndexTest");
    let change = s["change"].as_f64().unwrap();
    assert!((0.2..0.35).contains(&change), "{change}");
    assert_eq!(s["getting_slower"], true);
    for name in [
        "com.acme.shop.cart.CartServiceTest",
        "com.acme.shop.parser.OrderParserTest",
    ] {
        assert_eq!(group(&r, name)["getting_slower"], false, "{name}");
    }

    let tests = r["tests"].as_array().unwrap();
    assert_eq!(tests[0]["name"], "rebuildsIndexFromScratch");
}

#[test]
fn slow_without_a_store_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = testsift()
        .arg("slow")
        .arg("--store")
        .arg(dir.path().join("none"))
        .output()
        .unwrap();
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("no history here yet"),
        "{}",
        stderr(&out)
    );
}

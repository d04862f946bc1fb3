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
    ingest_and_run("slow", paths, ingest_args, args)
}

fn slow_json(history: &Path, args: &[&str]) -> Value {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    serde_json::from_str(&slow_out(&[history.to_path_buf()], &[], &a)).unwrap()
}

fn basic() -> PathBuf {
    fixtures().join("slow/basic")
}

fn ci() -> PathBuf {
    fixtures().join("slow/ci")
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
    // The day table is cut to the newest day too.
    assert!(table.contains("2026-03-15"), "{table}");
    assert!(table.contains("… 5 earlier"), "{table}");

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
    // Durations in the unit a person reads; names through the Markdown escaper.
    assert!(
        md.contains("| com\\.example\\.Alpha | 31.00 s | 62.0% | 6 | 4.50 s | 11.00 s | +1.00 s |"),
        "{md}"
    );
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

/// fixtures/history: the 1.3× step of SearchIndexTest from run 13 is found where it happened,
/// for its three tests (the smallest step, 0.32 s, is over the floor: 2% of the median run's
/// 13.4 s); its three same-commit re-runs are waste.
#[test]
fn history_regressions_and_reruns() {
    let r = slow_json(&fixtures().join("history"), &[]);
    let regs = r["regressions"].as_array().unwrap();
    let names: Vec<&str> = regs.iter().map(|g| g["name"].as_str().unwrap()).collect();
    // Steps 5.67 → 7.12 s, 2.38 → 3.15 s and 1.23 → 1.55 s.
    assert_eq!(
        names,
        [
            "rebuildsIndexFromScratch",
            "incrementalUpdateIsVisible",
            "fuzzyQueryRanksExactMatchFirst"
        ]
    );
    close(&r["summary"]["regression_floor_seconds"], 0.26844);
    // With the old absolute floor, fuzzyQuery's 0.32 s step is below it.
    let old = slow_json(
        &fixtures().join("history"),
        &["--regression-min-seconds", "0.5"],
    );
    assert_eq!(old["regressions"].as_array().unwrap().len(), 2);
    for g in regs {
        assert_eq!(g["run"], "1013");
        assert_eq!(g["timestamp"], "2026-10-12T02:00:00Z");
        // Runs 1–12 less the outage, run 11; runs 13–25.
        assert_eq!(g["runs_before"], 11);
        assert_eq!(g["runs_after"], 13);
        let step = g["step"].as_f64().unwrap();
        assert!((0.2..0.4).contains(&step), "{step}");
    }
    // Runs 10 (1009#2), 17 (1017 on run 16's commit) and 21 (1020#2).
    assert_eq!(r["summary"]["reruns"], 3);
    let days: Vec<&str> = r["days"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["reruns"] == 1)
        .map(|d| d["day"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2026-10-09", "2026-10-16", "2026-10-19"]);
    // Its one flakyFailure has no `time`: no failed-attempt time is known.
    close(&r["summary"]["flaky_retry_seconds"], 0.0);
    // Reports in one folder per run: one shard each, nothing to balance.
    assert_eq!(r["sharding"]["sharded_runs"], 0);
    assert!(r["sharding"]["imbalance"].is_null());
    assert_eq!(
        r["run_shards"].as_array().unwrap().len(),
        24,
        "all but the outage"
    );
}

/// fixtures/slow/ci: waste = 3 s of flaky failed attempts + the 15 s re-run run-06#2.
#[test]
fn ci_history_waste() {
    let r = slow_json(&ci(), &[]);
    let s = &r["summary"];
    assert_eq!(s["runs"], 12);
    close(&s["total_seconds"], 160.0);
    assert_eq!(s["retries"], 3);
    assert_eq!(
        s["reruns"], 1,
        "run-06#2; the windows run-10 is another variant"
    );
    close(&s["flaky_retry_seconds"], 3.0);
    close(&s["rerun_seconds"], 15.0);
    close(&s["waste_seconds"], 18.0);

    let days = r["days"].as_array().unwrap();
    assert_eq!(days.len(), 10);
    let expected = [
        // day, runs, executions, test s, retries, re-runs, flaky retry s, re-run s
        ("2026-04-01", 1, 5, 11.0, 0, 0, 0.0, 0.0),
        ("2026-04-02", 1, 5, 11.0, 0, 0, 0.0, 0.0),
        ("2026-04-03", 1, 5, 13.0, 1, 0, 2.0, 0.0),
        ("2026-04-04", 1, 5, 19.0, 0, 0, 0.0, 0.0),
        ("2026-04-05", 1, 5, 11.0, 0, 0, 0.0, 0.0),
        ("2026-04-06", 2, 10, 30.0, 0, 1, 0.0, 15.0),
        ("2026-04-07", 1, 5, 15.0, 0, 0, 0.0, 0.0),
        ("2026-04-08", 1, 5, 14.0, 2, 0, 1.0, 0.0),
        ("2026-04-09", 1, 5, 13.0, 0, 0, 0.0, 0.0),
        ("2026-04-10", 2, 7, 23.0, 0, 0, 0.0, 0.0),
    ];
    for (d, (day, runs, execs, test_s, retries, reruns, flaky_s, rerun_s)) in
        days.iter().zip(expected)
    {
        assert_eq!(d["day"], day);
        assert_eq!(d["runs"], runs, "{day}");
        assert_eq!(d["executions"], execs, "{day}");
        close(&d["test_hours"], test_s / 3600.0);
        assert_eq!(d["retries"], retries, "{day}");
        assert_eq!(d["reruns"], reruns, "{day}");
        close(&d["flaky_retry_hours"], flaky_s / 3600.0);
        close(&d["rerun_hours"], rerun_s / 3600.0);
        close(&d["waste_hours"], (flaky_s + rerun_s) / 3600.0);
    }

    // Without run-06's first attempt in the window, run-06#2 is nobody's re-run.
    let r = slow_json(&ci(), &["--since", "2026-04-06T03:00:00Z"]);
    assert_eq!(r["summary"]["reruns"], 0);
    close(&r["summary"]["waste_seconds"], 1.0);
}

/// A persistent step (grows), one slow run (spike) and a slow spell that ended (bump): only
/// the first is a regression.
#[test]
fn ci_history_regressions() {
    let r = slow_json(&ci(), &[]);
    assert_eq!(r["options"]["regression_min_runs"], 5);
    close(&r["options"]["regression_min_step"], 0.2);
    close(&r["options"]["regression_min_seconds"], 0.5);
    let regs = r["regressions"].as_array().unwrap();
    assert_eq!(regs.len(), 1, "{regs:?}");
    let g = &regs[0];
    assert_eq!(g["test_id"], "com.example.Build::grows");
    assert_eq!(g["name"], "grows");
    assert_eq!(g["variant"], "linux");
    assert_eq!(g["run"], "run-06");
    assert_eq!(g["commit"], "c06");
    assert_eq!(g["timestamp"], "2026-04-06T02:00:00Z");
    assert_eq!(g["runs_before"], 5);
    assert_eq!(g["runs_after"], 6);
    close(&g["median_before_seconds"], 2.0);
    close(&g["median_after_seconds"], 4.0);
    close(&g["recent_median_seconds"], 4.0);
    close(&g["step_seconds"], 2.0);
    close(&g["step"], 1.0);

    // With 3 runs a side, spike and bump are still no regression (their medians say so).
    let r = slow_json(&ci(), &["--regression-min-runs", "3"]);
    let names: Vec<&str> = r["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["grows"]);
    assert_eq!(r["regressions"][0]["run"], "run-06");

    // Each threshold can rule the step out: 11 runs cannot give 6 + 6; +100% < +150%; 2 s < 2.5 s.
    for flags in [
        ["--regression-min-runs", "6"],
        ["--regression-min-step", "150"],
        ["--regression-min-seconds", "2.5"],
    ] {
        let r = slow_json(&ci(), &flags);
        assert_eq!(r["regressions"].as_array().unwrap().len(), 0, "{flags:?}");
    }

    // fixtures/slow/basic has 6 runs: nothing by default; with 3 a side, a1 1 2 3 | 4 5 10.
    let r = slow_json(&basic(), &[]);
    assert_eq!(r["regressions"].as_array().unwrap().len(), 0);
    let r = slow_json(&basic(), &["--regression-min-runs", "3"]);
    let regs = r["regressions"].as_array().unwrap();
    assert_eq!(regs.len(), 1);
    assert_eq!(regs[0]["name"], "a1");
    assert_eq!(regs[0]["run"], "run-4");
    close(&regs[0]["median_before_seconds"], 2.0);
    close(&regs[0]["median_after_seconds"], 5.0);
    close(&regs[0]["step"], 1.5);
}

/// Two shard folders per linux run; run-10 also has a windows job.
#[test]
fn ci_history_shards() {
    let r = slow_json(&ci(), &[]);
    let runs = r["run_shards"].as_array().unwrap();
    let expected = [
        // run, shard-1, shard-2, slowest, summed, critical, mean, imbalance, excess
        (
            "run-01",
            4.0,
            7.0,
            "shard-2",
            11.0,
            7.0,
            5.5,
            7.0 / 5.5 - 1.0,
            1.5,
        ),
        (
            "run-02",
            4.0,
            7.0,
            "shard-2",
            11.0,
            7.0,
            5.5,
            7.0 / 5.5 - 1.0,
            1.5,
        ),
        (
            "run-03",
            4.0,
            9.0,
            "shard-2",
            13.0,
            9.0,
            6.5,
            9.0 / 6.5 - 1.0,
            2.5,
        ),
        (
            "run-04",
            12.0,
            7.0,
            "shard-1",
            19.0,
            12.0,
            9.5,
            12.0 / 9.5 - 1.0,
            2.5,
        ),
        (
            "run-05",
            4.0,
            7.0,
            "shard-2",
            11.0,
            7.0,
            5.5,
            7.0 / 5.5 - 1.0,
            1.5,
        ),
        (
            "run-06",
            8.0,
            7.0,
            "shard-1",
            15.0,
            8.0,
            7.5,
            8.0 / 7.5 - 1.0,
            0.5,
        ),
        (
            "run-06#2",
            8.0,
            7.0,
            "shard-1",
            15.0,
            8.0,
            7.5,
            8.0 / 7.5 - 1.0,
            0.5,
        ),
        (
            "run-07",
            8.0,
            7.0,
            "shard-1",
            15.0,
            8.0,
            7.5,
            8.0 / 7.5 - 1.0,
            0.5,
        ),
        (
            "run-08",
            6.0,
            8.0,
            "shard-2",
            14.0,
            8.0,
            7.0,
            8.0 / 7.0 - 1.0,
            1.0,
        ),
        (
            "run-09",
            6.0,
            7.0,
            "shard-2",
            13.0,
            7.0,
            6.5,
            7.0 / 6.5 - 1.0,
            0.5,
        ),
    ];
    assert_eq!(runs.len(), 11);
    for (x, (run, s1, s2, slowest, summed, critical, mean, imbalance, excess)) in
        runs.iter().zip(expected)
    {
        assert_eq!(x["run"], run);
        assert_eq!(x["variants"], 1, "{run}");
        let shards = x["shards"].as_array().unwrap();
        assert_eq!(shards.len(), 2, "{run}");
        assert_eq!(shards[0]["shard"], "shard-1");
        close(&shards[0]["seconds"], s1);
        assert_eq!(shards[1]["shard"], "shard-2");
        close(&shards[1]["seconds"], s2);
        assert_eq!(x["slowest_shard"], slowest, "{run}");
        close(&x["summed_seconds"], summed);
        close(&x["critical_path_seconds"], critical);
        close(&x["mean_shard_seconds"], mean);
        close(&x["imbalance"], imbalance);
        close(&x["excess_seconds"], excess);
    }
    let last = &runs[10];
    assert_eq!(last["run"], "run-10");
    assert_eq!(last["variants"], 2);
    assert_eq!(last["commit"], "c10");
    let shards: Vec<(&str, f64)> = last["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["shard"].as_str().unwrap(), s["seconds"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        shards,
        [
            ("linux/shard-1", 6.0),
            ("linux/shard-2", 7.0),
            ("windows", 10.0)
        ]
    );
    assert_eq!(last["slowest_shard"], "windows");
    close(&last["summed_seconds"], 23.0);
    close(&last["critical_path_seconds"], 10.0);
    close(&last["mean_shard_seconds"], 23.0 / 3.0);
    close(&last["imbalance"], 30.0 / 23.0 - 1.0);
    close(&last["excess_seconds"], 10.0 - 23.0 / 3.0);

    let s = &r["sharding"];
    assert_eq!(s["sharded_runs"], 11);
    close(&s["summed_seconds"], 160.0);
    close(&s["critical_path_seconds"], 91.0);
    let mean_sum = 68.5 + 23.0 / 3.0;
    close(&s["excess_seconds"], 91.0 - mean_sum);
    close(&s["imbalance"], 91.0 / mean_sum - 1.0);
    close(&s["median_imbalance"], 12.0 / 9.5 - 1.0);
}

#[test]
fn ci_history_table_csv_and_markdown() {
    let paths = [ci()];
    let table = slow_out(&paths, &[], &["--top", "2"]);
    assert!(
        table.contains("\nwaste: 18.00 s (3.00 s in failed attempts of flaky tests, 15.00 s in 1 same-commit re-run); 3\n  retries\n"),
        "{table}"
    );
    assert!(table.contains("duration regressions (median stepped up and stayed up): 1"));
    assert!(
        table.contains(
            "\nshards: 11 runs with 2 or more; critical path 1.5 min of 2.7 min summed,\nimbalance 19.5% (median 26.3%), 14.83 s above balanced\n"
        ),
        "{table}"
    );
    // --top 2: the two runs furthest above balance (2.5 s each, in run order), then how many
    // more there are.
    let tail: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("run "))
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(tail, ["run-03", "run-04", "…"], "{table}");
    assert!(
        table.ends_with("\n… 9 more (use --top N or --wide)\n"),
        "{table}"
    );

    let csv = |t: &str| slow_out(&paths, &[], &["--format", "csv", "--csv-table", t]);
    let runs = csv("runs");
    let lines: Vec<&str> = runs.lines().collect();
    assert_eq!(lines.len(), 12);
    assert_eq!(
        lines[0],
        "run,timestamp,commit,variants,shards,summed_seconds,critical_path_seconds,slowest_shard,mean_shard_seconds,imbalance,excess_seconds"
    );
    assert_eq!(
        lines[11],
        "run-10,2026-04-10T02:00:00Z,c10,2,3,23.000000,10.000000,windows,7.666667,0.304348,2.333333"
    );
    let regs = csv("regressions");
    assert_eq!(regs.lines().count(), 2);
    assert!(regs.lines().nth(1).unwrap().starts_with("com.example.Build::grows,com.example.Build,grows,linux,run-06,c06,2026-04-06T02:00:00Z,5,6,2.000000,4.000000,4.000000,2.000000,1.000000"));
    let days = csv("days");
    assert!(
        days.contains("\n2026-04-06,2,10,0.008333,0,1,0.000000,0.004167,0.004167\n"),
        "{days}"
    );
    assert_eq!(csv("tests").lines().count(), 8);
    assert_eq!(csv("groups").lines().count(), 3);

    let md = slow_out(&paths, &[], &["--format", "md"]);
    assert!(md.contains("## Duration regressions"));
    assert!(
        md.contains(
            "| com\\.example\\.Build\\:\\:grows | linux | run\\-06 | c06 | 2.00 s | 4.00 s | +2.00 s | +100.0% |"
        ),
        "{md}"
    );
    assert!(md.contains("## Shards"));
    assert!(
        md.contains("| run\\-10 | 3 | 23.00 s | 10.00 s | windows | 7.67 s | 30.4% | 2.33 s |"),
        "{md}"
    );
}

/// The window is read a batch of stored rows at a time; many small batches (reports, tests and
/// runs cut across them) give the result of one.
#[test]
fn batches_do_not_change_the_result() {
    use testsift::analysis::slow::{SlowOptions, slow_in_batches};
    use testsift::analysis::window::WindowSpec;
    let three = SlowOptions {
        regression_min_runs: 3,
        ..SlowOptions::default()
    };
    // The last store has two segments (two ingests): slices cut across them.
    for (histories, options) in [
        (vec![ci()], SlowOptions::default()),
        (vec![fixtures().join("history")], three.clone()),
        (vec![basic(), ci()], three),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        for history in &histories {
            let out = ingest(&store, &[history], &["--quiet"]);
            assert!(out.status.success(), "{}", stderr(&out));
        }
        let store = testsift::store::Store::at(&store);
        let window = WindowSpec::default();
        let whole = slow_in_batches(&store, &window, &options, 1 << 20).unwrap();
        let whole = serde_json::to_value(&whole).unwrap();
        for rows in [1, 7, 64] {
            let sliced = slow_in_batches(&store, &window, &options, rows).unwrap();
            same(&whole, &serde_json::to_value(&sliced).unwrap(), "");
        }
        assert!(!whole["regressions"].as_array().unwrap().is_empty());
    }
}

/// Equal JSON, numbers within 1e-9 (relative).
fn same(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (k, v) in x {
                same(v, &y[k], &format!("{path}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                same(v, w, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                "{path}: {x} != {y}"
            );
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn regression_min_runs_must_be_positive() {
    let dir = tempfile::tempdir().unwrap();
    let out = testsift()
        .args(["slow", "--regression-min-runs", "0", "--store"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("--regression-min-runs"),
        "{}",
        stderr(&out)
    );
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

/// Issue 14: a step of 8 ms -> 110 ms in a 1.7 s suite (+6% of its time) is a regression: the
/// step floor is 0.5 s or 2% of the median run's test time, whichever is less; an explicit
/// `--regression-min-seconds` is the floor itself.
#[test]
fn a_small_step_in_a_short_suite_is_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    for r in 0..20 {
        let run = dir.path().join(format!("run-{r:02}"));
        write(
            &run.join("run.json"),
            run_json(&format!("run-{r:02}"), &format!("2026-03-01T{r:02}:00:00Z")),
        );
        let grows = if r < 10 { 0.008 } else { 0.110 };
        let mut xml = String::from("<testsuite name=\"small\">\n");
        for t in 0..17 {
            xml.push_str(&format!(
                "<testcase classname=\"small\" name=\"steady{t}\" time=\"0.1\"/>\n"
            ));
        }
        xml.push_str(&format!(
            "<testcase classname=\"small\" name=\"grows\" time=\"{grows}\"/>\n</testsuite>\n"
        ));
        write(&run.join("TEST-small.xml"), xml);
    }
    let r = slow_json(dir.path(), &[]);
    let regs = r["regressions"].as_array().unwrap();
    assert_eq!(regs.len(), 1, "{r:#}");
    assert_eq!(regs[0]["name"], "grows");
    assert_eq!(regs[0]["run"], "run-10");
    // Ten runs hold 1.708 s of tests, ten 1.81 s: 2% of their median.
    close(
        &r["summary"]["regression_floor_seconds"],
        0.02 * (1.708 + 1.81) / 2.0,
    );
    let r = slow_json(dir.path(), &["--regression-min-seconds", "0.5"]);
    assert_eq!(r["regressions"].as_array().unwrap().len(), 0);
    close(&r["summary"]["regression_floor_seconds"], 0.5);
}

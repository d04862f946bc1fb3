//! `testsift trim` end to end: ingest the hand-built history fixtures/trim/basic into a
//! temporary store, run `trim --format json`, and compare with the events, greedy order and
//! curve worked out by hand in fixtures/trim/README.md.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;

/// Ingests fixtures/trim/basic into a new store and runs `trim` on it with `args`.
fn trim_out(args: &[&str]) -> String {
    ingest_and_run("trim", &[fixtures().join("trim/basic")], &[], args)
}

fn trim_json(args: &[&str]) -> Value {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    serde_json::from_str(&trim_out(&a)).unwrap()
}

fn close(v: &Value, expected: f64) {
    let x = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!((x - expected).abs() < 1e-9, "{x} != {expected}");
}

fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn events_follow_the_episode_and_event_rules() {
    let r = trim_json(&["--min-runs", "5"]);
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["summary"]["runs"], 10);
    assert_eq!(r["summary"]["infrastructure_runs"], 1);
    assert_eq!(r["summary"]["events"], 4);
    let events: Vec<(String, Vec<String>)> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let tests = e["tests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    t.as_str()
                        .unwrap()
                        .trim_start_matches("com.example.Trim::")
                        .to_string()
                })
                .collect();
            (e["run"].as_str().unwrap().to_string(), tests)
        })
        .collect();
    let expected: Vec<(String, Vec<String>)> = [
        ("run-3", vec!["a@test", "b@test"]),
        ("run-5", vec!["f@test"]),
        ("run-6", vec!["b@test", "c@test", "d@test"]),
        ("run-9", vec!["d@test", "e@test"]),
    ]
    .into_iter()
    .map(|(run, t)| (run.to_string(), t.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(events, expected);
}

#[test]
fn greedy_order_and_curve() {
    let r = trim_json(&["--min-runs", "5"]);
    assert_eq!(names(&r["tests"]), ["e", "a", "c", "f", "d", "g", "b"]);
    let per_test: Vec<(f64, u64, Vec<u64>, u64, u64, bool)> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["cost_seconds"].as_f64().unwrap(),
                t["runs"].as_u64().unwrap(),
                t["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_u64().unwrap())
                    .collect(),
                t["unique_events"].as_u64().unwrap(),
                t["new_events"].as_u64().unwrap(),
                t["kept"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        per_test,
        vec![
            (0.5, 8, vec![4], 0, 1, true),
            (1.0, 9, vec![1], 0, 1, true),
            (2.0, 9, vec![3], 0, 1, true),
            (3.0, 9, vec![2], 1, 1, true),
            (8.0, 9, vec![3, 4], 0, 0, false),
            (6.0, 9, vec![], 0, 0, false),
            (4.0, 9, vec![1, 3], 0, 0, false),
        ]
    );
    // Cumulative cost 0.5, 1.5, 3.5, 6.5, 14.5, 20.5, 24.5 of 24.5 s; events 1, 2, 3, 4 of 4.
    let curve = r["curve"].as_array().unwrap();
    let expected = [
        (0.0, 0.0),
        (0.5, 1.0),
        (1.5, 2.0),
        (3.5, 3.0),
        (6.5, 4.0),
        (14.5, 4.0),
        (20.5, 4.0),
        (24.5, 4.0),
    ];
    assert_eq!(curve.len(), expected.len());
    for (p, (cost, events)) in curve.iter().zip(expected) {
        close(&p["cost_share"], cost / 24.5);
        close(&p["event_share"], events / 4.0);
    }
    close(&r["summary"]["kept_cost_share"], 6.5 / 24.5);
}

#[test]
fn candidates_bounds_advice_and_headline() {
    let r = trim_json(&["--min-runs", "5"]);
    assert_eq!(names(&r["candidates"]), ["d", "g", "b"]);
    let advice: Vec<&str> = r["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["advice"].as_str().unwrap())
        .collect();
    assert_eq!(
        advice,
        ["move-to-nightly", "review-for-deletion", "move-to-nightly"]
    );
    let bound = 1.0 - 0.05f64.powf(1.0 / 9.0);
    for c in r["candidates"].as_array().unwrap() {
        close(&c["detection_rate_upper"], bound);
    }
    // d: 9 runs of 8 s over a 9-day window: 72 s / (9/7 weeks) = 56 s/week.
    close(&r["candidates"][0]["hours_per_week"], 56.0 / 3600.0);
    // 162 s of d, g and b per 9/7 weeks = 126 s/week = 0.035 h.
    close(&r["summary"]["redundant_hours_per_week"], 0.035);
    assert_eq!(
        r["summary"]["headline"],
        "26.5% of the test time caught 100% of the 4 failure events in the window; the other \
         73.5% (3 tests, 0.03 hours/week) caught none that the rest did not"
    );
}

#[test]
fn min_runs_keeps_tests_seen_too_rarely() {
    let r = trim_json(&[]);
    assert_eq!(r["options"]["min_runs"], 50);
    assert_eq!(r["candidates"].as_array().unwrap().len(), 0);
    assert!(
        r["tests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["advice"] == "keep")
    );
}

#[test]
fn window_and_other_formats() {
    // The last 5 runs (6..10) hold events 3 and 4 only; run-2 (infrastructure) is outside.
    let r = trim_json(&["--min-runs", "5", "--last-runs", "5"]);
    assert_eq!(r["summary"]["events"], 2);
    assert_eq!(r["summary"]["infrastructure_runs"], 0);
    // Every failing test of the fixture but e is flaky by flaky's rules (retry, same commit,
    // or flips) and none has a streak of three; e, clean until its failure in the newest run,
    // is broken: its detection is the one event left, and e is kept.
    let r = trim_json(&[
        "--min-runs",
        "5",
        "--exclude-flaky",
        "--saving-share",
        "100",
    ]);
    assert_eq!(r["summary"]["events"], 1);
    assert_eq!(names(&r["candidates"]), ["d", "g", "b", "f", "c", "a"]);
    // By default only the candidates making up the top 80% of the saving are listed.
    let r = trim_json(&["--min-runs", "5", "--exclude-flaky"]);
    assert_eq!(names(&r["candidates"]), ["d", "g", "b", "f"]);
    assert_eq!(r["summary"]["unlisted_candidates"], 2);
    let table = trim_out(&["--min-runs", "5"]);
    assert!(table.starts_with("26.5% of the test time"), "{table}");
    assert!(table.contains("review-for-deletion"), "{table}");
    let csv = trim_out(&["--min-runs", "5", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 8);
    assert!(csv.starts_with("rank,test_id,variant,"), "{csv}");
    let md = trim_out(&["--min-runs", "5", "--format", "md"]);
    assert!(md.contains("## Trim candidates"), "{md}");
}

/// Issue 14: on a 140-test project where almost nothing fails, a candidate must be worth acting
/// on: the five 2-second tests are listed, the 134 tests of 10 ms (0.1% of a run each) are
/// counted but not listed, and the table says so.
#[test]
fn only_candidates_worth_acting_on_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    for r in 0..60 {
        let run = dir.path().join(format!("run-{r:02}"));
        write(
            &run.join("run.json"),
            run_json(
                &format!("run-{r:02}"),
                &format!("2026-03-{:02}T{:02}:00:00Z", 1 + r / 24, r % 24),
            ),
        );
        let mut xml = String::from("<testsuite name=\"app\">\n");
        for t in 0..5 {
            xml.push_str(&format!(
                "<testcase classname=\"app\" name=\"big{t}\" time=\"2\"/>\n"
            ));
        }
        for t in 0..134 {
            xml.push_str(&format!(
                "<testcase classname=\"app\" name=\"small{t}\" time=\"0.01\"/>\n"
            ));
        }
        // The one test that ever fails, in two runs.
        if r == 20 || r == 40 {
            xml.push_str("<testcase classname=\"app\" name=\"guard\" time=\"0.01\"><failure message=\"x\"/></testcase>\n");
        } else {
            xml.push_str("<testcase classname=\"app\" name=\"guard\" time=\"0.01\"/>\n");
        }
        xml.push_str("</testsuite>\n");
        write(&run.join("TEST-app.xml"), xml);
    }
    let json = ingest_and_run("trim", &[dir.path()], &[], &["--format", "json"]);
    let r: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["summary"]["redundant_tests"], 139);
    assert_eq!(
        names(&r["candidates"]),
        ["big0", "big1", "big2", "big3", "big4"]
    );
    assert_eq!(r["summary"]["unlisted_candidates"], 134);
    let table = ingest_and_run("trim", &[dir.path()], &[], &[]);
    assert!(
        table.contains("134 more tests the cover did not need save too little to list"),
        "{table}"
    );
    // Every candidate, with the cut lowered.
    let json = ingest_and_run(
        "trim",
        &[dir.path()],
        &[],
        &[
            "--format",
            "json",
            "--min-saving",
            "0",
            "--saving-share",
            "100",
        ],
    );
    let r: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["candidates"].as_array().unwrap().len(), 139);
}

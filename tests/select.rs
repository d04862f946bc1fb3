//! `testsift select` end to end: selections on hand-built histories, the runner formats on
//! hostile names, and real runs of pytest, jest and cargo-nextest with the exported lists on
//! the tiny projects in tests/runners/ (see its README).

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Ingests `history` into `store` and checks it worked.
fn ingest_ok(store: &Path, history: &Path) {
    let out = ingest(store, &[history], &["--quiet"]);
    assert_code(&out, 0);
}

/// Runs `testsift select ARGS --store STORE` and returns its output.
fn select(store: &Path, args: &[&str]) -> std::process::Output {
    testsift()
        .arg("select")
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap()
}

fn select_ok(store: &Path, args: &[&str]) -> String {
    let out = select(store, args);
    assert_code(&out, 0);
    stdout(&out)
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
}

/// A report of (classname, name, seconds, failed) cases.
fn junit(cases: &[(&str, &str, f64, bool)]) -> String {
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"s\">\n");
    for (class, name, time, failed) in cases {
        xml.push_str(&format!(
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{time}\">{}</testcase>\n",
            escape_xml(class),
            escape_xml(name),
            if *failed {
                "<failure message=\"boom\"/>"
            } else {
                ""
            }
        ));
    }
    xml.push_str("</testsuite>\n");
    xml
}

/// A run folder with a run.json (run id, commit, timestamp, variant) and one report.
fn run_folder(dir: &Path, run: &str, commit: &str, day: u32, variant: &str, report: &str) {
    let folder = if variant.is_empty() {
        dir.join(run)
    } else {
        dir.join(format!("{run}-{variant}"))
    };
    write(
        &folder.join("run.json"),
        format!(
            "{{\"run_id\": \"{run}\", \"commit\": \"{commit}\", \"branch\": \"main\", \
             \"timestamp\": \"2026-03-{day:02}T02:00:00Z\", \"variant\": \"{variant}\"}}\n"
        ),
    );
    write(&folder.join("junit.xml"), report);
}

/// `--only` writes the list that runs just the quarantined tests: every other test of the
/// window is excluded (here in Surefire's excludes file), none of the quarantined ones.
#[test]
fn quarantine_only_runs_just_the_quarantined_tests() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_ok(&store, &fixtures().join("flaky/basic"));
    let out = select(&store, &["quarantine", "--runner", "maven", "--only"]);
    assert_code(&out, 0);
    let excluded: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    assert_eq!(
        excluded,
        [
            "com.example.FixtureTest#alwaysFails",
            "com.example.FixtureTest#brokenFixed",
            "com.example.FixtureTest#brokenNow",
            "com.example.FixtureTest#ignored",
            "com.example.FixtureTest#newTest",
            "com.example.FixtureTest#stable",
            "**/*$*",
        ]
    );
    assert!(
        stderr(&out).contains("--only: the list runs just these, excluding the other 8"),
        "{}",
        stderr(&out)
    );
    let out = select(&store, &["priority", "--runner", "maven", "--only"]);
    assert_code(&out, 2);
}

#[test]
fn quarantine_lists_the_flaky_tests() {
    // fixtures/flaky/README.md works out the verdicts by hand: these four are flaky.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_ok(&store, &fixtures().join("flaky/basic"));
    let out = select(&store, &["quarantine", "--runner", "plain"]);
    assert_code(&out, 0);
    assert_eq!(
        stdout(&out).lines().collect::<Vec<_>>(),
        [
            "com.example.FixtureTest::lowRate",
            "com.example.FixtureTest::rerunOnly",
            "com.example.FixtureTest::retryOnly",
            "com.example.FixtureTest::testParse[2]",
        ]
    );
    assert!(stderr(&out).contains("4 of 12 tests selected to quarantine"));
    let json: Value =
        serde_json::from_str(&select_ok(&store, &["quarantine", "--runner", "json"])).unwrap();
    assert_eq!(json["schema_version"], 1);
    let retry = &json["tests"][2];
    assert_eq!(retry["name"], "retryOnly");
    assert_eq!(retry["reason"], "flaky");
    assert!(
        retry["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("retry"))
    );
}

#[test]
fn skip_lists_the_trim_candidates() {
    // fixtures/trim/README.md: with --min-runs 5 the candidates are d, g, b.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_ok(&store, &fixtures().join("trim/basic"));
    let out = select_ok(&store, &["skip", "--runner", "plain", "--min-runs", "5"]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "com.example.Trim::d",
            "com.example.Trim::g",
            "com.example.Trim::b"
        ]
    );
    let none = select_ok(&store, &["skip", "--runner", "plain"]);
    assert_eq!(none, "", "no candidate with the default 50 runs");
}

/// Three runs, each split into variants `a` and `b` with disjoint tests (a sharded CI):
///
/// | test | r1 | r2 | r3 | median |
/// |---|---|---|---|---|
/// | a::A1 | 8 | 10 | 12 | 10 |
/// | a::A2 | 6 | 6 | 6 (fails) | 6 |
/// | a::A3 | 4 (fails) | 4 | 4 | 4 |
/// | b::B1 | 2 | 2 | 2 | 2 |
/// | b::B2 | 1 | 1 | 1 | 1 |
/// | b::B3 | - | - | 0.5 | 0.5 |
fn sharded_history(dir: &Path) -> PathBuf {
    let h = dir.join("history");
    for (i, run) in ["r1", "r2", "r3"].iter().enumerate() {
        let a1 = [8.0, 10.0, 12.0][i];
        run_folder(
            &h,
            run,
            &format!("c{i}"),
            i as u32 + 1,
            "a",
            &junit(&[
                ("a", "A1", a1, false),
                ("a", "A2", 6.0, i == 2),
                ("a", "A3", 4.0, i == 0),
            ]),
        );
        let mut b = vec![("b", "B1", 2.0, false), ("b", "B2", 1.0, false)];
        if i == 2 {
            b.push(("b", "B3", 0.5, false));
        }
        run_folder(&h, run, &format!("c{i}"), i as u32 + 1, "b", &junit(&b));
    }
    h
}

fn close(v: &Value, expected: f64) {
    let x = v.as_f64().unwrap();
    assert!((x - expected).abs() < 1e-6, "{x} != {expected}");
}

#[test]
fn priority_orders_by_the_models_chance_then_cheapest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_ok(&store, &sharded_history(dir.path()));
    let out = select_ok(&store, &["priority", "--runner", "plain"]);
    // docs/select.md works this history by hand. Runs in window order r1/a, r1/b, r2/a, r2/b,
    // r3/a, r3/b: 16 executions, 2 failed, overall rate R = (2 + 1) / (16 + 2) = 1/6.
    // The chain: one failure has been followed by a run (A3's, which passed): everyone's chance
    // that a failure persists is (0 + 1) / (1 + 2) = 1/3; 9 runs followed a pass and 1 of them
    // failed (A2's last): Q = (1 + 1/6) / (9 + 1) = 7/60. A2 failed last, with no record of
    // its own: 1/3. B3 has no run after a pass: Q. A3 passed once after a pass:
    // (0 + 2Q) / (1 + 2) = 7/90. A1, B1, B2 passed twice after a pass: 2Q / (0.9 + 1 + 2)
    // over recent runs (weights 0.9 and 1), 2Q / (2 + 2) over all runs alike.
    // Per test (A2, A3, B3, A1): [chain recent, chain whole, rate recent, rate whole].
    let parts = [
        [
            1.0 / 3.0,
            1.0 / 3.0,
            (1.0 + 2.0 / 6.0) / 4.71,
            (1.0 + 2.0 / 6.0) / 5.0,
        ],
        [
            7.0 / 90.0,
            7.0 / 90.0,
            (0.81 + 2.0 / 6.0) / 4.71,
            (1.0 + 2.0 / 6.0) / 5.0,
        ],
        [7.0 / 60.0, 7.0 / 60.0, (2.0 / 6.0) / 3.0, (2.0 / 6.0) / 3.0],
        [
            (7.0 / 30.0) / 3.9,
            (7.0 / 30.0) / 4.0,
            (2.0 / 6.0) / 4.71,
            (2.0 / 6.0) / 5.0,
        ],
    ];
    // The rate: A2 failed in its newest of three runs (recent weights 1, 0.9, 0.81, sum
    // 2.71), A3 in its oldest, A1 never; B3 ran once; smoothed with 2R.
    // The weights: the log of the chance each estimate gave each outcome of a test that had
    // run before, summed over r2/a .. r3/b. The chain's two memories gave the same chances in
    // those runs. docs/select.md's table: (executions, failed, [chain, rate recent, rate whole]).
    let scored: [(f64, bool, [f64; 3]); 7] = [
        (2.0, false, [2.0 / 7.0, 4.0 / 21.0, 4.0 / 21.0]),
        (1.0, false, [1.0 / 2.0, 11.0 / 21.0, 11.0 / 21.0]),
        (2.0, false, [1.0 / 15.0, 2.0 / 15.0, 2.0 / 15.0]),
        (1.0, false, [1.0 / 45.0, 10.0 / 117.0, 1.0 / 12.0]),
        (1.0, true, [1.0 / 45.0, 10.0 / 117.0, 1.0 / 12.0]),
        (1.0, false, [1.0 / 30.0, 37.0 / 117.0, 1.0 / 3.0]),
        (2.0, false, [1.0 / 10.0, 4.0 / 39.0, 1.0 / 10.0]),
    ];
    let lambda = |e: usize| -> f64 {
        scored
            .iter()
            .map(|&(n, failed, p)| n * (if failed { p[e] } else { 1.0 - p[e] }).ln())
            .sum()
    };
    let (chain, rate_recent, rate_whole) = (lambda(0), lambda(1), lambda(2));
    assert!((chain + 5.578).abs() < 1e-3, "{chain}");
    let ll = [chain, chain, rate_recent, rate_whole];
    let total: f64 = ll.iter().map(|x| x.exp()).sum();
    let w = ll.map(|x| x.exp() / total);
    assert!((w[0] - 0.1384).abs() < 1e-4, "{w:?}");
    assert!((w[2] - 0.3693).abs() < 1e-4, "{w:?}");
    assert!((w[3] - 0.3539).abs() < 1e-4, "{w:?}");
    let chance = |i: usize| (0..4).map(|k| w[k] * parts[i][k]).sum::<f64>();
    // A2 0.291, A3 0.206, B3 0.113, then A1, B1, B2 0.066 each, cheapest first.
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["a::A2", "a::A3", "b::B3", "b::B2", "b::B1", "a::A1"]
    );
    // The summary on stderr says what the order is and what leads it.
    let err = stderr(&select(&store, &["priority", "--runner", "plain"]));
    assert!(
        err.contains("6 tests in order over 6 runs, the likeliest to fail first")
            && err.contains("first: \"a::A2\" (chance 0.29)"),
        "{err}"
    );
    let json: Value =
        serde_json::from_str(&select_ok(&store, &["priority", "--runner", "json"])).unwrap();
    close(&json["tests"][0]["score"], chance(0));
    assert_eq!(json["tests"][0]["reason"], "failing");
    close(&json["tests"][1]["score"], chance(1));
    assert_eq!(json["tests"][1]["reason"], "history");
    close(&json["tests"][2]["score"], chance(2));
    close(&json["tests"][5]["score"], chance(3));
    // An order cannot be given to a runner as an exclusion list.
    let out = select(&store, &["priority", "--runner", "maven"]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("use --runner plain, json or pytest"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn shards_balance_by_longest_time_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_ok(&store, &sharded_history(dir.path()));
    // Medians 10, 6, 4, 2, 1, 0.5 onto the lighter of two shards: 10→1, 6→2, 4→2, 2→1,
    // 1→2, 0.5→2: shard 1 = A1 + B1 = 12 s, shard 2 = A2 + A3 + B2 + B3 = 11.5 s.
    let out = select(&store, &["shards", "--count", "2", "--runner", "plain"]);
    assert_code(&out, 0);
    assert_eq!(
        stdout(&out),
        "# shard 1/2: 12.000 s predicted, 2 tests\na::A1\nb::B1\n\
         # shard 2/2: 11.500 s predicted, 4 tests\na::A2\na::A3\nb::B2\nb::B3\n"
    );
    let err = stderr(&out);
    // 12 / 11.75 − 1 = 2.1%; the current split of r3 is a 22 s, b 3.5 s measured:
    // 22 / 12.75 − 1 = 72.5%, and 20 / 11.75 − 1 = 70.2% from the medians.
    assert!(
        err.contains("12.000 s, 11.500 s predicted; imbalance 2.1%"),
        "{err}"
    );
    assert!(err.contains("current split of run \"r3\" by variant (\"a\", \"b\"): 22.000 s, 3.500 s measured; imbalance 72.5% measured, 70.2% predicted"), "{err}");
    let json: Value = serde_json::from_str(&select_ok(
        &store,
        &["shards", "--count", "2", "--runner", "json"],
    ))
    .unwrap();
    close(&json["shards"]["imbalance"], 12.0 / 11.75 - 1.0);
    close(&json["shards"]["current"]["imbalance"], 22.0 / 12.75 - 1.0);
    close(
        &json["shards"]["current"]["predicted_imbalance"],
        20.0 / 11.75 - 1.0,
    );
    // One shard for a runner: every other shard's tests excluded.
    let one = select_ok(
        &store,
        &[
            "shards", "--count", "2", "--shard", "1", "--runner", "nextest",
        ],
    );
    assert_eq!(
        one,
        "not ((binary_id(=a) & test(=A2)) | (binary_id(=a) & test(=A3)) | \
         (binary_id(=b) & test(=B2)) | (binary_id(=b) & test(=B3)))\n"
    );
    assert_eq!(
        select_ok(
            &store,
            &[
                "shards", "--count", "2", "--shard", "2", "--runner", "plain"
            ]
        ),
        "a::A2\na::A3\nb::B2\nb::B3\n"
    );
    // By class: a (20 s) and b (3.5 s).
    let by_class = select_ok(
        &store,
        &[
            "shards", "--count", "2", "--by", "class", "--runner", "plain",
        ],
    );
    assert!(
        by_class.starts_with("# shard 1/2: 20.000 s predicted, 3 tests\n"),
        "{by_class}"
    );
    for (args, message) in [
        (
            vec!["shards", "--count", "2", "--runner", "jest"],
            "pass --shard I (1 to 2)",
        ),
        (
            vec!["shards", "--count", "2", "--shard", "3", "--runner", "jest"],
            "there are 2 shards",
        ),
        (
            vec!["quarantine", "--shard", "1", "--runner", "plain"],
            "--shard needs `select shards`",
        ),
        (
            vec!["quarantine", "--shell", "--runner", "gradle"],
            "only as a file",
        ),
    ] {
        let out = select(&store, &args);
        assert_code(&out, 2);
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    let out = select(&store, &["shards", "--runner", "plain"]);
    assert_code(&out, 2);
}

#[test]
fn the_current_split_can_be_report_files() {
    // One run, no variants, two report files with disjoint tests (two CI jobs' artifacts in
    // one folder): x.xml 3 + 1 = 4 s, y.xml 2 s; 4 / 3 − 1 = 33.3%.
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("history");
    run_folder(
        &h,
        "r1",
        "c1",
        1,
        "",
        &junit(&[("X", "x1", 3.0, false), ("X", "x2", 1.0, false)]),
    );
    std::fs::rename(h.join("r1/junit.xml"), h.join("r1/x.xml")).unwrap();
    write(&h.join("r1/y.xml"), junit(&[("Y", "y1", 2.0, false)]));
    let store = dir.path().join("store");
    ingest_ok(&store, &h);
    let out = select(&store, &["shards", "--count", "2", "--runner", "plain"]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains(
            "no current split to compare with: no run in the window has several variants"
        ),
        "{}",
        stderr(&out)
    );
    let out = select(
        &store,
        &[
            "shards",
            "--count",
            "2",
            "--runner",
            "plain",
            "--current-split",
            "report",
        ],
    );
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(err.contains("by report file"), "{err}");
    assert!(
        err.contains("4.000 s, 2.000 s measured; imbalance 33.3% measured"),
        "{err}"
    );
    // LPT: 3 → 1, 2 → 2, 1 → 2: 3 s and 3 s.
    assert!(
        err.contains("3.000 s, 3.000 s predicted; imbalance 0.0%"),
        "{err}"
    );

    // Two variants running the same tests are platforms, not shards.
    let h = dir.path().join("platforms");
    for v in ["linux", "mac"] {
        run_folder(
            &h,
            "r1",
            "c1",
            1,
            v,
            &junit(&[("X", "x1", 1.0, false), ("X", "x2", 1.0, false)]),
        );
    }
    let store = dir.path().join("platforms-store");
    ingest_ok(&store, &h);
    let out = select(&store, &["shards", "--count", "2", "--runner", "plain"]);
    assert_code(&out, 0);
    assert!(
        stderr(&out)
            .contains("the variants of run \"r1\" share 2 tests: they are platforms, not shards"),
        "{}",
        stderr(&out)
    );
}

/// Hostile test names, each failing once and passing once on the same commit: all flaky.
/// Ten tests that always pass keep the failing run from looking like an infrastructure
/// failure (8 of 18 failed, under 80%).
fn hostile_history(dir: &Path) -> (PathBuf, Vec<String>) {
    let names: Vec<String> = vec![
        "<script>alert(1)</script>".into(),
        "x\" onload=\"alert(1)".into(),
        "back`tick`".into(),
        "$(touch pwned)".into(),
        "pipe|bar".into(),
        "it's".into(),
        "line\nbreak".into(),
        "a".repeat(3 * 1024),
    ];
    let h = dir.join("history");
    for (i, run) in ["r1", "r2"].iter().enumerate() {
        let cases: Vec<(&str, &str, f64, bool)> = names
            .iter()
            .map(|n| ("tiny-nextest", n.as_str(), 0.01, i == 1))
            .collect();
        let fillers: Vec<String> = (0..10).map(|k| format!("tests::passes_{k}")).collect();
        let cases: Vec<(&str, &str, f64, bool)> = cases
            .into_iter()
            .chain(
                fillers
                    .iter()
                    .map(|f| ("tiny-nextest", f.as_str(), 0.01, false)),
            )
            .collect();
        run_folder(&h, run, "c1", i as u32 + 1, "", &junit(&cases));
    }
    (h, names)
}

#[test]
fn hostile_names_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (history, names) = hostile_history(dir.path());
    ingest_ok(&store, &history);
    for runner in [
        "plain", "json", "pytest", "nextest", "maven", "gradle", "jest", "go",
    ] {
        let out = select(&store, &["quarantine", "--runner", runner]);
        assert_code(&out, 0);
        // Warnings name the tests with control characters escaped: one line each.
        for line in stderr(&out).lines() {
            assert!(line.starts_with("testsift: "), "{runner}: {line}");
        }
    }
    let json: Value =
        serde_json::from_str(&select_ok(&store, &["quarantine", "--runner", "json"])).unwrap();
    let listed: BTreeSet<&str> = json["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        listed == names.iter().map(String::as_str).collect(),
        "{} listed",
        listed.len()
    );
    // The shell form, read back by a real shell, gives one argument per deselected test and
    // runs nothing: `$(touch pwned)` stays text.
    let shell = select_ok(&store, &["quarantine", "--runner", "go", "--shell"]);
    let out = Command::new("sh")
        .current_dir(dir.path())
        .arg("-c")
        .arg(format!("printf '%s\\0' {shell}"))
        .output()
        .unwrap();
    let args: Vec<&str> = std::str::from_utf8(&out.stdout)
        .unwrap()
        .split_terminator('\0')
        .collect();
    assert_eq!(args.len(), 1);
    assert!(args[0].starts_with("-skip=") && args[0].contains("\\$\\(touch pwned\\)"));
    assert!(!dir.path().join("pwned").exists());
}

/// Names that drive a terminal when printed raw: OSC 52 (writes the clipboard), a C1 CSI
/// colour, DEL, a right-to-left override. Each fails once and passes once on one commit, so
/// all are flaky; ten fillers that always pass keep the failing run under the infrastructure
/// threshold. `classname` is the scope of every test (a file for pytest, a binary for nextest).
fn terminal_history(dir: &Path, classname: &str) -> (PathBuf, Vec<String>) {
    let names: Vec<String> = vec![
        "osc\u{1b}]52;c;ZWNobyBwd25lZCB8IHNo\u{7}".into(),
        "csi\u{9b}31mred".into(),
        "del\u{7f}x".into(),
        "rlo\u{202e}gnp.exe".into(),
    ];
    let h = dir.join("history");
    for (i, run) in ["r1", "r2"].iter().enumerate() {
        let mut xml =
            String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"s\">\n");
        let fillers: Vec<String> = (0..10).map(|k| format!("test_passes_{k}")).collect();
        for (name, failed) in names
            .iter()
            .map(|n| (n, i == 1))
            .chain(fillers.iter().map(|f| (f, false)))
        {
            xml.push_str(&format!(
                "  <testcase classname=\"{classname}\" file=\"tests/test_x.py\" name=\"{}\" time=\"0.01\">{}</testcase>\n",
                escape_xml(name),
                if failed { "<failure message=\"boom\"/>" } else { "" }
            ));
        }
        xml.push_str("</testsuite>\n");
        run_folder(&h, run, "c1", i as u32 + 1, "", &xml);
    }
    (h, names)
}

/// Issue 18, point 3: no runner list, file or shell form, and no warning carries a raw control
/// character; each name is written in the runner's escape syntax or left out with a warning.
#[test]
fn no_runner_list_carries_a_control_character() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (history, names) = terminal_history(dir.path(), "tests.test_x");
    ingest_ok(&store, &history);
    let unsafe_char = |c: char| {
        c != '\n'
            && (c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'))
    };
    for runner in [
        "plain", "json", "pytest", "nextest", "maven", "gradle", "jest", "go",
    ] {
        for shell in [false, true] {
            if shell && ["plain", "json", "gradle"].contains(&runner) {
                continue;
            }
            let mut args = vec!["quarantine", "--runner", runner];
            if shell {
                args.push("--shell");
            }
            let out = select(&store, &args);
            assert_code(&out, 0);
            let (text, err) = (stdout(&out), stderr(&out));
            assert!(!text.chars().any(unsafe_char), "{args:?}: {text:?}");
            assert!(!err.chars().any(unsafe_char), "{args:?}: {err:?}");
            // Written (escaped) or left out with a warning, one per name.
            let left_out = err.matches("left out\n").count();
            match runner {
                "json" | "nextest" | "jest" | "go" => assert_eq!(left_out, 0, "{args:?}: {err}"),
                _ => assert_eq!(left_out, names.len(), "{args:?}: {err}"),
            }
        }
    }
    // JSON escapes them, and reads back as the names.
    let json: Value =
        serde_json::from_str(&select_ok(&store, &["quarantine", "--runner", "json"])).unwrap();
    let listed: BTreeSet<&str> = json["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, names.iter().map(String::as_str).collect());
    // The regular expressions name them in their own escapes.
    let go = select_ok(&store, &["quarantine", "--runner", "go"]);
    assert!(
        go.contains("^osc\\x{1b}\\]52;c;ZWNobyBwd25lZCB8IHNo\\x{7}$"),
        "{go}"
    );
    let jest = select_ok(&store, &["quarantine", "--runner", "jest"]);
    assert!(jest.contains("rlo\\u202egnp\\.exe"), "{jest}");
}

/// Issue 16: selection never breaks the pipeline. With no store (the first run, or a CI cache
/// miss) or an empty window, every runner gets a list that excludes nothing, exit 0, and a note.
#[test]
fn no_history_is_an_empty_list_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("cache-miss");
    let note = format!(
        "testsift: note: {}: no history here yet (a first run, or a CI cache miss); \
         the selection is empty, so every test runs\n",
        missing.display()
    );
    let gradle = "// testsift select: pass with `gradle test --init-script FILE`\n\
                  allprojects {\n    tasks.withType(Test).configureEach {\n        filter {\n\
                  \x20       }\n    }\n}\n";
    for (runner, empty) in [
        ("plain", ""),
        ("pytest", ""),
        ("nextest", "all()\n"),
        (
            "maven",
            "# testsift select: tests for -Dsurefire.excludesFile, one Class#method a line\n",
        ),
        ("gradle", gradle),
        ("jest", ".*\n"),
        ("go", "\n"),
    ] {
        for kind in ["quarantine", "skip"] {
            let file = dir.path().join(format!("{kind}-{runner}.txt"));
            let out = select(
                &missing,
                &[kind, "--runner", runner, "--out", file.to_str().unwrap()],
            );
            assert_code(&out, 0);
            assert_eq!(stdout(&out), "");
            assert_eq!(stderr(&out), note, "{kind} {runner}");
            assert_eq!(
                std::fs::read_to_string(&file).unwrap(),
                empty,
                "{kind} {runner}"
            );
        }
    }
    assert!(!missing.exists(), "select must not create the store");
    let out = select(&missing, &["quarantine", "--runner", "pytest", "--shell"]);
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "");
    // Shards: K empty shards, so each shard's exclusion list excludes nothing.
    let out = select(
        &missing,
        &[
            "shards", "--count", "3", "--shard", "2", "--runner", "nextest",
        ],
    );
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "all()\n");
    let plain = select_ok(&missing, &["shards", "--count", "2", "--runner", "plain"]);
    assert_eq!(
        plain,
        "# shard 1/2: 0.000 s predicted, 0 tests\n# shard 2/2: 0.000 s predicted, 0 tests\n"
    );
    let json: Value =
        serde_json::from_str(&select_ok(&missing, &["priority", "--runner", "json"])).unwrap();
    assert_eq!(json["tests"], Value::Array(vec![]));
    assert_eq!(json["runs"], 0);
    assert!(
        json["no_data"]
            .as_str()
            .unwrap()
            .ends_with("no history here yet (a first run, or a CI cache miss)")
    );

    // A store whose window is empty: the same, with why.
    let store = dir.path().join("store");
    ingest_ok(&store, &sharded_history(dir.path()));
    let out = select(
        &store,
        &["quarantine", "--runner", "jest", "--branch", "release"],
    );
    assert_code(&out, 0);
    assert_eq!(stdout(&out), ".*\n");
    assert_eq!(
        stderr(&out),
        "testsift: note: the window is empty: no run is of branch release (the store has runs \
         of main); the selection is empty, so every test runs\n"
    );
    let out = select(
        &store,
        &["quarantine", "--runner", "go", "--last-runs", "0"],
    );
    assert_code(&out, 0);
    assert!(stderr(&out).contains("--last-runs 0 keeps no run"));
    let out = select(
        &store,
        &["quarantine", "--runner", "plain", "--variant", "windows"],
    );
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("note: no run of variant \"windows\""),
        "{}",
        stderr(&out)
    );
}

/// Runs `scripts/install-runners.sh RUNNER`; false (and a note on stderr) when it cannot.
fn install(runner: &str) -> bool {
    let out = Command::new("bash")
        .arg(root().join("scripts/install-runners.sh"))
        .arg(runner)
        .output();
    match out {
        Ok(o) if o.status.success() => true,
        Ok(o) => {
            eprintln!(
                "SKIPPED: {runner} could not be installed by scripts/install-runners.sh:\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            false
        }
        Err(e) => {
            eprintln!("SKIPPED: {runner}: cannot run scripts/install-runners.sh: {e}");
            false
        }
    }
}

/// Where scripts/install-runners.sh installs: target/runners, under CARGO_TARGET_DIR when set.
fn runners_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root().join("target"), |t| root().join(t))
        .join("runners")
}

/// Two runs of commit `c1` from `report(run, flaky)`, the second with the flaky tests failing.
fn two_runs(dir: &Path, mut report: impl FnMut(&Path, bool)) -> PathBuf {
    let h = dir.join("history");
    for (i, run) in ["run-1", "run-2"].iter().enumerate() {
        let folder = h.join(run);
        std::fs::create_dir_all(&folder).unwrap();
        write(
            &folder.join("run.json"),
            format!(
                "{{\"run_id\": \"{run}\", \"commit\": \"c1\", \"branch\": \"main\", \
                 \"timestamp\": \"2026-03-0{}T02:00:00Z\"}}\n",
                i + 1
            ),
        );
        report(&folder, i == 1);
    }
    h
}

#[test]
fn pytest_deselects_exactly_the_quarantined_tests() {
    if !install("pytest") {
        return;
    }
    // xunit2 (pytest's default) has no `file` attribute: the node ids' files are found under
    // --root. xunit1 has one, which is used even when --root points nowhere.
    pytest_case("xunit2", None);
    pytest_case("xunit1", Some(Path::new("/nonexistent")));
}

/// The pytest scripts/install-runners.sh pins, which names its virtualenv.
const PYTEST_VERSION: &str = "9.2.0";

fn pytest_case(family: &str, root_dir: Option<&Path>) {
    let script = std::fs::read_to_string(root().join("scripts/install-runners.sh")).unwrap();
    assert!(script.contains(&format!("PYTEST_VERSION={PYTEST_VERSION}\n")));
    let pytest = runners_dir().join(format!("pytest-{PYTEST_VERSION}/bin/pytest"));
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    copy_dir(&root().join("tests/runners/pytest"), &project);
    let run = |args: &[&str], flaky: bool| {
        Command::new(&pytest)
            .current_dir(&project)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("TESTSIFT_FLAKY", if flaky { "1" } else { "0" })
            .args(args)
            .output()
            .unwrap()
    };
    let history = two_runs(dir.path(), |folder, flaky| {
        let xml = folder.join("junit.xml");
        let family = format!("junit_family={family}");
        run(
            &[
                "-q",
                "-o",
                &family,
                &format!("--junitxml={}", xml.display()),
            ],
            flaky,
        );
        assert!(xml.is_file());
    });
    let store = dir.path().join("store");
    ingest_ok(&store, &history);
    let args_file = dir.path().join("deselect.txt");
    let root_dir = root_dir.unwrap_or(&project).to_str().unwrap();
    let out = select(
        &store,
        &[
            "quarantine",
            "--runner",
            "pytest",
            "--root",
            root_dir,
            "--out",
            args_file.to_str().unwrap(),
        ],
    );
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "");
    assert!(
        !stderr(&out).contains("warning"),
        "{family}: {}",
        stderr(&out)
    );

    let all_ids = stdout(&run(&["--collect-only", "-q"], false));
    let all: BTreeSet<&str> = all_ids.lines().filter(|l| l.contains("::")).collect();
    assert_eq!(all.len(), 13, "{all_ids}");
    // test_x and test_p[a] are prefixes of test_x2, test_x_other and test_p[a]b], which must
    // still run: pytest's own --deselect would have dropped them too.
    let flaky: BTreeSet<&str> = [
        "tests/test_shop.py::test_flaky_network",
        "tests/test_shop.py::TestCart::test_names[<script>]",
        "tests/test_shop.py::TestCart::test_names[$(echo pwned) `x` | 'q' \" onload=]",
        "tests/test_shop.py::TestCart::test_names[two words]",
        "tests/test_shop.py::test_x",
        "tests/test_shop.py::test_p[a]",
    ]
    .into();
    // The argument file, then the shell form: both leave out exactly the flaky tests, and
    // the rest pass although TESTSIFT_FLAKY=1 makes the flaky ones fail.
    let shell = select_ok(
        &store,
        &[
            "quarantine",
            "--runner",
            "pytest",
            "--root",
            root_dir,
            "--shell",
        ],
    );
    let from_file = run(&["-v", &format!("@{}", args_file.display())], true);
    let from_shell = Command::new("sh")
        .current_dir(&project)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("TESTSIFT_FLAKY", "1")
        .arg("-c")
        .arg(format!("{} -v {shell}", pytest.display()))
        .output()
        .unwrap();
    for out in [from_file, from_shell] {
        let text = stdout(&out);
        assert_code(&out, 0);
        let ran: BTreeSet<&str> = text
            .lines()
            .filter_map(|l| l.split_once(" PASSED").or_else(|| l.split_once(" FAILED")))
            .map(|(id, _)| id)
            .collect();
        let expected: BTreeSet<&str> = all.difference(&flaky).copied().collect();
        assert_eq!(ran, expected, "{text}");
        assert!(text.contains("7 passed, 6 deselected"), "{text}");
    }
    // The priority order: pytest runs the tests in the order of the node ids the file lists,
    // those it does not list first. (`--testsift-order=FILE` as one argument: given as two,
    // pytest takes FILE for a test path before it has read the conftest.py that adds the
    // option.)
    let order_file = dir.path().join("order.txt");
    let out = select(
        &store,
        &[
            "priority",
            "--runner",
            "pytest",
            "--root",
            root_dir,
            "--out",
            order_file.to_str().unwrap(),
        ],
    );
    assert_code(&out, 0);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    let order = std::fs::read_to_string(&order_file).unwrap();
    let listed: Vec<&str> = order.lines().collect();
    assert_eq!(listed.len(), 13, "{order}");
    // The six tests that failed in the newest run come first.
    let first: BTreeSet<&str> = listed[..6].iter().copied().collect();
    assert_eq!(first, flaky, "{order}");
    let ran_in_order = |out: &std::process::Output| -> Vec<String> {
        stdout(out)
            .lines()
            .filter_map(|l| l.split_once(" PASSED"))
            .map(|(id, _)| id.to_string())
            .collect()
    };
    let out = run(
        &["-v", &format!("--testsift-order={}", order_file.display())],
        false,
    );
    assert_code(&out, 0);
    assert_eq!(ran_in_order(&out), listed, "{}", stdout(&out));
    // A test the file does not list (as a new one would not be) runs first.
    let (last, rest) = listed.split_last().unwrap();
    std::fs::write(&order_file, rest.join("\n") + "\n").unwrap();
    let out = run(
        &["-v", &format!("--testsift-order={}", order_file.display())],
        false,
    );
    let ran = ran_in_order(&out);
    assert_eq!(ran[0], *last, "{}", stdout(&out));
    assert_eq!(ran[1..], *rest, "{}", stdout(&out));

    // --top 3: the three likeliest run, and nothing else (a fail-fast stage).
    let top_file = dir.path().join("top.txt");
    let out = select(
        &store,
        &[
            "priority",
            "--top",
            "3",
            "--runner",
            "pytest",
            "--root",
            root_dir,
            "--out",
            top_file.to_str().unwrap(),
        ],
    );
    assert_code(&out, 0);
    let out = run(&["-v", &format!("@{}", top_file.display())], false);
    assert_code(&out, 0);
    let ran: BTreeSet<String> = ran_in_order(&out).into_iter().collect();
    let expected: BTreeSet<String> = listed[..3].iter().map(|s| s.to_string()).collect();
    assert_eq!(ran, expected, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("3 passed, 10 deselected"),
        "{}",
        stdout(&out)
    );

    // --only: just the quarantined tests run, for a job that keeps their history going.
    let only_file = dir.path().join("only.txt");
    let out = select(
        &store,
        &[
            "quarantine",
            "--runner",
            "pytest",
            "--root",
            root_dir,
            "--only",
            "--out",
            only_file.to_str().unwrap(),
        ],
    );
    assert_code(&out, 0);
    let out = run(&["-v", &format!("@{}", only_file.display())], false);
    assert_code(&out, 0);
    let ran: BTreeSet<String> = ran_in_order(&out).into_iter().collect();
    let expected: BTreeSet<String> = flaky.iter().map(|s| s.to_string()).collect();
    assert_eq!(ran, expected, "{}", stdout(&out));

    // Without the conftest.py that adds the option, pytest refuses it instead of deselecting
    // more or less than the list.
    std::fs::remove_file(project.join("conftest.py")).unwrap();
    let out = run(&[&format!("@{}", args_file.display())], true);
    assert_code(&out, 4);
    assert!(
        stderr(&out).contains("unrecognized arguments: --testsift-deselect="),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_pytest_conftest_in_the_docs_is_the_tested_one() {
    let docs = std::fs::read_to_string(root().join("docs/select.md")).unwrap();
    let conftest =
        std::fs::read_to_string(root().join("tests/runners/pytest/conftest.py")).unwrap();
    assert!(
        docs.contains(&format!("```python\n{conftest}```\n")),
        "docs/select.md must show tests/runners/pytest/conftest.py verbatim"
    );
}

#[test]
fn jest_skips_exactly_the_quarantined_tests() {
    if !install("jest") {
        return;
    }
    let modules = runners_dir().join("jest/node_modules");
    let jest = modules.join(".bin/jest");
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    copy_dir(&root().join("tests/runners/jest"), &project);
    std::os::unix::fs::symlink(&modules, project.join("node_modules")).unwrap();
    let run = |args: &[&str], flaky: bool, junit_dir: &Path| {
        Command::new(&jest)
            .current_dir(&project)
            .env("TESTSIFT_FLAKY", if flaky { "1" } else { "0" })
            .env("JEST_JUNIT_OUTPUT_DIR", junit_dir)
            .arg("--ci")
            .args(args)
            .output()
            .unwrap()
    };
    let history = two_runs(dir.path(), |folder, flaky| {
        run(&[], flaky, folder);
        assert!(folder.join("junit.xml").is_file());
    });
    let store = dir.path().join("store");
    ingest_ok(&store, &history);
    let pattern = select_ok(&store, &["quarantine", "--runner", "jest"]);
    let result = dir.path().join("result.json");
    let out = run(
        &[
            "--json",
            &format!("--outputFile={}", result.display()),
            &format!("--testNamePattern={}", pattern.trim_end()),
        ],
        true,
        dir.path(),
    );
    assert_code(&out, 0);
    let json: Value = serde_json::from_slice(&std::fs::read(&result).unwrap()).unwrap();
    let mut passed = BTreeSet::new();
    let mut skipped = BTreeSet::new();
    for file in json["testResults"].as_array().unwrap() {
        for t in file["assertionResults"].as_array().unwrap() {
            let name = t["fullName"].as_str().unwrap().to_string();
            match t["status"].as_str().unwrap() {
                "passed" => passed.insert(name),
                "pending" => skipped.insert(name),
                other => panic!("{name}: {other}"),
            };
        }
    }
    assert_eq!(
        skipped,
        [
            "Cart talks to the network",
            "Cart <script>alert(1)</script> \" onload= `x` $(echo pwned) | 'q' (a+b)*?",
            "top level flaky",
        ]
        .map(String::from)
        .into()
    );
    assert_eq!(
        passed,
        [
            "Cart adds an item",
            "Cart talks to the network again",
            "top level [1]"
        ]
        .map(String::from)
        .into()
    );
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.env("CARGO_TARGET_DIR", runners_dir().join("nextest"))
        .arg("nextest");
    cmd
}

fn nextest_available() -> bool {
    let ok = cargo()
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: cargo nextest is not installed (cargo install cargo-nextest)");
    }
    ok
}

/// The tests cargo-nextest's stderr reports as passed (`PASS [ 0.003s] binary test`).
fn nextest_passed(err: &str) -> BTreeSet<&str> {
    err.lines()
        .filter_map(|l| l.trim_start().strip_prefix("PASS ["))
        .filter_map(|l| l.split_once(") ").map(|(_, test)| test))
        .collect()
}

#[test]
fn nextest_runs_all_but_the_quarantined_tests() {
    if !nextest_available() {
        return;
    }
    let manifest = root().join("tests/runners/nextest/Cargo.toml");
    // tests/runners/nextest/.config/nextest.toml keeps nextest's store here.
    let junit = root().join("target/runners/nextest-store/ci/junit.xml");
    let run = |args: &[&str], flaky: bool| {
        cargo()
            .arg("run")
            .arg("--manifest-path")
            .arg(&manifest)
            .args(["--profile", "ci"])
            .args(args)
            .env("TESTSIFT_FLAKY", if flaky { "1" } else { "0" })
            .output()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let history = two_runs(dir.path(), |folder, flaky| {
        let out = run(&[], flaky);
        assert_eq!(out.status.success(), !flaky, "{}", stderr(&out));
        std::fs::copy(&junit, folder.join("junit.xml")).unwrap();
    });
    let store = dir.path().join("store");
    ingest_ok(&store, &history);
    let expr = select_ok(&store, &["quarantine", "--runner", "nextest"]);
    assert_eq!(
        expr,
        "not ((binary_id(=tiny-nextest::it) & test(=end_to_end)) | \
         (binary_id(=tiny-nextest) & test(=tests::talks_to_the_network)))\n"
    );
    let out = run(&["-E", expr.trim_end()], true);
    assert_code(&out, 0);
    let err = stderr(&out);
    let ran = nextest_passed(&err);
    assert_eq!(
        ran,
        [
            "tiny-nextest tests::adds",
            "tiny-nextest tests::talks_to_the_network_again",
            "tiny-nextest::it adds",
        ]
        .into(),
        "{err}"
    );
    assert!(err.contains("3 tests run: 3 passed, 2 skipped"), "{err}");

    // A flaky test of a binary the project no longer builds (an integration test file renamed
    // or deleted): nextest refuses a whole filterset naming it, so with the binaries nextest
    // lists now the test is left out, with a warning, and the rest still runs.
    let gone = dir.path().join("gone");
    for (k, fail) in [(1, true), (2, false)] {
        let run = gone.join(format!("run-{k}"));
        std::fs::create_dir_all(&run).unwrap();
        let failure = if fail { "<failure message=\"x\"/>" } else { "" };
        std::fs::write(
            run.join("run.json"),
            format!(r#"{{"run_id": "g{k}", "commit": "c1", "branch": "main"}}"#),
        )
        .unwrap();
        std::fs::write(
            run.join("junit.xml"),
            format!(
                "<testsuites><testsuite name=\"s\"><testcase classname=\"tiny-nextest::old\" \
                 name=\"old_flaky\">{failure}</testcase></testsuite></testsuites>"
            ),
        )
        .unwrap();
    }
    let with_gone = dir.path().join("store-gone");
    ingest_ok(&with_gone, &history);
    ingest_ok(&with_gone, &gone);
    let listed = cargo()
        .arg("list")
        .arg("--manifest-path")
        .arg(&manifest)
        .args(["--list-type", "binaries-only", "--message-format", "json"])
        .output()
        .unwrap();
    assert_code(&listed, 0);
    let binaries = dir.path().join("binaries.json");
    std::fs::write(&binaries, &listed.stdout).unwrap();
    let out = testsift()
        .args(["select", "quarantine", "--runner", "nextest", "--store"])
        .arg(&with_gone)
        .arg("--nextest-binaries")
        .arg(&binaries)
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("\"tiny-nextest::old\" is not in --nextest-binaries"),
        "{}",
        stderr(&out)
    );
    let expr = stdout(&out);
    assert!(!expr.contains("tiny-nextest::old"), "{expr}");
    let out = run(&["-E", expr.trim_end()], true);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("3 tests run: 3 passed, 2 skipped"),
        "{}",
        stderr(&out)
    );

    // A fail-fast stage: the two likeliest (the two that failed in the newest run), and only
    // they, run.
    let expr = select_ok(&store, &["priority", "--top", "2", "--runner", "nextest"]);
    let out = run(&["-E", expr.trim_end()], false);
    assert_code(&out, 0);
    let err = stderr(&out);
    let ran = nextest_passed(&err);
    assert_eq!(
        ran,
        [
            "tiny-nextest tests::talks_to_the_network",
            "tiny-nextest::it end_to_end",
        ]
        .into(),
        "{err}"
    );
    assert!(err.contains("2 tests run: 2 passed, 3 skipped"), "{err}");

    // Hostile names make a filterset nextest parses, and it excludes none of the real tests;
    // so do control characters and bidi overrides, written as `\u{HEX}`.
    for terminal in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let history = if terminal {
            terminal_history(dir.path(), "tiny-nextest").0
        } else {
            hostile_history(dir.path()).0
        };
        ingest_ok(&store, &history);
        let expr = select_ok(&store, &["quarantine", "--runner", "nextest"]);
        let out = cargo()
            .args(["list", "--manifest-path"])
            .arg(&manifest)
            .args(["--message-format", "json", "-E", expr.trim_end()])
            .output()
            .unwrap();
        assert_code(&out, 0);
        let list: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut matched = 0;
        for suite in list["rust-suites"].as_object().unwrap().values() {
            for case in suite["testcases"].as_object().unwrap().values() {
                assert_eq!(case["filter-match"]["status"], "matches");
                matched += 1;
            }
        }
        assert_eq!(matched, 5);
    }
}

/// Issue 19: `select skip --max-miss` picks the largest list whose replay stays within the
/// bound. 80 runs; the bigs (big0 1.5 s, big1-4 2 s) pass always but big0 fails alone in run 70;
/// `guard` fails alone in runs 30 and 60. Replayed after 20 runs, every list holding big0 misses
/// run 70 (1 of 3 failure runs): at --saving-share 85% and above the list holds all five bigs,
/// at 80% the four 2 s ones. So the 1% bound chooses 80%, a 50% bound 100%. The final list is
/// trim's over the whole window, where big0's catch keeps it: big1-4.
#[test]
fn skip_chooses_the_largest_list_within_the_replayed_miss_bound() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    for r in 1..=80u32 {
        let mut cases: Vec<(&str, String, f64, bool)> = Vec::new();
        cases.push(("app", "big0".into(), 1.5, r == 70));
        for b in 1..=4 {
            cases.push(("app", format!("big{b}"), 2.0, false));
        }
        cases.push(("app", "guard".into(), 0.01, r == 30 || r == 60));
        let borrowed: Vec<(&str, &str, f64, bool)> = cases
            .iter()
            .map(|(c, n, t, f)| (*c, n.as_str(), *t, *f))
            .collect();
        let day = 1 + (r - 1) / 24;
        let run = format!("r{r:02}");
        let folder = history.join(&run);
        write(
            &folder.join("run.json"),
            format!(
                "{{\"run_id\": \"{run}\", \"commit\": \"c{r}\", \"branch\": \"main\", \"timestamp\": \"2026-03-{day:02}T{:02}:00:00Z\"}}\n",
                (r - 1) % 24
            ),
        );
        write(&folder.join("junit.xml"), junit(&borrowed));
    }
    let store = dir.path().join("store");
    ingest_ok(&store, &history);
    let out = select(&store, &["skip", "--runner", "plain"]);
    assert_code(&out, 0);
    assert_eq!(
        stdout(&out).lines().collect::<Vec<_>>(),
        ["app::big1", "app::big2", "app::big3", "app::big4"]
    );
    let err = stderr(&out);
    assert!(
        err.contains("skip list chosen at --saving-share 80%: replayed over the 60 runs after the first 20, it missed 0 of 3 failure runs"),
        "{err}"
    );
    let json: Value = serde_json::from_str(&select_ok(
        &store,
        &["skip", "--runner", "json", "--max-miss", "0.5"],
    ))
    .unwrap();
    close(&json["skip_cut"]["saving_share"], 1.0);
    assert_eq!(json["skip_cut"]["replayed"]["missed_runs"], 1);
    assert_eq!(json["skip_cut"]["replayed"]["failure_runs"], 3);
    // trim says the same two numbers for its own (default) cut.
    let trim: Value = serde_json::from_str(&ingest_and_run(
        "trim",
        &[&history],
        &[],
        &["--format", "json"],
    ))
    .unwrap();
    assert_eq!(trim["replayed"]["missed_runs"], 0, "{trim:#}");
    assert_eq!(trim["replayed"]["failure_runs"], 3);
    // The list (big1-4, 8 s) applies from run 51, once the tests have 50 runs: 30 of the 60
    // replayed runs of 9.51 s.
    close(&trim["replayed"]["saved_share"], 30.0 * 8.0 / (60.0 * 9.51));
}

/// `--changed`: tests whose own test file the change touched go first, whatever their chance;
/// the rest keep the model's order.
#[test]
fn priority_puts_the_tests_of_changed_files_first() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("history");
    for (i, run) in ["r1", "r2", "r3"].iter().enumerate() {
        let report = junit(&[
            ("tests.test_cart", "test_total", 1.0, false),
            ("tests.test_pay", "test_refund", 1.0, i == 2),
            ("com.acme.CartTest", "adds", 3.0, false),
            ("com.acme.CartTests", "removes", 2.0, false),
        ]);
        run_folder(&h, run, &format!("c{i}"), i as u32 + 1, "", &report);
    }
    let store = dir.path().join("store");
    ingest_ok(&store, &h);
    let before = select_ok(&store, &["priority", "--runner", "plain"]);
    assert_eq!(before.lines().next(), Some("tests.test_pay::test_refund"));

    let list = dir.path().join("changed.txt");
    write(
        &list,
        "README.md\nsrc/test/java/com/acme/CartTest.java\n\n./tests/test_cart.py\n",
    );
    let out = select(
        &store,
        &[
            "priority",
            "--runner",
            "json",
            "--changed",
            list.to_str().unwrap(),
        ],
    );
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("--changed: 2 tests in the 3 changed paths go first"),
        "{}",
        stderr(&out)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let order: Vec<&str> = json["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["test_id"].as_str().unwrap())
        .collect();
    // The two changed tests (equally likely: the cheaper first), then the model's order.
    assert_eq!(
        order,
        [
            "tests.test_cart::test_total",
            "com.acme.CartTest::adds",
            "tests.test_pay::test_refund",
            "com.acme.CartTests::removes",
        ]
    );
    assert_eq!(json["tests"][0]["reason"], "changed");
    assert_eq!(
        json["tests"][1]["evidence"][0],
        "its test file src/test/java/com/acme/CartTest.java is among the changed paths (--changed)"
    );
    assert_eq!(json["tests"][2]["reason"], "failing");

    // The list from stdin, as `git diff --name-only ... | testsift select ... --changed -`.
    let out = testsift()
        .args([
            "select",
            "priority",
            "--runner",
            "plain",
            "--changed",
            "-",
            "--store",
        ])
        .arg(&store)
        .write_stdin("tests/test_pay.py\n")
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert_eq!(
        stdout(&out).lines().next(),
        Some("tests.test_pay::test_refund")
    );

    // No test in the paths: a warning, the model's order.
    write(&list, "docs/index.md\n");
    let out = select(
        &store,
        &[
            "priority",
            "--runner",
            "plain",
            "--changed",
            list.to_str().unwrap(),
        ],
    );
    assert_code(&out, 0);
    assert_eq!(stdout(&out), before);
    assert!(
        stderr(&out).contains("warning: --changed: no test"),
        "{}",
        stderr(&out)
    );

    // Only an order takes it.
    let out = select(
        &store,
        &[
            "skip",
            "--runner",
            "plain",
            "--changed",
            list.to_str().unwrap(),
        ],
    );
    assert_code(&out, 2);
    assert!(stderr(&out).contains("select priority"), "{}", stderr(&out));
}

/// `--top N`: the N likeliest tests; a runner format excludes every other test of the window.
#[test]
fn priority_top_keeps_the_likeliest_and_excludes_the_rest_for_a_runner() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_ok(&store, &sharded_history(dir.path()));
    // The order is A2, A3, B3, B2, B1, A1 (docs/select.md's worked example).
    let out = select_ok(&store, &["priority", "--top", "2", "--runner", "plain"]);
    assert_eq!(out.lines().collect::<Vec<_>>(), ["a::A2", "a::A3"]);
    let json: Value = serde_json::from_str(&select_ok(
        &store,
        &["priority", "--top", "2", "--runner", "json"],
    ))
    .unwrap();
    assert_eq!(json["top"], 2);
    assert_eq!(json["tests"].as_array().unwrap().len(), 2);
    // Surefire's excludes file: every test but the two.
    let out = select(&store, &["priority", "--top", "2", "--runner", "maven"]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains(
            "--top 2: the 2 likeliest of 6 tests (10.00 s of median time); the other 4 are excluded"
        ),
        "{}",
        stderr(&out)
    );
    let excluded = stdout(&out);
    let excluded: BTreeSet<&str> = excluded.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(excluded, ["a#A1", "b#B1", "b#B2", "b#B3", "**/*$*"].into());
    // --budget: the likeliest whose median times (A2 6 s, A3 4 s, B3 0.5 s, B2 1 s, B1 2 s,
    // A1 10 s) fit; at least one.
    for (budget, kept) in [("10", 2), ("11s", 3), ("0.2m", 4), ("1", 1)] {
        let out = select_ok(
            &store,
            &["priority", "--budget", budget, "--runner", "plain"],
        );
        assert_eq!(out.lines().count(), kept, "--budget {budget}: {out}");
    }
    let out = select(&store, &["priority", "--budget", "12s", "--runner", "go"]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains(
            "--budget 12.00 s: the 4 likeliest of 6 tests (11.50 s of median time); the other 2 are excluded"
        ),
        "{}",
        stderr(&out)
    );
    let out = select(
        &store,
        &["priority", "--budget", "-5m", "--runner", "plain"],
    );
    assert_code(&out, 2);

    // Without --top, a runner that takes no order says what to use.
    let out = select(&store, &["priority", "--runner", "nextest"]);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("--top N"), "{}", stderr(&out));
    // Only an order has a top.
    let out = select(&store, &["quarantine", "--top", "2", "--runner", "plain"]);
    assert_code(&out, 2);
    // No history yet (a CI cache miss): nothing is excluded, so every test runs.
    let missing = dir.path().join("missing");
    let out = select(&missing, &["priority", "--top", "2", "--runner", "nextest"]);
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "all()\n", "nextest's filterset of every test");
}

/// A pattern longer than one command-line argument may be on Linux (128 KiB) is written, with
/// a warning that says so and what to do, for the runners that take the selection as one
/// argument.
#[test]
fn a_pattern_too_long_for_one_argument_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let long = "x".repeat(60);
    for r in 1..=2 {
        let cases: String = (0..3000)
            .map(|i| {
                format!("<testcase classname=\"suite\" name=\"test_{long}_{i}\" time=\"0.01\"/>")
            })
            .collect();
        let run = runs.join(format!("run-{r}"));
        std::fs::create_dir_all(&run).unwrap();
        std::fs::write(
            run.join("junit.xml"),
            format!("<testsuite name=\"s\">{cases}</testsuite>"),
        )
        .unwrap();
    }
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    for runner in ["jest", "go"] {
        let out = select(&store, &["priority", "--top", "1", "--runner", runner]);
        assert_code(&out, 0);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "the {runner} pattern is 2" // KiB count: over 200
            )) && err.contains("over the 128 KiB one command-line argument may hold on Linux"),
            "{runner}: {err}"
        );
    }
    // A short list: no such warning.
    let out = select(&store, &["quarantine", "--runner", "jest"]);
    assert!(!stderr(&out).contains("128 KiB"), "{}", stderr(&out));
}

/// Six runs of a Go module as gotestsum writes them: the package in `classname`, a parent
/// (`TestP`, failing whenever its subtest `TestP/flaky` fails, timed as the sum of its
/// subtests) beside its subtests, `TestQ` in two packages, and `TestL`, which fails on its own
/// while its subtests pass. All on one commit, so the failing ones are flaky.
fn go_history(dir: &Path) -> PathBuf {
    let h = dir.join("history");
    for run in 1..=6u32 {
        let flaky = run % 2 == 0;
        let l_fails = run == 3 || run == 5;
        run_folder(
            &h,
            &format!("r{run}"),
            "c1",
            run,
            "",
            &junit(&[
                ("ex/a", "TestP/flaky", 1.0, flaky),
                ("ex/a", "TestP/stable", 3.0, false),
                ("ex/a", "TestP", 4.0, flaky),
                ("ex/a", "TestQ", 2.0, false),
                ("ex/b", "TestQ", 2.0, false),
                ("ex/b", "TestL/x", 1.0, false),
                ("ex/b", "TestL/y", 1.0, false),
                ("ex/b", "TestL", 2.0, l_fails),
                ("ex/b", "TestZ", 5.0, false),
            ]),
        );
    }
    h
}

/// The names of the window's tests, from the JSON of `select shards` (every test).
fn go_names(store: &Path) -> Vec<String> {
    let json: Value = serde_json::from_str(&select_ok(
        store,
        &["shards", "--count", "1", "--runner", "json"],
    ))
    .unwrap();
    json["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

/// `priority --top N --runner go` runs the N likeliest: the pattern of the others never skips
/// one of them, though a parent ranks below its subtest (`go test -skip` on a parent skips
/// its subtests); every other test is skipped.
#[test]
fn go_priority_top_never_excludes_the_parent_of_a_kept_test() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_ok(&store, &go_history(dir.path()));
    let names = go_names(&store);
    for n in 1..names.len() {
        let top = n.to_string();
        let json: Value = serde_json::from_str(&select_ok(
            &store,
            &["priority", "--top", &top, "--runner", "json"],
        ))
        .unwrap();
        let kept: Vec<&str> = json["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        let out = select(&store, &["priority", "--top", &top, "--runner", "go"]);
        assert_code(&out, 0);
        let pattern = stdout(&out);
        let pattern = pattern.trim_end();
        for name in &names {
            let needed = kept
                .iter()
                .any(|k| k == name || k.starts_with(&format!("{name}/")));
            assert_eq!(
                go_skips(pattern, name),
                !needed,
                "--top {n}: {name} with {pattern:?} (kept {kept:?})"
            );
        }
    }
}

/// `shards --runner go`: every test runs in exactly one shard, by test and by class, though
/// a subtest's parent is a test of its own and `TestQ` is in two packages.
#[test]
fn go_shards_run_every_test_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_ok(&store, &go_history(dir.path()));
    let names = go_names(&store);
    for by in ["test", "class"] {
        for count in 2..=4usize {
            let patterns: Vec<String> = (1..=count)
                .map(|i| {
                    let out = select(
                        &store,
                        &[
                            "shards",
                            "--count",
                            &count.to_string(),
                            "--by",
                            by,
                            "--runner",
                            "go",
                            "--shard",
                            &i.to_string(),
                        ],
                    );
                    assert_code(&out, 0);
                    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
                    stdout(&out).trim_end().to_string()
                })
                .collect();
            for name in &names {
                let runs_in = patterns.iter().filter(|p| !go_skips(p, name)).count();
                assert_eq!(
                    runs_in, 1,
                    "--by {by} --count {count}: {name} in {patterns:?}"
                );
            }
        }
    }
}

/// `quarantine --runner go`: the flaky subtest is skipped, not its parent (whose failures it
/// explains), so the parent's stable subtest still runs; a parent quarantined alone is
/// skipped with a warning that counts the subtests it takes along.
#[test]
fn go_quarantine_skips_the_flaky_subtest_not_its_parent() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    ingest_ok(&store, &go_history(dir.path()));
    let plain = select_ok(&store, &["quarantine", "--runner", "plain"]);
    assert_eq!(
        plain.lines().collect::<Vec<_>>(),
        ["ex/a::TestP", "ex/a::TestP/flaky", "ex/b::TestL"]
    );
    let out = select(&store, &["quarantine", "--runner", "go"]);
    assert_code(&out, 0);
    let pattern = stdout(&out);
    assert_eq!(pattern, "^TestL$|^TestP$/^flaky$\n");
    for (name, skipped) in [
        ("TestP", false),
        ("TestP/stable", false),
        ("TestP/flaky", true),
        ("TestL", true),
        ("TestL/x", true),
        ("TestQ", false),
    ] {
        assert_eq!(go_skips(pattern.trim_end(), name), skipped, "{name}");
    }
    let err = stderr(&out);
    assert!(
        err.contains(
            "\"ex/a::TestP\": left out, since its subtest \"ex/a::TestP/flaky\" is selected"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "\"ex/b::TestL\": go test -skip also skips its 2 subtests that are not selected"
        ),
        "{err}"
    );
    assert!(
        err.contains("3 of 9 tests selected to quarantine over 6 runs; 1 left out of the output"),
        "{err}"
    );
}

#[test]
fn go_skips_reads_a_pattern_as_go_does() {
    assert!(go_skips("^TestP$", "TestP/x/y"));
    assert!(!go_skips("^TestP$/^x$", "TestP"));
    assert!(go_skips("^TestP$/^x$", "TestP/x/y"));
    assert!(go_skips("^A$|^TestP$/^x$", "A"));
    assert!(!go_skips("^TestP$/^a\\|b$", "TestP/a"));
    assert!(go_skips("^TestP$/^a\\|b$", "TestP/a|b"));
    assert!(!go_skips("^TestP$/^\\[x/y\\]$", "TestP/x"));
    assert!(!go_skips("", "TestP"));
}

//! Conformance of the JUnit parser with the shared corpus of real-world reports
//! (`../shared/junit-corpus`, read in place, never copied; its README states the rules checked
//! here).
//!
//! - [`every_manifest_report_conforms`] parses every report listed in `MANIFEST.tsv`: valid files
//!   must yield every `<testcase>` without an error, invalid ones must be reported with a
//!   location, and no file may panic or hang.
//! - [`counts_agree_with_other_tools_expected_outputs`] compares case counts and outcomes with
//!   the expected outputs other projects keep beside their fixtures; every difference must be
//!   listed, with its reason, in [`KNOWN_DIFFERENCES`].
//! - [`binary_exit_codes_on_corpus_files`] runs the real `testsift ingest` on a few files.
//!
//! Without the corpus the tests print a note and pass, except in CI (`CI=true`), where a missing
//! corpus is a failure.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;
use testsift::junit::{self, Outcome, Report, Severity};

/// A parse slower than this in a debug build is taken for a hang (not a speed test).
const HANG_LIMIT: Duration = Duration::from_secs(2);
/// How long to wait for a parse before giving up on it and moving to the next file.
const ABANDON_AFTER: Duration = Duration::from_secs(30);

/// Mild kinds of invalid input: a parser may recover the cases and warn instead of failing.
const MILD_FEATURES: [&str; 4] = [
    "trailing-garbage",
    "leading-whitespace",
    "raw-control-chars",
    "stdout-mixed-in",
];

/// Reports listed in MANIFEST.tsv but absent from the corpus as shipped, with the reason. Any
/// other missing file is a failure, and so is a file listed here that has come back.
const MISSING_FROM_CORPUS: &[(&str, &str)] = &[];

/// Launchable expected outputs that cover other reports than "every report below the folder of
/// the JSON": (expected output, the reports it was made from, how that is known).
const LAUNCHABLE_SCOPE: &[(&str, &[&str], &str)] = &[
    (
        "launchableinc__cli/tests/data/ant/record_test_result.json",
        &["launchableinc__cli/tests/data/ant/junitreport/TESTS-TestSuites.xml"],
        "Launchable's ant test records only the junitreport aggregate, which repeats the cases of \
         the two TEST-*.xml files beside it",
    ),
    (
        "launchableinc__cli/tests/data/go_test/record_test_result.json",
        &["launchableinc__cli/tests/data/go_test/reportv1/reportv1.xml"],
        "its classnames (`go`, `example`) are reportv1.xml's; reportv2.xml holds the same 9 \
         tests under full package paths",
    ),
    (
        "launchableinc__cli/tests/data/minitest/record_test_result.json",
        &[
            "launchableinc__cli/tests/data/minitest/TEST-Admin_UserTest.xml",
            "launchableinc__cli/tests/data/minitest/TEST-Admin_UserTest_ChildlenTest.xml",
            "launchableinc__cli/tests/data/minitest/TEST-UserControllerTest.xml",
            "launchableinc__cli/tests/data/minitest/TEST-UserCopyTest.xml",
            "launchableinc__cli/tests/data/broken_xml/normal.xml",
        ],
        "its UserTest/test_should_not_save_user_without_name_2 comes from a minitest report the \
         corpus dropped as a byte-for-byte duplicate of broken_xml/normal.xml",
    ),
];

/// Counts where another tool's expected output and ours differ, keyed by the path of that
/// tool's expected output, with the reason found by reading the XML.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "EnricoMi__publish-unit-test-result-action/python/test/files/junit-xml/junit.multiresult.results.json",
        "that tool counts every <skipped>/<failure>/<error> child as a run of its own (6 results \
         in 4 cases, hence -2 passed); we give each case one outcome, error > failure > skipped",
    ),
    (
        "EnricoMi__publish-unit-test-result-action/python/test/files/junit-xml/no-cases-but-tests.results.json",
        "the file has no <testcase>, only a <testsuite tests=\"6\" failures=\"1\" skipped=\"2\">; \
         that tool falls back to the suite's counts, we read test cases only",
    ),
    (
        "EnricoMi__publish-unit-test-result-action/python/test/files/junit-xml/tst/disabled.results.json",
        "5 cases have only status='disabled' (no <skipped> child); that tool counts them as \
         skipped tests but passed runs, we count them skipped",
    ),
];

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/junit-corpus");
    if dir.join("MANIFEST.tsv").is_file() {
        return Some(dir);
    }
    let message = format!(
        "the JUnit conformance corpus is missing: expected {}",
        dir.join("MANIFEST.tsv").display()
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{message} (required when CI=true)"
    );
    eprintln!("note: {message}; conformance test skipped");
    None
}

struct Row {
    path: String,
    producer: String,
    features: Vec<String>,
    expected_valid: bool,
}

impl Row {
    fn has(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }
}

fn manifest(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv is readable");
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .expect("MANIFEST.tsv has a header")
        .split('\t')
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("MANIFEST.tsv has no {name} column"))
    };
    let (path, producer, features, valid) = (
        column("path"),
        column("producer"),
        column("features"),
        column("expected_valid"),
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            let cell = |i: usize| *cells.get(i).unwrap_or(&"");
            Row {
                path: cell(path).to_string(),
                producer: cell(producer).to_string(),
                features: cell(features)
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_string)
                    .collect(),
                expected_valid: match cell(valid) {
                    "yes" => true,
                    "no" => false,
                    other => panic!("{}: expected_valid is {other:?}", cell(path)),
                },
            }
        })
        .collect()
}

/// Why a parse produced no report.
enum Unparsed {
    Panicked(String),
    Hung,
}

/// Parses `bytes` on its own thread: a panic is caught and a parse that never ends is abandoned,
/// so one bad file cannot stop the others from being checked.
fn parse_guarded(bytes: Vec<u8>) -> (Result<Report, Unparsed>, Duration) {
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(|| junit::parse(&bytes));
        let _ = tx.send(result);
    });
    let result = match rx.recv_timeout(ABANDON_AFTER) {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(payload)) => Err(Unparsed::Panicked(
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic payload".into()),
        )),
        Err(_) => Err(Unparsed::Hung),
    };
    (result, started.elapsed())
}

/// The report's text for counting: UTF-16 decoded by its byte-order mark; every other encoding
/// in the corpus keeps `<testcase` in ASCII, so a lossy UTF-8 view is enough.
fn text_for_counting(bytes: &[u8]) -> String {
    match encoding_rs::Encoding::for_bom(bytes) {
        Some((encoding, bom)) => encoding
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned(),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Counts `<testcase` start tags (also `<ns:testcase`) outside comments and CDATA sections,
/// independently of the parser under test.
fn count_testcase_tags(text: &str) -> usize {
    let bytes = text.as_bytes();
    let find = |from: usize, needle: &[u8]| {
        bytes[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map_or(bytes.len(), |p| from + p + needle.len())
    };
    let mut count = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &bytes[i..];
        if rest.starts_with(b"<!--") {
            i = find(i + 4, b"-->");
            continue;
        }
        if rest.starts_with(b"<![CDATA[") {
            i = find(i + 9, b"]]>");
            continue;
        }
        let name_len = rest[1..]
            .iter()
            .position(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>');
        if let Some(len) = name_len {
            let name = &rest[1..1 + len];
            let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
            if local == b"testcase" {
                count += 1;
            }
        }
        i += 1;
    }
    count
}

fn locates(p: &junit::Problem) -> bool {
    (p.line >= 1 && p.column >= 1) || !p.element.is_empty()
}

fn first_problems(report: &Report) -> String {
    let shown: Vec<String> = report
        .problems
        .iter()
        .take(3)
        .map(|p| format!("{:?} {p}", p.severity))
        .collect();
    if shown.is_empty() {
        "no problems".into()
    } else {
        shown.join(" | ")
    }
}

/// Checks one parsed report against its manifest row; `Ok` carries the summary bucket.
fn check(row: &Row, bytes: &[u8], report: &Report) -> Result<&'static str, String> {
    let errors = report.has_errors();
    if row.expected_valid {
        let expected = count_testcase_tags(&text_for_counting(bytes));
        let mut wrong = Vec::new();
        if errors {
            wrong.push("has an error".to_string());
        }
        if !report.complete {
            wrong.push("is not complete".to_string());
        }
        if report.cases.len() != expected {
            wrong.push(format!(
                "yields {} cases, the file has {expected} <testcase> elements",
                report.cases.len()
            ));
        }
        if !wrong.is_empty() {
            return Err(format!(
                "valid report {} ({}): {}",
                wrong.join(", "),
                row.producer,
                first_problems(report)
            ));
        }
        return Ok(if report.problems.is_empty() {
            "valid: read cleanly"
        } else {
            "valid: read, with warnings"
        });
    }
    if row.has("non-junit") && (!errors || !report.cases.is_empty()) {
        return Err(format!(
            "non-JUnit file must give an error and no cases; got {} cases, {}",
            report.cases.len(),
            first_problems(report)
        ));
    }
    let located_error = report
        .problems
        .iter()
        .any(|p| p.severity == Severity::Error && locates(p));
    if located_error {
        return Ok(if report.cases.is_empty() {
            "invalid: refused with a located error"
        } else {
            "invalid: located error, earlier cases kept"
        });
    }
    let mild = MILD_FEATURES.iter().any(|f| row.has(f));
    if mild && !report.cases.is_empty() && report.problems.iter().any(locates) {
        return Ok("invalid (mild): cases recovered, located warning");
    }
    Err(format!(
        "invalid report ({}) without a located error{}; {} cases, {}",
        row.features.join(","),
        if mild {
            " (a warning would do, with recovered cases)"
        } else {
            ""
        },
        report.cases.len(),
        first_problems(report)
    ))
}

#[test]
fn every_manifest_report_conforms() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let rows = manifest(&dir);
    assert!(!rows.is_empty(), "MANIFEST.tsv lists no reports");
    let mut failures = Vec::new();
    let mut buckets: BTreeMap<&str, usize> = BTreeMap::new();
    let mut cases = 0usize;
    let mut slowest = (Duration::ZERO, String::new());
    let verbose = std::env::var_os("CONFORMANCE_VERBOSE").is_some();
    let missing: BTreeMap<&str, &str> = MISSING_FROM_CORPUS.iter().copied().collect();
    for row in &rows {
        let path = dir.join(&row.path);
        let listed_missing = missing.contains_key(row.path.as_str());
        if listed_missing == path.exists() {
            failures.push(format!(
                "{}: {}",
                row.path,
                if listed_missing {
                    "listed in MISSING_FROM_CORPUS but present; remove the entry"
                } else {
                    "listed in MANIFEST.tsv but missing from the corpus"
                }
            ));
        }
        if listed_missing && !path.exists() {
            *buckets
                .entry("missing from the corpus (listed)")
                .or_default() += 1;
            continue;
        }
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                failures.push(format!("{}: cannot read: {e}", row.path));
                continue;
            }
        };
        let (result, took) = parse_guarded(bytes.clone());
        if took > slowest.0 {
            slowest = (took, row.path.clone());
        }
        let report = match result {
            Ok(report) => report,
            Err(Unparsed::Panicked(message)) => {
                failures.push(format!("{}: parser panicked: {message}", row.path));
                continue;
            }
            Err(Unparsed::Hung) => {
                failures.push(format!(
                    "{}: parse did not finish within {ABANDON_AFTER:?}",
                    row.path
                ));
                continue;
            }
        };
        if took > HANG_LIMIT {
            failures.push(format!(
                "{}: parse took {took:?} (limit {HANG_LIMIT:?})",
                row.path
            ));
        }
        if verbose {
            println!("{} ({} cases)", row.path, report.cases.len());
            for p in &report.problems {
                println!("    {:?} {p}", p.severity);
            }
        }
        match check(row, &bytes, &report) {
            Ok(bucket) => {
                *buckets.entry(bucket).or_default() += 1;
                cases += report.cases.len();
            }
            Err(message) => failures.push(format!("{}: {message}", row.path)),
        }
    }
    println!("conformance: {} reports in MANIFEST.tsv", rows.len());
    for (bucket, n) in &buckets {
        println!("  {n:4}  {bucket}");
    }
    println!("  {:4}  FAILED", failures.len());
    println!(
        "  {cases} test cases read; slowest parse {:?} ({})",
        slowest.0, slowest.1
    );
    assert!(
        failures.is_empty(),
        "{} of {} reports do not conform:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Case counts by outcome, as ours and as another tool's expected output says.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    cases: u64,
    passed: u64,
    skipped: u64,
    failed: u64,
    errored: u64,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cases ({} passed, {} skipped, {} failed, {} errors)",
            self.cases, self.passed, self.skipped, self.failed, self.errored
        )
    }
}

impl Counts {
    fn of(report: &Report) -> Counts {
        let mut c = Counts::default();
        for case in &report.cases {
            c.cases += 1;
            match case.outcome {
                Some(Outcome::Passed) | None => c.passed += 1,
                Some(Outcome::Skipped) => c.skipped += 1,
                Some(Outcome::Failed) => c.failed += 1,
                Some(Outcome::Error) => c.errored += 1,
            }
        }
        c
    }

    fn add(&mut self, other: Counts) {
        self.cases += other.cases;
        self.passed += other.passed;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.errored += other.errored;
    }

    /// Launchable's statuses have no separate error: failures and errors are one count.
    fn errors_as_failures(mut self) -> Counts {
        self.failed += self.errored;
        self.errored = 0;
        self
    }
}

/// One expected output and the reports it covers.
struct Sidecar {
    /// Path of the expected output, relative to the corpus.
    path: String,
    reports: Vec<String>,
    theirs: Counts,
    /// True when the other tool refused the reports as unreadable.
    refused: bool,
    /// Launchable folds errors into failures.
    errors_are_failures: bool,
}

fn read_json(dir: &Path, path: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(path))
        .unwrap_or_else(|e| panic!("{path}: cannot read: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON: {e}"))
}

fn number(value: &Value, key: &str, path: &str) -> u64 {
    value[key]
        .as_i64()
        .map(|n| n.max(0) as u64)
        .unwrap_or_else(|| panic!("{path}: no integer {key:?}"))
}

/// `X.results.json` beside `X.xml` (or `X.junit-xml`, ...): publish-unit-test-result-action's
/// summary, whose `runs_*` count `<testcase>` elements (its `tests_*` merge repeated names).
fn enrico_sidecars(dir: &Path, rows: &[Row]) -> Vec<Sidecar> {
    let mut out = Vec::new();
    for row in rows {
        if !row
            .path
            .starts_with("EnricoMi__publish-unit-test-result-action/")
        {
            continue;
        }
        let stem = row
            .path
            .rsplit_once('.')
            .map_or(row.path.as_str(), |(s, _)| s);
        let path = format!("{stem}.results.json");
        if !dir.join(&path).is_file() {
            continue;
        }
        let json = read_json(dir, &path);
        let stats = &json["stats"];
        let runs = |k: &str| number(stats, k, &path);
        out.push(Sidecar {
            reports: vec![row.path.clone()],
            theirs: Counts {
                cases: runs("runs"),
                passed: runs("runs_succ"),
                skipped: runs("runs_skip"),
                failed: runs("runs_fail"),
                errored: runs("runs_error"),
            },
            refused: stats["errors"].as_array().is_some_and(|e| !e.is_empty()),
            errors_are_failures: false,
            path,
        });
    }
    out
}

/// Launchable's `record_test_result.json` (or `expected.json`) covers every report below its
/// folder; statuses are 1 passed, 0 failed, 2 skipped.
fn launchable_sidecars(dir: &Path, rows: &[Row]) -> Vec<Sidecar> {
    let base = "launchableinc__cli/tests/data";
    let mut jsons: Vec<String> = Vec::new();
    let mut stack = vec![dir.join(base)];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.file_name().and_then(|n| n.to_str()),
                Some("record_test_result.json" | "expected.json")
            ) && let Ok(rel) = path.strip_prefix(dir)
            {
                jsons.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    jsons.sort();
    let mut out = Vec::new();
    for path in jsons {
        let folder = format!("{}/", path.rsplit_once('/').map_or("", |(d, _)| d));
        let scope = LAUNCHABLE_SCOPE.iter().find(|(json, _, _)| *json == path);
        let reports: Vec<String> = match scope {
            Some((_, reports, _)) => reports.iter().map(|r| r.to_string()).collect(),
            // A nested folder with its own expected output (googletest/fail) is not this one's.
            None => rows
                .iter()
                .filter(|r| r.path.starts_with(&folder))
                .filter(|r| {
                    nearest_launchable_json(dir, &r.path, base).as_deref() == Some(path.as_str())
                })
                .map(|r| r.path.clone())
                .collect(),
        };
        let json = read_json(dir, &path);
        let mut theirs = Counts::default();
        for event in json["events"].as_array().into_iter().flatten() {
            if event["type"] != "case" {
                continue;
            }
            theirs.cases += 1;
            match event["status"].as_i64() {
                Some(1) => theirs.passed += 1,
                Some(0) => theirs.failed += 1,
                Some(2) => theirs.skipped += 1,
                other => panic!("{path}: unknown status {other:?}"),
            }
        }
        out.push(Sidecar {
            path,
            reports,
            theirs,
            refused: false,
            errors_are_failures: true,
        });
    }
    out
}

fn nearest_launchable_json(dir: &Path, report: &str, base: &str) -> Option<String> {
    let mut folder = report.rsplit_once('/')?.0;
    while folder.len() >= base.len() {
        for name in ["record_test_result.json", "expected.json"] {
            let candidate = format!("{folder}/{name}");
            if dir.join(&candidate).is_file() {
                return Some(candidate);
            }
        }
        folder = folder.rsplit_once('/')?.0;
    }
    None
}

/// codecov's snapshot of what its parser read from `tests/junit.xml`.
fn codecov_sidecars(dir: &Path) -> Vec<Sidecar> {
    let path =
        "codecov__test-results-parser/tests/snapshots/parse_raw_upload__TestParsers__junit__1.json";
    if !dir.join(path).is_file() {
        return Vec::new();
    }
    let json = read_json(dir, path);
    let mut theirs = Counts::default();
    for parsed in json.as_array().into_iter().flatten() {
        for run in parsed["testruns"].as_array().into_iter().flatten() {
            theirs.cases += 1;
            match run["outcome"].as_str() {
                Some("pass") => theirs.passed += 1,
                Some("skip") => theirs.skipped += 1,
                Some("failure") => theirs.failed += 1,
                Some("error") => theirs.errored += 1,
                other => panic!("{path}: unknown outcome {other:?}"),
            }
        }
    }
    vec![Sidecar {
        path: path.into(),
        reports: vec!["codecov__test-results-parser/tests/junit.xml".into()],
        theirs,
        refused: false,
        errors_are_failures: false,
    }]
}

#[test]
fn counts_agree_with_other_tools_expected_outputs() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let rows = manifest(&dir);
    let mut sidecars = enrico_sidecars(&dir, &rows);
    sidecars.extend(launchable_sidecars(&dir, &rows));
    sidecars.extend(codecov_sidecars(&dir));
    assert!(
        sidecars.len() >= 40,
        "expected outputs not found beside the reports (found {})",
        sidecars.len()
    );
    let known: BTreeMap<&str, &str> = KNOWN_DIFFERENCES.iter().copied().collect();
    let mut failures = Vec::new();
    for (json, reports, why) in LAUNCHABLE_SCOPE {
        if !sidecars.iter().any(|s| s.path == *json) {
            failures.push(format!("{json}: in LAUNCHABLE_SCOPE but not found"));
        }
        for report in *reports {
            if !rows.iter().any(|r| r.path == *report) {
                failures.push(format!(
                    "{json}: scoped report {report} is not in MANIFEST.tsv"
                ));
            }
        }
        println!("scope: {json} covers {} report(s): {why}", reports.len());
    }
    let mut agree = 0;
    let mut explained = Vec::new();
    for sidecar in &sidecars {
        if sidecar.reports.is_empty() {
            failures.push(format!(
                "{}: covers no report in MANIFEST.tsv",
                sidecar.path
            ));
            continue;
        }
        let mut ours = Counts::default();
        let mut we_refused = false;
        for report_path in &sidecar.reports {
            let bytes = match std::fs::read(dir.join(report_path)) {
                Ok(bytes) => bytes,
                Err(e) => {
                    failures.push(format!("{}: cannot read {report_path}: {e}", sidecar.path));
                    continue;
                }
            };
            let report = junit::parse(&bytes);
            we_refused |= report.has_errors() && report.cases.is_empty();
            ours.add(Counts::of(&report));
        }
        if sidecar.errors_are_failures {
            ours = ours.errors_as_failures();
        }
        let same = ours == sidecar.theirs && (!sidecar.refused || we_refused);
        match (same, known.get(sidecar.path.as_str())) {
            (true, None) => agree += 1,
            (true, Some(_)) => failures.push(format!(
                "{}: listed in KNOWN_DIFFERENCES but now agrees ({ours}); remove the entry",
                sidecar.path
            )),
            (false, Some(reason)) => explained.push(format!(
                "{}\n      theirs {}{}, ours {ours}: {reason}",
                sidecar.path,
                sidecar.theirs,
                if sidecar.refused { " (refused)" } else { "" },
            )),
            (false, None) => failures.push(format!(
                "{}: theirs {}{}, ours {ours}{} (reports: {})",
                sidecar.path,
                sidecar.theirs,
                if sidecar.refused { " (refused)" } else { "" },
                if we_refused { " (refused)" } else { "" },
                sidecar.reports.join(", ")
            )),
        }
    }
    println!(
        "expected outputs: {} compared, {agree} agree, {} known differences",
        sidecars.len(),
        explained.len()
    );
    for line in &explained {
        println!("  {line}");
    }
    assert!(
        failures.is_empty(),
        "{} expected outputs disagree without an entry in KNOWN_DIFFERENCES:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn binary_exit_codes_on_corpus_files() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    // (file, exit code, why)
    let cases: [(&str, i32, &str); 7] = [
        (
            "apache__maven-surefire/surefire-report-parser/src/test/resources/fixture/testsuitexmlparser/TEST-org.apache.maven.surefire.test.FailingTest.xml",
            0,
            "a plain Surefire report",
        ),
        (
            "EnricoMi__publish-unit-test-result-action/python/test/files/junit-xml/pytest/corrupt-xml.xml",
            0,
            "a truncated report whose earlier case is kept",
        ),
        (
            "lukejpreston__xunit-viewer/data/utf-16.xml",
            0,
            "UTF-16 with a bad encoding label: an error, but the cases are read",
        ),
        (
            "launchableinc__cli/tests/data/robot/output.xml",
            2,
            "Robot Framework output, not JUnit",
        ),
        (
            "apache__ant/src/etc/testcases/taskdefs/optional/junitreport/ZEROBYTES-sampleproject.package.xml",
            2,
            "an empty file",
        ),
        (
            "jenkinsci__junit-plugin/src/test/resources/hudson/tasks/junit/testXxe-xxe.xml",
            2,
            "a DTD declaring external entities",
        ),
        (
            "DataDog__datadog-ci/packages/plugin-junit/src/__tests__/fixtures/subfolder/invalid-no-tests.xml",
            2,
            "a valid report without any test case",
        ),
    ];
    let mut failures = Vec::new();
    for (file, code, why) in cases {
        let path = dir.join(file);
        if !path.is_file() {
            failures.push(format!("{file}: not in the corpus"));
            continue;
        }
        let store = tempfile::tempdir().expect("a temporary directory");
        let output = Command::cargo_bin("testsift")
            .expect("the testsift binary is built")
            .arg("ingest")
            .arg(&path)
            .arg("--store")
            .arg(store.path())
            .args(["--run-depth", "0", "--quiet"])
            .env_remove("TESTSIFT_STORE")
            .timeout(Duration::from_secs(60))
            .output()
            .expect("testsift runs");
        if output.status.code() != Some(code) {
            failures.push(format!(
                "{file} ({why}): exit {:?}, expected {code}; stderr:\n{}",
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn testcase_counter_skips_comments_and_cdata() {
    let text = "<testsuite><!-- <testcase name=\"x\"/> --><testcase name=\"a\"/>\
                <testcase>\n<failure><![CDATA[<testcase>]]></failure></testcase>\
                <testcases/><ns:testcase\tname=\"b\"></ns:testcase></testsuite>";
    assert_eq!(count_testcase_tags(text), 3);
}

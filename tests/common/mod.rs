//! Helpers shared by the integration tests: running the real binary, reading the store back
//! through the library, parsing fixture headers, and writing reports, histories and archives
//! into temporary directories.

// Each test crate (`cli`, `dialects`) uses its own subset of these helpers.
#![allow(dead_code)]

use polars::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;
use testsift::store::Store;

/// Longer than any test needs; a hang fails the test instead of stalling the suite.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// The crate root: fixtures are addressed relative to it, as a user would type them.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("fixtures")
}

/// The CI variables `ingest` reads for a single run's identity (docs/ci.md): removed from every
/// test's environment, since the CI running the tests sets some of them.
pub const CI_VARS: &[&str] = &[
    "GITHUB_ACTIONS",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_SHA",
    "GITHUB_REF_NAME",
    "GITHUB_HEAD_REF",
    "GITHUB_JOB",
    "GITHUB_WORKFLOW",
    "GITLAB_CI",
    "CI_PIPELINE_ID",
    "CI_JOB_ID",
    "CI_COMMIT_SHA",
    "CI_COMMIT_REF_NAME",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "CI_JOB_NAME",
    "CI_PIPELINE_CREATED_AT",
    "BUILDKITE",
    "BUILDKITE_BUILD_ID",
    "BUILDKITE_BUILD_NUMBER",
    "BUILDKITE_RETRY_COUNT",
    "BUILDKITE_COMMIT",
    "BUILDKITE_BRANCH",
    "BUILDKITE_LABEL",
    "BUILDKITE_PIPELINE_SLUG",
    "CIRCLECI",
    "CIRCLE_WORKFLOW_ID",
    "CIRCLE_BUILD_NUM",
    "CIRCLE_SHA1",
    "CIRCLE_BRANCH",
    "CIRCLE_JOB",
    "CIRCLE_PROJECT_REPONAME",
    "JENKINS_URL",
    "JENKINS_HOME",
    "BUILD_TAG",
    "BUILD_NUMBER",
    "JOB_NAME",
    "GIT_COMMIT",
    "BRANCH_NAME",
    "GIT_BRANCH",
];

/// The real binary, run from the crate root, unaffected by a `TESTSIFT_STORE` in the caller's
/// environment.
pub fn testsift() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("testsift").unwrap();
    cmd.current_dir(root())
        .env_remove("TESTSIFT_STORE")
        .timeout(TIMEOUT);
    for var in CI_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `testsift ingest PATHS... --store STORE EXTRA...` and returns what it did.
pub fn ingest<P: AsRef<Path>>(store: &Path, paths: &[P], extra: &[&str]) -> Output {
    let mut cmd = testsift();
    cmd.arg("ingest");
    for p in paths {
        cmd.arg(p.as_ref());
    }
    cmd.arg("--store").arg(store).args(extra);
    cmd.output().unwrap()
}

/// Ingests `paths` into a new temporary store (`--quiet` plus `ingest_args`), runs `testsift
/// COMMAND --store STORE ARGS...`, asserts that both succeed and the command prints nothing on
/// stderr, and returns its stdout.
pub fn ingest_and_run<P: AsRef<Path>>(
    command: &str,
    paths: &[P],
    ingest_args: &[&str],
    args: &[&str],
) -> String {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut ia = vec!["--quiet"];
    ia.extend_from_slice(ingest_args);
    let out = ingest(&store, paths, &ia);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = testsift()
        .arg(command)
        .arg("--store")
        .arg(&store)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    stdout(&out)
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The exit code, with stderr in the panic message when the process was killed by a signal.
pub fn code(out: &Output) -> i32 {
    out.status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal; stderr:\n{}", stderr(out)))
}

/// Asserts an exit code, showing stderr when it differs.
#[track_caller]
pub fn assert_code(out: &Output, expected: i32) {
    assert_eq!(
        code(out),
        expected,
        "unexpected exit code; stderr:\n{}",
        stderr(out)
    );
}

/// `testsift stats --format json`, parsed.
pub fn stats(store: &Path) -> serde_json::Value {
    let out = testsift()
        .args(["stats", "--format", "json", "--store"])
        .arg(store)
        .output()
        .unwrap();
    assert_code(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn executions(store: &Path) -> DataFrame {
    Store::at(store).executions().unwrap().collect().unwrap()
}

pub fn runs(store: &Path) -> DataFrame {
    Store::at(store).runs().unwrap().collect().unwrap()
}

pub fn reports(store: &Path) -> DataFrame {
    Store::at(store).reports().unwrap().collect().unwrap()
}

pub fn strs(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    df.column(name)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_owned))
        .collect()
}

/// A string column without nulls.
pub fn texts(df: &DataFrame, name: &str) -> Vec<String> {
    strs(df, name)
        .into_iter()
        .map(|v| v.unwrap_or_else(|| panic!("null in column {name}")))
        .collect()
}

pub fn u32s(df: &DataFrame, name: &str) -> Vec<Option<u32>> {
    df.column(name).unwrap().u32().unwrap().iter().collect()
}

pub fn f64s(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    df.column(name).unwrap().f64().unwrap().iter().collect()
}

pub fn bools(df: &DataFrame, name: &str) -> Vec<Option<bool>> {
    df.column(name).unwrap().bool().unwrap().iter().collect()
}

/// Run timestamps in milliseconds since the epoch, in stored order.
pub fn run_timestamps_ms(store: &Path) -> Vec<Option<i64>> {
    let df = Store::at(store)
        .runs()
        .unwrap()
        .select([col("timestamp").cast(DataType::Int64)])
        .collect()
        .unwrap();
    df.column("timestamp")
        .unwrap()
        .i64()
        .unwrap()
        .iter()
        .collect()
}

/// Writes `bytes` to `path`, creating its parent directories.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// One test case of a generated report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Pass,
    Fail,
    Skip,
}

/// A Surefire-shaped report: one suite `suite`, test cases `name0`, `name1`, ... with the
/// given outcomes, each 0.01 s, failures with a two-line body.
pub fn report(suite: &str, cases: &[Case]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"{suite}\" tests=\"{}\">\n",
        cases.len()
    );
    for (i, case) in cases.iter().enumerate() {
        let open = format!("  <testcase classname=\"{suite}\" name=\"test{i}\" time=\"0.01\"");
        match case {
            Case::Pass => xml.push_str(&format!("{open}/>\n")),
            Case::Fail => xml.push_str(&format!(
                "{open}>\n    <failure message=\"boom {i}\" type=\"AssertionError\">AssertionError: boom {i}\n\tat {suite}.test{i}({suite}.java:{i})</failure>\n  </testcase>\n"
            )),
            Case::Skip => xml.push_str(&format!("{open}>\n    <skipped/>\n  </testcase>\n")),
        }
    }
    xml.push_str("</testsuite>\n");
    xml
}

/// `n` cases, every `fail_every`-th one failing (0: none).
pub fn cases(n: usize, fail_every: usize) -> Vec<Case> {
    (0..n)
        .map(|i| {
            if fail_every > 0 && i % fail_every == fail_every - 1 {
                Case::Fail
            } else {
                Case::Pass
            }
        })
        .collect()
}

/// A run.json for run `run_id`, with a commit made from the id's bytes.
pub fn run_json(run_id: &str, timestamp: &str) -> String {
    let hex: String = run_id.bytes().map(|b| format!("{b:02x}")).collect();
    format!(
        "{{\"run_id\": \"{run_id}\", \"commit\": \"{hex:0>40.40}\", \"branch\": \"main\", \"timestamp\": \"{timestamp}\", \"attempt\": 1}}\n"
    )
}

/// Writes a run folder `dir` with a run.json and `suites` reports of `per_suite` cases.
pub fn write_run(dir: &Path, run_id: &str, suites: usize, per_suite: usize) {
    write(
        &dir.join("run.json"),
        run_json(run_id, "2026-02-01T02:00:00Z"),
    );
    for s in 0..suites {
        let suite = format!("com.example.Suite{s}");
        write(
            &dir.join("reports").join(format!("TEST-{suite}.xml")),
            report(&suite, &cases(per_suite, 7)),
        );
    }
}

/// A history of run folders `run-{first}` .. `run-{first + count - 1}` under `parent`, each
/// with run id `gen-{i}`: the same id for the same `i`, so overlapping histories share runs.
pub fn write_history(parent: &Path, first: usize, count: usize, suites: usize, per_suite: usize) {
    for i in first..first + count {
        write_run(
            &parent.join(format!("run-{i:04}")),
            &format!("gen-{i}"),
            suites,
            per_suite,
        );
    }
}

/// Every (run, variant, test_id) of the executions table is unique.
#[track_caller]
pub fn assert_no_duplicate_rows(store: &Path) {
    let df = executions(store);
    let keys: std::collections::HashSet<(String, String, String)> = texts(&df, "run")
        .into_iter()
        .zip(texts(&df, "variant"))
        .zip(texts(&df, "test_id"))
        .map(|((r, v), t)| (r, v, t))
        .collect();
    assert_eq!(keys.len(), df.height(), "duplicate rows in executions");
    let runs = runs(store);
    let run_keys: std::collections::HashSet<(String, String)> = texts(&runs, "run")
        .into_iter()
        .zip(texts(&runs, "variant"))
        .collect();
    assert_eq!(run_keys.len(), runs.height(), "duplicate runs");
}

/// Directories under STORE/segments whose name ends in `.tmp`.
pub fn tmp_segments(store: &Path) -> Vec<PathBuf> {
    match fs::read_dir(store.join("segments")) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Whether `go test -skip PATTERN` skips the test `name` (`TestA/sub/case`), as Go 1.20+'s
/// testing/match.go decides: the pattern splits at each `|` and `/` outside brackets and
/// parentheses and not escaped (`|` into alternatives, `/` into levels), and a test is skipped
/// when some alternative has no more levels than the name and each of its levels matches the
/// name's level (a skipped parent skips its subtests). Checks a written pattern without Go.
pub fn go_skips(pattern: &str, name: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let mut alternatives: Vec<Vec<String>> = vec![vec![String::new()]];
    let (mut brackets, mut parens) = (0usize, 0usize);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let alt = alternatives.last_mut().unwrap();
        match c {
            '\\' => {
                let level = alt.last_mut().unwrap();
                level.push(c);
                if let Some(next) = chars.next() {
                    level.push(next);
                }
                continue;
            }
            '[' => brackets += 1,
            ']' => brackets = brackets.saturating_sub(1),
            '(' if brackets == 0 => parens += 1,
            ')' if brackets == 0 => parens = parens.saturating_sub(1),
            '/' if brackets == 0 && parens == 0 => {
                alt.push(String::new());
                continue;
            }
            '|' if brackets == 0 && parens == 0 => {
                alternatives.push(vec![String::new()]);
                continue;
            }
            _ => {}
        }
        alt.last_mut().unwrap().push(c);
    }
    let levels: Vec<&str> = name.split('/').collect();
    alternatives.iter().any(|alt| {
        alt.len() <= levels.len()
            && alt.iter().zip(&levels).all(|(re, level)| {
                regex::Regex::new(re)
                    .unwrap_or_else(|e| panic!("{re:?}: {e}"))
                    .is_match(level)
            })
    })
}

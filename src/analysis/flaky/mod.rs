//! `flaky`: one verdict per test and variant (stable, flaky, broken, fixed, new,
//! insufficient-data) with the evidence behind it. Formulas: docs/analysis.md.
//!
//! One Polars query reads the executions' columns; rows are then placed in the window's run
//! order and grouped by test in plain Rust, and the per-test sequential logic (streaks, flips,
//! same-commit contradictions) runs one test at a time, in run order. A second, small query
//! reads each test's names from its newest execution.

mod infra;
mod model;

pub(crate) use infra::Level;
pub(crate) use model::{Exec, Interval, PENALTY};

use super::load::Keys;
use super::window::{RunInfo, WindowSpec, runs_in_window};
use super::{AnalysisError, RunCounts, query_err};
use crate::domain::Status;
use crate::store::Store;
use crate::store::schema::*;
use polars::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Version of the JSON output; bumped when a field changes meaning or disappears.
pub(crate) const SCHEMA_VERSION: u32 = 1;
/// Weight lost per run of age in the decayed flip rate (Apple, ICSE-SEIP 2020).
pub(crate) const DECAY: f64 = 0.1;
/// Runs with fewer executed tests are never called infrastructure failures.
pub(crate) use super::INFRA_MIN_TESTS;
/// How many failure fingerprints a flaky test reports.
const TOP_FINGERPRINTS: usize = 3;
/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_985;

/// Thresholds of the analysis.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FlakyOptions {
    /// Below this many executed runs (not skipped, not infrastructure) a test without retry or
    /// same-commit evidence is `new` or `insufficient-data`.
    pub(crate) min_runs: usize,
    /// A run where more than this share of executed tests fail is an infrastructure failure.
    pub(crate) infra_threshold: f64,
}

impl Default for FlakyOptions {
    fn default() -> Self {
        FlakyOptions {
            min_runs: 5,
            infra_threshold: super::INFRA_THRESHOLD,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Verdict {
    Broken,
    Flaky,
    Fixed,
    New,
    InsufficientData,
    Stable,
    /// Skipped in every run of the window.
    Skipped,
}

impl Verdict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::Broken => "broken",
            Verdict::Flaky => "flaky",
            Verdict::Fixed => "fixed",
            Verdict::New => "new",
            Verdict::InsufficientData => "insufficient-data",
            Verdict::Stable => "stable",
            Verdict::Skipped => "skipped",
        }
    }
}

/// The whole result of `testsift flaky`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FlakyReport {
    pub(crate) schema_version: u32,
    pub(crate) options: FlakyOptions,
    pub(crate) summary: Summary,
    pub(crate) infrastructure_runs: Vec<InfraRun>,
    pub(crate) tests: Vec<TestVerdict>,
    /// Tests that started and stopped failing on the same commits, one group per (first bad
    /// commit, fixing commit) of their newest breakage: the commit broke them together.
    pub(crate) breakage_groups: Vec<BreakageGroup>,
}

/// A breakage interval of one test: every execution on the commits from `first_bad` to
/// `last_bad` (in first-appearance order) failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Breakage {
    /// The first run of the first bad commit: the change that broke the test.
    pub(crate) first_bad: RunRef,
    /// The first run of the last bad commit.
    pub(crate) last_bad: RunRef,
    /// The first run of the next commit the test ran on, where it passed again; none while
    /// it is still broken.
    pub(crate) fixed_by: Option<RunRef>,
    pub(crate) commits: usize,
    pub(crate) executions: usize,
}

/// Tests whose newest breakage started and ended on the same commits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct BreakageGroup {
    pub(crate) first_bad: RunRef,
    pub(crate) fixed_by: Option<RunRef>,
    /// `broken` while the group is still failing, else `fixed`.
    pub(crate) verdict: Verdict,
    /// Test ids (with the variant after a space when there is one), sorted.
    pub(crate) tests: Vec<String>,
}

/// Headline figures over the window.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Summary {
    /// Runs (run key and variant) in the window.
    pub(crate) runs: usize,
    pub(crate) first_run: Option<String>,
    pub(crate) last_run: Option<String>,
    pub(crate) infrastructure_runs: usize,
    /// Report files (shards, jobs) set aside as crashed, outside infrastructure runs.
    pub(crate) infrastructure_reports: usize,
    /// Failure fingerprints set aside as shared by many tests of one run.
    pub(crate) infrastructure_fingerprints: usize,
    /// Non-infrastructure runs with at least one failed test.
    pub(crate) red_runs: usize,
    /// Red runs whose every failure was a flaky failure of a flaky test.
    pub(crate) red_only_flaky_runs: usize,
    /// red_only_flaky_runs / (runs - infrastructure_runs): the "flaky PR rate".
    pub(crate) flaky_run_rate: f64,
    pub(crate) tests: usize,
    pub(crate) stable: usize,
    pub(crate) flaky: usize,
    pub(crate) broken: usize,
    pub(crate) fixed: usize,
    pub(crate) new: usize,
    pub(crate) insufficient_data: usize,
    /// Tests skipped in every run of the window.
    pub(crate) skipped: usize,
    /// Breakage groups: commits that broke tests (see [`BreakageGroup`]).
    pub(crate) breakage_groups: usize,
    /// Executed (not skipped) executions outside infrastructure runs.
    pub(crate) executions: usize,
    /// Flaky executions of flaky tests.
    pub(crate) flaky_executions: usize,
    pub(crate) flaky_executions_per_1000: f64,
}

/// An infrastructure failure set aside: a whole run, one report file (a crashed shard or job)
/// or one failure fingerprint shared by many tests of one run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct InfraRun {
    pub(crate) run: String,
    pub(crate) variant: String,
    pub(crate) commit: Option<String>,
    pub(crate) timestamp: String,
    /// Executed tests: of the run (levels `run`, `fingerprint`) or of the report.
    pub(crate) executed: usize,
    /// Failed tests in the set aside.
    pub(crate) failed: usize,
    pub(crate) failed_share: f64,
    pub(crate) level: Level,
    /// The report file (level `report`).
    pub(crate) report: Option<String>,
    /// The failure fingerprint most of the set shares (16 hex digits; levels `report` and
    /// `fingerprint`).
    pub(crate) fingerprint: Option<String>,
    /// A failure message of the set.
    pub(crate) message: Option<String>,
    /// Why it was set aside, in words.
    pub(crate) reason: String,
}

/// A run, as the result names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RunRef {
    pub(crate) run: String,
    pub(crate) commit: Option<String>,
    pub(crate) timestamp: String,
}

/// The newest breakage interval in the shape of schema 1's broken streak.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Streak {
    /// The first run of the first bad commit: the change that broke the test.
    pub(crate) first: RunRef,
    /// Executions in the interval.
    pub(crate) length: usize,
    /// The first run of the fixing commit; none while the test is still broken.
    pub(crate) ended: Option<RunRef>,
}

/// A failure fingerprint of a flaky test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FailureGroup {
    /// 16 hex digits.
    pub(crate) fingerprint: String,
    pub(crate) count: usize,
    pub(crate) example: String,
}

/// One test and variant, its verdict and the evidence.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TestVerdict {
    pub(crate) test_id: String,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) family: String,
    pub(crate) variant: String,
    pub(crate) verdict: Verdict,
    /// Executed runs: not skipped, not infrastructure runs.
    pub(crate) runs: usize,
    pub(crate) passed: usize,
    pub(crate) failed: usize,
    pub(crate) skipped: usize,
    /// Evidence 1: runs where the test failed, then passed on a retry (status flaky).
    pub(crate) retry_runs: usize,
    /// Evidence 2: commits on which the test both passed and failed.
    pub(crate) same_commit_commits: usize,
    /// Evidence 3: flips between consecutive outcomes per branch, minus those that start or
    /// end a broken streak.
    pub(crate) flips: usize,
    /// Consecutive outcome pairs per branch: the sum of (n - 1).
    pub(crate) transitions: usize,
    pub(crate) flip_rate: f64,
    pub(crate) flip_rate_decayed: f64,
    /// Executions outside broken streaks.
    pub(crate) non_broken_executions: usize,
    /// Of those, failed or flaky ones.
    pub(crate) flaky_executions: usize,
    pub(crate) flake_rate: Option<f64>,
    pub(crate) flake_rate_low: Option<f64>,
    pub(crate) flake_rate_high: Option<f64>,
    pub(crate) first_flaky: Option<RunRef>,
    pub(crate) last_flaky: Option<RunRef>,
    /// The newest breakage, as a streak (kept for readers of schema 1; see `breakage`).
    pub(crate) streak: Option<Streak>,
    /// The newest breakage interval, if any.
    pub(crate) breakage: Option<Breakage>,
    /// Every breakage interval in the window, oldest first.
    pub(crate) breakages: Vec<Breakage>,
    /// For a test skipped in every run of the window: the first of those runs.
    pub(crate) skipped_since: Option<RunRef>,
    pub(crate) fingerprints: Vec<FailureGroup>,
    /// Estimated CI seconds this test's flakiness cost (flaky tests only).
    pub(crate) ci_seconds: f64,
    /// Its owners (testsift.toml's rules, CODEOWNERS), filled in by the commands that show
    /// them; left out of the JSON when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) owners: Vec<String>,
}

/// A test's outcome in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pass,
    /// Failed or errored on every attempt.
    Fail,
    /// Failed, then passed on a retry within the run.
    Retry,
}

impl Outcome {
    fn passed(self) -> bool {
        !matches!(self, Outcome::Fail)
    }
}

/// One executed (not skipped, not infrastructure) outcome of a test, in run order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Point {
    /// Index into the window's runs.
    pub(crate) run: usize,
    pub(crate) outcome: Outcome,
}

/// What the sequence of a test's outcomes shows, before costs and messages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Evidence {
    pub(crate) retry_runs: usize,
    pub(crate) same_commit_commits: usize,
    pub(crate) flips: usize,
    pub(crate) transitions: usize,
    pub(crate) flip_rate: f64,
    pub(crate) flip_rate_decayed: f64,
    /// Per point: inside a breakage interval.
    pub(crate) in_streak: Vec<bool>,
    /// (first point, executions, first point of the fixing commit) of the newest breakage
    /// interval.
    pub(crate) streak: Option<(usize, usize, Option<usize>)>,
    pub(crate) broken_now: bool,
    /// Failed or retried points outside breakage intervals: what flakiness must explain.
    pub(crate) unexplained_failures: usize,
    /// Every breakage interval, oldest commit first.
    pub(crate) intervals: Vec<Interval>,
}

/// Each run's commit and branch as small numbers, so the per-test work compares integers
/// instead of strings, and the decay weights `0.9^age` computed once.
struct RunIndex {
    commit: Vec<Option<u32>>,
    /// The run's commit in first-appearance order, counting a run without a commit as a commit
    /// of its own (the model's commit order).
    position: Vec<u32>,
    branch: Vec<Option<u32>>,
    /// `weight[k]` = (1 − DECAY)^k.
    weight: Vec<f64>,
}

impl RunIndex {
    fn new(runs: &[RunInfo]) -> RunIndex {
        fn number<'a>(ids: &mut HashMap<&'a str, u32>, s: Option<&'a str>) -> Option<u32> {
            let next = u32::try_from(ids.len()).expect("fewer than 2^32 commits");
            s.map(|s| *ids.entry(s).or_insert(next))
        }
        let (mut commits, mut branches) = (HashMap::new(), HashMap::new());
        let mut positions: HashMap<&str, u32> = HashMap::new();
        let mut next = 0u32;
        let position = runs
            .iter()
            .map(|r| match r.commit.as_deref() {
                Some(c) => *positions.entry(c).or_insert_with(|| {
                    next += 1;
                    next - 1
                }),
                None => {
                    next += 1;
                    next - 1
                }
            })
            .collect();
        RunIndex {
            weight: (0..runs.len())
                .map(|k| (1.0 - DECAY).powi(i32::try_from(k).unwrap_or(i32::MAX)))
                .collect(),
            commit: runs
                .iter()
                .map(|r| number(&mut commits, r.commit.as_deref()))
                .collect(),
            position,
            branch: runs
                .iter()
                .map(|r| number(&mut branches, r.branch.as_deref()))
                .collect(),
        }
    }
}

/// Retry, same-commit and flip evidence and breakage intervals for one test's points (run
/// order), each point one attempt (a retry: one failed attempt and a pass).
pub(crate) fn evidence(points: &[Point], runs: &[RunInfo]) -> Evidence {
    let attempts: Vec<(u32, u32)> = points
        .iter()
        .map(|p| match p.outcome {
            Outcome::Pass => (1, 0),
            Outcome::Fail => (1, 1),
            Outcome::Retry => (2, 1),
        })
        .collect();
    evidence_with(points, &attempts, &RunIndex::new(runs))
}

/// [`evidence`] with each point's (attempts, failed attempts) and the runs already numbered.
fn evidence_with(points: &[Point], attempts: &[(u32, u32)], ids: &RunIndex) -> Evidence {
    let commit = |p: &Point| ids.commit.get(p.run).copied().flatten();
    let (mut passed_on, mut failed_on): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    for p in points {
        if let Some(c) = commit(p) {
            if p.outcome.passed() {
                passed_on.push(c);
            } else {
                failed_on.push(c);
            }
        }
    }
    for set in [&mut passed_on, &mut failed_on] {
        set.sort_unstable();
        set.dedup();
    }
    let same_commit_commits = failed_on
        .iter()
        .filter(|&&c| passed_on.binary_search(&c).is_ok())
        .count();
    let execs: Vec<Exec> = points
        .iter()
        .zip(attempts)
        .map(|(p, &(attempts, failed))| Exec {
            commit: ids.position.get(p.run).copied().unwrap_or(u32::MAX),
            attempts: attempts.max(1),
            failed: match p.outcome {
                Outcome::Pass => 0,
                Outcome::Fail => failed.max(1),
                Outcome::Retry => failed.clamp(1, attempts.max(2) - 1),
            },
            outcome: p.outcome,
        })
        .collect();
    let ex = model::explain(&execs, PENALTY);
    let retry_runs = points
        .iter()
        .filter(|p| p.outcome == Outcome::Retry)
        .count();

    let mut by_branch: BTreeMap<Option<u32>, Vec<usize>> = BTreeMap::new();
    for (i, p) in points.iter().enumerate() {
        let branch = ids.branch.get(p.run).copied().flatten();
        by_branch.entry(branch).or_default().push(i);
    }
    let (mut flips, mut transitions) = (0, 0);
    let (mut weighted, mut weights) = (0.0, 0.0);
    for idx in by_branch.values() {
        let n = idx.len().saturating_sub(1);
        for (t, pair) in idx.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            // A change of outcome into or out of a breakage is explained by it.
            let flip = points[a].outcome.passed() != points[b].outcome.passed()
                && !ex.in_breakage[a]
                && !ex.in_breakage[b];
            let w = ids.weight.get(n - 1 - t).copied().unwrap_or(0.0);
            weights += w;
            if flip {
                flips += 1;
                weighted += w;
            }
        }
        transitions += n;
    }
    let unexplained_failures = points
        .iter()
        .zip(&ex.in_breakage)
        .filter(|(p, inside)| !**inside && p.outcome != Outcome::Pass)
        .count();
    Evidence {
        retry_runs,
        same_commit_commits,
        flips,
        transitions,
        flip_rate: ratio(flips as f64, transitions as f64),
        flip_rate_decayed: ratio(weighted, weights),
        streak: ex
            .intervals
            .last()
            .map(|i| (i.first_exec, i.executions, i.fixed_exec)),
        broken_now: ex.broken_now,
        unexplained_failures,
        in_streak: ex.in_breakage,
        intervals: ex.intervals,
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// The 95% Wilson score interval of `x` successes in `n` trials.
pub(crate) fn wilson(x: usize, n: usize) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (x, n) = (x as f64, n as f64);
    let p = x / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((center - half).max(0.0), (center + half).min(1.0)))
}

/// The verdict the evidence supports; `appeared_late` is true when the test is absent from
/// earlier runs of its variant in the window.
pub(crate) fn verdict(ev: &Evidence, runs: usize, min_runs: usize, appeared_late: bool) -> Verdict {
    if runs == 0 {
        Verdict::InsufficientData
    } else if ev.broken_now {
        Verdict::Broken
    } else if ev.retry_runs > 0
        || ev.same_commit_commits > 0
        || (ev.unexplained_failures > 0 && runs >= min_runs)
    {
        Verdict::Flaky
    } else if !ev.intervals.is_empty() {
        Verdict::Fixed
    } else if runs < min_runs {
        if appeared_late {
            Verdict::New
        } else {
            Verdict::InsufficientData
        }
    } else {
        Verdict::Stable
    }
}

/// Runs the analysis over the store.
///
/// The executions are read as stored, keys and codes ([`Frame`]), with neither a join nor a
/// sort in the query: a join onto the window's run order, a sort by the string test id, or the
/// named view of the executions copies every selected column for every row. [`Rows`] then maps
/// each row to its window position and groups the rows by test in plain Rust (a hash map over
/// the test and variant indexes, then a counting sort of row numbers), and each test's
/// classname, name and family are named once from its newest execution's test key ([`names`]).
/// Figures: docs/benchmarks.md.
pub(crate) fn flaky(
    store: &Store,
    window: &WindowSpec,
    options: &FlakyOptions,
) -> Result<FlakyReport, AnalysisError> {
    let runs = runs_in_window(store, window)?;
    let frame = Frame::read(store, &runs)?;
    let rows = Rows::new(&frame);
    let names = names(&frame, &rows);
    analyse(&frame, &rows, &names, &runs, options).map_err(query_err(store))
}

/// The executions as `flaky` reads them: the stored columns (keys and codes, not names), and
/// per row its status, window position and test group, with the names the keys stand for
/// read once from the small runs, tests and reports tables.
struct Frame {
    /// The stored columns flaky reads, in stored row order.
    df: DataFrame,
    status: Vec<Option<Status>>,
    /// Per row: its run's position in the window; none when the run is outside it.
    order: Vec<Option<u32>>,
    /// Per row: (test index in `keys.names`, variant index in `keys.variants`); meaningful
    /// where `order` is some.
    group: Vec<(u32, u32)>,
    keys: Keys,
    /// Report key -> path.
    report_paths: FxHashMap<u64, String>,
    /// Test key -> classname, name and family.
    test_names: FxHashMap<u64, [String; 3]>,
}

impl Frame {
    fn read(store: &Store, runs: &[RunInfo]) -> Result<Frame, AnalysisError> {
        let keys = Keys::read(store, runs, SUITE)?;
        let df = store
            .stored_executions()?
            .select([
                col(RUN_KEY),
                col(TEST),
                col(REPORT_KEY),
                col(STATUS),
                col(ATTEMPTS),
                col(FAILED_ATTEMPTS),
                col(DURATION),
                col(MESSAGE),
                col(FINGERPRINT),
            ])
            .collect()
            .map_err(query_err(store))?;
        let err = || query_err(store);
        let run_key = df.column(RUN_KEY).map_err(err())?.u64().map_err(err())?;
        let test = df.column(TEST).map_err(err())?.u64().map_err(err())?;
        let code = df.column(STATUS).map_err(err())?.u32().map_err(err())?;
        let n = df.height();
        let (mut order, mut group) = (Vec::with_capacity(n), Vec::with_capacity(n));
        // A run's executions are stored together: look its position up once per stretch.
        let mut last: Option<(u64, Option<(u32, u32)>)> = None;
        for (rk, tk) in run_key.iter().zip(test.iter()) {
            let run = match (rk, last) {
                (Some(rk), Some((k, r))) if k == rk => r,
                (Some(rk), _) => {
                    let r = keys.run.get(&rk).copied();
                    last = Some((rk, r));
                    r
                }
                (None, _) => None,
            };
            let t = tk.and_then(|tk| keys.test.get(&tk)).map(|&(t, _)| t);
            match (run, t) {
                (Some((pos, variant)), Some(t)) => {
                    order.push(Some(pos));
                    group.push((t, variant));
                }
                _ => {
                    order.push(None);
                    group.push((0, 0));
                }
            }
        }
        let status: Vec<Option<Status>> =
            code.iter().map(|c| c.and_then(Status::from_code)).collect();
        let reports = store
            .reports()?
            .select([col(REPORT_KEY), col(PATH)])
            .collect()
            .map_err(err())?;
        let report_paths: FxHashMap<u64, String> = reports
            .column(REPORT_KEY)
            .map_err(err())?
            .u64()
            .map_err(err())?
            .iter()
            .zip(
                reports
                    .column(PATH)
                    .map_err(err())?
                    .str()
                    .map_err(err())?
                    .iter(),
            )
            .filter_map(|(k, p)| Some((k?, p.unwrap_or_default().to_string())))
            .collect();
        let tests = store
            .tests()?
            .select([col(TEST), col(CLASSNAME), col(NAME), col(FAMILY)])
            .collect()
            .map_err(err())?;
        let text = |name: &str| -> Result<StringChunked, AnalysisError> {
            Ok(tests
                .column(name)
                .map_err(err())?
                .str()
                .map_err(err())?
                .clone())
        };
        let (c, nm, f) = (text(CLASSNAME)?, text(NAME)?, text(FAMILY)?);
        let mut test_names: FxHashMap<u64, [String; 3]> = FxHashMap::default();
        let tkeys = tests.column(TEST).map_err(err())?.u64().map_err(err())?;
        for (i, k) in tkeys.iter().enumerate() {
            let Some(k) = k else { continue };
            test_names.entry(k).or_insert_with(|| {
                let get = |ca: &StringChunked| ca.get(i).unwrap_or_default().to_string();
                [get(&c), get(&nm), get(&f)]
            });
        }
        Ok(Frame {
            df,
            status,
            order,
            group,
            keys,
            report_paths,
            test_names,
        })
    }

    /// The test id and variant of row `i`'s group.
    fn test_of(&self, i: usize) -> (&str, &str) {
        let (t, v) = self.group[i];
        (
            self.keys
                .names
                .get(t as usize)
                .map_or("", |n| n.test_id.as_str()),
            self.keys
                .variants
                .get(v as usize)
                .map_or("", String::as_str),
        )
    }

    /// The path of row `i`'s report.
    fn report_path(&self, report: &UInt64Chunked, i: usize) -> &str {
        report
            .get(i)
            .and_then(|k| self.report_paths.get(&k))
            .map_or("", String::as_str)
    }
}

/// The executions' window positions and outcomes, grouped by test.
struct Rows {
    /// Per row: its run's position in the window; none when the run is outside it.
    order: Vec<Option<u32>>,
    /// `entries[start[t]..start[t + 1]]` are the window's executions of the `t`-th test (in test
    /// id, then variant, order), in run order. Each carries its run and outcome, so the per-test
    /// pass reads contiguous memory instead of jumping across 10 million rows.
    entries: Vec<Entry>,
    start: Vec<usize>,
}

/// One execution in its test's group.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Row in the collected frame.
    row: u32,
    /// Position of its run in the window.
    run: u32,
    /// None for a skipped execution.
    outcome: Option<Outcome>,
}

impl Rows {
    fn new(frame: &Frame) -> Rows {
        let order = frame.order.clone();
        let mut slot: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        let mut keys: Vec<(&str, &str)> = Vec::new();
        let mut slots: Vec<(u32, Entry)> = Vec::new();
        for (i, (o, st)) in order.iter().zip(&frame.status).enumerate() {
            let Some(o) = *o else {
                continue;
            };
            let s = *slot.entry(frame.group[i]).or_insert_with(|| {
                keys.push(frame.test_of(i));
                u32::try_from(keys.len() - 1).expect("fewer than 2^32 tests")
            });
            let outcome = match st {
                Some(Status::Passed) => Some(Outcome::Pass),
                Some(Status::Failed | Status::Error) => Some(Outcome::Fail),
                Some(Status::Flaky) => Some(Outcome::Retry),
                _ => None,
            };
            let row = u32::try_from(i).expect("fewer than 2^32 rows");
            slots.push((
                s,
                Entry {
                    row,
                    run: o,
                    outcome,
                },
            ));
        }
        // Rank the tests by key, then counting-sort the entries into their test's bucket.
        let mut by_key: Vec<usize> = (0..keys.len()).collect();
        by_key.sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]));
        let mut rank = vec![0usize; keys.len()];
        for (r, &k) in by_key.iter().enumerate() {
            rank[k] = r;
        }
        let mut start = vec![0usize; keys.len() + 1];
        for &(s, _) in &slots {
            start[rank[s as usize] + 1] += 1;
        }
        for t in 0..keys.len() {
            start[t + 1] += start[t];
        }
        let mut next = start.clone();
        let mut entries = vec![
            Entry {
                row: 0,
                run: 0,
                outcome: None
            };
            slots.len()
        ];
        for &(s, e) in &slots {
            let t = rank[s as usize];
            entries[next[t]] = e;
            next[t] += 1;
        }
        drop(slots);
        for t in 0..keys.len() {
            entries[start[t]..start[t + 1]].sort_by_key(|e| e.run);
        }
        Rows {
            order,
            entries,
            start,
        }
    }

    fn tests(&self) -> usize {
        self.start.len() - 1
    }

    fn of_test(&self, t: usize) -> &[Entry] {
        &self.entries[self.start[t]..self.start[t + 1]]
    }
}

/// A test's classname, name and family, by (test id, variant).
type Names = FxHashMap<(String, String), [String; 3]>;

/// The classname, name and family of every test as its newest execution in the window gives
/// them (by that execution's test key).
fn names(frame: &Frame, rows: &Rows) -> Names {
    let test = frame.df.column(TEST).and_then(|c| c.u64().cloned()).ok();
    let mut names = Names::default();
    for t in 0..rows.tests() {
        let Some(e) = rows.of_test(t).last() else {
            continue;
        };
        let i = e.row as usize;
        let (id, variant) = frame.test_of(i);
        let found = test
            .as_ref()
            .and_then(|k| k.get(i))
            .and_then(|k| frame.test_names.get(&k))
            .cloned()
            .unwrap_or_default();
        names.insert((id.to_string(), variant.to_string()), found);
    }
    names
}

/// Random access by row number into a column of many chunks (a Parquet scan gives one per row
/// group): a binary search over the chunk ends, where `ChunkedArray::get` walks the chunks.
fn indexed<'a, T: PolarsDataType>(
    ca: &'a ChunkedArray<T>,
) -> impl Fn(usize) -> Option<T::Physical<'a>> + 'a {
    let arrays: Vec<&T::Array> = ca.downcast_iter().collect();
    let ends: Vec<usize> = ca
        .chunk_lengths()
        .scan(0, |end, len| {
            *end += len;
            Some(*end)
        })
        .collect();
    move |i| {
        let c = ends.partition_point(|&e| e <= i);
        let start = c.checked_sub(1).map_or(0, |p| ends[p]);
        arrays.get(c).and_then(|a| a.get(i - start))
    }
}

fn analyse(
    frame: &Frame,
    rows: &Rows,
    names: &Names,
    runs: &[RunInfo],
    options: &FlakyOptions,
) -> PolarsResult<FlakyReport> {
    let df = &frame.df;
    let duration_col = df.column(DURATION)?.f64()?;
    let attempts = indexed(df.column(ATTEMPTS)?.u32()?);
    let failed_attempts = indexed(df.column(FAILED_ATTEMPTS)?.u32()?);
    let duration = indexed(duration_col);
    let message = indexed(df.column(MESSAGE)?.str()?);
    let fingerprint = indexed(df.column(FINGERPRINT)?.u64()?);
    // Rows outside the window are in no test's group; these two are read for every row.
    let commits = RunIndex::new(runs);

    // Per run: summed test time.
    let mut seconds = vec![0f64; runs.len()];
    for (r, d) in rows.order.iter().zip(duration_col.iter()) {
        if let Some(r) = r {
            seconds[*r as usize] += d.unwrap_or(0.0);
        }
    }
    let counts = RunCounts::of_statuses(runs.len(), &rows.order, &frame.status);
    let infra = counts.infrastructure(options.infra_threshold);
    let report_key = df.column(REPORT_KEY)?.u64()?;
    let (set_aside, partial_infra) =
        partial_infrastructure(frame, report_key, rows, &infra, &fingerprint);
    let (executed, failed) = (&counts.executed, &counts.failed);
    let first_of_variant: HashMap<&str, usize> =
        runs.iter()
            .enumerate()
            .rev()
            .fold(HashMap::new(), |mut m, (i, r)| {
                m.insert(r.variant.as_str(), i);
                m
            });
    // The next attempt of each run: same run id and variant, higher attempt.
    let rerun: Vec<Option<usize>> = runs
        .iter()
        .map(|r| {
            let a = r.attempt.unwrap_or(1);
            runs.iter()
                .enumerate()
                .filter(|(_, o)| {
                    o.run_id == r.run_id && o.variant == r.variant && o.attempt.unwrap_or(1) > a
                })
                .min_by_key(|(_, o)| o.attempt.unwrap_or(1))
                .map(|(i, _)| i)
        })
        .collect();
    let run_ref = |r: usize| {
        runs.get(r).map(|r| RunRef {
            run: r.run.clone(),
            commit: r.commit.clone(),
            timestamp: r.timestamp(),
        })
    };

    let mut tests = Vec::new();
    // Per run: does every failure in it belong to a flaky failure of a flaky test?
    let mut real_failure = vec![false; runs.len()];
    let mut total_executions = 0usize;
    for t in 0..rows.tests() {
        let all = rows.of_test(t);
        let first = all[0].row as usize;
        let mut points = Vec::new();
        let mut point_rows = Vec::new();
        for e in all
            .iter()
            .filter(|e| !infra[e.run as usize] && !set_aside[e.row as usize])
        {
            if let Some(outcome) = e.outcome {
                points.push(Point {
                    run: e.run as usize,
                    outcome,
                });
                point_rows.push(e.row as usize);
            }
        }
        total_executions += points.len();
        let point_attempts: Vec<(u32, u32)> = point_rows
            .iter()
            .map(|&i| (attempts(i).unwrap_or(1), failed_attempts(i).unwrap_or(0)))
            .collect();
        let ev = evidence_with(&points, &point_attempts, &commits);
        let first_run = all[0].run as usize;
        let (id, var) = frame.test_of(first);
        let appeared_late = first_of_variant.get(var).is_some_and(|&f| first_run > f);
        let skipped = all.iter().filter(|e| e.outcome.is_none()).count();
        let v = if points.is_empty() && skipped > 0 && skipped == all.len() {
            Verdict::Skipped
        } else {
            verdict(&ev, points.len(), options.min_runs, appeared_late)
        };

        let flaky_idx: Vec<usize> = (0..points.len())
            .filter(|&k| !ev.in_streak[k] && points[k].outcome != Outcome::Pass)
            .collect();
        for (k, p) in points.iter().enumerate() {
            if p.outcome == Outcome::Fail && (v != Verdict::Flaky || ev.in_streak[k]) {
                real_failure[p.run] = true;
            }
        }
        let non_broken = ev.in_streak.iter().filter(|s| !**s).count();
        let interval = wilson(flaky_idx.len(), non_broken);
        let mut groups: BTreeMap<u64, (usize, String)> = BTreeMap::new();
        let mut ci_seconds = 0.0;
        if v == Verdict::Flaky {
            for &k in &flaky_idx {
                let i = point_rows[k];
                if let Some(fp) = fingerprint(i) {
                    let g = groups
                        .entry(fp)
                        .or_insert_with(|| (0, message(i).unwrap_or_default().to_string()));
                    g.0 += 1;
                }
                let n = f64::from(attempts(i).unwrap_or(1).max(1));
                let f = f64::from(failed_attempts(i).unwrap_or(0));
                ci_seconds += duration(i).unwrap_or(0.0) * (f / n).min(1.0);
                if points[k].outcome == Outcome::Fail
                    && let Some(again) = rerun[points[k].run]
                {
                    ci_seconds += seconds[again] / failed[points[k].run].max(1) as f64;
                }
            }
        }
        let mut fingerprints: Vec<FailureGroup> = groups
            .into_iter()
            .map(|(fp, (count, example))| FailureGroup {
                fingerprint: format!("{fp:016x}"),
                count,
                example,
            })
            .collect();
        fingerprints.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.fingerprint.cmp(&b.fingerprint))
        });
        fingerprints.truncate(TOP_FINGERPRINTS);
        let streak = ev.streak.map(|(s, len, after)| Streak {
            first: run_ref(points[s].run).unwrap_or_else(empty_ref),
            length: len,
            ended: after.and_then(|a| run_ref(points[a].run)),
        });
        let breakages: Vec<Breakage> = ev
            .intervals
            .iter()
            .map(|i| Breakage {
                first_bad: run_ref(points[i.first_exec].run).unwrap_or_else(empty_ref),
                last_bad: run_ref(points[i.last_exec].run).unwrap_or_else(empty_ref),
                fixed_by: i.fixed_exec.and_then(|a| run_ref(points[a].run)),
                commits: i.commits,
                executions: i.executions,
            })
            .collect();
        let skipped_since = (v == Verdict::Skipped)
            .then(|| all.first().and_then(|e| run_ref(e.run as usize)))
            .flatten();
        let id = id.to_string();
        let [classname, name, family] = names
            .get(&(id.clone(), var.to_string()))
            .cloned()
            .unwrap_or_default();
        tests.push(TestVerdict {
            test_id: id,
            classname,
            name,
            family,
            variant: var.to_string(),
            verdict: v,
            runs: points.len(),
            passed: points.iter().filter(|p| p.outcome.passed()).count(),
            failed: points.iter().filter(|p| !p.outcome.passed()).count(),
            skipped,
            retry_runs: ev.retry_runs,
            same_commit_commits: ev.same_commit_commits,
            flips: ev.flips,
            transitions: ev.transitions,
            flip_rate: ev.flip_rate,
            flip_rate_decayed: ev.flip_rate_decayed,
            non_broken_executions: non_broken,
            flaky_executions: flaky_idx.len(),
            flake_rate: (non_broken > 0).then(|| flaky_idx.len() as f64 / non_broken as f64),
            flake_rate_low: interval.map(|i| i.0),
            flake_rate_high: interval.map(|i| i.1),
            first_flaky: flaky_idx.first().and_then(|&k| run_ref(points[k].run)),
            last_flaky: flaky_idx.last().and_then(|&k| run_ref(points[k].run)),
            streak,
            breakage: breakages.last().cloned(),
            breakages,
            skipped_since,
            fingerprints,
            ci_seconds,
            owners: Vec::new(),
        });
    }
    tests.sort_by(|a, b| {
        a.verdict
            .cmp(&b.verdict)
            .then(
                b.flake_rate
                    .unwrap_or(0.0)
                    .total_cmp(&a.flake_rate.unwrap_or(0.0)),
            )
            .then_with(|| a.test_id.cmp(&b.test_id))
            .then_with(|| a.variant.cmp(&b.variant))
    });

    let count = |v: Verdict| tests.iter().filter(|t| t.verdict == v).count();
    let breakage_groups = breakage_groups(&tests);
    let mut infra_runs: Vec<InfraRun> = (0..runs.len())
        .filter(|&r| infra[r])
        .map(|r| InfraRun {
            run: runs[r].run.clone(),
            variant: runs[r].variant.clone(),
            commit: runs[r].commit.clone(),
            timestamp: runs[r].timestamp(),
            executed: executed[r],
            failed: failed[r],
            failed_share: ratio(failed[r] as f64, executed[r] as f64),
            level: Level::Run,
            report: None,
            fingerprint: None,
            message: None,
            reason: format!(
                "{} of {} executed tests failed (more than {:.0}%)",
                failed[r],
                executed[r],
                100.0 * options.infra_threshold
            ),
        })
        .collect();
    for f in &partial_infra {
        let r = f.run;
        infra_runs.push(InfraRun {
            run: runs[r].run.clone(),
            variant: runs[r].variant.clone(),
            commit: runs[r].commit.clone(),
            timestamp: runs[r].timestamp(),
            executed: f.executed,
            failed: f.failed,
            failed_share: ratio(f.failed as f64, f.executed as f64),
            level: f.level,
            report: (f.level == Level::Report)
                .then(|| frame.report_path(report_key, f.example_row).to_string()),
            fingerprint: f.fingerprint.map(|fp| format!("{fp:016x}")),
            message: message(f.example_row).map(str::to_string),
            reason: match f.level {
                Level::Report => format!(
                    "all {} executed tests of one report failed, mostly with one message, while other reports of the run passed, and they did not fail again when they next ran",
                    f.executed
                ),
                _ => format!(
                    "{} tests in {} reports failed with one message, and they did not fail again when they next ran",
                    f.failed, f.executed
                ),
            },
        });
    }
    infra_runs.sort_by_key(|i| {
        (
            runs.iter()
                .position(|r| r.run == i.run && r.variant == i.variant),
            i.level != Level::Run,
            i.level != Level::Report,
        )
    });
    let counted: Vec<usize> = (0..runs.len()).filter(|&r| !infra[r]).collect();
    let red: Vec<usize> = counted.iter().copied().filter(|&r| failed[r] > 0).collect();
    let red_only_flaky = red.iter().filter(|&&r| !real_failure[r]).count();
    let flaky_executions: usize = tests
        .iter()
        .filter(|t| t.verdict == Verdict::Flaky)
        .map(|t| t.flaky_executions)
        .sum();
    let summary = Summary {
        runs: runs.len(),
        first_run: runs.first().map(|r| r.run.clone()),
        last_run: runs.last().map(|r| r.run.clone()),
        infrastructure_runs: infra_runs.iter().filter(|i| i.level == Level::Run).count(),
        infrastructure_reports: infra_runs
            .iter()
            .filter(|i| i.level == Level::Report)
            .count(),
        infrastructure_fingerprints: infra_runs
            .iter()
            .filter(|i| i.level == Level::Fingerprint)
            .count(),
        red_runs: red.len(),
        red_only_flaky_runs: red_only_flaky,
        flaky_run_rate: ratio(red_only_flaky as f64, counted.len() as f64),
        tests: tests.len(),
        stable: count(Verdict::Stable),
        flaky: count(Verdict::Flaky),
        broken: count(Verdict::Broken),
        fixed: count(Verdict::Fixed),
        new: count(Verdict::New),
        insufficient_data: count(Verdict::InsufficientData),
        skipped: count(Verdict::Skipped),
        breakage_groups: breakage_groups.len(),
        executions: total_executions,
        flaky_executions,
        flaky_executions_per_1000: 1000.0 * ratio(flaky_executions as f64, total_executions as f64),
    };
    Ok(FlakyReport {
        schema_version: SCHEMA_VERSION,
        options: options.clone(),
        summary,
        infrastructure_runs: infra_runs,
        tests,
        breakage_groups,
    })
}

/// Crashed reports and run-wide fingerprints (see [`infra`]): per row, set aside or not, and
/// the sets found.
fn partial_infrastructure(
    frame: &Frame,
    report_key: &UInt64Chunked,
    rows: &Rows,
    run_infra: &[bool],
    fingerprint: &dyn Fn(usize) -> Option<u64>,
) -> (Vec<bool>, Vec<infra::Found>) {
    let n = frame.status.len();
    let executed: Vec<bool> = frame
        .status
        .iter()
        .map(|st| st.is_some_and(|st| st != Status::Skipped))
        .collect();
    let failed: Vec<bool> = frame
        .status
        .iter()
        .map(|st| matches!(st, Some(Status::Failed | Status::Error)))
        .collect();
    // A number per report path; a report's rows are stored together.
    let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut last: Option<(&str, u32)> = None;
    let report: Vec<u32> = (0..n)
        .map(|i| {
            let p = frame.report_path(report_key, i);
            match last {
                Some((q, id)) if q == p => id,
                _ => {
                    let next = u32::try_from(ids.len()).expect("fewer than 2^32 reports");
                    let id = *ids.entry(p).or_insert(next);
                    last = Some((p, id));
                    id
                }
            }
        })
        .collect();
    let mut next_failed: Vec<Option<bool>> = vec![None; n];
    for t in 0..rows.tests() {
        let mut after: Option<bool> = None;
        for e in rows.of_test(t).iter().rev() {
            next_failed[e.row as usize] = after;
            if let Some(o) = e.outcome {
                after = Some(o == Outcome::Fail);
            }
        }
    }
    let facts = infra::RowFacts {
        run: &rows.order,
        report: &report,
        executed: &executed,
        failed: &failed,
        fingerprint,
        next_failed: &next_failed,
    };
    infra::partial(&facts, run_infra)
}

fn empty_ref() -> RunRef {
    RunRef {
        run: String::new(),
        commit: None,
        timestamp: String::new(),
    }
}

/// Groups the broken and fixed tests by the first bad and fixing commit of their newest
/// breakage; groups in order of their first bad run, then fixing run.
fn breakage_groups(tests: &[TestVerdict]) -> Vec<BreakageGroup> {
    let mut groups: BTreeMap<(String, Option<String>, String, Option<String>), BreakageGroup> =
        BTreeMap::new();
    for t in tests {
        let (Verdict::Broken | Verdict::Fixed, Some(b)) = (t.verdict, &t.breakage) else {
            continue;
        };
        // Runs without a commit are only their own commit: group by run then.
        let key = (
            b.first_bad.timestamp.clone(),
            b.first_bad
                .commit
                .clone()
                .or_else(|| Some(b.first_bad.run.clone())),
            b.fixed_by
                .as_ref()
                .map_or_else(String::new, |f| f.timestamp.clone()),
            b.fixed_by
                .as_ref()
                .map(|f| f.commit.clone().unwrap_or_else(|| f.run.clone())),
        );
        let id = if t.variant.is_empty() {
            t.test_id.clone()
        } else {
            format!("{} {}", t.test_id, t.variant)
        };
        groups
            .entry(key)
            .or_insert_with(|| BreakageGroup {
                first_bad: b.first_bad.clone(),
                fixed_by: b.fixed_by.clone(),
                verdict: t.verdict,
                tests: Vec::new(),
            })
            .tests
            .push(id);
    }
    groups
        .into_values()
        .map(|mut g| {
            g.tests.sort();
            g
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(commits: &str) -> Vec<RunInfo> {
        crate::analysis::window::runs_on_commits(commits)
    }

    /// `.` pass, `F` fail, `~` retry.
    fn points(s: &str) -> Vec<Point> {
        s.chars()
            .enumerate()
            .map(|(run, c)| Point {
                run,
                outcome: match c {
                    'F' => Outcome::Fail,
                    '~' => Outcome::Retry,
                    _ => Outcome::Pass,
                },
            })
            .collect()
    }

    #[test]
    fn a_lone_failure_is_two_flips() {
        let ev = evidence(&points("..F.."), &runs("abcde"));
        assert_eq!((ev.flips, ev.transitions), (2, 4));
        assert_eq!(ev.flip_rate, 0.5);
        // Transitions, newest first, have weights 1, 0.9, 0.81, 0.729; flips at ages 1 and 2.
        let expected = (0.9 + 0.81) / (1.0 + 0.9 + 0.81 + 0.729);
        assert!((ev.flip_rate_decayed - expected).abs() < 1e-12);
        assert_eq!(verdict(&ev, 5, 5, false), Verdict::Flaky);
    }

    #[test]
    fn streak_flips_are_explained() {
        let ev = evidence(&points("..FFF.."), &runs("abcdefg"));
        assert_eq!(ev.flips, 0);
        assert_eq!(ev.streak, Some((2, 3, Some(5))));
        assert_eq!(verdict(&ev, 7, 5, false), Verdict::Fixed);
        let ev = evidence(&points("..FFF"), &runs("abcde"));
        assert!(ev.broken_now);
        assert_eq!(verdict(&ev, 5, 5, false), Verdict::Broken);
    }

    #[test]
    fn fresh_failures_at_the_end_are_broken_until_a_pass() {
        for (series, streak) in [
            ("......FF", (6, 2)),
            ("FFF............F", (15, 1)),
            ("F", (0, 1)),
        ] {
            let ev = evidence(&points(series), &runs(&"abcdefghijklmnop"[..series.len()]));
            assert_eq!(ev.streak, Some((streak.0, streak.1, None)), "{series}");
            assert_eq!(ev.flips, 0, "{series}");
            assert_eq!(verdict(&ev, series.len(), 5, false), Verdict::Broken);
        }
        // Flakiness before the failures, or a pass after them: flaky.
        for series in ["..F...FF", ".~....FF", "......F."] {
            let ev = evidence(&points(series), &runs("abcdefgh"));
            assert!(!ev.broken_now, "{series}");
            assert_eq!(verdict(&ev, 8, 5, false), Verdict::Flaky, "{series}");
        }
        // Passed on the same commit in a re-run: not a hard failure.
        let ev = evidence(&points("......F."), &runs("abcdefgg"));
        assert_eq!((ev.same_commit_commits, ev.broken_now), (1, false));
    }

    #[test]
    fn a_chance_streak_of_a_flaky_test_is_not_broken() {
        // Outside the last 3 runs, 2 failures in 10 executions: p = 0.2, 0.2^3 = 0.008 ≥ 0.001.
        let ev = evidence(&points(".F...F....FFF"), &runs("abcdefghijklm"));
        assert!(!ev.broken_now);
        assert_eq!(ev.streak, None);
        assert_eq!(ev.flips, 5);
        assert_eq!(verdict(&ev, 13, 5, false), Verdict::Flaky);
        // 0.2^5 = 0.00032 < 0.001: broken.
        let ev = evidence(&points(".F...F....FFFFF"), &runs("abcdefghijklmno"));
        assert_eq!(ev.streak, Some((10, 5, None)));
        assert_eq!(verdict(&ev, 15, 5, false), Verdict::Broken);
        // Seven failures in eleven runs are a test failing at about 0.6, not three breakages.
        let ev = evidence(&points("FFF.F...FFF"), &runs("abcdefghijk"));
        assert_eq!(ev.streak, None);
        assert_eq!(verdict(&ev, 11, 5, false), Verdict::Flaky);
    }

    #[test]
    fn same_commit_pass_breaks_a_streak() {
        let ev = evidence(&points("FFF."), &runs("abcc"));
        assert_eq!(ev.same_commit_commits, 1);
        assert_eq!(ev.streak, None);
        assert_eq!(ev.flips, 1);
    }

    #[test]
    fn retries_count_as_passes_for_flips() {
        let ev = evidence(&points("..~..~"), &runs("abcdef"));
        assert_eq!((ev.retry_runs, ev.flips, ev.same_commit_commits), (2, 0, 0));
        assert_eq!(verdict(&ev, 6, 5, false), Verdict::Flaky);
    }

    #[test]
    fn wilson_interval() {
        let (lo, hi) = wilson(1, 10).expect("n > 0");
        assert!((lo - 0.017_876).abs() < 1e-5, "{lo}");
        assert!((hi - 0.404_150).abs() < 1e-5, "{hi}");
        assert_eq!(wilson(0, 0), None);
    }
}

//! `flaky`: one verdict per test and variant (stable, flaky, broken, fixed, new,
//! insufficient-data) with the evidence behind it. Formulas: docs/analysis.md.
//!
//! The window's executions are grouped per test in run order ([`executions`]), with the
//! messages and fingerprints of the failed and retried executions borrowed from the window;
//! the per-test sequential logic (streaks, flips, same-commit contradictions) then runs one
//! test at a time, in run order.

mod executions;
mod infra;
mod model;

pub(crate) use infra::Level;
pub(crate) use model::{Exec, Interval, PENALTY};

use super::window::{RunInfo, Window};
use executions::{Entry, Executions};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

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
    /// The branch of the first bad run when no bad commit ran on the trunk: a pull request's
    /// own breakage, not the trunk's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) branch: Option<String>,
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
    /// Failure fingerprints set aside as shared by many tests of one run (outages included).
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
    /// The trunk's newest runs of one variant, when they are all infrastructure runs (almost
    /// every test failed) on two commits or more: the trunk is red on every test, whether a
    /// commit broke what every test needs (a fixture, the build) or an outage goes on. Tests'
    /// verdicts set those runs aside; the `broken` gate trips on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) trunk_red: Option<TrunkRed>,
}

/// See [`Summary::trunk_red`].
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TrunkRed {
    pub(crate) variant: String,
    /// The first and the newest of the runs.
    pub(crate) first: RunRef,
    pub(crate) last: RunRef,
    pub(crate) runs: usize,
    pub(crate) commits: usize,
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
    /// The branch of the first bad run when no bad commit ran on the trunk (see [`Breakage`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) branch: Option<String>,
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
    /// For a test broken on the trunk when it stopped running there while the rest of its
    /// class kept running (deleted or renamed): the first trunk run of its class without it,
    /// once [`ABSENT_RUNS`] such runs have passed. The `broken` gate leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) absent_since: Option<RunRef>,
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

/// The module or class a failure entry may stand for: pytest writes a module that failed to
/// import or collect as `<testcase classname="" name="pkg.test_mod">` with `<error
/// message="collection failure">`, and JUnit 4 a class that failed to set up as the test
/// `initializationError` of that class. Its tests run under the module's dotted name
/// (`pkg.test_mod`, `pkg.test_mod.TestClass`) or the class. Only the collection failure's
/// message, or tests seen running under it, make such an entry a container (a jest test outside
/// any `describe` also has an empty classname).
fn container_of<'a>(classname: &'a str, name: &'a str) -> Option<&'a str> {
    if classname.is_empty() && !name.is_empty() && !name.contains(char::is_whitespace) {
        Some(name)
    } else if name == "initializationError" && !classname.is_empty() {
        Some(classname)
    } else {
        None
    }
}

/// The Go package a failure entry stands for: gotestsum writes a package that failed to build
/// (or to set up) as `<testcase classname="" name="TestMain">` in the package's testsuite, so
/// its test id is `pkg::TestMain`, failing with `FAIL\tpkg [build failed]` (the failure's body:
/// its message attribute is the placeholder `Failed`). With `--junitfile-testcase-classname
/// short` the testsuite, and so the test id, has the package's last element only, and the
/// classname is `.` (read as none). A test named TestMain that ran has a classname and another
/// message, so it is not one.
fn go_build_failure<'g, 'm>(
    group: &'g executions::Group,
    message: &dyn Fn(u32) -> Option<&'m str>,
) -> Option<&'g str> {
    let pkg = group.test_id.strip_suffix("::TestMain")?;
    if !group.names[0].is_empty() || group.names[1] != "TestMain" || pkg.is_empty() {
        return None;
    }
    group
        .entries
        .iter()
        .filter(|e| e.outcome == Some(Outcome::Fail))
        .filter_map(|e| message(e.row))
        .any(|m| {
            let Some((path, rest)) = m
                .strip_prefix("FAIL")
                .and_then(|m| m.trim_start().split_once(char::is_whitespace))
            else {
                return false;
            };
            let rest = rest.trim_start();
            (path == pkg || path.ends_with(&format!("/{pkg}")))
                && (rest.starts_with("[build failed]") || rest.starts_with("[setup failed]"))
        })
        .then_some(pkg)
}

/// For each (variant, container) with a failed entry standing for it ([`container_of`],
/// [`go_build_failure`]): the runs, outside infrastructure runs, where tests under the
/// container were executed.
fn container_runs<'e>(
    ex: &'e Executions<'_>,
    infra: &[bool],
) -> HashMap<(&'e str, &'e str), Vec<usize>> {
    let mut out: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let message = |row: u32| ex.detail(row).and_then(|d| d.message);
    for g in &ex.groups {
        if let Some(c) = container_of(&g.names[0], &g.names[1])
            && g.entries.iter().any(|e| e.outcome == Some(Outcome::Fail))
        {
            out.insert((g.variant.as_str(), c), Vec::new());
        }
        if let Some(pkg) = go_build_failure(g, &message) {
            out.insert((g.variant.as_str(), pkg), Vec::new());
        }
    }
    if out.is_empty() {
        return out;
    }
    for g in &ex.groups {
        let classname = g.names[0].as_str();
        if classname.is_empty() || container_of(classname, &g.names[1]).is_some() {
            continue;
        }
        // The classname and each dotted prefix of it.
        let prefixes = classname
            .match_indices('.')
            .map(|(i, _)| &classname[..i])
            .chain(std::iter::once(classname));
        for prefix in prefixes {
            if let Some(runs) = out.get_mut(&(g.variant.as_str(), prefix)) {
                runs.extend(
                    g.entries
                        .iter()
                        .filter(|e| e.outcome.is_some() && !infra[e.run as usize])
                        .map(|e| e.run as usize),
                );
            }
        }
    }
    for runs in out.values_mut() {
        runs.sort_unstable();
        runs.dedup();
    }
    out
}

/// Each run's commit and branch as small numbers, so the per-test work compares integers
/// instead of strings, and the decay weights `0.9^age` computed once.
struct RunIndex {
    commit: Vec<Option<u32>>,
    /// The run's commit in first-appearance order, counting a run without a commit as a commit
    /// of its own (the model's commit order).
    position: Vec<u32>,
    branch: Vec<Option<u32>>,
    /// The trunk the model's breakages are judged along (docs/analysis.md): see [`trunk_of`].
    trunk: Option<u32>,
    /// `weight[k]` = (1 − DECAY)^k.
    weight: Vec<f64>,
}

/// Branch names taken for the trunk when the window has them, in this order of preference.
const TRUNK_NAMES: [&str; 5] = ["main", "master", "trunk", "develop", "default"];

/// The trunk among the window's branches (`branch`: each run's, numbered by `names`): of the
/// branches named as trunks usually are ([`TRUNK_NAMES`]), the one that ran the most commits
/// (git-flow's `develop` beside a `main` of releases), ties in that order; else of all
/// branches the one that ran the most commits (a stale branch re-run many times on few
/// commits is not the line the project moves along), then the most runs, then the first seen.
fn trunk_of(runs: &[RunInfo], branch: &[Option<u32>], names: &HashMap<&str, u32>) -> Option<u32> {
    let mut commits: Vec<std::collections::HashSet<&str>> = vec![Default::default(); names.len()];
    let mut counts = vec![0usize; names.len()];
    for (r, b) in runs.iter().zip(branch) {
        if let Some(b) = b {
            counts[*b as usize] += 1;
            commits[*b as usize].extend(r.commit.as_deref());
        }
    }
    let named: Vec<u32> = TRUNK_NAMES
        .iter()
        .filter_map(|n| names.get(n))
        .copied()
        .collect();
    if let Some(&first) = named.first() {
        // The first of the most commits: `max_by_key` keeps the last, so go in reverse.
        return named
            .iter()
            .rev()
            .copied()
            .max_by_key(|&b| commits[b as usize].len())
            .or(Some(first));
    }
    (0..counts.len())
        .rev()
        .max_by_key(|&b| (commits[b].len(), counts[b]))
        .and_then(|b| u32::try_from(b).ok())
}

/// Per run of `runs`: whether it ran on the trunk [`trunk_of`] picks (a run without a branch
/// counts as the trunk's).
pub(crate) fn on_trunk(runs: &[RunInfo]) -> Vec<bool> {
    let mut names: HashMap<&str, u32> = HashMap::new();
    let branch: Vec<Option<u32>> = runs
        .iter()
        .map(|r| {
            r.branch.as_deref().map(|b| {
                let next = u32::try_from(names.len()).unwrap_or(u32::MAX);
                *names.entry(b).or_insert(next)
            })
        })
        .collect();
    let trunk = trunk_of(runs, &branch, &names);
    branch.iter().map(|b| b.is_none() || *b == trunk).collect()
}

/// Whether `branch` is named as a long-lived line is ([`TRUNK_NAMES`]): a breakage there is the
/// project's, even when another such line is the trunk the model judges along.
pub(crate) fn long_lived(branch: &str) -> bool {
    TRUNK_NAMES.contains(&branch)
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
        let branch: Vec<Option<u32>> = runs
            .iter()
            .map(|r| number(&mut branches, r.branch.as_deref()))
            .collect();
        let trunk = trunk_of(runs, &branch, &branches);
        RunIndex {
            weight: (0..runs.len())
                .map(|k| (1.0 - DECAY).powi(i32::try_from(k).unwrap_or(i32::MAX)))
                .collect(),
            commit: runs
                .iter()
                .map(|r| number(&mut commits, r.commit.as_deref()))
                .collect(),
            position,
            branch,
            trunk,
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
    evidence_with(
        points,
        &attempts,
        &vec![None; points.len()],
        &RunIndex::new(runs),
        PENALTY,
        &[],
        &[],
    )
}

/// [`evidence`] with each point's (attempts, failed attempts), the runs already numbered, and
/// the model's penalty per breakage interval.
fn evidence_with(
    points: &[Point],
    attempts: &[(u32, u32)],
    fingerprints: &[Option<u64>],
    ids: &RunIndex,
    penalty: f64,
    forced: &[u32],
    flaky_elsewhere: &[u64],
) -> Evidence {
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
        .zip(fingerprints)
        .map(|((p, &(attempts, failed)), &fingerprint)| Exec {
            commit: ids.position.get(p.run).copied().unwrap_or(u32::MAX),
            attempts: attempts.max(1),
            failed: match p.outcome {
                Outcome::Pass => 0,
                Outcome::Fail => failed.max(1),
                Outcome::Retry => failed.clamp(1, attempts.max(2) - 1),
            },
            outcome: p.outcome,
            line: ids
                .branch
                .get(p.run)
                .copied()
                .flatten()
                .filter(|&b| Some(b) != ids.trunk),
            fingerprint,
        })
        .collect();
    let ex = model::explain_with(&execs, penalty, forced, flaky_elsewhere);
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

/// Runs the analysis over the window: its executions grouped per test in run order
/// ([`executions`]), each test's classname, name and family from its newest execution's key.
pub(crate) fn flaky(window: &Window, options: &FlakyOptions) -> FlakyReport {
    let keep: Vec<Option<u32>> = (0..window.runs.len())
        .map(|p| u32::try_from(p).ok())
        .collect();
    analyse(
        &executions::read(window, &keep, window.runs.len()),
        &window.runs,
        options,
    )
}

/// [`flaky`] over the window without its newest `n` run keys (`check`'s "before" side of a
/// comparison), read from the same window.
pub(crate) fn flaky_without_newest(
    window: &Window,
    n: usize,
    options: &FlakyOptions,
) -> FlakyReport {
    let (runs, keep) = window.without_newest(n);
    analyse(&executions::read(window, &keep, runs.len()), &runs, options)
}

fn analyse(ex: &Executions<'_>, runs: &[RunInfo], options: &FlakyOptions) -> FlakyReport {
    let commits = RunIndex::new(runs);
    let seconds = &ex.seconds;
    let counts = &ex.counts;
    let infra = counts.infrastructure(options.infra_threshold);
    let (set_aside, partial_infra) = partial_infrastructure(ex, &infra, &commits.position);
    let message = |row: u32| ex.detail(row).and_then(|d| d.message);
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

    let collected = container_runs(ex, &infra);
    // Each variant's runs outside infrastructure runs.
    let mut runs_of_variant: HashMap<&str, Vec<usize>> = HashMap::new();
    for (r, run) in runs.iter().enumerate().filter(|(r, _)| !infra[*r]) {
        runs_of_variant
            .entry(run.variant.as_str())
            .or_default()
            .push(r);
    }
    let mut tests = Vec::new();
    // Per run: does every failure in it belong to a flaky failure of a flaky test?
    let mut real_failure = vec![false; runs.len()];
    let mut total_executions = 0usize;
    // One test's verdict; `forced`: commits (model positions) on which another variant of the
    // test was broken, whose all-failed stretches are breakages here too. Returns the verdict
    // and the commits inside its breakages.
    let mut judge =
        |group: &executions::Group, forced: &[u32], flaky_elsewhere: &[u64], first_time: bool| {
            let all = &group.entries;
            let mut points = Vec::new();
            let mut point_entries: Vec<Option<&Entry>> = Vec::new();
            // Only failed executions are ever set aside below the run.
            let kept = |e: &Entry| {
                !infra[e.run as usize]
                    && (e.outcome != Some(Outcome::Fail)
                        || set_aside.binary_search(&e.row).is_err())
            };
            for e in all.iter().filter(|e| kept(e)) {
                if let Some(outcome) = e.outcome {
                    points.push(Point {
                        run: e.run as usize,
                        outcome,
                    });
                    point_entries.push(Some(e));
                }
            }
            if first_time {
                total_executions += points.len();
            }
            // An entry that stands for a whole module or class (a collection error) passes in every
            // run where the tests under it ran without it. Its failures are the code's at that
            // commit (an import that fails), so each stretch of them is a breakage (no penalty),
            // unless the same commit also collected.
            let mut penalty = PENALTY;
            let container = go_build_failure(group, &message)
                .or_else(|| container_of(&group.names[0], &group.names[1]));
            // pytest's collection error says so; such an entry is absent from every run that
            // collected the module, even after the module was renamed or removed.
            let collection_error = container.is_some()
                && group.names[0].is_empty()
                && all.iter().any(|e| {
                    e.outcome == Some(Outcome::Fail)
                        && message(e.row).is_some_and(|m| m.starts_with("collection failure"))
                });
            let ran: Option<&[usize]> = if collection_error {
                runs_of_variant
                    .get(group.variant.as_str())
                    .map(Vec::as_slice)
            } else {
                container
                    .and_then(|c| collected.get(&(group.variant.as_str(), c)))
                    .map(Vec::as_slice)
                    .filter(|ran| !ran.is_empty())
            };
            if let Some(ran) = ran {
                penalty = 0.0;
                let own: std::collections::HashSet<usize> =
                    all.iter().map(|e| e.run as usize).collect();
                for &r in ran.iter().filter(|r| !own.contains(r)) {
                    points.push(Point {
                        run: r,
                        outcome: Outcome::Pass,
                    });
                    point_entries.push(None);
                }
                let mut order: Vec<usize> = (0..points.len()).collect();
                order.sort_by_key(|&k| points[k].run);
                points = order.iter().map(|&k| points[k]).collect();
                point_entries = order.iter().map(|&k| point_entries[k]).collect();
            }
            let point_attempts: Vec<(u32, u32)> = point_entries
                .iter()
                .map(|e| e.map_or((1, 0), |e| (u32::from(e.attempts), u32::from(e.failed))))
                .collect();
            let point_fingerprints: Vec<Option<u64>> = point_entries
                .iter()
                .zip(&points)
                .map(|(e, p)| {
                    e.filter(|_| p.outcome == Outcome::Fail)
                        .and_then(|e| ex.detail(e.row))
                        .and_then(|d| d.fingerprint)
                })
                .collect();
            let ev = evidence_with(
                &points,
                &point_attempts,
                &point_fingerprints,
                &commits,
                penalty,
                forced,
                flaky_elsewhere,
            );
            let first_run = all[0].run as usize;
            let var = group.variant.as_str();
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
                    let Some(e) = point_entries[k] else {
                        continue;
                    };
                    let detail = ex.detail(e.row);
                    if let Some(fp) = detail.and_then(|d| d.fingerprint) {
                        let g = groups
                            .entry(fp)
                            .or_insert_with(|| (0, message(e.row).unwrap_or_default().to_string()));
                        g.0 += 1;
                    }
                    let n = f64::from(e.attempts.max(1));
                    let f = f64::from(e.failed);
                    ci_seconds += detail.and_then(|d| d.duration).unwrap_or(0.0) * (f / n).min(1.0);
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
            let off_trunk_branch = |i: &model::Interval| {
                i.off_trunk
                    .then(|| runs.get(points[i.first_exec].run)?.branch.clone())
                    .flatten()
            };
            let streak = ev.streak.map(|(s, len, after)| Streak {
                first: run_ref(points[s].run).unwrap_or_else(empty_ref),
                length: len,
                ended: after.and_then(|a| run_ref(points[a].run)),
                branch: ev.intervals.last().and_then(off_trunk_branch),
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
                    branch: off_trunk_branch(i),
                })
                .collect();
            let skipped_since = (v == Verdict::Skipped)
                .then(|| all.first().and_then(|e| run_ref(e.run as usize)))
                .flatten();
            let [classname, name, family] = group.names.clone();
            let mut broken_at: Vec<u32> = points
                .iter()
                .zip(&ev.in_streak)
                .filter(|(_, inside)| **inside)
                .filter_map(|(p, _)| commits.position.get(p.run).copied())
                .collect();
            broken_at.sort_unstable();
            broken_at.dedup();
            // Commits on which every execution of this variant failed outright (none, and nothing
            // to sort, for the many tests that never failed).
            let mut hard_failed: Vec<u32> = Vec::new();
            if points.iter().any(|p| p.outcome == Outcome::Fail) {
                let mut hard_at: Vec<(u32, bool)> = points
                    .iter()
                    .filter_map(|p| {
                        let c = commits.position.get(p.run).copied()?;
                        Some((c, p.outcome == Outcome::Fail))
                    })
                    .collect();
                hard_at.sort_unstable();
                for run in hard_at.chunk_by(|a, b| a.0 == b.0) {
                    if run.iter().all(|&(_, failed)| failed) {
                        hard_failed.push(run[0].0);
                    }
                }
            }
            let verdict = TestVerdict {
                test_id: group.test_id.clone(),
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
                absent_since: None,
                fingerprints,
                ci_seconds,
                owners: Vec::new(),
            };
            (verdict, broken_at, hard_failed)
        };
    // Per test id: each variant's commits inside a breakage.
    let mut broken_commits: HashMap<&str, Vec<(&str, Vec<u32>)>> = HashMap::new();
    // Per test id: each variant's commits on which it failed outright.
    let mut hard_commits: HashMap<&str, Vec<(&str, Vec<u32>)>> = HashMap::new();
    // Flaky on lone failures alone (no retry, no same-commit evidence): (index into tests,
    // into groups, its hard-failed commits), judged again once every variant is known.
    let mut lone: Vec<(usize, usize, Vec<u32>)> = Vec::new();
    for (g, group) in ex.groups.iter().enumerate() {
        let (t, broken_at, hard_failed) = judge(group, &[], &[], true);
        if !broken_at.is_empty() {
            broken_commits
                .entry(group.test_id.as_str())
                .or_default()
                .push((group.variant.as_str(), broken_at));
        }
        if t.verdict == Verdict::Flaky && t.retry_runs == 0 && t.same_commit_commits == 0 {
            lone.push((tests.len(), g, hard_failed.clone()));
        }
        if !hard_failed.is_empty() {
            hard_commits
                .entry(group.test_id.as_str())
                .or_default()
                .push((group.variant.as_str(), hard_failed));
        }
        tests.push(t);
    }
    // A breakage of one variant (a matrix leg) fails the other variants that ran the broken
    // commits too: a leg that ran one of them fails once, which alone reads as a flake. And a
    // commit on which two variants both failed outright is the code's, not chance's, as two
    // failed attempts on one variant would be (a pull request's bug, failing on every leg of
    // its one commit and fixed by the next push).
    // The commits of a test's other variants in `by_variant`.
    let of_others = |by_variant: &HashMap<&str, Vec<(&str, Vec<u32>)>>,
                     group: &executions::Group|
     -> Vec<u32> {
        by_variant
            .get(group.test_id.as_str())
            .into_iter()
            .flatten()
            .filter(|(variant, _)| *variant != group.variant.as_str())
            .flat_map(|(_, c)| c.iter().copied())
            .collect()
    };
    let mut judged_again: Vec<usize> = Vec::new();
    for (k, g, hard_failed) in lone {
        let group = &ex.groups[g];
        let mut forced = of_others(&broken_commits, group);
        let other_hard = of_others(&hard_commits, group);
        let both: Vec<u32> = hard_failed
            .iter()
            .copied()
            .filter(|c| other_hard.contains(c))
            .collect();
        // Two legs failing on one commit by chance happens about runs × p × q times over the
        // window (p, q: each leg's failure rate outside those commits): a flaky test at 30%
        // does so every eleventh commit. Only when that is unlikely (under 0.1) do the shared
        // failures tell a breakage.
        if !both.is_empty() {
            let rate = |runs: usize, failed: usize| {
                failed.saturating_sub(both.len()) as f64 / runs.max(1) as f64
            };
            let this = &tests[k];
            let p = rate(this.runs, this.failed);
            let q = tests
                .iter()
                .filter(|t| t.test_id == group.test_id && t.variant != group.variant)
                .map(|t| rate(t.runs, t.failed))
                .fold(0.0, f64::max);
            if this.runs as f64 * p * q < 0.1 {
                forced.extend(both);
            }
        }
        if forced.is_empty() {
            continue;
        }
        forced.sort_unstable();
        forced.dedup();
        tests[k] = judge(group, &forced, &[], false).0;
        judged_again.push(g);
    }
    // A variant broken only by failures that end (or start) its series, each failing a way
    // another variant of the test flakes (a matrix leg's first flake here): judged again with
    // those ways, so that it is not a fresh breakage on that ground alone.
    let mut flaky_ways: HashMap<(&str, &str), Vec<u64>> = HashMap::new();
    for t in tests.iter().filter(|t| t.verdict == Verdict::Flaky) {
        let ways = t
            .fingerprints
            .iter()
            .filter_map(|f| u64::from_str_radix(&f.fingerprint, 16).ok());
        flaky_ways
            .entry((t.test_id.as_str(), t.variant.as_str()))
            .or_default()
            .extend(ways);
    }
    let mut again: Vec<(usize, usize, Vec<u64>)> = Vec::new();
    if !flaky_ways.is_empty() {
        let mut position: HashMap<(&str, &str), usize> = HashMap::new();
        for (k, t) in tests.iter().enumerate() {
            position.insert((t.test_id.as_str(), t.variant.as_str()), k);
        }
        for (g, group) in ex.groups.iter().enumerate() {
            let key = (group.test_id.as_str(), group.variant.as_str());
            let Some(&k) = position.get(&key) else {
                continue;
            };
            if judged_again.contains(&g)
                || !matches!(tests[k].verdict, Verdict::Broken | Verdict::Fixed)
            {
                continue;
            }
            let mut ways: Vec<u64> = flaky_ways
                .iter()
                .filter(|((t, v), _)| *t == key.0 && *v != key.1)
                .flat_map(|(_, w)| w.iter().copied())
                .collect();
            if ways.is_empty() {
                continue;
            }
            ways.sort_unstable();
            ways.dedup();
            again.push((k, g, ways));
        }
    }
    for (k, g, ways) in again {
        tests[k] = judge(&ex.groups[g], &[], &ways, false).0;
    }
    mark_absent(&mut tests, ex, &commits, &infra, &run_ref);
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
                .then(|| {
                    f.report
                        .and_then(|n| ex.report_paths.get(n as usize))
                        .cloned()
                })
                .flatten(),
            fingerprint: f.fingerprint.map(|fp| format!("{fp:016x}")),
            message: message(f.example_row).map(str::to_string),
            reason: match f.level {
                Level::Report => format!(
                    "all {} executed tests of one report failed, mostly with one message, while other reports of the run passed, and they did not fail again when they next ran",
                    f.executed
                ),
                Level::Outage => format!(
                    "{} of its {} executed tests failed with one message, and passed when the same commit ran again (or failed so again in the next run, an outage going on)",
                    f.failed, f.executed
                ),
                _ => format!(
                    "{} of its {} executed tests failed with one message in two or more reports, and they did not fail again when they next ran",
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
    let trunk_red = trunk_red(runs, &commits, &infra, &run_ref);
    let summary = Summary {
        trunk_red,
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
            .filter(|i| matches!(i.level, Level::Fingerprint | Level::Outage))
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
    FlakyReport {
        schema_version: SCHEMA_VERSION,
        options: options.clone(),
        summary,
        infrastructure_runs: infra_runs,
        tests,
        breakage_groups,
    }
}

/// The trunk's newest runs of each variant that are all infrastructure runs, when they span
/// two commits or more (the longest such stretch over the variants).
fn trunk_red(
    runs: &[RunInfo],
    commits: &RunIndex,
    infra: &[bool],
    run_ref: &dyn Fn(usize) -> Option<RunRef>,
) -> Option<TrunkRed> {
    let on_trunk =
        |r: usize| commits.trunk.is_none() || commits.branch.get(r) == Some(&commits.trunk);
    let mut variants: Vec<&str> = runs.iter().map(|r| r.variant.as_str()).collect();
    variants.sort_unstable();
    variants.dedup();
    // The trunk's newest commit, over every variant: a leg red on commits the trunk has moved
    // on from (a matrix leg dropped after its runner went away) is no red trunk now.
    let newest_commit = (0..runs.len())
        .filter(|&r| on_trunk(r))
        .filter_map(|r| commits.position.get(r).copied())
        .max();
    let mut best: Option<TrunkRed> = None;
    for variant in variants {
        let newest: Vec<usize> = (0..runs.len())
            .rev()
            .filter(|&r| runs[r].variant == variant && on_trunk(r))
            .take_while(|&r| infra[r])
            .collect();
        let mut distinct: Vec<u32> = newest
            .iter()
            .filter_map(|&r| commits.position.get(r).copied())
            .collect();
        distinct.sort_unstable();
        distinct.dedup();
        let (Some(&last), Some(&first)) = (newest.first(), newest.last()) else {
            continue;
        };
        let reaches_now = distinct.last().copied() == newest_commit;
        if distinct.len() < 2
            || !reaches_now
            || best.as_ref().is_some_and(|b| b.runs >= newest.len())
        {
            continue;
        }
        if let (Some(first), Some(last)) = (run_ref(first), run_ref(last)) {
            best = Some(TrunkRed {
                variant: variant.to_string(),
                first,
                last,
                runs: newest.len(),
                commits: distinct.len(),
            });
        }
    }
    best
}

/// Trunk runs of a broken test's class without the test, after its last run, that say it is
/// gone (deleted or renamed) rather than left out once (a crashed shard, a selection).
const ABSENT_RUNS: usize = 2;

/// A run counts toward [`ABSENT_RUNS`] only when it executed at least this share of the tests
/// the test's last run did: a run with a shard missing (crashed, or its report not collected)
/// or only a selection of the tests leaves tests out that were not deleted.
const WHOLE_RUN_SHARE: f64 = 0.95;

/// ... or at most this many fewer (the test itself, and another deleted beside it).
const WHOLE_RUN_SLACK: usize = 2;

/// Sets [`TestVerdict::absent_since`] on the tests still broken on the trunk that stopped
/// running there while other tests of their class (scope) kept running. `tests[k]` is the
/// verdict of `ex.groups[k]`. A test whose whole class stopped (a file moved, a module not
/// selected) is left as it is: nothing says it is gone.
fn mark_absent(
    tests: &mut [TestVerdict],
    ex: &Executions<'_>,
    commits: &RunIndex,
    infra: &[bool],
    run_ref: &dyn Fn(usize) -> Option<RunRef>,
) {
    let still_broken = |t: &TestVerdict| {
        t.verdict == Verdict::Broken
            && !t.classname.is_empty()
            && t.streak
                .as_ref()
                .is_some_and(|s| s.ended.is_none() && s.branch.is_none())
    };
    let wanted: HashSet<(String, String)> = tests
        .iter()
        .filter(|t| still_broken(t))
        .map(|t| (t.variant.clone(), t.classname.clone()))
        .collect();
    if wanted.is_empty() {
        return;
    }
    let mut scope_runs: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for g in &ex.groups {
        let key = (g.variant.clone(), g.names[0].clone());
        if wanted.contains(&key) {
            scope_runs.entry(key).or_default().extend(
                g.entries
                    .iter()
                    .filter(|e| e.outcome.is_some())
                    .map(|e| e.run as usize),
            );
        }
    }
    let on_trunk =
        |r: usize| commits.trunk.is_none() || commits.branch.get(r) == Some(&commits.trunk);
    let executed = &ex.counts.executed;
    for (t, group) in tests.iter_mut().zip(&ex.groups) {
        if !still_broken(t) || group.test_id != t.test_id {
            continue;
        }
        let Some(last) = group.entries.iter().map(|e| e.run as usize).max() else {
            continue;
        };
        let key = (t.variant.clone(), t.classname.clone());
        // A run that executed markedly fewer tests than the test's last run (a shard that
        // crashed or did not report, a selection of tests) says nothing of its absence.
        let whole = |r: usize| {
            let (now, then) = (executed.get(r).copied(), executed.get(last).copied());
            now.zip(then).is_some_and(|(now, then)| {
                now + WHOLE_RUN_SLACK.max((then as f64 * (1.0 - WHOLE_RUN_SHARE)) as usize) >= then
            })
        };
        let mut after: Vec<usize> = scope_runs
            .get(&key)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&r| r > last && !infra[r] && on_trunk(r) && whole(r))
            .collect();
        after.sort_unstable();
        after.dedup();
        if after.len() >= ABSENT_RUNS {
            t.absent_since = run_ref(after[0]);
        }
    }
}

/// Crashed reports and run-wide fingerprints (see [`infra`]): the rows set aside (in row
/// order) and the sets found.
///
/// `position`: each run's commit in the model's order (a re-run of a commit shares it).
fn partial_infrastructure(
    ex: &Executions<'_>,
    run_infra: &[bool],
    position: &[u32],
) -> (Vec<u32>, Vec<infra::Found>) {
    // Per detail: whether its test's next execution failed, whether it passed on the same
    // commit, and its row when it failed.
    let mut next_failed: Vec<Option<bool>> = vec![None; ex.details.len()];
    let mut next_same_commit_pass = vec![false; ex.details.len()];
    let mut next_row: Vec<Option<u32>> = vec![None; ex.details.len()];
    let commit = |run: u32| position.get(run as usize).copied();
    for group in &ex.groups {
        // The next execution (in run order) with an outcome: (outcome, run, row).
        let mut after: Option<(Outcome, u32, u32)> = None;
        for e in group.entries.iter().rev() {
            if e.outcome == Some(Outcome::Fail)
                && let Ok(k) = ex.details.binary_search_by_key(&e.row, |d| d.row)
            {
                next_failed[k] = after.map(|(o, _, _)| o == Outcome::Fail);
                next_same_commit_pass[k] = after.is_some_and(|(o, run, _)| {
                    o != Outcome::Fail && commit(run).is_some() && commit(run) == commit(e.run)
                });
                next_row[k] = after
                    .filter(|&(o, _, _)| o == Outcome::Fail)
                    .map(|(_, _, row)| row);
            }
            if let Some(o) = e.outcome {
                after = Some((o, e.run, e.row));
            }
        }
    }
    let mut failed: Vec<infra::Failed> = ex
        .details
        .iter()
        .enumerate()
        .filter(|(_, d)| d.failed)
        .map(|(k, d)| infra::Failed {
            row: d.row,
            run: d.run,
            report: d.report,
            fingerprint: d.fingerprint,
            next_failed: next_failed[k],
            next_same_commit_pass: next_same_commit_pass[k],
            next: None,
        })
        .collect();
    // `failed` is in row order: the next failed execution's index by its row.
    let rows: Vec<u32> = failed.iter().map(|f| f.row).collect();
    for (f, k) in failed.iter_mut().zip(
        ex.details
            .iter()
            .enumerate()
            .filter(|(_, d)| d.failed)
            .map(|(k, _)| k),
    ) {
        f.next = next_row[k].and_then(|r| rows.binary_search(&r).ok());
    }
    let facts = infra::Facts {
        reports: &ex.reports,
        executed: &ex.counts.executed,
        failed: &failed,
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

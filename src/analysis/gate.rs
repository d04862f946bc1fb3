//! `check`: CI gates over the analyses' results. Each gate is a pure function of the result
//! structs, so the rules are tested without a store. Definitions: docs/analysis.md. Also the
//! rule that no gate (and no selection) acts on no data: [`empty_window`] says why a window
//! holds no run.

use super::flaky::{FlakyOptions, FlakyReport, TestVerdict, Verdict};
use super::slow::SlowReport;
use super::window::{self, RunInfo, Since, Window, WindowSpec};
use super::{AnalysisError, query_err};
use crate::config::Quarantine;
use crate::domain::Status;
use crate::report::escape;
use crate::store::Store;
use crate::store::schema::{self, FILE, LINE, TEST_ID};
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// How many tests or groups a gate's one-line reason names before it says "and N more".
const NAMED: usize = 3;

/// A gate `--fail-on` can turn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Gate {
    /// Some test is broken (a streak of hard failures up to the newest run).
    Broken,
    /// Some test is flaky now that was not flaky before the newest runs.
    NewFlaky,
    /// Some suite (or class, file, family) is flagged as getting slower.
    Slower,
    /// The flaky run rate is above `--max-flaky-rate`.
    FlakyRate,
    /// A testsift.toml quarantine entry is past its `until`.
    ExpiredQuarantine,
    /// A test failed in the run `--run` names and its failure is not forgiven (not with
    /// `--fail-on`: `--run` turns it on).
    Run,
}

crate::choice::choices!(Gate {
    Broken => "broken": "Some test is broken on the trunk (a streak of hard failures up to the newest run; a pull request's own breakage is named, not counted)",
    NewFlaky => "new-flaky": "Some test is flaky now that was not flaky before the newest runs",
    Slower => "slower": "Some suite (or class, file, family) is flagged as getting slower",
    FlakyRate => "flaky-rate": "The flaky run rate is above `--max-flaky-rate`",
    ExpiredQuarantine => "expired-quarantine": "A testsift.toml quarantine entry is past its `until`",
});

impl Gate {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Gate::Broken => "broken",
            Gate::NewFlaky => "new-flaky",
            Gate::Slower => "slower",
            Gate::FlakyRate => "flaky-rate",
            Gate::ExpiredQuarantine => "expired-quarantine",
            Gate::Run => "run",
        }
    }
}

/// The outcome of one gate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GateResult {
    pub(crate) gate: Gate,
    pub(crate) tripped: bool,
    /// One line, naming what tripped it (or why it held).
    pub(crate) reason: String,
    /// Every test that tripped it (`broken`, `new-flaky`), in the analysis' order.
    pub(crate) tests: Vec<GateTest>,
    /// Every group that tripped it (`slower`), largest total time first.
    pub(crate) groups: Vec<String>,
}

/// A test that tripped a gate, with where it is when the reports said so.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct GateTest {
    pub(crate) test_id: String,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) variant: String,
    /// The testcase `file` attribute, when a report gave one.
    pub(crate) file: Option<String>,
    /// The testcase `line` attribute, when a report gave one.
    pub(crate) line: Option<u32>,
    /// One line on this test: since when it is broken, or that it became flaky.
    pub(crate) detail: String,
    /// Its owners (testsift.toml's rules, CODEOWNERS), when any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) owners: Vec<String>,
}

impl GateTest {
    fn of(t: &TestVerdict, detail: String) -> GateTest {
        GateTest {
            test_id: t.test_id.clone(),
            classname: t.classname.clone(),
            name: t.name.clone(),
            variant: t.variant.clone(),
            detail,
            ..GateTest::default()
        }
    }
}

/// Version of `check --format json`; bumped when a field changes meaning or disappears.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// The whole result of `check`, as `--format json` writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CheckReport {
    pub(crate) schema_version: u32,
    /// Whether any gate tripped (the exit code is then 1).
    pub(crate) tripped: bool,
    /// Runs (run key and variant) in the window.
    pub(crate) runs: usize,
    pub(crate) gates: Vec<GateResult>,
    /// `--run`: the decision on each test that failed in that run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) run: Option<RunGate>,
}

/// `broken`: trips when any test's verdict is broken; names the first failing run of each.
///
/// A breakage that never ran on the trunk (a pull request's own, not yet fixed on its branch)
/// does not trip it: the trunk is not broken. Such tests are named in the reason.
pub(crate) fn broken(now: &FlakyReport) -> GateResult {
    // Off the trunk and not on another long-lived line (`main` beside a `develop` trunk).
    let off_trunk = |t: &&TestVerdict| {
        t.streak
            .as_ref()
            .and_then(|s| s.branch.as_deref())
            .is_some_and(|b| !super::flaky::long_lived(b))
    };
    let (gone, broken): (Vec<&TestVerdict>, Vec<&TestVerdict>) = now
        .tests
        .iter()
        .filter(|t| t.verdict == Verdict::Broken)
        .partition(|t| t.absent_since.is_some());
    let (on_branches, broken): (Vec<&TestVerdict>, Vec<&TestVerdict>) =
        broken.into_iter().partition(off_trunk);
    let since = |t: &TestVerdict| {
        t.streak.as_ref().map_or(String::new(), |s| {
            let commit = s
                .first
                .commit
                .as_deref()
                .map_or(String::new(), |c| format!(", commit {}", quote(short(c))));
            format!("since {}{commit}", quote(&s.first.run))
        })
    };
    let named = name_list(broken.iter().map(|t| {
        let since = since(t);
        if since.is_empty() {
            test_label(t)
        } else {
            format!("{} ({since})", test_label(t))
        }
    }));
    // Almost every test failing on the trunk's newest commits is set aside as infrastructure
    // by the verdicts, but the trunk is red all the same.
    let trunk_red = now.summary.trunk_red.as_ref().map(|red| {
        format!(
            "the trunk's last {} runs{} failed almost every test, on {} commits since {}{} \
             (a commit that broke what every test needs, or an outage going on)",
            red.runs,
            if red.variant.is_empty() {
                String::new()
            } else {
                format!(" of variant {}", quote(&red.variant))
            },
            red.commits,
            quote(&red.first.run),
            red.first
                .commit
                .as_deref()
                .map_or(String::new(), |c| format!(", commit {}", quote(short(c))))
        )
    });
    GateResult {
        gate: Gate::Broken,
        tripped: !broken.is_empty() || trunk_red.is_some(),
        reason: {
            let mut reason = match (broken.len(), &trunk_red) {
                (0, Some(red)) => red.clone(),
                (0, None) => "no test is broken".to_string(),
                (1, _) => format!("1 test is broken: {named}"),
                (n, _) => format!("{n} tests are broken: {named}"),
            };
            if let (true, Some(red)) = (!broken.is_empty(), &trunk_red) {
                reason.push_str(&format!("; {red}"));
            }
            if !on_branches.is_empty() {
                let named = name_list(on_branches.iter().map(|t| {
                    let branch = t.streak.as_ref().and_then(|s| s.branch.as_deref());
                    format!("{} (on {})", test_label(t), quote(branch.unwrap_or("-")))
                }));
                reason.push_str(&format!(
                    "; broken only on a branch, not on the trunk: {named}"
                ));
            }
            if !gone.is_empty() {
                let named = name_list(gone.iter().map(|t| {
                    let since = t.absent_since.as_ref().map_or("-", |r| r.run.as_str());
                    format!("{} (not in run {} on)", test_label(t), quote(since))
                }));
                reason.push_str(&format!(
                    "; broken when last run, and no longer run while the rest of its class \
                     runs (deleted or renamed): {named}"
                ));
            }
            reason
        },
        tests: broken
            .iter()
            .map(|t| {
                let since = since(t);
                let detail = if since.is_empty() {
                    "broken".to_string()
                } else {
                    format!("broken {since}")
                };
                GateTest::of(t, detail)
            })
            .collect(),
        groups: Vec::new(),
    }
}

/// `new-flaky`: trips when a test (and variant) is flaky in `now` but was not flaky in
/// `before`, the same window without its newest runs.
pub(crate) fn new_flaky(now: &FlakyReport, before: &FlakyReport, newest_runs: usize) -> GateResult {
    let was_flaky: HashSet<(&str, &str)> = before
        .tests
        .iter()
        .filter(|t| t.verdict == Verdict::Flaky)
        .map(|t| (t.test_id.as_str(), t.variant.as_str()))
        .collect();
    let new: Vec<&TestVerdict> = now
        .tests
        .iter()
        .filter(|t| t.verdict == Verdict::Flaky)
        .filter(|t| !was_flaky.contains(&(t.test_id.as_str(), t.variant.as_str())))
        .collect();
    let runs = if newest_runs == 1 {
        "the newest run".to_string()
    } else {
        format!("the newest {newest_runs} runs")
    };
    let named = name_list(new.iter().map(|t| test_label(t)));
    GateResult {
        gate: Gate::NewFlaky,
        tripped: !new.is_empty(),
        reason: match new.len() {
            0 => format!("no test became flaky in {runs}"),
            1 => format!("1 test became flaky in {runs}: {named}"),
            n => format!("{n} tests became flaky in {runs}: {named}"),
        },
        tests: new
            .iter()
            .map(|t| GateTest::of(t, format!("became flaky in {runs}")))
            .collect(),
        groups: Vec::new(),
    }
}

/// `slower`: trips when any group is flagged as getting slower.
pub(crate) fn slower(report: &SlowReport) -> GateResult {
    let slower: Vec<_> = report.groups.iter().filter(|g| g.getting_slower).collect();
    let named = name_list(slower.iter().map(|g| {
        let change = g
            .change
            .map_or(String::new(), |c| format!(" (+{:.0}%)", c * 100.0));
        format!("{}{change}", quote(&g.group))
    }));
    let threshold = report.options.slower_threshold * 100.0;
    GateResult {
        gate: Gate::Slower,
        tripped: !slower.is_empty(),
        reason: match slower.len() {
            0 => format!("nothing got {threshold:.0}% slower in the last 7 days"),
            1 => format!("1 group got {threshold:.0}% slower or more in the last 7 days: {named}"),
            n => {
                format!("{n} groups got {threshold:.0}% slower or more in the last 7 days: {named}")
            }
        },
        tests: Vec::new(),
        groups: slower.iter().map(|g| g.group.clone()).collect(),
    }
}

/// `--max-flaky-rate`: trips when the flaky run rate (runs red only because of flaky tests,
/// per non-infrastructure run) is above `max`.
pub(crate) fn flaky_rate(now: &FlakyReport, max: f64) -> GateResult {
    let s = &now.summary;
    let rate = s.flaky_run_rate;
    let counted = s.runs.saturating_sub(s.infrastructure_runs);
    GateResult {
        gate: Gate::FlakyRate,
        tripped: rate > max,
        reason: format!(
            "{} of {counted} runs were red only because of flaky tests: {:.1}% (limit {:.1}%)",
            s.red_only_flaky_runs,
            rate * 100.0,
            max * 100.0
        ),
        tests: Vec::new(),
        groups: Vec::new(),
    }
}

/// `expired-quarantine`: trips when a testsift.toml quarantine entry is past its `until`.
pub(crate) fn expired_quarantine(entries: &[Quarantine], today: jiff::civil::Date) -> GateResult {
    let expired: Vec<&Quarantine> = entries.iter().filter(|q| q.expired(today)).collect();
    let named = name_list(
        expired
            .iter()
            .map(|q| format!("{} (until {})", quote(&q.test), q.until)),
    );
    GateResult {
        gate: Gate::ExpiredQuarantine,
        tripped: !expired.is_empty(),
        reason: match expired.len() {
            0 => format!(
                "no quarantine entry has expired ({} in force)",
                entries.len()
            ),
            1 => format!("1 quarantine entry has expired: {named}; renew or remove it"),
            n => format!("{n} quarantine entries have expired: {named}; renew or remove them"),
        },
        tests: expired
            .iter()
            .map(|q| GateTest {
                test_id: q.test.clone(),
                variant: q.variant.clone().unwrap_or_default(),
                detail: format!(
                    "quarantined until {} ({}, {}, {}): expired",
                    q.until, q.reason, q.owner, q.issue
                ),
                owners: vec![q.owner.clone()],
                ..GateTest::default()
            })
            .collect(),
        groups: Vec::new(),
    }
}

/// Why the run gate forgave a failure, or did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Because {
    /// A testsift.toml quarantine entry in force names the test.
    Quarantined,
    /// Flaky before this run, and this failure is one it has recovered from before.
    KnownFlaky,
    /// It also failed in the newest run of the baseline branch before this run.
    FailingOnBaseline,
    /// Flaky before, but this failure's fingerprint was never seen on a recovered failure.
    NewFailure,
    /// Flaky before and failing the way it flaked, but `flaky` over the history and this run
    /// calls it broken: its failures up to this run are a breakage, not flakes.
    Broken,
    /// No flaky evidence before this run.
    NotFlaky,
}

impl Because {
    pub(crate) fn forgiven(self) -> bool {
        matches!(
            self,
            Because::Quarantined | Because::KnownFlaky | Because::FailingOnBaseline
        )
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Because::Quarantined => "quarantined",
            Because::KnownFlaky => "known-flaky",
            Because::FailingOnBaseline => "failing-on-baseline",
            Because::NewFailure => "new-failure",
            Because::Broken => "broken",
            Because::NotFlaky => "not-flaky",
        }
    }
}

/// The run gate's decision on one test that failed (or passed only on a retry) in the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Decision {
    pub(crate) test_id: String,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) variant: String,
    /// Failed, error, or flaky (failed, then passed on a retry in this run); written as its
    /// word.
    pub(crate) status: Status,
    pub(crate) forgiven: bool,
    pub(crate) because: Because,
    /// One sentence naming the evidence.
    pub(crate) reason: String,
    pub(crate) file: Option<String>,
    pub(crate) line: Option<u32>,
    pub(crate) message: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) owners: Vec<String>,
}

/// The run gate's result: `check --run`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RunGate {
    /// The run key judged.
    pub(crate) run: String,
    pub(crate) commit: Option<String>,
    pub(crate) branch: Option<String>,
    /// Runs of the window before it, the evidence the decisions stand on.
    pub(crate) history_runs: usize,
    /// The newest run of `--baseline` before this run, when one was asked for and found.
    pub(crate) baseline: Option<String>,
    pub(crate) decisions: Vec<Decision>,
    /// This run's report files that had errors (truncated, not XML): their test cases after
    /// the error are lost, so the run's results are incomplete and the gate trips.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) incomplete_reports: Vec<IncompleteReport>,
}

/// A report file of the judged run that had errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct IncompleteReport {
    /// The path as ingested (`archive.zip!/entry.xml` inside archives).
    pub(crate) path: String,
    /// The first problem, `line:column: message`.
    pub(crate) problem: String,
}

impl RunGate {
    /// The gate line: tripped when any decision is not forgiven.
    pub(crate) fn result(&self) -> GateResult {
        let failing: Vec<&Decision> = self.decisions.iter().filter(|d| !d.forgiven).collect();
        let forgiven = self.decisions.len() - failing.len();
        let named = name_list(failing.iter().map(|d| decision_label(d)));
        let run = quote(&self.run);
        let mut reason = match (failing.len(), forgiven) {
            (0, 0) => format!("run {run}: no test failed"),
            (0, f) => format!("run {run}: every failure is forgiven ({f})"),
            (n, f) => format!(
                "run {run}: {n} failure{} not forgiven ({f} forgiven): {named}",
                if n == 1 { "" } else { "s" }
            ),
        };
        if let Some(first) = self.incomplete_reports.first() {
            let n = self.incomplete_reports.len();
            reason.push_str(&format!(
                "; but its results are incomplete: {n} report file{} had errors, so the tests \
                 after each error are missing ({} at {}{})",
                if n == 1 { "" } else { "s" },
                quote(&first.path),
                first.problem,
                if n > 1 { ", and others" } else { "" }
            ));
        }
        GateResult {
            gate: Gate::Run,
            tripped: !failing.is_empty() || !self.incomplete_reports.is_empty(),
            reason,
            tests: failing
                .iter()
                .map(|d| GateTest {
                    test_id: d.test_id.clone(),
                    classname: d.classname.clone(),
                    name: d.name.clone(),
                    variant: d.variant.clone(),
                    file: d.file.clone(),
                    line: d.line,
                    detail: d.reason.clone(),
                    owners: d.owners.clone(),
                })
                .collect(),
            groups: Vec::new(),
        }
    }
}

fn decision_label(d: &Decision) -> String {
    let variant = if d.variant.is_empty() {
        String::new()
    } else {
        format!(" [{}]", d.variant)
    };
    quote(&format!("{}{variant}", d.test_id))
}

/// The run key `check --run` judges: `run` when given (it must be in the store), else the run
/// the CI's variables name (`ci`: the job checking the run it has just ingested; it must be in
/// the store, since judging another run instead would pass a job whose own reports were never
/// ingested), else the newest run of the window. The error says what the store holds.
pub(crate) fn target_run(
    all: &[RunInfo],
    window: &[RunInfo],
    run: Option<&str>,
    ci: Option<&str>,
) -> Result<String, String> {
    let ci_named = run.is_none().then_some(ci).flatten();
    match run.or(ci_named) {
        Some(r) if all.iter().any(|x| x.run == r) => Ok(r.to_string()),
        Some(r) => {
            let mut keys: Vec<&str> = Vec::new();
            for x in all.iter().rev() {
                if !keys.contains(&x.run.as_str()) {
                    keys.push(&x.run);
                }
            }
            let newest = name_list(
                keys.iter()
                    .map(|k| quote(k))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            let named = if ci_named.is_some() {
                format!(
                    "run {} (named by the CI's variables) is not in the store: ingest this \
                     job's reports first (were they written?), or name the run with --run KEY",
                    quote(r)
                )
            } else {
                format!("run {} is not in the store", quote(r))
            };
            Err(if keys.is_empty() {
                format!("{named} (it holds no runs)")
            } else {
                format!("{named} (the newest are {newest})")
            })
        }
        None => window
            .last()
            .map(|r| r.run.clone())
            .ok_or_else(|| "the window holds no run".to_string()),
    }
}

/// What one test's history before the judged run says.
#[derive(Default)]
struct Before {
    retry_runs: usize,
    /// Per commit: passed (or passed on a retry) on it, failed on it.
    commits: HashMap<String, (bool, bool)>,
    /// Fingerprints of failures it recovered from: retried into a pass, or failed on a commit
    /// it also passed on.
    recovered: HashSet<u64>,
    /// Fingerprints of failures it recovered from that had survived in-run retries (every one
    /// of two or more attempts failed), on a commit it also passed on.
    recovered_retried: HashSet<u64>,
    /// Fingerprints of hard failures, by commit, until the commits are known to be mixed; and
    /// whether the failure survived in-run retries.
    failed_on: Vec<(String, u64, bool)>,
    /// Its newest execution on the baseline branch before the judged run: (run position,
    /// failed). The branch's newest run may not have run it (a module that failed to collect).
    baseline_last: Option<(usize, bool, Option<u64>)>,
    /// Its executions in the history: (run position in the window, failed or errored).
    outcomes: Vec<(usize, bool)>,
    /// Its hard failures' fingerprints, by run position.
    failures: Vec<(usize, u64)>,
    /// Fingerprints of failures its next run on the same branch did not repeat (it passed):
    /// the failures `flaky`'s model may call flakes without retry or same-commit evidence.
    /// A failure with no run after it yet is not among them: nothing says it went away.
    passed_after: HashSet<u64>,
}

impl Before {
    fn same_commit(&self) -> usize {
        self.commits.values().filter(|(p, f)| *p && *f).count()
    }

    fn flaky(&self) -> bool {
        self.retry_runs > 0 || self.same_commit() > 0
    }

    fn evidence(&self) -> String {
        let mut parts = Vec::new();
        if self.retry_runs > 0 {
            parts.push(format!(
                "passed on a retry in {} earlier run{}",
                self.retry_runs,
                if self.retry_runs == 1 { "" } else { "s" }
            ));
        }
        let same = self.same_commit();
        if same > 0 {
            parts.push(format!(
                "passed and failed on {same} earlier commit{}",
                if same == 1 { "" } else { "s" }
            ));
        }
        parts.join(", ")
    }
}

/// The gate for one run: each test that failed in run `key` (or passed only on a retry) is
/// forgiven when a quarantine entry in force names it, or when it was flaky in the window's
/// runs before this one (retried into a pass, or passed and failed on one commit) and in this
/// run it passed on retry or failed with a fingerprint it has recovered from before, or (with
/// `baseline`) when it also failed in the newest run of that branch before this run. Every
/// other failure fails the gate.
pub(crate) fn run_gate(
    store: &Store,
    window: &WindowSpec,
    key: &str,
    baseline: Option<&str>,
    quarantine: &[Quarantine],
    today: jiff::civil::Date,
    options: &FlakyOptions,
) -> Result<RunGate, AnalysisError> {
    let all = window::runs_in_window(store, &WindowSpec::default())?;
    let Some(target) = all.iter().find(|r| r.run == key).cloned() else {
        return Err(AnalysisError::Query {
            path: store.dir().display().to_string(),
            message: format!("run {} is not in the store", quote(key)),
        });
    };
    let before =
        |r: &RunInfo| r.run != key && window::run_order(r, &target) == std::cmp::Ordering::Less;
    // The window's runs before this one: the history its failures are judged against.
    let history: HashSet<(String, String)> = window::runs_in_window(store, window)?
        .into_iter()
        .filter(|r| before(r))
        .map(|r| (r.run, r.variant))
        .collect();
    let history_runs = history.len();
    let baseline_run = baseline.and_then(|b| {
        all.iter()
            .rev()
            .find(|r| before(r) && r.branch.as_deref() == Some(b))
            .map(|r| r.run.clone())
    });

    // One window of those runs, this run and the baseline run (`all` is in run order).
    let runs: Vec<RunInfo> = all
        .iter()
        .filter(|r| {
            r.run == key
                || baseline_run.as_deref() == Some(r.run.as_str())
                || history.contains(&(r.run.clone(), r.variant.clone()))
        })
        .cloned()
        .collect();
    let w = Window::of_runs(store, runs, None)?;
    let is_target: Vec<bool> = w.runs.iter().map(|r| r.run == key).collect();
    // Runs where most executed tests failed (a broken runner, as `flaky` sets aside): no
    // evidence that the baseline branch is red.
    let mut counts = vec![(0usize, 0usize); w.runs.len()];
    for (i, st) in w.rows.status.iter().enumerate() {
        if let Some(st) = st.filter(|s| *s != Status::Skipped) {
            let c = &mut counts[w.rows.run[i] as usize];
            c.0 += 1;
            c.1 += usize::from(st.is_failure());
        }
    }
    let infra_run = |r: usize| {
        let (executed, failed) = counts[r];
        executed >= super::INFRA_MIN_TESTS
            && failed as f64 > options.infra_threshold * executed as f64
    };
    // The baseline branch's runs before this one.
    let is_baseline: Vec<bool> = w
        .runs
        .iter()
        .enumerate()
        .map(|(k, r)| {
            baseline.is_some_and(|b| r.branch.as_deref() == Some(b))
                && r.run != key
                && before(r)
                && !infra_run(k)
        })
        .collect();
    // Per position: the run's commit when it is part of the history (an infrastructure run is
    // not: its failures are no test's, and a re-run passing after it is no flake).
    let in_history: Vec<Option<Option<&str>>> = w
        .runs
        .iter()
        .enumerate()
        .map(|(k, r)| {
            (history.contains(&(r.run.clone(), r.variant.clone())) && !infra_run(k))
                .then_some(r.commit.as_deref())
        })
        .collect();
    let rows = &w.rows;
    let test_id = |i: usize| w.tests[w.test_of_row(i) as usize].test_id.as_str();
    let variant = |i: usize| w.variants[w.run_variant[rows.run[i] as usize] as usize].as_str();
    // This run's failed, errored and retried rows, by test id and variant.
    let mut now: Vec<usize> = (0..rows.len())
        .filter(|&i| {
            is_target[rows.run[i] as usize]
                && matches!(
                    rows.status[i],
                    Some(Status::Failed | Status::Error | Status::Flaky)
                )
        })
        .collect();
    now.sort_by(|&a, &b| (test_id(a), variant(a)).cmp(&(test_id(b), variant(b))));
    let failing: HashSet<u32> = now.iter().map(|&i| w.test_of_row(i)).collect();
    let mut per_test: HashMap<(&str, &str), Before> = HashMap::new();
    for (i, failure) in w.rows_with_failures() {
        let (Some(st), true) = (rows.status[i], failing.contains(&w.test_of_row(i))) else {
            continue;
        };
        let r = rows.run[i] as usize;
        let entry = (test_id(i), variant(i));
        if is_baseline[r] && st != Status::Skipped {
            let last = &mut per_test.entry(entry).or_default().baseline_last;
            if last.is_none_or(|(at, _, _)| at <= r) {
                *last = Some((r, st.is_failure(), failure.and_then(|f| f.fingerprint)));
            }
        }
        let Some(commit) = in_history[r] else {
            continue;
        };
        let b = per_test.entry(entry).or_default();
        if st != Status::Skipped {
            b.outcomes.push((r, st.is_failure()));
        }
        let fp = failure.and_then(|f| f.fingerprint);
        if st == Status::Flaky {
            b.retry_runs += 1;
            b.recovered.extend(fp);
        }
        if let Some(c) = commit {
            let seen = b.commits.entry(c.to_string()).or_default();
            match st {
                Status::Passed | Status::Flaky => seen.0 = true,
                Status::Failed | Status::Error => {
                    seen.1 = true;
                    if let Some(fp) = fp {
                        b.failed_on.push((c.to_string(), fp, rows.attempts[i] >= 2));
                        b.failures.push((r, fp));
                    }
                }
                Status::Skipped => {}
            }
        }
    }
    for b in per_test.values_mut() {
        b.outcomes.sort_unstable();
        for &(at, fp) in &b.failures {
            let branch = &w.runs[at].branch;
            let next = b
                .outcomes
                .iter()
                .find(|&&(r, _)| r > at && w.runs[r].branch == *branch);
            if let Some(&(_, false)) = next {
                b.passed_after.insert(fp);
            }
        }
        let mixed: Vec<(u64, bool)> = b
            .failed_on
            .iter()
            .filter(|(c, _, _)| b.commits.get(c).is_some_and(|(p, _)| *p))
            .map(|&(_, fp, retried)| (fp, retried))
            .collect();
        b.recovered.extend(mixed.iter().map(|&(fp, _)| fp));
        b.recovered_retried
            .extend(mixed.iter().filter(|(_, r)| *r).map(|&(fp, _)| fp));
    }

    let empty = Before::default();
    // A test without retry or same-commit evidence may still be flaky by `flaky`'s model (lone
    // failures that the next runs did not repeat). The model over the history before this run,
    // read only when some failure has no such evidence: its flaky tests are forgiven as known
    // flakes when they fail the way they flaked (and the gate and `flaky` then agree).
    let needs_model = now.iter().any(|&i| {
        !per_test
            .iter()
            .any(|((t2, _), b)| *t2 == test_id(i) && b.flaky())
    });
    let model_before = if needs_model {
        let runs: Vec<RunInfo> = all
            .iter()
            .filter(|r| history.contains(&(r.run.clone(), r.variant.clone())))
            .cloned()
            .collect();
        Some(super::flaky::flaky(
            &Window::of_runs(store, runs, None)?,
            options,
        ))
    } else {
        None
    };
    let model_flaky = |t: &str, v: &str| -> Option<&TestVerdict> {
        model_before
            .as_ref()?
            .tests
            .iter()
            .find(|m| m.test_id == t && m.variant == v && m.verdict == Verdict::Flaky)
    };
    let mut decisions = Vec::new();
    let mut second_look = Vec::new();
    for i in now {
        let (t, v) = (test_id(i), variant(i));
        let Some(st) = rows.status[i] else {
            continue;
        };
        let b = per_test.get(&(t, v)).unwrap_or(&empty);
        let failure = w.failure(i);
        let fp = failure.and_then(|f| f.fingerprint);
        let names = &w.keys[rows.key[i] as usize];
        let quarantined = quarantine
            .iter()
            .find(|q| !q.expired(today) && q.on_variant(v) && q.matches(t));
        let retried = st == Status::Flaky;
        // A hard failure that survived in-run retries is what retries exist to tell from a
        // flake: it is forgiven as one only if the test has come back from such a failure.
        let survived_retries = !retried && rows.attempts[i] >= 2;
        // A test never flaky on this variant but flaky on another (a matrix leg) that flakes
        // here the same way: the other leg's evidence tells, and the reason names the leg.
        let (src, on) = match per_test
            .iter()
            .filter(|((t2, v2), o)| *t2 == t && *v2 != v && o.flaky())
            .min_by_key(|((_, v2), _)| *v2)
        {
            Some(((_, v2), o)) if !b.flaky() => (
                o,
                format!(
                    " on variant {}",
                    quote(if v2.is_empty() { "-" } else { v2 })
                ),
            ),
            _ => (b, String::new()),
        };
        let known = |fp: u64| {
            if survived_retries {
                src.recovered_retried.contains(&fp)
            } else {
                src.recovered.contains(&fp)
            }
        };
        // The test's newest run on the baseline branch, when one was asked for.
        let on_baseline = b.baseline_last.or_else(|| {
            // The baseline branch ran under other variants only (another CI system, another
            // job name): its newest run of the test under any variant.
            per_test
                .iter()
                .filter(|((t2, _), _)| *t2 == t)
                .filter_map(|(_, o)| o.baseline_last)
                .max_by_key(|&(at, _, _)| at)
        });
        // Failing on the baseline branch's newest run of it, the same way (a failure of its
        // own is not the branch's).
        let failing_on_baseline = on_baseline
            .filter(|&(_, failed, there)| {
                failed && (there.is_none() || fp.is_none() || there == fp)
            })
            .map(|(at, _, _)| {
                format!(
                    "already failing on {} (run {}{})",
                    quote(baseline.unwrap_or_default()),
                    quote(&w.runs[at].run),
                    if w.run_variant[at] == w.run_variant[rows.run[i] as usize] {
                        String::new()
                    } else {
                        format!(
                            ", variant {}",
                            quote(&w.variants[w.run_variant[at] as usize])
                        )
                    }
                )
            });
        let (because, mut reason) = if let Some(q) = quarantined {
            (
                Because::Quarantined,
                format!(
                    "quarantined until {} by {}: {} ({})",
                    q.until, q.owner, q.reason, q.issue
                ),
            )
        } else if src.flaky() && retried {
            (
                Because::KnownFlaky,
                format!(
                    "passed on a retry; flaky{on} before this run: {}",
                    src.evidence()
                ),
            )
        } else if src.flaky() && fp.is_some_and(known) {
            (
                Because::KnownFlaky,
                format!(
                    "failed the way it has flaked{on} before (fingerprint {:016x}); {}",
                    fp.unwrap_or_default(),
                    src.evidence()
                ),
            )
        } else if let Some(reason) = failing_on_baseline.clone() {
            (Because::FailingOnBaseline, reason)
        } else if b.flaky() && survived_retries && fp.is_some_and(|fp| b.recovered.contains(&fp)) {
            (
                Because::NewFailure,
                format!(
                    "flaky before this run ({}), but this failure survived {} retries, which \
                     its flakes never did (fingerprint {:016x})",
                    b.evidence(),
                    rows.attempts[i] - 1,
                    fp.unwrap_or_default()
                ),
            )
        } else if b.flaky() {
            (
                Because::NewFailure,
                format!(
                    "flaky before this run ({}), but it never recovered from this failure{}",
                    b.evidence(),
                    fp.map_or(String::new(), |fp| format!(" (fingerprint {fp:016x})"))
                ),
            )
        } else if let Some((m, on)) = model_flaky(t, v)
            .map(|m| (m, b, String::new()))
            .or_else(|| {
                // Flaky by the model on another variant (a matrix leg) only: that leg's
                // flakes tell, and the reason names the leg.
                per_test
                    .iter()
                    .filter(|((t2, v2), _)| *t2 == t && *v2 != v)
                    .filter_map(|((_, v2), o)| model_flaky(t, v2).map(|m| (m, o, *v2)))
                    .min_by_key(|&(_, _, v2)| v2)
                    .map(|(m, o, v2)| {
                        let leg = quote(if v2.is_empty() { "-" } else { v2 });
                        (m, o, format!(" on variant {leg}"))
                    })
            })
            .filter(|(m, o, _)| {
                retried
                    || (!survived_retries
                        && fp.is_some_and(|fp| {
                            let hex = format!("{fp:016x}");
                            // A flake the model saw, that went away: not a failure whose next
                            // run is this one (a re-run of a broken job) or failed again.
                            o.passed_after.contains(&fp)
                                && m.fingerprints.iter().any(|f| f.fingerprint == hex)
                        }))
            })
            .map(|(m, _, on)| (m, on))
        {
            (
                Because::KnownFlaky,
                format!(
                    "{}; testsift flaky calls it flaky{on} before this run ({} of its {} runs \
                     failed and the next did not repeat it)",
                    if retried {
                        "passed on a retry".to_string()
                    } else {
                        format!(
                            "failed the way it has flaked before (fingerprint {:016x})",
                            fp.unwrap_or_default()
                        )
                    },
                    m.flaky_executions,
                    m.runs
                ),
            )
        } else if let Some(m) = model_flaky(t, v) {
            (
                Because::NewFailure,
                format!(
                    "testsift flaky calls it flaky before this run ({} of its {} runs failed), \
                     but {}{}",
                    m.flaky_executions,
                    m.runs,
                    if survived_retries {
                        format!("this failure survived {} retries", rows.attempts[i] - 1)
                    } else {
                        match fp {
                            Some(fp) if b.failures.iter().any(|&(_, f)| f == fp) => {
                                "it failed this way before, but the next run never showed \
                                 such a failure go away"
                                    .to_string()
                            }
                            _ => "it never failed this way before".to_string(),
                        }
                    },
                    fp.map_or(String::new(), |fp| format!(" (fingerprint {fp:016x})"))
                ),
            )
        } else if retried {
            let hint = if b.outcomes.is_empty() {
                variant_hint(&w.runs, &in_history, v)
            } else {
                String::new()
            };
            (
                Because::NotFlaky,
                format!(
                    "passed only on a retry, and the runs before this one do not show it \
                     flaky{hint}"
                ),
            )
        } else {
            // Its failing streak on the judged run's branch (another branch may not have the
            // change that broke it), else over every branch.
            let on_branch: Vec<(usize, bool)> = b
                .outcomes
                .iter()
                .copied()
                .filter(|&(r, _)| w.runs[r].branch == target.branch)
                .collect();
            let mut outcomes = if on_branch.is_empty() {
                b.outcomes.clone()
            } else {
                on_branch
            };
            outcomes.sort_unstable();
            let failing: Vec<usize> = outcomes
                .iter()
                .rev()
                .take_while(|(_, failed)| *failed)
                .map(|(r, _)| *r)
                .collect();
            let reason = if outcomes.is_empty() {
                let variant = if v.is_empty() {
                    String::new()
                } else {
                    format!(" of variant {}", quote(v))
                };
                format!(
                    "failed, and has no run{variant} in the {history_runs} runs before this \
                     one{}",
                    variant_hint(&w.runs, &in_history, v)
                )
            } else if let Some(&first) = failing.last() {
                format!(
                    "failed, as in its last {} before this one (failing since run {}); the \
                     {history_runs} runs before this one do not show it flaky",
                    if failing.len() == 1 {
                        "run".to_string()
                    } else {
                        format!("{} runs", failing.len())
                    },
                    quote(&w.runs[first].run)
                )
            } else {
                format!("failed, and the {history_runs} runs before this one do not show it flaky")
            };
            (Because::NotFlaky, reason)
        };
        // Red on the baseline too, but another way: say so, or "already failing there" is
        // what a person would expect to read.
        if let (false, Some((at, true, Some(there))), Some(here)) =
            (because.forgiven(), on_baseline, fp)
            && there != here
        {
            reason.push_str(&format!(
                "; it fails on {} too (run {}), but another way (fingerprint {there:016x} \
                 there, {here:016x} here)",
                quote(baseline.unwrap_or_default()),
                quote(&w.runs[at].run)
            ));
        }
        // Forgiven as a known flake by another leg's evidence, none of this leg's own.
        let by_leg = because == Because::KnownFlaky
            && quarantined.is_none()
            && if src.flaky() && (retried || fp.is_some_and(known)) {
                !on.is_empty()
            } else {
                model_flaky(t, v).is_none()
            };
        second_look.push((by_leg, failing_on_baseline));
        decisions.push(Decision {
            test_id: t.to_string(),
            classname: names.classname.clone(),
            name: names.name.clone(),
            variant: v.to_string(),
            status: st,
            forgiven: because.forgiven(),
            because,
            reason,
            file: Some(names.file.clone()).filter(|f| !f.is_empty()),
            line: names.line,
            message: failure
                .and_then(|f| f.message.as_deref())
                .filter(|m| !m.is_empty())
                .map(str::to_string),
            owners: Vec::new(),
        });
    }
    // A known flake that failed on every attempt may be broken now: a breakage that fails the
    // way the test used to flake is still a breakage. The flaky model over the history and this
    // run tells; it runs only when such a failure was forgiven.
    let hard_known_flaky = |d: &Decision| {
        d.because == Because::KnownFlaky && matches!(d.status, Status::Failed | Status::Error)
    };
    if decisions.iter().any(hard_known_flaky) {
        let runs: Vec<RunInfo> = all
            .iter()
            .filter(|r| r.run == key || history.contains(&(r.run.clone(), r.variant.clone())))
            .cloned()
            .collect();
        let report = super::flaky::flaky(&Window::of_runs(store, runs, None)?, options);
        for (d, (by_leg, on_baseline)) in decisions.iter_mut().zip(second_look) {
            if !hard_known_flaky(d) {
                continue;
            }
            let Some(streak) = report
                .tests
                .iter()
                .find(|t| t.test_id == d.test_id && t.variant == d.variant)
                .filter(|t| t.verdict == Verdict::Broken)
                .and_then(|t| t.streak.as_ref())
            else {
                continue;
            };
            // Forgiven by another leg's flakes: this leg knows none, so its first failure
            // alone is a breakage to the model. The leg's evidence stands for that one run; a
            // second failure in a row here is the model's to judge.
            if by_leg && streak.length <= 1 {
                continue;
            }
            // A breakage the baseline branch has too is the baseline's, not this branch's.
            if let Some(reason) = on_baseline {
                d.because = Because::FailingOnBaseline;
                d.reason = format!(
                    "{reason}; testsift flaky calls its failures since run {} a breakage",
                    quote(&streak.first.run)
                );
                continue;
            }
            d.because = Because::Broken;
            d.forgiven = false;
            d.reason = format!(
                "failed the way it has flaked before, but its failures since run {} ({} up to \
                 this one) are a breakage, not flakes: testsift flaky calls it broken",
                quote(&streak.first.run),
                crate::export::format::count(streak.length, "run")
            );
        }
    }
    Ok(RunGate {
        run: key.to_string(),
        commit: target.commit.clone(),
        branch: target.branch.clone(),
        history_runs,
        baseline: baseline_run,
        decisions,
        incomplete_reports: incomplete_reports(store, key)?,
    })
}

/// When no run of the history has the judged run's variant `v` (the job named its run
/// otherwise than the history's): a hint naming the history's variants; else nothing.
fn variant_hint<T>(runs: &[RunInfo], in_history: &[Option<T>], v: &str) -> String {
    let variants: BTreeSet<&str> = runs
        .iter()
        .zip(in_history)
        .filter(|(_, h)| h.is_some())
        .map(|(r, _)| r.variant.as_str())
        .collect();
    if variants.is_empty() || variants.contains(v) {
        return String::new();
    }
    let named: Vec<String> = variants
        .iter()
        .filter(|e| !e.is_empty())
        .map(|e| quote(e))
        .collect();
    let theirs = match (variants.contains(""), named.is_empty()) {
        (true, true) => "have no variant".to_string(),
        (true, false) => format!(
            "have no variant or variant {}",
            name_list(named.into_iter())
        ),
        (false, _) => format!("are of variant {}", name_list(named.into_iter())),
    };
    format!(
        " (the history's runs {theirs}; a run's variant comes from run.json, --variant or the \
         CI's job name: give this run the history's to judge it against them)"
    )
}

/// The report files of run `key` (any variant) whose status is `error` in the reports table.
fn incomplete_reports(store: &Store, key: &str) -> Result<Vec<IncompleteReport>, AnalysisError> {
    let df = store
        .reports()?
        .filter(
            col(schema::RUN)
                .eq(lit(key))
                .and(col(schema::STATUS).eq(lit("error"))),
        )
        .select([col(schema::PATH), col(schema::PROBLEMS)])
        .collect()
        .map_err(query_err(store))?;
    let read = || -> PolarsResult<_> {
        Ok((
            df.column(schema::PATH)?.str()?.clone(),
            df.column(schema::PROBLEMS)?.str()?.clone(),
        ))
    };
    let (path, problems) = read().map_err(query_err(store))?;
    let mut out: Vec<IncompleteReport> = path
        .iter()
        .zip(problems.iter())
        .map(|(p, problems)| IncompleteReport {
            path: p.unwrap_or_default().to_string(),
            problem: problems
                .and_then(|s| s.lines().next())
                .unwrap_or("unreadable")
                .to_string(),
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup();
    Ok(out)
}

/// Fills in each gate test's `file` and `line` from the store's tests table (see [`files`]).
pub(crate) fn locate(store: &Store, results: &mut [GateResult]) -> Result<(), AnalysisError> {
    let ids: BTreeSet<&str> = results
        .iter()
        .flat_map(|r| r.tests.iter().map(|t| t.test_id.as_str()))
        .collect();
    let found = files(store, &ids)?;
    for t in results.iter_mut().flat_map(|r| r.tests.iter_mut()) {
        if let Some((file, line)) = found.get(t.test_id.as_str()) {
            t.file = Some(file.clone());
            t.line = *line;
        }
    }
    Ok(())
}

/// The `file` and `line` of each of `ids` (after aliases), from the store's tests table: the
/// first test row of that id with a file, by file and line, so the choice does not depend on
/// segment order.
pub(crate) fn files(
    store: &Store,
    ids: &BTreeSet<&str>,
) -> Result<HashMap<String, (String, Option<u32>)>, AnalysisError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    store.reading(|| files_once(store, ids))
}

fn files_once(
    store: &Store,
    ids: &BTreeSet<&str>,
) -> Result<HashMap<String, (String, Option<u32>)>, AnalysisError> {
    let mut found: HashMap<String, (String, Option<u32>)> = HashMap::new();
    let df = crate::config::alias_ids(store.tests()?)
        .filter(col(FILE).is_not_null().and(col(FILE).neq(lit(""))))
        .select([col(TEST_ID), col(FILE), col(LINE)])
        .sort([TEST_ID, FILE, LINE], SortMultipleOptions::default())
        .collect()
        .map_err(query_err(store))?;
    let (id, file, line) = (|| -> PolarsResult<_> {
        Ok((
            df.column(TEST_ID)?.str()?.clone(),
            df.column(FILE)?.str()?.clone(),
            df.column(LINE)?.u32()?.clone(),
        ))
    })()
    .map_err(query_err(store))?;
    for i in 0..df.height() {
        if let (Some(id), Some(file)) = (id.get(i), file.get(i))
            && ids.contains(id)
            && !found.contains_key(id)
        {
            found.insert(id.to_string(), (file.to_string(), line.get(i)));
        }
    }
    Ok(found)
}

/// Why `window` keeps none of `all` (every run in the store), or `None` when it keeps some. The
/// window's filters are applied one at a time, in the window's own order, and the first that
/// leaves nothing is named with what the store does hold.
pub(crate) fn empty_window(all: &[RunInfo], window: &WindowSpec) -> Option<String> {
    let kept = |w: &WindowSpec| {
        let mut runs = all.to_vec();
        window::select(&mut runs, w);
        runs
    };
    if !kept(window).is_empty() {
        return None;
    }
    if all.is_empty() {
        return Some("the store holds no runs".into());
    }
    let mut step = WindowSpec {
        branch: window.branch.clone(),
        ..WindowSpec::default()
    };
    let on_branch = kept(&step);
    if let Some(b) = &window.branch
        && on_branch.is_empty()
    {
        let branches: BTreeSet<&str> = all.iter().filter_map(|r| r.branch.as_deref()).collect();
        let held = if branches.is_empty() {
            "no run in the store names its branch".to_string()
        } else {
            format!(
                "the store has runs of {}",
                name_list(
                    branches
                        .iter()
                        .map(|b| quote(b))
                        .collect::<Vec<_>>()
                        .into_iter()
                )
            )
        };
        return Some(format!("no run is of branch {} ({held})", quote(b)));
    }
    let of_branch = window
        .branch
        .as_deref()
        .map_or(String::new(), |b| format!(" of branch {}", quote(b)));
    step.since = window.since;
    if let Some(Since::At(ms)) = window.since
        && kept(&step).is_empty()
    {
        let newest = on_branch.last().map_or(String::new(), RunInfo::timestamp);
        return Some(format!(
            "no run{of_branch} is from {} or later (the newest is from {newest})",
            timestamp(ms)
        ));
    }
    if window.last_runs == Some(0) {
        return Some("--last-runs 0 keeps no run".into());
    }
    Some(format!(
        "the window keeps none of the store's {} runs",
        all.len()
    ))
}

/// Why `now` holds no evidence a gate could stand on: every run of its window was an
/// infrastructure failure, so no test was judged. `None` when some run counts.
pub(crate) fn no_evidence(now: &FlakyReport) -> Option<String> {
    let s = &now.summary;
    (s.runs > 0 && s.infrastructure_runs >= s.runs).then(|| {
        format!(
            "all {} runs in the window are infrastructure failures (more than --infra-threshold \
             of their tests failed), so no test could be judged",
            s.runs
        )
    })
}

/// Why `report` gives the `slower` gate nothing to compare: no group has timed runs both in the
/// last 7 days and in the 7 before (a history shorter than two weeks, or no durations). `None`
/// when some group has a week-over-week change.
pub(crate) fn slower_no_evidence(report: &SlowReport) -> Option<String> {
    (!report.groups.iter().any(|g| g.change.is_some())).then(|| {
        "the slower gate compares the last 7 days with the 7 before, and no group has timed \
         runs in both"
            .to_string()
    })
}

fn timestamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| format!("{ms} ms after 1970"))
}

/// `classname::name [variant]`, with control characters made visible so a hostile name cannot
/// break the one-line reason.
fn test_label(t: &TestVerdict) -> String {
    let variant = if t.variant.is_empty() {
        String::new()
    } else {
        format!(" [{}]", t.variant)
    };
    quote(&format!("{}{variant}", t.test_id))
}

/// Makes control characters (and bidi overrides) visible and caps the length, so report text
/// stays on one line and cannot drive the terminal.
fn quote(s: &str) -> String {
    const MAX: usize = 200;
    escape::terminal(&escape::shorten(s, MAX)).into_owned()
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// "a, b, c and 4 more".
fn name_list(items: impl ExactSizeIterator<Item = String>) -> String {
    let n = items.len();
    let names: Vec<String> = items.take(NAMED).collect();
    let names = names.join(", ");
    if n > NAMED {
        format!("{names} and {} more", n - NAMED)
    } else {
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::flaky::{FlakyOptions, RunRef, Streak, Summary};

    fn verdict(id: &str, v: Verdict) -> TestVerdict {
        TestVerdict {
            test_id: id.into(),
            classname: String::new(),
            name: id.into(),
            family: id.into(),
            variant: String::new(),
            verdict: v,
            runs: 10,
            passed: 0,
            failed: 0,
            skipped: 0,
            retry_runs: 0,
            same_commit_commits: 0,
            flips: 0,
            transitions: 0,
            flip_rate: 0.0,
            flip_rate_decayed: 0.0,
            non_broken_executions: 0,
            flaky_executions: 0,
            flake_rate: None,
            flake_rate_low: None,
            flake_rate_high: None,
            first_flaky: None,
            last_flaky: None,
            streak: None,
            breakage: None,
            breakages: vec![],
            skipped_since: None,
            absent_since: None,
            fingerprints: vec![],
            ci_seconds: 0.0,
            owners: vec![],
        }
    }

    fn report(tests: Vec<TestVerdict>) -> FlakyReport {
        FlakyReport {
            schema_version: 1,
            options: FlakyOptions::default(),
            summary: Summary::default(),
            infrastructure_runs: vec![],
            tests,
            breakage_groups: vec![],
        }
    }

    #[test]
    fn broken_names_the_run_and_commit() {
        let mut t = verdict("a::b", Verdict::Broken);
        t.streak = Some(Streak {
            first: RunRef {
                run: "run-17".into(),
                commit: Some("0123456789abcdef".into()),
                timestamp: String::new(),
            },
            length: 3,
            ended: None,
            branch: None,
        });
        let r = broken(&report(vec![t.clone(), verdict("c::d", Verdict::Stable)]));
        assert!(r.tripped);
        assert_eq!(
            r.reason,
            "1 test is broken: a::b (since run-17, commit 0123456789ab)"
        );
        assert!(!broken(&report(vec![verdict("x", Verdict::Fixed)])).tripped);
        // The same breakage seen only on a pull-request branch leaves the trunk green.
        let mut on_branch = t.clone();
        on_branch.test_id = "e::f".into();
        on_branch.name = "f".into();
        if let Some(s) = on_branch.streak.as_mut() {
            s.branch = Some("pr-7".into());
        }
        let r = broken(&report(vec![on_branch.clone()]));
        assert!(!r.tripped, "{}", r.reason);
        assert!(r.tests.is_empty());
        assert!(r.reason.contains("e::f (on pr-7)"), "{}", r.reason);
        let r = broken(&report(vec![t, on_branch]));
        assert!(r.tripped);
        assert_eq!(r.tests.len(), 1);
    }

    #[test]
    fn new_flaky_compares_per_variant() {
        let mut win = verdict("a::b", Verdict::Flaky);
        win.variant = "windows".into();
        let now = report(vec![
            verdict("a::b", Verdict::Flaky),
            win,
            verdict("c::d", Verdict::Flaky),
        ]);
        let before = report(vec![
            verdict("a::b", Verdict::Flaky),
            verdict("c::d", Verdict::Stable),
        ]);
        let r = new_flaky(&now, &before, 1);
        assert!(r.tripped);
        assert_eq!(
            r.reason,
            "2 tests became flaky in the newest run: a::b [windows], c::d"
        );
        assert!(!new_flaky(&before, &before, 2).tripped);
    }

    #[test]
    fn flaky_rate_is_strictly_above_the_limit() {
        let mut r = report(vec![]);
        r.summary.runs = 20;
        r.summary.red_only_flaky_runs = 2;
        r.summary.flaky_run_rate = 0.1;
        assert!(!flaky_rate(&r, 0.1).tripped);
        let g = flaky_rate(&r, 0.05);
        assert!(g.tripped);
        assert_eq!(
            g.reason,
            "2 of 20 runs were red only because of flaky tests: 10.0% (limit 5.0%)"
        );
    }

    #[test]
    fn hostile_names_stay_on_one_line() {
        let name = format!("x\ny\u{1b}[31m{}", "z".repeat(10_000));
        let r = broken(&report(vec![verdict(&name, Verdict::Broken)]));
        assert!(!r.reason.contains('\n'));
        assert!(!r.reason.contains('\u{1b}'));
        assert!(r.reason.len() < 400, "{}", r.reason.len());
    }

    fn run(key: &str, day: i64, branch: &str) -> RunInfo {
        RunInfo {
            run: key.into(),
            variant: String::new(),
            run_id: key.into(),
            attempt: None,
            commit: None,
            branch: Some(branch.into()),
            timestamp_ms: day * 86_400_000,
        }
    }

    #[test]
    fn an_empty_window_says_which_filter_emptied_it() {
        let all = vec![run("r1", 1, "main"), run("r2", 2, "dev\u{1b}[2J")];
        let window = |branch: Option<&str>, since: Option<Since>, last: Option<usize>| WindowSpec {
            branch: branch.map(str::to_string),
            since,
            last_runs: last,
            ..WindowSpec::default()
        };
        assert_eq!(empty_window(&all, &window(None, None, None)), None);
        assert_eq!(
            empty_window(&[], &window(None, None, None)).as_deref(),
            Some("the store holds no runs")
        );
        assert_eq!(
            empty_window(&all, &window(Some("mian"), None, None)).as_deref(),
            Some("no run is of branch mian (the store has runs of dev\\x1b[2J, main)")
        );
        assert_eq!(
            empty_window(
                &all,
                &window(Some("main"), Some(Since::At(3 * 86_400_000)), None)
            )
            .as_deref(),
            Some(
                "no run of branch main is from 1970-01-04T00:00:00Z or later \
                 (the newest is from 1970-01-02T00:00:00Z)"
            )
        );
        assert_eq!(
            empty_window(&all, &window(None, Some(Since::Age(0)), Some(0))).as_deref(),
            Some("--last-runs 0 keeps no run")
        );
        // An age keeps at least the newest run.
        assert_eq!(
            empty_window(&all, &window(None, Some(Since::Age(0)), None)),
            None
        );
    }

    #[test]
    fn a_window_of_infrastructure_failures_is_no_evidence() {
        let mut r = report(vec![]);
        r.summary.runs = 3;
        r.summary.infrastructure_runs = 3;
        assert!(
            no_evidence(&r)
                .expect("no evidence")
                .starts_with("all 3 runs in the window")
        );
        r.summary.infrastructure_runs = 2;
        assert_eq!(no_evidence(&r), None);
    }

    #[test]
    fn long_lists_are_cut() {
        let tests = (0..5)
            .map(|i| verdict(&format!("t{i}"), Verdict::Broken))
            .collect();
        assert_eq!(
            broken(&report(tests)).reason,
            "5 tests are broken: t0, t1, t2 and 2 more"
        );
    }
}

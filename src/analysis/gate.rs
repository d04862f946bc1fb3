//! `check`: CI gates over the analyses' results. Each gate is a pure function of the result
//! structs, so the rules are tested without a store. Definitions: docs/analysis.md. Also the
//! rule that no gate (and no selection) acts on no data: [`empty_window`] says why a window
//! holds no run.

use super::flaky::{FlakyReport, TestVerdict, Verdict};
use super::slow::SlowReport;
use super::window::{self, RunInfo, Since, WindowArgs};
use super::{AnalysisError, query_err};
use crate::report::escape;
use crate::store::Store;
use crate::store::schema::{FILE, LINE, TEST_ID};
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// How many tests or groups a gate's one-line reason names before it says "and N more".
const NAMED: usize = 3;

/// A gate `--fail-on` can turn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gate {
    /// Some test is broken (a streak of hard failures up to the newest run).
    Broken,
    /// Some test is flaky now that was not flaky before the newest runs.
    NewFlaky,
    /// Some suite (or class, file, family) is flagged as getting slower.
    Slower,
    /// The flaky run rate is above `--max-flaky-rate`.
    FlakyRate,
}

impl Gate {
    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Broken => "broken",
            Gate::NewFlaky => "new-flaky",
            Gate::Slower => "slower",
            Gate::FlakyRate => "flaky-rate",
        }
    }
}

/// The outcome of one gate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult {
    pub gate: Gate,
    pub tripped: bool,
    /// One line, naming what tripped it (or why it held).
    pub reason: String,
    /// Every test that tripped it (`broken`, `new-flaky`), in the analysis' order.
    pub tests: Vec<GateTest>,
    /// Every group that tripped it (`slower`), largest total time first.
    pub groups: Vec<String>,
}

/// A test that tripped a gate, with where it is when the reports said so.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GateTest {
    pub test_id: String,
    pub classname: String,
    pub name: String,
    pub variant: String,
    /// The testcase `file` attribute, when a report gave one.
    pub file: Option<String>,
    /// The testcase `line` attribute, when a report gave one.
    pub line: Option<u32>,
    /// One line on this test: since when it is broken, or that it became flaky.
    pub detail: String,
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
pub const SCHEMA_VERSION: u32 = 1;

/// The whole result of `check`, as `--format json` writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    pub schema_version: u32,
    /// Whether any gate tripped (the exit code is then 1).
    pub tripped: bool,
    /// Runs (run key and variant) in the window.
    pub runs: usize,
    pub gates: Vec<GateResult>,
}

/// `broken`: trips when any test's verdict is broken; names the first failing run of each.
pub fn broken(now: &FlakyReport) -> GateResult {
    let broken: Vec<&TestVerdict> = now
        .tests
        .iter()
        .filter(|t| t.verdict == Verdict::Broken)
        .collect();
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
    GateResult {
        gate: Gate::Broken,
        tripped: !broken.is_empty(),
        reason: match broken.len() {
            0 => "no test is broken".to_string(),
            1 => format!("1 test is broken: {named}"),
            n => format!("{n} tests are broken: {named}"),
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
pub fn new_flaky(now: &FlakyReport, before: &FlakyReport, newest_runs: usize) -> GateResult {
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
pub fn slower(report: &SlowReport) -> GateResult {
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
            1 => format!("1 got {threshold:.0}% slower or more in the last 7 days: {named}"),
            n => format!("{n} got {threshold:.0}% slower or more in the last 7 days: {named}"),
        },
        tests: Vec::new(),
        groups: slower.iter().map(|g| g.group.clone()).collect(),
    }
}

/// `--max-flaky-rate`: trips when the flaky run rate (runs red only because of flaky tests,
/// per non-infrastructure run) is above `max`.
pub fn flaky_rate(now: &FlakyReport, max: f64) -> GateResult {
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

/// Fills in each gate test's `file` and `line` from the store's tests table (the first test
/// row of that id with a file, by file and line, so the choice does not depend on segment
/// order).
pub fn locate(store: &Store, results: &mut [GateResult]) -> Result<(), AnalysisError> {
    let ids: BTreeSet<&str> = results
        .iter()
        .flat_map(|r| r.tests.iter().map(|t| t.test_id.as_str()))
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let wanted = Series::new("wanted".into(), ids.into_iter().collect::<Vec<_>>());
    let df = store
        .tests()?
        .filter(
            col(TEST_ID)
                .is_in(lit(wanted).implode(false), false)
                .and(col(FILE).is_not_null())
                .and(col(FILE).neq(lit(""))),
        )
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
    let mut found: HashMap<&str, (&str, Option<u32>)> = HashMap::new();
    for i in 0..df.height() {
        if let (Some(id), Some(file)) = (id.get(i), file.get(i)) {
            found.entry(id).or_insert((file, line.get(i)));
        }
    }
    for t in results.iter_mut().flat_map(|r| r.tests.iter_mut()) {
        if let Some((file, line)) = found.get(t.test_id.as_str()) {
            t.file = Some((*file).to_string());
            t.line = *line;
        }
    }
    Ok(())
}

/// Why `window` keeps none of `all` (every run in the store), or `None` when it keeps some. The
/// window's filters are applied one at a time, in the window's own order, and the first that
/// leaves nothing is named with what the store does hold.
pub fn empty_window(all: &[RunInfo], window: &WindowArgs) -> Option<String> {
    let kept = |w: &WindowArgs| {
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
    let mut step = WindowArgs {
        branch: window.branch.clone(),
        ..WindowArgs::default()
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
pub fn no_evidence(now: &FlakyReport) -> Option<String> {
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
pub fn slower_no_evidence(report: &SlowReport) -> Option<String> {
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
            fingerprints: vec![],
            ci_seconds: 0.0,
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
        });
        let r = broken(&report(vec![t, verdict("c::d", Verdict::Stable)]));
        assert!(r.tripped);
        assert_eq!(
            r.reason,
            "1 test is broken: a::b (since run-17, commit 0123456789ab)"
        );
        assert!(!broken(&report(vec![verdict("x", Verdict::Fixed)])).tripped);
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
        let window = |branch: Option<&str>, since: Option<Since>, last: Option<usize>| WindowArgs {
            branch: branch.map(str::to_string),
            since,
            last_runs: last,
            ..WindowArgs::default()
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

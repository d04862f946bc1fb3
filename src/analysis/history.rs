//! The per-run detail the report shows beside the analyses: each selected test's status in each
//! run, each selected suite's time per run. A function of the window like the analyses,
//! returning plain structs.

use super::window::Window;
use crate::domain::Status;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Status letters of a timeline cell.
pub(crate) const CELL_PASS: char = '.';
pub(crate) const CELL_FAIL: char = 'F';
pub(crate) const CELL_FLAKY: char = '~';
pub(crate) const CELL_SKIP: char = 's';
/// The run had no execution of the test.
pub(crate) const CELL_ABSENT: char = ' ';
/// The run was an infrastructure failure (whatever the test did in it).
pub(crate) const CELL_INFRA: char = 'I';

/// One run of the window, as the report names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct HistoryRun {
    pub(crate) run: String,
    pub(crate) variant: String,
    pub(crate) commit: Option<String>,
    pub(crate) timestamp: String,
    /// Left out of the analyses as an infrastructure failure.
    pub(crate) infrastructure: bool,
}

/// A test's row of the timeline heat map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TimelineTest {
    pub(crate) test_id: String,
    pub(crate) variant: String,
    /// One letter per recent run, oldest first (see docs/report-json.md).
    pub(crate) cells: String,
}

/// A failed or flaky run of a test: the evidence behind its verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RunStatus {
    pub(crate) run: String,
    pub(crate) commit: Option<String>,
    pub(crate) timestamp: String,
    /// Failed, error or flaky (written as `failed`, `error` or `flaky`).
    pub(crate) status: Status,
    /// The failure message as stored (at most 1 KiB); renderers shorten it.
    pub(crate) message: Option<String>,
}

/// The failed and flaky runs of one test, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct VerdictRuns {
    pub(crate) test_id: String,
    pub(crate) variant: String,
    pub(crate) runs: Vec<RunStatus>,
    /// Further failed or flaky runs, older than those listed.
    pub(crate) more: usize,
}

/// A suite's summed test time per run of the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SuiteSeries {
    pub(crate) group: String,
    /// One value per run of the window, oldest first, in seconds; null where the suite did not
    /// run or the run was an infrastructure failure.
    pub(crate) seconds: Vec<Option<f64>>,
}

/// The per-run detail of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct History {
    /// Every run of the window, oldest first.
    pub(crate) runs: Vec<HistoryRun>,
    /// How many of the newest runs the timeline covers.
    pub(crate) recent_runs: usize,
    pub(crate) timeline: Vec<TimelineTest>,
    pub(crate) verdict_runs: Vec<VerdictRuns>,
    pub(crate) suites: Vec<SuiteSeries>,
}

/// What to read, chosen by the caller from the analysis results.
pub(crate) struct Selection<'a> {
    /// Tests (id, variant) for the timeline, in display order.
    pub(crate) timeline: &'a [(String, String)],
    /// Tests (id, variant) whose failed and flaky runs are listed.
    pub(crate) evidence: &'a [(String, String)],
    /// Runs of the timeline.
    pub(crate) recent_runs: usize,
    /// Failed and flaky runs listed per test.
    pub(crate) runs_per_test: usize,
    /// Suite names (as `slow` names them).
    /// The suites to chart, each with its time per run (window position), as `slow` summed it
    /// ([`crate::analysis::slow::SlowReport::group_runs`]).
    pub(crate) suites: &'a [(String, BTreeMap<usize, f64>)],
    /// (run, variant) of the infrastructure runs.
    pub(crate) infrastructure: &'a HashSet<(String, String)>,
}

/// The per-run detail for `selection` over the window.
pub(crate) fn history(window: &Window, selection: &Selection<'_>) -> History {
    let runs = &window.runs;
    let history_runs: Vec<HistoryRun> = runs
        .iter()
        .map(|r| HistoryRun {
            run: r.run.clone(),
            variant: r.variant.clone(),
            commit: r.commit.clone(),
            timestamp: r.timestamp(),
            infrastructure: selection
                .infrastructure
                .contains(&(r.run.clone(), r.variant.clone())),
        })
        .collect();
    let (timeline, verdict_runs) = test_statuses(window, &history_runs, selection);
    let suites = suite_series(&history_runs, selection.suites);
    History {
        recent_runs: selection.recent_runs.min(runs.len()),
        runs: history_runs,
        timeline,
        verdict_runs,
        suites,
    }
}

fn test_statuses(
    window: &Window,
    history_runs: &[HistoryRun],
    selection: &Selection<'_>,
) -> (Vec<TimelineTest>, Vec<VerdictRuns>) {
    let runs = &window.runs;
    // Per selected test and variant: per run, the status and the failure message (of the
    // run's last row of the test).
    type Cell<'w> = Option<(Status, Option<&'w str>)>;
    let mut status_of: HashMap<(&str, &str), Vec<Cell<'_>>> = HashMap::new();
    let wanted: HashSet<(&str, &str)> = selection
        .timeline
        .iter()
        .chain(selection.evidence)
        .map(|(t, v)| (t.as_str(), v.as_str()))
        .collect();
    // Per test (window index): whether one of its variants is selected.
    let ids: HashSet<&str> = wanted.iter().map(|(id, _)| *id).collect();
    let selected: Vec<bool> = window
        .tests
        .iter()
        .map(|t| ids.contains(t.test_id.as_str()))
        .collect();
    if !wanted.is_empty() {
        let rows = &window.rows;
        for (i, failure) in window.rows_with_failures() {
            let t = window.test_of_row(i) as usize;
            let (true, Some(st)) = (selected[t], rows.status[i]) else {
                continue;
            };
            let r = rows.run[i] as usize;
            let id = window.tests[t].test_id.as_str();
            let variant = window.variants[window.run_variant[r] as usize].as_str();
            let Some(&key) = wanted.get(&(id, variant)) else {
                continue;
            };
            let message = failure
                .and_then(|f| f.message.as_deref())
                .filter(|m| !m.is_empty());
            status_of
                .entry(key)
                .or_insert_with(|| vec![None; runs.len()])[r] = Some((st, message));
        }
    }
    let recent = selection.recent_runs.min(runs.len());
    let first = runs.len() - recent;
    let timeline = selection
        .timeline
        .iter()
        .map(|key| {
            let statuses = status_of.get(&(key.0.as_str(), key.1.as_str()));
            let cells = (first..runs.len())
                .map(|r| {
                    if history_runs[r].infrastructure {
                        return CELL_INFRA;
                    }
                    match statuses.and_then(|s| s[r].as_ref()).map(|c| c.0) {
                        None => CELL_ABSENT,
                        Some(Status::Passed) => CELL_PASS,
                        Some(Status::Failed | Status::Error) => CELL_FAIL,
                        Some(Status::Flaky) => CELL_FLAKY,
                        Some(Status::Skipped) => CELL_SKIP,
                    }
                })
                .collect();
            TimelineTest {
                test_id: key.0.clone(),
                variant: key.1.clone(),
                cells,
            }
        })
        .collect();
    let verdict_runs = selection
        .evidence
        .iter()
        .map(|key| {
            let mut bad: Vec<RunStatus> = status_of
                .get(&(key.0.as_str(), key.1.as_str()))
                .map(|s| {
                    s.iter()
                        .enumerate()
                        .rev()
                        .filter(|(r, _)| !history_runs[*r].infrastructure)
                        .filter_map(|(r, cell)| {
                            let (st, message) = cell.as_ref()?;
                            matches!(st, Status::Failed | Status::Error | Status::Flaky).then(
                                || RunStatus {
                                    run: history_runs[r].run.clone(),
                                    commit: history_runs[r].commit.clone(),
                                    timestamp: history_runs[r].timestamp.clone(),
                                    status: *st,
                                    message: message.map(str::to_string),
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let more = bad.len().saturating_sub(selection.runs_per_test);
            bad.truncate(selection.runs_per_test);
            VerdictRuns {
                test_id: key.0.clone(),
                variant: key.1.clone(),
                runs: bad,
                more,
            }
        })
        .collect();
    (timeline, verdict_runs)
}

/// A sum of durations to the microsecond: the group-by adds in parallel, in an order that
/// varies, and the last bits of a float sum with it; rounded, the same store gives the same
/// report byte for byte.
fn microseconds(seconds: Option<f64>) -> f64 {
    (seconds.unwrap_or(0.0) * 1e6).round() / 1e6
}

/// Each selected suite's time per run outside infrastructure runs, to the microsecond.
fn suite_series(
    history_runs: &[HistoryRun],
    suites: &[(String, BTreeMap<usize, f64>)],
) -> Vec<SuiteSeries> {
    suites
        .iter()
        .map(|(group, per_run)| SuiteSeries {
            group: group.clone(),
            seconds: history_runs
                .iter()
                .enumerate()
                .map(|(o, run)| {
                    if run.infrastructure {
                        None
                    } else {
                        per_run.get(&o).map(|&t| microseconds(Some(t)))
                    }
                })
                .collect(),
        })
        .collect()
}

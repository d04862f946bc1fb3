//! The per-run detail the report shows beside the analyses: each selected test's status in each
//! run, each selected suite's time per run. An analysis like the others: it reads the store and
//! returns plain structs, so the report code never sees a DataFrame.

use super::window::{ORDER, RunInfo, run_order_frame};
use super::{AnalysisError, query_err};
use crate::domain::Status;
use crate::store::Store;
use crate::store::schema::*;
use polars::prelude::*;
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

/// Reads the per-run detail for `selection` over `runs` (the window, oldest first).
pub(crate) fn history(
    store: &Store,
    runs: &[RunInfo],
    selection: &Selection<'_>,
) -> Result<History, AnalysisError> {
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
    let mut ids: Vec<&str> = selection
        .timeline
        .iter()
        .chain(selection.evidence)
        .map(|(id, _)| id.as_str())
        .collect();
    // A renamed test's old ids (testsift.toml's aliases) hold the start of its history.
    let aliases = &crate::config::installed().aliases;
    let sources: Vec<&str> = ids.iter().flat_map(|id| aliases.sources(id)).collect();
    ids.extend(sources);
    ids.sort_unstable();
    ids.dedup();
    let (timeline, verdict_runs) = test_statuses(
        crate::config::alias_ids(store.executions_of_tests(&ids)?),
        runs,
        &history_runs,
        selection,
        !ids.is_empty(),
    )
    .map_err(query_err(store))?;
    let suites = suite_series(&history_runs, selection.suites);
    Ok(History {
        recent_runs: selection.recent_runs.min(runs.len()),
        runs: history_runs,
        timeline,
        verdict_runs,
        suites,
    })
}

fn test_statuses(
    executions: LazyFrame,
    runs: &[RunInfo],
    history_runs: &[HistoryRun],
    selection: &Selection<'_>,
    any_tests: bool,
) -> PolarsResult<(Vec<TimelineTest>, Vec<VerdictRuns>)> {
    // Per test: per run, the status and the failure message. `executions` holds the selected
    // tests' rows only.
    type Cell = Option<(Status, Option<String>)>;
    let mut status_of: HashMap<(String, String), Vec<Cell>> = HashMap::new();
    if any_tests && !runs.is_empty() {
        let keys = run_order_frame(runs)?;
        let df = executions
            .select([
                col(RUN),
                col(VARIANT),
                col(TEST_ID),
                col(STATUS),
                col(MESSAGE),
            ])
            .join(
                keys.lazy(),
                [col(RUN), col(VARIANT)],
                [col(RUN), col(VARIANT)],
                JoinArgs::new(JoinType::Inner),
            )
            .collect()?;
        let test_id = df.column(TEST_ID)?.str()?;
        let variant = df.column(VARIANT)?.str()?;
        let status = df.column(STATUS)?.str()?;
        let order = df.column(ORDER)?.u32()?;
        let message = df.column(MESSAGE)?.str()?;
        for i in 0..df.height() {
            let (Some(t), Some(v), Some(s), Some(o)) = (
                test_id.get(i),
                variant.get(i),
                status.get(i).and_then(Status::parse),
                order.get(i),
            ) else {
                continue;
            };
            let o = o as usize;
            if o >= runs.len() {
                continue;
            }
            status_of
                .entry((t.to_string(), v.to_string()))
                .or_insert_with(|| vec![None; runs.len()])[o] = Some((
                s,
                message.get(i).filter(|m| !m.is_empty()).map(str::to_string),
            ));
        }
    }
    let recent = selection.recent_runs.min(runs.len());
    let first = runs.len() - recent;
    let timeline = selection
        .timeline
        .iter()
        .map(|key| {
            let statuses = status_of.get(key);
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
                .get(key)
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
                                    message: message.clone(),
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
    Ok((timeline, verdict_runs))
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

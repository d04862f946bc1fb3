//! The per-test history `select` needs and the analyses do not return: every test's names and
//! `file` attribute (to map it back to a runner's id), its executed outcomes in run order, its
//! durations, and how the newest sharded run was split (its variants, or its report files).

use crate::analysis::SplitBy;
use crate::analysis::flaky::Outcome;
use crate::analysis::window::{ORDER, RunInfo, WindowSpec, run_order_frame, runs_in_window};
use crate::analysis::{AnalysisError, RunCounts, query_err};
use crate::domain::Status;
use crate::store::Store;
use crate::store::schema::*;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// One test (all variants together) over the window, infrastructure runs left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TestHistory {
    pub(crate) test_id: String,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) suite: String,
    /// The testcase `file` attribute of its newest execution that had one.
    pub(crate) file: Option<String>,
    pub(crate) variants: Vec<String>,
    /// Executed (not skipped) outcomes, oldest first.
    pub(crate) outcomes: Vec<Outcome>,
    /// Durations of executed runs that had one, in seconds.
    pub(crate) durations: Vec<f64>,
}

/// One part of the newest sharded run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Part {
    pub(crate) name: String,
    pub(crate) tests: BTreeSet<String>,
    /// Summed durations of its executions in that run, in seconds.
    pub(crate) seconds: f64,
}

/// How the newest sharded run was split.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CurrentSplit {
    pub(crate) run: String,
    pub(crate) by: SplitBy,
    pub(crate) parts: Vec<Part>,
}

/// Everything `select` reads from the store.
#[derive(Debug, Clone)]
pub(crate) struct History {
    pub(crate) runs: Vec<RunInfo>,
    /// Sorted by test id.
    pub(crate) tests: Vec<TestHistory>,
    /// The current split, or why there is none.
    pub(crate) current_split: Result<CurrentSplit, String>,
}

/// Reads the window's executions, without the runs `infra_threshold` calls infrastructure
/// failures (the analyses' rule).
pub(crate) fn history(
    store: &Store,
    window: &WindowSpec,
    variant: Option<&str>,
    infra_threshold: f64,
    split_by: SplitBy,
) -> Result<History, AnalysisError> {
    let mut runs = runs_in_window(store, window)?;
    if let Some(v) = variant {
        runs.retain(|r| r.variant == v);
    }
    let keys = run_order_frame(&runs).map_err(query_err(store))?;
    let df = crate::config::alias_ids(store.executions()?)
        .select([
            col(RUN),
            col(VARIANT),
            col(SUITE),
            col(CLASSNAME),
            col(NAME),
            col(FILE),
            col(TEST_ID),
            col(STATUS),
            col(DURATION),
            col(REPORT),
        ])
        .join(
            keys.lazy(),
            [col(RUN), col(VARIANT)],
            [col(RUN), col(VARIANT)],
            JoinArgs::new(JoinType::Inner),
        )
        .sort([TEST_ID, ORDER, VARIANT], SortMultipleOptions::default())
        .collect()
        .map_err(query_err(store))?;
    collect(&df, runs, infra_threshold, split_by).map_err(query_err(store))
}

fn collect(
    df: &DataFrame,
    runs: Vec<RunInfo>,
    infra_threshold: f64,
    split_by: SplitBy,
) -> PolarsResult<History> {
    let suite = df.column(SUITE)?.str()?;
    let classname = df.column(CLASSNAME)?.str()?;
    let name = df.column(NAME)?.str()?;
    let file = df.column(FILE)?.str()?;
    let test_id = df.column(TEST_ID)?.str()?;
    let variant = df.column(VARIANT)?.str()?;
    let status = df.column(STATUS)?.str()?;
    let duration = df.column(DURATION)?.f64()?;
    let report = df.column(REPORT)?.str()?;
    let order = df.column(ORDER)?.u32()?;
    let run_of = |i: usize| order.get(i).map_or(0, |o| o as usize);
    let infra = RunCounts::new(runs.len(), order, status).infrastructure(infra_threshold);

    // The run whose split is compared: the newest run key with several variants, or the
    // newest run (key and variant) for report files. Only its rows are kept for it.
    let split_positions: Vec<usize> = match split_by {
        SplitBy::Variant => runs
            .iter()
            .rev()
            .map(|r| r.run.as_str())
            .find(|key| runs.iter().filter(|r| r.run == *key).count() >= 2)
            .map(|key| (0..runs.len()).filter(|&p| runs[p].run == key).collect())
            .unwrap_or_default(),
        SplitBy::Report => runs.len().checked_sub(1).into_iter().collect(),
    };
    let mut parts: BTreeMap<String, (BTreeSet<String>, f64)> = BTreeMap::new();
    let mut shared = 0usize;

    let mut tests: Vec<TestHistory> = Vec::new();
    for i in 0..df.height() {
        let r = run_of(i);
        if r >= runs.len() || infra[r] {
            continue;
        }
        let id = test_id.get(i).unwrap_or_default();
        if tests.last().is_none_or(|t| t.test_id != id) {
            tests.push(TestHistory {
                test_id: id.to_string(),
                ..Default::default()
            });
        }
        let Some(t) = tests.last_mut() else { continue };
        t.classname = classname.get(i).unwrap_or_default().to_string();
        t.name = name.get(i).unwrap_or_default().to_string();
        t.suite = suite.get(i).unwrap_or_default().to_string();
        if let Some(f) = file.get(i).filter(|f| !f.is_empty()) {
            t.file = Some(f.to_string());
        }
        let v = variant.get(i).unwrap_or_default();
        if !t.variants.iter().any(|x| x == v) {
            t.variants.push(v.to_string());
        }
        let outcome = match status.get(i).and_then(Status::parse) {
            Some(Status::Passed) => Outcome::Pass,
            Some(Status::Failed | Status::Error) => Outcome::Fail,
            Some(Status::Flaky) => Outcome::Retry,
            Some(Status::Skipped) | None => continue,
        };
        t.outcomes.push(outcome);
        let seconds = duration.get(i);
        if let Some(d) = seconds {
            t.durations.push(d);
        }
        if split_positions.contains(&r) {
            let key = match split_by {
                SplitBy::Variant => v,
                SplitBy::Report => report.get(i).unwrap_or_default(),
            };
            let in_other = parts.iter().any(|(k, p)| k != key && p.0.contains(id));
            shared += usize::from(in_other);
            let part = parts.entry(key.to_string()).or_default();
            part.0.insert(id.to_string());
            part.1 += seconds.unwrap_or(0.0);
        }
    }
    for t in &mut tests {
        t.variants.sort();
    }

    let run = split_positions
        .first()
        .map(|&p| runs[p].run.clone())
        .unwrap_or_default();
    let what = match split_by {
        SplitBy::Variant => "variants",
        SplitBy::Report => "report files",
    };
    let current_split = if split_positions.is_empty() || parts.len() < 2 {
        Err(match split_by {
            SplitBy::Variant => "no run in the window has several variants".to_string(),
            SplitBy::Report => format!("the newest run, {run:?}, has fewer than two report files"),
        })
    } else if shared > 0 {
        Err(format!(
            "the {what} of run {run:?} share {shared} tests: they are platforms, not shards"
        ))
    } else {
        Ok(CurrentSplit {
            run,
            by: split_by,
            parts: parts
                .into_iter()
                .map(|(name, (tests, seconds))| Part {
                    name,
                    tests,
                    seconds,
                })
                .collect(),
        })
    };
    Ok(History {
        runs,
        tests,
        current_split,
    })
}

//! The per-test history `select` needs and the analyses do not return: every test's names and
//! `file` attribute (to map it back to a runner's id), its executed outcomes in run order, its
//! durations, and how the newest multi-part run was split (variants or report files).

use crate::analysis::flaky::Outcome;
use crate::analysis::window::{ORDER, RunInfo, WindowArgs, run_order_frame, runs_in_window};
use crate::analysis::{AnalysisError, RunCounts, query_err};
use crate::store::Store;
use crate::store::schema::*;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// One test (all variants together) over the window, infrastructure runs left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestHistory {
    pub test_id: String,
    pub classname: String,
    pub name: String,
    pub suite: String,
    /// The testcase `file` attribute of its newest execution that had one.
    pub file: Option<String>,
    pub variants: Vec<String>,
    /// Executed (not skipped) outcomes, oldest first.
    pub outcomes: Vec<Outcome>,
    /// Durations of executed runs that had one, in seconds.
    pub durations: Vec<f64>,
}

/// One part of the newest run that was split into several (variants, else report files).
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub name: String,
    pub tests: BTreeSet<String>,
    /// Summed durations of its executions in that run, in seconds.
    pub seconds: f64,
}

/// How the newest multi-part run was split.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentSplit {
    pub run: String,
    /// `variant` or `report`.
    pub by: &'static str,
    pub parts: Vec<Part>,
}

/// Everything `select` reads from the store.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub runs: Vec<RunInfo>,
    /// Sorted by test id.
    pub tests: Vec<TestHistory>,
    pub current_split: Option<CurrentSplit>,
}

/// Reads the window's executions, without the runs `infra_threshold` calls infrastructure
/// failures (the analyses' rule).
pub fn history(
    store: &Store,
    window: &WindowArgs,
    variant: Option<&str>,
    infra_threshold: f64,
) -> Result<History, AnalysisError> {
    let mut runs = runs_in_window(store, window)?;
    if let Some(v) = variant {
        runs.retain(|r| r.variant == v);
    }
    let keys = run_order_frame(&runs).map_err(query_err(store))?;
    let df = store
        .executions()?
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
    collect(&df, runs, infra_threshold).map_err(query_err(store))
}

fn collect(df: &DataFrame, runs: Vec<RunInfo>, infra_threshold: f64) -> PolarsResult<History> {
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

    let mut tests: Vec<TestHistory> = Vec::new();
    // Per run position: part name -> (tests, seconds), by variant and by report.
    type Parts = BTreeMap<String, (BTreeSet<String>, f64)>;
    let mut by_variant: Vec<Parts> = vec![Parts::new(); runs.len()];
    let mut by_report: Vec<Parts> = vec![Parts::new(); runs.len()];
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
        let outcome = match status.get(i).unwrap_or_default() {
            "passed" => Outcome::Pass,
            "failed" | "error" => Outcome::Fail,
            "flaky" => Outcome::Retry,
            _ => continue,
        };
        t.outcomes.push(outcome);
        let seconds = duration.get(i);
        if let Some(d) = seconds {
            t.durations.push(d);
        }
        for (parts, key) in [
            (&mut by_variant, v),
            (&mut by_report, report.get(i).unwrap_or_default()),
        ] {
            let part = parts[r].entry(key.to_string()).or_default();
            part.0.insert(id.to_string());
            part.1 += seconds.unwrap_or(0.0);
        }
    }
    for t in &mut tests {
        t.variants.sort();
    }

    // The newest run key whose variants (else report files) split its tests into several
    // disjoint parts. Variants that share tests are platforms, not shards.
    let mut current_split = None;
    let mut keys: Vec<&str> = runs.iter().map(|r| r.run.as_str()).collect();
    keys.dedup();
    'keys: for key in keys.iter().rev() {
        let positions: Vec<usize> = (0..runs.len()).filter(|&r| runs[r].run == *key).collect();
        let mut variant_parts = Parts::new();
        for &r in &positions {
            for (k, v) in &by_variant[r] {
                let e = variant_parts.entry(k.clone()).or_default();
                e.0.extend(v.0.iter().cloned());
                e.1 += v.1;
            }
        }
        let mut report_parts = Parts::new();
        if positions.len() == 1 {
            report_parts = by_report[positions[0]].clone();
        }
        for (by, parts) in [("variant", variant_parts), ("report", report_parts)] {
            if parts.len() >= 2 && disjoint(&parts) {
                current_split = Some(CurrentSplit {
                    run: key.to_string(),
                    by,
                    parts: parts
                        .into_iter()
                        .map(|(name, (tests, seconds))| Part {
                            name,
                            tests,
                            seconds,
                        })
                        .collect(),
                });
                break 'keys;
            }
        }
    }
    Ok(History {
        runs,
        tests,
        current_split,
    })
}

fn disjoint(parts: &BTreeMap<String, (BTreeSet<String>, f64)>) -> bool {
    let total: usize = parts.values().map(|p| p.0.len()).sum();
    let union: BTreeSet<&String> = parts.values().flat_map(|p| p.0.iter()).collect();
    total == union.len()
}

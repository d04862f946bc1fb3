//! The per-test history `select` needs and the analyses do not return: every test's names and
//! `file` attribute (to map it back to a runner's id), its executed outcomes in run order, its
//! durations, and how the newest sharded run was split (its variants, or its report files).

use crate::analysis::flaky::Outcome;
use crate::analysis::window::{RunInfo, Window};
use crate::analysis::{RunCounts, SplitBy};
use crate::domain::Status;
use rustc_hash::FxHashMap;
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
    /// The window position of its newest executed (not skipped) run.
    pub(crate) last_executed: Option<usize>,
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

/// The window's executions per test, without the runs `infra_threshold` calls
/// infrastructure failures (the analyses' rule); with `variant`, that variant's runs only.
pub(crate) fn history(
    window: &Window,
    variant: Option<&str>,
    infra_threshold: f64,
    split_by: SplitBy,
) -> History {
    // Window position -> position among the kept runs.
    let mut kept: Vec<Option<u32>> = Vec::with_capacity(window.runs.len());
    let mut runs: Vec<RunInfo> = Vec::new();
    for r in &window.runs {
        if variant.is_none_or(|v| r.variant == v) {
            kept.push(Some(
                u32::try_from(runs.len()).expect("fewer than 2^32 runs"),
            ));
            runs.push(r.clone());
        } else {
            kept.push(None);
        }
    }

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
    let in_split: Vec<bool> = (0..runs.len())
        .map(|p| split_positions.contains(&p))
        .collect();

    let mut counts = RunCounts {
        executed: vec![0; runs.len()],
        failed: vec![0; runs.len()],
    };
    // Per test index: its rows (indices into the window's), in stored order.
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); window.tests.len()];
    // (test index, kept position) -> report index, for the rows of the split's runs.
    let mut split_reports: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    let stored = &window.rows;
    for i in 0..stored.len() {
        let Some(order) = kept[stored.run[i] as usize] else {
            continue;
        };
        let Some(status) = stored.status[i] else {
            continue;
        };
        let t = window.test_of_row(i);
        let r = order as usize;
        if status != Status::Skipped {
            counts.executed[r] += 1;
            counts.failed[r] += usize::from(status.is_failure());
        }
        if in_split[r] {
            split_reports.insert((t, order), stored.report[i]);
        }
        rows[t as usize].push(u32::try_from(i).expect("fewer than 2^32 executions"));
    }
    let infra = counts.infrastructure(infra_threshold);

    // Tests in test id order, each one's rows in window order (then as stored).
    let mut by_id: Vec<usize> = (0..window.tests.len()).collect();
    by_id.sort_by(|&a, &b| window.tests[a].test_id.cmp(&window.tests[b].test_id));
    let mut parts: BTreeMap<String, (BTreeSet<String>, f64)> = BTreeMap::new();
    let mut shared = 0usize;
    let mut tests: Vec<TestHistory> = Vec::new();
    for t in by_id {
        let list = &mut rows[t];
        let order = |i: u32| kept[stored.run[i as usize] as usize].unwrap_or(u32::MAX);
        list.sort_by_key(|&i| order(i));
        let id = window.tests[t].test_id.as_str();
        let mut test: Option<TestHistory> = None;
        // The names of its newest execution, and the `file` of its newest that had one.
        let (mut names, mut file) = (None, None);
        for &i in list.iter() {
            let i = i as usize;
            let order = order(i as u32);
            let r = order as usize;
            if r >= runs.len() || infra[r] {
                continue;
            }
            let h = test.get_or_insert_with(|| TestHistory {
                test_id: id.to_string(),
                ..Default::default()
            });
            let key = &window.keys[stored.key[i] as usize];
            names = Some(key);
            if !key.file.is_empty() {
                file = Some(key.file.as_str());
            }
            let v = runs[r].variant.as_str();
            if !h.variants.iter().any(|x| x == v) {
                h.variants.push(v.to_string());
            }
            let Some(status) = stored.status[i] else {
                continue;
            };
            let outcome = match status {
                Status::Passed => Outcome::Pass,
                Status::Failed | Status::Error => Outcome::Fail,
                Status::Flaky => Outcome::Retry,
                Status::Skipped => continue,
            };
            h.outcomes.push(outcome);
            h.last_executed = Some(r);
            let seconds = stored.duration(i);
            if let Some(d) = seconds {
                h.durations.push(d);
            }
            if in_split[r] {
                let key = match split_by {
                    SplitBy::Variant => v,
                    SplitBy::Report => split_reports
                        .get(&(t as u32, order))
                        .map_or("", |&k| window.reports[k as usize].path.as_str()),
                };
                let in_other = parts.iter().any(|(k, p)| k != key && p.0.contains(id));
                shared += usize::from(in_other);
                let part = parts.entry(key.to_string()).or_default();
                part.0.insert(id.to_string());
                part.1 += seconds.unwrap_or(0.0);
            }
        }
        if let (Some(h), Some(names)) = (&mut test, names) {
            h.classname.clone_from(&names.classname);
            h.name.clone_from(&names.name);
            h.suite.clone_from(&names.suite);
            h.file = file.map(str::to_string);
        }
        if let Some(mut h) = test {
            h.variants.sort();
            tests.push(h);
        }
    }
    drop(rows);

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
    History {
        runs,
        tests,
        current_split,
    }
}

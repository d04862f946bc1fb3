//! Per run: summed test time, the failed-attempt time of flaky executions, same-commit
//! re-runs, and the run's shards (critical path and imbalance). Input is one row per run and
//! report file, summed by a Polars group-by; everything here is per run, not per execution.
//! Formulas: docs/analysis.md.

use super::super::window::RunInfo;
use super::{RunShards, ShardSummary, ShardTime, median};
use std::collections::{BTreeMap, HashSet};

/// Per run of the window (by position).
#[derive(Debug, Default)]
pub(super) struct RunTimes {
    /// Summed `duration` of all executions.
    pub(crate) seconds: Vec<f64>,
    /// Summed `duration − duration_last` of the executions whose status is `flaky`.
    pub(crate) flaky_retry: Vec<f64>,
    /// Summed `duration` per report folder (the report path up to its last separator).
    pub(crate) folders: Vec<BTreeMap<String, f64>>,
}

impl RunTimes {
    pub(super) fn new(n_runs: usize) -> RunTimes {
        RunTimes {
            seconds: vec![0.0; n_runs],
            flaky_retry: vec![0.0; n_runs],
            folders: vec![BTreeMap::new(); n_runs],
        }
    }

    /// Adds one report file's totals to run `r`.
    pub(super) fn add(&mut self, r: usize, report: &str, seconds: f64, flaky_retry: f64) {
        if r >= self.seconds.len() {
            return;
        }
        self.seconds[r] += seconds;
        self.flaky_retry[r] += flaky_retry;
        *self.folders[r]
            .entry(folder(report).to_string())
            .or_default() += seconds;
    }
}

/// The folder part of a report path (`/` or `\`, so `a.zip!/shard-1/x.xml` gives
/// `a.zip!/shard-1`); empty for a bare file name.
fn folder(report: &str) -> &str {
    report.rfind(['/', '\\']).map_or("", |i| &report[..i])
}

/// Which runs are same-commit re-runs: an earlier run of the window has the same variant and
/// the same (known) commit.
pub(super) fn reruns(runs: &[RunInfo]) -> Vec<bool> {
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    runs.iter()
        .map(|r| match &r.commit {
            Some(c) => !seen.insert((r.variant.as_str(), c.as_str())),
            None => false,
        })
        .collect()
}

/// The path components the folders have in common, from the start.
fn common_prefix(folders: &[Vec<&str>]) -> usize {
    let Some(first) = folders.first() else {
        return 0;
    };
    (0..first.len())
        .take_while(|&i| folders.iter().all(|f| f.get(i) == first.get(i)))
        .count()
}

/// One entry per run key of the window (oldest first), over its runs (variants) that are not
/// infrastructure failures. A shard is one report folder of one variant; its time is the
/// summed duration of the executions whose report lies in it.
pub(super) fn run_shards(runs: &[RunInfo], infra: &[bool], times: &RunTimes) -> Vec<RunShards> {
    // Run key -> positions of its variants, in window order of the key's first variant.
    let mut keys: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (r, run) in runs.iter().enumerate() {
        if infra.get(r).copied().unwrap_or(false) {
            continue;
        }
        let k = *index.entry(run.run.as_str()).or_insert_with(|| {
            keys.push((run.run.as_str(), Vec::new()));
            keys.len() - 1
        });
        keys[k].1.push(r);
    }
    keys.into_iter()
        .map(|(key, positions)| {
            let many_variants = positions.len() > 1;
            let mut shards = Vec::new();
            for &r in &positions {
                let variant = runs[r].variant.as_str();
                let Some(folders) = times.folders.get(r) else {
                    continue;
                };
                let parts: Vec<Vec<&str>> = folders
                    .keys()
                    .map(|f| f.split(['/', '\\']).collect())
                    .collect();
                let common = common_prefix(&parts);
                for (p, &seconds) in parts.iter().zip(folders.values()) {
                    let rel = p[common.min(p.len())..].join("/");
                    let label = match (many_variants || rel.is_empty(), rel.is_empty()) {
                        (true, true) => variant.to_string(),
                        (true, false) if !variant.is_empty() => format!("{variant}/{rel}"),
                        _ => rel,
                    };
                    let shard = if label.is_empty() { ".".into() } else { label };
                    shards.push(ShardTime { shard, seconds });
                }
            }
            shards.sort_by(|a, b| a.shard.cmp(&b.shard));
            shard_figures(key, &runs[positions[0]], positions.len(), shards)
        })
        .collect()
}

fn shard_figures(key: &str, first: &RunInfo, variants: usize, shards: Vec<ShardTime>) -> RunShards {
    let summed = total(shards.iter().map(|s| s.seconds));
    // The first of the slowest, in label order.
    let slowest = shards
        .iter()
        .reduce(|a, b| if b.seconds > a.seconds { b } else { a });
    let critical = slowest.map_or(0.0, |s| s.seconds);
    let mean = if shards.is_empty() {
        0.0
    } else {
        summed / shards.len() as f64
    };
    RunShards {
        run: key.to_string(),
        timestamp: first.timestamp(),
        commit: first.commit.clone(),
        variants,
        slowest_shard: slowest.map(|s| s.shard.clone()).unwrap_or_default(),
        summed_seconds: summed,
        critical_path_seconds: critical,
        mean_shard_seconds: mean,
        imbalance: if mean > 0.0 {
            critical / mean - 1.0
        } else {
            0.0
        },
        excess_seconds: critical - mean,
        shards,
    }
}

/// A sum that is 0, not −0, when empty (`Iterator::sum` of no `f64` gives −0.0).
fn total(xs: impl Iterator<Item = f64>) -> f64 {
    xs.fold(0.0, |a, b| a + b)
}

/// The overall figures, over the runs with at least two shards.
pub(super) fn shard_summary(runs: &[RunShards]) -> ShardSummary {
    let sharded: Vec<&RunShards> = runs.iter().filter(|r| r.shards.len() > 1).collect();
    let critical = total(sharded.iter().map(|r| r.critical_path_seconds));
    let mean = total(sharded.iter().map(|r| r.mean_shard_seconds));
    let imbalances: Vec<f64> = sharded.iter().map(|r| r.imbalance).collect();
    ShardSummary {
        sharded_runs: sharded.len(),
        summed_seconds: total(sharded.iter().map(|r| r.summed_seconds)),
        critical_path_seconds: critical,
        excess_seconds: critical - mean,
        imbalance: (mean > 0.0).then(|| critical / mean - 1.0),
        median_imbalance: median(&imbalances),
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::window::runs_on_commits;
    use super::*;

    #[test]
    fn folders_of_reports() {
        assert_eq!(folder("ci/run-1/shard-2/TEST-a.xml"), "ci/run-1/shard-2");
        assert_eq!(folder("run-1.zip!/shard-1/a.xml"), "run-1.zip!/shard-1");
        assert_eq!(folder("c:\\ci\\a.xml"), "c:\\ci");
        assert_eq!(folder("a.xml"), "");
    }

    #[test]
    fn a_rerun_is_a_later_run_on_a_seen_commit_and_variant() {
        let mut runs = runs_on_commits("abab");
        runs[3].variant = "windows".into();
        runs[1].commit = None;
        // a, (none), a again, b on another variant.
        assert_eq!(reruns(&runs), [false, false, true, false]);
    }

    #[test]
    fn shards_are_folders_and_variants() {
        let mut runs = runs_on_commits("aab");
        // Run r1 is a second variant of run r0's key.
        runs[1].run = "r0".into();
        runs[1].variant = "windows".into();
        runs[0].variant = "linux".into();
        let mut times = RunTimes::new(3);
        times.add(0, "ci/r0/shard-1/TEST-a.xml", 4.0, 0.0);
        times.add(0, "ci/r0/shard-1/TEST-b.xml", 2.0, 0.0);
        times.add(0, "ci/r0/shard-2/TEST-c.xml", 3.0, 1.0);
        times.add(1, "ci/r0-win/TEST-c.xml", 3.0, 0.0);
        times.add(2, "ci/r2/TEST-a.xml", 5.0, 0.0);
        assert_eq!(times.seconds, [9.0, 3.0, 5.0]);
        assert_eq!(times.flaky_retry, [1.0, 0.0, 0.0]);

        let out = run_shards(&runs, &[false; 3], &times);
        assert_eq!(out.len(), 2);
        let labels: Vec<&str> = out[0].shards.iter().map(|s| s.shard.as_str()).collect();
        assert_eq!(labels, ["linux/shard-1", "linux/shard-2", "windows"]);
        assert_eq!(out[0].variants, 2);
        assert_eq!(out[0].summed_seconds, 12.0);
        assert_eq!(out[0].critical_path_seconds, 6.0);
        assert_eq!(out[0].slowest_shard, "linux/shard-1");
        assert_eq!(out[0].mean_shard_seconds, 4.0);
        assert_eq!(out[0].imbalance, 0.5);
        assert_eq!(out[0].excess_seconds, 2.0);
        // One folder, no variant: one shard, balanced by definition.
        assert_eq!(out[1].shards.len(), 1);
        assert_eq!(out[1].shards[0].shard, ".");
        assert_eq!(out[1].imbalance, 0.0);

        let s = shard_summary(&out);
        assert_eq!(s.sharded_runs, 1);
        assert_eq!(s.imbalance, Some(0.5));
        assert_eq!(s.median_imbalance, Some(0.5));

        // Leaving r0 out as an infrastructure failure leaves its key with the windows variant.
        let out = run_shards(&runs, &[true, false, false], &times);
        assert_eq!(out[0].shards.len(), 1);
        assert_eq!(out[0].shards[0].shard, "windows");
        let s = shard_summary(&out);
        assert_eq!(s.imbalance, None);
        assert!(
            s.summed_seconds.is_sign_positive(),
            "0, not -0, in the JSON"
        );
    }
}

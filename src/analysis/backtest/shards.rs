//! `testsift backtest shards`: the shard split replayed. Runs are grouped into pipelines by run
//! key (the variants of one key are its shards). Before each pipeline after the training span,
//! its tests are split into K shards the way `select shards` splits them (longest predicted
//! time first, each to the shard with the least predicted time), predicting each test's time
//! by its mean over the runs before; the pipeline's actual durations then give each shard's
//! real time. K is the pipeline's own number of shards when it had several, else `--shards`.
//! Compared with the split the history used, where there is one: its variants, or with
//! `--current-split report` its report files (shards that each write a report in one job).

use super::{BacktestOptions, SCHEMA_VERSION, steps_by_run};
use crate::analysis::load::Series;
use crate::analysis::window::RunInfo;
use crate::analysis::{RunCounts, SplitBy};
use serde::Serialize;
use std::collections::HashMap;

/// The shard split's replay.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ShardsBacktest {
    pub(crate) schema_version: u32,
    /// Pipelines (run keys) in the window, and the first `train_runs` of them only trained.
    pub(crate) pipelines: usize,
    pub(crate) train_runs: usize,
    pub(crate) pipelines_replayed: usize,
    /// Shards of the replayed pipelines that had one variant (`--shards`).
    pub(crate) default_shards: usize,
    /// Means over the replayed pipelines, testsift's split: the longest shard's time (the
    /// pipeline's wall time on K machines), the longest over the mean shard time, and
    /// Σ |predicted − actual| shard time over Σ actual.
    pub(crate) mean_critical_path_seconds: f64,
    pub(crate) mean_imbalance: f64,
    pub(crate) mean_prediction_error: f64,
    /// Replayed pipelines that had several shards, and the same figures for the split they
    /// used (None when no pipeline had one) and for testsift's on those pipelines only.
    pub(crate) sharded_pipelines: usize,
    pub(crate) history_mean_critical_path_seconds: Option<f64>,
    pub(crate) history_mean_imbalance: Option<f64>,
    pub(crate) testsift_mean_critical_path_seconds_on_sharded: Option<f64>,
    pub(crate) testsift_mean_imbalance_on_sharded: Option<f64>,
}

/// Replays the window's pipelines; `series` and `counts` as `load` gives them. With
/// `SplitBy::Report`, `reports` gives each stored row's report key, and a pipeline's own shards
/// are its report files (of each variant) rather than its variants.
pub(crate) fn replay(
    runs: &[RunInfo],
    series: &[Series],
    counts: &RunCounts,
    reports: &[u32],
    options: &BacktestOptions,
) -> ShardsBacktest {
    let infra = counts.infrastructure(options.infra_threshold);
    let by_run = steps_by_run(runs, series);
    // Pipelines in the order of their first run: the window positions of their runs.
    let mut order: Vec<Vec<usize>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (r, run) in runs.iter().enumerate() {
        if infra.get(r).copied().unwrap_or(false) || by_run[r].is_empty() {
            continue;
        }
        let k = *index.entry(run.run.as_str()).or_insert_with(|| {
            order.push(Vec::new());
            order.len() - 1
        });
        order[k].push(r);
    }
    let mut means: Vec<(u32, f64)> = vec![(0, 0.0); series.len()];
    let (mut known, mut known_sum) = (0usize, 0.0f64);
    let mut result = ShardsBacktest {
        schema_version: SCHEMA_VERSION,
        pipelines: order.len(),
        train_runs: options.train_runs.min(order.len()),
        pipelines_replayed: 0,
        default_shards: options.shards.max(1),
        mean_critical_path_seconds: 0.0,
        mean_imbalance: 0.0,
        mean_prediction_error: 0.0,
        sharded_pipelines: 0,
        history_mean_critical_path_seconds: None,
        history_mean_imbalance: None,
        testsift_mean_critical_path_seconds_on_sharded: None,
        testsift_mean_imbalance_on_sharded: None,
    };
    let (mut path, mut imbalance, mut error) = (0.0, 0.0, 0.0);
    let (mut h_path, mut h_imbalance, mut t_path, mut t_imbalance) = (0.0, 0.0, 0.0, 0.0);
    for (p, members) in order.iter().enumerate() {
        // (series, actual seconds, the shard the history ran it in): the variant, or the
        // variant's report file.
        let mut shard_of: HashMap<(usize, u32), usize> = HashMap::new();
        let mut tests: Vec<(u32, f64, usize)> = Vec::new();
        for (member, &r) in members.iter().enumerate() {
            for s in &by_run[r] {
                let part = match options.split_by {
                    SplitBy::Variant => 0,
                    SplitBy::Report => reports.get(s.row as usize).copied().unwrap_or_default(),
                };
                let next = shard_of.len();
                let shard = *shard_of.entry((member, part)).or_insert(next);
                tests.push((s.series, s.seconds, shard));
            }
        }
        let own_shards = shard_of.len();
        if p >= options.train_runs {
            let k = if own_shards > 1 {
                own_shards
            } else {
                options.shards.max(1)
            };
            let fallback = if known > 0 {
                known_sum / known as f64
            } else {
                1.0
            };
            let predict = |series: u32| match means[series as usize] {
                (0, _) => fallback,
                (_, mean) => mean,
            };
            let mut items: Vec<(f64, u32, f64)> = tests
                .iter()
                .map(|&(series, actual, _)| (predict(series), series, actual))
                .collect();
            items.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let (mut predicted, mut actual) = (vec![0.0f64; k], vec![0.0f64; k]);
            for (guess, _, real) in items {
                let slot = predicted
                    .iter()
                    .enumerate()
                    .min_by(|a, b| a.1.total_cmp(b.1).then(a.0.cmp(&b.0)))
                    .map_or(0, |(slot, _)| slot);
                predicted[slot] += guess;
                actual[slot] += real;
            }
            let (longest, ratio) = spread(&actual);
            let total: f64 = actual.iter().sum();
            let off: f64 = predicted
                .iter()
                .zip(&actual)
                .map(|(p, a)| (p - a).abs())
                .sum();
            result.pipelines_replayed += 1;
            path += longest;
            imbalance += ratio;
            error += if total > 0.0 { off / total } else { 0.0 };
            if own_shards > 1 {
                let mut used = vec![0.0; own_shards];
                for &(_, seconds, shard) in &tests {
                    used[shard] += seconds;
                }
                let (h_longest, h_ratio) = spread(&used);
                result.sharded_pipelines += 1;
                h_path += h_longest;
                h_imbalance += h_ratio;
                t_path += longest;
                t_imbalance += ratio;
            }
        }
        for &(series, seconds, _) in &tests {
            let m = &mut means[series as usize];
            if m.0 == 0 {
                known += 1;
            }
            known_sum -= m.1;
            m.0 += 1;
            m.1 += (seconds - m.1) / f64::from(m.0);
            known_sum += m.1;
        }
    }
    let n = result.pipelines_replayed.max(1) as f64;
    result.mean_critical_path_seconds = path / n;
    result.mean_imbalance = imbalance / n;
    result.mean_prediction_error = error / n;
    if result.sharded_pipelines > 0 {
        let s = result.sharded_pipelines as f64;
        result.history_mean_critical_path_seconds = Some(h_path / s);
        result.history_mean_imbalance = Some(h_imbalance / s);
        result.testsift_mean_critical_path_seconds_on_sharded = Some(t_path / s);
        result.testsift_mean_imbalance_on_sharded = Some(t_imbalance / s);
    }
    result
}

/// The longest shard's time, and it over the mean shard time (1 when all are empty).
fn spread(shards: &[f64]) -> (f64, f64) {
    let longest = shards.iter().copied().fold(0.0, f64::max);
    let mean = shards.iter().sum::<f64>() / shards.len().max(1) as f64;
    (longest, if mean > 0.0 { longest / mean } else { 1.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_the_longest_over_the_mean() {
        assert_eq!(spread(&[3.0, 1.0]), (3.0, 1.5));
        assert_eq!(spread(&[0.0, 0.0]), (0.0, 1.0));
    }
}

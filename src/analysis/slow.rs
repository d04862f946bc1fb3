//! `slow`: where the CI time goes. Per group (suite, class, file or family): total time, share,
//! median and p95 of per-run time, Theil–Sen trend and the last-7-days change; per test:
//! median, p95, max and coefficient of variation of its duration, and duration regressions
//! (`regression`); per day: the CI load with its waste; per run: shards, critical path and
//! imbalance (`runs`). Formulas: docs/analysis.md.
//!
//! One pass over the window's executions sums per run and report file (time, flaky retry time,
//! counts), per group and run (time), and per test (its durations in run order); the
//! statistics then run over those sums.

mod regression;
mod runs;

use super::window::{RunInfo, Window, WindowSpec};
use super::{AnalysisError, RunCounts};
use crate::domain::Status;
use crate::store::Store;
use rayon::iter::{IntoParallelRefIterator, ParallelIterator};
use regression::StepRule;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the JSON output; bumped when a field changes meaning or disappears.
pub(crate) const SCHEMA_VERSION: u32 = 1;
/// Length of each of the two periods the week-over-week change compares.
const PERIOD_MS: i64 = 7 * 86_400_000;
/// Group name for executions that lack the grouping attribute (a `file` when grouping by file).
pub(crate) const UNKNOWN_GROUP: &str = "(none)";

/// What the time is summed over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupBy {
    /// The innermost `<testsuite name>`.
    #[default]
    Suite,
    /// The testcase `classname`.
    Class,
    /// The testcase `file` attribute.
    File,
    /// The test id with parameters stripped.
    Family,
}

crate::choice::choices!(GroupBy {
    Suite => "suite": "The innermost `<testsuite name>`",
    Class => "class": "The testcase `classname`",
    File => "file": "The testcase `file` attribute",
    Family => "family": "The test id with parameters stripped",
});

/// Settings of the analysis.
#[derive(Debug, Clone, Serialize)]
pub struct SlowOptions {
    pub by: GroupBy,
    /// A group is `getting_slower` when its last-7-days change is at least this share (0.2 = 20%).
    pub slower_threshold: f64,
    /// A run where more than this share of executed tests fail is an infrastructure failure
    /// and left out of the duration statistics.
    pub infra_threshold: f64,
    /// A duration regression needs at least this many runs before and after the step, and the
    /// last this many runs still slow.
    pub regression_min_runs: usize,
    /// A duration regression is a step of at least this share (0.2 = +20%)…
    pub regression_min_step: f64,
    /// …and at least this many seconds (always enough)…
    pub regression_min_seconds: f64,
    /// …or this share of the median run's test time when that is less, so a step of 100 ms
    /// counts in a 2-second suite; None: `regression_min_seconds` alone (given explicitly).
    pub regression_min_share: Option<f64>,
}

impl Default for SlowOptions {
    fn default() -> Self {
        SlowOptions {
            by: GroupBy::Suite,
            slower_threshold: 0.2,
            infra_threshold: super::INFRA_THRESHOLD,
            regression_min_runs: 5,
            regression_min_step: 0.2,
            regression_min_seconds: 0.5,
            regression_min_share: Some(0.02),
        }
    }
}

/// The whole result of `testsift slow`.
#[derive(Debug, Clone, Serialize)]
pub struct SlowReport {
    pub(crate) schema_version: u32,
    pub(crate) options: SlowOptions,
    pub(crate) summary: Summary,
    /// By total time, descending.
    pub(crate) groups: Vec<GroupTime>,
    /// By median duration, descending.
    pub(crate) tests: Vec<TestTime>,
    /// Oldest day first.
    pub(crate) days: Vec<DayLoad>,
    /// Tests whose median duration stepped up and stayed up; largest step (seconds) first.
    pub(crate) regressions: Vec<Regression>,
    /// Per run key (its variants together), oldest first: shards, critical path, imbalance.
    pub(crate) run_shards: Vec<RunShards>,
    /// The shard figures over all runs with at least two shards.
    pub(crate) sharding: ShardSummary,
    /// For the report: the first groups' time per run (window position), infrastructure runs
    /// included, as [`slow_keeping_runs`] was asked; not part of the JSON.
    #[serde(skip)]
    pub(crate) group_runs: Vec<(String, BTreeMap<usize, f64>)>,
}

/// Headline figures over the window.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Summary {
    /// Runs (run key and variant) in the window.
    pub(crate) runs: usize,
    pub(crate) first_run: Option<String>,
    pub(crate) last_run: Option<String>,
    /// Runs left out of the group and test statistics as infrastructure failures.
    pub(crate) infrastructure_runs: usize,
    /// Summed test time of the runs that are not infrastructure failures, in seconds.
    pub(crate) total_seconds: f64,
    /// Extra attempts within runs, `Σ (attempts − 1)`, over every run of the window.
    pub(crate) retries: u64,
    /// Same-commit re-runs: runs whose commit and variant an earlier run of the window had.
    pub(crate) reruns: usize,
    /// Failed-attempt time of flaky executions (outside re-runs), in seconds.
    pub(crate) flaky_retry_seconds: f64,
    /// Summed test time of the same-commit re-runs, in seconds.
    pub(crate) rerun_seconds: f64,
    /// flaky_retry_seconds + rerun_seconds.
    pub(crate) waste_seconds: f64,
    /// The smallest step, in seconds, a duration regression needed in this window.
    pub(crate) regression_floor_seconds: f64,
}

/// One group's time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GroupTime {
    pub(crate) group: String,
    /// Runs in which the group had at least one execution.
    pub(crate) runs: usize,
    pub(crate) total_seconds: f64,
    /// total_seconds over the total of all groups.
    pub(crate) share: f64,
    /// Median of the group's per-run time (the sum of its executions' durations in a run).
    pub(crate) median_seconds: f64,
    /// p95 (nearest rank) of the per-run time.
    pub(crate) p95_seconds: f64,
    /// Theil–Sen slope of per-run time over the run's position in the window, seconds per run.
    pub(crate) slope_seconds_per_run: Option<f64>,
    /// Median per-run time in the last 7 days before the newest run.
    pub(crate) recent_median_seconds: Option<f64>,
    /// Median per-run time in the 7 days before those.
    pub(crate) prior_median_seconds: Option<f64>,
    /// recent / prior − 1.
    pub(crate) change: Option<f64>,
    pub(crate) getting_slower: bool,
}

/// One test and variant's durations over its executed (not skipped) runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TestTime {
    pub(crate) test_id: String,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) variant: String,
    /// Executions with a known duration.
    pub(crate) runs: usize,
    pub(crate) total_seconds: f64,
    pub(crate) median_seconds: f64,
    pub(crate) p95_seconds: f64,
    pub(crate) max_seconds: f64,
    /// Sample standard deviation over the mean; none with fewer than 2 runs or a zero mean.
    pub(crate) cv: Option<f64>,
}

/// The CI load of one UTC day (every run of the day, infrastructure failures included).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct DayLoad {
    /// `YYYY-MM-DD`, UTC.
    pub(crate) day: String,
    pub(crate) runs: usize,
    /// Executions that ran (not skipped).
    pub(crate) executions: usize,
    /// Summed durations of all executions, in hours.
    pub(crate) test_hours: f64,
    /// Sum of (attempts − 1): extra attempts spent on retries within runs.
    pub(crate) retries: u64,
    /// Same-commit re-runs among the day's runs.
    pub(crate) reruns: usize,
    /// Failed-attempt time of flaky executions outside re-runs, in hours.
    pub(crate) flaky_retry_hours: f64,
    /// Summed test time of the day's same-commit re-runs, in hours.
    pub(crate) rerun_hours: f64,
    /// flaky_retry_hours + rerun_hours.
    pub(crate) waste_hours: f64,
}

/// A step up in one test's (and variant's) duration that persisted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Regression {
    pub(crate) test_id: String,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) variant: String,
    /// The first run of the slower segment: its run key, commit and timestamp.
    pub(crate) run: String,
    pub(crate) commit: Option<String>,
    pub(crate) timestamp: String,
    /// Executions before and from the step (those the per-test figures use).
    pub(crate) runs_before: usize,
    pub(crate) runs_after: usize,
    pub(crate) median_before_seconds: f64,
    pub(crate) median_after_seconds: f64,
    /// Median of the last `regression_min_runs` executions.
    pub(crate) recent_median_seconds: f64,
    /// median_after − median_before.
    pub(crate) step_seconds: f64,
    /// median_after / median_before − 1.
    pub(crate) step: f64,
}

/// One shard's summed test time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ShardTime {
    /// `variant/folder`: the variant when the run key has several, the report folder below
    /// what the variant's report folders share when there are several; `.` when neither.
    pub(crate) shard: String,
    pub(crate) seconds: f64,
}

/// One run key's shards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RunShards {
    pub(crate) run: String,
    /// Of the key's first variant.
    pub(crate) timestamp: String,
    pub(crate) commit: Option<String>,
    /// Variants (runs table rows) of the key that are not infrastructure failures.
    pub(crate) variants: usize,
    /// By shard name.
    pub(crate) shards: Vec<ShardTime>,
    /// The slowest shard (the first by name on a tie).
    pub(crate) slowest_shard: String,
    pub(crate) summed_seconds: f64,
    /// The slowest shard's time.
    pub(crate) critical_path_seconds: f64,
    /// summed_seconds / number of shards.
    pub(crate) mean_shard_seconds: f64,
    /// critical_path / mean_shard − 1: 0 when balanced (or one shard).
    pub(crate) imbalance: f64,
    /// critical_path − mean_shard: what perfect balance would take off the critical path.
    pub(crate) excess_seconds: f64,
}

/// Shard figures over the runs with at least two shards.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct ShardSummary {
    pub(crate) sharded_runs: usize,
    pub(crate) summed_seconds: f64,
    pub(crate) critical_path_seconds: f64,
    /// Σ critical_path − Σ mean_shard.
    pub(crate) excess_seconds: f64,
    /// Σ critical_path / Σ mean_shard − 1 (time-weighted); none without sharded runs.
    pub(crate) imbalance: Option<f64>,
    /// Median of the runs' imbalance.
    pub(crate) median_imbalance: Option<f64>,
}

/// The median of `xs` (mean of the two middle values when the count is even).
pub(crate) fn median(xs: &[f64]) -> Option<f64> {
    median_in_place(&mut xs.to_vec())
}

/// [`median`] by selection, reordering `xs`: linear time, where sorting would be n log n.
fn median_in_place(xs: &mut [f64]) -> Option<f64> {
    let n = xs.len();
    if n == 0 {
        return None;
    }
    let (left, &mut upper, _) = xs.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Some(upper);
    }
    // The lower middle value is the largest of the values left of the upper one.
    let lower = left.iter().copied().max_by(f64::total_cmp).unwrap_or(upper);
    Some((lower + upper) / 2.0)
}

/// The nearest-rank percentile: the smallest value with at least `p`% of the values at or
/// below it, `sorted[ceil(p/100 · n) − 1]`.
pub(crate) fn percentile(xs: &[f64], p: f64) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * xs.len() as f64).ceil() as usize;
    let mut s = xs.to_vec();
    let (_, &mut v, _) = s.select_nth_unstable_by(rank.clamp(1, xs.len()) - 1, f64::total_cmp);
    Some(v)
}

/// The Theil–Sen slope: the median of `(y_j − y_i) / (x_j − x_i)` over all pairs with
/// `x_i < x_j`. None with fewer than two distinct `x`.
pub(crate) fn theil_sen(points: &[(f64, f64)]) -> Option<f64> {
    let mut slopes = Vec::with_capacity(points.len() * points.len().saturating_sub(1) / 2);
    for (i, &(xi, yi)) in points.iter().enumerate() {
        for &(xj, yj) in &points[i + 1..] {
            if xj != xi {
                slopes.push((yj - yi) / (xj - xi));
            }
        }
    }
    median_in_place(&mut slopes)
}

/// The sample coefficient of variation, `sd / mean` with `sd` over n − 1.
pub(crate) fn coefficient_of_variation(xs: &[f64]) -> Option<f64> {
    let n = xs.len() as f64;
    if xs.len() < 2 {
        return None;
    }
    let mean = xs.iter().sum::<f64>() / n;
    if mean == 0.0 {
        return None;
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some(var.sqrt() / mean)
}

/// Everything the analysis needs from the executions.
struct Sums {
    /// Per run (window position): time, flaky retry time and folders.
    times: runs::RunTimes,
    counts: RunCounts,
    retries: Vec<u64>,
    /// Per group and run: summed duration (infrastructure runs included).
    per_group: BTreeMap<Option<String>, BTreeMap<usize, f64>>,
    /// Per test and variant: (run, duration) of executions that ran and have a duration.
    per_test: BTreeMap<(String, String), TestAcc>,
}

#[derive(Default)]
struct TestAcc {
    classname: String,
    name: String,
    points: Vec<(u32, f64)>,
}

impl Sums {
    /// Sums the window's executions.
    fn of(window: &Window, by: GroupBy) -> Sums {
        let n_runs = window.runs.len();
        let mut sums = Sums {
            times: runs::RunTimes::new(n_runs),
            counts: RunCounts {
                executed: vec![0; n_runs],
                failed: vec![0; n_runs],
            },
            retries: vec![0; n_runs],
            per_group: BTreeMap::new(),
            per_test: BTreeMap::new(),
        };
        // Each key's group, as an index into `groups`.
        let mut groups: Vec<Option<&str>> = Vec::new();
        let mut group_index: FxHashMap<Option<&str>, u32> = FxHashMap::default();
        let group_of: Vec<u32> = window
            .keys
            .iter()
            .map(|k| {
                let g = match by {
                    GroupBy::Suite => &k.suite,
                    GroupBy::Class => &k.classname,
                    GroupBy::File => &k.file,
                    GroupBy::Family => &k.family,
                };
                let g = Some(g.as_str()).filter(|g| !g.is_empty());
                *group_index.entry(g).or_insert_with(|| {
                    groups.push(g);
                    u32::try_from(groups.len() - 1).expect("fewer than 2^32 groups")
                })
            })
            .collect();
        // (run position, report) -> (seconds, flaky retry seconds).
        let mut per_report: FxHashMap<(u32, u32), (f64, f64)> = FxHashMap::default();
        // (group, run position) -> seconds.
        let mut per_group: FxHashMap<(u32, u32), f64> = FxHashMap::default();
        // Per test and variant (slot test × variants + variant, first-appearance order): its
        // (run position, duration) per execution.
        let variants = window.variants.len().max(1);
        let mut slot_of: Vec<u32> = vec![u32::MAX; window.tests.len() * variants];
        let mut per_test: Vec<(usize, Vec<(u32, f64)>)> = Vec::new();
        let rows = &window.rows;
        for (i, failure) in window.rows_with_failures() {
            let Some(status) = rows.status[i] else {
                continue;
            };
            let pos = rows.run[i];
            let r = pos as usize;
            let du = rows.duration(i);
            let seconds = du.unwrap_or(0.0);
            let flaky_retry = if status == Status::Flaky {
                du.zip(failure.and_then(|f| f.last_attempt))
                    .map_or(0.0, |(d, l)| d - l)
            } else {
                0.0
            };
            let e = per_report
                .entry((pos, rows.report[i]))
                .or_insert((0.0, 0.0));
            e.0 += seconds;
            e.1 += flaky_retry;
            if status != Status::Skipped {
                sums.counts.executed[r] += 1;
            }
            if status.is_failure() {
                sums.counts.failed[r] += 1;
            }
            sums.retries[r] += u64::from(rows.attempts[i].saturating_sub(1));
            let key = rows.key[i] as usize;
            *per_group.entry((group_of[key], pos)).or_insert(0.0) += seconds;
            if status != Status::Skipped
                && let Some(d) = du
            {
                let slot =
                    window.keys[key].test as usize * variants + window.run_variant[r] as usize;
                if slot_of[slot] == u32::MAX {
                    slot_of[slot] = u32::try_from(per_test.len()).expect("fewer than 2^32 tests");
                    per_test.push((slot, Vec::new()));
                }
                per_test[slot_of[slot] as usize].1.push((pos, d));
            }
        }

        let mut per_report: Vec<_> = per_report.into_iter().collect();
        let report_key = |rep: u32| window.reports[rep as usize].key.unwrap_or(0);
        per_report.sort_by_key(|&((pos, rep), _)| (pos, report_key(rep)));
        for ((pos, rep), (seconds, flaky_retry)) in per_report {
            let path = window.reports[rep as usize].path.as_str();
            sums.times.add(pos as usize, path, seconds, flaky_retry);
        }
        for ((g, pos), seconds) in per_group {
            let group = groups[g as usize].map(str::to_string);
            *sums
                .per_group
                .entry(group)
                .or_default()
                .entry(pos as usize)
                .or_default() += seconds;
        }
        drop(slot_of);
        for (i, mut points) in per_test {
            let t = i / variants;
            let names = window.first_names(u32::try_from(t).expect("fewer than 2^32 tests"));
            points.sort_by_key(|p| p.0);
            sums.per_test.insert(
                (
                    window.tests[t].test_id.clone(),
                    window.variants[i % variants].clone(),
                ),
                TestAcc {
                    classname: names.classname.clone(),
                    name: names.name.clone(),
                    points,
                },
            );
        }
        sums
    }
}

/// Runs the analysis over the window.
pub(crate) fn slow(window: &Window, options: &SlowOptions) -> SlowReport {
    analyse(Sums::of(window, options.by), &window.runs, options, 0)
}

/// [`slow`], keeping the time per run of the first `groups` groups (by total time) in
/// [`SlowReport::group_runs`], for the report's charts.
pub(crate) fn slow_keeping_runs(
    window: &Window,
    options: &SlowOptions,
    groups: usize,
) -> SlowReport {
    analyse(Sums::of(window, options.by), &window.runs, options, groups)
}

/// `slow` over the store, its window read `batch_rows` stored executions at a time (the
/// result does not depend on it, up to the order floating-point sums are taken in).
pub fn slow_in_batches(
    store: &Store,
    window: &WindowSpec,
    options: &SlowOptions,
    batch_rows: usize,
) -> Result<SlowReport, AnalysisError> {
    let window = Window::load_in_batches(store, window, std::num::NonZeroUsize::new(batch_rows))?;
    Ok(slow(&window, options))
}

/// The smallest step in seconds a duration regression needs: `regression_min_seconds`, or
/// `regression_min_share` of the median test time of the runs (outside infrastructure failures,
/// with any time) when that is less.
fn regression_floor(run_seconds: &[f64], infra: &[bool], options: &SlowOptions) -> f64 {
    let Some(share) = options.regression_min_share else {
        return options.regression_min_seconds;
    };
    let seconds: Vec<f64> = run_seconds
        .iter()
        .zip(infra)
        .filter(|&(&s, &infra)| !infra && s > 0.0)
        .map(|(&s, _)| s)
        .collect();
    match median(&seconds) {
        // Never under the 1 ms resolution reporters write times in (jest-junit, pytest): a
        // step from 0.5 ms to 1 ms is the clock's, not the test's.
        Some(run) => options
            .regression_min_seconds
            .min((share * run).max(REGRESSION_FLOOR_MIN)),
        None => options.regression_min_seconds,
    }
}

/// The least step the share-of-the-run floor may come down to, in seconds.
const REGRESSION_FLOOR_MIN: f64 = 0.01;

fn analyse(sums: Sums, runs: &[RunInfo], options: &SlowOptions, keep_groups: usize) -> SlowReport {
    let infra = sums.counts.infrastructure(options.infra_threshold);

    // Per day: every run of the window; waste is a re-run's whole time, elsewhere the failed
    // attempts of flaky executions.
    let rerun = runs::reruns(runs);
    let mut days: BTreeMap<String, DayLoad> = BTreeMap::new();
    let (mut flaky_retry_seconds, mut rerun_seconds) = (0.0, 0.0);
    for (r, run) in runs.iter().enumerate() {
        let day = jiff::Timestamp::from_millisecond(run.timestamp_ms)
            .map(|t| t.strftime("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let load = days.entry(day.clone()).or_insert_with(|| DayLoad {
            day,
            runs: 0,
            executions: 0,
            test_hours: 0.0,
            retries: 0,
            reruns: 0,
            flaky_retry_hours: 0.0,
            rerun_hours: 0.0,
            waste_hours: 0.0,
        });
        let seconds = sums.times.seconds[r];
        let (flaky, again) = if rerun[r] {
            (0.0, seconds)
        } else {
            (sums.times.flaky_retry[r], 0.0)
        };
        flaky_retry_seconds += flaky;
        rerun_seconds += again;
        load.runs += 1;
        load.executions += sums.counts.executed[r];
        load.test_hours += seconds / 3600.0;
        load.retries += sums.retries[r];
        load.reruns += usize::from(rerun[r]);
        load.flaky_retry_hours += flaky / 3600.0;
        load.rerun_hours += again / 3600.0;
        load.waste_hours += (flaky + again) / 3600.0;
    }

    // Per test: its durations' spread, and a regression if there is one.
    let rule = StepRule {
        min_runs: options.regression_min_runs.max(1),
        min_step: options.regression_min_step,
        min_seconds: regression_floor(&sums.times.seconds, &infra, options),
    };
    let (mut tests, mut regressions): (Vec<TestTime>, Vec<Regression>) = (Vec::new(), Vec::new());
    for ((test_id, variant), mut acc) in sums.per_test {
        acc.points.sort_by_key(|&(o, _)| o);
        acc.points
            .retain(|&(o, _)| !infra.get(o as usize).copied().unwrap_or(true));
        let durations: Vec<f64> = acc.points.iter().map(|&(_, d)| d).collect();
        let durations = &durations;
        let (Some(median_seconds), Some(p95_seconds)) =
            (median(durations), percentile(durations, 95.0))
        else {
            continue;
        };
        tests.push(TestTime {
            test_id: test_id.clone(),
            classname: acc.classname.clone(),
            name: acc.name.clone(),
            variant: variant.clone(),
            runs: durations.len(),
            total_seconds: durations.iter().sum(),
            median_seconds,
            p95_seconds,
            max_seconds: durations.iter().copied().fold(f64::MIN, f64::max),
            cv: coefficient_of_variation(durations),
        });
        if let Some(step) = regression::detect(durations, &rule)
            && let Some(run) = runs.get(acc.points[step.at].0 as usize)
        {
            regressions.push(Regression {
                test_id,
                classname: acc.classname,
                name: acc.name,
                variant,
                run: run.run.clone(),
                commit: run.commit.clone(),
                timestamp: run.timestamp(),
                runs_before: step.at,
                runs_after: durations.len() - step.at,
                median_before_seconds: step.median_before,
                median_after_seconds: step.median_after,
                recent_median_seconds: step.median_recent,
                step_seconds: step.median_after - step.median_before,
                step: step.median_after / step.median_before - 1.0,
            });
        }
    }
    tests.sort_by(|a, b| {
        b.median_seconds
            .total_cmp(&a.median_seconds)
            .then_with(|| a.test_id.cmp(&b.test_id))
            .then_with(|| a.variant.cmp(&b.variant))
    });
    regressions.sort_by(|a, b| {
        b.step_seconds
            .total_cmp(&a.step_seconds)
            .then_with(|| a.test_id.cmp(&b.test_id))
            .then_with(|| a.variant.cmp(&b.variant))
    });

    // Per group: time per run, outside infrastructure runs.
    let mut per_group: BTreeMap<&str, BTreeMap<usize, f64>> = BTreeMap::new();
    for (g, per_run) in &sums.per_group {
        let g = g.as_deref().unwrap_or(UNKNOWN_GROUP);
        for (&r, &t) in per_run {
            if !infra.get(r).copied().unwrap_or(true) {
                *per_group.entry(g).or_default().entry(r).or_default() += t;
            }
        }
    }
    let total_seconds: f64 = per_group.values().flat_map(|m| m.values()).sum();
    let newest = runs.last().map_or(0, |r| r.timestamp_ms);
    // Theil–Sen is n²/2 slopes per group: spread the groups over the cores.
    let per_group: Vec<(&str, BTreeMap<usize, f64>)> = per_group.into_iter().collect();
    let mut groups: Vec<GroupTime> = per_group
        .par_iter()
        .map(|(g, per_run)| group_time(g, per_run, runs, newest, total_seconds, options))
        .collect();
    groups.sort_by(|a, b| {
        b.total_seconds
            .total_cmp(&a.total_seconds)
            .then_with(|| a.group.cmp(&b.group))
    });

    let group_runs = groups
        .iter()
        .take(keep_groups)
        .map(|g| {
            let key = (g.group != UNKNOWN_GROUP).then(|| g.group.clone());
            let per_run = sums.per_group.get(&key).cloned().unwrap_or_default();
            (g.group.clone(), per_run)
        })
        .collect();
    let run_shards = runs::run_shards(runs, &infra, &sums.times);
    let sharding = runs::shard_summary(&run_shards);
    SlowReport {
        schema_version: SCHEMA_VERSION,
        options: options.clone(),
        summary: Summary {
            runs: runs.len(),
            first_run: runs.first().map(|r| r.run.clone()),
            last_run: runs.last().map(|r| r.run.clone()),
            infrastructure_runs: infra.iter().filter(|&&x| x).count(),
            total_seconds,
            retries: sums.retries.iter().sum(),
            reruns: rerun.iter().filter(|&&x| x).count(),
            flaky_retry_seconds,
            rerun_seconds,
            waste_seconds: flaky_retry_seconds + rerun_seconds,
            regression_floor_seconds: rule.min_seconds,
        },
        groups,
        tests,
        days: days.into_values().collect(),
        regressions,
        run_shards,
        sharding,
        group_runs,
    }
}

/// One group's statistics from its time per run (keyed by position in the window).
fn group_time(
    group: &str,
    per_run: &BTreeMap<usize, f64>,
    runs: &[RunInfo],
    newest: i64,
    total: f64,
    options: &SlowOptions,
) -> GroupTime {
    let times: Vec<f64> = per_run.values().copied().collect();
    let points: Vec<(f64, f64)> = per_run.iter().map(|(&r, &t)| (r as f64, t)).collect();
    let in_period = |lo: i64, hi: i64| -> Vec<f64> {
        per_run
            .iter()
            .filter(|&(&r, _)| {
                runs.get(r)
                    .is_some_and(|x| x.timestamp_ms > lo && x.timestamp_ms <= hi)
            })
            .map(|(_, &t)| t)
            .collect()
    };
    let recent = median(&in_period(newest - PERIOD_MS, newest));
    let prior = median(&in_period(newest - 2 * PERIOD_MS, newest - PERIOD_MS));
    let change = match (recent, prior) {
        (Some(r), Some(p)) if p > 0.0 => Some(r / p - 1.0),
        _ => None,
    };
    let total_seconds: f64 = times.iter().sum();
    GroupTime {
        group: group.to_string(),
        runs: times.len(),
        total_seconds,
        share: if total > 0.0 {
            total_seconds / total
        } else {
            0.0
        },
        median_seconds: median(&times).unwrap_or(0.0),
        p95_seconds: percentile(&times, 95.0).unwrap_or(0.0),
        slope_seconds_per_run: theil_sen(&points),
        recent_median_seconds: recent,
        prior_median_seconds: prior,
        change,
        getting_slower: change.is_some_and(|c| c >= options.slower_threshold),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn nearest_rank_percentile() {
        let xs: Vec<f64> = (1..=20).map(f64::from).collect();
        // ceil(0.95 · 20) = 19
        assert_eq!(percentile(&xs, 95.0), Some(19.0));
        // ceil(0.95 · 5) = 5: the maximum
        assert_eq!(percentile(&[5.0, 1.0, 4.0, 2.0, 3.0], 95.0), Some(5.0));
        assert_eq!(percentile(&[7.0], 95.0), Some(7.0));
        assert_eq!(percentile(&xs, 50.0), Some(10.0));
        assert_eq!(percentile(&[], 95.0), None);
    }

    #[test]
    fn theil_sen_ignores_an_outlier() {
        // y = 2x + 1 except an outlier at x = 2; slopes of the 10 pairs:
        // from (0,1): 2, 49.5, 2, 2; from (1,3): 97, 2, 2; from (2,100): -93, -45.5;
        // (3,7)-(4,9): 2. Sorted, the middle two are 2 and 2.
        let pts = [(0.0, 1.0), (1.0, 3.0), (2.0, 100.0), (3.0, 7.0), (4.0, 9.0)];
        assert_eq!(theil_sen(&pts), Some(2.0));
        // Slopes 1, 4/2 and 3: median 2.
        assert_eq!(theil_sen(&[(0.0, 0.0), (1.0, 1.0), (2.0, 4.0)]), Some(2.0));
        assert_eq!(theil_sen(&[(1.0, 5.0)]), None);
        assert_eq!(theil_sen(&[(1.0, 5.0), (1.0, 6.0)]), None);
    }

    #[test]
    fn coefficient_of_variation_is_sample_based() {
        // mean 2, sample variance ((1)+(0)+(1))/2 = 1
        let cv = coefficient_of_variation(&[1.0, 2.0, 3.0]).expect("three values");
        assert!((cv - 0.5).abs() < 1e-12);
        assert_eq!(coefficient_of_variation(&[1.0]), None);
        assert_eq!(coefficient_of_variation(&[0.0, 0.0]), None);
    }

    #[test]
    fn the_regression_floor_never_goes_under_the_clocks_resolution() {
        let options = SlowOptions::default();
        // A 20 ms suite: 2% is 0.4 ms, under the 1 ms times are written in.
        assert_eq!(
            regression_floor(&[0.02, 0.02], &[false, false], &options),
            0.01
        );
        // A 10 s suite: 2% is 0.2 s.
        assert!((regression_floor(&[10.0, 10.0], &[false, false], &options) - 0.2).abs() < 1e-12);
    }
}

//! `testsift backtest skip`: the skip list replayed. Before each run after the training span,
//! the tests to skip are chosen from the runs before it only, by trim's rule (below); the run
//! then says what skipping them would have cost: the failures only skipped tests showed
//! (missed), and the test time saved.
//!
//! The rule, kept up to date run by run: trim's set cover made incremental. A failure event is
//! one run's hard failures (failed on every attempt). When an event has no test the cover
//! already needs, the cover takes the one of its tests that covers most per second (most hard
//! failures so far over its mean time, as trim's greedy cover weighs new events per cost;
//! ties by series). A test is a candidate once it has run in at least `min_runs` runs and the
//! cover has never needed it; like `trim`'s list, only candidates worth acting on are kept
//! (each at least `min_saving` of a run's test time, most saving first until `saving_share` of
//! what they save). So every failure event of the past keeps a test that caught it: tests that
//! fail together are not all skipped. The replay learns from every run as it was recorded, as
//! a nightly full run would see it; a missed failure is caught again once its test leaves the
//! list and fails in a run.

use super::{BacktestOptions, SCHEMA_VERSION, Step, each_run};
use crate::analysis::RunCounts;
use crate::analysis::load::Series;
use crate::analysis::window::RunInfo;
use serde::Serialize;

const DAY_MS: f64 = 86_400_000.0;

/// The skip list's replay.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SkipBacktest {
    pub(crate) schema_version: u32,
    /// Runs (run key and variant) in the window.
    pub(crate) runs: usize,
    pub(crate) train_runs: usize,
    /// Runs after the training span, not infrastructure failures.
    pub(crate) runs_replayed: usize,
    /// Replayed runs with at least one hard failure: one failure event each.
    pub(crate) failure_runs: usize,
    /// Failure runs whose every failed test was on the skip list: nothing the run kept would
    /// have failed.
    pub(crate) missed_runs: usize,
    /// missed_runs / failure_runs (0 when there was no failure).
    pub(crate) miss_rate: f64,
    /// Failed tests in the replayed runs, and how many of them were on the skip list.
    pub(crate) failed_tests: usize,
    pub(crate) failed_tests_skipped: usize,
    /// Means per replayed run.
    pub(crate) mean_tests: f64,
    pub(crate) mean_skipped_tests: f64,
    pub(crate) mean_seconds: f64,
    pub(crate) mean_seconds_saved: f64,
    /// Test time saved over the test time of the replayed runs.
    pub(crate) saved_share: f64,
    pub(crate) hours_saved_per_week: f64,
    /// Each missed failure run, oldest first.
    pub(crate) missed: Vec<MissedRun>,
    /// Simple rules given the same time to save in each run (the most expensive of their tests
    /// first, until they skip as much test time as testsift's list), for comparison.
    pub(crate) heuristics: Vec<HeuristicSkip>,
}

/// A simple skip rule's replay, at testsift's saving in each run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HeuristicSkip {
    /// `never-failed`: tests with no failure so far; `fewest-failures`: tests by their count
    /// of failures, fewest first.
    pub(crate) rule: &'static str,
    pub(crate) missed_runs: usize,
    pub(crate) miss_rate: f64,
    pub(crate) saved_share: f64,
}

/// A failure run the skip list would have hidden.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MissedRun {
    pub(crate) run: String,
    pub(crate) variant: String,
    /// Its failed tests (test id, `@variant` when there is one), sorted.
    pub(crate) tests: Vec<String>,
    /// Replayed runs until one of them failed while not on the list (None: never in the window).
    pub(crate) caught_after_runs: Option<usize>,
}

#[derive(Debug, Clone, Copy, Default)]
struct TestState {
    runs: u32,
    /// Failure events the cover took it for (0: a candidate, given enough runs).
    covers: u32,
    /// Runs in which it failed on every attempt.
    failures: u32,
    mean_seconds: f64,
}

/// Replays the window's runs; `series` and `counts` as `load` gives them.
pub(crate) fn replay(
    runs: &[RunInfo],
    series: &[Series],
    counts: &RunCounts,
    options: &BacktestOptions,
) -> SkipBacktest {
    let infra = counts.infrastructure(options.infra_threshold);
    let mut tests = vec![TestState::default(); series.len()];
    let mut skipped = vec![false; series.len()];
    let mut result = SkipBacktest {
        schema_version: SCHEMA_VERSION,
        runs: runs.len(),
        train_runs: options.train_runs.min(runs.len()),
        runs_replayed: 0,
        failure_runs: 0,
        missed_runs: 0,
        miss_rate: 0.0,
        failed_tests: 0,
        failed_tests_skipped: 0,
        mean_tests: 0.0,
        mean_skipped_tests: 0.0,
        mean_seconds: 0.0,
        mean_seconds_saved: 0.0,
        saved_share: 0.0,
        hours_saved_per_week: 0.0,
        missed: Vec::new(),
        heuristics: Vec::new(),
    };
    // (missed runs, saved seconds) of the two simple rules.
    let mut rules = [(0usize, 0.0f64); 2];
    let mut marked = vec![false; series.len()];
    // Every series in the order the skip list takes candidates (costliest first) and in the
    // order the simple rules take them (fewest failures, then costliest), kept from run to run:
    // a run moves the means a little, so sorting the last order again is close to one pass.
    let mut by_cost: Vec<u32> = (0..u32::try_from(series.len()).unwrap_or(u32::MAX)).collect();
    let mut by_rule = by_cost.clone();
    let mut in_run = vec![false; series.len()];
    // Missed runs still waiting to be caught: (index in `missed`, its failed series, replayed
    // runs since).
    let mut pending: Vec<(usize, Vec<u32>, usize)> = Vec::new();
    let (mut first_ms, mut last_ms) = (None, 0i64);
    let (mut all_tests, mut all_skipped, mut seconds, mut saved) = (0usize, 0usize, 0.0, 0.0);
    each_run(runs, series, |r, steps| {
        let steps: &[Step] = steps;
        if infra.get(r).copied().unwrap_or(false) || steps.is_empty() {
            return;
        }
        let hard: Vec<&Step> = steps.iter().filter(|s| s.failed).collect();
        if r >= options.train_runs {
            sort_by_cost(&mut by_cost, &tests);
            let list = skip_list(&tests, &by_cost, options);
            for &i in &list {
                skipped[i as usize] = true;
            }
            result.runs_replayed += 1;
            first_ms.get_or_insert(runs[r].timestamp_ms);
            last_ms = runs[r].timestamp_ms;
            all_tests += steps.len();
            for s in steps {
                seconds += s.seconds;
                if skipped[s.series as usize] {
                    all_skipped += 1;
                    saved += s.seconds;
                }
            }
            // Earlier misses: caught when one of their tests fails here, not on the list.
            pending.retain_mut(|(index, failed, since)| {
                *since += 1;
                let caught = hard
                    .iter()
                    .any(|s| failed.contains(&s.series) && !skipped[s.series as usize]);
                if caught && let Some(m) = result.missed.get_mut(*index) {
                    m.caught_after_runs = Some(*since);
                }
                !caught
            });
            let budget: f64 = steps
                .iter()
                .filter(|s| skipped[s.series as usize])
                .map(|s| s.seconds)
                .sum();
            sort_by_rule(&mut by_rule, &tests);
            for s in steps {
                in_run[s.series as usize] = true;
            }
            for (k, rule) in rules.iter_mut().enumerate() {
                let list = rule_list(&tests, &by_rule, &in_run, options.min_runs, k == 0, budget);
                for &i in &list {
                    marked[i as usize] = true;
                }
                rule.1 += steps
                    .iter()
                    .filter(|s| marked[s.series as usize])
                    .map(|s| s.seconds)
                    .sum::<f64>();
                if !hard.is_empty() && hard.iter().all(|s| marked[s.series as usize]) {
                    rule.0 += 1;
                }
                for &i in &list {
                    marked[i as usize] = false;
                }
            }
            for s in steps {
                in_run[s.series as usize] = false;
            }
            if !hard.is_empty() {
                result.failure_runs += 1;
                result.failed_tests += hard.len();
                let on_list = hard.iter().filter(|s| skipped[s.series as usize]).count();
                result.failed_tests_skipped += on_list;
                if on_list == hard.len() {
                    result.missed_runs += 1;
                    let mut names: Vec<String> = hard
                        .iter()
                        .filter_map(|s| series.get(s.series as usize))
                        .map(|s| {
                            if s.variant.is_empty() {
                                s.test_id.clone()
                            } else {
                                format!("{}@{}", s.test_id, s.variant)
                            }
                        })
                        .collect();
                    names.sort();
                    pending.push((
                        result.missed.len(),
                        hard.iter().map(|s| s.series).collect(),
                        0,
                    ));
                    result.missed.push(MissedRun {
                        run: runs[r].run.clone(),
                        variant: runs[r].variant.clone(),
                        tests: names,
                        caught_after_runs: None,
                    });
                }
            }
            for &i in &list {
                skipped[i as usize] = false;
            }
        }
        // Learn the run, whole.
        for s in &hard {
            tests[s.series as usize].failures += 1;
        }
        for s in steps {
            let t = &mut tests[s.series as usize];
            t.runs += 1;
            t.mean_seconds += (s.seconds - t.mean_seconds) / f64::from(t.runs);
        }
        cover(&mut tests, &hard);
    });
    let n = result.runs_replayed.max(1) as f64;
    result.mean_tests = all_tests as f64 / n;
    result.mean_skipped_tests = all_skipped as f64 / n;
    result.mean_seconds = seconds / n;
    result.mean_seconds_saved = saved / n;
    result.saved_share = if seconds > 0.0 { saved / seconds } else { 0.0 };
    result.miss_rate = if result.failure_runs > 0 {
        result.missed_runs as f64 / result.failure_runs as f64
    } else {
        0.0
    };
    for (k, (missed, saved_by_rule)) in rules.into_iter().enumerate() {
        result.heuristics.push(HeuristicSkip {
            rule: if k == 0 {
                "never-failed"
            } else {
                "fewest-failures"
            },
            missed_runs: missed,
            miss_rate: if result.failure_runs > 0 {
                missed as f64 / result.failure_runs as f64
            } else {
                0.0
            },
            saved_share: if seconds > 0.0 {
                saved_by_rule / seconds
            } else {
                0.0
            },
        });
    }
    let days = first_ms.map_or(1.0, |first| ((last_ms - first) as f64 / DAY_MS).max(1.0));
    result.hours_saved_per_week = saved / 3600.0 / (days / 7.0);
    result
}

/// Takes the failure event `hard` (one run's hard failures, already learned) into the cover:
/// when none of its tests is needed yet, the one with most failures per second is.
fn cover(tests: &mut [TestState], hard: &[&Step]) {
    if hard.iter().any(|s| tests[s.series as usize].covers > 0) {
        return;
    }
    let per_second = |s: &Step| {
        let t = &tests[s.series as usize];
        f64::from(t.failures) / t.mean_seconds.max(super::MIN_SECONDS)
    };
    let keep = hard.iter().copied().max_by(|a, b| {
        per_second(a)
            .total_cmp(&per_second(b))
            .then(b.series.cmp(&a.series))
    });
    if let Some(keep) = keep {
        tests[keep.series as usize].covers += 1;
    }
}

/// Sorts `order` (every series) costliest first, ties by series: the skip list's order.
fn sort_by_cost(order: &mut [u32], tests: &[TestState]) {
    let cost = |i: u32| tests[i as usize].mean_seconds;
    // A total order, so the stable sort of a nearly sorted list gives the one result.
    order.sort_by(|&a, &b| cost(b).total_cmp(&cost(a)).then(a.cmp(&b)));
}

/// Sorts `order` (every series) by failures, fewest first, then costliest first, ties by
/// series: the simple rules' order.
fn sort_by_rule(order: &mut [u32], tests: &[TestState]) {
    let t = |i: u32| &tests[i as usize];
    order.sort_by(|&a, &b| {
        t(a).failures
            .cmp(&t(b).failures)
            .then(t(b).mean_seconds.total_cmp(&t(a).mean_seconds))
            .then(a.cmp(&b))
    });
}

/// A simple rule's list for a run (the series `in_run` marks): tests with at least `min_runs`
/// runs (and, with `never_failed`, no failure; else any, fewest failures first), most
/// expensive first (`by_rule`, from [`sort_by_rule`]), until their time in this run reaches
/// `budget` seconds.
fn rule_list(
    tests: &[TestState],
    by_rule: &[u32],
    in_run: &[bool],
    min_runs: usize,
    never_failed: bool,
    budget: f64,
) -> Vec<u32> {
    if budget <= 0.0 {
        return Vec::new();
    }
    let mut list = Vec::new();
    let mut saved = 0.0;
    for &series in by_rule {
        if saved >= budget {
            break;
        }
        let t = &tests[series as usize];
        let eligible = t.runs as usize >= min_runs && (!never_failed || t.failures == 0);
        if !(in_run[series as usize] && eligible) {
            continue;
        }
        saved += t.mean_seconds;
        list.push(series);
    }
    list
}

/// The tests to skip given what `tests` know: candidates (enough runs, never needed by the
/// cover), worth
/// acting on, as `trim` lists them, taken in `by_cost` order (from [`sort_by_cost`]).
fn skip_list(tests: &[TestState], by_cost: &[u32], options: &BacktestOptions) -> Vec<u32> {
    let run_cost: f64 = tests
        .iter()
        .filter(|t| t.runs > 0)
        .map(|t| t.mean_seconds)
        .sum();
    let floor = options.min_saving * run_cost;
    let candidates: Vec<(u32, f64)> = by_cost
        .iter()
        .map(|&i| (i, &tests[i as usize]))
        .filter(|(_, t)| {
            t.runs as usize >= options.min_runs
                && t.covers == 0
                && t.mean_seconds >= floor
                && t.mean_seconds > 0.0
        })
        .map(|(i, t)| (i, t.mean_seconds))
        .collect();
    let savings: Vec<f64> = candidates.iter().map(|c| c.1).collect();
    let cut = crate::analysis::trim::share_cut(&savings, options.saving_share);
    candidates.into_iter().take(cut).map(|c| c.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The skip list, its order sorted from an arrangement unlike the result (the series
    /// backwards), as the replay sorts the last run's.
    fn list(tests: &[TestState], options: &BacktestOptions) -> Vec<u32> {
        let mut order: Vec<u32> = (0..tests.len() as u32).rev().collect();
        sort_by_cost(&mut order, tests);
        skip_list(tests, &order, options)
    }

    fn options(min_runs: usize) -> BacktestOptions {
        BacktestOptions {
            train_runs: 0,
            infra_threshold: 0.8,
            seed: 1,
            min_runs,
            min_saving: 0.0,
            saving_share: 1.0,
            shards: 2,
            split_by: crate::analysis::SplitBy::Variant,
            budget: None,
        }
    }

    fn state(runs: u32, covers: u32, mean_seconds: f64) -> TestState {
        TestState {
            runs,
            covers,
            failures: covers,
            mean_seconds,
        }
    }

    #[test]
    fn the_list_holds_tests_with_enough_runs_that_the_cover_never_needed() {
        let tests = [
            state(10, 0, 1.0),
            state(10, 1, 5.0),
            state(3, 0, 9.0),
            state(10, 0, 2.0),
        ];
        assert_eq!(list(&tests, &options(5)), [3, 0]);
    }

    #[test]
    fn the_list_keeps_what_is_worth_acting_on() {
        // Run cost 10 s: at 5% (0.5 s) the 0.3 s and 0.2 s tests are out; the top 80% of the
        // 9.5 s left is the 6 s and 3 s tests (6 < 7.6, 6 + 3 >= 7.6).
        let tests = [
            state(10, 0, 6.0),
            state(10, 0, 3.0),
            state(10, 0, 0.5),
            state(10, 0, 0.3),
            state(10, 0, 0.2),
        ];
        let mut o = options(5);
        o.min_saving = 0.05;
        o.saving_share = 0.8;
        assert_eq!(list(&tests, &o), [0, 1]);
    }

    fn step(series: u32) -> Step {
        Step {
            series,
            failed: true,
            flaky: false,
            seconds: 1.0,
            row: series,
        }
    }

    /// An event with no needed test keeps its test with most failures per second; an event
    /// that holds a needed test changes nothing.
    #[test]
    fn the_cover_keeps_one_test_of_each_failure_event() {
        let mut tests = [
            state(10, 0, 4.0),
            state(10, 0, 1.0),
            state(10, 0, 2.0),
            state(10, 0, 2.0),
        ];
        for t in &mut tests {
            t.failures = 1;
        }
        let (a, b, c, d) = (step(0), step(1), step(2), step(3));
        cover(&mut tests, &[&a, &b]);
        let covers: Vec<u32> = tests.iter().map(|t| t.covers).collect();
        assert_eq!(covers, [0, 1, 0, 0], "the cheaper of the two");
        cover(&mut tests, &[&b, &c]);
        cover(&mut tests, &[&a, &b]);
        let covers: Vec<u32> = tests.iter().map(|t| t.covers).collect();
        assert_eq!(covers, [0, 1, 0, 0], "already covered");
        // Tests 2 and 3 cost the same; test 3 failed more often.
        tests[3].failures = 3;
        cover(&mut tests, &[&c, &d]);
        let covers: Vec<u32> = tests.iter().map(|t| t.covers).collect();
        assert_eq!(covers, [0, 1, 0, 1]);
        assert_eq!(list(&tests, &options(5)), [0, 2]);
    }
}

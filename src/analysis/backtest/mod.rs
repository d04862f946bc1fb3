//! `testsift backtest priority|skip|shards`: how good a selection would have been, replayed
//! over the window ([`skip`] and [`shards`] for the other two).
//!
//! `priority`: how well a test order would have found each run's failures,
//! replayed over the window. Every run after the training span is ordered from what the runs
//! before it showed (never from itself), and the order is scored on what that run actually
//! did: APFD, its cost-aware form APFDc, and the test time spent before the first failure.
//! One pass over the runs in window order, each test's state updated as its runs go by.
//!
//! The orders compared: testsift's model ([`Model`]), two simple heuristics (the last outcome
//! failed first, then most failures; most failures first), a seeded random order, the order the
//! tests appear in the run's reports (the runner's own order), and the optimal one (the failing
//! tests first, cheapest first). Definitions and figures: docs/select.md.

use super::load::{Exec, Series, load_owned};
use super::window::{RunInfo, Window};
use super::{RunCounts, SplitBy};
use crate::domain::Status;
use serde::Serialize;

pub(crate) mod model;
pub(crate) mod shards;
pub(crate) mod skip;

use model::{Estimator, Memory, Model};

/// Version of the JSON output; bumped when a field changes meaning or goes away.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// What a replay needs besides the window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BacktestOptions {
    /// Runs at the start of the window that only train (are never scored).
    pub(crate) train_runs: usize,
    /// The share of failed tests above which a run is an infrastructure failure (not scored,
    /// not learned from).
    pub(crate) infra_threshold: f64,
    /// Seed of the random order.
    pub(crate) seed: u64,
    /// skip: runs a test needs before it can be skipped, and trim's cut of what is worth
    /// skipping (`TrimOptions::min_saving`, `saving_share`).
    pub(crate) min_runs: usize,
    pub(crate) min_saving: f64,
    pub(crate) saving_share: f64,
    /// shards: shards of a pipeline that had one.
    pub(crate) shards: usize,
    /// shards: what a pipeline's own split is made of.
    pub(crate) split_by: SplitBy,
    /// priority: also replay a first stage of the likeliest tests within this budget of
    /// predicted time (`select priority --budget`).
    pub(crate) budget: Option<Budget>,
}

/// The test time a first stage may take.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Budget {
    /// Seconds of predicted test time (`--budget`).
    Seconds(f64),
    /// This share of each run's predicted test time (the report's figure).
    Share(f64),
}

impl Default for BacktestOptions {
    fn default() -> Self {
        let trim = crate::analysis::trim::TrimOptions::default();
        BacktestOptions {
            train_runs: 20,
            infra_threshold: crate::analysis::INFRA_THRESHOLD,
            seed: 1,
            min_runs: trim.min_runs,
            min_saving: trim.min_saving,
            saving_share: trim.saving_share,
            shards: 4,
            split_by: SplitBy::Variant,
            budget: None,
        }
    }
}

/// An order of the tests of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum OrderKind {
    /// The failing tests first, cheapest first: the best any order could do.
    Optimal,
    /// testsift's model: the estimated chance of failing, then the cheapest.
    Testsift,
    /// Tests whose last executed outcome failed first, then by their count of failures.
    LastFailedFirst,
    /// By their count of failures in the runs so far.
    MostFailures,
    /// The order the tests appear in the run's reports.
    RunnerOrder,
    /// A seeded random order.
    Random,
}

impl OrderKind {
    pub(crate) const ALL: [OrderKind; 6] = [
        OrderKind::Optimal,
        OrderKind::Testsift,
        OrderKind::LastFailedFirst,
        OrderKind::MostFailures,
        OrderKind::RunnerOrder,
        OrderKind::Random,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OrderKind::Optimal => "optimal",
            OrderKind::Testsift => "testsift",
            OrderKind::LastFailedFirst => "last-failed-first",
            OrderKind::MostFailures => "most-failures",
            OrderKind::RunnerOrder => "runner-order",
            OrderKind::Random => "random",
        }
    }
}

/// One order's scores, means over the scored runs.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OrderScore {
    pub(crate) order: OrderKind,
    pub(crate) mean_apfd: f64,
    pub(crate) mean_apfdc: f64,
    /// Seconds of test time until the first failing test has run (it included).
    pub(crate) mean_seconds_to_first_failure: f64,
}

/// The replay's result.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PriorityBacktest {
    pub(crate) schema_version: u32,
    /// Runs (run key and variant) in the window.
    pub(crate) runs: usize,
    pub(crate) train_runs: usize,
    /// Runs after the training span, not infrastructure failures.
    pub(crate) runs_replayed: usize,
    /// Replayed runs with at least one failed test: the runs the scores are means over.
    pub(crate) runs_scored: usize,
    /// Failed tests in the scored runs (each one fault).
    pub(crate) faults: usize,
    /// Mean seconds of test time per scored run.
    pub(crate) mean_run_seconds: f64,
    /// The weight of the model's chain (both memories) against its failure rate after the
    /// last run (docs/backtest.md, "The model"): 1 = all the chain.
    pub(crate) model_chain_weight: f64,
    /// Each of the model's four estimates' weight after the last run (they sum to 1).
    pub(crate) model_weights: ModelWeights,
    /// Best first.
    pub(crate) orders: Vec<OrderScore>,
    /// With a budget: what a first stage of the likeliest tests within it would have caught.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stage: Option<StageBacktest>,
}

/// A first stage replayed (`backtest priority --budget`): in each scored run, the tests an
/// order puts first, as many as their predicted times (each test's mean time so far; a test
/// never timed counts as the median of the others) fit in the budget, at least one.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StageBacktest {
    pub(crate) budget: Budget,
    /// Scored runs (runs with a failure).
    pub(crate) runs_scored: usize,
    pub(crate) orders: Vec<StageScore>,
}

/// One order's first stage.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StageScore {
    pub(crate) order: OrderKind,
    /// Scored runs in which the stage ran a failing test: the run would have failed there.
    pub(crate) runs_caught: usize,
    pub(crate) caught_share: f64,
    /// Mean tests and mean actual seconds of test time the stage ran.
    pub(crate) mean_tests: f64,
    pub(crate) mean_seconds: f64,
}

/// The orders a first stage is replayed for.
const STAGE_ORDERS: [OrderKind; 2] = [OrderKind::Testsift, OrderKind::LastFailedFirst];

/// How many of `steps`, in their current order, a stage within `budget` runs, by the model's
/// predicted times; whether it caught a failure; and its actual seconds.
fn stage(model: &Model, steps: &[Step], budget: Budget) -> (usize, bool, f64) {
    let known: Vec<f64> = steps
        .iter()
        .filter(|s| model.state(s.series).runs > 0)
        .map(|s| model.cost(s.series))
        .collect();
    let fill = crate::analysis::slow::median(&known).unwrap_or(0.0);
    let predicted: Vec<f64> = steps
        .iter()
        .map(|s| {
            if model.state(s.series).runs > 0 {
                model.cost(s.series)
            } else {
                fill
            }
        })
        .collect();
    let budget = match budget {
        Budget::Seconds(b) => b,
        Budget::Share(f) => f * predicted.iter().sum::<f64>(),
    };
    let (mut total, mut actual, mut kept, mut caught) = (0.0, 0.0, 0, false);
    for (s, cost) in steps.iter().zip(predicted) {
        if kept > 0 && total + cost > budget {
            break;
        }
        total += cost;
        actual += s.seconds;
        kept += 1;
        caught |= s.failed;
    }
    (kept, caught, actual)
}

/// The model's weights, by estimate (docs/backtest.md, "The model").
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct ModelWeights {
    pub(crate) chain_recent: f64,
    pub(crate) chain_whole: f64,
    pub(crate) rate_recent: f64,
    pub(crate) rate_whole: f64,
}

impl ModelWeights {
    fn of(model: &Model) -> ModelWeights {
        let w = model.weights();
        let at = |e: Estimator| w[e.index()];
        ModelWeights {
            chain_recent: at(Estimator::Chain(Memory::Recent)),
            chain_whole: at(Estimator::Chain(Memory::Whole)),
            rate_recent: at(Estimator::Rate(Memory::Recent)),
            rate_whole: at(Estimator::Rate(Memory::Whole)),
        }
    }
}

/// Replays the window.
pub(crate) fn priority(window: Window, options: &BacktestOptions) -> PriorityBacktest {
    let (runs, series, counts) = load_owned(window);
    replay(&runs, &series, &counts, options)
}

/// [`priority`] of a window already loaded.
pub(crate) fn priority_loaded(
    runs: &[RunInfo],
    series: &[Series],
    counts: &RunCounts,
    options: &BacktestOptions,
) -> PriorityBacktest {
    replay(runs, series, counts, options)
}

/// Replays the skip list over the window ([`skip::replay`]).
pub(crate) fn skip_list(window: Window, options: &BacktestOptions) -> skip::SkipBacktest {
    let (runs, series, counts) = load_owned(window);
    skip::replay(&runs, &series, &counts, options)
}

/// Replays the shard split over the window ([`shards::replay`]).
pub(crate) fn shard_split(window: Window, options: &BacktestOptions) -> shards::ShardsBacktest {
    // Each row's report, by row (as [`crate::analysis::load::Exec::row`] numbers them).
    let reports: Vec<u32> = match options.split_by {
        SplitBy::Variant => Vec::new(),
        SplitBy::Report => window.rows.report.clone(),
    };
    let (runs, series, counts) = load_owned(window);
    shards::replay(&runs, &series, &counts, &reports, options)
}

/// One test's execution in one run, as the replay sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    pub(crate) series: u32,
    pub(crate) failed: bool,
    /// Failed an attempt, then passed.
    pub(crate) flaky: bool,
    pub(crate) seconds: f64,
    pub(crate) row: u32,
}

/// The smallest cost a test is given, so that a run of zero-time tests still has a cost.
const MIN_SECONDS: f64 = 0.001;

/// Builds each run's steps, then replays them in window order.
fn replay(
    runs: &[RunInfo],
    series: &[Series],
    counts: &RunCounts,
    options: &BacktestOptions,
) -> PriorityBacktest {
    let infra = counts.infrastructure(options.infra_threshold);
    let mut model = Model::new(series.len());
    let mut openings = Openings::default();
    let mut rng = SplitMix(options.seed);
    let mut sums = vec![(0.0, 0.0, 0.0); OrderKind::ALL.len()];
    // Per stage order: runs caught, tests run, seconds run.
    let mut stages = [(0usize, 0usize, 0.0f64); STAGE_ORDERS.len()];
    let (mut replayed, mut scored, mut faults, mut run_seconds) = (0, 0, 0, 0.0);
    each_run(runs, series, |r, steps| {
        if infra.get(r).copied().unwrap_or(false) || steps.is_empty() {
            return;
        }
        if r >= options.train_runs {
            replayed += 1;
            let m = steps.iter().filter(|s| s.failed).count();
            if m > 0 {
                scored += 1;
                faults += m;
                run_seconds += steps.iter().map(|s| s.seconds).sum::<f64>();
                for (k, kind) in OrderKind::ALL.into_iter().enumerate() {
                    order(&model, kind, steps, &mut rng);
                    if let (Some(budget), Some(j)) =
                        (options.budget, STAGE_ORDERS.iter().position(|&o| o == kind))
                    {
                        let (kept, caught, seconds) = stage(&model, steps, budget);
                        stages[j].0 += usize::from(caught);
                        stages[j].1 += kept;
                        stages[j].2 += seconds;
                    }
                    let (apfd, apfdc, first) = scores(steps);
                    sums[k].0 += apfd;
                    sums[k].1 += apfdc;
                    sums[k].2 += first;
                }
            }
        }
        model.learn(steps, openings.first(&runs[r]));
    });
    let n = scored.max(1) as f64;
    let mut orders: Vec<OrderScore> = OrderKind::ALL
        .into_iter()
        .zip(sums)
        .map(|(order, (a, c, f))| OrderScore {
            order,
            mean_apfd: a / n,
            mean_apfdc: c / n,
            mean_seconds_to_first_failure: f / n,
        })
        .collect();
    orders.sort_by(|a, b| b.mean_apfd.total_cmp(&a.mean_apfd));
    let weights = ModelWeights::of(&model);
    let stage = options.budget.map(|budget| StageBacktest {
        budget,
        runs_scored: scored,
        orders: STAGE_ORDERS
            .iter()
            .zip(stages)
            .map(|(&order, (caught, tests, seconds))| StageScore {
                order,
                runs_caught: caught,
                caught_share: caught as f64 / n,
                mean_tests: tests as f64 / n,
                mean_seconds: seconds / n,
            })
            .collect(),
    });
    PriorityBacktest {
        schema_version: SCHEMA_VERSION,
        runs: runs.len(),
        train_runs: options.train_runs.min(runs.len()),
        runs_replayed: replayed,
        runs_scored: scored,
        faults,
        mean_run_seconds: run_seconds / n,
        model_chain_weight: weights.chain_recent + weights.chain_whole,
        model_weights: weights,
        orders,
        stage,
    }
}

/// A step of the `i`-th series' execution `p`.
fn step(i: usize, p: &Exec) -> Step {
    Step {
        series: u32::try_from(i).unwrap_or(u32::MAX),
        failed: matches!(p.status, Status::Failed | Status::Error),
        flaky: p.status == Status::Flaky,
        seconds: p
            .duration()
            .filter(|d| d.is_finite() && *d >= 0.0)
            .unwrap_or(0.0)
            .max(MIN_SECONDS),
        row: p.row,
    }
}

/// Hands each run's executed tests (skipped ones left out, in series order) to `f`, run by run
/// in window order, as [`steps_by_run`] lists them but without a run-major copy of the window:
/// each series is walked by a cursor, filed under the run of its next execution.
fn each_run(runs: &[RunInfo], series: &[Series], mut f: impl FnMut(usize, &mut Vec<Step>)) {
    let mut waiting: Vec<Vec<u32>> = vec![Vec::new(); runs.len()];
    let mut cursor = vec![0usize; series.len()];
    for (i, s) in series.iter().enumerate() {
        if let Some(list) = s
            .points
            .first()
            .and_then(|p| waiting.get_mut(p.run as usize))
        {
            list.push(u32::try_from(i).unwrap_or(u32::MAX));
        }
    }
    let mut steps = Vec::new();
    for r in 0..runs.len() {
        let mut here = std::mem::take(&mut waiting[r]);
        here.sort_unstable();
        steps.clear();
        for &i in &here {
            let i = i as usize;
            let points = &series[i].points;
            let mut c = cursor[i];
            while let Some(p) = points.get(c).filter(|p| p.run as usize == r) {
                if p.status != Status::Skipped {
                    steps.push(step(i, p));
                }
                c += 1;
            }
            cursor[i] = c;
            // Points out of window order (none are) would be left behind, never looped on.
            if let Some(list) = points
                .get(c)
                .filter(|p| p.run as usize > r)
                .and_then(|p| waiting.get_mut(p.run as usize))
            {
                list.push(u32::try_from(i).unwrap_or(u32::MAX));
            }
        }
        f(r, &mut steps);
    }
}

/// Each run's executed tests (skipped ones left out), in window order.
fn steps_by_run(runs: &[RunInfo], series: &[Series]) -> Vec<Vec<Step>> {
    // Each run's list allocated at its size, not grown by doubling (a third more memory on
    // ten million executions).
    let mut sizes = vec![0usize; runs.len()];
    for p in series.iter().flat_map(|s| &s.points) {
        if p.status != Status::Skipped
            && let Some(n) = sizes.get_mut(p.run as usize)
        {
            *n += 1;
        }
    }
    let mut by_run: Vec<Vec<Step>> = sizes.into_iter().map(Vec::with_capacity).collect();
    for (i, s) in series.iter().enumerate() {
        for p in &s.points {
            if p.status == Status::Skipped {
                continue;
            }
            if let Some(steps) = by_run.get_mut(p.run as usize) {
                steps.push(step(i, p));
            }
        }
    }
    by_run
}

/// APFD, APFDc and the seconds to the first failure of `steps` in their current order, which
/// holds at least one failure.
///
/// With n tests, m of them failing at positions TF₁…TFₘ (1-based) and tᵢ the test times:
/// APFD = 1 − ΣTFᵢ / (n·m) + 1 / (2n); APFDc = Σᵢ (Σ_{j ≥ TFᵢ} tⱼ − ½·t_{TFᵢ}) / (Σⱼ tⱼ · m).
fn scores(steps: &[Step]) -> (f64, f64, f64) {
    let n = steps.len() as f64;
    let total: f64 = steps.iter().map(|s| s.seconds).sum();
    let (mut m, mut positions, mut cost_after, mut first) = (0.0, 0.0, 0.0, None);
    let mut elapsed = 0.0;
    for (i, s) in steps.iter().enumerate() {
        if s.failed {
            m += 1.0;
            positions += (i + 1) as f64;
            // Test time from this test on, the half of its own.
            cost_after += total - elapsed - 0.5 * s.seconds;
            first.get_or_insert(elapsed + s.seconds);
        }
        elapsed += s.seconds;
    }
    let apfd = 1.0 - positions / (n * m) + 1.0 / (2.0 * n);
    let apfdc = cost_after / (total * m);
    (apfd, apfdc, first.unwrap_or(total))
}

/// The model after learning every run of the window (infrastructure runs left out), as
/// `select priority` orders the next run by it.
pub(crate) fn learned(
    runs: &[RunInfo],
    series: &[Series],
    counts: &RunCounts,
    infra_threshold: f64,
) -> Model {
    let infra = counts.infrastructure(infra_threshold);
    let mut model = Model::new(series.len());
    let mut openings = Openings::default();
    each_run(runs, series, |r, steps| {
        if !infra.get(r).copied().unwrap_or(false) && !steps.is_empty() {
            model.learn(steps, openings.first(&runs[r]));
        }
    });
    model
}

/// The variants whose first run the model has learned: the tests of a variant's first run
/// open the window rather than being new.
#[derive(Default)]
struct Openings<'a>(rustc_hash::FxHashSet<&'a str>);

impl<'a> Openings<'a> {
    /// Whether `run` is the first of its variant to be learned (and marks it learned).
    fn first(&mut self, run: &'a RunInfo) -> bool {
        self.0.insert(run.variant.as_str())
    }
}

/// Puts `steps` in the order `kind` gives them, from what `model` learned. Every order ends
/// with the row, which no two executions share, so an unstable sort gives the one result.
fn order(model: &Model, kind: OrderKind, steps: &mut [Step], rng: &mut SplitMix) {
    let by_row = |a: &Step, b: &Step| a.row.cmp(&b.row);
    match kind {
        OrderKind::RunnerOrder => steps.sort_unstable_by(by_row),
        OrderKind::Optimal => steps.sort_unstable_by(|a, b| {
            b.failed
                .cmp(&a.failed)
                .then(a.seconds.total_cmp(&b.seconds))
                .then(by_row(a, b))
        }),
        OrderKind::Random => {
            steps.sort_unstable_by(by_row);
            for i in (1..steps.len()).rev() {
                let j = (rng.next() % (i as u64 + 1)) as usize;
                steps.swap(i, j);
            }
        }
        OrderKind::MostFailures => steps.sort_unstable_by(|a, b| {
            let (ta, tb) = (model.state(a.series), model.state(b.series));
            tb.failures.cmp(&ta.failures).then(by_row(a, b))
        }),
        OrderKind::LastFailedFirst => steps.sort_unstable_by(|a, b| {
            let (ta, tb) = (model.state(a.series), model.state(b.series));
            (tb.streak > 0)
                .cmp(&(ta.streak > 0))
                .then(tb.failures.cmp(&ta.failures))
                .then(by_row(a, b))
        }),
        OrderKind::Testsift => {
            let mut keyed: Vec<(f64, f64, Step)> = steps
                .iter()
                .map(|s| (model.chance(s.series), model.cost(s.series), *s))
                .collect();
            keyed.sort_unstable_by(|a, b| {
                b.0.total_cmp(&a.0)
                    .then(a.1.total_cmp(&b.1))
                    .then(by_row(&a.2, &b.2))
            });
            for (slot, (_, _, s)) in steps.iter_mut().zip(keyed) {
                *slot = s;
            }
        }
    }
}

/// A small seeded generator for the random order (SplitMix64), so a replay is repeatable.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(series: u32, failed: bool, seconds: f64) -> Step {
        Step {
            series,
            failed,
            flaky: false,
            seconds,
            row: series,
        }
    }

    /// Worked by hand: 4 tests, the 2nd and 4th fail; times 1, 2, 3, 4 (total 10).
    /// APFD = 1 − (2 + 4) / (4·2) + 1/8 = 0.375.
    /// APFDc = ((10 − 1 − 1) + (10 − 6 − 2)) / (10·2) = (8 + 2) / 20 = 0.5.
    /// First failure after 1 + 2 = 3 s.
    #[test]
    fn scores_match_the_hand_computed_values() {
        let steps = [
            step(0, false, 1.0),
            step(1, true, 2.0),
            step(2, false, 3.0),
            step(3, true, 4.0),
        ];
        let (apfd, apfdc, first) = scores(&steps);
        assert!((apfd - 0.375).abs() < 1e-12, "{apfd}");
        assert!((apfdc - 0.5).abs() < 1e-12, "{apfdc}");
        assert!((first - 3.0).abs() < 1e-12, "{first}");
    }

    #[test]
    fn optimal_puts_every_failure_first() {
        let model = Model::new(4);
        let mut steps = vec![
            step(0, false, 1.0),
            step(1, true, 2.0),
            step(2, false, 3.0),
            step(3, true, 4.0),
        ];
        order(&model, OrderKind::Optimal, &mut steps, &mut SplitMix(1));
        let ids: Vec<u32> = steps.iter().map(|s| s.series).collect();
        assert_eq!(ids, [1, 3, 0, 2]);
        let (apfd, _, _) = scores(&steps);
        // Positions 1 and 2: 1 − 3/8 + 1/8.
        assert!((apfd - 0.75).abs() < 1e-12, "{apfd}");
    }

    /// A test that failed in the last run goes first; among the rest, the one that failed
    /// recently goes before the one that failed long ago.
    #[test]
    fn the_model_ranks_a_persisting_failure_then_recent_failures() {
        let mut model = Model::new(3);
        // Run 1: test 2 fails. Runs 2-9: all pass. Run 10: test 1 fails.
        model.learn(
            &[step(0, false, 1.0), step(1, false, 1.0), step(2, true, 1.0)],
            true,
        );
        for _ in 0..8 {
            model.learn(
                &[
                    step(0, false, 1.0),
                    step(1, false, 1.0),
                    step(2, false, 1.0),
                ],
                false,
            );
        }
        model.learn(
            &[step(0, false, 1.0), step(1, true, 1.0), step(2, false, 1.0)],
            false,
        );
        let (never, now, long_ago) = (model.chance(0), model.chance(1), model.chance(2));
        assert!(
            now > long_ago && long_ago > never,
            "{now} {long_ago} {never}"
        );
        let mut steps = vec![step(0, false, 1.0), step(1, true, 1.0), step(2, false, 1.0)];
        order(&model, OrderKind::Testsift, &mut steps, &mut SplitMix(1));
        assert_eq!(steps[0].series, 1);
    }

    /// The replay never scores a run from its own outcome: with one test that fails in every
    /// other run, the last-failed heuristic is always wrong and scores the test last.
    #[test]
    fn a_run_is_ordered_from_the_runs_before_it_only() {
        let mut model = Model::new(2);
        model.learn(&[step(0, true, 1.0), step(1, false, 1.0)], true);
        let mut steps = vec![step(0, false, 1.0), step(1, true, 1.0)];
        order(
            &model,
            OrderKind::LastFailedFirst,
            &mut steps,
            &mut SplitMix(1),
        );
        assert_eq!(steps[0].series, 0, "ordered by the previous run's failure");
        let (apfd, _, _) = scores(&steps);
        assert!((apfd - 0.25).abs() < 1e-12, "{apfd}");
    }
}

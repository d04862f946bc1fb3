//! testsift's failure-likelihood model: what it knows of each test before a run, learned from
//! the runs before it only. `backtest priority` replays it run by run and scores its order;
//! `select priority` writes its order after learning every run of the window. Formula and
//! replay figures: docs/backtest.md.

use super::Step;

/// What testsift knows of each test before a run, learned from the runs before it.
///
/// Two estimates of the chance that a test fails next, each from its own record smoothed with
/// everyone's (empirical Bayes, so a test with few runs goes by what tests in general did):
///
/// - **the chain**: the chance depends on whether its last executed run failed:
///   - its last run failed: how often its failed runs were followed by another failure (a
///     breakage persists until it is fixed; a flaky failure does not), smoothed with
///     [`PRIOR_RUNS`] runs' worth of that share over all tests;
///   - its last run passed: how often its runs after a pass failed, each with weight
///     `(1 − DECAY)^age` (recent runs weigh more), smoothed with [`PRIOR_RUNS`] runs' worth of
///     that share over all tests. Failures that continued a streak do not count here, so a
///     breakage that was fixed does not make the test look likely to fail afterwards.
/// - **the decayed rate**: how often it failed over all its runs, each with weight
///   `(1 − DECAY)^age`, smoothed with [`PRIOR_RUNS`] runs' worth of the overall failure rate.
///
/// A failure that passed on retry counts as [`FLAKY_WEIGHT`] of a failure in the weighted
/// rates. The chance is the two estimates' mean weighted by how well each predicted the runs
/// learned so far (Bayes' rule over the two: each weight is proportional to the product of the
/// chances it gave the outcomes that happened). Histories where failures persist or stop as a
/// chain says go by the chain; histories where a test's failures come and go at a rate go by
/// the rate.
///
/// A test never run before has the share of first runs that failed (new tests fail early),
/// from 1 in 2 while there is none.
/// The tests of a variant's first learned run are not new, only first seen: that run opens
/// the window, so they do not count in that share.
///
/// Ties go to the cheaper test (its mean time so far), then to the runner's order.
pub(crate) struct Model {
    tests: Vec<TestState>,
    /// First runs seen, and how many of them failed.
    new_seen: f64,
    new_failed: f64,
    /// Runs after a failed run, and how many of them failed again.
    after_fail_seen: f64,
    after_fail_failed: f64,
    /// Runs after a passed run, and how many of them failed.
    after_pass_seen: f64,
    after_pass_failed: f64,
    /// All executions seen, and how many failed.
    seen: f64,
    failed: f64,
    /// The natural log of how much likelier the outcomes learned so far were under the chain
    /// than under the decayed rate (their log-loss difference), bounded to ±[`MAX_LOG_ODDS`].
    chain_log_odds: f64,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TestState {
    pub(crate) runs: u32,
    pub(crate) failures: u32,
    pub(crate) streak: u32,
    /// Its runs that followed a failed run, and how many of them failed again.
    after_fail_seen: u32,
    after_fail_failed: u32,
    /// Σ wₖ·failedₖ and Σ wₖ over its runs that followed a passed run, newest weight 1.
    after_pass_failed: f64,
    after_pass_weight: f64,
    /// Σ wₖ·failedₖ and Σ wₖ over all its runs, newest weight 1.
    decayed_failed: f64,
    decayed_weight: f64,
    pub(crate) mean_seconds: f64,
}

/// Which rule [`Model::estimate`] went by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Basis {
    /// Never run: the share of first runs that failed.
    New,
    /// Its last run failed, `streak` runs in a row: how often its failures persisted.
    Failing { streak: u32 },
    /// Its last run passed: how often its runs after a pass failed.
    Passing,
}

/// The weight one run less recent loses, as in `flaky`'s decayed flip rate.
pub(crate) const DECAY: f64 = crate::analysis::flaky::DECAY;
/// What a failed attempt that passed on retry counts as, in a test's failure rate.
const FLAKY_WEIGHT: f64 = 0.25;
/// Runs' worth of all tests' share a test's own share is smoothed with.
const PRIOR_RUNS: f64 = 2.0;
/// The bound of [`Model::chain_log_odds`]: beyond e^30 to one, one estimate has all the weight
/// (to 1e-13); the bound keeps the weight able to turn within a few dozen runs when the history
/// changes character.
const MAX_LOG_ODDS: f64 = 30.0;
/// Chances are kept in [ε, 1 − ε] when an outcome's likelihood is taken, so that one surprise
/// costs an estimate a bounded amount.
const EPSILON: f64 = 1e-4;

/// What the chance of a test came from: the rule of the chain, the chain's and the decayed
/// rate's own chances, and the chain's weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Estimate {
    pub(crate) chance: f64,
    pub(crate) basis: Basis,
    pub(crate) chain: f64,
    pub(crate) decayed: f64,
    pub(crate) chain_weight: f64,
}

impl Model {
    pub(crate) fn new(tests: usize) -> Model {
        Model {
            tests: vec![TestState::default(); tests],
            new_seen: 0.0,
            new_failed: 0.0,
            after_fail_seen: 0.0,
            after_fail_failed: 0.0,
            after_pass_seen: 0.0,
            after_pass_failed: 0.0,
            seen: 0.0,
            failed: 0.0,
            chain_log_odds: 0.0,
        }
    }

    /// The estimated chance that the test of `series` fails in the next run.
    pub(crate) fn chance(&self, series: u32) -> f64 {
        self.estimate(series).chance
    }

    /// The chain's weight in the chance, from how well it and the decayed rate predicted.
    pub(crate) fn chain_weight(&self) -> f64 {
        1.0 / (1.0 + (-self.chain_log_odds).exp())
    }

    /// The chance and what it came from.
    pub(crate) fn estimate(&self, series: u32) -> Estimate {
        let (chain, decayed, basis) = self.both(series);
        let w = self.chain_weight();
        Estimate {
            chance: w * chain + (1.0 - w) * decayed,
            basis,
            chain,
            decayed,
            chain_weight: w,
        }
    }

    /// The chain's chance, the decayed rate's, and the chain's rule.
    fn both(&self, series: u32) -> (f64, f64, Basis) {
        let t = &self.tests[series as usize];
        // Shares smoothed with a coarser one, so that an empty history gives a middle value,
        // and a passing test starts from the overall failure rate.
        let overall = (self.failed + 1.0) / (self.seen + 2.0);
        if t.runs == 0 {
            // A middle value until new tests have been seen: a test nobody knows anything
            // about goes before the ones known to pass.
            let new = (self.new_failed + 1.0) / (self.new_seen + 2.0);
            return (new, new, Basis::New);
        }
        let decayed = (t.decayed_failed + PRIOR_RUNS * overall) / (t.decayed_weight + PRIOR_RUNS);
        if t.streak > 0 {
            let everyone = (self.after_fail_failed + 1.0) / (self.after_fail_seen + 2.0);
            let own = (f64::from(t.after_fail_failed) + PRIOR_RUNS * everyone)
                / (f64::from(t.after_fail_seen) + PRIOR_RUNS);
            return (own, decayed, Basis::Failing { streak: t.streak });
        }
        let everyone = (self.after_pass_failed + overall) / (self.after_pass_seen + 1.0);
        let own =
            (t.after_pass_failed + PRIOR_RUNS * everyone) / (t.after_pass_weight + PRIOR_RUNS);
        (own, decayed, Basis::Passing)
    }

    pub(crate) fn state(&self, series: u32) -> &TestState {
        &self.tests[series as usize]
    }

    /// The test's mean time so far; unknown for a new test, which then goes by its chance only.
    pub(crate) fn cost(&self, series: u32) -> f64 {
        let t = &self.tests[series as usize];
        if t.runs == 0 { 0.0 } else { t.mean_seconds }
    }

    /// Takes one run in. `opening` is the first run learned of its variant: its tests are
    /// seen for the first time without being new.
    pub(crate) fn learn(&mut self, steps: &[Step], opening: bool) {
        // How likely each estimate found this run's outcomes, before learning them.
        let mut log_odds = 0.0;
        for s in steps {
            let (chain, decayed, basis) = self.both(s.series);
            if basis != Basis::New {
                let likelihood = |p: f64| {
                    let p = p.clamp(EPSILON, 1.0 - EPSILON);
                    if s.failed { p } else { 1.0 - p }
                };
                log_odds += likelihood(chain).ln() - likelihood(decayed).ln();
            }
        }
        self.chain_log_odds = (self.chain_log_odds + log_odds).clamp(-MAX_LOG_ODDS, MAX_LOG_ODDS);
        for s in steps {
            let failed = f64::from(u8::from(s.failed));
            let weight = if s.failed {
                1.0
            } else if s.flaky {
                FLAKY_WEIGHT
            } else {
                0.0
            };
            let t = &mut self.tests[s.series as usize];
            if t.runs == 0 {
                if !opening {
                    self.new_seen += 1.0;
                    self.new_failed += failed;
                }
            } else if t.streak > 0 {
                self.after_fail_seen += 1.0;
                self.after_fail_failed += failed;
                t.after_fail_seen += 1;
                t.after_fail_failed += u32::from(s.failed);
            } else {
                self.after_pass_seen += 1.0;
                self.after_pass_failed += weight;
                t.after_pass_failed = t.after_pass_failed * (1.0 - DECAY) + weight;
                t.after_pass_weight = t.after_pass_weight * (1.0 - DECAY) + 1.0;
            }
            t.decayed_failed = t.decayed_failed * (1.0 - DECAY) + weight;
            t.decayed_weight = t.decayed_weight * (1.0 - DECAY) + 1.0;
            self.seen += 1.0;
            self.failed += failed;
            t.runs += 1;
            t.mean_seconds += (s.seconds - t.mean_seconds) / f64::from(t.runs);
            if s.failed {
                t.failures += 1;
                t.streak += 1;
            } else {
                t.streak = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(outcomes: &[bool]) -> Vec<Step> {
        outcomes
            .iter()
            .enumerate()
            .map(|(i, &failed)| Step {
                series: i as u32,
                failed,
                flaky: false,
                seconds: 1.0,
                row: i as u32,
            })
            .collect()
    }

    /// Test 0 was broken for its first five runs, then fixed and passed five times; test 1
    /// failed every other run (the last one passed); eight more tests always passed. Tests 0
    /// and 1 both failed five times in ten, but the fixed breakage's failures all continued a
    /// streak, so it goes by its runs after a pass (none failed), while the flaky test failed
    /// after most of its passes.
    #[test]
    fn a_fixed_breakage_weighs_less_than_a_flaky_record() {
        let mut model = Model::new(10);
        for k in 0..10 {
            let mut outcomes = vec![k < 5, k % 2 == 0];
            outcomes.extend([false; 8]);
            model.learn(&run(&outcomes), k == 0);
        }
        let fixed = model.estimate(0);
        assert_eq!(fixed.basis, Basis::Passing);
        let flaky = model.estimate(1);
        assert_eq!(flaky.basis, Basis::Passing);
        let (fixed, flaky) = (fixed.chance, flaky.chance);
        assert!(flaky > 2.0 * fixed, "{flaky} {fixed}");
        assert!(
            fixed > model.chance(2),
            "fewer runs after a pass than the others"
        );
        // Once each fails again, the breakage's failures persisted four times out of five,
        // the flaky test's never: the breakage goes first.
        let mut outcomes = vec![true, true];
        outcomes.extend([false; 8]);
        model.learn(&run(&outcomes), false);
        assert!(
            model.chance(0) > model.chance(1),
            "{} {}",
            model.chance(0),
            model.chance(1)
        );
    }

    /// The tests of a variant's first run open the window and are not new: a test that
    /// appears later, while none has yet, gets the middle value, not the overall rate.
    #[test]
    fn the_opening_runs_tests_are_not_new() {
        let mut model = Model::new(11);
        model.learn(&run(&[false; 10]), true);
        assert_eq!(model.estimate(10).basis, Basis::New);
        assert!(
            (model.chance(10) - 0.5).abs() < 1e-12,
            "{}",
            model.chance(10)
        );
        // Counted as new, ten first runs that passed would have put it near 1 in 12.
        let mut counted = Model::new(11);
        counted.learn(&run(&[false; 10]), false);
        assert!((counted.chance(10) - 1.0 / 12.0).abs() < 1e-12);
        assert!(model.chance(10) > model.chance(0));
    }

    /// The weight goes to the estimate that predicted the outcomes. Breakages that persist
    /// for three runs and are then fixed for good are what the chain describes; failures at
    /// a steady rate per test, independent of the last outcome, are what the decayed rate
    /// describes (the chain splits each test's record in two and so learns it more slowly).
    #[test]
    fn the_weight_follows_the_estimate_that_predicted() {
        let mut streaks = Model::new(40);
        for k in 0..60 {
            // Test i is broken in runs i .. i + 3.
            let outcomes: Vec<bool> = (0..40).map(|i| (i..i + 3).contains(&k)).collect();
            streaks.learn(&run(&outcomes), k == 0);
        }
        assert!(streaks.chain_weight() > 0.99, "{}", streaks.chain_weight());

        let mut steady = Model::new(40);
        let mut seed = 1u64;
        for k in 0..60 {
            // Test i fails with chance i / 40, independently run to run.
            let outcomes: Vec<bool> = (0..40)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 33) as f64 / (1u64 << 31) as f64) < f64::from(i) / 40.0
                })
                .collect();
            steady.learn(&run(&outcomes), k == 0);
        }
        assert!(steady.chain_weight() < 0.01, "{}", steady.chain_weight());
    }
}

//! testsift's failure-likelihood model: what it knows of each test before a run, learned from
//! the runs before it only. `backtest priority` replays it run by run and scores its order;
//! `select priority` writes its order after learning every run of the window. Formula and
//! replay figures: docs/backtest.md.

use super::Step;

/// What testsift knows of each test before a run, learned from the runs before it.
///
/// Each test is a two-state chain: the chance it fails next depends on whether its last run
/// failed, and is estimated from its own record smoothed with everyone's (empirical Bayes, so
/// a test with few runs goes by what tests in general did):
/// - never run before: the share of first runs that failed, so far in the window;
/// - its last executed run failed: how often its failed runs were followed by another failure
///   (a breakage persists until it is fixed; a flaky failure does not), smoothed with
///   [`PRIOR_RUNS`] runs' worth of that share over all tests;
/// - its last run passed: how often its runs after a pass failed, each with weight
///   `(1 − DECAY)^age` (recent runs weigh more), smoothed with [`PRIOR_RUNS`] runs' worth of
///   that share over all tests. A failure that passed on retry counts as [`FLAKY_WEIGHT`] of
///   a failure. Failures that continued a streak do not count here, so a breakage that was
///   fixed does not make the test look likely to fail afterwards.
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
        }
    }

    /// The estimated chance that the test of `series` fails in the next run.
    pub(crate) fn chance(&self, series: u32) -> f64 {
        self.estimate(series).0
    }

    /// The chance and the rule it came from.
    pub(crate) fn estimate(&self, series: u32) -> (f64, Basis) {
        let t = &self.tests[series as usize];
        // Shares smoothed with one run's worth of a coarser one, so that an empty history
        // gives a middle value, and a passing test starts from the overall failure rate.
        let overall = (self.failed + 1.0) / (self.seen + 2.0);
        if t.runs == 0 {
            return (
                (self.new_failed + overall) / (self.new_seen + 1.0),
                Basis::New,
            );
        }
        if t.streak > 0 {
            let everyone = (self.after_fail_failed + 1.0) / (self.after_fail_seen + 2.0);
            let own = (f64::from(t.after_fail_failed) + PRIOR_RUNS * everyone)
                / (f64::from(t.after_fail_seen) + PRIOR_RUNS);
            return (own, Basis::Failing { streak: t.streak });
        }
        let everyone = (self.after_pass_failed + overall) / (self.after_pass_seen + 1.0);
        let own =
            (t.after_pass_failed + PRIOR_RUNS * everyone) / (t.after_pass_weight + PRIOR_RUNS);
        (own, Basis::Passing)
    }

    pub(crate) fn state(&self, series: u32) -> &TestState {
        &self.tests[series as usize]
    }

    /// The test's mean time so far; unknown for a new test, which then goes by its chance only.
    pub(crate) fn cost(&self, series: u32) -> f64 {
        let t = &self.tests[series as usize];
        if t.runs == 0 { 0.0 } else { t.mean_seconds }
    }

    /// Takes one run in.
    pub(crate) fn learn(&mut self, steps: &[Step]) {
        for s in steps {
            let failed = f64::from(u8::from(s.failed));
            let t = &mut self.tests[s.series as usize];
            if t.runs == 0 {
                self.new_seen += 1.0;
                self.new_failed += failed;
            } else if t.streak > 0 {
                self.after_fail_seen += 1.0;
                self.after_fail_failed += failed;
                t.after_fail_seen += 1;
                t.after_fail_failed += u32::from(s.failed);
            } else {
                let weight = if s.failed {
                    1.0
                } else if s.flaky {
                    FLAKY_WEIGHT
                } else {
                    0.0
                };
                self.after_pass_seen += 1.0;
                self.after_pass_failed += weight;
                t.after_pass_failed = t.after_pass_failed * (1.0 - DECAY) + weight;
                t.after_pass_weight = t.after_pass_weight * (1.0 - DECAY) + 1.0;
            }
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
            model.learn(&run(&outcomes));
        }
        let (fixed, basis) = model.estimate(0);
        assert_eq!(basis, Basis::Passing);
        let (flaky, basis) = model.estimate(1);
        assert_eq!(basis, Basis::Passing);
        assert!(flaky > 2.0 * fixed, "{flaky} {fixed}");
        assert!(
            fixed > model.chance(2),
            "fewer runs after a pass than the others"
        );
        // Once each fails again, the breakage's failures persisted four times out of five,
        // the flaky test's never: the breakage goes first.
        let mut outcomes = vec![true, true];
        outcomes.extend([false; 8]);
        model.learn(&run(&outcomes));
        assert!(
            model.chance(0) > model.chance(1),
            "{} {}",
            model.chance(0),
            model.chance(1)
        );
    }
}

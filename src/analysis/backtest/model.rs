//! testsift's failure-likelihood model: what it knows of each test before a run, learned from
//! the runs before it only. `backtest priority` replays it run by run and scores its order;
//! `select priority` writes its order after learning every run of the window. Formula and
//! replay figures: docs/backtest.md.

use super::Step;

/// What testsift knows of each test before a run, learned from the runs before it.
///
/// Two kinds of estimate of the chance that a test fails next, each from its own record
/// smoothed with everyone's (empirical Bayes, so a test with few runs goes by what tests in
/// general did):
///
/// - **the chain**: the chance depends on whether its last executed run failed:
///   - its last run failed: how often its failed runs were followed by another failure (a
///     breakage persists until it is fixed; a flaky failure does not), smoothed with
///     [`PRIOR_RUNS`] runs' worth of that share over all tests;
///   - its last run passed: how often its runs after a pass failed, smoothed with
///     [`PRIOR_RUNS`] runs' worth of that share over all tests. Failures that continued a
///     streak do not count here, so a breakage that was fixed does not make the test look
///     likely to fail afterwards.
/// - **the failure rate**: how often it failed over all its runs, smoothed with
///   [`PRIOR_RUNS`] runs' worth of the overall failure rate.
///
/// Each is kept at two memories ([`Memory`]): its runs weighted `(1 − DECAY)^age` (recent runs
/// weigh more, for a test whose behaviour changes), and all its runs alike (for a test that
/// fails at a steady rate, where the whole record estimates it best). The chain's runs after a
/// failure are counted alike in both.
///
/// A failure that passed on retry counts as [`FLAKY_WEIGHT`] of a failure in the rates. The
/// chance is the four estimates' mean weighted by how well each predicted the runs learned so
/// far (Bayes' rule over the four: each weight is proportional to the product of the chances
/// it gave the outcomes that happened). Histories where failures persist or stop as a chain
/// says go by the chain; histories where a test's failures come and go at a rate go by the
/// rate; steady histories go by the whole record, changing ones by the recent runs.
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
    /// The natural log of how likely each estimate found the outcomes learned so far, less the
    /// likeliest one's (so the best is 0), each at least −[`MAX_LOG_ODDS`]. Indexed by
    /// [`Estimator::index`].
    log_likelihood: [f64; ESTIMATORS],
    /// The weights [`Model::log_likelihood`] gives, kept from the last [`Model::learn`].
    weights: [f64; ESTIMATORS],
}

/// How far back a weighted count looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Memory {
    /// Each run weighs `(1 − DECAY)^age`, the newest 1.
    Recent,
    /// Every run weighs 1.
    Whole,
}

impl Memory {
    const BOTH: [Memory; 2] = [Memory::Recent, Memory::Whole];

    fn keep(self) -> f64 {
        match self {
            Memory::Recent => 1.0 - DECAY,
            Memory::Whole => 1.0,
        }
    }
}

/// One of the model's estimates: the chain or the failure rate, at one memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Estimator {
    Chain(Memory),
    Rate(Memory),
}

pub(crate) const ESTIMATORS: usize = 4;

impl Estimator {
    pub(crate) const ALL: [Estimator; ESTIMATORS] = [
        Estimator::Chain(Memory::Recent),
        Estimator::Chain(Memory::Whole),
        Estimator::Rate(Memory::Recent),
        Estimator::Rate(Memory::Whole),
    ];

    /// Its place in [`Estimator::ALL`] and in every per-estimator array.
    pub(crate) fn index(self) -> usize {
        match self {
            Estimator::Chain(Memory::Recent) => 0,
            Estimator::Chain(Memory::Whole) => 1,
            Estimator::Rate(Memory::Recent) => 2,
            Estimator::Rate(Memory::Whole) => 3,
        }
    }
}

/// A weighted count: Σ wₖ·failedₖ and Σ wₖ, at each [`Memory`] (indexed as [`Memory::BOTH`]).
#[derive(Debug, Clone, Copy, Default)]
struct Weighted {
    failed: [f64; 2],
    weight: [f64; 2],
}

impl Weighted {
    fn add(&mut self, failed: f64) {
        for (i, m) in Memory::BOTH.into_iter().enumerate() {
            self.failed[i] = self.failed[i] * m.keep() + failed;
            self.weight[i] = self.weight[i] * m.keep() + 1.0;
        }
    }

    /// The share smoothed with `prior_runs` runs' worth of `prior`.
    fn share(&self, memory: Memory, prior: f64) -> f64 {
        let i = usize::from(memory == Memory::Whole);
        (self.failed[i] + PRIOR_RUNS * prior) / (self.weight[i] + PRIOR_RUNS)
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TestState {
    pub(crate) runs: u32,
    pub(crate) failures: u32,
    pub(crate) streak: u32,
    /// Its runs that followed a failed run, and how many of them failed again.
    after_fail_seen: u32,
    after_fail_failed: u32,
    /// Its runs that followed a passed run.
    after_pass: Weighted,
    /// All its runs.
    all: Weighted,
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
/// The bound of [`Model::log_likelihood`]: beyond e^30 to one, an estimate has no weight
/// left (to 1e-13); the bound keeps a weight able to come back within a few dozen runs when
/// the history changes character.
const MAX_LOG_ODDS: f64 = 30.0;
/// Chances are kept in [ε, 1 − ε] when an outcome's likelihood is taken, so that one surprise
/// costs an estimate a bounded amount.
const EPSILON: f64 = 1e-4;

/// What the chance of a test came from: the rule of the chain, each estimate's own chance and
/// its weight (indexed by [`Estimator::index`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Estimate {
    pub(crate) chance: f64,
    pub(crate) basis: Basis,
    pub(crate) parts: [f64; ESTIMATORS],
    pub(crate) weights: [f64; ESTIMATORS],
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
            log_likelihood: [0.0; ESTIMATORS],
            weights: [1.0 / ESTIMATORS as f64; ESTIMATORS],
        }
    }

    /// The estimated chance that the test of `series` fails in the next run.
    pub(crate) fn chance(&self, series: u32) -> f64 {
        self.estimate(series).chance
    }

    /// Each estimate's weight in the chance, from how well it predicted (they sum to 1).
    pub(crate) fn weights(&self) -> [f64; ESTIMATORS] {
        self.weights
    }

    /// The chance and what it came from.
    pub(crate) fn estimate(&self, series: u32) -> Estimate {
        let (parts, basis) = self.parts(series);
        let weights = self.weights;
        Estimate {
            chance: parts.iter().zip(weights).map(|(p, w)| p * w).sum(),
            basis,
            parts,
            weights,
        }
    }

    /// Each estimate's chance, and the chain's rule.
    fn parts(&self, series: u32) -> ([f64; ESTIMATORS], Basis) {
        let t = &self.tests[series as usize];
        // Shares smoothed with a coarser one, so that an empty history gives a middle value,
        // and a passing test starts from the overall failure rate.
        let overall = (self.failed + 1.0) / (self.seen + 2.0);
        if t.runs == 0 {
            // A middle value until new tests have been seen: a test nobody knows anything
            // about goes before the ones known to pass.
            let new = (self.new_failed + 1.0) / (self.new_seen + 2.0);
            return ([new; ESTIMATORS], Basis::New);
        }
        // The chain's chance at each memory (indexed as `Memory::BOTH`).
        let (basis, chain) = if t.streak > 0 {
            let everyone = (self.after_fail_failed + 1.0) / (self.after_fail_seen + 2.0);
            let own = (f64::from(t.after_fail_failed) + PRIOR_RUNS * everyone)
                / (f64::from(t.after_fail_seen) + PRIOR_RUNS);
            (Basis::Failing { streak: t.streak }, [own, own])
        } else {
            let everyone = (self.after_pass_failed + overall) / (self.after_pass_seen + 1.0);
            (
                Basis::Passing,
                Memory::BOTH.map(|m| t.after_pass.share(m, everyone)),
            )
        };
        let parts = Estimator::ALL.map(|e| match e {
            Estimator::Chain(m) => chain[usize::from(m == Memory::Whole)],
            Estimator::Rate(m) => t.all.share(m, overall),
        });
        (parts, basis)
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
        // How likely each estimate found this run's outcomes, before learning them: products
        // of chances, taken into the log every CHUNK of them (each chance is at least ε, so a
        // product of CHUNK stays far above the smallest f64).
        const CHUNK: u32 = 64;
        let mut product = [1.0; ESTIMATORS];
        let mut in_product = 0;
        for s in steps {
            let (parts, basis) = self.parts(s.series);
            if basis == Basis::New {
                continue;
            }
            for (x, p) in product.iter_mut().zip(parts) {
                let p = p.clamp(EPSILON, 1.0 - EPSILON);
                *x *= if s.failed { p } else { 1.0 - p };
            }
            in_product += 1;
            if in_product == CHUNK {
                for (ll, x) in self.log_likelihood.iter_mut().zip(&mut product) {
                    *ll += x.ln();
                    *x = 1.0;
                }
                in_product = 0;
            }
        }
        for (ll, x) in self.log_likelihood.iter_mut().zip(product) {
            *ll += x.ln();
        }
        let best = self
            .log_likelihood
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        for ll in &mut self.log_likelihood {
            *ll = (*ll - best).max(-MAX_LOG_ODDS);
        }
        self.weights = self.log_likelihood.map(f64::exp);
        let total: f64 = self.weights.iter().sum();
        for w in &mut self.weights {
            *w /= total;
        }
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
                t.after_pass.add(weight);
            }
            t.all.add(weight);
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

    /// Learns `runs` runs of the model's tests in which test i fails in run k with chance
    /// `chance(k, i)`, drawn from a fixed-seed generator.
    fn learn_random(
        model: &mut Model,
        runs: usize,
        mut seed: u64,
        chance: impl Fn(usize, u32) -> f64,
    ) {
        let tests = model.tests.len() as u32;
        for k in 0..runs {
            let outcomes: Vec<bool> = (0..tests)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 33) as f64 / (1u64 << 31) as f64) < chance(k, i)
                })
                .collect();
            model.learn(&run(&outcomes), k == 0);
        }
    }

    /// Rates that change part way through are best estimated from the recent runs: test i
    /// fails with chance i / 40 for 40 runs, then with chance 1 − i / 40.
    #[test]
    fn changing_rates_give_the_weight_to_the_recent_runs() {
        let mut model = Model::new(40);
        learn_random(&mut model, 80, 7, |k, i| {
            let p = f64::from(i) / 40.0;
            if k < 40 { p } else { 1.0 - p }
        });
        let w = model.weights();
        let recent = w[Estimator::Chain(Memory::Recent).index()]
            + w[Estimator::Rate(Memory::Recent).index()];
        assert!(recent > 0.99, "{w:?}");
    }

    /// The weight goes to the estimate that predicted the outcomes. Breakages that persist
    /// for three runs and are then fixed for good are what the chain describes; failures at
    /// a steady rate per test, independent of the last outcome, are what the failure rate
    /// describes (the chain splits each test's record in two and so learns it more slowly).
    #[test]
    fn the_weight_follows_the_estimate_that_predicted() {
        let mut streaks = Model::new(40);
        for k in 0..60 {
            // Test i is broken in runs i .. i + 3.
            let outcomes: Vec<bool> = (0..40).map(|i| (i..i + 3).contains(&k)).collect();
            streaks.learn(&run(&outcomes), k == 0);
        }
        let w = streaks.weights();
        assert!(w[0] + w[1] > 0.99, "{w:?}");

        let mut steady = Model::new(40);
        // Test i fails with chance i / 40, independently run to run.
        learn_random(&mut steady, 60, 1, |_, i| f64::from(i) / 40.0);
        let w = steady.weights();
        assert!(w[0] + w[1] < 0.01, "{w:?}");
        // A steady rate is best estimated from the whole record.
        let whole = w[Estimator::Rate(Memory::Whole).index()];
        assert!(whole > 0.99, "{w:?}");
    }
}

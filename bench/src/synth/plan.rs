//! The plan of a synthetic history: the test suite (modules, classes, tests and their hidden
//! behaviour) and, run by run, which of the interesting tests pass, flake or fail.
//!
//! Planning is sequential and cheap (only the ~3 % of tests with a behaviour are drawn per run);
//! writing the reports, which is where the time goes, then runs in parallel from this plan.

use std::collections::HashSet;

use crate::rng::Rng;
use crate::synth::Config;
use crate::synth::text::{self, FailureKind};

/// Stream tags for [`Rng::derive`], one per independent decision.
pub(crate) mod stream {
    pub(crate) const SUITE: u64 = 1;
    pub(crate) const RUNS: u64 = 2;
    pub(crate) const OUTCOMES: u64 = 3;
    pub(crate) const WRITE: u64 = 4;
    pub(crate) const BROKEN_MESSAGE: u64 = 5;
}

/// Probability that a test is flaky (ground truth).
const FLAKY_SHARE: f64 = 0.03;
/// Probability that a test breaks at some point in the history.
const BROKEN_SHARE: f64 = 0.002;
/// Probability that a test is always skipped (`@Disabled`).
const SKIPPED_SHARE: f64 = 0.01;
/// Probability that a test writes to stdout in every run.
const CHATTY_SHARE: f64 = 0.05;
/// Probability that a failed pipeline is re-run on the same commit.
const RERUN_SHARE: f64 = 0.35;
/// Share of Maven modules that use `rerunFailingTestsCount=2`.
const RETRYING_MODULE_SHARE: f64 = 0.5;
/// First run's timestamp: 2025-01-06T08:00:00Z, a Monday morning.
const EPOCH_START: i64 = 1_736_150_400;

/// A Maven module: a package prefix and its Surefire retry setting.
#[derive(Debug)]
pub(crate) struct Module {
    pub(crate) name: String,
    /// `rerunFailingTestsCount`: 0 (fail outright) or 2 (flaky tests can recover).
    pub(crate) retries: u8,
}

/// A test class: one `<testsuite>` in the `<testsuites>`-rooted shards.
#[derive(Debug)]
pub(crate) struct Class {
    pub(crate) package: String,
    pub(crate) simple: String,
    /// `package.simple`, the `classname` attribute.
    pub(crate) fqcn: String,
    pub(crate) module: usize,
    /// 0-based shard (report file) the class runs in.
    pub(crate) shard: usize,
    /// Range into [`Suite::tests`].
    pub(crate) tests: std::ops::Range<usize>,
}

/// What a test does over the history (the ground truth).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Behaviour {
    /// Passes in every run (apart from skipped tests, which never run).
    Steady,
    /// Each attempt fails independently with probability `rate`.
    Flaky { rate: f64 },
    /// Fails on the commits of runs `start..=end` (1-based run numbers; `end: None` = to the last
    /// run). A re-run tests the commit of the run it repeats, so it fails exactly when that run
    /// did: a breakage arrives and leaves with a commit, never between two attempts of one.
    Broken { start: u32, end: Option<u32> },
}

/// One test case.
#[derive(Debug)]
pub(crate) struct Test {
    pub(crate) class: usize,
    /// The `name` attribute (may hold parameters or a display name).
    pub(crate) name: String,
    /// The Java method, for stack frames.
    pub(crate) method: String,
    pub(crate) line: u32,
    /// Median duration in seconds; each run jitters around it.
    pub(crate) base_secs: f64,
    pub(crate) skipped: bool,
    /// Bytes of `<system-out>` per run, 0 for a quiet test.
    pub(crate) output_bytes: u32,
    pub(crate) behaviour: Behaviour,
    pub(crate) failure: FailureKind,
    /// Index into [`Suite::special`] when the behaviour is not steady.
    pub(crate) special: Option<u32>,
}

/// The whole test suite.
#[derive(Debug)]
pub(crate) struct Suite {
    pub(crate) modules: Vec<Module>,
    pub(crate) classes: Vec<Class>,
    pub(crate) tests: Vec<Test>,
    /// Tests whose behaviour is not steady, in test order.
    pub(crate) special: Vec<usize>,
    /// Class indices per shard, in class order.
    pub(crate) shards: Vec<Vec<usize>>,
}

/// What happened to an interesting test in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pass,
    /// Failed `failed_attempts` times, then passed on a Surefire retry.
    Flaky {
        failed_attempts: u8,
    },
    /// Failed all `attempts` attempts.
    Fail {
        attempts: u8,
    },
}

/// One CI run.
#[derive(Debug)]
pub(crate) struct Run {
    /// 1-based run number, the `run-NNNN` directory.
    pub(crate) number: u32,
    pub(crate) commit: String,
    pub(crate) pipeline: u32,
    pub(crate) attempt: u8,
    /// The number of the pipeline's first run, whose commit this run tests: `number` itself,
    /// or that of the run a re-run repeats.
    pub(crate) code: u32,
    /// Unix seconds.
    pub(crate) timestamp: i64,
    /// Indexed like [`Suite::special`].
    pub(crate) outcomes: Vec<Outcome>,
    /// What `run.json` says about the run beyond its number; `None` for the plain history
    /// (run id `run-NNNN`, branch `main`).
    pub(crate) ci: Option<CiRun>,
}

/// The identity of a run of a realistic CI history (see [`crate::synth::ci`]).
#[derive(Debug, Clone)]
pub(crate) struct CiRun {
    /// The CI's run id, shared by the attempts of one pipeline.
    pub(crate) run_id: String,
    pub(crate) branch: String,
    /// 0-based shard whose job crashed: every test in it errors with one message.
    pub(crate) crashed_shard: Option<usize>,
    /// Tests (indices into [`Suite::tests`]) written under their new name in this run: they
    /// were renamed at or before its commit.
    pub(crate) renamed: Vec<usize>,
    /// An external service the run's tests call was down while it ran.
    pub(crate) outage: Option<RunOutage>,
}

/// An outage of an external service during one run: every test that calls the service fails
/// every attempt with the service's one message, whatever its code does.
#[derive(Debug, Clone)]
pub(crate) struct RunOutage {
    /// Indices into [`Suite::tests`], sorted.
    pub(crate) tests: Vec<usize>,
    /// Which service was down (the message its clients report).
    pub(crate) service: usize,
    /// Attempts of each test that failed: 1 plus the run's in-run retries.
    pub(crate) attempts: u8,
}

impl RunOutage {
    /// Whether test `t` called the service in this run (skipped tests call nothing).
    pub(crate) fn hits(&self, suite: &Suite, t: usize) -> bool {
        !suite.tests[t].skipped && self.tests.binary_search(&t).is_ok()
    }
}

impl Suite {
    /// Draws the suite for `config`.
    pub(crate) fn plan(config: &Config) -> Self {
        let mut rng = Rng::derive(config.seed, stream::SUITE, 0);
        let class_count = config.tests.div_ceil(20).max(1);
        let module_count = class_count.div_ceil(15).max(1);
        let modules: Vec<Module> = (0..module_count)
            .map(|i| {
                let word = text::MODULES[i % text::MODULES.len()];
                let name = match i / text::MODULES.len() {
                    0 => word.to_owned(),
                    n => format!("{word}{}", n + 1),
                };
                let retries = if rng.chance(RETRYING_MODULE_SHARE) {
                    2
                } else {
                    0
                };
                Module { name, retries }
            })
            .collect();

        let mut classes = Vec::new();
        let mut tests = Vec::new();
        let mut fqcns = HashSet::new();
        let mut remaining = config.tests;
        while remaining > 0 {
            let size = if classes.len() + 1 >= class_count {
                remaining
            } else {
                (rng.range(8, 32) as usize).min(remaining)
            };
            let module = rng.below(modules.len() as u64) as usize;
            let (package, simple, fqcn) = loop {
                let (package, mut simple) = text::class_name(&mut rng, &modules[module].name);
                if fqcns.contains(&format!("{package}.{simple}")) {
                    simple = format!(
                        "{}{}Test",
                        simple.trim_end_matches("Test"),
                        rng.range(2, 99)
                    );
                }
                let fqcn = format!("{package}.{simple}");
                if fqcns.insert(fqcn.clone()) {
                    break (package, simple, fqcn);
                }
            };
            let index = classes.len();
            let first = tests.len();
            plan_tests(&mut rng, config, index, size, &mut tests);
            classes.push(Class {
                package,
                simple,
                fqcn,
                module,
                shard: 0,
                tests: first..tests.len(),
            });
            remaining -= size;
        }

        // Static sharding: classes dealt round-robin in a shuffled order, like a CI matrix that
        // splits by class.
        let mut order: Vec<usize> = (0..classes.len()).collect();
        rng.shuffle(&mut order);
        let mut shards = vec![Vec::new(); config.shards];
        for (i, &class) in order.iter().enumerate() {
            classes[class].shard = i % config.shards;
            shards[i % config.shards].push(class);
        }
        for shard in &mut shards {
            shard.sort_unstable();
        }

        let mut suite = Self {
            modules,
            classes,
            tests,
            special: Vec::new(),
            shards,
        };
        suite.index_special();
        suite
    }

    /// Lists the tests whose behaviour is not steady in [`Suite::special`], after a change of
    /// behaviours.
    pub(crate) fn index_special(&mut self) {
        self.special.clear();
        for (i, test) in self.tests.iter_mut().enumerate() {
            test.special = None;
            if test.behaviour != Behaviour::Steady {
                test.special = Some(self.special.len() as u32);
                self.special.push(i);
            }
        }
    }

    /// Surefire retries for the module of `test`.
    pub(crate) fn retries(&self, test: usize) -> u8 {
        self.modules[self.classes[self.tests[test].class].module].retries
    }

    /// Draws every run: commits, re-runs and the outcome of each interesting test.
    pub(crate) fn plan_runs(&self, config: &Config) -> Vec<Run> {
        let mut rng = Rng::derive(config.seed, stream::RUNS, 0);
        let mut runs: Vec<Run> = Vec::with_capacity(config.runs as usize);
        let mut pipeline = 0;
        for number in 1..=config.runs {
            let rerun = runs.last().filter(|prev| {
                prev.attempt == 1
                    && prev
                        .outcomes
                        .iter()
                        .any(|o| matches!(o, Outcome::Fail { .. }))
            });
            let (commit, attempt, code) = match rerun {
                Some(prev) if rng.chance(RERUN_SHARE) => (prev.commit.clone(), 2, prev.code),
                _ => {
                    pipeline += 1;
                    (
                        format!(
                            "{:016x}{:016x}{:08x}",
                            rng.next_u64(),
                            rng.next_u64(),
                            rng.next_u64() as u32
                        ),
                        1,
                        number,
                    )
                }
            };
            let timestamp = EPOCH_START + i64::from(number - 1) * 3600 + rng.below(1800) as i64;
            let mut outcome_rng = Rng::derive(config.seed, stream::OUTCOMES, u64::from(number));
            let outcomes = self
                .special
                .iter()
                .map(|&t| {
                    outcome(
                        &mut outcome_rng,
                        self.tests[t].behaviour,
                        self.retries(t),
                        code,
                    )
                })
                .collect();
            runs.push(Run {
                number,
                commit,
                pipeline,
                attempt,
                code,
                timestamp,
                outcomes,
                ci: None,
            });
        }
        runs
    }
}

/// What `behaviour` does in a run that tests the commit of run `code` (see [`Run::code`]), with
/// `retries` Surefire reruns.
pub(crate) fn outcome(rng: &mut Rng, behaviour: Behaviour, retries: u8, code: u32) -> Outcome {
    match behaviour {
        Behaviour::Steady => Outcome::Pass,
        Behaviour::Broken { start, end } => {
            if code >= start && end.is_none_or(|end| code <= end) {
                Outcome::Fail {
                    attempts: retries + 1,
                }
            } else {
                Outcome::Pass
            }
        }
        Behaviour::Flaky { rate } => {
            let mut failed = 0;
            while failed <= retries && rng.chance(rate) {
                failed += 1;
            }
            match failed {
                0 => Outcome::Pass,
                n if n > retries => Outcome::Fail { attempts: n },
                n => Outcome::Flaky { failed_attempts: n },
            }
        }
    }
}

/// Appends `count` tests of class `class` to `tests`.
fn plan_tests(rng: &mut Rng, config: &Config, class: usize, count: usize, tests: &mut Vec<Test>) {
    let mut names = HashSet::new();
    let mut made = 0;
    while made < count {
        let method = text::method_name(rng);
        // A parameterised method yields a few tests at once; a display name now and then.
        let invocations = if rng.chance(0.08) {
            rng.range(2, 5) as usize
        } else {
            1
        };
        let display = invocations == 1 && rng.chance(0.005);
        let signature = text::signature(rng);
        for k in 1..=invocations.min(count - made) {
            let name = if invocations > 1 {
                // As JUnit 5 and Surefire report an invocation: `method(String)[3]`.
                format!("{method}{signature}[{k}]")
            } else if display {
                text::display_name(rng)
            } else {
                method.clone()
            };
            if !names.insert(name.clone()) {
                continue;
            }
            let line = 20 + 12 * made as u32 + rng.below(8) as u32;
            tests.push(draw_test(rng, config, class, name, method.clone(), line));
            made += 1;
        }
    }
}

fn draw_test(
    rng: &mut Rng,
    config: &Config,
    class: usize,
    name: String,
    method: String,
    line: u32,
) -> Test {
    // Heavy tail: most tests take 1-50 ms, a few percent take seconds.
    let base_secs = if rng.chance(0.04) {
        rng.lognormal(1.2, 0.9)
    } else {
        rng.lognormal(0.006, 1.1)
    }
    .clamp(0.001, 90.0);
    let skipped = rng.chance(SKIPPED_SHARE);
    let output_bytes = if rng.chance(CHATTY_SHARE) {
        // 1-20 KB, most of it at the small end.
        (1024.0 * 20f64.powf(rng.f64() * rng.f64())) as u32
    } else {
        0
    };
    let roll = rng.f64();
    let behaviour = if skipped {
        Behaviour::Steady
    } else if roll < FLAKY_SHARE {
        Behaviour::Flaky {
            rate: rng.log_uniform(0.01, 0.3),
        }
    } else if roll < FLAKY_SHARE + BROKEN_SHARE {
        let start = rng.range(1, u64::from(config.runs)) as u32;
        let end = if rng.chance(0.6) {
            let last = u64::from(start) + rng.range(2, 60);
            (last < u64::from(config.runs)).then_some(last as u32)
        } else {
            None
        };
        Behaviour::Broken { start, end }
    } else {
        Behaviour::Steady
    };
    let failure = FailureKind::random(rng);
    Test {
        class,
        name,
        method,
        line,
        base_secs,
        skipped,
        output_bytes,
        behaviour,
        failure,
        special: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn config(runs: u32, tests: usize) -> Config {
        Config {
            runs,
            tests,
            shards: 3,
            seed: 7,
            out: PathBuf::new(),
            dialect: None,
        }
    }

    #[test]
    fn suite_has_exactly_the_requested_tests_and_unique_names() {
        let suite = Suite::plan(&config(10, 997));
        assert_eq!(suite.tests.len(), 997);
        let mut ids = HashSet::new();
        for test in &suite.tests {
            assert!(ids.insert((suite.classes[test.class].fqcn.clone(), test.name.clone())));
        }
        assert_eq!(
            suite.shards.iter().map(Vec::len).sum::<usize>(),
            suite.classes.len()
        );
        assert!(suite.shards.iter().all(|s| !s.is_empty()));
    }

    #[test]
    fn planning_is_deterministic() {
        let a = Suite::plan(&config(50, 500));
        let b = Suite::plan(&config(50, 500));
        assert_eq!(
            a.tests.iter().map(|t| &t.name).collect::<Vec<_>>(),
            b.tests.iter().map(|t| &t.name).collect::<Vec<_>>()
        );
        let runs_a = a.plan_runs(&config(50, 500));
        let runs_b = b.plan_runs(&config(50, 500));
        assert_eq!(
            runs_a.iter().map(|r| &r.outcomes).collect::<Vec<_>>(),
            runs_b.iter().map(|r| &r.outcomes).collect::<Vec<_>>()
        );
    }

    #[test]
    fn broken_tests_fail_exactly_in_their_window() {
        let mut rng = Rng::new(1);
        let broken = Behaviour::Broken {
            start: 5,
            end: Some(7),
        };
        let fails: Vec<u32> = (1..=10)
            .filter(|&n| {
                matches!(
                    outcome(&mut rng, broken, 2, n),
                    Outcome::Fail { attempts: 3 }
                )
            })
            .collect();
        assert_eq!(fails, vec![5, 6, 7]);
    }

    #[test]
    fn flaky_tests_recover_only_with_retries() {
        let mut rng = Rng::new(2);
        let flaky = Behaviour::Flaky { rate: 0.3 };
        let with: Vec<Outcome> = (0..2000).map(|_| outcome(&mut rng, flaky, 2, 1)).collect();
        assert!(with.iter().any(|o| matches!(o, Outcome::Flaky { .. })));
        let without: Vec<Outcome> = (0..2000).map(|_| outcome(&mut rng, flaky, 0, 1)).collect();
        assert!(
            without
                .iter()
                .all(|o| matches!(o, Outcome::Pass | Outcome::Fail { attempts: 1 }))
        );
        let fail_share = without.iter().filter(|o| **o != Outcome::Pass).count() as f64 / 2000.0;
        assert!((fail_share - 0.3).abs() < 0.04, "{fail_share}");
    }

    #[test]
    fn reruns_share_the_commit_of_a_failed_run() {
        let cfg = config(300, 2000);
        let suite = Suite::plan(&cfg);
        let runs = suite.plan_runs(&cfg);
        let reruns: Vec<&Run> = runs.iter().filter(|r| r.attempt == 2).collect();
        assert!(!reruns.is_empty());
        for rerun in reruns {
            let prev = &runs[rerun.number as usize - 2];
            assert_eq!(prev.commit, rerun.commit);
            assert_eq!(prev.pipeline, rerun.pipeline);
            assert_eq!(prev.code, rerun.code);
            assert!(prev.timestamp < rerun.timestamp);
        }
    }

    #[test]
    fn a_rerun_of_a_broken_commit_fails_again() {
        let cfg = config(300, 4000);
        let suite = Suite::plan(&cfg);
        let runs = suite.plan_runs(&cfg);
        let broken: Vec<usize> = (0..suite.special.len())
            .filter(|&s| {
                matches!(
                    suite.tests[suite.special[s]].behaviour,
                    Behaviour::Broken { .. }
                )
            })
            .collect();
        assert!(!broken.is_empty());
        let mut checked = 0;
        for rerun in runs.iter().filter(|r| r.attempt == 2) {
            let prev = &runs[rerun.number as usize - 2];
            for &s in &broken {
                let failed = |r: &Run| matches!(r.outcomes[s], Outcome::Fail { .. });
                assert_eq!(failed(prev), failed(rerun), "run {}", rerun.number);
                checked += usize::from(failed(rerun));
            }
        }
        assert!(checked > 0, "no re-run of a broken commit in this plan");
    }
}

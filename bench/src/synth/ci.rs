//! Histories shaped like real CI, for the quality benchmark (`synth --dialect D`): the commits of
//! `main`, each tested on a pull-request branch before it lands and again on `main`; re-runs
//! (attempt 2 of the same CI run) after red runs; pull-request branches that still run an old
//! commit after `main` moved on; breakages that start at one commit and break one or several
//! tests until a later commit fixes them (every execution on the broken commits fails, retries
//! included); shard crashes (one job's tests all error with one message, then the run is re-run);
//! in-run retries switched on part-way through the history; and each dialect's retry format.
//! Feature branches push commits of their own that never land on `main`, often on a base some
//! commits old (so they pass while `main` is broken, when their base is older than the
//! breakage); some of them break a test on their first push and fix it on the next.
//!
//! The truth records, per broken test, its first bad commit and the commit that fixed it.

use std::fmt::Write as _;
use std::io::Write as _;

use crate::rng::Rng;
use crate::synth::Config;
use crate::synth::json::{SLOW_SECS, iso8601, string};
use crate::synth::plan::{Behaviour, CiRun, Outcome, Run, Suite, outcome};
use crate::synth::xml::{Counts, escape_attr};

/// Stream tags for [`Rng::derive`], apart from [`crate::synth::plan::stream`]'s.
mod stream {
    pub(super) const BREAKAGES: u64 = 11;
    pub(super) const RUNS: u64 = 12;
    pub(super) const OUTCOMES: u64 = 13;
    pub(super) const WRITE: u64 = 14;
}

/// Share of commits first tested on a pull-request branch.
const PR_SHARE: f64 = 0.5;
/// Share of red runs that are re-run (attempt 2).
const RERUN_SHARE: f64 = 0.4;
/// Share of first attempts in which one shard's job crashes.
const CRASH_SHARE: f64 = 0.03;
/// Share of commits after which a pull-request branch runs an older commit again.
const STALE_SHARE: f64 = 0.06;
/// Share of fixed breakages whose broken commit is run again on a pull-request branch after
/// the fix.
const STALE_AFTER_FIX_SHARE: f64 = 0.6;
/// One breakage per this many runs, on average.
const RUNS_PER_BREAKAGE: u32 = 20;
/// Runs per commit, about: one on `main`, half a pull-request run, re-runs and stale runs.
const RUNS_PER_COMMIT: f64 = 1.8;
/// In-run retries are switched on at this share of the history.
const RETRIES_FROM: f64 = 0.4;
/// Share of `main` commits after which a feature branch pushes a commit of its own.
const FEATURE_SHARE: f64 = 0.3;
/// A feature branch's base is up to this many commits behind `main`.
const FEATURE_STALE_MAX: u64 = 8;
/// Share of feature branches whose first push breaks a test that their next push fixes.
const PR_BUG_SHARE: f64 = 0.3;
/// Steady tests set aside for those pull-request bugs.
const PR_BUG_TESTS: usize = 10;
/// First run's timestamp: 2025-03-03T08:00:00Z.
const EPOCH_START: i64 = 1_740_988_800;

/// The report format a history is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Maven Surefire 3 with `rerunFailingTestsCount=2`: `flakyFailure`, `rerunFailure`.
    Surefire,
    /// cargo-nextest with `retries = 2`: `flakyFailure`, `rerunFailure`.
    Nextest,
    /// Gradle with the test-retry plugin (`maxRetries = 2`, no `mergeReruns`): every attempt is
    /// its own `<testcase>`.
    Gradle,
    /// pytest with pytest-rerunfailures (`--reruns 2`): each rerun is an extra childless
    /// `<testcase>` before the final one.
    Pytest,
    /// jest-junit: no retries.
    Jest,
}

impl Dialect {
    pub const ALL: [Dialect; 5] = [
        Dialect::Surefire,
        Dialect::Nextest,
        Dialect::Gradle,
        Dialect::Pytest,
        Dialect::Jest,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Surefire => "surefire",
            Dialect::Nextest => "nextest",
            Dialect::Gradle => "gradle",
            Dialect::Pytest => "pytest",
            Dialect::Jest => "jest",
        }
    }

    pub fn parse(s: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == s)
    }

    /// In-run retries once they are switched on.
    fn retries(self) -> u8 {
        match self {
            Dialect::Jest => 0,
            _ => 2,
        }
    }

    /// The one message every test of a crashed shard reports.
    fn crash_message(self) -> &'static str {
        match self {
            Dialect::Surefire | Dialect::Gradle => crate::synth::xml::CRASH_MESSAGE,
            Dialect::Nextest => "test binary exited: signal: 9 (SIGKILL)",
            Dialect::Pytest => "worker 'gw1' crashed while running this test",
            Dialect::Jest => {
                "Call retries were exceeded: a Jest worker process was terminated by another process: signal=SIGKILL"
            }
        }
    }
}

/// Tests that start failing at one commit and pass again from a later one.
#[derive(Debug, Clone)]
pub(crate) struct Breakage {
    /// Indices into [`Suite::tests`].
    pub(crate) tests: Vec<usize>,
    /// First broken commit (index into [`History::commits`]).
    pub(crate) first: usize,
    /// First commit that passes again; `None`: never fixed.
    pub(crate) fix: Option<usize>,
}

impl Breakage {
    fn covers(&self, commit: usize) -> bool {
        commit >= self.first && self.fix.is_none_or(|f| commit < f)
    }
}

/// The planned history: runs in time order, the commits of `main` in order, the breakages.
#[derive(Debug)]
pub(crate) struct History {
    pub(crate) runs: Vec<Run>,
    pub(crate) commits: Vec<String>,
    /// Per run: index of its commit.
    pub(crate) run_commit: Vec<usize>,
    pub(crate) breakages: Vec<Breakage>,
    /// Steady tests renamed part-way: (index into [`Suite::tests`], first commit with the new
    /// name). A rename is two tests to the reports: the old id stops, a new one starts.
    pub(crate) renames: Vec<(usize, usize)>,
    /// Tests a feature branch's first push broke and its next push fixed.
    pub(crate) pr_bugs: Vec<PrBug>,
}

/// A test broken by a feature branch's own commit (never on `main`), fixed by its next push.
#[derive(Debug, Clone)]
pub(crate) struct PrBug {
    /// Index into [`Suite::tests`].
    pub(crate) test: usize,
    /// The breaking commit, and the first run of it.
    pub(crate) bad_sha: String,
    pub(crate) bad_run: u32,
    /// The fixing push, once it ran.
    pub(crate) fix_sha: Option<String>,
    pub(crate) fix_run: Option<u32>,
}

/// The name a renamed test has from its rename on.
pub(crate) fn renamed_name(name: &str) -> String {
    format!("{name}_renamed")
}

/// Plans a realistic CI history over `suite`, turning some steady tests into broken ones.
pub(crate) fn plan(config: &Config, suite: &mut Suite, dialect: Dialect) -> History {
    let mut rng = Rng::derive(config.seed, stream::BREAKAGES, 0);
    // The plain generator's broken tests fail by run number; here breakages come with commits.
    for test in &mut suite.tests {
        if matches!(test.behaviour, Behaviour::Broken { .. }) {
            test.behaviour = Behaviour::Steady;
        }
    }
    let est_commits = ((f64::from(config.runs) / RUNS_PER_COMMIT) as usize).max(4);
    let mut candidates: Vec<usize> = (0..suite.tests.len())
        .filter(|&t| !suite.tests[t].skipped && suite.tests[t].behaviour == Behaviour::Steady)
        .collect();
    rng.shuffle(&mut candidates);
    let mut breakages = Vec::new();
    let count = config.runs.div_ceil(RUNS_PER_BREAKAGE);
    for _ in 0..count {
        let first = rng.range(2, est_commits as u64) as usize;
        let roll = rng.f64();
        let fix = if roll < 0.35 {
            Some(first + 1)
        } else if roll < 0.75 {
            Some(first + rng.range(2, 7) as usize)
        } else {
            None
        };
        let size = if rng.chance(0.6) {
            1
        } else {
            rng.range(2, 5) as usize
        };
        let tests: Vec<usize> = (0..size).filter_map(|_| candidates.pop()).collect();
        if tests.is_empty() {
            break;
        }
        for &t in &tests {
            suite.tests[t].behaviour = Behaviour::Broken {
                start: first as u32,
                end: fix.map(|f| f as u32),
            };
        }
        breakages.push(Breakage { tests, first, fix });
    }
    // Steady tests set aside for the bugs of feature branches: broken only where planned.
    let pr_bug_tests: Vec<usize> = (0..PR_BUG_TESTS).filter_map(|_| candidates.pop()).collect();
    for &t in &pr_bug_tests {
        suite.tests[t].behaviour = Behaviour::Broken {
            start: u32::MAX,
            end: None,
        };
    }
    // Two steady tests are renamed at a commit in the middle third of the history.
    let renames: Vec<(usize, usize)> = (0..2)
        .filter_map(|_| candidates.pop())
        .map(|t| {
            let at = rng.range(
                (est_commits / 3).max(1) as u64,
                (2 * est_commits / 3).max(2) as u64,
            );
            (t, at as usize)
        })
        .collect();
    suite.index_special();
    let mut planner = Planner {
        config,
        suite,
        dialect,
        breakages: &breakages,
        rng: Rng::derive(config.seed, stream::RUNS, 0),
        history: History {
            runs: Vec::new(),
            commits: Vec::new(),
            run_commit: Vec::new(),
            breakages: breakages.clone(),
            renames: renames.clone(),
            pr_bugs: Vec::new(),
        },
        pipeline: 0,
        retries_from: (f64::from(config.runs) * RETRIES_FROM) as u32,
        pr_bug_tests,
        sha: None,
        bug: None,
    };
    planner.plan();
    planner.history
}

struct Planner<'a> {
    config: &'a Config,
    suite: &'a Suite,
    dialect: Dialect,
    breakages: &'a [Breakage],
    rng: Rng,
    history: History,
    pipeline: u32,
    retries_from: u32,
    /// Tests left for pull-request bugs.
    pr_bug_tests: Vec<usize>,
    /// While a feature branch's push is run: its own commit, and the test it breaks.
    sha: Option<String>,
    bug: Option<usize>,
}

impl Planner<'_> {
    fn full(&self) -> bool {
        self.history.runs.len() >= self.config.runs as usize
    }

    fn new_sha(&mut self) -> String {
        format!(
            "{:016x}{:016x}{:08x}",
            self.rng.next_u64(),
            self.rng.next_u64(),
            self.rng.next_u64() as u32
        )
    }

    /// One push of a feature branch based on `main`'s commit `base`: a commit of its own,
    /// breaking `bug` when given. Returns the commit and its first run's number.
    fn feature_push(&mut self, base: usize, branch: &str, bug: Option<usize>) -> (String, u32) {
        let sha = self.new_sha();
        let first_run = self.history.runs.len() as u32 + 1;
        self.sha = Some(sha.clone());
        self.bug = bug;
        self.pipeline_runs(base, branch);
        self.sha = None;
        self.bug = None;
        (sha, first_run)
    }

    fn plan(&mut self) {
        let mut commit = 0;
        // Feature branches whose bug awaits its fixing push: (due at commit, branch, base,
        // index into the history's pr_bugs).
        let mut pending: Vec<(usize, String, usize, usize)> = Vec::new();
        while !self.full() {
            let sha = self.new_sha();
            self.history.commits.push(sha);
            let pr = format!("pr-{}", 100 + commit);
            if self.rng.chance(PR_SHARE) {
                self.pipeline_runs(commit, &pr);
            }
            self.pipeline_runs(commit, "main");
            // A pull-request branch still on an older commit runs it again.
            let fixed_just_now = self
                .breakages
                .iter()
                .filter(|b| b.fix.is_some_and(|f| f + 1 == commit))
                .map(|b| b.fix.unwrap_or(0) - 1)
                .collect::<Vec<_>>();
            for old in fixed_just_now {
                if self.rng.chance(STALE_AFTER_FIX_SHARE) {
                    self.pipeline_runs(old, &format!("pr-{}", 100 + old));
                }
            }
            if commit > 3 && self.rng.chance(STALE_SHARE) {
                let old = commit - self.rng.range(1, 4) as usize;
                self.pipeline_runs(old, &format!("pr-{}", 100 + old));
            }
            // The fixing pushes that are due.
            let due: Vec<(usize, String, usize, usize)> =
                pending.iter().filter(|p| p.0 <= commit).cloned().collect();
            pending.retain(|p| p.0 > commit);
            for (_, branch, base, k) in due {
                if self.full() {
                    break;
                }
                let (sha, run) = self.feature_push(base, &branch, None);
                self.history.pr_bugs[k].fix_sha = Some(sha);
                self.history.pr_bugs[k].fix_run = Some(run);
            }
            // A feature branch pushes a commit of its own, on a base up to some commits old.
            if commit > 2 && !self.full() && self.rng.chance(FEATURE_SHARE) {
                let base = commit.saturating_sub(self.rng.below(FEATURE_STALE_MAX) as usize);
                let branch = format!("feat-{commit}");
                let bug = if self.rng.chance(PR_BUG_SHARE) {
                    self.pr_bug_tests.pop()
                } else {
                    None
                };
                let (sha, run) = self.feature_push(base, &branch, bug);
                if let Some(test) = bug {
                    self.history.pr_bugs.push(PrBug {
                        test,
                        bad_sha: sha,
                        bad_run: run,
                        fix_sha: None,
                        fix_run: None,
                    });
                    let due = commit + self.rng.range(1, 4) as usize;
                    pending.push((due, branch, base, self.history.pr_bugs.len() - 1));
                }
            }
            commit += 1;
        }
    }

    /// The first attempt of a CI run of `commit` on `branch`, and a re-run when it was red.
    fn pipeline_runs(&mut self, commit: usize, branch: &str) {
        if self.full() {
            return;
        }
        self.pipeline += 1;
        let run_id = format!("ci-{}", self.pipeline);
        let crashed = self
            .rng
            .chance(CRASH_SHARE)
            .then(|| self.rng.below(self.config.shards as u64) as usize);
        let red = self.push(commit, branch, &run_id, 1, crashed);
        if red && !self.full() && (crashed.is_some() || self.rng.chance(RERUN_SHARE)) {
            self.push(commit, branch, &run_id, 2, None);
        }
    }

    /// Adds one run; true when something in it failed.
    fn push(
        &mut self,
        commit: usize,
        branch: &str,
        run_id: &str,
        attempt: u8,
        crashed_shard: Option<usize>,
    ) -> bool {
        let number = self.history.runs.len() as u32 + 1;
        let retries = if number > self.retries_from {
            self.dialect.retries()
        } else {
            0
        };
        let mut rng = Rng::derive(self.config.seed, stream::OUTCOMES, u64::from(number));
        let outcomes: Vec<Outcome> = self
            .suite
            .special
            .iter()
            .map(|&t| match self.suite.tests[t].behaviour {
                Behaviour::Broken { .. } => {
                    let broken = self.bug == Some(t)
                        || self
                            .breakages
                            .iter()
                            .any(|b| b.tests.contains(&t) && b.covers(commit));
                    if broken {
                        Outcome::Fail {
                            attempts: retries + 1,
                        }
                    } else {
                        Outcome::Pass
                    }
                }
                b => outcome(&mut rng, b, retries, number),
            })
            .collect();
        let red =
            crashed_shard.is_some() || outcomes.iter().any(|o| matches!(o, Outcome::Fail { .. }));
        let timestamp = EPOCH_START + i64::from(number - 1) * 1800 + self.rng.below(900) as i64;
        self.history.runs.push(Run {
            number,
            commit: self
                .sha
                .clone()
                .unwrap_or_else(|| self.history.commits[commit].clone()),
            pipeline: self.pipeline,
            attempt,
            code: number,
            timestamp,
            outcomes,
            ci: Some(CiRun {
                run_id: run_id.to_owned(),
                branch: branch.to_owned(),
                crashed_shard,
                renamed: self
                    .history
                    .renames
                    .iter()
                    .filter(|&&(_, at)| commit >= at)
                    .map(|&(t, _)| t)
                    .collect(),
            }),
        });
        self.history.run_commit.push(commit);
        red
    }
}

/// Whether `test` (a [`Suite::tests`] index) crashed with its shard in `run`.
fn crashed(suite: &Suite, run: &Run, test: usize) -> bool {
    let shard = suite.classes[suite.tests[test].class].shard;
    run.ci.as_ref().and_then(|c| c.crashed_shard) == Some(shard) && !suite.tests[test].skipped
}

/// Renders shard `shard` (0-based) of `run` in a dialect other than Surefire.
pub(crate) fn shard(
    suite: &Suite,
    run: &Run,
    shard: usize,
    seed: u64,
    dialect: Dialect,
) -> (Vec<u8>, Counts) {
    let mut rng = Rng::derive(
        seed,
        stream::WRITE,
        u64::from(run.number) << 16 | shard as u64,
    );
    let mut body = Vec::new();
    let mut counts = Counts::default();
    let crash = run.ci.as_ref().and_then(|c| c.crashed_shard) == Some(shard);
    for &class in &suite.shards[shard] {
        let mut cases = Vec::new();
        let mut c = Counts::default();
        for t in suite.classes[class].tests.clone() {
            testcase(&mut cases, suite, run, t, crash, dialect, &mut rng, &mut c);
        }
        let name = &suite.classes[class].fqcn;
        let _ = write!(body, "  <testsuite name=\"");
        escape_attr(
            &mut body,
            if dialect == Dialect::Pytest {
                "pytest"
            } else {
                name
            },
        );
        let _ = writeln!(
            body,
            "\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\" timestamp=\"{}\">",
            c.tests,
            c.failures,
            c.errors,
            c.skipped,
            c.time,
            iso8601(run.timestamp)
        );
        body.extend_from_slice(&cases);
        body.extend_from_slice(b"  </testsuite>\n");
        counts.tests += c.tests;
        counts.failures += c.failures;
        counts.errors += c.errors;
        counts.skipped += c.skipped;
        counts.flaky += c.flaky;
        counts.time += c.time;
    }
    let root = match dialect {
        Dialect::Nextest => "nextest-run",
        Dialect::Pytest => "pytest tests",
        Dialect::Jest => "jest tests",
        Dialect::Surefire | Dialect::Gradle => "gradle-test",
    };
    let mut out = Vec::with_capacity(body.len() + 200);
    out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{root}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">",
        counts.tests, counts.failures, counts.errors, counts.time
    );
    out.extend_from_slice(&body);
    out.extend_from_slice(b"</testsuites>\n");
    (out, counts)
}

/// Appends the element(s) of test `t` in `run`.
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename the arguments
fn testcase(
    out: &mut Vec<u8>,
    suite: &Suite,
    run: &Run,
    t: usize,
    crash: bool,
    dialect: Dialect,
    rng: &mut Rng,
    counts: &mut Counts,
) {
    let test = &suite.tests[t];
    let class = &suite.classes[test.class];
    let name = match &run.ci {
        Some(ci) if ci.renamed.contains(&t) => renamed_name(&test.name),
        _ => test.name.clone(),
    };
    let time = (test.base_secs * rng.lognormal(1.0, 0.2)).max(0.001);
    let open = |out: &mut Vec<u8>, time: f64, close: bool| {
        out.extend_from_slice(b"    <testcase classname=\"");
        escape_attr(out, &class.fqcn);
        out.extend_from_slice(b"\" name=\"");
        escape_attr(out, &name);
        let _ = write!(out, "\" time=\"{time:.3}\"");
        out.extend_from_slice(if close { b"/>\n" } else { b">\n" });
    };
    counts.tests += 1;
    counts.time += time;
    if test.skipped {
        counts.skipped += 1;
        open(out, 0.0, false);
        out.extend_from_slice(b"      <skipped message=\"disabled\"/>\n    </testcase>\n");
        return;
    }
    if crash {
        counts.errors += 1;
        open(out, time, false);
        let tag = if dialect == Dialect::Jest {
            "failure"
        } else {
            "error"
        };
        let _ = writeln!(
            out,
            "      <{tag} message=\"{}\" type=\"crash\"/>\n    </testcase>",
            dialect.crash_message()
        );
        return;
    }
    let outcome = test
        .special
        .map_or(Outcome::Pass, |s| run.outcomes[s as usize]);
    let broken = matches!(test.behaviour, Behaviour::Broken { .. });
    let mut message_rng = if broken {
        Rng::derive(0, 99, t as u64)
    } else {
        Rng::new(rng.next_u64())
    };
    let mut failure = |out: &mut Vec<u8>, tag: &str| {
        let f = test.failure.failure(&mut message_rng);
        let _ = write!(out, "      <{tag} message=\"");
        escape_attr(out, &f.message);
        let _ = write!(out, "\" type=\"{}\">", f.exception);
        escape_attr(out, &f.message);
        let _ = writeln!(out, "</{tag}>");
    };
    match (outcome, dialect) {
        (Outcome::Pass, _) => open(out, time, true),
        (Outcome::Flaky { failed_attempts }, Dialect::Surefire | Dialect::Nextest) => {
            counts.flaky += 1;
            open(out, time, false);
            for _ in 0..failed_attempts {
                failure(out, "flakyFailure");
            }
            out.extend_from_slice(b"    </testcase>\n");
        }
        (Outcome::Fail { attempts }, Dialect::Surefire | Dialect::Nextest | Dialect::Jest) => {
            counts.failures += 1;
            open(out, time, false);
            failure(out, "failure");
            for _ in 1..attempts {
                failure(out, "rerunFailure");
            }
            out.extend_from_slice(b"    </testcase>\n");
        }
        (Outcome::Flaky { failed_attempts }, Dialect::Gradle) => {
            counts.flaky += 1;
            for _ in 0..failed_attempts {
                counts.failures += 1;
                open(out, time, false);
                failure(out, "failure");
                out.extend_from_slice(b"    </testcase>\n");
            }
            open(out, time, true);
        }
        (Outcome::Fail { attempts }, Dialect::Gradle) => {
            for _ in 0..attempts {
                counts.failures += 1;
                open(out, time, false);
                failure(out, "failure");
                out.extend_from_slice(b"    </testcase>\n");
            }
        }
        // pytest-rerunfailures: a rerun is a childless element, the final attempt as usual.
        (Outcome::Flaky { failed_attempts }, Dialect::Pytest) => {
            counts.flaky += 1;
            for _ in 0..failed_attempts {
                open(out, time, true);
            }
            open(out, time, true);
        }
        (Outcome::Fail { attempts }, Dialect::Pytest) => {
            counts.failures += 1;
            for _ in 1..attempts {
                open(out, time, true);
            }
            open(out, time, false);
            failure(out, "failure");
            out.extend_from_slice(b"    </testcase>\n");
        }
        // jest-junit has no retries, so a planned recovery cannot happen.
        (Outcome::Flaky { .. }, Dialect::Jest) => open(out, time, true),
    }
}

/// `truth.json` of a realistic history: flaky tests as in the plain one, and per broken test its
/// breakage (`group`), first bad commit and run, and fixing commit and run.
pub(crate) fn truth_json(
    config: &Config,
    suite: &Suite,
    history: &History,
    dialect: Dialect,
) -> (String, crate::synth::json::TruthCounts) {
    let mut counts = crate::synth::json::TruthCounts::default();
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\n  \"generator\": \"testsift-bench synth\",\n  \"dialect\": \"{}\",\n  \"seed\": {},\n  \"runs\": {},\n  \"tests\": {},\n  \"shards\": {},\n  \"commits\": {},\n  \
         \"notes\": \"run numbers are 1-based and match the run-NNNN directories; a broken test fails in every execution on the commits from first_bad_commit up to (not including) fix_commit, retries included, whatever the branch or attempt; fix_commit null means still broken at the end; a branch_only test was broken by a feature branch's own commit (never on main) and counts as fixed by the branch's next push (fix_commit, null when the history ended first) and by main's next run; start_run and end_run are the first and last runs where it failed (end_run null when never fixed); \
         runs_flaky counts runs where a flaky test failed and then passed on a retry, runs_failed runs where it failed every attempt, both without crashed shards; slow means a median duration of at least {SLOW_SECS} s\",\n  \"behaviours\": [",
        dialect.name(),
        config.seed,
        config.runs,
        config.tests,
        config.shards,
        history.commits.len()
    );
    let mut first = true;
    let mut entry = |out: &mut String, body: String| {
        out.push_str(if first { "\n    " } else { ",\n    " });
        first = false;
        out.push_str(&body);
    };
    let last_commit = history.run_commit.iter().copied().max().unwrap_or(0);
    for (t, test) in suite.tests.iter().enumerate() {
        let class = &suite.classes[test.class];
        let id = format!(
            "{{\"classname\": {}, \"name\": {}",
            string(&class.fqcn),
            string(&test.name)
        );
        if let Some(special) = test.special {
            let (mut flaky_runs, mut failed_runs) = (0, 0);
            let (mut first_failed, mut last_failed) = (0, 0);
            for run in &history.runs {
                if crashed(suite, run, t) {
                    continue;
                }
                match run.outcomes[special as usize] {
                    Outcome::Pass => {}
                    // jest-junit cannot write a recovery: the test passed.
                    Outcome::Flaky { .. } if dialect == Dialect::Jest => {}
                    Outcome::Flaky { .. } => flaky_runs += 1,
                    Outcome::Fail { .. } => {
                        failed_runs += 1;
                        if first_failed == 0 {
                            first_failed = run.number;
                        }
                        last_failed = run.number;
                    }
                }
            }
            match test.behaviour {
                Behaviour::Flaky { rate } => {
                    counts.flaky += 1;
                    entry(
                        &mut out,
                        format!(
                            "{id}, \"kind\": \"flaky\", \"flake_rate\": {rate:.4}, \"runs_flaky\": {flaky_runs}, \"runs_failed\": {failed_runs}}}"
                        ),
                    );
                }
                Behaviour::Broken { .. }
                    if failed_runs > 0
                        && let Some((k, bug)) = history
                            .pr_bugs
                            .iter()
                            .enumerate()
                            .find(|(_, b)| b.test == t) =>
                {
                    // Broken on its feature branch only: fixed by the branch's next push, or,
                    // when the history ends first, by the next run of `main`, which never had
                    // the bug.
                    counts.broken += 1;
                    let group = history.breakages.len() + k;
                    let quoted =
                        |c: Option<&String>| c.map_or_else(|| "null".to_owned(), |c| string(c));
                    let number =
                        |n: Option<u32>| n.map_or_else(|| "null".to_owned(), |n| n.to_string());
                    entry(
                        &mut out,
                        format!(
                            "{id}, \"kind\": \"broken\", \"group\": {group}, \"first_bad_commit\": {}, \"first_bad_run\": {}, \"fix_commit\": {}, \"fix_run\": {}, \"start_run\": {first_failed}, \"end_run\": {last_failed}, \"runs_failed\": {failed_runs}, \"branch_only\": true}}",
                            quoted(Some(&bug.bad_sha)),
                            bug.bad_run,
                            quoted(bug.fix_sha.as_ref()),
                            number(bug.fix_run),
                        ),
                    );
                }
                Behaviour::Broken { .. } if failed_runs > 0 => {
                    let Some((group, b)) = history
                        .breakages
                        .iter()
                        .enumerate()
                        .find(|(_, b)| b.tests.contains(&t))
                    else {
                        continue;
                    };
                    counts.broken += 1;
                    let fix = b.fix.filter(|&f| f <= last_commit);
                    let first_run = history
                        .run_commit
                        .iter()
                        .position(|&c| c == b.first)
                        .map_or(0, |p| p + 1);
                    let fix_run = fix.and_then(|f| {
                        history
                            .run_commit
                            .iter()
                            .position(|&c| c == f)
                            .map(|p| p + 1)
                    });
                    let quoted = |c: Option<usize>| {
                        c.map_or_else(|| "null".to_owned(), |c| string(&history.commits[c]))
                    };
                    let number =
                        |n: Option<usize>| n.map_or_else(|| "null".to_owned(), |n| n.to_string());
                    entry(
                        &mut out,
                        format!(
                            "{id}, \"kind\": \"broken\", \"group\": {group}, \"first_bad_commit\": {}, \"first_bad_run\": {first_run}, \"fix_commit\": {}, \"fix_run\": {}, \"start_run\": {first_failed}, \"end_run\": {}, \"runs_failed\": {failed_runs}}}",
                            quoted(Some(b.first)),
                            quoted(fix),
                            number(fix_run),
                            number(fix.map(|_| last_failed as usize)),
                        ),
                    );
                }
                Behaviour::Steady | Behaviour::Broken { .. } => {}
            }
        }
        if test.skipped {
            counts.skipped += 1;
            entry(&mut out, format!("{id}, \"kind\": \"skipped\"}}"));
        }
        if test.base_secs >= SLOW_SECS && !test.skipped {
            counts.slow += 1;
            entry(
                &mut out,
                format!(
                    "{id}, \"kind\": \"slow\", \"median_seconds\": {:.3}}}",
                    test.base_secs
                ),
            );
        }
    }
    out.push_str("\n  ]\n}\n");
    (out, counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn config(runs: u32) -> Config {
        Config {
            runs,
            tests: 600,
            shards: 4,
            seed: 3,
            out: PathBuf::new(),
            dialect: Some(Dialect::Pytest),
        }
    }

    #[test]
    fn every_execution_of_a_broken_commit_fails() {
        let cfg = config(120);
        let mut suite = Suite::plan(&cfg);
        let h = plan(&cfg, &mut suite, Dialect::Pytest);
        assert_eq!(h.runs.len(), 120);
        let mut checked = 0;
        for b in &h.breakages {
            for &t in &b.tests {
                let s = suite.tests[t].special.expect("broken tests are special") as usize;
                for (run, &c) in h.runs.iter().zip(&h.run_commit) {
                    let failed = matches!(run.outcomes[s], Outcome::Fail { .. });
                    assert_eq!(failed, b.covers(c), "run {}", run.number);
                    checked += usize::from(failed);
                }
            }
        }
        assert!(checked > 0);
    }

    #[test]
    fn a_pull_request_bug_fails_only_on_its_own_commit() {
        let cfg = config(300);
        let mut suite = Suite::plan(&cfg);
        let h = plan(&cfg, &mut suite, Dialect::Jest);
        assert!(!h.pr_bugs.is_empty());
        for bug in &h.pr_bugs {
            assert!(
                !h.commits.contains(&bug.bad_sha),
                "a feature branch's own commit"
            );
            let s = suite.tests[bug.test].special.expect("special") as usize;
            for run in &h.runs {
                let failed = matches!(run.outcomes[s], Outcome::Fail { .. });
                assert_eq!(failed, run.commit == bug.bad_sha, "run {}", run.number);
            }
            if let Some(fix) = bug.fix_run {
                assert!(fix > bug.bad_run);
            }
        }
        // Feature branches push commits that never land on main.
        let own = h
            .runs
            .iter()
            .filter(|r| !h.commits.contains(&r.commit))
            .count();
        assert!(own > 10, "{own}");
    }

    #[test]
    fn renamed_tests_take_their_new_name_from_the_rename_commit_on() {
        let cfg = config(200);
        let mut suite = Suite::plan(&cfg);
        let h = plan(&cfg, &mut suite, Dialect::Surefire);
        assert_eq!(h.renames.len(), 2);
        for &(t, at) in &h.renames {
            assert_eq!(suite.tests[t].behaviour, Behaviour::Steady);
            for (run, &c) in h.runs.iter().zip(&h.run_commit) {
                let ci = run.ci.as_ref().expect("realistic runs have an identity");
                assert_eq!(ci.renamed.contains(&t), c >= at, "run {}", run.number);
            }
            assert!(h.run_commit.iter().any(|&c| c >= at) && h.run_commit.iter().any(|&c| c < at));
        }
    }

    #[test]
    fn histories_have_branches_reruns_crashes_and_stale_commits() {
        let cfg = config(400);
        let mut suite = Suite::plan(&cfg);
        let h = plan(&cfg, &mut suite, Dialect::Surefire);
        let ci = |r: &Run| r.ci.clone().expect("realistic runs have an identity");
        assert!(h.runs.iter().any(|r| ci(r).branch != "main"));
        assert!(h.runs.iter().any(|r| r.attempt == 2));
        assert!(h.runs.iter().any(|r| ci(r).crashed_shard.is_some()));
        // Some run tests an older commit than the run before it.
        assert!(h.run_commit.windows(2).any(|w| w[1] < w[0]));
        // Retries are off at first, on later.
        let retried = |r: &Run| {
            r.outcomes
                .iter()
                .any(|o| matches!(o, Outcome::Flaky { .. } | Outcome::Fail { attempts: 3 }))
        };
        assert!(!h.runs[..100].iter().any(retried));
        assert!(h.runs[200..].iter().any(retried));
    }

    #[test]
    fn pytest_reruns_are_childless_elements() {
        let cfg = config(60);
        let mut suite = Suite::plan(&cfg);
        let h = plan(&cfg, &mut suite, Dialect::Pytest);
        let run = h
            .runs
            .iter()
            .find(|r| {
                r.outcomes
                    .iter()
                    .any(|o| matches!(o, Outcome::Flaky { .. }))
            })
            .expect("a flaky recovery once retries are on");
        let xml: String = (0..cfg.shards)
            .map(|s| {
                String::from_utf8_lossy(&shard(&suite, run, s, 3, Dialect::Pytest).0).into_owned()
            })
            .collect();
        assert!(xml.contains("<testsuite name=\"pytest\""));
        assert!(!xml.contains("flakyFailure"));
    }
}

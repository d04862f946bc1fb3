//! Histories shaped like real CI, for the quality benchmark (`synth --dialect D`): the commits of
//! `main`, each tested on a pull-request branch before it lands and again on `main`; re-runs
//! (attempt 2 of the same CI run) after red runs; pull-request branches that still run an old
//! commit after `main` moved on; breakages that start at one commit and break one or several
//! tests until a later commit fixes them (every execution on the broken commits fails, retries
//! included); shard crashes (one job's tests all error with one message, then the run is re-run);
//! in-run retries switched on part-way through the history; and each dialect's retry format.
//! Feature branches push commits of their own that never land on `main`, often on a base some
//! commits old (so they pass while `main` is broken, when their base is older than the
//! breakage); some of them break a test on their first push and fix it on the next, or, a third
//! of them, carry the bug through one or two more pushes (`main` runs in between) before a later
//! push fixes it. Outages of an external service: for 1 to 3 consecutive pipelines of `main`
//! (and whatever other branches run between them) the 10 to 20 tests that call the service, in
//! one or two classes and so in one or two shards, fail with the service's one message (only an
//! id in it varies); the last of those pipelines is re-run once the service is back, and passes.
//!
//! The truth records, per broken test, its first bad commit and the commit that fixed it; an
//! outage's failures, like a crashed shard's, are infrastructure and count for no test.

use std::fmt::Write as _;
use std::io::Write as _;

use crate::rng::Rng;
use crate::synth::Config;
use crate::synth::json::{SLOW_SECS, iso8601, string};
use crate::synth::plan::{Behaviour, CiRun, Outcome, Run, RunOutage, Suite, outcome};
use crate::synth::text::{Failure, SOCKET_FRAMES};
use crate::synth::xml::{Counts, escape_attr};

/// Stream tags for [`Rng::derive`], apart from [`crate::synth::plan::stream`]'s.
mod stream {
    pub(super) const BREAKAGES: u64 = 11;
    pub(super) const RUNS: u64 = 12;
    pub(super) const OUTCOMES: u64 = 13;
    pub(super) const WRITE: u64 = 14;
    pub(super) const OUTAGES: u64 = 15;
    pub(super) const PR_BUG_PUSHES: u64 = 16;
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
/// Share of pull-request bugs that the branch's next push does not fix: one or two more pushes
/// carry the bug before a later one fixes it.
const PR_BUG_LASTING_SHARE: f64 = 1.0 / 3.0;
/// One outage of an external service per this many runs, on average.
const RUNS_PER_OUTAGE: u32 = 60;
/// An outage hits 1 to this many consecutive pipelines of `main`.
const OUTAGE_PIPELINES_MAX: u64 = 3;
/// The fewest and the most tests an outage hits.
const OUTAGE_TESTS: (u64, u64) = (10, 20);
/// Share of outages whose tests all sit in one shard (one report of each run).
const OUTAGE_ONE_SHARD_SHARE: f64 = 1.0 / 3.0;
/// The external services that go down: host, address, path of the resource the tests call.
const SERVICES: [(&str, &str, &str); 3] = [
    ("payments-sandbox.internal", "10.20.0.5", "/v2/charges"),
    ("geo.partner-api.net", "10.20.3.17", "/v1/geocode"),
    (
        "s3.eu-west-1.amazonaws.com",
        "52.218.48.10",
        "/acme-fixtures/orders",
    ),
];
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

    /// What a test that calls `service` (an index into [`SERVICES`]) reports while the service
    /// is down: the same message for every test and attempt, but for a request id from `rng`.
    pub(crate) fn outage_failure(self, service: usize, rng: &mut Rng) -> Failure {
        let (host, ip, path) = SERVICES[service % SERVICES.len()];
        let id = rng.next_u64() as u32;
        let (exception, message) = match self {
            Dialect::Surefire | Dialect::Gradle => (
                "org.springframework.web.client.ResourceAccessException",
                format!(
                    "I/O error on POST request for \"https://{host}{path}/req_{id:08x}\": Connect to {host}:443 [{host}/{ip}] failed: Connection refused"
                ),
            ),
            Dialect::Nextest => (
                "test failure",
                format!(
                    "called `Result::unwrap()` on an `Err` value: reqwest::Error {{ kind: Request, url: \"https://{host}{path}/req_{id:08x}\", source: ConnectError(\"tcp connect error\", Os {{ code: 111, kind: ConnectionRefused, message: \"Connection refused\" }}) }}"
                ),
            ),
            Dialect::Pytest => (
                "requests.exceptions.ConnectionError",
                format!(
                    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with url: {path}/req_{id:08x} (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f{:010x}>: Failed to establish a new connection: [Errno 111] Connection refused'))",
                    rng.below(1 << 40)
                ),
            ),
            Dialect::Jest => (
                "FetchError",
                format!(
                    "FetchError: request to https://{host}{path}/req_{id:08x} failed, reason: connect ECONNREFUSED {ip}:443"
                ),
            ),
        };
        Failure {
            frames: SOCKET_FRAMES,
            exception,
            message,
            is_error: true,
            timeout_secs: None,
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
    /// Tests a feature branch's first push broke and a later push fixed.
    pub(crate) pr_bugs: Vec<PrBug>,
    /// Outages of an external service, in time order.
    pub(crate) outages: Vec<Outage>,
}

/// A test broken by a feature branch's own commit (never on `main`), fixed by a later push of
/// the branch: its next one, or the one after one or two more pushes that still carry the bug.
#[derive(Debug, Clone)]
pub(crate) struct PrBug {
    /// Index into [`Suite::tests`].
    pub(crate) test: usize,
    /// The pushes that carry the bug, in order: each one's commit and first run. The first is
    /// the breaking commit.
    pub(crate) bad: Vec<(String, u32)>,
    /// The fixing push, once it ran.
    pub(crate) fix_sha: Option<String>,
    pub(crate) fix_run: Option<u32>,
}

/// An external service that is down for some consecutive pipelines of `main`: the tests that
/// call it fail in every run while it is down, on every branch, and the re-run of the last of
/// those pipelines of `main` passes.
#[derive(Debug, Clone)]
pub(crate) struct Outage {
    /// Indices into [`Suite::tests`], sorted.
    pub(crate) tests: Vec<usize>,
    /// Index into [`SERVICES`].
    pub(crate) service: usize,
    /// It starts with the first pipeline of `main` from this run number on.
    pub(crate) from_run: u32,
    /// Pipelines of `main` hit (1 to [`OUTAGE_PIPELINES_MAX`]).
    pub(crate) pipelines: u32,
    /// The runs hit, and the re-run that ended it (filled in as the runs are planned).
    pub(crate) runs: Vec<u32>,
    pub(crate) rerun: Option<u32>,
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
    let outages = plan_outages(config, suite);
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
            outages,
        },
        pipeline: 0,
        retries_from: (f64::from(config.runs) * RETRIES_FROM) as u32,
        pr_bug_tests,
        sha: None,
        bug: None,
        bug_rng: Rng::derive(config.seed, stream::PR_BUG_PUSHES, 0),
        outage: None,
    };
    planner.plan();
    planner.history
}

/// Outages of an external service, about one per [`RUNS_PER_OUTAGE`] runs, each starting in
/// its own stretch of the history (never in the first ten runs, nor in the last fifteen, so that
/// each ends with its re-run).
fn plan_outages(config: &Config, suite: &Suite) -> Vec<Outage> {
    let mut rng = Rng::derive(config.seed, stream::OUTAGES, 0);
    let count = config.runs.div_ceil(RUNS_PER_OUTAGE);
    let stretch = config.runs.saturating_sub(25) / count;
    if stretch < 10 {
        return Vec::new();
    }
    (0..count)
        .map(|i| {
            let pipelines = rng.range(1, OUTAGE_PIPELINES_MAX) as u32;
            let from_run = 10 + i * stretch + rng.below(u64::from(stretch - 9)) as u32;
            let service = rng.below(SERVICES.len() as u64) as usize;
            Outage {
                tests: outage_tests(&mut rng, suite),
                service,
                from_run,
                pipelines,
                runs: Vec::new(),
                rerun: None,
            }
        })
        .collect()
}

/// The tests that call a service: part of one class and part of another in another shard, or,
/// in [`OUTAGE_ONE_SHARD_SHARE`] of outages, tests of classes that all run in one shard. Flaky
/// tests may be among them, broken ones not: an outage over the first runs of a breakage would
/// hide which commit broke the test, from the truth's reader as from anyone.
fn outage_tests(rng: &mut Rng, suite: &Suite) -> Vec<usize> {
    let want = rng.range(OUTAGE_TESTS.0, OUTAGE_TESTS.1) as usize;
    let one_shard = rng.chance(OUTAGE_ONE_SHARD_SHARE);
    let mut classes: Vec<usize> = (0..suite.classes.len()).collect();
    rng.shuffle(&mut classes);
    let first_shard = suite.classes[classes[0]].shard;
    if one_shard {
        classes.retain(|&c| suite.classes[c].shard == first_shard);
    } else if let Some(p) = classes
        .iter()
        .position(|&c| suite.classes[c].shard != first_shard)
    {
        classes.swap(1, p);
    }
    let mut tests = Vec::new();
    for (i, &c) in classes.iter().enumerate() {
        let mut members: Vec<usize> = suite.classes[c]
            .tests
            .clone()
            .filter(|&t| {
                !suite.tests[t].skipped
                    && !matches!(suite.tests[t].behaviour, Behaviour::Broken { .. })
            })
            .collect();
        rng.shuffle(&mut members);
        let take = if i == 0 && !one_shard {
            want / 2
        } else {
            want - tests.len()
        };
        tests.extend(members.into_iter().take(take));
        if tests.len() >= want {
            break;
        }
    }
    tests.sort_unstable();
    tests
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
    /// Whether a pull-request bug outlasts the next push, and when the pushes come.
    bug_rng: Rng,
    /// The outage going on: its index in the history's outages and the pipelines of `main` it
    /// still hits.
    outage: Option<(usize, u32)>,
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
        // Feature branches whose bug awaits their next push: (due at commit, branch, base,
        // index into the history's pr_bugs, pushes still to carry the bug before the fix).
        let mut pending: Vec<(usize, String, usize, usize, u32)> = Vec::new();
        while !self.full() {
            let sha = self.new_sha();
            self.history.commits.push(sha);
            let pr = format!("pr-{}", 100 + commit);
            if self.rng.chance(PR_SHARE) {
                self.pipeline_runs(commit, &pr);
            }
            // The next outage starts with this pipeline of `main` once its time has come.
            let next_run = self.history.runs.len() as u32 + 1;
            if self.outage.is_none()
                && let Some(k) = self
                    .history
                    .outages
                    .iter()
                    .position(|o| o.runs.is_empty() && o.from_run <= next_run)
            {
                self.outage = Some((k, self.history.outages[k].pipelines));
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
            // The pushes that are due: one that still carries the bug, or the fix.
            let due: Vec<(usize, String, usize, usize, u32)> =
                pending.iter().filter(|p| p.0 <= commit).cloned().collect();
            pending.retain(|p| p.0 > commit);
            for (_, branch, base, k, carrying) in due {
                if self.full() {
                    break;
                }
                if carrying > 0 {
                    let test = self.history.pr_bugs[k].test;
                    let (sha, run) = self.feature_push(base, &branch, Some(test));
                    self.history.pr_bugs[k].bad.push((sha, run));
                    let due = commit + self.bug_rng.range(1, 3) as usize;
                    pending.push((due, branch, base, k, carrying - 1));
                    continue;
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
                        bad: vec![(sha, run)],
                        fix_sha: None,
                        fix_run: None,
                    });
                    let due = commit + self.rng.range(1, 4) as usize;
                    let carrying = if self.bug_rng.chance(PR_BUG_LASTING_SHARE) {
                        self.bug_rng.range(1, 2) as u32
                    } else {
                        0
                    };
                    pending.push((due, branch, base, self.history.pr_bugs.len() - 1, carrying));
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
        // Nobody re-runs while a service is down; once it is back, the last pipeline of `main`
        // it hit is re-run, and passes.
        if let Some((k, left)) = self.outage {
            if branch == "main" {
                if left > 1 {
                    self.outage = Some((k, left - 1));
                } else {
                    self.outage = None;
                    if !self.full() {
                        self.push(commit, branch, &run_id, 2, None);
                        self.history.outages[k].rerun = Some(self.history.runs.len() as u32);
                    }
                }
            }
            return;
        }
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
        let outage = self.outage.map(|(k, _)| {
            self.history.outages[k].runs.push(number);
            let o = &self.history.outages[k];
            RunOutage {
                tests: o.tests.clone(),
                service: o.service,
                attempts: retries + 1,
            }
        });
        let red = crashed_shard.is_some()
            || outage.is_some()
            || outcomes.iter().any(|o| matches!(o, Outcome::Fail { .. }));
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
                outage,
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

/// The outage that made `test` fail in `run`, if any.
pub(crate) fn outage_of<'r>(suite: &Suite, run: &'r Run, test: usize) -> Option<&'r RunOutage> {
    run.ci
        .as_ref()
        .and_then(|c| c.outage.as_ref())
        .filter(|o| o.hits(suite, test))
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
    let outage = outage_of(suite, run, t);
    let outcome = match outage {
        Some(o) => Outcome::Fail {
            attempts: o.attempts,
        },
        None => test
            .special
            .map_or(Outcome::Pass, |s| run.outcomes[s as usize]),
    };
    let broken = matches!(test.behaviour, Behaviour::Broken { .. }) && outage.is_none();
    let mut message_rng = if broken {
        Rng::derive(0, 99, t as u64)
    } else {
        Rng::new(rng.next_u64())
    };
    let mut failure = |out: &mut Vec<u8>, tag: &str| {
        let f = match outage {
            Some(o) => dialect.outage_failure(o.service, &mut message_rng),
            None => test.failure.failure(&mut message_rng),
        };
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
         \"notes\": \"run numbers are 1-based and match the run-NNNN directories; a broken test fails in every execution on the commits from first_bad_commit up to (not including) fix_commit, retries included, whatever the branch or attempt; fix_commit null means still broken at the end; a branch_only test was broken by a feature branch's own commit (never on main) and counts as fixed by the branch's push that fixed it (fix_commit, null when the history ended first: its next push, or the one after one or two more pushes that still carried the bug, every run of which fails; bad_pushes counts the pushes that carried it) and by main's next run (end_run null when neither ran after it); start_run and end_run are the first and last runs where it failed (end_run null when never fixed); \
         runs_flaky counts runs where a flaky test failed and then passed on a retry, runs_failed runs where it failed every attempt, both without crashed shards and outages; an outage (outages) is an external service down in the runs listed, where the tests listed fail every attempt with the service's one message whatever they otherwise do, ended by the re-run (rerun) of the last of those runs on main, which passes: infrastructure, no test's failure; slow means a median duration of at least {SLOW_SECS} s\",\n  \"outages\": [",
        dialect.name(),
        config.seed,
        config.runs,
        config.tests,
        config.shards,
        history.commits.len()
    );
    for (k, o) in history.outages.iter().enumerate() {
        let number = |n: &u32| n.to_string();
        let tests: Vec<String> = o
            .tests
            .iter()
            .map(|&t| {
                format!(
                    "{{\"classname\": {}, \"name\": {}}}",
                    string(&suite.classes[suite.tests[t].class].fqcn),
                    string(&suite.tests[t].name)
                )
            })
            .collect();
        let _ = write!(
            out,
            "{}\n    {{\"service\": {}, \"runs\": [{}], \"rerun\": {}, \"tests\": [{}]}}",
            if k == 0 { "" } else { "," },
            string(SERVICES[o.service].0),
            o.runs.iter().map(number).collect::<Vec<_>>().join(", "),
            o.rerun.as_ref().map_or_else(|| "null".to_owned(), number),
            tests.join(", ")
        );
    }
    out.push_str(if history.outages.is_empty() {
        "],\n  \"behaviours\": ["
    } else {
        "\n  ],\n  \"behaviours\": ["
    });
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
                if crashed(suite, run, t) || outage_of(suite, run, t).is_some() {
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
                    // Broken on its feature branch only: fixed by the branch's fixing push, or,
                    // when the history ends first, by the next run of `main`, which never had
                    // the bug; still broken when neither ran after it.
                    counts.broken += 1;
                    let main_after = history.runs.iter().any(|r| {
                        r.number > last_failed && r.ci.as_ref().is_some_and(|c| c.branch == "main")
                    });
                    let end = if bug.fix_run.is_some() || main_after {
                        last_failed.to_string()
                    } else {
                        "null".to_owned()
                    };
                    let group = history.breakages.len() + k;
                    let quoted =
                        |c: Option<&String>| c.map_or_else(|| "null".to_owned(), |c| string(c));
                    let number =
                        |n: Option<u32>| n.map_or_else(|| "null".to_owned(), |n| n.to_string());
                    entry(
                        &mut out,
                        format!(
                            "{id}, \"kind\": \"broken\", \"group\": {group}, \"first_bad_commit\": {}, \"first_bad_run\": {}, \"fix_commit\": {}, \"fix_run\": {}, \"start_run\": {first_failed}, \"end_run\": {end}, \"runs_failed\": {failed_runs}, \"branch_only\": true, \"bad_pushes\": {}}}",
                            quoted(Some(&bug.bad[0].0)),
                            bug.bad[0].1,
                            quoted(bug.fix_sha.as_ref()),
                            number(bug.fix_run),
                            bug.bad.len(),
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
    fn a_pull_request_bug_fails_only_on_its_own_pushes() {
        let cfg = config(300);
        let mut suite = Suite::plan(&cfg);
        let h = plan(&cfg, &mut suite, Dialect::Jest);
        assert!(!h.pr_bugs.is_empty());
        for bug in &h.pr_bugs {
            let shas: Vec<&String> = bug.bad.iter().map(|(sha, _)| sha).collect();
            for sha in &shas {
                assert!(!h.commits.contains(sha), "a feature branch's own commit");
            }
            let s = suite.tests[bug.test].special.expect("special") as usize;
            for run in &h.runs {
                let failed = matches!(run.outcomes[s], Outcome::Fail { .. });
                assert_eq!(failed, shas.contains(&&run.commit), "run {}", run.number);
            }
            if let (Some(fix), Some((_, last))) = (bug.fix_run, bug.bad.last()) {
                assert!(fix > *last);
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
    fn a_pull_request_bug_can_last_several_pushes_of_its_branch() {
        let cfg = config(300);
        let mut suite = Suite::plan(&cfg);
        let h = plan(&cfg, &mut suite, Dialect::Surefire);
        let ci = |n: u32| {
            h.runs[n as usize - 1]
                .ci
                .clone()
                .expect("realistic runs have an identity")
        };
        let lasting: Vec<&PrBug> = h.pr_bugs.iter().filter(|b| b.bad.len() > 1).collect();
        assert!(!lasting.is_empty());
        assert!(
            lasting.len() < h.pr_bugs.len(),
            "most are fixed by the next push"
        );
        let (truth, _) = truth_json(&cfg, &suite, &h, Dialect::Surefire);
        let truth: serde_json::Value = serde_json::from_str(&truth).expect("valid JSON");
        let behaviours = truth["behaviours"].as_array().expect("an array");
        for bug in lasting {
            assert!(bug.bad.len() <= 3);
            let branch = ci(bug.bad[0].1).branch;
            assert!(branch.starts_with("feat-"));
            for w in bug.bad.windows(2) {
                assert_ne!(w[0].0, w[1].0, "each push is a new commit");
                assert_eq!(ci(w[1].1).branch, branch, "pushes of one branch");
                // `main` runs between the pushes.
                assert!((w[0].1..w[1].1).any(|n| ci(n).branch == "main"));
            }
            // Broken from the first push, fixed by the push after the last that carried it.
            let test = &suite.tests[bug.test];
            let entry = behaviours
                .iter()
                .find(|b| b["name"] == test.name.as_str() && b["kind"] == "broken")
                .expect("a broken test in the truth");
            assert_eq!(entry["branch_only"], true);
            assert_eq!(entry["first_bad_commit"], bug.bad[0].0.as_str());
            if let Some(fix) = bug.fix_run {
                assert_eq!(ci(fix).branch, branch);
                assert_eq!(entry["fix_commit"], bug.fix_sha.as_deref().expect("a fix"));
            }
        }
    }

    /// Per `<testcase>` element of `run`'s reports: (classname, name, the messages of its
    /// failure and error elements, retries included).
    fn cases(suite: &Suite, run: &Run, dialect: Dialect) -> Vec<(String, String, Vec<String>)> {
        use quick_xml::events::Event;
        let mut cases = Vec::new();
        for s in 0..suite.shards.len() {
            let xml = match dialect {
                Dialect::Surefire => crate::synth::xml::shard(suite, run, s, 3).0,
                _ => shard(suite, run, s, 3, dialect).0,
            };
            let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
            let mut buf = Vec::new();
            loop {
                let event = reader.read_event_into(&mut buf).expect("well-formed XML");
                let e = match &event {
                    Event::Start(e) | Event::Empty(e) => e,
                    Event::Eof => break,
                    _ => continue,
                };
                let attr = |key: &str| {
                    e.try_get_attribute(key)
                        .expect("an attribute")
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .expect("escaped")
                                .into_owned()
                        })
                        .unwrap_or_default()
                };
                match e.name().into_inner() {
                    "testcase" => cases.push((attr("classname"), attr("name"), Vec::new())),
                    "failure" | "error" | "rerunFailure" | "rerunError" | "flakyFailure"
                    | "flakyError" => {
                        let case: &mut (String, String, Vec<String>) =
                            cases.last_mut().expect("inside a testcase");
                        case.2.push(attr("message"));
                    }
                    _ => {}
                }
                buf.clear();
            }
        }
        cases
    }

    /// `message` with its digits and hex ids masked, as a fingerprint would see it.
    fn masked(message: &str) -> String {
        let mut out = String::new();
        for word in message.split(|c: char| !c.is_ascii_alphanumeric()) {
            let hex = word.len() >= 8 && word.bytes().all(|b| b.is_ascii_hexdigit());
            if hex || word.bytes().any(|b| b.is_ascii_digit()) {
                out.push('#');
            } else {
                out.push_str(word);
            }
            out.push('.');
        }
        out
    }

    #[test]
    fn an_outage_fails_its_tests_with_one_message_until_its_rerun_passes() {
        for dialect in Dialect::ALL {
            let cfg = config(200);
            let mut suite = Suite::plan(&cfg);
            let h = plan(&cfg, &mut suite, dialect);
            let run = |n: u32| &h.runs[n as usize - 1];
            let ci = |n: u32| run(n).ci.clone().expect("realistic runs have an identity");
            assert_eq!(h.outages.len(), 4);
            for o in &h.outages {
                let lo = OUTAGE_TESTS.0 as usize;
                assert!((lo..=OUTAGE_TESTS.1 as usize).contains(&o.tests.len()));
                // Consecutive runs (every branch run while it lasted), 1 to 3 of them on main,
                // the last one on main.
                assert!(o.runs.windows(2).all(|w| w[1] == w[0] + 1), "{:?}", o.runs);
                let on_main = o.runs.iter().filter(|&&n| ci(n).branch == "main").count();
                assert_eq!(on_main, o.pipelines as usize);
                assert!((1..=OUTAGE_PIPELINES_MAX as usize).contains(&on_main));
                let last = *o.runs.last().expect("runs");
                assert_eq!((ci(last).branch.as_str(), run(last).attempt), ("main", 1));
                // Its re-run follows: the same CI run and commit, and the service is back.
                let rerun = o.rerun.expect("a re-run");
                assert_eq!(rerun, last + 1);
                assert_eq!(run(rerun).attempt, 2);
                assert_eq!(run(rerun).commit, run(last).commit);
                assert_eq!(ci(rerun).run_id, ci(last).run_id);
                assert!(ci(rerun).outage.is_none());
                // Every test hit fails every attempt with one message in every run of it.
                let ids: Vec<(String, String)> = o
                    .tests
                    .iter()
                    .map(|&t| {
                        let test = &suite.tests[t];
                        (suite.classes[test.class].fqcn.clone(), test.name.clone())
                    })
                    .collect();
                // The outage's test a case is of, under its name or its new name.
                let test_of = |case: &(String, String, Vec<String>)| {
                    ids.iter()
                        .position(|(c, n)| {
                            *c == case.0 && (*n == case.1 || renamed_name(n) == case.1)
                        })
                        .map(|i| o.tests[i])
                };
                let mut messages = std::collections::HashSet::new();
                for &n in &o.runs {
                    let crashed = ci(n).crashed_shard;
                    let cases = cases(&suite, run(n), dialect);
                    let hit: Vec<_> = cases
                        .iter()
                        .filter_map(|c| test_of(c).map(|t| (t, c)))
                        .collect();
                    assert!(hit.len() >= o.tests.len(), "run {n}");
                    for (t, case) in hit {
                        let shard = suite.classes[suite.tests[t].class].shard;
                        if crashed == Some(shard) {
                            continue;
                        }
                        // pytest writes a rerun as a childless element: the last one fails.
                        if dialect == Dialect::Pytest && case.2.is_empty() {
                            continue;
                        }
                        assert!(!case.2.is_empty(), "run {n}: {case:?}");
                        messages.extend(case.2.iter().map(|m| masked(m)));
                    }
                }
                assert_eq!(messages.len(), 1, "{dialect:?}: {messages:?}");
                // In the re-run, the tests that do nothing else pass.
                for case in &cases(&suite, run(rerun), dialect) {
                    if test_of(case).is_some_and(|t| suite.tests[t].behaviour == Behaviour::Steady)
                    {
                        assert!(case.2.is_empty(), "re-run {rerun}: {case:?}");
                    }
                }
            }
            // Truth leaves the outage's failures out of every test's counts.
            let (truth, _) = truth_json(&cfg, &suite, &h, dialect);
            let truth: serde_json::Value = serde_json::from_str(&truth).expect("valid JSON");
            assert_eq!(truth["outages"].as_array().map(Vec::len), Some(4));
        }
    }

    #[test]
    fn outages_reach_one_shard_or_two() {
        let mut shards_hit = Vec::new();
        for seed in 1..=6 {
            let cfg = Config {
                seed,
                ..config(120)
            };
            let mut suite = Suite::plan(&cfg);
            let h = plan(&cfg, &mut suite, Dialect::Jest);
            for o in &h.outages {
                let mut shards: Vec<usize> = o
                    .tests
                    .iter()
                    .map(|&t| suite.classes[suite.tests[t].class].shard)
                    .collect();
                shards.sort_unstable();
                shards.dedup();
                shards_hit.push(shards.len());
            }
        }
        assert_eq!(shards_hit.len(), 12, "two outages in 120 runs");
        assert!(
            shards_hit.contains(&1) && shards_hit.contains(&2),
            "{shards_hit:?}"
        );
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

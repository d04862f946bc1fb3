//! `trim`: the diminishing-returns curve of the test suite and the tests worth trimming.
//! Formulas: docs/analysis.md.
//!
//! A detection is a hard failure in `flaky`'s sense: failed on every attempt, no pass of the
//! same test on the same commit, outside infrastructure runs (flaky's rule and threshold).
//! Consecutive detections of a test form an episode; episodes starting on the same run key or
//! the same commit are one failure event. A greedy weighted set cover over the events orders
//! the tests; the tests it never needed are the trim candidates.

use super::flaky::{FlakyOptions, Outcome, Point, Verdict, evidence, verdict};
use super::load::{Series, load_owned};
use super::window::{RunInfo, Window};
use crate::domain::Status;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Version of the JSON output; bumped when a field changes meaning or disappears.
pub(crate) const SCHEMA_VERSION: u32 = 1;
const DAY_MS: f64 = 86_400_000.0;

/// Thresholds of the analysis.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TrimOptions {
    /// Executed runs a test needs before it can be a trim candidate.
    pub(crate) min_runs: usize,
    /// A run where more than this share of executed tests fail is an infrastructure failure.
    pub(crate) infra_threshold: f64,
    /// Tests `flaky` calls flaky detect only inside their broken streaks.
    pub(crate) exclude_flaky: bool,
    /// A candidate must cost at least this share of a run's summed test time (0.005 = 0.5%):
    /// trimming it must be worth acting on.
    pub(crate) min_saving: f64,
    /// Candidates are listed, most saving first, until they make up this share of what all
    /// the (material) candidates cost (0.8 = the top 80%); the long tail is counted, not listed.
    pub(crate) saving_share: f64,
}

impl Default for TrimOptions {
    fn default() -> Self {
        TrimOptions {
            min_runs: 50,
            infra_threshold: super::INFRA_THRESHOLD,
            exclude_flaky: false,
            min_saving: 0.005,
            saving_share: 0.8,
        }
    }
}

/// What to do with a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Advice {
    /// Needed by the cover, or observed in too few runs to judge.
    Keep,
    /// A candidate that caught events, all also caught by kept tests: a later safety net.
    MoveToNightly,
    /// A candidate that caught no event at all in the window.
    ReviewForDeletion,
}

impl Advice {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Advice::Keep => "keep",
            Advice::MoveToNightly => "move-to-nightly",
            Advice::ReviewForDeletion => "review-for-deletion",
        }
    }
}

/// The whole result of `testsift trim`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TrimReport {
    pub(crate) schema_version: u32,
    pub(crate) options: TrimOptions,
    pub(crate) summary: TrimSummary,
    pub(crate) events: Vec<FailureEvent>,
    /// Every test, in greedy order.
    pub(crate) tests: Vec<TestCoverage>,
    /// The curve, starting at (0, 0): one point per test in greedy order.
    pub(crate) curve: Vec<CurvePoint>,
    /// Not needed by the cover and observed in at least `min_runs` runs, most time saved first.
    pub(crate) candidates: Vec<Candidate>,
    /// The same cut replayed as a skip list over the window (`backtest skip`): what it would
    /// have missed and saved. None when the report was not built from a store.
    pub(crate) replayed: Option<Replayed>,
}

/// A skip list's replay in brief (`backtest skip`'s figures).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Replayed {
    pub(crate) train_runs: usize,
    pub(crate) runs_replayed: usize,
    pub(crate) failure_runs: usize,
    pub(crate) missed_runs: usize,
    /// missed_runs / failure_runs.
    pub(crate) miss_rate: f64,
    /// Test time the list would have saved, over the replayed runs' test time.
    pub(crate) saved_share: f64,
}

impl From<&super::backtest::skip::SkipBacktest> for Replayed {
    fn from(r: &super::backtest::skip::SkipBacktest) -> Self {
        Replayed {
            train_runs: r.train_runs,
            runs_replayed: r.runs_replayed,
            failure_runs: r.failure_runs,
            missed_runs: r.missed_runs,
            miss_rate: r.miss_rate,
            saved_share: r.saved_share,
        }
    }
}

/// Headline figures.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct TrimSummary {
    /// Runs (run key and variant) in the window.
    pub(crate) runs: usize,
    pub(crate) infrastructure_runs: usize,
    /// Days between the oldest and newest run (at least 1), the base of the per-week figures.
    pub(crate) window_days: f64,
    pub(crate) tests: usize,
    pub(crate) events: usize,
    /// Summed per-run cost of every test, in seconds.
    pub(crate) cost_seconds: f64,
    /// Tests the cover needed.
    pub(crate) kept_tests: usize,
    pub(crate) kept_cost_share: f64,
    /// Tests the cover did not need (whatever their run count).
    pub(crate) redundant_tests: usize,
    pub(crate) redundant_cost_share: f64,
    pub(crate) redundant_hours_per_week: f64,
    pub(crate) candidates: usize,
    pub(crate) candidate_hours_per_week: f64,
    /// Tests that would be candidates but save too little to list (under `min_saving`, or in
    /// the tail past `saving_share`), and their time.
    pub(crate) unlisted_candidates: usize,
    pub(crate) unlisted_hours_per_week: f64,
    pub(crate) headline: String,
}

/// One failure event: one defect, caught by one or more tests.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FailureEvent {
    /// 1, 2, ... in the order of the event's first run.
    pub(crate) event: usize,
    pub(crate) run: String,
    pub(crate) commit: Option<String>,
    pub(crate) timestamp: String,
    /// Test ids (with variant after `@` when there is one), sorted.
    pub(crate) tests: Vec<String>,
}

/// One test and variant, in greedy order.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TestCoverage {
    /// 1-based position in the greedy order.
    pub(crate) rank: usize,
    pub(crate) test_id: String,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) variant: String,
    /// Median duration of its executed runs, in seconds.
    pub(crate) cost_seconds: f64,
    /// Executed runs (not skipped, not infrastructure).
    pub(crate) runs: usize,
    /// Summed duration of those runs, in seconds.
    pub(crate) total_seconds: f64,
    /// Events it detected (numbers from `events`).
    pub(crate) events: Vec<usize>,
    /// Events no other test detected.
    pub(crate) unique_events: usize,
    /// Events not yet covered when the greedy order reached it.
    pub(crate) new_events: usize,
    /// Needed by the cover.
    pub(crate) kept: bool,
    pub(crate) cum_cost_share: f64,
    pub(crate) cum_event_share: f64,
    pub(crate) advice: Advice,
}

/// A point of the curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct CurvePoint {
    pub(crate) cost_share: f64,
    pub(crate) event_share: f64,
}

/// A test the window suggests trimming.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Candidate {
    pub(crate) test_id: String,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) variant: String,
    pub(crate) runs: usize,
    pub(crate) cost_seconds: f64,
    pub(crate) hours_per_week: f64,
    /// Events it detected, all also detected by kept tests.
    pub(crate) events: usize,
    /// One-sided 95% upper bound on its per-run rate of catching an event the kept tests
    /// miss, having caught none in `runs` runs: 1 − 0.05^(1/runs).
    pub(crate) detection_rate_upper: f64,
    pub(crate) advice: Advice,
    /// Its owners (testsift.toml's rules, CODEOWNERS), filled in by the commands that show
    /// them; empty without an owners configuration.
    pub(crate) owners: Vec<String>,
}

/// How many of `savings` (most first) are listed: they stop once those before make up `share`
/// of the whole. Trim's list and the skip list's replay cut alike.
pub(crate) fn share_cut(savings: &[f64], share: f64) -> usize {
    let all: f64 = savings.iter().sum();
    let mut listed = 0.0;
    for (i, s) in savings.iter().enumerate() {
        if listed >= share * all {
            return i;
        }
        listed += s;
    }
    savings.len()
}

/// Keeps the candidates worth acting on (`candidates` sorted by saving, most first): each costs
/// at least `min_saving` of the summed per-test cost (a run's test time), and together, in that
/// order, they stop once they make up `saving_share` of what the material ones cost. Returns the
/// others.
fn material(
    candidates: &mut Vec<Candidate>,
    total_cost: f64,
    options: &TrimOptions,
) -> Vec<Candidate> {
    let floor = options.min_saving * total_cost;
    let (mut keep, mut rest): (Vec<Candidate>, Vec<Candidate>) = std::mem::take(candidates)
        .into_iter()
        .partition(|c| c.cost_seconds >= floor && c.cost_seconds > 0.0);
    let savings: Vec<f64> = keep.iter().map(|c| c.hours_per_week).collect();
    rest.extend(keep.split_off(share_cut(&savings, options.saving_share)));
    *candidates = keep;
    rest
}

/// The one-sided 95% (Clopper–Pearson) upper bound on a rate with 0 successes in `n` trials.
pub(crate) fn upper_bound_zero(n: usize) -> f64 {
    if n == 0 {
        1.0
    } else {
        1.0 - 0.05f64.powf(1.0 / n as f64)
    }
}

/// Indexes (into `points`) of the first run of each episode: maximal stretches of consecutive
/// hard failures, where a hard failure is a `Fail` on a commit the test never passed on.
pub(crate) fn episode_starts(points: &[(usize, Outcome)], runs: &[RunInfo]) -> Vec<usize> {
    let commit = |r: usize| runs.get(r).and_then(|r| r.commit.as_deref());
    let passed_on: BTreeSet<&str> = points
        .iter()
        .filter(|(_, o)| *o != Outcome::Fail)
        .filter_map(|&(r, _)| commit(r))
        .collect();
    let mut starts = Vec::new();
    let mut previous_hard = false;
    for (k, &(r, o)) in points.iter().enumerate() {
        let hard = o == Outcome::Fail && !commit(r).is_some_and(|c| passed_on.contains(c));
        if hard && !previous_hard {
            starts.push(k);
        }
        previous_hard = hard;
    }
    starts
}

/// With `--exclude-flaky`: when `flaky` would call the test flaky (with its default thresholds),
/// its failures outside broken streaks become flaky failures (`Retry`), which never detect.
pub(crate) fn streak_failures_only(
    points: &[(usize, Outcome)],
    runs: &[RunInfo],
) -> Vec<(usize, Outcome)> {
    let fp: Vec<Point> = points
        .iter()
        .map(|&(run, outcome)| Point { run, outcome })
        .collect();
    let ev = evidence(&fp, runs);
    if verdict(&ev, fp.len(), FlakyOptions::default().min_runs, false) != Verdict::Flaky {
        return points.to_vec();
    }
    points
        .iter()
        .zip(&ev.in_streak)
        .map(|(&(r, o), &streak)| {
            if o == Outcome::Fail && !streak {
                (r, Outcome::Retry)
            } else {
                (r, o)
            }
        })
        .collect()
}

/// Groups episode start runs into events: starts sharing a run key or a commit are one event.
/// Returns, per start, its event number (1-based, ordered by the event's earliest run).
pub(crate) fn group_events(starts: &[usize], runs: &[RunInfo]) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..starts.len()).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut by_key: HashMap<(u8, &str), usize> = HashMap::new();
    for (i, &r) in starts.iter().enumerate() {
        let run = &runs[r];
        let mut keys = vec![(0u8, run.run.as_str())];
        if let Some(c) = run.commit.as_deref() {
            keys.push((1, c));
        }
        for k in keys {
            match by_key.get(&k) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    by_key.insert(k, i);
                }
            }
        }
    }
    // Number the groups by their earliest run.
    let mut first: HashMap<usize, usize> = HashMap::new();
    for (i, &r) in starts.iter().enumerate() {
        let root = find(&mut parent, i);
        let e = first.entry(root).or_insert(r);
        *e = (*e).min(r);
    }
    let mut roots: Vec<(usize, usize)> = first.into_iter().map(|(root, r)| (r, root)).collect();
    roots.sort_unstable();
    let number: HashMap<usize, usize> = roots
        .iter()
        .enumerate()
        .map(|(n, &(_, root))| (root, n + 1))
        .collect();
    (0..starts.len())
        .map(|i| number[&find(&mut parent, i)])
        .collect()
}

/// The greedy weighted set cover: indexes into `tests` in order, with the number of new events
/// each covered. `tests[i] = (id for ties, cost, events)`.
pub(crate) fn greedy_order(tests: &[(&str, f64, &[usize])]) -> Vec<(usize, usize)> {
    let mut covered: HashSet<usize> = HashSet::new();
    let mut left: Vec<usize> = (0..tests.len()).collect();
    let mut order = Vec::with_capacity(tests.len());
    loop {
        let mut best: Option<(usize, usize, f64)> = None;
        for (pos, &i) in left.iter().enumerate() {
            let (id, cost, events) = tests[i];
            let new = events.iter().filter(|e| !covered.contains(e)).count();
            if new == 0 {
                continue;
            }
            let ratio = if cost > 0.0 {
                new as f64 / cost
            } else {
                f64::INFINITY
            };
            let better = best
                .is_none_or(|(_, bi, br)| ratio > br || (ratio == br && id < tests[left[bi]].0));
            if better {
                best = Some((new, pos, ratio));
            }
        }
        let Some((new, pos, _)) = best else { break };
        let i = left.remove(pos);
        covered.extend(tests[i].2.iter().copied());
        order.push((i, new));
    }
    left.sort_by(|&a, &b| {
        tests[b]
            .1
            .total_cmp(&tests[a].1)
            .then_with(|| tests[a].0.cmp(tests[b].0))
    });
    order.extend(left.into_iter().map(|i| (i, 0)));
    order
}

fn median(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// The headline sentence.
pub(crate) fn headline(s: &TrimSummary) -> String {
    if s.events == 0 {
        return format!(
            "no failure events in the window ({} runs, {} tests): nothing to rank by",
            s.runs, s.tests
        );
    }
    format!(
        "{:.1}% of the test time caught 100% of the {} failure events in the window; the other \
         {:.1}% ({} tests, {:.2} hours/week) caught none that the rest did not",
        100.0 * s.kept_cost_share,
        s.events,
        100.0 * s.redundant_cost_share,
        s.redundant_tests,
        s.redundant_hours_per_week
    )
}

struct TestRows {
    test_id: String,
    classname: String,
    name: String,
    variant: String,
    points: Vec<(usize, Outcome)>,
    durations: Vec<f64>,
}

/// Runs the analysis over the window.
pub(crate) fn trim(window: Window, options: &TrimOptions) -> TrimReport {
    let (runs, series, counts) = load_owned(window);
    trim_loaded(&runs, series, &counts, options)
}

/// [`trim`] of a window already loaded (the report loads it once for this and the priority
/// replay).
pub(crate) fn trim_loaded(
    runs: &[RunInfo],
    series: Vec<Series>,
    counts: &super::RunCounts,
    options: &TrimOptions,
) -> TrimReport {
    let replay = replayed(runs, &series, counts, options);
    let infra = counts.infrastructure(options.infra_threshold);
    let tests = collect(series, &infra);
    let mut report = analyse(tests, runs, &infra, options);
    report.replayed = Some(replay);
    report
}

/// Runs a skip list replay trains on before it is scored.
pub(crate) const REPLAY_TRAIN_RUNS: usize = 20;

/// What the candidate list's cut would have cost had it been skipped, run by run over the
/// window (`backtest skip` with these options).
fn replayed(
    runs: &[RunInfo],
    series: &[Series],
    counts: &super::RunCounts,
    options: &TrimOptions,
) -> Replayed {
    let result = super::backtest::skip::replay(runs, series, counts, &backtest_options(options));
    Replayed::from(&result)
}

fn backtest_options(options: &TrimOptions) -> super::backtest::BacktestOptions {
    super::backtest::BacktestOptions {
        train_runs: REPLAY_TRAIN_RUNS,
        infra_threshold: options.infra_threshold,
        min_runs: options.min_runs,
        min_saving: options.min_saving,
        saving_share: options.saving_share,
        ..super::backtest::BacktestOptions::default()
    }
}

/// The `--saving-share` cuts `select skip --max-miss` tries, largest first.
const SHARES: [f64; 12] = [1.0, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];

/// The largest `saving_share` (of [`SHARES`], else 0: skip nothing) whose skip list, replayed
/// over the window, missed at most `max_miss` of the failure runs; with its replay. With no
/// failure run to replay against, `options.saving_share` as given (there is no evidence either
/// way).
pub(crate) fn choose_cut(
    runs: &[RunInfo],
    series: &[Series],
    counts: &super::RunCounts,
    options: &TrimOptions,
    max_miss: f64,
) -> (f64, Replayed) {
    let at = |share: f64| {
        let o = TrimOptions {
            saving_share: share,
            ..options.clone()
        };
        replayed(runs, series, counts, &o)
    };
    // Two cuts at a time, one per core, taken in order: the first within the bound wins.
    for pair in SHARES.chunks(2) {
        let tried: Vec<(f64, Replayed)> = match pair {
            [a, b] => {
                let (ra, rb) = rayon::join(|| at(*a), || at(*b));
                vec![(*a, ra), (*b, rb)]
            }
            _ => pair.iter().map(|&share| (share, at(share))).collect(),
        };
        for (share, replay) in tried {
            // The failure runs do not depend on the cut: with none, the given cut stands.
            if replay.failure_runs == 0 {
                return (options.saving_share, at(options.saving_share));
            }
            if replay.miss_rate <= max_miss {
                return (share, replay);
            }
        }
    }
    (0.0, at(0.0))
}

/// `select skip --max-miss`: the cut [`choose_cut`] finds, its replay, and `trim`'s report at
/// that cut, from one load of the window.
pub(crate) fn trim_at_chosen_cut(
    window: Window,
    options: &TrimOptions,
    max_miss: f64,
) -> (f64, Replayed, TrimReport) {
    let (runs, series, counts) = load_owned(window);
    let runs = &runs;
    let (share, replay) = choose_cut(runs, &series, &counts, options, max_miss);
    let options = TrimOptions {
        saving_share: share,
        ..options.clone()
    };
    let infra = counts.infrastructure(options.infra_threshold);
    let tests = collect(series, &infra);
    let mut report = analyse(tests, runs, &infra, &options);
    report.replayed = Some(replay);
    (share, replay, report)
}

/// Each series' executed outcomes and durations outside infrastructure runs.
fn collect(series: Vec<Series>, infra: &[bool]) -> Vec<TestRows> {
    series
        .into_iter()
        .filter_map(|s| {
            let mut t = TestRows {
                test_id: s.test_id,
                classname: s.classname,
                name: s.name,
                variant: s.variant,
                points: Vec::new(),
                durations: Vec::new(),
            };
            for e in &s.points {
                let r = e.run as usize;
                if infra.get(r).copied().unwrap_or(true) {
                    continue;
                }
                let outcome = match e.status {
                    Status::Passed => Outcome::Pass,
                    Status::Failed | Status::Error => Outcome::Fail,
                    Status::Flaky => Outcome::Retry,
                    Status::Skipped => continue,
                };
                t.points.push((r, outcome));
                if let Some(d) = e.duration() {
                    t.durations.push(d);
                }
            }
            (!t.points.is_empty()).then_some(t)
        })
        .collect()
}

fn analyse(
    tests: Vec<TestRows>,
    runs: &[RunInfo],
    infra: &[bool],
    options: &TrimOptions,
) -> TrimReport {
    // Episodes of every test, then events over all of them.
    let mut starts: Vec<(usize, usize)> = Vec::new(); // (test, run)
    for (t, rows) in tests.iter().enumerate() {
        let points = if options.exclude_flaky {
            streak_failures_only(&rows.points, runs)
        } else {
            rows.points.clone()
        };
        for k in episode_starts(&points, runs) {
            starts.push((t, rows.points[k].0));
        }
    }
    let start_runs: Vec<usize> = starts.iter().map(|&(_, r)| r).collect();
    let event_of = group_events(&start_runs, runs);
    let n_events = event_of.iter().copied().max().unwrap_or(0);
    let mut detected: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); tests.len()];
    let mut event_run = vec![usize::MAX; n_events + 1];
    let mut event_tests: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n_events + 1];
    for (&(t, r), &e) in starts.iter().zip(&event_of) {
        detected[t].insert(e);
        event_run[e] = event_run[e].min(r);
        event_tests[e].insert(t);
    }
    let label = |t: usize| {
        let rows = &tests[t];
        if rows.variant.is_empty() {
            rows.test_id.clone()
        } else {
            format!("{}@{}", rows.test_id, rows.variant)
        }
    };
    let events: Vec<FailureEvent> = (1..=n_events)
        .map(|e| {
            let run = &runs[event_run[e]];
            let mut names: Vec<String> = event_tests[e].iter().map(|&t| label(t)).collect();
            names.sort();
            FailureEvent {
                event: e,
                run: run.run.clone(),
                commit: run.commit.clone(),
                timestamp: run.timestamp(),
                tests: names,
            }
        })
        .collect();

    let costs: Vec<f64> = tests
        .iter()
        .map(|t| median(&mut t.durations.clone()))
        .collect();
    let ids: Vec<String> = (0..tests.len()).map(label).collect();
    let detected_vecs: Vec<Vec<usize>> = detected
        .iter()
        .map(|s| s.iter().copied().collect())
        .collect();
    let input: Vec<(&str, f64, &[usize])> = (0..tests.len())
        .map(|i| (ids[i].as_str(), costs[i], detected_vecs[i].as_slice()))
        .collect();
    let order = greedy_order(&input);

    let total_cost: f64 = costs.iter().sum();
    let span_ms = match (runs.first(), runs.last()) {
        (Some(a), Some(b)) => (b.timestamp_ms - a.timestamp_ms) as f64,
        _ => 0.0,
    };
    let window_days = (span_ms / DAY_MS).max(1.0);
    let per_week = |seconds: f64| seconds / 3600.0 / (window_days / 7.0);

    let mut curve = vec![CurvePoint {
        cost_share: 0.0,
        event_share: 0.0,
    }];
    let (mut cum_cost, mut cum_events) = (0.0, 0usize);
    let mut out = Vec::with_capacity(tests.len());
    let mut candidates = Vec::new();
    for (rank, &(i, new)) in order.iter().enumerate() {
        let rows = &tests[i];
        cum_cost += costs[i];
        cum_events += new;
        let kept = new > 0;
        let n = rows.points.len();
        let total_seconds: f64 = rows.durations.iter().sum();
        let advice = if kept || n < options.min_runs {
            Advice::Keep
        } else if detected[i].is_empty() {
            Advice::ReviewForDeletion
        } else {
            Advice::MoveToNightly
        };
        let point = CurvePoint {
            cost_share: ratio(cum_cost, total_cost),
            event_share: ratio(cum_events as f64, n_events as f64),
        };
        curve.push(point);
        if advice != Advice::Keep {
            candidates.push(Candidate {
                test_id: rows.test_id.clone(),
                classname: rows.classname.clone(),
                name: rows.name.clone(),
                variant: rows.variant.clone(),
                runs: n,
                cost_seconds: costs[i],
                hours_per_week: per_week(total_seconds),
                events: detected[i].len(),
                detection_rate_upper: upper_bound_zero(n),
                advice,
                owners: Vec::new(),
            });
        }
        out.push(TestCoverage {
            rank: rank + 1,
            test_id: rows.test_id.clone(),
            classname: rows.classname.clone(),
            name: rows.name.clone(),
            variant: rows.variant.clone(),
            cost_seconds: costs[i],
            runs: n,
            total_seconds,
            events: detected_vecs[i].clone(),
            unique_events: detected[i]
                .iter()
                .filter(|&&e| event_tests[e].len() == 1)
                .count(),
            new_events: new,
            kept,
            cum_cost_share: point.cost_share,
            cum_event_share: point.event_share,
            advice,
        });
    }
    candidates.sort_by(|a, b| {
        b.hours_per_week
            .total_cmp(&a.hours_per_week)
            .then(b.cost_seconds.total_cmp(&a.cost_seconds))
            .then_with(|| a.test_id.cmp(&b.test_id))
            .then_with(|| a.variant.cmp(&b.variant))
    });
    let unlisted = material(&mut candidates, total_cost, options);

    let kept_cost: f64 = out.iter().filter(|t| t.kept).map(|t| t.cost_seconds).sum();
    let redundant: Vec<&TestCoverage> = out.iter().filter(|t| !t.kept).collect();
    let mut summary = TrimSummary {
        runs: runs.len(),
        infrastructure_runs: infra.iter().filter(|&&x| x).count(),
        window_days,
        tests: out.len(),
        events: n_events,
        cost_seconds: total_cost,
        kept_tests: out.len() - redundant.len(),
        kept_cost_share: ratio(kept_cost, total_cost),
        redundant_tests: redundant.len(),
        redundant_cost_share: ratio(total_cost - kept_cost, total_cost),
        redundant_hours_per_week: per_week(redundant.iter().map(|t| t.total_seconds).sum()),
        candidates: candidates.len(),
        candidate_hours_per_week: candidates.iter().map(|c| c.hours_per_week).sum(),
        unlisted_candidates: unlisted.len(),
        unlisted_hours_per_week: unlisted.iter().map(|c| c.hours_per_week).sum(),
        headline: String::new(),
    };
    summary.headline = headline(&summary);
    TrimReport {
        schema_version: SCHEMA_VERSION,
        options: options.clone(),
        summary,
        events,
        tests: out,
        curve,
        candidates,
        replayed: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(commits: &str) -> Vec<RunInfo> {
        crate::analysis::window::runs_on_commits(commits)
    }

    fn points(s: &str) -> Vec<(usize, Outcome)> {
        s.chars()
            .enumerate()
            .filter(|(_, c)| *c != 's')
            .map(|(r, c)| {
                let o = match c {
                    'F' => Outcome::Fail,
                    '~' => Outcome::Retry,
                    _ => Outcome::Pass,
                };
                (r, o)
            })
            .collect()
    }

    #[test]
    fn episodes_skip_retries_and_same_commit_contradictions() {
        let rs = runs("abcdeff");
        assert_eq!(episode_starts(&points(".FF.~F."), &rs), vec![1]);
        assert_eq!(episode_starts(&points("F.FF.sF"), &rs), vec![0, 2, 5]);
    }

    #[test]
    fn exclude_flaky_keeps_only_streak_failures() {
        // Flaky by its lone failures: they go, the breakage of three commits stays (in 20 runs:
        // in 10, five failures are as likely a test failing half the time).
        let rs = runs("abcdefghijklmnopqrst");
        let p = streak_failures_only(&points(".F......F.....FFF..."), &rs);
        assert_eq!(episode_starts(&p, &rs), vec![14]);
        let rs = runs("abcdefghij");
        // Not flaky (a fixed streak only): unchanged.
        let p = streak_failures_only(&points("...FFF...."), &rs);
        assert_eq!(episode_starts(&p, &rs), vec![3]);
    }

    #[test]
    fn events_merge_on_run_or_commit() {
        let rs = runs("abcc");
        // Starts on runs 2 and 3 share commit c; run 0 twice is one event.
        assert_eq!(group_events(&[3, 0, 2, 0], &rs), vec![2, 1, 2, 1]);
    }

    #[test]
    fn greedy_takes_events_per_second() {
        let e1: &[usize] = &[1];
        let e12: &[usize] = &[1, 2];
        let e2: &[usize] = &[2];
        let none: &[usize] = &[];
        let tests = [
            ("a", 1.0, e1),
            ("b", 4.0, e12),
            ("c", 2.0, e2),
            ("d", 3.0, none),
            ("e", 1.0, e1),
        ];
        let order = greedy_order(&tests);
        assert_eq!(order, vec![(0, 1), (2, 1), (1, 0), (3, 0), (4, 0)]);
    }

    #[test]
    fn zero_detection_bound() {
        assert!((upper_bound_zero(100) - 0.029_513).abs() < 1e-6);
        assert_eq!(upper_bound_zero(0), 1.0);
    }
}

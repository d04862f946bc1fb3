//! `select`: turns the analyses into lists a test runner can act on. Which tests (flaky ones to
//! quarantine, trim candidates to skip, every test by failure likelihood, or K shards of
//! near-equal time) is decided here as a plain `Selection`; [`runner`] then writes it in each
//! runner's own syntax. Formulas and each runner's syntax: docs/select.md.

pub(crate) mod changed;
pub(crate) mod history;
pub(crate) mod priority;
pub(crate) mod runner;
pub(crate) mod shards;

use crate::analysis::AnalysisError;
use crate::analysis::flaky::{FlakyOptions, FlakyReport, Verdict, flaky};
use crate::analysis::trim::{TrimOptions, TrimReport};
use crate::analysis::window::{Window, WindowSpec, runs_in_window};
use crate::config::Quarantine;
use crate::export::format::pct;
use crate::store::Store;
use history::{History, TestHistory};
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the JSON output; bumped when a field changes meaning or disappears.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// What to select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Kind {
    /// Tests `testsift flaky` calls flaky, to keep out of the gating run.
    Quarantine,
    /// Trim candidates of `testsift trim`, to leave out of the run.
    Skip,
    /// Every test, most likely to fail first, for fail-fast ordering.
    Priority,
    /// Every test or class in K groups of near-equal historical time.
    Shards,
}

crate::choice::choices!(Kind {
    Quarantine => "quarantine": "Tests `testsift flaky` calls flaky, to keep out of the gating run",
    Skip => "skip": "Trim candidates of `testsift trim`, to leave out of the run",
    Priority => "priority": "Every test, most likely to fail first, for fail-fast ordering",
    Shards => "shards": "Every test or class in K groups of near-equal historical time",
});

/// Settings of a selection.
#[derive(Debug, Clone)]
pub(crate) struct SelectOptions {
    pub(crate) kind: Kind,
    /// Overrides the `min_runs` of the analysis the kind uses (flaky: 5, trim: 50).
    pub(crate) min_runs: Option<usize>,
    pub(crate) infra_threshold: f64,
    /// Only this variant's runs.
    pub(crate) variant: Option<String>,
    pub(crate) shard_count: usize,
    pub(crate) shard_by: shards::Unit,
    /// shards: the runner the shards are written for; Go keeps tests together that one
    /// `-skip` name reaches (see [`shards::plan`]).
    pub(crate) runner: runner::Runner,
    /// What the current split to compare shards with is made of.
    pub(crate) split_by: crate::analysis::SplitBy,
    /// testsift.toml's quarantine entries (quarantine only).
    pub(crate) quarantine: Vec<Quarantine>,
    /// The day quarantine expiry is judged on.
    pub(crate) today: jiff::civil::Date,
    /// skip: the largest list whose replayed miss rate (failure runs only skipped tests showed)
    /// is at most this share is chosen.
    pub(crate) max_miss: f64,
    /// priority: the paths the change under test touched; tests in them go first.
    pub(crate) changed: changed::Changed,
    /// priority: only the N likeliest tests; a runner format excludes the others.
    pub(crate) top: Option<usize>,
    /// priority: only the likeliest tests whose median times add up to this many seconds.
    pub(crate) budget_seconds: Option<f64>,
}

/// One selected test, with why it was selected.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Selected {
    pub(crate) test_id: String,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) suite: String,
    pub(crate) file: Option<String>,
    pub(crate) variants: Vec<String>,
    /// `flaky`, `move-to-nightly`, `review-for-deletion`, `changed`, `new`, `failing`,
    /// `history`, `skipped` or `shard`.
    pub(crate) reason: String,
    /// Executed runs in the window (not skipped, not infrastructure failures).
    pub(crate) runs: usize,
    /// Runs in which it failed at least once (retried or not).
    pub(crate) failures: usize,
    pub(crate) failure_rate: f64,
    pub(crate) failure_rate_decayed: f64,
    /// `testsift flaky`'s flake rate, for tests it calls flaky.
    pub(crate) flake_rate: Option<f64>,
    /// Failure-likelihood score (priority only).
    pub(crate) score: Option<f64>,
    pub(crate) median_seconds: Option<f64>,
    /// 1-based shard (shards only).
    pub(crate) shard: Option<usize>,
    /// The evidence, one short sentence each.
    pub(crate) evidence: Vec<String>,
    /// quarantine: `config` (a testsift.toml entry names it; `reason` is the entry's) or
    /// `flaky` (`testsift flaky` calls it flaky).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) source: Option<String>,
    /// The quarantine entry's owner, issue and last day (source `config`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) issue: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) until: Option<String>,
}

/// The whole result of `testsift select`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Selection {
    pub(crate) schema_version: u32,
    pub(crate) kind: Kind,
    /// Runs (run key and variant) in the window.
    pub(crate) runs: usize,
    /// Tests in the window.
    pub(crate) known_tests: usize,
    /// quarantine, skip: the selected tests; priority: every test, most likely to fail first;
    /// shards: every test, by shard.
    pub(crate) tests: Vec<Selected>,
    pub(crate) shards: Option<shards::ShardPlan>,
    /// Why there was nothing to select from (no store yet, as on a CI cache miss, or an empty
    /// window): the selection is then empty, so the runner runs every test. Null otherwise.
    pub(crate) no_data: Option<String>,
    /// skip: the cut chosen by replay, and what that list would have missed and saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) skip_cut: Option<SkipCut>,
    /// priority with `--top N` or `--budget TIME`: how many of the likeliest tests `tests`
    /// holds; a runner format excludes every other test of the window, so the runner runs
    /// those (a fail-fast first stage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) top: Option<usize>,
    /// quarantine, skip with `--only`: a runner format runs only the selected tests (every
    /// other test of the window excluded), for a job that keeps them running without gating.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) only: bool,
    /// quarantine: selected tests that have not run in the window's newest [`STALE_RUNS`]
    /// runs or more (the quarantine itself keeps them out): their verdict cannot change until
    /// they run again.
    #[serde(skip_serializing_if = "is_zero")]
    pub(crate) not_run_lately: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// See [`Selection::not_run_lately`].
pub(crate) const STALE_RUNS: usize = 5;

/// How `select skip` chose its list: the largest `--saving-share` whose skip list, replayed run
/// by run over the window, missed at most `max_miss` of the failure runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct SkipCut {
    pub(crate) max_miss: f64,
    /// The `trim --saving-share` chosen (0: no list stayed within the bound; nothing skipped).
    pub(crate) saving_share: f64,
    pub(crate) replayed: crate::analysis::trim::Replayed,
}

/// Runs the selection over the store. Also returns every test in the window, which the runner
/// formats need to warn when a pattern would catch more than the selection.
///
/// A missing store (the first CI run, or a cache miss) or a window without runs is not an
/// error: a selection must never break the pipeline, so it is empty, with `no_data` saying why.
pub(crate) fn select(
    store: &Store,
    window: &WindowSpec,
    options: &SelectOptions,
) -> Result<(Selection, Vec<runner::Target>), AnalysisError> {
    if !store.exists() {
        let why = format!(
            "{}: no history here yet (a first run, or a CI cache miss)",
            store.dir().display()
        );
        return Ok((empty(options, why), Vec::new()));
    }
    let mut all_runs = runs_in_window(store, &WindowSpec::default())?;
    if let Some(v) = options.variant.as_deref() {
        all_runs.retain(|r| r.variant == v);
    }
    if let Some(why) = crate::analysis::gate::empty_window(&all_runs, window) {
        let why = match options.variant.as_deref() {
            Some(v) if all_runs.is_empty() => format!("no run of variant {}", runner::show(v)),
            _ => format!("the window is empty: {why}"),
        };
        return Ok((empty(options, why), Vec::new()));
    }
    let loaded = Window::load(store, window)?;
    let hist = history::history(
        &loaded,
        options.variant.as_deref(),
        options.infra_threshold,
        options.split_by,
    );
    // The analyses report per variant; `--variant` keeps that variant's results.
    let keep_variant = |v: &str| options.variant.as_deref().is_none_or(|w| w == v);
    let mut skip_cut = None;
    let (tests, plan) = match options.kind {
        Kind::Quarantine => {
            let report = flaky(&loaded, &flaky_options(options));
            let mut tests = quarantine(&hist, &report, &keep_variant);
            configured(&mut tests, &hist, options);
            (tests, None)
        }
        Kind::Skip => {
            let base = TrimOptions {
                min_runs: options.min_runs.unwrap_or(TrimOptions::default().min_runs),
                infra_threshold: options.infra_threshold,
                ..TrimOptions::default()
            };
            let (share, replayed, report) =
                crate::analysis::trim::trim_at_chosen_cut(loaded, &base, options.max_miss);
            skip_cut = Some(SkipCut {
                max_miss: options.max_miss,
                saving_share: share,
                replayed,
            });
            let tests = if share > 0.0 {
                skip(&hist, &report, &keep_variant)
            } else {
                Vec::new()
            };
            (tests, None)
        }
        Kind::Priority => {
            let (runs, series, counts) = crate::analysis::load::load_owned(loaded);
            let model = crate::analysis::backtest::learned(
                &runs,
                &series,
                &counts,
                options.infra_threshold,
            );
            let mut tests =
                priority::order(&hist, &series, &model, &keep_variant, &options.changed);
            if let Some(n) = options.top {
                tests.truncate(n);
            }
            if let Some(budget) = options.budget_seconds {
                tests.truncate(within_budget(&tests, budget));
            }
            (tests, None)
        }
        Kind::Shards => {
            let (tests, plan) =
                shards::plan(&hist, options.shard_count, options.shard_by, options.runner);
            (tests, Some(plan))
        }
    };
    let not_run_lately = if options.kind == Kind::Quarantine {
        let newest = hist.runs.len();
        tests
            .iter()
            .filter(|t| {
                hist.tests
                    .iter()
                    .find(|h| h.test_id == t.test_id)
                    .and_then(|h| h.last_executed)
                    .is_some_and(|last| newest.saturating_sub(last + 1) >= STALE_RUNS)
            })
            .count()
    } else {
        0
    };
    let newest = hist.runs.len();
    let all = hist
        .tests
        .iter()
        .map(|h| runner::Target {
            stale: h
                .last_executed
                .is_none_or(|last| newest.saturating_sub(last + 1) >= STALE_RUNS),
            ..runner::Target::from(h)
        })
        .collect();
    let stage = is_stage(options);
    let tests_kept = tests.len();
    Ok((
        Selection {
            schema_version: SCHEMA_VERSION,
            kind: options.kind,
            runs: hist.runs.len(),
            known_tests: hist.tests.len(),
            tests,
            shards: plan,
            no_data: None,
            skip_cut,
            top: stage.then_some(tests_kept),
            only: false,
            not_run_lately,
        },
        all,
    ))
}

/// Whether the selection is the first stage of a run: the likeliest tests of an order, by
/// count or by time.
fn is_stage(options: &SelectOptions) -> bool {
    options.kind == Kind::Priority && (options.top.is_some() || options.budget_seconds.is_some())
}

/// How many of `tests`, in order, fit in `budget` seconds of median time (a test never timed
/// counts as the median of the others); at least one, so that the stage runs something.
fn within_budget(tests: &[Selected], budget: f64) -> usize {
    let known: Vec<f64> = tests.iter().filter_map(|t| t.median_seconds).collect();
    let fill = crate::analysis::slow::median(&known).unwrap_or(0.0);
    let mut total = 0.0;
    let mut keep = 0;
    for t in tests {
        let seconds = t.median_seconds.unwrap_or(fill);
        if keep > 0 && total + seconds > budget {
            break;
        }
        total += seconds;
        keep += 1;
    }
    keep
}

/// The selection when there is no history to select from: no test, and for shards K empty
/// shards, so each runner format writes a list that excludes nothing.
fn empty(options: &SelectOptions, why: String) -> Selection {
    let plan = (options.kind == Kind::Shards).then(|| {
        let nothing = History {
            runs: Vec::new(),
            tests: Vec::new(),
            current_split: Err("no history".into()),
        };
        shards::plan(
            &nothing,
            options.shard_count,
            options.shard_by,
            options.runner,
        )
        .1
    });
    Selection {
        schema_version: SCHEMA_VERSION,
        kind: options.kind,
        runs: 0,
        known_tests: 0,
        tests: Vec::new(),
        shards: plan,
        no_data: Some(why),
        skip_cut: None,
        top: is_stage(options).then_some(0),
        only: false,
        not_run_lately: 0,
    }
}

fn flaky_options(options: &SelectOptions) -> FlakyOptions {
    FlakyOptions {
        min_runs: options.min_runs.unwrap_or(FlakyOptions::default().min_runs),
        infra_threshold: options.infra_threshold,
    }
}

/// The common part of a selected test: names and its history's figures.
pub(crate) fn base(t: &TestHistory, reason: &str) -> Selected {
    let failures = t
        .outcomes
        .iter()
        .filter(|o| **o != crate::analysis::flaky::Outcome::Pass)
        .count();
    Selected {
        test_id: t.test_id.clone(),
        classname: t.classname.clone(),
        name: t.name.clone(),
        suite: t.suite.clone(),
        file: t.file.clone(),
        variants: t.variants.clone(),
        reason: reason.to_string(),
        runs: t.outcomes.len(),
        failures,
        failure_rate: if t.outcomes.is_empty() {
            0.0
        } else {
            failures as f64 / t.outcomes.len() as f64
        },
        failure_rate_decayed: priority::decayed_failure_rate(&t.outcomes),
        median_seconds: crate::analysis::slow::median(&t.durations),
        ..Selected::default()
    }
}

fn by_id(hist: &History) -> BTreeMap<&str, &TestHistory> {
    hist.tests.iter().map(|t| (t.test_id.as_str(), t)).collect()
}

/// Tests `flaky` calls flaky on at least one (kept) variant.
fn quarantine(
    hist: &History,
    report: &FlakyReport,
    keep_variant: &dyn Fn(&str) -> bool,
) -> Vec<Selected> {
    let tests = by_id(hist);
    let mut out: BTreeMap<&str, Selected> = BTreeMap::new();
    for v in &report.tests {
        if v.verdict != Verdict::Flaky || !keep_variant(&v.variant) {
            continue;
        }
        let Some(t) = tests.get(v.test_id.as_str()) else {
            continue;
        };
        let s = out
            .entry(v.test_id.as_str())
            .or_insert_with(|| base(t, Verdict::Flaky.as_str()));
        s.flake_rate = match (s.flake_rate, v.flake_rate) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let on = if v.variant.is_empty() {
            String::new()
        } else {
            format!(" on {}", v.variant)
        };
        if v.retry_runs > 0 {
            s.evidence.push(format!(
                "passed on a retry in {}{on}",
                crate::export::format::count(v.retry_runs, "run")
            ));
        }
        if v.same_commit_commits > 0 {
            s.evidence.push(format!(
                "passed and failed on the same commit {} times{on}",
                v.same_commit_commits
            ));
        }
        if v.flips > 0 {
            s.evidence.push(format!(
                "{} flips in {} transitions{on}",
                v.flips, v.transitions
            ));
        }
        if let Some(r) = v.flake_rate {
            s.evidence.push(format!(
                "flake rate {} of {} runs{on}",
                pct(r),
                v.non_broken_executions
            ));
        }
    }
    out.into_values().collect()
}

/// Adds the tests testsift.toml's quarantine entries in force name (globs expanded against the
/// window's tests) to `tests`, the detected flaky ones: a test in both is listed once, with
/// the entry's reason and source `config`. Sorted by test id.
fn configured(tests: &mut Vec<Selected>, hist: &History, options: &SelectOptions) {
    let entries: Vec<&Quarantine> = options
        .quarantine
        .iter()
        .filter(|q| !q.expired(options.today))
        .filter(|q| match (&q.variant, &options.variant) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        })
        .collect();
    for t in &hist.tests {
        let Some(q) = entries.iter().find(|q| {
            q.matches(&t.test_id)
                && q.variant
                    .as_ref()
                    .is_none_or(|v| t.variants.iter().any(|tv| tv == v))
        }) else {
            continue;
        };
        let s = match tests.iter_mut().position(|s| s.test_id == t.test_id) {
            Some(i) => &mut tests[i],
            None => {
                tests.push(base(t, ""));
                let last = tests.len() - 1;
                &mut tests[last]
            }
        };
        s.reason = q.reason.clone();
        s.source = Some("config".into());
        s.owner = Some(q.owner.clone());
        s.issue = Some(q.issue.clone());
        s.until = Some(q.until.to_string());
        s.evidence.insert(
            0,
            format!(
                "quarantined in testsift.toml until {} by {}",
                q.until, q.owner
            ),
        );
    }
    for s in tests.iter_mut().filter(|s| s.source.is_none()) {
        s.source = Some("flaky".into());
    }
    tests.sort_by(|a, b| a.test_id.cmp(&b.test_id));
}

/// Refuses a quarantine list longer than testsift.toml's `max_quarantined`.
pub(crate) fn check_cap(selection: &Selection, cap: Option<usize>) -> Result<(), String> {
    match cap {
        Some(cap) if selection.kind == Kind::Quarantine && selection.tests.len() > cap => {
            let from_config = selection
                .tests
                .iter()
                .filter(|t| t.source.as_deref() == Some("config"))
                .count();
            Err(format!(
                "{} tests would be quarantined ({from_config} by testsift.toml, {} detected \
                 flaky), more than max_quarantined = {cap}; fix or remove some, or raise the cap",
                selection.tests.len(),
                selection.tests.len() - from_config
            ))
        }
        _ => Ok(()),
    }
}

/// Trim candidates on at least one (kept) variant, most time saved first.
fn skip(hist: &History, report: &TrimReport, keep_variant: &dyn Fn(&str) -> bool) -> Vec<Selected> {
    let tests = by_id(hist);
    let mut out: Vec<Selected> = Vec::new();
    for c in &report.candidates {
        if !keep_variant(&c.variant) {
            continue;
        }
        let Some(t) = tests.get(c.test_id.as_str()) else {
            continue;
        };
        if out.iter().any(|s| s.test_id == c.test_id) {
            continue;
        }
        let mut s = base(t, c.advice.as_str());
        s.evidence.push(format!(
            "caught {} failure events in {} runs, all also caught by kept tests",
            c.events, c.runs
        ));
        s.evidence.push(format!(
            "95% upper bound on its rate of catching what the kept tests miss: {}",
            pct(c.detection_rate_upper)
        ));
        s.evidence
            .push(format!("{:.2} CI hours a week", c.hours_per_week));
        out.push(s);
    }
    out
}

//! `testsift report`: the three analyses computed once, the per-run detail the charts need,
//! and what changed since the previous report, gathered into one [`Report`] that the HTML,
//! Markdown and JSON renderers share. Renderers take the struct, never the store.
//!
//! Each output is a list of sections, one function per section, so a new analysis field is one
//! more section in each renderer.

pub mod archive;
pub mod diff;
pub mod escape;
pub mod html;
pub mod json;
pub mod markdown;
pub mod svg;

use crate::analysis::AnalysisError;
use crate::analysis::flaky::{FlakyOptions, FlakyReport, TestVerdict, Verdict, flaky};
use crate::analysis::history::{self, History};
use crate::analysis::slow::{GroupBy, SlowOptions, SlowReport, slow};
use crate::analysis::trim::{TrimOptions, TrimReport, trim};
use crate::analysis::window::{Since, WindowArgs, runs_in_window};
use crate::store::Store;
use diff::Changes;
use serde::Serialize;
use std::collections::HashSet;

/// Version of report.json; bumped when a field changes meaning or disappears
/// (docs/report-json.md).
pub const SCHEMA_VERSION: u32 = 1;
/// Runs the timeline heat map covers.
pub const RECENT_RUNS: usize = 60;
/// Tests in the timeline heat map.
pub const TIMELINE_TESTS: usize = 25;
/// Rows of each table in report.html; the rest are counted, and all are in report.json.
pub const HTML_ROWS: usize = 100;
/// Suites with a sparkline.
pub const SUITES: usize = 30;
/// Failed and flaky runs listed per test.
pub const RUNS_PER_TEST: usize = 20;

/// Settings of a report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportOptions {
    pub flaky: FlakyOptions,
    pub slow: SlowOptions,
    pub trim: TrimOptions,
}

/// The window the report covers, as given on the command line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Window {
    pub since: Option<String>,
    pub last_runs: Option<usize>,
    pub branch: Option<String>,
}

/// Headline figures, gathered from the three analyses (`+ 0.0` turns a negative zero into 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Headline {
    pub runs: usize,
    pub first_run: Option<String>,
    pub last_run: Option<String>,
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
    pub infrastructure_runs: usize,
    pub tests: usize,
    pub flaky: usize,
    pub broken: usize,
    pub fixed: usize,
    pub new: usize,
    pub stable: usize,
    pub insufficient_data: usize,
    /// Runs outside infrastructure failures that had a failed test.
    pub red_runs: usize,
    /// Of those, red only because of flaky failures of flaky tests.
    pub red_only_flaky_runs: usize,
    pub flaky_run_rate: f64,
    pub flaky_executions_per_1000: f64,
    /// Summed test time outside infrastructure runs, in hours.
    pub test_hours: f64,
    pub suites: usize,
    pub suites_getting_slower: usize,
    pub failure_events: usize,
    /// Share of per-run test time the tests that caught every event take.
    pub kept_cost_share: f64,
    pub trim_candidates: usize,
    pub candidate_hours_per_week: f64,
}

/// Everything a report shows.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub generated_at: String,
    pub window: Window,
    pub options: ReportOptions,
    pub headline: Headline,
    /// Present when a previous report was compared.
    pub changes: Option<Changes>,
    pub flaky: FlakyReport,
    pub slow: SlowReport,
    pub trim: TrimReport,
    pub history: History,
}

impl Report {
    /// The failed and flaky runs listed for a test.
    pub fn runs_of(&self, t: &TestVerdict) -> Option<&history::VerdictRuns> {
        self.history
            .verdict_runs
            .iter()
            .find(|v| v.test_id == t.test_id && v.variant == t.variant)
    }

    /// The failure a test is shown with: its most common fingerprint's message for a flaky
    /// test, else the newest listed failure's message.
    pub fn failure_of<'a>(&'a self, t: &'a TestVerdict) -> Option<&'a str> {
        t.fingerprints
            .first()
            .map(|f| f.example.as_str())
            .filter(|m| !m.is_empty())
            .or_else(|| {
                self.runs_of(t)?
                    .runs
                    .iter()
                    .find_map(|r| r.message.as_deref())
            })
    }
}

/// Flaky tests, most flaky executions first (then flake rate, then id): the order of every
/// flaky list in the report.
pub fn top_flaky(r: &FlakyReport) -> Vec<&TestVerdict> {
    let mut v: Vec<&TestVerdict> = r
        .tests
        .iter()
        .filter(|t| t.verdict == Verdict::Flaky)
        .collect();
    v.sort_by(|a, b| {
        b.flaky_executions
            .cmp(&a.flaky_executions)
            .then(
                b.flake_rate
                    .unwrap_or(0.0)
                    .total_cmp(&a.flake_rate.unwrap_or(0.0)),
            )
            .then_with(|| a.test_id.cmp(&b.test_id))
            .then_with(|| a.variant.cmp(&b.variant))
    });
    v
}

/// Broken tests, most recently broken first (then id).
pub fn top_broken(r: &FlakyReport) -> Vec<&TestVerdict> {
    let mut v: Vec<&TestVerdict> = r
        .tests
        .iter()
        .filter(|t| t.verdict == Verdict::Broken)
        .collect();
    let start = |t: &TestVerdict| {
        t.streak
            .as_ref()
            .map(|s| s.first.timestamp.clone())
            .unwrap_or_default()
    };
    v.sort_by(|a, b| {
        start(b)
            .cmp(&start(a))
            .then_with(|| a.test_id.cmp(&b.test_id))
            .then_with(|| a.variant.cmp(&b.variant))
    });
    v
}

/// `--since` as it could have been typed.
fn since_text(since: Since) -> String {
    match since {
        Since::Age(ms) if ms % 86_400_000 == 0 => format!("{}d", ms / 86_400_000),
        Since::Age(ms) if ms % 3_600_000 == 0 => format!("{}h", ms / 3_600_000),
        Since::Age(ms) => format!("{}m", ms / 60_000),
        Since::At(ms) => jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default(),
    }
}

fn key(t: &TestVerdict) -> (String, String) {
    (t.test_id.clone(), t.variant.clone())
}

/// Runs the three analyses once each over the window and reads the per-run detail.
pub fn build(
    store: &Store,
    window: &WindowArgs,
    options: &ReportOptions,
    generated_at: String,
) -> Result<Report, AnalysisError> {
    let slow_options = SlowOptions {
        by: GroupBy::Suite,
        ..options.slow.clone()
    };
    // flaky beside slow-then-trim: the analyses are partly sequential, so two at a time keep
    // both cores busy, and running the two smaller ones in turn bounds the peak memory.
    let (flaky, slow_trim) = rayon::join(
        || flaky(store, window, &options.flaky),
        || -> Result<_, AnalysisError> {
            let slow = slow(store, window, &slow_options)?;
            let trim = trim(store, window, &options.trim)?;
            Ok((slow, trim))
        },
    );
    let flaky = flaky?;
    let (slow, trim) = slow_trim?;
    let runs = runs_in_window(store, window)?;

    let flaky_top = top_flaky(&flaky);
    let broken_top = top_broken(&flaky);
    let timeline: Vec<(String, String)> = flaky_top
        .iter()
        .chain(&broken_top)
        .take(TIMELINE_TESTS)
        .map(|t| key(t))
        .collect();
    let evidence: Vec<(String, String)> = flaky_top
        .iter()
        .take(HTML_ROWS)
        .chain(broken_top.iter().take(HTML_ROWS))
        .map(|t| key(t))
        .collect();
    let suites: Vec<String> = slow
        .groups
        .iter()
        .take(SUITES)
        .map(|g| g.group.clone())
        .collect();
    let infrastructure: HashSet<(String, String)> = flaky
        .infrastructure_runs
        .iter()
        .map(|r| (r.run.clone(), r.variant.clone()))
        .collect();
    let history = history::history(
        store,
        &runs,
        &history::Selection {
            timeline: &timeline,
            evidence: &evidence,
            recent_runs: RECENT_RUNS,
            runs_per_test: RUNS_PER_TEST,
            suites: &suites,
            infrastructure: &infrastructure,
        },
    )?;

    let f = &flaky.summary;
    let headline = Headline {
        runs: f.runs,
        first_run: f.first_run.clone(),
        last_run: f.last_run.clone(),
        first_timestamp: runs.first().map(|r| r.timestamp()),
        last_timestamp: runs.last().map(|r| r.timestamp()),
        infrastructure_runs: f.infrastructure_runs,
        tests: f.tests,
        flaky: f.flaky,
        broken: f.broken,
        fixed: f.fixed,
        new: f.new,
        stable: f.stable,
        insufficient_data: f.insufficient_data,
        red_runs: f.red_runs,
        red_only_flaky_runs: f.red_only_flaky_runs,
        flaky_run_rate: f.flaky_run_rate + 0.0,
        flaky_executions_per_1000: f.flaky_executions_per_1000 + 0.0,
        test_hours: slow.summary.total_seconds / 3600.0 + 0.0,
        suites: slow.groups.len(),
        suites_getting_slower: slow.groups.iter().filter(|g| g.getting_slower).count(),
        failure_events: trim.summary.events,
        kept_cost_share: trim.summary.kept_cost_share + 0.0,
        trim_candidates: trim.summary.candidates,
        candidate_hours_per_week: trim.summary.candidate_hours_per_week + 0.0,
    };
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        generated_at,
        window: Window {
            since: window.since.map(since_text),
            last_runs: window.last_runs,
            branch: window.branch.clone(),
        },
        options: ReportOptions {
            flaky: options.flaky.clone(),
            slow: slow_options,
            trim: options.trim.clone(),
        },
        headline,
        changes: None,
        flaky,
        slow,
        trim,
        history,
    })
}

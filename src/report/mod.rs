//! `testsift report`: the three analyses computed once, the per-run detail the charts need,
//! and what changed since the previous report, gathered into one `Report` that the HTML,
//! Markdown and JSON renderers share. Renderers take the struct, never the store.
//!
//! Each output is a list of sections, one function per section, so a new analysis field is one
//! more section in each renderer.

pub(crate) mod archive;
pub(crate) mod diff;
pub mod escape;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod svg;

use crate::analysis::AnalysisError;
use crate::analysis::flaky::{Breakage, FlakyOptions, FlakyReport, TestVerdict, Verdict, flaky};
use crate::analysis::history::{self, History};
use crate::analysis::slow::{GroupBy, SlowOptions, SlowReport, slow_keeping_runs};
use crate::analysis::trim::{TrimOptions, TrimReport, trim_loaded};
use crate::analysis::window::{Since, WindowSpec};
use crate::store::Store;
use diff::Changes;
use serde::Serialize;
use std::collections::BTreeMap;
use std::collections::HashSet;
use std::io::{self, Write};
use std::path::Path;

/// Version of report.json; bumped when a field changes meaning or disappears
/// (docs/report-json.md).
pub(crate) const SCHEMA_VERSION: u32 = 1;
/// Runs the timeline heat map covers.
pub(crate) const RECENT_RUNS: usize = 60;
/// Tests in the timeline heat map.
pub(crate) const TIMELINE_TESTS: usize = 25;
/// Rows of each table in report.html; the rest are counted, and all are in report.json.
pub(crate) const HTML_ROWS: usize = 100;
/// Rows of each list report.html shows at once; the rest (to [`HTML_ROWS`]) are behind a
/// toggle, so the first screens hold the lists a reader acts on.
pub(crate) const HTML_TOP: usize = 20;
/// Without a previous report, a flaky test is "newly flaky" when its first flaky run is this
/// many days or fewer before the window's newest run, and in the newer half of the window (so a
/// short window does not call every flaky test new).
pub(crate) const NEW_DAYS: i64 = 7;
/// Suites with a sparkline.
pub(crate) const SUITES: usize = 30;
/// Failed and flaky runs listed per test.
pub(crate) const RUNS_PER_TEST: usize = 20;

/// Settings of a report.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct ReportOptions {
    pub(crate) flaky: FlakyOptions,
    pub(crate) slow: SlowOptions,
    pub(crate) trim: TrimOptions,
}

/// The window the report covers, as given on the command line.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Window {
    pub(crate) since: Option<String>,
    pub(crate) last_runs: Option<usize>,
    pub(crate) branch: Option<String>,
}

/// Headline figures, gathered from the three analyses (`+ 0.0` turns a negative zero into 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Headline {
    pub(crate) runs: usize,
    pub(crate) first_run: Option<String>,
    pub(crate) last_run: Option<String>,
    pub(crate) first_timestamp: Option<String>,
    pub(crate) last_timestamp: Option<String>,
    pub(crate) infrastructure_runs: usize,
    pub(crate) tests: usize,
    pub(crate) flaky: usize,
    pub(crate) broken: usize,
    pub(crate) fixed: usize,
    pub(crate) new: usize,
    pub(crate) stable: usize,
    pub(crate) insufficient_data: usize,
    /// Tests skipped in every run of the window.
    pub(crate) skipped: usize,
    /// Runs outside infrastructure failures that had a failed test.
    pub(crate) red_runs: usize,
    /// Of those, red only because of flaky failures of flaky tests.
    pub(crate) red_only_flaky_runs: usize,
    pub(crate) flaky_run_rate: f64,
    pub(crate) flaky_executions_per_1000: f64,
    /// Summed test time outside infrastructure runs, in hours.
    pub(crate) test_hours: f64,
    pub(crate) suites: usize,
    pub(crate) suites_getting_slower: usize,
    pub(crate) failure_events: usize,
    /// Share of per-run test time the tests that caught every event take.
    pub(crate) kept_cost_share: f64,
    pub(crate) trim_candidates: usize,
    pub(crate) candidate_hours_per_week: f64,
}

/// Everything a report shows.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) schema_version: u32,
    pub(crate) generated_at: String,
    pub(crate) window: Window,
    pub(crate) options: ReportOptions,
    pub(crate) headline: Headline,
    /// Present when a previous report was compared.
    pub(crate) changes: Option<Changes>,
    pub(crate) flaky: FlakyReport,
    pub(crate) slow: SlowReport,
    pub(crate) trim: TrimReport,
    pub(crate) history: History,
    /// What the selections would have done, replayed over the window (`testsift backtest`).
    pub(crate) selection_safety: SelectionSafety,
    /// testsift.toml's quarantine entries past their `until` (filled in by `report`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) expired_quarantine: Vec<crate::config::Quarantine>,
}

/// The skip list's and the priority order's replays, in brief.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SelectionSafety {
    /// The trim list's cut, skipped run by run (`trim.replayed`).
    pub(crate) skip: Option<crate::analysis::trim::Replayed>,
    /// Runs the priority order was scored on (those with a failure), and the mean APFD of
    /// testsift's order, a random one, the optimal one and the best simple heuristic.
    pub(crate) priority_runs_scored: usize,
    pub(crate) priority_apfd: Option<f64>,
    pub(crate) random_apfd: Option<f64>,
    pub(crate) optimal_apfd: Option<f64>,
    pub(crate) last_failed_first_apfd: Option<f64>,
    /// A first stage of the likeliest tests taking [`FIRST_STAGE_SHARE`] of each run's
    /// predicted test time: the share of the scored runs in which it would have caught a
    /// failure, in testsift's order and in last-failed-first's.
    pub(crate) first_stage_share: f64,
    pub(crate) first_stage_caught: Option<f64>,
    pub(crate) first_stage_caught_last_failed_first: Option<f64>,
}

/// The share of a run's predicted test time the report's first stage takes.
pub(crate) const FIRST_STAGE_SHARE: f64 = 0.1;

impl SelectionSafety {
    fn new(trim: &TrimReport, priority: &crate::analysis::backtest::PriorityBacktest) -> Self {
        use crate::analysis::backtest::OrderKind;
        let apfd = |kind: OrderKind| {
            (priority.runs_scored > 0)
                .then(|| priority.orders.iter().find(|o| o.order == kind))
                .flatten()
                .map(|o| o.mean_apfd)
        };
        let caught = |kind: OrderKind| {
            let stage = priority.stage.as_ref()?;
            (stage.runs_scored > 0)
                .then(|| stage.orders.iter().find(|o| o.order == kind))
                .flatten()
                .map(|o| o.caught_share)
        };
        SelectionSafety {
            skip: trim.replayed,
            priority_runs_scored: priority.runs_scored,
            priority_apfd: apfd(OrderKind::Testsift),
            random_apfd: apfd(OrderKind::Random),
            optimal_apfd: apfd(OrderKind::Optimal),
            last_failed_first_apfd: apfd(OrderKind::LastFailedFirst),
            first_stage_share: FIRST_STAGE_SHARE,
            first_stage_caught: caught(OrderKind::Testsift),
            first_stage_caught_last_failed_first: caught(OrderKind::LastFailedFirst),
        }
    }

    /// One paragraph, numbers and fixed words only.
    pub(crate) fn sentences(&self) -> String {
        let mut s = String::new();
        match self.skip {
            Some(p) if p.failure_runs > 0 => s.push_str(&format!(
                "Skip list: the tests listed under \"no unique catch\", skipped run by run over the \
                 {} runs after the first {} (each list from the runs before it), would have \
                 missed {} of {} failure runs ({:.1}%) and saved {:.1}% of the test time. ",
                p.runs_replayed,
                p.train_runs,
                p.missed_runs,
                p.failure_runs,
                100.0 * p.miss_rate,
                100.0 * p.saved_share
            )),
            _ => s.push_str("Skip list: no failure run to replay it against. "),
        }
        match (self.priority_apfd, self.random_apfd, self.optimal_apfd) {
            (Some(t), Some(r), Some(o)) => s.push_str(&format!(
                "Priority order: over the {} runs with a failure, testsift's order found failures \
                 with a mean APFD of {t:.3}, against {r:.3} for a random order and {o:.3} for the \
                 best possible{}.",
                self.priority_runs_scored,
                self.last_failed_first_apfd
                    .map(|l| format!(" ({l:.3} for last-failed-first)"))
                    .unwrap_or_default()
            )),
            _ => s.push_str("Priority order: no run with a failure to replay it against."),
        }
        if let (Some(own), Some(lff)) = (
            self.first_stage_caught,
            self.first_stage_caught_last_failed_first,
        ) {
            s.push_str(&format!(
                " A first stage of the likeliest tests, taking {:.0}% of a run's predicted test \
                 time, would have caught a failure in {:.1}% of those runs ({:.1}% in \
                 last-failed-first's order; testsift select priority --budget writes such a stage).",
                100.0 * self.first_stage_share,
                100.0 * own,
                100.0 * lff
            ));
        }
        s
    }
}

impl Report {
    /// Whether `run` is the window's first: a breakage that starts there may have started
    /// before it.
    pub(crate) fn at_window_start(&self, run: &str) -> bool {
        self.flaky.summary.first_run.as_deref() == Some(run)
    }

    /// Owners of broken and flaky tests, with their counts (broken, flaky), most broken first;
    /// tests without an owner under "(no owner)". Empty when no test has one.
    pub(crate) fn by_owner(&self) -> Vec<(String, usize, usize)> {
        let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        let mut any = false;
        for t in &self.flaky.tests {
            let (broken, flaky) = match t.verdict {
                Verdict::Broken => (1, 0),
                Verdict::Flaky => (0, 1),
                _ => continue,
            };
            let owners: Vec<&str> = if t.owners.is_empty() {
                vec!["(no owner)"]
            } else {
                any = true;
                t.owners.iter().map(String::as_str).collect()
            };
            for o in owners {
                let c = counts.entry(o.to_string()).or_default();
                c.0 += broken;
                c.1 += flaky;
            }
        }
        if !any {
            return Vec::new();
        }
        let mut v: Vec<(String, usize, usize)> =
            counts.into_iter().map(|(o, (b, f))| (o, b, f)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        v
    }

    /// The failed and flaky runs listed for a test.
    pub(crate) fn runs_of(&self, t: &TestVerdict) -> Option<&history::VerdictRuns> {
        self.history
            .verdict_runs
            .iter()
            .find(|v| v.test_id == t.test_id && v.variant == t.variant)
    }

    /// The failure a test is shown with: its most common fingerprint's message for a flaky
    /// test, else the newest listed failure's message.
    pub(crate) fn failure_of<'a>(&'a self, t: &'a TestVerdict) -> Option<&'a str> {
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
pub(crate) fn top_flaky(r: &FlakyReport) -> Vec<&TestVerdict> {
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
pub(crate) fn top_broken(r: &FlakyReport) -> Vec<&TestVerdict> {
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

/// Tests fixed in the window (broken, then passing again), the newest fix first.
pub(crate) fn top_fixed(r: &FlakyReport) -> Vec<(&TestVerdict, &Breakage)> {
    let mut v: Vec<(&TestVerdict, &Breakage)> = r
        .tests
        .iter()
        .filter(|t| t.verdict == Verdict::Fixed)
        .filter_map(|t| Some((t, t.breakage.as_ref()?)))
        .filter(|(_, b)| b.fixed_by.is_some())
        .collect();
    let fixed_at = |b: &Breakage| {
        b.fixed_by
            .as_ref()
            .map(|f| f.timestamp.clone())
            .unwrap_or_default()
    };
    v.sort_by(|(ta, a), (tb, b)| {
        fixed_at(b)
            .cmp(&fixed_at(a))
            .then_with(|| ta.test_id.cmp(&tb.test_id))
            .then_with(|| ta.variant.cmp(&tb.variant))
    });
    v
}

/// Tests that became flaky lately, and how "lately" was decided.
pub(crate) enum NewlyFlaky<'a> {
    /// Flaky now and not flaky in the previous report.
    SincePrevious(&'a [diff::VerdictChange]),
    /// No previous report: flaky tests whose first flaky run is at or after `since` (at most
    /// [`NEW_DAYS`] days before the newest run, and in the newer half of the window), in the
    /// order of [`top_flaky`].
    FirstFlakyLately {
        since: Option<String>,
        tests: Vec<&'a TestVerdict>,
    },
}

/// The newly flaky tests the report leads with.
pub(crate) fn newly_flaky(r: &Report) -> NewlyFlaky<'_> {
    if let Some(c) = &r.changes {
        return NewlyFlaky::SincePrevious(&c.newly_flaky);
    }
    let ms = |t: &str| {
        t.parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_millisecond())
    };
    let h = &r.headline;
    let (Some(oldest), Some(newest)) = (
        h.first_timestamp.as_deref().and_then(ms),
        h.last_timestamp.as_deref().and_then(ms),
    ) else {
        return NewlyFlaky::FirstFlakyLately {
            since: None,
            tests: Vec::new(),
        };
    };
    let from = (newest - NEW_DAYS * 86_400_000).max(oldest + (newest - oldest) / 2);
    NewlyFlaky::FirstFlakyLately {
        since: jiff::Timestamp::from_millisecond(from)
            .ok()
            .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        tests: top_flaky(&r.flaky)
            .into_iter()
            .filter(|t| {
                t.first_flaky
                    .as_ref()
                    .and_then(|f| ms(&f.timestamp))
                    .is_some_and(|at| at >= from)
            })
            .collect(),
    }
}

/// What the trim list is, as plain text for every renderer to escape: tests with no unique
/// catch in the window, the window's size, and the most such a test might still catch (the
/// rule of three: caught nothing unique in n runs, so at most about 3/n of runs at 95%).
pub(crate) fn trim_sentence(r: &Report) -> String {
    let s = &r.trim.summary;
    let n = s.runs.saturating_sub(s.infrastructure_runs);
    if s.events == 0 {
        return format!(
            "No failure events in the {n} runs of the window (infrastructure failures left out), so \
             no test has a unique catch and none can be told apart by what it catches."
        );
    }
    let mut unlisted = if s.unlisted_candidates > 0 {
        format!(
            " {} more without a unique catch save too little to list ({:.2} h/week in all: each \
             under {:.1}% of a run's test time, or past the top {:.0}% of the saving).",
            s.unlisted_candidates,
            s.unlisted_hours_per_week.max(0.0),
            100.0 * r.trim.options.min_saving,
            100.0 * r.trim.options.saving_share,
        )
    } else {
        String::new()
    };
    if let Some(p) = r
        .trim
        .replayed
        .filter(|p| p.runs_replayed > 0 && s.candidates > 0)
    {
        unlisted.push_str(&format!(
            " Skipped run by run over the {} runs after the first {} (each list from the runs \
             before it), such a list would have missed {} of {} failure runs ({:.1}%) and saved \
             {:.1}% of the test time.",
            p.runs_replayed,
            p.train_runs,
            p.missed_runs,
            p.failure_runs,
            100.0 * p.miss_rate,
            100.0 * p.saved_share
        ));
    }
    if s.candidates == 0 {
        return format!(
            "No test is listed: none of those that ran in at least {} of the {n} runs of the \
             window (infrastructure failures left out) is without a unique catch and worth acting on.{unlisted}",
            r.trim.options.min_runs
        );
    }
    let bound = if n > 0 {
        format!("3/{n} = {:.1}% of runs", 100.0 * 3.0 / n as f64)
    } else {
        "every run".into()
    };
    format!(
        "{} of {} tests ran in at least {} of the {n} runs of the window (infrastructure \
         failures left out), had no unique catch (every failure event they caught, another test caught too) \
         and together make up most of what such tests cost. That does not show \
         they are not needed: a test with no unique catch in n runs may still be the only one to \
         catch a defect in up to about 3/n of runs (95% bound; here {bound}, more for a test \
         that ran in fewer runs). Together they take {:.2} h/week; review them before running \
         any of them less often.{unlisted}",
        s.candidates,
        s.tests,
        r.trim.options.min_runs,
        // A sum of tiny negative rounding errors must not print as -0.00.
        s.candidate_hours_per_week.max(0.0),
    )
}

/// Writes `bytes` to `path` through a temporary file in the same folder, renamed over `path`
/// once complete, so `path` is the old file or the new one, never half of one. The temporary
/// file is removed when writing fails.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
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

/// The per-run detail of what `flaky` and `slow` found: the timeline of the flakiest and
/// broken tests, their evidence runs, and the slowest suites' time per run.
fn per_run_detail(
    window: &crate::analysis::window::Window,
    flaky: &FlakyReport,
    slow: &SlowReport,
) -> history::History {
    let flaky_top = top_flaky(flaky);
    let broken_top = top_broken(flaky);
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

    let infrastructure: HashSet<(String, String)> = flaky
        .infrastructure_runs
        .iter()
        .map(|r| (r.run.clone(), r.variant.clone()))
        .collect();
    history::history(
        window,
        &history::Selection {
            timeline: &timeline,
            evidence: &evidence,
            recent_runs: RECENT_RUNS,
            runs_per_test: RUNS_PER_TEST,
            suites: &slow.group_runs,
            infrastructure: &infrastructure,
        },
    )
}

/// Runs the three analyses once each over the window and reads the per-run detail. `stage` is
/// told what is being done next, for a progress display.
pub(crate) fn build(
    store: &Store,
    spec: &WindowSpec,
    options: &ReportOptions,
    generated_at: String,
    stage: &(dyn Fn(&'static str) + Sync),
) -> Result<Report, AnalysisError> {
    let slow_options = SlowOptions {
        by: GroupBy::Suite,
        ..options.slow.clone()
    };
    // The window is read once; then two arms, one per core: flaky, slow and the per-run
    // detail (which shows what those two found), beside the priority replay and trim. Each
    // arm runs its steps in turn, which bounds the peak memory.
    let window = crate::analysis::window::Window::load(store, spec)?;
    stage("flaky, slow and trim analyses, the priority replay");
    let (detail, (priority, trim)) = rayon::join(
        || {
            let flaky = flaky(&window, &options.flaky);
            let slow = slow_keeping_runs(&window, &slow_options, SUITES);
            stage("the per-run history");
            let history = per_run_detail(&window, &flaky, &slow);
            (flaky, slow, history)
        },
        || {
            let (series, counts) = crate::analysis::load::load(&window);
            let priority = crate::analysis::backtest::priority_loaded(
                &window.runs,
                &series,
                &counts,
                &crate::analysis::backtest::BacktestOptions {
                    budget: Some(crate::analysis::backtest::Budget::Share(FIRST_STAGE_SHARE)),
                    ..crate::analysis::backtest::BacktestOptions::default()
                },
            );
            let trim = trim_loaded(&window.runs, series, &counts, &options.trim);
            (priority, trim)
        },
    );
    let (flaky, slow, history) = detail;
    let runs = &window.runs;

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
        skipped: f.skipped,
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
            since: spec.since.map(since_text),
            last_runs: spec.last_runs,
            branch: spec.branch.clone(),
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
        selection_safety: SelectionSafety::new(&trim, &priority),
        trim,
        history,
        expired_quarantine: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("readable")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn write_atomic_replaces_the_file_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("report.json");
        write_atomic(&path, b"{\"night\": 1}\n").expect("written");
        // A reader that opened the first version keeps it whole.
        let held = dir.path().join("held");
        std::fs::hard_link(&path, &held).expect("linked");
        write_atomic(&path, b"{\"night\": 2}\n").expect("written");
        assert_eq!(std::fs::read(&path).expect("read"), b"{\"night\": 2}\n");
        assert_eq!(std::fs::read(&held).expect("read"), b"{\"night\": 1}\n");
        assert_eq!(names(dir.path()), ["held", "report.json"]);
    }

    #[test]
    fn write_atomic_fails_cleanly() {
        let dir = tempfile::tempdir().expect("temporary folder");
        // The target is a folder: the rename fails, and the temporary file goes.
        let path = dir.path().join("report.json");
        std::fs::create_dir(&path).expect("created");
        std::fs::write(path.join("inside"), b"x").expect("written");
        assert!(write_atomic(&path, b"{}").is_err());
        assert_eq!(names(dir.path()), ["report.json"]);
        // No folder to write in, and no file name.
        assert!(write_atomic(&dir.path().join("missing/report.json"), b"{}").is_err());
        assert!(write_atomic(Path::new("/"), b"{}").is_err());
    }
}

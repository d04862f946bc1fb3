//! Night over night: what changed between a previous report.json and this report. Rules and a
//! worked example: docs/report-json.md.
//!
//! The previous report is read with its own small, tolerant structs (unknown fields ignored),
//! so a report written by an older or newer testsift of the same schema version still compares.

use crate::analysis::flaky::{FlakyReport, Verdict};
use crate::analysis::slow::SlowReport;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// A flaky test's rate must rise by at least this much (absolute, 0.05 = 5 points) to be listed.
pub(crate) const RATE_RISE: f64 = 0.05;

/// Why a previous report could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PreviousError {
    #[error("{path}: cannot read the previous report: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: not a testsift report.json: {message}")]
    Json {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: report schema_version {found} is not {expected}; pass --no-previous or a report written by this version"
    )]
    Version {
        path: String,
        found: u32,
        expected: u32,
    },
}

/// The parts of a previous report.json the comparison needs.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Previous {
    pub(crate) schema_version: u32,
    #[serde(default)]
    pub(crate) generated_at: Option<String>,
    pub(crate) flaky: PreviousFlaky,
    pub(crate) slow: PreviousSlow,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PreviousFlaky {
    pub(crate) tests: Vec<PreviousTest>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PreviousTest {
    pub(crate) test_id: String,
    #[serde(default)]
    pub(crate) variant: String,
    pub(crate) verdict: String,
    #[serde(default)]
    pub(crate) flake_rate: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PreviousSlow {
    pub(crate) groups: Vec<PreviousGroup>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PreviousGroup {
    pub(crate) group: String,
    pub(crate) median_seconds: f64,
    #[serde(default)]
    pub(crate) recent_median_seconds: Option<f64>,
}

/// Reads and checks a previous report.json.
pub(crate) fn read_previous(path: &Path, schema_version: u32) -> Result<Previous, PreviousError> {
    let shown = path.display().to_string();
    let mut bytes = std::fs::read(path).map_err(|source| PreviousError::Io {
        path: shown.clone(),
        source,
    })?;
    // The store keeps its copies gzipped; a copy given with --previous may be either.
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut plain = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::MultiGzDecoder::new(&bytes[..]),
            &mut plain,
        )
        .map_err(|source| PreviousError::Io {
            path: shown.clone(),
            source,
        })?;
        bytes = plain;
    }
    let previous: Previous = serde_json::from_slice(&bytes).map_err(|e| PreviousError::Json {
        path: shown.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if previous.schema_version != schema_version {
        return Err(PreviousError::Version {
            path: shown,
            found: previous.schema_version,
            expected: schema_version,
        });
    }
    Ok(previous)
}

/// A test whose verdict changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct VerdictChange {
    pub(crate) test_id: String,
    pub(crate) variant: String,
    /// The previous verdict; none when the test was not in the previous report.
    pub(crate) before: Option<String>,
    pub(crate) after: String,
}

/// A flaky test whose flake rate rose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RateChange {
    pub(crate) test_id: String,
    pub(crate) variant: String,
    pub(crate) before: f64,
    pub(crate) after: f64,
}

/// A suite that got slower.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SuiteChange {
    pub(crate) group: String,
    /// Previous median per-run time (last 7 days, else the window), seconds.
    pub(crate) before_seconds: f64,
    pub(crate) after_seconds: f64,
    /// after / before − 1.
    pub(crate) change: f64,
}

/// What changed since the previous report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Changes {
    /// Where the previous report came from.
    pub(crate) previous: String,
    pub(crate) previous_generated_at: Option<String>,
    pub(crate) newly_flaky: Vec<VerdictChange>,
    pub(crate) newly_broken: Vec<VerdictChange>,
    /// Broken before, present and neither broken nor flaky now.
    pub(crate) fixed: Vec<VerdictChange>,
    /// Flaky before, present now and neither flaky nor broken.
    pub(crate) no_longer_flaky: Vec<VerdictChange>,
    pub(crate) flake_rate_rose: Vec<RateChange>,
    pub(crate) slower_suites: Vec<SuiteChange>,
    /// Tests in this report and not the previous one, and the reverse.
    pub(crate) tests_added: usize,
    pub(crate) tests_removed: usize,
}

impl Changes {
    pub(crate) fn is_empty(&self) -> bool {
        self.newly_flaky.is_empty()
            && self.newly_broken.is_empty()
            && self.fixed.is_empty()
            && self.no_longer_flaky.is_empty()
            && self.flake_rate_rose.is_empty()
            && self.slower_suites.is_empty()
    }
}

/// The suite figure compared night over night.
fn suite_seconds(recent: Option<f64>, median: f64) -> f64 {
    recent.unwrap_or(median)
}

/// Compares this report's analyses with a previous report.
pub(crate) fn changes(
    previous: &Previous,
    source: &str,
    flaky: &FlakyReport,
    slow: &SlowReport,
) -> Changes {
    let before: HashMap<(&str, &str), &PreviousTest> = previous
        .flaky
        .tests
        .iter()
        .map(|t| ((t.test_id.as_str(), t.variant.as_str()), t))
        .collect();
    let mut c = Changes {
        previous: source.to_string(),
        previous_generated_at: previous.generated_at.clone(),
        newly_flaky: Vec::new(),
        newly_broken: Vec::new(),
        fixed: Vec::new(),
        no_longer_flaky: Vec::new(),
        flake_rate_rose: Vec::new(),
        slower_suites: Vec::new(),
        tests_added: 0,
        tests_removed: 0,
    };
    let flaky_s = Verdict::Flaky.as_str();
    let broken_s = Verdict::Broken.as_str();
    let mut seen = 0;
    for t in &flaky.tests {
        let prev = before.get(&(t.test_id.as_str(), t.variant.as_str()));
        if prev.is_some() {
            seen += 1;
        } else {
            c.tests_added += 1;
        }
        let was = prev.map(|p| p.verdict.as_str());
        let now = t.verdict.as_str();
        let change = || VerdictChange {
            test_id: t.test_id.clone(),
            variant: t.variant.clone(),
            before: was.map(str::to_string),
            after: now.to_string(),
        };
        if t.verdict == Verdict::Flaky && was != Some(flaky_s) {
            c.newly_flaky.push(change());
        }
        if t.verdict == Verdict::Broken && was != Some(broken_s) {
            c.newly_broken.push(change());
        }
        // A broken test that is flaky now is under newly flaky, from broken: not fixed.
        if was == Some(broken_s) && !matches!(t.verdict, Verdict::Broken | Verdict::Flaky) {
            c.fixed.push(change());
        }
        if was == Some(flaky_s) && !matches!(t.verdict, Verdict::Flaky | Verdict::Broken) {
            c.no_longer_flaky.push(change());
        }
        if let (Some(p), Verdict::Flaky, Some(after)) = (prev, t.verdict, t.flake_rate)
            && p.verdict == flaky_s
            && let Some(b) = p.flake_rate
            && after - b >= RATE_RISE
        {
            c.flake_rate_rose.push(RateChange {
                test_id: t.test_id.clone(),
                variant: t.variant.clone(),
                before: b,
                after,
            });
        }
    }
    c.tests_removed = previous.flaky.tests.len().saturating_sub(seen);
    c.flake_rate_rose
        .sort_by(|a, b| (b.after - b.before).total_cmp(&(a.after - a.before)));

    let groups: HashMap<&str, &PreviousGroup> = previous
        .slow
        .groups
        .iter()
        .map(|g| (g.group.as_str(), g))
        .collect();
    for g in &slow.groups {
        let Some(p) = groups.get(g.group.as_str()) else {
            continue;
        };
        let b = suite_seconds(p.recent_median_seconds, p.median_seconds);
        let a = suite_seconds(g.recent_median_seconds, g.median_seconds);
        if b > 0.0 && a / b - 1.0 >= slow.options.slower_threshold {
            c.slower_suites.push(SuiteChange {
                group: g.group.clone(),
                before_seconds: b,
                after_seconds: a,
                change: a / b - 1.0,
            });
        }
    }
    c.slower_suites
        .sort_by(|a, b| b.change.total_cmp(&a.change));
    c
}

//! `check`: CI gates over the analyses' results. Each gate is a pure function of the result
//! structs, so the rules are tested without a store. Definitions: docs/analysis.md.

use super::flaky::{FlakyReport, TestVerdict, Verdict};
use super::slow::SlowReport;
use serde::Serialize;
use std::collections::HashSet;

/// How many tests or groups a gate's one-line reason names before it says "and N more".
const NAMED: usize = 3;

/// A gate `--fail-on` can turn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gate {
    /// Some test is broken (a streak of hard failures up to the newest run).
    Broken,
    /// Some test is flaky now that was not flaky before the newest runs.
    NewFlaky,
    /// Some suite (or class, file, family) is flagged as getting slower.
    Slower,
    /// The flaky run rate is above `--max-flaky-rate`.
    FlakyRate,
}

impl Gate {
    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Broken => "broken",
            Gate::NewFlaky => "new-flaky",
            Gate::Slower => "slower",
            Gate::FlakyRate => "flaky-rate",
        }
    }
}

/// The outcome of one gate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult {
    pub gate: Gate,
    pub tripped: bool,
    /// One line, naming what tripped it (or why it held).
    pub reason: String,
}

/// `broken`: trips when any test's verdict is broken; names the first failing run of each.
pub fn broken(now: &FlakyReport) -> GateResult {
    let broken: Vec<&TestVerdict> = now
        .tests
        .iter()
        .filter(|t| t.verdict == Verdict::Broken)
        .collect();
    let named = name_list(broken.iter().map(|t| {
        let since = t.streak.as_ref().map_or(String::new(), |s| {
            let commit = s
                .first
                .commit
                .as_deref()
                .map_or(String::new(), |c| format!(", commit {}", short(c)));
            format!(" (since {}{commit})", s.first.run)
        });
        format!("{}{since}", test_label(t))
    }));
    GateResult {
        gate: Gate::Broken,
        tripped: !broken.is_empty(),
        reason: match broken.len() {
            0 => "no test is broken".to_string(),
            1 => format!("1 test is broken: {named}"),
            n => format!("{n} tests are broken: {named}"),
        },
    }
}

/// `new-flaky`: trips when a test (and variant) is flaky in `now` but was not flaky in
/// `before`, the same window without its newest runs.
pub fn new_flaky(now: &FlakyReport, before: &FlakyReport, newest_runs: usize) -> GateResult {
    let was_flaky: HashSet<(&str, &str)> = before
        .tests
        .iter()
        .filter(|t| t.verdict == Verdict::Flaky)
        .map(|t| (t.test_id.as_str(), t.variant.as_str()))
        .collect();
    let new: Vec<&TestVerdict> = now
        .tests
        .iter()
        .filter(|t| t.verdict == Verdict::Flaky)
        .filter(|t| !was_flaky.contains(&(t.test_id.as_str(), t.variant.as_str())))
        .collect();
    let runs = if newest_runs == 1 {
        "the newest run".to_string()
    } else {
        format!("the newest {newest_runs} runs")
    };
    let named = name_list(new.iter().map(|t| test_label(t)));
    GateResult {
        gate: Gate::NewFlaky,
        tripped: !new.is_empty(),
        reason: match new.len() {
            0 => format!("no test became flaky in {runs}"),
            1 => format!("1 test became flaky in {runs}: {named}"),
            n => format!("{n} tests became flaky in {runs}: {named}"),
        },
    }
}

/// `slower`: trips when any group is flagged as getting slower.
pub fn slower(report: &SlowReport) -> GateResult {
    let slower: Vec<_> = report.groups.iter().filter(|g| g.getting_slower).collect();
    let named = name_list(slower.iter().map(|g| {
        let change = g
            .change
            .map_or(String::new(), |c| format!(" (+{:.0}%)", c * 100.0));
        format!("{}{change}", quote(&g.group))
    }));
    let threshold = report.options.slower_threshold * 100.0;
    GateResult {
        gate: Gate::Slower,
        tripped: !slower.is_empty(),
        reason: match slower.len() {
            0 => format!("nothing got {threshold:.0}% slower in the last 7 days"),
            1 => format!("1 got {threshold:.0}% slower or more in the last 7 days: {named}"),
            n => format!("{n} got {threshold:.0}% slower or more in the last 7 days: {named}"),
        },
    }
}

/// `--max-flaky-rate`: trips when the flaky run rate (runs red only because of flaky tests,
/// per non-infrastructure run) is above `max`.
pub fn flaky_rate(now: &FlakyReport, max: f64) -> GateResult {
    let s = &now.summary;
    let rate = s.flaky_run_rate;
    let counted = s.runs.saturating_sub(s.infrastructure_runs);
    GateResult {
        gate: Gate::FlakyRate,
        tripped: rate > max,
        reason: format!(
            "{} of {counted} runs were red only because of flaky tests: {:.1}% (limit {:.1}%)",
            s.red_only_flaky_runs,
            rate * 100.0,
            max * 100.0
        ),
    }
}

/// `classname::name [variant]`, with control characters made visible so a hostile name cannot
/// break the one-line reason.
fn test_label(t: &TestVerdict) -> String {
    let variant = if t.variant.is_empty() {
        String::new()
    } else {
        format!(" [{}]", t.variant)
    };
    quote(&format!("{}{variant}", t.test_id))
}

/// Makes control characters visible and caps the length, so report text stays on one line.
fn quote(s: &str) -> String {
    const MAX: usize = 200;
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// "a, b, c and 4 more".
fn name_list(items: impl ExactSizeIterator<Item = String>) -> String {
    let n = items.len();
    let names: Vec<String> = items.take(NAMED).collect();
    let names = names.join(", ");
    if n > NAMED {
        format!("{names} and {} more", n - NAMED)
    } else {
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::flaky::{FlakyOptions, RunRef, Streak, Summary};

    fn verdict(id: &str, v: Verdict) -> TestVerdict {
        TestVerdict {
            test_id: id.into(),
            classname: String::new(),
            name: id.into(),
            family: id.into(),
            variant: String::new(),
            verdict: v,
            runs: 10,
            passed: 0,
            failed: 0,
            skipped: 0,
            retry_runs: 0,
            same_commit_commits: 0,
            flips: 0,
            transitions: 0,
            flip_rate: 0.0,
            flip_rate_decayed: 0.0,
            non_broken_executions: 0,
            flaky_executions: 0,
            flake_rate: None,
            flake_rate_low: None,
            flake_rate_high: None,
            first_flaky: None,
            last_flaky: None,
            streak: None,
            breakage: None,
            breakages: vec![],
            skipped_since: None,
            fingerprints: vec![],
            ci_seconds: 0.0,
        }
    }

    fn report(tests: Vec<TestVerdict>) -> FlakyReport {
        FlakyReport {
            schema_version: 1,
            options: FlakyOptions::default(),
            summary: Summary::default(),
            infrastructure_runs: vec![],
            tests,
            breakage_groups: vec![],
        }
    }

    #[test]
    fn broken_names_the_run_and_commit() {
        let mut t = verdict("a::b", Verdict::Broken);
        t.streak = Some(Streak {
            first: RunRef {
                run: "run-17".into(),
                commit: Some("0123456789abcdef".into()),
                timestamp: String::new(),
            },
            length: 3,
            ended: None,
        });
        let r = broken(&report(vec![t, verdict("c::d", Verdict::Stable)]));
        assert!(r.tripped);
        assert_eq!(
            r.reason,
            "1 test is broken: a::b (since run-17, commit 0123456789ab)"
        );
        assert!(!broken(&report(vec![verdict("x", Verdict::Fixed)])).tripped);
    }

    #[test]
    fn new_flaky_compares_per_variant() {
        let mut win = verdict("a::b", Verdict::Flaky);
        win.variant = "windows".into();
        let now = report(vec![
            verdict("a::b", Verdict::Flaky),
            win,
            verdict("c::d", Verdict::Flaky),
        ]);
        let before = report(vec![
            verdict("a::b", Verdict::Flaky),
            verdict("c::d", Verdict::Stable),
        ]);
        let r = new_flaky(&now, &before, 1);
        assert!(r.tripped);
        assert_eq!(
            r.reason,
            "2 tests became flaky in the newest run: a::b [windows], c::d"
        );
        assert!(!new_flaky(&before, &before, 2).tripped);
    }

    #[test]
    fn flaky_rate_is_strictly_above_the_limit() {
        let mut r = report(vec![]);
        r.summary.runs = 20;
        r.summary.red_only_flaky_runs = 2;
        r.summary.flaky_run_rate = 0.1;
        assert!(!flaky_rate(&r, 0.1).tripped);
        let g = flaky_rate(&r, 0.05);
        assert!(g.tripped);
        assert_eq!(
            g.reason,
            "2 of 20 runs were red only because of flaky tests: 10.0% (limit 5.0%)"
        );
    }

    #[test]
    fn hostile_names_stay_on_one_line() {
        let name = format!("x\ny\u{1b}[31m{}", "z".repeat(10_000));
        let r = broken(&report(vec![verdict(&name, Verdict::Broken)]));
        assert!(!r.reason.contains('\n'));
        assert!(!r.reason.contains('\u{1b}'));
        assert!(r.reason.len() < 400, "{}", r.reason.len());
    }

    #[test]
    fn long_lists_are_cut() {
        let tests = (0..5)
            .map(|i| verdict(&format!("t{i}"), Verdict::Broken))
            .collect();
        assert_eq!(
            broken(&report(tests)).reason,
            "5 tests are broken: t0, t1, t2 and 2 more"
        );
    }
}

//! The `flaky` result as a table, JSON, CSV or Markdown.

use super::csv_field;
use super::format::{decimal, decimal_opt, pct};
use super::table::{Column, Table, TableOptions, name, write_line};
use crate::analysis::flaky::{FlakyReport, TestVerdict, Verdict};
use crate::report::escape::markdown as md;
use std::io::{self, Write};

/// The flake rate and its 95% interval, short enough for a table column.
fn rate(t: &TestVerdict) -> String {
    match (t.flake_rate, t.flake_rate_low, t.flake_rate_high) {
        (Some(r), Some(lo), Some(hi)) => {
            format!("{} [{:.0}–{:.0}%]", pct(r), 100.0 * lo, 100.0 * hi)
        }
        _ => "-".into(),
    }
}

/// The note of a broken or fixed test (its streak), else the first line of its most common
/// failure message. Raw text: the printers escape and shorten it.
fn note(t: &TestVerdict) -> String {
    match (&t.streak, t.verdict) {
        (Some(s), Verdict::Broken) => format!(
            "failing for {} run{} since {} ({})",
            s.length,
            if s.length == 1 { "" } else { "s" },
            s.first.run,
            s.first.commit.as_deref().unwrap_or("-")
        ),
        (Some(s), Verdict::Fixed) => format!(
            "broken {} runs from {}, fixed in {}",
            s.length,
            s.first.run,
            s.ended.as_ref().map_or("-", |e| e.run.as_str())
        ),
        _ => t
            .fingerprints
            .first()
            .map(|f| first_line(&f.example).to_string())
            .unwrap_or_default(),
    }
}

/// The first line that says something: a stack trace's message, not its blank lead.
fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// The headline, with run ids from the reports made safe by `show`.
fn headline(r: &FlakyReport, show: impl Fn(&str) -> String) -> Vec<String> {
    let s = &r.summary;
    vec![
        format!(
            "{} runs ({} .. {}), {} infrastructure failures excluded",
            s.runs,
            show(s.first_run.as_deref().unwrap_or("-")),
            show(s.last_run.as_deref().unwrap_or("-")),
            s.infrastructure_runs
        ),
        format!(
            "{} tests: {} flaky, {} broken, {} fixed, {} new, {} insufficient data, {} stable",
            s.tests, s.flaky, s.broken, s.fixed, s.new, s.insufficient_data, s.stable
        ),
        format!(
            "red only because of flaky tests: {} of {} runs ({}); flaky executions per 1,000: {:.1}",
            s.red_only_flaky_runs,
            s.runs - s.infrastructure_runs,
            pct(s.flaky_run_rate),
            s.flaky_executions_per_1000
        ),
    ]
}

/// The tests that are not stable, in the analysis' order.
fn tests_table(r: &FlakyReport) -> Table {
    let mut t = Table::new(vec![
        Column::word("verdict"),
        Column::test("test"),
        Column::name("variant").optional().weight(1),
        Column::num("runs"),
        Column::num("flake [95% CI]"),
        Column::num("retry/commit"),
        Column::num("flips"),
        Column::name("owners").optional().weight(1),
        Column::message("note").below(),
    ]);
    for v in r.tests.iter().filter(|t| t.verdict != Verdict::Stable) {
        t.row(vec![
            v.verdict.as_str().to_string(),
            v.test_id.clone(),
            v.variant.clone(),
            v.runs.to_string(),
            rate(v),
            format!("{}/{}", v.retry_runs, v.same_commit_commits),
            format!("{:.2}", v.flip_rate),
            v.owners.join(" "),
            note(v),
        ]);
    }
    t
}

fn infrastructure_table(r: &FlakyReport) -> Table {
    let mut t = Table::new(vec![
        Column::name("infrastructure run"),
        Column::name("variant").optional(),
        Column::name("commit"),
        Column::word("timestamp"),
        Column::num("failed"),
    ]);
    for i in &r.infrastructure_runs {
        t.row(vec![
            i.run.clone(),
            i.variant.clone(),
            i.commit.clone().unwrap_or_else(|| "-".into()),
            i.timestamp.clone(),
            format!("{} of {}", i.failed, i.executed),
        ]);
    }
    t
}

/// The default output: headline, infrastructure runs in one line (listed with `--verbose`),
/// then the tests that are not stable, at most `--top` of them.
pub(crate) fn table(r: &FlakyReport, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
    for line in headline(r, |s| name(s, 24, opts)) {
        write_line(out, opts, &line)?;
    }
    if !r.infrastructure_runs.is_empty() {
        if opts.verbose {
            writeln!(out)?;
            // --verbose asks for the whole list.
            let all = TableOptions {
                top: Some(usize::MAX),
                ..*opts
            };
            infrastructure_table(r).print(out, &all)?;
        } else {
            let line = format!(
                "infrastructure failures: runs where over {} of the tests failed; --verbose lists them",
                pct(r.options.infra_threshold)
            );
            write_line(out, opts, &line)?;
        }
    }
    let tests = tests_table(r);
    if tests.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    tests.print(out, opts)
}

pub(crate) fn json(r: &FlakyReport, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::from)?;
    writeln!(out)
}

const CSV_HEAD: &str = "test_id,classname,name,family,variant,verdict,runs,passed,failed,skipped,retry_runs,same_commit_commits,flips,transitions,flip_rate,flip_rate_decayed,flaky_executions,non_broken_executions,flake_rate,flake_rate_low,flake_rate_high,first_flaky,last_flaky,streak_first_run,streak_first_commit,streak_length,streak_ended_run,top_fingerprint,top_message,ci_seconds";

/// One line per test.
pub(crate) fn csv(r: &FlakyReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{CSV_HEAD}")?;
    for t in &r.tests {
        let top = t.fingerprints.first();
        let fields = [
            csv_field(&t.test_id),
            csv_field(&t.classname),
            csv_field(&t.name),
            csv_field(&t.family),
            csv_field(&t.variant),
            t.verdict.as_str().to_string(),
            t.runs.to_string(),
            t.passed.to_string(),
            t.failed.to_string(),
            t.skipped.to_string(),
            t.retry_runs.to_string(),
            t.same_commit_commits.to_string(),
            t.flips.to_string(),
            t.transitions.to_string(),
            decimal(t.flip_rate),
            decimal(t.flip_rate_decayed),
            t.flaky_executions.to_string(),
            t.non_broken_executions.to_string(),
            decimal_opt(t.flake_rate),
            decimal_opt(t.flake_rate_low),
            decimal_opt(t.flake_rate_high),
            t.first_flaky
                .as_ref()
                .map(|x| csv_field(&x.run))
                .unwrap_or_default(),
            t.last_flaky
                .as_ref()
                .map(|x| csv_field(&x.run))
                .unwrap_or_default(),
            t.streak
                .as_ref()
                .map(|s| csv_field(&s.first.run))
                .unwrap_or_default(),
            t.streak
                .as_ref()
                .and_then(|s| s.first.commit.as_deref().map(csv_field))
                .unwrap_or_default(),
            t.streak
                .as_ref()
                .map(|s| s.length.to_string())
                .unwrap_or_default(),
            t.streak
                .as_ref()
                .and_then(|s| s.ended.as_ref().map(|e| csv_field(&e.run)))
                .unwrap_or_default(),
            top.map(|f| f.fingerprint.clone()).unwrap_or_default(),
            top.map(|f| csv_field(&f.example)).unwrap_or_default(),
            format!("{:.3}", t.ci_seconds),
        ];
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

/// A Markdown summary and table of the tests that are not stable (at most `--top` with
/// `--top`, else all); text from reports goes through the Markdown escaper.
pub(crate) fn markdown(
    r: &FlakyReport,
    opts: &TableOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(out, "# Flaky tests\n")?;
    for line in headline(r, str::to_string) {
        writeln!(out, "- {}", md(&line))?;
    }
    writeln!(out)?;
    let all = TableOptions {
        top: Some(opts.top.unwrap_or(usize::MAX)),
        ..*opts
    };
    tests_table(r).markdown(out, &all)
}

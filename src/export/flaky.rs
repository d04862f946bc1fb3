//! The `flaky` result as a table, JSON, CSV or Markdown.

use super::fields::Fields;
use super::format::{decimal, decimal_opt, pct};
use super::render::{self, Render};
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
            "failing for {} run{} since {} ({}){}",
            s.length,
            if s.length == 1 { "" } else { "s" },
            s.first.run,
            s.first.commit.as_deref().unwrap_or("-"),
            s.branch
                .as_deref()
                .map_or(String::new(), |b| format!(", only on branch {b}"))
        ),
        (Some(s), Verdict::Fixed) => format!(
            "broken {} from {}, fixed in {}{}",
            super::format::count(s.length, "run"),
            s.first.run,
            s.ended.as_ref().map_or("-", |e| e.run.as_str()),
            s.branch
                .as_deref()
                .map_or(String::new(), |b| format!(", only on branch {b}"))
        ),
        _ => t
            .fingerprints
            .first()
            .map(|f| {
                let first = first_line(&f.example);
                // More lines follow: say so (JSON has the whole message).
                if f.example.trim() != first {
                    format!("{first} …")
                } else {
                    first.to_string()
                }
            })
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
            "{} ({} .. {}), {} excluded{}",
            super::format::count(s.runs, "run"),
            show(s.first_run.as_deref().unwrap_or("-")),
            show(s.last_run.as_deref().unwrap_or("-")),
            super::format::count(s.infrastructure_runs, "infrastructure failure"),
            match s.infrastructure_reports + s.infrastructure_fingerprints {
                0 => String::new(),
                n => format!(
                    ", and {} within runs (crashed reports, shared failures)",
                    super::format::count(n, "failure set")
                ),
            }
        ),
        format!(
            "{}: {} flaky, {} broken, {} fixed, {} new, {} insufficient data, {} stable{}",
            super::format::count(s.tests, "test"),
            s.flaky,
            s.broken,
            s.fixed,
            s.new,
            s.insufficient_data,
            s.stable,
            if s.skipped > 0 {
                format!(", {} skipped in every run", s.skipped)
            } else {
                String::new()
            }
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

/// A test's fields: the table shows the verdict and its evidence, the CSV every count.
fn fields() -> Fields<TestVerdict> {
    Fields::<TestVerdict>::new()
        .table(Column::word("verdict"), |t| t.verdict.as_str().to_string())
        .both(Column::test("test"), "test_id", |t| t.test_id.clone())
        .csv("classname", |t| t.classname.clone())
        .csv("name", |t| t.name.clone())
        .csv("family", |t| t.family.clone())
        .both(
            Column::name("variant").optional().weight(1),
            "variant",
            |t| t.variant.clone(),
        )
        .csv("verdict", |t| t.verdict.as_str().to_string())
        .both(Column::num("runs"), "runs", |t| t.runs.to_string())
        .table(Column::num("flake [95% CI]"), rate)
        .table(Column::num("retry/commit"), |t| {
            format!("{}/{}", t.retry_runs, t.same_commit_commits)
        })
        .table(Column::num("flips"), |t| format!("{:.2}", t.flip_rate))
        .table(Column::name("owners").optional().weight(1), |t| {
            t.owners.join(" ")
        })
        .table(Column::message("note").below(), note)
        .csv("passed", |t| t.passed.to_string())
        .csv("failed", |t| t.failed.to_string())
        .csv("skipped", |t| t.skipped.to_string())
        .csv("retry_runs", |t| t.retry_runs.to_string())
        .csv("same_commit_commits", |t| t.same_commit_commits.to_string())
        .csv("flips", |t| t.flips.to_string())
        .csv("transitions", |t| t.transitions.to_string())
        .csv("flip_rate", |t| decimal(t.flip_rate))
        .csv("flip_rate_decayed", |t| decimal(t.flip_rate_decayed))
        .csv("flaky_executions", |t| t.flaky_executions.to_string())
        .csv("non_broken_executions", |t| {
            t.non_broken_executions.to_string()
        })
        .csv("flake_rate", |t| decimal_opt(t.flake_rate))
        .csv("flake_rate_low", |t| decimal_opt(t.flake_rate_low))
        .csv("flake_rate_high", |t| decimal_opt(t.flake_rate_high))
        .csv("first_flaky", |t| {
            t.first_flaky
                .as_ref()
                .map(|x| x.run.clone())
                .unwrap_or_default()
        })
        .csv("last_flaky", |t| {
            t.last_flaky
                .as_ref()
                .map(|x| x.run.clone())
                .unwrap_or_default()
        })
        .csv("streak_first_run", |t| {
            t.streak
                .as_ref()
                .map(|s| s.first.run.clone())
                .unwrap_or_default()
        })
        .csv("streak_first_commit", |t| {
            t.streak
                .as_ref()
                .and_then(|s| s.first.commit.clone())
                .unwrap_or_default()
        })
        .csv("streak_length", |t| {
            t.streak
                .as_ref()
                .map(|s| s.length.to_string())
                .unwrap_or_default()
        })
        .csv("streak_ended_run", |t| {
            t.streak
                .as_ref()
                .and_then(|s| s.ended.as_ref().map(|e| e.run.clone()))
                .unwrap_or_default()
        })
        .csv("top_fingerprint", |t| {
            t.fingerprints
                .first()
                .map(|f| f.fingerprint.clone())
                .unwrap_or_default()
        })
        .csv("top_message", |t| {
            t.fingerprints
                .first()
                .map(|f| f.example.clone())
                .unwrap_or_default()
        })
        .csv("ci_seconds", |t| format!("{:.3}", t.ci_seconds))
}

/// The tests that are not stable, in the analysis' order.
fn tests_table(r: &FlakyReport) -> Table {
    fields().to_table(r.tests.iter().filter(|t| t.verdict != Verdict::Stable))
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
fn table(r: &FlakyReport, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
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

/// A Markdown summary and table of the tests that are not stable (at most `--top` with
/// `--top`, else all); text from reports goes through the Markdown escaper.
fn markdown(r: &FlakyReport, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
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

impl Render for FlakyReport {
    fn table(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        table(self, opts, out)
    }

    fn json(&self, out: &mut impl Write) -> io::Result<()> {
        render::json(self, out)
    }

    fn csv(&self, out: &mut impl Write) -> io::Result<()> {
        // One line per test, stable ones too.
        fields().write_csv(&self.tests, out)
    }

    fn markdown(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        markdown(self, opts, out)
    }
}

//! The `flaky` result as a table, JSON, CSV or Markdown.

use super::{csv_field, md_cell, one_line};
use crate::analysis::flaky::{FlakyReport, TestVerdict, Verdict};
use std::io::{self, Write};

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn rate(t: &TestVerdict) -> String {
    match (t.flake_rate, t.flake_rate_low, t.flake_rate_high) {
        (Some(r), Some(lo), Some(hi)) => format!("{} [{}, {}]", pct(r), pct(lo), pct(hi)),
        _ => "-".into(),
    }
}

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
            .map(|f| one_line(&f.example))
            .unwrap_or_default(),
    }
}

fn headline(r: &FlakyReport) -> Vec<String> {
    let s = &r.summary;
    vec![
        format!(
            "{} runs ({} .. {}), {} infrastructure failures excluded",
            s.runs,
            s.first_run.as_deref().unwrap_or("-"),
            s.last_run.as_deref().unwrap_or("-"),
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

/// The default output: headline, then every test that is not stable.
pub fn table(r: &FlakyReport, out: &mut impl Write) -> io::Result<()> {
    for line in headline(r) {
        writeln!(out, "{line}")?;
    }
    for i in &r.infrastructure_runs {
        writeln!(
            out,
            "infrastructure failure: run {} {} ({} of {} tests failed)",
            i.run, i.timestamp, i.failed, i.executed
        )?;
    }
    let rows: Vec<[String; 8]> = r
        .tests
        .iter()
        .filter(|t| t.verdict != Verdict::Stable)
        .map(|t| {
            [
                t.verdict.as_str().to_string(),
                one_line(&t.test_id),
                one_line(&t.variant),
                t.runs.to_string(),
                rate(t),
                format!("{}/{}", t.retry_runs, t.same_commit_commits),
                format!("{:.2}", t.flip_rate),
                note(t),
            ]
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let head = [
        "verdict",
        "test",
        "variant",
        "runs",
        "flake rate [95% CI]",
        "retry/commit",
        "flips",
        "note",
    ];
    let mut width: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    writeln!(out)?;
    let print = |out: &mut dyn Write, cells: &[&str]| -> io::Result<()> {
        let mut line = String::new();
        for (k, (c, w)) in cells.iter().zip(&width).enumerate() {
            if k + 1 == cells.len() {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}  "));
            }
        }
        writeln!(out, "{}", line.trim_end())
    };
    print(out, &head)?;
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        print(out, &cells)?;
    }
    Ok(())
}

pub fn json(r: &FlakyReport, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::from)?;
    writeln!(out)
}

const CSV_HEAD: &str = "test_id,classname,name,family,variant,verdict,runs,passed,failed,skipped,retry_runs,same_commit_commits,flips,transitions,flip_rate,flip_rate_decayed,flaky_executions,non_broken_executions,flake_rate,flake_rate_low,flake_rate_high,first_flaky,last_flaky,streak_first_run,streak_first_commit,streak_length,streak_ended_run,top_fingerprint,top_message,ci_seconds";

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.6}")).unwrap_or_default()
}

/// One line per test.
pub fn csv(r: &FlakyReport, out: &mut impl Write) -> io::Result<()> {
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
            format!("{:.6}", t.flip_rate),
            format!("{:.6}", t.flip_rate_decayed),
            t.flaky_executions.to_string(),
            t.non_broken_executions.to_string(),
            opt(t.flake_rate),
            opt(t.flake_rate_low),
            opt(t.flake_rate_high),
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

/// A Markdown summary and table of the tests that are not stable; test names and messages
/// are escaped.
pub fn markdown(r: &FlakyReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# Flaky tests\n")?;
    for line in headline(r) {
        writeln!(out, "- {}", md_cell(&line))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "| verdict | test | variant | runs | flake rate [95% CI] | retry runs | same-commit | flip rate | note |"
    )?;
    writeln!(out, "|---|---|---|---:|---|---:|---:|---:|---|")?;
    for t in r.tests.iter().filter(|t| t.verdict != Verdict::Stable) {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {:.2} | {} |",
            t.verdict.as_str(),
            md_cell(&t.test_id),
            md_cell(&t.variant),
            t.runs,
            rate(t),
            t.retry_runs,
            t.same_commit_commits,
            t.flip_rate,
            md_cell(&note(t))
        )?;
    }
    Ok(())
}

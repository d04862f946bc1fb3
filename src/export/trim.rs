//! The `trim` result as tables, JSON, CSV (one line per test, in greedy order) or Markdown.

use super::fields::Fields;
use super::format::{decimal, duration, hours, pct};
use super::render::{self, Render};
use super::table::{Column, Table, TableOptions, write_line};
use crate::analysis::trim::{TestCoverage, TrimReport};
use crate::report::escape::{markdown as md, terminal};
use std::io::{self, Write};

fn events(e: &[usize]) -> String {
    if e.is_empty() {
        "-".into()
    } else {
        e.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn with_variant(id: &str, variant: &str) -> String {
    if variant.is_empty() {
        id.to_string()
    } else {
        format!("{id}@{variant}")
    }
}

/// A test's fields in the greedy order: the table joins id and variant and lists the events
/// the test caught, the CSV counts them.
fn fields() -> Fields<TestCoverage> {
    Fields::<TestCoverage>::new()
        .both(Column::num("rank"), "rank", |x| x.rank.to_string())
        .table(Column::test("test"), |x| {
            with_variant(&x.test_id, &x.variant)
        })
        .csv("test_id", |x| x.test_id.clone())
        .csv("variant", |x| x.variant.clone())
        .each(
            Column::num("cost"),
            |x| duration(x.cost_seconds),
            "cost_seconds",
            |x| decimal(x.cost_seconds),
        )
        .both(Column::num("runs"), "runs", |x| x.runs.to_string())
        // Our numbers, but a test can catch hundreds of events: cut like a message.
        .each(
            Column::message("event ids"),
            |x| events(&x.events),
            "events",
            |x| x.events.len().to_string(),
        )
        .both(Column::num("unique"), "unique_events", |x| {
            x.unique_events.to_string()
        })
        .csv("new_events", |x| x.new_events.to_string())
        .csv("kept", |x| x.kept.to_string())
        .each(
            Column::num("cum time"),
            |x| pct(x.cum_cost_share),
            "cum_cost_share",
            |x| decimal(x.cum_cost_share),
        )
        .each(
            Column::num("cum events"),
            |x| pct(x.cum_event_share),
            "cum_event_share",
            |x| decimal(x.cum_event_share),
        )
        .both(Column::word("advice"), "advice", |x| {
            x.advice.as_str().to_string()
        })
}

/// Every test in greedy order: the curve.
fn test_table(r: &TrimReport) -> Table {
    fields().to_table(&r.tests)
}

fn candidate_table(r: &TrimReport) -> Table {
    let mut t = Table::new(vec![
        Column::test("candidate"),
        Column::num("runs"),
        Column::num("cost"),
        Column::num("per week"),
        Column::num("events"),
        Column::num("rate ≤ (95%)"),
        Column::word("advice"),
        Column::name("owners").optional().weight(1),
    ]);
    for c in &r.candidates {
        t.row(vec![
            with_variant(&c.test_id, &c.variant),
            c.runs.to_string(),
            duration(c.cost_seconds),
            hours(c.hours_per_week),
            c.events.to_string(),
            format!("{:.4}", c.detection_rate_upper),
            c.advice.as_str().to_string(),
            c.owners.join(" "),
        ]);
    }
    t
}

/// The default output: headline, the tests in greedy order (the curve) and the candidates.
fn table(r: &TrimReport, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
    let s = &r.summary;
    write_line(out, opts, &terminal(&s.headline))?;
    write_line(
        out,
        opts,
        &format!(
            "{}, {} left out; {}, {}",
            super::format::count(s.runs, "run"),
            super::format::count(s.infrastructure_runs, "infrastructure failure"),
            super::format::count(s.tests, "test"),
            super::format::count(s.events, "failure event")
        ),
    )?;
    writeln!(out)?;
    test_table(r).print(out, opts)?;
    writeln!(out)?;
    if r.candidates.is_empty() {
        let line = format!(
            "no trim candidates (tests the cover did not need, seen in ≥ {} runs, each at least {} of a run's test time)",
            r.options.min_runs,
            pct(r.options.min_saving)
        );
        write_line(out, opts, &line)?;
    } else {
        candidate_table(r).print(out, opts)?;
    }
    if let Some(line) = unlisted(r) {
        write_line(out, opts, &line)?;
    }
    match replayed_line(r) {
        Some(line) => write_line(out, opts, &line),
        None => Ok(()),
    }
}

/// The line saying what the listed candidates would have cost skipped, replayed run by run.
pub(crate) fn replayed_line(r: &TrimReport) -> Option<String> {
    let p = r.replayed?;
    if p.runs_replayed == 0 {
        return Some(format!(
            "replayed as a skip list: not enough runs after the first {} to replay",
            p.train_runs
        ));
    }
    Some(format!(
        "replayed as a skip list over the {} runs after the first {}: {} of {} failure runs missed (miss rate {}), {} of the test time saved (testsift backtest skip)",
        p.runs_replayed,
        p.train_runs,
        p.missed_runs,
        p.failure_runs,
        pct(p.miss_rate),
        pct(p.saved_share),
    ))
}

/// The line about candidates that save too little to list, if there are any.
fn unlisted(r: &TrimReport) -> Option<String> {
    let s = &r.summary;
    (s.unlisted_candidates > 0).then(|| {
        format!(
            "{} more tests the cover did not need save too little to list ({:.2} hours/week in all): \
             each under {} of a run's test time, or past the top {} of the saving \
             (--min-saving, --saving-share)",
            s.unlisted_candidates,
            s.unlisted_hours_per_week.max(0.0),
            pct(r.options.min_saving),
            pct(r.options.saving_share),
        )
    })
}

/// Markdown: the headline, the greedy order and the candidates; text from reports goes
/// through the Markdown escaper.
fn markdown(r: &TrimReport, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# What to trim\n")?;
    writeln!(out, "{}\n", md(&r.summary.headline))?;
    writeln!(out, "## Greedy order\n")?;
    test_table(r).markdown(out, opts)?;
    writeln!(out, "\n## Trim candidates\n")?;
    candidate_table(r).markdown(out, opts)?;
    if let Some(line) = unlisted(r) {
        writeln!(out, "\n{}", md(&line))?;
    }
    match replayed_line(r) {
        Some(line) => writeln!(out, "\n{}", md(&line)),
        None => Ok(()),
    }
}

impl Render for TrimReport {
    fn table(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        table(self, opts, out)
    }

    fn json(&self, out: &mut impl Write) -> io::Result<()> {
        render::json(self, out)
    }

    fn csv(&self, out: &mut impl Write) -> io::Result<()> {
        // One line per test, in greedy order: the curve.
        fields().write_csv(&self.tests, out)
    }

    fn markdown(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        markdown(self, opts, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::trim::{Advice, SCHEMA_VERSION, TrimOptions, TrimSummary};

    fn report() -> TrimReport {
        TrimReport {
            schema_version: SCHEMA_VERSION,
            options: TrimOptions::default(),
            summary: TrimSummary {
                headline: "h".into(),
                ..Default::default()
            },
            events: vec![],
            tests: vec![TestCoverage {
                rank: 1,
                test_id: "a|b,c".into(),
                classname: "a".into(),
                name: "b".into(),
                variant: String::new(),
                cost_seconds: 2.0,
                runs: 60,
                total_seconds: 120.0,
                events: vec![1, 2],
                unique_events: 1,
                new_events: 2,
                kept: true,
                cum_cost_share: 0.5,
                cum_event_share: 1.0,
                advice: Advice::Keep,
            }],
            curve: vec![],
            replayed: None,
            candidates: vec![],
        }
    }

    fn render(f: impl Fn(&TrimReport, &mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&report(), &mut out).expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("exporters write UTF-8")
    }

    #[test]
    fn csv_markdown_and_table() {
        let csv = render(|r, o| r.csv(o));
        assert_eq!(
            csv.lines().nth(1),
            Some("1,\"a|b,c\",,2.000000,60,2,1,2,true,0.500000,1.000000,keep")
        );
        let md = render(|r, o| markdown(r, &TableOptions::default(), o));
        assert!(
            md.contains("| 1 | a\\|b,c | 2.00 s | 60 | 1 2 | 1 | 50.0% | 100.0% | keep |"),
            "{md}"
        );
        let table = render(|r, o| table(r, &TableOptions::default(), o));
        assert!(table.starts_with("h\n"), "{table}");
        assert!(table.contains("no trim candidates"), "{table}");
    }
}

//! The `trim` result as tables, JSON, CSV (one line per test, in greedy order) or Markdown.

use super::{csv_field, md_cell, one_line};
use crate::analysis::trim::{Candidate, TestCoverage, TrimReport};
use std::io::{self, Write};

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn secs(x: f64) -> String {
    format!("{x:.2}")
}

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

const TEST_HEAD: [&str; 9] = [
    "rank",
    "test",
    "cost s",
    "runs",
    "events",
    "unique",
    "time share",
    "event share",
    "advice",
];

fn test_row(t: &TestCoverage) -> Vec<String> {
    vec![
        t.rank.to_string(),
        with_variant(&t.test_id, &t.variant),
        secs(t.cost_seconds),
        t.runs.to_string(),
        events(&t.events),
        t.unique_events.to_string(),
        pct(t.cum_cost_share),
        pct(t.cum_event_share),
        t.advice.as_str().to_string(),
    ]
}

const CANDIDATE_HEAD: [&str; 7] = [
    "candidate",
    "runs",
    "cost s",
    "h/week",
    "events",
    "rate ≤ (95%)",
    "advice",
];

fn candidate_row(c: &Candidate) -> Vec<String> {
    vec![
        with_variant(&c.test_id, &c.variant),
        c.runs.to_string(),
        secs(c.cost_seconds),
        format!("{:.3}", c.hours_per_week),
        c.events.to_string(),
        format!("{:.4}", c.detection_rate_upper),
        c.advice.as_str().to_string(),
    ]
}

/// Prints aligned columns: the second column left-aligned, the others right-aligned.
fn print_table(out: &mut impl Write, head: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| one_line(c)).collect())
        .collect();
    let mut width: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let left = usize::from(head.len() == TEST_HEAD.len());
    let line = |cells: &[&str]| -> String {
        let mut s = String::new();
        for (k, (c, w)) in cells.iter().zip(&width).enumerate() {
            let pad = w.saturating_sub(c.chars().count());
            if k > 0 {
                s.push_str("  ");
            }
            if k == left {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        s.trim_end().to_string()
    };
    writeln!(out, "{}", line(head))?;
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    Ok(())
}

/// The default output: headline, the tests in greedy order (the curve) and the candidates.
pub fn table(r: &TrimReport, top: usize, out: &mut impl Write) -> io::Result<()> {
    let s = &r.summary;
    writeln!(out, "{}", s.headline)?;
    writeln!(
        out,
        "{} runs, {} infrastructure failures left out; {} tests, {} failure events",
        s.runs, s.infrastructure_runs, s.tests, s.events
    )?;
    writeln!(out)?;
    let tests: Vec<Vec<String>> = r.tests.iter().take(top).map(test_row).collect();
    print_table(out, &TEST_HEAD, &tests)?;
    writeln!(out)?;
    if r.candidates.is_empty() {
        return writeln!(
            out,
            "no trim candidates (tests the cover did not need, seen in ≥ {} runs)",
            r.options.min_runs
        );
    }
    let cands: Vec<Vec<String>> = r.candidates.iter().take(top).map(candidate_row).collect();
    print_table(out, &CANDIDATE_HEAD, &cands)
}

pub fn json(r: &TrimReport, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::from)?;
    writeln!(out)
}

const CSV_HEAD: &str = "rank,test_id,variant,cost_seconds,runs,events,unique_events,new_events,kept,cum_cost_share,cum_event_share,advice";

/// One line per test, in greedy order: the curve.
pub fn csv(r: &TrimReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{CSV_HEAD}")?;
    for t in &r.tests {
        let fields = [
            t.rank.to_string(),
            csv_field(&t.test_id),
            csv_field(&t.variant),
            format!("{:.6}", t.cost_seconds),
            t.runs.to_string(),
            t.events.len().to_string(),
            t.unique_events.to_string(),
            t.new_events.to_string(),
            t.kept.to_string(),
            format!("{:.6}", t.cum_cost_share),
            format!("{:.6}", t.cum_event_share),
            t.advice.as_str().to_string(),
        ];
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

fn md_table(out: &mut impl Write, head: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    writeln!(out, "| {} |", head.join(" | "))?;
    writeln!(out, "|{}|", vec!["---"; head.len()].join("|"))?;
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

/// Markdown: the headline, the greedy order and the candidates; names are escaped.
pub fn markdown(r: &TrimReport, top: usize, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# What to trim\n")?;
    writeln!(out, "{}\n", md_cell(&r.summary.headline))?;
    writeln!(out, "## Greedy order\n")?;
    let tests: Vec<Vec<String>> = r.tests.iter().take(top).map(test_row).collect();
    md_table(out, &TEST_HEAD, &tests)?;
    writeln!(out, "\n## Trim candidates\n")?;
    let cands: Vec<Vec<String>> = r.candidates.iter().take(top).map(candidate_row).collect();
    md_table(out, &CANDIDATE_HEAD, &cands)
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
        let csv = render(csv);
        assert_eq!(
            csv.lines().nth(1),
            Some("1,\"a|b,c\",,2.000000,60,2,1,2,true,0.500000,1.000000,keep")
        );
        let md = render(|r, o| markdown(r, 20, o));
        assert!(md.contains("| 1 | a\\|b,c | 2.00 | 60 | 1 2 | 1 | 50.0% | 100.0% | keep |"));
        let table = render(|r, o| table(r, 20, o));
        assert!(table.starts_with("h\n"), "{table}");
        assert!(table.contains("no trim candidates"), "{table}");
    }
}

//! The `slow` result as tables, JSON, CSV (the groups) or Markdown.

use super::{csv_field, md_cell, one_line};
use crate::analysis::slow::{DayLoad, GroupTime, SlowReport, TestTime};
use std::io::{self, Write};

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn signed_pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{:+.1}%", 100.0 * v))
}

fn secs(x: f64) -> String {
    format!("{x:.2}")
}

fn slope(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{v:+.3}"))
}

fn headline(r: &SlowReport) -> String {
    let s = &r.summary;
    format!(
        "{} runs ({} .. {}), {} infrastructure failures left out; {:.2} h of test time",
        s.runs,
        s.first_run.as_deref().unwrap_or("-"),
        s.last_run.as_deref().unwrap_or("-"),
        s.infrastructure_runs,
        s.total_seconds / 3600.0
    )
}

const GROUP_HEAD: [&str; 8] = [
    "group",
    "total s",
    "share",
    "runs",
    "median s",
    "p95 s",
    "slope s/run",
    "7d change",
];

fn group_row(g: &GroupTime) -> Vec<String> {
    vec![
        g.group.clone(),
        secs(g.total_seconds),
        pct(g.share),
        g.runs.to_string(),
        secs(g.median_seconds),
        secs(g.p95_seconds),
        slope(g.slope_seconds_per_run),
        format!(
            "{}{}",
            signed_pct(g.change),
            if g.getting_slower {
                " getting slower"
            } else {
                ""
            }
        ),
    ]
}

const TEST_HEAD: [&str; 7] = [
    "test", "variant", "runs", "median s", "p95 s", "max s", "cv",
];

fn test_row(t: &TestTime) -> Vec<String> {
    vec![
        t.test_id.clone(),
        t.variant.clone(),
        t.runs.to_string(),
        secs(t.median_seconds),
        secs(t.p95_seconds),
        secs(t.max_seconds),
        t.cv.map_or_else(|| "-".into(), |c| format!("{c:.2}")),
    ]
}

const DAY_HEAD: [&str; 5] = ["day", "runs", "executions", "test hours", "retries"];

fn day_row(d: &DayLoad) -> Vec<String> {
    vec![
        d.day.clone(),
        d.runs.to_string(),
        d.executions.to_string(),
        format!("{:.3}", d.test_hours),
        d.retries.to_string(),
    ]
}

/// Prints aligned columns: the first column left-aligned, the others right-aligned.
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
    let line = |cells: &[&str]| -> String {
        let mut s = String::new();
        for (k, (c, w)) in cells.iter().zip(&width).enumerate() {
            if k == 0 {
                s.push_str(&format!("{c:<w$}"));
            } else {
                s.push_str(&format!("  {c:>w$}"));
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

/// The default output: headline, the top groups, the slowest tests and the load per day.
pub fn table(r: &SlowReport, top: usize, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{}", headline(r))?;
    let groups: Vec<Vec<String>> = r.groups.iter().take(top).map(group_row).collect();
    let tests: Vec<Vec<String>> = r.tests.iter().take(top).map(test_row).collect();
    let days: Vec<Vec<String>> = r.days.iter().map(day_row).collect();
    let mut group_head = GROUP_HEAD;
    let by = serde_json::to_value(r.options.by).map_err(io::Error::from)?;
    let by = by.as_str().unwrap_or("group").to_string();
    group_head[0] = &by;
    writeln!(out)?;
    print_table(out, &group_head, &groups)?;
    writeln!(out)?;
    print_table(out, &TEST_HEAD, &tests)?;
    writeln!(out)?;
    print_table(out, &DAY_HEAD, &days)
}

pub fn json(r: &SlowReport, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::from)?;
    writeln!(out)
}

const CSV_HEAD: &str = "group,runs,total_seconds,share,median_seconds,p95_seconds,slope_seconds_per_run,recent_median_seconds,prior_median_seconds,change,getting_slower";

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.6}")).unwrap_or_default()
}

/// One line per group.
pub fn csv(r: &SlowReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{CSV_HEAD}")?;
    for g in &r.groups {
        let fields = [
            csv_field(&g.group),
            g.runs.to_string(),
            format!("{:.6}", g.total_seconds),
            format!("{:.6}", g.share),
            format!("{:.6}", g.median_seconds),
            format!("{:.6}", g.p95_seconds),
            opt(g.slope_seconds_per_run),
            opt(g.recent_median_seconds),
            opt(g.prior_median_seconds),
            opt(g.change),
            g.getting_slower.to_string(),
        ];
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

fn md_table(out: &mut impl Write, head: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    writeln!(out, "| {} |", head.join(" | "))?;
    let align: Vec<&str> = (0..head.len())
        .map(|k| if k == 0 { "---" } else { "---:" })
        .collect();
    writeln!(out, "|{}|", align.join("|"))?;
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

/// Markdown sections for the top groups, the slowest tests and the load per day; names are
/// escaped.
pub fn markdown(r: &SlowReport, top: usize, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# Where the CI time goes\n")?;
    writeln!(out, "{}\n", md_cell(&headline(r)))?;
    writeln!(out, "## Groups\n")?;
    let groups: Vec<Vec<String>> = r.groups.iter().take(top).map(group_row).collect();
    md_table(out, &GROUP_HEAD, &groups)?;
    writeln!(out, "\n## Slowest tests\n")?;
    let tests: Vec<Vec<String>> = r.tests.iter().take(top).map(test_row).collect();
    md_table(out, &TEST_HEAD, &tests)?;
    writeln!(out, "\n## CI load per day\n")?;
    let days: Vec<Vec<String>> = r.days.iter().map(day_row).collect();
    md_table(out, &DAY_HEAD, &days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::slow::{SCHEMA_VERSION, SlowOptions, Summary};

    fn report() -> SlowReport {
        SlowReport {
            schema_version: SCHEMA_VERSION,
            options: SlowOptions::default(),
            summary: Summary {
                runs: 2,
                first_run: Some("r1".into()),
                last_run: Some("r2".into()),
                infrastructure_runs: 0,
                total_seconds: 7200.0,
            },
            groups: vec![GroupTime {
                group: "a|b,c".into(),
                runs: 2,
                total_seconds: 7200.0,
                share: 1.0,
                median_seconds: 3600.0,
                p95_seconds: 4000.0,
                slope_seconds_per_run: Some(800.0),
                recent_median_seconds: None,
                prior_median_seconds: None,
                change: None,
                getting_slower: false,
            }],
            tests: vec![],
            days: vec![DayLoad {
                day: "2026-01-01".into(),
                runs: 2,
                executions: 4,
                test_hours: 2.0,
                retries: 1,
            }],
        }
    }

    fn render(f: impl Fn(&SlowReport, &mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&report(), &mut out).expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("exporters write UTF-8")
    }

    #[test]
    fn csv_quotes_and_leaves_missing_values_empty() {
        let csv = render(csv);
        assert_eq!(
            csv.lines().nth(1),
            Some("\"a|b,c\",2,7200.000000,1.000000,3600.000000,4000.000000,800.000000,,,,false")
        );
    }

    #[test]
    fn markdown_escapes_and_table_aligns() {
        let md = render(|r, o| markdown(r, 20, o));
        assert!(
            md.contains("| a\\|b,c | 7200.00 | 100.0% | 2 | 3600.00 | 4000.00 | +800.000 | - |")
        );
        assert!(md.contains("| 2026-01-01 | 2 | 4 | 2.000 | 1 |"));
        let table = render(|r, o| table(r, 20, o));
        assert!(table.starts_with("2 runs (r1 .. r2), 0 infrastructure failures left out; 2.00 h"));
        assert!(table.contains("\nsuite  total s   share"), "{table}");
    }
}

//! What `stats` prints: the history's counts as a table, and the report files that had errors,
//! or everything as JSON.

use super::render::{self, Render};
use super::table::{Column, Table, TableOptions};
use crate::store::stats::Stats;
use std::io::{self, Write};

/// The counts, then one line per problem of each report file with errors (at most `--top`).
fn table(s: &Stats, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
    let mut counts = Table::new(vec![Column::word("history"), Column::name("")]).headless();
    for (k, v) in [
        ("runs", s.runs.to_string()),
        ("report files", s.files.to_string()),
        ("test executions", s.executions.to_string()),
        ("distinct tests", s.tests.to_string()),
        ("suites", s.suites.to_string()),
        (
            "first run",
            s.first_run.clone().unwrap_or_else(|| "-".into()),
        ),
        ("last run", s.last_run.clone().unwrap_or_else(|| "-".into())),
        ("files with errors", s.parse_errors.to_string()),
    ] {
        counts.row(vec![k.to_string(), v]);
    }
    // The counts are one short list: --top is for the problems.
    let all = TableOptions {
        top: Some(usize::MAX),
        ..*opts
    };
    counts.print(out, &all)?;
    if s.bad_files.is_empty() {
        return Ok(());
    }
    let mut bad = Table::new(vec![
        Column::name("run"),
        Column::name("file with errors"),
        Column::message("problem"),
    ]);
    for b in &s.bad_files {
        for problem in b.problems.lines().filter(|l| !l.trim().is_empty()) {
            bad.row(vec![b.run.clone(), b.path.clone(), problem.to_string()]);
        }
    }
    writeln!(out)?;
    bad.print(out, opts)
}

/// Counts and problems, with no rows to write as CSV or Markdown.
impl Render for Stats {
    fn table(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        table(self, opts, out)
    }

    fn json(&self, out: &mut impl Write) -> io::Result<()> {
        render::json(self, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::stats::BadReport;

    #[test]
    fn bad_files_are_escaped_and_fit() {
        let s = Stats {
            runs: 2,
            files: 3,
            executions: 10,
            tests: 5,
            suites: 1,
            first_run: Some("2026-01-01T00:00:00Z".into()),
            last_run: Some("2026-01-02T00:00:00Z".into()),
            parse_errors: 1,
            bad_files: vec![BadReport {
                run: "r\u{1b}]52;c;eA==\u{7}".into(),
                path: format!("{}/b\u{202e}.xml", "d".repeat(300)),
                problems: "line 1: bad\u{1b}[2J\nline 2: worse".into(),
            }],
        };
        let mut out = Vec::new();
        table(&s, &TableOptions::default(), &mut out).expect("writing to a Vec cannot fail");
        let text = String::from_utf8(out).expect("UTF-8");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(text.contains("r\\x1b]52;c;eA==\\x07"), "{text}");
        assert!(text.contains("line 2: worse"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
        assert!(text.starts_with("runs               2\n"), "{text}");
    }
}

//! The `slow` result as tables, JSON, CSV (one table, `--csv-table`) or Markdown.

use super::{csv_field, md_cell, one_line};
use crate::analysis::slow::{DayLoad, GroupTime, Regression, RunShards, SlowReport, TestTime};
use std::io::{self, Write};

/// Which of the result's tables `--format csv` writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CsvTable {
    /// One line per group.
    #[default]
    Groups,
    /// One line per test and variant.
    Tests,
    /// One line per duration regression.
    Regressions,
    /// One line per run key: shards, critical path, imbalance.
    Runs,
    /// One line per day: the CI load and its waste.
    Days,
}

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

/// Seconds below an hour, hours from there on.
fn span(seconds: f64) -> String {
    if seconds.abs() >= 3600.0 {
        format!("{:.2} h", seconds / 3600.0)
    } else {
        format!("{seconds:.2} s")
    }
}

fn waste_line(r: &SlowReport) -> String {
    let s = &r.summary;
    format!(
        "waste: {} ({} in failed attempts of flaky tests, {} in {} same-commit re-run{}); {} retries",
        span(s.waste_seconds),
        span(s.flaky_retry_seconds),
        span(s.rerun_seconds),
        s.reruns,
        if s.reruns == 1 { "" } else { "s" },
        s.retries
    )
}

fn shard_line(r: &SlowReport) -> String {
    let s = &r.sharding;
    match s.imbalance {
        None => "shards: no run with more than one shard".into(),
        Some(imbalance) => format!(
            "shards: {} runs with 2 or more; critical path {} of {} summed, imbalance {} (median {}), {} above balanced",
            s.sharded_runs,
            span(s.critical_path_seconds),
            span(s.summed_seconds),
            pct(imbalance),
            s.median_imbalance.map_or_else(|| "-".into(), pct),
            span(s.excess_seconds)
        ),
    }
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

const DAY_HEAD: [&str; 9] = [
    "day",
    "runs",
    "executions",
    "test hours",
    "retries",
    "re-runs",
    "flaky retry h",
    "re-run h",
    "waste h",
];

fn day_row(d: &DayLoad) -> Vec<String> {
    vec![
        d.day.clone(),
        d.runs.to_string(),
        d.executions.to_string(),
        format!("{:.3}", d.test_hours),
        d.retries.to_string(),
        d.reruns.to_string(),
        format!("{:.3}", d.flaky_retry_hours),
        format!("{:.3}", d.rerun_hours),
        format!("{:.3}", d.waste_hours),
    ]
}

const REGRESSION_HEAD: [&str; 8] = [
    "test", "variant", "from run", "commit", "before s", "after s", "step s", "step",
];

fn regression_row(g: &Regression) -> Vec<String> {
    vec![
        g.test_id.clone(),
        g.variant.clone(),
        g.run.clone(),
        g.commit.clone().unwrap_or_else(|| "-".into()),
        secs(g.median_before_seconds),
        secs(g.median_after_seconds),
        secs(g.step_seconds),
        signed_pct(Some(g.step)),
    ]
}

const RUN_HEAD: [&str; 8] = [
    "run",
    "shards",
    "summed s",
    "critical s",
    "slowest shard",
    "mean s",
    "imbalance",
    "excess s",
];

fn run_row(r: &RunShards) -> Vec<String> {
    vec![
        r.run.clone(),
        r.shards.len().to_string(),
        secs(r.summed_seconds),
        secs(r.critical_path_seconds),
        r.slowest_shard.clone(),
        secs(r.mean_shard_seconds),
        pct(r.imbalance),
        secs(r.excess_seconds),
    ]
}

/// The runs with at least two shards whose critical path is furthest above the balanced one.
fn worst_runs(r: &SlowReport, top: usize) -> Vec<Vec<String>> {
    let mut runs: Vec<&RunShards> = r.run_shards.iter().filter(|x| x.shards.len() > 1).collect();
    // Stable: ties keep run order.
    runs.sort_by(|a, b| b.excess_seconds.total_cmp(&a.excess_seconds));
    runs.into_iter().take(top).map(run_row).collect()
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

/// The default output: headline, the top groups, the slowest tests, the load per day, the
/// largest duration regressions and the most unbalanced runs.
pub fn table(r: &SlowReport, top: usize, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{}", headline(r))?;
    writeln!(out, "{}", waste_line(r))?;
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
    print_table(out, &DAY_HEAD, &days)?;
    writeln!(out)?;
    if r.regressions.is_empty() {
        writeln!(out, "duration regressions: none")?;
    } else {
        writeln!(
            out,
            "duration regressions (median stepped up and stayed up): {}",
            r.regressions.len()
        )?;
        let rows: Vec<Vec<String>> = r.regressions.iter().take(top).map(regression_row).collect();
        print_table(out, &REGRESSION_HEAD, &rows)?;
    }
    writeln!(out)?;
    writeln!(out, "{}", shard_line(r))?;
    let worst = worst_runs(r, top);
    if !worst.is_empty() {
        print_table(out, &RUN_HEAD, &worst)?;
    }
    Ok(())
}

pub fn json(r: &SlowReport, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::from)?;
    writeln!(out)
}

const CSV_HEAD: &str = "group,runs,total_seconds,share,median_seconds,p95_seconds,slope_seconds_per_run,recent_median_seconds,prior_median_seconds,change,getting_slower";

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.6}")).unwrap_or_default()
}

fn write_csv(out: &mut impl Write, head: &str, rows: &[Vec<String>]) -> io::Result<()> {
    writeln!(out, "{head}")?;
    for row in rows {
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

/// One table as CSV: the groups (the default), tests, regressions, runs or days.
pub fn csv(r: &SlowReport, table: CsvTable, out: &mut impl Write) -> io::Result<()> {
    let f = |x: f64| format!("{x:.6}");
    match table {
        CsvTable::Groups => groups_csv(r, out),
        CsvTable::Tests => {
            let rows: Vec<Vec<String>> = r
                .tests
                .iter()
                .map(|t| {
                    vec![
                        csv_field(&t.test_id),
                        csv_field(&t.classname),
                        csv_field(&t.name),
                        csv_field(&t.variant),
                        t.runs.to_string(),
                        f(t.total_seconds),
                        f(t.median_seconds),
                        f(t.p95_seconds),
                        f(t.max_seconds),
                        opt(t.cv),
                    ]
                })
                .collect();
            write_csv(
                out,
                "test_id,classname,name,variant,runs,total_seconds,median_seconds,p95_seconds,max_seconds,cv",
                &rows,
            )
        }
        CsvTable::Regressions => {
            let rows: Vec<Vec<String>> = r
                .regressions
                .iter()
                .map(|g| {
                    vec![
                        csv_field(&g.test_id),
                        csv_field(&g.classname),
                        csv_field(&g.name),
                        csv_field(&g.variant),
                        csv_field(&g.run),
                        csv_field(g.commit.as_deref().unwrap_or_default()),
                        g.timestamp.clone(),
                        g.runs_before.to_string(),
                        g.runs_after.to_string(),
                        f(g.median_before_seconds),
                        f(g.median_after_seconds),
                        f(g.recent_median_seconds),
                        f(g.step_seconds),
                        f(g.step),
                    ]
                })
                .collect();
            write_csv(
                out,
                "test_id,classname,name,variant,run,commit,timestamp,runs_before,runs_after,median_before_seconds,median_after_seconds,recent_median_seconds,step_seconds,step",
                &rows,
            )
        }
        CsvTable::Runs => {
            let rows: Vec<Vec<String>> = r
                .run_shards
                .iter()
                .map(|x| {
                    vec![
                        csv_field(&x.run),
                        x.timestamp.clone(),
                        csv_field(x.commit.as_deref().unwrap_or_default()),
                        x.variants.to_string(),
                        x.shards.len().to_string(),
                        f(x.summed_seconds),
                        f(x.critical_path_seconds),
                        csv_field(&x.slowest_shard),
                        f(x.mean_shard_seconds),
                        f(x.imbalance),
                        f(x.excess_seconds),
                    ]
                })
                .collect();
            write_csv(
                out,
                "run,timestamp,commit,variants,shards,summed_seconds,critical_path_seconds,slowest_shard,mean_shard_seconds,imbalance,excess_seconds",
                &rows,
            )
        }
        CsvTable::Days => {
            let rows: Vec<Vec<String>> = r
                .days
                .iter()
                .map(|d| {
                    vec![
                        d.day.clone(),
                        d.runs.to_string(),
                        d.executions.to_string(),
                        f(d.test_hours),
                        d.retries.to_string(),
                        d.reruns.to_string(),
                        f(d.flaky_retry_hours),
                        f(d.rerun_hours),
                        f(d.waste_hours),
                    ]
                })
                .collect();
            write_csv(
                out,
                "day,runs,executions,test_hours,retries,reruns,flaky_retry_hours,rerun_hours,waste_hours",
                &rows,
            )
        }
    }
}

/// One line per group.
fn groups_csv(r: &SlowReport, out: &mut impl Write) -> io::Result<()> {
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

/// Markdown sections for the top groups, the slowest tests, the load per day, the duration
/// regressions and the most unbalanced runs; names are escaped.
pub fn markdown(r: &SlowReport, top: usize, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# Where the CI time goes\n")?;
    writeln!(out, "{}\n", md_cell(&headline(r)))?;
    writeln!(out, "{}\n", md_cell(&waste_line(r)))?;
    writeln!(out, "## Groups\n")?;
    let groups: Vec<Vec<String>> = r.groups.iter().take(top).map(group_row).collect();
    md_table(out, &GROUP_HEAD, &groups)?;
    writeln!(out, "\n## Slowest tests\n")?;
    let tests: Vec<Vec<String>> = r.tests.iter().take(top).map(test_row).collect();
    md_table(out, &TEST_HEAD, &tests)?;
    writeln!(out, "\n## CI load per day\n")?;
    let days: Vec<Vec<String>> = r.days.iter().map(day_row).collect();
    md_table(out, &DAY_HEAD, &days)?;
    writeln!(out, "\n## Duration regressions\n")?;
    if r.regressions.is_empty() {
        writeln!(out, "None.")?;
    } else {
        let rows: Vec<Vec<String>> = r.regressions.iter().take(top).map(regression_row).collect();
        md_table(out, &REGRESSION_HEAD, &rows)?;
    }
    writeln!(out, "\n## Shards\n")?;
    writeln!(out, "{}", md_cell(&shard_line(r)))?;
    let worst = worst_runs(r, top);
    if !worst.is_empty() {
        writeln!(out)?;
        md_table(out, &RUN_HEAD, &worst)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::slow::{SCHEMA_VERSION, ShardSummary, ShardTime, SlowOptions, Summary};

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
                retries: 1,
                reruns: 1,
                flaky_retry_seconds: 2.0,
                rerun_seconds: 3600.0,
                waste_seconds: 3602.0,
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
                reruns: 1,
                flaky_retry_hours: 0.5,
                rerun_hours: 1.0,
                waste_hours: 1.5,
            }],
            regressions: vec![Regression {
                test_id: "T::x|<b>".into(),
                classname: "T".into(),
                name: "x|<b>".into(),
                variant: "linux".into(),
                run: "r2".into(),
                commit: Some("c,2".into()),
                timestamp: "2026-01-01T02:00:00Z".into(),
                runs_before: 5,
                runs_after: 6,
                median_before_seconds: 2.0,
                median_after_seconds: 5.0,
                recent_median_seconds: 5.0,
                step_seconds: 3.0,
                step: 1.5,
            }],
            run_shards: vec![RunShards {
                run: "r2".into(),
                timestamp: "2026-01-01T02:00:00Z".into(),
                commit: None,
                variants: 1,
                shards: vec![
                    ShardTime {
                        shard: "shard_1".into(),
                        seconds: 3.0,
                    },
                    ShardTime {
                        shard: "shard_2".into(),
                        seconds: 1.0,
                    },
                ],
                slowest_shard: "shard_1".into(),
                summed_seconds: 4.0,
                critical_path_seconds: 3.0,
                mean_shard_seconds: 2.0,
                imbalance: 0.5,
                excess_seconds: 1.0,
            }],
            sharding: ShardSummary {
                sharded_runs: 1,
                summed_seconds: 4.0,
                critical_path_seconds: 3.0,
                excess_seconds: 1.0,
                imbalance: Some(0.5),
                median_imbalance: Some(0.5),
            },
        }
    }

    fn render(f: impl Fn(&SlowReport, &mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&report(), &mut out).expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("exporters write UTF-8")
    }

    #[test]
    fn csv_quotes_and_leaves_missing_values_empty() {
        let csv = render(|r, o| csv(r, CsvTable::Groups, o));
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

    #[test]
    fn waste_regressions_and_shards_in_every_format() {
        let table = render(|r, o| table(r, 20, o));
        assert!(
            table.contains("\nwaste: 1.00 h (2.00 s in failed attempts of flaky tests, 1.00 h in 1 same-commit re-run); 1 retries\n"),
            "{table}"
        );
        assert!(table.contains("duration regressions (median stepped up and stayed up): 1"));
        let squashed: Vec<String> = table
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let has = |row: &str| squashed.iter().any(|l| l == row);
        assert!(
            has("T::x|<b> linux r2 c,2 2.00 5.00 3.00 +150.0%"),
            "{table}"
        );
        assert!(table.contains("shards: 1 runs with 2 or more; critical path 3.00 s of 4.00 s summed, imbalance 50.0% (median 50.0%), 1.00 s above balanced"));
        assert!(has("r2 2 4.00 3.00 shard_1 2.00 50.0% 1.00"), "{table}");

        let md = render(|r, o| markdown(r, 20, o));
        assert!(md.contains("| 2026-01-01 | 2 | 4 | 2.000 | 1 | 1 | 0.500 | 1.000 | 1.500 |"));
        assert!(
            md.contains("| T::x\\|&lt;b&gt; | linux | r2 | c,2 | 2.00 | 5.00 | 3.00 | +150.0% |"),
            "{md}"
        );
        assert!(
            md.contains("| r2 | 2 | 4.00 | 3.00 | shard\\_1 | 2.00 | 50.0% | 1.00 |"),
            "{md}"
        );

        let csv_of = |t| render(move |r, o| csv(r, t, o));
        assert_eq!(
            csv_of(CsvTable::Regressions).lines().nth(1),
            Some(
                "T::x|<b>,T,x|<b>,linux,r2,\"c,2\",2026-01-01T02:00:00Z,5,6,2.000000,5.000000,5.000000,3.000000,1.500000"
            )
        );
        assert_eq!(
            csv_of(CsvTable::Runs).lines().nth(1),
            Some(
                "r2,2026-01-01T02:00:00Z,,1,2,4.000000,3.000000,shard_1,2.000000,0.500000,1.000000"
            )
        );
        assert_eq!(
            csv_of(CsvTable::Days).lines().nth(1),
            Some("2026-01-01,2,4,2.000000,1,1,0.500000,1.000000,1.500000")
        );
        assert_eq!(csv_of(CsvTable::Tests).lines().count(), 1, "header only");
    }
}

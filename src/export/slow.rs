//! The `slow` result as tables, JSON, CSV (one table, `--csv-table`) or Markdown.

use super::csv_field;
use super::format::{decimal, decimal_opt, duration, pct, signed_duration, signed_pct};
use super::table::{Column, Table, TableOptions, name, write_line};
use crate::analysis::slow::{RunShards, SlowReport};
use crate::report::escape::markdown as md;
use std::io::{self, Write};

/// Which of the result's tables `--format csv` writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum CsvTable {
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

crate::choice::choices!(CsvTable {
    Groups => "groups": "One line per group",
    Tests => "tests": "One line per test and variant",
    Regressions => "regressions": "One line per duration regression",
    Runs => "runs": "One line per run key: shards, critical path, imbalance",
    Days => "days": "One line per day: the CI load and its waste",
});

/// The headline, with run ids from the reports made safe by `show`.
fn headline(r: &SlowReport, show: impl Fn(&str) -> String) -> String {
    let s = &r.summary;
    format!(
        "{} runs ({} .. {}), {} infrastructure failures left out; {} of test time",
        s.runs,
        show(s.first_run.as_deref().unwrap_or("-")),
        show(s.last_run.as_deref().unwrap_or("-")),
        s.infrastructure_runs,
        duration(s.total_seconds)
    )
}

fn waste_line(r: &SlowReport) -> String {
    let s = &r.summary;
    format!(
        "waste: {} ({} in failed attempts of flaky tests, {} in {} same-commit re-run{}); {} retries",
        duration(s.waste_seconds),
        duration(s.flaky_retry_seconds),
        duration(s.rerun_seconds),
        s.reruns,
        if s.reruns == 1 { "" } else { "s" },
        s.retries
    )
}

/// The sharding summary, in two clauses that each fit a table line.
fn shard_lines(r: &SlowReport) -> Vec<String> {
    let s = &r.sharding;
    match s.imbalance {
        None => vec!["shards: no run with more than one shard".into()],
        Some(imbalance) => vec![
            format!(
                "shards: {} runs with 2 or more; critical path {} of {} summed,",
                s.sharded_runs,
                duration(s.critical_path_seconds),
                duration(s.summed_seconds),
            ),
            format!(
                "imbalance {} (median {}), {} above balanced",
                pct(imbalance),
                s.median_imbalance.map_or_else(|| "-".into(), pct),
                duration(s.excess_seconds)
            ),
        ],
    }
}

fn group_table(r: &SlowReport, by: &str) -> Table {
    let mut t = Table::new(vec![
        Column::name(by),
        Column::num("total"),
        Column::num("share"),
        Column::num("runs"),
        Column::num("median"),
        Column::num("p95"),
        Column::num("slope/run"),
        Column::num("7d change"),
    ]);
    for g in &r.groups {
        t.row(vec![
            g.group.clone(),
            duration(g.total_seconds),
            pct(g.share),
            g.runs.to_string(),
            duration(g.median_seconds),
            duration(g.p95_seconds),
            signed_duration(g.slope_seconds_per_run),
            format!(
                "{}{}",
                signed_pct(g.change),
                if g.getting_slower {
                    " getting slower"
                } else {
                    ""
                }
            ),
        ]);
    }
    t
}

fn test_table(r: &SlowReport) -> Table {
    let mut t = Table::new(vec![
        Column::test("test"),
        Column::name("variant").optional().weight(1),
        Column::num("runs"),
        Column::num("median"),
        Column::num("p95"),
        Column::num("max"),
        Column::num("cv"),
    ]);
    for x in &r.tests {
        t.row(vec![
            x.test_id.clone(),
            x.variant.clone(),
            x.runs.to_string(),
            duration(x.median_seconds),
            duration(x.p95_seconds),
            duration(x.max_seconds),
            x.cv.map_or_else(|| "-".into(), |c| format!("{c:.2}")),
        ]);
    }
    t
}

/// The CI load per day; `--top` keeps the newest days.
fn day_table(r: &SlowReport) -> Table {
    let mut t = Table::new(vec![
        Column::word("day"),
        Column::num("runs"),
        Column::num("executions"),
        Column::num("test time"),
        Column::num("retries"),
        Column::num("re-runs"),
        Column::num("flaky retries"),
        Column::num("re-run time"),
        Column::num("waste"),
    ])
    .keep_last();
    let h = |hours: f64| duration(hours * 3600.0);
    for d in &r.days {
        t.row(vec![
            d.day.clone(),
            d.runs.to_string(),
            d.executions.to_string(),
            h(d.test_hours),
            d.retries.to_string(),
            d.reruns.to_string(),
            h(d.flaky_retry_hours),
            h(d.rerun_hours),
            h(d.waste_hours),
        ]);
    }
    t
}

fn regression_table(r: &SlowReport) -> Table {
    let mut t = Table::new(vec![
        Column::test("test"),
        Column::name("variant").optional().weight(1),
        Column::name("from run").weight(1),
        Column::name("commit").weight(1),
        Column::num("before"),
        Column::num("after"),
        Column::num("step"),
        Column::num("change"),
    ]);
    for g in &r.regressions {
        t.row(vec![
            g.test_id.clone(),
            g.variant.clone(),
            g.run.clone(),
            g.commit.clone().unwrap_or_else(|| "-".into()),
            duration(g.median_before_seconds),
            duration(g.median_after_seconds),
            signed_duration(Some(g.step_seconds)),
            signed_pct(Some(g.step)),
        ]);
    }
    t
}

/// The runs with at least two shards, furthest above the balanced critical path first.
fn run_table(r: &SlowReport) -> Table {
    let mut runs: Vec<&RunShards> = r.run_shards.iter().filter(|x| x.shards.len() > 1).collect();
    // Stable: ties keep run order.
    runs.sort_by(|a, b| b.excess_seconds.total_cmp(&a.excess_seconds));
    let mut t = Table::new(vec![
        Column::name("run"),
        Column::num("shards"),
        Column::num("summed"),
        Column::num("critical"),
        Column::name("slowest shard"),
        Column::num("mean"),
        Column::num("imbalance"),
        Column::num("excess"),
    ]);
    for x in runs {
        t.row(vec![
            x.run.clone(),
            x.shards.len().to_string(),
            duration(x.summed_seconds),
            duration(x.critical_path_seconds),
            x.slowest_shard.clone(),
            duration(x.mean_shard_seconds),
            pct(x.imbalance),
            duration(x.excess_seconds),
        ]);
    }
    t
}

/// The name of what `--by` groups by, as the groups' column head.
fn by_name(r: &SlowReport) -> io::Result<String> {
    let by = serde_json::to_value(r.options.by).map_err(io::Error::from)?;
    Ok(by.as_str().unwrap_or("group").to_string())
}

/// The default output: headline, the top groups, the slowest tests, the load per day, the
/// largest duration regressions and the most unbalanced runs.
pub(crate) fn table(r: &SlowReport, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
    write_line(out, opts, &headline(r, |s| name(s, 24, opts)))?;
    write_line(out, opts, &waste_line(r))?;
    writeln!(out)?;
    group_table(r, &by_name(r)?).print(out, opts)?;
    writeln!(out)?;
    test_table(r).print(out, opts)?;
    writeln!(out)?;
    day_table(r).print(out, opts)?;
    writeln!(out)?;
    if r.regressions.is_empty() {
        writeln!(out, "duration regressions: none")?;
    } else {
        writeln!(
            out,
            "duration regressions (median stepped up and stayed up): {}",
            r.regressions.len()
        )?;
        regression_table(r).print(out, opts)?;
    }
    writeln!(out)?;
    for line in shard_lines(r) {
        write_line(out, opts, &line)?;
    }
    let runs = run_table(r);
    if !runs.is_empty() {
        runs.print(out, opts)?;
    }
    Ok(())
}

pub(crate) fn json(r: &SlowReport, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r).map_err(io::Error::from)?;
    writeln!(out)
}

const CSV_HEAD: &str = "group,runs,total_seconds,share,median_seconds,p95_seconds,slope_seconds_per_run,recent_median_seconds,prior_median_seconds,change,getting_slower";

fn write_csv(out: &mut impl Write, head: &str, rows: &[Vec<String>]) -> io::Result<()> {
    writeln!(out, "{head}")?;
    for row in rows {
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

/// One table as CSV: the groups (the default), tests, regressions, runs or days.
pub(crate) fn csv(r: &SlowReport, table: CsvTable, out: &mut impl Write) -> io::Result<()> {
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
                        decimal(t.total_seconds),
                        decimal(t.median_seconds),
                        decimal(t.p95_seconds),
                        decimal(t.max_seconds),
                        decimal_opt(t.cv),
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
                        decimal(g.median_before_seconds),
                        decimal(g.median_after_seconds),
                        decimal(g.recent_median_seconds),
                        decimal(g.step_seconds),
                        decimal(g.step),
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
                        decimal(x.summed_seconds),
                        decimal(x.critical_path_seconds),
                        csv_field(&x.slowest_shard),
                        decimal(x.mean_shard_seconds),
                        decimal(x.imbalance),
                        decimal(x.excess_seconds),
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
                        decimal(d.test_hours),
                        d.retries.to_string(),
                        d.reruns.to_string(),
                        decimal(d.flaky_retry_hours),
                        decimal(d.rerun_hours),
                        decimal(d.waste_hours),
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
            decimal(g.total_seconds),
            decimal(g.share),
            decimal(g.median_seconds),
            decimal(g.p95_seconds),
            decimal_opt(g.slope_seconds_per_run),
            decimal_opt(g.recent_median_seconds),
            decimal_opt(g.prior_median_seconds),
            decimal_opt(g.change),
            g.getting_slower.to_string(),
        ];
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

/// Markdown sections for the top groups, the slowest tests, the load per day (every day),
/// the duration regressions and the most unbalanced runs; text from reports goes through the
/// Markdown escaper.
pub(crate) fn markdown(
    r: &SlowReport,
    opts: &TableOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(out, "# Where the CI time goes\n")?;
    writeln!(out, "{}\n", md(&headline(r, str::to_string)))?;
    writeln!(out, "{}\n", md(&waste_line(r)))?;
    writeln!(out, "## Groups\n")?;
    group_table(r, &by_name(r)?).markdown(out, opts)?;
    writeln!(out, "\n## Slowest tests\n")?;
    test_table(r).markdown(out, opts)?;
    writeln!(out, "\n## CI load per day\n")?;
    let every_day = TableOptions {
        top: Some(usize::MAX),
        ..*opts
    };
    day_table(r).markdown(out, &every_day)?;
    writeln!(out, "\n## Duration regressions\n")?;
    if r.regressions.is_empty() {
        writeln!(out, "None.")?;
    } else {
        regression_table(r).markdown(out, opts)?;
    }
    writeln!(out, "\n## Shards\n")?;
    writeln!(out, "{}", md(&shard_lines(r).join(" ")))?;
    let runs = run_table(r);
    if !runs.is_empty() {
        writeln!(out)?;
        runs.markdown(out, opts)?;
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::slow::{
        DayLoad, GroupTime, Regression, SCHEMA_VERSION, ShardSummary, ShardTime, SlowOptions,
        Summary,
    };

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
                regression_floor_seconds: 0.5,
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
        let md = render(|r, o| markdown(r, &TableOptions::default(), o));
        assert!(
            md.contains("| a\\|b,c | 2.0 h | 100.0% | 2 | 1.0 h | 1.1 h | +13.3 min | - |"),
            "{md}"
        );
        assert!(md.contains("| 2026-01-01 | 2 | 4 | 2.0 h | 1 |"), "{md}");
        let table = render(|r, o| table(r, &TableOptions::default(), o));
        assert!(table.starts_with(
            "2 runs (r1 .. r2), 0 infrastructure failures left out; 2.0 h of test time\n"
        ));
        assert!(table.contains("\nsuite  total   share"), "{table}");
    }

    #[test]
    fn waste_regressions_and_shards_in_every_format() {
        let table = render(|r, o| table(r, &TableOptions::default(), o));
        assert!(
            table.contains("\nwaste: 1.0 h (2.00 s in failed attempts of flaky tests, 1.0 h in 1 same-commit re-run); 1 retries\n"),
            "{table}"
        );
        assert!(table.contains("duration regressions (median stepped up and stayed up): 1"));
        let squashed: Vec<String> = table
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let has = |row: &str| squashed.iter().any(|l| l == row);
        assert!(
            has("T::x|<b> linux r2 c,2 2.00 s 5.00 s +3.00 s +150.0%"),
            "{table}"
        );
        assert!(table.contains(
            "\nshards: 1 runs with 2 or more; critical path 3.00 s of 4.00 s summed,\nimbalance 50.0% (median 50.0%), 1.00 s above balanced\n"
        ));
        assert!(
            has("r2 2 4.00 s 3.00 s shard_1 2.00 s 50.0% 1.00 s"),
            "{table}"
        );

        let md = render(|r, o| markdown(r, &TableOptions::default(), o));
        assert!(md.contains("| 2026-01-01 | 2 | 4 | 2.0 h | 1 | 1 | 30.0 min | 1.0 h | 1.5 h |"));
        assert!(
            md.contains(
                "| T\\:\\:x\\|&lt;b&gt; | linux | r2 | c,2 | 2.00 s | 5.00 s | +3.00 s | +150.0% |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| r2 | 2 | 4.00 s | 3.00 s | shard\\_1 | 2.00 s | 50.0% | 1.00 s |"),
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

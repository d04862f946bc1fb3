//! The `slow` result as tables, JSON, CSV (one table, `--csv-table`) or Markdown.

use super::fields::Fields;
use super::format::{decimal, decimal_opt, duration, hours, pct, signed_duration, signed_pct};
use super::render::{self, Render};
use super::table::{Column, Table, TableOptions, name, write_line};
use crate::analysis::slow::{DayLoad, GroupTime, Regression, RunShards, SlowReport, TestTime};
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
        "{} ({} .. {}), {} left out; {} of test time",
        super::format::count(s.runs, "run"),
        show(s.first_run.as_deref().unwrap_or("-")),
        show(s.last_run.as_deref().unwrap_or("-")),
        super::format::count(s.infrastructure_runs, "infrastructure failure"),
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

/// A group's fields; the head of its name is what `--by` groups by. The CSV has the runs
/// second, the table after the time and share.
fn group_fields(by: &str) -> Fields<GroupTime> {
    Fields::<GroupTime>::new()
        .both(Column::name(by), "group", |g| g.group.clone())
        .csv("runs", |g| g.runs.to_string())
        .each(
            Column::num("total"),
            |g| duration(g.total_seconds),
            "total_seconds",
            |g| decimal(g.total_seconds),
        )
        .each(
            Column::num("share"),
            |g| pct(g.share),
            "share",
            |g| decimal(g.share),
        )
        .table(Column::num("runs"), |g| g.runs.to_string())
        .each(
            Column::num("median"),
            |g| duration(g.median_seconds),
            "median_seconds",
            |g| decimal(g.median_seconds),
        )
        .each(
            Column::num("p95"),
            |g| duration(g.p95_seconds),
            "p95_seconds",
            |g| decimal(g.p95_seconds),
        )
        .each(
            Column::num("slope/run"),
            |g| signed_duration(g.slope_seconds_per_run),
            "slope_seconds_per_run",
            |g| decimal_opt(g.slope_seconds_per_run),
        )
        .csv("recent_median_seconds", |g| {
            decimal_opt(g.recent_median_seconds)
        })
        .csv("prior_median_seconds", |g| {
            decimal_opt(g.prior_median_seconds)
        })
        .each(
            Column::num("7d change"),
            |g| {
                format!(
                    "{}{}",
                    signed_pct(g.change),
                    if g.getting_slower {
                        " getting slower"
                    } else {
                        ""
                    }
                )
            },
            "change",
            |g| decimal_opt(g.change),
        )
        .csv("getting_slower", |g| g.getting_slower.to_string())
}

fn test_fields() -> Fields<TestTime> {
    Fields::<TestTime>::new()
        .both(Column::test("test"), "test_id", |x| x.test_id.clone())
        .csv("classname", |x| x.classname.clone())
        .csv("name", |x| x.name.clone())
        .both(
            Column::name("variant").optional().weight(1),
            "variant",
            |x| x.variant.clone(),
        )
        .both(Column::num("runs"), "runs", |x| x.runs.to_string())
        .csv("total_seconds", |x| decimal(x.total_seconds))
        .each(
            Column::num("median"),
            |x| duration(x.median_seconds),
            "median_seconds",
            |x| decimal(x.median_seconds),
        )
        .each(
            Column::num("p95"),
            |x| duration(x.p95_seconds),
            "p95_seconds",
            |x| decimal(x.p95_seconds),
        )
        .each(
            Column::num("max"),
            |x| duration(x.max_seconds),
            "max_seconds",
            |x| decimal(x.max_seconds),
        )
        .each(
            Column::num("cv"),
            |x| x.cv.map_or_else(|| "-".into(), |c| format!("{c:.2}")),
            "cv",
            |x| decimal_opt(x.cv),
        )
}

/// The CI load of a day: hours in the CSV, the unit a person reads in the table.
fn day_fields() -> Fields<DayLoad> {
    Fields::<DayLoad>::new()
        .both(Column::word("day"), "day", |d| d.day.clone())
        .both(Column::num("runs"), "runs", |d| d.runs.to_string())
        .both(Column::num("executions"), "executions", |d| {
            d.executions.to_string()
        })
        .each(
            Column::num("test time"),
            |d| hours(d.test_hours),
            "test_hours",
            |d| decimal(d.test_hours),
        )
        .both(Column::num("retries"), "retries", |d| d.retries.to_string())
        .both(Column::num("re-runs"), "reruns", |d| d.reruns.to_string())
        .each(
            Column::num("flaky retries"),
            |d| hours(d.flaky_retry_hours),
            "flaky_retry_hours",
            |d| decimal(d.flaky_retry_hours),
        )
        .each(
            Column::num("re-run time"),
            |d| hours(d.rerun_hours),
            "rerun_hours",
            |d| decimal(d.rerun_hours),
        )
        .each(
            Column::num("waste"),
            |d| hours(d.waste_hours),
            "waste_hours",
            |d| decimal(d.waste_hours),
        )
}

fn regression_fields() -> Fields<Regression> {
    Fields::<Regression>::new()
        .both(Column::test("test"), "test_id", |g| g.test_id.clone())
        .csv("classname", |g| g.classname.clone())
        .csv("name", |g| g.name.clone())
        .both(
            Column::name("variant").optional().weight(1),
            "variant",
            |g| g.variant.clone(),
        )
        .both(Column::name("from run").weight(1), "run", |g| g.run.clone())
        .each(
            Column::name("commit").weight(1),
            |g| g.commit.clone().unwrap_or_else(|| "-".into()),
            "commit",
            |g| g.commit.clone().unwrap_or_default(),
        )
        .csv("timestamp", |g| g.timestamp.clone())
        .csv("runs_before", |g| g.runs_before.to_string())
        .csv("runs_after", |g| g.runs_after.to_string())
        .each(
            Column::num("before"),
            |g| duration(g.median_before_seconds),
            "median_before_seconds",
            |g| decimal(g.median_before_seconds),
        )
        .each(
            Column::num("after"),
            |g| duration(g.median_after_seconds),
            "median_after_seconds",
            |g| decimal(g.median_after_seconds),
        )
        .csv("recent_median_seconds", |g| {
            decimal(g.recent_median_seconds)
        })
        .each(
            Column::num("step"),
            |g| signed_duration(Some(g.step_seconds)),
            "step_seconds",
            |g| decimal(g.step_seconds),
        )
        .each(
            Column::num("change"),
            |g| signed_pct(Some(g.step)),
            "step",
            |g| decimal(g.step),
        )
}

fn run_fields() -> Fields<RunShards> {
    Fields::<RunShards>::new()
        .both(Column::name("run"), "run", |x| x.run.clone())
        .csv("timestamp", |x| x.timestamp.clone())
        .csv("commit", |x| x.commit.clone().unwrap_or_default())
        .csv("variants", |x| x.variants.to_string())
        .both(Column::num("shards"), "shards", |x| {
            x.shards.len().to_string()
        })
        .each(
            Column::num("summed"),
            |x| duration(x.summed_seconds),
            "summed_seconds",
            |x| decimal(x.summed_seconds),
        )
        .each(
            Column::num("critical"),
            |x| duration(x.critical_path_seconds),
            "critical_path_seconds",
            |x| decimal(x.critical_path_seconds),
        )
        .both(Column::name("slowest shard"), "slowest_shard", |x| {
            x.slowest_shard.clone()
        })
        .each(
            Column::num("mean"),
            |x| duration(x.mean_shard_seconds),
            "mean_shard_seconds",
            |x| decimal(x.mean_shard_seconds),
        )
        .each(
            Column::num("imbalance"),
            |x| pct(x.imbalance),
            "imbalance",
            |x| decimal(x.imbalance),
        )
        .each(
            Column::num("excess"),
            |x| duration(x.excess_seconds),
            "excess_seconds",
            |x| decimal(x.excess_seconds),
        )
}

/// The CI load per day; `--top` keeps the newest days.
fn day_table(r: &SlowReport) -> Table {
    day_fields().to_table(&r.days).keep_last()
}

/// The runs with at least two shards, furthest above the balanced critical path first.
fn run_table(r: &SlowReport) -> Table {
    let mut runs: Vec<&RunShards> = r.run_shards.iter().filter(|x| x.shards.len() > 1).collect();
    // Stable: ties keep run order.
    runs.sort_by(|a, b| b.excess_seconds.total_cmp(&a.excess_seconds));
    run_fields().to_table(runs)
}

/// The name of what `--by` groups by, as the groups' column head.
fn by_name(r: &SlowReport) -> io::Result<String> {
    let by = serde_json::to_value(r.options.by).map_err(io::Error::from)?;
    Ok(by.as_str().unwrap_or("group").to_string())
}

/// The default output: headline, the top groups, the slowest tests, the load per day, the
/// largest duration regressions and the most unbalanced runs.
fn table(r: &SlowReport, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
    write_line(out, opts, &headline(r, |s| name(s, 24, opts)))?;
    write_line(out, opts, &waste_line(r))?;
    writeln!(out)?;
    group_fields(&by_name(r)?)
        .to_table(&r.groups)
        .print(out, opts)?;
    writeln!(out)?;
    test_fields().to_table(&r.tests).print(out, opts)?;
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
        regression_fields()
            .to_table(&r.regressions)
            .print(out, opts)?;
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

/// One table as CSV: the groups (the default), tests, regressions, runs or days.
fn csv(r: &SlowReport, table: CsvTable, out: &mut impl Write) -> io::Result<()> {
    match table {
        CsvTable::Groups => group_fields("group").write_csv(&r.groups, out),
        CsvTable::Tests => test_fields().write_csv(&r.tests, out),
        CsvTable::Regressions => regression_fields().write_csv(&r.regressions, out),
        CsvTable::Runs => run_fields().write_csv(&r.run_shards, out),
        CsvTable::Days => day_fields().write_csv(&r.days, out),
    }
}

/// Markdown sections for the top groups, the slowest tests, the load per day (every day),
/// the duration regressions and the most unbalanced runs; text from reports goes through the
/// Markdown escaper.
fn markdown(r: &SlowReport, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "# Where the CI time goes\n")?;
    writeln!(out, "{}\n", md(&headline(r, str::to_string)))?;
    writeln!(out, "{}\n", md(&waste_line(r)))?;
    writeln!(out, "## Groups\n")?;
    group_fields(&by_name(r)?)
        .to_table(&r.groups)
        .markdown(out, opts)?;
    writeln!(out, "\n## Slowest tests\n")?;
    test_fields().to_table(&r.tests).markdown(out, opts)?;
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
        regression_fields()
            .to_table(&r.regressions)
            .markdown(out, opts)?;
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
/// The `slow` result, with the one of its tables `--format csv` writes.
pub(crate) struct SlowOutput<'a> {
    pub(crate) report: &'a SlowReport,
    pub(crate) csv: CsvTable,
}

impl Render for SlowOutput<'_> {
    fn table(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        table(self.report, opts, out)
    }

    fn json(&self, out: &mut impl Write) -> io::Result<()> {
        render::json(self.report, out)
    }

    fn csv(&self, out: &mut impl Write) -> io::Result<()> {
        csv(self.report, self.csv, out)
    }

    fn markdown(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        markdown(self.report, opts, out)
    }
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
            group_runs: Vec::new(),
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

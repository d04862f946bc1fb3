//! The `backtest` result as a table, JSON, CSV (one line per order) or Markdown. It holds no
//! text from reports: order names and numbers only.

use super::fields::Fields;
use super::format::{duration, pct};
use super::render::{self, Render};
use super::table::{Column, TableOptions};
use crate::analysis::backtest::{Budget, OrderKind, OrderScore, PriorityBacktest, StageBacktest};
use std::io::{self, Write};

/// An order's scores: three decimals and a duration in the table, every digit in the CSV.
fn fields() -> Fields<OrderScore> {
    Fields::<OrderScore>::new()
        .both(Column::word("order"), "order", |o| {
            o.order.as_str().to_string()
        })
        .each(
            Column::num("mean APFD"),
            |o| format!("{:.3}", o.mean_apfd),
            "mean_apfd",
            |o| o.mean_apfd.to_string(),
        )
        .each(
            Column::num("mean APFDc"),
            |o| format!("{:.3}", o.mean_apfdc),
            "mean_apfdc",
            |o| o.mean_apfdc.to_string(),
        )
        .each(
            Column::num("to 1st failure"),
            |o| duration(o.mean_seconds_to_first_failure),
            "mean_seconds_to_first_failure",
            |o| o.mean_seconds_to_first_failure.to_string(),
        )
}

/// Said instead of a table of zeros when no replayed run had a failure.
const NOTHING_SCORED: &str =
    "no run after the training span had a failed test (lower --train-runs or widen the window).";

/// Said instead of [`NOTHING_SCORED`] when no run came after the training span at all.
const NOTHING_REPLAYED: &str =
    "no run came after the training span (lower --train-runs or widen the window).";

/// `value` as JSON with the named top-level fields set to `null` and the named lists emptied:
/// figures a replay that measured nothing would otherwise give as 0.
fn json_unmeasured(
    value: &impl serde::Serialize,
    nulls: &[&str],
    empties: &[&str],
    out: &mut impl Write,
) -> io::Result<()> {
    let mut v = serde_json::to_value(value)?;
    for key in nulls {
        if let Some(x) = v.get_mut(*key) {
            *x = serde_json::Value::Null;
        }
    }
    for key in empties {
        if let Some(x) = v.get_mut(*key) {
            *x = serde_json::Value::Array(Vec::new());
        }
    }
    render::json(&v, out)
}

/// The summary's sentences, one a line; `wrap` breaks the weights' sentence in two for a
/// terminal (no line over 100 characters).
fn summary(r: &PriorityBacktest, wrap: bool) -> Vec<String> {
    let w = &r.model_weights;
    vec![
        format!(
            "{} runs in the window, the first {} for training; {} replayed.",
            r.runs, r.train_runs, r.runs_replayed
        ),
        format!(
            "{} scored (the runs with a failure): {} failed tests, {} of test time per run.",
            r.runs_scored,
            r.faults,
            duration(r.mean_run_seconds)
        ),
        format!(
            "Model weights at the end: chain {:.2} (recent runs {:.2}, all runs {:.2}),{}failure \
             rate {:.2} (recent runs {:.2}, all runs {:.2}).",
            r.model_chain_weight,
            w.chain_recent,
            w.chain_whole,
            if wrap { "\n" } else { " " },
            w.rate_recent + w.rate_whole,
            w.rate_recent,
            w.rate_whole,
        ),
    ]
    .into_iter()
    .chain(r.stage.as_ref().map(|st| stage_sentence(st, wrap)))
    .collect()
}

/// What a first stage within the budget would have caught, testsift's order against
/// last-failed-first's.
fn stage_sentence(st: &StageBacktest, wrap: bool) -> String {
    let of = |o: OrderKind| st.orders.iter().find(|s| s.order == o);
    let (Some(own), Some(lff)) = (of(OrderKind::Testsift), of(OrderKind::LastFailedFirst)) else {
        return String::new();
    };
    let br = if wrap { "\n" } else { " " };
    let budget = match st.budget {
        Budget::Seconds(b) => format!("{} (--budget)", duration(b)),
        Budget::Share(f) => format!("{} of each run's predicted test time", pct(f)),
    };
    format!(
        "A first stage of {budget}, in testsift's order, would have caught a failure{br}in \
         {} of {} failing runs ({}), running {:.1} tests ({}) on average;{br}in \
         last-failed-first's order, in {} ({}), running {:.1} tests.",
        own.runs_caught,
        st.runs_scored,
        pct(own.caught_share),
        own.mean_tests,
        duration(own.mean_seconds),
        lff.runs_caught,
        pct(lff.caught_share),
        lff.mean_tests,
    )
}

impl PriorityBacktest {
    /// Why no order was scored.
    fn nothing(&self) -> &'static str {
        if self.runs_replayed == 0 {
            NOTHING_REPLAYED
        } else {
            NOTHING_SCORED
        }
    }
}

impl Render for PriorityBacktest {
    fn table(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "{}", summary(self, true).join("\n"))?;
        if self.runs_scored == 0 {
            // Every order's mean would print as 0: there is nothing to score them on.
            return writeln!(out, "No order is scored: {}", self.nothing());
        }
        writeln!(out)?;
        fields().to_table(&self.orders).print(out, opts)
    }

    /// With nothing scored, no order's scores: every mean would be 0.
    fn json(&self, out: &mut impl Write) -> io::Result<()> {
        if self.runs_scored == 0 {
            return json_unmeasured(self, &["stage"], &["orders"], out);
        }
        render::json(self, out)
    }

    fn csv(&self, out: &mut impl Write) -> io::Result<()> {
        let orders: &[OrderScore] = if self.runs_scored == 0 {
            &[]
        } else {
            &self.orders
        };
        fields().write_csv(orders, out)
    }

    /// Every order, whatever `--top` says: there are only a few.
    fn markdown(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        // Each sentence on its own line in the rendered Markdown too.
        let summary = summary(self, false).join("  \n");
        writeln!(out, "### Priority order, replayed\n\n{summary}\n")?;
        if self.runs_scored == 0 {
            return writeln!(out, "No order is scored: {}", self.nothing());
        }
        let all = TableOptions {
            top: Some(usize::MAX),
            ..*opts
        };
        fields().to_table(&self.orders).markdown(out, &all)
    }
}

/// The skip list's replay: what it saved and what it would have missed.
pub(crate) mod skip {
    use crate::analysis::backtest::skip::{MissedRun, SkipBacktest};
    use crate::export::fields::Fields;
    use crate::export::format::{duration, pct};
    use crate::export::render::{self, Render};
    use crate::export::table::{Column, Table, TableOptions};
    use std::io::{self, Write};

    /// Missed runs listed in the table and Markdown.
    const SHOWN: usize = 10;

    fn lines(r: &SkipBacktest) -> Vec<String> {
        let mut lines = vec![format!(
            "{} runs in the window, the first {} for training; {} replayed, {} with a failure.",
            r.runs, r.train_runs, r.runs_replayed, r.failure_runs
        )];
        if r.runs_replayed == 0 {
            lines.push("Nothing replayed: lower --train-runs or widen the window.".to_string());
            return lines;
        }
        lines.push(format!(
            "Skipped {:.1} of {:.1} tests per run, saving {} of {} ({}; {:.2} hours/week).",
            r.mean_skipped_tests,
            r.mean_tests,
            duration(r.mean_seconds_saved),
            duration(r.mean_seconds),
            pct(r.saved_share),
            r.hours_saved_per_week
        ));
        if r.failure_runs == 0 {
            lines.push(
                "Missed: no replayed run had a hard failure, so no miss rate can be measured."
                    .to_string(),
            );
            return lines;
        }
        lines.push(format!(
            "Missed: {} of {} failure runs ({}) failed only in skipped tests; {} of {} failed tests were skipped.",
            r.missed_runs,
            r.failure_runs,
            pct(r.miss_rate),
            r.failed_tests_skipped,
            r.failed_tests
        ));
        if !r.heuristics.is_empty() {
            let rules: Vec<String> = r
                .heuristics
                .iter()
                .map(|h| {
                    format!(
                        "{} missed {} ({}, saving {})",
                        h.rule,
                        h.missed_runs,
                        pct(h.miss_rate),
                        pct(h.saved_share)
                    )
                })
                .collect();
            lines.push(format!(
                "Simple rules given the same time to save per run: {}.",
                rules.join("; ")
            ));
        }
        lines
    }

    fn caught(after: Option<usize>) -> String {
        after.map_or("not in the window".into(), |n| format!("{n} runs later"))
    }

    /// A missed run's fields: the table says when it was caught, the CSV after how many runs.
    fn fields() -> Fields<MissedRun> {
        Fields::<MissedRun>::new()
            .both(Column::name("missed run"), "run", |m| m.run.clone())
            .csv("variant", |m| m.variant.clone())
            .each(
                Column::word("caught"),
                |m| caught(m.caught_after_runs),
                "caught_after_runs",
                |m| {
                    m.caught_after_runs
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                },
            )
            .each(
                Column::message("tests"),
                |m| m.tests.join(", "),
                "tests",
                |m| m.tests.join(" "),
            )
    }

    /// The first [`SHOWN`] missed runs.
    fn missed_table(r: &SkipBacktest) -> Table {
        fields().to_table(r.missed.iter().take(SHOWN))
    }

    fn table(r: &SkipBacktest, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        for line in lines(r) {
            crate::export::table::write_line(out, opts, &line)?;
        }
        if r.missed.is_empty() {
            return Ok(());
        }
        writeln!(out)?;
        missed_table(r).print(out, opts)?;
        if r.missed.len() > SHOWN {
            writeln!(
                out,
                "… and {} more (--format json lists all)",
                r.missed.len() - SHOWN
            )?;
        }
        Ok(())
    }

    fn markdown(r: &SkipBacktest, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "### Skip list, replayed\n")?;
        for line in lines(r) {
            writeln!(out, "{line}  ")?;
        }
        if !r.missed.is_empty() {
            writeln!(out)?;
            missed_table(r).markdown(out, opts)?;
        }
        Ok(())
    }

    impl Render for SkipBacktest {
        fn table(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
            table(self, opts, out)
        }

        /// Figures nothing measured are `null`: the savings when no run was replayed, the
        /// miss rates when no replayed run failed.
        fn json(&self, out: &mut impl Write) -> io::Result<()> {
            const SAVINGS: [&str; 6] = [
                "mean_tests",
                "mean_skipped_tests",
                "mean_seconds",
                "mean_seconds_saved",
                "saved_share",
                "hours_saved_per_week",
            ];
            match (self.runs_replayed, self.failure_runs) {
                (0, _) => {
                    let nulls: Vec<&str> = SAVINGS.into_iter().chain(["miss_rate"]).collect();
                    super::json_unmeasured(self, &nulls, &["heuristics"], out)
                }
                (_, 0) => super::json_unmeasured(self, &["miss_rate"], &["heuristics"], out),
                _ => render::json(self, out),
            }
        }

        /// One line per missed run.
        fn csv(&self, out: &mut impl Write) -> io::Result<()> {
            fields().write_csv(&self.missed, out)
        }

        fn markdown(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
            markdown(self, opts, out)
        }
    }
}

/// The shard split's replay.
pub(crate) mod shards {
    use crate::analysis::backtest::shards::ShardsBacktest;
    use crate::export::format::{duration, pct};
    use crate::export::render::{self, Render};
    use crate::export::table::TableOptions;
    use std::io::{self, Write};

    fn lines(r: &ShardsBacktest) -> Vec<String> {
        let mut lines = vec![format!(
            "{} pipelines (run keys) in the window, the first {} for training; {} replayed ({} with shards of their own, the others split {} ways).",
            r.pipelines, r.train_runs, r.pipelines_replayed, r.sharded_pipelines, r.default_shards
        )];
        if r.pipelines_replayed == 0 {
            lines.push("Nothing replayed: lower --train-runs or widen the window.".to_string());
            return lines;
        }
        lines.push(format!(
                "testsift's split: longest shard {} on average, {:.2}× the mean shard; predicted shard times off by {} of the actual.",
                duration(r.mean_critical_path_seconds),
                r.mean_imbalance,
                pct(r.mean_prediction_error)
        ));
        if let (Some(hp), Some(hi), Some(tp), Some(ti)) = (
            r.history_mean_critical_path_seconds,
            r.history_mean_imbalance,
            r.testsift_mean_critical_path_seconds_on_sharded,
            r.testsift_mean_imbalance_on_sharded,
        ) {
            lines.push(format!(
                "On the {} sharded pipelines: the split they used, longest shard {} ({:.2}× the mean); testsift's, {} ({:.2}×).",
                r.sharded_pipelines,
                duration(hp),
                hi,
                duration(tp),
                ti
            ));
        }
        lines
    }

    fn table(r: &ShardsBacktest, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        for line in lines(r) {
            crate::export::table::write_line(out, opts, &line)?;
        }
        Ok(())
    }

    /// One line of figures per split.
    fn csv(r: &ShardsBacktest, out: &mut impl Write) -> io::Result<()> {
        let opt = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
        writeln!(
            out,
            "split,pipelines,mean_critical_path_seconds,mean_imbalance"
        )?;
        let replayed = |x: f64| {
            if r.pipelines_replayed == 0 {
                String::new()
            } else {
                x.to_string()
            }
        };
        writeln!(
            out,
            "testsift,{},{},{}",
            r.pipelines_replayed,
            replayed(r.mean_critical_path_seconds),
            replayed(r.mean_imbalance)
        )?;
        writeln!(
            out,
            "testsift-on-sharded,{},{},{}",
            r.sharded_pipelines,
            opt(r.testsift_mean_critical_path_seconds_on_sharded),
            opt(r.testsift_mean_imbalance_on_sharded)
        )?;
        writeln!(
            out,
            "history,{},{},{}",
            r.sharded_pipelines,
            opt(r.history_mean_critical_path_seconds),
            opt(r.history_mean_imbalance)
        )
    }

    fn markdown(r: &ShardsBacktest, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "### Shard split, replayed\n")?;
        for line in lines(r) {
            writeln!(out, "{line}  ")?;
        }
        Ok(())
    }

    /// A summary in a few lines: no table, one CSV line per split.
    impl Render for ShardsBacktest {
        fn table(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
            table(self, opts, out)
        }

        /// With nothing replayed, the split's figures are `null`.
        fn json(&self, out: &mut impl Write) -> io::Result<()> {
            if self.pipelines_replayed == 0 {
                return super::json_unmeasured(
                    self,
                    &[
                        "mean_critical_path_seconds",
                        "mean_imbalance",
                        "mean_prediction_error",
                    ],
                    &[],
                    out,
                );
            }
            render::json(self, out)
        }

        fn csv(&self, out: &mut impl Write) -> io::Result<()> {
            csv(self, out)
        }

        fn markdown(&self, _opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
            markdown(self, out)
        }
    }
}

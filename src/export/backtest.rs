//! The `backtest` result as a table, JSON, CSV (one line per order) or Markdown. It holds no
//! text from reports: order names and numbers only.

use crate::analysis::backtest::PriorityBacktest;
use std::io::{self, Write};

const HEAD: [&str; 4] = ["order", "mean APFD", "mean APFDc", "to 1st failure"];

fn rows(r: &PriorityBacktest) -> Vec<[String; 4]> {
    r.orders
        .iter()
        .map(|o| {
            [
                o.order.as_str().to_string(),
                format!("{:.3}", o.mean_apfd),
                format!("{:.3}", o.mean_apfdc),
                seconds(o.mean_seconds_to_first_failure),
            ]
        })
        .collect()
}

/// Seconds in the unit a person reads.
fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

fn summary(r: &PriorityBacktest) -> String {
    format!(
        "{} runs in the window, the first {} for training; {} replayed.\n{} scored (the runs with a failure): {} failed tests, {} of test time per run.",
        r.runs,
        r.train_runs,
        r.runs_replayed,
        r.runs_scored,
        r.faults,
        seconds(r.mean_run_seconds)
    )
}

pub fn table(r: &PriorityBacktest, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{}", summary(r))?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<18} {:>9} {:>10} {:>15}",
        HEAD[0], HEAD[1], HEAD[2], HEAD[3]
    )?;
    for [a, b, c, d] in rows(r) {
        writeln!(out, "{a:<18} {b:>9} {c:>10} {d:>15}")?;
    }
    Ok(())
}

pub fn json(r: &PriorityBacktest, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r)?;
    writeln!(out)
}

pub fn csv(r: &PriorityBacktest, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "order,mean_apfd,mean_apfdc,mean_seconds_to_first_failure"
    )?;
    for o in &r.orders {
        writeln!(
            out,
            "{},{},{},{}",
            o.order.as_str(),
            o.mean_apfd,
            o.mean_apfdc,
            o.mean_seconds_to_first_failure
        )?;
    }
    Ok(())
}

pub fn markdown(r: &PriorityBacktest, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "### Priority order, replayed\n\n{}\n", summary(r))?;
    writeln!(out, "| {} |", HEAD.join(" | "))?;
    writeln!(out, "|---|---:|---:|---:|")?;
    for row in rows(r) {
        writeln!(out, "| {} |", row.join(" | "))?;
    }
    Ok(())
}

//! `testsift check`: CI gates. Exit 1 when a gate tripped, 0 when all held, 2 when there is
//! nothing to judge (an empty window). Text: tripped gates on stderr, held ones on stdout;
//! `--format json` and `--format github` write everything to stdout.

use crate::analysis::flaky::{FlakyOptions, flaky};
use crate::analysis::gate::{self, CheckReport, Gate, GateResult};
use crate::analysis::slow::{SlowOptions, slow};
use crate::analysis::window::{self, WindowArgs, runs_in_window};
use crate::cli::{CheckArgs, CheckFormat};
use crate::error::{EXIT_GATE, EXIT_OK};
use crate::export;
use crate::store::Store;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let store = Store::at(&args.store.store);
    if !store.exists() {
        anyhow::bail!(
            "{}: no history here yet; run `testsift ingest PATH` first (or pass --store)",
            store.dir().display()
        );
    }
    let reading = || format!("reading {}", store.dir().display());
    let all = runs_in_window(&store, &WindowArgs::default()).with_context(reading)?;
    if let Some(why) = gate::empty_window(&all, &args.window) {
        return no_data(args.format, &format!("the window is empty: {why}"));
    }
    let options = FlakyOptions {
        min_runs: args.min_runs,
        infra_threshold: args.infra_threshold,
    };
    let mut gates: Vec<Gate> = Vec::new();
    for g in &args.fail_on {
        if !gates.contains(g) {
            gates.push(*g);
        }
    }
    if args.max_flaky_rate.is_some() && !gates.contains(&Gate::FlakyRate) {
        gates.push(Gate::FlakyRate);
    }

    // The flaky analysis runs once, and only when a gate needs it.
    let mut now = None;
    let mut results: Vec<GateResult> = Vec::new();
    for g in gates {
        if g != Gate::Slower && now.is_none() {
            let report = flaky(&store, &args.window, &options).with_context(reading)?;
            if let Some(why) = gate::no_evidence(&report) {
                return no_data(args.format, &why);
            }
            now = Some(report);
        }
        let result = match (g, &now) {
            (Gate::Broken, Some(now)) => gate::broken(now),
            (Gate::NewFlaky, Some(now)) => {
                let mut before_window = args.window.clone();
                before_window.drop_newest = args.new_runs.max(1);
                let before = flaky(&store, &before_window, &options).with_context(reading)?;
                gate::new_flaky(now, &before, args.new_runs.max(1))
            }
            (Gate::FlakyRate, Some(now)) => {
                let Some(max) = args.max_flaky_rate else {
                    anyhow::bail!("--fail-on flaky-rate needs --max-flaky-rate SHARE");
                };
                gate::flaky_rate(now, max)
            }
            (Gate::Slower, _) => {
                let options = SlowOptions {
                    by: args.by,
                    slower_threshold: args.slower_threshold / 100.0,
                    infra_threshold: args.infra_threshold,
                    ..SlowOptions::default()
                };
                let report = slow(&store, &args.window, &options).with_context(reading)?;
                if let Some(why) = gate::slower_no_evidence(&report) {
                    return no_data(args.format, &why);
                }
                gate::slower(&report)
            }
            (_, None) => anyhow::bail!("the {} gate ran without the flaky analysis", g.as_str()),
        };
        results.push(result);
    }

    let tripped = results.iter().any(|r| r.tripped);
    gate::locate(&store, &mut results).with_context(reading)?;
    let mut window_runs = all;
    window::select(&mut window_runs, &args.window);
    let report = CheckReport {
        schema_version: gate::SCHEMA_VERSION,
        tripped,
        runs: window_runs.len(),
        gates: results,
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        CheckFormat::Text => {
            let (held, failed) = export::check::text(&report);
            out.write_all(held.as_bytes())?;
            out.flush()?;
            std::io::stderr().lock().write_all(failed.as_bytes())?;
        }
        CheckFormat::Json => out.write_all(export::check::json(&report)?.as_bytes())?,
        CheckFormat::Github => out.write_all(export::check::github(&report).as_bytes())?,
    }
    out.flush()?;
    Ok(ExitCode::from(if tripped { EXIT_GATE } else { EXIT_OK }))
}

/// Nothing to judge is an error (exit 2), never a pass; with `--format github` it is also an
/// `::error` command, so the job's annotations say why.
fn no_data(format: CheckFormat, why: &str) -> anyhow::Result<ExitCode> {
    let message = format!("nothing to check: {why}");
    if let CheckFormat::Github = format {
        let mut out = std::io::stdout().lock();
        out.write_all(export::check::no_data_github(&message).as_bytes())?;
        out.flush()?;
    }
    anyhow::bail!(message)
}

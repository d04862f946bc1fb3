//! `testsift check`: CI gates. Exit 1 with one line per tripped gate on stderr; exit 0 with
//! the held gates on stdout.

use crate::analysis::flaky::{FlakyOptions, flaky};
use crate::analysis::gate::{self, Gate, GateResult};
use crate::analysis::slow::{SlowOptions, slow};
use crate::cli::CheckArgs;
use crate::error::{EXIT_GATE, EXIT_OK};
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
    if let Some(max) = args.max_flaky_rate
        && !(0.0..=1.0).contains(&max)
    {
        anyhow::bail!("--max-flaky-rate {max} is not a share between 0 and 1 (5% is 0.05)");
    }
    let reading = || format!("reading {}", store.dir().display());
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
            now = Some(flaky(&store, &args.window, &options).with_context(reading)?);
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
                gate::slower(&slow(&store, &args.window, &options).with_context(reading)?)
            }
            (_, None) => anyhow::bail!("the {} gate ran without the flaky analysis", g.as_str()),
        };
        results.push(result);
    }

    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let mut tripped = false;
    for r in &results {
        if r.tripped {
            tripped = true;
            writeln!(err, "check failed: {}: {}", r.gate.as_str(), r.reason)?;
        } else {
            writeln!(out, "ok: {}: {}", r.gate.as_str(), r.reason)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::from(if tripped { EXIT_GATE } else { EXIT_OK }))
}

//! `testsift backtest`: wiring from the command line to [`crate::analysis::backtest`].

use crate::analysis::backtest::{BacktestOptions, priority};
use crate::cli::{BacktestArgs, BacktestKind, OutputFormat};
use crate::error::EXIT_OK;
use crate::export;
use crate::store::Store;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub fn run(args: BacktestArgs) -> anyhow::Result<ExitCode> {
    let store = Store::at(&args.store.store);
    if !store.exists() {
        anyhow::bail!(
            "{}: no history here yet; run `testsift ingest PATH` first (or pass --store)",
            store.dir().display()
        );
    }
    let options = BacktestOptions {
        train_runs: args.train_runs,
        infra_threshold: args.infra_threshold,
        seed: args.seed,
    };
    let result = match args.kind {
        BacktestKind::Priority => priority(&store, &args.window, &options)
            .with_context(|| format!("reading {}", store.dir().display()))?,
    };
    if result.runs_scored == 0 {
        eprintln!(
            "testsift: warning: no run after the first {} of {} had a failed test, so nothing was scored (lower --train-runs or widen the window)",
            result.train_runs, result.runs
        );
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Table => export::backtest::table(&result, &mut out)?,
        OutputFormat::Json => export::backtest::json(&result, &mut out)?,
        OutputFormat::Csv => export::backtest::csv(&result, &mut out)?,
        OutputFormat::Md => export::backtest::markdown(&result, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::from(EXIT_OK))
}

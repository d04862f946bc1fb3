//! `testsift backtest`: wiring from the command line to [`crate::analysis::backtest`].

use crate::analysis::backtest::{BacktestOptions, priority, shard_split, skip_list};
use crate::analysis::window::Window;
use crate::cli::{BacktestArgs, BacktestKind};
use crate::error::EXIT_OK;
use crate::export::render::print;
use crate::export::table::TableOptions;
use anyhow::Context;
use std::process::ExitCode;

pub(crate) fn run(args: BacktestArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let options = BacktestOptions {
        train_runs: args.train_runs,
        infra_threshold: args
            .infra_threshold
            .or(crate::config::installed().thresholds.infra_threshold)
            .unwrap_or(crate::analysis::INFRA_THRESHOLD),
        seed: args.seed,
        min_runs: args.min_runs,
        min_saving: args.cut.min_saving / 100.0,
        saving_share: args.cut.saving_share / 100.0,
        shards: usize::try_from(args.shards).unwrap_or(1),
        split_by: args.current_split,
        budget: args.budget.map(crate::analysis::backtest::Budget::Seconds),
    };
    let reading = || format!("reading {}", store.dir().display());
    let format = args.format.to_format();
    // The backtests' tables are short: no --top or --wide.
    let table = TableOptions::default();
    let window = Window::load(&store, &args.window.to_spec()).with_context(reading)?;
    match args.kind {
        BacktestKind::Priority => {
            let result = priority(window, &options);
            if result.runs_replayed == 0 {
                eprintln!(
                    "testsift: warning: no run after the first {} of {} to replay, so nothing was scored (lower --train-runs or widen the window)",
                    result.train_runs, result.runs
                );
            } else if result.runs_scored == 0 {
                eprintln!(
                    "testsift: warning: no run after the first {} of {} had a failed test, so nothing was scored (lower --train-runs or widen the window)",
                    result.train_runs, result.runs
                );
            }
            print(&result, format, &table)?;
        }
        BacktestKind::Skip => {
            let result = skip_list(window, &options);
            if result.runs_replayed == 0 {
                eprintln!(
                    "testsift: warning: no run after the first {} of {} to replay (lower --train-runs or widen the window)",
                    result.train_runs, result.runs
                );
            }
            print(&result, format, &table)?;
        }
        BacktestKind::Shards => {
            let result = shard_split(window, &options);
            if result.pipelines_replayed == 0 {
                eprintln!(
                    "testsift: warning: no pipeline after the first {} of {} to replay (lower --train-runs or widen the window)",
                    result.train_runs, result.pipelines
                );
            }
            print(&result, format, &table)?;
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

//! `testsift slow`: where the CI time goes.

use crate::analysis::slow::{SlowOptions, slow};
use crate::analysis::window::Window;
use crate::cli::SlowArgs;
use crate::error::EXIT_OK;
use crate::export::render::print;
use crate::export::slow::SlowOutput;
use anyhow::Context;
use std::process::ExitCode;

pub(crate) fn run(args: SlowArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let options = SlowOptions {
        by: args.by,
        slower_threshold: args.slower_threshold / 100.0,
        infra_threshold: args
            .infra_threshold
            .or(crate::config::installed().thresholds.infra_threshold)
            .unwrap_or(crate::analysis::INFRA_THRESHOLD),
        regression_min_runs: usize::try_from(args.regression_min_runs).unwrap_or(usize::MAX),
        regression_min_step: args.regression_min_step / 100.0,
        regression_min_seconds: args
            .regression_min_seconds
            .unwrap_or(SlowOptions::default().regression_min_seconds),
        regression_min_share: match args.regression_min_seconds {
            Some(_) => None,
            None => Some(args.regression_min_share / 100.0),
        },
    };
    let window = Window::load(&store, &args.window.to_spec())
        .with_context(|| format!("reading {}", store.dir().display()))?;
    let report = slow(&window, &options);
    let output = SlowOutput {
        report: &report,
        csv: args.csv_table,
    };
    print(&output, args.format.to_format(), &args.table.to_options())?;
    Ok(ExitCode::from(EXIT_OK))
}

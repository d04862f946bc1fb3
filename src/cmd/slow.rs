//! `testsift slow`: where the CI time goes.

use crate::analysis::slow::{SlowOptions, slow};
use crate::cli::{OutputFormat, SlowArgs};
use crate::error::EXIT_OK;
use crate::export;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn run(args: SlowArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let options = SlowOptions {
        by: args.by,
        slower_threshold: args.slower_threshold / 100.0,
        infra_threshold: args.infra_threshold,
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
    let report = slow(&store, &args.window.to_spec(), &options)
        .with_context(|| format!("reading {}", store.dir().display()))?;
    let table = args.table.to_options();
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Table => export::slow::table(&report, &table, &mut out)?,
        OutputFormat::Json => export::slow::json(&report, &mut out)?,
        OutputFormat::Csv => export::slow::csv(&report, args.csv_table, &mut out)?,
        OutputFormat::Md => export::slow::markdown(&report, &table, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::from(EXIT_OK))
}

//! `testsift flaky`: one verdict per test, with the evidence.

use crate::analysis::flaky::{FlakyOptions, flaky};
use crate::cli::{FlakyArgs, OutputFormat};
use crate::error::EXIT_OK;
use crate::export;
use crate::store::Store;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub fn run(args: FlakyArgs) -> anyhow::Result<ExitCode> {
    let store = Store::at(&args.store.store);
    if !store.exists() {
        anyhow::bail!(
            "{}: no history here yet; run `testsift ingest PATH` first (or pass --store)",
            store.dir().display()
        );
    }
    let options = FlakyOptions {
        min_runs: args.min_runs,
        infra_threshold: args.infra_threshold,
    };
    let report = flaky(&store, &args.window, &options)
        .with_context(|| format!("reading {}", store.dir().display()))?;
    let table = args.table.to_options();
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Table => export::flaky::table(&report, &table, &mut out)?,
        OutputFormat::Json => export::flaky::json(&report, &mut out)?,
        OutputFormat::Csv => export::flaky::csv(&report, &mut out)?,
        OutputFormat::Md => export::flaky::markdown(&report, &table, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::from(EXIT_OK))
}

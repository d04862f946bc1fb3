//! `testsift stats`: what the history holds.

use crate::cli::StatsArgs;
use crate::error::EXIT_OK;
use crate::export::render::print;
use crate::store::stats;
use anyhow::Context;
use std::process::ExitCode;

pub(crate) fn run(args: StatsArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let s = stats::stats(&store).with_context(|| format!("reading {}", store.dir().display()))?;
    print(&s, args.format.to_format(), &args.table.to_options())?;
    Ok(ExitCode::from(EXIT_OK))
}

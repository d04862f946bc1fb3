//! `testsift stats`: what the history holds.

use crate::cli::{StatsArgs, StatsFormat};
use crate::error::EXIT_OK;
use crate::export;
use crate::store::stats;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn run(args: StatsArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let s = stats::stats(&store).with_context(|| format!("reading {}", store.dir().display()))?;
    let mut out = std::io::stdout().lock();
    match args.format {
        StatsFormat::Json => export::stats::json(&s, &mut out)?,
        StatsFormat::Table => export::stats::table(&s, &args.table.to_options(), &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::from(EXIT_OK))
}

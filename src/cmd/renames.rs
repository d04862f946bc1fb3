//! `testsift renames`: wiring from the command line to [`crate::analysis::renames`].

use crate::analysis::renames::{RenameOptions, renames};
use crate::cli::{RenamesArgs, RenamesFormat};
use crate::error::EXIT_OK;
use crate::export;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn run(args: RenamesArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let options = RenameOptions {
        min_gone: args.min_gone,
        max_gap: args.max_gap,
        min_score: args.min_score,
    };
    let result = renames(&store, &args.window.to_spec(), &options)
        .with_context(|| format!("reading {}", store.dir().display()))?;
    let mut out = std::io::stdout().lock();
    match args.format {
        RenamesFormat::Table => export::renames::table(&result, &mut out)?,
        RenamesFormat::Json => export::renames::json(&result, &mut out)?,
        RenamesFormat::Toml => export::renames::toml(&result, &mut out)?,
    }
    out.flush()?;
    Ok(ExitCode::from(EXIT_OK))
}

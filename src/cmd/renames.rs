//! `testsift renames`: wiring from the command line to [`crate::analysis::renames`].

use crate::analysis::renames::{RenameOptions, renames};
use crate::analysis::window::Window;
use crate::cli::RenamesArgs;
use crate::error::EXIT_OK;
use crate::export;
use crate::export::render::print;
use crate::export::table::TableOptions;
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
    let window = Window::load(&store, &args.window.to_spec())
        .with_context(|| format!("reading {}", store.dir().display()))?;
    let result = renames(window, &options);
    match args.format.to_format() {
        Some(format) => print(&result, format, &TableOptions::default())?,
        None => {
            let mut out = std::io::stdout().lock();
            export::renames::toml(&result, &mut out)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

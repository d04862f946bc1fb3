//! `testsift compact`: merge the store's segments into one.

use crate::cli::CompactArgs;
use crate::error::EXIT_OK;
use anyhow::Context;
use std::process::ExitCode;

pub(crate) fn run(args: CompactArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let lock = store.lock(|| {
        eprintln!(
            "testsift: {}: waiting for another writer to finish",
            store.dir().display()
        )
    })?;
    let done = store
        .compact(None, 2, &lock)
        .with_context(|| format!("compacting {}", store.dir().display()))?;
    match done.into {
        Some(id) => eprintln!(
            "testsift: {}: {} segments merged into segment {id:08}",
            store.dir().display(),
            done.merged
        ),
        None => eprintln!(
            "testsift: {}: one segment or none; nothing to merge",
            store.dir().display()
        ),
    }
    Ok(ExitCode::from(EXIT_OK))
}

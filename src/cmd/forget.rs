//! `testsift forget`: remove runs from the store and say what was removed.

use crate::cli::ForgetArgs;
use crate::error::EXIT_OK;
use crate::report::escape;
use crate::store::Selection;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn run(args: ForgetArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let selection = Selection {
        runs: args.runs,
        variant: args.variant,
        before_ms: args.before.map(|t| t.as_millisecond()),
    };
    let lock = store.lock(|| {
        eprintln!(
            "testsift: {}: waiting for another writer to finish",
            store.dir().display()
        )
    })?;
    let done = store
        .forget(&selection, &lock)
        .with_context(|| format!("forgetting runs in {}", store.dir().display()))?;
    for run in &done.unmatched {
        eprintln!(
            "testsift: warning: run {} is not in {}",
            escape::terminal(run),
            store.dir().display()
        );
    }
    if done.removed.is_empty() {
        anyhow::bail!(
            "{}: no run matched; nothing was removed",
            store.dir().display()
        );
    }
    let mut out = std::io::stdout().lock();
    for run in &done.removed {
        let variant = if run.variant.is_empty() {
            String::new()
        } else {
            format!(" (variant {})", escape::terminal(&run.variant))
        };
        writeln!(
            out,
            "removed run {}{variant}: {} executions",
            escape::terminal(&run.run),
            run.executions
        )?;
    }
    writeln!(
        out,
        "removed {} run{} and {} executions",
        done.removed.len(),
        if done.removed.len() == 1 { "" } else { "s" },
        done.executions
    )?;
    Ok(ExitCode::from(EXIT_OK))
}

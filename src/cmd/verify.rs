//! `testsift verify`: check the whole store and list its problems.

use crate::cli::VerifyArgs;
use crate::error::{EXIT_ERROR, EXIT_OK};
use crate::report::escape;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let problems = store
        .verify()
        .with_context(|| format!("verifying {}", store.dir().display()))?;
    let mut out = std::io::stdout().lock();
    for problem in &problems {
        writeln!(out, "{}", escape::terminal(problem))?;
    }
    if problems.is_empty() {
        eprintln!("testsift: {}: ok", store.dir().display());
        Ok(ExitCode::from(EXIT_OK))
    } else {
        eprintln!(
            "testsift: {}: {} problem{}",
            store.dir().display(),
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        );
        Ok(ExitCode::from(EXIT_ERROR))
    }
}

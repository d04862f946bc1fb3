//! `testsift verify`: check the whole store and list its problems; with `--repair`, take the
//! damaged segments out first.

use crate::cli::VerifyArgs;
use crate::error::{EXIT_ERROR, EXIT_OK};
use crate::report::escape;
use crate::store::{Dropped, Repaired, Store};
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let mut out = std::io::stdout().lock();
    if args.repair {
        repair(&store, &mut out)?;
    }
    let problems = store
        .verify()
        .with_context(|| format!("verifying {}", store.dir().display()))?;
    for problem in &problems {
        writeln!(out, "{}", escape::terminal(problem))?;
    }
    if problems.is_empty() {
        eprintln!("testsift: {}: ok", store.dir().display());
        Ok(ExitCode::from(EXIT_OK))
    } else {
        eprintln!(
            "testsift: {}: {} problem{}{}",
            store.dir().display(),
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            if args.repair {
                " that --repair does not mend (a segment folder the manifest does not list, \
                 or the manifest itself): restore the store, or ingest into a new one"
            } else {
                "; `testsift verify --repair` takes damaged segments out and names their runs"
            }
        );
        Ok(ExitCode::from(EXIT_ERROR))
    }
}

/// Takes the damaged segments out and says what they held.
fn repair(store: &Store, out: &mut impl Write) -> anyhow::Result<()> {
    let lock = store.lock(|| {
        eprintln!(
            "testsift: {}: waiting for another writer to finish",
            store.dir().display()
        )
    })?;
    let Repaired {
        dropped,
        entry_restored,
    } = store
        .repair(&lock)
        .with_context(|| format!("repairing {}", store.dir().display()))?;
    if let Some(problem) = entry_restored {
        writeln!(out, "{}", escape::terminal(&problem))?;
        writeln!(
            out,
            "put manifest.json back to the newest committed generation (nothing was lost)"
        )?;
    }
    for d in &dropped {
        write_dropped(d, out)?;
    }
    if !dropped.is_empty() {
        let runs: u64 = dropped.iter().map(|d| d.run_count).sum();
        writeln!(
            out,
            "took {} damaged segment{} out of the store: {runs} run{} to ingest again from \
             their artifacts (the runs already stored are skipped)",
            dropped.len(),
            if dropped.len() == 1 { "" } else { "s" },
            if runs == 1 { "" } else { "s" },
        )?;
    }
    Ok(())
}

fn write_dropped(d: &Dropped, out: &mut impl Write) -> anyhow::Result<()> {
    for problem in &d.problems {
        writeln!(out, "{}", escape::terminal(problem))?;
    }
    let runs = match &d.runs {
        Some(runs) => runs
            .iter()
            .map(|(run, variant)| {
                if variant.is_empty() {
                    escape::terminal(run).into_owned()
                } else {
                    format!(
                        "{} (variant {})",
                        escape::terminal(run),
                        escape::terminal(variant)
                    )
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
        None => "its runs table is damaged or missing, so their keys are unknown".to_string(),
    };
    writeln!(
        out,
        "took out segment {} ({} executions of {} run{}: {runs}){}",
        d.id,
        d.executions,
        d.run_count,
        if d.run_count == 1 { "" } else { "s" },
        d.moved_to.as_ref().map_or(String::new(), |to| format!(
            "; its files are in {}",
            escape::terminal(&to.display().to_string())
        ))
    )?;
    Ok(())
}

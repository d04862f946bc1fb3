//! `testsift stats`: what the history holds.

use crate::cli::{StatsArgs, StatsFormat};
use crate::error::EXIT_OK;
use crate::store::{Store, stats};
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub fn run(args: StatsArgs) -> anyhow::Result<ExitCode> {
    let store = Store::at(&args.store.store);
    if !store.exists() {
        anyhow::bail!(
            "{}: no history here yet; run `testsift ingest PATH` first (or pass --store)",
            store.dir().display()
        );
    }
    let s = stats::stats(&store).with_context(|| format!("reading {}", store.dir().display()))?;
    let mut out = std::io::stdout().lock();
    match args.format {
        StatsFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &s).map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        StatsFormat::Table => {
            let rows = [
                ("runs", s.runs.to_string()),
                ("report files", s.files.to_string()),
                ("test executions", s.executions.to_string()),
                ("distinct tests", s.tests.to_string()),
                ("suites", s.suites.to_string()),
                (
                    "first run",
                    s.first_run.clone().unwrap_or_else(|| "-".into()),
                ),
                ("last run", s.last_run.clone().unwrap_or_else(|| "-".into())),
                ("files with errors", s.parse_errors.to_string()),
            ];
            for (k, v) in rows {
                writeln!(out, "{k:<18} {v}")?;
            }
            for bad in &s.bad_files {
                for line in bad.problems.lines() {
                    writeln!(out, "  {}:{line}", bad.path)?;
                }
            }
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

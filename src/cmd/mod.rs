//! One module per subcommand: arguments in, library calls, output out.

mod backtest;
mod check;
mod compact;
mod flaky;
mod forget;
mod ingest;
mod merge;
mod renames;
mod report;
mod schema;
mod select;
mod slow;
mod stats;
mod trim;
mod verify;

use crate::cli::{Cli, Command};
use crate::store::Store;
use std::path::Path;
use std::process::ExitCode;

/// Each of `tests` (test id, classname) with its owners by testsift.toml's rules and
/// CODEOWNERS (through the test's `file` in the store); empty when the config names none.
fn owners(
    store: &Store,
    tests: &[(&str, &str)],
) -> anyhow::Result<std::collections::HashMap<String, Vec<String>>> {
    let config = crate::config::installed();
    if config.owners.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let ids = tests.iter().map(|t| t.0).collect();
    let files = crate::analysis::gate::files(store, &ids)?;
    Ok(tests
        .iter()
        .map(|&(id, class)| {
            let file = files.get(id).map(|(f, _)| f.as_str());
            (id.to_string(), config.owners.of(class, file))
        })
        .collect())
}

/// The store at `path` for a command that reads a history: the one message when there is none
/// there yet.
fn existing_store(path: &Path) -> anyhow::Result<Store> {
    let store = Store::at(path);
    if path.is_file() {
        anyhow::bail!(
            "{}: --store names a file; give the store's folder",
            path.display()
        );
    }
    if !store.exists() {
        anyhow::bail!(
            "{}: no history here yet; run `testsift ingest PATH` first (or pass --store)",
            store.dir().display()
        );
    }
    Ok(store)
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if reads_config(&cli.command) {
        crate::config::install(crate::config::Config::find(cli.config.as_deref())?);
    } else if let Some(path) = cli.config.as_deref() {
        eprintln!(
            "testsift: note: {}: --config is not read by this command (only the analyses, \
             check, select, report and backtest read testsift.toml)",
            crate::report::escape::terminal(&path.display().to_string())
        );
    }
    match cli.command {
        Command::Ingest(args) => ingest::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Schema => schema::run(),
        Command::Flaky(args) => flaky::run(args),
        Command::Slow(args) => slow::run(args),
        Command::Trim(args) => trim::run(args),
        Command::Check(args) => check::run(args),
        Command::Select(args) => select::run(args),
        Command::Report(args) => report::run(args),
        Command::Backtest(args) => backtest::run(args),
        Command::Renames(args) => renames::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Forget(args) => forget::run(args),
        Command::Compact(args) => compact::run(args),
        Command::Merge(args) => merge::run(args),
    }
}

/// Commands that read testsift.toml: those that analyse the history (its aliases count for
/// every analysis). Writing and maintaining the store does not need it, so a broken file never
/// stops an ingest.
fn reads_config(command: &Command) -> bool {
    !matches!(
        command,
        Command::Ingest(_)
            | Command::Stats(_)
            | Command::Schema
            | Command::Verify(_)
            | Command::Forget(_)
            | Command::Compact(_)
            | Command::Merge(_)
    )
}

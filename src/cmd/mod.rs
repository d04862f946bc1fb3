//! One module per subcommand: arguments in, library calls, output out.

mod backtest;
mod check;
mod compact;
mod flaky;
mod forget;
mod ingest;
mod merge;
mod report;
mod schema;
mod select;
mod slow;
mod stats;
mod trim;
mod verify;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
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
        Command::Verify(args) => verify::run(args),
        Command::Forget(args) => forget::run(args),
        Command::Compact(args) => compact::run(args),
        Command::Merge(args) => merge::run(args),
    }
}

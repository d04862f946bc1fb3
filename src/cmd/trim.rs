//! `testsift trim`: the diminishing-returns curve and what to trim.

use crate::analysis::trim::{TrimOptions, trim};
use crate::analysis::window::Window;
use crate::cli::TrimArgs;
use crate::error::EXIT_OK;
use crate::export::render::print;
use anyhow::Context;
use std::process::ExitCode;

pub(crate) fn run(args: TrimArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let options = TrimOptions {
        min_runs: args.min_runs,
        infra_threshold: args
            .infra_threshold
            .or(crate::config::installed().thresholds.infra_threshold)
            .unwrap_or(crate::analysis::INFRA_THRESHOLD),
        exclude_flaky: args.exclude_flaky,
        min_saving: args.cut.min_saving / 100.0,
        saving_share: args.cut.saving_share / 100.0,
    };
    let reading = || format!("reading {}", store.dir().display());
    let window = Window::load(&store, &args.window.to_spec()).with_context(reading)?;
    let mut report = trim(window, &options);
    let tests: Vec<(&str, &str)> = report
        .candidates
        .iter()
        .map(|c| (c.test_id.as_str(), c.classname.as_str()))
        .collect();
    let mut owners = super::owners(&store, &tests).with_context(reading)?;
    for c in &mut report.candidates {
        c.owners = owners.remove(&c.test_id).unwrap_or_default();
    }
    if let Some(team) = args.owner.as_deref() {
        report
            .candidates
            .retain(|c| crate::config::owned_by(&c.owners, team));
    }
    print(&report, args.format.to_format(), &args.table.to_options())?;
    Ok(ExitCode::from(EXIT_OK))
}

//! `testsift flaky`: one verdict per test, with the evidence.

use crate::analysis::flaky::{FlakyOptions, flaky};
use crate::analysis::window::Window;
use crate::cli::FlakyArgs;
use crate::error::EXIT_OK;
use crate::export::render::print;
use anyhow::Context;
use std::process::ExitCode;

pub(crate) fn run(args: FlakyArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let config = crate::config::installed();
    let thresholds = &config.thresholds;
    let defaults = FlakyOptions::default();
    let options = FlakyOptions {
        min_runs: args
            .min_runs
            .or(thresholds.min_runs)
            .unwrap_or(defaults.min_runs),
        infra_threshold: args
            .infra_threshold
            .or(thresholds.infra_threshold)
            .unwrap_or(defaults.infra_threshold),
    };
    let mut window = args.window.to_spec();
    thresholds.fill_window(&mut window);
    let reading = || format!("reading {}", store.dir().display());
    let mut report = flaky(
        &Window::load(&store, &window).with_context(reading)?,
        &options,
    );
    if !config.owners.is_empty() {
        let ids = report.tests.iter().map(|t| t.test_id.as_str()).collect();
        let files = crate::analysis::gate::files(&store, &ids).with_context(reading)?;
        for t in &mut report.tests {
            let file = files.get(&t.test_id).map(|(f, _)| f.as_str());
            t.owners = config.owners.of(&t.classname, file);
        }
    }
    if let Some(team) = args.owner.as_deref() {
        report
            .tests
            .retain(|t| crate::config::owned_by(&t.owners, team));
    }
    print(&report, args.format.to_format(), &args.table.to_options())?;
    Ok(ExitCode::from(EXIT_OK))
}

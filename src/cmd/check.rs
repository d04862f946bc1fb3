//! `testsift check`: CI gates. Exit 1 when a gate tripped, 0 when all held, 2 when there is
//! nothing to judge (an empty window, a run not in the store). Text: tripped gates on stderr,
//! held ones on stdout; `--format json`, `github` and `junit` write everything to stdout.

use crate::analysis::flaky::{FlakyOptions, flaky, flaky_without_newest};
use crate::analysis::gate::{self, CheckReport, Gate, GateResult};
use crate::analysis::slow::{SlowOptions, slow};
use crate::analysis::window::Window;
use crate::analysis::window::{self, WindowSpec, runs_in_window};
use crate::cli::{CheckArgs, CheckFormat};
use crate::config;
use crate::error::{EXIT_GATE, EXIT_OK};
use crate::export;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let format = args.format;
    let result = gate_or_error(args);
    // With `--format github` every error is also an `::error` command (no history yet, a
    // damaged store), so the job's annotations say why it failed; `no_data` writes its own.
    if let (CheckFormat::Github, Err(e)) = (format, &result) {
        let message = format!("{e:#}");
        if !message.starts_with("nothing to check: ") {
            let mut out = std::io::stdout().lock();
            out.write_all(export::check::no_data_github(&message).as_bytes())?;
            out.flush()?;
        }
    }
    result
}

fn gate_or_error(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let store = super::existing_store(&args.store.store)?;
    let config = config::installed();
    let defaults = FlakyOptions::default();
    let thresholds = &config.thresholds;
    let mut window_args = args.window.to_spec();
    thresholds.fill_window(&mut window_args);
    let infra_threshold = args
        .infra_threshold
        .or(thresholds.infra_threshold)
        .unwrap_or(defaults.infra_threshold);
    let options = FlakyOptions {
        min_runs: args
            .min_runs
            .or(thresholds.min_runs)
            .unwrap_or(defaults.min_runs),
        infra_threshold,
    };
    let reading = || format!("reading {}", store.dir().display());
    let all = runs_in_window(&store, &WindowSpec::default()).with_context(reading)?;
    if let Some(why) = gate::empty_window(&all, &window_args) {
        return no_data(args.format, &format!("the window is empty: {why}"));
    }
    let mut window_runs = all.clone();
    window::select(&mut window_runs, &window_args);
    let run_key = match args.run.as_deref() {
        None => None,
        Some(r) => match gate::target_run(
            &all,
            &window_runs,
            Some(r).filter(|r| !r.is_empty()),
            ci_run_key().as_deref(),
        ) {
            Ok(key) => Some(key),
            Err(why) => return no_data(args.format, &why),
        },
    };

    let mut gates: Vec<Gate> = Vec::new();
    let asked: Vec<Gate> = match (&args.fail_on[..], &run_key) {
        ([], Some(_)) => vec![Gate::ExpiredQuarantine],
        ([], None) => vec![Gate::Broken, Gate::NewFlaky, Gate::ExpiredQuarantine],
        (asked, _) => asked.to_vec(),
    };
    for g in asked {
        if !gates.contains(&g) {
            gates.push(g);
        }
    }
    // The configuration's limit turns the gate on for the window gates only; the flag always.
    let max_flaky_rate = args
        .max_flaky_rate
        .or(thresholds.max_flaky_rate.filter(|_| run_key.is_none()));
    if max_flaky_rate.is_some() && !gates.contains(&Gate::FlakyRate) {
        gates.push(Gate::FlakyRate);
    }

    let mut results: Vec<GateResult> = Vec::new();
    let mut run_gate = None;
    if let Some(key) = &run_key {
        let mut decided = gate::run_gate(
            &store,
            &window_args,
            key,
            args.baseline
                .as_deref()
                .map(crate::discover::branch_name)
                .as_deref(),
            &config.quarantine,
            config::today(),
            &options,
        )
        .with_context(reading)?;
        for d in &mut decided.decisions {
            d.owners = config.owners.of(&d.classname, d.file.as_deref());
        }
        if let Some(team) = args.owner.as_deref() {
            decided
                .decisions
                .retain(|d| config::owned_by(&d.owners, team));
        }
        results.push(decided.result());
        run_gate = Some(decided);
    }

    // The window is loaded once, and the flaky analysis runs once, only when a gate needs them.
    let loaded = std::cell::OnceCell::new();
    let window = || -> anyhow::Result<&Window> {
        if let Some(w) = loaded.get() {
            return Ok(w);
        }
        let w = Window::of_runs(&store, window_runs.clone(), None).with_context(reading)?;
        Ok(loaded.get_or_init(|| w))
    };
    let mut now = None;
    for g in gates {
        if matches!(g, Gate::Broken | Gate::NewFlaky | Gate::FlakyRate) && now.is_none() {
            let report = flaky(window()?, &options);
            if let Some(why) = gate::no_evidence(&report) {
                return no_data(args.format, &why);
            }
            now = Some(report);
        }
        let result = match (g, &now) {
            (Gate::Broken, Some(now)) => gate::broken(now),
            (Gate::NewFlaky, Some(now)) => {
                let before = flaky_without_newest(window()?, args.new_runs.max(1), &options);
                gate::new_flaky(now, &before, args.new_runs.max(1))
            }
            (Gate::FlakyRate, Some(now)) => {
                let Some(max) = max_flaky_rate else {
                    anyhow::bail!("--fail-on flaky-rate needs --max-flaky-rate SHARE");
                };
                gate::flaky_rate(now, max)
            }
            (Gate::Slower, _) => {
                let options = SlowOptions {
                    by: args.by,
                    slower_threshold: args.slower_threshold / 100.0,
                    infra_threshold,
                    ..SlowOptions::default()
                };
                let report = slow(window()?, &options);
                if let Some(why) = gate::slower_no_evidence(&report) {
                    return no_data(args.format, &why);
                }
                gate::slower(&report)
            }
            (Gate::ExpiredQuarantine, _) => {
                gate::expired_quarantine(&config.quarantine, config::today())
            }
            (Gate::Run, _) | (_, None) => {
                anyhow::bail!("the {} gate ran without its analysis", g.as_str())
            }
        };
        results.push(result);
    }

    gate::locate(&store, &mut results).with_context(reading)?;
    for t in results.iter_mut().flat_map(|r| r.tests.iter_mut()) {
        if t.owners.is_empty() {
            t.owners = config.owners.of(&t.classname, t.file.as_deref());
        }
    }
    if let Some(team) = args.owner.as_deref() {
        for r in results.iter_mut().filter(|r| !r.tests.is_empty()) {
            r.tests.retain(|t| config::owned_by(&t.owners, team));
            if r.tests.is_empty() {
                r.tripped = false;
                r.reason = format!(
                    "nothing owned by {} (for every owner: {})",
                    crate::report::escape::terminal(team),
                    r.reason
                );
            }
        }
    }
    let tripped = results.iter().any(|r| r.tripped);
    let report = CheckReport {
        schema_version: gate::SCHEMA_VERSION,
        tripped,
        runs: window_runs.len(),
        gates: results,
        run: run_gate,
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        CheckFormat::Text => {
            let (held, failed) = export::check::text(&report);
            out.write_all(held.as_bytes())?;
            out.flush()?;
            std::io::stderr().lock().write_all(failed.as_bytes())?;
        }
        CheckFormat::Json => out.write_all(export::check::json(&report)?.as_bytes())?,
        CheckFormat::Github => out.write_all(export::check::github(&report).as_bytes())?,
        CheckFormat::Junit => out.write_all(export::check::junit(&report).as_bytes())?,
    }
    out.flush()?;
    Ok(ExitCode::from(if tripped { EXIT_GATE } else { EXIT_OK }))
}

/// The run key the CI's variables name (docs/ci.md): the run id, plus `#N` for attempt N > 1,
/// as ingest stores it.
fn ci_run_key() -> Option<String> {
    let ci = crate::ci_vars::from_process_env()?;
    let id = ci.meta.run_id?;
    Some(crate::ingest::run_key(&id, ci.meta.attempt))
}

/// Nothing to judge is an error (exit 2), never a pass; with `--format github` it is also an
/// `::error` command, so the job's annotations say why.
fn no_data(format: CheckFormat, why: &str) -> anyhow::Result<ExitCode> {
    let message = format!("nothing to check: {why}");
    if let CheckFormat::Github = format {
        let mut out = std::io::stdout().lock();
        out.write_all(export::check::no_data_github(&message).as_bytes())?;
        out.flush()?;
    }
    anyhow::bail!(message)
}

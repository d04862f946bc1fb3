//! `testsift select`: a selection in a runner's syntax. No history (a CI cache miss) or an
//! empty window is an empty selection with a note, never an error: selection must not break
//! the pipeline.

use crate::cli::SelectArgs;
use crate::error::EXIT_OK;
use crate::export::format::duration;
use crate::select::changed::Changed;
use crate::select::runner::{Context, Runner, notes, render};
use crate::select::{Kind, SelectOptions, check_cap, select};
use crate::store::Store;
use anyhow::Context as _;
use std::io::{Read, Write};
use std::process::ExitCode;

pub(crate) fn run(args: SelectArgs) -> anyhow::Result<ExitCode> {
    let store = Store::at(&args.store.store);
    let config = crate::config::installed();
    let thresholds = &config.thresholds;
    let mut window = args.window.to_spec();
    thresholds.fill_window(&mut window);
    let options = SelectOptions {
        kind: args.kind,
        min_runs: args.min_runs.or(thresholds.min_runs),
        infra_threshold: args
            .infra_threshold
            .or(thresholds.infra_threshold)
            .unwrap_or(crate::analysis::flaky::FlakyOptions::default().infra_threshold),
        variant: args.variant.clone(),
        shard_count: args
            .count
            .map_or(1, |c| usize::try_from(c).unwrap_or(usize::MAX)),
        shard_by: args.by,
        runner: args.runner,
        split_by: args.current_split,
        quarantine: config.quarantine.clone(),
        today: crate::config::today(),
        max_miss: args.max_miss,
        changed: changed_paths(&args)?,
        top: args.top.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        budget_seconds: args.budget,
    };
    if (args.top.is_some() || args.budget.is_some()) && args.kind != Kind::Priority {
        anyhow::bail!(
            "--top and --budget keep the likeliest tests of an order: `select priority` only"
        );
    }
    if args.only && !matches!(args.kind, Kind::Quarantine | Kind::Skip) {
        anyhow::bail!(
            "--only runs just the selected tests of a list: `select quarantine` or `select skip`"
        );
    }
    let (mut selection, all) = select(&store, &window, &options)
        .with_context(|| format!("reading {}", store.dir().display()))?;
    selection.only = args.only;
    if let Err(why) = check_cap(&selection, config.max_quarantined) {
        let file = config
            .path
            .as_deref()
            .map_or(String::new(), |p| format!("{}: ", p.display()));
        anyhow::bail!("{file}{why}");
    }
    if args.nextest_binaries.is_some() && args.runner != Runner::Nextest {
        anyhow::bail!("--nextest-binaries is for --runner nextest");
    }
    let nextest_binaries = match &args.nextest_binaries {
        Some(path) => Some(read_nextest_binaries(path)?),
        None => None,
    };
    let ctx = Context {
        root: args.root.clone(),
        nextest_binaries,
    };
    let emitted = render(&selection, &all, args.runner, args.shard, args.shell, &ctx)?;

    let mut err = std::io::stderr().lock();
    for w in &emitted.warnings {
        writeln!(err, "testsift: warning: {w}")?;
    }
    for line in notes(&selection, &emitted) {
        writeln!(err, "testsift: {line}")?;
    }
    if let (Some(_), None) = (selection.top, &selection.no_data) {
        let time: f64 = selection
            .tests
            .iter()
            .filter_map(|t| t.median_seconds)
            .sum();
        writeln!(
            err,
            "testsift: {}: the {} likeliest of {} tests ({} of median time){}",
            [
                args.top.map(|n| format!("--top {n}")),
                args.budget.map(|b| format!("--budget {}", duration(b))),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
            selection.tests.len(),
            selection.known_tests,
            duration(time),
            if matches!(args.runner, Runner::Plain | Runner::Json) {
                String::new()
            } else {
                format!(
                    "; the other {} are excluded",
                    selection
                        .known_tests
                        .saturating_sub(selection.tests.len())
                        .saturating_sub(emitted.left_out)
                )
            }
        )?;
    }
    if !options.changed.is_empty() {
        let first = selection
            .tests
            .iter()
            .filter(|t| t.reason == "changed")
            .count();
        let paths = options.changed.len();
        let paths = format!("{paths} changed path{}", if paths == 1 { "" } else { "s" });
        if first == 0 {
            writeln!(
                err,
                "testsift: warning: --changed: no test of the window is in the {paths} (a new \
                 test file has no history yet)"
            )?;
        } else {
            writeln!(
                err,
                "testsift: --changed: {first} test{} in the {paths} {} first",
                if first == 1 { "" } else { "s" },
                if first == 1 { "goes" } else { "go" }
            )?;
        }
    }

    match args.out.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(path) => std::fs::write(path, emitted.text.as_bytes())
            .with_context(|| format!("{}: cannot write the selection", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(emitted.text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// `--changed FILE`: the paths it lists (`-`: stdin); none without the flag.
fn changed_paths(args: &SelectArgs) -> anyhow::Result<Changed> {
    let Some(path) = &args.changed else {
        return Ok(Changed::default());
    };
    if args.kind != Kind::Priority {
        anyhow::bail!("--changed orders tests, so it applies to `select priority` only");
    }
    let bytes = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading the changed paths from stdin")?;
        bytes
    } else {
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))?
    };
    Ok(Changed::parse(&String::from_utf8_lossy(&bytes)))
}

/// The binary ids of `cargo nextest list --list-type binaries-only --message-format json`: the
/// keys of its `rust-binaries` object.
fn read_nextest_binaries(
    path: &std::path::Path,
) -> anyhow::Result<std::collections::HashSet<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading --nextest-binaries {}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not the JSON of `cargo nextest list --message-format json`",
            path.display()
        )
    })?;
    let Some(binaries) = value.get("rust-binaries").and_then(|b| b.as_object()) else {
        anyhow::bail!(
            "{}: no \"rust-binaries\" object: write it with `cargo nextest list --list-type \
             binaries-only --message-format json`",
            path.display()
        );
    };
    Ok(binaries.keys().cloned().collect())
}

//! `testsift select`: a selection in a runner's syntax.

use crate::cli::SelectArgs;
use crate::error::EXIT_OK;
use crate::select::history::SplitBy;
use crate::select::runner::{Context, render, show};
use crate::select::shards::ShardPlan;
use crate::select::{Kind, SelectOptions, select};
use crate::store::Store;
use anyhow::Context as _;
use std::io::Write;
use std::process::ExitCode;

pub fn run(args: SelectArgs) -> anyhow::Result<ExitCode> {
    let store = Store::at(&args.store.store);
    if !store.exists() {
        anyhow::bail!(
            "{}: no history here yet; run `testsift ingest PATH` first (or pass --store)",
            store.dir().display()
        );
    }
    let options = SelectOptions {
        kind: args.kind,
        min_runs: args.min_runs,
        infra_threshold: args.infra_threshold,
        variant: args.variant.clone(),
        shard_count: args
            .count
            .map_or(1, |c| usize::try_from(c).unwrap_or(usize::MAX)),
        shard_by: args.by,
        split_by: args.current_split,
    };
    let (selection, all) = select(&store, &args.window, &options)
        .with_context(|| format!("reading {}", store.dir().display()))?;
    let ctx = Context {
        root: args.root.clone(),
    };
    let emitted = render(&selection, &all, args.runner, args.shard, args.shell, &ctx)?;

    let mut err = std::io::stderr().lock();
    for w in &emitted.warnings {
        writeln!(err, "testsift: warning: {w}")?;
    }
    match (&selection.shards, selection.kind) {
        (Some(plan), _) => summary(plan, &mut err)?,
        (None, Kind::Quarantine | Kind::Skip) => writeln!(
            err,
            "testsift: {} of {} tests selected to {} over {} runs{}",
            selection.tests.len(),
            selection.known_tests,
            if selection.kind == Kind::Skip {
                "skip"
            } else {
                "quarantine"
            },
            selection.runs,
            match emitted.left_out {
                0 => String::new(),
                n => format!("; {n} left out of the output (see the warnings)"),
            }
        )?,
        (None, _) => {}
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

fn summary(plan: &ShardPlan, err: &mut impl Write) -> std::io::Result<()> {
    let secs = |xs: Vec<f64>| {
        xs.iter()
            .map(|x| format!("{x:.3} s"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(
        err,
        "testsift: {} shards by {}: {} predicted; imbalance {:.1}%",
        plan.count,
        match plan.by {
            crate::select::shards::Unit::Test => "test",
            crate::select::shards::Unit::Class => "class",
        },
        secs(plan.shards.iter().map(|s| s.predicted_seconds).collect()),
        100.0 * plan.imbalance
    )?;
    if plan.unknown_duration_tests > 0 {
        writeln!(
            err,
            "testsift: {} tests without a known duration counted as {:.3} s each",
            plan.unknown_duration_tests, plan.assumed_seconds
        )?;
    }
    match (&plan.current, &plan.no_current) {
        (Some(c), _) => writeln!(
            err,
            "testsift: current split of run {} by {} ({}): {} measured; imbalance {:.1}% measured, {:.1}% predicted",
            show(&c.run),
            match c.by {
                SplitBy::Variant => "variant",
                SplitBy::Report => "report file",
            },
            c.parts
                .iter()
                .map(|p| show(&p.name))
                .collect::<Vec<_>>()
                .join(", "),
            secs(c.parts.iter().map(|p| p.seconds).collect()),
            100.0 * c.imbalance,
            100.0 * c.predicted_imbalance
        ),
        (None, why) => writeln!(
            err,
            "testsift: no current split to compare with: {}",
            why.as_deref().unwrap_or("none found")
        ),
    }
}

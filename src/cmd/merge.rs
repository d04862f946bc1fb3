//! `testsift merge`: add the runs of other stores to this one.

use crate::cli::MergeArgs;
use crate::error::{EXIT_ERROR, EXIT_OK};
use crate::export::format::count;
use crate::report::escape;
use crate::store::{AUTO_COMPACT_SEGMENTS, SMALL_SEGMENT, Store};
use anyhow::Context;
use std::process::ExitCode;

pub(crate) fn run(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let store = Store::at(&args.store.store);
    let sources: Vec<Store> = args.sources.iter().map(Store::at).collect();
    // Every source is checked before the target is created or locked.
    for source in &sources {
        source.open()?;
    }
    let lock = store.lock(|| {
        eprintln!(
            "testsift: {}: waiting for another writer to finish",
            store.dir().display()
        )
    })?;
    let done = store
        .merge(&sources, &lock)
        .with_context(|| format!("merging into {}", store.dir().display()))?;
    for path in &done.itself {
        eprintln!(
            "testsift: warning: {}: is the store merged into; skipped",
            escape::terminal(path)
        );
    }
    for c in &done.conflicts {
        let variant = if c.variant.is_empty() {
            String::new()
        } else {
            format!(" (variant {})", escape::terminal(&c.variant))
        };
        eprintln!(
            "testsift: error: run {}{variant} is in {} with other reports than in {}; {}'s copy was kept and the other not added (jobs of one CI run, such as matrix legs, need a variant each: --variant)",
            escape::terminal(&c.run),
            escape::terminal(&c.source),
            store.dir().display(),
            store.dir().display(),
        );
    }
    if done.segment.is_some() {
        store.compact(Some(SMALL_SEGMENT), AUTO_COMPACT_SEGMENTS, &lock)?;
    }
    if !args.quiet {
        eprintln!(
            "testsift: {}: {} added ({} from {}), {} already there",
            store.dir().display(),
            count(done.runs_added, "run"),
            count(done.executions_added, "test execution"),
            count(done.reports_added, "report"),
            done.runs_present,
        );
    }
    // A run dropped for another's copy could hide a failure from the gate that follows: the
    // runs that could be added were, and the merge fails.
    Ok(ExitCode::from(if done.conflicts.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }))
}

//! `testsift ingest`: wiring from the command line to [`crate::ingest`].

use crate::cli::IngestArgs;
use crate::error::EXIT_OK;
use crate::export::format::count;
use crate::ingest::{self, Options, Overrides};
use crate::store::Store;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn run(args: IngestArgs) -> anyhow::Result<ExitCode> {
    let store = Store::at(&args.store.store);
    let options = Options {
        run_depth: args
            .run_depth
            .or_else(|| args.run_id.is_some().then_some(0)),
        paths: args.paths,
        max_file_size: args.max_file_size,
        strict: args.strict,
        progress: !args.quiet,
        ci: crate::ci_vars::from_process_env(),
        overrides: Overrides {
            run_id: args.run_id,
            commit: args.commit,
            branch: args.branch,
            timestamp: args.timestamp,
            attempt: args.attempt,
            variant: args.variant,
        },
    };
    // The stderr lock is taken per line, never across the ingest: the progress bar draws to
    // stderr from another thread, and a lock held here would block it forever.
    let summary = ingest::ingest(&options, &store, &mut |problem| {
        let _ = writeln!(std::io::stderr().lock(), "{problem}");
    })?;
    if summary.runs_ingested > 0 {
        let lock = store.lock(|| {})?;
        store.compact(
            Some(crate::store::SMALL_SEGMENT),
            crate::store::AUTO_COMPACT_SEGMENTS,
            &lock,
        )?;
    }
    if !args.quiet {
        eprintln!(
            "testsift: {} found: {} ingested ({} from {}), {} already in {}{}; {} with errors, {}",
            count(summary.runs_found, "run"),
            summary.runs_ingested,
            count(summary.executions, "test execution"),
            count(summary.reports, "report"),
            summary.runs_already_ingested,
            store.dir().display(),
            if summary.runs_without_tests > 0 {
                format!(", {} without any readable test", summary.runs_without_tests)
            } else {
                String::new()
            },
            count(summary.files_with_errors, "file"),
            count(summary.warnings, "warning"),
        );
    }
    Ok(ExitCode::from(EXIT_OK))
}

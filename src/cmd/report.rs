//! `testsift report`: ingest PATH when given, build the report once, compare it with the
//! previous one, write report.html, report.md and report.json, and keep a copy in the store.
//! A spinner on stderr says what is being done, in a terminal only.

use crate::analysis::flaky::FlakyOptions;
use crate::analysis::flaky::Verdict;
use crate::analysis::slow::{GroupBy, SlowOptions};
use crate::analysis::trim::TrimOptions;
use crate::cli::{IngestArgs, ReportArgs, StoreArg};
use crate::error::EXIT_OK;
use crate::report::{self, ReportOptions, archive, diff};
use crate::store::Store;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

pub(crate) fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    // Said before the ingest and the analyses, which can take minutes, rather than after them.
    if args.out.exists() && !args.out.is_dir() {
        anyhow::bail!(
            "{}: --out names a file; give a folder for report.html, report.md and report.json",
            args.out.display()
        );
    }
    if !args.paths.is_empty() {
        super::ingest::run(IngestArgs {
            paths: args.paths.clone(),
            store: StoreArg {
                store: args.store.store.clone(),
            },
            run_depth: args.run_depth,
            strict: false,
            max_file_size: 1 << 30,
            quiet: args.quiet,
            run_id: None,
            commit: None,
            branch: None,
            timestamp: None,
            attempt: None,
            variant: None,
        })?;
    }
    let store = Store::at(&args.store.store);
    if !store.exists() {
        anyhow::bail!(
            "{}: no history here yet; give artifact folders (`testsift report PATH --out DIR`) or run `testsift ingest PATH` first (or pass --store)",
            store.dir().display()
        );
    }
    let now = generation_time()?;
    let bar = spinner(!args.quiet);
    bar.set_message("reading the window");
    let thresholds = &crate::config::installed().thresholds;
    let defaults = FlakyOptions::default();
    let infra_threshold = args
        .infra_threshold
        .or(thresholds.infra_threshold)
        .unwrap_or(defaults.infra_threshold);
    let mut window = args.window.to_spec();
    thresholds.fill_window(&mut window);
    let options = ReportOptions {
        flaky: FlakyOptions {
            min_runs: args
                .min_runs
                .or(thresholds.min_runs)
                .unwrap_or(defaults.min_runs),
            infra_threshold,
        },
        slow: SlowOptions {
            by: GroupBy::Suite,
            slower_threshold: args.slower_threshold / 100.0,
            infra_threshold,
            ..SlowOptions::default()
        },
        trim: TrimOptions {
            min_runs: args.trim_min_runs,
            min_saving: args.trim_min_saving / 100.0,
            infra_threshold,
            exclude_flaky: false,
            ..TrimOptions::default()
        },
    };
    let mut report = report::build(
        &store,
        &window,
        &options,
        now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        &|stage| bar.set_message(stage),
    )
    .with_context(|| format!("reading {}", store.dir().display()))?;
    if report.headline.runs == 0 {
        bar.suspend(|| {
            eprintln!(
                "testsift: warning: no runs in the window (check --since, --last-runs and --branch); the report is empty"
            );
        });
    }
    bar.set_message("comparing with the previous report");

    let previous = if args.no_previous {
        None
    } else if let Some(path) = &args.previous {
        Some(diff::read_previous(path, report::SCHEMA_VERSION)?)
            .map(|p| (p, path.display().to_string()))
    } else {
        match archive::newest(&store).context("looking for the previous report")? {
            Some(path) => match diff::read_previous(&path, report::SCHEMA_VERSION) {
                Ok(p) => Some((p, path.display().to_string())),
                Err(e) => {
                    bar.suspend(|| {
                        eprintln!("testsift: warning: {e}; comparing with no previous report");
                    });
                    None
                }
            },
            None => None,
        }
    };
    // Owners of the flaky and broken tests and of the trim list (testsift.toml, CODEOWNERS).
    let shown: Vec<(String, String)> = report
        .flaky
        .tests
        .iter()
        .filter(|t| matches!(t.verdict, Verdict::Flaky | Verdict::Broken))
        .map(|t| (t.test_id.clone(), t.classname.clone()))
        .chain(
            report
                .trim
                .candidates
                .iter()
                .map(|c| (c.test_id.clone(), c.classname.clone())),
        )
        .collect();
    let pairs: Vec<(&str, &str)> = shown
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let owners = super::owners(&store, &pairs)
        .with_context(|| format!("reading {}", store.dir().display()))?;
    if !owners.is_empty() {
        for t in &mut report.flaky.tests {
            if let Some(o) = owners.get(&t.test_id) {
                t.owners = o.clone();
            }
        }
        for c in &mut report.trim.candidates {
            if let Some(o) = owners.get(&c.test_id) {
                c.owners = o.clone();
            }
        }
    }
    report.expired_quarantine = crate::config::installed()
        .expired_quarantine(crate::config::today())
        .into_iter()
        .cloned()
        .collect();
    if let Some((previous, source)) = previous {
        report.changes = Some(diff::changes(
            &previous,
            &source,
            &report.flaky,
            &report.slow,
        ));
    }

    bar.set_message("writing report.html, report.md and report.json");
    let mut json = Vec::new();
    report::json::render(&report, &mut json)?;
    let markdown = report::markdown::render(&report);
    let html = report::html::render(&report, &report::html::nonce());
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut written = Vec::new();
    for (name, bytes) in [
        ("report.html", html.as_bytes()),
        ("report.md", markdown.as_bytes()),
        ("report.json", json.as_slice()),
    ] {
        let path = args.out.join(name);
        write(&path, bytes)?;
        written.push(path);
    }
    match archive::keep(&store, now, &json, args.keep_reports as usize) {
        Ok(_) => {}
        // A store read from a read-only mount still gets its report; only the copy the next
        // report compares against is not kept.
        Err(e) if e.is_unwritable() => bar.suspend(|| {
            eprintln!(
                "testsift: warning: not keeping a copy of report.json in the store: {e:#}: {}; the next report compares against the newest copy kept before",
                std::error::Error::source(&e).map_or_else(String::new, |s| s.to_string())
            )
        }),
        Err(e) => return Err(e).context("keeping a copy of report.json in the store"),
    }
    bar.finish_and_clear();
    if args.summary {
        match std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()) {
            Some(path) => append_summary(Path::new(&path), &markdown)?,
            None => eprintln!(
                "testsift: note: --summary: GITHUB_STEP_SUMMARY is not set (it is on GitHub \
                 Actions only), so no job summary was written; report.md is in {}",
                args.out.display()
            ),
        }
    }
    let mut out = std::io::stdout().lock();
    for path in written {
        writeln!(out, "{}", path.display())?;
    }
    out.flush()?;
    Ok(ExitCode::from(EXIT_OK))
}

/// GitHub refuses a job summary over 1 MiB; a longer report.md is cut at a line below this.
const SUMMARY_MAX: usize = 1_000_000;

/// Appends `markdown` to the job summary file at `path` (created when missing), cut to
/// [`SUMMARY_MAX`] bytes at a line boundary with a note saying so.
fn append_summary(path: &Path, markdown: &str) -> anyhow::Result<()> {
    let text = if markdown.len() <= SUMMARY_MAX {
        markdown.to_string()
    } else {
        let mut end = SUMMARY_MAX - 200;
        while !markdown.is_char_boundary(end) {
            end -= 1;
        }
        let cut = markdown[..end].rfind('\n').map_or(0, |i| i + 1);
        format!(
            "{}\n\n*The report is longer than a job summary may be: the whole of it is \
             report.md.*\n",
            &markdown[..cut]
        )
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("{}: cannot open the job summary", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .with_context(|| format!("{}: cannot write the job summary", path.display()))
}

/// Now, or `SOURCE_DATE_EPOCH` (seconds) when set, so a report can be made reproducibly.
fn generation_time() -> anyhow::Result<jiff::Timestamp> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => {
            let secs: i64 = v
                .trim()
                .parse()
                .with_context(|| format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds"))?;
            jiff::Timestamp::from_second(secs)
                .with_context(|| format!("SOURCE_DATE_EPOCH={v:?} is out of range"))
        }
        Err(_) => Ok(jiff::Timestamp::now()),
    }
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    report::write_atomic(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// A spinner with the stage on stderr, hidden when stderr is not a terminal or `enabled` is
/// false. It ticks from its own thread: nothing may hold the stderr lock while it is shown,
/// so messages go through [`ProgressBar::suspend`].
fn spinner(enabled: bool) -> ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] report: {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

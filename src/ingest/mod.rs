//! Ingest: discovered runs are parsed in parallel (rayon across runs and their files), each
//! report hashed, parsed and keyed as soon as it is read and each run folded into columns of
//! rows in the parallel stage; then the calling thread joins a batch of runs' columns and
//! appends them to a new store segment (each column encoded on its own rayon task), while the
//! next batch is parsed.
//! A bad file is a message and a count, never the end of the ingest (unless `strict`).

pub mod stage;

use crate::ci_vars::CiRun;
use crate::diagnostic::Diagnostic;
use crate::discover::{self, DiscoveredRun, Input, InputKind, RunMeta};
use crate::fold;
use crate::junit::{self, Severity};
use crate::store::columns::{self, ReportRecord, ReportStatus, RunRecord};
use crate::store::{Store, StoreError, StoreLock};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use stage::{RunRows, TestRegistry};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc;

/// Metadata given on the command line, for runs whose run.json does not say.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    pub(crate) run_id: Option<String>,
    pub(crate) commit: Option<String>,
    pub(crate) branch: Option<String>,
    pub(crate) timestamp: Option<jiff::Timestamp>,
    pub(crate) attempt: Option<u32>,
    pub(crate) variant: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) paths: Vec<PathBuf>,
    /// None: the default layout (see [`discover::discover`]).
    pub(crate) run_depth: Option<usize>,
    pub(crate) max_file_size: u64,
    pub(crate) strict: bool,
    pub(crate) overrides: Overrides,
    pub(crate) progress: bool,
    /// What the CI's own variables say; used for a single run, after run.json and the flags.
    pub(crate) ci: Option<CiRun>,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub(crate) struct Summary {
    pub(crate) runs_found: usize,
    pub(crate) runs_ingested: usize,
    pub(crate) runs_already_ingested: usize,
    pub(crate) runs_without_tests: usize,
    pub(crate) reports: usize,
    pub(crate) executions: usize,
    pub(crate) files_with_errors: usize,
    pub(crate) warnings: usize,
    pub(crate) bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum IngestError {
    #[error(transparent)]
    Discover(#[from] discover::DiscoverError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "--run-id names a single run, but {0} runs were found (use --run-depth 0 to ingest PATH as one run)"
    )]
    RunIdNeedsOneRun(usize),
    #[error("{0} report file(s) had errors and --strict is set; nothing was written")]
    Strict(usize),
    #[error(
        "no CI runs found under {0} (reports are .xml, .xml.gz, .zip, .tar, .tar.gz or .tgz files)"
    )]
    NothingFound(String),
    #[error("none of the {0} new runs held a readable test case; nothing was written")]
    NothingUsable(usize),
    #[error(
        "{0} run(s) not ingested: the run key is taken by a stored run with other reports (see above); the other runs were stored"
    )]
    KeyTaken(usize),
    #[error("building columns: {0}")]
    Columns(#[from] polars::prelude::PolarsError),
}

/// Runs parsed per batch: bounds memory to a batch of parsed reports. Smaller batches touch
/// less fresh memory, down to a point (docs/benchmarks.md, "Batches").
const BATCH_BYTES: u64 = 16 << 20;
const BATCH_RUNS: usize = 512;
/// Rows per frame written: a batch is written in pieces of at most this many executions (and
/// tests named), so that a run far larger than a batch is not turned into one frame at once.
/// Batches of the usual shape (16 MiB of XML) hold fewer rows and are written whole.
const PIECE_ROWS: usize = 1 << 18;
/// The same for the tests named (names are the larger rows): smaller pieces, which only a run of
/// very many new tests fills (docs/reliability.md, "Bounded memory"); ordinary batches name far
/// fewer tests and are written whole.
const TEST_PIECE_ROWS: usize = 1 << 15;

enum Outcome {
    AlreadyIngested,
    /// Named by the flags or the CI's variables, and that run key and variant are stored with
    /// other reports: another job of the same CI run (a parallel shard, a matrix leg), whose
    /// reports would otherwise be dropped without a word.
    KeyTaken(Diagnostic),
    NoTests {
        problems: Vec<Diagnostic>,
        reports: Vec<ReportRecord>,
        files_with_errors: usize,
        warnings: usize,
        bytes: u64,
    },
    Done(Box<Parsed>),
}

struct Parsed {
    rows: RunRows,
    record: RunRecord,
    reports: Vec<ReportRecord>,
    problems: Vec<Diagnostic>,
    files_with_errors: usize,
    warnings: usize,
    bytes: u64,
}

/// Ingests `options.paths` into `store`. Problems go to `report_problem` as they are found, one
/// line each (`path:line:column: severity: message`).
pub(crate) fn ingest(
    options: &Options,
    store: &Store,
    report_problem: &mut dyn FnMut(&Diagnostic),
) -> Result<Summary, IngestError> {
    let (runs, problems) = discover::discover(&options.paths, options.run_depth)?;
    let mut summary = Summary {
        runs_found: runs.len(),
        ..Summary::default()
    };
    for p in &problems {
        if p.fatal_for_input {
            summary.files_with_errors += 1;
            report_problem(&Diagnostic::error(&p.location, &p.message));
        } else {
            summary.warnings += 1;
            report_problem(&Diagnostic::warning(&p.location, &p.message));
        }
    }
    if runs.is_empty() {
        let paths: Vec<String> = options
            .paths
            .iter()
            .map(|p| crate::report::escape::terminal(&p.display().to_string()).into_owned())
            .collect();
        return Err(IngestError::NothingFound(paths.join(", ")));
    }
    // A PATH beside others that gave nothing and was not named above (an empty folder, a
    // folder of other files): said, as the same PATH alone is an error.
    for path in options.paths.iter().filter(|_| options.paths.len() > 1) {
        let read = runs.iter().any(|r| {
            r.source.starts_with(path)
                || path.starts_with(&r.source)
                || r.inputs.iter().any(|i| i.path.starts_with(path))
        });
        let shown = path.display().to_string();
        if !read && !problems.iter().any(|p| p.location.starts_with(&shown)) {
            summary.warnings += 1;
            report_problem(&Diagnostic::warning(
                shown.as_str(),
                "no reports found here (reports are .xml, .xml.gz, .zip, .tar, .tar.gz or .tgz \
                 files); nothing of it was read",
            ));
        }
    }
    if options.overrides.run_id.is_some() && runs.len() > 1 {
        return Err(IngestError::RunIdNeedsOneRun(runs.len()));
    }

    // A store folder that is missing or empty: a failed ingest leaves it as it was.
    let fresh = std::fs::read_dir(store.dir()).map_or(true, |mut e| e.next().is_none());
    let made = store.missing_folders();
    let lock = store.lock(|| {
        report_problem(&Diagnostic::note(
            store.dir().display().to_string(),
            "waiting for another ingest to finish",
        ))
    })?;
    if !fresh && let Ok(true) = store.mend_entry(&lock) {
        report_problem(&Diagnostic::note(
            store.dir().display().to_string(),
            "manifest.json was behind the newest committed generation (a writer stopped \
             mid-commit); put back",
        ));
    }
    // Again when another writer (on another machine: the lock does not reach it) stored some of
    // the same runs first, or replaced what this one read; the problems were reported already.
    let result = store.retrying(
        |attempt| {
            let report: &mut dyn FnMut(&Diagnostic) = if attempt == 0 {
                &mut *report_problem
            } else {
                &mut |_| {}
            };
            ingest_once(options, store, &runs, &lock, summary.clone(), report)
        },
        |e| matches!(e, IngestError::Store(_)),
    );
    if fresh && result.is_err() {
        store.unclaim_if_unused(lock, &made);
    }
    result
}

/// Writes the runs the store does not hold yet into one segment and commits it: `None` when
/// another writer stored some of them first (nothing was committed; try again).
fn ingest_once(
    options: &Options,
    store: &Store,
    runs: &[DiscoveredRun],
    lock: &StoreLock,
    mut summary: Summary,
    report_problem: &mut dyn FnMut(&Diagnostic),
) -> Result<Option<Summary>, IngestError> {
    let manifest = store.manifest()?;
    store.remove_orphans(&manifest, lock)?;
    // A store with nothing in it yet has no runs to skip (and reading its empty runs table
    // would only set polars up: a few milliseconds, single-threaded, at the start).
    let existing = if manifest.segments.is_empty() {
        Stored::default()
    } else {
        Stored {
            runs: existing_runs(store)?,
            reports: stored_report_hashes(store)?,
        }
    };
    // The CI's variables describe the job's own run: the one run a PATH is (the job's reports
    // folder, file or archive), never a history of many, nor a run folder found inside PATH
    // (the nightly job reading an artifact tree that happens to hold one run).
    let ci = match (runs, options.ci.as_ref()) {
        ([run], Some(ci)) if options.paths.contains(&run.source) => Some(&ci.meta),
        ([run], Some(ci))
            if run.meta.run_id.is_none()
                && options.overrides.run_id.is_none()
                && options.run_depth.is_none() =>
        {
            report_problem(&Diagnostic::warning(
                run.source.display().to_string(),
                format!(
                    "the CI's variables ({}) name a run, but this is a run found inside the \
                     path given, so it is named by its folder or file; to ingest a CI job's \
                     reports as its run, give their folder itself (or --run-depth 0)",
                    ci.system
                ),
            ));
            summary.warnings += 1;
            None
        }
        // Several runs found inside one folder given, none named by a run.json: most likely
        // the job's own reports, one subfolder per shard or downloaded artifact, that the
        // CI's variables should have named as one run. Said, since `check --run` will not find
        // the CI's run.
        ([_, _, ..], Some(ci))
            if options.paths.len() == 1
                && options.overrides.run_id.is_none()
                && options.run_depth.is_none()
                && runs
                    .iter()
                    .all(|r| r.meta.run_id.is_none() && !options.paths.contains(&r.source)) =>
        {
            let named: Vec<String> = runs
                .iter()
                .take(3)
                .map(|r| {
                    r.source.file_name().map_or_else(
                        || r.source.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    )
                })
                .collect();
            report_problem(&Diagnostic::warning(
                options.paths[0].display().to_string(),
                format!(
                    "the CI's variables ({}) name a run, but this folder holds {} run folders \
                     ({}{}), each stored as a run of its own and named by its folder; to \
                     ingest a CI job's reports as its one run (shards, downloaded artifacts), \
                     pass --run-depth 0 (--run-depth 1 says they are runs, without this warning)",
                    ci.system,
                    runs.len(),
                    named.join(", "),
                    if runs.len() > named.len() {
                        ", ..."
                    } else {
                        ""
                    }
                ),
            ));
            summary.warnings += 1;
            None
        }
        _ => None,
    };

    let total: u64 = runs.iter().flat_map(|r| &r.inputs).map(|i| i.size).sum();
    let bar = progress_bar(options.progress, total);
    // Lines printed while the bar is drawn: the bar is taken off the screen for each one and
    // drawn again below it, so neither garbles the other.
    let report_problem = &mut |d: &Diagnostic| bar.suspend(|| report_problem(d));
    let batches = batches(runs);

    let mut segment = None;
    let mut run_records = Vec::new();
    let mut report_records = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut new_runs = 0usize;
    let mut keys_taken = 0usize;
    let registry = TestRegistry::default();
    let (tx, rx) = mpsc::sync_channel::<Vec<Outcome>>(1);
    let result: Result<(), IngestError> = std::thread::scope(|scope| {
        let bar = &bar;
        let existing = &existing;
        let ci = &ci;
        let registry = &registry;
        scope.spawn(move || {
            for range in batches {
                let parsed: Vec<Outcome> = runs[range]
                    .par_iter()
                    .map(|run| process_run(run, options, *ci, existing, registry, bar))
                    .collect();
                if tx.send(parsed).is_err() {
                    return;
                }
            }
        });
        // The last batch written, kept until the next one is about to be built: freed then,
        // its memory is taken again at once instead of going back to the kernel while the
        // writer waits for the next batch (and being faulted in, zeroed, once more).
        let mut written = None;
        for batch in rx {
            drop(written.take());
            let mut done = Vec::new();
            for outcome in batch {
                match outcome {
                    Outcome::AlreadyIngested => summary.runs_already_ingested += 1,
                    Outcome::KeyTaken(problem) => {
                        keys_taken += 1;
                        report_problem(&problem);
                    }
                    Outcome::NoTests {
                        problems,
                        reports,
                        files_with_errors,
                        warnings,
                        bytes,
                    } => {
                        new_runs += 1;
                        summary.runs_without_tests += 1;
                        // Kept so that `stats` lists the bad files, but stored only alongside
                        // runs that did hold tests: a run without a readable test is no run.
                        report_records.extend(reports);
                        summary.files_with_errors += files_with_errors;
                        summary.warnings += warnings;
                        summary.bytes += bytes;
                        problems.iter().for_each(&mut *report_problem);
                    }
                    Outcome::Done(parsed) => {
                        new_runs += 1;
                        let p = *parsed;
                        p.problems.iter().for_each(&mut *report_problem);
                        summary.files_with_errors += p.files_with_errors;
                        summary.warnings += p.warnings;
                        summary.bytes += p.bytes;
                        if !seen.insert((p.record.run.clone(), p.record.variant.clone())) {
                            summary.warnings += 1;
                            report_problem(&Diagnostic::warning(
                                &p.record.source,
                                format!(
                                    "run {:?} (variant {:?}) appears twice in this ingest; the second copy was skipped",
                                    p.record.run, p.record.variant
                                ),
                            ));
                            // Its tests' names may be the only copy this ingest made of them.
                            done.push(p.rows.names_only());
                            continue;
                        }
                        summary.runs_ingested += 1;
                        if p.rows.is_empty() {
                            summary.runs_without_tests += 1;
                        }
                        // Files that could not be read are stored with no hash, and are no report.
                        summary.reports += p.reports.iter().filter(|r| !r.hash.is_empty()).count();
                        summary.executions += p.rows.len();
                        run_records.push(p.record);
                        report_records.extend(p.reports);
                        done.push(p.rows);
                    }
                }
            }
            if done.is_empty() {
                continue;
            }
            if segment.is_none() {
                segment = Some(store.begin_segment(&manifest, lock)?);
            }
            if let Some(seg) = segment.as_mut() {
                // In pieces: one run of a million new tests is written a piece at a time, not
                // as one frame of a million names.
                for piece in stage::pieces(&done, TEST_PIECE_ROWS, RunRows::new_tests) {
                    seg.write_tests(&stage::tests_frame(&piece)?)?;
                }
                for piece in stage::pieces(&done, PIECE_ROWS, RunRows::len) {
                    seg.write_executions(&stage::executions_frame(&piece)?)?;
                }
            }
            written = Some(done);
        }
        Ok(())
    });
    bar.finish_and_clear();
    result?;

    if segment.is_some() && summary.executions == 0 && summary.runs_already_ingested == 0 {
        // Only runs whose reports hold no test case, and nothing else given: an empty
        // report from a CI job that ran nothing is then an error, as no run at all is.
        if let Some(seg) = segment {
            seg.abandon()?;
        }
        return Err(IngestError::NothingUsable(new_runs));
    }
    if options.strict && summary.files_with_errors > 0 {
        // The segment was never committed; remove its files so that nothing is left behind.
        if let Some(seg) = segment {
            seg.abandon()?;
        }
        return Err(IngestError::Strict(summary.files_with_errors));
    }
    let wrote = segment.is_some();
    if let Some(seg) = segment {
        let runs_df = columns::runs_frame(&run_records)?;
        let reports_df = columns::reports_frame(&report_records)?;
        if seg.commit(runs_df, reports_df, manifest)?.is_none() {
            return Ok(None);
        }
    }
    if keys_taken > 0 {
        return Err(IngestError::KeyTaken(keys_taken));
    }
    if !wrote && new_runs > 0 && summary.runs_already_ingested == 0 {
        // Nothing usable anywhere: not in the new runs, and nothing of these paths was stored
        // before. (Re-ingesting a tree whose one unreadable run was reported last time is fine.)
        return Err(IngestError::NothingUsable(new_runs));
    }
    Ok(Some(summary))
}

/// What the store holds already: its runs, and the content hashes of the reports stored under
/// each (run, variant), sorted (also for runs whose every report was unreadable, which have
/// report rows but no run row).
#[derive(Default)]
struct Stored {
    runs: HashSet<(String, String)>,
    reports: HashMap<(String, String), Vec<String>>,
}

fn stored_report_hashes(
    store: &Store,
) -> Result<HashMap<(String, String), Vec<String>>, IngestError> {
    use crate::store::schema::{HASH, RUN, VARIANT};
    use polars::prelude::*;
    let as_store_error = |source: PolarsError| StoreError::Parquet {
        path: store.dir().display().to_string(),
        message: source.to_string(),
    };
    let df = store
        .reports()?
        .select([col(RUN), col(VARIANT), col(HASH)])
        .collect()
        .map_err(as_store_error)?;
    let column = |name: &str| {
        df.column(name)
            .and_then(|c| c.str().cloned())
            .map_err(as_store_error)
    };
    let (runs, variants, hashes) = (column(RUN)?, column(VARIANT)?, column(HASH)?);
    let mut stored: HashMap<(String, String), Vec<String>> = HashMap::new();
    for ((run, variant), hash) in runs.iter().zip(variants.iter()).zip(hashes.iter()) {
        let hashes = stored
            .entry((
                run.unwrap_or_default().to_owned(),
                variant.unwrap_or_default().to_owned(),
            ))
            .or_default();
        // Files that could not be read have no hash (and were not read this time either).
        if let Some(hash) = hash.filter(|h| !h.is_empty()) {
            hashes.push(hash.to_owned());
        }
    }
    stored
        .values_mut()
        .for_each(|hashes| hashes.sort_unstable());
    Ok(stored)
}

fn existing_runs(store: &Store) -> Result<HashSet<(String, String)>, IngestError> {
    use crate::store::schema::{RUN, VARIANT};
    use polars::prelude::*;
    let as_store_error = |source: PolarsError| StoreError::Parquet {
        path: store.dir().display().to_string(),
        message: source.to_string(),
    };
    let df = store
        .runs()?
        .select([col(RUN), col(VARIANT)])
        .collect()
        .map_err(as_store_error)?;
    let runs = df
        .column(RUN)
        .and_then(|c| c.str().cloned())
        .map_err(as_store_error)?;
    let variants = df
        .column(VARIANT)
        .and_then(|c| c.str().cloned())
        .map_err(as_store_error)?;
    Ok(runs
        .iter()
        .zip(variants.iter())
        .map(|(r, v)| {
            (
                r.unwrap_or_default().to_string(),
                v.unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// Splits runs into consecutive batches bounded by bytes and count.
/// Batches of runs for the pipeline: up to BATCH_BYTES of XML (or BATCH_RUNS runs) each, and
/// smaller towards the end, where the writer finishing the last batch alone is time the parse
/// threads stand idle: no batch holds more than a quarter of what is left (down to a sixteenth
/// of BATCH_BYTES).
fn batches(runs: &[DiscoveredRun]) -> Vec<std::ops::Range<usize>> {
    let size = |run: &DiscoveredRun| run.inputs.iter().map(|x| x.size).sum::<u64>();
    let mut left: u64 = runs.iter().map(size).sum();
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    let mut limit = BATCH_BYTES.min((left / 4).max(BATCH_BYTES / 16));
    for (i, run) in runs.iter().enumerate() {
        bytes += size(run);
        if bytes >= limit || i + 1 - start >= BATCH_RUNS {
            out.push(start..i + 1);
            start = i + 1;
            left = left.saturating_sub(bytes);
            bytes = 0;
            limit = BATCH_BYTES.min((left / 4).max(BATCH_BYTES / 16));
        }
    }
    if start < runs.len() {
        out.push(start..runs.len());
    }
    out
}

fn progress_bar(enabled: bool, total: u64) -> ProgressBar {
    if !enabled || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    // A line longer than the terminal wraps, and each redraw then leaves a line behind: the
    // narrower the terminal, the less the line says.
    let template = match console::Term::stderr().size().1 {
        90.. => {
            "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}"
        }
        55..=89 => "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes}",
        _ => "{spinner} [{elapsed_precise}] {wide_bar} {percent}%",
    };
    let style =
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// A report of a run: already parsed, or only read and hashed (from an archive, which may
/// rename the run, or of a run whose name is taken and whose content decides).
enum Loaded {
    Parsed(ParsedReport),
    Read(discover::LoadedReport, String),
}

impl Loaded {
    fn parse(self) -> ParsedReport {
        match self {
            Loaded::Parsed(parsed) => parsed,
            Loaded::Read(read, hash) => ParsedReport::with_hash(read, hash),
        }
    }

    fn hash(&self) -> &str {
        match self {
            Loaded::Parsed(parsed) => &parsed.hash,
            Loaded::Read(_, hash) => hash,
        }
    }
}

/// xxh3-128 of a report's bytes, hex: what the reports table stores.
fn content_hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// One report, parsed; its bytes are gone.
struct ParsedReport {
    display: String,
    size: u64,
    /// xxh3-128 of the bytes, hex.
    hash: String,
    report: junit::Report,
    keys: Vec<fold::CaseKeys>,
}

impl ParsedReport {
    fn new(loaded: discover::LoadedReport) -> ParsedReport {
        let hash = content_hash(&loaded.bytes);
        ParsedReport::with_hash(loaded, hash)
    }

    fn with_hash(loaded: discover::LoadedReport, hash: String) -> ParsedReport {
        let discover::LoadedReport {
            display,
            bytes,
            cuts,
            size,
        } = loaded;
        let report = junit::parse_cut(&bytes, &cuts);
        // The bytes go before the keys are computed: for a report of a million cases they are
        // a third of what the parse holds.
        drop(bytes);
        ParsedReport {
            size,
            hash,
            keys: fold::case_keys(&report),
            report,
            display,
        }
    }
}

/// Where a run's id came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdSource {
    RunJson,
    Flag,
    Ci,
    /// The folder or file name: not unique across CI runs (`junit.xml` every time).
    Name,
}

/// The run key and variant a run is stored under, and the run id and attempt they come from.
struct Identity {
    key: String,
    variant: String,
    run_id: String,
    attempt: Option<u32>,
    source: IdSource,
}

impl Identity {
    fn stored_key(&self) -> (String, String) {
        (self.key.clone(), self.variant.clone())
    }
}

/// Each field from run.json, else the flags, else the CI's variables (`ci`, given only for a
/// single run); the id falls back to the folder or file name, with `suffix` appended when a
/// stored run took that name already.
fn identity(
    run: &DiscoveredRun,
    meta: &RunMeta,
    overrides: &Overrides,
    ci: Option<&RunMeta>,
    suffix: Option<&str>,
) -> Identity {
    let ci_id = ci.and_then(|ci| ci.run_id.clone());
    let (run_id, source) = if let Some(id) = meta.run_id.clone() {
        (id, IdSource::RunJson)
    } else if let Some(id) = overrides.run_id.clone() {
        (id, IdSource::Flag)
    } else if let Some(id) = ci_id {
        (id, IdSource::Ci)
    } else {
        match suffix {
            Some(suffix) => (format!("{}~{suffix}", run.name), IdSource::Name),
            None => (run.name.clone(), IdSource::Name),
        }
    };
    let attempt = meta
        .attempt
        .or(overrides.attempt)
        .or_else(|| ci.and_then(|ci| ci.attempt));
    let key = run_key(&run_id, attempt);
    let variant = meta
        .variant
        .clone()
        .or_else(|| meta.job.clone())
        .or_else(|| overrides.variant.clone())
        .or_else(|| ci.and_then(|ci| ci.job.clone()))
        .unwrap_or_default();
    Identity {
        key,
        variant,
        run_id,
        attempt,
        source,
    }
}

/// The stored run key: the run id, plus `#N` for attempt N > 1. A `#` in the id itself is
/// written `%23` (and `%` as `%25`), so that run `1041#2` and attempt 2 of run `1041` stay two
/// runs.
pub(crate) fn run_key(run_id: &str, attempt: Option<u32>) -> String {
    let id = if run_id.contains(['#', '%']) {
        run_id.replace('%', "%25").replace('#', "%23")
    } else {
        run_id.to_string()
    };
    match attempt {
        Some(a) if a > 1 => format!("{id}#{a}"),
        _ => id,
    }
}

/// A short hash of a run's sorted report hashes: the suffix that tells apart two runs whose
/// names are the same.
fn short_hash(hashes: &[String]) -> String {
    let joined = hashes.join("\n");
    let full = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(joined.as_bytes()));
    full[..8].to_owned()
}

fn process_run(
    run: &DiscoveredRun,
    options: &Options,
    ci: Option<&RunMeta>,
    existing: &Stored,
    registry: &TestRegistry,
    bar: &ProgressBar,
) -> Outcome {
    let mut meta = run.meta.clone();
    let only_plain = run
        .inputs
        .iter()
        .all(|i| matches!(i.kind, InputKind::Xml | InputKind::XmlGz));
    // A run named by the folder or file name may share that name with a different stored run;
    // its content decides, so it is read and hashed before it is parsed.
    let mut parse_at_once = only_plain;
    if only_plain {
        let id = identity(run, &meta, &options.overrides, ci, None);
        let taken = existing.runs.contains(&id.stored_key());
        // A run.json id is the artifact tree's own: ingesting the tree again skips it unread.
        // A run named by the flags or the CI's variables (a CI job ingesting its reports) is
        // compared by content, as a run named by its folder is.
        if taken && id.source == IdSource::RunJson {
            bar.inc(run.inputs.iter().map(|i| i.size).sum());
            return Outcome::AlreadyIngested;
        }
        parse_at_once = !taken;
    }
    let mut problems = Vec::new();
    let mut files_with_errors = 0;
    let mut warnings = 0;
    // Each report is hashed and parsed right after it is read, while its bytes are still in
    // the core's cache, and its bytes freed then. Only an archive can hold a run.json that
    // renames the run; those runs are read whole first, and parsed only if the run is new.
    let loaded: Vec<_> = run
        .inputs
        .par_iter()
        .map(|input: &Input| {
            let (reports, load_problems, run_json) = discover::load(input, options.max_file_size);
            bar.inc(input.size);
            let reports: Vec<Loaded> = if parse_at_once {
                reports
                    .into_iter()
                    .map(|r| Loaded::Parsed(ParsedReport::new(r)))
                    .collect()
            } else {
                reports
                    .into_iter()
                    .map(|r| {
                        let hash = content_hash(&r.bytes);
                        Loaded::Read(r, hash)
                    })
                    .collect()
            };
            (reports, load_problems, run_json)
        })
        .collect();
    let mut reports = Vec::new();
    // Files (or archive entries) that could not be read at all: stored as reports with an error
    // and no content, so that `stats` counts and lists them as ingest did.
    let mut unread: Vec<(String, String)> = Vec::new();
    for (input, (loaded, load_problems, run_json)) in run.inputs.iter().zip(loaded) {
        for p in load_problems {
            if p.fatal_for_input {
                files_with_errors += 1;
                problems.push(Diagnostic::error(&p.location, &p.message));
                unread.push((p.location, p.message));
            } else {
                warnings += 1;
                problems.push(Diagnostic::warning(&p.location, &p.message));
            }
        }
        if let Some(json) = run_json {
            let location = format!("{}!/run.json", input.path.display());
            let (archive_meta, meta_problems) = discover::meta_from_json(&json, &location);
            for p in meta_problems {
                warnings += 1;
                problems.push(Diagnostic::warning(&p.location, &p.message));
            }
            if meta == RunMeta::default() {
                meta = archive_meta;
            }
        }
        reports.extend(loaded);
    }
    let mut hashes: Vec<String> = reports.iter().map(|r| r.hash().to_owned()).collect();
    hashes.sort_unstable();
    let mut id = identity(run, &meta, &options.overrides, ci, None);
    let stored = |id: &Identity| {
        let key = id.stored_key();
        (existing.runs.contains(&key), existing.reports.get(&key))
    };
    match stored(&id) {
        (_, Some(stored)) if *stored == hashes => return Outcome::AlreadyIngested,
        (true, _) if id.source == IdSource::RunJson => return Outcome::AlreadyIngested,
        (true, _) if id.source != IdSource::Name => {
            let whose = if id.source == IdSource::Flag {
                "--run-id"
            } else {
                "the CI's variables"
            };
            return Outcome::KeyTaken(Diagnostic::error(
                run.source.display().to_string(),
                format!(
                    "run {:?} (variant {:?}, named by {whose}) is already in the store with \
                     other reports; these were not added. Jobs of one CI run that run side by \
                     side (matrix legs, parallel shards) need a variant each (--variant) or a \
                     run id each (--run-id)",
                    id.key, id.variant
                ),
            ));
        }
        (true, _) | (false, Some(_)) if id.source == IdSource::Name => {
            // The name is taken by a stored run with other reports (the next CI run's
            // `junit.xml`): a name made unique by the content, never a silent skip.
            let renamed = identity(
                run,
                &meta,
                &options.overrides,
                ci,
                Some(&short_hash(&hashes)),
            );
            if let (true, _) | (_, Some(_)) = stored(&renamed) {
                return Outcome::AlreadyIngested;
            }
            warnings += 1;
            problems.push(Diagnostic::warning(
                run.source.display().to_string(),
                format!(
                    "a stored run is already named {:?} and holds other reports; \
                     this run is stored as {:?} (give runs their own id with run.json \"run_id\" \
                     or --run-id)",
                    id.key, renamed.key
                ),
            ));
            id = renamed;
        }
        _ => {}
    }
    let Identity {
        key,
        variant,
        run_id,
        attempt,
        ..
    } = id;
    // The reports of an archive are parsed in parallel here, each on its own task.
    let parsed: Vec<ParsedReport> = reports.into_par_iter().map(Loaded::parse).collect();
    let bytes: u64 = parsed.iter().map(|r| r.size).sum();
    let mut report_records = Vec::with_capacity(parsed.len());
    for ParsedReport {
        display,
        size,
        hash,
        report,
        ..
    } in &parsed
    {
        let lines = report
            .problems
            .iter()
            .map(|p| Diagnostic::in_report(display, p));
        let status = if report.has_errors() {
            files_with_errors += 1;
            ReportStatus::Error
        } else if report.problems.is_empty() {
            ReportStatus::Ok
        } else {
            ReportStatus::Warning
        };
        warnings += report
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
            .count();
        report_records.push(ReportRecord {
            run: key.clone(),
            variant: variant.clone(),
            path: display.clone(),
            size: *size,
            hash: hash.clone(),
            cases: u32::try_from(report.cases.len()).unwrap_or(u32::MAX),
            status,
            problems: report
                .problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        });
        problems.extend(lines);
    }
    // After the parsed reports: their positions number the rows' report keys.
    for (path, message) in unread {
        report_records.push(ReportRecord {
            run: key.clone(),
            variant: variant.clone(),
            path,
            size: 0,
            // No content, so no hash: never compared when telling a run already stored.
            hash: String::new(),
            cases: 0,
            status: ReportStatus::Error,
            problems: message,
        });
    }
    let (parsed_reports, keys): (Vec<junit::Report>, Vec<Vec<fold::CaseKeys>>) =
        parsed.into_iter().map(|r| (r.report, r.keys)).unzip();
    let rows = fold::fold_keyed(&parsed_reports, &keys);
    drop(keys);
    let clean_reports = report_records
        .iter()
        .any(|r| r.status != ReportStatus::Error);
    if rows.is_empty() && clean_reports {
        // A report with no test case (everything filtered out, a suite that ran nothing) is
        // valid: the run is stored with zero executions, and said so.
        warnings += 1;
        problems.push(Diagnostic::warning(
            run.source.display().to_string(),
            "its reports hold no test case; the run is stored with 0 test executions",
        ));
    } else if rows.is_empty() {
        return Outcome::NoTests {
            problems,
            reports: report_records,
            files_with_errors,
            warnings,
            bytes,
        };
    }
    let (timestamp, time_source) = if let Some(ts) = meta.timestamp {
        (ts, "run.json")
    } else if let Some(ts) = options.overrides.timestamp {
        (ts, "cli")
    } else if let Some(ts) = ci.and_then(|ci| ci.timestamp) {
        (ts, "ci")
    } else if let Some(ts) = parsed_reports
        .iter()
        .filter_map(|r| r.earliest_timestamp)
        .min()
    {
        (ts, "suite-timestamp")
    } else if let Some(ts) = run
        .inputs
        .iter()
        .filter_map(|i| i.mtime)
        .min()
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
    {
        (ts, "file-mtime")
    } else {
        (jiff::Timestamp::now(), "ingest-time")
    };
    let parse_errors = u32::try_from(
        report_records
            .iter()
            .filter(|r| r.status == ReportStatus::Error)
            .count(),
    )
    .unwrap_or(u32::MAX);
    let record = RunRecord {
        run: key.clone(),
        variant: variant.clone(),
        run_id,
        attempt,
        commit: meta
            .commit
            .clone()
            .or_else(|| options.overrides.commit.clone())
            .or_else(|| ci.and_then(|ci| ci.commit.clone())),
        branch: meta
            .branch
            .clone()
            .or_else(|| options.overrides.branch.clone())
            .or_else(|| ci.and_then(|ci| ci.branch.clone()))
            .map(|branch| crate::discover::branch_name(&branch)),
        job: meta
            .job
            .clone()
            .or_else(|| ci.and_then(|ci| ci.job.clone())),
        pipeline: meta
            .pipeline
            .clone()
            .or_else(|| ci.and_then(|ci| ci.pipeline.clone())),
        timestamp_ms: timestamp.as_millisecond(),
        time_source,
        source: run.source.display().to_string(),
        reports: u32::try_from(report_records.len()).unwrap_or(u32::MAX),
        executions: u32::try_from(rows.len()).unwrap_or(u32::MAX),
        parse_errors,
        extra: serde_json::Value::Object(meta.extra.clone()).to_string(),
    };
    let rows = RunRows::new(key, variant, rows, parsed_reports, registry);
    Outcome::Done(Box::new(Parsed {
        rows,
        record,
        reports: report_records,
        problems,
        files_with_errors,
        warnings,
        bytes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_in_a_run_id_cannot_pose_as_an_attempt() {
        assert_eq!(run_key("1041", Some(2)), "1041#2");
        assert_eq!(run_key("1041", Some(1)), "1041");
        assert_eq!(run_key("1041#2", None), "1041%232");
        assert_eq!(run_key("1041#2", Some(3)), "1041%232#3");
        assert_eq!(run_key("50%", None), "50%25");
        assert_ne!(run_key("1041%232", None), run_key("1041#2", None));
    }
}

//! The command line: every subcommand, flag and help text.

use crate::choice::Choice;
use crate::export::render::Format;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Reads the JUnit XML reports CI leaves behind, across many runs, into a local history, and
/// tells which tests are flaky, broken, slow or not worth their cost.
#[derive(Debug, Parser)]
#[command(name = "testsift", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,

    /// The testsift.toml to read (quarantine, aliases, owners, threshold defaults). By default
    /// testsift.toml in the current directory, else at the root of the git repository.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Read CI artifact folders, report files or archives and append them to the history.
    Ingest(IngestArgs),
    /// Summarise what the history holds.
    Stats(StatsArgs),
    /// Print the stored tables and their columns, with types and meaning.
    Schema,
    /// Give every test one verdict (stable, flaky, broken, fixed, new, insufficient-data),
    /// with the evidence: retries, same-commit contradictions and flip rate.
    Flaky(FlakyArgs),
    /// Show where the CI time goes: time per suite (or class, file, family) with its trend,
    /// the slowest tests, and the CI load per day.
    Slow(SlowArgs),
    /// Rank tests by the failure events they catch per second (greedy set cover), print the
    /// diminishing-returns curve, and list the tests that caught nothing the rest did not.
    Trim(TrimArgs),
    /// Gate a CI job on the history: exit 1, with one line per tripped gate on stderr, when a
    /// test is broken, became flaky in the newest runs, a suite got slower, or the flaky run
    /// rate is over a limit; exit 0 otherwise.
    Check(CheckArgs),
    /// Write tests to quarantine, skip, run first or split into shards, in a test runner's own
    /// syntax (pytest, nextest, maven, gradle, jest, go) or as plain ids or JSON.
    Select(SelectArgs),
    /// Write report.html, report.md and report.json: headline numbers, flaky and broken tests
    /// with their runs, slow suites, CI load, the trim curve, and what changed since the
    /// previous report. Ingests PATH first when given.
    Report(ReportArgs),
    /// Replay the history run by run to measure how well a selection would have done: each run
    /// after a training span is ordered from the runs before it only, and scored on what it did
    /// (APFD, APFDc, time to the first failure), against simple heuristics, random and optimal.
    Backtest(BacktestArgs),
    /// Suggest test ids that look renamed (one stops where a similar one starts in the same
    /// class), with the evidence, ready to paste into testsift.toml as `[[alias]]` entries.
    Renames(RenamesArgs),
    /// Check the whole store: every file's content hash, that every segment the manifest lists
    /// exists, and that no segment exists that it does not list. One line per problem; exit 2
    /// when there is any. With --repair, damaged segments are taken out first and their runs
    /// named
    Verify(VerifyArgs),
    /// Remove runs from the store (by run key, or older than a date), atomically, and say what
    /// was removed.
    Forget(ForgetArgs),
    /// Merge the store's segments into one, atomically (ingest also merges its small segments
    /// on its own once there are many).
    Compact(CompactArgs),
    /// Add the runs of other stores to this one (runs it holds already are skipped), so that
    /// parallel CI jobs can each keep a store and a later job combine them. The other stores
    /// are only read.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct StoreArg {
    /// Directory of the history. It is created by the first ingest.
    #[arg(
        long,
        env = "TESTSIFT_STORE",
        default_value = ".testsift",
        value_name = "DIR"
    )]
    pub(crate) store: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    /// Folders, report files (*.xml, *.xml.gz) or archives (.zip, .tar.gz, .tgz, .tar) to read.
    /// By default each immediate subfolder of a folder is one CI run; a file or archive given
    /// directly is one run.
    /// A file given directly is read by its content, whatever its name ends with.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    #[command(flatten)]
    pub(crate) store: StoreArg,

    /// How many levels below each PATH the run folders are. 0 makes PATH itself one run (the
    /// default when --run-id is given); 2 suits layouts like PATH/branch/run.
    /// Without it, a folder that holds reports and no subfolders, or run.json, or a build tool's
    /// output folder (target, build), or the modules of one build, is itself one run.
    #[arg(long, value_name = "N")]
    pub(crate) run_depth: Option<usize>,

    /// Make any report with an error fatal: nothing is written and the exit code is 2.
    #[arg(long)]
    pub(crate) strict: bool,

    /// Largest report accepted, in bytes after decompression. Larger ones are skipped with an
    /// error, so one runaway file cannot exhaust memory.
    #[arg(long, default_value_t = 1 << 30, value_name = "BYTES")]
    pub(crate) max_file_size: u64,

    /// Hide the progress bar and the closing summary; problems are still printed. The progress
    /// bar is shown only when stderr is a terminal.
    #[arg(long, short)]
    pub(crate) quiet: bool,

    /// Run id, for ingesting one run from inside a CI job; used when the run has no run.json.
    #[arg(long, help_heading = "Run metadata (when there is no run.json)")]
    pub(crate) run_id: Option<String>,

    /// Commit the run tested.
    #[arg(long, help_heading = "Run metadata (when there is no run.json)")]
    pub(crate) commit: Option<String>,

    /// Branch the run tested.
    #[arg(long, help_heading = "Run metadata (when there is no run.json)")]
    pub(crate) branch: Option<String>,

    /// When the run happened, as RFC 3339 (2026-01-31T02:00:00Z) or a date-time taken as UTC.
    #[arg(long, value_parser = parse_timestamp, help_heading = "Run metadata (when there is no run.json)")]
    pub(crate) timestamp: Option<jiff::Timestamp>,

    /// CI attempt of the run (2 for the first re-run of the same pipeline).
    #[arg(long, help_heading = "Run metadata (when there is no run.json)")]
    pub(crate) attempt: Option<u32>,

    /// Platform or job the runs belong to: the same test on two variants is two series.
    #[arg(long, help_heading = "Run metadata (when there is no run.json)")]
    pub(crate) variant: Option<String>,
}

fn parse_timestamp(s: &str) -> Result<jiff::Timestamp, String> {
    crate::junit::values::parse_timestamp(s)
        .ok_or_else(|| format!("{s:?} is not a timestamp; use RFC 3339, e.g. 2026-01-31T02:00:00Z"))
}

/// A threshold share such as `--infra-threshold`: a number in (0, 1]. 0 would make every run
/// with one failure an infrastructure failure, and NaN no run at all, so that a gate passes on
/// no data; both are refused here, before anything is read.
pub(crate) fn parse_probability(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 1.0 => Ok(x),
        _ => Err(format!(
            "{s:?} is not a share above 0 and at most 1 (80% is 0.8)"
        )),
    }
}

/// A limit share such as `--max-flaky-rate`: a number in [0, 1] (0: no flaky run allowed).
pub(crate) fn parse_share(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("{s:?} is not a share between 0 and 1 (5% is 0.05)")),
    }
}

/// A time budget such as `--budget`: seconds, or a number with `s`, `m` or `h` (`90s`, `5m`,
/// `1.5h`); above 0 and finite.
pub(crate) fn parse_budget(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (number, unit) = match t.chars().last() {
        Some('s') => (&t[..t.len() - 1], 1.0),
        Some('m') => (&t[..t.len() - 1], 60.0),
        Some('h') => (&t[..t.len() - 1], 3600.0),
        _ => (t, 1.0),
    };
    match number.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && (x * unit).is_finite() => Ok(x * unit),
        _ => Err(format!(
            "{s:?} is not a time above 0: seconds, or a number with s, m or h (90s, 5m, 1.5h)"
        )),
    }
}

/// A percentage such as `--min-saving`: a number in [0, 100].
fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if (0.0..=100.0).contains(&x) => Ok(x),
        _ => Err(format!("{s:?} is not a percentage between 0 and 100")),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum StatsFormat {
    Table,
    Json,
}

impl StatsFormat {
    pub(crate) fn to_format(self) -> Format {
        match self {
            Self::Table => Format::Table,
            Self::Json => Format::Json,
        }
    }
}

/// Flags that choose the runs an analysis reads.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct WindowArgs {
    /// Only runs at most this long before the newest run in the history (`30d`, `12h`, `2w`),
    /// or from this date on (`2026-10-01`, `2026-10-01T00:00:00Z`).
    #[arg(long, value_name = "AGE|DATE", value_parser = crate::analysis::window::parse_since, help_heading = "Window")]
    pub(crate) since: Option<crate::analysis::window::Since>,

    /// Only the newest N runs (counted by run key, so the variants of one CI run count once).
    #[arg(long, value_name = "N", help_heading = "Window")]
    pub(crate) last_runs: Option<usize>,

    /// Only runs of this branch.
    #[arg(long, value_name = "B", help_heading = "Window")]
    pub(crate) branch: Option<String>,
}

impl WindowArgs {
    /// The window the flags choose.
    pub(crate) fn to_spec(&self) -> crate::analysis::window::WindowSpec {
        crate::analysis::window::WindowSpec {
            since: self.since,
            last_runs: self.last_runs,
            branch: self.branch.as_deref().map(crate::discover::branch_name),
            drop_newest: 0,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    #[command(flatten)]
    pub(crate) store: StoreArg,

    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: StatsFormat,

    #[command(flatten)]
    pub(crate) table: TableArgs,
}

/// How much of a table to show, for every command that prints tables.
#[derive(Debug, Args)]
pub(crate) struct TableArgs {
    /// Rows shown per table, and per Markdown table of `slow` and `trim` [default: 20; every
    /// row with --wide]. JSON and CSV hold every row.
    #[arg(long, value_name = "N", help_heading = "Table output")]
    pub(crate) top: Option<usize>,

    /// Print every row and every cell in full, however wide the lines get. By default a table
    /// fits the terminal's width (100 columns when output goes to a file or a pipe): long names
    /// are cut in the middle with `…`, messages to one line.
    #[arg(long, help_heading = "Table output")]
    pub(crate) wide: bool,

    /// List what a table only summarises: the infrastructure runs of `flaky`.
    #[arg(long, help_heading = "Table output")]
    pub(crate) verbose: bool,
}

impl TableArgs {
    pub(crate) fn to_options(&self) -> crate::export::table::TableOptions {
        crate::export::table::TableOptions {
            top: self.top,
            wide: self.wide,
            verbose: self.verbose,
            columns: terminal_columns(),
        }
    }
}

/// The width of the terminal standard output writes to, when it is one: a table then uses
/// the room there is, but never fewer than 80 columns, below which names would be cut to a few
/// characters (a narrower terminal wraps the lines instead). Output to a file or a pipe keeps
/// the fixed width, so it does not depend on the window it was run from.
fn terminal_columns() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    console::Term::stdout()
        .size_checked()
        .map(|(_, cols)| usize::from(cols).max(80))
}

/// Output format of an analysis.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum OutputFormat {
    Table,
    Json,
    Csv,
    Md,
}

impl OutputFormat {
    pub(crate) fn to_format(self) -> Format {
        match self {
            Self::Table => Format::Table,
            Self::Json => Format::Json,
            Self::Csv => Format::Csv,
            Self::Md => Format::Markdown,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct FlakyArgs {
    #[command(flatten)]
    pub(crate) store: StoreArg,

    #[command(flatten)]
    pub(crate) window: WindowArgs,

    /// Output format: a table of the tests that are not stable, or every test as JSON
    /// (versioned by `schema_version`), CSV or Markdown.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: OutputFormat,

    #[command(flatten)]
    pub(crate) table: TableArgs,

    /// Executed runs (not skipped, not infrastructure failures) a test needs before a flip
    /// alone can make it flaky or it can be called stable; fewer is `new` (the test appeared
    /// inside the window) or `insufficient-data`.
    /// [default: testsift.toml's, else 5]
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    pub(crate) min_runs: Option<usize>,

    /// A run in which more than this share of executed tests fail (and at least 5 ran) is an
    /// infrastructure failure: excluded from the analysis and listed separately [default:
    /// testsift.toml's, else 0.8].
    #[arg(
        long,
        value_name = "SHARE",
        value_parser = parse_probability,
        help_heading = "Thresholds"
    )]
    pub(crate) infra_threshold: Option<f64>,

    /// Only the tests this owner owns (testsift.toml's rules, CODEOWNERS), e.g. @acme/web;
    /// the headline still counts every test.
    #[arg(long, value_name = "TEAM")]
    pub(crate) owner: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SlowArgs {
    #[command(flatten)]
    pub(crate) store: StoreArg,

    #[command(flatten)]
    pub(crate) window: WindowArgs,

    /// Output format: tables of the top groups, tests, regressions and unbalanced runs and the
    /// load per day, or everything as JSON (versioned by `schema_version`) or Markdown; CSV
    /// holds one table (`--csv-table`).
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: OutputFormat,

    /// What the time is summed over.
    #[arg(long, value_parser = choice::<crate::analysis::slow::GroupBy>(), default_value = "suite")]
    pub(crate) by: crate::analysis::slow::GroupBy,

    #[command(flatten)]
    pub(crate) table: TableArgs,

    /// A group is flagged as getting slower when its median per-run time in the last 7 days
    /// is at least this many percent above the 7 days before.
    #[arg(
        long,
        default_value_t = 20.0,
        value_name = "PERCENT",
        help_heading = "Thresholds"
    )]
    pub(crate) slower_threshold: f64,

    /// A run in which more than this share of executed tests fail (and at least 5 ran) is an
    /// infrastructure failure: left out of the time statistics, still counted in the load
    /// [default: testsift.toml's, else 0.8].
    #[arg(
        long,
        value_name = "SHARE",
        value_parser = parse_probability,
        help_heading = "Thresholds"
    )]
    pub(crate) infra_threshold: Option<f64>,

    /// A duration regression needs at least N executions of the test before the step and N
    /// from it on, and the median of its last N still above the threshold.
    #[arg(
        long,
        default_value_t = 5,
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "Thresholds"
    )]
    pub(crate) regression_min_runs: u64,

    /// A duration regression is a step in median duration of at least this many percent…
    #[arg(
        long,
        default_value_t = 20.0,
        value_name = "PERCENT",
        help_heading = "Thresholds"
    )]
    pub(crate) regression_min_step: f64,

    /// …and of at least this many seconds (default: 0.5 s, or --regression-min-share of the
    /// median run's test time when that is less; given, exactly this many).
    #[arg(long, value_name = "SECONDS", help_heading = "Thresholds")]
    pub(crate) regression_min_seconds: Option<f64>,

    /// Without --regression-min-seconds, a step of this many percent of the median run's test
    /// time is enough when that is under 0.5 s: a +100 ms step counts in a 2-second suite.
    #[arg(
        long,
        default_value_t = 2.0,
        value_name = "PERCENT",
        help_heading = "Thresholds"
    )]
    pub(crate) regression_min_share: f64,

    /// The table `--format csv` writes.
    #[arg(long, value_parser = choice::<crate::export::slow::CsvTable>(), default_value = "groups")]
    pub(crate) csv_table: crate::export::slow::CsvTable,
}

#[derive(Debug, Args)]
pub(crate) struct TrimArgs {
    #[command(flatten)]
    pub(crate) store: StoreArg,

    #[command(flatten)]
    pub(crate) window: WindowArgs,

    /// Output format: the headline, the tests in greedy order and the candidates as tables, or
    /// everything as JSON (versioned by `schema_version`) or Markdown; CSV holds the tests in
    /// greedy order (the curve).
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: OutputFormat,

    #[command(flatten)]
    pub(crate) table: TableArgs,

    /// Executed runs (not skipped, not infrastructure failures) a test needs before it can be
    /// a trim candidate; with fewer it is kept.
    #[arg(
        long,
        default_value_t = 50,
        value_name = "N",
        help_heading = "Thresholds"
    )]
    pub(crate) min_runs: usize,

    /// A run in which more than this share of executed tests fail (and at least 5 ran) is an
    /// infrastructure failure: its failures are not detections and its runs are not counted
    /// [default: testsift.toml's, else 0.8].
    #[arg(
        long,
        value_name = "SHARE",
        value_parser = parse_probability,
        help_heading = "Thresholds"
    )]
    pub(crate) infra_threshold: Option<f64>,
    /// Count only the broken-streak failures of tests that `testsift flaky` calls flaky (with
    /// its default thresholds); by default every hard failure is a detection.
    #[arg(long, help_heading = "Thresholds")]
    pub(crate) exclude_flaky: bool,

    /// Only the candidates this owner owns (testsift.toml's rules, CODEOWNERS), e.g. @acme/web.
    #[arg(long, value_name = "TEAM")]
    pub(crate) owner: Option<String>,

    #[command(flatten)]
    pub(crate) cut: TrimCutArgs,
}

/// Output format of `check`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum CheckFormat {
    /// `ok: GATE: reason` lines on stdout, `check failed: GATE: reason` lines on stderr.
    Text,
    /// Every gate with tripped, reason and tests, versioned by `schema_version`, on stdout.
    Json,
    /// GitHub Actions workflow commands on stdout: `::error file=...,line=...::` per failing
    /// test, `::notice` per held gate; with `--run`, `::warning` per forgiven failure.
    Github,
    /// A JUnit XML report of the decisions on stdout, for CI systems that show JUnit: one
    /// testcase per decided test (with `--run`) or per gate, a failure element where it fails.
    Junit,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) store: StoreArg,

    #[command(flatten)]
    pub(crate) window: WindowArgs,

    /// Gates that fail the check, comma-separated: `broken` (a test is broken now),
    /// `new-flaky` (a test is flaky that was not before the newest --new-runs runs), `slower`
    /// (a suite is flagged as getting slower), `expired-quarantine` (a testsift.toml
    /// quarantine entry is past its `until`). `--max-flaky-rate` adds its own gate.
    /// [default: broken,new-flaky,expired-quarantine; with --run: expired-quarantine]
    #[arg(long, value_parser = choice::<crate::analysis::gate::Gate>(), value_delimiter = ',', value_name = "GATES")]
    pub(crate) fail_on: Vec<crate::analysis::gate::Gate>,

    /// Gate one run instead of the window: each test that failed in RUN (a run key; by default
    /// the run the CI's variables name when the store holds it, else the newest run of the
    /// window) is forgiven when quarantined, or flaky before it and failing the way it flaked
    /// before; any other failure fails the check. See docs/ci.md.
    #[arg(long, value_name = "RUN", num_args = 0..=1, default_missing_value = "")]
    pub(crate) run: Option<String>,

    /// With --run: also forgive a failure when the test failed in the newest run of branch B
    /// before RUN (an already-red main does not fail every pull request).
    #[arg(long, value_name = "B", requires = "run")]
    pub(crate) baseline: Option<String>,

    /// Only the tests this owner owns (testsift.toml's rules, CODEOWNERS), e.g. @acme/web.
    #[arg(long, value_name = "TEAM")]
    pub(crate) owner: Option<String>,

    /// Fail when the flaky run rate (share of runs that were red only because of flaky tests)
    /// is above this share, e.g. 0.05 for 5%.
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub(crate) max_flaky_rate: Option<f64>,

    /// How many of the newest runs (by run key) the `new-flaky` gate looks at: a test is newly
    /// flaky when it is flaky over the window but was not over the window without these runs.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = at_least_one)]
    pub(crate) new_runs: usize,

    /// Executed runs a test needs before a flip alone can make it flaky (as in `flaky`)
    /// [default: testsift.toml's, else 5].
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    pub(crate) min_runs: Option<usize>,

    /// A run in which more than this share of executed tests fail (and at least 5 ran) is an
    /// infrastructure failure, as in `flaky` and `slow` [default: testsift.toml's, else 0.8].
    #[arg(
        long,
        value_name = "SHARE",
        value_parser = parse_probability,
        help_heading = "Thresholds"
    )]
    pub(crate) infra_threshold: Option<f64>,

    /// What the `slower` gate sums time over (as `slow --by`).
    #[arg(long, value_parser = choice::<crate::analysis::slow::GroupBy>(), default_value = "suite", help_heading = "Thresholds")]
    pub(crate) by: crate::analysis::slow::GroupBy,

    /// The `slower` gate trips when a group's median per-run time in the last 7 days is at
    /// least this many percent above the 7 days before (as in `slow`).
    #[arg(
        long,
        default_value_t = 20.0,
        value_name = "PERCENT",
        help_heading = "Thresholds"
    )]
    pub(crate) slower_threshold: f64,

    /// Output format. The exit code is the same in each: 1 when a gate tripped.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: CheckFormat,
}

#[derive(Debug, Args)]
pub(crate) struct SelectArgs {
    /// What to select: flaky tests (quarantine), trim candidates (skip), every test by failure
    /// likelihood (priority), or every test in K shards of near-equal time (shards).
    #[arg(value_parser = choice::<crate::select::Kind>())]
    pub(crate) kind: crate::select::Kind,

    /// The runner the output is for; see docs/select.md for how to pass each.
    #[arg(long, value_parser = choice::<crate::select::runner::Runner>())]
    pub(crate) runner: crate::select::runner::Runner,

    /// Write the output to FILE instead of stdout (`-` is stdout).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,

    /// Print the selection as shell-quoted command-line arguments instead of the file form.
    #[arg(long)]
    pub(crate) shell: bool,

    #[command(flatten)]
    pub(crate) store: StoreArg,

    #[command(flatten)]
    pub(crate) window: WindowArgs,

    /// Only this variant's runs (platform or job).
    #[arg(long, value_name = "V", help_heading = "Window")]
    pub(crate) variant: Option<String>,

    /// Shards to plan (1 to 1024).
    #[arg(long, value_name = "K", required_if_eq("kind", "shards"), value_parser = clap::value_parser!(u64).range(1..=1024), help_heading = "Shards")]
    pub(crate) count: Option<u64>,

    /// Shard to write for a runner: its tests for plain, every other shard's tests excluded
    /// for the runner formats.
    #[arg(long, value_name = "I", help_heading = "Shards")]
    pub(crate) shard: Option<usize>,

    /// What a shard is made of.
    #[arg(long, value_parser = choice::<crate::select::shards::Unit>(), default_value = "test", help_heading = "Shards")]
    pub(crate) by: crate::select::shards::Unit,

    /// What the current split, which the plan is compared with, is made of: the variants of
    /// the newest run that has several, or the report files of the newest run.
    #[arg(long, value_parser = choice::<crate::analysis::SplitBy>(), default_value = "variant", help_heading = "Shards")]
    pub(crate) current_split: crate::analysis::SplitBy,

    /// The directory pytest node ids are relative to (pytest's rootdir), to find which part
    /// of a dotted classname is the file when the reports have no `file` attribute.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub(crate) root: PathBuf,

    /// nextest: the test binaries the project builds now, as `cargo nextest list --list-type
    /// binaries-only --message-format json` writes them. nextest refuses a whole filter that
    /// names a binary it does not build (a test file renamed or deleted), so tests of any other
    /// binary are left out, with a warning. Without it, the binaries none of whose tests ran
    /// in the window's newest 5 runs are.
    #[arg(long, value_name = "FILE")]
    pub(crate) nextest_binaries: Option<PathBuf>,

    /// Executed runs the analysis needs (quarantine and priority: `flaky`'s --min-runs,
    /// default 5; skip: `trim`'s, default 50).
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    pub(crate) min_runs: Option<usize>,

    /// priority: a file of the paths the change under test touched, one per line, or `-` for
    /// stdin (`git diff --name-only origin/main...HEAD`). Tests whose own test file is among
    /// them go first, with reason `changed`.
    #[arg(long, value_name = "FILE", help_heading = "Priority")]
    pub(crate) changed: Option<PathBuf>,

    /// quarantine, skip: write the list that runs only the selected tests (a runner format
    /// excludes every other test of the window), for a job that keeps quarantined or skipped
    /// tests running without gating on them, so their history goes on.
    #[arg(long)]
    pub(crate) only: bool,

    /// priority: only the N likeliest tests. A runner format (pytest, nextest, maven, gradle,
    /// jest, go) then excludes every other test, so the runner runs those N: a fail-fast stage
    /// before the full run.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Priority")]
    pub(crate) top: Option<u64>,

    /// priority: only the likeliest tests whose median times add up to this budget (`90s`,
    /// `5m`, `1.5h`; at least one test), as --top does by count; both may be given.
    #[arg(long, value_name = "TIME", value_parser = parse_budget, help_heading = "Priority")]
    pub(crate) budget: Option<f64>,

    /// skip: choose the largest list (by `trim --saving-share`) whose replay over the window,
    /// each run's list from the runs before it, missed at most this share of the failure runs.
    #[arg(long, default_value_t = 0.01, value_name = "SHARE", value_parser = parse_share, help_heading = "Thresholds")]
    pub(crate) max_miss: f64,

    /// A run in which more than this share of executed tests fail (and at least 5 ran) is an
    /// infrastructure failure and left out [default: testsift.toml's, else 0.8].
    #[arg(
        long,
        value_name = "SHARE",
        value_parser = parse_probability,
        help_heading = "Thresholds"
    )]
    pub(crate) infra_threshold: Option<f64>,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Artifact folders, report files or archives to ingest into the store first (as
    /// `testsift ingest PATH...` does; runs already in the store are skipped).
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,

    #[command(flatten)]
    pub(crate) store: StoreArg,

    #[command(flatten)]
    pub(crate) window: WindowArgs,

    /// Folder the three files are written to; created when missing.
    #[arg(long, default_value = "report", value_name = "DIR")]
    pub(crate) out: PathBuf,

    /// A report.json to compare with. Without it, the newest report kept in STORE/reports/ is
    /// used.
    #[arg(long, value_name = "FILE")]
    pub(crate) previous: Option<PathBuf>,

    /// Compare with no previous report.
    #[arg(long, conflicts_with = "previous")]
    pub(crate) no_previous: bool,

    /// How many levels below each PATH the run folders are (see `testsift ingest --help`).
    #[arg(long, value_name = "N")]
    pub(crate) run_depth: Option<usize>,

    /// Hide the progress (of the ingest and of the report) and the ingest summary; problems are
    /// still printed.
    #[arg(long, short)]
    pub(crate) quiet: bool,

    /// Executed runs a test needs before a flip alone can make it flaky (as in `testsift flaky`)
    /// [default: testsift.toml's, else 5].
    #[arg(long, value_name = "N", help_heading = "Thresholds")]
    pub(crate) min_runs: Option<usize>,

    /// Executed runs a test needs before it can be a trim candidate (as in `testsift trim`).
    #[arg(
        long,
        default_value_t = 50,
        value_name = "N",
        help_heading = "Thresholds"
    )]
    pub(crate) trim_min_runs: usize,

    /// A test listed as having no unique catch must cost at least this many percent of a run's
    /// test time (as `trim --min-saving`).
    #[arg(long, default_value_t = 100.0 * crate::analysis::trim::TrimOptions::default().min_saving, value_name = "PERCENT", value_parser = parse_percent, help_heading = "Thresholds")]
    pub(crate) trim_min_saving: f64,

    /// A suite is getting slower when its last-7-days median is this many percent above the 7
    /// days before; the same figure flags suites slower than in the previous report.
    #[arg(
        long,
        default_value_t = 20.0,
        value_name = "PERCENT",
        help_heading = "Thresholds"
    )]
    pub(crate) slower_threshold: f64,

    /// A run in which more than this share of executed tests fail (and at least 5 ran) is an
    /// infrastructure failure, left out of every analysis [default: testsift.toml's, else
    /// 0.8].
    #[arg(
        long,
        value_name = "SHARE",
        value_parser = parse_probability,
        help_heading = "Thresholds"
    )]
    pub(crate) infra_threshold: Option<f64>,

    /// Also append report.md to the file `$GITHUB_STEP_SUMMARY` names (the GitHub Actions job
    /// summary); without that variable, a note on stderr.
    #[arg(long)]
    pub(crate) summary: bool,

    /// How many copies of report.json STORE/reports/ keeps (the oldest are removed); at least
    /// 1, so that the next report has one to compare with.
    #[arg(long, default_value_t = 30, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) keep_reports: u32,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) store: StoreArg,

    /// Take every segment with a missing or damaged file out of the store (its folder moved
    /// into the store's `damaged` folder), in one commit, and name the runs it held, to ingest
    /// again from their artifacts. The whole segments, and their runs, are kept as they are.
    #[arg(long)]
    pub(crate) repair: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CompactArgs {
    #[command(flatten)]
    pub(crate) store: StoreArg,
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// Stores to read runs from (each a folder `testsift ingest` wrote).
    #[arg(required = true, value_name = "OTHER_STORE")]
    pub(crate) sources: Vec<PathBuf>,

    /// The store to add them to; created when it does not exist.
    #[command(flatten)]
    pub(crate) store: StoreArg,

    /// Hide the closing summary; warnings are still printed.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ForgetArgs {
    /// Run keys to remove (the `run` column: the run id, plus `#N` for attempt N > 1).
    #[arg(value_name = "RUN", required_unless_present = "before")]
    pub(crate) runs: Vec<String>,

    #[command(flatten)]
    pub(crate) store: StoreArg,

    /// Remove the named runs of this variant only (default: of every variant).
    #[arg(long)]
    pub(crate) variant: Option<String>,

    /// Also remove every run older than this, as RFC 3339 (2026-01-31T02:00:00Z), a date-time
    /// or a date taken as UTC.
    #[arg(long, value_parser = parse_timestamp, value_name = "DATE")]
    pub(crate) before: Option<jiff::Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}

/// What `backtest` replays.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum BacktestKind {
    /// The `select priority` order: how early each run's failures would have run.
    Priority,
    /// The `select skip` list: the failures only skipped tests showed, and the time saved.
    Skip,
    /// The `select shards` split: each shard's time against the split the history used.
    Shards,
}

/// What of `trim`'s candidates is worth acting on (`trim`, `backtest skip`).
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct TrimCutArgs {
    /// A candidate must cost at least this many percent of a run's test time to be listed.
    #[arg(long, default_value_t = 100.0 * crate::analysis::trim::TrimOptions::default().min_saving, value_name = "PERCENT", value_parser = parse_percent, help_heading = "Thresholds")]
    pub(crate) min_saving: f64,

    /// List candidates, most saving first, until they make up this many percent of what all of
    /// them save; the rest are counted in the summary, not listed.
    #[arg(long, default_value_t = 100.0 * crate::analysis::trim::TrimOptions::default().saving_share, value_name = "PERCENT", value_parser = parse_percent, help_heading = "Thresholds")]
    pub(crate) saving_share: f64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum RenamesFormat {
    Table,
    Json,
    /// `[[alias]]` entries for testsift.toml.
    Toml,
}

impl RenamesFormat {
    /// The shared format, or `None` for `toml`, which only `renames` writes.
    pub(crate) fn to_format(self) -> Option<Format> {
        match self {
            Self::Table => Some(Format::Table),
            Self::Json => Some(Format::Json),
            Self::Toml => None,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct RenamesArgs {
    #[command(flatten)]
    pub(crate) store: StoreArg,

    #[command(flatten)]
    pub(crate) window: WindowArgs,

    /// Output: a table with the evidence, JSON, or `[[alias]]` entries to paste into
    /// testsift.toml.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: RenamesFormat,

    /// Runs at the end of the window an old id must be absent from.
    #[arg(
        long,
        default_value_t = 3,
        value_name = "N",
        help_heading = "Thresholds"
    )]
    pub(crate) min_gone: usize,

    /// Runs allowed between the old id's last run and the new id's first.
    #[arg(
        long,
        default_value_t = 3,
        value_name = "N",
        help_heading = "Thresholds"
    )]
    pub(crate) max_gap: usize,

    /// The least score suggested (0 to 1).
    #[arg(long, default_value_t = 0.6, value_name = "SCORE", value_parser = parse_share, help_heading = "Thresholds")]
    pub(crate) min_score: f64,
}

#[derive(Debug, Args)]
pub(crate) struct BacktestArgs {
    /// The selection to replay.
    #[arg(value_enum)]
    pub(crate) kind: BacktestKind,

    #[command(flatten)]
    pub(crate) store: StoreArg,

    #[command(flatten)]
    pub(crate) window: WindowArgs,

    /// Runs at the start of the window that only train the model and are not scored.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub(crate) train_runs: usize,

    /// Seed of the random order it is compared with.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) seed: u64,

    /// priority: also replay a first stage of this much predicted test time (`90s`, `5m`,
    /// `1.5h`), as `select priority --budget` writes it: in how many failing runs it would
    /// have caught a failure.
    #[arg(long, value_name = "TIME", value_parser = parse_budget)]
    pub(crate) budget: Option<f64>,

    /// A run in which more than this share of executed tests fail (and at least 5 ran) is an
    /// infrastructure failure: neither scored nor learned from [default: testsift.toml's,
    /// else 0.8].
    #[arg(
        long,
        value_name = "SHARE",
        value_parser = parse_probability,
        help_heading = "Thresholds"
    )]
    pub(crate) infra_threshold: Option<f64>,

    /// skip: executed runs a test needs before it can be skipped (as `trim --min-runs`).
    #[arg(
        long,
        default_value_t = 50,
        value_name = "N",
        help_heading = "Thresholds"
    )]
    pub(crate) min_runs: usize,

    /// skip: the cut of what is worth skipping, as `trim`'s.
    #[command(flatten)]
    pub(crate) cut: TrimCutArgs,

    /// shards: shards for a pipeline that ran as one (a pipeline split in several keeps its
    /// own number).
    #[arg(long, default_value_t = 4, value_name = "K", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub(crate) shards: u64,

    /// shards: what a pipeline's own split is made of: its variants (jobs), or its report
    /// files (shards that write their own report within one job).
    #[arg(long, value_parser = choice::<crate::analysis::SplitBy>(), default_value = "variant")]
    pub(crate) current_split: crate::analysis::SplitBy,

    /// Output format: a table, JSON (versioned by `schema_version`), CSV (one line per order,
    /// or the missed runs, or the figures) or Markdown.
    #[arg(long, value_enum, default_value = "table")]
    pub(crate) format: OutputFormat,
}

/// The value parser for a [`Choice`]: its names, each with its help, as clap's possible values.
fn choice<T: Choice>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(
        T::ALL
            .iter()
            .map(|v| PossibleValue::new(v.name()).help(v.help())),
    )
    .try_map(|name| T::named(&name).ok_or_else(|| format!("no such value: {name:?}")))
}

/// A whole number of at least 1.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "expected a whole number of at least 1, got {text:?}"
        )),
    }
}

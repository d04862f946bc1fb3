//! Rows to columns: a run's folded rows are copied into one string arena per run (in the
//! parallel parse stage, so the reports can be dropped), and whole batches of runs become
//! DataFrames in the sequential stage. Also the runs and reports tables.

use super::schema::*;
use crate::fold::{Row, Status, write_family, write_test_id};
use polars::prelude::*;

type Span = (u32, u32);

/// One run's rows, owning their strings.
#[derive(Debug, Default)]
pub struct RunRows {
    pub run: String,
    pub variant: String,
    arena: String,
    reports: Vec<String>,
    rows: Vec<StoredRow>,
}

#[derive(Debug)]
struct StoredRow {
    suite: Span,
    classname: Span,
    name: Span,
    file: Span,
    line: Option<u32>,
    test_id: Span,
    family: Span,
    status: Status,
    attempts: u32,
    failed_attempts: u32,
    duration: Option<f64>,
    duration_last: Option<f64>,
    failure_type: Span,
    message: Span,
    fingerprint: Option<u64>,
    output: Span,
    report: u32,
    partial: bool,
}

impl RunRows {
    /// Copies `rows` (which borrow from parsed reports) into an owned form, naming each test.
    pub fn new(run: String, variant: String, rows: &[Row<'_>], reports: Vec<String>) -> RunRows {
        let bytes: usize = rows
            .iter()
            .map(|r| 2 * (r.scope().len() + r.name.len()) + r.suite.len() + r.message.len() + 16)
            .sum();
        let mut out = RunRows {
            run,
            variant,
            arena: String::with_capacity(bytes),
            reports,
            rows: Vec::with_capacity(rows.len()),
        };
        let mut scratch = String::new();
        for r in rows {
            let suite = out.push(r.suite);
            let classname = out.push(r.classname);
            let name = out.push(r.name);
            let file = out.push(r.file);
            write_test_id(&mut scratch, r.scope(), r.name);
            let test_id = out.push(&scratch);
            write_family(&mut scratch, r.scope(), r.name);
            let family = out.push(&scratch);
            let failure_type = out.push(r.failure_type);
            let message = out.push(r.message);
            let output = out.push(r.output);
            out.rows.push(StoredRow {
                suite,
                classname,
                name,
                file,
                line: r.line,
                test_id,
                family,
                status: r.status,
                attempts: r.attempts,
                failed_attempts: r.failed_attempts,
                duration: r.duration,
                duration_last: r.duration_last,
                failure_type,
                message,
                fingerprint: r.fingerprint,
                output,
                report: u32::try_from(r.report).unwrap_or(u32::MAX),
                partial: r.partial,
            });
        }
        out
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn push(&mut self, s: &str) -> Span {
        let start = self.arena.len();
        self.arena.push_str(s);
        (
            u32::try_from(start).unwrap_or(u32::MAX),
            u32::try_from(s.len()).unwrap_or(0),
        )
    }

    fn get(&self, (start, len): Span) -> &str {
        self.arena
            .get(start as usize..(start + len) as usize)
            .unwrap_or("")
    }

    fn opt(&self, s: Span) -> Option<&str> {
        (s.1 > 0).then(|| self.get(s))
    }
}

fn string_col<'a>(
    runs: &'a [RunRows],
    name: &str,
    f: impl Fn(&'a RunRows, &'a StoredRow) -> &'a str,
) -> Column {
    let it = runs
        .iter()
        .flat_map(|r| r.rows.iter().map(move |row| (r, row)))
        .map(|(r, row)| f(r, row));
    StringChunked::from_iter_values(name.into(), it).into_column()
}

fn opt_string_col<'a>(
    runs: &'a [RunRows],
    name: &str,
    f: impl Fn(&'a RunRows, &'a StoredRow) -> Option<&'a str>,
) -> Column {
    let it = runs
        .iter()
        .flat_map(|r| r.rows.iter().map(move |row| (r, row)))
        .map(|(r, row)| f(r, row));
    StringChunked::from_iter_options(name.into(), it).into_column()
}

fn rows(runs: &[RunRows]) -> impl Iterator<Item = &StoredRow> {
    runs.iter().flat_map(|r| r.rows.iter())
}

/// The executions table for a batch of runs.
pub fn executions_frame(runs: &[RunRows]) -> PolarsResult<DataFrame> {
    let height: usize = runs.iter().map(RunRows::len).sum();
    let columns = vec![
        string_col(runs, RUN, |r, _| &r.run),
        string_col(runs, VARIANT, |r, _| &r.variant),
        string_col(runs, SUITE, |r, row| r.get(row.suite)),
        string_col(runs, CLASSNAME, |r, row| r.get(row.classname)),
        string_col(runs, NAME, |r, row| r.get(row.name)),
        opt_string_col(runs, FILE, |r, row| r.opt(row.file)),
        UInt32Chunked::from_iter_options(LINE.into(), rows(runs).map(|r| r.line)).into_column(),
        string_col(runs, TEST_ID, |r, row| r.get(row.test_id)),
        string_col(runs, FAMILY, |r, row| r.get(row.family)),
        string_col(runs, STATUS, |_, row| row.status.as_str()),
        UInt32Chunked::from_iter_values(ATTEMPTS.into(), rows(runs).map(|r| r.attempts))
            .into_column(),
        UInt32Chunked::from_iter_values(
            FAILED_ATTEMPTS.into(),
            rows(runs).map(|r| r.failed_attempts),
        )
        .into_column(),
        Float64Chunked::from_iter_options(DURATION.into(), rows(runs).map(|r| r.duration))
            .into_column(),
        Float64Chunked::from_iter_options(
            DURATION_LAST.into(),
            rows(runs).map(|r| r.duration_last),
        )
        .into_column(),
        opt_string_col(runs, FAILURE_TYPE, |r, row| r.opt(row.failure_type)),
        opt_string_col(runs, MESSAGE, |r, row| r.opt(row.message)),
        UInt64Chunked::from_iter_options(FINGERPRINT.into(), rows(runs).map(|r| r.fingerprint))
            .into_column(),
        opt_string_col(runs, OUTPUT, |r, row| r.opt(row.output)),
        string_col(runs, REPORT, |r, row| {
            r.reports
                .get(row.report as usize)
                .map_or("", String::as_str)
        }),
        BooleanChunked::from_iter_values(PARTIAL.into(), rows(runs).map(|r| r.partial))
            .into_column(),
    ];
    DataFrame::new(height, columns)
}

pub fn executions_schema() -> Schema {
    let s = DataType::String;
    Schema::from_iter([
        Field::new(RUN.into(), s.clone()),
        Field::new(VARIANT.into(), s.clone()),
        Field::new(SUITE.into(), s.clone()),
        Field::new(CLASSNAME.into(), s.clone()),
        Field::new(NAME.into(), s.clone()),
        Field::new(FILE.into(), s.clone()),
        Field::new(LINE.into(), DataType::UInt32),
        Field::new(TEST_ID.into(), s.clone()),
        Field::new(FAMILY.into(), s.clone()),
        Field::new(STATUS.into(), s.clone()),
        Field::new(ATTEMPTS.into(), DataType::UInt32),
        Field::new(FAILED_ATTEMPTS.into(), DataType::UInt32),
        Field::new(DURATION.into(), DataType::Float64),
        Field::new(DURATION_LAST.into(), DataType::Float64),
        Field::new(FAILURE_TYPE.into(), s.clone()),
        Field::new(MESSAGE.into(), s.clone()),
        Field::new(FINGERPRINT.into(), DataType::UInt64),
        Field::new(OUTPUT.into(), s.clone()),
        Field::new(REPORT.into(), s),
        Field::new(PARTIAL.into(), DataType::Boolean),
    ])
}

/// One row of the runs table.
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    pub run: String,
    pub variant: String,
    pub run_id: String,
    pub attempt: Option<u32>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub job: Option<String>,
    pub pipeline: Option<String>,
    pub timestamp_ms: i64,
    pub time_source: &'static str,
    pub source: String,
    pub reports: u32,
    pub executions: u32,
    pub parse_errors: u32,
    pub extra: String,
}

fn utc_ms() -> DataType {
    DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
}

pub fn runs_frame(runs: &[RunRecord]) -> PolarsResult<DataFrame> {
    let s = |name: &str, f: fn(&RunRecord) -> &str| {
        StringChunked::from_iter_values(name.into(), runs.iter().map(f)).into_column()
    };
    let o = |name: &str, f: fn(&RunRecord) -> Option<&str>| {
        StringChunked::from_iter_options(name.into(), runs.iter().map(f)).into_column()
    };
    let u = |name: &str, f: fn(&RunRecord) -> u32| {
        UInt32Chunked::from_iter_values(name.into(), runs.iter().map(f)).into_column()
    };
    let ts = Int64Chunked::from_iter_values(TIMESTAMP.into(), runs.iter().map(|r| r.timestamp_ms))
        .into_column()
        .cast(&utc_ms())?;
    let columns = vec![
        s(RUN, |r| &r.run),
        s(VARIANT, |r| &r.variant),
        s(RUN_ID, |r| &r.run_id),
        UInt32Chunked::from_iter_options(ATTEMPT.into(), runs.iter().map(|r| r.attempt))
            .into_column(),
        o(COMMIT, |r| r.commit.as_deref()),
        o(BRANCH, |r| r.branch.as_deref()),
        o(JOB, |r| r.job.as_deref()),
        o(PIPELINE, |r| r.pipeline.as_deref()),
        ts,
        s(TIME_SOURCE, |r| r.time_source),
        s(SOURCE, |r| &r.source),
        u(REPORTS, |r| r.reports),
        u(EXECUTIONS, |r| r.executions),
        u(PARSE_ERRORS, |r| r.parse_errors),
        s(EXTRA, |r| &r.extra),
    ];
    DataFrame::new(runs.len(), columns)
}

pub fn runs_schema() -> Schema {
    let s = DataType::String;
    Schema::from_iter([
        Field::new(RUN.into(), s.clone()),
        Field::new(VARIANT.into(), s.clone()),
        Field::new(RUN_ID.into(), s.clone()),
        Field::new(ATTEMPT.into(), DataType::UInt32),
        Field::new(COMMIT.into(), s.clone()),
        Field::new(BRANCH.into(), s.clone()),
        Field::new(JOB.into(), s.clone()),
        Field::new(PIPELINE.into(), s.clone()),
        Field::new(TIMESTAMP.into(), utc_ms()),
        Field::new(TIME_SOURCE.into(), s.clone()),
        Field::new(SOURCE.into(), s.clone()),
        Field::new(REPORTS.into(), DataType::UInt32),
        Field::new(EXECUTIONS.into(), DataType::UInt32),
        Field::new(PARSE_ERRORS.into(), DataType::UInt32),
        Field::new(EXTRA.into(), s),
    ])
}

/// One row of the reports table.
#[derive(Debug, Clone, Default)]
pub struct ReportRecord {
    pub run: String,
    pub variant: String,
    pub path: String,
    pub size: u64,
    pub hash: String,
    pub cases: u32,
    pub status: &'static str,
    pub problems: String,
}

pub fn reports_frame(reports: &[ReportRecord]) -> PolarsResult<DataFrame> {
    let s = |name: &str, f: fn(&ReportRecord) -> &str| {
        StringChunked::from_iter_values(name.into(), reports.iter().map(f)).into_column()
    };
    let columns = vec![
        s(RUN, |r| &r.run),
        s(VARIANT, |r| &r.variant),
        s(PATH, |r| &r.path),
        UInt64Chunked::from_iter_values(SIZE.into(), reports.iter().map(|r| r.size)).into_column(),
        s(HASH, |r| &r.hash),
        UInt32Chunked::from_iter_values(CASES.into(), reports.iter().map(|r| r.cases))
            .into_column(),
        s(STATUS, |r| r.status),
        s(PROBLEMS, |r| &r.problems),
    ];
    DataFrame::new(reports.len(), columns)
}

pub fn reports_schema() -> Schema {
    let s = DataType::String;
    Schema::from_iter([
        Field::new(RUN.into(), s.clone()),
        Field::new(VARIANT.into(), s.clone()),
        Field::new(PATH.into(), s.clone()),
        Field::new(SIZE.into(), DataType::UInt64),
        Field::new(HASH.into(), s.clone()),
        Field::new(CASES.into(), DataType::UInt32),
        Field::new(STATUS.into(), s.clone()),
        Field::new(PROBLEMS.into(), s),
    ])
}

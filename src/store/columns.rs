//! The tables' columns. The executions table stores, per row, the run, a 64-bit test key and
//! the outcome; a test's names (suite, classname, name, file, line, report, test id, family)
//! are stored once per segment in the tests table under that key, and
//! [`crate::store::Store::executions`] joins them back. The schemas of both, and the runs and
//! reports tables with their frames; ingest's staged rows become executions and tests frames in
//! [`crate::ingest::stage`].

use super::schema::*;
use crate::domain::{Status, report_key, run_key};
use polars::prelude::*;

/// The columns of the stored executions file.
pub(crate) fn stored_executions_schema() -> Schema {
    let s = DataType::String;
    Schema::from_iter([
        Field::new(RUN_KEY.into(), DataType::UInt64),
        Field::new(TEST.into(), DataType::UInt64),
        Field::new(REPORT_KEY.into(), DataType::UInt64),
        Field::new(STATUS.into(), DataType::UInt32),
        Field::new(ATTEMPTS.into(), DataType::UInt32),
        Field::new(FAILED_ATTEMPTS.into(), DataType::UInt32),
        Field::new(DURATION.into(), DataType::Float64),
        Field::new(DURATION_LAST.into(), DataType::Float64),
        Field::new(FAILURE_TYPE.into(), s.clone()),
        Field::new(MESSAGE.into(), s.clone()),
        Field::new(FINGERPRINT.into(), DataType::UInt64),
        Field::new(OUTPUT.into(), s),
        Field::new(PARTIAL.into(), DataType::Boolean),
    ])
}

pub(crate) fn tests_schema() -> Schema {
    let s = DataType::String;
    Schema::from_iter([
        Field::new(TEST.into(), DataType::UInt64),
        Field::new(SUITE.into(), s.clone()),
        Field::new(CLASSNAME.into(), s.clone()),
        Field::new(NAME.into(), s.clone()),
        Field::new(FILE.into(), s.clone()),
        Field::new(LINE.into(), DataType::UInt32),
        Field::new(TEST_ID.into(), s.clone()),
        Field::new(FAMILY.into(), s),
    ])
}

/// The executions as readers see them: the stored columns with the test's names joined back,
/// in this order.
pub(crate) fn executions_schema() -> Schema {
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
        Field::new(TEST.into(), DataType::UInt64),
    ])
}

/// Status codes and names, for turning stored codes back into names.
pub(crate) fn status_frame() -> PolarsResult<DataFrame> {
    let codes =
        UInt32Chunked::from_iter_values(STATUS.into(), Status::ALL.iter().map(|s| s.code()));
    let names = StringChunked::from_iter_values(
        "status_name".into(),
        Status::ALL.iter().map(|s| s.as_str()),
    );
    DataFrame::new(
        Status::ALL.len(),
        vec![codes.into_column(), names.into_column()],
    )
}

/// One row of the runs table.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunRecord {
    pub(crate) run: String,
    pub(crate) variant: String,
    pub(crate) run_id: String,
    pub(crate) attempt: Option<u32>,
    pub(crate) commit: Option<String>,
    pub(crate) branch: Option<String>,
    pub(crate) job: Option<String>,
    pub(crate) pipeline: Option<String>,
    pub(crate) timestamp_ms: i64,
    pub(crate) time_source: &'static str,
    pub(crate) source: String,
    pub(crate) reports: u32,
    pub(crate) executions: u32,
    pub(crate) parse_errors: u32,
    pub(crate) extra: String,
}

fn utc_ms() -> DataType {
    DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
}

pub(crate) fn runs_frame(runs: &[RunRecord]) -> PolarsResult<DataFrame> {
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
        UInt64Chunked::from_iter_values(
            RUN_KEY.into(),
            runs.iter().map(|r| run_key(&r.run, &r.variant)),
        )
        .into_column(),
    ];
    DataFrame::new(runs.len(), columns)
}

pub(crate) fn runs_schema() -> Schema {
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
        Field::new(RUN_KEY.into(), DataType::UInt64),
    ])
}

/// One row of the reports table.
/// How a report file was read, as the reports table stores it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum ReportStatus {
    /// Read without a problem.
    #[default]
    Ok,
    /// Read whole, with warnings.
    Warning,
    /// Not read, or not all of it.
    Error,
}

impl ReportStatus {
    /// The stored word.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Ok => "ok",
            ReportStatus::Warning => "warning",
            ReportStatus::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ReportRecord {
    pub(crate) run: String,
    pub(crate) variant: String,
    pub(crate) path: String,
    pub(crate) size: u64,
    pub(crate) hash: String,
    pub(crate) cases: u32,
    pub(crate) status: ReportStatus,
    pub(crate) problems: String,
}

pub(crate) fn reports_frame(reports: &[ReportRecord]) -> PolarsResult<DataFrame> {
    // A run's reports are consecutive, in the order its rows number them.
    let mut keys = Vec::with_capacity(reports.len());
    let mut position = 0u32;
    for (i, r) in reports.iter().enumerate() {
        let same_run = i > 0
            && reports
                .get(i - 1)
                .is_some_and(|p| p.run == r.run && p.variant == r.variant);
        position = if same_run { position + 1 } else { 0 };
        keys.push(report_key(run_key(&r.run, &r.variant), position));
    }
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
        s(STATUS, |r| r.status.as_str()),
        s(PROBLEMS, |r| &r.problems),
        UInt64Chunked::from_vec(REPORT_KEY.into(), keys).into_column(),
    ];
    DataFrame::new(reports.len(), columns)
}

pub(crate) fn reports_schema() -> Schema {
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
        Field::new(REPORT_KEY.into(), DataType::UInt64),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_numbered_within_their_run() {
        let record = |run: &str, path: &str| ReportRecord {
            run: run.into(),
            path: path.into(),
            ..ReportRecord::default()
        };
        let df =
            reports_frame(&[record("a", "x"), record("a", "y"), record("b", "z")]).expect("frame");
        let keys: Vec<Option<u64>> = df
            .column(REPORT_KEY)
            .and_then(|c| c.u64().cloned())
            .expect("u64 column")
            .iter()
            .collect();
        let a = run_key("a", "");
        let b = run_key("b", "");
        assert_eq!(
            keys,
            [
                Some(report_key(a, 0)),
                Some(report_key(a, 1)),
                Some(report_key(b, 0))
            ]
        );
    }
}

//! Rows to columns. The executions table stores, per row, the run, a 64-bit test key and the
//! outcome; a test's names (suite, classname, name, file, line, report, test id, family) are
//! stored once per segment in the tests table under that key, and [`crate::store::Store::executions`]
//! joins them back. A run's rows are reduced to that form in the parallel parse stage (so the
//! reports can be dropped, and a test's names are copied and named only the first time an ingest
//! sees the test); whole batches of runs become DataFrames in the sequential stage. Also the runs
//! and reports tables.

use super::schema::*;
use crate::fold::{Row, Status, write_family, write_test_id};
use polars::prelude::*;
use polars_arrow::array::MutableBinaryViewArray;
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use rustc_hash::FxHashSet;
use std::sync::Mutex;

type Span = (u32, u32);

/// The test keys an ingest has already given names for, shared by the parallel parse stage so
/// that each test's names are copied once per ingest rather than once per run.
#[derive(Debug, Default)]
pub struct TestRegistry {
    seen: Mutex<FxHashSet<u64>>,
}

impl TestRegistry {
    /// Marks `keys` as seen; returns, per key, whether it was new.
    fn register(&self, keys: &[u64]) -> Vec<bool> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter().map(|k| seen.insert(*k)).collect()
    }
}

/// The key of a test: a hash of everything that names it. Two rows with the same suite,
/// classname, name, file and line share one row of the tests table. Each part is hashed with
/// the hash of the parts before it as the seed (xxh3-64 takes the length of what it hashes into
/// account, so parts cannot run together), and the parts a report's consecutive tests share
/// (suite, classname, file) come first, so that [`TestKeys`] hashes them once per run of equal
/// ones rather than once per test.
pub fn test_key(suite: &str, classname: &str, name: &str, file: &str, line: Option<u32>) -> u64 {
    name_key(scope_key(suite, classname, file), name, line)
}

fn scope_key(suite: &str, classname: &str, file: &str) -> u64 {
    use xxhash_rust::xxh3::xxh3_64_with_seed as h;
    h(
        file.as_bytes(),
        h(classname.as_bytes(), h(suite.as_bytes(), 0)),
    )
}

/// The same string in memory (or both empty).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.is_empty() || std::ptr::eq(a.as_ptr(), b.as_ptr()))
}

fn name_key(scope: u64, name: &str, line: Option<u32>) -> u64 {
    use xxhash_rust::xxh3::xxh3_64_with_seed as h;
    let seed = line.map_or(scope, |line| h(&line.to_le_bytes(), scope));
    h(name.as_bytes(), seed)
}

/// The hash of some key parts, kept while the next parts asked for are the same strings in
/// memory (the parser gives consecutive cases of a class one copy of its name): comparing
/// contents would read every name once more, from memory long out of the core's cache.
#[derive(Default)]
pub struct LastHash<'a, const N: usize> {
    last: Option<([&'a str; N], u64)>,
}

impl<'a, const N: usize> LastHash<'a, N> {
    /// The hash of `parts`, computed with `hash` unless the last parts were the same.
    pub fn get(&mut self, parts: [&'a str; N], hash: impl FnOnce(&[&'a str; N]) -> u64) -> u64 {
        match &self.last {
            Some((last, h)) if last.iter().zip(&parts).all(|(a, b)| same(a, b)) => *h,
            _ => {
                let h = hash(&parts);
                self.last = Some((parts, h));
                h
            }
        }
    }
}

/// [`test_key`] for a sequence of tests, reusing the hash of the suite, classname and file
/// while they stay the same from one test to the next.
#[derive(Default)]
pub struct TestKeys<'a> {
    scopes: LastHash<'a, 3>,
}

impl<'a> TestKeys<'a> {
    pub fn key(
        &mut self,
        suite: &'a str,
        classname: &'a str,
        name: &str,
        file: &'a str,
        line: Option<u32>,
    ) -> u64 {
        let scope = self
            .scopes
            .get([suite, classname, file], |&[s, c, f]| scope_key(s, c, f));
        name_key(scope, name, line)
    }
}

fn push_text(arena: &mut String, s: &str) -> Span {
    if s.is_empty() {
        return (0, 0);
    }
    let start = arena.len();
    arena.push_str(s);
    (
        u32::try_from(start).unwrap_or(u32::MAX),
        u32::try_from(s.len()).unwrap_or(0),
    )
}

/// The key of a run: a hash of its run key and variant.
pub fn run_key(run: &str, variant: &str) -> u64 {
    let mut scratch = Vec::new();
    for part in [run, variant] {
        scratch.extend_from_slice(&(part.len() as u64).to_le_bytes());
        scratch.extend_from_slice(part.as_bytes());
    }
    xxhash_rust::xxh3::xxh3_64(&scratch)
}

/// The key of a report: a hash of its run's key and its position among the run's reports.
pub fn report_key(run_key: u64, position: u32) -> u64 {
    let mut bytes = [0u8; 12];
    bytes[..8].copy_from_slice(&run_key.to_le_bytes());
    bytes[8..].copy_from_slice(&position.to_le_bytes());
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

/// One run's rows, owning what they need once the reports are gone, column by column (so that
/// a batch's columns are a copy of each run's, and the per-row work is done in the parallel
/// parse stage).
#[derive(Debug, Default)]
pub struct RunRows {
    pub run: String,
    pub variant: String,
    key: u64,
    arena: String,
    tests: Vec<StoredTest>,
    test: Vec<u64>,
    report_key: Vec<u64>,
    status: Vec<u32>,
    attempts: Vec<u32>,
    failed_attempts: Vec<u32>,
    /// NaN where unknown (a parsed duration is never NaN).
    duration: Vec<f64>,
    duration_last: Vec<f64>,
    /// How many durations (of both columns) are unknown.
    unknown_durations: usize,
    partial: Vec<bool>,
    /// The rows that have them, with their values: most rows passed and have none.
    fingerprints: Vec<(u32, u64)>,
    failure_types: Vec<(u32, Span)>,
    messages: Vec<(u32, Span)>,
    outputs: Vec<(u32, Span)>,
}

/// A test seen for the first time in this ingest.
#[derive(Debug)]
struct StoredTest {
    key: u64,
    suite: Span,
    classname: Span,
    name: Span,
    file: Span,
    line: Option<u32>,
    test_id: Span,
    family: Span,
}

impl RunRows {
    /// Reduces `rows` (which borrow from parsed reports) to keys and outcomes, naming the tests
    /// `registry` has not seen before in this ingest.
    pub fn new(run: String, variant: String, rows: &[Row<'_>], registry: &TestRegistry) -> RunRows {
        let keys: Vec<u64> = rows.iter().map(|r| r.key).collect();
        let new = registry.register(&keys);
        let n = rows.len();
        let key = run_key(&run, &variant);
        let mut out = RunRows {
            key,
            run,
            variant,
            test: keys,
            report_key: Vec::with_capacity(n),
            status: Vec::with_capacity(n),
            attempts: Vec::with_capacity(n),
            failed_attempts: Vec::with_capacity(n),
            duration: Vec::with_capacity(n),
            duration_last: Vec::with_capacity(n),
            partial: Vec::with_capacity(n),
            ..RunRows::default()
        };
        // Report keys hashed once per report, not once per row. A run has a handful of
        // reports; the bound only keeps an absurd index from filling the list.
        let mut report_keys: Vec<u64> = Vec::new();
        let mut scratch = String::new();
        for (i, (r, &is_new)) in rows.iter().zip(&new).enumerate() {
            let row = u32::try_from(i).unwrap_or(u32::MAX);
            if is_new {
                let suite = out.push(r.suite);
                let classname = out.push(r.classname);
                let name = out.push(r.name);
                let file = out.push(r.file);
                write_test_id(&mut scratch, r.scope(), r.name);
                let test_id = out.push(&scratch);
                write_family(&mut scratch, r.scope(), r.name);
                let family = out.push(&scratch);
                out.tests.push(StoredTest {
                    key: r.key,
                    suite,
                    classname,
                    name,
                    file,
                    line: r.line,
                    test_id,
                    family,
                });
            }
            while report_keys.len() <= r.report && report_keys.len() < 1 << 16 {
                let at = u32::try_from(report_keys.len()).unwrap_or(u32::MAX);
                report_keys.push(report_key(key, at));
            }
            let report = report_keys
                .get(r.report)
                .copied()
                .unwrap_or_else(|| report_key(key, u32::try_from(r.report).unwrap_or(u32::MAX)));
            out.report_key.push(report);
            out.status.push(r.status.code());
            out.attempts.push(r.attempts);
            out.failed_attempts.push(r.failed_attempts);
            out.unknown_durations +=
                usize::from(r.duration.is_none()) + usize::from(r.duration_last.is_none());
            out.duration.push(r.duration.unwrap_or(f64::NAN));
            out.duration_last.push(r.duration_last.unwrap_or(f64::NAN));
            out.partial.push(r.partial);
            if let Some(fingerprint) = r.fingerprint {
                out.fingerprints.push((row, fingerprint));
            }
            for (text, list) in [
                (r.failure_type, &mut out.failure_types),
                (r.message, &mut out.messages),
                (r.output, &mut out.outputs),
            ] {
                if !text.is_empty() {
                    list.push((row, push_text(&mut out.arena, text)));
                }
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.test.len()
    }

    pub fn is_empty(&self) -> bool {
        self.test.is_empty()
    }

    /// The same run without its rows: only the names of the tests it saw first.
    pub fn names_only(self) -> RunRows {
        RunRows {
            run: self.run,
            variant: self.variant,
            key: self.key,
            arena: self.arena,
            tests: self.tests,
            ..RunRows::default()
        }
    }

    /// Tests named for the first time in this ingest by this run.
    pub fn new_tests(&self) -> usize {
        self.tests.len()
    }

    fn push(&mut self, s: &str) -> Span {
        push_text(&mut self.arena, s)
    }

    fn get(&self, (start, len): Span) -> &str {
        self.arena
            .get(start as usize..(start as usize).saturating_add(len as usize))
            .unwrap_or("")
    }

    fn opt(&self, s: Span) -> Option<&str> {
        (s.1 > 0).then(|| self.get(s))
    }
}

fn tests(runs: &[RunRows]) -> impl Iterator<Item = (&RunRows, &StoredTest)> {
    ExactLen {
        left: runs.iter().map(|r| r.tests.len()).sum(),
        inner: runs
            .iter()
            .flat_map(|r| r.tests.iter().map(move |t| (r, t))),
    }
}

/// A flattened iterator that knows its length, so that columns built from it are allocated
/// once at their final size instead of doubling (and copying) their way there.
struct ExactLen<I> {
    inner: I,
    left: usize,
}

impl<I: Iterator> Iterator for ExactLen<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next()?;
        self.left = self.left.saturating_sub(1);
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// The stored executions table (test names by key) for a batch of runs.
pub fn executions_frame(runs: &[RunRows]) -> PolarsResult<DataFrame> {
    let height: usize = runs.iter().map(RunRows::len).sum();
    // Each column a copy of the runs' columns, one after the other.
    fn concat<T: Copy>(runs: &[RunRows], height: usize, f: fn(&RunRows) -> &[T]) -> Vec<T> {
        let mut out = Vec::with_capacity(height);
        runs.iter().for_each(|r| out.extend_from_slice(f(r)));
        out
    }
    let mut run_keys = Vec::with_capacity(height);
    runs.iter()
        .for_each(|r| run_keys.extend(std::iter::repeat_n(r.key, r.len())));
    let unknown_durations = runs.iter().any(|r| r.unknown_durations > 0);
    let durations = |name: &str, f: fn(&RunRows) -> &[f64]| {
        let values = concat(runs, height, f);
        if unknown_durations {
            let known: MutableBitmap = values.iter().map(|v| !v.is_nan()).collect();
            Float64Chunked::from_vec_validity(name.into(), values, Some(known.into())).into_column()
        } else {
            Float64Chunked::from_vec(name.into(), values).into_column()
        }
    };
    // Sparse columns: the values at the rows that have one, nulls in between.
    let mut fingerprints = vec![0u64; height];
    let mut fingerprint_known = MutableBitmap::from_len_zeroed(height);
    let mut failure_types = SparseStrings::with_capacity(height);
    let mut messages = SparseStrings::with_capacity(height);
    let mut outputs = SparseStrings::with_capacity(height);
    let mut offset = 0;
    for r in runs {
        for &(row, value) in &r.fingerprints {
            let at = offset + row as usize;
            if let Some(slot) = fingerprints.get_mut(at) {
                *slot = value;
                fingerprint_known.set(at, true);
            }
        }
        failure_types.extend(r, offset, &r.failure_types);
        messages.extend(r, offset, &r.messages);
        outputs.extend(r, offset, &r.outputs);
        offset += r.len();
    }
    let fingerprint_known = Bitmap::from(fingerprint_known);
    let fingerprint_known = (fingerprint_known.unset_bits() > 0).then_some(fingerprint_known);
    let columns = vec![
        UInt64Chunked::from_vec(RUN_KEY.into(), run_keys).into_column(),
        UInt64Chunked::from_vec(TEST.into(), concat(runs, height, |r| &r.test)).into_column(),
        UInt64Chunked::from_vec(REPORT_KEY.into(), concat(runs, height, |r| &r.report_key))
            .into_column(),
        UInt32Chunked::from_vec(STATUS.into(), concat(runs, height, |r| &r.status)).into_column(),
        UInt32Chunked::from_vec(ATTEMPTS.into(), concat(runs, height, |r| &r.attempts))
            .into_column(),
        UInt32Chunked::from_vec(
            FAILED_ATTEMPTS.into(),
            concat(runs, height, |r| &r.failed_attempts),
        )
        .into_column(),
        durations(DURATION, |r| &r.duration),
        durations(DURATION_LAST, |r| &r.duration_last),
        failure_types.finish(FAILURE_TYPE, height),
        messages.finish(MESSAGE, height),
        UInt64Chunked::from_vec_validity(FINGERPRINT.into(), fingerprints, fingerprint_known)
            .into_column(),
        outputs.finish(OUTPUT, height),
        BooleanChunked::from_iter_values(
            PARTIAL.into(),
            runs.iter().flat_map(|r| r.partial.iter().copied()),
        )
        .into_column(),
    ];
    DataFrame::new(height, columns)
}

/// A string column that is mostly null (failure messages, output excerpts), built from the
/// rows that have a value: the nulls between two values go in with one call.
struct SparseStrings {
    values: MutableBinaryViewArray<str>,
    len: usize,
}

impl SparseStrings {
    fn with_capacity(height: usize) -> Self {
        SparseStrings {
            values: MutableBinaryViewArray::with_capacity(height),
            len: 0,
        }
    }

    /// Appends `run`'s values, its row 0 being row `offset` of the column.
    fn extend(&mut self, run: &RunRows, offset: usize, values: &[(u32, Span)]) {
        for &(row, span) in values {
            let at = offset + row as usize;
            if at < self.len {
                continue;
            }
            self.values.extend_null(at - self.len);
            self.values.push_value(run.get(span));
            self.len = at + 1;
        }
    }

    fn finish(mut self, name: &str, height: usize) -> Column {
        self.values.extend_null(height.saturating_sub(self.len));
        StringChunked::with_chunk(name.into(), self.values.freeze()).into_column()
    }
}

/// The columns of the stored executions file.
pub fn stored_executions_schema() -> Schema {
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

/// The tests table for the tests named by a batch of runs.
pub fn tests_frame(runs: &[RunRows]) -> PolarsResult<DataFrame> {
    let height: usize = runs.iter().map(RunRows::new_tests).sum();
    let str_col = |name: &str, f: fn(&StoredTest) -> Span| {
        StringChunked::from_iter_values(name.into(), tests(runs).map(|(r, t)| r.get(f(t))))
            .into_column()
    };
    let columns = vec![
        UInt64Chunked::from_iter_values(TEST.into(), tests(runs).map(|(_, t)| t.key)).into_column(),
        str_col(SUITE, |t| t.suite),
        str_col(CLASSNAME, |t| t.classname),
        str_col(NAME, |t| t.name),
        StringChunked::from_iter_options(FILE.into(), tests(runs).map(|(r, t)| r.opt(t.file)))
            .into_column(),
        UInt32Chunked::from_iter_options(LINE.into(), tests(runs).map(|(_, t)| t.line))
            .into_column(),
        str_col(TEST_ID, |t| t.test_id),
        str_col(FAMILY, |t| t.family),
    ];
    DataFrame::new(height, columns)
}

pub fn tests_schema() -> Schema {
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
        Field::new(TEST.into(), DataType::UInt64),
    ])
}

/// Status codes and names, for turning stored codes back into names.
pub fn status_frame() -> PolarsResult<DataFrame> {
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
        UInt64Chunked::from_iter_values(
            RUN_KEY.into(),
            runs.iter().map(|r| run_key(&r.run, &r.variant)),
        )
        .into_column(),
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
        Field::new(RUN_KEY.into(), DataType::UInt64),
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
        s(STATUS, |r| r.status),
        s(PROBLEMS, |r| &r.problems),
        UInt64Chunked::from_vec(REPORT_KEY.into(), keys).into_column(),
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
        Field::new(REPORT_KEY.into(), DataType::UInt64),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_do_not_run_fields_together() {
        // A character moved across each boundary between two parts gives another key.
        let key = |s, c, n, f| test_key(s, c, n, f, None);
        assert_ne!(key("ab", "c", "n", "f"), key("a", "bc", "n", "f"));
        assert_ne!(key("s", "ab", "c", "f"), key("s", "a", "bc", "f"));
        assert_ne!(key("s", "c", "nf", ""), key("s", "c", "n", "f"));
        assert_ne!(key("s", "cf", "n", ""), key("s", "c", "n", "f"));
        assert_ne!(key("", "s", "n", ""), key("s", "", "n", ""));
        assert_ne!(
            test_key("s", "a", "b", "", Some(0)),
            test_key("s", "a", "b", "", None)
        );
        assert_ne!(
            test_key("s", "a", "b", "", Some(1)),
            test_key("s", "a", "b", "", Some(2))
        );
        assert_eq!(key("s", "ab", "c", ""), key("s", "ab", "c", ""));
        assert_ne!(run_key("1", "linux"), run_key("1l", "inux"));
        assert_ne!(report_key(7, 0), report_key(7, 1));
    }

    #[test]
    fn keys_of_a_sequence_are_the_keys_of_each_test() {
        let tests = [
            ("s", "A", "t1", "a.py", Some(3)),
            ("s", "A", "t2", "a.py", Some(9)),
            ("s", "A", "t2", "a.py", None),
            ("s", "B", "t1", "a.py", Some(3)),
            ("s", "B", "t1", "b.py", Some(3)),
            ("s2", "B", "t1", "b.py", Some(3)),
            ("s", "A", "t1", "a.py", Some(3)),
        ];
        let mut keys = TestKeys::default();
        let got: Vec<u64> = tests
            .iter()
            .map(|&(s, c, n, f, l)| keys.key(s, c, n, f, l))
            .collect();
        let want: Vec<u64> = tests
            .iter()
            .map(|&(s, c, n, f, l)| test_key(s, c, n, f, l))
            .collect();
        assert_eq!(got, want);
        assert_eq!(got[0], got[6]);
        let distinct: std::collections::HashSet<_> = got[..6].iter().collect();
        assert_eq!(distinct.len(), 6);
    }

    #[test]
    fn registry_names_each_test_once() {
        let registry = TestRegistry::default();
        assert_eq!(registry.register(&[1, 2]), [true, true]);
        assert_eq!(registry.register(&[2, 3, 3]), [false, true, false]);
    }

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

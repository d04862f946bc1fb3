//! The window loaded once: its runs, the names its executions point at as dictionaries, and
//! the executions themselves as typed columns (about 30 bytes a row). Every analysis is a
//! function of a [`Window`]; `report` loads one and hands it to all of them.
//!
//! The stored executions come from the streaming engine a batch of rows at a time, each batch
//! dropped once read, and keep their stored order: a run's rows together, in the order the
//! tests appear in its reports. That is the order the per-run work needs (a report's counts and
//! times, the replays' runner order); the per-test work (`flaky`, `load`, `select`'s history)
//! groups the rows by test once (a pass to size each group, one to fill it). Names are read
//! once from the tests and reports tables, never joined per row. A read that a concurrent
//! compaction cut short is read again (`Store::reading`).

use super::{RunInfo, WindowSpec, runs_in_window};
use crate::analysis::{AnalysisError, query_err};
use crate::domain::{Status, run_key};
use crate::store::Store;
use crate::store::batches::for_each_batch;
use crate::store::schema::*;
use polars::prelude::*;
use polars_arrow::array::{Array, PrimitiveArray, Utf8ViewArray};
use rustc_hash::FxHashMap;

/// The names of a stored test key (a null read as empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct KeyNames {
    /// Index into [`Window::tests`].
    pub(crate) test: u32,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) family: String,
    pub(crate) suite: String,
    pub(crate) file: String,
    pub(crate) line: Option<u32>,
}

/// One test id (after testsift.toml's aliases), named by the first test key that carries it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TestNames {
    pub(crate) test_id: String,
    /// Index into [`Window::keys`] of that first key.
    pub(crate) first_key: u32,
}

/// One report key of the stored rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReportName {
    /// None for rows without a report key.
    pub(crate) key: Option<u64>,
    /// Empty when the reports table does not know the key.
    pub(crate) path: String,
}

/// The executions of the window, one entry per row in each column, in stored order.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    /// Position of the run in [`Window::runs`].
    pub(crate) run: Vec<u32>,
    /// Index into [`Window::keys`].
    pub(crate) key: Vec<u32>,
    /// Index into [`Window::reports`].
    pub(crate) report: Vec<u32>,
    /// None when the stored code is not a status.
    pub(crate) status: Vec<Option<Status>>,
    /// Attempts within the run (1 when not given), saturated at `u16::MAX`.
    pub(crate) attempts: Vec<u16>,
    /// Failed attempts (0 when not given), saturated at `u16::MAX`.
    pub(crate) failed_attempts: Vec<u16>,
    /// Seconds; NaN when the report gave none (see [`Rows::duration`]).
    pub(crate) seconds: Vec<f64>,
}

impl Rows {
    pub(crate) fn len(&self) -> usize {
        self.run.len()
    }

    /// The duration row `i`'s report gave, if any.
    pub(crate) fn duration(&self, i: usize) -> Option<f64> {
        let s = self.seconds[i];
        (!s.is_nan()).then_some(s)
    }
}

/// What is kept of a failed, errored or retried row beyond its columns.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// Index into [`Rows`].
    pub(crate) row: u32,
    pub(crate) fingerprint: Option<u64>,
    pub(crate) message: Option<Box<str>>,
    /// The last attempt's duration, for a retried row's retry time.
    pub(crate) last_attempt: Option<f64>,
}

/// A window of the history, loaded once.
#[derive(Debug, Default)]
pub(crate) struct Window {
    /// Oldest first, in the one run order ([`super::run_order`]).
    pub(crate) runs: Vec<RunInfo>,
    /// Per run: index into `variants`.
    pub(crate) run_variant: Vec<u32>,
    /// The variants, in the order runs first name them.
    pub(crate) variants: Vec<String>,
    /// One per test id, in the order the tests tables first name them.
    pub(crate) tests: Vec<TestNames>,
    /// One per stored test key, in the tests tables' order.
    pub(crate) keys: Vec<KeyNames>,
    /// One per report key, in the order the stored rows (in or out of the window) first
    /// name them.
    pub(crate) reports: Vec<ReportName>,
    pub(crate) rows: Rows,
    /// Of the failed, errored and retried rows, in row order.
    pub(crate) failures: Vec<Failure>,
}

/// Bytes the columns of [`Rows`] take per row.
const ROW_BYTES: usize = 3 * std::mem::size_of::<u32>()
    + std::mem::size_of::<Option<Status>>()
    + 2 * std::mem::size_of::<u16>()
    + std::mem::size_of::<f64>();

impl Window {
    /// Loads the runs `spec` selects and their executions.
    pub(crate) fn load(store: &Store, spec: &WindowSpec) -> Result<Window, AnalysisError> {
        Window::load_in_batches(store, spec, None)
    }

    /// [`Window::load`], the stored executions read `batch_rows` at a time (the streaming
    /// engine's choice when None); the window does not depend on it.
    pub(crate) fn load_in_batches(
        store: &Store,
        spec: &WindowSpec,
        batch_rows: Option<std::num::NonZeroUsize>,
    ) -> Result<Window, AnalysisError> {
        // Each of the two reads is read again on its own if a writer replaces segments under it.
        let runs = runs_in_window(store, spec)?;
        Window::of_runs(store, runs, batch_rows)
    }

    /// Loads the executions of `runs` (in window order).
    pub(crate) fn of_runs(
        store: &Store,
        runs: Vec<RunInfo>,
        batch_rows: Option<std::num::NonZeroUsize>,
    ) -> Result<Window, AnalysisError> {
        store.reading(|| Window::read(store, runs.clone(), batch_rows))
    }

    fn read(
        store: &Store,
        runs: Vec<RunInfo>,
        batch_rows: Option<std::num::NonZeroUsize>,
    ) -> Result<Window, AnalysisError> {
        let err = || query_err(store);
        let mut w = Window {
            run_variant: Vec::with_capacity(runs.len()),
            ..Window::default()
        };
        let mut run_pos: FxHashMap<u64, u32> = FxHashMap::default();
        for (i, r) in runs.iter().enumerate() {
            let v = match w.variants.iter().position(|v| *v == r.variant) {
                Some(v) => v,
                None => {
                    w.variants.push(r.variant.clone());
                    w.variants.len() - 1
                }
            };
            w.run_variant.push(index(v));
            run_pos.insert(run_key(&r.run, &r.variant), index(i));
        }
        w.runs = runs;
        if w.runs.is_empty() {
            return Ok(w);
        }
        let key_index = w.read_keys(store)?;
        let paths = report_paths(store)?;

        let mut reader = Reader {
            run_pos: &run_pos,
            key_index: &key_index,
            paths: &paths,
            report_index: FxHashMap::default(),
            last_report: None,
            last_run: None,
            window: w,
        };
        reader.reserve(store)?;
        let scan = store.stored_executions()?.select([
            col(RUN_KEY),
            col(TEST),
            col(REPORT_KEY),
            col(STATUS),
            col(ATTEMPTS),
            col(FAILED_ATTEMPTS),
            col(DURATION),
            col(DURATION_LAST),
            col(MESSAGE),
            col(FINGERPRINT),
        ]);
        for_each_batch(scan, batch_rows, |mut batch| {
            for part in batch.split_chunks() {
                reader.read(&Columns::of(&part)?);
            }
            Ok(())
        })
        .map_err(err())?;
        let mut w = reader.window;
        w.rows.shrink_to_fit();
        w.failures.shrink_to_fit();
        Ok(w)
    }

    /// Reads the tests tables: each stored test key's names and test id. Returns test key ->
    /// index into `keys`.
    fn read_keys(&mut self, store: &Store) -> Result<FxHashMap<u64, u32>, AnalysisError> {
        let err = || query_err(store);
        let df = store
            .tests()?
            .select([
                col(TEST),
                col(TEST_ID),
                col(CLASSNAME),
                col(NAME),
                col(FAMILY),
                col(SUITE),
                col(FILE),
                col(LINE),
            ])
            .collect()
            .map_err(err())?;
        let text =
            |name: &str| -> PolarsResult<StringChunked> { Ok(df.column(name)?.str()?.clone()) };
        let read = || -> PolarsResult<_> {
            Ok((
                df.column(TEST)?.u64()?.clone(),
                [
                    text(TEST_ID)?,
                    text(CLASSNAME)?,
                    text(NAME)?,
                    text(FAMILY)?,
                    text(SUITE)?,
                    text(FILE)?,
                ],
            ))
        };
        let (key, [test_id, classname, name, family, suite, file]) = read().map_err(err())?;
        let line = df
            .column(LINE)
            .and_then(|c| c.u32().cloned())
            .map_err(err())?;
        let mut key_index: FxHashMap<u64, u32> = FxHashMap::default();
        let mut test_index: FxHashMap<String, u32> = FxHashMap::default();
        for i in 0..df.height() {
            let (Some(k), Some(id)) = (key.get(i), test_id.get(i)) else {
                continue;
            };
            if key_index.contains_key(&k) {
                continue;
            }
            let id = crate::config::alias_of(id);
            let k_at = index(self.keys.len());
            let test = match test_index.get(id) {
                Some(&t) => t,
                None => {
                    let t = index(self.tests.len());
                    self.tests.push(TestNames {
                        test_id: id.to_string(),
                        first_key: k_at,
                    });
                    test_index.insert(id.to_string(), t);
                    t
                }
            };
            let get = |c: &StringChunked| c.get(i).unwrap_or_default().to_string();
            self.keys.push(KeyNames {
                test,
                classname: get(&classname),
                name: get(&name),
                family: get(&family),
                suite: get(&suite),
                file: get(&file),
                line: line.get(i),
            });
            key_index.insert(k, k_at);
        }
        Ok(key_index)
    }

    /// The test id of row `i`.
    pub(crate) fn test_of_row(&self, i: usize) -> u32 {
        self.keys[self.rows.key[i] as usize].test
    }

    /// The names of test `t`'s first key.
    pub(crate) fn first_names(&self, t: u32) -> &KeyNames {
        &self.keys[self.tests[t as usize].first_key as usize]
    }

    /// Each row's index, with what is kept of it when it failed, errored or was retried, in
    /// row order.
    pub(crate) fn rows_with_failures(&self) -> impl Iterator<Item = (usize, Option<&Failure>)> {
        let mut failures = self.failures.iter().peekable();
        (0..self.rows.len()).map(move |i| (i, failures.next_if(|f| f.row as usize == i)))
    }

    /// What is kept of row `i` when it failed, errored or was retried.
    pub(crate) fn failure(&self, i: usize) -> Option<&Failure> {
        let i = u32::try_from(i).ok()?;
        self.failures
            .binary_search_by_key(&i, |f| f.row)
            .ok()
            .map(|k| &self.failures[k])
    }

    /// Per run: tests executed (not skipped) and tests that failed or errored.
    pub(crate) fn run_counts(&self) -> crate::analysis::RunCounts {
        let mut counts = crate::analysis::RunCounts {
            executed: vec![0; self.runs.len()],
            failed: vec![0; self.runs.len()],
        };
        for (&r, st) in self.rows.run.iter().zip(&self.rows.status) {
            let Some(st) = st else { continue };
            if *st != Status::Skipped {
                counts.executed[r as usize] += 1;
                counts.failed[r as usize] += usize::from(st.is_failure());
            }
        }
        counts
    }

    /// The runs of the window without its newest `n` run keys (the "before" side of a
    /// comparison: the runs a load with `drop_newest = n` gives), and each window position's
    /// position among them.
    pub(crate) fn without_newest(&self, n: usize) -> (Vec<RunInfo>, Vec<Option<u32>>) {
        let mut runs = self.runs.clone();
        super::select(
            &mut runs,
            &WindowSpec {
                drop_newest: n,
                ..WindowSpec::default()
            },
        );
        // `select` keeps the order, so the kept runs are found in one walk.
        let mut keep: Vec<Option<u32>> = vec![None; self.runs.len()];
        let mut j = 0usize;
        for (i, r) in self.runs.iter().enumerate() {
            if j < runs.len() && runs[j] == *r {
                keep[i] = Some(index(j));
                j += 1;
            }
        }
        (runs, keep)
    }
}

impl Rows {
    fn reserve(&mut self, n: usize) {
        self.run.reserve(n);
        self.key.reserve(n);
        self.report.reserve(n);
        self.status.reserve(n);
        self.attempts.reserve(n);
        self.failed_attempts.reserve(n);
        self.seconds.reserve(n);
    }

    fn shrink_to_fit(&mut self) {
        self.run.shrink_to_fit();
        self.key.shrink_to_fit();
        self.report.shrink_to_fit();
        self.status.shrink_to_fit();
        self.attempts.shrink_to_fit();
        self.failed_attempts.shrink_to_fit();
        self.seconds.shrink_to_fit();
    }
}

/// A dictionary index; no dictionary of a window reaches 2^32 entries.
fn index(i: usize) -> u32 {
    u32::try_from(i).expect("fewer than 2^32 entries")
}

/// Each report key's path, from the reports table (the first row of a key wins).
fn report_paths(store: &Store) -> Result<FxHashMap<u64, String>, AnalysisError> {
    let df = store
        .reports()?
        .select([col(REPORT_KEY), col(PATH)])
        .collect()
        .map_err(query_err(store))?;
    let read = || -> PolarsResult<_> {
        Ok((
            df.column(REPORT_KEY)?.u64()?.clone(),
            df.column(PATH)?.str()?.clone(),
        ))
    };
    let (rk, path) = read().map_err(query_err(store))?;
    let mut paths = FxHashMap::default();
    for (k, p) in rk.iter().zip(path.iter()) {
        if let (Some(k), Some(p)) = (k, p) {
            paths.entry(k).or_insert_with(|| p.to_string());
        }
    }
    Ok(paths)
}

/// The stored executions' columns, one Arrow array each, cut at the same rows.
struct Columns<'a> {
    run_key: &'a PrimitiveArray<u64>,
    test: &'a PrimitiveArray<u64>,
    report_key: &'a PrimitiveArray<u64>,
    status: &'a PrimitiveArray<u32>,
    attempts: &'a PrimitiveArray<u32>,
    failed_attempts: &'a PrimitiveArray<u32>,
    duration: &'a PrimitiveArray<f64>,
    duration_last: &'a PrimitiveArray<f64>,
    message: &'a Utf8ViewArray,
    fingerprint: &'a PrimitiveArray<u64>,
}

impl<'a> Columns<'a> {
    fn of(part: &'a DataFrame) -> PolarsResult<Columns<'a>> {
        fn one<'a, A: Array + 'static>(part: &'a DataFrame, name: &str) -> PolarsResult<&'a A> {
            let c = part.column(name)?;
            polars_ensure!(
                c.n_chunks() == 1 && c.len() == part.height(),
                ShapeMismatch: "the executions' columns are not cut alike"
            );
            c.as_materialized_series().chunks()[0]
                .as_any()
                .downcast_ref::<A>()
                .ok_or_else(|| polars_err!(SchemaMismatch: "column {name} has an unexpected type"))
        }
        Ok(Columns {
            run_key: one(part, RUN_KEY)?,
            test: one(part, TEST)?,
            report_key: one(part, REPORT_KEY)?,
            status: one(part, STATUS)?,
            attempts: one(part, ATTEMPTS)?,
            failed_attempts: one(part, FAILED_ATTEMPTS)?,
            duration: one(part, DURATION)?,
            duration_last: one(part, DURATION_LAST)?,
            message: one(part, MESSAGE)?,
            fingerprint: one(part, FINGERPRINT)?,
        })
    }
}

/// The window being filled from the stored rows, which come in stored order.
struct Reader<'a> {
    run_pos: &'a FxHashMap<u64, u32>,
    key_index: &'a FxHashMap<u64, u32>,
    paths: &'a FxHashMap<u64, String>,
    report_index: FxHashMap<Option<u64>, u32>,
    /// The previous row's report key and index: a report's rows are stored together.
    last_report: Option<(Option<u64>, u32)>,
    /// The previous row's run key and position: a run's rows are stored together.
    last_run: Option<(u64, Option<u32>)>,
    window: Window,
}

impl Reader<'_> {
    /// Reserves the window's share of the stored rows, counted from the manifest, so the
    /// columns are not grown by doubling.
    fn reserve(&mut self, store: &Store) -> Result<(), AnalysisError> {
        let manifest = store.manifest()?;
        let rows: u64 = manifest.segments.iter().map(|s| s.executions).sum();
        let runs: u64 = manifest.segments.iter().map(|s| s.runs).sum();
        if runs > 0 {
            let share = (self.window.runs.len() as f64 / runs as f64).min(1.0);
            self.window.rows.reserve((rows as f64 * share) as usize);
        }
        Ok(())
    }

    fn report(&mut self, key: Option<u64>) -> u32 {
        if let Some((k, n)) = self.last_report
            && k == key
        {
            return n;
        }
        let reports = &mut self.window.reports;
        let paths = self.paths;
        let n = *self.report_index.entry(key).or_insert_with(|| {
            reports.push(ReportName {
                key,
                path: key.and_then(|k| paths.get(&k)).cloned().unwrap_or_default(),
            });
            index(reports.len() - 1)
        });
        self.last_report = Some((key, n));
        n
    }

    fn run(&mut self, key: Option<u64>) -> Option<u32> {
        let key = key?;
        match self.last_run {
            Some((k, r)) if k == key => r,
            _ => {
                let r = self.run_pos.get(&key).copied();
                self.last_run = Some((key, r));
                r
            }
        }
    }

    fn read(&mut self, c: &Columns<'_>) {
        let saturate = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
        for i in 0..c.run_key.len() {
            // Every row, in or out of the window, numbers its report.
            let report = self.report(c.report_key.get(i));
            let Some(run) = self.run(c.run_key.get(i)) else {
                continue;
            };
            let Some(&key) = c.test.get(i).and_then(|k| self.key_index.get(&k)) else {
                continue;
            };
            let status = c.status.get(i).and_then(Status::from_code);
            let rows = &mut self.window.rows;
            let row = index(rows.len());
            rows.run.push(run);
            rows.key.push(key);
            rows.report.push(report);
            rows.status.push(status);
            rows.attempts.push(saturate(c.attempts.get(i).unwrap_or(1)));
            rows.failed_attempts
                .push(saturate(c.failed_attempts.get(i).unwrap_or(0)));
            rows.seconds.push(c.duration.get(i).unwrap_or(f64::NAN));
            if matches!(status, Some(Status::Failed | Status::Error | Status::Flaky)) {
                self.window.failures.push(Failure {
                    row,
                    fingerprint: c.fingerprint.get(i),
                    message: c.message.get(i).map(Box::from),
                    last_attempt: c.duration_last.get(i),
                });
            }
        }
    }
}

// The budget per execution in memory: 40 bytes.
const _: () = assert!(ROW_BYTES <= 40 && std::mem::size_of::<Option<Status>>() == 1);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Options, Overrides, ingest};
    use std::num::NonZeroUsize;

    /// The fixture history (12 runs on two variants, with retries and failures) in a store.
    fn fixture_store(dir: &std::path::Path) -> Store {
        let store = Store::at(dir);
        let options = Options {
            paths: vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/history")],
            run_depth: None,
            max_file_size: 1 << 30,
            strict: false,
            overrides: Overrides::default(),
            progress: false,
            ci: None,
        };
        ingest(&options, &store, &mut |d| panic!("{d:?}")).expect("the fixtures ingest");
        store
    }

    fn same(a: &Window, b: &Window) {
        assert_eq!(a.runs, b.runs);
        assert_eq!(a.run_variant, b.run_variant);
        assert_eq!(a.variants, b.variants);
        assert_eq!(a.keys, b.keys);
        assert_eq!(a.rows.run, b.rows.run);
        assert_eq!(a.rows.key, b.rows.key);
        assert_eq!(a.rows.report, b.rows.report);
        assert_eq!(a.rows.status, b.rows.status);
        assert_eq!(a.rows.attempts, b.rows.attempts);
        assert_eq!(a.rows.failed_attempts, b.rows.failed_attempts);
        let bits = |w: &Window| {
            w.rows
                .seconds
                .iter()
                .map(|s| s.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(a), bits(b));
        let failures = |w: &Window| {
            w.failures
                .iter()
                .map(|f| (f.row, f.fingerprint, f.message.clone(), f.last_attempt))
                .collect::<Vec<_>>()
        };
        assert_eq!(failures(a), failures(b));
    }

    #[test]
    fn batches_and_dropped_runs_give_the_window_a_fresh_load_gives() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let store = fixture_store(&dir.path().join("store"));
        let whole = Window::load(&store, &WindowSpec::default()).expect("loads");
        assert!(whole.runs.len() >= 10 && whole.rows.len() > 100);
        // Every failed, errored or retried row, and only those, has its details.
        let failing = whole
            .rows
            .status
            .iter()
            .filter(|s| matches!(s, Some(Status::Failed | Status::Error | Status::Flaky)))
            .count();
        assert!(failing > 0);
        assert_eq!(whole.failures.len(), failing);
        assert!(whole.failures.windows(2).all(|w| w[0].row < w[1].row));
        // Rows of one run keep their stored order and name known keys and reports.
        assert!(
            whole
                .rows
                .key
                .iter()
                .all(|&k| (k as usize) < whole.keys.len())
        );
        assert!(
            whole
                .rows
                .report
                .iter()
                .all(|&r| (r as usize) < whole.reports.len())
        );

        let one_row_at_a_time =
            Window::load_in_batches(&store, &WindowSpec::default(), NonZeroUsize::new(1))
                .expect("loads");
        same(&whole, &one_row_at_a_time);

        let before = WindowSpec {
            drop_newest: 3,
            ..WindowSpec::default()
        };
        let loaded = Window::load(&store, &before).expect("loads");
        assert!(loaded.runs.len() < whole.runs.len());
        let (runs, keep) = whole.without_newest(3);
        assert_eq!(runs, loaded.runs);
        let kept = keep.iter().flatten().count();
        assert_eq!(kept, runs.len());
        // `flaky` over the window less its newest runs is `flaky` over a window loaded so.
        let options = crate::analysis::flaky::FlakyOptions::default();
        let json =
            |r: &crate::analysis::flaky::FlakyReport| serde_json::to_string(r).expect("serializes");
        assert_eq!(
            json(&crate::analysis::flaky::flaky_without_newest(
                &whole, 3, &options
            )),
            json(&crate::analysis::flaky::flaky(&loaded, &options))
        );
        assert_ne!(
            json(&crate::analysis::flaky::flaky(&whole, &options)),
            json(&crate::analysis::flaky::flaky(&loaded, &options))
        );
    }
}

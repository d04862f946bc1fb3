//! The window's executions as `flaky` reads them: per test and variant, each execution's run,
//! outcome and attempts in run order (16 bytes each); per run and per report file the counts
//! the infrastructure rules need; and the details an output can show (report, fingerprint,
//! duration, message) of the failed and retried executions only.
//!
//! The stored columns come from the streaming engine a batch of rows at a time, each batch
//! dropped once read, so the executions table is never held whole: on 10 million rows its
//! nine columns are about 520 MB, more than everything kept from them.

use super::Outcome;
use crate::analysis::load::{Keys, for_each_batch, names_by_key};
use crate::analysis::window::RunInfo;
use crate::analysis::{AnalysisError, RunCounts, query_err};
use crate::domain::Status;
use crate::store::Store;
use crate::store::schema::*;
use polars::prelude::*;
use polars_arrow::array::{Array, PrimitiveArray, Utf8ViewArray};
use rustc_hash::FxHashMap;

/// One execution in its test's group.
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    /// Row in the stored executions, across all segments.
    pub(super) row: u32,
    /// Position of its run in the window.
    pub(super) run: u32,
    /// Attempts within the run (1 when not given), saturated at `u16::MAX`.
    pub(super) attempts: u16,
    /// Failed attempts (0 when not given), saturated at `u16::MAX`.
    pub(super) failed: u16,
    /// None for a skipped execution (or one without a status).
    pub(super) outcome: Option<Outcome>,
}

/// One test (by test id) on one variant: its names and executions.
pub(super) struct Group {
    pub(super) test_id: String,
    pub(super) variant: String,
    /// Classname, name and family, as the test key of its newest execution gives them.
    pub(super) names: [String; 3],
    /// In run order (rows of one run in stored order).
    pub(super) entries: Vec<Entry>,
}

/// What an output can show of a failed, errored or retried execution.
#[derive(Debug, Clone)]
pub(super) struct Detail {
    pub(super) row: u32,
    /// Position of its run in the window.
    pub(super) run: u32,
    /// A number per report path, in the order the paths first appear in the stored rows.
    pub(super) report: u32,
    /// Failed or errored on every attempt (not a retry).
    pub(super) failed: bool,
    pub(super) fingerprint: Option<u64>,
    pub(super) duration: Option<f64>,
    pub(super) message: Option<Box<str>>,
}

/// The window's executions, grouped and counted.
pub(super) struct Executions {
    /// Sorted by test id, then variant.
    pub(super) groups: Vec<Group>,
    /// Per run: executed and failed executions.
    pub(super) counts: RunCounts,
    /// Per run: summed test time.
    pub(super) seconds: Vec<f64>,
    /// Per (run, report number): executed executions and, of those, failed ones; only pairs
    /// with an executed execution.
    pub(super) reports: FxHashMap<(u32, u32), (usize, usize)>,
    /// Report number -> path.
    pub(super) report_paths: Vec<String>,
    /// The failed, errored and retried executions in the window, in row order.
    pub(super) details: Vec<Detail>,
}

impl Executions {
    /// The details of row `row`, if it failed or was retried.
    pub(super) fn detail(&self, row: u32) -> Option<&Detail> {
        self.details
            .binary_search_by_key(&row, |d| d.row)
            .ok()
            .map(|k| &self.details[k])
    }
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
            message: one(part, MESSAGE)?,
            fingerprint: one(part, FINGERPRINT)?,
        })
    }
}

/// A group while its rows are read.
struct Growing {
    /// (test index, variant index).
    key: (u32, u32),
    entries: Vec<Entry>,
    /// (run, test key) of its newest row: of the newest run, the last row.
    newest: (u32, u64),
}

/// The executions being read; rows come in stored order.
struct Reader<'k> {
    keys: &'k Keys,
    /// Report key -> path, from the reports table.
    paths_by_key: FxHashMap<u64, String>,
    /// Path -> report number.
    report_number: FxHashMap<String, u32>,
    /// The previous row's report key and number: a report's rows are stored together.
    last_report: Option<(Option<u64>, u32)>,
    /// The previous row's run key and what it stands for: a run's rows are stored together.
    last_run: Option<(u64, Option<(u32, u32)>)>,
    /// (test index, variant index) -> group.
    group_of: FxHashMap<(u32, u32), u32>,
    groups: Vec<Growing>,
    /// The (run, report number) whose counts are being summed, and the sums.
    current: Option<((u32, u32), (usize, usize))>,
    out: Executions,
}

impl Reader<'_> {
    fn report_number(&mut self, key: Option<u64>) -> u32 {
        if let Some((k, n)) = self.last_report
            && k == key
        {
            return n;
        }
        let path = key
            .and_then(|k| self.paths_by_key.get(&k))
            .map_or("", String::as_str);
        let n = match self.report_number.get(path) {
            Some(&n) => n,
            None => {
                let n =
                    u32::try_from(self.out.report_paths.len()).expect("fewer than 2^32 reports");
                self.report_number.insert(path.to_string(), n);
                self.out.report_paths.push(path.to_string());
                n
            }
        };
        self.last_report = Some((key, n));
        n
    }

    fn run(&mut self, key: Option<u64>) -> Option<(u32, u32)> {
        let key = key?;
        match self.last_run {
            Some((k, r)) if k == key => r,
            _ => {
                let r = self.keys.run.get(&key).copied();
                self.last_run = Some((key, r));
                r
            }
        }
    }

    fn count_report(&mut self, key: (u32, u32), failed: bool) {
        match &mut self.current {
            Some((k, sums)) if *k == key => {
                sums.0 += 1;
                sums.1 += usize::from(failed);
            }
            _ => {
                self.flush_report();
                self.current = Some((key, (1, usize::from(failed))));
            }
        }
    }

    fn flush_report(&mut self) {
        if let Some((key, (executed, failed))) = self.current.take() {
            let sums = self.out.reports.entry(key).or_default();
            sums.0 += executed;
            sums.1 += failed;
        }
    }

    fn read(&mut self, c: &Columns<'_>, first_row: usize) {
        for i in 0..c.run_key.len() {
            let row = u32::try_from(first_row + i).expect("fewer than 2^32 executions");
            // Every row, in or out of the window, numbers its report path.
            let report = self.report_number(c.report_key.get(i));
            let Some((run, variant)) = self.run(c.run_key.get(i)) else {
                continue;
            };
            let Some(&(t, _)) = c.test.get(i).and_then(|k| self.keys.test.get(&k)) else {
                continue;
            };
            let test_key = c.test.value(i);
            let r = run as usize;
            let status = c.status.get(i).and_then(Status::from_code);
            let duration = c.duration.get(i);
            self.out.seconds[r] += duration.unwrap_or(0.0);
            let hard = matches!(status, Some(Status::Failed | Status::Error));
            if status.is_some_and(|st| st != Status::Skipped) {
                self.out.counts.executed[r] += 1;
                self.out.counts.failed[r] += usize::from(hard);
                self.count_report((run, report), hard);
            }
            let outcome = match status {
                Some(Status::Passed) => Some(Outcome::Pass),
                Some(Status::Failed | Status::Error) => Some(Outcome::Fail),
                Some(Status::Flaky) => Some(Outcome::Retry),
                _ => None,
            };
            let saturate = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
            let entry = Entry {
                row,
                run,
                attempts: saturate(c.attempts.get(i).unwrap_or(1)),
                failed: saturate(c.failed_attempts.get(i).unwrap_or(0)),
                outcome,
            };
            let next = u32::try_from(self.groups.len()).expect("fewer than 2^32 tests");
            let g = *self.group_of.entry((t, variant)).or_insert_with(|| {
                self.groups.push(Growing {
                    key: (t, variant),
                    entries: Vec::new(),
                    newest: (run, test_key),
                });
                next
            });
            let group = &mut self.groups[g as usize];
            group.entries.push(entry);
            if run >= group.newest.0 {
                group.newest = (run, test_key);
            }
            if matches!(outcome, Some(Outcome::Fail | Outcome::Retry)) {
                self.out.details.push(Detail {
                    row,
                    run,
                    report,
                    failed: hard,
                    fingerprint: c.fingerprint.get(i),
                    duration,
                    message: c.message.get(i).map(Box::from),
                });
            }
        }
    }
}

/// Reads the window's executions from the store.
pub(super) fn read(store: &Store, runs: &[RunInfo]) -> Result<Executions, AnalysisError> {
    let err = || query_err(store);
    let keys = Keys::read(store, runs, SUITE)?;
    let reports = store
        .reports()?
        .select([col(REPORT_KEY), col(PATH)])
        .collect()
        .map_err(err())?;
    let paths_by_key: FxHashMap<u64, String> = reports
        .column(REPORT_KEY)
        .map_err(err())?
        .u64()
        .map_err(err())?
        .iter()
        .zip(
            reports
                .column(PATH)
                .map_err(err())?
                .str()
                .map_err(err())?
                .iter(),
        )
        .filter_map(|(k, p)| Some((k?, p.unwrap_or_default().to_string())))
        .collect();
    let test_names = names_by_key(store, [CLASSNAME, NAME, FAMILY])?;

    let mut reader = Reader {
        keys: &keys,
        paths_by_key,
        report_number: FxHashMap::default(),
        last_report: None,
        last_run: None,
        group_of: FxHashMap::default(),
        groups: Vec::new(),
        current: None,
        out: Executions {
            groups: Vec::new(),
            counts: RunCounts {
                executed: vec![0; runs.len()],
                failed: vec![0; runs.len()],
            },
            seconds: vec![0.0; runs.len()],
            reports: FxHashMap::default(),
            report_paths: Vec::new(),
            details: Vec::new(),
        },
    };
    let scan = store.stored_executions()?.select([
        col(RUN_KEY),
        col(TEST),
        col(REPORT_KEY),
        col(STATUS),
        col(ATTEMPTS),
        col(FAILED_ATTEMPTS),
        col(DURATION),
        col(MESSAGE),
        col(FINGERPRINT),
    ]);
    // Batches in stored order from the streaming engine, read here while the next ones are
    // decoded.
    let mut first_row = 0usize;
    for_each_batch(scan, None, |mut batch| {
        for part in batch.split_chunks() {
            reader.read(&Columns::of(&part)?, first_row);
            first_row += part.height();
        }
        Ok(())
    })
    .map_err(err())?;
    reader.flush_report();

    let Reader {
        groups, mut out, ..
    } = reader;
    out.groups = groups
        .into_iter()
        .map(|g| {
            let ((t, v), mut entries, (_, newest)) = (g.key, g.entries, g.newest);
            entries.sort_by_key(|e| e.run);
            // Grown by doubling while read: give the slack back.
            entries.shrink_to_fit();
            Group {
                test_id: keys
                    .names
                    .get(t as usize)
                    .map_or_else(String::new, |n| n.test_id.clone()),
                variant: keys.variants.get(v as usize).cloned().unwrap_or_default(),
                names: test_names.get(&newest).cloned().unwrap_or_default(),
                entries,
            }
        })
        .collect();
    out.groups.sort_unstable_by(|a, b| {
        (a.test_id.as_str(), a.variant.as_str()).cmp(&(b.test_id.as_str(), b.variant.as_str()))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_takes_16_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 16);
    }
}

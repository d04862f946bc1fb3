//! The window's executions as `flaky` walks them: per test and variant, each execution's run,
//! outcome and attempts in run order (16 bytes each); per run and per report file the counts
//! the infrastructure rules need; and the details an output can show (report, fingerprint,
//! duration, message) of the failed and retried executions only, borrowed from the window.

use super::Outcome;
use crate::analysis::RunCounts;
use crate::analysis::window::Window;
use crate::domain::Status;
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
pub(super) struct Detail<'w> {
    pub(super) row: u32,
    /// Position of its run in the window.
    pub(super) run: u32,
    /// A number per report path, in the order the paths first appear in the stored rows.
    pub(super) report: u32,
    /// Failed or errored on every attempt (not a retry).
    pub(super) failed: bool,
    pub(super) fingerprint: Option<u64>,
    pub(super) duration: Option<f64>,
    pub(super) message: Option<&'w str>,
}

/// The window's executions, grouped and counted.
pub(super) struct Executions<'w> {
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
    pub(super) details: Vec<Detail<'w>>,
}

impl<'w> Executions<'w> {
    /// The details of row `row`, if it failed or was retried.
    pub(super) fn detail(&self, row: u32) -> Option<&Detail<'w>> {
        self.details
            .binary_search_by_key(&row, |d| d.row)
            .ok()
            .map(|k| &self.details[k])
    }
}

/// A group while its rows are gathered.
struct Growing {
    /// (test index, variant index).
    key: (u32, u32),
    entries: Vec<Entry>,
    /// (run, key index) of its newest row: of the newest run, the last row.
    newest: (u32, u32),
}

/// The window's executions, grouped and counted for `flaky`: those of the runs `keep` gives a
/// position (window position -> position among `runs` kept runs), at that position.
pub(super) fn read<'w>(window: &'w Window, keep: &[Option<u32>], runs: usize) -> Executions<'w> {
    let rows = &window.rows;
    // Reports are numbered by path, in the order the stored rows first name them.
    let mut report_paths: Vec<String> = Vec::new();
    let mut by_path: FxHashMap<&str, u32> = FxHashMap::default();
    let path_number: Vec<u32> = window
        .reports
        .iter()
        .map(|r| {
            *by_path.entry(r.path.as_str()).or_insert_with(|| {
                report_paths.push(r.path.clone());
                u32::try_from(report_paths.len() - 1).expect("fewer than 2^32 reports")
            })
        })
        .collect();
    let mut out = Executions {
        groups: Vec::new(),
        counts: RunCounts {
            executed: vec![0; runs],
            failed: vec![0; runs],
        },
        seconds: vec![0.0; runs],
        reports: FxHashMap::default(),
        report_paths,
        details: Vec::with_capacity(window.failures.len()),
    };
    let variants = window.variants.len().max(1);
    let slot = |i: usize| {
        window.test_of_row(i) as usize * variants
            + window.run_variant[rows.run[i] as usize] as usize
    };
    // Each group allocated once at its size: (test, variant) -> group, as test × variants +
    // variant, groups in first-appearance order.
    let mut group_of: Vec<u32> = vec![u32::MAX; window.tests.len() * variants];
    let mut groups: Vec<Growing> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    for i in 0..rows.len() {
        let Some(run) = keep[rows.run[i] as usize] else {
            continue;
        };
        let s = slot(i);
        if group_of[s] == u32::MAX {
            group_of[s] = u32::try_from(sizes.len()).expect("fewer than 2^32 tests");
            sizes.push(0);
            groups.push(Growing {
                key: (
                    window.test_of_row(i),
                    window.run_variant[rows.run[i] as usize],
                ),
                entries: Vec::new(),
                newest: (run, rows.key[i]),
            });
        }
        sizes[group_of[s] as usize] += 1;
    }
    for (g, n) in groups.iter_mut().zip(sizes) {
        g.entries.reserve_exact(n);
    }
    // The (run, report number) whose counts are being summed, and the sums: a report's rows
    // are stored together.
    let mut current: Option<((u32, u32), (usize, usize))> = None;
    let flush = |current: Option<((u32, u32), (usize, usize))>,
                 reports: &mut FxHashMap<(u32, u32), (usize, usize)>| {
        if let Some((key, (executed, failed))) = current {
            let sums = reports.entry(key).or_default();
            sums.0 += executed;
            sums.1 += failed;
        }
    };
    for (i, failure) in window.rows_with_failures() {
        let row = u32::try_from(i).expect("fewer than 2^32 executions");
        let Some(run) = keep[rows.run[i] as usize] else {
            continue;
        };
        let r = run as usize;
        let report = path_number[rows.report[i] as usize];
        let status = rows.status[i];
        let duration = rows.duration(i);
        out.seconds[r] += duration.unwrap_or(0.0);
        let hard = status.is_some_and(Status::is_failure);
        if status.is_some_and(|st| st != Status::Skipped) {
            out.counts.executed[r] += 1;
            out.counts.failed[r] += usize::from(hard);
            match &mut current {
                Some((k, sums)) if *k == (run, report) => {
                    sums.0 += 1;
                    sums.1 += usize::from(hard);
                }
                _ => {
                    flush(current.take(), &mut out.reports);
                    current = Some(((run, report), (1, usize::from(hard))));
                }
            }
        }
        let outcome = match status {
            Some(Status::Passed) => Some(Outcome::Pass),
            Some(Status::Failed | Status::Error) => Some(Outcome::Fail),
            Some(Status::Flaky) => Some(Outcome::Retry),
            _ => None,
        };
        let key = rows.key[i];
        let group = &mut groups[group_of[slot(i)] as usize];
        group.entries.push(Entry {
            row,
            run,
            attempts: rows.attempts[i],
            failed: rows.failed_attempts[i],
            outcome,
        });
        if run >= group.newest.0 {
            group.newest = (run, key);
        }
        if matches!(outcome, Some(Outcome::Fail | Outcome::Retry)) {
            out.details.push(Detail {
                row,
                run,
                report,
                failed: hard,
                fingerprint: failure.and_then(|f| f.fingerprint),
                duration,
                message: failure.and_then(|f| f.message.as_deref()),
            });
        }
    }
    flush(current, &mut out.reports);
    drop(group_of);

    out.groups = groups
        .into_iter()
        .map(|g| {
            let ((t, v), mut entries, (_, newest)) = (g.key, g.entries, g.newest);
            entries.sort_by_key(|e| e.run);
            let n = &window.keys[newest as usize];
            Group {
                test_id: window.tests[t as usize].test_id.clone(),
                variant: window.variants[v as usize].clone(),
                names: [n.classname.clone(), n.name.clone(), n.family.clone()],
                entries,
            }
        })
        .collect();
    out.groups.sort_unstable_by(|a, b| {
        (a.test_id.as_str(), a.variant.as_str()).cmp(&(b.test_id.as_str(), b.variant.as_str()))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_takes_16_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 16);
    }
}

//! Infrastructure failures below the whole run: one report file (a shard or job whose process
//! died: all its tests fail or error, mostly with one message, while the run's other reports
//! pass) and one failure fingerprint shared by many tests of one run. Their executions are set
//! aside like those of an infrastructure run, each set listed with its level and reason.
//!
//! Both shapes are also what a real breakage can look like (a commit that breaks a whole test
//! class, or shared code many tests call), so a set is only taken as infrastructure when it does
//! not persist: most of its tests that run again afterwards (the re-run, the next commit) do not
//! fail again.

use rustc_hash::FxHashMap;

/// A report is a crashed shard when at least this share of its failures share one fingerprint.
pub(crate) const REPORT_FINGERPRINT_SHARE: f64 = 0.8;
/// A fingerprint is an infrastructure failure when at least this many tests of one run, and at
/// least [`FINGERPRINT_RUN_SHARE`] of its executed tests, fail with it in two or more reports.
pub(crate) const FINGERPRINT_MIN_TESTS: usize = 10;
pub(crate) const FINGERPRINT_RUN_SHARE: f64 = 0.05;

/// How far an infrastructure failure reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Level {
    /// Most of the run failed.
    Run,
    /// Every test of one report file failed, mostly with one message.
    Report,
    /// Many tests of one run failed with one fingerprint.
    Fingerprint,
}

/// What the detection reads, per row of the executions frame.
pub(super) struct RowFacts<'a> {
    /// The run's position in the window; none outside it.
    pub(crate) run: &'a [Option<u32>],
    /// A number per report path (rows of one report file share it).
    pub(crate) report: &'a [u32],
    /// Executed (not skipped).
    pub(crate) executed: &'a [bool],
    /// Failed or errored on every attempt.
    pub(crate) failed: &'a [bool],
    pub(crate) fingerprint: &'a dyn Fn(usize) -> Option<u64>,
    /// Whether the test's next execution in the window failed; none when it has none.
    pub(crate) next_failed: &'a [Option<bool>],
}

/// One set of executions taken as an infrastructure failure.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found {
    pub(crate) level: Level,
    pub(crate) run: usize,
    /// The report number (for [`Level::Report`]).
    pub(crate) report: Option<u32>,
    pub(crate) fingerprint: Option<u64>,
    /// A row of the set, for its message and report path.
    pub(crate) example_row: usize,
    pub(crate) executed: usize,
    pub(crate) failed: usize,
}

/// Finds crashed reports and run-wide fingerprints outside the runs `run_infra` already sets
/// aside; marks their rows in the returned vector.
pub(super) fn partial(facts: &RowFacts<'_>, run_infra: &[bool]) -> (Vec<bool>, Vec<Found>) {
    let n = facts.run.len();
    let in_scope = |i: usize| {
        facts.run[i].is_some_and(|r| !run_infra.get(r as usize).copied().unwrap_or(false))
            && facts.executed[i]
    };
    // Per (run, report): executed and failed rows; then the rows of the all-failed ones only.
    let mut counts: FxHashMap<(u32, u32), (usize, usize)> = FxHashMap::default();
    for i in (0..n).filter(|&i| in_scope(i)) {
        if let Some(r) = facts.run[i] {
            let c = counts.entry((r, facts.report[i])).or_default();
            c.0 += 1;
            c.1 += usize::from(facts.failed[i]);
        }
    }
    let mut run_has_passing_report: FxHashMap<u32, bool> = FxHashMap::default();
    for (&(run, _), &(executed, failed)) in &counts {
        *run_has_passing_report.entry(run).or_default() |= failed < executed;
    }
    let mut reports: FxHashMap<(u32, u32), Vec<usize>> = FxHashMap::default();
    for i in (0..n).filter(|&i| in_scope(i) && facts.failed[i]) {
        if let Some(r) = facts.run[i] {
            let key = (r, facts.report[i]);
            if counts
                .get(&key)
                .is_some_and(|&(e, f)| e == f && e >= super::INFRA_MIN_TESTS)
            {
                reports.entry(key).or_default().push(i);
            }
        }
    }
    let persists = |rows: &[usize]| {
        let next: Vec<bool> = rows.iter().filter_map(|&i| facts.next_failed[i]).collect();
        2 * next.iter().filter(|&&f| f).count() > next.len()
    };
    let top_fingerprint = |rows: &[usize]| {
        let mut counts: FxHashMap<u64, usize> = FxHashMap::default();
        for &i in rows {
            if let Some(fp) = (facts.fingerprint)(i) {
                *counts.entry(fp).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .max_by_key(|&(fp, c)| (c, std::cmp::Reverse(fp)))
    };
    let mut excluded = vec![false; n];
    let mut found = Vec::new();
    let mut keys: Vec<&(u32, u32)> = reports.keys().collect();
    keys.sort_unstable();
    for key in keys {
        let rows = &reports[key];
        if !run_has_passing_report.get(&key.0).copied().unwrap_or(false) || persists(rows) {
            continue;
        }
        let Some((fp, count)) = top_fingerprint(rows) else {
            continue;
        };
        if (count as f64) < REPORT_FINGERPRINT_SHARE * rows.len() as f64 {
            continue;
        }
        for &i in rows {
            excluded[i] = true;
        }
        found.push(Found {
            level: Level::Report,
            run: key.0 as usize,
            report: Some(key.1),
            fingerprint: Some(fp),
            example_row: rows[0],
            executed: rows.len(),
            failed: rows.len(),
        });
    }
    // Per (run, fingerprint) over what is left: failed rows and the reports they sit in.
    let mut executed_in_run: FxHashMap<u32, usize> = FxHashMap::default();
    let mut by_fp: FxHashMap<(u32, u64), Vec<usize>> = FxHashMap::default();
    for i in (0..n).filter(|&i| in_scope(i) && !excluded[i]) {
        let Some(r) = facts.run[i] else { continue };
        *executed_in_run.entry(r).or_default() += 1;
        if facts.failed[i]
            && let Some(fp) = (facts.fingerprint)(i)
        {
            by_fp.entry((r, fp)).or_default().push(i);
        }
    }
    let mut keys: Vec<&(u32, u64)> = by_fp.keys().collect();
    keys.sort_unstable();
    for key in keys {
        let rows = &by_fp[key];
        let executed = executed_in_run.get(&key.0).copied().unwrap_or(0);
        let mut in_reports: Vec<u32> = rows.iter().map(|&i| facts.report[i]).collect();
        in_reports.sort_unstable();
        in_reports.dedup();
        if rows.len() < FINGERPRINT_MIN_TESTS
            || (rows.len() as f64) < FINGERPRINT_RUN_SHARE * executed as f64
            || in_reports.len() < 2
            || persists(rows)
        {
            continue;
        }
        for &i in rows {
            excluded[i] = true;
        }
        found.push(Found {
            level: Level::Fingerprint,
            run: key.0 as usize,
            report: None,
            fingerprint: Some(key.1),
            example_row: rows[0],
            executed,
            failed: rows.len(),
        });
    }
    found.sort_by_key(|f| (f.run, f.level != Level::Report, f.report, f.fingerprint));
    (excluded, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row laid out by hand: (run, report, failed, fingerprint, next execution failed).
    type Row = (u32, u32, bool, Option<u64>, Option<bool>);

    fn detect(rows: &[Row]) -> (Vec<bool>, Vec<Found>) {
        let run: Vec<Option<u32>> = rows.iter().map(|r| Some(r.0)).collect();
        let report: Vec<u32> = rows.iter().map(|r| r.1).collect();
        let executed = vec![true; rows.len()];
        let failed: Vec<bool> = rows.iter().map(|r| r.2).collect();
        let fingerprint: Vec<Option<u64>> = rows.iter().map(|r| r.3).collect();
        let next_failed: Vec<Option<bool>> = rows.iter().map(|r| r.4).collect();
        let facts = RowFacts {
            run: &run,
            report: &report,
            executed: &executed,
            failed: &failed,
            fingerprint: &|i| fingerprint[i],
            next_failed: &next_failed,
        };
        partial(&facts, &[false, false])
    }

    /// Run 0: report 1 passes (6 tests), report 2 (6 tests) all fail with fingerprint 9.
    fn crashed_shard(next: Option<bool>) -> Vec<Row> {
        let mut rows: Vec<_> = (0..6).map(|_| (0, 1, false, None, Some(false))).collect();
        rows.extend((0..6).map(|_| (0, 2, true, Some(9), next)));
        rows
    }

    #[test]
    fn a_crashed_shard_is_set_aside() {
        // The re-run passes: a crash.
        let (excluded, found) = detect(&crashed_shard(Some(false)));
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].level, found[0].report), (Level::Report, Some(2)));
        assert_eq!(excluded.iter().filter(|e| **e).count(), 6);
        // In the last run (nothing after it): a crash too.
        assert_eq!(detect(&crashed_shard(None)).1.len(), 1);
    }

    #[test]
    fn a_report_that_keeps_failing_is_a_breakage() {
        // Its tests fail again when they next run: a broken test class, not a crash.
        let (excluded, found) = detect(&crashed_shard(Some(true)));
        assert!(found.is_empty());
        assert!(!excluded.iter().any(|e| *e));
        // Small reports (fewer than 5 tests) and reports with mixed messages stay too.
        let mut rows = crashed_shard(Some(false));
        rows.truncate(10);
        assert!(detect(&rows).1.is_empty());
        let mut rows = crashed_shard(Some(false));
        for (k, r) in rows.iter_mut().skip(6).enumerate() {
            r.3 = Some(k as u64);
        }
        assert!(detect(&rows).1.is_empty());
    }

    #[test]
    fn a_fingerprint_across_reports_is_set_aside() {
        // 40 passing tests and 12 failing with fingerprint 5, spread over reports 1 to 4.
        let mut rows: Vec<_> = (0..40)
            .map(|k| (0, k % 4, false, None, Some(false)))
            .collect();
        rows.extend((0..12).map(|k| (0, k % 4, true, Some(5), Some(false))));
        let (excluded, found) = detect(&rows);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].level, found[0].fingerprint, found[0].failed),
            (Level::Fingerprint, Some(5), 12)
        );
        assert_eq!(excluded.iter().filter(|e| **e).count(), 12);
        // Nine tests are not many.
        rows.truncate(49);
        assert!(detect(&rows).1.is_empty());
    }
}

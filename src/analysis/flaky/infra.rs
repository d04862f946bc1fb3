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
    /// Many tests of one run failed with one fingerprint and passed on a re-run of the same
    /// commit, or failed again in the next run's such set: an outage.
    Outage,
}

/// What the detection reads: counts for every execution, rows for the failed ones only.
pub(super) struct Facts<'a> {
    /// Per (run, report number): executed executions and, of those, failed ones (failed or
    /// errored on every attempt), in every run of the window; only pairs with an executed one.
    pub(crate) reports: &'a FxHashMap<(u32, u32), (usize, usize)>,
    /// Per run (window position): executed executions.
    pub(crate) executed: &'a [usize],
    /// The failed executions in the window, in stored row order.
    pub(crate) failed: &'a [Failed],
}

/// A failed execution.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Failed {
    /// Row of the executions.
    pub(crate) row: u32,
    /// The run's position in the window.
    pub(crate) run: u32,
    /// A number per report path (rows of one report file share it).
    pub(crate) report: u32,
    pub(crate) fingerprint: Option<u64>,
    /// Whether the test's next execution in the window failed; none when it has none.
    pub(crate) next_failed: Option<bool>,
    /// The test's next execution passed (or passed on a retry) on the same commit: a re-run.
    pub(crate) next_same_commit_pass: bool,
    /// The test's next execution, when it failed: its index in [`Facts::failed`].
    pub(crate) next: Option<usize>,
}

/// One set of executions taken as an infrastructure failure.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found {
    pub(crate) level: Level,
    pub(crate) run: usize,
    /// The report number (for [`Level::Report`]).
    pub(crate) report: Option<u32>,
    pub(crate) fingerprint: Option<u64>,
    /// A row of the set, for its message.
    pub(crate) example_row: u32,
    pub(crate) executed: usize,
    pub(crate) failed: usize,
}

/// Finds crashed reports and run-wide fingerprints outside the runs `run_infra` already sets
/// aside; returns the rows they set aside (in row order) and the sets.
pub(super) fn partial(facts: &Facts<'_>, run_infra: &[bool]) -> (Vec<u32>, Vec<Found>) {
    let counted = |run: u32| !run_infra.get(run as usize).copied().unwrap_or(false);
    let mut run_has_passing_report: FxHashMap<u32, bool> = FxHashMap::default();
    for (&(run, _), &(executed, failed)) in facts.reports {
        if counted(run) {
            *run_has_passing_report.entry(run).or_default() |= failed < executed;
        }
    }
    // The failed executions (indexes into `facts.failed`) of the reports that all failed.
    let mut reports: FxHashMap<(u32, u32), Vec<usize>> = FxHashMap::default();
    for (k, f) in facts.failed.iter().enumerate() {
        let key = (f.run, f.report);
        if counted(f.run)
            && facts
                .reports
                .get(&key)
                .is_some_and(|&(e, f)| e == f && e >= super::INFRA_MIN_TESTS)
        {
            reports.entry(key).or_default().push(k);
        }
    }
    let persists = |set: &[usize]| {
        let next: Vec<bool> = set
            .iter()
            .filter_map(|&k| facts.failed[k].next_failed)
            .collect();
        2 * next.iter().filter(|&&f| f).count() > next.len()
    };
    let top_fingerprint = |set: &[usize]| {
        let mut counts: FxHashMap<u64, usize> = FxHashMap::default();
        for &k in set {
            if let Some(fp) = facts.failed[k].fingerprint {
                *counts.entry(fp).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .max_by_key(|&(fp, c)| (c, std::cmp::Reverse(fp)))
    };
    let mut excluded = vec![false; facts.failed.len()];
    let mut excluded_in_run: FxHashMap<u32, usize> = FxHashMap::default();
    let mut found = Vec::new();
    let mut keys: Vec<&(u32, u32)> = reports.keys().collect();
    keys.sort_unstable();
    for key in keys {
        let set = &reports[key];
        if !run_has_passing_report.get(&key.0).copied().unwrap_or(false) || persists(set) {
            continue;
        }
        let Some((fp, count)) = top_fingerprint(set) else {
            continue;
        };
        if (count as f64) < REPORT_FINGERPRINT_SHARE * set.len() as f64 {
            continue;
        }
        for &k in set {
            excluded[k] = true;
        }
        *excluded_in_run.entry(key.0).or_default() += set.len();
        found.push(Found {
            level: Level::Report,
            run: key.0 as usize,
            report: Some(key.1),
            fingerprint: Some(fp),
            example_row: facts.failed[set[0]].row,
            executed: set.len(),
            failed: set.len(),
        });
    }
    // Per (run, fingerprint) over what is left: failed executions and the reports they sit in.
    let mut by_fp: FxHashMap<(u32, u64), Vec<usize>> = FxHashMap::default();
    for (k, f) in facts.failed.iter().enumerate() {
        if counted(f.run)
            && !excluded[k]
            && let Some(fp) = f.fingerprint
        {
            by_fp.entry((f.run, fp)).or_default().push(k);
        }
    }
    // Outages, before the rule below: many tests of one run failing with one fingerprint whose
    // tests pass on a re-run of the same commit cannot be failing for the code (the commit
    // passed), also when the run wrote one report; and the same fingerprint's sets in the runs
    // before, whose tests failed again in such a set, are the same outage lasting several runs.
    // Newest run first, so the chain reaches back from the re-run. A set that ends only with a
    // new commit passing is left alone here: that is what a fixed breakage looks like.
    // A (run, fingerprint)'s failed executions not set aside yet, and the run's executed
    // executions less those set aside with their report.
    let left = |key: &(u32, u64), excluded: &[bool]| -> (Vec<usize>, usize) {
        let set = by_fp[key]
            .iter()
            .copied()
            .filter(|&k| !excluded[k])
            .collect();
        let executed = facts.executed.get(key.0 as usize).copied().unwrap_or(0)
            - excluded_in_run.get(&key.0).copied().unwrap_or(0);
        (set, executed)
    };
    let mut outage = vec![false; facts.failed.len()];
    let mut keys: Vec<&(u32, u64)> = by_fp.keys().collect();
    keys.sort_unstable_by(|a, b| b.cmp(a));
    for key in keys {
        let (set, executed) = left(key, &excluded);
        if set.is_empty() {
            continue;
        }
        let with_next = set
            .iter()
            .filter(|&&k| facts.failed[k].next_failed.is_some())
            .count();
        // Whether failure `k`'s test failed again in an outage already found: its next failed
        // execution, past those another rule set aside (a shard that crashed in that run).
        let continues = |k: usize| {
            let mut next = facts.failed[k].next;
            while let Some(n) = next {
                if outage[n] {
                    return true;
                }
                if !excluded[n] {
                    return false;
                }
                next = facts.failed[n].next;
            }
            false
        };
        let rerun = set
            .iter()
            .filter(|&&k| facts.failed[k].next_same_commit_pass)
            .count();
        let chained = set.iter().filter(|&&k| continues(k)).count();
        // The re-run is the evidence, so no share of the run is asked for (an outage of 10
        // tests in a run of 600 is one), only that many tests; the runs before it need not
        // have as many (a crashed shard may take some), their tests going on into it.
        let outage_here = if set.len() >= FINGERPRINT_MIN_TESTS {
            2 * (rerun + chained) > with_next
        } else {
            2 * chained > with_next
        };
        if with_next == 0 || !outage_here {
            continue;
        }
        // Its tests that failed on after the outage (a test broken before it, failing the same
        // way) are not part of it: they stay in their series, and the chain does not go
        // through them.
        let members: Vec<usize> = set
            .iter()
            .copied()
            .filter(|&k| {
                let f = &facts.failed[k];
                f.next_failed.is_none() || f.next_same_commit_pass || continues(k)
            })
            .collect();
        for &k in &members {
            excluded[k] = true;
            outage[k] = true;
        }
        found.push(Found {
            level: Level::Outage,
            ..fingerprint_set(facts, *key, &members, executed)
        });
    }
    let mut keys: Vec<&(u32, u64)> = by_fp.keys().collect();
    keys.sort_unstable();
    for key in keys {
        let (set, executed) = left(key, &excluded);
        let set = &set;
        let mut in_reports: Vec<u32> = set.iter().map(|&k| facts.failed[k].report).collect();
        in_reports.sort_unstable();
        in_reports.dedup();
        if set.len() < FINGERPRINT_MIN_TESTS
            || (set.len() as f64) < FINGERPRINT_RUN_SHARE * executed as f64
            || in_reports.len() < 2
            || persists(set)
        {
            continue;
        }
        for &k in set {
            excluded[k] = true;
        }
        found.push(fingerprint_set(facts, *key, set, executed));
    }
    found.sort_by_key(|f| (f.run, f.level != Level::Report, f.report, f.fingerprint));
    let rows = facts
        .failed
        .iter()
        .zip(&excluded)
        .filter(|(_, e)| **e)
        .map(|(f, _)| f.row)
        .collect();
    (rows, found)
}

/// The set of `(run, fingerprint)` `key`'s failed executions `set` (indexes into
/// `facts.failed`), of `executed` in the run, as found.
fn fingerprint_set(facts: &Facts<'_>, key: (u32, u64), set: &[usize], executed: usize) -> Found {
    Found {
        level: Level::Fingerprint,
        run: key.0 as usize,
        report: None,
        fingerprint: Some(key.1),
        example_row: set.first().map_or(0, |&k| facts.failed[k].row),
        executed,
        failed: set.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row laid out by hand: (run, report, failed, fingerprint, next execution failed).
    type Row = (u32, u32, bool, Option<u64>, Option<bool>);

    fn detect(rows: &[Row]) -> (Vec<u32>, Vec<Found>) {
        let mut reports: FxHashMap<(u32, u32), (usize, usize)> = FxHashMap::default();
        let mut executed = vec![0; 2];
        let mut failed = Vec::new();
        for (i, &(run, report, hard, fingerprint, next_failed)) in rows.iter().enumerate() {
            let sums = reports.entry((run, report)).or_default();
            sums.0 += 1;
            sums.1 += usize::from(hard);
            executed[run as usize] += 1;
            if hard {
                failed.push(Failed {
                    row: u32::try_from(i).expect("a small test"),
                    run,
                    report,
                    fingerprint,
                    next_failed,
                    next_same_commit_pass: false,
                    next: None,
                });
            }
        }
        let facts = Facts {
            reports: &reports,
            executed: &executed,
            failed: &failed,
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
        assert_eq!(excluded, (6..12).collect::<Vec<u32>>());
        // In the last run (nothing after it): a crash too.
        assert_eq!(detect(&crashed_shard(None)).1.len(), 1);
    }

    #[test]
    fn a_report_that_keeps_failing_is_a_breakage() {
        // Its tests fail again when they next run: a broken test class, not a crash.
        let (excluded, found) = detect(&crashed_shard(Some(true)));
        assert!(found.is_empty());
        assert!(excluded.is_empty());
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
        assert_eq!(excluded.len(), 12);
        // Nine tests are not many.
        rows.truncate(49);
        assert!(detect(&rows).1.is_empty());
    }
}

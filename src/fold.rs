//! Folds the `<testcase>` elements of one CI run into one row per test: retries written inside
//! an element (`flakyFailure`, `rerunFailure`) and retries written as repeated elements (Gradle
//! test-retry, pytest-rerunfailures) both become attempts of a single row, with the
//! fingerprint of how it failed (`crate::domain` names and keys the tests). The rows are
//! columns ([`Folded`]) that point into the reports rather than copy from them.
//!
//! A repeated element means what its producer means by it. In general each element is one
//! attempt with its own outcome (Gradle test-retry without `mergeReruns`, gotestsum
//! `--rerun-fails`; fixtures/dialects/gradle-test-retry.xml, gotestsum.xml). pytest-flakefinder
//! repeats no element: each copy is a parametrized test of its own (`test_x[0]`, `test_x[1]`,
//! ...), sharing the test's family (fixtures/dialects/pytest-flakefinder.xml). pytest-rerunfailures (up to at least 16.x) is
//! the exception: it writes each rerun of a failed attempt as an extra *childless* `<testcase>`
//! before the final one, so in a pytest report (root `<testsuites name="pytest tests">`, or
//! innermost suite named `pytest`, the default `junit_suite_name`) a childless element followed
//! by another element of the same test is a failed attempt, not a pass.

use crate::domain::Status;
use crate::domain::{LastHash, TestKeys, fingerprint, scope};
use crate::junit::{Case, Outcome, Report};
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// A test case by position: `reports[report].cases[case]` of the slice given to [`fold_keyed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CaseRef {
    pub(crate) report: u32,
    pub(crate) case: u32,
}

impl CaseRef {
    /// The case, when the reports are the ones folded.
    pub(crate) fn get(self, reports: &[Report]) -> Option<(&Report, &Case)> {
        let report = reports.get(self.report as usize)?;
        Some((report, report.cases.get(self.case as usize)?))
    }
}

/// The rows of one run, one per test, column by column, in order of each test's first
/// appearance (so in report order too). Strings stay in the reports: each row names the case
/// it was first seen as, the case whose failure type and message it shows, and the case whose
/// output it shows. Columns rather than a struct per row: a run of a million new tests is
/// folded while its reports are still held, so every byte per row counts.
#[derive(Debug, Default)]
pub struct Folded {
    /// The test's key in the store (see [`crate::domain::test_key`]).
    pub(crate) key: Vec<u64>,
    /// The first case of the test: its names, line and report.
    pub(crate) first: Vec<CaseRef>,
    pub(crate) status: Vec<Status>,
    pub(crate) attempts: Vec<u32>,
    pub(crate) failed_attempts: Vec<u32>,
    /// All attempts, in seconds; NaN where no attempt said (a parsed duration is never NaN).
    pub(crate) duration: Vec<f64>,
    /// The last attempt, in seconds; NaN where unknown.
    pub(crate) duration_last: Vec<f64>,
    /// Read from a report that had errors (truncated, malformed): the row may miss attempts.
    pub(crate) partial: Vec<bool>,
    /// The case whose failure type and message the row shows.
    pub(crate) detail: Vec<CaseRef>,
    /// The case whose output the row shows.
    pub(crate) output: Vec<CaseRef>,
    /// The rows that failed (or were flaky), with the fingerprint of how.
    pub(crate) fingerprints: Vec<(u32, u64)>,
}

impl Folded {
    pub(crate) fn len(&self) -> usize {
        self.key.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.key.is_empty()
    }
}

fn attempt_summary(case: &Case) -> (Status, u32, u32) {
    let outcome = case.outcome.unwrap_or(Outcome::Passed);
    if case.flaky_attr && outcome != Outcome::Skipped {
        // Firebase Test Lab marks a test that failed and then passed on retry with
        // `flaky="true"`, keeping the failed attempts' `<failure>` children.
        let failed = u32::from(matches!(outcome, Outcome::Failed | Outcome::Error))
            + u32::from(case.rerun_retries)
            + u32::from(case.flaky_retries);
        let failed = failed.max(1);
        return (Status::Flaky, failed + 1, failed);
    }
    match outcome {
        Outcome::Passed if case.flaky_retries > 0 => {
            let n = u32::from(case.flaky_retries);
            (Status::Flaky, 1 + n, n)
        }
        Outcome::Passed => (Status::Passed, 1, 0),
        Outcome::Skipped => (Status::Skipped, 1, 0),
        o @ (Outcome::Failed | Outcome::Error) => {
            let n = 1 + u32::from(case.rerun_retries) + u32::from(case.flaky_retries);
            (
                if o == Outcome::Error {
                    Status::Error
                } else {
                    Status::Failed
                },
                n,
                n,
            )
        }
    }
}

/// The innermost suite name pytest's `--junitxml` writes (its `junit_suite_name` default).
const PYTEST_SUITE: &str = "pytest";

/// Per report: a pytest report in which every test is written the same number of times, two
/// or more, and whose suites count at least as many tests as it has elements: each test ran
/// once per pytest-xdist worker (`--dist each`), and a repeat is another worker's run, not a
/// pytest-rerunfailures rerun (which repeats only the tests that failed, and which pytest
/// does not count). `leader[k]`: the ordinal of the first case of case `k`'s test.
fn each_worker(reports: &[Report], leader: &[u32]) -> Vec<bool> {
    let mut out = Vec::with_capacity(reports.len());
    let mut ordinal = 0usize;
    for report in reports {
        let n = report.cases.len();
        let first = ordinal;
        ordinal += n;
        let pytest = report.pytest_root
            || report
                .cases
                .iter()
                .any(|c| report.str(c.suite) == PYTEST_SUITE);
        if !pytest || n < 2 || report.declared_tests.is_some_and(|d| d < n as u64) {
            out.push(false);
            continue;
        }
        let mut counts: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
        for k in first..first + n {
            *counts
                .entry(leader.get(k).copied().unwrap_or(u32::MAX))
                .or_default() += 1;
        }
        let mut values = counts.values();
        let k = values.next().copied().unwrap_or(0);
        out.push(k >= 2 && values.all(|&v| v == k));
    }
    out
}

/// A `<testcase>` with no outcome child and no retry children: a pass, or in a pytest report,
/// possibly a pytest-rerunfailures rerun.
fn is_childless(case: &Case) -> bool {
    case.outcome.is_none_or(|o| o == Outcome::Passed)
        && case.flaky_retries == 0
        && case.rerun_retries == 0
        && !case.flaky_attr
}

/// Two suite names that differ only in their numbers (`ReFrame run 0`, `ReFrame run 1`): the
/// rounds of a runner that writes each round of retries as a suite of its own (ReFrame's
/// `--max-retries`), so a test repeated in them was retried.
fn numbered_alike(a: &str, b: &str) -> bool {
    let letters = |s: &str| {
        s.chars()
            .filter(|c| !c.is_ascii_digit())
            .collect::<String>()
    };
    a != b && a.bytes().any(|c| c.is_ascii_digit()) && letters(a) == letters(b)
}

/// How bad a run of a test went, for the worst of its runs in several projects.
fn severity(status: Status) -> u8 {
    match status {
        Status::Skipped => 0,
        Status::Passed => 1,
        Status::Flaky => 2,
        Status::Failed => 3,
        Status::Error => 4,
    }
}

fn add(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        _ => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

/// The keys of one test case: its key in the store, and the key repeats of it fold by (a
/// hash of its scope and name).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CaseKeys {
    pub(crate) test: u64,
    pub(crate) fold: u64,
}

/// The keys of every case of `report`. Meant to run right after the report is parsed, while
/// its names are still in the core's cache: afterwards [`fold_keyed`] only reads the names of
/// the tests it sees repeated.
pub(crate) fn case_keys(report: &Report) -> Vec<CaseKeys> {
    let mut test_keys = TestKeys::default();
    let mut scopes = LastHash::<1>::default();
    report
        .cases
        .iter()
        .map(|case| {
            let suite = report.str(case.suite);
            let classname = report.str(case.classname);
            let name = report.str(case.name);
            let file = report.str(case.file);
            let test = test_keys.key(suite, classname, name, file, case.line.get());
            let scope = scope(classname, file, suite);
            let scope_hash = scopes.get([scope], |[s]| xxh3_64(s.as_bytes()));
            CaseKeys {
                test,
                fold: xxh3_64_with_seed(name.as_bytes(), scope_hash),
            }
        })
        .collect()
}

/// `fold_keyed` computing the keys.
pub fn fold(reports: &[Report]) -> Folded {
    let keys: Vec<Vec<CaseKeys>> = reports.iter().map(case_keys).collect();
    fold_keyed(reports, &keys)
}

/// Folds the test cases of all reports of one run into rows, in order of first appearance,
/// with each report's [`case_keys`] already computed (`keys[i]` for `reports[i]`; computed here
/// when missing).
pub(crate) fn fold_keyed(reports: &[Report], keys: &[Vec<CaseKeys>]) -> Folded {
    let computed: Vec<Option<Vec<CaseKeys>>> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| match keys.get(i) {
            Some(k) if k.len() == r.cases.len() => None,
            _ => Some(case_keys(r)),
        })
        .collect();
    let keys: Vec<&[CaseKeys]> = computed
        .iter()
        .enumerate()
        .map(|(i, c)| match c {
            Some(c) => c.as_slice(),
            None => keys.get(i).map_or(&[][..], Vec::as_slice),
        })
        .collect();
    let mut leader = leaders(reports, &keys);
    let each_worker = each_worker(reports, &leader);
    let cases = leader.len();
    // The columns grow as rows are found. (Sized up front for every case, the million-case
    // report peaked higher: the allocator then took fresh memory instead of reusing what the
    // report's bytes had freed.)
    let mut out = Folded::default();
    // Per row, while folding: the status of the last attempt that was not skipped, and the
    // report (plus one) whose last element of the test was a childless pytest one: if the same
    // report repeats the test, that element was a pytest-rerunfailures rerun.
    let mut last_run: Vec<Option<Status>> = Vec::new();
    let mut pytest_rerun: Vec<u32> = Vec::new();
    // Per row, the report and `<testsuite>` element of its last case: a case of the same
    // report in another suite element is the test run again in another project or file, not
    // a retry.
    let mut last_suite: Vec<(u32, u32, crate::junit::Str)> = Vec::new();
    let mut ordinal = 0usize;
    for (report_idx, (report, report_keys)) in reports.iter().zip(&keys).enumerate() {
        let partial = !report.complete || report.has_errors();
        let report_no = u32::try_from(report_idx).unwrap_or(u32::MAX);
        for (case_idx, (case, keys)) in report.cases.iter().zip(report_keys.iter()).enumerate() {
            let here = CaseRef {
                report: report_no,
                case: u32::try_from(case_idx).unwrap_or(u32::MAX),
            };
            let (status, attempts, failed) = attempt_summary(case);
            let suite_no = report.suite_of.get(case_idx).copied().unwrap_or(0);
            let pytest_suite = report.pytest_root || report.str(case.suite) == PYTEST_SUITE;
            let per_worker = pytest_suite && each_worker[report_idx];
            let pytest = pytest_suite && !per_worker;
            let rerun = if pytest && is_childless(case) {
                report_no.saturating_add(1)
            } else {
                0
            };
            let first_of = leader.get(ordinal).copied().unwrap_or(u32::MAX) as usize;
            let row = if first_of == ordinal {
                let row = out.key.len();
                leader[ordinal] = u32::try_from(row).unwrap_or(u32::MAX);
                out.key.push(keys.test);
                out.first.push(here);
                out.status.push(status);
                out.attempts.push(attempts);
                out.failed_attempts.push(failed);
                out.duration
                    .push(add(case.time.get(), case.retries_time.get()).unwrap_or(f64::NAN));
                out.duration_last.push(case.time.get().unwrap_or(f64::NAN));
                out.partial.push(partial);
                out.detail.push(here);
                out.output.push(here);
                last_run.push((status != Status::Skipped).then_some(status));
                pytest_rerun.push(rerun);
                last_suite.push((report_no, suite_no, case.suite));
                ordinal += 1;
                continue;
            } else {
                leader.get(first_of).copied().unwrap_or(u32::MAX) as usize
            };
            ordinal += 1;
            if row >= out.key.len() {
                continue;
            }
            let (last_report, last_no, last_name) = last_suite[row];
            let copy = last_report == report_no
                && (per_worker
                    || (suite_no != 0
                        && last_no != 0
                        && last_no != suite_no
                        && !numbered_alike(report.str(last_name), report.str(case.suite))));
            last_suite[row] = (report_no, suite_no, case.suite);
            if copy {
                // One more run of the test in this run, under another project, file or worker: the
                // row says how the worst of them went (a failure in one project is a failure,
                // whatever the others did), and their times add up.
                let known = |v: f64| (!v.is_nan()).then_some(v);
                let both = add(case.time.get(), case.retries_time.get());
                out.duration[row] = add(known(out.duration[row]), both).unwrap_or(f64::NAN);
                out.duration_last[row] =
                    add(known(out.duration_last[row]), case.time.get()).unwrap_or(f64::NAN);
                out.partial[row] |= partial;
                pytest_rerun[row] = rerun;
                if severity(status) > severity(out.status[row]) {
                    out.status[row] = status;
                    out.attempts[row] = attempts;
                    out.failed_attempts[row] = failed;
                    last_run[row] = (status != Status::Skipped).then_some(status);
                    out.detail[row] = here;
                    out.output[row] = here;
                }
                continue;
            }
            if pytest_rerun[row] == report_no.saturating_add(1) {
                // The earlier childless element was a failed attempt that was rerun.
                out.failed_attempts[row] += 1;
            }
            pytest_rerun[row] = rerun;
            out.attempts[row] += attempts;
            out.failed_attempts[row] += failed;
            let known = |v: f64| (!v.is_nan()).then_some(v);
            out.duration[row] = add(
                known(out.duration[row]),
                add(case.time.get(), case.retries_time.get()),
            )
            .unwrap_or(f64::NAN);
            out.duration_last[row] = case.time.get().unwrap_or(f64::NAN);
            out.partial[row] |= partial;
            if status != Status::Skipped {
                last_run[row] = Some(status);
            }
            let shown = |r: CaseRef| r.get(reports).map(|(r, c)| r.detail(c));
            let detail = report.detail(case);
            if shown(out.detail[row]).is_none_or(|d| d.message.is_empty())
                && !detail.message.is_empty()
            {
                out.detail[row] = here;
            }
            if shown(out.output[row]).is_none_or(|d| d.output.is_empty()) {
                out.output[row] = here;
            }
            out.status[row] = match last_run[row] {
                None => Status::Skipped,
                Some(s) if s.is_failure() => s,
                Some(_) if out.failed_attempts[row] > 0 => Status::Flaky,
                Some(_) => Status::Passed,
            };
        }
    }
    debug_assert_eq!(ordinal, cases);
    for (row, (status, detail)) in out.status.iter().zip(&out.detail).enumerate() {
        if *status != Status::Passed && *status != Status::Skipped {
            let (failure_type, message) = detail.get(reports).map_or(("", ""), |(r, c)| {
                let d = r.detail(c);
                (r.str(d.failure_type), r.str(d.message))
            });
            let row = u32::try_from(row).unwrap_or(u32::MAX);
            out.fingerprints
                .push((row, fingerprint(failure_type, message)));
        }
    }
    out
}

/// Runs of more cases than this find their tests' first cases by sorting; smaller ones with a
/// hash map. The map is faster (no sort per run), the sort needs half the memory, which decides
/// for a report of a million new tests (docs/reliability.md, "Bounded memory").
const SORT_PAST: usize = 1 << 16;

/// For each case of the run, numbered across its reports in order, the number of the first
/// case of the same test (itself for that first case). Two tests whose fold keys collide stay
/// apart: cases of one key are told apart by scope and name.
fn leaders(reports: &[Report], keys: &[&[CaseKeys]]) -> Vec<u32> {
    let cases: usize = reports.iter().map(|r| r.cases.len()).sum();
    if cases > SORT_PAST {
        leaders_by_sort(reports, keys)
    } else {
        leaders_by_map(reports, keys)
    }
}

/// The scope and name of a case.
fn identity<'r>(report: &'r Report, c: &Case) -> (&'r str, &'r str) {
    let (classname, file, suite) = (
        report.str(c.classname),
        report.str(c.file),
        report.str(c.suite),
    );
    (scope(classname, file, suite), report.str(c.name))
}

/// [`leaders`] with a map from fold key to the first case of that key.
fn leaders_by_map(reports: &[Report], keys: &[&[CaseKeys]]) -> Vec<u32> {
    let cases: usize = reports.iter().map(|r| r.cases.len()).sum();
    let mut leader: Vec<u32> = Vec::with_capacity(cases);
    let mut first: FxHashMap<u64, (u32, &Report, &Case)> =
        FxHashMap::with_capacity_and_hasher(cases, Default::default());
    // Tests whose key another test took first.
    let mut spilled: FxHashMap<(&str, &str), u32> = FxHashMap::default();
    for (report, report_keys) in reports.iter().zip(keys) {
        for (case, k) in report.cases.iter().zip(report_keys.iter()) {
            let ordinal = u32::try_from(leader.len()).unwrap_or(u32::MAX);
            let found = match first.get(&k.fold) {
                None => {
                    first.insert(k.fold, (ordinal, report, case));
                    ordinal
                }
                Some(&(l, r, c)) => {
                    let me = identity(report, case);
                    if identity(r, c) == me {
                        l
                    } else {
                        *spilled.entry(me).or_insert(ordinal)
                    }
                }
            };
            leader.push(found);
        }
    }
    leader
}

/// [`leaders`] by sorting the cases by fold key: half the memory of [`leaders_by_map`].
fn leaders_by_sort(reports: &[Report], keys: &[&[CaseKeys]]) -> Vec<u32> {
    let mut locations: Vec<CaseRef> = Vec::new();
    let mut by_key: Vec<(u64, u32)> = Vec::new();
    for (report_idx, (report, report_keys)) in reports.iter().zip(keys).enumerate() {
        for (case_idx, k) in report_keys.iter().take(report.cases.len()).enumerate() {
            let ordinal = u32::try_from(by_key.len()).unwrap_or(u32::MAX);
            by_key.push((k.fold, ordinal));
            locations.push(CaseRef {
                report: u32::try_from(report_idx).unwrap_or(u32::MAX),
                case: u32::try_from(case_idx).unwrap_or(u32::MAX),
            });
        }
    }
    by_key.sort_unstable();
    let mut leader: Vec<u32> = (0..by_key.len())
        .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
        .collect();
    let identity_of = |ordinal: u32| {
        locations
            .get(ordinal as usize)
            .and_then(|r| r.get(reports))
            .map(|(report, c)| identity(report, c))
    };
    let mut group: Vec<u32> = Vec::new();
    for same_key in by_key.chunk_by(|a, b| a.0 == b.0) {
        let Some(&(_, first)) = same_key.first() else {
            continue;
        };
        if same_key.len() == 1 {
            continue;
        }
        // Leaders of this key's tests, in order of appearance (sorted by ordinal within the key).
        group.clear();
        group.push(first);
        for &(_, ordinal) in &same_key[1..] {
            let me = identity_of(ordinal);
            match group.iter().find(|&&l| identity_of(l) == me) {
                Some(&l) => leader[ordinal as usize] = l,
                None => group.push(ordinal),
            }
        }
    }
    leader
}

/// One folded row with its strings, as tests read it.
#[cfg(test)]
#[derive(Debug, Clone)]
pub(crate) struct Row<'r> {
    pub(crate) name: &'r str,
    pub(crate) status: Status,
    pub(crate) attempts: u32,
    pub(crate) failed_attempts: u32,
    pub(crate) duration: Option<f64>,
    pub(crate) duration_last: Option<f64>,
    pub(crate) message: &'r str,
    pub(crate) fingerprint: Option<u64>,
    pub(crate) report: usize,
    pub(crate) key: u64,
}

#[cfg(test)]
impl Folded {
    pub(crate) fn rows<'r>(&self, reports: &'r [Report]) -> Vec<Row<'r>> {
        let str = |r: CaseRef, f: fn(&Case) -> crate::junit::Str| {
            r.get(reports).map_or("", |(report, c)| report.str(f(c)))
        };
        let known = |v: f64| (!v.is_nan()).then_some(v);
        (0..self.len())
            .map(|i| Row {
                name: str(self.first[i], |c| c.name),
                status: self.status[i],
                attempts: self.attempts[i],
                failed_attempts: self.failed_attempts[i],
                duration: known(self.duration[i]),
                duration_last: known(self.duration_last[i]),
                message: self.detail[i]
                    .get(reports)
                    .map_or("", |(r, c)| r.str(r.detail(c).message)),
                fingerprint: self
                    .fingerprints
                    .iter()
                    .find(|(row, _)| *row as usize == i)
                    .map(|(_, f)| *f),
                report: self.first[i].report as usize,
                key: self.key[i],
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::junit::parse;

    #[test]
    fn repeated_elements_fold_into_one_row() {
        let r = parse(
            br#"<testsuite name="s">
              <testcase classname="C" name="t" time="1"><failure message="m1"/></testcase>
              <testcase classname="C" name="u" time="1"><skipped/></testcase>
              <testcase classname="C" name="t" time="2"/>
              <testcase classname="C" name="v" time="1"/>
              <testcase classname="C" name="v" time="1"><error message="late"/></testcase>
              <testcase classname="C" name="t" time="0.5"><skipped/></testcase>
            </testsuite>"#,
        );
        let reports = [r];
        let rows = fold(&reports).rows(&reports);
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.name,
                    r.status,
                    r.attempts,
                    r.failed_attempts,
                    r.duration,
                    r.duration_last,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("t", Status::Flaky, 3, 1, Some(3.5), Some(0.5)),
                ("u", Status::Skipped, 1, 0, Some(1.0), Some(1.0)),
                ("v", Status::Error, 2, 1, Some(2.0), Some(1.0)),
            ]
        );
        assert_eq!(rows[0].message, "m1");
        assert!(rows[0].fingerprint.is_some() && rows[1].fingerprint.is_none());
    }

    #[test]
    fn pytest_reruns_are_childless_repeats() {
        let xml = |suite: &str| {
            format!(
                r#"<testsuites><testsuite name="{suite}">
                  <testcase classname="m" name="once" time="1"/>
                  <testcase classname="m" name="once" time="2"/>
                  <testcase classname="m" name="ok" time="1"/>
                  <testcase classname="m" name="always"/>
                  <testcase classname="m" name="always"/>
                  <testcase classname="m" name="always"><failure message="boom"/></testcase>
                  <testcase classname="m" name="twice"/>
                  <testcase classname="m" name="twice"/>
                  <testcase classname="m" name="twice"/>
                </testsuite></testsuites>"#
            )
        };
        let got = |suite: &str| {
            let reports = [parse(xml(suite).as_bytes())];
            fold(&reports)
                .rows(&reports)
                .iter()
                .map(|r| (r.name.to_string(), r.status, r.attempts, r.failed_attempts))
                .collect::<Vec<_>>()
        };
        let row = |n: &str, s, a, f| (n.to_string(), s, a, f);
        assert_eq!(
            got("pytest"),
            vec![
                row("once", Status::Flaky, 2, 1),
                row("ok", Status::Passed, 1, 0),
                row("always", Status::Failed, 3, 3),
                row("twice", Status::Flaky, 3, 2),
            ]
        );
        // pytest's root names the report pytest's whatever `junit_suite_name` calls the suite.
        let renamed = xml("myapp").replace("<testsuites>", r#"<testsuites name="pytest tests">"#);
        let reports = [parse(renamed.as_bytes())];
        let rows: Vec<_> = fold(&reports)
            .rows(&reports)
            .iter()
            .map(|r| (r.name.to_string(), r.status, r.attempts, r.failed_attempts))
            .collect();
        assert_eq!(rows, got("pytest"));
        // Other producers that repeat elements keep their meaning: each element is an attempt.
        assert_eq!(
            got("gotestsum"),
            vec![
                row("once", Status::Passed, 2, 0),
                row("ok", Status::Passed, 1, 0),
                row("always", Status::Failed, 3, 1),
                row("twice", Status::Passed, 3, 0),
            ]
        );
        // Every test written twice, and no fewer tests counted than elements: each ran on two
        // pytest-xdist workers (`--dist each`), and the row is the worse of them. A rerun
        // repeats only the tests that failed, and pytest does not count it.
        let workers = |tests: &str| {
            let xml = format!(
                r#"<testsuites><testsuite name="pytest"{tests}>
                  <testcase classname="m" name="a"><failure message="port in use"/></testcase>
                  <testcase classname="m" name="b"/>
                  <testcase classname="m" name="a"/>
                  <testcase classname="m" name="b"/>
                </testsuite></testsuites>"#
            );
            let reports = [parse(xml.as_bytes())];
            fold(&reports)
                .rows(&reports)
                .iter()
                .map(|r| (r.name.to_string(), r.status, r.attempts, r.failed_attempts))
                .collect::<Vec<_>>()
        };
        let each = vec![
            row("a", Status::Failed, 1, 1),
            row("b", Status::Passed, 1, 0),
        ];
        assert_eq!(workers(r#" tests="4""#), each);
        // pytest 8 counts a test whose teardown errored twice: more counted is still workers.
        assert_eq!(workers(r#" tests="5""#), each);
        assert_eq!(workers(""), each);
        // Fewer counted than elements: the repeats are reruns (here, both tests rerun once).
        assert_eq!(
            workers(r#" tests="2""#),
            vec![row("a", Status::Flaky, 2, 1), row("b", Status::Flaky, 2, 1)]
        );
        // Across two pytest reports (two jobs of one run), a childless element is a pass.
        let one =
            parse(br#"<testsuite name="pytest"><testcase classname="m" name="t"/></testsuite>"#);
        let two =
            parse(br#"<testsuite name="pytest"><testcase classname="m" name="t"/></testsuite>"#);
        let reports = [one, two];
        let rows = fold(&reports).rows(&reports);
        assert_eq!(
            (rows[0].status, rows[0].failed_attempts),
            (Status::Passed, 0)
        );
    }

    #[test]
    fn tests_whose_fold_keys_collide_stay_apart() {
        let r = parse(
            br#"<testsuite name="s">
              <testcase classname="C" name="t"><failure/></testcase>
              <testcase classname="C" name="u"/>
              <testcase classname="C" name="t"/>
              <testcase classname="C" name="u"><skipped/></testcase>
            </testsuite>"#,
        );
        // Every case given the same fold key, as a hash collision would.
        let keys: Vec<CaseKeys> = case_keys(&r)
            .into_iter()
            .map(|k| CaseKeys { fold: 7, ..k })
            .collect();
        let reports = [r];
        let rows = fold_keyed(&reports, &[keys]).rows(&reports);
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.name, r.status, r.attempts))
            .collect();
        assert_eq!(got, vec![("t", Status::Flaky, 2), ("u", Status::Passed, 2)]);
        assert_ne!(rows[0].key, rows[1].key);
    }

    #[test]
    fn both_ways_of_finding_a_tests_first_case_agree() {
        let a = parse(
            br#"<testsuite name="s">
              <testcase classname="C" name="t"><failure/></testcase>
              <testcase classname="C" name="u"/>
              <testcase classname="D" name="t"/>
              <testcase classname="C" name="t"/>
            </testsuite>"#,
        );
        let b = parse(
            br#"<testsuite name="s">
              <testcase classname="C" name="u"/>
              <testcase classname="E" name="v"/>
              <testcase classname="C" name="t"/>
            </testsuite>"#,
        );
        let reports = [a, b];
        let keys: Vec<Vec<CaseKeys>> = reports.iter().map(case_keys).collect();
        // The same, with every fold key the same, as if they all collided.
        let collided: Vec<Vec<CaseKeys>> = keys
            .iter()
            .map(|k| k.iter().map(|k| CaseKeys { fold: 7, ..*k }).collect())
            .collect();
        // Cases numbered across both reports: C::t is 0, 3 and 6; C::u 1 and 4.
        let want = vec![0, 1, 2, 0, 1, 5, 0];
        for keys in [&keys, &collided] {
            let slices: Vec<&[CaseKeys]> = keys.iter().map(Vec::as_slice).collect();
            assert_eq!(leaders_by_map(&reports, &slices), want);
            assert_eq!(leaders_by_sort(&reports, &slices), want);
        }
    }

    /// vitest's and jest's projects, and mocha's spec files, write the same test once per
    /// project or file, each in a `<testsuite>` element of its own (vitest 3.2.7's two
    /// identical suites; jest-junit 16's suites named alike). Those are runs of the test, not
    /// retries: a failure in one project is a failure, whichever project came first.
    #[test]
    fn the_same_test_in_two_suite_elements_of_one_report_is_no_retry() {
        for (first, second) in [
            ("<failure message=\"b\"/>", ""),
            ("", "<failure message=\"b\"/>"),
        ] {
            let xml = format!(
                r#"<testsuites name="vitest tests">
                  <testsuite name="tests/shared.test.js" hostname="vm">
                    <testcase classname="tests/shared.test.js" name="t" time="1">{first}</testcase>
                    <testcase classname="tests/shared.test.js" name="ok" time="1"/>
                  </testsuite>
                  <testsuite name="tests/shared.test.js" hostname="vm">
                    <testcase classname="tests/shared.test.js" name="t" time="2">{second}</testcase>
                    <testcase classname="tests/shared.test.js" name="ok" time="1"/>
                  </testsuite>
                </testsuites>"#
            );
            let reports = [parse(xml.as_bytes())];
            let rows = fold(&reports).rows(&reports);
            let got: Vec<_> = rows
                .iter()
                .map(|r| (r.name, r.status, r.attempts, r.failed_attempts, r.duration))
                .collect();
            assert_eq!(
                got,
                vec![
                    ("t", Status::Failed, 1, 1, Some(3.0)),
                    ("ok", Status::Passed, 1, 0, Some(2.0)),
                ],
                "{first:?} then {second:?}"
            );
            assert_eq!(rows[0].message, "b");
        }
        // Machines' hostnames (a merged report of two shards' jobs) never name a test: they
        // change from run to run. Playwright's (its root has an `id`) are its projects.
        for (root, names) in [
            ("<testsuites>", ["t", "t"]),
            ("<testsuites id=\"\">", ["t [runner-a]", "t [runner-b]"]),
        ] {
            let xml = format!(
                r#"{root}<testsuite name="s" hostname="runner-a"><testcase classname="C" name="t"><failure/></testcase></testsuite><testsuite name="s" hostname="runner-b"><testcase classname="C" name="t"/></testsuite></testsuites>"#
            );
            let report = parse(xml.as_bytes());
            let got: Vec<&str> = report.cases.iter().map(|c| report.str(c.name)).collect();
            assert_eq!(got, names, "{root}");
        }
        // ReFrame 4.10.4 (`--max-retries 1`) writes each round of retries as a suite of its
        // own, named by its number: a retry.
        let r = parse(
            br#"<testsuites><testsuite name="ReFrame run 0"><testcase classname="c.py" name="FlakyCheck"><failure message="sanity"/></testcase><testcase classname="c.py" name="OkCheck"/></testsuite><testsuite name="ReFrame run 1"><testcase classname="c.py" name="FlakyCheck"/></testsuite></testsuites>"#,
        );
        let reports = [r];
        let rows = fold(&reports).rows(&reports);
        assert_eq!((rows[0].status, rows[0].attempts), (Status::Flaky, 2));
        // Repeats within one suite element stay attempts (Gradle test-retry, gotestsum).
        let r = parse(
            br#"<testsuites><testsuite name="a"><testcase classname="C" name="t"><failure/></testcase><testcase classname="C" name="t"/></testsuite><testsuite name="b"><testcase classname="C" name="u"/></testsuite></testsuites>"#,
        );
        let reports = [r];
        let rows = fold(&reports).rows(&reports);
        assert_eq!((rows[0].status, rows[0].attempts), (Status::Flaky, 2));
    }

    #[test]
    fn rows_across_reports_of_a_run_fold_too() {
        let a = parse(b"<testsuite><testcase classname=\"C\" name=\"t\" time=\"1\"><failure/></testcase></testsuite>");
        let b = parse(b"<testsuite><testcase classname=\"C\" name=\"t\" time=\"1\"/></testsuite>");
        let reports = [a, b];
        let rows = fold(&reports).rows(&reports);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].status, rows[0].attempts, rows[0].report),
            (Status::Flaky, 2, 0)
        );
    }
}

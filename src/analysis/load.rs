//! The window's executions grouped by test and variant, each series in run order: the view
//! trim, the replays, renames and `select priority` walk.

use super::RunCounts;
use super::window::{RunInfo, Window};
use crate::domain::Status;

/// One execution of a test, by window position: 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Exec {
    /// Position of the run in the window.
    pub(crate) run: u32,
    /// Position of the row in the store: within a run, the order the tests appear in its
    /// reports (the order the runner ran them, for runners that write as they go).
    pub(crate) row: u32,
    /// Seconds; NaN when the report gave none (see [`Exec::duration`]).
    seconds: f64,
    pub(crate) status: Status,
}

impl Exec {
    pub(crate) fn new(run: u32, row: u32, status: Status, duration: Option<f64>) -> Exec {
        Exec {
            run,
            row,
            seconds: duration.unwrap_or(f64::NAN),
            status,
        }
    }

    /// The duration the report gave, if any.
    pub(crate) fn duration(&self) -> Option<f64> {
        (!self.seconds.is_nan()).then_some(self.seconds)
    }
}

/// One test (by test id) on one variant, with its executions in window order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    pub(crate) test_id: String,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) family: String,
    pub(crate) suite: String,
    pub(crate) variant: String,
    pub(crate) points: Vec<Exec>,
}

/// Every series in the window, sorted by test id then variant, and the per-run counts of
/// executed and failed tests (for the infrastructure rule).
pub(crate) fn load(window: &Window) -> (Vec<Series>, RunCounts) {
    let counts = window.run_counts();
    let rows = &window.rows;
    let variants = window.variants.len().max(1);
    let slot = |i: usize| {
        window.test_of_row(i) as usize * variants
            + window.run_variant[rows.run[i] as usize] as usize
    };
    // Two passes, so each series is allocated once at its size: (test, variant) -> group, as
    // test × variants + variant, groups in first-appearance order with their sizes; then the
    // executions.
    let mut group_of: Vec<u32> = vec![u32::MAX; window.tests.len() * variants];
    let mut sizes: Vec<(usize, usize)> = Vec::new();
    for i in 0..rows.len() {
        if rows.status[i].is_none() {
            continue;
        }
        let s = slot(i);
        if group_of[s] == u32::MAX {
            group_of[s] = u32::try_from(sizes.len()).expect("fewer than 2^32 series");
            sizes.push((s, 0));
        }
        sizes[group_of[s] as usize].1 += 1;
    }
    let mut groups: Vec<(usize, Vec<Exec>)> = sizes
        .into_iter()
        .map(|(s, n)| (s, Vec::with_capacity(n)))
        .collect();
    for i in 0..rows.len() {
        let Some(status) = rows.status[i] else {
            continue;
        };
        let row = u32::try_from(i).expect("fewer than 2^32 executions");
        groups[group_of[slot(i)] as usize].1.push(Exec::new(
            rows.run[i],
            row,
            status,
            rows.duration(i),
        ));
    }
    drop(group_of);

    let mut series: Vec<Series> = groups
        .into_iter()
        .map(|(slot, mut points)| {
            points.sort_by_key(|p| p.run);
            let t = u32::try_from(slot / variants).expect("fewer than 2^32 tests");
            let n = window.first_names(t);
            Series {
                test_id: window.tests[t as usize].test_id.clone(),
                classname: n.classname.clone(),
                name: n.name.clone(),
                family: n.family.clone(),
                suite: n.suite.clone(),
                variant: window.variants[slot % variants].clone(),
                points,
            }
        })
        .collect();
    series.sort_by(|a, b| {
        a.test_id
            .cmp(&b.test_id)
            .then_with(|| a.variant.cmp(&b.variant))
    });
    (series, counts)
}

/// [`load`], giving the window's executions back as soon as the series hold them (for the
/// commands that need nothing else of the window): the runs, the series and the counts.
pub(crate) fn load_owned(window: Window) -> (Vec<RunInfo>, Vec<Series>, RunCounts) {
    let (series, counts) = load(&window);
    (window.runs, series, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_execution_takes_24_bytes_and_keeps_a_missing_duration() {
        assert_eq!(std::mem::size_of::<Exec>(), 24);
        let e = Exec::new(3, 7, Status::Failed, None);
        assert_eq!(e.duration(), None);
        assert_eq!(
            Exec::new(3, 7, Status::Failed, Some(0.25)).duration(),
            Some(0.25)
        );
    }
}

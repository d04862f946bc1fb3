//! The window's executions in compact form, grouped by test and variant. Read from the stored
//! keys (a run key, a test key and a status code per row), so that no string is materialised
//! per row; each test's names are read once from the tests tables. Analyses over millions of
//! executions start from here.

use super::window::RunInfo;
use super::{AnalysisError, RunCounts, query_err};
use crate::domain::Status;
use crate::domain::run_key;
use crate::store::Store;
pub(crate) use crate::store::batches::{column, for_each_batch};
use crate::store::schema::*;
use polars::prelude::*;
use polars_arrow::array::Array;
use rustc_hash::FxHashMap;

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

/// The names of one test id, from the first test key that carries it.
pub(crate) struct Names {
    pub(crate) test_id: String,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) family: String,
    pub(crate) suite: String,
}

/// What the stored keys stand for in a window: each run key's window position and variant,
/// each test key's test id (an index into `names`) and group (an index into `groups`).
pub(crate) struct Keys {
    /// Run key -> (window position, variant index).
    pub(crate) run: FxHashMap<u64, (u32, u32)>,
    pub(crate) variants: Vec<String>,
    /// Test key -> (test index, group index).
    pub(crate) test: FxHashMap<u64, (u32, u32)>,
    /// Per test index (one per distinct test id).
    pub(crate) names: Vec<Names>,
    /// Per group index: the value of the grouping column (None when empty, e.g. no `file`).
    pub(crate) groups: Vec<Option<String>>,
}

impl Keys {
    /// Reads the tests tables once; `group` is the tests-table column tests are grouped by.
    pub(crate) fn read(
        store: &Store,
        runs: &[RunInfo],
        group: &str,
    ) -> Result<Keys, AnalysisError> {
        let mut keys = Keys {
            run: FxHashMap::default(),
            variants: Vec::new(),
            test: FxHashMap::default(),
            names: Vec::new(),
            groups: Vec::new(),
        };
        for (i, r) in runs.iter().enumerate() {
            let v = match keys.variants.iter().position(|v| *v == r.variant) {
                Some(v) => v,
                None => {
                    keys.variants.push(r.variant.clone());
                    keys.variants.len() - 1
                }
            };
            let pos = u32::try_from(i).unwrap_or(u32::MAX);
            let v = u32::try_from(v).unwrap_or(u32::MAX);
            keys.run.insert(run_key(&r.run, &r.variant), (pos, v));
        }
        const GROUP: &str = "__group";
        let df = store
            .tests()?
            .select([
                col(TEST),
                col(TEST_ID),
                col(CLASSNAME),
                col(NAME),
                col(FAMILY),
                col(SUITE),
                col(group).alias(GROUP),
            ])
            .collect()
            .map_err(query_err(store))?;
        let read = || -> PolarsResult<_> {
            Ok((
                df.column(TEST)?.u64()?.clone(),
                df.column(TEST_ID)?.str()?.clone(),
                df.column(CLASSNAME)?.str()?.clone(),
                df.column(NAME)?.str()?.clone(),
                df.column(FAMILY)?.str()?.clone(),
                df.column(SUITE)?.str()?.clone(),
                df.column(GROUP)?.str()?.clone(),
            ))
        };
        let (key, test_id, classname, name, family, suite, grp) =
            read().map_err(query_err(store))?;
        let mut test_index: FxHashMap<String, u32> = FxHashMap::default();
        let mut group_index: FxHashMap<Option<String>, u32> = FxHashMap::default();
        let rows = key
            .iter()
            .zip(test_id.iter())
            .zip(classname.iter())
            .zip(name.iter())
            .zip(family.iter())
            .zip(suite.iter())
            .zip(grp.iter());
        for ((((((k, id), c), n), f), s), g) in rows {
            let (Some(k), Some(id)) = (k, id) else {
                continue;
            };
            if keys.test.contains_key(&k) {
                continue;
            }
            let id = crate::config::alias_of(id);
            let t = match test_index.get(id) {
                Some(&t) => t,
                None => {
                    let t = u32::try_from(keys.names.len()).unwrap_or(u32::MAX);
                    keys.names.push(Names {
                        test_id: id.to_string(),
                        classname: c.unwrap_or_default().to_string(),
                        name: n.unwrap_or_default().to_string(),
                        family: f.unwrap_or_default().to_string(),
                        suite: s.unwrap_or_default().to_string(),
                    });
                    test_index.insert(id.to_string(), t);
                    t
                }
            };
            let g = g.filter(|g| !g.is_empty()).map(str::to_string);
            let gi = match group_index.get(&g) {
                Some(&gi) => gi,
                None => {
                    let gi = u32::try_from(keys.groups.len()).unwrap_or(u32::MAX);
                    keys.groups.push(g.clone());
                    group_index.insert(g, gi);
                    gi
                }
            };
            keys.test.insert(k, (t, gi));
        }
        Ok(keys)
    }
}

/// Test key -> the given text columns of the tests tables, from the key's first row (a null
/// read as empty): the names a reader attaches to a test key it kept, read once.
pub(crate) fn names_by_key<const N: usize>(
    store: &Store,
    columns: [&str; N],
) -> Result<FxHashMap<u64, [String; N]>, AnalysisError> {
    let err = || query_err(store);
    let df = store
        .tests()?
        .select(
            std::iter::once(col(TEST))
                .chain(columns.iter().map(|c| col(*c)))
                .collect::<Vec<_>>(),
        )
        .collect()
        .map_err(err())?;
    let mut text = Vec::with_capacity(N);
    for c in columns {
        text.push(df.column(c).map_err(err())?.str().map_err(err())?.clone());
    }
    let keys = df.column(TEST).map_err(err())?.u64().map_err(err())?;
    let mut names: FxHashMap<u64, [String; N]> = FxHashMap::default();
    for (i, k) in keys.iter().enumerate() {
        let Some(k) = k else { continue };
        names.entry(k).or_insert_with(|| {
            std::array::from_fn(|c| text[c].get(i).unwrap_or_default().to_string())
        });
    }
    Ok(names)
}

/// Every series in the window, sorted by test id then variant, and the per-run counts of
/// executed and failed tests (for the infrastructure rule).
pub(crate) fn load(
    store: &Store,
    runs: &[RunInfo],
) -> Result<(Vec<Series>, RunCounts), AnalysisError> {
    let mut counts = RunCounts {
        executed: vec![0; runs.len()],
        failed: vec![0; runs.len()],
    };
    if runs.is_empty() {
        return Ok((Vec::new(), counts));
    }
    let keys = Keys::read(store, runs, SUITE)?;

    let query =
        store
            .stored_executions()?
            .select([col(RUN_KEY), col(TEST), col(STATUS), col(DURATION)]);
    let mut group_of: FxHashMap<(u32, u32), usize> = FxHashMap::default();
    let mut groups: Vec<((u32, u32), Vec<Exec>)> = Vec::new();
    let mut first_row = 0usize;
    let read = for_each_batch(query, None, |mut batch| {
        batch.rechunk_mut();
        let (rk, tk, st, du) = (
            column::<u64>(&batch, RUN_KEY)?,
            column::<u64>(&batch, TEST)?,
            column::<u32>(&batch, STATUS)?,
            column::<f64>(&batch, DURATION)?,
        );
        let n = batch.height();
        for i in 0..n {
            let row = first_row + i;
            if !(rk.is_valid(i) && tk.is_valid(i) && st.is_valid(i)) {
                continue;
            }
            let Some(&(pos, variant)) = keys.run.get(&rk.value(i)) else {
                continue;
            };
            let Some(&(id, _)) = keys.test.get(&tk.value(i)) else {
                continue;
            };
            let Some(status) = Status::from_code(st.value(i)) else {
                continue;
            };
            if status != Status::Skipped {
                counts.executed[pos as usize] += 1;
                counts.failed[pos as usize] +=
                    usize::from(matches!(status, Status::Failed | Status::Error));
            }
            let g = *group_of.entry((id, variant)).or_insert_with(|| {
                groups.push(((id, variant), Vec::new()));
                groups.len() - 1
            });
            let row = u32::try_from(row).unwrap_or(u32::MAX);
            groups[g].1.push(Exec::new(pos, row, status, du.get(i)));
        }
        first_row += n;
        Ok(())
    });
    read.map_err(query_err(store))?;

    let mut series: Vec<Series> = groups
        .into_iter()
        .map(|((id, variant), mut points)| {
            points.sort_by_key(|p| p.run);
            // Grown by doubling while read: give the slack back before the analyses allocate.
            points.shrink_to_fit();
            let n = &keys.names[id as usize];
            Series {
                test_id: n.test_id.clone(),
                classname: n.classname.clone(),
                name: n.name.clone(),
                family: n.family.clone(),
                suite: n.suite.clone(),
                variant: keys.variants[variant as usize].clone(),
                points,
            }
        })
        .collect();
    series.sort_by(|a, b| {
        a.test_id
            .cmp(&b.test_id)
            .then_with(|| a.variant.cmp(&b.variant))
    });
    Ok((series, counts))
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

//! What the history holds: counts and time span, computed over the stored tables.

use super::batches::{column, for_each_batch};
use super::schema::*;
use super::{Store, StoreError};
use polars::prelude::*;
use polars_arrow::array::Array;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

/// A report file that had errors.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct BadReport {
    pub(crate) run: String,
    pub(crate) path: String,
    pub(crate) problems: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Stats {
    pub(crate) runs: u64,
    pub(crate) files: u64,
    pub(crate) executions: u64,
    pub(crate) tests: u64,
    pub(crate) suites: u64,
    pub(crate) first_run: Option<String>,
    pub(crate) last_run: Option<String>,
    pub(crate) parse_errors: u64,
    pub(crate) bad_files: Vec<BadReport>,
}

fn err(store: &Store) -> impl FnOnce(PolarsError) -> StoreError + '_ {
    move |source| StoreError::Parquet {
        path: store.dir().display().to_string(),
        message: source.to_string(),
    }
}

fn first_u64(df: &DataFrame, name: &str) -> u64 {
    df.column(name)
        .ok()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<u64>())
        .unwrap_or(0)
}

pub(crate) fn stats(store: &Store) -> Result<Stats, StoreError> {
    store.reading(|| stats_once(store))
}

fn stats_once(store: &Store) -> Result<Stats, StoreError> {
    let (executions, tests, suites) = executions(store)?;
    let r = store
        .runs()?
        .select([
            col(RUN).count().alias(RUN),
            col(TIMESTAMP)
                .min()
                .dt()
                .to_string("%Y-%m-%dT%H:%M:%SZ")
                .alias("first"),
            col(TIMESTAMP)
                .max()
                .dt()
                .to_string("%Y-%m-%dT%H:%M:%SZ")
                .alias("last"),
        ])
        .collect()
        .map_err(err(store))?;
    let reports = store.reports()?;
    let files = reports
        .clone()
        .select([col(PATH).count().alias(PATH)])
        .collect()
        .map_err(err(store))?;
    let bad = reports
        .filter(col(STATUS).eq(lit("error")))
        .select([col(RUN), col(PATH), col(PROBLEMS)])
        .unique(Some(cols([RUN, PATH])), UniqueKeepStrategy::First)
        .sort([RUN, PATH], SortMultipleOptions::default())
        .collect()
        .map_err(err(store))?;
    let text = |df: &DataFrame, name: &str| -> Vec<String> {
        df.column(name)
            .ok()
            .and_then(|c| {
                c.str().ok().map(|ca| {
                    ca.iter()
                        .map(|v| v.unwrap_or_default().to_string())
                        .collect()
                })
            })
            .unwrap_or_default()
    };
    let (runs, paths, problems) = (text(&bad, RUN), text(&bad, PATH), text(&bad, PROBLEMS));
    let bad_files: Vec<BadReport> = runs
        .into_iter()
        .zip(paths)
        .zip(problems)
        .map(|((run, path), problems)| BadReport {
            run,
            path,
            problems,
        })
        .collect();
    let runs_count = first_u64(&r, RUN);
    let opt = |name: &str| {
        text(&r, name)
            .into_iter()
            .next()
            .filter(|s| !s.is_empty() && runs_count > 0)
    };
    Ok(Stats {
        runs: runs_count,
        files: first_u64(&files, PATH),
        executions,
        tests,
        suites,
        first_run: opt("first"),
        last_run: opt("last"),
        parse_errors: bad_files.len() as u64,
        bad_files,
    })
}

/// The executions stored, and the distinct test ids and suites among them: the test keys are
/// read a batch at a time and named from the tests tables, so no name is joined onto every row.
fn executions(store: &Store) -> Result<(u64, u64, u64), StoreError> {
    let mut rows = 0u64;
    let mut used: FxHashSet<u64> = FxHashSet::default();
    let query = store
        .stored_executions()?
        .select([col(TEST), col(ATTEMPTS)]);
    for_each_batch(query, None, |mut batch| {
        batch.rechunk_mut();
        let (test, attempts) = (
            column::<u64>(&batch, TEST)?,
            column::<u32>(&batch, ATTEMPTS)?,
        );
        for i in 0..batch.height() {
            rows += u64::from(attempts.is_valid(i));
            if test.is_valid(i) {
                used.insert(test.value(i));
            }
        }
        Ok(())
    })
    .map_err(err(store))?;
    let tests = store
        .tests()?
        .select([col(TEST), col(TEST_ID), col(SUITE)])
        .collect()
        .map_err(err(store))?;
    let read = || -> PolarsResult<_> {
        Ok((
            tests.column(TEST)?.u64()?.clone(),
            tests.column(TEST_ID)?.str()?.clone(),
            tests.column(SUITE)?.str()?.clone(),
        ))
    };
    let (key, id, suite) = read().map_err(err(store))?;
    // Each key's names from its first row, as the executions view joins them.
    let mut named: FxHashMap<u64, (Option<&str>, Option<&str>)> = FxHashMap::default();
    for ((k, i), s) in key.iter().zip(id.iter()).zip(suite.iter()) {
        if let Some(k) = k {
            named.entry(k).or_insert((i, s));
        }
    }
    // A key the tests tables lack has no name: it counts once as "none", as a null does.
    let (mut ids, mut suites) = (FxHashSet::default(), FxHashSet::default());
    for k in &used {
        let (i, s) = named.get(k).copied().unwrap_or((None, None));
        ids.insert(i);
        suites.insert(s);
    }
    Ok((rows, ids.len() as u64, suites.len() as u64))
}

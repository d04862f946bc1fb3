//! What the history holds: counts and time span, computed with Polars over the stored tables.

use super::schema::*;
use super::{Store, StoreError};
use polars::prelude::*;
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
    let e = store
        .executions()?
        .select([
            col(ATTEMPTS).count().alias(EXECUTIONS),
            col(TEST_ID).n_unique().alias(TEST_ID),
            col(SUITE).n_unique().alias(SUITE),
        ])
        .collect()
        .map_err(err(store))?;
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
        executions: first_u64(&e, EXECUTIONS),
        tests: first_u64(&e, TEST_ID),
        suites: first_u64(&e, SUITE),
        first_run: opt("first"),
        last_run: opt("last"),
        parse_errors: bad_files.len() as u64,
        bad_files,
    })
}

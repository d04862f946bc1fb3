//! Analyses over the stored history. [`window`] loads a window of runs once into one typed
//! structure (runs, names as dictionaries, executions as columns, about 30 bytes a row); each
//! analysis is a function of that `window::Window` returning plain `Serialize` structs, and
//! never prints (`export` and `report` render them). `flaky`: the commit-centred verdicts
//! (flaky, broken, fixed, skipped) and infrastructure failures at run, report and fingerprint
//! level; [`slow`]: time per group, per-test regressions, CI load and shards; `trim`: the
//! diminishing-returns cover and the candidates worth acting on; `gate`: `check`'s gates and
//! the gate for one run; `backtest`: selections replayed run by run; `renames`: likely
//! renames; `history`: the report's per-run detail. `load` groups the window's rows into
//! per-test series for trim, the replays, renames and `select priority`.

pub(crate) mod backtest;
pub(crate) mod flaky;
pub(crate) mod gate;
pub(crate) mod history;
pub(crate) mod load;
pub(crate) mod renames;
pub mod slow;
pub(crate) mod trim;
pub mod window;

/// A run in which more than this share of executed tests fail (and at least 5 ran) is an
/// infrastructure failure: the default of every analysis's `infra_threshold` and of the
/// `--infra-threshold` flags (testsift.toml may set another).
pub(crate) const INFRA_THRESHOLD: f64 = 0.8;

/// What a run's current split is made of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum SplitBy {
    /// The variants (jobs) of the newest run that has several.
    #[default]
    Variant,
    /// The report files of the newest run.
    Report,
}

crate::choice::choices!(SplitBy {
    Variant => "variant": "The variants (jobs) of the newest run that has several",
    Report => "report": "The report files of the newest run",
});

use crate::store::StoreError;
use polars::prelude::PolarsError;

/// What an analysis can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Polars errors carry their cause in their message.
    #[error("{path}: {message}")]
    Query { path: String, message: String },
}

pub(crate) fn query_err(
    store: &crate::store::Store,
) -> impl FnOnce(PolarsError) -> AnalysisError + '_ {
    move |source| AnalysisError::Query {
        path: store.dir().display().to_string(),
        message: source.to_string(),
    }
}

/// A run needs at least this many executed tests to count as an infrastructure failure, so a
/// one-test project whose test is broken is not hidden.
pub(crate) const INFRA_MIN_TESTS: usize = 5;

/// Per run (by window position): tests executed (not skipped) and tests that failed or errored.
pub(crate) struct RunCounts {
    pub(crate) executed: Vec<usize>,
    pub(crate) failed: Vec<usize>,
}

impl RunCounts {
    /// Which runs are infrastructure failures: at least [`INFRA_MIN_TESTS`] executed tests, and
    /// more than `threshold` of them failed. Every analysis leaves the same runs out.
    pub(crate) fn infrastructure(&self, threshold: f64) -> Vec<bool> {
        self.executed
            .iter()
            .zip(&self.failed)
            .map(|(&e, &f)| e >= INFRA_MIN_TESTS && f as f64 > threshold * e as f64)
            .collect()
    }
}

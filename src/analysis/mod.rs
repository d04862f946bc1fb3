//! Analyses over the stored history: each reads the store as Polars lazy queries over a window
//! of runs and returns plain `Serialize` structs. They never print; `export` renders them.

pub mod flaky;
pub mod slow;
pub mod trim;
pub mod window;

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

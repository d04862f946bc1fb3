//! testsift reads the JUnit XML reports CI leaves behind and answers which tests are flaky,
//! broken, slow or not worth their cost. The pipeline, one way:
//!
//! 1. `discover` finds CI runs and the reports (plain, gzipped or inside archives) in each;
//! 2. [`junit`] parses each report into test cases, with located problems for bad input;
//! 3. [`fold`] folds a run's test cases into one row per test (retries become attempts);
//! 4. [`store`] appends those rows to a Parquet history, atomically;
//! 5. [`analysis`] reads the history back as Polars lazy queries into plain results, which
//!    `export` renders.

pub mod analysis;
pub(crate) mod choice;
pub(crate) mod ci_vars;
pub mod cli;
pub mod cmd;
pub(crate) mod config;
pub(crate) mod diagnostic;
pub(crate) mod discover;
pub(crate) mod domain;
pub mod error;
pub(crate) mod export;
pub mod fold;
#[doc(hidden)]
pub mod fuzzing;
pub mod ingest;
pub mod junit;
pub mod report;
pub(crate) mod select;
pub mod store;

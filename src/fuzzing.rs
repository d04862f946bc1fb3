//! What the `ingest` fuzz target (fuzz/ingest/) drives: an ingest of a folder into a store,
//! and the store's own checks, through a small surface so that the rest of the crate stays
//! private. It is compiled in every build, so that a change which would break the fuzz target
//! (built only by cargo-fuzz, on nightly) breaks the ordinary build first.

use crate::ingest::{self, Options, Overrides};
use crate::store::{Store, stats};
use std::path::Path;

/// What one ingest added.
pub struct Ingested {
    pub runs: usize,
    pub executions: u64,
}

/// Ingests the folder `input` into the store at `store` (files up to 1 MiB), as
/// `testsift ingest INPUT --store STORE` does with the default layout; None when the ingest
/// failed as a whole.
pub fn ingest(input: &Path, store: &Path) -> Option<Ingested> {
    let options = Options {
        paths: vec![input.to_path_buf()],
        run_depth: None,
        max_file_size: 1 << 20,
        strict: false,
        overrides: Overrides::default(),
        progress: false,
        ci: None,
    };
    let summary = ingest::ingest(&options, &Store::at(store), &mut |_| {}).ok()?;
    Some(Ingested {
        runs: summary.runs_ingested,
        executions: summary.executions as u64,
    })
}

/// `testsift verify`'s problems with the store at `store` (empty: none).
///
/// # Panics
/// When the store cannot be read at all.
pub fn verify(store: &Path) -> Vec<String> {
    Store::at(store)
        .verify()
        .expect("a store ingest wrote can be verified")
}

/// The executions the store at `store` holds, as `testsift stats` counts them.
///
/// # Panics
/// When the store cannot be read.
pub fn executions(store: &Path) -> u64 {
    stats::stats(&Store::at(store))
        .expect("a store ingest wrote can be read")
        .executions
}

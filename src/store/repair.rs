//! `verify --repair`: take damaged segments out of the store, so that the runs the other
//! segments hold can be read and added to again. A damaged file cannot be mended (the manifest
//! keeps only its size and hash); what it held is named, to be ingested again from the
//! artifacts where they still exist.

use super::schema::{RUN, RUNS_FILE, VARIANT};
use super::{Segment, Store, StoreError, StoreLock, columns, io_err};
use std::fs;
use std::path::PathBuf;

/// The folder in the store that damaged segments are moved into, out of the readers' way but
/// kept for whoever wants to look at them.
pub(crate) const DAMAGED: &str = "damaged";

/// A segment `repair` took out of the store.
#[derive(Debug, Clone)]
pub(crate) struct Dropped {
    pub(crate) id: u64,
    /// What is wrong with it, a line per file, each naming the path.
    pub(crate) problems: Vec<String>,
    /// The runs it held, (run key, variant), when its runs table is whole; else `None`.
    pub(crate) runs: Option<Vec<(String, String)>>,
    /// Its counts, as the manifest lists them.
    pub(crate) run_count: u64,
    pub(crate) executions: u64,
    /// Where its folder was moved, when it still existed.
    pub(crate) moved_to: Option<PathBuf>,
}

/// What `repair` did.
#[derive(Debug, Clone, Default)]
pub(crate) struct Repaired {
    /// The segments taken out.
    pub(crate) dropped: Vec<Dropped>,
    /// What was wrong with `manifest.json` when it was put back to the newest generation.
    pub(crate) entry_restored: Option<String>,
}

impl Store {
    /// Takes every listed segment with a missing or damaged file out of the manifest (its
    /// folder moved into [`DAMAGED`]) in one commit; the whole segments are kept as they are.
    /// Empty when nothing is damaged.
    pub(crate) fn repair(&self, lock: &StoreLock) -> Result<Repaired, StoreError> {
        // `manifest.json` behind the newest generation (a writer killed between its commit
        // and the rename that follows): put back, as the next write would.
        let entry_was = self.entry_problem()?;
        if entry_was.is_some() {
            self.refresh_entry()?;
        }
        let entry_restored = entry_was.filter(|_| matches!(self.entry_problem(), Ok(None)));
        let dropped = self.retrying(|_| self.repair_once(lock), |_| true)?;
        Ok(Repaired {
            dropped,
            entry_restored,
        })
    }

    /// Puts `manifest.json` back to the newest generation when a writer killed between its
    /// commit and the rename after it left an older one there; a no-op otherwise. Every
    /// writer calls it once it holds the lock, so an ingest that finds nothing new to write
    /// still mends the store other engines read (they would read an older store until then).
    pub(crate) fn mend_entry(&self, _lock: &StoreLock) -> Result<bool, StoreError> {
        if self.entry_problem()?.is_none() {
            return Ok(false);
        }
        self.refresh_entry()?;
        Ok(true)
    }

    fn repair_once(&self, _lock: &StoreLock) -> Result<Option<Vec<Dropped>>, StoreError> {
        let manifest = self.read_manifest()?;
        let mut dropped = Vec::new();
        let mut kept = Vec::with_capacity(manifest.segments.len());
        for segment in &manifest.segments {
            let problems = self.segment_problems(segment)?;
            if problems.is_empty() {
                kept.push(segment.clone());
                continue;
            }
            dropped.push(Dropped {
                id: segment.id,
                problems,
                runs: self.run_keys(segment),
                run_count: segment.runs,
                executions: segment.executions,
                moved_to: None,
            });
        }
        if dropped.is_empty() {
            return Ok(Some(dropped));
        }
        // Out of the segments folder first: a retry after another writer's commit finds them
        // missing, and drops them all the same.
        let aside = self.dir.join(DAMAGED);
        for d in &mut dropped {
            let from = self.segment_dir(d.id);
            if !from.is_dir() {
                continue;
            }
            fs::create_dir_all(&aside).map_err(io_err(&aside))?;
            let to = free_name(&aside.join(super::segment_name(d.id)));
            fs::rename(&from, &to).map_err(io_err(&from))?;
            d.moved_to = Some(to);
        }
        let mut work = manifest.clone();
        work.segments = kept;
        let ids: Vec<u64> = dropped.iter().map(|d| d.id).collect();
        let committed = self.replace(work, manifest.generation, &ids, &[])?;
        Ok(committed.then_some(dropped))
    }

    /// The (run, variant) pairs of a segment whose runs table is whole (its size and hash the
    /// manifest's, where the manifest has them).
    fn run_keys(&self, segment: &Segment) -> Option<Vec<(String, String)>> {
        let path = self.segment_dir(segment.id).join(RUNS_FILE);
        if !path.is_file() {
            return None;
        }
        if let Some(sum) = segment.files.get(RUNS_FILE) {
            super::check_sum(&path, sum).ok()?.ok()?;
        }
        let runs = self
            .read_segment(segment, RUNS_FILE, &columns::runs_schema())
            .ok()?;
        let names = runs.column(RUN).ok()?.str().ok()?;
        let variants = runs.column(VARIANT).ok()?.str().ok()?;
        Some(
            (0..runs.height())
                .map(|i| {
                    (
                        names.get(i).unwrap_or("").to_owned(),
                        variants.get(i).unwrap_or("").to_owned(),
                    )
                })
                .collect(),
        )
    }
}

/// `path`, or with `.2`, `.3`, ... after it when that name is taken (a segment id moved aside
/// by an earlier repair of a store restored since).
fn free_name(path: &std::path::Path) -> PathBuf {
    let mut candidate = path.to_path_buf();
    let mut n = 2u32;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{}.{n}", path.display()));
        n = n.saturating_add(1);
    }
    candidate
}

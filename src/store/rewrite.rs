//! Changing committed segments: `forget` rewrites the segments that hold the runs to remove
//! under new ids, lists the new ones in place of the old in one manifest commit, and only then
//! deletes the old folders. Killed before the commit, the store is as it was (the new folders
//! are not listed, so readers ignore them and a later write removes them); killed after it, the
//! old folders are listed as replaced, ignored likewise. When another writer commits first, the
//! new folders are removed and the whole change is done again on the newest manifest, so that
//! nothing another writer added or replaced meanwhile is lost or brought back.

use super::schema::*;
use super::{Manifest, Store, StoreError, StoreLock, columns, io_err, pq_err};
use polars::prelude::*;
use std::collections::HashSet;
use std::fs;
use std::path::Path;

/// Which runs to remove: those named (of one variant, or of all), and those older than a time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    /// Run keys (the `run` column).
    pub(crate) runs: Vec<String>,
    pub(crate) variant: Option<String>,
    /// Milliseconds since the epoch: runs whose timestamp is before it.
    pub(crate) before_ms: Option<i64>,
}

/// A removed run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RemovedRun {
    pub(crate) run: String,
    pub(crate) variant: String,
    pub(crate) executions: u64,
}

/// What `forget` did.
#[derive(Debug, Clone, Default)]
pub(crate) struct Forgotten {
    /// Sorted by run, then variant.
    pub(crate) removed: Vec<RemovedRun>,
    /// Named runs found nowhere in the store.
    pub(crate) unmatched: Vec<String>,
    /// Execution rows removed.
    pub(crate) executions: u64,
}

fn strings<'a>(
    df: &'a DataFrame,
    name: &str,
    path: &Path,
) -> Result<&'a StringChunked, StoreError> {
    df.column(name).and_then(|c| c.str()).map_err(pq_err(path))
}

impl Selection {
    fn names(&self, run: &str, variant: &str) -> bool {
        self.runs.iter().any(|r| r == run) && self.variant.as_deref().is_none_or(|v| v == variant)
    }
}

impl Store {
    /// Removes the runs `selection` picks (their runs, reports and executions rows, and the
    /// tests only they referred to). Nothing is written when nothing matches.
    pub(crate) fn forget(
        &self,
        selection: &Selection,
        lock: &StoreLock,
    ) -> Result<Forgotten, StoreError> {
        self.retrying(|_| self.forget_once(selection, lock), |_| true)
    }

    /// Commits `work` (read as generation `base`) in place of `replaced`, then removes the
    /// replaced folders: `false`, with the `new` folders removed, when another writer committed
    /// first.
    pub(super) fn replace(
        &self,
        mut work: Manifest,
        base: u64,
        replaced: &[u64],
        new: &[u64],
    ) -> Result<bool, StoreError> {
        if let Some(n) = new.iter().max().and_then(|n| n.checked_add(1)) {
            work.next_segment = Some(work.next_id().map_or(n, |next| next.max(n)));
        }
        work.retired.extend(replaced.iter().copied());
        work.retired.retain(|&id| self.segment_dir(id).exists());
        if !self.install(&mut work, base)? {
            for id in new {
                let dir = self.segment_dir(*id);
                fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
            }
            return Ok(false);
        }
        for id in new {
            self.release(*id)?;
        }
        for id in replaced {
            let dir = self.segment_dir(*id);
            match fs::remove_dir_all(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&dir)(e)),
            }
        }
        // The replaced folders are gone: a manifest that no longer names them. Only when no
        // other writer committed meanwhile; otherwise the next commit drops them from the list.
        let base = work.generation;
        work.retired.clear();
        self.install(&mut work, base)?;
        Ok(true)
    }

    /// One try of [`Store::forget`]: `None` when it has to be done again.
    fn forget_once(
        &self,
        selection: &Selection,
        lock: &StoreLock,
    ) -> Result<Option<Forgotten>, StoreError> {
        let manifest = self.manifest()?;
        self.remove_orphans(&manifest, lock)?;
        let mut out = Forgotten::default();
        let mut named_seen: HashSet<String> = HashSet::new();
        let mut work = manifest.clone();
        let mut replaced = Vec::new();
        let mut new_ids: Vec<u64> = Vec::new();
        let mut from = manifest.next_id().ok_or_else(|| StoreError::IdsExhausted {
            path: self.dir.display().to_string(),
        })?;
        let mut segments = Vec::with_capacity(manifest.segments.len());
        for segment in &manifest.segments {
            let runs_path = self.checked(segment, RUNS_FILE)?;
            let runs = self.read_segment(segment, RUNS_FILE, &columns::runs_schema())?;
            let reports_path = self.checked(segment, REPORTS_FILE)?;
            let reports = self.read_segment(segment, REPORTS_FILE, &columns::reports_schema())?;

            // Runs rows to remove, and the run keys whose executions go with them.
            let names = strings(&runs, RUN, &runs_path)?;
            let variants = strings(&runs, VARIANT, &runs_path)?;
            let times = runs
                .column(TIMESTAMP)
                .and_then(|c| c.cast(&DataType::Int64))
                .and_then(|c| c.i64().cloned())
                .map_err(pq_err(&runs_path))?;
            let executions = runs
                .column(EXECUTIONS)
                .and_then(|c| c.cast(&DataType::UInt64))
                .and_then(|c| c.u64().cloned())
                .map_err(pq_err(&runs_path))?;
            let keys = runs
                .column(RUN_KEY)
                .and_then(|c| c.u64().cloned())
                .map_err(pq_err(&runs_path))?;
            let mut gone_pairs: HashSet<(String, String)> = HashSet::new();
            let mut gone_keys: Vec<u64> = Vec::new();
            let mut keep_run = Vec::with_capacity(runs.height());
            for i in 0..runs.height() {
                let run = names.get(i).unwrap_or_default();
                let variant = variants.get(i).unwrap_or_default();
                let old =
                    matches!((selection.before_ms, times.get(i)), (Some(b), Some(t)) if t < b);
                let named = selection.names(run, variant);
                if named {
                    named_seen.insert(run.to_string());
                }
                let gone = named || old;
                keep_run.push(!gone);
                if gone {
                    gone_pairs.insert((run.to_string(), variant.to_string()));
                    if let Some(k) = keys.get(i) {
                        gone_keys.push(k);
                    }
                    out.removed.push(RemovedRun {
                        run: run.to_string(),
                        variant: variant.to_string(),
                        executions: executions.get(i).unwrap_or(0),
                    });
                }
            }
            // Reports rows go with their run, and with a named run that was kept without a
            // runs row (a run with no readable test keeps only its reports).
            let report_runs = strings(&reports, RUN, &reports_path)?;
            let report_variants = strings(&reports, VARIANT, &reports_path)?;
            let mut keep_report = Vec::with_capacity(reports.height());
            for i in 0..reports.height() {
                let run = report_runs.get(i).unwrap_or_default();
                let variant = report_variants.get(i).unwrap_or_default();
                let named = selection.names(run, variant);
                if named {
                    named_seen.insert(run.to_string());
                }
                let pair = (run.to_string(), variant.to_string());
                keep_report.push(!(named || gone_pairs.contains(&pair)));
            }
            if keep_run.iter().all(|k| *k) && keep_report.iter().all(|k| *k) {
                segments.push(segment.clone());
                continue;
            }
            replaced.push(segment.id);
            let mask =
                |keep: Vec<bool>| BooleanChunked::from_iter_values("keep".into(), keep.into_iter());
            let mut runs = runs.filter(&mask(keep_run)).map_err(pq_err(&runs_path))?;
            let mut reports = reports
                .filter(&mask(keep_report))
                .map_err(pq_err(&reports_path))?;

            let exec_path = self.checked(segment, EXECUTIONS_FILE)?;
            let all = self.read_segment(
                segment,
                EXECUTIONS_FILE,
                &columns::stored_executions_schema(),
            )?;
            let gone = Series::new("gone".into(), gone_keys);
            let kept = all
                .clone()
                .lazy()
                .filter(col(RUN_KEY).is_in(lit(gone).implode(false), false).not())
                .collect()
                .map_err(pq_err(&exec_path))?;
            out.executions += (all.height() - kept.height()) as u64;
            drop(all);
            if runs.height() == 0 && reports.height() == 0 {
                continue;
            }
            let tests_path = self.checked(segment, TESTS_FILE)?;
            let used = kept
                .column(TEST)
                .map_err(pq_err(&exec_path))?
                .as_materialized_series()
                .unique()
                .map_err(pq_err(&exec_path))?;
            let tests = self
                .read_segment(segment, TESTS_FILE, &columns::tests_schema())?
                .lazy()
                .filter(col(TEST).is_in(lit(used).implode(false), false))
                .collect()
                .map_err(pq_err(&tests_path))?;
            let mut writer = self.start_segment(from)?;
            new_ids.push(writer.id);
            from = writer.id.saturating_add(1);
            writer.write_batch(&kept, &tests)?;
            let mut new = writer.finish(&mut runs, &mut reports)?;
            new.created = segment.created.clone();
            segments.push(new);
        }
        out.unmatched = selection
            .runs
            .iter()
            .filter(|r| !named_seen.contains(r.as_str()))
            .cloned()
            .collect();
        out.removed.sort();
        if replaced.is_empty() {
            return Ok(Some(out));
        }
        work.segments = segments;
        let committed = self.replace(work, manifest.generation, &replaced, &new_ids)?;
        Ok(committed.then_some(out))
    }
}

/// What `compact` did.
#[derive(Debug, Clone, Default)]
pub(crate) struct Compacted {
    /// Segments merged.
    pub(crate) merged: usize,
    /// The segment they became, when any were merged.
    pub(crate) into: Option<u64>,
}

impl Store {
    /// Merges the segments of at most `small` executions each (`None`: all) into one, when
    /// there are at least `min_segments` of them, or at least two whose test names repeat
    /// more than [`super::REPEATED_NAMES_SHARE`] of the store's bytes (see
    /// [`repeated_names`]): written under a new id, listed in place of the first of them in one
    /// manifest rename, the old folders deleted after.
    pub(crate) fn compact(
        &self,
        small: Option<u64>,
        min_segments: usize,
        lock: &StoreLock,
    ) -> Result<Compacted, StoreError> {
        self.retrying(|_| self.compact_once(small, min_segments, lock), |_| true)
    }

    /// One try of [`Store::compact`]: `None` when it has to be done again.
    fn compact_once(
        &self,
        small: Option<u64>,
        min_segments: usize,
        lock: &StoreLock,
    ) -> Result<Option<Compacted>, StoreError> {
        let manifest = self.manifest()?;
        self.remove_orphans(&manifest, lock)?;
        let merged: Vec<&super::Segment> = manifest
            .segments
            .iter()
            .filter(|s| small.is_none_or(|n| s.executions <= n))
            .collect();
        if merged.len() < 2 || (merged.len() < min_segments && !repeated_names(&manifest, &merged))
        {
            return Ok(Some(Compacted::default()));
        }
        let read_all = |file: &str, schema: Schema| -> Result<DataFrame, StoreError> {
            let frames = merged
                .iter()
                .map(|s| self.scan_segment(s, file, &schema))
                .collect::<Result<Vec<_>, _>>()?;
            concat(frames, UnionArgs::default())
                .and_then(LazyFrame::collect)
                .map_err(pq_err(&self.dir))
        };
        let mut work = manifest.clone();
        let from = manifest.next_id().ok_or_else(|| StoreError::IdsExhausted {
            path: self.dir.display().to_string(),
        })?;
        let mut writer = self.start_segment(from)?;
        let id = writer.id;
        let tests = read_all(TESTS_FILE, columns::tests_schema())?
            .lazy()
            .unique_stable(Some(cols([TEST])), UniqueKeepStrategy::First)
            .collect()
            .map_err(pq_err(&self.dir))?;
        // One segment's executions at a time, so memory holds one of them (and the tests).
        for (i, segment) in merged.iter().enumerate() {
            let executions = self.read_segment(
                segment,
                EXECUTIONS_FILE,
                &columns::stored_executions_schema(),
            )?;
            let names = if i == 0 { tests.clone() } else { tests.clear() };
            writer.write_batch(&executions, &names)?;
        }
        let mut runs = read_all(RUNS_FILE, columns::runs_schema())?;
        let mut reports = read_all(REPORTS_FILE, columns::reports_schema())?;
        let mut segment = writer.finish(&mut runs, &mut reports)?;
        segment.created = merged
            .iter()
            .map(|s| s.created.clone())
            .min()
            .unwrap_or_default();
        let replaced: Vec<u64> = merged.iter().map(|s| s.id).collect();
        let mut segment = Some(segment);
        work.segments = manifest
            .segments
            .iter()
            .filter_map(|s| {
                if replaced.contains(&s.id) {
                    segment.take()
                } else {
                    Some(s.clone())
                }
            })
            .collect();
        if !self.replace(work, manifest.generation, &replaced, &[id])? {
            return Ok(None);
        }
        Ok(Some(Compacted {
            merged: replaced.len(),
            into: Some(id),
        }))
    }
}

/// Whether the tests tables of `merged` (segments of `manifest`), beyond the largest of them,
/// weigh more than [`super::REPEATED_NAMES_SHARE`] of the store's bytes and more than
/// [`super::REPEATED_NAMES_FLOOR`]: the names merging them would save. Sizes come from the
/// manifest (segments of format 2 have none, and count as nothing).
fn repeated_names(manifest: &super::Manifest, merged: &[&super::Segment]) -> bool {
    let size = |s: &super::Segment, file: &str| s.files.get(file).map_or(0, |f| f.size);
    let names: Vec<u64> = merged.iter().map(|s| size(s, TESTS_FILE)).collect();
    let repeated = names.iter().sum::<u64>() - names.iter().max().copied().unwrap_or(0);
    let store: u64 = manifest
        .segments
        .iter()
        .flat_map(|s| s.files.values())
        .map(|f| f.size)
        .sum();
    repeated > super::REPEATED_NAMES_FLOOR
        && repeated as f64 > super::REPEATED_NAMES_SHARE * store as f64
}

#[cfg(test)]
mod tests {
    use super::super::{FileSum, Manifest, Segment};
    use super::*;

    fn segment(id: u64, names: u64, executions: u64) -> Segment {
        let sum = |size| FileSum {
            size,
            xxh3: String::new(),
        };
        Segment {
            id,
            runs: 1,
            reports: 1,
            executions: 1,
            created: String::new(),
            format: 3,
            files: [
                (TESTS_FILE.to_string(), sum(names)),
                (EXECUTIONS_FILE.to_string(), sum(executions)),
            ]
            .into_iter()
            .collect(),
        }
    }

    fn repeated(segments: &[Segment], small: usize) -> bool {
        let manifest = Manifest {
            segments: segments.to_vec(),
            ..Manifest::empty()
        };
        let merged: Vec<&Segment> = manifest.segments[segments.len() - small..].iter().collect();
        repeated_names(&manifest, &merged)
    }

    #[test]
    fn names_repeated_past_the_floor_and_the_share_call_for_a_merge() {
        // A 7.3 MB segment and one-run segments of 215 KB of names and 80 KB of executions:
        // two of them repeat 215 KB, under 5% of 7.9 MB; three repeat 430 KB, over it.
        let big = segment(1, 215_000, 7_300_000);
        let one_run = |id| segment(id, 215_000, 80_000);
        assert!(!repeated(&[big.clone(), one_run(2), one_run(3)], 2));
        assert!(repeated(&[big, one_run(2), one_run(3), one_run(4)], 3));
        // Names of 5 KB: under the floor however small the store.
        let tiny: Vec<Segment> = (1..=12).map(|id| segment(id, 5_000, 5_000)).collect();
        assert!(!repeated(&tiny, 12));
        let tiny: Vec<Segment> = (1..=15).map(|id| segment(id, 5_000, 5_000)).collect();
        assert!(repeated(&tiny, 15));
        // The largest tests table counts once: one segment repeats nothing.
        assert!(!repeated(&[segment(1, 1 << 30, 0)], 1));
    }
}

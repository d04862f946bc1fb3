//! Merging other stores into this one: the runs they hold that this store does not (a run is
//! its run key and variant, as ingest stores it) are copied, with their reports, executions and
//! the names of the tests those executions refer to, into one new segment, committed as an
//! ingest commits. The other stores are only read, their files checked against their manifests.
//!
//! Every key is a hash of what it names (see [`super::columns`]), so rows are copied as they
//! are: the same test has the same key in every store.

use super::schema::*;
use super::{Manifest, Segment, SegmentWriter, Store, StoreError, StoreLock, columns, pq_err};
use polars::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A run: its run key and variant.
type RunName = (String, String);

/// A run present in both stores whose reports differ: this store's copy was kept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Conflict {
    pub(crate) run: String,
    pub(crate) variant: String,
    /// The store whose copy was left out.
    pub(crate) source: String,
}

/// What `merge` did.
#[derive(Debug, Clone, Default)]
pub(crate) struct Merged {
    /// Runs copied into this store.
    pub(crate) runs_added: u64,
    /// Runs skipped because this store (or an earlier store of the same merge) holds them.
    pub(crate) runs_present: u64,
    /// Of those, the ones held with other reports, sorted.
    pub(crate) conflicts: Vec<Conflict>,
    pub(crate) reports_added: u64,
    pub(crate) executions_added: u64,
    /// The segment the runs went into, when any were added.
    pub(crate) segment: Option<u64>,
    /// Stores given that are this store itself (nothing to do for them).
    pub(crate) itself: Vec<String>,
}

/// The runs a store holds, each with its reports' content hashes, sorted: a run whose every
/// report was unreadable has reports but no runs row, and is held all the same.
#[derive(Default)]
struct Held {
    runs: HashMap<RunName, Vec<String>>,
}

impl Held {
    fn add(
        &mut self,
        runs: &DataFrame,
        reports: &DataFrame,
        path: &Path,
    ) -> Result<(), StoreError> {
        for (run, variant) in names(runs, path)? {
            self.runs.entry((run, variant)).or_default();
        }
        for ((run, variant), hash) in names(reports, path)?
            .into_iter()
            .zip(hashes(reports, path)?)
        {
            self.runs.entry((run, variant)).or_default().push(hash);
        }
        self.runs.values_mut().for_each(|h| h.sort_unstable());
        Ok(())
    }
}

fn strings(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<String>, StoreError> {
    let column = df
        .column(name)
        .and_then(|c| c.str().cloned())
        .map_err(pq_err(path))?;
    Ok(column
        .iter()
        .map(|v| v.unwrap_or_default().to_owned())
        .collect())
}

fn names(df: &DataFrame, path: &Path) -> Result<Vec<RunName>, StoreError> {
    Ok(strings(df, RUN, path)?
        .into_iter()
        .zip(strings(df, VARIANT, path)?)
        .collect())
}

/// The runs a segment's runs and reports tables hold (a run whose every report was unreadable
/// has reports but no runs row).
pub(super) fn run_names(
    runs: &DataFrame,
    reports: &DataFrame,
    path: &Path,
) -> Result<HashSet<RunName>, StoreError> {
    let mut out: HashSet<RunName> = names(runs, path)?.into_iter().collect();
    out.extend(names(reports, path)?);
    Ok(out)
}

fn hashes(reports: &DataFrame, path: &Path) -> Result<Vec<String>, StoreError> {
    strings(reports, HASH, path)
}

fn mask(keep: impl Iterator<Item = bool>) -> BooleanChunked {
    BooleanChunked::from_iter_values("keep".into(), keep)
}

impl Store {
    /// The committed state of a store that is to be read only: an error naming the folder
    /// when it is not a store (a store that exists but holds nothing yet is fine).
    pub(crate) fn open(&self) -> Result<Manifest, StoreError> {
        if !self.dir.is_dir() {
            return Err(StoreError::NoStore {
                path: self.dir.display().to_string(),
                why: "no such folder".into(),
            });
        }
        if !self.exists() && !self.dir.join(super::MARKER).is_file() {
            return Err(StoreError::NoStore {
                path: self.dir.display().to_string(),
                why: format!("it holds neither {} nor {}", super::MANIFEST, super::MARKER),
            });
        }
        self.manifest()
    }

    /// Adds the runs of `sources` this store does not hold, in one new segment, in the order
    /// given (a run in two sources is taken from the first). Every source is checked before
    /// anything is written.
    ///
    /// When another writer commits some of the same runs meanwhile, the merge is done again on
    /// the store as that writer left it (see [`SegmentWriter::commit`]).
    pub(crate) fn merge(&self, sources: &[Store], lock: &StoreLock) -> Result<Merged, StoreError> {
        let mut itself = Vec::new();
        let here = self.dir.canonicalize().ok();
        let mut opened = Vec::new();
        for source in sources {
            if here.is_some() && source.dir.canonicalize().ok() == here {
                itself.push(source.dir.display().to_string());
                continue;
            }
            opened.push((source, source.open()?));
        }
        // Also again when it read from under a concurrent compaction that removed what it
        // replaced.
        let out = self.retrying(|_| self.merge_once(&opened, lock), |_| true)?;
        Ok(Merged { itself, ..out })
    }

    /// One try of [`Store::merge`]: `None` when it has to be done again.
    fn merge_once(
        &self,
        opened: &[(&Store, Manifest)],
        lock: &StoreLock,
    ) -> Result<Option<Merged>, StoreError> {
        let mut out = Merged::default();
        let manifest = self.manifest()?;
        self.remove_orphans(&manifest, lock)?;
        let mut held = Held::default();
        for segment in &manifest.segments {
            let (runs, reports) = self.runs_and_reports(segment)?;
            held.add(&runs, &reports, &self.segment_dir(segment.id))?;
        }

        let mut writer: Option<SegmentWriter> = None;
        let mut named: HashSet<u64> = HashSet::new();
        let mut new_runs = Vec::new();
        let mut new_reports = Vec::new();
        for (source, theirs) in opened {
            for segment in &theirs.segments {
                let path = source.segment_dir(segment.id);
                let (runs, reports) = source.runs_and_reports(segment)?;
                let mut mine = Held::default();
                mine.add(&runs, &reports, &path)?;
                let with_runs_row: HashSet<RunName> = names(&runs, &path)?.into_iter().collect();
                let mut taken: HashSet<RunName> = HashSet::new();
                let mut sorted: Vec<_> = mine.runs.into_iter().collect();
                sorted.sort();
                for (name, their_hashes) in sorted {
                    match held.runs.get(&name) {
                        Some(ours) => {
                            if with_runs_row.contains(&name) {
                                out.runs_present += 1;
                            }
                            if *ours != their_hashes {
                                out.conflicts.push(Conflict {
                                    run: name.0.clone(),
                                    variant: name.1.clone(),
                                    source: source.dir.display().to_string(),
                                });
                            }
                        }
                        None => {
                            if with_runs_row.contains(&name) {
                                out.runs_added += 1;
                            }
                            held.runs.insert(name.clone(), their_hashes);
                            taken.insert(name);
                        }
                    }
                }
                if taken.is_empty() {
                    continue;
                }
                let keep_runs = names(&runs, &path)?.into_iter().map(|n| taken.contains(&n));
                let runs = runs.filter(&mask(keep_runs)).map_err(pq_err(&path))?;
                let keep_reports = names(&reports, &path)?
                    .into_iter()
                    .map(|n| taken.contains(&n));
                let reports = reports.filter(&mask(keep_reports)).map_err(pq_err(&path))?;
                out.reports_added += reports.height() as u64;

                let keys: Vec<u64> = taken
                    .iter()
                    .map(|(r, v)| crate::domain::run_key(r, v))
                    .collect();
                let exec_path = path.join(EXECUTIONS_FILE);
                let executions = source
                    .scan_segment(
                        segment,
                        EXECUTIONS_FILE,
                        &columns::stored_executions_schema(),
                    )?
                    .filter(
                        col(RUN_KEY)
                            .is_in(lit(Series::new("taken".into(), keys)).implode(false), false),
                    )
                    .collect()
                    .map_err(pq_err(&exec_path))?;
                out.executions_added += executions.height() as u64;
                // The names of the tests these rows refer to, once per new segment.
                let tests_path = path.join(TESTS_FILE);
                let used: Vec<u64> = executions
                    .column(TEST)
                    .and_then(|c| c.u64().cloned())
                    .map_err(pq_err(&exec_path))?
                    .into_no_null_iter()
                    .filter(|k| !named.contains(k))
                    .collect::<HashSet<u64>>()
                    .into_iter()
                    .collect();
                named.extend(used.iter().copied());
                let tests = source
                    .scan_segment(segment, TESTS_FILE, &columns::tests_schema())?
                    .filter(
                        col(TEST)
                            .is_in(lit(Series::new("used".into(), used)).implode(false), false),
                    )
                    .unique_stable(Some(cols([TEST])), UniqueKeepStrategy::First)
                    .collect()
                    .map_err(pq_err(&tests_path))?;
                if writer.is_none() {
                    writer = Some(self.begin_segment(&manifest, lock)?);
                }
                if let Some(w) = writer.as_mut() {
                    w.write_batch(&executions, &tests)?;
                }
                new_runs.push(runs.lazy());
                new_reports.push(reports.lazy());
            }
        }
        out.conflicts.sort();
        let Some(writer) = writer else {
            return Ok(Some(out));
        };
        let gather = |frames: Vec<LazyFrame>, schema: Schema| {
            let order: Vec<Expr> = schema.iter_names().map(|n| col(n.clone())).collect();
            concat(frames, UnionArgs::default())
                .and_then(|f| f.select(order).collect())
                .map_err(pq_err(&self.dir))
        };
        let runs = gather(new_runs, columns::runs_schema())?;
        let reports = gather(new_reports, columns::reports_schema())?;
        let id = writer.id;
        if writer.commit(runs, reports, manifest)?.is_none() {
            return Ok(None);
        }
        out.segment = Some(id);
        Ok(Some(out))
    }

    /// Whether any of `segments` holds any of the runs `names`.
    pub(super) fn holds_any(
        &self,
        segments: &[&Segment],
        names: &HashSet<RunName>,
    ) -> Result<bool, StoreError> {
        for segment in segments {
            let (runs, reports) = self.runs_and_reports(segment)?;
            let held = run_names(&runs, &reports, &self.segment_dir(segment.id))?;
            if !held.is_disjoint(names) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The runs and reports tables of `segment`, in the in-memory types.
    fn runs_and_reports(&self, segment: &Segment) -> Result<(DataFrame, DataFrame), StoreError> {
        Ok((
            self.read_segment(segment, RUNS_FILE, &columns::runs_schema())?,
            self.read_segment(segment, REPORTS_FILE, &columns::reports_schema())?,
        ))
    }
}

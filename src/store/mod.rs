//! The local history: a directory of immutable segments (one per ingest, four Parquet files
//! each) and a manifest that lists the committed segments.
//!
//! A write puts its segment in a partial folder it claimed exclusively (so two writers never
//! take the same id), fsyncs it and renames it into place; nothing lists it yet. It then
//! commits a new manifest generation by compare-and-swap (see `commit`): of two writers that
//! read the same generation, one commits and the other reads the newest manifest and either lists
//! its segment on top of it or, when the other writer stored some of the same runs meanwhile,
//! drops its segment and writes again (runs already present are skipped then). `manifest.json`
//! is replaced by rename after each commit, for readers that know nothing of generations. None
//! of this needs a lock, so writers on several machines sharing the folder over a network mount
//! lose and duplicate nothing; a lock file only makes writers on one machine take turns.
//!
//! A killed write leaves at most an unlisted folder, which readers never see and a later write
//! removes once it is clearly abandoned (its process is gone, or it was untouched for an hour);
//! its runs are not listed, so the next ingest ingests them again, once.

pub(crate) mod batches;
pub(crate) mod columns;
mod commit;
mod layout;
mod merge;
mod parquet;
mod repair;
mod rewrite;
pub(crate) mod schema;
pub(crate) mod stats;

pub(crate) use commit::{ABANDONED_AFTER, COMMIT_TRIES, backoff};
use commit::{MANIFESTS, WRITER, sync_dir};
use parquet::ParquetFile;
use polars::prelude::*;
pub(crate) use repair::{Dropped, Repaired};
pub(crate) use rewrite::Selection;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const MANIFEST: &str = "manifest.json";
const LOCK: &str = "lock";
const SEGMENTS: &str = "segments";
/// Written when the store is created: testsift writes into (and deletes from) only a folder
/// that holds it, so a `--store` pointed at someone else's folder touches nothing there.
const MARKER: &str = "testsift-store";
const MARKER_TEXT: &str = "This folder is a testsift store: its segments/ and manifest.json are written and deleted by testsift.\n";
/// Format 2 keeps a test's names once per segment (tests.parquet) instead of once per row.
/// Format 3 adds each file's content hash, the next segment id and the replaced segments to
/// the manifest, and a format to each segment (absent: 2). Format 4 adds the manifest's
/// generation and the `manifests/` folder of committed generations (the commit needs no lock);
/// its segments and `manifest.json` read as in format 3.
const FORMAT: u32 = 4;
/// Reads tried again after a writer replaced the segments under them, before the last try.
const READ_TRIES: usize = 8;
/// Ingest merges its small segments (at most [`SMALL_SEGMENT`] executions each) once there are
/// this many: one ingest per CI run otherwise leaves a segment per run, and every reader then
/// opens four files per run. It merges them sooner when the test names they repeat weigh more
/// than [`REPEATED_NAMES_SHARE`] of the store.
pub(crate) const AUTO_COMPACT_SEGMENTS: usize = 16;
/// Each segment keeps the names of its tests; a one-run segment of a 5000-test project holds
/// 215 KB of names for 80 KB of executions. Small segments are merged once the names they hold
/// beyond one copy pass this share of the store's bytes (and [`REPEATED_NAMES_FLOOR`]), which
/// keeps a store built one run at a time within 1.1 times the size of one built at once
/// (docs/store.md).
pub(crate) const REPEATED_NAMES_SHARE: f64 = 0.05;
/// Below this many bytes of repeated names, small segments wait for
/// [`AUTO_COMPACT_SEGMENTS`]: a few kilobytes are not worth rewriting a segment for.
pub(crate) const REPEATED_NAMES_FLOOR: u64 = 64 << 10;
/// See [`AUTO_COMPACT_SEGMENTS`].
pub(crate) const SMALL_SEGMENT: u64 = 1_000_000;
/// The oldest manifest format this testsift reads.
const OLDEST_FORMAT: u32 = 2;
/// The segment format [`SegmentWriter`] writes (see [`layout`]).
const SEGMENT_FORMAT: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: unreadable store manifest: {message}")]
    Manifest { path: String, message: String },
    #[error(
        "{path}: listed in {manifest} but missing: the store is damaged (`testsift verify` lists every problem, and `testsift verify --repair` takes the damaged segments out and names their runs)"
    )]
    MissingSegment { path: String, manifest: String },
    /// Polars errors carry their cause in their message; keeping it as a message (not a
    /// source) prints it once.
    #[error("{path}: {message}")]
    Parquet { path: String, message: String },
    #[error(
        "{path}: not a testsift store (it is not empty and holds neither {MARKER} nor a valid {MANIFEST}); nothing was written or deleted: pass an empty or new folder with --store"
    )]
    NotAStore { path: String },
    #[error(
        "{path}: damaged: {message} (`testsift verify` lists every problem, and `testsift verify --repair` takes the damaged segments out and names their runs)"
    )]
    Damaged { path: String, message: String },
    #[error(
        "{path}: not a testsift store: {why}; nothing was read (pass a folder `testsift ingest` wrote)"
    )]
    NoStore { path: String, why: String },
    #[error("{path}: no segment id left: the next one would pass {max}", max = u64::MAX)]
    IdsExhausted { path: String },
    #[error(
        "{path}: other writers committed first {tries} times in a row; nothing of this write was committed: run it again"
    )]
    Contended { path: String, tries: u32 },
    #[error(
        "{path}: this write's segment was removed as abandoned before it could be committed (it was untouched for longer than {secs} s); nothing was committed: run it again",
        secs = ABANDONED_AFTER.as_secs()
    )]
    Abandoned { path: String },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn pq_err(path: &Path) -> impl FnOnce(PolarsError) -> StoreError + '_ {
    move |source| StoreError::Parquet {
        path: path.display().to_string(),
        message: source.to_string(),
    }
}

/// The size and content hash of a stored file, checked before the file is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileSum {
    pub(crate) size: u64,
    /// xxh3-64 of the file's bytes, 16 hex digits.
    pub(crate) xxh3: String,
}

/// A committed segment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Segment {
    pub(crate) id: u64,
    pub(crate) runs: u64,
    pub(crate) reports: u64,
    pub(crate) executions: u64,
    pub(crate) created: String,
    /// The layout of its Parquet files (see [`layout`]); absent in format 2 manifests.
    #[serde(default = "format_2")]
    pub(crate) format: u32,
    /// Each file's size and hash, by file name; empty for segments written in format 2.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) files: BTreeMap<String, FileSum>,
}

fn format_2() -> u32 {
    2
}

/// What the store holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) format: u32,
    /// Counts the commits: each commit installs the generation after the one it read, and
    /// fails when another writer installed that one first. 0 (absent) before format 4.
    #[serde(default)]
    pub(crate) generation: u64,
    pub(crate) segments: Vec<Segment>,
    /// The id the next segment gets: ids are never reused, so a folder with a lower id that
    /// the manifest does not list was committed once and lost from the manifest (damage),
    /// while one at or above it was left by an interrupted write. Absent in format 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) next_segment: Option<u64>,
    /// Segments replaced by `forget` or `compact` whose folders may still exist until the next
    /// write removes them; readers ignore them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) retired: Vec<u64>,
}

impl Manifest {
    fn empty() -> Manifest {
        Manifest {
            format: FORMAT,
            generation: 0,
            segments: vec![],
            next_segment: Some(1),
            retired: vec![],
        }
    }

    /// The id the next segment gets (format 2 manifests: one past the largest listed).
    pub(crate) fn next_id(&self) -> Option<u64> {
        match self.next_segment {
            Some(n) => Some(n),
            None => match self.segments.iter().map(|s| s.id).max() {
                Some(max) => max.checked_add(1),
                None => Some(1),
            },
        }
    }

    /// Problems of the manifest on its own: a segment listed twice, ids at or past the next id.
    fn problems(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut problems = Vec::new();
        for s in &self.segments {
            if !seen.insert(s.id) {
                problems.push(format!(
                    "segment {} is listed more than once (its rows would be read as many times)",
                    segment_name(s.id)
                ));
            }
        }
        match (self.next_segment, self.segments.iter().map(|s| s.id).max()) {
            (Some(next), Some(max)) if max >= next => problems.push(format!(
                "segment {} is listed but next_segment is {next} (ids are handed out in order)",
                segment_name(max)
            )),
            (None, Some(u64::MAX)) => problems.push(format!(
                "segment {} is listed: no segment id is left after it",
                segment_name(u64::MAX)
            )),
            _ => {}
        }
        problems
    }
}

/// What is in the segments folder, sorted by name.
enum Entry {
    /// A committed or uncommitted segment folder, by id.
    Segment(u64, PathBuf),
    /// A segment being written (or left half-written by a killed process).
    Partial(PathBuf),
    /// A name testsift never writes.
    Foreign(PathBuf),
}

/// A store directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    /// Files whose hash was checked in this process, so each is read for it once.
    verified: Arc<Mutex<HashSet<PathBuf>>>,
}

/// Held while a write runs, released on drop: writers on one machine take turns on it. The
/// commit is correct without it (a lock on a network mount may not reach other machines).
pub(crate) struct StoreLock {
    _file: File,
}

impl Store {
    pub fn at(dir: impl Into<PathBuf>) -> Store {
        Store {
            dir: dir.into(),
            verified: Arc::default(),
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn exists(&self) -> bool {
        self.dir.join(MANIFEST).is_file() || self.dir.join(MANIFESTS).is_dir()
    }

    fn manifest_path(&self) -> PathBuf {
        self.dir.join(MANIFEST)
    }

    fn segment_dir(&self, id: u64) -> PathBuf {
        self.dir.join(SEGMENTS).join(segment_name(id))
    }

    /// The newest committed manifest as written; an empty manifest when the store does not
    /// exist yet.
    fn read_manifest(&self) -> Result<Manifest, StoreError> {
        self.read_newest()
    }

    /// Runs `read`, a read of the segments the manifest lists, again when it failed while a
    /// writer committed: a compaction, a merge or a `forget` removes the segments it replaced
    /// as soon as its manifest is installed, so a reader that had listed them can find one
    /// gone. Readers take no lock; this keeps them right without one. A failure with the
    /// manifest unchanged is returned as it is.
    pub(crate) fn reading<T, E>(&self, mut read: impl FnMut() -> Result<T, E>) -> Result<T, E> {
        let generation = || self.read_manifest().ok().map(|m| m.generation);
        for _ in 0..READ_TRIES {
            let before = generation();
            match read() {
                Ok(value) => return Ok(value),
                Err(e) => {
                    if before.is_none() || generation() == before {
                        return Err(e);
                    }
                }
            }
        }
        read()
    }

    /// The manifest in the file at `path`, checked to be one this testsift reads; `None` when
    /// there is no such file.
    fn read_manifest_file(&self, path: &Path) -> Result<Option<Manifest>, StoreError> {
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(path)(e)),
        };
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Manifest {
                path: path.display().to_string(),
                // Cut short or garbage is damage; whole JSON of another shape may be a newer
                // testsift's.
                message: if e.is_syntax() || e.is_eof() {
                    format!(
                        "it is damaged, not whole JSON ({e}); restore the store, or ingest \
                         into a new one"
                    )
                } else {
                    format!("{e} (was the store written by a newer testsift?)")
                },
            })?;
        if manifest.format < OLDEST_FORMAT {
            return Err(StoreError::Manifest {
                path: path.display().to_string(),
                message: format!(
                    "format {} was written by an older testsift; this one reads formats {OLDEST_FORMAT} to {FORMAT}: ingest the artifacts again into a new store",
                    manifest.format
                ),
            });
        }
        if manifest.format > FORMAT {
            return Err(StoreError::Manifest {
                path: path.display().to_string(),
                message: format!(
                    "format {} is newer than this testsift's {FORMAT}",
                    manifest.format
                ),
            });
        }
        if let Some(s) = manifest
            .segments
            .iter()
            .find(|s| s.format < OLDEST_FORMAT || s.format > SEGMENT_FORMAT)
        {
            return Err(StoreError::Manifest {
                path: path.display().to_string(),
                message: format!(
                    "segment {} has format {}, which this testsift does not read",
                    segment_name(s.id),
                    s.format
                ),
            });
        }
        Ok(Some(manifest))
    }

    /// The committed state, checked against the segments folder: a segment listed twice, or a
    /// committed segment folder the manifest does not list, is an error (either would give
    /// wrong answers). An empty manifest when the store does not exist yet.
    pub(crate) fn manifest(&self) -> Result<Manifest, StoreError> {
        let manifest = self.read_manifest()?;
        let problems = self.layout_problems(&manifest)?;
        match problems.into_iter().next() {
            None => Ok(manifest),
            Some((path, message)) => Err(StoreError::Damaged {
                path: path.display().to_string(),
                message,
            }),
        }
    }

    fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        let dir = self.dir.join(SEGMENTS);
        let read = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(io_err(&dir)(e)),
        };
        let mut entries = Vec::new();
        for entry in read {
            let entry = entry.map_err(io_err(&dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            entries.push(match parse_segment_name(&name) {
                Some((id, false)) => Entry::Segment(id, path),
                Some((_, true)) => Entry::Partial(path),
                None => Entry::Foreign(path),
            });
        }
        entries.sort_by(|a, b| entry_path(a).cmp(entry_path(b)));
        Ok(entries)
    }

    /// Problems of the manifest and of the segments folder beside it, each with the path it is
    /// about: a segment listed twice, or a committed segment folder the manifest misses.
    /// Folders of a write not yet committed (partial, numbered at or past the next id, or
    /// holding a `writer` file: another writer may commit a higher id first) and replaced ones
    /// are no problem: readers ignore them, and a write removes them once abandoned.
    fn layout_problems(&self, manifest: &Manifest) -> Result<Vec<(PathBuf, String)>, StoreError> {
        let mut problems: Vec<(PathBuf, String)> = manifest
            .problems()
            .into_iter()
            .map(|p| (self.manifest_path(), p))
            .collect();
        let listed: HashSet<u64> = manifest.segments.iter().map(|s| s.id).collect();
        let next = manifest.next_id();
        for entry in self.entries()? {
            if let Entry::Segment(id, path) = entry {
                let uncommitted = next.is_some_and(|n| id >= n) || path.join(WRITER).is_file();
                if !listed.contains(&id) && !uncommitted && !manifest.retired.contains(&id) {
                    problems.push((
                        path,
                        format!(
                            "a segment folder {} does not list (its runs would be silently missing)",
                            self.manifest_path().display()
                        ),
                    ));
                }
            }
        }
        Ok(problems)
    }

    /// Makes sure `dir` is a store this testsift may write into, before anything is written:
    /// a folder that does not exist or is empty becomes one (the marker is written), a folder
    /// with the marker is one, and a folder with a valid manifest but no marker (written
    /// before the marker existed) is taken as one and gets the marker. Anything else is
    /// refused, with nothing written or deleted.
    pub(crate) fn claim(&self) -> Result<(), StoreError> {
        let marker = self.dir.join(MARKER);
        let empty = match fs::read_dir(&self.dir) {
            Ok(mut e) => e.next().is_none(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => true,
            Err(e) => return Err(io_err(&self.dir)(e)),
        };
        if !empty && !marker.is_file() {
            let proven = self.manifest_path().is_file() && self.read_manifest().is_ok();
            if !proven {
                return Err(StoreError::NotAStore {
                    path: self.dir.display().to_string(),
                });
            }
        }
        if !marker.is_file() {
            fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
            fs::write(&marker, MARKER_TEXT).map_err(io_err(&marker))?;
        }
        Ok(())
    }

    /// Takes back what [`Store::lock`] made in a folder that was no store before, when nothing
    /// was committed into it: the marker, the lock file, the empty segments folder, and of
    /// `made` (the folders the lock created, the store's own and missing parents, deepest
    /// first) those left empty. Anything else found there (another writer's segment, a
    /// manifest) stays, and so does a folder that was there before. Best effort, done while
    /// the lock is held: a failed ingest should not leave an empty store behind that later
    /// commands read as "no runs yet".
    pub(crate) fn unclaim_if_unused(&self, lock: StoreLock, made: &[PathBuf]) {
        if self.manifest_path().exists() {
            return;
        }
        let _ = fs::remove_dir(self.dir.join(SEGMENTS));
        let only_ours = fs::read_dir(&self.dir).is_ok_and(|entries| {
            entries.flatten().all(|e| {
                let name = e.file_name();
                name == MARKER || name == LOCK
            })
        });
        if only_ours {
            let _ = fs::remove_file(self.dir.join(MARKER));
            let _ = fs::remove_file(self.dir.join(LOCK));
            drop(lock);
            for dir in made {
                if fs::remove_dir(dir).is_err() {
                    break;
                }
            }
        }
    }

    /// The folders from the store's own up to the first that exists, deepest first: what
    /// [`Store::lock`] would create.
    pub(crate) fn missing_folders(&self) -> Vec<PathBuf> {
        self.dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .collect()
    }

    /// Takes the writers' lock, creating the store directory; `on_wait` runs once if another
    /// process holds it, before this one blocks until it is released. A courtesy: see
    /// [`StoreLock`]. Refuses a folder that is not a store (see [`Store::claim`]).
    pub(crate) fn lock(&self, on_wait: impl FnOnce()) -> Result<StoreLock, StoreError> {
        self.claim()?;
        fs::create_dir_all(self.dir.join(SEGMENTS)).map_err(io_err(&self.dir))?;
        let path = self.dir.join(LOCK);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                on_wait();
                file.lock().map_err(io_err(&path))?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_err(&path)(e)),
        }
        Ok(StoreLock { _file: file })
    }

    /// Makes the store ready for a write: checks every listed file's hash (a store that
    /// readers would refuse is not written to), then removes what interrupted writes left: partial
    /// segments and segments written but never listed, once abandoned (their writer's process is
    /// gone, or nothing in them changed for [`ABANDONED_AFTER`]: another writer, on this machine
    /// or another, may be about to commit them), replaced segments, and manifest generations
    /// long superseded. Only names testsift writes are ever removed.
    pub(crate) fn remove_orphans(
        &self,
        manifest: &Manifest,
        _lock: &StoreLock,
    ) -> Result<usize, StoreError> {
        self.verify_listed(manifest)?;
        let next = manifest.next_id();
        let listed: HashSet<u64> = manifest.segments.iter().map(|s| s.id).collect();
        let mut removed = 0;
        for entry in self.entries()? {
            if let Entry::Partial(path) = &entry
                && commit::unstarted(path)
            {
                match commit::remove_unstarted(path) {
                    Ok(()) => removed += 1,
                    // Gone, or its writer named itself meanwhile: in use, left alone.
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::NotFound | io::ErrorKind::DirectoryNotEmpty
                        ) => {}
                    Err(e) => return Err(io_err(path)(e)),
                }
                continue;
            }
            let path = match entry {
                Entry::Partial(path) if commit::abandoned(&path) => path,
                Entry::Segment(id, path)
                    if manifest.retired.contains(&id) && !listed.contains(&id) =>
                {
                    path
                }
                Entry::Segment(id, path)
                    if !listed.contains(&id)
                        && (next.is_some_and(|n| id >= n) || path.join(WRITER).is_file())
                        && commit::abandoned(&path) =>
                {
                    path
                }
                Entry::Partial(_) | Entry::Segment(..) | Entry::Foreign(_) => continue,
            };
            let result = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            match result {
                Ok(()) => removed += 1,
                // Another writer removed it first.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        self.prune_generations(manifest.generation)?;
        Ok(removed)
    }

    /// Checks the whole store: the manifest, the segments folder, and every listed file's size
    /// and hash. One line per problem, each naming the path it is about; empty when whole.
    pub(crate) fn verify(&self) -> Result<Vec<String>, StoreError> {
        let manifest = self.read_manifest()?;
        let mut problems: Vec<String> = self
            .layout_problems(&manifest)?
            .into_iter()
            .map(|(path, message)| format!("{}: {message}", path.display()))
            .collect();
        problems.extend(self.entry_problem()?);
        for entry in self.entries()? {
            if let Entry::Foreign(path) = entry {
                problems.push(format!(
                    "{}: not a name testsift writes in a store's segments folder",
                    path.display()
                ));
            }
        }
        for segment in &manifest.segments {
            problems.extend(self.segment_problems(segment)?);
        }
        Ok(problems)
    }

    /// The problems of one listed segment: its folder or a file missing, or a file whose size
    /// or hash is not the manifest's. One line each, naming the path; empty when whole.
    fn segment_problems(&self, segment: &Segment) -> Result<Vec<String>, StoreError> {
        let dir = self.segment_dir(segment.id);
        if !dir.is_dir() {
            return Ok(vec![format!(
                "{}: listed in {} but missing",
                dir.display(),
                self.manifest_path().display()
            )]);
        }
        let mut problems = Vec::new();
        for file in schema::FILES {
            let path = dir.join(file);
            if !path.is_file() {
                problems.push(format!("{}: missing", path.display()));
            } else if let Some(sum) = segment.files.get(*file) {
                if let Err(message) = check_sum(&path, sum)? {
                    problems.push(format!("{}: {message}", path.display()));
                }
            } else if segment.format >= SEGMENT_FORMAT {
                problems.push(format!(
                    "{}: the manifest lists no size and hash for it, which every segment of \
                     format {} has",
                    path.display(),
                    segment.format
                ));
            }
        }
        Ok(problems)
    }

    /// Checks every file `manifest` lists (once per process); the first problem is the error.
    fn verify_listed(&self, manifest: &Manifest) -> Result<(), StoreError> {
        for segment in &manifest.segments {
            for file in schema::FILES {
                self.checked(segment, file)?;
            }
        }
        Ok(())
    }

    /// The path of `file` of `segment`, its hash checked (once per process) when the manifest
    /// has one.
    fn checked(&self, segment: &Segment, file: &str) -> Result<PathBuf, StoreError> {
        let path = self.segment_dir(segment.id).join(file);
        if !path.is_file() {
            return Err(StoreError::MissingSegment {
                path: path.display().to_string(),
                manifest: self.manifest_path().display().to_string(),
            });
        }
        let Some(sum) = segment.files.get(file) else {
            // Segments since format 3 list every file's size and hash; one without them was
            // edited, and its files cannot be trusted.
            if segment.format >= SEGMENT_FORMAT {
                return Err(StoreError::Damaged {
                    path: path.display().to_string(),
                    message: format!(
                        "the manifest lists no size and hash for it, which every segment of \
                         format {} has",
                        segment.format
                    ),
                });
            }
            return Ok(path);
        };
        let mut verified = self
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !verified.contains(&path) {
            if let Err(message) = check_sum(&path, sum)? {
                return Err(StoreError::Damaged {
                    path: path.display().to_string(),
                    message,
                });
            }
            verified.insert(path.clone());
        }
        Ok(path)
    }

    /// Starts a new segment, under an id no other writer has or had; nothing is visible until
    /// [`SegmentWriter::commit`].
    pub(crate) fn begin_segment(
        &self,
        manifest: &Manifest,
        _lock: &StoreLock,
    ) -> Result<SegmentWriter, StoreError> {
        let from = manifest.next_id().ok_or_else(|| StoreError::IdsExhausted {
            path: self.dir.display().to_string(),
        })?;
        self.start_segment(from)
    }

    /// Claims the first free id at or after `from` and starts writing a segment under its
    /// partial name.
    fn start_segment(&self, from: u64) -> Result<SegmentWriter, StoreError> {
        let (id, tmp) = self.claim_id(from)?;
        let path = tmp.join(schema::EXECUTIONS_FILE);
        let file = File::create(&path).map_err(io_err(&path))?;
        let executions_sync = File::open(&path).map_err(io_err(&path))?;
        let executions = ParquetFile::create(
            file,
            &layout::stored_schema(&columns::stored_executions_schema()),
            EXECUTIONS_DICTIONARY,
            // Hash keys, codes and durations span their whole range in every row group, so
            // min/max statistics seldom let a reader skip one (and cost ingest a little); but a
            // file without them still gets a page index from the writer,
            // and readers that trust it (DuckDB) then skip every page of a filtered query.
            true,
        )
        .map_err(pq_err(&path))?;
        let path = tmp.join(schema::TESTS_FILE);
        let file = File::create(&path).map_err(io_err(&path))?;
        let tests = ParquetFile::create(
            file,
            &layout::stored_schema(&columns::tests_schema()),
            TESTS_DICTIONARY,
            true,
        )
        .map_err(pq_err(&path))?;
        Ok(SegmentWriter {
            store: self.clone(),
            id,
            tmp,
            executions,
            executions_sync,
            tests,
            rows: 0,
        })
    }

    fn partial_dir(&self, id: u64) -> PathBuf {
        self.dir
            .join(SEGMENTS)
            .join(format!("{}{PARTIAL}", segment_name(id)))
    }

    /// `file` of `segment`, its hash checked, read lazily in the in-memory types (`schema`,
    /// whose column names are the file's).
    fn scan_segment(
        &self,
        segment: &Segment,
        file: &str,
        schema: &Schema,
    ) -> Result<LazyFrame, StoreError> {
        let path = self.checked(segment, file)?;
        let s = path.to_string_lossy().into_owned();
        let frame = LazyFrame::scan_parquet(PlRefPath::new(s), ScanArgsParquet::default())
            .map_err(pq_err(&path))?;
        let names: Vec<PlSmallStr> = schema.iter_names().cloned().collect();
        let convert = layout::from_stored(segment.format, &names);
        Ok(if convert.is_empty() {
            frame
        } else {
            frame.with_columns(convert)
        })
    }

    /// `file` of `segment`, read whole in the in-memory types.
    fn read_segment(
        &self,
        segment: &Segment,
        file: &str,
        schema: &Schema,
    ) -> Result<DataFrame, StoreError> {
        self.scan_segment(segment, file, schema)?
            .collect()
            .map_err(pq_err(&self.segment_dir(segment.id).join(file)))
    }

    /// All executions, as a lazy scan over every segment with each test's names joined back
    /// from the tests tables (columns in `columns::executions_schema` order, row order kept).
    pub fn executions(&self) -> Result<LazyFrame, StoreError> {
        self.executions_of(None)
    }

    fn executions_of(&self, predicate: Option<Expr>) -> Result<LazyFrame, StoreError> {
        let stored = self.scan(schema::EXECUTIONS_FILE, columns::stored_executions_schema())?;
        let stored = match predicate {
            Some(p) => stored.filter(p),
            None => stored,
        };
        let tests = self
            .tests()?
            .unique(Some(cols([schema::TEST])), UniqueKeepStrategy::Any);
        let runs =
            self.runs()?
                .select([col(schema::RUN_KEY), col(schema::RUN), col(schema::VARIANT)]);
        let reports = self.reports()?.select([
            col(schema::REPORT_KEY),
            col(schema::PATH).alias(schema::REPORT),
        ]);
        let status = columns::status_frame().map_err(pq_err(&self.dir))?.lazy();
        let names: Vec<Expr> = columns::executions_schema()
            .iter_names()
            .map(|n| {
                if n.as_str() == schema::STATUS {
                    col("status_name").alias(schema::STATUS)
                } else {
                    col(n.clone())
                }
            })
            .collect();
        let join = |on: &str| {
            let mut args =
                JoinArgs::new(JoinType::Left).with_build_side(Some(JoinBuildSide::PreferRight));
            args.maintain_order = MaintainOrderJoin::Left;
            (vec![col(on)], vec![col(on)], args)
        };
        let (l, r, a) = join(schema::RUN_KEY);
        let stored = stored.join(runs, l, r, a);
        let (l, r, a) = join(schema::TEST);
        let stored = stored.join(tests, l, r, a);
        let (l, r, a) = join(schema::REPORT_KEY);
        let stored = stored.join(reports, l, r, a);
        let (l, r, a) = join(schema::STATUS);
        Ok(stored.join(status, l, r, a).select(names))
    }

    /// The executions as stored: keys instead of names (see [`columns::stored_executions_schema`]),
    /// for analyses that group millions of rows by key and read each test's names once.
    pub(crate) fn stored_executions(&self) -> Result<LazyFrame, StoreError> {
        self.scan(schema::EXECUTIONS_FILE, columns::stored_executions_schema())
    }

    /// The tests tables of every segment (a test key may appear in several).
    pub(crate) fn tests(&self) -> Result<LazyFrame, StoreError> {
        self.scan(schema::TESTS_FILE, columns::tests_schema())
    }

    pub fn runs(&self) -> Result<LazyFrame, StoreError> {
        self.scan(schema::RUNS_FILE, columns::runs_schema())
    }

    pub fn reports(&self) -> Result<LazyFrame, StoreError> {
        self.scan(schema::REPORTS_FILE, columns::reports_schema())
    }

    fn scan(&self, file: &str, empty: Schema) -> Result<LazyFrame, StoreError> {
        let manifest = self.manifest()?;
        if manifest.segments.is_empty() {
            return Ok(DataFrame::empty_with_schema(&empty).lazy());
        }
        let frames = manifest
            .segments
            .iter()
            .map(|s| self.scan_segment(s, file, &empty))
            .collect::<Result<Vec<_>, _>>()?;
        concat(frames, UnionArgs::default()).map_err(pq_err(&self.dir))
    }
}

/// Suffix of a segment folder while it is written.
const PARTIAL: &str = ".tmp";

fn segment_name(id: u64) -> String {
    format!("{id:08}")
}

/// The id of a segment folder name testsift writes, and whether it is a partial one; `None`
/// for any other name (never removed, never read).
fn parse_segment_name(name: &str) -> Option<(u64, bool)> {
    let (base, partial) = match name.strip_suffix(PARTIAL) {
        Some(base) => (base, true),
        None => (name, false),
    };
    let id: u64 = base.parse().ok()?;
    (segment_name(id) == base).then_some((id, partial))
}

fn entry_path(entry: &Entry) -> &Path {
    match entry {
        Entry::Segment(_, p) | Entry::Partial(p) | Entry::Foreign(p) => p,
    }
}

/// The size and xxh3-64 of the file at `path`.
fn sum_file(path: &Path) -> Result<FileSum, StoreError> {
    let mut file = File::open(path).map_err(io_err(path))?;
    let mut hasher = xxhash_rust::xxh3::Xxh3Default::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(path)(e)),
        };
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok(FileSum {
        size,
        xxh3: format!("{:016x}", hasher.digest()),
    })
}

/// `Ok(Err(message))` when the file at `path` differs from `sum`.
fn check_sum(path: &Path, sum: &FileSum) -> Result<Result<(), String>, StoreError> {
    let actual = sum_file(path)?;
    Ok(if actual.size != sum.size {
        Err(format!(
            "{} bytes where the manifest says {}",
            actual.size, sum.size
        ))
    } else if actual.xxh3 != sum.xxh3 {
        Err(format!(
            "content hash {} where the manifest says {}: the file was changed or damaged",
            actual.xxh3, sum.xxh3
        ))
    } else {
        Ok(())
    })
}

/// Executions columns given a dictionary: none. Measured on the ingest benchmark, even status
/// and attempt counts cost more to dictionary-encode than the compressor takes to pack them
/// plain, for the same file size; run and report keys are hashes (a hash table per batch), and
/// test keys, durations, messages and output excerpts hardly repeat within a batch.
const EXECUTIONS_DICTIONARY: &[&str] = &[];

/// Tests columns worth a dictionary: many tests share a suite, class, file or family.
const TESTS_DICTIONARY: &[&str] = &[
    schema::SUITE,
    schema::CLASSNAME,
    schema::FILE,
    schema::FAMILY,
];

/// Writes one segment: executions in batches as runs are parsed, runs and reports at the end.
pub(crate) struct SegmentWriter {
    store: Store,
    id: u64,
    tmp: PathBuf,
    executions: ParquetFile,
    /// A second handle on the executions file, to flush each batch to disk while the next one
    /// is parsed; the commit then waits on the last batch only.
    executions_sync: File,
    tests: ParquetFile,
    rows: u64,
}

impl SegmentWriter {
    /// Appends a batch: its executions, and the names of the tests first seen in it.
    pub(crate) fn write_batch(
        &mut self,
        executions: &DataFrame,
        tests: &DataFrame,
    ) -> Result<(), StoreError> {
        self.write_tests(tests)?;
        self.write_executions(executions)
    }

    /// Appends the names of tests first seen in this segment.
    pub(crate) fn write_tests(&mut self, tests: &DataFrame) -> Result<(), StoreError> {
        if tests.height() == 0 {
            return Ok(());
        }
        let path = self.tmp.join(schema::TESTS_FILE);
        let stored = layout::to_stored(tests).map_err(pq_err(&path))?;
        self.tests.write(&stored).map_err(pq_err(&path))
    }

    /// Appends executions.
    pub(crate) fn write_executions(&mut self, executions: &DataFrame) -> Result<(), StoreError> {
        if executions.height() == 0 {
            return Ok(());
        }
        self.rows += executions.height() as u64;
        let path = self.tmp.join(schema::EXECUTIONS_FILE);
        let stored = layout::to_stored(executions).map_err(pq_err(&path))?;
        self.executions.write(&stored).map_err(pq_err(&path))?;
        self.executions_sync.sync_data().map_err(io_err(&path))
    }

    /// Drops the segment without listing it (for `--strict`). A segment left by a crash is
    /// removed by the next ingest instead.
    pub(crate) fn abandon(self) -> Result<(), StoreError> {
        drop(self.executions);
        drop(self.executions_sync);
        drop(self.tests);
        fs::remove_dir_all(&self.tmp).map_err(io_err(&self.tmp))
    }

    /// Makes the segment durable under its final name, with its files' hashes; nothing lists
    /// it yet.
    fn finish(self, runs: &mut DataFrame, reports: &mut DataFrame) -> Result<Segment, StoreError> {
        let exec_path = self.tmp.join(schema::EXECUTIONS_FILE);
        self.executions.finish().map_err(pq_err(&exec_path))?;
        sync(&exec_path)?;
        let tests_path = self.tmp.join(schema::TESTS_FILE);
        self.tests.finish().map_err(pq_err(&tests_path))?;
        sync(&tests_path)?;
        for (df, name) in [
            (&mut *runs, schema::RUNS_FILE),
            (&mut *reports, schema::REPORTS_FILE),
        ] {
            let path = self.tmp.join(name);
            let file = File::create(&path).map_err(io_err(&path))?;
            // One row group: a table gathered from many segments (compaction, merge) comes in
            // a chunk per segment, and a row group per chunk made the runs table of a store
            // compacted from 200 one-run segments 45 times as large.
            df.rechunk_mut();
            let stored = layout::to_stored(df).map_err(pq_err(&path))?;
            ParquetFile::write_all(file, &stored).map_err(pq_err(&path))?;
            sync(&path)?;
        }
        let mut files = BTreeMap::new();
        for file in schema::FILES {
            files.insert(file.to_string(), sum_file(&self.tmp.join(file))?);
        }
        let segments = self.store.dir.join(SEGMENTS);
        let done = segments.join(segment_name(self.id));
        fs::rename(&self.tmp, &done).map_err(io_err(&done))?;
        sync_dir(&segments)?;
        Ok(Segment {
            id: self.id,
            runs: runs.height() as u64,
            reports: reports.height() as u64,
            executions: self.rows,
            created: jiff::Timestamp::now().to_string(),
            format: SEGMENT_FORMAT,
            files,
        })
    }

    /// Makes the segment durable and lists it in the manifest read as `base`, or in a newer one
    /// when another writer committed meanwhile. `Ok(None)` when that writer stored some of the
    /// same runs: then this segment is removed, nothing is committed, and the caller writes
    /// again on the newest manifest (where those runs are skipped).
    pub(crate) fn commit(
        self,
        mut runs: DataFrame,
        mut reports: DataFrame,
        base: Manifest,
    ) -> Result<Option<Manifest>, StoreError> {
        let store = self.store.clone();
        let ours = merge::run_names(&runs, &reports, &self.tmp)?;
        let segment = self.finish(&mut runs, &mut reports)?;
        let dir = store.segment_dir(segment.id);
        let mut base = base;
        for attempt in 0..COMMIT_TRIES {
            if !dir.join(WRITER).is_file() {
                return Err(StoreError::Abandoned {
                    path: dir.display().to_string(),
                });
            }
            let mut work = base.clone();
            work.segments.push(segment.clone());
            let after = segment
                .id
                .checked_add(1)
                .ok_or_else(|| StoreError::IdsExhausted {
                    path: store.dir.display().to_string(),
                })?;
            work.next_segment = Some(work.next_id().map_or(after, |n| n.max(after)));
            // Replaced segments removed by a write's clean-up need no longer be listed.
            work.retired.retain(|&id| store.segment_dir(id).exists());
            if store.install(&mut work, base.generation)? {
                store.release(segment.id)?;
                return Ok(Some(work));
            }
            let newest = store.read_newest()?;
            let before: HashSet<u64> = base.segments.iter().map(|s| s.id).collect();
            let new: Vec<&Segment> = newest
                .segments
                .iter()
                .filter(|s| !before.contains(&s.id))
                .collect();
            if store.holds_any(&new, &ours)? {
                fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
                return Ok(None);
            }
            base = newest;
            backoff(attempt);
        }
        fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
        Err(store.contended(COMMIT_TRIES))
    }
}

fn sync(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io_err(path))
}

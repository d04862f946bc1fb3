//! The local history: a directory of immutable segments (one per ingest, three Parquet files
//! each) and `manifest.json`, which lists the committed segments and is the only commit point.
//!
//! An ingest writes its segment under a temporary name, renames it into place, and only then
//! rewrites the manifest (temp file, fsync, rename). A killed ingest leaves at most an unlisted
//! directory, which readers never see and the next ingest removes; its runs are not in the
//! manifest, so the next ingest ingests them again, once. A lock file keeps two ingests apart.

pub mod columns;
mod parquet;
pub mod schema;
pub mod stats;

use parquet::ParquetFile;
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const MANIFEST: &str = "manifest.json";
const LOCK: &str = "lock";
const SEGMENTS: &str = "segments";
/// Format 2 keeps a test's names once per segment (tests.parquet) instead of once per row.
const FORMAT: u32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "{path}: unreadable store manifest: {message} (was the store written by a newer testsift?)"
    )]
    Manifest { path: String, message: String },
    #[error(
        "{path}: listed in {manifest} but missing: the store is damaged (restore it, or ingest into a new store)"
    )]
    MissingSegment { path: String, manifest: String },
    /// Polars errors carry their cause in their message; keeping it as a message (not a
    /// source) prints it once.
    #[error("{path}: {message}")]
    Parquet { path: String, message: String },
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

/// A committed segment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Segment {
    pub id: u64,
    pub runs: u64,
    pub reports: u64,
    pub executions: u64,
    pub created: String,
}

/// What the store holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub segments: Vec<Segment>,
}

/// A store directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// Held while an ingest writes; released on drop.
pub struct StoreLock {
    _file: File,
}

impl Store {
    pub fn at(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn exists(&self) -> bool {
        self.dir.join(MANIFEST).is_file()
    }

    /// The committed state; an empty manifest when the store does not exist yet.
    pub fn manifest(&self) -> Result<Manifest, StoreError> {
        let path = self.dir.join(MANIFEST);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Manifest {
                    format: FORMAT,
                    segments: vec![],
                });
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Manifest {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        if manifest.format < FORMAT {
            return Err(StoreError::Manifest {
                path: path.display().to_string(),
                message: format!(
                    "format {} was written by an older testsift; this one reads format {FORMAT}: ingest the artifacts again into a new store",
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
        Ok(manifest)
    }

    /// Takes the writer lock, creating the store directory; `on_wait` runs once if another
    /// process holds it, before this one blocks until it is released.
    pub fn lock(&self, on_wait: impl FnOnce()) -> Result<StoreLock, StoreError> {
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

    /// Removes segment directories the manifest does not list (left by a killed ingest).
    /// Call with the lock held.
    pub fn remove_orphans(
        &self,
        manifest: &Manifest,
        _lock: &StoreLock,
    ) -> Result<usize, StoreError> {
        let dir = self.dir.join(SEGMENTS);
        let listed: std::collections::HashSet<String> = manifest
            .segments
            .iter()
            .map(|s| segment_name(s.id))
            .collect();
        let mut removed = 0;
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(io_err(&dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io_err(&dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !listed.contains(&name) {
                let path = entry.path();
                let result = if path.is_dir() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                result.map_err(io_err(&path))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Starts a new segment; nothing is visible until [`SegmentWriter::commit`].
    pub fn begin_segment(
        &self,
        manifest: &Manifest,
        _lock: &StoreLock,
    ) -> Result<SegmentWriter, StoreError> {
        let id = manifest.segments.iter().map(|s| s.id).max().unwrap_or(0) + 1;
        let tmp = self
            .dir
            .join(SEGMENTS)
            .join(format!("{}.tmp", segment_name(id)));
        fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        let path = tmp.join(schema::EXECUTIONS_FILE);
        let file = File::create(&path).map_err(io_err(&path))?;
        let executions_sync = File::open(&path).map_err(io_err(&path))?;
        let executions = ParquetFile::create(
            file,
            &columns::stored_executions_schema(),
            EXECUTIONS_DICTIONARY,
            // Hash keys, codes and durations span their whole range in every row group, so
            // min/max statistics would never let a reader skip one; they cost ~1.5% of the
            // ingest's instructions.
            false,
        )
        .map_err(pq_err(&path))?;
        let path = tmp.join(schema::TESTS_FILE);
        let file = File::create(&path).map_err(io_err(&path))?;
        let tests = ParquetFile::create(file, &columns::tests_schema(), TESTS_DICTIONARY, true)
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

    fn segment_paths(&self, file: &str) -> Result<Vec<PathBuf>, StoreError> {
        Ok(self
            .manifest()?
            .segments
            .iter()
            .map(|s| self.dir.join(SEGMENTS).join(segment_name(s.id)).join(file))
            .collect())
    }

    /// All executions, as a lazy scan over every segment with each test's names joined back
    /// from the tests tables (columns in [`columns::executions_schema`] order, row order kept).
    pub fn executions(&self) -> Result<LazyFrame, StoreError> {
        self.executions_of(None)
    }

    /// [`Store::executions`] of the tests whose test id is one of `test_ids` only: the stored
    /// rows are filtered by test key before any name is joined back, so reading a few tests'
    /// executions out of millions costs little.
    pub fn executions_of_tests(&self, test_ids: &[&str]) -> Result<LazyFrame, StoreError> {
        self.executions_of_keys(schema::TEST_ID, test_ids)
    }

    /// [`Store::executions`] of the tests whose `column` of the tests table (e.g. `suite`) is
    /// one of `values`, filtered by test key before the names are joined back.
    pub fn executions_of_keys(
        &self,
        column: &str,
        values: &[&str],
    ) -> Result<LazyFrame, StoreError> {
        let wanted = Series::new("wanted".into(), values);
        let keys = self
            .tests()?
            .filter(col(column).is_in(lit(wanted).implode(false), false))
            .select([col(schema::TEST)])
            .collect()
            .map_err(pq_err(&self.dir))?;
        let keys = keys
            .column(schema::TEST)
            .map_err(pq_err(&self.dir))?
            .as_materialized_series()
            .clone();
        self.executions_of(Some(
            col(schema::TEST).is_in(lit(keys).implode(false), false),
        ))
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
    pub fn stored_executions(&self) -> Result<LazyFrame, StoreError> {
        self.scan(schema::EXECUTIONS_FILE, columns::stored_executions_schema())
    }

    /// The tests tables of every segment (a test key may appear in several).
    pub fn tests(&self) -> Result<LazyFrame, StoreError> {
        self.scan(schema::TESTS_FILE, columns::tests_schema())
    }

    pub fn runs(&self) -> Result<LazyFrame, StoreError> {
        self.scan(schema::RUNS_FILE, columns::runs_schema())
    }

    pub fn reports(&self) -> Result<LazyFrame, StoreError> {
        self.scan(schema::REPORTS_FILE, columns::reports_schema())
    }

    fn scan(&self, file: &str, empty: Schema) -> Result<LazyFrame, StoreError> {
        let paths = self.segment_paths(file)?;
        if paths.is_empty() {
            return Ok(DataFrame::empty_with_schema(&empty).lazy());
        }
        let mut frames = Vec::with_capacity(paths.len());
        for path in &paths {
            if !path.is_file() {
                return Err(StoreError::MissingSegment {
                    path: path.display().to_string(),
                    manifest: self.dir.join(MANIFEST).display().to_string(),
                });
            }
            let s = path.to_string_lossy().into_owned();
            frames.push(
                LazyFrame::scan_parquet(PlRefPath::new(s), ScanArgsParquet::default())
                    .map_err(pq_err(path))?,
            );
        }
        concat(frames, UnionArgs::default()).map_err(pq_err(&self.dir))
    }
}

fn segment_name(id: u64) -> String {
    format!("{id:08}")
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
pub struct SegmentWriter {
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
    pub fn write_batch(
        &mut self,
        executions: &DataFrame,
        tests: &DataFrame,
    ) -> Result<(), StoreError> {
        if tests.height() > 0 {
            let path = self.tmp.join(schema::TESTS_FILE);
            self.tests.write(tests).map_err(pq_err(&path))?;
        }
        if executions.height() == 0 {
            return Ok(());
        }
        self.rows += executions.height() as u64;
        let path = self.tmp.join(schema::EXECUTIONS_FILE);
        self.executions.write(executions).map_err(pq_err(&path))?;
        self.executions_sync.sync_data().map_err(io_err(&path))
    }

    /// Drops the segment without listing it (for `--strict`). A segment left by a crash is
    /// removed by the next ingest instead.
    pub fn abandon(self) -> Result<(), StoreError> {
        drop(self.executions);
        drop(self.executions_sync);
        drop(self.tests);
        fs::remove_dir_all(&self.tmp).map_err(io_err(&self.tmp))
    }

    /// Makes the segment durable and lists it in the manifest.
    pub fn commit(
        self,
        mut runs: DataFrame,
        mut reports: DataFrame,
        mut manifest: Manifest,
    ) -> Result<Manifest, StoreError> {
        let exec_path = self.tmp.join(schema::EXECUTIONS_FILE);
        self.executions.finish().map_err(pq_err(&exec_path))?;
        sync(&exec_path)?;
        let tests_path = self.tmp.join(schema::TESTS_FILE);
        self.tests.finish().map_err(pq_err(&tests_path))?;
        sync(&tests_path)?;
        for (df, name) in [
            (&mut runs, schema::RUNS_FILE),
            (&mut reports, schema::REPORTS_FILE),
        ] {
            let path = self.tmp.join(name);
            let file = File::create(&path).map_err(io_err(&path))?;
            ParquetFile::write_all(file, df).map_err(pq_err(&path))?;
            sync(&path)?;
        }
        let segments = self.store.dir.join(SEGMENTS);
        let done = segments.join(segment_name(self.id));
        fs::rename(&self.tmp, &done).map_err(io_err(&done))?;
        sync_dir(&segments)?;
        manifest.format = FORMAT;
        manifest.segments.push(Segment {
            id: self.id,
            runs: runs.height() as u64,
            reports: reports.height() as u64,
            executions: self.rows,
            created: jiff::Timestamp::now().to_string(),
        });
        let path = self.store.dir.join(MANIFEST);
        let tmp = self.store.dir.join("manifest.json.tmp");
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| StoreError::Manifest {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        {
            let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
            f.write_all(&json).map_err(io_err(&tmp))?;
            f.sync_all().map_err(io_err(&tmp))?;
        }
        fs::rename(&tmp, &path).map_err(io_err(&path))?;
        sync_dir(&self.store.dir)?;
        Ok(manifest)
    }
}

fn sync(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io_err(path))
}

fn sync_dir(path: &Path) -> Result<(), StoreError> {
    // Directories cannot be fsynced on every platform; where they can, it makes the rename durable.
    match File::open(path).and_then(|f| f.sync_all()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(()),
        Err(e) if cfg!(windows) => {
            let _ = e;
            Ok(())
        }
        Err(e) => Err(io_err(path)(e)),
    }
}

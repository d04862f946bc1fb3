//! The store's copies of past reports: every `testsift report` keeps its report.json, gzipped,
//! as `STORE/reports/<UTC time>.json.gz` (stores before that kept `<UTC time>.json`, still
//! read), and the newest one is the next report's "previous". Only the newest few are kept;
//! only names this module writes are ever removed.

use crate::store::Store;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Folder under the store that holds the kept reports.
pub(crate) const REPORTS_DIR: &str = "reports";

#[derive(Debug, thiserror::Error)]
pub(crate) enum ArchiveError {
    #[error("{path}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl ArchiveError {
    /// The store cannot be written here (a read-only mount, or no write permission).
    pub(crate) fn is_unwritable(&self) -> bool {
        matches!(
            self,
            ArchiveError::Io { source, .. }
                if matches!(
                    source.kind(),
                    io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied
                )
        )
    }
}

fn err(path: &Path) -> impl FnOnce(io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The file name a report generated at `at` is kept under; names sort in time order.
pub(crate) fn file_name(at: jiff::Timestamp) -> String {
    format!("{}.json.gz", at.strftime("%Y%m%dT%H%M%S-%3fZ"))
}

/// The newest kept report, if any.
pub(crate) fn newest(store: &Store) -> Result<Option<PathBuf>, ArchiveError> {
    let dir = store.dir().join(REPORTS_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(&dir)(e)),
    };
    let mut newest: Option<(String, PathBuf)> = None;
    for entry in entries {
        let entry = entry.map_err(err(&dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_kept_name(&name) {
            continue;
        }
        if newest.as_ref().is_none_or(|(n, _)| name > *n) {
            newest = Some((name, entry.path()));
        }
    }
    Ok(newest.map(|(_, p)| p))
}

/// Whether `name` is one [`file_name`] gives (`20231114T221320-009Z.json.gz`), or an
/// uncompressed copy an older testsift kept (`20231114T221320-009Z.json`).
fn is_kept_name(name: &str) -> bool {
    let name = name.strip_suffix(".gz").unwrap_or(name);
    let b = name.as_bytes();
    b.len() == "20231114T221320-009Z.json".len()
        && name.ends_with("Z.json")
        && b[8] == b'T'
        && b[15] == b'-'
        && b.iter()
            .enumerate()
            .filter(|(i, _)| !matches!(i, 8 | 15) && *i < 19)
            .all(|(_, c)| c.is_ascii_digit())
}

/// Keeps `json` as the store's newest report (temporary file, then rename, so a reader never
/// sees half a report), then removes the oldest kept reports beyond the newest `keep`.
pub(crate) fn keep(
    store: &Store,
    at: jiff::Timestamp,
    json: &[u8],
    keep: usize,
) -> Result<PathBuf, ArchiveError> {
    store.claim()?;
    let dir = store.dir().join(REPORTS_DIR);
    fs::create_dir_all(&dir).map_err(err(&dir))?;
    let path = dir.join(file_name(at));
    // One temporary name per process: two reports made in the same millisecond (or under one
    // SOURCE_DATE_EPOCH) must not rename each other's file away.
    let tmp = dir.join(format!(".{}.{}.tmp", file_name(at), std::process::id()));
    // Gzipped: report.json grows with the number of tests, and several copies are kept.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let written = io::Write::write_all(&mut gz, json)
        .and_then(|()| gz.finish())
        .and_then(|bytes| fs::write(&tmp, bytes));
    if let Err(e) = written {
        // A full disk: the half-written copy is not left behind.
        let _ = fs::remove_file(&tmp);
        return Err(err(&tmp)(e));
    }
    fs::rename(&tmp, &path).map_err(err(&path))?;
    prune(&dir, keep.max(1))?;
    Ok(path)
}

/// A temporary copy older than this was left by a report that was killed (or ran out of disk)
/// while writing it; a report in progress writes its copy in seconds.
const STALE_TMP: std::time::Duration = std::time::Duration::from_secs(3600);

/// Whether `name` is a temporary copy [`keep`] writes (`.20231114T221320-009Z.json.PID.tmp`).
fn is_tmp_name(name: &str) -> bool {
    name.strip_prefix('.')
        .and_then(|n| n.strip_suffix(".tmp"))
        .and_then(|n| n.rsplit_once('.'))
        .is_some_and(|(kept, pid)| is_kept_name(kept) && pid.bytes().all(|c| c.is_ascii_digit()))
}

/// Removes the oldest kept reports in `dir` beyond the newest `keep`, and temporary copies
/// left by killed reports.
fn prune(dir: &Path, keep: usize) -> Result<(), ArchiveError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(err(dir))? {
        let entry = entry.map_err(err(dir))?;
        let name = entry.file_name();
        if let Some(name) = name.to_str().filter(|n| is_kept_name(n)) {
            names.push(name.to_string());
        } else if name.to_str().is_some_and(is_tmp_name)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_TMP)
        {
            // Gone already, or not ours to remove: either way nothing to report.
            let _ = fs::remove_file(entry.path());
        }
    }
    names.sort_unstable_by(|a, b| b.cmp(a));
    for name in names.iter().skip(keep) {
        let path = dir.join(name);
        match fs::remove_file(&path) {
            Ok(()) => {}
            // Another report pruned it first.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(&path)(e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_copies_are_told_from_kept_reports() {
        assert!(is_tmp_name(".20231114T221320-009Z.json.gz.4242.tmp"));
        assert!(is_tmp_name(".20231114T221320-009Z.json.4242.tmp"));
        assert!(!is_tmp_name("20231114T221320-009Z.json"));
        assert!(!is_tmp_name(".20231114T221320-009Z.json.tmp"));
        assert!(!is_tmp_name(".notes.json.1.tmp"));
    }

    #[test]
    fn names_sort_in_time_order() {
        let a = jiff::Timestamp::from_millisecond(1_700_000_000_009).expect("in range");
        let b = jiff::Timestamp::from_millisecond(1_700_000_000_010).expect("in range");
        assert_eq!(file_name(a), "20231114T221320-009Z.json.gz");
        assert!(file_name(a) < file_name(b));
        assert!(is_kept_name(&file_name(a)));
        // An older testsift's uncompressed copy is a kept report too.
        assert!(is_kept_name("20231114T221320-009Z.json"));
        for other in [
            "notes.json",
            "20231114T221320-009Z.json.bak",
            "2023111xT221320-009Z.json",
            ".20231114T221320-009Z.json.tmp",
        ] {
            assert!(!is_kept_name(other), "{other}");
        }
    }

    #[test]
    fn only_a_store_that_cannot_be_written_is_forgiven() {
        let io = |kind| ArchiveError::Io {
            path: "s/reports".into(),
            source: io::Error::from(kind),
        };
        assert!(io(io::ErrorKind::ReadOnlyFilesystem).is_unwritable());
        assert!(io(io::ErrorKind::PermissionDenied).is_unwritable());
        assert!(!io(io::ErrorKind::NotFound).is_unwritable());
        assert!(!io(io::ErrorKind::StorageFull).is_unwritable());
    }
}

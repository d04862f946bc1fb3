//! The store's copies of past reports: every `testsift report` keeps its report.json as
//! `STORE/reports/<UTC time>.json`, and the newest one is the next report's "previous".

use crate::store::Store;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Folder under the store that holds the kept reports.
pub const REPORTS_DIR: &str = "reports";

#[derive(Debug, thiserror::Error)]
#[error("{path}")]
pub struct ArchiveError {
    path: String,
    #[source]
    source: io::Error,
}

fn err(path: &Path) -> impl FnOnce(io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError {
        path: path.display().to_string(),
        source,
    }
}

/// The file name a report generated at `at` is kept under; names sort in time order.
pub fn file_name(at: jiff::Timestamp) -> String {
    format!("{}.json", at.strftime("%Y%m%dT%H%M%S-%3fZ"))
}

/// The newest kept report, if any.
pub fn newest(store: &Store) -> Result<Option<PathBuf>, ArchiveError> {
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
        if !name.ends_with(".json") || name.starts_with('.') {
            continue;
        }
        if newest.as_ref().is_none_or(|(n, _)| name > *n) {
            newest = Some((name, entry.path()));
        }
    }
    Ok(newest.map(|(_, p)| p))
}

/// Keeps `json` as the store's newest report (temporary file, then rename, so a reader never
/// sees half a report).
pub fn keep(store: &Store, at: jiff::Timestamp, json: &[u8]) -> Result<PathBuf, ArchiveError> {
    let dir = store.dir().join(REPORTS_DIR);
    fs::create_dir_all(&dir).map_err(err(&dir))?;
    let path = dir.join(file_name(at));
    let tmp = dir.join(format!(".{}.tmp", file_name(at)));
    fs::write(&tmp, json).map_err(err(&tmp))?;
    fs::rename(&tmp, &path).map_err(err(&path))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_in_time_order() {
        let a = jiff::Timestamp::from_millisecond(1_700_000_000_009).expect("in range");
        let b = jiff::Timestamp::from_millisecond(1_700_000_000_010).expect("in range");
        assert_eq!(file_name(a), "20231114T221320-009Z.json");
        assert!(file_name(a) < file_name(b));
    }
}

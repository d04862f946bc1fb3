//! Reading a run's inputs into memory: plain and gzipped reports and the entries of zip and tar
//! archives (never extracted; unsafe entry names refused), each bounded by the size limit that
//! guards against decompression bombs.

use std::fs::File;
use std::io::{self, BufReader, Read};

use flate2::read::MultiGzDecoder;

use super::*;

/// Entry headers in archives state a size that may be a lie; never reserve more than this up
/// front on their word (the buffer still grows to the real size, up to the limit).
pub(super) const PREALLOCATE_AT_MOST: u64 = 16 << 20;

pub(super) fn run_json_read_error(err: &ReadError) -> String {
    match err {
        ReadError::TooLarge => format!("run.json is larger than {RUN_JSON_LIMIT} bytes"),
        ReadError::Io(err, _) => format!("cannot read: {err}"),
    }
}

/// Reads every report held by `input` into memory, each at most `limit` bytes after
/// decompression. Archive `run.json` entries at the archive root are returned as the third
/// element (raw bytes) so the caller can parse them with `meta_from_json`.
pub fn load(input: &Input, limit: u64) -> (Vec<LoadedReport>, Vec<Problem>, Option<Vec<u8>>) {
    let mut loaded = Loaded {
        archive: display_path(&input.path),
        limit,
        reports: Vec::new(),
        problems: Vec::new(),
        run_json: None,
    };
    let file = match open_regular(&input.path) {
        Ok(file) => file,
        Err(message) => {
            let problem = Problem::skipped(loaded.archive, message);
            return (Vec::new(), vec![problem], None);
        }
    };
    match input.kind {
        InputKind::Xml => {
            let result = read_plain(file, limit, input.size);
            loaded.take_read(result);
        }
        // MultiGzDecoder, because `cat a.gz b.gz` and pigz output are valid gzip too.
        InputKind::XmlGz => loaded.read_file(MultiGzDecoder::new(BufReader::new(file)), 0),
        InputKind::Zip => loaded.read_zip(BufReader::new(file)),
        InputKind::Tar => loaded.read_tar(BufReader::new(file)),
        InputKind::TarGz => loaded.read_tar(MultiGzDecoder::new(BufReader::new(file))),
    }
    // Archive order depends on the tool that built it; path order does not.
    loaded.reports.sort_by(|a, b| a.display.cmp(&b.display));
    (loaded.reports, loaded.problems, loaded.run_json)
}

/// What [`load`] gathers from one input.
pub(super) struct Loaded {
    /// The input's display path: the whole location for plain files, the prefix before `!/`
    /// for archive entries.
    archive: String,
    limit: u64,
    reports: Vec<LoadedReport>,
    problems: Vec<Problem>,
    run_json: Option<Vec<u8>>,
}

/// What an archive entry is to us, judging by its name.
pub(super) enum EntryRole {
    Report,
    RunJson,
}

impl Loaded {
    fn read_file(&mut self, reader: impl Read, size_hint: u64) {
        let result = read_bounded(reader, self.limit, size_hint);
        self.take_read(result);
    }

    /// Keeps what one report's read gave: its bytes, or its start and a warning, or a problem.
    fn take_read(&mut self, result: Result<Vec<u8>, ReadError>) {
        match result {
            Ok(bytes) => self.reports.push(LoadedReport {
                display: self.archive.clone(),
                bytes,
            }),
            // A report cut short inside its compression (a CI job killed mid-upload) still
            // holds the test cases before the cut: parse what decompressed, and say so.
            Err(ReadError::Io(err, partial)) if !partial.is_empty() => {
                self.problems.push(Problem::warning(
                    self.archive.clone(),
                    format!(
                        "cannot read to the end: {err}; the first {} bytes are parsed",
                        partial.len()
                    ),
                ));
                self.reports.push(LoadedReport {
                    display: self.archive.clone(),
                    bytes: partial,
                });
            }
            Err(err) => self
                .problems
                .push(self.read_problem(self.archive.clone(), &err)),
        }
    }

    fn read_zip(&mut self, reader: BufReader<File>) {
        let mut archive = match zip::ZipArchive::new(reader) {
            Ok(archive) => archive,
            Err(err) => {
                self.problems.push(Problem::skipped(
                    self.archive.clone(),
                    format!("cannot read zip archive: {err}"),
                ));
                return;
            }
        };
        for index in 0..archive.len() {
            // Entries are independent in a zip, so one bad entry (encrypted, unsupported
            // compression, bad checksum) does not stop the others.
            let mut entry = match archive.by_index(index) {
                Ok(entry) => entry,
                Err(err) => {
                    self.problems.push(Problem::skipped(
                        self.archive.clone(),
                        format!("cannot read zip entry {}: {err}", index + 1),
                    ));
                    continue;
                }
            };
            if !entry.is_file() {
                continue;
            }
            let name = match entry.name() {
                Ok(name) => name.into_owned(),
                Err(err) => {
                    self.problems.push(Problem::skipped(
                        self.archive.clone(),
                        format!("cannot read the name of zip entry {}: {err}", index + 1),
                    ));
                    continue;
                }
            };
            let size = entry.size();
            self.read_entry(&name, size, &mut entry);
        }
    }

    fn read_tar(&mut self, reader: impl Read) {
        let mut archive = tar::Archive::new(reader);
        let entries = match archive.entries() {
            Ok(entries) => entries,
            Err(err) => {
                self.problems.push(Problem::skipped(
                    self.archive.clone(),
                    format!("cannot read tar archive: {err}"),
                ));
                return;
            }
        };
        for entry in entries {
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    // A tar stream has no index to resynchronise from; the reports read so far
                    // are kept.
                    self.problems.push(Problem::skipped(
                        self.archive.clone(),
                        format!("cannot read tar archive: {err}"),
                    ));
                    return;
                }
            };
            let entry_type = entry.header().entry_type();
            if !(entry_type.is_file() || entry_type.is_contiguous()) {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let size = entry.size();
            if !self.read_entry(&name, size, &mut entry) {
                // The stream broke inside this entry, so the next header cannot be found
                // either; one problem says it.
                return;
            }
        }
    }

    /// Reads one archive entry if it is a report or the root run.json. Returns false when
    /// reading failed for a reason other than size (the archive's stream is broken).
    fn read_entry(&mut self, name: &str, declared_size: u64, reader: &mut impl Read) -> bool {
        let (role, clean) = match classify_entry(name) {
            Ok(Some(found)) => found,
            Ok(None) => return true,
            Err(reason) => {
                self.problems.push(Problem::skipped(
                    self.archive.clone(),
                    format!("entry \"{name}\" {reason}; skipped"),
                ));
                return true;
            }
        };
        let display = format!("{}!/{clean}", self.archive);
        let limit = match role {
            EntryRole::Report => self.limit,
            EntryRole::RunJson => self.limit.min(RUN_JSON_LIMIT),
        };
        // The declared size lets an oversized entry be refused without decompressing it; the
        // bounded read below catches headers that lie.
        let bytes = if declared_size > limit {
            Err(ReadError::TooLarge)
        } else {
            read_bounded(reader, limit, declared_size)
        };
        let keep_going = !matches!(bytes, Err(ReadError::Io(..)));
        match (role, bytes) {
            (EntryRole::Report, Ok(bytes)) => self.reports.push(LoadedReport { display, bytes }),
            (EntryRole::Report, Err(err)) => {
                self.problems.push(self.read_problem(display, &err));
            }
            (EntryRole::RunJson, Ok(bytes)) => {
                // `run.json` and `./run.json` may both be present; the first one wins.
                self.run_json.get_or_insert(bytes);
            }
            (EntryRole::RunJson, Err(err)) => self.problems.push(Problem::warning(
                display,
                format!("{}; using default run metadata", run_json_read_error(&err)),
            )),
        }
        keep_going
    }

    fn read_problem(&self, location: String, err: &ReadError) -> Problem {
        let message = match err {
            ReadError::TooLarge => format!(
                "report is larger than the limit of {} bytes (--max-file-size)",
                self.limit
            ),
            ReadError::Io(err, _) => format!("cannot read: {err}"),
        };
        Problem::skipped(location, message)
    }
}

/// Decides what an archive entry is from its name: `Ok(None)` for entries that are neither a
/// report nor the root run.json, `Err(reason)` for a candidate whose name is unsafe. The name
/// returned has `/` separators and no `.` or empty components.
pub(super) fn classify_entry(name: &str) -> Result<Option<(EntryRole, String)>, &'static str> {
    let name = name.replace('\\', "/");
    let components: Vec<&str> = name
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    let Some(last) = components.last() else {
        return Ok(None);
    };
    let lower = last.to_ascii_lowercase();
    let is_report = lower.len() > ".xml".len() && lower.ends_with(".xml");
    if !is_report && lower != RUN_JSON {
        return Ok(None);
    }
    // We never write entries to disk, but such names only come from broken or hostile
    // archives, and a display path like `a.zip!/../x.xml` would mislead.
    let bytes = name.as_bytes();
    let drive_letter = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if name.starts_with('/') || drive_letter {
        return Err("has an absolute path");
    }
    if components.contains(&"..") {
        return Err("has a '..' path component");
    }
    // Same rule as on disk: hidden folders are tool state, `._x.xml` are macOS resource forks
    // (zip's `__MACOSX/` folder is full of them).
    if components.iter().any(|part| part.starts_with('.')) {
        return Ok(None);
    }
    let role = if is_report {
        EntryRole::Report
    } else if components.len() == 1 {
        EntryRole::RunJson
    } else {
        return Ok(None);
    };
    Ok(Some((role, components.join("/"))))
}

pub(super) enum ReadError {
    TooLarge,
    /// The error and the bytes read before it (a truncated gzip stream still yields its start).
    Io(io::Error, Vec<u8>),
}

/// Reads at most `limit` bytes; one byte more means the data is too large. Reading through
/// `take` stops a decompression bomb after `limit + 1` bytes instead of at the end of the
/// stream.
pub(super) fn read_bounded(
    reader: impl Read,
    limit: u64,
    size_hint: u64,
) -> Result<Vec<u8>, ReadError> {
    let capacity = size_hint.min(limit).min(PREALLOCATE_AT_MOST);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    let read = reader.take(limit.saturating_add(1)).read_to_end(&mut bytes);
    within_limit(read, bytes, limit)
}

/// What a read into `bytes` gave: the bytes, the error with the bytes before it, or
/// [`ReadError::TooLarge`] when there are more than `limit` of them.
pub(super) fn within_limit(
    read: io::Result<usize>,
    bytes: Vec<u8>,
    limit: u64,
) -> Result<Vec<u8>, ReadError> {
    if let Err(err) = read {
        return Err(ReadError::Io(err, bytes));
    }
    if u64::try_from(bytes.len()).map_or(true, |len| len > limit) {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

/// Reads a plain report file. A regular file whose size is within `limit` is read by
/// `File::read_to_end`, which sizes its reads by the file's length (about three calls for a
/// 460 KB report, against eight through `take`, whose reads start at 8 KiB and double). A file that grew past `limit` while it was read is
/// refused after the read. Anything else (a pipe, a device, a file already too large) goes
/// through [`read_bounded`].
pub(super) fn read_plain(mut file: File, limit: u64, size_hint: u64) -> Result<Vec<u8>, ReadError> {
    let regular = file
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() <= limit);
    if !regular {
        return read_bounded(file, limit, size_hint);
    }
    let mut bytes = Vec::new();
    let read = file.read_to_end(&mut bytes);
    within_limit(read, bytes, limit)
}

//! Reading a run's inputs into memory: plain and gzipped reports and the entries of zip and tar
//! archives (never extracted; unsafe entry names refused), each bounded by the size limit that
//! guards against decompression bombs.

use std::fs::File;
use std::io::{self, BufReader, Read};

use flate2::read::MultiGzDecoder;

use super::squeeze::Squeezer;
use super::*;

/// Entry headers in archives state a size that may be a lie; never reserve more than this up
/// front on their word (the buffer still grows to the real size, up to the limit).
pub(super) const PREALLOCATE_AT_MOST: u64 = 16 << 20;

pub(super) fn run_json_read_error(err: &ReadError) -> String {
    match err {
        ReadError::TooLarge => format!("run.json is larger than {RUN_JSON_LIMIT} bytes"),
        ReadError::Io(err, _) => format!("cannot read: {err}"),
        ReadError::ReadAgain => "cannot read to the end".to_string(),
    }
}

/// Reads every report held by `input` into memory, each at most `limit` bytes after
/// decompression. Archive `run.json` entries at the archive root are returned as the third
/// element (raw bytes) so the caller can parse them with `meta_from_json`.
pub(crate) fn load(
    input: &Input,
    limit: u64,
) -> (Vec<LoadedReport>, Vec<Problem>, Option<Vec<u8>>) {
    load_keeping(input, limit, KEEP_BEFORE_KNOWN)
}

/// [`load`], keeping at most `keep` bytes of a decompressing stream before its size is known.
pub(super) fn load_keeping(
    input: &Input,
    limit: u64,
    keep: u64,
) -> (Vec<LoadedReport>, Vec<Problem>, Option<Vec<u8>>) {
    let mut loaded = Loaded {
        archive: display_path(&input.path),
        limit,
        keep,
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
        InputKind::XmlGz => {
            let gunzip = |file: File| MultiGzDecoder::new(BufReader::new(file));
            let mut result = read_squeezed(gunzip(file), limit, 0, keep);
            if matches!(result, Err(ReadError::ReadAgain)) {
                // Within the limit after all: read again, keeping everything.
                result = match open_regular(&input.path) {
                    Ok(file) => read_squeezed(gunzip(file), limit, 0, u64::MAX),
                    Err(message) => Err(ReadError::Io(
                        io::Error::other(message),
                        Squeezed::default(),
                    )),
                };
            }
            loaded.take_read(result);
        }
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
    /// Bytes kept of a decompressing stream before its size is known ([`KEEP_BEFORE_KNOWN`]).
    keep: u64,
    reports: Vec<LoadedReport>,
    problems: Vec<Problem>,
    run_json: Option<Vec<u8>>,
}

/// A stored zip entry's data when a signed data descriptor follows it (its compressed size
/// the length of the data), the descriptor read too; `None` when none is found within `limit`
/// bytes or before the end of the file.
fn stored_until_descriptor(
    reader: &mut BufReader<File>,
    limit: u64,
    zip64: bool,
) -> io::Result<Option<Vec<u8>>> {
    let tail = if zip64 { 20 } else { 12 };
    let mut data: Vec<u8> = Vec::new();
    let mut byte = [0u8; 1];
    while (data.len() as u64) <= limit {
        match reader.read_exact(&mut byte) {
            Ok(()) => data.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let n = data.len();
        if n >= 4 + tail && data[n - 4 - tail..n - tail] == [0x50, 0x4b, 0x07, 0x08] {
            let start = n - 4 - tail;
            let size_field = &data[n - tail + 4..n - tail + if zip64 { 12 } else { 8 }];
            let declared = size_field
                .iter()
                .rev()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            if declared == start as u64 {
                data.truncate(start);
                return Ok(Some(data));
            }
        }
    }
    Ok(None)
}

/// One step of the walk over a zip's local headers.
enum Walked {
    Read,
    /// The walk cannot go on: why, naming the entry.
    Stop(String),
}

/// What an archive entry is to us, judging by its name.
pub(super) enum EntryRole {
    Report,
    RunJson,
}

impl Loaded {
    /// Keeps what one report's read gave: its bytes, or its start and a warning, or a problem.
    fn take_read(&mut self, result: Result<Squeezed, ReadError>) {
        match result {
            Ok(read) => self.reports.push(read.into_report(self.archive.clone())),
            // A report cut short inside its compression (a CI job killed mid-upload) still
            // holds the test cases before the cut: parse what decompressed, and say so.
            Err(ReadError::Io(err, partial)) if !partial.bytes.is_empty() => {
                self.problems.push(Problem::warning(
                    self.archive.clone(),
                    format!(
                        "cannot read to the end: {err}; the first {} bytes are parsed",
                        partial.raw
                    ),
                ));
                self.reports.push(partial.into_report(self.archive.clone()));
            }
            Err(err) => self
                .problems
                .push(self.read_problem(self.archive.clone(), &err)),
        }
    }

    fn read_zip(&mut self, mut reader: BufReader<File>) {
        let declared = declared_zip_entries(&mut reader);
        let again = reader.get_ref().try_clone();
        let mut archive = match zip::ZipArchive::new(reader) {
            Ok(archive) => archive,
            Err(err) => {
                self.read_zip_in_order(&err, again);
                return;
            }
        };
        // Entries of one name are one entry to the zip reader (the last wins): the others'
        // reports would be lost without a word.
        if let Some(declared) = declared.filter(|&d| d > archive.len() as u64) {
            self.problems.push(Problem::skipped(
                self.archive.clone(),
                format!(
                    "{} of its {declared} entries repeat{} the name of another entry; only \
                     the last entry of each name was read",
                    declared - archive.len() as u64,
                    if declared - archive.len() as u64 == 1 {
                        "s"
                    } else {
                        ""
                    }
                ),
            ));
        }
        // The bytes each entry read so far takes in the file (local header to the end of its
        // data), by start: entries of a zip never share bytes, except in a decompression bomb
        // whose many entries point at one highly compressed stream.
        let mut taken: std::collections::BTreeMap<u64, u64> = std::collections::BTreeMap::new();
        let mut overlapping: Vec<usize> = Vec::new();
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
            let start = entry.header_start();
            let end = entry
                .data_start()
                .unwrap_or(start)
                .saturating_add(entry.compressed_size())
                .max(start.saturating_add(1));
            let before = taken.range(..end).next_back();
            if before.is_some_and(|(&s, &e)| s < end && start < e) {
                overlapping.push(index + 1);
                continue;
            }
            taken.insert(start, end);
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
            if let Entry::ReadAgain = self.read_entry(&name, size, &mut entry, self.keep) {
                drop(entry);
                // Within the limit after all (the header's size was not to be trusted): read
                // again, keeping everything.
                if let Ok(mut entry) = archive.by_index(index) {
                    self.read_entry(&name, size, &mut entry, u64::MAX);
                }
            }
        }
        if let (Some(first), n) = (overlapping.first(), overlapping.len()) {
            self.problems.push(Problem::skipped(
                self.archive.clone(),
                format!(
                    "{n} zip {} (from entry {first} on) share{} bytes with an entry read \
                     before (the overlapping entries of a decompression bomb); skipped",
                    if n == 1 { "entry" } else { "entries" },
                    if n == 1 { "s its" } else { " their" }
                ),
            ));
        }
    }

    /// A zip whose directory at the end cannot be read (a download or upload cut short): its
    /// entries are read in order from their local headers, up to the cut, so the complete
    /// reports before it are kept, with a warning that says how many. Nothing read, it is
    /// skipped with `err`.
    fn read_zip_in_order(&mut self, err: &zip::result::ZipError, file: io::Result<File>) {
        use std::io::Seek;
        let reports_before = self.reports.len();
        let mut entries = 0usize;
        let mut stopped: Option<String> = None;
        let file = match file.and_then(|mut f| f.rewind().map(|()| f)) {
            Ok(file) => file,
            Err(open) => {
                self.problems.push(Problem::skipped(
                    self.archive.clone(),
                    format!("cannot read zip archive: {err}; cannot open it again: {open}"),
                ));
                return;
            }
        };
        let mut reader = BufReader::new(file);
        loop {
            match self.next_local_entry(&mut reader, entries + 1) {
                Ok(Some(Walked::Read)) => entries += 1,
                Ok(Some(Walked::Stop(why))) => {
                    stopped = Some(why);
                    break;
                }
                Ok(None) => break,
                Err(e) => {
                    stopped = Some(format!("after entry {entries}: {e}"));
                    break;
                }
            }
        }
        let recovered = self.reports.len() - reports_before;
        if recovered == 0 && self.run_json.is_none() {
            self.problems.push(Problem::skipped(
                self.archive.clone(),
                format!("cannot read zip archive: {err}"),
            ));
            return;
        }
        self.problems.push(Problem::warning(
            self.archive.clone(),
            format!(
                "zip archive without its directory at the end (cut short?); its entries \
                 were read in order, {recovered} {} kept{}{}",
                if recovered == 1 { "report" } else { "reports" },
                stopped.map_or(String::new(), |s| format!(", up to {s}")),
                if self.run_json.is_none() {
                    "; no run.json before the cut, so the run is named by the file (a run.json \
                     after it is lost)"
                } else {
                    ""
                }
            ),
        ));
    }

    /// Reads the zip entry whose local header starts at `reader` (entry number `n`): `None`
    /// at the central directory or the end of the file. Entries whose sizes follow their data
    /// (a data descriptor, as streaming writers do) are read when deflated, the deflate stream
    /// saying where it ends; a stored one of unknown size stops the walk.
    fn next_local_entry(
        &mut self,
        reader: &mut BufReader<File>,
        n: usize,
    ) -> io::Result<Option<Walked>> {
        use std::io::BufRead;
        let mut sig = [0u8; 4];
        match reader.read_exact(&mut sig) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        match u32::from_le_bytes(sig) {
            0x0403_4b50 => {}
            // The central directory (or its end) begins: every entry was read.
            0x0201_4b50 | 0x0605_4b50 | 0x0606_4b50 => return Ok(None),
            _ => {
                return Ok(Some(Walked::Stop(format!(
                    "entry {n}: no local header where it should start"
                ))));
            }
        }
        let mut fixed = [0u8; 26];
        reader.read_exact(&mut fixed)?;
        let u16_at = |k: usize| u16::from_le_bytes([fixed[k], fixed[k + 1]]);
        let u32_at =
            |k: usize| u32::from_le_bytes([fixed[k], fixed[k + 1], fixed[k + 2], fixed[k + 3]]);
        let (flags, method) = (u16_at(2), u16_at(4));
        let (mut compressed, mut size) = (u64::from(u32_at(14)), u64::from(u32_at(18)));
        let mut name = vec![0u8; usize::from(u16_at(22))];
        reader.read_exact(&mut name)?;
        let mut extra = vec![0u8; usize::from(u16_at(24))];
        reader.read_exact(&mut extra)?;
        let name = String::from_utf8_lossy(&name).into_owned();
        // Zip64: the sizes are in the extra field (id 1: size, then compressed size).
        let mut zip64 = false;
        let mut at = 0;
        while at + 4 <= extra.len() {
            let id = u16::from_le_bytes([extra[at], extra[at + 1]]);
            let len = usize::from(u16::from_le_bytes([extra[at + 2], extra[at + 3]]));
            let body = &extra[(at + 4).min(extra.len())..(at + 4 + len).min(extra.len())];
            if id == 1 && body.len() >= 16 {
                zip64 = true;
                let le = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                size = le(&body[..8]);
                compressed = le(&body[8..16]);
            }
            at += 4 + len;
        }
        let described_after = flags & 0x8 != 0;
        if flags & 0x1 != 0 {
            return Ok(Some(Walked::Stop(format!(
                "entry {n} (\"{name}\") is encrypted"
            ))));
        }
        let outcome = match (method, described_after) {
            (0, false) => {
                let mut data = reader.by_ref().take(compressed);
                let outcome = self.read_entry(&name, size, &mut data, u64::MAX);
                io::copy(&mut data, &mut io::sink())?;
                outcome
            }
            (8, false) => {
                let mut data = flate2::read::DeflateDecoder::new(reader.by_ref().take(compressed));
                let outcome = self.read_entry(&name, size, &mut data, u64::MAX);
                // What the entry's read left (an entry that is not a report is not read).
                let mut rest = data.into_inner();
                io::copy(&mut rest, &mut io::sink())?;
                outcome
            }
            (8, true) => {
                let mut data = flate2::bufread::DeflateDecoder::new(reader.by_ref());
                let outcome = self.read_entry(&name, 0, &mut data, u64::MAX);
                if !matches!(outcome, Entry::Broken) {
                    // To the end of the deflate stream, bounded: its end is where the data
                    // descriptor starts.
                    let limit = self.limit;
                    io::copy(&mut data.by_ref().take(limit), &mut io::sink())?;
                    let mut descriptor = [0u8; 4];
                    let peeked = reader.fill_buf()?;
                    if peeked.len() >= 4 {
                        descriptor.copy_from_slice(&peeked[..4]);
                    }
                    let signed = u32::from_le_bytes(descriptor) == 0x0807_4b50;
                    let skip = usize::from(signed) * 4 + if zip64 { 20 } else { 12 };
                    let mut sink = vec![0u8; skip];
                    reader.read_exact(&mut sink)?;
                }
                outcome
            }
            (0, true) => {
                // Stored, its size only after it: the data runs to a signed data descriptor
                // whose compressed size is the bytes before it (a report, being XML, holds no
                // such bytes: `\x07` is no XML character).
                match stored_until_descriptor(reader, self.limit, zip64)? {
                    Some(data) => {
                        self.read_entry(&name, data.len() as u64, &mut data.as_slice(), u64::MAX)
                    }
                    None => Entry::Broken,
                }
            }
            _ => {
                return Ok(Some(Walked::Stop(format!(
                    "entry {n} (\"{name}\"), whose compression is not read this way"
                ))));
            }
        };
        if let Entry::Broken = outcome {
            return Ok(Some(Walked::Stop(format!(
                "entry {n} (\"{name}\") is cut short"
            ))));
        }
        Ok(Some(Walked::Read))
    }

    fn read_tar(&mut self, reader: impl Read) {
        let mut archive = tar::Archive::new(reader);
        let (entries_seen, whole) = self.read_tar_entries(&mut archive);
        if !whole {
            return;
        }
        if entries_seen == 0 {
            self.problems.push(Problem::warning(
                self.archive.clone(),
                "empty tar archive: no entries; nothing read",
            ));
        }
        // A tar ends with zero blocks before the end of its gzip stream: the rest is read, up
        // to a bound, so that gzip's own checks (the CRC and length in its trailer) are made.
        const REST: u64 = 16 << 20;
        match io::copy(&mut archive.into_inner().take(REST + 1), &mut io::sink()) {
            Err(err) => self.problems.push(Problem::warning(
                self.archive.clone(),
                format!("the archive's end is damaged ({err}); the entries before it were read"),
            )),
            Ok(n) if n > REST => self.problems.push(Problem::warning(
                self.archive.clone(),
                "more than 16 MiB of data after the tar's end; not read",
            )),
            Ok(_) => {}
        }
    }

    /// The entries of a tar stream, read in order; returns how many there were, and whether
    /// the stream was read to its end (false when it broke).
    fn read_tar_entries(&mut self, archive: &mut tar::Archive<impl Read>) -> (usize, bool) {
        let mut seen = 0;
        let entries = match archive.entries() {
            Ok(entries) => entries,
            Err(err) => {
                self.problems.push(Problem::skipped(
                    self.archive.clone(),
                    format!("cannot read tar archive: {err}"),
                ));
                return (seen, false);
            }
        };
        let mut last: Option<String> = None;
        for entry in entries {
            seen += 1;
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    // A tar stream has no index to resynchronise from; the reports read so far
                    // are kept.
                    let cut = err.kind() == io::ErrorKind::UnexpectedEof;
                    self.problems.push(Problem::skipped(
                        self.archive.clone(),
                        match &last {
                            Some(name) => format!(
                                "cannot read tar archive past entry {} (\"{}\"): {err}{}",
                                seen - 1,
                                crate::report::escape::terminal(name),
                                if cut { " (cut short?)" } else { "" }
                            ),
                            None => format!(
                                "cannot read tar archive: {err}{}",
                                if cut { " (cut short?)" } else { "" }
                            ),
                        },
                    ));
                    return (seen, false);
                }
            };
            last = Some(String::from_utf8_lossy(&entry.path_bytes()).into_owned());
            let entry_type = entry.header().entry_type();
            if !(entry_type.is_file() || entry_type.is_contiguous()) {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let size = entry.size();
            // The tar header's size is exact (the entry ends there), and within the limit.
            if let Entry::Broken = self.read_entry(&name, size, &mut entry, u64::MAX) {
                // The stream broke inside this entry, so the next header cannot be found
                // either; one problem says it.
                return (seen, false);
            }
        }
        (seen, true)
    }

    /// Reads one archive entry if it is a report or the root run.json, keeping at most
    /// `keep_at_most` bytes of a report before asking to be [read again](Entry::ReadAgain).
    fn read_entry(
        &mut self,
        name: &str,
        declared_size: u64,
        reader: &mut impl Read,
        keep_at_most: u64,
    ) -> Entry {
        let (role, clean) = match classify_entry(name) {
            Ok(Some(found)) => found,
            Ok(None) => return Entry::Done,
            Err(reason) => {
                self.problems.push(Problem::skipped(
                    self.archive.clone(),
                    format!("entry \"{name}\" {reason}; skipped"),
                ));
                return Entry::Done;
            }
        };
        let display = format!("{}!/{clean}", self.archive);
        let limit = match role {
            EntryRole::Report => self.limit,
            EntryRole::RunJson => self.limit.min(RUN_JSON_LIMIT),
        };
        // The declared size lets an oversized entry be refused without decompressing it; the
        // bounded read below catches headers that lie.
        if declared_size > limit {
            let err = ReadError::TooLarge;
            match role {
                EntryRole::Report => self.problems.push(self.read_problem(display, &err)),
                EntryRole::RunJson => self.problems.push(Problem::warning(
                    display,
                    format!("{}; using default run metadata", run_json_read_error(&err)),
                )),
            }
            return Entry::Done;
        }
        match role {
            EntryRole::Report => match read_squeezed(reader, limit, declared_size, keep_at_most) {
                Ok(read) => self.reports.push(read.into_report(display)),
                Err(ReadError::ReadAgain) => return Entry::ReadAgain,
                Err(err) => {
                    let broken = matches!(err, ReadError::Io(..));
                    self.problems.push(self.read_problem(display, &err));
                    if broken {
                        return Entry::Broken;
                    }
                }
            },
            EntryRole::RunJson => match read_bounded(reader, limit, declared_size) {
                // `run.json` and `./run.json` may both be present; the first one wins.
                Ok(bytes) => {
                    self.run_json.get_or_insert(bytes);
                }
                Err(err) => {
                    let broken = matches!(err, ReadError::Io(..));
                    self.problems.push(Problem::warning(
                        display,
                        format!("{}; using default run metadata", run_json_read_error(&err)),
                    ));
                    if broken {
                        return Entry::Broken;
                    }
                }
            },
        }
        Entry::Done
    }

    fn read_problem(&self, location: String, err: &ReadError) -> Problem {
        let message = match err {
            ReadError::TooLarge => format!(
                "report is larger than the limit of {} bytes (--max-file-size)",
                self.limit
            ),
            ReadError::Io(err, _) => format!("cannot read: {err}"),
            ReadError::ReadAgain => "cannot read to the end".to_string(),
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
    let nested = [".xml.gz", ".zip", ".tar", ".tar.gz", ".tgz"]
        .iter()
        .any(|ext| lower.len() > ext.len() && lower.ends_with(ext));
    if nested && !components.iter().any(|part| part.starts_with('.')) {
        // Said, not passed over: its reports would be missing without a word.
        return Err(
            "is a compressed file or archive inside an archive, which is not read \
                    (unpack it, or give it to ingest on its own)",
        );
    }
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
    /// The error and what was read before it (a truncated gzip stream still yields its start).
    Io(io::Error, Squeezed),
    /// More than the bytes asked to keep, from a stream whose size was not known up front, and
    /// within the limit: read it again keeping everything.
    ReadAgain,
}

/// What became of one archive entry.
enum Entry {
    Done,
    ReadAgain,
    /// Reading failed for a reason other than size: the archive's stream is broken.
    Broken,
}

/// A report read into memory through the [`Squeezer`].
#[derive(Default)]
pub(super) struct Squeezed {
    bytes: Vec<u8>,
    cuts: Vec<crate::junit::Cut>,
    /// Bytes read from the source.
    raw: u64,
}

impl Squeezed {
    fn into_report(self, display: String) -> LoadedReport {
        LoadedReport {
            display,
            bytes: self.bytes,
            cuts: self.cuts,
            size: self.raw,
        }
    }
}

/// The bytes kept of a decompressing stream before its size is checked against the limit: a
/// decompression bomb costs this much memory at most, and a real report this large (rare) is
/// decompressed twice.
pub(super) const KEEP_BEFORE_KNOWN: u64 = 64 << 20;

/// Bytes asked of the source per read.
const CHUNK: usize = 256 << 10;

/// Reports up to this size are kept as read; a larger one goes through the [`Squeezer`]
/// (from its first byte), which costs a pass over it but bounds what one huge value holds.
pub(super) const SQUEEZE_PAST: usize = 16 << 20;

/// Reads a report, at most `limit` bytes of it (one more means it is too large): as it is when
/// it is at most [`SQUEEZE_PAST`] bytes, else through the [`Squeezer`], keeping at most
/// `keep_at_most` bytes before reading on only to count (then [`ReadError::ReadAgain`] when it
/// was within the limit).
pub(super) fn read_squeezed(
    mut reader: impl Read,
    limit: u64,
    size_hint: u64,
    keep_at_most: u64,
) -> Result<Squeezed, ReadError> {
    let capacity = size_hint.min(limit).min(PREALLOCATE_AT_MOST);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    // Up to SQUEEZE_PAST + 1 bytes are read straight into `bytes` (a report of the usual size
    // in one or two reads, copied once and never zeroed first); only a larger one goes on
    // through the chunked loop below and the squeezer.
    let first = (SQUEEZE_PAST as u64).min(limit).saturating_add(1);
    if let Err(err) = (&mut reader).take(first).read_to_end(&mut bytes) {
        let raw = bytes.len() as u64;
        if raw > keep_at_most {
            bytes = Vec::new();
        }
        return Err(ReadError::Io(
            err,
            Squeezed {
                bytes,
                cuts: Vec::new(),
                raw,
            },
        ));
    }
    let mut raw = bytes.len() as u64;
    if raw > limit {
        return Err(ReadError::TooLarge);
    }
    if raw < first {
        // The whole source, at most SQUEEZE_PAST bytes.
        if raw > keep_at_most {
            return Err(ReadError::ReadAgain);
        }
        return Ok(Squeezed {
            bytes,
            cuts: Vec::new(),
            raw,
        });
    }
    // Larger: what was read so far goes through the squeezer, and so does the rest.
    let mut squeezer = Squeezer::default();
    // What is kept is at most the size: reserved once (capacity not written to costs no
    // memory), where doubling would hold up to twice the report.
    let size = size_hint
        .min(keep_at_most)
        .min(limit)
        .max(SQUEEZE_PAST as u64);
    let mut kept = Vec::with_capacity(usize::try_from(size).unwrap_or(SQUEEZE_PAST));
    squeezer.feed(&bytes, &mut kept);
    bytes = kept;
    let mut counting = false;
    if bytes.len() as u64 > keep_at_most {
        counting = true;
        bytes = Vec::new();
    }
    let mut chunk = vec![0; CHUNK];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                if counting {
                    bytes = Vec::new();
                }
                let cuts = squeezer.finish(&mut bytes);
                let partial = Squeezed { bytes, cuts, raw };
                return Err(ReadError::Io(err, partial));
            }
        };
        raw += n as u64;
        if raw > limit {
            return Err(ReadError::TooLarge);
        }
        if counting {
            continue;
        }
        squeezer.feed(&chunk[..n], &mut bytes);
        if bytes.len() as u64 > keep_at_most {
            counting = true;
            bytes = Vec::new();
        }
    }
    if counting {
        return Err(ReadError::ReadAgain);
    }
    let cuts = squeezer.finish(&mut bytes);
    if !cuts.is_empty() {
        bytes.shrink_to_fit();
    }
    Ok(Squeezed { bytes, cuts, raw })
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
    if let Err(err) = read {
        return Err(ReadError::Io(err, Squeezed::default()));
    }
    if u64::try_from(bytes.len()).map_or(true, |len| len > limit) {
        return Err(ReadError::TooLarge);
    }
    Ok(bytes)
}

/// Reads a plain report file: a regular file within the limit is read to its end (its size
/// is known, so it is never asked to be read again); anything else (a file already too large)
/// is refused at the limit.
pub(super) fn read_plain(file: File, limit: u64, size_hint: u64) -> Result<Squeezed, ReadError> {
    let size = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    if size.is_some_and(|size| size > limit) {
        return Err(ReadError::TooLarge);
    }
    read_squeezed(file, limit, size.unwrap_or(size_hint), u64::MAX)
}

/// The number of entries a zip's end-of-central-directory record declares (`None` when it is
/// not found, or for a zip64 archive, whose count lives elsewhere); the reader is left at the
/// start.
fn declared_zip_entries(reader: &mut (impl std::io::Read + std::io::Seek)) -> Option<u64> {
    use std::io::SeekFrom;
    let len = reader.seek(SeekFrom::End(0)).ok()?;
    // The record is 22 bytes plus a comment of at most 65535.
    let tail = len.min(22 + 65_535);
    reader.seek(SeekFrom::Start(len - tail)).ok()?;
    let mut bytes = vec![0u8; usize::try_from(tail).ok()?];
    let read = reader.read_exact(&mut bytes);
    reader.seek(SeekFrom::Start(0)).ok()?;
    read.ok()?;
    let at = bytes
        .windows(4)
        .rposition(|w| w == [0x50, 0x4b, 0x05, 0x06])
        .filter(|&at| at + 22 <= bytes.len())?;
    let total = u16::from_le_bytes([bytes[at + 10], bytes[at + 11]]);
    (total != u16::MAX).then_some(u64::from(total))
}

//! Finding reports: turns the PATHs given to `ingest` into a sorted list of CI runs, each with
//! the files that hold its reports, and reads those reports (and `run.json` metadata) into
//! memory.
//!
//! This module owns the run-folder rules (`--run-depth`), which file names count as reports,
//! archive handling (entries read in memory, never extracted; unsafe entry names refused), the
//! size limit that guards every read against decompression bombs, and `run.json` parsing. It
//! never parses XML: it hands bytes to the parser.
//!
//! `walk` finds the runs and their files, `archive` reads them, `meta` parses run.json;
//! the types they share, and the one place that opens a file, are here.

mod archive;
mod meta;
pub(crate) mod squeeze;
mod walk;

use std::fs::{self, File, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub(crate) use archive::load;
pub(crate) use meta::{RunMeta, branch_name, meta_from_json};
pub(crate) use walk::discover;

#[cfg(test)]
use archive::load_keeping;
#[cfg(test)]
use serde_json::Map;
#[cfg(test)]
use walk::{extension_len, file_kind, sniff};

/// The run metadata file, directly in a run folder or at the root of a run archive.
const RUN_JSON: &str = "run.json";

/// `discover` has no `--max-file-size` to go by, and run.json is a handful of keys, so anything
/// bigger than this is not metadata and is refused rather than read.
const RUN_JSON_LIMIT: u64 = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputKind {
    Xml,
    XmlGz,
    Zip,
    Tar,
    TarGz,
}

/// File name endings, lowercase, and the kind each stands for. `.xml.gz` comes before `.xml`
/// only for readability: no name ends with both.
const SUFFIXES: [(&str, InputKind); 6] = [
    (".xml.gz", InputKind::XmlGz),
    (".xml", InputKind::Xml),
    (".zip", InputKind::Zip),
    (".tar.gz", InputKind::TarGz),
    (".tgz", InputKind::TarGz),
    (".tar", InputKind::Tar),
];

impl InputKind {
    /// The kind a file name stands for (case-insensitive) and the length of the ending that says
    /// so; `None` for anything else. A bare `.xml` is a hidden file, not a report.
    fn from_name(name: &str) -> Option<(InputKind, usize)> {
        let lower = name.to_ascii_lowercase();
        SUFFIXES
            .iter()
            .find(|(suffix, _)| lower.len() > suffix.len() && lower.ends_with(suffix))
            .map(|&(suffix, kind)| (kind, suffix.len()))
    }
}

/// One file on disk that holds one report (Xml, XmlGz) or several (archives).
#[derive(Debug, Clone)]
pub(crate) struct Input {
    /// As found on disk, joined from the PATH the user gave.
    pub(crate) path: PathBuf,
    pub(crate) kind: InputKind,
    /// On-disk size in bytes.
    pub(crate) size: u64,
    pub(crate) mtime: Option<SystemTime>,
}

/// One CI run: a folder, or a single report file or archive.
#[derive(Debug, Clone)]
pub(crate) struct DiscoveredRun {
    /// The run folder, file or archive.
    pub(crate) source: PathBuf,
    /// Default run id: the folder name, or the file name without its report/archive ending.
    pub(crate) name: String,
    /// From run.json in a run folder; default for file and archive runs (callers fill it from
    /// the third element of [`load`] through [`meta_from_json`]).
    pub(crate) meta: RunMeta,
    /// Sorted by path.
    pub(crate) inputs: Vec<Input>,
}

/// A problem that does not stop the ingest: shown as `{location}: {message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) location: String,
    pub(crate) message: String,
    /// True when a report (or something that may hold reports) was not ingested because of this
    /// problem; false for warnings where everything readable still was.
    pub(crate) fatal_for_input: bool,
}

impl Problem {
    fn warning(location: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            location: location.into(),
            message: message.into(),
            fatal_for_input: false,
        }
    }

    fn skipped(location: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            location: location.into(),
            message: message.into(),
            fatal_for_input: true,
        }
    }
}

/// A report's bytes, read fully into memory (decompressed).
#[derive(Debug)]
pub(crate) struct LoadedReport {
    /// `path/to/file.xml`, or `path/to/artifact.zip!/inner/TEST-x.xml` for archive entries.
    pub(crate) display: String,
    /// The report as read, less what [`squeeze`] dropped.
    pub(crate) bytes: Vec<u8>,
    /// What was dropped, for the parser to count back into positions.
    pub(crate) cuts: Vec<crate::junit::Cut>,
    /// Bytes read from the file or entry (after decompression).
    pub(crate) size: u64,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum DiscoverError {
    #[error("{path}: no such file or directory")]
    NotFound { path: String },
    // The io error is the source, not part of the message, so `{err:#}` prints it once.
    #[error("{path}: cannot read")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

impl DiscoverError {
    fn from_io(path: &Path, source: io::Error) -> Self {
        let path = display_path(path);
        if source.kind() == io::ErrorKind::NotFound {
            DiscoverError::NotFound { path }
        } else {
            DiscoverError::Io { path, source }
        }
    }
}

fn file_type_name(metadata: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let file_type = metadata.file_type();
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
    }
    if metadata.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// Opens `path` for reading only if it is a regular file (after symlinks), so that a FIFO or
/// device put where a report was listed is never opened.
fn open_regular(path: &Path) -> Result<File, String> {
    let metadata = fs::metadata(path).map_err(|err| format!("cannot open: {err}"))?;
    if !metadata.is_file() {
        return Err(format!(
            "not a regular file ({}); skipped without opening it",
            file_type_name(&metadata)
        ));
    }
    File::open(path).map_err(|err| format!("cannot open: {err}"))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The path as the user would type it, with `/` separators on every platform.
fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    if cfg!(windows) {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
// Tests build their own trees and archives; a failed unwrap there is a test failure with a
// backtrace, which is what we want.
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;
    use tempfile::TempDir;

    use super::*;

    const REPORT: &[u8] = b"<testsuite name=\"s\" tests=\"1\"><testcase name=\"t\"/></testsuite>";

    fn write(root: &Path, relative: &str, bytes: &[u8]) -> PathBuf {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        path
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    /// Writes names into the header directly, because `tar::Builder` refuses the unsafe ones
    /// these tests need.
    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, bytes) in entries {
            let mut header = tar::Header::new_gnu();
            let field = &mut header.as_old_mut().name;
            field[..name.len()].copy_from_slice(name.as_bytes());
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_cksum();
            builder.append(&header, *bytes).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn input_of(path: &Path) -> Input {
        let (kind, _) = file_kind(path).unwrap();
        Input {
            path: path.to_path_buf(),
            kind,
            size: fs::metadata(path).unwrap().len(),
            mtime: None,
        }
    }

    /// Paths below `root`, with `/` separators, for readable assertions.
    fn rel(root: &Path, path: &Path) -> String {
        display_path(path.strip_prefix(root).unwrap())
    }

    fn run_names(runs: &[DiscoveredRun]) -> Vec<&str> {
        runs.iter().map(|run| run.name.as_str()).collect()
    }

    fn input_paths(root: &Path, run: &DiscoveredRun) -> Vec<String> {
        run.inputs
            .iter()
            .map(|input| rel(root, &input.path))
            .collect()
    }

    fn displays(reports: &[LoadedReport]) -> Vec<&str> {
        reports
            .iter()
            .map(|report| report.display.as_str())
            .collect()
    }

    /// Two runs with reports at several depths and of several kinds, plus a non-report file.
    fn history() -> TempDir {
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        write(root, "run-02/TEST-c.xml.gz", &gzip(REPORT));
        write(root, "run-02/notes.txt", b"not a report");
        write(root, "run-01/reports/TEST-a.xml", REPORT);
        write(root, "run-01/TEST-b.XML", REPORT);
        write(
            root,
            "run-01/deep/er/bundle.zip",
            &zip_of(&[("x.xml", REPORT)]),
        );
        dir
    }

    #[test]
    fn a_flat_folder_of_reports_warns_that_each_file_is_a_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["a.xml", "b.xml"] {
            std::fs::write(dir.path().join(name), "<testsuite/>").expect("write");
        }
        let (runs, problems) = discover(&[dir.path().to_path_buf()], Some(1)).expect("discover");
        assert_eq!(runs.len(), 2);
        assert!(
            problems.iter().any(|p| p.message.contains("--run-depth 0")),
            "{problems:?}"
        );
    }

    #[test]
    fn input_kind_follows_the_name_ending_in_any_case() {
        let kind = |name| InputKind::from_name(name).map(|(kind, _)| kind);
        assert_eq!(kind("TEST-a.xml"), Some(InputKind::Xml));
        assert_eq!(kind("TEST-a.XML"), Some(InputKind::Xml));
        assert_eq!(kind("a.xml.gz"), Some(InputKind::XmlGz));
        assert_eq!(kind("run-17.ZIP"), Some(InputKind::Zip));
        assert_eq!(kind("a.tar"), Some(InputKind::Tar));
        assert_eq!(kind("a.tar.gz"), Some(InputKind::TarGz));
        assert_eq!(kind("a.tgz"), Some(InputKind::TarGz));
        assert_eq!(kind("run.json"), None);
        assert_eq!(kind("a.gz"), None);
        assert_eq!(kind("a.xmlx"), None);
        assert_eq!(kind(".xml"), None);
    }

    #[test]
    fn depth_one_makes_each_subfolder_a_run_with_every_report_below_it() {
        let dir = history();
        let root = dir.path();
        let (runs, problems) = discover(&[root.to_path_buf()], Some(1)).unwrap();
        assert_eq!(problems, []);
        assert_eq!(run_names(&runs), ["run-01", "run-02"]);
        assert_eq!(
            input_paths(root, &runs[0]),
            [
                "run-01/TEST-b.XML",
                "run-01/deep/er/bundle.zip",
                "run-01/reports/TEST-a.xml"
            ]
        );
        let kinds: Vec<_> = runs[0].inputs.iter().map(|input| input.kind).collect();
        assert_eq!(kinds, [InputKind::Xml, InputKind::Zip, InputKind::Xml]);
        assert_eq!(input_paths(root, &runs[1]), ["run-02/TEST-c.xml.gz"]);
        assert_eq!(runs[1].inputs[0].kind, InputKind::XmlGz);
        assert_eq!(
            runs[1].inputs[0].size,
            fs::metadata(root.join("run-02/TEST-c.xml.gz"))
                .unwrap()
                .len()
        );
        assert!(runs[1].inputs[0].mtime.is_some());
    }

    #[test]
    fn display_paths_are_joined_from_the_path_given() {
        let dir = history();
        let root = dir.path();
        let (runs, _) = discover(&[root.to_path_buf()], Some(1)).unwrap();
        let input = &runs[0].inputs[2];
        let (reports, problems, _) = load(input, 1 << 20);
        assert_eq!(problems, []);
        assert_eq!(
            displays(&reports),
            [format!("{}/run-01/reports/TEST-a.xml", display_path(root))]
        );
        assert_eq!(reports[0].bytes, REPORT);
    }

    #[test]
    fn depth_zero_makes_the_path_one_run() {
        let dir = history();
        let root = dir.path();
        let (runs, problems) = discover(&[root.to_path_buf()], Some(0)).unwrap();
        assert_eq!(problems, []);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].source, root);
        assert_eq!(runs[0].name, file_name(root));
        assert_eq!(runs[0].inputs.len(), 4);
    }

    #[test]
    fn depth_two_warns_about_reports_above_the_run_level() {
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        write(root, "pipe-a/run-1/out/TEST-a.xml", REPORT);
        write(root, "pipe-b/run-2.zip", &zip_of(&[("TEST-b.xml", REPORT)]));
        let loose = write(root, "loose.xml", REPORT);
        let (runs, problems) = discover(&[root.to_path_buf()], Some(2)).unwrap();
        assert_eq!(run_names(&runs), ["run-1", "run-2"]);
        assert_eq!(input_paths(root, &runs[0]), ["pipe-a/run-1/out/TEST-a.xml"]);
        assert_eq!(input_paths(root, &runs[1]), ["pipe-b/run-2.zip"]);
        assert_eq!(
            problems,
            [Problem {
                location: display_path(&loose),
                message: "not inside a run folder at depth 2; skipped \
                          (use --run-depth 0 to ingest PATH as one run)"
                    .to_owned(),
                fatal_for_input: false,
            }]
        );
    }

    #[test]
    fn report_files_and_archives_at_the_run_level_are_runs() {
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        write(root, "run-17.zip", &zip_of(&[("a.xml", REPORT)]));
        write(root, "run-18.tgz", &gzip(&tar_of(&[("a.xml", REPORT)])));
        write(root, "run-19.tar.gz", &gzip(&tar_of(&[("a.xml", REPORT)])));
        write(root, "TEST-x.xml", REPORT);
        write(root, "README.md", b"# artifacts");
        let (runs, problems) = discover(&[root.to_path_buf()], Some(1)).unwrap();
        assert_eq!(problems, []);
        assert_eq!(run_names(&runs), ["TEST-x", "run-17", "run-18", "run-19"]);
        assert!(runs.iter().all(|run| run.inputs.len() == 1));
        assert!(runs.iter().all(|run| run.meta == RunMeta::default()));
    }

    /// A zip of `n` entries that all point at one stored report (the overlapping entries of a
    /// decompression bomb, here small).
    fn overlapping_zip(n: usize) -> Vec<u8> {
        zip_pointing_at_one_report(n, |i| format!("e{i}.xml"))
    }

    /// A zip of `n` central-directory entries named by `name`, all pointing at one stored
    /// report.
    fn zip_pointing_at_one_report(n: usize, name: impl Fn(usize) -> String) -> Vec<u8> {
        let mut crc = flate2::Crc::new();
        crc.update(REPORT);
        let size = REPORT.len() as u32;
        let mut out = Vec::new();
        out.extend(0x0403_4b50u32.to_le_bytes());
        for v in [20u16, 0, 0, 0, 0] {
            out.extend(v.to_le_bytes());
        }
        for v in [crc.sum(), size, size] {
            out.extend(v.to_le_bytes());
        }
        out.extend(6u16.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(b"e0.xml");
        out.extend(REPORT);
        let directory_at = out.len() as u32;
        for i in 0..n {
            let name = name(i);
            out.extend(0x0201_4b50u32.to_le_bytes());
            for v in [20u16, 20, 0, 0, 0, 0] {
                out.extend(v.to_le_bytes());
            }
            for v in [crc.sum(), size, size] {
                out.extend(v.to_le_bytes());
            }
            for v in [name.len() as u16, 0, 0, 0, 0] {
                out.extend(v.to_le_bytes());
            }
            out.extend(0u32.to_le_bytes());
            out.extend(0u32.to_le_bytes()); // every entry's local header is the first one
            out.extend(name.as_bytes());
        }
        let directory_len = out.len() as u32 - directory_at;
        out.extend(0x0605_4b50u32.to_le_bytes());
        for v in [0u16, 0, n as u16, n as u16] {
            out.extend(v.to_le_bytes());
        }
        out.extend(directory_len.to_le_bytes());
        out.extend(directory_at.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out
    }

    #[test]
    fn overlapping_zip_entries_are_read_once() {
        let dir = TempDir::new().unwrap();
        let zip = write(dir.path(), "bomb.zip", &overlapping_zip(5));
        let (reports, problems, _) = load(&input_of(&zip), 1 << 20);
        assert_eq!(displays(&reports).len(), 1, "{problems:?}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.starts_with(
                "4 zip entries (from entry 2 on) share their bytes with an entry read before"
            ),
            "{problems:?}"
        );
        assert!(problems[0].fatal_for_input);
    }

    #[test]
    fn an_empty_tar_and_a_damaged_gzip_trailer_are_reported() {
        let dir = TempDir::new().unwrap();
        for (name, bytes) in [("zero.tar", Vec::new()), ("blocks.tar", tar_of(&[]))] {
            let tar = write(dir.path(), name, &bytes);
            let (reports, problems, _) = load(&input_of(&tar), 1 << 20);
            assert!(reports.is_empty());
            assert_eq!(problems.len(), 1, "{name}: {problems:?}");
            assert!(
                problems[0].message.starts_with("empty tar archive"),
                "{problems:?}"
            );
        }
        let mut tgz = gzip(&tar_of(&[("in.xml", REPORT)]));
        let crc = tgz.len() - 8;
        tgz[crc] ^= 0xff;
        let tgz = write(dir.path(), "bad.tgz", &tgz);
        let (reports, problems, _) = load(&input_of(&tgz), 1 << 20);
        assert_eq!(displays(&reports).len(), 1);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .message
                .starts_with("the archive's end is damaged"),
            "{problems:?}"
        );
    }

    #[test]
    fn zip_entries_of_one_name_are_reported() {
        let dir = TempDir::new().unwrap();
        let zip = write(
            dir.path(),
            "dup.zip",
            &zip_pointing_at_one_report(3, |_| "same.xml".into()),
        );
        let (reports, problems, _) = load(&input_of(&zip), 1 << 20);
        assert_eq!(displays(&reports).len(), 1, "{problems:?}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .message
                .starts_with("2 of its 3 entries repeat the name of another entry"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_path_that_is_a_file_is_one_run() {
        let dir = TempDir::new().unwrap();
        let gz = write(dir.path(), "nightly.xml.gz", &gzip(REPORT));
        let notes = write(dir.path(), "notes.txt", b"hello");
        let (runs, problems) = discover(&[gz.clone(), notes.clone(), gz.clone()], Some(1)).unwrap();
        assert_eq!(run_names(&runs), ["nightly"]);
        assert_eq!(runs[0].source, gz);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].location, display_path(&notes));
        assert!(
            problems[0]
                .message
                .starts_with("not a report, archive or directory")
        );
    }

    #[test]
    fn content_decides_what_a_named_file_is() {
        let dir = TempDir::new().unwrap();
        let cases: [(&str, Vec<u8>, Option<InputKind>); 8] = [
            ("a.junit-xml", REPORT.to_vec(), Some(InputKind::Xml)),
            (
                "b.out",
                b"\xEF\xBB\xBF\n  <?xml version=\"1.0\"?><testsuite/>".to_vec(),
                Some(InputKind::Xml),
            ),
            ("c.utf16", b"\xFF\xFE<\0t\0".to_vec(), Some(InputKind::Xml)),
            ("d.bin", gzip(REPORT), Some(InputKind::XmlGz)),
            (
                "e.bin",
                gzip(&tar_of(&[("x.xml", REPORT)])),
                Some(InputKind::TarGz),
            ),
            ("f.bin", zip_of(&[("x.xml", REPORT)]), Some(InputKind::Zip)),
            ("g.bin", tar_of(&[("x.xml", REPORT)]), Some(InputKind::Tar)),
            ("h.txt", b"just text".to_vec(), None),
        ];
        for (name, bytes, kind) in cases {
            let path = write(dir.path(), name, &bytes);
            assert_eq!(sniff(&path), kind, "{name}");
        }
        assert_eq!(extension_len("junit.golden"), ".golden".len());
        assert_eq!(extension_len("README"), 0);
        assert_eq!(extension_len(".hidden"), 0);
    }

    #[test]
    fn by_default_a_folder_of_loose_reports_is_one_run_and_build_modules_are_merged() {
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        write(root, "flat/TEST-a.xml", REPORT);
        write(root, "flat/TEST-b.xml.gz", &gzip(REPORT));
        let (runs, problems) = discover(&[root.join("flat")], None).unwrap();
        assert_eq!(problems, []);
        assert_eq!(run_names(&runs), ["flat"]);
        assert_eq!(runs[0].inputs.len(), 2);

        write(root, "r/core/build/test-results/test/TEST-a.xml", REPORT);
        write(root, "r/api/build/test-results/test/TEST-b.xml", REPORT);
        write(root, "r/docs/readme.txt", b"no reports here");
        let (runs, problems) = discover(&[root.join("r")], None).unwrap();
        assert_eq!(run_names(&runs), ["r"]);
        assert_eq!(runs[0].inputs.len(), 2);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("api, core"));
    }

    #[test]
    fn a_missing_path_is_an_error() {
        let dir = TempDir::new().unwrap();
        let missing = dir.path().join("nope");
        let err = discover(std::slice::from_ref(&missing), Some(1)).unwrap_err();
        assert!(matches!(err, DiscoverError::NotFound { .. }));
        assert_eq!(
            err.to_string(),
            format!("{}: no such file or directory", display_path(&missing))
        );
    }

    #[test]
    fn hidden_folders_and_files_are_skipped() {
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        write(root, ".git/TEST-x.xml", REPORT);
        write(root, "run-1/.testsift/TEST-y.xml", REPORT);
        write(root, "run-1/._TEST-a.xml", b"\0\x05\x16\x07");
        write(root, "run-1/TEST-a.xml", REPORT);
        let (runs, problems) = discover(&[root.to_path_buf()], Some(1)).unwrap();
        assert_eq!(problems, []);
        assert_eq!(run_names(&runs), ["run-1"]);
        assert_eq!(input_paths(root, &runs[0]), ["run-1/TEST-a.xml"]);
    }

    #[cfg(unix)]
    #[test]
    fn directory_symlinks_are_not_followed() {
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        write(root, "run-1/TEST-a.xml", REPORT);
        let elsewhere = TempDir::new().unwrap();
        let shared = write(elsewhere.path(), "elsewhere.xml", REPORT);
        std::os::unix::fs::symlink(root.join("run-1"), root.join("run-1/loop")).unwrap();
        std::os::unix::fs::symlink(root.join("run-1"), root.join("latest")).unwrap();
        std::os::unix::fs::symlink(&shared, root.join("run-1/linked.xml")).unwrap();
        std::os::unix::fs::symlink(root.join("gone.xml"), root.join("run-1/broken.xml")).unwrap();
        let (runs, problems) = discover(&[root.to_path_buf()], Some(1)).unwrap();
        assert_eq!(run_names(&runs), ["run-1"]);
        assert_eq!(
            input_paths(root, &runs[0]),
            ["run-1/TEST-a.xml", "run-1/linked.xml"]
        );
        assert_eq!(runs[0].inputs[1].size, REPORT.len() as u64);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].location,
            display_path(&root.join("run-1/broken.xml"))
        );
        assert!(problems[0].fatal_for_input);
    }

    #[test]
    fn run_json_fills_the_metadata() {
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        write(root, "run-1/TEST-a.xml", REPORT);
        write(
            root,
            "run-1/run.json",
            br#"{
                "run_id": "gh-123", "commit": "abc123", "branch": "main",
                "timestamp": "2024-05-01T10:00:00", "attempt": "3", "job": "test",
                "pipeline": "ci", "variant": "linux", "runner": {"os": "ubuntu"}, "shard": 2
            }"#,
        );
        let (runs, problems) = discover(&[root.to_path_buf()], Some(1)).unwrap();
        assert_eq!(problems, []);
        let mut extra = Map::new();
        extra.insert("runner".to_owned(), serde_json::json!({"os": "ubuntu"}));
        extra.insert("shard".to_owned(), serde_json::json!(2));
        let expected = RunMeta {
            run_id: Some("gh-123".to_owned()),
            commit: Some("abc123".to_owned()),
            branch: Some("main".to_owned()),
            timestamp: Some("2024-05-01T10:00:00Z".parse().unwrap()),
            attempt: Some(3),
            job: Some("test".to_owned()),
            pipeline: Some("ci".to_owned()),
            variant: Some("linux".to_owned()),
            extra,
        };
        assert_eq!(runs[0].meta, expected);
        // run.json is metadata, never a report.
        assert_eq!(input_paths(root, &runs[0]), ["run-1/TEST-a.xml"]);
    }

    #[test]
    fn invalid_run_json_is_a_problem_with_its_position_and_the_run_still_ingests() {
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        write(root, "run-1/TEST-a.xml", REPORT);
        let json = write(
            root,
            "run-1/run.json",
            b"{\n  \"commit\": \"abc\"\n  \"branch\": 1\n}",
        );
        let (runs, problems) = discover(&[root.to_path_buf()], Some(1)).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].meta, RunMeta::default());
        assert_eq!(runs[0].inputs.len(), 1);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].location, format!("{}:3:3", display_path(&json)));
        assert_eq!(
            problems[0].message,
            "invalid JSON: expected `,` or `}`; using default run metadata"
        );
        assert!(!problems[0].fatal_for_input);
    }

    #[test]
    fn a_full_git_ref_names_its_branch() {
        assert_eq!(branch_name("refs/heads/main"), "main");
        assert_eq!(branch_name("refs/heads/feature/cart"), "feature/cart");
        assert_eq!(branch_name("refs/pull/42/merge"), "pull/42");
        assert_eq!(branch_name("refs/pull/42/head"), "pull/42");
        assert_eq!(branch_name(" main\n"), "main");
        // Anything else is a branch's own name.
        assert_eq!(branch_name("refs/tags/v1"), "refs/tags/v1");
        assert_eq!(branch_name("heads/main"), "heads/main");
        assert_eq!(branch_name("refs/pull/42"), "refs/pull/42");
        assert_eq!(branch_name("refs/heads/"), "refs/heads/");
    }

    #[test]
    fn run_json_values_of_the_wrong_type_are_problems_naming_the_key() {
        let (meta, problems) = meta_from_json(
            br#"{"commit": true, "attempt": -1, "timestamp": "yesterday", "branch": "main",
                 "job": null, "run_id": 4711}"#,
            "r/run.json",
        );
        assert_eq!(meta.branch.as_deref(), Some("main"));
        assert_eq!(meta.run_id.as_deref(), Some("4711"));
        assert_eq!(meta.commit, None);
        assert_eq!(meta.attempt, None);
        assert_eq!(meta.timestamp, None);
        assert_eq!(meta.job, None);
        assert!(meta.extra.is_empty());
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "\"attempt\": expected a whole number from 0 to 4294967295, found -1; ignored",
                "\"commit\": expected a string, found a boolean; ignored",
                "\"timestamp\": expected an RFC 3339 timestamp such as 2024-05-01T10:00:00Z, \
                 found \"yesterday\"; ignored",
            ]
        );
        assert!(problems.iter().all(|p| p.location == "r/run.json"));
        // A date that cannot be is said to be out of range, not of the wrong form.
        let (meta, problems) =
            meta_from_json(br#"{"timestamp": "9999-12-31T23:59:59Z"}"#, "r/run.json");
        assert_eq!(meta.timestamp, None);
        assert!(
            problems[0]
                .message
                .contains("of a real date from the year 0001 to 9998"),
            "{problems:?}"
        );
    }

    #[test]
    fn run_json_accepts_offsets_a_bom_and_numeric_attempts() {
        let (meta, problems) = meta_from_json(
            b"\xEF\xBB\xBF{\"timestamp\": \"2024-05-01T12:00:00+02:00\", \"attempt\": 2}",
            "run.json",
        );
        assert_eq!(problems, []);
        assert_eq!(
            meta.timestamp,
            Some("2024-05-01T10:00:00Z".parse().unwrap())
        );
        assert_eq!(meta.attempt, Some(2));
    }

    #[test]
    fn run_json_rejects_zoneless_names_and_non_objects() {
        let (meta, problems) = meta_from_json(
            br#"{"timestamp": "2024-05-01T10:00:00[Europe/Paris]", "attempt": "99999999999"}"#,
            "run.json",
        );
        assert_eq!(meta, RunMeta::default());
        assert_eq!(problems.len(), 2);
        let (meta, problems) = meta_from_json(b"[1, 2]", "x/run.json");
        assert_eq!(meta, RunMeta::default());
        assert_eq!(
            problems[0].message,
            "expected a JSON object, found an array; using default run metadata"
        );
    }

    #[test]
    fn run_json_above_the_run_level_is_pointed_out() {
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        write(root, "TEST-a.xml", REPORT);
        let json = write(root, "run.json", b"{}");
        let (runs, problems) = discover(&[root.to_path_buf()], Some(1)).unwrap();
        assert_eq!(run_names(&runs), ["TEST-a"]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].location, display_path(&json));
        assert!(problems[0].message.contains("--run-depth 0"));
    }

    #[test]
    fn an_empty_run_folder_is_a_warning() {
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        write(root, "run-1/log.txt", b"cancelled");
        let (runs, problems) = discover(&[root.to_path_buf()], Some(1)).unwrap();
        assert_eq!(runs.len(), 1);
        assert!(runs[0].inputs.is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].location, display_path(&root.join("run-1")));
        assert!(!problems[0].fatal_for_input);
    }

    #[test]
    fn zip_reports_are_read_in_memory_and_unsafe_names_are_refused() {
        let dir = TempDir::new().unwrap();
        let zip = write(
            dir.path(),
            "artifact.zip",
            &zip_of(&[
                ("run.json", b"{\"commit\": \"abc\"}"),
                ("reports/TEST-a.xml", REPORT),
                ("nested/deep/TEST-b.XML", b"<testsuite/>"),
                ("readme.txt", b"not a report"),
                ("../evil.xml", REPORT),
                ("/abs.xml", REPORT),
                ("C:\\win\\abs.xml", REPORT),
                ("__MACOSX/reports/._TEST-a.xml", b"\0\x05\x16\x07"),
                ("nested/run.json", b"{}"),
            ]),
        );
        let (reports, problems, run_json) = load(&input_of(&zip), 1 << 20);
        let base = display_path(&zip);
        assert_eq!(
            displays(&reports),
            [
                format!("{base}!/nested/deep/TEST-b.XML"),
                format!("{base}!/reports/TEST-a.xml")
            ]
        );
        assert_eq!(reports[1].bytes, REPORT);
        assert_eq!(run_json.as_deref(), Some(&b"{\"commit\": \"abc\"}"[..]));
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "entry \"../evil.xml\" has a '..' path component; skipped",
                "entry \"/abs.xml\" has an absolute path; skipped",
                "entry \"C:\\win\\abs.xml\" has an absolute path; skipped",
            ]
        );
        assert!(
            problems
                .iter()
                .all(|p| p.location == base && p.fatal_for_input)
        );
    }

    #[test]
    fn tar_gz_entries_are_read_and_dot_slash_prefixes_dropped() {
        let dir = TempDir::new().unwrap();
        let tgz = write(
            dir.path(),
            "run-5.tar.gz",
            &gzip(&tar_of(&[
                ("./run.json", b"{\"attempt\": 2}"),
                ("./out/TEST-a.xml", REPORT),
                ("out/../../evil.xml", REPORT),
            ])),
        );
        let (reports, problems, run_json) = load(&input_of(&tgz), 1 << 20);
        let base = display_path(&tgz);
        assert_eq!(displays(&reports), [format!("{base}!/out/TEST-a.xml")]);
        assert_eq!(reports[0].bytes, REPORT);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].message,
            "entry \"out/../../evil.xml\" has a '..' path component; skipped"
        );
        let (meta, meta_problems) = meta_from_json(&run_json.unwrap(), "run-5.tar.gz!/run.json");
        assert_eq!(meta_problems, []);
        assert_eq!(meta.attempt, Some(2));
    }

    #[test]
    fn plain_tar_and_gzipped_reports_are_read() {
        let dir = TempDir::new().unwrap();
        let tar = write(dir.path(), "a.tar", &tar_of(&[("TEST-a.xml", REPORT)]));
        let (reports, problems, run_json) = load(&input_of(&tar), 1 << 20);
        assert_eq!(problems, []);
        assert_eq!(run_json, None);
        assert_eq!(
            displays(&reports),
            [format!("{}!/TEST-a.xml", display_path(&tar))]
        );

        let gz = write(dir.path(), "b.xml.gz", &gzip(REPORT));
        let (reports, problems, _) = load(&input_of(&gz), 1 << 20);
        assert_eq!(problems, []);
        assert_eq!(displays(&reports), [display_path(&gz)]);
        assert_eq!(reports[0].bytes, REPORT);
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit() {
        let dir = TempDir::new().unwrap();
        let zeros = vec![0_u8; 10 << 20];
        let gz = write(dir.path(), "bomb.xml.gz", &gzip(&zeros));
        assert!(fs::metadata(&gz).unwrap().len() < 1 << 20);
        let (reports, problems, _) = load(&input_of(&gz), 1 << 20);
        assert!(reports.is_empty());
        assert_eq!(
            problems,
            [Problem {
                location: display_path(&gz),
                message: "report is larger than the limit of 1048576 bytes (--max-file-size)"
                    .to_owned(),
                fatal_for_input: true,
            }]
        );
    }

    /// Past the bytes kept before a stream's size is known, a gzipped report or a zip entry is
    /// read on only to count: over the limit it is refused with nothing more kept (a bomb costs
    /// `keep` bytes), within it it is read again whole.
    #[test]
    fn streams_past_the_kept_bytes_are_counted_then_read_again_or_refused() {
        let dir = TempDir::new().unwrap();
        let cases: String = (0..2000)
            .map(|i| format!("<testcase classname=\"c\" name=\"t{i}\"/>\n"))
            .collect();
        let report = format!("<testsuite name=\"s\">\n{cases}</testsuite>\n");
        let size = report.len() as u64;
        let gz = write(dir.path(), "big.xml.gz", &gzip(report.as_bytes()));
        let zip = write(
            dir.path(),
            "big.zip",
            &zip_of(&[("a/big.xml", report.as_bytes())]),
        );
        for input in [&gz, &zip] {
            let (reports, problems, _) = load_keeping(&input_of(input), size, 4096);
            assert_eq!(problems, [], "{}", input.display());
            assert_eq!(reports.len(), 1);
            assert_eq!(reports[0].bytes, report.as_bytes());
            assert_eq!(reports[0].size, size);
            let (reports, problems, _) = load_keeping(&input_of(input), size - 1, 4096);
            assert!(reports.is_empty());
            assert!(
                problems[0].message.contains("larger than the limit"),
                "{problems:?}"
            );
        }
    }

    /// A large report whose one value runs for megabytes is kept at 1 MiB of that value, and
    /// its size is the file's.
    #[test]
    fn an_over_long_value_is_cut_while_reading() {
        let dir = TempDir::new().unwrap();
        let value = "v".repeat(20 << 20);
        let report = format!("<testsuite name=\"{value}\"><testcase name=\"t\"/></testsuite>");
        let xml = write(dir.path(), "a.xml", report.as_bytes());
        let gz = write(dir.path(), "b.xml.gz", &gzip(report.as_bytes()));
        for input in [&xml, &gz] {
            let (reports, problems, _) = load(&input_of(input), 64 << 20);
            assert_eq!(problems, []);
            assert!(reports[0].bytes.len() < (1 << 20) + 100);
            assert_eq!(reports[0].size, report.len() as u64);
            assert_eq!(reports[0].cuts.len(), 1);
            assert_eq!(reports[0].cuts[0].bytes, (19 << 20) as u64);
        }
    }

    #[test]
    fn oversized_archive_entries_are_skipped_and_the_rest_read() {
        let dir = TempDir::new().unwrap();
        let big = vec![b' '; 4096];
        let zip = write(
            dir.path(),
            "a.zip",
            &zip_of(&[("big.xml", &big), ("small.xml", REPORT)]),
        );
        let tgz = write(
            dir.path(),
            "a.tgz",
            &gzip(&tar_of(&[("big.xml", &big), ("small.xml", REPORT)])),
        );
        for archive in [zip, tgz] {
            let (reports, problems, _) = load(&input_of(&archive), 1000);
            let base = display_path(&archive);
            assert_eq!(displays(&reports), [format!("{base}!/small.xml")]);
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].location, format!("{base}!/big.xml"));
            assert_eq!(
                problems[0].message,
                "report is larger than the limit of 1000 bytes (--max-file-size)"
            );
        }
    }

    #[test]
    fn an_oversized_plain_report_is_skipped() {
        let dir = TempDir::new().unwrap();
        let xml = write(dir.path(), "a.xml", REPORT);
        let (reports, problems, _) = load(&input_of(&xml), 10);
        assert!(reports.is_empty());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("limit of 10 bytes"));
        let exact = u64::try_from(REPORT.len()).unwrap();
        let (reports, problems, _) = load(&input_of(&xml), exact);
        assert_eq!(problems, []);
        assert_eq!(reports.len(), 1);
    }

    #[test]
    fn corrupt_archives_are_problems_and_other_inputs_still_load() {
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        write(root, "run-1/a.xml", REPORT);
        let zip = write(root, "run-1/b.zip", b"PK\x03\x04 this is not a zip archive");
        let gz = write(root, "run-1/c.xml.gz", b"\x1f\x8b garbage");
        let tgz = write(root, "run-1/d.tgz", &gzip(b"not a tar archive, just text"));
        let (runs, problems) = discover(&[root.to_path_buf()], Some(1)).unwrap();
        assert_eq!(problems, []);
        let mut reports = Vec::new();
        let mut problems = Vec::new();
        for input in &runs[0].inputs {
            let (loaded, found, _) = load(input, 1 << 20);
            reports.extend(loaded);
            problems.extend(found);
        }
        assert_eq!(
            displays(&reports),
            [display_path(&root.join("run-1/a.xml"))]
        );
        let locations: Vec<&str> = problems.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(
            locations,
            [display_path(&zip), display_path(&gz), display_path(&tgz)]
        );
        assert!(problems[0].message.starts_with("cannot read zip archive: "));
        assert!(problems.iter().all(|p| p.fatal_for_input));
    }
}

//! Finding reports: turns the PATHs given to `ingest` into a sorted list of CI runs, each with
//! the files that hold its reports, and reads those reports (and `run.json` metadata) into
//! memory.
//!
//! This module owns the run-folder rules (`--run-depth`), which file names count as reports,
//! archive handling (entries read in memory, never extracted; unsafe entry names refused), the
//! size limit that guards every read against decompression bombs, and `run.json` parsing. It
//! never parses XML: it hands bytes to the parser.

use std::ffi::OsStr;
use std::fs::{self, File, Metadata};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use serde_json::{Map, Value};

/// The run metadata file, directly in a run folder or at the root of a run archive.
const RUN_JSON: &str = "run.json";

/// `discover` has no `--max-file-size` to go by, and run.json is a handful of keys, so anything
/// bigger than this is not metadata and is refused rather than read.
const RUN_JSON_LIMIT: u64 = 1 << 20;

/// Entry headers in archives state a size that may be a lie; never reserve more than this up
/// front on their word (the buffer still grows to the real size, up to the limit).
const PREALLOCATE_AT_MOST: u64 = 16 << 20;

/// Metadata of one CI run, as read from run.json (every field optional).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunMeta {
    pub run_id: Option<String>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub timestamp: Option<jiff::Timestamp>,
    pub attempt: Option<u32>,
    pub job: Option<String>,
    pub pipeline: Option<String>,
    pub variant: Option<String>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
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
pub struct Input {
    /// As found on disk, joined from the PATH the user gave.
    pub path: PathBuf,
    pub kind: InputKind,
    /// On-disk size in bytes.
    pub size: u64,
    pub mtime: Option<SystemTime>,
}

/// One CI run: a folder, or a single report file or archive.
#[derive(Debug, Clone)]
pub struct DiscoveredRun {
    /// The run folder, file or archive.
    pub source: PathBuf,
    /// Default run id: the folder name, or the file name without its report/archive ending.
    pub name: String,
    /// From run.json in a run folder; default for file and archive runs (callers fill it from
    /// the third element of [`load`] through [`meta_from_json`]).
    pub meta: RunMeta,
    /// Sorted by path.
    pub inputs: Vec<Input>,
}

/// A problem that does not stop the ingest: shown as `{location}: {message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub location: String,
    pub message: String,
    /// True when a report (or something that may hold reports) was not ingested because of this
    /// problem; false for warnings where everything readable still was.
    pub fatal_for_input: bool,
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
pub struct LoadedReport {
    /// `path/to/file.xml`, or `path/to/artifact.zip!/inner/TEST-x.xml` for archive entries.
    pub display: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
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

/// Walks the PATHs and returns the runs found (sorted by source path) plus problems
/// (run.json errors, skipped loose files, unreadable directories). Err only when a PATH does not
/// exist or cannot be read at all.
///
/// `run_depth` None is the default layout: each immediate subfolder of a folder is one run,
/// unless the folder itself looks like one run (see [`one_run_reason`]).
pub fn discover(
    paths: &[PathBuf],
    run_depth: Option<usize>,
) -> Result<(Vec<DiscoveredRun>, Vec<Problem>), DiscoverError> {
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    let mut seen: Vec<&PathBuf> = Vec::new();
    for path in paths {
        // The same PATH twice (a shell glob plus an explicit name) would ingest its runs twice.
        if seen.contains(&path) {
            continue;
        }
        seen.push(path);
        // The PATH itself is followed if it is a symlink: the user named it on purpose.
        let metadata = fs::metadata(path).map_err(|err| DiscoverError::from_io(path, err))?;
        if metadata.is_dir() {
            discover_dir(path, run_depth, &mut runs, &mut problems)?;
        } else if !metadata.is_file() {
            problems.push(not_regular(path, &metadata));
        } else if let Some((kind, suffix_len)) = file_kind(path) {
            runs.push(file_run(path, kind, suffix_len, &metadata));
        } else if let Some(kind) = sniff(path) {
            // Named on purpose, so the content decides, whatever the name ends with.
            let suffix_len = extension_len(&file_name(path));
            runs.push(file_run(path, kind, suffix_len, &metadata));
        } else {
            problems.push(Problem::warning(
                display_path(path),
                "not a report, archive or directory; skipped \
                 (its content is not XML, gzip, zip or tar)",
            ));
        }
    }
    runs.sort_by(|a, b| a.source.cmp(&b.source));
    Ok((runs, problems))
}

/// What a directory listing keeps: everything else (other files, hidden entries, symlinks to
/// directories) is dropped by [`list_dir`].
enum ItemKind {
    Dir,
    Report(InputKind, usize, Metadata),
    RunJson,
}

struct Item {
    path: PathBuf,
    kind: ItemKind,
}

fn discover_dir(
    root: &Path,
    run_depth: Option<usize>,
    runs: &mut Vec<DiscoveredRun>,
    problems: &mut Vec<Problem>,
) -> Result<(), DiscoverError> {
    // Unlike a folder further down, an unreadable PATH means nothing the user asked for can be
    // ingested, so it is an error rather than a problem.
    let items = list_dir(root, problems).map_err(|err| DiscoverError::from_io(root, err))?;
    let Some(run_depth) = run_depth else {
        discover_default(root, items, runs, problems)?;
        return Ok(());
    };
    if run_depth == 0 {
        runs.push(folder_run(root, items, problems));
    } else {
        // `testsift ingest build/test-results` from inside one CI job is a common slip: a folder
        // of plain reports with no run folders would silently become one run per file.
        let has_dirs = items.iter().any(|i| matches!(i.kind, ItemKind::Dir));
        let plain = items
            .iter()
            .filter(|i| {
                matches!(
                    i.kind,
                    ItemKind::Report(InputKind::Xml | InputKind::XmlGz, ..)
                )
            })
            .count();
        if run_depth == 1 && !has_dirs && plain > 1 {
            problems.push(Problem::warning(
                display_path(root),
                format!(
                    "holds {plain} report files but no run folders, so each file is taken as one run \
                     (use --run-depth 0 if they are one run)"
                ),
            ));
        }
        find_runs(items, 1, run_depth, runs, problems);
    }
    Ok(())
}

/// Folder names build tools write their test reports into (Maven's `target/surefire-reports`,
/// Gradle's `build/test-results/test`, Bazel's `bazel-testlogs`): a run folder never has such a
/// name, and reports below one belong to a build, not to a history of runs.
const BUILD_DIRS: [&str; 7] = [
    "target",
    "build",
    "test-results",
    "test-reports",
    "surefire-reports",
    "failsafe-reports",
    "bazel-testlogs",
];

fn is_build_dir(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    BUILD_DIRS.iter().any(|dir| name.eq_ignore_ascii_case(dir))
}

/// The default layout (no `--run-depth`): PATH is one run when it looks like one, else each
/// immediate subfolder (or report file, or archive) is one run.
fn discover_default(
    root: &Path,
    items: Vec<Item>,
    runs: &mut Vec<DiscoveredRun>,
    problems: &mut Vec<Problem>,
) -> Result<(), DiscoverError> {
    if one_run_reason(&items) {
        runs.push(folder_run(root, items, problems));
        return Ok(());
    }
    let loose_plain = items
        .iter()
        .filter(|i| {
            matches!(
                i.kind,
                ItemKind::Report(InputKind::Xml | InputKind::XmlGz, ..)
            )
        })
        .count();
    let has_dirs = items.iter().any(|i| matches!(i.kind, ItemKind::Dir));
    if !has_dirs && loose_plain > 0 {
        // Loose reports beside archives: the archives are runs of a history, so each file is.
        problems.push(Problem::warning(
            display_path(root),
            format!(
                "holds {loose_plain} report files and archives but no run folders, so each file \
                 is taken as one run (use --run-depth 0 if they are one run)"
            ),
        ));
    }
    let mut found = Vec::new();
    let mut found_problems = Vec::new();
    find_runs(items, 1, 1, &mut found, &mut found_problems);
    match modules(root, &found) {
        Modules::OneBuild(names) => {
            // The subfolders are the modules of one build: PATH is the run. Listed again so
            // that nothing said about the subfolders as runs (an empty one) is kept.
            let items =
                list_dir(root, problems).map_err(|err| DiscoverError::from_io(root, err))?;
            problems.push(Problem::warning(
                display_path(root),
                format!(
                    "taken as one run: its subfolders {} hold different reports in build-tool \
                     report folders, as the modules of one build do (use --run-depth 1 to take \
                     each subfolder as a run)",
                    names.join(", ")
                ),
            ));
            runs.push(folder_run(root, items, problems));
        }
        Modules::Ambiguous(names) => {
            problems.push(Problem::warning(
                display_path(root),
                format!(
                    "took {} subfolders as runs ({}); their reports sit in build-tool report \
                     folders, so if they are the modules of one build use --run-depth 0",
                    names.len(),
                    names.join(", ")
                ),
            ));
            runs.extend(found);
            problems.extend(found_problems);
        }
        Modules::No => {
            runs.extend(found);
            problems.extend(found_problems);
        }
    }
    Ok(())
}

/// Whether a folder's own listing shows that it is one run: it holds run.json, or a build
/// tool's output folder (`target`, `build`, ...), or report files and no subfolders or
/// archives (`target/surefire-reports`, `build/test-results/test`).
fn one_run_reason(items: &[Item]) -> bool {
    let mut dirs = false;
    let mut plain = false;
    let mut archives = false;
    for item in items {
        match &item.kind {
            ItemKind::RunJson => return true,
            ItemKind::Dir => {
                if item.path.file_name().is_some_and(is_build_dir) {
                    return true;
                }
                dirs = true;
            }
            ItemKind::Report(InputKind::Xml | InputKind::XmlGz, ..) => plain = true,
            ItemKind::Report(..) => archives = true,
        }
    }
    plain && !dirs && !archives
}

/// What the runs found one level below PATH say about PATH.
enum Modules {
    /// Not build modules: the runs stand.
    No,
    /// Build modules of one run: the subfolders named.
    OneBuild(Vec<String>),
    /// Subfolders whose reports all sit in build-tool folders, but whose report names repeat
    /// (a history of runs, or modules with same-named reports): taken as runs, with a warning.
    Ambiguous(Vec<String>),
}

/// Two or more subfolders with reports, no run.json and no archives, every report below a
/// build-tool report folder, look like the modules of one build. Runs of a history repeat
/// their report names (the same test classes run each time); modules do not, so disjoint
/// report names decide.
fn modules(root: &Path, runs: &[DiscoveredRun]) -> Modules {
    let with_reports: Vec<&DiscoveredRun> = runs.iter().filter(|r| !r.inputs.is_empty()).collect();
    if with_reports.len() < 2 {
        return Modules::No;
    }
    let mut names = std::collections::HashSet::new();
    let mut disjoint = true;
    for run in &with_reports {
        if run.source == root
            || run.meta != RunMeta::default()
            || run.source.join(RUN_JSON).exists()
        {
            return Modules::No;
        }
        for input in &run.inputs {
            if !matches!(input.kind, InputKind::Xml | InputKind::XmlGz) {
                return Modules::No;
            }
            let Ok(relative) = input.path.strip_prefix(&run.source) else {
                return Modules::No;
            };
            let in_build_dir = relative
                .parent()
                .is_some_and(|dir| dir.iter().any(is_build_dir));
            if !in_build_dir {
                return Modules::No;
            }
        }
    }
    for run in &with_reports {
        let own: std::collections::HashSet<&OsStr> = run
            .inputs
            .iter()
            .filter_map(|i| i.path.file_name())
            .collect();
        for name in own {
            disjoint &= names.insert(name);
        }
    }
    let listed = with_reports.iter().map(|r| r.name.clone()).collect();
    if disjoint {
        Modules::OneBuild(listed)
    } else {
        Modules::Ambiguous(listed)
    }
}

/// Handles the `items` of a folder at `level - 1` below PATH, descending until `run_depth`.
/// The items are looked at in parallel (listing a run folder and reading its run.json is a
/// few system calls each, and a history has thousands of runs); what they give is kept in
/// their order.
fn find_runs(
    items: Vec<Item>,
    level: usize,
    run_depth: usize,
    runs: &mut Vec<DiscoveredRun>,
    problems: &mut Vec<Problem>,
) {
    let found: Vec<(Vec<DiscoveredRun>, Vec<Problem>)> = items
        .into_par_iter()
        .map(|item| {
            let mut runs = Vec::new();
            let mut problems = Vec::new();
            find_item_runs(item, level, run_depth, &mut runs, &mut problems);
            (runs, problems)
        })
        .collect();
    for (item_runs, item_problems) in found {
        runs.extend(item_runs);
        problems.extend(item_problems);
    }
}

fn find_item_runs(
    item: Item,
    level: usize,
    run_depth: usize,
    runs: &mut Vec<DiscoveredRun>,
    problems: &mut Vec<Problem>,
) {
    match item.kind {
        ItemKind::Dir => match list_dir(&item.path, problems) {
            Ok(children) if level == run_depth => {
                runs.push(folder_run(&item.path, children, problems));
            }
            Ok(children) => find_runs(children, level + 1, run_depth, runs, problems),
            Err(err) => problems.push(unreadable_dir(&item.path, &err)),
        },
        ItemKind::Report(kind, suffix_len, metadata) if level == run_depth => {
            runs.push(file_run(&item.path, kind, suffix_len, &metadata));
        }
        ItemKind::Report(..) => problems.push(Problem::warning(
            display_path(&item.path),
            format!(
                "not inside a run folder at depth {run_depth}; skipped \
                 (use --run-depth 0 to ingest PATH as one run)"
            ),
        )),
        // A run.json above the run level usually means PATH points at a run (or a
        // folder of runs) one level shallower than --run-depth says; the folder holding it
        // is at `level - 1`.
        ItemKind::RunJson => problems.push(Problem::warning(
            display_path(&item.path),
            format!(
                "not inside a run folder at depth {run_depth}; ignored \
                 (use --run-depth {} to make its folder a run)",
                level - 1
            ),
        )),
    }
}

/// A run folder: its own run.json, and every report anywhere below it.
fn folder_run(dir: &Path, items: Vec<Item>, problems: &mut Vec<Problem>) -> DiscoveredRun {
    let mut meta = RunMeta::default();
    let mut inputs = Vec::new();
    for item in items {
        match item.kind {
            ItemKind::RunJson => meta = read_run_json(&item.path, problems),
            ItemKind::Dir => collect_inputs(&item.path, &mut inputs, problems),
            ItemKind::Report(kind, _, metadata) => inputs.push(input(item.path, kind, &metadata)),
        }
    }
    inputs.sort_by(|a, b| a.path.cmp(&b.path));
    if inputs.is_empty() {
        problems.push(Problem::warning(
            display_path(dir),
            "no reports found in this run folder (expected .xml, .xml.gz, .zip, .tar, .tar.gz \
             or .tgz files)",
        ));
    }
    DiscoveredRun {
        source: dir.to_path_buf(),
        name: folder_name(dir),
        meta,
        inputs,
    }
}

fn collect_inputs(dir: &Path, inputs: &mut Vec<Input>, problems: &mut Vec<Problem>) {
    let items = match list_dir(dir, problems) {
        Ok(items) => items,
        Err(err) => {
            problems.push(unreadable_dir(dir, &err));
            return;
        }
    };
    for item in items {
        match item.kind {
            ItemKind::Dir => collect_inputs(&item.path, inputs, problems),
            ItemKind::Report(kind, _, metadata) => inputs.push(input(item.path, kind, &metadata)),
            // Only the run folder's own run.json describes the run; deeper ones belong to
            // whatever tool wrote them.
            ItemKind::RunJson => {}
        }
    }
}

/// A report file or archive that is a run by itself.
fn file_run(path: &Path, kind: InputKind, suffix_len: usize, metadata: &Metadata) -> DiscoveredRun {
    let file_name = file_name(path);
    let name = file_name
        .get(..file_name.len() - suffix_len)
        .unwrap_or(&file_name)
        .to_owned();
    DiscoveredRun {
        source: path.to_path_buf(),
        name,
        meta: RunMeta::default(),
        inputs: vec![input(path.to_path_buf(), kind, metadata)],
    }
}

fn input(path: PathBuf, kind: InputKind, metadata: &Metadata) -> Input {
    Input {
        path,
        kind,
        size: metadata.len(),
        mtime: metadata.modified().ok(),
    }
}

/// Lists a directory, sorted by path, keeping subdirectories, reports, archives and run.json.
/// Problems with single entries are pushed; Err only when the directory cannot be listed.
fn list_dir(dir: &Path, problems: &mut Vec<Problem>) -> io::Result<Vec<Item>> {
    let mut items = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                // A failing listing may keep failing; what was listed so far is still used.
                problems.push(unreadable_dir(dir, &err));
                break;
            }
        };
        let name = entry.file_name();
        // Hidden entries are VCS and tool state (.git, .testsift) or macOS `._x.xml` resource
        // forks that look like reports but are not.
        if is_hidden(&name) {
            continue;
        }
        let path = entry.path();
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(err) => {
                problems.push(Problem::skipped(
                    display_path(&path),
                    format!("cannot read: {err}"),
                ));
                continue;
            }
        };
        if file_type.is_dir() {
            items.push(Item {
                path,
                kind: ItemKind::Dir,
            });
            continue;
        }
        let name = name.to_string_lossy();
        let report = InputKind::from_name(&name);
        if report.is_none() && name != RUN_JSON {
            continue;
        }
        // Following a symlinked file is harmless (a report linked in from elsewhere is still
        // this run's); a symlinked directory is never followed, so loops cannot happen and a
        // `latest -> run-17` link does not ingest run-17 twice.
        let metadata = match fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(err) => {
                problems.push(Problem::skipped(
                    display_path(&path),
                    format!("cannot read: {err}"),
                ));
                continue;
            }
        };
        if metadata.is_dir() {
            continue;
        }
        // Opening a FIFO blocks until something writes to it, and a device may never end.
        if !metadata.is_file() {
            problems.push(not_regular(&path, &metadata));
            continue;
        }
        let kind = match report {
            Some((kind, suffix_len)) => ItemKind::Report(kind, suffix_len, metadata),
            None => ItemKind::RunJson,
        };
        items.push(Item { path, kind });
    }
    items.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(items)
}

/// A warning for something named like a report that is not a regular file; it is never opened.
fn not_regular(path: &Path, metadata: &Metadata) -> Problem {
    Problem::warning(
        display_path(path),
        format!(
            "not a regular file ({}); skipped without opening it",
            file_type_name(metadata)
        ),
    )
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

/// Bytes looked at to tell what a file named on the command line holds: a tar header's magic
/// sits at offset 257.
const SNIFF_BYTES: usize = 512;

/// What a file's content says it is: XML (any encoding a report may use), gzip (a gzipped
/// report or tarball), zip or tar. `None` for anything else.
fn sniff(path: &Path) -> Option<InputKind> {
    let file = open_regular(path).ok()?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    file.take(SNIFF_BYTES as u64).read_to_end(&mut head).ok()?;
    if head.starts_with(b"\x1f\x8b") {
        let mut inner = Vec::with_capacity(SNIFF_BYTES);
        let file = open_regular(path).ok()?;
        // A short or broken stream still yields its start; what decompressed decides.
        let _ = MultiGzDecoder::new(BufReader::new(file))
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut inner);
        return Some(if is_tar(&inner) {
            InputKind::TarGz
        } else {
            InputKind::XmlGz
        });
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(InputKind::Zip);
    }
    if is_tar(&head) {
        return Some(InputKind::Tar);
    }
    is_xml(&head).then_some(InputKind::Xml)
}

fn is_tar(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar")
}

/// Starts like an XML document: `<` after an optional byte order mark and white space, or
/// UTF-16 with or without its byte order mark.
fn is_xml(head: &[u8]) -> bool {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return true;
    }
    if head.starts_with(b"<\0") || head.starts_with(b"\0<") {
        return true;
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    text.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}

/// The length of a name's last `.ext` (0 when there is none, or for a hidden file's only dot).
fn extension_len(name: &str) -> usize {
    match name.rfind('.') {
        Some(0) | None => 0,
        Some(dot) => name.len() - dot,
    }
}

fn unreadable_dir(dir: &Path, err: &io::Error) -> Problem {
    Problem::skipped(display_path(dir), format!("cannot read directory: {err}"))
}

fn read_run_json(path: &Path, problems: &mut Vec<Problem>) -> RunMeta {
    let location = display_path(path);
    let file = match open_regular(path) {
        Ok(file) => file,
        Err(message) => {
            problems.push(Problem::warning(
                location,
                format!("{message}; using default run metadata"),
            ));
            return RunMeta::default();
        }
    };
    match read_bounded(file, RUN_JSON_LIMIT, 0) {
        Ok(bytes) => {
            let (meta, found) = meta_from_json(&bytes, &location);
            problems.extend(found);
            meta
        }
        Err(err) => {
            problems.push(Problem::warning(
                location,
                format!("{}; using default run metadata", run_json_read_error(&err)),
            ));
            RunMeta::default()
        }
    }
}

fn run_json_read_error(err: &ReadError) -> String {
    match err {
        ReadError::TooLarge => format!("run.json is larger than {RUN_JSON_LIMIT} bytes"),
        ReadError::Io(err, _) => format!("cannot read: {err}"),
    }
}

fn file_kind(path: &Path) -> Option<(InputKind, usize)> {
    InputKind::from_name(&file_name(path))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The folder's own name; for `.` or `..` the name of the folder they stand for.
fn folder_name(dir: &Path) -> String {
    if let Some(name) = dir.file_name() {
        return name.to_string_lossy().into_owned();
    }
    fs::canonicalize(dir)
        .ok()
        .and_then(|dir| {
            dir.file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| display_path(dir))
}

fn is_hidden(name: &OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
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
struct Loaded {
    /// The input's display path: the whole location for plain files, the prefix before `!/`
    /// for archive entries.
    archive: String,
    limit: u64,
    reports: Vec<LoadedReport>,
    problems: Vec<Problem>,
    run_json: Option<Vec<u8>>,
}

/// What an archive entry is to us, judging by its name.
enum EntryRole {
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
fn classify_entry(name: &str) -> Result<Option<(EntryRole, String)>, &'static str> {
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

enum ReadError {
    TooLarge,
    /// The error and the bytes read before it (a truncated gzip stream still yields its start).
    Io(io::Error, Vec<u8>),
}

/// Reads at most `limit` bytes; one byte more means the data is too large. Reading through
/// `take` stops a decompression bomb after `limit + 1` bytes instead of at the end of the
/// stream.
fn read_bounded(reader: impl Read, limit: u64, size_hint: u64) -> Result<Vec<u8>, ReadError> {
    let capacity = size_hint.min(limit).min(PREALLOCATE_AT_MOST);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    let read = reader.take(limit.saturating_add(1)).read_to_end(&mut bytes);
    within_limit(read, bytes, limit)
}

/// What a read into `bytes` gave: the bytes, the error with the bytes before it, or
/// [`ReadError::TooLarge`] when there are more than `limit` of them.
fn within_limit(read: io::Result<usize>, bytes: Vec<u8>, limit: u64) -> Result<Vec<u8>, ReadError> {
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
fn read_plain(mut file: File, limit: u64, size_hint: u64) -> Result<Vec<u8>, ReadError> {
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

/// Parses run.json bytes; `location` names the file for messages.
pub fn meta_from_json(bytes: &[u8], location: &str) -> (RunMeta, Vec<Problem>) {
    let mut problems = Vec::new();
    // Windows tools (PowerShell's Out-File among them) write a byte order mark that JSON
    // parsers reject.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let object = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => object,
        Ok(other) => {
            problems.push(Problem::warning(
                location,
                format!(
                    "expected a JSON object, found {}; using default run metadata",
                    json_type(&other)
                ),
            ));
            return (RunMeta::default(), problems);
        }
        Err(err) => {
            problems.push(json_syntax_problem(location, &err));
            return (RunMeta::default(), problems);
        }
    };
    let mut meta = RunMeta::default();
    let mut fields = Fields {
        location,
        problems: &mut problems,
    };
    for (key, value) in object {
        match key.as_str() {
            "run_id" => meta.run_id = fields.run_id(&key, value),
            "commit" => meta.commit = fields.run_id(&key, value),
            "branch" => meta.branch = fields.string(&key, value),
            "timestamp" => meta.timestamp = fields.timestamp(&key, value),
            "attempt" => meta.attempt = fields.attempt(&key, value),
            "job" => meta.job = fields.run_id(&key, value),
            "pipeline" => meta.pipeline = fields.run_id(&key, value),
            "variant" => meta.variant = fields.string(&key, value),
            _ => {
                meta.extra.insert(key, value);
            }
        }
    }
    (meta, problems)
}

fn json_syntax_problem(location: &str, err: &serde_json::Error) -> Problem {
    let text = err.to_string();
    if err.line() == 0 {
        return Problem::warning(
            location,
            format!("invalid JSON: {text}; using default run metadata"),
        );
    }
    // serde_json appends the position in words; it goes into the location instead, where
    // editors and terminals can jump to it.
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let reason = text.strip_suffix(&suffix).unwrap_or(&text);
    Problem::warning(
        format!("{location}:{}:{}", err.line(), err.column()),
        format!("invalid JSON: {reason}; using default run metadata"),
    )
}

/// Typed access to run.json values: a value of the wrong type is a problem naming its key and
/// is dropped; `null` means absent.
struct Fields<'a> {
    location: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Fields<'_> {
    fn wrong(&mut self, key: &str, expected: &str, found: &str) {
        self.problems.push(Problem::warning(
            self.location,
            format!("\"{key}\": expected {expected}, found {found}; ignored"),
        ));
    }

    fn string(&mut self, key: &str, value: Value) -> Option<String> {
        match value {
            Value::String(text) => Some(text),
            Value::Null => None,
            other => {
                self.wrong(key, "a string", json_type(&other));
                None
            }
        }
    }

    /// CI systems number their runs, pipelines and jobs (and Subversion its commits), and
    /// writers often emit the number as-is.
    fn run_id(&mut self, key: &str, value: Value) -> Option<String> {
        match value {
            Value::Number(number) if number.is_i64() || number.is_u64() => Some(number.to_string()),
            other => self.string(key, other),
        }
    }

    fn attempt(&mut self, key: &str, value: Value) -> Option<u32> {
        let parsed = match &value {
            Value::Null => return None,
            Value::Number(number) => number.as_u64().and_then(|n| u32::try_from(n).ok()),
            // Shell-written run.json files quote everything.
            Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
                text.parse().ok()
            }
            _ => None,
        };
        if parsed.is_none() {
            let found = match &value {
                Value::Number(number) => format!("{number}"),
                Value::String(text) => format!("\"{text}\""),
                other => json_type(other).to_owned(),
            };
            self.wrong(key, "a whole number from 0 to 4294967295", &found);
        }
        parsed
    }

    fn timestamp(&mut self, key: &str, value: Value) -> Option<jiff::Timestamp> {
        let text = self.string(key, value)?;
        let parsed = parse_timestamp(&text);
        if parsed.is_none() {
            self.wrong(
                key,
                "an RFC 3339 timestamp such as 2024-05-01T10:00:00Z",
                &format!("\"{text}\""),
            );
        }
        parsed
    }
}

/// RFC 3339 with an offset, or a naive date-time read as UTC (many CI exports drop the `Z`).
fn parse_timestamp(text: &str) -> Option<jiff::Timestamp> {
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        return Some(timestamp);
    }
    // A bracketed time zone without an offset cannot be resolved without a time zone
    // database, and reading it as UTC would be silently wrong.
    if text.contains('[') {
        return None;
    }
    let civil: jiff::civil::DateTime = text.parse().ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
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

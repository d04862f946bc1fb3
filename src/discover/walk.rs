//! Walking the PATHs: which folders are runs (`--run-depth`, and the default layout that takes
//! a folder of loose reports, a build's output or the modules of one build as one run), which
//! files are reports (by name when found in a folder, by content when named on the command
//! line), and never opening anything that is not a regular file.

use std::ffi::OsStr;
use std::fs::{self, Metadata};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use rayon::prelude::*;

use super::archive::{read_bounded, run_json_read_error};
use super::*;

/// Walks the PATHs and returns the runs found (sorted by source path) plus problems
/// (run.json errors, skipped loose files, unreadable directories). Err only when a PATH does not
/// exist or cannot be read at all.
///
/// `run_depth` None is the default layout: each immediate subfolder of a folder is one run,
/// unless the folder itself looks like one run (see `one_run_reason`).
pub(crate) fn discover(
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
pub(super) enum ItemKind {
    Dir,
    Report(InputKind, usize, Metadata),
    RunJson,
}

pub(super) struct Item {
    path: PathBuf,
    kind: ItemKind,
}

pub(super) fn discover_dir(
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
pub(super) const BUILD_DIRS: [&str; 7] = [
    "target",
    "build",
    "test-results",
    "test-reports",
    "surefire-reports",
    "failsafe-reports",
    "bazel-testlogs",
];

pub(super) fn is_build_dir(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    BUILD_DIRS.iter().any(|dir| name.eq_ignore_ascii_case(dir))
}

/// The default layout (no `--run-depth`): PATH is one run when it looks like one, else each
/// immediate subfolder (or report file, or archive) is one run.
pub(super) fn discover_default(
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
pub(super) fn one_run_reason(items: &[Item]) -> bool {
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
pub(super) enum Modules {
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
pub(super) fn modules(root: &Path, runs: &[DiscoveredRun]) -> Modules {
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
pub(super) fn find_runs(
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

pub(super) fn find_item_runs(
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
pub(super) fn folder_run(
    dir: &Path,
    items: Vec<Item>,
    problems: &mut Vec<Problem>,
) -> DiscoveredRun {
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

pub(super) fn collect_inputs(dir: &Path, inputs: &mut Vec<Input>, problems: &mut Vec<Problem>) {
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
pub(super) fn file_run(
    path: &Path,
    kind: InputKind,
    suffix_len: usize,
    metadata: &Metadata,
) -> DiscoveredRun {
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

pub(super) fn input(path: PathBuf, kind: InputKind, metadata: &Metadata) -> Input {
    Input {
        path,
        kind,
        size: metadata.len(),
        mtime: metadata.modified().ok(),
    }
}

/// Lists a directory, sorted by path, keeping subdirectories, reports, archives and run.json.
/// Problems with single entries are pushed; Err only when the directory cannot be listed.
pub(super) fn list_dir(dir: &Path, problems: &mut Vec<Problem>) -> io::Result<Vec<Item>> {
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
                problems.push(unreadable_file(&path, &err));
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
                problems.push(unreadable_file(&path, &err));
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
pub(super) fn not_regular(path: &Path, metadata: &Metadata) -> Problem {
    Problem::warning(
        display_path(path),
        format!(
            "not a regular file ({}); skipped without opening it",
            file_type_name(metadata)
        ),
    )
}

/// Bytes looked at to tell what a file named on the command line holds: a tar header's magic
/// sits at offset 257.
pub(super) const SNIFF_BYTES: usize = 512;

/// What a file's content says it is: XML (any encoding a report may use), gzip (a gzipped
/// report or tarball), zip or tar. `None` for anything else.
pub(super) fn sniff(path: &Path) -> Option<InputKind> {
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

pub(super) fn is_tar(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar")
}

/// Starts like an XML document: `<` after an optional byte order mark and white space, or
/// UTF-16 with or without its byte order mark.
pub(super) fn is_xml(head: &[u8]) -> bool {
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
pub(super) fn extension_len(name: &str) -> usize {
    match name.rfind('.') {
        Some(0) | None => 0,
        Some(dot) => name.len() - dot,
    }
}

pub(super) fn unreadable_dir(dir: &Path, err: &io::Error) -> Problem {
    Problem::skipped(display_path(dir), format!("cannot read directory: {err}"))
}

fn unreadable_file(path: &Path, err: &io::Error) -> Problem {
    Problem::skipped(display_path(path), format!("cannot read: {err}"))
}

pub(super) fn read_run_json(path: &Path, problems: &mut Vec<Problem>) -> RunMeta {
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

pub(super) fn file_kind(path: &Path) -> Option<(InputKind, usize)> {
    InputKind::from_name(&file_name(path))
}

/// The folder's own name; for `.` or `..` the name of the folder they stand for.
pub(super) fn folder_name(dir: &Path) -> String {
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

pub(super) fn is_hidden(name: &OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

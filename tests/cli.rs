//! The `testsift` binary end to end: ingest into temporary stores, then check exit codes,
//! stderr, `stats` and the stored tables (read back through the library).

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The value of `attr="..."` in the start tag `tag` (no entity decoding: the generated
/// history has none in names).
fn attr<'a>(tag: &'a str, attr: &str) -> Option<&'a str> {
    let key = format!(" {attr}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// The start tags `<element ...>` in `xml`.
fn start_tags<'a>(xml: &'a str, element: &str) -> Vec<&'a str> {
    let open = format!("<{element}");
    let mut tags = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i..];
        let after = rest.as_bytes().get(open.len()).copied();
        let end = rest.find('>').unwrap();
        if matches!(after, Some(b' ' | b'\n' | b'\t' | b'>' | b'/')) {
            tags.push(&rest[..end]);
        }
        rest = &rest[end..];
    }
    tags
}

/// What fixtures/history holds, counted from the files themselves.
#[derive(Debug, Default)]
struct HistoryCounts {
    runs: u64,
    files: u64,
    executions: u64,
    tests: BTreeSet<String>,
    suites: BTreeSet<String>,
    timestamps: Vec<String>,
}

impl HistoryCounts {
    fn add_run(&mut self, run_json: &str, reports: &[String]) {
        self.runs += 1;
        let meta: serde_json::Value = serde_json::from_str(run_json).unwrap();
        self.timestamps
            .push(meta["timestamp"].as_str().unwrap().to_owned());
        let mut tests_in_run = HashSet::new();
        for xml in reports {
            self.files += 1;
            for tag in start_tags(xml, "testsuite") {
                self.suites.insert(attr(tag, "name").unwrap().to_owned());
            }
            for tag in start_tags(xml, "testcase") {
                let id = format!(
                    "{}::{}",
                    attr(tag, "classname").unwrap(),
                    attr(tag, "name").unwrap()
                );
                tests_in_run.insert(id.clone());
                self.tests.insert(id);
            }
        }
        self.executions += tests_in_run.len() as u64;
    }

    fn of_fixture_history() -> HistoryCounts {
        let mut counts = HistoryCounts::default();
        let mut entries: Vec<_> = fs::read_dir(fixtures().join("history"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                let mut reports = Vec::new();
                for report in fs::read_dir(path.join("reports")).unwrap() {
                    reports.push(fs::read_to_string(report.unwrap().path()).unwrap());
                }
                let run_json = fs::read_to_string(path.join("run.json")).unwrap();
                counts.add_run(&run_json, &reports);
            } else if path.extension().is_some_and(|e| e == "zip") {
                let mut archive = zip::ZipArchive::new(fs::File::open(&path).unwrap()).unwrap();
                let (mut run_json, mut reports) = (String::new(), Vec::new());
                for i in 0..archive.len() {
                    let mut entry = archive.by_index(i).unwrap();
                    let name = entry.name().unwrap().into_owned();
                    let mut text = String::new();
                    entry.read_to_string(&mut text).unwrap();
                    if name == "run.json" {
                        run_json = text;
                    } else if name.ends_with(".xml") {
                        reports.push(text);
                    }
                }
                counts.add_run(&run_json, &reports);
            }
        }
        counts
    }
}

#[test]
fn quick_start_ingests_the_fixture_history_and_stats_match_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = ingest(&store, &["fixtures/history"], &[]);
    assert_code(&out, 0);

    let want = HistoryCounts::of_fixture_history();
    assert_eq!(want.runs, 25, "the history README promises 25 runs");
    let stats = stats(&store);
    assert_eq!(stats["runs"], want.runs);
    assert_eq!(stats["files"], want.files);
    assert_eq!(stats["executions"], want.executions);
    assert_eq!(stats["tests"], want.tests.len() as u64);
    assert_eq!(stats["suites"], want.suites.len() as u64);
    assert_eq!(
        stats["first_run"],
        *want.timestamps.iter().min().unwrap(),
        "earliest run.json timestamp"
    );
    assert_eq!(stats["last_run"], *want.timestamps.iter().max().unwrap());
    assert_eq!(stats["parse_errors"], 0);
    assert_eq!(stats["bad_files"], serde_json::json!([]));
    assert_no_duplicate_rows(&store);

    // The re-runs of the history (runs 10 and 21, attempt 2) are stored under their own key.
    let runs = runs(&store);
    let keys: BTreeSet<String> = texts(&runs, "run").into_iter().collect();
    assert!(keys.contains("1009") && keys.contains("1009#2"), "{keys:?}");
    assert!(
        keys.contains("1025"),
        "run 25 comes from the zip's run.json"
    );
}

#[test]
fn reingesting_the_same_tree_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &["fixtures/history"], &[]), 0);
    let before = stats(&store);
    let manifest = fs::read(store.join("manifest.json")).unwrap();

    let out = ingest(&store, &["fixtures/history"], &[]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(err.contains("25 already"), "stderr: {err}");
    assert_eq!(stats(&store), before);
    assert_eq!(
        fs::read(store.join("manifest.json")).unwrap(),
        manifest,
        "a no-op ingest must not add a segment"
    );
}

#[test]
fn a_new_run_folder_adds_exactly_that_run() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let store = dir.path().join("store");
    copy_dir(&fixtures().join("history"), &history);
    assert_code(&ingest(&store, &[&history], &[]), 0);
    let before = stats(&store);

    let run = history.join("run-26");
    write(
        &run.join("run.json"),
        run_json("1026", "2026-10-24T02:00:00Z"),
    );
    let suite = "com.acme.shop.checkout.CheckoutTest";
    write(
        &run.join("reports").join(format!("TEST-{suite}.xml")),
        report(suite, &[Case::Pass, Case::Fail, Case::Skip]),
    );
    let out = ingest(&store, &[&history], &[]);
    assert_code(&out, 0);
    assert!(stderr(&out).contains("1 ingested"), "{}", stderr(&out));

    let after = stats(&store);
    assert_eq!(after["runs"], before["runs"].as_u64().unwrap() + 1);
    assert_eq!(after["files"], before["files"].as_u64().unwrap() + 1);
    assert_eq!(
        after["executions"],
        before["executions"].as_u64().unwrap() + 3
    );
    assert_eq!(after["last_run"], "2026-10-24T02:00:00Z");
    let runs = runs(&store);
    assert_eq!(
        texts(&runs, "run").iter().filter(|r| *r == "1026").count(),
        1
    );
    let df = executions(&store);
    let new: Vec<(String, String)> = texts(&df, "run")
        .into_iter()
        .zip(texts(&df, "status"))
        .filter(|(r, _)| r == "1026")
        .collect();
    let statuses: Vec<&str> = new.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(statuses, ["passed", "failed", "skipped"]);
    assert_no_duplicate_rows(&store);
}

/// Starts `testsift ingest PATH --store STORE --quiet` without waiting for it.
fn spawn_ingest(path: &Path, store: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_testsift"))
        .arg("ingest")
        .arg(path)
        .arg("--store")
        .arg(store)
        .arg("--quiet")
        .env_remove("TESTSIFT_STORE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn u64_of(stats: &serde_json::Value, key: &str) -> u64 {
    stats[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} in {stats}"))
}

#[test]
fn a_killed_ingest_leaves_a_readable_store_and_the_next_ingest_completes_it() {
    const BASE_RUNS: u64 = 10;
    const BIG_RUNS: u64 = 200;
    const SUITES: usize = 2;
    const PER_SUITE: usize = 100;
    let per_run = (SUITES * PER_SUITE) as u64;
    let dir = tempfile::tempdir().unwrap();
    let (base, big) = (dir.path().join("base"), dir.path().join("big"));
    write_history(&base, 0, BASE_RUNS as usize, SUITES, PER_SUITE);
    write_history(&big, 1000, BIG_RUNS as usize, SUITES, PER_SUITE);

    // Kill the big ingest once its segment directory is being written; if an attempt finishes
    // before it is seen, start over with a fresh store.
    let mut caught = None;
    for attempt in 0..5 {
        let store = dir.path().join(format!("store-{attempt}"));
        assert_code(&ingest(&store, &[&base], &["--quiet"]), 0);
        let mut child = spawn_ingest(&big, &store);
        let started = Instant::now();
        let seen = loop {
            if !tmp_segments(&store).is_empty() {
                child.kill().unwrap();
                break true;
            }
            if child.try_wait().unwrap().is_some() || started.elapsed() > TIMEOUT {
                break false;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        child.wait().unwrap();
        if seen {
            caught = Some(store);
            break;
        }
    }
    let store = caught.expect("the ingest was never caught while writing its segment");

    // Readers see either the store before the killed ingest or, had it committed in the
    // instant before the kill, the store after it: never part of a segment.
    let stats = stats(&store);
    let runs = u64_of(&stats, "runs");
    assert!(
        runs == BASE_RUNS || runs == BASE_RUNS + BIG_RUNS,
        "runs after the kill: {runs}"
    );
    assert_eq!(u64_of(&stats, "executions"), runs * per_run);
    assert_no_duplicate_rows(&store);

    let out = ingest(&store, &[&big], &["--quiet"]);
    assert_code(&out, 0);
    let stats = common::stats(&store);
    assert_eq!(u64_of(&stats, "runs"), BASE_RUNS + BIG_RUNS);
    assert_eq!(
        u64_of(&stats, "executions"),
        (BASE_RUNS + BIG_RUNS) * per_run
    );
    assert_no_duplicate_rows(&store);
    assert!(
        tmp_segments(&store).is_empty(),
        "the next ingest removes what the killed one left"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(store.join("manifest.json")).unwrap()).unwrap();
    let listed = manifest["segments"].as_array().unwrap().len();
    assert_eq!(
        fs::read_dir(store.join("segments")).unwrap().count(),
        listed,
        "segment directories not listed in the manifest remain"
    );
}

/// `N runs found: K ingested` from an ingest summary line.
fn ingested_count(stderr: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|l| l.contains(" ingested ("))
        .unwrap_or_else(|| panic!("no summary in stderr:\n{stderr}"));
    let before = &line[..line.find(" ingested (").unwrap()];
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn concurrent_ingests_into_one_store_store_each_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    // Runs gen-20 .. gen-39 are in both trees.
    write_history(&first, 0, 40, 2, 30);
    write_history(&second, 20, 40, 2, 30);
    let store = dir.path().join("store");

    let command = |path: &Path| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_testsift"));
        c.arg("ingest").arg(path).arg("--store").arg(&store);
        c.env_remove("TESTSIFT_STORE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c.spawn().unwrap()
    };
    let a = command(&first);
    let b = command(&second);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_code(&a, 0);
    assert_code(&b, 0);
    assert_eq!(
        ingested_count(&stderr(&a)) + ingested_count(&stderr(&b)),
        60,
        "stderr:\n{}\n{}",
        stderr(&a),
        stderr(&b)
    );

    let stats = stats(&store);
    assert_eq!(stats["runs"], 60);
    assert_eq!(stats["executions"], 60 * 60);
    assert_no_duplicate_rows(&store);
}

#[test]
fn a_truncated_report_keeps_the_test_cases_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let outcomes = [
        Case::Pass,
        Case::Fail,
        Case::Pass,
        Case::Skip,
        Case::Pass,
        Case::Pass,
        Case::Fail,
        Case::Pass,
        Case::Pass,
    ];
    let xml = report("com.example.CutTest", &outcomes);
    // Cut inside the failure body of test6: test0 .. test5 are complete.
    let cut = xml.find("AssertionError: boom 6").unwrap() + 10;
    let truncated = &xml[..cut];
    let cut_case_line = xml[..xml.find("name=\"test6\"").unwrap()].lines().count() as u32;
    let last_line = truncated.lines().count() as u32;
    let path = dir
        .path()
        .join("run-1")
        .join("TEST-com.example.CutTest.xml");
    write(&path, truncated);
    let store = dir.path().join("store");

    let out = ingest(&store, &[dir.path()], &["--quiet"]);
    assert_code(&out, 0);
    let err = stderr(&out);
    let prefix = format!("{}:", path.display());
    let location = err
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .find_map(|rest| {
            let mut parts = rest.splitn(4, ':');
            let line: u32 = parts.next()?.parse().ok()?;
            let col: u32 = parts.next()?.parse().ok()?;
            (parts.next()? == " error").then_some((line, col))
        });
    let (line, col) = location.unwrap_or_else(|| panic!("no path:line:col: error in:\n{err}"));
    assert!(
        (cut_case_line..=last_line).contains(&line) && col > 0,
        "error at {line}:{col}, the cut test case spans lines {cut_case_line}..={last_line}"
    );

    assert!(
        err.contains("6 test cases before it kept, and the test case cut short kept as failed"),
        "{err}"
    );
    // test6's <failure> had begun: it failed, whatever the rest of its body said.
    let df = executions(&store);
    assert_eq!(
        texts(&df, "name"),
        [
            "test0", "test1", "test2", "test3", "test4", "test5", "test6"
        ]
    );
    assert_eq!(
        texts(&df, "status"),
        [
            "passed", "failed", "passed", "skipped", "passed", "passed", "failed"
        ]
    );
    assert!(
        bools(&df, "partial").iter().all(|p| *p == Some(true)),
        "rows from a report with errors are marked partial"
    );
    let stats = stats(&store);
    assert_eq!(stats["parse_errors"], 1);

    // Cut inside test6's start tag's element before any result: its outcome is not known, so
    // it is left out.
    let cut = xml.find("name=\"test6\"").unwrap();
    let cut = cut + xml[cut..].find('>').unwrap() + 1;
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("run-1")
        .join("TEST-com.example.CutTest.xml");
    write(&path, &xml[..cut]);
    let store = dir.path().join("store");
    let out = ingest(&store, &[dir.path()], &["--quiet"]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("is not closed (truncated report?); 6 test cases before it kept\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(executions(&store).height(), 6);
}

fn zip_bytes(entries: &[(&str, &str)]) -> Vec<u8> {
    zip_bytes_as(entries, false, zip::CompressionMethod::Deflated)
}

fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn tar_gz_bytes(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, text) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        builder
            .append_data(&mut header, name, text.as_bytes())
            .unwrap();
    }
    gzip_bytes(&builder.into_inner().unwrap())
}

/// Rows per run key, and the report column per run, from the executions table.
fn rows_by_run(store: &Path) -> BTreeMap<String, Vec<(String, String)>> {
    let df = executions(store);
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for ((run, name), report) in texts(&df, "run")
        .into_iter()
        .zip(texts(&df, "name"))
        .zip(texts(&df, "report"))
    {
        out.entry(run).or_default().push((name, report));
    }
    out
}

#[test]
fn zip_tar_gz_and_xml_gz_inputs_are_each_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("artifacts");
    let zip = artifacts.join("build-77.zip");
    write(
        &zip,
        zip_bytes(&[
            (
                "run.json",
                "{\"run_id\": \"zip-77\", \"commit\": \"c0ffee\", \"branch\": \"release\"}",
            ),
            ("reports/TEST-a.xml", &report("com.example.A", &cases(3, 0))),
            ("reports/TEST-b.xml", &report("com.example.B", &cases(2, 2))),
        ]),
    );
    let tgz = artifacts.join("nightly-tar.tar.gz");
    write(
        &tgz,
        tar_gz_bytes(&[(
            "out/reports/TEST-c.xml",
            &report("com.example.C", &cases(4, 0)),
        )]),
    );
    let gz = artifacts.join("single.xml.gz");
    write(
        &gz,
        gzip_bytes(report("com.example.D", &cases(5, 0)).as_bytes()),
    );
    let store = dir.path().join("store");

    let out = ingest(&store, &[&artifacts], &["--quiet"]);
    assert_code(&out, 0);
    assert!(!stderr(&out).contains("error"), "{}", stderr(&out));

    let rows = rows_by_run(&store);
    let counts: BTreeMap<&str, usize> = rows.iter().map(|(k, v)| (k.as_str(), v.len())).collect();
    assert_eq!(
        counts,
        BTreeMap::from([("nightly-tar", 4), ("single", 5), ("zip-77", 5)])
    );
    let zip_reports: BTreeSet<&str> = rows["zip-77"].iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(
        zip_reports,
        BTreeSet::from([
            format!("{}!/reports/TEST-a.xml", zip.display()).as_str(),
            format!("{}!/reports/TEST-b.xml", zip.display()).as_str(),
        ])
    );
    assert_eq!(
        rows["nightly-tar"][0].1,
        format!("{}!/out/reports/TEST-c.xml", tgz.display())
    );
    assert_eq!(rows["single"][0].1, gz.display().to_string());

    let runs = runs(&store);
    let zip_row = texts(&runs, "run")
        .iter()
        .position(|r| r == "zip-77")
        .unwrap();
    assert_eq!(strs(&runs, "commit")[zip_row].as_deref(), Some("c0ffee"));
    assert_eq!(strs(&runs, "branch")[zip_row].as_deref(), Some("release"));
    assert_eq!(texts(&runs, "time_source")[zip_row], "file-mtime");
}

#[test]
fn a_zip_entry_named_dot_dot_is_reported_and_skipped_while_the_others_are_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("artifact.zip");
    write(
        &zip,
        zip_bytes(&[
            (
                "reports/TEST-good.xml",
                &report("com.example.Good", &cases(2, 0)),
            ),
            ("../evil.xml", &report("com.example.Evil", &cases(1, 0))),
        ]),
    );
    let store = dir.path().join("store");
    let out = ingest(&store, &[&zip], &["--quiet"]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.starts_with(&zip.display().to_string())
                && l.contains("../evil.xml")
                && l.contains("'..'")),
        "stderr:\n{err}"
    );
    let df = executions(&store);
    assert_eq!(
        texts(&df, "classname"),
        ["com.example.Good", "com.example.Good"]
    );
}

#[test]
fn an_empty_directory_exits_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let out = ingest(&dir.path().join("store"), &[&empty], &[]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("no CI runs found"),
        "{}",
        stderr(&out)
    );
    // Beside a run, it is named in a warning and the run is ingested.
    let run = dir.path().join("run-1");
    fs::create_dir(&run).unwrap();
    fs::write(
        run.join("junit.xml"),
        "<testsuite><testcase classname=\"a\" name=\"b\"/></testsuite>",
    )
    .unwrap();
    let out = ingest(&dir.path().join("store"), &[&run, &empty], &[]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}: warning: no reports found here",
            empty.display()
        )),
        "{err}"
    );
    assert!(
        !err.contains(&format!("{}: warning", run.display())),
        "{err}"
    );
}

#[test]
fn an_empty_binary_or_non_junit_file_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut binary = vec![0x89, b'P', b'N', b'G', 0, 0, 0, 0x0d];
    binary.extend((0..=255u8).rev());
    let files: [(&str, Vec<u8>); 3] = [
        ("empty.xml", Vec::new()),
        ("binary.xml", binary),
        (
            "nunit.xml",
            b"<?xml version=\"1.0\"?>\n<test-run id=\"0\" total=\"1\">\n  <test-suite type=\"Assembly\" name=\"a.dll\">\n    <test-case name=\"T\" result=\"Passed\"/>\n  </test-suite>\n</test-run>\n"
                .to_vec(),
        ),
    ];
    for (name, bytes) in files {
        let path = dir.path().join(name);
        write(&path, bytes);
        let out = ingest(&dir.path().join("store"), &[&path], &["--quiet"]);
        assert_code(&out, 2);
        let err = stderr(&out);
        assert!(
            err.lines()
                .any(|l| l.starts_with(&path.display().to_string()) && l.contains(": error: ")),
            "{name}: stderr:\n{err}"
        );
        assert!(
            !dir.path().join("store/manifest.json").exists(),
            "{name}: nothing may be written"
        );
    }
}

const NOT_JUNIT: &str =
    "<?xml version=\"1.0\"?>\n<test-run id=\"0\"><test-case name=\"T\"/></test-run>\n";

#[test]
fn one_bad_report_next_to_a_good_one_is_counted_and_the_good_rows_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let runs_dir = dir.path().join("runs");
    write(
        &runs_dir.join("run-1/TEST-good.xml"),
        report("com.example.Good", &cases(4, 2)),
    );
    let bad = runs_dir.join("run-1/TEST-bad.xml");
    write(&bad, NOT_JUNIT);
    let store = dir.path().join("store");
    let out = ingest(&store, &[&runs_dir], &["--quiet"]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains(&bad.display().to_string()),
        "{}",
        stderr(&out)
    );

    let df = executions(&store);
    assert_eq!(df.height(), 4);
    let stats = stats(&store);
    assert_eq!(stats["parse_errors"], 1);
    assert_eq!(stats["files"], 2);
    let bad_files = stats["bad_files"].as_array().unwrap();
    assert_eq!(bad_files.len(), 1);
    assert_eq!(bad_files[0]["path"], bad.display().to_string());
    assert_eq!(bad_files[0]["run"], "run-1");
    assert!(!bad_files[0]["problems"].as_str().unwrap().is_empty());
}

#[test]
fn strict_with_a_bad_report_exits_2_and_leaves_the_store_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let good = dir.path().join("good");
    write(
        &good.join("run-a/TEST-a.xml"),
        report("com.example.A", &cases(3, 0)),
    );
    assert_code(&ingest(&store, &[&good], &["--quiet"]), 0);
    let before = stats(&store);
    let manifest = fs::read(store.join("manifest.json")).unwrap();

    let mixed = dir.path().join("mixed");
    write(
        &mixed.join("run-b/TEST-b.xml"),
        report("com.example.B", &cases(3, 0)),
    );
    let bad = mixed.join("run-b/TEST-bad.xml");
    write(&bad, NOT_JUNIT);
    let out = ingest(&store, &[&mixed], &["--strict", "--quiet"]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(err.contains(&bad.display().to_string()), "{err}");
    assert!(err.contains("--strict"), "{err}");
    assert_eq!(fs::read(store.join("manifest.json")).unwrap(), manifest);
    assert_eq!(stats(&store), before);
    assert!(
        tmp_segments(&store).is_empty(),
        "a refused ingest leaves no files"
    );

    // Whatever the refused ingest left behind is cleaned up by the next one.
    assert_code(&ingest(&store, &[&mixed], &["--quiet"]), 0);
    assert!(tmp_segments(&store).is_empty());
    assert_eq!(stats(&store)["runs"], 2);
}

#[test]
fn run_metadata_flags_land_in_the_runs_table() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    write(&file, report("com.example.Meta", &cases(2, 0)));
    let store = dir.path().join("store");
    let out = ingest(
        &store,
        &[&file],
        &[
            "--run-id",
            "X",
            "--commit",
            "abc",
            "--branch",
            "main",
            "--timestamp",
            "2026-01-01T00:00:00Z",
            "--quiet",
        ],
    );
    assert_code(&out, 0);
    let runs = runs(&store);
    assert_eq!(runs.height(), 1);
    assert_eq!(texts(&runs, "run"), ["X"]);
    assert_eq!(texts(&runs, "run_id"), ["X"]);
    assert_eq!(strs(&runs, "commit"), [Some("abc".to_owned())]);
    assert_eq!(strs(&runs, "branch"), [Some("main".to_owned())]);
    assert_eq!(texts(&runs, "time_source"), ["cli"]);
    let want: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    assert_eq!(run_timestamps_ms(&store), [Some(want.as_millisecond())]);
    assert_eq!(texts(&executions(&store), "run"), ["X", "X"]);
}

#[test]
fn attempt_and_variant_flags_key_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    write(&file, report("com.example.Meta", &cases(1, 0)));
    let store = dir.path().join("store");
    let flags = |attempt: &'static str| {
        [
            "--run-id",
            "R",
            "--attempt",
            attempt,
            "--variant",
            "linux",
            "--quiet",
        ]
    };
    assert_code(&ingest(&store, &[&file], &flags("1")), 0);
    assert_code(&ingest(&store, &[&file], &flags("2")), 0);
    let runs = runs(&store);
    assert_eq!(texts(&runs, "run"), ["R", "R#2"]);
    assert_eq!(texts(&runs, "run_id"), ["R", "R"]);
    assert_eq!(texts(&runs, "variant"), ["linux", "linux"]);
    assert_eq!(u32s(&runs, "attempt"), [Some(1), Some(2)]);
}

#[test]
fn without_run_json_or_flags_the_run_is_the_folder_and_its_time_the_earliest_suite() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("ci").join("nightly-42");
    let suite = |name: &str, timestamp: Option<&str>| {
        let stamp = timestamp.map_or(String::new(), |t| format!(" timestamp=\"{t}\""));
        format!(
            "<testsuite name=\"{name}\"{stamp} tests=\"1\">\n  <testcase classname=\"{name}\" name=\"t\" time=\"0.5\"/>\n</testsuite>\n"
        )
    };
    write(
        &run.join("TEST-a.xml"),
        suite("com.example.A", Some("2026-03-05T10:15:00Z")),
    );
    // Gradle and Surefire write local-less timestamps; they are taken as UTC.
    write(
        &run.join("TEST-b.xml"),
        suite("com.example.B", Some("2026-03-05T09:30:00")),
    );
    write(&run.join("TEST-c.xml"), suite("com.example.C", None));
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &[dir.path().join("ci")], &["--quiet"]), 0);

    let runs = runs(&store);
    assert_eq!(texts(&runs, "run"), ["nightly-42"]);
    assert_eq!(texts(&runs, "run_id"), ["nightly-42"]);
    assert_eq!(strs(&runs, "commit"), [None]);
    assert_eq!(texts(&runs, "time_source"), ["suite-timestamp"]);
    let want: jiff::Timestamp = "2026-03-05T09:30:00Z".parse().unwrap();
    assert_eq!(run_timestamps_ms(&store), [Some(want.as_millisecond())]);
    assert_eq!(texts(&runs, "source"), [run.display().to_string()]);
}

#[test]
fn the_testsift_store_variable_sets_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("from-env");
    let out = testsift()
        .args(["ingest", "fixtures/history", "--quiet"])
        .env("TESTSIFT_STORE", &store)
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert_eq!(stats(&store)["runs"], 25);
}

#[test]
fn help_for_every_subcommand_exits_0() {
    for args in [
        &["--help"][..],
        &["ingest", "--help"],
        &["stats", "--help"],
        &["schema", "--help"],
        &["flaky", "--help"],
        &["slow", "--help"],
        &["trim", "--help"],
        &["help", "ingest"],
    ] {
        let out = testsift().args(args).output().unwrap();
        assert_code(&out, 0);
        assert!(
            stdout(&out).contains("Usage:"),
            "{args:?}: {}",
            stdout(&out)
        );
    }
}

#[test]
fn stats_on_a_missing_store_exits_2_and_says_to_ingest_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = testsift()
        .args(["stats", "--store"])
        .arg(dir.path().join("nowhere"))
        .output()
        .unwrap();
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("nowhere"), "{err}");
    assert!(err.contains("testsift ingest"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn schema_lists_the_three_tables_with_every_stored_column() {
    let out = testsift().arg("schema").output().unwrap();
    assert_code(&out, 0);
    let text = stdout(&out);

    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let file = dir.path().join("r.xml");
    write(&file, report("com.example.S", &cases(1, 0)));
    assert_code(&ingest(&store, &[&file], &["--quiet"]), 0);
    let tables = [
        ("executions", executions(&store)),
        ("runs", runs(&store)),
        ("reports", reports(&store)),
    ];
    for (table, df) in tables {
        let heading = format!("{table} ({table}.parquet): ");
        let start = text
            .find(&heading)
            .unwrap_or_else(|| panic!("no {heading:?} in:\n{text}"));
        let section = &text[start..];
        let section = &section[..section.find("\n\n").unwrap_or(section.len())];
        for column in df.get_column_names() {
            assert!(
                section
                    .lines()
                    .any(|l| l.split_whitespace().next() == Some(column.as_str())),
                "column {column} of {table} missing from `testsift schema`"
            );
        }
    }
}

#[test]
fn a_missing_path_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-artifacts");
    let out = ingest(&dir.path().join("store"), &[&missing], &[]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}: no such file or directory", missing.display())),
        "{err}"
    );
}

#[test]
fn max_file_size_refuses_larger_reports_measured_after_decompression() {
    let dir = tempfile::tempdir().unwrap();
    let xml = report("com.example.Big", &cases(40, 0));
    let gz = gzip_bytes(xml.as_bytes());
    assert!(gz.len() < xml.len() - 1, "the gzip is below the limit");
    let path = dir.path().join("big.xml.gz");
    write(&path, gz);
    assert_size_limit_is_inclusive(&path, xml.len(), 40);
}

/// Ingests `path` with `--max-file-size` one byte below `size` (refused, naming the file and
/// the flag) and then at `size` (kept, with `rows` executions).
fn assert_size_limit_is_inclusive(path: &Path, size: usize, rows: usize) {
    let store = path.with_extension("store");
    let limit = (size - 1).to_string();
    let out = ingest(&store, &[path], &["--max-file-size", &limit, "--quiet"]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.starts_with(&path.display().to_string())
                && l.contains("error")
                && l.contains("--max-file-size")),
        "{err}"
    );

    let limit = size.to_string();
    let out = ingest(&store, &[path], &["--max-file-size", &limit, "--quiet"]);
    assert_code(&out, 0);
    assert_eq!(executions(&store).height(), rows);
}

#[test]
fn max_file_size_refuses_a_plain_report_one_byte_over_and_keeps_one_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let xml = report("com.example.Plain", &cases(12, 0));
    let path = dir.path().join("plain.xml");
    write(&path, xml.as_bytes());
    assert_size_limit_is_inclusive(&path, xml.len(), 12);
}

/// Counts `(os error N)` in `text`: each underlying I/O error should be printed once.
fn os_errors(text: &str) -> usize {
    text.matches("(os error").count()
}

#[test]
fn a_store_path_that_is_a_file_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("store");
    write(&not_a_dir, "a file, not a store");
    let file = dir.path().join("r.xml");
    write(&file, report("com.example.S", &cases(1, 0)));
    let out = ingest(&not_a_dir, &[&file], &["--quiet"]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(err.contains(&not_a_dir.display().to_string()), "{err}");
    assert_eq!(os_errors(&err), 1, "stderr:\n{err}");
}

#[test]
fn a_damaged_store_is_reported_as_a_store_problem_naming_the_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let run = dir.path().join("runs");
    write(
        &run.join("run-1/r.xml"),
        report("com.example.S", &cases(1, 0)),
    );
    assert_code(&ingest(&store, &[&run], &["--quiet"]), 0);
    let lost = store.join("segments/00000001/runs.parquet");
    fs::remove_file(&lost).unwrap();

    let out = ingest(&store, &[&run], &["--quiet"]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(err.contains(&lost.display().to_string()), "{err}");
    assert!(!err.contains("building columns"), "{err}");
    assert!(
        err.contains("missing") && err.contains("damaged"),
        "ingest stderr:\n{err}"
    );
    assert_eq!(
        err.matches(&lost.display().to_string()).count(),
        1,
        "ingest stderr:\n{err}"
    );

    let out = testsift()
        .args(["stats", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    assert_code(&out, 2);
    let err = stderr(&out);
    assert_eq!(
        err.matches(&lost.display().to_string()).count(),
        1,
        "stats stderr:\n{err}"
    );
}

/// A history of one good run and one run whose only report is not JUnit.
fn history_with_an_unreadable_run(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let runs = dir.join("runs");
    write(
        &runs.join("run-1/TEST-good.xml"),
        report("com.example.Good", &cases(2, 0)),
    );
    let bad = runs.join("run-2/TEST-bad.xml");
    write(&bad, NOT_JUNIT);
    (runs, bad)
}

#[test]
fn a_run_whose_only_report_is_bad_is_listed_in_stats_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let (runs, bad) = history_with_an_unreadable_run(dir.path());
    let store = dir.path().join("store");
    let out = ingest(&store, &[&runs], &["--quiet"]);
    assert_code(&out, 0);
    assert!(stderr(&out).contains(&bad.display().to_string()));
    let stats = stats(&store);
    assert_eq!(stats["parse_errors"], 1, "{stats}");
    assert_eq!(stats["bad_files"][0]["path"], bad.display().to_string());
}

#[test]
fn reingesting_a_tree_with_an_unreadable_run_exits_0_like_the_first_time() {
    let dir = tempfile::tempdir().unwrap();
    let (runs, _) = history_with_an_unreadable_run(dir.path());
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    let before = stats(&store);
    let out = ingest(&store, &[&runs], &["--quiet"]);
    assert_code(&out, 0);
    assert_eq!(stats(&store), before);
}

#[test]
fn iso_8859_1_reports_are_transcoded_and_namespaced_elements_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("runs/run-1");
    let mut latin1 =
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<testsuite name=\"s\">\n  <testcase classname=\"c\" name=\"caf"
            .to_vec();
    latin1.extend(b"\xe9 \xfcber\" time=\"1\"/>\n</testsuite>\n");
    write(&run.join("latin1.xml"), latin1);
    write(
        &run.join("ns.xml"),
        "<?xml version=\"1.0\"?>\n<j:testsuites xmlns:j=\"urn:example\"><j:testsuite name=\"s\">\
         <j:testcase classname=\"n\" name=\"namespaced\" time=\"2\"><j:failure message=\"m\"/>\
         </j:testcase></j:testsuite></j:testsuites>\n",
    );
    let store = dir.path().join("store");
    let out = ingest(&store, &[dir.path().join("runs")], &["--quiet"]);
    assert_code(&out, 0);
    assert!(!stderr(&out).contains("error"), "{}", stderr(&out));
    let df = executions(&store);
    assert_eq!(texts(&df, "name"), ["café über", "namespaced"]);
    assert_eq!(texts(&df, "status"), ["passed", "failed"]);
}

/// Runs testsift with `args` and `TESTSIFT_STORE=store`, its stdout closed before it writes.
fn run_with_closed_stdout(args: &[&str], store: &Path) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_testsift"))
        .args(args)
        .env("TESTSIFT_STORE", store)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &["fixtures/history"], &["--quiet"]), 0);
    for args in [&["schema"][..], &["stats"]] {
        let out = run_with_closed_stdout(args, &store);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).is_empty(), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn stats_json_into_a_closed_pipe_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &["fixtures/history"], &["--quiet"]), 0);
    let out = run_with_closed_stdout(&["stats", "--format", "json"], &store);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn a_truncated_xml_gz_keeps_the_test_cases_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let xml = report("com.example.GzCut", &cases(300, 0));
    let gz = gzip_bytes(xml.as_bytes());
    let cut = &gz[..gz.len() * 2 / 3];
    // What a decoder can still deliver from the cut stream, and the test cases complete in it.
    let mut prefix = Vec::new();
    let mut decoder = flate2::read::GzDecoder::new(cut);
    let mut buf = [0u8; 512];
    while let Ok(n) = decoder.read(&mut buf) {
        if n == 0 {
            break;
        }
        prefix.extend_from_slice(&buf[..n]);
    }
    let complete = (0..300)
        .take_while(|i| {
            let at = xml.find(&format!("name=\"test{i}\"")).unwrap();
            at + xml[at..].find("/>").unwrap() + 2 <= prefix.len()
        })
        .count();
    assert!(complete > 0, "the cut leaves nothing to recover");
    let path = dir.path().join("cut.xml.gz");
    write(&path, cut);
    let store = dir.path().join("store");

    let out = ingest(&store, &[&path], &["--quiet"]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).starts_with(&path.display().to_string()),
        "{}",
        stderr(&out)
    );
    // A decoder may stop a few bytes earlier than ours; it must never invent cases.
    let kept = executions(&store).height();
    assert!(
        (1..=complete).contains(&kept),
        "{kept} kept, {complete} complete"
    );
}

/// An ingest that writes nothing (its only report unreadable) leaves no store behind: a later
/// command says there is no history instead of reading an empty store; an existing store it
/// failed to add to stays.
#[test]
fn a_failed_first_ingest_leaves_no_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    write(
        &runs.join("r1/report.xml"),
        "<testsuite><testcase name=\"x\"",
    );
    let store = dir.path().join("store");
    let out = ingest(&store, &[&runs], &["--quiet"]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("nothing was written"),
        "{}",
        stderr(&out)
    );
    assert!(
        !store.exists(),
        "a failed first ingest left {store:?} behind"
    );
    // Nor the parent folders it made, and an empty folder given as the store stays empty.
    let deep = dir.path().join("a/b/store");
    assert_code(&ingest(&deep, &[&runs], &["--quiet"]), 2);
    assert!(!dir.path().join("a").exists());
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert_code(&ingest(&empty, &[&runs], &["--quiet"]), 2);
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);

    // A store that holds runs keeps everything when a later ingest fails.
    assert_code(
        &ingest(&store, &[fixtures().join("history")], &["--quiet"]),
        0,
    );
    let before = stats(&store);
    let more = dir.path().join("more");
    write(
        &more.join("r9/report.xml"),
        "<testsuite><testcase name=\"y\"",
    );
    assert_code(&ingest(&store, &[&more], &["--quiet"]), 2);
    assert!(store.join("testsift-store").is_file());
    assert_eq!(stats(&store), before);
}

/// A zip artifact cut short (a download or upload interrupted) has no directory at its end: the
/// whole reports before the cut are read from their local headers and kept, with a warning
/// saying so and where it stopped, and the report cut in the middle is named.
#[test]
fn a_zip_cut_short_keeps_the_reports_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let report = |i: usize| {
        format!(
            "<testsuite name=\"s\"><testcase classname=\"c\" name=\"good{i}\" time=\"1\"/></testsuite>"
        )
    };
    let big: String = (0..20_000)
        .map(|i| format!("<!-- {} -->", i * 7919 % 10007))
        .collect();
    let names: Vec<String> = (0..3).map(|i| format!("reports/TEST-{i}.xml")).collect();
    let texts: Vec<String> = (0..3).map(report).collect();
    let mut entries: Vec<(&str, &str)> = names
        .iter()
        .zip(&texts)
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    entries.push(("reports/big.xml", &big));
    // Written to a file (sizes in each local header) and streamed (sizes in a data descriptor
    // after each entry's data, as streaming writers and CI artifact services write them),
    // deflated and stored.
    for (k, (streamed, method)) in [
        (false, zip::CompressionMethod::Deflated),
        (true, zip::CompressionMethod::Deflated),
        (true, zip::CompressionMethod::Stored),
    ]
    .into_iter()
    .enumerate()
    {
        let whole = zip_bytes_as(&entries, streamed, method);
        let history = dir.path().join(format!("history-{k}"));
        let cut = if method == zip::CompressionMethod::Stored {
            whole.len() - big.len() / 2
        } else {
            whole.len() - 20_000
        };
        write(&history.join("run-1.zip"), &whole[..cut]);
        let store = dir.path().join(format!("store-{k}"));
        let out = ingest(&store, &[&history], &[]);
        assert_code(&out, 0);
        let err = stderr(&out);
        assert!(
            err.contains(
                "run-1.zip: warning: zip archive without its directory at the end (cut short?)"
            ) && err.contains("3 reports kept, up to entry 4 (\"reports/big.xml\") is cut short"),
            "{k}: {err}"
        );
        let mut names = texts_of(&store);
        names.sort();
        assert_eq!(names, ["good0", "good1", "good2"], "{k}");
    }
}

fn zip_bytes_as(
    entries: &[(&str, &str)],
    streamed: bool,
    method: zip::CompressionMethod,
) -> Vec<u8> {
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    if !streamed {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, text) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(text.as_bytes()).unwrap();
        }
        return writer.finish().unwrap().into_inner();
    }
    let mut writer = zip::ZipWriter::new_stream(Vec::new());
    for (name, text) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn texts_of(store: &std::path::Path) -> Vec<String> {
    texts(&executions(store), "name")
}

/// A compressed report or an archive inside an archive is not read, and is said to be, not
/// passed over: its reports would otherwise be missing without a word.
#[test]
fn an_archive_inside_an_archive_is_named_not_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    let report = "<testsuite name=\"s\"><testcase classname=\"c\" name=\"kept\"/></testsuite>";
    let history = dir.path().join("history");
    write(
        &history.join("run-1.zip"),
        zip_bytes(&[
            ("reports/TEST-a.xml", report),
            ("reports/inner.zip", "not read"),
            ("reports/TEST-b.xml.gz", "not read"),
            ("__MACOSX/._inner.zip", "resource fork"),
        ]),
    );
    let store = dir.path().join("store");
    let out = ingest(&store, &[&history], &[]);
    assert_code(&out, 0);
    let err = stderr(&out);
    for name in ["reports/inner.zip", "reports/TEST-b.xml.gz"] {
        assert!(
            err.contains(&format!(
                "entry \"{name}\" is a compressed file or archive inside an archive"
            )),
            "{err}"
        );
    }
    assert!(!err.contains("__MACOSX"), "{err}");
    assert_eq!(texts_of(&store), ["kept"]);
}

//! Every fixture states its own expected rows in a header comment (fixtures/README.md); these
//! tests ingest each one with the real binary and compare the stored executions with the header,
//! so adding a dialect is adding a file. Also the broken inputs of fixtures/bad/ and their
//! documented outcome.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};

/// One row of a `rows:` table.
#[derive(Debug, Clone, PartialEq)]
struct ExpectedRow {
    scope: String,
    name: String,
    status: String,
    attempts: u32,
    failed_attempts: u32,
    duration: Option<f64>,
    duration_last: Option<f64>,
}

/// The header comment of a fixture.
#[derive(Debug, Default)]
struct Header {
    fields: Vec<(String, String)>,
    rows: Vec<ExpectedRow>,
}

impl Header {
    fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Decodes a fixture (UTF-8 with or without BOM, or UTF-16 with BOM) to text.
fn decode(bytes: &[u8]) -> String {
    // `decode` follows a BOM, so UTF-16 files come out as text too.
    let (text, _, _) = encoding_rs::UTF_8.decode(bytes);
    text.replace("\r\n", "\n")
}

fn number(field: &str) -> Result<Option<f64>, String> {
    if field == "-" {
        return Ok(None);
    }
    field
        .parse()
        .map(Some)
        .map_err(|e| format!("bad number {field:?}: {e}"))
}

/// Parses the first `<!--\n ... \n-->` comment; `None` when the file has none.
fn header(bytes: &[u8]) -> Result<Option<Header>, String> {
    let text = decode(bytes);
    let Some(start) = text.find("<!--\n") else {
        return Ok(None);
    };
    let body = &text[start + "<!--\n".len()..];
    let end = body.find("\n-->").ok_or("header comment not closed")?;
    let mut header = Header::default();
    let mut in_rows = false;
    for line in body[..end].lines() {
        if in_rows {
            let f: Vec<&str> = line.split(" | ").map(str::trim).collect();
            let [scope, name, status, attempts, failed, duration, last] = f[..] else {
                return Err(format!("row {line:?} does not have 7 fields"));
            };
            header.rows.push(ExpectedRow {
                scope: scope.to_owned(),
                name: name.to_owned(),
                status: status.to_owned(),
                attempts: attempts.parse().map_err(|e| format!("{line:?}: {e}"))?,
                failed_attempts: failed.parse().map_err(|e| format!("{line:?}: {e}"))?,
                duration: number(duration)?,
                duration_last: number(last)?,
            });
            continue;
        }
        let (key, value) = line.split_once(':').unwrap_or((line, ""));
        if key == "rows" {
            in_rows = true;
        }
        header
            .fields
            .push((key.trim().to_owned(), value.trim().to_owned()));
    }
    Ok(Some(header))
}

fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

/// The path as passed on the command line (relative to the crate root, where tests run).
fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap().display().to_string()
}

fn same_number(expected: Option<f64>, got: Option<f64>) -> bool {
    match (expected, got) {
        (None, None) => true,
        (Some(e), Some(g)) => (e - g).abs() <= 1e-9,
        _ => false,
    }
}

/// The stored rows of a store holding one run, as header rows (scope = classname, else file,
/// else suite).
fn stored_rows(store: &Path) -> Vec<ExpectedRow> {
    let df = executions(store);
    let (classname, file, suite) = (
        strs(&df, "classname"),
        strs(&df, "file"),
        strs(&df, "suite"),
    );
    let (name, status) = (texts(&df, "name"), texts(&df, "status"));
    let (attempts, failed) = (u32s(&df, "attempts"), u32s(&df, "failed_attempts"));
    let (duration, last) = (f64s(&df, "duration"), f64s(&df, "duration_last"));
    (0..df.height())
        .map(|i| {
            let scope = [&classname[i], &file[i], &suite[i]]
                .into_iter()
                .flatten()
                .find(|s| !s.is_empty())
                .cloned()
                .unwrap_or_default();
            ExpectedRow {
                scope,
                name: name[i].clone(),
                status: status[i].clone(),
                attempts: attempts[i].unwrap(),
                failed_attempts: failed[i].unwrap(),
                duration: duration[i],
                duration_last: last[i],
            }
        })
        .collect()
}

/// Mismatches between expected and stored rows, one message each.
fn compare_rows(expected: &[ExpectedRow], got: &[ExpectedRow]) -> Vec<String> {
    let mut out = Vec::new();
    if expected.len() != got.len() {
        out.push(format!(
            "{} rows expected, {} stored",
            expected.len(),
            got.len()
        ));
    }
    for (i, (e, g)) in expected.iter().zip(got).enumerate() {
        let same = e.scope == g.scope
            && e.name == g.name
            && e.status == g.status
            && e.attempts == g.attempts
            && e.failed_attempts == g.failed_attempts
            && same_number(e.duration, g.duration)
            && same_number(e.duration_last, g.duration_last);
        if !same {
            out.push(format!(
                "row {}: expected {e:?}\n        stored {g:?}",
                i + 1
            ));
        }
    }
    out
}

/// Mismatches between the `expect:` counts and the stored rows.
fn compare_counts(expect: &str, got: &[ExpectedRow]) -> Vec<String> {
    let mut out = Vec::new();
    for pair in expect.split_whitespace() {
        let Some((key, value)) = pair.split_once('=') else {
            out.push(format!("bad expect entry {pair:?}"));
            continue;
        };
        let Ok(want) = value.parse::<usize>() else {
            out.push(format!("bad expect count {pair:?}"));
            continue;
        };
        let have = if key == "tests" {
            got.len()
        } else {
            got.iter().filter(|r| r.status == key).count()
        };
        if have != want {
            out.push(format!("expect {key}={want}, stored {have}"));
        }
    }
    out
}

#[test]
fn every_dialect_fixture_is_stored_exactly_as_its_header_says() {
    let mut mismatches = Vec::new();
    let files = xml_files(&fixtures().join("dialects"));
    for path in &files {
        let file = relative(path);
        let header = match header(&fs::read(path).unwrap()) {
            Ok(Some(h)) => h,
            Ok(None) => {
                mismatches.push(format!("{file}: no header comment"));
                continue;
            }
            Err(e) => {
                mismatches.push(format!("{file}: unreadable header: {e}"));
                continue;
            }
        };
        let store = tempfile::tempdir().unwrap();
        let out = ingest(store.path(), &[&file], &["--run-depth", "0", "--quiet"]);
        let err = stderr(&out);
        if code(&out) != 0 {
            mismatches.push(format!("{file}: exit {}; stderr:\n{err}", code(&out)));
            continue;
        }
        if err.lines().any(|l| l.contains(": error:")) {
            mismatches.push(format!("{file}: errors reported:\n{err}"));
        }
        let got = stored_rows(store.path());
        let mut problems = compare_rows(&header.rows, &got);
        match header.get("expect") {
            Some(expect) => problems.extend(compare_counts(expect, &got)),
            None => problems.push("no expect: line".to_owned()),
        }
        mismatches.extend(problems.into_iter().map(|p| format!("{file}: {p}")));
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} dialect fixtures differ from their headers:\n{}",
        mismatches
            .iter()
            .map(|m| m.split(':').next().unwrap_or_default())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        files.len(),
        mismatches.join("\n")
    );
}

#[test]
fn every_dialect_fixture_names_its_producer() {
    let mut missing = Vec::new();
    for path in xml_files(&fixtures().join("dialects")) {
        let producer = header(&fs::read(&path).unwrap())
            .ok()
            .flatten()
            .and_then(|h| h.get("producer").map(str::to_owned))
            .unwrap_or_default();
        if producer.is_empty() {
            missing.push(relative(&path));
        }
    }
    assert!(
        missing.is_empty(),
        "fixtures without a producer: line: {missing:?}"
    );
}

/// What fixtures/bad/README.md's table says about one file: the severity and the kept count.
fn readme_table() -> Vec<(String, String, usize)> {
    let text = fs::read_to_string(fixtures().join("bad/README.md")).unwrap();
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
            let [file, _, expected, kept] = cells[..] else {
                return None;
            };
            let file = file.trim().trim_matches('`');
            let kept = kept.trim().parse().ok()?;
            let kind = expected.trim().split(':').next()?.trim().to_owned();
            Some((file.to_owned(), kind, kept))
        })
        .collect()
}

/// The `path:line:col: kind:` prefix of problem lines about `file`: (line, col, kind).
fn located_problems(stderr: &str, file: &str) -> Vec<(u32, u32, String)> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(file)?.strip_prefix(':')?;
            let mut parts = rest.splitn(4, ':');
            let line = parts.next()?.parse().ok()?;
            let col = parts.next()?.parse().ok()?;
            let kind = parts.next()?.trim().to_owned();
            Some((line, col, kind))
        })
        .collect()
}

#[test]
fn every_bad_fixture_gives_its_documented_outcome() {
    let table = readme_table();
    let files = xml_files(&fixtures().join("bad"));
    let mut mismatches = Vec::new();
    for path in &files {
        let file = relative(path);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some((_, table_kind, table_kept)) = table.iter().find(|(f, ..)| *f == name) else {
            mismatches.push(format!("{file}: not in fixtures/bad/README.md"));
            continue;
        };
        let header = header(&fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{file}: {e}"));
        let (kind_text, kept) = match &header {
            Some(h) => {
                let kind = h.get("expect-kind").unwrap_or_default().to_owned();
                let kept: usize = h
                    .get("expect-kept")
                    .and_then(|k| k.split_whitespace().next())
                    .and_then(|k| k.parse().ok())
                    .unwrap_or_else(|| panic!("{file}: no expect-kept"));
                if kept != *table_kept || !kind.starts_with(table_kind.as_str()) {
                    mismatches.push(format!(
                        "{file}: header ({kind}, kept {kept}) and README ({table_kind}, kept {table_kept}) disagree"
                    ));
                }
                if kept != h.rows.len() {
                    mismatches.push(format!(
                        "{file}: expect-kept {kept} but {} rows listed",
                        h.rows.len()
                    ));
                }
                (kind, kept)
            }
            None => (table_kind.clone(), *table_kept),
        };
        let mut kinds = vec![kind_text.split_whitespace().next().unwrap_or("").to_owned()];
        // trailing-garbage.xml: "a strict parser may instead report an error".
        if kind_text.contains("may instead report an error") {
            kinds.push("error".to_owned());
        }

        let store = tempfile::tempdir().unwrap();
        let store = store.path().join("store");
        let out = ingest(&store, &[&file], &["--run-depth", "0", "--quiet"]);
        let err = stderr(&out);
        let want_code = if kept > 0 { 0 } else { 2 };
        if code(&out) != want_code {
            mismatches.push(format!(
                "{file}: exit {}, expected {want_code}; stderr:\n{err}",
                code(&out)
            ));
        }
        let located = located_problems(&err, &file);
        if !located
            .iter()
            .any(|(line, col, kind)| *line > 0 && *col > 0 && kinds.contains(kind))
        {
            mismatches.push(format!(
                "{file}: no `{file}:line:col: {}:` line in stderr:\n{err}",
                kinds.join("|")
            ));
        }
        if kept > 0 {
            let got = stored_rows(&store);
            let expected = header.as_ref().map(|h| h.rows.clone()).unwrap_or_default();
            mismatches.extend(
                compare_rows(&expected, &got)
                    .into_iter()
                    .map(|p| format!("{file}: {p}")),
            );
        } else if store.join("manifest.json").exists() {
            mismatches.push(format!(
                "{file}: nothing should be stored, but a manifest was written"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn a_report_nested_100000_levels_deep_is_refused_with_a_location_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let mut xml = String::from("<testsuites>");
    xml.push_str(&"<testsuite name=\"deep\">".repeat(depth));
    xml.push_str("<testcase classname=\"c\" name=\"t\" time=\"1\"/>");
    xml.push_str(&"</testsuite>".repeat(depth));
    xml.push_str("</testsuites>");
    let path = dir.path().join("deep.xml");
    write(&path, xml);
    let out = ingest(
        &dir.path().join("store"),
        &[&path],
        &["--run-depth", "0", "--quiet"],
    );
    assert_code(&out, 2);
    let err = stderr(&out);
    let located = located_problems(&err, &path.display().to_string());
    assert!(
        located.iter().any(|(_, _, kind)| kind == "error"),
        "no located error in stderr:\n{err}"
    );
}

/// gotestsum and go-junit-report write `message="Failed"` on every failure: the stored message
/// is the body's text (without go's `=== RUN` line), which says what failed, and failures of
/// different causes get different fingerprints; with no body the placeholder stays.
#[test]
fn a_go_reporters_placeholder_message_gives_way_to_the_failures_text() {
    let messages = |file: &str| -> Vec<(String, String)> {
        let bytes = fs::read(fixtures().join("dialects").join(file)).unwrap();
        let r = testsift::junit::parse(&bytes);
        r.cases
            .iter()
            .filter(|c| !r.str(r.detail(c).message).is_empty())
            .map(|c| {
                (
                    r.str(c.name).to_owned(),
                    r.str(r.detail(c).message).to_owned(),
                )
            })
            .collect()
    };
    let gotestsum = messages("gotestsum.xml");
    assert!(
        gotestsum[0]
            .1
            .starts_with("ws_test.go:88: read tcp 127.0.0.1:53122->127.0.0.1:8089: i/o timeout"),
        "{gotestsum:?}"
    );
    assert!(
        gotestsum
            .iter()
            .any(|(n, m)| n == "TestMain" && m.starts_with("panic: open testdata/seed.sql"))
    );
    let short = messages("gotestsum-short-classname.xml");
    assert!(
        short.contains(&("TestMain".into(), "FAIL\thgo/broken [build failed]".into())),
        "{short:?}"
    );
    let report = messages("go-junit-report.xml");
    assert!(
        report.contains(&("TestParse".into(), "Failed".into()))
            && report.contains(&(
                "TestParse/unicode".into(),
                "parse_test.go:42: Parse(\"naïve\") = \"na?ve\", want \"naïve\"".into()
            )),
        "{report:?}"
    );
}

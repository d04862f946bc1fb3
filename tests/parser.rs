//! The parser under hostile input (issue 18): text kept from a report is capped while parsing,
//! absurd durations become warnings and no duration, a stray NUL or a UTF-16 report without a
//! byte-order mark is read, and nothing a report holds can write to stderr as itself. Each
//! test runs the real binary where the promise is about what a user sees, and the library
//! where it is about what the parser keeps. Inputs found by fuzzing (fuzz/, see
//! docs/reliability.md) are kept here as regression tests.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::path::Path;
use testsift::junit::{self, Severity, TEXT_MAX};
use testsift::report::escape::is_unsafe_char;

fn problem_lines<'a>(stderr: &'a str, file: &str) -> Vec<&'a str> {
    stderr.lines().filter(|l| l.starts_with(file)).collect()
}

/// A report in a temporary folder, ingested with `--run-depth 0`: (exit code, stderr, store).
fn ingest_one(dir: &Path, name: &str, bytes: &[u8]) -> (i32, String, std::path::PathBuf) {
    let path = dir.join(name);
    write(&path, bytes);
    let store = dir.join("store");
    let out = ingest(&store, &[&path], &["--run-depth", "0", "--quiet"]);
    (code(&out), stderr(&out), store)
}

#[test]
fn issue_18_every_kept_value_is_capped_while_parsing_with_a_located_warning() {
    let big = "n".repeat(3 * TEXT_MAX);
    // `&amp;` across the cut: what is kept must still unescape.
    let entities = "&amp;".repeat(TEXT_MAX / 4);
    let doc = format!(
        "<testsuites>\n<testsuite name=\"{big}\" timestamp=\"{big}\">\n\
         <testcase classname=\"{big}\" name=\"{entities}\" file=\"{big}\" time=\"{big}\">\
         <failure message=\"{big}\" type=\"{big}\"/></testcase>\n\
         <testcase classname=\"{big}\" name=\"{big}\"/>\n</testsuite>\n</testsuites>\n"
    );
    let r = junit::parse(doc.as_bytes());
    assert!(r.complete && !r.has_errors(), "{:?}", r.problems);
    assert_eq!(r.cases.len(), 2);
    for case in &r.cases {
        for (what, s) in [
            ("suite", case.suite),
            ("classname", case.classname),
            ("name", case.name),
            ("file", case.file),
            ("type", r.detail(case).failure_type),
            ("message", r.detail(case).message),
        ] {
            let kept = r.str(s);
            assert!(kept.len() <= TEXT_MAX, "{what}: {} bytes kept", kept.len());
        }
    }
    assert_eq!(r.str(r.cases[1].name).len(), TEXT_MAX);
    let name = r.str(r.cases[0].name);
    let (kept, hash) = name
        .rsplit_once(junit::CUT_MARK)
        .expect("a cut value ends in a hash");
    assert!(kept.chars().all(|c| c == '&'), "entities cut cleanly");
    assert_eq!(hash.len(), 16, "{hash}");
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{hash}");
    assert!(name.len() > TEXT_MAX / 8, "{}", name.len());
    assert!(r.cases[0].time.get().is_none());
    assert!(r.earliest_timestamp.is_none());
    let cut: Vec<String> = r
        .problems
        .iter()
        .filter(|p| p.message.contains("bytes cut to its first"))
        .map(|p| format!("{}:{} {}", p.line, p.column, p.element))
        .collect();
    let line3 = doc.lines().nth(2).unwrap();
    let failure_at = line3[..line3.find("<failure").unwrap()].chars().count() + 1;
    let failure =
        |attr: &str| format!("3:{failure_at} testsuites/testsuite[1]/testcase[1]/failure/@{attr}");
    assert_eq!(
        cut,
        [
            "2:1 testsuites/testsuite[1]/@name".to_string(),
            "2:1 testsuites/testsuite[1]/@timestamp".to_string(),
            "3:1 testsuites/testsuite[1]/testcase[1]/@classname".to_string(),
            "3:1 testsuites/testsuite[1]/testcase[1]/@name".to_string(),
            "3:1 testsuites/testsuite[1]/testcase[1]/@file".to_string(),
            failure("message"),
            failure("type"),
            "4:1 testsuites/testsuite[1]/testcase[2]/@classname".to_string(),
            "4:1 testsuites/testsuite[1]/testcase[2]/@name".to_string(),
        ],
        "{:?}",
        r.problems
    );
    // A `time` that long is no duration: refused without being copied or cut.
    assert!(
        r.problems
            .iter()
            .any(|p| p.element == "testsuites/testsuite[1]/testcase[1]/@time"
                && p.message.starts_with("invalid duration \"nnn")),
        "{:?}",
        r.problems
    );
    // Messages quote at most a short excerpt of what they complain about.
    assert!(
        r.problems.iter().all(|p| p.message.len() < 1024),
        "{:?}",
        r.problems
    );
}

#[test]
fn issue_18_a_one_mebibyte_name_is_stored_cut_with_a_warning_naming_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let name = "x".repeat(1 << 20);
    let doc = format!(
        "<testsuite name=\"s\">\n  <testcase classname=\"c\" name=\"{name}\" time=\"1\"/>\n</testsuite>\n"
    );
    let (code, err, store) = ingest_one(dir.path(), "long.xml", doc.as_bytes());
    assert_eq!(code, 0, "{err}");
    let file = dir.path().join("long.xml").display().to_string();
    let lines = problem_lines(&err, &file);
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "{file}:2:3: warning: testsuite[1]/testcase[1]/@name: value of 1048576 bytes cut to its first 4076"
        ))),
        "{err}"
    );
    let names = texts(&executions(&store), "name");
    assert_eq!(names.len(), 1);
    assert_eq!(names[0].len(), TEXT_MAX);
}

/// A large report (plain or gzipped) with a 40 MiB name, a 20 MiB comment and 20 MiB of output
/// over many lines is read through the squeezing pass (memory: docs/reliability.md): the cases
/// are all stored, the warning gives the value's real length, and a problem after the cuts is
/// placed at its line and column in the file.
#[test]
fn issue_18_huge_values_are_cut_while_reading_and_positions_stay_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let name = "x".repeat(40 << 20);
    let comment = "c".repeat(20 << 20);
    let output = "line of output\n".repeat((20 << 20) / 15);
    let doc = format!(
        "<testsuite name=\"s\">\n<!-- {comment} -->\n  <testcase classname=\"c\" name=\"{name}\" time=\"1\"/>\n\
         <testcase classname=\"c\" name=\"out\"><system-out>{output}</system-out></testcase>\n\
         <testcase classname=\"c\" name=\"late\" time=\"-2\"/>\n</testsuite>\n"
    );
    let late_line = 5 + output.matches('\n').count();
    let gz = {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(doc.as_bytes()).unwrap();
        encoder.finish().unwrap()
    };
    for (file_name, bytes) in [("huge.xml", doc.as_bytes()), ("huge.xml.gz", &gz[..])] {
        let sub = dir.path().join(file_name.replace('.', "-"));
        std::fs::create_dir_all(&sub).unwrap();
        let (code, err, store) = ingest_one(&sub, file_name, bytes);
        assert_eq!(code, 0, "{err}");
        let file = sub.join(file_name).display().to_string();
        let lines = problem_lines(&err, &file);
        assert!(
            lines.iter().any(|l| l.starts_with(&format!(
                "{file}:3:3: warning: testsuite[1]/testcase[1]/@name: value of {} bytes cut to its first 4076",
                40 << 20
            ))),
            "{err}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with(&format!(
                "{file}:{late_line}:1: warning: testsuite[1]/testcase[3]"
            )) && l.contains("negative duration")),
            "{lines:?}"
        );
        let names = texts(&executions(&store), "name");
        assert_eq!(names.len(), 3);
    }
}

#[test]
fn issue_18_absurd_durations_are_warnings_and_no_duration() {
    let doc = "<testsuite name=\"s\">\n\
        <testcase name=\"ok\" time=\"1.5\"/>\n\
        <testcase name=\"huge\" time=\"1e308\"/>\n\
        <testcase name=\"nan\" time=\"NaN\"/>\n\
        <testcase name=\"inf\" time=\"inf\"/>\n\
        <testcase name=\"overflow\" time=\"1e309\"/>\n\
        <testcase name=\"negative\" time=\"-3\"/>\n\
        <testcase name=\"two-days\" time=\"172800\"/>\n\
        <testcase name=\"a-day\" time=\"86400\"/>\n\
        <testcase name=\"retried\" time=\"2\"><flakyFailure time=\"1e308\"/>\
        <flakyFailure time=\"0.5\"/></testcase>\n\
        </testsuite>";
    let r = junit::parse(doc.as_bytes());
    let times: Vec<Option<f64>> = r.cases.iter().map(|c| c.time.get()).collect();
    assert_eq!(
        times,
        [
            Some(1.5),
            None,
            None,
            None,
            None,
            None,
            None,
            Some(86_400.0),
            Some(2.0)
        ]
    );
    assert_eq!(r.cases[8].retries_time.get(), Some(0.5));
    assert_eq!(r.cases[8].flaky_retries, 2);
    let warnings: Vec<String> = r
        .problems
        .iter()
        .map(|p| {
            assert_eq!(p.severity, Severity::Warning);
            format!("{}:{} {}: {}", p.line, p.column, p.element, p.message)
        })
        .collect();
    assert_eq!(
        warnings,
        [
            "3:1 testsuite[1]/testcase[2]/@time: duration over a day \"1e308\"; treated as unknown",
            "4:1 testsuite[1]/testcase[3]/@time: invalid duration \"NaN\"; treated as unknown",
            "5:1 testsuite[1]/testcase[4]/@time: invalid duration \"inf\"; treated as unknown",
            "6:1 testsuite[1]/testcase[5]/@time: invalid duration \"1e309\"; treated as unknown",
            "7:1 testsuite[1]/testcase[6]/@time: negative duration \"-3\"; treated as unknown",
            "8:1 testsuite[1]/testcase[7]/@time: duration over a day \"172800\"; treated as unknown",
            "10:35 testsuite[1]/testcase[9]/flakyFailure/@time: duration over a day \"1e308\"; treated as unknown",
        ]
    );
}

#[test]
fn issue_18_absurd_durations_never_reach_the_store_or_the_totals() {
    let dir = tempfile::tempdir().unwrap();
    let doc = "<testsuite name=\"s\">\n\
        <testcase classname=\"c\" name=\"ok\" time=\"1.5\"/>\n\
        <testcase classname=\"c\" name=\"huge\" time=\"1e308\"/>\n\
        <testcase classname=\"c\" name=\"nan\" time=\"NaN\"/>\n\
        </testsuite>\n";
    let (code, err, store) = ingest_one(dir.path(), "times.xml", doc.as_bytes());
    assert_eq!(code, 0, "{err}");
    let file = dir.path().join("times.xml").display().to_string();
    let lines = problem_lines(&err, &file);
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "{file}:3:1: warning: testsuite[1]/testcase[2]/@time: duration over a day"
        ))),
        "{err}"
    );
    let executions = executions(&store);
    let mut durations: Vec<(String, Option<f64>)> = texts(&executions, "name")
        .into_iter()
        .zip(f64s(&executions, "duration"))
        .collect();
    durations.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        durations,
        [
            ("huge".to_string(), None),
            ("nan".to_string(), None),
            ("ok".to_string(), Some(1.5))
        ]
    );
    let not_a_number = regex::Regex::new(r"(?i)\b(inf|infinity|nan)\b").unwrap();
    for command in [
        ["stats"].as_slice(),
        &["slow"],
        &["slow", "--format", "json"],
    ] {
        let out = testsift()
            .args(command)
            .arg("--store")
            .arg(&store)
            .output()
            .unwrap();
        assert_code(&out, 0);
        let text = stdout(&out);
        assert!(!not_a_number.is_match(&text), "{command:?}:\n{text}");
    }
}

/// The report a user sees: stderr lines each start with the file, and none holds a raw
/// control character.
fn assert_stderr_is_not_forged(err: &str, file: &str) {
    for line in err.lines() {
        assert!(
            line.starts_with(file) || line.starts_with("testsift: "),
            "a line not written by testsift: {line:?}\n{err}"
        );
        assert!(
            !line.chars().any(is_unsafe_char),
            "raw control character in {line:?}"
        );
    }
}

#[test]
fn issue_18_an_end_tag_cannot_forge_stderr_lines_or_clear_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let doc = "<testsuite name=\"s\">\n<testcase classname=\"c\" name=\"a\"/>\n\
               </x\nforged.xml:1:1: error: all tests passed\x1b[2J>\n</testsuite>\n";
    let (code, err, _) = ingest_one(dir.path(), "forge.xml", doc.as_bytes());
    assert_eq!(code, 0, "the case before the bad end tag is kept: {err}");
    let file = dir.path().join("forge.xml").display().to_string();
    assert!(
        err.contains("</x\\nforged.xml:1:1: error: all tests passed\\x1b[2J>"),
        "{err}"
    );
    assert_stderr_is_not_forged(&err, &file);
}

#[test]
fn issue_18_names_and_values_quoted_in_messages_are_escaped_and_short() {
    let dir = tempfile::tempdir().unwrap();
    let long = "y".repeat(1 << 20);
    let cases = [
        // A root that is not JUnit, named with an OSC 52 sequence and a bidi override.
        "<not\x1b]52;c;cm0gLXJmIH4=\x07junit\u{202e}/>".to_string(),
        // A long, escaping element name left open at the end of the file.
        format!("<testsuite><testcase name=\"a\"/><o{long}\x1b[2J>"),
        // A timestamp, a duration and an unknown entity holding escapes.
        "<testsuite timestamp=\"\x1b[31mred\"><testcase name=\"a\" time=\"\x1b[2J\"><failure \
         message=\"&bogus\x1b;\"/></testcase></testsuite>"
            .to_string(),
        // A mismatched end tag, long.
        format!("<testsuite><testcase name=\"a\"/></testsuite{long}\n>"),
    ];
    for (i, doc) in cases.iter().enumerate() {
        let name = format!("case{i}.xml");
        let (_, err, _) = ingest_one(dir.path(), &name, doc.as_bytes());
        let file = dir.path().join(&name).display().to_string();
        assert!(err.contains(&file), "{err}");
        assert_stderr_is_not_forged(&err, &file);
        assert!(
            err.len() < 16 * 1024,
            "case {i}: {} bytes of stderr",
            err.len()
        );
    }
}

/// The rows a fixture header lists: the `rows:` lines of its first comment.
fn header_rows(text: &str) -> Vec<String> {
    let comment = &text[text.find("<!--").unwrap()..text.find("-->").unwrap()];
    comment
        .lines()
        .skip_while(|l| !l.starts_with("rows:"))
        .skip(1)
        .map(|l| l.split(" | ").take(3).collect::<Vec<_>>().join(" | "))
        .collect()
}

fn stored_rows(store: &Path) -> Vec<String> {
    let executions = executions(store);
    let mut rows: Vec<String> = texts(&executions, "name")
        .into_iter()
        .zip(strs(&executions, "classname"))
        .zip(texts(&executions, "status"))
        .map(|((name, class), status)| format!("{} | {name} | {status}", class.unwrap_or_default()))
        .collect();
    rows.sort();
    rows
}

#[test]
fn issue_18_one_nul_byte_keeps_the_cases_before_it_and_says_where_it_is() {
    let file = "fixtures/bad/nul-byte.xml";
    let bytes = std::fs::read(root().join(file)).unwrap();
    let nul = bytes
        .iter()
        .position(|&b| b == 0)
        .expect("the fixture holds a NUL");
    assert!(nul < 512, "the NUL sits where binary detection looks");
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = ingest(&store, &[file], &["--run-depth", "0", "--quiet"]);
    assert_code(&out, 0);
    let before = &bytes[..nul];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = nul
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{file}:{line}:{column}: warning: ")) && err.contains("NUL byte"),
        "{err}"
    );
    let mut expected = header_rows(&String::from_utf8_lossy(&bytes));
    expected.sort();
    assert_eq!(stored_rows(&store), expected);
}

#[test]
fn issue_18_utf16_without_bom_or_declaration_is_read_not_called_binary() {
    for (file, encoding) in [
        (
            "fixtures/bad/encoding/utf16le-no-bom.xml",
            encoding_rs::UTF_16LE,
        ),
        (
            "fixtures/bad/encoding/utf16be-no-bom.xml",
            encoding_rs::UTF_16BE,
        ),
    ] {
        let bytes = std::fs::read(root().join(file)).unwrap();
        assert!(bytes.starts_with(b"<\0!\0") || bytes.starts_with(b"\0<\0!"));
        let (text, _) = encoding.decode_without_bom_handling(&bytes);
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let out = ingest(&store, &[file], &["--run-depth", "0", "--quiet"]);
        assert_code(&out, 0);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("{file}:1:1: warning: {}", encoding.name())),
            "{err}"
        );
        let mut expected = header_rows(&text);
        expected.sort();
        assert!(!expected.is_empty());
        assert_eq!(stored_rows(&store), expected, "{file}");
    }
}

/// Found by `cargo fuzz run parse`: a second UTF-8 byte-order mark made quick-xml's positions
/// three bytes off, and slicing the text at one of them panicked inside the mark.
#[test]
fn fuzz_a_second_byte_order_mark_does_not_panic() {
    let minimal = b"\xEF\xBB\xBF\xEF\xBB\xBFx<?xml version=\"1.0\"?><testsuite/>";
    let found = std::fs::read(
        root().join("fuzz/artifacts/parse/crash-5f56ba4143d74c21ab793f95f20e351eecd1aed5"),
    )
    .unwrap();
    for bytes in [minimal.as_slice(), &found] {
        let r = junit::parse(bytes);
        assert!(r.cases.is_empty());
    }
    let dir = tempfile::tempdir().unwrap();
    let (code, err, _) = ingest_one(dir.path(), "boms.xml", minimal);
    let file = dir.path().join("boms.xml").display().to_string();
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "{file}:1:2: warning: the XML declaration is not at the start"
        )),
        "{err}"
    );
}

/// Found by `cargo fuzz run parse`: a message cut before it was escaped could grow past its
/// cap again (one character becomes up to ten: `\u{202e}`); problems stay short once escaped.
#[test]
fn fuzz_problem_messages_stay_short_once_escaped() {
    let found = std::fs::read(
        root().join("fuzz/artifacts/parse/crash-33f8706ad7c7c1bd98da13638ae835481956e3b9"),
    )
    .unwrap();
    let controls = "\u{1}".repeat(4096);
    let built = format!("<testsuite><testcase name=\"a\"/></x{controls}>");
    for bytes in [found.as_slice(), built.as_bytes()] {
        let r = junit::parse(bytes);
        assert!(!r.problems.is_empty());
        for p in &r.problems {
            for text in [&p.message, &p.element] {
                assert!(text.len() <= 2048 + '…'.len_utf8(), "{} bytes", text.len());
                assert!(!text.chars().any(is_unsafe_char), "{text:?}");
            }
        }
    }
}

/// Two names longer than what is kept that differ only past the cut stay two tests: the cut
/// value ends in a hash of the whole. The same name cut twice gives the same text.
#[test]
fn long_names_differing_after_the_cut_stay_apart() {
    let stem = "p".repeat(2 * TEXT_MAX);
    let doc = format!(
        "<testsuite name=\"s\"><testcase classname=\"c\" name=\"{stem}a\"/>\
         <testcase classname=\"c\" name=\"{stem}b\"/><testcase classname=\"c\" name=\"{stem}a\"/></testsuite>"
    );
    let r = junit::parse(doc.as_bytes());
    let names: Vec<&str> = r.cases.iter().map(|c| r.str(c.name)).collect();
    assert_eq!(names.len(), 3);
    assert!(names.iter().all(|n| n.len() <= TEXT_MAX));
    assert_ne!(names[0], names[1]);
    assert_eq!(names[0], names[2]);
}

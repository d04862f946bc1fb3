//! `testsift check --run`: the gate for one run. A hand-built history of six runs of `main`
//! gives each test a known past; run 7 (branch `pr`) fails in every way the gate tells apart,
//! and each test's decision was worked out by hand (see `history`). Also the four output
//! formats and the exit codes.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Outcome letters: `P` passed, `F` failed with "boom", `G` failed with "something else", `R`
/// failed with "boom" and passed on a retry, `X` failed with "boom" on all three attempts (two
/// retries), `-` not run.
fn report(cases: &[(&str, char)]) -> String {
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<testsuite name=\"s\">\n");
    for (id, outcome) in cases {
        let (class, name) = id.split_once("::").unwrap();
        let body = match outcome {
            'F' => "<failure message=\"boom\" type=\"AssertionError\"/>",
            'G' => "<failure message=\"something else\" type=\"KeyError\"/>",
            'R' => "<flakyFailure message=\"boom\" type=\"AssertionError\"/>",
            'X' => {
                "<failure message=\"boom\" type=\"AssertionError\"/>\
                 <rerunFailure message=\"boom\" type=\"AssertionError\"/>\
                 <rerunFailure message=\"boom\" type=\"AssertionError\"/>"
            }
            '-' => continue,
            _ => "",
        };
        let file = class.replace('.', "/");
        xml.push_str(&format!(
            "  <testcase classname=\"{class}\" name=\"{name}\" file=\"{file}.py\" line=\"3\" \
             time=\"0.1\">{body}</testcase>\n"
        ));
    }
    xml.push_str("</testsuite>\n");
    xml
}

fn write_run(dir: &Path, id: u32, commit: &str, branch: &str, cases: &[(&str, char)]) {
    let folder = dir.join(format!("run-{id:02}"));
    fs::create_dir_all(&folder).unwrap();
    fs::write(
        folder.join("run.json"),
        format!(
            "{{\"run_id\": \"{id}\", \"commit\": \"{commit}\", \"branch\": \"{branch}\", \
             \"timestamp\": \"2026-03-{id:02}T02:00:00Z\"}}\n"
        ),
    )
    .unwrap();
    fs::write(folder.join("junit.xml"), report(cases)).unwrap();
}

/// Tests, and their outcome in runs 1–6 (main) and run 7 (pr). Runs 3 and 4 are on one commit.
///
/// | test | 1–6 | 7 | decision |
/// |---|---|---|---|
/// | retry | retried in 2 | retried | forgiven: known-flaky (passed on retry) |
/// | same_commit | F in 3, P in 4 (one commit) | F "boom" | forgiven: known-flaky (fingerprint seen) |
/// | new_failure | retried in 2 ("boom") | G "something else" | fails: new-failure |
/// | stable | always P | F | fails: not-flaky |
/// | needs_retry | always P | retried | fails: not-flaky |
/// | quarantined | always P | F | forgiven: quarantined (testsift.toml) |
/// | red_main | F in 5 and 6 | F | fails; with --baseline main forgiven |
const TESTS: [&str; 7] = [
    "t.a::retry",
    "t.a::same_commit",
    "t.b::new_failure",
    "t.b::stable",
    "t.c::needs_retry",
    "t.c::quarantined",
    "t.d::red_main",
];

fn history(dir: &Path) -> PathBuf {
    let runs = dir.join("runs");
    let past: [&str; 7] = [
        "PRPPPP", "PPFPPP", "PRPPPP", "PPPPPP", "PPPPPP", "PPPPPP", "PPPPFF",
    ];
    let commits = ["c1", "c2", "c3", "c3", "c5", "c6"];
    for (r, commit) in commits.iter().enumerate() {
        let cases: Vec<(&str, char)> = TESTS
            .iter()
            .zip(past)
            .map(|(t, p)| (*t, p.as_bytes()[r] as char))
            .chain(stable_ones())
            .collect();
        write_run(&runs, r as u32 + 1, commit, "main", &cases);
    }
    let now = ['R', 'F', 'G', 'F', 'R', 'F', 'F'];
    let cases: Vec<(&str, char)> = TESTS
        .iter()
        .copied()
        .zip(now)
        .chain(stable_ones())
        .collect();
    write_run(&runs, 7, "c7", "pr", &cases);
    let store = dir.join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    fs::write(
        dir.join("testsift.toml"),
        "[[quarantine]]\ntest = \"t.c::quar*\"\nreason = \"flaky socket\"\nowner = \"@net\"\n\
         issue = \"https://example.com/9\"\nuntil = \"2099-01-01\"\n",
    )
    .unwrap();
    store
}

/// Ten tests that always pass, so no run of the history is an infrastructure failure.
fn stable_ones() -> impl Iterator<Item = (&'static str, char)> {
    [
        "z.s::a", "z.s::b", "z.s::c", "z.s::d", "z.s::e", "z.s::f", "z.s::g", "z.s::h", "z.s::i",
        "z.s::j",
    ]
    .into_iter()
    .map(|t| (t, 'P'))
}

fn check(dir: &Path, store: &Path, args: &[&str]) -> Output {
    testsift()
        .current_dir(dir)
        .arg("check")
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap()
}

fn decisions(out: &Output) -> BTreeMap<String, (bool, String)> {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["run"]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["test_id"].as_str().unwrap().to_string(),
                (
                    d["forgiven"].as_bool().unwrap(),
                    d["because"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

fn expected(baseline: bool) -> BTreeMap<String, (bool, String)> {
    let want = [
        ("t.a::retry", true, "known-flaky"),
        ("t.a::same_commit", true, "known-flaky"),
        ("t.b::new_failure", false, "new-failure"),
        ("t.b::stable", false, "not-flaky"),
        ("t.c::needs_retry", false, "not-flaky"),
        ("t.c::quarantined", true, "quarantined"),
        (
            "t.d::red_main",
            baseline,
            if baseline {
                "failing-on-baseline"
            } else {
                "not-flaky"
            },
        ),
    ];
    want.iter()
        .map(|(t, f, b)| (t.to_string(), (*f, b.to_string())))
        .collect()
}

#[test]
fn each_failure_of_the_run_is_decided_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store = history(dir.path());
    // The default run is the newest of the window: 7.
    let out = check(dir.path(), &store, &["--run", "--format", "json"]);
    assert_code(&out, 1);
    assert_eq!(decisions(&out), expected(false));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["run"]["run"], "7");
    assert_eq!(v["run"]["history_runs"], 6);
    assert_eq!(v["gates"][0]["gate"], "run");
    assert_eq!(v["gates"][0]["tripped"], true);
    let d = &v["run"]["decisions"];
    let reason = |i: usize| d[i]["reason"].as_str().unwrap().to_string();
    assert_eq!(
        reason(0),
        "passed on a retry; flaky before this run: passed on a retry in 1 earlier run"
    );
    assert!(
        reason(1).starts_with("failed the way it has flaked before (fingerprint "),
        "{}",
        reason(1)
    );
    assert!(reason(1).ends_with("passed and failed on 1 earlier commit"));
    assert!(reason(2).contains("never recovered from this failure"));
    assert_eq!(
        reason(5),
        "quarantined until 2099-01-01 by @net: flaky socket (https://example.com/9)"
    );
    // red_main failed in main's runs 5 and 6; run 7's branch has no run before it.
    assert_eq!(
        reason(6),
        "failed, as in its last 2 runs before this one (failing since run 5); the 6 runs \
         before this one do not show it flaky"
    );

    // --baseline main: red_main also failed in run 6, main's newest run before 7.
    let out = check(
        dir.path(),
        &store,
        &["--run", "7", "--baseline", "main", "--format", "json"],
    );
    assert_code(&out, 1);
    assert_eq!(decisions(&out), expected(true));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["run"]["baseline"], "6");
    assert_eq!(
        v["run"]["decisions"][6]["reason"],
        "already failing on main (run 6)"
    );
}

#[test]
fn a_run_whose_failures_are_all_forgiven_passes() {
    let dir = tempfile::tempdir().unwrap();
    let store = history(dir.path());
    // Run 6: only red_main failed, and main's run 5 before it failed it too.
    let out = check(dir.path(), &store, &["--run", "6", "--baseline", "main"]);
    assert_code(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("ok: run: run 6: every failure is forgiven (1)"),
        "{text}"
    );
    assert!(
        text.contains(
            "forgiven: t.d::red_main: already failing on main (run 5) (failing-on-baseline)"
        ),
        "{text}"
    );
    // Without the baseline it fails; run 4 had no failure at all.
    assert_code(&check(dir.path(), &store, &["--run", "6"]), 1);
    let out = check(dir.path(), &store, &["--run", "4"]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("ok: run: run 4: no test failed"));
    // In a CI job, the default run is the one the CI's variables name (run 6, not the newest).
    let out = testsift()
        .current_dir(dir.path())
        .args(["check", "--run", "--baseline", "main", "--store"])
        .arg(&store)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_RUN_ID", "6")
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert!(
        stdout(&out).contains("ok: run: run 6: "),
        "{}",
        stdout(&out)
    );
    // When the CI's variables name a run the store does not hold (the job's reports were never
    // ingested), the gate does not judge another run in its place: exit 2.
    let out = testsift()
        .current_dir(dir.path())
        .args(["check", "--run", "--store"])
        .arg(&store)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_RUN_ID", "3001")
        .output()
        .unwrap();
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains(
            "run 3001 (named by the CI's variables) is not in the store: ingest this job's \
             reports first"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
    // A run the store does not hold is an error naming the newest ones.
    let out = check(dir.path(), &store, &["--run", "99"]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("run 99 is not in the store (the newest are 7, 6, 5 and 4 more)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn text_github_and_junit_show_every_decision() {
    let dir = tempfile::tempdir().unwrap();
    let store = history(dir.path());
    let out = check(dir.path(), &store, &["--run", "7"]);
    assert_code(&out, 1);
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "check failed: run: run 7: 4 failures not forgiven (3 forgiven): t.b::new_failure, \
             t.b::stable, t.c::needs_retry and 1 more\n"
        ),
        "{err}"
    );
    assert_eq!(err.matches("\nfailing: ").count(), 4, "{err}");
    assert_eq!(stdout(&out).matches("forgiven: ").count(), 3);

    let out = check(dir.path(), &store, &["--run", "7", "--format", "github"]);
    assert_code(&out, 1);
    let text = stdout(&out);
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("::error ")).collect();
    let warnings: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("::warning "))
        .collect();
    assert_eq!((errors.len(), warnings.len()), (4, 3), "{text}");
    assert!(
        errors.contains(
            &"::error file=t/b.py,line=3,title=testsift check%3A run::t.b::stable: failing: \
              failed, and the 6 runs before this one do not show it flaky (not-flaky)"
        ),
        "{text}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("::warning file=t/c.py,line=3,title=testsift check%3A run::t.c::quarantined: forgiven: quarantined")),
        "{text}"
    );

    let out = check(dir.path(), &store, &["--run", "7", "--format", "junit"]);
    assert_code(&out, 1);
    let xml = stdout(&out);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"testsift check\" tests=\"8\" failures=\"4\">"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 8, "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 4, "{xml}");
    // The JUnit report is itself a report testsift reads: 7 decisions and the gate line.
    let reread = dir.path().join("gate");
    fs::create_dir_all(&reread).unwrap();
    fs::write(reread.join("gate.xml"), &xml).unwrap();
    let out = ingest(&dir.path().join("reread"), &[&reread], &["--run-id", "g"]);
    assert_code(&out, 0);
    let st = stats(&dir.path().join("reread"));
    assert_eq!(st["executions"], 8, "{st}");
}

#[test]
fn hostile_names_are_escaped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let folder = runs.join("r1");
    fs::create_dir_all(&folder).unwrap();
    fs::write(
        folder.join("junit.xml"),
        "<testsuite name=\"s\"><testcase classname=\"a&lt;b&gt;&amp;&quot;c\" \
         name=\"x&#10;::error::forged,%0A]]&gt;\" file=\"f,1:2.py\" line=\"4\">\
         <failure message=\"&lt;/failure&gt;&#10;::error::also forged\"/></testcase></testsuite>",
    )
    .unwrap();
    let store = dir.path().join("store");
    assert_code(
        &ingest(&store, &[&folder], &["--quiet", "--run-id", "1"]),
        0,
    );
    let out = check(dir.path(), &store, &["--run", "--format", "github"]);
    assert_code(&out, 1);
    let text = stdout(&out);
    assert!(
        text.lines().all(|l| l.starts_with("::")),
        "a line was forged: {text}"
    );
    assert!(text.contains("file=f%2C1%3A2.py,line=4"), "{text}");
    assert!(text.contains("x%0A::error::forged,%250A"), "{text}");
    let out = check(dir.path(), &store, &["--run", "--format", "junit"]);
    let xml = stdout(&out);
    assert!(
        xml.contains("classname=\"a&lt;b&gt;&amp;&quot;c\""),
        "{xml}"
    );
    assert!(xml.contains("&lt;/failure&gt;"), "{xml}");
    assert_eq!(xml.matches("</failure>").count(), 1, "{xml}");
    let out = check(dir.path(), &store, &["--run"]);
    assert!(!stderr(&out).contains("\n::error"), "{}", stderr(&out));
}

#[test]
fn report_summary_appends_report_md_to_the_job_summary() {
    let dir = tempfile::tempdir().unwrap();
    let store = history(dir.path());
    let summary = dir.path().join("step_summary.md");
    fs::write(&summary, "earlier step\n").unwrap();
    let out_dir = dir.path().join("report");
    let report = |summary_var: Option<&Path>| {
        let mut cmd = testsift();
        cmd.current_dir(dir.path())
            .args(["report", "--quiet", "--no-previous", "--summary", "--store"])
            .arg(&store)
            .arg("--out")
            .arg(&out_dir)
            .env("SOURCE_DATE_EPOCH", "1780000000")
            .env_remove("GITHUB_STEP_SUMMARY");
        if let Some(p) = summary_var {
            cmd.env("GITHUB_STEP_SUMMARY", p);
        }
        cmd.output().unwrap()
    };
    let out = report(Some(&summary));
    assert_code(&out, 0);
    assert_eq!(stderr(&out), "");
    let md = fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert_eq!(
        fs::read_to_string(&summary).unwrap(),
        format!("earlier step\n{md}\n")
    );
    // Without the variable: the report is written, a note says why there is no summary.
    let out = report(None);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("--summary: GITHUB_STEP_SUMMARY is not set"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_to_string(&summary).unwrap(),
        format!("earlier step\n{md}\n")
    );
}

/// `bash -e -c SCRIPT` in `cwd` as a CI step runs it: the test's build first on PATH, no CI
/// variable or store location of the machine running the tests (each test sets its CI's own).
fn step(cwd: &Path, script: &str) -> std::process::Command {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_testsift"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = std::process::Command::new("bash");
    cmd.args(["-e", "-c", script])
        .current_dir(cwd)
        .env("PATH", path)
        .env_remove("TESTSIFT_STORE");
    for var in CI_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// The `name` and `run` script of each step of the GitHub Actions workflow in docs/ci.md.
fn recipe_steps() -> Vec<(String, String)> {
    steps_in("## GitHub Actions workflow")
}

/// The `name` and `run` script of each step of the first workflow under `heading` in
/// docs/ci.md.
fn steps_in(heading: &str) -> Vec<(String, String)> {
    let md = fs::read_to_string(root().join("docs/ci.md")).unwrap();
    let section = &md[md.find(heading).unwrap()..];
    let start = section.find("```yaml\n").unwrap() + 8;
    let yaml = &section[start..start + section[start..].find("```").unwrap()];
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut lines = yaml.lines().peekable();
    let mut name = None;
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if let Some(n) = t.strip_prefix("- name: ") {
            name = Some(n.to_string());
        } else if t.starts_with("- ") {
            name = None;
        } else if let Some(run) = t.strip_prefix("run: ") {
            let script = if run == "|" {
                let mut body = String::new();
                while let Some(next) = lines.peek() {
                    let nt = next.trim_start();
                    if !nt.is_empty() && next.len() - nt.len() <= indent {
                        break;
                    }
                    body.push_str(next.get(indent + 2..).unwrap_or(""));
                    body.push('\n');
                    lines.next();
                }
                body
            } else {
                format!("{run}\n")
            };
            steps.push((name.clone().expect("every run step is named"), script));
        }
    }
    steps
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    if !from.exists() {
        return;
    }
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// One pipeline of the generated history: its branch (`main` is a push, anything else a pull
/// request into main), whether it is a re-run of the one before, the outcome letters of the
/// tests that do not pass, and the gate's expected exit code.
struct Pipeline {
    branch: &'static str,
    rerun: bool,
    outcomes: &'static [(&'static str, char)],
    gate: i32,
}

const FLAKY: &str = "tests.test_net::test_retry";
const SOCKET: &str = "tests.test_quar::test_sock";
const BREAK: &str = "tests.test_cart::test_break";

/// Twenty pipelines; the comment on each is why the gate decides as it does.
const PIPELINES: [Pipeline; 20] = [
    // 1: first run, cache miss: nothing failed.
    Pipeline {
        branch: "main",
        rerun: false,
        outcomes: &[],
        gate: 0,
    },
    Pipeline {
        branch: "main",
        rerun: false,
        outcomes: &[],
        gate: 0,
    },
    // 3: a test needs a retry for the first time: not flaky before, so it fails the gate.
    Pipeline {
        branch: "main",
        rerun: false,
        outcomes: &[(FLAKY, 'R')],
        gate: 1,
    },
    Pipeline {
        branch: "main",
        rerun: false,
        outcomes: &[],
        gate: 0,
    },
    // 5: the same test retried again on a pull request: known flaky (retried in 3).
    Pipeline {
        branch: "feature-a",
        rerun: false,
        outcomes: &[(FLAKY, 'R')],
        gate: 0,
    },
    // 6: the quarantined test fails: forgiven by testsift.toml.
    Pipeline {
        branch: "main",
        rerun: false,
        outcomes: &[(SOCKET, 'F')],
        gate: 0,
    },
    Pipeline {
        branch: "main",
        rerun: false,
        outcomes: &[],
        gate: 0,
    },
    // 8: the flaky test fails outright, the way it failed before its retries passed.
    Pipeline {
        branch: "feature-b",
        rerun: false,
        outcomes: &[(FLAKY, 'F')],
        gate: 0,
    },
    Pipeline {
        branch: "main",
        rerun: false,
        outcomes: &[],
        gate: 0,
    },
    // 10: a pull request breaks a stable test; 11 is the same run again (attempt 2).
    Pipeline {
        branch: "feature-c",
        rerun: false,
        outcomes: &[(BREAK, 'F')],
        gate: 1,
    },
    Pipeline {
        branch: "feature-c",
        rerun: true,
        outcomes: &[(BREAK, 'F')],
        gate: 1,
    },
    // 12: merged broken: main is red.
    Pipeline {
        branch: "main",
        rerun: false,
        outcomes: &[(BREAK, 'F')],
        gate: 1,
    },
    // 13: a pull request on the red main: already failing on main (12), forgiven.
    Pipeline {
        branch: "feature-d",
        rerun: false,
        outcomes: &[(BREAK, 'F')],
        gate: 0,
    },
    Pipeline {
        branch: "main",
        rerun: false,
        outcomes: &[(BREAK, 'F')],
        gate: 1,
    },
    // 15: red main forgiven, but a stable test also fails, with a new message: fails.
    Pipeline {
        branch: "feature-e",
        rerun: false,
        outcomes: &[(BREAK, 'F'), ("tests.test_s::test_3", 'G')],
        gate: 1,
    },
    // 16: fixed.
    Pipeline {
        branch: "main",
        rerun: false,
        outcomes: &[],
        gate: 0,
    },
    Pipeline {
        branch: "main",
        rerun: false,
        outcomes: &[(FLAKY, 'R'), (SOCKET, 'F')],
        gate: 0,
    },
    // 18: a stable test passes only on a retry: new flakiness fails the gate.
    Pipeline {
        branch: "feature-f",
        rerun: false,
        outcomes: &[("tests.test_s::test_5", 'R')],
        gate: 1,
    },
    // 19: main's fixed test passes again, so a pull request's failure of it is not forgiven.
    Pipeline {
        branch: "feature-g",
        rerun: false,
        outcomes: &[(BREAK, 'F')],
        gate: 1,
    },
    Pipeline {
        branch: "main",
        rerun: false,
        outcomes: &[],
        gate: 0,
    },
];

/// The JUnit report of pipeline `p` (1-based): ten stable tests and the three under study,
/// each passing unless `outcomes` says otherwise.
fn pipeline_report(p: usize, outcomes: &[(&str, char)]) -> String {
    let mut ids: Vec<String> = (0..10).map(|i| format!("tests.test_s::test_{i}")).collect();
    ids.extend([FLAKY, SOCKET, BREAK].map(String::from));
    let mut xml = format!(
        "<?xml version=\"1.0\"?>\n<testsuite name=\"pytest\" \
         timestamp=\"2026-03-01T{:02}:00:00\">\n",
        p
    );
    for id in &ids {
        let (class, name) = id.split_once("::").unwrap();
        let outcome = outcomes
            .iter()
            .find(|(t, _)| t == id)
            .map_or('P', |(_, o)| *o);
        let body = match outcome {
            'F' => "<failure message=\"assert 1 == 2\" type=\"AssertionError\"/>",
            'G' => "<failure message=\"KeyError: 'x'\" type=\"KeyError\"/>",
            'R' => "<flakyFailure message=\"assert 1 == 2\" type=\"AssertionError\"/>",
            _ => "",
        };
        let file = class.replace('.', "/");
        xml.push_str(&format!(
            "  <testcase classname=\"{class}\" name=\"{name}\" file=\"{file}.py\" line=\"1\" \
             time=\"0.2\">{body}</testcase>\n"
        ));
    }
    xml.push_str("</testsuite>\n");
    xml
}

#[test]
fn the_github_actions_recipe_gates_twenty_pipelines() {
    let steps = recipe_steps();
    let names: Vec<&str> = steps.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Install testsift",
            "Quarantine list",
            "Run the tests",
            "Ingest",
            "Gate",
            "Job summary"
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let mut run_id = 7000;
    let mut decisions = Vec::new();
    for (i, p) in PIPELINES.iter().enumerate() {
        let n = i + 1;
        // A fresh checkout, with the cache restored into it.
        let work = dir.path().join(format!("work-{n:02}"));
        fs::create_dir_all(&work).unwrap();
        copy_dir(&cache, &work.join(".testsift"));
        fs::write(
            work.join("testsift.toml"),
            format!(
                "[[quarantine]]\ntest = \"{SOCKET}\"\nreason = \"socket reuse\"\n\
                 owner = \"@acme/net\"\nissue = \"https://example.com/7\"\nuntil = \"2099-01-01\"\n"
            ),
        )
        .unwrap();
        let summary = work.join("summary.md");
        let attempt = if p.rerun { 2 } else { 1 };
        if !p.rerun {
            run_id += 1;
        }
        let sha = format!("{:040x}", if p.rerun { n - 1 } else { n });
        let mut codes = BTreeMap::new();
        for (name, script) in &steps {
            if name == "Install testsift" {
                continue;
            }
            if name == "Run the tests" {
                let results = work.join("test-results");
                fs::create_dir_all(&results).unwrap();
                fs::write(results.join("junit.xml"), pipeline_report(n, p.outcomes)).unwrap();
                continue;
            }
            let mut cmd = step(&work, script);
            cmd.env("GITHUB_ACTIONS", "true")
                .env("GITHUB_RUN_ID", run_id.to_string())
                .env("GITHUB_RUN_ATTEMPT", attempt.to_string())
                .env("GITHUB_SHA", &sha)
                .env("GITHUB_JOB", "test")
                .env("GITHUB_WORKFLOW", "tests")
                .env("GITHUB_STEP_SUMMARY", &summary);
            if p.branch == "main" {
                cmd.env("GITHUB_REF_NAME", "main")
                    .env_remove("GITHUB_BASE_REF");
            } else {
                cmd.env("GITHUB_REF_NAME", format!("{run_id}/merge"))
                    .env("GITHUB_HEAD_REF", p.branch)
                    .env("GITHUB_BASE_REF", "main");
            }
            let out = cmd.output().unwrap();
            let code = out.status.code().unwrap();
            if name != "Gate" {
                assert_eq!(code, 0, "pipeline {n}, step {name}: {}", stderr(&out));
            } else {
                let text = stdout(&out);
                let errors = text.lines().filter(|l| l.starts_with("::error ")).count();
                assert_eq!(errors > 0, code == 1, "pipeline {n}: {text}");
            }
            codes.insert(name.clone(), (code, stdout(&out)));
        }
        decisions.push(codes["Gate"].0);
        // The quarantine list: the configured test always (once the store knows it), the flaky
        // one once `flaky` calls it flaky.
        let deselect = fs::read_to_string(work.join("deselect.txt")).unwrap();
        assert_eq!(
            deselect.contains("tests/test_quar.py::test_sock"),
            n > 1,
            "pipeline {n}: {deselect}"
        );
        assert!(
            fs::read_to_string(&summary)
                .unwrap()
                .starts_with("## testsift report"),
            "pipeline {n}: no job summary"
        );
        // The cache saved at the end of the job.
        copy_dir(&work.join(".testsift"), &cache);
    }
    let expected: Vec<i32> = PIPELINES.iter().map(|p| p.gate).collect();
    assert_eq!(decisions, expected);
}

/// The `script` lines of the GitLab CI job in docs/ci.md (a `- >` item folded into one line).
fn gitlab_script() -> Vec<String> {
    let md = fs::read_to_string(root().join("docs/ci.md")).unwrap();
    let section = &md[md.find("## GitLab CI job").unwrap()..];
    let start = section.find("```yaml\n").unwrap() + 8;
    let yaml = &section[start..start + section[start..].find("```").unwrap()];
    let mut lines = yaml
        .lines()
        .skip_while(|l| l.trim() != "script:")
        .skip(1)
        .peekable();
    let mut items = Vec::new();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with('#') {
            continue;
        }
        let Some(item) = t.strip_prefix("- ") else {
            break;
        };
        if item == ">" {
            let mut folded = Vec::new();
            while let Some(next) = lines.peek() {
                if next.trim_start().starts_with("- ") || !next.starts_with("      ") {
                    break;
                }
                folded.push(next.trim().to_string());
                lines.next();
            }
            items.push(folded.join(" "));
        } else {
            items.push(item.to_string());
        }
    }
    items
}

/// Issue 16: the GitLab CI job's script lines, run with GitLab's variables faked (a pipeline id
/// per pipeline, a new job id for a retried job, merge request pipelines on their branch with
/// main as the target) over the twenty pipelines of the GitHub test: the check's exit code is
/// the job's result, and equals the same decisions.
#[test]
fn the_gitlab_ci_job_gates_twenty_pipelines() {
    let script = gitlab_script();
    assert_eq!(script.len(), 4, "{script:?}");
    assert!(script[1].starts_with("pytest "), "{script:?}");
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (mut pipeline_id, mut job_id) = (900, 4500);
    let mut decisions = Vec::new();
    for (i, p) in PIPELINES.iter().enumerate() {
        let n = i + 1;
        let work = dir.path().join(format!("job-{n:02}"));
        fs::create_dir_all(&work).unwrap();
        copy_dir(&cache, &work.join(".testsift"));
        fs::write(
            work.join("testsift.toml"),
            format!(
                "[[quarantine]]\ntest = \"{SOCKET}\"\nreason = \"socket reuse\"\n\
                 owner = \"@acme/net\"\nissue = \"https://example.com/7\"\nuntil = \"2099-01-01\"\n"
            ),
        )
        .unwrap();
        if !p.rerun {
            pipeline_id += 1;
        }
        job_id += 1;
        let sha = format!("{:040x}", if p.rerun { n - 1 } else { n });
        let mut gate = None;
        for line in &script {
            if line.starts_with("pytest ") {
                let results = work.join("test-results");
                fs::create_dir_all(&results).unwrap();
                fs::write(results.join("junit.xml"), pipeline_report(n, p.outcomes)).unwrap();
                continue;
            }
            let mut cmd = step(&work, line);
            cmd.env("GITLAB_CI", "true")
                .env("CI_PIPELINE_ID", pipeline_id.to_string())
                .env("CI_JOB_ID", job_id.to_string())
                .env("CI_COMMIT_SHA", &sha)
                .env("CI_JOB_NAME", "test");
            if p.branch == "main" {
                cmd.env("CI_COMMIT_REF_NAME", "main")
                    .env_remove("CI_MERGE_REQUEST_TARGET_BRANCH_NAME");
            } else {
                cmd.env("CI_COMMIT_REF_NAME", p.branch)
                    .env("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", p.branch)
                    .env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main");
            }
            let out = cmd.output().unwrap();
            let code = out.status.code().unwrap();
            if line.starts_with("testsift check") {
                let xml = fs::read_to_string(work.join("testsift-gate.xml")).unwrap();
                assert_eq!(xml.contains("<failure"), code == 1, "job {n}: {xml}");
                gate = Some(code);
            } else {
                assert_eq!(code, 0, "job {n}, `{line}`: {}", stderr(&out));
            }
        }
        decisions.push(gate.expect("the script runs the check"));
        copy_dir(&work.join(".testsift"), &cache);
    }
    let expected: Vec<i32> = PIPELINES.iter().map(|p| p.gate).collect();
    assert_eq!(decisions, expected);
}

/// Issue 16: the matrix recipe of docs/ci.md. Three pipelines of two legs (`linux`, `macos`):
/// each leg ingests into its own store as its variant, the gate job merges both into the kept
/// store and gates the run. Pipeline 3's macos leg fails a test that never failed before: the
/// gate fails there only, and the merged store holds both legs of every pipeline.
#[test]
fn the_matrix_recipe_merges_the_legs_and_gates_them() {
    let steps = steps_in("## Matrix jobs, merged");
    let names: Vec<&str> = steps.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["Run the tests", "Ingest this leg", "Merge the legs", "Gate"]
    );
    let script = |name: &str, leg: &str| {
        steps
            .iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
            .replace("${{ matrix.os }}", leg)
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let run = |cwd: &Path, script: &str, run_id: u32| {
        let mut cmd = step(cwd, script);
        cmd.env("GITHUB_ACTIONS", "true")
            .env("GITHUB_RUN_ID", run_id.to_string())
            .env("GITHUB_RUN_ATTEMPT", "1")
            .env("GITHUB_SHA", format!("{run_id:040x}"))
            .env("GITHUB_REF_NAME", "main")
            .env("GITHUB_WORKFLOW", "tests");
        cmd.output().unwrap()
    };
    let mut gates = Vec::new();
    for n in 1..=3u32 {
        let run_id = 500 + n;
        let gate_dir = dir.path().join(format!("gate-{n}"));
        fs::create_dir_all(&gate_dir).unwrap();
        for leg in ["linux", "macos"] {
            let work = dir.path().join(format!("leg-{n}-{leg}"));
            let results = work.join("test-results");
            fs::create_dir_all(&results).unwrap();
            let outcomes: &[(&str, char)] = if n == 3 && leg == "macos" {
                &[(BREAK, 'F')]
            } else {
                &[]
            };
            fs::write(
                results.join("junit.xml"),
                pipeline_report(n as usize, outcomes),
            )
            .unwrap();
            let out = run(&work, &script("Ingest this leg", leg), run_id);
            assert_eq!(code(&out), 0, "{}", stderr(&out));
            copy_dir(
                &work.join("leg-store"),
                &gate_dir.join(format!("store-{leg}")),
            );
        }
        copy_dir(&cache, &gate_dir.join(".testsift"));
        let out = run(&gate_dir, &script("Merge the legs", ""), run_id);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let out = run(&gate_dir, &script("Gate", ""), run_id);
        gates.push(code(&out));
        if n == 3 {
            assert!(stdout(&out).contains("test_break"), "{}", stdout(&out));
        }
        copy_dir(&gate_dir.join(".testsift"), &cache);
    }
    assert_eq!(gates, [0, 0, 1]);
    let s = stats(&cache);
    assert_eq!(s["runs"], 6, "{s}");
}

/// A CI job that names its run's variant otherwise than the history's (GitHub's job name
/// against the history's `linux`) is told so: its failures have no run before them.
#[test]
fn a_run_of_another_variant_than_the_history_is_told_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = history(dir.path());
    let cases: Vec<(&str, char)> = TESTS
        .iter()
        .map(|t| (*t, if *t == "t.b::stable" { 'F' } else { 'P' }))
        .chain(stable_ones())
        .collect();
    let runs = dir.path().join("more");
    write_run(&runs, 8, "c8", "main", &cases);
    let out = ingest(
        &store,
        &[&runs.join("run-08")],
        &["--quiet", "--variant", "ci-job"],
    );
    assert_code(&out, 0);
    let out = check(dir.path(), &store, &["--run", "8", "--format", "json"]);
    assert_code(&out, 1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["run"]["decisions"][0]["reason"],
        "failed, and has no run of variant ci-job in the 7 runs before this one (the \
         history's runs have no variant; a run's variant comes from run.json, --variant or the \
         CI's job name: give this run the history's to judge it against them)"
    );
}

/// A run whose report was cut short (the test process was killed while writing it) fails the
/// run gate even though none of its stored tests failed: the tests after the cut are missing.
/// A run with only whole reports and no failure passes.
#[test]
fn a_truncated_report_fails_the_run_gate() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let cases: Vec<(&str, char)> = stable_ones().collect();
    write_run(&runs, 1, "c1", "main", &cases);
    write_run(&runs, 2, "c2", "main", &cases);
    // Run 2 has a second report, cut in the middle of its third test case.
    let whole = report(&[("u.v::one", 'P'), ("u.v::two", 'P'), ("u.v::three", 'F')]);
    let cut = &whole[..whole.find("name=\"three\"").unwrap() - 10];
    fs::write(runs.join("run-02").join("more.xml"), cut).unwrap();
    let store = dir.path().join("store");
    let out = ingest(&store, &[&runs], &["--quiet"]);
    assert!(stderr(&out).contains("more.xml"), "{}", stderr(&out));
    let out = check(dir.path(), &store, &["--run", "1"]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("ok: run: run 1: no test failed"));
    let out = check(dir.path(), &store, &["--run", "2"]);
    assert_code(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains(
            "run 2: no test failed; but its results are incomplete: 1 report file had errors, \
             so the tests after each error are missing ("
        ) && err.contains("more.xml"),
        "{err}"
    );
    let out = check(dir.path(), &store, &["--run", "2", "--format", "json"]);
    assert_code(&out, 1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let incomplete = v["run"]["incomplete_reports"].as_array().unwrap();
    assert_eq!(incomplete.len(), 1, "{v}");
    assert!(
        incomplete[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("more.xml"),
        "{v}"
    );
    assert!(!incomplete[0]["problem"].as_str().unwrap().is_empty());
    // The formats CI reads say it too: an error annotation, a failing test case.
    let out = check(dir.path(), &store, &["--run", "2", "--format", "github"]);
    assert_code(&out, 1);
    let text = stdout(&out);
    assert!(
        text.lines().any(
            |l| l.starts_with("::error title=testsift check%3A run::report ")
                && l.contains("more.xml had errors")
        ),
        "{text}"
    );
    let out = check(dir.path(), &store, &["--run", "2", "--format", "junit"]);
    assert_code(&out, 1);
    let xml = stdout(&out);
    assert!(xml.contains("failures=\"1\""), "{xml}");
    assert!(xml.contains("<failure type=\"incomplete-report\""), "{xml}");
}

/// `--baseline main` looks at the test's newest run on main: main's newest run may not have run
/// it (its module failed to collect there), and the failure it had before still counts.
#[test]
fn the_baseline_is_the_tests_newest_run_on_the_branch() {
    let dir = tempfile::tempdir().unwrap();
    let store = history(dir.path());
    let runs = dir.path().join("more");
    // Run 8 on main runs everything but red_main; run 9 (a pull request) fails red_main.
    let without: Vec<(&str, char)> = TESTS
        .iter()
        .map(|t| (*t, if *t == "t.d::red_main" { '-' } else { 'P' }))
        .chain(stable_ones())
        .collect();
    write_run(&runs, 8, "c8", "main", &without);
    let failing: Vec<(&str, char)> = TESTS
        .iter()
        .map(|t| (*t, if *t == "t.d::red_main" { 'F' } else { 'P' }))
        .chain(stable_ones())
        .collect();
    write_run(&runs, 9, "c9", "pr", &failing);
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    let out = check(dir.path(), &store, &["--run", "9", "--baseline", "main"]);
    assert_code(&out, 0);
    assert!(
        stdout(&out).contains("forgiven: t.d::red_main: already failing on main (run 6)"),
        "{}",
        stdout(&out)
    );
}

/// A known flake (it failed "boom" and passed on one commit) that breaks for real, failing
/// "boom" as it used to flake. A failure that survived two retries is not forgiven, since its
/// flakes never did; without retries, the first failures are forgiven as flakes until the flaky
/// model calls the streak a breakage, and from then on they fail the gate.
#[test]
fn a_known_flake_that_breaks_the_same_way_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let t = "t.a::flake";
    let outcomes: Vec<(&str, char)> = vec![
        ("c1", 'P'),
        ("c2", 'P'),
        ("c3", 'F'),
        ("c3", 'P'),
        ("c5", 'P'),
        ("c6", 'P'),
    ];
    for (id, (commit, o)) in outcomes.iter().enumerate() {
        let cases: Vec<(&str, char)> = std::iter::once((t, *o)).chain(stable_ones()).collect();
        write_run(&runs, id as u32 + 1, commit, "main", &cases);
    }
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    let decide = |id: u32, commit: &str, o: char| {
        let cases: Vec<(&str, char)> = std::iter::once((t, o)).chain(stable_ones()).collect();
        write_run(&runs, id, commit, "main", &cases);
        assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
        let out = check(
            dir.path(),
            &store,
            &["--run", &id.to_string(), "--format", "json"],
        );
        decisions(&out).remove(t).unwrap()
    };
    // Two retries failed too: not forgiven.
    assert_eq!(decide(7, "c7", 'X'), (false, "new-failure".to_string()));
    // Without retries: "boom" on c8, c9, ... is forgiven while one failure could be a flake,
    // and not once the streak is a breakage.
    let mut seen = Vec::new();
    for id in 8..=13 {
        seen.push(decide(id, &format!("c{id}"), 'F'));
    }
    assert_eq!(seen[0], (true, "known-flaky".to_string()), "{seen:?}");
    let first_broken = seen
        .iter()
        .position(|d| d.1 == "broken")
        .unwrap_or_else(|| panic!("never broken: {seen:?}"));
    assert!(
        seen[first_broken..]
            .iter()
            .all(|d| *d == (false, "broken".to_string())),
        "{seen:?}"
    );
}

/// Run folder `r{k}` of run `id` on commit `c{id}` of main, as matrix leg `variant`: `cases`
/// beside the stable ones.
fn write_leg_run(runs: &Path, k: u32, id: u32, variant: &str, cases: &[(&'static str, char)]) {
    let folder = runs.join(format!("r{k:02}"));
    fs::create_dir_all(&folder).unwrap();
    fs::write(
        folder.join("run.json"),
        format!(
            "{{\"run_id\": \"{id}\", \"commit\": \"c{id}\", \"branch\": \"main\", \
             \"variant\": \"{variant}\", \"timestamp\": \"2026-03-{id:02}T02:00:00Z\"}}\n"
        ),
    )
    .unwrap();
    let cases: Vec<(&str, char)> = cases.iter().copied().chain(stable_ones()).collect();
    fs::write(folder.join("junit.xml"), report(&cases)).unwrap();
}

/// A matrix: `flake` passed on a retry on leg `linux` before; on leg `macos` it never failed.
/// When it passes on a retry on `macos`, the other leg's evidence forgives it, and the reason
/// names that leg; `stable`, never flaky on any leg, is not forgiven.
#[test]
fn a_flake_known_on_another_leg_is_forgiven_on_this_one() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let mut k = 0;
    let mut run = |id: u32, variant: &str, cases: &[(&'static str, char)]| {
        k += 1;
        write_leg_run(&runs, k, id, variant, cases);
    };
    for id in 1..=5 {
        let o = if id == 2 { 'R' } else { 'P' };
        run(id, "linux", &[("t.a::flake", o), ("t.a::stable", 'P')]);
        run(id, "macos", &[("t.a::flake", 'P'), ("t.a::stable", 'P')]);
    }
    run(6, "macos", &[("t.a::flake", 'R'), ("t.a::stable", 'R')]);
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    let out = check(dir.path(), &store, &["--run", "6", "--format", "json"]);
    let d = decisions(&out);
    assert_eq!(d["t.a::flake"], (true, "known-flaky".to_string()), "{d:?}");
    assert_eq!(d["t.a::stable"], (false, "not-flaky".to_string()), "{d:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reason = v["run"]["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["test_id"] == "t.a::flake")
        .unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("flaky on variant linux before"), "{reason}");
}

/// A matrix where `flake` flaked on leg `linux` without retries (lone failures the next run did
/// not repeat, which only the flaky model calls flaky), or with a retry that passed, and then
/// fails the same way on `macos`, where it never failed: the first failure there is forgiven by
/// the other leg's evidence, the leg named (the flaky model of `macos` alone calls a first
/// failure a breakage); failing again on the next `macos` run, it is the model's to judge, and
/// a third failure in a row is not forgiven.
#[test]
fn a_flake_known_on_another_leg_only_by_the_model_or_a_hard_retry_is_forgiven_once() {
    for retried in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let mut k = 0;
        let mut run = |id: u32, variant: &str, o: char| {
            k += 1;
            write_leg_run(&runs, k, id, variant, &[("t.a::flake", o)]);
        };
        for id in 1..=10 {
            let linux = match (id, retried) {
                (2 | 5 | 8, false) => 'F',
                (2 | 5 | 8, true) => 'R',
                _ => 'P',
            };
            run(id, "linux", linux);
            run(id, "macos", 'P');
        }
        run(11, "macos", 'F');
        let store = dir.path().join("store");
        assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
        let gate = |id: u32| {
            let out = check(
                dir.path(),
                &store,
                &["--run", &id.to_string(), "--format", "json"],
            );
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            let d = &v["run"]["decisions"][0];
            (
                d["because"].as_str().unwrap().to_string(),
                d["reason"].as_str().unwrap().to_string(),
            )
        };
        let (because, reason) = gate(11);
        assert_eq!(because, "known-flaky", "retried {retried}: {reason}");
        assert!(reason.contains("on variant linux"), "{reason}");
        // `flaky` agrees: a first failure on macos the way linux flakes is no fresh breakage.
        let out = testsift()
            .args(["flaky", "--format", "json", "--store"])
            .arg(&store)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let macos = v["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["test_id"] == "t.a::flake" && t["variant"] == "macos")
            .unwrap()["verdict"]
            .clone();
        assert_eq!(macos, "flaky", "retried {retried}");
        let mut next = Vec::new();
        for id in 12..=13 {
            run(id, "macos", 'F');
            assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
            next.push(gate(id));
        }
        assert_ne!(next[1].0, "known-flaky", "retried {retried}: {next:?}");
    }
}

/// A known flake (it failed "boom" and passed on a re-run of the same commit, twice) fails
/// "boom" on main's newest run and again on a pull request based on it: the flaky model calls
/// the two failures a breakage, and with `--baseline main` it is main's, forgiven on the pull
/// request as a stable test failing there the same way is.
#[test]
fn a_known_flake_failing_on_the_baseline_too_is_the_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let mut id = 0u32;
    let mut run = |commit: &str, branch: &str, flake: char, other: char| {
        id += 1;
        let folder = runs.join(format!("run-{id:03}"));
        fs::create_dir_all(&folder).unwrap();
        fs::write(
            folder.join("run.json"),
            format!(
                "{{\"run_id\": \"{id}\", \"commit\": \"{commit}\", \"branch\": \"{branch}\", \
                 \"timestamp\": \"2026-03-01T{:02}:{:02}:00Z\"}}\n",
                id / 60,
                id % 60
            ),
        )
        .unwrap();
        let cases: Vec<(&str, char)> = [("t.a::flake", flake), ("t.a::other", other)]
            .into_iter()
            .chain(stable_ones())
            .collect();
        fs::write(folder.join("junit.xml"), report(&cases)).unwrap();
        id
    };
    for c in 1..=80 {
        let commit = format!("c{c}");
        if c % 20 == 0 {
            run(&commit, "main", 'F', 'P');
        }
        run(&commit, "main", 'P', 'P');
    }
    run("c81", "main", 'F', 'G');
    let pr = run("p1", "feat", 'F', 'G');
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    let out = check(
        dir.path(),
        &store,
        &[
            "--run",
            &pr.to_string(),
            "--baseline",
            "main",
            "--format",
            "json",
        ],
    );
    let d = decisions(&out);
    assert_eq!(
        d["t.a::other"],
        (true, "failing-on-baseline".to_string()),
        "{d:?}"
    );
    assert_eq!(
        d["t.a::flake"],
        (true, "failing-on-baseline".to_string()),
        "{d:?}"
    );
    assert_code(&out, 0);
}

/// Main runs on one CI (variant `bk`), pull requests on another (variant `gh`): a test already
/// red on main is forgiven on the pull request with `--baseline main`, the other variant named.
#[test]
fn the_baseline_is_read_across_variants_when_the_branch_ran_under_another() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let write = |k: u32, branch: &str, variant: &str, cases: &[(&'static str, char)]| {
        let folder = runs.join(format!("r{k:02}"));
        fs::create_dir_all(&folder).unwrap();
        fs::write(
            folder.join("run.json"),
            format!(
                "{{\"run_id\": \"{k}\", \"commit\": \"c{k}\", \"branch\": \"{branch}\", \
                 \"variant\": \"{variant}\", \"timestamp\": \"2026-03-{k:02}T02:00:00Z\"}}\n"
            ),
        )
        .unwrap();
        let cases: Vec<(&str, char)> = cases.iter().copied().chain(stable_ones()).collect();
        fs::write(folder.join("junit.xml"), report(&cases)).unwrap();
    };
    for k in 1..=6 {
        let o = if k >= 5 { 'F' } else { 'P' };
        write(k, "main", "bk", &[("t.a::red", o)]);
    }
    write(7, "pr-7", "gh", &[("t.a::red", 'F')]);
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    let out = check(
        dir.path(),
        &store,
        &["--run", "7", "--baseline", "main", "--format", "json"],
    );
    assert_code(&out, 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["run"]["decisions"][0];
    assert_eq!(d["because"], "failing-on-baseline", "{d}");
    assert!(
        d["reason"]
            .as_str()
            .unwrap()
            .contains("(run 6, variant bk)"),
        "{d}"
    );
}

/// jest-junit writes no retries, and CI re-runs are rare: a test failing "boom" now and then,
/// each time passing on the next commit, is flaky by `flaky`'s model without retry or
/// same-commit evidence. The gate agrees: failing "boom" again is forgiven, failing otherwise
/// is a new failure (and says why).
#[test]
fn a_flake_known_only_to_the_model_is_forgiven_when_it_fails_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    for id in 1..=20 {
        let o = if [3, 8, 13, 17].contains(&id) {
            'F'
        } else {
            'P'
        };
        let cases: Vec<(&str, char)> = [("t.a::lone", o), ("t.a::other", 'P')]
            .into_iter()
            .chain(stable_ones())
            .collect();
        write_run(&runs, id, &format!("c{id}"), "main", &cases);
    }
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    let flaky = testsift()
        .args(["flaky", "--format", "json", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&flaky.stdout).unwrap();
    let lone = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "lone")
        .unwrap();
    assert_eq!(lone["verdict"], "flaky", "{lone}");
    let decide_on = |id: u32, commit: &str, o: char| {
        let cases: Vec<(&str, char)> = [("t.a::lone", o), ("t.a::other", 'P')]
            .into_iter()
            .chain(stable_ones())
            .collect();
        write_run(&runs, id, commit, "pr", &cases);
        assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
        let out = check(
            dir.path(),
            &store,
            &["--run", &id.to_string(), "--format", "json"],
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let d = v["run"]["decisions"][0].clone();
        (
            d["because"].as_str().unwrap().to_string(),
            d["reason"].as_str().unwrap().to_string(),
        )
    };
    let decide = |id: u32, o: char| decide_on(id, &format!("c{id}"), o);
    let (because, reason) = decide(21, 'F');
    assert_eq!(because, "known-flaky", "{reason}");
    assert!(reason.contains("testsift flaky calls it flaky"), "{reason}");
    let (because, reason) = decide(22, 'G');
    assert_eq!(because, "new-failure", "{reason}");
    assert!(reason.contains("never failed this way"), "{reason}");
    // The job re-run on the same commit fails the same new way: that failure is in the history
    // now, and the model may count it among the flakes, but nothing after it passed, so it is
    // not forgiven as one. Nor on the next push, failing that way again.
    let (because, reason) = decide_on(23, "c22", 'G');
    assert!(!matches!(because.as_str(), "known-flaky"), "{reason}");
    let (because, reason) = decide(24, 'G');
    assert!(!matches!(because.as_str(), "known-flaky"), "{reason}");
}

/// `--baseline main` forgives a failure main already has the same way, not one of the
/// pull request's own: main's newest run an infrastructure failure (every test failed: a
/// broken runner) is no evidence, and main failing the test with another message is not the
/// failure the pull request brought.
#[test]
fn the_baseline_is_neither_an_infrastructure_run_nor_another_failure() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let with_stable = |o: char| -> Vec<(&'static str, char)> {
        std::iter::once(("t.a::x", o))
            .chain(stable_ones())
            .collect()
    };
    for id in 1..=6 {
        write_run(&runs, id, &format!("c{id}"), "main", &with_stable('P'));
    }
    // Run 7: the runner's disk was full; every test failed.
    let all_failed: Vec<(&str, char)> = with_stable('P')
        .into_iter()
        .map(|(t, _)| (t, 'F'))
        .collect();
    write_run(&runs, 7, "c7", "main", &all_failed);
    write_run(&runs, 8, "p1", "pr", &with_stable('F'));
    let store = dir.path().join("store");
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    let decide = |run: &str| {
        let out = check(
            dir.path(),
            &store,
            &["--run", run, "--baseline", "main", "--format", "json"],
        );
        decisions(&out).remove("t.a::x").unwrap()
    };
    assert_eq!(decide("8"), (false, "not-flaky".to_string()));
    // Main really red on x ("boom"), the pull request failing x otherwise: not forgiven; the
    // same way: forgiven.
    write_run(&runs, 9, "c9", "main", &with_stable('F'));
    write_run(&runs, 10, "p2", "pr", &with_stable('G'));
    write_run(&runs, 11, "p3", "pr", &with_stable('F'));
    assert_code(&ingest(&store, &[&runs], &["--quiet"]), 0);
    assert!(!decide("10").0, "{:?}", decide("10"));
    // The reason says main is red on it too, another way, so nobody wonders why the
    // baseline did not forgive it.
    let out = check(
        dir.path(),
        &store,
        &["--run", "10", "--baseline", "main", "--format", "json"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("too (run 9), but another way (fingerprint "),
        "{text}"
    );
    assert_eq!(decide("11"), (true, "failing-on-baseline".to_string()));
}

//! Issue 14 end to end: verdicts on a history shaped like real CI (pull-request branches on the
//! commits of main, re-runs, a crashed shard, a one-commit breakage), written by a loop here so
//! that every execution is visible in the test.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

/// One run: (run id, attempt, commit, branch, failing tests of shard 1, shard 2 crashed).
type Run = (
    &'static str,
    u32,
    &'static str,
    &'static str,
    &'static [usize],
    bool,
);

/// Twelve runs, two shards of six tests each (`a0`..`a5` in shard 1, `b0`..`b5` in shard 2).
/// Run 4 is `ci-4`, whose shard 2 crashed (every test errors with one message); its re-run
/// `ci-4#2` on the same commit passes. Commit c6 broke `a0`: it failed on the pull-request
/// branch, on main and in main's re-run; c7 fixed it.
const RUNS: [Run; 12] = [
    ("ci-1", 1, "c1", "main", &[], false),
    ("ci-2", 1, "c2", "main", &[], false),
    ("ci-3", 1, "c3", "main", &[], false),
    ("ci-4", 1, "c4", "main", &[], true),
    ("ci-4", 2, "c4", "main", &[], false),
    ("ci-5", 1, "c5", "main", &[], false),
    ("ci-6", 1, "c6", "pr-6", &[0], false),
    ("ci-7", 1, "c6", "main", &[0], false),
    ("ci-7", 2, "c6", "main", &[0], false),
    ("ci-8", 1, "c7", "main", &[], false),
    ("ci-9", 1, "c8", "main", &[], false),
    ("ci-10", 1, "c9", "main", &[], false),
];

fn write_history(dir: &Path) {
    for (k, &(run_id, attempt, commit, branch, failing, crashed)) in RUNS.iter().enumerate() {
        let run = dir.join(format!("run-{:02}", k + 1));
        fs::create_dir_all(run.join("shard-1")).unwrap();
        fs::create_dir_all(run.join("shard-2")).unwrap();
        fs::write(
            run.join("run.json"),
            format!(
                r#"{{"run_id": "{run_id}", "attempt": {attempt}, "commit": "{commit}", "branch": "{branch}", "timestamp": "2026-11-01T{:02}:00:00Z"}}"#,
                k + 1
            ),
        )
        .unwrap();
        let case = |name: String, body: &str| {
            format!(r#"<testcase classname="app.Tests" name="{name}" time="0.1">{body}</testcase>"#)
        };
        let shard1: String = (0..6)
            .map(|t| {
                let body = if failing.contains(&t) {
                    r#"<failure message="expected 3 but was 4"/>"#
                } else {
                    ""
                };
                case(format!("a{t}"), body)
            })
            .collect();
        let shard2: String = (0..6)
            .map(|t| {
                let body = if crashed {
                    r#"<error message="worker 'gw1' crashed while running this test"/>"#
                } else {
                    ""
                };
                case(format!("b{t}"), body)
            })
            .collect();
        for (shard, cases) in [("shard-1", shard1), ("shard-2", shard2)] {
            fs::write(
                run.join(shard).join("junit.xml"),
                format!(r#"<testsuite name="{shard}">{cases}</testsuite>"#),
            )
            .unwrap();
        }
    }
}

/// `testsift flaky --format FORMAT` over `history`, ingested into a store of its own.
fn flaky_out(history: &Path, format: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = ingest(&store, &[history], &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = testsift()
        .arg("flaky")
        .arg("--store")
        .arg(&store)
        .args(["--format", format])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    out.stdout
}

fn flaky_json(history: &Path) -> Value {
    serde_json::from_slice(&flaky_out(history, "json")).unwrap()
}

fn verdict<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no test {name}"))
}

#[test]
fn a_crashed_shard_is_infrastructure_and_a_one_commit_breakage_is_fixed() {
    let dir = tempfile::tempdir().unwrap();
    write_history(dir.path());
    let r = flaky_json(dir.path());
    assert_eq!(r["summary"]["runs"], 12);

    // The crash: one report set aside, its tests are not flaky.
    let infra = r["infrastructure_runs"].as_array().unwrap();
    assert_eq!(infra.len(), 1, "{infra:?}");
    assert_eq!(infra[0]["level"], "report");
    assert_eq!(infra[0]["run"], "ci-4");
    assert_eq!(infra[0]["failed"], 6);
    assert!(infra[0]["report"].as_str().unwrap().contains("shard-2"));
    assert_eq!(infra[0]["fingerprint"].as_str().unwrap().len(), 16);
    assert!(infra[0]["message"].as_str().unwrap().contains("crashed"));
    assert_eq!(r["summary"]["infrastructure_reports"], 1);
    for t in 0..6 {
        let v = verdict(&r, &format!("b{t}"));
        assert_eq!(v["verdict"], "stable", "b{t}");
        assert_eq!(v["runs"], 11, "b{t}");
    }

    // The breakage: failed in all three runs of c6 on two branches, passed before and after.
    let a0 = verdict(&r, "a0");
    assert_eq!(a0["verdict"], "fixed");
    assert_eq!(a0["breakage"]["first_bad"]["commit"], "c6");
    assert_eq!(a0["breakage"]["first_bad"]["run"], "ci-6");
    assert_eq!(a0["breakage"]["fixed_by"]["commit"], "c7");
    assert_eq!(a0["breakage"]["executions"], 3);
    assert_eq!(a0["breakage"]["commits"], 1);
    assert_eq!(a0["flips"], 0);
    let groups = r["breakage_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["tests"][0], "app.Tests::a0");
    assert_eq!(groups[0]["verdict"], "fixed");
    assert_eq!(r["summary"]["flaky"], 0);
}

/// Writes one pytest-shaped run: `cases` are (classname, name, failed) in one `junit.xml`.
fn write_pytest_run(
    dir: &Path,
    k: usize,
    commit: &str,
    branch: &str,
    cases: &[(&str, &str, bool)],
) {
    let run = dir.join(format!("run-{k:02}"));
    fs::create_dir_all(&run).unwrap();
    fs::write(
        run.join("run.json"),
        format!(
            r#"{{"run_id": "{k}", "commit": "{commit}", "branch": "{branch}", "timestamp": "2026-11-01T{k:02}:00:00Z"}}"#
        ),
    )
    .unwrap();
    let cases: String = cases
        .iter()
        .map(|(class, name, failed)| {
            let body = if *failed {
                r#"<error message="collection failure">ImportError</error>"#
            } else {
                ""
            };
            format!(r#"<testcase classname="{class}" name="{name}" time="0.1">{body}</testcase>"#)
        })
        .collect();
    fs::write(
        run.join("junit.xml"),
        format!(r#"<testsuites name="pytest tests"><testsuite name="pytest">{cases}</testsuite></testsuites>"#),
    )
    .unwrap();
}

/// Writes numbered pytest-shaped runs of two tests of `class`: `runs(commit, branch, failed)`
/// writes the next run, `tests[0]` failing when `failed`, `tests[1]` passing.
fn two_test_runs<'a>(
    dir: &'a Path,
    class: &'a str,
    tests: [&'a str; 2],
) -> impl FnMut(&str, &str, bool) + 'a {
    let mut k = 0;
    move |commit, branch, failed| {
        k += 1;
        write_pytest_run(
            dir,
            k,
            commit,
            branch,
            &[(class, tests[0], failed), (class, tests[1], false)],
        );
    }
}

/// A pull-request branch cut before a breakage, run while main is broken, passes: it does not
/// have the breaking change, so its passes neither end main's breakage nor make it flaky.
/// Main: c1..c4 pass, c5..c12 fail; branch `docs` (its own commits d1, d2) passes in between.
#[test]
fn a_stale_pull_request_branch_passing_leaves_mains_breakage_broken() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = two_test_runs(
        dir.path(),
        "tests.test_parse",
        ["test_strict", "test_loose"],
    );
    for c in 1..=12 {
        run(&format!("c{c}"), "main", c >= 5);
        if c == 7 || c == 10 {
            run(&format!("d{c}"), "docs", false);
        }
    }
    let r = flaky_json(dir.path());
    let t = verdict(&r, "test_strict");
    assert_eq!(t["verdict"], "broken", "{t}");
    assert_eq!(t["breakage"]["first_bad"]["commit"], "c5", "{t}");
    assert_eq!(t["breakages"].as_array().unwrap().len(), 1, "{t}");
    assert_eq!(t["flaky_executions"], 0, "{t}");
}

/// pytest writes a module that failed to import as a test case with an empty classname, named
/// after the module. When the next commit fixes the import, the module's tests run again and
/// that entry is gone: it is fixed then, not broken for as long as it stays in the window.
#[test]
fn a_collection_error_is_fixed_when_its_modules_tests_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let module = [
        ("tests.test_regress", "test_a", false),
        ("tests.test_regress.TestCache", "test_ttl", false),
        ("tests.test_other", "test_b", false),
    ];
    for k in 1..=8 {
        let cases: Vec<(&str, &str, bool)> = if k == 5 {
            vec![("", "tests.test_regress", true), module[2]]
        } else {
            module.to_vec()
        };
        write_pytest_run(dir.path(), k, &format!("c{k}"), "main", &cases);
    }
    let r = flaky_json(dir.path());
    let t = verdict(&r, "tests.test_regress");
    assert_eq!(t["verdict"], "fixed", "{t}");
    assert_eq!(t["breakage"]["first_bad"]["run"], "5", "{t}");
    assert_eq!(t["breakage"]["fixed_by"]["run"], "6", "{t}");
    // Its runs: the one it errored in and the seven where the module's tests ran.
    assert_eq!(t["runs"], 8, "{t}");
    assert_eq!(verdict(&r, "test_b")["verdict"], "stable");
}

/// A matrix: `linux` runs every commit, `windows` every third. Commits c9 and c10 broke a test
/// on both; windows ran only c10 of them, so its one failure alone would read as a flake (and
/// put the test in quarantine for both legs). The linux breakage says what it was: fixed.
#[test]
fn a_variant_that_ran_one_broken_commit_shares_the_other_variants_breakage() {
    let dir = tempfile::tempdir().unwrap();
    let mut k = 0;
    for c in 1..=24 {
        for variant in ["linux", "windows"] {
            if variant == "windows" && c % 3 != 1 {
                continue;
            }
            k += 1;
            let failed = (9..=10).contains(&c);
            let run = dir.path().join(format!("run-{k:02}"));
            fs::create_dir_all(&run).unwrap();
            fs::write(
                run.join("run.json"),
                format!(
                    r#"{{"run_id": "{c}", "commit": "c{c}", "branch": "main", "variant": "{variant}", "timestamp": "2026-11-{c:02}T00:00:00Z"}}"#
                ),
            )
            .unwrap();
            let body = if failed {
                r#"<failure message="ttl expired too early"/>"#
            } else {
                ""
            };
            fs::write(
                run.join("junit.xml"),
                format!(
                    r#"<testsuite name="s"><testcase classname="t.cache" name="ttl" time="0.1">{body}</testcase><testcase classname="t.cache" name="ok" time="0.1"/></testsuite>"#
                ),
            )
            .unwrap();
        }
    }
    let r = flaky_json(dir.path());
    let legs: Vec<&Value> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == "ttl")
        .collect();
    assert_eq!(legs.len(), 2);
    for t in legs {
        assert_eq!(t["verdict"], "fixed", "{t}");
        assert_eq!(t["flaky_executions"], 0, "{t}");
    }
}

/// jest-junit with `classNameTemplate "{classname}"` writes an empty classname for a test
/// outside any `describe`. That alone is no collection error: a flaky such test is flaky.
#[test]
fn an_empty_classname_alone_is_no_collection_error() {
    let dir = tempfile::tempdir().unwrap();
    for k in 1..=40 {
        let run = dir.path().join(format!("run-{k:02}"));
        fs::create_dir_all(&run).unwrap();
        fs::write(
            run.join("run.json"),
            format!(
                r#"{{"run_id": "{k}", "commit": "c{k}", "branch": "main", "timestamp": "2026-11-01T{:02}:{:02}:00Z"}}"#,
                k / 60,
                k % 60
            ),
        )
        .unwrap();
        let body = if k % 6 == 3 {
            "<failure>Error: expected 200, got 503</failure>"
        } else {
            ""
        };
        fs::write(
            run.join("junit.xml"),
            format!(
                r#"<testsuites name="jest tests"><testsuite name="api.test.js"><testcase classname="" name="fetchUser" time="0.1">{body}</testcase><testcase classname="" name="listUsers" time="0.1"/></testsuite></testsuites>"#
            ),
        )
        .unwrap();
    }
    let r = flaky_json(dir.path());
    let t = verdict(&r, "fetchUser");
    assert_eq!(t["verdict"], "flaky", "{t}");
    assert_eq!(t["breakages"].as_array().unwrap().len(), 0, "{t}");
}

/// A pull request's own failure as the newest run: the test is broken on that branch only,
/// and the window's `broken` gate (a nightly check of the trunk) does not trip on it. Once the
/// trunk fails the same way, it does.
#[test]
fn a_pull_requests_own_breakage_does_not_fail_the_trunks_gate() {
    let dir = tempfile::tempdir().unwrap();
    let cases = |failed: bool| {
        [
            ("tests.test_parse", "test_strict", failed),
            ("tests.test_parse", "test_loose", false),
        ]
    };
    for k in 1..=10 {
        write_pytest_run(dir.path(), k, &format!("c{k}"), "main", &cases(false));
    }
    write_pytest_run(dir.path(), 11, "p1", "fix-parser", &cases(true));
    let store = tempfile::tempdir().unwrap();
    let store = store.path().join("store");
    let out = ingest(&store, &[dir.path()], &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let check = |store: &Path| {
        testsift()
            .arg("check")
            .arg("--store")
            .arg(store)
            .args(["--format", "json"])
            .output()
            .unwrap()
    };
    let out = check(&store);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{r}");
    let gate = r["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == "broken")
        .unwrap();
    let reason = gate["reason"].as_str().unwrap();
    assert!(reason.contains("test_strict (on fix-parser)"), "{reason}");

    let r = flaky_json(dir.path());
    let t = verdict(&r, "test_strict");
    assert_eq!(t["verdict"], "broken", "{t}");
    assert_eq!(t["breakage"]["branch"], "fix-parser", "{t}");

    // The trunk breaks the same way: now the gate trips.
    write_pytest_run(dir.path(), 12, "c11", "main", &cases(true));
    let store2 = tempfile::tempdir().unwrap();
    let store2 = store2.path().join("store");
    let out = ingest(&store2, &[dir.path()], &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = check(&store2);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A pull request's bug on two matrix legs: its one commit `p1` fails `parse` on both legs,
/// and the next push `p2` fixes it. Each leg alone has one failure in 24 runs, which reads as
/// a flake; both legs failing outright on the one commit is the code's doing: `fixed` on both.
/// `net` fails on each leg on commits of its own (never both on one): flaky on both.
#[test]
fn two_legs_failing_on_one_commit_is_a_breakage_not_two_flakes() {
    let dir = tempfile::tempdir().unwrap();
    let mut k = 0;
    let mut commits: Vec<(String, &str)> = (1..=10).map(|c| (format!("c{c}"), "main")).collect();
    commits.push(("p1".into(), "fix-parser"));
    commits.push(("p2".into(), "fix-parser"));
    commits.extend((11..=22).map(|c| (format!("c{c}"), "main")));
    for (n, (commit, branch)) in commits.iter().enumerate() {
        for (leg, variant) in ["py311", "py312"].into_iter().enumerate() {
            k += 1;
            let parse_fails = commit == "p1";
            let net_fails = (leg == 0 && (n == 4 || n == 15)) || (leg == 1 && (n == 8 || n == 19));
            let run = dir.path().join(format!("run-{k:02}"));
            fs::create_dir_all(&run).unwrap();
            fs::write(
                run.join("run.json"),
                format!(
                    r#"{{"run_id": "{n}", "commit": "{commit}", "branch": "{branch}", "variant": "{variant}", "timestamp": "2026-11-{:02}T{:02}:00:00Z"}}"#,
                    1 + n / 20,
                    n % 20
                ),
            )
            .unwrap();
            let case = |name: &str, fails: bool| {
                let body = if fails {
                    r#"<failure message="assert 1 == 2"/>"#
                } else {
                    ""
                };
                format!(
                    r#"<testcase classname="tests.test_io" name="{name}" time="0.1">{body}</testcase>"#
                )
            };
            fs::write(
                run.join("junit.xml"),
                format!(
                    r#"<testsuite name="pytest">{}{}{}</testsuite>"#,
                    case("parse", parse_fails),
                    case("net", net_fails),
                    case("ok", false)
                ),
            )
            .unwrap();
        }
    }
    let r = flaky_json(dir.path());
    let of = |name: &str| -> Vec<Value> {
        r["tests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["name"] == name)
            .cloned()
            .collect()
    };
    assert_eq!(of("parse").len(), 2);
    for t in of("parse") {
        assert_eq!(t["verdict"], "fixed", "{t}");
        assert_eq!(t["breakage"]["first_bad"]["commit"], "p1", "{t}");
        assert_eq!(t["breakage"]["fixed_by"]["commit"], "p2", "{t}");
    }
    for t in of("net") {
        assert_eq!(t["verdict"], "flaky", "{t}");
    }
}

/// gotestsum writes a Go package that failed to build as `<testcase classname="" name="TestMain">`
/// in the package's testsuite, failing with `message="Failed"` and `FAIL\tpkg [build failed]` in
/// its body (the shape gotestsum 1.8.2 wrote for Go 1.23.5). When the build is fixed the package's
/// tests run again and that entry is gone: it is fixed then, not broken while it stays in the
/// window. `ex/b` fails to build in run 5; `ex/d`, written with `--junitfile-testcase-classname
/// short` (classname `.` for TestMain, the last element as suite and classname), in run 6. A
/// TestMain that ran and failed (`ex/c`, from run 7 on) is a test like any other: broken.
#[test]
fn a_go_build_failure_is_fixed_when_its_packages_tests_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let build_failed = |class: &str, pkg: &str| {
        format!(
            "<testcase classname=\"{class}\" name=\"TestMain\" time=\"0.000000\">\
             <failure message=\"Failed\" type=\"\">FAIL&#x9;{pkg} [build failed]&#xA;</failure></testcase>"
        )
    };
    for k in 1..=9usize {
        let run = dir.path().join(format!("run-{k:02}"));
        fs::create_dir_all(&run).unwrap();
        fs::write(
            run.join("run.json"),
            format!(
                r#"{{"run_id": "{k}", "commit": "c{k}", "branch": "main", "timestamp": "2026-11-01T{k:02}:00:00Z"}}"#
            ),
        )
        .unwrap();
        let b = if k == 5 {
            build_failed("", "example.com/ex/b")
        } else {
            r#"<testcase classname="ex/b" name="TestOne" time="0.1"/>"#.to_string()
        };
        let d = if k == 6 {
            build_failed(".", "example.com/ex/d")
        } else {
            r#"<testcase classname="d" name="TestTwo" time="0.1"/>"#.to_string()
        };
        let c = if k >= 7 {
            r#"<failure message="Failed" type="">=== RUN   TestMain&#xA;    main_test.go:3: no&#xA;</failure>"#
        } else {
            ""
        };
        fs::write(
            run.join("junit.xml"),
            format!(
                "<testsuites><testsuite name=\"ex/b\">{b}</testsuite><testsuite name=\"d\">{d}</testsuite>\
                 <testsuite name=\"ex/c\"><testcase classname=\"ex/c\" name=\"TestMain\" time=\"0.1\">{c}</testcase></testsuite></testsuites>"
            ),
        )
        .unwrap();
    }
    let r = flaky_json(dir.path());
    let main: Vec<&Value> = r["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == "TestMain")
        .collect();
    let t = |id: &str| {
        *main
            .iter()
            .find(|t| t["test_id"] == id)
            .unwrap_or_else(|| panic!("no {id} in {main:?}"))
    };
    for (id, run) in [("ex/b::TestMain", "5"), ("d::TestMain", "6")] {
        let t = t(id);
        assert_eq!(t["verdict"], "fixed", "{t}");
        assert_eq!(t["breakage"]["first_bad"]["run"], run, "{t}");
        // Its runs: the one it failed in and the eight where the package's tests ran.
        assert_eq!(t["runs"], 9, "{t}");
    }
    assert_eq!(t("ex/c::TestMain")["verdict"], "broken");
}

/// A pull request's own breakage over three pushes, with main's passing runs in between: main
/// never had the branch's change, so its passes do not end the branch's breakage; the branch's
/// next passing push does. `fixed` (only on the branch), not three lone flakes.
#[test]
fn a_branch_breakage_over_several_pushes_is_not_ended_by_mains_passes() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = two_test_runs(
        dir.path(),
        "tests.test_search",
        ["test_ranks", "test_other"],
    );
    for c in 1..=8 {
        run(&format!("c{c}"), "main", false);
    }
    run("p1", "feat", false);
    for (p, c) in [(2, 9), (3, 10), (4, 11)] {
        run(&format!("c{c}"), "main", false);
        run(&format!("p{p}"), "feat", true);
    }
    run("c12", "main", false);
    run("p5", "feat", false);
    for c in 13..=20 {
        run(&format!("c{c}"), "main", false);
    }
    let r = flaky_json(dir.path());
    let t = verdict(&r, "test_ranks");
    assert_eq!(t["verdict"], "fixed", "{t}");
    assert_eq!(t["breakage"]["first_bad"]["commit"], "p2", "{t}");
    assert_eq!(t["breakage"]["fixed_by"]["commit"], "p5", "{t}");
    assert_eq!(t["breakage"]["branch"], "feat", "{t}");
    assert_eq!(t["flaky_executions"], 0, "{t}");
}

/// The commonest pull request of all: its first push breaks a test (one failed run, no
/// retries, one leg), and its next push passes. In a short window that one failure is all the
/// test has: the push fixed the change, so the test is `fixed` on the branch, not `flaky` and
/// quarantined. The same failure on main, fixed by main's next commit, stays a flake there.
#[test]
fn a_pull_request_failure_its_next_push_fixed_is_not_a_flake() {
    for (branch, expected) in [("feat/login", "fixed"), ("main", "flaky")] {
        let dir = tempfile::tempdir().unwrap();
        let mut run = two_test_runs(dir.path(), "tests.test_login", ["test_token", "test_other"]);
        for c in 1..=6 {
            run(&format!("c{c}"), "main", false);
        }
        run("p1", branch, true);
        run("c7", "main", false);
        run("p2", branch, false);
        for c in 8..=11 {
            run(&format!("c{c}"), "main", false);
        }
        let r = flaky_json(dir.path());
        let t = verdict(&r, "test_token");
        assert_eq!(t["verdict"], expected, "{branch}: {t}");
        if expected == "fixed" {
            assert_eq!(t["breakage"]["first_bad"]["commit"], "p1", "{t}");
            assert_eq!(t["breakage"]["fixed_by"]["commit"], "p2", "{t}");
            assert_eq!(t["breakage"]["branch"], "feat/login", "{t}");
            let out = flaky_out(dir.path(), "table");
            let text = String::from_utf8_lossy(&out);
            assert!(
                text.contains("only on branch feat/login"),
                "the table names the branch: {text}"
            );
        }
    }
}

/// An outage: twelve tests of a one-report run fail with one message on three commits in a
/// row, and the re-run of the third commit passes. The commit passed, so it was not the code:
/// the three sets are infrastructure (the earlier two are the same outage going on), and the
/// twelve tests stay stable instead of flaky.
#[test]
fn an_outage_that_a_rerun_ends_is_infrastructure_not_twelve_flakes() {
    // Also when the twelve are 2% of a run of 600: the re-run is the evidence.
    for local in [12, 588] {
        let r = outage_history(true, local);
        for i in 0..12 {
            let t = verdict(&r, &format!("test_remote_{i}"));
            assert_eq!(t["verdict"], "stable", "{t}");
        }
        assert_eq!(
            r["summary"]["infrastructure_fingerprints"], 3,
            "{}",
            r["summary"]
        );
        let sets = r["infrastructure_runs"].as_array().unwrap();
        assert!(sets.iter().all(|s| s["level"] == "outage"), "{sets:?}");
    }
    // gotestsum 1.8.2 (go 1.19) writes each test's name around the same output.
    let r = outage_history_as(true, 12, true);
    for i in 0..12 {
        let t = verdict(&r, &format!("test_remote_{i}"));
        assert_eq!(t["verdict"], "stable", "{t}");
    }
    // Without the re-run, the next commit passing is what a fix looks like: a breakage of
    // twelve tests, fixed.
    let r = outage_history(false, 12);
    for i in 0..12 {
        let t = verdict(&r, &format!("test_remote_{i}"));
        assert_eq!(t["verdict"], "fixed", "{t}");
    }
    assert_eq!(
        r["summary"]["infrastructure_fingerprints"], 0,
        "{}",
        r["summary"]
    );
}

/// Twelve remote tests failing with one message on c11..c13, then passing; with `rerun`, c13
/// is run again (and passes) before c14.
fn outage_history(rerun: bool, local_tests: usize) -> Value {
    outage_history_as(rerun, local_tests, false)
}

/// [`outage_history`], its failures written as gotestsum writes them (`go`): go's framing
/// around the output names each test.
fn outage_history_as(rerun: bool, local_tests: usize, go: bool) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let remote: Vec<String> = (0..12).map(|i| format!("test_remote_{i}")).collect();
    let local: Vec<String> = (0..local_tests)
        .map(|i| format!("test_local_{i}"))
        .collect();
    let mut k = 0;
    let mut run = |commit: &str, outage: bool| {
        k += 1;
        let run = dir.path().join(format!("run-{k:02}"));
        fs::create_dir_all(&run).unwrap();
        fs::write(
            run.join("run.json"),
            format!(
                r#"{{"run_id": "{k}", "commit": "{commit}", "branch": "main", "timestamp": "2026-11-01T{k:02}:00:00Z"}}"#
            ),
        )
        .unwrap();
        let mut cases = String::new();
        for (i, name) in remote.iter().enumerate() {
            let body = if outage && go {
                format!(
                    r#"<failure message="Failed" type="">=== RUN   {name}&#xA;    helper_test.go:46: dial tcp 10.0.3.7:8443: connect: connection refused&#xA;--- FAIL: {name} (0.{i:02}s)&#xA;</failure>"#
                )
            } else if outage {
                format!(
                    r#"<failure message="connect ECONNREFUSED 10.20.0.5:443 (port {})">x</failure>"#,
                    4000 + i
                )
            } else {
                String::new()
            };
            cases.push_str(&format!(
                r#"<testcase classname="tests.test_api" name="{name}" time="0.1">{body}</testcase>"#
            ));
        }
        for name in &local {
            cases.push_str(&format!(
                r#"<testcase classname="tests.test_core" name="{name}" time="0.1"/>"#
            ));
        }
        fs::write(
            run.join("junit.xml"),
            format!(r#"<testsuite name="pytest">{cases}</testsuite>"#),
        )
        .unwrap();
    };
    for c in 1..=10 {
        run(&format!("c{c}"), false);
    }
    for c in 11..=13 {
        run(&format!("c{c}"), true);
    }
    if rerun {
        run("c13", false);
    }
    for c in 14..=18 {
        run(&format!("c{c}"), false);
    }
    flaky_json(dir.path())
}

/// git-flow: `develop` is where the work goes on, `main` gets a release now and then. A test
/// broken on develop is broken on the trunk (the named line that ran the most commits), and the
/// window's `broken` gate trips.
#[test]
fn a_develop_branch_beside_a_main_of_releases_is_the_trunk() {
    let dir = tempfile::tempdir().unwrap();
    let mut run = two_test_runs(dir.path(), "tests.test_flow", ["test_x", "test_y"]);
    for d in 1..=15 {
        if d % 5 == 1 {
            run(&format!("r{d}"), "main", false);
        }
        run(&format!("d{d}"), "develop", d >= 8);
    }
    let r = flaky_json(dir.path());
    let t = verdict(&r, "test_x");
    assert_eq!(t["verdict"], "broken", "{t}");
    assert_eq!(t["breakage"]["first_bad"]["commit"], "d8", "{t}");
    assert!(t["breakage"].get("branch").is_none(), "{t}");
    let store = tempfile::tempdir().unwrap();
    let store = store.path().join("store");
    assert!(ingest(&store, &[dir.path()], &["--quiet"]).status.success());
    let out = testsift()
        .arg("check")
        .arg("--store")
        .arg(&store)
        .args(["--fail-on", "broken"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// Playwright with two projects (fixtures/dialects/playwright-projects.xml, real Playwright
/// 1.49.1 output): one report holds every test once per project, the project's name as its
/// suite's hostname. A test failing on chromium and passing on firefox in every run is broken
/// on chromium, not a test that passed on retry: before, the two were folded as two attempts
/// of one test, and a browser's own bug was called flaky.
#[test]
fn playwright_projects_are_tests_of_their_own_not_retries() {
    let dir = tempfile::tempdir().unwrap();
    let report = fs::read(fixtures().join("dialects/playwright-projects.xml")).unwrap();
    for k in 1..=6 {
        let run = dir.path().join(format!("run-{k}"));
        write(
            &run.join("run.json"),
            format!(
                r#"{{"run_id": "{k}", "commit": "c{k}", "branch": "main", "timestamp": "2026-11-01T0{k}:00:00Z"}}"#
            ),
        );
        write(&run.join("results.xml"), &report);
    }
    let r = flaky_json(dir.path());
    assert_eq!(r["summary"]["flaky"], 0, "{r}");
    for (name, expected) in [
        ("Cart › chromium only bug [chromium]", "broken"),
        ("Cart › chromium only bug [firefox]", "stable"),
        ("Cart › firefox only bug [firefox]", "broken"),
        ("Cart › firefox only bug [chromium]", "stable"),
        ("Cart › adds an item [chromium]", "stable"),
    ] {
        let t = verdict(&r, name);
        assert_eq!(t["verdict"], expected, "{name}: {t}");
        assert_eq!(
            t["family"],
            format!("cart.spec.js::{}", &name[..name.rfind(" [").unwrap()]),
            "{t}"
        );
    }
}

/// Ingests `runs` into `store`, runs `check` over the window: its exit code and its `broken`
/// gate.
fn broken_gate(store: &Path, runs: &Path) -> (Option<i32>, Value) {
    let out = ingest(store, &[runs], &["--quiet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = testsift()
        .arg("check")
        .arg("--store")
        .arg(store)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let broken = r["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == "broken")
        .unwrap()
        .clone();
    (out.status.code(), broken)
}

/// A test deleted (or renamed) while it was failing stops running while the rest of its class
/// runs on: after two such trunk runs the `broken` gate no longer trips on it (it names it),
/// and its record says since when it is absent. A class that stopped running as a whole (a
/// file moved, a module left out) says nothing of its tests: they stay broken.
#[test]
fn a_test_deleted_while_broken_stops_failing_the_gate() {
    let class = "tests.test_parse";
    let both = |failed: bool| [(class, "test_strict", failed), (class, "test_loose", false)];
    let gate = |dir: &Path| broken_gate(&dir.join("store"), &dir.join("runs"));
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    for k in 1..=8 {
        write_pytest_run(&runs, k, &format!("c{k}"), "main", &both(k >= 7));
    }
    // c9: test_strict deleted; one run without it is not enough to tell.
    write_pytest_run(&runs, 9, "c9", "main", &[(class, "test_loose", false)]);
    let (code, _) = gate(dir.path());
    assert_eq!(code, Some(1));
    write_pytest_run(&runs, 10, "c10", "main", &[(class, "test_loose", false)]);
    let (code, broken) = gate(dir.path());
    assert_eq!(code, Some(0), "{broken}");
    let reason = broken["reason"].as_str().unwrap();
    assert!(
        reason.contains("no longer run") && reason.contains("test_strict (not in run 9 on)"),
        "{reason}"
    );
    let r = flaky_json(&runs);
    let t = verdict(&r, "test_strict");
    assert_eq!(t["verdict"], "broken", "{t}");
    assert_eq!(t["absent_since"]["run"], "9", "{t}");

    // The whole class gone: nothing says the test is.
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    for k in 1..=8 {
        write_pytest_run(&runs, k, &format!("c{k}"), "main", &both(k >= 7));
    }
    for k in 9..=11 {
        let other = [("tests.test_render", "test_page", false)];
        write_pytest_run(&runs, k, &format!("c{k}"), "main", &other);
    }
    let (code, broken) = gate(dir.path());
    assert_eq!(code, Some(1), "{broken}");
}

/// A commit that breaks what every test needs (a conftest fixture raising) fails all of them
/// on every commit after it: the runs are set aside as infrastructure, but the trunk is red,
/// and once two commits are, the `broken` gate says so. One such run alone is not enough.
#[test]
fn a_trunk_failing_every_test_on_two_commits_trips_the_broken_gate() {
    let names: Vec<String> = (0..30).map(|i| format!("test_{i:02}")).collect();
    let run = |runs: &Path, k: usize, failed: bool| {
        let cases: Vec<(&str, &str, bool)> = names
            .iter()
            .map(|n| ("tests.test_core", n.as_str(), failed))
            .collect();
        write_pytest_run(runs, k, &format!("c{k}"), "main", &cases);
    };
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    for k in 1..=6 {
        run(&runs, k, false);
    }
    let store = dir.path().join("store");
    let gate = |code: i32, says: &str| {
        let (got, broken) = broken_gate(&store, &runs);
        assert_eq!(got, Some(code), "{broken}");
        assert!(
            broken["reason"].as_str().unwrap().contains(says),
            "{broken}"
        );
    };
    run(&runs, 7, true);
    gate(0, "no test is broken");
    run(&runs, 8, true);
    gate(
        1,
        "the trunk's last 2 runs failed almost every test, on 2 commits since 7",
    );
    // The report says so above its broken tests, in both forms.
    let out_dir = dir.path().join("report");
    let out = testsift()
        .args(["report", "--quiet", "--store"])
        .arg(&store)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for file in ["report.md", "report.html"] {
        let text = fs::read_to_string(out_dir.join(file)).unwrap();
        assert!(
            text.contains("The trunk is red on almost every test:"),
            "{file}"
        );
    }
}

//! Run discovery and run identity, through the real binary: which folders and files become
//! runs, what each run is called (run.json, flags, the CI's variables, the name), name
//! collisions with stored runs, files named on the command line, empty reports, files that are
//! not regular files, and runs whose every report is unreadable.

// Tests build their own trees; a failed unwrap is a test failure with a backtrace.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::time::Duration;

/// Stored runs as (run, run_id, variant), sorted by run.
fn stored_runs(store: &Path) -> Vec<(String, String, String)> {
    let df = runs(store);
    let mut rows: Vec<(String, String, String)> = texts(&df, "run")
        .into_iter()
        .zip(texts(&df, "run_id"))
        .zip(texts(&df, "variant"))
        .map(|((run, id), variant)| (run, id, variant))
        .collect();
    rows.sort();
    rows
}

fn run_names(store: &Path) -> Vec<String> {
    stored_runs(store)
        .into_iter()
        .map(|(run, ..)| run)
        .collect()
}

/// One column of the runs table, for a store that holds one run.
fn only_run(store: &Path, column: &str) -> Option<String> {
    let values = strs(&runs(store), column);
    assert_eq!(values.len(), 1, "expected one run");
    values.into_iter().next().flatten()
}

fn surefire(dir: &Path, class: &str, cases: &[Case]) {
    write(&dir.join(format!("TEST-{class}.xml")), report(class, cases));
}

// Point 1: a folder that directly holds reports is one run.

#[test]
fn a_folder_of_loose_reports_is_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("target/surefire-reports");
    surefire(&reports, "com.acme.CartTest", &cases(3, 0));
    surefire(&reports, "com.acme.UserTest", &cases(2, 2));
    let store = dir.path().join("store");
    let out = ingest(&store, &[&reports], &["--quiet"]);
    assert_code(&out, 0);
    assert_eq!(run_names(&store), ["surefire-reports"]);
    assert_eq!(executions(&store).height(), 5);
    assert!(!stderr(&out).contains("warning:"), "{}", stderr(&out));
}

#[test]
fn run_depth_1_still_takes_each_loose_file_as_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("build/test-results/test");
    surefire(&results, "A", &cases(1, 0));
    surefire(&results, "B", &cases(1, 0));
    let store = dir.path().join("store");
    let out = ingest(&store, &[&results], &["--quiet", "--run-depth", "1"]);
    assert_code(&out, 0);
    assert_eq!(run_names(&store), ["TEST-A", "TEST-B"]);
    assert!(stderr(&out).contains("--run-depth 0"), "{}", stderr(&out));
}

// Point 2: build modules of one run.

#[test]
fn build_modules_below_path_are_one_run_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run-7");
    surefire(
        &run.join("core/build/test-results/test"),
        "com.acme.core.CartTest",
        &cases(2, 0),
    );
    surefire(
        &run.join("api/build/test-results/test"),
        "com.acme.api.OrderTest",
        &cases(3, 0),
    );
    let store = dir.path().join("store");
    let out = ingest(&store, &[&run], &["--quiet"]);
    assert_code(&out, 0);
    assert_eq!(run_names(&store), ["run-7"]);
    assert_eq!(executions(&store).height(), 5);
    let err = stderr(&out);
    assert!(err.contains("taken as one run"), "{err}");
    assert!(err.contains("api, core"), "{err}");
    assert!(err.contains("--run-depth 1"), "{err}");

    // And the documented way out still works.
    let store = dir.path().join("store-2");
    let out = ingest(&store, &[&run], &["--quiet", "--run-depth", "1"]);
    assert_code(&out, 0);
    assert_eq!(run_names(&store), ["api", "core"]);
}

#[test]
fn a_build_output_folder_makes_its_parent_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run-8");
    surefire(
        &run.join("target/surefire-reports"),
        "com.acme.CartTest",
        &cases(2, 0),
    );
    let store = dir.path().join("store");
    let out = ingest(&store, &[&run], &["--quiet"]);
    assert_code(&out, 0);
    assert_eq!(run_names(&store), ["run-8"]);
}

#[test]
fn runs_holding_the_same_build_reports_stay_runs_and_the_warning_says_how_to_merge() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    for run in ["r1", "r2"] {
        surefire(
            &history.join(run).join("target/surefire-reports"),
            "com.acme.CartTest",
            &cases(2, 0),
        );
    }
    let store = dir.path().join("store");
    let out = ingest(&store, &[&history], &["--quiet"]);
    assert_code(&out, 0);
    assert_eq!(run_names(&store), ["r1", "r2"]);
    let err = stderr(&out);
    assert!(err.contains("took 2 subfolders as runs (r1, r2)"), "{err}");
    assert!(err.contains("--run-depth 0"), "{err}");
}

#[test]
fn run_folders_with_run_json_are_runs_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    write_history(&history, 1, 2, 1, 2);
    let store = dir.path().join("store");
    let out = ingest(&store, &[&history], &["--quiet"]);
    assert_code(&out, 0);
    assert_eq!(run_names(&store), ["gen-1", "gen-2"]);
    assert_eq!(stderr(&out), "");
}

// Point 3: run identity from the CI's variables.

/// Ingests one `junit.xml` (one passing case) with `env` set and `extra` arguments.
fn ingest_in_ci(dir: &Path, env: &[(&str, &str)], extra: &[&str]) -> std::process::Output {
    let report_dir = dir.join("reports");
    write(&report_dir.join("junit.xml"), report("s", &cases(1, 0)));
    let mut cmd = testsift();
    cmd.arg("ingest")
        .arg(report_dir.join("junit.xml"))
        .arg("--store")
        .arg(dir.join("store"))
        .arg("--quiet")
        .args(extra);
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.output().unwrap()
}

/// (run, run_id, attempt, commit, branch, variant, job, pipeline) of the only stored run, with
/// an empty variant as None.
fn identity_of(store: &Path) -> Vec<Option<String>> {
    let df = runs(store);
    let attempt = u32s(&df, "attempt")[0].map(|a| a.to_string());
    let mut row = vec![only_run(store, "run"), only_run(store, "run_id"), attempt];
    for column in ["commit", "branch", "variant", "job", "pipeline"] {
        row.push(only_run(store, column).filter(|v| !v.is_empty()));
    }
    row
}

fn some(values: &[&str]) -> Vec<Option<String>> {
    values
        .iter()
        .map(|v| (!v.is_empty()).then(|| (*v).to_owned()))
        .collect()
}

const GITHUB: &[(&str, &str)] = &[
    ("GITHUB_ACTIONS", "true"),
    ("GITHUB_RUN_ID", "9876543210"),
    ("GITHUB_RUN_ATTEMPT", "2"),
    ("GITHUB_SHA", "5505ff2a"),
    ("GITHUB_REF_NAME", "42/merge"),
    ("GITHUB_HEAD_REF", "fix-cart"),
    ("GITHUB_JOB", "test"),
    ("GITHUB_WORKFLOW", "CI"),
];

#[test]
fn github_actions_variables_name_a_single_run() {
    let dir = tempfile::tempdir().unwrap();
    assert_code(&ingest_in_ci(dir.path(), GITHUB, &[]), 0);
    assert_eq!(
        identity_of(&dir.path().join("store")),
        some(&[
            "9876543210#2",
            "9876543210",
            "2",
            "5505ff2a",
            "fix-cart",
            "test",
            "test",
            "CI"
        ])
    );
}

#[test]
fn github_push_builds_use_the_ref_name() {
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<(&str, &str)> = GITHUB
        .iter()
        .copied()
        .filter(|(k, _)| *k != "GITHUB_HEAD_REF" && *k != "GITHUB_REF_NAME")
        .chain([("GITHUB_REF_NAME", "main"), ("GITHUB_HEAD_REF", "")])
        .collect();
    assert_code(&ingest_in_ci(dir.path(), &env, &[]), 0);
    assert_eq!(
        only_run(&dir.path().join("store"), "branch").as_deref(),
        Some("main")
    );
}

#[test]
fn a_branch_given_as_a_full_ref_is_stored_by_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<(&str, &str)> = GITHUB
        .iter()
        .copied()
        .filter(|(k, _)| *k != "GITHUB_HEAD_REF")
        .collect();
    // `--branch "${{ github.ref }}"` in a workflow: the flag wins over the variables.
    let ingest = ingest_in_ci(dir.path(), &env, &["--branch", "refs/heads/main"]);
    assert_code(&ingest, 0);
    let store = dir.path().join("store");
    assert_eq!(only_run(&store, "branch").as_deref(), Some("main"));
    // The window's --branch takes the full ref too.
    let window_runs = |branch: &str| {
        let out = testsift()
            .args(["flaky", "--branch", branch, "--format", "json", "--store"])
            .arg(&store)
            .output()
            .unwrap();
        assert_code(&out, 0);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["summary"]["runs"].as_u64().unwrap()
    };
    assert_eq!(window_runs("refs/heads/main"), 1);
    assert_eq!(window_runs("main"), 1);
    assert_eq!(window_runs("refs/heads/other"), 0);
}

#[test]
fn a_pull_request_from_a_forks_main_is_not_stored_as_main() {
    // A contributor's pull request from their fork's `main` (GitHub's event payload as
    // `actions/checkout` sees it, trimmed to the fields read).
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    write(
        &event,
        r#"{"action": "synchronize", "number": 42, "pull_request": {"number": 42,
            "head": {"label": "octocat:main", "ref": "main", "sha": "5505ff2a",
                     "repo": {"full_name": "octocat/shop", "fork": true}},
            "base": {"label": "acme:main", "ref": "main",
                     "repo": {"full_name": "acme/shop", "fork": false}}}}"#,
    );
    let env: Vec<(&str, &str)> = GITHUB
        .iter()
        .copied()
        .filter(|(k, _)| *k != "GITHUB_HEAD_REF")
        .chain([
            ("GITHUB_HEAD_REF", "main"),
            ("GITHUB_BASE_REF", "main"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
        ])
        .collect();
    assert_code(&ingest_in_ci(dir.path(), &env, &[]), 0);
    assert_eq!(
        only_run(&dir.path().join("store"), "branch").as_deref(),
        Some("octocat:main")
    );
}

const GITLAB: &[(&str, &str)] = &[
    ("GITLAB_CI", "true"),
    ("CI_PIPELINE_ID", "900"),
    ("CI_JOB_ID", "4501"),
    ("CI_COMMIT_SHA", "abc123"),
    ("CI_COMMIT_REF_NAME", "main"),
    ("CI_JOB_NAME", "test: [linux]"),
    ("CI_PIPELINE_CREATED_AT", "2026-03-01T10:00:00Z"),
];

#[test]
fn gitlab_variables_name_a_single_run_and_a_retried_job_is_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    assert_code(&ingest_in_ci(dir.path(), GITLAB, &[]), 0);
    assert_eq!(
        identity_of(&store),
        some(&[
            "900-4501",
            "900-4501",
            "",
            "abc123",
            "main",
            "test: [linux]",
            "test: [linux]",
            "900"
        ])
    );
    assert_eq!(run_timestamps_ms(&store), [Some(1_772_359_200_000)]);
    // The job retried: same pipeline, a new job id, the same report content.
    let retry: Vec<(&str, &str)> = GITLAB
        .iter()
        .copied()
        .filter(|(k, _)| *k != "CI_JOB_ID")
        .chain([("CI_JOB_ID", "4502")])
        .collect();
    let out = ingest_in_ci(dir.path(), &retry, &[]);
    assert_code(&out, 0);
    assert_eq!(run_names(&store), ["900-4501", "900-4502"]);
}

#[test]
fn gitlab_merge_requests_use_the_source_branch() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = GITLAB.to_vec();
    env.push(("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "fix-cart"));
    assert_code(&ingest_in_ci(dir.path(), &env, &[]), 0);
    assert_eq!(
        only_run(&dir.path().join("store"), "branch").as_deref(),
        Some("fix-cart")
    );
}

#[test]
fn buildkite_variables_name_a_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("BUILDKITE", "true"),
        ("BUILDKITE_BUILD_ID", "0190-uuid"),
        ("BUILDKITE_BUILD_NUMBER", "311"),
        ("BUILDKITE_RETRY_COUNT", "1"),
        ("BUILDKITE_COMMIT", "def456"),
        ("BUILDKITE_BRANCH", "main"),
        ("BUILDKITE_LABEL", ":rust: test"),
        ("BUILDKITE_PIPELINE_SLUG", "shop"),
    ];
    assert_code(&ingest_in_ci(dir.path(), &env, &[]), 0);
    assert_eq!(
        identity_of(&dir.path().join("store")),
        some(&[
            "311#2",
            "311",
            "2",
            "def456",
            "main",
            ":rust: test",
            ":rust: test",
            "shop"
        ])
    );
}

#[test]
fn circleci_variables_name_a_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("CIRCLECI", "true"),
        ("CIRCLE_WORKFLOW_ID", "wf-77"),
        ("CIRCLE_BUILD_NUM", "1200"),
        ("CIRCLE_SHA1", "0a1b2c"),
        ("CIRCLE_BRANCH", "dev"),
        ("CIRCLE_JOB", "unit"),
        ("CIRCLE_PROJECT_REPONAME", "shop"),
    ];
    assert_code(&ingest_in_ci(dir.path(), &env, &[]), 0);
    assert_eq!(
        identity_of(&dir.path().join("store")),
        some(&[
            "wf-77", "wf-77", "", "0a1b2c", "dev", "unit", "unit", "shop"
        ])
    );
}

#[test]
fn jenkins_variables_name_a_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("JENKINS_URL", "https://jenkins.example/"),
        ("BUILD_TAG", "jenkins-shop-main-57"),
        ("BUILD_NUMBER", "57"),
        ("JOB_NAME", "shop/main"),
        ("GIT_COMMIT", "feed01"),
        ("GIT_BRANCH", "origin/main"),
    ];
    assert_code(&ingest_in_ci(dir.path(), &env, &[]), 0);
    assert_eq!(
        identity_of(&dir.path().join("store")),
        some(&[
            "jenkins-shop-main-57",
            "jenkins-shop-main-57",
            "",
            "feed01",
            "main",
            "",
            "",
            "shop/main"
        ])
    );
}

/// Two jobs of one CI run that the CI's variables do not tell apart (matrix legs without a
/// variant, parallel shards): the second, with other reports, is refused with exit 2 and a
/// message naming the run, never counted as "already in" while its reports are dropped. The
/// same reports again are already in (exit 0).
#[test]
fn a_second_job_with_the_same_run_key_and_other_reports_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let shard = |name: &str, failing: usize| {
        let path = dir.path().join(name).join("junit.xml");
        write(&path, report(name, &cases(3, failing)));
        let mut cmd = testsift();
        cmd.arg("ingest").arg(&path).arg("--store").arg(&store);
        for (key, value) in GITHUB {
            cmd.env(key, value);
        }
        cmd.output().unwrap()
    };
    assert_code(&shard("shard-1", 0), 0);
    let out = shard("shard-2", 1);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains(
            "run \"9876543210#2\" (variant \"test\", named by the CI's variables) is already in \
             the store with other reports; these were not added"
        ),
        "{err}"
    );
    assert!(err.contains("1 run(s) not ingested"), "{err}");
    // The first job's run is intact, and alone.
    assert_eq!(only_run(&store, "run").as_deref(), Some("9876543210#2"));
    assert_eq!(executions(&store).height(), 3);
    // The first job's reports again: already in.
    let out = shard("shard-1", 0);
    assert_code(&out, 0);
    assert!(stderr(&out).contains("1 already in"), "{}", stderr(&out));
}

/// A nightly job reads an artifact tree that holds one run folder so far: the run is named by
/// its folder, not after the nightly job, with a warning; the next night's second run folder
/// joins it, and the first is already in.
#[test]
fn a_run_folder_found_inside_path_is_not_named_after_the_ci_job() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("artifacts");
    let store = dir.path().join("store");
    let night = |run_id: &str| {
        let mut cmd = testsift();
        cmd.arg("ingest").arg(&artifacts).arg("--store").arg(&store);
        for (key, value) in GITHUB {
            cmd.env(
                key,
                if *key == "GITHUB_RUN_ID" {
                    run_id
                } else {
                    value
                },
            );
        }
        cmd.output().unwrap()
    };
    surefire(&artifacts.join("run-1041"), "A", &cases(2, 0));
    let out = night("7001");
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains(
            "warning: the CI's variables (github) name a run, but this is a run found inside \
             the path given"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(only_run(&store, "run").as_deref(), Some("run-1041"));
    assert_eq!(only_run(&store, "commit"), None);
    surefire(&artifacts.join("run-1042"), "A", &cases(2, 0));
    let out = night("7002");
    assert_code(&out, 0);
    assert!(stderr(&out).contains("1 already in"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "warning: the CI's variables (github) name a run, but this folder holds 2 run \
             folders (run-1041, run-1042)"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(runs(&store).height(), 2);
}

/// A CI job whose reports folder holds one subfolder per shard: without `--run-depth` each is
/// a run of its own, named by its folder, and a warning says how to make them the job's run;
/// with `--run-depth 0` they are the one run the CI's variables name.
#[test]
fn shard_folders_of_a_ci_job_are_its_one_run_with_run_depth_0() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("test-results");
    surefire(&results.join("shard-1"), "A", &cases(2, 0));
    surefire(&results.join("shard-2"), "B", &cases(2, 0));
    let ingest_with = |store: &str, extra: &[&str]| {
        let mut cmd = testsift();
        cmd.arg("ingest")
            .arg(&results)
            .arg("--store")
            .arg(dir.path().join(store))
            .args(extra);
        for (key, value) in GITHUB {
            cmd.env(key, value);
        }
        cmd.output().unwrap()
    };
    let out = ingest_with("s1", &[]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("holds 2 run folders (shard-1, shard-2)")
            && stderr(&out).contains("pass --run-depth 0"),
        "{}",
        stderr(&out)
    );
    assert_eq!(runs(&dir.path().join("s1")).height(), 2);
    let out = ingest_with("s0", &["--run-depth", "0"]);
    assert_code(&out, 0);
    assert!(!stderr(&out).contains("warning:"), "{}", stderr(&out));
    assert_eq!(runs(&dir.path().join("s0")).height(), 1);
    assert!(only_run(&dir.path().join("s0"), "commit").is_some());
    let out = ingest_with("s2", &["--run-depth", "1"]);
    assert_code(&out, 0);
    assert!(!stderr(&out).contains("warning:"), "{}", stderr(&out));
}

#[test]
fn flags_come_before_the_ci_variables_and_run_json_before_both() {
    let dir = tempfile::tempdir().unwrap();
    let out = ingest_in_ci(
        dir.path(),
        GITHUB,
        &["--run-id", "mine", "--branch", "flagged", "--variant", "v"],
    );
    assert_code(&out, 0);
    let store = dir.path().join("store");
    // The id, branch and variant from the flags; the rest from the CI.
    assert_eq!(
        identity_of(&store),
        some(&[
            "mine#2", "mine", "2", "5505ff2a", "flagged", "v", "test", "CI"
        ])
    );

    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    write(
        &run.join("run.json"),
        run_json("from-json", "2026-02-01T02:00:00Z"),
    );
    surefire(&run, "A", &cases(1, 0));
    let mut cmd = testsift();
    cmd.arg("ingest")
        .arg(&run)
        .arg("--store")
        .arg(dir.path().join("store"))
        .args(["--quiet", "--commit", "c0ffee"]);
    for (key, value) in GITHUB {
        cmd.env(key, value);
    }
    assert_code(&cmd.output().unwrap(), 0);
    let store = dir.path().join("store");
    assert_eq!(only_run(&store, "run").as_deref(), Some("from-json"));
    // run.json has a commit and the attempt 1: both win over the flag and the CI.
    assert_eq!(
        only_run(&store, "commit").as_deref(),
        Some("000000000000000000000066726f6d2d6a736f6e")
    );
}

#[test]
fn the_ci_variables_are_ignored_for_a_history_of_runs() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    for run in ["r1", "r2"] {
        surefire(&history.join(run), "A", &cases(1, 0));
    }
    let store = dir.path().join("store");
    let mut cmd = testsift();
    cmd.arg("ingest")
        .arg(&history)
        .arg("--store")
        .arg(&store)
        .arg("--quiet");
    for (key, value) in GITHUB {
        cmd.env(key, value);
    }
    assert_code(&cmd.output().unwrap(), 0);
    assert_eq!(run_names(&store), ["r1", "r2"]);
}

// Point 4: a name-derived id that collides with a stored run.

#[test]
fn the_next_junit_xml_with_other_content_is_stored_under_its_own_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let first = dir.path().join("job-1/junit.xml");
    let second = dir.path().join("job-2/junit.xml");
    write(&first, report("s", &cases(2, 0)));
    write(&second, report("s", &cases(2, 2)));

    assert_code(&ingest(&store, &[&first], &["--quiet"]), 0);
    let out = ingest(&store, &[&second], &["--quiet"]);
    assert_code(&out, 0);
    let names = run_names(&store);
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], "junit");
    assert!(names[1].starts_with("junit~"), "{names:?}");
    assert_eq!(names[1].len(), "junit~".len() + 8);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "warning: a stored run is already named \"junit\" and holds other reports; this run is stored as {:?}",
            names[1]
        )),
        "{err}"
    );

    // The same contents again: both already stored, nothing added, no warning.
    for path in [&first, &second] {
        let out = ingest(&store, &[path], &[]);
        assert_code(&out, 0);
        assert!(stderr(&out).contains("1 already in"), "{}", stderr(&out));
        assert!(!stderr(&out).contains("warning:"), "{}", stderr(&out));
    }
    assert_eq!(run_names(&store).len(), 2);
    assert_no_duplicate_rows(&store);
}

// Point 5: files named on the command line are read whatever their extension.

#[test]
fn a_file_named_on_the_command_line_is_read_whatever_its_extension() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let xml = dir.path().join("report.junit-xml");
    let out_file = dir.path().join("results.out");
    let golden = dir.path().join("junit.golden");
    let gz = dir.path().join("nightly.bin");
    write(&xml, report("a", &cases(1, 0)));
    write(
        &out_file,
        format!("\u{feff}\n  {}", report("b", &cases(2, 0))),
    );
    write(&golden, report("c", &cases(3, 0)));
    write(&gz, gzip(report("d", &cases(4, 0)).as_bytes()));
    let notes = dir.path().join("notes.txt");
    write(&notes, "not a report");
    let out = ingest(
        &store,
        &[&xml, &out_file, &golden, &gz, &notes],
        &["--quiet"],
    );
    assert_code(&out, 0);
    assert_eq!(run_names(&store), ["junit", "nightly", "report", "results"]);
    assert_eq!(executions(&store).height(), 10);
    let err = stderr(&out);
    assert!(
        err.contains("notes.txt: warning: not a report, archive or directory"),
        "{err}"
    );

    // Found by walking a folder, the extension still decides.
    let folder = dir.path().join("run-1");
    fs::create_dir_all(&folder).unwrap();
    fs::copy(&golden, folder.join("junit.golden")).unwrap();
    write(&folder.join("TEST-x.xml"), report("x", &cases(1, 0)));
    let store = dir.path().join("store-2");
    assert_code(&ingest(&store, &[&folder], &["--quiet"]), 0);
    assert_eq!(executions(&store).height(), 1);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

// Point 6: a valid report without test cases.

#[test]
fn a_run_whose_report_has_no_test_case_is_stored_with_zero_executions() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    surefire(&history.join("run-1"), "A", &cases(2, 0));
    write(
        &history.join("run-2/junit.xml"),
        "<testsuite name=\"none\" tests=\"0\"/>",
    );
    let store = dir.path().join("store");
    let out = ingest(&store, &[&history], &["--quiet"]);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("run-2: warning: its reports hold no test case"),
        "{err}"
    );
    assert_eq!(run_names(&store), ["run-1", "run-2"]);
    let df = runs(&store);
    let mut executions: Vec<(String, Option<u32>)> = texts(&df, "run")
        .into_iter()
        .zip(u32s(&df, "executions"))
        .collect();
    executions.sort();
    assert_eq!(
        executions,
        [("run-1".to_owned(), Some(2)), ("run-2".to_owned(), Some(0))]
    );
    // Stored once: the next ingest finds it.
    let out = ingest(&store, &[&history], &[]);
    assert_code(&out, 0);
    assert!(stderr(&out).contains("2 already in"), "{}", stderr(&out));
}

#[test]
fn an_empty_report_alone_is_still_nothing_usable() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("junit.xml");
    write(&empty, "<testsuite name=\"none\" tests=\"0\"/>");
    let store = dir.path().join("store");
    let out = ingest(&store, &[&empty], &["--quiet"]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("held a readable test case"),
        "{}",
        stderr(&out)
    );
    assert!(runs(&store).height() == 0);
}

// Point 7: only regular files are opened.

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("history/run1");
    surefire(&run, "A", &cases(2, 0));
    let fifos = ["b.xml", "c.xml.gz", "d.zip", "run.json"];
    for name in fifos {
        mkfifo(&run.join(name));
    }
    std::os::unix::fs::symlink("/dev/stdin", run.join("e.xml")).unwrap();
    let named = dir.path().join("named.xml");
    mkfifo(&named);
    let store = dir.path().join("store");
    let out = testsift()
        .arg("ingest")
        .arg(dir.path().join("history"))
        .arg(&named)
        .arg("--store")
        .arg(&store)
        .arg("--quiet")
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_code(&out, 0);
    let err = stderr(&out);
    for name in fifos {
        let path = run.join(name);
        assert!(
            err.contains(&format!(
                "{}: warning: not a regular file (a FIFO); skipped without opening it",
                path.display()
            )),
            "{name}: {err}"
        );
    }
    assert!(
        err.contains(&format!(
            "{}: warning: not a regular file",
            run.join("e.xml").display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}: warning: not a regular file (a FIFO)",
            named.display()
        )),
        "{err}"
    );
    assert_eq!(run_names(&store), ["run1"]);
    assert_eq!(executions(&store).height(), 2);
}

// Point 8: unreadable runs and numeric run.json values.

#[test]
fn a_run_whose_files_are_all_unreadable_is_not_stored_again_on_every_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    write(&history.join("bad/a.xml"), "<testsuite><testcase");
    write(&history.join("bad/b.xml"), "not xml at all");
    let store = dir.path().join("store");
    // Each night one new run is added and the tree ingested again.
    for night in 1..=3 {
        write_history(&history, night, 1, 3, 2);
        let out = ingest(&store, &[&history], &["--quiet"]);
        assert_code(&out, 0);
    }
    // Three reports in each of three runs, and the two unreadable ones: 11 files, not 15.
    assert_eq!(stats(&store)["files"], 11, "{}", stats(&store));
    assert_eq!(reports(&store).height(), 11);
}

#[test]
fn numeric_run_ids_and_pipelines_in_run_json_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("history/run-a");
    write(
        &run.join("run.json"),
        r#"{"run_id": 1041, "attempt": "2", "pipeline": 77, "job": 5}"#,
    );
    surefire(&run, "A", &cases(1, 0));
    let store = dir.path().join("store");
    let out = ingest(&store, &[dir.path().join("history")], &["--quiet"]);
    assert_code(&out, 0);
    assert_eq!(stderr(&out), "");
    assert_eq!(only_run(&store, "run").as_deref(), Some("1041#2"));
    assert_eq!(only_run(&store, "run_id").as_deref(), Some("1041"));
    assert_eq!(only_run(&store, "pipeline").as_deref(), Some("77"));
    assert_eq!(only_run(&store, "job").as_deref(), Some("5"));
}

/// Issue 18, point 12: files ingest could not read at all (over the size limit, an archive entry
/// with a `..` path) are errors in `stats` as they were in ingest's summary, and ingesting the
/// same tree again adds nothing.
#[test]
fn files_that_could_not_be_read_are_counted_by_stats_as_by_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("runs/run1");
    write(&run.join("a.xml"), report("s", &cases(2, 0)));
    write(&run.join("big.xml"), report("big", &cases(50, 0)));
    let zip_path = run.join("slip.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("../evil.xml", options).unwrap();
    std::io::Write::write_all(&mut zip, report("evil", &cases(1, 0)).as_bytes()).unwrap();
    zip.start_file("good.xml", options).unwrap();
    std::io::Write::write_all(&mut zip, report("good", &cases(1, 0)).as_bytes()).unwrap();
    zip.finish().unwrap();
    let store = dir.path().join("store");
    let out = ingest(
        &store,
        &[dir.path().join("runs")],
        &["--max-file-size", "2000"],
    );
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(err.contains("2 files with errors"), "{err}");
    assert!(err.contains("from 2 reports"), "{err}");
    let s = stats(&store);
    assert_eq!(s["parse_errors"], 2, "{s}");
    let bad: Vec<&str> = s["bad_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(bad.iter().any(|p| p.ends_with("big.xml")), "{bad:?}");
    assert!(bad.iter().any(|p| p.ends_with("slip.zip")), "{bad:?}");
    let again = ingest(
        &store,
        &[dir.path().join("runs")],
        &["--max-file-size", "2000"],
    );
    assert_code(&again, 0);
    assert!(
        stderr(&again).contains("1 already in"),
        "{}",
        stderr(&again)
    );
    assert_eq!(stats(&store)["files"], s["files"]);
}

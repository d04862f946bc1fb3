//! `testsift merge` and many writers at once, through the real binary: stores built from parts
//! of a history and merged answer as one store built from all of it; merging again, or a store
//! into itself, adds nothing; concurrent ingests and merges into one store lose and duplicate
//! nothing; a merge killed at any point leaves the store whole.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn history_run(n: u32) -> PathBuf {
    let history = fixtures().join("history");
    if n == 25 {
        history.join("run-25.zip")
    } else {
        history.join(format!("run-{n:02}"))
    }
}

/// Ingests fixtures/history runs `runs` (each path one run) into `store`.
fn ingest_runs(store: &Path, runs: impl IntoIterator<Item = u32>) {
    let paths: Vec<PathBuf> = runs.into_iter().map(history_run).collect();
    assert_code(&ingest(store, &paths, &["--quiet", "--run-depth", "0"]), 0);
}

fn run_cmd(args: &[&str], store: &Path) -> Output {
    testsift()
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap()
}

fn merge(store: &Path, sources: &[&Path]) -> Output {
    let mut cmd = testsift();
    cmd.arg("merge");
    for s in sources {
        cmd.arg(s);
    }
    cmd.arg("--store").arg(store).output().unwrap()
}

fn manifest(store: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(store.join("manifest.json")).unwrap()).unwrap()
}

/// What the analyses say of a store: stats, flaky and check (exit code and both streams).
fn answers(store: &Path) -> (serde_json::Value, String, (i32, String, String)) {
    let flaky = run_cmd(&["flaky", "--format", "json"], store);
    assert_code(&flaky, 0);
    let check = run_cmd(
        &["check", "--fail-on", "broken", "--fail-on", "new-flaky"],
        store,
    );
    let check = (code(&check), stdout(&check), stderr(&check));
    (stats(store), stdout(&flaky), check)
}

/// fixtures/history ingested whole, at once.
fn whole(dir: &Path) -> PathBuf {
    let store = dir.join("whole");
    ingest_runs(&store, 1..=25);
    store
}

#[test]
fn issue_15_two_halves_merged_answer_as_the_whole_history() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, merged) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("m"),
    );
    ingest_runs(&a, 1..=12);
    ingest_runs(&b, 13..=25);
    let out = merge(&merged, &[&a, &b]);
    assert_code(&out, 0);
    assert!(
        stderr(&out)
            .ends_with("m: 25 runs added (400 test executions from 75 reports), 0 already there\n"),
        "{}",
        stderr(&out)
    );
    // One new segment for both stores.
    assert_eq!(manifest(&merged)["segments"].as_array().unwrap().len(), 1);
    let expected = answers(&whole(dir.path()));
    assert_eq!(expected.2.0, 1, "the history has broken tests: check trips");
    assert_eq!(answers(&merged), expected);
    assert_code(&run_cmd(&["verify"], &merged), 0);
    assert_no_duplicate_rows(&merged);
    // The sources were only read.
    assert_eq!(stats(&a)["runs"], 12);
    assert_eq!(stats(&b)["runs"], 13);
}

#[test]
fn issue_15_merging_again_or_overlapping_stores_adds_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, merged) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("m"),
    );
    ingest_runs(&a, 1..=15);
    ingest_runs(&b, 10..=25);
    let out = merge(&merged, &[&a, &b]);
    assert_code(&out, 0);
    assert!(
        stderr(&out)
            .contains(": 25 runs added (400 test executions from 75 reports), 6 already there\n"),
        "{}",
        stderr(&out)
    );
    let before = manifest(&merged);
    let out = merge(&merged, &[&b, &a]);
    assert_code(&out, 0);
    assert!(
        stderr(&out)
            .contains(": 0 runs added (0 test executions from 0 reports), 31 already there\n"),
        "{}",
        stderr(&out)
    );
    assert_eq!(manifest(&merged), before, "nothing was written");
    assert_eq!(answers(&merged), answers(&whole(dir.path())));
    // Into a store that holds some of the runs already.
    let out = merge(&a, &[&b]);
    assert_code(&out, 0);
    assert_eq!(answers(&a), answers(&merged));
    assert_no_duplicate_rows(&a);
}

#[test]
fn issue_15_a_store_merged_into_itself_is_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    ingest_runs(&store, 1..=5);
    let before = manifest(&store);
    // The same folder under another spelling is the same store.
    let other_spelling = dir.path().join(".").join("s");
    let out = merge(&store, &[&other_spelling]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("is the store merged into; skipped"),
        "{}",
        stderr(&out)
    );
    assert_eq!(manifest(&store), before);
    assert_eq!(stats(&store)["runs"], 5);
}

#[test]
fn issue_15_a_folder_that_is_not_a_store_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    ingest_runs(&good, 1..=2);
    let target = dir.path().join("target");
    let not_a_store = fixtures().join("history");
    let out = merge(&target, &[&good, &not_a_store]);
    assert_code(&out, 2);
    assert_eq!(
        stderr(&out),
        format!(
            "testsift: {}: not a testsift store: it holds neither manifest.json nor testsift-store; nothing was read (pass a folder `testsift ingest` wrote)\n",
            not_a_store.display()
        )
    );
    let missing = dir.path().join("missing");
    let out = merge(&target, &[&missing]);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("missing: not a testsift store: no such folder"));
    assert!(!target.exists(), "the target was not created");
    // A damaged source is named, and nothing is merged from it.
    let file = fs::read_dir(good.join("segments"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("runs.parquet");
    let mut bytes = fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    fs::write(&file, bytes).unwrap();
    let out = merge(&target, &[&good]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains(&format!("{}: damaged: content hash", file.display())),
        "{}",
        stderr(&out)
    );
    assert!(!target.join("manifest.json").exists());
}

#[test]
fn issue_15_a_run_held_with_other_reports_keeps_this_stores_copy_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let report = |n: u32| {
        history_run(n)
            .join("reports")
            .join("TEST-com.acme.shop.cart.CartServiceTest.xml")
    };
    let one = |store: &Path, n: u32| {
        let out = ingest(
            store,
            &[report(n)],
            &[
                "--quiet",
                "--run-id",
                "same",
                "--timestamp",
                "2026-10-01T02:00:00Z",
            ],
        );
        assert_code(&out, 0);
    };
    one(&a, 1);
    one(&b, 11);
    let before = stats(&a);
    let out = merge(&a, &[&b]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains(&format!(
            "testsift: error: run same is in {} with other reports than in {}; {}'s copy was kept and the other not added",
            b.display(),
            a.display(),
            a.display()
        )),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains(": 0 runs added"));
    assert_eq!(stats(&a), before);
}

// ---- many writers at once ----

fn spawn(args: &[&std::ffi::OsStr]) -> Child {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("testsift"));
    cmd.current_dir(root())
        .env_remove("TESTSIFT_STORE")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in CI_VARS {
        cmd.env_remove(var);
    }
    cmd.spawn().unwrap()
}

fn wait_all(children: Vec<Child>) {
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_code(&out, 0);
    }
}

#[test]
fn issue_15_four_concurrent_ingests_lose_and_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let expected = answers(&whole(dir.path()));
    for round in 0..3 {
        let store = dir.path().join(format!("shared-{round}"));
        let groups: [Vec<u32>; 4] = [
            (1..=6).collect(),
            (7..=12).collect(),
            (13..=18).collect(),
            (19..=25).collect(),
        ];
        let children = groups
            .iter()
            .map(|group| {
                let mut args: Vec<std::ffi::OsString> = vec!["ingest".into()];
                args.extend(group.iter().map(|n| history_run(*n).into_os_string()));
                args.extend(["--run-depth", "0", "--quiet", "--store"].map(Into::into));
                args.push(store.clone().into_os_string());
                let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
                spawn(&args)
            })
            .collect();
        wait_all(children);
        assert_eq!(answers(&store), expected, "round {round}");
        assert_no_duplicate_rows(&store);
        assert_code(&run_cmd(&["verify"], &store), 0);
    }
}

#[test]
fn issue_15_two_concurrent_merges_lose_and_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let expected = answers(&whole(dir.path()));
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    ingest_runs(&a, 1..=14);
    ingest_runs(&b, 10..=25);
    for round in 0..3 {
        let store = dir.path().join(format!("shared-{round}"));
        // Two jobs merging the same stores, in either order, into one store at once.
        let children = [[&a, &b], [&b, &a]]
            .iter()
            .map(|[x, y]| {
                spawn(&[
                    "merge".as_ref(),
                    x.as_os_str(),
                    y.as_os_str(),
                    "--store".as_ref(),
                    store.as_os_str(),
                ])
            })
            .collect();
        wait_all(children);
        assert_eq!(answers(&store), expected, "round {round}");
        assert_no_duplicate_rows(&store);
        assert_code(&run_cmd(&["verify"], &store), 0);
    }
}

#[test]
fn issue_15_a_merge_killed_at_any_point_leaves_the_store_whole() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source");
    ingest_runs(&source, 1..=25);
    let store = dir.path().join("target");
    ingest_runs(&store, 1..=3);
    let before = stats(&store);
    let copy = dir.path().join("copy");
    copy_dir(&store, &copy);
    let started = std::time::Instant::now();
    assert_code(&merge(&copy, &[&source]), 0);
    let took = started.elapsed();
    let after = stats(&copy);
    // Kills spread over the merge's run time, from before it starts to after it ends.
    let step = (took / 24).max(std::time::Duration::from_millis(2));
    let mut delay = std::time::Duration::ZERO;
    // Killed at every step from before the merge starts to past its usual end: each time the
    // store is whole and holds all of the merge or none of it.
    while delay < took * 2 {
        let mut child = spawn(&[
            "merge".as_ref(),
            source.as_os_str(),
            "--store".as_ref(),
            store.as_os_str(),
        ]);
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        assert_code(&run_cmd(&["verify"], &store), 0);
        let now = stats(&store);
        if now == after {
            break;
        }
        assert_eq!(now, before, "killed after {delay:?}");
        delay += step;
    }
    // Whatever the kills left, a merge that runs to its end completes the store.
    assert_code(&merge(&store, &[&source]), 0);
    assert_eq!(stats(&store), after);
    assert_code(&run_cmd(&["verify"], &store), 0);
    assert_no_duplicate_rows(&store);
}

#[test]
fn issue_15_merge_never_reads_testsift_toml() {
    let dir = tempfile::tempdir().unwrap();
    let (a, merged) = (dir.path().join("a"), dir.path().join("m"));
    ingest_runs(&a, 1..=2);
    fs::write(dir.path().join("testsift.toml"), "[owners\n").unwrap();
    // Analyses refuse the broken file; merge, which maintains the store, does not read it.
    let flaky = testsift()
        .current_dir(dir.path())
        .args(["flaky", "--store"])
        .arg(&a)
        .output()
        .unwrap();
    assert_code(&flaky, 2);
    let out = testsift()
        .current_dir(dir.path())
        .arg("merge")
        .arg(&a)
        .arg("--store")
        .arg(&merged)
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert_eq!(stats(&merged)["runs"], 2);
}

#[test]
fn issue_15_a_store_of_the_previous_format_merges_and_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("format2");
    copy_dir(&fixtures().join("stores").join("format2"), &old);
    let merged = dir.path().join("m");
    let out = merge(&merged, &[&old]);
    assert_code(&out, 0);
    assert_eq!(stats(&merged), stats(&old));
    assert_eq!(
        stdout(&run_cmd(&["flaky", "--format", "json"], &merged)),
        stdout(&run_cmd(&["flaky", "--format", "json"], &old))
    );
    assert_code(&run_cmd(&["verify"], &merged), 0);
    // Only read: not even the marker a write would add.
    assert!(!old.join("testsift-store").exists());
    assert_eq!(manifest(&merged)["segments"][0]["format"], 3);
}

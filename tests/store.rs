//! The store's promises, through the real binary: it writes only into a folder it created,
//! deletes only names it wrote, checks its files against the manifest's hashes, refuses a
//! manifest that disagrees with its folder, never reuses a segment id, forgets runs atomically,
//! and prunes the reports it keeps.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};

fn run_dir(n: u32) -> PathBuf {
    fixtures().join("history").join(format!("run-{n:02}"))
}

/// Ingests fixtures/history runs `runs` (one segment) into `store`.
fn ingest_runs(store: &Path, runs: &[u32]) -> std::process::Output {
    let paths: Vec<PathBuf> = runs.iter().map(|n| run_dir(*n)).collect();
    ingest(store, &paths, &["--quiet", "--run-depth", "0"])
}

fn manifest(store: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(store.join("manifest.json")).unwrap()).unwrap()
}

fn write_manifest(store: &Path, m: &serde_json::Value) {
    write(
        &store.join("manifest.json"),
        serde_json::to_vec_pretty(m).unwrap(),
    );
}

fn segment_ids(store: &Path) -> Vec<u64> {
    manifest(store)["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect()
}

fn run_cmd(args: &[&str], store: &Path) -> std::process::Output {
    testsift()
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap()
}

fn stats_out(store: &Path) -> std::process::Output {
    run_cmd(&["stats", "--format", "json"], store)
}

fn verify(store: &Path) -> std::process::Output {
    run_cmd(&["verify"], store)
}

fn new_store(runs: &[u32]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let out = ingest_runs(&store, runs);
    assert_code(&out, 0);
    (dir, store)
}

// ---- issue 18 point 5: a folder the store did not create ----

#[test]
fn issue_18_a_folder_holding_someone_elses_segments_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("mine");
    write(&store.join("segments/notes.txt"), "keep me");
    write(&store.join("segments/00000001/data.bin"), "keep me too");
    let out = ingest_runs(&store, &[1]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("not a testsift store"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_to_string(store.join("segments/notes.txt")).unwrap(),
        "keep me"
    );
    assert!(store.join("segments/00000001/data.bin").is_file());
    assert!(!store.join("manifest.json").exists());
    assert!(!store.join("testsift-store").exists());
    assert!(!store.join("lock").exists());
}

#[test]
fn any_non_empty_folder_without_the_marker_is_refused_an_empty_one_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    write(&full.join("README"), "x");
    assert_code(&ingest_runs(&full, &[1]), 2);
    assert_eq!(fs::read_dir(&full).unwrap().count(), 1);

    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    assert_code(&ingest_runs(&empty, &[1]), 0);
    assert!(empty.join("testsift-store").is_file());
    assert_eq!(stats(&empty)["runs"], 1);
}

#[test]
fn a_store_of_the_previous_format_keeps_working_and_gets_the_marker() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("old");
    copy_dir(&fixtures().join("stores/format2"), &store);
    assert!(!store.join("testsift-store").exists());
    assert_eq!(stats(&store)["executions"], 48);
    assert_code(&verify(&store), 0);
    assert_code(&ingest_runs(&store, &[4, 5]), 0);
    assert!(store.join("testsift-store").is_file());
    let s = stats(&store);
    assert_eq!(
        (s["runs"].as_u64(), s["executions"].as_u64()),
        (Some(5), Some(80))
    );
    assert_eq!(segment_ids(&store), vec![1, 2]);
    assert_eq!(manifest(&store)["format"], 4);
    assert_eq!(manifest(&store)["generation"], 1);
    assert!(store.join("manifests/00000001.json").is_file());
    assert_code(&verify(&store), 0);
    // The flaky verdicts read both layouts.
    let out = run_cmd(&["flaky", "--format", "json"], &store);
    assert_code(&out, 0);
}

#[test]
fn clean_up_removes_only_names_the_store_writes() {
    let (_dir, store) = new_store(&[1]);
    let seg = store.join("segments");
    write(&seg.join("notes.txt"), "not ours");
    write(&seg.join("1/x"), "not ours");
    write(&seg.join("00000007.tmp/executions.parquet"), "half written");
    copy_dir(&seg.join("00000001"), &seg.join("00000009"));
    // Left long ago by writers that died: no other writer can be about to commit them.
    age(&seg.join("00000007.tmp"));
    age(&seg.join("00000009"));
    // A claim whose writer was killed before it named itself: empty, and taken away at once
    // (not aged), since a live writer's claim is never empty for longer than a write.
    fs::create_dir(seg.join("00000008.tmp")).unwrap();
    assert_code(&ingest_runs(&store, &[2]), 0);
    assert!(seg.join("notes.txt").is_file());
    assert!(seg.join("1/x").is_file());
    assert!(!seg.join("00000007.tmp").exists());
    assert!(!seg.join("00000008.tmp").exists());
    assert!(!seg.join("00000009").exists());
    assert_eq!(stats(&store)["runs"], 2);
}

/// Sets the modification time of `path` and of everything directly in it to two hours ago,
/// past the time after which an unfinished write is taken as abandoned.
fn age(path: &Path) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    for entry in fs::read_dir(path).unwrap() {
        let entry = entry.unwrap().path();
        fs::File::options()
            .write(true)
            .open(&entry)
            .unwrap()
            .set_modified(then)
            .unwrap();
    }
    fs::File::open(path).unwrap().set_modified(then).unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn issue_15_clean_up_leaves_the_unfinished_segments_of_live_writers_alone() {
    let (_dir, store) = new_store(&[1]);
    let seg = store.join("segments");
    let read = |p: &str| fs::read_to_string(p).unwrap().trim().to_string();
    let (host, boot) = (
        read("/proc/sys/kernel/hostname"),
        read("/proc/sys/kernel/random/boot_id"),
    );
    let writer = |pid: u32| format!("host {host}\nboot {boot}\npid {pid}\n");
    // Another writer, alive (this test's process), on this machine: a partial segment, and one
    // finished but not yet committed (numbered below the next id, as when a writer with a
    // higher id committed first).
    write(&seg.join("00000005.tmp/writer"), writer(std::process::id()));
    copy_dir(&seg.join("00000001"), &seg.join("00000006"));
    write(&seg.join("00000006/writer"), writer(std::process::id()));
    // Just created, by a process that cannot be told alive or dead (another machine).
    write(
        &seg.join("00000007.tmp/writer"),
        "host elsewhere\nboot x\npid 1\n",
    );
    // A writer of this machine that is gone (pids never reach this high on Linux).
    write(&seg.join("00000008.tmp/writer"), writer(u32::MAX - 1));
    let mut m = manifest(&store);
    m["next_segment"] = 7.into();
    write_manifest(&store, &m);
    // Not damage: readers ignore them, and verify passes.
    assert_eq!(stats(&store)["runs"], 1);
    assert_code(&verify(&store), 0);
    assert_code(&ingest_runs(&store, &[2]), 0);
    assert!(seg.join("00000005.tmp/writer").is_file());
    assert!(seg.join("00000006/writer").is_file());
    assert!(seg.join("00000007.tmp/writer").is_file());
    assert!(!seg.join("00000008.tmp").exists());
    // The new segment took an id no live writer holds (the dead one's was never committed).
    assert_eq!(segment_ids(&store), vec![1, 8]);
    assert_eq!(stats(&store)["runs"], 2);
    // Once untouched for long, the one of the other machine goes too.
    age(&seg.join("00000007.tmp"));
    assert_code(&ingest_runs(&store, &[3]), 0);
    assert!(!seg.join("00000007.tmp").exists());
    assert!(seg.join("00000006").is_dir());
    // A folder without a writer file below the next id is a lost segment: damage.
    fs::remove_file(seg.join("00000006/writer")).unwrap();
    assert_code(&verify(&store), 2);
}

#[test]
fn issue_15_every_commit_is_a_new_generation_and_old_ones_are_pruned() {
    let (_dir, store) = new_store(&[1]);
    for n in 2..=20 {
        assert_code(&ingest_runs(&store, &[n]), 0);
    }
    let m = manifest(&store);
    let generation = m["generation"].as_u64().unwrap();
    assert!(generation >= 20, "{generation}");
    // manifest.json is the newest generation, word for word.
    assert_eq!(
        fs::read(
            store
                .join("manifests")
                .join(format!("{generation:08}.json"))
        )
        .unwrap(),
        fs::read(store.join("manifest.json")).unwrap()
    );
    let mut kept: Vec<u64> = fs::read_dir(store.join("manifests"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .map(|n| n.strip_suffix(".json").unwrap().parse().unwrap())
        .collect();
    kept.sort();
    assert_eq!(kept.last(), Some(&generation));
    assert!(kept.len() <= 17 && kept.len() >= 16, "{kept:?}");
    // A manifest.json set back to an older generation (a slow writer's late rename) hides
    // nothing from testsift, which reads the newest generation; `verify` says that other
    // engines would read an older state, and the next write puts the newest back.
    let older = fs::read(store.join("manifests").join(format!("{:08}.json", kept[0]))).unwrap();
    fs::remove_file(store.join("manifest.json")).unwrap();
    write(&store.join("manifest.json"), older);
    assert_eq!(stats(&store)["runs"], 20);
    let out = verify(&store);
    assert_code(&out, 2);
    assert!(
        stdout(&out).contains(&format!("holds generation {}, not the committed", kept[0])),
        "{}",
        stdout(&out)
    );
    assert_code(&ingest_runs(&store, &[21]), 0);
    assert_code(&verify(&store), 0);
    assert_eq!(
        manifest(&store)["generation"].as_u64(),
        Some(generation + 1)
    );
    assert_eq!(stats(&store)["runs"], 21);
}

// ---- issue 18 point 6: a manifest that disagrees with its folder, damaged files ----

#[test]
fn issue_18_a_manifest_that_stops_listing_a_segment_is_an_error_and_nothing_is_deleted() {
    let (_dir, store) = new_store(&[1, 2]);
    assert_code(&ingest_runs(&store, &[3]), 0);
    let mut m = manifest(&store);
    m["segments"].as_array_mut().unwrap().remove(0);
    write_manifest(&store, &m);
    let out = stats_out(&store);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("00000001"), "{}", stderr(&out));
    assert!(stderr(&out).contains("does not list"), "{}", stderr(&out));
    let out = ingest_runs(&store, &[4]);
    assert_code(&out, 2);
    assert!(store.join("segments/00000001/executions.parquet").is_file());
    let out = verify(&store);
    assert_code(&out, 2);
    assert!(stdout(&out).contains("00000001"), "{}", stdout(&out));

    // The same in a manifest of the previous format (no next_segment).
    let mut m = manifest(&store);
    m["format"] = 2.into();
    m.as_object_mut().unwrap().remove("next_segment");
    write_manifest(&store, &m);
    assert_code(&stats_out(&store), 2);
}

/// `m` written to a temporary file in `store`, to be renamed over manifest.json.
fn tmp_copy(store: &Path, m: &serde_json::Value) -> PathBuf {
    let tmp = store.join("edited.json");
    write(&tmp, serde_json::to_vec_pretty(m).unwrap());
    tmp
}

/// manifest.json replaced by another file (an edit saved through a rename, a copy tool): testsift
/// reads the committed generation, so its answers stay right, but other engines start from
/// manifest.json, so `verify` says so, and the next write puts the committed one back.
#[test]
fn issue_15_a_manifest_json_apart_from_the_committed_generation_is_a_problem_verify_names() {
    let (_dir, store) = new_store(&[1, 2]);
    assert_code(&ingest_runs(&store, &[3]), 0);
    let before = stdout(&stats_out(&store));
    let mut m = manifest(&store);
    m["segments"].as_array_mut().unwrap().remove(0);
    let tmp = store.join("edited.json");
    write(&tmp, serde_json::to_vec_pretty(&m).unwrap());
    fs::rename(&tmp, store.join("manifest.json")).unwrap();
    assert_eq!(stdout(&stats_out(&store)), before);
    let out = verify(&store);
    assert_code(&out, 2);
    assert!(
        stdout(&out).contains("manifest.json: holds other contents than the committed"),
        "{}",
        stdout(&out)
    );
    // `verify --repair` puts the committed manifest back, and so does a write (here one
    // that adds a run).
    let out = run_cmd(&["verify", "--repair"], &store);
    assert_code(&out, 0);
    assert!(
        stdout(&out).contains("put manifest.json back to the newest committed generation"),
        "{}",
        stdout(&out)
    );
    assert_code(&verify(&store), 0);
    fs::rename(tmp_copy(&store, &m), store.join("manifest.json")).unwrap();
    assert_code(&verify(&store), 2);
    assert_code(&ingest_runs(&store, &[4]), 0);
    assert_code(&verify(&store), 0);
    // An ingest that writes nothing (every run held already) puts it back too, and says so.
    fs::rename(tmp_copy(&store, &m), store.join("manifest.json")).unwrap();
    let out = ingest_runs(&store, &[4]);
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("manifest.json was behind the newest committed generation"),
        "{}",
        stderr(&out)
    );
    assert_code(&verify(&store), 0);
    let committed = fs::read_dir(store.join("manifests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max()
        .unwrap();
    assert_eq!(
        fs::read(store.join("manifest.json")).unwrap(),
        fs::read(committed).unwrap()
    );
}

#[test]
fn issue_18_a_manifest_listing_a_segment_twice_is_an_error() {
    let (_dir, store) = new_store(&[1, 2]);
    let mut m = manifest(&store);
    let first = m["segments"][0].clone();
    m["segments"].as_array_mut().unwrap().push(first);
    write_manifest(&store, &m);
    let out = stats_out(&store);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("more than once"), "{}", stderr(&out));
    assert_code(&run_cmd(&["flaky"], &store), 2);
    assert_code(&ingest_runs(&store, &[3]), 2);
    let out = verify(&store);
    assert_code(&out, 2);
    assert!(stdout(&out).contains("more than once"), "{}", stdout(&out));
}

/// A segment whose manifest entry lost its files' sizes and hashes (every segment since format
/// 3 has them) cannot be trusted: readers refuse it and verify names its files.
#[test]
fn a_segment_listed_without_its_hashes_is_damage() {
    let (_dir, store) = new_store(&[1, 2]);
    let mut m = manifest(&store);
    m["segments"][0]["files"] = serde_json::json!({});
    let text = serde_json::to_vec_pretty(&m).unwrap();
    write(&store.join("manifest.json"), &text);
    for g in fs::read_dir(store.join("manifests")).unwrap() {
        write(&g.unwrap().path(), &text);
    }
    let out = stats_out(&store);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("the manifest lists no size and hash for it"),
        "{}",
        stderr(&out)
    );
    let out = verify(&store);
    assert_code(&out, 2);
    assert_eq!(
        stdout(&out)
            .matches("the manifest lists no size and hash for it")
            .count(),
        4,
        "{}",
        stdout(&out)
    );
}

#[test]
fn issue_18_a_damaged_file_is_named_by_readers_ingest_and_verify() {
    let (_dir, store) = new_store(&[1, 2]);
    let file = store.join("segments/00000001/executions.parquet");
    let mut bytes = fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    fs::write(&file, bytes).unwrap();
    for out in [
        stats_out(&store),
        run_cmd(&["flaky"], &store),
        ingest_runs(&store, &[3]),
    ] {
        assert_code(&out, 2);
        assert!(
            stderr(&out).contains("segments/00000001/executions.parquet"),
            "{}",
            stderr(&out)
        );
    }
    let out = verify(&store);
    assert_code(&out, 2);
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("executions.parquet") && lines[0].contains("hash"));
}

/// A store with a damaged segment (a CI cache saved half-written) keeps its other runs:
/// `verify --repair` takes the damaged segments out in one commit, names the runs they held,
/// and moves their files aside; readers and ingest work again, and the named runs can be
/// ingested again.
#[test]
fn verify_repair_takes_damaged_segments_out_and_names_their_runs() {
    let (_dir, store) = new_store(&[1]);
    for run in [2, 3, 4] {
        assert_code(&ingest_runs(&store, &[run]), 0);
    }
    assert_eq!(segment_ids(&store), [1, 2, 3, 4]);
    let runs_before = stats_json(&store)["runs"].as_u64().unwrap();
    // Segment 2: its executions cut short (its runs table whole); segment 3: gone.
    let file = store.join("segments/00000002/executions.parquet");
    let bytes = fs::read(&file).unwrap();
    fs::write(&file, &bytes[..100]).unwrap();
    fs::remove_dir_all(store.join("segments/00000003")).unwrap();
    let out = stats_out(&store);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("verify --repair"), "{}", stderr(&out));

    let out = run_cmd(&["verify", "--repair"], &store);
    assert_code(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("took out segment 2 (") && text.contains("1 run: 1002"),
        "{text}"
    );
    assert!(
        text.contains("took out segment 3 (") && text.contains("their keys are unknown"),
        "{text}"
    );
    assert!(text.contains("took 2 damaged segments out"), "{text}");
    assert!(store.join("damaged/00000002/executions.parquet").is_file());
    assert_eq!(segment_ids(&store), [1, 4]);
    assert_code(&verify(&store), 0);
    assert_eq!(
        stats_json(&store)["runs"].as_u64().unwrap(),
        runs_before - 2
    );
    // The runs it named go back in; the others are already there.
    assert_code(&ingest_runs(&store, &[1, 2, 3, 4]), 0);
    assert_eq!(stats_json(&store)["runs"].as_u64().unwrap(), runs_before);
    assert_code(&verify(&store), 0);
    // Nothing damaged: nothing to do.
    let out = run_cmd(&["verify", "--repair"], &store);
    assert_code(&out, 0);
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}

fn stats_json(store: &Path) -> serde_json::Value {
    let out = stats_out(store);
    assert_code(&out, 0);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn verify_passes_a_whole_store_and_lists_every_problem_of_a_broken_one() {
    let (_dir, store) = new_store(&[1]);
    assert_code(&ingest_runs(&store, &[2]), 0);
    let out = verify(&store);
    assert_code(&out, 0);
    assert!(stdout(&out).is_empty());

    fs::remove_file(store.join("segments/00000002/runs.parquet")).unwrap();
    write(&store.join("segments/stray"), "x");
    let mut m = manifest(&store);
    let mut ghost = m["segments"][0].clone();
    ghost["id"] = 5.into();
    m["segments"].as_array_mut().unwrap().push(ghost);
    m["next_segment"] = 6.into();
    write_manifest(&store, &m);
    let out = verify(&store);
    assert_code(&out, 2);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains("00000002/runs.parquet: missing"), "{text}");
    assert!(text.contains("00000005: listed"), "{text}");
    assert!(text.contains("stray"), "{text}");
}

#[test]
fn issue_18_segment_ids_are_never_reused_and_do_not_wrap() {
    let (_dir, store) = new_store(&[1]);
    assert_code(&ingest_runs(&store, &[2]), 0);
    let out = run_cmd(&["forget", "1002"], &store);
    assert_code(&out, 0);
    assert_eq!(segment_ids(&store), vec![1]);
    assert_code(&ingest_runs(&store, &[3]), 0);
    assert_eq!(segment_ids(&store), vec![1, 3]);

    let mut m = manifest(&store);
    m["next_segment"] = u64::MAX.into();
    write_manifest(&store, &m);
    let out = ingest_runs(&store, &[5]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("no segment id left"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stats(&store)["runs"], 2);
}

// ---- interrupted writes ----

#[test]
fn what_an_interrupted_write_leaves_is_ignored_by_readers_and_removed_by_the_next_write() {
    let (_dir, store) = new_store(&[1, 2]);
    let before = stats(&store);
    let seg = store.join("segments");
    // Killed while writing a segment, and killed after renaming it but before the manifest.
    copy_dir(&seg.join("00000001"), &seg.join("00000002.tmp"));
    copy_dir(&seg.join("00000001"), &seg.join("00000002"));
    age(&seg.join("00000002.tmp"));
    assert_eq!(stats(&store), before);
    assert_code(&verify(&store), 0);
    // Killed after a forget's manifest but before the replaced folders were deleted.
    let mut m = manifest(&store);
    m["retired"] = serde_json::json!([1]);
    m["segments"][0]["id"] = 3.into();
    m["next_segment"] = 4.into();
    fs::rename(seg.join("00000002"), seg.join("00000003")).unwrap();
    write_manifest(&store, &m);
    assert_eq!(stats(&store), before);
    assert_code(&verify(&store), 0);
    assert_code(&ingest_runs(&store, &[3]), 0);
    assert!(!seg.join("00000001").exists());
    assert!(!seg.join("00000002.tmp").exists());
    assert!(manifest(&store).get("retired").is_none());
    assert_eq!(stats(&store)["runs"], 3);
}

// ---- issue 13: forget ----

#[test]
fn issue_13_forget_removes_runs_and_says_what_it_removed() {
    let (_dir, store) = new_store(&[1, 2, 3]);
    assert_code(&ingest_runs(&store, &[4]), 0);
    let out = run_cmd(&["forget", "1002", "1004", "nope"], &store);
    assert_code(&out, 0);
    assert_eq!(
        stdout(&out),
        "removed run 1002 (variant test): 16 executions\n\
         removed run 1004 (variant test): 16 executions\n\
         removed 2 runs and 32 executions\n"
    );
    assert!(
        stderr(&out).contains("warning: run nope is not in"),
        "{}",
        stderr(&out)
    );
    let s = stats(&store);
    assert_eq!(
        (
            s["runs"].as_u64(),
            s["executions"].as_u64(),
            s["files"].as_u64()
        ),
        (Some(2), Some(32), Some(6))
    );
    // The segment that held only 1004 is gone, the other rewritten under a new id.
    assert_eq!(segment_ids(&store), vec![3]);
    assert_eq!(fs::read_dir(store.join("segments")).unwrap().count(), 1);
    assert_code(&verify(&store), 0);
    // Forgotten runs can be ingested again.
    assert_code(&ingest_runs(&store, &[2]), 0);
    assert_eq!(stats(&store)["runs"], 3);
}

#[test]
fn forget_before_a_date_and_by_variant() {
    let (_dir, store) = new_store(&[1, 2, 3, 4]);
    let out = run_cmd(&["forget", "1004", "--variant", "other"], &store);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("no run matched"), "{}", stderr(&out));
    let out = run_cmd(&["forget", "1004", "--variant", "test"], &store);
    assert_code(&out, 0);
    // Runs 1001..1003 are on 2026-10-01..03.
    let out = run_cmd(&["forget", "--before", "2026-10-03"], &store);
    assert_code(&out, 0);
    assert!(
        stdout(&out).ends_with("removed 2 runs and 32 executions\n"),
        "{}",
        stdout(&out)
    );
    assert_eq!(stats(&store)["runs"], 1);
    let out = run_cmd(&["forget", "--before", "2026-10-03"], &store);
    assert_code(&out, 2);
    assert_code(&run_cmd(&["forget"], &store), 2);
}

// ---- issue 15 point 3: kept reports are pruned ----

#[test]
fn issue_15_report_keeps_the_newest_n_copies_and_nothing_else_is_touched() {
    let (dir, store) = new_store(&[1, 2, 3]);
    write(&store.join("reports/notes.txt"), "mine");
    let out_dir = dir.path().join("out");
    for keep in ["3", "3", "3", "2"] {
        let out = testsift()
            .arg("report")
            .arg("--store")
            .arg(&store)
            .arg("--out")
            .arg(&out_dir)
            .args(["--keep-reports", keep])
            .output()
            .unwrap();
        assert_code(&out, 0);
    }
    let mut names: Vec<String> = fs::read_dir(store.join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[2], "notes.txt");
    assert_code(
        &run_cmd(
            &[
                "report",
                "--out",
                out_dir.to_str().unwrap(),
                "--keep-reports",
                "0",
            ],
            &store,
        ),
        2,
    );
}

// ---- issue 15 point 1: a layout other engines read right ----

#[test]
fn issue_15_hash_keys_are_signed_and_fingerprints_are_hex_on_disk() {
    use polars::prelude::*;
    let (_dir, store) = new_store(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    let seg = store.join("segments/00000001");
    let read = |file: &str| {
        let path = seg.join(file).to_string_lossy().into_owned();
        LazyFrame::scan_parquet(PlRefPath::new(path), ScanArgsParquet::default())
            .unwrap()
            .collect()
            .unwrap()
    };
    let executions = read("executions.parquet");
    for key in ["run_key", "test", "report_key"] {
        assert_eq!(
            executions.column(key).unwrap().dtype(),
            &DataType::Int64,
            "{key}"
        );
    }
    assert_eq!(
        executions.column("fingerprint").unwrap().dtype(),
        &DataType::String
    );
    let hex: Vec<String> = executions
        .column("fingerprint")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    assert!(!hex.is_empty());
    assert!(
        hex.iter()
            .all(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    );
    assert_eq!(
        read("tests.parquet").column("test").unwrap().dtype(),
        &DataType::Int64
    );
    assert_eq!(
        read("runs.parquet").column("run_key").unwrap().dtype(),
        &DataType::Int64
    );
    assert_eq!(
        read("reports.parquet")
            .column("report_key")
            .unwrap()
            .dtype(),
        &DataType::Int64
    );
    // testsift reads them back as it wrote them: the fingerprints flaky prints are the stored ones.
    let out = run_cmd(&["flaky", "--format", "json", "--min-runs", "1"], &store);
    assert_code(&out, 0);
    let flaky: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let printed: Vec<String> = flaky["tests"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["fingerprints"].as_array().unwrap().iter())
        .map(|g| g["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert!(!printed.is_empty());
    assert!(printed.iter().all(|p| hex.contains(p)), "{printed:?}");
}

// ---- issue 15 point 2: compaction ----

#[test]
fn issue_15_compact_merges_segments_and_answers_stay_the_same() {
    let (_dir, store) = new_store(&[1]);
    for n in 2..=6 {
        assert_code(&ingest_runs(&store, &[n]), 0);
    }
    assert_eq!(segment_ids(&store).len(), 6);
    let before = stats(&store);
    let flaky_before = stdout(&run_cmd(&["flaky", "--format", "json"], &store));
    let out = run_cmd(&["compact"], &store);
    assert_code(&out, 0);
    assert_eq!(segment_ids(&store), vec![7]);
    assert_eq!(fs::read_dir(store.join("segments")).unwrap().count(), 1);
    assert_eq!(stats(&store), before);
    assert_eq!(
        stdout(&run_cmd(&["flaky", "--format", "json"], &store)),
        flaky_before
    );
    assert_code(&verify(&store), 0);
    assert_code(&ingest_runs(&store, &[7]), 0);
    assert_eq!(segment_ids(&store), vec![7, 8]);
}

#[test]
fn issue_15_a_compacted_segment_is_about_as_large_as_one_ingest_of_the_same_runs() {
    let (_dir, store) = new_store(&[1]);
    for n in 2..=8 {
        assert_code(&ingest_runs(&store, &[n]), 0);
    }
    assert_code(&run_cmd(&["compact"], &store), 0);
    let (_dir2, once) = new_store(&(1..=8).collect::<Vec<_>>());
    let files = |store: &Path| {
        let m = manifest(store);
        assert_eq!(m["segments"].as_array().unwrap().len(), 1);
        m["segments"][0]["files"].clone()
    };
    let (compacted, once) = (files(&store), files(&once));
    // Each table gathered from eight segments is written as one row group, not eight.
    for file in ["runs.parquet", "reports.parquet", "tests.parquet"] {
        let (a, b) = (
            compacted[file]["size"].as_f64().unwrap(),
            once[file]["size"].as_f64().unwrap(),
        );
        assert!(
            a <= 1.1 * b,
            "{file}: {a} bytes compacted, {b} ingested at once"
        );
    }
}

#[test]
fn issue_15_ingest_merges_small_segments_on_its_own() {
    let (_dir, store) = new_store(&[1]);
    for n in 2..=16 {
        assert_code(&ingest_runs(&store, &[n]), 0);
    }
    // The names the one-run segments repeat (5.4 KB each) pass 64 KiB and 5% of the store
    // at the 14th ingest, which merges them; without that, the 16th small segment would.
    assert_eq!(segment_ids(&store), vec![15, 16, 17]);
    assert_eq!(manifest(&store)["segments"][0]["runs"], 14);
    assert_eq!(stats(&store)["runs"], 16);
    assert_code(&verify(&store), 0);
}

/// A compaction removes the segments it replaced as soon as its manifest is installed, so a
/// reader that listed them could find one gone and fail (about one read in twenty did, with a
/// writer ingesting and compacting beside it). Readers take no lock; they read again when the
/// manifest changed under a failed read.
#[test]
fn readers_stay_right_while_a_writer_ingests_and_compacts() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    assert!(ingest_runs(&store, &[1]).status.success());
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            for n in 2..=24 {
                let out = ingest_runs(&store, &[n]);
                assert!(out.status.success(), "{}", stderr(&out));
                let out = testsift()
                    .args(["compact", "--store"])
                    .arg(&store)
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{}", stderr(&out));
            }
        })
    };
    let (mut reads, mut seen) = (0, 0);
    while !writer.is_finished() || reads == 0 {
        let out = testsift()
            .args(["flaky", "--format", "json", "--store"])
            .arg(&store)
            .output()
            .unwrap();
        assert!(out.status.success(), "read {reads}: {}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let runs = json["summary"]["runs"].as_u64().unwrap();
        // Runs are only added: a later read never sees fewer.
        assert!(runs >= seen, "read {reads} saw {runs} runs after {seen}");
        seen = runs;
        reads += 1;
    }
    writer.join().unwrap();
    assert!(reads > 5, "only {reads} reads ran beside the writer");
}

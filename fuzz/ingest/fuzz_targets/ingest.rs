//! Fuzz target: a whole `ingest` of a small folder built from the input, into a fresh store.
//! The input is split at `\n==>` into files; each file's first byte picks its name (plain,
//! gzipped and nested reports, run.json, zip and tar.gz archives, in up to three runs), the
//! rest is its content. Besides "no panic, no hang", it checks what ingest promises: a store
//! it wrote passes `verify`, holds exactly the executions the summary counted, and a second
//! ingest of the same folder adds nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use testsift::fuzzing;

const NAMES: [&str; 10] = [
    "run1/a.xml",
    "run1/b.xml.gz",
    "run1/nested/c.xml",
    "run1/run.json",
    "run2/junit.xml",
    "run2/run.json",
    "run2/results.tar.gz",
    "run3.zip",
    "run3/TEST-x.xml",
    "run4.tgz",
];

static NEXT: AtomicU64 = AtomicU64::new(0);

fn scratch() -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("testsift-fuzz-ingest-{}-{n}", std::process::id()))
}

fn write_inputs(root: &Path, data: &[u8]) -> bool {
    let mut wrote = false;
    for part in split(data).take(12) {
        let Some((&pick, content)) = part.split_first() else {
            continue;
        };
        let path = root.join(NAMES[usize::from(pick) % NAMES.len()]);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        wrote |= std::fs::write(&path, content).is_ok();
    }
    wrote
}

fn split(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let data = rest?;
        match memchr::memmem::find(data, b"\n==>") {
            Some(at) => {
                rest = Some(&data[at + 4..]);
                Some(&data[..at])
            }
            None => {
                rest = None;
                Some(data)
            }
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let root = scratch();
    let input = root.join("in");
    if std::fs::create_dir_all(&input).is_err() || !write_inputs(&input, data) {
        let _ = std::fs::remove_dir_all(&root);
        return;
    }
    let store = root.join("store");
    if let Some(first) = fuzzing::ingest(&input, &store)
        && first.runs > 0
    {
        let problems = fuzzing::verify(&store);
        assert!(problems.is_empty(), "verify: {problems:?}");
        let executions = fuzzing::executions(&store);
        assert_eq!(executions, first.executions);
        if let Some(again) = fuzzing::ingest(&input, &store) {
            assert_eq!(again.runs, 0, "a second ingest added runs");
        }
        assert_eq!(fuzzing::executions(&store), executions);
    }
    let _ = std::fs::remove_dir_all(&root);
});

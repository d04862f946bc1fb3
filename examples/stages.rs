//! Times ingest's stages separately over the reports under DIR (read, parse, fold+name), to
//! see where `testsift ingest` spends its time next to the floor. `cargo run --release
//! --example stages -- DIR`.

use rayon::prelude::*;
use std::time::Instant;

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "xml") {
            out.push(p);
        }
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bench-history-quick".into());
    let mut paths = Vec::new();
    files(std::path::Path::new(&dir), &mut paths);
    paths.sort();
    let t = Instant::now();
    let data: Vec<Vec<u8>> = paths
        .par_iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect();
    let bytes: usize = data.iter().map(Vec::len).sum();
    let read = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let reports: Vec<_> = data
        .par_iter()
        .map(|d| vec![testsift::junit::parse(d)])
        .collect();
    let parse = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let registry = testsift::ingest::stage::TestRegistry::default();
    let rows: usize = reports
        .into_par_iter()
        .map(|r| {
            let rows = testsift::fold::fold(&r);
            testsift::ingest::stage::RunRows::new(String::new(), String::new(), rows, r, &registry)
                .len()
        })
        .sum();
    let fold = t.elapsed().as_secs_f64();
    let mb = bytes as f64 / 1e6;
    println!("{} files, {mb:.1} MB, {rows} rows", data.len());
    println!("read  {read:.3} s  {:.0} MB/s", mb / read);
    println!("parse {parse:.3} s  {:.0} MB/s", mb / parse);
    println!("fold  {fold:.3} s  {:.0} MB/s-equivalent", mb / fold);
}

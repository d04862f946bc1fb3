//! `floor [--threads N] DIR...`: the throughput floor, printed as one line of JSON on stdout.
//!
//! See `testsift_bench::floor` for what is measured. Unreadable or malformed files are reported on
//! stderr, counted in `"errors"`, and make the exit code 2 after the JSON is printed.

use std::path::PathBuf;
use std::process::ExitCode;

use testsift_bench::args::Args;
use testsift_bench::error::{BenchError, Result};
use testsift_bench::floor;

const USAGE: &str = "usage: floor [--threads N] DIR...

Reads every *.xml under DIR (recursively, sorted) with a bare quick-xml loop on N threads
(default: RAYON_NUM_THREADS, else the available cores) and prints one line of JSON:
files, bytes, testcases, time_sum, seconds, mb_per_s (10^6 bytes), cases_per_s, threads, errors.";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("floor: {err}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    let args = Args::parse(
        std::env::args_os().skip(1),
        &["--threads"],
        &["--help", "-h"],
    )?;
    if args.switch("--help") || args.switch("-h") {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    if args.positional.is_empty() {
        return Err(BenchError::new(format!("no directory given\n{USAGE}")));
    }
    let threads = args.value::<usize>("--threads")?.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| BenchError::new(format!("cannot start the thread pool: {e}")))?;
    let roots: Vec<PathBuf> = args.positional.iter().map(PathBuf::from).collect();
    let files = floor::collect_xml(&roots)?;
    let (totals, seconds) = pool.install(|| floor::measure(&files));
    for err in &totals.errors {
        eprintln!("floor: {err}");
    }
    println!("{}", totals.to_json(seconds, pool.current_num_threads()));
    Ok(if totals.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

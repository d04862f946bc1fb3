//! `quality [--verbose] TRUTH FLAKY [TRUTH FLAKY ...]`: scores `testsift flaky` against the ground
//! truth of synthetic histories and checks the targets.
//!
//! See `testsift_bench::quality` for the definitions. Prints a Markdown table on stdout (one row
//! per history, and an "all" row when there are several); exits 1 when a target is missed, 2 on
//! bad input.

use std::path::PathBuf;
use std::process::ExitCode;

use testsift_bench::args::Args;
use testsift_bench::error::{BenchError, Result};
use testsift_bench::quality::{self, Counts, Targets};

const USAGE: &str = "usage: quality [--verbose] TRUTH FLAKY [TRUTH FLAKY ...]

TRUTH is the truth.json that synth wrote beside a history, FLAKY the output of
`testsift flaky --format json` over that history (the whole window, default thresholds).
Prints precision and recall of `flaky` and `broken` per history and in all, with the counts,
with a row per history kind (dialect) and one for all, and exits 1 when a target is missed:
flaky precision >= 0.97, flaky recall >= 0.95 for tests with a flake rate >= 0.05 that failed
at least once, no broken test called flaky, broken recall >= 0.95, first bad commit exact for
>= 95% of broken tests (in every history, every kind and in all).
--verbose lists every wrong call on stderr.";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("quality: {err}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    let args = Args::parse(
        std::env::args_os().skip(1),
        &[],
        &["--help", "-h", "--verbose"],
    )?;
    if args.switch("--help") || args.switch("-h") {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    if args.positional.is_empty() || args.positional.len() % 2 != 0 {
        return Err(BenchError::new(format!(
            "expected pairs of TRUTH and FLAKY files\n{USAGE}"
        )));
    }
    let targets = Targets::default();
    // Read everything first, so that bad input fails before any output.
    let mut histories = Vec::new();
    for pair in args.positional.chunks(2) {
        let (truth_path, flaky_path) = (PathBuf::from(&pair[0]), PathBuf::from(&pair[1]));
        let truth_name = truth_path.display().to_string();
        let truth = quality::parse_truth(&quality::read_json(&truth_path)?, &truth_name)?;
        let flaky_name = flaky_path.display().to_string();
        let verdicts = quality::parse_verdicts(&quality::read_json(&flaky_path)?, &flaky_name)?;
        histories.push((truth_name, truth, verdicts));
    }
    println!("{}", quality::header());
    let mut all = Counts::default();
    let mut missed = Vec::new();
    for (truth_name, truth, verdicts) in &histories {
        let mut wrong = Vec::new();
        let counts = quality::score(truth, verdicts, &targets, &mut wrong);
        let label = format!("{truth_name} ({} runs)", truth.runs);
        println!("{}", quality::row(&label, &counts));
        if args.switch("--verbose") {
            for line in &wrong {
                eprintln!("quality: {truth_name}: {line}");
            }
        }
        missed.extend(
            counts
                .misses(&targets)
                .into_iter()
                .map(|m| format!("{truth_name}: {m}")),
        );
        all.add(&counts);
    }
    // One row per history kind (the dialect of a realistic history), then all of them.
    let mut kinds: Vec<(String, Counts)> = Vec::new();
    for (_, truth, verdicts) in &histories {
        let kind = truth.dialect.clone().unwrap_or_else(|| "plain".to_owned());
        let counts = quality::score(truth, verdicts, &targets, &mut Vec::new());
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, c)) => c.add(&counts),
            None => kinds.push((kind, counts)),
        }
    }
    if kinds.len() > 1 || histories.len() > kinds.len() {
        for (kind, counts) in &kinds {
            println!("{}", quality::row(&format!("all {kind}"), counts));
            missed.extend(
                counts
                    .misses(&targets)
                    .into_iter()
                    .map(|m| format!("all {kind}: {m}")),
            );
        }
    }
    if args.positional.len() > 2 {
        println!("{}", quality::row("all", &all));
        missed.extend(
            all.misses(&targets)
                .into_iter()
                .map(|m| format!("all: {m}")),
        );
    }
    for m in &missed {
        eprintln!("quality: target missed: {m}");
    }
    Ok(if missed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

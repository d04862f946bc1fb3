//! `synth [--runs N] [--tests N] [--shards N] [--seed N] OUT`: writes a synthetic CI history.
//!
//! See `testsift_bench::synth` for what is written. A summary goes to stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use testsift_bench::args::Args;
use testsift_bench::error::{BenchError, Result};
use testsift_bench::synth::{self, Config, Dialect};

const USAGE: &str =
    "usage: synth [--runs 1000] [--tests 5000] [--shards 4] [--seed 42] [--dialect D] OUT

Writes OUT/run-NNNN/{run.json,shard-K/TEST-shard-K.xml} for every run and OUT/truth.json,
the ground truth of which tests are flaky, broken, skipped or slow. OUT must not exist or
be empty. The same seed always writes the same bytes.

--dialect surefire|nextest|gradle|pytest|jest writes a history shaped like real CI instead:
pull-request branches testing the commits of main, re-runs, breakages by commit (one or several
tests, one or many commits), feature branches with bugs of their own fixed one to three pushes
later, shard crashes, outages of an external service ended by a passing re-run, retries
switched on part-way, in that dialect's report format; truth.json then gives each broken
test's first bad commit and fixing commit, and lists the outages.";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("synth: {err}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<()> {
    let args = Args::parse(
        std::env::args_os().skip(1),
        &["--runs", "--tests", "--shards", "--seed", "--dialect"],
        &["--help", "-h"],
    )?;
    if args.switch("--help") || args.switch("-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let [out] = args.positional.as_slice() else {
        return Err(BenchError::new(format!(
            "expected exactly one output directory\n{USAGE}"
        )));
    };
    let config = Config {
        runs: args.value("--runs")?.unwrap_or(1000),
        tests: args.value("--tests")?.unwrap_or(5000),
        shards: args.value("--shards")?.unwrap_or(4),
        seed: args.value("--seed")?.unwrap_or(42),
        out: PathBuf::from(out),
        dialect: match args.value::<String>("--dialect")? {
            None => None,
            Some(d) => Some(Dialect::parse(&d).ok_or_else(|| {
                BenchError::new(format!(
                    "--dialect {d}: expected surefire, nextest, gradle, pytest or jest"
                ))
            })?),
        },
    };
    let s = synth::generate(&config)?;
    eprintln!(
        "synth: wrote {} runs to {} in {:.1} s: {} report files, {:.1} MB of XML ({:.1} MB in all), \
         {} test cases ({} failed, {} flaky-recovered), {} re-runs; truth: {} flaky, {} broken, \
         {} skipped, {} slow",
        s.runs,
        config.out.display(),
        s.seconds,
        s.reports,
        s.xml_bytes as f64 / 1e6,
        s.bytes as f64 / 1e6,
        s.testcases,
        s.failed,
        s.flaky,
        s.reruns,
        s.truth_flaky,
        s.truth_broken,
        s.truth_skipped,
        s.truth_slow
    );
    Ok(())
}

//! The synthetic CI history generator behind the `synth` binary.
//!
//! `OUT/run-NNNN/run.json` describes each run; `OUT/run-NNNN/shard-K/TEST-shard-K.xml` holds one
//! Surefire-shaped report per shard; `OUT/truth.json` lists what every non-trivial test really
//! does, for precision/recall benchmarks. The same seed always gives the same bytes, whatever the
//! thread count: the plan is drawn sequentially, and each (run, shard) file has its own RNG stream.

mod ci;
mod json;
mod plan;
mod text;
mod xml;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::error::{BenchError, Result};
pub use ci::Dialect;
use plan::Suite;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    /// Number of CI runs.
    pub runs: u32,
    /// Number of distinct test cases in the suite.
    pub tests: usize,
    /// Report files per run.
    pub shards: usize,
    /// RNG seed.
    pub seed: u64,
    /// Output directory; must not exist yet or be empty.
    pub out: PathBuf,
    /// `None`: the plain Surefire history (one branch, breakages by run number). Some dialect: a
    /// history shaped like real CI in that dialect's report format (see [`ci`]).
    pub dialect: Option<Dialect>,
}

/// What was written.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    /// Runs written.
    pub runs: u32,
    /// Report (XML) files.
    pub reports: u64,
    /// Bytes of all files written, JSON included.
    pub bytes: u64,
    /// Bytes of the XML reports alone.
    pub xml_bytes: u64,
    /// `<testcase>` elements.
    pub testcases: u64,
    /// Test cases that failed outright (`<failure>` or `<error>`).
    pub failed: u64,
    /// Test cases that failed and then passed on a Surefire retry.
    pub flaky: u64,
    /// Runs that are re-runs (attempt 2) of a failed pipeline.
    pub reruns: u32,
    /// Ground-truth counts.
    pub truth_flaky: usize,
    /// Ground-truth counts.
    pub truth_broken: usize,
    /// Ground-truth counts.
    pub truth_skipped: usize,
    /// Ground-truth counts.
    pub truth_slow: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Generates the history described by `config`.
pub fn generate(config: &Config) -> Result<Summary> {
    if config.runs == 0 || config.tests == 0 || config.shards == 0 {
        return Err(BenchError::new(
            "--runs, --tests and --shards must be at least 1",
        ));
    }
    if config.shards > config.tests.div_ceil(20) {
        return Err(BenchError::new(format!(
            "--shards {} is more than the {} test classes; use fewer shards or more tests",
            config.shards,
            config.tests.div_ceil(20)
        )));
    }
    let start = Instant::now();
    prepare_out(&config.out)?;
    let mut suite = Suite::plan(config);
    let mut history = config
        .dialect
        .map(|dialect| ci::plan(config, &mut suite, dialect));
    let runs = match history {
        Some(ref mut h) => std::mem::take(&mut h.runs),
        None => suite.plan_runs(config),
    };
    let width = config.runs.to_string().len().max(4);

    let per_run: Vec<Result<Summary>> = runs
        .par_iter()
        .map(|run| write_run(config, &suite, run, width))
        .collect();
    let mut summary = Summary::default();
    for result in per_run {
        let s = result?;
        summary.runs += s.runs;
        summary.reports += s.reports;
        summary.bytes += s.bytes;
        summary.xml_bytes += s.xml_bytes;
        summary.testcases += s.testcases;
        summary.failed += s.failed;
        summary.flaky += s.flaky;
    }
    summary.reruns = runs.iter().filter(|r| r.attempt > 1).count() as u32;

    let (truth, counts) = match (history, config.dialect) {
        (Some(mut h), Some(dialect)) => {
            h.runs = runs;
            ci::truth_json(config, &suite, &h, dialect)
        }
        _ => json::truth_json(config, &suite, &runs),
    };
    let truth_path = config.out.join("truth.json");
    fs::write(&truth_path, &truth).map_err(|e| BenchError::io("cannot write", &truth_path, &e))?;
    summary.bytes += truth.len() as u64;
    summary.truth_flaky = counts.flaky;
    summary.truth_broken = counts.broken;
    summary.truth_skipped = counts.skipped;
    summary.truth_slow = counts.slow;
    summary.seconds = start.elapsed().as_secs_f64();
    Ok(summary)
}

/// Creates `out`, refusing to mix a new history into an old one.
fn prepare_out(out: &Path) -> Result<()> {
    match fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BenchError::new(format!(
                    "{} exists and is not empty; remove it or choose another directory",
                    out.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(out).map_err(|e| BenchError::io("cannot create", out, &e))
        }
        Err(e) => Err(BenchError::io("cannot open", out, &e)),
    }
}

fn write_run(config: &Config, suite: &Suite, run: &plan::Run, width: usize) -> Result<Summary> {
    let run_id = format!("run-{:0width$}", run.number);
    let dir = config.out.join(&run_id);
    fs::create_dir_all(&dir).map_err(|e| BenchError::io("cannot create", &dir, &e))?;
    let run_json = json::run_json(run, &run_id);
    let json_path = dir.join("run.json");
    fs::write(&json_path, &run_json).map_err(|e| BenchError::io("cannot write", &json_path, &e))?;
    let mut summary = Summary {
        runs: 1,
        bytes: run_json.len() as u64,
        ..Summary::default()
    };
    for shard in 0..config.shards {
        let (bytes, counts) = match config.dialect {
            None | Some(Dialect::Surefire) => xml::shard(suite, run, shard, config.seed),
            Some(dialect) => ci::shard(suite, run, shard, config.seed, dialect),
        };
        let shard_dir = dir.join(format!("shard-{}", shard + 1));
        fs::create_dir_all(&shard_dir)
            .map_err(|e| BenchError::io("cannot create", &shard_dir, &e))?;
        let path = shard_dir.join(format!("TEST-shard-{}.xml", shard + 1));
        let file =
            fs::File::create(&path).map_err(|e| BenchError::io("cannot create", &path, &e))?;
        let mut writer = BufWriter::with_capacity(1 << 18, file);
        writer
            .write_all(&bytes)
            .and_then(|()| writer.flush())
            .map_err(|e| BenchError::io("cannot write", &path, &e))?;
        summary.reports += 1;
        summary.bytes += bytes.len() as u64;
        summary.xml_bytes += bytes.len() as u64;
        summary.testcases += counts.tests;
        summary.failed += counts.failures + counts.errors;
        summary.flaky += counts.flaky;
    }
    Ok(summary)
}

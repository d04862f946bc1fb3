//! The small JSON files of a synthetic history (`run.json` per run, `truth.json` for the whole
//! history) and the date formatting they need, written by hand to keep serde out of the crate.

use std::fmt::Write;

use crate::synth::Config;
use crate::synth::plan::{Behaviour, Outcome, Run, Suite};

/// Median duration from which a test counts as slow in the ground truth.
pub(crate) const SLOW_SECS: f64 = 1.0;

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD` of a Unix timestamp, UTC.
pub(crate) fn date(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// ISO-8601 UTC of a Unix timestamp: `2025-01-06T08:00:00Z`.
pub(crate) fn iso8601(unix: i64) -> String {
    let secs = unix.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date(unix),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `value` as a JSON string literal.
pub(crate) fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `run.json` of `run`, whose directory is `run_id`; a realistic CI run names its own run
/// id (shared by its attempts) and branch.
pub(crate) fn run_json(run: &Run, run_id: &str) -> String {
    let (run_id, branch) = match &run.ci {
        Some(ci) => (ci.run_id.as_str(), ci.branch.as_str()),
        None => (run_id, "main"),
    };
    format!(
        "{{\n  \"run_id\": {},\n  \"commit\": \"{}\",\n  \"branch\": {},\n  \"timestamp\": \"{}\",\n  \"attempt\": {},\n  \"job\": \"test\",\n  \"pipeline\": \"{}\"\n}}\n",
        string(run_id),
        run.commit,
        string(branch),
        iso8601(run.timestamp),
        run.attempt,
        run.pipeline
    )
}

/// What `truth.json` says, counted for the summary.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TruthCounts {
    pub(crate) flaky: usize,
    pub(crate) broken: usize,
    pub(crate) skipped: usize,
    pub(crate) slow: usize,
}

/// `truth.json`: every test whose behaviour is not plain passing, with what it really does.
pub(crate) fn truth_json(config: &Config, suite: &Suite, runs: &[Run]) -> (String, TruthCounts) {
    let mut counts = TruthCounts::default();
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\n  \"generator\": \"testsift-bench synth\",\n  \"seed\": {},\n  \"runs\": {},\n  \"tests\": {},\n  \"shards\": {},\n  \
         \"notes\": \"run numbers are 1-based and match the run-NNNN directories; a broken test fails in every run from start_run to end_run inclusive (re-runs of a commit included) and passes in every other run, end_run null means still failing in the last run; \
         retries is Surefire's rerunFailingTestsCount for the test's module; runs_flaky counts runs where the test failed and then passed on a retry, runs_failed runs where it failed every attempt; \
         slow means a median duration of at least {SLOW_SECS} s\",\n  \"behaviours\": [",
        config.seed, config.runs, config.tests, config.shards
    );
    let mut first = true;
    let mut entry = |out: &mut String, body: String| {
        out.push_str(if first { "\n    " } else { ",\n    " });
        first = false;
        out.push_str(&body);
    };
    for (t, test) in suite.tests.iter().enumerate() {
        let class = &suite.classes[test.class];
        let id = format!(
            "{{\"classname\": {}, \"name\": {}",
            string(&class.fqcn),
            string(&test.name)
        );
        let retries = suite.retries(t);
        if let Some(special) = test.special {
            let (mut flaky_runs, mut failed_runs) = (0, 0);
            let (mut first_failed, mut last_failed) = (0, 0);
            for run in runs {
                match run.outcomes[special as usize] {
                    Outcome::Pass => {}
                    Outcome::Flaky { .. } => flaky_runs += 1,
                    Outcome::Fail { .. } => {
                        failed_runs += 1;
                        if first_failed == 0 {
                            first_failed = run.number;
                        }
                        last_failed = run.number;
                    }
                }
            }
            match test.behaviour {
                Behaviour::Flaky { rate } => {
                    counts.flaky += 1;
                    entry(
                        &mut out,
                        format!(
                            "{id}, \"kind\": \"flaky\", \"flake_rate\": {rate:.4}, \"retries\": {retries}, \"runs_flaky\": {flaky_runs}, \"runs_failed\": {failed_runs}}}"
                        ),
                    );
                }
                // The runs that really failed, not the planned ones: a planned start or end on a
                // re-run moves to the next new commit, and a breakage planned for a re-run of the
                // last run never shows (the test then stays out of the truth).
                Behaviour::Broken { .. } if failed_runs > 0 => {
                    counts.broken += 1;
                    let end = if last_failed == config.runs {
                        "null".to_owned()
                    } else {
                        last_failed.to_string()
                    };
                    entry(
                        &mut out,
                        format!(
                            "{id}, \"kind\": \"broken\", \"start_run\": {first_failed}, \"end_run\": {end}, \"retries\": {retries}, \"runs_failed\": {failed_runs}}}"
                        ),
                    );
                }
                Behaviour::Steady | Behaviour::Broken { .. } => {}
            }
        }
        if test.skipped {
            counts.skipped += 1;
            entry(&mut out, format!("{id}, \"kind\": \"skipped\"}}"));
        }
        if test.base_secs >= SLOW_SECS && !test.skipped {
            counts.slow += 1;
            entry(
                &mut out,
                format!(
                    "{id}, \"kind\": \"slow\", \"median_seconds\": {:.3}}}",
                    test.base_secs
                ),
            );
        }
    }
    out.push_str("\n  ]\n}\n");
    (out, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_iso8601() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_736_150_400), "2025-01-06T08:00:00Z");
        assert_eq!(iso8601(951_782_400 + 86_399), "2000-02-29T23:59:59Z");
        assert_eq!(date(1_709_251_199), "2024-02-29");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }
}

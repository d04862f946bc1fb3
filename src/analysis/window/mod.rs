//! The window of runs an analysis looks at (`--since`, `--last-runs`, `--branch`), the one
//! order of runs every analysis uses (timestamp, then run key in natural order, `run-2` before
//! `run-10` and `1009` before `1009#2`, then variant), and the window loaded once
//! (`Window`, in `model`) that every analysis is a function of.

mod model;

pub(crate) use model::Window;

use super::{AnalysisError, query_err};
use crate::store::Store;
use crate::store::schema::*;
use polars::prelude::*;
use serde::Serialize;
use std::cmp::Ordering;

/// Which runs an analysis reads: built from the command line's window flags
/// (`crate::cli::WindowSpec`), or by a command for a comparison.
#[derive(Debug, Clone, Default)]
pub struct WindowSpec {
    /// Only runs at most this long before the newest run in the history, or from this instant.
    pub(crate) since: Option<Since>,
    /// Only the newest N runs (counted by run key, so the variants of one CI run count once).
    pub(crate) last_runs: Option<usize>,
    /// Only runs of this branch.
    pub(crate) branch: Option<String>,
    /// Leave out the newest N run keys after the rest of the window is chosen: the "before"
    /// side of a comparison such as `check --fail-on new-flaky`.
    pub(crate) drop_newest: usize,
}

/// The start of a `--since` window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Since {
    /// Milliseconds before the newest run.
    Age(i64),
    /// An absolute instant, in milliseconds since the epoch.
    At(i64),
}

/// Parses `30d`, `12h`, `90m`, `2w`, or a date / RFC 3339 timestamp.
pub(crate) fn parse_since(s: &str) -> Result<Since, String> {
    let t = s.trim();
    let unit = |c: char| -> Option<i64> {
        Some(match c {
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            'w' => 7 * 86_400_000,
            _ => return None,
        })
    };
    if let Some(last) = t.chars().last()
        && let Some(ms) = unit(last)
        && let Ok(n) = t[..t.len() - 1].parse::<i64>()
        && n >= 0
    {
        return Ok(Since::Age(n.saturating_mul(ms)));
    }
    let date = format!("{t}T00:00:00Z");
    crate::junit::values::parse_timestamp(t)
        .or_else(|| crate::junit::values::parse_timestamp(&date))
        .map(|ts| Since::At(ts.as_millisecond()))
        .ok_or_else(|| format!("{s:?} is neither an age (30d, 12h, 2w) nor a date (2026-10-01)"))
}

/// One run (run key and variant) inside the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RunInfo {
    pub(crate) run: String,
    pub(crate) variant: String,
    pub(crate) run_id: String,
    pub(crate) attempt: Option<u32>,
    pub(crate) commit: Option<String>,
    pub(crate) branch: Option<String>,
    /// Milliseconds since the epoch, UTC.
    pub(crate) timestamp_ms: i64,
}

impl RunInfo {
    pub(crate) fn timestamp(&self) -> String {
        jiff::Timestamp::from_millisecond(self.timestamp_ms)
            .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default()
    }
}

/// Compares strings so that digit runs compare as numbers: `run-2` < `run-10`.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (&a[..da], &b[..db]);
                let ta = trim_zeros(na);
                let tb = trim_zeros(nb);
                let ord = ta
                    .len()
                    .cmp(&tb.len())
                    .then_with(|| ta.cmp(tb))
                    .then(da.cmp(&db));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[zeros..]
}

/// The run order every analysis uses.
pub(crate) fn run_order(a: &RunInfo, b: &RunInfo) -> Ordering {
    a.timestamp_ms
        .cmp(&b.timestamp_ms)
        .then_with(|| natural_cmp(&a.run, &b.run))
        .then_with(|| natural_cmp(&a.variant, &b.variant))
}

/// Test helper: one run per character of `commits`, on that commit, in order.
#[cfg(test)]
pub(crate) fn runs_on_commits(commits: &str) -> Vec<RunInfo> {
    commits
        .chars()
        .enumerate()
        .map(|(i, c)| RunInfo {
            run: format!("r{i}"),
            variant: String::new(),
            run_id: format!("r{i}"),
            attempt: None,
            commit: Some(c.to_string()),
            branch: Some("main".into()),
            timestamp_ms: i as i64,
        })
        .collect()
}

/// The runs in the window, oldest first.
pub(crate) fn runs_in_window(
    store: &Store,
    window: &WindowSpec,
) -> Result<Vec<RunInfo>, AnalysisError> {
    store.reading(|| read_runs(store, window))
}

fn read_runs(store: &Store, window: &WindowSpec) -> Result<Vec<RunInfo>, AnalysisError> {
    let df = store
        .runs()?
        .select([
            col(RUN),
            col(VARIANT),
            col(RUN_ID),
            col(ATTEMPT),
            col(COMMIT),
            col(BRANCH),
            col(TIMESTAMP).cast(DataType::Int64).alias(TIMESTAMP),
        ])
        .collect()
        .map_err(query_err(store))?;
    let mut runs = runs_from_frame(&df).map_err(query_err(store))?;
    select(&mut runs, window);
    Ok(runs)
}

fn runs_from_frame(df: &DataFrame) -> PolarsResult<Vec<RunInfo>> {
    let run = df.column(RUN)?.str()?;
    let variant = df.column(VARIANT)?.str()?;
    let run_id = df.column(RUN_ID)?.str()?;
    let attempt = df.column(ATTEMPT)?.u32()?;
    let commit = df.column(COMMIT)?.str()?;
    let branch = df.column(BRANCH)?.str()?;
    let ts = df.column(TIMESTAMP)?.i64()?;
    Ok((0..df.height())
        .map(|i| RunInfo {
            run: run.get(i).unwrap_or_default().to_string(),
            variant: variant.get(i).unwrap_or_default().to_string(),
            run_id: run_id.get(i).unwrap_or_default().to_string(),
            attempt: attempt.get(i),
            commit: commit.get(i).filter(|c| !c.is_empty()).map(str::to_string),
            branch: branch.get(i).filter(|c| !c.is_empty()).map(str::to_string),
            timestamp_ms: ts.get(i).unwrap_or(0),
        })
        .collect())
}

/// Orders `runs` and keeps those the window selects: branch first, then `--since`, then
/// `--last-runs`, then leaves out the newest `drop_newest` run keys.
pub(crate) fn select(runs: &mut Vec<RunInfo>, window: &WindowSpec) {
    if let Some(b) = &window.branch {
        runs.retain(|r| r.branch.as_deref() == Some(b.as_str()));
    }
    runs.sort_by(run_order);
    if let Some(since) = window.since {
        let newest = runs.last().map_or(0, |r| r.timestamp_ms);
        let start = match since {
            Since::Age(ms) => newest.saturating_sub(ms),
            Since::At(ms) => ms,
        };
        runs.retain(|r| r.timestamp_ms >= start);
    }
    if let Some(n) = window.last_runs {
        let keep = newest_keys(runs, n);
        runs.retain(|r| keep.contains(&r.run));
    }
    if window.drop_newest > 0 {
        let drop = newest_keys(runs, window.drop_newest);
        runs.retain(|r| !drop.contains(&r.run));
    }
}

/// The newest `n` run keys of `runs` (in run order), so the variants of one CI run count once.
fn newest_keys(runs: &[RunInfo], n: usize) -> std::collections::HashSet<String> {
    let mut keys = std::collections::HashSet::new();
    for r in runs.iter().rev() {
        if keys.len() == n && !keys.contains(&r.run) {
            break;
        }
        keys.insert(r.run.clone());
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(key: &str, ts: i64, branch: &str) -> RunInfo {
        RunInfo {
            run: key.into(),
            variant: String::new(),
            run_id: key.into(),
            attempt: None,
            commit: None,
            branch: Some(branch.into()),
            timestamp_ms: ts,
        }
    }

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("run-2", "run-10"), Ordering::Less);
        assert_eq!(natural_cmp("1009", "1009#2"), Ordering::Less);
        assert_eq!(natural_cmp("run-02", "run-2"), Ordering::Greater);
        assert_eq!(natural_cmp("a", "b"), Ordering::Less);
    }

    #[test]
    fn since_parses_ages_and_dates() {
        assert_eq!(parse_since("30d"), Ok(Since::Age(30 * 86_400_000)));
        assert_eq!(parse_since("2w"), Ok(Since::Age(14 * 86_400_000)));
        assert!(matches!(parse_since("2026-10-01"), Ok(Since::At(_))));
        assert!(parse_since("soon").is_err());
    }

    #[test]
    fn window_orders_and_cuts() {
        let mut runs = vec![
            run("run-10", 5, "main"),
            run("run-2", 5, "main"),
            run("run-1", 1, "dev"),
            run("run-3", 9, "main"),
        ];
        let w = WindowSpec {
            branch: Some("main".into()),
            last_runs: Some(2),
            ..Default::default()
        };
        select(&mut runs, &w);
        let keys: Vec<&str> = runs.iter().map(|r| r.run.as_str()).collect();
        assert_eq!(keys, ["run-10", "run-3"]);
        let mut runs = vec![run("a", 0, "m"), run("b", 86_400_000, "m")];
        select(
            &mut runs,
            &WindowSpec {
                since: Some(Since::Age(3_600_000)),
                ..Default::default()
            },
        );
        assert_eq!(runs.len(), 1);
    }

    #[test]
    fn drop_newest_leaves_out_whole_run_keys() {
        let mut a2 = run("run-2", 7, "main");
        a2.variant = "windows".into();
        let mut runs = vec![
            run("run-1", 1, "main"),
            run("run-2", 5, "main"),
            run("run-3", 6, "main"),
            a2,
        ];
        let w = WindowSpec {
            drop_newest: 1,
            ..Default::default()
        };
        select(&mut runs, &w);
        let keys: Vec<&str> = runs.iter().map(|r| r.run.as_str()).collect();
        // run-2's windows variant is the newest entry, so run-2 (both variants) goes.
        assert_eq!(keys, ["run-1", "run-3"]);
    }
}

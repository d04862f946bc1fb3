//! `testsift renames`: test ids that look renamed, ready to become `[[alias]]` entries of
//! testsift.toml so that the old id's history counts for the new one.
//!
//! A rename shows in the history as one id that stops appearing and another that starts in
//! the same class (or suite) at about the same point. For every pair of an id that stopped
//! (not seen in the last `min_gone` runs of the window) and one that started after it
//! (absent from every run before its first), in the same classname or suite, with at most
//! `max_gap` runs between the old one's last run and the new one's first:
//!
//! - `name_similarity`: 1 − the edit distance of the two names over the longer one's length;
//! - `duration_similarity`: the smaller median duration over the larger (1 when both are
//!   under a millisecond);
//! - `outcome_similarity`: 1 − the difference of their failure rates;
//!
//! and `score` = 0.5 · names + 0.3 · durations + 0.2 · outcomes, less 0.05 per run of gap. A
//! pair is suggested when its score is at least 0.6; each id is used once, best score first.
//! Runs are the trunk's (as `flaky` picks it): a pull request not rebased on the rename still
//! runs the old id after the new one started.

use super::load::{Series, load_owned};
use super::window::Window;
use crate::domain::Status;
use serde::Serialize;
use std::collections::HashMap;

/// Version of the JSON output; bumped when a field changes meaning or disappears.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Thresholds of the suggestion.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct RenameOptions {
    /// Runs at the end of the window an old id must be absent from.
    pub(crate) min_gone: usize,
    /// Runs allowed between the old id's last run and the new id's first.
    pub(crate) max_gap: usize,
    /// The least score suggested.
    pub(crate) min_score: f64,
}

impl Default for RenameOptions {
    fn default() -> Self {
        RenameOptions {
            min_gone: 3,
            max_gap: 3,
            min_score: 0.6,
        }
    }
}

/// The whole result.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Renames {
    pub(crate) schema_version: u32,
    pub(crate) options: RenameOptions,
    /// Runs (run key and variant) in the window.
    pub(crate) runs: usize,
    /// Best score first.
    pub(crate) suggestions: Vec<Rename>,
}

/// One suggested rename, with its evidence.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Rename {
    pub(crate) from: String,
    pub(crate) to: String,
    /// The old id's last run and the new id's first (run keys).
    pub(crate) last_run_of_old: String,
    pub(crate) first_run_of_new: String,
    /// Runs between them.
    pub(crate) gap_runs: usize,
    /// `classname` or `suite`: what the two share.
    pub(crate) same: &'static str,
    pub(crate) runs_of_old: usize,
    pub(crate) runs_of_new: usize,
    pub(crate) median_seconds_old: Option<f64>,
    pub(crate) median_seconds_new: Option<f64>,
    pub(crate) failure_rate_old: f64,
    pub(crate) failure_rate_new: f64,
    pub(crate) name_similarity: f64,
    pub(crate) duration_similarity: f64,
    pub(crate) outcome_similarity: f64,
    pub(crate) score: f64,
}

/// One test id over every variant: where it appears in the window.
struct Seen {
    test_id: String,
    classname: String,
    name: String,
    suite: String,
    first: usize,
    last: usize,
    runs: usize,
    failed: usize,
    durations: Vec<f64>,
}

/// Runs the suggestion over the store.
pub(crate) fn renames(window: Window, options: &RenameOptions) -> Renames {
    let (all_runs, series, _) = load_owned(window);
    // Along the trunk only: a pull request not rebased on the rename still writes the old id
    // after the new one started, which would hide the rename (branch runs say nothing of
    // where the project's tests stopped and started).
    let trunk = super::flaky::on_trunk(&all_runs);
    let mut at = vec![None; all_runs.len()];
    let mut runs = Vec::new();
    for (k, r) in all_runs.iter().enumerate() {
        if trunk[k] {
            at[k] = u32::try_from(runs.len()).ok();
            runs.push(r.clone());
        }
    }
    let series: Vec<Series> = series
        .into_iter()
        .map(|mut s| {
            s.points.retain_mut(|p| match at[p.run as usize] {
                Some(k) => {
                    p.run = k;
                    true
                }
                None => false,
            });
            s
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    let runs = &runs;
    let mut result = suggest(&series, runs.len(), options);
    for r in &mut result {
        // Window positions become run keys for the reader.
        r.last_run_of_old = run_key(runs, &r.last_run_of_old);
        r.first_run_of_new = run_key(runs, &r.first_run_of_new);
    }
    Renames {
        schema_version: SCHEMA_VERSION,
        options: *options,
        runs: all_runs.len(),
        suggestions: result,
    }
}

fn run_key(runs: &[super::window::RunInfo], position: &str) -> String {
    position
        .parse::<usize>()
        .ok()
        .and_then(|p| runs.get(p))
        .map_or_else(|| position.to_string(), |r| r.run.clone())
}

/// The suggestions from `series` (window positions as run names, for [`renames`] to replace).
fn suggest(series: &[Series], window_runs: usize, options: &RenameOptions) -> Vec<Rename> {
    let mut by_id: HashMap<&str, Seen> = HashMap::new();
    for s in series {
        for p in &s.points {
            let run = p.run as usize;
            let seen = by_id.entry(s.test_id.as_str()).or_insert_with(|| Seen {
                test_id: s.test_id.clone(),
                classname: s.classname.clone(),
                name: s.name.clone(),
                suite: s.suite.clone(),
                first: run,
                last: run,
                runs: 0,
                failed: 0,
                durations: Vec::new(),
            });
            seen.first = seen.first.min(run);
            seen.last = seen.last.max(run);
            if p.status != Status::Skipped {
                seen.runs += 1;
                seen.failed += usize::from(matches!(p.status, Status::Failed | Status::Error));
                if let Some(d) = p.duration().filter(|d| d.is_finite()) {
                    seen.durations.push(d);
                }
            }
        }
    }
    let mut all: Vec<Seen> = by_id.into_values().collect();
    all.sort_by(|a, b| a.test_id.cmp(&b.test_id));
    let gone: Vec<&Seen> = all
        .iter()
        .filter(|s| s.last + options.min_gone < window_runs)
        .collect();
    let started: Vec<&Seen> = all.iter().filter(|s| s.first > 0).collect();
    let mut pairs: Vec<Rename> = Vec::new();
    for old in &gone {
        for new in &started {
            if new.first <= old.last || new.first - old.last - 1 > options.max_gap {
                continue;
            }
            let same = if !old.classname.is_empty() && old.classname == new.classname {
                "classname"
            } else if !old.suite.is_empty() && old.suite == new.suite {
                "suite"
            } else {
                continue;
            };
            let gap = new.first - old.last - 1;
            let (m_old, m_new) = (
                super::slow::median(&old.durations),
                super::slow::median(&new.durations),
            );
            let durations = match (m_old, m_new) {
                (Some(a), Some(b)) if a.max(b) < 0.001 => 1.0,
                (Some(a), Some(b)) => a.min(b) / a.max(b),
                _ => 0.0,
            };
            let rate = |s: &Seen| s.failed as f64 / s.runs.max(1) as f64;
            let outcomes = 1.0 - (rate(old) - rate(new)).abs();
            let names = similarity(&old.name, &new.name);
            let score = 0.5 * names + 0.3 * durations + 0.2 * outcomes - 0.05 * gap as f64;
            if score < options.min_score {
                continue;
            }
            pairs.push(Rename {
                from: old.test_id.clone(),
                to: new.test_id.clone(),
                last_run_of_old: old.last.to_string(),
                first_run_of_new: new.first.to_string(),
                gap_runs: gap,
                same,
                runs_of_old: old.runs,
                runs_of_new: new.runs,
                median_seconds_old: m_old,
                median_seconds_new: m_new,
                failure_rate_old: rate(old),
                failure_rate_new: rate(new),
                name_similarity: names,
                duration_similarity: durations,
                outcome_similarity: outcomes,
                score,
            });
        }
    }
    pairs.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.from.cmp(&b.from))
            .then_with(|| a.to.cmp(&b.to))
    });
    // Each id once, best first.
    let mut used: std::collections::HashSet<String> = std::collections::HashSet::new();
    pairs.retain(|p| {
        if used.contains(&p.from) || used.contains(&p.to) {
            return false;
        }
        used.insert(p.from.clone());
        used.insert(p.to.clone());
        true
    });
    pairs
}

/// 1 − the Levenshtein distance over the longer length, by characters (1 for two empty names).
pub(crate) fn similarity(a: &str, b: &str) -> f64 {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    1.0 - row[b.len()] as f64 / longest as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::load::Exec;

    fn series(
        id: &str,
        class: &str,
        name: &str,
        runs: std::ops::Range<u32>,
        seconds: f64,
    ) -> Series {
        Series {
            test_id: id.into(),
            classname: class.into(),
            name: name.into(),
            family: id.into(),
            suite: "s".into(),
            variant: String::new(),
            points: runs
                .map(|run| Exec::new(run, 0, Status::Passed, Some(seconds)))
                .collect(),
        }
    }

    #[test]
    fn similarity_is_one_minus_the_edit_distance_share() {
        assert_eq!(similarity("abc", "abc"), 1.0);
        assert!((similarity("test_coupon", "test_coupons") - (1.0 - 1.0 / 12.0)).abs() < 1e-12);
        assert_eq!(similarity("", ""), 1.0);
        assert_eq!(similarity("ab", "cd"), 0.0);
    }

    /// Runs 0-9: `old` runs 0-5 and `new` from 6 in the same class, with the same time: a
    /// rename. `other` in another class starts at 6 too but shares nothing; `kept` never
    /// stops.
    #[test]
    fn an_id_that_stops_where_a_similar_one_starts_is_suggested() {
        let s = [
            series("C::test_coupon", "C", "test_coupon", 0..6, 0.5),
            series(
                "C::test_coupon_expired",
                "C",
                "test_coupon_expired",
                6..10,
                0.52,
            ),
            series("D::unrelated", "D", "unrelated", 6..10, 0.5),
            series("C::kept", "C", "kept", 0..10, 0.1),
        ];
        let mut s = s.to_vec();
        s[2].suite = "other".into();
        let found = suggest(&s, 10, &RenameOptions::default());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].from, "C::test_coupon");
        assert_eq!(found[0].to, "C::test_coupon_expired");
        assert_eq!(found[0].gap_runs, 0);
        assert_eq!(found[0].same, "classname");
    }

    /// An id seen until the last runs has not stopped; a start long after the stop is no rename.
    #[test]
    fn no_suggestion_without_a_stop_or_with_a_long_gap() {
        let s = vec![
            series("C::a", "C", "a", 0..9, 0.5),
            series("C::a2", "C", "a2", 5..10, 0.5),
        ];
        assert!(suggest(&s, 10, &RenameOptions::default()).is_empty());
        let s = vec![
            series("C::a", "C", "a", 0..2, 0.5),
            series("C::a2", "C", "a2", 7..10, 0.5),
        ];
        assert!(suggest(&s, 10, &RenameOptions::default()).is_empty());
    }
}

//! Duration regressions: one step up in a test's median duration that persisted. The split
//! is the most significant single change point by Pettitt's rank statistic; the medians on
//! either side decide whether it is a step worth reporting. Formulas: docs/analysis.md.

use super::median;

/// What counts as a regression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StepRule {
    /// Runs required on each side of the split, and the length of the tail that must still
    /// be slow.
    pub(crate) min_runs: usize,
    /// Smallest `after / before − 1`.
    pub(crate) min_step: f64,
    /// Smallest `after − before`, in seconds.
    pub(crate) min_seconds: f64,
}

/// A step found in a series of durations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Step {
    /// Index of the first value of the slower segment.
    pub(crate) at: usize,
    pub(crate) median_before: f64,
    pub(crate) median_after: f64,
    /// Median of the last `min_runs` values.
    pub(crate) median_recent: f64,
}

/// The split `k` (values `0..k` before, `k..n` after) with the most negative Pettitt
/// statistic `U_k = Σ_{i<k} Σ_{j≥k} sgn(x_i − x_j) = 2 Σ_{i<k} r_i − k (n + 1)` (`r` the
/// mid-ranks), among the splits that leave at least `min_runs` values on each side. A negative
/// `U_k` means the later values rank higher: a step up. None when no split has `U_k < 0`.
pub(crate) fn pettitt_split(xs: &[f64], min_runs: usize) -> Option<usize> {
    let n = xs.len();
    let min_runs = min_runs.max(1);
    if n < 2 * min_runs {
        return None;
    }
    let ranks = mid_ranks(xs);
    let mut best: Option<(usize, f64)> = None;
    let mut rank_sum = 0.0;
    for k in 1..n {
        rank_sum += ranks[k - 1];
        if k < min_runs || n - k < min_runs {
            continue;
        }
        let u = 2.0 * rank_sum - (k * (n + 1)) as f64;
        // Ranks are multiples of 0.5, so `u` is exact and the comparison needs no tolerance.
        if u < 0.0 && best.is_none_or(|(_, b)| u < b) {
            best = Some((k, u));
        }
    }
    best.map(|(k, _)| k)
}

/// 1-based ranks, ties sharing the mean of the ranks they span.
fn mid_ranks(xs: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    idx.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut ranks = vec![0.0; xs.len()];
    let mut start = 0;
    while start < idx.len() {
        let mut end = start + 1;
        while end < idx.len() && xs[idx[end]] == xs[idx[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1 ..= end; their mean:
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &idx[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Whether `to` is a step up from `from` that meets `rule`'s relative and absolute minimum.
fn is_step(from: f64, to: f64, rule: &StepRule) -> bool {
    to - from >= rule.min_seconds && from > 0.0 && to / from - 1.0 >= rule.min_step
}

/// The persisted step up in `xs` (durations in run order), if there is one: the Pettitt split,
/// where the median after is a step up from the median before, and the median of the last
/// `min_runs` values is still one (so a slow week that passed is not reported).
pub(crate) fn detect(xs: &[f64], rule: &StepRule) -> Option<Step> {
    let at = pettitt_split(xs, rule.min_runs)?;
    let median_before = median(&xs[..at])?;
    let median_after = median(&xs[at..])?;
    let median_recent = median(&xs[xs.len() - rule.min_runs.max(1)..])?;
    (is_step(median_before, median_after, rule) && is_step(median_before, median_recent, rule))
        .then_some(Step {
            at,
            median_before,
            median_after,
            median_recent,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: StepRule = StepRule {
        min_runs: 5,
        min_step: 0.2,
        min_seconds: 0.5,
    };

    #[test]
    fn mid_ranks_share_ties() {
        assert_eq!(mid_ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn pettitt_statistic_matches_the_pairwise_definition() {
        let xs = [2.0, 1.0, 2.0, 5.0, 4.0, 4.0, 7.0, 3.0];
        let sgn = |d: f64| {
            if d > 0.0 {
                1.0
            } else if d < 0.0 {
                -1.0
            } else {
                0.0
            }
        };
        let pairwise = |k: usize| -> f64 {
            (0..k)
                .flat_map(|i| (k..xs.len()).map(move |j| (i, j)))
                .map(|(i, j)| sgn(xs[i] - xs[j]))
                .sum()
        };
        let ranks = mid_ranks(&xs);
        for k in 1..xs.len() {
            let by_ranks = 2.0 * ranks[..k].iter().sum::<f64>() - (k * (xs.len() + 1)) as f64;
            assert_eq!(by_ranks, pairwise(k), "k = {k}");
        }
        // Mid-ranks 2.5 1 2.5 7 5.5 5.5 8 4, so U_1..U_7 = −4, −11, −15, −10, −8, −6, 1: the
        // most negative is k = 3, and k = 4 is the only split with 4 values on each side.
        assert_eq!(pettitt_split(&xs, 1), Some(3));
        assert_eq!(pettitt_split(&xs, 4), Some(4));
        assert_eq!(pettitt_split(&xs, 5), None, "8 values cannot give 5 + 5");
    }

    #[test]
    fn a_persistent_step_is_found_where_it_starts() {
        let xs = [2.0, 2.1, 1.9, 2.0, 2.0, 4.0, 4.2, 3.9, 4.0, 4.1, 4.0];
        let step = detect(&xs, &RULE).expect("a step from 2 s to 4 s");
        assert_eq!(step.at, 5);
        assert_eq!(step.median_before, 2.0);
        assert_eq!(step.median_after, 4.0);
        assert_eq!(step.median_recent, 4.0);
    }

    #[test]
    fn one_slow_run_is_not_a_step() {
        // Any position, and any `min_runs` from 3 (the median of 3+ values ignores one value).
        let mut xs = [1.0, 1.1, 0.9, 1.0, 1.2, 1.0, 0.8, 1.1, 1.0, 0.9, 1.0, 1.1];
        let base = xs;
        for min_runs in 3..=6 {
            for k in 0..xs.len() {
                xs = base;
                xs[k] = 9.0;
                let rule = StepRule { min_runs, ..RULE };
                assert_eq!(
                    detect(&xs, &rule),
                    None,
                    "outlier at {k}, min_runs {min_runs}"
                );
            }
        }
    }

    #[test]
    fn a_step_that_went_back_down_is_not_reported() {
        let xs = [1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 3.0, 3.0, 1.0, 1.0, 1.0];
        assert_eq!(pettitt_split(&xs, 5), Some(5));
        // After: 3 3 3 1 1 1 → median 2, a step; the last five 3 3 1 1 1 → 1, not one.
        assert_eq!(detect(&xs, &RULE), None);
    }

    #[test]
    fn small_or_proportionally_small_steps_are_not_reported() {
        let xs = [0.1, 0.1, 0.1, 0.1, 0.1, 0.4, 0.4, 0.4, 0.4, 0.4];
        assert_eq!(detect(&xs, &RULE), None, "0.3 s is below 0.5 s");
        let xs = [10.0, 10.0, 10.0, 10.0, 10.0, 11.0, 11.0, 11.0, 11.0, 11.0];
        assert_eq!(detect(&xs, &RULE), None, "+10% is below +20%");
        let step = detect(
            &xs,
            &StepRule {
                min_step: 0.1,
                ..RULE
            },
        );
        assert_eq!(step.map(|s| s.at), Some(5));
    }

    #[test]
    fn a_step_down_or_a_flat_series_is_nothing() {
        let xs = [4.0, 4.0, 4.0, 4.0, 4.0, 2.0, 2.0, 2.0, 2.0, 2.0];
        assert_eq!(pettitt_split(&xs, 5), None);
        assert_eq!(pettitt_split(&[3.0; 12], 5), None);
        assert_eq!(detect(&[], &RULE), None);
    }
}

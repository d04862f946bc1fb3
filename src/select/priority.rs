//! `select priority`: every test ordered by how likely it is to fail, for fail-fast ordering:
//! by the chance testsift's model gives it after learning the whole window (the model
//! `backtest priority` replays and scores), then cheapest first. Formula and worked example:
//! docs/select.md and docs/backtest.md.

use super::changed::Changed;
use super::history::{History, TestHistory};
use super::{Selected, base, by_id};
use crate::analysis::backtest::model::{
    Basis, DECAY, ESTIMATORS, Estimate, Estimator, Memory, Model,
};
use crate::analysis::flaky::Outcome;
use crate::analysis::load::Series;
use crate::domain::Status;
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

/// The failure rate over a test's executed runs with weight `(1 − DECAY)^age`, age 0 for its
/// newest run: Σ wₖ·failedₖ / Σ wₖ, where failed means at least one failed attempt.
pub(crate) fn decayed_failure_rate(outcomes: &[Outcome]) -> f64 {
    thread_local! {
        /// `(1 − DECAY)^age` by age, grown as needed: one `powi` per age, not per execution.
        static WEIGHTS: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    WEIGHTS.with_borrow_mut(|weights| {
        while weights.len() < outcomes.len() {
            let age = i32::try_from(weights.len()).unwrap_or(i32::MAX);
            weights.push((1.0 - DECAY).powi(age));
        }
        let (mut num, mut den) = (0.0, 0.0);
        for (o, w) in outcomes.iter().rev().zip(weights.iter()) {
            den += w;
            if *o != Outcome::Pass {
                num += w;
            }
        }
        if den > 0.0 { num / den } else { 0.0 }
    })
}

/// Every test, most likely to fail first: testsift's model ([`Model`]) after learning every
/// run of the window, the one `backtest priority` scores. A test on several variants goes by
/// its likeliest (kept) variant.
pub(crate) fn order(
    hist: &History,
    series: &[Series],
    model: &Model,
    keep_variant: &dyn Fn(&str) -> bool,
    changed: &Changed,
) -> Vec<Selected> {
    // Per test id: the chance, the rule it came from and the mean time of its likeliest series,
    // and for a series that never executed, in how many runs it was skipped.
    let mut best: FxHashMap<&str, (Estimate, f64, Option<usize>)> = FxHashMap::default();
    for (i, s) in series.iter().enumerate() {
        if !keep_variant(&s.variant) {
            continue;
        }
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let mut estimate = model.estimate(i);
        // Skipped in every run it appeared in: it is likely skipped again, and cannot fail then.
        let skipped = (!s.points.is_empty()
            && s.points.iter().all(|p| p.status == Status::Skipped))
        .then_some(s.points.len());
        if skipped.is_some() {
            estimate.chance = 0.0;
        }
        match best.entry(s.test_id.as_str()) {
            Entry::Occupied(mut e) if estimate.chance > e.get().0.chance => {
                e.insert((estimate, model.cost(i), skipped));
            }
            Entry::Occupied(_) => {}
            Entry::Vacant(e) => {
                e.insert((estimate, model.cost(i), skipped));
            }
        }
    }
    let mut out: Vec<(bool, f64, Selected)> = by_id(hist)
        .into_values()
        .filter_map(|t| {
            let &(estimate, cost, skipped) = best.get(t.test_id.as_str())?;
            let mut s = selected(t, estimate, skipped);
            // A test whose own file the change touched is new or edited: it goes first.
            let changed = changed.test_file(&t.classname, t.file.as_deref());
            if let Some(path) = changed {
                s.reason = "changed".into();
                s.evidence.insert(
                    0,
                    format!("its test file {path} is among the changed paths (--changed)"),
                );
            }
            Some((changed.is_some(), cost, s))
        })
        .collect();
    out.sort_by(|(xa, ca, a), (xb, cb, b)| {
        xb.cmp(xa)
            .then(b.score.unwrap_or(0.0).total_cmp(&a.score.unwrap_or(0.0)))
            .then(ca.total_cmp(cb))
            .then_with(|| a.test_id.cmp(&b.test_id))
    });
    out.into_iter().map(|(_, _, s)| s).collect()
}

/// One test's place in the order: its chance, or 0 when it was skipped in all its runs, with
/// the evidence.
fn selected(t: &TestHistory, estimate: Estimate, skipped: Option<usize>) -> Selected {
    let Estimate {
        chance,
        basis,
        parts,
        weights,
    } = estimate;
    if let Some(runs) = skipped {
        let mut s = base(t, "skipped");
        s.score = Some(0.0);
        s.evidence.push(format!(
            "skipped in all its {runs} run{} in the window: chance 0, it did not execute",
            if runs == 1 { "" } else { "s" }
        ));
        return s;
    }
    let reason = match basis {
        Basis::New => "new",
        Basis::Failing { .. } => "failing",
        Basis::Passing => "history",
    };
    let mut s = base(t, reason);
    s.score = Some(chance);
    s.evidence.push(match basis {
        Basis::New => format!(
            "never ran in the window: chance {chance:.3}, the share of new tests whose first run failed (from 1 in 2)"
        ),
        Basis::Failing { streak } => format!(
            "its last {} failed: chance {chance:.3} from the chain (how often its \
             failures persisted) {} and its smoothed failure rate {}",
            if streak == 1 {
                "run".to_string()
            } else {
                format!("{streak} runs")
            },
            at_both(Estimator::Chain, &parts, &weights),
            at_both(Estimator::Rate, &parts, &weights),
        ),
        Basis::Passing => format!(
            "its last run passed: chance {chance:.3} from the chain (how often its runs \
             after a pass failed) {} and its smoothed failure rate {}",
            at_both(Estimator::Chain, &parts, &weights),
            at_both(Estimator::Rate, &parts, &weights),
        ),
    });
    s.evidence.push(format!(
        "failed in {} of {} runs (decayed rate {:.3})",
        s.failures, s.runs, s.failure_rate_decayed
    ));
    s
}

/// One kind of estimate at both memories, with the weights: "0.333 (recent runs, weight
/// 0.27), 0.333 (all runs, weight 0.00)".
fn at_both(
    kind: fn(Memory) -> Estimator,
    parts: &[f64; ESTIMATORS],
    weights: &[f64; ESTIMATORS],
) -> String {
    let one = |m: Memory, what: &str| {
        let i = kind(m).index();
        format!("{:.3} ({what}, weight {:.2})", parts[i], weights[i])
    };
    format!(
        "{}, {}",
        one(Memory::Recent, "recent runs"),
        one(Memory::Whole, "all runs")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decayed_rate_weighs_recent_runs_more() {
        use Outcome::*;
        // Newest first the weights are 1, 0.9, 0.81; the failure is the oldest run.
        let old = decayed_failure_rate(&[Fail, Pass, Pass]);
        assert!((old - 0.81 / 2.71).abs() < 1e-12, "{old}");
        // The same failure as the newest run weighs 1.
        let recent = decayed_failure_rate(&[Pass, Pass, Retry]);
        assert!((recent - 1.0 / 2.71).abs() < 1e-12, "{recent}");
        assert_eq!(decayed_failure_rate(&[]), 0.0);
    }
}

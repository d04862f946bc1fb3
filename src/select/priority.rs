//! `select priority`: every test ordered by how likely it is to fail, for fail-fast ordering.
//! New tests first; then by score = decayed failure rate + flake rate; then cheapest first.
//! Formula and worked example: docs/select.md.

use super::history::History;
use super::{Selected, base, by_id};
use crate::analysis::flaky::{DECAY, FlakyReport, Outcome, Verdict};
use std::collections::BTreeMap;

/// The failure rate over a test's executed runs with weight `(1 − DECAY)^age`, age 0 for its
/// newest run: Σ wₖ·failedₖ / Σ wₖ, where failed means at least one failed attempt.
pub(crate) fn decayed_failure_rate(outcomes: &[Outcome]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (age, o) in outcomes.iter().rev().enumerate() {
        let w = (1.0 - DECAY).powi(i32::try_from(age).unwrap_or(i32::MAX));
        den += w;
        if *o != Outcome::Pass {
            num += w;
        }
    }
    if den > 0.0 { num / den } else { 0.0 }
}

/// Every test, most likely to fail first.
pub(crate) fn order(
    hist: &History,
    report: &FlakyReport,
    keep_variant: &dyn Fn(&str) -> bool,
) -> Vec<Selected> {
    let mut verdicts: BTreeMap<&str, (bool, Option<f64>)> = BTreeMap::new();
    for v in report.tests.iter().filter(|v| keep_variant(&v.variant)) {
        let e = verdicts.entry(v.test_id.as_str()).or_insert((false, None));
        e.0 |= v.verdict == Verdict::New;
        if v.verdict == Verdict::Flaky {
            e.1 = Some(e.1.unwrap_or(0.0).max(v.flake_rate.unwrap_or(0.0)));
        }
    }
    let mut out: Vec<(bool, Selected)> = by_id(hist)
        .into_values()
        .map(|t| {
            let (new, flake) = verdicts
                .get(t.test_id.as_str())
                .copied()
                .unwrap_or((false, None));
            let mut s = base(t, if new { "new" } else { "history" });
            s.flake_rate = flake;
            s.score = Some(s.failure_rate_decayed + flake.unwrap_or(0.0));
            if new {
                s.evidence
                    .push(format!("new in the window: {} runs so far", s.runs));
            }
            s.evidence.push(format!(
                "failed in {} of {} runs (decayed rate {:.3})",
                s.failures, s.runs, s.failure_rate_decayed
            ));
            if let Some(f) = flake {
                s.evidence.push(format!("flaky, flake rate {f:.3}"));
            }
            (new, s)
        })
        .collect();
    out.sort_by(|(na, a), (nb, b)| {
        nb.cmp(na)
            .then(b.score.unwrap_or(0.0).total_cmp(&a.score.unwrap_or(0.0)))
            .then(
                a.median_seconds
                    .unwrap_or(0.0)
                    .total_cmp(&b.median_seconds.unwrap_or(0.0)),
            )
            .then_with(|| a.test_id.cmp(&b.test_id))
    });
    out.into_iter().map(|(_, s)| s).collect()
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

//! `select shards`: tests or classes split into K groups of near-equal historical time by
//! longest-processing-time-first, with the predicted time per shard and the imbalance, beside
//! the split the newest multi-part run used. Formulas and worked example: docs/select.md.

use super::history::{CurrentSplit, History, TestHistory};
use super::runner::{Runner, go};
use super::{Selected, base};
use crate::analysis::SplitBy;
use serde::Serialize;
use std::collections::BTreeMap;

/// What is kept together on one shard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Unit {
    /// Each test on its own.
    #[default]
    Test,
    /// All tests of a class (its `classname`; file or suite when there is none).
    Class,
}

crate::choice::choices!(Unit {
    Test => "test": "Each test on its own",
    Class => "class": "All tests of a class (its `classname`; file or suite when there is none)",
});

/// The planned split.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ShardPlan {
    pub(crate) by: Unit,
    pub(crate) count: usize,
    pub(crate) shards: Vec<Shard>,
    /// max / mean − 1 of the predicted shard times.
    pub(crate) imbalance: f64,
    /// Tests without a known duration, given `assumed_seconds` (the median of the others).
    pub(crate) unknown_duration_tests: usize,
    pub(crate) assumed_seconds: f64,
    pub(crate) current: Option<CurrentPlan>,
    /// Why there is no current split to compare with.
    pub(crate) no_current: Option<String>,
}

/// One planned shard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Shard {
    /// 1-based.
    pub(crate) shard: usize,
    pub(crate) predicted_seconds: f64,
    pub(crate) units: usize,
    pub(crate) tests: usize,
}

/// The split the newest multi-part run used, measured and predicted the same way as the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CurrentPlan {
    pub(crate) run: String,
    pub(crate) by: SplitBy,
    pub(crate) parts: Vec<CurrentPart>,
    /// max / mean − 1 of the parts' measured times in that run.
    pub(crate) imbalance: f64,
    /// max / mean − 1 of the parts' times predicted from median durations.
    pub(crate) predicted_imbalance: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CurrentPart {
    pub(crate) name: String,
    pub(crate) tests: usize,
    pub(crate) seconds: f64,
    pub(crate) predicted_seconds: f64,
}

/// max / mean − 1; 0 for no load.
pub(crate) fn imbalance(loads: &[f64]) -> f64 {
    let total: f64 = loads.iter().sum();
    if loads.is_empty() || total <= 0.0 {
        return 0.0;
    }
    let max = loads.iter().copied().fold(f64::MIN, f64::max);
    max / (total / loads.len() as f64) - 1.0
}

/// Longest processing time first: units by time descending (then by key), each onto the shard
/// with the least time so far; on ties, the one with the fewest units (tests pytest times as
/// `0.000` would otherwise all land on one shard), then the lowest-numbered. Returns each
/// unit's shard (0-based).
pub(crate) fn lpt(times: &[f64], count: usize, keys: &[&str]) -> Vec<usize> {
    let count = count.max(1);
    let mut idx: Vec<usize> = (0..times.len()).collect();
    idx.sort_by(|&a, &b| times[b].total_cmp(&times[a]).then(keys[a].cmp(keys[b])));
    let mut load = vec![0.0f64; count];
    let mut units = vec![0usize; count];
    let mut shard = vec![0; times.len()];
    for i in idx {
        let mut best = 0;
        for s in 1..count {
            if (load[s], units[s]) < (load[best], units[best]) {
                best = s;
            }
        }
        load[best] += times[i];
        units[best] += 1;
        shard[i] = best;
    }
    shard
}

fn unit_key(t: &TestHistory, by: Unit) -> String {
    match by {
        Unit::Test => t.test_id.clone(),
        Unit::Class if !t.classname.is_empty() => t.classname.clone(),
        Unit::Class => t.file.clone().unwrap_or_else(|| t.suite.clone()),
    }
}

/// Each test's unit. For Go, a shard skips every other shard's tests by name with `-skip`,
/// which skips a test's subtests with it and the tests of that name in every package: so the
/// tests that share a top-level name (`TestA`, `TestA/sub`, and `TestA` of another package)
/// are one unit with `--by test`, and with `--by class` the packages that share a top-level
/// test name are one unit. Otherwise a test would be skipped on its own shard by another
/// shard's test of its name, and run on none.
fn unit_keys(hist: &History, by: Unit, runner: Runner) -> Vec<String> {
    if runner != Runner::Go {
        return hist.tests.iter().map(|t| unit_key(t, by)).collect();
    }
    match by {
        Unit::Test => hist
            .tests
            .iter()
            .map(|t| go::top_level(&t.name).to_string())
            .collect(),
        Unit::Class => {
            // Classes joined through a shared top-level name, each set named by its least key.
            let keys: Vec<String> = hist.tests.iter().map(|t| unit_key(t, by)).collect();
            let mut root: BTreeMap<&str, &str> =
                keys.iter().map(|k| (k.as_str(), k.as_str())).collect();
            fn find<'a>(root: &BTreeMap<&'a str, &'a str>, mut k: &'a str) -> &'a str {
                while root[k] != k {
                    k = root[k];
                }
                k
            }
            let mut first_class: BTreeMap<&str, &str> = BTreeMap::new();
            for (t, k) in hist.tests.iter().zip(&keys) {
                let other = *first_class.entry(go::top_level(&t.name)).or_insert(k);
                let (a, b) = (find(&root, k), find(&root, other));
                if a != b {
                    let (low, high) = if a < b { (a, b) } else { (b, a) };
                    root.insert(high, low);
                }
            }
            keys.iter().map(|k| find(&root, k).to_string()).collect()
        }
    }
}

pub(crate) fn plan(
    hist: &History,
    count: usize,
    by: Unit,
    runner: Runner,
) -> (Vec<Selected>, ShardPlan) {
    let medians: Vec<Option<f64>> = hist
        .tests
        .iter()
        .map(|t| crate::analysis::slow::median(&t.durations))
        .collect();
    let known: Vec<f64> = medians.iter().flatten().copied().collect();
    let assumed = crate::analysis::slow::median(&known).unwrap_or(0.0);
    let seconds: Vec<f64> = medians.iter().map(|m| m.unwrap_or(assumed)).collect();

    let mut units: BTreeMap<String, (f64, Vec<usize>)> = BTreeMap::new();
    // Go times a parent as the sum of its subtests: a unit counts it, not them again.
    let ids: std::collections::HashSet<&str> =
        hist.tests.iter().map(|t| t.test_id.as_str()).collect();
    let counted = |t: &TestHistory| {
        runner != Runner::Go
            || !t.test_id.ends_with(&t.name)
            || !go::parents(&t.name).any(|p| {
                let scope = &t.test_id[..t.test_id.len() - t.name.len()];
                ids.contains(format!("{scope}{p}").as_str())
            })
    };
    for (i, key) in unit_keys(hist, by, runner).into_iter().enumerate() {
        let u = units.entry(key).or_default();
        if counted(&hist.tests[i]) {
            u.0 += seconds[i];
        }
        u.1.push(i);
    }
    let keys: Vec<&str> = units.keys().map(String::as_str).collect();
    let times: Vec<f64> = units.values().map(|u| u.0).collect();
    let assignment = lpt(&times, count, &keys);
    let count = count.max(1);
    let mut shards: Vec<Shard> = (0..count)
        .map(|s| Shard {
            shard: s + 1,
            predicted_seconds: 0.0,
            units: 0,
            tests: 0,
        })
        .collect();
    let mut shard_of_test = vec![0; hist.tests.len()];
    for ((_, (time, members)), &s) in units.iter().zip(&assignment) {
        shards[s].predicted_seconds += time;
        shards[s].units += 1;
        shards[s].tests += members.len();
        for &m in members {
            shard_of_test[m] = s;
        }
    }
    let loads: Vec<f64> = shards.iter().map(|s| s.predicted_seconds).collect();
    let mut tests: Vec<Selected> = hist
        .tests
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut s = base(t, "shard");
            s.shard = Some(shard_of_test[i] + 1);
            s.evidence.push(match medians[i] {
                Some(m) => format!("median {m:.3} s over {} runs", t.durations.len()),
                None => format!("no duration known; assumed {assumed:.3} s"),
            });
            s
        })
        .collect();
    tests.sort_by(|a, b| {
        a.shard
            .cmp(&b.shard)
            .then_with(|| a.test_id.cmp(&b.test_id))
    });
    let predicted: BTreeMap<&str, f64> = hist
        .tests
        .iter()
        .zip(&seconds)
        .map(|(t, s)| (t.test_id.as_str(), *s))
        .collect();
    let plan = ShardPlan {
        by,
        count,
        shards,
        imbalance: imbalance(&loads),
        unknown_duration_tests: medians.iter().filter(|m| m.is_none()).count(),
        assumed_seconds: assumed,
        current: hist
            .current_split
            .as_ref()
            .ok()
            .map(|c| current(c, &predicted)),
        no_current: hist.current_split.as_ref().err().cloned(),
    };
    (tests, plan)
}

fn current(c: &CurrentSplit, predicted: &BTreeMap<&str, f64>) -> CurrentPlan {
    let parts: Vec<CurrentPart> = c
        .parts
        .iter()
        .map(|p| CurrentPart {
            name: p.name.clone(),
            tests: p.tests.len(),
            seconds: p.seconds,
            predicted_seconds: p
                .tests
                .iter()
                .map(|t| predicted.get(t.as_str()).copied().unwrap_or(0.0))
                .sum(),
        })
        .collect();
    let measured: Vec<f64> = parts.iter().map(|p| p.seconds).collect();
    let planned: Vec<f64> = parts.iter().map(|p| p.predicted_seconds).collect();
    CurrentPlan {
        run: c.run.clone(),
        by: c.by,
        imbalance: imbalance(&measured),
        predicted_imbalance: imbalance(&planned),
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lpt_balances_by_hand() {
        // 7, 5, 4, 3, 3, 2 on shards A, B, each onto the lighter one: 7→A (7, 0), 5→B (7, 5),
        // 4→B (7, 9), 3→A (10, 9), 3→B (10, 12), 2→A (12, 12).
        let keys = ["a", "b", "c", "d", "e", "f"];
        let s = lpt(&[7.0, 5.0, 4.0, 3.0, 3.0, 2.0], 2, &keys);
        assert_eq!(s, [0, 1, 1, 0, 1, 0]);
        let mut load = [0.0; 2];
        for (i, t) in [7.0, 5.0, 4.0, 3.0, 3.0, 2.0].iter().enumerate() {
            load[s[i]] += t;
        }
        assert_eq!(load, [12.0, 12.0]);
        assert_eq!(imbalance(&load), 0.0);
    }

    #[test]
    fn units_of_no_time_are_dealt_out_evenly() {
        let keys = ["a", "b", "c", "d", "e"];
        assert_eq!(lpt(&[0.0; 5], 2, &keys), [0, 1, 0, 1, 0]);
        // Timed units first; the untimed ones then go to the shard with fewer units on ties.
        assert_eq!(lpt(&[2.0, 2.0, 0.0, 0.0, 0.0], 2, &keys), [0, 1, 0, 1, 0]);
    }

    /// Go: a test, its subtests and the tests of its name in other packages are one unit
    /// (`--by test`); packages that share a top-level test name are one unit (`--by class`).
    /// A parent's time is its subtests', so the unit counts it once.
    #[test]
    fn go_keeps_what_one_skip_name_reaches_on_one_shard() {
        let t = |c: &str, n: &str, secs: f64| TestHistory {
            test_id: format!("{c}::{n}"),
            classname: c.into(),
            name: n.into(),
            suite: c.into(),
            file: None,
            variants: Vec::new(),
            outcomes: Vec::new(),
            durations: vec![secs],
            last_executed: None,
        };
        let hist = History {
            runs: Vec::new(),
            tests: vec![
                t("ex/a", "TestP", 6.0),
                t("ex/a", "TestP/x", 3.0),
                t("ex/a", "TestP/y", 3.0),
                t("ex/a", "TestShared", 1.0),
                t("ex/b", "TestR", 2.0),
                t("ex/b", "TestShared", 1.0),
                t("ex/c", "TestS", 4.0),
            ],
            current_split: Err("none".into()),
        };
        let shard_of = |tests: &[Selected], id: &str| {
            tests
                .iter()
                .find(|s| s.test_id == id)
                .expect("a test of the history")
                .shard
        };
        let (tests, by_test) = plan(&hist, 3, Unit::Test, Runner::Go);
        // Units TestP 6, TestS 4, TestR 2, TestShared 2: 6 | 4 | 2 + 2.
        let p = shard_of(&tests, "ex/a::TestP");
        assert_eq!(shard_of(&tests, "ex/a::TestP/x"), p);
        assert_eq!(shard_of(&tests, "ex/a::TestP/y"), p);
        assert_eq!(
            shard_of(&tests, "ex/a::TestShared"),
            shard_of(&tests, "ex/b::TestShared")
        );
        let loads: Vec<f64> = by_test.shards.iter().map(|s| s.predicted_seconds).collect();
        assert_eq!(loads, [6.0, 4.0, 4.0]);
        // Other runners: each test on its own.
        let (tests, _) = plan(&hist, 3, Unit::Test, Runner::Plain);
        assert_ne!(
            shard_of(&tests, "ex/a::TestP"),
            shard_of(&tests, "ex/a::TestP/x")
        );
        // By class: ex/a and ex/b share TestShared, ex/c is on its own.
        let (tests, by_class) = plan(&hist, 2, Unit::Class, Runner::Go);
        assert_eq!(
            shard_of(&tests, "ex/a::TestP"),
            shard_of(&tests, "ex/b::TestR")
        );
        assert_ne!(
            shard_of(&tests, "ex/a::TestP"),
            shard_of(&tests, "ex/c::TestS")
        );
        assert_eq!(by_class.shards.iter().map(|s| s.units).sum::<usize>(), 2);
    }

    #[test]
    fn imbalance_is_max_over_mean_minus_one() {
        assert!((imbalance(&[30.0, 10.0]) - 0.5).abs() < 1e-12);
        assert_eq!(imbalance(&[]), 0.0);
        assert_eq!(imbalance(&[0.0, 0.0]), 0.0);
    }
}

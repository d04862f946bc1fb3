//! The commit-centred model behind `flaky`'s verdicts (docs/analysis.md, "The model").
//!
//! A test's executions are grouped by commit, across branches, CI runs, CI attempts and in-run
//! retries; commits are ordered by their first appearance in the window. Two explanations of its
//! failed attempts compete:
//! - **flakiness**: every attempt fails independently with one rate p (estimated from the
//!   attempts it explains), so k failed attempts in a row cost p^k;
//! - **breakage** over intervals of consecutive commits on which every execution failed (every
//!   attempt, so a pass and a fail on the same commit rule breakage out there), each interval
//!   costing a fixed penalty. A pass ends an interval when it ran on a branch the interval's
//!   failures ran on, or on the trunk (the window's main line) when the interval ran on the
//!   trunk or its branch runs no more: a pull-request branch cut before a breakage passes while
//!   the trunk fails, and does not end the trunk's breakage; the trunk's passes do not end a
//!   branch's own breakage while the branch goes on.
//!
//! The explanation with the higher log-likelihood minus penalties wins. Failures that survived
//! in-run retries are several failed attempts, so they weigh as deterministic evidence.

use super::Outcome;

/// Log-likelihood cost of one breakage interval: an interval is preferred to flakiness once the
/// failed attempts in it are less likely than 1 in e^PENALTY (≈ 1 in 100) under the test's
/// flake rate.
pub(crate) const PENALTY: f64 = 4.6;

/// The cost of a pull-request branch's own breakage that the branch's next push fixed (its
/// failures ran only off the trunk, and a later commit of the same branch passed), when it
/// holds every failure of the test in the window. That is how a change is fixed before it
/// merges, so it is taken as a breakage once its failures are less likely than 1 in
/// e^OWN_FIX_PENALTY (≈ 1 in 10) under the test's flake rate: a lone failure so fixed is a
/// breakage from 4 runs on, where [`PENALTY`] asks for about 40. A test that also fails
/// elsewhere (on the trunk, in a retry, on another branch) shows flakiness, and each of its
/// stretches costs [`PENALTY`].
pub(crate) const OWN_FIX_PENALTY: f64 = 2.3;

/// The cost of a breakage whose failures (two runs or more) have fingerprints the test never
/// failed with anywhere else, while its other failures (two or more, all with one fingerprint)
/// show how it flakes: a
/// flaky test failing twice running, both times in a new way, is about as unlikely as 1 in 10
/// under its flake rate alone.
pub(crate) const SIGNATURE_PENALTY: f64 = 2.3;

/// One executed (not skipped, not infrastructure) execution, in run order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Exec {
    /// The commit's position in first-appearance order; a run without a commit is a commit of
    /// its own.
    pub(crate) commit: u32,
    /// Attempts within the run (1 without in-run retries), at least 1.
    pub(crate) attempts: u32,
    /// Failed attempts: `attempts` for a failure, fewer for a retry, 0 for a pass.
    pub(crate) failed: u32,
    pub(crate) outcome: Outcome,
    /// The run's branch when it is not the trunk; `None` on the trunk (the window's most-run
    /// branch) and for a run without a branch.
    pub(crate) line: Option<u32>,
    /// How it failed (the failure's fingerprint), when it failed and that is known.
    pub(crate) fingerprint: Option<u64>,
}

/// Consecutive commits (of those the test ran on) on which every execution failed, taken as one
/// breakage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interval {
    /// First and last commit (first-appearance positions).
    pub(crate) first_commit: u32,
    pub(crate) last_commit: u32,
    /// The execution (index into the test's executions) of the first bad commit that ran first.
    pub(crate) first_exec: usize,
    /// The same for the last bad commit.
    pub(crate) last_exec: usize,
    /// The first execution of the next commit the test ran on, which passed (or retried);
    /// none while the interval reaches the test's newest commit.
    pub(crate) fixed_exec: Option<usize>,
    /// Executions in the interval.
    pub(crate) executions: usize,
    /// Commits in the interval.
    pub(crate) commits: usize,
    /// None of its commits ran on the trunk: a branch's own breakage.
    pub(crate) off_trunk: bool,
}

/// What the model concludes for one test.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Explanation {
    /// Breakage intervals, oldest commit first.
    pub(crate) intervals: Vec<Interval>,
    /// Per execution: inside a breakage interval.
    pub(crate) in_breakage: Vec<bool>,
    /// The newest interval reaches the test's newest commit.
    pub(crate) broken_now: bool,
    /// The flake rate per attempt outside the intervals (failed / all attempts).
    pub(crate) attempt_rate: f64,
}

/// The log-likelihood of `k` failed attempts out of `n` at their own rate k/n.
fn loglik(k: f64, n: f64) -> f64 {
    let term = |x: f64| if x > 0.0 { x * (x / n).ln() } else { 0.0 };
    if n <= 0.0 { 0.0 } else { term(k) + term(n - k) }
}

/// Explains the executions `execs` (run order) of one test with `penalty` per interval. A
/// stretch whose commits are all in `forced` (sorted: commits another variant of the test was
/// broken on) is a breakage whatever it costs.
#[cfg(test)]
pub(crate) fn explain(execs: &[Exec], penalty: f64, forced: &[u32]) -> Explanation {
    explain_with(execs, penalty, forced, &[])
}

/// [`explain`], with `flaky_elsewhere` (sorted): the fingerprints another variant of the test
/// (a matrix leg) flakes with. Failures that end the series, or start it, all failing one of
/// those ways show flakiness as the test's own would: they are not taken for a fresh breakage
/// (or the end of an old one) on that ground alone.
pub(crate) fn explain_with(
    execs: &[Exec],
    penalty: f64,
    forced: &[u32],
    flaky_elsewhere: &[u64],
) -> Explanation {
    // Per commit, in commit order: executions, and whether every execution failed outright.
    let mut order: Vec<usize> = (0..execs.len()).collect();
    order.sort_by_key(|&i| (execs[i].commit, i));
    struct Commit {
        id: u32,
        /// Indices into `execs`, in run order.
        execs: Vec<usize>,
        all_failed: bool,
        failed_attempts: u64,
        /// The branches (lines) it ran on other than the trunk, and whether it ran on the trunk.
        lines: Vec<u32>,
        trunk: bool,
    }
    let mut commits: Vec<Commit> = Vec::new();
    for i in order {
        let e = execs[i];
        let hard = e.outcome == Outcome::Fail;
        if commits.last().is_none_or(|c| c.id != e.commit) {
            commits.push(Commit {
                id: e.commit,
                execs: Vec::new(),
                all_failed: true,
                failed_attempts: 0,
                lines: Vec::new(),
                trunk: false,
            });
        }
        let Some(c) = commits.last_mut() else {
            continue;
        };
        c.execs.push(i);
        c.all_failed &= hard;
        c.failed_attempts += u64::from(e.failed);
        match e.line {
            Some(l) if !c.lines.contains(&l) => c.lines.push(l),
            Some(_) => {}
            None => c.trunk = true,
        }
    }
    // Maximal stretches of all-failed commits, in commit order: each is taken whole or not at
    // all (a part of it explains fewer failures for the same penalty). A commit with a pass
    // ends the stretch when it ran on the trunk or on a line the stretch's failures ran on;
    // a pass only on other branches (a pull-request branch cut before the breakage) is left
    // out of the stretch without ending it.
    struct Stretch {
        /// Indices into `commits`, in commit order.
        commits: Vec<usize>,
        failed_attempts: u64,
        /// The commit whose pass ended it; none when it reaches the test's newest commit.
        ended_by: Option<usize>,
        /// Ran only off the trunk and ended by a pass on a line of its own: the branch's next
        /// push fixed it.
        own_fix: bool,
        /// Its first and its last commit failed only the way the test flakes elsewhere: chance
        /// failures beside the breakage, left out of its interval.
        flake_ends: (usize, usize),
    }
    // The last commit (index into `commits`) each branch line ran the test on.
    let mut last_on_line: Vec<(u32, usize)> = Vec::new();
    for (ci, c) in commits.iter().enumerate() {
        for &l in &c.lines {
            match last_on_line.iter_mut().find(|(line, _)| *line == l) {
                Some(last) => last.1 = ci,
                None => last_on_line.push((l, ci)),
            }
        }
    }
    let runs_after =
        |l: u32, ci: usize| last_on_line.iter().any(|&(line, at)| line == l && at > ci);
    let mut stretches: Vec<Stretch> = Vec::new();
    // The open stretch, its lines off the trunk, and whether a commit of it ran on the trunk.
    let mut open: Option<(Stretch, Vec<u32>, bool)> = None;
    for (ci, c) in commits.iter().enumerate() {
        if c.all_failed {
            let (s, lines, on_trunk) = open.get_or_insert_with(|| {
                let s = Stretch {
                    commits: Vec::new(),
                    failed_attempts: 0,
                    ended_by: None,
                    own_fix: false,
                    flake_ends: (0, 0),
                };
                (s, Vec::new(), false)
            });
            s.commits.push(ci);
            s.failed_attempts += c.failed_attempts;
            *on_trunk |= c.trunk;
            for &l in &c.lines {
                if !lines.contains(&l) {
                    lines.push(l);
                }
            }
        } else if let Some((_, lines, on_trunk)) = &open {
            // A pass on a line of the stretch ends it; a pass on the trunk ends a stretch that
            // ran on the trunk, and a branch's own stretch only once its branch runs no more
            // (the trunk never had the branch's change: its passes in between say nothing).
            let own_line = c.lines.iter().any(|l| lines.contains(l));
            let own_fix = own_line && !*on_trunk;
            if (own_line || (c.trunk && (*on_trunk || !lines.iter().any(|&l| runs_after(l, ci)))))
                && let Some((mut s, _, _)) = open.take()
            {
                s.ended_by = Some(ci);
                s.own_fix = own_fix;
                stretches.push(s);
            }
        }
    }
    stretches.extend(open.map(|(s, _, _)| s));
    // A flaky test's chance failure on the commit just before a breakage, or on the commit
    // that fixed it, joins the stretch and moves its first bad commit or its fix. When that
    // end commit failed only the way the test flakes elsewhere, and never the way the rest of
    // the stretch fails, it is a flake of its own, cut off (the rest keeps two commits or more).
    let every_fp: Vec<u64> = {
        let mut f: Vec<u64> = execs.iter().filter_map(|e| e.fingerprint).collect();
        f.sort_unstable();
        f
    };
    let fps_of = |cs: &[usize]| -> Option<Vec<u64>> {
        let mut f = Vec::new();
        for &c in cs {
            for &i in &commits[c].execs {
                f.push(execs[i].fingerprint?);
            }
        }
        f.sort_unstable();
        Some(f)
    };
    let count = |list: &[u64], fp: u64| {
        list.partition_point(|&x| x < fp)..list.partition_point(|&x| x <= fp)
    };
    // The stretch is still weighed whole (its ends are part of what says "breakage"); only
    // where it starts and ends moves. Each end loses its commits, one after another, while
    // they failed only in ways the test fails outside the stretch and the breakage's own
    // commits never did.
    for st in &mut stretches {
        let n = st.commits.len();
        if n < 3 {
            continue;
        }
        let Some(whole) = fps_of(&st.commits) else {
            continue;
        };
        let Some(per_commit) = st
            .commits
            .iter()
            .map(|&c| fps_of(&[c]))
            .collect::<Option<Vec<Vec<u64>>>>()
        else {
            continue;
        };
        // Seen outside the stretch: the test fails that way elsewhere too.
        let outside = |fp: u64| count(&every_fp, fp).len() > count(&whole, fp).len();
        // The breakage's own ways of failing: those of its commits that failed some way never
        // seen outside.
        let mut core: Vec<u64> = per_commit
            .iter()
            .filter(|fps| fps.iter().any(|&fp| !outside(fp)))
            .flatten()
            .copied()
            .collect();
        core.sort_unstable();
        let flake_like = |fps: &Vec<u64>| {
            !fps.is_empty()
                && !core.is_empty()
                && fps
                    .iter()
                    .all(|&fp| outside(fp) && core.binary_search(&fp).is_err())
        };
        let front = per_commit.iter().take_while(|f| flake_like(f)).count();
        let back = per_commit[front..]
            .iter()
            .rev()
            .take_while(|f| flake_like(f))
            .count();
        if n - front - back >= 2 {
            st.flake_ends = (front, back);
        }
    }
    // A branch that carries broken code from the trunk (based on a commit inside a breakage)
    // fails the same way on a commit of its own, often after the trunk's fix. A stretch only
    // off the trunk whose failures share a fingerprint with an earlier stretch on the trunk is
    // that breakage again: one interval, whose fix is the trunk's.
    let fingerprints = |st: &Stretch| -> Vec<u64> {
        let mut f: Vec<u64> = st
            .commits
            .iter()
            .flat_map(|&c| commits[c].execs.iter())
            .filter_map(|&i| execs[i].fingerprint)
            .collect();
        f.sort_unstable();
        f.dedup();
        f
    };
    let on_trunk = |st: &Stretch| st.commits.iter().any(|&c| commits[c].trunk);
    let lines_of = |st: &Stretch| -> Vec<u32> {
        let mut l: Vec<u32> = st
            .commits
            .iter()
            .flat_map(|&c| commits[c].lines.iter().copied())
            .collect();
        l.sort_unstable();
        l.dedup();
        l
    };
    let runs_in =
        |st: &Stretch| -> usize { st.commits.iter().map(|&c| commits[c].execs.len()).sum() };
    // Each kept stretch, with the fingerprints of a trunk stretch seen failing in two runs or
    // more (what a branch's echo of it would share), computed once.
    let total_failed: u64 = execs.iter().map(|e| u64::from(e.failed)).sum();
    let total_attempts: u64 = execs.iter().map(|e| u64::from(e.attempts.max(1))).sum();
    // Only a trunk stretch that is a breakage by itself (worth its penalty against the test's
    // whole record) has echoes: a flaky test's chance failures on one commit, and its later
    // failures on branches that share their fingerprint, are flakes, not a breakage carried.
    let breakage_by_itself = |st: &Stretch| {
        let w = st.failed_attempts;
        loglik((total_failed - w) as f64, (total_attempts - w) as f64) - penalty
            > loglik(total_failed as f64, total_attempts as f64)
    };
    let mut merged: Vec<(Stretch, Vec<u64>)> = Vec::with_capacity(stretches.len());
    for st in stretches {
        if on_trunk(&st) {
            let sources = if runs_in(&st) >= 2 && breakage_by_itself(&st) {
                fingerprints(&st)
            } else {
                Vec::new()
            };
            merged.push((st, sources));
            continue;
        }
        let own = fingerprints(&st);
        let echo_of = merged
            .iter()
            .rposition(|(_, sources)| sources.iter().any(|f| own.binary_search(f).is_ok()))
            .or_else(|| {
                // The branch failed in a trunk stretch itself, the same way, and has not passed
                // since: it is still the breakage it ran into (a pull request cut on a broken
                // commit and not rebased on the fix), however short the test's record is.
                let lines = lines_of(&st);
                let (first, _) = merged.last()?;
                let (&start, &end) = (st.commits.first()?, first.commits.last()?);
                let j = merged.len() - 1;
                // Only when the two hold every failure of the test: a flaky test's chance
                // failures on a branch before and after a trunk pass are no breakage carried.
                let carried = on_trunk(first)
                    && first.failed_attempts + st.failed_attempts == total_failed
                    && !lines.is_empty()
                    && lines.iter().all(|l| lines_of(first).contains(l))
                    && fingerprints(first)
                        .iter()
                        .any(|f| own.binary_search(f).is_ok())
                    && commits.get(end + 1..start).is_some_and(|between| {
                        !between
                            .iter()
                            .any(|c| !c.all_failed && c.lines.iter().any(|l| lines.contains(l)))
                    });
                carried.then_some(j)
            });
        match echo_of {
            Some(j) => {
                merged[j].0.commits.extend(st.commits);
                merged[j].0.failed_attempts += st.failed_attempts;
            }
            None => merged.push((st, Vec::new())),
        }
    }
    let stretches: Vec<Stretch> = merged.into_iter().map(|(st, _)| st).collect();
    // For t intervals the best choice is the t heaviest stretches (moving failed attempts out of
    // the flaky part only raises its likelihood); ties go to the newer stretch.
    let is_forced = |st: &Stretch| {
        !forced.is_empty()
            && st
                .commits
                .iter()
                .all(|&c| forced.binary_search(&commits[c].id).is_ok())
    };
    let (mut chosen, mut by_weight): (Vec<usize>, Vec<usize>) =
        (0..stretches.len()).partition(|&s| is_forced(&stretches[s]));
    // A stretch of two runs or more that failed only in ways the test never failed elsewhere,
    // while its other failures (two or more, all one way) show how it flakes: a new failure,
    // not the test's flakiness coming back in a run.
    let signature: Vec<bool> = {
        let mut outside: Vec<u64> = Vec::new();
        stretches
            .iter()
            .map(|st| {
                let own: Vec<usize> = st
                    .commits
                    .iter()
                    .flat_map(|&c| commits[c].execs.iter().copied())
                    .collect();
                if own.len() < 2 {
                    return false;
                }
                let Some(mut fps) = own
                    .iter()
                    .map(|&i| execs[i].fingerprint)
                    .collect::<Option<Vec<u64>>>()
                else {
                    return false;
                };
                fps.sort_unstable();
                fps.dedup();
                outside.clear();
                outside.extend(
                    execs
                        .iter()
                        .enumerate()
                        .filter(|(i, e)| e.failed > 0 && !own.contains(i))
                        .filter_map(|(_, e)| e.fingerprint),
                );
                // One way of flaking, seen twice or more: a test whose flakes fail in
                // several ways may well fail in yet another twice.
                outside.len() >= 2
                    && outside.iter().all(|f| *f == outside[0])
                    && fps.binary_search(&outside[0]).is_err()
            })
            .collect()
    };
    by_weight.sort_by(|&a, &b| {
        stretches[b]
            .failed_attempts
            .cmp(&stretches[a].failed_attempts)
            .then(signature[b].cmp(&signature[a]))
            .then(b.cmp(&a))
    });
    let mut moved: u64 = chosen.iter().map(|&s| stretches[s].failed_attempts).sum();
    // A test whose one failure is a branch's breakage that its next push fixed costs less.
    let only_own_fix = match by_weight[..] {
        [s] => stretches[s].own_fix && stretches[s].failed_attempts + moved == total_failed,
        _ => false,
    };
    let (mut best_t, mut best) = (
        0,
        loglik(
            (total_failed - moved) as f64,
            (total_attempts - moved) as f64,
        ),
    );
    let mut paid = 0.0;
    for (t, &s) in by_weight.iter().enumerate() {
        moved += stretches[s].failed_attempts;
        paid += if only_own_fix {
            penalty.min(OWN_FIX_PENALTY)
        } else if signature[s] {
            penalty.min(SIGNATURE_PENALTY)
        } else {
            penalty
        };
        let k = (total_failed - moved) as f64;
        let n = (total_attempts - moved) as f64;
        let score = loglik(k, n) - paid;
        if score > best {
            (best_t, best) = (t + 1, score);
        }
    }
    chosen.extend_from_slice(&by_weight[..best_t]);
    chosen.sort_unstable();
    // Every failure of the stretch failed a way another variant of the test flakes.
    let flakes_elsewhere = |st: &Stretch| {
        !flaky_elsewhere.is_empty()
            && st.commits.iter().all(|&c| {
                commits[c].execs.iter().all(|&i| {
                    execs[i]
                        .fingerprint
                        .is_some_and(|f| flaky_elsewhere.binary_search(&f).is_ok())
                })
            })
    };
    // A test that has just started failing: the failures that end its series are the only ones
    // the chosen explanation leaves to flakiness, and nothing else (no retry, no other failure)
    // shows flakiness. They cannot be told from a fresh breakage yet; calling a broken test
    // flaky sends people to re-run it, so it is broken until it passes again.
    if let Some(last) = stretches.len().checked_sub(1)
        && stretches[last].ended_by.is_none()
        && !chosen.contains(&last)
    {
        let mut explained = vec![false; execs.len()];
        for &s in &chosen {
            for &c in &stretches[s].commits {
                for &i in &commits[c].execs {
                    explained[i] = true;
                }
            }
        }
        let mut trailing = vec![false; execs.len()];
        for &c in &stretches[last].commits {
            for &i in &commits[c].execs {
                trailing[i] = true;
            }
        }
        let other_flakiness = execs
            .iter()
            .enumerate()
            .any(|(i, e)| e.outcome != Outcome::Pass && !explained[i] && !trailing[i]);
        if !other_flakiness && !flakes_elsewhere(&stretches[last]) {
            chosen.push(last);
        }
    }
    // The same at the window's start: failures on the test's first commits, ended by a pass,
    // with no other flakiness, are the end of a breakage that began before the window.
    if let Some(lead) = stretches.first()
        && lead.commits.first() == Some(&0)
        && !chosen.contains(&0)
    {
        let mut explained = vec![false; execs.len()];
        for &s in chosen.iter().chain(std::iter::once(&0)) {
            for &c in &stretches[s].commits {
                for &i in &commits[c].execs {
                    explained[i] = true;
                }
            }
        }
        let other_flakiness = execs
            .iter()
            .enumerate()
            .any(|(i, e)| e.outcome != Outcome::Pass && !explained[i]);
        if !other_flakiness && !flakes_elsewhere(lead) {
            chosen.push(0);
            chosen.sort_unstable();
        }
    }
    let mut in_breakage = vec![false; execs.len()];
    let mut intervals = Vec::new();
    for &s in &chosen {
        let stretch = &stretches[s];
        let (cut_first, cut_last) = stretch.flake_ends;
        let kept = &stretch.commits[cut_first..stretch.commits.len() - cut_last];
        let (Some(&a), Some(&b)) = (kept.first(), kept.last()) else {
            continue;
        };
        let mut executions = 0;
        for &c in kept {
            for &i in &commits[c].execs {
                in_breakage[i] = true;
                executions += 1;
            }
        }
        // A flake on the fixing commit: that commit fixed it all the same.
        let fixed_by = if cut_last > 0 {
            stretch
                .commits
                .get(stretch.commits.len() - cut_last)
                .copied()
        } else {
            stretch.ended_by
        };
        intervals.push(Interval {
            first_commit: commits[a].id,
            last_commit: commits[b].id,
            first_exec: commits[a].execs[0],
            last_exec: commits[b].execs[0],
            fixed_exec: fixed_by.map(|c| commits[c].execs[0]),
            executions,
            commits: kept.len(),
            off_trunk: !kept.iter().any(|&c| commits[c].trunk),
        });
    }
    let broken_now = chosen
        .last()
        .is_some_and(|&s| stretches[s].ended_by.is_none() && stretches[s].flake_ends.1 == 0);
    let (mut k, mut n) = (0u64, 0u64);
    for (e, &inside) in execs.iter().zip(&in_breakage) {
        if !inside {
            k += u64::from(e.failed);
            n += u64::from(e.attempts.max(1));
        }
    }
    Explanation {
        intervals,
        in_breakage,
        broken_now,
        attempt_rate: if n > 0 { k as f64 / n as f64 } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Executions laid out by hand: one `commit:outcomes` group per commit, in first-appearance
    /// order; `.` pass, `F` fail (one attempt), `3` fail on all of 3 attempts, `~` failed once
    /// and passed on a retry. `"a:. b:F c:.."` is a pass on a, a failure on b, two passes on c.
    fn execs(layout: &str) -> Vec<Exec> {
        let mut out = Vec::new();
        for (c, group) in layout.split_whitespace().enumerate() {
            let (_, outcomes) = group.split_once(':').expect("commit:outcomes");
            for ch in outcomes.chars() {
                let (outcome, attempts, failed) = match ch {
                    'F' => (Outcome::Fail, 1, 1),
                    '3' => (Outcome::Fail, 3, 3),
                    '~' => (Outcome::Retry, 2, 1),
                    _ => (Outcome::Pass, 1, 0),
                };
                out.push(Exec {
                    commit: c as u32,
                    attempts,
                    failed,
                    outcome,
                    line: None,
                    fingerprint: None,
                });
            }
        }
        out
    }

    /// Commits `c0` .. `c{n-1}`, one run each, failing on those in `failing`.
    fn one_run_per_commit(n: u32, failing: &[u32]) -> String {
        (0..n)
            .map(|c| {
                let o = if failing.contains(&c) { "F" } else { "." };
                format!("c{c}:{o} ")
            })
            .collect()
    }

    fn passes(n: usize) -> String {
        (0..n).map(|i| format!("p{i}:. ")).collect()
    }

    #[test]
    fn a_one_commit_breakage_seen_on_three_branches_is_one_interval() {
        // Commit x ran on its pull-request branch, on main and in a re-run: it failed each time.
        let layout = format!("{}x:FFF {}", passes(20), passes(20));
        let ex = explain(&execs(&layout), PENALTY, &[]);
        assert_eq!(ex.intervals.len(), 1);
        let i = &ex.intervals[0];
        assert_eq!((i.first_commit, i.last_commit, i.executions), (20, 20, 3));
        assert_eq!((i.first_exec, i.fixed_exec), (20, Some(23)));
        assert!(!ex.broken_now);
        assert_eq!(ex.attempt_rate, 0.0);
    }

    #[test]
    fn a_pass_on_the_same_commit_rules_breakage_out() {
        // The re-run of commit x passed: its failure is flakiness.
        let layout = format!("{}x:FF. {}", passes(20), passes(20));
        let ex = explain(&execs(&layout), PENALTY, &[]);
        assert!(ex.intervals.is_empty());
        assert!(ex.attempt_rate > 0.0);
    }

    #[test]
    fn a_flaky_test_without_retries_stays_flaky() {
        // Six lone failures in 120 runs (p = 0.05): six intervals would cost 6 × 4.6 = 27.6,
        // more than the 23.9 flakiness pays for them.
        let mut layout = String::new();
        for i in 0..120 {
            let o = if i % 20 == 7 { "F" } else { "." };
            layout.push_str(&format!("c{i}:{o} "));
        }
        let ex = explain(&execs(&layout), PENALTY, &[]);
        assert!(ex.intervals.is_empty(), "{:?}", ex.intervals);
        assert!((ex.attempt_rate - 0.05).abs() < 1e-12);
    }

    #[test]
    fn failures_that_survive_retries_are_deterministic() {
        // One run of commit x failed all 3 attempts, among retried flakes: p^3 is too unlikely.
        let mut layout = String::new();
        for i in 0..60 {
            let o = if i % 10 == 3 { "~" } else { "." };
            layout.push_str(&format!("c{i}:{o} "));
        }
        layout.push_str("x:3 ");
        layout.push_str(&passes(5));
        let ex = explain(&execs(&layout), PENALTY, &[]);
        assert_eq!(ex.intervals.len(), 1);
        assert_eq!(ex.intervals[0].first_commit, 60);
        // The same single failure without retries is one of its flakes.
        let layout = layout.replace("x:3", "x:F");
        let ex = explain(&execs(&layout), PENALTY, &[]);
        assert!(ex.intervals.is_empty());
    }

    #[test]
    fn a_fresh_failure_at_the_end_is_broken_until_it_passes() {
        let ex = explain(&execs(&format!("{}x:F", passes(30))), PENALTY, &[]);
        assert!(ex.broken_now);
        assert_eq!(ex.intervals[0].fixed_exec, None);
        // A flaky past makes it one more flake.
        let layout = format!("a:~ {}b:F {}x:F", passes(10), passes(10));
        let ex = explain(&execs(&layout), PENALTY, &[]);
        assert!(!ex.broken_now);
    }

    #[test]
    fn a_multi_commit_breakage_with_a_stale_branch_run_is_one_interval() {
        // Commits b1..b3 broke the test; the fix f landed; later a pull-request branch ran b2
        // again (it comes after f in time, but belongs to b2).
        let mut ex_list = execs(&format!("{}b1:F b2:FF b3:F f:. {}", passes(10), passes(5)));
        let stale = Exec {
            commit: 11,
            attempts: 1,
            failed: 1,
            outcome: Outcome::Fail,
            line: None,
            fingerprint: None,
        };
        ex_list.push(stale);
        let ex = explain(&ex_list, PENALTY, &[]);
        assert_eq!(ex.intervals.len(), 1);
        let i = &ex.intervals[0];
        assert_eq!(
            (i.first_commit, i.last_commit, i.commits, i.executions),
            (10, 12, 3, 5)
        );
        assert_eq!(i.fixed_exec, Some(14));
        assert!(ex.in_breakage[ex_list.len() - 1]);
        assert!(!ex.broken_now);
    }

    /// [`execs`] with a line per commit group: `commit@line:outcomes` runs on branch `line`
    /// (a number), a group without `@` on the trunk.
    fn execs_on_lines(layout: &str) -> Vec<Exec> {
        let mut out = Vec::new();
        for (c, group) in layout.split_whitespace().enumerate() {
            let (head, outcomes) = group.split_once(':').expect("commit:outcomes");
            let line = head
                .split_once('@')
                .map(|(_, l)| l.parse().expect("a line number"));
            for mut e in execs(&format!("x:{outcomes}")) {
                e.commit = c as u32;
                e.line = line;
                out.push(e);
            }
        }
        out
    }

    #[test]
    fn a_branch_failure_its_next_push_fixed_is_a_breakage_in_a_short_record() {
        // Ten trunk passes; a pull request's first push fails once (no retries), main passes
        // between, and the pull request's second push passes: the push fixed the change.
        let lone = "m0:. m1:. m2:. m3:. m4:. p1@1:F m5:. p2@1:. m6:. m7:. m8:. m9:.";
        let ex = explain(&execs_on_lines(lone), PENALTY, &[]);
        assert_eq!(ex.intervals.len(), 1, "{:?}", ex.intervals);
        let i = &ex.intervals[0];
        assert!(i.off_trunk);
        assert_eq!((i.first_exec, i.fixed_exec), (5, Some(7)));
        assert_eq!(ex.attempt_rate, 0.0);
        // The same failure on the trunk, fixed by the next commit, is a flake in a record
        // this short (a breakage costs 1 in 100 there).
        let trunk = lone.replace("@1", "");
        assert!(
            explain(&execs_on_lines(&trunk), PENALTY, &[])
                .intervals
                .is_empty()
        );
        // So is the branch's failure when the branch's next push never ran: main's passes
        // say nothing of the branch's change.
        let unfixed = "m0:. m1:. m2:. m3:. m4:. p1@1:F m5:. m6:. m7:. m8:. m9:. m10:.";
        assert!(
            explain(&execs_on_lines(unfixed), PENALTY, &[])
                .intervals
                .is_empty()
        );
        // A test that also failed on the trunk shows flakiness: its branch failure is weighed
        // as any other, and both are flakes.
        let flaky = "m0:. m1:F m2:. m3:. m4:. p1@1:F m5:. p2@1:. m6:. m7:. m8:. m9:.";
        let ex = explain(&execs_on_lines(flaky), PENALTY, &[]);
        assert!(ex.intervals.is_empty(), "{:?}", ex.intervals);
        // Two branch failures each fixed by the next push, in 14 runs: a test failing on two
        // pull requests is weighed as any other, and is flaky in a record this short.
        let twice = "m0:. m1:. p1@1:F p2@1:. m2:. m3:. m4:. m5:. q1@2:F m6:. q2@2:. m7:. m8:. m9:.";
        let ex = explain(&execs_on_lines(twice), PENALTY, &[]);
        assert!(ex.intervals.is_empty(), "{:?}", ex.intervals);
    }

    #[test]
    fn a_stale_branch_passing_does_not_end_the_trunks_breakage() {
        // The trunk fails all 3 attempts on 9 commits in a row; in between, a pull-request
        // branch cut before the breakage passes twice. The trunk is broken from b1 on.
        let layout = "b1:3 b2:3 b3:3 s1@1:. b4:3 b5:3 b6:3 s2@1:. b7:3 b8:3 b9:3";
        let list = execs_on_lines(layout);
        let ex = explain(&list, PENALTY, &[]);
        assert_eq!(ex.intervals.len(), 1, "{:?}", ex.intervals);
        let i = &ex.intervals[0];
        assert_eq!((i.first_commit, i.last_commit), (0, 10));
        assert_eq!((i.commits, i.executions, i.fixed_exec), (9, 9, None));
        assert!(ex.broken_now);
        // The stale branch's passes stay outside the breakage.
        assert!(!ex.in_breakage[3] && !ex.in_breakage[7]);
        // Had the passes run on the trunk, they would end each stretch: three short
        // breakages and two passes among 27 failed attempts read as flakiness.
        let trunk_only = explain(&execs(&layout.replace("@1", "")), PENALTY, &[]);
        assert!(!trunk_only.broken_now);
    }

    #[test]
    fn a_pass_on_the_breakages_own_branch_or_the_trunk_ends_it() {
        // A pull-request branch breaks the test on p1 and p2 and fixes it on p3.
        let layout = format!("{}p1@2:3 p2@2:3 p3@2:. {}", passes(20), passes(5));
        let ex = explain(&execs_on_lines(&layout), PENALTY, &[]);
        assert_eq!(ex.intervals.len(), 1);
        assert_eq!(ex.intervals[0].fixed_exec, Some(22));
        // A trunk pass ends it too: the trunk never had the pull request's change.
        let layout = format!("{}p1@2:3 p2@2:3 t:. {}", passes(20), passes(5));
        let ex = explain(&execs_on_lines(&layout), PENALTY, &[]);
        assert_eq!(ex.intervals.len(), 1);
        assert_eq!(ex.intervals[0].fixed_exec, Some(22));
        assert!(!ex.broken_now);
    }

    #[test]
    fn lone_failures_on_branches_with_trunk_passes_between_stay_flakes() {
        // Six lone failures on six pull-request branches among 120 runs; the trunk's passes
        // between them keep them apart, so flakiness (p = 0.05) explains them as before.
        let mut layout = String::new();
        for i in 0..120 {
            if i % 20 == 7 {
                layout.push_str(&format!("c{i}@{i}:F "));
            } else {
                layout.push_str(&format!("c{i}:. "));
            }
        }
        let ex = explain(&execs_on_lines(&layout), PENALTY, &[]);
        assert!(ex.intervals.is_empty(), "{:?}", ex.intervals);
    }

    #[test]
    fn a_branch_carrying_the_trunks_breakage_is_that_breakage_again() {
        // The trunk breaks on b1 and b2 (failure 7) and is fixed on f; later a feature branch
        // based on b1 fails the same way on a commit of its own.
        let layout = format!(
            "{}b1:3 b2:3 f:. {}s@1:3 {}",
            passes(10),
            passes(5),
            passes(5)
        );
        let mut list = execs_on_lines(&layout);
        for e in list.iter_mut().filter(|e| e.outcome == Outcome::Fail) {
            e.fingerprint = Some(7);
        }
        let ex = explain(&list, PENALTY, &[]);
        assert_eq!(ex.intervals.len(), 1, "{:?}", ex.intervals);
        let i = &ex.intervals[0];
        assert_eq!((i.first_commit, i.commits, i.executions), (10, 3, 3));
        assert_eq!(i.fixed_exec, Some(12));
        assert!(!ex.broken_now);
        // Failing another way, it is a breakage of its own: the newest one.
        let s = list
            .iter()
            .position(|e| e.line == Some(1))
            .expect("the branch's execution");
        list[s].fingerprint = Some(8);
        let ex = explain(&list, PENALTY, &[]);
        assert_eq!(ex.intervals.len(), 2, "{:?}", ex.intervals);
        assert_eq!(ex.intervals[1].first_commit, 18);
    }

    /// `list` with every failure failing the same way, `fp`.
    fn failing_as(mut list: Vec<Exec>, fp: u64) -> Vec<Exec> {
        for e in list.iter_mut().filter(|e| e.outcome == Outcome::Fail) {
            e.fingerprint = Some(fp);
        }
        list
    }

    #[test]
    fn a_new_tests_breakage_a_stale_branch_still_fails_after_the_fix_is_no_flake() {
        // A new test fails from its first commit on the trunk (c1..c4, a re-run of c3 too) and
        // on a pull request cut at c1 (p1, p2); the trunk fixes it on c5, and the pull
        // request, not rebased, fails the same way on p3. Eight failures in nine runs would be
        // flakiness at 89% (cheaper than an interval in a record this short); along the
        // branch's line it never passed: one breakage, whose fix is the trunk's.
        let layout = "c1:F p1@1:F c2:F c3:FF c4:F p2@1:F c5:. p3@1:F";
        let list = failing_as(execs_on_lines(layout), 7);
        let ex = explain(&list, PENALTY, &[]);
        assert_eq!(ex.intervals.len(), 1, "{:?}", ex.intervals);
        assert_eq!(ex.intervals[0].fixed_exec, Some(7));
        assert_eq!(ex.attempt_rate, 0.0);
        // Failures elsewhere (flakes on a, c and f) show flakiness: no breakage is carried on
        // that ground alone.
        let flaky = "a:F b:. c:F d:. e:. f:F g:. c1:F p1@1:F c5:. p3@1:F";
        let list = failing_as(execs_on_lines(flaky), 7);
        let ex = explain(&list, PENALTY, &[]);
        assert_eq!(ex.in_breakage.last(), Some(&false), "{:?}", ex.intervals);
        // Had the branch passed between the fix and p3, p3 would be a failure of its own.
        let layout = "c1:F p1@1:F c2:F c3:FF c4:F p2@1:F c5:. p3@1:. p4@1:F";
        let list = failing_as(execs_on_lines(layout), 7);
        let ex = explain(&list, PENALTY, &[]);
        assert_eq!(ex.in_breakage.last(), Some(&false), "{:?}", ex.intervals);
    }

    #[test]
    fn a_first_failure_the_way_another_leg_flakes_is_no_fresh_breakage() {
        let with_fp = |layout: &str, fp: u64| failing_as(execs(layout), fp);
        // A lone failure ending the series is a fresh breakage; failing the way another
        // variant flakes (fingerprint 7), it is not.
        let newest = with_fp(&format!("{}x:F", passes(20)), 7);
        assert!(explain(&newest, PENALTY, &[]).broken_now);
        let ex = explain_with(&newest, PENALTY, &[], &[3, 7]);
        assert!(
            !ex.broken_now && ex.intervals.is_empty(),
            "{:?}",
            ex.intervals
        );
        // The same at the window's start (the end of a breakage that began before it).
        let oldest = with_fp(&format!("x:F {}", passes(20)), 7);
        assert_eq!(explain(&oldest, PENALTY, &[]).intervals.len(), 1);
        assert!(
            explain_with(&oldest, PENALTY, &[], &[7])
                .intervals
                .is_empty()
        );
        // Another way of failing than the other leg's flakes is still a fresh breakage, and
        // so are three failures in a row (they outweigh the penalty by themselves).
        assert!(
            explain_with(
                &with_fp(&format!("{}x:F", passes(20)), 8),
                PENALTY,
                &[],
                &[7]
            )
            .broken_now
        );
        let twice = with_fp(&format!("{}x:F y:F z:F", passes(20)), 7);
        assert!(explain_with(&twice, PENALTY, &[], &[7]).broken_now);
    }

    #[test]
    fn a_commit_another_variant_was_broken_on_is_a_breakage_here_too() {
        // One lone failure among 5 runs reads as a flake, unless the other variant was broken
        // on that very commit.
        let layout = "a:. b:. c:F d:. e:.";
        let ex = explain(&execs(layout), PENALTY, &[]);
        assert!(ex.intervals.is_empty());
        let ex = explain(&execs(layout), PENALTY, &[1, 2]);
        assert_eq!(ex.intervals.len(), 1);
        assert_eq!(ex.intervals[0].fixed_exec, Some(3));
        assert_eq!(ex.attempt_rate, 0.0);
        // Only stretches wholly on those commits are forced: two failures in five runs are
        // flakiness (−3.37 against the interval's −4.6).
        let ex = explain(&execs("a:. b:. c:F d:F e:."), PENALTY, &[2]);
        assert!(ex.intervals.is_empty(), "{:?}", ex.intervals);
    }

    #[test]
    fn a_breakage_ending_at_the_windows_start_is_no_flake() {
        // The window starts on a breakage's last commit: one failure, then passes.
        let layout = format!("x:FF {}", passes(20));
        let ex = explain(&execs(&layout), PENALTY, &[]);
        assert_eq!(ex.intervals.len(), 1);
        assert_eq!(ex.intervals[0].fixed_exec, Some(2));
        // With a flake elsewhere it stays one more flake.
        let layout = format!("x:F {}y:F {}", passes(10), passes(10));
        assert!(explain(&execs(&layout), PENALTY, &[]).intervals.is_empty());
    }

    #[test]
    fn a_flake_beside_a_breakage_is_not_its_first_bad_commit_or_its_fix() {
        // Flakes (fingerprint 1) on c3 and c7; a breakage (fingerprint 2) on c11..c14; by
        // chance the test flaked on c10, just before, and on c15, the fixing commit.
        // The failures on c11..c14 with fingerprint 2, the others with 1: the breakage is
        // c11..c14, fixed by c15.
        let breakage_of = |n: u32, failing: &[u32]| {
            let mut list = execs(&one_run_per_commit(n, failing));
            for e in list.iter_mut().filter(|e| e.outcome == Outcome::Fail) {
                e.fingerprint = Some(if (11..=14).contains(&e.commit) { 2 } else { 1 });
            }
            let ex = explain(&list, PENALTY, &[]);
            assert_eq!(ex.intervals.len(), 1, "{:?}", ex.intervals);
            let i = &ex.intervals[0];
            assert_eq!((i.first_commit, i.last_commit), (11, 14), "{i:?}");
            assert_eq!(i.fixed_exec, Some(15));
            list
        };
        let mut list = breakage_of(20, &[3, 7, 10, 11, 12, 13, 14, 15]);
        // The same failures, all one fingerprint: nothing tells the ends apart.
        for e in list.iter_mut().filter(|e| e.outcome == Outcome::Fail) {
            e.fingerprint = Some(1);
        }
        let ex = explain(&list, PENALTY, &[]);
        assert_eq!(
            (ex.intervals[0].first_commit, ex.intervals[0].last_commit),
            (10, 15)
        );
        // A breakage whose first commit failed another way, never seen elsewhere, keeps it.
        for e in list.iter_mut().filter(|e| e.outcome == Outcome::Fail) {
            e.fingerprint = Some(match e.commit {
                10 => 3,
                11..=15 => 2,
                _ => 1,
            });
        }
        let ex = explain(&list, PENALTY, &[]);
        assert_eq!(ex.intervals[0].first_commit, 10, "{:?}", ex.intervals);
        // Two chance flakes in a row before it, and two after its fix (c15, c16): all four
        // left out, the fix still c15.
        breakage_of(24, &[3, 7, 9, 10, 11, 12, 13, 14, 15, 16]);
    }

    #[test]
    fn a_short_breakage_failing_a_new_way_is_told_from_the_tests_flakes() {
        // A test flaking (fingerprint 1) on c3, c9, c17, c24; failing two commits running on
        // c12 and c13.
        let layout = one_run_per_commit(30, &[3, 9, 12, 13, 17, 24]);
        let mut list = execs(&layout);
        let mark = |list: &mut Vec<Exec>, breakage: u64| {
            for e in list.iter_mut().filter(|e| e.outcome == Outcome::Fail) {
                e.fingerprint = Some(if (12..=13).contains(&e.commit) {
                    breakage
                } else {
                    1
                });
            }
        };
        // The same way as its flakes: two flakes in a row, by chance.
        mark(&mut list, 1);
        assert!(explain(&list, PENALTY, &[]).intervals.is_empty());
        // A way it never failed otherwise: a breakage of two commits.
        mark(&mut list, 2);
        let ex = explain(&list, PENALTY, &[]);
        assert_eq!(ex.intervals.len(), 1, "{:?}", ex.intervals);
        assert_eq!(
            (ex.intervals[0].first_commit, ex.intervals[0].fixed_exec),
            (12, Some(14))
        );
        // One failure a new way is not enough: a flake can fail a new way once.
        let layout = layout.replace("c13:F", "c13:.");
        let mut list = execs(&layout);
        mark(&mut list, 2);
        assert!(explain(&list, PENALTY, &[]).intervals.is_empty());
    }

    #[test]
    fn a_flaky_tests_chance_double_failure_has_no_echoes() {
        // A flaky test (lone failures every sixth commit) fails twice on commit x (a run and
        // its re-run), and later on two branches, all the same way: flakes, not a breakage
        // that the branches carried.
        let mut layout = String::new();
        for c in 0..40 {
            let o = match c {
                20 => "x:FF".to_string(),
                30 => "s@1:F".to_string(),
                35 => "t@2:F".to_string(),
                c if c % 6 == 3 => format!("c{c}:F"),
                c => format!("c{c}:."),
            };
            layout.push_str(&o);
            layout.push(' ');
        }
        let mut list = execs_on_lines(&layout);
        for e in list.iter_mut().filter(|e| e.outcome == Outcome::Fail) {
            e.fingerprint = Some(7);
        }
        let ex = explain(&list, PENALTY, &[]);
        assert!(
            ex.intervals.iter().all(|i| i.last_commit < 30),
            "{:?}",
            ex.intervals
        );
        assert!(ex.attempt_rate > 0.0);
    }
}

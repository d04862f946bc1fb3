//! The quality benchmark's scoring: a synthetic history's `truth.json` against the verdicts of
//! `testsift flaky --format json` on the same history, as precision and recall of `flaky` and of
//! `broken`, and the targets they must meet.
//!
//! Definitions (docs/analysis.md, "How good are the verdicts"):
//! - flaky precision = TP / (TP + FP), where the tests called `flaky` are TP when the truth says
//!   flaky (any flake rate) and FP otherwise;
//! - flaky recall = found / positives over the truly flaky tests with a flake rate of at least
//!   [`Targets::min_flake_rate`]; flaky tests below it are reported, not scored;
//! - broken: the tests called `broken` against the truly broken tests still failing in the last
//!   run (`end_run` null);
//! - broken called flaky: truly broken tests (still failing or fixed) called `flaky`;
//! - first bad commit: of the truly broken tests whose truth names their first bad commit, the
//!   share for which `testsift flaky` names the same commit (`breakage.first_bad.commit`, or the
//!   older `streak.first.commit`), whatever the verdict.
//!
//! Flaky recall counts only tests that failed at least once in the history: a test that never
//! failed cannot be told from a stable one.

use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use crate::error::{BenchError, Result};

/// What a test really does, as `truth.json` states it.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Each attempt fails with probability `rate`.
    Flaky { rate: f64 },
    /// Fails in runs `start..=end`; `end: None` = still failing in the last run.
    Broken {
        start: u32,
        end: Option<u32>,
        /// The commit that broke it, when the truth records one.
        first_bad_commit: Option<String>,
    },
}

/// One test of the truth: its id and what it does.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthTest {
    pub classname: String,
    pub name: String,
    pub kind: Kind,
    /// Runs where the test failed and passed on a retry, plus runs where it failed outright.
    pub runs_failing: u64,
}

/// The parts of `truth.json` the scoring needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    pub runs: u64,
    /// The report format of a realistic history (`synth --dialect`); `None` for the plain one.
    pub dialect: Option<String>,
    pub tests: Vec<TruthTest>,
}

/// One test's verdict from `testsift flaky --format json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Called {
    pub verdict: String,
    /// `flaky_executions`: failed or retried executions outside broken streaks.
    pub flaky_executions: u64,
    /// The first bad commit the verdict names, if any.
    pub first_bad_commit: Option<String>,
}

/// The verdicts by (classname, name).
pub type Verdicts = HashMap<(String, String), Called>;

/// The targets: flaky precision ≥ 0.97 and recall ≥ 0.95 for tests with a flake rate of at least
/// 0.05 that failed at least once, no broken test called flaky, broken recall ≥ 0.95 and the first
/// bad commit exact for ≥ 95% of broken tests.
#[derive(Debug, Clone, Copy)]
pub struct Targets {
    pub flaky_precision: f64,
    pub flaky_recall: f64,
    pub min_flake_rate: f64,
    pub broken_recall: f64,
    pub first_bad_commit: f64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            flaky_precision: 0.97,
            flaky_recall: 0.95,
            min_flake_rate: 0.05,
            broken_recall: 0.95,
            first_bad_commit: 0.95,
        }
    }
}

/// Counts of one history (or several, added up).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Tests called flaky that are truly flaky (any rate).
    pub flaky_tp: u64,
    /// Tests called flaky that are not truly flaky.
    pub flaky_fp: u64,
    /// Truly flaky tests with a rate of at least the target's, called flaky.
    pub flaky_found: u64,
    /// Truly flaky tests with a rate of at least the target's, not called flaky.
    pub flaky_fn: u64,
    /// Truly flaky tests below the target's rate, and how many of them were called flaky.
    pub flaky_low: u64,
    pub flaky_low_found: u64,
    /// Tests called broken that are truly broken in the last run.
    pub broken_tp: u64,
    /// Tests called broken that are not.
    pub broken_fp: u64,
    /// Truly broken tests in the last run not called broken.
    pub broken_fn: u64,
    /// Truly broken tests (still or fixed) called flaky.
    pub broken_called_flaky: u64,
    /// Broken tests fixed before the last run, and how many were called `fixed`.
    pub fixed: u64,
    pub fixed_found: u64,
    /// Flaky tests called flaky whose `flaky_executions` equals the truth's failing runs.
    pub exact_counts: u64,
    /// Truth tests that are missing from the verdicts (a naming mismatch).
    pub missing: u64,
    /// Truly broken tests whose truth names the first bad commit, and how many verdicts name the
    /// same one.
    pub first_bad: u64,
    pub first_bad_exact: u64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.flaky_tp += o.flaky_tp;
        self.flaky_fp += o.flaky_fp;
        self.flaky_found += o.flaky_found;
        self.flaky_fn += o.flaky_fn;
        self.flaky_low += o.flaky_low;
        self.flaky_low_found += o.flaky_low_found;
        self.broken_tp += o.broken_tp;
        self.broken_fp += o.broken_fp;
        self.broken_fn += o.broken_fn;
        self.broken_called_flaky += o.broken_called_flaky;
        self.fixed += o.fixed;
        self.fixed_found += o.fixed_found;
        self.exact_counts += o.exact_counts;
        self.missing += o.missing;
        self.first_bad += o.first_bad;
        self.first_bad_exact += o.first_bad_exact;
    }

    /// Share of broken tests whose first bad commit was named right.
    pub fn first_bad_accuracy(&self) -> Option<f64> {
        share(self.first_bad_exact, self.first_bad)
    }

    /// TP / (TP + FP); `None` when nothing was called flaky.
    pub fn flaky_precision(&self) -> Option<f64> {
        share(self.flaky_tp, self.flaky_tp + self.flaky_fp)
    }

    /// Found / positives; `None` when there are no positives.
    pub fn flaky_recall(&self) -> Option<f64> {
        share(self.flaky_found, self.flaky_found + self.flaky_fn)
    }

    pub fn broken_precision(&self) -> Option<f64> {
        share(self.broken_tp, self.broken_tp + self.broken_fp)
    }

    pub fn broken_recall(&self) -> Option<f64> {
        share(self.broken_tp, self.broken_tp + self.broken_fn)
    }

    /// The targets these counts miss, in words; empty when all are met. A history without any
    /// positive is a miss too: it cannot show the recall.
    pub fn misses(&self, targets: &Targets) -> Vec<String> {
        let mut misses = Vec::new();
        match self.flaky_precision() {
            Some(p) if p >= targets.flaky_precision => {}
            Some(p) => misses.push(format!(
                "flaky precision {p:.3} < {}",
                targets.flaky_precision
            )),
            None => misses.push("no test was called flaky".to_owned()),
        }
        match self.flaky_recall() {
            Some(r) if r >= targets.flaky_recall => {}
            Some(r) => misses.push(format!(
                "flaky recall {r:.3} < {} (flake rate >= {})",
                targets.flaky_recall, targets.min_flake_rate
            )),
            None => misses.push(format!(
                "no truly flaky test with a flake rate >= {}",
                targets.min_flake_rate
            )),
        }
        if self.broken_called_flaky > 0 {
            misses.push(format!(
                "{} broken test(s) called flaky",
                self.broken_called_flaky
            ));
        }
        if let Some(r) = self.broken_recall()
            && r < targets.broken_recall
        {
            misses.push(format!("broken recall {r:.3} < {}", targets.broken_recall));
        }
        if let Some(a) = self.first_bad_accuracy()
            && a < targets.first_bad_commit
        {
            misses.push(format!(
                "first bad commit exact {a:.3} < {}",
                targets.first_bad_commit
            ));
        }
        if self.missing > 0 {
            misses.push(format!(
                "{} truth test(s) missing from the verdicts",
                self.missing
            ));
        }
        misses
    }
}

fn share(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Reads and parses a JSON file, naming it in every error.
pub fn read_json(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).map_err(|e| BenchError::io("cannot read", path, &e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| BenchError::new(format!("{}: invalid JSON: {e}", path.display())))
}

fn field<'a>(v: &'a Value, key: &str, at: &str) -> Result<&'a Value> {
    v.get(key)
        .ok_or_else(|| BenchError::new(format!("{at}: missing \"{key}\"")))
}

fn text(v: &Value, key: &str, at: &str) -> Result<String> {
    field(v, key, at)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| BenchError::new(format!("{at}: \"{key}\" is not a string")))
}

fn uint(v: &Value, key: &str, at: &str) -> Result<u64> {
    field(v, key, at)?
        .as_u64()
        .ok_or_else(|| BenchError::new(format!("{at}: \"{key}\" is not a whole number")))
}

/// The flaky and broken tests of a `truth.json` document; `file` names it in errors.
pub fn parse_truth(doc: &Value, file: &str) -> Result<Truth> {
    let runs = uint(doc, "runs", file)?;
    let dialect = doc
        .get("dialect")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let list = field(doc, "behaviours", file)?
        .as_array()
        .ok_or_else(|| BenchError::new(format!("{file}: \"behaviours\" is not an array")))?;
    let mut tests = Vec::new();
    for (i, b) in list.iter().enumerate() {
        let at = format!("{file}: behaviours[{i}]");
        let kind = match text(b, "kind", &at)?.as_str() {
            "flaky" => Kind::Flaky {
                rate: field(b, "flake_rate", &at)?.as_f64().ok_or_else(|| {
                    BenchError::new(format!("{at}: \"flake_rate\" is not a number"))
                })?,
            },
            "broken" => {
                let end = field(b, "end_run", &at)?;
                Kind::Broken {
                    first_bad_commit: b
                        .get("first_bad_commit")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    start: u32::try_from(uint(b, "start_run", &at)?).map_err(|_| {
                        BenchError::new(format!("{at}: \"start_run\" is out of range"))
                    })?,
                    end: if end.is_null() {
                        None
                    } else {
                        Some(
                            end.as_u64()
                                .and_then(|e| u32::try_from(e).ok())
                                .ok_or_else(|| {
                                    BenchError::new(format!(
                                        "{at}: \"end_run\" is neither null nor a run number"
                                    ))
                                })?,
                        )
                    },
                }
            }
            // Skipped and slow tests are not what this benchmark scores.
            _ => continue,
        };
        let runs_failing = match kind {
            Kind::Flaky { .. } => uint(b, "runs_flaky", &at)? + uint(b, "runs_failed", &at)?,
            Kind::Broken { .. } => uint(b, "runs_failed", &at)?,
        };
        tests.push(TruthTest {
            classname: text(b, "classname", &at)?,
            name: text(b, "name", &at)?,
            kind,
            runs_failing,
        });
    }
    Ok(Truth {
        runs,
        dialect,
        tests,
    })
}

/// The verdicts of a `testsift flaky --format json` document; `file` names it in errors.
pub fn parse_verdicts(doc: &Value, file: &str) -> Result<Verdicts> {
    let version = uint(doc, "schema_version", file)?;
    if version != 1 {
        return Err(BenchError::new(format!(
            "{file}: schema_version {version}, this tool reads version 1"
        )));
    }
    let list = field(doc, "tests", file)?
        .as_array()
        .ok_or_else(|| BenchError::new(format!("{file}: \"tests\" is not an array")))?;
    let mut verdicts = Verdicts::new();
    for (i, t) in list.iter().enumerate() {
        let at = format!("{file}: tests[{i}]");
        let key = (text(t, "classname", &at)?, text(t, "name", &at)?);
        let commit_of = |path: [&str; 3]| {
            t.get(path[0])
                .and_then(|v| v.get(path[1]))
                .and_then(|v| v.get(path[2]))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let called = Called {
            verdict: text(t, "verdict", &at)?,
            flaky_executions: uint(t, "flaky_executions", &at)?,
            first_bad_commit: commit_of(["breakage", "first_bad", "commit"])
                .or_else(|| commit_of(["streak", "first", "commit"])),
        };
        if verdicts.insert(key.clone(), called).is_some() {
            return Err(BenchError::new(format!(
                "{at}: {}::{} appears twice (several variants are not supported here)",
                key.0, key.1
            )));
        }
    }
    Ok(verdicts)
}

/// The counts of one history. `misses` collects a line per wrong call, for the report.
pub fn score(
    truth: &Truth,
    verdicts: &Verdicts,
    targets: &Targets,
    misses: &mut Vec<String>,
) -> Counts {
    let mut c = Counts::default();
    let mut truly_flaky = std::collections::HashSet::new();
    for t in &truth.tests {
        let key = (t.classname.clone(), t.name.clone());
        let called = verdicts.get(&key);
        if called.is_none() {
            c.missing += 1;
            misses.push(format!("missing: {}::{}", t.classname, t.name));
        }
        let verdict = called.map_or("", |v| v.verdict.as_str());
        match t.kind {
            Kind::Flaky { rate } => {
                truly_flaky.insert(key);
                let found = verdict == "flaky";
                if found && called.is_some_and(|v| v.flaky_executions == t.runs_failing) {
                    c.exact_counts += 1;
                }
                if rate >= targets.min_flake_rate && t.runs_failing > 0 {
                    if found {
                        c.flaky_found += 1;
                    } else {
                        c.flaky_fn += 1;
                        misses.push(format!(
                            "flaky (rate {rate:.4}, failing in {} runs) called {verdict}: {}::{}",
                            t.runs_failing, t.classname, t.name
                        ));
                    }
                } else {
                    c.flaky_low += 1;
                    c.flaky_low_found += u64::from(found);
                }
            }
            Kind::Broken {
                start,
                end,
                ref first_bad_commit,
            } => {
                if verdict == "flaky" {
                    c.broken_called_flaky += 1;
                    misses.push(format!(
                        "broken (runs {start}..) called flaky: {}::{}",
                        t.classname, t.name
                    ));
                }
                if let Some(commit) = first_bad_commit {
                    c.first_bad += 1;
                    let named = called.and_then(|v| v.first_bad_commit.as_ref());
                    if named == Some(commit) {
                        c.first_bad_exact += 1;
                    } else {
                        misses.push(format!(
                            "first bad commit {} named {}: {}::{}",
                            &commit[..commit.len().min(12)],
                            named.map_or("none", |n| &n[..n.len().min(12)]),
                            t.classname,
                            t.name
                        ));
                    }
                }
                match end {
                    None => {
                        if verdict != "broken" {
                            c.broken_fn += 1;
                        }
                    }
                    Some(_) => {
                        c.fixed += 1;
                        c.fixed_found += u64::from(verdict == "fixed");
                    }
                }
                let expected = if end.is_none() { "broken" } else { "fixed" };
                if verdict != expected {
                    let end = end.map_or_else(|| "the last run".to_owned(), |e| e.to_string());
                    misses.push(format!(
                        "broken in runs {start}..{end} called {verdict}: {}::{}",
                        t.classname, t.name
                    ));
                }
            }
        }
    }
    let truly_broken: std::collections::HashSet<(String, String)> = truth
        .tests
        .iter()
        .filter(|t| matches!(t.kind, Kind::Broken { .. }))
        .map(|t| (t.classname.clone(), t.name.clone()))
        .collect();
    let still_broken: std::collections::HashSet<(&str, &str)> = truth
        .tests
        .iter()
        .filter(|t| matches!(t.kind, Kind::Broken { end: None, .. }))
        .map(|t| (t.classname.as_str(), t.name.as_str()))
        .collect();
    let mut called: Vec<(&(String, String), &Called)> = verdicts.iter().collect();
    called.sort_by(|a, b| a.0.cmp(b.0));
    for (key, v) in called {
        match v.verdict.as_str() {
            "flaky" if truly_flaky.contains(key) => c.flaky_tp += 1,
            "flaky" => {
                c.flaky_fp += 1;
                misses.push(format!("called flaky, truly not: {}::{}", key.0, key.1));
            }
            "broken" if still_broken.contains(&(key.0.as_str(), key.1.as_str())) => {
                c.broken_tp += 1;
            }
            "broken" => {
                c.broken_fp += 1;
                misses.push(format!(
                    "called broken, truly not broken now: {}::{}",
                    key.0, key.1
                ));
            }
            // Not scored (the truth lists no stable tests), but a breakage the test never had.
            "fixed" if !truly_broken.contains(key) && !truly_flaky.contains(key) => {
                misses.push(format!(
                    "called fixed, truly never broken: {}::{}",
                    key.0, key.1
                ));
            }
            _ => {}
        }
    }
    c
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}"))
}

/// The header of the Markdown table [`row`] writes.
pub fn header() -> String {
    "| history | flaky precision (TP/FP) | flaky recall, rate ≥ 0.05 (found/missed) | flaky found, rate < 0.05 | broken precision (TP/FP) | broken recall (missed) | broken called flaky | fixed called fixed | first bad commit exact | exact flaky counts |\n\
     |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        .to_owned()
}

/// One Markdown table row for `label`.
pub fn row(label: &str, c: &Counts) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "| {label} | {} ({}/{}) | {} ({}/{}) | {}/{} | {} ({}/{}) | {} ({}) | {} | {}/{} | {} ({}/{}) | {}/{} |",
        pct(c.flaky_precision()),
        c.flaky_tp,
        c.flaky_fp,
        pct(c.flaky_recall()),
        c.flaky_found,
        c.flaky_fn,
        c.flaky_low_found,
        c.flaky_low,
        pct(c.broken_precision()),
        c.broken_tp,
        c.broken_fp,
        pct(c.broken_recall()),
        c.broken_fn,
        c.broken_called_flaky,
        c.fixed_found,
        c.fixed,
        pct(c.first_bad_accuracy()),
        c.first_bad_exact,
        c.first_bad,
        c.exact_counts,
        c.flaky_tp,
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn truth() -> Truth {
        let doc = json!({
            "runs": 200,
            "behaviours": [
                {"classname": "a.A", "name": "f1", "kind": "flaky", "flake_rate": 0.2,
                 "retries": 0, "runs_flaky": 0, "runs_failed": 40},
                {"classname": "a.A", "name": "f2", "kind": "flaky", "flake_rate": 0.06,
                 "retries": 2, "runs_flaky": 11, "runs_failed": 0},
                {"classname": "a.A", "name": "low", "kind": "flaky", "flake_rate": 0.01,
                 "retries": 0, "runs_flaky": 0, "runs_failed": 2},
                {"classname": "a.A", "name": "b1", "kind": "broken", "start_run": 150,
                 "end_run": null, "retries": 0, "runs_failed": 51},
                {"classname": "a.A", "name": "b2", "kind": "broken", "start_run": 10,
                 "end_run": 20, "retries": 0, "runs_failed": 11},
                {"classname": "a.A", "name": "s", "kind": "skipped"},
                {"classname": "a.A", "name": "slow", "kind": "slow", "median_seconds": 2.0}
            ]
        });
        parse_truth(&doc, "truth.json").expect("valid truth")
    }

    fn verdicts(calls: &[(&str, &str, u64)]) -> Verdicts {
        calls
            .iter()
            .map(|&(name, verdict, n)| {
                (
                    ("a.A".to_owned(), name.to_owned()),
                    Called {
                        verdict: verdict.to_owned(),
                        flaky_executions: n,
                        first_bad_commit: None,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn all_right_meets_every_target() {
        let v = verdicts(&[
            ("f1", "flaky", 40),
            ("f2", "flaky", 10),
            ("low", "stable", 0),
            ("b1", "broken", 0),
            ("b2", "fixed", 0),
            ("s", "insufficient-data", 0),
            ("other", "stable", 0),
        ]);
        let mut lines = Vec::new();
        let c = score(&truth(), &v, &Targets::default(), &mut lines);
        assert_eq!(
            (c.flaky_tp, c.flaky_fp, c.flaky_found, c.flaky_fn),
            (2, 0, 2, 0)
        );
        assert_eq!((c.flaky_low, c.flaky_low_found), (1, 0));
        assert_eq!((c.broken_tp, c.broken_fp, c.broken_fn), (1, 0, 0));
        assert_eq!((c.fixed, c.fixed_found, c.exact_counts), (1, 1, 1));
        assert!(c.misses(&Targets::default()).is_empty());
        assert!(lines.is_empty(), "{lines:?}");
    }

    #[test]
    fn wrong_calls_are_counted_and_miss_targets() {
        let v = verdicts(&[
            ("f1", "broken", 0),
            ("f2", "flaky", 11),
            ("low", "flaky", 2),
            ("b1", "flaky", 51),
            ("other", "flaky", 1),
            ("outage", "fixed", 0),
        ]);
        let mut lines = Vec::new();
        let c = score(&truth(), &v, &Targets::default(), &mut lines);
        // Called flaky: f2, low (true), b1, other (false).
        assert_eq!((c.flaky_tp, c.flaky_fp), (2, 2));
        assert_eq!((c.flaky_found, c.flaky_fn, c.flaky_low_found), (1, 1, 1));
        assert_eq!((c.broken_tp, c.broken_fp, c.broken_fn), (0, 1, 1));
        assert_eq!(c.broken_called_flaky, 1);
        assert_eq!(c.missing, 1);
        assert_eq!(c.flaky_precision(), Some(0.5));
        assert_eq!(c.flaky_recall(), Some(0.5));
        let misses = c.misses(&Targets::default());
        assert_eq!(misses.len(), 5, "{misses:?}");
        assert!(misses[3].contains("broken recall 0.000"));
        assert!(misses[2].contains("1 broken test(s) called flaky"));
        assert!(lines.iter().any(|l| l == "missing: a.A::b2"));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("called flaky, truly not: a.A::other"))
        );
        // A stable test given a breakage it never had is listed, not scored.
        assert!(
            lines
                .iter()
                .any(|l| l == "called fixed, truly never broken: a.A::outage")
        );
    }

    #[test]
    fn bad_documents_name_the_place() {
        let doc = json!({"runs": 3, "behaviours": [{"classname": "a", "kind": "flaky"}]});
        let err = parse_truth(&doc, "t.json").err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("t.json: behaviours[0]: missing \"flake_rate\"")
        );
        let doc = json!({"schema_version": 2, "tests": []});
        assert!(parse_verdicts(&doc, "f.json").is_err());
        let doc = json!({"schema_version": 1, "tests": [{"classname": "a", "name": "b"}]});
        let err = parse_verdicts(&doc, "f.json").err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("f.json: tests[0]: missing \"verdict\"")
        );
    }
}

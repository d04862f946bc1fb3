//! Writes a selection in each runner's own syntax. Every name comes from a report anyone can
//! write, so each format quotes or escapes it; a name a format cannot express exactly is left
//! out with a warning (printed on stderr), never approximated by a pattern that could catch
//! other tests. Each runner's syntax, and how to pass the output: docs/select.md.

pub(crate) mod go;
pub(crate) mod gradle;
pub(crate) mod jest;
pub(crate) mod maven;
pub(crate) mod nextest;
pub(crate) mod pytest;

use super::Selected;
use super::history::TestHistory;
use crate::report::escape::is_unsafe_char;
use serde::Serialize;
use std::path::PathBuf;

/// What the output is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Runner {
    /// `pytest @FILE`: one `--testsift-deselect=NODEID` per line; for priority, node ids for
    /// `pytest --testsift-order=FILE` (the conftest.py in docs/select.md).
    Pytest,
    /// `cargo nextest run -E "$(cat FILE)"`: a filterset.
    Nextest,
    /// `mvn test -Dsurefire.excludesFile=FILE`: one `Class#method` per line.
    Maven,
    /// `gradle test --init-script FILE`: an init script with `excludeTestsMatching`.
    Gradle,
    /// `jest --testNamePattern="$(cat FILE)"`: a regular expression.
    Jest,
    /// `go test -skip "$(cat FILE)"`: a regular expression.
    Go,
    /// One test id per line.
    Plain,
    /// The selection with reasons, rates and evidence, versioned by `schema_version`.
    Json,
}

crate::choice::choices!(Runner {
    Pytest => "pytest": "`pytest @FILE`: one `--testsift-deselect=NODEID` per line (priority: node ids for `--testsift-order=FILE`); needs the conftest.py in docs/select.md",
    Nextest => "nextest": "`cargo nextest run -E \"$(cat FILE)\"`: a filterset",
    Maven => "maven": "`mvn test -Dsurefire.excludesFile=FILE`: one `Class#method` per line",
    Gradle => "gradle": "`gradle test --init-script FILE`: an init script with `excludeTestsMatching`",
    Jest => "jest": "`jest --testNamePattern=\"$(cat FILE)\"`: a regular expression",
    Go => "go": "`go test -skip \"$(cat FILE)\"`: a regular expression",
    Plain => "plain": "One test id per line",
    Json => "json": "The selection with reasons, rates and evidence, versioned by `schema_version`",
});

/// A test as the runner formats see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Target {
    pub(crate) test_id: String,
    pub(crate) classname: String,
    pub(crate) name: String,
    pub(crate) suite: String,
    pub(crate) file: Option<String>,
    /// Not run in the window's newest [`crate::select::STALE_RUNS`] runs (only known of the
    /// window's tests, `all`): nextest refuses a filter that names a test binary it does not
    /// build, so a binary none of whose tests ran lately is left out of its filter.
    pub(crate) stale: bool,
}

impl From<&TestHistory> for Target {
    fn from(t: &TestHistory) -> Target {
        Target {
            test_id: t.test_id.clone(),
            classname: t.classname.clone(),
            name: t.name.clone(),
            suite: t.suite.clone(),
            file: t.file.clone(),
            stale: false,
        }
    }
}

impl From<&Selected> for Target {
    fn from(t: &Selected) -> Target {
        Target {
            test_id: t.test_id.clone(),
            classname: t.classname.clone(),
            name: t.name.clone(),
            suite: t.suite.clone(),
            file: t.file.clone(),
            stale: false,
        }
    }
}

/// What a runner format produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Emitted {
    /// The file form: what `--out` writes and stdout shows.
    pub(crate) text: String,
    /// The same as command-line arguments, for `--shell`; none where the runner takes the
    /// selection only as a file.
    pub(crate) args: Option<Vec<String>>,
    /// Tests left out or caught beyond the selection, one sentence each.
    pub(crate) warnings: Vec<String>,
    /// Selected tests the format could not express, so left out.
    pub(crate) left_out: usize,
}

/// Settings some formats need.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    /// The directory pytest node ids are relative to (its rootdir), to tell which part of a
    /// dotted classname is the file.
    pub(crate) root: PathBuf,
    /// The test binaries nextest builds now (`--nextest-binaries`), when given.
    pub(crate) nextest_binaries: Option<std::collections::HashSet<String>>,
}

/// Writes an exclusion of `targets` for `runner`; `all` is every test in the window; `purpose`
/// says what the list is for, which matters where skipping a test skips others (Go's
/// subtests). JSON is written by [`render`] from the whole selection and never reaches here.
fn exclude(
    runner: Runner,
    targets: &[Target],
    all: &[Target],
    purpose: go::Purpose,
    ctx: &Context,
) -> Emitted {
    if matches!(runner, Runner::Plain | Runner::Json) {
        return plain(targets.iter().map(|t| t.test_id.as_str()));
    }
    // A name cut when it was read (over `junit::TEXT_MAX`) is no longer the runner's name for
    // the test: a pattern written from it would match nothing, or something else.
    let (cut, kept): (Vec<&Target>, Vec<&Target>) = targets.iter().partition(|t| {
        [t.name.as_str(), t.classname.as_str()]
            .iter()
            .any(|s| was_cut(s))
    });
    let kept: Vec<Target> = kept.into_iter().cloned().collect();
    let mut out = match runner {
        Runner::Pytest => pytest::deselect(&kept, ctx),
        Runner::Nextest => nextest::exclude(&kept, all, ctx.nextest_binaries.as_ref()),
        Runner::Maven => maven::exclude(&kept),
        Runner::Gradle => gradle::exclude(&kept),
        Runner::Jest => jest::exclude(&kept, all),
        Runner::Go => go::skip(&kept, all, purpose),
        Runner::Plain | Runner::Json => plain(kept.iter().map(|t| t.test_id.as_str())),
    };
    for t in cut {
        out.left_out += 1;
        out.warnings.push(format!(
            "{}: its name was longer than the {} bytes a report keeps and was cut when read, \
             so no pattern can name it; left out",
            show(&t.test_id),
            crate::junit::TEXT_MAX
        ));
    }
    out
}

/// Whether `s` is a value the reader cut: it ends in `junit::CUT_MARK` and 16 hexadecimal
/// digits.
fn was_cut(s: &str) -> bool {
    s.rsplit_once(crate::junit::CUT_MARK)
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A selection the chosen output cannot take.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RenderError {
    #[error(
        "{kind} is an order, and {runner} takes no order from a list; use --runner plain, json or pytest (for the conftest.py in docs/select.md), or --top N to run the N likeliest tests first as a stage of their own"
    )]
    NoOrder { kind: &'static str, runner: String },
    #[error("shards for {runner} are written one at a time: pass --shard I (1 to {count})")]
    NeedShard { runner: String, count: usize },
    #[error("--shard {shard} is out of range: there are {count} shards")]
    ShardRange { shard: usize, count: usize },
    #[error("--shard needs `select shards`")]
    ShardWithoutShards,
    #[error("{runner} takes the selection only as a file: drop --shell (and write it with --out)")]
    NoShell { runner: String },
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

fn runner_name(runner: Runner) -> String {
    use crate::choice::Choice;
    runner.name().to_string()
}

/// Renders `selection` for `runner`. For shards, `shard` (1-based) picks the shard to run:
/// plain lists its tests, a runner format excludes every other shard's tests.
pub(crate) fn render(
    selection: &super::Selection,
    all: &[Target],
    runner: Runner,
    shard: Option<usize>,
    shell: bool,
    ctx: &Context,
) -> Result<Emitted, RenderError> {
    use super::Kind;
    let name = runner_name(runner);
    let count = selection.shards.as_ref().map_or(0, |p| p.count);
    match (selection.kind, shard) {
        (Kind::Shards, Some(s)) if s == 0 || s > count => {
            return Err(RenderError::ShardRange { shard: s, count });
        }
        (Kind::Shards, _) => {}
        (_, Some(_)) => return Err(RenderError::ShardWithoutShards),
        _ => {}
    }
    if shell && matches!(runner, Runner::Plain | Runner::Json | Runner::Gradle) {
        return Err(RenderError::NoShell { runner: name });
    }
    let emitted = match (runner, selection.kind, shard) {
        (Runner::Json, ..) => Emitted {
            text: json_text(&serde_json::to_string_pretty(selection)?) + "\n",
            ..Emitted::default()
        },
        (Runner::Plain, Kind::Shards, None) => {
            let mut out = Emitted::default();
            if let Some(plan) = &selection.shards {
                for s in &plan.shards {
                    out.text.push_str(&format!(
                        "# shard {}/{}: {:.3} s predicted, {} tests\n",
                        s.shard, plan.count, s.predicted_seconds, s.tests
                    ));
                    let ids = selection
                        .tests
                        .iter()
                        .filter(|t| t.shard == Some(s.shard))
                        .map(|t| t.test_id.as_str());
                    let part = plain(ids);
                    out.text.push_str(&part.text);
                    out.warnings.extend(part.warnings);
                    out.left_out += part.left_out;
                }
            }
            out
        }
        (Runner::Plain, Kind::Shards, Some(i)) => plain(
            selection
                .tests
                .iter()
                .filter(|t| t.shard == Some(i))
                .map(|t| t.test_id.as_str()),
        ),
        (Runner::Plain, ..) => plain(selection.tests.iter().map(|t| t.test_id.as_str())),
        // The N likeliest run: every other test of the window is excluded.
        (_, Kind::Priority, _) if selection.top.is_some() => exclude(
            runner,
            &all_but(selection, all),
            all,
            go::Purpose::Stage,
            ctx,
        ),
        (Runner::Pytest, Kind::Priority, _) => {
            let targets: Vec<Target> = selection.tests.iter().map(Target::from).collect();
            pytest::order(&targets, ctx)
        }
        (_, Kind::Priority, _) => {
            return Err(RenderError::NoOrder {
                kind: "priority",
                runner: name,
            });
        }
        (_, Kind::Shards, None) => {
            return Err(RenderError::NeedShard {
                runner: name,
                count,
            });
        }
        (_, Kind::Shards, Some(i)) => {
            let others: Vec<Target> = selection
                .tests
                .iter()
                .filter(|t| t.shard != Some(i))
                .map(Target::from)
                .collect();
            exclude(runner, &others, all, go::Purpose::Stage, ctx)
        }
        // Only the selected run: every other test of the window is excluded.
        (_, Kind::Quarantine | Kind::Skip, _) if selection.only => exclude(
            runner,
            &all_but(selection, all),
            all,
            go::Purpose::Stage,
            ctx,
        ),
        (_, Kind::Quarantine | Kind::Skip, _) => {
            let targets: Vec<Target> = selection.tests.iter().map(Target::from).collect();
            let purpose = if selection.kind == Kind::Skip {
                go::Purpose::Skip
            } else {
                go::Purpose::Quarantine
            };
            exclude(runner, &targets, all, purpose, ctx)
        }
    };
    let mut emitted = emitted;
    // Linux takes at most 128 KiB in one argument (MAX_ARG_STRLEN): a longer pattern cannot
    // be passed as `"$(cat FILE)"`, and the runner's command fails with "Argument list too
    // long".
    const MAX_ARG: usize = 128 * 1024;
    if matches!(runner, Runner::Jest | Runner::Go | Runner::Nextest)
        && let Some(longest) = emitted
            .args
            .as_ref()
            .and_then(|a| a.iter().map(String::len).max())
            .filter(|&n| n >= MAX_ARG)
    {
        emitted.warnings.push(format!(
            "the {name} pattern is {} KiB, over the 128 KiB one command-line argument may \
             hold on Linux: passed as one argument it fails with \"Argument list too long\"; \
             select fewer tests (--top N, --budget TIME) or split the list",
            longest.div_ceil(1024)
        ));
    }
    if shell {
        return match &emitted.args {
            Some(args) => Ok(Emitted {
                text: if args.is_empty() {
                    String::new()
                } else {
                    shell_line(args)
                },
                ..emitted
            }),
            None => Err(RenderError::NoShell { runner: name }),
        };
    }
    Ok(emitted)
}

/// The window's tests the selection does not hold: what a list that runs only the selected
/// tests excludes.
fn all_but(selection: &super::Selection, all: &[Target]) -> Vec<Target> {
    let kept: std::collections::HashSet<&str> =
        selection.tests.iter().map(|t| t.test_id.as_str()).collect();
    all.iter()
        .filter(|t| !kept.contains(t.test_id.as_str()))
        .cloned()
        .collect()
}

/// The summary for stderr: what was selected, what was left out, and for shards the predicted
/// times and the comparison with the current split.
pub(crate) fn notes(selection: &super::Selection, emitted: &Emitted) -> Vec<String> {
    use super::Kind;
    use super::shards::Unit;
    use crate::analysis::SplitBy;
    let secs = |xs: &mut dyn Iterator<Item = f64>| {
        xs.map(|x| format!("{x:.3} s"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut lines = Vec::new();
    if let Some(why) = &selection.no_data {
        lines.push(format!(
            "note: {why}; the selection is empty, so every test runs"
        ));
        return lines;
    }
    if let Some(cut) = &selection.skip_cut {
        let p = &cut.replayed;
        lines.push(if p.failure_runs == 0 {
            format!(
                "no failure run after the first {} to replay a skip list against: trim's cut (--saving-share {:.0}%) is used",
                p.train_runs,
                100.0 * cut.saving_share
            )
        } else if cut.saving_share > 0.0 {
            format!(
                "skip list chosen at --saving-share {:.0}%: replayed over the {} runs after the first {}, it missed {} of {} failure runs ({:.1}%, bound --max-miss {:.1}%) and saved {:.1}% of the test time",
                100.0 * cut.saving_share,
                p.runs_replayed,
                p.train_runs,
                p.missed_runs,
                p.failure_runs,
                100.0 * p.miss_rate,
                100.0 * cut.max_miss,
                100.0 * p.saved_share
            )
        } else {
            format!(
                "no skip list stayed within --max-miss {:.1}% when replayed over the {} runs after the first {}: nothing is skipped",
                100.0 * cut.max_miss,
                p.runs_replayed,
                p.train_runs
            )
        });
    }
    match (&selection.shards, selection.kind) {
        (Some(plan), _) => {
            lines.push(format!(
                "{} shards by {}: {} predicted; imbalance {:.1}%",
                plan.count,
                match plan.by {
                    Unit::Test => "test",
                    Unit::Class => "class",
                },
                secs(&mut plan.shards.iter().map(|s| s.predicted_seconds)),
                100.0 * plan.imbalance
            ));
            if plan.unknown_duration_tests > 0 {
                lines.push(format!(
                    "{} without a known duration counted as {:.3} s each",
                    crate::export::format::count(plan.unknown_duration_tests, "test"),
                    plan.assumed_seconds
                ));
            }
            match (&plan.current, &plan.no_current) {
                (Some(c), _) => lines.push(format!(
                    "current split of run {} by {} ({}): {} measured; imbalance {:.1}% measured, {:.1}% predicted",
                    show(&c.run),
                    match c.by {
                        SplitBy::Variant => "variant",
                        SplitBy::Report => "report file",
                    },
                    c.parts
                        .iter()
                        .map(|p| show(&p.name))
                        .collect::<Vec<_>>()
                        .join(", "),
                    secs(&mut c.parts.iter().map(|p| p.seconds)),
                    100.0 * c.imbalance,
                    100.0 * c.predicted_imbalance
                )),
                (None, why) => lines.push(format!(
                    "no current split to compare with: {}",
                    why.as_deref().unwrap_or("none found")
                )),
            }
        }
        (None, Kind::Quarantine | Kind::Skip) => lines.push(format!(
            "{} of {} tests selected to {} over {} runs{}{}",
            selection.tests.len(),
            selection.known_tests,
            if selection.kind == Kind::Skip {
                "skip"
            } else {
                "quarantine"
            },
            selection.runs,
            if selection.only {
                format!(
                    "; --only: the list runs just these, excluding the other {}",
                    selection.known_tests.saturating_sub(selection.tests.len())
                )
            } else {
                String::new()
            },
            match emitted.left_out {
                0 => String::new(),
                n => format!("; {n} left out of the output (see the warnings)"),
            }
        )),
        (None, Kind::Priority) => {
            // How many tests each reason put where, in the order's reasons as they first come.
            let mut reasons: Vec<(&str, usize)> = Vec::new();
            for t in &selection.tests {
                match reasons.iter_mut().find(|(r, _)| *r == t.reason) {
                    Some((_, n)) => *n += 1,
                    None => reasons.push((&t.reason, 1)),
                }
            }
            // With --top or --budget the stage has its own line.
            if selection.top.is_some() {
                return lines;
            }
            let head = format!("{} tests in order", selection.tests.len());
            let first = selection.tests.first().map_or(String::new(), |t| {
                format!(
                    "; first: {}{}",
                    show(&t.test_id),
                    t.score
                        .map_or(String::new(), |s| format!(" (chance {s:.2})"))
                )
            });
            lines.push(format!(
                "{head} over {} runs, the likeliest to fail first (by reason: {}){first}{}",
                selection.runs,
                reasons
                    .iter()
                    .map(|(r, n)| format!("{r} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                match emitted.left_out {
                    0 => String::new(),
                    n => format!("; {n} left out of the output (see the warnings)"),
                }
            ));
        }
        (None, Kind::Shards) => {}
    }
    if selection.not_run_lately > 0 {
        lines.push(format!(
            "{} of the quarantined tests did not run in the newest {} runs or more: their \
             verdicts cannot change until they run again (`select quarantine --only` writes the \
             list that runs just them, for a step that does not gate: docs/ci.md)",
            selection.not_run_lately,
            crate::select::STALE_RUNS
        ));
    }
    lines
}

/// One id per line. An id with a line break cannot be written that way, and one with another
/// control character or a bidirectional override would reach the terminal or the script that
/// reads the list as itself, where an escaped form would be another id: both are left out.
pub(crate) fn plain<'a>(ids: impl Iterator<Item = &'a str>) -> Emitted {
    let mut out = Emitted::default();
    for id in ids {
        if id.contains(['\n', '\r']) {
            out.left_out += 1;
            out.warnings
                .push(format!("{}: has a line break; left out", show(id)));
        } else if id.chars().any(is_unsafe_char) {
            out.left_out += 1;
            out.warnings
                .push(format!("{}: has a control character; left out", show(id)));
        } else if id.trim_start().starts_with("::") || id.contains("##[") {
            // As a line of a CI log it would be a workflow command (`::add-mask::`, `##[...]`).
            out.left_out += 1;
            out.warnings.push(format!(
                "{}: reads as a CI workflow command on a line of its own; left out",
                show(id)
            ));
        } else {
            out.text.push_str(id);
            out.text.push('\n');
        }
    }
    out
}

/// JSON text with every character of [`is_unsafe_char`] written as a `\uXXXX` escape: serde_json
/// escapes only C0 controls, and leaves DEL, C1 controls and bidirectional overrides raw.
/// Outside strings pretty JSON has only ASCII punctuation, spaces and newlines, so the newlines
/// stay and every other such character is inside a string, where the escape means the same.
pub(crate) fn json_text(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c != '\n' && is_unsafe_char(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// A name for a warning: quoted, control characters escaped, long names shortened.
/// A CI's `##[command]` (see [`crate::report::escape::terminal`]) has its `[` written `\x5b`.
pub(crate) fn show(s: &str) -> String {
    const MAX: usize = 120;
    let shown = if s.chars().count() > MAX {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}... ({} bytes)", s.len())
    } else {
        format!("{s:?}")
    };
    shown.replace("##[", "##\\x5b")
}

/// Quotes a word for a POSIX shell: bare when only safe characters, else in single quotes.
pub(crate) fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The arguments as one shell command line, one argument per line.
pub(crate) fn shell_line(args: &[String]) -> String {
    let words: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
    let mut s = words.join(" \\\n  ");
    s.push('\n');
    s
}

/// Is `s` a Java identifier, or a dotted sequence of them (`$` for nested classes included)?
pub(crate) fn java_name(s: &str, dotted: bool) -> bool {
    (dotted || !s.contains('.'))
        && s.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        })
}

#[cfg(test)]
pub(crate) mod hostile {
    //! Names a report from a fork can carry, for every format's tests.
    pub(crate) fn names() -> Vec<String> {
        vec![
            "<script>alert(1)</script>".into(),
            "x\" onload=\"alert(1)".into(),
            "back`tick`".into(),
            "$(rm -rf /)".into(),
            "pipe|and|bar".into(),
            "it's".into(),
            "line\nbreak".into(),
            "a".repeat(10 * 1024),
        ]
    }

    /// Names that would drive a terminal if printed raw: an OSC 52 sequence (sets the clipboard),
    /// a C1 CSI colour, DEL, and a right-to-left override.
    pub(crate) fn terminal() -> Vec<String> {
        vec![
            "osc\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}".into(),
            "csi\u{9b}31mred".into(),
            "del\u{7f}".into(),
            "rlo\u{202e}txt.exe".into(),
        ]
    }

    /// A Java-style target: test id `class::name`.
    pub(crate) fn java(classname: &str, name: &str) -> super::Target {
        super::Target {
            test_id: format!("{classname}::{name}"),
            classname: classname.into(),
            name: name.into(),
            ..super::Target::default()
        }
    }

    /// Parses `words` back with a real POSIX shell and returns what it got.
    pub(crate) fn through_sh(line: &str) -> Vec<String> {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s\\0' {line}"))
            .output()
            .expect("sh runs");
        assert!(out.status.success());
        let s = String::from_utf8(out.stdout).expect("utf-8");
        s.split_terminator('\0').map(str::to_string).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests on literal input
mod tests {
    use super::hostile::through_sh;
    use super::*;

    #[test]
    fn shell_quoting_survives_a_real_shell() {
        let names = hostile::names();
        let line = shell_line(&names);
        assert_eq!(through_sh(&line), names);
        assert_eq!(shell_quote("plain-word_1.x"), "plain-word_1.x");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn plain_leaves_out_line_breaks() {
        let names = hostile::names();
        let out = plain(names.iter().map(String::as_str));
        assert_eq!(out.text.lines().count(), names.len() - 1);
        assert_eq!(out.warnings.len(), 1);
        assert!(out.warnings[0].contains("\\n"), "{}", out.warnings[0]);
        assert!(!out.warnings[0].contains('\n'));
        let out = plain(["::add-mask::x", "a ##[error]y", "a.py::b"].into_iter());
        assert_eq!(out.text, "a.py::b\n");
        assert_eq!(out.left_out, 2);
        assert!(
            out.warnings[1].contains("##\\x5berror"),
            "{}",
            out.warnings[1]
        );
    }

    /// Every runner format, file and shell form, and its warnings: no character of
    /// `is_unsafe_char` other than the newlines that end lines.
    /// A name cut when read is no runner's name for the test: every runner format leaves it
    /// out with a warning; plain and JSON, which list testsift's ids, keep it.
    #[test]
    fn names_cut_when_read_are_left_out_of_runner_patterns() {
        let cut = format!(
            "test_{}{}0123456789abcdef",
            "p".repeat(40),
            crate::junit::CUT_MARK
        );
        let targets = vec![
            Target {
                test_id: format!("tests.test_x::{cut}"),
                classname: "tests.test_x".into(),
                name: cut.clone(),
                file: Some("tests/test_x.py".into()),
                ..Target::default()
            },
            Target {
                test_id: "tests.test_x::test_ok".into(),
                classname: "tests.test_x".into(),
                name: "test_ok".into(),
                file: Some("tests/test_x.py".into()),
                ..Target::default()
            },
        ];
        let ctx = Context::default();
        for runner in [Runner::Pytest, Runner::Jest, Runner::Go, Runner::Nextest] {
            let out = exclude(runner, &targets, &targets, go::Purpose::Skip, &ctx);
            assert_eq!(out.left_out, 1, "{runner:?}");
            assert!(!out.text.contains("pppp"), "{runner:?}: {}", out.text);
            assert!(out.text.contains("test_ok"), "{runner:?}: {}", out.text);
            assert!(out.warnings.iter().any(|w| w.contains("was cut when read")));
        }
        let out = exclude(Runner::Plain, &targets, &targets, go::Purpose::Skip, &ctx);
        assert_eq!(out.left_out, 0);
        assert!(out.text.contains(&cut));
    }

    #[test]
    fn no_format_writes_a_control_character() {
        let targets: Vec<Target> = hostile::terminal()
            .iter()
            .map(|n| Target {
                test_id: format!("tests.test_x::test_p[{n}]"),
                classname: "tests.test_x".into(),
                name: n.clone(),
                suite: n.clone(),
                file: Some("tests/test_x.py".into()),
                stale: false,
            })
            .collect();
        let ctx = Context::default();
        let clean = |s: &str| !s.chars().any(|c| c != '\n' && is_unsafe_char(c));
        for runner in [
            Runner::Pytest,
            Runner::Nextest,
            Runner::Maven,
            Runner::Gradle,
            Runner::Jest,
            Runner::Go,
            Runner::Plain,
        ] {
            let out = exclude(runner, &targets, &targets, go::Purpose::Skip, &ctx);
            assert!(clean(&out.text), "{runner:?}: {:?}", out.text);
            for a in out.args.iter().flatten() {
                assert!(clean(a) && !a.contains('\n'), "{runner:?}: {a:?}");
            }
            if let Some(args) = &out.args {
                assert!(clean(&shell_line(args)), "{runner:?}");
            }
            for w in &out.warnings {
                assert!(clean(w) && !w.contains('\n'), "{runner:?}: {w:?}");
            }
            // Each name is written exactly (escaped) or left out with a warning.
            let written = targets.len() - out.left_out;
            match runner {
                Runner::Nextest | Runner::Jest | Runner::Go => assert_eq!(written, 4),
                _ => assert_eq!(out.left_out, 4, "{runner:?}"),
            }
        }
        let json = json_text(&serde_json::to_string_pretty(&hostile::terminal()).unwrap());
        assert!(clean(&json), "{json}");
        let back: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, hostile::terminal());
    }

    #[test]
    fn java_names() {
        assert!(java_name("com.example.Foo$Inner", true));
        assert!(java_name("testAdd", false));
        assert!(!java_name("test add", false));
        assert!(!java_name("a.b", false));
        assert!(!java_name("com..Foo", true));
        assert!(!java_name("1abc", false));
    }
}

//! go test: a `-skip` regular expression. Go splits the expression at each `|` and `/` that is
//! outside brackets and parentheses and not escaped: `|` into alternatives, `/` into one
//! expression per subtest level; a test is skipped when some alternative matches every level
//! of its name. go-junit-report and gotestsum write the package in `classname` and
//! `Test/sub/case` in `name`, so each selected test is `^Test$/^sub$/^case$`, every level
//! escaped like Go's `regexp.QuoteMeta` (a `\` before each of `\.+*?()|[]{}^$`), and control
//! characters and bidirectional overrides as `\x{HEX}`, so none reaches the terminal raw.
//!
//! `-skip` applies to every package of the `go test` call, so a selected test skips the tests
//! of the same name in other packages too; those are named in a warning. Skipping a test also
//! skips its subtests, and both reporters write a parent as a test of its own (failing when a
//! subtest fails), so a parent is never skipped while a subtest of it must run: [`Purpose`]
//! says what happens to such a parent for each kind of list.

use super::{Emitted, Target, show};
use crate::report::escape::is_unsafe_char;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// What a `-skip` list is for, which decides what becomes of a selected parent whose subtest
/// must not be skipped with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The targets are every test not to run in this stage (`priority --top`, the other
    /// shards), so every other test must run: a target that has the name of one of them, or
    /// of a parent of one, is not excluded (it runs too; its other subtests are excluded one
    /// by one).
    Stage,
    /// trim's skip list: a parent with a kept subtest (in any package: `-skip` cannot tell
    /// packages apart) is left out of the list.
    Skip,
    /// The quarantine list: a parent is left out when a subtest of it is selected too, since
    /// that subtest's failures are the parent's; a parent selected alone is skipped with all
    /// its subtests, which a warning counts.
    Quarantine,
}

/// The names of the parents of a Go test: `A/B/C` has `A` and `A/B`.
pub(crate) fn parents(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices('/').map(move |(i, _)| &name[..i])
}

/// The top-level test of a Go test name: `TestA` of `TestA/sub/case`.
pub(crate) fn top_level(name: &str) -> &str {
    name.split_once('/').map_or(name, |(top, _)| top)
}

/// Where a target lives (its package for Go), as its test id has it.
fn scope(t: &Target) -> &str {
    crate::domain::scope(&t.classname, t.file.as_deref().unwrap_or(""), &t.suite)
}

/// Escapes `s` to match itself in a Go (RE2) regular expression.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if is_unsafe_char(c) => out.push_str(&format!("\\x{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// `^A$/^B$`: one anchored, escaped expression per level of `name`.
pub(crate) fn levels(name: &str) -> String {
    let parts: Vec<String> = name
        .split('/')
        .map(|p| format!("^{}$", escape(p)))
        .collect();
    parts.join("/")
}

/// Each name a `-skip` pattern must not hold, with a test of `others` that needs it: their
/// parents' names, and with `own` their own names too.
fn needed_names<'a>(others: &[&'a Target], own: bool) -> HashMap<&'a str, &'a Target> {
    let mut needed = HashMap::new();
    for &m in others {
        let own_name = own.then_some(m.name.as_str());
        for n in parents(&m.name).chain(own_name) {
            needed.entry(n).or_insert(m);
        }
    }
    needed
}

pub(crate) fn skip(targets: &[Target], all: &[Target], purpose: Purpose) -> Emitted {
    let mut out = Emitted::default();
    let chosen: HashSet<&str> = targets.iter().map(|t| t.test_id.as_str()).collect();
    let others: Vec<&Target> = all
        .iter()
        .filter(|t| !chosen.contains(t.test_id.as_str()))
        .collect();
    let kept: Vec<&Target> = match purpose {
        Purpose::Stage => {
            // Every name a test that must run has, or a parent of it has.
            let needed = needed_names(&others, true);
            targets
                .iter()
                .filter(|t| match needed.get(t.name.as_str()) {
                    None => true,
                    Some(m) => {
                        out.warnings.push(if m.name == t.name {
                            format!(
                                "{}: not excluded, since go test -skip cannot tell packages \
                                 apart and {} must run; it runs too",
                                show(&t.test_id),
                                show(&m.test_id)
                            )
                        } else {
                            format!(
                                "{}: not excluded, since go test -skip would skip its subtest \
                                 {} with it; it runs too, without the subtests that are \
                                 excluded",
                                show(&t.test_id),
                                show(&m.test_id)
                            )
                        });
                        false
                    }
                })
                .collect()
        }
        Purpose::Skip => {
            // Every parent of a test that is kept.
            let needed = needed_names(&others, false);
            targets
                .iter()
                .filter(|t| match needed.get(t.name.as_str()) {
                    None => true,
                    Some(m) => {
                        out.left_out += 1;
                        out.warnings.push(format!(
                            "{}: left out, since go test -skip would skip its subtest {} with \
                             it, which is kept",
                            show(&t.test_id),
                            show(&m.test_id)
                        ));
                        false
                    }
                })
                .collect()
        }
        Purpose::Quarantine => {
            let mut selected_child: HashMap<(&str, &str), &Target> = HashMap::new();
            for c in targets {
                for n in parents(&c.name) {
                    selected_child.entry((scope(c), n)).or_insert(c);
                }
            }
            targets
                .iter()
                .filter(|t| match selected_child.get(&(scope(t), t.name.as_str())) {
                    None => true,
                    Some(c) => {
                        out.left_out += 1;
                        out.warnings.push(format!(
                            "{}: left out, since its subtest {} is selected, whose failures \
                             are its failures; skipping it would skip its other subtests too",
                            show(&t.test_id),
                            show(&c.test_id)
                        ));
                        false
                    }
                })
                .collect()
        }
    };
    let names: BTreeSet<&str> = kept.iter().map(|t| t.name.as_str()).collect();
    let selected: HashSet<(&str, &str)> =
        kept.iter().map(|t| (scope(t), t.name.as_str())).collect();
    let written: HashSet<&str> = kept.iter().map(|t| t.test_id.as_str()).collect();
    // Tests the pattern skips beyond the list: subtests of a selected test (counted per
    // test), and tests of a selected name, or under one, in other packages (named).
    let mut subtests: BTreeMap<(&str, &str), Vec<&Target>> = BTreeMap::new();
    for t in all.iter().filter(|t| !written.contains(t.test_id.as_str())) {
        let Some(by) = std::iter::once(t.name.as_str())
            .chain(parents(&t.name))
            .find(|n| names.contains(n))
        else {
            continue;
        };
        if by != t.name && selected.contains(&(scope(t), by)) {
            subtests.entry((scope(t), by)).or_default().push(t);
        } else {
            out.warnings.push(format!(
                "{}: also skipped, since go test -skip cannot tell packages apart",
                show(&t.test_id)
            ));
        }
    }
    for ((at, parent), subs) in &subtests {
        let parent = kept
            .iter()
            .find(|t| scope(t) == *at && t.name == *parent)
            .map_or_else(|| show(parent), |t| show(&t.test_id));
        let few: Vec<String> = subs.iter().take(3).map(|t| show(&t.name)).collect();
        out.warnings.push(format!(
            "{parent}: go test -skip also skips its {} subtest{} that {} not selected ({}{})",
            subs.len(),
            if subs.len() == 1 { "" } else { "s" },
            if subs.len() == 1 { "is" } else { "are" },
            few.join(", "),
            if subs.len() > few.len() { ", ..." } else { "" }
        ));
    }
    let alternatives: Vec<String> = names.iter().map(|n| levels(n)).collect();
    let pattern = alternatives.join("|");
    out.text = format!("{pattern}\n");
    out.args = Some(if pattern.is_empty() {
        Vec::new()
    } else {
        vec![format!("-skip={pattern}")]
    });
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests on literal input
mod tests {
    use super::super::hostile::names;
    use super::*;

    #[test]
    fn each_level_matches_exactly_itself() {
        let mut list = names();
        list.extend(super::super::hostile::terminal());
        list.extend([
            "a.b".into(),
            "x+y".into(),
            "[1]".into(),
            "c:\\d".into(),
            "tab\t".into(),
        ]);
        for n in list.iter().flat_map(|n| n.split('/')) {
            let e = escape(n);
            assert!(!e.contains('\n'));
            let re = regex::Regex::new(&format!("^{e}$")).unwrap();
            assert!(re.is_match(n), "{n:?}");
            assert!(!re.is_match(&format!("{n}x")));
            assert!(!re.is_match(&n[1..]));
        }
        // `$(rm -rf /)` is two levels, as go test sees it.
        assert_eq!(levels("$(rm -rf /)"), "^\\$\\(rm -rf $/^\\)$");
    }

    fn t(c: &str, n: &str) -> Target {
        Target {
            test_id: format!("{c}::{n}"),
            classname: c.into(),
            name: n.into(),
            ..Target::default()
        }
    }

    #[test]
    fn subtests_and_packages() {
        let all = [
            t("example.com/shop/cart", "TestParse/unicode"),
            t("example.com/shop/cart", "TestAdd"),
            t("example.com/shop/tax", "TestAdd"),
        ];
        for purpose in [Purpose::Skip, Purpose::Quarantine] {
            let out = skip(&all[..2], &all, purpose);
            assert_eq!(out.text, "^TestAdd$|^TestParse$/^unicode$\n");
            assert_eq!(out.warnings.len(), 1);
            assert!(out.warnings[0].contains("shop/tax"));
            assert_eq!(skip(&[], &all, purpose).text, "\n");
        }
    }

    /// `TestP` (a parent, failing whenever `TestP/flaky` fails), its subtests, and `TestQ`.
    fn family() -> Vec<Target> {
        vec![
            t("ex/a", "TestP"),
            t("ex/a", "TestP/flaky"),
            t("ex/a", "TestP/stable"),
            t("ex/a", "TestP/stable/deeper"),
            t("ex/a", "TestQ"),
            t("ex/b", "TestQ"),
        ]
    }

    /// A stage (`priority --top`, a shard) never excludes the parent of a test it runs, nor
    /// its name in another package.
    #[test]
    fn a_stage_keeps_the_parents_of_what_it_runs() {
        let all = family();
        // The stage runs TestP/stable only: TestP stays, its other subtest is excluded.
        let others: Vec<Target> = all
            .iter()
            .filter(|x| x.name != "TestP/stable")
            .cloned()
            .collect();
        let out = skip(&others, &all, Purpose::Stage);
        assert_eq!(
            out.text,
            "^TestP$/^flaky$|^TestP$/^stable$/^deeper$|^TestQ$\n"
        );
        assert_eq!(out.left_out, 0);
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert!(out.warnings[0].starts_with("\"ex/a::TestP\": not excluded"));
        // The stage runs ex/b's TestQ: ex/a's is not excluded either.
        let others: Vec<Target> = all[..5].to_vec();
        let out = skip(&others, &all, Purpose::Stage);
        assert!(!out.text.contains("TestQ"), "{}", out.text);
        assert!(out.warnings[0].contains("cannot tell packages apart"));
    }

    /// trim's skip list leaves out a parent whose subtest is kept (in any package).
    #[test]
    fn skip_leaves_out_a_parent_with_a_kept_subtest() {
        let all = family();
        let out = skip(&[all[0].clone(), all[4].clone()], &all, Purpose::Skip);
        assert_eq!(out.text, "^TestQ$\n");
        assert_eq!(out.left_out, 1);
        assert!(out.warnings[0].starts_with("\"ex/a::TestP\": left out"));
        // Every subtest skipped too: the parent may go.
        let out = skip(&all[..4], &all, Purpose::Skip);
        assert_eq!(
            out.text,
            "^TestP$|^TestP$/^flaky$|^TestP$/^stable$|^TestP$/^stable$/^deeper$\n"
        );
        assert_eq!((out.left_out, out.warnings.len()), (0, 0));
        // Another package's test of the parent's name has a kept subtest: left out as well.
        let mut all = all;
        all.push(t("ex/b", "TestP"));
        all.push(t("ex/b", "TestP/kept"));
        let out = skip(&all[..4], &all, Purpose::Skip);
        assert!(!out.text.starts_with("^TestP$|"), "{}", out.text);
    }

    /// Quarantine leaves out a parent whose subtest is quarantined, and says how many subtests
    /// a parent quarantined alone skips with it.
    #[test]
    fn quarantine_skips_the_flaky_subtest_not_its_parent() {
        let all = family();
        let out = skip(&all[..2], &all, Purpose::Quarantine);
        assert_eq!(out.text, "^TestP$/^flaky$\n");
        assert_eq!(out.left_out, 1);
        assert!(out.warnings[0].starts_with("\"ex/a::TestP\": left out"));
        let out = skip(&all[..1], &all, Purpose::Quarantine);
        assert_eq!(out.text, "^TestP$\n");
        assert_eq!(out.left_out, 0);
        assert_eq!(
            out.warnings,
            [
                "\"ex/a::TestP\": go test -skip also skips its 3 subtests that are not selected \
              (\"TestP/flaky\", \"TestP/stable\", \"TestP/stable/deeper\")"
            ]
        );
    }
}

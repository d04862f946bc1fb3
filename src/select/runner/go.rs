//! go test: a `-skip` regular expression. Go splits the expression at each `|` and `/` that is
//! outside brackets and parentheses and not escaped: `|` into alternatives, `/` into one
//! expression per subtest level; a test is skipped when some alternative matches every level
//! of its name. go-junit-report and gotestsum write the package in `classname` and
//! `Test/sub/case` in `name`, so each selected test is `^Test$/^sub$/^case$`, every level
//! escaped like Go's `regexp.QuoteMeta` (a `\` before each of `\.+*?()|[]{}^$`), and control
//! characters and bidirectional overrides as `\x{HEX}`, so none reaches the terminal raw.
//!
//! `-skip` applies to every package of the `go test` call, so a selected test skips the tests
//! of the same name in other packages too; those are named in a warning.

use super::{Emitted, Target, show};
use crate::report::escape::is_unsafe_char;
use std::collections::BTreeSet;

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

pub(crate) fn skip(targets: &[Target], all: &[Target]) -> Emitted {
    let mut out = Emitted::default();
    let names: BTreeSet<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    let selected: BTreeSet<(&str, &str)> = targets
        .iter()
        .map(|t| (t.classname.as_str(), t.name.as_str()))
        .collect();
    for t in all {
        if names.contains(t.name.as_str())
            && !selected.contains(&(t.classname.as_str(), t.name.as_str()))
        {
            out.warnings.push(format!(
                "{}: also skipped, since go test -skip cannot tell packages apart",
                show(&t.test_id)
            ));
        }
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

    #[test]
    fn subtests_and_packages() {
        let t = |c: &str, n: &str| Target {
            test_id: format!("{c}::{n}"),
            classname: c.into(),
            name: n.into(),
            ..Target::default()
        };
        let all = [
            t("example.com/shop/cart", "TestParse/unicode"),
            t("example.com/shop/cart", "TestAdd"),
            t("example.com/shop/tax", "TestAdd"),
        ];
        let out = skip(&all[..2], &all);
        assert_eq!(out.text, "^TestAdd$|^TestParse$/^unicode$\n");
        assert_eq!(out.warnings.len(), 1);
        assert!(out.warnings[0].contains("shop/tax"));
        assert_eq!(skip(&[], &all).text, "\n");
    }
}

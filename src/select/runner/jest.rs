//! jest: a `--testNamePattern` regular expression that matches every test except the selected
//! ones. jest tests the pattern (a JavaScript `RegExp` with the `i` flag) against a test's full
//! name: its describe blocks and title joined by spaces. jest-junit's default templates write
//! that same full name into `name` (`{classname} {title}`), which is what this reads.
//!
//! The pattern is `^(?!(?:NAME|NAME...)$)` with every name escaped: `\` before each of
//! `\^$.*+?()[]{}|/-`, and `\n`, `\r`, `\t`, `\xHH` for other control characters (C0, DEL,
//! C1) and `\uHHHH` for bidirectional overrides, so none reaches the terminal raw. Because of the
//! `i` flag, a test whose name differs from a selected one only in case is skipped too; such
//! tests are named in a warning.

use super::{Emitted, Target, show};
use crate::report::escape::is_unsafe_char;
use std::collections::BTreeSet;

/// Escapes `s` to match itself in a JavaScript regular expression.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '^' | '$' | '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|'
            | '/' | '-' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) && u32::from(c) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if is_unsafe_char(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// `(?:A|B|...)`: the selected names, escaped.
pub(crate) fn alternation(names: &[&str]) -> String {
    let escaped: Vec<String> = names.iter().map(|n| escape(n)).collect();
    format!("(?:{})", escaped.join("|"))
}

/// The longest name written into a jest pattern, in characters (escaping can double it).
const MAX_NAME: usize = 10_000;

pub(crate) fn exclude(targets: &[Target], all: &[Target]) -> Emitted {
    let mut out = Emitted::default();
    // jest-junit writes `{classname} {title}`, which starts with a space for a test outside any
    // describe block; jest's full name has none. A name too long for one alternative of a
    // JavaScript regular expression (V8 refuses one over 32,767 characters, and jest then
    // aborts the whole run) is left out with a warning.
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for t in targets {
        let name = t.name.trim_start();
        if name.chars().count() > MAX_NAME {
            out.warnings.push(format!(
                "{}: left out, a name of {} characters is too long for jest's \
                 --testNamePattern (at most {MAX_NAME})",
                show(&t.test_id),
                name.chars().count()
            ));
            out.left_out += 1;
        } else {
            names.insert(name);
        }
    }
    let pattern = if names.is_empty() {
        ".*".to_string()
    } else {
        let list: Vec<&str> = names.iter().copied().collect();
        format!("^(?!{}$)", alternation(&list))
    };
    let folded: BTreeSet<String> = names.iter().map(|n| js_fold(n)).collect();
    for t in all {
        let name = t.name.trim_start();
        if !names.contains(name) && folded.contains(&js_fold(name)) {
            out.warnings.push(format!(
                "{}: also skipped, since jest matches names without regard to case",
                show(&t.test_id)
            ));
        }
    }
    out.text = format!("{pattern}\n");
    out.args = Some(vec![format!("--testNamePattern={pattern}")]);
    out
}

/// `s` as jest's case-insensitive pattern compares it: a `RegExp` with the `i` flag and
/// without `u` canonicalises each character to its upper case, but only when that is one
/// character and does not turn a non-ASCII character into an ASCII one (ECMAScript's
/// Canonicalize): µ and μ match, ß and SS do not, nor ſ and s. Characters beyond the Basic
/// Multilingual Plane are two UTF-16 units there, each left as it is.
fn js_fold(s: &str) -> String {
    s.chars()
        .map(|c| {
            if u32::from(c) > 0xffff {
                return c;
            }
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) if !(u32::from(c) >= 128 && u32::from(u) < 128) => u,
                _ => c,
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests on literal input
mod tests {
    use super::super::hostile::names;
    use super::*;

    #[test]
    fn the_alternation_matches_exactly_the_names() {
        let mut hostile = names();
        hostile.extend(super::super::hostile::terminal());
        let mut list: Vec<&str> = hostile.iter().map(String::as_str).collect();
        list.extend(["a.b", "x-y", "[1] (2) {3}", "c:\\temp", "^$", "tab\there"]);
        // JavaScript and the regex crate agree on these escapes.
        let re = regex::Regex::new(&format!("^{}$", alternation(&list))).unwrap();
        for n in &list {
            assert!(re.is_match(n), "{n:?}");
        }
        for other in [
            "aXb", "x", "<script>", "pipe", "and", "it", "line", "c:\\tem", "", "tab",
        ] {
            assert!(!re.is_match(other), "{other:?}");
        }
        assert!(!re.is_match(&"a".repeat(10 * 1024 + 1)));
        assert!(!alternation(&list).contains('\n'));
    }

    #[test]
    fn the_pattern_skips_the_selection_and_warns_about_case() {
        let t = |n: &str| Target {
            test_id: n.into(),
            name: n.into(),
            ..Target::default()
        };
        let all = [t("Cart adds"), t("cart ADDS"), t("Cart removes")];
        let out = exclude(&all[..1], &all);
        assert_eq!(out.text, "^(?!(?:Cart adds)$)\n");
        assert_eq!(out.args.unwrap(), ["--testNamePattern=^(?!(?:Cart adds)$)"]);
        assert_eq!(out.warnings.len(), 1);
        assert!(out.warnings[0].contains("cart ADDS"));
        assert_eq!(exclude(&[], &all).text, ".*\n");
        // A name longer than a pattern may hold is left out, with a warning.
        let long = "x".repeat(MAX_NAME + 1);
        let out = exclude(&[t(&long), t("Cart adds")], &[t(&long), t("Cart adds")]);
        assert_eq!(out.text, "^(?!(?:Cart adds)$)\n");
        assert_eq!((out.left_out, out.warnings.len()), (1, 1));
        // JavaScript's case-insensitive match compares upper cases: µ (micro) and μ (mu).
        let all = [t("costs 5 \u{b5}s"), t("costs 5 \u{3bc}s")];
        let out = exclude(&all[..1], &all);
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert!(out.warnings[0].contains('\u{3bc}'));
        // But ß is not SS (its upper case is two characters), nor ſ s (non-ASCII to ASCII):
        // node 20, `/^(?:Straße ok)$/i.test("STRASSE ok")` is false.
        let all = [
            t("Straße ok"),
            t("STRASSE ok"),
            t("ſum"),
            t("sum"),
            t("Élan"),
            t("élan"),
        ];
        let out = exclude(&[all[0].clone(), all[2].clone(), all[4].clone()], &all);
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert!(out.warnings[0].contains("élan"), "{:?}", out.warnings);
    }
}

//! cargo-nextest: a filterset for `cargo nextest run -E`. nextest's JUnit output names the
//! binary id (`crate`, `crate::test_file`, `crate::bin/name`) in `classname` and the test's
//! path in `name`, so each test is `binary_id(=ID) & test(=NAME)`, and the selection is run
//! without them: `not (A | B | ...)`.
//!
//! Equality matchers end at an unescaped `)` or `,`; the escapes nextest accepts inside them
//! are `\\`, `\/`, `\)`, `\,`, `\n`, `\r`, `\t` and `\u{HEX}`, which is how every other control
//! character (C0, C1, DEL) and bidirectional override is written. Spaces are kept as they are:
//! nextest does not trim them.

use super::{Emitted, Target, show};
use crate::report::escape::is_unsafe_char;

/// Escapes `s` for an equality matcher (`=...`).
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            ')' => out.push_str("\\)"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// The binary id of `t`: what its test id holds before its name, which is its classname
/// unless testsift.toml's `[[alias]]` gave the test a new id (a test file renamed: the rows
/// of its history still carry the old binary).
fn binary(t: &Target) -> &str {
    t.test_id
        .strip_suffix(t.name.as_str())
        .and_then(|head| head.strip_suffix("::"))
        .filter(|b| !b.is_empty())
        .unwrap_or(&t.classname)
}

/// The filterset that matches exactly `t`.
pub(crate) fn matcher(t: &Target) -> String {
    let binary = binary(t);
    if binary.is_empty() {
        format!("test(={})", escape(&t.name))
    } else {
        format!(
            "(binary_id(={}) & test(={}))",
            escape(binary),
            escape(&t.name)
        )
    }
}

/// `not (...)` of every target nextest can be asked about. Left out, each with a warning: a
/// test without a name (`test(=)` does not parse), and a test of a binary none of the window's
/// tests ran in lately (`all`'s `stale`): nextest refuses the whole filterset when a
/// `binary_id()` matches no binary it built ("operator didn't match any binary IDs"), which a
/// renamed or deleted test file would do to every run.
pub(crate) fn exclude(
    targets: &[Target],
    all: &[Target],
    built: Option<&std::collections::HashSet<String>>,
) -> Emitted {
    let live: std::collections::HashSet<&str> = match built {
        Some(built) => built.iter().map(String::as_str).collect(),
        None => all.iter().filter(|t| !t.stale).map(binary).collect(),
    };
    let mut out = Emitted::default();
    let mut any: Vec<String> = Vec::new();
    for t in targets {
        if t.name.is_empty() {
            out.left_out += 1;
            out.warnings.push(format!(
                "{}: has no name, which a nextest filter cannot match; left out",
                show(&t.test_id)
            ));
            continue;
        }
        let known = built.is_some() || !all.is_empty();
        if known && !binary(t).is_empty() && !live.contains(binary(t)) {
            out.left_out += 1;
            out.warnings.push(format!(
                "{}: {}, and nextest refuses a filter naming a binary it does not build; left out",
                show(&t.test_id),
                if built.is_some() {
                    format!("binary {} is not in --nextest-binaries", show(binary(t)))
                } else {
                    format!(
                        "no test of binary {} ran in the newest {} runs (a test file deleted \
                         or renamed? --nextest-binaries says which binaries there are)",
                        show(binary(t)),
                        crate::select::STALE_RUNS
                    )
                }
            ));
            continue;
        }
        any.push(matcher(t));
    }
    if let Some(built) = built
        && !all.is_empty()
        && !all.iter().any(|t| built.contains(binary(t)))
    {
        out.warnings.push(format!(
            "none of the {} test binaries of the history is in --nextest-binaries (its {}): \
             was it listed in another workspace?",
            all.iter()
                .map(binary)
                .collect::<std::collections::HashSet<_>>()
                .len(),
            match built.len() {
                1 => "1 binary".to_string(),
                n => format!("{n} binaries"),
            }
        ));
    }
    let expr = if any.is_empty() {
        "all()".to_string()
    } else {
        format!("not ({})", any.join(" | "))
    };
    out.text = format!("{expr}\n");
    out.args = Some(vec!["-E".into(), expr]);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests on literal input
mod tests {
    use super::super::hostile::{names, through_sh};
    use super::super::shell_line;
    use super::*;

    /// Reverses [`escape`] and checks that no matcher-ending character is left bare.
    fn unescape(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            assert!(c != ')' && c != ',', "bare {c:?} in {s:?}");
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('u') => {
                    let hex: String = chars.by_ref().skip(1).take_while(|&c| c != '}').collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                }
                Some(c) => out.push(c),
                None => panic!("dangling backslash in {s:?}"),
            }
        }
        out
    }

    #[test]
    fn hostile_names_round_trip() {
        let mut all = names();
        all.extend(super::super::hostile::terminal());
        all.extend([
            " lead".into(),
            "trail\t".into(),
            "a)b,c\\d/e".into(),
            "\u{7}".into(),
        ]);
        for n in &all {
            let e = escape(n);
            assert_eq!(&unescape(&e), n);
            assert!(!e.contains('\n'));
        }
    }

    #[test]
    fn expression_shape() {
        let t = |c: &str, n: &str| Target {
            classname: c.into(),
            name: n.into(),
            ..Target::default()
        };
        let selected = [t("shop-core", "cart::tests::a"), t("shop-core::it", "b(x)")];
        let out = exclude(&selected, &selected, None);
        assert_eq!(
            out.text,
            "not ((binary_id(=shop-core) & test(=cart::tests::a)) | \
             (binary_id(=shop-core::it) & test(=b(x\\))))\n"
        );
        assert_eq!(exclude(&[], &selected, None).text, "all()\n");
        // The shell form reads back as `-E` and the expression, whatever the names.
        let hostile: Vec<Target> = names().iter().map(|n| t("bin", n)).collect();
        let out = exclude(&hostile, &hostile, None);
        let args = out.args.unwrap();
        assert_eq!(through_sh(&shell_line(&args)), args);
    }

    /// nextest refuses a whole filterset over `test(=)` or a `binary_id()` that matches no
    /// binary (cargo-nextest 0.9.143: "failed to parse filterset"): a test without a name and
    /// the tests of a binary nothing ran in lately are left out, each with a warning.
    #[test]
    fn unnamed_tests_and_binaries_gone_are_left_out() {
        let t = |c: &str, n: &str, stale: bool| Target {
            classname: c.into(),
            name: n.into(),
            test_id: format!("{c}::{n}"),
            stale,
            ..Target::default()
        };
        let all = [
            t("core", "a", false),
            t("core", "", false),
            t("core::gone", "old", true),
            t("core::it", "slow", true),
            t("core::it", "fast", false),
        ];
        let selected = [
            all[0].clone(),
            all[1].clone(),
            all[2].clone(),
            all[3].clone(),
        ];
        let out = exclude(&selected, &all, None);
        assert_eq!(
            out.text,
            "not ((binary_id(=core) & test(=a)) | (binary_id(=core::it) & test(=slow)))\n"
        );
        assert_eq!(out.left_out, 2);
        assert!(
            out.warnings[0].contains("has no name"),
            "{:?}",
            out.warnings
        );
        assert!(out.warnings[1].contains("core::gone"), "{:?}", out.warnings);
        // The binaries nextest builds now, when given, decide: core::it is gone too.
        let built = ["core".to_string()].into_iter().collect();
        let out = exclude(&selected, &all, Some(&built));
        assert_eq!(out.text, "not ((binary_id(=core) & test(=a)))\n");
        assert_eq!(out.left_out, 3);
        assert!(
            out.warnings[2].contains("not in --nextest-binaries"),
            "{:?}",
            out.warnings
        );
        // A test given a new id by `[[alias]]` (its file renamed) is named by the new binary,
        // whatever classname its old rows carry.
        let aliased = Target {
            test_id: "shop::it2::flaky".into(),
            classname: "shop::it".into(),
            name: "flaky".into(),
            ..Target::default()
        };
        let built = ["shop::it2".to_string()].into_iter().collect();
        let one = std::slice::from_ref(&aliased);
        let out = exclude(one, one, Some(&built));
        assert_eq!(out.text, "not ((binary_id(=shop::it2) & test(=flaky)))\n");
        assert_eq!(out.left_out, 0, "{:?}", out.warnings);
    }
}

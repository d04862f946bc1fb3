//! Maven Surefire: an excludes file (`-Dsurefire.excludesFile=FILE`, one `Class#method`
//! pattern per line, `#` lines are comments; Surefire 3.0.0-M6 and later take method patterns
//! there), with Surefire's default `**/*$*` kept, or, with `--shell`,
//! `-Dtest=!Class#method,...` (which replaces the project's includes and excludes).
//!
//! In Surefire's patterns `,` separates patterns, `!` excludes, `#` separates the class from
//! the method, `+` separates methods, `*` and `?` are wildcards and `%regex[...]` switches to
//! regular expressions. Only names without those characters are exact, so a test is written
//! only when its class is a dotted Java name and its method a Java identifier; any other (a
//! display name, a parameterised invocation) is left out with a warning.

use super::{Emitted, Target, java_name, show};

/// The `Class#method` pattern of `t`, or why there is none.
pub(crate) fn pattern(t: &Target) -> Result<String, String> {
    if !java_name(&t.classname, true) {
        return Err("its classname is not a Java class name".into());
    }
    if !java_name(&t.name, false) {
        return Err(
            "its name is not a Java method name, which Surefire cannot match exactly".into(),
        );
    }
    Ok(format!("{}#{}", t.classname, t.name))
}

pub(crate) fn exclude(targets: &[Target]) -> Emitted {
    let mut out = Emitted {
        text: "# testsift select: tests for -Dsurefire.excludesFile, one Class#method a line\n"
            .into(),
        ..Emitted::default()
    };
    let mut patterns = Vec::new();
    for t in targets {
        match pattern(t) {
            Ok(p) => {
                out.text.push_str(&p);
                out.text.push('\n');
                patterns.push(format!("!{p}"));
            }
            Err(why) => {
                out.left_out += 1;
                out.warnings
                    .push(format!("{}: {why}; left out", show(&t.test_id)));
            }
        }
    }
    if !patterns.is_empty() {
        // Surefire excludes nested classes (`**/*$*`: they run through their outer class) only
        // while no exclude is given; a file of excludes would turn that off.
        out.text.push_str(NESTED_DEFAULT);
        out.args = Some(vec![format!("-Dtest={}", patterns.join(","))]);
    } else {
        out.args = Some(Vec::new());
    }
    out
}

/// Surefire's default exclude, kept in an excludes file that lists tests.
const NESTED_DEFAULT: &str =
    "# Surefire's default exclude, which an excludes file would otherwise turn off:\n**/*$*\n";

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests on literal input
mod tests {
    use super::super::hostile::names;
    use super::*;

    use super::super::hostile::java as t;

    #[test]
    fn documented_syntax() {
        let out = exclude(&[
            t("com.example.calc.CalculatorTest", "testDivide"),
            t("com.example.Outer$InnerTest", "test_cache2"),
        ]);
        assert_eq!(
            out.text.lines().collect::<Vec<_>>(),
            [
                "# testsift select: tests for -Dsurefire.excludesFile, one Class#method a line",
                "com.example.calc.CalculatorTest#testDivide",
                "com.example.Outer$InnerTest#test_cache2",
                "# Surefire's default exclude, which an excludes file would otherwise turn off:",
                "**/*$*",
            ]
        );
        // Nothing to exclude: no line, so Surefire's defaults hold.
        assert_eq!(exclude(&[]).text.lines().count(), 1);
        assert_eq!(
            out.args.unwrap(),
            [
                "-Dtest=!com.example.calc.CalculatorTest#testDivide,!com.example.Outer$InnerTest#test_cache2"
            ]
        );
    }

    #[test]
    fn hostile_and_inexact_names_are_left_out() {
        let mut targets: Vec<Target> = names().iter().map(|n| t("com.example.T", n)).collect();
        targets.push(t("com.example.T", "parsesNumber(String)[1]"));
        targets.push(t("com.example.T", "star*"));
        targets.push(t("com.example.T", "a,b"));
        targets.push(t("not a class", "testOk"));
        let out = exclude(&targets);
        // Only the comment line, the 10 KB name of plain letters, which is a Java identifier,
        // and Surefire's default exclude with its comment.
        assert_eq!(out.text.lines().count(), 4);
        assert_eq!(out.warnings.len(), targets.len() - 1);
        assert!(out.warnings.iter().all(|w| !w.contains('\n')));
    }
}

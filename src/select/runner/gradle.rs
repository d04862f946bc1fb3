//! Gradle: an init script (`gradle test --init-script FILE`) that adds
//! `filter { excludeTestsMatching 'Class.method' }` to every `Test` task.
//!
//! In `excludeTestsMatching` patterns `*` matches any characters, so a pattern is exact only
//! when the class is a dotted Java name and the method a Java identifier. Gradle's JUnit
//! Platform reports name methods `method()`, which is the method itself; `method(Type)[n]`
//! is one invocation of a parameterised test, which no pattern can single out. Such tests are
//! left out with a warning. The patterns are Groovy single-quoted strings, which do not
//! interpolate `$`; `\` and `'` are escaped all the same.

use super::{Emitted, Target, java_name, show};
use crate::report::escape::is_unsafe_char;

/// Escapes `s` for a Groovy single-quoted string.
pub(crate) fn groovy_string(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe_char(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The `Class.method` pattern of `t`, or why there is none.
pub(crate) fn pattern(t: &Target) -> Result<String, String> {
    if !java_name(&t.classname, true) {
        return Err("its classname is not a Java class name".into());
    }
    let method = t.name.strip_suffix("()").unwrap_or(&t.name);
    if !java_name(method, false) {
        return Err(
            "its name is not a Java method name, which excludeTestsMatching cannot match exactly"
                .into(),
        );
    }
    Ok(format!("{}.{method}", t.classname))
}

pub(crate) fn exclude(targets: &[Target]) -> Emitted {
    let mut out = Emitted::default();
    let mut lines = String::new();
    for t in targets {
        match pattern(t) {
            Ok(p) => {
                lines.push_str("            excludeTestsMatching ");
                lines.push_str(&groovy_string(&p));
                lines.push('\n');
            }
            Err(why) => {
                out.left_out += 1;
                out.warnings
                    .push(format!("{}: {why}; left out", show(&t.test_id)));
            }
        }
    }
    out.text = format!(
        "// testsift select: pass with `gradle test --init-script FILE`\n\
         allprojects {{\n    tasks.withType(Test).configureEach {{\n        filter {{\n\
         {lines}        }}\n    }}\n}}\n"
    );
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests on literal input
mod tests {
    use super::super::hostile::names;
    use super::*;

    use super::super::hostile::java as t;

    #[test]
    fn documented_syntax() {
        let out = exclude(&[
            t(
                "com.example.parser.JsonParserTest",
                "rejectsTrailingComma()",
            ),
            t("com.example.Legacy", "testOld"),
        ]);
        assert_eq!(
            out.text,
            "// testsift select: pass with `gradle test --init-script FILE`\n\
             allprojects {\n    tasks.withType(Test).configureEach {\n        filter {\n\
             \x20           excludeTestsMatching 'com.example.parser.JsonParserTest.rejectsTrailingComma'\n\
             \x20           excludeTestsMatching 'com.example.Legacy.testOld'\n\
             \x20       }\n    }\n}\n"
        );
        assert!(out.warnings.is_empty());
    }

    #[test]
    fn hostile_and_inexact_names_are_left_out() {
        let mut targets: Vec<Target> = names().iter().map(|n| t("com.example.T", n)).collect();
        targets.push(t("com.example.T", "parsesNumber(String)[1]"));
        targets.push(t("com.example.T", "wild*card"));
        let out = exclude(&targets);
        // Only the 10 KB name of plain letters is a method name.
        assert_eq!(out.text.matches("excludeTestsMatching").count(), 1);
        assert_eq!(out.warnings.len(), targets.len() - 1);
    }

    #[test]
    fn groovy_strings_are_closed() {
        assert_eq!(groovy_string("it's \\ $x\n"), "'it\\'s \\\\ $x\\n'");
    }
}

//! A problem found in the input, located as precisely as it is known (file, line, column,
//! element path), and rendered in one place: `file[:line:column]: severity: [element: ]message`.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Severity {
    /// Not a problem with the input: something the user should know while waiting (another
    /// writer holds the store).
    Note,
    /// Everything readable was still read.
    Warning,
    /// Something that may hold test results was not read, or not all of it.
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Diagnostic {
    /// The file (`archive!/entry` inside an archive), or the folder or run, the problem is in.
    pub(crate) file: String,
    /// 1-based; 0 when the problem is about the whole file.
    pub(crate) line: u32,
    pub(crate) column: u32,
    /// Like `testsuites/testsuite[2]/testcase[17]/@time`; empty outside any element.
    pub(crate) element: String,
    pub(crate) severity: Severity,
    pub(crate) message: String,
}

impl Diagnostic {
    fn about(file: impl Into<String>, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            line: 0,
            column: 0,
            element: String::new(),
            severity,
            message: message.into(),
        }
    }

    pub(crate) fn error(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::about(file, Severity::Error, message)
    }

    pub(crate) fn warning(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::about(file, Severity::Warning, message)
    }

    pub(crate) fn note(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::about(file, Severity::Note, message)
    }

    /// A problem the parser found in the report shown as `file`.
    pub(crate) fn in_report(file: &str, problem: &crate::junit::Problem) -> Self {
        Diagnostic {
            file: file.to_owned(),
            line: problem.line,
            column: problem.column,
            element: problem.element.clone(),
            severity: match problem.severity {
                crate::junit::Severity::Warning => Severity::Warning,
                crate::junit::Severity::Error => Severity::Error,
            },
            message: problem.message.clone(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Paths and entry names come from the input (a zip entry may be named with ESC
        // sequences): written with their control characters escaped, as report text is.
        f.write_str(&crate::report::escape::terminal(&self.file))?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        f.write_str(match self.severity {
            Severity::Error => ": error: ",
            Severity::Warning => ": warning: ",
            Severity::Note => ": ",
        })?;
        if !self.element.is_empty() {
            write!(f, "{}: ", crate::report::escape::terminal(&self.element))?;
        }
        f.write_str(&crate::report::escape::terminal(&self.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_as_compilers_do() {
        let mut d = Diagnostic::error("a/junit.xml", "not JUnit XML");
        assert_eq!(d.to_string(), "a/junit.xml: error: not JUnit XML");
        d.line = 3;
        d.column = 14;
        d.element = "testsuite/testcase[2]/@time".into();
        d.severity = Severity::Warning;
        assert_eq!(
            d.to_string(),
            "a/junit.xml:3:14: warning: testsuite/testcase[2]/@time: not JUnit XML"
        );
        assert_eq!(
            Diagnostic::note("store", "waiting").to_string(),
            "store: waiting"
        );
    }

    #[test]
    fn paths_and_messages_reach_the_terminal_escaped() {
        let d = Diagnostic::error(
            "runs/bad\u{1b}]0;title\u{7}\u{202e}.xml",
            "entry \"\u{1b}[2J\u{2028}x.xml\" is absolute",
        );
        assert_eq!(
            d.to_string(),
            "runs/bad\\x1b]0;title\\x07\\u{202e}.xml: error: entry \"\\x1b[2J\\u{2028}x.xml\" is absolute"
        );
    }
}

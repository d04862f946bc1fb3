//! Renders analysis results: plain text tables, JSON (with `schema_version`), CSV and
//! Markdown. Exporters take the `Serialize` results, never DataFrames. Text from reports is
//! escaped for each output by `crate::report::escape`: `terminal` for tables and CSV,
//! `markdown` for Markdown.
//!
//! Each printed result implements [`render::Render`], and a command hands it to
//! [`render::print`] with the format asked for: `--format` is dispatched there and nowhere
//! else. A result's table, Markdown table and CSV are made from one [`fields::Fields`] list,
//! and its numbers written by [`format`].

pub(crate) mod backtest;
pub(crate) mod check;
pub(crate) mod fields;
pub(crate) mod flaky;
pub(crate) mod format;
pub(crate) mod renames;
pub(crate) mod render;
pub(crate) mod slow;
pub(crate) mod stats;
pub(crate) mod table;
pub(crate) mod trim;

use crate::report::escape::terminal;

/// Quotes a CSV field when it needs it (RFC 4180), after making it safe to show on a terminal:
/// CSV is read with `cat` and `column` as often as with a spreadsheet, so control characters
/// and bidi overrides become visible escapes (a newline becomes `\n`). Nothing is cut. A
/// field that a spreadsheet would take for a formula (text starting with `=`, `+`, `-` or `@`
/// that is not a number: a test named `=HYPERLINK(…)`) gets a `'` before it, as OWASP's CSV
/// injection advice says, so it stays text.
pub(crate) fn csv_field(s: &str) -> String {
    let mut s = terminal(s);
    if s.len() > 1 && s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        s = format!("'{s}").into();
    }
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_escaped() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(
            csv_field("x\u{1b}]52;c;eA==\u{7}\r\ny\u{202e}"),
            "x\\x1b]52;c;eA==\\x07\\r\\ny\\u{202e}"
        );
        // Formulas stay text; numbers stay numbers.
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("-cmd|calc"), "'-cmd|calc");
        assert_eq!(csv_field("-1.25"), "-1.25");
        assert_eq!(csv_field("+3"), "+3");
        assert_eq!(csv_field("-"), "-");
    }
}

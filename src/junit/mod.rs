//! The JUnit XML parser: one report's bytes in, its `<testcase>` elements out, plus every problem
//! found on the way, each with a line, a column and an element path.
//!
//! Strings a report yields live in one arena per report (`Text`) so that parsing a
//! test case costs no allocation of its own; [`Str`] is a range into it.

mod attrs;
mod decode;
mod reader;
pub(crate) mod values;

pub use reader::parse;
pub(crate) use reader::parse_cut;

use jiff::Timestamp;
use std::fmt;

/// A stretch of a report dropped while it was read (a value, text or comment past 1 MiB; see
/// `discover::squeeze`). [`parse_cut`] counts it back into the positions and value lengths it
/// reports, so they are the file's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cut {
    /// Offset in the kept bytes where the stretch was.
    pub(crate) at: usize,
    /// Bytes dropped.
    pub(crate) bytes: u64,
    /// Newlines among them.
    pub(crate) newlines: u64,
    /// Characters after the last dropped newline (all the dropped characters when none).
    pub(crate) tail_chars: u64,
}

/// A string held in a [`Report`]'s arena.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Str {
    start: u32,
    len: u32,
}

impl Str {
    pub(crate) fn is_empty(self) -> bool {
        self.len == 0
    }
}

/// What one `<testcase>` element said about its own attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    Error,
    Skipped,
}

/// One `<testcase>` element as written. Kept small (64 bytes): a report of a million test cases
/// holds a million of them at once.
#[derive(Debug, Clone)]
pub struct Case {
    /// Innermost enclosing `<testsuite name>`.
    pub suite: Str,
    pub classname: Str,
    pub name: Str,
    /// The `file` attribute (pytest xunit1, PHPUnit, rspec, jest-junit).
    pub file: Str,
    pub(crate) line: Line,
    /// The element's own `time`, in seconds.
    pub time: Seconds,
    /// Sum of the `time` attributes of the retry children, when any had one.
    pub retries_time: Seconds,
    /// `flakyFailure`/`flakyError` children: failed attempts before a final pass (counted up
    /// to 65,535).
    pub flaky_retries: u16,
    /// `rerunFailure`/`rerunError` children: failed attempts after the element's own failure
    /// (counted up to 65,535).
    pub(crate) rerun_retries: u16,
    /// Its failure type, message and output, in [`Report::detail`]; most cases have none.
    detail: u32,
    pub outcome: Option<Outcome>,
    /// `flaky="true"` on the element (Firebase Test Lab).
    pub(crate) flaky_attr: bool,
}

/// What a case that did not simply pass said about it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Detail {
    pub failure_type: Str,
    /// The failure's `message` attribute, or the start of its text when there is none or it is a
    /// placeholder (`Failed`); at most `MESSAGE_MAX` bytes.
    pub message: Str,
    /// The start of the case's `<system-out>`/`<system-err>`, kept only for cases that did not
    /// simply pass; at most [`OUTPUT_MAX`] bytes.
    pub(crate) output: Str,
}

impl Detail {
    fn is_empty(&self) -> bool {
        self.failure_type.is_empty() && self.message.is_empty() && self.output.is_empty()
    }
}

/// A case has no [`Detail`].
const NO_DETAIL: u32 = u32::MAX;

/// A number of seconds, or none: half the size of an `Option<f64>` (none is NaN, which no
/// parsed duration is).
#[derive(Clone, Copy, PartialEq)]
pub struct Seconds(f64);

impl Seconds {
    pub(crate) const NONE: Seconds = Seconds(f64::NAN);

    pub fn get(self) -> Option<f64> {
        (!self.0.is_nan()).then_some(self.0)
    }
}

impl From<Option<f64>> for Seconds {
    fn from(v: Option<f64>) -> Seconds {
        v.map_or(Seconds::NONE, Seconds)
    }
}

impl Default for Seconds {
    fn default() -> Seconds {
        Seconds::NONE
    }
}

impl fmt::Debug for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

/// A line number, or none: 4 bytes where an `Option<u32>` takes 8 (none is `u32::MAX`, a line
/// no file reaches; a report that writes it is taken to give none).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line(u32);

impl Line {
    pub(crate) const NONE: Line = Line(u32::MAX);

    pub(crate) fn get(self) -> Option<u32> {
        (self.0 != u32::MAX).then_some(self.0)
    }
}

impl From<Option<u32>> for Line {
    fn from(v: Option<u32>) -> Line {
        v.map_or(Line::NONE, Line)
    }
}

impl Default for Line {
    fn default() -> Line {
        Line::NONE
    }
}

impl fmt::Debug for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

impl Default for Case {
    fn default() -> Case {
        Case {
            suite: Str::default(),
            classname: Str::default(),
            name: Str::default(),
            file: Str::default(),
            line: Line::NONE,
            time: Seconds::NONE,
            retries_time: Seconds::NONE,
            flaky_retries: 0,
            rerun_retries: 0,
            detail: NO_DETAIL,
            outcome: None,
            flaky_attr: false,
        }
    }
}

/// Bytes of a failure message kept.
pub(crate) const MESSAGE_MAX: usize = 1024;
/// Bytes of a failing case's output kept.
pub(crate) const OUTPUT_MAX: usize = 512;
/// Bytes kept of any one attribute value (names, classes, files, failure types, timestamps): a
/// longer value is cut, with a warning, while parsing, so that what a report keeps is bounded by
/// its number of test cases, whatever one value holds. Every later step holds a test's name a
/// few times over (the store's columns, the verdicts, report.json), so a report of many long
/// names must not cost 64 KiB each: 4 KiB is past any name a test runner writes for a person
/// to read, and a cut value ends in [`CUT_MARK`] and a hash of the whole, so two long names
/// that differ only after the cut stay two tests.
pub const TEXT_MAX: usize = 4 * 1024;

/// What ends a value cut to [`TEXT_MAX`]: `…#` and, in 16 hexadecimal digits, the xxh3-64 of
/// the value as written (its first 64 KiB, seeded with its whole length).
pub const CUT_MARK: &str = "…#";

/// Bytes of [`CUT_MARK`] and the hash after it.
pub(crate) const CUT_SUFFIX_LEN: usize = CUT_MARK.len() + 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A problem in one report, located by line, column and element path.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub severity: Severity,
    pub line: u32,
    pub column: u32,
    /// Like `testsuites/testsuite[2]/testcase[17]/@time`; empty outside any element.
    pub element: String,
    pub message: String,
}

impl fmt::Display for Problem {
    /// `line:column: [element: ]message`; callers put the file in front.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.line, self.column)?;
        if !self.element.is_empty() {
            write!(f, "{}: ", self.element)?;
        }
        f.write_str(&self.message)
    }
}

/// One parsed report.
#[derive(Debug, Default)]
pub struct Report {
    text: Text,
    pub cases: Vec<Case>,
    /// The [`Detail`]s of the cases that have one.
    details: Vec<Detail>,
    /// The earliest `<testsuite timestamp>` in the file.
    pub earliest_timestamp: Option<Timestamp>,
    pub problems: Vec<Problem>,
    /// False when parsing stopped before the end of the document (truncation, malformed XML);
    /// the cases read up to that point are kept.
    pub complete: bool,
    /// The root is pytest's `<testsuites name="pytest tests">`: a pytest report whatever its
    /// `junit_suite_name` calls the suite.
    pub pytest_root: bool,
    /// The `tests` counts of its `<testsuite>` elements that hold test cases, summed, when
    /// every such element has one. pytest counts tests, not the extra elements
    /// pytest-rerunfailures writes for reruns (and pytest 8 counts a test whose teardown
    /// errored twice).
    pub declared_tests: Option<u64>,
    /// Per case, the number of the `<testsuite>` element it is in, when the report has more
    /// than one (else empty): the same test in two suite elements of one report ran once in
    /// each (Playwright's, vitest's and jest's projects, mocha's files), not twice as retries.
    pub(crate) suite_of: Vec<u32>,
}

/// A report's arena of strings, which [`Str`]s index; it can outlive the report's cases
/// ([`Report::take_text`]), so that what was folded from them keeps pointing into it without a
/// copy.
#[derive(Debug, Default)]
pub(crate) struct Text(String);

impl Text {
    /// Bytes held.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Appends `s`, returning where it is.
    pub(crate) fn push(&mut self, s: &str) -> Str {
        let start = self.0.len();
        self.0.push_str(s);
        // An arena stays far below 4 GiB: reports are capped by --max-file-size.
        Str {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(s.len()).unwrap_or(0),
        }
    }

    pub fn str(&self, s: Str) -> &str {
        // Most spans of a passing test (file, message, output, failure type) are empty.
        if s.len == 0 {
            return "";
        }
        let start = s.start as usize;
        self.0.get(start..start + s.len as usize).unwrap_or("")
    }
}

impl Report {
    pub fn str(&self, s: Str) -> &str {
        self.text.str(s)
    }

    /// Takes the strings out, leaving the report's arena empty (its cases' spans then read as
    /// empty strings).
    pub(crate) fn take_text(&mut self) -> Text {
        std::mem::take(&mut self.text)
    }

    /// A case's failure type, message and output (all empty for most cases).
    pub fn detail(&self, case: &Case) -> Detail {
        self.details
            .get(case.detail as usize)
            .copied()
            .unwrap_or_default()
    }

    /// Keeps `detail` for `case` (nothing when it is empty).
    fn set_detail(&mut self, case: &mut Case, detail: Detail) {
        if detail.is_empty() {
            return;
        }
        case.detail = u32::try_from(self.details.len()).unwrap_or(NO_DETAIL);
        self.details.push(detail);
    }

    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    fn reserve_text(&mut self, additional: usize) {
        self.text.0.reserve(additional);
    }

    fn push_str(&mut self, s: &str) -> Str {
        self.text.push(s)
    }
}

/// Cuts a raw attribute value to at most `max` bytes on a character boundary, and before an
/// entity reference the cut would split (`&am`), so the kept part still unescapes.
pub(crate) fn cut_raw_value(s: &str, max: usize) -> &str {
    let cut = truncate_str(s, max);
    if cut.len() == s.len() {
        return cut;
    }
    // An entity reference is at most a few dozen bytes (`&#x10FFFF;`, `&quot;`).
    let tail_from = cut.len().saturating_sub(32);
    match cut.as_bytes()[tail_from..].iter().rposition(|&b| b == b'&') {
        Some(amp) if !cut.as_bytes()[tail_from + amp..].contains(&b';') => &cut[..tail_from + amp],
        _ => cut,
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub(crate) fn truncate_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_stays_64_bytes() {
        // A report of a million test cases holds a million of these (docs/reliability.md).
        assert_eq!(std::mem::size_of::<Case>(), 64);
    }

    #[test]
    fn line_and_retries_hold_their_extremes() {
        let doc = format!(
            "<testsuite><testcase name=\"a\" line=\"4294967295\"/>\
             <testcase name=\"b\" line=\"4294967294\"/>\
             <testcase name=\"c\">{}</testcase></testsuite>",
            "<flakyFailure/>".repeat(70_000)
        );
        let r = parse(doc.as_bytes());
        assert_eq!(r.cases[0].line.get(), None);
        assert_eq!(r.cases[1].line.get(), Some(4_294_967_294));
        assert_eq!(r.cases[2].flaky_retries, u16::MAX);
        assert_eq!(r.cases[2].outcome, Some(Outcome::Passed));
    }
}

//! The quick-xml event loop. It walks `testsuites`/`testsuite`/`testcase`, reads attributes in
//! one pass, and skips every body it does not need (`system-out`, `properties`, stack traces).
//! Two fast paths read the common shapes without quick-xml's per-event work: self-closing
//! `<testcase .../>` tags ([`empty_testcase_end`]) and bodies of text, CDATA and self-closing
//! children ([`plain_body_end`]); everything else goes through quick-xml (`read_to_end` for
//! bodies), and a test checks both ways read the same.

use super::attrs::attrs;
use super::decode::{decode, line_column};
use super::values::{self, StatusHint, TimeProblem};
use super::{
    CUT_MARK, CUT_SUFFIX_LEN, Case, Cut, Detail, MESSAGE_MAX, OUTPUT_MAX, Outcome, Problem, Report,
    Severity, Str, TEXT_MAX, cut_raw_value, truncate_str,
};
use crate::report::escape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use std::borrow::Cow;
use std::io;

/// Suite timestamps before 2000-01-01 are placeholders (an unset clock, a default value), not
/// when a suite ran: taken as the run's time they would sort it before the whole history.
const PLACEHOLDER_BEFORE: i64 = 946_684_800;

/// Elements nested deeper than this are refused: real reports stay under ten levels, and a
/// limit keeps hostile nesting from costing memory.
pub(crate) const MAX_DEPTH: usize = 64;
/// Levels of an element path shown whole in a problem; a deeper one is shortened.
const PATH_LEVELS: usize = 8;
/// Warnings kept per report; the rest are counted in one closing line.
const MAX_WARNINGS: usize = 20;
/// Bytes of report text (a name, a value, an end tag) quoted in a problem message.
const SHOWN_MAX: usize = 120;
/// Bytes of a problem's message or element path kept: they quote the report, and a hostile
/// one must not make a message as large as itself.
const PROBLEM_TEXT_MAX: usize = 2048;

/// Bytes of a cut value its hash covers (with its whole length).
const HASH_SPAN: usize = 64 * 1024;

/// Parses one report. Never fails: what could not be read is in [`Report::problems`], and the
/// cases read before a fatal problem are kept.
pub fn parse(bytes: &[u8]) -> Report {
    parse_with(bytes, &[], true)
}

/// [`parse`] of bytes from which `cuts` were dropped while reading: positions and value lengths
/// in problems are the original file's.
pub(crate) fn parse_cut(bytes: &[u8], cuts: &[Cut]) -> Report {
    parse_with(bytes, cuts, true)
}

/// [`parse`], with `fast_paths` off reading every tag and body through quick-xml (for tests
/// that check the fast paths read the same).
fn parse_with(bytes: &[u8], cuts: &[Cut], fast_paths: bool) -> Report {
    let mut report = Report::default();
    let Some(text) = decode(bytes, &mut report.problems) else {
        return report;
    };
    // quick-xml steps over a byte-order mark at the start without counting its bytes, which
    // would put every position after it three bytes off (inside a character, for slicing): a
    // second mark, or one a transcoder left, is dropped here, so the text starts with none.
    let text = text.trim_start_matches('\u{FEFF}');
    // Cuts are offsets in `bytes`; the text is a slice of them unless it was transcoded (then
    // positions after a cut are in the transcoded text).
    let base = (text.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize);
    let cuts: Vec<Cut> = if base <= bytes.len() {
        cuts.iter()
            .filter(|c| c.at >= base)
            .map(|c| Cut {
                at: c.at - base,
                ..*c
            })
            .collect()
    } else {
        Vec::new()
    };
    // Sized from the text so that the case list and the name arena grow once at most: reports
    // run a few hundred bytes of XML per test case, about a quarter of it names. A large
    // report's cases are counted instead (a fast scan for `<testcase`): a million cases in one
    // file must not double their way to twice their size.
    let cases = if text.len() > 16 << 20 {
        memchr::memmem::find_iter(text.as_bytes(), b"<testcase").count()
    } else {
        text.len() / 300
    };
    report.cases.reserve(cases);
    report.reserve_text(text.len() / 4);
    let mut parser = Parser {
        text,
        cuts,
        report,
        frames: Vec::new(),
        open_cases: Vec::new(),
        root_seen: false,
        root_closed: false,
        text_before_root: false,
        markup_in_values: None,
        warnings_dropped: 0,
        fast_paths,
        last_classname: Str::default(),
        hosts: Vec::new(),
        suites_opened: 0,
        suite_nos: Vec::new(),
        playwright_root: false,
        declared_tests: 0,
        undeclared_suites: 0,
    };
    parser.check_control_chars();
    parser.run();
    let hosts = std::mem::take(&mut parser.hosts);
    let suite_nos = std::mem::take(&mut parser.suite_nos);
    let several_suites = parser.suites_opened > 1;
    let playwright = parser.playwright_root;
    let declared_tests = (parser.undeclared_suites == 0 && parser.declared_tests > 0)
        .then_some(parser.declared_tests);
    let mut report = parser.report;
    report.declared_tests = declared_tests;
    if playwright {
        name_by_host(&mut report, &hosts);
    }
    if several_suites && suite_nos.len() == report.cases.len() {
        report.suite_of = suite_nos;
    }
    if let Some((index, count)) = parser.markup_in_values
        && count > 1
        && let Some(problem) = report.problems.get_mut(index)
    {
        problem.message.push_str(&format!(
            "; {} more attribute values in this file have the same problem",
            count - 1
        ));
    }
    if parser.warnings_dropped > 0 {
        report.problems.push(Problem {
            severity: Severity::Warning,
            line: 0,
            column: 0,
            element: String::new(),
            message: format!("{} more warnings not shown", parser.warnings_dropped),
        });
    }
    // Messages quote the report (names, values, end tags) and end up on stderr: no newline or
    // escape sequence from a report may reach it as itself.
    for problem in &mut report.problems {
        printable(&mut problem.message);
        printable(&mut problem.element);
    }
    report
}

/// A Playwright report that holds a test under suites of several hostnames ran it once per
/// project: Playwright writes one `<testsuite>` per spec file and project, with the project's
/// name as its hostname (`chromium`, `firefox`, `webkit`), and the same test in each. Each
/// case of such a report is named with its project after it, as a parameter: `Cart › adds an
/// item [firefox]`, whose family is the test, so each project keeps a record of its own. A
/// report whose every test ran under one hostname (a single project) keeps its names. Other
/// writers' hostnames are machines, which change from run to run: a name never takes one
/// (their repeats across suite elements are folded as runs in several projects, `fold`).
fn name_by_host(report: &mut Report, hosts: &[Str]) {
    if hosts.len() != report.cases.len() {
        return;
    }
    // Nearly every report with hostnames has one (a build machine's): nothing to look up.
    let mut named = hosts.iter().filter(|h| !h.is_empty());
    let Some(&first) = named.next() else {
        return;
    };
    if named.all(|&h| h == first || report.str(h) == report.str(first)) {
        return;
    }
    let mut first_host: rustc_hash::FxHashMap<(&str, &str, &str, &str), &str> =
        rustc_hash::FxHashMap::default();
    let mut several = false;
    for (case, &host) in report.cases.iter().zip(hosts) {
        if host.is_empty() {
            continue;
        }
        let key = (
            report.str(case.suite),
            report.str(case.classname),
            report.str(case.name),
            report.str(case.file),
        );
        let host = report.str(host);
        if *first_host.entry(key).or_insert(host) != host {
            several = true;
            break;
        }
    }
    if !several {
        return;
    }
    for (i, &host) in hosts.iter().enumerate() {
        if host.is_empty() {
            continue;
        }
        let Some(case) = report.cases.get(i) else {
            continue;
        };
        let named = format!("{} [{}]", report.str(case.name), report.str(host));
        let name = report.push_str(&named);
        if let Some(case) = report.cases.get_mut(i) {
            case.name = name;
        }
    }
}

/// `text` escaped for a terminal, then cut to [`PROBLEM_TEXT_MAX`] bytes (escaping can make it
/// several times longer).
fn printable(text: &mut String) {
    let cut = |text: &mut String| {
        if text.len() > PROBLEM_TEXT_MAX {
            let end = truncate_str(text, PROBLEM_TEXT_MAX).len();
            text.truncate(end);
            text.push('…');
        }
    };
    cut(text);
    if let Cow::Owned(escaped) = escape::terminal(text) {
        *text = escaped;
        cut(text);
    }
}

/// At most [`SHOWN_MAX`] bytes of report text, for quoting in a problem message.
fn shown(text: &str) -> Cow<'_, str> {
    if text.len() <= SHOWN_MAX {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("{}…", truncate_str(text, SHOWN_MAX)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Suites,
    Suite,
    Case,
    Other,
}

struct Frame {
    kind: Kind,
    /// Name as written, only for elements outside the JUnit vocabulary (for element paths).
    other_name: Option<String>,
    /// 1-based position among same-kind siblings.
    index: u32,
    suites_seen: u32,
    cases_seen: u32,
    suite_name: Str,
    /// A `<testsuite hostname>`: where (or, for Playwright, in which project) its cases ran.
    hostname: Str,
    /// A `<testsuite>` element's number in the document (1-based; 0 for other elements).
    suite_no: u32,
    /// A `<testsuite tests>` count, when it is a number.
    declared_tests: Option<u32>,
    opened_at: usize,
}

impl Frame {
    /// An element outside the JUnit vocabulary (or a child being read), named in element paths.
    fn other(name: String, opened_at: usize) -> Frame {
        Frame {
            kind: Kind::Other,
            other_name: Some(name),
            index: 0,
            suites_seen: 0,
            cases_seen: 0,
            suite_name: Str::default(),
            hostname: Str::default(),
            suite_no: 0,
            declared_tests: None,
            opened_at,
        }
    }
}

#[derive(Default)]
struct CaseState {
    case: Case,
    /// Where the case goes in [`Report::cases`]: a case nested in another one closes first, but
    /// cases are kept in document order.
    slot: usize,
    /// The innermost `<testsuite hostname>` around it.
    host: Str,
    /// The innermost `<testsuite>` element around it ([`Frame::suite_no`]).
    suite_no: u32,
    has_error: bool,
    has_failure: bool,
    has_skipped: bool,
    hint: Option<StatusHint>,
    flaky_message: Str,
    flaky_type: Str,
    message: Str,
    failure_type: Str,
    output: Option<(usize, usize)>,
}

struct Parser<'t> {
    text: &'t str,
    /// What was dropped from the text while it was read, by offset.
    cuts: Vec<Cut>,
    report: Report,
    frames: Vec<Frame>,
    /// The `<testcase>` elements open, innermost last: some hand-written reports nest a test
    /// case (or a suite of them) inside another one, and each is a test case of its own.
    open_cases: Vec<CaseState>,
    root_seen: bool,
    root_closed: bool,
    text_before_root: bool,
    /// The problem reporting the first `<` inside an attribute value, and how many there were.
    markup_in_values: Option<(usize, usize)>,
    warnings_dropped: usize,
    /// Read self-closing test cases with [`empty_testcase_end`] and step over text-only bodies
    /// with [`plain_body_end`] instead of quick-xml's events.
    fast_paths: bool,
    /// The classname of the last test case read: the next case of the same class shares its
    /// span instead of another copy (consecutive cases nearly always share their class).
    last_classname: Str,
    /// Per case (in [`Report::cases`] order), the hostname of its suite.
    hosts: Vec<Str>,
    /// `<testsuite>` elements opened so far.
    suites_opened: u32,
    /// The root `<testsuites>` has an `id`, as Playwright's has: its suites' hostnames are
    /// its projects.
    playwright_root: bool,
    /// Per case (in [`Report::cases`] order), [`CaseState::suite_no`].
    suite_nos: Vec<u32>,
    /// The `tests` counts of the `<testsuite>` elements holding test cases, summed, and how
    /// many such elements have none.
    declared_tests: u64,
    undeclared_suites: u32,
}

/// Local part of a possibly prefixed name: `ns:testsuite` is a `testsuite`.
fn local(name: &str) -> &str {
    // A plain byte loop: names are short, and this runs for every element and attribute.
    match name.bytes().rposition(|b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

impl<'t> Parser<'t> {
    fn run(&mut self) {
        let text = self.text;
        let mut reader = Reader::from_str(text);
        // Whitespace between tags (one run per test case) then makes no event at all; text the
        // parser looks at (outside the root) is only ever tested for being blank.
        reader.config_mut().trim_text(true);
        let mut after_markup = false;
        loop {
            let at = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            // Where the next event really starts: past the whitespace the reader will skip.
            let at = text.as_bytes().get(at..).map_or(at, |rest| {
                at + rest
                    .iter()
                    .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                    .count()
            });
            if self.fast_paths
                && after_markup
                && self.root_seen
                && !self.root_closed
                && let Some((end, scan)) = empty_testcase_end(text.as_bytes(), at)
                && let Some(content) = text.get(at + 1..end - 1)
            {
                // `<testcase .../>`, read here rather than by quick-xml, whose per-tag work
                // (a search per quote, a UTF-8 check) cost more than the rest of reading it.
                let pos = usize::try_from(reader.buffer_position()).unwrap_or(at);
                io::BufRead::consume(&mut reader.stream(), end + 1 - pos);
                let e = BytesStart::from_content(content, "testcase".len());
                if !self.start(&mut reader, &e, at, true, Some(scan)) {
                    return;
                }
                continue;
            }
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    if usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX) >= text.len()
                        && self.root_seen
                    {
                        // The file ends inside a tag: name the innermost element left open.
                        let opened = self.frames.last().map_or(at, |f| f.opened_at);
                        self.truncated(opened);
                    } else {
                        let pos = usize::try_from(reader.error_position()).unwrap_or(at);
                        self.fail_at(pos, format!("malformed XML: {e}"));
                    }
                    return;
                }
            };
            // Where quick-xml stands: after markup it reads text next, after text it is on the
            // `<` of markup it has not read yet, which the fast path must leave to it.
            after_markup = !matches!(event, Event::Text(_));
            let keep_going = match event {
                Event::Start(e) => self.start(&mut reader, &e, at, false, None),
                Event::Empty(e) => self.start(&mut reader, &e, at, true, None),
                Event::End(_) => {
                    self.end();
                    true
                }
                Event::Text(t) => self.loose_text(t.as_ref(), at),
                Event::CData(_) | Event::GeneralRef(_) => self.loose_text("x", at),
                Event::Decl(_) => {
                    if at > 0 && !text[..at].trim_start_matches('\u{FEFF}').trim().is_empty() {
                        self.warn_at(
                            at,
                            "the XML declaration is not at the start of the file".into(),
                        );
                    } else if at > 0 {
                        self.warn_at(at, "whitespace before the XML declaration".into());
                    }
                    true
                }
                Event::DocType(dtd) => {
                    if dtd.as_ref().contains("<!ENTITY") {
                        self.fail_at(
                            at,
                            "the document declares entities in a DTD (possible entity-expansion or \
                             external-entity attack); refused, nothing was expanded or fetched"
                                .into(),
                        );
                        return;
                    }
                    self.warn_at(at, "DOCTYPE ignored".into());
                    true
                }
                Event::Comment(_) | Event::PI(_) => true,
                Event::Eof => {
                    self.eof(text.len());
                    return;
                }
            };
            if !keep_going {
                return;
            }
        }
    }

    fn start(
        &mut self,
        reader: &mut Reader<&'t [u8]>,
        e: &BytesStart<'t>,
        at: usize,
        empty: bool,
        // What the fast path already found in this tag, when it read it.
        scan: Option<TagScan>,
    ) -> bool {
        let qname = e.name();
        let name = local(qname.as_ref());
        if self.root_closed {
            self.warn_at(
                at,
                format!("element <{}> after the root element ignored", shown(name)),
            );
            return false;
        }
        if !self.root_seen {
            self.root_seen = true;
            if name != "testsuites" && name != "testsuite" {
                let message = if self.text_before_root {
                    // doctest writes to stdout, so `hello from <main.cpp>` lands before the root.
                    format!(
                        "not a JUnit report: the first element, <{}>, comes after text that is \
                         not XML (program output mixed into the report?); expected <testsuites> \
                         or <testsuite>",
                        shown(qname.as_ref())
                    )
                } else {
                    format!(
                        "not a JUnit report: the root element is <{}>, expected <testsuites> or <testsuite>",
                        shown(qname.as_ref())
                    )
                };
                self.fail_at(at, message);
                return false;
            }
        }
        if self.frames.len() >= MAX_DEPTH {
            self.fail_at(
                at,
                format!("elements nested deeper than {MAX_DEPTH} levels; refused"),
            );
            return false;
        }
        if scan.is_none_or(|s| s.lt) {
            self.check_attribute_markup(e, name, at);
        }
        let in_case = self.frames.last().is_some_and(|f| f.kind == Kind::Case);
        if in_case && !matches!(name, "testcase" | "testsuite" | "testsuites") {
            return self.case_child(reader, e, name, at, empty);
        }
        match name {
            "testsuites" | "testsuite" => {
                let kind = if name == "testsuite" {
                    Kind::Suite
                } else {
                    Kind::Suites
                };
                let index = self.next_index(kind);
                let parent_suite = self.current_suite();
                let suite_no = if kind == Kind::Suite {
                    self.suites_opened += 1;
                    self.suites_opened
                } else {
                    0
                };
                self.frames.push(Frame {
                    kind,
                    other_name: None,
                    index,
                    suites_seen: 0,
                    cases_seen: 0,
                    suite_name: parent_suite,
                    hostname: Str::default(),
                    suite_no,
                    declared_tests: None,
                    opened_at: at,
                });
                if kind == Kind::Suite {
                    self.suite_attributes(e, at);
                } else if self.frames.len() == 1 {
                    self.root_attributes(e, at);
                }
                if empty {
                    self.frames.pop();
                    self.after_pop();
                }
                true
            }
            "testcase" => {
                let index = self.next_index(Kind::Case);
                self.frames.push(Frame {
                    kind: Kind::Case,
                    other_name: None,
                    index,
                    suites_seen: 0,
                    cases_seen: 0,
                    suite_name: Str::default(),
                    hostname: Str::default(),
                    suite_no: 0,
                    declared_tests: None,
                    opened_at: at,
                });
                let mut state = CaseState {
                    slot: self.report.cases.len(),
                    ..CaseState::default()
                };
                state.case.suite = self.current_suite();
                state.host = self.current_host();
                state.suite_no = self
                    .frames
                    .iter()
                    .rev()
                    .find(|f| f.kind == Kind::Suite)
                    .map_or(0, |f| f.suite_no);
                self.case_attributes(e, &mut state, at, scan);
                if empty {
                    // What `end` does, without a round trip through `open_cases`.
                    self.frames.pop();
                    self.finish_case(state);
                    self.after_pop();
                } else {
                    self.open_cases.push(state);
                }
                true
            }
            "properties" | "system-out" | "system-err" => {
                empty || self.skip(reader, e, at).is_some()
            }
            _ => {
                if !empty {
                    self.frames.push(Frame::other(shown(name).into_owned(), at));
                }
                true
            }
        }
    }

    /// A child of `<testcase>`: outcomes, retries, output; everything else is skipped whole.
    fn case_child(
        &mut self,
        reader: &mut Reader<&'t [u8]>,
        e: &BytesStart<'t>,
        name: &str,
        at: usize,
        empty: bool,
    ) -> bool {
        enum Child {
            Failure,
            Error,
            Skipped,
            Flaky,
            Rerun,
            Output,
            Other,
        }
        let child = match name {
            "failure" => Child::Failure,
            "error" => Child::Error,
            "skipped" => Child::Skipped,
            "flakyFailure" | "flakyError" => Child::Flaky,
            "rerunFailure" | "rerunError" => Child::Rerun,
            "system-out" | "system-err" => Child::Output,
            _ => Child::Other,
        };
        let (mut message, mut kind, mut time) = (None::<Cow<'_, str>>, None::<Cow<'_, str>>, None);
        // While its attributes are read the child is the innermost element, so that a warning
        // about one of them names it (`testcase[3]/failure/@message`).
        self.frames.push(Frame::other(shown(name).into_owned(), at));
        if !matches!(child, Child::Output | Child::Other) {
            for attr in attrs(e.attributes_raw()) {
                let Ok(attr) = attr else {
                    self.warn_at(at, format!("unreadable attribute on <{}>", shown(name)));
                    break;
                };
                match local(attr.key.as_ref()) {
                    "message" => message = Some(self.attr_value(&attr, at)),
                    "type" => kind = Some(self.attr_value(&attr, at)),
                    "time" => time = Some(self.attr_value(&attr, at)),
                    _ => {}
                }
            }
        }
        // A retry's own duration counts toward the case's retries time: it is held to what a
        // test case's duration is.
        let retry_time = match (&child, time.as_deref()) {
            (Child::Flaky | Child::Rerun, Some(t)) => self.seconds(t, at),
            _ => None,
        };
        self.frames.pop();
        // The outcome a result element gives is known from its start tag, before its body is
        // read: a report cut inside a <failure> body keeps its case as failed.
        let mut message_taken = false;
        let first_failure = match self.open_cases.last_mut() {
            Some(state) => {
                let first = !(state.has_error || state.has_failure);
                match child {
                    Child::Failure => state.has_failure = true,
                    Child::Error => state.has_error = true,
                    Child::Skipped => state.has_skipped = true,
                    _ => {}
                }
                if first && matches!(child, Child::Failure | Child::Error) {
                    let attr = message.as_deref().map(str::trim).filter(|m| !m.is_empty());
                    let msg = self
                        .report
                        .push_str(attr.map_or("", |m| truncate_str(m, MESSAGE_MAX)));
                    let ty = self.report.push_str(kind.as_deref().unwrap_or("").trim());
                    if let Some(state) = self.open_cases.last_mut() {
                        state.message = msg;
                        state.failure_type = ty;
                    }
                    message_taken = attr.is_some_and(|m| !placeholder(m));
                }
                first
            }
            None => false,
        };
        let body = if empty {
            None
        } else {
            match self.skip(reader, e, at) {
                Some(span) => Some(span),
                None => return false,
            }
        };
        let text = self.text;
        let Some(state) = self.open_cases.last_mut() else {
            return true;
        };
        match child {
            Child::Failure | Child::Error | Child::Flaky | Child::Rerun => {
                let wanted = match child {
                    Child::Flaky => state.flaky_message.is_empty() && first_failure,
                    // The message attribute was taken from the start tag; else the body's text.
                    Child::Failure | Child::Error => first_failure && !message_taken,
                    _ => first_failure,
                };
                match child {
                    Child::Failure | Child::Error => {}
                    Child::Flaky => {
                        state.case.flaky_retries = state.case.flaky_retries.saturating_add(1);
                    }
                    _ => state.case.rerun_retries = state.case.rerun_retries.saturating_add(1),
                }
                if let Some(t) = retry_time {
                    state.case.retries_time =
                        Some(state.case.retries_time.get().unwrap_or(0.0) + t).into();
                }
                // The failure's text, where the message attribute is missing or a placeholder.
                let body_message = || {
                    body.map(|(s, e)| failure_text(&text[s..e]))
                        .filter(|b| !b.is_empty())
                };
                if wanted && matches!(child, Child::Failure | Child::Error) {
                    // No message attribute, or a placeholder: the start of the body's text
                    // (the type is set), unless there is none.
                    if let Some(body) = body_message() {
                        let msg = self.report.push_str(&body);
                        if let Some(state) = self.open_cases.last_mut() {
                            state.message = msg;
                        }
                    }
                } else if wanted {
                    // A retry's failed attempt reads as a failure does: nextest's
                    // <flakyFailure> has the panic's location as its message too, and the
                    // same failure must have the same fingerprint whichever element holds it.
                    let attr = message.as_deref().map(str::trim).filter(|m| !m.is_empty());
                    let msg = match attr {
                        Some(m) if !placeholder(m) => Cow::Borrowed(truncate_str(m, MESSAGE_MAX)),
                        _ => body_message().map_or_else(
                            || Cow::Borrowed(attr.map_or("", |m| truncate_str(m, MESSAGE_MAX))),
                            Cow::Owned,
                        ),
                    };
                    let msg = self.report.push_str(&msg);
                    let ty = self.report.push_str(kind.as_deref().unwrap_or("").trim());
                    let Some(state) = self.open_cases.last_mut() else {
                        return true;
                    };
                    if matches!(child, Child::Flaky) {
                        state.flaky_message = msg;
                        state.flaky_type = ty;
                    } else {
                        state.message = msg;
                        state.failure_type = ty;
                    }
                }
            }
            Child::Skipped => {
                state.has_skipped = true;
                if state.message.is_empty()
                    && let Some(m) = message.as_deref().map(str::trim).filter(|m| !m.is_empty())
                {
                    let m = truncate_str(m, MESSAGE_MAX).to_owned();
                    let msg = self.report.push_str(&m);
                    if let Some(state) = self.open_cases.last_mut() {
                        state.message = msg;
                    }
                }
            }
            Child::Output => {
                if state.output.is_none() {
                    state.output = body;
                }
            }
            Child::Other => {}
        }
        true
    }

    /// Skips an element's body; returns the byte range of its content.
    fn skip(
        &mut self,
        reader: &mut Reader<&'t [u8]>,
        e: &BytesStart<'t>,
        at: usize,
    ) -> Option<(usize, usize)> {
        let content_start = usize::try_from(reader.buffer_position()).unwrap_or(at);
        if self.fast_paths
            && let Some(end) = plain_body_end(
                self.text.as_bytes(),
                content_start,
                e.name().as_ref().as_bytes(),
            )
        {
            // Text and CDATA only, up to the closing tag: step over them here, and let the
            // reader read the closing tag itself so that its open-element bookkeeping holds.
            io::BufRead::consume(&mut reader.stream(), end - content_start);
            return match reader.read_event() {
                Ok(Event::End(_)) => Some((content_start, end)),
                other => {
                    // plain_body_end saw `</name>` at `end`, so this cannot happen; were it to,
                    // the file is reported rather than misread.
                    let reason = match other {
                        Err(err) => err.to_string(),
                        Ok(_) => "unexpected content".to_string(),
                    };
                    let name = shown(local(e.name().as_ref())).into_owned();
                    self.fail_at(end, format!("malformed XML inside <{name}>: {reason}"));
                    None
                }
            };
        }
        match reader.read_to_end(e.name()) {
            Ok(span) => {
                let start = usize::try_from(span.start).unwrap_or(content_start);
                let end = usize::try_from(span.end).unwrap_or(start);
                Some((start.min(self.text.len()), end.min(self.text.len())))
            }
            Err(err) => {
                let pos = usize::try_from(reader.error_position()).unwrap_or(at);
                let name = shown(local(e.name().as_ref())).into_owned();
                self.frames.push(Frame {
                    kind: Kind::Other,
                    other_name: Some(name.clone()),
                    index: 0,
                    suites_seen: 0,
                    cases_seen: 0,
                    suite_name: Str::default(),
                    hostname: Str::default(),
                    suite_no: 0,
                    declared_tests: None,
                    opened_at: at,
                });
                let reached_end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
                    >= self.text.len();
                if reached_end {
                    self.truncated(at);
                } else {
                    self.fail_at(pos, format!("malformed XML inside <{name}>: {err}"));
                }
                None
            }
        }
    }

    fn end(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        if frame.kind == Kind::Case
            && let Some(state) = self.open_cases.pop()
        {
            self.finish_case(state);
        }
        if frame.kind == Kind::Suite && frame.cases_seen > 0 {
            // What the suites holding test cases say they hold (pytest counts tests, not the
            // extra elements pytest-rerunfailures writes for reruns).
            match frame.declared_tests {
                Some(tests) => self.declared_tests += u64::from(tests),
                None => self.undeclared_suites += 1,
            }
        }
        self.after_pop();
    }

    fn after_pop(&mut self) {
        if self.frames.is_empty() {
            self.root_closed = true;
        }
    }

    fn finish_case(&mut self, mut state: CaseState) {
        let outcome = if state.has_error {
            Outcome::Error
        } else if state.has_failure {
            Outcome::Failed
        } else if state.has_skipped {
            Outcome::Skipped
        } else {
            match state.hint {
                Some(StatusHint::Failed) => Outcome::Failed,
                Some(StatusHint::Error) => Outcome::Error,
                Some(StatusHint::Skipped) => Outcome::Skipped,
                None => Outcome::Passed,
            }
        };
        state.case.outcome = Some(outcome);
        if outcome == Outcome::Passed && state.message.is_empty() {
            state.message = state.flaky_message;
            state.failure_type = state.flaky_type;
        }
        let retried =
            state.case.flaky_retries > 0 || state.case.rerun_retries > 0 || state.case.flaky_attr;
        let mut output = Str::default();
        if (outcome != Outcome::Passed || retried)
            && let Some((s, e)) = state.output
        {
            let excerpt = body_text_max(&self.text[s..e], OUTPUT_MAX);
            output = self.report.push_str(&excerpt);
        }
        let detail = Detail {
            failure_type: state.failure_type,
            message: state.message,
            output,
        };
        self.report.set_detail(&mut state.case, detail);
        let slot = state.slot.min(self.report.cases.len());
        self.report.cases.insert(slot, state.case);
        self.hosts.insert(slot.min(self.hosts.len()), state.host);
        self.suite_nos
            .insert(slot.min(self.suite_nos.len()), state.suite_no);
    }

    /// The root `<testsuites>`: pytest names it `pytest tests`.
    fn root_attributes(&mut self, e: &BytesStart<'t>, at: usize) {
        for attr in attrs(e.attributes_raw()).flatten() {
            match local(attr.key.as_ref()) {
                "name" => {
                    let name = self.attr_value(&attr, at);
                    self.report.pytest_root = name.trim() == "pytest tests";
                }
                // Playwright's root always carries an `id` (empty unless
                // PLAYWRIGHT_JUNIT_SUITE_ID is set); no other writer seen puts one there.
                "id" => self.playwright_root = true,
                _ => {}
            }
        }
    }

    fn suite_attributes(&mut self, e: &BytesStart<'t>, at: usize) {
        let mut name = None;
        for attr in attrs(e.attributes_raw()) {
            let Ok(attr) = attr else {
                self.warn_at(at, "unreadable attribute on <testsuite>".into());
                break;
            };
            match local(attr.key.as_ref()) {
                "name" => name = Some(self.attr_value(&attr, at)),
                "tests" => {
                    let tests = self.attr_value(&attr, at).trim().parse().ok();
                    if let Some(frame) = self.frames.last_mut() {
                        frame.declared_tests = tests;
                    }
                }
                "hostname" => {
                    let host = self.attr_value(&attr, at);
                    let host = host.trim();
                    if !host.is_empty() {
                        let s = self.report.push_str(host);
                        if let Some(frame) = self.frames.last_mut() {
                            frame.hostname = s;
                        }
                    }
                }
                "timestamp" => {
                    let raw = self.attr_value(&attr, at);
                    match values::parse_timestamp(&raw) {
                        // A clock that was never set, or a writer's default: 1970-01-01, 0001-01-01.
                        Some(ts) if ts.as_second() < PLACEHOLDER_BEFORE => self.warn_attr(
                            at,
                            "timestamp",
                            format!(
                                "timestamp {:?} is before 2000, a placeholder rather than when \
                                 the suite ran; ignored",
                                shown(&raw)
                            ),
                        ),
                        Some(ts) => {
                            let earliest = self.report.earliest_timestamp.get_or_insert(ts);
                            *earliest = (*earliest).min(ts);
                        }
                        None if raw.trim().is_empty() => {}
                        None => self.warn_attr(
                            at,
                            "timestamp",
                            format!("unrecognised timestamp {:?}; ignored", shown(&raw)),
                        ),
                    }
                }
                _ => {}
            }
        }
        if let Some(name) = name {
            let s = self.report.push_str(name.trim());
            if let Some(frame) = self.frames.last_mut() {
                frame.suite_name = s;
            }
        }
    }

    fn case_attributes(
        &mut self,
        e: &BytesStart<'t>,
        state: &mut CaseState,
        at: usize,
        scan: Option<TagScan>,
    ) {
        let raw = e.attributes_raw();
        // One look at the whole tag: values are taken as written unless the tag holds a
        // character that attribute-value normalisation would change (nearly none do).
        let plain = !scan
            .unwrap_or_else(|| scan_tag(raw.as_bytes()))
            .to_normalise;
        // The identity and time attributes seen so far: XML allows each once, and a second
        // (which a reader holding to XML refuses) is passed over with a warning, so that the
        // test is the one its first `name` says.
        let mut seen = 0u8;
        for attr in attrs(raw) {
            let Ok(attr) = attr else {
                self.warn_at(at, "unreadable attribute on <testcase>".into());
                break;
            };
            let key = local(attr.key.as_ref());
            let bit = match key {
                "name" => 1,
                "classname" => 2,
                "file" => 4,
                "time" => 8,
                "class" => 16,
                _ => 0,
            };
            // PHPUnit writes both `class` (with backslashes) and `classname` (with dots): the
            // classname is the one taken, whichever comes first.
            if key == "class" && seen & 2 != 0 {
                continue;
            }
            if seen & bit != 0 {
                self.warn_attr(
                    at,
                    &shown(key),
                    "given twice (XML allows an attribute once); the first is kept".into(),
                );
                continue;
            }
            seen |= bit;
            let intern = |parser: &mut Self| {
                if plain {
                    let value = parser.capped(key, &attr.value, at);
                    parser.report.push_str(trim(&value))
                } else {
                    parser.intern(&attr, at)
                }
            };
            match key {
                "name" => state.case.name = intern(self),
                "classname" | "class" => {
                    let last = self.last_classname;
                    state.case.classname = if plain
                        && last.len > 0
                        && attr.value.len() <= TEXT_MAX
                        && self.report.str(last) == trim(&attr.value)
                    {
                        last
                    } else {
                        intern(self)
                    };
                    // gotestsum's `--junitfile-testcase-classname short` writes `.` for a
                    // package's TestMain: no class, as an empty classname says.
                    if self.report.str(state.case.classname) == "." {
                        state.case.classname = Str::default();
                    }
                    self.last_classname = state.case.classname;
                }
                "file" => state.case.file = intern(self),
                "line" => state.case.line = attr.value.trim().parse().ok().into(),
                "time" => state.case.time = self.seconds(&attr.value, at).into(),
                "status" | "result" => {
                    if let Some(h) = values::status_hint(&attr.value) {
                        // A failing hint wins over a skipping one (`status="run" result="skipped"`
                        // never says fail, but `status="fail" result="..."` must not be lost).
                        if state.hint.is_none() || h != StatusHint::Skipped {
                            state.hint = Some(h);
                        }
                    }
                }
                "flaky" => state.case.flaky_attr = attr.value.trim().eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
    }

    /// A `time` attribute's duration; a warning, and no duration, when it is not one a test
    /// case can have taken (negative, not a finite number, over a day).
    fn seconds(&mut self, raw: &str, at: usize) -> Option<f64> {
        match values::parse_seconds(raw) {
            Ok(t) => t,
            Err(problem) => {
                let what = match problem {
                    TimeProblem::Negative => "negative duration",
                    TimeProblem::NotANumber => "invalid duration",
                    TimeProblem::OverADay => "duration over a day",
                };
                self.warn_attr(
                    at,
                    "time",
                    format!("{what} {:?}; treated as unknown", shown(raw)),
                );
                None
            }
        }
    }

    /// A raw attribute value of at most [`TEXT_MAX`] bytes: a longer one is cut, with a
    /// warning, and ends in [`CUT_MARK`] and the hash of the whole value, so that long values
    /// differing only after the cut stay apart.
    fn capped<'v>(&mut self, key: &str, value: &'v str, at: usize) -> Cow<'v, str> {
        if value.len() <= TEXT_MAX {
            return Cow::Borrowed(value);
        }
        let kept = cut_raw_value(value, TEXT_MAX - CUT_SUFFIX_LEN);
        let length = value.len() as u64 + self.dropped_within(value);
        self.warn_attr(
            at,
            &shown(key),
            format!(
                "value of {length} bytes cut to its first {} (at most {TEXT_MAX} bytes of a value \
                 are kept; a hash of the whole ends it)",
                kept.len()
            ),
        );
        // The first 64 KiB and the whole length: what the squeezing pass
        // (`discover::squeeze`) keeps of a huge value holds them, so the same report gives
        // the same name however it was read.
        let hash = xxhash_rust::xxh3::xxh3_64_with_seed(
            &value.as_bytes()[..value.len().min(HASH_SPAN)],
            length,
        );
        Cow::Owned(format!("{kept}{CUT_MARK}{hash:016x}"))
    }

    fn intern(&mut self, attr: &quick_xml::events::attributes::Attribute<'_>, at: usize) -> Str {
        let value = self.attr_value(attr, at);
        self.report.push_str(trim(&value))
    }

    /// The attribute's value, [`capped`](Self::capped), with entities resolved and whitespace
    /// normalised; the raw value, with a warning, when it refers to an entity that does not
    /// exist.
    fn attr_value<'a>(
        &mut self,
        attr: &quick_xml::events::attributes::Attribute<'a>,
        at: usize,
    ) -> Cow<'a, str> {
        let key = local(attr.key.as_ref());
        let raw: Cow<'a, str> = match &attr.value {
            Cow::Borrowed(value) => self.capped(key, value, at),
            Cow::Owned(value) => Cow::Owned(self.capped(key, value, at).into_owned()),
        };
        if !raw
            .bytes()
            .any(|b| matches!(b, b'&' | b'\n' | b'\r' | b'\t'))
        {
            return raw;
        }
        let capped = quick_xml::events::attributes::Attribute {
            key: attr.key,
            value: raw.clone(),
        };
        match capped.normalized_value(XmlVersion::Implicit1_0) {
            Ok(v) => v,
            Err(err) => {
                let key = shown(key).into_owned();
                self.warn_attr(at, &key, format!("{err}; value kept as written"));
                raw
            }
        }
    }

    /// Text outside any element: whitespace is fine, anything else is reported once.
    fn loose_text(&mut self, text: &str, at: usize) -> bool {
        if !self.frames.is_empty() || text.trim().is_empty() {
            return true;
        }
        if self.root_closed {
            self.warn_at(at, "text after the root element ignored".into());
            return false;
        }
        if !self.text_before_root {
            self.text_before_root = true;
            self.warn_at(at, "text before the root element ignored".into());
        }
        true
    }

    fn eof(&mut self, at: usize) {
        if !self.root_seen {
            let message = if self.text_before_root {
                "not XML: no root element found"
            } else {
                "no XML content: the file has no root element"
            };
            self.fail_at(at, message.into());
        } else if !self.frames.is_empty() {
            let opened = self.frames.last().map_or(0, |f| f.opened_at);
            self.truncated(opened);
        } else {
            self.report.complete = true;
        }
    }

    /// 1-based line and column of text offset `at` in the file as it was: what [`Cut`]s
    /// dropped before it is counted back in.
    fn line_column(&self, at: usize) -> (u32, u32) {
        let (line, column) = line_column(self.text, at);
        let before = self.cuts.partition_point(|c| c.at <= at);
        if before == 0 {
            return (line, column);
        }
        let cuts = &self.cuts[..before];
        let newlines: u64 = cuts.iter().map(|c| c.newlines).sum();
        let bytes = self.text.as_bytes();
        let line_start = memchr::memrchr(b'\n', &bytes[..at.min(bytes.len())]).map_or(0, |p| p + 1);
        let mut column = u64::from(column);
        for cut in cuts.iter().rev() {
            if cut.at < line_start {
                break;
            }
            if cut.newlines > 0 {
                // The file's line starts inside this cut: what was kept before it is on an
                // earlier line.
                let kept_before = self
                    .text
                    .get(line_start..cut.at)
                    .map_or(0, |s| s.chars().count()) as u64;
                column = column.saturating_sub(kept_before) + cut.tail_chars;
                break;
            }
            column += cut.tail_chars;
        }
        let line = u64::from(line) + newlines;
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }

    /// Bytes the cuts dropped inside `value`, a slice of the text (a value cut while reading).
    fn dropped_within(&self, value: &str) -> u64 {
        let start = (value.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        if self.cuts.is_empty() || start > self.text.len() {
            return 0;
        }
        let end = start + value.len();
        self.cuts
            .iter()
            .filter(|c| c.at >= start && c.at <= end)
            .map(|c| c.bytes)
            .sum()
    }

    fn truncated(&mut self, opened_at: usize) {
        let (line, column) = self.line_column(opened_at);
        let open = self.element_path();
        let kept = self.report.cases.len();
        let decided = self.keep_decided_open_cases();
        let decided = match decided.as_slice() {
            [] => String::new(),
            [outcome] => {
                format!(", and the test case cut short kept as {outcome} (its result had begun)")
            }
            more => format!(
                ", and {} test cases cut short kept by the results they had begun",
                more.len()
            ),
        };
        self.fail_at(
            self.text.len(),
            format!(
                "unexpected end of file: <{}> opened at {line}:{column} is not closed (truncated report?); \
                 {kept} test case{} before it kept{decided}",
                open.rsplit('/').next().unwrap_or(&open).split('[').next().unwrap_or(""),
                if kept == 1 { "" } else { "s" }
            ),
        );
    }

    /// Keeps the test cases left open at the end of the text whose outcome is known: a
    /// `<failure>`, `<error>` or `<skipped>` had begun in them. A case cut before any result
    /// is left out: whether it passed is not known. Returns the outcomes kept.
    fn keep_decided_open_cases(&mut self) -> Vec<&'static str> {
        let mut kept = Vec::new();
        for state in std::mem::take(&mut self.open_cases) {
            if state.has_error || state.has_failure || state.has_skipped {
                kept.push(if state.has_error {
                    "errored"
                } else if state.has_failure {
                    "failed"
                } else {
                    "skipped"
                });
                self.finish_case(state);
            }
        }
        kept
    }

    /// Reports the first raw control character, and the first NUL byte if that is another
    /// one: a NUL is what a crashed writer or a bad copy leaves, and where it sits is what the
    /// user needs to find it.
    fn check_control_chars(&mut self) {
        let bytes = self.text.as_bytes();
        let Some(pos) = first_control_char(bytes) else {
            return;
        };
        let describe = |b: u8| {
            if b == 0 {
                "NUL byte (U+0000, not allowed in XML); kept as is".to_string()
            } else {
                format!("raw control character U+{b:04X} (not allowed in XML 1.0); kept as is")
            }
        };
        self.warn_at(pos, describe(bytes[pos]));
        if bytes[pos] != 0
            && let Some(nul) = memchr::memchr(0, &bytes[pos..])
        {
            self.warn_at(pos + nul, describe(0));
        }
    }

    /// `<` inside an attribute value is not well-formed XML, though quick-xml reads past it. It
    /// is an error (the file is not what its producer meant to write), located at the first
    /// one; the value is kept as written and reading goes on, since the structure is intact.
    fn check_attribute_markup(&mut self, e: &BytesStart<'t>, name: &str, at: usize) {
        let raw: &str = e;
        let Some(pos) = memchr::memchr(b'<', raw.as_bytes()) else {
            return;
        };
        if let Some((_, count)) = self.markup_in_values.as_mut() {
            *count += 1;
            return;
        }
        let attr = e
            .attributes()
            .with_checks(false)
            .flatten()
            .find(|a| a.value.contains('<'))
            .map(|a| shown(local(a.key.as_ref())).into_owned());
        let mut element = self.child_path(name);
        let message = match attr {
            Some(attr) => {
                element.push_str(&format!("/@{attr}"));
                format!(
                    "`<` in the value of attribute {attr:?} is not allowed in XML (the producer \
                     should write `&lt;`); the value is kept as written"
                )
            }
            None => "`<` inside a tag is not allowed in XML".into(),
        };
        self.markup_in_values = Some((self.report.problems.len(), 1));
        self.push(Severity::Error, at + 1 + pos, element, message);
    }

    /// The element path `name` will have once it is opened under the current element.
    fn child_path(&self, name: &str) -> String {
        let mut path = self.element_path();
        let index = match (name, self.frames.last()) {
            ("testcase", Some(parent)) => Some(parent.cases_seen + 1),
            ("testsuite" | "testsuites", Some(parent)) => Some(parent.suites_seen + 1),
            ("testsuite", None) => Some(1),
            _ => None,
        };
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(name);
        if let Some(index) = index {
            path.push_str(&format!("[{index}]"));
        }
        path
    }

    fn next_index(&mut self, kind: Kind) -> u32 {
        let Some(parent) = self.frames.last_mut() else {
            return 1;
        };
        let counter = match kind {
            Kind::Case => &mut parent.cases_seen,
            _ => &mut parent.suites_seen,
        };
        *counter += 1;
        *counter
    }

    /// The innermost open element's non-empty `field`.
    fn innermost(&self, field: fn(&Frame) -> Str) -> Str {
        self.frames
            .iter()
            .rev()
            .map(field)
            .find(|s| !s.is_empty())
            .unwrap_or_default()
    }

    fn current_host(&self) -> Str {
        self.innermost(|f| f.hostname)
    }

    fn current_suite(&self) -> Str {
        self.innermost(|f| f.suite_name)
    }

    /// Where the parser is, `testsuites/testsuite[2]/testcase[5]`; deeper than
    /// [`PATH_LEVELS`] levels, the first two and the last three around how many are left out.
    fn element_path(&self) -> String {
        let mut path = String::new();
        let n = self.frames.len();
        for (k, frame) in self.frames.iter().enumerate() {
            if n > PATH_LEVELS && (2..n - 3).contains(&k) {
                if k == 2 {
                    path.push_str(&format!("/…{} levels…", n - 5));
                }
                continue;
            }
            if !path.is_empty() {
                path.push('/');
            }
            match frame.kind {
                Kind::Suites => path.push_str("testsuites"),
                Kind::Suite => path.push_str("testsuite"),
                Kind::Case => path.push_str("testcase"),
                Kind::Other => path.push_str(frame.other_name.as_deref().unwrap_or("?")),
            }
            if frame.kind != Kind::Other
                && frame.index > 0
                && !(frame.kind == Kind::Suites && path.len() == 10)
            {
                path.push_str(&format!("[{}]", frame.index));
            }
        }
        path
    }

    fn warn_attr(&mut self, at: usize, attr: &str, message: String) {
        let element = format!("{}/@{attr}", self.element_path());
        self.push(Severity::Warning, at, element, message);
    }

    fn warn_at(&mut self, at: usize, message: String) {
        let element = self.element_path();
        self.push(Severity::Warning, at, element, message);
    }

    fn fail_at(&mut self, at: usize, message: String) {
        let element = self.element_path();
        self.push(Severity::Error, at, element, message);
    }

    fn push(&mut self, severity: Severity, at: usize, element: String, message: String) {
        if severity == Severity::Warning
            && self
                .report
                .problems
                .iter()
                .filter(|p| p.severity == Severity::Warning)
                .count()
                >= MAX_WARNINGS
        {
            self.warnings_dropped += 1;
            return;
        }
        let (line, column) = self.line_column(at);
        self.report.problems.push(Problem {
            severity,
            line,
            column,
            element,
            message,
        });
    }
}

/// `s.trim()`, without the Unicode whitespace tables when both ends are plain ASCII (almost
/// every name in a report).
fn trim(s: &str) -> &str {
    let plain = |b: &u8| b.is_ascii_graphic();
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(z)) if plain(a) && plain(z) => s,
        _ => s.trim(),
    }
}

/// Index of the first C0 control character other than tab, newline and carriage return.
/// Scans in fixed-size blocks with a branch-free test so the compiler vectorises the common
/// case (no such character), which runs over every byte of every report.
fn first_control_char(bytes: &[u8]) -> Option<usize> {
    let bad = |b: u8| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r';
    const BLOCK: usize = 64;
    let mut chunks = bytes.chunks_exact(BLOCK);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        if chunk.iter().fold(false, |acc, &b| acc | bad(b)) {
            return chunk.iter().position(|&b| bad(b)).map(|i| offset + i);
        }
        offset += BLOCK;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| bad(b))
        .map(|i| offset + i)
}

/// What one pass over a tag's bytes found.
#[derive(Debug, Clone, Copy)]
struct TagScan {
    /// An odd number of `"`: the tag ends inside a value.
    odd_quotes: bool,
    apostrophes: bool,
    /// A `<`: markup inside an attribute value.
    lt: bool,
    /// A character attribute-value normalisation changes: `&`, tab, newline, carriage return.
    to_normalise: bool,
}

/// Flags and quote parity over `tag` in one pass of 16-byte blocks with lane-wise
/// accumulators, which compiles to vector code (tags run 100-200 bytes; a search per character
/// class, or a plain byte loop, cost several times more). The last partial block is read as
/// the tag's last 16 bytes with the lanes already seen masked off, or zero-padded when the tag
/// is shorter than a block.
fn scan_tag(tag: &[u8]) -> TagScan {
    const LANES: usize = 16;
    const APOSTROPHE: u8 = 1;
    const LT: u8 = 2;
    const NORMALISE: u8 = 4;
    // Per lane: quote parity, and the flags of the classes seen.
    let (mut parity, mut flags) = ([0u8; LANES], [0u8; LANES]);
    // `keep[i]` is 0xFF for lanes to read and 0 for lanes to ignore.
    let mut add = |block: &[u8; LANES], keep: &[u8; LANES]| {
        for i in 0..LANES {
            let b = block[i];
            let normalise = (b == b'&') | (b == b'\t') | (b == b'\n') | (b == b'\r');
            parity[i] ^= u8::from(b == b'"') & keep[i];
            let class = (u8::from(b == b'\'') * APOSTROPHE)
                | (u8::from(b == b'<') * LT)
                | (u8::from(normalise) * NORMALISE);
            flags[i] |= class & keep[i];
        }
    };
    const ALL: [u8; LANES] = [0xFF; LANES];
    let mut blocks = tag.chunks_exact(LANES);
    for block in blocks.by_ref() {
        if let Ok(block) = <&[u8; LANES]>::try_from(block) {
            add(block, &ALL);
        }
    }
    let tail = blocks.remainder().len();
    if tail > 0 {
        let last = tag
            .len()
            .checked_sub(LANES)
            .and_then(|from| <&[u8; LANES]>::try_from(&tag[from..]).ok());
        match last {
            Some(last) => {
                // `KEEP[tail..][..LANES]` keeps the last `tail` lanes.
                const KEEP: [u8; 2 * LANES] = {
                    let mut keep = [0u8; 2 * LANES];
                    let mut i = LANES;
                    while i < 2 * LANES {
                        keep[i] = 0xFF;
                        i += 1;
                    }
                    keep
                };
                if let Ok(keep) = <&[u8; LANES]>::try_from(&KEEP[tail..tail + LANES]) {
                    add(last, keep);
                }
            }
            None => {
                let mut padded = [0u8; LANES];
                padded[..tail].copy_from_slice(blocks.remainder());
                add(&padded, &ALL);
            }
        }
    }
    let parity = parity.iter().fold(0, |acc, &p| acc ^ p);
    let flags = flags.iter().fold(0, |acc, &f| acc | f);
    TagScan {
        odd_quotes: parity & 1 == 1,
        apostrophes: flags & APOSTROPHE != 0,
        lt: flags & LT != 0,
        to_normalise: flags & NORMALISE != 0,
    }
}

/// Where the `>` of a `<testcase .../>` tag starting at `at` is, with what [`scan_tag`] found
/// in it, when finding it takes no quote tracking: the first `>` is preceded by `/`, and before
/// it the tag holds no `'` and an even number of `"` (so that `>` is outside every value).
/// Anything else, including a test case with children, is `None`, for quick-xml to read.
fn empty_testcase_end(text: &[u8], at: usize) -> Option<(usize, TagScan)> {
    let rest = text.get(at..)?.strip_prefix(b"<testcase")?;
    if !matches!(rest.first(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        return None;
    }
    let gt = memchr::memchr(b'>', rest)?;
    let tag = &rest[..gt];
    if tag.last() != Some(&b'/') {
        return None;
    }
    let scan = scan_tag(tag);
    (!scan.odd_quotes && !scan.apostrophes).then_some((at + "<testcase".len() + gt, scan))
}

/// Where the `]]>` closing a CDATA section starts in `cdata` (what follows `<![CDATA[`).
/// Searching for `>` and looking back is several times faster than a substring search here:
/// output and stack traces are full of `]` (thread names, array types) and short of `>`.
fn cdata_end(cdata: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let gt = from + memchr::memchr(b'>', cdata.get(from..)?)?;
        if gt >= 2 && cdata.get(gt - 2..gt) == Some(b"]]".as_slice()) {
            return Some(gt - 2);
        }
        from = gt + 1;
    }
}

/// Where the closing `</name>` of an element starts, when everything between `from` (just past
/// its start tag) and there is text, CDATA or self-closing children with plain names; `None` as
/// soon as anything else (a child with content, a comment, a mismatched or unterminated tag)
/// shows up, for quick-xml to read in full. Output and stack-trace bodies, and `<properties>`,
/// are nearly always of this kind, and scanning them costs a fraction of reading them as events.
fn plain_body_end(text: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    loop {
        let lt = i + memchr::memchr(b'<', text.get(i..)?)?;
        let rest = &text[lt + 1..];
        if let Some(after) = rest.strip_prefix(b"/") {
            let after = after.strip_prefix(name)?;
            let close = after
                .iter()
                .position(|&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))?;
            return (after[close] == b'>').then_some(lt);
        }
        if let Some(cdata) = rest.strip_prefix(b"![CDATA[") {
            let end = cdata_end(cdata)?;
            i = lt + 1 + b"![CDATA[".len() + end + b"]]>".len();
            continue;
        }
        // A self-closing child (`<property name=".." value=".."/>`) with a plain name.
        if !rest
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        {
            return None;
        }
        let mut j = 0;
        loop {
            j += memchr::memchr3(b'>', b'"', b'\'', rest.get(j..)?)?;
            let quote = rest[j];
            if quote == b'>' {
                break;
            }
            j += 1 + memchr::memchr(quote, rest.get(j + 1..)?)? + 1;
        }
        let name_end = rest.iter().position(|&b| {
            !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
        })?;
        let self_closing = j > 0 && rest.get(j - 1) == Some(&b'/');
        let name_ends_well = matches!(
            rest.get(name_end),
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'/')
        );
        if !self_closing || name_end >= j || !name_ends_well {
            return None;
        }
        i = lt + 1 + j + 1;
    }
}

/// A `message` attribute some writers put on every failure, whatever failed: gotestsum,
/// go-junit-report and CTest write `Failed`. The failure's body, where there is one, says what
/// failed (an assertion, a panic, a timeout), so it is the message instead. So is a Rust
/// panic's location alone, which cargo-nextest writes as the message since Rust 1.73 printed
/// the panic's own message on the line after it ([`rust_panic_location`]).
fn placeholder(message: &str) -> bool {
    ["failed", "failure", "fail"]
        .iter()
        .any(|p| message.eq_ignore_ascii_case(p))
        || rust_panic_location(message)
}

/// `thread 'NAME' panicked at FILE:LINE:COLUMN` (with `(THREAD ID) ` before `panicked` from
/// Rust 1.88): where a test panicked, not what it said. Every panic of a test at one place
/// would have one message, and every test its own.
fn rust_panic_location(message: &str) -> bool {
    let Some(rest) = message.strip_prefix("thread '") else {
        return false;
    };
    let Some((_, at)) = rest.split_once("' ") else {
        return false;
    };
    let at = match at.strip_prefix('(') {
        Some(id) => id.split_once(") ").map_or("", |(_, a)| a),
        None => at,
    };
    let Some(place) = at.strip_prefix("panicked at ") else {
        return false;
    };
    let mut parts = place.rsplitn(3, ':');
    let (Some(col), Some(line), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    // Before Rust 1.73 the message came first, quoted: `panicked at 'boom', src/lib.rs:5:9`.
    !file.is_empty()
        && !file.starts_with('\'')
        && !col.is_empty()
        && !line.is_empty()
        && col.bytes().all(|b| b.is_ascii_digit())
        && line.bytes().all(|b| b.is_ascii_digit())
}

/// A Rust panic's body as the message: what it said, without the `thread '...' panicked at
/// ...:` line before it and the `note: run with RUST_BACKTRACE` line after it; the body as it
/// is when it is not such a panic.
fn without_panic_framing(body: &str) -> &str {
    let Some((first, rest)) = body.split_once('\n') else {
        return body;
    };
    if !first.strip_suffix(':').is_some_and(rust_panic_location) {
        return body;
    }
    let said = match rest.find("\nnote: run with `RUST_BACKTRACE") {
        Some(end) => &rest[..end],
        None => rest
            .strip_prefix("note: run with `RUST_BACKTRACE")
            .map_or(rest, |_| ""),
    };
    let said = said.trim();
    if said.is_empty() { body } else { said }
}

/// The body without the lines `go test -v` frames a test's output with (`=== RUN`,
/// `=== PAUSE`, `=== CONT`, `=== NAME` before it, `--- FAIL: TestX (0.00s)` after it, and the
/// same for subtests, indented), which gotestsum keeps: they name the test, so the same
/// failure of ten tests (a service down) would otherwise be ten different failures, and every
/// failure of one test would start the same. The body as it is when it has none.
fn without_go_framing(body: &str) -> Cow<'_, str> {
    if !body.lines().any(go_framing_line) {
        return Cow::Borrowed(body);
    }
    let kept: Vec<&str> = body.lines().filter(|l| !go_framing_line(l)).collect();
    let joined = kept.join("\n");
    let trimmed = joined.trim();
    Cow::Owned(if trimmed.len() == joined.len() {
        joined
    } else {
        trimmed.to_owned()
    })
}

/// A line `go test -v` writes around a test's own output: `=== RUN   TestX` (or PAUSE, CONT,
/// NAME) and `--- FAIL: TestX (0.01s)` (or PASS, SKIP), indented for subtests.
fn go_framing_line(line: &str) -> bool {
    let l = line.trim_start();
    if ["=== RUN", "=== PAUSE", "=== CONT", "=== NAME"]
        .iter()
        .any(|f| l.starts_with(f))
    {
        return true;
    }
    let Some(rest) = ["--- FAIL: ", "--- PASS: ", "--- SKIP: "]
        .iter()
        .find_map(|f| l.strip_prefix(f))
    else {
        return false;
    };
    // `TestX (0.00s)`: a name without spaces, then the seconds in parentheses.
    rest.trim_end()
        .strip_suffix("s)")
        .and_then(|r| r.rsplit_once(" ("))
        .is_some_and(|(name, secs)| {
            !name.is_empty()
                && !name.contains(' ')
                && !secs.is_empty()
                && secs.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        })
}

/// A failure's body as its message: its readable text without the lines a runner frames it
/// with (Go's `=== RUN`, a Rust panic's location), at most [`MESSAGE_MAX`] bytes. The framing
/// is dropped before the cut, so that a long failure is cut at the cap, as the fingerprint
/// expects of a cut message (cut first, a 49-byte location line dropped after would leave 975
/// bytes, read as whole, whose tail moves with every number's length).
fn failure_text(raw: &str) -> String {
    let body = body_text_max(raw, FRAMED_MAX);
    let body = without_go_framing(&body);
    let body = without_panic_framing(&body);
    truncate_str(body, MESSAGE_MAX).to_owned()
}

/// How much of a failure's body is read for its message before the framing is dropped: room
/// for a panic's location or a few dozen `=== RUN` lines before the message's own 1 KiB.
const FRAMED_MAX: usize = 8 * MESSAGE_MAX;

/// Readable text of an element body: CDATA markers dropped, entities resolved, trimmed, at most
/// `max` bytes.
fn body_text_max(raw: &str, max: usize) -> Cow<'_, str> {
    // Look at a little more than we keep, so escapes and CDATA markers do not eat the budget.
    let raw = truncate_str(raw.trim(), max * 2);
    if !raw.contains('<') && !raw.contains('&') {
        return Cow::Borrowed(truncate_str(raw, max));
    }
    let mut out = String::with_capacity(raw.len().min(max));
    let mut rest = raw;
    while !rest.is_empty() && out.len() < max {
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").unwrap_or(after.len());
            out.push_str(&after[..end]);
            rest = after.get(end + 3..).unwrap_or("");
        } else if rest.starts_with('<') {
            // A nested element (`<stackTrace>`): drop the tag, keep its text.
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            rest = &rest[end..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let chunk = &rest[..end];
            match quick_xml::escape::unescape(chunk) {
                Ok(s) => out.push_str(&s),
                Err(_) => out.push_str(chunk),
            }
            rest = &rest[end..];
        }
    }
    Cow::Owned(truncate_str(out.trim(), max).to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests on literal input
mod tests {
    use super::*;

    fn names(r: &Report) -> Vec<(&str, &str, Option<Outcome>)> {
        r.cases
            .iter()
            .map(|c| (r.str(c.classname), r.str(c.name), c.outcome))
            .collect()
    }

    /// The fast body skip reads exactly what quick-xml's `read_to_end` reads: same cases,
    /// messages, excerpts and problems (positions included), on bodies mixing every kind of
    /// content, whole and cut short at every byte.
    #[test]
    fn fast_paths_read_what_quick_xml_reads() {
        let pieces = [
            "plain text",
            "  \n ",
            "<![CDATA[a < b ]] > c]]>",
            "&amp; &lt;x&gt;",
            "&bogus;",
            "<b>child</b>",
            "<!-- note -->",
            "<system-out>nested</system-out>",
            "</system-outx>",
            "</failure >",
            "<![CDATA[never closed",
            "<",
            "\u{e9}\u{4e2d}",
            "<property name=\"a\" value=\"x>y/>\"/>",
            "<p a='1' b=\"'\"/>",
            "<p/>",
            "<p a=\"unterminated/>",
            "<1bad/>",
            "<p:q x=\"1\"\n/>",
            "<open>",
            "<p\"x\"/>",
            "<testcase name=\"a>b\" time=\"1\"/>",
            "<testcase name='q' />",
            "<testcase name=\"it's\"/>",
            "<testcase\n  classname=\"c\"\n  name=\"n\"\n/>",
            "<testcase name=\"k\"><skipped/></testcase>",
            "<testcase/>",
            "<testcase name=\"s\" / >",
            "<testcasex a=\"1\"/>",
            "<testcase name=\"lt<\"/>",
            "<testcase name=\"&amp;&#x41;\" time=\"1,5\"/>",
            "<testcase name=\"cut\"/",
            "<testcase name=\"dup\" name=\"dup2\"/>",
        ];
        let mut docs = Vec::new();
        for a in &pieces {
            for b in &pieces {
                for c in ["", "\n  ", "<![CDATA[z]]>"] {
                    let body = format!("{a}{b}{c}");
                    docs.push(format!(
                        "<testsuites><testsuite name=\"s\">\n {a}{b} \
                         <testcase classname=\"c\" name=\"v\" time=\"1\"/>{c}</testsuite>\
                         <testcase name=\"after\"/></testsuites>"
                    ));
                    docs.push(format!(
                        "<testsuite name=\"s\"><properties>{body}</properties>\
                         <testcase name=\"t\"><failure message=\"\">{body}</failure>\
                         <system-out>{body}</system-out ><system-err>{body}\n</system-err>\
                         </testcase><testcase name=\"u\"/></testsuite>"
                    ));
                }
            }
        }
        let mut checked = 0;
        for doc in &docs {
            let cuts = (1..doc.len())
                .filter(|&i| doc.is_char_boundary(i))
                .step_by(7);
            for end in cuts.chain([doc.len()]) {
                let bytes = &doc.as_bytes()[..end];
                let fast = format!("{:?}", parse_with(bytes, &[], true));
                let slow = format!("{:?}", parse_with(bytes, &[], false));
                assert_eq!(fast, slow, "document {:?}", &doc[..end]);
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    #[test]
    fn cdata_end_finds_the_first_closing_marker() {
        for hay in [
            "a]]>",
            "]>]]>",
            "x]]]>",
            "]]",
            ">",
            "",
            "a > b ]] c ]]> d ]]>",
            "[t-1] ok]]>",
        ] {
            assert_eq!(cdata_end(hay.as_bytes()), hay.find("]]>"), "{hay:?}");
        }
    }

    /// The block scan counts what a byte-by-byte loop counts, at every length and alignment
    /// (the 16-byte blocks, the padded tail, the 255-block counter limit).
    #[test]
    fn scan_tag_matches_a_plain_loop() {
        let alphabet = b"ab \"'<&\t\n\r=/x";
        let mut seed = 0x9e37_79b9_u32;
        for len in (0..80).chain([4079, 4080, 4081, 9000]) {
            for _ in 0..20 {
                let tag: Vec<u8> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        alphabet[(seed >> 16) as usize % alphabet.len()]
                    })
                    .collect();
                let scan = scan_tag(&tag);
                let quotes = tag.iter().filter(|&&b| b == b'"').count();
                assert_eq!(scan.odd_quotes, quotes % 2 == 1);
                assert_eq!(scan.apostrophes, tag.contains(&b'\''));
                assert_eq!(scan.lt, tag.contains(&b'<'));
                assert_eq!(
                    scan.to_normalise,
                    tag.iter().any(|b| b"&\t\n\r".contains(b))
                );
            }
        }
    }

    /// The same check on every fixture the project ships, and on the conformance corpus
    /// (`../shared/junit-corpus`, read in place) where it is present.
    #[test]
    fn fast_paths_read_fixtures_as_quick_xml_does() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "xml") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        walk(&root.join("fixtures"), &mut files);
        assert!(files.len() > 20, "{}", files.len());
        let corpus = root.join("../shared/junit-corpus");
        if corpus.is_dir() {
            walk(&corpus, &mut files);
        }
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let fast = format!("{:?}", parse_with(&bytes, &[], true));
            let slow = format!("{:?}", parse_with(&bytes, &[], false));
            assert_eq!(fast, slow, "{}", path.display());
        }
    }

    #[test]
    fn surefire_retries_are_read() {
        let r = parse(
            br#"<?xml version="1.0"?>
<testsuite name="S" timestamp="2024-01-02T03:04:05">
  <testcase classname="a.B" name="ok" time="0.5"/>
  <testcase classname="a.B" name="flaky" time="0.1">
    <flakyFailure message="boom 1" type="AssertionError" time="0.2"><stackTrace>at x</stackTrace></flakyFailure>
    <flakyFailure message="boom 2" type="AssertionError" time="0.3"/>
  </testcase>
  <testcase classname="a.B" name="bad" time="1,234.5">
    <failure message="expected &lt;1&gt; but was &lt;2&gt;" type="AE"><![CDATA[trace]]></failure>
    <rerunFailure message="again"/>
    <system-out><![CDATA[hello out]]></system-out>
  </testcase>
  <testcase classname="a.B" name="skip"><skipped/></testcase>
</testsuite>"#,
        );
        assert!(r.complete && r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(
            names(&r),
            vec![
                ("a.B", "ok", Some(Outcome::Passed)),
                ("a.B", "flaky", Some(Outcome::Passed)),
                ("a.B", "bad", Some(Outcome::Failed)),
                ("a.B", "skip", Some(Outcome::Skipped)),
            ]
        );
        let flaky = &r.cases[1];
        assert_eq!(
            (flaky.flaky_retries, flaky.retries_time.get()),
            (2, Some(0.5))
        );
        assert_eq!(r.str(r.detail(flaky).message), "boom 1");
        let bad = &r.cases[2];
        assert_eq!(bad.time.get(), Some(1234.5));
        assert_eq!(bad.rerun_retries, 1);
        assert_eq!(r.str(r.detail(bad).message), "expected <1> but was <2>");
        assert_eq!(r.str(r.detail(bad).output), "hello out");
        assert_eq!(r.str(bad.suite), "S");
        assert_eq!(
            r.earliest_timestamp.map(|t| t.to_string()).as_deref(),
            Some("2024-01-02T03:04:05Z")
        );
    }

    #[test]
    fn placeholder_timestamps_are_ignored_with_a_warning() {
        let r = parse(
            b"<testsuites><testsuite name=\"a\" timestamp=\"1970-01-01T00:00:00\"><testcase name=\"t\"/></testsuite>\
              <testsuite name=\"b\" timestamp=\"2026-03-01T10:00:00Z\"/></testsuites>",
        );
        assert_eq!(
            r.earliest_timestamp.map(|t| t.to_string()).as_deref(),
            Some("2026-03-01T10:00:00Z")
        );
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(
            r.problems[0]
                .message
                .contains("is before 2000, a placeholder")
        );
    }

    /// gotestsum and go-junit-report write `message="Failed"` on every failure: the body says
    /// what failed (without go's `=== RUN` line), so two failures differ; with no body the
    /// placeholder stays.
    #[test]
    fn a_placeholder_message_gives_way_to_the_body() {
        let r = parse(
            b"<testsuite>\
              <testcase name=\"a\"><failure message=\"Failed\" type=\"\">=== RUN   a&#xA;    a_test.go:9: want 1, got 2&#xA;--- FAIL: a (0.00s)&#xA;</failure></testcase>\
              <testcase name=\"b\"><failure message=\"Failed\" type=\"\">=== RUN   b&#xA;panic: test timed out after 2s&#xA;</failure></testcase>\
              <testcase name=\"c\"><failure message=\"Failed\"/></testcase>\
              <testcase name=\"d\"><failure message=\"Failed\"><![CDATA[    parse_test.go:42: bad]]></failure></testcase>\
              <testcase name=\"e\"><failure message=\"expected 1\">trace</failure></testcase>\
              </testsuite>",
        );
        let messages: Vec<&str> = r.cases.iter().map(|c| r.str(r.detail(c).message)).collect();
        assert_eq!(
            messages,
            [
                "a_test.go:9: want 1, got 2",
                "panic: test timed out after 2s",
                "Failed",
                "parse_test.go:42: bad",
                "expected 1",
            ]
        );
    }

    /// The same failure of several tests (an external service down) is the same message once
    /// go's framing, which names each test, is dropped: before and after the output, and
    /// around subtests; a line that only looks like it stays.
    #[test]
    fn go_framing_around_and_inside_a_failure_is_dropped() {
        let r = parse(
            b"<testsuite>\
              <testcase name=\"TestCharge\"><failure message=\"Failed\">=== RUN   TestCharge&#xA;    helper_test.go:46: dial tcp 10.0.3.7:8443: connect: connection refused&#xA;--- FAIL: TestCharge (0.00s)&#xA;</failure></testcase>\
              <testcase name=\"TestRefund\"><failure message=\"Failed\">=== RUN   TestRefund&#xA;    helper_test.go:46: dial tcp 10.0.3.7:8443: connect: connection refused&#xA;--- FAIL: TestRefund (1.25s)&#xA;</failure></testcase>\
              <testcase name=\"TestT\"><failure message=\"Failed\">=== RUN   TestT&#xA;=== RUN   TestT/sub_1&#xA;    t_test.go:5: bad&#xA;    --- FAIL: TestT/sub_1 (0.00s)&#xA;--- FAIL: TestT (0.00s)&#xA;</failure></testcase>\
              <testcase name=\"TestU\"><failure message=\"Failed\">--- FAIL: not a test line&#xA;    u_test.go:5: bad</failure></testcase>\
              </testsuite>",
        );
        let messages: Vec<&str> = r.cases.iter().map(|c| r.str(r.detail(c).message)).collect();
        assert_eq!(
            messages,
            [
                "helper_test.go:46: dial tcp 10.0.3.7:8443: connect: connection refused",
                "helper_test.go:46: dial tcp 10.0.3.7:8443: connect: connection refused",
                "t_test.go:5: bad",
                "--- FAIL: not a test line\n    u_test.go:5: bad",
            ]
        );
    }

    /// cargo-nextest 0.9.143 (Rust 1.95) writes where a test panicked as the message and the
    /// panic's message in the body: the body's message is the failure's.
    #[test]
    fn a_rust_panic_location_gives_way_to_what_the_panic_said() {
        let r = parse(
            b"<testsuite>\
              <testcase name=\"a\"><failure message=\"thread &apos;a&apos; (10253) panicked at tests/api.rs:2:52\" type=\"test failure with exit code 101\">thread &apos;a&apos; (10253) panicked at tests/api.rs:2:52:&#xA;called `Result::unwrap()` on an `Err` value: refused&#xA;note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace</failure></testcase>\
              <testcase name=\"b\"><failure message=\"thread &apos;b&apos; panicked at src/lib.rs:5:9\">thread &apos;b&apos; panicked at src/lib.rs:5:9:&#xA;assertion `left == right` failed&#xA;  left: 1&#xA; right: 2</failure></testcase>\
              <testcase name=\"c\"><failure message=\"thread &apos;c&apos; panicked at &apos;boom&apos;, src/lib.rs:5:9\">x</failure></testcase>\
              <testcase name=\"d\"><failure message=\"thread &apos;d&apos; panicked at src/lib.rs:5:9\"/></testcase>\
              </testsuite>",
        );
        let messages: Vec<&str> = r.cases.iter().map(|c| r.str(r.detail(c).message)).collect();
        assert_eq!(
            messages,
            [
                "called `Result::unwrap()` on an `Err` value: refused",
                "assertion `left == right` failed\n  left: 1\n right: 2",
                "thread 'c' panicked at 'boom', src/lib.rs:5:9",
                "thread 'd' panicked at src/lib.rs:5:9",
            ]
        );
    }

    /// cargo-nextest 0.9.143 writes a retried attempt's panic the same way, in <flakyFailure>
    /// (and <rerunFailure>): its message is the panic's too, so that the flake and a later
    /// failure the same way share a fingerprint.
    #[test]
    fn a_retried_attempts_panic_location_gives_way_too() {
        let attempt = |element: &str| {
            format!(
                "<{element} message=\"thread &apos;u03&apos; (27056) panicked at src/lib.rs:26:24\" \
                 type=\"test failure\">thread &apos;u03&apos; (27056) panicked at src/lib.rs:26:24:&#xA;\
                 timeout waiting for lock after 250ms&#xA;note: run with `RUST_BACKTRACE=1` \
                 environment variable to display a backtrace</{element}>"
            )
        };
        let xml = format!(
            "<testsuite><testcase name=\"a\">{}</testcase>\
             <testcase name=\"b\">{}</testcase>\
             <testcase name=\"c\"><flakyFailure message=\"expected 2\">long text</flakyFailure></testcase>\
             <testcase name=\"d\"><flakyFailure message=\"Failed\"/></testcase></testsuite>",
            attempt("flakyFailure"),
            attempt("failure"),
        );
        let r = parse(xml.as_bytes());
        let messages: Vec<&str> = r.cases.iter().map(|c| r.str(r.detail(c).message)).collect();
        assert_eq!(
            messages,
            [
                "timeout waiting for lock after 250ms",
                "timeout waiting for lock after 250ms",
                "expected 2",
                "Failed"
            ]
        );
    }

    /// A panic over 1 KiB (a backtrace, a long `assert_eq!` diff) is cut at the cap after its
    /// location line is dropped, so the fingerprint sees a cut message and hashes the part the
    /// cut always reaches: a shorter number early on, or another thread id, moves nothing.
    #[test]
    fn a_long_panic_is_cut_after_its_location_is_dropped() {
        let failure = |thread: &str, took: &str| {
            let filler = "at shop::tests::helper (src/lib.rs:10:5)&#xA;".repeat(40);
            format!(
                "<testsuite><testcase name=\"i04\"><failure message=\"thread &apos;i04&apos; \
                 ({thread}) panicked at src/lib.rs:26:24\">thread &apos;i04&apos; ({thread}) \
                 panicked at src/lib.rs:26:24:&#xA;connection reset after {took}&#xA;{filler}\
                 </failure></testcase></testsuite>"
            )
        };
        let fingerprint_of = |xml: String| {
            let r = parse(xml.as_bytes());
            let message = r.str(r.detail(&r.cases[0]).message).to_owned();
            assert!(message.starts_with("connection reset after"), "{message}");
            assert!(message.len() + 4 >= MESSAGE_MAX, "{}", message.len());
            crate::domain::fingerprint::fingerprint("", &message)
        };
        let first = fingerprint_of(failure("27056", "910ms"));
        assert_eq!(fingerprint_of(failure("27056", "78ms")), first);
        assert_eq!(fingerprint_of(failure("7", "910ms")), first);
    }

    /// gotestsum's `--junitfile-testcase-classname short` writes `classname="."` for TestMain.
    #[test]
    fn a_dot_classname_is_no_classname() {
        let r = parse(
            b"<testsuite name=\"hgo/broken\"><testcase classname=\".\" name=\"TestMain\"/>\
              <testcase classname=\".\" name=\"TestOther\"/><testcase classname=\"./x\" name=\"t\"/></testsuite>",
        );
        let classes: Vec<&str> = r.cases.iter().map(|c| r.str(c.classname)).collect();
        assert_eq!(classes, ["", "", "./x"]);
    }

    #[test]
    fn message_falls_back_to_body_text() {
        let r = parse(
            b"<testsuite><testcase name=\"t\"><failure><![CDATA[\n  line one\nline two]]></failure></testcase></testsuite>",
        );
        assert_eq!(r.str(r.detail(&r.cases[0]).message), "line one\nline two");
    }

    #[test]
    fn truncated_report_keeps_earlier_cases() {
        let r = parse(b"<testsuite name=\"s\">\n<testcase name=\"a\"/>\n<testcase name=\"b\"><failure message=\"x\">tra");
        assert!(!r.complete);
        // b's <failure> had begun: b is kept, failed, with the message its start tag gave.
        assert_eq!(r.cases.len(), 2);
        assert_eq!(r.cases[1].outcome, Some(Outcome::Failed));
        assert_eq!(r.str(r.detail(&r.cases[1]).message), "x");
        let p = &r.problems[0];
        assert_eq!(p.severity, Severity::Error);
        assert!(p.message.contains("unexpected end of file"), "{p}");
        assert!(
            p.message
                .contains("1 test case before it kept, and the test case cut short kept as failed"),
            "{p}"
        );
        let r = parse(b"<testsuites><testsuite name=\"s\"><testcase name=\"a\"></testcase>");
        assert_eq!(r.cases.len(), 1);
        assert!(
            r.problems[0].message.contains("<testsuite> opened at 1:13"),
            "{}",
            r.problems[0]
        );
        // Cut inside a tag: the open element is the test case, where it opened; the problem
        // itself sits at the end of the file. The <failure> tag never ended, so b's outcome is
        // not known and b is left out.
        let r = parse(b"<testsuite>\n  <testcase name=\"a\"/>\n  <testcase name=\"b\">\n    <failure message=\"bo");
        assert_eq!(r.cases.len(), 1);
        let p = &r.problems[0];
        assert!(p.message.contains("<testcase> opened at 3:3"), "{p}");
        assert_eq!((p.line, p.column), (4, 25), "{p}");
    }

    #[test]
    fn non_junit_root_is_refused() {
        let r = parse(b"<?xml version=\"1.0\"?>\n<test-run><test-case/></test-run>");
        assert!(r.cases.is_empty());
        assert_eq!((r.problems[0].line, r.problems[0].column), (2, 1));
        assert!(r.problems[0].message.contains("not a JUnit report"));
    }

    #[test]
    fn output_before_a_non_junit_element_is_named_as_such() {
        // doctest's exe_with_static_libs_junit.txt: the program's stdout precedes the report.
        let r = parse(b"<?xml version=\"1.0\"?>\nhello from <main.cpp>\n<testsuites></testsuites>");
        assert!(r.cases.is_empty());
        let error = r.problems.iter().find(|p| p.severity == Severity::Error);
        let error = error.expect("an error");
        assert_eq!((error.line, error.column), (2, 12));
        assert!(error.message.contains("program output mixed"), "{error}");
    }

    #[test]
    fn entity_declarations_are_refused() {
        let r = parse(
            b"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\
              <testsuite><testcase name=\"&lol2;\"/></testsuite>",
        );
        assert!(r.cases.is_empty());
        assert!(r.problems[0].message.contains("entities"));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut doc = String::from("<testsuites>");
        for _ in 0..100_000 {
            doc.push_str("<testsuite>");
        }
        let r = parse(doc.as_bytes());
        assert!(r.problems[0].message.contains("nested deeper"));
        // Its path is shortened: the first two levels and the last three.
        assert_eq!(
            r.problems[0].element,
            "testsuites/testsuite[1]/…59 levels…/testsuite[1]/testsuite[1]/testsuite[1]"
        );
    }

    #[test]
    fn mismatched_tag_keeps_earlier_cases() {
        let r =
            parse(b"<testsuite><testcase name=\"a\"/><testcase name=\"b\"></testcas></testsuite>");
        assert_eq!(r.cases.len(), 1);
        assert_eq!(r.problems[0].severity, Severity::Error);
        assert!(
            r.problems[0].element.starts_with("testsuite"),
            "{}",
            r.problems[0]
        );
    }

    #[test]
    fn odd_times_warn_with_an_element_path() {
        let r = parse(b"<testsuites><testsuite><testcase name=\"a\"/><testcase name=\"b\" time=\"-1\"/></testsuite></testsuites>");
        assert_eq!(r.cases[1].time.get(), None);
        assert_eq!(
            r.problems[0].element,
            "testsuites/testsuite[1]/testcase[2]/@time"
        );
        assert_eq!(r.problems[0].severity, Severity::Warning);
    }

    #[test]
    fn an_attribute_given_twice_keeps_the_first_with_a_warning() {
        let r = parse(
            b"<testsuite><testcase classname=\"C\" name=\"a\" name=\"b\" time=\"1\" \
              time=\"2\"/></testsuite>",
        );
        assert_eq!(r.str(r.cases[0].name), "a");
        assert_eq!(r.cases[0].time.get(), Some(1.0));
        let found: Vec<_> = r.problems.iter().map(|p| p.element.as_str()).collect();
        assert_eq!(
            found,
            [
                "testsuite[1]/testcase[1]/@name",
                "testsuite[1]/testcase[1]/@time"
            ]
        );
        assert!(
            r.problems[0].message.contains("given twice"),
            "{}",
            r.problems[0]
        );
        // PHPUnit's `class` and `classname` are two attributes: the classname is taken.
        for tag in [
            &b"<testsuite><testcase class=\"A\\B\" classname=\"A.B\" name=\"t\"/></testsuite>"[..],
            b"<testsuite><testcase classname=\"A.B\" class=\"A\\B\" name=\"t\"/></testsuite>",
        ] {
            let r = parse(tag);
            assert_eq!(r.str(r.cases[0].classname), "A.B");
            assert!(r.problems.is_empty(), "{:?}", r.problems);
        }
    }

    #[test]
    fn status_attributes_and_namespaces() {
        let r = parse(
            b"<ns:testsuites xmlns:ns=\"u\"><ns:testsuite name=\"g\">\
              <ns:testcase name=\"n\" status=\"notrun\"/><ns:testcase name=\"f\" status=\"fail\"/>\
              <ns:testcase name=\"p\" status=\"run\" result=\"completed\"/></ns:testsuite></ns:testsuites>",
        );
        let outcomes: Vec<_> = r.cases.iter().map(|c| c.outcome).collect();
        assert_eq!(
            outcomes,
            vec![
                Some(Outcome::Skipped),
                Some(Outcome::Failed),
                Some(Outcome::Passed)
            ]
        );
    }

    #[test]
    fn testcases_nested_in_testcases_are_read_in_document_order() {
        // xunit-viewer's test.xml: a sub-test inside a test case, and a suite inside another.
        let r = parse(
            b"<testsuites><testsuite name=\"s\">\
              <testcase name=\"outer\"><failure message=\"m\"/><testcase name=\"sub\"/></testcase>\
              <testcase name=\"holder\"><testsuite name=\"inner\"><testcase name=\"deep\"/></testsuite></testcase>\
              <testcase name=\"last\"/></testsuite></testsuites>",
        );
        assert!(r.complete && r.problems.is_empty(), "{:?}", r.problems);
        let read: Vec<_> = r
            .cases
            .iter()
            .map(|c| (r.str(c.suite), r.str(c.name), c.outcome))
            .collect();
        assert_eq!(
            read,
            vec![
                ("s", "outer", Some(Outcome::Failed)),
                ("s", "sub", Some(Outcome::Passed)),
                ("s", "holder", Some(Outcome::Passed)),
                ("inner", "deep", Some(Outcome::Passed)),
                ("s", "last", Some(Outcome::Passed)),
            ]
        );
    }

    #[test]
    fn lt_in_attribute_value_is_a_located_error() {
        // xunit-viewer's with_html.xml: expat rejects it, quick-xml alone would not.
        let r = parse(
            b"<testsuite>\n  <testcase name=\"a\">\n    <error message=\"<b>BOO</b>\" type=\"<i>x</i>\"/>\n  </testcase>\n\
              <testcase name=\"b\"><failure message=\"x < y\"/></testcase></testsuite>",
        );
        assert_eq!(
            r.cases.len(),
            2,
            "the structure is intact, so reading goes on"
        );
        let errors: Vec<_> = r
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .collect();
        assert_eq!(errors.len(), 1, "{:?}", r.problems);
        let p = errors[0];
        assert_eq!((p.line, p.column), (3, 21));
        assert_eq!(p.element, "testsuite[1]/testcase[1]/error/@message");
        assert!(p.message.contains("&lt;"), "{p}");
        assert!(p.message.contains("1 more attribute values"), "{p}");
    }

    #[test]
    fn garbage_after_root_is_a_warning() {
        let r = parse(b"<testsuite><testcase name=\"a\"/></testsuite>\ngarbage");
        assert_eq!(r.cases.len(), 1);
        assert!(!r.has_errors());
        assert!(r.problems[0].message.contains("after the root"));
    }

    #[test]
    fn control_characters_are_found_in_any_block() {
        assert_eq!(first_control_char(b"plain\ttext\r\n"), None);
        let mut long = vec![b'a'; 200];
        long[130] = 0x1b;
        assert_eq!(first_control_char(&long), Some(130));
        long[130] = b'a';
        long[199] = 0x01;
        assert_eq!(first_control_char(&long), Some(199));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let alphabet = b"<>/=\"' &;![]CDATA?xmltestsuitecasefailure\n\x00\xff\xfe";
        for len in 0..2000 {
            let bytes: Vec<u8> = (0..len % 300)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            let _ = parse(&bytes);
        }
    }
}

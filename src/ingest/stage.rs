//! Ingest's staged rows: a run's folded rows reduced, in the parallel parse stage, to keys,
//! outcomes and the strings of its reports (so the reports' cases can be dropped; their strings
//! are kept, not copied, and a test's names are written only the first time an ingest sees the
//! test); then, in the sequential stage, batches of runs become the executions and tests
//! frames, in pieces of a bounded number of rows.

use crate::domain::{Status, report_key, run_key, scope, write_family, write_test_id};
use crate::fold::{CaseRef, Folded};
use crate::junit::{Detail, Line, Report, Str, Text};
use crate::store::schema::*;
use polars::prelude::*;
use polars_arrow::array::MutableBinaryViewArray;
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use rustc_hash::FxHashSet;
use std::ops::Range;
use std::sync::Mutex;

/// The test keys an ingest has already given names for, shared by the parallel parse stage so
/// that each test's names are copied once per ingest rather than once per run.
#[derive(Debug, Default)]
pub struct TestRegistry {
    seen: Mutex<FxHashSet<u64>>,
}

impl TestRegistry {
    /// Marks `keys` as seen; returns, per key, whether it was new.
    fn register(&self, keys: &[u64]) -> Vec<bool> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter().map(|k| seen.insert(*k)).collect()
    }
}

/// One run's rows, owning what they need once the reports' cases are gone, column by column
/// (so that a batch's columns are a copy of each run's, and the per-row work is done in the
/// parallel parse stage). Strings stay in the reports' arenas, which the run keeps: nothing is
/// copied per test, and a run of a million new tests holds its names once.
#[derive(Debug, Default)]
pub struct RunRows {
    pub(crate) run: String,
    pub(crate) variant: String,
    key: u64,
    /// The reports' strings, by report position.
    texts: Vec<Text>,
    /// The strings still pointed at were copied into `texts[0]` (the reports' arenas held far
    /// more).
    compacted: bool,
    /// A second copy of a run already in this ingest, kept for the names of the tests it saw
    /// first: no executions.
    names_only: bool,
    /// The key of each report of the run, by position (at most 65536 kept; see `report_key_of`).
    report_keys: Vec<u64>,
    tests: Vec<StoredTest>,
    test: Vec<u64>,
    /// The position of the report each row was first seen in.
    report: Vec<u32>,
    status: Vec<Status>,
    attempts: Vec<u32>,
    failed_attempts: Vec<u32>,
    /// NaN where unknown (a parsed duration is never NaN).
    duration: Vec<f64>,
    duration_last: Vec<f64>,
    /// How many durations (of both columns) are unknown.
    unknown_durations: usize,
    partial: Vec<bool>,
    /// The rows that have them, with their values: most rows passed and have none. Sorted by row.
    fingerprints: Vec<(u32, u64)>,
    failure_types: Vec<(u32, TextRef)>,
    messages: Vec<(u32, TextRef)>,
    outputs: Vec<(u32, TextRef)>,
}

/// The string `s` of report `report`'s arena.
fn text(texts: &[Text], report: u32, s: Str) -> &str {
    texts.get(report as usize).map_or("", |t| t.str(s))
}

/// A string in one of a run's report arenas.
#[derive(Debug, Clone, Copy)]
struct TextRef {
    report: u32,
    text: Str,
}

/// A test seen for the first time in this ingest: its row (which gives its key and report)
/// and its names.
#[derive(Debug)]
struct StoredTest {
    row: u32,
    suite: Str,
    classname: Str,
    name: Str,
    file: Str,
    line: Line,
}

impl RunRows {
    /// Takes a run's folded rows and its reports' strings (the reports' cases are dropped),
    /// keeping the names of the tests `registry` has not seen before in this ingest.
    pub fn new(
        run: String,
        variant: String,
        folded: Folded,
        mut reports: Vec<Report>,
        registry: &TestRegistry,
    ) -> RunRows {
        let new = registry.register(&folded.key);
        let key = run_key(&run, &variant);
        let case = |r: CaseRef| r.get(&reports).map(|(_, c)| c);
        let mut tests = Vec::with_capacity(new.iter().filter(|n| **n).count());
        for (row, (&first, _)) in folded
            .first
            .iter()
            .zip(&new)
            .enumerate()
            .filter(|(_, (_, is_new))| **is_new)
        {
            if let Some(c) = case(first) {
                tests.push(StoredTest {
                    row: u32::try_from(row).unwrap_or(u32::MAX),
                    suite: c.suite,
                    classname: c.classname,
                    name: c.name,
                    file: c.file,
                    line: c.line,
                });
            }
        }
        drop(new);
        let detail = |r: CaseRef| r.get(&reports).map(|(report, c)| report.detail(c));
        let sparse = |refs: &[CaseRef], f: fn(Detail) -> Str| -> Vec<(u32, TextRef)> {
            refs.iter()
                .enumerate()
                .filter_map(|(row, &r)| {
                    let text = f(detail(r)?);
                    (!text.is_empty()).then(|| {
                        let row = u32::try_from(row).unwrap_or(u32::MAX);
                        (
                            row,
                            TextRef {
                                report: r.report,
                                text,
                            },
                        )
                    })
                })
                .collect()
        };
        let mut failure_types = sparse(&folded.detail, |d| d.failure_type);
        let mut messages = sparse(&folded.detail, |d| d.message);
        let mut outputs = sparse(&folded.output, |d| d.output);
        // The cases go now; their strings stay, or only those still pointed at when they are a
        // small part (a run whose tests were all named before keeps its failures' messages).
        let mut texts: Vec<Text> = reports.iter_mut().map(Report::take_text).collect();
        let report_count = reports.len();
        drop(reports);
        drop((folded.detail, folded.output));
        let report: Vec<u32> = folded.first.iter().map(|r| r.report).collect();
        drop(folded.first);
        let report_of = |t: &StoredTest| report.get(t.row as usize).copied().unwrap_or_default();
        let held: usize = texts.iter().map(Text::len).sum();
        let needed: usize = tests
            .iter()
            .flat_map(|t| [t.suite, t.classname, t.name, t.file].map(|s| (report_of(t), s)))
            .chain(
                [&failure_types, &messages, &outputs]
                    .into_iter()
                    .flatten()
                    .map(|(_, r)| (r.report, r.text)),
            )
            .map(|(report, s)| text(&texts, report, s).len())
            .sum();
        let mut compacted = false;
        if needed.saturating_mul(4) < held {
            let mut kept = Text::default();
            for t in &mut tests {
                let report = report_of(t);
                for s in [&mut t.suite, &mut t.classname, &mut t.name, &mut t.file] {
                    *s = kept.push(text(&texts, report, *s));
                }
            }
            for list in [&mut failure_types, &mut messages, &mut outputs] {
                for (_, r) in list.iter_mut() {
                    *r = TextRef {
                        report: 0,
                        text: kept.push(text(&texts, r.report, r.text)),
                    };
                }
            }
            texts = vec![kept];
            compacted = true;
        }
        let unknown_durations = folded.duration.iter().filter(|d| d.is_nan()).count()
            + folded.duration_last.iter().filter(|d| d.is_nan()).count();
        // Report keys hashed once per report, not once per row. A run has a handful of
        // reports; the bound only keeps an absurd number of them from filling the list.
        let report_keys = (0..report_count.min(1 << 16))
            .map(|at| report_key(key, u32::try_from(at).unwrap_or(u32::MAX)))
            .collect();
        RunRows {
            key,
            run,
            variant,
            texts,
            compacted,
            names_only: false,
            report_keys,
            tests,
            test: folded.key,
            report,
            status: folded.status,
            attempts: folded.attempts,
            failed_attempts: folded.failed_attempts,
            duration: folded.duration,
            duration_last: folded.duration_last,
            unknown_durations,
            partial: folded.partial,
            fingerprints: folded.fingerprints,
            failure_types,
            messages,
            outputs,
        }
    }

    /// Executions.
    pub fn len(&self) -> usize {
        if self.names_only { 0 } else { self.test.len() }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key of a test named first here.
    fn test_key(&self, t: &StoredTest) -> u64 {
        self.test.get(t.row as usize).copied().unwrap_or_default()
    }

    /// The arena holding the names of a test named first here: its report's, or the one arena
    /// left after compaction.
    fn test_text(&self, t: &StoredTest) -> u32 {
        if self.compacted {
            0
        } else {
            self.report.get(t.row as usize).copied().unwrap_or_default()
        }
    }

    /// The same run without its executions: only the names of the tests it saw first.
    pub(crate) fn names_only(self) -> RunRows {
        RunRows {
            run: self.run,
            variant: self.variant,
            key: self.key,
            texts: self.texts,
            compacted: self.compacted,
            names_only: true,
            tests: self.tests,
            test: self.test,
            report: self.report,
            ..RunRows::default()
        }
    }

    /// Tests named for the first time in this ingest by this run.
    pub(crate) fn new_tests(&self) -> usize {
        self.tests.len()
    }

    fn get(&self, r: TextRef) -> &str {
        self.str(r.report, r.text)
    }

    fn str(&self, report: u32, s: Str) -> &str {
        text(&self.texts, report, s)
    }

    fn report_key_of(&self, report: u32) -> u64 {
        self.report_keys
            .get(report as usize)
            .copied()
            .unwrap_or_else(|| report_key(self.key, report))
    }
}

/// Part of a batch: some rows of one run (or some of the tests it named first).
pub(crate) struct Piece<'a> {
    run: &'a RunRows,
    rows: Range<usize>,
}

/// A batch cut into pieces of at most `max` rows, counted by `len` (a run's executions, or the
/// tests it named first), so that the frames written for a batch stay small however many rows
/// one run holds. Pieces fill up in order; a run that does not fit in what is left of one goes
/// on in the next.
pub(crate) fn pieces<'a>(
    runs: &'a [RunRows],
    max: usize,
    len: fn(&RunRows) -> usize,
) -> Vec<Vec<Piece<'a>>> {
    let max = max.max(1);
    let mut out: Vec<Vec<Piece<'a>>> = Vec::new();
    let mut current: Vec<Piece<'a>> = Vec::new();
    let mut filled = 0usize;
    for run in runs {
        let mut start = 0;
        let n = len(run);
        while start < n {
            if filled == max {
                out.push(std::mem::take(&mut current));
                filled = 0;
            }
            let take = (n - start).min(max - filled);
            current.push(Piece {
                run,
                rows: start..start + take,
            });
            filled += take;
            start += take;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The entries of a list sorted by row that fall in `rows`.
fn within<'a, T>(list: &'a [(u32, T)], rows: &Range<usize>) -> &'a [(u32, T)] {
    let lo = list.partition_point(|(row, _)| (*row as usize) < rows.start);
    let hi = list.partition_point(|(row, _)| (*row as usize) < rows.end);
    list.get(lo..hi).unwrap_or(&[])
}

/// The stored executions table (test names by key) for some rows of a batch.
pub(crate) fn executions_frame(pieces: &[Piece<'_>]) -> PolarsResult<DataFrame> {
    let height: usize = pieces.iter().map(|p| p.rows.len()).sum();
    // Each column a copy of the pieces' columns, one after the other.
    fn concat<T: Copy, U>(
        pieces: &[Piece<'_>],
        height: usize,
        f: fn(&RunRows) -> &[T],
        map: fn(T) -> U,
    ) -> Vec<U> {
        let mut out = Vec::with_capacity(height);
        for p in pieces {
            let column = f(p.run);
            out.extend(
                column
                    .get(p.rows.clone())
                    .unwrap_or(&[])
                    .iter()
                    .map(|v| map(*v)),
            );
        }
        out
    }
    let mut run_keys = Vec::with_capacity(height);
    pieces
        .iter()
        .for_each(|p| run_keys.extend(std::iter::repeat_n(p.run.key, p.rows.len())));
    let mut report_keys = Vec::with_capacity(height);
    for p in pieces {
        let reports = p.run.report.get(p.rows.clone()).unwrap_or(&[]);
        report_keys.extend(reports.iter().map(|r| p.run.report_key_of(*r)));
    }
    let unknown_durations = pieces.iter().any(|p| p.run.unknown_durations > 0);
    let durations = |name: &str, f: fn(&RunRows) -> &[f64]| {
        let values = concat(pieces, height, f, |v| v);
        if unknown_durations {
            let known: MutableBitmap = values.iter().map(|v| !v.is_nan()).collect();
            Float64Chunked::from_vec_validity(name.into(), values, Some(known.into())).into_column()
        } else {
            Float64Chunked::from_vec(name.into(), values).into_column()
        }
    };
    // Sparse columns: the values at the rows that have one, nulls in between.
    let mut fingerprints = vec![0u64; height];
    let mut fingerprint_known = MutableBitmap::from_len_zeroed(height);
    let mut failure_types = SparseStrings::with_capacity(height);
    let mut messages = SparseStrings::with_capacity(height);
    let mut outputs = SparseStrings::with_capacity(height);
    let mut offset = 0;
    for p in pieces {
        let r = p.run;
        for &(row, value) in within(&r.fingerprints, &p.rows) {
            let at = offset + row as usize - p.rows.start;
            if let Some(slot) = fingerprints.get_mut(at) {
                *slot = value;
                fingerprint_known.set(at, true);
            }
        }
        failure_types.extend(p, offset, &r.failure_types);
        messages.extend(p, offset, &r.messages);
        outputs.extend(p, offset, &r.outputs);
        offset += p.rows.len();
    }
    let fingerprint_known = Bitmap::from(fingerprint_known);
    let fingerprint_known = (fingerprint_known.unset_bits() > 0).then_some(fingerprint_known);
    let columns = vec![
        UInt64Chunked::from_vec(RUN_KEY.into(), run_keys).into_column(),
        UInt64Chunked::from_vec(TEST.into(), concat(pieces, height, |r| &r.test, |v| v))
            .into_column(),
        UInt64Chunked::from_vec(REPORT_KEY.into(), report_keys).into_column(),
        UInt32Chunked::from_vec(
            STATUS.into(),
            concat(pieces, height, |r| &r.status, Status::code),
        )
        .into_column(),
        UInt32Chunked::from_vec(
            ATTEMPTS.into(),
            concat(pieces, height, |r| &r.attempts, |v| v),
        )
        .into_column(),
        UInt32Chunked::from_vec(
            FAILED_ATTEMPTS.into(),
            concat(pieces, height, |r| &r.failed_attempts, |v| v),
        )
        .into_column(),
        durations(DURATION, |r| &r.duration),
        durations(DURATION_LAST, |r| &r.duration_last),
        failure_types.finish(FAILURE_TYPE, height),
        messages.finish(MESSAGE, height),
        UInt64Chunked::from_vec_validity(FINGERPRINT.into(), fingerprints, fingerprint_known)
            .into_column(),
        outputs.finish(OUTPUT, height),
        BooleanChunked::from_iter_values(
            PARTIAL.into(),
            pieces.iter().flat_map(|p| {
                p.run
                    .partial
                    .get(p.rows.clone())
                    .unwrap_or(&[])
                    .iter()
                    .copied()
            }),
        )
        .into_column(),
    ];
    DataFrame::new(height, columns)
}

/// A string column that is mostly null (failure messages, output excerpts), built from the
/// rows that have a value: the nulls between two values go in with one call.
struct SparseStrings {
    values: MutableBinaryViewArray<str>,
    len: usize,
}

impl SparseStrings {
    fn with_capacity(height: usize) -> Self {
        SparseStrings {
            values: MutableBinaryViewArray::with_capacity(height),
            len: 0,
        }
    }

    /// Appends the values of `piece`'s rows, its first row being row `offset` of the column.
    fn extend(&mut self, piece: &Piece<'_>, offset: usize, values: &[(u32, TextRef)]) {
        for &(row, text) in within(values, &piece.rows) {
            let at = offset + row as usize - piece.rows.start;
            if at < self.len {
                continue;
            }
            self.values.extend_null(at - self.len);
            self.values.push_value(piece.run.get(text));
            self.len = at + 1;
        }
    }

    fn finish(mut self, name: &str, height: usize) -> Column {
        self.values.extend_null(height.saturating_sub(self.len));
        StringChunked::with_chunk(name.into(), self.values.freeze()).into_column()
    }
}

/// The tests table for some of the tests named by a batch of runs (pieces counted by
/// [`RunRows::new_tests`]).
pub(crate) fn tests_frame(pieces: &[Piece<'_>]) -> PolarsResult<DataFrame> {
    let height: usize = pieces.iter().map(|p| p.rows.len()).sum();
    let tests = || {
        pieces.iter().flat_map(|p| {
            p.run
                .tests
                .get(p.rows.clone())
                .unwrap_or(&[])
                .iter()
                .map(move |t| (p.run, t))
        })
    };
    let str_col = |name: &str, f: fn(&StoredTest) -> Str| {
        let mut values = MutableBinaryViewArray::<str>::with_capacity(height);
        tests().for_each(|(r, t)| values.push_value(r.str(r.test_text(t), f(t))));
        StringChunked::with_chunk(name.into(), values.freeze()).into_column()
    };
    // The test id and family are written from the names, one scratch string reused.
    let id_col = |name: &str, write: fn(&mut String, &str, &str)| {
        let mut values = MutableBinaryViewArray::<str>::with_capacity(height);
        let mut scratch = String::new();
        for (r, t) in tests() {
            let get = |s| r.str(r.test_text(t), s);
            write(
                &mut scratch,
                scope(get(t.classname), get(t.file), get(t.suite)),
                get(t.name),
            );
            values.push_value(&scratch);
        }
        StringChunked::with_chunk(name.into(), values.freeze()).into_column()
    };
    let columns = vec![
        UInt64Chunked::from_vec(TEST.into(), tests().map(|(r, t)| r.test_key(t)).collect())
            .into_column(),
        str_col(SUITE, |t| t.suite),
        str_col(CLASSNAME, |t| t.classname),
        str_col(NAME, |t| t.name),
        StringChunked::from_iter_options(
            FILE.into(),
            tests().map(|(r, t)| (!t.file.is_empty()).then(|| r.str(r.test_text(t), t.file))),
        )
        .into_column(),
        UInt32Chunked::from_iter_options(LINE.into(), tests().map(|(_, t)| t.line.get()))
            .into_column(),
        id_col(TEST_ID, write_test_id),
        id_col(FAMILY, write_family),
    ];
    DataFrame::new(height, columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of `n` tests `t0..`, every third failing with a message, from one report.
    fn run(name: &str, n: usize, registry: &TestRegistry) -> RunRows {
        let mut xml = String::from("<testsuite name=\"s\">");
        for i in 0..n {
            if i % 3 == 0 {
                xml.push_str(&format!(
                    "<testcase classname=\"{name}.C\" name=\"t{i}\" time=\"1\"><failure message=\"m{i}\" type=\"E\"/></testcase>"
                ));
            } else {
                xml.push_str(&format!(
                    "<testcase classname=\"{name}.C\" name=\"t{i}\" time=\"2\"/>"
                ));
            }
        }
        xml.push_str("</testsuite>");
        let reports = vec![crate::junit::parse(xml.as_bytes())];
        let folded = crate::fold::fold(&reports);
        RunRows::new(name.into(), String::new(), folded, reports, registry)
    }

    #[test]
    fn batches_are_cut_into_pieces_of_at_most_the_size_asked() {
        let registry = TestRegistry::default();
        let runs = [
            run("a", 3, &registry),
            run("b", 5, &registry),
            run("c", 2, &registry),
        ];
        let cut: Vec<Vec<(String, Range<usize>)>> = pieces(&runs, 4, RunRows::len)
            .iter()
            .map(|p| {
                p.iter()
                    .map(|p| (p.run.run.clone(), p.rows.clone()))
                    .collect()
            })
            .collect();
        let piece = |run: &str, rows: Range<usize>| (run.to_string(), rows);
        assert_eq!(
            cut,
            vec![
                vec![piece("a", 0..3), piece("b", 0..1)],
                vec![piece("b", 1..5)],
                vec![piece("c", 0..2)],
            ]
        );
    }

    #[test]
    fn frames_written_in_pieces_hold_what_one_frame_holds() {
        let registry = TestRegistry::default();
        let runs = [run("a", 7, &registry), run("b", 11, &registry)];
        let whole = |len: fn(&RunRows) -> usize,
                     frame: fn(&[Piece<'_>]) -> PolarsResult<DataFrame>| {
            let all = pieces(&runs, usize::MAX, len);
            assert_eq!(all.len(), 1);
            frame(&all[0]).expect("frame")
        };
        let cut = |len: fn(&RunRows) -> usize,
                   frame: fn(&[Piece<'_>]) -> PolarsResult<DataFrame>| {
            let parts = pieces(&runs, 4, len);
            assert!(parts.len() > 2);
            let mut frames = parts.iter().map(|p| frame(p).expect("frame"));
            let mut out = frames.next().expect("a piece");
            for f in frames {
                out.vstack_mut(&f).expect("same columns");
            }
            out
        };
        let executions = whole(RunRows::len, executions_frame);
        assert_eq!(executions.height(), 18);
        assert!(executions.equals_missing(&cut(RunRows::len, executions_frame)));
        let tests = whole(RunRows::new_tests, tests_frame);
        assert_eq!(tests.height(), 18);
        assert!(tests.equals_missing(&cut(RunRows::new_tests, tests_frame)));
        // The failures' messages and fingerprints land on their own rows.
        let messages: Vec<Option<String>> = executions
            .column(MESSAGE)
            .and_then(|c| c.str().cloned())
            .expect("strings")
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect();
        let want: Vec<Option<String>> = (0..7)
            .chain(0..11)
            .map(|i| (i % 3 == 0).then(|| format!("m{i}")))
            .collect();
        assert_eq!(messages, want);
        let fingerprints = executions
            .column(FINGERPRINT)
            .map(|c| c.null_count())
            .expect("column");
        assert_eq!(fingerprints, 18 - 3 - 4);
        let ids: Vec<String> = tests
            .column(TEST_ID)
            .and_then(|c| c.str().cloned())
            .expect("strings")
            .iter()
            .map(|v| v.unwrap_or_default().to_owned())
            .collect();
        assert_eq!(ids[0], "a.C::t0");
        assert_eq!(ids[17], "b.C::t10");
    }

    #[test]
    fn a_run_whose_tests_were_named_before_keeps_only_the_strings_it_needs() {
        // Names of the usual length; every third test fails with a short message.
        let run = |registry: &TestRegistry| {
            let mut xml = String::from("<testsuite name=\"pkg.integration.Suite\">");
            for i in 0..30 {
                let failure = if i % 3 == 0 {
                    format!("<failure message=\"m{i}\"/>")
                } else {
                    String::new()
                };
                xml.push_str(&format!(
                    "<testcase classname=\"pkg.integration.Class{i}\" name=\"test_a_behaviour_{i}\">{failure}</testcase>"
                ));
            }
            xml.push_str("</testsuite>");
            let reports = vec![crate::junit::parse(xml.as_bytes())];
            let folded = crate::fold::fold(&reports);
            RunRows::new("a".into(), String::new(), folded, reports, registry)
        };
        let registry = TestRegistry::default();
        let first = run(&registry);
        let again = run(&registry);
        assert!(!first.compacted && again.compacted);
        assert_eq!((first.new_tests(), again.new_tests()), (30, 0));
        let held = |r: &RunRows| r.texts.iter().map(Text::len).sum::<usize>();
        assert!(held(&again) * 4 < held(&first));
        let messages = |r: &RunRows| {
            let all = pieces(std::slice::from_ref(r), usize::MAX, RunRows::len);
            executions_frame(&all[0])
                .expect("frame")
                .column(MESSAGE)
                .and_then(|c| c.str().cloned())
                .expect("strings")
                .iter()
                .map(|v| v.map(str::to_owned))
                .collect::<Vec<_>>()
        };
        assert_eq!(messages(&first), messages(&again));
        assert_eq!(messages(&again)[3].as_deref(), Some("m3"));
    }

    #[test]
    fn registry_names_each_test_once() {
        let registry = TestRegistry::default();
        assert_eq!(registry.register(&[1, 2]), [true, true]);
        assert_eq!(registry.register(&[2, 3, 3]), [false, true, false]);
    }
}

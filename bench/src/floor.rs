//! The throughput floor: the least work any JUnit ingester must do, done as fast as possible.
//!
//! Every `*.xml` file is read whole and run through a bare quick-xml event loop that borrows from
//! the input, reads `classname`, `name` and `time` of each `<testcase>` (start or self-closing),
//! sums the times and counts the cases. Nothing is unescaped, stored or written. `testsift
//! ingest` does strictly more, so its throughput divided by this one says how much of the
//! machine's budget the real pipeline spends beyond parsing.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use rayon::prelude::*;

use crate::error::{BenchError, Result};

const TESTCASE: &str = "testcase";
const CLASSNAME: &str = "classname";
const NAME: &str = "name";
const TIME: &str = "time";

/// What one run of the floor measured.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Totals {
    /// Report files read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// `<testcase>` elements seen.
    pub testcases: u64,
    /// Sum of the parseable `time` attributes, in seconds.
    pub time_sum: f64,
    /// Files that could not be read or were not well-formed, with the reason.
    pub errors: Vec<String>,
}

impl Totals {
    /// The one-line JSON the `floor` binary prints.
    pub fn to_json(&self, seconds: f64, threads: usize) -> String {
        let mb_per_s = if seconds > 0.0 {
            self.bytes as f64 / 1e6 / seconds
        } else {
            0.0
        };
        let cases_per_s = if seconds > 0.0 {
            self.testcases as f64 / seconds
        } else {
            0.0
        };
        format!(
            "{{\"files\":{},\"bytes\":{},\"testcases\":{},\"time_sum\":{:.3},\"seconds\":{:.6},\
             \"mb_per_s\":{:.1},\"cases_per_s\":{:.0},\"threads\":{},\"errors\":{}}}",
            self.files,
            self.bytes,
            self.testcases,
            self.time_sum,
            seconds,
            mb_per_s,
            cases_per_s,
            threads,
            self.errors.len()
        )
    }
}

/// Every `*.xml` file under `roots` (files given directly are taken as they are), sorted.
pub fn collect_xml(roots: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = Vec::new();
    for root in roots {
        let meta = std::fs::metadata(root).map_err(|e| BenchError::io("cannot open", root, &e))?;
        if meta.is_dir() {
            stack.push(root.clone());
        } else {
            files.push(root.clone());
        }
    }
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| BenchError::io("cannot list", &dir, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| BenchError::io("cannot list", &dir, &e))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| BenchError::io("cannot stat", &path, &e))?;
            if kind.is_dir() {
                stack.push(path);
            } else if is_xml(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn is_xml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("xml"))
}

/// Reads and scans `files` on the current rayon pool; returns the totals (summed in file order, so
/// `time_sum` does not depend on scheduling) and the seconds spent.
pub fn measure(files: &[PathBuf]) -> (Totals, f64) {
    let start = Instant::now();
    let per_file: Vec<Result<(u64, FileCount)>> = files
        .par_iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(|e| BenchError::io("cannot read", path, &e))?;
            let count =
                scan(&bytes).map_err(|e| BenchError::new(format!("{}: {e}", path.display())))?;
            Ok((bytes.len() as u64, count))
        })
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    let mut totals = Totals::default();
    for result in per_file {
        match result {
            Ok((bytes, count)) => {
                totals.files += 1;
                totals.bytes += bytes;
                totals.testcases += count.testcases;
                totals.time_sum += count.time_sum;
            }
            Err(err) => totals.errors.push(err.to_string()),
        }
    }
    (totals, seconds)
}

/// Test cases and summed time of one report.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct FileCount {
    /// `<testcase>` elements seen.
    pub testcases: u64,
    /// Sum of their parseable `time` attributes.
    pub time_sum: f64,
}

/// The bare event loop over one report held in memory.
pub fn scan(bytes: &[u8]) -> Result<FileCount, quick_xml::Error> {
    let mut reader = Reader::from_reader(bytes);
    let mut count = FileCount::default();
    loop {
        match reader.read_event()? {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == TESTCASE => {
                count.testcases += 1;
                count.time_sum += testcase_time(&e);
            }
            Event::Eof => return Ok(count),
            _ => {}
        }
    }
}

/// Reads the three attributes in one pass; returns the parsed time (0 when absent or invalid).
fn testcase_time(e: &BytesStart<'_>) -> f64 {
    let mut time = 0.0;
    for attr in e.attributes().with_checks(false).flatten() {
        match attr.key.as_ref() {
            // The names are read but not kept; black_box stops the optimiser from skipping them.
            CLASSNAME | NAME => {
                black_box(&attr.value);
            }
            TIME => time = attr.value.trim().parse().unwrap_or(0.0),
            _ => {}
        }
    }
    time
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_start_and_empty_testcases_and_sums_time() -> Result<(), quick_xml::Error> {
        let xml = br#"<?xml version="1.0"?>
<testsuites><testsuite name="s">
  <testcase classname="a.B" name="one" time="0.5"/>
  <testcase name="two" classname="a.B" time="1.25"><failure message="x">trace</failure></testcase>
  <testcase name="three" classname="a.B" time="bogus"/>
  <testcase name="four" classname="a.B"/>
</testsuite></testsuites>"#;
        let count = scan(xml)?;
        assert_eq!(count.testcases, 4);
        assert!((count.time_sum - 1.75).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert!(scan(b"<testsuite><testcase name='x'></testsuite>").is_err());
    }

    #[test]
    fn json_line_has_every_field() {
        let totals = Totals {
            files: 2,
            bytes: 2_000_000,
            testcases: 10,
            time_sum: 1.5,
            errors: vec![],
        };
        assert_eq!(
            totals.to_json(2.0, 4),
            "{\"files\":2,\"bytes\":2000000,\"testcases\":10,\"time_sum\":1.500,\"seconds\":2.000000,\
             \"mb_per_s\":1.0,\"cases_per_s\":5,\"threads\":4,\"errors\":0}"
        );
    }
}

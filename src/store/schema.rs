//! The stored tables: every column name exists here once, with its type and meaning, which
//! `testsift schema` prints and the README documents.

/// One stored column.
pub(crate) struct ColumnDoc {
    pub(crate) name: &'static str,
    pub(crate) dtype: &'static str,
    pub(crate) meaning: &'static str,
}

/// One stored table.
pub(crate) struct TableDoc {
    pub(crate) name: &'static str,
    pub(crate) file: &'static str,
    pub(crate) meaning: &'static str,
    pub(crate) columns: &'static [ColumnDoc],
}

pub(crate) const RUN: &str = "run";
pub(crate) const VARIANT: &str = "variant";
pub(crate) const SUITE: &str = "suite";
pub(crate) const CLASSNAME: &str = "classname";
pub(crate) const NAME: &str = "name";
pub(crate) const FILE: &str = "file";
pub(crate) const LINE: &str = "line";
pub(crate) const TEST_ID: &str = "test_id";
pub(crate) const FAMILY: &str = "family";
pub(crate) const STATUS: &str = "status";
pub(crate) const ATTEMPTS: &str = "attempts";
pub(crate) const FAILED_ATTEMPTS: &str = "failed_attempts";
pub(crate) const DURATION: &str = "duration";
pub(crate) const DURATION_LAST: &str = "duration_last";
pub(crate) const FAILURE_TYPE: &str = "failure_type";
pub(crate) const MESSAGE: &str = "message";
pub(crate) const FINGERPRINT: &str = "fingerprint";
pub(crate) const OUTPUT: &str = "output";
pub(crate) const REPORT: &str = "report";
pub(crate) const TEST: &str = "test";
pub(crate) const RUN_KEY: &str = "run_key";
pub(crate) const REPORT_KEY: &str = "report_key";
pub(crate) const PARTIAL: &str = "partial";

pub(crate) const RUN_ID: &str = "run_id";
pub(crate) const ATTEMPT: &str = "attempt";
pub(crate) const COMMIT: &str = "commit";
pub(crate) const BRANCH: &str = "branch";
pub(crate) const JOB: &str = "job";
pub(crate) const PIPELINE: &str = "pipeline";
pub(crate) const TIMESTAMP: &str = "timestamp";
pub(crate) const TIME_SOURCE: &str = "time_source";
pub(crate) const SOURCE: &str = "source";
pub(crate) const REPORTS: &str = "reports";
pub(crate) const EXECUTIONS: &str = "executions";
pub(crate) const PARSE_ERRORS: &str = "parse_errors";
pub(crate) const EXTRA: &str = "extra";

pub(crate) const PATH: &str = "path";
pub(crate) const SIZE: &str = "size";
pub(crate) const HASH: &str = "hash";
pub(crate) const CASES: &str = "cases";
pub(crate) const PROBLEMS: &str = "problems";

pub(crate) const EXECUTIONS_FILE: &str = "executions.parquet";
pub(crate) const RUNS_FILE: &str = "runs.parquet";
pub(crate) const REPORTS_FILE: &str = "reports.parquet";
pub(crate) const TESTS_FILE: &str = "tests.parquet";
/// The files of every segment.
pub(crate) const FILES: &[&str] = &[EXECUTIONS_FILE, TESTS_FILE, RUNS_FILE, REPORTS_FILE];

const fn col(name: &'static str, dtype: &'static str, meaning: &'static str) -> ColumnDoc {
    ColumnDoc {
        name,
        dtype,
        meaning,
    }
}

pub(crate) const TABLES: &[TableDoc] = &[
    TableDoc {
        name: "executions",
        file: EXECUTIONS_FILE,
        meaning: "One row per test per run and variant (retries folded into one row). Stored compactly: a `run_key` (joins runs.run_key for run and variant), the `test` key (joins tests.test for suite … family), a `report_key` (joins reports.report_key for the report path), all three i64 (the bits of an unsigned xxh3-64 hash), a status code (u32: 0 passed, 1 failed, 2 error, 3 skipped, 4 flaky), and the fingerprint as 16 hex digits; reading the store joins the names back, and this is the joined view.",
        columns: &[
            col(
                RUN,
                "string",
                "Run key: the run id, plus `#N` when the run is attempt N > 1 of a CI re-run.",
            ),
            col(
                VARIANT,
                "string",
                "Platform or job the run belongs to (run.json `variant`, else `job`, else --variant); empty when none.",
            ),
            col(SUITE, "string", "Innermost enclosing <testsuite name>."),
            col(
                CLASSNAME,
                "string",
                "The testcase `classname` attribute; empty when absent.",
            ),
            col(NAME, "string", "The testcase `name` attribute."),
            col(
                FILE,
                "string?",
                "The testcase `file` attribute, when present.",
            ),
            col(LINE, "u32?", "The testcase `line` attribute, when present."),
            col(
                TEST_ID,
                "string",
                "Canonical test id `scope::name`, scope = classname, else file, else suite.",
            ),
            col(
                FAMILY,
                "string",
                "The test id with parameters stripped (`[1]`, `(x=2)`, `with data set #0`, `/3`).",
            ),
            col(
                STATUS,
                "string",
                "passed | failed | error | skipped | flaky (failed, then passed within the run).",
            ),
            col(
                ATTEMPTS,
                "u32",
                "Attempts within the run (retries written as child elements or as repeated testcases).",
            ),
            col(FAILED_ATTEMPTS, "u32", "Attempts that failed or errored."),
            col(
                DURATION,
                "f64?",
                "Seconds, all attempts summed; null when no attempt had a readable time.",
            ),
            col(DURATION_LAST, "f64?", "Seconds of the last attempt."),
            col(
                FAILURE_TYPE,
                "string?",
                "The failure's `type` attribute (first failing attempt).",
            ),
            col(
                MESSAGE,
                "string?",
                "The failure's message, else the start of its text; at most 1 KiB.",
            ),
            col(
                FINGERPRINT,
                "string?",
                "16 hex digits (stored so; u64 inside testsift): hash of failure type and message with numbers, hex, addresses, temp paths and durations masked; null for passed/skipped.",
            ),
            col(
                OUTPUT,
                "string?",
                "Start of the test's system-out/system-err (at most 512 bytes), kept only for tests that did not simply pass.",
            ),
            col(
                REPORT,
                "string",
                "The report file the test first appeared in (`archive.zip!/entry.xml` inside archives).",
            ),
            col(
                PARTIAL,
                "bool",
                "True when that report had errors (e.g. truncated): the row may miss attempts.",
            ),
            col(
                TEST,
                "i64",
                "Test key: the bits of an unsigned hash of suite, classname, file, line and name (xxh3-64 of each, seeded with the hash of the ones before); joins tests.test.",
            ),
        ],
    },
    TableDoc {
        name: "tests",
        file: TESTS_FILE,
        meaning: "The names of the tests a segment's executions refer to, one row per test key per segment (the same key may recur in several segments; its names are the same).",
        columns: &[
            col(TEST, "i64", "Test key (see executions.test)."),
            col(SUITE, "string", "See executions.suite."),
            col(CLASSNAME, "string", "See executions.classname."),
            col(NAME, "string", "See executions.name."),
            col(FILE, "string?", "See executions.file."),
            col(LINE, "u32?", "See executions.line."),
            col(TEST_ID, "string", "See executions.test_id."),
            col(FAMILY, "string", "See executions.family."),
        ],
    },
    TableDoc {
        name: "runs",
        file: RUNS_FILE,
        meaning: "One row per CI run and variant.",
        columns: &[
            col(RUN, "string", "Run key (see executions.run)."),
            col(VARIANT, "string", "See executions.variant."),
            col(
                RUN_ID,
                "string",
                "run.json `run_id`, else --run-id, else the folder or file name.",
            ),
            col(
                ATTEMPT,
                "u32?",
                "CI attempt of the run (re-run button), when known.",
            ),
            col(COMMIT, "string?", "Commit the run tested, when known."),
            col(BRANCH, "string?", "Branch, when known."),
            col(JOB, "string?", "CI job name, when known."),
            col(
                PIPELINE,
                "string?",
                "CI pipeline or workflow name, when known.",
            ),
            col(
                TIMESTAMP,
                "datetime[ms, UTC]",
                "When the run happened (see time_source).",
            ),
            col(
                TIME_SOURCE,
                "string",
                "run.json | cli | suite-timestamp | file-mtime: where timestamp came from.",
            ),
            col(
                SOURCE,
                "string",
                "The run folder, report or archive it was read from.",
            ),
            col(REPORTS, "u32", "Report files read."),
            col(EXECUTIONS, "u32", "Rows in executions for this run."),
            col(
                PARSE_ERRORS,
                "u32",
                "Report files of this run that had errors (their good test cases are kept).",
            ),
            col(
                EXTRA,
                "string",
                "run.json keys testsift does not know, as a JSON object.",
            ),
            col(
                RUN_KEY,
                "i64",
                "xxh3-64 of run and variant, its bits as a signed integer; the stored executions refer to their run by it.",
            ),
        ],
    },
    TableDoc {
        name: "reports",
        file: REPORTS_FILE,
        meaning: "One row per ingested report file: the manifest of inputs.",
        columns: &[
            col(RUN, "string", "Run key."),
            col(VARIANT, "string", "Variant."),
            col(
                PATH,
                "string",
                "Path as found (`archive.zip!/entry.xml` inside archives).",
            ),
            col(SIZE, "u64", "Bytes (decompressed)."),
            col(HASH, "string", "xxh3-128 of the bytes, hex."),
            col(CASES, "u32", "<testcase> elements read."),
            col(
                STATUS,
                "string",
                "ok | warning | error: error means the file counts in parse_errors.",
            ),
            col(
                PROBLEMS,
                "string",
                "Problems found, one `line:column: message` per line.",
            ),
            col(
                REPORT_KEY,
                "i64",
                "xxh3-64 of the run_key and the report's position in its run; the stored executions refer to their report by it.",
            ),
        ],
    },
];

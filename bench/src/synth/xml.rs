//! Writes one shard's report in the shape Maven Surefire 3 produces, including its retry
//! elements (`flakyFailure`, `flakyError`, `rerunFailure`, `rerunError`).
//!
//! Even shards (0-based) get a `<testsuites>` root with one `<testsuite>` per class, the shape of
//! merged per-class Surefire files; odd shards get a single `<testsuite>` root whose test cases
//! come from many classes, the shape of an aggregated shard report. Counts in the opening tags
//! need the body first, so each suite is rendered into a buffer and prefixed with its header.

use std::io::Write;

use crate::rng::Rng;
use crate::synth::ci::{Dialect, outage_of};
use crate::synth::json::date;
use crate::synth::plan::{Behaviour, Outcome, Run, Suite, stream};
use crate::synth::text::{self, Failure, TestFrame};

const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const SUITE_NS: &str = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
    xsi:noNamespaceSchemaLocation=\"https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report.xsd\" \
    version=\"3.0.2\"";

/// What every test of a crashed Surefire fork reports.
pub(crate) const CRASH_MESSAGE: &str =
    "The forked VM terminated without properly saying goodbye. VM crash or System.exit called?";

/// Per-suite tallies for the opening tags.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Counts {
    pub(crate) tests: u64,
    pub(crate) failures: u64,
    pub(crate) errors: u64,
    pub(crate) skipped: u64,
    pub(crate) flaky: u64,
    pub(crate) time: f64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.errors += other.errors;
        self.skipped += other.skipped;
        self.flaky += other.flaky;
        self.time += other.time;
    }

    fn write_attrs(&self, out: &mut Vec<u8>) {
        let _ = write!(
            out,
            "time=\"{:.3}\" tests=\"{}\" errors=\"{}\" skipped=\"{}\" failures=\"{}\"",
            self.time, self.tests, self.errors, self.skipped, self.failures
        );
    }
}

/// Renders shard `shard` (0-based) of `run`; returns the file's bytes and its tallies.
pub(crate) fn shard(suite: &Suite, run: &Run, shard: usize, seed: u64) -> (Vec<u8>, Counts) {
    let mut writer = ShardWriter {
        suite,
        run,
        seed,
        rng: Rng::derive(
            seed,
            stream::WRITE,
            u64::from(run.number) << 16 | shard as u64,
        ),
        date: date(run.timestamp),
        clock_ms: (run.timestamp.rem_euclid(86_400) * 1000) as u64,
        scratch: Vec::new(),
        crashed: run.ci.as_ref().and_then(|c| c.crashed_shard) == Some(shard),
    };
    let classes = &suite.shards[shard];
    let mut out = Vec::with_capacity(classes.len() * 20 * 160);
    out.extend_from_slice(XML_DECL.as_bytes());
    let mut total = Counts::default();
    if shard.is_multiple_of(2) {
        let mut body = Vec::new();
        for &class in classes {
            let mut cases = Vec::new();
            let mut counts = Counts::default();
            for t in suite.classes[class].tests.clone() {
                writer.testcase(&mut cases, t, "    ", &mut counts);
            }
            counts.time += 0.05 + writer.rng.f64() * 0.4;
            body.extend_from_slice(b"  <testsuite ");
            body.extend_from_slice(SUITE_NS.as_bytes());
            body.extend_from_slice(b" name=\"");
            escape_attr(&mut body, &suite.classes[class].fqcn);
            body.extend_from_slice(b"\" ");
            counts.write_attrs(&mut body);
            body.extend_from_slice(b">\n");
            writer.properties(&mut body, class, "    ");
            body.extend_from_slice(&cases);
            writer.suite_output(&mut body, "    ", 0.15);
            body.extend_from_slice(b"  </testsuite>\n");
            total.add(counts);
        }
        let _ = write!(out, "<testsuites name=\"surefire-shard-{}\" ", shard + 1);
        total.write_attrs(&mut out);
        out.extend_from_slice(b">\n");
        out.extend_from_slice(&body);
        out.extend_from_slice(b"</testsuites>\n");
    } else {
        let mut cases = Vec::new();
        for &class in classes {
            for t in suite.classes[class].tests.clone() {
                writer.testcase(&mut cases, t, "  ", &mut total);
            }
        }
        total.time += 0.5 + writer.rng.f64() * 2.0;
        out.extend_from_slice(b"<testsuite ");
        out.extend_from_slice(SUITE_NS.as_bytes());
        let _ = write!(out, " name=\"com.acme.AllTestsShard{}\" ", shard + 1);
        total.write_attrs(&mut out);
        out.extend_from_slice(b">\n");
        if let Some(&first) = classes.first() {
            writer.properties(&mut out, first, "  ");
        }
        out.extend_from_slice(&cases);
        writer.suite_output(&mut out, "  ", 0.8);
        out.extend_from_slice(b"</testsuite>\n");
    }
    (out, total)
}

struct ShardWriter<'a> {
    suite: &'a Suite,
    run: &'a Run,
    seed: u64,
    rng: Rng,
    date: String,
    clock_ms: u64,
    scratch: Vec<u8>,
    /// The shard's forked JVM died: every test that ran errors with the same message.
    crashed: bool,
}

impl ShardWriter<'_> {
    fn testcase(&mut self, out: &mut Vec<u8>, t: usize, indent: &str, counts: &mut Counts) {
        let test = &self.suite.tests[t];
        let class = &self.suite.classes[test.class];
        // An outage of a service the test calls fails every attempt with the service's message.
        let outage = outage_of(self.suite, self.run, t);
        let outcome = match outage {
            Some(o) => Outcome::Fail {
                attempts: o.attempts,
            },
            None => test
                .special
                .map_or(Outcome::Pass, |s| self.run.outcomes[s as usize]),
        };
        let mut time = if test.skipped {
            0.0
        } else {
            let spike = if self.rng.chance(0.005) {
                self.rng.range(2, 5) as f64
            } else {
                1.0
            };
            (test.base_secs * self.rng.lognormal(1.0, 0.2) * spike).max(0.001)
        };
        // Broken tests fail the same way every run; flaky ones differ in every detail.
        let broken = matches!(test.behaviour, Behaviour::Broken { .. }) && outage.is_none();
        let mut failure_rng = if broken {
            Rng::derive(self.seed, stream::BROKEN_MESSAGE, t as u64)
        } else {
            Rng::new(self.rng.next_u64())
        };
        let fail = |rng: &mut Rng| match outage {
            Some(o) => Dialect::Surefire.outage_failure(o.service, rng),
            None => test.failure.failure(rng),
        };
        let failure = match outcome {
            Outcome::Pass => None,
            _ => Some(fail(&mut failure_rng)),
        };
        if let Some(timeout) = failure.as_ref().and_then(|f| f.timeout_secs)
            && matches!(outcome, Outcome::Fail { .. })
        {
            time = timeout;
        }
        counts.tests += 1;
        counts.time += time;
        if self.crashed && !test.skipped {
            counts.errors += 1;
            out.extend_from_slice(indent.as_bytes());
            out.extend_from_slice(b"<testcase name=\"");
            escape_attr(out, &test.name);
            out.extend_from_slice(b"\" classname=\"");
            escape_attr(out, &class.fqcn);
            let _ = writeln!(
                out,
                "\" time=\"{time:.3}\">\n{indent}  <error message=\"{CRASH_MESSAGE}\" type=\"org.apache.maven.surefire.booter.SurefireBooterForkException\"/>\n{indent}</testcase>"
            );
            return;
        }

        out.extend_from_slice(indent.as_bytes());
        out.extend_from_slice(b"<testcase name=\"");
        escape_attr(out, &test.name);
        out.extend_from_slice(b"\" classname=\"");
        escape_attr(out, &class.fqcn);
        let _ = write!(out, "\" time=\"{time:.3}\"");
        let chatty = test.output_bytes > 0 && !test.skipped;
        if !test.skipped && outcome == Outcome::Pass && !chatty {
            out.extend_from_slice(b"/>\n");
            return;
        }
        out.extend_from_slice(b">\n");
        let frame = TestFrame {
            package: &class.package,
            simple: &class.simple,
            method: &test.method,
            line: test.line,
        };
        if test.skipped {
            counts.skipped += 1;
            out.extend_from_slice(indent.as_bytes());
            if self.rng.chance(0.5) {
                out.extend_from_slice(b"  <skipped message=\"Disabled until ACME-");
                let _ = writeln!(out, "{} is fixed\"/>", 1000 + t % 9000);
            } else {
                out.extend_from_slice(b"  <skipped/>\n");
            }
        }
        if let Some(failure) = &failure {
            match outcome {
                Outcome::Pass => {}
                Outcome::Flaky { failed_attempts } => {
                    counts.flaky += 1;
                    let tag = if failure.is_error {
                        "flakyError"
                    } else {
                        "flakyFailure"
                    };
                    for _ in 0..failed_attempts {
                        let attempt = test.failure.failure(&mut failure_rng);
                        self.retry_element(out, indent, tag, &attempt, &frame, &mut failure_rng);
                    }
                }
                Outcome::Fail { attempts } => {
                    let tag = if failure.is_error {
                        counts.errors += 1;
                        "error"
                    } else {
                        counts.failures += 1;
                        "failure"
                    };
                    let _ = write!(out, "{indent}  <{tag} message=\"");
                    escape_attr(out, &failure.message);
                    let _ = write!(out, "\" type=\"{}\"><![CDATA[", failure.exception);
                    text::stack_trace(out, &mut failure_rng, failure, &frame);
                    let _ = writeln!(out, "]]></{tag}>");
                    let rerun = if failure.is_error {
                        "rerunError"
                    } else {
                        "rerunFailure"
                    };
                    for _ in 1..attempts {
                        let again = if broken {
                            failure.clone()
                        } else {
                            fail(&mut failure_rng)
                        };
                        self.retry_element(out, indent, rerun, &again, &frame, &mut failure_rng);
                    }
                }
            }
        }
        if chatty {
            let bytes = (f64::from(test.output_bytes) * (0.8 + self.rng.f64() * 0.4)) as usize;
            out.extend_from_slice(indent.as_bytes());
            out.extend_from_slice(b"  <system-out><![CDATA[");
            text::log_blob(out, &mut self.rng, &self.date, self.clock_ms, bytes);
            out.extend_from_slice(b"]]></system-out>\n");
        }
        out.extend_from_slice(indent.as_bytes());
        out.extend_from_slice(b"</testcase>\n");
        self.clock_ms += (time * 1000.0) as u64;
    }

    /// A `flaky*` or `rerun*` element: its stack trace sits in a `<stackTrace>` child.
    fn retry_element(
        &mut self,
        out: &mut Vec<u8>,
        indent: &str,
        tag: &str,
        failure: &Failure,
        frame: &TestFrame<'_>,
        rng: &mut Rng,
    ) {
        let _ = write!(out, "{indent}  <{tag} message=\"");
        escape_attr(out, &failure.message);
        let _ = write!(
            out,
            "\" type=\"{}\">\n{indent}    <stackTrace><![CDATA[",
            failure.exception
        );
        text::stack_trace(out, rng, failure, frame);
        let _ = writeln!(out, "]]></stackTrace>\n{indent}  </{tag}>");
    }

    fn properties(&mut self, out: &mut Vec<u8>, class: usize, indent: &str) {
        let module = &self.suite.modules[self.suite.classes[class].module];
        let _ = writeln!(out, "{indent}<properties>");
        for (name, value) in text::properties(&module.name, module.retries) {
            let _ = write!(out, "{indent}  <property name=\"{name}\" value=\"");
            escape_attr(out, &value);
            out.extend_from_slice(b"\"/>\n");
        }
        let _ = writeln!(out, "{indent}</properties>");
    }

    /// Suite-level `<system-out>` (1-20 KB) with probability `share`, and now and then a short
    /// `<system-err>`.
    fn suite_output(&mut self, out: &mut Vec<u8>, indent: &str, share: f64) {
        if self.rng.chance(share) {
            let bytes = self.rng.range(1024, 20 * 1024) as usize;
            self.scratch.clear();
            text::log_blob(
                &mut self.scratch,
                &mut self.rng,
                &self.date,
                self.clock_ms,
                bytes,
            );
            let _ = write!(out, "{indent}<system-out><![CDATA[");
            out.extend_from_slice(&self.scratch);
            out.extend_from_slice(b"]]></system-out>\n");
        }
        if self.rng.chance(0.05) {
            let _ = writeln!(
                out,
                "{indent}<system-err><![CDATA[WARNING: A Java agent has been loaded dynamically (/home/runner/.m2/repository/net/bytebuddy/byte-buddy-agent/1.14.{}/byte-buddy-agent.jar)\n]]></system-err>",
                self.rng.below(20)
            );
        }
    }
}

/// Appends `value` escaped for a double-quoted XML attribute.
pub(crate) fn escape_attr(out: &mut Vec<u8>, value: &str) {
    let mut last = 0;
    for (i, byte) in value.bytes().enumerate() {
        let escaped: &[u8] = match byte {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\n' => b"&#10;",
            b'\r' => b"&#13;",
            b'\t' => b"&#9;",
            _ => continue,
        };
        out.extend_from_slice(&value.as_bytes()[last..i]);
        out.extend_from_slice(escaped);
        last = i + 1;
    }
    out.extend_from_slice(&value.as_bytes()[last..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_escaped() {
        let mut out = Vec::new();
        escape_attr(&mut out, "a<b & \"c\">\nü");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "a&lt;b &amp; &quot;c&quot;&gt;&#10;ü"
        );
    }
}

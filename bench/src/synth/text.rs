//! The words of a synthetic history: class and test names, failure messages, stack traces, log
//! output and Surefire's `<properties>`.
//!
//! Everything is built from fixed word lists and the caller's [`Rng`], so it is deterministic.
//! Messages carry the kind of noise real ones do (numbers, hex ids, ports, temp paths), which is
//! what a failure-grouping step has to see through. Nothing here ever produces `]]>`, so every
//! blob can go into a CDATA section as it is.

use std::io::Write;

use crate::rng::Rng;

pub(crate) const MODULES: &[&str] = &[
    "core",
    "api",
    "billing",
    "storage",
    "auth",
    "search",
    "ingest",
    "render",
    "scheduler",
    "notify",
    "reports",
    "gateway",
    "cache",
    "metrics",
    "export",
    "ledger",
    "inventory",
    "orders",
    "payments",
    "profile",
    "shipping",
    "catalog",
    "pricing",
    "audit",
];
const SUBPACKAGES: &[&str] = &[
    "service", "model", "repo", "util", "web", "internal", "client", "config",
];
const PREFIXES: &[&str] = &[
    "Default",
    "Cached",
    "Async",
    "Remote",
    "Local",
    "Batch",
    "Legacy",
    "Simple",
    "Json",
    "Xml",
    "Http",
    "Sql",
    "Retrying",
    "Streaming",
    "Secure",
    "Lazy",
];
const NOUNS: &[&str] = &[
    "Order", "Invoice", "Customer", "Account", "Session", "Token", "Report", "Schedule", "Payment",
    "Shipment", "Price", "Catalog", "Query", "Index", "Event", "Message", "Queue", "Config",
    "User", "Tenant",
];
const SUFFIXES: &[&str] = &[
    "Service",
    "Repository",
    "Controller",
    "Mapper",
    "Parser",
    "Validator",
    "Handler",
    "Client",
    "Factory",
    "Cache",
    "Builder",
    "Resolver",
];
const VERBS: &[&str] = &[
    "returns",
    "rejects",
    "parses",
    "handles",
    "creates",
    "updates",
    "deletes",
    "computes",
    "retries",
    "caches",
    "validates",
    "maps",
    "serializes",
    "loads",
    "emits",
    "skips",
];
const OBJECTS: &[&str] = &[
    "EmptyInput",
    "NullId",
    "LargePayload",
    "UnicodeName",
    "ExpiredToken",
    "DuplicateKey",
    "MissingField",
    "NegativeAmount",
    "ConcurrentUpdate",
    "Timeout",
    "ZeroItems",
    "MaxLength",
    "InvalidDate",
    "UnknownTenant",
    "RetryLimit",
    "PartialFailure",
];
const CONDITIONS: &[&str] = &[
    "CacheIsCold",
    "TenantIsSuspended",
    "ClockSkews",
    "DiskIsFull",
    "RetriesAreExhausted",
    "FeatureFlagIsOff",
    "LocaleIsTurkish",
    "BatchIsEmpty",
];
const PARAM_SIGNATURES: &[&str] = &["(String)", "(int, int)", "(Locale)", "(Path, boolean)"];

/// Package and simple name of a test class in `module`.
pub(crate) fn class_name(rng: &mut Rng, module: &str) -> (String, String) {
    let package = format!("com.acme.{module}.{}", rng.pick(SUBPACKAGES));
    let simple = format!(
        "{}{}{}Test",
        rng.pick(PREFIXES),
        rng.pick(NOUNS),
        rng.pick(SUFFIXES)
    );
    (package, simple)
}

/// A test method name, e.g. `shouldRejectDuplicateKey` or `handlesTimeoutWhenClockSkews`.
pub(crate) fn method_name(rng: &mut Rng) -> String {
    let verb = rng.pick(VERBS);
    let object = rng.pick(OBJECTS);
    match rng.below(4) {
        0 => format!("should{}{object}", capitalize(&base_form(verb))),
        1 => format!("test{object}"),
        2 => format!("{verb}{object}When{}", rng.pick(CONDITIONS)),
        _ => format!("{verb}{object}"),
    }
}

/// The parameter list of a parameterised test method, e.g. `(String)`.
pub(crate) fn signature(rng: &mut Rng) -> &'static str {
    PARAM_SIGNATURES[rng.below(PARAM_SIGNATURES.len() as u64) as usize]
}

/// A JUnit 5 display name with characters that need escaping in XML attributes.
pub(crate) fn display_name(rng: &mut Rng) -> String {
    let object = rng.pick(OBJECTS);
    match rng.below(3) {
        0 => format!("handles <empty> & \"quoted\" {object}"),
        1 => format!("{object} -> 'a' < 'b' && total > 0"),
        _ => format!("rejects {object} with ü/é & ∑ in the name"),
    }
}

/// `parses` -> `parse`, `retries` -> `retry`: the verb after "should".
fn base_form(verb: &str) -> String {
    match verb.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => verb.strip_suffix('s').unwrap_or(verb).to_owned(),
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// How a test fails: which exception, and whether Surefire calls it a failure or an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FailureKind(pub(crate) u8);

/// One failure as written into a report.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// Library frames above the test's own code, innermost first.
    pub(crate) frames: &'static [&'static str],
    /// Fully-qualified exception class, the `type` attribute.
    pub(crate) exception: &'static str,
    /// The `message` attribute.
    pub(crate) message: String,
    /// `<error>`/`<flakyError>`/`<rerunError>` rather than the `Failure` forms.
    pub(crate) is_error: bool,
    /// For timeouts: how long the test ran before it was stopped, in seconds.
    pub(crate) timeout_secs: Option<f64>,
}

const FAILURE_KINDS: u8 = 10;

impl FailureKind {
    /// A failure kind chosen at random.
    pub(crate) fn random(rng: &mut Rng) -> Self {
        Self(rng.below(u64::from(FAILURE_KINDS)) as u8)
    }

    /// A failure of this kind; its numbers, ids and paths come from `rng`.
    pub(crate) fn failure(self, rng: &mut Rng) -> Failure {
        let (exception, is_error, message, timeout_secs) = match self.0 {
            0 => (
                "org.opentest4j.AssertionFailedError",
                false,
                format!(
                    "expected: <{}> but was: <{}>",
                    rng.below(1000),
                    rng.below(1000)
                ),
                None,
            ),
            1 => (
                "org.opentest4j.AssertionFailedError",
                false,
                format!(
                    "Unexpected row count in ORDERS_{:06X}: expected: <{}> but was: <{}>",
                    rng.below(1 << 24),
                    rng.range(1, 50),
                    rng.range(51, 99)
                ),
                None,
            ),
            2 => (
                "java.lang.AssertionError",
                false,
                format!(
                    "Expected status 200 but was 503 (request id {:08x}-{:04x}-{:04x}-{:012x})",
                    rng.next_u64() as u32,
                    rng.below(1 << 16),
                    rng.below(1 << 16),
                    rng.below(1 << 48)
                ),
                None,
            ),
            3 => {
                let secs = *rng.pick(&[5u32, 10, 30]);
                (
                    "java.util.concurrent.TimeoutException",
                    true,
                    format!(
                        "Timed out after {} ms waiting for {} #{}",
                        secs * 1000,
                        rng.pick(NOUNS),
                        rng.below(100_000)
                    ),
                    Some(f64::from(secs) + rng.f64() * 0.2),
                )
            }
            4 => (
                "java.net.ConnectException",
                true,
                format!(
                    "Connection refused: localhost/127.0.0.1:{}",
                    rng.range(32768, 60999)
                ),
                None,
            ),
            5 => (
                "java.io.FileNotFoundException",
                true,
                format!(
                    "/tmp/junit{}/{}-{:08x}.tmp (No such file or directory)",
                    rng.range(1_000_000_000, 9_999_999_999),
                    rng.pick(NOUNS).to_lowercase(),
                    rng.next_u64() as u32
                ),
                None,
            ),
            6 => (
                "java.lang.NullPointerException",
                true,
                format!(
                    "Cannot invoke \"com.acme.{}.getId()\" because \"{}\" is null",
                    rng.pick(NOUNS),
                    rng.pick(NOUNS).to_lowercase()
                ),
                None,
            ),
            7 => (
                "java.lang.IllegalStateException",
                true,
                format!(
                    "Deadlock detected: thread pool-{}-thread-{} holds lock 0x{:012x}",
                    rng.range(1, 9),
                    rng.range(1, 16),
                    rng.below(1 << 48)
                ),
                None,
            ),
            8 => {
                let secs = rng.range(2, 10);
                (
                    "org.awaitility.core.ConditionTimeoutException",
                    true,
                    format!(
                        "Condition with com.acme.{}Probe was not fulfilled within {secs} seconds.",
                        rng.pick(NOUNS)
                    ),
                    Some(secs as f64 + rng.f64() * 0.1),
                )
            }
            _ => (
                "org.opentest4j.AssertionFailedError",
                false,
                format!(
                    "Snapshot mismatch in /tmp/snapshots-{}/{}.json at line {}",
                    rng.range(10_000, 99_999),
                    rng.pick(NOUNS).to_lowercase(),
                    rng.range(1, 400)
                ),
                None,
            ),
        };
        let frames = match self.0 {
            0 | 1 | 9 => ASSERT_FRAMES,
            3 => FUTURE_FRAMES,
            4 => SOCKET_FRAMES,
            5 => FILE_FRAMES,
            8 => AWAIT_FRAMES,
            _ => NO_FRAMES,
        };
        Failure {
            frames,
            exception,
            message,
            is_error,
            timeout_secs,
        }
    }
}

const ASSERT_FRAMES: &[&str] = &[
    "org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)",
    "org.junit.jupiter.api.AssertionFailureBuilder.buildAndThrow(AssertionFailureBuilder.java:132)",
    "org.junit.jupiter.api.AssertEquals.failNotEqual(AssertEquals.java:197)",
    "org.junit.jupiter.api.AssertEquals.assertEquals(AssertEquals.java:150)",
    "org.junit.jupiter.api.Assertions.assertEquals(Assertions.java:563)",
];
pub(crate) const SOCKET_FRAMES: &[&str] = &[
    "java.base/sun.nio.ch.Net.connect0(Native Method)",
    "java.base/sun.nio.ch.Net.connect(Net.java:589)",
    "java.base/sun.nio.ch.NioSocketImpl.connect(NioSocketImpl.java:592)",
    "java.base/java.net.Socket.connect(Socket.java:751)",
];
const FUTURE_FRAMES: &[&str] = &[
    "java.base/java.util.concurrent.FutureTask.awaitDone(FutureTask.java:500)",
    "java.base/java.util.concurrent.FutureTask.get(FutureTask.java:204)",
];
const FILE_FRAMES: &[&str] = &[
    "java.base/java.io.FileInputStream.open0(Native Method)",
    "java.base/java.io.FileInputStream.open(FileInputStream.java:213)",
    "java.base/java.io.FileInputStream.<init>(FileInputStream.java:152)",
];
const AWAIT_FRAMES: &[&str] = &[
    "org.awaitility.core.ConditionAwaiter.await(ConditionAwaiter.java:167)",
    "org.awaitility.core.CallableCondition.await(CallableCondition.java:78)",
    "org.awaitility.core.ConditionFactory.until(ConditionFactory.java:985)",
];
const NO_FRAMES: &[&str] = &[];
const ENGINE_FRAMES: &[&str] = &[
    "java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
    "java.base/java.lang.reflect.Method.invoke(Method.java:580)",
    "org.junit.platform.commons.util.ReflectionUtils.invokeMethod(ReflectionUtils.java:728)",
    "org.junit.jupiter.engine.execution.MethodInvocation.proceed(MethodInvocation.java:60)",
    "org.junit.jupiter.engine.execution.InvocationInterceptorChain$ValidatingInvocation.proceed(InvocationInterceptorChain.java:131)",
    "org.junit.jupiter.engine.extension.TimeoutExtension.intercept(TimeoutExtension.java:156)",
    "org.junit.jupiter.engine.extension.TimeoutExtension.interceptTestableMethod(TimeoutExtension.java:147)",
    "org.junit.jupiter.engine.extension.TimeoutExtension.interceptTestMethod(TimeoutExtension.java:86)",
    "org.junit.jupiter.engine.execution.InterceptingExecutableInvoker$ReflectiveInterceptorCall.lambda$ofVoidMethod$0(InterceptingExecutableInvoker.java:103)",
    "org.junit.jupiter.engine.execution.InterceptingExecutableInvoker.lambda$invoke$0(InterceptingExecutableInvoker.java:93)",
    "org.junit.jupiter.engine.execution.InvocationInterceptorChain$InterceptedInvocation.proceed(InvocationInterceptorChain.java:106)",
    "org.junit.jupiter.engine.execution.InvocationInterceptorChain.proceed(InvocationInterceptorChain.java:64)",
    "org.junit.jupiter.engine.execution.InvocationInterceptorChain.chainAndInvoke(InvocationInterceptorChain.java:45)",
    "org.junit.jupiter.engine.execution.InvocationInterceptorChain.invoke(InvocationInterceptorChain.java:37)",
    "org.junit.jupiter.engine.execution.InterceptingExecutableInvoker.invoke(InterceptingExecutableInvoker.java:92)",
    "org.junit.jupiter.engine.descriptor.TestMethodTestDescriptor.lambda$invokeTestMethod$7(TestMethodTestDescriptor.java:218)",
    "org.junit.platform.engine.support.hierarchical.ThrowableCollector.execute(ThrowableCollector.java:73)",
    "org.junit.jupiter.engine.descriptor.TestMethodTestDescriptor.invokeTestMethod(TestMethodTestDescriptor.java:214)",
    "org.junit.jupiter.engine.descriptor.TestMethodTestDescriptor.execute(TestMethodTestDescriptor.java:139)",
    "org.junit.jupiter.engine.descriptor.TestMethodTestDescriptor.execute(TestMethodTestDescriptor.java:69)",
    "org.junit.platform.engine.support.hierarchical.NodeTestTask.lambda$executeRecursively$6(NodeTestTask.java:151)",
    "org.junit.platform.engine.support.hierarchical.NodeTestTask.lambda$executeRecursively$8(NodeTestTask.java:141)",
    "org.junit.platform.engine.support.hierarchical.Node.around(Node.java:137)",
    "org.junit.platform.engine.support.hierarchical.NodeTestTask.lambda$executeRecursively$9(NodeTestTask.java:139)",
    "org.junit.platform.engine.support.hierarchical.NodeTestTask.executeRecursively(NodeTestTask.java:138)",
    "org.junit.platform.engine.support.hierarchical.NodeTestTask.execute(NodeTestTask.java:95)",
    "java.base/java.util.ArrayList.forEach(ArrayList.java:1596)",
    "org.junit.platform.engine.support.hierarchical.SameThreadHierarchicalTestExecutorService.invokeAll(SameThreadHierarchicalTestExecutorService.java:41)",
    "org.junit.platform.engine.support.hierarchical.HierarchicalTestExecutor.execute(HierarchicalTestExecutor.java:57)",
    "org.junit.platform.engine.support.hierarchical.HierarchicalTestEngine.execute(HierarchicalTestEngine.java:54)",
    "org.junit.platform.launcher.core.EngineExecutionOrchestrator.execute(EngineExecutionOrchestrator.java:198)",
    "org.junit.platform.launcher.core.DefaultLauncher.execute(DefaultLauncher.java:135)",
    "org.apache.maven.surefire.junitplatform.JUnitPlatformProvider.execute(JUnitPlatformProvider.java:198)",
    "org.apache.maven.surefire.booter.ForkedBooter.runSuitesInProcess(ForkedBooter.java:385)",
    "org.apache.maven.surefire.booter.ForkedBooter.execute(ForkedBooter.java:162)",
    "org.apache.maven.surefire.booter.ForkedBooter.run(ForkedBooter.java:507)",
    "org.apache.maven.surefire.booter.ForkedBooter.main(ForkedBooter.java:495)",
];

/// Where in the test source a failure is thrown.
pub(crate) struct TestFrame<'a> {
    pub(crate) package: &'a str,
    pub(crate) simple: &'a str,
    pub(crate) method: &'a str,
    pub(crate) line: u32,
}

/// A Java stack trace of 2-4 KB for `failure` thrown in `at`.
pub(crate) fn stack_trace(out: &mut Vec<u8>, rng: &mut Rng, failure: &Failure, at: &TestFrame<'_>) {
    let start = out.len();
    let target = rng.range(2048, 4096) as usize;
    // Writing into a Vec cannot fail.
    let _ = writeln!(out, "{}: {}", failure.exception, failure.message);
    let skip = rng.below(failure.frames.len() as u64 / 2) as usize;
    for frame in &failure.frames[skip..] {
        let _ = writeln!(out, "\tat {frame}");
    }
    let product = at.simple.trim_end_matches("Test");
    let helpers = rng.below(3);
    for depth in 0..helpers {
        let _ = writeln!(
            out,
            "\tat {}.{product}.{}({product}.java:{})",
            at.package,
            rng.pick(VERBS),
            40 + depth * 17 + at.line as u64 % 50
        );
    }
    let _ = writeln!(
        out,
        "\tat {}.{}.{}({}.java:{})",
        at.package, at.simple, at.method, at.simple, at.line
    );
    let mut i = 0;
    while out.len() - start < target {
        let _ = writeln!(out, "\tat {}", ENGINE_FRAMES[i % ENGINE_FRAMES.len()]);
        i += 1;
    }
    if rng.chance(0.2) {
        let _ = writeln!(
            out,
            "Caused by: java.lang.RuntimeException: wrapped in {} attempt {}\n\tat {}.{}.{}({}.java:{})\n\t... {} more",
            at.method,
            rng.range(1, 3),
            at.package,
            at.simple,
            at.method,
            at.simple,
            at.line + 3,
            i
        );
    }
}

const LEVELS: &[&str] = &[
    "INFO ", "INFO ", "INFO ", "DEBUG", "DEBUG", "WARN ", "ERROR",
];
const THREADS: &[&str] = &[
    "main",
    "pool-1-thread-1",
    "pool-1-thread-2",
    "ForkJoinPool-1-worker-3",
    "scheduling-1",
    "HikariPool-1 housekeeper",
];

/// `bytes` (roughly) of application log output, timestamped from `clock_ms` on `date`.
pub(crate) fn log_blob(out: &mut Vec<u8>, rng: &mut Rng, date: &str, clock_ms: u64, bytes: usize) {
    let start = out.len();
    let mut ms = clock_ms;
    while out.len() - start < bytes {
        ms += rng.below(40);
        let day_ms = ms % 86_400_000;
        let _ = write!(
            out,
            "{date} {:02}:{:02}:{:02}.{:03} [{}] {} c.a.{}.{}{} - ",
            day_ms / 3_600_000,
            day_ms / 60_000 % 60,
            day_ms / 1000 % 60,
            day_ms % 1000,
            rng.pick(THREADS),
            rng.pick(LEVELS),
            rng.pick(MODULES),
            rng.pick(NOUNS),
            rng.pick(SUFFIXES)
        );
        let _ = match rng.below(8) {
            0 => writeln!(
                out,
                "Processed {} #{} in {} ms (tenant=t-{:04x}, trace={:016x})",
                rng.pick(NOUNS).to_lowercase(),
                rng.below(1_000_000),
                rng.below(250),
                rng.below(1 << 16),
                rng.next_u64()
            ),
            1 => writeln!(
                out,
                "HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@{:08x}",
                rng.next_u64() as u32
            ),
            2 => writeln!(
                out,
                "Wrote {} bytes to /tmp/junit{}/{}-{:08x}.json",
                rng.below(100_000),
                rng.range(1_000_000_000, 9_999_999_999),
                rng.pick(NOUNS).to_lowercase(),
                rng.next_u64() as u32
            ),
            3 => writeln!(
                out,
                "Started {}{} on port {} in {}.{:03} seconds",
                rng.pick(NOUNS),
                rng.pick(SUFFIXES),
                rng.range(32768, 60999),
                rng.below(8),
                rng.below(1000)
            ),
            4 => writeln!(
                out,
                "Retrying request {} (attempt {}/3) after {} ms: connection reset",
                rng.below(100_000),
                rng.range(1, 3),
                rng.below(500)
            ),
            5 => writeln!(
                out,
                "SQL: select * from {}s where id = ? and tenant_id = ? [{} rows, {} ms]",
                rng.pick(NOUNS).to_lowercase(),
                rng.below(50),
                rng.below(30)
            ),
            6 => writeln!(
                out,
                "Cache {} for key {}:{:x} (size={}, hit ratio={}.{:02})",
                if rng.chance(0.7) { "hit" } else { "miss" },
                rng.pick(NOUNS).to_lowercase(),
                rng.next_u64() as u32,
                rng.below(10_000),
                rng.below(1),
                rng.below(100)
            ),
            _ => writeln!(
                out,
                "Event {}Created published to topic acme.{}.v{} partition {} offset {}",
                rng.pick(NOUNS),
                rng.pick(MODULES),
                rng.range(1, 4),
                rng.below(12),
                rng.below(10_000_000)
            ),
        };
    }
}

/// The `<property>` name/value pairs Surefire writes for a suite in `module`.
pub(crate) fn properties(module: &str, rerun_count: u8) -> Vec<(&'static str, String)> {
    vec![
        ("java.version", "21.0.4".to_owned()),
        ("java.vendor", "Eclipse Adoptium".to_owned()),
        ("java.vm.name", "OpenJDK 64-Bit Server VM".to_owned()),
        ("os.name", "Linux".to_owned()),
        ("os.arch", "amd64".to_owned()),
        ("os.version", "6.5.0-1025-azure".to_owned()),
        ("user.name", "runner".to_owned()),
        ("user.dir", format!("/builds/acme/{module}")),
        ("basedir", format!("/builds/acme/{module}")),
        ("java.io.tmpdir", "/tmp".to_owned()),
        ("file.encoding", "UTF-8".to_owned()),
        ("line.separator", "\n".to_owned()),
        ("maven.repo.local", "/home/runner/.m2/repository".to_owned()),
        ("surefire.rerunFailingTestsCount", rerun_count.to_string()),
        (
            "surefire.test.class.path",
            format!(
                "/builds/acme/{module}/target/test-classes:/builds/acme/{module}/target/classes:/home/runner/.m2/repository/org/junit/jupiter/junit-jupiter-api/5.10.2/junit-jupiter-api-5.10.2.jar"
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_traces_are_2_to_4_kb_and_cdata_safe() {
        let mut rng = Rng::new(3);
        let at = TestFrame {
            package: "com.acme.core.util",
            simple: "FooTest",
            method: "bar",
            line: 42,
        };
        for kind in 0..FAILURE_KINDS {
            let failure = FailureKind(kind).failure(&mut rng);
            let mut out = Vec::new();
            stack_trace(&mut out, &mut rng, &failure, &at);
            assert!(
                (2048..4096 + 400).contains(&out.len()),
                "{} bytes",
                out.len()
            );
            let text = String::from_utf8_lossy(&out);
            assert!(!text.contains("]]>"));
            assert!(text.contains("at com.acme.core.util.FooTest.bar(FooTest.java:42)"));
        }
    }

    #[test]
    fn log_blobs_reach_their_size() {
        let mut rng = Rng::new(4);
        let mut out = Vec::new();
        log_blob(&mut out, &mut rng, "2025-01-01", 3_600_000, 5000);
        assert!((5000..5400).contains(&out.len()));
        assert!(out.starts_with(b"2025-01-01 01:00:00."));
    }

    #[test]
    fn same_seed_same_failure() {
        let a = FailureKind(5).failure(&mut Rng::new(9));
        let b = FailureKind(5).failure(&mut Rng::new(9));
        assert_eq!(a.message, b.message);
        assert!(a.message.starts_with("/tmp/junit"));
    }
}

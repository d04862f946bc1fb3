//! Renders `check`'s result: lines for a person, JSON (with `schema_version`) for scripts,
//! GitHub Actions workflow commands that annotate the failing tests, and a JUnit XML report of
//! the decisions for CI systems that show JUnit.

use crate::analysis::gate::{CheckReport, Decision, Gate, GateResult, GateTest};
use crate::report::escape;

/// The text form: one `ok: GATE: reason` line per held gate (for stdout) and one `check
/// failed: GATE: reason` line per tripped gate (for stderr).
pub(crate) fn text(report: &CheckReport) -> (String, String) {
    let (mut held, mut tripped) = (String::new(), String::new());
    for r in &report.gates {
        if r.tripped {
            tripped.push_str(&format!(
                "check failed: {}: {}\n",
                r.gate.as_str(),
                r.reason
            ));
        } else {
            held.push_str(&format!("ok: {}: {}\n", r.gate.as_str(), r.reason));
        }
    }
    if let Some(run) = &report.run {
        for d in &run.decisions {
            let line = format!(
                "{}: {}{}: {} ({}){}\n",
                if d.forgiven { "forgiven" } else { "failing" },
                escape::terminal(&d.test_id),
                variant(&d.variant),
                escape::terminal(&d.reason),
                d.because.as_str(),
                owners(&d.owners),
            );
            if d.forgiven {
                held.push_str(&line);
            } else {
                tripped.push_str(&line);
            }
        }
    }
    (held, tripped)
}

fn variant(v: &str) -> String {
    if v.is_empty() {
        String::new()
    } else {
        format!(" [{}]", escape::terminal(v))
    }
}

fn owners(owners: &[String]) -> String {
    if owners.is_empty() {
        String::new()
    } else {
        format!(" owners: {}", escape::terminal(&owners.join(" ")))
    }
}

/// The whole report as pretty JSON. Control characters, DEL, C1 and bidirectional overrides
/// in names are written as `\uXXXX` escapes, so the text is safe to print on a terminal.
pub(crate) fn json(report: &CheckReport) -> serde_json::Result<String> {
    let text = serde_json::to_string_pretty(report)?;
    Ok(crate::select::runner::json_text(&text) + "\n")
}

/// GitHub Actions workflow commands: an `::error` per test that tripped a gate (with `file` and
/// `line` when the reports gave them, so the annotation lands on the test), an `::error` for a
/// tripped gate that names no test (`slower`, `flaky-rate`), and a `::notice` per held gate.
///
/// Report text is escaped as GitHub's toolkit does (`%`, `\r`, `\n` in the message; also `:`
/// and `,` in properties), and every other control character is made visible, so a name can
/// neither end the command nor start another one, nor drive the log viewer's terminal.
pub(crate) fn github(report: &CheckReport) -> String {
    let mut out = String::new();
    for r in &report.gates {
        let title = format!("testsift check: {}", r.gate.as_str());
        if let (Gate::Run, Some(run)) = (r.gate, &report.run) {
            for d in &run.decisions {
                out.push_str(&decision_command(d, &title));
            }
            for i in &run.incomplete_reports {
                out.push_str(&command(
                    "error",
                    &[("title", &title)],
                    &incomplete_message(i),
                ));
            }
            if !r.tripped {
                out.push_str(&command("notice", &[("title", &title)], &r.reason));
            }
            continue;
        }
        if !r.tripped {
            out.push_str(&command("notice", &[("title", &title)], &r.reason));
            continue;
        }
        if r.tests.is_empty() {
            out.push_str(&command("error", &[("title", &title)], &r.reason));
            continue;
        }
        for t in &r.tests {
            out.push_str(&test_error(r, t, &title));
        }
    }
    out
}

/// What an incomplete report of the judged run means, in one line.
fn incomplete_message(i: &crate::analysis::gate::IncompleteReport) -> String {
    format!(
        "report {} had errors ({}): the tests after the error are missing, so the run's results \
         are incomplete",
        i.path, i.problem
    )
}

/// `::error` for a failure the run gate does not forgive, `::warning` for one it does, on the
/// test's file and line when the report gave them.
fn decision_command(d: &Decision, title: &str) -> String {
    let line = d.line.map(|l| l.to_string());
    let mut props: Vec<(&str, &str)> = Vec::new();
    if let Some(file) = d.file.as_deref() {
        props.push(("file", file));
        if let Some(line) = line.as_deref() {
            props.push(("line", line));
        }
    }
    props.push(("title", title));
    let verdict = if d.forgiven { "forgiven" } else { "failing" };
    let message = format!(
        "{}{}: {verdict}: {} ({}){}",
        d.test_id,
        if d.variant.is_empty() {
            String::new()
        } else {
            format!(" [{}]", d.variant)
        },
        d.reason,
        d.because.as_str(),
        if d.owners.is_empty() {
            String::new()
        } else {
            format!(" owners: {}", d.owners.join(" "))
        }
    );
    command(
        if d.forgiven { "warning" } else { "error" },
        &props,
        &message,
    )
}

/// A JUnit XML report of the check: with `--run`, one testcase per decided test (a `failure`
/// element when it fails the gate, its reason in `system-out` when forgiven); then one
/// testcase per window gate. Every text is escaped for XML (control characters become spaces,
/// which XML 1.0 cannot hold).
pub(crate) fn junit(report: &CheckReport) -> String {
    let x = |s: &str| escape::html(s).replace(['\n', '\t'], " ");
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let decisions: &[Decision] = report.run.as_ref().map_or(&[], |r| &r.decisions);
    let incomplete = report
        .run
        .as_ref()
        .map_or(&[][..], |r| &r.incomplete_reports[..]);
    let failing = decisions.iter().filter(|d| !d.forgiven).count() + incomplete.len();
    let gates: Vec<&GateResult> = report
        .gates
        .iter()
        .filter(|g| g.gate != Gate::Run)
        .collect();
    let gates_failing = gates.iter().filter(|g| g.tripped).count();
    out.push_str(&format!(
        "<testsuites name=\"testsift check\" tests=\"{}\" failures=\"{}\">\n",
        decisions.len() + incomplete.len() + gates.len(),
        failing + gates_failing
    ));
    if let Some(run) = &report.run {
        out.push_str(&format!(
            "  <testsuite name=\"run {}\" tests=\"{}\" failures=\"{failing}\">\n",
            x(&run.run),
            decisions.len() + incomplete.len()
        ));
        for i in incomplete {
            out.push_str(&format!(
                "    <testcase classname=\"testsift.check\" name=\"incomplete report {}\">\n      <failure type=\"incomplete-report\" message=\"{}\"/>\n    </testcase>\n",
                x(&i.path),
                x(&incomplete_message(i))
            ));
        }
        for d in decisions {
            let mut attrs = format!(
                "classname=\"{}\" name=\"{}\"",
                x(&d.classname),
                x(&if d.variant.is_empty() {
                    d.name.clone()
                } else {
                    format!("{} [{}]", d.name, d.variant)
                })
            );
            if let Some(f) = &d.file {
                attrs.push_str(&format!(" file=\"{}\"", x(f)));
            }
            if let Some(l) = d.line {
                attrs.push_str(&format!(" line=\"{l}\""));
            }
            out.push_str(&format!("    <testcase {attrs}>\n"));
            let owners = if d.owners.is_empty() {
                String::new()
            } else {
                format!("; owners: {}", d.owners.join(" "))
            };
            if d.forgiven {
                out.push_str(&format!(
                    "      <system-out>forgiven ({}): {}{}</system-out>\n",
                    d.because.as_str(),
                    escape::html(&d.reason),
                    escape::html(&owners)
                ));
            } else {
                out.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                    d.because.as_str(),
                    x(&format!("{}{owners}", d.reason)),
                    escape::html(d.message.as_deref().unwrap_or_default())
                ));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    if !gates.is_empty() {
        out.push_str(&format!(
            "  <testsuite name=\"gates\" tests=\"{}\" failures=\"{gates_failing}\">\n",
            gates.len()
        ));
        for g in gates {
            out.push_str(&format!(
                "    <testcase classname=\"testsift.check\" name=\"{}\">\n",
                g.gate.as_str()
            ));
            if g.tripped {
                out.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\"/>\n",
                    g.gate.as_str(),
                    x(&g.reason)
                ));
            } else {
                out.push_str(&format!(
                    "      <system-out>{}</system-out>\n",
                    escape::html(&g.reason)
                ));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The `::error` command for a check that had nothing to judge (an empty window).
pub(crate) fn no_data_github(message: &str) -> String {
    command("error", &[("title", "testsift check")], message)
}

fn test_error(r: &GateResult, t: &GateTest, title: &str) -> String {
    let line = t.line.map(|l| l.to_string());
    let mut props: Vec<(&str, &str)> = Vec::new();
    if let Some(file) = t.file.as_deref() {
        props.push(("file", file));
        if let Some(line) = line.as_deref() {
            props.push(("line", line));
        }
    }
    props.push(("title", title));
    let variant = if t.variant.is_empty() {
        String::new()
    } else {
        format!(" [{}]", t.variant)
    };
    let owners = if t.owners.is_empty() {
        String::new()
    } else {
        format!(" owners: {}", t.owners.join(" "))
    };
    let message = format!(
        "{}{variant}: {} ({}){owners}",
        t.test_id,
        t.detail,
        r.gate.as_str()
    );
    command("error", &props, &message)
}

/// `::NAME key=value,...::message` and a newline.
fn command(name: &str, props: &[(&str, &str)], message: &str) -> String {
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", property(v)))
        .collect();
    let props = if props.is_empty() {
        String::new()
    } else {
        format!(" {}", props.join(","))
    };
    format!("::{name}{props}::{}\n", data(message))
}

/// GitHub's `escapeData` (`%`, `\r`, `\n` as `%25`, `%0D`, `%0A`); every other control
/// character is written as the terminal escaper does (`\x1b`), so none is left raw.
pub(crate) fn data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if escape::is_unsafe_char(c) => {
                let mut buf = [0u8; 4];
                out.push_str(&escape::terminal(c.encode_utf8(&mut buf)));
            }
            c => out.push(c),
        }
    }
    out
}

/// GitHub's `escapeProperty`: `escapeData` and `:` and `,` too.
pub(crate) fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests on literal input
mod tests {
    use super::*;
    use crate::analysis::gate::Gate;

    fn report() -> CheckReport {
        CheckReport {
            schema_version: 1,
            tripped: true,
            runs: 3,
            gates: vec![
                GateResult {
                    gate: Gate::Broken,
                    tripped: true,
                    reason: "2 tests are broken: a, b".into(),
                    tests: vec![
                        GateTest {
                            test_id: "tests.test_a::test_x".into(),
                            file: Some("tests/test_a.py".into()),
                            line: Some(12),
                            detail: "broken since 7".into(),
                            ..GateTest::default()
                        },
                        GateTest {
                            test_id: "evil\n::warning::forged 100%\u{1b}]52;c;eA==\u{7}".into(),
                            variant: "linux,x:y".into(),
                            file: Some("a,b:c%d.py\r\n".into()),
                            detail: "broken".into(),
                            ..GateTest::default()
                        },
                    ],
                    groups: vec![],
                },
                GateResult {
                    gate: Gate::Slower,
                    tripped: true,
                    reason: "1 got 20% slower: s".into(),
                    tests: vec![],
                    groups: vec!["s".into()],
                },
                GateResult {
                    gate: Gate::NewFlaky,
                    tripped: false,
                    reason: "no test became flaky in the newest run".into(),
                    tests: vec![],
                    groups: vec![],
                },
            ],
            run: None,
        }
    }

    #[test]
    fn junit_has_a_testcase_per_gate_and_escapes_everything() {
        let mut r = report();
        r.gates[1].reason = "a <b> & \"c\" \u{1b}[2J\n]]>".into();
        let xml = junit(&r);
        assert!(xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuites name=\"testsift check\" tests=\"3\" failures=\"2\">\n"
        ));
        assert!(xml.contains(
            "<failure type=\"slower\" message=\"a &lt;b&gt; &amp; &quot;c&quot;  [2J ]]&gt;\"/>"
        ));
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert!(!xml.chars().any(|c| c != '\n' && c.is_control()));
    }

    #[test]
    fn github_commands_are_escaped_as_the_toolkit_does() {
        assert_eq!(data("50% a\r\nb\u{1b}"), "50%25 a%0D%0Ab\\x1b");
        assert_eq!(property("a,b:c%"), "a%2Cb%3Ac%25");
        let out = github(&report());
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "::error file=tests/test_a.py,line=12,title=testsift check%3A broken::\
                 tests.test_a::test_x: broken since 7 (broken)",
                "::error file=a%2Cb%3Ac%25d.py%0D%0A,title=testsift check%3A broken::\
                 evil%0A::warning::forged 100%25\\x1b]52;c;eA==\\x07 [linux,x:y]: broken (broken)",
                "::error title=testsift check%3A slower::1 got 20%25 slower: s",
                "::notice title=testsift check%3A new-flaky::no test became flaky in the newest run",
            ]
        );
        // Every command is one line starting with `::`, and nothing raw is left.
        assert!(out.lines().all(|l| l.starts_with("::")));
        assert!(!out.chars().any(|c| c != '\n' && escape::is_unsafe_char(c)));
    }

    #[test]
    fn json_is_versioned_and_has_every_gate() {
        let text = json(&report()).unwrap();
        assert!(!text.chars().any(|c| c != '\n' && escape::is_unsafe_char(c)));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["tripped"], true);
        assert_eq!(v["gates"][0]["gate"], "broken");
        assert_eq!(v["gates"][0]["tests"][0]["line"], 12);
        assert_eq!(
            v["gates"][0]["tests"][1]["test_id"],
            "evil\n::warning::forged 100%\u{1b}]52;c;eA==\u{7}"
        );
        assert_eq!(v["gates"][1]["groups"][0], "s");
        assert_eq!(v["gates"][2]["tripped"], false);
    }
}

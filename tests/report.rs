//! `testsift report` end to end: the main job on fixtures/history (figures from its README),
//! night over night through the store and through a hand-written previous report, hostile test
//! names in every output, size caps on a history of many long-named tests, and the page as
//! headless Chromium renders it.

// A failed unwrap in a test is a test failure with a backtrace, which is what we want.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Runs `testsift report ARGS... --store STORE --out OUT`.
fn report(store: &Path, out: &Path, args: &[&str]) -> Output {
    testsift()
        .arg("report")
        .args(args)
        .arg("--store")
        .arg(store)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn find<'a>(list: &'a Value, key: &str, suffix: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|t| t[key].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no {key} ending in {suffix} in {list}"))
}

/// The commit of a fixture run, from its run.json.
fn fixture_commit(run: &str) -> String {
    let meta = read_json(&fixtures().join("history").join(run).join("run.json"));
    meta["commit"].as_str().unwrap().to_string()
}

/// Renders report.html with scripts/render-report.sh. Skips (returns false, says so on
/// stderr) when Chromium is missing, except under CI=true, where that fails the test.
fn browser_check(html: &Path, png: &Path, width: u32) -> bool {
    let found = ["chromium", "chromium-browser"].iter().any(|b| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {b}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium is not installed and CI=true: run scripts/install-chromium.sh"
        );
        eprintln!(
            "SKIPPED browser check: chromium is not installed (scripts/install-chromium.sh installs it)"
        );
        return false;
    }
    let out = std::process::Command::new("bash")
        .arg(root().join("scripts/render-report.sh"))
        .arg(html)
        .arg(png)
        .arg(width.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "browser check failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png_bytes = fs::read(png).unwrap();
    assert!(png_bytes.starts_with(b"\x89PNG"), "not a PNG");
    true
}

#[test]
fn main_job_on_the_fixture_history() {
    let dir = tempfile::tempdir().unwrap();
    let (store, out) = (dir.path().join("store"), dir.path().join("out"));
    let run = report(&store, &out, &["fixtures/history", "--quiet"]);
    assert_code(&run, 0);
    let listed: Vec<PathBuf> = stdout(&run).lines().map(PathBuf::from).collect();
    assert_eq!(
        listed,
        ["report.html", "report.md", "report.json"].map(|f| out.join(f))
    );

    let r = read_json(&out.join("report.json"));
    assert_eq!(r["schema_version"], 1);
    assert!(r["changes"].is_null(), "nothing to compare with yet");
    // fixtures/history/README.md: 25 runs, 16 tests; flaky: concurrentCheckout and
    // mergeGuestCart; broken: applyCoupon (from run 18) and rejectsMalformedCurrency (always);
    // fixed: checkoutRejectsEmptyCart; run 11 is the infrastructure outage.
    let h = &r["headline"];
    assert_eq!(h["runs"], 25);
    assert_eq!(h["tests"], 16);
    assert_eq!(h["flaky"], 2);
    assert_eq!(h["broken"], 2);
    assert_eq!(h["fixed"], 1);
    assert_eq!(h["infrastructure_runs"], 1);
    assert_eq!(h["first_timestamp"], "2026-10-01T02:00:00Z");
    assert_eq!(h["last_timestamp"], "2026-10-23T02:00:00Z");

    // The timeline: the README's status rows, with run 11 (the outage) marked `I`.
    let history = &r["history"];
    assert_eq!(history["recent_runs"], 25);
    let row = |suffix: &str| {
        find(&history["timeline"], "test_id", suffix)["cells"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        row("::concurrentCheckoutKeepsStockConsistent"),
        "..F...F...IF..~.F......F."
    );
    assert_eq!(row("::mergeGuestCartOnLogin"), "........F.I........F.....");
    assert_eq!(
        row("::applyCouponRejectsExpired"),
        "..........I......FFFFFFFF"
    );
    assert_eq!(
        row("::rejectsMalformedCurrency"),
        "FFFFFFFFFFIFFFFFFFFFFFFFF"
    );
    // The flaky test first (6 flaky executions), then mergeGuestCart (2), then the broken ones.
    let order: Vec<&str> = history["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["test_id"].as_str().unwrap().rsplit("::").next().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "concurrentCheckoutKeepsStockConsistent",
            "mergeGuestCartOnLogin",
            "applyCouponRejectsExpired",
            "rejectsMalformedCurrency"
        ]
    );

    // The runs behind the flaky verdict, newest first: 24, 17, 15 (retry), 12, 7, 3.
    let runs = &find(
        &history["verdict_runs"],
        "test_id",
        "::concurrentCheckoutKeepsStockConsistent",
    )["runs"];
    let listed: Vec<(&str, &str)> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["run"].as_str().unwrap(), x["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [
            ("1024", "failed"),
            ("1017", "failed"),
            ("1015", "flaky"),
            ("1012", "failed"),
            ("1007", "failed"),
            ("1003", "failed")
        ]
    );
    assert_eq!(runs[0]["commit"], fixture_commit("run-24"));

    // Where applyCoupon broke: run 18 (run_id 1018) and its commit.
    let coupon = find(
        &r["flaky"]["tests"],
        "test_id",
        "::applyCouponRejectsExpired",
    );
    assert_eq!(coupon["streak"]["first"]["run"], "1018");
    assert_eq!(
        coupon["streak"]["first"]["commit"],
        fixture_commit("run-18")
    );

    // Suite time per run: one value per run, none for the outage (index 10).
    let search = find(&history["suites"], "group", "SearchIndexTest");
    let seconds = search["seconds"].as_array().unwrap();
    assert_eq!(seconds.len(), 25);
    assert!(seconds[10].is_null());
    assert_eq!(seconds.iter().filter(|s| s.is_null()).count(), 1);
    // The README: ≈ 10 s per run before run 13, ≈ 12.8 s after.
    let first = seconds[0].as_f64().unwrap();
    let last = seconds[24].as_f64().unwrap();
    assert!((9.0..11.5).contains(&first), "{first}");
    assert!((11.5..14.0).contains(&last), "{last}");

    // The HTML: self-contained, four kinds of chart, the page's own script only.
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    for chart in [
        "<svg class=\"chart heatmap\"",
        "<svg class=\"chart spark\"",
        "<svg class=\"chart bars\"",
        "<svg class=\"chart curve\"",
    ] {
        assert!(page.contains(chart), "missing {chart}");
    }
    assert_eq!(page.matches("<script").count(), 1);
    // Nothing to fetch: no sources, no links out, no CSS urls or imports.
    for fetch in ["src=\"", "href=\"http", "url(", "@import"] {
        assert!(
            !page.contains(fetch),
            "report.html fetches something: {fetch}"
        );
    }
    assert!(page.contains("concurrentCheckoutKeepsStockConsistent"));
    assert!(page.contains("coupon SUMMER25 expired on 2026-09-30 but was accepted"));

    // The Markdown: headline and lists.
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("### Flaky tests (2)"), "{md}");
    assert!(md.contains("### Broken tests (2)"), "{md}");
    assert!(md.contains("| 1018 | 2f87abe53e |"), "{md}");
    // SearchIndexTest's step up at run 13 (run_id 1013), as `slow` finds it for its two
    // slowest tests (fixtures/slow/README.md).
    assert!(md.contains("### Duration regressions (2)"), "{md}");
    let step = md
        .lines()
        .find(|l| l.contains("rebuildsIndexFromScratch"))
        .unwrap_or_default();
    assert!(step.contains("| 1013 | "), "{step}");
    assert!(page.contains(r#"<section id="regressions">"#));

    // A copy is kept in the store, for the next report.
    let kept: Vec<_> = fs::read_dir(store.join("reports")).unwrap().collect();
    assert_eq!(kept.len(), 1);

    if browser_check(&out.join("report.html"), &dir.path().join("page.png"), 1280) {
        browser_check(&out.join("report.html"), &dir.path().join("phone.png"), 390);
    }
}

#[test]
fn night_over_night_through_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (store, out) = (dir.path().join("store"), dir.path().join("out"));
    // The first 17 nights: applyCoupon still passes (its one error is in the outage run).
    let early = dir.path().join("early");
    for i in 1..=17 {
        let name = format!("run-{i:02}");
        copy_dir(&fixtures().join("history").join(&name), &early.join(&name));
    }
    assert_code(&report(&store, &out, &[early.to_str().unwrap(), "-q"]), 0);
    let first = read_json(&out.join("report.json"));
    let coupon = find(
        &first["flaky"]["tests"],
        "test_id",
        "::applyCouponRejectsExpired",
    );
    assert_eq!(coupon["verdict"], "stable");

    // The whole history: ingests the 8 new runs, compares with the kept report.
    assert_code(&report(&store, &out, &["fixtures/history", "-q"]), 0);
    let r = read_json(&out.join("report.json"));
    let c = &r["changes"];
    assert!(
        c["previous"]
            .as_str()
            .unwrap()
            .contains(&format!("reports{}", std::path::MAIN_SEPARATOR)),
        "{c}"
    );
    let broken: Vec<&str> = c["newly_broken"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["test_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        broken,
        ["com.acme.shop.cart.CartServiceTest::applyCouponRejectsExpired"]
    );
    assert_eq!(c["newly_broken"][0]["before"], "stable");
    assert_eq!(c["newly_flaky"], json!([]));
    assert_eq!(c["fixed"], json!([]));
    assert_eq!(c["tests_added"], 0);
    assert_eq!(c["tests_removed"], 0);
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("**Newly broken** (1)"), "{md}");
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("Newly broken (1)"));

    // --no-previous compares with nothing; two reports are now kept.
    assert_code(&report(&store, &out, &["--no-previous"]), 0);
    assert!(read_json(&out.join("report.json"))["changes"].is_null());
    assert_eq!(fs::read_dir(store.join("reports")).unwrap().count(), 3);
}

/// A previous report written by hand, so each rule of docs/report-json.md is exercised once.
#[test]
fn changes_against_a_given_previous_report() {
    let dir = tempfile::tempdir().unwrap();
    let (store, out) = (dir.path().join("store"), dir.path().join("out"));
    assert_code(
        &ingest(&store, &[fixtures().join("history")], &["--quiet"]),
        0,
    );
    let cart = "com.acme.shop.cart.CartServiceTest::";
    let test = |name: &str, verdict: &str, rate: Option<f64>| {
        json!({"test_id": format!("{cart}{name}"), "variant": "test", "verdict": verdict,
               "flake_rate": rate})
    };
    let previous = json!({
        "schema_version": 1,
        "generated_at": "2026-10-22T03:00:00Z",
        "flaky": {"tests": [
            // Now flaky at 25%: rose by 15 points.
            test("concurrentCheckoutKeepsStockConsistent", "flaky", Some(0.10)),
            // Now flaky: newly flaky. The previous file is untrusted too: its verdict text is
            // shown as `before`, escaped.
            test("mergeGuestCartOnLogin", "<img src=x onerror=alert(1)>|`x`", Some(0.0)),
            // Now fixed: fixed.
            test("checkoutRejectsEmptyCart", "broken", None),
            // Now broken: newly broken.
            test("applyCouponRejectsExpired", "stable", Some(0.0)),
            // Now stable: no longer flaky.
            test("addItemIncreasesTotal", "flaky", Some(0.2)),
            // Not in this report.
            test("removedSinceThen", "stable", Some(0.0)),
        ]},
        "slow": {"groups": [
            // Now about 12.6 s over the last 7 days: +150% or so.
            {"group": "com.acme.shop.search.SearchIndexTest", "median_seconds": 5.0,
             "recent_median_seconds": 5.0},
            // Now well under a second: faster, not listed.
            {"group": "com.acme.shop.cart.CartServiceTest", "median_seconds": 100.0,
             "recent_median_seconds": null},
        ]},
        "a_field_from_a_newer_version": true
    });
    let path = dir.path().join("previous.json");
    fs::write(&path, serde_json::to_vec(&previous).unwrap()).unwrap();
    let run = report(&store, &out, &["--previous", path.to_str().unwrap()]);
    assert_code(&run, 0);
    let r = read_json(&out.join("report.json"));
    let c = &r["changes"];
    let ids = |key: &str| -> Vec<String> {
        c[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["test_id"].as_str().unwrap().replace(cart, ""))
            .collect()
    };
    assert_eq!(ids("newly_flaky"), ["mergeGuestCartOnLogin"]);
    // rejectsMalformedCurrency is not in the previous report: newly broken, before null.
    assert_eq!(
        ids("newly_broken"),
        [
            "applyCouponRejectsExpired",
            "com.acme.shop.parser.OrderParserTest::rejectsMalformedCurrency"
        ]
    );
    assert!(c["newly_broken"][1]["before"].is_null());
    assert_eq!(ids("fixed"), ["checkoutRejectsEmptyCart"]);
    assert_eq!(ids("no_longer_flaky"), ["addItemIncreasesTotal"]);
    assert_eq!(
        ids("flake_rate_rose"),
        ["concurrentCheckoutKeepsStockConsistent"]
    );
    assert_eq!(c["flake_rate_rose"][0]["before"], 0.1);
    assert_eq!(c["flake_rate_rose"][0]["after"], 0.25);
    assert_eq!(c["fixed"][0]["after"], "fixed");
    assert_eq!(c["tests_removed"], 1);
    // Every test of this report but the 5 named above is new to the previous one.
    assert_eq!(c["tests_added"], 16 - 5);
    let slower = c["slower_suites"].as_array().unwrap();
    assert_eq!(slower.len(), 1, "{c}");
    assert_eq!(slower[0]["group"], "com.acme.shop.search.SearchIndexTest");
    assert_eq!(slower[0]["before_seconds"], 5.0);
    let search = find(&r["slow"]["groups"], "group", "SearchIndexTest");
    assert_eq!(slower[0]["after_seconds"], search["recent_median_seconds"]);
    assert_eq!(c["previous_generated_at"], "2026-10-22T03:00:00Z");
    assert_eq!(
        c["newly_flaky"][0]["before"],
        "<img src=x onerror=alert(1)>|`x`"
    );
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!page.contains("<img src=x"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;|`x`"));
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert_markdown_is_inert(&md);
    assert!(md.contains("**Slower suites** (1)"), "{md}");
}

#[test]
fn bad_previous_reports_are_named_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let (store, out) = (dir.path().join("store"), dir.path().join("out"));
    let path = dir.path().join("previous.json");
    fs::write(&path, "{\"schema_version\": 1,\n \"flaky\": [}").unwrap();
    let run = report(
        &store,
        &out,
        &[
            "fixtures/history",
            "-q",
            "--previous",
            path.to_str().unwrap(),
        ],
    );
    assert_code(&run, 2);
    let err = stderr(&run);
    assert!(
        err.contains(&format!("{}:2:", path.display())) && err.contains("not a testsift report"),
        "{err}"
    );

    fs::write(
        &path,
        r#"{"schema_version": 99, "flaky": {"tests": []}, "slow": {"groups": []}}"#,
    )
    .unwrap();
    let run = report(&store, &out, &["--previous", path.to_str().unwrap()]);
    assert_code(&run, 2);
    assert!(
        stderr(&run).contains("schema_version 99"),
        "{}",
        stderr(&run)
    );

    // A damaged report kept in the store is a warning, not the end of the nightly job.
    fs::create_dir_all(store.join("reports")).unwrap();
    fs::write(
        store.join("reports").join("99999999T999999-999Z.json"),
        "not json",
    )
    .unwrap();
    let run = report(&store, &out, &[]);
    assert_code(&run, 0);
    assert!(stderr(&run).contains("warning"), "{}", stderr(&run));
    assert!(read_json(&out.join("report.json"))["changes"].is_null());
}

#[test]
fn no_history_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = report(&dir.path().join("none"), &dir.path().join("out"), &[]);
    assert_code(&run, 2);
    assert!(
        stderr(&run).contains("no history here yet"),
        "{}",
        stderr(&run)
    );
    assert!(!dir.path().join("out").exists());
}

// ---- hostile input -------------------------------------------------------------------------

fn xml_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
}

/// A test case: name, and whether it fails in this run.
struct Case<'a> {
    class: &'a str,
    name: &'a str,
    fails: bool,
    time: f64,
    message: &'a str,
}

fn write_report(path: &Path, suite: &str, cases: &[Case]) {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"{}\" tests=\"{}\">\n",
        xml_attr(suite),
        cases.len()
    );
    for c in cases {
        xml.push_str(&format!(
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{}\">",
            xml_attr(c.class),
            xml_attr(c.name),
            c.time
        ));
        if c.fails {
            xml.push_str(&format!(
                "<failure message=\"{}\">{}</failure>",
                xml_attr(c.message),
                xml_attr(c.message)
            ));
        }
        xml.push_str("</testcase>\n");
    }
    xml.push_str("</testsuite>\n");
    write(path, xml);
}

fn write_run_meta(dir: &Path, i: usize) {
    write(
        &dir.join("run.json"),
        format!(
            r#"{{"run_id": "{}", "commit": "c{i:039}", "branch": "main", "timestamp": "2026-03-{:02}T02:00:00Z"}}"#,
            1000 + i,
            i
        ),
    );
}

const HOSTILE_SUITE: &str = "<svg onload=alert('suite')>";
const HOSTILE_CLASS: &str = "evil.<b>Class</b>";
const HOSTILE_MESSAGE: &str =
    "<script>alert('msg')</script> | `x` $(touch /tmp/pwned) [a](javascript:alert(1))\nsecond line";

fn hostile_names() -> Vec<String> {
    vec![
        "<script>alert(1)</script>".into(),
        "\" onload=\"alert(2)".into(),
        "' onmouseover='alert(3)".into(),
        "back`ticks` and $(rm -rf /) and ${HOME}".into(),
        "pipe | breaks | the table".into(),
        "two\nlines <img src=x onerror=alert(4)>".into(),
        "[link](javascript:alert(5)) @someone #1 *bold* _em_ ~~del~~ ![img](x)".into(),
        format!("{}<script>alert(6)</script>", "A".repeat(10 * 1024)),
    ]
}

/// 8 nightly runs: every hostile test fails in runs 2 and 5 (flaky), the last one also in
/// runs 6–8 (broken), plus a plain passing test so runs are not infrastructure failures.
fn write_hostile_history(root: &Path) {
    let names = hostile_names();
    for i in 1..=8 {
        let dir = root.join(format!("run-{i}"));
        write_run_meta(&dir, i);
        let mut cases: Vec<Case> = names
            .iter()
            .enumerate()
            .map(|(k, name)| Case {
                class: HOSTILE_CLASS,
                name,
                // The last name is broken (passes, then fails in runs 6-8); the others flake in
                // runs 2 and 5.
                fails: if k + 1 == names.len() {
                    i >= 6
                } else {
                    i == 2 || i == 5
                },
                time: 0.5 + k as f64,
                message: HOSTILE_MESSAGE,
            })
            .collect();
        for p in 0..6 {
            cases.push(Case {
                class: "plain.Class",
                name: ["a", "b", "c", "d", "e", "f"][p],
                fails: false,
                time: 0.1,
                message: "",
            });
        }
        write_report(&dir.join("reports/TEST-evil.xml"), HOSTILE_SUITE, &cases);
    }
}

/// Unescaped occurrences of `c` in Markdown (not preceded by a backslash).
fn unescaped(line: &str, c: char) -> usize {
    let mut n = 0;
    let mut prev = ' ';
    for x in line.chars() {
        if x == c && prev != '\\' {
            n += 1;
        }
        prev = if prev == '\\' && x == '\\' { ' ' } else { x };
    }
    n
}

/// Every table row has as many cell separators as its header; no raw HTML but the few tags
/// the renderer writes; no backtick, `$` or `@` that Markdown or GitHub would act on.
fn assert_markdown_is_inert(md: &str) {
    let mut expected: Option<usize> = None;
    let lines: Vec<&str> = md.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with('|') {
            let pipes = unescaped(line, '|');
            if lines.get(i + 1).is_some_and(|n| n.starts_with("|---")) {
                expected = Some(pipes);
            } else {
                assert_eq!(Some(pipes), expected, "row {i} breaks its table: {line}");
            }
        } else {
            expected = None;
        }
        assert_eq!(unescaped(line, '`'), 0, "raw backtick: {line}");
        assert_eq!(unescaped(line, '$'), 0, "raw $: {line}");
        assert!(!line.contains('@') || !line.contains("@someone"), "{line}");
    }
    let mut rest = md.to_string();
    for tag in ["<details>", "</details>", "<summary>", "</summary>", "<br>"] {
        rest = rest.replace(tag, "");
    }
    assert!(!rest.contains('<'), "raw HTML left in report.md");
}

#[test]
fn hostile_names_are_inert_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let (store, out) = (dir.path().join("store"), dir.path().join("out"));
    let history = dir.path().join("history");
    write_hostile_history(&history);
    let run = report(
        &store,
        &out,
        &[history.to_str().unwrap(), "-q", "--trim-min-runs", "1"],
    );
    assert_code(&run, 0);

    // JSON keeps the names exactly.
    let r = read_json(&out.join("report.json"));
    assert_eq!(r["headline"]["flaky"], 7, "{}", r["headline"]);
    assert_eq!(r["headline"]["broken"], 1, "{}", r["headline"]);
    let ids: Vec<&str> = r["flaky"]["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for name in hostile_names() {
        assert!(ids.contains(&name.as_str()), "{name:?} not kept exactly");
    }

    // HTML: the page's one script, no markup from a report.
    let page = fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(page.matches("<script").count(), 1);
    for raw in [
        "<script>alert",
        "\" onload=\"alert",
        "' onmouseover='alert",
        "<img src=x",
        "<svg onload",
        "<b>Class",
    ] {
        assert!(!page.contains(raw), "{raw:?} reached report.html unescaped");
    }
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&quot; onload=&quot;alert(2)"));
    assert!(page.len() < 5 * 1024 * 1024);

    // Markdown: every cell stays in its table and nothing is live.
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert_markdown_is_inert(&md);
    assert!(
        md.contains("&lt;script&gt;alert\\(1\\)&lt;/script&gt;"),
        "{md}"
    );
    assert!(md.contains("pipe \\| breaks \\| the table"));
    assert!(md.contains("two<br>lines"));
    assert!(md.len() < 60 * 1024);

    browser_check(
        &out.join("report.html"),
        &dir.path().join("hostile.png"),
        1280,
    );
}

#[test]
fn outputs_stay_small_for_many_long_named_tests() {
    let dir = tempfile::tempdir().unwrap();
    let (store, out) = (dir.path().join("store"), dir.path().join("out"));
    let history = dir.path().join("history");
    // 400 tests in 400 suites with 1 KB names of characters that escaping makes longer, over 6
    // runs: every tenth broken (passes, then fails in runs 4-6), the others flaky (fail in runs
    // 2 and 4).
    let names: Vec<String> = (0..400)
        .map(|k| format!("t{k:03}{}", "<|`*&".repeat(200)))
        .collect();
    for i in 1..=6 {
        let dir = history.join(format!("run-{i}"));
        write_run_meta(&dir, i);
        for (k, name) in names.iter().enumerate() {
            let suite = format!("suite{k:03}{}", "<>".repeat(300));
            let fails = if k % 10 == 0 {
                i >= 4
            } else {
                i == 2 || i == 4
            };
            write_report(
                &dir.join(format!("reports/TEST-{k}.xml")),
                &suite,
                &[
                    Case {
                        class: "long.Class",
                        name,
                        fails,
                        time: 1.0 + k as f64 / 100.0,
                        message: &"<|>".repeat(100),
                    },
                    Case {
                        class: "long.Class",
                        name: &format!("pass{k}"),
                        fails: false,
                        time: 0.1,
                        message: "",
                    },
                ],
            );
        }
    }
    let run = report(
        &store,
        &out,
        &[history.to_str().unwrap(), "-q", "--trim-min-runs", "1"],
    );
    assert_code(&run, 0);
    let r = read_json(&out.join("report.json"));
    assert_eq!(r["headline"]["flaky"], 360, "{}", r["headline"]);
    assert_eq!(r["headline"]["broken"], 40, "{}", r["headline"]);
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.len() < 60 * 1024, "report.md is {} bytes", md.len());
    assert!(md.contains("350 more flaky tests in report.json"), "{md}");
    assert_markdown_is_inert(&md);
    let page = fs::metadata(out.join("report.html")).unwrap().len();
    assert!(page < 5 * 1024 * 1024, "report.html is {page} bytes");
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("260 more flaky tests are in report.json"));
}

//! report.html: one self-contained page (inline CSS, inline SVG, a little inline JS for sorting
//! and filtering; nothing fetched) that reads on a laptop and a phone. One function per section.
//!
//! Every piece of report text is HTML-escaped ([`super::escape::html`]); the script only ever
//! reads and moves existing nodes and never writes markup. A Content-Security-Policy with a
//! per-page nonce blocks any script but the page's own, should escaping ever be missed.

use super::escape::{html, one_line, shorten};
use super::svg;
use super::{
    HTML_ROWS, HTML_TOP, NEW_DAYS, NewlyFlaky, Report, newly_flaky, top_broken, top_fixed,
    top_flaky, trim_sentence,
};
use crate::analysis::flaky::{RunRef, TestVerdict};
use crate::analysis::history::VerdictRuns;
use crate::analysis::trim::Advice;
use crate::domain::Status;
use crate::export::format::pct;
use std::fmt::Write;

/// Characters of a test id shown in a table cell; the full id (to 1,000) is in its tooltip.
const NAME: usize = 160;
/// Characters of a failure message shown in its cell; the whole message (as stored, to 1 KiB)
/// opens below it on a click.
const MESSAGE: usize = 120;
const MESSAGE_FULL: usize = 1000;
/// Days of the CI load chart.
const DAYS: usize = 90;

/// A nonce for the page's Content-Security-Policy, from the standard library's random hasher
/// keys (seeded by the operating system).
pub(crate) fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut parts = [0u64; 2];
    for (i, p) in parts.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        *p = h.finish();
    }
    format!("{:016x}{:016x}", parts[0], parts[1])
}

const STYLE: &str = r#"
:root{--ink:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#f6f8fa;--accent:#0969da;--bad:#d7301f;--warn:#9a6700;--good:#1a7f37}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#fff}
header,main,footer{max-width:1320px;margin:0 auto;padding:0 16px}
header{padding-top:20px}
h1{font-size:1.6em;margin:.2em 0}
h2{font-size:1.25em;margin:1.6em 0 .4em;padding-top:.4em;border-top:1px solid var(--line)}
.sub{color:var(--muted);margin:0 0 .6em}
nav{display:flex;flex-wrap:wrap;gap:6px 14px;margin:.6em 0;font-size:.95em}
nav a{color:var(--accent);text-decoration:none}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:10px;margin:12px 0}
.card{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card b{display:block;font-size:1.6em;line-height:1.2}
.card span{color:var(--muted);font-size:.9em}
.card.bad b{color:var(--bad)}.card.warn b{color:var(--warn)}.card.good b{color:var(--good)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:6px;margin:.5em 0}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--bg);position:sticky;top:0}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th:after{content:" \2195";color:var(--muted);font-size:.8em}
td.num,th.num{text-align:right}
td.num{white-space:nowrap}
td.name{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.92em}
td.name small{color:var(--muted)}
td .box{overflow-wrap:anywhere}
td.name .box{width:18em}
td.msg{color:var(--muted)}
td.msg .box{width:20em}
td small{color:var(--muted)}
td.msg details summary{color:inherit}
td.msg details[open] summary{margin-bottom:.3em;color:var(--accent)}
details.more{margin:.2em 0 .8em}
details.more>summary{padding:4px 0}
.tag{display:inline-block;padding:0 6px;border-radius:10px;font-size:.85em;background:var(--bg);border:1px solid var(--line)}
.tag.bad{color:#fff;background:var(--bad);border-color:var(--bad)}
details summary{cursor:pointer;color:var(--accent)}
details ul{margin:.3em 0;padding-left:1.2em}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.85em;color:var(--muted);margin:.3em 0}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:4px;vertical-align:-1px;border:1px solid var(--line)}
.chartbox{overflow-x:auto;margin:.5em 0}
.chartbox svg{display:block;max-width:none}
.note{color:var(--muted);font-size:.9em}
input.filter{font:inherit;padding:5px 8px;border:1px solid var(--line);border-radius:6px;width:min(100%,22em)}
footer{color:var(--muted);font-size:.85em;padding:24px 16px 40px}
@media (max-width:600px){body{font-size:14px}.card b{font-size:1.3em}th,td{padding:4px 6px}td.name .box{width:14em}td.msg .box{width:16em}}
"#;

const SCRIPT: &str = r#"
'use strict';
(function () {
  function key(cell) {
    var v = cell.getAttribute('data-v');
    if (v !== null && v !== '') { var n = parseFloat(v); if (!isNaN(n)) { return n; } }
    return cell.textContent.trim().toLowerCase();
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var body = table.tBodies[0];
    if (!body) { return; }
    table.querySelectorAll('thead th').forEach(function (th, col) {
      th.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        table.querySelectorAll('thead th').forEach(function (o) { o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          var c = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y));
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  // The page height, for a full-page screenshot (scripts/render-report.sh).
  document.body.setAttribute('data-page-height', String(document.documentElement.scrollHeight));
  document.querySelectorAll('input.filter').forEach(function (input) {
    var name = input.getAttribute('data-table');
    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      document.querySelectorAll('table[data-filter]').forEach(function (table) {
        if (table.getAttribute('data-filter') !== name || !table.tBodies[0]) { return; }
        Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
          r.hidden = q !== '' && r.textContent.toLowerCase().indexOf(q) < 0;
        });
      });
    });
  });
})();
"#;

/// A table cell holding a test: class and name first, then the package and the variant in
/// small print; the full id (to 1,000 characters) is in the tooltip.
fn name_cell(id: &str, variant: &str) -> String {
    let variant = if variant.is_empty() {
        String::new()
    } else {
        format!(
            r#" <span class="tag">{}</span>"#,
            html(&shorten(variant, 60))
        )
    };
    let (package, short) = svg::split_test(id);
    format!(
        r#"<td class="name" title="{}"><div class="box">{}<br><small>{}</small>{}</div></td>"#,
        html(&shorten(id, 1000)),
        html(&shorten(&short, NAME)),
        html(&shorten(package, NAME)),
        variant
    )
}

fn num(v: f64, shown: String) -> String {
    format!(r#"<td class="num" data-v="{v}">{shown}</td>"#)
}

/// A run, with its time and commit in the tooltip.
fn run_ref(r: Option<&RunRef>) -> String {
    match r {
        Some(r) => format!(
            r#"<span title="{}">{}</span>"#,
            html(&format!(
                "{} commit {}",
                r.timestamp,
                shorten(r.commit.as_deref().unwrap_or("-"), 64)
            )),
            html(&shorten(&r.run, 60))
        ),
        None => "-".into(),
    }
}

fn short_commit(c: Option<&str>) -> String {
    html(&c.map_or_else(|| "-".to_string(), |c| c.chars().take(10).collect()))
}

fn more(n: usize, what: &str) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(r#"<p class="note">{n} more {what} are in report.json.</p>"#)
    }
}

/// A table whose first [`HTML_TOP`] rows show at once and whose next ones (the caller gives at
/// most [`HTML_ROWS`]) are behind a toggle that works without script; `total` counts every row,
/// those not given are counted as being in report.json. `id` names the table for its filter.
fn capped_table(s: &mut String, id: &str, head: &str, rows: &[String], total: usize, what: &str) {
    let (top, rest) = rows.split_at(rows.len().min(HTML_TOP));
    let _ = write!(
        s,
        r#"<div class="scroll"><table id="{id}" class="sortable" data-filter="{id}"><thead><tr>{head}</tr></thead><tbody>{}</tbody></table></div>"#,
        top.concat()
    );
    if !rest.is_empty() {
        let _ = write!(
            s,
            r#"<details class="more"><summary>Show {} more {what}</summary><div class="scroll"><table class="sortable" data-filter="{id}"><thead><tr>{head}</tr></thead><tbody>{}</tbody></table></div></details>"#,
            rest.len(),
            rest.concat()
        );
    }
    s.push_str(&more(total.saturating_sub(rows.len()), what));
}

/// A list whose first [`HTML_TOP`] items show at once, the next ones to [`HTML_ROWS`] behind a
/// toggle, the rest counted.
fn capped_list(s: &mut String, items: &[String], what: &str) {
    let shown = &items[..items.len().min(HTML_ROWS)];
    let (top, rest) = shown.split_at(shown.len().min(HTML_TOP));
    let li = |list: &[String]| -> String { list.iter().map(|i| format!("<li>{i}</li>")).collect() };
    let _ = write!(s, "<ul>{}</ul>", li(top));
    if !rest.is_empty() {
        let _ = write!(
            s,
            r#"<details class="more"><summary>Show {} more {what}</summary><ul>{}</ul></details>"#,
            rest.len(),
            li(rest)
        );
    }
    s.push_str(&more(items.len() - shown.len(), what));
}

/// The failure column: the message on one line, its first [`MESSAGE`] characters in a column
/// of a fixed width; a longer message opens in full on a click (`<details>`, no script).
fn message_cell(msg: Option<&str>) -> String {
    let msg = one_line(msg.unwrap_or_default());
    let msg = msg.trim();
    if msg.is_empty() {
        return r#"<td class="msg">-</td>"#.into();
    }
    let short = shorten(msg, MESSAGE);
    if short == msg {
        format!(
            r#"<td class="msg"><div class="box">{}</div></td>"#,
            html(msg)
        )
    } else {
        format!(
            r#"<td class="msg"><details class="box"><summary>{}</summary>{}</details></td>"#,
            html(&short),
            html(&shorten(msg, MESSAGE_FULL))
        )
    }
}

/// The whole page. `nonce` allows the page's own script under its Content-Security-Policy.
pub(crate) fn render(r: &Report, nonce: &str) -> String {
    let mut s = String::with_capacity(256 * 1024);
    let _ = write!(
        s,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'nonce-{nonce}'">
<link rel="icon" href="data:,">
<title>testsift report</title>
<style>{STYLE}</style></head><body>
"#
    );
    // What a reader acts on first (broken, newly flaky), then the picture (the heat map), then
    // the long tables.
    let sections: [fn(&Report) -> String; 16] = [
        header,
        broken,
        fixed,
        owners,
        expired_quarantine,
        newly,
        timeline,
        changes,
        flaky,
        slow,
        regressions,
        load,
        trim,
        safety,
        infrastructure,
        footer,
    ];
    for section in sections {
        s.push_str(&section(r));
    }
    let _ = write!(
        s,
        "<script nonce=\"{nonce}\">{SCRIPT}</script>\n</body></html>\n"
    );
    s
}

fn card(s: &mut String, class: &str, value: String, label: &str) {
    let _ = write!(
        s,
        r#"<div class="card {class}"><b>{value}</b><span>{label}</span></div>"#
    );
}

fn header(r: &Report) -> String {
    let h = &r.headline;
    let mut s = String::from("<header><h1>testsift report</h1>");
    let _ = write!(
        s,
        r#"<p class="sub">{} runs, {} ({}) to {} ({}){}. Generated {}.</p>"#,
        h.runs,
        html(&shorten(h.first_run.as_deref().unwrap_or("-"), 60)),
        html(h.first_timestamp.as_deref().unwrap_or("-")),
        html(&shorten(h.last_run.as_deref().unwrap_or("-"), 60)),
        html(h.last_timestamp.as_deref().unwrap_or("-")),
        r.window
            .branch
            .as_deref()
            .map(|b| format!(", branch {}", html(&shorten(b, 60))))
            .unwrap_or_default(),
        html(&r.generated_at)
    );
    s.push_str(r##"<nav><a href="#broken">Broken</a><a href="#newly-flaky">Newly flaky</a><a href="#timeline">Timeline</a><a href="#flaky">Flaky</a><a href="#slow">Slow suites</a><a href="#regressions">Regressions</a><a href="#load">CI load</a><a href="#trim">No unique catch</a><a href="#infra">Infrastructure</a></nav></header><main>"##);
    s.push_str(r#"<div class="cards">"#);
    let bad = |n: usize| if n > 0 { "bad" } else { "good" };
    card(&mut s, "", h.tests.to_string(), "tests");
    card(&mut s, bad(h.flaky), h.flaky.to_string(), "flaky tests");
    card(&mut s, bad(h.broken), h.broken.to_string(), "broken tests");
    card(
        &mut s,
        if h.red_only_flaky_runs > 0 {
            "warn"
        } else {
            "good"
        },
        pct(h.flaky_run_rate),
        &format!(
            "runs red only because of flaky tests ({} of {})",
            h.red_only_flaky_runs,
            h.runs - h.infrastructure_runs
        ),
    );
    card(
        &mut s,
        "",
        format!("{:.1}", h.flaky_executions_per_1000),
        "flaky executions per 1,000",
    );
    card(
        &mut s,
        "",
        format!("{:.2} h", h.test_hours),
        "test time in the window",
    );
    card(
        &mut s,
        if h.suites_getting_slower > 0 {
            "warn"
        } else {
            ""
        },
        h.suites_getting_slower.to_string(),
        &format!("of {} suites getting slower", h.suites),
    );
    card(
        &mut s,
        "",
        h.failure_events.to_string(),
        "failure events caught",
    );
    card(
        &mut s,
        "",
        h.trim_candidates.to_string(),
        &format!(
            "tests with no unique catch listed to review (of {}; listed: run in at least {}; the window has {})",
            r.trim.summary.redundant_tests,
            crate::export::format::count(r.trim.options.min_runs, "run"),
            r.trim
                .summary
                .runs
                .saturating_sub(r.trim.summary.infrastructure_runs)
        ),
    );
    card(
        &mut s,
        if h.infrastructure_runs > 0 {
            "warn"
        } else {
            ""
        },
        h.infrastructure_runs.to_string(),
        "infrastructure failures left out",
    );
    s.push_str("</div>");
    s
}

fn change_list(s: &mut String, title: &str, items: Vec<String>) {
    if items.is_empty() {
        return;
    }
    let _ = write!(s, "<h3>{title} ({})</h3>", items.len());
    capped_list(s, &items, "entries");
}

fn verdict_changes(list: &[super::diff::VerdictChange]) -> Vec<String> {
    list.iter()
        .map(|v| {
            format!(
                "{} ({} → {})",
                test_label(&v.test_id, &v.variant),
                html(v.before.as_deref().unwrap_or("not in the previous report")),
                html(&v.after)
            )
        })
        .collect()
}

/// Flaky tests that are new: since the previous report when there is one, else those whose
/// first flaky run is recent (see [`NewlyFlaky::FirstFlakyLately`]).
fn newly(r: &Report) -> String {
    let mut s = String::from(r#"<section id="newly-flaky">"#);
    match newly_flaky(r) {
        NewlyFlaky::SincePrevious(list) => {
            let _ = write!(
                s,
                r#"<h2>Newly flaky ({})</h2><p class="sub">Flaky now and not in the previous report.</p>"#,
                list.len()
            );
            if list.is_empty() {
                s.push_str("<p>None since the previous report.</p>");
            } else {
                capped_list(&mut s, &verdict_changes(list), "tests");
            }
        }
        NewlyFlaky::FirstFlakyLately { since, tests: list } => {
            let since = html(since.as_deref().unwrap_or("-"));
            let _ = write!(
                s,
                r#"<h2>Newly flaky ({})</h2><p class="sub">No previous report to compare with: flaky tests whose first flaky run is at or after {since} (the last {NEW_DAYS} days of the window, or its newer half when it is shorter).</p>"#,
                list.len()
            );
            if list.is_empty() {
                let _ = write!(s, "<p>No test became flaky since {since}.</p>");
            } else {
                let items: Vec<String> = list
                    .iter()
                    .map(|t| {
                        format!(
                            "{} first flaky in run {} ({}, commit {}); {} flaky of {} runs",
                            test_label(&t.test_id, &t.variant),
                            html(&shorten(
                                t.first_flaky.as_ref().map_or("-", |f| f.run.as_str()),
                                60
                            )),
                            html(t.first_flaky.as_ref().map_or("-", |f| f.timestamp.as_str())),
                            short_commit(t.first_flaky.as_ref().and_then(|f| f.commit.as_deref())),
                            t.flaky_executions,
                            t.non_broken_executions
                        )
                    })
                    .collect();
                capped_list(&mut s, &items, "tests");
            }
        }
    }
    s.push_str("</section>");
    s
}

fn test_label(id: &str, variant: &str) -> String {
    let v = if variant.is_empty() {
        String::new()
    } else {
        format!(" @{}", shorten(variant, 60))
    };
    format!(
        "<code>{}</code>",
        html(&format!("{}{v}", shorten(id, NAME)))
    )
}

fn changes(r: &Report) -> String {
    let Some(c) = &r.changes else {
        return String::new();
    };
    let mut s = format!(
        r#"<section id="changes"><h2>Since the previous report</h2><p class="sub">Compared with {} (generated {}); {} tests added, {} gone.</p>"#,
        html(&shorten(&c.previous, 200)),
        html(c.previous_generated_at.as_deref().unwrap_or("-")),
        c.tests_added,
        c.tests_removed
    );
    if c.is_empty() {
        s.push_str("<p>Nothing changed.</p>");
    } else if !c.newly_flaky.is_empty() {
        s.push_str(r##"<p class="note">Newly flaky tests are listed <a href="#newly-flaky">at the top</a>.</p>"##);
    }
    change_list(&mut s, "Newly broken", verdict_changes(&c.newly_broken));
    change_list(&mut s, "Fixed", verdict_changes(&c.fixed));
    change_list(
        &mut s,
        "No longer flaky",
        verdict_changes(&c.no_longer_flaky),
    );
    change_list(
        &mut s,
        "Flake rate rose",
        c.flake_rate_rose
            .iter()
            .map(|t| {
                format!(
                    "{}: {} → {}",
                    test_label(&t.test_id, &t.variant),
                    pct(t.before),
                    pct(t.after)
                )
            })
            .collect(),
    );
    change_list(
        &mut s,
        "Slower suites",
        c.slower_suites
            .iter()
            .map(|g| {
                format!(
                    "<code>{}</code>: {:.2} s → {:.2} s per run ({:+.1}%)",
                    html(&shorten(&g.group, NAME)),
                    g.before_seconds,
                    g.after_seconds,
                    100.0 * g.change
                )
            })
            .collect(),
    );
    s.push_str("</section>");
    s
}

fn evidence_runs(v: Option<&VerdictRuns>) -> String {
    let Some(v) = v else {
        return "<td>-</td>".into();
    };
    if v.runs.is_empty() {
        return "<td>-</td>".into();
    }
    let mut s = format!(
        "<td><details><summary>{}</summary><ul>",
        crate::export::format::count(v.runs.len() + v.more, "run")
    );
    for x in &v.runs {
        let _ = write!(
            s,
            r#"<li>{} <span class="tag{}">{}</span> {} <span class="note">commit {}</span></li>"#,
            html(&shorten(&x.run, 60)),
            if x.status == Status::Flaky {
                ""
            } else {
                " bad"
            },
            html(x.status.as_str()),
            html(&x.timestamp),
            short_commit(x.commit.as_deref())
        );
    }
    s.push_str("</ul>");
    if v.more > 0 {
        let _ = write!(s, r#"<p class="note">and {} older</p>"#, v.more);
    }
    s.push_str("</details></td>");
    s
}

fn flaky(r: &Report) -> String {
    let list = top_flaky(&r.flaky);
    let mut s = format!(
        r#"<section id="flaky"><h2>Flaky tests ({})</h2><p class="sub">Verdicts and evidence as in <code>testsift flaky</code>: a retry that passed within a run, a pass and a failure on the same commit, or flips between consecutive runs. Most flaky executions first; click a heading to sort.</p>"#,
        list.len()
    );
    if list.is_empty() {
        s.push_str("<p>No flaky tests in the window.</p></section>");
        return s;
    }
    s.push_str(r#"<input class="filter" type="search" placeholder="Filter tests" aria-label="filter flaky tests" data-table="flaky-table">"#);
    let rows: Vec<String> = list
        .iter()
        .take(HTML_ROWS)
        .map(|t| flaky_row(r, t))
        .collect();
    capped_table(
        &mut s,
        "flaky-table",
        r#"<th>test</th><th class="num">flake rate (95% CI)</th><th class="num">flaky runs</th><th class="num">retried</th><th class="num">same-commit</th><th class="num">flip rate</th><th>first to last flaky</th><th class="num">CI s lost</th><th>failure</th><th>runs</th>"#,
        &rows,
        list.len(),
        "flaky tests",
    );
    s.push_str("</section>");
    s
}

fn flaky_row(r: &Report, t: &TestVerdict) -> String {
    let mut s = String::from("<tr>");
    s.push_str(&name_cell(&t.test_id, &t.variant));
    s.push_str(&num(
        t.flake_rate.unwrap_or(0.0),
        format!(
            "{}<br><small>{}</small>",
            t.flake_rate.map_or_else(|| "-".into(), pct),
            match (t.flake_rate_low, t.flake_rate_high) {
                (Some(lo), Some(hi)) => format!("{}–{}", pct(lo), pct(hi)),
                _ => String::new(),
            }
        ),
    ));
    s.push_str(&num(
        t.flaky_executions as f64,
        format!("{} of {}", t.flaky_executions, t.non_broken_executions),
    ));
    s.push_str(&num(t.retry_runs as f64, t.retry_runs.to_string()));
    s.push_str(&num(
        t.same_commit_commits as f64,
        t.same_commit_commits.to_string(),
    ));
    s.push_str(&num(
        t.flip_rate,
        format!("{:.2} ({}/{})", t.flip_rate, t.flips, t.transitions),
    ));
    let _ = write!(
        s,
        "<td>{}<br><small>to</small> {}</td>",
        run_ref(t.first_flaky.as_ref()),
        run_ref(t.last_flaky.as_ref())
    );
    s.push_str(&num(t.ci_seconds, format!("{:.1}", t.ci_seconds)));
    s.push_str(&message_cell(r.failure_of(t)));
    s.push_str(&evidence_runs(r.runs_of(t)));
    s.push_str("</tr>");
    s
}

fn legend() -> String {
    let mut s = String::from(r#"<div class="legend">"#);
    for c in ['.', 'F', '~', 's', 'I', ' '] {
        let (color, meaning) = svg::cell_style(c);
        let _ = write!(
            s,
            r#"<span><i style="background:{color}"></i>{}</span>"#,
            html(meaning)
        );
    }
    s.push_str("</div>");
    s
}

fn timeline(r: &Report) -> String {
    let h = &r.history;
    let mut s = format!(
        r#"<section id="timeline"><h2>Flaky timeline</h2><p class="sub">The top flaky and broken tests over the newest {} runs; hover a cell for the run, time and commit.</p>"#,
        h.recent_runs
    );
    if h.timeline.is_empty() {
        s.push_str("<p>No flaky or broken tests to show.</p></section>");
        return s;
    }
    s.push_str(&legend());
    let recent = &h.runs[h.runs.len() - h.recent_runs..];
    let _ = write!(
        s,
        r#"<div class="chartbox">{}</div></section>"#,
        svg::heatmap(recent, &h.timeline)
    );
    s
}

/// Broken and flaky tests per owner (testsift.toml, CODEOWNERS); nothing without owners.
fn owners(r: &Report) -> String {
    let rows = r.by_owner();
    if rows.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        r#"<section id="owners"><h2>By owner</h2><table class="sortable"><thead><tr><th>owner</th><th class="num">broken</th><th class="num">flaky</th></tr></thead><tbody>"#,
    );
    for (owner, broken, flaky) in rows {
        let _ = write!(
            s,
            r#"<tr><td>{}</td><td class="num" data-v="{broken}">{broken}</td><td class="num" data-v="{flaky}">{flaky}</td></tr>"#,
            html(&shorten(&owner, 80))
        );
    }
    s.push_str("</tbody></table></section>");
    s
}

/// What the skip list and the priority order would have done, replayed.
fn safety(r: &Report) -> String {
    format!(
        r#"<section id="safety"><h2>Selection safety</h2><p>{}</p><p class="sub">Replayed with <code>testsift backtest skip</code> and <code>backtest priority</code>; APFD is the average share of a run's tests still ahead when each failure is found (1: every failure first, about 0.5: a random order).</p></section>"#,
        html(&r.selection_safety.sentences())
    )
}

/// testsift.toml's quarantine entries past their `until`; nothing when there is none.
fn expired_quarantine(r: &Report) -> String {
    let list = &r.expired_quarantine;
    if list.is_empty() {
        return String::new();
    }
    let mut s = format!(
        r#"<section id="expired"><h2>Expired quarantine ({})</h2><p class="sub">Entries of testsift.toml past their last day: renew or remove them.</p><table><thead><tr><th>test</th><th>until</th><th>owner</th><th>reason</th><th>issue</th></tr></thead><tbody>"#,
        list.len()
    );
    for q in list {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html(&shorten(&q.test, 120)),
            q.until,
            html(&shorten(&q.owner, 60)),
            html(&shorten(&q.reason, 200)),
            html(&shorten(&q.issue, 200))
        );
    }
    s.push_str("</tbody></table></section>");
    s
}

fn broken(r: &Report) -> String {
    let list = top_broken(&r.flaky);
    let mut s = format!(
        r#"<section id="broken"><h2>Broken tests ({})</h2><p class="sub">Failing in every run since the run shown, and judged a breakage rather than flakiness (docs/analysis.md): that run and commit is where it started. A test broken only on a pull-request branch says which.</p>"#,
        list.len()
    );
    if let Some(red) = &r.flaky.summary.trunk_red {
        s.push_str(&format!(
            r#"<p class="note"><strong>The trunk is red on almost every test:</strong> its last {} runs{} failed almost every test, on {} commits since run {} (commit <code>{}</code>): a commit that broke what every test needs, or an outage going on. Those runs are left out of the verdicts (Infrastructure failures).</p>"#,
            red.runs,
            if red.variant.is_empty() {
                String::new()
            } else {
                format!(" of variant {}", html(&shorten(&red.variant, 60)))
            },
            red.commits,
            html(&shorten(&red.first.run, 60)),
            short_commit(red.first.commit.as_deref())
        ));
    }
    if list.is_empty() {
        s.push_str("<p>No broken tests.</p></section>");
        return s;
    }
    let rows: Vec<String> = list
        .iter()
        .take(HTML_ROWS)
        .filter_map(|t| {
            let st = t.streak.as_ref()?;
            Some(format!(
                r#"<tr>{}<td>{}</td><td title="{}"><code>{}</code></td><td>{}</td>{}{}{}</tr>"#,
                name_cell(&t.test_id, &t.variant),
                match (&st.branch, &t.absent_since) {
                    (Some(b), _) => format!(
                        r#"{}<br><span class="sub">only on branch {}</span>"#,
                        html(&shorten(&st.first.run, 60)),
                        html(&shorten(b, 60))
                    ),
                    (None, Some(gone)) => format!(
                        r#"{}<br><span class="sub">not run since run {}: deleted or renamed?</span>"#,
                        html(&shorten(&st.first.run, 60)),
                        html(&shorten(&gone.run, 60))
                    ),
                    (None, None) => html(&shorten(&st.first.run, 60)),
                },
                html(&shorten(st.first.commit.as_deref().unwrap_or("-"), 100)),
                short_commit(st.first.commit.as_deref()),
                html(&st.first.timestamp),
                num(st.length as f64, st.length.to_string()),
                message_cell(r.failure_of(t)),
                evidence_runs(r.runs_of(t))
            ))
        })
        .collect();
    capped_table(
        &mut s,
        "broken-table",
        r#"<th>test</th><th>since run</th><th>commit</th><th>started</th><th class="num">failing runs</th><th>failure</th><th>runs</th>"#,
        &rows,
        list.len(),
        "broken tests",
    );
    s.push_str("</section>");
    s
}

/// Tests broken in the window and passing again; nothing when there is none.
fn fixed(r: &Report) -> String {
    let list = top_fixed(&r.flaky);
    if list.is_empty() {
        return String::new();
    }
    let mut s = format!(
        r#"<section id="fixed"><h2>Fixed in the window ({})</h2><p class="sub">Broken, then passing again: the run and commit where each broke, and the first run of the commit that fixed it.</p>"#,
        list.len()
    );
    let rows: Vec<String> = list
        .iter()
        .take(HTML_ROWS)
        .filter_map(|(t, b)| {
            let fix = b.fixed_by.as_ref()?;
            let mut broke = match &b.branch {
                Some(branch) => format!(
                    r#"{}<br><span class="sub">only on branch {}</span>"#,
                    html(&shorten(&b.first_bad.run, 60)),
                    html(&shorten(branch, 60))
                ),
                None => html(&shorten(&b.first_bad.run, 60)),
            };
            if r.at_window_start(&b.first_bad.run) {
                broke.push_str(
                    r#"<br><span class="sub">the window's first run: it may have broken before</span>"#,
                );
            }
            Some(format!(
                r#"<tr>{}<td>{}</td><td title="{}"><code>{}</code></td><td>{}</td><td title="{}"><code>{}</code></td>{}</tr>"#,
                name_cell(&t.test_id, &t.variant),
                broke,
                html(&shorten(b.first_bad.commit.as_deref().unwrap_or("-"), 100)),
                short_commit(b.first_bad.commit.as_deref()),
                html(&shorten(&fix.run, 60)),
                html(&shorten(fix.commit.as_deref().unwrap_or("-"), 100)),
                short_commit(fix.commit.as_deref()),
                num(b.executions as f64, b.executions.to_string()),
            ))
        })
        .collect();
    capped_table(
        &mut s,
        "fixed-table",
        r#"<th>test</th><th>broken since run</th><th>commit</th><th>fixed by run</th><th>commit</th><th class="num">failing runs</th>"#,
        &rows,
        list.len(),
        "fixed tests",
    );
    s.push_str("</section>");
    s
}

fn slow(r: &Report) -> String {
    let groups = &r.slow.groups;
    let mut s = format!(
        r#"<section id="slow"><h2>Slow suites</h2><p class="sub">{:.2} h of test time over {} runs (infrastructure failures left out). Sparkline: the suite's time per run, oldest to newest. Trend: Theil–Sen slope per run; last 7 days against the 7 before.</p>"#,
        r.slow.summary.total_seconds / 3600.0,
        r.slow.summary.runs
    );
    if groups.is_empty() {
        s.push_str("<p>No timed tests.</p></section>");
        return s;
    }
    let rows: Vec<String> = groups
        .iter()
        .zip(&r.history.suites)
        .map(|(g, series)| {
            let mut s = format!(
                r#"<tr><td class="name" title="{}"><div class="box">{}</div></td><td>{}</td>"#,
                html(&shorten(&g.group, 1000)),
                html(&shorten(&g.group, NAME)),
                svg::sparkline(
                    &series.seconds,
                    &format!("{} per run", shorten(&g.group, 80))
                )
            );
            s.push_str(&num(
                g.total_seconds,
                format!("{:.1} min", g.total_seconds / 60.0),
            ));
            s.push_str(&num(g.share, pct(g.share)));
            s.push_str(&num(g.median_seconds, format!("{:.2} s", g.median_seconds)));
            s.push_str(&num(g.p95_seconds, format!("{:.2} s", g.p95_seconds)));
            s.push_str(&num(
                g.slope_seconds_per_run.unwrap_or(0.0),
                g.slope_seconds_per_run
                    .map_or_else(|| "-".into(), |x| format!("{x:+.3} s")),
            ));
            let _ = write!(
                s,
                r#"<td class="num" data-v="{}">{}{}</td></tr>"#,
                g.change.unwrap_or(0.0),
                g.change
                    .map_or_else(|| "-".into(), |x| format!("{:+.1}%", 100.0 * x)),
                if g.getting_slower {
                    r#" <span class="tag bad">getting slower</span>"#
                } else {
                    ""
                }
            );
            s
        })
        .collect();
    capped_table(
        &mut s,
        "slow-table",
        r#"<th>suite</th><th>per run</th><th class="num">total</th><th class="num">share</th><th class="num">median</th><th class="num">p95</th><th class="num">trend per run</th><th class="num">last 7 days</th>"#,
        &rows,
        groups.len(),
        "suites",
    );
    s.push_str("</section>");
    s
}

/// Tests whose median duration stepped up and stayed up, biggest step in seconds first.
fn regressions(r: &Report) -> String {
    let list = &r.slow.regressions;
    let mut s = String::from(
        r#"<section id="regressions"><h2>Duration regressions</h2><p class="sub">Tests whose median time per run stepped up at one run and stayed up (docs/analysis.md); the run and commit are where the step happened.</p>"#,
    );
    if list.is_empty() {
        s.push_str("<p>None in the window.</p></section>");
        return s;
    }
    let mut sorted: Vec<_> = list.iter().collect();
    sorted.sort_by(|a, b| b.step_seconds.total_cmp(&a.step_seconds));
    let rows: Vec<String> = sorted
        .iter()
        .take(HTML_ROWS)
        .map(|g| {
            let mut s = format!(
                "<tr>{}<td>{}</td><td><code>{}</code></td>",
                name_cell(&g.test_id, &g.variant),
                html(&shorten(&g.run, NAME)),
                short_commit(g.commit.as_deref())
            );
            s.push_str(&num(
                g.median_before_seconds,
                format!("{:.2} s", g.median_before_seconds),
            ));
            s.push_str(&num(
                g.median_after_seconds,
                format!("{:.2} s", g.median_after_seconds),
            ));
            s.push_str(&num(
                g.step_seconds,
                format!("+{:.2} s ({:+.0}%)", g.step_seconds, 100.0 * g.step),
            ));
            s.push_str("</tr>");
            s
        })
        .collect();
    capped_table(
        &mut s,
        "regressions-table",
        r#"<th>test</th><th>since run</th><th>commit</th><th class="num">before</th><th class="num">after</th><th class="num">step</th>"#,
        &rows,
        list.len(),
        "regressions",
    );
    s.push_str("</section>");
    s
}

fn load(r: &Report) -> String {
    let days = &r.slow.days;
    let shown = &days[days.len().saturating_sub(DAYS)..];
    let mut s = format!(
        r#"<section id="load"><h2>CI load per day</h2><p class="sub">Test-hours per UTC day ({} days{}); hover a bar for runs, executions and retries.</p>"#,
        shown.len(),
        if days.len() > shown.len() {
            format!(", the newest of {}", days.len())
        } else {
            String::new()
        }
    );
    if shown.is_empty() {
        s.push_str("<p>No runs.</p></section>");
        return s;
    }
    let _ = write!(s, r#"<div class="chartbox">{}</div>"#, svg::day_bars(shown));
    s.push_str(r#"<details><summary>As a table</summary><div class="scroll"><table class="sortable"><thead><tr><th>day</th><th class="num">runs</th><th class="num">executions</th><th class="num">test-hours</th><th class="num">retries</th><th class="num">waste hours</th></tr></thead><tbody>"#);
    for d in shown.iter().rev() {
        let _ = write!(s, "<tr><td>{}</td>", html(&d.day));
        s.push_str(&num(d.runs as f64, d.runs.to_string()));
        s.push_str(&num(d.executions as f64, d.executions.to_string()));
        s.push_str(&num(d.test_hours, format!("{:.2}", d.test_hours)));
        s.push_str(&num(d.retries as f64, d.retries.to_string()));
        s.push_str(&num(d.waste_hours, format!("{:.2}", d.waste_hours)));
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div></details></section>");
    s
}

/// What the trim advice means, in words that do not read as an order.
fn advice(a: Advice) -> &'static str {
    match a {
        Advice::Keep => "keep",
        Advice::MoveToNightly => "its catches were all caught by others: could run less often",
        Advice::ReviewForDeletion => "caught nothing in the window: review what it checks",
    }
}

fn trim(r: &Report) -> String {
    let t = &r.trim;
    let mut s = format!(
        r#"<section id="trim"><h2>Tests with no unique catch</h2><p>{}</p><p class="sub">The curve: tests in greedy order (most new failure events per second of cost first); past the cut, tests caught no event the earlier ones missed. Listed: tests past the cut that ran in at least {} runs, most time first. "Catch rate ≤" is the most each could still catch that the others miss (95%, about 3 / its runs).</p>"#,
        html(&trim_sentence(r)),
        t.options.min_runs
    );
    if t.curve.len() > 1 {
        let _ = write!(
            s,
            r#"<div class="chartbox">{}</div>"#,
            svg::curve(&t.curve, t.summary.kept_cost_share)
        );
    }
    if t.candidates.is_empty() {
        s.push_str("<p>No test without a unique catch ran in enough runs to list.</p></section>");
        return s;
    }
    let rows: Vec<String> = t
        .candidates
        .iter()
        .take(HTML_ROWS)
        .map(|c| {
            let mut s = String::from("<tr>");
            s.push_str(&name_cell(&c.test_id, &c.variant));
            s.push_str(&num(c.runs as f64, c.runs.to_string()));
            s.push_str(&num(c.cost_seconds, format!("{:.2} s", c.cost_seconds)));
            s.push_str(&num(c.hours_per_week, format!("{:.3}", c.hours_per_week)));
            s.push_str(&num(c.events as f64, c.events.to_string()));
            s.push_str(&num(c.detection_rate_upper, pct(c.detection_rate_upper)));
            let _ = write!(s, "<td>{}</td></tr>", advice(c.advice));
            s
        })
        .collect();
    capped_table(
        &mut s,
        "trim-table",
        r#"<th>test</th><th class="num">runs</th><th class="num">cost per run</th><th class="num">hours/week</th><th class="num">events (all also caught by others)</th><th class="num">catch rate ≤ (95%)</th><th>note</th>"#,
        &rows,
        t.candidates.len(),
        "tests",
    );
    s.push_str("</section>");
    s
}

fn infrastructure(r: &Report) -> String {
    let runs = &r.flaky.infrastructure_runs;
    let mut s = format!(
        r#"<section id="infra"><h2>Infrastructure failures ({})</h2><p class="sub">Runs where more than {:.0}% of the executed tests failed: left out of every analysis.</p>"#,
        runs.len(),
        100.0 * r.flaky.options.infra_threshold
    );
    if runs.is_empty() {
        s.push_str("<p>None.</p></section>");
        return s;
    }
    let rows: Vec<String> = runs
        .iter()
        .rev()
        .take(HTML_ROWS)
        .map(|i| {
            format!(
                r#"<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td class="num" data-v="{}">{} of {}</td></tr>"#,
                html(&shorten(&i.run, 60)),
                html(&i.timestamp),
                short_commit(i.commit.as_deref()),
                i.failed,
                i.failed,
                i.executed
            )
        })
        .collect();
    capped_table(
        &mut s,
        "infra-table",
        r#"<th>run</th><th>time</th><th>commit</th><th class="num">failed</th>"#,
        &rows,
        runs.len(),
        "runs",
    );
    s.push_str("</section>");
    s
}

fn footer(r: &Report) -> String {
    format!(
        r#"</main><footer>testsift report, schema version {}. Thresholds: flaky min runs {}, infrastructure share {:.0}%, slower at +{:.0}%, trim min runs {}. Everything on this page, and more, is in report.json.</footer>"#,
        r.schema_version,
        r.options.flaky.min_runs,
        100.0 * r.options.flaky.infra_threshold,
        100.0 * r.options.slow.slower_threshold,
        r.options.trim.min_runs
    )
}

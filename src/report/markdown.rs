//! report.md: GitHub-flavoured Markdown for a job summary or a pull-request comment. Headline
//! numbers, the top 10 of each list, details in `<details>` blocks. Every cell is escaped and
//! capped, and a section that would take the file past [`MAX_BYTES`] is left out with a note,
//! so the file stays under 60 KB whatever the history.

use super::diff::{Changes, VerdictChange};
use super::escape::markdown_capped;
use super::{Report, top_broken, top_fixed, top_flaky, trim_sentence};
use crate::analysis::flaky::TestVerdict;
use crate::analysis::trim::Advice;
use crate::export::format::{pct, signed_pct};
use std::fmt::Write;

/// Rows of each list.
pub(crate) const TOP: usize = 10;
/// The file never grows past this.
pub(crate) const MAX_BYTES: usize = 58 * 1024;
/// Escaped bytes of a test id, a message, a variant or run id, at most.
const NAME: usize = 120;
const MESSAGE: usize = 160;
const SHORT: usize = 40;

fn md(s: &str, cap: usize) -> String {
    markdown_capped(s, cap)
}

fn test_cell(id: &str, variant: &str) -> String {
    if variant.is_empty() {
        md(id, NAME)
    } else {
        format!("{} \\({}\\)", md(id, NAME), md(variant, SHORT))
    }
}

fn commit(c: Option<&str>) -> String {
    c.map(|c| md(&c.chars().take(10).collect::<String>(), SHORT))
        .unwrap_or_else(|| "-".into())
}

fn more(n: usize, what: &str) -> String {
    if n > 0 {
        format!("\n{n} more {what} in report.json.\n")
    } else {
        String::new()
    }
}

/// A section of the file, rendered on its own.
type Section = fn(&Report) -> String;

/// The whole file.
pub(crate) fn render(r: &Report) -> String {
    let mut out = String::new();
    let sections: [(&str, Section); 13] = [
        ("headline", headline),
        ("changes", changes),
        ("flaky tests", flaky),
        ("broken tests", broken),
        ("fixed tests", fixed),
        ("owners", owners),
        ("expired quarantine", expired_quarantine),
        ("slow suites", slow),
        ("duration regressions", regressions),
        ("tests with no unique catch", trim),
        ("selection safety", safety),
        ("CI load per day", load),
        ("infrastructure failures", infrastructure),
    ];
    for (name, section) in sections {
        let text = section(r);
        if out.len() + text.len() > MAX_BYTES {
            let _ = writeln!(
                out,
                "_The {name} section is left out to keep this summary small; see report.json._\n"
            );
        } else {
            out.push_str(&text);
        }
    }
    out
}

/// Broken and flaky tests per owner (testsift.toml, CODEOWNERS); nothing without owners.
fn owners(r: &Report) -> String {
    let rows = r.by_owner();
    if rows.is_empty() {
        return String::new();
    }
    let mut s = String::from("### By owner\n\n| owner | broken | flaky |\n|---|---:|---:|\n");
    for (owner, broken, flaky) in rows {
        let _ = writeln!(
            s,
            "| {} | {broken} | {flaky} |",
            markdown_capped(&owner, 200)
        );
    }
    s.push('\n');
    s
}

/// What the skip list and the priority order would have done, replayed.
fn safety(r: &Report) -> String {
    // Numbers and fixed words only: written as is.
    format!(
        "### Selection safety\n\n{}\n\n",
        r.selection_safety.sentences()
    )
}

/// testsift.toml's quarantine entries past their `until`; nothing when there is none.
fn expired_quarantine(r: &Report) -> String {
    let list = &r.expired_quarantine;
    if list.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "### Expired quarantine ({})

Entries of testsift.toml past their last day: renew or remove them.

\
         | test | until | owner | reason | issue |\n|---|---|---|---|---|\n",
        list.len()
    );
    for q in list {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            md(&q.test, NAME),
            q.until,
            md(&q.owner, SHORT),
            md(&q.reason, NAME),
            md(&q.issue, NAME)
        );
    }
    s.push('\n');
    s
}

fn headline(r: &Report) -> String {
    let h = &r.headline;
    let mut s = String::from("## testsift report\n\n");
    let _ = writeln!(
        s,
        "{} runs from {} to {} ({} to {}), generated {}.\n",
        h.runs,
        md(h.first_run.as_deref().unwrap_or("-"), SHORT),
        md(h.last_run.as_deref().unwrap_or("-"), SHORT),
        h.first_timestamp.as_deref().unwrap_or("-"),
        h.last_timestamp.as_deref().unwrap_or("-"),
        r.generated_at,
    );
    let _ = writeln!(s, "| | |\n|---|---:|");
    let rows = [
        ("tests", h.tests.to_string()),
        ("flaky", h.flaky.to_string()),
        ("broken", h.broken.to_string()),
        ("fixed in the window", h.fixed.to_string()),
        ("skipped in every run", h.skipped.to_string()),
        (
            "runs red only because of flaky tests",
            format!(
                "{} of {} ({})",
                h.red_only_flaky_runs,
                h.runs - h.infrastructure_runs,
                pct(h.flaky_run_rate)
            ),
        ),
        (
            "flaky executions per 1,000",
            format!("{:.1}", h.flaky_executions_per_1000),
        ),
        ("infrastructure failures", h.infrastructure_runs.to_string()),
        ("test time", format!("{:.2} h", h.test_hours)),
        (
            "suites getting slower",
            format!("{} of {}", h.suites_getting_slower, h.suites),
        ),
        ("failure events", h.failure_events.to_string()),
        (
            "no unique catch (to review)",
            format!(
                "{}; {} listed (run in at least {}; the window has {}), {:.2} h/week",
                crate::export::format::count(r.trim.summary.redundant_tests, "test"),
                h.trim_candidates,
                crate::export::format::count(r.trim.options.min_runs, "run"),
                r.trim
                    .summary
                    .runs
                    .saturating_sub(r.trim.summary.infrastructure_runs),
                h.candidate_hours_per_week
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(s, "| {k} | {v} |");
    }
    s.push('\n');
    s
}

fn change_list(s: &mut String, title: &str, list: &[VerdictChange]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(s, "**{title}** ({})\n", list.len());
    for c in list.iter().take(TOP) {
        let _ = writeln!(
            s,
            "- {} ({} → {})",
            test_cell(&c.test_id, &c.variant),
            // `before` comes from the previous report.json, a file like any other.
            md(
                c.before.as_deref().unwrap_or("not in the previous report"),
                SHORT
            ),
            md(&c.after, SHORT)
        );
    }
    s.push_str(&more(list.len().saturating_sub(TOP), "tests"));
    s.push('\n');
}

fn changes(r: &Report) -> String {
    let Some(c) = &r.changes else {
        return String::new();
    };
    let mut s = String::from("### Since the previous report\n\n");
    if c.is_empty() {
        s.push_str("Nothing changed.\n\n");
        return s;
    }
    change_lists(&mut s, c);
    s
}

fn change_lists(s: &mut String, c: &Changes) {
    change_list(s, "Newly flaky", &c.newly_flaky);
    change_list(s, "Newly broken", &c.newly_broken);
    change_list(s, "Fixed", &c.fixed);
    change_list(s, "No longer flaky", &c.no_longer_flaky);
    if !c.flake_rate_rose.is_empty() {
        let _ = writeln!(s, "**Flake rate rose** ({})\n", c.flake_rate_rose.len());
        for t in c.flake_rate_rose.iter().take(TOP) {
            let _ = writeln!(
                s,
                "- {}: {} → {}",
                test_cell(&t.test_id, &t.variant),
                pct(t.before),
                pct(t.after)
            );
        }
        s.push_str(&more(c.flake_rate_rose.len().saturating_sub(TOP), "tests"));
        s.push('\n');
    }
    if !c.slower_suites.is_empty() {
        let _ = writeln!(s, "**Slower suites** ({})\n", c.slower_suites.len());
        for g in c.slower_suites.iter().take(TOP) {
            let _ = writeln!(
                s,
                "- {}: {:.2} s → {:.2} s per run ({})",
                md(&g.group, NAME),
                g.before_seconds,
                g.after_seconds,
                signed_pct(Some(g.change))
            );
        }
        s.push_str(&more(c.slower_suites.len().saturating_sub(TOP), "suites"));
        s.push('\n');
    }
}

fn rate(t: &TestVerdict) -> String {
    match (t.flake_rate, t.flake_rate_low, t.flake_rate_high) {
        (Some(r), Some(lo), Some(hi)) => format!("{} \\[{}, {}\\]", pct(r), pct(lo), pct(hi)),
        _ => "-".into(),
    }
}

fn flaky(r: &Report) -> String {
    let list = top_flaky(&r.flaky);
    let mut s = format!("### Flaky tests ({})\n\n", list.len());
    if list.is_empty() {
        s.push_str("None in the window.\n\n");
        return s;
    }
    s.push_str("| test | flake rate \\[95% CI\\] | flaky runs | retried | same-commit | flip rate | last flaky |\n|---|---:|---:|---:|---:|---:|---|\n");
    for t in list.iter().take(TOP) {
        let _ = writeln!(
            s,
            "| {} | {} | {} of {} | {} | {} | {:.2} | {} |",
            test_cell(&t.test_id, &t.variant),
            rate(t),
            t.flaky_executions,
            t.non_broken_executions,
            t.retry_runs,
            t.same_commit_commits,
            t.flip_rate,
            t.last_flaky
                .as_ref()
                .map_or_else(|| "-".into(), |x| md(&x.run, SHORT))
        );
    }
    s.push_str(&more(list.len().saturating_sub(TOP), "flaky tests"));
    s.push_str("\n<details><summary>Evidence: failures and runs</summary>\n\n");
    for t in list.iter().take(TOP) {
        let _ = write!(s, "- {}", test_cell(&t.test_id, &t.variant));
        if let Some(m) = r.failure_of(t) {
            let _ = write!(s, ": {}", md(m, MESSAGE));
        }
        if let Some(v) = r.runs_of(t) {
            let runs: Vec<String> = v
                .runs
                .iter()
                .take(5)
                .map(|x| {
                    format!(
                        "{} ({}, {})",
                        md(&x.run, SHORT),
                        md(x.status.as_str(), SHORT),
                        commit(x.commit.as_deref())
                    )
                })
                .collect();
            let _ = write!(s, "; runs: {}", runs.join(", "));
            let hidden = v.more + v.runs.len().saturating_sub(5);
            if hidden > 0 {
                let _ = write!(s, " and {hidden} more");
            }
        }
        s.push('\n');
    }
    s.push_str("\n</details>\n\n");
    s
}

fn broken(r: &Report) -> String {
    let list = top_broken(&r.flaky);
    let mut s = format!("### Broken tests ({})\n\n", list.len());
    if let Some(red) = &r.flaky.summary.trunk_red {
        let _ = writeln!(
            s,
            "**The trunk is red on almost every test:** its last {} runs{} failed almost every \
             test, on {} commits since run {} (commit {}): a commit that broke what every test \
             needs, or an outage going on. Those runs are left out of the verdicts below \
             (Infrastructure failures).\n",
            red.runs,
            if red.variant.is_empty() {
                String::new()
            } else {
                format!(" of variant {}", md(&red.variant, SHORT))
            },
            red.commits,
            md(&red.first.run, SHORT),
            commit(red.first.commit.as_deref())
        );
    }
    if list.is_empty() {
        s.push_str("None in the window.\n\n");
        return s;
    }
    s.push_str("| test | failing since run | commit | started | failing runs | failure |\n|---|---|---|---|---:|---|\n");
    for t in list.iter().take(TOP) {
        let Some(st) = &t.streak else { continue };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            test_cell(&t.test_id, &t.variant),
            match (&st.branch, &t.absent_since) {
                (Some(b), _) => format!(
                    "{} (only on branch {})",
                    md(&st.first.run, SHORT),
                    md(b, SHORT)
                ),
                (None, Some(gone)) => format!(
                    "{} (not run since run {}: deleted or renamed?)",
                    md(&st.first.run, SHORT),
                    md(&gone.run, SHORT)
                ),
                (None, None) => md(&st.first.run, SHORT),
            },
            commit(st.first.commit.as_deref()),
            st.first.timestamp,
            st.length,
            r.failure_of(t).map_or_else(String::new, |m| md(m, MESSAGE))
        );
    }
    s.push_str(&more(list.len().saturating_sub(TOP), "broken tests"));
    s.push('\n');
    s
}

/// Tests broken in the window and passing again: where each broke and what fixed it.
fn fixed(r: &Report) -> String {
    let list = top_fixed(&r.flaky);
    if list.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "### Fixed in the window ({})\n\n| test | broken since run | commit | fixed by run | commit | failing runs |\n|---|---|---|---|---|---:|\n",
        list.len()
    );
    for (t, b) in list.iter().take(TOP) {
        let Some(fix) = &b.fixed_by else { continue };
        let mut broke = match &b.branch {
            Some(branch) => format!(
                "{} (only on branch {})",
                md(&b.first_bad.run, SHORT),
                md(branch, SHORT)
            ),
            None => md(&b.first_bad.run, SHORT),
        };
        if r.at_window_start(&b.first_bad.run) {
            broke.push_str(" (the window's first run: it may have broken before)");
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            test_cell(&t.test_id, &t.variant),
            broke,
            commit(b.first_bad.commit.as_deref()),
            md(&fix.run, SHORT),
            commit(fix.commit.as_deref()),
            b.executions
        );
    }
    s.push_str(&more(list.len().saturating_sub(TOP), "fixed tests"));
    s.push('\n');
    s
}

fn slow(r: &Report) -> String {
    let groups = &r.slow.groups;
    let mut s = format!(
        "### Slow suites\n\n{:.2} h of test time over {} runs.\n\n",
        r.slow.summary.total_seconds / 3600.0,
        r.slow.summary.runs
    );
    if groups.is_empty() {
        return s;
    }
    s.push_str("| suite | total | share | median per run | p95 | trend per run | last 7 days |\n|---|---:|---:|---:|---:|---:|---|\n");
    for g in groups.iter().take(TOP) {
        let _ = writeln!(
            s,
            "| {} | {:.2} h | {} | {:.2} s | {:.2} s | {} | {}{} |",
            md(&g.group, NAME),
            g.total_seconds / 3600.0,
            pct(g.share),
            g.median_seconds,
            g.p95_seconds,
            g.slope_seconds_per_run
                .map_or_else(|| "-".into(), |x| format!("{x:+.3} s")),
            signed_pct(g.change),
            if g.getting_slower {
                " **getting slower**"
            } else {
                ""
            }
        );
    }
    s.push_str(&more(groups.len().saturating_sub(TOP), "suites"));
    s.push('\n');
    s
}

/// Tests whose median duration stepped up and stayed up, biggest step in seconds first.
fn regressions(r: &Report) -> String {
    let list = &r.slow.regressions;
    if list.is_empty() {
        return String::new();
    }
    let mut sorted: Vec<_> = list.iter().collect();
    sorted.sort_by(|a, b| b.step_seconds.total_cmp(&a.step_seconds));
    let mut s = format!(
        "### Duration regressions ({})\n\n| test | since run | commit | median before | after | step |\n|---|---|---|---:|---:|---:|\n",
        list.len()
    );
    for g in sorted.iter().take(TOP) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.2} s | {:.2} s | +{:.2} s ({:+.0}%) |",
            test_cell(&g.test_id, &g.variant),
            md(&g.run, NAME),
            commit(g.commit.as_deref()),
            g.median_before_seconds,
            g.median_after_seconds,
            g.step_seconds,
            100.0 * g.step
        );
    }
    s.push_str(&more(list.len().saturating_sub(TOP), "regressions"));
    s.push('\n');
    s
}

fn trim(r: &Report) -> String {
    let t = &r.trim;
    // The sentence holds only numbers and fixed words, nothing from a report: written as is.
    let mut s = format!("### Tests with no unique catch\n\n{}\n\n", trim_sentence(r));
    if t.candidates.is_empty() {
        let _ = writeln!(
            s,
            "None ran in enough runs to list (at least {}).\n",
            t.options.min_runs
        );
        return s;
    }
    s.push_str("| test | runs | cost per run | hours/week | events (all also caught by others) | catch rate ≤ (95%) | note |\n|---|---:|---:|---:|---:|---:|---|\n");
    for c in t.candidates.iter().take(TOP) {
        let _ = writeln!(
            s,
            "| {} | {} | {:.2} s | {:.3} | {} | {} | {} |",
            test_cell(&c.test_id, &c.variant),
            c.runs,
            c.cost_seconds,
            c.hours_per_week,
            c.events,
            pct(c.detection_rate_upper),
            match c.advice {
                Advice::Keep => "keep",
                Advice::MoveToNightly => "catches all also caught by others",
                Advice::ReviewForDeletion => "caught nothing in the window",
            }
        );
    }
    s.push_str(&more(t.candidates.len().saturating_sub(TOP), "tests"));
    s.push('\n');
    s
}

fn load(r: &Report) -> String {
    let days = &r.slow.days;
    if days.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "<details><summary>CI load per day (last 14 days)</summary>\n\n| day | runs | executions | test-hours | retries |\n|---|---:|---:|---:|---:|\n",
    );
    for d in days.iter().rev().take(14).rev() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.2} | {} |",
            d.day, d.runs, d.executions, d.test_hours, d.retries
        );
    }
    s.push_str("\n</details>\n\n");
    s
}

fn infrastructure(r: &Report) -> String {
    let runs = &r.flaky.infrastructure_runs;
    if runs.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "<details><summary>Infrastructure failures left out ({})</summary>\n\n| run | time | commit | failed |\n|---|---|---|---:|\n",
        runs.len()
    );
    for i in runs.iter().rev().take(TOP) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} of {} |",
            md(&i.run, SHORT),
            i.timestamp,
            commit(i.commit.as_deref()),
            i.failed,
            i.executed
        );
    }
    s.push_str(&more(runs.len().saturating_sub(TOP), "runs"));
    s.push_str("\n</details>\n");
    s
}

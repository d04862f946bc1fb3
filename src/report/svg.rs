//! Hand-written SVG charts for report.html: the flaky timeline heat map, per-suite sparklines,
//! CI load per day and the diminishing-returns curve. Each takes plain data and returns one
//! `<svg>` element; every piece of report text in it is HTML-escaped.

use super::escape::{html, shorten};
use crate::analysis::history::{
    CELL_ABSENT, CELL_FAIL, CELL_FLAKY, CELL_INFRA, CELL_PASS, CELL_SKIP, HistoryRun, TimelineTest,
};
use crate::analysis::slow::DayLoad;
use crate::analysis::trim::CurvePoint;
use std::fmt::Write;

pub(crate) const PASS: &str = "#3a9d5d";
pub(crate) const FAIL: &str = "#d7301f";
pub(crate) const FLAKY: &str = "#f2a900";
pub(crate) const SKIP: &str = "#b8bec6";
pub(crate) const INFRA: &str = "#7e57c2";
pub(crate) const ABSENT: &str = "#ffffff";
const INK: &str = "#1f2328";
const MUTED: &str = "#656d76";
const GRID: &str = "#d0d7de";
const ACCENT: &str = "#0969da";

/// Colour and meaning of a timeline cell.
pub(crate) fn cell_style(c: char) -> (&'static str, &'static str) {
    match c {
        CELL_PASS => (PASS, "passed"),
        CELL_FAIL => (FAIL, "failed"),
        CELL_FLAKY => (FLAKY, "flaky (failed, passed on retry)"),
        CELL_SKIP => (SKIP, "skipped"),
        CELL_INFRA => (INFRA, "infrastructure failure (run left out)"),
        CELL_ABSENT => (ABSENT, "not run"),
        _ => (ABSENT, "unknown"),
    }
}

/// A test id split for display: (package or folder, class or file and name). A scope with a
/// `/` is a file path (`tests/api/test_x.py`), else a dotted class name.
pub(crate) fn split_test(test_id: &str) -> (&str, String) {
    let Some((scope, name)) = test_id.split_once("::") else {
        return ("", test_id.to_string());
    };
    let sep = if scope.contains('/') { '/' } else { '.' };
    match scope.rsplit_once(sep) {
        Some((package, class)) => (
            package,
            format!("{class}{}{name}", if sep == '/' { "::" } else { "." }),
        ),
        None => ("", format!("{scope}.{name}")),
    }
}

/// A short label for a test id: the class (or file) without its package, then the name.
pub(crate) fn short_test(test_id: &str) -> String {
    split_test(test_id).1
}

fn f(x: f64) -> String {
    format!("{x:.1}")
}

/// The timeline heat map: one row per test, one column per recent run.
pub(crate) fn heatmap(runs: &[HistoryRun], tests: &[TimelineTest]) -> String {
    const LABEL: f64 = 280.0;
    const CELL: f64 = 13.0;
    const ROW: f64 = 16.0;
    const TOP: f64 = 6.0;
    let cols = runs.len().max(1);
    let width = LABEL + cols as f64 * CELL + 8.0;
    let height = TOP + tests.len() as f64 * ROW + 34.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart heatmap" role="img" aria-label="flaky timeline heat map" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" font-family="system-ui,sans-serif" font-size="11">"#,
        f(width),
        f(height),
        f(width),
        f(height)
    );
    for (row, t) in tests.iter().enumerate() {
        let y = TOP + row as f64 * ROW;
        let label = shorten(&short_test(&t.test_id), 34);
        let variant = if t.variant.is_empty() {
            String::new()
        } else {
            format!(" @{}", t.variant)
        };
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end" fill="{INK}"><title>{}</title>{}</text>"#,
            f(LABEL - 6.0),
            f(y + 10.0),
            html(&shorten(&format!("{}{}", t.test_id, variant), 500)),
            html(&label)
        );
        for (col, c) in t.cells.chars().enumerate() {
            let Some(run) = runs.get(col) else { break };
            let (fill, meaning) = cell_style(c);
            let commit = run
                .commit
                .as_deref()
                .map(|c| format!(", commit {}", shorten(c, 12)))
                .unwrap_or_default();
            let _ = write!(
                s,
                r#"<rect x="{}" y="{}" width="{}" height="{}" rx="2" fill="{fill}" stroke="{GRID}" stroke-width="0.5"><title>{} {}{}: {meaning}</title></rect>"#,
                f(LABEL + col as f64 * CELL),
                f(y),
                f(CELL - 2.0),
                f(ROW - 4.0),
                html(&shorten(&run.run, 80)),
                html(&run.timestamp),
                html(&commit)
            );
        }
    }
    let axis = TOP + tests.len() as f64 * ROW + 12.0;
    if let (Some(first), Some(last)) = (runs.first(), runs.last()) {
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" fill="{MUTED}">{}</text><text x="{}" y="{}" text-anchor="end" fill="{MUTED}">{}</text><text x="{}" y="{}" fill="{MUTED}">oldest → newest run ({} runs)</text>"#,
            f(LABEL),
            f(axis),
            html(&shorten(&first.run, 24)),
            f(LABEL + cols as f64 * CELL - 2.0),
            f(axis),
            html(&shorten(&last.run, 24)),
            f(LABEL),
            f(axis + 14.0),
            runs.len()
        );
    }
    s.push_str("</svg>");
    s
}

/// Averages `values` into at most `n` buckets, keeping gaps where a bucket has no value.
fn downsample(values: &[Option<f64>], n: usize) -> Vec<Option<f64>> {
    if values.len() <= n || n == 0 {
        return values.to_vec();
    }
    (0..n)
        .map(|b| {
            let lo = b * values.len() / n;
            let hi = ((b + 1) * values.len() / n).max(lo + 1);
            let xs: Vec<f64> = values[lo..hi].iter().flatten().copied().collect();
            (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
        })
        .collect()
}

/// A small line of per-run values; gaps (runs without a value) break the line.
pub(crate) fn sparkline(values: &[Option<f64>], label: &str) -> String {
    const W: f64 = 140.0;
    const H: f64 = 30.0;
    let values = downsample(values, 140);
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let mut s = format!(
        r#"<svg class="chart spark" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}">"#,
        html(label)
    );
    let (Some(lo), Some(hi)) = (
        present.iter().copied().reduce(f64::min),
        present.iter().copied().reduce(f64::max),
    ) else {
        s.push_str("</svg>");
        return s;
    };
    let n = values.len().max(2) - 1;
    let x = |i: usize| 2.0 + (W - 4.0) * i as f64 / n as f64;
    // A constant series is a line through the middle.
    let y = |v: f64| {
        if hi > lo {
            H - 3.0 - (H - 6.0) * (v - lo) / (hi - lo)
        } else {
            H / 2.0
        }
    };
    let mut segment: Vec<String> = Vec::new();
    let flush = |segment: &mut Vec<String>, s: &mut String| {
        if segment.len() > 1 {
            let _ = write!(
                s,
                r#"<polyline fill="none" stroke="{ACCENT}" stroke-width="1.5" points="{}"/>"#,
                segment.join(" ")
            );
        } else if let Some(p) = segment.first() {
            let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(
                s,
                r#"<circle cx="{px}" cy="{py}" r="1.2" fill="{ACCENT}"/>"#
            );
        }
        segment.clear();
    };
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => segment.push(format!("{},{}", f(x(i)), f(y(*v)))),
            None => flush(&mut segment, &mut s),
        }
    }
    flush(&mut segment, &mut s);
    if let Some((i, v)) = values
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, v)| v.map(|v| (i, v)))
    {
        let _ = write!(
            s,
            r#"<circle cx="{}" cy="{}" r="2.2" fill="{ACCENT}"/>"#,
            f(x(i)),
            f(y(v))
        );
    }
    let _ = write!(
        s,
        r#"<title>{}: {:.2} s to {:.2} s per run</title></svg>"#,
        html(label),
        lo,
        hi
    );
    s
}

/// A round upper bound for an axis: 1, 2 or 5 times a power of ten.
fn nice_max(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&m| m >= x)
        .unwrap_or(10.0 * p)
}

/// The unit an axis of hours is labelled in: (per hour, suffix).
fn time_unit(max_hours: f64) -> (f64, &'static str) {
    if max_hours >= 1.0 {
        (1.0, "h")
    } else if max_hours * 60.0 >= 1.0 {
        (60.0, "min")
    } else {
        (3600.0, "s")
    }
}

fn axis_label(v: f64, unit: &str) -> String {
    if v == v.round() {
        format!("{v:.0} {unit}")
    } else {
        format!("{v:.1} {unit}")
    }
}

/// CI load per day: test-hours as bars, one per day.
pub(crate) fn day_bars(days: &[DayLoad]) -> String {
    const LEFT: f64 = 52.0;
    const TOP: f64 = 10.0;
    const PLOT_H: f64 = 140.0;
    // Wide enough that the first and last day labels never meet.
    let step = if days.len() > 45 {
        8.0
    } else {
        (220.0 / days.len().max(1) as f64).clamp(16.0, 40.0)
    };
    let width = (LEFT + days.len() as f64 * step + 10.0).max(320.0);
    let height = TOP + PLOT_H + 30.0;
    let (per_hour, unit) = time_unit(days.iter().map(|d| d.test_hours).fold(0.0, f64::max));
    let max = nice_max(
        days.iter()
            .map(|d| d.test_hours * per_hour)
            .fold(0.0, f64::max),
    );
    let mut s = format!(
        r#"<svg class="chart bars" role="img" aria-label="test hours per day" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" font-family="system-ui,sans-serif" font-size="11">"#,
        f(width),
        f(height),
        f(width),
        f(height)
    );
    for k in 0..=2 {
        let v = max * k as f64 / 2.0;
        let y = TOP + PLOT_H - PLOT_H * k as f64 / 2.0;
        let _ = write!(
            s,
            r#"<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{GRID}"/><text x="{}" y="{}" text-anchor="end" fill="{MUTED}">{}</text>"#,
            f(LEFT),
            f(width - 6.0),
            f(y),
            f(y),
            f(LEFT - 6.0),
            f(y + 4.0),
            axis_label(v, unit)
        );
    }
    for (i, d) in days.iter().enumerate() {
        let h = PLOT_H * d.test_hours * per_hour / max;
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{ACCENT}"><title>{}: {} runs, {} executions, {:.2} test-hours, {} retries</title></rect>"#,
            f(LEFT + i as f64 * step + 1.0),
            f(TOP + PLOT_H - h),
            f(step - 2.0),
            f(h),
            html(&d.day),
            d.runs,
            d.executions,
            d.test_hours,
            d.retries
        );
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" fill="{MUTED}">{}</text>"#,
            f(LEFT),
            f(TOP + PLOT_H + 16.0),
            html(&first.day)
        );
        if days.len() > 1 {
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" text-anchor="end" fill="{MUTED}">{}</text>"#,
                f(LEFT + days.len() as f64 * step),
                f(TOP + PLOT_H + 16.0),
                html(&last.day)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// The points worth drawing: where the event share changes, the ends, at most ~500.
fn curve_points(points: &[CurvePoint]) -> Vec<CurvePoint> {
    let mut keep: Vec<CurvePoint> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let changes = i == 0
            || i + 1 == points.len()
            || points[i - 1].event_share != p.event_share
            || points[i + 1].event_share != p.event_share;
        if changes {
            keep.push(*p);
        }
    }
    if keep.len() > 500 {
        let step = keep.len().div_ceil(500);
        let last = keep.last().copied();
        keep = keep.into_iter().step_by(step).collect();
        if let Some(l) = last
            && keep.last() != Some(&l)
        {
            keep.push(l);
        }
    }
    keep
}

/// The diminishing-returns curve: share of failure events caught against share of test time,
/// in greedy order, with the trim cut (`cut`, a cost share) marked.
pub(crate) fn curve(points: &[CurvePoint], cut: f64) -> String {
    const LEFT: f64 = 48.0;
    const TOP: f64 = 14.0;
    const W: f64 = 300.0;
    const H: f64 = 200.0;
    let width = LEFT + W + 20.0;
    let height = TOP + H + 40.0;
    let px = |x: f64| LEFT + W * x.clamp(0.0, 1.0);
    let py = |y: f64| TOP + H - H * y.clamp(0.0, 1.0);
    let mut s = format!(
        r#"<svg class="chart curve" role="img" aria-label="diminishing-returns curve" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" font-family="system-ui,sans-serif" font-size="11">"#,
        f(width),
        f(height),
        f(width),
        f(height)
    );
    let _ = write!(
        s,
        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#fde8e6"><title>past the cut: tests with no unique catch in the window (none caught an event the others missed)</title></rect>"##,
        f(px(cut)),
        f(TOP),
        f(px(1.0) - px(cut)),
        f(H)
    );
    for k in 0..=4 {
        let v = k as f64 / 4.0;
        let _ = write!(
            s,
            r#"<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{GRID}"/><text x="{}" y="{}" text-anchor="end" fill="{MUTED}">{:.0}%</text><line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{GRID}"/><text x="{}" y="{}" text-anchor="middle" fill="{MUTED}">{:.0}%</text>"#,
            f(LEFT),
            f(LEFT + W),
            f(py(v)),
            f(py(v)),
            f(LEFT - 6.0),
            f(py(v) + 4.0),
            100.0 * v,
            f(px(v)),
            f(px(v)),
            f(TOP),
            f(TOP + H),
            f(px(v)),
            f(TOP + H + 14.0),
            100.0 * v
        );
    }
    let pts: Vec<String> = curve_points(points)
        .iter()
        .map(|p| format!("{},{}", f(px(p.cost_share)), f(py(p.event_share))))
        .collect();
    let _ = write!(
        s,
        r#"<polyline fill="none" stroke="{ACCENT}" stroke-width="2" points="{}"/>"#,
        pts.join(" ")
    );
    let anchor = if cut > 0.6 { "end" } else { "start" };
    let dx = if cut > 0.6 { -4.0 } else { 4.0 };
    let _ = write!(
        s,
        r#"<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{FAIL}" stroke-width="1.5" stroke-dasharray="4 3"/><text x="{}" y="{}" text-anchor="{anchor}" fill="{FAIL}">cut: {:.1}% of the time</text>"#,
        f(px(cut)),
        f(px(cut)),
        f(TOP),
        f(TOP + H),
        f(px(cut) + dx),
        f(TOP + H - 8.0),
        100.0 * cut
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle" fill="{INK}">share of per-run test time (greedy order)</text><text transform="translate(12 {}) rotate(-90)" text-anchor="middle" fill="{INK}">share of failure events caught</text></svg>"#,
        f(LEFT + W / 2.0),
        f(TOP + H + 32.0),
        f(TOP + H / 2.0)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_labels_drop_the_package() {
        assert_eq!(
            short_test("com.acme.CartTest::addsItem"),
            "CartTest.addsItem"
        );
        assert_eq!(short_test("plain"), "plain");
        assert_eq!(
            split_test("tests/api/test_x.py::test_a[1]"),
            ("tests/api", "test_x.py::test_a[1]".to_string())
        );
    }

    #[test]
    fn downsampling_averages_and_keeps_gaps() {
        let v = [Some(1.0), Some(3.0), None, None, Some(5.0), Some(7.0)];
        assert_eq!(downsample(&v, 3), vec![Some(2.0), None, Some(6.0)]);
        assert_eq!(downsample(&v, 10), v.to_vec());
    }

    #[test]
    fn curve_keeps_only_the_corners() {
        let p = |c: f64, e: f64| CurvePoint {
            cost_share: c,
            event_share: e,
        };
        let pts = [
            p(0.0, 0.0),
            p(0.1, 0.5),
            p(0.2, 1.0),
            p(0.5, 1.0),
            p(0.8, 1.0),
            p(1.0, 1.0),
        ];
        assert_eq!(
            curve_points(&pts),
            vec![p(0.0, 0.0), p(0.1, 0.5), p(0.2, 1.0), p(1.0, 1.0)]
        );
    }

    #[test]
    fn nice_axis_maxima() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.2), 5.0);
        assert_eq!(nice_max(0.013), 0.02);
        assert_eq!(nice_max(100.0), 100.0);
    }
}

//! Numbers as a person reads them: one way to write a share and one way to write a duration,
//! for every table and Markdown output; and one way to write a raw value for CSV.

/// A count and its noun, singular for one: `count(1, "run")` is "1 run", `count(3, "run")`
/// "3 runs" (the nouns used take a plain "s").
pub(crate) fn count<N: std::fmt::Display + PartialEq + From<u8>>(n: N, noun: &str) -> String {
    if n == N::from(1) {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A share (0.25) as a percentage with one decimal ("25.0%"); "-" when it is not a number.
pub(crate) fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "-".into()
    }
}

/// A signed share ("+12.5%", "-3.0%"); "-" when there is none.
pub(crate) fn signed_pct(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{:+.1}%", 100.0 * v),
        _ => "-".into(),
    }
}

/// Seconds in the unit a person reads: "850 ms", "4.25 s", "12.5 min", "84.7 h". Below a
/// millisecond stays in ms ("0.4 ms"); from an hour on it stays in hours, however many.
pub(crate) fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "-".into();
    }
    let sign = if seconds < 0.0 { "-" } else { "" };
    let s = seconds.abs();
    let body = if s == 0.0 {
        "0 s".to_string()
    } else if s < 0.01 {
        format!("{:.1} ms", s * 1000.0)
    } else if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 60.0 {
        format!("{s:.2} s")
    } else if s < 3600.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    };
    // "-0 ms" and the like read as a sign error; a value that rounds to nothing has no sign.
    if body.trim_start_matches(['0', '.']).starts_with(' ') {
        return body;
    }
    format!("{sign}{body}")
}

/// Hours in the unit a person reads, as [`duration`] writes seconds.
pub(crate) fn hours(hours: f64) -> String {
    duration(hours * 3600.0)
}

/// A signed duration ("+1.50 s", "-2.0 min"); "-" when there is none.
pub(crate) fn signed_duration(seconds: Option<f64>) -> String {
    match seconds {
        Some(s) if s.is_finite() => {
            let d = duration(s);
            if d.starts_with('-') || d.trim_start_matches(['0', '.']).starts_with(' ') {
                d
            } else {
                format!("+{d}")
            }
        }
        _ => "-".into(),
    }
}

/// A raw value for CSV: six decimals, whatever its size.
pub(crate) fn decimal(x: f64) -> String {
    format!("{x:.6}")
}

/// A raw value for CSV ([`decimal`]); an empty field when there is none.
pub(crate) fn decimal_opt(x: Option<f64>) -> String {
    x.map(decimal).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares() {
        assert_eq!(pct(0.25), "25.0%");
        assert_eq!(pct(f64::NAN), "-");
        assert_eq!(signed_pct(Some(0.714)), "+71.4%");
        assert_eq!(signed_pct(Some(-0.03)), "-3.0%");
        assert_eq!(signed_pct(None), "-");
    }

    #[test]
    fn raw_values_for_csv() {
        assert_eq!(decimal(0.5), "0.500000");
        assert_eq!(decimal_opt(Some(7200.0)), "7200.000000");
        assert_eq!(decimal_opt(None), "");
    }

    #[test]
    fn durations_in_the_unit_a_person_reads() {
        assert_eq!(duration(0.0), "0 s");
        assert_eq!(duration(0.0004), "0.4 ms");
        assert_eq!(duration(0.85), "850 ms");
        assert_eq!(duration(4.25), "4.25 s");
        assert_eq!(duration(750.0), "12.5 min");
        assert_eq!(duration(304_979.19), "84.7 h");
        assert_eq!(duration(-90.0), "-1.5 min");
        assert_eq!(hours(0.5), "30.0 min");
        assert_eq!(duration(-0.00001), "0.0 ms");
        assert_eq!(duration(f64::INFINITY), "-");
        assert_eq!(duration(f64::NAN), "-");
        assert_eq!(signed_duration(Some(1.5)), "+1.50 s");
        assert_eq!(signed_duration(Some(-120.0)), "-2.0 min");
        assert_eq!(signed_duration(Some(0.0)), "0 s");
        assert_eq!(signed_duration(None), "-");
    }
}

//! Attribute values as real reports write them: durations with thousands separators or units,
//! timestamps in half a dozen formats, and the `status`/`result` attributes some runners add.

use jiff::Timestamp;

/// Why a `time` value was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeProblem {
    Negative,
    /// Not a number, or not a finite one (`NaN`, `inf`, `1e999`).
    NotANumber,
    /// Longer than [`MAX_CASE_SECONDS`].
    OverADay,
}

/// The longest duration one test case (or one attempt of it) is believed: a day. Anything
/// longer is a producer's bug or a crafted value (`1e308`), and one such value summed with the
/// rest would make every total and share of test time meaningless.
pub(crate) const MAX_CASE_SECONDS: f64 = 86_400.0;

/// A `time` value longer than this is not a duration (the longest accepted, `86400.000000000`
/// written out in full, is 16 bytes); it is refused before any parsing or copying.
const MAX_TIME_TEXT: usize = 64;

/// Parses a duration in seconds: `"1.5"`, `"1,234.5"` (thousands separator), `"0,5"` (decimal
/// comma), `"12s"`, `"250ms"`, `"1.4e-05"`, `"0."`. Empty means absent, not an error; negative,
/// non-finite and over-a-day values ([`MAX_CASE_SECONDS`]) are errors.
pub(crate) fn parse_seconds(raw: &str) -> Result<Option<f64>, TimeProblem> {
    match parse_any_seconds(raw)? {
        Some(s) if s > MAX_CASE_SECONDS => Err(TimeProblem::OverADay),
        // Negatives were refused; `abs` makes `-0` the zero it is.
        seconds => Ok(seconds.map(f64::abs)),
    }
}

fn parse_any_seconds(raw: &str) -> Result<Option<f64>, TimeProblem> {
    if raw.len() > MAX_TIME_TEXT {
        return Err(TimeProblem::NotANumber);
    }
    if let Some(v) = plain_decimal(raw) {
        return Ok(Some(v));
    }
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let (number, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n.trim_end(), 0.001)
    } else if let Some(n) = s.strip_suffix("us").or_else(|| s.strip_suffix("µs")) {
        (n.trim_end(), 1e-6)
    } else if let Some(n) = s.strip_suffix("ns") {
        (n.trim_end(), 1e-9)
    } else if let Some(n) = s.strip_suffix('s') {
        (n.trim_end(), 1.0)
    } else if let Some(n) = s.strip_suffix("sec") {
        (n.trim_end(), 1.0)
    } else {
        (s, 1.0)
    };
    let value = match number.parse::<f64>() {
        Ok(v) => v,
        Err(_) => parse_with_commas(number).ok_or(TimeProblem::NotANumber)?,
    };
    if !value.is_finite() {
        return Err(TimeProblem::NotANumber);
    }
    if value < 0.0 {
        return Err(TimeProblem::Negative);
    }
    Ok(Some(value * scale))
}

/// `digits[.digits]`, as nearly every producer writes `time`: the digits as an integer divided by
/// a power of ten. While the integer stays below 2^53 and the power at most 10^22 both are exact
/// in an `f64`, so the one rounding of the division gives the value `str::parse` gives (the
/// classic fast path); anything else goes the long way.
fn plain_decimal(s: &str) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    const EXACT: u64 = 1 << 53;
    let bytes = s.as_bytes();
    let (mut mantissa, mut decimals, mut dot) = (0u64, 0usize, false);
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                decimals += usize::from(dot);
                if mantissa >= EXACT {
                    return None;
                }
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    // `""`, `"."`, `"5."` and `".5"` go the long way, which says what they mean.
    if bytes.first().is_none_or(|b| !b.is_ascii_digit())
        || bytes.last().is_none_or(|b| !b.is_ascii_digit())
    {
        return None;
    }
    Some(mantissa as f64 / *POW10.get(decimals)?)
}

/// `1,234.5` and `2,503` are thousands separators; `0,5` is a decimal comma.
fn parse_with_commas(s: &str) -> Option<f64> {
    if !s.contains(',') {
        return None;
    }
    let is_thousands = s.contains('.') || {
        let mut groups = s.split(',');
        let head = groups.next().unwrap_or("");
        !head.is_empty() && head.len() <= 3 && groups.all(|g| g.len() == 3)
    };
    let cleaned = if is_thousands {
        s.replace(',', "")
    } else if s.matches(',').count() == 1 {
        s.replace(',', ".")
    } else {
        return None;
    };
    cleaned.parse::<f64>().ok()
}

/// Parses a timestamp, wherever one is read (a report's suite, run.json, the CI's variables,
/// `--timestamp` and `--since`). Accepts RFC 3339 with a zone, a naive ISO-8601 date-time
/// (taken as UTC, which is what Surefire, Gradle and pytest mean, and many CI exports that drop
/// the `Z`), a trailing ` UTC`/` GMT`, and RFC 2822 (`Sat, 03 Dec 2022 23:10:07 GMT`).
pub(crate) fn parse_timestamp(raw: &str) -> Option<Timestamp> {
    let s = raw.trim();
    // The longest written form (RFC 2822 with a day name and a zone name) is under 40 bytes;
    // a longer value is no timestamp, and is not copied to find that out.
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts);
    }
    // A bracketed time zone without an offset cannot be resolved without a time zone
    // database, and reading it as UTC would be silently wrong.
    if s.contains('[') {
        return None;
    }
    let naive = s
        .strip_suffix(" UTC")
        .or_else(|| s.strip_suffix(" GMT"))
        .unwrap_or(s)
        .trim_end_matches('Z');
    if let Ok(dt) = naive.replace(' ', "T").parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    jiff::fmt::rfc2822::parse(s).ok().map(|z| z.timestamp())
}

/// What a `status` or `result` attribute says about a test case, when it says anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusHint {
    Failed,
    Error,
    Skipped,
}

/// Maps GoogleTest (`status="notrun"`, `result="skipped"`), CTest (`status="fail"`), tst
/// (`disabled`) and similar attribute values; `run`, `passed`, `completed` and the rest say
/// nothing beyond what the child elements say.
pub(crate) fn status_hint(value: &str) -> Option<StatusHint> {
    let v = value.trim();
    let eq = |s: &str| v.eq_ignore_ascii_case(s);
    if eq("fail") || eq("failed") || eq("failure") {
        Some(StatusHint::Failed)
    } else if eq("error") || eq("errored") {
        Some(StatusHint::Error)
    } else if eq("notrun")
        || eq("skipped")
        || eq("skip")
        || eq("disabled")
        || eq("ignored")
        || eq("suppressed")
        || eq("pending")
    {
        Some(StatusHint::Skipped)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_in_every_written_form() {
        assert_eq!(parse_seconds("1.5"), Ok(Some(1.5)));
        assert_eq!(parse_seconds("1,234.5"), Ok(Some(1234.5)));
        assert_eq!(parse_seconds("2,503"), Ok(Some(2503.0)));
        assert_eq!(parse_seconds("0,5"), Ok(Some(0.5)));
        assert_eq!(parse_seconds("12s"), Ok(Some(12.0)));
        assert_eq!(parse_seconds("250ms"), Ok(Some(0.25)));
        assert_eq!(parse_seconds("1.4e-05"), Ok(Some(1.4e-05)));
        assert_eq!(parse_seconds("0."), Ok(Some(0.0)));
        assert_eq!(parse_seconds(""), Ok(None));
        assert_eq!(parse_seconds("  "), Ok(None));
        assert_eq!(parse_seconds("-1"), Err(TimeProblem::Negative));
        assert_eq!(parse_seconds("time"), Err(TimeProblem::NotANumber));
        assert_eq!(parse_seconds("NaN"), Err(TimeProblem::NotANumber));
        assert_eq!(parse_seconds("1,2,3"), Err(TimeProblem::NotANumber));
    }

    #[test]
    fn absurd_seconds_are_refused() {
        assert_eq!(parse_seconds("1e308"), Err(TimeProblem::OverADay));
        assert_eq!(parse_seconds("1e309"), Err(TimeProblem::NotANumber));
        assert_eq!(parse_seconds("inf"), Err(TimeProblem::NotANumber));
        assert_eq!(parse_seconds("-inf"), Err(TimeProblem::NotANumber));
        assert_eq!(parse_seconds("nan"), Err(TimeProblem::NotANumber));
        assert_eq!(parse_seconds("-0.5"), Err(TimeProblem::Negative));
        assert_eq!(parse_seconds("-0"), Ok(Some(0.0)));
        assert_eq!(parse_seconds("86400"), Ok(Some(86_400.0)));
        assert_eq!(parse_seconds("86400.001"), Err(TimeProblem::OverADay));
        assert_eq!(parse_seconds("86400001ms"), Err(TimeProblem::OverADay));
        assert_eq!(
            parse_seconds("9007199254740993"),
            Err(TimeProblem::OverADay)
        );
        let long = format!("1{}", "0".repeat(100));
        assert_eq!(parse_seconds(&long), Err(TimeProblem::NotANumber));
        assert_eq!(
            parse_seconds(&"1,".repeat(1000)),
            Err(TimeProblem::NotANumber)
        );
    }

    #[test]
    fn plain_decimals_parse_exactly_as_std_does() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut cases: Vec<String> = [
            "0",
            "0.0",
            "0.005",
            "12",
            "1.5",
            "0.1",
            "0.3",
            "123456.789012345",
            "999999999999999",
            "0.000000000000001",
            "007.250",
            "1234567890.12345",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let whole = seed % 100_000;
            let places = (seed >> 20) % 10;
            let frac = (seed >> 32) % 10u64.pow(places as u32).max(1);
            cases.push(if places == 0 {
                whole.to_string()
            } else {
                format!("{whole}.{frac:0width$}", width = places as usize)
            });
        }
        for case in &cases {
            let fast = plain_decimal(case);
            assert_eq!(fast, case.parse::<f64>().ok(), "{case}");
            assert!(fast.is_some(), "{case} should take the fast path");
        }
        for slow in [
            "",
            ".5",
            "5.",
            "1e3",
            "1.2.3",
            " 1",
            "1,5",
            "-1",
            "12345678901234567890",
        ] {
            assert_eq!(plain_decimal(slow), None, "{slow:?}");
        }
    }

    /// A zone name without an offset is not guessed (run.json used to refuse it on its own).
    #[test]
    fn a_zone_name_needs_an_offset() {
        assert_eq!(parse_timestamp("2024-05-01T10:00:00[Europe/Paris]"), None);
        assert_eq!(
            parse_timestamp("2024-05-01T12:00:00+02:00[Europe/Paris]").map(|t| t.to_string()),
            Some("2024-05-01T10:00:00Z".to_string())
        );
    }

    #[test]
    fn timestamps_in_every_written_form() {
        let utc = |s: &str| parse_timestamp(s).map(|t| t.to_string());
        assert_eq!(
            utc("2024-05-01T10:00:00Z").as_deref(),
            Some("2024-05-01T10:00:00Z")
        );
        assert_eq!(
            utc("2024-05-01T12:00:00+02:00").as_deref(),
            Some("2024-05-01T10:00:00Z")
        );
        assert_eq!(
            utc("2024-05-01T10:00:00").as_deref(),
            Some("2024-05-01T10:00:00Z")
        );
        assert_eq!(
            utc("2024-05-01T10:00:00.250").as_deref(),
            Some("2024-05-01T10:00:00.25Z")
        );
        assert_eq!(
            utc("2021-03-07T10:36:56 UTC").as_deref(),
            Some("2021-03-07T10:36:56Z")
        );
        assert_eq!(
            utc("2021-03-07 10:36:56").as_deref(),
            Some("2021-03-07T10:36:56Z")
        );
        assert_eq!(
            utc("Sat, 03 Dec 2022 23:10:07 GMT").as_deref(),
            Some("2022-12-03T23:10:07Z")
        );
        assert_eq!(utc("yesterday"), None);
        assert_eq!(utc(""), None);
    }

    #[test]
    fn status_attributes() {
        assert_eq!(status_hint("notrun"), Some(StatusHint::Skipped));
        assert_eq!(status_hint("FAIL"), Some(StatusHint::Failed));
        assert_eq!(status_hint("error"), Some(StatusHint::Error));
        assert_eq!(status_hint("run"), None);
        assert_eq!(status_hint("completed"), None);
    }
}

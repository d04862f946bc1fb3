//! Fuzz target: the JUnit parser alone, on arbitrary bytes. Besides "no panic, no hang", it
//! checks what the parser promises of every report it returns (see `check`).
#![no_main]
#![allow(dead_code, unused_imports)]

use libfuzzer_sys::fuzz_target;

/// The parser's own source, compiled into this target without the rest of the tool.
#[path = "../../src/junit/mod.rs"]
mod junit;

/// The escaper the parser's messages go through, where the parser looks for it.
#[path = "../../src/report/escape.rs"]
mod escape;
mod report {
    pub(crate) use super::escape;
}

/// The squeezing pass reports go through when they are large, compiled in the same way.
#[path = "../../src/discover/squeeze.rs"]
mod squeeze;

/// What the parser promises of every report, whatever the input: kept text is capped, every
/// duration is a real one, and problem messages are short and safe to print.
fn check(report: &junit::Report) {
    for case in &report.cases {
        let detail = report.detail(case);
        for s in [
            case.suite,
            case.classname,
            case.name,
            case.file,
            detail.failure_type,
        ] {
            assert!(report.str(s).len() <= junit::TEXT_MAX);
        }
        assert!(report.str(detail.message).len() <= junit::MESSAGE_MAX);
        assert!(report.str(detail.output).len() <= junit::OUTPUT_MAX);
        for t in [case.time.get(), case.retries_time.get()]
            .into_iter()
            .flatten()
        {
            assert!(t.is_finite() && t >= 0.0, "duration {t}");
        }
        if let Some(t) = case.time.get() {
            assert!(t <= junit::values::MAX_CASE_SECONDS, "duration {t}");
        }
        assert!(case.outcome.is_some());
    }
    for p in &report.problems {
        for text in [&p.message, &p.element] {
            assert!(text.len() <= 4 * 1024, "{} bytes", text.len());
            assert!(
                !text.chars().any(escape::is_unsafe_char),
                "unescaped control character in {text:?}"
            );
        }
    }
}

/// Squeezes `data` with runs capped at `max` bytes, fed `chunk` bytes at a time.
fn squeezed(data: &[u8], max: usize, chunk: usize) -> (Vec<u8>, Vec<junit::Cut>) {
    let mut squeezer = squeeze::Squeezer::new(max);
    let mut out = Vec::new();
    for piece in data.chunks(chunk) {
        squeezer.feed(piece, &mut out);
    }
    let cuts = squeezer.finish(&mut out);
    (out, cuts)
}

fuzz_target!(|data: &[u8]| {
    check(&junit::parse(data));
    // The squeezer (a large report's reading pass), cut hard: the same whatever the chunks,
    // never longer than its input, cuts in order, and what it keeps parses within the promises.
    let (out, cuts) = squeezed(data, 40, data.len().max(1));
    assert_eq!((out.clone(), cuts.clone()), squeezed(data, 40, 7));
    assert!(out.len() <= data.len() + 2, "{} > {}", out.len(), data.len());
    assert!(cuts.windows(2).all(|w| w[0].at <= w[1].at));
    check(&junit::parse_cut(&out, &cuts));
});

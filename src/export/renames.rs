//! `renames` as a table, JSON, or `[[alias]]` entries for testsift.toml. Test ids come from
//! reports: escaped for the terminal in the table, written as TOML basic strings (every quote,
//! backslash and control character escaped) in the entries.

use super::format::{duration, pct};
use super::render::{self, Render};
use super::table::{TableOptions, write_indented, write_line};
use crate::analysis::renames::Renames;
use crate::report::escape::{is_unsafe_char, terminal};
use std::io::{self, Write};

fn seconds(s: Option<f64>) -> String {
    s.map_or("-".into(), duration)
}

fn table(r: &Renames, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
    if r.suggestions.is_empty() {
        return write_line(
            out,
            opts,
            &format!(
                "no likely renames in the {} runs of the window (an id that stops where a similar one starts in the same class)",
                r.runs
            ),
        );
    }
    write_line(
        out,
        opts,
        &format!(
            "{} in the {} of the window; paste `--format toml` into testsift.toml to join their histories:",
            crate::export::format::count(r.suggestions.len(), "likely rename"),
            crate::export::format::count(r.runs, "run")
        ),
    )?;
    writeln!(out)?;
    for s in &r.suggestions {
        writeln!(out, "{}  ->  {}", terminal(&s.from), terminal(&s.to))?;
        // The evidence a clause group a line, each wrapped on its own when a run key is long.
        let evidence = [
            format!(
                "same {}; old last in run {}, new first in run {} ({} runs between)",
                s.same,
                terminal(&s.last_run_of_old),
                terminal(&s.first_run_of_new),
                s.gap_runs
            ),
            format!(
                "median {} -> {}; failure rate {} -> {}",
                seconds(s.median_seconds_old),
                seconds(s.median_seconds_new),
                pct(s.failure_rate_old),
                pct(s.failure_rate_new)
            ),
            format!(
                "name {:.2}, time {:.2}, outcomes {:.2}: score {:.2}",
                s.name_similarity, s.duration_similarity, s.outcome_similarity, s.score
            ),
        ];
        for line in &evidence {
            write_indented(out, opts, "    ", "      ", line)?;
        }
    }
    Ok(())
}

/// `[[alias]]` entries, each with its evidence in a comment.
pub(crate) fn toml(r: &Renames, out: &mut impl Write) -> io::Result<()> {
    for s in &r.suggestions {
        writeln!(
            out,
            "# score {:.2}: same {}, the old id last in run {}, the new first in run {}",
            s.score,
            s.same,
            comment(&s.last_run_of_old),
            comment(&s.first_run_of_new)
        )?;
        writeln!(
            out,
            "[[alias]]\nfrom = {}\nto = {}\n",
            toml_string(&s.from),
            toml_string(&s.to)
        )?;
    }
    Ok(())
}

/// A TOML basic string: quotes, backslashes, control characters and invisible direction marks
/// escaped, so any test id reads back as itself.
pub(crate) fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_unsafe_char(c) => {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a TOML comment: one line, nothing a terminal acts on.
fn comment(s: &str) -> String {
    terminal(s).replace(['\n', '\r'], " ")
}

/// Suggestions with their evidence; `--format toml` is [`toml`], a form only this result has.
impl Render for Renames {
    fn table(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
        table(self, opts, out)
    }

    fn json(&self, out: &mut impl Write) -> io::Result<()> {
        render::json(self, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_read_back_as_the_id() {
        for id in [
            "plain::id",
            "q\"uote\\back::x",
            "new\nline\ttab",
            "esc\u{1b}]52;c;x\u{7}",
            "bidi\u{202e}x",
        ] {
            let doc = format!("a = {}\n", toml_string(id));
            let table: toml::Table = doc.parse().unwrap_or_else(|e| panic!("{doc}: {e}"));
            assert_eq!(table["a"].as_str(), Some(id), "{doc}");
            assert!(!doc.contains('\u{1b}') && !doc.contains('\u{202e}'));
        }
    }
}

//! Escaping and shortening of untrusted text (test names, messages, run ids, paths) for each
//! output. Everything that came from a report passes through here before it is written.

/// Escapes text for HTML element content and double-quoted attribute values: no report text
/// can open a tag, close an attribute or start an entity. Control characters other than
/// newline and tab become spaces; the bidi overrides and isolates of [`is_unsafe_char`] become
/// U+FFFD, so no text is shown reordered and the reader sees that something was there.
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push(' '),
            // Not characters XML 1.0 can hold (the JUnit output of `check` is XML).
            c if is_unsafe_char(c) || matches!(c, '\u{fffe}' | '\u{ffff}') => {
                out.push(BIDI_REPLACEMENT)
            }
            c => out.push(c),
        }
    }
    out
}

/// What a bidi override or isolate becomes in HTML and Markdown, where a visible escape like
/// the terminal's `\u{202e}` would itself need escaping.
const BIDI_REPLACEMENT: char = '\u{fffd}';

/// Escapes text for one GitHub-flavoured Markdown table cell or list item: every character
/// Markdown or GitHub gives a meaning to is backslash-escaped or written as an entity, so the
/// text shows as written (no links, images, emphasis, code, math, lists or raw HTML), and
/// newlines become `<br>` so a cell stays on one line.
///
/// GitHub finds mentions (`@name`), issue references (`#12`, `GH-12`) and e-mail addresses in
/// the rendered text, after escapes and entities are decoded: a zero-width space (U+200B) after
/// each `@`, after a `#` before a digit and inside `GH-` before a digit keeps them plain text,
/// so a report posted as a pull-request comment notifies and links no one.
pub(crate) fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    markdown_pieces(s, |piece| {
        out.push_str(piece);
        true
    });
    out
}

/// Calls `sink` with the escaped form of each character of `s`, in order, until it returns
/// false.
fn markdown_pieces(s: &str, mut sink: impl FnMut(&str) -> bool) {
    const ZWSP: char = '\u{200b}';
    let mut piece = String::new();
    let mut chars = s.chars().peekable();
    let (mut prev2, mut prev) = ('\0', '\0');
    while let Some(c) = chars.next() {
        piece.clear();
        let next_digit = chars.peek().is_some_and(char::is_ascii_digit);
        match c {
            '&' => piece.push_str("&amp;"),
            '<' => piece.push_str("&lt;"),
            '>' => piece.push_str("&gt;"),
            '@' => {
                piece.push_str("&#64;");
                piece.push(ZWSP);
            }
            '#' => {
                piece.push_str("\\#");
                if next_digit {
                    piece.push(ZWSP);
                }
            }
            '-' if next_digit
                && prev2.eq_ignore_ascii_case(&'g')
                && prev.eq_ignore_ascii_case(&'h') =>
            {
                piece.push(ZWSP);
                piece.push_str("\\-");
            }
            // `.` and `:` too, so no `www.x` or `scheme:` text becomes a link; `-` and `+`, so
            // no text starts a list item.
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '{' | '}' | '!' | '|' | '~' | '$'
            | '.' | ':' | '-' | '+' => {
                piece.push('\\');
                piece.push(c);
            }
            '\r' => {}
            '\n' => piece.push_str("<br>"),
            c if c.is_control() => piece.push(' '),
            c if is_unsafe_char(c) => piece.push(BIDI_REPLACEMENT),
            c => piece.push(c),
        }
        (prev2, prev) = (prev, c);
        if !sink(&piece) {
            return;
        }
    }
}

/// Like [`markdown`], but stops before the escaped text passes `max_bytes`, ending in `…` when
/// it had to cut: a bound on what one cell can add to the file, whatever the input.
pub(crate) fn markdown_capped(s: &str, max_bytes: usize) -> String {
    let mut out = String::new();
    markdown_pieces(s, |piece| {
        if out.len() + piece.len() > max_bytes {
            out.push('…');
            return false;
        }
        out.push_str(piece);
        true
    });
    out
}

/// The first `max_chars` characters of `s`, with `…` when it was longer.
pub(crate) fn shorten(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Whether `c` must never reach a terminal, a CSV cell, a runner's argument list or stderr as
/// itself: C0 and C1 controls (ESC starts terminal sequences, OSC 52 writes the clipboard), DEL,
/// the bidirectional overrides and isolates that reorder what a reader sees, and the line and
/// paragraph separators U+2028 and U+2029 (Python's `str.splitlines`, which pytest reads an
/// `@FILE` of arguments with, ends a line at them, as JavaScript ends a source line).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{2028}' | '\u{2029}')
}

/// Whether `c` takes no room on a terminal and would make one name look like another
/// (`admin\u{200b}_test` shown as `admin_test`): zero-width spaces and joiners, the word
/// joiner and invisible operators, the byte-order mark, the soft hyphen, Hangul fillers,
/// Mongolian and Khmer invisible marks, the deprecated format controls and tag characters.
/// Written as escapes on a terminal only: a runner's list must keep the name as it is.
pub(crate) fn is_invisible_char(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180e}' | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}'
        | '\u{206a}'..='\u{206f}' | '\u{3164}' | '\u{feff}' | '\u{ffa0}'
        | '\u{fff9}'..='\u{fffb}' | '\u{e0000}'..='\u{e007f}')
}

/// Text from a report made safe to print on a terminal (tables, plain lists, stderr): every
/// character of [`is_unsafe_char`] or [`is_invisible_char`] is written as a visible escape
/// (`\x1b`, `\u{202e}`, `\u{200b}`), and
/// newline and tab as `\n`, `\t`, so one value stays on one line. Backslashes are left as they
/// are: text that only looks like an escape does nothing on a terminal.
///
/// A CI log is read by the CI too: GitHub Actions' runner takes `##[command]` anywhere in a
/// line of a step's output, and a line that starts with `::` (after blanks), as a workflow
/// command (`add-mask`, `stop-commands`, a forged `error`). So the `[` of `##[` is written
/// `\x5b`, and the first `:` of a value that starts with `::` as `\x3a`.
pub(crate) fn terminal(s: &str) -> std::borrow::Cow<'_, str> {
    let leading_command = s.trim_start().starts_with("::");
    if !s.chars().any(|c| is_unsafe_char(c) || is_invisible_char(c))
        && !leading_command
        && !s.contains("##[")
    {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut leading = leading_command;
    let mut hashes = 0;
    for c in s.chars() {
        if leading && c == ':' {
            out.push_str("\\x3a");
            leading = false;
            continue;
        }
        if c == '[' && hashes >= 2 {
            out.push_str("\\x5b");
            hashes = 0;
            continue;
        }
        hashes = if c == '#' { hashes + 1 } else { 0 };
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 && is_unsafe_char(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_unsafe_char(c) || is_invisible_char(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `s` on one line: newlines and other control characters become spaces.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A writer for JSON text that writes every character of [`is_unsafe_char`] as a `\uXXXX`
/// escape, as it streams: serde_json escapes only C0 controls and leaves DEL, C1 controls, the
/// bidirectional overrides and the line separators raw. Outside strings JSON holds only ASCII
/// punctuation, spaces and newlines (left as they are), so every such character is inside a
/// string, where the escape means the same.
pub(crate) struct JsonSafe<W: std::io::Write> {
    inner: W,
    /// The start of a character cut off at the end of the last write.
    pending: Vec<u8>,
}

impl<W: std::io::Write> JsonSafe<W> {
    pub(crate) fn new(inner: W) -> JsonSafe<W> {
        JsonSafe {
            inner,
            pending: Vec::new(),
        }
    }
}

impl<W: std::io::Write> std::io::Write for JsonSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(buf);
        // The longest prefix of whole characters; a cut-off one waits for the next write.
        let (text, rest) = match std::str::from_utf8(&bytes) {
            Ok(t) => (t, &[][..]),
            Err(e) if e.error_len().is_none() => {
                let (head, tail) = bytes.split_at(e.valid_up_to());
                (std::str::from_utf8(head).unwrap_or_default(), tail)
            }
            // Not UTF-8 (serde_json never writes that): passed on as it is.
            Err(_) => {
                self.inner.write_all(&bytes)?;
                return Ok(buf.len());
            }
        };
        if text.chars().any(|c| c != '\n' && is_unsafe_char(c)) {
            let mut out = String::with_capacity(text.len() + 16);
            for c in text.chars() {
                if c != '\n' && is_unsafe_char(c) {
                    out.push_str(&format!("\\u{:04x}", u32::from(c)));
                } else {
                    out.push(c);
                }
            }
            self.inner.write_all(out.as_bytes())?;
        } else {
            self.inner.write_all(text.as_bytes())?;
        }
        self.pending = rest.to_vec();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.inner.write_all(&rest)?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_holds_no_ci_workflow_command() {
        assert_eq!(terminal("a ##[stop-commands]t"), "a ##\\x5bstop-commands]t");
        assert_eq!(terminal("###[x] ##[y"), "###\\x5bx] ##\\x5by");
        assert_eq!(terminal("  ::add-mask::x"), "  \\x3a:add-mask::x");
        // Test ids with `::` inside, `#[` and `# #[` stay as they are.
        for s in ["tests/a.py::test_b", "a #[b] # #[c", "::"] {
            let want = if s == "::" { "\\x3a:" } else { s };
            assert_eq!(terminal(s), want);
        }
    }

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html("<script>alert('x')</script>\" onload=\"y\"&amp;"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot; onload=&quot;y&quot;&amp;amp;"
        );
        assert_eq!(html("a\u{0}b\nc"), "a b\nc");
        assert_eq!(html("a\u{ffff}\u{fffe}"), "a\u{fffd}\u{fffd}");
    }

    #[test]
    fn html_and_markdown_replace_bidi_controls() {
        let bidi = "a\u{202e}b\u{2066}c\u{200f}d\u{061c}e";
        assert_eq!(html(bidi), "a\u{fffd}b\u{fffd}c\u{fffd}d\u{fffd}e");
        assert_eq!(markdown(bidi), "a\u{fffd}b\u{fffd}c\u{fffd}d\u{fffd}e");
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let keeps = |c: char| c == '\n' || c == '\t';
        assert!(!html(&all).chars().any(|c| is_unsafe_char(c) && !keeps(c)));
        assert!(!markdown(&all).chars().any(is_unsafe_char));
    }

    #[test]
    fn markdown_escapes_everything_with_a_meaning() {
        assert_eq!(
            markdown("a|b `c` <img> [x](y) $(rm -rf) @me #1\n*_"),
            "a\\|b \\`c\\` &lt;img&gt; \\[x\\]\\(y\\) \\$\\(rm \\-rf\\) &#64;\u{200b}me \\#\u{200b}1<br>\\*\\_"
        );
        // No list item, issue reference or e-mail address; `#x` keeps no invisible space.
        assert_eq!(markdown("- a + b"), "\\- a \\+ b");
        assert_eq!(markdown("GH-12 gh-x"), "GH\u{200b}\\-12 gh\\-x");
        assert_eq!(markdown("a@b.c #x"), "a&#64;\u{200b}b\\.c \\#x");
    }

    #[test]
    fn capped_markdown_stays_under_its_bound() {
        let s = "<".repeat(10_000);
        let out = markdown_capped(&s, 100);
        assert!(out.len() <= 100 + '…'.len_utf8(), "{}", out.len());
        assert!(out.ends_with('…'));
        assert_eq!(markdown_capped("ok", 100), "ok");
    }

    #[test]
    fn terminal_text_has_no_control_characters_left() {
        assert_eq!(terminal("plain name"), "plain name");
        assert_eq!(
            terminal("a\u{1b}]52;c;cm0gLXJm\u{7}b\nc\\d\u{202e}e\u{9b}"),
            "a\\x1b]52;c;cm0gLXJm\\x07b\\nc\\d\\u{202e}e\\x9b"
        );
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!terminal(&all).chars().any(is_unsafe_char));
        // Invisible characters that would make one name look like another are shown.
        assert_eq!(
            terminal("k::admin\u{200b}_test\u{feff}\u{2060}\u{ad}"),
            "k::admin\\u{200b}_test\\u{feff}\\u{2060}\\u{ad}"
        );
        assert_eq!(terminal("café ✓ 名前"), "café ✓ 名前");
    }

    #[test]
    fn shorten_counts_characters() {
        assert_eq!(shorten("héllo", 3), "hél…");
        assert_eq!(shorten("héllo", 5), "héllo");
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn json_written_through_json_safe_has_no_unsafe_character_left() {
        use std::io::Write;
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let mut out = JsonSafe::new(Vec::new());
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "name": all })).unwrap();
        // A character cut between two writes is written whole.
        out.write_all(&"\u{202e}".as_bytes()[..1]).unwrap();
        out.write_all(&"\u{202e}".as_bytes()[1..]).unwrap();
        out.flush().unwrap();
        let text = String::from_utf8(out.inner).unwrap();
        assert!(!text.chars().any(|c| c != '\n' && is_unsafe_char(c)));
        assert!(text.ends_with("\\u202e"), "{}", &text[text.len() - 20..]);
        let (json, _) = text.split_at(text.rfind('}').unwrap() + 1);
        let back: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(back["name"].as_str().unwrap(), all);
    }
}

//! Turns a report's bytes into UTF-8 text before parsing: strips a UTF-8 byte-order mark,
//! transcodes UTF-16 and legacy encodings named in the XML declaration, and refuses what is not
//! text at all.

use super::{Problem, Severity};
use std::borrow::Cow;

/// The decoded text, or a problem that makes the file unreadable.
pub(super) fn decode<'a>(bytes: &'a [u8], problems: &mut Vec<Problem>) -> Option<Cow<'a, str>> {
    if bytes.is_empty() {
        problems.push(fatal(1, 1, "empty file: no XML content"));
        return None;
    }
    let (utf16, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (Some(encoding_rs::UTF_16LE), rest),
        [0xFE, 0xFF, rest @ ..] => (Some(encoding_rs::UTF_16BE), rest),
        [b'<', 0, b'?', 0, ..] => (Some(encoding_rs::UTF_16LE), bytes),
        [0, b'<', 0, b'?', ..] => (Some(encoding_rs::UTF_16BE), bytes),
        _ => (None, bytes),
    };
    if let Some(enc) = utf16 {
        let (text, had_errors) = enc.decode_without_bom_handling(body);
        if had_errors {
            problems.push(warning(
                1,
                1,
                "invalid UTF-16 sequences replaced with U+FFFD",
            ));
        }
        check_declared_label(&text, true, problems);
        return Some(Cow::Owned(text.into_owned()));
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = &body[..body.len().min(512)];
    if head.contains(&0) {
        problems.push(fatal(1, 1, "binary data (NUL bytes), not an XML report"));
        return None;
    }
    if let Some(label) = declared_encoding(head)
        && let Some(enc) = encoding_rs::Encoding::for_label(label.as_bytes())
        && enc != encoding_rs::UTF_8
        && enc != encoding_rs::UTF_16LE
        && enc != encoding_rs::UTF_16BE
    {
        let (text, _, had_errors) = enc.decode(body);
        if had_errors {
            problems.push(warning(
                1,
                1,
                "bytes invalid in the declared encoding replaced",
            ));
        }
        return Some(Cow::Owned(text.into_owned()));
    }
    // The SIMD check is several times faster on valid input; std's says where invalid input
    // goes wrong.
    let valid = simdutf8::basic::from_utf8(body).map_err(|_| ());
    match valid.or_else(|()| std::str::from_utf8(body)) {
        Ok(text) => {
            check_declared_label(text, false, problems);
            Some(Cow::Borrowed(text))
        }
        Err(e) => {
            let at = e.valid_up_to();
            let (line, column) = line_column(&String::from_utf8_lossy(&body[..at]), at);
            problems.push(warning(
                line,
                column,
                "invalid UTF-8 (not the declared encoding); bad bytes replaced with U+FFFD",
            ));
            Some(Cow::Owned(String::from_utf8_lossy(body).into_owned()))
        }
    }
}

/// The `encoding="..."` of an XML declaration at the start of `head`.
fn declared_encoding(head: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(head).ok().or_else(|| {
        let end = head.iter().position(|&b| b == b'>')?;
        std::str::from_utf8(&head[..=end]).ok()
    })?;
    let decl = text.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let after = &decl[decl.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let value = &after[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// A declaration whose encoding label names no encoding at all (`"UTF-16 LE"`) is an error,
/// though the text is still read as what its bytes say.
fn check_declared_label(text: &str, utf16: bool, problems: &mut Vec<Problem>) {
    // The declaration sits at the start; its first 512 bytes are all it takes to read it.
    let head = &text.as_bytes()[..text.len().min(512)];
    let Some(label) = declared_encoding(head) else {
        return;
    };
    if encoding_rs::Encoding::for_label(label.as_bytes()).is_none() {
        let read_as = if utf16 {
            "UTF-16 from its byte-order mark"
        } else {
            "UTF-8"
        };
        problems.push(Problem {
            severity: Severity::Error,
            line: 1,
            column: 1,
            element: String::new(),
            message: format!(
                "the XML declaration names an unknown encoding {label:?}; read as {read_as}"
            ),
        });
    }
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
pub(crate) fn line_column(text: &str, at: usize) -> (u32, u32) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text.as_bytes()[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = text[line_start..at].chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

fn fatal(line: u32, column: u32, message: &str) -> Problem {
    Problem {
        severity: Severity::Error,
        line,
        column,
        element: String::new(),
        message: message.into(),
    }
}

fn warning(line: u32, column: u32, message: &str) -> Problem {
    Problem {
        severity: Severity::Warning,
        line,
        column,
        element: String::new(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> (Option<String>, Vec<Problem>) {
        let mut problems = Vec::new();
        let text = decode(bytes, &mut problems).map(|c| c.into_owned());
        (text, problems)
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let (text, problems) = run(b"\xEF\xBB\xBF<testsuite/>");
        assert_eq!(text.as_deref(), Some("<testsuite/>"));
        assert!(problems.is_empty());
    }

    #[test]
    fn utf16_is_transcoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in
            "<?xml version=\"1.0\" encoding=\"UTF-16\"?><testsuite name=\"ж\"/>".encode_utf16()
        {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (text, problems) = run(&bytes);
        assert!(text.is_some_and(|t| t.ends_with("<testsuite name=\"ж\"/>")));
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn bad_label_is_an_error_but_text_is_read() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "<?xml version='1.0' encoding='UTF-16 LE'?><testsuite/>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (text, problems) = run(&bytes);
        assert!(text.is_some());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].severity, Severity::Error);
        assert!(problems[0].message.contains("UTF-16 LE"));
    }

    #[test]
    fn latin1_is_transcoded() {
        let (text, _) =
            run(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><testsuite name=\"caf\xE9\"/>");
        assert!(text.is_some_and(|t| t.contains("café")));
    }

    #[test]
    fn binary_and_empty_are_refused() {
        assert!(run(b"").0.is_none());
        let (text, problems) = run(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        assert!(text.is_none());
        assert!(problems[0].message.contains("binary"));
    }

    #[test]
    fn invalid_utf8_is_replaced_with_a_warning() {
        let (text, problems) = run(b"<testsuite>\n<testcase name=\"a\xFFb\"/></testsuite>");
        assert!(text.is_some_and(|t| t.contains("a\u{FFFD}b")));
        assert_eq!((problems[0].line, problems[0].column), (2, 18));
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncжd", 6), (2, 3));
        assert_eq!(line_column("ab\ncжd", 5), (2, 2));
        assert_eq!(line_column("abc", 0), (1, 1));
    }
}

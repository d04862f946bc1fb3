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
        [0xFF, 0xFE, rest @ ..] => (Some((encoding_rs::UTF_16LE, "its byte-order mark")), rest),
        [0xFE, 0xFF, rest @ ..] => (Some((encoding_rs::UTF_16BE, "its byte-order mark")), rest),
        _ => (
            utf16_without_bom(bytes).map(|enc| (enc, "the zero bytes of its first characters")),
            bytes,
        ),
    };
    if let Some((enc, told_by)) = utf16 {
        if body.len() == bytes.len() {
            problems.push(warning(
                1,
                1,
                &format!(
                    "{} without the byte-order mark XML requires; read as {} from the zero bytes \
                     of its first characters",
                    enc.name(),
                    enc.name()
                ),
            ));
        }
        let (text, had_errors) = enc.decode_without_bom_handling(body);
        if had_errors {
            problems.push(warning(
                1,
                1,
                "invalid UTF-16 sequences replaced with U+FFFD",
            ));
        }
        check_declared_label(&text, Some(told_by), problems);
        return Some(Cow::Owned(text.into_owned()));
    }
    if let Some(what) = compressed(bytes) {
        problems.push(fatal(1, 1, &what));
        return None;
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = &body[..body.len().min(512)];
    if head.contains(&0) && !starts_like_markup(head) {
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
            check_declared_label(text, None, problems);
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

/// What a compressed file or archive under a report's name is, told by its first bytes, and how
/// to have it read: a report gzipped in place keeps its `.xml` name more often than not.
fn compressed(bytes: &[u8]) -> Option<String> {
    let (what, fix) = match bytes {
        [0x1f, 0x8b, ..] => ("gzip-compressed data", "name it .xml.gz to have it read"),
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => {
            ("a zip archive", "name it .zip to have its reports read")
        }
        [0x28, 0xb5, 0x2f, 0xfd, ..] => ("zstd-compressed data", "decompress it first"),
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => ("xz-compressed data", "decompress it first"),
        [b'B', b'Z', b'h', b'1'..=b'9', ..] => ("bzip2-compressed data", "decompress it first"),
        _ => return None,
    };
    Some(format!("{what}, not an XML report ({fix})"))
}

/// UTF-16 without a byte-order mark, told by the zero bytes of its first two characters: an
/// XML document starts with `<` (or whitespace) and then an ASCII character, so `<\0?\0` is
/// little-endian and `\0<\0?` big-endian, with or without a declaration.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let opens = |b: u8| b == b'<' || matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let ascii = |b: u8| b != 0 && b.is_ascii();
    match bytes {
        [a, 0, b, 0, ..] if opens(*a) && ascii(*b) => Some(encoding_rs::UTF_16LE),
        [0, a, 0, b, ..] if opens(*a) && ascii(*b) => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}

/// Whether `head` starts as XML does (`<` after optional whitespace) and holds only a few NUL
/// bytes: a report with a stray NUL is read (the NUL is reported where it is), while a binary
/// file, whatever its first byte, has NULs throughout.
fn starts_like_markup(head: &[u8]) -> bool {
    let first = head
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    first == Some(&b'<') && head.iter().filter(|&&b| b == 0).count() <= 4
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
/// though the text is still read as what its bytes say: UTF-16 (told by `utf16`) or UTF-8.
fn check_declared_label(text: &str, utf16: Option<&str>, problems: &mut Vec<Problem>) {
    // The declaration sits at the start; its first 512 bytes are all it takes to read it.
    let head = &text.as_bytes()[..text.len().min(512)];
    let Some(label) = declared_encoding(head) else {
        return;
    };
    if encoding_rs::Encoding::for_label(label.as_bytes()).is_none() {
        let read_as = match utf16 {
            Some(told_by) => format!("UTF-16 from {told_by}"),
            None => "UTF-8".to_string(),
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

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    #[test]
    fn utf16_without_bom_or_declaration_is_read() {
        for big_endian in [false, true] {
            for doc in [
                "<testsuite name=\"ж\"/>",
                "\n<testsuite/>",
                "<?xml version=\"1.0\"?><a/>",
            ] {
                let (text, problems) = run(&utf16(doc, big_endian));
                assert_eq!(
                    text.as_deref(),
                    Some(doc),
                    "{doc:?} big-endian {big_endian}"
                );
                assert_eq!(problems.len(), 1, "{problems:?}");
                assert_eq!(problems[0].severity, Severity::Warning);
                let name = if big_endian { "UTF-16BE" } else { "UTF-16LE" };
                assert!(problems[0].message.starts_with(name), "{}", problems[0]);
            }
        }
    }

    #[test]
    fn a_stray_nul_in_a_report_is_not_binary() {
        let (text, problems) = run(b"<testsuite>\0<testcase name=\"a\"/></testsuite>");
        assert_eq!(
            text.as_deref(),
            Some("<testsuite>\0<testcase name=\"a\"/></testsuite>")
        );
        assert!(problems.is_empty(), "{problems:?}");
        let (text, _) = run(b"<\0\0\0\0\0\0\0\0\0binary after all");
        assert!(text.is_none());
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
    fn compressed_data_under_a_report_name_is_named() {
        for (bytes, what, fix) in [
            (&b"\x1f\x8b\x08\0\0\0\0\0"[..], "gzip", ".xml.gz"),
            (b"PK\x03\x04\x14\0\0\0", "zip archive", ".zip"),
            (b"\x28\xb5\x2f\xfd\0", "zstd", "decompress"),
        ] {
            let (text, problems) = run(bytes);
            assert!(text.is_none());
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].severity, Severity::Error);
            assert!(problems[0].message.contains(what), "{}", problems[0]);
            assert!(problems[0].message.contains(fix), "{}", problems[0]);
        }
        // Text that only starts with the same letters is text.
        let (text, problems) = run(b"BZh<testsuite/>");
        assert!(text.is_some() && problems.is_empty(), "{problems:?}");
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

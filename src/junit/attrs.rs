//! One pass over a start tag's attributes. quick-xml's attribute iterator walks a tag byte by
//! byte through several iterator adaptors; this one takes the same grammar (`key = "value"` or
//! `key='value'`, whitespace around `=`, duplicates allowed) with a tight loop, and is what the
//! parser uses on every `<testcase>`, `<testsuite>` and outcome element. Anything it does not
//! accept (a key without a value, an unquoted or unterminated value) ends the iteration with
//! `Err`, as quick-xml's iterator would for the same input.

use quick_xml::events::attributes::Attribute;
use quick_xml::name::QName;
use std::borrow::Cow;

/// Iterator over `(key, raw value)` pairs of a tag's attribute text (what follows the name).
pub(super) struct Attrs<'t> {
    text: &'t str,
    /// Where the next attribute is looked for in `text`.
    pos: usize,
    done: bool,
}

/// The attributes of `raw`, a tag's text after its name.
pub(super) fn attrs(raw: &str) -> Attrs<'_> {
    Attrs {
        text: raw,
        pos: 0,
        done: false,
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'t> Iterator for Attrs<'t> {
    type Item = Result<Attribute<'t>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let text = self.text;
        let bytes = text.as_bytes();
        let mut i = self.pos;
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        if i == bytes.len() {
            self.done = true;
            return None;
        }
        // The key's first byte is taken whatever it is (even `=`), as quick-xml does.
        let key_start = i;
        i += 1;
        while i < bytes.len() && bytes[i] != b'=' && !is_space(bytes[i]) {
            i += 1;
        }
        let key_end = i;
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        if i == bytes.len() || bytes[i] != b'=' {
            self.done = true;
            return Some(Err(()));
        }
        i += 1;
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        let Some(&quote) = bytes.get(i).filter(|&&q| q == b'"' || q == b'\'') else {
            self.done = true;
            return Some(Err(()));
        };
        let value_start = i + 1;
        let Some(len) = memchr::memchr(quote, bytes.get(value_start..).unwrap_or_default()) else {
            self.done = true;
            return Some(Err(()));
        };
        let value_end = value_start + len;
        // Every index above sits next to an ASCII byte, so these slices are on char boundaries;
        // `get` keeps that a checked fact rather than an assumption.
        let (Some(key), Some(value)) = (
            text.get(key_start..key_end),
            text.get(value_start..value_end),
        ) else {
            self.done = true;
            return Some(Err(()));
        };
        self.pos = value_end + 1;
        Some(Ok(Attribute {
            key: QName(key),
            value: Cow::Borrowed(value),
        }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests on literal input
mod tests {
    use super::*;
    use quick_xml::events::BytesStart;

    fn ours(raw: &str) -> Vec<Result<(String, String), ()>> {
        attrs(raw)
            .map(|a| a.map(|a| (a.key.as_ref().to_string(), a.value.to_string())))
            .collect()
    }

    /// quick-xml's own iterator, up to and including its first error.
    fn theirs(raw: &str) -> Vec<Result<(String, String), ()>> {
        let tag = format!("t{raw}");
        let start = BytesStart::from_content(tag.as_str(), 1);
        let mut out = Vec::new();
        for a in start.attributes().with_checks(false) {
            match a {
                Ok(a) => out.push(Ok((a.key.as_ref().to_string(), a.value.to_string()))),
                Err(_) => {
                    out.push(Err(()));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn agrees_with_quick_xml_on_valid_and_broken_tags() {
        for raw in [
            "",
            " ",
            r#" name="a" classname='b.C' time="0.5""#,
            " name = \"spaced\"\t\ntime\n=\n'1'",
            r#" name="has 'single' quotes" x='has "double"'"#,
            r#" name="dup" name="dup2""#,
            r#" name="a&amp;b" t="&#10;""#,
            r#" name="ünïcödé ✓" c="日本""#,
            r#" name="""#,
            r#" name="a"time="1""#,
            " disabled",
            " disabled name=\"x\"",
            " name=unquoted",
            " name=\"unterminated",
            " name=",
            " =\"novalue\"",
        ] {
            assert_eq!(ours(raw), theirs(raw), "{raw:?}");
        }
    }
}

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
    /// Where the next attribute is looked for in `text`; past its end once iteration is over.
    pos: usize,
}

/// The attributes of `raw`, a tag's text after its name.
pub(super) fn attrs(raw: &str) -> Attrs<'_> {
    Attrs { text: raw, pos: 0 }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'t> Attrs<'t> {
    /// Ends the iteration with an unreadable attribute.
    fn fail(&mut self) -> Option<Result<Attribute<'t>, ()>> {
        self.pos = usize::MAX;
        Some(Err(()))
    }
}

impl<'t> Iterator for Attrs<'t> {
    type Item = Result<Attribute<'t>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut i = self.pos;
        // Whitespace, then the key's first byte, taken whatever it is (even `=`), as quick-xml
        // does.
        let key_start = loop {
            match bytes.get(i) {
                Some(&b) if is_space(b) => i += 1,
                Some(_) => break i,
                None => {
                    self.pos = usize::MAX;
                    return None;
                }
            }
        };
        i += 1;
        while let Some(&b) = bytes.get(i) {
            if b == b'=' || is_space(b) {
                break;
            }
            i += 1;
        }
        let key_end = i;
        // `key="value"` nearly always; spaces around `=` are allowed.
        let quote = match bytes.get(i..i + 2) {
            Some(&[b'=', q]) if q == b'"' || q == b'\'' => {
                i += 2;
                q
            }
            _ => {
                while bytes.get(i).is_some_and(|&b| is_space(b)) {
                    i += 1;
                }
                if bytes.get(i) != Some(&b'=') {
                    return self.fail();
                }
                i += 1;
                while bytes.get(i).is_some_and(|&b| is_space(b)) {
                    i += 1;
                }
                match bytes.get(i) {
                    Some(&q) if q == b'"' || q == b'\'' => {
                        i += 1;
                        q
                    }
                    _ => return self.fail(),
                }
            }
        };
        let value_start = i;
        let Some(len) = memchr::memchr(quote, bytes.get(value_start..).unwrap_or_default()) else {
            return self.fail();
        };
        let value_end = value_start + len;
        // Every index above sits next to an ASCII byte, so these slices are on char boundaries;
        // `get` keeps that a checked fact rather than an assumption.
        let (Some(key), Some(value)) = (
            text.get(key_start..key_end),
            text.get(value_start..value_end),
        ) else {
            return self.fail();
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
            " k= \"v\" j =\"w\" i = 'x'",
            " k=\"\" j=''",
            " k",
            " k ",
            " k =",
            " k= ",
            " k=x\"",
            " k=\"",
            "\tk\t=\t\"v\"\t",
        ] {
            assert_eq!(ours(raw), theirs(raw), "{raw:?}");
        }
    }
}

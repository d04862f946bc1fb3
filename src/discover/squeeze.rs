//! Keeping a report's memory bounded while it is read: a byte-level pass over the XML as it
//! arrives (from a file, a gzip stream or an archive entry) that keeps every markup byte but
//! drops what runs past [`RUN_MAX`] in one attribute value, one stretch of text, one comment,
//! CDATA section, processing instruction or declaration, or the names of one tag. The parser
//! reads at most 64 KiB of any of them anyway (`junit::TEXT_MAX`, and the hash of a cut value), so nothing it would have
//! kept is lost, and a 700 MB attribute costs 1 MiB of memory instead of 700 MB (twice over
//! while a growing buffer is copied).
//!
//! Each dropped stretch is a [`Cut`]: where it was in the kept bytes, how many bytes, lines and
//! characters it held, so the parser still reports true line:column positions and value
//! lengths. What is kept stays well-formed: a cut never splits a character, an entity
//! reference or a closing sequence, a comment never ends in `-` before its `-->`, and a tag
//! whose names run long is closed where its last whole attribute ended. Start and end tags
//! with the same over-long name are cut to the same name.
//!
//! UTF-16 input is passed through untouched (its bytes are not ASCII-compatible); single-byte
//! and other ASCII-compatible encodings are squeezed like UTF-8.

use crate::junit::Cut;

/// The longest run of one kind that is kept whole.
pub(crate) const RUN_MAX: usize = 1 << 20;

/// Bytes looked back over for an entity reference a cut would split (`&#x10FFFF;` and every
/// named entity fit).
const ENTITY_MAX: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Character data between tags.
    Text,
    /// After `<`, before the kind of markup is known (kept bytes decide it).
    Markup,
    /// Inside a start or end tag, outside attribute values.
    Tag,
    /// Inside a quoted attribute value; the quote is in `quote`.
    Value,
    Comment,
    CData,
    Pi,
    /// `<!DOCTYPE ...>` and other declarations, with their internal subset.
    Decl,
}

/// The squeezing pass over one report; feed it the bytes in order, then [`finish`](Self::finish).
pub(crate) struct Squeezer {
    max: usize,
    state: State,
    /// Bytes kept of the current run (text, a value, a comment...).
    run: usize,
    /// Bytes kept of the current tag's names.
    names_run: usize,
    /// The open cut while the current run is being dropped.
    cut: Option<Cut>,
    cuts: Vec<Cut>,
    /// Offset in the kept bytes of the current markup's `<`.
    markup_start: usize,
    /// In a tag: the kept length after its last whole attribute (None before the first).
    boundary: Option<usize>,
    /// The tag's names ran past the limit: everything up to its `>` is dropped.
    tag_dropped: bool,
    quote: u8,
    /// Declarations: `[` nesting and the kept offset of an open quote.
    depth: u32,
    decl_quote: Option<usize>,
    /// The last two bytes read, to find closing sequences across chunks and cuts.
    prev: [u8; 2],
    passthrough: Option<bool>,
    /// The first bytes, held until there are two.
    head: Vec<u8>,
}

impl Default for Squeezer {
    fn default() -> Self {
        Squeezer::new(RUN_MAX)
    }
}

impl Squeezer {
    pub(crate) fn new(max: usize) -> Squeezer {
        Squeezer {
            max: max.max(ENTITY_MAX),
            state: State::Text,
            run: 0,
            names_run: 0,
            cut: None,
            cuts: Vec::new(),
            markup_start: 0,
            boundary: None,
            tag_dropped: false,
            quote: b'"',
            depth: 0,
            decl_quote: None,
            prev: [0; 2],
            passthrough: None,
            head: Vec::new(),
        }
    }

    /// The cuts made, in order of their offsets in the kept bytes; `out` gets what was held
    /// back (a first byte alone, before the encoding could be told).
    pub(crate) fn finish(mut self, out: &mut Vec<u8>) -> Vec<Cut> {
        if !self.head.is_empty() {
            let head = std::mem::take(&mut self.head);
            self.passthrough = Some(false);
            self.process(&head, out);
        }
        self.close_cut();
        self.cuts
    }

    /// Reads `input` (the next bytes of the report), appending what is kept to `out` (which
    /// holds exactly what was kept of the earlier bytes).
    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if self.passthrough.is_none() {
            // The first two bytes tell UTF-16: a byte-order mark or the zero byte of `<`.
            self.head.extend_from_slice(input);
            if self.head.len() < 2 {
                return;
            }
            let head = std::mem::take(&mut self.head);
            let utf16 = matches!(
                head[..],
                [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] | [0, b'<', ..]
            ) || matches!(head[..], [b'<', 0, ..]);
            self.passthrough = Some(utf16);
            self.process(&head, out);
            return;
        }
        self.process(input, out);
    }

    fn process(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if self.passthrough == Some(true) {
            out.extend_from_slice(input);
            return;
        }
        let mut i = 0;
        while i < input.len() {
            i += match self.state {
                State::Text => self.text(&input[i..], out),
                State::Value => self.value(&input[i..], out),
                State::Tag => self.tag(&input[i..], out),
                State::Comment | State::CData | State::Pi => self.special(&input[i..], out),
                State::Markup => self.markup(input[i], out),
                State::Decl => self.decl(input[i], out),
            };
        }
    }

    fn remember(&mut self, consumed: &[u8]) {
        match consumed {
            [] => {}
            [b] => self.prev = [self.prev[1], *b],
            [.., a, b] => self.prev = [*a, *b],
        }
    }

    /// Keeps `bytes` of the current run, or the part of them within the limit, dropping the
    /// rest (and keeping no partial character or entity at the cut).
    fn keep_run(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.cut.is_some() {
            self.drop_bytes(bytes);
        } else if let Some(rest) = fill(&mut self.run, self.max, bytes, out) {
            self.open_cut(out, true);
            self.drop_bytes(&bytes[rest..]);
        }
    }

    /// Starts dropping: `out` loses a partial character (and, with `entity`, a partial entity
    /// reference) at its end, counted as dropped.
    fn open_cut(&mut self, out: &mut Vec<u8>, entity: bool) {
        let mut keep = out.len();
        // A UTF-8 sequence the cut would split: its lead byte and continuation bytes go.
        let mut back = 0;
        while back < 4 && keep > back && (out[keep - 1 - back] & 0xC0) == 0x80 {
            back += 1;
        }
        if keep > back && out[keep - 1 - back] >= 0xC0 {
            let lead = out[keep - 1 - back];
            let len = if lead >= 0xF0 {
                4
            } else if lead >= 0xE0 {
                3
            } else {
                2
            };
            if back + 1 < len {
                keep -= back + 1;
            }
        }
        if entity {
            let from = keep.saturating_sub(ENTITY_MAX);
            if let Some(amp) = out[from..keep].iter().rposition(|&b| b == b'&')
                && !out[from + amp..keep].contains(&b';')
            {
                keep = from + amp;
            }
        }
        self.open_cut_at(out, keep);
    }

    /// Starts dropping with `out` cut back to `keep` bytes (the bytes after it counted as
    /// dropped).
    fn open_cut_at(&mut self, out: &mut Vec<u8>, keep: usize) {
        let mut cut = Cut {
            at: keep,
            ..Cut::default()
        };
        let popped = out.split_off(keep.min(out.len()));
        count_into(&mut cut, &popped);
        self.cut = Some(cut);
    }

    fn drop_bytes(&mut self, bytes: &[u8]) {
        if let Some(cut) = &mut self.cut {
            count_into(cut, bytes);
        }
    }

    /// Ends the current run; a cut in it is closed.
    fn close_cut(&mut self) {
        if let Some(cut) = self.cut.take() {
            self.cuts.push(cut);
        }
        self.run = 0;
    }

    /// Takes `n` bytes back out of the open cut: a closing sequence that was dropped with the
    /// run and is written again whole.
    fn undrop(&mut self, closing: &[u8]) {
        if let Some(cut) = &mut self.cut {
            let n = closing.len() as u64;
            cut.bytes = cut.bytes.saturating_sub(n);
            cut.tail_chars = cut.tail_chars.saturating_sub(n);
        }
    }

    fn text(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        match memchr::memchr(b'<', input) {
            Some(at) => {
                self.keep_run(&input[..at], out);
                self.close_cut();
                self.markup_start = out.len();
                out.push(b'<');
                self.state = State::Markup;
                self.remember(&input[..=at]);
                at + 1
            }
            None => {
                self.keep_run(input, out);
                self.remember(input);
                input.len()
            }
        }
    }

    fn markup(&mut self, b: u8, out: &mut Vec<u8>) -> usize {
        out.push(b);
        self.remember(&[b]);
        const CDATA: &[u8] = b"<![CDATA[";
        let seen = &out[self.markup_start..];
        let next = match seen {
            [b'<', b'!'] | [b'<', b'!', b'-'] => return 1,
            [b'<', b'!', b'-', b'-'] => State::Comment,
            _ if seen == CDATA => State::CData,
            [b'<', b'!', b'[', ..] if CDATA.starts_with(seen) => return 1,
            [b'<', b'?'] => State::Pi,
            [b'<', b'!', ..] => State::Decl,
            _ => State::Tag,
        };
        self.state = next;
        self.run = 0;
        match next {
            State::Tag if b == b'>' => self.state = State::Text,
            State::Tag => {
                // `<name` and `</name` count the name alike, so both are cut alike.
                self.names_run = usize::from(b != b'/');
                self.boundary = None;
                self.tag_dropped = false;
            }
            State::Decl => {
                self.depth = 0;
                self.decl_quote = None;
                // The byte that made it a declaration may already open or close something.
                match b {
                    b'[' => self.depth = 1,
                    b'>' => self.state = State::Text,
                    b'"' | b'\'' => {
                        self.quote = b;
                        self.decl_quote = Some(out.len() - 1);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        1
    }

    fn tag(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let Some(at) = memchr::memchr3(b'"', b'\'', b'>', input) else {
            self.tag_names(input, out);
            self.remember(input);
            return input.len();
        };
        self.tag_names(&input[..at], out);
        let b = input[at];
        let slash_before = if at > 0 {
            input[at - 1] == b'/'
        } else {
            self.prev[1] == b'/'
        };
        self.remember(&input[..=at]);
        if b == b'>' {
            if self.tag_dropped {
                self.close_cut();
                if slash_before {
                    out.push(b'/');
                }
            }
            out.push(b'>');
            self.tag_dropped = false;
            self.state = State::Text;
        } else {
            if !self.tag_dropped {
                out.push(b);
            }
            self.quote = b;
            self.run = 0;
            self.state = State::Value;
        }
        at + 1
    }

    /// Names, `=` and spaces inside a tag: all of a tag's count as one run, and when they pass
    /// the limit the tag is cut back to its last whole attribute.
    fn tag_names(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.tag_dropped {
            self.drop_bytes(bytes);
            return;
        }
        let Some(rest) = fill(&mut self.names_run, self.max, bytes, out) else {
            return;
        };
        self.tag_dropped = true;
        match self.boundary {
            Some(keep) => self.open_cut_at(out, keep),
            None => self.open_cut(out, false),
        }
        self.drop_bytes(&bytes[rest..]);
    }

    fn value(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let at = memchr::memchr(self.quote, input);
        let end = at.unwrap_or(input.len());
        if self.tag_dropped {
            self.drop_bytes(&input[..end]);
        } else {
            self.keep_run(&input[..end], out);
        }
        let Some(at) = at else {
            self.remember(input);
            return input.len();
        };
        if !self.tag_dropped {
            self.close_cut();
            out.push(self.quote);
            self.boundary = Some(out.len());
        } else {
            self.drop_bytes(&input[at..=at]);
        }
        self.remember(&input[..=at]);
        self.state = State::Tag;
        at + 1
    }

    fn special(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let closing: &[u8] = match self.state {
            State::Comment => b"-->",
            State::CData => b"]]>",
            _ => b"?>",
        };
        let mut from = 0;
        while let Some(rel) = memchr::memchr(b'>', &input[from..]) {
            let at = from + rel;
            let b1 = if at >= 1 { input[at - 1] } else { self.prev[1] };
            let b2 = match at {
                0 => self.prev[0],
                1 => self.prev[1],
                _ => input[at - 2],
            };
            let closes = match closing.len() {
                3 => [b2, b1] == closing[..2],
                _ => b1 == closing[0],
            };
            self.keep_special(&input[from..=at], out);
            from = at + 1;
            if closes {
                if self.cut.is_some() {
                    // The closing sequence was dropped with the run: written again whole.
                    self.undrop(closing);
                    out.extend_from_slice(closing);
                }
                self.close_cut();
                self.remember(&input[..=at]);
                self.state = State::Text;
                return at + 1;
            }
        }
        self.keep_special(&input[from..], out);
        self.remember(input);
        input.len()
    }

    /// Keeps part of a comment, CDATA section or processing instruction.
    fn keep_special(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.cut.is_some() {
            self.drop_bytes(bytes);
            return;
        }
        let Some(rest) = fill(&mut self.run, self.max, bytes, out) else {
            return;
        };
        self.open_cut(out, false);
        // The closing sequence is written whole after the cut, so the kept bytes must not end
        // in its first character (`--` may not appear inside a comment).
        let (trailing, opener) = match self.state {
            State::Comment => (b'-', 4),
            State::CData => (b']', 9),
            _ => (b'?', 2),
        };
        let floor = self.markup_start + opener;
        let mut keep = out.len();
        while keep > floor && out[keep - 1] == trailing {
            keep -= 1;
        }
        if let Some(cut) = &mut self.cut
            && keep < out.len()
        {
            // Only a partial character is in the cut yet: no newline, so all are tail.
            let n = (out.len() - keep) as u64;
            out.truncate(keep);
            cut.at = keep;
            cut.bytes += n;
            cut.tail_chars += n;
        }
        self.drop_bytes(&bytes[rest..]);
    }

    fn decl(&mut self, b: u8, out: &mut Vec<u8>) -> usize {
        self.remember(&[b]);
        let mut ends = false;
        match (self.decl_quote.is_some(), b) {
            (true, q) if q == self.quote => self.decl_quote = None,
            (true, _) => {}
            (false, b'"' | b'\'') => {
                self.quote = b;
                self.decl_quote = Some(out.len());
            }
            (false, b'[') => self.depth += 1,
            (false, b']') => self.depth = self.depth.saturating_sub(1),
            (false, b'>') if self.depth == 0 => ends = true,
            _ => {}
        }
        if ends {
            if self.cut.is_some() {
                self.close_cut();
            }
            out.push(b'>');
            self.run = 0;
            self.state = State::Text;
            return 1;
        }
        if self.cut.is_some() {
            self.drop_bytes(&[b]);
            return 1;
        }
        if self.run < self.max {
            out.push(b);
            self.run += 1;
            return 1;
        }
        // Too long: close what is open and drop the rest up to the declaration's end.
        let keep = self.decl_quote.unwrap_or(out.len());
        self.open_cut_at(out, keep);
        self.drop_bytes(&[b]);
        if self.depth > 0 {
            out.push(b']');
        }
        1
    }
}

/// Appends what of `bytes` fits in a run of at most `max` bytes, `run` of them kept already;
/// returns where the bytes that did not fit start, if any did not.
fn fill(run: &mut usize, max: usize, bytes: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let kept = bytes.len().min(max - (*run).min(max));
    out.extend_from_slice(&bytes[..kept]);
    *run += kept;
    (kept < bytes.len()).then_some(kept)
}

/// Adds `bytes` to what `cut` dropped: bytes, newlines, and characters after the last newline.
fn count_into(cut: &mut Cut, bytes: &[u8]) {
    cut.bytes += bytes.len() as u64;
    let newlines = memchr::memchr_iter(b'\n', bytes).count() as u64;
    let tail = match memchr::memrchr(b'\n', bytes) {
        Some(last) => {
            cut.tail_chars = 0;
            &bytes[last + 1..]
        }
        None => bytes,
    };
    cut.newlines += newlines;
    cut.tail_chars += tail.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u64;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::junit;

    fn squeeze(input: &[u8], max: usize, chunk: usize) -> (Vec<u8>, Vec<Cut>) {
        let mut squeezer = Squeezer::new(max);
        let mut out = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            squeezer.feed(piece, &mut out);
        }
        let cuts = squeezer.finish(&mut out);
        (out, cuts)
    }

    fn fixture_reports() -> Vec<(String, Vec<u8>)> {
        let mut found = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "xml") {
                    found.push((path.display().to_string(), std::fs::read(&path).unwrap()));
                }
            }
        }
        assert!(found.len() > 50, "fixtures not found");
        found
    }

    #[test]
    fn reports_within_the_limit_are_kept_byte_for_byte() {
        for (name, bytes) in fixture_reports() {
            for chunk in [1, 7, 4096, usize::MAX] {
                let (out, cuts) = squeeze(&bytes, RUN_MAX, chunk);
                assert!(out == bytes, "{name} changed (chunk {chunk})");
                assert!(cuts.is_empty(), "{name}");
            }
        }
    }

    #[test]
    fn the_result_does_not_depend_on_how_the_bytes_arrive() {
        for (name, bytes) in fixture_reports() {
            let whole = squeeze(&bytes, 40, usize::MAX);
            for chunk in [1, 2, 3, 5, 64] {
                assert_eq!(squeeze(&bytes, 40, chunk), whole, "{name}, chunk {chunk}");
            }
        }
    }

    /// Cut hard (every run past 40 bytes), each fixture still parses to the same test cases
    /// with the same outcomes, and no new error appears.
    #[test]
    fn squeezed_fixtures_parse_to_the_same_cases() {
        for (name, bytes) in fixture_reports() {
            let (out, cuts) = squeeze(&bytes, 40, 4096);
            let before = junit::parse(&bytes);
            let after = junit::parse_cut(&out, &cuts);
            let outcomes =
                |r: &junit::Report| r.cases.iter().map(|c| c.outcome).collect::<Vec<_>>();
            assert_eq!(outcomes(&after), outcomes(&before), "{name}");
            let errors = |r: &junit::Report| {
                r.problems
                    .iter()
                    .filter(|p| p.severity == junit::Severity::Error)
                    .count()
            };
            assert!(
                errors(&after) <= errors(&before),
                "{name}: {:?}",
                after.problems
            );
        }
    }

    fn big(len: usize, piece: &str) -> String {
        piece.repeat(len / piece.len() + 1)
    }

    /// A report with over-long runs of every kind, and problems after each: the squeezed parse
    /// reports the same problems at the same positions, and the same test cases.
    #[test]
    fn positions_and_lengths_are_the_files_own_after_cuts() {
        let value = big(3 << 20, "ab\ncé&amp;d");
        let text = big(2 << 20, "line of output &lt;x&gt;\n");
        let comment = big(2 << 20, "- no end -\n");
        let cdata = big(2 << 20, "]] still in\n");
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<!-- {comment} -->\n<testsuite name=\"s\">\n\
             <testcase classname=\"c\" name=\"{value}\" time=\"-1\"/>\n\
             <testcase classname=\"c\" name=\"t2\" time=\"x\"><system-out>{text}</system-out></testcase>\n\
             <testcase classname=\"c\" name=\"t3\" time=\"1\"><failure message=\"m\"><![CDATA[{cdata}]]></failure></testcase>\n\
             <testcase classname=\"c\" name=\"t4\" time=\"nan\"/>\n<bogus>\n</testsuite>\n"
        );
        let bytes = xml.as_bytes();
        for chunk in [usize::MAX, 65536, 999] {
            let (out, cuts) = squeeze(bytes, RUN_MAX, chunk);
            assert!(out.len() < 5 << 20, "{} bytes kept", out.len());
            assert_eq!(cuts.len(), 4);
            let before = junit::parse(bytes);
            let after = junit::parse_cut(&out, &cuts);
            let shown = |r: &junit::Report| {
                r.problems
                    .iter()
                    .map(|p| format!("{}:{} {} {}", p.line, p.column, p.element, p.message))
                    .collect::<Vec<_>>()
            };
            assert_eq!(shown(&after), shown(&before), "chunk {chunk}");
            assert_eq!(after.cases.len(), 4);
            for (a, b) in after.cases.iter().zip(&before.cases) {
                assert_eq!(after.str(a.name), before.str(b.name));
                assert_eq!(
                    after.str(after.detail(a).message),
                    before.str(before.detail(b).message)
                );
                assert_eq!(a.outcome, b.outcome);
            }
        }
    }

    #[test]
    fn long_tag_names_are_cut_alike_and_tags_close_after_their_last_whole_attribute() {
        let name = "n".repeat(100);
        let attrs: String = (0..50).map(|i| format!(" a{i}=\"{i}\"")).collect();
        let xml = format!(
            "<testsuite name=\"s\"><{name}>x</{name}><testcase name=\"t\"{attrs} /></testsuite>"
        );
        let (out, cuts) = squeeze(xml.as_bytes(), 64, usize::MAX);
        let out = String::from_utf8(out).unwrap();
        let cut_name = "n".repeat(64);
        assert!(
            out.contains(&format!("<{cut_name}>x</{cut_name}>")),
            "{out}"
        );
        // 64 bytes of names (`testcase name= a0= ...`): the tag closes after `a11="11"`.
        assert!(out.contains(" a11=\"11\"/></testsuite>"), "{out}");
        assert_eq!(cuts.len(), 3);
        let report = junit::parse_cut(out.as_bytes(), &cuts);
        assert_eq!(report.cases.len(), 1);
        assert!(report.complete, "{:?}", report.problems);
    }

    #[test]
    fn utf16_is_passed_through() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in format!("<testsuite name=\"{}\"/>", "x".repeat(200)).encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (out, cuts) = squeeze(&bytes, 40, 3);
        assert_eq!(out, bytes);
        assert!(cuts.is_empty());
    }
}

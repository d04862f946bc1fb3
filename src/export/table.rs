//! The one table printer for the terminal, shared by `flaky`, `slow`, `trim` and `stats`, and
//! the Markdown form of the same tables.
//!
//! Every cell passes [`terminal`] before it is measured, so no control character or bidi
//! override from a report reaches the screen. By default a table fits the terminal's width, or
//! [`WIDTH`] columns when standard output is not a terminal: our
//! own short cells (numbers, verdicts) keep their width, names from reports are cut in the
//! middle and messages at the end, with `…`; at most `--top` rows are shown, then a line saying
//! how many more there are. `--wide` prints every row and every cell in full. Padding is
//! written out, never through a `format!` width, which panics from 65,536 on.

use crate::report::escape::{markdown, markdown_capped, terminal};

/// The most one text cell of a Markdown table adds, escaped, without `--wide`.
pub(crate) const MARKDOWN_CELL_BYTES: usize = 1024;
use std::borrow::Cow;
use std::io::{self, Write};

/// Columns a table line may take unless `--wide` is given.
pub(crate) const WIDTH: usize = 100;

/// Rows a table shows unless `--top` or `--wide` is given.
pub(crate) const DEFAULT_TOP: usize = 20;

/// Columns between two cells.
const GAP: usize = 2;

/// How much of the tables to show: the library side of the shared `--top`, `--wide` and
/// `--verbose` flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TableOptions {
    /// Rows per table; `None` is [`DEFAULT_TOP`], or every row with `wide`.
    pub(crate) top: Option<usize>,
    /// Every row and every cell in full, however wide the lines get.
    pub(crate) wide: bool,
    /// List what a table only summarises (the infrastructure runs of `flaky`).
    pub(crate) verbose: bool,
    /// The terminal's width when standard output is one; `None` is [`WIDTH`].
    pub(crate) columns: Option<usize>,
}

impl TableOptions {
    /// Rows a table shows.
    pub(crate) fn rows(&self) -> usize {
        self.top
            .unwrap_or(if self.wide { usize::MAX } else { DEFAULT_TOP })
    }

    /// The widest a line may be, or `None` for no limit.
    pub(crate) fn width(&self) -> Option<usize> {
        (!self.wide).then_some(self.columns.unwrap_or(WIDTH))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// What a column holds, and so how it may be shortened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fit {
    /// Text we wrote (numbers, verdicts, advice): never cut, never escaped for Markdown.
    Keep,
    /// A name from a report (test, suite, run, commit): cut in the middle, where it says least.
    Middle,
    /// A message from a report: cut at the end, after its first words.
    End,
    /// A test id `class::name`: each part cut in the middle, the name given most of the room
    /// and the class the end of its name (the package says least).
    Id,
}

#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) head: String,
    pub(crate) align: Align,
    pub(crate) fit: Fit,
    /// Left out when every shown cell is empty (a variant column on a history without any).
    pub(crate) optional: bool,
    /// On a line of its own below the row, indented, as wide as the line allows (a note).
    pub(crate) below: bool,
    /// How much of the room the columns that must be cut share this one gets.
    pub(crate) weight: usize,
}

impl Column {
    /// A number or other short text of ours, right-aligned.
    pub(crate) fn num(head: impl Into<String>) -> Self {
        Self::new(head, Align::Right, Fit::Keep)
    }

    /// A word of ours (a verdict, an advice), left-aligned.
    pub(crate) fn word(head: impl Into<String>) -> Self {
        Self::new(head, Align::Left, Fit::Keep)
    }

    /// A name from a report, left-aligned, cut in the middle when the line is too long.
    pub(crate) fn name(head: impl Into<String>) -> Self {
        Self::new(head, Align::Left, Fit::Middle)
    }

    /// A message from a report, left-aligned, cut at the end when the line is too long.
    pub(crate) fn message(head: impl Into<String>) -> Self {
        Self::new(head, Align::Left, Fit::End)
    }

    /// A test id from a report, left-aligned, each part cut in the middle when too long.
    pub(crate) fn test(head: impl Into<String>) -> Self {
        Self::new(head, Align::Left, Fit::Id)
    }

    fn new(head: impl Into<String>, align: Align, fit: Fit) -> Self {
        // Which test it is matters most, then other names, then messages.
        let weight = match fit {
            Fit::Keep => 0,
            Fit::End => 1,
            Fit::Middle => 2,
            Fit::Id => 3,
        };
        Self {
            head: head.into(),
            align,
            fit,
            optional: false,
            below: false,
            weight,
        }
    }

    /// Its share of the room, against 1 for a message, 2 for a name and 3 for a test id.
    pub(crate) fn weight(mut self, weight: usize) -> Self {
        self.weight = weight;
        self
    }

    /// Printed on a line of its own below each row (when not empty), in a terminal table.
    pub(crate) fn below(mut self) -> Self {
        self.below = true;
        self
    }

    /// Left out when every shown cell is empty.
    pub(crate) fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
}

/// Rows of cells under a header. Cells are raw text (from a report or ours); the printers
/// escape them.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
    keep_last: bool,
    head: bool,
}

impl Table {
    pub(crate) fn new(columns: Vec<Column>) -> Self {
        Self {
            columns,
            rows: Vec::new(),
            keep_last: false,
            head: true,
        }
    }

    /// No header line (a list of named values); the Markdown form keeps it.
    pub(crate) fn headless(mut self) -> Self {
        self.head = false;
        self
    }

    /// `--top` keeps the last rows instead of the first (the newest days of a calendar).
    pub(crate) fn keep_last(mut self) -> Self {
        self.keep_last = true;
        self
    }

    /// Adds a row; it has one cell per column.
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len(), "one cell per column");
        self.rows.push(cells);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows `limit` lets through, and how many it holds back.
    fn shown(&self, limit: usize) -> (&[Vec<String>], usize) {
        let n = self.rows.len().min(limit);
        let hidden = self.rows.len() - n;
        if self.keep_last {
            (&self.rows[hidden..], hidden)
        } else {
            (&self.rows[..n], hidden)
        }
    }

    fn more(&self, hidden: usize) -> String {
        let what = if self.keep_last { "earlier" } else { "more" };
        format!("… {hidden} {what} (use --top N or --wide)")
    }

    /// The columns worth printing for these rows.
    fn visible(&self, rows: &[Vec<String>]) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|&k| !self.columns[k].optional || rows.iter().any(|r| !r[k].is_empty()))
            .collect()
    }

    /// Prints the table for a terminal: escaped, aligned, within [`WIDTH`] columns unless
    /// `--wide`, then a line with the number of rows left out.
    pub(crate) fn print(&self, out: &mut impl Write, opts: &TableOptions) -> io::Result<()> {
        let (rows, hidden) = self.shown(opts.rows());
        let visible = self.visible(rows);
        let (inline, below): (Vec<usize>, Vec<usize>) =
            visible.into_iter().partition(|&k| !self.columns[k].below);
        let columns: Vec<&Column> = inline.iter().map(|&k| &self.columns[k]).collect();
        let cells: Vec<Vec<Cow<'_, str>>> = rows
            .iter()
            .map(|r| inline.iter().map(|&k| terminal(&r[k])).collect())
            .collect();
        let heads: Vec<Cow<'_, str>> = columns
            .iter()
            .map(|c| terminal(if self.head { &c.head } else { "" }))
            .collect();
        let mut widths: Vec<usize> = heads.iter().map(|h| cols(h)).collect();
        for row in &cells {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(cols(c));
            }
        }
        if let Some(limit) = opts.width() {
            fit(&columns, &mut widths, limit);
        }
        // A note below a row starts under the second column.
        let indent = " ".repeat(widths.first().map_or(0, |w| w + GAP));
        if self.head {
            write_row(out, opts, &render(&columns, &widths, &heads))?;
        }
        for (row, raw) in cells.iter().zip(rows) {
            write_row(out, opts, &render(&columns, &widths, row))?;
            for &k in &below {
                if raw[k].is_empty() {
                    continue;
                }
                let text = terminal(&raw[k]);
                let text = match opts.width() {
                    Some(w) => cut(&text, w.saturating_sub(indent.len()), self.columns[k].fit),
                    None => text,
                };
                write_row(out, opts, &format!("{indent}{text}"))?;
            }
        }
        if hidden > 0 {
            write_row(out, opts, &self.more(hidden))?;
        }
        if cut_alike(&columns, &widths, &cells) {
            write_row(
                out,
                opts,
                "(names cut to fit the line look alike; --wide shows them whole)",
            )?;
        }
        Ok(())
    }

    /// Writes the table as GitHub-flavoured Markdown: text from reports through
    /// [`markdown`], our own cells as they are, at most `opts.rows()` rows.
    /// Markdown, each text cell at most [`MARKDOWN_CELL_BYTES`] escaped (whole with `--wide`).
    pub(crate) fn markdown(&self, out: &mut impl Write, opts: &TableOptions) -> io::Result<()> {
        let (rows, hidden) = self.shown(opts.rows());
        let visible = self.visible(rows);
        let heads: Vec<String> = visible
            .iter()
            .map(|&k| markdown(&self.columns[k].head))
            .collect();
        writeln!(out, "| {} |", heads.join(" | "))?;
        let align: Vec<&str> = visible
            .iter()
            .map(|&k| match self.columns[k].align {
                Align::Left => "---",
                Align::Right => "---:",
            })
            .collect();
        writeln!(out, "|{}|", align.join("|"))?;
        for row in rows {
            let cells: Vec<Cow<'_, str>> = visible
                .iter()
                .map(|&k| match self.columns[k].fit {
                    Fit::Keep => Cow::Borrowed(row[k].as_str()),
                    Fit::Middle | Fit::End | Fit::Id if opts.wide => Cow::Owned(markdown(&row[k])),
                    // A bound on what one cell adds (names are up to 64 KiB; a job summary
                    // takes 1 MiB, a comment 65,536 characters).
                    Fit::Middle | Fit::End | Fit::Id => {
                        Cow::Owned(markdown_capped(&row[k], MARKDOWN_CELL_BYTES))
                    }
                })
                .collect();
            writeln!(out, "| {} |", cells.join(" | "))?;
        }
        if hidden > 0 {
            writeln!(out, "\n{}", self.more(hidden))?;
        }
        Ok(())
    }
}

/// Shrinks the columns that may be cut until the line fits `limit`: the others keep their
/// width; the room left is shared by weight, a column that needs less than its share giving
/// the rest to the others.
fn fit(columns: &[&Column], widths: &mut [usize], limit: usize) {
    let gaps = GAP * columns.len().saturating_sub(1);
    let total: usize = widths.iter().sum::<usize>() + gaps;
    if total <= limit {
        return;
    }
    let fixed: usize = columns
        .iter()
        .zip(widths.iter())
        .filter(|(c, _)| c.fit == Fit::Keep)
        .map(|(_, w)| w)
        .sum();
    let mut room = limit.saturating_sub(fixed + gaps);
    let mut flex: Vec<usize> = (0..columns.len())
        .filter(|&k| columns[k].fit != Fit::Keep)
        .collect();
    // The columns that need least per unit of weight are settled first.
    flex.sort_by(|&a, &b| (widths[a] * columns[b].weight).cmp(&(widths[b] * columns[a].weight)));
    let mut weight_left: usize = flex.iter().map(|&k| columns[k].weight).sum();
    for k in flex {
        let share = room * columns[k].weight / weight_left.max(1);
        widths[k] = widths[k].min(share);
        room -= widths[k];
        weight_left -= columns[k].weight;
    }
}

/// One line of cells, each cut and padded to its column's width; the last cell is not padded.
/// Whether two different names of a column are cut to fit into the same text, so that the
/// table shows two tests alike.
fn cut_alike(columns: &[&Column], widths: &[usize], cells: &[Vec<Cow<'_, str>>]) -> bool {
    columns.iter().enumerate().any(|(k, column)| {
        if !matches!(column.fit, Fit::Middle | Fit::Id) {
            return false;
        }
        let mut seen: std::collections::HashMap<Cow<'_, str>, &str> =
            std::collections::HashMap::new();
        cells.iter().any(|row| {
            let full: &str = &row[k];
            let shown = cut(full, widths[k], column.fit);
            matches!(shown, Cow::Owned(_)) && *seen.entry(shown).or_insert(full) != full
        })
    })
}

fn render(columns: &[&Column], widths: &[usize], cells: &[Cow<'_, str>]) -> String {
    let mut line = String::new();
    let last = cells.len().saturating_sub(1);
    for (k, ((column, &width), cell)) in columns.iter().zip(widths).zip(cells).enumerate() {
        if k > 0 {
            line.push_str(&" ".repeat(GAP));
        }
        let text = cut(cell, width, column.fit);
        let pad = width.saturating_sub(cols(&text));
        match column.align {
            Align::Left => {
                line.push_str(&text);
                if k < last {
                    line.push_str(&" ".repeat(pad));
                }
            }
            Align::Right => {
                line.push_str(&" ".repeat(pad));
                line.push_str(&text);
            }
        }
    }
    line.truncate(line.trim_end().len());
    line
}

/// `s` in at most `width` characters, cut as the column's kind says.
fn cut(s: &str, width: usize, fit: Fit) -> Cow<'_, str> {
    match fit {
        Fit::Keep | Fit::End => end(s, width),
        Fit::Middle => middle(s, width),
        Fit::Id => test_id(s, width),
    }
}

/// Columns `s` takes on a terminal: wide (CJK, most emoji) characters two, combining marks and
/// other zero-width characters none.
pub(crate) fn cols(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

fn char_cols(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// The byte index where the first `width` columns of `s` end (a wide character that would
/// cross it is left out).
fn head_end(s: &str, width: usize) -> usize {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = char_cols(c);
        if used + w > width {
            return i;
        }
        used += w;
    }
    s.len()
}

/// The byte index where the last `width` columns of `s` start.
fn tail_start(s: &str, width: usize) -> usize {
    let mut used = 0;
    let mut start = s.len();
    for (i, c) in s.char_indices().rev() {
        let w = char_cols(c);
        if used + w > width {
            break;
        }
        used += w;
        start = i;
    }
    start
}

/// The first `width - 1` columns and `…`, when `s` is wider than `width` columns.
pub(crate) fn end(s: &str, width: usize) -> Cow<'_, str> {
    if cols(s) <= width {
        return Cow::Borrowed(s);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    Cow::Owned(format!("{}…", &s[..head_end(s, width - 1)]))
}

/// The start and the end of `s` around `…`, in `width` columns, when `s` is wider.
/// The end gets the extra column: a test's own name is at the end of its id.
pub(crate) fn middle(s: &str, width: usize) -> Cow<'_, str> {
    around(s, width, width.saturating_sub(1) / 2)
}

/// A test id `class::name` in `width` columns: the name gets two thirds of the room (or
/// what the class leaves), each part is cut in the middle, the class keeping more of its end.
pub(crate) fn test_id(s: &str, width: usize) -> Cow<'_, str> {
    let Some(at) = s.find("::") else {
        return middle(s, width);
    };
    if cols(s) <= width || width < 8 {
        return middle(s, width);
    }
    let (class, name) = (&s[..at], &s[at + 2..]);
    let room = width - 2;
    let name_width = cols(name).min((room * 2 / 3).max(room.saturating_sub(cols(class))));
    let class_width = room - name_width;
    Cow::Owned(format!(
        "{}::{}",
        around(class, class_width, class_width.saturating_sub(1) / 3),
        middle(name, name_width)
    ))
}

/// `head` columns of `s`, `…`, and its last `width - 1 - head`, when `s` is wider than
/// `width`.
fn around(s: &str, width: usize, head: usize) -> Cow<'_, str> {
    if cols(s) <= width {
        return Cow::Borrowed(s);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    let head = head.min(width - 1);
    let tail = width - 1 - head;
    let head_at = head_end(s, head);
    let tail_at = tail_start(s, tail).max(head_at);
    Cow::Owned(format!("{}…{}", &s[..head_at], &s[tail_at..]))
}

/// Writes a line of prose (already escaped), wrapped at spaces to the line width unless
/// `--wide`, the continuation lines indented; a word wider than a line is cut.
pub(crate) fn write_line(out: &mut impl Write, opts: &TableOptions, line: &str) -> io::Result<()> {
    write_indented(out, opts, "", "  ", line)
}

/// [`write_line`] with the first line indented by `first` and the next ones by `next` (spaces).
pub(crate) fn write_indented(
    out: &mut impl Write,
    opts: &TableOptions,
    first: &str,
    next: &str,
    line: &str,
) -> io::Result<()> {
    let Some(width) = opts.width() else {
        return writeln!(out, "{first}{line}");
    };
    let mut current = first.to_string();
    let mut used = first.len();
    for (words, word) in line.split(' ').enumerate() {
        let n = cols(word);
        if words > 0 && used + 1 + n > width {
            writeln!(out, "{current}")?;
            current = next.to_string();
            used = next.len();
        } else if words > 0 {
            current.push(' ');
            used += 1;
        }
        let word = end(word, width.saturating_sub(used));
        used += cols(&word);
        current.push_str(&word);
    }
    writeln!(out, "{current}")
}

/// Writes one table line, cut at the end to the line width unless `--wide`: the last guard
/// that no line passes [`WIDTH`].
fn write_row(out: &mut impl Write, opts: &TableOptions, line: &str) -> io::Result<()> {
    match opts.width() {
        Some(w) => writeln!(out, "{}", end(line, w)),
        None => writeln!(out, "{line}"),
    }
}

/// A name from a report for a line of prose: escaped, and cut in the middle to `max` characters
/// unless `--wide`.
pub(crate) fn name(s: &str, max: usize, opts: &TableOptions) -> String {
    let s = terminal(s);
    if opts.wide {
        s.into_owned()
    } else {
        middle(&s, max).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(t: &Table, opts: &TableOptions) -> String {
        let mut out = Vec::new();
        t.print(&mut out, opts)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("the printer writes UTF-8")
    }

    fn table(name: &str, message: &str) -> Table {
        let mut t = Table::new(vec![
            Column::word("verdict"),
            Column::name("test"),
            Column::name("variant").optional(),
            Column::num("runs"),
            Column::message("note"),
        ]);
        t.row(vec![
            "flaky".into(),
            name.into(),
            String::new(),
            "12".into(),
            message.into(),
        ]);
        t
    }

    #[test]
    fn names_cut_alike_get_a_note() {
        let long = |mid: &str| {
            let pad = "x".repeat(60);
            format!("tests.module_{pad}::test_case_{pad}_{mid}_{pad}_ends_the_same")
        };
        let mut t = Table::new(vec![Column::name("test"), Column::num("runs")]);
        t.row(vec![long("aaaaaaaaaaaa"), "1".into()]);
        t.row(vec![long("bbbbbbbbbbbb"), "2".into()]);
        let out = print(&t, &TableOptions::default());
        assert!(out.contains("look alike; --wide"), "{out}");
        let mut t = Table::new(vec![Column::name("test"), Column::num("runs")]);
        t.row(vec!["a".into(), "1".into()]);
        t.row(vec![long("aaaaaaaaaaaa"), "2".into()]);
        assert!(!print(&t, &TableOptions::default()).contains("look alike"));
    }

    #[test]
    fn cuts_keep_both_ends_or_the_start() {
        assert_eq!(middle("abcdefghij", 5), "ab…ij");
        assert_eq!(middle("abcdefghij", 6), "ab…hij");
        assert_eq!(middle("abcdefghij", 10), "abcdefghij");
        assert_eq!(middle("héllo wörld", 4), "h…ld");
        assert_eq!(middle("abc", 1), "…");
        assert_eq!(middle("abc", 0), "");
        assert_eq!(end("abcdefghij", 5), "abcd…");
        assert_eq!(end("abc", 3), "abc");
        assert_eq!(end("abc", 0), "");
        // By columns on a terminal: wide characters take two, combining marks none.
        assert_eq!(end("名前テスト", 5), "名前…");
        assert_eq!(middle("名前テスト名前", 7), "名…前");
        assert_eq!(
            end("e\u{301}e\u{301}e\u{301}", 3),
            "e\u{301}e\u{301}e\u{301}"
        );
    }

    /// Cells are padded by the columns they take, so a row with wide or combining characters
    /// keeps the next column in line (pytest parameter ids, jest titles).
    #[test]
    fn wide_and_combining_characters_keep_columns_aligned() {
        let mut t = Table::new(vec![Column::name("test"), Column::num("runs")]);
        for name in ["plain_name", "名前テスト", "cafe\u{301}_ok", "emoji 😀 ok"] {
            t.row(vec![name.into(), "12".into()]);
        }
        let out = print(&t, &TableOptions::default());
        let ends: Vec<usize> = out.lines().map(cols).collect();
        assert!(ends.iter().all(|&e| e == ends[0]), "{out}\n{ends:?}");
    }

    #[test]
    fn cells_are_escaped_and_columns_aligned() {
        let out = print(
            &table("T::a\u{1b}]52;c;eA==\u{7}\u{202e}", "boom\nat line 2"),
            &TableOptions::default(),
        );
        assert_eq!(
            out,
            "verdict  test                            runs  note\n\
             flaky    T::a\\x1b]52;c;eA==\\x07\\u{202e}    12  boom\\nat line 2\n"
        );
    }

    /// No name length panics or makes a line wider than 100 columns; `--wide` keeps every cell
    /// whole, whatever its length.
    #[test]
    fn any_name_length_fits_or_prints_whole() {
        let mut lengths = vec![0, 1, 99, 100, 65_535, 65_536, 1 << 20];
        // A few more, from a fixed linear congruential sequence.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..5 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            lengths.push(usize::try_from(x >> 44).expect("20 bits fit a usize"));
        }
        for n in lengths {
            let name = "n".repeat(n);
            let message = "é".repeat(n);
            let t = table(&name, &message);
            let out = print(&t, &TableOptions::default());
            for line in out.lines() {
                assert!(line.chars().count() <= WIDTH, "length {n}: {line:.120}");
            }
            let wide = print(
                &t,
                &TableOptions {
                    wide: true,
                    ..Default::default()
                },
            );
            assert!(wide.contains(&name), "length {n}");
            assert!(wide.contains(&message), "length {n}");
        }
    }

    #[test]
    fn top_rows_then_how_many_more() {
        let mut t = Table::new(vec![Column::num("n")]);
        for k in 0..30 {
            t.row(vec![k.to_string()]);
        }
        let out = print(&t, &TableOptions::default());
        assert_eq!(out.lines().count(), 1 + DEFAULT_TOP + 1);
        assert!(
            out.ends_with("\n19\n… 10 more (use --top N or --wide)\n"),
            "{out}"
        );
        let out = print(
            &t,
            &TableOptions {
                top: Some(3),
                ..Default::default()
            },
        );
        assert_eq!(out, "n\n0\n1\n2\n… 27 more (use --top N or --wide)\n");
        let out = print(
            &t.clone().keep_last(),
            &TableOptions {
                top: Some(2),
                ..Default::default()
            },
        );
        assert_eq!(out, " n\n28\n29\n… 28 earlier (use --top N or --wide)\n");
        let wide = print(
            &t,
            &TableOptions {
                wide: true,
                ..Default::default()
            },
        );
        assert_eq!(wide.lines().count(), 31);
    }

    #[test]
    fn prose_wraps_at_spaces() {
        let opts = TableOptions::default();
        let mut out = Vec::new();
        let long = format!("{} {} end", "a".repeat(60), "b".repeat(60));
        write_line(&mut out, &opts, &long).expect("writing to a Vec cannot fail");
        write_line(&mut out, &opts, &"c".repeat(150)).expect("writing to a Vec cannot fail");
        let text = String::from_utf8(out).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "a".repeat(60));
        assert_eq!(lines[1], format!("  {} end", "b".repeat(60)));
        assert_eq!(lines[2], format!("{}…", "c".repeat(99)));
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn markdown_cells_are_capped_unless_wide() {
        let mut t = Table::new(vec![Column::name("test")]);
        t.row(vec!["<".repeat(100_000)]);
        let mut out = Vec::new();
        t.markdown(&mut out, &TableOptions::default())
            .expect("writing to a Vec cannot fail");
        assert!(out.len() < MARKDOWN_CELL_BYTES + 100, "{}", out.len());
        let mut wide = Vec::new();
        let opts = TableOptions {
            wide: true,
            ..TableOptions::default()
        };
        t.markdown(&mut wide, &opts)
            .expect("writing to a Vec cannot fail");
        assert!(wide.len() > 400_000, "{}", wide.len());
    }

    #[test]
    fn markdown_escapes_report_text_only() {
        let mut t = Table::new(vec![Column::name("test"), Column::num("share")]);
        t.row(vec!["@everyone ~~x~~ http://a.b".into(), "12.5%".into()]);
        let mut out = Vec::new();
        t.markdown(&mut out, &TableOptions::default())
            .expect("writing to a Vec cannot fail");
        assert_eq!(
            String::from_utf8(out).expect("UTF-8"),
            "| test | share |\n|---|---:|\n| &#64;\u{200b}everyone \\~\\~x\\~\\~ http\\://a\\.b | 12.5% |\n"
        );
    }
}

//! What a printed result can be written as, and the one place `--format` is dispatched: each
//! result implements [`Render`], and a command hands it to [`print`] with the format asked for.

use super::table::TableOptions;
use serde::Serialize;
use std::io::{self, Write};

/// The forms a result is written in; the command line offers each command the ones its result
/// has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Text tables for a terminal, within `--top` and `--wide`.
    Table,
    /// Pretty JSON, versioned by `schema_version`.
    Json,
    /// One line per row of the result's main list.
    Csv,
    /// GitHub-flavoured Markdown.
    Markdown,
}

/// A result as a person reads it (tables, Markdown) and as a program reads it (JSON, CSV).
pub(crate) trait Render {
    fn table(&self, opts: &TableOptions, out: &mut impl Write) -> io::Result<()>;

    fn json(&self, out: &mut impl Write) -> io::Result<()>;

    /// A result without a list to write as CSV (`stats`, `renames`) is never asked for one:
    /// the command line does not offer it.
    fn csv(&self, _out: &mut impl Write) -> io::Result<()> {
        Err(not_offered("csv"))
    }

    /// As for [`Render::csv`], a result without a Markdown form is never asked for one.
    fn markdown(&self, _opts: &TableOptions, _out: &mut impl Write) -> io::Result<()> {
        Err(not_offered("md"))
    }
}

fn not_offered(format: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("--format {format} is not offered for this result"),
    )
}

/// Writes `result` in `format` to `out`.
pub(crate) fn write(
    result: &impl Render,
    format: Format,
    opts: &TableOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    match format {
        Format::Table => result.table(opts, out),
        Format::Json => result.json(out),
        Format::Csv => result.csv(out),
        Format::Markdown => result.markdown(opts, out),
    }
}

/// Writes `result` in `format` to stdout, and flushes it.
pub(crate) fn print(result: &impl Render, format: Format, opts: &TableOptions) -> io::Result<()> {
    let mut out = io::stdout().lock();
    write(result, format, opts, &mut out)?;
    out.flush()
}

/// `value` as pretty JSON and a newline: the JSON form of every result.
pub(crate) fn json(value: &impl Serialize, out: &mut impl Write) -> io::Result<()> {
    let mut safe = crate::report::escape::JsonSafe::new(&mut *out);
    serde_json::to_writer_pretty(&mut safe, value)?;
    safe.flush()?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Count {
        n: usize,
    }

    impl Render for Count {
        fn table(&self, _opts: &TableOptions, out: &mut impl Write) -> io::Result<()> {
            writeln!(out, "n  {}", self.n)
        }

        fn json(&self, out: &mut impl Write) -> io::Result<()> {
            json(self, out)
        }
    }

    fn written(format: Format) -> io::Result<String> {
        let mut out = Vec::new();
        write(&Count { n: 3 }, format, &TableOptions::default(), &mut out)?;
        Ok(String::from_utf8(out).expect("UTF-8"))
    }

    #[test]
    fn each_format_goes_to_its_writer() {
        assert_eq!(written(Format::Table).expect("a table"), "n  3\n");
        assert_eq!(written(Format::Json).expect("JSON"), "{\n  \"n\": 3\n}\n");
        let err = written(Format::Csv).expect_err("no CSV form");
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    }
}

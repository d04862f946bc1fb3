//! report.json: the whole [`Report`](super::Report), versioned by `schema_version`
//! (docs/report-json.md).

use super::Report;
use std::io::{self, Write};

pub(crate) fn render(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let mut safe = super::escape::JsonSafe::new(&mut *out);
    serde_json::to_writer_pretty(&mut safe, report).map_err(io::Error::from)?;
    safe.flush()?;
    writeln!(out)
}

//! report.json: the whole [`Report`](super::Report), versioned by `schema_version`
//! (docs/report-json.md).

use super::Report;
use std::io::{self, Write};

pub(crate) fn render(report: &Report, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::from)?;
    writeln!(out)
}

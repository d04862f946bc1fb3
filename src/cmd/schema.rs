//! `testsift schema`: the stored tables and columns.

use crate::error::EXIT_OK;
use crate::store::schema::TABLES;
use std::io::Write;
use std::process::ExitCode;

pub(crate) fn run() -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for table in TABLES {
        writeln!(out, "{} ({}): {}", table.name, table.file, table.meaning)?;
        let width = table
            .columns
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0);
        let twidth = table
            .columns
            .iter()
            .map(|c| c.dtype.len())
            .max()
            .unwrap_or(0);
        for c in table.columns {
            writeln!(
                out,
                "  {:width$}  {:twidth$}  {}",
                c.name, c.dtype, c.meaning
            )?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "A `?` after a type means the column can be null. Each ingest adds one segment directory"
    )?;
    writeln!(
        out,
        "under STORE/segments/ holding these three Parquet files; STORE/manifest.json lists the"
    )?;
    writeln!(out, "committed segments.")?;
    Ok(ExitCode::from(EXIT_OK))
}

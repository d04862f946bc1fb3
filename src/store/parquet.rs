//! Parquet files written column by column with an encoding chosen per column.
//!
//! polars' writer asks for a dictionary on every column and then, column by column, estimates
//! its cardinality and builds a hash table before giving up on the ones where a dictionary does
//! not pay. On ingest that was about a tenth of all the work, spent on columns such as test
//! keys and durations whose values hardly repeat within a batch. Here the store says which
//! columns get a dictionary; the rest are written plain and left to the compressor. The files
//! are the same kind of Parquet (arrow schema in the footer, null counts, min/max statistics
//! where the caller asks), compressed with LZ4.

use polars::prelude::*;
use polars_parquet::read::ParquetError;
use polars_parquet::write::{
    CompressedPage, CompressionOptions, Compressor, DynIter, DynStreamingIterator, Encoding,
    FileWriter, KeyValue, ParquetType, StatisticsOptions, Version, WriteOptions, array_to_columns,
    fallible_streaming_iterator, schema_to_metadata_key, to_parquet_schema,
};
use std::fs::File;
use std::io::{BufWriter, Write};

/// One Parquet file being written, a row group per [`ParquetFile::write`].
pub(crate) struct ParquetFile {
    /// Buffered: the writer issues many small writes (page headers, statistics, footer).
    writer: FileWriter<BufWriter<File>>,
    fields: Vec<ParquetType>,
    encodings: Vec<Vec<Encoding>>,
    options: WriteOptions,
    /// The arrow schema written in the footer: the oldest arrow types (large strings rather
    /// than string views), which pyarrow and the engines built on it can filter and join;
    /// polars reads either back as its own strings.
    footer: KeyValue,
}

impl ParquetFile {
    /// Starts a file with `schema`'s columns; those named in `dictionary` are dictionary
    /// encoded (where their values allow it), the others plain. With `min_max`, each column
    /// chunk records its smallest and largest value (null counts are always kept).
    pub(crate) fn create(
        file: File,
        schema: &Schema,
        dictionary: &[&str],
        min_max: bool,
    ) -> PolarsResult<Self> {
        let arrow = schema.to_arrow(CompatLevel::newest());
        let fields = to_parquet_schema(&arrow)?.fields().to_vec();
        let encodings: Vec<Vec<Encoding>> = schema
            .iter_names()
            .map(|name| {
                if dictionary.contains(&name.as_str()) {
                    vec![Encoding::RleDictionary]
                } else {
                    vec![Encoding::Plain]
                }
            })
            .collect();
        let footer = schema_to_metadata_key(&schema.to_arrow(CompatLevel::oldest()));
        let options = WriteOptions {
            statistics: StatisticsOptions {
                min_value: min_max,
                max_value: min_max,
                ..StatisticsOptions::default()
            },
            // LZ4 (Parquet's LZ4_RAW codec): fewer instructions than zstd at its fastest
            // level, for a somewhat larger store (docs/benchmarks.md, "Store size").
            compression: CompressionOptions::Lz4Raw,
            version: Version::V1,
            data_page_size: None,
        };
        Ok(Self {
            writer: FileWriter::try_new(BufWriter::with_capacity(1 << 20, file), arrow, options)?,
            fields,
            encodings,
            options,
            footer,
        })
    }

    /// Appends `df` (whose columns are the file's, in order) as row groups.
    pub(crate) fn write(&mut self, df: &DataFrame) -> PolarsResult<()> {
        if df.width() != self.fields.len() {
            polars_bail!(ShapeMismatch: "{} columns given for a file of {}", df.width(), self.fields.len());
        }
        let mut df = df.clone();
        if df.should_rechunk() {
            df.align_chunks();
        }
        for batch in df.iter_chunks(CompatLevel::newest(), false) {
            let rows = batch.len();
            if rows == 0 {
                continue;
            }
            // Encoded and compressed here, on the writer's thread, column by column: its pages
            // are freed by the thread that made them, so the allocator takes the same memory
            // again for the next piece. Encoded on rayon's threads and freed here, each piece
            // of a run of a million new tests took fresh memory (docs/reliability.md), and on
            // two cores the parse of the next batch keeps the other core busy anyway (the
            // ingest benchmark's time did not change).
            let options = self.options;
            let columns: Vec<Vec<Vec<CompressedPage>>> = batch
                .into_arrays()
                .into_iter()
                .zip(self.fields.iter())
                .zip(self.encodings.iter())
                .map(|((array, field), encoding)| {
                    array_to_columns(array, field.clone(), options, encoding)?
                        .into_iter()
                        .map(|pages| {
                            let pages = pages
                                .map(|p| p.map_err(|e| ParquetError::OutOfSpec(e.to_string())));
                            Compressor::new(pages, options.compression, Vec::new())
                                .collect::<Result<Vec<_>, _>>()
                                .map_err(PolarsError::from)
                        })
                        .collect()
                })
                .collect::<PolarsResult<_>>()?;
            let group = DynIter::new(columns.iter().flatten().map(|pages| {
                Ok(DynStreamingIterator::new(
                    fallible_streaming_iterator::convert(pages.iter().map(Ok)),
                ))
            }));
            self.writer.write(rows as u64, group)?;
        }
        Ok(())
    }

    /// Writes the footer (with the arrow schema, so readers get the same types back).
    pub(crate) fn finish(mut self) -> PolarsResult<u64> {
        let size = self.writer.end(Some(vec![self.footer.clone()]))?;
        self.writer.into_inner().flush()?;
        Ok(size)
    }

    /// Writes all of `df` as one file, every column offered a dictionary (as polars does).
    pub(crate) fn write_all(file: File, df: &DataFrame) -> PolarsResult<u64> {
        let names: Vec<&str> = df
            .get_column_names()
            .into_iter()
            .map(|n| n.as_str())
            .collect();
        let mut out = Self::create(file, df.schema(), &names, true)?;
        out.write(df)?;
        out.finish()
    }
}

//! How columns are laid out in the Parquet files, per segment format, and the conversion to
//! and from the types testsift works with.
//!
//! Format 3 stores the xxh3-64 keys (`run_key`, `test`, `report_key`) as signed 64-bit integers
//! with the same bits, and the failure `fingerprint` as 16 hex digits: engines that read
//! unsigned 64-bit Parquet columns filter and join them wrongly or not at all (pyarrow), and
//! pandas turns a nullable 64-bit integer column into floats (losing every bit past 2^53).
//! Format 2 stored all four as unsigned 64-bit integers. In memory they are `u64` whatever the
//! format, so analyses never see the difference.

use super::schema::{FINGERPRINT, REPORT_KEY, RUN_KEY, TEST};
use polars::prelude::*;

/// Columns holding an xxh3-64 key.
const KEYS: &[&str] = &[RUN_KEY, TEST, REPORT_KEY];

/// The on-disk schema of a file whose in-memory schema is `schema`.
pub(super) fn stored_schema(schema: &Schema) -> Schema {
    schema
        .iter()
        .map(|(name, dtype)| {
            let dtype = if KEYS.contains(&name.as_str()) {
                DataType::Int64
            } else if name.as_str() == FINGERPRINT {
                DataType::String
            } else {
                dtype.clone()
            };
            Field::new(name.clone(), dtype)
        })
        .collect()
}

/// `df` in the layout of format 3 (columns not named above pass unchanged).
pub(super) fn to_stored(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut df = df.clone();
    for name in KEYS {
        if let Ok(c) = df.column(name)
            && c.dtype() == &DataType::UInt64
        {
            let signed = reinterpret(c.as_materialized_series(), &DataType::Int64)?;
            df.replace(name, signed.into_column())?;
        }
    }
    if let Ok(c) = df.column(FINGERPRINT)
        && c.dtype() == &DataType::UInt64
    {
        let hex: StringChunked = c
            .u64()?
            .iter()
            .map(|v| v.map(|v| format!("{v:016x}")))
            .collect();
        df.replace(FINGERPRINT, hex.with_name(FINGERPRINT.into()).into_column())?;
    }
    Ok(df)
}

/// The expressions that turn a file of segment `format` with columns `names` back into the
/// in-memory types; empty when nothing needs converting.
pub(super) fn from_stored(format: u32, names: &[PlSmallStr]) -> Vec<Expr> {
    if format < 3 {
        return vec![];
    }
    let mut exprs = Vec::new();
    for name in names {
        if KEYS.contains(&name.as_str()) {
            exprs.push(col(name.clone()).map(
                |c| Ok(reinterpret(c.as_materialized_series(), &DataType::UInt64)?.into_column()),
                |_, f| Ok(Field::new(f.name().clone(), DataType::UInt64)),
            ));
        } else if name.as_str() == FINGERPRINT {
            exprs.push(col(name.clone()).map(
                |c| {
                    let parsed: UInt64Chunked = c
                        .str()?
                        .iter()
                        .map(|v| v.and_then(|v| u64::from_str_radix(v, 16).ok()))
                        .collect();
                    Ok(parsed.with_name(c.name().clone()).into_column())
                },
                |_, f| Ok(Field::new(f.name().clone(), DataType::UInt64)),
            ));
        }
    }
    exprs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_fingerprints_round_trip_with_every_bit() {
        let big = u64::MAX - 5;
        let df = df!(
            RUN_KEY => [big, 1],
            FINGERPRINT => [Some(big), None],
            "other" => [7u64, 8],
        )
        .expect("a valid frame");
        let stored = to_stored(&df).expect("converts");
        assert_eq!(
            stored.column(RUN_KEY).expect("in the frame").dtype(),
            &DataType::Int64
        );
        assert_eq!(
            stored
                .column(RUN_KEY)
                .expect("in the frame")
                .i64()
                .expect("in the frame")
                .get(0),
            Some(-6)
        );
        assert_eq!(
            stored
                .column(FINGERPRINT)
                .expect("in the frame")
                .str()
                .expect("in the frame")
                .get(0),
            Some("fffffffffffffffa")
        );
        assert_eq!(
            stored.column("other").expect("in the frame").dtype(),
            &DataType::UInt64
        );
        let names: Vec<PlSmallStr> = stored.get_column_names_owned();
        let back = stored
            .lazy()
            .with_columns(from_stored(3, &names))
            .collect()
            .expect("converts back");
        assert_eq!(back, df);
    }
}

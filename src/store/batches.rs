//! Reading the stored executions a batch at a time on Polars' streaming engine, for the
//! readers that go through every row (the window every analysis reads, and `stats`): the
//! whole table is never collected, and each batch's columns are read as Arrow arrays.

use polars::prelude::*;
use polars_arrow::array::PrimitiveArray;
use polars_arrow::types::NativeType;

/// Runs `query` on polars' streaming engine and hands its rows to `each` a batch at a time, in
/// order (a batch is a row group or less, one Arrow array per column), so that the whole table
/// is never held at once: at most two batches are in memory beside what `each` keeps. An error
/// from `each` stops the query.
pub(crate) fn for_each_batch(
    query: LazyFrame,
    batch_rows: Option<std::num::NonZeroUsize>,
    mut each: impl FnMut(DataFrame) -> PolarsResult<()>,
) -> PolarsResult<()> {
    let (send, receive) = std::sync::mpsc::sync_channel::<DataFrame>(1);
    // The callback says "stop" once the receiving side has gone.
    let sink = query.sink_batches(
        PlanCallback::new(move |df: DataFrame| Ok(send.send(df).is_err())),
        true,
        batch_rows,
    )?;
    std::thread::scope(|scope| {
        let runner = scope.spawn(move || sink.collect_with_engine(Engine::Streaming));
        let mut outcome = Ok(());
        while let Ok(df) = receive.recv() {
            outcome = each(df);
            if outcome.is_err() {
                break;
            }
        }
        drop(receive);
        let ran = runner
            .join()
            .unwrap_or_else(|_| Err(polars_err!(ComputeError: "the query's thread panicked")));
        outcome.and(ran.map(|_| ()))
    })
}

/// Column `name` of a batch [`for_each_batch`] handed out, as one Arrow array of `T` (the
/// batch rechunked first), with its length checked against the batch's.
pub(crate) fn column<T: NativeType>(
    batch: &DataFrame,
    name: &str,
) -> PolarsResult<PrimitiveArray<T>> {
    let c = batch.column(name)?.as_materialized_series();
    let array = c
        .chunks()
        .first()
        .cloned()
        .unwrap_or_else(|| c.to_arrow(0, CompatLevel::newest()));
    let Some(array) = array.as_any().downcast_ref::<PrimitiveArray<T>>() else {
        polars_bail!(SchemaMismatch: "the executions' column {name} has an unexpected type");
    };
    polars_ensure!(
        c.n_chunks() <= 1 && array.len() == batch.height(),
        ShapeMismatch: "the executions' columns are not cut alike"
    );
    Ok(array.clone())
}

//! Parquet exports, read as arrow record batches of only the columns Nagare reads (a FOCUS
//! 1.2 export has some 60 columns, of which about 20 are read): the file's schema says what
//! the file is, then the reader decodes just those columns, a batch at a time.

use super::arrow_cells::{readable, Col, Row};
use super::{schema, Ctx, Rejected};
use crate::cost::CostLine;
use arrow_array::RecordBatchReader as _;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;

/// Rows per record batch: large enough that the per-batch work (finding each column's type)
/// does not count, small enough to stay in cache.
const BATCH_ROWS: usize = 8192;

fn corrupt(e: impl std::fmt::Display) -> String {
    format!(
        "not a readable Parquet file ({e}); it may be truncated or still being written: \
         download it again"
    )
}

/// Reads a Parquet file into `ctx`, calling `each` per good row.
pub(super) fn read(
    ctx: &mut Ctx,
    data: bytes::Bytes,
    each: &mut dyn FnMut(&CostLine),
) -> Result<(), Rejected> {
    let builder = match ParquetRecordBatchReaderBuilder::try_new(data) {
        Ok(b) => b,
        Err(e) => return Err(ctx.reject(corrupt(e))),
    };
    let full = builder.schema().clone();
    let names: Vec<String> = full.fields().iter().map(|f| f.name().clone()).collect();
    let keep = |i: usize| {
        full.fields()
            .get(i)
            .is_some_and(|f| readable(f.data_type()))
    };
    let whole = match schema::detect(&names, &keep) {
        Ok(f) => f,
        Err(m) => return Err(ctx.reject(m)),
    };
    let mask = ProjectionMask::roots(builder.parquet_schema(), whole.used());
    let reader = match builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
    {
        Ok(r) => r,
        Err(e) => return Err(ctx.reject(corrupt(e))),
    };
    // The projected batches hold the columns read, in the file's order: where each column
    // sits is found again from their names.
    let projected = reader.schema();
    let names: Vec<String> = projected
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let format = ctx.detect(names, &keep_projected(&projected))?;
    // The version is told by columns that are not read: it is the whole file's.
    ctx.format = whole.name();
    let mut line = CostLine::default();
    let mut row = 0u64;
    for batch in reader {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                let why = format!("after data row {row}: {}", corrupt(e));
                return Err(ctx.reject(why));
            }
        };
        let cols: Vec<Col<'_>> = batch
            .columns()
            .iter()
            .map(|a| Col::new(a.as_ref()))
            .collect();
        for r in 0..batch.num_rows() {
            row += 1;
            ctx.row(
                row,
                &format,
                &Row {
                    cols: &cols,
                    row: r,
                },
                &mut line,
                each,
            )?;
        }
    }
    Ok(())
}

fn keep_projected(schema: &arrow_schema::SchemaRef) -> impl Fn(usize) -> bool + '_ {
    move |i| {
        schema
            .fields()
            .get(i)
            .is_some_and(|f| readable(f.data_type()))
    }
}

//! Helpers shared by the cost format tests: reading a file whole, writing Parquet and CSV.gz
//! the way AWS Data Exports do, and comparing sums.

use arrow_array::{ArrayRef, RecordBatch};
use bytes::Bytes;
use nagare_server::config::CostConfig;
use nagare_server::cost::aggregate::Aggregator;
use nagare_server::cost::read::{read_file, FileRead, Rejected};
use nagare_server::cost::{CostLine, DailyCost};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::Write;

/// Every good line of a file, and what `read_file` said.
pub fn read_lines(
    name: &str,
    data: impl Into<Bytes>,
    max_bad: u64,
) -> Result<(FileRead, Vec<CostLine>), Rejected> {
    let mut lines = Vec::new();
    let read = read_file(name, data.into(), max_bad, &mut |l| lines.push(l.clone()))?;
    Ok((read, lines))
}

/// The daily rows of `lines` under `cfg`.
pub fn aggregate(lines: &[CostLine], cfg: &CostConfig) -> Vec<DailyCost> {
    let mut a = Aggregator::new(cfg);
    for l in lines {
        a.add(l);
    }
    assert_eq!(a.rows(), lines.len() as u64);
    a.finish()
}

/// A Parquet file of one record batch of these columns, snappy-compressed as AWS writes it.
pub fn parquet(columns: Vec<(&str, ArrayRef)>) -> Vec<u8> {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

/// A CSV of a header and rows, gzip-compressed.
pub fn csv_gz(header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    gzip(&csv(header, rows))
}

pub fn csv(header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.into_inner().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// `a` and `b` equal within 1e-9 of the larger (plus 1e-15 for totals that are zero).
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) + 1e-15
}

/// Epoch ms of `YYYY-MM-DDTHH:MM:SSZ`, by chrono (not Nagare's parser).
pub fn ms(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .timestamp_millis()
}

//! CSV and CSV.gz exports: the header names the columns; each record is read as bytes (the
//! `csv` crate's `ByteRecord`, reused) and only the cells Nagare reads are checked as UTF-8
//! and parsed.

use super::value::{is_null_text, json_entries, parse_number, parse_time_cell};
use super::{Cells, Ctx, Rejected};
use crate::cost::CostLine;
use std::io::Read;

/// One CSV record's cells.
struct Record<'a>(&'a csv::ByteRecord);

impl Cells for Record<'_> {
    fn text(&self, i: usize) -> Result<Option<&str>, String> {
        let bytes = self.0.get(i).unwrap_or_default();
        let s = std::str::from_utf8(bytes).map_err(|e| {
            format!(
                "not UTF-8 text (byte {}); export the file as UTF-8",
                e.valid_up_to()
            )
        })?;
        Ok((!is_null_text(s)).then_some(s))
    }

    fn number(&self, i: usize) -> Result<Option<f64>, String> {
        self.text(i)?.map(parse_number).transpose()
    }

    fn time(&self, i: usize) -> Result<Option<i64>, String> {
        self.text(i)?.map(parse_time_cell).transpose()
    }

    fn entries(&self, i: usize, f: &mut dyn FnMut(String, String)) -> Result<(), String> {
        match self.text(i)? {
            Some(s) => json_entries(s, f),
            None => Ok(()),
        }
    }

    fn tag_text(&self, i: usize, out: &mut String) -> Result<bool, String> {
        out.clear();
        match self.text(i)? {
            Some(s) => {
                out.push_str(s);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Reads a CSV (already gunzipped when it was gzip) into `ctx`, calling `each` per good row.
pub(super) fn read(
    ctx: &mut Ctx,
    input: impl Read,
    each: &mut dyn FnMut(&CostLine),
) -> Result<(), Rejected> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(input);
    let header = match rdr.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(ctx.reject(unreadable(&e))),
    };
    if header.is_empty() {
        return Err(ctx.reject(
            "empty: no header row. An export file starts with a row of column names".into(),
        ));
    }
    let mut names = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        match std::str::from_utf8(h) {
            Ok(s) => names.push(s.trim_start_matches('\u{feff}').trim().to_owned()),
            Err(_) => {
                return Err(ctx.reject(format!(
                    "the header's column {} is not UTF-8 text; export the file as UTF-8",
                    i + 1
                )))
            }
        }
    }
    let width = names.len();
    let format = ctx.detect(names, &|_| true)?;
    let mut rec = csv::ByteRecord::new();
    let mut line = CostLine::default();
    let mut row = 0u64;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let why = format!("unreadable after data row {row}: {}", unreadable(&e));
                return Err(ctx.reject(why));
            }
        }
        row += 1;
        if rec.len() != width {
            ctx.bad(
                row,
                String::new(),
                format!("{} fields where the header has {width}", rec.len()),
            )?;
            continue;
        }
        ctx.row(row, &format, &Record(&rec), &mut line, each)?;
    }
    Ok(())
}

fn unreadable(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => format!(
            "cannot be read ({io}); a .gz file may be truncated or not gzip: download it again"
        ),
        _ => format!("not a CSV file ({e})"),
    }
}

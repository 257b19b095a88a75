//! One export file's rows as [`CostLine`]s (issue 13, docs/cost.md).
//!
//! - **Encoding**, by content: Parquet (magic `PAR1`), gzip (magic `1f 8b`, a CSV inside),
//!   else CSV (UTF-8, an optional byte-order mark).
//! - **Format**, by column names, never positions (`schema`): FOCUS 1.0–1.3 (AWS's "with AWS
//!   columns" variants included, every `x_` column read into the tags) or CUR 2.0.
//! - **Rows**: `focus` and `cur` fill one reused [`CostLine`] through `Cells`, which the
//!   CSV reader (`csv_file`, the `csv` crate's byte records, cells by header index) and the
//!   Parquet reader (`parquet_file`, arrow record batches of only the columns read, their
//!   cells read by `arrow_cells`) both provide.
//! - **Bad rows** (a number or timestamp that does not parse in a column that matters, a charge
//!   period that ends before it starts or lasts more than 366 days, a billing period that
//!   cannot be told) are skipped and reported with file, row and column; past `max_bad` of
//!   them the file is [`Rejected`] whole, and the caller stores nothing of it.

mod arrow_cells;
mod csv_file;
mod cur;
mod focus;
mod parquet_file;
mod schema;
mod value;

use super::{CostLine, Problem};
use nagare_core::time::DAY_MS;

/// What a file was read as, and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRead {
    /// `focus-1.0` … `focus-1.3`, `cur-2.0`.
    pub format: String,
    /// Good rows, each passed to the caller.
    pub rows: u64,
    /// The rows skipped (at most `max_bad` of them), in file order.
    pub skipped: Vec<Problem>,
}

/// The file was refused whole: too many bad rows (more than `max_bad`), or unreadable, or
/// not an export Nagare knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// First a problem of the whole file (row 0) saying why, then the first bad rows (at most
    /// [`REJECTED_ROWS_SHOWN`]).
    pub problems: Vec<Problem>,
}

/// How many bad rows a [`Rejected`] lists.
pub const REJECTED_ROWS_SHOWN: usize = 20;

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejected {}

/// Reads one file (`name` is for messages, and gives the billing period of rows without one
/// when it is a Data Exports path, `…/BILLING_PERIOD=YYYY-MM/…`), calling `each` per good row.
/// The line passed is reused from row to row: copy what is kept. When this returns
/// `Err`, whatever `each` was given must be dropped.
pub fn read_file(
    name: &str,
    data: bytes::Bytes,
    max_bad: u64,
    each: &mut dyn FnMut(&CostLine),
) -> Result<FileRead, Rejected> {
    let mut ctx = Ctx::new(name, max_bad);
    if data.starts_with(b"PAR1") {
        parquet_file::read(&mut ctx, data, each)?;
    } else if data.starts_with(&[0x1f, 0x8b]) {
        csv_file::read(&mut ctx, flate2::read::MultiGzDecoder::new(&data[..]), each)?;
    } else {
        csv_file::read(&mut ctx, &data[..], each)?;
    }
    Ok(FileRead {
        format: ctx.format,
        rows: ctx.rows,
        skipped: ctx.skipped,
    })
}

/// A cell that cannot be used, and why; `col` is the file's column index, `None` for the row
/// as a whole.
#[derive(Debug)]
pub(super) struct Bad {
    pub col: Option<usize>,
    pub message: String,
}

impl Bad {
    fn at(col: usize) -> impl FnOnce(String) -> Bad {
        move |message| Bad {
            col: Some(col),
            message,
        }
    }
}

/// One row's cells by the file's column index: a CSV record or a Parquet row alike. Null
/// cells (a Parquet null, an empty or `NULL` text) are `None`.
pub(super) trait Cells {
    fn text(&self, i: usize) -> Result<Option<&str>, String>;
    fn number(&self, i: usize) -> Result<Option<f64>, String>;
    /// Epoch milliseconds.
    fn time(&self, i: usize) -> Result<Option<i64>, String>;
    /// Each entry of a key/value cell (a Parquet MAP, or a JSON object as text), values as text.
    fn entries(&self, i: usize, f: &mut dyn FnMut(String, String)) -> Result<(), String>;
    /// The cell as a tag's value (maps as JSON object text) into `out`; `false` when null.
    fn tag_text(&self, i: usize, out: &mut String) -> Result<bool, String>;
}

/// Copies the text of column `col` (if the file has it) into `dst`; `false` when null or
/// absent.
fn set_text(cells: &impl Cells, col: Option<usize>, dst: &mut String) -> Result<bool, Bad> {
    dst.clear();
    let Some(i) = col else { return Ok(false) };
    match cells.text(i).map_err(Bad::at(i))? {
        Some(s) => {
            dst.push_str(s);
            Ok(true)
        }
        None => Ok(false),
    }
}

fn opt_number(cells: &impl Cells, col: Option<usize>) -> Result<Option<f64>, Bad> {
    match col {
        Some(i) => cells.number(i).map_err(Bad::at(i)),
        None => Ok(None),
    }
}

fn req_number(cells: &impl Cells, i: usize, name: &str) -> Result<f64, Bad> {
    cells.number(i).map_err(Bad::at(i))?.ok_or_else(|| Bad {
        col: Some(i),
        message: format!("empty; {name} must be a number for every row"),
    })
}

fn opt_time(cells: &impl Cells, col: Option<usize>) -> Result<Option<i64>, Bad> {
    match col {
        Some(i) => cells.time(i).map_err(Bad::at(i)),
        None => Ok(None),
    }
}

/// The charge period `[start, end)` of a row, checked: both given, end after start, at most
/// 366 days long (a longer one is a broken row, not a charge to spread over a year).
fn charge_period(
    cells: &impl Cells,
    (start, start_name): (usize, &str),
    (end, end_name): (usize, &str),
) -> Result<(i64, i64), Bad> {
    let empty = |i: usize, name: &str| Bad {
        col: Some(i),
        message: format!("empty; {name} must be a timestamp for every row"),
    };
    let s = cells
        .time(start)
        .map_err(Bad::at(start))?
        .ok_or_else(|| empty(start, start_name))?;
    let e = cells
        .time(end)
        .map_err(Bad::at(end))?
        .ok_or_else(|| empty(end, end_name))?;
    if e <= s {
        return Err(Bad {
            col: Some(end),
            message: format!("the charge period ends before it starts ({end_name} ≤ {start_name})"),
        });
    }
    if e - s > 366 * DAY_MS {
        return Err(Bad {
            col: Some(end),
            message: format!(
                "a charge period of {} days; more than 366 is not a charge period",
                (e - s) / DAY_MS
            ),
        });
    }
    Ok((s, e))
}

/// A file being read: its name, what it was read as, its good rows and its bad ones.
pub(super) struct Ctx {
    file: String,
    max_bad: u64,
    format: String,
    rows: u64,
    skipped: Vec<Problem>,
    periods: value::Periods,
    /// The file's column names, for problems.
    names: Vec<String>,
}

impl Ctx {
    fn new(file: &str, max_bad: u64) -> Ctx {
        Ctx {
            file: file.to_owned(),
            max_bad,
            format: String::new(),
            rows: 0,
            skipped: Vec::new(),
            periods: value::Periods::new(file),
            names: Vec::new(),
        }
    }

    /// What the file is, from its column names: or the file refused, naming what was expected.
    fn detect(
        &mut self,
        names: Vec<String>,
        keep_extra: &dyn Fn(usize) -> bool,
    ) -> Result<schema::Format, Rejected> {
        let format = schema::detect(&names, keep_extra).map_err(|m| self.reject(m))?;
        self.format = format.name();
        self.names = names;
        Ok(format)
    }

    /// Fills `line` from a row and passes it on, or records the row as bad (and refuses the
    /// file past `max_bad`).
    fn row(
        &mut self,
        row: u64,
        format: &schema::Format,
        cells: &impl Cells,
        line: &mut CostLine,
        each: &mut dyn FnMut(&CostLine),
    ) -> Result<(), Rejected> {
        let filled = match format {
            schema::Format::Focus { cols, .. } => focus::fill(cols, cells, &mut self.periods, line),
            schema::Format::Cur(cols) => cur::fill(cols, cells, &mut self.periods, line),
        };
        match filled {
            Ok(()) => {
                self.rows += 1;
                each(line);
                Ok(())
            }
            Err(bad) => {
                let column = bad
                    .col
                    .and_then(|i| self.names.get(i).cloned())
                    .unwrap_or_default();
                self.bad(row, column, bad.message)
            }
        }
    }

    /// A bad row: skipped, or the file refused once there are more than `max_bad`.
    fn bad(&mut self, row: u64, column: String, message: String) -> Result<(), Rejected> {
        self.skipped.push(Problem {
            file: self.file.clone(),
            row,
            column,
            message,
        });
        if self.skipped.len() as u64 > self.max_bad {
            let why = format!(
                "refused whole: more than {} bad rows (max_bad_rows); nothing of it is stored. \
                 Fix the rows listed, or raise cost.max_bad_rows",
                self.max_bad
            );
            return Err(self.reject(why));
        }
        Ok(())
    }

    /// The file refused, for `why`, with the first bad rows.
    fn reject(&mut self, why: String) -> Rejected {
        let mut problems = vec![Problem {
            file: self.file.clone(),
            row: 0,
            column: String::new(),
            message: why,
        }];
        problems.extend(self.skipped.drain(..).take(REJECTED_ROWS_SHOWN));
        Rejected { problems }
    }
}

//! The cost targets of docs/PERFORMANCE.md (issue 13). Ingest: `--rows` synthetic FOCUS 1.2
//! rows (default 1 000 000) read from Parquet and from CSV.gz into daily rows, best of three
//! (`nagare-cost-bench/ingest.rs`; the rows from `nagare-cost-bench/generate.rs`).
//!
//! Prints a table on stderr and one JSON object on stdout.
//!
//! Usage: nagare-cost-bench [--rows 1000000]

use std::process::ExitCode;

#[path = "nagare-cost-bench/generate.rs"]
mod generate;
#[path = "nagare-cost-bench/ingest.rs"]
mod ingest;

struct Args {
    rows: usize,
}

fn args() -> Result<Args, String> {
    let mut a = Args { rows: 1_000_000 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--rows" => {
                let v = it.next().ok_or("--rows needs a number of rows")?;
                a.rows = v
                    .replace('_', "")
                    .parse()
                    .map_err(|_| format!("--rows {v}: not a whole number"))?;
            }
            "-h" | "--help" => return Err("usage: nagare-cost-bench [--rows 1000000]".into()),
            other => {
                return Err(format!(
                    "unknown argument {other}; usage: nagare-cost-bench [--rows N]"
                ))
            }
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match ingest::run(a.rows) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nagare-cost-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

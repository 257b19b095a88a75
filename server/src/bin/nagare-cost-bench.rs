//! The cost targets of docs/PERFORMANCE.md (issue 13):
//!
//! 1. Ingest: `--rows` synthetic FOCUS 1.2 rows (default 1 000 000) read from Parquet and from
//!    CSV.gz into daily rows, best of three (`nagare-cost-bench/ingest.rs`; the rows from
//!    `nagare-cost-bench/generate.rs`). Target: Parquet ≥ 200k rows/s; CSV.gz reported.
//! 2. The API: `--services` services (default 200) × `--days` days (default 730) of daily cost
//!    stored in SQLite, each endpoint asked `--asks` times through the app
//!    (`nagare-cost-bench/api.rs`). Target: p95 ≤ 20 ms.
//!
//! Prints tables on stderr and one JSON object per part on stdout.
//!
//! Usage: nagare-cost-bench [--rows 1000000] [--services 200] [--days 730] [--asks 200]
//!        [--only ingest|api]

use std::process::ExitCode;

#[path = "nagare-cost-bench/api.rs"]
mod api;
#[path = "nagare-cost-bench/generate.rs"]
mod generate;
#[path = "nagare-cost-bench/ingest.rs"]
mod ingest;

struct Args {
    rows: usize,
    services: usize,
    days: i32,
    asks: usize,
    only: Option<String>,
}

const USAGE: &str = "usage: nagare-cost-bench [--rows 1000000] [--services 200] [--days 730] [--asks 200] [--only ingest|api]";

fn number<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
    let v = v.ok_or(format!("{flag} needs a number"))?;
    v.replace('_', "")
        .parse()
        .map_err(|_| format!("{flag} {v}: not a whole number"))
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        rows: 1_000_000,
        services: 200,
        days: 730,
        asks: 200,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--rows" => a.rows = number(&flag, it.next())?,
            "--services" => a.services = number(&flag, it.next())?,
            "--days" => a.days = number(&flag, it.next())?,
            "--asks" => a.asks = number::<usize>(&flag, it.next())?.max(1),
            "--only" => match it.next().as_deref() {
                Some(p @ ("ingest" | "api")) => a.only = Some(p.to_owned()),
                _ => return Err(format!("--only takes ingest or api; {USAGE}")),
            },
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}; {USAGE}")),
        }
    }
    Ok(a)
}

fn table(r: &serde_json::Value) -> String {
    let mut t = format!(
        "cost API: {} services × {} days = {} daily rows (stored in {} s; first read {} ms)\n\
         | endpoint | p50 / p95 / max (ms) | n |\n|---|---|---|\n",
        r["services"], r["days"], r["daily_rows"], r["store_secs"], r["first_read_ms"]
    );
    for e in r["endpoints"].as_array().into_iter().flatten() {
        t += &format!(
            "| `{}` | {} / {} / {} | {} |\n",
            e["uri"].as_str().unwrap_or_default(),
            e["p50_ms"],
            e["p95_ms"],
            e["max_ms"],
            e["n"]
        );
    }
    t
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if a.only.as_deref() != Some("api") {
        if let Err(e) = ingest::run(a.rows) {
            eprintln!("nagare-cost-bench: {e:#}");
            return ExitCode::FAILURE;
        }
    }
    if a.only.as_deref() != Some("ingest") {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                eprintln!("nagare-cost-bench: {e}");
                return ExitCode::FAILURE;
            }
        };
        match runtime.block_on(api::run(a.services, a.days, a.asks)) {
            Ok(r) => {
                eprint!("{}", table(&r));
                println!("{r}");
            }
            Err(e) => {
                eprintln!("nagare-cost-bench: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

//! Writes the synthetic organisation of `make bench` as NDJSON (see docs/PERFORMANCE.md).
//! Usage: nagare-bench FILE [--scale F] [--seed N]   (scale 1.0 = 100k deployments, 1M commits,
//! 50k pull requests, 10k incidents)

use nagare_core::demo::{synthetic, SynthSpec};
use nagare_core::Timestamp;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nagare-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = args
        .first()
        .ok_or("usage: nagare-bench FILE [--scale F] [--seed N]")?;
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let scale: f64 = flag("--scale")
        .map(|s| s.parse().map_err(|_| format!("bad --scale {s}")))
        .transpose()?
        .unwrap_or(1.0);
    let seed: u64 = flag("--seed")
        .map(|s| s.parse().map_err(|_| format!("bad --seed {s}")))
        .transpose()?
        .unwrap_or(7);
    let spec = SynthSpec::bench_scaled(scale);
    // A fixed end, so every run writes the same file; the bench queries the year before it.
    let end = Timestamp::parse("2026-01-01T00:00:00Z").map_err(|e| e.to_string())?;
    let out = std::fs::File::create(file).map_err(|e| format!("cannot create {file}: {e}"))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    let mut n = 0u64;
    for event in synthetic(&spec, seed, end) {
        serde_json::to_writer(&mut out, &event).map_err(|e| e.to_string())?;
        out.write_all(b"\n").map_err(|e| e.to_string())?;
        n += 1;
    }
    out.flush().map_err(|e| e.to_string())?;
    println!("{n}");
    Ok(())
}

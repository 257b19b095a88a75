//! The pipelines and value-stream targets of docs/PERFORMANCE.md (issue 10), in process: the
//! bench organisation (`nagare-bench`'s, at `--scale`) with `--runs` pipeline run attempts on
//! top (CI on each pull request's merge commit among them), held in the model the server
//! keeps; then the runs list with each filter, the workflows, the flaky jobs and the value
//! stream, each asked 200 times (p50 / p95 ms), and the resident memory the runs add. Prints
//! one JSON object.
//!
//! Usage: nagare-pipelines-bench [--scale F] [--runs N] [--seed N]

use nagare_core::api::Interval;
use nagare_core::demo::{synthetic, synthetic_merge_ci, synthetic_runs, SynthSpec};
use nagare_core::model::{Org, Settings};
use nagare_core::pipelines::{Outcome, Trigger};
use nagare_core::query::{PipelineRunQuery, PipelineWindowParams, ValueStreamParams};
use nagare_core::valuestream::ChainName;
use nagare_core::{Event, Timestamp};
use nagare_server::state::{release_free_memory, resident_mib};
use std::process::ExitCode;
use std::time::Instant;

const ASKS: usize = 200;

fn main() -> ExitCode {
    match run() {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nagare-pipelines-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Loads `events` into `org` in chunks, as the server's start-up does.
fn load(org: &mut Org, events: impl Iterator<Item = Event>) -> usize {
    let mut n = 0;
    let mut events = events.peekable();
    let chunks = std::iter::from_fn(|| {
        let chunk: Vec<Event> = events.by_ref().take(50_000).collect();
        n += chunk.len();
        (!chunk.is_empty()).then_some(chunk)
    });
    org.load(chunks);
    org.compact();
    release_free_memory();
    n
}

/// p50 and p95 of `f`'s time over [`ASKS`] calls, in ms.
fn timed<T>(mut f: impl FnMut() -> T) -> serde_json::Value {
    let mut ms: Vec<f64> = (0..ASKS)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| (ms[((ms.len() - 1) as f64 * p).round() as usize] * 100.0).round() / 100.0;
    serde_json::json!({"p50_ms": at(0.5), "p95_ms": at(0.95)})
}

fn run() -> Result<serde_json::Value, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let num = |name: &str, default: f64| -> Result<f64, String> {
        flag(name).map_or(Ok(default), |v| {
            v.parse().map_err(|_| format!("bad {name} {v}"))
        })
    };
    let scale = num("--scale", 1.0)?;
    let runs = num("--runs", 1_000_000.0 * scale)? as usize;
    let seed = num("--seed", 7.0)? as u64;
    let spec = SynthSpec::bench_scaled(scale);
    let end = Timestamp::parse("2026-01-01T00:00:00Z").map_err(|e| e.to_string())?;
    let mut org = Org::new(Settings::default());
    let t = Instant::now();
    let mut merges = Vec::new();
    let org_events = synthetic(&spec, seed, end).inspect(|e| {
        if let Event::PullRequest(p) = e {
            if let (Some(sha), Some(at)) = (&p.merge_commit, p.merged_at) {
                merges.push((p.repo.clone(), sha.clone(), at));
            }
        }
    });
    let events = load(&mut org, org_events);
    let before = resident_mib();
    let load_org_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    // CI on each merge commit, then the rest of the runs.
    let rest = runs.saturating_sub(merges.len());
    let all_runs =
        synthetic_merge_ci(merges, seed).chain(synthetic_runs(rest, spec.services, seed, end));
    let attempts = load(&mut org, all_runs);
    let load_runs_s = t.elapsed().as_secs_f64();
    let after = resident_mib();

    let year = (Timestamp(end.0 - 365 * 86_400_000), end);
    let month = (Timestamp(end.0 - 30 * 86_400_000), end);
    let list = |f: fn(&mut PipelineRunQuery)| {
        let mut q = PipelineRunQuery {
            from: Some(year.0),
            to: Some(year.1),
            ..PipelineRunQuery::default()
        };
        f(&mut q);
        q
    };
    let queries: Vec<(&str, PipelineRunQuery)> = vec![
        ("org-wide", list(|_| {})),
        ("a team", list(|q| q.team = Some("team-3".into()))),
        ("a service", list(|q| q.service = Some("svc-17".into()))),
        (
            "a repository",
            list(|q| q.repo = Some("synth/repo-17".into())),
        ),
        ("a workflow", list(|q| q.workflow = Some("Deploy".into()))),
        ("a branch", list(|q| q.branch = Some("feature/42".into()))),
        ("failures", list(|q| q.outcome = Some(Outcome::Failure))),
        (
            "pull requests",
            list(|q| q.trigger = Some(Trigger::PullRequest)),
        ),
        (
            "a timed-out conclusion (none)",
            list(|q| q.conclusion = Some("timed_out".into())),
        ),
        ("page 100 of all", list(|q| q.page = 100)),
        (
            "a team's failures of one workflow, last 30 days",
            list(|q| {
                q.team = Some("team-3".into());
                q.workflow = Some("CI".into());
                q.outcome = Some(Outcome::Failure);
            }),
        ),
    ];
    let mut list_results = serde_json::Map::new();
    let mut worst: f64 = 0.0;
    for (name, mut q) in queries {
        if name.ends_with("last 30 days") {
            q.from = Some(month.0);
        }
        let total = org.pipeline_runs(&q).total;
        let mut r = timed(|| org.pipeline_runs(&q));
        worst = worst.max(r["p95_ms"].as_f64().unwrap_or(0.0));
        r["total"] = total.into();
        list_results.insert(name.into(), r);
    }
    let window = |from: Timestamp| {
        PipelineWindowParams {
            from: Some(from),
            to: Some(end),
            ..PipelineWindowParams::default()
        }
        .resolve(end)
        .map_err(|e| e.message)
    };
    let (w30, w365) = (window(month.0)?, window(year.0)?);
    let flaky_30 = org.flaky_jobs(&w30).jobs.len();
    let flaky = serde_json::json!({
        "30 days": timed(|| org.flaky_jobs(&w30)),
        "1 year": timed(|| org.flaky_jobs(&w365)),
        "jobs_30_days": flaky_30,
    });
    let workflows = serde_json::json!({
        "30 days": timed(|| org.workflows(&w30)),
        "1 year": timed(|| org.workflows(&w365)),
    });
    let vs = |from: Timestamp, team: Option<&str>, interval: Option<Interval>| {
        ValueStreamParams {
            from: Some(from),
            to: Some(end),
            team: team.map(str::to_owned),
            interval,
            chain: Some(ChainName::Default),
            ..ValueStreamParams::default()
        }
        .resolve(end)
        .map_err(|e| e.message)
    };
    let vs_30 = vs(month.0, None, None)?;
    let vs_page = vs(month.0, None, Some(Interval::Week))?;
    let vs_team = vs(month.0, Some("team-3"), Some(Interval::Week))?;
    let vs_90 = vs(Timestamp(end.0 - 90 * 86_400_000), None, None)?;
    let counted = org.value_stream(&vs_30);
    let value_stream = serde_json::json!({
        "org-wide, 30 days": timed(|| org.value_stream(&vs_30)),
        "org-wide, 30 days by week (the page's ask)": timed(|| org.value_stream(&vs_page)),
        "a team, 30 days by week": timed(|| org.value_stream(&vs_team)),
        "org-wide, 90 days": timed(|| org.value_stream(&vs_90)),
        "pull_requests_30_days": counted.pull_requests,
        "with_ci_done_30_days": counted.stages.iter().find(|s| s.key == "build_test").and_then(|s| s.stats).map_or(0, |s| s.count),
    });
    Ok(serde_json::json!({
        "events": events,
        "runs": attempts,
        "load_org_s": (load_org_s * 10.0).round() / 10.0,
        "load_runs_s": (load_runs_s * 10.0).round() / 10.0,
        "rss_before_mib": before.round(),
        "rss_after_mib": after.round(),
        "bytes_per_run": ((after - before) * 1_048_576.0 / attempts.max(1) as f64).round(),
        "runs_list": list_results,
        "runs_list_worst_p95_ms": worst,
        "flaky_jobs": flaky,
        "workflows": workflows,
        "value_stream": value_stream,
    }))
}

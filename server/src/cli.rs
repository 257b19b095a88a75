//! The `nagare` command line: serve (default), migrate, demo, import.

use crate::config::Config;
use crate::sources::replay::ReplayScope;
use crate::state::AppState;
use crate::store::Store;
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "nagare",
    version,
    about = "Nagare: DORA metrics and delivery flow, from events to a page you can trust"
)]
pub struct Cli {
    /// Configuration file (TOML). Default: ./nagare.toml when present.
    #[arg(long, global = true, env = "NAGARE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API and the web app (the default).
    Serve {
        /// Address to listen on (overrides server.bind).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Seed the demo organisation (deterministic from the seed).
    Demo {
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Derive a source's events again from its kept raw deliveries, under the mapping rules
    /// configured now (after a rule change; restart the server with the new rules first).
    Replay {
        /// The source whose deliveries are replayed.
        #[arg(long, default_value = "github")]
        source: String,
        /// Only rebuild the events that deliveries received since then touch: a duration back
        /// from now (`30d`, `12h`, `90m`) or a date (`2026-06-01`, RFC 3339).
        #[arg(long, value_parser = parse_since)]
        since: Option<i64>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Fetch a source's history through its API (`github`: deployments and statuses, workflow
    /// runs and jobs, pull requests and reviews, incident issues, commits between deployments).
    /// Resumes where a stopped run left off; stores nothing twice.
    Backfill {
        /// The source: `github`.
        source: String,
        /// How far back: a duration (`180d`) or a date (`2026-06-01`).
        #[arg(long, value_parser = parse_since, default_value = "180d")]
        since: i64,
        /// Only this repository (`owner/name`); default: every one the repository rules name.
        #[arg(long)]
        repo: Option<String>,
        /// No progress line.
        #[arg(long)]
        quiet: bool,
    },
    /// Fetch and read the git mirrors now (`git`: every `[[sources.git.mirrors]]`, or one),
    /// writing the commits that are new since the last sync.
    Sync {
        /// The source: `git`.
        source: String,
        /// Only this mirror (`owner/name`).
        #[arg(long)]
        repo: Option<String>,
    },
    /// Read SLO definition files (OpenSLO, Sloth, Pyrra) as the server would, list each SLO and
    /// each problem (file, YAML path, fix); exits with 1 on any problem. For a CI check of the
    /// files before they are deployed.
    CheckSlos {
        /// The directory; default `[slo] dir`.
        dir: Option<PathBuf>,
    },
    /// Read cloud cost exports (FOCUS 1.0–1.3 or CUR 2.0; CSV, CSV.gz or Parquet) into the
    /// store, billing period by billing period (docs/cost.md): a directory, a file,
    /// `s3://bucket/prefix`, `athena` (the configured table), or every configured source.
    ImportCost {
        location: Option<String>,
        /// The source name to store under (default: the configured source of that location,
        /// else `import`).
        #[arg(long)]
        source: Option<String>,
        /// Read every billing period again, even those whose stored version is current.
        #[arg(long)]
        force: bool,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Import canonical events from an NDJSON file, atomically.
    Import {
        file: PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

pub use crate::seed::seed_demo;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: Vec<(String, String)> = std::env::vars().collect();
    let mut config = match Config::load(cli.config.as_deref(), &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("nagare: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Serve { bind: Some(b) }) = &cli.command {
        config.server.bind = b.clone();
        if let Err(m) = config.bind_addr() {
            eprintln!("nagare: configuration error in --bind: {m}");
            return ExitCode::from(2);
        }
    }
    init_tracing(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nagare: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(
        cli.command.unwrap_or(Command::Serve { bind: None }),
        config,
    ));
    // Blocking work still running (a model update) gets a moment, not forever.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nagare: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&config.log.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if config.log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { .. } => serve(config).await,
        Command::ImportCost {
            location,
            source,
            force,
            quiet,
        } => {
            let store = open_store(&config).await?;
            let target = crate::cost::command::Target::of(location);
            crate::cost::command::import(&store, &config, target, source, force, quiet).await
        }
        Command::CheckSlos { dir } => {
            let Some(dir) = dir.or(config.slo.dir) else {
                anyhow::bail!("name the directory of SLO files, or set `[slo] dir`");
            };
            let loaded = crate::slo::defs::load_dir(&dir);
            for d in &loaded.slos {
                println!(
                    "ok   {} ({}): service {}, {} % over {}, {}",
                    d.id,
                    d.name,
                    d.service,
                    d.objective * 100.0,
                    nagare_core::slo::eval::window_label(&d.window),
                    d.origin
                );
            }
            for p in &loaded.problems {
                println!("bad  {p}");
            }
            if !loaded.problems.is_empty() {
                anyhow::bail!("{} problem(s) in {}", loaded.problems.len(), dir.display());
            }
            println!("{} SLOs read, no problem", loaded.slos.len());
            Ok(())
        }
        Command::Migrate => {
            let store = open_store(&config).await?;
            println!("migrations applied ({})", store.backend());
            Ok(())
        }
        Command::Demo { seed } => {
            let store = open_store(&config).await?;
            let n = seed_demo(&store, &config, seed.unwrap_or(config.demo.seed)).await?;
            println!("demo organisation stored: {n} events");
            Ok(())
        }
        Command::Replay {
            source,
            since,
            quiet,
        } => {
            let store = open_store(&config).await?;
            let sources = crate::sources::Registry::from_config(&config)?;
            let started = std::time::Instant::now();
            // The catalogue the rules declare, as the server does when it starts with them.
            crate::sources::github::declare_services(&store, &config.sources.github).await?;
            let bar = progress_bar(quiet, store.kept_counts(&source).await?.0 as u64);
            let scope = since.map_or(ReplayScope::All, ReplayScope::Since);
            let r = crate::sources::replay::replay_named(&store, &sources, &source, scope, &|n| {
                bar.set_position(n)
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            bar.finish_and_clear();
            println!(
                "{} in {:.1} s",
                r.describe(&source),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Backfill {
            source,
            since,
            repo,
            quiet,
        } => backfill(&config, &source, since, repo.as_deref(), quiet).await,
        Command::Sync { source, repo } => {
            if source != "git" {
                anyhow::bail!("`{source}`: only `git` (the mirrors) can be synced");
            }
            let store = open_store(&config).await?;
            let started = std::time::Instant::now();
            let reports = crate::sources::git::sync_all(&store, &config, repo.as_deref()).await?;
            for r in &reports {
                println!("{}", r.describe());
            }
            let failed = reports.iter().filter(|r| r.error.is_some()).count();
            println!(
                "synced {} mirrors in {:.1} s",
                reports.len(),
                started.elapsed().as_secs_f64()
            );
            if failed > 0 {
                anyhow::bail!("{failed} of {} mirrors failed", reports.len());
            }
            Ok(())
        }
        Command::Import { file, quiet } => {
            let store = open_store(&config).await?;
            let started = std::time::Instant::now();
            let s = crate::import::import_file(&store, &file, !quiet).await?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "imported {}: {} new, {} updated, {} lines in {secs:.1} s ({:.0} events/s)",
                file.display(),
                s.accepted,
                s.updated,
                s.lines,
                (s.accepted + s.updated) as f64 / secs.max(1e-9)
            );
            Ok(())
        }
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open_with(&config.database.url, config.durability())
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                redact_url(&config.database.url)
            )
        })
}

/// Hides the secrets of a database URL before it is printed: the whole user-info part unless it
/// is plainly `user:password` (then the password), and `password`-like query parameters.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match (base.find("://"), base.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &base[s + 3..at];
            let shown = match cred.split_once(':') {
                Some((user, _)) if !user.is_empty() => format!("{user}:***"),
                _ => "***".to_owned(),
            };
            format!("{}{shown}{}", &base[..s + 3], &base[at..])
        }
        _ => base.to_owned(),
    };
    let Some(query) = query else {
        return base;
    };
    let secret = |k: &str| {
        let k = k.to_ascii_lowercase();
        k.contains("password")
            || k.contains("passwd")
            || k == "pass"
            || k.contains("secret")
            || k.contains("token")
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if secret(k) => format!("{k}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// `nagare backfill github`: every repository the rules name (or `repo`), since `since`.
async fn backfill(
    config: &Config,
    source: &str,
    since: i64,
    repo: Option<&str>,
    quiet: bool,
) -> anyhow::Result<()> {
    if source != "github" {
        anyhow::bail!("`{source}`: only `github` can be backfilled");
    }
    let store = open_store(config).await?;
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    let outcome = crate::sources::backfill::run_configured(&store, config, since, repo, &|p| {
        let phase_pages = p.phase_pages.map_or(String::new(), |(done, of)| {
            format!(" (page {done} of {of})")
        });
        bar.set_message(format!(
            "{} {}{phase_pages}: {} pages, {} objects, {} requests",
            p.repo, p.phase, p.pages, p.objects, p.requests
        ));
        bar.tick();
    })
    .await?;
    bar.finish_and_clear();
    for r in &outcome.reports {
        println!(
            "{}{}",
            r.describe(),
            if r.error.is_some() {
                " (run again to resume)"
            } else {
                ""
            }
        );
    }
    println!("backfilled {}", outcome.describe());
    let failed = outcome.failed();
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} repositories stopped early",
            outcome.reports.len()
        );
    }
    Ok(())
}

/// A progress bar to `len`, hidden when `quiet`.
fn progress_bar(quiet: bool, len: u64) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} deliveries ({eta} left)")
    {
        bar.set_style(style);
    }
    bar
}

/// A `--since` (see [`crate::sources::replay::since_at`]), in epoch milliseconds.
pub fn parse_since(s: &str) -> Result<i64, String> {
    crate::sources::replay::since_at(s, crate::store::now_millis())
}

/// In local mode (no identity provider) only loopback addresses may be bound.
pub fn check_bind(addr: SocketAddr, local_mode: bool) -> anyhow::Result<()> {
    if local_mode && !addr.ip().is_loopback() {
        anyhow::bail!(
            "refusing to listen on {addr}: no identity provider is configured, so Nagare runs in local single-user mode, \
             where anyone who can reach it would act as the admin. Bind to 127.0.0.1 (server.bind or --bind), \
             or configure single sign-on before listening on other addresses."
        );
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let addr = config.bind_addr().map_err(anyhow::Error::msg)?;
    check_bind(addr, !config.auth.enabled())?;
    let store = open_store(&config).await?;
    if config.demo.seed_on_empty && store.event_count().await? == 0 {
        let n = seed_demo(&store, &config, config.demo.seed).await?;
        tracing::info!(
            events = n,
            seed = config.demo.seed,
            "seeded the demo organisation into the empty database"
        );
    }
    let started = std::time::Instant::now();
    let state = AppState::new(store, config).await?;
    tracing::info!(
        took_ms = started.elapsed().as_millis() as u64,
        "model loaded"
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    state.hosts.set_port(local.port());
    if state.local_mode {
        println!("Nagare is serving on http://{local} (local mode: single user, loopback only)");
    } else {
        crate::auth::record_access_config(&state).await?;
        println!(
            "Nagare is serving on http://{local} (single sign-on through {})",
            state.config.auth.issuer
        );
    }
    let limits = crate::serve::Limits::from_config(&state.config.server);
    let jobs = crate::jobs::Jobs::start(&state);
    crate::serve::serve(listener, crate::app(state), limits, shutdown_signal()).await;
    jobs.stop().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_mode_refuses_non_loopback() {
        let e = check_bind("0.0.0.0:8080".parse().unwrap(), true).unwrap_err();
        assert!(e.to_string().contains("single sign-on"), "{e}");
        check_bind("127.0.0.1:8080".parse().unwrap(), true).unwrap();
        check_bind("[::1]:8080".parse().unwrap(), true).unwrap();
    }

    #[test]
    fn since_is_a_duration_back_or_a_date() {
        use crate::sources::replay::since_at;
        let now = 1_780_000_000_000;
        assert_eq!(since_at("180d", now), Ok(now - 180 * 86_400_000));
        assert_eq!(since_at("2w", now), Ok(now - 14 * 86_400_000));
        assert_eq!(since_at("12h", now), Ok(now - 12 * 3_600_000));
        assert_eq!(since_at(" 90m ", now), Ok(now - 90 * 60_000));
        // 2026-06-01 is 20,605 days after 1970-01-01.
        assert_eq!(since_at("2026-06-01", now), Ok(20_605 * 86_400_000));
        assert_eq!(
            since_at("2026-06-01T02:00:00+02:00", now),
            Ok(20_605 * 86_400_000)
        );
        for bad in [
            "",
            "d",
            "-3d",
            "1.5d",
            "3y",
            "yesterday",
            "2026-13-01",
            "3é",
        ] {
            let e = since_at(bad, now).unwrap_err();
            assert!(e.contains("duration"), "{bad}: {e}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        for (url, shown) in [
            (
                "postgres://u:secret@h:5432/db",
                "postgres://u:***@h:5432/db",
            ),
            ("postgresql://SECRET@host/db", "postgresql://***@host/db"),
            ("postgres://:SECRET@host/db", "postgres://***@host/db"),
            (
                "postgres://u@h/db?password=SECRET&sslmode=require",
                "postgres://***@h/db?password=***&sslmode=require",
            ),
            (
                "postgres://h/db?sslpassword=SECRET",
                "postgres://h/db?sslpassword=***",
            ),
            ("postgres://u:p@ss@h/db", "postgres://u:***@h/db"),
            ("sqlite://data/nagare.db", "sqlite://data/nagare.db"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
            assert!(!redact_url(url).contains("SECRET"), "{url}");
        }
    }
}

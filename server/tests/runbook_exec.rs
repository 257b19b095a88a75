//! The runbook executor against real processes: arguments stay literal, the environment is
//! only what was given, a timeout or a cancellation kills the whole process group, and the
//! output cap counts exactly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nagare_server::triggers::exec::{self, Line, Outcome, Running, SpawnError, Spec, Stream};
use nix::sys::signal::Signal;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const PATH: &str = "/usr/bin:/bin";

fn spec(program: &str, args: &[&str]) -> Spec {
    Spec {
        program: program.to_owned(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        env: vec![("PATH".to_owned(), PATH.to_owned())],
        workdir: None,
        timeout: Duration::from_secs(30),
        grace: Duration::from_secs(1),
        max_output_bytes: 1 << 20,
    }
}

fn sh(script: &str) -> Spec {
    spec("sh", &["-c", script])
}

fn start(spec: Spec) -> (Running, mpsc::Receiver<Line>) {
    let (tx, rx) = mpsc::channel(64);
    (exec::spawn(spec, tx).unwrap(), rx)
}

/// Runs to the end, collecting every line while it runs.
async fn run(spec: Spec) -> (Outcome, Vec<Line>) {
    let (running, mut rx) = start(spec);
    let lines = tokio::spawn(async move {
        let mut lines = Vec::new();
        while let Some(line) = rx.recv().await {
            lines.push(line);
        }
        lines
    });
    let (_cancel, never) = watch::channel(false);
    let outcome = running.wait(never).await;
    (outcome, lines.await.unwrap())
}

fn texts(lines: &[Line], stream: Stream) -> Vec<&str> {
    let of_stream = lines.iter().filter(|l| l.stream == stream);
    of_stream.map(|l| l.text.as_str()).collect()
}

/// The live processes of group `pgid`, from /proc/*/stat (field 5 is the group). Zombies are
/// left out: they are dead, and an init may be slow to reap the orphans it inherits.
fn group_members(pgid: u32) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 2 && fields[2] == pgid.to_string() && fields[0] != "Z" {
            found.push(format!("{head}) {}", fields[0]));
        }
    }
    found
}

#[tokio::test]
async fn hostile_arguments_arrive_as_literals() {
    let hostile = [
        "x; rm -rf /",
        "$(id)",
        "`id`",
        "../../etc/passwd",
        r"a\nb",
        "*",
        "'\"",
        "",
    ];
    let mut args = vec![r"%s\n"];
    args.extend(hostile);
    let (outcome, lines) = run(spec("printf", &args)).await;
    assert_eq!(outcome.exit_code, Some(0), "{outcome:?}");
    assert_eq!(texts(&lines, Stream::Stdout), hostile);
    assert!(texts(&lines, Stream::Stderr).is_empty());
}

/// Linux takes no single argument over 128 KiB, so the 1 MB value goes as ten arguments that
/// `printf '%s'` writes as one line without a newline. Its characters have 1 to 4 bytes, so
/// the 16 KiB cuts fall inside characters unless they step back to a boundary.
#[tokio::test]
async fn a_one_megabyte_line_arrives_in_16_kib_pieces() {
    let big = "aé€𝄞".repeat(100_000); // 10 bytes a repetition
    assert_eq!(big.len(), 1_000_000);
    let chunks: Vec<&str> = (0..10)
        .map(|i| &big[i * 100_000..(i + 1) * 100_000])
        .collect();
    let mut args = vec!["%s"];
    args.extend(&chunks);
    let mut s = spec("printf", &args);
    s.max_output_bytes = 2_000_000;
    let (outcome, lines) = run(s).await;
    assert_eq!(outcome.exit_code, Some(0));
    let pieces = texts(&lines, Stream::Stdout);
    assert_eq!(
        pieces.concat(),
        big,
        "pieces cut inside a character, or lost"
    );
    let (last, full) = pieces.split_last().unwrap();
    assert!(full.iter().all(|p| p.len() <= 16384 && p.len() > 16380));
    assert!(!last.is_empty() && last.len() <= 16384);
    assert_eq!((outcome.bytes, outcome.dropped_bytes), (1_000_000, 0));
}

#[tokio::test]
async fn an_argument_over_128_kib_is_refused_with_a_hint() {
    let huge = "x".repeat(200_000);
    let (tx, _rx) = mpsc::channel(1);
    let err = exec::spawn(spec("printf", &["%s", &huge]), tx).unwrap_err();
    assert!(matches!(err, SpawnError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("128 KiB"), "{err}");
}

#[tokio::test]
async fn the_environment_is_only_what_was_given() {
    std::env::set_var("NAGARE_SECRET_TEST", "leaked");
    let mut s = spec("env", &[]);
    s.env.push(("ONLY".to_owned(), "1".to_owned()));
    let (outcome, lines) = run(s).await;
    assert_eq!(outcome.exit_code, Some(0));
    let mut vars = texts(&lines, Stream::Stdout);
    vars.sort_unstable();
    assert_eq!(vars, ["ONLY=1", "PATH=/usr/bin:/bin"]);
    assert!(lines.iter().all(|l| !l.text.contains("NAGARE_SECRET_TEST")));
}

#[tokio::test]
async fn stdin_is_empty() {
    let (outcome, lines) = run(spec("cat", &[])).await;
    assert_eq!((outcome.exit_code, outcome.timed_out), (Some(0), false));
    assert!(lines.is_empty());
    assert!(outcome.duration < Duration::from_secs(5));
    // /dev/null itself, not merely a pipe closed early.
    let (_, lines) = run(spec("readlink", &["/proc/self/fd/0"])).await;
    assert_eq!(texts(&lines, Stream::Stdout), ["/dev/null"]);
}

/// Runs `spec` until its first line, checks the group holds at least `members` processes,
/// then optionally cancels; returns the outcome, the group id and the first line.
async fn supervise(spec: Spec, members: usize, cancel_after_first: bool) -> (Outcome, u32, String) {
    let (running, mut rx) = start(spec);
    let pgid = running.pid();
    let (cancel, cancel_rx) = watch::channel(false);
    let waiting = tokio::spawn(running.wait(cancel_rx));
    let first = rx.recv().await.unwrap().text;
    // The shell writes its line once its background jobs are started, not necessarily exec'd.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let alive = group_members(pgid);
    assert!(
        alive.len() >= members,
        "group {pgid} before the end: {alive:?}"
    );
    if cancel_after_first {
        cancel.send(true).unwrap();
    }
    let outcome = waiting.await.unwrap();
    (outcome, pgid, first)
}

#[tokio::test]
async fn a_timeout_kills_the_grandchildren_too() {
    let mut s = sh("sleep 300 & sleep 300 & echo started; wait");
    (s.timeout, s.grace) = (Duration::from_secs(1), Duration::from_secs(1));
    let (outcome, pgid, first) = supervise(s, 3, false).await;
    assert_eq!(first, "started");
    assert!(outcome.timed_out && !outcome.cancelled, "{outcome:?}");
    assert!(matches!(outcome.signal, Some(15 | 9)), "{outcome:?}");
    assert_eq!(outcome.exit_code, None);
    assert!(outcome.duration >= Duration::from_secs(1));
    assert!(outcome.duration < Duration::from_secs(4), "{outcome:?}");
    assert_eq!(group_members(pgid), Vec::<String>::new());
}

#[tokio::test]
async fn a_group_ignoring_sigterm_is_killed_after_the_grace() {
    // An ignored signal stays ignored across exec, so each `sleep` ignores TERM too.
    let mut s = sh(r#"trap "" TERM; echo ready; while :; do sleep 1; done"#);
    (s.timeout, s.grace) = (Duration::from_secs(1), Duration::from_secs(1));
    let (outcome, pgid, _) = supervise(s, 1, false).await;
    assert!(outcome.timed_out, "{outcome:?}");
    assert_eq!(outcome.signal, Some(9), "{outcome:?}");
    assert!(
        outcome.duration >= Duration::from_secs(2),
        "no grace: {outcome:?}"
    );
    assert!(outcome.duration < Duration::from_secs(5), "{outcome:?}");
    assert_eq!(group_members(pgid), Vec::<String>::new());
}

#[tokio::test]
async fn cancelling_ends_the_run_at_once() {
    let mut s = sh("echo first; sleep 300 & wait");
    s.timeout = Duration::from_secs(60);
    let (outcome, pgid, first) = supervise(s, 2, true).await;
    assert_eq!(first, "first");
    assert!(outcome.cancelled && !outcome.timed_out, "{outcome:?}");
    assert_eq!(outcome.signal, Some(15), "{outcome:?}");
    assert!(outcome.duration < Duration::from_secs(5), "{outcome:?}");
    assert_eq!(group_members(pgid), Vec::<String>::new());
}

#[tokio::test]
async fn cancelled_before_the_start_is_cancelled_at_once() {
    let (running, _rx) = start(sh("sleep 300"));
    let (_tx, cancelled) = watch::channel(true);
    let outcome = running.wait(cancelled).await;
    assert!(
        outcome.cancelled && outcome.duration < Duration::from_secs(5),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn dropping_a_run_kills_its_group() {
    let (running, _rx) = start(sh("sleep 300 & sleep 300"));
    let pgid = running.pid();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(group_members(pgid).len() >= 2);
    drop(running);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(group_members(pgid), Vec::<String>::new());
}

#[tokio::test]
async fn the_group_helpers_see_and_signal_a_group_but_never_their_own() {
    let (running, _rx) = start(sh("sleep 300"));
    let pgid = running.pid();
    assert!(exec::group_alive(pgid));
    let own = nix::unistd::getpgrp().as_raw() as u32;
    assert!(!exec::kill_group(own, Signal::SIGTERM) && !exec::kill_group(0, Signal::SIGTERM));
    assert!(!exec::group_alive(0) && !exec::group_alive(1));
    assert!(exec::kill_group(pgid, Signal::SIGKILL));
    let outcome = running.wait(watch::channel(false).1).await;
    assert_eq!((outcome.signal, outcome.timed_out), (Some(9), false));
}

#[tokio::test]
async fn output_past_the_cap_is_counted_not_sent() {
    let mut s = sh("yes | head -c 300000");
    s.max_output_bytes = 10_000;
    let (outcome, lines) = run(s).await;
    assert_eq!(outcome.exit_code, Some(0), "{outcome:?}");
    assert!(lines
        .iter()
        .all(|l| l.text == "y" && l.stream == Stream::Stdout));
    // Each line costs its bytes and its newline; whole lines are sent while they fit.
    let received: u64 = lines.iter().map(|l| l.text.len() as u64 + 1).sum();
    assert_eq!(outcome.bytes, received);
    assert!(received <= 10_000 && received > 10_000 - 2, "{received}");
    assert_eq!(outcome.dropped_bytes, 300_000 - received);
}

#[tokio::test]
async fn the_cap_is_shared_by_both_streams_and_nothing_follows_a_dropped_line() {
    let mut s = sh("echo 12345; sleep 0.2; echo abcdefgh >&2; sleep 0.2; echo z; echo w >&2");
    s.max_output_bytes = 10;
    let (outcome, lines) = run(s).await;
    let (out, err) = (texts(&lines, Stream::Stdout), texts(&lines, Stream::Stderr));
    // 6 bytes fit; 9 more do not, and once one line is dropped every later one is too (the
    // pauses fix the order in which the two pipes are read).
    assert!(matches!((&out[..], &err[..]), (["12345"], [])), "{lines:?}");
    assert_eq!((outcome.bytes, outcome.dropped_bytes), (6, 9 + 2 + 2));
}

#[tokio::test]
async fn a_closed_sink_is_drained_without_blocking_the_child() {
    let (tx, rx) = mpsc::channel(1);
    drop(rx);
    let mut s = sh("yes | head -c 1000000");
    s.timeout = Duration::from_secs(10);
    let running = exec::spawn(s, tx).unwrap();
    let outcome = running.wait(watch::channel(false).1).await;
    assert_eq!((outcome.exit_code, outcome.timed_out), (Some(0), false));
    assert_eq!(outcome.bytes + outcome.dropped_bytes, 1_000_000);
}

#[tokio::test]
async fn exit_codes_and_signals() {
    let (exited, _) = run(sh("exit 3")).await;
    assert_eq!((exited.exit_code, exited.signal), (Some(3), None));
    let (killed, _) = run(sh("kill -KILL $$")).await;
    assert_eq!((killed.exit_code, killed.signal), (None, Some(9)));
    assert!(!killed.timed_out && !killed.cancelled);
}

#[tokio::test]
async fn a_missing_program_or_workdir_is_a_clear_error() {
    let spawn = |s: Spec| exec::spawn(s, mpsc::channel(1).0);

    // A bare name is looked up on the server's PATH, which the message names.
    let err = spawn(spec("nagare-no-such-program", &[])).unwrap_err();
    assert!(matches!(err, SpawnError::NotFound { .. }), "{err:?}");
    let (message, server_path) = (err.to_string(), std::env::var("PATH").unwrap());
    assert!(message.contains("nagare-no-such-program"), "{message}");
    assert!(message.contains(&format!("({server_path})")), "{message}");

    let err = spawn(spec("/nonexistent/nagare-tool", &[])).unwrap_err();
    assert!(matches!(err, SpawnError::NotFound { .. }), "{err:?}");
    let err = spawn(spec("bin/sh", &[])).unwrap_err();
    assert!(err.to_string().contains("absolute"), "{err}");

    let mut s = spec("pwd", &[]);
    s.workdir = Some("/nonexistent/nagare-workdir".into());
    let err = spawn(s).unwrap_err();
    assert!(matches!(err, SpawnError::Workdir { .. }), "{err:?}");
    assert!(
        err.to_string().contains("/nonexistent/nagare-workdir"),
        "{err}"
    );

    let file = tempfile::NamedTempFile::new().unwrap();
    let mut s = spec("pwd", &[]);
    s.workdir = Some(file.path().to_owned());
    let err = spawn(s).unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[tokio::test]
async fn a_bare_name_is_found_on_the_servers_path_not_the_childs() {
    let mut s = spec("printf", &["ok"]);
    s.env = vec![("PATH".to_owned(), "/nonexistent".to_owned())];
    let (outcome, lines) = run(s).await;
    assert_eq!(outcome.exit_code, Some(0));
    assert_eq!(texts(&lines, Stream::Stdout), ["ok"]);
}

#[tokio::test]
async fn the_workdir_is_the_childs_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec("pwd", &[]);
    s.workdir = Some(dir.path().to_owned());
    let (_, lines) = run(s).await;
    let expected = dir.path().canonicalize().unwrap();
    assert_eq!(texts(&lines, Stream::Stdout), [expected.to_str().unwrap()]);
}

#[tokio::test]
async fn both_streams_arrive_tagged_and_a_last_line_needs_no_newline() {
    let (outcome, lines) = run(sh(
        "echo out; echo err >&2; echo ' spaced\t' >&2; printf tail",
    ))
    .await;
    assert_eq!(outcome.exit_code, Some(0));
    assert_eq!(texts(&lines, Stream::Stdout), ["out", "tail"]);
    assert_eq!(texts(&lines, Stream::Stderr), ["err", " spaced\t"]);
    assert_eq!(outcome.bytes, 4 + 4 + 9 + 4);
}

//! Runs one runbook as a child process and supervises it to its end.
//!
//! [`spawn`] starts the program directly, never through a shell (each argument is one literal
//! argv item), from an empty environment plus [`Spec::env`], with `/dev/null` as stdin and as
//! the leader of its own process group, so that [`kill_group`] reaches all it starts. Its
//! output goes to a channel as [`Line`]s, in order per stream. [`Running::wait`] ends it on
//! cancellation or timeout (SIGTERM to the group, SIGKILL after the grace).
//!
//! **The output cap.** A line costs its bytes plus one for its newline (a 16 KiB piece of a
//! longer line, or a last line without a newline, costs just its bytes). Lines are sent while
//! the total cost stays within [`Spec::max_output_bytes`]; the first line that would pass it,
//! and every line after it on either stream, is dropped. Dropped output is still read, so the
//! child never blocks on a full pipe, and counted, so that [`Outcome::bytes`] plus
//! [`Outcome::dropped_bytes`] is exactly the number of bytes the child wrote (unless the pipes
//! had to be abandoned after a kill).

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::{getpgrp, Pid};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The longest line sent in one piece, in bytes; a longer line is sent as several pieces.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// How long the end of a killed group is still awaited: the leader reaped, the pipes drained
/// (a process that left the group may hold them open), and after SIGKILL the group gone.
const SETTLE_AFTER_KILL: Duration = Duration::from_secs(1);
/// How often the group is probed while it may still be ending.
const GROUP_POLL: Duration = Duration::from_millis(20);
/// Timeouts and graces are capped to this (100 years), so that deadlines never overflow.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// What to run, and within which limits.
#[derive(Clone)]
pub struct Spec {
    /// The program: an absolute path, or a bare name resolved against the *server's* PATH
    /// (not the child's) before spawning; not found → SpawnError::NotFound naming the PATH searched.
    pub program: String,
    pub args: Vec<String>,
    /// The child's whole environment (the child starts from an EMPTY environment plus these).
    pub env: Vec<(String, String)>,
    pub workdir: Option<PathBuf>,
    pub timeout: Duration,
    /// Time between SIGTERM to the process group and SIGKILL to it.
    pub grace: Duration,
    /// Output bytes (stdout + stderr together) passed to the sink; past it, nothing more is sent
    /// but the output is still drained (so the child never blocks) and counted.
    pub max_output_bytes: u64,
}

/// Shows the environment's names only: its values may be secrets.
impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let env: Vec<&String> = self.env.iter().map(|(name, _)| name).collect();
        f.debug_struct("Spec")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("env", &env)
            .finish_non_exhaustive()
    }
}

/// The pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One line of output: lossy UTF-8, without its newline. A line longer than
/// [`MAX_LINE_BYTES`] comes as several pieces, cut on character boundaries; a last line
/// without a newline is still sent when the pipe closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub stream: Stream,
    pub text: String,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exit code, when the program exited by itself.
    pub exit_code: Option<i32>,
    /// The signal that ended the program (15, 9, …), when one did.
    pub signal: Option<i32>,
    /// The timeout passed first; the group was killed. Never true with `cancelled`.
    pub timed_out: bool,
    /// The run was cancelled first; the group was killed. Never true with `timed_out`.
    pub cancelled: bool,
    /// From the spawn to the end of [`Running::wait`].
    pub duration: Duration,
    /// The output bytes sent to the sink, newlines included (see the module's notes on the cap).
    pub bytes: u64,
    /// The output bytes read past the cap and not sent.
    pub dropped_bytes: u64,
}

/// Why a runbook could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("runbook program `{program}` not found: {detail}")]
    NotFound { program: String, detail: String },
    #[error("runbook working directory {} {reason}: create it or fix the runbook's workdir", path.display())]
    Workdir { path: PathBuf, reason: String },
    #[error(
        "runbook program `{program}` cannot start: {source}{}",
        io_hint(source)
    )]
    Io {
        program: String,
        source: std::io::Error,
    },
}

fn io_hint(error: &std::io::Error) -> &'static str {
    if error.raw_os_error() != Some(nix::libc::E2BIG) {
        return "";
    }
    " (each argument or environment entry must be under 128 KiB, all together under ARG_MAX: \
     pass large data in a file)"
}

/// A started runbook. Dropping it without [`Running::wait`] kills its process group.
#[derive(Debug)]
pub struct Running {
    child: tokio::process::Child,
    /// Reads both pipes to their ends.
    pipes: JoinHandle<()>,
    cap: Arc<Mutex<Cap>>,
    started: Instant,
    timeout: Duration,
    grace: Duration,
    pgid: u32,
    /// Until the end of `wait`: a drop kills the group.
    armed: bool,
}

/// A run abandoned half-way leaves nothing behind.
impl Drop for Running {
    fn drop(&mut self) {
        if self.armed {
            kill_group(self.pgid, Signal::SIGKILL);
        }
    }
}

/// Starts `spec` (see the module's notes); its output lines go to `sink`. A closed sink is
/// not an error: the output is still read and counted. Must be called within a Tokio runtime.
pub fn spawn(spec: Spec, sink: mpsc::Sender<Line>) -> Result<Running, SpawnError> {
    let program = resolve_program(&spec.program)?;
    if let Some(dir) = &spec.workdir {
        check_workdir(dir)?;
    }
    let mut command = tokio::process::Command::new(&program);
    command
        .args(&spec.args)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(dir) = &spec.workdir {
        command.current_dir(dir);
    }
    let io_error = |source| SpawnError::Io {
        program: spec.program.clone(),
        source,
    };
    let started = Instant::now();
    let mut child = command.spawn().map_err(io_error)?;
    let (Some(pid), Some(stdout), Some(stderr)) =
        (child.id(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.start_kill();
        return Err(io_error(std::io::Error::other(
            "the child's pipes were not set up",
        )));
    };
    let cap = Arc::new(Mutex::new(Cap {
        max: spec.max_output_bytes,
        ..Cap::default()
    }));
    let (out_cap, err_cap) = (cap.clone(), cap.clone());
    let pipes = tokio::spawn(async move {
        tokio::join!(
            pump(stdout, Stream::Stdout, sink.clone(), out_cap),
            pump(stderr, Stream::Stderr, sink, err_cap),
        );
    });
    Ok(Running {
        child,
        pipes,
        cap,
        started,
        timeout: spec.timeout.min(FOREVER),
        grace: spec.grace.min(FOREVER),
        pgid: pid,
        armed: true,
    })
}

impl Running {
    /// The child's pid, which is also its process group id.
    pub fn pid(&self) -> u32 {
        self.pgid
    }

    /// Waits for the end: the child's exit AND both pipes drained (or, after a kill, at most ~1 s more for the pipes).
    /// On `cancel` becoming true, or the timeout: SIGTERM to the whole group, then SIGKILL to the group after `grace` if anything of the group is left.
    ///
    /// The timeout counts from the spawn and covers the pipes too: a process that keeps them
    /// open after the child exited is killed at the timeout (the outcome then has both the
    /// child's exit code and `timed_out`). A dropped `cancel` sender never cancels.
    pub async fn wait(self, mut cancel: watch::Receiver<bool>) -> Outcome {
        let mut run = self;
        // `None` until the child is reaped; `Some(None)` if reaping it failed.
        let mut status: Option<Option<ExitStatus>> = None;
        let mut drained = false;
        let deadline = tokio::time::sleep_until(run.started + run.timeout);
        let cancelled = async {
            if cancel.wait_for(|c| *c).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::pin!(deadline, cancelled);
        let stop = loop {
            if status.is_some() && drained {
                break None;
            }
            tokio::select! {
                biased;
                r = run.child.wait(), if status.is_none() => status = Some(r.ok()),
                _ = &mut run.pipes, if !drained => drained = true,
                () = &mut cancelled => break Some(Stop::Cancelled),
                () = &mut deadline => break Some(Stop::TimedOut),
            }
        };
        if stop.is_some() {
            run.stop_group(&mut status, drained).await;
        }
        run.armed = false;
        let status = status.flatten();
        let cap = lock(&run.cap);
        Outcome {
            exit_code: status.and_then(|s| s.code()),
            signal: status.and_then(|s| s.signal()),
            timed_out: stop == Some(Stop::TimedOut),
            cancelled: stop == Some(Stop::Cancelled),
            duration: run.started.elapsed(),
            bytes: cap.sent,
            dropped_bytes: cap.dropped,
        }
    }

    /// SIGTERM to the group, SIGKILL to it after the grace if anything of it is left, then a
    /// last moment for its end.
    async fn stop_group(&mut self, status: &mut Option<Option<ExitStatus>>, drained: bool) {
        let pgid = self.pgid;
        kill_group(pgid, Signal::SIGTERM);
        let grace_end = tokio::time::sleep(self.grace);
        tokio::pin!(grace_end);
        let mut killed = false;
        while status.is_none() || group_alive(pgid) {
            tokio::select! {
                r = self.child.wait(), if status.is_none() => *status = Some(r.ok()),
                () = tokio::time::sleep(GROUP_POLL), if status.is_some() => {}
                () = &mut grace_end => {
                    killed = kill_group(pgid, Signal::SIGKILL);
                    break;
                }
            }
        }
        let (child, pipes) = (&mut self.child, &mut self.pipes);
        let settle = async {
            if status.is_none() {
                *status = Some(child.wait().await.ok());
            }
            if !drained {
                let _ = pipes.await;
            }
            while killed && group_alive(pgid) {
                tokio::time::sleep(GROUP_POLL).await;
            }
        };
        if tokio::time::timeout(SETTLE_AFTER_KILL, settle)
            .await
            .is_err()
        {
            self.pipes.abort();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Cancelled,
    TimedOut,
}

/// Whether any process of group `pgid` is left: zombies not yet reaped by their parent count,
/// and so does a group of another user (EPERM). False for 0 and 1, which are not group ids here.
pub fn group_alive(pgid: u32) -> bool {
    group_pid(pgid).is_some_and(|pid| matches!(killpg(pid, None), Ok(()) | Err(Errno::EPERM)))
}

/// Sends `signal` to every process of group `pgid`; true when it was sent. Refuses 0, 1 and
/// the server's own group.
pub fn kill_group(pgid: u32, signal: Signal) -> bool {
    match group_pid(pgid) {
        Some(pid) if pid != getpgrp() => killpg(pid, signal).is_ok(),
        _ => false,
    }
}

/// A process's identity beyond its number, which the kernel gives again: this boot's id and
/// the process's start time (clock ticks after boot, `/proc/<pid>/stat` field 22). `None` when
/// the process is gone (or there is no `/proc`).
pub fn process_identity(pid: u32) -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`: the name may hold spaces and parentheses.
    let (_, after) = stat.rsplit_once(')')?;
    // After the name, the state is field 3, so the start time (field 22) is the 20th.
    let start = after.split_whitespace().nth(19)?;
    Some(format!("{}:{start}", boot.trim()))
}

fn group_pid(pgid: u32) -> Option<Pid> {
    let pgid = i32::try_from(pgid).ok()?;
    (pgid > 1).then(|| Pid::from_raw(pgid))
}

/// Resolves `program` to an executable file: an absolute path as is, a bare name against the
/// server's PATH (its empty and relative entries are skipped).
fn resolve_program(program: &str) -> Result<PathBuf, SpawnError> {
    let not_found = |detail: String| SpawnError::NotFound {
        program: program.to_owned(),
        detail,
    };
    if program.contains('/') {
        let path = Path::new(program);
        return match path.is_absolute() && is_executable(path) {
            true => Ok(path.to_path_buf()),
            false => Err(not_found(
                "a path must be absolute and name an executable file: fix it, or give a bare \
                 name found on the server's PATH"
                    .into(),
            )),
        };
    }
    let search = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&search)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| {
            not_found(format!(
                "no executable file of that name in the server's PATH ({}): install it there \
                 or give its absolute path",
                search.to_string_lossy()
            ))
        })
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn check_workdir(dir: &Path) -> Result<(), SpawnError> {
    let reason = match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => "is not a directory".to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "does not exist".to_owned(),
        Err(e) => format!("cannot be read ({e})"),
    };
    Err(SpawnError::Workdir {
        path: dir.to_path_buf(),
        reason,
    })
}

/// The output cap, shared by both streams (behind a mutex, never held across an await).
#[derive(Debug, Default)]
struct Cap {
    max: u64,
    sent: u64,
    dropped: u64,
    /// A line was dropped: every later one is too.
    full: bool,
}

impl Cap {
    /// Counts `cost` bytes; true when they may be sent.
    fn admit(&mut self, cost: usize) -> bool {
        let cost = cost as u64;
        self.full = self.full || self.sent.saturating_add(cost) > self.max;
        if self.full {
            self.dropped = self.dropped.saturating_add(cost);
        } else {
            self.sent += cost;
        }
        !self.full
    }
}

fn lock(cap: &Mutex<Cap>) -> MutexGuard<'_, Cap> {
    cap.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads `pipe` to its end, sending its lines to `sink` within the cap.
async fn pump(
    mut pipe: impl AsyncRead + Unpin,
    stream: Stream,
    sink: mpsc::Sender<Line>,
    cap: Arc<Mutex<Cap>>,
) {
    let mut sink_open = true;
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let mut eof = false;
    while !eof {
        let n = read(&mut pipe, &mut buf).await.unwrap_or(0);
        eof = n == 0;
        if lock(&cap).full {
            lock(&cap).admit(pending.len() + n); // counted as dropped, not split into lines
            pending.clear();
            continue;
        }
        pending.extend_from_slice(&buf[..n]);
        let mut start = 0;
        while let Some((len, cost)) = next_line(&pending[start..], eof) {
            let admitted = lock(&cap).admit(cost);
            if admitted && sink_open {
                let text = String::from_utf8_lossy(&pending[start..start + len]).into_owned();
                sink_open = sink.send(Line { stream, text }).await.is_ok();
            }
            start += cost;
        }
        pending.drain(..start);
    }
}

/// `AsyncReadExt::read` without tokio's `io-util` feature, which the workspace does not ask for.
async fn read(pipe: &mut (impl AsyncRead + Unpin), buf: &mut [u8]) -> std::io::Result<usize> {
    std::future::poll_fn(|cx| {
        let mut buf = ReadBuf::new(buf);
        let polled = std::pin::Pin::new(&mut *pipe).poll_read(cx, &mut buf);
        polled.map_ok(|()| buf.filled().len())
    })
    .await
}

/// The next line or piece at the start of `rest`: its length without the newline and its
/// length with it. None when more bytes are needed (at `eof`, when none are left).
fn next_line(rest: &[u8], eof: bool) -> Option<(usize, usize)> {
    let window = &rest[..rest.len().min(MAX_LINE_BYTES + 1)];
    if let Some(i) = window.iter().position(|&b| b == b'\n') {
        return Some((i, i + 1));
    }
    if rest.len() <= MAX_LINE_BYTES {
        return (eof && !rest.is_empty()).then_some((rest.len(), rest.len()));
    }
    // Cut before the character that straddles the limit: step back over continuation bytes
    // (at most 3, the most a UTF-8 character has); invalid bytes are cut at the limit.
    let is_continuation = |b: u8| b & 0xC0 == 0x80;
    let cut = (0..=3)
        .map(|back| MAX_LINE_BYTES - back)
        .find(|&c| !is_continuation(rest[c]))
        .unwrap_or(MAX_LINE_BYTES);
    Some((cut, cut))
}

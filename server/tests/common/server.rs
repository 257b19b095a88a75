//! A `nagare serve` process for tests that need real processes (SIGTERM, descriptors,
//! replicas, a crash).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `nagare serve` process with `toml` as its configuration and at most `fds` descriptors,
/// and the address it listens on.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    pub fn start(toml: &str, fds: u32, dir: &std::path::Path) -> Server {
        let config = dir.join("nagare.toml");
        std::fs::write(&config, toml).unwrap();
        let bin = env!("CARGO_BIN_EXE_nagare");
        let mut child = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "ulimit -n {fds} && exec \"$0\" --config \"$1\" serve"
            ))
            .arg(bin)
            .arg(&config)
            // Only the file configures it: the test's own NAGARE_* settings are not the server's.
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .map(str::to_owned);
        let Some(addr) = addr else {
            let mut why = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut why);
            panic!("the server did not start: {line:?} {why}");
        };
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = stderr.clone();
        let mut err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Server {
            child,
            addr,
            stderr,
        }
    }

    /// One request on a new connection: the status line and the whole reply.
    pub fn ask(&self, raw: &str, timeout: Duration) -> std::io::Result<String> {
        let mut s =
            TcpStream::connect_timeout(&self.addr.parse().unwrap(), Duration::from_secs(2))?;
        s.set_read_timeout(Some(timeout))?;
        s.write_all(raw.as_bytes())?;
        let mut reply = String::new();
        s.read_to_string(&mut reply)?;
        Ok(reply)
    }

    pub fn healthz(&self) -> std::io::Result<String> {
        self.ask(
            &format!(
                "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                self.addr
            ),
            Duration::from_secs(3),
        )
    }

    pub fn terminate(&mut self) -> Duration {
        let started = Instant::now();
        Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        loop {
            if self.child.try_wait().unwrap().is_some() {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "still running 30 s after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

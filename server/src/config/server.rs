//! `[server]`: where and how the HTTP server listens, and the bounds it keeps under load.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub bind: String,
    pub dist_dir: PathBuf,
    pub request_timeout_secs: u64,
    pub max_body_mb: u64,
    /// Host names answered besides the loopback names (local mode) or the host of
    /// `auth.redirect_url` (single sign-on): `name` (any port) or `name:port`.
    pub allowed_hosts: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (addresses or networks).
    pub trusted_proxies: Vec<String>,
    /// Open connections at most (kept below the file-descriptor limit at start).
    pub max_connections: u32,
    /// A connection that has not sent a request's headers within this many seconds is closed.
    pub header_read_timeout_secs: u64,
    /// On SIGTERM, requests in flight get this long to finish; then the server stops anyway.
    pub shutdown_grace_secs: u64,
    /// Megabytes of `POST /api/v1/events` bodies read and stored at once; more wait in line.
    pub ingest_buffer_mb: u32,
    /// API requests served at once; more wait in line.
    pub request_concurrency: u32,
    /// Metric and list computations at once (CPU work); 0: twice the number of cores.
    pub compute_concurrency: u32,
    /// Longest wait in line before a request is shed with 503 and `Retry-After`.
    pub queue_wait_ms: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: "127.0.0.1:8080".into(),
            dist_dir: "dist".into(),
            request_timeout_secs: 30,
            max_body_mb: 10,
            allowed_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            max_connections: 1000,
            header_read_timeout_secs: 10,
            shutdown_grace_secs: 10,
            ingest_buffer_mb: 40,
            request_concurrency: 64,
            compute_concurrency: 0,
            queue_wait_ms: 500,
        }
    }
}

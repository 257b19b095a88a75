//! The client's small parts: its endpoint, secrets and headers, times as Prometheus reads
//! them, and error texts (scrubbed, escaped, cut).

use super::*;

/// `{url}/api/v1/query_range`, or what is wrong with `slo.prometheus.url`.
pub(super) fn endpoint(url: &str) -> Result<Url, String> {
    let mut u = Url::parse(url.trim())
        .map_err(|e| format!("slo.prometheus.url: `{url}` is not an address ({e})"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!(
            "slo.prometheus.url: `{}` is not http(s); give the base address, for example \
             http://prometheus:9090",
            u.scheme()
        ));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(
            "slo.prometheus.url: holds a user name or password; give them as \
             slo.prometheus.username and password_file with auth = \"basic\""
                .into(),
        );
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(format!(
            "slo.prometheus.url: `{url}` has a query or fragment; give the base address only \
             (/api/v1/query_range is added to it)"
        ));
    }
    let path = format!("{}/api/v1/query_range", u.path().trim_end_matches('/'));
    u.set_path(&path);
    Ok(u)
}

/// The keys the auth kind does not use must not be set: a token given with `auth = "none"`
/// is a mistake, better named at start than found in the logs.
pub(super) fn unused(cfg: &PrometheusConfig, keys: &[&str]) -> Result<(), String> {
    for key in keys {
        let set = match *key {
            "username" => cfg.username.is_some(),
            "password_file" => cfg.password_file.is_some(),
            "token_file" => cfg.token_file.is_some(),
            "region" => cfg.region.is_some(),
            _ => false,
        };
        if set {
            let wants = match *key {
                "username" | "password_file" => "basic",
                "token_file" => "bearer",
                _ => "sigv4",
            };
            return Err(format!(
                "slo.prometheus.{key}: set, but auth is \"{}\", which does not use it; set \
                 auth = \"{wants}\" or remove the key",
                cfg.auth
            ));
        }
    }
    Ok(())
}

/// A secret file's content, without its final line break.
pub(super) fn read_secret(path: Option<&Path>, key: &str, auth: &str) -> Result<String, String> {
    let Some(path) = path else {
        return Err(format!(
            "slo.prometheus.{key}: required with auth = \"{auth}\" (a file holding the secret)"
        ));
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "slo.prometheus.{key}: cannot read {} ({e}); create it, readable by Nagare, with \
             the secret on one line",
            path.display()
        )
    })?;
    let secret = text.trim_end_matches(['\n', '\r']);
    if secret.trim().is_empty() {
        return Err(format!(
            "slo.prometheus.{key}: {} is empty; write the secret in it",
            path.display()
        ));
    }
    Ok(secret.to_owned())
}

/// A header value marked sensitive (never printed by `Debug`).
pub(super) fn sensitive(value: &str, key: &str) -> Result<HeaderValue, String> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        format!(
            "slo.prometheus.{key}: the secret holds a character a header cannot carry (a line \
             break inside, or a control character)"
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// The `host` header reqwest sends: the host, and the port unless it is the scheme's own.
pub(super) fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Milliseconds since the epoch as Prometheus' seconds: `1700000000.000`.
pub(super) fn seconds(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// A step in seconds: `60`, or `0.500` below or between whole seconds.
pub(super) fn step_seconds(ms: i64) -> String {
    if ms % 1000 == 0 {
        (ms / 1000).to_string()
    } else {
        seconds(ms)
    }
}

/// An error and its causes, as one line.
pub(super) fn causes(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    // One line: the credential chain lists each provider it tried on a line of its own.
    let line = parts
        .join(": ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    escaped(&line, 1000)
}

/// The first bytes of a body, as text with control characters escaped.
pub(super) fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(EXCERPT_BYTES)];
    let text = String::from_utf8_lossy(cut);
    let mut out = escaped(&text, EXCERPT_BYTES * 4);
    if body.len() > EXCERPT_BYTES {
        out.push('…');
    }
    out
}

/// `text` with control characters escaped (`\n`, `\u{1b}`), at most `max` characters.
pub(super) fn escaped(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

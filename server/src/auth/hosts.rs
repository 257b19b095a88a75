//! Which `Host` names this portal answers to (against DNS rebinding).

use std::sync::atomic::{AtomicU16, Ordering};

/// The hosts requests may name. In local mode: the loopback names on the port actually
/// listened on. With single sign-on: the host of the public URL (`auth.redirect_url`). In both:
/// `server.allowed_hosts`, where `name` allows any port and `name:port` that port only.
#[derive(Debug)]
pub struct HostPolicy {
    local: bool,
    /// The public URL's host, its port, and whether that port is its scheme's default.
    public: Option<(String, u16, bool)>,
    allowed: Vec<(String, Option<u16>)>,
    /// The port listened on (set once bound; port 0 in the config means "any free port").
    port: AtomicU16,
}

/// `host[:port]` (or `[v6]:port`) in lower case, with its port when it names one.
fn split(h: &str) -> Option<(String, Option<u16>)> {
    let h = h.trim().to_ascii_lowercase();
    if h.is_empty()
        || h.chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '@')
    {
        return None;
    }
    let (name, port) = if let Some(rest) = h.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?.parse().ok()?),
        };
        (format!("[{inside}]"), port)
    } else {
        match h.rsplit_once(':') {
            Some((name, p)) => (name.to_owned(), Some(p.parse().ok()?)),
            None => (h.clone(), None),
        }
    };
    (!name.is_empty()).then_some((name, port))
}

impl HostPolicy {
    /// From the configuration: `redirect_url` (empty in local mode), `allowed_hosts`, and the
    /// port of `server.bind` until [`HostPolicy::set_port`] says otherwise.
    pub fn new(
        local: bool,
        redirect_url: &str,
        allowed_hosts: &[String],
        port: u16,
    ) -> Result<HostPolicy, String> {
        let public = if local {
            None
        } else {
            let u = url::Url::parse(redirect_url).map_err(|e| format!("auth.redirect_url: {e}"))?;
            let host = u
                .host_str()
                .ok_or("auth.redirect_url has no host")?
                .to_ascii_lowercase();
            let port = u.port_or_known_default().unwrap_or(80);
            Some((host, port, u.port().is_none()))
        };
        let allowed = allowed_hosts
            .iter()
            .map(|h| {
                split(h).ok_or_else(|| {
                    format!("`{h}` is not a host name; write name or name:port, e.g. nagare.internal:8080")
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(HostPolicy {
            local,
            public,
            allowed,
            port: AtomicU16::new(port),
        })
    }

    /// The port actually listened on.
    pub fn set_port(&self, port: u16) {
        self.port.store(port, Ordering::Relaxed);
    }

    /// Whether a request naming `host` (a `Host` header or a URI authority) is for this portal.
    pub fn allows(&self, host: &str) -> bool {
        let Some((name, port)) = split(host) else {
            return false;
        };
        if self
            .allowed
            .iter()
            .any(|(n, p)| *n == name && (p.is_none() || *p == port))
        {
            return true;
        }
        if self.local {
            let listening = self.port.load(Ordering::Relaxed);
            // No port in the header means port 80.
            return matches!(name.as_str(), "127.0.0.1" | "localhost" | "[::1]")
                && port.unwrap_or(80) == listening;
        }
        match &self.public {
            Some((h, p, default)) => {
                *h == name && (port == Some(*p) || (port.is_none() && *default))
            }
            None => false,
        }
    }

    /// The accepted hosts, for the refusal message.
    pub fn describe(&self) -> String {
        let mut names: Vec<String> = Vec::new();
        if self.local {
            let p = self.port.load(Ordering::Relaxed);
            names.extend(["127.0.0.1", "localhost", "[::1]"].map(|h| format!("{h}:{p}")));
        }
        if let Some((h, p, default)) = &self.public {
            names.push(if *default {
                h.clone()
            } else {
                format!("{h}:{p}")
            });
        }
        names.extend(self.allowed.iter().map(|(n, p)| match p {
            Some(p) => format!("{n}:{p}"),
            None => n.clone(),
        }));
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_mode_answers_loopback_names_on_its_port_only() {
        let p = HostPolicy::new(true, "", &[], 8080).unwrap();
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "[::1]:8080",
        ] {
            assert!(p.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "127.0.0.1:9090",
            "localhost",
            "127.0.0.1.nip.io:8080",
            "[::1]",
            "",
            "localhost:8080@evil",
            "127.0.0.1:80800",
        ] {
            assert!(!p.allows(bad), "{bad}");
        }
        p.set_port(9090);
        assert!(p.allows("127.0.0.1:9090") && !p.allows("127.0.0.1:8080"));
    }

    #[test]
    fn single_sign_on_answers_its_public_host_and_the_allowed_list() {
        let allowed = ["nagare.internal".to_owned(), "10.0.0.5:8080".to_owned()];
        let p = HostPolicy::new(
            false,
            "https://Nagare.example.com/auth/callback",
            &allowed,
            8080,
        )
        .unwrap();
        for ok in [
            "nagare.example.com",
            "nagare.example.com:443",
            "nagare.internal:9000",
            "10.0.0.5:8080",
        ] {
            assert!(p.allows(ok), "{ok}");
        }
        for bad in [
            "nagare.example.com:8443",
            "127.0.0.1:8080",
            "10.0.0.5:9000",
            "evil.example",
        ] {
            assert!(!p.allows(bad), "{bad}");
        }
        let p = HostPolicy::new(false, "http://127.0.0.1:7000/auth/callback", &[], 7000).unwrap();
        assert!(p.allows("127.0.0.1:7000") && !p.allows("127.0.0.1"));
        assert!(HostPolicy::new(true, "", &["bad host".into()], 1).is_err());
    }
}

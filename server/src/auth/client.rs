//! The client's address: shown in the audit log, and the key failed sign-ins are counted by.

use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// `server.trusted_proxies`: addresses (`10.0.0.2`) and networks (`10.0.0.0/8`, `fd00::/8`)
/// whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses the list; an entry that is not an address or network is named in the error.
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        entries
            .iter()
            .map(|e| {
                let (ip, bits) = match e.split_once('/') {
                    Some((ip, bits)) => (ip, Some(bits)),
                    None => (e.as_str(), None),
                };
                let ip: IpAddr = ip.trim().parse().map_err(|_| {
                    format!("`{e}` is not an IP address or network (write 10.0.0.2 or 10.0.0.0/8)")
                })?;
                let max = if ip.is_ipv4() { 32 } else { 128 };
                let bits = match bits {
                    Some(b) => b
                        .trim()
                        .parse::<u8>()
                        .ok()
                        .filter(|b| *b <= max)
                        .ok_or_else(|| format!("`{e}`: the prefix length must be 0 to {max}"))?,
                    None => max,
                };
                Ok((ip, bits))
            })
            .collect::<Result<Vec<_>, String>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|(net, bits)| in_network(ip, *net, *bits))
    }
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (ip, net, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    if bits == 0 {
        return true;
    }
    let shift = width - u32::from(bits);
    (ip >> shift) == (net >> shift)
}

/// Where a request came from.
///
/// - `shown` is for the audit log: the TCP peer, and behind a proxy the first `X-Forwarded-For`
///   hop it reports (`203.0.113.7 via 10.0.0.2`). The peer part cannot be forged by the
///   client; the forwarded part is only as trustworthy as the proxy.
/// - `key` is the one address failed sign-ins are counted under: the TCP peer, or, when the
///   peer is a trusted proxy, the last `X-Forwarded-For` hop that is not one.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientAddr {
    pub shown: Option<String>,
    pub key: String,
}

impl ClientAddr {
    pub fn from_parts(
        headers: &HeaderMap,
        peer: Option<SocketAddr>,
        trusted: &TrustedProxies,
    ) -> ClientAddr {
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        let peer_ip = peer.map(|a| a.ip());
        let forwarded = hops.first().map(|h| nagare_core::text::printable(h, 60));
        let peer_text = peer_ip.map(|ip| ip.to_string());
        let shown = match (forwarded, peer_text.clone()) {
            (Some(f), Some(p)) if f != p => Some(format!("{f} via {p}")),
            (f, p) => p.or(f),
        };
        let key = match peer_ip {
            Some(ip) if trusted.contains(ip) => hops
                .iter()
                .rev()
                .filter_map(|h| h.parse::<IpAddr>().ok())
                .find(|hop| !trusted.contains(*hop))
                .unwrap_or(ip)
                .to_string(),
            Some(ip) => ip.to_string(),
            None => "unknown".to_owned(),
        };
        ClientAddr { shown, key }
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientAddr::from_parts(
            &parts.headers,
            peer,
            &state.trusted_proxies,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audited_address_is_the_peer_and_what_a_proxy_forwarded() {
        let none = TrustedProxies::default();
        let peer: SocketAddr = "10.0.0.2:51234".parse().unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(ClientAddr::from_parts(&h, None, &none).shown, None);
        let direct = ClientAddr::from_parts(&h, Some(peer), &none);
        assert_eq!(
            (direct.shown.as_deref(), direct.key.as_str()),
            (Some("10.0.0.2"), "10.0.0.2")
        );
        h.insert("x-forwarded-for", "203.0.113.7, 10.0.0.9".parse().unwrap());
        let forwarded = ClientAddr::from_parts(&h, Some(peer), &none);
        assert_eq!(forwarded.shown.as_deref(), Some("203.0.113.7 via 10.0.0.2"));
        // An untrusted peer's X-Forwarded-For never decides the key: it could be anything.
        assert_eq!(forwarded.key, "10.0.0.2");
        assert_eq!(
            ClientAddr::from_parts(&h, None, &none).shown.as_deref(),
            Some("203.0.113.7")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_key_is_the_last_untrusted_hop() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into(), "fd00::1".into()]).unwrap();
        let peer: SocketAddr = "10.0.0.2:4000".parse().unwrap();
        let mut h = HeaderMap::new();
        // The client forged the first hop; the proxy appended the real one.
        h.insert(
            "x-forwarded-for",
            "1.2.3.4, 198.51.100.8, 10.0.0.9".parse().unwrap(),
        );
        assert_eq!(
            ClientAddr::from_parts(&h, Some(peer), &trusted).key,
            "198.51.100.8"
        );
        let outsider: SocketAddr = "192.0.2.1:4000".parse().unwrap();
        assert_eq!(
            ClientAddr::from_parts(&h, Some(outsider), &trusted).key,
            "192.0.2.1"
        );
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.local".into()]).is_err());
        assert!(trusted.contains("10.200.1.1".parse().unwrap()));
        assert!(!trusted.contains("11.0.0.1".parse().unwrap()));
    }
}

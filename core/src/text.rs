//! Text that came from outside, made safe to echo in a message, a log line or a database row.

/// `s` with control characters escaped (`\n`, `\u{0}`) and cut to `max_chars` characters,
/// marked with `…` when cut.
pub fn printable(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars) + 8);
    for (n, c) in s.chars().enumerate() {
        if n == max_chars {
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

/// `s` cut to at most `max_chars` characters, with a note of how long it was when cut.
pub fn capped(s: &str, max_chars: usize) -> String {
    let total = s.chars().count();
    if total <= max_chars {
        return printable(s, max_chars);
    }
    format!(
        "{} [cut: {total} characters in all]",
        printable(s, max_chars).trim_end_matches('…')
    )
}

/// Text made safe to place in HTML, in content and in quoted attributes.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What a redacted value reads as.
pub const REDACTED: &str = "[redacted]";

/// Replaces the secret-looking values of a JSON document with [`REDACTED`], for showing a
/// kept payload: the values of keys that name a secret (`secret`, `token`, `password`,
/// `private_key`, `authorization`, `api_key`, `cookie`; not `…_url` links), strings that look
/// like GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), and the
/// credentials of URLs (`https://user:pass@host`). Returns how many values it replaced.
pub fn redact_json(v: &mut serde_json::Value) -> u32 {
    use serde_json::Value;
    fn secret_key(k: &str) -> bool {
        let k = k.to_ascii_lowercase();
        if k.ends_with("_url") || k.ends_with("url") {
            return false;
        }
        [
            "secret",
            "token",
            "password",
            "passwd",
            "private_key",
            "authorization",
            "api_key",
            "apikey",
            "cookie",
        ]
        .iter()
        .any(|s| k.contains(s))
    }
    fn secret_text(s: &str) -> bool {
        ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]
            .iter()
            .any(|p| s.trim_start().starts_with(p))
    }
    /// `scheme://user:pass@rest` → `scheme://[redacted]@rest`.
    fn url_credentials(s: &str) -> Option<String> {
        let start = s.find("://")? + 3;
        let end = start + s[start..].find(['/', '?', '#']).unwrap_or(s.len() - start);
        let at = s[start..end].rfind('@')? + start;
        s[start..at]
            .contains(':')
            .then(|| format!("{}{REDACTED}{}", &s[..start], &s[at..]))
    }
    match v {
        Value::Object(map) => {
            let mut n = 0;
            for (k, x) in map.iter_mut() {
                // A secret's value: text or a number (not absent, a flag, or a structure).
                let hidden = secret_key(k) && (x.is_string() || x.is_number());
                if hidden {
                    *x = Value::String(REDACTED.into());
                    n += 1;
                } else {
                    n += redact_json(x);
                }
            }
            n
        }
        Value::Array(items) => items.iter_mut().map(redact_json).sum(),
        Value::String(s) if secret_text(s) => {
            *s = REDACTED.into();
            1
        }
        Value::String(s) => match url_credentials(s) {
            Some(shown) => {
                *s = shown;
                1
            }
            None => 0,
        },
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_long_text_is_marked() {
        assert_eq!(printable("a\u{0}b\nc", 10), "a\\u{0}b\\nc");
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(printable("日本語テキスト", 3), "日本語…");
        let long = "x".repeat(600);
        let c = capped(&long, 512);
        assert!(c.starts_with(&"x".repeat(512)), "{c}");
        assert!(c.ends_with("[cut: 600 characters in all]"), "{c}");
        assert_eq!(capped("short", 512), "short");
    }

    #[test]
    fn secret_looking_values_are_redacted_and_nothing_else() {
        let mut v = serde_json::json!({
            "hook": { "config": { "secret": "abc", "url": "https://user:pw@example.com/hook?x=1", "insecure_ssl": "0" } },
            "installation": { "access_tokens_url": "https://api.github.com/app/installations/1/access_tokens" },
            "token": null,
            "has_secret": true,
            "commits": [{ "message": "uses ghp_0123456789abcdefghij", "note": "ghs_abcdefghijklmnop" }],
            "nested": { "Authorization": "Bearer x", "client_secret": 42 },
            "plain": "https://example.com/a@b",
        });
        assert_eq!(redact_json(&mut v), 5);
        assert_eq!(v["hook"]["config"]["secret"], REDACTED);
        assert_eq!(
            v["hook"]["config"]["url"],
            "https://[redacted]@example.com/hook?x=1"
        );
        assert_eq!(v["hook"]["config"]["insecure_ssl"], "0");
        assert_eq!(
            v["installation"]["access_tokens_url"],
            "https://api.github.com/app/installations/1/access_tokens"
        );
        assert!(v["token"].is_null());
        assert_eq!(v["has_secret"], true);
        // A message merely mentioning a token prefix mid-text is left; one that is a token goes.
        assert_eq!(v["commits"][0]["message"], "uses ghp_0123456789abcdefghij");
        assert_eq!(v["commits"][0]["note"], REDACTED);
        assert_eq!(v["nested"]["Authorization"], REDACTED);
        assert_eq!(v["nested"]["client_secret"], REDACTED);
        assert_eq!(v["plain"], "https://example.com/a@b");
    }
}

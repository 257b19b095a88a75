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
}

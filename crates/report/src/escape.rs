//! Escaping text for HTML and SVG (which is XML).
//!
//! Every string that comes from the data (titles, feature names, rules, notes)
//! goes through [`escape`] before it is put into the page, in element content
//! and in attribute values alike.

/// Escapes `&`, `<`, `>`, `"` and `'`, and replaces characters XML does not
/// allow (control characters other than tab, newline and carriage return, and
/// U+FFFE/U+FFFF) with U+FFFD, so the result is safe as HTML or SVG text and
/// inside a quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape(r#"<script>&"'"#), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(escape("plain text µ ∞"), "plain text µ ∞");
    }

    #[test]
    fn replaces_characters_xml_forbids() {
        assert_eq!(escape("a\u{0}b\u{1b}c\td\n"), "a\u{FFFD}b\u{FFFD}c\td\n");
        assert_eq!(escape("\u{FFFF}"), "\u{FFFD}");
    }
}

//! A small XML well-formedness checker, for tests.
//!
//! The page is written so that it is well-formed XML as well as HTML (void
//! elements are self-closed, `<style>` holds no `<` or `&`), which lets the
//! tests check the whole page and each SVG plot with one strict checker:
//! balanced and properly nested tags, quoted and unique attributes, only known
//! entities, no stray `<` or `&`, one root element. It is not a validator
//! (it knows nothing of which elements may go where).

/// Checks that `text` is a well-formed XML document (a leading `<!DOCTYPE ...>`,
/// comments and processing instructions are allowed). On failure, says what is
/// wrong and at which line.
pub fn check_xml(text: &str) -> Result<(), String> {
    Checker { s: text.as_bytes(), i: 0, text }.document()
}

struct Checker<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

impl Checker<'_> {
    fn error(&self, what: impl std::fmt::Display) -> String {
        let at = self.i.min(self.s.len());
        let line = self.text.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        let snippet: String = self.text.get(at..).unwrap_or("").chars().take(40).collect();
        format!("line {line}: {what} (at {snippet:?})")
    }

    fn starts(&self, p: &str) -> bool {
        self.s[self.i..].starts_with(p.as_bytes())
    }

    fn skip_until(&mut self, end: &str, what: &str) -> Result<(), String> {
        match self.text[self.i..].find(end) {
            Some(k) => {
                self.i += k + end.len();
                Ok(())
            }
            None => Err(self.error(format!("unterminated {what}"))),
        }
    }

    fn document(&mut self) -> Result<(), String> {
        let mut stack: Vec<String> = Vec::new();
        let mut roots = 0;
        while self.i < self.s.len() {
            if self.starts("<!--") {
                self.i += 4;
                self.skip_until("-->", "comment")?;
            } else if self.starts("<?") {
                self.skip_until("?>", "processing instruction")?;
            } else if self.starts("<!DOCTYPE") || self.starts("<!doctype") {
                if roots > 0 || !stack.is_empty() {
                    return Err(self.error("DOCTYPE after the root element started"));
                }
                self.skip_until(">", "DOCTYPE")?;
            } else if self.starts("<![CDATA[") {
                if stack.is_empty() {
                    return Err(self.error("CDATA outside the root element"));
                }
                self.skip_until("]]>", "CDATA section")?;
            } else if self.starts("</") {
                self.i += 2;
                let name = self.name()?;
                self.spaces();
                if !self.starts(">") {
                    return Err(self.error(format!("expected '>' to close </{name}")));
                }
                self.i += 1;
                match stack.pop() {
                    Some(open) if open == name => {}
                    Some(open) => return Err(self.error(format!("</{name}> closes <{open}>"))),
                    None => return Err(self.error(format!("</{name}> without an open element"))),
                }
            } else if self.starts("<") {
                if stack.is_empty() {
                    roots += 1;
                    if roots > 1 {
                        return Err(self.error("more than one root element"));
                    }
                }
                self.i += 1;
                let name = self.name()?;
                let self_closing = self.attributes(&name)?;
                if !self_closing {
                    stack.push(name);
                }
            } else {
                let start = self.i;
                while self.i < self.s.len() && self.s[self.i] != b'<' {
                    self.i += 1;
                }
                let chunk = &self.text[start..self.i];
                if stack.is_empty() && !chunk.trim().is_empty() {
                    self.i = start;
                    return Err(self.error("text outside the root element"));
                }
                if chunk.contains("]]>") {
                    self.i = start;
                    return Err(self.error("']]>' in text"));
                }
                self.entities(chunk, start)?;
            }
        }
        if let Some(open) = stack.last() {
            return Err(self.error(format!("<{open}> is never closed")));
        }
        if roots == 0 {
            return Err(self.error("no root element"));
        }
        Ok(())
    }

    fn name(&mut self) -> Result<String, String> {
        let start = self.i;
        while self.i < self.s.len() && (self.s[self.i].is_ascii_alphanumeric() || b":_-.".contains(&self.s[self.i])) {
            self.i += 1;
        }
        if start == self.i || !(self.s[start].is_ascii_alphabetic() || self.s[start] == b'_' || self.s[start] == b':') {
            return Err(self.error("expected a name"));
        }
        Ok(self.text[start..self.i].to_string())
    }

    fn spaces(&mut self) -> bool {
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
        self.i > start
    }

    /// Reads attributes up to `>` or `/>`; returns whether the tag closed itself.
    fn attributes(&mut self, element: &str) -> Result<bool, String> {
        let mut seen: Vec<String> = Vec::new();
        loop {
            let had_space = self.spaces();
            if self.starts("/>") {
                self.i += 2;
                return Ok(true);
            }
            if self.starts(">") {
                self.i += 1;
                return Ok(false);
            }
            if self.i >= self.s.len() {
                return Err(self.error(format!("unterminated <{element}")));
            }
            if !had_space {
                return Err(self.error(format!("expected a space before an attribute of <{element}>")));
            }
            let name = self.name()?;
            if seen.contains(&name) {
                return Err(self.error(format!("attribute {name} repeated on <{element}>")));
            }
            self.spaces();
            if !self.starts("=") {
                return Err(self.error(format!("attribute {name} of <{element}> has no value")));
            }
            self.i += 1;
            self.spaces();
            let quote = match self.s.get(self.i) {
                Some(&q) if q == b'"' || q == b'\'' => q,
                _ => return Err(self.error(format!("attribute {name} of <{element}> is not quoted"))),
            };
            self.i += 1;
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i] != quote {
                if self.s[self.i] == b'<' {
                    return Err(self.error(format!("'<' in attribute {name}")));
                }
                self.i += 1;
            }
            if self.i >= self.s.len() {
                return Err(self.error(format!("unterminated value of attribute {name}")));
            }
            let value = &self.text[start..self.i];
            self.entities(value, start)?;
            self.i += 1;
            seen.push(name);
        }
    }

    /// Every `&` in `chunk` must start a known entity or a character reference.
    fn entities(&self, chunk: &str, offset: usize) -> Result<(), String> {
        let mut rest = chunk;
        let mut at = offset;
        while let Some(k) = rest.find('&') {
            let after = &rest[k + 1..];
            let end = after.find(';').filter(|&e| e <= 10);
            let ok = end.is_some_and(|e| {
                let name = &after[..e];
                matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
                    || name.strip_prefix("#x").is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
                    || name.strip_prefix('#').is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
            });
            if !ok {
                let me = Checker { s: self.s, i: at + k, text: self.text };
                return Err(me.error("'&' that does not start an entity"));
            }
            at += k + 1;
            rest = after;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::check_xml;

    #[test]
    fn accepts_well_formed_documents() {
        check_xml("<svg a=\"1\" b='2'><g><text>x &amp; y &#39; &#x27;</text></g><rect/></svg>").unwrap();
        check_xml("<!DOCTYPE html>\n<html><!-- c < & --><head><meta charset=\"utf-8\"/></head><body/></html>\n").unwrap();
    }

    #[test]
    fn rejects_malformed_documents() {
        for bad in [
            "<a><b></a></b>",
            "<a>",
            "</a>",
            "<a></a><b></b>",
            "<a>x < y</a>",
            "<a>x & y</a>",
            "<a>&nbsp;</a>",
            "<a b=1></a>",
            "<a b=\"1\" b=\"2\"></a>",
            "<a b=\"<\"></a>",
            "<a b=\"1\"c=\"2\"></a>",
            "text<a></a>",
            "",
            "<a><!-- never closed</a>",
        ] {
            assert!(check_xml(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn errors_name_the_line() {
        let err = check_xml("<a>\n<b>\n</a>").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
    }
}

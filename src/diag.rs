//! Diagnostics: every problem fabchart finds in a topology, with the file, line and column,
//! the offending line, and a hint on how to fix it. Stages push into one [`Diagnostics`]
//! sink so that a run reports all errors, not only the first.

use std::fmt::Write as _;

/// A position in a source file: 1-based line, 0-based column (in characters), and the
/// width of the offending text (in characters, at least 1 when rendered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub line: usize,
    pub col: usize,
    pub len: usize,
}

impl Span {
    pub fn new(line: usize, col: usize, len: usize) -> Self {
        Span { line, col, len }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// Where in the file; `None` for problems of the file as a whole (empty, not UTF-8...).
    pub span: Option<Span>,
    /// How to fix it, one line each.
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic { severity: Severity::Error, message: message.into(), span, help: vec![] }
    }
    pub fn warning(message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic { severity: Severity::Warning, message: message.into(), span, help: vec![] }
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }
}

/// The problems found in one source file.
#[derive(Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }
    pub fn error(&mut self, span: Option<Span>, message: impl Into<String>) -> &mut Diagnostic {
        self.items.push(Diagnostic::error(message, span));
        self.items.last_mut().unwrap()
    }
    pub fn warning(&mut self, span: Option<Span>, message: impl Into<String>) -> &mut Diagnostic {
        self.items.push(Diagnostic::warning(message, span));
        self.items.last_mut().unwrap()
    }
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Error).count()
    }
    pub fn warning_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Warning).count()
    }
    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }
    /// Errors first, each group in file order, so the report reads top to bottom.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut v: Vec<&Diagnostic> = self.items.iter().collect();
        v.sort_by_key(|d| (d.severity, d.span.map(|s| (s.line, s.col)).unwrap_or((0, 0))));
        v
    }
}

impl Diagnostic {
    pub fn add_help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help.push(help.into());
        self
    }
}

/// Renders diagnostics the way compilers do:
///
/// ```text
/// error: unknown key `Templete` in PeerOrgs[0]
///   --> topology.yaml:5:5
///    |
///  5 |     Templete: {Count: 2}
///    |     ^^^^^^^^
///    = help: did you mean `Template`?
/// ```
pub fn render(file: &str, source: &str, diags: &Diagnostics) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let mut out = String::new();
    let sorted = diags.sorted();
    for d in sorted.iter().take(MAX_SHOWN) {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{kind}: {}", clean(&d.message));
        match d.span {
            Some(s) => {
                // A position past the end (an unclosed bracket on the last line) is shown
                // at the end of the last line.
                let (line, col) = if s.line > lines.len() && !lines.is_empty() {
                    let last = lines.iter().rposition(|l| !l.trim().is_empty()).unwrap_or(lines.len() - 1);
                    (last + 1, lines[last].chars().count())
                } else {
                    (s.line, s.col)
                };
                let num = line.to_string();
                let pad = " ".repeat(num.len());
                let _ = writeln!(out, "{pad}--> {file}:{line}:{}", col + 1);
                if let Some(text) = line.checked_sub(1).and_then(|i| lines.get(i)) {
                    let (shown, caret_col) = window(text, col);
                    let width = shown.chars().count();
                    let len = s.len.max(1).min(width.saturating_sub(caret_col).max(1));
                    let _ = writeln!(out, "{pad} |");
                    let _ = writeln!(out, "{num} | {}", shown.trim_end());
                    let _ = writeln!(out, "{pad} | {}{}", " ".repeat(caret_col), "^".repeat(len));
                }
                for h in &d.help {
                    let _ = writeln!(out, "{pad} = help: {}", clean(h));
                }
            }
            None => {
                let _ = writeln!(out, " --> {file}");
                for h in &d.help {
                    let _ = writeln!(out, "  = help: {}", clean(h));
                }
            }
        }
        out.push('\n');
    }
    if sorted.len() > MAX_SHOWN {
        let _ = writeln!(out, "... and {} more (fix the ones above first: they often cause the rest)\n", sorted.len() - MAX_SHOWN);
    }
    out
}

/// At most this many diagnostics are printed; the summary still counts all of them.
const MAX_SHOWN: usize = 100;
/// Source lines are shown at most this wide, around the column.
const MAX_WIDTH: usize = 100;

/// The part of a line to show (printable, at most `MAX_WIDTH` characters around `col`) and
/// the caret's column within it.
fn window(text: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = text.chars().map(printable).collect();
    let col = col.min(chars.len());
    if chars.len() <= MAX_WIDTH {
        return (chars.into_iter().collect(), col);
    }
    let start = col.saturating_sub(MAX_WIDTH / 2).min(chars.len().saturating_sub(MAX_WIDTH));
    let end = (start + MAX_WIDTH).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    let mut caret = col - start;
    if start > 0 {
        shown.insert_str(0, "...");
        caret += 3;
    }
    if end < chars.len() {
        shown.push_str("...");
    }
    (shown, caret)
}

/// Messages quote user text (org names...): keep control characters out of the terminal.
fn clean(s: &str) -> String {
    s.chars().map(printable).collect()
}

/// Control characters would garble a terminal; show them as `?`.
fn printable(c: char) -> char {
    if c == '\t' {
        ' '
    } else if c.is_control() {
        '?'
    } else {
        c
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be the intended one.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(&'a str, f64)> = None;
    for &c in candidates {
        if differ_only_in_digits(word, c) {
            continue; // `Org3` is not a typo of `Org1`, nor `2.2` of `2.5`
        }
        let score = if c.to_ascii_lowercase() == lower {
            2.0
        } else {
            strsim::jaro_winkler(&lower, &c.to_ascii_lowercase())
        };
        if score >= 0.8 && best.is_none_or(|(_, b)| score > b) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

/// Same length, and every differing character is a digit on both sides.
fn differ_only_in_digits(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a != b
        && a.chars().zip(b.chars()).all(|(x, y)| x == y || (x.is_ascii_digit() && y.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("Templete", &["Template", "Specs"]), Some("Template"));
        assert_eq!(did_you_mean("template", &["Template", "Specs"]), Some("Template"));
        assert_eq!(did_you_mean("Org3", &["Org1", "Org2"]), None);
        assert_eq!(did_you_mean("2.2", &["1.4", "2.5", "3.1"]), None);
        assert_eq!(did_you_mean("Xyzzy", &["Template", "Specs"]), None);
    }
}

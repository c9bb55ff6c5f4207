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
    for d in diags.sorted() {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{kind}: {}", d.message);
        match d.span {
            Some(s) => {
                let num = s.line.to_string();
                let pad = " ".repeat(num.len());
                let _ = writeln!(out, "{pad}--> {file}:{}:{}", s.line, s.col + 1);
                if let Some(text) = s.line.checked_sub(1).and_then(|i| lines.get(i)) {
                    let text: String = text.chars().map(printable).collect();
                    let width = text.chars().count();
                    let col = s.col.min(width);
                    let len = s.len.max(1).min(width.saturating_sub(col).max(1));
                    let _ = writeln!(out, "{pad} |");
                    let _ = writeln!(out, "{num} | {}", text.trim_end());
                    let _ = writeln!(out, "{pad} | {}{}", " ".repeat(col), "^".repeat(len));
                }
                for h in &d.help {
                    let _ = writeln!(out, "{pad} = help: {h}");
                }
            }
            None => {
                let _ = writeln!(out, " --> {file}");
                for h in &d.help {
                    let _ = writeln!(out, "  = help: {h}");
                }
            }
        }
        out.push('\n');
    }
    out
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

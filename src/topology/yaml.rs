//! A YAML document as a tree of nodes that remember where they came from.
//!
//! serde-based YAML loading stops at the first problem and forgets positions; fabchart
//! reports every problem with its line and column, so it builds this tree from
//! saphyr-parser's positioned events and decodes it by hand (see `decode.rs`).
//! The builder is iterative (no recursion, so deep nesting cannot overflow the stack),
//! expands aliases and `<<` merge keys within a node budget (no "billion laughs"), and
//! caps nesting depth.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::diag::{Diagnostic, Span};

/// At most this many nodes, aliases expanded: far above any real topology.
const NODE_BUDGET: usize = 1_000_000;
/// At most this nesting depth: a topology needs about 6.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    /// A scalar's text; `plain` is false for quoted and block scalars (never typed).
    Scalar { text: String, plain: bool },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

impl Node {
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing (null)",
            Value::Scalar { plain: false, .. } => "a quoted string",
            Value::Scalar { text, plain: true } => {
                if parse_int_checked(text).is_some() {
                    "a number"
                } else if parse_bool(text).is_some() {
                    "a boolean"
                } else {
                    "a string"
                }
            }
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
    fn count(&self) -> usize {
        match &self.value {
            Value::Seq(v) => 1 + v.iter().map(Node::count).sum::<usize>(),
            Value::Map(v) => 1 + v.iter().map(|(k, v)| k.count() + v.count()).sum::<usize>(),
            _ => 1,
        }
    }
}

/// A YAML 1.1 integer as Go's yaml.v2 reads it (cryptogen's parser): decimal, `0x` hex,
/// `0o`/leading-zero octal, `0b` binary, optional sign and `_` separators.
/// `Some(Err(()))` for a well-formed integer too large for 64 bits.
pub fn parse_int_checked(text: &str) -> Option<Result<i64, ()>> {
    let t = text.replace('_', "");
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let (radix, digits) = if let Some(h) = body.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = body.strip_prefix("0o") {
        (8, o)
    } else if let Some(b) = body.strip_prefix("0b") {
        (2, b)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    Some(i64::from_str_radix(digits, radix).map(|v| if neg { -v } else { v }).map_err(|_| ()))
}

pub fn parse_int(text: &str) -> Option<i64> {
    parse_int_checked(text)?.ok()
}

/// YAML 1.1 booleans, as cryptogen's parser (gopkg.in/yaml.v2) accepts them.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            Some(false)
        }
        _ => None,
    }
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn span_of(s: &saphyr_parser::Span) -> Span {
    let len = if s.end.line() == s.start.line() {
        s.end.index().saturating_sub(s.start.index())
    } else {
        1
    };
    Span::new(s.start.line(), s.start.col(), len)
}

enum Frame {
    Seq { items: Vec<Node>, span: Span, anchor: usize },
    Map { entries: Vec<(Node, Node)>, key: Option<Node>, span: Span, anchor: usize },
}

/// Parses one YAML document. `Ok(None)` for an empty document; `Err` holds the one
/// syntax error the parser stopped at (YAML syntax errors cannot be recovered from).
pub fn parse(source: &str) -> Result<Option<Node>, Diagnostic> {
    let mut parser = Parser::new_from_str(source);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut budget = 0usize;
    while let Some(ev) = parser.next_event() {
        let (event, raw_span) = ev.map_err(|e| syntax_error(source, e.info(), e.marker().line(), e.marker().col()))?;
        let span = span_of(&raw_span);
        let finished: Option<(Node, usize)> = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(Diagnostic::error(
                        "a topology is one YAML document, but this file holds several",
                        Some(span),
                    )
                    .help("remove the `---` separator and merge the documents, or split them into files"));
                }
                None
            }
            Event::Scalar(text, style, anchor, tag) => {
                // `!!str 5` is a string; `!!int "5"` and `!!bool "true"` are typed as if plain.
                let tag = tag.as_ref().map(|t| t.suffix.as_str());
                let plain = match tag {
                    Some("str") => false,
                    Some("int" | "bool" | "float") => true,
                    _ => style == ScalarStyle::Plain,
                };
                let value = if plain && tag.is_none() && is_null(&text) {
                    Value::Null
                } else {
                    Value::Scalar { text: text.into_owned(), plain }
                };
                Some((Node { value, span }, anchor))
            }
            Event::SequenceStart(anchor, _) => {
                push_frame(&mut stack, Frame::Seq { items: vec![], span, anchor }, span)?;
                None
            }
            Event::MappingStart(anchor, _) => {
                push_frame(&mut stack, Frame::Map { entries: vec![], key: None, span, anchor }, span)?;
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { items, span, anchor }) => Some((Node { value: Value::Seq(items), span }, anchor)),
                _ => return Err(internal(span)),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map { entries, span, anchor, .. }) => {
                    Some((Node { value: Value::Map(apply_merge_keys(entries)), span }, anchor))
                }
                _ => return Err(internal(span)),
            },
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) => {
                    budget += n.count();
                    let mut n = n.clone();
                    n.span = span;
                    Some((n, 0))
                }
                None => {
                    return Err(Diagnostic::error("alias refers to an unknown anchor", Some(span))
                        .help("define the anchor (`&name`) before using it (`*name`)"));
                }
            },
            _ => None,
        };
        if let Some((node, anchor)) = finished {
            budget += 1;
            if budget > NODE_BUDGET {
                return Err(Diagnostic::error(
                    format!("the document expands to more than {NODE_BUDGET} YAML nodes (through aliases?)"),
                    Some(span),
                )
                .help("a topology needs a few thousand nodes at most; remove the alias chain"));
            }
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map { entries, key, .. }) => match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
            }
        }
    }
    Ok(root)
}

fn push_frame(stack: &mut Vec<Frame>, f: Frame, span: Span) -> Result<(), Diagnostic> {
    if stack.len() >= MAX_DEPTH {
        return Err(Diagnostic::error(
            format!("the document nests deeper than {MAX_DEPTH} levels"),
            Some(span),
        )
        .help("a topology nests about 6 levels deep; check for runaway brackets"));
    }
    stack.push(f);
    Ok(())
}

fn internal(span: Span) -> Diagnostic {
    Diagnostic::error("YAML parser produced an unbalanced event stream", Some(span))
}

/// `<<: *base` (or `<<: [*a, *b]`) merges the entries of the referenced mappings that the
/// mapping does not set itself, as Go's yaml.v2 does for cryptogen and configtxgen.
fn apply_merge_keys(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    let is_merge = |k: &Node| matches!(&k.value, Value::Scalar { text, plain: true } if text == "<<");
    if !entries.iter().any(|(k, _)| is_merge(k)) {
        return entries;
    }
    let mut own: Vec<(Node, Node)> = Vec::new();
    let mut merged: Vec<(Node, Node)> = Vec::new();
    for (k, v) in entries {
        if is_merge(&k) {
            let sources = match v.value {
                Value::Seq(items) => items,
                _ => vec![v],
            };
            for s in sources {
                match s.value {
                    Value::Map(es) => merged.extend(es),
                    _ => own.push((k.clone(), s)), // left for the decoder to reject
                }
            }
        } else {
            own.push((k, v));
        }
    }
    let key_text = |n: &Node| match &n.value {
        Value::Scalar { text, .. } => Some(text.clone()),
        _ => None,
    };
    for (k, v) in merged {
        let t = key_text(&k);
        if t.is_some() && own.iter().any(|(ok, _)| key_text(ok) == t) {
            continue;
        }
        own.push((k, v));
    }
    own
}

/// A parser error with a position the user can act on and a hint for the usual causes.
fn syntax_error(source: &str, info: &str, line: usize, col: usize) -> Diagnostic {
    let lines: Vec<&str> = source.lines().collect();
    let (mut line, mut col) = (line, col);
    let words: Vec<&str> = info.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    let help = if words.contains(&"tab") || words.contains(&"tabs") {
        // The scanner may stop on the line before the tab: point at the tab itself.
        if let Some((i, c)) = (line.saturating_sub(1)..(line + 2).min(lines.len()))
            .find_map(|i| lines[i].find('\t').map(|c| (i, c)))
        {
            line = i + 1;
            col = lines[i][..c].chars().count();
        }
        "YAML does not allow tabs for indentation: indent with spaces"
    } else if info.contains("unprintable") {
        "remove the control character (shown as `?` below); a topology is plain text"
    } else if info.contains("unknown anchor") {
        "define the anchor (`&name`) before using it (`*name`)"
    } else if info.contains("recursion limit") {
        "the document nests far too deep: check for runaway `[` or `{`"
    } else if info.contains("','") || info.contains("']'") || info.contains("'}'") || info.contains("flow") {
        "a `[` or `{` is not closed: close it on the same line, or write the list in block style"
    } else {
        "check the indentation and the quoting on this line and the one above it (a `[` or `{` left open above also ends up here)"
    };
    Diagnostic::error(format!("YAML syntax error: {info}"), Some(Span::new(line, col, 1))).help(help)
}

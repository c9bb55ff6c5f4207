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
                if parse_int(text).is_some() {
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

/// YAML 1.1 integers as Go's yaml.v2 reads them in a config: decimal, optionally signed.
pub fn parse_int(text: &str) -> Option<i64> {
    let t = text.replace('_', "");
    let digits = t.strip_prefix(['+', '-']).unwrap_or(&t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
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
        let (event, raw_span) = ev.map_err(|e| {
            let m = e.marker();
            Diagnostic::error(format!("YAML syntax error: {}", e.info()), Some(Span::new(m.line(), m.col(), 1)))
                .help("check the indentation and the quoting on this line and the one above it")
        })?;
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
                let plain = style == ScalarStyle::Plain;
                let forced_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let value = if plain && !forced_str && is_null(&text) {
                    Value::Null
                } else {
                    Value::Scalar { text: text.into_owned(), plain: plain && !forced_str }
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

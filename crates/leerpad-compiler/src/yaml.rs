//! YAML with positions.
//!
//! serde_yaml parses and deserialises; it reports a syntax error's position but
//! not where a value sits in the file. For that a second, lazy pass with yaml-rust2's
//! event parser records where every key and value starts, keyed by its path. The pass
//! only runs when a diagnostic needs a position, so valid files pay nothing for it.
//!
//! Deserialisation reports every problem in a document, not just the first: after an
//! error it removes the offending node and tries again.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_yaml::Value;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diagnostic::{Diagnostic, Diagnostics, Position};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Where a node sits in a YAML document: `questions[2].options[0].correct`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YPath(Vec<Seg>);

impl YPath {
    pub fn root() -> Self {
        YPath(Vec::new())
    }

    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }

    pub fn parent(&self) -> Option<YPath> {
        let mut p = self.clone();
        p.0.pop().map(|_| p)
    }

    pub fn last(&self) -> Option<&Seg> {
        self.0.last()
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for YPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct NodePos {
    key: Option<Position>,
    value: Option<Position>,
}

/// Positions of every node, relative to the start of the YAML text.
#[derive(Debug, Default)]
struct SourceMap {
    nodes: BTreeMap<YPath, NodePos>,
}

enum Frame {
    /// `first` is true until the first key is seen: a mapping is located at its
    /// first key, because the parser marks a block mapping's start imprecisely.
    Map {
        path: YPath,
        key: Option<String>,
        complex_key: bool,
        first: bool,
    },
    Seq {
        path: YPath,
        next: usize,
    },
}

#[derive(Default)]
struct MapBuilder<'t> {
    lines: Vec<&'t str>,
    map: SourceMap,
    stack: Vec<Frame>,
    done: bool,
}

impl MapBuilder<'_> {
    /// The path of the node starting now, recording a key if the parent expects one.
    /// Returns `None` when the node is a mapping key.
    fn node_path(&mut self, mark: Position, scalar: Option<&str>) -> Option<YPath> {
        match self.stack.last_mut() {
            None => Some(YPath::root()),
            Some(Frame::Seq { path, next }) => Some(path.index(*next)),
            Some(Frame::Map {
                path,
                key,
                complex_key,
                first,
            }) => match key.take() {
                Some(k) => Some(path.key(&k)),
                None => {
                    let name = scalar.map(str::to_string).unwrap_or_default();
                    let p = path.key(&name);
                    *complex_key = scalar.is_none();
                    let mark = locate_key(&self.lines, mark, &name);
                    if std::mem::take(first) {
                        self.map.nodes.entry(path.clone()).or_default().value = Some(mark);
                    }
                    self.map.nodes.entry(p).or_default().key = Some(mark);
                    *key = Some(name);
                    None
                }
            },
        }
    }

    /// Called when a value (scalar or finished container) is complete.
    fn value_done(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Seq { next, .. }) => *next += 1,
            Some(Frame::Map {
                key, complex_key, ..
            }) => {
                if *complex_key {
                    *complex_key = false;
                } else {
                    *key = None;
                }
            }
            None => self.done = true,
        }
    }
}

impl MarkedEventReceiver for MapBuilder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.done {
            return;
        }
        let pos = Position::new(mark.line(), mark.col() + 1);
        match ev {
            Event::Scalar(ref s, ..) => {
                if let Some(p) = self.node_path(pos, Some(s)) {
                    self.map.nodes.entry(p).or_default().value = Some(pos);
                    self.value_done();
                }
            }
            Event::Alias(_) => {
                if let Some(p) = self.node_path(pos, Some("*alias")) {
                    self.map.nodes.entry(p).or_default().value = Some(pos);
                    self.value_done();
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let path = match self.node_path(pos, None) {
                    Some(p) => {
                        self.map.nodes.entry(p.clone()).or_default().value = Some(pos);
                        p
                    }
                    // A mapping or sequence used as a key: give it a throwaway path.
                    None => YPath::root().key("\u{0}complex-key"),
                };
                self.stack.push(if is_map {
                    Frame::Map {
                        path,
                        key: None,
                        complex_key: false,
                        first: true,
                    }
                } else {
                    Frame::Seq { path, next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.value_done();
            }
            _ => {}
        }
    }
}

/// The parser marks a key scalar after its `: `; find where the key itself starts
/// on that line.
fn locate_key(lines: &[&str], mark: Position, key: &str) -> Position {
    let Some(line) = lines.get(mark.line - 1) else {
        return mark;
    };
    let upto = line
        .char_indices()
        .nth(mark.column - 1)
        .map_or(line.len(), |(b, _)| b);
    match line[..upto].rfind(key) {
        Some(b) if !key.is_empty() => Position::new(mark.line, line[..b].chars().count() + 1),
        _ => mark,
    }
}

impl SourceMap {
    fn build(text: &str) -> Self {
        let mut builder = MapBuilder {
            lines: text.lines().collect(),
            ..Default::default()
        };
        // A document that yaml-rust2 cannot parse still yields the positions seen so far.
        let _ = Parser::new_from_str(text).load(&mut builder, false);
        builder.map
    }
}

/// One YAML document: its text, where it starts in its file, and its parsed value.
pub struct YamlDoc<'a> {
    pub file: PathBuf,
    text: &'a str,
    origin: Position,
    pub value: Value,
    map: OnceCell<SourceMap>,
    /// Nodes that had errors and were pruned by [`Self::deserialize`].
    pruned: RefCell<BTreeSet<YPath>>,
}

impl<'a> YamlDoc<'a> {
    /// Parses `text`, which starts at `origin` in `file` (line 1 for a whole file,
    /// later for front matter). Reports a syntax error and returns `None` when the
    /// text is not YAML.
    pub fn parse(
        file: &Path,
        text: &'a str,
        origin: Position,
        diags: &mut Diagnostics,
    ) -> Option<Self> {
        match serde_yaml::from_str::<Value>(text) {
            Ok(value) => Some(YamlDoc {
                file: file.to_path_buf(),
                text,
                origin,
                value,
                map: OnceCell::new(),
                pruned: RefCell::default(),
            }),
            Err(err) => {
                let pos = err
                    .location()
                    .map(|l| Position::new(l.line(), l.column()))
                    .unwrap_or(Position::START)
                    .within(origin);
                diags.push(
                    Diagnostic::error(
                        "yaml-syntax",
                        file,
                        pos,
                        format!("invalid YAML: {}", strip_location(&err.to_string())),
                    )
                    .with_hint(yaml_syntax_hint(&err.to_string())),
                );
                None
            }
        }
    }

    fn map(&self) -> &SourceMap {
        self.map.get_or_init(|| SourceMap::build(self.text))
    }

    /// Where the value at `path` starts; falls back to the nearest ancestor.
    pub fn pos(&self, path: &YPath) -> Position {
        let mut p = Some(path.clone());
        while let Some(cur) = p {
            if let Some(n) = self.map().nodes.get(&cur) {
                if let Some(v) = n.value.or(n.key) {
                    return v.within(self.origin);
                }
            }
            p = cur.parent();
        }
        self.origin
    }

    /// Where the key of the mapping entry at `path` starts; falls back to `pos`.
    pub fn key_pos(&self, path: &YPath) -> Position {
        match self.map().nodes.get(path).and_then(|n| n.key) {
            Some(k) => k.within(self.origin),
            None => self.pos(path),
        }
    }

    pub fn error(
        &self,
        code: &'static str,
        path: &YPath,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::error(code, &self.file, self.pos(path), message)
    }

    pub fn warning(
        &self,
        code: &'static str,
        path: &YPath,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::warning(code, &self.file, self.pos(path), message)
    }

    /// Deserialises the document into `T`, reporting every problem found.
    ///
    /// After an error the offending node is pruned and deserialisation tried again:
    /// a mapping entry is removed, a list element is replaced by null (so the other
    /// elements keep their index; lists whose elements may be pruned hold `Option`s),
    /// and if null does not fit either, the whole list is removed. What remains is
    /// returned, so later checks can look at the healthy parts; [`Self::is_pruned`]
    /// tells them which parts had errors. `None` means nothing usable remained.
    pub fn deserialize<T: DeserializeOwned>(&self, diags: &mut Diagnostics) -> Option<T> {
        let mut value = self.value.clone();
        if value.is_null() {
            value = Value::Mapping(Default::default());
        }
        // Nodes an earlier hint said should exist (`titel` → `title`).
        let mut implied: BTreeSet<YPath> = BTreeSet::new();
        for _ in 0..64 {
            let err = match serde_path_to_error::deserialize::<_, T>(&value) {
                Ok(t) => return Some(t),
                Err(err) => err,
            };
            let path = convert_path(err.path());
            let message = err.inner().to_string();
            let found = self.classify(&path, &message);
            let mut culprit = match found.culprit {
                Culprit::Node => path.clone(),
                Culprit::Field(f) => path.key(&f),
            };
            let nulled_before = self.pruned.borrow().contains(&culprit);
            let consequence = nulled_before
                || (found.diagnostic.code == "missing-field"
                    && missing_field_name(&message).is_some_and(|f| {
                        self.pruned.borrow().contains(&path.key(f))
                            || implied.contains(&path.key(f))
                    }));
            if !consequence {
                diags.push(found.diagnostic);
            }
            implied.extend(found.implies);
            // Prune the culprit and try again, to find the next problem.
            if nulled_before {
                // Null did not fit this list: remove the list itself.
                while let Some(Seg::Index(_)) = culprit.last() {
                    culprit = culprit.parent()?;
                }
            }
            if culprit.is_root() || !prune(&mut value, &culprit) {
                return None;
            }
            self.pruned.borrow_mut().insert(culprit);
        }
        None
    }

    /// Whether deserialisation pruned `path` or anything inside it.
    pub fn is_pruned(&self, path: &YPath) -> bool {
        self.pruned
            .borrow()
            .iter()
            .any(|p| p.0.starts_with(&path.0))
    }

    /// Turns a serde error message at `path` into a diagnostic, and says which node
    /// to remove before trying again.
    fn classify(&self, path: &YPath, message: &str) -> Classified {
        let found = |diagnostic: Diagnostic, culprit: Culprit| Classified {
            diagnostic,
            culprit,
            implies: None,
        };
        if let Some(rest) = message.strip_prefix("unknown field `") {
            let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
            let known = backticked(expected);
            // serde_path_to_error may or may not have put the unknown key on the path.
            let (map, culprit) = match path.last() {
                Some(Seg::Key(k)) if k == field => {
                    (path.parent().unwrap_or_default(), Culprit::Node)
                }
                _ => (path.clone(), Culprit::Field(field.to_string())),
            };
            let d = Diagnostic::error(
                "unknown-field",
                &self.file,
                self.key_pos(&map.key(field)),
                format!("unknown field `{field}`"),
            )
            .with_hint(suggest(field, &known, "field"));
            return Classified {
                implies: closest(field, &known).map(|k| map.key(k)),
                ..found(d, culprit)
            };
        }
        if let Some(field) = missing_field_name(message) {
            let d = Diagnostic::error(
                "missing-field",
                &self.file,
                self.pos(path),
                format!("missing field `{field}`"),
            )
            .with_hint(format!("add `{field}: …`{}", at_path(path)));
            return found(d, Culprit::Node);
        }
        if let Some(rest) = message.strip_prefix("unknown variant `") {
            let (variant, expected) = rest.split_once('`').unwrap_or((rest, ""));
            let known = backticked(expected);
            let d = Diagnostic::error(
                "invalid-value",
                &self.file,
                self.pos(path),
                format!("`{variant}` is not a valid value for `{}`", last_key(path)),
            )
            .with_hint(suggest(variant, &known, "value"));
            return found(d, Culprit::Node);
        }
        if message.starts_with("an id ") {
            let raw = value_at(&self.value, path)
                .and_then(scalar_string)
                .unwrap_or_default();
            let d = Diagnostic::error(
                "invalid-id",
                &self.file,
                self.pos(path),
                format!("invalid id `{raw}`: {message}"),
            )
            .with_hint(format!("try `{}`", leerpad_core::Id::suggest(&raw)));
            return found(d, Culprit::Node);
        }
        if message.starts_with("invalid type") || message.starts_with("invalid length") {
            let msg = format!(
                "wrong type for `{}`: {}",
                last_key(path),
                plain_type_message(message)
            );
            let d = Diagnostic::error("wrong-type", &self.file, self.pos(path), msg)
                .with_hint(type_hint(message));
            return found(d, Culprit::Node);
        }
        let d = Diagnostic::error(
            "invalid-value",
            &self.file,
            self.pos(path),
            format!("invalid value for `{}`: {message}", last_key(path)),
        );
        found(d, Culprit::Node)
    }
}

struct Classified {
    diagnostic: Diagnostic,
    culprit: Culprit,
    /// A node that the hint tells the trainer to write (the suggestion for a typo).
    implies: Option<YPath>,
}

/// What to remove to get past an error at a path.
enum Culprit {
    /// The node at the error's path.
    Node,
    /// A field of the mapping at the error's path.
    Field(String),
}

fn missing_field_name(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// Prunes the node at `path`: removes a mapping entry, or nulls a list element.
fn prune(value: &mut Value, path: &YPath) -> bool {
    let Some((last, parents)) = path.0.split_last() else {
        return false;
    };
    let mut cur = value;
    for seg in parents {
        let next = match (seg, cur) {
            (Seg::Key(k), Value::Mapping(m)) => m.get_mut(k.as_str()),
            (Seg::Index(i), Value::Sequence(s)) => s.get_mut(*i),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return false,
        }
    }
    match (last, cur) {
        (Seg::Key(k), Value::Mapping(m)) => m.remove(k.as_str()).is_some(),
        (Seg::Index(i), Value::Sequence(s)) => match s.get_mut(*i) {
            Some(v) if !v.is_null() => {
                *v = Value::Null;
                true
            }
            _ => false,
        },
        _ => false,
    }
}

pub fn value_at<'v>(value: &'v Value, path: &YPath) -> Option<&'v Value> {
    let mut cur = value;
    for seg in &path.0 {
        cur = match seg {
            Seg::Key(k) => cur.get(k.as_str())?,
            Seg::Index(i) => cur.get(*i)?,
        };
    }
    Some(cur)
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn convert_path(path: &serde_path_to_error::Path) -> YPath {
    use serde_path_to_error::Segment;
    let mut out = YPath::root();
    for seg in path.iter() {
        out = match seg {
            Segment::Seq { index } => out.index(*index),
            Segment::Map { key } => out.key(key),
            Segment::Enum { .. } | Segment::Unknown => out,
        };
    }
    out
}

fn last_key(path: &YPath) -> String {
    path.0
        .iter()
        .rev()
        .find_map(|s| match s {
            Seg::Key(k) => Some(k.clone()),
            Seg::Index(_) => None,
        })
        .unwrap_or_else(|| "document".to_string())
}

fn at_path(path: &YPath) -> String {
    if path.is_root() {
        String::new()
    } else {
        format!(" under `{path}`")
    }
}

/// The names between backticks in a serde "expected one of `a`, `b`" list.
fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The known name closest to `got`, if any is close enough to be a typo.
fn closest<'k>(got: &str, known: &'k [String]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(&got.to_lowercase(), k), k))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.as_str())
}

/// "did you mean `title`?" when a known name is close, else the list of known names.
pub fn suggest(got: &str, known: &[String], what: &str) -> String {
    match closest(got, known) {
        Some(k) => format!("did you mean `{k}`?"),
        None if known.is_empty() => format!("remove this {what}"),
        None => format!(
            "expected one of {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Rewrites serde's "invalid type: string \"x\", expected u32" in a trainer's words:
/// "expected a whole number, found text \"x\"".
fn plain_type_message(message: &str) -> String {
    let Some(rest) = message.strip_prefix("invalid type: ") else {
        return message.to_string();
    };
    let (found, expected) = rest
        .rsplit_once(", expected ")
        .unwrap_or((rest, "something else"));
    let found = if let Some(v) = found.strip_prefix("string ") {
        format!("text {v}")
    } else if let Some(v) = found
        .strip_prefix("integer ")
        .or(found.strip_prefix("floating point "))
    {
        format!("the number {}", v.trim_matches('`'))
    } else if let Some(v) = found.strip_prefix("boolean ") {
        format!("the boolean {}", v.trim_matches('`'))
    } else {
        match found {
            "sequence" => "a list".to_string(),
            "map" => "a mapping".to_string(),
            "unit value" => "nothing".to_string(),
            other => other.to_string(),
        }
    };
    let expected = match expected {
        e if e.starts_with(['u', 'i'])
            && e.len() > 1
            && e[1..].chars().all(|c| c.is_ascii_digit()) =>
        {
            "a whole number"
        }
        "a string" => "text",
        "a sequence" => "a list",
        "a boolean" => "true or false",
        e if e.starts_with("struct ") || e == "a map" => "a mapping of fields",
        e => e,
    };
    format!("expected {expected}, found {found}")
}

fn type_hint(message: &str) -> String {
    if message.contains("expected a boolean") {
        "write `true` or `false` (YAML 1.2: `yes` and `no` are text)".into()
    } else if message.contains("expected a sequence") {
        "write a list, one `- item` per line".into()
    } else if message.contains("expected struct") || message.contains("expected a map") {
        "write a mapping of `key: value` lines, indented under this key".into()
    } else if message.contains("expected u") || message.contains("expected i") {
        "write a whole number without quotes or units".into()
    } else if message.contains("expected a string") {
        "write text; put quotes around it if it starts with a special character".into()
    } else {
        "check the value against docs/course-format.md".into()
    }
}

fn yaml_syntax_hint(message: &str) -> String {
    if message.contains("mapping values are not allowed") {
        "a value that contains `: ` must be quoted, e.g. title: \"Toets: de basis\"".into()
    } else if message.contains("found character that cannot start any token") {
        "YAML indents with spaces, not tabs; and `@` or a backtick cannot start plain text: quote it".into()
    } else if message.contains("did not find expected") {
        "check the indentation and that every quote and bracket is closed".into()
    } else {
        "check indentation (spaces only) and quote values with special characters".into()
    }
}

fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions(text: &str) -> SourceMap {
        SourceMap::build(text)
    }

    #[test]
    fn source_map_records_keys_and_values() {
        let text =
            "id: a\nquestions:\n  - id: q1\n    options:\n      - text: x\n        correct: true\n";
        let map = positions(text);
        let p = YPath::root()
            .key("questions")
            .index(0)
            .key("options")
            .index(0)
            .key("correct");
        let n = map.nodes.get(&p).unwrap();
        assert_eq!(n.key, Some(Position::new(6, 9)));
        assert_eq!(n.value, Some(Position::new(6, 18)));
        let q = YPath::root().key("questions").index(0).key("id");
        assert_eq!(map.nodes.get(&q).unwrap().value, Some(Position::new(3, 9)));
    }

    #[test]
    fn source_map_handles_flow_style_and_nesting() {
        let map = positions("a: [1, {b: 2}]\nc: {d: [x]}\n");
        let b = YPath::root().key("a").index(1).key("b");
        assert_eq!(map.nodes.get(&b).unwrap().key, Some(Position::new(1, 9)));
        let d0 = YPath::root().key("c").key("d").index(0);
        assert_eq!(map.nodes.get(&d0).unwrap().value, Some(Position::new(2, 9)));
    }

    #[test]
    fn suggestions_find_close_names() {
        let known = vec!["id".to_string(), "title".to_string()];
        assert_eq!(suggest("titel", &known, "field"), "did you mean `title`?");
        assert_eq!(
            suggest("zzz", &known, "field"),
            "expected one of `id`, `title`"
        );
    }
}

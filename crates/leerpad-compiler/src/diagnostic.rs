//! Problems found in course sources, and how they are shown to trainers.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::WriteColor};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A position in a source file; line and column count from 1, columns in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub const START: Position = Position { line: 1, column: 1 };

    pub fn new(line: usize, column: usize) -> Self {
        Position {
            line: line.max(1),
            column: column.max(1),
        }
    }

    /// The position of byte `offset` in `text`.
    pub fn of_offset(text: &str, offset: usize) -> Self {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Position { line, column }
    }

    /// The byte offset of this position in `text`, clamped to the text.
    pub fn offset_in(self, text: &str) -> usize {
        let mut offset = 0;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            if i + 1 == self.line {
                let col = line
                    .char_indices()
                    .nth(self.column.saturating_sub(1))
                    .map_or(line.trim_end_matches('\n').len(), |(b, _)| b);
                return offset + col;
            }
            offset += line.len();
        }
        text.len()
    }

    /// Moves this position, found in a fragment that starts at `origin` of a file,
    /// into the file's coordinates.
    pub fn within(self, origin: Position) -> Position {
        if self.line == 1 {
            Position::new(origin.line, origin.column + self.column - 1)
        } else {
            Position::new(origin.line + self.line - 1, self.column)
        }
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Short, stable, kebab-case code, listed in `docs/course-format.md`.
    pub code: &'static str,
    pub file: PathBuf,
    #[serde(flatten)]
    pub position: Position,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(
        code: &'static str,
        file: &Path,
        position: Position,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            file: file.to_path_buf(),
            position,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(
        code: &'static str,
        file: &Path,
        position: Position,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, position, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Every problem found in one run, in a stable order.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// Adds `d` and returns it, so a hint can be attached afterwards.
    pub fn push_mut(&mut self, d: Diagnostic) -> &mut Diagnostic {
        self.items.push(d);
        self.items.last_mut().expect("just pushed")
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.items.iter()
    }

    /// Sorts by file, then position, then code, and drops exact repeats.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (&a.file, a.position, a.code, &a.message)
                .cmp(&(&b.file, b.position, b.code, &b.message))
        });
        self.items.dedup();
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }

    /// Writes one JSON object per line.
    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        for d in &self.items {
            serde_json::to_writer(&mut *out, d)?;
            writeln!(out)?;
        }
        Ok(())
    }

    /// Writes rustc-style reports with the offending source line, reading each file's
    /// text through `source` (which returns `None` for files that cannot be shown).
    pub fn write_human(
        &self,
        out: &mut dyn WriteColor,
        source: &dyn Fn(&Path) -> Option<String>,
    ) -> io::Result<()> {
        let mut files = SimpleFiles::new();
        let mut ids: Vec<(PathBuf, usize)> = Vec::new();
        let config = term::Config::default();
        for d in &self.items {
            let file_id = match ids.iter().find(|(p, _)| p == &d.file) {
                Some((_, id)) => *id,
                None => {
                    let text = source(&d.file).unwrap_or_default();
                    let id = files.add(d.file.display().to_string(), text);
                    ids.push((d.file.clone(), id));
                    id
                }
            };
            let text = files
                .get(file_id)
                .map(|f| f.source().clone())
                .unwrap_or_default();
            let mut report = match d.severity {
                Severity::Error => Report::error(),
                Severity::Warning => Report::warning(),
            }
            .with_code(d.code)
            .with_message(&d.message);
            if !text.is_empty() {
                let start = d.position.offset_in(&text);
                let end = token_end(&text, start);
                report = report.with_labels(vec![Label::primary(file_id, start..end)]);
            } else {
                report = report.with_notes(vec![format!(
                    "at {}:{}:{}",
                    d.file.display(),
                    d.position.line,
                    d.position.column
                )]);
            }
            if let Some(hint) = &d.hint {
                report = report.with_notes(vec![format!("help: {hint}")]);
            }
            term::emit(out, &config, &files, &report).map_err(io::Error::other)?;
        }
        Ok(())
    }
}

/// The end of the word that starts at `start`, for underlining it.
fn token_end(text: &str, start: usize) -> usize {
    let rest = &text[start..];
    let len = rest
        .find(|c: char| c.is_whitespace() || c == ':' || c == ',')
        .unwrap_or(rest.len());
    if len == 0 {
        (start + rest.chars().next().map_or(0, char::len_utf8)).min(text.len())
    } else {
        start + len
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_through_offsets() {
        let text = "ab\ncdé\nf";
        for offset in [0, 1, 3, 5, 8] {
            let p = Position::of_offset(text, offset);
            assert_eq!(p.offset_in(text), offset, "{p:?}");
        }
        assert_eq!(Position::of_offset(text, 3), Position::new(2, 1));
    }

    #[test]
    fn positions_move_into_the_enclosing_file() {
        let origin = Position::new(10, 5);
        assert_eq!(Position::new(1, 3).within(origin), Position::new(10, 7));
        assert_eq!(Position::new(3, 2).within(origin), Position::new(12, 2));
    }
}

//! Uniqueness of ids within a scope (a course, or a scenario's steps).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use leerpad_core::Id;

use crate::diagnostic::{Diagnostic, Diagnostics, Position};

#[derive(Default)]
pub struct IdScope {
    first: HashMap<Id, (PathBuf, Position)>,
    /// Shown in "first used at": paths are displayed relative to this folder.
    base: PathBuf,
}

impl IdScope {
    pub fn new(base: &Path) -> Self {
        IdScope {
            first: HashMap::new(),
            base: base.to_path_buf(),
        }
    }

    /// Records `id`; reports `duplicate-id` when it was seen before in this scope.
    /// Returns whether the id was new.
    pub fn claim(
        &mut self,
        id: &Id,
        file: &Path,
        pos: Position,
        scope: &str,
        diags: &mut Diagnostics,
    ) -> bool {
        if let Some((first_file, first_pos)) = self.first.get(id) {
            let shown = first_file.strip_prefix(&self.base).unwrap_or(first_file);
            diags.push(
                Diagnostic::error(
                    "duplicate-id",
                    file,
                    pos,
                    format!(
                        "duplicate id `{id}`, first used at {}:{}",
                        shown.display(),
                        first_pos.line
                    ),
                )
                .with_hint(format!(
                    "ids must be unique within {scope}; give one of them another id"
                )),
            );
            return false;
        }
        self.first.insert(id.clone(), (file.to_path_buf(), pos));
        true
    }
}

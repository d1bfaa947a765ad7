//! What a refused publish would have orphaned: learner data on ids removed from
//! the sources. Its own module, so the store's error type can carry it without
//! depending on publishing.

use std::fmt;

use leerpad_core::TrackableKind;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removal {
    pub id: String,
    pub kind: TrackableKind,
    /// Learners with progress, attempts, answers, runs or reflections on it.
    pub learners: i64,
}

/// The items a refused publish would have orphaned, per course.
#[derive(Debug, Clone)]
pub struct Orphans {
    pub courses: Vec<(String, Vec<Removal>)>,
}

impl fmt::Display for Orphans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "publishing would orphan learner data; nothing was published:"
        )?;
        for (course, removals) in &self.courses {
            for r in removals.iter().filter(|r| r.learners > 0) {
                writeln!(
                    f,
                    "  {course}: {} `{}` was removed, {} learner(s) have data on it",
                    r.kind.as_str(),
                    r.id,
                    r.learners
                )?;
            }
        }
        write!(
            f,
            "restore those ids in the sources (renaming a file keeps its id), or publish with --allow-orphans to archive them; archived items keep their history"
        )
    }
}

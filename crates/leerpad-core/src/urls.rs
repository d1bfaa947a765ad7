//! The URLs that compiled content links to.
//!
//! The compiler rewrites links between lessons and links to assets into these paths,
//! and the web server serves them; keeping both here means they cannot drift apart.

use crate::Id;

/// The page of one item (lesson, quiz or scenario) of a course.
pub fn item(course: &Id, item: &Id) -> String {
    format!("/courses/{course}/{item}")
}

/// A file from a course's `assets/` folder; `path` is relative to that folder.
pub fn asset(course: &Id, path: &str) -> String {
    format!("/assets/{course}/{path}")
}

//! The URLs that compiled content links to.
//!
//! The compiler rewrites links between lessons and links to assets into these paths,
//! and the web server serves them; keeping both here means they cannot drift apart.

use crate::Id;

/// The page of one item (lesson, quiz or scenario) of a course.
pub fn item(course: &Id, item: &Id) -> String {
    format!("/courses/{course}/{item}")
}

/// The `n`th image (from 1) of a lesson, on a page of its own at full size.
pub fn figure(course: &Id, item: &Id, n: usize) -> String {
    format!("/courses/{course}/{item}/figures/{n}")
}

/// A file from a course's `assets/` folder; `path` is relative to that folder.
pub fn asset(course: &Id, path: &str) -> String {
    format!("/assets/{course}/{path}")
}

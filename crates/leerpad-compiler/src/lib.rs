//! The Leerpad course compiler.
//!
//! Reads course sources (YAML and Markdown, see `docs/course-format.md`), checks them,
//! and produces the compiled [`leerpad_core::Course`]. It never touches a database:
//! publishing is the store's job. Every problem becomes a [`Diagnostic`] with file,
//! line, column, a code and usually a hint, and all problems are reported in one run.

mod compile;
pub mod diagnostic;
mod guess;
mod ids;
pub mod markdown;
mod quiz;
mod scenario;
mod schema;
pub mod source;
mod yaml;

pub use compile::{
    compile_paths, compile_tree, discover, order_prefix, Compiled, COURSE_FILE, MODULE_FILE,
};
pub use diagnostic::{Diagnostic, Diagnostics, Position, Severity};
pub use source::{SourceFile, SourceTree};

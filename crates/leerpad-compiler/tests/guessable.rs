//! The checks for guessable questions: each on a small course, their silences, and
//! the bundled courses, which must pass them.

mod common;

use std::path::PathBuf;

use common::show;
use leerpad_compiler::{compile_paths, Diagnostic};

/// The codes of the guessability checks and of their silences.
const CODES: &[&str] = &[
    "longest-correct",
    "predictable-position",
    "true-false-balance",
    "all-of-the-above",
    "double-negative",
    "longest-best-choice",
    "allow-without-reason",
    "unused-allow",
];

fn guess_warnings(diags: &[Diagnostic]) -> Vec<Diagnostic> {
    diags
        .iter()
        .filter(|d| CODES.contains(&d.code))
        .cloned()
        .collect()
}

#[test]
fn the_valid_fixtures_have_no_guessable_questions() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid");
    let compiled = compile_paths(&[fixtures]);
    let found = guess_warnings(&compiled.diagnostics.into_vec());
    assert!(
        found.is_empty(),
        "{} warnings:\n{}",
        found.len(),
        show(&found)
    );
}

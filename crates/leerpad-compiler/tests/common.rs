//! A small valid course built in memory, which tests mutate one file at a time.
#![allow(dead_code)]

use leerpad_compiler::{compile_tree, Diagnostic, SourceTree};

pub const ROOT: &str = "c";

pub const BASE: &[(&str, &str)] = &[
    (
        "course.yaml",
        "id: base\ntitle: Basis\nlanguage: nl\nsummary: Een cursus.\nduration_minutes: 10\n",
    ),
    ("01-m/module.yaml", "id: m1\ntitle: Module\n"),
    (
        "01-m/01-les.md",
        "---\nid: les\ntitle: Les\n---\n\nTekst met een [link](02-les.md).\n",
    ),
    (
        "01-m/02-les.md",
        "---\nid: les2\ntitle: Les twee\n---\n\n![Een afbeelding](../assets/a.png)\n",
    ),
    ("assets/a.png", "png"),
    (
        "01-m/03-toets.quiz.yaml",
        "id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: single_choice\n    prompt: Vraag?\n    options:\n      - text: Ja\n        correct: true\n      - text: Nee\n",
    ),
    (
        "01-m/04-sc.scenario.yaml",
        "id: sc\ntitle: Scenario\nsteps:\n  - id: a\n    text: Begin\n    choices:\n      - label: Verder\n        next: b\n  - id: b\n    text: Einde\n    ending:\n      outcome: best\n      debrief: Goed.\n",
    ),
];

/// The base course with `changes` applied: `Some(text)` replaces or adds a file,
/// `None` removes it.
pub fn tree(changes: &[(&str, Option<&str>)]) -> SourceTree {
    let mut t = SourceTree::new(ROOT);
    for (path, text) in BASE {
        if !changes.iter().any(|(p, _)| p == path) {
            t.add_text(path, text.as_bytes());
        }
    }
    for (path, text) in changes {
        if let Some(text) = text {
            t.add_text(path, text.as_bytes());
        }
    }
    t
}

pub fn diagnostics(changes: &[(&str, Option<&str>)]) -> Vec<Diagnostic> {
    compile_tree(&tree(changes)).1.into_vec()
}

pub fn show(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| {
            format!(
                "  {:?} {} {}:{}:{} {}",
                d.severity,
                d.code,
                d.file.display(),
                d.position.line,
                d.position.column,
                d.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

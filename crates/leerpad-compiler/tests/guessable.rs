//! The checks for guessable questions: each on a small course, their silences, and
//! the bundled courses, which must pass them.

mod common;

use std::path::PathBuf;

use common::{diagnostics, show};
use leerpad_compiler::{compile_paths, Diagnostic, Severity};
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

const QUIZ: &str = "01-m/03-toets.quiz.yaml";
const SCENARIO: &str = "01-m/04-sc.scenario.yaml";
const EN_COURSE: &str =
    "id: base\ntitle: Base\nlanguage: en\nsummary: A course.\nduration_minutes: 10\n";

/// A quiz of single-choice questions, each given as (options, index of the correct
/// one), with `extra` YAML at the quiz level.
fn choice_quiz(extra: &str, questions: &[(&[&str], usize)]) -> String {
    let mut q = format!("id: toets\ntitle: Toets\n{extra}questions:\n");
    for (n, (options, correct)) in questions.iter().enumerate() {
        q.push_str(&format!(
            "  - id: q{n}\n    type: single_choice\n    prompt: Vraag {n}?\n    options:\n"
        ));
        for (i, o) in options.iter().enumerate() {
            q.push_str(&format!("      - text: {o}\n"));
            if i == *correct {
                q.push_str("        correct: true\n");
            }
        }
    }
    q
}

/// A quiz of true/false questions with these answers.
fn true_false_quiz(answers: &[bool]) -> String {
    let mut q = String::from("id: toets\ntitle: Toets\nquestions:\n");
    for (n, a) in answers.iter().enumerate() {
        q.push_str(&format!(
            "  - id: q{n}\n    type: true_false\n    prompt: Stelling {n}.\n    answer: {a}\n"
        ));
    }
    q
}

/// Options of about equal length, so that length gives nothing away.
const EVEN: &[&str] = &["Het stille midden", "De bruggenbouwer", "De trekkers ervan"];

struct Case {
    name: &'static str,
    changes: Vec<(&'static str, String)>,
    code: &'static str,
    file: &'static str,
    at: (usize, usize),
    says: &'static str,
}

fn cases() -> Vec<Case> {
    let long = "Iemand uit het midden, zoals een ambtenaar die beide kanten wil bedienen";
    vec![
        Case {
            name: "correct option clearly the longest",
            changes: vec![(QUIZ, choice_quiz("", &[(&[long, "Een trekker", "Een meeloper"], 0)]))],
            code: "longest-correct",
            file: QUIZ,
            at: (8, 15),
            says: "clearly the longest (72 characters, the longest other option 12)",
        },
        Case {
            name: "correct option longest in most questions",
            changes: vec![(
                QUIZ,
                choice_quiz(
                    "shuffle_options: true\n",
                    &[
                        (&["Het stille midden", "Trekker", "Meeloper"], 0),
                        (&["Trekker", "Het stille midden", "Meeloper"], 1),
                        (&["Trekker", "Meeloper", "Het stille midden"], 2),
                        (&["Het stille midden", "Trekker", "Meeloper"], 0),
                    ],
                ),
            )],
            code: "longest-correct",
            file: QUIZ,
            at: (4, 1),
            says: "in 4 of 4 single-choice questions of this quiz the correct option is the longest",
        },
        Case {
            name: "correct option always first",
            changes: vec![(QUIZ, choice_quiz("", &[(EVEN, 0), (EVEN, 0), (EVEN, 0)]))],
            code: "predictable-position",
            file: QUIZ,
            at: (3, 1),
            says: "in 3 of 3 single-choice questions of this quiz the correct option is option 1",
        },
        Case {
            name: "correct option always last",
            changes: vec![(
                QUIZ,
                choice_quiz(
                    "",
                    &[(EVEN, 2), (&EVEN[..2], 1), (EVEN, 2), (&EVEN[..2], 1), (EVEN, 2)],
                ),
            )],
            code: "predictable-position",
            file: QUIZ,
            at: (3, 1),
            says: "the correct option is the last option",
        },
        Case {
            name: "true/false answers all false",
            changes: vec![(QUIZ, true_false_quiz(&[false; 5]))],
            code: "true-false-balance",
            file: QUIZ,
            at: (3, 1),
            says: "5 of 5 true/false answers of this quiz are `false`",
        },
        Case {
            name: "alle bovenstaande",
            changes: vec![(QUIZ, choice_quiz("", &[(&["Trekker", "Meeloper", "Alle bovenstaande"], 2)]))],
            code: "all-of-the-above",
            file: QUIZ,
            at: (10, 15),
            says: "\"alle bovenstaande\" as an option",
        },
        Case {
            name: "none of the above",
            changes: vec![
                ("course.yaml", EN_COURSE.to_string()),
                (QUIZ, choice_quiz("", &[(&["Pusher", "Joiner", "None of the above."], 1)])),
            ],
            code: "all-of-the-above",
            file: QUIZ,
            at: (11, 15),
            says: "none of the above",
        },
        Case {
            name: "geen van beide",
            changes: vec![(QUIZ, choice_quiz("", &[(&["Trekker", "Meeloper", "Geen van beide"], 0)]))],
            code: "all-of-the-above",
            file: QUIZ,
            at: (11, 15),
            says: "geen van beide",
        },
        Case {
            name: "Dutch double negative",
            changes: vec![(
                QUIZ,
                "id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: true_false\n    prompt: Het is niet onjuist dat polarisatie een gedachteconstructie is.\n    answer: true\n".to_string(),
            )],
            code: "double-negative",
            file: QUIZ,
            at: (6, 13),
            says: "(`niet`, `onjuist`)",
        },
        Case {
            name: "English double negative",
            changes: vec![
                ("course.yaml", EN_COURSE.to_string()),
                (
                    QUIZ,
                    "id: quiz\ntitle: Quiz\nquestions:\n  - id: q1\n    type: true_false\n    prompt: A mayor should never not respond to a threat.\n    answer: false\n".to_string(),
                ),
            ],
            code: "double-negative",
            file: QUIZ,
            at: (6, 13),
            says: "(`never`, `not`)",
        },
        Case {
            name: "best choice clearly the longest",
            changes: vec![(
                SCENARIO,
                "id: sc\ntitle: S\nsteps:\n  - id: a\n    text: T\n    choices:\n      - label: Alles verwijderen\n        next: slecht\n      - label: De huisregels vastpinnen en de vragen beantwoorden\n        next: goed\n  - id: slecht\n    text: E\n    ending:\n      outcome: poor\n      debrief: D\n  - id: goed\n    text: E\n    ending:\n      outcome: best\n      debrief: D\n".to_string(),
            )],
            code: "longest-best-choice",
            file: SCENARIO,
            at: (9, 16),
            says: "leads to the best ending is clearly the longest (50 characters, the longest other choice 17)",
        },
        Case {
            name: "best choice longest in every step",
            changes: vec![(SCENARIO, chain_scenario(5))],
            code: "longest-best-choice",
            file: SCENARIO,
            at: (3, 1),
            says: "in 5 of 5 steps of this scenario the choice that leads to the best ending is the longest",
        },
        Case {
            name: "a silence without a reason",
            changes: vec![(
                QUIZ,
                choice_quiz("allow:\n  predictable-position:\n", &[(EVEN, 0), (EVEN, 0), (EVEN, 0)]),
            )],
            code: "allow-without-reason",
            file: QUIZ,
            at: (4, 3),
            says: "until then it is not silenced",
        },
        Case {
            name: "a silence that silences nothing",
            changes: vec![(
                QUIZ,
                choice_quiz("allow:\n  true-false-balance: Er zijn geen juist/fout-vragen.\n", &[(EVEN, 1)]),
            )],
            code: "unused-allow",
            file: QUIZ,
            at: (4, 3),
            says: "finds nothing here",
        },
        Case {
            name: "a silence in the wrong place",
            changes: vec![(
                QUIZ,
                choice_quiz("allow:\n  double-negative: Geen enkele vraag.\n", &[(EVEN, 1)]),
            )],
            code: "unused-allow",
            file: QUIZ,
            at: (4, 3),
            says: "on a quiz `allow` can silence `longest-correct`, `predictable-position`, `true-false-balance`",
        },
        Case {
            name: "a silence of an unknown check",
            changes: vec![(
                QUIZ,
                choice_quiz("allow:\n  longest-corect: Een reden.\n", &[(EVEN, 1)]),
            )],
            code: "invalid-value",
            file: QUIZ,
            at: (4, 3),
            says: "did you mean `longest-correct`?",
        },
        Case {
            name: "course-wide share of true/false answers",
            changes: vec![
                (QUIZ, true_false_quiz(&[false, false, false, false])),
                (
                    "01-m/05-toets.quiz.yaml",
                    true_false_quiz(&[false, false, false, true]).replace("id: toets", "id: toets2").replace("id: q", "id: r"),
                ),
            ],
            code: "true-false-balance",
            file: "course.yaml",
            at: (1, 1),
            says: "7 of 8 true/false answers of this course are `false`",
        },
    ]
}

/// A scenario of `n` steps in a row, where the longest choice always leads on to the
/// best ending.
fn chain_scenario(n: usize) -> String {
    let mut s = String::from("id: sc\ntitle: S\nsteps:\n");
    for i in 0..n {
        let next = if i + 1 == n {
            "best".to_string()
        } else {
            format!("s{}", i + 1)
        };
        s.push_str(&format!(
            "  - id: s{i}\n    text: T\n    choices:\n      - label: Stoppen hier\n        next: slecht\n      - label: Verder met het midden\n        next: {next}\n"
        ));
    }
    s.push_str("  - id: slecht\n    text: E\n    ending:\n      outcome: poor\n      debrief: D\n  - id: best\n    text: E\n    ending:\n      outcome: best\n      debrief: D\n");
    s
}

fn diagnostics_of(changes: &[(&'static str, String)]) -> Vec<Diagnostic> {
    let changes: Vec<(&str, Option<&str>)> = changes
        .iter()
        .map(|(p, t)| (*p, Some(t.as_str())))
        .collect();
    diagnostics(&changes)
}

#[test]
fn every_check_reports_at_its_place() {
    let mut failures = Vec::new();
    for c in cases() {
        let diags = diagnostics_of(&c.changes);
        let file = format!("{}/{}", common::ROOT, c.file);
        let hit = diags.iter().find(|d| {
            d.code == c.code
                && d.file.to_string_lossy() == file
                && (d.position.line, d.position.column) == c.at
                && (d.message.contains(c.says)
                    || d.hint.as_deref().is_some_and(|h| h.contains(c.says)))
        });
        match hit {
            None => failures.push(format!(
                "{}: expected {} at {}:{}:{} saying {:?}, got:\n{}",
                c.name,
                c.code,
                file,
                c.at.0,
                c.at.1,
                c.says,
                show(&diags)
            )),
            Some(d) if d.code != "invalid-value" && d.severity != Severity::Warning => {
                failures.push(format!("{}: {} is not a warning", c.name, d.code))
            }
            Some(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn guessable_questions_never_block_a_course() {
    for c in cases().into_iter().filter(|c| c.code != "invalid-value") {
        let changes: Vec<(&str, Option<&str>)> = c
            .changes
            .iter()
            .map(|(p, t)| (*p, Some(t.as_str())))
            .collect();
        let (course, diags) = leerpad_compiler::compile_tree(&common::tree(&changes));
        assert!(course.is_some(), "{}:\n{}", c.name, show(&diags.into_vec()));
    }
}

#[test]
fn a_silence_with_a_reason_silences_its_check_where_it_is_written() {
    let reason = "allow:\n  predictable-position: Elke vraag toetst dezelfde vaardigheid in dezelfde volgorde.\n";
    let silenced = diagnostics_of(&[(
        QUIZ,
        choice_quiz(reason, &[(EVEN, 0), (EVEN, 0), (EVEN, 0)]),
    )]);
    assert!(guess_warnings(&silenced).is_empty(), "{}", show(&silenced));

    // On a question, a silence of `longest-correct` also leaves the question out
    // of the quiz's share.
    let question = choice_quiz(
        "shuffle_options: true\n",
        &[
            (&["Een omschrijving van de juiste rol", "Trekker", "Meeloper"], 0),
            (&["Een omschrijving van de juiste rol", "Trekker", "Meeloper"], 0),
            (&["Een omschrijving van de juiste rol", "Trekker", "Meeloper"], 0),
        ],
    )
    .replace(
        "    prompt: Vraag",
        "    allow:\n      longest-correct: De afleiders zijn vaktermen, het antwoord is een omschrijving.\n    prompt: Vraag",
    );
    let diags = diagnostics_of(&[(QUIZ, question)]);
    assert!(guess_warnings(&diags).is_empty(), "{}", show(&diags));
}

#[test]
fn shuffled_options_have_no_predictable_position() {
    let quiz = choice_quiz(
        "shuffle_options: true\n",
        &[(EVEN, 0), (EVEN, 0), (EVEN, 0), (EVEN, 0)],
    );
    let diags = diagnostics_of(&[(QUIZ, quiz)]);
    assert!(guess_warnings(&diags).is_empty(), "{}", show(&diags));
}

#[test]
fn an_honest_quiz_gets_no_warnings() {
    // Positions vary, the correct option is sometimes a little longer, sometimes
    // shorter, true and false alternate: nothing here is worth a warning.
    let mut quiz = choice_quiz(
        "",
        &[
            (
                &[
                    "De vraag van het midden",
                    "De mening van de trekkers",
                    "Wat de pers schrijft",
                ],
                0,
            ),
            (
                &[
                    "Feiten en cijfers over het onderwerp",
                    "Uitspraken over de andere pool",
                    "Stilte",
                ],
                1,
            ),
            (&["Een trekker", "Een meeloper", "Iemand uit het midden"], 2),
            (
                &[
                    "Het kwam van de ADL",
                    "Het kwam van Allport",
                    "Het kwam van Brandsma",
                ],
                0,
            ),
            (&["Geen enkel verschil", "Identiteit tegenover inhoud"], 1),
        ],
    );
    quiz.push_str(
        &true_false_quiz(&[true, false, false, true])
            .replace("id: toets\ntitle: Toets\nquestions:\n", "")
            .replace("id: q", "id: tf"),
    );
    let diags = diagnostics_of(&[(QUIZ, quiz)]);
    assert!(guess_warnings(&diags).is_empty(), "{}", show(&diags));
    assert!(
        !diags.iter().any(|d| d.severity == Severity::Error),
        "{}",
        show(&diags)
    );
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
#[test]
fn the_bundled_courses_have_no_guessable_questions() {
    let courses = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../courses");
    let compiled = compile_paths(&[courses]);
    let diags = compiled.diagnostics.into_vec();
    let found = guess_warnings(&diags);
    assert!(
        found.is_empty(),
        "{} warnings:\n{}",
        found.len(),
        show(&found)
    );
}

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/guessable")
}

/// Every check on one course, as the JSON lines `leerpad check --format json` prints,
/// with paths relative to the course.
#[test]
fn a_guessable_course_gets_every_warning_with_its_place_and_hint() {
    let root = fixture();
    let compiled = compile_paths(std::slice::from_ref(&root));
    assert_eq!(compiled.courses.len(), 1, "warnings never block a course");
    let lines: Vec<serde_json::Value> = compiled
        .diagnostics
        .iter()
        .map(|d| {
            let mut d = d.clone();
            d.file = d.file.strip_prefix(&root).unwrap_or(&d.file).to_path_buf();
            serde_json::to_value(&d).unwrap()
        })
        .collect();
    insta::assert_json_snapshot!("guessable-course", lines);
}

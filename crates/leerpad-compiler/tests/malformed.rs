//! Malformed course sources, each with the diagnostic it must produce and where.

mod common;

use common::{diagnostics, show};
use leerpad_compiler::Severity;

struct Case {
    name: &'static str,
    changes: &'static [(&'static str, Option<&'static str>)],
    code: &'static str,
    file: &'static str,
    line: usize,
    column: usize,
    /// Part of the message or hint that must appear.
    says: &'static str,
}

const QUIZ: &str = "01-m/03-toets.quiz.yaml";
const SCENARIO: &str = "01-m/04-sc.scenario.yaml";
const LESSON: &str = "01-m/01-les.md";
const LESSON2: &str = "01-m/02-les.md";

const fn case(
    name: &'static str,
    changes: &'static [(&'static str, Option<&'static str>)],
    code: &'static str,
    file: &'static str,
    (line, column): (usize, usize),
    says: &'static str,
) -> Case {
    Case {
        name,
        changes,
        code,
        file,
        line,
        column,
        says,
    }
}

const CASES: &[Case] = &[
    // YAML that does not parse
    case("unclosed flow list", &[("course.yaml", Some("id: base\ntitle: [Basis\nlanguage: nl\n"))], "yaml-syntax", "course.yaml", (3, 9), "invalid YAML"),
    case("tab indentation", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n\t- id: q1\n"))], "yaml-syntax", QUIZ, (4, 1), "tabs"),
    case("colon in plain value", &[(LESSON, Some("---\nid: les\ntitle: Toets: deel 1\n---\nTekst\n"))], "yaml-syntax", LESSON, (3, 13), "quoted"),
    case("bad module yaml", &[("01-m/module.yaml", Some("id: m1\n  title: x\n"))], "yaml-syntax", "01-m/module.yaml", (2, 8), "invalid YAML"),
    // wrong types
    case("text for a number", &[("course.yaml", Some("id: base\ntitle: Basis\nlanguage: nl\nsummary: S\nduration_minutes: tien\n"))], "wrong-type", "course.yaml", (5, 19), "whole number"),
    case("yes for a boolean", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: single_choice\n    prompt: Vraag?\n    options:\n      - text: Ja\n        correct: ja\n      - text: Nee\n"))], "wrong-type", QUIZ, (9, 18), "`true` or `false`"),
    case("number for a list", &[("course.yaml", Some("id: base\ntitle: Basis\nlanguage: nl\nsummary: S\nduration_minutes: 5\nobjectives: 5\n"))], "wrong-type", "course.yaml", (6, 13), "list"),
    case("text for an ending", &[(SCENARIO, Some("id: sc\ntitle: S\nsteps:\n  - id: a\n    text: Begin\n    ending: best\n"))], "wrong-type", SCENARIO, (6, 13), "mapping"),
    // unknown fields
    case("titel in course", &[("course.yaml", Some("id: base\ntitel: Basis\nlanguage: nl\nsummary: S\nduration_minutes: 5\n"))], "unknown-field", "course.yaml", (2, 1), "did you mean `title`?"),
    case("titel in lesson", &[(LESSON, Some("---\nid: les\ntitel: Les\n---\nTekst\n"))], "unknown-field", LESSON, (3, 1), "did you mean `title`?"),
    case("promt in question", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: true_false\n    promt: Vraag?\n    answer: true\n"))], "unknown-field", QUIZ, (6, 5), "did you mean `prompt`?"),
    case("choise in step", &[(SCENARIO, Some("id: sc\ntitle: S\nsteps:\n  - id: a\n    text: Begin\n    choises: []\n    ending:\n      outcome: best\n      debrief: Goed.\n"))], "unknown-field", SCENARIO, (6, 5), "did you mean `choices`?"),
    case("unknown in module", &[("01-m/module.yaml", Some("id: m1\ntitle: M\ndescription: x\n"))], "unknown-field", "01-m/module.yaml", (3, 1), "expected one of"),
    case("unknown in option", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: single_choice\n    prompt: V\n    options:\n      - text: Ja\n        corect: true\n      - text: Nee\n"))], "unknown-field", QUIZ, (9, 9), "did you mean `correct`?"),
    // missing fields
    case("lesson without title", &[(LESSON, Some("---\nid: les\n---\nTekst\n"))], "missing-field", LESSON, (2, 1), "`title`"),
    case("course without summary", &[("course.yaml", Some("id: base\ntitle: Basis\nlanguage: nl\nduration_minutes: 5\n"))], "missing-field", "course.yaml", (1, 1), "`summary`"),
    case("choice question without options", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: single_choice\n    prompt: V\n"))], "missing-field", QUIZ, (4, 5), "`options`"),
    case("true_false without answer", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: true_false\n    prompt: V\n"))], "missing-field", QUIZ, (4, 5), "`answer`"),
    case("nudge without days", &[("course.yaml", Some("id: base\ntitle: B\nlanguage: nl\nsummary: S\nduration_minutes: 5\nnudges:\n  - rule: not_started\n"))], "missing-field", "course.yaml", (7, 5), "after_days"),
    // ids
    case("id with spaces", &[(LESSON, Some("---\nid: Les Een\ntitle: Les\n---\nTekst\n"))], "invalid-id", LESSON, (2, 5), "try `les-een`"),
    case("module id with capital", &[("01-m/module.yaml", Some("id: Module1\ntitle: M\n"))], "invalid-id", "01-m/module.yaml", (1, 5), "try `module1`"),
    case("duplicate lesson id", &[(LESSON2, Some("---\nid: les\ntitle: Twee\n---\nTekst\n"))], "duplicate-id", LESSON2, (2, 5), "first used at 01-m/01-les.md:2"),
    case("question id clashes with lesson", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: les\n    type: true_false\n    prompt: V\n    answer: true\n"))], "duplicate-id", QUIZ, (4, 9), "first used at 01-m/01-les.md:2"),
    case("duplicate step id", &[(SCENARIO, Some("id: sc\ntitle: S\nsteps:\n  - id: a\n    text: Begin\n    choices:\n      - label: V\n        next: a\n  - id: a\n    text: E\n    ending:\n      outcome: best\n      debrief: G\n"))], "duplicate-id", SCENARIO, (9, 9), "first used at 01-m/04-sc.scenario.yaml:4"),
    case("reflection id clashes", &[(LESSON2, Some("---\nid: les2\ntitle: Twee\n---\n\n```reflection\nid: les\nprompt: Wat zie je?\n```\n"))], "duplicate-id", LESSON2, (7, 1), "first used at 01-m/01-les.md:2"),
    case("reserved item id", &[(LESSON2, Some("---\nid: certificate\ntitle: T\n---\nTekst\n"))], "reserved-id", LESSON2, (2, 5), "reserved"),
    case("duplicate nudge id", &[("course.yaml", Some("id: base\ntitle: B\nlanguage: nl\nsummary: S\nduration_minutes: 5\nnudges:\n  - rule: completed\n  - rule: completed\n"))], "duplicate-id", "course.yaml", (8, 5), "first used at course.yaml:7"),
    // values out of range
    case("unknown language", &[("course.yaml", Some("id: base\ntitle: B\nlanguage: fr\nsummary: S\nduration_minutes: 5\n"))], "invalid-value", "course.yaml", (3, 11), "expected one of `nl`, `en`"),
    case("pass mark over 100", &[(QUIZ, Some("id: toets\ntitle: Toets\npass_mark: 150\nquestions:\n  - id: q1\n    type: true_false\n    prompt: V\n    answer: true\n"))], "invalid-value", QUIZ, (3, 12), "percentage"),
    case("unknown outcome", &[(SCENARIO, Some("id: sc\ntitle: S\nsteps:\n  - id: a\n    text: T\n    ending:\n      outcome: great\n      debrief: D\n"))], "invalid-value", SCENARIO, (7, 16), "expected one of"),
    case("zero attempts", &[(QUIZ, Some("id: toets\ntitle: Toets\nmax_attempts: 0\nquestions:\n  - id: q1\n    type: true_false\n    prompt: V\n    answer: true\n"))], "invalid-value", QUIZ, (3, 15), "unlimited"),
    case("author not an address", &[("course.yaml", Some("id: base\ntitle: B\nlanguage: nl\nsummary: S\nduration_minutes: 5\nauthors:\n  - tessa@example.org\n  - Tessa Trainer\n"))], "invalid-email", "course.yaml", (8, 5), "not an email address"),
    case("unknown question type", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: single\n    prompt: V\n"))], "invalid-value", QUIZ, (5, 11), "single_choice"),
    // structure
    case("no course.yaml", &[("course.yaml", None)], "missing-course-yaml", "", (1, 1), "course.yaml"),
    case("no module.yaml", &[("01-m/module.yaml", None)], "missing-module-yaml", "01-m", (1, 1), "module.yaml"),
    case("empty module", &[("02-leeg/module.yaml", Some("id: leeg\ntitle: Leeg\n"))], "empty-module", "02-leeg/module.yaml", (1, 1), "no lessons"),
    case("lesson without front matter", &[(LESSON, Some("# Les\nTekst\n"))], "missing-front-matter", LESSON, (1, 1), "---"),
    case("front matter not closed", &[(LESSON, Some("---\nid: les\ntitle: Les\nTekst\n"))], "missing-front-matter", LESSON, (1, 1), "not closed"),
    case("not utf-8", &[(LESSON, Some("---\nid: les\ntitle: L\n---\nab\u{0}"))], "", "", (0, 0), ""),
    // links and assets
    case("broken lesson link", &[(LESSON, Some("---\nid: les\ntitle: Les\n---\n\nZie [hier](09-nope.md).\n"))], "broken-link", LESSON, (6, 5), "does not exist"),
    case("link leaves the course", &[(LESSON, Some("---\nid: les\ntitle: Les\n---\nZie [hier](../../x.md).\n"))], "broken-link", LESSON, (5, 5), "outside the course"),
    case("missing image", &[(LESSON2, Some("---\nid: les2\ntitle: T\n---\n\n![Een beeld](../assets/nope.png)\n"))], "missing-asset", LESSON2, (6, 1), "nope.png"),
    case("image outside assets", &[(LESSON2, Some("---\nid: les2\ntitle: T\n---\n\n![Een beeld](pic.png)\n"))], "asset-outside-course", LESSON2, (6, 1), "assets/"),
    case("javascript link", &[(LESSON, Some("---\nid: les\ntitle: Les\n---\n\n[klik](javascript:alert(1))\n"))], "unsafe-link", LESSON, (6, 1), "javascript"),
    case("missing subtitles file", &[(LESSON2, Some("---\nid: les2\ntitle: T\n---\n\n```video\nsrc: ../assets/a.png\ntitle: V\ncaption: C\nsubtitles: ../assets/v.vtt\n```\n![x](../assets/a.png)\n"))], "missing-asset", LESSON2, (6, 1), "v.vtt"),
    case("unsupported video host", &[(LESSON2, Some("---\nid: les2\ntitle: T\n---\n![x](../assets/a.png)\n\n```video\nsrc: https://example.org/v.mp4\ntitle: V\n```\n"))], "unsupported-video", LESSON2, (7, 1), "YouTube"),
    case("video without title", &[(LESSON2, Some("---\nid: les2\ntitle: T\n---\n![x](../assets/a.png)\n\n```video\nsrc: https://youtu.be/abcdefghijk\n```\n"))], "missing-field", LESSON2, (8, 1), "`title`"),
    case("reflection without prompt", &[(LESSON, Some("---\nid: les\ntitle: Les\n---\n\n```reflection\nid: r1\n```\n"))], "missing-field", LESSON, (7, 1), "`prompt`"),
    case("reflection in a quiz", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: true_false\n    prompt: |\n      ```reflection\n      id: r\n      prompt: p\n      ```\n    answer: true\n"))], "invalid-block", QUIZ, (7, 7), "belong in lessons"),
    // quizzes
    case("no correct option", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: single_choice\n    prompt: V\n    options:\n      - text: Ja\n      - text: Nee\n"))], "no-correct-answer", QUIZ, (8, 7), "correct: true"),
    case("two correct in single choice", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: single_choice\n    prompt: V\n    options:\n      - text: Ja\n        correct: true\n      - text: Nee\n        correct: true\n"))], "no-correct-answer", QUIZ, (8, 7), "multiple_response"),
    case("short answer accepts nothing", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: short_answer\n    prompt: V\n    accept: []\n"))], "no-correct-answer", QUIZ, (7, 13), "accept"),
    case("one option", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: multiple_response\n    prompt: V\n    options:\n      - text: Ja\n        correct: true\n"))], "too-few-options", QUIZ, (8, 7), "at least 2"),
    case("one matching pair", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: matching\n    prompt: V\n    pairs:\n      - left: a\n        right: b\n"))], "too-few-options", QUIZ, (8, 7), "at least 2"),
    case("answer on a choice question", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: single_choice\n    prompt: V\n    answer: true\n    options:\n      - text: Ja\n        correct: true\n      - text: Nee\n"))], "field-not-for-type", QUIZ, (7, 13), "uses `options`"),
    case("days_before on inactive", &[("course.yaml", Some("id: base\ntitle: B\nlanguage: nl\nsummary: S\nduration_minutes: 5\nnudges:\n  - rule: inactive\n    after_days: 7\n    days_before: 2\n"))], "field-not-for-type", "course.yaml", (9, 18), "does not apply"),
    case("pool draws too many", &[(QUIZ, Some("id: toets\ntitle: Toets\npools:\n  - draw: 3\n    questions:\n      - id: q1\n        type: true_false\n        prompt: V\n        answer: true\n"))], "pool-too-small", QUIZ, (4, 11), "between 1 and 1"),
    case("quiz without questions", &[(QUIZ, Some("id: toets\ntitle: Toets\n"))], "empty-quiz", QUIZ, (1, 1), "no questions"),
    case("bad pattern", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: short_answer\n    prompt: V\n    accept:\n      - pattern: \"(brandsma\"\n"))], "invalid-pattern", QUIZ, (8, 18), "not a valid regular expression"),
    case("duplicate ordering items", &[(QUIZ, Some("id: toets\ntitle: Toets\nquestions:\n  - id: q1\n    type: ordering\n    prompt: V\n    items: [a, b, a]\n"))], "invalid-value", QUIZ, (7, 19), "appears twice"),
    // scenarios
    case("next names no step", &[(SCENARIO, Some("id: sc\ntitle: S\nsteps:\n  - id: a\n    text: T\n    choices:\n      - label: V\n        next: bb\n  - id: b\n    text: E\n    ending:\n      outcome: best\n      debrief: D\n"))], "unknown-step", SCENARIO, (8, 15), "did you mean `b`?"),
    case("start names no step", &[(SCENARIO, Some("id: sc\ntitle: S\nstart: zz\nsteps:\n  - id: a\n    text: E\n    ending:\n      outcome: best\n      debrief: D\n"))], "unknown-step", SCENARIO, (3, 8), "zz"),
    case("unreachable step", &[(SCENARIO, Some("id: sc\ntitle: S\nsteps:\n  - id: a\n    text: E\n    ending:\n      outcome: best\n      debrief: D\n  - id: los\n    text: E\n    ending:\n      outcome: poor\n      debrief: D\n"))], "unreachable-step", SCENARIO, (9, 9), "cannot be reached"),
    case("step leads nowhere", &[(SCENARIO, Some("id: sc\ntitle: S\nsteps:\n  - id: a\n    text: T\n"))], "dead-end-step", SCENARIO, (4, 9), "neither choices nor an ending"),
    case("steps in a circle", &[(SCENARIO, Some("id: sc\ntitle: S\nsteps:\n  - id: a\n    text: T\n    choices:\n      - label: V\n        next: b\n  - id: b\n    text: T\n    choices:\n      - label: Terug\n        next: a\n"))], "dead-end-step", SCENARIO, (4, 9), "no ending can be reached"),
    case("choices and ending", &[(SCENARIO, Some("id: sc\ntitle: S\nsteps:\n  - id: a\n    text: T\n    choices:\n      - label: V\n        next: a\n    ending:\n      outcome: best\n      debrief: D\n"))], "step-choices-and-ending", SCENARIO, (10, 7), "both choices and an ending"),
    // warnings
    case("image without alt", &[(LESSON2, Some("---\nid: les2\ntitle: T\n---\n\n![](../assets/a.png)\n"))], "missing-alt-text", LESSON2, (6, 1), "no alt text"),
    case("h1 in a lesson", &[(LESSON, Some("---\nid: les\ntitle: Les\n---\n\n# Titel\n\nTekst\n"))], "heading-level", LESSON, (6, 1), "##"),
    case("empty lesson", &[(LESSON2, Some("---\nid: les2\ntitle: T\n---\n\n"))], "empty-lesson", LESSON2, (5, 1), "no text"),
    case("script in lesson", &[(LESSON, Some("---\nid: les\ntitle: Les\n---\n\nTekst <script>alert(1)</script>\n"))], "unsafe-html", LESSON, (6, 7), "removed"),
    case("event handler in lesson", &[(LESSON, Some("---\nid: les\ntitle: Les\n---\n\n<div onclick=\"x()\">Tekst</div>\n"))], "unsafe-html", LESSON, (6, 1), "removed"),
    case("no order prefix", &[("01-m/extra.md", Some("---\nid: extra\ntitle: E\n---\nTekst\n"))], "missing-order-prefix", "01-m/extra.md", (1, 1), "05-extra.md"),
    case("same order prefix", &[("01-m/02-ander.md", Some("---\nid: ander\ntitle: A\n---\nTekst\n"))], "duplicate-order", "01-m/02-les.md", (1, 1), "02-ander.md"),
    case("stray file", &[("01-m/notes.txt", Some("x"))], "ignored-file", "01-m/notes.txt", (1, 1), "ignored"),
    case("author twice", &[("course.yaml", Some("id: base\ntitle: B\nlanguage: nl\nsummary: S\nduration_minutes: 5\nauthors:\n  - tessa@example.org\n  - Tessa@Example.org\n"))], "duplicate-author", "course.yaml", (8, 5), "first listed at line 7"),
    case("unused asset", &[("assets/b.png", Some("png"))], "unused-asset", "assets/b.png", (1, 1), "not used"),
    case("html asset", &[("assets/page.html", Some("<script>alert(1)</script>"))], "asset-type", "assets/page.html", (1, 1), "images (png"),
    case("script asset", &[("assets/a/x.js", Some("alert(1)"))], "asset-type", "assets/a/x.js", (1, 1), "not a kind of file"),
    case("local video without subtitles", &[(LESSON2, Some("---\nid: les2\ntitle: T\n---\n![x](../assets/a.png)\n\n```video\nsrc: ../assets/a.png\ntitle: V\ncaption: C\n```\n"))], "missing-subtitles", LESSON2, (7, 1), "WebVTT"),
    case("video without caption", &[(LESSON2, Some("---\nid: les2\ntitle: T\n---\n![x](../assets/a.png)\n\n```video\nsrc: https://youtu.be/abcdefghijk\ntitle: V\n```\n"))], "missing-caption", LESSON2, (7, 1), "caption"),
];

#[test]
fn every_malformed_input_gets_its_diagnostic_at_its_place() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for c in CASES.iter().filter(|c| !c.code.is_empty()) {
        checked += 1;
        let diags = diagnostics(c.changes);
        let file = if c.file.is_empty() {
            common::ROOT.to_string()
        } else {
            format!("{}/{}", common::ROOT, c.file)
        };
        let hit = diags.iter().find(|d| {
            d.code == c.code
                && d.file.to_string_lossy() == file
                && (d.position.line, d.position.column) == (c.line, c.column)
                && (d.message.contains(c.says)
                    || d.hint.as_deref().is_some_and(|h| h.contains(c.says)))
        });
        if hit.is_none() {
            failures.push(format!(
                "{}: expected {} at {}:{}:{} saying {:?}, got:\n{}",
                c.name,
                c.code,
                file,
                c.line,
                c.column,
                c.says,
                show(&diags)
            ));
        }
    }
    assert!(checked >= 40, "only {checked} cases");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn errors_fail_the_course_and_warnings_do_not() {
    for c in CASES.iter().filter(|c| !c.code.is_empty()) {
        let (course, diags) = leerpad_compiler::compile_tree(&common::tree(c.changes));
        let has_errors = diags.iter().any(|d| d.severity == Severity::Error);
        assert_eq!(
            course.is_none(),
            has_errors,
            "{}:\n{}",
            c.name,
            show(&diags.into_vec())
        );
    }
}

#[test]
fn invalid_utf8_is_reported_at_the_first_bad_byte() {
    let mut tree = common::tree(&[]);
    tree.add_text(LESSON, b"---\nid: les\ntitle: L\n---\nab\xff\xfe".to_vec());
    let diags = leerpad_compiler::compile_tree(&tree).1.into_vec();
    let d = diags
        .iter()
        .find(|d| d.code == "not-utf8")
        .unwrap_or_else(|| panic!("{}", show(&diags)));
    assert_eq!((d.position.line, d.position.column), (5, 3));
}

#[test]
fn a_typo_is_one_error_not_also_a_missing_field() {
    let diags = diagnostics(&[(LESSON, Some("---\nid: les\ntitel: Les\n---\nTekst\n"))]);
    let errors: Vec<_> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{}", show(&diags));
}

#[test]
fn every_problem_in_a_file_is_reported_in_one_run() {
    let quiz = "id: toets\ntitle: Toets\npass_mark: 120\nquestions:\n  - id: q1\n    type: single_choice\n    promt: V\n    options:\n      - text: Ja\n  - id: q2\n    type: true_false\n    prompt: V\n    answer: ja\n  - id: q3\n    type: ordering\n    prompt: V\n    items: [a]\n";
    let diags = diagnostics(&[
        (QUIZ, Some(quiz)),
        (
            LESSON,
            Some("---\nid: les\ntitle: Les\n---\n[x](nope.md)\n"),
        ),
    ]);
    let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    for expected in ["unknown-field", "wrong-type", "broken-link"] {
        assert!(
            codes.contains(&expected),
            "{expected} missing:\n{}",
            show(&diags)
        );
    }
    assert!(diags.len() >= 3, "{}", show(&diags));
}

#[test]
fn authors_are_course_metadata_and_leave_item_hashes_alone() {
    let plain = leerpad_compiler::compile_tree(&common::tree(&[]))
        .0
        .unwrap();
    let yaml = "id: base\ntitle: Basis\nlanguage: nl\nsummary: Een cursus.\nduration_minutes: 10\nauthors:\n  - Tessa@Example.org\n  - jan@example.org\n  - tessa@example.org\n";
    let (course, diags) =
        leerpad_compiler::compile_tree(&common::tree(&[("course.yaml", Some(yaml))]));
    let authored = course.unwrap_or_else(|| panic!("{}", show(&diags.into_vec())));
    assert_eq!(
        authored.authors,
        ["tessa@example.org", "jan@example.org"],
        "lower-cased, each once"
    );
    let hashes = |c: &leerpad_core::Course| -> Vec<String> {
        c.items()
            .map(|(_, i)| i.content_hash.as_str().to_string())
            .collect()
    };
    assert_eq!(
        hashes(&plain),
        hashes(&authored),
        "progress attaches to the same items"
    );
    assert_ne!(
        plain.content_hash, authored.content_hash,
        "a new list of authors is a new version"
    );
    assert!(plain.authors.is_empty());
    let json = serde_json::to_string(&plain).unwrap();
    assert!(
        !json.contains("authors"),
        "a course without authors is stored as before"
    );
}

//! Snapshots of rendered lessons: what learners' browsers receive.

mod common;

use std::path::PathBuf;

use leerpad_compiler::{compile_paths, compile_tree, SourceTree};
use leerpad_core::{ItemBody, LessonBlock};

fn showcase() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/valid/showcase")
}

/// Lesson blocks as text: HTML as is, reflection prompts as a short marker.
fn lesson_text(blocks: &[LessonBlock]) -> String {
    blocks
        .iter()
        .map(|b| match b {
            LessonBlock::Html { html } => html.clone(),
            LessonBlock::Reflection(r) => format!(
                "[reflection {} | {} | {:?} | {:?}]\n",
                r.id, r.prompt_html, r.action_plan_heading, r.placeholder
            ),
        })
        .collect()
}

#[test]
fn showcase_lessons_render_as_expected() {
    let compiled = compile_paths(&[showcase()]);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    let course = &compiled.courses[0];
    for (_, item) in course.items() {
        if let ItemBody::Lesson(lesson) = &item.body {
            insta::assert_snapshot!(format!("showcase-{}", item.id), lesson_text(&lesson.blocks));
        }
    }
}

#[test]
fn showcase_quiz_and_scenario_render_as_expected() {
    let compiled = compile_paths(&[showcase()]);
    let course = &compiled.courses[0];
    for id in ["toets-basis", "kort-antwoord", "verhit-debat"] {
        let item = course.item(&id.parse_id()).expect("item exists");
        insta::assert_json_snapshot!(format!("showcase-{id}"), item);
    }
}

fn render_one(markdown: &str) -> String {
    let mut tree = common::tree(&[]);
    tree.add_text(
        "01-m/01-les.md",
        format!("---\nid: les\ntitle: Les\n---\n{markdown}"),
    );
    let (course, diags) = compile_tree(&tree);
    let course = course.unwrap_or_else(|| panic!("{}", common::show(&diags.into_vec())));
    match &course.modules[0].items[0].body {
        ItemBody::Lesson(l) => lesson_text(&l.blocks),
        _ => unreachable!(),
    }
}

#[test]
fn hostile_html_is_sanitised() {
    let html = render_one(concat!(
        "<script>alert(1)</script>\n\n",
        "<img src=x onerror=\"alert(1)\" alt=\"x\">\n\n",
        "<a href=\"javascript:alert(1)\">klik</a>\n\n",
        "<iframe src=\"https://evil.example/\"></iframe>\n\n",
        "<style>body{display:none}</style>\n\n",
        "<p style=\"position:fixed\" onclick=\"x()\">tekst</p>\n\n",
        "<form action=\"/x\"><input type=\"password\"></form>\n",
    ));
    for bad in [
        "<script",
        "onerror",
        "javascript:",
        "evil.example",
        "<style",
        "onclick",
        "position:fixed",
        "<form",
        "password",
    ] {
        assert!(!html.contains(bad), "`{bad}` survived in:\n{html}");
    }
    insta::assert_snapshot!("hostile-html", html);
}

#[test]
fn links_to_lessons_become_item_urls() {
    let html = render_one("[volgende](02-les.md#een-kop) en [toets](03-toets.quiz.yaml)\n");
    assert!(
        html.contains("href=\"/courses/base/les2#een-kop\""),
        "{html}"
    );
    assert!(html.contains("href=\"/courses/base/toets\""), "{html}");
}

#[test]
fn headings_get_unique_anchors() {
    let html = render_one("## Stappen\n\n## Stappen\n\n## Eigen {#mijn-anker}\n");
    assert!(html.contains("id=\"stappen\""), "{html}");
    assert!(html.contains("id=\"stappen-1\""), "{html}");
    assert!(html.contains("id=\"mijn-anker\""), "{html}");
}

#[test]
fn sources_in_memory_and_on_disk_compile_alike() {
    let on_disk = compile_paths(&[showcase()]).courses.remove(0);
    let mut tree = SourceTree::read(&showcase()).unwrap();
    tree.root = showcase();
    let in_memory = compile_tree(&tree).0.unwrap();
    assert_eq!(on_disk, in_memory);
}

trait ParseId {
    fn parse_id(&self) -> leerpad_core::Id;
}

impl ParseId for str {
    fn parse_id(&self) -> leerpad_core::Id {
        leerpad_core::Id::new(self).unwrap()
    }
}

#[test]
fn a_lessons_own_images_open_at_full_size() {
    let mut tree = common::tree(&[]);
    tree.add_text(
        "assets/schema.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    tree.add_text(
        "01-m/01-les.md",
        concat!(
            "---\nid: les\ntitle: Les\n---\n",
            "![Het schema](../assets/schema.svg)\n\n",
            "[![Naar de bron](../assets/schema.svg)](https://example.org/bron)\n\n",
            "![Nog eens](../assets/schema.svg)\n",
        ),
    );
    let (course, diags) = compile_tree(&tree);
    let course = course.unwrap_or_else(|| panic!("{}", common::show(&diags.into_vec())));
    let ItemBody::Lesson(l) = &course.modules[0].items[0].body else {
        unreachable!()
    };
    let html = lesson_text(&l.blocks);
    assert!(
        html.contains(r#"id="figure-1" href="/courses/base/les/figures/1""#),
        "{html}"
    );
    assert!(
        html.contains(r#"id="figure-2" href="/courses/base/les/figures/2""#),
        "{html}"
    );
    // An image that is already a link keeps its link and is not counted.
    assert_eq!(html.matches("figure-link").count(), 2, "{html}");
    assert!(
        html.contains(r#"href="https://example.org/bron""#),
        "{html}"
    );
    assert_eq!(html.matches("Open op ware grootte").count(), 2, "{html}");
}

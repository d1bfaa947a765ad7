//! The theme: a custom theme overrides templates, static files and texts; Dutch and
//! English are complete.

use crate::support;

use std::collections::BTreeSet;
use std::path::Path;

use support::{test_app, Browser};

fn keys(file: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let table: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    table.keys().cloned().collect()
}

#[test]
fn dutch_and_english_interface_texts_have_the_same_keys() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../themes/default/i18n");
    let (nl, en) = (keys(&dir.join("nl.toml")), keys(&dir.join("en.toml")));
    let only_nl: Vec<_> = nl.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&nl).collect();
    assert!(
        only_nl.is_empty() && only_en.is_empty(),
        "only in nl: {only_nl:?}; only in en: {only_en:?}"
    );
}

#[test]
fn every_refusal_of_a_flow_has_its_text_in_dutch_and_english() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../themes/default");
    for lang in ["nl", "en"] {
        let texts = keys(&root.join(format!("i18n/{lang}.toml")));
        let missing: Vec<_> = leerpad_app::Refusal::ALL
            .iter()
            .filter(|r| !texts.contains(r.key()))
            .collect();
        assert!(
            missing.is_empty(),
            "{lang}.toml lacks the texts of {missing:?}"
        );
    }
}

#[test]
fn every_text_a_template_asks_for_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../themes/default");
    let nl = keys(&root.join("i18n/nl.toml"));
    let call = regex::Regex::new(r#"t\("([a-z0-9.-]+)"[,)]"#).unwrap();
    let mut missing = Vec::new();
    let mut files = Vec::new();
    let mut dirs = vec![root.join("templates")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for c in call.captures_iter(&text) {
            if !nl.contains(&c[1]) {
                missing.push(format!(
                    "{}: {}",
                    path.file_name().unwrap().to_string_lossy(),
                    &c[1]
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "texts missing from i18n/nl.toml: {missing:?}"
    );
}

#[actix_web::test]
async fn a_custom_theme_overrides_templates_static_files_and_texts() {
    let theme = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(theme.path().join("templates")).unwrap();
    std::fs::create_dir_all(theme.path().join("static")).unwrap();
    std::fs::create_dir_all(theme.path().join("i18n")).unwrap();
    std::fs::write(
        theme.path().join("templates/catalogue.html.j2"),
        "{% extends \"base.html.j2\" %}{% block content %}<h1>Gemeente Voorbeeld leert</h1>{% endblock %}",
    )
    .unwrap();
    std::fs::write(
        theme.path().join("static/logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><title>Voorbeeld</title></svg>",
    )
    .unwrap();
    std::fs::write(
        theme.path().join("static/leerpad.css"),
        ":root { --brand: #006644; }",
    )
    .unwrap();
    std::fs::write(
        theme.path().join("i18n/nl.toml"),
        "\"site.name\" = \"Voorbeeld Academie\"\n",
    )
    .unwrap();
    let dir = theme.path().to_path_buf();
    let app = test_app(move |c| c.site.theme_dir = Some(dir)).await;
    let mut b = Browser::default();
    let page = b.get(&app.service, "/courses").await;
    page.assert_status(200);
    assert!(
        page.body.contains("Gemeente Voorbeeld leert"),
        "template overridden"
    );
    assert!(page.body.contains("Voorbeeld Academie"), "text overridden");
    let sign_in = b.get(&app.service, "/auth/sign-in").await;
    assert!(
        sign_in.body.contains("Met je wachtwoord"),
        "other texts keep the default"
    );
    assert!(b
        .get(&app.service, "/static/logo.svg")
        .await
        .body
        .contains("Voorbeeld"));
    assert!(b
        .get(&app.service, "/static/leerpad.css")
        .await
        .body
        .contains("#006644"));
    assert!(
        b.get(&app.service, "/static/leerpad.js")
            .await
            .body
            .contains("use strict"),
        "files it lacks come from the default"
    );
    b.get(&app.service, "/static/../Cargo.toml")
        .await
        .assert_status(404);
}

#[actix_web::test]
async fn error_pages_speak_the_language_of_the_person_asking_and_keep_their_menu() {
    let app = support::test_app(|_| {}).await;
    // Before signing in: the browser's language.
    let mut anonymous = support::Browser::default();
    let page = anonymous
        .send_with_header(
            &app.service,
            "/courses/does-not-exist",
            ("Accept-Language", "en-GB,en;q=0.9"),
        )
        .await;
    page.assert_status(404);
    assert!(page.body.contains("Page not found"), "{}", page.body);
    assert!(page.body.contains("lang=\"en\""));

    // Signed in with English as their language: English, and their menu.
    let mut an = support::registered(&app, "An Peeters", "an@example.org").await;
    an.submit(
        &app.service,
        "/me",
        "/me",
        &[("name", "An Peeters"), ("language", "en")],
    )
    .await
    .assert_status(303);
    let page = an.get(&app.service, "/courses/does-not-exist").await;
    page.assert_status(404);
    assert!(page.body.contains("Page not found"), "{}", page.body);
    assert!(
        page.body.contains("Sign out"),
        "the signed-in menu is there"
    );
    // A learner on an administrator's page: refused, in English.
    let page = an.get(&app.service, "/admin/users").await;
    page.assert_status(403);
    assert!(page.body.contains("lang=\"en\""));
}

/// One word per thing (the glossary at the top of each texts file) and real plurals:
/// the words the glossary rules out appear in no text or email, and no text writes
/// "rij(en)" or "row(s)" where a `.one` form says it properly.
#[test]
fn texts_keep_to_the_glossary_and_count_properly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../themes/default");
    let mut files: Vec<std::path::PathBuf> =
        vec![root.join("i18n/nl.toml"), root.join("i18n/en.toml")];
    for entry in std::fs::read_dir(root.join("emails")).unwrap() {
        let dir = entry.unwrap().path();
        if dir.is_dir() {
            for f in std::fs::read_dir(&dir).unwrap() {
                files.push(f.unwrap().path());
            }
        }
    }
    let ruled_out =
        regex::Regex::new(r"(?i)voltooi|getuigschrift|\b(cursus|cursussen)\b|\w\((en|s)\)")
            .unwrap();
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            if let Some(m) = ruled_out.find(line) {
                found.push(format!("{}: {:?} in {line}", file.display(), m.as_str()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "words the glossary rules out:\n{}",
        found.join("\n")
    );
    // Every `.one` form has its plural, in both languages.
    for lang in ["nl", "en"] {
        let k = keys(&root.join(format!("i18n/{lang}.toml")));
        for one in k.iter().filter(|k| k.ends_with(".one")) {
            assert!(
                k.contains(one.trim_end_matches(".one")),
                "{lang}: {one} has no plural"
            );
        }
    }
}

#[actix_web::test]
async fn a_text_counting_one_thing_says_so() {
    let app = test_app(|_| {}).await;
    let env = &app.state.templates;
    let render = |src: &str, lang: &str| {
        env.render_str(src, minijinja::context! { lang => lang })
            .unwrap()
    };
    assert_eq!(
        render(r#"{{ t("import.problems", count=1) }}"#, "nl"),
        "1 rij moet verbeterd worden"
    );
    assert_eq!(
        render(r#"{{ t("import.problems", count=4) }}"#, "nl"),
        "4 rijen moeten verbeterd worden"
    );
    assert_eq!(
        render(r#"{{ t("import.problems", count=0) }}"#, "en"),
        "0 rows need fixing"
    );
    assert_eq!(
        render(r#"{{ t("quiz.attempts-left", count=1) }}"#, "en"),
        "You have 1 attempt left."
    );
}

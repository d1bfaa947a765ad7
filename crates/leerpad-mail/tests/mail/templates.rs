//! The default theme's emails in Dutch and English, escaping, and overriding a
//! template from a custom theme.

use leerpad_mail::{TemplateError, Templates, MESSAGES};
use serde_json::json;

fn default_theme() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../themes/default")
}

#[test]
fn magic_link_in_dutch_by_default_and_in_english() {
    let t = Templates::new([default_theme()]);
    let ctx =
        json!({ "name": "An", "link": "https://leerpad.example/login/abc?x=1&y=2", "minutes": 15 });

    let nl = t.render("magic-link", "nl", &ctx).unwrap();
    assert_eq!(nl.subject, "Je aanmeldlink voor Leerpad");
    assert!(nl.text.starts_with("Dag An,\n\n"), "{}", nl.text);
    assert!(nl
        .text
        .contains("\nhttps://leerpad.example/login/abc?x=1&y=2\n"));
    assert!(nl.text.contains("15 minuten geldig"), "{}", nl.text);
    assert!(!nl.text.contains("{%"));
    assert!(!nl.text.contains("\n\n\n"), "{}", nl.text);
    let html = nl.html.unwrap();
    assert!(html.contains(r#"<html lang="nl">"#));
    assert!(html.contains("<title>Je aanmeldlink voor Leerpad</title>"));
    // The link is escaped in the attribute and the text.
    assert!(
        html.contains(r#"href="https://leerpad.example/login/abc?x=1&amp;y=2""#),
        "{html}"
    );
    assert!(!html.contains("<img"));

    let en = t.render("magic-link", "en-GB", &ctx).unwrap();
    assert_eq!(en.subject, "Your sign-in link for Leerpad");
    assert!(en.text.starts_with("Hello An,\n\n"), "{}", en.text);
    assert!(en.text.contains("expires in 15 minutes"));
    assert!(en.html.unwrap().contains(r#"<html lang="en">"#));

    // An unknown language gets the Dutch text, with its own `lang`.
    let fr = t.render("magic-link", "fr", &ctx).unwrap();
    assert_eq!(fr.subject, nl.subject);

    let one = t
        .render(
            "magic-link",
            "nl",
            json!({ "name": "An", "link": "https://x.example", "minutes": 1 }),
        )
        .unwrap();
    assert!(one.text.contains("1 minuut geldig"), "{}", one.text);
}

#[test]
fn every_message_renders_in_both_languages() {
    let t = Templates::builtin();
    let ctx = json!({
        "name": "An",
        "link": "https://leerpad.example/x",
        "minutes": 30,
        "inviter": "Bo Janssens",
        "organisation": "Gemeente Gent",
        "email": "an@gent.be",
        "coordinator": false,
        "writer": "Cora Peeters",
        "thread": "Wie gebruikt deDuider?",
        "text": "Wij wel.",
        "preferences_link": "https://leerpad.example/me/notifications",
    });
    for name in MESSAGES {
        for lang in ["nl", "en"] {
            let m = t
                .render(name, lang, &ctx)
                .unwrap_or_else(|e| panic!("{name} {lang}: {e}"));
            assert!(
                !m.subject.is_empty() && !m.subject.contains('\n'),
                "{name} {lang}"
            );
            assert!(
                m.text.contains("https://leerpad.example/x"),
                "{name} {lang}: {}",
                m.text
            );
            assert!(m.text.ends_with("Leerpad.\n"), "{name} {lang}: {}", m.text);
            let html = m.html.unwrap();
            assert!(html.contains("https://leerpad.example/x"), "{name} {lang}");
            assert!(html.contains(&format!(r#"lang="{lang}""#)), "{name} {lang}");
        }
    }
    let inv = t.render("invitation", "nl", &ctx).unwrap();
    assert_eq!(inv.subject, "Bo Janssens nodigt je uit op Leerpad");
    assert!(inv
        .text
        .contains("Bo Janssens van Gemeente Gent nodigt je uit"));
}

#[test]
fn values_are_escaped_in_html_but_not_in_text() {
    let t = Templates::builtin();
    let ctx = json!({ "name": "<script>alert(1)</script> & Co", "link": "https://x.example", "minutes": 5 });
    let m = t.render("password-reset", "nl", &ctx).unwrap();
    assert!(m.text.contains("Dag <script>alert(1)</script> & Co,"));
    let html = m.html.unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"),
        "{html}"
    );
}

#[test]
fn a_missing_value_is_an_error_and_an_optional_name_is_not() {
    let t = Templates::builtin();
    let e = t
        .render("magic-link", "nl", json!({ "name": "An", "minutes": 5 }))
        .unwrap_err();
    assert!(matches!(e, TemplateError::Render { .. }), "{e}");
    assert!(e.to_string().contains("magic-link/"), "{e}");

    let m = t
        .render("verify-email", "nl", json!({ "link": "https://x.example" }))
        .unwrap();
    assert!(m.text.starts_with("Dag,\n"), "{}", m.text);

    let e = t.render("no-such-email", "nl", json!({})).unwrap_err();
    assert!(matches!(e, TemplateError::NotFound { .. }), "{e}");
}

#[test]
fn a_custom_theme_overrides_single_files() {
    let custom = tempfile::tempdir().unwrap();
    let emails = custom.path().join("emails");
    std::fs::create_dir_all(emails.join("magic-link")).unwrap();
    std::fs::write(
        emails.join("magic-link/subject.txt.j2"),
        "{% if lang == \"en\" %}Sign in to the Academy{% else %}Aanmelden bij de Academie{% endif %}",
    )
    .unwrap();
    std::fs::write(
        emails.join("footer.txt.j2"),
        "-- \nArendt Academy, {{ lang }}\n",
    )
    .unwrap();
    // A text-only message of the custom theme's own.
    std::fs::create_dir_all(emails.join("welkom")).unwrap();
    std::fs::write(emails.join("welkom/subject.txt.j2"), "Welkom, {{ name }}").unwrap();
    std::fs::write(emails.join("welkom/body.txt.j2"), "Fijn dat je er bent.").unwrap();

    let mut t = Templates::new([custom.path().to_path_buf(), default_theme()]);
    t.set_global("site_name", "Arendt Academy");
    let ctx = json!({ "name": "An", "link": "https://x.example", "minutes": 15 });

    let m = t.render("magic-link", "nl", &ctx).unwrap();
    assert_eq!(m.subject, "Aanmelden bij de Academie");
    // The body still comes from the default theme, with the custom footer it
    // includes and the site name.
    assert!(
        m.text
            .contains("Met deze link meld je je aan bij Arendt Academy"),
        "{}",
        m.text
    );
    assert!(m.text.ends_with("-- \nArendt Academy, nl\n"), "{}", m.text);
    assert!(m
        .html
        .unwrap()
        .contains("Deze e-mail komt van Arendt Academy."));
    assert_eq!(
        t.render("magic-link", "en", &ctx).unwrap().subject,
        "Sign in to the Academy"
    );

    let w = t.render("welkom", "nl", json!({ "name": "An" })).unwrap();
    assert_eq!(w.subject, "Welkom, An");
    assert_eq!(w.text, "Fijn dat je er bent.\n");
    assert_eq!(w.html, None);

    // Only the default theme: the default subject.
    let plain = Templates::builtin()
        .render("magic-link", "nl", &ctx)
        .unwrap();
    assert_eq!(plain.subject, "Je aanmeldlink voor Leerpad");
}

#[test]
fn check_reports_a_broken_custom_template() {
    let custom = tempfile::tempdir().unwrap();
    let dir = custom.path().join("emails/invitation");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("body.html.j2"), "{% if %}").unwrap();
    let t = Templates::new([custom.path()]);
    let e = t.check(MESSAGES).unwrap_err();
    assert!(e.to_string().contains("invitation/body.html.j2"), "{e}");
    Templates::builtin().check(MESSAGES).unwrap();
}

//! The nudge emails of the default theme, in Dutch and English, with everything the
//! nudge runner gives them: progress, the link to where the learner left off, the
//! certificate, and the links to the notification preferences.

use leerpad_mail::{StoredMessage, Templates};
use serde_json::{json, Value};

const NUDGES: &[&str] = &[
    "nudge-not-started",
    "nudge-inactive",
    "nudge-deadline-approaching",
    "nudge-deadline-passed",
    "nudge-completed",
];

fn ctx(template: &str) -> Value {
    let mut ctx = json!({
        "name": "An <Peeters>",
        "course": "Omgaan met polarisatie",
        "link": "https://leerpad.example/courses/polarisatie/vijf-rollen",
        "percent": 40,
        "done": 2,
        "total": 5,
        "days": 8,
        "deadline": "1 december 2026",
        "preferences_link": "https://leerpad.example/me/notifications",
        "unsubscribe_link": "https://leerpad.example/unsubscribe/12.abc",
    });
    if template == "nudge-completed" {
        ctx["link"] = json!("https://leerpad.example/courses/polarisatie");
        ctx["percent"] = json!(100);
        ctx["done"] = json!(5);
        ctx["certificate_link"] = json!("https://leerpad.example/courses/polarisatie/certificate");
    }
    ctx
}

fn render(t: &Templates, name: &str, lang: &str) -> StoredMessage {
    t.render(name, lang, ctx(name))
        .unwrap_or_else(|e| panic!("{name} {lang}: {e}"))
}

#[test]
fn every_nudge_shows_progress_the_next_step_and_the_preferences() {
    let t = Templates::builtin();
    for name in NUDGES {
        for lang in ["nl", "en"] {
            let m = render(&t, name, lang);
            let ctx = ctx(name);
            let link = ctx["link"].as_str().unwrap();
            let percent = format!("{}%", ctx["percent"]);
            assert!(
                m.subject.contains("Omgaan met polarisatie"),
                "{name} {lang}: {}",
                m.subject
            );
            for part in [&m.text, m.html.as_ref().unwrap()] {
                assert!(part.contains(link), "{name} {lang}: {part}");
                assert!(part.contains(&percent), "{name} {lang}: {part}");
                assert!(
                    part.contains("https://leerpad.example/me/notifications"),
                    "{name} {lang}: {part}"
                );
                assert!(
                    part.contains("https://leerpad.example/unsubscribe/12.abc"),
                    "{name} {lang}: {part}"
                );
            }
            assert!(
                m.text.starts_with(if lang == "en" {
                    "Hello An <Peeters>,\n"
                } else {
                    "Dag An <Peeters>,\n"
                }),
                "{}",
                m.text
            );
            assert!(m.text.ends_with("Leerpad.\n"), "{name} {lang}: {}", m.text);
            assert!(
                !m.text.contains("{%") && !m.text.contains("{{"),
                "{}",
                m.text
            );
            let html = m.html.unwrap();
            assert!(html.contains(&format!(r#"<html lang="{lang}">"#)));
            assert!(html.contains("An &lt;Peeters&gt;"), "{html}");
        }
    }
}

#[test]
fn dutch_and_english_texts() {
    let t = Templates::builtin();
    let m = render(&t, "nudge-not-started", "nl");
    assert_eq!(m.subject, "‘Omgaan met polarisatie’ wacht op je");
    assert!(
        m.text
            .contains("Je bent 8 dagen geleden ingeschreven voor ‘Omgaan met polarisatie’"),
        "{}",
        m.text
    );
    let m = render(&t, "nudge-inactive", "en");
    assert_eq!(
        m.subject,
        "Continue ‘Omgaan met polarisatie’ where you left off"
    );
    assert!(
        m.text
            .contains("You have not worked on ‘Omgaan met polarisatie’ for 8 days."),
        "{}",
        m.text
    );
    assert!(
        m.text.contains("Your progress: 40% (2 of 5 parts done)."),
        "{}",
        m.text
    );
    let m = render(&t, "nudge-deadline-approaching", "nl");
    assert_eq!(m.subject, "Nog 8 dagen voor ‘Omgaan met polarisatie’");
    assert!(
        m.text
            .contains("tegen 1 december 2026: dat is over 8 dagen."),
        "{}",
        m.text
    );
    assert!(
        m.text
            .contains("Je voortgang: 40% (2 van 5 onderdelen klaar)."),
        "{}",
        m.text
    );
    let m = render(&t, "nudge-deadline-passed", "en");
    assert_eq!(
        m.subject,
        "The deadline for ‘Omgaan met polarisatie’ has passed"
    );
    assert!(m.text.contains("was 1 december 2026"), "{}", m.text);
    let mut one = ctx("nudge-deadline-approaching");
    one["days"] = json!(1);
    assert_eq!(
        t.render("nudge-deadline-approaching", "en", one)
            .unwrap()
            .subject,
        "1 day left for ‘Omgaan met polarisatie’"
    );
}

#[test]
fn the_completed_nudge_links_the_certificate() {
    let t = Templates::builtin();
    for lang in ["nl", "en"] {
        let m = render(&t, "nudge-completed", lang);
        let cert = "https://leerpad.example/courses/polarisatie/certificate";
        assert!(m.text.contains(&format!("\n{cert}\n")), "{}", m.text);
        assert!(m.html.unwrap().contains(&format!(r#"href="{cert}""#)));
    }
    assert_eq!(
        render(&t, "nudge-completed", "nl").subject,
        "Proficiat: je hebt ‘Omgaan met polarisatie’ afgerond"
    );
    // A course without a certificate: no certificate paragraph.
    let mut ctx = ctx("nudge-completed");
    ctx.as_object_mut().unwrap().remove("certificate_link");
    let m = t.render("nudge-completed", "en", ctx).unwrap();
    assert!(!m.text.contains("certificate"), "{}", m.text);
}

#[test]
fn no_progress_line_without_a_percentage() {
    let t = Templates::builtin();
    let mut ctx = ctx("nudge-inactive");
    ctx.as_object_mut().unwrap().remove("percent");
    let m = t.render("nudge-inactive", "nl", ctx).unwrap();
    assert!(!m.text.contains("voortgang"), "{}", m.text);
    // 0% is shown (it is a number, not a missing value).
    let mut ctx = self::ctx("nudge-not-started");
    ctx["percent"] = json!(0);
    ctx["done"] = json!(0);
    let m = t.render("nudge-not-started", "nl", ctx).unwrap();
    assert!(
        m.text
            .contains("Je voortgang: 0% (0 van 5 onderdelen klaar)."),
        "{}",
        m.text
    );
}

use std::io::{Cursor, Read};

use chrono::NaiveDate;
use leerpad_core::Language;
use proptest::prelude::*;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use quick_xml::events::Event as XmlEvent;

use super::*;

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

fn section(heading: &str, lesson: &str, prompt: &str, answer: Option<&str>) -> PlanSection {
    PlanSection {
        heading: heading.into(),
        lesson_title: lesson.into(),
        prompt: prompt.into(),
        answer: answer.map(Into::into),
    }
}

fn plan(language: Language, sections: Vec<PlanSection>) -> ActionPlan {
    ActionPlan {
        learner_name: "Sofie Peeters".into(),
        course_title: "Omgaan met polarisatie".into(),
        language,
        generated_on: date(),
        sections,
    }
}

/// A realistic plan: answered, unanswered, several paragraphs, a heading that is the
/// lesson title, and an answer full of Markdown and XML syntax.
fn sample(language: Language) -> ActionPlan {
    plan(
        language,
        vec![
            section(
                "Mijn signalen",
                "Polarisatie herkennen",
                "Welke signalen van polarisatie zie je in jouw gemeente?\nDenk aan de buurt, het loket en sociale media.",
                Some(
                    "Op sociale media zie ik steeds meer wij-zij-taal.\r\n\
                     Aan het loket merk ik dat mensen sneller boos worden.\r\n\r\n\r\n\
                     Ik wil dit bespreken met mijn team.",
                ),
            ),
            section(
                "",
                "Het gesprek aangaan",
                "Wat ga je de komende maand concreet doen?",
                None,
            ),
            section(
                "Wie kan helpen?",
                "Samenwerken",
                "Met wie werk je samen?\n\nNoem ook partners buiten de gemeente.",
                Some(
                    "# Geen kop\n- geen lijst\n1. geen opsomming\n> geen citaat\n    geen code\n\
                     <b>vet?</b> & \"aanhalingstekens\" 🙂 *nadruk* mag",
                ),
            ),
            section("Lege antwoorden tellen niet", "Afronden", "", Some(" \n\t\n ")),
        ],
    )
}

// ---------------------------------------------------------------------------
// Markdown

#[test]
fn markdown_in_dutch() {
    insta::assert_snapshot!(markdown(&sample(Language::Nl)));
}

#[test]
fn markdown_in_english() {
    insta::assert_snapshot!(markdown(&sample(Language::En)));
}

#[test]
fn markdown_of_an_empty_plan() {
    let nl = plan(Language::Nl, vec![]);
    insta::assert_snapshot!(markdown(&nl), @r"
    # Mijn actieplan

    Omgaan met polarisatie · Sofie Peeters · Opgesteld op 21 november 2026

    *Dit actieplan bevat nog geen vragen.*
    ");

    let mut en = plan(Language::En, vec![]);
    en.learner_name = " ".into();
    en.course_title = String::new();
    insta::assert_snapshot!(markdown(&en), @r"
    # My action plan

    Written on 21 November 2026

    *This action plan has no questions yet.*
    ");
}

#[test]
fn headings_fall_back_to_the_lesson_then_a_number() {
    let p = plan(
        Language::Nl,
        vec![
            section("Eigen kop", "Eigen kop", "", None),
            section(" ", "Alleen een les", "", None),
            section("", "", "", None),
        ],
    );
    let md = markdown(&p);
    assert!(md.contains("## Eigen kop\n\n*Nog niet"), "{md}");
    assert!(md.contains("## Alleen een les\n\n*Nog niet"), "{md}");
    assert!(md.contains("## Vraag 3\n"), "{md}");
    let (paragraphs, _) = docx_paragraphs(&p);
    assert_eq!(
        texts_with_style(&paragraphs, "Heading2"),
        ["Eigen kop", "Alleen een les", "Vraag 3"]
    );
}

#[test]
fn markdown_ends_with_one_newline() {
    for p in [sample(Language::Nl), plan(Language::En, vec![])] {
        let md = markdown(&p);
        assert!(md.ends_with('\n') && !md.ends_with("\n\n"), "{md:?}");
    }
}

#[test]
fn escapes_block_syntax_at_line_starts_only() {
    let cases = [
        ("# Geen kop", r"\# Geen kop"),
        ("## ook niet", r"\## ook niet"),
        ("- geen lijst", r"\- geen lijst"),
        ("+ geen lijst", r"\+ geen lijst"),
        ("* geen lijst", r"\* geen lijst"),
        ("1. geen opsomming", r"1\. geen opsomming"),
        ("12) ook niet", r"12\) ook niet"),
        ("2026 was een goed jaar", "2026 was een goed jaar"),
        ("> geen citaat", r"\> geen citaat"),
        ("```rust", r"\```rust"),
        ("~~~", r"\~~~"),
        ("---", r"\---"),
        ("===", r"\==="),
        ("___", r"\___"),
        ("| a | b |", r"\| a | b |"),
        (":--- | ---", r"\:--- | ---"),
        (
            "[x]: https://example.invalid",
            r"\[x]: https://example.invalid",
        ),
        ("    ingesprongen", "ingesprongen"),
        ("\t\tmet tabs", "met tabs"),
        ("<div>", r"\<div>"),
        ("<!-- verstopt", r"\<!-- verstopt"),
        ("a < b en c > d", r"a \< b en c > d"),
        (r"C:\map\*.txt", r"C:\map\\*.txt"),
        (r"een \ alleen", r"een \ alleen"),
        (
            "gewoon - tekst # met * tekens",
            "gewoon - tekst # met * tekens",
        ),
        (
            "*nadruk* en _ook_ blijven leesbaar",
            r"\*nadruk* en _ook_ blijven leesbaar",
        ),
        ("Wij & zij \"samen\" 🙂", "Wij & zij \"samen\" 🙂"),
    ];
    for (input, expected) in cases {
        assert_eq!(escape_line(input, true), expected, "{input:?}");
    }
    // Inside a line, only `<` and backslashes are escaped.
    assert_eq!(escape_line("# - 1. > <x>", false), r"# - 1. > \<x>");
}

#[test]
fn escapes_a_headings_closing_hashes() {
    assert_eq!(escape_heading("Doel #"), r"Doel \#");
    assert_eq!(escape_heading("Wat is C#?"), "Wat is C#?");
    assert_eq!(escape_heading("##"), r"\##");
    assert_eq!(escape_heading("1. Begin <hier>"), r"1. Begin \<hier>");
}

#[test]
fn a_learner_cannot_restructure_the_markdown() {
    let nasty = "# Kop\n- lijst\n1. lijst\n> citaat\n```\ncode\n```\n    code\n---\n===\n\
                 | a | b |\n|---|---|\n<div>html</div>\n<!-- commentaar\n[x]: /url\n* * *\n\
                 Tekst\n---";
    let p = plan(
        Language::Nl,
        vec![
            section("Kop", "Les", nasty, Some(nasty)),
            section("Twee", "", "Vraag?", None),
        ],
    );
    let md = markdown(&p);
    assert_eq!(
        outline(&md),
        ["h1", "p", "h2", "p", "quote[p]", "p", "h2", "quote[p]", "p"],
        "{md}"
    );
}

/// Every extension pulldown-cmark has (GitHub tables, footnotes, ...), except
/// typographic quotes and dashes, which change text and not structure.
fn markdown_options() -> Options {
    Options::all() - Options::ENABLE_SMART_PUNCTUATION
}

/// The Markdown's top-level blocks (quotes with their blocks), failing on HTML.
fn outline(md: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut quote: Option<Vec<String>> = None;
    let mut depth = 0;
    for event in Parser::new_ext(md, markdown_options()) {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => panic!("HTML {html:?} in:\n{md}"),
            Event::Start(tag) => {
                let name = match tag {
                    Tag::Heading { level, .. } => format!("h{}", level as u8),
                    Tag::Paragraph => "p".into(),
                    Tag::BlockQuote(_) => "quote".into(),
                    Tag::List(_) => "list".into(),
                    Tag::CodeBlock(_) => "code".into(),
                    Tag::HtmlBlock => "html".into(),
                    Tag::Table(_) => "table".into(),
                    Tag::FootnoteDefinition(_) => "footnote".into(),
                    other => format!("{other:?}"),
                };
                match (depth, &mut quote) {
                    (0, _) if name == "quote" => quote = Some(Vec::new()),
                    (0, _) => blocks.push(name),
                    (1, Some(inner)) => inner.push(name),
                    _ => {}
                }
                depth += 1;
            }
            Event::End(end) => {
                depth -= 1;
                if depth == 0 && end == TagEnd::BlockQuote(None) {
                    let inner = quote.take().unwrap_or_default();
                    blocks.push(format!("quote[{}]", inner.join(",")));
                }
            }
            Event::Rule if depth == 0 => blocks.push("rule".into()),
            _ => {}
        }
    }
    blocks
}

/// The text of the Markdown's paragraphs (hard breaks as newlines) and headings.
fn block_texts(md: &str) -> Vec<String> {
    let mut texts = Vec::new();
    let mut current = String::new();
    for event in Parser::new_ext(md, markdown_options()) {
        match event {
            Event::Text(t) | Event::Code(t) => current.push_str(&t),
            Event::HardBreak => current.push('\n'),
            Event::SoftBreak => current.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_)) => {
                texts.push(std::mem::take(&mut current))
            }
            _ => {}
        }
    }
    texts
}

/// What a reader should see of plain text: paragraphs of lines without their
/// leading or trailing whitespace.
fn expected_paragraphs(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut result = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.split('\n').map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                result.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        result.push(current.join("\n"));
    }
    result
}

proptest! {
    #[test]
    fn any_text_keeps_the_markdown_structure(
        heading in "[#>*+=_|:~`<\\[\\]!0-9a-z .)\\\\\\-]{0,12}",
        lesson in "[#>*+=_|:~`<\\[\\]!0-9a-z .)\\\\\\-]{0,12}",
        prompt in "[#>*+=_|:~`<\\[\\]!0-9a-z .)\\\\\\-\n\t]{0,60}",
        answer in proptest::option::of("[#>*+=_|:~`<\\[\\]!0-9a-z .)\\\\\\-\n\t]{0,80}"),
    ) {
        let p = plan(Language::En, vec![section(&heading, &lesson, &prompt, answer.as_deref())]);
        let md = markdown(&p);
        let blocks = outline(&md);
        prop_assert_eq!(&blocks[..3], &["h1", "p", "h2"], "{}", md);
        let rest = &blocks[3..];
        let rest = rest.strip_prefix(&["p".to_string()][..]).filter(|_| distinct_lesson_title(&p.sections[0]).is_some()).unwrap_or(rest);
        let rest = match rest.first() {
            Some(q) if q.starts_with("quote[") => {
                prop_assert!(q[6..q.len() - 1].split(',').all(|b| b == "p"), "{}", md);
                &rest[1..]
            }
            _ => rest,
        };
        prop_assert!(!rest.is_empty() && rest.iter().all(|b| b == "p"), "{:?}\n{}", blocks, md);
    }

    /// Without emphasis, strikethrough, code or link characters, the reader sees
    /// exactly the text.
    #[test]
    fn plain_text_reads_back_unchanged(
        answer in "[#>+=|:<0-9a-z .)\\\\\\-\n\t]{1,80}",
    ) {
        prop_assume!(!answer.trim().is_empty());
        let p = plan(Language::Nl, vec![section("Kop", "", "", Some(&answer))]);
        let md = markdown(&p);
        let texts = block_texts(&md);
        prop_assert_eq!(&texts[3..], &expected_paragraphs(&answer)[..], "{}", md);
    }
}

// ---------------------------------------------------------------------------
// File names

#[test]
fn file_names_are_ascii_slugs() {
    let mut p = plan(Language::Nl, vec![]);
    assert_eq!(
        file_name(&p, "md"),
        "actieplan-omgaan-met-polarisatie-2026-11-21.md"
    );
    assert_eq!(
        file_name(&p, ".docx"),
        "actieplan-omgaan-met-polarisatie-2026-11-21.docx"
    );
    p.language = Language::En;
    assert_eq!(
        file_name(&p, "MD"),
        "action-plan-omgaan-met-polarisatie-2026-11-21.md"
    );

    let slugs = [
        (
            "Één café, twee ĳsjes & één crème brûlée!",
            "een-cafe-twee-ijsjes-een-creme-brulee",
        ),
        ("  Straße / Øresund: Œuvre  ", "strasse-oresund-oeuvre"),
        ("Auto's en fiets’n", "autos-en-fietsn"),
        ("İstanbul", "istanbul"),
        ("COVID-19: 2e golf", "covid-19-2e-golf"),
        ("\"Wij\" vs. \"zij\" 🙂 <script>", "wij-vs-zij-script"),
    ];
    for (title, slug) in slugs {
        p.course_title = title.into();
        assert_eq!(
            file_name(&p, "md"),
            format!("action-plan-{slug}-2026-11-21.md"),
            "{title:?}"
        );
    }
}

#[test]
fn file_names_without_a_usable_title_or_extension() {
    let mut p = plan(Language::Nl, vec![]);
    for title in ["", "   ", "🙂🙂", "بلدية", "&&&"] {
        p.course_title = title.into();
        assert_eq!(file_name(&p, "md"), "actieplan-2026-11-21.md", "{title:?}");
    }
    assert_eq!(file_name(&p, ""), "actieplan-2026-11-21");
    assert_eq!(file_name(&p, "../x\"y"), "actieplan-2026-11-21.xy");
}

#[test]
fn long_titles_are_cut_at_a_word() {
    let mut p = plan(Language::Nl, vec![]);
    p.course_title =
        "Samen werken aan een inclusieve gemeente waar iedereen zich thuis voelt, ook jij".into();
    let name = file_name(&p, "md");
    assert_eq!(
        name,
        "actieplan-samen-werken-aan-een-inclusieve-gemeente-waar-iedereen-zich-2026-11-21.md"
    );
    p.course_title = "a".repeat(200);
    let name = file_name(&p, "md");
    assert_eq!(
        name,
        format!("actieplan-{}-2026-11-21.md", "a".repeat(MAX_SLUG_LEN))
    );
    assert!(name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'));
}

// ---------------------------------------------------------------------------
// DOCX

/// One `w:p` of `word/document.xml`.
#[derive(Debug)]
struct DocParagraph {
    style: Option<String>,
    text: String,
    italic: bool,
}

/// Unzips a DOCX and returns its parts' text by name.
fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip archive");
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        if file.is_dir() {
            continue;
        }
        let mut text = String::new();
        file.read_to_string(&mut text).expect("UTF-8 part");
        parts.push((file.name().to_owned(), text));
    }
    parts
}

fn part<'a>(parts: &'a [(String, String)], name: &str) -> &'a str {
    &parts
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| {
            panic!(
                "no {name} in {:?}",
                parts.iter().map(|p| &p.0).collect::<Vec<_>>()
            )
        })
        .1
}

/// Checks that `xml` is well-formed (one root, balanced and matching tags, only
/// predefined entities, only characters XML 1.0 allows) and returns its paragraphs
/// when it is a WordprocessingML body.
fn parse_xml(xml: &str) -> Vec<DocParagraph> {
    assert!(
        !xml.chars().any(|c| matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')),
        "a character XML 1.0 does not allow"
    );
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut paragraphs = Vec::new();
    let mut in_text = false;
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed: {e}"));
        match event {
            XmlEvent::Start(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                if stack.is_empty() {
                    roots += 1;
                }
                if name == "w:p" {
                    paragraphs.push(DocParagraph {
                        style: None,
                        text: String::new(),
                        italic: false,
                    });
                }
                in_text = name == "w:t";
                stack.push(name);
            }
            XmlEvent::Empty(e) => {
                if stack.is_empty() {
                    roots += 1;
                }
                let paragraph = paragraphs
                    .last_mut()
                    .filter(|_| stack.iter().any(|n| n == "w:p"));
                match (e.name().as_ref(), paragraph) {
                    (b"w:pStyle", Some(p)) => {
                        let value = e.try_get_attribute("w:val").unwrap().unwrap();
                        p.style = Some(
                            value
                                .decoded_and_normalized_value(
                                    quick_xml::XmlVersion::Explicit1_0,
                                    reader.decoder(),
                                )
                                .unwrap()
                                .into_owned(),
                        );
                    }
                    (b"w:br", Some(p)) => p.text.push('\n'),
                    (b"w:tab", Some(p)) => p.text.push('\t'),
                    (b"w:i", Some(p)) => p.italic = true,
                    _ => {}
                }
            }
            XmlEvent::End(_) => {
                stack.pop();
                in_text = false;
            }
            XmlEvent::Text(t) => {
                let text = t.decode().unwrap();
                if in_text {
                    paragraphs.last_mut().unwrap().text.push_str(&text);
                } else {
                    assert!(
                        text.trim().is_empty() || !stack.is_empty(),
                        "text outside the root"
                    );
                }
            }
            XmlEvent::GeneralRef(r) => {
                let c = match r.resolve_char_ref().unwrap() {
                    Some(c) => c,
                    None => match r.decode().unwrap().as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => panic!("undeclared entity &{other};"),
                    },
                };
                if in_text {
                    paragraphs.last_mut().unwrap().text.push(c);
                }
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty(), "unclosed elements {stack:?}");
    assert_eq!(roots, 1, "one root element");
    paragraphs
}

/// Builds the plan's DOCX, checks every XML part, and returns the body's paragraphs
/// and all parts.
fn docx_paragraphs(plan: &ActionPlan) -> (Vec<DocParagraph>, Vec<(String, String)>) {
    let bytes = docx(plan).expect("a DOCX");
    let parts = unzip(&bytes);
    for (name, text) in &parts {
        if name.ends_with(".xml") || name.ends_with(".rels") {
            parse_xml(text);
        }
    }
    (parse_xml(part(&parts, "word/document.xml")), parts)
}

fn texts_with_style<'a>(paragraphs: &'a [DocParagraph], style: &str) -> Vec<&'a str> {
    paragraphs
        .iter()
        .filter(|p| p.style.as_deref() == Some(style))
        .map(|p| p.text.as_str())
        .collect()
}

#[test]
fn docx_has_title_metadata_and_sections() {
    let (paragraphs, parts) = docx_paragraphs(&sample(Language::Nl));

    assert_eq!(
        texts_with_style(&paragraphs, "Heading1"),
        ["Mijn actieplan"]
    );
    assert_eq!(
        texts_with_style(&paragraphs, "Heading2"),
        [
            "Mijn signalen",
            "Het gesprek aangaan",
            "Wie kan helpen?",
            "Lege antwoorden tellen niet"
        ]
    );
    // docx-rs may end the body with an empty paragraph for the section properties.
    let texts: Vec<&str> = paragraphs
        .iter()
        .map(|p| p.text.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(
        texts,
        [
            "Mijn actieplan",
            "Omgaan met polarisatie · Sofie Peeters · Opgesteld op 21 november 2026",
            "Mijn signalen",
            "Les: Polarisatie herkennen",
            "Vraag: Welke signalen van polarisatie zie je in jouw gemeente?\nDenk aan de buurt, het loket en sociale media.",
            "Op sociale media zie ik steeds meer wij-zij-taal.\nAan het loket merk ik dat mensen sneller boos worden.",
            "Ik wil dit bespreken met mijn team.",
            "Het gesprek aangaan",
            "Vraag: Wat ga je de komende maand concreet doen?",
            "Nog niet ingevuld",
            "Wie kan helpen?",
            "Les: Samenwerken",
            "Vraag: Met wie werk je samen?",
            "Noem ook partners buiten de gemeente.",
            "# Geen kop\n- geen lijst\n1. geen opsomming\n> geen citaat\n    geen code\n\
             <b>vet?</b> & \"aanhalingstekens\" 🙂 *nadruk* mag",
            "Lege antwoorden tellen niet",
            "Les: Afronden",
            "Nog niet ingevuld",
        ]
    );
    // Prompts and "not answered" are italic; answers are not.
    let italic = |text: &str| paragraphs.iter().find(|p| p.text == text).unwrap().italic;
    assert!(italic("Noem ook partners buiten de gemeente."));
    assert!(italic("Nog niet ingevuld"));
    assert!(!italic("Ik wil dit bespreken met mijn team."));

    let core = part(&parts, "docProps/core.xml");
    assert!(
        core.contains("<dc:title>Mijn actieplan – Omgaan met polarisatie</dc:title>"),
        "{core}"
    );
    assert!(
        core.contains("<dc:creator>Sofie Peeters</dc:creator>"),
        "{core}"
    );
    assert!(core.contains("<dc:language>nl-BE</dc:language>"), "{core}");
    assert!(
        core.contains(">2026-11-21T00:00:00Z</dcterms:created>"),
        "{core}"
    );

    let styles = part(&parts, "word/styles.xml");
    assert!(styles.contains(r#"<w:lang w:val="nl-BE" />"#), "{styles}");
    assert!(
        styles.contains(r#"<w:name w:val="heading 1" />"#),
        "{styles}"
    );
    assert!(
        styles.contains(r#"<w:name w:val="heading 2" />"#),
        "{styles}"
    );
}

#[test]
fn docx_in_english() {
    let (paragraphs, parts) = docx_paragraphs(&sample(Language::En));
    assert_eq!(
        texts_with_style(&paragraphs, "Heading1"),
        ["My action plan"]
    );
    let texts: Vec<&str> = paragraphs.iter().map(|p| p.text.as_str()).collect();
    assert!(texts.contains(&"Omgaan met polarisatie · Sofie Peeters · Written on 21 November 2026"));
    assert!(texts.contains(&"Not answered yet"));
    assert!(texts.contains(&"Lesson: Samenwerken"));
    assert!(texts.iter().any(|t| t.starts_with("Question: Met wie")));
    assert!(part(&parts, "word/styles.xml").contains(r#"<w:lang w:val="en-GB" />"#));
    assert!(part(&parts, "docProps/core.xml")
        .contains("<dc:title>My action plan – Omgaan met polarisatie</dc:title>"));
}

#[test]
fn docx_keeps_special_characters_and_long_answers() {
    let long = "Een heel lang antwoord met veel woorden. ".repeat(5_000);
    let unbroken = "x".repeat(100_000);
    let special = "a < b && c > d; \"dubbel\" en 'enkel' </w:t></w:r></w:p> ]]> <![CDATA[ &amp; 🙂👩‍👩‍👧 ĳ€\tna tab";
    let mut p = plan(
        Language::Nl,
        vec![
            section(
                "<Kop> & \"zo\"",
                "Les & 'zo'",
                "Wat is <b>vet</b>?",
                Some(special),
            ),
            section("Lang", "", "", Some(&long)),
            section("Ononderbroken", "", "", Some(&unbroken)),
            section(
                "Stuurtekens",
                "",
                "",
                Some("voor\u{0}\u{1}\u{b}\u{c}\u{1f}\u{7f}\u{85}\u{fffe}na"),
            ),
        ],
    );
    p.learner_name = "Jan <de> & \"Man\"".into();
    p.course_title = "Wij & zij <samen>".into();

    let (paragraphs, parts) = docx_paragraphs(&p);
    let texts: Vec<&str> = paragraphs.iter().map(|p| p.text.as_str()).collect();
    assert!(texts.contains(&"<Kop> & \"zo\""));
    assert!(texts.contains(&"Les: Les & 'zo'"));
    assert!(texts.contains(&"Vraag: Wat is <b>vet</b>?"));
    assert!(texts.contains(&special), "{texts:?}");
    assert!(texts.contains(&long.trim_end()));
    assert!(texts.contains(&unbroken.as_str()));
    assert!(texts.contains(&"voorna"));
    assert!(
        texts.contains(&"Wij & zij <samen> · Jan <de> & \"Man\" · Opgesteld op 21 november 2026")
    );

    let core = part(&parts, "docProps/core.xml");
    assert!(
        core.contains("<dc:title>Mijn actieplan – Wij &amp; zij &lt;samen&gt;</dc:title>"),
        "{core}"
    );
    assert!(
        core.contains("<dc:creator>Jan &lt;de&gt; &amp; \"Man\"</dc:creator>"),
        "{core}"
    );
}

#[test]
fn docx_of_an_empty_plan() {
    let mut p = plan(Language::En, vec![]);
    p.learner_name = String::new();
    p.course_title = String::new();
    let (paragraphs, parts) = docx_paragraphs(&p);
    let texts: Vec<&str> = paragraphs
        .iter()
        .map(|p| p.text.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(
        texts,
        [
            "My action plan",
            "Written on 21 November 2026",
            "This action plan has no questions yet."
        ]
    );
    let core = part(&parts, "docProps/core.xml");
    assert!(
        core.contains("<dc:title>My action plan</dc:title>"),
        "{core}"
    );
    assert!(!core.contains("dc:creator"), "{core}");
}

#[test]
fn docx_sets_the_language_whatever_the_styles_hold() {
    let with_defaults = r#"<w:styles><w:docDefaults><w:rPrDefault><w:rPr><w:sz w:val="22" /></w:rPr></w:rPrDefault></w:docDefaults></w:styles>"#;
    assert_eq!(
        String::from_utf8(with_default_language(with_defaults.into(), "nl-BE")).unwrap(),
        r#"<w:styles><w:docDefaults><w:rPrDefault><w:rPr><w:sz w:val="22" /><w:lang w:val="nl-BE" /></w:rPr></w:rPrDefault></w:docDefaults></w:styles>"#
    );
    let empty = r#"<w:docDefaults><w:rPrDefault><w:rPr /></w:rPrDefault></w:docDefaults>"#;
    assert_eq!(
        String::from_utf8(with_default_language(empty.into(), "en-GB")).unwrap(),
        r#"<w:docDefaults><w:rPrDefault><w:rPr><w:lang w:val="en-GB" /></w:rPr></w:rPrDefault></w:docDefaults>"#
    );
}

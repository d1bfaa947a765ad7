//! A learner's personal action plan: their answers to a course's reflection prompts,
//! gathered into one document they can download, as Markdown ([`markdown`]) and as a
//! Word document ([`docx`]), under a file name made by [`file_name`].
//!
//! All text in an [`ActionPlan`] is plain text. Both outputs treat it the same way:
//!
//! - line endings are normalised (`\r\n` and `\r` become `\n`) and control characters
//!   other than tab and newline are dropped (XML cannot hold them);
//! - a blank line separates paragraphs, a single newline is a line break within one;
//! - an answer that is `None` or holds only whitespace counts as not answered yet;
//! - headings, titles and names are single lines (inner whitespace collapses).

use std::io::Cursor;

use chrono::{Datelike, NaiveDate};
use docx_rs::{
    AlignmentType, BreakType, Docx, DocxError, LineSpacing, Paragraph, Run, RunFonts, Style,
    StyleType,
};
use leerpad_core::Language;

use crate::ReportError;

/// A learner's action plan for one course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPlan {
    pub learner_name: String,
    pub course_title: String,
    /// The language of the document's own labels (and of the DOCX's proofing).
    pub language: Language,
    pub generated_on: NaiveDate,
    /// In course order; may be empty.
    pub sections: Vec<PlanSection>,
}

/// One reflection prompt and the learner's answer to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSection {
    /// The prompt's action-plan heading (or the lesson title when the prompt has none).
    pub heading: String,
    pub lesson_title: String,
    /// Plain text (the caller strips HTML).
    pub prompt: String,
    /// The learner's answer, plain text with newlines; `None` = not answered yet.
    pub answer: Option<String>,
}

/// The plan as a Markdown (CommonMark) document.
///
/// A `#` title, a line with the course, the learner and the date, then per section a
/// `##` heading, the lesson (when it differs from the heading), the prompt as a
/// block quote and the answer as paragraphs. Learner and author text is escaped
/// where it would otherwise change the document's structure: characters that start
/// a block (`#`, `>`, `-`, `+`, `*`, `1.`, fences, tables, ...) at the start of a
/// line, indentation, and `<` (raw HTML) anywhere. Inline emphasis is left as typed,
/// so the file stays readable as plain text.
pub fn markdown(plan: &ActionPlan) -> String {
    let labels = labels(plan.language);
    let mut out = String::new();

    out.push_str("# ");
    out.push_str(&escape_heading(labels.title));
    out.push_str("\n\n");
    out.push_str(&escape_line(&metadata_line(plan), true));
    out.push_str("\n\n");

    if plan.sections.is_empty() {
        out.push('*');
        out.push_str(labels.no_sections);
        out.push_str("*\n\n");
    }

    for (index, section) in plan.sections.iter().enumerate() {
        out.push_str("## ");
        out.push_str(&escape_heading(&section_heading(section, index, labels)));
        out.push_str("\n\n");

        if let Some(lesson) = distinct_lesson_title(section) {
            out.push_str(labels.lesson);
            out.push_str(": ");
            out.push_str(&escape_line(&lesson, false));
            out.push_str("\n\n");
        }

        let prompt = paragraphs(&section.prompt);
        if !prompt.is_empty() {
            for (p, lines) in prompt.iter().enumerate() {
                if p > 0 {
                    out.push_str(">\n");
                }
                for (l, line) in lines.iter().enumerate() {
                    out.push_str("> ");
                    if p == 0 && l == 0 {
                        out.push_str("**");
                        out.push_str(labels.question);
                        out.push_str(":** ");
                        out.push_str(&escape_line(line.trim_start(), false));
                    } else {
                        out.push_str(&escape_line(line, true));
                    }
                    out.push_str(line_end(l, lines.len()));
                }
            }
            out.push('\n');
        }

        match answer_paragraphs(section) {
            Some(answer) => {
                for lines in answer {
                    for (l, line) in lines.iter().enumerate() {
                        out.push_str(&escape_line(line, true));
                        out.push_str(line_end(l, lines.len()));
                    }
                    out.push('\n');
                }
            }
            None => {
                out.push('*');
                out.push_str(labels.not_answered);
                out.push_str("*\n\n");
            }
        }
    }

    // Exactly one newline at the end.
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The plan as a Word document (DOCX): the title in style Heading 1, a line with the
/// course, the learner and the date, then per section a Heading 2, the lesson (when
/// it differs from the heading), the prompt in italics and the answer as
/// paragraphs, its line breaks kept. The document language (nl-BE or en-GB) is set
/// for proofing, and the core properties carry a title, the learner as author and
/// the date.
pub fn docx(plan: &ActionPlan) -> Result<Vec<u8>, ReportError> {
    let labels = labels(plan.language);

    let mut doc = Docx::new()
        .default_fonts(
            RunFonts::new()
                .ascii(FONT)
                .hi_ansi(FONT)
                .east_asia(FONT)
                .cs(FONT),
        )
        .default_size(22)
        .default_line_spacing(LineSpacing::new().after(160).line(264))
        .add_style(heading_style(HEADING_1, "heading 1", 36, 0, 0, 160))
        .add_style(heading_style(HEADING_2, "heading 2", 28, 1, 360, 80))
        .add_paragraph(
            Paragraph::new()
                .style(HEADING_1)
                .keep_next(true)
                .add_run(Run::new().add_text(labels.title)),
        )
        .add_paragraph(
            Paragraph::new()
                .line_spacing(LineSpacing::new().after(240))
                .add_run(text_run(&[metadata_line(plan)]).color(GREY).size(20)),
        );

    if plan.sections.is_empty() {
        doc = doc.add_paragraph(
            Paragraph::new().add_run(Run::new().add_text(labels.no_sections).italic()),
        );
    }

    for (index, section) in plan.sections.iter().enumerate() {
        doc = doc.add_paragraph(
            Paragraph::new()
                .style(HEADING_2)
                .keep_next(true)
                .add_run(Run::new().add_text(section_heading(section, index, labels))),
        );

        if let Some(lesson) = distinct_lesson_title(section) {
            doc = doc.add_paragraph(
                Paragraph::new()
                    .keep_next(true)
                    .line_spacing(LineSpacing::new().after(80))
                    .add_run(
                        Run::new()
                            .add_text(format!("{}: {lesson}", labels.lesson))
                            .color(GREY)
                            .size(20),
                    ),
            );
        }

        for (p, lines) in paragraphs(&section.prompt).iter().enumerate() {
            let mut paragraph =
                Paragraph::new()
                    .keep_next(true)
                    .indent(Some(PROMPT_INDENT), None, None, None);
            if p == 0 {
                paragraph = paragraph.add_run(
                    Run::new()
                        .add_text(format!("{}: ", labels.question))
                        .bold()
                        .italic()
                        .color(PROMPT_COLOUR),
                );
            }
            doc =
                doc.add_paragraph(paragraph.add_run(text_run(lines).italic().color(PROMPT_COLOUR)));
        }

        match answer_paragraphs(section) {
            Some(answer) => {
                for lines in answer {
                    doc = doc.add_paragraph(Paragraph::new().add_run(text_run(&lines)));
                }
            }
            None => {
                doc = doc.add_paragraph(
                    Paragraph::new().add_run(
                        Run::new()
                            .add_text(labels.not_answered)
                            .italic()
                            .color(GREY),
                    ),
                );
            }
        }
    }

    let mut parts = doc.build();
    parts.doc_props.core = core_properties(plan, labels);
    parts.styles = with_default_language(parts.styles, labels.docx_language);

    let mut bytes = Cursor::new(Vec::new());
    parts.pack(&mut bytes).map_err(DocxError::from)?;
    Ok(bytes.into_inner())
}

/// The download's file name: `actieplan-<course>-<yyyy-mm-dd>.<extension>` (Dutch)
/// or `action-plan-<course>-<yyyy-mm-dd>.<extension>` (English), in lowercase ASCII
/// letters, digits and dashes only, so it is safe in any file system and in a
/// `Content-Disposition` header. Accents are folded (`é` → `e`, `ĳ` → `ij`); a title
/// with nothing left is omitted; long titles are cut at a word boundary. The
/// extension may be given with or without its dot.
pub fn file_name(plan: &ActionPlan, extension: &str) -> String {
    let mut name = labels(plan.language).file_stem.to_owned();
    let slug = slug(&plan.course_title, MAX_SLUG_LEN);
    if !slug.is_empty() {
        name.push('-');
        name.push_str(&slug);
    }
    name.push('-');
    name.push_str(&iso_date(plan.generated_on));

    let extension: String = extension
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if !extension.is_empty() {
        name.push('.');
        name.push_str(&extension);
    }
    name
}

// ---------------------------------------------------------------------------
// Labels

struct Labels {
    title: &'static str,
    written_on: &'static str,
    not_answered: &'static str,
    question: &'static str,
    lesson: &'static str,
    no_sections: &'static str,
    file_stem: &'static str,
    docx_language: &'static str,
}

const NL: Labels = Labels {
    title: "Mijn actieplan",
    written_on: "Opgesteld op",
    not_answered: "Nog niet ingevuld",
    question: "Vraag",
    lesson: "Les",
    no_sections: "Dit actieplan bevat nog geen vragen.",
    file_stem: "actieplan",
    docx_language: "nl-BE",
};

const EN: Labels = Labels {
    title: "My action plan",
    written_on: "Written on",
    not_answered: "Not answered yet",
    question: "Question",
    lesson: "Lesson",
    no_sections: "This action plan has no questions yet.",
    file_stem: "action-plan",
    docx_language: "en-GB",
};

fn labels(language: Language) -> &'static Labels {
    match language {
        Language::Nl => &NL,
        Language::En => &EN,
    }
}

/// "21 november 2026" / "21 November 2026".
pub(crate) fn long_date_in(date: NaiveDate, language: Language) -> String {
    leerpad_core::dates::long_date(date, language)
}

fn iso_date(date: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

// ---------------------------------------------------------------------------
// Content shared by both outputs

/// "Course · Learner · Opgesteld op 21 november 2026", leaving out empty parts.
fn metadata_line(plan: &ActionPlan) -> String {
    let labels = labels(plan.language);
    let mut parts = Vec::with_capacity(3);
    for part in [one_line(&plan.course_title), one_line(&plan.learner_name)] {
        if !part.is_empty() {
            parts.push(part);
        }
    }
    parts.push(format!(
        "{} {}",
        labels.written_on,
        long_date_in(plan.generated_on, plan.language)
    ));
    parts.join(" · ")
}

/// The section's heading, else its lesson title, else "Vraag 3".
fn section_heading(section: &PlanSection, index: usize, labels: &Labels) -> String {
    let heading = one_line(&section.heading);
    if !heading.is_empty() {
        return heading;
    }
    let lesson = one_line(&section.lesson_title);
    if !lesson.is_empty() {
        return lesson;
    }
    format!("{} {}", labels.question, index + 1)
}

/// The lesson title, when there is one and the heading does not already say it.
fn distinct_lesson_title(section: &PlanSection) -> Option<String> {
    let lesson = one_line(&section.lesson_title);
    let heading = one_line(&section.heading);
    (!lesson.is_empty() && !heading.is_empty() && lesson.to_lowercase() != heading.to_lowercase())
        .then_some(lesson)
}

/// The answer's paragraphs, or `None` when it is not answered (or only whitespace).
fn answer_paragraphs(section: &PlanSection) -> Option<Vec<Vec<String>>> {
    let answer = paragraphs(section.answer.as_deref()?);
    (!answer.is_empty()).then_some(answer)
}

/// Normalises line endings and drops characters that XML 1.0 cannot hold or that
/// have no place in prose: control characters (C0, DEL, C1) other than tab and
/// newline, and the noncharacters U+FFFE and U+FFFF.
fn clean(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.chars()
        .filter(|&c| {
            c == '\n' || c == '\t' || !(c.is_control() || c == '\u{fffe}' || c == '\u{ffff}')
        })
        .collect()
}

/// The text as one line: cleaned, all runs of whitespace made a single space.
pub(crate) fn one_line(text: &str) -> String {
    clean(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits text into paragraphs (separated by one or more blank lines), each a list
/// of lines with trailing whitespace removed. Leading whitespace is kept.
fn paragraphs(text: &str) -> Vec<Vec<String>> {
    let mut result = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in clean(text).split('\n') {
        let line = line.trim_end();
        if line.trim_start().is_empty() {
            if !current.is_empty() {
                result.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line.to_owned());
        }
    }
    if !current.is_empty() {
        result.push(current);
    }
    result
}

// ---------------------------------------------------------------------------
// Markdown escaping

/// The end of line `index` of a paragraph of `count` lines: a hard line break (two
/// spaces) between lines, a blank line after the last.
fn line_end(index: usize, count: usize) -> &'static str {
    if index + 1 < count {
        "  \n"
    } else {
        "\n"
    }
}

/// Escapes one line of plain text for Markdown.
///
/// Always: `<` (raw HTML would hide the text) and a backslash before ASCII
/// punctuation (it would vanish). When the line starts a block (`at_line_start`):
/// leading whitespace is dropped (four spaces would make a code block) and a first
/// character that could open a heading, quote, list, fence, table, thematic break,
/// setext underline, HTML block or link definition is escaped; so is the `.` or `)`
/// of a line starting with a number ("1. ").
fn escape_line(line: &str, at_line_start: bool) -> String {
    let line = if at_line_start {
        line.trim_start()
    } else {
        line
    };
    let mut out = String::with_capacity(line.len() + 4);
    let mut chars = line.chars().peekable();

    if at_line_start {
        match chars.peek() {
            Some('#' | '>' | '-' | '+' | '*' | '=' | '_' | '|' | ':' | '~' | '`' | '[') => {
                out.push('\\');
            }
            Some(c) if c.is_ascii_digit() => {
                while let Some(&d) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    out.push(d);
                    chars.next();
                }
                if let Some('.' | ')') = chars.peek() {
                    out.push('\\');
                }
            }
            _ => {}
        }
    }

    while let Some(c) = chars.next() {
        match c {
            '<' => out.push_str("\\<"),
            '\\' if chars.peek().is_some_and(char::is_ascii_punctuation) => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes a heading's text (already one line): inline escaping, plus a trailing run
/// of `#`, which would be read as the heading's closing sequence.
fn escape_heading(text: &str) -> String {
    let mut escaped = escape_line(text, false);
    let hashes = escaped.len() - escaped.trim_end_matches('#').len();
    if hashes > 0 {
        escaped.insert(escaped.len() - hashes, '\\');
    }
    escaped
}

// ---------------------------------------------------------------------------
// DOCX

const FONT: &str = "Calibri";
const HEADING_1: &str = "Heading1";
const HEADING_2: &str = "Heading2";
const HEADING_COLOUR: &str = "1F4E79";
const PROMPT_COLOUR: &str = "404040";
const GREY: &str = "666666";
/// A quarter inch, in twentieths of a point.
const PROMPT_INDENT: i32 = 360;

/// A heading paragraph style under Word's built-in name ("heading 1"), so Word and
/// LibreOffice treat it as their own Heading 1 (navigation pane, outline, table of
/// contents) and show its name in the user's language.
fn heading_style(
    id: &str,
    name: &str,
    half_points: usize,
    outline_level: usize,
    before: u32,
    after: u32,
) -> Style {
    Style::new(id, StyleType::Paragraph)
        .name(name)
        .based_on("Normal")
        .next("Normal")
        .bold()
        .size(half_points)
        .color(HEADING_COLOUR)
        .align(AlignmentType::Left)
        .outline_lvl(outline_level)
        .line_spacing(LineSpacing::new().before(before).after(after))
}

/// One run holding the lines, with line breaks between them and tabs kept.
fn text_run<S: AsRef<str>>(lines: &[S]) -> Run {
    let mut run = Run::new();
    for (l, line) in lines.iter().enumerate() {
        if l > 0 {
            run = run.add_break(BreakType::TextWrapping);
        }
        for (t, piece) in clean(line.as_ref()).split('\t').enumerate() {
            if t > 0 {
                run = run.add_tab();
            }
            if !piece.is_empty() {
                run = run.add_text(piece);
            }
        }
    }
    run
}

/// `docProps/core.xml`: docx-rs has no public setter for the title, author or
/// language, so this part is written here.
fn core_properties(plan: &ActionPlan, labels: &Labels) -> Vec<u8> {
    let course = one_line(&plan.course_title);
    let title = if course.is_empty() {
        labels.title.to_owned()
    } else {
        format!("{} – {course}", labels.title)
    };
    let learner = one_line(&plan.learner_name);
    let date = format!("{}T00:00:00Z", iso_date(plan.generated_on));

    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
    );
    xml.push_str(&format!("<dc:title>{}</dc:title>", xml_escape(&title)));
    if !course.is_empty() {
        xml.push_str(&format!("<dc:subject>{}</dc:subject>", xml_escape(&course)));
    }
    if !learner.is_empty() {
        xml.push_str(&format!(
            "<dc:creator>{}</dc:creator>",
            xml_escape(&learner)
        ));
    }
    xml.push_str(&format!(
        "<dc:language>{}</dc:language>",
        labels.docx_language
    ));
    xml.push_str(&format!(
        r#"<dcterms:created xsi:type="dcterms:W3CDTF">{date}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">{date}</dcterms:modified>"#
    ));
    xml.push_str("</cp:coreProperties>");
    xml.into_bytes()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Adds `<w:lang>` to the document defaults' run properties in `word/styles.xml`,
/// which docx-rs has no setter for. `w:lang` goes last among the properties docx-rs
/// writes there (fonts, size), as the schema's order asks. Should a later docx-rs
/// write the defaults differently, the styles are left as they are (the tests
/// notice).
fn with_default_language(styles: Vec<u8>, language: &str) -> Vec<u8> {
    let xml = match String::from_utf8(styles) {
        Ok(xml) => xml,
        Err(not_utf8) => return not_utf8.into_bytes(),
    };
    let lang = format!(r#"<w:lang w:val="{language}" />"#);
    let xml = if let Some(at) = xml.find("</w:rPr></w:rPrDefault>") {
        format!("{}{lang}{}", &xml[..at], &xml[at..])
    } else if xml.contains("<w:rPrDefault><w:rPr /></w:rPrDefault>") {
        xml.replacen(
            "<w:rPrDefault><w:rPr /></w:rPrDefault>",
            &format!("<w:rPrDefault><w:rPr>{lang}</w:rPr></w:rPrDefault>"),
            1,
        )
    } else {
        xml
    };
    xml.into_bytes()
}

// ---------------------------------------------------------------------------
// File names

const MAX_SLUG_LEN: usize = 60;

/// Lowercase ASCII letters and digits, words joined by single dashes, at most `max`
/// bytes (cut at a dash when there is one).
fn slug(text: &str, max: usize) -> String {
    let mut slug = String::new();
    let mut dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push(c);
        } else if let Some(folded) = fold(c) {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push_str(folded);
        } else if matches!(c, '\'' | '’' | 'ʼ' | '\u{300}'..='\u{36f}') {
            // Apostrophes ("auto's") and combining marks vanish.
        } else {
            dash = true;
        }
    }
    if slug.len() > max {
        let cut = slug[..=max].rfind('-').unwrap_or(max);
        slug.truncate(cut);
    }
    slug
}

/// A lowercase Latin letter with a diacritic (or a ligature) as plain ASCII.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests;

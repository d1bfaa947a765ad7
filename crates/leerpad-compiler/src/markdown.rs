//! Lesson Markdown to sanitised HTML.
//!
//! pulldown-cmark parses; this module walks its events to check and rewrite links and
//! images, give headings anchors, turn callouts into `<aside>`s, and turn `video` and
//! `reflection` fenced blocks into players and prompts. The resulting HTML goes
//! through ammonia, so raw HTML in a lesson can never carry a script.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Range;
use std::path::Path;
use std::sync::LazyLock;

use leerpad_core::{urls, Id, Language, LessonBlock, ReflectionPrompt};
use pulldown_cmark::{BlockQuoteKind, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use regex::Regex;

use crate::diagnostic::{Diagnostic, Diagnostics, Position};
use crate::schema::{RawReflection, RawVideo};
use crate::source::{SourceTree, ASSETS_DIR};
use crate::yaml::{suggest, YamlDoc};

/// What a lesson's Markdown may refer to.
pub struct LinkContext<'a> {
    pub course: &'a Id,
    pub language: Language,
    pub tree: &'a SourceTree,
    /// Course-relative source path of every item, to its id.
    pub items: &'a BTreeMap<String, Id>,
}

/// The file being rendered.
pub struct FileContext<'a> {
    pub link: &'a LinkContext<'a>,
    /// Path relative to the course folder, with `/`.
    pub rel: &'a str,
    /// Path as shown in diagnostics.
    pub display: &'a Path,
}

/// What rendering produced besides HTML.
#[derive(Debug, Default)]
pub struct Rendered {
    pub blocks: Vec<LessonBlock>,
    /// Assets referenced, relative to `assets/`.
    pub assets: BTreeSet<String>,
    /// Where each reflection prompt's block starts, for duplicate-id reports.
    pub reflection_positions: Vec<(Id, Position)>,
    pub diagnostics: Diagnostics,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// Renders a lesson body that starts at `origin` in its file.
pub fn render_lesson(text: &str, origin: Position, file: &FileContext<'_>) -> Rendered {
    Renderer::new(text, origin, file, true).run()
}

/// Renders a short Markdown field from YAML (a question, a feedback, a debrief).
/// A single paragraph is returned without its `<p>`, so it can sit inline.
pub fn render_fragment(
    text: &str,
    origin: Position,
    file: &FileContext<'_>,
    rendered: &mut Rendered,
) -> String {
    let mut r = Renderer::new(text, origin, file, false).run();
    rendered.assets.append(&mut r.assets);
    rendered.diagnostics.extend(r.diagnostics);
    let html: String = r
        .blocks
        .into_iter()
        .filter_map(|b| match b {
            LessonBlock::Html { html } => Some(html),
            LessonBlock::Reflection(_) => None,
        })
        .collect();
    let trimmed = html.trim();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => trimmed.to_string(),
    }
}

struct Renderer<'t, 'c> {
    text: &'t str,
    origin: Position,
    file: &'c FileContext<'c>,
    in_lesson: bool,
    out: Rendered,
    pending: Vec<Event<'t>>,
    anchors: HashSet<String>,
    /// Links open around the current event: an image inside one is not a figure.
    links_open: usize,
    /// Figures (images that open at full size) so far, and whether one is open.
    figures: usize,
    figure_open: bool,
}

impl<'t, 'c> Renderer<'t, 'c> {
    fn new(text: &'t str, origin: Position, file: &'c FileContext<'c>, in_lesson: bool) -> Self {
        Renderer {
            text,
            origin,
            file,
            in_lesson,
            out: Rendered::default(),
            pending: Vec::new(),
            anchors: HashSet::new(),
            links_open: 0,
            figures: 0,
            figure_open: false,
        }
    }

    fn pos(&self, offset: usize) -> Position {
        Position::of_offset(self.text, offset).within(self.origin)
    }

    fn error(&mut self, code: &'static str, offset: usize, message: String) -> &mut Diagnostic {
        let d = Diagnostic::error(code, self.file.display, self.pos(offset), message);
        self.push(d)
    }

    fn warning(&mut self, code: &'static str, offset: usize, message: String) -> &mut Diagnostic {
        let d = Diagnostic::warning(code, self.file.display, self.pos(offset), message);
        self.push(d)
    }

    fn push(&mut self, d: Diagnostic) -> &mut Diagnostic {
        self.out.diagnostics.push_mut(d)
    }

    fn run(mut self) -> Rendered {
        let events: Vec<(Event<'t>, Range<usize>)> = Parser::new_ext(self.text, options())
            .into_offset_iter()
            .collect();
        let mut i = 0;
        while i < events.len() {
            let (event, range) = &events[i];
            match event {
                Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                }) => {
                    let end = find_end(&events, i);
                    if *level == pulldown_cmark::HeadingLevel::H1 && self.in_lesson {
                        // The lesson's title is the page's one h1: a second one breaks
                        // the outline that screen-reader users navigate by.
                        self.warning(
                            "heading-level",
                            range.start,
                            "a `#` heading in a lesson: the lesson's title is already the page's main heading".into(),
                        )
                        .hint = Some("start the lesson's sections at `##`".into());
                    }
                    let anchor = match id {
                        Some(id) => id.to_string(),
                        None => self.unique_anchor(&plain_text(&events[i + 1..end])),
                    };
                    self.anchors.insert(anchor.clone());
                    self.pending.push(Event::Start(Tag::Heading {
                        level: *level,
                        id: Some(anchor.into()),
                        classes: classes.clone(),
                        attrs: attrs.clone(),
                    }));
                }
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    let dest = self.link(dest_url, range.start);
                    self.links_open += 1;
                    self.pending.push(Event::Start(Tag::Link {
                        link_type: *link_type,
                        dest_url: dest.into(),
                        title: title.clone(),
                        id: id.clone(),
                    }));
                }
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    let end = find_end(&events, i);
                    if plain_text(&events[i + 1..end]).trim().is_empty() {
                        self.warning("missing-alt-text", range.start, format!("image `{dest_url}` has no alt text"))
                            .hint = Some("describe what the image shows between the brackets: ![Vijf rollen rond twee polen](…)".into());
                    }
                    let dest = self.asset_url(dest_url, range.start, "image");
                    self.open_figure(&dest);
                    self.pending.push(Event::Start(Tag::Image {
                        link_type: *link_type,
                        dest_url: dest.into(),
                        title: title.clone(),
                        id: id.clone(),
                    }));
                }
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) if is_block(lang) => {
                    let end = find_end(&events, i);
                    let body: String = events[i + 1..end]
                        .iter()
                        .filter_map(|(e, _)| match e {
                            Event::Text(t) => Some(t.as_ref()),
                            _ => None,
                        })
                        .collect();
                    // The block's YAML starts on the line after the opening fence.
                    let fence_pos = self.pos(range.start);
                    let body_origin = Position::new(fence_pos.line + 1, 1);
                    match lang.as_ref() {
                        "reflection" => self.reflection(&body, body_origin, range.start),
                        _ => self.video(&body, body_origin, range.start),
                    }
                    i = end + 1;
                    continue;
                }
                Event::Start(Tag::BlockQuote(Some(kind))) => {
                    let (class, title) = callout(*kind, self.file.link.language);
                    self.pending.push(Event::Html(
                        format!("<aside class=\"callout callout-{class}\" role=\"note\"><p class=\"callout-title\">{title}</p>\n").into(),
                    ));
                }
                Event::TaskListMarker(done) => {
                    // A symbol rather than a disabled <input>: lessons carry no form controls.
                    let (symbol, label) = match (done, self.file.link.language) {
                        (true, Language::Nl) => ("☑", "klaar"),
                        (false, Language::Nl) => ("☐", "open"),
                        (true, Language::En) => ("☑", "done"),
                        (false, Language::En) => ("☐", "to do"),
                    };
                    self.pending.push(Event::Html(
                        format!("<span class=\"task-marker\" role=\"img\" aria-label=\"{label}\">{symbol}</span> ").into(),
                    ));
                }
                Event::End(TagEnd::BlockQuote(Some(_))) => {
                    self.pending.push(Event::Html("</aside>\n".into()));
                }
                Event::Html(raw) | Event::InlineHtml(raw) => {
                    if UNSAFE_HTML.is_match(raw) {
                        self.warning("unsafe-html", range.start, "raw HTML with scripts, styles, frames, forms or event handlers: it is removed".into())
                            .hint = Some("use Markdown, a callout or a ```video block instead of raw HTML".into());
                    }
                    self.pending.push(event.clone());
                }
                Event::End(TagEnd::Link) => {
                    self.links_open = self.links_open.saturating_sub(1);
                    self.pending.push(event.clone());
                }
                Event::End(TagEnd::Image) => {
                    self.pending.push(event.clone());
                    self.close_figure();
                }
                _ => self.pending.push(event.clone()),
            }
            i += 1;
        }
        self.flush();
        self.out
    }

    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, self.pending.drain(..));
        let clean = leerpad_markdown::trainer_html(&html);
        if !clean.trim().is_empty() {
            self.out.blocks.push(LessonBlock::Html { html: clean });
        }
    }

    /// A lesson's own image (not one inside a link) becomes a link to its page at
    /// full size, [`urls::figure`], which phones need for diagrams; `figure-N` is
    /// where that page's way back returns to.
    fn open_figure(&mut self, src: &str) {
        let link = self.file.link;
        let item = link.items.get(self.file.rel);
        let Some(item) = item.filter(|_| self.in_lesson && self.links_open == 0) else {
            return;
        };
        if !src.starts_with(&urls::asset(link.course, "")) {
            return;
        }
        self.figures += 1;
        let n = self.figures;
        self.anchors.insert(format!("figure-{n}"));
        let href = urls::figure(link.course, item, n);
        self.pending.push(Event::Html(
            format!("<a class=\"figure-link\" id=\"figure-{n}\" href=\"{href}\">").into(),
        ));
        self.figure_open = true;
    }

    fn close_figure(&mut self) {
        if !std::mem::take(&mut self.figure_open) {
            return;
        }
        let hint = match self.file.link.language {
            Language::Nl => "Open op ware grootte",
            Language::En => "Open at full size",
        };
        self.pending.push(Event::Html(
            format!("<span class=\"figure-hint\">{hint}</span></a>").into(),
        ));
    }

    fn unique_anchor(&self, text: &str) -> String {
        let base = slugify(text);
        let base = if base.is_empty() {
            "section".to_string()
        } else {
            base
        };
        let mut candidate = base.clone();
        let mut n = 1;
        while self.anchors.contains(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        candidate
    }

    /// Checks a link and rewrites links to other items and to assets.
    fn link(&mut self, dest: &str, offset: usize) -> String {
        if dest.starts_with('#') || dest.starts_with("//") {
            return dest.to_string();
        }
        if let Some(scheme) = scheme_of(dest) {
            if !matches!(scheme.as_str(), "http" | "https" | "mailto" | "tel") {
                self.error(
                    "unsafe-link",
                    offset,
                    format!("link with scheme `{scheme}:` is not allowed"),
                )
                .hint = Some(
                    "use an https: link, a mailto: link or a relative link to a lesson".into(),
                );
                return "#".into();
            }
            return dest.to_string();
        }
        let (path, fragment) = match dest.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (dest, None),
        };
        let Some(target) = resolve(self.file.rel, path) else {
            self.error(
                "broken-link",
                offset,
                format!("link `{dest}` points outside the course folder"),
            )
            .hint = Some("link to a file of this course, relative to this file".into());
            return "#".into();
        };
        if target.starts_with(&format!("{ASSETS_DIR}/")) {
            return self.asset_url(dest, offset, "linked file");
        }
        let link = self.file.link;
        match link.items.get(&target) {
            Some(id) => {
                let mut url = urls::item(link.course, id);
                if let Some(f) = fragment {
                    url.push('#');
                    url.push_str(f);
                }
                url
            }
            None => {
                let known: Vec<String> = link.items.keys().cloned().collect();
                let what = if link.tree.contains(&target) {
                    format!("link `{dest}` points to `{target}`, which is not a lesson, quiz or scenario")
                } else {
                    format!("broken link: `{target}` does not exist")
                };
                self.error("broken-link", offset, what).hint =
                    Some(suggest(&target, &known, "link"));
                "#".into()
            }
        }
    }

    /// Checks a reference to a file in `assets/` and returns its URL.
    fn asset_url(&mut self, dest: &str, offset: usize, what: &str) -> String {
        if scheme_of(dest).is_some() || dest.starts_with("//") {
            return dest.to_string();
        }
        let path = dest.split(['#', '?']).next().unwrap_or(dest);
        let target = resolve(self.file.rel, path);
        let Some(asset) = target
            .as_deref()
            .and_then(|t| t.strip_prefix(&format!("{ASSETS_DIR}/")))
        else {
            self.error(
                "asset-outside-course",
                offset,
                format!("{what} `{dest}` is not in the course's `{ASSETS_DIR}/` folder"),
            )
            .hint = Some(format!(
                "put the file in `{ASSETS_DIR}/` and refer to it relative to this file"
            ));
            return "#".into();
        };
        let asset = asset.to_string();
        if !self
            .file
            .link
            .tree
            .contains(&format!("{ASSETS_DIR}/{asset}"))
        {
            let known: Vec<String> = self
                .file
                .link
                .tree
                .files
                .keys()
                .filter_map(|k| {
                    k.strip_prefix(&format!("{ASSETS_DIR}/"))
                        .map(str::to_string)
                })
                .collect();
            self.error(
                "missing-asset",
                offset,
                format!("{what} `{asset}` is not in `{ASSETS_DIR}/`"),
            )
            .hint = Some(suggest(&asset, &known, "reference"));
            return "#".into();
        }
        let url = urls::asset(self.file.link.course, &asset);
        self.out.assets.insert(asset);
        url
    }

    fn block_doc<T: serde::de::DeserializeOwned>(
        &mut self,
        body: &str,
        origin: Position,
        offset: usize,
        kind: &str,
    ) -> Option<T> {
        let mut diags = Diagnostics::default();
        let doc = YamlDoc::parse(self.file.display, body, origin, &mut diags);
        let parsed = doc.as_ref().and_then(|d| d.deserialize::<T>(&mut diags));
        let failed = parsed.is_none();
        self.out.diagnostics.extend(diags);
        if failed && self.out.diagnostics.is_empty() {
            self.error(
                "invalid-block",
                offset,
                format!("the `{kind}` block is not valid"),
            );
        }
        parsed
    }

    fn reflection(&mut self, body: &str, origin: Position, offset: usize) {
        if !self.in_lesson {
            self.error(
                "invalid-block",
                offset,
                "reflection prompts belong in lessons, not in quiz or scenario text".into(),
            );
            return;
        }
        let Some(raw) = self.block_doc::<RawReflection>(body, origin, offset, "reflection") else {
            return;
        };
        self.flush();
        let mut nested = Rendered::default();
        let prompt_html = render_fragment(&raw.prompt, origin, self.file, &mut nested);
        self.out.assets.append(&mut nested.assets);
        self.out.diagnostics.extend(nested.diagnostics);
        self.out.reflection_positions.push((raw.id.clone(), origin));
        self.out
            .blocks
            .push(LessonBlock::Reflection(ReflectionPrompt {
                id: raw.id,
                prompt_html,
                action_plan_heading: raw.action_plan,
                placeholder: raw.placeholder,
            }));
    }

    fn video(&mut self, body: &str, origin: Position, offset: usize) {
        let Some(raw) = self.block_doc::<RawVideo>(body, origin, offset, "video") else {
            return;
        };
        let title = escape(&raw.title);
        let player = if let Some(embed) = hosted_video(&raw.src) {
            if raw.subtitles.is_some() {
                self.warning("invalid-block", offset, "`subtitles` only applies to video files in assets/; hosted players bring their own".into());
            }
            format!(
                "<div class=\"video-frame\"><iframe src=\"{embed}\" title=\"{title}\" loading=\"lazy\" allow=\"encrypted-media; picture-in-picture; fullscreen\" allowfullscreen referrerpolicy=\"strict-origin-when-cross-origin\"></iframe></div>"
            )
        } else if scheme_of(&raw.src).is_some() || raw.src.starts_with("//") {
            self.error(
                "unsupported-video",
                offset,
                format!(
                    "video `{}` is neither a YouTube or Vimeo link nor a file in assets/",
                    raw.src
                ),
            )
            .hint = Some(
                "use a youtube.com, youtu.be or vimeo.com link, or put the file in assets/".into(),
            );
            return;
        } else {
            let src = self.asset_url(&raw.src, offset, "video");
            let track = match &raw.subtitles {
                Some(subs) => {
                    let subs_url = self.asset_url(subs, offset, "subtitles");
                    let lang = self.file.link.language;
                    let label = match lang {
                        Language::Nl => "Nederlands",
                        Language::En => "English",
                    };
                    format!("<track kind=\"subtitles\" src=\"{subs_url}\" srclang=\"{}\" label=\"{label}\" default>", lang.code())
                }
                None => {
                    self.warning("missing-subtitles", offset, format!("video `{}` has no subtitles", raw.src))
                        .hint = Some("add `subtitles: ../assets/<name>.vtt` (WebVTT) for learners who cannot hear the video".into());
                    String::new()
                }
            };
            format!("<video controls preload=\"metadata\" src=\"{src}\" title=\"{title}\">{track}</video>")
        };
        let caption = match &raw.caption {
            Some(c) => format!("<figcaption>{}</figcaption>", escape(c)),
            None => {
                self.warning("missing-caption", offset, "video without a caption".into())
                    .hint = Some("add `caption:` with a sentence on what the video shows".into());
                String::new()
            }
        };
        self.pending.push(Event::Html(
            format!("<figure class=\"video\">{player}{caption}</figure>\n").into(),
        ));
    }
}

fn is_block(lang: &CowStr<'_>) -> bool {
    matches!(lang.as_ref(), "reflection" | "video")
}

/// The index of the event that closes the one opened at `start`.
fn find_end(events: &[(Event<'_>, Range<usize>)], start: usize) -> usize {
    let mut depth = 0usize;
    for (i, (e, _)) in events.iter().enumerate().skip(start) {
        match e {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    events.len()
}

fn plain_text(events: &[(Event<'_>, Range<usize>)]) -> String {
    events
        .iter()
        .filter_map(|(e, _)| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect()
}

/// A heading's anchor: lowercase words joined by `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if (c.is_whitespace() || c == '-' || c == '_')
            && !out.is_empty()
            && !out.ends_with('-')
        {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn scheme_of(dest: &str) -> Option<String> {
    let (scheme, _) = dest.split_once(':')?;
    let valid = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// Resolves `link`, relative to the file `from` (both course-relative), to a
/// normalised course-relative path; `None` if it leaves the course.
pub fn resolve(from: &str, link: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(link).decode_utf8_lossy();
    let mut parts: Vec<&str> = if decoded.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = from.split('/').collect();
        p.pop();
        p
    };
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn callout(kind: BlockQuoteKind, lang: Language) -> (&'static str, &'static str) {
    match (kind, lang) {
        (BlockQuoteKind::Note, Language::Nl) => ("note", "Opmerking"),
        (BlockQuoteKind::Tip, Language::Nl) => ("tip", "Tip"),
        (BlockQuoteKind::Important, Language::Nl) => ("important", "Belangrijk"),
        (BlockQuoteKind::Warning, Language::Nl) => ("warning", "Let op"),
        (BlockQuoteKind::Caution, Language::Nl) => ("caution", "Opgelet"),
        (BlockQuoteKind::Note, Language::En) => ("note", "Note"),
        (BlockQuoteKind::Tip, Language::En) => ("tip", "Tip"),
        (BlockQuoteKind::Important, Language::En) => ("important", "Important"),
        (BlockQuoteKind::Warning, Language::En) => ("warning", "Warning"),
        (BlockQuoteKind::Caution, Language::En) => ("caution", "Caution"),
    }
}

static YOUTUBE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^https?://(?:www\.|m\.)?(?:youtube\.com/(?:watch\?(?:[^#]*&)?v=|embed/|shorts/)|youtu\.be/|youtube-nocookie\.com/embed/)([A-Za-z0-9_-]{11})").unwrap()
});
static VIMEO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^https?://(?:www\.|player\.)?vimeo\.com/(?:video/)?(\d+)").unwrap()
});

use leerpad_markdown::{VIMEO_EMBED, YOUTUBE_EMBED};

fn hosted_video(src: &str) -> Option<String> {
    if let Some(c) = YOUTUBE.captures(src) {
        return Some(format!("{YOUTUBE_EMBED}{}", &c[1]));
    }
    VIMEO
        .captures(src)
        .map(|c| format!("{VIMEO_EMBED}{}", &c[1]))
}

static UNSAFE_HTML: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<\s*/?\s*(script|style|iframe|form|object|embed|base|meta|link)\b|\son[a-z]+\s*=|javascript:|vbscript:|data:text/html").unwrap()
});

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_paths() {
        assert_eq!(
            resolve("01-a/02-b.md", "../02-c/01-d.md").as_deref(),
            Some("02-c/01-d.md")
        );
        assert_eq!(
            resolve("01-a/02-b.md", "03-x.md").as_deref(),
            Some("01-a/03-x.md")
        );
        assert_eq!(
            resolve("01-a/02-b.md", "../assets/a%20b.png").as_deref(),
            Some("assets/a b.png")
        );
        assert_eq!(resolve("01-a/02-b.md", "../../x.md"), None);
    }

    #[test]
    fn slugs_are_readable() {
        assert_eq!(slugify("De stille middengroep"), "de-stille-middengroep");
        assert_eq!(slugify("Wat is 'brandstof'?"), "wat-is-brandstof");
        assert_eq!(slugify("Één  twee"), "één-twee");
    }

    #[test]
    fn recognises_hosted_video() {
        assert_eq!(
            hosted_video("https://www.youtube.com/watch?v=abcdefghijk").as_deref(),
            Some("https://www.youtube-nocookie.com/embed/abcdefghijk")
        );
        assert_eq!(
            hosted_video("https://youtu.be/abcdefghijk?t=3").as_deref(),
            Some("https://www.youtube-nocookie.com/embed/abcdefghijk")
        );
        assert_eq!(
            hosted_video("https://vimeo.com/12345").as_deref(),
            Some("https://player.vimeo.com/video/12345")
        );
        assert_eq!(
            hosted_video("https://evil.example/watch?v=abcdefghijk"),
            None
        );
    }
}

//! What people write, made safe to show. One place for both policies:
//!
//! - [`trainer_html`]: the HTML the compiler makes of a trainer's lesson, with
//!   the allow-list lessons need (figures, callouts, captioned video, embedded
//!   players from YouTube's privacy-enhanced domain and Vimeo only). Raw HTML a
//!   trainer writes is allowed through this list, never a script.
//! - [`learner_html`]: Markdown a learner writes (a post in the community, and
//!   later other free text) rendered with a stricter policy: raw HTML is shown as
//!   text, never interpreted; no images, embeds, ids, classes or styles (nothing
//!   that loads from elsewhere or imitates the page); headings start at level 3,
//!   below the page's own; links open as `nofollow ugc` and only to `http`,
//!   `https` and `mailto`.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Where an embedded YouTube player may come from (the privacy-enhanced domain).
pub const YOUTUBE_EMBED: &str = "https://www.youtube-nocookie.com/embed/";
/// Where an embedded Vimeo player may come from.
pub const VIMEO_EMBED: &str = "https://player.vimeo.com/video/";

/// Sanitises the HTML made of a trainer's lesson.
pub fn trainer_html(html: &str) -> String {
    TRAINER.clean(html).to_string()
}

/// Renders Markdown a learner wrote to HTML that is safe to show anywhere.
pub fn learner_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TABLES);
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        // Raw HTML is text a person typed: show it, never run it.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Heading {
            level,
            id: _,
            classes: _,
            attrs: _,
        }) => Event::Start(Tag::Heading {
            level: below_page(level),
            id: None,
            classes: Vec::new(),
            attrs: Vec::new(),
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(below_page(level))),
        // An image becomes a link to it, with its description as the text.
        Event::Start(Tag::Image {
            dest_url, title, ..
        }) => Event::Start(Tag::Link {
            link_type: pulldown_cmark::LinkType::Inline,
            dest_url,
            title,
            id: CowStr::Borrowed(""),
        }),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    LEARNER.clean(&html).to_string()
}

fn below_page(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

static LEARNER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> = [
        "p",
        "br",
        "em",
        "strong",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    ]
    .into_iter()
    .collect();
    let mut b = ammonia::Builder::empty();
    b.tags(tags)
        .add_tag_attributes("a", ["href", "title"])
        .add_tag_attributes("ol", ["start"])
        .link_rel(Some("nofollow ugc noopener noreferrer"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::PassThrough)
        .strip_comments(true);
    b
});

static TRAINER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_tags([
        "aside",
        "figure",
        "figcaption",
        "video",
        "track",
        "iframe",
        "section",
    ])
    .add_generic_attributes(["id", "class", "role", "aria-label", "aria-hidden"])
    .add_tag_attributes("video", ["src", "controls", "preload", "poster", "title"])
    .add_tag_attributes("track", ["kind", "src", "srclang", "label", "default"])
    .add_tag_attributes(
        "iframe",
        [
            "src",
            "title",
            "loading",
            "allow",
            "allowfullscreen",
            "referrerpolicy",
        ],
    )
    .add_tag_attributes("img", ["loading", "width", "height"])
    .add_tag_attributes("th", ["style"])
    .add_tag_attributes("td", ["style"])
    .filter_style_properties(["text-align"].into_iter().collect())
    .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
    .attribute_filter(|element, attribute, value| match (element, attribute) {
        ("iframe", "src") => (value.starts_with(YOUTUBE_EMBED) || value.starts_with(VIMEO_EMBED))
            .then(|| value.into()),
        _ => Some(value.into()),
    });
    b
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learner_markdown_keeps_what_people_write() {
        let html =
            learner_html("Hallo **iedereen**,\n\n> eerder gezegd\n\n- een\n- twee\n\n`code`");
        assert!(html.contains("<strong>iedereen</strong>"), "{html}");
        assert!(html.contains("<blockquote>"), "{html}");
        assert!(html.contains("<li>een</li>"), "{html}");
        assert!(html.contains("<code>code</code>"), "{html}");
    }

    #[test]
    fn raw_html_in_learner_text_is_shown_not_run() {
        for attack in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<a href=\"javascript:alert(1)\">klik</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<svg onload=alert(1)>",
            "<style>body{display:none}</style>",
        ] {
            let html = learner_html(attack);
            assert!(
                !html.contains('<') || !html.contains(&attack[..4]),
                "{attack} -> {html}"
            );
            assert!(html.contains("&lt;"), "{attack} -> {html}");
        }
    }

    #[test]
    fn learner_links_are_safe_and_marked() {
        let html = learner_html(
            "[site](https://example.org) [x](javascript:alert(1)) [d](data:text/html,hoi)",
        );
        assert!(html.contains("href=\"https://example.org\""), "{html}");
        assert!(
            html.contains("rel=\"nofollow ugc noopener noreferrer\""),
            "{html}"
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
    }

    #[test]
    fn learner_images_become_links_and_headings_sit_below_the_page() {
        let html = learner_html("# Titel\n\n![een foto](https://example.org/a.png)");
        assert!(html.contains("<h3>Titel</h3>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("<a href=\"https://example.org/a.png\""),
            "{html}"
        );
    }

    #[test]
    fn trainer_html_keeps_only_allowed_players() {
        let ok = trainer_html(&format!(
            "<iframe src=\"{YOUTUBE_EMBED}abc\" title=\"v\"></iframe>"
        ));
        assert!(ok.contains("src="), "{ok}");
        let bad =
            trainer_html("<iframe src=\"https://evil.example/x\"></iframe><script>x</script>");
        assert!(!bad.contains("evil") && !bad.contains("script"), "{bad}");
    }
}

//! The kinds of file a course may publish from its `assets/` folder.
//!
//! Course files are served from the site's own origin, so a file a browser would run
//! (HTML, JavaScript, a Flash or XML document) could act as whoever opens it. Only
//! the media types below are published; the compiler refuses every other file, and
//! the server refuses to serve anything else even if an older database holds it.

/// How a browser is to treat a published file when someone opens it directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Shown in the page or the browser (images, audio, video, subtitles).
    Inline,
    /// Offered as a download: files a browser would otherwise render as a document
    /// of the site (SVG, PDF, office documents).
    Download,
}

/// A kind of file courses may publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssetKind {
    /// The file name extensions, lowercase, without the dot.
    pub extensions: &'static [&'static str],
    pub media_type: &'static str,
    pub disposition: Disposition,
    /// What it is, for the compiler's hint.
    pub group: &'static str,
}

const fn kind(
    extensions: &'static [&'static str],
    media_type: &'static str,
    disposition: Disposition,
    group: &'static str,
) -> AssetKind {
    AssetKind {
        extensions,
        media_type,
        disposition,
        group,
    }
}

use Disposition::{Download, Inline};

/// Every kind of file a course may publish.
pub const ASSET_KINDS: &[AssetKind] = &[
    kind(&["png"], "image/png", Inline, "images"),
    kind(&["jpg", "jpeg"], "image/jpeg", Inline, "images"),
    kind(&["gif"], "image/gif", Inline, "images"),
    kind(&["webp"], "image/webp", Inline, "images"),
    kind(&["avif"], "image/avif", Inline, "images"),
    // An SVG is a document that can hold scripts: shown through <img> (which runs
    // none), downloaded when opened on its own.
    kind(&["svg"], "image/svg+xml", Download, "images"),
    kind(&["mp3"], "audio/mpeg", Inline, "audio"),
    kind(&["m4a"], "audio/mp4", Inline, "audio"),
    kind(&["oga", "ogg"], "audio/ogg", Inline, "audio"),
    kind(&["opus"], "audio/opus", Inline, "audio"),
    kind(&["wav"], "audio/wav", Inline, "audio"),
    kind(&["mp4", "m4v"], "video/mp4", Inline, "video"),
    kind(&["webm"], "video/webm", Inline, "video"),
    kind(&["ogv"], "video/ogg", Inline, "video"),
    kind(&["vtt"], "text/vtt", Inline, "subtitles"),
    kind(&["pdf"], "application/pdf", Download, "documents"),
    kind(
        &["docx"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Download,
        "documents",
    ),
    kind(
        &["xlsx"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Download,
        "documents",
    ),
    kind(
        &["pptx"],
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        Download,
        "documents",
    ),
    kind(
        &["odt"],
        "application/vnd.oasis.opendocument.text",
        Download,
        "documents",
    ),
    kind(
        &["ods"],
        "application/vnd.oasis.opendocument.spreadsheet",
        Download,
        "documents",
    ),
    kind(
        &["odp"],
        "application/vnd.oasis.opendocument.presentation",
        Download,
        "documents",
    ),
];

/// The kind of a file by its name, or `None` when courses may not publish it.
pub fn asset_kind(path: &str) -> Option<&'static AssetKind> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (_, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    ASSET_KINDS
        .iter()
        .find(|k| k.extensions.contains(&ext.as_str()))
}

/// The kind with this media type, or `None` when it may not be served.
pub fn asset_kind_of_media_type(media_type: &str) -> Option<&'static AssetKind> {
    ASSET_KINDS.iter().find(|k| k.media_type == media_type)
}

/// The allowed extensions by group, for messages: `images (png, jpg, …), audio (…)`.
pub fn allowed_extensions() -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for k in ASSET_KINDS {
        match groups.iter_mut().find(|(g, _)| *g == k.group) {
            Some((_, exts)) => exts.extend(k.extensions),
            None => groups.push((k.group, k.extensions.to_vec())),
        }
    }
    groups
        .iter()
        .map(|(g, exts)| format!("{g} ({})", exts.join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_kinds_are_published() {
        assert_eq!(asset_kind("a/b/Plan.PNG").unwrap().media_type, "image/png");
        assert_eq!(
            asset_kind("rollen.svg").unwrap().disposition,
            Disposition::Download
        );
        assert_eq!(
            asset_kind("film.mp4").unwrap().disposition,
            Disposition::Inline
        );
        for refused in [
            "x.html",
            "x.htm",
            "x.js",
            "x.mjs",
            "x.xhtml",
            "x.xml",
            "x.swf",
            "x.css",
            "noextension",
            "png",
            "x.png.html",
        ] {
            assert!(asset_kind(refused).is_none(), "{refused}");
        }
        assert!(asset_kind_of_media_type("text/html").is_none());
        assert!(allowed_extensions().starts_with("images (png, jpg, jpeg"));
    }
}

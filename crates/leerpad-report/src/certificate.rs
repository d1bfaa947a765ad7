//! A learner's certificate as a PDF document ([`pdf`]): one A4 page with the
//! certificate's title, the holder's name, the course, the hours of study, the date,
//! who issued it, how long it is valid, its verification code and the address where
//! anyone can check it, also as a QR code.
//!
//! The text is set in DejaVu Sans (regular and bold, from Debian's `fonts-dejavu-core`,
//! see `fonts/LICENSE`), which has every letter Dutch and the other languages of
//! learners' names need; krilla embeds only the glyphs used, with their Unicode
//! values, so the text can be selected, searched and read aloud. Long titles and
//! names wrap onto more lines, centred.

use std::sync::OnceLock;

use chrono::NaiveDate;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use leerpad_core::Language;
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use crate::action_plan::{long_date_in, one_line};
use crate::ReportError;

const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// A4 in PDF points (1/72 inch).
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
/// The widest a line of text may be.
const TEXT_WIDTH: f32 = 455.0;
/// The QR code's side, quiet zone included.
const QR_SIDE: f32 = 130.0;

/// What a certificate says. All text is plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The language of the document's own words.
    pub language: Language,
    /// The title printed on it (the course's certificate title).
    pub title: String,
    pub course_title: String,
    pub holder_name: String,
    /// The course's estimated study time, in minutes.
    pub study_minutes: u32,
    pub issued_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub issuer: Option<String>,
    /// The verification code, e.g. `ABCD-EFGH-JKLM`.
    pub code: String,
    /// Where anyone can check the certificate; also the QR code's content.
    pub verify_url: String,
}

struct Labels {
    kicker: &'static str,
    awarded_to: &'static str,
    for_completing: &'static str,
    study_time: &'static str,
    issued_on: &'static str,
    valid_until: &'static str,
    issued_by: &'static str,
    code: &'static str,
    verify_at: &'static str,
    file_stem: &'static str,
}

const NL: Labels = Labels {
    kicker: "CERTIFICAAT",
    awarded_to: "uitgereikt aan",
    for_completing: "voor het afronden van de opleiding",
    study_time: "Studietijd",
    issued_on: "Datum",
    valid_until: "Geldig tot",
    issued_by: "Uitgereikt door",
    code: "Controlecode",
    verify_at: "Iedereen kan dit certificaat controleren op",
    file_stem: "certificaat",
};

const EN: Labels = Labels {
    kicker: "CERTIFICATE",
    awarded_to: "awarded to",
    for_completing: "for completing the course",
    study_time: "Hours of study",
    issued_on: "Date",
    valid_until: "Valid until",
    issued_by: "Issued by",
    code: "Verification code",
    verify_at: "Anyone can check this certificate at",
    file_stem: "certificate",
};

fn labels(language: Language) -> &'static Labels {
    match language {
        Language::Nl => &NL,
        Language::En => &EN,
    }
}

/// The study time in hours as people write it: "45 minuten", "1 uur", "2,5 uur" /
/// "45 minutes", "1 hour", "2.5 hours". Hours are rounded to the nearest half.
pub fn study_time(minutes: u32, language: Language) -> String {
    if minutes < 60 {
        return match language {
            Language::Nl => format!("{minutes} minuten"),
            Language::En if minutes == 1 => "1 minute".to_string(),
            Language::En => format!("{minutes} minutes"),
        };
    }
    let halves = (minutes + 15) / 30;
    let (whole, half) = (halves / 2, halves % 2 == 1);
    let number = match (half, language) {
        (false, _) => whole.to_string(),
        (true, Language::Nl) => format!("{whole},5"),
        (true, Language::En) => format!("{whole}.5"),
    };
    match language {
        Language::Nl => format!("{number} uur"),
        Language::En if halves == 2 => "1 hour".to_string(),
        Language::En => format!("{number} hours"),
    }
}

/// The file name of the download: `certificaat-<code>.pdf` / `certificate-<code>.pdf`.
pub fn file_name(cert: &Certificate) -> String {
    let code: String = cert
        .code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("{}-{code}.pdf", labels(cert.language).file_stem)
}

/// The certificate as a one-page A4 PDF.
pub fn pdf(cert: &Certificate) -> Result<Vec<u8>, ReportError> {
    let l = labels(cert.language);
    let fonts = fonts();
    let qr =
        qrcode::QrCode::with_error_correction_level(cert.verify_url.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| {
                ReportError::Pdf(format!("the verification address has no QR code: {e}"))
            })?;

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!(
                "{}: {}",
                one_line(&cert.title),
                one_line(&cert.holder_name)
            ))
            .language(cert.language.code().to_string())
            .creator("Leerpad".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| ReportError::Pdf("no A4 page".into()))?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();

    frame(&mut surface);
    let mut pen = Pen {
        surface: &mut surface,
        fonts,
        y: 150.0,
    };
    pen.centred(l.kicker, Face::Bold, 13.0, GREY);
    pen.gap(26.0);
    pen.centred(&one_line(&cert.title), Face::Bold, 26.0, INK);
    pen.gap(30.0);
    pen.centred(l.awarded_to, Face::Regular, 13.0, GREY);
    pen.gap(12.0);
    pen.centred(&one_line(&cert.holder_name), Face::Bold, 24.0, INK);
    pen.gap(28.0);
    pen.centred(l.for_completing, Face::Regular, 13.0, GREY);
    pen.gap(10.0);
    pen.centred(&one_line(&cert.course_title), Face::Bold, 17.0, INK);
    pen.gap(30.0);
    let facts = [
        Some(format!(
            "{}: {}",
            l.study_time,
            study_time(cert.study_minutes, cert.language)
        )),
        Some(format!(
            "{}: {}",
            l.issued_on,
            long_date_in(cert.issued_on, cert.language)
        )),
        cert.expires_on
            .map(|d| format!("{}: {}", l.valid_until, long_date_in(d, cert.language))),
        cert.issuer
            .as_deref()
            .map(one_line)
            .filter(|i| !i.is_empty())
            .map(|i| format!("{}: {i}", l.issued_by)),
    ];
    for fact in facts.into_iter().flatten() {
        pen.centred(&fact, Face::Regular, 12.0, INK);
        pen.gap(6.0);
    }

    // The QR code and the address it holds, at the foot of the page.
    let qr_top = PAGE_HEIGHT - 300.0;
    draw_qr(&mut surface, &qr, (PAGE_WIDTH - QR_SIDE) / 2.0, qr_top);
    let mut pen = Pen {
        surface: &mut surface,
        fonts,
        y: qr_top + QR_SIDE + 22.0,
    };
    pen.centred(l.verify_at, Face::Regular, 10.0, GREY);
    pen.gap(4.0);
    pen.centred(&cert.verify_url, Face::Regular, 10.0, INK);
    pen.gap(8.0);
    pen.centred(&format!("{}: {}", l.code, cert.code), Face::Bold, 11.0, INK);

    surface.finish();
    page.finish();
    document
        .finish()
        .map_err(|e| ReportError::Pdf(format!("{e:?}")))
}

const INK: (u8, u8, u8) = (0x1a, 0x1a, 0x2e);
const GREY: (u8, u8, u8) = (0x4a, 0x4a, 0x5a);

#[derive(Clone, Copy)]
enum Face {
    Regular,
    Bold,
}

struct Fonts {
    regular: (Font, FontRef<'static>),
    bold: (Font, FontRef<'static>),
}

impl Fonts {
    fn get(&self, face: Face) -> &(Font, FontRef<'static>) {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }
}

/// The two faces, parsed once.
fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let load = |bytes: &'static [u8]| {
            (
                Font::new(bytes.into(), 0).expect("the bundled font loads"),
                FontRef::new(bytes).expect("the bundled font parses"),
            )
        };
        Fonts {
            regular: load(REGULAR),
            bold: load(BOLD),
        }
    })
}

/// Writes centred lines down the page.
struct Pen<'a, 'b> {
    surface: &'a mut Surface<'b>,
    fonts: &'static Fonts,
    /// The top of the next line.
    y: f32,
}

impl Pen<'_, '_> {
    fn gap(&mut self, points: f32) {
        self.y += points;
    }

    /// `text` centred, wrapped at spaces onto as many lines as it needs (a word
    /// wider than a line is broken between letters).
    fn centred(&mut self, text: &str, face: Face, size: f32, (r, g, b): (u8, u8, u8)) {
        let (font, metrics) = self.fonts.get(face);
        self.surface.set_fill(Some(Fill {
            paint: rgb::Color::new(r, g, b).into(),
            ..Fill::default()
        }));
        for line in wrap(text, |s| width(metrics, s, size), TEXT_WIDTH) {
            let w = width(metrics, &line, size);
            // `draw_text` places the baseline; the line's top is `size` above it.
            self.y += size;
            self.surface.draw_text(
                Point::from_xy((PAGE_WIDTH - w) / 2.0, self.y),
                font.clone(),
                size,
                &line,
                false,
                TextDirection::Auto,
            );
            self.y += size * 0.3;
        }
    }
}

/// The advance width of `text` at `size` points (kerning left out: a centred line
/// is off by a fraction of a point at most).
fn width(font: &FontRef<'_>, text: &str, size: f32) -> f32 {
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
    text.chars()
        .map(|c| {
            let glyph = charmap.map(c).unwrap_or_default();
            metrics.advance_width(glyph).unwrap_or(0.0)
        })
        .sum()
}

/// Greedy line breaking at spaces; a word wider than `max` on its own is cut
/// between characters.
fn wrap(text: &str, width: impl Fn(&str) -> f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if width(&candidate) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if width(&line) > max && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A thin double frame around the page.
fn frame(surface: &mut Surface<'_>) {
    for (inset, stroke_width) in [(28.0, 2.0), (36.0, 0.6)] {
        let mut pb = PathBuilder::new();
        if let Some(rect) = Rect::from_xywh(
            inset,
            inset,
            PAGE_WIDTH - 2.0 * inset,
            PAGE_HEIGHT - 2.0 * inset,
        ) {
            pb.push_rect(rect);
        }
        if let Some(path) = pb.finish() {
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke {
                paint: rgb::Color::new(0x2b, 0x4c, 0x7e).into(),
                width: stroke_width,
                ..Stroke::default()
            }));
            surface.draw_path(&path);
        }
    }
    surface.set_stroke(None);
}

/// The QR code as black squares on white, with a quiet zone of four modules, in a
/// square of [`QR_SIDE`] at (`x`, `y`).
fn draw_qr(surface: &mut Surface<'_>, qr: &qrcode::QrCode, x: f32, y: f32) {
    let modules = qr.width();
    let quiet = 4;
    let unit = QR_SIDE / (modules + 2 * quiet) as f32;
    let mut pb = PathBuilder::new();
    for (i, dark) in qr.to_colors().iter().enumerate() {
        if *dark == qrcode::Color::Dark {
            let (col, row) = (i % modules, i / modules);
            if let Some(rect) = Rect::from_xywh(
                x + (col + quiet) as f32 * unit,
                y + (row + quiet) as f32 * unit,
                unit,
                unit,
            ) {
                pb.push_rect(rect);
            }
        }
    }
    surface.set_stroke(None);
    if let Some(rect) = Rect::from_xywh(x, y, QR_SIDE, QR_SIDE) {
        let mut white = PathBuilder::new();
        white.push_rect(rect);
        if let Some(path) = white.finish() {
            surface.set_fill(Some(Fill {
                paint: rgb::Color::white().into(),
                ..Fill::default()
            }));
            surface.draw_path(&path);
        }
    }
    if let Some(path) = pb.finish() {
        surface.set_fill(Some(Fill {
            paint: rgb::Color::black().into(),
            ..Fill::default()
        }));
        surface.draw_path(&path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn study_time_reads_as_people_write_it() {
        assert_eq!(study_time(45, Language::Nl), "45 minuten");
        assert_eq!(study_time(60, Language::Nl), "1 uur");
        assert_eq!(study_time(150, Language::Nl), "2,5 uur");
        assert_eq!(study_time(150, Language::En), "2.5 hours");
        assert_eq!(study_time(70, Language::En), "1 hour");
        assert_eq!(study_time(80, Language::En), "1.5 hours");
        assert_eq!(study_time(1, Language::En), "1 minute");
    }

    #[test]
    fn long_lines_wrap_and_long_words_break() {
        let w = |s: &str| s.chars().count() as f32;
        assert_eq!(wrap("een twee drie", w, 8.0), ["een twee", "drie"]);
        assert_eq!(wrap("abcdefghij", w, 4.0), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", w, 4.0), [""]);
    }

    #[test]
    fn the_file_name_keeps_only_the_code() {
        let cert = Certificate {
            language: Language::Nl,
            title: "t".into(),
            course_title: "c".into(),
            holder_name: "h".into(),
            study_minutes: 60,
            issued_on: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            expires_on: None,
            issuer: None,
            code: "ABCD-EFGH/../x".into(),
            verify_url: "http://x/certificates/ABCD".into(),
        };
        assert_eq!(file_name(&cert), "certificaat-ABCD-EFGHx.pdf");
        assert!(pdf(&cert).unwrap().starts_with(b"%PDF-"));
    }
}

//! Email templates: `emails/<name>/{subject.txt.j2, body.txt.j2, body.html.j2}` in a
//! list of theme folders, rendered with minijinja.
//!
//! A template is looked up in each theme folder in turn, and then in the default
//! theme built into the binary (`themes/default/emails`), so a custom theme
//! overrides any single file and a deployment without a `themes` folder still
//! sends mail. Templates may include and extend each other by their name below
//! `emails/` (`layout.html.j2`, `footer.txt.j2`, …), with the same lookup.
//!
//! Every template gets `lang` (`nl`, `en`, …: the primary language subtag, `nl` when
//! none is given), `site_name` and any other global set with
//! [`Templates::set_global`], and the bodies also get the rendered `subject`.
//! Dutch is the default: templates write `{% if lang == "en" %}…{% else %}…{% endif %}`.
//! `.html.j2` templates escape every value; printing a value the context does not
//! have is an error, rather than an email with a hole in it (`{% if name %}` is
//! fine for optional values).

use std::path::PathBuf;

use leerpad_store::outbox::{Payload, StoredMessage};
use minijinja::{context, AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};
use serde::Serialize;

/// The messages the default theme has, by name.
pub const MESSAGES: &[&str] = &[
    "magic-link",
    "verify-email",
    "password-reset",
    "invitation",
    "join-request",
    "nudge-not-started",
    "nudge-inactive",
    "nudge-deadline-approaching",
    "nudge-deadline-passed",
    "nudge-completed",
    "digest",
    "community-reply",
];

/// The default language, used when none (or an empty one) is given.
pub const DEFAULT_LANG: &str = "nl";

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../themes/default/emails/", $name)))),*]
    };
}

/// `themes/default/emails`, built in.
const EMBEDDED: &[(&str, &str)] = embedded![
    "layout.html.j2",
    "button.html.j2",
    "footer.txt.j2",
    "magic-link/subject.txt.j2",
    "magic-link/body.txt.j2",
    "magic-link/body.html.j2",
    "verify-email/subject.txt.j2",
    "verify-email/body.txt.j2",
    "verify-email/body.html.j2",
    "password-reset/subject.txt.j2",
    "password-reset/body.txt.j2",
    "password-reset/body.html.j2",
    "invitation/subject.txt.j2",
    "invitation/body.txt.j2",
    "invitation/body.html.j2",
    "join-request/subject.txt.j2",
    "join-request/body.txt.j2",
    "join-request/body.html.j2",
    "nudge-footer.txt.j2",
    "nudge-footer.html.j2",
    "nudge-progress.txt.j2",
    "nudge-progress.html.j2",
    "nudge-not-started/subject.txt.j2",
    "nudge-not-started/body.txt.j2",
    "nudge-not-started/body.html.j2",
    "nudge-inactive/subject.txt.j2",
    "nudge-inactive/body.txt.j2",
    "nudge-inactive/body.html.j2",
    "nudge-deadline-approaching/subject.txt.j2",
    "nudge-deadline-approaching/body.txt.j2",
    "nudge-deadline-approaching/body.html.j2",
    "nudge-deadline-passed/subject.txt.j2",
    "nudge-deadline-passed/body.txt.j2",
    "nudge-deadline-passed/body.html.j2",
    "nudge-completed/subject.txt.j2",
    "nudge-completed/body.txt.j2",
    "nudge-completed/body.html.j2",
    "digest/subject.txt.j2",
    "digest/body.txt.j2",
    "digest/body.html.j2",
    "community-reply/subject.txt.j2",
    "community-reply/body.txt.j2",
    "community-reply/body.html.j2",
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("there is no email template `{name}` (looked in {searched})")]
    NotFound { name: String, searched: String },
    #[error("email template `{name}`: {source:#}")]
    Render {
        name: String,
        #[source]
        source: minijinja::Error,
    },
    #[error("email template `{name}` rendered an empty {part}")]
    Empty { name: String, part: &'static str },
    #[error("the stored context of the email cannot be read: {0}")]
    Context(String),
}

/// The email templates of a list of themes, over the built-in default.
pub struct Templates {
    env: Environment<'static>,
    dirs: Vec<PathBuf>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("dirs", &self.dirs)
            .finish_non_exhaustive()
    }
}

impl Templates {
    /// Templates from `theme_dirs` (each a theme folder holding `emails/`), first
    /// found wins, then the built-in default theme. Folders that do not exist are
    /// skipped. Files are read when first used; call [`Templates::check`] at start
    /// to find mistakes in a custom theme before any email is due.
    pub fn new<P: Into<PathBuf>>(theme_dirs: impl IntoIterator<Item = P>) -> Templates {
        let dirs: Vec<PathBuf> = theme_dirs.into_iter().map(Into::into).collect();
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        // Included parts end their last line; subjects and text are tidied anyway.
        env.set_keep_trailing_newline(true);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html.j2") || name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(|out, state, value| {
            if state.auto_escape() == AutoEscape::Html && !value.is_safe() {
                // minijinja also escapes `/`, which mangles every link some mail
                // clients show; these five are what HTML needs.
                out.write_str(&escape_html(&value.to_string()))?;
                Ok(())
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        env.add_global("site_name", "Leerpad");
        let search = dirs.clone();
        env.set_loader(move |name| load(&search, name));
        Templates { env, dirs }
    }

    /// Only the built-in default theme.
    pub fn builtin() -> Templates {
        Templates::new(Vec::<PathBuf>::new())
    }

    /// Makes `value` available to every template as `name`, e.g. `site_name`
    /// (default `Leerpad`).
    pub fn set_global(&mut self, name: &'static str, value: impl Serialize) {
        self.env.add_global(name, Value::from_serialize(value));
    }

    /// Compiles every template of `names` (subject, text and HTML bodies, and what
    /// they include), without rendering.
    pub fn check(&self, names: &[&str]) -> Result<(), TemplateError> {
        for name in names {
            for part in ["subject.txt.j2", "body.txt.j2"] {
                self.template(&format!("{name}/{part}"))?;
            }
            self.optional_template(&format!("{name}/body.html.j2"))?;
        }
        Ok(())
    }

    /// The message an outbox row sends: the stored one, or its template rendered
    /// with the stored context, plus its unsubscribe headers and other headers.
    pub fn render_payload<'a>(
        &self,
        payload: &'a Payload,
    ) -> Result<std::borrow::Cow<'a, StoredMessage>, TemplateError> {
        match payload {
            Payload::Rendered(message) => Ok(std::borrow::Cow::Borrowed(message)),
            Payload::Template(t) => {
                let context = t
                    .template_context()
                    .map_err(|e| TemplateError::Context(e.to_string()))?;
                let mut message = self.render(&t.template, &t.lang, &context)?;
                if let Some(link) = &t.unsubscribe {
                    message.add_unsubscribe(link);
                }
                message.headers.extend(t.headers.iter().cloned());
                Ok(std::borrow::Cow::Owned(message))
            }
        }
    }

    /// Renders message `name` in `lang` with `ctx` (a struct or map, serialised).
    /// The HTML body is optional: without `body.html.j2` the email is text only.
    pub fn render(
        &self,
        name: &str,
        lang: &str,
        ctx: impl Serialize,
    ) -> Result<StoredMessage, TemplateError> {
        let lang = primary_language(lang);
        let ctx = Value::from_serialize(ctx);
        let err = |file: &str| {
            let name = format!("{name}/{file}");
            move |source| TemplateError::Render { name, source }
        };

        let subject_name = format!("{name}/subject.txt.j2");
        let subject = self
            .template(&subject_name)?
            .render(context! { lang => lang, ..ctx.clone() })
            .map_err(err("subject.txt.j2"))?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        if subject.is_empty() {
            return Err(TemplateError::Empty {
                name: subject_name,
                part: "subject",
            });
        }

        let body_ctx = context! { lang => lang, subject => &subject, ..ctx };
        let text_name = format!("{name}/body.txt.j2");
        let text = self
            .template(&text_name)?
            .render(&body_ctx)
            .map_err(err("body.txt.j2"))?;
        let text = tidy_text(&text);
        if text.is_empty() {
            return Err(TemplateError::Empty {
                name: text_name,
                part: "text body",
            });
        }
        let html = match self.optional_template(&format!("{name}/body.html.j2"))? {
            Some(t) => Some(t.render(&body_ctx).map_err(err("body.html.j2"))?),
            None => None,
        };
        Ok(StoredMessage {
            subject,
            text,
            html,
            headers: Vec::new(),
        })
    }

    fn template(&self, name: &str) -> Result<minijinja::Template<'_, '_>, TemplateError> {
        self.optional_template(name)?
            .ok_or_else(|| TemplateError::NotFound {
                name: name.to_string(),
                searched: self.searched(),
            })
    }

    fn optional_template(
        &self,
        name: &str,
    ) -> Result<Option<minijinja::Template<'_, '_>>, TemplateError> {
        match self.env.get_template(name) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == ErrorKind::TemplateNotFound => Ok(None),
            Err(source) => Err(TemplateError::Render {
                name: name.to_string(),
                source,
            }),
        }
    }

    fn searched(&self) -> String {
        let mut places: Vec<String> = self
            .dirs
            .iter()
            .map(|d| d.join("emails").display().to_string())
            .collect();
        places.push("the built-in default theme".into());
        places.join(", ")
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
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

/// `nl-BE` → `nl`, `EN` → `en`, `` → `nl`.
fn primary_language(lang: &str) -> String {
    let primary = lang
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if primary.is_empty() || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
        DEFAULT_LANG.to_string()
    } else {
        primary
    }
}

/// No trailing spaces, at most one blank line in a row, one final newline.
fn tidy_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.trim().lines() {
        let line = line.trim_end();
        // The signature separator keeps its space.
        let line = if line == "--" { "-- " } else { line };
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn load(dirs: &[PathBuf], name: &str) -> Result<Option<String>, minijinja::Error> {
    if !is_safe_name(name) {
        return Ok(None);
    }
    for dir in dirs {
        let path = dir.join("emails").join(name);
        match std::fs::read_to_string(&path) {
            Ok(source) => return Ok(Some(source)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("cannot read {}: {e}", path.display()),
                ))
            }
        }
    }
    Ok(EMBEDDED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, source)| source.to_string()))
}

/// Relative paths of plain names only: no `..`, no absolute paths.
fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_reduce_to_their_primary_subtag() {
        assert_eq!(primary_language("nl-BE"), "nl");
        assert_eq!(primary_language("EN_gb"), "en");
        assert_eq!(primary_language(""), "nl");
        assert_eq!(primary_language("../x"), "nl");
    }

    #[test]
    fn text_is_tidied() {
        assert_eq!(tidy_text("\n\na  \n\n\n\nb\n--\nc\n\n"), "a\n\nb\n-- \nc\n");
    }

    #[test]
    fn template_names_cannot_leave_the_theme() {
        assert!(is_safe_name("magic-link/body.txt.j2"));
        assert!(!is_safe_name("../secret"));
        assert!(!is_safe_name("/etc/passwd"));
        assert!(!is_safe_name("a//b"));
        assert!(!is_safe_name("a/./b"));
    }

    #[test]
    fn every_builtin_message_compiles() {
        Templates::builtin().check(MESSAGES).unwrap();
    }
}

//! The theme: templates, static files and interface texts.
//!
//! `themes/default` is embedded in the binary. A theme folder named in the
//! configuration is layered on top: any file it has (a template, `static/leerpad.css`,
//! a logo, texts in `i18n/<lang>.toml`) replaces the default's.

use std::collections::HashMap;
use std::path::PathBuf;

use include_dir::{include_dir, Dir};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, Value};

static DEFAULT: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../themes/default");

#[derive(Clone)]
pub struct Theme {
    custom: Option<PathBuf>,
}

impl Theme {
    pub fn new(custom: Option<PathBuf>) -> Self {
        Theme { custom }
    }

    /// A file of the theme, the custom theme's first.
    pub fn file(&self, path: &str) -> Option<Vec<u8>> {
        if path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
            return None;
        }
        if let Some(dir) = &self.custom {
            if let Ok(bytes) = std::fs::read(dir.join(path)) {
                return Some(bytes);
            }
        }
        DEFAULT.get_file(path).map(|f| f.contents().to_vec())
    }

    /// The interface texts of a language: the default theme's, then the custom theme's.
    pub fn texts(&self, lang: &str) -> HashMap<String, String> {
        let mut out = HashMap::new();
        let default = DEFAULT
            .get_file(format!("i18n/{lang}.toml"))
            .map(|f| f.contents().to_vec());
        let custom = self
            .custom
            .as_ref()
            .and_then(|d| std::fs::read(d.join(format!("i18n/{lang}.toml"))).ok());
        for source in [default, custom].into_iter().flatten() {
            let text = String::from_utf8_lossy(&source);
            match text.parse::<toml::Table>() {
                Ok(table) => {
                    for (k, v) in table {
                        if let Some(s) = v.as_str() {
                            out.insert(k, s.to_string());
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(lang, error = %e, "interface texts do not parse; using the defaults")
                }
            }
        }
        out
    }

    /// A template environment whose `t(key, …)` looks texts up in the page's `lang`.
    pub fn environment(&self) -> Environment<'static> {
        let mut env = Environment::new();
        let theme = self.clone();
        env.set_loader(move |name| {
            Ok(theme
                .file(&format!("templates/{name}"))
                .map(|b| String::from_utf8_lossy(&b).into_owned()))
        });
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html.j2") || name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // Texts as template values, made once: a page calls `t` dozens of times, and
        // a text without arguments is then a reference-count increment.
        let texts: HashMap<String, HashMap<String, Value>> = ["nl", "en"]
            .into_iter()
            .map(|l| {
                let texts = self
                    .texts(l)
                    .into_iter()
                    .map(|(k, v)| (k, Value::from(v)))
                    .collect();
                (l.to_string(), texts)
            })
            .collect();
        env.add_function(
            "t",
            move |state: &State,
                  key: &str,
                  kwargs: minijinja::value::Kwargs|
                  -> Result<Value, Error> {
                let lang = state.lookup("lang");
                let lang = lang.as_ref().and_then(Value::as_str).unwrap_or("nl");
                let lookup = |key: &str| {
                    texts
                        .get(lang)
                        .and_then(|t| t.get(key))
                        .or_else(|| texts.get("nl").and_then(|t| t.get(key)))
                };
                // Plurals: a text counting exactly one thing has its own `.one` form.
                let one = kwargs
                    .get::<Option<i64>>("count")
                    .ok()
                    .flatten()
                    .filter(|n| *n == 1)
                    .and_then(|_| lookup(&format!("{key}.one")));
                let text = one.or_else(|| lookup(key));
                let mut args = kwargs.args().peekable();
                if let (Some(text), None) = (text, args.peek()) {
                    return Ok(text.clone());
                }
                // A missing text shows its key, with the arguments filled in all the same.
                let mut out = text.and_then(Value::as_str).unwrap_or(key).to_string();
                for arg in args {
                    let value: Value = kwargs.get(arg)?;
                    out = out.replace(&format!("{{{arg}}}"), &value.to_string());
                }
                Ok(Value::from(out))
            },
        );
        env.add_filter("datetime", |v: Value| -> Result<String, Error> {
            let s = v.to_string();
            let parsed = chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S"))
                .or_else(|_| chrono::DateTime::parse_from_rfc3339(&s).map(|d| d.naive_utc()))
                .map_err(|e| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        format!("not a date and time: {s}: {e}"),
                    )
                })?;
            Ok(parsed.format("%d-%m-%Y %H:%M").to_string())
        });
        env.add_filter("striptags", |v: Value| -> String {
            strip_tags(&v.to_string())
        });
        env.add_filter("date", |v: Value| -> Result<String, Error> {
            let s = v.to_string();
            Ok(s.get(..10)
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .map(|d| d.format("%d-%m-%Y").to_string())
                .unwrap_or(s))
        });
        env
    }
}

/// The text of an HTML fragment (for `<option>`s, which cannot hold markup).
pub fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .trim()
        .to_string()
}

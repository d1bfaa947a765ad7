//! Stable ids written by trainers in the course sources.
//!
//! Learner progress attaches to these ids, never to file names or titles, so they
//! are deliberately strict: lowercase ASCII letters, digits, `-` and `_`, starting
//! with a letter or digit, at most 64 characters.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

pub const MAX_ID_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Id(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    Empty,
    TooLong(usize),
    BadStart(char),
    BadChar(char),
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::Empty => write!(f, "an id may not be empty"),
            IdError::TooLong(n) => {
                write!(
                    f,
                    "an id may be at most {MAX_ID_LEN} characters, this one has {n}"
                )
            }
            IdError::BadStart(c) => {
                write!(
                    f,
                    "an id must start with a lowercase letter or digit, not `{c}`"
                )
            }
            IdError::BadChar(c) => write!(
                f,
                "an id may only contain lowercase letters, digits, `-` and `_`, not `{c}`"
            ),
        }
    }
}

impl std::error::Error for IdError {}

impl Id {
    pub fn new(s: impl Into<String>) -> Result<Self, IdError> {
        let s = s.into();
        Self::validate(&s)?;
        Ok(Id(s))
    }

    pub fn validate(s: &str) -> Result<(), IdError> {
        let mut chars = s.chars();
        let first = chars.next().ok_or(IdError::Empty)?;
        if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
            return Err(IdError::BadStart(first));
        }
        if let Some(c) = chars
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
        {
            return Err(IdError::BadChar(c));
        }
        let len = s.chars().count();
        if len > MAX_ID_LEN {
            return Err(IdError::TooLong(len));
        }
        Ok(())
    }

    /// Suggests a valid id for a string that is not one (used in diagnostics' hints).
    pub fn suggest(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                out.push(c);
            } else if !out.ends_with('-') {
                out.push('-');
            }
        }
        let trimmed = out.trim_matches('-');
        let mut id: String = trimmed.chars().take(MAX_ID_LEN).collect();
        if id.is_empty() {
            id.push_str("item");
        }
        id.trim_end_matches('-').to_string()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Id::new(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_ids() {
        for ok in ["a", "q3", "wat-is-polarisatie", "m1_l2", "2024-plan"] {
            assert!(Id::new(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_bad_ids() {
        assert_eq!(Id::new(""), Err(IdError::Empty));
        assert_eq!(Id::new("Intro"), Err(IdError::BadStart('I')));
        assert_eq!(Id::new("-x"), Err(IdError::BadStart('-')));
        assert_eq!(Id::new("a b"), Err(IdError::BadChar(' ')));
        assert_eq!(Id::new("x".repeat(65)), Err(IdError::TooLong(65)));
    }

    #[test]
    fn suggests_valid_ids() {
        assert_eq!(Id::suggest("Wat is Polarisatie?"), "wat-is-polarisatie");
        assert!(Id::new(Id::suggest("!!!")).is_ok());
    }
}

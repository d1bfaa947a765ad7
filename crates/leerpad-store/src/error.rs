//! The store's one error type. Each variant says what went wrong; an internal
//! error keeps its cause as its `source`, for the log.

use std::path::PathBuf;

use thiserror::Error;

use crate::orphans::Orphans;

/// A cause kept for the log.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot open the database at {url}: {reason}")]
    Open { url: String, reason: String },
    #[error("database migrations failed: {0}")]
    Migration(String),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// The database cannot be reached, or cannot take writes just now.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    /// A publish that would orphan learner data, refused.
    #[error("{0}")]
    Orphans(Orphans),
    /// What was asked breaks a rule of the data, said in the message: a name too
    /// long, a group or a course the organisation does not have, the last
    /// administrator leaving. The caller can tell the person asking.
    #[error("{0}")]
    Invalid(String),
    /// A row the action needs is not there (any more).
    #[error("{0} not found")]
    NotFound(String),
    /// A row is not in the state the action needs: another worker took it, or it
    /// was done already.
    #[error("{0}")]
    Conflict(String),
    /// What is stored does not match the model: a value this version does not
    /// know, JSON of another shape.
    #[error("stored data does not match the model: {what}")]
    Corrupt {
        what: String,
        #[source]
        source: Option<Cause>,
    },
    /// A backup that cannot be made or restored, and why (for the operator).
    #[error("{0}")]
    Backup(String),
    /// A file the store reads or writes (a backup, a course's asset).
    #[error("{}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Something went wrong that is no one's input (a value that cannot be
    /// serialized, a task that did not finish, a broken assumption).
    #[error("{what}")]
    Internal {
        what: String,
        #[source]
        source: Option<Cause>,
    },
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::corrupt("stored JSON", e)
    }
}

impl StoreError {
    /// Stored data (`what`) that does not match the model, with the reason.
    pub fn corrupt(what: impl Into<String>, source: impl Into<Cause>) -> StoreError {
        StoreError::Corrupt {
            what: what.into(),
            source: Some(source.into()),
        }
    }

    /// An internal error (`what` failed) with its cause.
    pub fn internal(what: impl Into<String>, source: impl Into<Cause>) -> StoreError {
        StoreError::Internal {
            what: what.into(),
            source: Some(source.into()),
        }
    }

    /// An internal error without a cause to keep: an assumption that did not hold.
    pub fn bug(what: impl Into<String>) -> StoreError {
        StoreError::Internal {
            what: what.into(),
            source: None,
        }
    }

    /// Whether this is the database being unreachable or unable to write (down,
    /// restarting, the disk full, locked for too long), rather than a mistake in
    /// what was asked: the same request can work a little later.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            StoreError::Unavailable(_) | StoreError::Pool(_) => true,
            StoreError::Query(Error::DatabaseError(kind, info)) => {
                matches!(
                    kind,
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
                ) || UNAVAILABLE_MESSAGES
                    .iter()
                    .any(|m| info.message().contains(m))
            }
            _ => false,
        }
    }
}
/// What SQLite and PostgreSQL say when they cannot write or be reached.
const UNAVAILABLE_MESSAGES: &[&str] = &[
    // SQLite: SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR, SQLITE_BUSY.
    "database or disk is full",
    "attempt to write a readonly database",
    "disk I/O error",
    "database is locked",
    // PostgreSQL (and the operating system under it).
    "No space left on device",
    "server closed the connection",
    "terminating connection",
    "the database system is starting up",
    "the database system is shutting down",
];

pub type StoreResult<T> = Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    #[test]
    fn internal_errors_keep_their_cause_and_refusals_say_what_was_wrong() {
        let e = StoreError::File {
            path: PathBuf::from("assets/kaart.png"),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        };
        assert_eq!(e.to_string(), "assets/kaart.png");
        assert_eq!(e.source().unwrap().to_string(), "gone");

        let e: StoreError = serde_json::from_str::<i32>("x").unwrap_err().into();
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e:?}");
        assert!(e.source().is_some());

        let e = StoreError::internal("cannot store the email", e);
        assert_eq!(e.to_string(), "cannot store the email");
        assert!(e.source().unwrap().to_string().contains("stored JSON"));

        let refused = StoreError::Invalid("a group's name has 1 to 80 characters".into());
        assert_eq!(refused.to_string(), "a group's name has 1 to 80 characters");
        assert!(refused.source().is_none());
        assert!(!StoreError::bug("a broken assumption").is_unavailable());
    }
}

//! The store's one error type.

use thiserror::Error;

use crate::orphans::Orphans;

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
    #[error("{0}")]
    Invalid(String),
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Invalid(format!("stored JSON does not match the course model: {e}"))
    }
}

impl StoreError {
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

//! The store's one error type.

use thiserror::Error;

use crate::publish::Orphans;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot open the database at {url}: {reason}")]
    Open { url: String, reason: String },
    #[error("database migrations failed: {0}")]
    Migration(String),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
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

pub type StoreResult<T> = Result<T, StoreError>;

//! Leerpad's database.
//!
//! One schema (`schema.rs`) for SQLite and PostgreSQL, with a migration folder per
//! backend under `migrations/`, embedded in the binary. The backend is picked from
//! the database URL at run time. The store knows nothing of HTTP; its functions are
//! blocking, and the web layer runs them off its async threads.

pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod authoring;
pub mod backup;
pub mod calendar;
pub mod community;
pub mod db;
pub mod error;
pub mod jobs;
pub mod learning;
pub mod nudges;
pub mod organisations;
pub mod orphans;
pub mod outbox;
pub mod privacy;
pub mod publish;
pub mod reports;
pub mod schema;
pub mod search;
#[cfg(feature = "testing")]
pub mod testing;

pub use db::{Backend, Db, DbConnection, DbOptions, DbUrl, PoolState, Synchronous};
pub use error::{StoreError, StoreResult};
pub use publish::{
    publish, CourseReport, Diff, Orphans, PublishInput, PublishOptions, PublishStatus,
    PublishedCourse,
};

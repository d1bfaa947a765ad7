//! The store's integration tests, in one binary (each would otherwise link the
//! whole store): on SQLite always, and on PostgreSQL when
//! `LEERPAD_TEST_DATABASE_URL` names a server.

// Not every module uses every helper.
#[allow(dead_code)]
mod support;

mod authoring;
mod backup;
mod jobs;
mod keys;
mod outbox;
mod privacy;
mod publish;
mod reports;
mod schema;
mod search;

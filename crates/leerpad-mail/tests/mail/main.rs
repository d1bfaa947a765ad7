//! The mail crate's integration tests, in one binary: templates, a real SMTP
//! conversation with the test server, and the outbox worker on SQLite and, when
//! `LEERPAD_TEST_DATABASE_URL` names a server, PostgreSQL.

// Not every module uses every helper.
#[allow(dead_code)]
mod support;

mod nudge_templates;
mod smtp;
mod templates;
mod worker;

//! Fresh databases for the worker tests: SQLite always, PostgreSQL when
//! `LEERPAD_TEST_DATABASE_URL` names a server.

use chrono::NaiveDateTime;

pub use leerpad_store::testing::TestDb;

/// SQLite always; PostgreSQL too when `LEERPAD_TEST_DATABASE_URL` is set.
pub fn backends() -> Vec<TestDb> {
    TestDb::backends()
}

pub fn now() -> NaiveDateTime {
    chrono::DateTime::from_timestamp(1_790_000_000, 0)
        .unwrap()
        .naive_utc()
}

//! Fresh, migrated databases for the tests of Leerpad's crates (feature `testing`):
//! SQLite always, and PostgreSQL when `LEERPAD_TEST_DATABASE_URL` names a server
//! (CI sets it). Each test gets its own database, removed when it is dropped.

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::Db;

/// The variable naming the PostgreSQL server tests may create databases on, as a
/// URL whose database the test user can connect to (`postgres://postgres@…/test`).
pub const POSTGRES_URL_VARIABLE: &str = "LEERPAD_TEST_DATABASE_URL";

/// A migrated database of its own: a SQLite file in a temporary folder, or a
/// PostgreSQL database that is dropped with it.
pub struct TestDb {
    pub db: Db,
    /// `sqlite` or `postgres`, for assertion messages.
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
    /// The server's URL and the database to drop.
    pg_drop: Option<(String, String)>,
    url: String,
}

impl TestDb {
    /// A SQLite database.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("leerpad.db");
        let url = path.to_string_lossy().into_owned();
        TestDb {
            db: Db::open(&url).expect("the SQLite database opens"),
            name: "sqlite",
            _dir: Some(dir),
            pg_drop: None,
            url,
        }
    }

    /// A PostgreSQL database on the server named by [`POSTGRES_URL_VARIABLE`];
    /// `None` when it is not set. Panics when the server cannot be reached.
    pub fn postgres() -> Option<TestDb> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let admin_url = std::env::var(POSTGRES_URL_VARIABLE).ok()?;
        let name = format!(
            "leerpad_test_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VARIABLE} is not reachable: {e}"));
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("a test database is created");
        let url = database_url(&admin_url, &name);
        Some(TestDb {
            db: Db::open(&url).expect("the PostgreSQL database opens"),
            name: "postgres",
            _dir: None,
            pg_drop: Some((admin_url, name)),
            url,
        })
    }

    /// A second handle on the same database, with its own pool: another instance.
    pub fn another_instance(&self) -> Db {
        Db::open(&self.url).expect("the database opens again")
    }

    /// SQLite, and PostgreSQL too when a server is configured.
    pub fn backends() -> Vec<TestDb> {
        let mut all = vec![TestDb::sqlite()];
        all.extend(TestDb::postgres());
        all
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.pg_drop {
            if let Ok(mut c) = PgConnection::establish(admin_url) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c);
            }
        }
    }
}

/// `admin_url` with its database name replaced by `name` (query string kept).
pub fn database_url(admin_url: &str, name: &str) -> String {
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("the URL names a database");
    let query = admin_url
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{base}/{name}{query}")
}

impl Db {
    /// SQLite: makes every connection of the pool refuse writes (`PRAGMA
    /// query_only`), or accept them again, as a full disk would: reading works,
    /// every write fails. For tests of what learners see then.
    pub fn refuse_writes(&self, on: bool) {
        let all: Vec<_> = (0..self.pool.max_size())
            .map(|_| self.pool.get().expect("a connection"))
            .collect();
        for mut c in all {
            if let crate::DbConnection::Sqlite(s) = &mut *c {
                diesel::connection::SimpleConnection::batch_execute(
                    s,
                    &format!("PRAGMA query_only = {}", if on { "ON" } else { "OFF" }),
                )
                .expect("query_only is set");
            }
        }
    }
}

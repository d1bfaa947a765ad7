//! Fresh databases for the worker tests: SQLite always, PostgreSQL when
//! `LEERPAD_TEST_DATABASE_URL` names a server.

use chrono::NaiveDateTime;
use diesel::{Connection, PgConnection, RunQueryDsl};
use leerpad_store::Db;

pub struct TestDb {
    pub db: Db,
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
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

pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("leerpad.db").to_string_lossy().into_owned();
    TestDb {
        db: Db::open(&url).unwrap(),
        name: "sqlite",
        _dir: Some(dir),
        pg_drop: None,
    }
}

pub fn postgres() -> Option<TestDb> {
    let admin_url = std::env::var("LEERPAD_TEST_DATABASE_URL").ok()?;
    let name = format!("leerpad_mail_test_{}", unique());
    let mut admin =
        PgConnection::establish(&admin_url).expect("LEERPAD_TEST_DATABASE_URL is reachable");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').expect("URL has a database name");
    let query = admin_url
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    let url = format!("{base}/{name}{query}");
    Some(TestDb {
        db: Db::open(&url).unwrap(),
        name: "postgres",
        _dir: None,
        pg_drop: Some((admin_url, name)),
    })
}

/// SQLite always; PostgreSQL too when `LEERPAD_TEST_DATABASE_URL` is set.
pub fn backends() -> Vec<TestDb> {
    let mut v = vec![sqlite()];
    v.extend(postgres());
    v
}

fn unique() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

pub fn now() -> NaiveDateTime {
    chrono::DateTime::from_timestamp(1_790_000_000, 0)
        .unwrap()
        .naive_utc()
}

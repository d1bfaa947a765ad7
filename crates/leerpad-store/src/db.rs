//! Connections: the backend is chosen at run time from the database URL.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{StoreError, StoreResult};

/// Runs `$body` with `$c` bound to the backend's own connection type, for SQL that
/// `DbConnection` cannot express on both backends at once (batch inserts). The body
/// is compiled once per backend.
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Pg($c) => $body,
        }
    };
}

/// SQLite or PostgreSQL. Queries written with diesel's DSL run on either; code that
/// needs one backend's dialect uses [`per_backend!`].
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Key of the PostgreSQL advisory lock that serialises migrations and publishing.
const PG_WRITE_LOCK: i64 = 0x6c65_6572_7061_6400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the database is, parsed from a URL: `postgres://…`, `postgresql://…`,
/// `sqlite://path`, `sqlite:path` or a plain file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbUrl {
    pub fn parse(url: &str) -> StoreResult<Self> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_string()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || path == ":memory:" {
            return Err(StoreError::Open {
                url: url.to_string(),
                reason: "give a file path for SQLite (in-memory databases are not shared between connections)".into(),
            });
        }
        if let Some((scheme, _)) = path.split_once("://") {
            return Err(StoreError::Open {
                url: url.to_string(),
                reason: format!(
                    "unsupported database `{scheme}`: use postgres://… or a SQLite file path"
                ),
            });
        }
        Ok(DbUrl::Sqlite(PathBuf::from(path)))
    }

    /// The URL with any password hidden, for logs and messages.
    pub fn redacted(&self) -> String {
        match self {
            DbUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DbUrl::Postgres(url) => redact_password(url),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// How SQLite makes a commit durable (`PRAGMA synchronous`), in WAL mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// Every commit is on disk before it is acknowledged: a power loss or an
    /// operating-system crash loses nothing that was saved. The default.
    #[default]
    Full,
    /// Commits reach the disk at checkpoints: a power loss (not a crash of
    /// Leerpad itself) can lose the last commits before it. Faster writes.
    Normal,
}

impl Synchronous {
    pub fn parse(s: &str) -> Option<Synchronous> {
        match s.trim().to_ascii_lowercase().as_str() {
            "full" => Some(Synchronous::Full),
            "normal" => Some(Synchronous::Normal),
            _ => None,
        }
    }

    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// How to open a database.
#[derive(Debug, Clone, Copy)]
pub struct DbOptions {
    /// Connections in the pool.
    pub max_connections: u32,
    /// SQLite only: see [`Synchronous`].
    pub synchronous: Synchronous,
    /// How long a request waits for a connection before it is told the database is
    /// unavailable.
    pub wait: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            max_connections: 8,
            synchronous: Synchronous::Full,
            wait: DEFAULT_WAIT,
        }
    }
}

/// How long a request waits for a database connection: long enough for a queue of
/// requests under load, short enough that an outage is reported at once.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(1);

/// While the database is unreachable, one request in this interval tries again;
/// the others are answered at once.
const RETRY_EVERY: Duration = Duration::from_millis(250);

/// Sets up every new SQLite connection: foreign keys enforced, WAL, the
/// durability setting, and a busy timeout so concurrent writers wait rather than
/// fail.
#[derive(Debug)]
struct SqlitePragmas(Synchronous);

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute(&format!(
                "PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA foreign_keys = ON;",
                self.0.pragma()
            ))
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

pub type PooledConn = PooledConnection<ConnectionManager<DbConnection>>;

/// A pool of connections to one database, migrated to the current schema.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: Pool<ConnectionManager<DbConnection>>,
    backend: Backend,
    url: DbUrl,
    /// Since when the database has not answered (the last failed try), if it has not.
    outage: Arc<Mutex<Option<Instant>>>,
}

impl Db {
    /// Opens (creating a SQLite file and its folder if needed) and migrates.
    pub fn open(url: &str) -> StoreResult<Db> {
        Self::open_options(url, DbOptions::default())
    }

    pub fn open_with(url: &str, max_connections: u32) -> StoreResult<Db> {
        Self::open_options(
            url,
            DbOptions {
                max_connections,
                ..DbOptions::default()
            },
        )
    }

    pub fn open_options(url: &str, options: DbOptions) -> StoreResult<Db> {
        let parsed = DbUrl::parse(url)?;
        let open_err = |reason: String| StoreError::Open {
            url: parsed.redacted(),
            reason,
        };
        let (manager, backend) = match &parsed {
            DbUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| open_err(format!("cannot create {}: {e}", dir.display())))?;
                }
                (ConnectionManager::new(sqlite_url(path)), Backend::Sqlite)
            }
            DbUrl::Postgres(url) => (ConnectionManager::new(url.clone()), Backend::Postgres),
        };
        let pool = Pool::builder()
            .max_size(options.max_connections)
            .connection_timeout(options.wait)
            .connection_customizer(Box::new(SqlitePragmas(options.synchronous)))
            .build(manager)
            .map_err(|e| open_err(e.to_string()))?;
        let db = Db {
            pool,
            backend,
            url: parsed,
            outage: Arc::default(),
        };
        db.migrate()?;
        Ok(db)
    }

    /// The pool's connections now: open, of which idle, and the most it opens.
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    /// A connection, waiting at most the pool's `wait` for one. While the database
    /// does not answer, most callers are told so at once ([`StoreError::Unavailable`])
    /// and one every quarter second tries again, so the server neither piles up
    /// waiting requests nor needs a restart when the database is back.
    pub fn conn(&self) -> StoreResult<PooledConn> {
        {
            let mut outage = self.outage.lock().expect("outage lock");
            if let Some(since) = *outage {
                if since.elapsed() < RETRY_EVERY {
                    return Err(StoreError::Unavailable(
                        "the database did not answer just now".into(),
                    ));
                }
                // This caller tries; the others keep being answered at once.
                *outage = Some(Instant::now());
            }
        }
        match self.pool.get() {
            Ok(c) => {
                *self.outage.lock().expect("outage lock") = None;
                Ok(c)
            }
            Err(e) => {
                *self.outage.lock().expect("outage lock") = Some(Instant::now());
                Err(StoreError::Unavailable(e.to_string()))
            }
        }
    }

    /// Whether the last try to reach the database failed (and no later one worked).
    pub fn seems_down(&self) -> bool {
        self.outage.lock().expect("outage lock").is_some()
    }

    /// Applies pending migrations; safe when several processes start at once.
    pub fn migrate(&self) -> StoreResult<Vec<String>> {
        let mut conn = self.conn()?;
        let applied = match &mut *conn {
            DbConnection::Sqlite(c) => c.immediate_transaction(|c| {
                c.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>())
                    .map_err(|e| StoreError::Migration(e.to_string()))
            }),
            DbConnection::Pg(c) => c.transaction(|c| {
                diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})"))
                    .execute(c)?;
                c.run_pending_migrations(PG_MIGRATIONS)
                    .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>())
                    .map_err(|e| StoreError::Migration(e.to_string()))
            }),
        }?;
        for m in &applied {
            tracing::info!(migration = %m, "applied database migration");
        }
        Ok(applied)
    }
}

/// A pool's connections at one moment (see [`Db::pool_state`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections open, in use or idle.
    pub connections: u32,
    /// Open connections nobody is using.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

/// The migrations this binary would apply to the database at `url`, without
/// applying them (nor creating a SQLite file: one that does not exist is an
/// `Open` error). PostgreSQL is given at most 5 seconds to answer unless the URL
/// sets its own `connect_timeout`.
pub fn pending_migrations(url: &str) -> StoreResult<Vec<String>> {
    let parsed = DbUrl::parse(url)?;
    let open_err = |reason: String| StoreError::Open {
        url: parsed.redacted(),
        reason,
    };
    match &parsed {
        DbUrl::Sqlite(path) => {
            if !path.is_file() {
                return Err(open_err("there is no database file there yet".into()));
            }
            let mut c = SqliteConnection::establish(&sqlite_url(path))
                .map_err(|e| open_err(e.to_string()))?;
            c.batch_execute("PRAGMA busy_timeout = 5000;")?;
            // Listing makes diesel create its migrations table if it is missing:
            // in a transaction that is never committed, nothing is changed.
            c.begin_test_transaction()?;
            let pending = c
                .pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| StoreError::Migration(e.to_string()))?;
            Ok(pending.iter().map(|m| m.name().to_string()).collect())
        }
        DbUrl::Postgres(url) => {
            let url = with_connect_timeout(url);
            let mut c = PgConnection::establish(&url).map_err(|e| open_err(e.to_string()))?;
            c.begin_test_transaction()?;
            let pending = c
                .pending_migrations(PG_MIGRATIONS)
                .map_err(|e| StoreError::Migration(e.to_string()))?;
            Ok(pending.iter().map(|m| m.name().to_string()).collect())
        }
    }
}

/// The versions of every migration this binary knows, for one backend.
pub fn known_migrations(backend: Backend) -> Vec<String> {
    use diesel::migration::MigrationSource;
    match backend {
        Backend::Sqlite => {
            MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.name().version().to_string()).collect())
                .unwrap_or_default()
        }
        Backend::Postgres => MigrationSource::<diesel::pg::Pg>::migrations(&PG_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.name().version().to_string()).collect())
            .unwrap_or_default(),
    }
}

/// `url` with `connect_timeout=5` unless it sets one.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&connect_timeout=5")
    } else {
        format!("{url}?connect_timeout=5")
    }
}

fn sqlite_url(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Runs `f` in a transaction that holds the database's write lock from its first
/// statement, so concurrent writers queue instead of failing halfway: SQLite's
/// `BEGIN` is upgraded by an immediate write, PostgreSQL takes an advisory lock.
/// Any error `f` returns rolls the whole transaction back.
pub fn write_transaction<T, E: From<diesel::result::Error>>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    conn.transaction(|c| {
        match c {
            DbConnection::Sqlite(s) => {
                // A write as the first statement takes SQLite's write lock, waiting
                // (busy_timeout) for any other writer rather than failing on upgrade.
                s.batch_execute("UPDATE courses SET id = id WHERE 0 = 1")?;
            }
            DbConnection::Pg(p) => {
                diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})"))
                    .execute(p)?;
            }
        }
        f(c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_database_urls() {
        assert_eq!(
            DbUrl::parse("data/leerpad.db").unwrap(),
            DbUrl::Sqlite("data/leerpad.db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DbUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite:x.db").unwrap(),
            DbUrl::Sqlite("x.db".into())
        );
        assert!(matches!(
            DbUrl::parse("postgres://u@h/db").unwrap(),
            DbUrl::Postgres(_)
        ));
        assert!(DbUrl::parse("mysql://h/db").is_err());
        assert!(DbUrl::parse(":memory:").is_err());
    }

    #[test]
    fn hides_passwords() {
        let url = DbUrl::parse("postgres://leerpad:geheim@db:5432/leerpad").unwrap();
        assert_eq!(url.redacted(), "postgres://leerpad:***@db:5432/leerpad");
    }
}

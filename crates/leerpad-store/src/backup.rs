//! Backups of a SQLite database while it is in use, and restoring them.
//!
//! A backup is made with `VACUUM INTO`: SQLite writes a fresh copy of the
//! database as one read transaction sees it, so the copy is consistent (every
//! transaction committed before it started, none after) while the server goes on
//! reading and writing. It needs no other library than the SQLite that diesel
//! already links, and it copies no free pages. (SQLite's online backup API would
//! restart its copy whenever another connection writes, so under steady writes it
//! may never finish without locking writers out.)
//!
//! The copy is written next to its destination as `<file>.partial`, flushed to
//! disk, checked (`PRAGMA integrity_check`), and only then renamed into place: a
//! file at the destination is always a whole, checked backup.
//!
//! PostgreSQL has its own tools (`pg_dump`, `pg_restore`); see docs/operations.md.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryableByName, RunQueryDsl};

use crate::db::{known_migrations, Backend, Db, DbConnection};
use crate::error::{StoreError, StoreResult};

/// What a backup or restore produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub path: PathBuf,
    pub bytes: u64,
    /// Migrations applied in the copy.
    pub migrations: usize,
}

/// What [`inspect`] found in a SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// What `PRAGMA integrity_check` reported besides `ok`, and anything that
    /// makes the file no Leerpad database this binary can serve.
    pub problems: Vec<String>,
    /// Migrations applied in it.
    pub migrations: usize,
}

/// Copies the SQLite database of `db` to `dest`, which must not exist, while
/// others go on using it.
pub fn backup(db: &Db, dest: &Path) -> StoreResult<Copied> {
    if db.backend() == Backend::Postgres {
        return Err(StoreError::Backup(
            "`leerpad backup` copies SQLite databases; back up PostgreSQL with pg_dump (see docs/operations.md)".into(),
        ));
    }
    if dest.exists() {
        return Err(StoreError::Backup(format!(
            "{} already exists: name a new file for the backup",
            dest.display()
        )));
    }
    let partial = partial_path(dest);
    remove_if_there(&partial)?;
    let target = partial
        .to_str()
        .ok_or_else(|| StoreError::Backup(format!("{} is not UTF-8", partial.display())))?
        .to_string();
    let mut conn = db.conn()?;
    let DbConnection::Sqlite(c) = &mut *conn else {
        unreachable!("the backend is SQLite");
    };
    let copied = diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(&target)
        .execute(c);
    drop(conn);
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(StoreError::Backup(format!(
            "SQLite could not write the backup to {}: {e}",
            partial.display()
        )));
    }
    finish(&partial, dest)
}

/// Puts the backup `source` in place as the SQLite database `dest`, which must
/// not exist yet (restore into an empty data folder). The copy is checked before
/// it is put in place; the backup itself is only read.
pub fn restore(source: &Path, dest: &Path) -> StoreResult<Copied> {
    for existing in [dest.to_path_buf(), with_suffix(dest, "-wal")] {
        if existing.exists() {
            return Err(StoreError::Backup(format!(
                "{} already holds a database: restore into an empty data folder, or move that database away first",
                existing.display()
            )));
        }
    }
    if !source.is_file() {
        return Err(StoreError::Backup(format!(
            "there is no backup at {}",
            source.display()
        )));
    }
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    let partial = partial_path(dest);
    remove_if_there(&partial)?;
    std::fs::copy(source, &partial).map_err(|e| io(source, e))?;
    finish(&partial, dest)
}

/// Checks a SQLite file: its integrity, and that it is a Leerpad database whose
/// migrations this binary knows. Only reads it.
pub fn inspect(path: &Path) -> StoreResult<Inspection> {
    if !path.is_file() {
        return Err(StoreError::Backup(format!(
            "there is no file at {}",
            path.display()
        )));
    }
    let url = path
        .to_str()
        .ok_or_else(|| StoreError::Backup(format!("{} is not UTF-8", path.display())))?;
    let mut c = SqliteConnection::establish(url).map_err(|e| StoreError::Open {
        url: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let not_sqlite = |e: diesel::result::Error| {
        StoreError::Backup(format!(
            "{} is not a SQLite database Leerpad can read: {e}",
            path.display()
        ))
    };
    c.batch_execute("PRAGMA query_only = ON;")
        .map_err(not_sqlite)?;

    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = Text)]
        integrity_check: String,
    }
    let checked: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut c)
        .map_err(not_sqlite)?;
    let mut problems: Vec<String> = checked
        .into_iter()
        .map(|c| c.integrity_check)
        .filter(|m| m != "ok")
        .collect();

    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Text)]
        version: String,
    }
    let applied: Vec<String> =
        match diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load(&mut c) {
            Ok(rows) => rows.into_iter().map(|v: Version| v.version).collect(),
            Err(_) => {
                problems.push(format!(
                    "{} is not a Leerpad database (it has no migrations table)",
                    path.display()
                ));
                Vec::new()
            }
        };
    let known = known_migrations(Backend::Sqlite);
    let unknown: Vec<&String> = applied.iter().filter(|v| !known.contains(v)).collect();
    if !unknown.is_empty() {
        problems.push(format!(
            "it was made by a newer Leerpad (migrations this version does not know: {}): restore it with that version",
            unknown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(Inspection {
        problems,
        migrations: applied.len(),
    })
}

/// Flushes `partial`, makes it private, checks it and renames it to `dest`; on
/// any problem it is removed.
fn finish(partial: &Path, dest: &Path) -> StoreResult<Copied> {
    let done = (|| {
        private(partial)?;
        File::open(partial)
            .and_then(|f| f.sync_all())
            .map_err(|e| io(partial, e))?;
        let inspected = inspect(partial)?;
        if !inspected.problems.is_empty() {
            return Err(StoreError::Backup(format!(
                "the copy does not pass its check: {}",
                inspected.problems.join("; ")
            )));
        }
        let bytes = std::fs::metadata(partial)
            .map_err(|e| io(partial, e))?
            .len();
        std::fs::rename(partial, dest).map_err(|e| io(dest, e))?;
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself is on disk once the folder is.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(Copied {
            path: dest.to_path_buf(),
            bytes,
            migrations: inspected.migrations,
        })
    })();
    if done.is_err() {
        let _ = std::fs::remove_file(partial);
    }
    done
}

fn private(path: &Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io(path, e))?;
    }
    Ok(())
}

fn partial_path(dest: &Path) -> PathBuf {
    with_suffix(dest, ".partial")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_there(path: &Path) -> StoreResult<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(path, e)),
    }
}

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::File {
        path: path.to_path_buf(),
        source: e,
    }
}

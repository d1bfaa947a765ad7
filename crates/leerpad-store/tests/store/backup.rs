//! Backups of SQLite databases, and what `leerpad doctor` asks of a database: the
//! migrations still to apply, without applying them.

use leerpad_store::backup;
use leerpad_store::db::{known_migrations, pending_migrations};
use leerpad_store::testing::TestDb;
use leerpad_store::{Backend, Db};

#[test]
fn pending_migrations_are_listed_without_being_applied() {
    for t in TestDb::backends() {
        let url = match t.db.url() {
            leerpad_store::DbUrl::Sqlite(p) => p.display().to_string(),
            leerpad_store::DbUrl::Postgres(u) => u.clone(),
        };
        assert_eq!(
            pending_migrations(&url).unwrap(),
            Vec::<String>::new(),
            "{}",
            t.name
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leeg.db");
    let url = path.display().to_string();
    let missing = pending_migrations(&url).unwrap_err().to_string();
    assert!(missing.contains("no database file there yet"), "{missing}");
    assert!(!path.exists(), "asking created the file");
    // An empty SQLite file: every migration is pending, and the file stays empty.
    std::fs::write(&path, b"").unwrap();
    let pending = pending_migrations(&url).unwrap();
    assert_eq!(pending.len(), known_migrations(Backend::Sqlite).len());
    assert_eq!(pending_migrations(&url).unwrap(), pending);
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        0,
        "the file was written"
    );
    assert!(known_migrations(Backend::Postgres).len() == pending.len());
}

#[test]
fn a_backup_is_a_checked_copy_and_never_overwrites() {
    let t = TestDb::sqlite();
    crate::support::add_user(&t.db, "an@example.org");
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("kopie.db");
    let copied = backup::backup(&t.db, &dest).unwrap();
    assert_eq!(copied.path, dest);
    assert_eq!(copied.migrations, known_migrations(Backend::Sqlite).len());
    assert!(!dir.path().join("kopie.db.partial").exists());
    let inspected = backup::inspect(&dest).unwrap();
    assert!(inspected.problems.is_empty(), "{:?}", inspected.problems);
    let e = backup::backup(&t.db, &dest).unwrap_err().to_string();
    assert!(e.contains("already exists"), "{e}");

    // Restored, it holds what the original held.
    let restored = dir.path().join("data/leerpad.db");
    backup::restore(&dest, &restored).unwrap();
    let db = Db::open(&restored.display().to_string()).unwrap();
    let mut c = db.conn().unwrap();
    assert!(
        leerpad_store::accounts::user_by_email(&mut c, "an@example.org")
            .unwrap()
            .is_some()
    );
    let e = backup::restore(&dest, &restored).unwrap_err().to_string();
    assert!(e.contains("already holds a database"), "{e}");
}

#[test]
fn postgres_is_backed_up_with_its_own_tools() {
    let Some(t) = TestDb::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let e = backup::backup(&t.db, &dir.path().join("x.db"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("pg_dump"), "{e}");
}

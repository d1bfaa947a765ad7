//! `leerpad publish` as processes: concurrent publishers, a crash mid-publish, and the
//! permissions of the database it makes. Runs on SQLite, and on PostgreSQL when
//! `LEERPAD_TEST_DATABASE_URL` is set. `leerpad serve` under faults is in
//! `processes/serve.rs`, `leerpad worker` in `processes/worker.rs`, and backups, `doctor`
//! and logs in `processes/ops.rs`, in this binary too (each test binary links the whole
//! stack).

#[path = "processes/serve.rs"]
mod serve;
#[path = "processes/worker.rs"]
mod worker;

#[path = "processes/ops.rs"]
mod ops;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use leerpad_store::publish::{current_version, versions};
use leerpad_store::Db;

fn leerpad(args: &[&str], database: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leerpad"));
    cmd.args(args)
        .arg("--database")
        .arg(database)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("LEERPAD_FAIL_POINT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn finish(child: Child) -> Output {
    child.wait_with_output().expect("leerpad runs")
}

/// Fresh databases to run against: a SQLite file, and a PostgreSQL database when
/// the server is configured. Each comes with a guard that cleans up.
fn databases(tag: &str) -> Vec<(String, Box<dyn std::any::Any>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("leerpad.db").to_string_lossy().into_owned();
    let mut out: Vec<(String, Box<dyn std::any::Any>)> = vec![(sqlite, Box::new(dir))];
    if let Ok(admin) = std::env::var("LEERPAD_TEST_DATABASE_URL") {
        let name = format!("leerpad_cli_{tag}_{}", std::process::id());
        let psql = |sql: &str| {
            let ok = Command::new("psql")
                .env("PGOPTIONS", "--client-min-messages=warning")
                .args([admin.as_str(), "-q", "-c", sql])
                .status()
                .map(|s| s.success());
            assert!(matches!(ok, Ok(true)), "psql could not run `{sql}`");
        };
        psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        psql(&format!("CREATE DATABASE {name}"));
        let (base, _) = admin.rsplit_once('/').unwrap();
        struct Drop_(String, String);
        impl Drop for Drop_ {
            fn drop(&mut self) {
                let _ = Command::new("psql")
                    .args([
                        self.0.as_str(),
                        "-q",
                        "-c",
                        &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.1),
                    ])
                    .status();
            }
        }
        out.push((
            format!("{base}/{name}"),
            Box::new(Drop_(admin.clone(), name)),
        ));
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir(from) {
        let rel = entry.strip_prefix(from).unwrap();
        let target = to.join(rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(&entry, &target).unwrap();
        }
    }
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn showcase_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/showcase"),
        dir.path(),
    );
    dir
}

fn edit_lesson(course: &Path) {
    let lesson = course.join("01-basis/01-welkom.md");
    let text = std::fs::read_to_string(&lesson).unwrap();
    std::fs::write(
        &lesson,
        text.replace("Tekst na de reflectie.", "Andere tekst na de reflectie."),
    )
    .unwrap();
}

fn version_list(database: &str, course: &str) -> Vec<i32> {
    let db = Db::open(database).unwrap();
    let mut c = db.conn().unwrap();
    versions(&mut c, course)
        .unwrap()
        .into_iter()
        .map(|(v, _, _)| v)
        .collect()
}

#[test]
fn two_processes_publishing_at_once_end_with_one_consistent_version() {
    for (database, _guard) in databases("concurrent") {
        let course = showcase_copy();
        let path = course.path().to_str().unwrap().to_string();
        for round in 1..=2 {
            if round == 2 {
                edit_lesson(course.path());
            }
            let a = leerpad(&["publish", &path], &database).spawn().unwrap();
            let b = leerpad(&["publish", &path], &database).spawn().unwrap();
            let (a, b) = (finish(a), finish(b));
            for o in [&a, &b] {
                assert!(
                    o.status.success(),
                    "{database}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
            let outputs = format!(
                "{}{}",
                String::from_utf8_lossy(&a.stdout),
                String::from_utf8_lossy(&b.stdout)
            );
            assert_eq!(
                outputs.matches("unchanged").count(),
                1,
                "{database}: one publisher wins, the other finds nothing to do:\n{outputs}"
            );
            assert_eq!(
                version_list(&database, "showcase"),
                (1..=round).collect::<Vec<_>>(),
                "{database}"
            );
        }
        let db = Db::open(&database).unwrap();
        let mut c = db.conn().unwrap();
        let serving = current_version(&mut c, "showcase").unwrap().unwrap();
        assert_eq!(serving.version, 2);
    }
}

#[test]
fn a_publish_killed_before_commit_leaves_the_old_version_intact() {
    for (database, _guard) in databases("crash") {
        let course = showcase_copy();
        let path = course.path().to_str().unwrap().to_string();
        let first = finish(leerpad(&["publish", &path], &database).spawn().unwrap());
        assert!(
            first.status.success(),
            "{}",
            String::from_utf8_lossy(&first.stderr)
        );
        let before = {
            let db = Db::open(&database).unwrap();
            let mut c = db.conn().unwrap();
            current_version(&mut c, "showcase").unwrap().unwrap().course
        };

        edit_lesson(course.path());
        let crashed = finish(
            leerpad(&["publish", &path], &database)
                .env("LEERPAD_FAIL_POINT", "publish-before-commit")
                .spawn()
                .unwrap(),
        );
        assert!(!crashed.status.success(), "the process must have died");
        assert!(
            String::from_utf8_lossy(&crashed.stderr).contains("fail point"),
            "{}",
            String::from_utf8_lossy(&crashed.stderr)
        );

        let db = Db::open(&database).unwrap();
        let mut c = db.conn().unwrap();
        let after = current_version(&mut c, "showcase").unwrap().unwrap();
        assert_eq!((after.version, &after.course), (1, &before), "{database}");
        assert_eq!(version_list(&database, "showcase"), vec![1]);
        drop(c);

        // The next publish goes through normally.
        let again = finish(leerpad(&["publish", &path], &database).spawn().unwrap());
        assert!(
            again.status.success(),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert_eq!(version_list(&database, "showcase"), vec![1, 2]);
    }
}

/// The database holds personal data: a file Leerpad creates is readable by its own
/// user only, whatever the umask it was started with.
#[cfg(unix)]
#[test]
fn the_database_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("leerpad.db");
    let course = showcase_copy();
    let out = leerpad(
        &["publish", &course.path().to_string_lossy()],
        &db.to_string_lossy(),
    )
    // The test runs with the usual umask (022), which would make it readable by all.
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["leerpad.db", "leerpad.db-wal"] {
        let path = dir.path().join(file);
        if let Ok(meta) = std::fs::metadata(&path) {
            assert_eq!(
                meta.permissions().mode() & 0o077,
                0,
                "{file} is readable by others"
            );
        } else {
            assert_ne!(file, "leerpad.db", "no database was made");
        }
    }
}

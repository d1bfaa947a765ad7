//! Running Leerpad: a backup taken while learners write restores to a sound
//! database holding every write acknowledged before it; restore refuses what it
//! must; PostgreSQL's own dump and restore (as docs/operations.md gives them);
//! `leerpad doctor` on a good and a bad configuration; JSON log lines.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use leerpad_bench::load::{self, Learner, Plan};
use leerpad_bench::server::Server;
use leerpad_store::{Db, DbConnection};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_leerpad"))
}

fn courses() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("courses")
}

const COURSE: &str = "polarisatie";

/// `leerpad ARGS` with no `LEERPAD_*` variables of the caller's, plus `env`.
fn leerpad(args: &[&str], env: &[(&str, &str)], dir: &Path) -> Output {
    let mut cmd = Command::new(bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("LEERPAD_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("leerpad runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn sign_in(db: &Db, tag: &str, n: usize, server: &Server, plan: &Plan) -> Vec<Learner> {
    load::create_learners(db, tag, n)
        .iter()
        .enumerate()
        .map(|(i, (email, token))| {
            Learner::sign_in(email, token, &[server.addr], plan, 31 + i as u64)
                .unwrap_or_else(|e| panic!("{email} cannot sign in: {e}"))
        })
        .collect()
}

fn integrity(db: &Db) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        integrity_check: String,
    }
    let mut c = db.conn().unwrap();
    let DbConnection::Sqlite(c) = &mut *c else {
        panic!("SQLite");
    };
    diesel::sql_query("PRAGMA integrity_check")
        .load::<Row>(c)
        .unwrap()
        .into_iter()
        .map(|r| r.integrity_check)
        .collect()
}

/// Learners write while `leerpad backup` copies the database. Those of the first
/// group stop before the backup starts: the restored copy must hold every write
/// the server acknowledged them. The second group writes all through the backup.
#[test]
fn a_backup_taken_under_load_restores_every_write_acknowledged_before_it() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let url = data.join("leerpad.db").display().to_string();
    let mut server = Server::start(&bin(), &data, &courses(), &[]);
    let db = Db::open(&url).unwrap();
    let plan = Plan::bundled(&courses(), COURSE);
    let before = sign_in(&db, "voor", 6, &server, &plan);
    let during = sign_in(&db, "tijdens", 6, &server, &plan);

    let backup = work.path().join("backup.db");
    let started = Instant::now();
    let (before, during, out) = std::thread::scope(|s| {
        let busy = s.spawn(|| {
            load::run(
                during,
                &plan,
                started + Duration::from_secs(6),
                Duration::from_millis(2),
            )
        });
        // Every write of this group is answered before the backup starts.
        let before = load::run(
            before,
            &plan,
            started + Duration::from_secs(2),
            Duration::from_millis(2),
        );
        let out = leerpad(
            &["backup", backup.to_str().unwrap(), "--database", &url],
            &[],
            work.path(),
        );
        (before, busy.join().unwrap(), out)
    });
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("integrity checked"), "{}", text(&out));
    let busy: u64 = during.iter().map(|l| l.stats.requests).sum();
    assert!(
        busy > 50,
        "the second group was busy during the backup: {busy}"
    );
    server.stop();

    // Restored into an empty data folder, as a new server would find it.
    let restored_dir = work.path().join("restored");
    let out = leerpad(
        &[
            "restore",
            backup.to_str().unwrap(),
            "--data-dir",
            restored_dir.to_str().unwrap(),
        ],
        &[],
        work.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let restored = Db::open(&restored_dir.join("leerpad.db").display().to_string()).unwrap();
    assert_eq!(integrity(&restored), ["ok"]);
    let verified = load::verify(&restored, COURSE, &before);
    assert!(verified.writes > 20, "{verified:?}");
    assert!(
        verified.missing.is_empty(),
        "acknowledged before the backup, missing from it: {:?}",
        verified.missing
    );
    // The restored database serves.
    let mut again = Server::start(&bin(), &restored_dir, &courses(), &[]);
    again.stop();
}

#[test]
fn restore_refuses_a_folder_with_a_database_and_a_file_that_is_no_backup() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let out = leerpad(&["migrate", "--data-dir", "in-use"], &[], w);
    assert!(out.status.success(), "{}", text(&out));
    let out = leerpad(&["backup", "copy.db", "--data-dir", "in-use"], &[], w);
    assert!(out.status.success(), "{}", text(&out));

    // Never over a database.
    let out = leerpad(&["restore", "copy.db", "--data-dir", "in-use"], &[], w);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("already holds a database: restore into an empty data folder"),
        "{}",
        text(&out)
    );
    // Nor over an existing backup.
    let out = leerpad(&["backup", "copy.db", "--data-dir", "in-use"], &[], w);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("copy.db already exists"),
        "{}",
        text(&out)
    );

    // A damaged backup is refused, and nothing is left in the folder.
    let mut bytes = std::fs::read(w.join("copy.db")).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 8192] {
        *b ^= 0x5a;
    }
    std::fs::write(w.join("damaged.db"), &bytes).unwrap();
    std::fs::write(w.join("notes.txt"), "geen database").unwrap();
    for (file, why) in [
        ("damaged.db", "damaged.db"),
        ("notes.txt", "is not a SQLite database"),
        ("missing.db", "there is no file at missing.db"),
    ] {
        let out = leerpad(&["restore", file, "--data-dir", "fresh"], &[], w);
        assert!(!out.status.success(), "{file}: {}", text(&out));
        assert!(
            text(&out).contains(&format!("{file} cannot be restored")),
            "{file}: {}",
            text(&out)
        );
        assert!(text(&out).contains(why), "{file}: {}", text(&out));
        assert!(
            !w.join("fresh/leerpad.db").exists(),
            "{file} left a database behind"
        );
    }
    // A good one restores, privately.
    let out = leerpad(&["restore", "copy.db", "--data-dir", "fresh"], &[], w);
    assert!(out.status.success(), "{}", text(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(w.join("fresh/leerpad.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
}

/// PostgreSQL is backed up with its own tools: the commands of
/// docs/operations.md, from one database into a new one, keep every row.
#[test]
fn postgres_dump_and_restore_keep_every_row() {
    let Ok(admin) = std::env::var("LEERPAD_TEST_DATABASE_URL") else {
        eprintln!("LEERPAD_TEST_DATABASE_URL is not set: PostgreSQL not tested");
        return;
    };
    let (base, _) = admin.rsplit_once('/').unwrap();
    let id = std::process::id();
    let (from, to) = (
        format!("leerpad_dump_{id}"),
        format!("leerpad_restored_{id}"),
    );
    let psql = |sql: &str| {
        let ok = Command::new("psql")
            .env("PGOPTIONS", "--client-min-messages=warning")
            .args([admin.as_str(), "-q", "-c", sql])
            .status()
            .unwrap();
        assert!(ok.success(), "psql: {sql}");
    };
    for db in [&from, &to] {
        psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    }
    psql(&format!("CREATE DATABASE {from}"));
    let from_url = format!("{base}/{from}");
    let to_url = format!("{base}/{to}");
    let work = tempfile::tempdir().unwrap();
    let showcase = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let out = leerpad(
        &[
            "publish",
            showcase.to_str().unwrap(),
            "--database",
            &from_url,
        ],
        &[],
        work.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    {
        let db = Db::open(&from_url).unwrap();
        load::create_learners(&db, "dump", 5);
    }
    let dump = work.path().join("leerpad.dump");
    let run = |cmd: &str, args: &[&str]| {
        let out = Command::new(cmd).args(args).output().unwrap();
        assert!(out.status.success(), "{cmd}: {}", text(&out));
    };
    // As in docs/operations.md.
    run(
        "pg_dump",
        &[
            "--format=custom",
            "--no-owner",
            "--file",
            dump.to_str().unwrap(),
            &from_url,
        ],
    );
    psql(&format!("CREATE DATABASE {to}"));
    run(
        "pg_restore",
        &[
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            &to_url,
            dump.to_str().unwrap(),
        ],
    );

    let counts = |url: &str| -> Vec<(String, i64)> {
        let db = Db::open(url).unwrap();
        let mut c = db.conn().unwrap();
        #[derive(QueryableByName)]
        struct Table {
            #[diesel(sql_type = Text)]
            tablename: String,
        }
        let tables: Vec<Table> = diesel::sql_query(
            "SELECT tablename::text AS tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
        )
        .load(&mut *c)
        .unwrap();
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        tables
            .into_iter()
            .map(|t| {
                let n: Count =
                    diesel::sql_query(format!("SELECT count(*) AS n FROM \"{}\"", t.tablename))
                        .get_result(&mut *c)
                        .unwrap();
                (t.tablename, n.n)
            })
            .collect()
    };
    let before = counts(&from_url);
    let after = counts(&to_url);
    assert!(before.len() > 20, "{before:?}");
    assert!(
        before.iter().filter(|(_, n)| *n > 0).count() >= 5,
        "rows to compare: {before:?}"
    );
    assert_eq!(before, after);
    for db in [&from, &to] {
        psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    }
}

#[test]
fn doctor_passes_a_good_configuration_and_says_what_to_fix_in_a_bad_one() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let smtp = rt.block_on(leerpad_mail::testing::SmtpServer::start());
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let out = leerpad(&["migrate", "--data-dir", "data"], &[], w);
    assert!(out.status.success(), "{}", text(&out));
    std::fs::write(w.join("data/secret.key"), "s".repeat(48)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            w.join("data/secret.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let showcase = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let good = format!(
        r#"base_url = "https://leren.example.be"
data_dir = "data"
courses_dir = "{}"

[mail]
smtp_host = "127.0.0.1"
smtp_port = {}
smtp_security = "none"
"#,
        showcase.display(),
        smtp.port()
    );
    std::fs::write(w.join("good.toml"), good).unwrap();
    let out = leerpad(&["doctor", "--config", "good.toml"], &[], w);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    for line in [
        "ok    config    read good.toml",
        "ok    database  sqlite://data/leerpad.db answers and is at the current schema",
        "ok    mail      SMTP 127.0.0.1:",
        "ok    base_url  https://leren.example.be",
        "ok    secret    data/secret.key (private)",
        "ok    courses   ",
    ] {
        assert!(said.contains(line), "{line}:\n{said}");
    }
    assert!(!said.contains("fail"), "{said}");

    // Nothing listens on this port any more.
    let closed = leerpad_bench::server::free_port();
    let bad = format!(
        r#"base_url = "http://leren.example.be"
database_url = "postgres://leerpad@127.0.0.1:{closed}/leerpad"
data_dir = "data"
courses_dir = "{}"
secret = "{}"

[mail]
smtp_host = "127.0.0.1"
smtp_port = {closed}
smtp_security = "none"
"#,
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/invalid")
            .display(),
        "g".repeat(40)
    );
    std::fs::write(w.join("bad.toml"), bad).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(w.join("bad.toml"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
    }
    let out = leerpad(&["doctor", "--config", "bad.toml"], &[], w);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    for line in [
        &format!("fail  database  cannot reach postgres://leerpad@127.0.0.1:{closed}/leerpad:"),
        "check `database_url`",
        &format!("fail  mail      SMTP 127.0.0.1:{closed} (unencrypted) does not answer"),
        "fail  base_url  http://leren.example.be is plain http on the network",
        "fail  secret    bad.toml holds secrets and can be read by others (mode 644): chmod 600 bad.toml",
        "fail  courses   ",
        "`leerpad check ",
    ] {
        assert!(said.contains(line), "{line}:\n{said}");
    }
    // One line per check.
    assert_eq!(said.lines().count(), 7, "{said}");

    // A configuration that cannot be read is one failure that says why.
    std::fs::write(w.join("typo.toml"), "base_ulr = \"https://x.be\"\n").unwrap();
    let out = leerpad(&["doctor", "--config", "typo.toml"], &[], w);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).starts_with("fail  config"), "{}", text(&out));
    assert!(text(&out).contains("base_ulr"), "{}", text(&out));
    drop(smtp);
}

#[test]
fn logs_are_json_lines_when_asked() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        &bin(),
        data.path(),
        &courses(),
        &[("LEERPAD_LOG_FORMAT", "json"), ("LEERPAD_LOG", "info")],
    );
    server.stop();
    let log = server.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() >= 2, "{log}");
    let listening = lines
        .iter()
        .find(|l| l["fields"]["message"] == "Leerpad is listening")
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(listening["level"], "INFO");
    assert!(listening["fields"]["listen"].is_string(), "{listening}");
    assert!(listening["timestamp"].is_string(), "{listening}");
}

//! `leerpad worker` as processes: two workers on one database run each job's
//! scheduled run once and send a queued email once, a web server with
//! `jobs = false` runs no job, and SIGTERM stops a worker cleanly.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use leerpad_bench::server::Server;
use leerpad_store::jobs::{self, RunStatus};
use leerpad_store::outbox::{self, OutboxStatus, OutgoingEmail, StoredMessage};
use leerpad_store::Db;

use super::databases;

const JOBS: [&str; 4] = ["digest", "nudges", "outbox", "prune"];

fn worker(data_dir: &Path, database: &str) -> Child {
    let log = std::fs::File::create(data_dir.join(format!(
        "worker-{}.log",
        Utc::now().timestamp_nanos_opt().unwrap()
    )))
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_leerpad"))
        .arg("worker")
        .current_dir(data_dir)
        .env("LEERPAD_DATA_DIR", data_dir)
        .env("LEERPAD_DATABASE_URL", database)
        .env(
            "LEERPAD_SECRET",
            "a secret shared by every instance, long enough",
        )
        .env("LEERPAD_LOG", "warn")
        .env_remove("LEERPAD_FAIL_POINT")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("leerpad worker starts")
}

fn eml_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.join("mail"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn two_workers_run_each_job_once_and_a_web_server_without_jobs_runs_none() {
    for (url, _guard) in databases("worker") {
        let data = tempfile::tempdir().unwrap();
        let courses = Path::new(env!("CARGO_MANIFEST_DIR")).join("courses");
        let mut web = Server::start(
            &PathBuf::from(env!("CARGO_BIN_EXE_leerpad")),
            data.path(),
            &courses,
            &[
                ("LEERPAD_DATABASE_URL", url.as_str()),
                ("LEERPAD_JOBS", "false"),
            ],
        );
        let db = Db::open(&url).unwrap();
        // A moment for a runner that should not be there: its first look is at once.
        std::thread::sleep(Duration::from_secs(2));
        assert!(
            jobs::latest_runs(&mut db.conn().unwrap())
                .unwrap()
                .is_empty(),
            "{url}: serve with jobs = false ran jobs:\n{}",
            web.log()
        );
        let email = OutgoingEmail {
            dedupe_key: "worker:test".into(),
            user_id: None,
            kind: "magic-link".into(),
            recipient: "iemand@example.org".into(),
            message: StoredMessage {
                subject: "Een bericht van de worker".into(),
                text: "Tekst\n".into(),
                ..StoredMessage::default()
            }
            .into(),
        };
        outbox::enqueue(&mut db.conn().unwrap(), &email, Utc::now().naive_utc()).unwrap();

        let mut a = worker(data.path(), &url);
        let mut b = worker(data.path(), &url);
        let started = Instant::now();
        loop {
            let runs = jobs::latest_runs(&mut db.conn().unwrap()).unwrap();
            let done = runs.iter().filter(|r| r.status() == RunStatus::Ok).count();
            let sent = outbox::list(&mut db.conn().unwrap(), 10)
                .unwrap()
                .iter()
                .any(|e| e.dedupe_key == "worker:test" && e.status == OutboxStatus::Sent);
            if done == JOBS.len() && sent {
                let names: Vec<&str> = runs.iter().map(|r| r.job.as_str()).collect();
                assert_eq!(names, JOBS, "{url}");
                break;
            }
            assert!(
                a.try_wait().unwrap().is_none() && b.try_wait().unwrap().is_none(),
                "{url}: a worker stopped"
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{url}: the workers did not run every job: {runs:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        // Every run was one attempt by one worker; the email went out once.
        for job in JOBS {
            for r in jobs::runs_of(&mut db.conn().unwrap(), job).unwrap() {
                assert_eq!(r.attempts, 1, "{url}: {r:?}");
            }
        }
        assert_eq!(eml_files(data.path()).len(), 1, "{url}");

        // SIGTERM: both stop, successfully.
        for w in [&mut a, &mut b] {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(w.id().to_string())
                .status();
        }
        for w in [&mut a, &mut b] {
            let until = Instant::now() + Duration::from_secs(20);
            let status = loop {
                if let Some(s) = w.try_wait().unwrap() {
                    break s;
                }
                assert!(Instant::now() < until, "{url}: a worker did not stop");
                std::thread::sleep(Duration::from_millis(100));
            };
            assert!(status.success(), "{url}: {status}");
        }
        web.stop();
    }
}

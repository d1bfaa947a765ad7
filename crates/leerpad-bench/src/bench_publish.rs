//! Publishes a generated course into an empty database, then republishes it with
//! one lesson changed, on SQLite and (when reachable) PostgreSQL.
//!
//! Usage: leerpad-bench-publish COURSE_DIR [--postgres URL]
//! The PostgreSQL URL names a server where this tool may create and drop a database.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use leerpad_compiler::compile_paths;
use leerpad_core::{Course, ItemBody, LessonBlock};
use leerpad_store::{publish, Db, PublishInput, PublishOptions, PublishStatus};

/// The allocator of the `leerpad` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REPUBLISHES: usize = 7;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("usage: leerpad-bench-publish COURSE_DIR [--postgres URL]");
        return ExitCode::from(2);
    };
    let postgres = args
        .iter()
        .position(|a| a == "--postgres")
        .and_then(|i| args.get(i + 1))
        .cloned();

    let start = Instant::now();
    let compiled = compile_paths(std::slice::from_ref(&dir));
    if compiled.diagnostics.has_errors() || compiled.courses.len() != 1 {
        eprintln!("{} does not compile to one course", dir.display());
        return ExitCode::FAILURE;
    }
    let course = compiled.courses.into_iter().next().unwrap();
    let lessons = course.items().count();
    println!(
        "compiled {lessons} lessons in {:.0} ms",
        ms(start.elapsed())
    );

    let sqlite_dir = tempfile::tempdir().unwrap();
    let sqlite_url = sqlite_dir
        .path()
        .join("bench.db")
        .to_string_lossy()
        .into_owned();
    run("SQLite", &sqlite_url, &course);

    if let Some(admin) = postgres {
        let name = format!("leerpad_bench_{}", std::process::id());
        let psql = |sql: String| {
            std::process::Command::new("psql")
                .env("PGOPTIONS", "--client-min-messages=warning")
                .args([admin.as_str(), "-q", "-c", &sql])
                .status()
                .is_ok_and(|s| s.success())
        };
        if psql(format!("CREATE DATABASE {name}")) {
            let (base, _) = admin.rsplit_once('/').unwrap();
            run("PostgreSQL", &format!("{base}/{name}"), &course);
            psql(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        } else {
            eprintln!("PostgreSQL at {admin} not reachable: skipped");
        }
    }
    ExitCode::SUCCESS
}

fn run(backend: &str, url: &str, course: &Course) {
    let db = Db::open(url).expect("database opens");
    let opts = PublishOptions {
        dry_run: false,
        allow_orphans: false,
        now: chrono::Utc::now().naive_utc(),
    };
    let publish_one = |c: &Course| {
        let start = Instant::now();
        let report = publish(
            &db,
            &[PublishInput {
                course: c,
                source_dir: None,
            }],
            &opts,
        )
        .expect("publish");
        (start.elapsed(), report[0].status)
    };
    let (first, status) = publish_one(course);
    assert_eq!(status, PublishStatus::Created);
    let mut times = Vec::new();
    for round in 0..REPUBLISHES {
        let changed = with_one_lesson_changed(course, round);
        let (t, status) = publish_one(&changed);
        assert_eq!(status, PublishStatus::Updated);
        times.push(t);
    }
    let (unchanged, status) = publish_one(&with_one_lesson_changed(course, REPUBLISHES - 1));
    assert_eq!(status, PublishStatus::Unchanged);
    times.sort();
    println!(
        "{backend:<11} first publish {:>8.0} ms | republish, 1 lesson changed: median {:>6.1} ms, max {:>6.1} ms | unchanged {:>6.1} ms",
        ms(first),
        ms(times[times.len() / 2]),
        ms(*times.last().unwrap()),
        ms(unchanged)
    );
}

/// The course with the text of one lesson (chosen by `round`) changed.
fn with_one_lesson_changed(course: &Course, round: usize) -> Course {
    let mut c = course.clone();
    let lessons: Vec<(usize, usize)> = c
        .modules
        .iter()
        .enumerate()
        .flat_map(|(m, module)| (0..module.items.len()).map(move |i| (m, i)))
        .collect();
    let (m, i) = lessons[(round * 7919) % lessons.len()];
    if let ItemBody::Lesson(lesson) = &mut c.modules[m].items[i].body {
        lesson.blocks.push(LessonBlock::Html {
            html: format!("<p>Aanvulling {round}.</p>"),
        });
    }
    c.seal();
    c
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

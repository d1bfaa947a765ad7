//! The nudge runner over 100,000 enrolments on SQLite: one run of the rules, the
//! progress of everyone who gets a nudge, building the emails (the outbox worker
//! renders them when it sends them) and queueing, timed, with the peak memory of
//! that run.
//!
//! Usage: leerpad-bench-nudges [--enrolments N] [--max-per-run N] [--keep DB_FILE]
//!
//! The learners are generated (a fixed seed, so every run is the same) in the
//! bundled course `polarisatie`, whose rules are `not_started` after 3 days,
//! `inactive` after 7 (then weekly, 3 times at most) and `deadline_approaching` 7 days
//! before: enrolled over the last 60 days, a quarter never started, half part-way
//! (with lessons done), 15% completed, a third with a deadline, 2% disabled, 5%
//! unsubscribed and 5% wanting deadlines only. Three quarters of them have a nudge
//! due at once (the worst case, as when nudges are first turned on): the first run
//! queues `--max-per-run` of them (default: the server's 5,000, the most urgent
//! first), the following runs the rest; then a run 15 minutes later shows the
//! steady state.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use leerpad_bench::{per_sqlite, reset_peak, status_kib, Rng};
use leerpad_compiler::compile_paths;
use leerpad_core::{Course, ItemBody};
use leerpad_mail::Templates;
use leerpad_store::db::DbConnection;
use leerpad_store::schema::{enrolments, lesson_progress, users};
use leerpad_store::{publish, Db, PublishInput, PublishOptions};
use leerpad_web::nudges::NudgeRunner;

/// The allocator of the `leerpad` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SECRET: &[u8] = b"a benchmark secret that is long enough to sign with";
/// Rows per INSERT while generating.
const ROWS: usize = 2000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let n: usize = flag("--enrolments")
        .map(|s| s.parse().expect("--enrolments N"))
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = flag("--keep")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.db"));
    let _ = std::fs::remove_file(&path);
    let db = Db::open(&path.to_string_lossy()).expect("the database opens");

    let course_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../courses/polarisatie");
    let compiled = compile_paths(std::slice::from_ref(&course_dir));
    if compiled.diagnostics.has_errors() || compiled.courses.len() != 1 {
        eprintln!("{} does not compile to one course", course_dir.display());
        return ExitCode::FAILURE;
    }
    let course = &compiled.courses[0];
    let now = chrono::DateTime::from_timestamp(1_795_000_000, 0)
        .unwrap()
        .naive_utc();
    publish(
        &db,
        &[PublishInput {
            course,
            source_dir: Some(&compiled.sources[0]),
        }],
        &PublishOptions {
            dry_run: false,
            allow_orphans: false,
            now: now - TimeDelta::days(90),
        },
    )
    .expect("the course publishes");

    let start = Instant::now();
    generate(&db, course, n, now);
    println!(
        "generated {n} learners and enrolments in `{}` in {:.1} s",
        course.id,
        start.elapsed().as_secs_f64()
    );

    let max: usize = flag("--max-per-run")
        .map(|s| s.parse().expect("--max-per-run N"))
        .unwrap_or(leerpad_web::nudges::DEFAULT_MAX_PER_RUN);
    let runner = NudgeRunner::new(
        db.clone(),
        Templates::builtin(),
        "https://leren.example.be",
        SECRET,
    )
    .with_max_per_run(max);
    let before = status_kib("VmHWM:");
    reset_peak();
    let start = Instant::now();
    let report = runner.run(now, false).expect("the run succeeds");
    let first = start.elapsed();
    let peak = status_kib("VmHWM:");
    let t = &report.timings;
    println!(
        "first run: {:.2} s: {} enrolments, {} nudges queued, {} skipped (disabled or unsubscribed), {} withheld by preference",
        first.as_secs_f64(),
        report.enrolments,
        report.queued(),
        report.skipped_disabled + report.skipped_unsubscribed,
        report.withheld_by_preference
    );
    println!(
        "  read {:.0} ms, rules {:.0} ms, progress {:.0} ms, contexts {:.0} ms, queueing {:.0} ms; {} more due, left for the next runs",
        t.load_ms, t.evaluate_ms, t.progress_ms, t.render_ms, t.queue_ms, report.deferred
    );
    let mut by_template: Vec<(&str, usize)> = Vec::new();
    for line in &report.nudges {
        match by_template.iter_mut().find(|(t, _)| *t == line.template) {
            Some((_, k)) => *k += 1,
            None => by_template.push((line.template, 1)),
        }
    }
    for (template, k) in by_template {
        println!("  {template}: {k}");
    }
    match (peak, before) {
        (Some(peak), Some(before)) => println!(
            "  peak memory (VmHWM) during the run: {:.0} MiB (process peak before it: {:.0} MiB)",
            peak as f64 / 1024.0,
            before as f64 / 1024.0
        ),
        _ => println!("  peak memory: /proc/self/status not available"),
    }

    // The rest of the flood, a run at a time (as `serve` would every 15 minutes).
    let mut runs = 1;
    let mut slowest = first;
    let mut total = report.queued();
    let mut deferred = report.deferred;
    while deferred > 0 {
        let start = Instant::now();
        let r = runner.run(now, false).expect("the run succeeds");
        slowest = slowest.max(start.elapsed());
        runs += 1;
        total += r.queued();
        deferred = r.deferred;
    }
    println!(
        "all {total} due nudges queued in {runs} run(s), the slowest {:.2} s",
        slowest.as_secs_f64()
    );
    // Afterwards, a run finds only what became due since.
    let start = Instant::now();
    let later = runner
        .run(now + TimeDelta::minutes(15), false)
        .expect("the run succeeds");
    println!(
        "a run 15 minutes later: {:.2} s, {} queued, {} still due",
        start.elapsed().as_secs_f64(),
        later.queued(),
        later.deferred
    );
    let target = Duration::from_secs(2);
    if slowest > target {
        println!("SLOWER than the target of {} s per run", target.as_secs());
    }
    ExitCode::SUCCESS
}

type UserRow = (
    String,
    String,
    &'static str,
    &'static str,
    &'static str,
    Option<NaiveDateTime>,
    NaiveDateTime,
);
type EnrolmentRow = (
    i32,
    &'static str,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// `n` learners, each enrolled in `course`, with lessons done by those who started.
fn generate(db: &Db, course: &Course, n: usize, now: NaiveDateTime) {
    let course_id: &'static str = Box::leak(course.id.to_string().into_boxed_str());
    let lessons: Vec<&'static str> = course
        .items()
        .filter(|(_, i)| matches!(i.body, ItemBody::Lesson(_)))
        .map(|(_, i)| &*Box::leak(i.id.to_string().into_boxed_str()))
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let minutes = |m: u64| TimeDelta::minutes(m as i64);
    let mut c = db.conn().unwrap();
    let c: &mut DbConnection = &mut c;
    c.transaction(|c| -> QueryResult<()> {
        let mut user_rows: Vec<UserRow> = Vec::with_capacity(ROWS);
        let mut enrolment_rows: Vec<EnrolmentRow> = Vec::with_capacity(ROWS);
        let mut progress_rows = Vec::new();
        for i in 0..n {
            let id = i as i32 + 1;
            let language = if rng.percent() < 20 { "en" } else { "nl" };
            let notifications = match rng.percent() {
                0..=4 => "none",
                5..=9 => "deadlines",
                _ => "all",
            };
            let disabled = (rng.percent() < 2).then_some(now - TimeDelta::days(1));
            user_rows.push((
                format!("learner{id}@gemeente.example"),
                format!("Deelnemer {id}"),
                "learner",
                language,
                notifications,
                disabled,
                now - TimeDelta::days(120),
            ));
            let enrolled = now - minutes(rng.below(60 * 24 * 60));
            let since = (now - enrolled).num_minutes() as u64;
            let deadline =
                (rng.percent() < 33).then(|| enrolled + TimeDelta::days(30 + rng.below(30) as i64));
            let (started, last, completed) = match rng.percent() {
                // Never started.
                0..=24 => (None, None, None),
                // Completed.
                25..=39 => {
                    let done = enrolled + minutes(rng.below(since.max(1)));
                    (Some(enrolled), Some(done), Some(done))
                }
                // Part-way.
                _ => {
                    let last = enrolled + minutes(rng.below(since.max(1)));
                    (Some(enrolled), Some(last), None)
                }
            };
            if let Some(last) = last {
                let done = if completed.is_some() {
                    lessons.len()
                } else {
                    1 + rng.below(lessons.len() as u64 - 1) as usize
                };
                for lesson in &lessons[..done] {
                    progress_rows.push((
                        lesson_progress::user_id.eq(id),
                        lesson_progress::course_id.eq(course_id),
                        lesson_progress::item_id.eq(*lesson),
                        lesson_progress::first_opened_at.eq(enrolled),
                        lesson_progress::last_opened_at.eq(last),
                        lesson_progress::completed_at.eq(Some(last)),
                    ));
                }
            }
            enrolment_rows.push((id, course_id, enrolled, deadline, started, last, completed));
            if user_rows.len() == ROWS || i + 1 == n {
                insert_users(c, &user_rows)?;
                insert_enrolments(c, &enrolment_rows)?;
                for chunk in progress_rows.chunks(ROWS) {
                    per_sqlite(c, |s| {
                        diesel::insert_into(lesson_progress::table)
                            .values(chunk)
                            .execute(s)
                    })?;
                }
                user_rows.clear();
                enrolment_rows.clear();
                progress_rows.clear();
            }
        }
        Ok(())
    })
    .expect("the learners are generated");
}

fn insert_users(c: &mut DbConnection, rows: &[UserRow]) -> QueryResult<usize> {
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                users::email.eq(&r.0),
                users::display_name.eq(&r.1),
                users::role.eq(r.2),
                users::language.eq(r.3),
                users::notifications.eq(r.4),
                users::disabled_at.eq(r.5),
                users::created_at.eq(r.6),
            )
        })
        .collect();
    per_sqlite(c, |s| {
        diesel::insert_into(users::table).values(&values).execute(s)
    })
}

fn insert_enrolments(c: &mut DbConnection, rows: &[EnrolmentRow]) -> QueryResult<usize> {
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                enrolments::user_id.eq(r.0),
                enrolments::course_id.eq(r.1),
                enrolments::enrolled_at.eq(r.2),
                enrolments::deadline.eq(r.3),
                enrolments::started_at.eq(r.4),
                enrolments::last_activity_at.eq(r.5),
                enrolments::completed_at.eq(r.6),
            )
        })
        .collect();
    per_sqlite(c, |s| {
        diesel::insert_into(enrolments::table)
            .values(&values)
            .execute(s)
    })
}

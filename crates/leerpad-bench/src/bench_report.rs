//! Completion reports of one large organisation on SQLite: the whole report as CSV
//! and as XLSX, and a filtered CSV, each timed with the bytes written and the growth
//! of the process's peak memory while it ran.
//!
//! Usage: leerpad-bench-report [--learners N] [--runs N] [--analyze] [--keep DB_FILE]
//!
//! Three courses are generated with `leerpad-gen-course` (which must have been built
//! next to this binary: `cargo build --release -p leerpad-bench`), each given a quiz
//! at the end of every module (4, 3 and 2 quizzes), compiled and published. One
//! organisation gets `--learners` learners (default 100,000) in 20 groups (3% in
//! none), every one enrolled in all three courses by the organisation (a fixed seed,
//! so every run is the same): 8% never accepted their invitation, enrolled over the
//! last 120 days, 70% with a deadline 30 to 90 days after enrolling; per course 35%
//! completed (all quizzes scored, a certificate), 35% part-way (some quizzes scored)
//! and 30% not started. The statuses follow from that (invited, not started, in
//! progress, completed, overdue), as the report computes them.
//!
//! Each export goes to a writer that only counts bytes, so the figures are the
//! report's own work: reading, converting and formatting the rows. To show where the
//! time goes, the same report is also read without writing anything: the store's
//! rows alone, then turned into report rows.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use leerpad_bench::{per_sqlite, reset_peak, status_kib, Rng};
use leerpad_compiler::compile_paths;
use leerpad_core::report::{ReportQuery, Status};
use leerpad_core::{Course, ItemBody};
use leerpad_store::db::DbConnection;
use leerpad_store::organisations::{self, Organisation};
use leerpad_store::reports as store_reports;
use leerpad_store::schema::{assigned_enrolments, certificates, enrolments, memberships, users};
use leerpad_store::{publish, Db, PublishInput, PublishOptions, StoreError};
use leerpad_web::reports::{self, ExportFormat, Outlines};

/// The allocator of the `leerpad` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Rows per INSERT while generating.
const ROWS: usize = 2000;
/// (course id, lessons, lessons per module): one quiz per module.
const COURSES: [(&str, usize, usize); 3] = [
    ("samenleven", 40, 10),
    ("geruchten", 30, 10),
    ("gesprekken", 20, 10),
];
const GROUPS: usize = 20;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let n: usize = flag("--learners")
        .map(|s| s.parse().expect("--learners N"))
        .unwrap_or(100_000);
    let runs: usize = flag("--runs")
        .map(|s| s.parse().expect("--runs N"))
        .unwrap_or(1)
        .max(1);
    let analyze = args.iter().any(|a| a == "--analyze");
    let dir = tempfile::tempdir().unwrap();
    let path = flag("--keep")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.db"));
    let _ = std::fs::remove_file(&path);
    let db = Db::open(&path.to_string_lossy()).expect("the database opens");
    let now = chrono::DateTime::from_timestamp(1_795_000_000, 0)
        .unwrap()
        .naive_utc();

    let start = Instant::now();
    let courses = match generate_courses(dir.path()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut published = Vec::new();
    for (course, source) in &courses {
        let report = publish(
            &db,
            &[PublishInput {
                course,
                source_dir: Some(source),
            }],
            &PublishOptions {
                dry_run: false,
                allow_orphans: false,
                now: now - TimeDelta::days(200),
            },
        )
        .expect("the course publishes");
        published.push(Published {
            id: leak(course.id.to_string()),
            title: leak(course.title.clone()),
            version_id: current_version_id(&db, &report[0].course_id),
            quizzes: course
                .items()
                .filter(|(_, i)| matches!(i.body, ItemBody::Quiz(_)))
                .map(|(_, i)| leak(i.id.to_string()))
                .collect(),
        });
    }
    println!(
        "generated and published {} courses ({} quizzes) in {:.1} s",
        published.len(),
        published.iter().map(|c| c.quizzes.len()).sum::<usize>(),
        start.elapsed().as_secs_f64()
    );

    let start = Instant::now();
    let organisation = generate_learners(&db, &published, n, now);
    let mut c = db.conn().unwrap();
    let c: &mut DbConnection = &mut c;
    let counts = status_counts(c, &organisation, now);
    println!(
        "generated {n} learners in {GROUPS} groups, {} enrolments, in {:.1} s: {}",
        counts.iter().map(|(_, k)| k).sum::<u64>(),
        start.elapsed().as_secs_f64(),
        counts
            .iter()
            .map(|(s, k)| format!("{s} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let DbConnection::Sqlite(s) = &mut *c {
        // The generated rows in the database file rather than in the write-ahead log,
        // as on a server that has run for a while.
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(s)
            .expect("checkpoint");
        if analyze {
            // Leerpad never runs ANALYZE; with its statistics of this one-organisation
            // database, SQLite's planner drives the report's join from another table.
            diesel::sql_query("ANALYZE").execute(s).expect("ANALYZE");
            println!("ran ANALYZE: the planner has statistics");
        }
    }

    let csv = ExportFormat::parse("csv", None).unwrap();
    let all = ReportQuery::default();
    let filtered = ReportQuery {
        course: Some(published[0].id.to_string()),
        statuses: [Status::Overdue].into_iter().collect(),
        ..ReportQuery::default()
    };
    let mut results: Vec<Measured> = Vec::new();
    let mut measure = |name: &str, f: &mut dyn FnMut(&mut DbConnection) -> (u64, u64)| {
        let mut best: Option<Measured> = None;
        for _ in 0..runs {
            let m = measured(name, || f(&mut *c));
            best = Some(match best {
                None => m,
                Some(b) => Measured {
                    time: b.time.min(m.time),
                    cpu: b.cpu.zip(m.cpu).map(|(x, y)| x.min(y)),
                    growth_kib: b.growth_kib.max(m.growth_kib),
                    ..b
                },
            });
        }
        let m = best.unwrap();
        println!(
            "  {:<44} {:>8} rows {:>12} bytes {:>7.2} s ({} CPU)",
            m.name,
            m.rows,
            m.bytes,
            m.time.as_secs_f64(),
            seconds(m.cpu)
        );
        results.push(m);
    };
    println!("measuring ({runs} run(s) each, best time, highest memory):");
    measure("store rows only (for_each_row)", &mut |c| {
        let mut rows = 0u64;
        store_reports::for_each_row::<StoreError>(c, organisation.id, &all, now, |_| {
            rows += 1;
            Ok(())
        })
        .expect("the report reads");
        (rows, 0)
    });
    measure("store rows + report rows (Outlines::row)", &mut |c| {
        let outlines = Outlines::load(c).expect("outlines");
        let mut rows = 0u64;
        let mut check = 0usize;
        store_reports::for_each_row::<StoreError>(c, organisation.id, &all, now, |s| {
            let row = outlines.row(s);
            check += row.quiz_scores.len();
            rows += 1;
            Ok(())
        })
        .expect("the report reads");
        std::hint::black_box(check);
        (rows, 0)
    });
    measure("CSV, whole report", &mut |c| {
        export(c, &organisation, &all, now, csv)
    });
    measure("XLSX, whole report", &mut |c| {
        export(c, &organisation, &all, now, ExportFormat::Xlsx)
    });
    measure("CSV, one course, status overdue", &mut |c| {
        export(c, &organisation, &filtered, now, csv)
    });
    measure("XLSX, one course, status overdue", &mut |c| {
        export(c, &organisation, &filtered, now, ExportFormat::Xlsx)
    });

    println!();
    println!(
        "| {:<44} | {:>8} | {:>11} | {:>7} | {:>7} | {:>17} |",
        "export", "rows", "MB written", "seconds", "CPU s", "peak RSS growth"
    );
    println!(
        "|{:-<46}|{:->10}|{:->13}|{:->9}|{:->9}|{:->19}|",
        "", ":", ":", ":", ":", ":"
    );
    for m in &results {
        println!(
            "| {:<44} | {:>8} | {:>11} | {:>7.2} | {:>7} | {:>17} |",
            m.name,
            m.rows,
            if m.bytes > 0 {
                format!("{:.1}", m.bytes as f64 / 1e6)
            } else {
                "-".to_string()
            },
            m.time.as_secs_f64(),
            seconds(m.cpu),
            match m.growth_kib {
                Some(k) => format!("{:.1} MiB", k as f64 / 1024.0),
                None => "n/a".to_string(),
            }
        );
    }
    if let Some(rss) = status_kib("VmRSS:") {
        println!(
            "(process resident set after the exports: {:.0} MiB)",
            rss as f64 / 1024.0
        );
    }
    let target = Duration::from_secs(2);
    if let Some(m) = results.iter().find(|m| m.name == "CSV, whole report") {
        if m.time > target {
            println!(
                "the whole CSV is SLOWER than the target of {} s",
                target.as_secs()
            );
        }
    }
    ExitCode::SUCCESS
}

/// The id (not the number) of the course's version being served.
fn current_version_id(db: &Db, course_id: &str) -> i32 {
    use leerpad_store::schema::courses;
    let mut c = db.conn().unwrap();
    courses::table
        .find(course_id)
        .select(courses::current_version_id)
        .first::<Option<i32>>(&mut *c)
        .expect("the course is stored")
        .expect("the course has a version")
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

struct Published {
    id: &'static str,
    title: &'static str,
    version_id: i32,
    quizzes: Vec<&'static str>,
}

struct Measured {
    name: String,
    rows: u64,
    bytes: u64,
    time: Duration,
    /// Time on a CPU (this thread does all the work): less sensitive than `time`
    /// to other work on the machine.
    cpu: Option<Duration>,
    /// Peak resident set during the run less the resident set before it.
    growth_kib: Option<u64>,
}

fn measured(name: &str, f: impl FnOnce() -> (u64, u64)) -> Measured {
    let before = status_kib("VmRSS:");
    reset_peak();
    let cpu_before = thread_cpu();
    let start = Instant::now();
    let (rows, bytes) = f();
    let time = start.elapsed();
    let cpu = thread_cpu()
        .zip(cpu_before)
        .map(|(a, b)| a.saturating_sub(b));
    let peak = status_kib("VmHWM:");
    Measured {
        name: name.to_string(),
        rows,
        bytes,
        time,
        cpu,
        growth_kib: before.zip(peak).map(|(b, p)| p.saturating_sub(b)),
    }
}

fn seconds(d: Option<Duration>) -> String {
    d.map_or_else(|| "n/a".to_string(), |d| format!("{:.2}", d.as_secs_f64()))
}

/// The time this thread has spent on a CPU (Linux: the first field of
/// /proc/thread-self/schedstat, in nanoseconds).
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// A writer that throws the bytes away and counts them.
#[derive(Default)]
struct Counting {
    sink: std::io::Sink,
    bytes: u64,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.sink.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.sink.flush()
    }
}

fn export(
    c: &mut DbConnection,
    organisation: &Organisation,
    query: &ReportQuery,
    now: NaiveDateTime,
    format: ExportFormat,
) -> (u64, u64) {
    let mut out = Counting::default();
    let rows = reports::export(c, organisation, query, now, format, "nl", &mut out)
        .expect("the export succeeds");
    (rows, out.bytes)
}

/// Rows per status, as the report computes them.
fn status_counts(
    c: &mut DbConnection,
    organisation: &Organisation,
    now: NaiveDateTime,
) -> Vec<(Status, u64)> {
    let mut counts: Vec<(Status, u64)> = Status::ALL.iter().map(|s| (*s, 0)).collect();
    store_reports::for_each_row::<StoreError>(
        c,
        organisation.id,
        &ReportQuery::default(),
        now,
        |r| {
            if let Some(entry) = counts.iter_mut().find(|(s, _)| *s == r.status) {
                entry.1 += 1;
            }
            Ok(())
        },
    )
    .expect("the report reads");
    counts
}

/// The three courses: generated lessons, with a quiz added at the end of each module.
fn generate_courses(work: &Path) -> Result<Vec<(Course, PathBuf)>, String> {
    let generator = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .with_file_name(format!(
            "leerpad-gen-course{}",
            std::env::consts::EXE_SUFFIX
        ));
    if !generator.exists() {
        return Err(format!(
            "{} is missing: build the benchmark tools first (cargo build --release -p leerpad-bench)",
            generator.display()
        ));
    }
    let mut out = Vec::new();
    for (id, lessons, per_module) in COURSES {
        let dir = work.join(id);
        let status = std::process::Command::new(&generator)
            .args(["--lessons", &lessons.to_string()])
            .args(["--per-module", &per_module.to_string()])
            .args(["--id", id])
            .arg("--course")
            .arg(&dir)
            .status()
            .map_err(|e| format!("cannot run {}: {e}", generator.display()))?;
        if !status.success() {
            return Err(format!("{} failed for {id}", generator.display()));
        }
        for m in 0..lessons.div_ceil(per_module) {
            // The generator's module folders: 001-module-0, 002-module-1, …
            let module = dir.join(format!("{:03}-module-{m}", m + 1));
            let file = module.join(format!("{:03}-toets.quiz.yaml", per_module + 1));
            std::fs::write(&file, quiz(id, m)).map_err(|e| format!("{}: {e}", file.display()))?;
        }
        let compiled = compile_paths(std::slice::from_ref(&dir));
        if compiled.diagnostics.has_errors() || compiled.courses.len() != 1 {
            return Err(format!("{} does not compile to one course", dir.display()));
        }
        let source = compiled.sources.into_iter().next().unwrap();
        out.push((compiled.courses.into_iter().next().unwrap(), source));
    }
    Ok(out)
}

fn quiz(course: &str, module: usize) -> String {
    format!(
        "id: toets-{module}\ntitle: Toets {n} ({course})\nquestions:\n  - id: vraag-{module}-1\n    type: true_false\n    prompt: Klopt dit?\n    answer: true\n  - id: vraag-{module}-2\n    type: true_false\n    prompt: En dit?\n    answer: false\n",
        n = module + 1
    )
}

const FIRST_NAMES: &[&str] = &[
    "Anna",
    "Bram",
    "Charlotte",
    "Dries",
    "Elif",
    "Fatima",
    "Geert",
    "Hanne",
    "Ilias",
    "Jana",
    "Karim",
    "Lotte",
    "Mohamed",
    "Nore",
    "Olivier",
    "Pieter",
    "Rania",
    "Sofie",
    "Tom",
    "Wout",
    "Yasmine",
    "Zeynep",
    "Émile",
    "Lucas",
    "Marie",
    "Noah",
    "Louise",
    "Arthur",
    "Mila",
    "Jules",
];
const LAST_NAMES: &[&str] = &[
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Lambert",
    "Van den Broeck",
    "El Amrani",
    "Yilmaz",
    "Vermeulen",
    "Desmet",
    "Van Damme",
    "Hermans",
    "Aerts",
    "D'Hondt",
    "Öztürk",
];

type UserRow = (String, String, Option<NaiveDateTime>, NaiveDateTime);
type EnrolmentRow = (
    i32,
    &'static str,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    i32,
    String,
);
type CertificateRow = (
    String,
    i32,
    &'static str,
    i32,
    String,
    &'static str,
    NaiveDateTime,
);

/// The organisation, its groups and `n` learners enrolled in every course, inserted
/// in batches in one transaction.
fn generate_learners(db: &Db, courses: &[Published], n: usize, now: NaiveDateTime) -> Organisation {
    let mut c = db.conn().unwrap();
    let c: &mut DbConnection = &mut c;
    let organisation = organisations::create(c, "gemeente", "Gemeente Benchmark", now)
        .expect("the organisation is created")
        .expect("a new organisation");
    let groups: Vec<i32> = (1..=GROUPS)
        .map(|g| {
            organisations::group_named(c, organisation.id, &format!("Team {g:02}"), now)
                .expect("the group is created")
                .id
        })
        .collect();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let minutes = |m: u64| TimeDelta::minutes(m as i64);
    c.transaction(|c| -> QueryResult<()> {
        let mut user_rows: Vec<UserRow> = Vec::with_capacity(ROWS);
        let mut member_rows = Vec::with_capacity(ROWS);
        let mut enrolment_rows: Vec<EnrolmentRow> = Vec::with_capacity(ROWS * courses.len());
        let mut certificate_rows: Vec<CertificateRow> = Vec::new();
        for i in 0..n {
            // Users are numbered from 1 in an empty database.
            let id = i as i32 + 1;
            let first = rng.pick(FIRST_NAMES);
            let last = rng.pick(LAST_NAMES);
            let name = format!("{first} {last}");
            let email = format!(
                "{}.{}{id}@gemeente.example",
                first.to_lowercase(),
                last.to_lowercase().replace([' ', '\''], "")
            );
            let invited = rng.percent() < 8;
            let created = now - TimeDelta::days(150);
            user_rows.push((
                email,
                name.clone(),
                (!invited).then_some(created + TimeDelta::days(1)),
                created,
            ));
            let group = (rng.percent() >= 3).then(|| groups[i % GROUPS]);
            member_rows.push((
                memberships::organisation_id.eq(organisation.id),
                memberships::user_id.eq(id),
                memberships::role.eq("member"),
                memberships::group_id.eq(group),
                memberships::created_at.eq(created),
                memberships::accepted_at.eq(Some(created)),
            ));
            for (k, course) in courses.iter().enumerate() {
                let enrolled = now - minutes(rng.below(120 * 24 * 60));
                let since = (now - enrolled).num_minutes().max(1) as u64;
                let deadline = (rng.percent() < 70)
                    .then(|| enrolled + TimeDelta::days(30 + rng.below(61) as i64));
                let quizzes = course.quizzes.len();
                let (started, last, completed, progress, scored) = match rng.percent() {
                    // Never accepted the invitation or never started.
                    _ if invited => (None, None, None, 0, 0),
                    0..=29 => (None, None, None, 0, 0),
                    // Completed.
                    30..=64 => {
                        let done = enrolled + minutes(rng.below(since));
                        (Some(enrolled), Some(done), Some(done), 100, quizzes)
                    }
                    // Part-way.
                    _ => {
                        let last = enrolled + minutes(rng.below(since));
                        let progress = 5 + rng.below(90) as i32;
                        let scored = rng.below(quizzes as u64) as usize;
                        (Some(enrolled), Some(last), None, progress, scored)
                    }
                };
                let mut scores = String::from("{");
                for (j, quiz) in course.quizzes[..scored].iter().enumerate() {
                    if j > 0 {
                        scores.push(',');
                    }
                    scores.push_str(&format!("\"{quiz}\":{}", 40 + rng.below(61)));
                }
                scores.push('}');
                if let Some(done) = completed {
                    certificate_rows.push((
                        format!("{id:08X}-{k}"),
                        id,
                        course.id,
                        course.version_id,
                        name.clone(),
                        course.title,
                        done,
                    ));
                }
                enrolment_rows.push((
                    id, course.id, enrolled, deadline, started, last, completed, progress, scores,
                ));
            }
            if user_rows.len() == ROWS || i + 1 == n {
                insert_users(c, &user_rows)?;
                per_sqlite(c, |s| {
                    diesel::insert_into(memberships::table)
                        .values(&member_rows)
                        .execute(s)
                })?;
                for chunk in enrolment_rows.chunks(ROWS) {
                    insert_enrolments(c, organisation.id, chunk)?;
                }
                for chunk in certificate_rows.chunks(ROWS) {
                    insert_certificates(c, chunk)?;
                }
                user_rows.clear();
                member_rows.clear();
                enrolment_rows.clear();
                certificate_rows.clear();
            }
        }
        Ok(())
    })
    .expect("the learners are generated");
    organisation
}

fn insert_users(c: &mut DbConnection, rows: &[UserRow]) -> QueryResult<usize> {
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                users::email.eq(&r.0),
                users::display_name.eq(&r.1),
                users::role.eq("learner"),
                users::language.eq("nl"),
                users::email_verified_at.eq(r.2),
                users::created_at.eq(r.3),
            )
        })
        .collect();
    per_sqlite(c, |s| {
        diesel::insert_into(users::table).values(&values).execute(s)
    })
}

/// Enrolments, each assigned by the organisation (as `organisations::assign` records
/// it: reports show only what the organisation assigned).
fn insert_enrolments(
    c: &mut DbConnection,
    organisation_id: i32,
    rows: &[EnrolmentRow],
) -> QueryResult<usize> {
    let assigned: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                assigned_enrolments::organisation_id.eq(organisation_id),
                assigned_enrolments::user_id.eq(r.0),
                assigned_enrolments::course_id.eq(r.1),
                assigned_enrolments::assigned_at.eq(r.2),
                assigned_enrolments::deadline.eq(r.3),
            )
        })
        .collect();
    per_sqlite(c, |s| {
        diesel::insert_into(assigned_enrolments::table)
            .values(&assigned)
            .execute(s)
    })?;
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
                enrolments::progress_percent.eq(r.7),
                enrolments::quiz_scores.eq(&r.8),
            )
        })
        .collect();
    per_sqlite(c, |s| {
        diesel::insert_into(enrolments::table)
            .values(&values)
            .execute(s)
    })
}

fn insert_certificates(c: &mut DbConnection, rows: &[CertificateRow]) -> QueryResult<usize> {
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                certificates::code.eq(&r.0),
                certificates::user_id.eq(r.1),
                certificates::course_id.eq(r.2),
                certificates::version_id.eq(r.3),
                certificates::holder_name.eq(&r.4),
                certificates::title.eq(r.5),
                certificates::issued_at.eq(r.6),
            )
        })
        .collect();
    per_sqlite(c, |s| {
        diesel::insert_into(certificates::table)
            .values(&values)
            .execute(s)
    })
}

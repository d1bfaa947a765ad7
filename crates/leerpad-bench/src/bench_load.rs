//! `just bench-load`: signed-in learners at work against `leerpad serve` on SQLite
//! (reading lessons, marking them done, answering quiz questions, writing
//! reflections, the JSON API), with compressed answers as browsers ask for them;
//! then every write the server acknowledged is looked up in the database.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use leerpad_bench::load::{self, Learner, Plan, Stats};
use leerpad_bench::server::Server;
use leerpad_store::Db;

#[derive(Parser)]
struct Args {
    /// The `leerpad` binary to run.
    #[arg(long, default_value = "target/release/leerpad")]
    leerpad: PathBuf,
    /// The bundled courses, published at start.
    #[arg(long, default_value = "courses")]
    courses: PathBuf,
    /// The course the learners follow.
    #[arg(long, default_value = "polarisatie")]
    course: String,
    #[arg(long, default_value_t = 200)]
    learners: usize,
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Mean pause between a learner's actions (each 0–2 × this), in milliseconds.
    #[arg(long, default_value_t = 500)]
    think_ms: u64,
    /// SQLite's `synchronous`: full (the default) or normal.
    #[arg(long, default_value = "full")]
    synchronous: String,
    /// Ask for uncompressed answers.
    #[arg(long)]
    no_gzip: bool,
}

fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let data = dir.path().join("data");
    let mut server = Server::start(
        &args.leerpad,
        &data,
        &args.courses,
        &[("LEERPAD_SQLITE_SYNCHRONOUS", args.synchronous.as_str())],
    );
    let db = Db::open(&data.join("leerpad.db").to_string_lossy()).expect("the database opens");
    let plan = Plan::bundled(&args.courses, &args.course);
    let accounts = load::create_learners(&db, "learner", args.learners);
    let mut learners: Vec<Learner> = accounts
        .iter()
        .enumerate()
        .map(|(i, (email, token))| {
            Learner::sign_in(email, token, &[server.addr], &plan, 0x9e37_79b9 + i as u64)
                .unwrap_or_else(|e| panic!("{email} cannot sign in: {e}\n{}", server.log()))
        })
        .collect();
    if args.no_gzip {
        for l in &mut learners {
            l.set_gzip(false);
        }
    }
    println!(
        "{} learners for {} s on SQLite (synchronous = {}), {} ms between actions on average, {} answers",
        args.learners,
        args.seconds,
        args.synchronous,
        args.think_ms,
        if args.no_gzip { "uncompressed" } else { "gzip-compressed" }
    );
    let cpu_before = server.cpu_seconds();
    let started = Instant::now();
    let learners = load::run(
        learners,
        &plan,
        started + Duration::from_secs(args.seconds),
        Duration::from_millis(args.think_ms),
    );
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = server.cpu_seconds() - cpu_before;

    let mut stats = Stats::default();
    for l in &learners {
        stats.merge(l.stats.clone());
    }
    let verified = load::verify(&db, &args.course, &learners);
    server.stop();

    let (p50, p90, p99, max) = (
        stats.percentile_ms(50.0),
        stats.percentile_ms(90.0),
        stats.percentile_ms(99.0),
        stats.percentile_ms(100.0),
    );
    println!(
        "requests: {} ({:.0}/s), errors: {}, p50 {p50:.1} ms, p90 {p90:.1} ms, p99 {p99:.1} ms, max {max:.1} ms",
        stats.requests,
        stats.requests as f64 / elapsed,
        stats.errors,
    );
    println!(
        "server CPU: {:.1} s in {:.0} s ({:.0} µs per request)",
        cpu,
        elapsed,
        1e6 * cpu / stats.requests.max(1) as f64
    );
    println!(
        "acknowledged writes checked in the database: {}, missing: {}; pages after a reflection without it: {}",
        verified.writes,
        verified.missing.len(),
        stats.stale_reads
    );
    for e in &stats.error_samples {
        println!("  error: {e}");
    }
    for m in verified.missing.iter().take(10) {
        println!("  missing: {m}");
    }
    if stats.errors > 0 || !verified.missing.is_empty() || stats.stale_reads > 0 {
        std::process::exit(1);
    }
}

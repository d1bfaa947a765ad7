//! The data of the community benchmark (`just bench-community`): a SQLite database
//! in a data folder, ready for `leerpad serve`, with one organisation, its members,
//! its space holding `--threads` threads (default 10,000) and, among them, one
//! thread holding `--replies` replies (default 2,000); and a member who reads it,
//! with a one-time sign-in link.
//!
//! Usage: leerpad-gen-community --data DIR [--threads N] [--replies N] [--members N]
//!
//! The rows are the ones the community's flows write (`leerpad_store::community`),
//! inserted in bulk in one transaction, with a fixed seed so every run is the same:
//! threads started over the last year by the members, each with its opening post
//! and 0 to 8 replies, a tenth of them questions, three pinned; 1% of posts deleted
//! by their author and 1% hidden by a moderator, 2% edited (with their earlier
//! text), a few reported; the reader has opened a third of the threads (some of
//! them since replied to, so they show unread posts), has opened the long thread
//! up to its middle and accepted the space's guidelines. The long thread was
//! replied to last, so it is on the space's first page.
//!
//! Prints what the benchmark script needs as `name=value` lines: the sign-in
//! token, the space's and the long thread's addresses and how many pages each has.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use leerpad_bench::{per_sqlite, Rng};
use leerpad_core::community::{SpaceKind, POSTS_PER_PAGE, THREADS_PER_PAGE};
use leerpad_markdown::learner_html;
use leerpad_store::community as store;
use leerpad_store::db::DbConnection;
use leerpad_store::schema::{
    guideline_acceptances, memberships, post_reports, post_revisions, posts, thread_reads, threads,
    users,
};
use leerpad_store::{organisations, Db};

/// Rows per INSERT.
const ROWS: usize = 1000;
const SLUG: &str = "gemeente-benchmark";

const TITLES: &[&str] = &[
    "Hoe reageren we op haatberichten onder onze Facebookposts?",
    "Ervaringen met een buurtgesprek na een incident",
    "Wie heeft een draaiboek voor polariserende debatten in de gemeenteraad?",
    "Desinformatie over de nieuwe opvanglocatie: wat werkte bij jullie?",
    "Samenwerken met jongerenwerk en politie",
    "Vraag: moderatieregels voor de gemeentelijke pagina",
    "Tips voor een eerste dialoogtafel",
    "Hoe meten jullie het effect van een campagne?",
];

const BODIES: &[&str] = &[
    "Bij ons werkte het goed om **eerst te luisteren** en pas daarna te reageren. \
     We hebben een vaste tekst voor de eerste reactie en een interne afspraak over \
     wie wanneer antwoordt.",
    "Wij hebben drie stappen:\n\n1. Feiten verzamelen met het wijkteam.\n2. Een \
     gesprek met de sleutelfiguren in de buurt.\n3. Een korte update op de website \
     en in het buurtblad.\n\nDe tweede stap is de belangrijkste.",
    "> Wie heeft een draaiboek?\n\nWe delen het onze graag: het is gebaseerd op de \
     vijf rollen uit de les over polarisatie. De *bruggenbouwers* krijgen bij ons \
     een vaste plek aan tafel.",
    "Eens met de vorige reactie. Een aanvulling: spreek vooraf af wat je **niet** \
     doet, bijvoorbeeld niet ingaan op de scherpste stemmen, en evalueer na een \
     maand met het hele team.",
    "Kort: het hielp ons om de [richtlijnen](https://example.org/richtlijnen) zichtbaar \
     bovenaan de pagina te zetten. Het aantal meldingen halveerde in drie maanden.",
    "Goede vraag. Wij zijn begonnen met een kleine proef in één wijk en hebben die \
     na zes weken uitgebreid. De lessen uit de cursus over desinformatie waren \
     daarbij nuttig, vooral het stuk over *prebunking*.",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(data) = flag("--data").map(PathBuf::from) else {
        eprintln!(
            "usage: leerpad-gen-community --data DIR [--threads N] [--replies N] [--members N]"
        );
        return ExitCode::FAILURE;
    };
    let number = |name: &str, default: usize| -> usize {
        flag(name)
            .map(|s| s.parse().unwrap_or_else(|_| panic!("{name} N")))
            .unwrap_or(default)
    };
    let n_threads = number("--threads", 10_000).max(1);
    let n_replies = number("--replies", 2_000);
    let n_members = number("--members", 200).max(2);

    let started = Instant::now();
    std::fs::create_dir_all(&data).expect("the data folder");
    let path = data.join("leerpad.db");
    let _ = std::fs::remove_file(&path);
    let db = Db::open(&path.to_string_lossy()).expect("the database opens");
    let now = chrono::Utc::now().naive_utc();

    // The reader: a member with a one-time sign-in link, made as the load benchmark
    // makes its learners; the other members in bulk.
    let (reader_email, token) = leerpad_bench::load::create_learners(&db, "lid", 1).remove(0);
    let mut c = db.conn().expect("a connection");
    let c: &mut DbConnection = &mut c;
    let reader: i32 = users::table
        .filter(users::email.eq(&reader_email))
        .select(users::id)
        .first(c)
        .expect("the reader");
    let organisation = organisations::create(c, SLUG, "Gemeente Benchmark", now)
        .expect("the organisation is created")
        .expect("a new organisation");
    let space = store::space(c, &SpaceKind::Organisation(organisation.id), now)
        .expect("the organisation's space");

    let bodies: Vec<(&str, String)> = BODIES.iter().map(|b| (*b, learner_html(b))).collect();
    let mut rng = Rng(0x51f1_5eed_c0ff_ee11);
    let year = 365 * 24 * 60;
    // Threads and posts are numbered from 1 in an empty database: the long thread
    // is the first, and so is its opening post.
    let (long_thread, long_first) = (1, 1);
    c.transaction(|c| -> QueryResult<()> {
        let since = now - TimeDelta::days(400);
        let mut members = vec![reader];
        let first_other = insert_members(c, n_members - 1, since)?;
        members.extend(first_other..first_other + n_members as i32 - 1);
        let member_rows: Vec<_> = members
            .iter()
            .enumerate()
            .map(|(i, id)| {
                (
                    memberships::organisation_id.eq(organisation.id),
                    memberships::user_id.eq(*id),
                    memberships::role.eq(if i == 1 { "coordinator" } else { "member" }),
                    memberships::created_at.eq(since),
                    memberships::accepted_at.eq(Some(since)),
                )
            })
            .collect();
        for chunk in member_rows.chunks(ROWS) {
            per_sqlite(c, |s| {
                diesel::insert_into(memberships::table)
                    .values(chunk)
                    .execute(s)
            })?;
        }
        per_sqlite(c, |s| {
            diesel::insert_into(guideline_acceptances::table)
                .values((
                    guideline_acceptances::user_id.eq(reader),
                    guideline_acceptances::space_id.eq(space.id),
                    guideline_acceptances::accepted_at.eq(since),
                ))
                .execute(s)
        })?;

        let mut g = Generated::default();
        // Thread 1 is the long one, replied to last; the others were started
        // over the last year, in order.
        let mut next_post = 1;
        for t in 1..=n_threads as i32 {
            let long = t == 1;
            let created = if long {
                now - TimeDelta::days(300)
            } else {
                now - TimeDelta::days(365) + minutes(year * t as u64 / n_threads as u64)
            };
            let replies = if long {
                n_replies
            } else {
                rng.below(9) as usize
            };
            let first_id = next_post;
            let mut last_post_at = created;
            let mut at = created;
            for r in 0..=replies {
                if r > 0 {
                    at = if long {
                        // Spread over the thread's life, the last a minute ago.
                        created + minutes((300 * 24 * 60 - 1) * r as u64 / n_replies.max(1) as u64)
                    } else {
                        // Never after the long thread's last reply.
                        (at + minutes(1 + rng.below(3 * 24 * 60))).min(now - TimeDelta::minutes(2))
                    };
                }
                let state = match (r, rng.percent()) {
                    (0, _) => "visible",
                    (_, 0) => "deleted",
                    (_, 1) => "hidden",
                    _ => "visible",
                };
                if state == "visible" {
                    last_post_at = at;
                }
                let (body, html) = if state == "deleted" {
                    ("", String::new())
                } else {
                    let (b, h) = &bodies[rng.below(bodies.len() as u64) as usize];
                    (*b, h.clone())
                };
                let edited = state != "deleted" && rng.percent() < 2;
                if edited {
                    g.revisions.push((next_post, at + minutes(30)));
                }
                if state != "deleted" && rng.percent() < 1 {
                    let by = members[rng.below(members.len() as u64) as usize];
                    g.reports.push((next_post, by, at + minutes(60)));
                }
                g.posts.push(PostRow {
                    id: next_post,
                    thread_id: t,
                    author_id: members[rng.below(members.len() as u64) as usize],
                    body,
                    html,
                    state,
                    created_at: at,
                    edited_at: edited.then(|| at + minutes(30)),
                    reviewed_at: (state == "hidden").then(|| at + minutes(90)),
                });
                next_post += 1;
            }
            let last_id = next_post - 1;
            // The reader opened a third of the threads at some point, and the long
            // one up to its middle.
            if long {
                g.reads.push((t, first_id + (n_replies / 2) as i32));
            } else if rng.percent() < 33 {
                let seen = first_id + rng.below((last_id - first_id + 1) as u64) as i32;
                g.reads.push((t, seen));
            }
            g.threads.push(ThreadRow {
                id: t,
                title: TITLES[rng.below(TITLES.len() as u64) as usize],
                author_id: g.posts[g.posts.len() - replies - 1].author_id,
                question: rng.percent() < 10,
                pinned_at: (t > 1 && t <= 4).then_some(created),
                created_at: created,
                last_post_at,
            });
            if g.posts.len() >= ROWS {
                g.flush(c, space.id, reader)?;
            }
        }
        g.flush(c, space.id, reader)?;
        Ok(())
    })
    .expect("the community is generated");
    if let DbConnection::Sqlite(s) = &mut *c {
        // The rows in the database file rather than in the write-ahead log, and the
        // planner's statistics, as on a server that has run for a while.
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(s)
            .expect("checkpoint");
    }
    let total_posts: i64 = posts::table.count().get_result(c).expect("posts");
    let visible_replies = store::count_replies(c, long_thread, long_first, &["visible", "deleted"])
        .expect("the long thread's replies");
    eprintln!(
        "generated {n_members} members, {n_threads} threads and {total_posts} posts \
         (the long thread: {n_replies} replies) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!("token={token}");
    println!("space=/community/organisation-{SLUG}");
    println!(
        "space_pages={}",
        leerpad_core::community::pages(n_threads as i64, THREADS_PER_PAGE)
    );
    println!("thread=/community/threads/{long_thread}");
    println!(
        "thread_pages={}",
        leerpad_core::community::pages(visible_replies, POSTS_PER_PAGE)
    );
    ExitCode::SUCCESS
}

fn minutes(m: u64) -> TimeDelta {
    TimeDelta::minutes(m as i64)
}

/// Inserts `n` verified learners; returns the first one's id (they are numbered in
/// order).
fn insert_members(c: &mut DbConnection, n: usize, created: NaiveDateTime) -> QueryResult<i32> {
    let first: i32 = users::table
        .select(diesel::dsl::max(users::id))
        .first::<Option<i32>>(c)?
        .unwrap_or(0)
        + 1;
    let rows: Vec<_> = (0..n)
        .map(|i| {
            (
                users::id.eq(first + i as i32),
                users::email.eq(format!("lid{}@gemeente-benchmark.example", i + 1)),
                users::display_name.eq(format!("Collega {}", i + 1)),
                users::role.eq("learner"),
                users::language.eq("nl"),
                users::email_verified_at.eq(Some(created)),
                users::created_at.eq(created),
            )
        })
        .collect();
    for chunk in rows.chunks(ROWS) {
        per_sqlite(c, |s| {
            diesel::insert_into(users::table).values(chunk).execute(s)
        })?;
    }
    Ok(first)
}

struct ThreadRow {
    id: i32,
    title: &'static str,
    author_id: i32,
    question: bool,
    pinned_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    last_post_at: NaiveDateTime,
}

struct PostRow {
    id: i32,
    thread_id: i32,
    author_id: i32,
    body: &'static str,
    html: String,
    state: &'static str,
    created_at: NaiveDateTime,
    edited_at: Option<NaiveDateTime>,
    reviewed_at: Option<NaiveDateTime>,
}

/// Rows waiting to be inserted.
#[derive(Default)]
struct Generated {
    threads: Vec<ThreadRow>,
    posts: Vec<PostRow>,
    /// (post, replaced at)
    revisions: Vec<(i32, NaiveDateTime)>,
    /// (post, by, at)
    reports: Vec<(i32, i32, NaiveDateTime)>,
    /// (thread, last post seen) of the reader.
    reads: Vec<(i32, i32)>,
}

impl Generated {
    /// Inserts what was generated so far (threads before their posts).
    fn flush(&mut self, c: &mut DbConnection, space_id: i32, reader: i32) -> QueryResult<()> {
        let threads: Vec<_> = self
            .threads
            .iter()
            .map(|t| {
                (
                    threads::id.eq(t.id),
                    threads::space_id.eq(space_id),
                    threads::title.eq(t.title),
                    threads::author_id.eq(Some(t.author_id)),
                    threads::question.eq(t.question),
                    threads::pinned_at.eq(t.pinned_at),
                    threads::created_at.eq(t.created_at),
                    threads::last_post_at.eq(t.last_post_at),
                )
            })
            .collect();
        for chunk in threads.chunks(ROWS) {
            per_sqlite(c, |s| {
                diesel::insert_into(threads::table).values(chunk).execute(s)
            })?;
        }
        let posts: Vec<_> = self
            .posts
            .iter()
            .map(|p| {
                (
                    posts::id.eq(p.id),
                    posts::thread_id.eq(p.thread_id),
                    posts::author_id.eq(Some(p.author_id)),
                    posts::body.eq(p.body),
                    posts::html.eq(&p.html),
                    posts::state.eq(p.state),
                    posts::created_at.eq(p.created_at),
                    posts::edited_at.eq(p.edited_at),
                    posts::reviewed_at.eq(p.reviewed_at),
                )
            })
            .collect();
        for chunk in posts.chunks(ROWS) {
            per_sqlite(c, |s| {
                diesel::insert_into(posts::table).values(chunk).execute(s)
            })?;
        }
        let revisions: Vec<_> = self
            .revisions
            .iter()
            .map(|(post, at)| {
                (
                    post_revisions::post_id.eq(*post),
                    post_revisions::body.eq("Een eerdere versie van dit bericht."),
                    post_revisions::replaced_at.eq(*at),
                )
            })
            .collect();
        let reports: Vec<_> = self
            .reports
            .iter()
            .map(|(post, by, at)| {
                (
                    post_reports::post_id.eq(*post),
                    post_reports::user_id.eq(*by),
                    post_reports::reason.eq("Dit gaat over een persoon, niet over de zaak."),
                    post_reports::reported_at.eq(*at),
                )
            })
            .collect();
        let reads: Vec<_> = self
            .reads
            .iter()
            .map(|(thread, last)| {
                (
                    thread_reads::user_id.eq(reader),
                    thread_reads::thread_id.eq(*thread),
                    thread_reads::last_post_id.eq(*last),
                )
            })
            .collect();
        // At most one report per post, so never two by one person.
        per_sqlite(c, |s| {
            let mut n = 0;
            if !revisions.is_empty() {
                n += diesel::insert_into(post_revisions::table)
                    .values(&revisions)
                    .execute(s)?;
            }
            if !reports.is_empty() {
                n += diesel::insert_into(post_reports::table)
                    .values(&reports)
                    .execute(s)?;
            }
            if !reads.is_empty() {
                n += diesel::insert_into(thread_reads::table)
                    .values(&reads)
                    .execute(s)?;
            }
            Ok(n)
        })?;
        self.threads.clear();
        self.posts.clear();
        self.revisions.clear();
        self.reports.clear();
        self.reads.clear();
        Ok(())
    }
}

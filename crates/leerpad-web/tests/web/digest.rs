//! Coordinators' weekly digests end to end: the nudge runner decides and queues them
//! after the nudges, the outbox worker sends them to a real SMTP server, and the
//! clock is whatever the test passes to `run` and `run_once`, so weeks pass in a
//! moment. Also: two runners at once (SQLite, and PostgreSQL when
//! `LEERPAD_TEST_DATABASE_URL` is set), the figures against the data, one
//! organisation's learners never in another's digest, who gets none, and the dry run.

use crate::support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use chrono::{FixedOffset, NaiveDateTime, TimeDelta, Weekday};
use diesel::prelude::*;
use leerpad_core::Role;
use leerpad_mail::testing::{ReceivedMessage, SmtpServer};
use leerpad_mail::{Mailer, OutboxWorker, Templates, WorkerConfig};
use leerpad_store::accounts::{self, NewUser};
use leerpad_store::nudges::{self, Preference};
use leerpad_store::organisations::{self, MemberRole, Organisation};
use leerpad_store::schema::email_outbox;
use leerpad_store::{learning, Db};
use leerpad_web::digest::{DigestOutcome, DigestReport, DigestSchedule, SkipReason};
use leerpad_web::nudges::{unsubscribe_token, NudgeReport, NudgeRunner};

const SECRET: &[u8] = b"a test secret that is long enough to sign with";
const BASE: &str = "https://leren.example.be";
const SHOWCASE: &str = "Alles wat het cursusformaat kan";
const ENGLISH: &str = "Working in English";

// --- a database with two published courses ---

/// A published database, with this file's helpers.
struct World(support::PublishedDb);

impl std::ops::Deref for World {
    type Target = support::PublishedDb;
    fn deref(&self) -> &support::PublishedDb {
        &self.0
    }
}

fn course_paths() -> Vec<PathBuf> {
    vec![support::showcase_dir(), support::english_dir()]
}

fn sqlite() -> World {
    World(support::published_sqlite(&course_paths(), day(-60)))
}

fn postgres() -> Option<World> {
    support::published_postgres(&course_paths(), day(-60)).map(World)
}

/// 09:00 UTC on day `n` (day 0 is Monday 2 November 2026, in ISO week 45).
fn day(n: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp(1_793_610_000, 0)
        .unwrap()
        .naive_utc()
        + TimeDelta::days(n)
}

/// Mondays from 07:00 UTC, whatever the time zone of the machine running the tests.
fn schedule() -> DigestSchedule {
    DigestSchedule {
        weekday: Weekday::Mon,
        hour: 7,
        utc_offset: Some(FixedOffset::east_opt(0).unwrap()),
    }
}

impl World {
    fn runner(&self) -> NudgeRunner {
        NudgeRunner::new(self.db.clone(), Templates::builtin(), BASE, SECRET)
            .with_digest_schedule(schedule())
    }

    fn user(&self, name: &str, lang: &str, verified: bool) -> i32 {
        let mut c = self.db.conn().unwrap();
        let first = name.split(' ').next().unwrap().to_lowercase();
        let email = format!("{first}@example.org");
        let new = NewUser {
            email: &email,
            display_name: name,
            password_hash: None,
            role: Role::Learner,
            language: lang,
            verified,
        };
        accounts::create_user(&mut c, &new, day(-50))
            .unwrap()
            .unwrap()
            .id
    }

    fn organisation(&self, slug: &str, name: &str) -> Organisation {
        let mut c = self.db.conn().unwrap();
        organisations::create(&mut c, slug, name, day(-50))
            .unwrap()
            .unwrap()
    }

    fn member(&self, org: &Organisation, user: i32, role: MemberRole) {
        let mut c = self.db.conn().unwrap();
        organisations::add_member(&mut c, org.id, user, role, None, None, day(-50)).unwrap();
    }

    /// A member of `org` enrolled in `course` on day -40.
    fn learner(&self, org: &Organisation, name: &str, course: &str) -> i32 {
        let u = self.user(name, "nl", true);
        self.member(org, u, MemberRole::Member);
        self.enrol(u, course);
        u
    }

    /// Enrols `user` in `course` on day -40, assigned by every organisation they
    /// belong to (reports and digests show only what an organisation assigned).
    fn enrol(&self, user: i32, course: &str) {
        use leerpad_store::schema::memberships;
        let mut c = self.db.conn().unwrap();
        learning::enrol(&mut c, user, course, day(-40)).unwrap();
        let orgs: Vec<i32> = memberships::table
            .filter(memberships::user_id.eq(user))
            .select(memberships::organisation_id)
            .load(&mut *c)
            .unwrap();
        for org in orgs {
            organisations::assign_member(&mut c, org, user, course, None, None, day(-40)).unwrap();
        }
    }

    fn started(&self, user: i32, course: &str) {
        let mut c = self.db.conn().unwrap();
        learning::record_activity(&mut c, user, course, day(-30)).unwrap();
    }

    fn completed(&self, user: i32, course: &str, at: NaiveDateTime) {
        self.started(user, course);
        let mut c = self.db.conn().unwrap();
        learning::record_activity(&mut c, user, course, at).unwrap();
        assert!(learning::mark_completed(&mut c, user, course, at).unwrap());
    }

    /// Gives `user` this deadline for `course` from every organisation they belong
    /// to, as their coordinators would.
    fn deadline(&self, user: i32, course: &str, deadline: NaiveDateTime) {
        use leerpad_store::schema::memberships;
        let mut c = self.db.conn().unwrap();
        let orgs: Vec<i32> = memberships::table
            .filter(memberships::user_id.eq(user))
            .select(memberships::organisation_id)
            .load(&mut *c)
            .unwrap();
        for org in orgs {
            assert!(
                organisations::set_deadline(&mut c, org, user, course, Some(deadline)).unwrap()
            );
        }
    }

    fn preference(&self, user: i32, preference: Preference) {
        let mut c = self.db.conn().unwrap();
        nudges::set_preference(&mut c, user, preference).unwrap();
    }

    fn disable(&self, user: i32) {
        let mut c = self.db.conn().unwrap();
        accounts::set_disabled(&mut c, user, true, day(-1)).unwrap();
    }

    fn digest_keys(&self) -> Vec<String> {
        let mut c = self.db.conn().unwrap();
        email_outbox::table
            .filter(email_outbox::kind.eq("digest"))
            .order(email_outbox::dedupe_key)
            .select(email_outbox::dedupe_key)
            .load(&mut *c)
            .unwrap()
    }
}

/// Two organisations and their people:
///
/// - Stad Gent (`gent`), coordinated by Cora (nl), Fay (en, reminders about
///   deadlines only), Mia (en, also of Aalst), Dirk (disabled), Eva (no
///   notifications) and Gijs (invited, never accepted). Its learners in the showcase
///   course: An (completed 3 days ago), Bert (completed 20 days ago), Chris (in
///   progress), Dana (not started, deadline ahead), Els (invited), Fien (started,
///   2 days overdue), Gust (not started, 5 days overdue); in the English course: An
///   (in progress) and Hugo (1 day overdue).
/// - Gemeente Aalst (`aalst`), coordinated by Bram (en) and Mia: 13 overdue
///   learners in the English course, Aalst-1 … Aalst-13.
/// - Leeg (`leeg`), coordinated by Kim: no enrolments.
struct People {
    gent: Organisation,
    aalst: Organisation,
    leeg: Organisation,
    cora: i32,
    fay: i32,
    mia: i32,
    dirk: i32,
    eva: i32,
    gijs: i32,
    bram: i32,
    kim: i32,
    chris: i32,
}

const GENT_LEARNERS: [&str; 8] = [
    "An Peeters",
    "Bert Claes",
    "Chris Dua",
    "Dana Smet",
    "Els Wouters",
    "Fien Maes",
    "Gust Jacobs",
    "Hugo Mertens",
];

fn people(w: &World) -> People {
    let gent = w.organisation("gent", "Stad Gent");
    let aalst = w.organisation("aalst", "Gemeente Aalst");
    let leeg = w.organisation("leeg", "Leeg");
    let coordinator = |org: &Organisation, name: &str, lang: &str, verified: bool| {
        let u = w.user(name, lang, verified);
        w.member(org, u, MemberRole::Coordinator);
        u
    };
    let cora = coordinator(&gent, "Cora Coördinator", "nl", true);
    let fay = coordinator(&gent, "Fay", "en", true);
    w.preference(fay, Preference::Deadlines);
    let mia = coordinator(&gent, "Mia", "en", true);
    w.member(&aalst, mia, MemberRole::Coordinator);
    let dirk = coordinator(&gent, "Dirk", "nl", true);
    w.disable(dirk);
    let eva = coordinator(&gent, "Eva", "nl", true);
    w.preference(eva, Preference::None);
    let gijs = coordinator(&gent, "Gijs", "nl", false);
    let bram = coordinator(&aalst, "Bram", "en", true);
    let kim = coordinator(&leeg, "Kim", "nl", true);

    let an = w.learner(&gent, "An Peeters", "showcase");
    w.completed(an, "showcase", day(-3));
    w.enrol(an, "english");
    w.started(an, "english");
    let bert = w.learner(&gent, "Bert Claes", "showcase");
    w.completed(bert, "showcase", day(-20));
    let chris = w.learner(&gent, "Chris Dua", "showcase");
    w.started(chris, "showcase");
    let dana = w.learner(&gent, "Dana Smet", "showcase");
    w.deadline(dana, "showcase", day(10));
    let els = w.user("Els Wouters", "nl", false);
    w.member(&gent, els, MemberRole::Member);
    w.enrol(els, "showcase");
    let fien = w.learner(&gent, "Fien Maes", "showcase");
    w.started(fien, "showcase");
    w.deadline(fien, "showcase", day(-2));
    let gust = w.learner(&gent, "Gust Jacobs", "showcase");
    w.deadline(gust, "showcase", day(-5));
    let hugo = w.learner(&gent, "Hugo Mertens", "english");
    w.deadline(hugo, "english", day(-1));

    for i in 1..=13 {
        let u = w.learner(&aalst, &format!("Aalst-{i}"), "english");
        w.deadline(u, "english", day(-20 + i));
    }
    People {
        gent,
        aalst,
        leeg,
        cora,
        fay,
        mia,
        dirk,
        eva,
        gijs,
        bram,
        kim,
        chris,
    }
}

fn worker(server: &SmtpServer) -> OutboxWorker {
    let mailer = Mailer::with_timeout(&server.transport(), Duration::from_secs(5)).unwrap();
    OutboxWorker::new(
        mailer,
        WorkerConfig {
            name: "test".into(),
            batch_size: 50,
            lease: Duration::from_secs(600),
            max_attempts: 10,
        },
    )
}

/// Runs the worker at `now` until nothing more is due.
async fn send_due(worker: &OutboxWorker, db: &Db, now: NaiveDateTime) -> usize {
    let mut sent = 0;
    loop {
        let s = worker.run_once(db, now).await.unwrap();
        sent += s.sent;
        if (s.claimed as i64) < worker.config().batch_size {
            return sent;
        }
    }
}

async fn run(runner: NudgeRunner, now: NaiveDateTime) -> (NudgeRunner, NudgeReport) {
    tokio::task::spawn_blocking(move || {
        let report = runner.run(now, false).unwrap();
        (runner, report)
    })
    .await
    .unwrap()
}

/// (user, organisation slug) of the digests queued.
fn queued(report: &DigestReport) -> BTreeSet<(i32, String)> {
    report
        .digests
        .iter()
        .filter(|d| d.outcome == DigestOutcome::Queued)
        .map(|d| (d.user_id, d.organisation.clone()))
        .collect()
}

fn text(m: &ReceivedMessage) -> String {
    m.text.as_deref().unwrap().replace("\r\n", "\n")
}

fn html(m: &ReceivedMessage) -> String {
    m.html.as_deref().unwrap().replace("\r\n", "\n")
}

/// The digests the SMTP server received (the same runs send the learners nudges).
fn digests(server: &SmtpServer) -> Vec<ReceivedMessage> {
    server
        .messages()
        .into_iter()
        .filter(|m| {
            let subject = m.subject.as_deref().unwrap_or_default();
            subject.starts_with("Weekly digest") || subject.starts_with("Weekoverzicht")
        })
        .collect()
}

/// The messages to `email`, in the order they arrived.
fn to<'a>(received: &'a [ReceivedMessage], email: &str) -> Vec<&'a ReceivedMessage> {
    received.iter().filter(|m| m.rcpt_to[0] == email).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_digest_per_coordinator_and_organisation_each_week() {
    let w = sqlite();
    let p = people(&w);
    let server = SmtpServer::start().await;
    let worker = worker(&server);
    let mut runner = w.runner();

    // Monday 06:00: not yet.
    let (r, report) = run(runner, day(0) - TimeDelta::hours(3)).await;
    runner = r;
    assert!(!report.digests.week.due);
    assert!(report.digests.digests.is_empty(), "{report}");
    assert!(
        report.to_string().ends_with(
            "weekly digests: not due yet; 2026-W45's go out from Monday 2026-11-02 07:00 (UTC+00:00)"
        ),
        "{report}"
    );
    assert!(w.digest_keys().is_empty());

    // Monday 09:00: one for every coordinator who wants one, of every organisation
    // they coordinate that has enrolments.
    let (r, report) = run(runner, day(0)).await;
    runner = r;
    let d = &report.digests;
    assert_eq!(d.week.key, "2026-W45");
    let expected: BTreeSet<(i32, String)> = [
        (p.cora, "gent"),
        (p.fay, "gent"),
        (p.mia, "gent"),
        (p.mia, "aalst"),
        (p.bram, "aalst"),
    ]
    .into_iter()
    .map(|(u, o)| (u, o.to_string()))
    .collect();
    assert_eq!(queued(d), expected, "{report}");
    assert_eq!(d.skipped(SkipReason::Disabled), 1);
    assert_eq!(d.skipped(SkipReason::Unsubscribed), 1);
    assert_eq!(d.skipped(SkipReason::NotActivated), 1);
    assert_eq!(d.skipped(SkipReason::NoEnrolments), 1);
    assert_eq!((d.organisations, d.coordinators), (3, 9));
    for (who, reason) in [
        (p.dirk, SkipReason::Disabled),
        (p.eva, SkipReason::Unsubscribed),
        (p.gijs, SkipReason::NotActivated),
        (p.kim, SkipReason::NoEnrolments),
    ] {
        let line = d.digests.iter().find(|l| l.user_id == who).unwrap();
        assert_eq!(line.outcome, DigestOutcome::Skipped { reason }, "{report}");
    }
    let keys = w.digest_keys();
    assert_eq!(keys.len(), 5);
    assert!(
        keys.contains(&format!("digest:{}:{}:2026-W45", p.cora, p.gent.id)),
        "{keys:?}"
    );
    assert!(
        keys.contains(&format!("digest:{}:{}:2026-W45", p.mia, p.aalst.id)),
        "{keys:?}"
    );

    // Later that day, that week: nothing new, however often it runs.
    for t in [
        day(0) + TimeDelta::minutes(15),
        day(2),
        day(6) + TimeDelta::hours(14),
    ] {
        let (r, report) = run(runner, t).await;
        runner = r;
        assert_eq!(report.digests.queued(), 0, "{report}");
        assert_eq!(report.digests.already_queued(), 5, "{report}");
    }
    send_due(&worker, &w.db, day(0) + TimeDelta::hours(1)).await;
    assert_eq!(digests(&server).len(), 5);
    assert_eq!(w.digest_keys().len(), 5);

    // The next week, another; Chris completed in between, and Cora no longer wants
    // any email.
    w.completed(p.chris, "showcase", day(3));
    w.preference(p.cora, Preference::None);
    let (r, report) = run(runner, day(7) - TimeDelta::hours(3)).await;
    runner = r;
    assert_eq!(report.digests.queued(), 0, "{report}");
    let (_, report) = run(runner, day(7)).await;
    let mut next = expected.clone();
    next.remove(&(p.cora, "gent".to_string()));
    assert_eq!(queued(&report.digests), next, "{report}");
    assert_eq!(report.digests.week.key, "2026-W46");
    assert_eq!(report.digests.skipped(SkipReason::Unsubscribed), 2);
    send_due(&worker, &w.db, day(7) + TimeDelta::hours(1)).await;

    let received = digests(&server);
    assert_eq!(received.len(), 9);
    assert_eq!(w.digest_keys().len(), 9);
    let recipients: BTreeSet<&str> = received.iter().map(|m| m.rcpt_to[0].as_str()).collect();
    for nobody in [
        "dirk@example.org",
        "eva@example.org",
        "gijs@example.org",
        "kim@example.org",
    ] {
        assert!(!recipients.contains(nobody), "{recipients:?}");
    }
    assert_eq!(to(&received, "cora@example.org").len(), 1);
    assert_eq!(to(&received, "mia@example.org").len(), 4);
    assert_eq!(to(&received, "bram@example.org").len(), 2);

    // Unsubscribe headers as in the nudges.
    let ids = [
        ("cora@example.org", p.cora),
        ("fay@example.org", p.fay),
        ("mia@example.org", p.mia),
        ("bram@example.org", p.bram),
    ];
    for m in &received {
        let to = &m.rcpt_to[0];
        let uid = ids.iter().find(|(e, _)| e == to).unwrap().1;
        let link = format!("{BASE}/unsubscribe/{}", unsubscribe_token(SECRET, uid, to));
        assert_eq!(
            m.header("List-Unsubscribe"),
            Some(format!("<{link}>").as_str()),
            "{}",
            m.raw
        );
        assert_eq!(
            m.header("List-Unsubscribe-Post"),
            Some("List-Unsubscribe=One-Click")
        );
        assert!(text(m).contains(&link), "{}", text(m));
    }

    // Fay's second week (English): Chris completed in the past 7 days; An and Bert
    // did so before.
    let fays = to(&received, "fay@example.org");
    assert_eq!(fays.len(), 2);
    assert_eq!(
        fays[1].subject.as_deref(),
        Some("Weekly digest for Stad Gent, week 46")
    );
    let t = text(fays[1]);
    assert!(
        t.contains(&format!(
            "{SHOWCASE}\n- Learners: 7\n- Completed: 3 (1 in the past 7 days)\n- In progress: 0\n"
        )),
        "{t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figures_are_the_organisations_in_the_coordinators_language() {
    let w = sqlite();
    people(&w);
    let server = SmtpServer::start().await;
    let worker = worker(&server);
    let (_, report) = run(w.runner(), day(0)).await;
    assert_eq!(report.digests.queued(), 5, "{report}");
    send_due(&worker, &w.db, day(0)).await;
    let received = digests(&server);
    assert_eq!(received.len(), 5);

    // Cora, in Dutch: Stad Gent's two courses, by title.
    let coras = to(&received, "cora@example.org");
    assert_eq!(coras.len(), 1);
    let m = coras[0];
    assert_eq!(
        m.subject.as_deref(),
        Some("Weekoverzicht van Stad Gent, week 45")
    );
    let t = text(m);
    let expected = format!(
        "Dag Cora Coördinator,

Zo staat Stad Gent ervoor deze week (week 45).

{SHOWCASE}
- Deelnemers: 7
- Afgerond: 2 (waarvan 1 in de afgelopen 7 dagen)
- Bezig: 1
- Niet gestart: 1
- Uitgenodigd: 1
- Te laat: 2
- Percentage afgerond: 28%

{ENGLISH}
- Deelnemers: 2
- Afgerond: 0 (waarvan 0 in de afgelopen 7 dagen)
- Bezig: 1
- Niet gestart: 0
- Uitgenodigd: 0
- Te laat: 1
- Percentage afgerond: 0%

Te laat (3):
- Gust Jacobs, {SHOWCASE}, deadline 28 oktober 2026
- Fien Maes, {SHOWCASE}, deadline 31 oktober 2026
- Hugo Mertens, {ENGLISH}, deadline 1 november 2026

Iedereen die te laat is:
{BASE}/organisations/gent?status=overdue

Het dashboard, met alle deelnemers:
{BASE}/organisations/gent

Je krijgt dit weekoverzicht omdat je Stad Gent coördineert.
Kies welke e-mails je krijgt: {BASE}/me/notifications
"
    );
    assert!(t.starts_with(&expected), "{t}");
    assert!(
        t.contains("Geen herinneringen of weekoverzichten meer: "),
        "{t}"
    );
    assert!(!t.contains("en nog"), "{t}");
    assert!(t.ends_with("Deze e-mail komt van Leerpad.\n"), "{t}");
    let h = html(m);
    assert!(h.contains(r#"<html lang="nl">"#), "{h}");
    assert!(
        h.contains(r#"<th scope="row" style="text-align:left; font-weight:normal; padding:2px 16px 2px 0;">Deelnemers</th><td style="text-align:right;">7</td>"#),
        "{h}"
    );
    assert!(h.contains("<strong>28%</strong>"), "{h}");
    assert!(
        h.contains(&format!(
            "<li>Gust Jacobs, {SHOWCASE}, deadline 28 oktober 2026</li>"
        )),
        "{h}"
    );
    assert!(
        h.contains(&format!(
            r#"href="{BASE}/organisations/gent?status=overdue""#
        )),
        "{h}"
    );
    assert!(
        h.contains(&format!(r#"href="{BASE}/organisations/gent""#)),
        "{h}"
    );
    assert!(
        h.contains(&format!(r#"href="{BASE}/me/notifications""#)),
        "{h}"
    );
    // No one of Aalst in Gent's digest.
    for part in [&t, &h] {
        assert!(!part.contains("Aalst-"), "{part}");
    }

    // Bram, in English: only Aalst; ten overdue learners by deadline, and 3 more.
    let brams = to(&received, "bram@example.org");
    assert_eq!(brams.len(), 1);
    let m = brams[0];
    assert_eq!(
        m.subject.as_deref(),
        Some("Weekly digest for Gemeente Aalst, week 45")
    );
    let t = text(m);
    assert!(
        t.starts_with(
            "Hello Bram,\n\nThis is how Gemeente Aalst is doing this week (week 45).\n\n"
        ),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "{ENGLISH}\n- Learners: 13\n- Completed: 0 (0 in the past 7 days)\n- In progress: 0\n- Not started: 0\n- Invited: 0\n- Overdue: 13\n- Completion rate: 0%\n"
        )),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "Overdue (13):\n- Aalst-1, {ENGLISH}, deadline 14 October 2026\n- Aalst-2, "
        )),
        "{t}"
    );
    assert!(
        t.contains(&format!(
            "- Aalst-10, {ENGLISH}, deadline 23 October 2026\nand 3 more\n"
        )),
        "{t}"
    );
    assert!(!t.contains("Aalst-11"), "{t}");
    assert!(t.contains(&format!("{BASE}/organisations/aalst?status=overdue")));
    assert!(!t.contains(SHOWCASE), "{t}");
    let h = html(m);
    assert!(h.contains(r#"<html lang="en">"#), "{h}");
    assert!(h.contains("and 3 more"), "{h}");
    for part in [&t, &h] {
        for name in GENT_LEARNERS {
            assert!(!part.contains(name), "{name} in Aalst's digest: {part}");
        }
        assert!(!part.contains("Stad Gent"), "{part}");
    }

    // Mia coordinates both: two digests, each of its own organisation, in English.
    let mias = to(&received, "mia@example.org");
    assert_eq!(mias.len(), 2);
    let mut subjects: Vec<_> = mias.iter().map(|m| m.subject.clone().unwrap()).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "Weekly digest for Gemeente Aalst, week 45",
            "Weekly digest for Stad Gent, week 45"
        ]
    );
    for m in mias {
        let t = text(m);
        if m.subject.as_deref().unwrap().contains("Stad Gent") {
            assert!(t.contains("Overdue (3):\n- Gust Jacobs"), "{t}");
            assert!(t.contains("deadline 28 October 2026"), "{t}");
            assert!(!t.contains("Aalst-"), "{t}");
        } else {
            assert!(!GENT_LEARNERS.iter().any(|n| t.contains(n)), "{t}");
        }
    }
}

/// Two runners at the same moment, on separate threads and connections: every
/// digest is queued by exactly one of them.
fn two_runners_at_once(w: &World) {
    let p = people(w);
    let runners = [Arc::new(w.runner()), Arc::new(w.runner())];
    for (n, t) in [
        (5, day(0)),
        (5, day(0) + TimeDelta::minutes(1)),
        (10, day(7)),
    ] {
        let barrier = Arc::new(Barrier::new(2));
        let reports: Vec<NudgeReport> = std::thread::scope(|s| {
            let handles: Vec<_> = runners
                .iter()
                .map(|r| {
                    let (r, barrier) = (r.clone(), barrier.clone());
                    s.spawn(move || {
                        barrier.wait();
                        r.run(t, false).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut all: Vec<(i32, String)> = reports.iter().flat_map(|r| queued(&r.digests)).collect();
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), count, "{}: a digest was queued twice", w.name);
        for r in &reports {
            assert_eq!(
                r.digests.queued() + r.digests.already_queued(),
                5,
                "{}: {r}",
                w.name
            );
        }
        assert_eq!(w.digest_keys().len(), n, "{}", w.name);
    }
    let keys = w.digest_keys();
    assert!(keys.contains(&format!("digest:{}:{}:2026-W46", p.bram, p.aalst.id)));
    let leeg = p.leeg.id.to_string();
    assert!(
        !keys
            .iter()
            .any(|k| k.split(':').nth(2) == Some(leeg.as_str())),
        "{keys:?}"
    );
}

#[test]
fn two_runners_at_once_queue_every_digest_once_on_sqlite() {
    two_runners_at_once(&sqlite());
}

#[test]
fn two_runners_at_once_queue_every_digest_once_on_postgres() {
    match postgres() {
        Some(w) => two_runners_at_once(&w),
        None => eprintln!("LEERPAD_TEST_DATABASE_URL is not set: skipped"),
    }
}

#[test]
fn a_dry_run_says_who_would_get_a_digest_and_why_not() {
    let w = sqlite();
    let p = people(&w);
    let report = w.runner().run(day(1), true).unwrap();
    let d = &report.digests;
    assert_eq!(d.would_queue(), 5, "{report}");
    assert_eq!(d.queued(), 0);
    assert!(w.digest_keys().is_empty());
    let text = report.to_string();
    for line in [
        "would queue: digest to cora@example.org (gent, 2026-W45): 9 enrolment(s) in 2 course(s), 3 overdue",
        "would queue: digest to bram@example.org (aalst, 2026-W45): 13 enrolment(s) in 1 course(s), 13 overdue",
        "skipped: digest to dirk@example.org (gent, 2026-W45): the account is disabled",
        "skipped: digest to eva@example.org (gent, 2026-W45): notification preference `none`",
        "skipped: digest to gijs@example.org (gent, 2026-W45): has not accepted the invitation yet",
        "skipped: digest to kim@example.org (leeg, 2026-W45): the organisation has no enrolments",
        "dry run: 5 weekly digest(s) due for 2026-W45, nothing queued; 9 coordinator(s) of 3 organisation(s); skipped: 1 disabled, 1 unsubscribed, 1 not activated, 1 without enrolments; due from Monday 2026-11-02 07:00 (UTC+00:00)",
    ] {
        assert!(text.contains(line), "{line}\n---\n{text}");
    }
    // The nudges' report comes first, as before.
    let nudges_end = text.find("nudge(s) due, nothing queued").unwrap();
    assert!(
        nudges_end < text.find("weekly digest(s) due").unwrap(),
        "{text}"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["digests"]["week"]["key"], "2026-W45");
    let eva = json["digests"]["digests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["user_id"] == p.eva)
        .unwrap();
    assert_eq!(eva["outcome"], "skipped");
    assert_eq!(eva["reason"], "unsubscribed");

    // A real run queues them; a dry run afterwards says they went.
    assert_eq!(w.runner().run(day(1), false).unwrap().digests.queued(), 5);
    let again = w.runner().run(day(2), true).unwrap();
    assert_eq!(again.digests.already_queued(), 5, "{again}");
    assert!(again.to_string().contains(
        "already queued: digest to fay@example.org (gent, 2026-W45): queued earlier this week"
    ));
}

#[test]
fn the_schedule_comes_from_the_configuration() {
    let mut config = leerpad_web::Config::default();
    config.jobs.digest_weekday = "thursday".into();
    config.jobs.digest_hour = 18;
    let s = DigestSchedule::from_config(&config).unwrap();
    assert_eq!((s.weekday, s.hour, s.utc_offset), (Weekday::Thu, 18, None));
    config.jobs.digest_weekday = "donderdag".into();
    let e = DigestSchedule::from_config(&config)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`digest_weekday`"), "{e}");
}

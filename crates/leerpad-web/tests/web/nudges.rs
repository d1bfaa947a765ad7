//! Email nudges end to end: the runner decides and queues, the outbox worker sends to
//! a real SMTP server, and the clock is whatever the test passes to `run` and
//! `run_once`, so weeks pass in a moment. Also: an SMTP outage, two runners at once
//! (SQLite, and PostgreSQL when `LEERPAD_TEST_DATABASE_URL` is set), the one-click
//! unsubscribe link and the preferences page.

use crate::support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use leerpad_core::Role;
use leerpad_mail::testing::SmtpServer;
use leerpad_mail::{Mailer, OutboxWorker, Templates, WorkerConfig};
use leerpad_store::accounts::{self, NewUser};
use leerpad_store::nudges::{self, Preference};
use leerpad_store::schema::{courses, email_outbox, enrolments, nudge_log};
use leerpad_store::{learning, outbox, Db};
use leerpad_web::nudges::{unsubscribe_token, NudgeReport, NudgeRunner, Outcome};
use support::{last_email, link_in, test_app, Browser, TestApp};

const SECRET: &[u8] = b"a test secret that is long enough to sign with";
const BASE: &str = "https://leren.example.be";

// --- a database with the showcase course (hidden, every kind of nudge) ---

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
    World(support::published_sqlite(&course_paths(), day(-30)))
}

fn postgres() -> Option<World> {
    support::published_postgres(&course_paths(), day(-30)).map(World)
}

/// 09:00 UTC on day `n` (day 0 is Monday 2 November 2026).
fn day(n: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp(1_793_610_000, 0)
        .unwrap()
        .naive_utc()
        + TimeDelta::days(n)
}

impl World {
    fn runner(&self) -> NudgeRunner {
        NudgeRunner::new(self.db.clone(), Templates::builtin(), BASE, SECRET)
    }

    fn user(&self, email: &str, lang: &str) -> i32 {
        let mut c = self.db.conn().unwrap();
        let new = NewUser {
            email,
            display_name: email.split('@').next().unwrap(),
            password_hash: None,
            role: Role::Learner,
            language: lang,
            verified: true,
        };
        accounts::create_user(&mut c, &new, day(-10))
            .unwrap()
            .unwrap()
            .id
    }

    fn enrol(&self, user: i32, course: &str, at: NaiveDateTime) {
        let mut c = self.db.conn().unwrap();
        learning::enrol(&mut c, user, course, at).unwrap();
    }

    fn deadline(&self, user: i32, course: &str, deadline: Option<NaiveDateTime>) {
        let mut c = self.db.conn().unwrap();
        diesel::update(
            enrolments::table
                .filter(enrolments::user_id.eq(user))
                .filter(enrolments::course_id.eq(course)),
        )
        .set(enrolments::deadline.eq(deadline))
        .execute(&mut *c)
        .unwrap();
    }

    fn active(&self, user: i32, course: &str, at: NaiveDateTime) {
        let mut c = self.db.conn().unwrap();
        learning::record_activity(&mut c, user, course, at).unwrap();
    }

    fn outbox_keys(&self) -> Vec<String> {
        let mut c = self.db.conn().unwrap();
        email_outbox::table
            .order(email_outbox::dedupe_key)
            .select(email_outbox::dedupe_key)
            .load(&mut *c)
            .unwrap()
    }

    fn log_count(&self) -> i64 {
        let mut c = self.db.conn().unwrap();
        nudge_log::table.count().get_result(&mut *c).unwrap()
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

fn queued(report: &NudgeReport) -> Vec<(String, String, String)> {
    report
        .nudges
        .iter()
        .filter(|n| n.outcome == Outcome::Queued)
        .map(|n| (n.email.clone(), n.template.to_string(), n.period.clone()))
        .collect()
}

async fn run(runner: NudgeRunner, now: NaiveDateTime) -> (NudgeRunner, NudgeReport) {
    tokio::task::spawn_blocking(move || {
        let report = runner.run(now, false).unwrap();
        (runner, report)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_people_get_the_right_nudges_once_as_the_days_pass() {
    let w = sqlite();
    let server = SmtpServer::start().await;
    let worker = worker(&server);

    // Never starts: `not_started` after 3 days, nothing after that.
    let ann = w.user("ann@example.org", "nl");
    w.enrol(ann, "showcase", day(0));
    // Does the first lesson on day 1, then nothing: `inactive` on days 8, 15, 22.
    let bob = w.user("bob@example.org", "en");
    w.enrol(bob, "showcase", day(0));
    {
        let mut c = w.db.conn().unwrap();
        learning::set_lesson_done(&mut c, bob, "showcase", "welkom", true, day(1)).unwrap();
    }
    w.active(bob, "showcase", day(1));
    // Busy until day 10, deadline on day 12, moved to day 20 on day 13: each
    // deadline gets its own `deadline_approaching` and `deadline_passed`.
    let cas = w.user("cas@example.org", "nl");
    w.enrol(cas, "showcase", day(0));
    w.deadline(cas, "showcase", Some(day(12)));
    // Disabled: nothing.
    let dirk = w.user("dirk@example.org", "nl");
    w.enrol(dirk, "showcase", day(0));
    {
        let mut c = w.db.conn().unwrap();
        accounts::set_disabled(&mut c, dirk, true, day(0)).unwrap();
    }
    // Wants no reminders: nothing.
    let eva = w.user("eva@example.org", "nl");
    w.enrol(eva, "showcase", day(0));
    {
        let mut c = w.db.conn().unwrap();
        nudges::set_preference(&mut c, eva, Preference::None).unwrap();
    }
    // Only deadlines: no `not_started`, but both deadline nudges.
    let fien = w.user("fien@example.org", "en");
    w.enrol(fien, "showcase", day(0));
    w.deadline(fien, "showcase", Some(day(5)));
    {
        let mut c = w.db.conn().unwrap();
        nudges::set_preference(&mut c, fien, Preference::Deadlines).unwrap();
    }
    // Completes on day 2: congratulations, once.
    let gert = w.user("gert@example.org", "nl");
    w.enrol(gert, "showcase", day(0));
    w.active(gert, "showcase", day(1));
    // Enrolled in a course that is archived on day 1: nothing.
    let hanna = w.user("hanna@example.org", "en");
    w.enrol(hanna, "english", day(0));
    {
        let mut c = w.db.conn().unwrap();
        diesel::update(courses::table.find("english"))
            .set(courses::archived_at.eq(Some(day(1))))
            .execute(&mut *c)
            .unwrap();
    }

    let mut runner = w.runner();
    let mut schedule: Vec<(i64, String, String)> = Vec::new();
    for d in 0..=30 {
        if d <= 10 {
            w.active(cas, "showcase", day(d) - TimeDelta::hours(1));
        }
        if d == 2 {
            let mut c = w.db.conn().unwrap();
            learning::mark_completed(&mut c, gert, "showcase", day(2) - TimeDelta::hours(1))
                .unwrap();
        }
        if d == 13 {
            w.deadline(cas, "showcase", Some(day(20)));
        }
        let (r, report) = run(runner, day(d)).await;
        runner = r;
        assert_eq!(report.failed(), 0, "{report}");
        for (email, template, _) in queued(&report) {
            schedule.push((d, email, template));
        }
        // The same day again: nothing new.
        let (r, again) = run(runner, day(d) + TimeDelta::minutes(15)).await;
        runner = r;
        assert_eq!(again.queued(), 0, "day {d}: {again}");
        send_due(&worker, &w.db, day(d) + TimeDelta::minutes(20)).await;
    }

    let s = |d: i64, who: &str, t: &str| (d, format!("{who}@example.org"), format!("nudge-{t}"));
    let mut expected = vec![
        s(0, "fien", "deadline-approaching"),
        s(2, "gert", "completed"),
        s(3, "ann", "not-started"),
        s(5, "cas", "deadline-approaching"),
        s(5, "fien", "deadline-passed"),
        s(8, "bob", "inactive"),
        s(12, "cas", "deadline-passed"),
        s(13, "cas", "deadline-approaching"),
        s(15, "bob", "inactive"),
        s(17, "cas", "inactive"),
        s(20, "cas", "deadline-passed"),
        s(22, "bob", "inactive"),
        s(24, "cas", "inactive"),
    ];
    expected.sort();
    schedule.sort();
    assert_eq!(schedule, expected);

    // Every nudge arrived once, with its unsubscribe headers.
    let received = server.messages();
    assert_eq!(received.len(), expected.len());
    let keys = w.outbox_keys();
    assert_eq!(keys.iter().collect::<BTreeSet<_>>().len(), expected.len());
    assert_eq!(w.log_count(), expected.len() as i64);
    assert!(
        keys.contains(&format!("nudge:{bob}:showcase:inactive-7:3")),
        "{keys:?}"
    );
    assert!(
        keys.contains(&format!("nudge:{ann}:showcase:not-started-3:once")),
        "{keys:?}"
    );
    let ids = [
        ("ann@example.org", ann),
        ("bob@example.org", bob),
        ("cas@example.org", cas),
        ("fien@example.org", fien),
        ("gert@example.org", gert),
    ];
    for m in &received {
        let to = &m.rcpt_to[0];
        let uid = ids.iter().find(|(e, _)| e == to).unwrap().1;
        let token = unsubscribe_token(SECRET, uid, to);
        assert_eq!(
            m.header("List-Unsubscribe"),
            Some(format!("<{BASE}/unsubscribe/{token}>").as_str()),
            "{}",
            m.raw
        );
        assert_eq!(
            m.header("List-Unsubscribe-Post"),
            Some("List-Unsubscribe=One-Click")
        );
        // The same link is in the text and the HTML the learner reads.
        let link = format!("{BASE}/unsubscribe/{token}");
        assert!(
            m.text.as_deref().unwrap_or_default().contains(&link),
            "{}",
            m.raw
        );
        assert!(
            m.html.as_deref().unwrap_or_default().contains(&link),
            "{}",
            m.raw
        );
    }

    // Bob's reminders are in English, show his progress and lead to the next item.
    let bobs: Vec<_> = received
        .iter()
        .filter(|m| m.rcpt_to[0] == "bob@example.org")
        .collect();
    assert_eq!(bobs.len(), 3);
    let text = &bobs[0].text.as_deref().unwrap().replace("\r\n", "\n");
    assert_eq!(
        bobs[0].subject.as_deref(),
        Some("Continue ‘Alles wat het cursusformaat kan’ where you left off")
    );
    assert!(
        text.contains("You have not worked on ‘Alles wat het cursusformaat kan’ for 7 days."),
        "{text}"
    );
    assert!(
        text.contains("Your progress: 25% (1 of 4 parts done)."),
        "{text}"
    );
    assert!(
        text.contains(&format!("\n{BASE}/courses/showcase/verder\n")),
        "{text}"
    );
    assert!(text.contains(&format!("{BASE}/me/notifications")), "{text}");
    assert!(bobs[2].text.as_deref().unwrap().contains("for 21 days"));

    // Gert's congratulations link his certificate; Cas's deadline is in words.
    let gerts = received
        .iter()
        .find(|m| m.rcpt_to[0] == "gert@example.org")
        .unwrap();
    let text = &gerts.text.as_deref().unwrap().replace("\r\n", "\n");
    assert!(
        text.contains(&format!("\n{BASE}/courses/showcase/certificate\n")),
        "{text}"
    );
    assert!(
        text.starts_with(
            "Dag gert,\n\nProficiat: je hebt ‘Alles wat het cursusformaat kan’ afgerond."
        ),
        "{text}"
    );
    assert!(text.contains("Je voortgang: 100%.\n"), "{text}");
    let cas_approaching: Vec<_> = received
        .iter()
        .filter(|m| m.rcpt_to[0] == "cas@example.org")
        .filter_map(|m| m.subject.clone())
        .collect();
    assert!(
        cas_approaching.contains(&"Nog 7 dagen voor ‘Alles wat het cursusformaat kan’".to_string()),
        "{cas_approaching:?}"
    );
    let cas_texts: Vec<String> = received
        .iter()
        .filter(|m| m.rcpt_to[0] == "cas@example.org")
        .filter_map(|m| m.text.clone())
        .collect();
    assert!(
        cas_texts
            .iter()
            .any(|t| t.contains("tegen 14 november 2026")),
        "{cas_texts:?}"
    );
    assert!(
        cas_texts.iter().any(|t| t.contains("was 22 november 2026")),
        "{cas_texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nudge_due_during_an_smtp_outage_arrives_once_afterwards() {
    let w = sqlite();
    let server = SmtpServer::start().await;
    let worker = worker(&server);
    let ann = w.user("ann@example.org", "nl");
    w.enrol(ann, "showcase", day(0));

    server.stop().await;
    let (runner, report) = run(w.runner(), day(3)).await;
    assert_eq!(report.queued(), 1, "{report}");
    let s = worker.run_once(&w.db, day(3)).await.unwrap();
    assert_eq!((s.claimed, s.sent, s.retried), (1, 0, 1), "{s}");
    assert!(server.messages().is_empty());

    server.restart().await;
    // The runner does not queue it again; the worker waits for the backoff.
    let (runner, report) = run(runner, day(3) + TimeDelta::seconds(30)).await;
    assert_eq!(report.nudges.len(), 0, "{report}");
    let s = worker
        .run_once(&w.db, day(3) + TimeDelta::seconds(30))
        .await
        .unwrap();
    assert_eq!(s.claimed, 0);
    assert_eq!(
        send_due(&worker, &w.db, day(3) + TimeDelta::minutes(2)).await,
        1
    );
    assert_eq!(
        send_due(&worker, &w.db, day(3) + TimeDelta::hours(2)).await,
        0
    );
    let (_, report) = run(runner, day(4)).await;
    assert_eq!(report.nudges.len(), 0, "{report}");
    assert_eq!(send_due(&worker, &w.db, day(5)).await, 0);

    let got = server.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_to, ["ann@example.org"]);
    assert_eq!(
        got[0].subject.as_deref(),
        Some("‘Alles wat het cursusformaat kan’ wacht op je")
    );
    let mut c = w.db.conn().unwrap();
    let entries = outbox::list(&mut c, 10).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].status, outbox::OutboxStatus::Sent);
    assert_eq!(entries[0].attempts, 2);
}

/// Two runners at the same moment over the same learners, on separate threads and
/// connections, for a few days of nudges.
fn two_runners_at_once(w: &World) {
    let learners = 400;
    for i in 0..learners {
        let u = w.user(&format!("learner{i}@example.org"), "nl");
        w.enrol(u, "showcase", day(0));
        if i % 2 == 0 {
            w.active(u, "showcase", day(0));
        }
        if i % 3 == 0 {
            w.deadline(u, "showcase", Some(day(9)));
        }
    }
    let runners = [Arc::new(w.runner()), Arc::new(w.runner())];
    let mut expected = 0;
    for d in [3, 7, 9] {
        let barrier = Arc::new(Barrier::new(2));
        let reports: Vec<NudgeReport> = std::thread::scope(|s| {
            let handles: Vec<_> = runners
                .iter()
                .map(|r| {
                    let (r, barrier) = (r.clone(), barrier.clone());
                    s.spawn(move || {
                        barrier.wait();
                        r.run(day(d), false).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // Each due nudge is queued by exactly one of them.
        let mut queued: Vec<(i32, String, String)> = reports
            .iter()
            .flat_map(|r| r.nudges.iter())
            .filter(|n| n.outcome == Outcome::Queued)
            .map(|n| (n.user_id, n.rule_id.clone(), n.period.clone()))
            .collect();
        let n = queued.len();
        queued.sort();
        queued.dedup();
        assert_eq!(queued.len(), n, "{}: a nudge was queued twice", w.name);
        eprintln!(
            "{} day {d}: queued {:?}, already {:?}",
            w.name,
            reports.iter().map(|r| r.queued()).collect::<Vec<_>>(),
            reports
                .iter()
                .map(|r| r.already_queued())
                .collect::<Vec<_>>()
        );
        let due = reports.iter().map(|r| r.nudges.len()).max().unwrap();
        assert_eq!(n, due, "{}, day {d}", w.name);
        assert!(n > 0, "{}, day {d}", w.name);
        expected += n;
        assert_eq!(w.outbox_keys().len(), expected, "{}, day {d}", w.name);
        assert_eq!(w.log_count(), expected as i64, "{}, day {d}", w.name);
    }
    // Day 3: 400 - 200 active = 200 not started ... plus deadline reminders.
    assert!(expected > learners, "{}: {expected}", w.name);
}

#[test]
fn two_runners_at_once_queue_every_nudge_once_on_sqlite() {
    two_runners_at_once(&sqlite());
}

#[test]
fn two_runners_at_once_queue_every_nudge_once_on_postgres() {
    match postgres() {
        Some(w) => two_runners_at_once(&w),
        None => eprintln!("LEERPAD_TEST_DATABASE_URL is not set: skipped"),
    }
}

#[test]
fn a_dry_run_queues_nothing_and_says_why() {
    let w = sqlite();
    let ann = w.user("ann@example.org", "nl");
    w.enrol(ann, "showcase", day(0));
    let report = w.runner().run(day(3), true).unwrap();
    assert_eq!(report.nudges.len(), 1);
    let n = &report.nudges[0];
    assert_eq!(n.outcome, Outcome::WouldQueue);
    assert_eq!((n.rule, n.template), ("not_started", "nudge-not-started"));
    assert_eq!(n.why, "enrolled 3 days ago and nothing opened yet");
    let text = report.to_string();
    assert!(
        text.starts_with("would queue: nudge-not-started to ann@example.org (showcase, rule not-started-3, once): enrolled 3 days ago"),
        "{text}"
    );
    assert!(
        text.contains("dry run: 1 nudge(s) due, nothing queued"),
        "{text}"
    );
    assert!(w.outbox_keys().is_empty());
    assert_eq!(w.log_count(), 0);
    // The real run queues it.
    assert_eq!(w.runner().run(day(3), false).unwrap().queued(), 1);
}

#[test]
fn a_run_queues_at_most_its_maximum_the_most_urgent_first() {
    let w = sqlite();
    // Three never started (not_started is due), two with a deadline in 3 days.
    let mut users = Vec::new();
    for (i, deadline) in [None, Some(day(6)), None, Some(day(6)), None]
        .into_iter()
        .enumerate()
    {
        let u = w.user(&format!("l{i}@example.org"), "nl");
        w.enrol(u, "showcase", day(0));
        w.active(u, "showcase", day(0));
        if deadline.is_none() {
            // Never started after all: only not_started is due.
            let mut c = w.db.conn().unwrap();
            diesel::update(enrolments::table.filter(enrolments::user_id.eq(u)))
                .set((
                    enrolments::started_at.eq(None::<NaiveDateTime>),
                    enrolments::last_activity_at.eq(None::<NaiveDateTime>),
                ))
                .execute(&mut *c)
                .unwrap();
        }
        w.deadline(u, "showcase", deadline);
        users.push(u);
    }
    let runner = w.runner().with_max_per_run(2);
    let first = runner.run(day(3), false).unwrap();
    let rules = |r: &NudgeReport| {
        r.nudges
            .iter()
            .map(|n| (n.user_id, n.rule))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rules(&first),
        [
            (users[1], "deadline_approaching"),
            (users[3], "deadline_approaching")
        ]
    );
    assert_eq!((first.queued(), first.deferred), (2, 3));
    assert!(first
        .to_string()
        .contains("3 more due but left for the next run"));
    let second = runner.run(day(3), false).unwrap();
    assert_eq!(
        rules(&second),
        [(users[0], "not_started"), (users[2], "not_started")]
    );
    assert_eq!(second.deferred, 1);
    let third = runner.run(day(3), false).unwrap();
    assert_eq!(rules(&third), [(users[4], "not_started")]);
    assert_eq!((third.queued(), third.deferred), (1, 0));
    assert_eq!(runner.run(day(3), false).unwrap().nudges.len(), 0);
    assert_eq!(w.outbox_keys().len(), 5);
}

// --- over HTTP ---

const PASSWORD: &str = "een lange zin als wachtwoord";

async fn signed_in<S, B>(app: &TestApp<S>, email: &str) -> Browser
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let mut b = Browser::default();
    b.submit(
        &app.service,
        "/auth/register",
        "/auth/register",
        &[
            ("name", "An Peeters"),
            ("email", email),
            ("password", PASSWORD),
        ],
    )
    .await
    .assert_status(303);
    let (_, msg) = last_email(&app.state, email).unwrap();
    support::confirm_link(app, &mut b, &link_in(&msg.text), "/auth/verify").await;
    b
}

fn preference_of(state: &leerpad_web::AppState, email: &str) -> Preference {
    let mut c = state.db.conn().unwrap();
    let u = accounts::user_by_email(&mut c, email).unwrap().unwrap();
    nudges::preference(&mut c, u.id).unwrap().unwrap()
}

#[actix_web::test]
async fn one_click_unsubscribe_from_the_link_in_a_nudge() {
    let app = test_app(|_| {}).await;
    let now = chrono::Utc::now().naive_utc();
    let (ann, bo) = {
        let mut c = app.state.db.conn().unwrap();
        let mut make = |email: &str| {
            let u = accounts::create_user(
                &mut c,
                &NewUser {
                    email,
                    display_name: "Ann",
                    password_hash: None,
                    role: Role::Learner,
                    language: "nl",
                    verified: true,
                },
                now,
            )
            .unwrap()
            .unwrap();
            learning::enrol(&mut c, u.id, "showcase", now).unwrap();
            u.id
        };
        (make("ann@example.org"), make("bo@example.org"))
    };
    let runner = NudgeRunner::from_config(&app.state.config, app.state.db.clone()).unwrap();
    let report = runner.run(now + TimeDelta::days(4), false).unwrap();
    assert_eq!(report.queued(), 2, "{report}");

    let (_, msg) = last_email(&app.state, "ann@example.org").unwrap();
    let header = |name: &str| {
        msg.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(
        header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    let link = header("List-Unsubscribe");
    let path = link
        .strip_prefix("<http://127.0.0.1:8080")
        .and_then(|l| l.strip_suffix('>'))
        .unwrap()
        .to_string();
    assert!(path.starts_with(&format!("/unsubscribe/{ann}.")), "{path}");
    // The same link is in the email's text.
    assert!(
        msg.text.contains(&format!("http://127.0.0.1:8080{path}\n")),
        "{}",
        msg.text
    );

    // The page behind the link: no sign-in needed, a button that unsubscribes.
    let mut mail_client = Browser::default();
    let page = mail_client.get(&app.service, &path).await;
    page.assert_status(200);
    assert!(
        page.body.contains(&format!(r#"action="{path}""#)),
        "{}",
        page.body
    );
    assert!(page.body.contains("ann@example.org"));
    assert!(
        page.body.contains("Schrijf me uit voor alle herinneringen"),
        "{}",
        page.body
    );
    assert_eq!(
        page.headers
            .get("referrer-policy")
            .unwrap()
            .to_str()
            .unwrap(),
        "no-referrer"
    );

    // A forged token: another user's id with Ann's signature, a changed signature,
    // garbage; all refused, nothing changed.
    let sig = path.split_once('.').unwrap().1;
    let mut altered = sig.to_string();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    for forged in [
        format!("/unsubscribe/{bo}.{sig}"),
        format!("/unsubscribe/{ann}.{altered}"),
        format!("/unsubscribe/{ann}"),
        "/unsubscribe/x.y".to_string(),
        format!("/unsubscribe/999999.{sig}"),
    ] {
        let mut b = Browser::default();
        let res = b
            .post(&app.service, &forged, &[("List-Unsubscribe", "One-Click")])
            .await;
        assert!(res.status.is_client_error(), "{forged}: {}", res.status);
        let res = b.get(&app.service, &forged).await;
        assert!(res.status.is_client_error(), "{forged}: {}", res.status);
    }
    assert_eq!(
        preference_of(&app.state, "ann@example.org"),
        Preference::All
    );

    // RFC 8058: a POST with `List-Unsubscribe=One-Click`, no cookies, no CSRF token.
    let mut mail_client = Browser::default();
    let done = mail_client
        .post(&app.service, &path, &[("List-Unsubscribe", "One-Click")])
        .await;
    done.assert_status(200);
    assert!(
        done.body.contains("Je krijgt geen herinneringen."),
        "{}",
        done.body
    );
    assert_eq!(
        preference_of(&app.state, "ann@example.org"),
        Preference::None
    );
    assert_eq!(preference_of(&app.state, "bo@example.org"), Preference::All);

    // The page's own form can choose deadlines only; a multipart one-click is none.
    let mut b = Browser::default();
    b.post(&app.service, &path, &[("preference", "deadlines")])
        .await
        .assert_status(200);
    assert_eq!(
        preference_of(&app.state, "ann@example.org"),
        Preference::Deadlines
    );
    let res = actix_web::test::call_service(
        &app.service,
        actix_web::test::TestRequest::post()
            .uri(&path)
            .insert_header((
                "Content-Type",
                "multipart/form-data; boundary=XyZ",
            ))
            .set_payload(
                "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n",
            )
            .to_request(),
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        preference_of(&app.state, "ann@example.org"),
        Preference::None
    );

    // Unsubscribed: no more nudges for Ann, Bo still gets hers.
    {
        let mut c = app.state.db.conn().unwrap();
        learning::record_activity(&mut c, ann, "showcase", now + TimeDelta::days(5)).unwrap();
        learning::record_activity(&mut c, bo, "showcase", now + TimeDelta::days(5)).unwrap();
    }
    let report = runner.run(now + TimeDelta::days(13), false).unwrap();
    assert_eq!(report.skipped_unsubscribed, 1, "{report}");
    let got: Vec<_> = report.nudges.iter().map(|n| (n.user_id, n.rule)).collect();
    assert_eq!(got, [(bo, "inactive")]);
}

#[actix_web::test]
async fn signed_in_learners_choose_their_reminders() {
    let app = test_app(|_| {}).await;
    let email = "an@example.org";
    let mut b = signed_in(&app, email).await;

    let settings = b.get(&app.service, "/me").await;
    settings.assert_status(200);
    assert!(
        settings.body.contains(r#"href="/me/notifications""#),
        "{}",
        settings.body
    );

    let page = b.get(&app.service, "/me/notifications").await;
    page.assert_status(200);
    assert!(
        page.body
            .contains(r#"id="preference-all" value="all" checked"#),
        "{}",
        page.body
    );
    b.submit(
        &app.service,
        "/me/notifications",
        "/me/notifications",
        &[("preference", "deadlines")],
    )
    .await
    .assert_status(303);
    assert_eq!(preference_of(&app.state, email), Preference::Deadlines);
    let page = b.get(&app.service, "/me/notifications?notice=saved").await;
    assert!(
        page.body
            .contains(r#"id="preference-deadlines" value="deadlines" checked"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("Bewaard."), "{}", page.body);

    // Without the CSRF token, or with a value that is not a choice: refused.
    b.post(&app.service, "/me/notifications", &[("preference", "none")])
        .await
        .assert_status(403);
    b.submit(
        &app.service,
        "/me/notifications",
        "/me/notifications",
        &[("preference", "sometimes")],
    )
    .await
    .assert_status(400);
    assert_eq!(preference_of(&app.state, email), Preference::Deadlines);

    // Signed out: to the sign-in page.
    let res = Browser::default()
        .get(&app.service, "/me/notifications")
        .await;
    res.assert_status(303);
    assert!(res.location.unwrap().starts_with("/auth/sign-in"));
}

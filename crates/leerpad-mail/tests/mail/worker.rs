//! The outbox worker end to end: enqueue, send over SMTP, retry through an outage,
//! never send twice. The clock is passed to `run_once`, so retries happen when the
//! test says the time has come.

use crate::support;

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use leerpad_mail::testing::SmtpServer;
use leerpad_mail::{
    Context, Mailer, OutboxWorker, RunSummary, StoredMessage, TemplateMessage, Templates,
    WorkerConfig,
};
use leerpad_store::outbox::{self, OutboxStatus, OutgoingEmail};
use leerpad_store::Db;
use support::{backends, now};

const WAIT: Duration = Duration::from_secs(10);

fn email(i: usize) -> OutgoingEmail {
    OutgoingEmail {
        dedupe_key: format!("test:{i}"),
        user_id: None,
        kind: "nudge".into(),
        recipient: format!("learner{i}@example.org"),
        message: StoredMessage {
            subject: format!("Bericht {i}"),
            text: format!("Tekst {i}\n"),
            html: Some(format!("<p>Tekst {i}</p>")),
            headers: vec![(
                "List-Unsubscribe".into(),
                format!("<https://leerpad.example/u/{i}>"),
            )],
        }
        .into(),
    }
}

/// An email queued as a template, for the worker to render.
fn template_email(i: usize, template: &str, lang: &str) -> OutgoingEmail {
    OutgoingEmail {
        dedupe_key: format!("template:{i}"),
        user_id: None,
        kind: template.into(),
        recipient: format!("learner{i}@example.org"),
        message: TemplateMessage {
            template: template.into(),
            lang: lang.into(),
            context: Context::new(&serde_json::json!({
                "name": format!("Leerling {i}"),
                "link": format!("https://leerpad.example/login/{i}"),
                "minutes": 15,
            }))
            .unwrap(),
            unsubscribe: Some(format!("https://leerpad.example/u/{i}")),
            headers: vec![("X-Leerpad-Test".into(), i.to_string())],
        }
        .into(),
    }
}

fn enqueue(db: &Db, emails: impl IntoIterator<Item = OutgoingEmail>, at: NaiveDateTime) {
    let mut c = db.conn().unwrap();
    for e in emails {
        outbox::enqueue(&mut c, &e, at).unwrap();
    }
}

fn worker(server: &SmtpServer, batch_size: i64) -> OutboxWorker {
    worker_with(server, batch_size, Templates::builtin())
}

fn worker_with(server: &SmtpServer, batch_size: i64, templates: Templates) -> OutboxWorker {
    let mailer = Mailer::with_timeout(&server.transport(), Duration::from_secs(5)).unwrap();
    OutboxWorker::with_templates(
        mailer,
        templates,
        WorkerConfig {
            name: "test".into(),
            batch_size,
            lease: Duration::from_secs(600),
            max_attempts: 10,
        },
    )
}

fn statuses(db: &Db) -> Vec<(String, OutboxStatus, i32)> {
    let mut c = db.conn().unwrap();
    let mut v: Vec<_> = outbox::list(&mut c, 1000)
        .unwrap()
        .into_iter()
        .map(|e| (e.dedupe_key, e.status, e.attempts))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn mins(m: i64) -> TimeDelta {
    TimeDelta::minutes(m)
}

/// Recipients received, sorted, to compare with what was enqueued.
fn recipients(server: &SmtpServer) -> Vec<String> {
    let mut v: Vec<String> = server
        .messages()
        .into_iter()
        .flat_map(|m| m.rcpt_to)
        .collect();
    v.sort();
    v
}

fn expected(n: usize) -> Vec<String> {
    let mut v: Vec<String> = (0..n).map(|i| email(i).recipient).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enqueued_email_arrives_once() {
    for t in backends() {
        let server = SmtpServer::start().await;
        let w = worker(&server, 10);
        enqueue(&t.db, [email(0), email(0)], now());

        let s = w.run_once(&t.db, now()).await.unwrap();
        assert_eq!(
            s,
            RunSummary {
                claimed: 1,
                sent: 1,
                ..Default::default()
            },
            "{}",
            t.name
        );
        let got = server.wait_for(1, WAIT).await;
        assert_eq!(got[0].subject.as_deref(), Some("Bericht 0"));
        assert_eq!(
            got[0].header("List-Unsubscribe"),
            Some("<https://leerpad.example/u/0>")
        );

        // Nothing more to do, now or later.
        let s = w.run_once(&t.db, now() + mins(120)).await.unwrap();
        assert_eq!(s.claimed, 0, "{}", t.name);
        assert_eq!(server.messages().len(), 1, "{}", t.name);
        assert_eq!(statuses(&t.db), [("test:0".into(), OutboxStatus::Sent, 1)]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_is_rendered_when_sent_with_the_theme_and_its_headers() {
    for t in backends() {
        // A custom theme overriding one file; the rest comes from the default.
        let theme = tempfile::tempdir().unwrap();
        let dir = theme.path().join("emails/magic-link");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("subject.txt.j2"),
            "{% if lang == \"en\" %}Sign in, {{ name }}{% else %}Aanmelden, {{ name }}{% endif %}",
        )
        .unwrap();
        let server = SmtpServer::start().await;
        let w = worker_with(&server, 10, Templates::new([theme.path()]));
        enqueue(
            &t.db,
            [
                template_email(0, "magic-link", "nl-BE"),
                template_email(1, "magic-link", "en"),
            ],
            now(),
        );
        let mut c = t.db.conn().unwrap();
        let listed: Vec<String> = outbox::list(&mut c, 10)
            .unwrap()
            .into_iter()
            .map(|e| e.subject)
            .collect();
        assert_eq!(listed, ["template magic-link", "template magic-link"]);

        let s = w.run_once(&t.db, now()).await.unwrap();
        assert_eq!((s.claimed, s.sent, s.failed), (2, 2, 0), "{}", t.name);
        let mut got = server.wait_for(2, WAIT).await;
        got.sort_by(|a, b| a.rcpt_to.cmp(&b.rcpt_to));
        assert_eq!(got[0].subject.as_deref(), Some("Aanmelden, Leerling 0"));
        assert_eq!(got[1].subject.as_deref(), Some("Sign in, Leerling 1"));
        let text = got[0].text.as_deref().unwrap_or_default();
        assert!(text.contains("https://leerpad.example/login/0"), "{text}");
        assert!(got[0].html.is_some());
        assert_eq!(
            got[0].header("List-Unsubscribe"),
            Some("<https://leerpad.example/u/0>")
        );
        assert_eq!(
            got[1].header("List-Unsubscribe-Post"),
            Some("List-Unsubscribe=One-Click")
        );
        assert_eq!(got[1].header("X-Leerpad-Test"), Some("1"));
        assert_eq!(
            statuses(&t.db),
            [
                ("template:0".into(), OutboxStatus::Sent, 1),
                ("template:1".into(), OutboxStatus::Sent, 1)
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_that_does_not_render_fails_its_email_with_the_reason() {
    for t in backends() {
        let server = SmtpServer::start().await;
        let w = worker(&server, 10);
        enqueue(
            &t.db,
            [
                template_email(0, "no-such-template", "nl"),
                email(1),
                template_email(2, "magic-link", "nl"),
            ],
            now(),
        );
        let s = w.run_once(&t.db, now()).await.unwrap();
        assert_eq!(
            s,
            RunSummary {
                claimed: 3,
                sent: 2,
                failed: 1,
                ..Default::default()
            },
            "{}",
            t.name
        );
        server.wait_for(2, WAIT).await;
        assert_eq!(
            recipients(&server),
            ["learner1@example.org", "learner2@example.org"]
        );
        let mut c = t.db.conn().unwrap();
        let failed: Vec<_> = outbox::list(&mut c, 10)
            .unwrap()
            .into_iter()
            .filter(|e| e.status == OutboxStatus::Failed)
            .collect();
        assert_eq!(failed.len(), 1, "{}", t.name);
        assert_eq!(failed[0].dedupe_key, "template:0");
        assert_eq!(failed[0].subject, "template no-such-template");
        let error = failed[0].last_error.as_deref().unwrap_or_default();
        assert!(
            error.starts_with("the email cannot be rendered: there is no email template `no-such-template/subject.txt.j2`"),
            "{error}"
        );
        // Not retried: nothing is due later.
        let s = w.run_once(&t.db, now() + mins(600)).await.unwrap();
        assert_eq!(s.claimed, 0, "{}", t.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_outage_delays_every_email_and_loses_none() {
    const N: usize = 7;
    for t in backends() {
        let server = SmtpServer::start().await;
        let w = worker(&server, 3);
        enqueue(&t.db, (0..N).map(email), now());
        server.stop().await;

        // Down: each run tries one email, which backs off, and hands back the rest.
        let mut at = now();
        for _ in 0..5 {
            let s = w.run_once(&t.db, at).await.unwrap();
            assert_eq!(s.sent, 0, "{}", t.name);
            if s.claimed > 0 {
                assert_eq!(s.retried, 1, "{}: {s}", t.name);
                assert_eq!(s.released, s.claimed - 1, "{}: {s}", t.name);
            }
            at += TimeDelta::seconds(20);
        }
        let mut c = t.db.conn().unwrap();
        assert_eq!(outbox::pending_count(&mut c).unwrap(), N as i64);
        let tried = outbox::list(&mut c, 100)
            .unwrap()
            .into_iter()
            .filter(|e| e.attempts > 0)
            .collect::<Vec<_>>();
        assert_eq!(tried.len(), 5, "{}", t.name);
        assert!(tried
            .iter()
            .all(|e| e.last_error.as_deref().unwrap().contains("SMTP")));
        drop(c);

        // Back up: within the backoff, everything goes out exactly once.
        server.restart().await;
        let mut rounds = 0;
        while statuses(&t.db)
            .iter()
            .any(|(_, s, _)| *s == OutboxStatus::Pending)
        {
            at += mins(1);
            w.run_once(&t.db, at).await.unwrap();
            rounds += 1;
            assert!(
                rounds < 20,
                "{}: still pending: {:?}",
                t.name,
                statuses(&t.db)
            );
        }
        server.wait_for(N, WAIT).await;
        // Later runs send nothing again.
        for _ in 0..3 {
            at += mins(90);
            assert_eq!(w.run_once(&t.db, at).await.unwrap().claimed, 0);
        }
        assert_eq!(recipients(&server), expected(N), "{}", t.name);
        assert!(statuses(&t.db)
            .iter()
            .all(|(_, s, _)| *s == OutboxStatus::Sent));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_refusal_is_retried_with_backoff() {
    for t in backends() {
        let server = SmtpServer::start().await;
        let w = worker(&server, 10);
        enqueue(&t.db, (0..2).map(email), now());

        server.fail_temporarily(true);
        let s = w.run_once(&t.db, now()).await.unwrap();
        // A 451 is about one email: the worker goes on with the next.
        assert_eq!(s.retried, 2, "{}: {s}", t.name);
        assert_eq!(s.released, 0);
        // Not due again before a minute has passed.
        assert_eq!(
            w.run_once(&t.db, now() + TimeDelta::seconds(59))
                .await
                .unwrap()
                .claimed,
            0
        );
        let s = w.run_once(&t.db, now() + mins(1)).await.unwrap();
        assert_eq!(s.retried, 2);
        // Then two minutes.
        assert_eq!(w.run_once(&t.db, now() + mins(2)).await.unwrap().claimed, 0);

        server.fail_temporarily(false);
        let s = w.run_once(&t.db, now() + mins(3)).await.unwrap();
        assert_eq!(s.sent, 2, "{}: {s}", t.name);
        assert_eq!(recipients(&server), expected(2));
        assert_eq!(
            statuses(&t.db),
            [
                ("test:0".into(), OutboxStatus::Sent, 3),
                ("test:1".into(), OutboxStatus::Sent, 3)
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_address_fails_its_email_only() {
    for t in backends() {
        let server = SmtpServer::start().await;
        let w = worker(&server, 10);
        let mut bad = email(1);
        bad.recipient = "weg@example.org".into();
        let mut invalid = email(2);
        invalid.recipient = "geen adres".into();
        enqueue(&t.db, [email(0), bad, invalid], now());
        server.reject_recipient("weg@example.org");

        let s = w.run_once(&t.db, now()).await.unwrap();
        assert_eq!((s.sent, s.failed), (1, 2), "{}: {s}", t.name);
        assert_eq!(recipients(&server), ["learner0@example.org"]);
        let mut c = t.db.conn().unwrap();
        let list = outbox::list(&mut c, 10).unwrap();
        let weg = list.iter().find(|e| e.dedupe_key == "test:1").unwrap();
        assert_eq!(weg.status, OutboxStatus::Failed);
        assert!(
            weg.last_error.as_deref().unwrap().contains("550"),
            "{weg:?}"
        );
        assert_eq!(outbox::pending_count(&mut c).unwrap(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_database_send_each_email_once() {
    const N: usize = 30;
    for t in backends() {
        let server = SmtpServer::start().await;
        enqueue(&t.db, (0..N).map(email), now());
        let (a, b) = (worker(&server, 4), worker(&server, 4));
        let run = |w: OutboxWorker, db: Db| async move {
            let mut sent = 0;
            loop {
                let s = w.run_once(&db, now()).await.unwrap();
                if s.claimed == 0 {
                    return sent;
                }
                sent += s.sent;
            }
        };
        let (x, y) = tokio::join!(
            tokio::spawn(run(a, t.db.clone())),
            tokio::spawn(run(b, t.db.clone()))
        );
        assert_eq!(x.unwrap() + y.unwrap(), N, "{}", t.name);
        server.wait_for(N, WAIT).await;
        assert_eq!(recipients(&server), expected(N), "{}", t.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spawned_worker_sends_when_woken_and_stops_on_shutdown() {
    let t = support::TestDb::sqlite();
    let server = SmtpServer::start().await;
    let w = worker(&server, 10);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // A long interval: only the first tick and wakes make it run.
    let task = w.spawn(t.db.clone(), Duration::from_secs(3600), async {
        let _ = stopped.await;
    });

    // The spawned worker uses the real clock.
    let real_now = chrono::Utc::now().naive_utc();
    enqueue(&t.db, [email(0)], real_now);
    w.wake();
    server.wait_for(1, WAIT).await;

    enqueue(&t.db, [email(1), email(2)], real_now);
    w.wake();
    server.wait_for(3, WAIT).await;

    stop.send(()).unwrap();
    tokio::time::timeout(WAIT, task).await.unwrap().unwrap();
    assert_eq!(recipients(&server), expected(3));
}

/// The server takes the whole message and hangs up before answering: the worker
/// cannot know whether it was delivered, so it sends it again later (at least
/// once). Both copies carry the same Message-ID, derived from the outbox key, so
/// the receiving side can drop the second; other emails have other ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_sent_again_after_an_unanswered_delivery_has_the_same_message_id() {
    for t in backends() {
        let server = SmtpServer::start().await;
        let w = worker(&server, 10);
        enqueue(&t.db, [email(0), email(1)], now());

        server.hang_up_after_data(1);
        let s = w.run_once(&t.db, now()).await.unwrap();
        assert_eq!((s.sent, s.retried), (0, 1), "{}: {s:?}", t.name);
        // The connection dropped: the rest of the batch waits for the next run.
        assert_eq!(server.messages().len(), 1, "{}", t.name);

        let s = w.run_once(&t.db, now() + mins(60)).await.unwrap();
        assert_eq!(s.sent, 2, "{}: {s:?}", t.name);
        let got = server.wait_for(3, WAIT).await;
        let id_of = |to: &str| -> Vec<String> {
            got.iter()
                .filter(|m| m.rcpt_to == [to])
                .map(|m| m.header("Message-ID").unwrap().to_string())
                .collect()
        };
        let first = id_of("learner0@example.org");
        assert_eq!(first.len(), 2, "{}: sent twice", t.name);
        assert_eq!(first[0], first[1], "{}", t.name);
        assert!(
            first[0].starts_with('<') && first[0].ends_with("@example.org>"),
            "{}",
            first[0]
        );
        let other = id_of("learner1@example.org");
        assert_eq!(other.len(), 1, "{}", t.name);
        assert_ne!(other[0], first[0], "{}", t.name);
        assert_eq!(
            statuses(&t.db),
            [
                ("test:0".into(), OutboxStatus::Sent, 2),
                ("test:1".into(), OutboxStatus::Sent, 1)
            ],
            "{}",
            t.name
        );
    }
}

//! The outbox worker end to end: enqueue, send over SMTP, retry through an outage,
//! never send twice. The clock is passed to `run_once`, so retries happen when the
//! test says the time has come.

mod support;

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use leerpad_mail::testing::SmtpServer;
use leerpad_mail::{Mailer, OutboxWorker, RunSummary, StoredMessage, WorkerConfig};
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
        },
    }
}

fn enqueue(db: &Db, emails: impl IntoIterator<Item = OutgoingEmail>, at: NaiveDateTime) {
    let mut c = db.conn().unwrap();
    for e in emails {
        outbox::enqueue(&mut c, &e, at).unwrap();
    }
}

fn worker(server: &SmtpServer, batch_size: i64) -> OutboxWorker {
    let mailer = Mailer::with_timeout(&server.transport(), Duration::from_secs(5)).unwrap();
    OutboxWorker::new(
        mailer,
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
    let t = support::sqlite();
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

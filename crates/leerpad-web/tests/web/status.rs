//! The administrator's status page: the version, the periodic jobs' last runs, the
//! outbox with its failed emails, a retry that sends one again (through a real
//! SMTP server), and the publish history.

use std::time::Duration;

use chrono::TimeDelta;
use leerpad_core::Role;
use leerpad_mail::testing::SmtpServer;
use leerpad_mail::{Mailer, OutboxWorker, WorkerConfig};
use leerpad_store::jobs::{self, ClaimRequest, Finish};
use leerpad_store::outbox::{self, OutboxStatus, OutgoingEmail, StoredMessage};

use crate::support::{registered, set_role, test_app};

#[actix_web::test]
async fn the_status_page_shows_a_failed_email_and_its_retry_sends_it() {
    let app = test_app(|_| {}).await;
    let mut admin = registered(&app, "Beheerder", "beheer@example.org").await;
    set_role(&app.state, "beheer@example.org", Role::Admin);
    let now = app.clock.now();

    // A job that failed, and one that ran.
    {
        let mut c = app.state.db.conn().unwrap();
        for (job, outcome) in [
            (
                "nudges",
                Finish::GiveUp {
                    error: "de database antwoordde niet",
                },
            ),
            (
                "prune",
                Finish::Ok {
                    summary: "pruned 3 session(s)",
                },
            ),
        ] {
            let key = format!("{job}@test");
            let claimed = jobs::claim(
                &mut c,
                &ClaimRequest {
                    job,
                    run_key: &key,
                    scheduled_for: now,
                    owner: "web-1",
                    now,
                    lease_until: now + TimeDelta::minutes(10),
                    max_attempts: 5,
                },
            )
            .unwrap()
            .unwrap();
            assert!(jobs::finish(
                &mut c,
                claimed.id,
                "web-1",
                now,
                &outcome,
                now + TimeDelta::minutes(15)
            )
            .unwrap());
        }
    }

    // An email the SMTP server would not take, given up after its one attempt.
    let server = SmtpServer::start().await;
    let mailer = Mailer::with_timeout(&server.transport(), Duration::from_secs(5)).unwrap();
    let worker = OutboxWorker::new(
        mailer,
        WorkerConfig {
            name: "test".into(),
            batch_size: 10,
            lease: Duration::from_secs(600),
            max_attempts: 1,
        },
    );
    let email = OutgoingEmail {
        dedupe_key: "status:retry".into(),
        user_id: None,
        kind: "magic-link".into(),
        recipient: "ontvanger@example.org".into(),
        message: StoredMessage {
            subject: "Je aanmeldlink voor Leerpad".into(),
            text: "Klik op de link.\n".into(),
            ..StoredMessage::default()
        }
        .into(),
    };
    outbox::enqueue(&mut app.state.db.conn().unwrap(), &email, now).unwrap();
    server.fail_temporarily(true);
    let s = worker.drain(&app.state.db, now).await.unwrap();
    // The registration's verification email fails too.
    assert!(s.failed >= 1, "{s}");
    assert_eq!(s.sent, 0);
    let failed_id = {
        let mut c = app.state.db.conn().unwrap();
        outbox::list_failed(&mut c, 10)
            .unwrap()
            .into_iter()
            .find(|e| e.dedupe_key == "status:retry")
            .expect("the email failed")
            .id
    };

    let page = admin.get(&app.service, "/admin/status").await;
    page.assert_status(200);
    let body = &page.body;
    assert!(body.contains(env!("CARGO_PKG_VERSION")), "{body}");
    for expected in [
        "nudges",
        "de database antwoordde niet",
        "prune",
        "pruned 3 session(s)",
        "ontvanger@example.org",
        "Je aanmeldlink voor Leerpad",
        "451",
        &format!("/admin/outbox/{failed_id}/retry"),
        // The publish history: the showcase course, version 1.
        "showcase",
    ] {
        assert!(body.contains(expected), "{expected} on the page: {body}");
    }
    assert!(body.contains("Systeemstatus"), "in Dutch by default");

    // Retry once the server takes email again: it goes out.
    server.fail_temporarily(false);
    let res = admin
        .submit(
            &app.service,
            "/admin/status",
            &format!("/admin/outbox/{failed_id}/retry"),
            &[],
        )
        .await;
    res.assert_status(303);
    assert_eq!(
        res.location.as_deref(),
        Some("/admin/status?notice=email-retried")
    );
    let entry = |id: i32| {
        outbox::list(&mut app.state.db.conn().unwrap(), 50)
            .unwrap()
            .into_iter()
            .find(|e| e.id == id)
            .unwrap()
    };
    assert_eq!(entry(failed_id).status, OutboxStatus::Pending);
    worker.drain(&app.state.db, app.clock.now()).await.unwrap();
    assert_eq!(entry(failed_id).status, OutboxStatus::Sent);
    let received = server.wait_for(1, Duration::from_secs(5)).await;
    assert!(
        received
            .iter()
            .any(|m| m.rcpt_to.iter().any(|t| t == "ontvanger@example.org")),
        "{received:?}"
    );

    // A second retry of the same email finds nothing to retry.
    let again = admin
        .submit(
            &app.service,
            "/admin/status",
            &format!("/admin/outbox/{failed_id}/retry"),
            &[],
        )
        .await;
    again.assert_status(404);
    let page = admin
        .get(&app.service, "/admin/status?notice=email-retried")
        .await;
    assert!(
        page.body.contains("De e-mail staat opnieuw klaar"),
        "{}",
        page.body
    );
    assert!(!page
        .body
        .contains(&format!("/admin/outbox/{failed_id}/retry")));

    // In English for an English-speaking administrator.
    admin
        .submit(
            &app.service,
            "/me",
            "/me",
            &[("name", "Beheerder"), ("language", "en")],
        )
        .await
        .assert_status(303);
    let page = admin.get(&app.service, "/admin/status").await;
    assert!(page.body.contains("System status"), "{}", page.body);
    assert!(page.body.contains("Published course versions"));
}

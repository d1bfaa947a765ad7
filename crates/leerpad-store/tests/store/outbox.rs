//! The email outbox: dedupe, claims and leases, retries, and concurrent workers. On
//! SQLite, and on PostgreSQL when `LEERPAD_TEST_DATABASE_URL` is set.

use crate::support;

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use leerpad_store::db::write_transaction;
use leerpad_store::outbox::{
    self, ClaimedEmail, OutboxStatus, OutgoingEmail, RetryOutcome, StoredMessage,
};
use leerpad_store::schema::email_outbox;
use leerpad_store::{Db, StoreError};
use support::{add_user, backends, now};

const LEASE: Duration = Duration::from_secs(300);

fn email(key: &str) -> OutgoingEmail {
    OutgoingEmail {
        dedupe_key: key.to_string(),
        user_id: None,
        kind: "magic-link".into(),
        recipient: format!("{key}@example.org"),
        message: StoredMessage {
            subject: format!("Onderwerp {key}"),
            text: "Tekst".into(),
            html: Some("<p>Tekst</p>".into()),
            headers: vec![("List-Unsubscribe".into(), "<https://x.example/u>".into())],
        }
        .into(),
    }
}

fn enqueue(db: &Db, key: &str, at: NaiveDateTime) -> bool {
    let mut c = db.conn().unwrap();
    outbox::enqueue(&mut c, &email(key), at).unwrap()
}

fn claim(db: &Db, at: NaiveDateTime, limit: i64) -> Vec<ClaimedEmail> {
    let mut c = db.conn().unwrap();
    outbox::claim_due(&mut c, "test", at, LEASE, limit).unwrap()
}

fn keys(claimed: &[ClaimedEmail]) -> Vec<&str> {
    claimed.iter().map(|e| e.dedupe_key.as_str()).collect()
}

fn secs(s: i64) -> TimeDelta {
    TimeDelta::seconds(s)
}

#[test]
fn the_same_dedupe_key_enqueues_one_email() {
    for t in backends() {
        let user = add_user(&t.db, "an@example.org");
        let mut c = t.db.conn().unwrap();
        let mut first = email("nudge:1:proef:r1:2026-w40");
        first.user_id = Some(user);
        assert!(
            outbox::enqueue(&mut c, &first, now()).unwrap(),
            "{}",
            t.name
        );
        let mut again = first.clone();
        again.message = StoredMessage {
            subject: "Anders".into(),
            ..StoredMessage::default()
        }
        .into();
        assert!(
            !outbox::enqueue(&mut c, &again, now()).unwrap(),
            "{}",
            t.name
        );
        assert_eq!(outbox::pending_count(&mut c).unwrap(), 1);

        let list = outbox::list(&mut c, 10).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].subject, "Onderwerp nudge:1:proef:r1:2026-w40");
        assert_eq!(list[0].status, OutboxStatus::Pending);
        assert_eq!(list[0].user_id, Some(user));
        assert_eq!(list[0].next_attempt_at, now());

        // Sent or not, the key stays taken.
        let got = outbox::claim_due(&mut c, "w", now(), LEASE, 10).unwrap();
        assert_eq!(got[0].message, first.message, "{}", t.name);
        outbox::mark_sent(&mut c, got[0].id, now()).unwrap();
        assert!(!outbox::enqueue(&mut c, &first, now() + secs(3600)).unwrap());
        assert_eq!(outbox::pending_count(&mut c).unwrap(), 0);
    }
}

#[test]
fn enqueue_belongs_to_the_callers_transaction() {
    for t in backends() {
        let mut c = t.db.conn().unwrap();
        let r: Result<(), StoreError> = write_transaction(&mut c, |c| {
            assert!(outbox::enqueue(c, &email("a"), now())?);
            Err(StoreError::Invalid("the decision is rolled back".into()))
        });
        assert!(r.is_err());
        assert_eq!(outbox::pending_count(&mut c).unwrap(), 0, "{}", t.name);

        write_transaction(&mut c, |c| outbox::enqueue(c, &email("a"), now())).unwrap();
        assert_eq!(outbox::pending_count(&mut c).unwrap(), 1, "{}", t.name);
    }
}

#[test]
fn claims_hold_for_the_lease_and_then_expire() {
    for t in backends() {
        enqueue(&t.db, "a", now());
        enqueue(&t.db, "b", now() + secs(1));
        enqueue(&t.db, "c", now() + secs(2));
        enqueue(&t.db, "later", now() + secs(3600));

        // Not due before it was enqueued.
        assert!(claim(&t.db, now() - secs(1), 10).is_empty(), "{}", t.name);

        let at = now() + secs(10);
        let first = claim(&t.db, at, 2);
        assert_eq!(keys(&first), ["a", "b"], "{}", t.name);
        assert_eq!(first[0].claimed_until, at + secs(300));
        assert_eq!(first[0].attempts, 0);
        assert_eq!(first[0].recipient, "a@example.org");
        assert_eq!(keys(&claim(&t.db, at, 10)), ["c"], "{}", t.name);
        assert!(claim(&t.db, at, 10).is_empty(), "{}", t.name);
        assert!(claim(&t.db, at + secs(300), 10).is_empty(), "{}", t.name);

        // `a` is sent; the worker that held `b` and `c` died and their leases ran out.
        let mut c = t.db.conn().unwrap();
        outbox::mark_sent(&mut c, first[0].id, at).unwrap();
        let reclaimed = claim(&t.db, at + secs(301), 10);
        assert_eq!(keys(&reclaimed), ["b", "c"], "{}", t.name);

        // Released claims are due again at once.
        outbox::release(&mut c, reclaimed[0].id).unwrap();
        assert_eq!(keys(&claim(&t.db, at + secs(302), 10)), ["b"]);

        let list = outbox::list(&mut c, 10).unwrap();
        let a = list.iter().find(|e| e.dedupe_key == "a").unwrap();
        assert_eq!(a.status, OutboxStatus::Sent);
        assert_eq!(a.sent_at, Some(at));
        assert_eq!(a.attempts, 1);
        assert_eq!(a.claimed_until, None);
        assert_eq!(outbox::pending_count(&mut c).unwrap(), 3, "{}", t.name);
        // A sent email cannot be marked again.
        assert!(outbox::mark_sent(&mut c, first[0].id, at).is_err());
        assert!(outbox::mark_retry(&mut c, first[0].id, at, "x", 5).is_err());
    }
}

#[test]
fn failed_attempts_back_off_and_give_up_after_the_last() {
    for t in backends() {
        enqueue(&t.db, "a", now());
        let mut c = t.db.conn().unwrap();
        let mut at = now();
        let mut waits = Vec::new();
        loop {
            let got = claim(&t.db, at, 10);
            assert_eq!(keys(&got), ["a"], "{} at {at}", t.name);
            match outbox::mark_retry(&mut c, got[0].id, at, "421 try later", 4).unwrap() {
                RetryOutcome::Retrying { next_attempt_at } => {
                    // Not due a second before its time.
                    assert!(claim(&t.db, next_attempt_at - secs(1), 10).is_empty());
                    waits.push((next_attempt_at - at).num_minutes());
                    at = next_attempt_at;
                }
                RetryOutcome::Failed => break,
            }
        }
        assert_eq!(waits, [1, 2, 4], "{}", t.name);
        assert!(claim(&t.db, at + secs(86_400), 10).is_empty(), "{}", t.name);

        let e = &outbox::list(&mut c, 1).unwrap()[0];
        assert_eq!(e.status, OutboxStatus::Failed);
        assert_eq!(e.attempts, 4);
        assert_eq!(e.last_error.as_deref(), Some("421 try later"));
        assert_eq!(outbox::pending_count(&mut c).unwrap(), 0);

        // An operator puts it back.
        assert!(outbox::requeue(&mut c, e.id, at).unwrap());
        assert!(!outbox::requeue(&mut c, e.id, at).unwrap());
        let got = claim(&t.db, at, 10);
        assert_eq!(got[0].attempts, 0, "{}", t.name);
        outbox::mark_failed(&mut c, got[0].id, "550 no such user").unwrap();
        let e = &outbox::list(&mut c, 1).unwrap()[0];
        assert_eq!(e.status, OutboxStatus::Failed);
        assert_eq!(e.last_error.as_deref(), Some("550 no such user"));
    }
}

#[test]
fn an_unreadable_payload_fails_its_row_and_no_other() {
    for t in backends() {
        enqueue(&t.db, "good", now());
        let mut c = t.db.conn().unwrap();
        diesel::insert_into(email_outbox::table)
            .values((
                email_outbox::dedupe_key.eq("bad"),
                email_outbox::kind.eq("x"),
                email_outbox::recipient.eq("x@example.org"),
                email_outbox::payload.eq("{not json"),
                email_outbox::status.eq("pending"),
                email_outbox::attempts.eq(0),
                email_outbox::next_attempt_at.eq(now()),
                email_outbox::created_at.eq(now()),
            ))
            .execute(&mut *c)
            .unwrap();
        assert_eq!(keys(&claim(&t.db, now(), 10)), ["good"], "{}", t.name);
        let bad = outbox::list(&mut c, 10)
            .unwrap()
            .into_iter()
            .find(|e| e.dedupe_key == "bad")
            .unwrap();
        assert_eq!(bad.status, OutboxStatus::Failed, "{}", t.name);
        assert!(bad.last_error.unwrap().contains("cannot be read"));
    }
}

#[test]
fn concurrent_workers_never_claim_the_same_email() {
    const EMAILS: usize = 120;
    const WORKERS: usize = 4;
    for t in backends() {
        {
            let mut c = t.db.conn().unwrap();
            for i in 0..EMAILS {
                outbox::enqueue(&mut c, &email(&format!("e{i:03}")), now()).unwrap();
            }
        }
        let barrier = Arc::new(Barrier::new(WORKERS));
        let handles: Vec<_> = (0..WORKERS)
            .map(|w| {
                let db = t.db.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let mut c = db.conn().unwrap();
                    barrier.wait();
                    let mut mine = Vec::new();
                    loop {
                        let got =
                            outbox::claim_due(&mut c, &format!("w{w}"), now(), LEASE, 3).unwrap();
                        if got.is_empty() {
                            break mine;
                        }
                        for e in got {
                            outbox::mark_sent(&mut c, e.id, now()).unwrap();
                            mine.push(e.id);
                        }
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        let mut per_worker = Vec::new();
        for h in handles {
            let mine = h.join().unwrap();
            per_worker.push(mine.len());
            all.extend(mine);
        }
        let distinct: BTreeSet<i32> = all.iter().copied().collect();
        assert_eq!(
            all.len(),
            EMAILS,
            "{}: claims per worker {per_worker:?}",
            t.name
        );
        assert_eq!(
            distinct.len(),
            EMAILS,
            "{}: a row was claimed twice",
            t.name
        );
        let mut c = t.db.conn().unwrap();
        assert_eq!(outbox::pending_count(&mut c).unwrap(), 0);
    }
}

/// The outbox's depth and failures, as `/metrics` shows them: sent emails count
/// in neither.
#[test]
fn counts_tell_queued_and_failed_emails_apart() {
    for t in backends() {
        let db = &t.db;
        assert_eq!(
            outbox::counts(&mut db.conn().unwrap()).unwrap(),
            outbox::OutboxCounts::default(),
            "{}",
            t.name
        );
        for key in ["a", "b", "c", "d"] {
            assert!(enqueue(db, key, now()));
        }
        let claimed = claim(db, now(), 2);
        assert_eq!(claimed.len(), 2, "{}", t.name);
        let mut c = db.conn().unwrap();
        outbox::mark_sent(&mut c, claimed[0].id, now()).unwrap();
        outbox::mark_failed(&mut c, claimed[1].id, "550 no such mailbox").unwrap();
        assert_eq!(
            outbox::counts(&mut c).unwrap(),
            outbox::OutboxCounts {
                queued: 2,
                failed: 1
            },
            "{}",
            t.name
        );
        assert_eq!(outbox::pending_count(&mut c).unwrap(), 2, "{}", t.name);
    }
}

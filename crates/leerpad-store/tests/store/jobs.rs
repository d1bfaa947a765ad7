//! The job runner's runs: one claim per run key, leases taken over only once
//! they ran out, retries only once due, and many claimers at once. On SQLite, and
//! on PostgreSQL when `LEERPAD_TEST_DATABASE_URL` is set.

use crate::support;

use std::sync::{Arc, Barrier};

use chrono::{NaiveDateTime, TimeDelta};
use leerpad_store::jobs::{self, ClaimRequest, Claimed, Finish, RunStatus};
use leerpad_store::Db;
use support::{backends, now};

const KEY: &str = "nudges@2026-12-04T10:00";

fn claim(db: &Db, owner: &str, at: NaiveDateTime) -> Option<Claimed> {
    jobs::claim(
        &mut db.conn().unwrap(),
        &ClaimRequest {
            job: "nudges",
            run_key: KEY,
            scheduled_for: at,
            owner,
            now: at,
            lease_until: at + TimeDelta::minutes(10),
            max_attempts: 3,
        },
    )
    .unwrap()
}

#[test]
fn a_run_key_is_claimed_once_and_settled_runs_stay_settled() {
    for t in backends() {
        let t0 = now();
        let first = claim(&t.db, "a", t0).expect("the first claim wins");
        assert_eq!(first.attempt, 1);
        assert!(!first.taken_over);
        assert_eq!(claim(&t.db, "b", t0), None, "{}: the key is taken", t.name);
        assert_eq!(claim(&t.db, "b", t0 + TimeDelta::minutes(9)), None);
        assert!(jobs::finish(
            &mut t.db.conn().unwrap(),
            first.id,
            "a",
            t0 + TimeDelta::minutes(1),
            &Finish::Ok {
                summary: "3 queued"
            },
            t0 + TimeDelta::minutes(15),
        )
        .unwrap());
        // Done: nobody claims it again, however late.
        assert_eq!(
            claim(&t.db, "b", t0 + TimeDelta::days(1)),
            None,
            "{}",
            t.name
        );
        let run = jobs::run(&mut t.db.conn().unwrap(), KEY).unwrap().unwrap();
        assert_eq!(run.status(), RunStatus::Ok);
        assert_eq!(run.summary.as_deref(), Some("3 queued"));
        assert_eq!(run.next_due_at, Some(t0 + TimeDelta::minutes(15)));
        assert_eq!(run.lease_until, None);
        let latest = jobs::latest_runs(&mut t.db.conn().unwrap()).unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].run_key, KEY);
    }
}

#[test]
fn an_expired_lease_is_taken_over_and_the_old_holder_cannot_finish() {
    for t in backends() {
        let t0 = now();
        let crashed = claim(&t.db, "crashed", t0).unwrap();
        assert_eq!(
            claim(&t.db, "b", t0 + TimeDelta::minutes(10)),
            None,
            "{}: not yet",
            t.name
        );
        let taken = claim(&t.db, "b", t0 + TimeDelta::minutes(11)).expect("taken over");
        assert_eq!(taken.id, crashed.id);
        assert_eq!(taken.attempt, 2);
        assert!(taken.taken_over);
        let late = jobs::finish(
            &mut t.db.conn().unwrap(),
            crashed.id,
            "crashed",
            t0 + TimeDelta::minutes(12),
            &Finish::Ok { summary: "late" },
            t0,
        )
        .unwrap();
        assert!(!late, "{}: the old holder's finish changes nothing", t.name);
        let run = jobs::run(&mut t.db.conn().unwrap(), KEY).unwrap().unwrap();
        assert_eq!(run.status(), RunStatus::Running);
        assert_eq!(run.lease_owner.as_deref(), Some("b"));
    }
}

#[test]
fn a_failed_attempt_is_retried_when_due_up_to_the_limit() {
    for t in backends() {
        let t0 = now();
        let c = claim(&t.db, "a", t0).unwrap();
        let retry_at = t0 + TimeDelta::minutes(1);
        let fail = |id: i32, owner: &str, how: &Finish<'_>| {
            assert!(jobs::finish(&mut t.db.conn().unwrap(), id, owner, t0, how, t0).unwrap())
        };
        fail(
            c.id,
            "a",
            &Finish::Retry {
                error: "boom",
                next_attempt_at: retry_at,
            },
        );
        assert_eq!(
            claim(&t.db, "b", retry_at - TimeDelta::seconds(1)),
            None,
            "{}",
            t.name
        );
        let second = claim(&t.db, "b", retry_at).expect("due for a retry");
        assert_eq!((second.attempt, second.taken_over), (2, false));
        fail(
            second.id,
            "b",
            &Finish::Retry {
                error: "boom again",
                next_attempt_at: retry_at,
            },
        );
        let third = claim(&t.db, "a", retry_at).unwrap();
        assert_eq!(third.attempt, 3);
        fail(
            third.id,
            "a",
            &Finish::Retry {
                error: "and again",
                next_attempt_at: retry_at,
            },
        );
        // max_attempts = 3: no fourth.
        assert_eq!(
            claim(&t.db, "a", retry_at + TimeDelta::hours(1)),
            None,
            "{}",
            t.name
        );
        let run = jobs::run(&mut t.db.conn().unwrap(), KEY).unwrap().unwrap();
        assert_eq!(run.last_error.as_deref(), Some("and again"));
        assert_eq!(run.attempts, 3);

        // The next period's first claim gives up the one still waiting.
        let next = jobs::claim(
            &mut t.db.conn().unwrap(),
            &ClaimRequest {
                job: "nudges",
                run_key: "nudges@2026-12-04T10:15",
                scheduled_for: t0 + TimeDelta::minutes(15),
                owner: "a",
                now: t0 + TimeDelta::minutes(15),
                lease_until: t0 + TimeDelta::minutes(25),
                max_attempts: 3,
            },
        )
        .unwrap();
        assert!(next.is_some());
        let run = jobs::run(&mut t.db.conn().unwrap(), KEY).unwrap().unwrap();
        assert_eq!(run.status(), RunStatus::Failed, "{}", t.name);

        // Pruning keeps the latest run of each job.
        let pruned = jobs::prune(&mut t.db.conn().unwrap(), t0 + TimeDelta::days(1)).unwrap();
        assert_eq!(pruned, 1, "{}", t.name);
        assert_eq!(
            jobs::runs_of(&mut t.db.conn().unwrap(), "nudges")
                .unwrap()
                .len(),
            1
        );
    }
}

#[test]
fn of_many_instances_claiming_at_once_exactly_one_wins() {
    for t in backends() {
        let t0 = now();
        let n = 8;
        let barrier = Arc::new(Barrier::new(n));
        let handles: Vec<Db> = (0..n).map(|_| t.another_instance()).collect();
        let winners: usize = std::thread::scope(|s| {
            let tasks: Vec<_> = handles
                .iter()
                .enumerate()
                .map(|(i, db)| {
                    let barrier = barrier.clone();
                    s.spawn(move || {
                        let owner = format!("instance-{i}");
                        barrier.wait();
                        usize::from(claim(db, &owner, t0).is_some())
                    })
                })
                .collect();
            tasks.into_iter().map(|t| t.join().unwrap()).sum()
        });
        assert_eq!(winners, 1, "{}", t.name);
        // And once the lease ran out, again exactly one takes it over.
        let barrier = Arc::new(Barrier::new(n));
        let later = t0 + TimeDelta::minutes(11);
        let takers: usize = std::thread::scope(|s| {
            let tasks: Vec<_> = handles
                .iter()
                .enumerate()
                .map(|(i, db)| {
                    let barrier = barrier.clone();
                    s.spawn(move || {
                        let owner = format!("instance-{i}");
                        barrier.wait();
                        usize::from(claim(db, &owner, later).is_some())
                    })
                })
                .collect();
            tasks.into_iter().map(|t| t.join().unwrap()).sum()
        });
        assert_eq!(takers, 1, "{}", t.name);
    }
}

//! The runner over simulated time, on SQLite and (when `LEERPAD_TEST_DATABASE_URL`
//! is set) PostgreSQL.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use leerpad_store::jobs::{self as store, RunStatus};
use leerpad_store::testing::TestDb;

use super::*;

fn at(day: u32, h: u32, m: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, day)
        .unwrap()
        .and_hms_opt(h, m, 0)
        .unwrap()
}

/// What the jobs did: per job and period key (from the time each was given),
/// how many times.
type Effects = Arc<Mutex<BTreeMap<String, usize>>>;

fn counting(name: &'static str, schedule: Schedule, effects: &Effects) -> Job {
    let effects = effects.clone();
    Job::blocking(name, schedule, move |now| {
        let key = schedule.run_key(name, now);
        *effects.lock().unwrap().entry(key.clone()).or_default() += 1;
        Ok(Summary(format!("counted {key}")))
    })
}

fn config(owner: &str) -> RunnerConfig {
    RunnerConfig {
        owner: owner.into(),
        ..RunnerConfig::default()
    }
}

fn runner(db: Db, clock: &Arc<ManualClock>, owner: &str, effects: &Effects) -> Runner {
    let mut r = Runner::new(db, clock.clone(), config(owner));
    r.register(counting("quarter", Schedule::every_minutes(15), effects))
        .register(counting("hourly", Schedule::every_hours(1), effects))
        .register(counting("daily", Schedule::every_hours(24), effects));
    r
}

/// Every period of the week has exactly one side effect and one run, `ok`.
fn assert_each_period_once(db: &Db, effects: &Effects, label: &str) {
    let effects = effects.lock().unwrap();
    for (job, periods) in [("quarter", 7 * 24 * 4), ("hourly", 7 * 24), ("daily", 7)] {
        let done: Vec<_> = effects
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{job}@")))
            .collect();
        assert_eq!(done.len(), periods, "{label}: periods of {job} run");
        for (key, n) in &done {
            assert_eq!(**n, 1, "{label}: {key} ran {n} times");
        }
        let runs = store::runs_of(&mut db.conn().unwrap(), job).unwrap();
        assert_eq!(runs.len(), periods, "{label}: runs of {job} recorded");
        for r in &runs {
            assert_eq!(r.status(), RunStatus::Ok, "{label}: {}", r.run_key);
            assert_eq!(r.attempts, 1, "{label}: {}", r.run_key);
            assert!(effects.contains_key(&r.run_key), "{label}: {}", r.run_key);
            assert!(r.next_due_at.unwrap() > r.scheduled_for);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_week_on_sqlite_runs_each_period_once() {
    let t = TestDb::sqlite();
    let clock = Arc::new(ManualClock::new(at(30, 0, 0) - TimeDelta::days(7)));
    let effects = Effects::default();
    let r = runner(t.db.clone(), &clock, "one", &effects);
    let start = clock.now();
    while clock.now() < start + TimeDelta::days(7) {
        r.tick().await;
        // Twice per moment: the second finds every run done.
        assert!(r.tick().await.is_empty());
        clock.advance(TimeDelta::minutes(5));
    }
    assert_each_period_once(&t.db, &effects, "sqlite");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_simulated_week_on_two_postgres_instances_runs_each_period_once() {
    let Some(t) = TestDb::postgres() else {
        eprintln!("LEERPAD_TEST_DATABASE_URL is not set: skipping");
        return;
    };
    let clock = Arc::new(ManualClock::new(at(30, 0, 0) - TimeDelta::days(7)));
    let effects = Effects::default();
    let a = Arc::new(runner(t.db.clone(), &clock, "a", &effects));
    let b = Arc::new(runner(t.another_instance(), &clock, "b", &effects));
    let start = clock.now();
    let (mut by_a, mut by_b) = (0, 0);
    while clock.now() < start + TimeDelta::days(7) {
        // Both at the same moment, on their own tasks.
        let (ra, rb) = (a.clone(), b.clone());
        let (x, y) = tokio::join!(
            tokio::spawn(async move { ra.tick().await }),
            tokio::spawn(async move { rb.tick().await })
        );
        by_a += x.unwrap().len();
        by_b += y.unwrap().len();
        clock.advance(TimeDelta::minutes(5));
    }
    assert_eq!(by_a + by_b, 7 * 24 * 4 + 7 * 24 + 7);
    assert_each_period_once(&t.db, &effects, "postgres");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_job_is_retried_with_backoff_and_the_others_go_on() {
    for t in TestDb::backends() {
        let clock = Arc::new(ManualClock::new(at(30, 10, 0)));
        let effects = Effects::default();
        let attempts = Arc::new(AtomicUsize::new(0));
        let mut r = Runner::new(t.db.clone(), clock.clone(), config("one"));
        let n = attempts.clone();
        r.register(Job::blocking(
            "flaky",
            Schedule::every_hours(1),
            move |_| {
                if n.fetch_add(1, Ordering::SeqCst) < 2 {
                    panic!("the flaky job breaks");
                }
                Ok("recovered".into())
            },
        ))
        .register(Job::blocking("broken", Schedule::every_hours(1), |_| {
            Err(anyhow::anyhow!("always wrong"))
        }))
        .register(counting("quarter", Schedule::every_minutes(15), &effects));
        let run = |key: &str| {
            store::run(&mut t.db.conn().unwrap(), key)
                .unwrap()
                .expect("a run")
        };

        // 10:00: both fail, the other job runs.
        let ran = r.tick().await;
        assert_eq!(ran.len(), 3, "{}: {ran:?}", t.name);
        assert_eq!(
            ran[0].outcome,
            Outcome::Failed {
                error: "the job panicked: the flaky job breaks".into(),
                retry_at: Some(at(30, 10, 1)),
            },
            "{}",
            t.name
        );
        assert!(ran[2].outcome.is_ok());
        let flaky = run("flaky@2026-11-30T10:00");
        assert_eq!(flaky.status(), RunStatus::Retrying, "{}", t.name);
        assert_eq!(flaky.next_attempt_at, Some(at(30, 10, 1)));
        assert!(flaky.last_error.unwrap().contains("panicked"));

        // Not before the backoff.
        clock.set(at(30, 10, 0) + TimeDelta::seconds(30));
        assert!(r.tick().await.is_empty(), "{}", t.name);
        // 10:01: the second attempt, then two minutes' wait.
        clock.set(at(30, 10, 1));
        let ran = r.tick().await;
        assert_eq!(ran.len(), 2, "{}: {ran:?}", t.name);
        assert_eq!(ran[0].attempt, 2);
        assert_eq!(
            run("flaky@2026-11-30T10:00").next_attempt_at,
            Some(at(30, 10, 3))
        );
        clock.set(at(30, 10, 2));
        assert!(r.tick().await.is_empty(), "{}", t.name);
        // 10:03: the third succeeds; the broken job waits 4 minutes.
        clock.set(at(30, 10, 3));
        let ran = r.tick().await;
        assert_eq!(ran[0].outcome, Outcome::Ok("recovered".into()));
        let flaky = run("flaky@2026-11-30T10:00");
        assert_eq!(flaky.status(), RunStatus::Ok);
        assert_eq!(flaky.attempts, 3);
        assert!(
            flaky.last_error.unwrap().contains("panicked"),
            "the earlier failure stays visible"
        );
        assert_eq!(flaky.summary.as_deref(), Some("recovered"));
        assert_eq!(flaky.next_due_at, Some(at(30, 11, 0)));

        // The broken job gives up after five attempts (1, 2, 4, 8 minutes apart).
        for (m, attempt) in [(7, 4), (15, 5)] {
            clock.set(at(30, 10, m));
            let ran = r.tick().await;
            let broken: Vec<_> = ran.iter().filter(|r| r.job == "broken").collect();
            assert_eq!(broken.len(), 1, "{}: {ran:?}", t.name);
            assert_eq!(broken[0].attempt, attempt);
        }
        let broken = run("broken@2026-11-30T10:00");
        assert_eq!(broken.status(), RunStatus::Failed, "{}", t.name);
        assert_eq!(broken.attempts, 5);
        assert_eq!(broken.last_error.as_deref(), Some("always wrong"));
        clock.set(at(30, 10, 59));
        assert!(r.tick().await.iter().all(|r| r.job == "quarter"));
        // The next period is tried afresh.
        clock.set(at(30, 11, 0));
        let ran = r.tick().await;
        assert_eq!(ran.len(), 3, "{}: {ran:?}", t.name);
        // The other job went on all along, in every period looked at: 10:00,
        // 10:15, 10:45 (at 10:59) and 11:00.
        assert_eq!(effects.lock().unwrap().len(), 4, "{}", t.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_is_taken_over_and_a_period_runs_once() {
    for t in TestDb::backends() {
        let clock = Arc::new(ManualClock::new(at(30, 10, 0)));
        let effects = Effects::default();
        let mut r = Runner::new(t.db.clone(), clock.clone(), config("survivor"));
        r.register(counting("hourly", Schedule::every_hours(1), &effects));
        // An instance claimed 10:00 and crashed.
        let crashed = store::claim(
            &mut t.db.conn().unwrap(),
            &ClaimRequest {
                job: "hourly",
                run_key: "hourly@2026-11-30T10:00",
                scheduled_for: at(30, 10, 0),
                owner: "crashed",
                now: at(30, 10, 0),
                lease_until: at(30, 10, 30),
                max_attempts: 5,
            },
        )
        .unwrap();
        assert!(crashed.is_some());
        clock.set(at(30, 10, 29));
        assert!(r.tick().await.is_empty(), "{}: the lease holds", t.name);
        clock.set(at(30, 10, 31));
        let ran = r.tick().await;
        assert_eq!(ran.len(), 1, "{}", t.name);
        assert_eq!(ran[0].attempt, 2);
        let run = store::run(&mut t.db.conn().unwrap(), "hourly@2026-11-30T10:00")
            .unwrap()
            .unwrap();
        assert_eq!(run.status(), RunStatus::Ok);
        assert_eq!(run.lease_owner.as_deref(), Some("survivor"));
        // The crashed instance's late finish changes nothing.
        let late = store::finish(
            &mut t.db.conn().unwrap(),
            crashed.unwrap().id,
            "crashed",
            at(30, 10, 40),
            &Finish::GiveUp { error: "late" },
            at(30, 11, 0),
        )
        .unwrap();
        assert!(!late, "{}", t.name);

        // Another instance, knowing nothing, does not run the period again.
        let mut other = Runner::new(t.another_instance(), clock.clone(), config("other"));
        other.register(counting("hourly", Schedule::every_hours(1), &effects));
        clock.set(at(30, 10, 45));
        assert!(other.tick().await.is_empty(), "{}", t.name);
        assert!(r.tick().await.is_empty(), "{}", t.name);
        assert_eq!(effects.lock().unwrap().len(), 1);
        assert_eq!(effects.lock().unwrap()["hourly@2026-11-30T10:00"], 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_woken_job_runs_at_once_without_a_claim() {
    let t = TestDb::sqlite();
    let clock = Arc::new(ManualClock::new(at(30, 10, 0)));
    let effects = Effects::default();
    let wake = Arc::new(Notify::new());
    let mut r = Runner::new(
        t.db.clone(),
        clock.clone(),
        RunnerConfig {
            poll: std::time::Duration::from_secs(3600),
            ..config("one")
        },
    );
    let n = Arc::new(AtomicUsize::new(0));
    let count = n.clone();
    r.register(
        Job::blocking("outbox", Schedule::every_hours(1), move |_| {
            count.fetch_add(1, Ordering::SeqCst);
            Ok(Summary::default())
        })
        .woken_by(wake.clone()),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = Arc::new(r).spawn(async move {
        let _ = stopped.await;
    });
    // The first poll at once: the period's run.
    while n.load(Ordering::SeqCst) < 1 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    wake.notify_one();
    while n.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
    task.await.unwrap();
    let runs = store::runs_of(&mut t.db.conn().unwrap(), "outbox").unwrap();
    assert_eq!(runs.len(), 1, "a wake records no run");
    drop(effects);
}

#[test]
fn schedules_and_backoff() {
    let s = Schedule::every_minutes(15);
    let t = at(30, 10, 7) + TimeDelta::seconds(13);
    assert_eq!(s.period_start(t), at(30, 10, 0));
    assert_eq!(s.next_due(t), at(30, 10, 15));
    assert_eq!(s.run_key("nudges", t), "nudges@2026-11-30T10:00");
    assert_eq!(
        Schedule::Every(TimeDelta::seconds(30)).run_key("outbox", t),
        "outbox@2026-11-30T10:07:00"
    );
    assert_eq!(Schedule::every_hours(24).period_start(t), at(30, 0, 0));
    assert_eq!(s.to_string(), "every 15 min");
    assert_eq!(Schedule::every_hours(2).to_string(), "every 2 h");
    let c = RunnerConfig::default();
    let mins: Vec<i64> = (1..=8).map(|a| c.backoff(a).num_minutes()).collect();
    assert_eq!(mins, [1, 2, 4, 8, 16, 32, 60, 60]);
}

/// Records what the runner reports through the `metrics` facade: (metric, labels,
/// value) in order.
#[derive(Default)]
struct Recorded(Log);

/// (metric, labels, value) in the order they were recorded.
type Log = Arc<Mutex<Vec<(String, Vec<(String, String)>, f64)>>>;

struct Handle {
    key: metrics::Key,
    log: Log,
}

impl Handle {
    fn push(&self, value: f64) {
        let labels = self
            .key
            .labels()
            .map(|l| (l.key().to_string(), l.value().to_string()))
            .collect();
        self.log
            .lock()
            .unwrap()
            .push((self.key.name().to_string(), labels, value));
    }
}

impl metrics::CounterFn for Handle {
    fn increment(&self, value: u64) {
        self.push(value as f64);
    }
    fn absolute(&self, value: u64) {
        self.push(value as f64);
    }
}

impl metrics::HistogramFn for Handle {
    fn record(&self, value: f64) {
        self.push(value);
    }
}

impl metrics::Recorder for Recorded {
    fn describe_counter(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_gauge(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_histogram(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn register_counter(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        metrics::Counter::from_arc(Arc::new(Handle {
            key: key.clone(),
            log: self.0.clone(),
        }))
    }
    fn register_gauge(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        metrics::Gauge::noop()
    }
    fn register_histogram(
        &self,
        key: &metrics::Key,
        _: &metrics::Metadata<'_>,
    ) -> metrics::Histogram {
        metrics::Histogram::from_arc(Arc::new(Handle {
            key: key.clone(),
            log: self.0.clone(),
        }))
    }
}

#[test]
fn every_attempt_is_counted_and_timed_by_job_and_outcome() {
    let t = TestDb::sqlite();
    let clock = Arc::new(ManualClock::new(at(30, 10, 0)));
    let mut r = Runner::new(t.db.clone(), clock.clone(), config("one"));
    r.register(Job::blocking("fine", Schedule::every_hours(1), |_| {
        Ok("ok".into())
    }))
    .register(Job::blocking("broken", Schedule::every_hours(1), |_| {
        Err(anyhow::anyhow!("wrong"))
    }));
    let recorded = Recorded::default();
    let log = recorded.0.clone();
    // A runtime on this thread, so the local recorder sees what the runner records.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorded, || rt.block_on(r.tick()));
    let log = log.lock().unwrap();
    let labels = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let counted: Vec<_> = log
        .iter()
        .filter(|(name, _, _)| name == "leerpad_job_runs_total")
        .map(|(_, l, v)| (l.clone(), *v))
        .collect();
    assert_eq!(
        counted,
        [
            (labels(&[("job", "fine"), ("outcome", "ok")]), 1.0),
            (labels(&[("job", "broken"), ("outcome", "failed")]), 1.0),
        ]
    );
    let timed: Vec<_> = log
        .iter()
        .filter(|(name, _, _)| name == "leerpad_job_duration_seconds")
        .map(|(_, l, v)| (l.clone(), *v >= 0.0))
        .collect();
    assert_eq!(
        timed,
        [
            (labels(&[("job", "fine")]), true),
            (labels(&[("job", "broken")]), true),
        ]
    );
}

//! Leerpad's job runner: the one mechanism for periodic work (sending the outbox,
//! queuing nudges and weekly digests, pruning).
//!
//! A [`Job`] is a name, a [`Schedule`] and a function of the time. The [`Runner`]
//! checks every job now and then; when a job's current period has not run yet, it
//! claims that period's run in the database (`leerpad_store::jobs::claim`, keyed
//! `<job>@<period start>`) and runs it. Of any number of instances on one
//! database, exactly one wins a claim, so **each scheduled run happens once**. The
//! winner holds a lease; if it crashes, another instance takes the run over once the
//! lease has run out. An attempt that fails (an error or a panic) is recorded with
//! its error and tried again with exponential backoff, at most
//! [`RunnerConfig::max_attempts`] times; a period that is over is not caught up
//! (the next period's run does the work).
//!
//! The time comes from a [`Clock`], so tests can run a simulated week in moments.
//! Every attempt is counted in `leerpad_job_runs_total{job, outcome}` and timed in
//! `leerpad_job_duration_seconds{job}` through the `metrics` facade (whoever runs
//! the process installs a recorder, or none).
//!
//! The runner knows no HTTP and no email: the jobs are registered by the binary
//! (`src/jobs.rs`), which knows what each one calls.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{NaiveDateTime, TimeDelta, Utc};
use leerpad_store::jobs::{self as store, ClaimRequest, Finish};
use leerpad_store::{Db, StoreError};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

// --- time ---

/// Where the runner gets the time (UTC).
pub trait Clock: Send + Sync {
    fn now(&self) -> NaiveDateTime;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        Utc::now().naive_utc()
    }
}

/// A clock that shows what it is set to: for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<NaiveDateTime>);

impl ManualClock {
    pub fn new(at: NaiveDateTime) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: NaiveDateTime) {
        *self.0.lock().expect("clock") = at;
    }

    pub fn advance(&self, by: TimeDelta) {
        *self.0.lock().expect("clock") += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> NaiveDateTime {
        *self.0.lock().expect("clock")
    }
}

// --- schedules ---

/// When a job is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Once in every period of this length, periods counted from midnight UTC of
    /// 1 January 1970 (so every 15 minutes means at :00, :15, :30 and :45, and
    /// every day means from midnight UTC). At least a second.
    Every(TimeDelta),
}

impl Schedule {
    pub fn every_minutes(n: u32) -> Schedule {
        Schedule::Every(TimeDelta::minutes(i64::from(n.max(1))))
    }

    pub fn every_hours(n: u32) -> Schedule {
        Schedule::Every(TimeDelta::hours(i64::from(n.max(1))))
    }

    fn seconds(&self) -> i64 {
        match self {
            Schedule::Every(d) => d.num_seconds().max(1),
        }
    }

    /// The start of the period `now` is in.
    pub fn period_start(&self, now: NaiveDateTime) -> NaiveDateTime {
        let n = self.seconds();
        let t = now.and_utc().timestamp();
        chrono::DateTime::from_timestamp(t.div_euclid(n) * n, 0)
            .expect("a period start within chrono's range")
            .naive_utc()
    }

    /// The start of the period after the one `now` is in.
    pub fn next_due(&self, now: NaiveDateTime) -> NaiveDateTime {
        self.period_start(now) + TimeDelta::seconds(self.seconds())
    }

    /// The key of the run of `job` for the period `now` is in:
    /// `nudges@2026-12-04T10:00` (with seconds when periods are shorter than a
    /// minute).
    pub fn run_key(&self, job: &str, now: NaiveDateTime) -> String {
        let start = self.period_start(now);
        if self.seconds() % 60 == 0 {
            format!("{job}@{}", start.format("%Y-%m-%dT%H:%M"))
        } else {
            format!("{job}@{}", start.format("%Y-%m-%dT%H:%M:%S"))
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds();
        if s % 3600 == 0 {
            write!(f, "every {} h", s / 3600)
        } else if s % 60 == 0 {
            write!(f, "every {} min", s / 60)
        } else {
            write!(f, "every {s} s")
        }
    }
}

// --- jobs ---

/// What a run did, in words (kept in `job_runs.summary` and logged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary(pub String);

impl From<String> for Summary {
    fn from(s: String) -> Summary {
        Summary(s)
    }
}

impl From<&str> for Summary {
    fn from(s: &str) -> Summary {
        Summary(s.to_string())
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = anyhow::Result<Summary>> + Send + 'static>>;
type RunFn = dyn Fn(NaiveDateTime) -> BoxFuture + Send + Sync;

/// A periodic job: a name, a schedule and what to run, given the time.
pub struct Job {
    name: String,
    schedule: Schedule,
    run: Box<RunFn>,
    wake: Option<Arc<Notify>>,
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("name", &self.name)
            .field("schedule", &self.schedule)
            .field("wakeable", &self.wake.is_some())
            .finish()
    }
}

impl Job {
    /// A job whose work is blocking (database work): it runs on tokio's blocking
    /// threads.
    pub fn blocking<F>(name: &str, schedule: Schedule, f: F) -> Job
    where
        F: Fn(NaiveDateTime) -> anyhow::Result<Summary> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        Job::asynchronous(name, schedule, move |now| {
            let f = f.clone();
            async move {
                match tokio::task::spawn_blocking(move || f(now)).await {
                    Ok(result) => result,
                    Err(e) if e.is_panic() => Err(anyhow::anyhow!(
                        "the job panicked: {}",
                        panic_message(e.into_panic())
                    )),
                    Err(e) => Err(anyhow::anyhow!("the job did not finish: {e}")),
                }
            }
        })
    }

    /// A job whose work is a future.
    pub fn asynchronous<F, Fut>(name: &str, schedule: Schedule, f: F) -> Job
    where
        F: Fn(NaiveDateTime) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<Summary>> + Send + 'static,
    {
        Job {
            name: name.to_string(),
            schedule,
            run: Box::new(move |now| Box::pin(f(now))),
            wake: None,
        }
    }

    /// Besides its schedule, the job also runs at once whenever `wake` is
    /// notified, in the instance that notified it and without claiming a run: for
    /// work that is safe to do at any time, in any instance (the outbox, whose
    /// emails carry claims of their own), so that it happens promptly.
    pub fn woken_by(mut self, wake: Arc<Notify>) -> Job {
        self.wake = Some(wake);
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn schedule(&self) -> Schedule {
        self.schedule
    }
}

/// The text of a panic's payload.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

// --- the runner ---

/// How the runner claims, retries and polls.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Names this instance in `job_runs.lease_owner` and in logs.
    pub owner: String,
    /// How long a claim holds; another instance takes a run over after this.
    /// Well above the longest run.
    pub lease: TimeDelta,
    /// Attempts at one scheduled run before it is given up.
    pub max_attempts: i32,
    /// The wait after the first failed attempt; doubled after each next one.
    pub first_backoff: TimeDelta,
    /// The longest wait between attempts.
    pub max_backoff: TimeDelta,
    /// How often (real time) a spawned runner checks whether a job is due.
    pub poll: std::time::Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            owner: default_owner(),
            lease: TimeDelta::minutes(30),
            max_attempts: 5,
            first_backoff: TimeDelta::minutes(1),
            max_backoff: TimeDelta::hours(1),
            poll: std::time::Duration::from_secs(15),
        }
    }
}

/// `<host>-<pid>`: unique among instances that run at the same time.
fn default_owner() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .unwrap_or_else(|| "leerpad".into());
    format!("{host}-{}", std::process::id())
}

impl RunnerConfig {
    /// The wait after the `attempt`-th failed attempt: `first_backoff`,
    /// doubled each time, at most `max_backoff`.
    pub fn backoff(&self, attempt: i32) -> TimeDelta {
        let doublings = (attempt.max(1) - 1).min(30) as u32;
        let secs = self
            .first_backoff
            .num_seconds()
            .max(1)
            .saturating_mul(1i64 << doublings);
        TimeDelta::seconds(secs.min(self.max_backoff.num_seconds().max(1)))
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok(Summary),
    /// An error or a panic; `retry_at` is when it is tried again, `None` when it
    /// was the last attempt.
    Failed {
        error: String,
        retry_at: Option<NaiveDateTime>,
    },
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok(_))
    }
}

/// One attempt this runner made at a scheduled run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub job: String,
    pub run_key: String,
    pub attempt: i32,
    pub outcome: Outcome,
}

/// Runs the registered jobs; see the crate documentation. One per instance.
pub struct Runner {
    db: Db,
    clock: Arc<dyn Clock>,
    jobs: Vec<Arc<Job>>,
    config: RunnerConfig,
    /// Per job, the run key known to be settled (done or given up): not asked
    /// about again until the next period.
    settled: Mutex<HashMap<String, String>>,
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("jobs", &self.jobs)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Runner {
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: RunnerConfig) -> Runner {
        Runner {
            db,
            clock,
            jobs: Vec::new(),
            config,
            settled: Mutex::new(HashMap::new()),
        }
    }

    /// Adds a job. Names must be unique: the first wins, a second is refused.
    pub fn register(&mut self, job: Job) -> &mut Runner {
        if self.jobs.iter().any(|j| j.name == job.name) {
            tracing::error!(job = %job.name, "a job of this name is registered already");
        } else {
            self.jobs.push(Arc::new(job));
        }
        self
    }

    pub fn jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter().map(|j| j.as_ref())
    }

    pub fn config(&self) -> &RunnerConfig {
        &self.config
    }

    /// Runs every job whose current period this instance can claim, one after
    /// the other, at the clock's time; returns what it ran. A database failure
    /// skips the job until the next tick.
    pub async fn tick(&self) -> Vec<Ran> {
        let mut ran = Vec::new();
        for job in &self.jobs {
            match self.run_due(job).await {
                Ok(Some(r)) => ran.push(r),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(job = %job.name, error = %e, "cannot claim the job's run; trying again later")
                }
            }
        }
        ran
    }

    /// Claims and runs the current period's run of `job`, if nobody did.
    async fn run_due(&self, job: &Arc<Job>) -> Result<Option<Ran>, StoreError> {
        let now = self.clock.now();
        let key = job.schedule.run_key(&job.name, now);
        if self.settled.lock().expect("settled").get(&job.name) == Some(&key) {
            return Ok(None);
        }
        let scheduled_for = job.schedule.period_start(now);
        let claimed = {
            let (db, name, key, owner) = (
                self.db.clone(),
                job.name.clone(),
                key.clone(),
                self.config.owner.clone(),
            );
            let (lease_until, max_attempts) = (now + self.config.lease, self.config.max_attempts);
            blocking(move || {
                let mut c = db.conn()?;
                let claimed = store::claim(
                    &mut c,
                    &ClaimRequest {
                        job: &name,
                        run_key: &key,
                        scheduled_for,
                        owner: &owner,
                        now,
                        lease_until,
                        max_attempts,
                    },
                )?;
                let settled = match claimed {
                    Some(_) => false,
                    None => store::run(&mut c, &key)?.is_some_and(|r| {
                        r.status().is_settled()
                            || (r.status() == store::RunStatus::Retrying
                                && r.attempts >= max_attempts)
                    }),
                };
                Ok((claimed, settled))
            })
            .await?
        };
        let (claimed, settled) = claimed;
        let Some(claimed) = claimed else {
            if settled {
                self.settle(job, &key);
            }
            return Ok(None);
        };
        if claimed.taken_over {
            tracing::warn!(job = %job.name, run = %key, attempt = claimed.attempt, "taking over a run whose holder's lease ran out");
        }
        let outcome = self.execute(job, now, Some(claimed.attempt)).await;
        let finished_at = self.clock.now();
        let next_due = job.schedule.next_due(now);
        let (db, owner) = (self.db.clone(), self.config.owner.clone());
        let id = claimed.id;
        let recorded = {
            let outcome = outcome.clone();
            blocking(move || {
                let mut c = db.conn()?;
                let how = match &outcome {
                    Outcome::Ok(s) => Finish::Ok { summary: &s.0 },
                    Outcome::Failed {
                        error,
                        retry_at: Some(at),
                    } => Finish::Retry {
                        error,
                        next_attempt_at: *at,
                    },
                    Outcome::Failed {
                        error,
                        retry_at: None,
                    } => Finish::GiveUp { error },
                };
                store::finish(&mut c, id, &owner, finished_at, &how, next_due)
            })
            .await
        };
        match recorded {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(job = %job.name, run = %key, "the run's lease ran out before it finished; another instance has it")
            }
            Err(e) => {
                tracing::error!(job = %job.name, run = %key, error = %e, "cannot record the run; another instance takes it over when the lease runs out")
            }
        }
        match &outcome {
            Outcome::Ok(_) | Outcome::Failed { retry_at: None, .. } => self.settle(job, &key),
            Outcome::Failed { .. } => {}
        }
        Ok(Some(Ran {
            job: job.name.clone(),
            run_key: key,
            attempt: claimed.attempt,
            outcome,
        }))
    }

    fn settle(&self, job: &Job, key: &str) {
        self.settled
            .lock()
            .expect("settled")
            .insert(job.name.clone(), key.to_string());
    }

    /// Runs `job` once at `now` (attempt `attempt` of a claimed run, or none:
    /// woken), catching errors and panics, with metrics and logs.
    async fn execute(&self, job: &Arc<Job>, now: NaiveDateTime, attempt: Option<i32>) -> Outcome {
        let started = Instant::now();
        let future = (job.run)(now);
        let result = match tokio::spawn(future).await {
            Ok(result) => result.map_err(|e| format!("{e:#}")),
            Err(e) if e.is_panic() => Err(format!(
                "the job panicked: {}",
                panic_message(e.into_panic())
            )),
            Err(e) => Err(format!("the job did not finish: {e}")),
        };
        let seconds = started.elapsed().as_secs_f64();
        let name = job.name.clone();
        metrics::histogram!("leerpad_job_duration_seconds", "job" => name.clone()).record(seconds);
        let outcome_label = if result.is_ok() { "ok" } else { "failed" };
        metrics::counter!("leerpad_job_runs_total", "job" => name, "outcome" => outcome_label)
            .increment(1);
        match result {
            Ok(summary) => {
                tracing::info!(job = %job.name, seconds, "{summary}");
                Outcome::Ok(summary)
            }
            Err(error) => {
                let retry_at = attempt
                    .filter(|a| *a < self.config.max_attempts)
                    .map(|a| self.clock.now() + self.config.backoff(a));
                match (attempt, retry_at) {
                    (None, _) => tracing::warn!(job = %job.name, %error, "the job failed"),
                    (Some(attempt), Some(at)) => {
                        tracing::warn!(job = %job.name, attempt, retry_at = %at, %error, "the job failed; trying again later")
                    }
                    (Some(attempt), None) => {
                        tracing::error!(job = %job.name, attempt, %error, "the job failed for the last time")
                    }
                }
                Outcome::Failed { error, retry_at }
            }
        }
    }

    /// Runs the job named `name` now, whatever its schedule and without a claim
    /// (see [`Job::woken_by`]). `None` if there is no such job.
    pub async fn run_now(&self, name: &str) -> Option<Outcome> {
        let job = self.jobs.iter().find(|j| j.name == name)?.clone();
        Some(self.execute(&job, self.clock.now(), None).await)
    }

    /// Runs the jobs until `shutdown` completes: each job in a task of its own
    /// that looks every [`RunnerConfig::poll`] whether the job is due (and runs at
    /// once when a job's wake is notified), so one slow job holds up no other. A
    /// job being run is finished before it stops.
    pub fn spawn<F>(self: Arc<Self>, shutdown: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(async move {
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let names: Vec<String> = self
                .jobs
                .iter()
                .map(|j| format!("{} ({})", j.name, j.schedule))
                .collect();
            tracing::info!(owner = %self.config.owner, jobs = %names.join(", "), "job runner started");
            let mut tasks = Vec::new();
            for job in self.jobs.clone() {
                let runner = self.clone();
                let mut stop = stop_rx.clone();
                tasks.push(tokio::spawn(async move {
                    let mut ticker = tokio::time::interval(runner.config.poll);
                    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    let wake = job.wake.clone().unwrap_or_default();
                    loop {
                        let woken = tokio::select! {
                            biased;
                            _ = stop.changed() => break,
                            _ = ticker.tick() => false,
                            _ = wake.notified() => true,
                        };
                        if woken {
                            runner.execute(&job, runner.clock.now(), None).await;
                        }
                        if let Err(e) = runner.run_due(&job).await {
                            tracing::warn!(job = %job.name, error = %e, "cannot claim the job's run; trying again later");
                        }
                    }
                }));
            }
            shutdown.await;
            let _ = stop_tx.send(true);
            for t in tasks {
                let _ = t.await;
            }
            tracing::info!("job runner stopped");
        })
    }
}

/// Runs blocking database work off the async threads.
async fn blocking<T, F>(f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::internal("a database task did not finish", e))?
}

#[cfg(test)]
mod tests;

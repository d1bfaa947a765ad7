//! The outbox worker: claims due emails, sends them, and records the outcome.
//!
//! Any number of workers may run at once, in one process or many, on one
//! database: a claim is a lease ([`WorkerConfig::lease`]) that no other worker can
//! take while it runs. Temporary failures are retried with backoff; permanent ones
//! (a 5xx about the email, an invalid address) fail the email at once. When the
//! server itself is unreachable, the rest of the batch is handed back unattempted.
//! Database calls run on tokio's blocking threads.
//!
//! An email queued as a template ([`Payload::Template`], as nudges are) is rendered
//! here, just before it is sent, with the worker's [`Templates`]: give it the
//! server's, theme folders included. One that does not render (a template missing
//! or broken in the theme) fails at once, with the reason in `last_error`.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use leerpad_store::outbox::{self, ClaimedEmail, RetryOutcome};
use leerpad_store::{Db, DbConnection, StoreError, StoreResult};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::templates::Templates;
use crate::transport::Mailer;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker in logs.
    pub name: String,
    /// Emails claimed at a time.
    pub batch_size: i64,
    /// How long a claim holds. Must be well above the time one batch can take;
    /// the worker hands back what it has not sent once half of it has passed.
    pub lease: Duration,
    /// Attempts before a temporarily failing email is given up (`failed`). With
    /// the backoff of 1, 2, 4, … minutes capped at an hour, 12 attempts span about
    /// six hours.
    pub max_attempts: i32,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            name: format!("mail-{}", std::process::id()),
            batch_size: 20,
            lease: Duration::from_secs(10 * 60),
            max_attempts: 12,
        }
    }
}

/// What one [`OutboxWorker::run_once`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub claimed: usize,
    pub sent: usize,
    /// Failed temporarily; due again later.
    pub retried: usize,
    /// Given up: a permanent error, or the last attempt.
    pub failed: usize,
    /// Handed back unattempted (server down, lease running out).
    pub released: usize,
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} claimed, {} sent, {} to retry, {} failed, {} handed back",
            self.claimed, self.sent, self.retried, self.failed, self.released
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a database task did not finish: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Sends the outbox. Clones share one worker (and its wake-up signal).
#[derive(Clone)]
pub struct OutboxWorker {
    inner: Arc<Inner>,
}

struct Inner {
    mailer: Arc<Mailer>,
    templates: Arc<Templates>,
    config: WorkerConfig,
    wake: Notify,
}

impl fmt::Debug for OutboxWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxWorker")
            .field("mailer", &self.inner.mailer)
            .field("templates", &self.inner.templates)
            .field("config", &self.inner.config)
            .finish()
    }
}

impl OutboxWorker {
    /// A worker sending with `mailer` that renders emails queued as templates with
    /// the built-in default theme only. A server with a theme uses
    /// [`OutboxWorker::with_templates`].
    pub fn new(mailer: impl Into<Arc<Mailer>>, config: WorkerConfig) -> OutboxWorker {
        OutboxWorker::with_templates(mailer, Templates::builtin(), config)
    }

    /// A worker sending with `mailer` that renders emails queued as templates with
    /// `templates`: the server's, with its theme folders, so that a nudge looks as
    /// the theme says.
    pub fn with_templates(
        mailer: impl Into<Arc<Mailer>>,
        templates: impl Into<Arc<Templates>>,
        config: WorkerConfig,
    ) -> OutboxWorker {
        OutboxWorker {
            inner: Arc::new(Inner {
                mailer: mailer.into(),
                templates: templates.into(),
                config,
                wake: Notify::new(),
            }),
        }
    }

    pub fn config(&self) -> &WorkerConfig {
        &self.inner.config
    }

    pub fn mailer(&self) -> &Mailer {
        &self.inner.mailer
    }

    /// The templates emails queued as templates are rendered with.
    pub fn templates(&self) -> &Templates {
        &self.inner.templates
    }

    /// Makes the spawned loop run now instead of at its next tick: call it after
    /// committing a transaction that enqueued email. A wake while a run is going
    /// on gives one more run right after it.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Claims the emails due at `now` (one batch), sends each, and records the
    /// outcome with `now` as the time. Returns an error only when the database
    /// fails; send failures are recorded on the emails.
    pub async fn run_once(&self, db: &Db, now: NaiveDateTime) -> Result<RunSummary, WorkerError> {
        let cfg = &self.inner.config;
        let (name, lease, batch) = (cfg.name.clone(), cfg.lease, cfg.batch_size);
        let claimed =
            with_conn(db, move |c| outbox::claim_due(c, &name, now, lease, batch)).await?;
        let started = Instant::now();
        let mut summary = RunSummary {
            claimed: claimed.len(),
            ..RunSummary::default()
        };
        let mut emails = claimed.into_iter();
        let result = self
            .send_all(db, now, started, &mut emails, &mut summary)
            .await;

        // Whatever was not attempted goes back, due at once for any worker.
        let rest: Vec<i32> = emails.map(|e| e.id).collect();
        if !rest.is_empty() {
            summary.released += rest.len();
            let released = with_conn(db, move |c| {
                for id in rest {
                    outbox::release(c, id)?;
                }
                Ok(())
            })
            .await;
            if let Err(e) = released {
                // The leases run out by themselves.
                tracing::warn!(error = %e, "could not hand back unsent emails");
            }
        }
        result.map(|()| summary)
    }

    async fn send_all(
        &self,
        db: &Db,
        now: NaiveDateTime,
        started: Instant,
        emails: &mut std::vec::IntoIter<ClaimedEmail>,
        summary: &mut RunSummary,
    ) -> Result<(), WorkerError> {
        let cfg = &self.inner.config;
        let max_attempts = cfg.max_attempts;
        for email in emails.by_ref() {
            if started.elapsed() > cfg.lease / 2 {
                tracing::warn!(worker = %cfg.name, "half the lease has passed; handing the rest of the batch back");
                // This one was not attempted either.
                let id = email.id;
                summary.released += 1;
                with_conn(db, move |c| outbox::release(c, id)).await?;
                break;
            }
            let id = email.id;
            let kind = email.kind.clone();
            let message = match self.inner.templates.render_payload(&email.message) {
                Ok(message) => message,
                Err(e) => {
                    // The theme will not render it on a later attempt either.
                    let error = format!("the email cannot be rendered: {e}");
                    tracing::error!(id, %kind, %error, "email not sent: cannot render it");
                    with_conn(db, move |c| outbox::mark_failed(c, id, &error)).await?;
                    summary.failed += 1;
                    continue;
                }
            };
            match self
                .inner
                .mailer
                .send_queued(&email.dedupe_key, &email.recipient, &message)
                .await
            {
                Ok(()) => {
                    record_sent(db, id, now).await?;
                    summary.sent += 1;
                    tracing::debug!(id, %kind, "email sent");
                }
                Err(e) if e.is_transient() => {
                    let error = e.to_string();
                    let outcome = with_conn(db, move |c| {
                        outbox::mark_retry(c, id, now, &error, max_attempts)
                    })
                    .await?;
                    match outcome {
                        RetryOutcome::Retrying { next_attempt_at } => {
                            summary.retried += 1;
                            tracing::warn!(id, %kind, attempt = email.attempts + 1, %next_attempt_at, error = %e, "email not sent; will retry");
                        }
                        RetryOutcome::Failed => {
                            summary.failed += 1;
                            tracing::error!(id, %kind, attempts = email.attempts + 1, error = %e, "email not sent; giving up after the last attempt");
                        }
                    }
                    if e.is_server_failure() {
                        break;
                    }
                }
                Err(e) => {
                    let error = e.to_string();
                    with_conn(db, move |c| outbox::mark_failed(c, id, &error)).await?;
                    summary.failed += 1;
                    tracing::error!(id, %kind, error = %e, "email not sent: permanent error");
                }
            }
        }
        Ok(())
    }

    /// Sends batches until nothing is due at `now` (a batch that was not full, or
    /// one that handed emails back, ends it), and adds up what they did: one run
    /// of the job runner's `outbox` job. An error only when the database fails.
    pub async fn drain(&self, db: &Db, now: NaiveDateTime) -> Result<RunSummary, WorkerError> {
        let mut total = RunSummary::default();
        loop {
            let s = self.run_once(db, now).await?;
            total.claimed += s.claimed;
            total.sent += s.sent;
            total.retried += s.retried;
            total.failed += s.failed;
            total.released += s.released;
            if (s.claimed as i64) < self.inner.config.batch_size || s.released > 0 {
                return Ok(total);
            }
        }
    }

    /// Runs the worker until `shutdown` completes: every `interval`, and at once
    /// on [`OutboxWorker::wake`], it sends batches until nothing is due. A batch
    /// being sent is finished before it stops. Database failures are logged and
    /// tried again at the next tick. Uses the system clock (UTC).
    pub fn spawn<F>(&self, db: Db, interval: Duration, shutdown: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let worker = self.clone();
        tokio::spawn(async move {
            let cfg = &worker.inner.config;
            tracing::info!(
                worker = %cfg.name,
                transport = worker.inner.mailer.describe(),
                interval_secs = interval.as_secs_f64(),
                "email worker started"
            );
            let mut shutdown = std::pin::pin!(shutdown);
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            'outer: loop {
                tokio::select! {
                    biased;
                    _ = &mut shutdown => break 'outer,
                    _ = ticker.tick() => {}
                    _ = worker.inner.wake.notified() => {}
                }
                loop {
                    let now = chrono::Utc::now().naive_utc();
                    match worker.run_once(&db, now).await {
                        Ok(s) => {
                            if s.claimed > 0 {
                                tracing::info!(worker = %cfg.name, "outbox: {s}");
                            }
                            // A full batch may mean more is due; anything handed
                            // back waits for the next tick.
                            if (s.claimed as i64) < cfg.batch_size || s.released > 0 {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(worker = %cfg.name, error = %e, "outbox: database unavailable; trying again at the next tick");
                            break;
                        }
                    }
                    let stop = tokio::select! {
                        biased;
                        _ = &mut shutdown => true,
                        _ = std::future::ready(()) => false,
                    };
                    if stop {
                        break 'outer;
                    }
                }
            }
            tracing::info!(worker = %cfg.name, "email worker stopped");
        })
    }
}

/// A sent email must be recorded, or it is sent again once its lease runs out:
/// try a few times before giving up.
async fn record_sent(db: &Db, id: i32, now: NaiveDateTime) -> Result<(), WorkerError> {
    let mut delay = Duration::from_millis(100);
    let mut tries = 0;
    loop {
        match with_conn(db, move |c| outbox::mark_sent(c, id, now)).await {
            Ok(()) => return Ok(()),
            Err(WorkerError::Store(StoreError::Conflict(msg))) => {
                // Not pending any more: its lease ran out and another worker took it.
                tracing::warn!(id, "email sent, but {msg}");
                return Ok(());
            }
            Err(e) if tries < 3 => {
                tracing::warn!(id, error = %e, "email sent but not yet recorded; trying again");
                tries += 1;
                tokio::time::sleep(delay).await;
                delay *= 4;
            }
            Err(e) => {
                tracing::error!(id, error = %e, "email sent but not recorded: it will be sent again when its claim runs out");
                return Err(e);
            }
        }
    }
}

async fn with_conn<T, F>(db: &Db, f: F) -> Result<T, WorkerError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> StoreResult<T> + Send + 'static,
{
    let db = db.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut c = db.conn()?;
        f(&mut c)
    })
    .await?;
    Ok(result?)
}

//! The registry of periodic work: every job the job runner (`leerpad-jobs`) runs,
//! in one place. `leerpad serve` (unless `jobs = false`) and `leerpad worker` run
//! it. A new area's periodic work is one more `register` here, calling into the
//! area's own code; see ARCHITECTURE.md, "Adding an area".
//!
//! | job | schedule | what |
//! |---|---|---|
//! | `outbox` | every minute, and at once when email was queued | sends the emails that are due |
//! | `nudges` | every `nudge_interval_minutes` | queues the reminders that are due |
//! | `digest` | every `nudge_interval_minutes` | queues the coordinators' weekly digests once they are due in the week |
//! | `prune` | every hour | deletes ended sessions, used links, old rate limits and old job runs |

use std::sync::Arc;

use anyhow::Context;
use chrono::{NaiveDateTime, TimeDelta};
use leerpad_app::nudges::NudgeRunner;
use leerpad_app::Config;
use leerpad_jobs::{Clock, Job, Runner, RunnerConfig, Schedule, Summary};
use leerpad_mail::{Mailer, OutboxWorker, Templates, WorkerConfig};
use leerpad_store::{accounts, jobs as runs, Db};
use tokio::sync::Notify;

/// How long the runs of the job runner are kept (each job's latest always).
const KEEP_RUNS: TimeDelta = TimeDelta::days(14);

/// The job runner with every job registered. `outbox_wake`, notified when email
/// was queued, makes the outbox job send it at once.
pub fn runner(
    config: &Config,
    db: Db,
    clock: Arc<dyn Clock>,
    outbox_wake: Arc<Notify>,
) -> anyhow::Result<Runner> {
    let mut runner = Runner::new(db.clone(), clock, RunnerConfig::default());

    let mailer = Mailer::new(&config.mail_transport()).context("the mail settings do not work")?;
    if let leerpad_mail::Transport::Files { dir, .. } = config.mail_transport() {
        tracing::info!(dir = %dir.display(), "no SMTP server configured: email is written to files");
    }
    // Emails queued as templates (nudges, digests) are rendered with the theme's
    // templates, as the web layer would.
    let templates = Templates::new(config.site.theme_dir.iter().cloned());
    let worker = OutboxWorker::with_templates(mailer, templates, WorkerConfig::default());
    runner.register(outbox(worker, db.clone()).woken_by(outbox_wake.clone()));

    if config.jobs.nudge_interval_minutes > 0 {
        let nudges = Arc::new(
            NudgeRunner::from_config(config, db.clone())
                .context("the nudge email templates do not work")?,
        );
        let every = Schedule::every_minutes(config.jobs.nudge_interval_minutes);
        runner.register(nudge_job(nudges.clone(), every, outbox_wake.clone()));
        runner.register(digest_job(nudges, every, outbox_wake));
    } else {
        tracing::info!("nudges and weekly digests are off (nudge_interval_minutes = 0)");
    }

    runner.register(prune_job(db));
    Ok(runner)
}

/// Sends what is due in the outbox. Any number may run at once (each email is
/// claimed), so a wake runs it outside its schedule.
fn outbox(worker: OutboxWorker, db: Db) -> Job {
    Job::asynchronous("outbox", Schedule::every_minutes(1), move |now| {
        let (worker, db) = (worker.clone(), db.clone());
        async move {
            let s = worker.drain(&db, now).await?;
            Ok(Summary(s.to_string()))
        }
    })
}

/// Queues the nudges that are due ([`NudgeRunner::run_nudges`]). Nudges that
/// could not be rendered fail the run (after the others were queued), so it is
/// retried and the reason shows on the status page.
fn nudge_job(nudges: Arc<NudgeRunner>, every: Schedule, wake: Arc<Notify>) -> Job {
    Job::blocking("nudges", every, move |now: NaiveDateTime| {
        let report = nudges.run_nudges(now, false)?;
        if report.queued() > 0 {
            wake.notify_one();
        }
        let summary = format!(
            "{} nudge(s) queued, {} already queued, {} left for the next run; {} enrolment(s); {:.0} ms",
            report.queued(),
            report.already_queued(),
            report.deferred,
            report.enrolments,
            report.timings.total_ms
        );
        if report.failed() > 0 {
            let first = report.nudges.iter().find_map(|n| match &n.outcome {
                leerpad_app::nudges::Outcome::Failed { error } => Some(error.clone()),
                _ => None,
            });
            anyhow::bail!(
                "{} nudge(s) could not be rendered ({}); {summary}",
                report.failed(),
                first.unwrap_or_default()
            );
        }
        Ok(Summary(summary))
    })
}

/// Queues the coordinators' weekly digests once they are due in the week
/// ([`leerpad_app::digest::DigestRunner::run`] decides; its outbox keys make
/// them once a week).
fn digest_job(nudges: Arc<NudgeRunner>, every: Schedule, wake: Arc<Notify>) -> Job {
    Job::blocking("digest", every, move |now: NaiveDateTime| {
        let report = nudges.digests().run(now, false)?;
        if report.queued() > 0 {
            wake.notify_one();
            tracing::info!(queued = report.queued(), week = %report.week.key, "weekly digests queued");
        }
        if report.failed() > 0 {
            anyhow::bail!(
                "{} weekly digest(s) could not be rendered; {report}",
                report.failed()
            );
        }
        Ok(Summary(format!(
            "week {}: {} digest(s) queued",
            report.week.key,
            report.queued()
        )))
    })
}

/// Deletes ended sessions, used links, old rate-limit windows (see
/// `accounts::prune`) and job runs older than [`KEEP_RUNS`].
fn prune_job(db: Db) -> Job {
    Job::blocking("prune", Schedule::every_hours(1), move |now| {
        let mut c = db.conn()?;
        let p = accounts::prune(&mut c, now)?;
        let jobs = runs::prune(&mut c, now - KEEP_RUNS)?;
        Ok(Summary(format!(
            "pruned {} session(s), {} link(s), {} rate-limit window(s), {jobs} job run(s)",
            p.sessions, p.tokens, p.rate_limits
        )))
    })
}

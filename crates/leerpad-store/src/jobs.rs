//! The job runner's runs (`job_runs`): who runs which scheduled run of a periodic
//! job, and how it went.
//!
//! A scheduled run is named by its key, the job's name and the start of the period
//! it belongs to (`nudges@2026-12-04T10:00`), unique in the table. [`claim`] gives
//! it to exactly one caller across connections, processes and instances: the first
//! INSERT of the key wins; afterwards only an UPDATE whose conditions hold (the
//! holder's lease ran out, or a failed attempt is due for a retry) takes it over,
//! and two such UPDATEs cannot both match, because the first changes what the
//! second tests. The runner itself (`leerpad-jobs`) decides periods, backoff and
//! when to give up; this module only records.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConnection;
use crate::per_backend;
use crate::schema::job_runs;
use crate::StoreResult;

/// A run's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Claimed and being run (or its holder crashed; see `lease_until`).
    Running,
    /// Finished.
    Ok,
    /// An attempt failed; tried again from `next_attempt_at`.
    Retrying,
    /// Given up: the last attempt failed, or the next period's run superseded it.
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Ok => "ok",
            RunStatus::Retrying => "retrying",
            RunStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        Some(match s {
            "running" => RunStatus::Running,
            "ok" => RunStatus::Ok,
            "retrying" => RunStatus::Retrying,
            "failed" => RunStatus::Failed,
            _ => return None,
        })
    }

    /// Whether nothing more will happen to the run (it is not claimed again).
    pub fn is_settled(self) -> bool {
        matches!(self, RunStatus::Ok | RunStatus::Failed)
    }
}

/// One row of `job_runs`.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = job_runs)]
pub struct JobRun {
    pub id: i32,
    pub job: String,
    pub run_key: String,
    pub scheduled_for: NaiveDateTime,
    #[diesel(column_name = status)]
    #[serde(skip)]
    pub status_text: String,
    pub attempts: i32,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub next_due_at: Option<NaiveDateTime>,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub summary: Option<String>,
    pub last_error: Option<String>,
}

impl JobRun {
    /// The run's status; an unknown word (a newer version's) reads as `failed`.
    pub fn status(&self) -> RunStatus {
        RunStatus::parse(&self.status_text).unwrap_or(RunStatus::Failed)
    }
}

/// A run this caller now holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimed {
    pub id: i32,
    /// This attempt's number, from 1.
    pub attempt: i32,
    /// Whether an earlier attempt's holder lost its lease (crashed or hung).
    pub taken_over: bool,
}

/// What a caller is asking to claim.
#[derive(Debug, Clone, Copy)]
pub struct ClaimRequest<'a> {
    pub job: &'a str,
    pub run_key: &'a str,
    pub scheduled_for: NaiveDateTime,
    /// Names the instance in the row (`lease_owner`).
    pub owner: &'a str,
    pub now: NaiveDateTime,
    pub lease_until: NaiveDateTime,
    /// A run that already had this many attempts is not claimed again.
    pub max_attempts: i32,
}

/// Claims the scheduled run `run_key` for `owner` until `lease_until`, if nobody
/// has it: when the key is new, or its holder's lease ran out before `now`, or its
/// last attempt failed and a retry is due at `now`; never after `max_attempts`
/// attempts. `None` when another holds it or it is settled. A new key also gives
/// up the job's older runs still waiting for a retry: their period is over.
pub fn claim(c: &mut DbConnection, r: &ClaimRequest<'_>) -> StoreResult<Option<Claimed>> {
    let row = (
        job_runs::job.eq(r.job),
        job_runs::run_key.eq(r.run_key),
        job_runs::scheduled_for.eq(r.scheduled_for),
        job_runs::status.eq(RunStatus::Running.as_str()),
        job_runs::attempts.eq(1),
        job_runs::lease_owner.eq(Some(r.owner)),
        job_runs::lease_until.eq(Some(r.lease_until)),
        job_runs::started_at.eq(r.now),
    );
    let inserted: Option<i32> = per_backend!(c, |b| diesel::insert_into(job_runs::table)
        .values(&row)
        .on_conflict(job_runs::run_key)
        .do_nothing()
        .returning(job_runs::id)
        .get_result(b)
        .optional())?;
    if let Some(id) = inserted {
        diesel::update(
            job_runs::table
                .filter(job_runs::job.eq(r.job))
                .filter(job_runs::status.eq(RunStatus::Retrying.as_str()))
                .filter(job_runs::id.ne(id)),
        )
        .set((
            job_runs::status.eq(RunStatus::Failed.as_str()),
            job_runs::next_attempt_at.eq(None::<NaiveDateTime>),
        ))
        .execute(c)?;
        return Ok(Some(Claimed {
            id,
            attempt: 1,
            taken_over: false,
        }));
    }
    let expired = job_runs::status
        .eq(RunStatus::Running.as_str())
        .and(job_runs::lease_until.lt(r.now));
    let retry = job_runs::status
        .eq(RunStatus::Retrying.as_str())
        .and(job_runs::next_attempt_at.le(r.now));
    let taken: Option<(i32, i32, String)> = {
        // Which of the two it is, read before, decides only `taken_over`; the
        // UPDATE's own conditions decide the claim.
        let before: Option<String> = job_runs::table
            .filter(job_runs::run_key.eq(r.run_key))
            .select(job_runs::status)
            .first(c)
            .optional()?;
        let target = job_runs::table
            .filter(job_runs::run_key.eq(r.run_key))
            .filter(job_runs::attempts.lt(r.max_attempts))
            .filter(expired.or(retry));
        let set = (
            job_runs::status.eq(RunStatus::Running.as_str()),
            job_runs::attempts.eq(job_runs::attempts + 1),
            job_runs::lease_owner.eq(Some(r.owner)),
            job_runs::lease_until.eq(Some(r.lease_until)),
            job_runs::next_attempt_at.eq(None::<NaiveDateTime>),
            job_runs::started_at.eq(r.now),
            job_runs::finished_at.eq(None::<NaiveDateTime>),
        );
        let updated: Option<(i32, i32)> = per_backend!(c, |b| diesel::update(target)
            .set(set)
            .returning((job_runs::id, job_runs::attempts))
            .get_result(b)
            .optional())?;
        updated.map(|(id, attempts)| (id, attempts, before.unwrap_or_default()))
    };
    Ok(taken.map(|(id, attempt, before)| Claimed {
        id,
        attempt,
        taken_over: before == RunStatus::Running.as_str(),
    }))
}

/// How an attempt ended, to record with [`finish`].
#[derive(Debug, Clone)]
pub enum Finish<'a> {
    Ok {
        summary: &'a str,
    },
    /// Failed; tried again from `next_attempt_at`.
    Retry {
        error: &'a str,
        next_attempt_at: NaiveDateTime,
    },
    /// Failed for the last time.
    GiveUp {
        error: &'a str,
    },
}

/// Records how `owner`'s attempt at run `id` ended, at `now`, and when the job is
/// due next. Returns `false`, changing nothing, when `owner` no longer holds the
/// run (its lease ran out and another instance took it over).
pub fn finish(
    c: &mut DbConnection,
    id: i32,
    owner: &str,
    now: NaiveDateTime,
    how: &Finish<'_>,
    next_due_at: NaiveDateTime,
) -> StoreResult<bool> {
    let held = job_runs::table
        .filter(job_runs::id.eq(id))
        .filter(job_runs::lease_owner.eq(owner))
        .filter(job_runs::status.eq(RunStatus::Running.as_str()));
    let (status, summary, error, retry_at) = match how {
        Finish::Ok { summary } => (RunStatus::Ok, Some(clip(summary)), None, None),
        Finish::Retry {
            error,
            next_attempt_at,
        } => (
            RunStatus::Retrying,
            None,
            Some(clip(error)),
            Some(*next_attempt_at),
        ),
        Finish::GiveUp { error } => (RunStatus::Failed, None, Some(clip(error)), None),
    };
    let next_due = retry_at.unwrap_or(next_due_at);
    let n = match error {
        // A success keeps the last error of an earlier attempt, so it stays
        // visible that the run needed a retry.
        None => diesel::update(held)
            .set((
                job_runs::status.eq(status.as_str()),
                job_runs::lease_until.eq(None::<NaiveDateTime>),
                job_runs::next_attempt_at.eq(retry_at),
                job_runs::next_due_at.eq(Some(next_due)),
                job_runs::finished_at.eq(Some(now)),
                job_runs::summary.eq(summary),
            ))
            .execute(c)?,
        Some(error) => diesel::update(held)
            .set((
                job_runs::status.eq(status.as_str()),
                job_runs::lease_until.eq(None::<NaiveDateTime>),
                job_runs::next_attempt_at.eq(retry_at),
                job_runs::next_due_at.eq(Some(next_due)),
                job_runs::finished_at.eq(Some(now)),
                job_runs::last_error.eq(Some(error)),
            ))
            .execute(c)?,
    };
    Ok(n > 0)
}

/// The run with this key, if any.
pub fn run(c: &mut DbConnection, run_key: &str) -> StoreResult<Option<JobRun>> {
    Ok(job_runs::table
        .filter(job_runs::run_key.eq(run_key))
        .select(JobRun::as_select())
        .first(c)
        .optional()?)
}

/// Every run of `job`, oldest period first.
pub fn runs_of(c: &mut DbConnection, job: &str) -> StoreResult<Vec<JobRun>> {
    Ok(job_runs::table
        .filter(job_runs::job.eq(job))
        .order((job_runs::scheduled_for.asc(), job_runs::id.asc()))
        .select(JobRun::as_select())
        .load(c)?)
}

/// The latest run of every job that has run, by job name.
pub fn latest_runs(c: &mut DbConnection) -> StoreResult<Vec<JobRun>> {
    let names: Vec<String> = job_runs::table
        .select(job_runs::job)
        .distinct()
        .order(job_runs::job.asc())
        .load(c)?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let latest: Option<JobRun> = job_runs::table
            .filter(job_runs::job.eq(&name))
            .order((job_runs::scheduled_for.desc(), job_runs::id.desc()))
            .select(JobRun::as_select())
            .first(c)
            .optional()?;
        out.extend(latest);
    }
    Ok(out)
}

/// Deletes settled runs of periods before `before`, keeping each job's latest
/// run. Returns how many went.
pub fn prune(c: &mut DbConnection, before: NaiveDateTime) -> StoreResult<usize> {
    let latest: Vec<i32> = latest_runs(c)?.into_iter().map(|r| r.id).collect();
    Ok(diesel::delete(
        job_runs::table
            .filter(job_runs::scheduled_for.lt(before))
            .filter(job_runs::status.eq_any([RunStatus::Ok.as_str(), RunStatus::Failed.as_str()]))
            .filter(job_runs::id.ne_all(latest)),
    )
    .execute(c)?)
}

/// Error texts are kept to a readable length.
fn clip(s: &str) -> String {
    const MAX: usize = 2000;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

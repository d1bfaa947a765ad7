//! The weekly digest for coordinators: one email per coordinator, per organisation
//! they coordinate, per ISO week, with the organisation's progress.
//!
//! [`DigestRunner::run`] is called by [`NudgeRunner::run`](crate::nudges::NudgeRunner::run)
//! right after the nudges, so it has the same schedule (`leerpad serve` every
//! `nudge_interval_minutes`, `leerpad nudge run [--dry-run]` once). A week's digests
//! are due from `digest_weekday` at `digest_hour` (server time, [`DigestSchedule`]);
//! the first run on or after that moment in the week queues them. Each has the
//! outbox de-duplication key `digest:<user>:<organisation id>:<ISO year>-W<week>`
//! ([`leerpad_store::nudges::digest_key`]), so later runs that week, and runners on
//! other instances, do not send it again; runs first look up which keys are in the
//! outbox, so after the digests went out a run costs three small queries.
//!
//! What it holds is what the dashboard shows without filters
//! ([`crate::reports::summarise`]): per course the learners, completed (and how
//! many in the past 7 days), in progress, not started, invited, overdue and the
//! completion rate; then the overdue learners (at most 10, by deadline, and how many
//! more), links to the dashboard, its overdue filter and the notification
//! preferences. It is rendered in the coordinator's language from the theme's
//! `emails/digest/` templates and carries the same one-click unsubscribe headers as
//! the nudges.
//!
//! Who gets one: coordinators whose account is not disabled, who accepted their
//! invitation, and whose notification preference is not `none` (`deadlines` still
//! gets it: the digest is about their work, not a reminder to learn), of an
//! organisation whose members have at least one enrolment.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Weekday};
use leerpad_core::nudges::Preference;
use leerpad_core::report::{DateField, ReportQuery, ReportRow, SortColumn, Status};
use leerpad_mail::{OutgoingEmail, StoredMessage, Templates};
use leerpad_store::nudges::{self as store, DigestRecipient};
use leerpad_store::organisations::{self, Organisation};
use leerpad_store::{outbox, reports as stored, Db, DbConnection, StoreError, StoreResult};
use serde::Serialize;

use crate::config::Config;
use crate::reports::{self, ExportError};
use crate::signed::unsubscribe_token;
use leerpad_core::dates::long_date_for;

/// The email template of the digest (`emails/digest/`).
pub const TEMPLATE: &str = "digest";

/// Overdue learners listed by name at most; the rest are counted.
pub const OVERDUE_LISTED: usize = 10;

/// "Completed this past week": completions in this many days before the run.
pub const RECENT_DAYS: i64 = 7;

// --- when ---

/// When a week's digests are due: from `weekday` at `hour`:00, in the server's time
/// zone unless `utc_offset` says otherwise (tests use a fixed one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestSchedule {
    pub weekday: Weekday,
    pub hour: u32,
    /// `None`: the server's local time zone.
    pub utc_offset: Option<FixedOffset>,
}

impl Default for DigestSchedule {
    /// Mondays from 07:00, server time (the configuration's defaults).
    fn default() -> Self {
        DigestSchedule {
            weekday: Weekday::Mon,
            hour: 7,
            utc_offset: None,
        }
    }
}

impl DigestSchedule {
    /// `digest_weekday` and `digest_hour` of the configuration, in server time.
    pub fn from_config(config: &Config) -> anyhow::Result<DigestSchedule> {
        anyhow::ensure!(
            config.jobs.digest_hour <= 23,
            "`digest_hour` must be an hour from 0 to 23, not {}",
            config.jobs.digest_hour
        );
        Ok(DigestSchedule {
            weekday: config.jobs.digest_weekday()?,
            hour: config.jobs.digest_hour,
            utc_offset: None,
        })
    }

    /// The ISO week `now` (UTC) is in, in the schedule's time zone, and whether
    /// its digests are due.
    pub fn week(&self, now: NaiveDateTime) -> DigestWeek {
        let local = match self.utc_offset {
            Some(offset) => offset.from_utc_datetime(&now).naive_local(),
            None => chrono::Local.from_utc_datetime(&now).naive_local(),
        };
        let iso = local.iso_week();
        let due_from = NaiveDate::from_isoywd_opt(iso.year(), iso.week(), self.weekday)
            .expect("every day of an ISO week exists")
            .and_hms_opt(self.hour.min(23), 0, 0)
            .expect("an hour of the day");
        DigestWeek {
            key: format!("{}-W{:02}", iso.year(), iso.week()),
            year: iso.year(),
            week: iso.week(),
            local_now: local,
            due_from,
            due: local >= due_from,
            zone: match self.utc_offset {
                Some(offset) => format!("UTC{offset}"),
                None => "server time".into(),
            },
        }
    }
}

/// One ISO week of digests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DigestWeek {
    /// `2026-W45`, as in the de-duplication key.
    pub key: String,
    /// The ISO week-numbering year and week number.
    pub year: i32,
    pub week: u32,
    /// The run's moment, in the schedule's time zone.
    pub local_now: NaiveDateTime,
    /// From when this week's digests are due, in the schedule's time zone.
    pub due_from: NaiveDateTime,
    pub due: bool,
    /// The time zone of `local_now` and `due_from`, in words.
    pub zone: String,
}

// --- the runner ---

/// Decides, renders and queues the weekly digests; see the module documentation.
pub struct DigestRunner {
    db: Db,
    templates: Arc<Templates>,
    base_url: String,
    secret: Vec<u8>,
    schedule: DigestSchedule,
}

impl fmt::Debug for DigestRunner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestRunner")
            .field("base_url", &self.base_url)
            .field("schedule", &self.schedule)
            .finish_non_exhaustive()
    }
}

impl DigestRunner {
    /// A runner over `db` whose emails come from `templates` and link to
    /// `base_url`; `secret` signs the unsubscribe links (as the nudges'). Mondays
    /// from 07:00 server time unless [`DigestRunner::with_schedule`] says otherwise.
    pub fn new(db: Db, templates: Arc<Templates>, base_url: &str, secret: &[u8]) -> DigestRunner {
        DigestRunner {
            db,
            templates,
            base_url: base_url.trim_end_matches('/').to_string(),
            secret: secret.to_vec(),
            schedule: DigestSchedule::default(),
        }
    }

    pub fn with_schedule(mut self, schedule: DigestSchedule) -> DigestRunner {
        self.schedule = schedule;
        self
    }

    pub fn schedule(&self) -> DigestSchedule {
        self.schedule
    }

    /// Queues, unless `dry_run`, the digests due at `now` that are not in the
    /// outbox yet, and says for every coordinator of every organisation why they
    /// get one or not. Nothing (and no line) before the week's moment. Blocking.
    pub fn run(&self, now: NaiveDateTime, dry_run: bool) -> StoreResult<DigestReport> {
        let started = Instant::now();
        let week = self.schedule.week(now);
        let mut report = DigestReport {
            now,
            dry_run,
            week: week.clone(),
            ..DigestReport::default()
        };
        if !week.due {
            report.total_ms = ms(started);
            return Ok(report);
        }
        let mut c = self.db.conn()?;
        let orgs = organisations::all(&mut c)?;
        let recipients = store::digest_recipients(&mut c)?;
        let keys: Vec<String> = recipients
            .iter()
            .map(|r| store::digest_key(r.user_id, r.organisation_id, &week.key))
            .collect();
        let in_outbox = outbox::existing_keys(&mut c, &keys)?;
        let mut by_org: BTreeMap<i32, Vec<(&DigestRecipient, &String)>> = BTreeMap::new();
        for (r, key) in recipients.iter().zip(&keys) {
            by_org.entry(r.organisation_id).or_default().push((r, key));
        }
        report.organisations = orgs.len();
        report.coordinators = recipients.len();

        for org in &orgs {
            let Some(coordinators) = by_org.get(&org.id) else {
                continue;
            };
            let mut wanted = Vec::new();
            for &(r, key) in coordinators {
                let skip = if r.disabled {
                    Some(SkipReason::Disabled)
                } else if r.preference == Preference::None {
                    Some(SkipReason::Unsubscribed)
                } else if !r.activated {
                    Some(SkipReason::NotActivated)
                } else {
                    None
                };
                match skip {
                    Some(reason) => report.push(org, r, DigestOutcome::Skipped { reason }, ""),
                    None if in_outbox.contains(key) => report.push(
                        org,
                        r,
                        DigestOutcome::AlreadyQueued,
                        "queued earlier this week",
                    ),
                    None => wanted.push((r, key)),
                }
            }
            if wanted.is_empty() {
                continue;
            }
            let digest = organisation_digest(&mut c, org, now)?;
            if digest.learners == 0 {
                for (r, _) in wanted {
                    let reason = SkipReason::NoEnrolments;
                    report.push(org, r, DigestOutcome::Skipped { reason }, "");
                }
                continue;
            }
            let why = digest.summary();
            for (r, key) in wanted {
                let outcome = match self.render(org, r, &week, &digest) {
                    Err(error) => {
                        tracing::error!(organisation = %org.slug, user = r.user_id, %error, "cannot render a weekly digest");
                        DigestOutcome::Failed { error }
                    }
                    Ok(_) if dry_run => DigestOutcome::WouldQueue,
                    Ok(message) => {
                        let email = OutgoingEmail {
                            dedupe_key: key.clone(),
                            user_id: Some(r.user_id),
                            kind: TEMPLATE.to_string(),
                            recipient: r.email.clone(),
                            message: message.into(),
                        };
                        if outbox::enqueue(&mut c, &email, now)? {
                            DigestOutcome::Queued
                        } else {
                            DigestOutcome::AlreadyQueued
                        }
                    }
                };
                report.push(org, r, outcome, &why);
            }
        }
        report.total_ms = ms(started);
        Ok(report)
    }

    fn render(
        &self,
        org: &Organisation,
        r: &DigestRecipient,
        week: &DigestWeek,
        d: &OrganisationDigest,
    ) -> Result<StoredMessage, String> {
        let base = &self.base_url;
        let link = format!("{base}/organisations/{}", org.slug);
        let unsubscribe_link = format!(
            "{base}/unsubscribe/{}",
            unsubscribe_token(&self.secret, r.user_id, &r.email)
        );
        let overdue: Vec<OverdueLine<'_>> = d
            .overdue
            .iter()
            .map(|row| OverdueLine {
                name: &row.name,
                course: &row.course_title,
                deadline: row.deadline.map(|t| long_date_for(t.date(), &r.language)),
            })
            .collect();
        let ctx = DigestContext {
            name: &r.display_name,
            organisation: &org.name,
            week: week.week,
            year: week.year,
            days: RECENT_DAYS,
            learners: d.learners,
            courses: &d.courses,
            overdue_more: d.overdue_total.saturating_sub(overdue.len() as u64),
            overdue,
            overdue_total: d.overdue_total,
            overdue_link: format!("{link}?status=overdue"),
            link,
            preferences_link: format!("{base}/me/notifications"),
            unsubscribe_link: &unsubscribe_link,
        };
        let mut message = self
            .templates
            .render(TEMPLATE, &r.language, &ctx)
            .map_err(|e| e.to_string())?;
        message.add_unsubscribe(&unsubscribe_link);
        Ok(message)
    }
}

// --- what it says ---

/// An organisation's figures for its digest.
struct OrganisationDigest {
    /// Enrolments of its members (rows of its report).
    learners: u64,
    /// Courses with enrolments, by title.
    courses: Vec<CourseDigest>,
    /// The first overdue enrolments, the longest overdue first.
    overdue: Vec<ReportRow>,
    overdue_total: u64,
}

impl OrganisationDigest {
    fn summary(&self) -> String {
        format!(
            "{} enrolment(s) in {} course(s), {} overdue",
            self.learners,
            self.courses.len(),
            self.overdue_total
        )
    }
}

/// One course's line in a digest.
#[derive(Debug, Clone, Serialize)]
struct CourseDigest {
    course_id: String,
    title: String,
    learners: u64,
    completed: u64,
    /// Completed in the [`RECENT_DAYS`] before the run.
    completed_recently: u64,
    in_progress: u64,
    not_started: u64,
    invited: u64,
    overdue: u64,
    /// Completed as a rounded-down percentage of the learners.
    completion_percent: u8,
}

/// The dashboard's figures without filters, the completions of the past week and
/// the first overdue learners: three passes over the organisation's report rows,
/// streamed.
fn organisation_digest(
    c: &mut DbConnection,
    org: &Organisation,
    now: NaiveDateTime,
) -> StoreResult<OrganisationDigest> {
    let (summary, outlines) = reports::summarise(c, org, &ReportQuery::default(), now, 0, 0)
        .map_err(|e| match e {
            ExportError::Store(e) => e,
            other => StoreError::internal("the digest's report", other),
        })?;

    let since = now - TimeDelta::days(RECENT_DAYS);
    let recent_query = ReportQuery {
        statuses: [Status::Completed].into(),
        date_field: DateField::Completed,
        from: Some(since.date()),
        ..ReportQuery::default()
    };
    let mut recent: HashMap<String, u64> = HashMap::new();
    stored::for_each_row(c, org.id, &recent_query, now, |row| -> StoreResult<()> {
        if row.completed_at.is_some_and(|t| t >= since && t <= now) {
            *recent.entry(row.course_id).or_default() += 1;
        }
        Ok(())
    })?;

    let overdue_query = ReportQuery {
        statuses: [Status::Overdue].into(),
        sort: SortColumn::Deadline,
        ..ReportQuery::default()
    };
    let mut overdue = Vec::new();
    let mut overdue_total = 0;
    stored::for_each_row(c, org.id, &overdue_query, now, |row| -> StoreResult<()> {
        overdue_total += 1;
        if overdue.len() < OVERDUE_LISTED {
            overdue.push(outlines.row(row));
        }
        Ok(())
    })?;

    let courses = summary
        .totals
        .iter()
        .filter(|t| t.enrolled > 0)
        .map(|t| CourseDigest {
            course_id: t.course_id.clone(),
            title: t.course_title.clone(),
            learners: t.enrolled,
            completed: t.count(Status::Completed),
            completed_recently: recent.get(&t.course_id).copied().unwrap_or(0),
            in_progress: t.count(Status::InProgress),
            not_started: t.count(Status::NotStarted),
            invited: t.count(Status::Invited),
            overdue: t.count(Status::Overdue),
            completion_percent: t.completion_rate(),
        })
        .collect();
    Ok(OrganisationDigest {
        learners: summary.total_rows,
        courses,
        overdue,
        overdue_total,
    })
}

/// What the digest's templates get (besides `lang`, `site_name` and `subject`).
#[derive(Serialize)]
struct DigestContext<'a> {
    /// The coordinator's name.
    name: &'a str,
    organisation: &'a str,
    /// The ISO week number and its year.
    week: u32,
    year: i32,
    /// The days `completed_recently` counts.
    days: i64,
    /// Enrolments in all.
    learners: u64,
    courses: &'a [CourseDigest],
    overdue: Vec<OverdueLine<'a>>,
    overdue_total: u64,
    /// Overdue learners not listed.
    overdue_more: u64,
    /// The dashboard.
    link: String,
    /// The dashboard with only the overdue learners.
    overdue_link: String,
    preferences_link: String,
    unsubscribe_link: &'a str,
}

#[derive(Serialize)]
struct OverdueLine<'a> {
    name: &'a str,
    course: &'a str,
    /// A date in words, in the coordinator's language.
    deadline: Option<String>,
}

// --- the report ---

/// What one run decided about the weekly digests.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DigestReport {
    pub now: NaiveDateTime,
    pub dry_run: bool,
    pub week: DigestWeek,
    /// Organisations, when the digests are due (0 before).
    pub organisations: usize,
    /// Coordinators of those, counted once per organisation they coordinate.
    pub coordinators: usize,
    /// One line per coordinator and organisation, by organisation name, when due.
    pub digests: Vec<DigestLine>,
    pub total_ms: f64,
}

/// One coordinator's digest of one organisation: sent or not, and why.
#[derive(Debug, Clone, Serialize)]
pub struct DigestLine {
    pub user_id: i32,
    pub email: String,
    pub organisation_id: i32,
    /// The organisation's slug.
    pub organisation: String,
    /// In words: what the digest holds, or why it is not sent.
    pub why: String,
    #[serde(flatten)]
    pub outcome: DigestOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DigestOutcome {
    /// Put in the outbox now.
    Queued,
    /// Already in the outbox this week (an earlier run, or another runner).
    AlreadyQueued,
    /// A dry run: would have been queued.
    WouldQueue,
    /// Not sent, for `reason`.
    Skipped { reason: SkipReason },
    /// The email could not be rendered (a theme's template is broken).
    Failed { error: String },
}

/// Why a coordinator gets no digest of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Their account is disabled.
    Disabled,
    /// Their notification preference is `none`.
    Unsubscribed,
    /// They have not accepted their invitation (their address is not confirmed).
    NotActivated,
    /// The organisation's members have no enrolments.
    NoEnrolments,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Disabled => "the account is disabled",
            SkipReason::Unsubscribed => "notification preference `none`",
            SkipReason::NotActivated => "has not accepted the invitation yet",
            SkipReason::NoEnrolments => "the organisation has no enrolments",
        }
    }
}

impl DigestReport {
    fn push(&mut self, org: &Organisation, r: &DigestRecipient, outcome: DigestOutcome, why: &str) {
        let why = match &outcome {
            DigestOutcome::Skipped { reason } => reason.as_str().to_string(),
            _ => why.to_string(),
        };
        self.digests.push(DigestLine {
            user_id: r.user_id,
            email: r.email.clone(),
            organisation_id: org.id,
            organisation: org.slug.clone(),
            why,
            outcome,
        });
    }

    /// Digests put in the outbox by this run.
    pub fn queued(&self) -> usize {
        self.count(|o| *o == DigestOutcome::Queued)
    }

    /// Digests of this week that were in the outbox already.
    pub fn already_queued(&self) -> usize {
        self.count(|o| *o == DigestOutcome::AlreadyQueued)
    }

    /// Digests a dry run would have queued.
    pub fn would_queue(&self) -> usize {
        self.count(|o| *o == DigestOutcome::WouldQueue)
    }

    /// Digests that could not be rendered.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, DigestOutcome::Failed { .. }))
    }

    /// Coordinators who get no digest for `reason`.
    pub fn skipped(&self, reason: SkipReason) -> usize {
        self.count(|o| *o == DigestOutcome::Skipped { reason })
    }

    fn count(&self, f: impl Fn(&DigestOutcome) -> bool) -> usize {
        self.digests.iter().filter(|d| f(&d.outcome)).count()
    }
}

impl fmt::Display for DigestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let week = &self.week;
        if !week.due {
            return write!(
                f,
                "weekly digests: not due yet; {}'s go out from {} ({})",
                week.key,
                week.due_from.format("%A %Y-%m-%d %H:%M"),
                week.zone
            );
        }
        for d in &self.digests {
            let what = match &d.outcome {
                DigestOutcome::Queued => "queued",
                DigestOutcome::AlreadyQueued => "already queued",
                DigestOutcome::WouldQueue => "would queue",
                DigestOutcome::Skipped { .. } => "skipped",
                DigestOutcome::Failed { .. } => "FAILED",
            };
            write!(
                f,
                "{what}: {TEMPLATE} to {} ({}, {}): {}",
                d.email, d.organisation, week.key, d.why
            )?;
            if let DigestOutcome::Failed { error } = &d.outcome {
                write!(f, ": {error}")?;
            }
            writeln!(f)?;
        }
        if self.dry_run {
            write!(
                f,
                "dry run: {} weekly digest(s) due for {}, nothing queued",
                self.would_queue(),
                week.key
            )?;
        } else {
            write!(
                f,
                "{} weekly digest(s) queued for {}, {} already queued",
                self.queued(),
                week.key,
                self.already_queued()
            )?;
        }
        if self.failed() > 0 {
            write!(f, ", {} could not be rendered", self.failed())?;
        }
        write!(
            f,
            "; {} coordinator(s) of {} organisation(s); skipped: {} disabled, {} unsubscribed, {} not activated, {} without enrolments; due from {} ({}); {:.0} ms",
            self.coordinators,
            self.organisations,
            self.skipped(SkipReason::Disabled),
            self.skipped(SkipReason::Unsubscribed),
            self.skipped(SkipReason::NotActivated),
            self.skipped(SkipReason::NoEnrolments),
            week.due_from.format("%A %Y-%m-%d %H:%M"),
            week.zone,
            self.total_ms
        )
    }
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn utc(weekday: Weekday, hour: u32) -> DigestSchedule {
        DigestSchedule {
            weekday,
            hour,
            utc_offset: Some(FixedOffset::east_opt(0).unwrap()),
        }
    }

    #[test]
    fn a_week_is_due_from_its_weekday_and_hour() {
        // Monday 2 November 2026 is in ISO week 45.
        let s = utc(Weekday::Mon, 7);
        let before = s.week(at("2026-11-02 06:59"));
        assert_eq!(before.key, "2026-W45");
        assert!(!before.due);
        assert_eq!(before.due_from, at("2026-11-02 07:00"));
        assert!(s.week(at("2026-11-02 07:00")).due);
        // The rest of the week too (a server that was down on Monday).
        let sunday = s.week(at("2026-11-08 23:59"));
        assert_eq!((sunday.key.as_str(), sunday.due), ("2026-W45", true));
        let next = s.week(at("2026-11-09 06:00"));
        assert_eq!((next.key.as_str(), next.due), ("2026-W46", false));

        // Friday at 16:00.
        let s = utc(Weekday::Fri, 16);
        assert!(!s.week(at("2026-11-05 20:00")).due);
        assert!(!s.week(at("2026-11-06 15:59")).due);
        assert!(s.week(at("2026-11-06 16:00")).due);
    }

    #[test]
    fn weeks_are_iso_weeks_in_the_schedules_time_zone() {
        // 1 January 2027 is a Friday in ISO week 53 of 2026; 4 January is week 1.
        let s = utc(Weekday::Mon, 0);
        assert_eq!(s.week(at("2027-01-01 12:00")).key, "2026-W53");
        assert_eq!(s.week(at("2027-01-04 00:00")).key, "2027-W01");
        // 23:30 UTC on Sunday is already Monday 00:30 in Brussels in winter.
        let brussels = DigestSchedule {
            utc_offset: Some(FixedOffset::east_opt(3600).unwrap()),
            ..s
        };
        let w = brussels.week(at("2026-11-08 23:30"));
        assert_eq!((w.key.as_str(), w.due), ("2026-W46", true));
        assert_eq!(w.local_now, at("2026-11-09 00:30"));
        assert_eq!(w.zone, "UTC+01:00");
    }

    #[test]
    fn before_the_moment_the_report_says_when() {
        let report = DigestReport {
            week: utc(Weekday::Mon, 7).week(at("2026-11-02 06:00")),
            ..DigestReport::default()
        };
        assert_eq!(
            report.to_string(),
            "weekly digests: not due yet; 2026-W45's go out from Monday 2026-11-02 07:00 (UTC+00:00)"
        );
    }
}
